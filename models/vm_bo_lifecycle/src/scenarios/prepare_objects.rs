//! The lockless extobj iterator: `drm_gpuvm_prepare_objects()` against a final put, in
//! both list-locking modes, and v3 of the iterator.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use checker::kernel::{mutex_lock, mutex_unlock, Obj};
use checker::scenario::{check, join, spawn_cpu, witness_if};

use crate::drm_gpuvm::*;
use crate::invariants::*;

/// The objects of the iterator scenarios: one VM, two external GEMs, a vm_bo of each on the
/// VM's extobj list. The main thread holds one reference on each (the vm_bo's reference
/// stands for a mapped va).
pub(crate) struct Setup {
    pub(crate) vm: Obj<DrmGpuvm>,
    pub(crate) gems: Vec<Obj<DrmGemObject>>,
    pub(crate) vm_bos: Vec<Obj<DrmGpuvmBo>>,
}

pub(crate) fn setup_two_extobjs(locking: ListLocking) -> Setup {
    setup_extobjs(locking, 2)
}

/// The same with `n` external GEMs.
pub(crate) fn setup_extobjs(locking: ListLocking, n: usize) -> Setup {
    let vm = drm_gpuvm_init(locking, false);
    let gems: Vec<_> = (0..n).map(|_| drm_gem_object_init(&vm)).collect();
    let vm_bos = gems.iter().map(|gem| {
        let vm_resv = drm_gpuvm_resv_protected(&vm).then(|| mutex_lock(&vm.resv)); // drm_gpuvm_resv_lock(gpuvm) (RESV_PROTECTED)
        let g = mutex_lock(drm_gem_gpuva_lock(&vm, gem)); // dma_resv_lock(obj->resv, NULL);
        let vm_bo = drm_gpuvm_bo_obtain(&vm, gem);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        drm_gpuvm_bo_extobj_add(&vm_bo);
        if let Some(g) = vm_resv {
            mutex_unlock(g); // drm_gpuvm_resv_unlock(gpuvm)
        }
        vm_bo
    });
    let vm_bos = vm_bos.collect();
    Setup { vm, gems, vm_bos }
}

/// Ghost state of the submits (no scheduling point), for the witnesses that need to know
/// what other CPUs did.
#[derive(Clone, Default)]
pub(crate) struct SubmitGhost {
    /// The GEM and vm_bo whose last reference the unmap path drops, if any.
    dying: Option<(Obj<DrmGemObject>, Obj<DrmGpuvmBo>)>,
    /// Some submit's `drm_gpuvm_prepare_objects()` locked the dying vm_bo's GEM.
    dying_locked: Arc<AtomicBool>,
    /// A submit is in its drm_exec transaction: it holds the VM's resv, and every GEM resv it
    /// holds stays held until this is cleared (just before `drm_exec_fini()`).
    pub(crate) in_transaction: Arc<AtomicBool>,
}

impl SubmitGhost {
    /// The ghost of submits racing with the final put of `vm_bo` (of `gem`).
    pub(crate) fn with_final_put(gem: &Obj<DrmGemObject>, vm_bo: &Obj<DrmGpuvmBo>) -> Self {
        SubmitGhost {
            dying: Some((gem.clone(), vm_bo.clone())),
            ..Default::default()
        }
    }

    /// A submit's `drm_gpuvm_prepare_objects()` returned with `exec`'s locks (VM's resv held):
    /// [`FINAL_PUT_BETWEEN_SUBMITS`] if an earlier submit locked the dying vm_bo's GEM and
    /// this one's walk no longer found it.
    pub(crate) fn prepared(&self, exec: &DrmExec) {
        let Some((gem, vm_bo)) = &self.dying else {
            return;
        };
        let locked = exec.objects.iter().any(|(o, _)| o.ptr_eq(gem));
        witness_if(
            !locked && vm_bo.is_freed() && self.dying_locked.load(Relaxed),
            &FINAL_PUT_BETWEEN_SUBMITS,
        );
        if locked {
            self.dying_locked.store(true, Relaxed);
        }
    }
}

/// The exec path of a driver: `drm_gpuvm_prepare_objects()` inside a drm_exec transaction,
/// optionally after locking the VM's resv first (`drm_gpuvm_prepare_vm()`), which is what
/// serialises concurrent users of the VM's lists. `must_lock` is a GEM whose vm_bo stays
/// alive throughout.
pub(crate) fn exec_path(
    vm: &Obj<DrmGpuvm>,
    must_lock: &Obj<DrmGemObject>,
    lock_vm_resv: bool,
    ghost: &SubmitGhost,
) {
    let mut exec = DrmExec::default();
    let vm_resv = lock_vm_resv.then(|| mutex_lock(&vm.resv)); // drm_gpuvm_prepare_vm(): drm_exec_prepare_obj(exec, gpuvm->r_obj)
    let ret = drm_gpuvm_prepare_objects(vm, &mut exec);
    ghost.prepared(&exec);
    let locked = exec.objects.iter().any(|(o, _)| o.ptr_eq(must_lock));
    check(ret != 0 || locked, &PREPARE_LOCKED_ALL, || {
        format!(
            "drm_gpuvm_prepare_objects({}) returned 0 without locking {}.resv",
            vm.name(),
            must_lock.name()
        )
    });
    drm_exec_fini(exec);
    if let Some(g) = vm_resv {
        mutex_unlock(g); // drm_exec_fini(): dma_resv_unlock(gpuvm->r_obj->resv)
    }
}

