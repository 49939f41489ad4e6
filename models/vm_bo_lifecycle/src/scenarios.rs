//! Scenarios of the vm_bo lifecycle model. Each states its expected result; the harness
//! judges it (see `checker::explore`).

use checker::invariant::{Invariant, LIST_HEAD_UAF};
use checker::kernel::{mutex_lock, mutex_unlock, Obj};
use checker::scenario::{check, join, spawn_cpu, Bounds, Expected, Scenario};

use crate::gpuvm::*;

/// After every iteration has run `restore_vm_bo_list()`, the list is whole again
/// (drm_gpuvm.c kernel-doc of `restore_vm_bo_list`: "restore the original state").
pub const EXTOBJ_LIST_RESTORED: Invariant = Invariant::new(
    "EXTOBJ_LIST_RESTORED",
    "once every iteration has returned, every live vm_bo of an external object is on gpuvm->extobj.list exactly once, none is left on an iterator's local list, and extobj.local_list is NULL",
);

/// What `drm_gpuvm_prepare_objects()` promises its caller (A2 in kernel-protocols.md).
pub const PREPARE_LOCKED_ALL: Invariant = Invariant::new(
    "PREPARE_LOCKED_ALL",
    "when drm_gpuvm_prepare_objects() returns 0, the caller's drm_exec holds the resv of every external object whose vm_bo stayed alive during the call (else the job runs without that BO's fences)",
);

/// Every invariant this model defines.
pub const INVARIANTS: &[Invariant] = &[EXTOBJ_LIST_RESTORED, PREPARE_LOCKED_ALL];

/// The objects of the iterator scenarios: one VM, two external GEMs, a vm_bo of each on the
/// VM's extobj list. The main thread holds one reference on each (the vm_bo's reference
/// stands for a mapped va).
struct Setup {
    vm: Obj<DrmGpuvm>,
    gems: [Obj<DrmGemObject>; 2],
    vm_bos: [Obj<DrmGpuvmBo>; 2],
}

fn setup_two_extobjs() -> Setup {
    let vm = drm_gpuvm_init();
    let gems = [drm_gem_object_init(), drm_gem_object_init()];
    let vm_bos = gems.clone().map(|gem| {
        let g = mutex_lock(drm_gem_gpuva_lock(&gem)); // dma_resv_lock(obj->resv, NULL);
        let vm_bo = drm_gpuvm_bo_obtain(&vm, &gem);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        drm_gpuvm_bo_extobj_add(&vm_bo);
        vm_bo
    });
    Setup { vm, gems, vm_bos }
}

/// The exec path of a driver: `drm_gpuvm_prepare_objects()` inside a drm_exec transaction,
/// optionally after locking the VM's resv first (`drm_gpuvm_prepare_vm()`), which is what
/// serialises concurrent users of the VM's lists. `must_lock` is a GEM whose vm_bo stays
/// alive throughout.
fn exec_path(vm: &Obj<DrmGpuvm>, must_lock: &Obj<DrmGemObject>, lock_vm_resv: bool) {
    let mut exec = DrmExec::default();
    let vm_resv = lock_vm_resv.then(|| mutex_lock(&vm.resv)); // drm_gpuvm_prepare_vm(): drm_exec_prepare_obj(exec, gpuvm->r_obj)
    let ret = drm_gpuvm_prepare_objects(vm, &mut exec);
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
/// `drm_gpuvm_bo_put()` requires (`drm_gpuva_unlink()` of the last va).
fn final_put(gem: &Obj<DrmGemObject>, vm_bo: &Obj<DrmGpuvmBo>) {
    let g = mutex_lock(drm_gem_gpuva_lock(gem)); // dma_resv_lock(obj->resv, NULL);
    drm_gpuvm_bo_put(Some(vm_bo)); // drm_gpuva_unlink(va) -> drm_gpuvm_bo_put(vm_bo);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
}

fn check_extobj_list_restored(s: &Setup) {
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

fn teardown(s: Setup) {
    for (gem, vm_bo) in s.gems.iter().zip(&s.vm_bos) {
        if !vm_bo.is_freed() {
            final_put(gem, vm_bo);
        }
    }
    for gem in &s.gems {
        drm_gem_object_put(gem);
    }
    drm_gpuvm_put(&s.vm);
}

fn prepare_objects_race(lock_vm_resv: bool) {
    let s = setup_two_extobjs();
    let cpus = [0, 1].map(|_| {
        let (vm, gem_b) = (s.vm.clone(), s.gems[1].clone());
        spawn_cpu(move || exec_path(&vm, &gem_b, lock_vm_resv))
    });
    let (gem_a, vm_bo_a) = (s.gems[0].clone(), s.vm_bos[0].clone());
    let put = spawn_cpu(move || final_put(&gem_a, &vm_bo_a));
    for c in cpus {
        join(c);
    }
    join(put);
    check_extobj_list_restored(&s);
    teardown(s);
}

fn prepare_objects_unserialized() {
    prepare_objects_race(false);
}

fn prepare_objects_serialized() {
    prepare_objects_race(true);
}

const SOURCES: &[&str] = &[include_str!("gpuvm.rs"), include_str!("scenarios.rs")];

/// Two `drm_gpuvm_prepare_objects()` without the VM's resv, racing with a final put.
pub const PREPARE_OBJECTS_UNSERIALIZED: Scenario = Scenario {
    model: "vm_bo_lifecycle",
    name: "prepare_objects_unserialized",
    summary: "two drm_gpuvm_prepare_objects() on one VM without its resv (against the kernel-doc) race with the final drm_gpuvm_bo_put() of an extobj vm_bo",
    cpus: &["exec", "exec", "unmap"],
    expected: Expected::Reachable(LIST_HEAD_UAF),
    weak_memory_only: false,
    bounds: Bounds::DEFAULT,
    sources: SOURCES,
    body: prepare_objects_unserialized,
};

/// The same, serialised by the VM's resv as drivers do.
pub const PREPARE_OBJECTS_SERIALIZED: Scenario = Scenario {
    model: "vm_bo_lifecycle",
    name: "prepare_objects_serialized",
    summary: "two drm_gpuvm_prepare_objects() serialised by the VM's resv (drm_gpuvm_prepare_vm first) race with the final drm_gpuvm_bo_put() of an extobj vm_bo",
    cpus: &["exec", "exec", "unmap"],
    expected: Expected::Unreachable,
    weak_memory_only: false,
    bounds: Bounds::DEFAULT,
    sources: SOURCES,
    body: prepare_objects_serialized,
};

/// Every scenario of this model.
pub const SCENARIOS: &[Scenario] = &[PREPARE_OBJECTS_UNSERIALIZED, PREPARE_OBJECTS_SERIALIZED];
