//! Scenarios of the vm_bo lifecycle model. Each states its expected result; the harness
//! judges it (see `checker::explore`).

use checker::invariant::{Invariant, DATA_RACE, LIST_HEAD_UAF, LOCK_NOT_HELD, USE_AFTER_FREE};
use checker::kernel::lockdep::LOCK_ORDER;
use checker::kernel::{kfree, mutex_lock, mutex_unlock, trace_note, Obj};
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

/// drm_gpuvm.c kernel-doc, "DOC: Locking": one vm_bo per (VM, GEM).
pub const VM_BO_UNIQUE: Invariant = Invariant::new(
    "VM_BO_UNIQUE",
    "a GEM's gpuva list holds at most one vm_bo per VM (find, create and insert are one step under the GEM gpuva lock)",
);

/// What `drm_gpuvm_validate()` promises (A2 in kernel-protocols.md).
pub const VALIDATE_COMPLETE: Invariant = Invariant::new(
    "VALIDATE_COMPLETE",
    "when drm_gpuvm_validate() returns 0 and nothing was evicted meanwhile, no live vm_bo (refcount above 0; a dying one is skipped by design) of the VM is still marked evicted",
);

/// drm_gpuvm.c kernel-doc of `drm_gpuvm_bo_put()`: a vm_bo drops to 0 only under the GEM
/// gpuva lock and leaves the GEM's list before the lock is released. That is what lets
/// `drm_gpuvm_bo_find()` take a plain `kref_get()`.
pub const GPUVA_LIST_LIVE: Invariant = Invariant::new(
    "GPUVA_LIST_LIVE",
    "every vm_bo that drm_gpuvm_bo_find() sees on a GEM's gpuva list, under the GEM gpuva lock, has a refcount above 0",
);

/// Every invariant this model defines.
pub const INVARIANTS: &[Invariant] = &[
    EXTOBJ_LIST_RESTORED,
    PREPARE_LOCKED_ALL,
    VM_BO_UNIQUE,
    VALIDATE_COMPLETE,
    GPUVA_LIST_LIVE,
];

/// [`GPUVA_LIST_LIVE`], checked by `drm_gpuvm_bo_find()` as it starts its walk (ghost: no
/// scheduling point).
pub fn check_gpuva_list_live(obj: &Obj<DrmGemObject>) {
    for vm_bo in obj.ghost().gpuva_list.ghost_entries::<DrmGpuvmBo>() {
        let n = vm_bo.ghost().kref.ghost_read();
        check(n > 0, &GPUVA_LIST_LIVE, || {
            format!(
                "drm_gpuvm_bo_find() finds {} on {}.gpuva.list with refcount {n}",
                vm_bo.name(),
                obj.name()
            )
        });
    }
}

/// The objects of the iterator scenarios: one VM, two external GEMs, a vm_bo of each on the
/// VM's extobj list. The main thread holds one reference on each (the vm_bo's reference
/// stands for a mapped va).
struct Setup {
    vm: Obj<DrmGpuvm>,
    gems: Vec<Obj<DrmGemObject>>,
    vm_bos: Vec<Obj<DrmGpuvmBo>>,
}

fn setup_two_extobjs(locking: ListLocking) -> Setup {
    setup_extobjs(locking, 2)
}