/// The unmap path dropping the last reference of a vm_bo, under the GEM gpuva lock as
/// `drm_gpuvm_bo_put()` requires (`drm_gpuva_unlink()` of the last va), and, in
/// RESV_PROTECTED mode, under the VM's resv too (taken first, as drm_exec users do).
pub(crate) fn final_put(vm: &Obj<DrmGpuvm>, gem: &Obj<DrmGemObject>, vm_bo: &Obj<DrmGpuvmBo>) {
    let vm_resv = drm_gpuvm_resv_protected(vm).then(|| mutex_lock(&vm.resv)); // drm_gpuvm_resv_lock(gpuvm) (RESV_PROTECTED)
    let g = mutex_lock(drm_gem_gpuva_lock(vm, gem)); // dma_resv_lock(obj->resv, NULL);
    drm_gpuvm_bo_put(Some(vm_bo)); // drm_gpuva_unlink(va) -> drm_gpuvm_bo_put(vm_bo);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
    if let Some(g) = vm_resv {
        mutex_unlock(g); // drm_gpuvm_resv_unlock(gpuvm)
    }
}

pub(crate) fn check_extobj_list_restored(s: &Setup) {
    let vm = s.vm.ghost();
    let on_list = vm.extobj.list.ghost_entries::<DrmGpuvmBo>();
    for vm_bo in s.vm_bos.iter().filter(|v| !v.is_freed()) {
        let n = on_list.iter().filter(|x| x.ptr_eq(vm_bo)).count();
        let heads = vm_bo.ghost().entry_extobj.ghost_heads();
        check(n == 1 && heads.len() == 1, &EXTOBJ_LIST_RESTORED, || {
            format!(
                "{} is on {} (expected only {}.extobj.list, once)",
                vm_bo.name(),
                heads.join(", "),
                s.vm.name()
            )
        });
    }
    let local = vm.extobj.local_list.ghost_read();
    check(local.is_none(), &EXTOBJ_LIST_RESTORED, || {
        format!(
            "{}.extobj.local_list still points to {}",
            s.vm.name(),
            local.map(|l| l.name()).unwrap_or_default()
        )
    });
}

pub(crate) fn teardown(s: Setup) {
    for (gem, vm_bo) in s.gems.iter().zip(&s.vm_bos) {
        if !vm_bo.is_freed() {
            final_put(&s.vm, gem, vm_bo);
        }
    }
    for gem in &s.gems {
        drm_gem_object_put(gem);
    }
    drm_gpuvm_put(&s.vm);
}

/// `execs` exec paths run `drm_gpuvm_prepare_objects()` (after locking the VM's resv if
/// `lock_vm_resv`) while the unmap path drops the last reference of the first vm_bo.
pub(crate) fn prepare_objects_race(locking: ListLocking, execs: usize, lock_vm_resv: bool) {
    prepare_objects_race_n(locking, execs, lock_vm_resv, 2)
}

/// The same with `gems` external objects (at least 2); the exec paths check the last one.
pub(crate) fn prepare_objects_race_n(
    locking: ListLocking,
    execs: usize,
    lock_vm_resv: bool,
    gems: usize,
) {
    let s = setup_extobjs(locking, gems);
    let ghost = SubmitGhost::with_final_put(&s.gems[0], &s.vm_bos[0]);
    let cpus: Vec<_> = (0..execs)
        .map(|_| {
            let (vm, gem_b, ghost) = (s.vm.clone(), s.gems[gems - 1].clone(), ghost.clone());
            spawn_cpu(move || exec_path(&vm, &gem_b, lock_vm_resv, &ghost))
        })
        .collect();
    let (vm, gem_a, vm_bo_a) = (s.vm.clone(), s.gems[0].clone(), s.vm_bos[0].clone());
    let put = spawn_cpu(move || final_put(&vm, &gem_a, &vm_bo_a));
    for c in cpus {
        join(c);
    }
    join(put);
    check_extobj_list_restored(&s);
    teardown(s);
}

pub(crate) fn prepare_objects_unserialized() {
    prepare_objects_race(ListLocking::Spinlock, 2, false);
}

pub(crate) fn prepare_objects_serialized() {
    prepare_objects_race(ListLocking::Spinlock, 2, true);
}

pub(crate) fn prepare_objects_resv_protected() {
    prepare_objects_race(ListLocking::ResvProtected, 2, true);
}

pub(crate) fn prepare_objects_internal_mutex() {
    prepare_objects_race(ListLocking::InternalMutex, 1, false);
}

/// A1: one exec path walks the extobj list with the v3 iterator.
pub(crate) fn iterator_v3() {
    let s = setup_two_extobjs(ListLocking::Spinlock);
    let (vm, gem_b) = (s.vm.clone(), s.gems[1].clone());
    let exec = spawn_cpu(move || {
        let mut exec = DrmExec::default();
        let ret = __drm_gpuvm_prepare_objects(&vm, &mut exec, IteratorRevision::V3);
        let locked = exec.objects.iter().any(|(o, _)| o.ptr_eq(&gem_b));
        check(ret != 0 || locked, &PREPARE_LOCKED_ALL, || {
            format!("returned 0 without locking {}.resv", gem_b.name())
        });
        drm_exec_fini(exec);
    });
    join(exec);
    check_extobj_list_restored(&s);
    teardown(s);
}

// ---------------------------------------------------------------------------------------
