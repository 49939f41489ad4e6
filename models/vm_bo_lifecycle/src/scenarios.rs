//! Scenarios of the vm_bo lifecycle model. Each states its expected result; the harness
//! judges it (see `checker::explore`).

use checker::invariant::{
    Invariant, DATA_RACE, LIST_HEAD_UAF, REFCOUNT_ADD_ON_ZERO, USE_AFTER_FREE,
};
use checker::kernel::lockdep::LOCK_ORDER;
use checker::kernel::{mutex_lock, mutex_unlock, Obj};
use checker::scenario::{check, join, spawn_cpu, Expected, Scenario};

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

/// Every invariant this model defines.
pub const INVARIANTS: &[Invariant] = &[
    EXTOBJ_LIST_RESTORED,
    PREPARE_LOCKED_ALL,
    VM_BO_UNIQUE,
    VALIDATE_COMPLETE,
];

/// The objects of the iterator scenarios: one VM, two external GEMs, a vm_bo of each on the
/// VM's extobj list. The main thread holds one reference on each (the vm_bo's reference
/// stands for a mapped va).
struct Setup {
    vm: Obj<DrmGpuvm>,
    gems: [Obj<DrmGemObject>; 2],
    vm_bos: [Obj<DrmGpuvmBo>; 2],
}

fn setup_two_extobjs(locking: ListLocking) -> Setup {
    let vm = drm_gpuvm_init(locking);
    let gems = [drm_gem_object_init(), drm_gem_object_init()];
    let vm_bos = gems.clone().map(|gem| {
        let vm_resv = drm_gpuvm_resv_protected(&vm).then(|| mutex_lock(&vm.resv)); // drm_gpuvm_resv_lock(gpuvm) (RESV_PROTECTED)
        let g = mutex_lock(drm_gem_gpuva_lock(&gem)); // dma_resv_lock(obj->resv, NULL);
        let vm_bo = drm_gpuvm_bo_obtain(&vm, &gem);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        drm_gpuvm_bo_extobj_add(&vm_bo);
        if let Some(g) = vm_resv {
            mutex_unlock(g); // drm_gpuvm_resv_unlock(gpuvm)
        }
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
/// `drm_gpuvm_bo_put()` requires (`drm_gpuva_unlink()` of the last va), and, in
/// RESV_PROTECTED mode, under the VM's resv too (taken first, as drm_exec users do).
fn final_put(vm: &Obj<DrmGpuvm>, gem: &Obj<DrmGemObject>, vm_bo: &Obj<DrmGpuvmBo>) {
    let vm_resv = drm_gpuvm_resv_protected(vm).then(|| mutex_lock(&vm.resv)); // drm_gpuvm_resv_lock(gpuvm) (RESV_PROTECTED)
    let g = mutex_lock(drm_gem_gpuva_lock(gem)); // dma_resv_lock(obj->resv, NULL);
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
    let s = setup_two_extobjs(locking);
    let cpus: Vec<_> = (0..execs)
        .map(|_| {
            let (vm, gem_b) = (s.vm.clone(), s.gems[1].clone());
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

/// Both vm_bos of `s` evicted (`drm_gpuvm_bo_evict(vm_bo, true)` under the GEM's resv, and
/// the VM's in RESV_PROTECTED mode), as TTM's eviction path leaves them.
fn evict_all(s: &Setup) {
    for vm_bo in &s.vm_bos {
        let vm_resv = drm_gpuvm_resv_protected(&s.vm).then(|| mutex_lock(&s.vm.resv));
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
    evict_all(&s);
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
    let g = mutex_lock(drm_gem_gpuva_lock(&obj)); // dma_resv_lock(obj->resv, NULL);
    drm_gpuvm_bo_put(Some(vm_bo)); // drm_gpuvm_bo_put(vm_bo);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
    if gem_ref {
        drm_gem_object_put(&obj); // drm_gem_object_put(obj);
    }
}

/// One VM (default mode), one GEM holding its handle's reference, and the vm_bo of the two,
/// obtained under the GEM gpuva lock; the caller holds one reference on each.
fn setup_one_vm_bo() -> (Obj<DrmGpuvm>, Obj<DrmGemObject>, Obj<DrmGpuvmBo>) {
    let vm = drm_gpuvm_init(ListLocking::Spinlock);
    let gem = drm_gem_object_init();
    let g = mutex_lock(drm_gem_gpuva_lock(&gem)); // dma_resv_lock(obj->resv, NULL);
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
        let g = mutex_lock(drm_gem_gpuva_lock(&gem1)); // dma_resv_lock(obj->resv, NULL);
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
    let vm = drm_gpuvm_init(ListLocking::Spinlock);
    let gem = drm_gem_object_init();
    let got: std::sync::Arc<std::sync::Mutex<Vec<Obj<DrmGpuvmBo>>>> = Default::default();
    let cpus = [0, 1].map(|_| {
        let (vm, gem, got) = (vm.clone(), gem.clone(), got.clone());
        spawn_cpu(move || {
            let g = locked.then(|| mutex_lock(drm_gem_gpuva_lock(&gem))); // dma_resv_lock(obj->resv, NULL);
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
    let of_vm = gem
        .ghost()
        .gpuva_list
        .ghost_entries::<DrmGpuvmBo>()
        .iter()
        .filter(|b| b.ghost().vm.ptr_eq(&vm))
        .count();
    check(of_vm <= 1, &VM_BO_UNIQUE, || {
        format!("{} has {of_vm} vm_bos of {}", gem.name(), vm.name())
    });
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
    Expected::Reachable(REFCOUNT_ADD_ON_ZERO),
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

/// Every scenario of this model.
pub const SCENARIOS: &[Scenario] = &[
    PREPARE_OBJECTS_UNSERIALIZED,
    PREPARE_OBJECTS_SERIALIZED,
    PREPARE_OBJECTS_RESV_PROTECTED,
    PREPARE_OBJECTS_INTERNAL_MUTEX,
    ITERATOR_V3,
    VALIDATE_DEFAULT_MODE,
    VALIDATE_RESV_PROTECTED,
    RESV_LOCK_DANCE_BROKEN,
    RESV_LOCK_DANCE_FIXED,
    PUT_RACES_OBTAIN_BROKEN,
    PUT_RACES_OBTAIN_FIXED,
    OBTAIN_RACES_OBTAIN_BROKEN,
    OBTAIN_RACES_OBTAIN_FIXED,
];