/// The same with `n` external GEMs.
fn setup_extobjs(locking: ListLocking, n: usize) -> Setup {
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
/// `drm_gpuvm_bo_put()` requires (`drm_gpuva_unlink()` of the last va), and, in
/// RESV_PROTECTED mode, under the VM's resv too (taken first, as drm_exec users do).
fn final_put(vm: &Obj<DrmGpuvm>, gem: &Obj<DrmGemObject>, vm_bo: &Obj<DrmGpuvmBo>) {
    let vm_resv = drm_gpuvm_resv_protected(vm).then(|| mutex_lock(&vm.resv)); // drm_gpuvm_resv_lock(gpuvm) (RESV_PROTECTED)
    let g = mutex_lock(drm_gem_gpuva_lock(vm, gem)); // dma_resv_lock(obj->resv, NULL);
    drm_gpuvm_bo_put(Some(vm_bo)); // drm_gpuva_unlink(va) -> drm_gpuvm_bo_put(vm_bo);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
    if let Some(g) = vm_resv {
        mutex_unlock(g); // drm_gpuvm_resv_unlock(gpuvm)
    }
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
fn prepare_objects_race(locking: ListLocking, execs: usize, lock_vm_resv: bool) {
    prepare_objects_race_n(locking, execs, lock_vm_resv, 2)
}

/// The same with `gems` external objects (at least 2); the exec paths check the last one.
fn prepare_objects_race_n(locking: ListLocking, execs: usize, lock_vm_resv: bool, gems: usize) {
    let s = setup_extobjs(locking, gems);
    let cpus: Vec<_> = (0..execs)
        .map(|_| {
            let (vm, gem_b) = (s.vm.clone(), s.gems[gems - 1].clone());
            spawn_cpu(move || exec_path(&vm, &gem_b, lock_vm_resv))
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

fn prepare_objects_unserialized() {
    prepare_objects_race(ListLocking::Spinlock, 2, false);
}

fn prepare_objects_serialized() {
    prepare_objects_race(ListLocking::Spinlock, 2, true);
}

fn prepare_objects_resv_protected() {
    prepare_objects_race(ListLocking::ResvProtected, 2, true);
}

fn prepare_objects_internal_mutex() {
    prepare_objects_race(ListLocking::InternalMutex, 1, false);
}

/// A1: one exec path walks the extobj list with the v3 iterator.
fn iterator_v3() {
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
// validate, in both list-locking modes
// ---------------------------------------------------------------------------------------

/// `vm_bos` of `vm` evicted (`drm_gpuvm_bo_evict(vm_bo, true)` under the GEM's resv, and
/// the VM's in RESV_PROTECTED mode), as TTM's eviction path leaves them.
fn evict(vm: &Obj<DrmGpuvm>, vm_bos: &[Obj<DrmGpuvmBo>]) {
    for vm_bo in vm_bos {
        let vm_resv = drm_gpuvm_resv_protected(vm).then(|| mutex_lock(&vm.resv));
        let g = mutex_lock(&vm_bo.obj.resv); // dma_resv_lock(obj->resv, NULL);
        drm_gpuvm_bo_evict(vm_bo, true); // drm_gpuvm_bo_evict(vm_bo, true);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        if let Some(g) = vm_resv {
            mutex_unlock(g);
        }
    }
}

/// The exec path of a driver's submit: lock the VM's resv (`drm_gpuvm_prepare_vm`), every
/// external object (`drm_gpuvm_prepare_objects`), validate, then `drm_exec_fini`.
fn exec_validate(vm: &Obj<DrmGpuvm>, vm_bos: &[Obj<DrmGpuvmBo>]) {
    let mut exec = DrmExec::default();
    let vm_resv = mutex_lock(&vm.resv); // drm_gpuvm_prepare_vm(): drm_exec_prepare_obj(exec, gpuvm->r_obj)
    let mut ret = drm_gpuvm_prepare_objects(vm, &mut exec); // drm_gpuvm_prepare_objects(gpuvm, exec, num_fences);
    if ret == 0 {
        ret = drm_gpuvm_validate(vm, &mut exec); // drm_gpuvm_validate(gpuvm, exec);
    }
    let left: Vec<&str> = vm_bos
        .iter()
        .filter(|b| b.ghost().kref.ghost_read() > 0 && b.ghost().evicted.ghost_read())
        .map(|b| b.name())
        .collect();
    check(ret != 0 || left.is_empty(), &VALIDATE_COMPLETE, || {
        format!(
            "drm_gpuvm_validate({}) returned 0 with {} still evicted",
            vm.name(),
            left.join(", ")
        )
    });
    drm_exec_fini(exec);
    mutex_unlock(vm_resv); // drm_exec_fini(): dma_resv_unlock(gpuvm->r_obj->resv)
}

/// Two submits validate the VM while the unmap path drops the first vm_bo's last reference.
fn validate_race(locking: ListLocking) {
    let s = setup_two_extobjs(locking);
    evict(&s.vm, &s.vm_bos);
    let cpus: Vec<_> = (0..2)
        .map(|_| {
            let (vm, vm_bos) = (s.vm.clone(), s.vm_bos.clone());
            spawn_cpu(move || exec_validate(&vm, &vm_bos))
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

fn validate_default_mode() {
    validate_race(ListLocking::Spinlock)
}

/// TTM's eviction path (CPU1: the GEM's resv, `drm_gpuvm_bo_evict(vm_bo, true)`) races with a
/// submit (CPU0) on a VM whose first extobj is already evicted. VALIDATE_COMPLETE is checked
/// while the submit still holds every resv, so an eviction can only land before the submit
/// locked that GEM (and is then validated) or after it unlocked.
fn validate_races_evict(locking: ListLocking) {
    let s = setup_two_extobjs(locking);
    evict(&s.vm, &s.vm_bos[..1]);
    let (vm, vm_bos) = (s.vm.clone(), s.vm_bos.clone());
    let submit = spawn_cpu(move || exec_validate(&vm, &vm_bos));
    let vm_bo_b = s.vm_bos[1].clone();
    let evict = spawn_cpu(move || {
        let g = mutex_lock(&vm_bo_b.obj.resv); // dma_resv_lock(bo->base.resv, NULL);  (ttm_bo_evict)
        drm_gpuvm_bo_evict(&vm_bo_b, true); // drm_gpuvm_bo_evict(vm_bo, true);  (the driver's move_notify)
        mutex_unlock(g); // dma_resv_unlock(bo->base.resv);
    });
    join(submit);
    join(evict);
    check_extobj_list_restored(&s);
    teardown(s);
}

fn validate_races_evict_default_mode() {
    validate_races_evict(ListLocking::Spinlock)
}

fn validate_races_evict_resv_protected() {
    validate_races_evict(ListLocking::ResvProtected)
}

fn validate_resv_protected() {
    validate_race(ListLocking::ResvProtected)
}

// ---------------------------------------------------------------------------------------
// A3: the "resv lock dance" (Boris Brezillon, v5 thread, Oct 3 2023; Rust GPUVM v2, 2025)
// ---------------------------------------------------------------------------------------

/// A driver's put path that locks the GEM's resv through the vm_bo and then drops the vm_bo
/// inside it. With `gem_ref` it holds its own GEM reference across the dance (the fix).
fn driver_put_under_resv(vm_bo: &Obj<DrmGpuvmBo>, gem_ref: bool) {
    let obj = vm_bo.obj.clone(); // struct drm_gem_object *obj = vm_bo->obj;
    if gem_ref {
        drm_gem_object_get(&obj); // drm_gem_object_get(obj);
    }
    let g = mutex_lock(&obj.resv); // dma_resv_lock(obj->resv, NULL);
    drm_gpuvm_bo_put(Some(vm_bo)); // drm_gpuvm_bo_put(vm_bo);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
    if gem_ref {
        drm_gem_object_put(&obj); // drm_gem_object_put(obj);
    }
}

/// One VM (default mode), one GEM holding its handle's reference, and the vm_bo of the two,
/// obtained under the GEM gpuva lock; the caller holds one reference on each.
fn setup_one_vm_bo() -> (Obj<DrmGpuvm>, Obj<DrmGemObject>, Obj<DrmGpuvmBo>) {
    let vm = drm_gpuvm_init(ListLocking::Spinlock, false);
    let gem = drm_gem_object_init(&vm);
    let g = mutex_lock(drm_gem_gpuva_lock(&vm, &gem)); // dma_resv_lock(obj->resv, NULL);
    let vm_bo = drm_gpuvm_bo_obtain(&vm, &gem);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
    (vm, gem, vm_bo)
}

/// One VM, one GEM with its handle reference, one vm_bo whose last reference the driver
/// drops under the GEM's resv while userspace closes the GEM handle.
fn resv_lock_dance(gem_ref: bool) {
    let (vm, gem, vm_bo) = setup_one_vm_bo(); // gem: the handle's reference
    let put = spawn_cpu(move || driver_put_under_resv(&vm_bo, gem_ref));
    let close = spawn_cpu(move || drm_gem_object_put(&gem)); // drm_gem_handle_delete() -> drm_gem_object_put()
    join(put);
    join(close);
    drm_gpuvm_put(&vm);
}

fn resv_lock_dance_broken() {
    resv_lock_dance(false)
}

fn resv_lock_dance_fixed() {
    resv_lock_dance(true)
}

// ---------------------------------------------------------------------------------------
// A4: a final put without the GEM gpuva lock races with obtain/find
// ---------------------------------------------------------------------------------------

/// CPU0 drops the vm_bo's last reference, with or without the GEM gpuva lock; CPU1 binds a
/// new mapping of the same (VM, GEM): obtain (find) under the lock, then unbind.
fn put_races_obtain(put_locked: bool) {
    let (vm, gem, vm_bo) = setup_one_vm_bo();
    let (vm0, gem0, vm1, gem1) = (vm.clone(), gem.clone(), vm.clone(), gem.clone());
    let unmap = spawn_cpu(move || {
        if put_locked {
            final_put(&vm0, &gem0, &vm_bo);
        } else {
            drm_gpuvm_bo_put(Some(&vm_bo)); // drm_gpuvm_bo_put(vm_bo);  /* without dma_resv_lock(obj->resv) */
        }
    });
    let bind = spawn_cpu(move || {
        let g = mutex_lock(drm_gem_gpuva_lock(&vm1, &gem1)); // dma_resv_lock(obj->resv, NULL);
        let vm_bo = drm_gpuvm_bo_obtain(&vm1, &gem1); // vm_bo = drm_gpuvm_bo_obtain(gpuvm, obj);
        drm_gpuvm_bo_put(Some(&vm_bo)); // (the mapping goes away again) drm_gpuvm_bo_put(vm_bo);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
    });
    join(unmap);
    join(bind);
    drm_gem_object_put(&gem);
    drm_gpuvm_put(&vm);
}

fn put_races_obtain_broken() {
    put_races_obtain(false)
}

fn put_races_obtain_fixed() {
    put_races_obtain(true)
}

// ---------------------------------------------------------------------------------------
// A9: obtain without the GEM gpuva lock
// ---------------------------------------------------------------------------------------

/// Two CPUs obtain the vm_bo of one (VM, GEM), with or without the GEM gpuva lock; main
/// checks uniqueness, then drops what they obtained.
fn obtain_races_obtain(locked: bool) {
    let vm = drm_gpuvm_init(ListLocking::Spinlock, false);
    let gem = drm_gem_object_init(&vm);
    let got: std::sync::Arc<std::sync::Mutex<Vec<Obj<DrmGpuvmBo>>>> = Default::default();
    let cpus = [0, 1].map(|_| {
        let (vm, gem, got) = (vm.clone(), gem.clone(), got.clone());
        spawn_cpu(move || {
            let g = locked.then(|| mutex_lock(drm_gem_gpuva_lock(&vm, &gem))); // dma_resv_lock(obj->resv, NULL);
            let vm_bo = drm_gpuvm_bo_obtain(&vm, &gem); // vm_bo = drm_gpuvm_bo_obtain(gpuvm, obj);
            if let Some(g) = g {
                mutex_unlock(g); // dma_resv_unlock(obj->resv);
            }
            got.lock().unwrap().push(vm_bo);
        })
    });
    for c in cpus {
        join(c);
    }
    check_vm_bo_unique(&vm, &gem);
    for vm_bo in got.lock().unwrap().drain(..) {
        final_put(&vm, &gem, &vm_bo);
    }
    drm_gem_object_put(&gem);
    drm_gpuvm_put(&vm);
}

fn obtain_races_obtain_broken() {
    obtain_races_obtain(false)
}

fn obtain_races_obtain_fixed() {
    obtain_races_obtain(true)
}

// ---------------------------------------------------------------------------------------
// Immediate mode and deferred cleanup (v6.18 gpuva.lock; the ~v6.19 deferred-cleanup series)
// ---------------------------------------------------------------------------------------

/// An immediate-mode VM, one GEM (the caller holds its handle's reference) and its vm_bo,
/// obtained the immediate-mode way (`drm_gpuvm_bo_create` outside the lock, then
/// `drm_gpuvm_bo_obtain_prealloc`), added to the extobj list, with one va linked to it. The
/// vm_bo's only reference is the va's.
struct Immediate {
    vm: Obj<DrmGpuvm>,
    gem: Obj<DrmGemObject>,
    vm_bo: Obj<DrmGpuvmBo>,
    va: Obj<DrmGpuva>,
}

fn setup_immediate(locking: ListLocking) -> Immediate {
    let vm = drm_gpuvm_init(locking, true);
    let gem = drm_gem_object_init(&vm);
    let (vm_bo, va) = vm_bind_map(&vm, &gem);
    Immediate { vm, gem, vm_bo, va }
}

/// The VM_BIND map path of an immediate-mode driver (panthor's shape): preallocate the vm_bo
/// and the va outside any lock, obtain, add to the extobj list, link the va under
/// `obj->gpuva.lock`, then drop the op context's vm_bo reference with a deferred put.
fn vm_bind_map(vm: &Obj<DrmGpuvm>, gem: &Obj<DrmGemObject>) -> (Obj<DrmGpuvmBo>, Obj<DrmGpuva>) {
    let pre = drm_gpuvm_bo_create(vm, gem); // preallocated_vm_bo = drm_gpuvm_bo_create(&vm->base, bo);
    let va = drm_gpuva_alloc(vm, gem); // vma = kzalloc(sizeof(*vma), GFP_KERNEL);
    let vm_bo = drm_gpuvm_bo_obtain_prealloc(&pre); // op_ctx->map.vm_bo = drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
    let vm_resv = drm_gpuvm_resv_protected(vm).then(|| mutex_lock(&vm.resv)); // drm_gpuvm_resv_lock(gpuvm) (RESV_PROTECTED)
    drm_gpuvm_bo_extobj_add(&vm_bo); // drm_gpuvm_bo_extobj_add(op_ctx->map.vm_bo);
    if let Some(g) = vm_resv {
        mutex_unlock(g); // drm_gpuvm_resv_unlock(gpuvm)
    }
    let g = mutex_lock(&gem.gpuva_lock); // mutex_lock(&bo->base.base.gpuva.lock);
    drm_gpuva_link(&va, &vm_bo); // drm_gpuva_link(&vma->base, vm_bo);
    mutex_unlock(g); // mutex_unlock(&bo->base.base.gpuva.lock);
    drm_gpuvm_bo_put_deferred(Some(&vm_bo), DeferredPutRevision::Upstream); // drm_gpuvm_bo_put_deferred(op_ctx->map.vm_bo);
    (vm_bo, va)
}

/// Unmap `va` from the fence-signalling path (`drm_gpuva_unlink_defer`) and free it.
fn run_job_unmap(va: &Obj<DrmGpuva>) {
    drm_gpuva_unlink_defer(va); // drm_gpuva_unlink_defer(&vma->base);
    kfree(va); // kfree(vma);
}

/// End of an immediate-mode scenario: clean up the zombies, drop the VM.
fn teardown_immediate(vm: &Obj<DrmGpuvm>) {
    drm_gpuvm_bo_deferred_cleanup(vm, CleanupRevision::Upstream); // drm_gpuvm_bo_deferred_cleanup(&vm->base);
    drm_gpuvm_put(vm);
}

/// CPU0 (`run_job`) drops the vm_bo's last reference with a deferred put of revision `rev`,
/// while CPU1 (VM_BIND) obtains the vm_bo of the same (VM, GEM) and drops it again.
fn deferred_put_races_obtain(rev: DeferredPutRevision) {
    let s = setup_immediate(ListLocking::Spinlock);
    // The op context of an earlier VM_BIND still holds a reference: the va's is moved there.
    drm_gpuvm_bo_get(&s.vm_bo);
    run_job_unmap(&s.va);
    let vm_bo = s.vm_bo.clone();
    let put = spawn_cpu(move || {
        drm_gpuvm_bo_put_deferred(Some(&vm_bo), rev); // drm_gpuvm_bo_put_deferred(op_ctx->map.vm_bo);
    });
    let (vm, gem) = (s.vm.clone(), s.gem.clone());
    let bind = spawn_cpu(move || {
        let pre = drm_gpuvm_bo_create(&vm, &gem); // preallocated_vm_bo = drm_gpuvm_bo_create(&vm->base, bo);
        let vm_bo = drm_gpuvm_bo_obtain_prealloc(&pre); // drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
        drm_gpuvm_bo_put_deferred(Some(&vm_bo), DeferredPutRevision::Upstream); // (the bind fails later) drm_gpuvm_bo_put_deferred(vm_bo);
    });
    join(put);
    join(bind);
    drm_gem_object_put(&s.gem);
    teardown_immediate(&s.vm);
}

fn deferred_put_races_obtain_v3() {
    deferred_put_races_obtain(DeferredPutRevision::V3PutThenLock)
}

fn deferred_put_races_obtain_fixed() {
    deferred_put_races_obtain(DeferredPutRevision::Upstream)
}

/// CPU0 (`run_job`) drops the vm_bo's last reference with a deferred put of revision `rev`
/// while CPU1 (a cleanup worker) runs the deferred cleanup; the GEM handle is already closed,
/// so the vm_bo holds the GEM's last reference.
fn deferred_put_races_cleanup(rev: DeferredPutRevision) {
    let s = setup_immediate(ListLocking::Spinlock);
    drm_gpuvm_bo_get(&s.vm_bo); // the op context's reference (see above)
    run_job_unmap(&s.va);
    drm_gem_object_put(&s.gem); // drm_gem_handle_delete() -> drm_gem_object_put()
    let vm_bo = s.vm_bo.clone();
    let put = spawn_cpu(move || {
        drm_gpuvm_bo_put_deferred(Some(&vm_bo), rev); // drm_gpuvm_bo_put_deferred(op_ctx->map.vm_bo);
    });
    let vm = s.vm.clone();
    let cleanup = spawn_cpu(move || drm_gpuvm_bo_deferred_cleanup(&vm, CleanupRevision::Upstream)); // drm_gpuvm_bo_deferred_cleanup(&vm->base);
    join(put);
    join(cleanup);
    teardown_immediate(&s.vm);
}

fn deferred_put_races_cleanup_broken() {
    deferred_put_races_cleanup(DeferredPutRevision::AddBeforeUnlock)
}

fn deferred_put_races_cleanup_fixed() {
    deferred_put_races_cleanup(DeferredPutRevision::Upstream)
}

/// RESV_PROTECTED + immediate mode: `run_job` (CPU0) unmaps the last va of an evicted
/// extobj vm_bo, which becomes a zombie and stays on the VM's lists, then a worker's
/// deferred cleanup of revision `rev` frees it, while a submit (CPU1) prepares and validates
/// under the VM's resv, walking those lists.
fn zombie_cleanup(rev: CleanupRevision) {
    let s = setup_immediate(ListLocking::ResvProtected);
    {
        // TTM evicts the BO; the next submit's prepare_objects queues it on the evict list.
        let g = mutex_lock(&s.gem.resv); // dma_resv_lock(obj->resv, NULL);
        drm_gpuvm_bo_evict(&s.vm_bo, true); // drm_gpuvm_bo_evict(vm_bo, true);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        submit(&s.vm);
    }
    let (va, vm) = (s.va.clone(), s.vm.clone());
    let unmap = spawn_cpu(move || {
        run_job_unmap(&va);
        drm_gpuvm_bo_deferred_cleanup(&vm, rev); // (vm_bo_free_work) drm_gpuvm_bo_deferred_cleanup(&vm->base);
    });
    let vm = s.vm.clone();
    let exec = spawn_cpu(move || submit(&vm));
    join(unmap);
    join(exec);
    drm_gem_object_put(&s.gem);
    teardown_immediate(&s.vm);
}

/// A submit of a RESV_PROTECTED VM: lock the VM's resv, prepare the objects, validate, unlock.
fn submit(vm: &Obj<DrmGpuvm>) {
    let mut exec = DrmExec::default();
    let vm_resv = mutex_lock(&vm.resv); // drm_gpuvm_prepare_vm(): drm_exec_prepare_obj(exec, gpuvm->r_obj)
    let mut ret = drm_gpuvm_prepare_objects(vm, &mut exec); // drm_gpuvm_prepare_objects(gpuvm, exec, num_fences);
    if ret == 0 {
        ret = drm_gpuvm_validate(vm, &mut exec); // drm_gpuvm_validate(gpuvm, exec);
    }
    trace_note("return", "", &ret.to_string());
    drm_exec_fini(exec);
    mutex_unlock(vm_resv); // drm_exec_fini(): dma_resv_unlock(gpuvm->r_obj->resv)
}

fn zombie_cleanup_unlocked() {
    zombie_cleanup(CleanupRevision::NoResv)
}

fn zombie_cleanup_fixed() {
    zombie_cleanup(CleanupRevision::Upstream)
}

/// Which `drm_gpuvm_bo_obtain_prealloc()`.
#[derive(Clone, Copy)]
enum Prealloc {
    /// v6.8: the caller holds the GEM's resv (the GEM gpuva lock of a non-immediate VM).
    V6_8,
    /// Nov 2025: immediate mode, the function takes `obj->gpuva.lock` itself.
    Immediate,
}

/// Two VM_BIND paths map the same GEM in one VM with a preallocated vm_bo each; main checks
/// that they share one vm_bo, then unmaps both.
fn obtain_prealloc_races(kind: Prealloc) {
    let immediate = matches!(kind, Prealloc::Immediate);
    let vm = drm_gpuvm_init(ListLocking::Spinlock, immediate);
    let gem = drm_gem_object_init(&vm);
    let vas: std::sync::Arc<std::sync::Mutex<Vec<Obj<DrmGpuva>>>> = Default::default();
    let cpus = [0, 1].map(|_| {
        let (vm, gem, vas) = (vm.clone(), gem.clone(), vas.clone());
        spawn_cpu(move || {
            let pre = drm_gpuvm_bo_create(&vm, &gem); // preallocated_vm_bo = drm_gpuvm_bo_create(gpuvm, obj);
            let va = drm_gpuva_alloc(&vm, &gem); // va = kzalloc(...);
            match kind {
                Prealloc::V6_8 => {
                    let g = mutex_lock(&gem.resv); // dma_resv_lock(obj->resv, NULL);
                    let vm_bo = drm_gpuvm_bo_obtain_prealloc_v6_8(&pre); // vm_bo = drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
                    drm_gpuva_link(&va, &vm_bo); // drm_gpuva_link(va, vm_bo);
                    drm_gpuvm_bo_put(Some(&vm_bo)); // drm_gpuvm_bo_put(vm_bo);  (the va holds its own)
                    mutex_unlock(g); // dma_resv_unlock(obj->resv);
                }
                Prealloc::Immediate => {
                    let vm_bo = drm_gpuvm_bo_obtain_prealloc(&pre); // vm_bo = drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
                    let g = mutex_lock(&gem.gpuva_lock); // mutex_lock(&obj->gpuva.lock);
                    drm_gpuva_link(&va, &vm_bo); // drm_gpuva_link(va, vm_bo);
                    mutex_unlock(g); // mutex_unlock(&obj->gpuva.lock);
                    drm_gpuvm_bo_put_deferred(Some(&vm_bo), DeferredPutRevision::Upstream);
                    // drm_gpuvm_bo_put_deferred(vm_bo);
                }
            }
            vas.lock().unwrap().push(va);
        })
    });
    for c in cpus {
        join(c);
    }
    check_vm_bo_unique(&vm, &gem);
    for va in vas.lock().unwrap().drain(..) {
        match kind {
            Prealloc::V6_8 => {
                let g = mutex_lock(&gem.resv); // dma_resv_lock(obj->resv, NULL);
                drm_gpuva_unlink(&va); // drm_gpuva_unlink(va);
                mutex_unlock(g); // dma_resv_unlock(obj->resv);
                kfree(&va);
            }
            Prealloc::Immediate => run_job_unmap(&va),
        }
    }
    drm_gem_object_put(&gem);
    teardown_immediate(&vm);
}

fn obtain_prealloc_races_v6_8() {
    obtain_prealloc_races(Prealloc::V6_8)
}

fn obtain_prealloc_races_immediate() {
    obtain_prealloc_races(Prealloc::Immediate)
}

/// The three driver paths of an immediate-mode VM at once: VM_BIND maps the GEM again
/// (CPU0), `run_job` unmaps the existing va (CPU1), and userspace closes the GEM handle while
/// a worker runs the deferred cleanup (CPU2).
fn vm_bind_races_unmap_and_close() {
    let s = setup_immediate(ListLocking::Spinlock);
    drm_gem_object_get(&s.gem); // the VM_BIND ioctl's drm_gem_object_lookup()
    let mapped: std::sync::Arc<std::sync::Mutex<Option<Obj<DrmGpuva>>>> = Default::default();
    let (vm, gem, out) = (s.vm.clone(), s.gem.clone(), mapped.clone());
    let bind = spawn_cpu(move || {
        let (_vm_bo, va) = vm_bind_map(&vm, &gem);
        drm_gem_object_put(&gem); // drm_gem_object_put(obj);  (end of the ioctl)
        *out.lock().unwrap() = Some(va);
    });
    let va = s.va.clone();
    let unmap = spawn_cpu(move || run_job_unmap(&va));
    let (vm, gem) = (s.vm.clone(), s.gem.clone());
    let close = spawn_cpu(move || {
        drm_gem_object_put(&gem); // drm_gem_handle_delete() -> drm_gem_object_put()
        drm_gpuvm_bo_deferred_cleanup(&vm, CleanupRevision::Upstream); // drm_gpuvm_bo_deferred_cleanup(&vm->base);
    });
    join(bind);
    join(unmap);
    join(close);
    let va2 = mapped.lock().unwrap().take().expect("VM_BIND mapped");
    run_job_unmap(&va2);
    teardown_immediate(&s.vm);
}

/// [`VM_BO_UNIQUE`] of `vm` in `gem`'s gpuva list (ghost).
fn check_vm_bo_unique(vm: &Obj<DrmGpuvm>, gem: &Obj<DrmGemObject>) {
    let of_vm = gem
        .ghost()
        .gpuva_list
        .ghost_entries::<DrmGpuvmBo>()
        .iter()
        .filter(|b| b.ghost().vm.ptr_eq(vm))
        .count();
    check(of_vm <= 1, &VM_BO_UNIQUE, || {
        format!("{} has {of_vm} vm_bos of {}", gem.name(), vm.name())
    });
}

// ---------------------------------------------------------------------------------------
// Scaling configurations for the loom benchmark (benches/loom_scale.rs); not in SCENARIOS
// ---------------------------------------------------------------------------------------

fn prepare_objects_scale_body<const EXECS: usize, const GEMS: usize>() {
    prepare_objects_race_n(ListLocking::Spinlock, EXECS, true, GEMS)
}

/// `prepare_objects_serialized` with `EXECS` exec paths (under the VM's resv) plus the unmap
/// path, and `GEMS` external objects: the upstream default mode, expected verified.
pub fn prepare_objects_scale<const EXECS: usize, const GEMS: usize>() -> Scenario {
    let name: &'static str =
        Box::leak(format!("prepare_objects_scale_{EXECS}x{GEMS}").into_boxed_str());
    let cpus: &'static [&'static str] = Box::leak(
        std::iter::repeat_n("exec", EXECS)
            .chain(["unmap"])
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    scenario(
        name,
        "prepare_objects_serialized scaled: EXECS exec paths under the VM's resv and one final put, GEMS extobjs",
        cpus,
        Expected::Unreachable,
        prepare_objects_scale_body::<EXECS, GEMS>,
    )
}

/// A scenario of this model (default bounds).
const fn scenario(
    name: &'static str,
    summary: &'static str,
    cpus: &'static [&'static str],
    expected: Expected,
    body: fn(),
) -> Scenario {
    Scenario::new(
        "vm_bo_lifecycle",
        name,
        summary,
        cpus,
        expected,
        SOURCES,
        body,
    )
}

const SOURCES: &[&str] = &[include_str!("gpuvm.rs"), include_str!("scenarios.rs")];

/// Two `drm_gpuvm_prepare_objects()` without the VM's resv, racing with a final put.
pub const PREPARE_OBJECTS_UNSERIALIZED: Scenario = scenario(
    "prepare_objects_unserialized",
    "two drm_gpuvm_prepare_objects() on one VM without its resv (against the kernel-doc) race with the final drm_gpuvm_bo_put() of an extobj vm_bo",
    &["exec", "exec", "unmap"],
    Expected::Reachable(LIST_HEAD_UAF),
    prepare_objects_unserialized,
);

/// The same, serialised by the VM's resv as drivers do.
pub const PREPARE_OBJECTS_SERIALIZED: Scenario = scenario(
    "prepare_objects_serialized",
    "two drm_gpuvm_prepare_objects() serialised by the VM's resv (drm_gpuvm_prepare_vm first) race with the final drm_gpuvm_bo_put() of an extobj vm_bo",
    &["exec", "exec", "unmap"],
    Expected::Unreachable,
    prepare_objects_serialized,
);

/// A3: the driver locks `vm_bo->obj->resv` without a GEM reference, drops the vm_bo, unlocks.
pub const RESV_LOCK_DANCE_BROKEN: Scenario = scenario(
    "resv_lock_dance_broken",
    "a driver locks vm_bo->obj->resv without a GEM reference, drops the last vm_bo reference and unlocks, while the GEM handle is closed",
    &["driver put", "handle close"],
    Expected::Reachable(USE_AFTER_FREE),
    resv_lock_dance_broken,
);

/// A3 fixed: the driver holds a GEM reference across the dance (drm_gem_object_get/put).
pub const RESV_LOCK_DANCE_FIXED: Scenario = scenario(
    "resv_lock_dance_fixed",
    "the same dance holding drm_gem_object_get() across lock, put and unlock",
    &["driver put", "handle close"],
    Expected::Unreachable,
    resv_lock_dance_fixed,
);

/// A4: a final drm_gpuvm_bo_put() without the GEM gpuva lock races with obtain/find.
pub const PUT_RACES_OBTAIN_BROKEN: Scenario = scenario(
    "put_races_obtain_broken",
    "the last drm_gpuvm_bo_put() without the GEM gpuva lock races with drm_gpuvm_bo_obtain() of the same (VM, GEM) under it",
    &["unmap", "bind"],
    Expected::Reachable(GPUVA_LIST_LIVE),
    put_races_obtain_broken,
);

/// A4 fixed: the final put holds the GEM gpuva lock, as the kernel-doc requires.
pub const PUT_RACES_OBTAIN_FIXED: Scenario = scenario(
    "put_races_obtain_fixed",
    "the last drm_gpuvm_bo_put() under the GEM gpuva lock races with drm_gpuvm_bo_obtain()",
    &["unmap", "bind"],
    Expected::Unreachable,
    put_races_obtain_fixed,
);

/// A9: two drm_gpuvm_bo_obtain() of one (VM, GEM) without the GEM gpuva lock.
// loom stops at the first symptom: the second CPU reads the first one's vm_bo through a
// list it linked without the lock, unordered after its initialisation. shuttle has no
// data-race detector and goes on to the duplicate.
pub const OBTAIN_RACES_OBTAIN_BROKEN: Scenario = scenario(
    "obtain_races_obtain_broken",
    "two drm_gpuvm_bo_obtain() of one (VM, GEM) without the GEM gpuva lock",
    &["bind", "bind"],
    Expected::Reachable(DATA_RACE),
    obtain_races_obtain_broken,
)
.expected_sc(Expected::Reachable(VM_BO_UNIQUE));

/// A9 fixed: both obtains under the GEM gpuva lock.
pub const OBTAIN_RACES_OBTAIN_FIXED: Scenario = scenario(
    "obtain_races_obtain_fixed",
    "two drm_gpuvm_bo_obtain() of one (VM, GEM) under the GEM gpuva lock",
    &["bind", "bind"],
    Expected::Unreachable,
    obtain_races_obtain_fixed,
);

/// Option (2): RESV_PROTECTED mode, exec paths under the VM's resv, the final put under both
/// resvs.
pub const PREPARE_OBJECTS_RESV_PROTECTED: Scenario = scenario(
    "prepare_objects_resv_protected",
    "option (2), DRM_GPUVM_RESV_PROTECTED: two drm_gpuvm_prepare_objects() under the VM's resv race with a final put under the VM's and the GEM's resv",
    &["exec", "exec", "unmap"],
    Expected::Unreachable,
    prepare_objects_resv_protected,
);

/// Option (3), rejected in review: an internal mutex per list held across the walk.
pub const PREPARE_OBJECTS_INTERNAL_MUTEX: Scenario = scenario(
    "prepare_objects_internal_mutex",
    "option (3), rejected: prepare_objects holds an internal list mutex while it locks resvs; a final put under a resv takes that mutex in destroy",
    &["exec", "unmap"],
    Expected::Reachable(LOCK_ORDER),
    prepare_objects_internal_mutex,
);

/// A1: the v3 iterator returns an uninitialised pointer once the list is empty.
pub const ITERATOR_V3: Scenario = scenario(
    "iterator_v3",
    "v3 of the series: get_next_vm_bo_from_list() leaves __vm_bo uninitialised, so the walk does not end on an empty list and reuses an element it already dropped",
    &["exec"],
    Expected::Reachable(USE_AFTER_FREE),
    iterator_v3,
);

/// Upstream validate in the default mode: submits serialised by the VM's resv.
pub const VALIDATE_DEFAULT_MODE: Scenario = scenario(
    "validate_default_mode",
    "two submits (prepare_vm, prepare_objects, validate with bo_evict(false)) on a VM with two evicted extobjs race with a final put, default list-locking mode",
    &["exec", "exec", "unmap"],
    Expected::Unreachable,
    validate_default_mode,
);

/// Upstream validate in RESV_PROTECTED mode (evicted extobjs join the evict list lazily in
/// prepare_objects).
pub const VALIDATE_RESV_PROTECTED: Scenario = scenario(
    "validate_resv_protected",
    "the same submits in DRM_GPUVM_RESV_PROTECTED mode: evicted extobjs join the evict list lazily in prepare_objects_locked",
    &["exec", "exec", "unmap"],
    Expected::Unreachable,
    validate_resv_protected,
);

/// The eviction path against a submit, default mode.
pub const VALIDATE_RACES_EVICT_DEFAULT_MODE: Scenario = scenario(
    "validate_races_evict_default_mode",
    "TTM's eviction path (drm_gpuvm_bo_evict(true) under the GEM's resv) races with a submit (prepare_vm, prepare_objects, validate), default list-locking mode",
    &["exec", "evict"],
    Expected::Unreachable,
    validate_races_evict_default_mode,
);

/// The same in RESV_PROTECTED mode (the evicted extobj joins the evict list lazily).
pub const VALIDATE_RACES_EVICT_RESV_PROTECTED: Scenario = scenario(
    "validate_races_evict_resv_protected",
    "the same in DRM_GPUVM_RESV_PROTECTED mode, where drm_gpuvm_bo_evict() only marks an extobj and prepare_objects_locked queues it",
    &["exec", "evict"],
    Expected::Unreachable,
    validate_races_evict_resv_protected,
);

/// v3 of the deferred-cleanup series: decrement, then lock inside the release.
pub const DEFERRED_PUT_RACES_OBTAIN_V3: Scenario = scenario(
    "deferred_put_races_obtain_v3",
    "immediate mode: a deferred put of v3 of the series (kref_put, then obj->gpuva.lock inside the release) races with drm_gpuvm_bo_obtain_prealloc() of the same (VM, GEM)",
    &["run_job", "VM_BIND"],
    Expected::Reachable(GPUVA_LIST_LIVE),
    deferred_put_races_obtain_v3,
);

/// Upstream deferred put (kref_put_mutex) against obtain_prealloc.
pub const DEFERRED_PUT_RACES_OBTAIN_FIXED: Scenario = scenario(
    "deferred_put_races_obtain_fixed",
    "immediate mode: drm_gpuvm_bo_put_deferred() (kref_put_mutex on obj->gpuva.lock) races with drm_gpuvm_bo_obtain_prealloc() of the same (VM, GEM)",
    &["run_job", "VM_BIND"],
    Expected::Unreachable,
    deferred_put_races_obtain_fixed,
);

/// The zombie queued on bo_defer before obj->gpuva.lock is released.
pub const DEFERRED_PUT_RACES_CLEANUP_BROKEN: Scenario = scenario(
    "deferred_put_races_cleanup_broken",
    "immediate mode, GEM handle closed: a deferred put that llist_adds the zombie before unlocking obj->gpuva.lock races with drm_gpuvm_bo_deferred_cleanup()",
    &["run_job", "cleanup"],
    Expected::Reachable(USE_AFTER_FREE),
    deferred_put_races_cleanup_broken,
)
// The window is two steps of CPU0 wide: shuttle's random scheduler needed 1 400 to 14 000
// runs to hit it over four seeds, and 34 899 to 113 679 over seeds 0-2 once list_add/list_del
// read the KASAN shadow (issue 10: more scheduling points dilute the window), so it gets
// 1 000 000 (PCT finds it in tens).
.bounds(Bounds {
    shuttle_iterations: 1_000_000,
    ..Bounds::DEFAULT
});

/// Upstream: unlock first, then queue.
pub const DEFERRED_PUT_RACES_CLEANUP_FIXED: Scenario = scenario(
    "deferred_put_races_cleanup_fixed",
    "immediate mode, GEM handle closed: drm_gpuvm_bo_put_deferred() (unlock, then llist_add) races with drm_gpuvm_bo_deferred_cleanup()",
    &["run_job", "cleanup"],
    Expected::Unreachable,
    deferred_put_races_cleanup_fixed,
);

/// Zombies unlinked from the VM's lists without the VM's resv, then freed.
pub const ZOMBIE_CLEANUP_UNLOCKED: Scenario = scenario(
    "zombie_cleanup_unlocked",
    "RESV_PROTECTED + immediate mode: drm_gpuva_unlink_defer() leaves a zombie on the extobj/evict lists; a deferred cleanup that unlinks it without the VM's resv frees it under a submit walking those lists",
    &["run_job+cleanup", "submit"],
    Expected::Reachable(LOCK_NOT_HELD),
    zombie_cleanup_unlocked,
)
// loom stops at the root cause, which every execution shows: the lists are touched without
// the VM's resv that protects them. The lists are ghost state, so loom's DPOR does not tell
// apart the interleavings in which the walker then touches the freed zombie; shuttle's
// schedulers, which do not prune, go on to the use-after-free.
.expected_sc(Expected::Reachable(USE_AFTER_FREE));

/// Upstream: the cleanup unlinks zombies under the VM's resv; the walkers skip them.
pub const ZOMBIE_CLEANUP_FIXED: Scenario = scenario(
    "zombie_cleanup_fixed",
    "RESV_PROTECTED + immediate mode, upstream: the cleanup unlinks zombies under the VM's resv, and the submit's walkers skip them (drm_gpuvm_bo_is_zombie)",
    &["run_job+cleanup", "submit"],
    Expected::Unreachable,
    zombie_cleanup_fixed,
);

/// v6.8 obtain_prealloc: the caller holds the GEM's resv.
pub const OBTAIN_PREALLOC_RACES_V6_8: Scenario = scenario(
    "obtain_prealloc_races_v6_8",
    "two VM_BINDs map one GEM in one VM with preallocated vm_bos: v6.8 drm_gpuvm_bo_obtain_prealloc() and drm_gpuva_link() under the GEM's resv",
    &["VM_BIND", "VM_BIND"],
    Expected::Unreachable,
    obtain_prealloc_races_v6_8,
);

/// Nov 2025 obtain_prealloc: immediate mode, takes obj->gpuva.lock itself.
pub const OBTAIN_PREALLOC_RACES_IMMEDIATE: Scenario = scenario(
    "obtain_prealloc_races_immediate",
    "the same in immediate mode: drm_gpuvm_bo_obtain_prealloc() takes obj->gpuva.lock itself and frees the duplicate after unlocking",
    &["VM_BIND", "VM_BIND"],
    Expected::Unreachable,
    obtain_prealloc_races_immediate,
);

/// Upstream immediate mode with deferred cleanup: all three driver paths.
pub const VM_BIND_RACES_UNMAP_AND_CLOSE: Scenario = scenario(
    "vm_bind_races_unmap_and_close",
    "immediate mode, upstream: VM_BIND maps a GEM again (obtain_prealloc, extobj_add, link, deferred put) while run_job unmaps its existing va (unlink_defer) and the GEM handle is closed before a deferred cleanup",
    &["VM_BIND", "run_job", "close+cleanup"],
    Expected::Unreachable,
    vm_bind_races_unmap_and_close,
);

/// Every scenario of this model.
pub const SCENARIOS: &[Scenario] = &[
    PREPARE_OBJECTS_UNSERIALIZED,
    PREPARE_OBJECTS_SERIALIZED,
    PREPARE_OBJECTS_RESV_PROTECTED,
    PREPARE_OBJECTS_INTERNAL_MUTEX,
    ITERATOR_V3,
    VALIDATE_DEFAULT_MODE,
    VALIDATE_RESV_PROTECTED,
    VALIDATE_RACES_EVICT_DEFAULT_MODE,
    VALIDATE_RACES_EVICT_RESV_PROTECTED,
    RESV_LOCK_DANCE_BROKEN,
    RESV_LOCK_DANCE_FIXED,
    PUT_RACES_OBTAIN_BROKEN,
    PUT_RACES_OBTAIN_FIXED,
    OBTAIN_RACES_OBTAIN_BROKEN,
    OBTAIN_RACES_OBTAIN_FIXED,
    OBTAIN_PREALLOC_RACES_V6_8,
    OBTAIN_PREALLOC_RACES_IMMEDIATE,
    DEFERRED_PUT_RACES_OBTAIN_V3,
    DEFERRED_PUT_RACES_OBTAIN_FIXED,
    DEFERRED_PUT_RACES_CLEANUP_BROKEN,
    DEFERRED_PUT_RACES_CLEANUP_FIXED,
    ZOMBIE_CLEANUP_UNLOCKED,
    ZOMBIE_CLEANUP_FIXED,
    VM_BIND_RACES_UNMAP_AND_CLOSE,
];
