//! Model of the drm_gpuvm vm_bo lifecycle: drivers/gpu/drm/drm_gpuvm.c and
//! include/drm/drm_gpuvm.h as of v6.8 (the merged design of 94bc2249f08e / 50c1a36f594b) in
//! both list-locking modes, plus what came later: the `gpuva.lock` mutex of
//! `DRM_GPUVM_IMMEDIATE_MODE` (v6.18, e7fa80e2932c) and the deferred vm_bo cleanup (zombies,
//! `bo_defer`, `kref_put_mutex`; Alice Ryhl's series, ~v6.19, read at Darksonn/linux
//! 4e1df182). Line numbers cite v6.8; functions that v6.8 does not have cite the later tree.
//!
//! Every function carries its kernel name. Every scheduling point is on a line of its own,
//! commented with the kernel statement it stands for; `MODEL:` marks each simplification
//! (they are listed in this crate's README).

use checker::kernel::{
    kfree, kref_get, kref_get_unless_zero, kref_put, kref_put_mutex, kref_read, kzalloc,
    list_add_tail, list_del, list_del_init, list_empty, list_first_entry, list_for_each_entry,
    list_move_tail, list_splice, llist_add, llist_del_all, llist_empty, lockdep_assert_held,
    mutex_lock, mutex_unlock, spin_lock, spin_unlock, trace_call, trace_note, Guarded, KMutex,
    Kref, ListHead, LlistHead, LlistNode, LockGuard, Obj, SpinLock, StackListHead, INIT_LIST_HEAD,
    WARN_ON,
};
use checker::scenario::{check, witness, witness_if};

use crate::invariants::{
    FINAL_PUT_DURING_ITERATION, GPUVA_LIST_LIVE, PREALLOC_FINDS_EXISTING, WALK_SKIPS_ZOMBIE,
};

/// `struct drm_gem_object`, as far as drm_gpuvm uses it.
pub struct DrmGemObject {
    /// `obj->refcount`.
    pub refcount: Kref,
    /// `obj->resv` (`obj->_resv`): the object's own dma_resv.
    /// MODEL: the dma_resv ww_mutex is a plain mutex; the ww acquire context and its -EDEADLK
    /// back-off are not modelled (a lock cycle would show as a deadlock).
    pub resv: KMutex,
    /// `obj->gpuva.lock` (v6.18): the GEM gpuva lock of immediate-mode VMs.
    pub gpuva_lock: KMutex,
    /// `obj->gpuva.list`: every vm_bo of this GEM, protected by the GEM gpuva lock:
    /// `obj->resv`, or `obj->gpuva.lock` for immediate-mode VMs.
    pub gpuva_list: ListHead,
}

/// How the VM's extobj/evict lists are protected: drm_gpuvm's two modes, which are options
/// (1) and (2) of Danilo Krummrich's summary in the v5 thread (Oct 3 2023), and option (3),
/// which was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListLocking {
    /// The default (v6.8): each list's spinlock, taken per element by the lockless iterator.
    /// Option (1).
    Spinlock,
    /// `DRM_GPUVM_RESV_PROTECTED` (v6.8, opt-in): the VM's resv protects the lists; a final
    /// put needs it as well as the GEM gpuva lock. Option (2).
    ResvProtected,
    /// Option (3), rejected in review: an internal mutex per list, held across an iteration.
    /// Not in any kernel; modelled to show why it was rejected.
    InternalMutex,
}

/// The lists `extobj` and `evict` of `struct drm_gpuvm` (include/drm/drm_gpuvm.h).
pub struct VmBoList {
    /// `list`: the vm_bos on the list.
    pub list: ListHead,
    /// `lock`: protects `list` and `local_list` (default mode).
    pub lock: SpinLock,
    /// The internal mutex of option (3) (not in the kernel).
    pub mutex: KMutex,
    /// `local_list`: the local list of the iteration in progress (a pointer to the on-stack
    /// head of `get_next_vm_bo_from_list`'s caller), NULL when none runs. `Guarded::new`, not
    /// `new_refs`: it points to a stack `list_head`, never to a `kzalloc`ed object, so no
    /// `kfree` can leave it dangling; a head whose function returned is `LIST_HEAD_UAF` at
    /// its next use, and `EXTOBJ_LIST_RESTORED` requires it NULL once every iteration
    /// returned.
    pub local_list: Guarded<Option<ListHead>>,
}

/// Which of the VM's two vm_bo lists (the `__list_name` argument of the kernel macros).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListName {
    Extobj,
    Evict,
}

impl ListName {
    pub fn as_str(self) -> &'static str {
        match self {
            ListName::Extobj => "extobj",
            ListName::Evict => "evict",
        }
    }
}

/// `struct drm_gpuvm`, as far as the vm_bo lifecycle uses it.
pub struct DrmGpuvm {
    /// `gpuvm->kref`.
    pub kref: Kref,
    /// `gpuvm->r_obj->resv`: the VM's shared dma_resv.
    /// MODEL: the resv object `r_obj` is not a separate GEM; its resv is a mutex in the VM.
    pub resv: KMutex,
    /// `gpuvm->flags & DRM_GPUVM_RESV_PROTECTED`, or option (3).
    pub locking: ListLocking,
    /// `gpuvm->flags & DRM_GPUVM_IMMEDIATE_MODE` (v6.18): the VA space is updated from the
    /// fence-signalling path (`run_job`), so the GEM gpuva lock is `obj->gpuva.lock`.
    pub immediate_mode: bool,
    /// `gpuvm->bo_defer`: zombie vm_bos awaiting `drm_gpuvm_bo_deferred_cleanup()`.
    pub bo_defer: LlistHead,
    pub extobj: VmBoList,
    pub evict: VmBoList,
}

impl DrmGpuvm {
    /// `&gpuvm->__list_name`.
    pub fn list(&self, name: ListName) -> &VmBoList {
        match name {
            ListName::Extobj => &self.extobj,
            ListName::Evict => &self.evict,
        }
    }
}

/// `struct drm_gpuvm_bo`.
pub struct DrmGpuvmBo {
    /// `vm_bo->vm` (a counted reference).
    pub vm: Obj<DrmGpuvm>,
    /// `vm_bo->obj` (a counted reference).
    pub obj: Obj<DrmGemObject>,
    /// `vm_bo->kref`.
    pub kref: Kref,
    /// `vm_bo->evicted`, written under `obj->resv`.
    pub evicted: Guarded<bool>,
    /// `vm_bo->list.entry.gem`: link in `obj->gpuva.list`.
    pub entry_gem: ListHead,
    /// `vm_bo->list.entry.extobj`.
    pub entry_extobj: ListHead,
    /// `vm_bo->list.entry.evict`.
    pub entry_evict: ListHead,
    /// `vm_bo->list.entry.bo_defer`: link in `gpuvm->bo_defer` once a zombie.
    pub entry_bo_defer: LlistNode,
    /// `vm_bo->list.gpuva`: the vas mapped through this vm_bo (GEM gpuva lock).
    pub list_gpuva: ListHead,
}

impl DrmGpuvmBo {
    /// `&vm_bo->list.entry.__list_name`.
    pub fn entry(&self, name: ListName) -> &ListHead {
        match name {
            ListName::Extobj => &self.entry_extobj,
            ListName::Evict => &self.entry_evict,
        }
    }
}

/// The GEM gpuva lock that `drm_gem_gpuva_assert_lock_held(gpuvm, obj)` (include/drm/drm_gem.h,
/// v6.18) asserts: `obj->gpuva.lock` for an immediate-mode VM, else `obj->resv`
/// (`drm_gem_gpuva_set_lock` of v6.8 not used).
pub fn drm_gem_gpuva_lock<'a>(gpuvm: &Obj<DrmGpuvm>, obj: &'a Obj<DrmGemObject>) -> &'a KMutex {
    if drm_gpuvm_immediate_mode(gpuvm) {
        &obj.gpuva_lock
    } else {
        &obj.resv
    }
}

/// `drm_gpuvm_immediate_mode()` (include/drm/drm_gpuvm.h, v6.18).
pub fn drm_gpuvm_immediate_mode(gpuvm: &Obj<DrmGpuvm>) -> bool {
    gpuvm.immediate_mode
}

// ---------------------------------------------------------------------------------------
// GEM objects (drivers/gpu/drm/drm_gem.c, include/drm/drm_gem.h)
// ---------------------------------------------------------------------------------------

/// `drm_gem_object_init()` of a freshly allocated object (drivers/gpu/drm/drm_gem.c, v6.18):
/// refcount 1, own resv, `gpuva.lock`, empty gpuva list (`drm_gem_gpuva_init`).
/// MODEL: a GEM is mapped only in VMs of `gpuvm`'s mode, so its gpuva list declares that
/// mode's GEM gpuva lock.
pub fn drm_gem_object_init(gpuvm: &Obj<DrmGpuvm>) -> Obj<DrmGemObject> {
    let immediate = drm_gpuvm_immediate_mode(gpuvm);
    let obj = kzalloc("gem", |id, name| {
        let resv = KMutex::new(id, name, "resv");
        let gpuva_lock = KMutex::new(id, name, "gpuva.lock"); // mutex_init(&obj->gpuva.lock);
        let list_lock = if immediate { &gpuva_lock } else { &resv };
        DrmGemObject {
            refcount: Kref::new(name), // kref_init(&obj->refcount);
            gpuva_list: ListHead::new_head(id, name, "gpuva.list", list_lock),
            resv,
            gpuva_lock,
        }
    });
    INIT_LIST_HEAD(&obj.gpuva_list); // drm_gem_gpuva_init(obj): INIT_LIST_HEAD(&obj->gpuva.list);
    obj
}

/// `drm_gem_object_get()` (include/drm/drm_gem.h, v6.8).
pub fn drm_gem_object_get(obj: &Obj<DrmGemObject>) {
    kref_get(&obj.refcount); // kref_get(&obj->refcount);
}

/// `drm_gem_object_put()` (include/drm/drm_gem.h, v6.8): the last put frees the object,
/// and with it its resv.
pub fn drm_gem_object_put(obj: &Obj<DrmGemObject>) {
    let _f = trace_call("drm_gem_object_put", obj.name());
    kref_put(&obj.refcount, || drm_gem_object_free(obj)); // kref_put(&obj->refcount, drm_gem_object_free);
}

/// `drm_gem_object_free()` (drivers/gpu/drm/drm_gem.c, v6.8).
/// MODEL: the driver's `funcs->free` is a plain kfree.
fn drm_gem_object_free(obj: &Obj<DrmGemObject>) {
    kfree(obj); // obj->funcs->free(obj);
}

// ---------------------------------------------------------------------------------------
// The VM (drm_gpuvm.c)
// ---------------------------------------------------------------------------------------

/// `drm_gpuvm_init()` (drm_gpuvm.c:1009, v6.8), with the list-locking mode `locking` and
/// `DRM_GPUVM_IMMEDIATE_MODE` if `immediate` (v6.18).
pub fn drm_gpuvm_init(locking: ListLocking, immediate: bool) -> Obj<DrmGpuvm> {
    let vm = kzalloc("vm", |id, name| {
        let resv = KMutex::new(id, name, "resv");
        let list = |field: &str| {
            let lock = SpinLock::new(id, name, &format!("{field}.lock"));
            let mutex = KMutex::new(id, name, &format!("{field}.mutex"));
            let head = format!("{field}.list");
            let list = match locking {
                ListLocking::Spinlock => ListHead::new_head(id, name, &head, &lock),
                ListLocking::ResvProtected => ListHead::new_head(id, name, &head, &resv),
                ListLocking::InternalMutex => ListHead::new_head(id, name, &head, &mutex),
            };
            VmBoList {
                list,
                local_list: Guarded::new(format!("{name}.{field}.local_list"), &lock, None),
                lock,
                mutex,
            }
        };
        DrmGpuvm {
            kref: Kref::new(name),
            extobj: list("extobj"),
            evict: list("evict"),
            resv,
            locking,
            immediate_mode: immediate,
            bo_defer: LlistHead::new(name, "bo_defer"), // init_llist_head(&gpuvm->bo_defer);
        }
    });
    INIT_LIST_HEAD(&vm.extobj.list); // INIT_LIST_HEAD(&gpuvm->extobj.list);
    INIT_LIST_HEAD(&vm.evict.list); // INIT_LIST_HEAD(&gpuvm->evict.list);
    vm
}

/// `drm_gpuvm_resv_protected()` (include/drm/drm_gpuvm.h, v6.8).
pub fn drm_gpuvm_resv_protected(vm: &Obj<DrmGpuvm>) -> bool {
    vm.locking == ListLocking::ResvProtected
}

/// `cond_spin_lock(lock, !!lock)` of the list helpers (drm_gpuvm.c:795): the list's lock in
/// the default mode; none in RESV_PROTECTED mode, where the caller holds the VM's resv
/// (asserted here, as `drm_gpuvm_bo_extobj_add()` and `drm_gpuvm_bo_destroy()` do); the
/// internal mutex in option (3).
fn vm_bo_list_lock(vm: &Obj<DrmGpuvm>, name: ListName) -> Option<LockGuard> {
    let l = vm.list(name);
    match vm.locking {
        ListLocking::Spinlock => Some(spin_lock(&l.lock)), // cond_spin_lock(lock, !!lock);
        ListLocking::ResvProtected => {
            lockdep_assert_held(&vm.resv); // drm_gpuvm_resv_assert_held(gpuvm);
            None
        }
        ListLocking::InternalMutex => Some(mutex_lock(&l.mutex)), // mutex_lock(&gpuvm->__list_name.mutex);  (option 3)
    }
}

/// The matching `cond_spin_unlock(lock, !!lock)`.
fn vm_bo_list_unlock(vm: &Obj<DrmGpuvm>, g: Option<LockGuard>) {
    match (vm.locking, g) {
        (ListLocking::Spinlock, Some(g)) => spin_unlock(g), // cond_spin_unlock(lock, !!lock);
        (_, Some(g)) => mutex_unlock(g),                    // mutex_unlock(...);  (option 3)
        (_, None) => {}
    }
}

/// `drm_gpuvm_get()` (include/drm/drm_gpuvm.h, v6.8).
pub fn drm_gpuvm_get(vm: &Obj<DrmGpuvm>) {
    kref_get(&vm.kref); // kref_get(&gpuvm->kref);
}

/// `drm_gpuvm_put()` (drm_gpuvm.c:1125, v6.8).
pub fn drm_gpuvm_put(vm: &Obj<DrmGpuvm>) {
    let _f = trace_call("drm_gpuvm_put", vm.name());
    kref_put(&vm.kref, || drm_gpuvm_free(vm)); // kref_put(&gpuvm->kref, drm_gpuvm_free);
}

/// `drm_gpuvm_free()` → `drm_gpuvm_fini()` (drm_gpuvm.c:1085, v6.8): WARN if the lists are
/// not empty, then `ops->vm_free`.
fn drm_gpuvm_free(vm: &Obj<DrmGpuvm>) {
    for name in [ListName::Extobj, ListName::Evict] {
        // MODEL: fini reads the lists without their lock (no concurrency is left); the model
        // takes the lock that protects them in this mode, so the lock checks stay quiet.
        let g = match vm.locking {
            ListLocking::Spinlock => spin_lock(&vm.list(name).lock),
            ListLocking::ResvProtected => mutex_lock(&vm.resv),
            ListLocking::InternalMutex => mutex_lock(&vm.list(name).mutex),
        };
        let empty = list_empty(&vm.list(name).list);
        vm_bo_list_unlock(vm, Some(g));
        WARN_ON(
            !empty,
            &format!("!list_empty(&gpuvm->{}.list)", name.as_str()),
        ); // drm_WARN(..., "... list should be empty.")
    }
    let empty = llist_empty(&vm.bo_defer);
    WARN_ON(!empty, "!llist_empty(&gpuvm->bo_defer)"); // drm_WARN(gpuvm->drm, !llist_empty(&gpuvm->bo_defer), "VM BO cleanup list should be empty.\n");
    kfree(vm); // gpuvm->ops->vm_free(gpuvm);
}

// ---------------------------------------------------------------------------------------
// vm_bo (drm_gpuvm.c)
// ---------------------------------------------------------------------------------------

/// `drm_gpuvm_bo_create()` (drm_gpuvm.c:1469, v6.8).
pub fn drm_gpuvm_bo_create(vm: &Obj<DrmGpuvm>, obj: &Obj<DrmGemObject>) -> Obj<DrmGpuvmBo> {
    let _f = trace_call("drm_gpuvm_bo_create", obj.name());
    let vm_bo = kzalloc("vm_bo", |id, name| DrmGpuvmBo {
        vm: vm.clone(),
        obj: obj.clone(),
        kref: Kref::new(name), // kref_init(&vm_bo->kref);
        evicted: Guarded::new(format!("{name}.evicted"), &obj.resv, false),
        entry_gem: ListHead::new(id, name, "list.entry.gem"),
        entry_extobj: ListHead::new(id, name, "list.entry.extobj"),
        entry_evict: ListHead::new(id, name, "list.entry.evict"),
        entry_bo_defer: LlistNode::new(id, name, "list.entry.bo_defer"), // init_llist_node(&vm_bo->list.entry.bo_defer);
        list_gpuva: ListHead::new_head(id, name, "list.gpuva", drm_gem_gpuva_lock(vm, obj)),
    });
    drm_gpuvm_get(vm); // vm_bo->vm = drm_gpuvm_get(gpuvm);
    drm_gem_object_get(obj); // drm_gem_object_get(obj);
    INIT_LIST_HEAD(&vm_bo.entry_gem); // INIT_LIST_HEAD(&vm_bo->list.entry.gem);
    INIT_LIST_HEAD(&vm_bo.entry_extobj); // INIT_LIST_HEAD(&vm_bo->list.entry.extobj);
    INIT_LIST_HEAD(&vm_bo.entry_evict); // INIT_LIST_HEAD(&vm_bo->list.entry.evict);
    INIT_LIST_HEAD(&vm_bo.list_gpuva); // INIT_LIST_HEAD(&vm_bo->list.gpuva);
    vm_bo
}

/// `drm_gpuvm_bo_get()` (include/drm/drm_gpuvm.h, v6.8).
pub fn drm_gpuvm_bo_get(vm_bo: &Obj<DrmGpuvmBo>) {
    kref_get(&vm_bo.kref); // kref_get(&vm_bo->kref);
}

/// `drm_gpuvm_bo_put()` (drm_gpuvm.c:1542, v6.8): returns true if the vm_bo was destroyed.
pub fn drm_gpuvm_bo_put(vm_bo: Option<&Obj<DrmGpuvmBo>>) -> bool {
    let Some(vm_bo) = vm_bo else { return false }; // if (vm_bo)
    let _f = trace_call("drm_gpuvm_bo_put", vm_bo.name());
    kref_put(&vm_bo.kref, || drm_gpuvm_bo_destroy(vm_bo)) // return !!kref_put(&vm_bo->kref, drm_gpuvm_bo_destroy);
}

/// `drm_gpuvm_bo_destroy()` (drm_gpuvm.c:1499, v6.8; split as in the deferred-cleanup
/// tree): take the vm_bo off every list, then free it.
fn drm_gpuvm_bo_destroy(vm_bo: &Obj<DrmGpuvmBo>) {
    let _f = trace_call("drm_gpuvm_bo_destroy", vm_bo.name());
    let gpuvm = vm_bo.vm.clone(); // struct drm_gpuvm *gpuvm = vm_bo->vm;
    if drm_gpuvm_resv_protected(&gpuvm) {
        lockdep_assert_held(&gpuvm.resv); // if (!lock) drm_gpuvm_resv_assert_held(gpuvm);
    }
    let iterating = [ListName::Extobj, ListName::Evict]
        .iter()
        .any(|&l| gpuvm.ghost().list(l).local_list.ghost_read().is_some());
    witness_if(iterating, &FINAL_PUT_DURING_ITERATION);
    drm_gpuvm_bo_list_del(vm_bo, ListName::Extobj); // drm_gpuvm_bo_list_del(vm_bo, extobj, lock);
    drm_gpuvm_bo_list_del(vm_bo, ListName::Evict); // drm_gpuvm_bo_list_del(vm_bo, evict, lock);
    lockdep_assert_held(drm_gem_gpuva_lock(&gpuvm, &vm_bo.obj)); // drm_gem_gpuva_assert_lock_held(gpuvm, vm_bo->obj);
    list_del(&vm_bo.entry_gem); // list_del(&vm_bo->list.entry.gem);
    drm_gpuvm_bo_destroy_not_in_lists(vm_bo); // drm_gpuvm_bo_destroy_not_in_lists(vm_bo);
}

/// `drm_gpuvm_bo_destroy_not_in_lists()` (drm_gpuvm.c, deferred-cleanup tree): free the
/// vm_bo and drop its VM and GEM references; the last GEM put frees the GEM with its locks.
fn drm_gpuvm_bo_destroy_not_in_lists(vm_bo: &Obj<DrmGpuvmBo>) {
    let gpuvm = vm_bo.vm.clone(); // struct drm_gpuvm *gpuvm = vm_bo->vm;
    let obj = vm_bo.obj.clone(); // struct drm_gem_object *obj = vm_bo->obj;
    kfree(vm_bo); // kfree(vm_bo);  (no ops->vm_bo_free)
    drm_gpuvm_put(&gpuvm); // drm_gpuvm_put(gpuvm);
    drm_gem_object_put(&obj); // drm_gem_object_put(obj);
}

/// `drm_gpuvm_bo_find()` / `__drm_gpuvm_bo_find()` (drm_gpuvm.c:1560, v6.8): the GEM gpuva
/// lock must be held.
pub fn drm_gpuvm_bo_find(vm: &Obj<DrmGpuvm>, obj: &Obj<DrmGemObject>) -> Option<Obj<DrmGpuvmBo>> {
    let _f = trace_call("drm_gpuvm_bo_find", obj.name());
    lockdep_assert_held(drm_gem_gpuva_lock(vm, obj)); // drm_gem_gpuva_assert_lock_held(gpuvm, obj);
    check_gpuva_list_live(obj);
    for vm_bo in list_for_each_entry::<DrmGpuvmBo>(&obj.gpuva_list) {
        // drm_gem_for_each_gpuvm_bo(vm_bo, obj)
        if vm_bo.vm.ptr_eq(vm) {
            drm_gpuvm_bo_get(&vm_bo); // return drm_gpuvm_bo_get(vm_bo);
            return Some(vm_bo);
        }
    }
    None
}

/// `drm_gpuvm_bo_obtain()` (drm_gpuvm.c:1609, v6.8): find or create, and add to the GEM's
/// gpuva list; the GEM gpuva lock must be held.
pub fn drm_gpuvm_bo_obtain(vm: &Obj<DrmGpuvm>, obj: &Obj<DrmGemObject>) -> Obj<DrmGpuvmBo> {
    let _f = trace_call("drm_gpuvm_bo_obtain", obj.name());
    if let Some(vm_bo) = drm_gpuvm_bo_find(vm, obj) {
        return vm_bo; // if (vm_bo) return vm_bo;
    }
    let vm_bo = drm_gpuvm_bo_create(vm, obj); // vm_bo = drm_gpuvm_bo_create(gpuvm, obj);
    lockdep_assert_held(drm_gem_gpuva_lock(vm, obj)); // drm_gem_gpuva_assert_lock_held(gpuvm, obj);
    list_add_tail(&vm_bo.entry_gem, &obj.gpuva_list); // list_add_tail(&vm_bo->list.entry.gem, &obj->gpuva.list);
    vm_bo
}

/// `drm_gpuvm_bo_obtain_prealloc()` (drm_gpuvm.c:1642, v6.8): find, or add the caller's
/// preallocated `__vm_bo`; on a hit `__vm_bo` is put (and destroyed). The caller holds the
/// GEM gpuva lock.
pub fn drm_gpuvm_bo_obtain_prealloc_v6_8(pre: &Obj<DrmGpuvmBo>) -> Obj<DrmGpuvmBo> {
    let _f = trace_call("drm_gpuvm_bo_obtain_prealloc", pre.name());
    let gpuvm = pre.vm.clone(); // struct drm_gpuvm *gpuvm = __vm_bo->vm;
    let obj = pre.obj.clone(); // struct drm_gem_object *obj = __vm_bo->obj;
    if let Some(vm_bo) = drm_gpuvm_bo_find(&gpuvm, &obj) {
        witness(&PREALLOC_FINDS_EXISTING);
        drm_gpuvm_bo_put(Some(pre)); // drm_gpuvm_bo_put(__vm_bo);
        return vm_bo;
    }
    lockdep_assert_held(drm_gem_gpuva_lock(&gpuvm, &obj)); // drm_gem_gpuva_assert_lock_held(obj);
    list_add_tail(&pre.entry_gem, &obj.gpuva_list); // list_add_tail(&__vm_bo->list.entry.gem, &obj->gpuva.list);
    pre.clone()
}

/// `drm_gpuvm_bo_obtain_prealloc()` as of "drm/gpuvm: take GEM lock inside
/// drm_gpuvm_bo_obtain_prealloc()" (Nov 2025; deferred-cleanup tree): immediate mode only; it
/// takes `obj->gpuva.lock` itself, and frees a duplicate `__vm_bo` after unlocking, touching
/// no list (it was never on one).
pub fn drm_gpuvm_bo_obtain_prealloc(pre: &Obj<DrmGpuvmBo>) -> Obj<DrmGpuvmBo> {
    let _f = trace_call("drm_gpuvm_bo_obtain_prealloc", pre.name());
    let gpuvm = pre.vm.clone(); // struct drm_gpuvm *gpuvm = __vm_bo->vm;
    let obj = pre.obj.clone(); // struct drm_gem_object *obj = __vm_bo->obj;
    WARN_ON(
        !drm_gpuvm_immediate_mode(&gpuvm),
        "!drm_gpuvm_immediate_mode(gpuvm)",
    ); // drm_WARN_ON(gpuvm->drm, !drm_gpuvm_immediate_mode(gpuvm));
    let g = mutex_lock(&obj.gpuva_lock); // mutex_lock(&obj->gpuva.lock);
    if let Some(vm_bo) = drm_gpuvm_bo_find(&gpuvm, &obj) {
        witness(&PREALLOC_FINDS_EXISTING);
        mutex_unlock(g); // mutex_unlock(&obj->gpuva.lock);
        kref_put(&pre.kref, || drm_gpuvm_bo_destroy_not_in_lists(pre)); // kref_put(&__vm_bo->kref, drm_gpuvm_bo_destroy_not_in_lists_kref);
        return vm_bo;
    }
    lockdep_assert_held(drm_gem_gpuva_lock(&gpuvm, &obj)); // drm_gem_gpuva_assert_lock_held(gpuvm, obj);
    list_add_tail(&pre.entry_gem, &obj.gpuva_list); // list_add_tail(&__vm_bo->list.entry.gem, &obj->gpuva.list);
    mutex_unlock(g); // mutex_unlock(&obj->gpuva.lock);
    pre.clone()
}

/// `drm_gpuvm_is_extobj()` (drm_gpuvm.c, v6.8): the GEM's resv is not the VM's.
/// MODEL: every GEM here has its own resv, so every GEM is an external object.
pub fn drm_gpuvm_is_extobj(_vm: &Obj<DrmGpuvm>, _obj: &Obj<DrmGemObject>) -> bool {
    true
}

/// `drm_gpuvm_bo_extobj_add()` (drm_gpuvm.c:1672, v6.8), default list-locking mode.
pub fn drm_gpuvm_bo_extobj_add(vm_bo: &Obj<DrmGpuvmBo>) {
    let _f = trace_call("drm_gpuvm_bo_extobj_add", vm_bo.name());
    if drm_gpuvm_is_extobj(&vm_bo.vm, &vm_bo.obj) {
        drm_gpuvm_bo_list_add(vm_bo, ListName::Extobj); // drm_gpuvm_bo_list_add(vm_bo, extobj, lock);
    }
}

/// `drm_gpuvm_bo_evict()` (drm_gpuvm.c:1693, v6.8), default list-locking mode.
pub fn drm_gpuvm_bo_evict(vm_bo: &Obj<DrmGpuvmBo>, evict: bool) {
    let _f = trace_call("drm_gpuvm_bo_evict", vm_bo.name());
    lockdep_assert_held(&vm_bo.obj.resv); // dma_resv_assert_held(obj->resv);
    vm_bo.evicted.write(evict); // vm_bo->evicted = evict;
    if drm_gpuvm_is_extobj(&vm_bo.vm, &vm_bo.obj) && drm_gpuvm_resv_protected(&vm_bo.vm) {
        return; // /* Can't add external objects to the evicted list directly if not using internal spinlocks, since in this case the evicted list is protected with the VM's common dma-resv lock. */
    }
    if evict {
        drm_gpuvm_bo_list_add(vm_bo, ListName::Evict); // drm_gpuvm_bo_list_add(vm_bo, evict, lock);
    } else {
        drm_gpuvm_bo_list_del_init(vm_bo, ListName::Evict); // drm_gpuvm_bo_list_del_init(vm_bo, evict, lock);
    }
}

/// `__drm_gpuvm_bo_list_add()` (drm_gpuvm.c:808, v6.8): add once (`list_empty(entry)`).
fn drm_gpuvm_bo_list_add(vm_bo: &Obj<DrmGpuvmBo>, name: ListName) {
    let vm = vm_bo.vm.clone();
    let entry = vm_bo.entry(name);
    let g = vm_bo_list_lock(&vm, name); // cond_spin_lock(lock, !!lock);
    if list_empty(entry) {
        list_add_tail(entry, &vm.list(name).list); // list_add_tail(entry, list);
    }
    vm_bo_list_unlock(&vm, g); // cond_spin_unlock(lock, !!lock);
}

/// `__drm_gpuvm_bo_list_del()` with `init = false` (`drm_gpuvm_bo_list_del`, drm_gpuvm.c:847).
fn drm_gpuvm_bo_list_del(vm_bo: &Obj<DrmGpuvmBo>, name: ListName) {
    let vm = vm_bo.vm.clone();
    let g = vm_bo_list_lock(&vm, name); // cond_spin_lock(lock, !!lock);
    list_del(vm_bo.entry(name)); // list_del(entry);
    vm_bo_list_unlock(&vm, g); // cond_spin_unlock(lock, !!lock);
}

/// `__drm_gpuvm_bo_list_del()` with `init = true` (`drm_gpuvm_bo_list_del_init`).
fn drm_gpuvm_bo_list_del_init(vm_bo: &Obj<DrmGpuvmBo>, name: ListName) {
    let vm = vm_bo.vm.clone();
    let entry = vm_bo.entry(name);
    let g = vm_bo_list_lock(&vm, name); // cond_spin_lock(lock, !!lock);
    if !list_empty(entry) {
        list_del_init(entry); // list_del_init(entry);
    }
    vm_bo_list_unlock(&vm, g); // cond_spin_unlock(lock, !!lock);
}

// ---------------------------------------------------------------------------------------
// The lockless list iterator (drm_gpuvm.c:673-790, v6.8)
// ---------------------------------------------------------------------------------------

/// Revisions of the lockless iterator argued over in review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IteratorRevision {
    /// v6.8 as merged (v4 onwards): `__vm_bo` initialised to NULL, `local_list` WARN.
    Upstream,
    /// v3 of the series (quoted in Boris Brezillon's review, Sep 2023): `__vm_bo` left
    /// uninitialised, so an empty list returns stack garbage ("fix missing NULL assignment in
    /// get_next_vm_bo_from_list()" in the v4 changelog).
    V3,
}

/// `get_next_vm_bo_from_list(gpuvm, list_name, local_list, prev_vm_bo)` (drm_gpuvm.c:687,
/// v6.8): put the previous element, then move the first element whose kref can be taken to
/// the caller's local list and return it. `rev` selects the revision.
pub fn get_next_vm_bo_from_list(
    gpuvm: &Obj<DrmGpuvm>,
    name: ListName,
    local_list: &ListHead,
    prev_vm_bo: Option<&Obj<DrmGpuvmBo>>,
    rev: IteratorRevision,
) -> Option<Obj<DrmGpuvmBo>> {
    let _f = trace_call("get_next_vm_bo_from_list", name.as_str());
    let l = gpuvm.list(name);
    let mut vm_bo = match rev {
        IteratorRevision::Upstream => None, // struct drm_gpuvm_bo *__vm_bo = NULL;
        // MODEL: v3's uninitialised `__vm_bo` holds what the same stack slot held last: the
        // previous call's return value (NULL on the first call).
        IteratorRevision::V3 => prev_vm_bo.cloned(), // struct drm_gpuvm_bo *__vm_bo;
    };
    drm_gpuvm_bo_put(prev_vm_bo); // drm_gpuvm_bo_put(__prev_vm_bo);
    let g = spin_lock(&l.lock); // spin_lock(&(__gpuvm)->__list_name.lock);
    match l.local_list.read() {
        None => l.local_list.write(Some(*local_list)), // if (!local_list) local_list = __local_list;
        Some(registered) => {
            // else drm_WARN_ON(drm, local_list != __local_list);
            WARN_ON(
                registered != *local_list,
                &format!("gpuvm->{}.local_list != __local_list", name.as_str()),
            );
        }
    }
    while !list_empty(&l.list) {
        let first = list_first_entry::<DrmGpuvmBo>(&l.list); // __vm_bo = list_first_entry(...);
        if kref_get_unless_zero(&first.kref) {
            list_move_tail(first.entry(name), local_list); // list_move_tail(&__vm_bo->list.entry.__list_name, __local_list);
            vm_bo = Some(first);
            break;
        } else {
            list_del_init(first.entry(name)); // list_del_init(&__vm_bo->list.entry.__list_name);
        }
    }
    spin_unlock(g); // spin_unlock(&(__gpuvm)->__list_name.lock);
    vm_bo
}

/// `restore_vm_bo_list(gpuvm, list_name)` → `__restore_vm_bo_list()` (drm_gpuvm.c:758,
/// v6.8): splice the list that `local_list` points to (the registered iteration's local
/// list, not necessarily the caller's) back to the front, and clear the pointer.
pub fn restore_vm_bo_list(gpuvm: &Obj<DrmGpuvm>, name: ListName) {
    let _f = trace_call("restore_vm_bo_list", name.as_str());
    let l = gpuvm.list(name);
    let g = spin_lock(&l.lock); // spin_lock(lock);
    if let Some(local) = l.local_list.read() {
        // if (*local_list) {
        list_splice(&local, &l.list); // list_splice(*local_list, list);
        l.local_list.write(None); // *local_list = NULL;
    }
    spin_unlock(g); // spin_unlock(lock);
}

// ---------------------------------------------------------------------------------------
// drm_exec (drivers/gpu/drm/drm_exec.c, v6.8), as far as prepare_objects needs it
// ---------------------------------------------------------------------------------------

/// `struct drm_exec`: the objects locked so far, each with a GEM reference.
#[derive(Default)]
pub struct DrmExec {
    pub objects: Vec<(Obj<DrmGemObject>, LockGuard)>,
}

/// `drm_exec_lock_obj()` (drm_exec.c, v6.8): lock the object's resv and keep a reference.
/// Locking an object the exec already holds is a no-op (-EALREADY is ignored).
/// MODEL: no ww acquire context, no contention back-off (see `DrmGemObject::resv`).
pub fn drm_exec_lock_obj(exec: &mut DrmExec, obj: &Obj<DrmGemObject>) -> i32 {
    let _f = trace_call("drm_exec_lock_obj", obj.name());
    if exec.objects.iter().any(|(o, _)| o.ptr_eq(obj)) {
        return 0; // -EALREADY: already locked by this exec
    }
    let g = mutex_lock(&obj.resv); // ret = dma_resv_lock(obj->resv, &exec->ticket);
    drm_gem_object_get(obj); // drm_gem_object_get(obj); exec->objects[exec->num_objects++] = obj;
    exec.objects.push((obj.clone(), g));
    0
}

/// `drm_exec_fini()` (drm_exec.c, v6.8): unlock every object and drop its reference.
pub fn drm_exec_fini(exec: DrmExec) {
    let _f = trace_call("drm_exec_fini", "");
    for (obj, g) in exec.objects.into_iter().rev() {
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        drm_gem_object_put(&obj); // drm_gem_object_put(obj);
    }
}

/// `exec_prepare_obj()` (drm_gpuvm.c:1137, v6.8): lock the object; reserving fence slots is
/// not modelled (MODEL: `dma_resv_reserve_fences` always succeeds).
fn exec_prepare_obj(exec: &mut DrmExec, obj: &Obj<DrmGemObject>) -> i32 {
    drm_exec_lock_obj(exec, obj) // ret = drm_exec_lock_obj(exec, obj);
}

/// `drm_gpuvm_prepare_objects()` (drm_gpuvm.c:1223, v6.8): lock every external object,
/// the way the VM's list-locking mode allows.
pub fn drm_gpuvm_prepare_objects(gpuvm: &Obj<DrmGpuvm>, exec: &mut DrmExec) -> i32 {
    match gpuvm.locking {
        ListLocking::Spinlock => {
            __drm_gpuvm_prepare_objects(gpuvm, exec, IteratorRevision::Upstream)
        } // return __drm_gpuvm_prepare_objects(gpuvm, exec, num_fences);
        ListLocking::ResvProtected => drm_gpuvm_prepare_objects_locked(gpuvm, exec), // return drm_gpuvm_prepare_objects_locked(gpuvm, exec, num_fences);
        ListLocking::InternalMutex => drm_gpuvm_prepare_objects_option3(gpuvm, exec),
    }
}

/// `drm_gpuvm_prepare_objects_locked()` (drm_gpuvm.c:1167, v6.8): RESV_PROTECTED mode, the
/// VM's resv held; walk the extobj list directly and queue evicted objects lazily.
fn drm_gpuvm_prepare_objects_locked(gpuvm: &Obj<DrmGpuvm>, exec: &mut DrmExec) -> i32 {
    let _f = trace_call("drm_gpuvm_prepare_objects_locked", gpuvm.name());
    lockdep_assert_held(&gpuvm.resv); // drm_gpuvm_resv_assert_held(gpuvm);
    let mut ret = 0;
    for vm_bo in list_for_each_entry::<DrmGpuvmBo>(&gpuvm.extobj.list) {
        // list_for_each_entry(vm_bo, &gpuvm->extobj.list, list.entry.extobj) {
        if drm_gpuvm_bo_is_zombie(&vm_bo) {
            witness(&WALK_SKIPS_ZOMBIE);
            continue; // if (drm_gpuvm_bo_is_zombie(vm_bo)) continue;
        }
        ret = exec_prepare_obj(exec, &vm_bo.obj); // ret = exec_prepare_obj(exec, vm_bo->obj, num_fences);
        if ret != 0 {
            break;
        }
        if vm_bo.evicted.read() {
            drm_gpuvm_bo_list_add(&vm_bo, ListName::Evict); // drm_gpuvm_bo_list_add(vm_bo, evict, false);
        }
    }
    ret
}

/// Option (3) of the v5 thread (never merged): the extobj list's internal mutex held across
/// the walk, locking each object's resv inside it. Lock order: list mutex, then resv.
fn drm_gpuvm_prepare_objects_option3(gpuvm: &Obj<DrmGpuvm>, exec: &mut DrmExec) -> i32 {
    let _f = trace_call("drm_gpuvm_prepare_objects (option 3)", gpuvm.name());
    let g = mutex_lock(&gpuvm.extobj.mutex); // mutex_lock(&gpuvm->extobj.mutex);
    let mut ret = 0;
    for vm_bo in list_for_each_entry::<DrmGpuvmBo>(&gpuvm.extobj.list) {
        ret = exec_prepare_obj(exec, &vm_bo.obj); // ret = exec_prepare_obj(exec, vm_bo->obj, num_fences);
        if ret != 0 {
            break;
        }
    }
    mutex_unlock(g); // mutex_unlock(&gpuvm->extobj.mutex);
    ret
}

/// `__drm_gpuvm_prepare_objects()` (drm_gpuvm.c:1146, v6.8), the default list-locking mode:
/// lock every external object through the lockless iterator (of revision `rev`). The
/// kernel-doc: "not safe against concurrent usage itself".
pub fn __drm_gpuvm_prepare_objects(
    gpuvm: &Obj<DrmGpuvm>,
    exec: &mut DrmExec,
    rev: IteratorRevision,
) -> i32 {
    let _f = trace_call("__drm_gpuvm_prepare_objects", gpuvm.name());
    let extobjs = StackListHead::new("drm_gpuvm_prepare_objects", "extobjs", &gpuvm.extobj.lock); // LIST_HEAD(extobjs);
    let mut ret = 0;
    // for_each_vm_bo_in_list(gpuvm, extobj, &extobjs, vm_bo) {
    let mut vm_bo = get_next_vm_bo_from_list(gpuvm, ListName::Extobj, &extobjs, None, rev);
    while let Some(cur) = vm_bo.clone() {
        ret = exec_prepare_obj(exec, &cur.obj); // ret = exec_prepare_obj(exec, vm_bo->obj, num_fences);
        if ret != 0 {
            break;
        }
        vm_bo = get_next_vm_bo_from_list(gpuvm, ListName::Extobj, &extobjs, Some(&cur), rev);
    }
    drm_gpuvm_bo_put(vm_bo.as_ref()); // drm_gpuvm_bo_put(vm_bo);  /* Drop ref in case we break out of the loop. */
    restore_vm_bo_list(gpuvm, ListName::Extobj); // restore_vm_bo_list(gpuvm, extobj);
    trace_note("return", "", &ret.to_string());
    ret
}

// ---------------------------------------------------------------------------------------
// validate (drm_gpuvm.c:1363-1430, v6.8)
// ---------------------------------------------------------------------------------------

/// The driver's `ops->vm_bo_validate()`. MODEL: the driver's own validation (`ttm_bo_validate`
/// into a GPU-accessible placement) is not modelled; it then marks the vm_bo validated with
/// `drm_gpuvm_bo_evict(vm_bo, false)`, as drivers do (nouveau, Xe).
pub fn vm_bo_validate(vm_bo: &Obj<DrmGpuvmBo>, _exec: &mut DrmExec) -> i32 {
    let _f = trace_call("ops->vm_bo_validate", vm_bo.name());
    drm_gpuvm_bo_evict(vm_bo, false); // drm_gpuvm_bo_evict(vm_bo, false);
    0
}

/// `drm_gpuvm_validate()` (drm_gpuvm.c:1416, v6.8): validate every evicted vm_bo; the
/// caller holds every resv (drm_exec).
pub fn drm_gpuvm_validate(gpuvm: &Obj<DrmGpuvm>, exec: &mut DrmExec) -> i32 {
    if drm_gpuvm_resv_protected(gpuvm) {
        drm_gpuvm_validate_locked(gpuvm, exec) // return drm_gpuvm_validate_locked(gpuvm, exec);
    } else {
        __drm_gpuvm_validate(gpuvm, exec) // return __drm_gpuvm_validate(gpuvm, exec);
    }
}

/// `__drm_gpuvm_validate()` (drm_gpuvm.c:1363, v6.8): the evict list walked with the
/// lockless iterator.
fn __drm_gpuvm_validate(gpuvm: &Obj<DrmGpuvm>, exec: &mut DrmExec) -> i32 {
    let _f = trace_call("__drm_gpuvm_validate", gpuvm.name());
    let evict = StackListHead::new("__drm_gpuvm_validate", "evict", &gpuvm.evict.lock); // LIST_HEAD(evict);
    let mut ret = 0;
    // for_each_vm_bo_in_list(gpuvm, evict, &evict, vm_bo) {
    let mut vm_bo = get_next_vm_bo_from_list(
        gpuvm,
        ListName::Evict,
        &evict,
        None,
        IteratorRevision::Upstream,
    );
    while let Some(cur) = vm_bo.clone() {
        ret = vm_bo_validate(&cur, exec); // ret = ops->vm_bo_validate(vm_bo, exec);
        if ret != 0 {
            break;
        }
        vm_bo = get_next_vm_bo_from_list(
            gpuvm,
            ListName::Evict,
            &evict,
            Some(&cur),
            IteratorRevision::Upstream,
        );
    }
    drm_gpuvm_bo_put(vm_bo.as_ref()); // drm_gpuvm_bo_put(vm_bo);  /* Drop ref in case we break out of the loop. */
    restore_vm_bo_list(gpuvm, ListName::Evict); // restore_vm_bo_list(gpuvm, evict);
    ret
}

/// `drm_gpuvm_validate_locked()` (drm_gpuvm.c:1383, v6.8; with the zombie check of the
/// deferred-cleanup tree): RESV_PROTECTED mode.
fn drm_gpuvm_validate_locked(gpuvm: &Obj<DrmGpuvm>, exec: &mut DrmExec) -> i32 {
    let _f = trace_call("drm_gpuvm_validate_locked", gpuvm.name());
    lockdep_assert_held(&gpuvm.resv); // drm_gpuvm_resv_assert_held(gpuvm);
    let mut ret = 0;
    for vm_bo in list_for_each_entry::<DrmGpuvmBo>(&gpuvm.evict.list) {
        // list_for_each_entry_safe(vm_bo, next, &gpuvm->evict.list, list.entry.evict) {
        if drm_gpuvm_bo_is_zombie(&vm_bo) {
            witness(&WALK_SKIPS_ZOMBIE);
            continue; // if (drm_gpuvm_bo_is_zombie(vm_bo)) continue;
        }
        ret = vm_bo_validate(&vm_bo, exec); // ret = ops->vm_bo_validate(vm_bo, exec);
        if ret != 0 {
            break;
        }
        lockdep_assert_held(&vm_bo.obj.resv); // dma_resv_assert_held(vm_bo->obj->resv);
        if !vm_bo.evicted.read() {
            drm_gpuvm_bo_list_del_init(&vm_bo, ListName::Evict); // drm_gpuvm_bo_list_del_init(vm_bo, evict, false);
        }
    }
    ret
}

// ---------------------------------------------------------------------------------------
// Deferred vm_bo cleanup (immediate mode; Alice Ryhl's series, ~v6.19, Darksonn/linux 4e1df182)
// ---------------------------------------------------------------------------------------

/// `drm_gpuvm_bo_is_zombie()` (drm_gpuvm.c, deferred-cleanup tree): the refcount is 0 and the
/// vm_bo awaits `drm_gpuvm_bo_deferred_cleanup()`. Meaningful only under the lock of the list
/// the caller walks.
pub fn drm_gpuvm_bo_is_zombie(vm_bo: &Obj<DrmGpuvmBo>) -> bool {
    kref_read(&vm_bo.kref) == 0 // return !kref_read(&vm_bo->kref);
}

/// `drm_gpuvm_bo_into_zombie()` (deferred-cleanup tree): the release of a deferred put, with
/// the GEM gpuva lock held: off the VM's lists (unless RESV_PROTECTED, where they need the
/// VM's resv and the cleanup does it) and off the GEM's list.
fn drm_gpuvm_bo_into_zombie(vm_bo: &Obj<DrmGpuvmBo>) {
    let _f = trace_call("drm_gpuvm_bo_into_zombie", vm_bo.name());
    if !drm_gpuvm_resv_protected(&vm_bo.vm) {
        drm_gpuvm_bo_list_del(vm_bo, ListName::Extobj); // drm_gpuvm_bo_list_del(vm_bo, extobj, true);
        drm_gpuvm_bo_list_del(vm_bo, ListName::Evict); // drm_gpuvm_bo_list_del(vm_bo, evict, true);
    }
    list_del(&vm_bo.entry_gem); // list_del(&vm_bo->list.entry.gem);
}

/// `drm_gpuvm_bo_defer_zombie_cleanup()` (deferred-cleanup tree): queue the zombie. The GEM
/// gpuva lock must already be released: from here on a cleanup may free the GEM.
fn drm_gpuvm_bo_defer_zombie_cleanup(vm_bo: &Obj<DrmGpuvmBo>) {
    llist_add(&vm_bo.entry_bo_defer, &vm_bo.vm.bo_defer); // llist_add(&vm_bo->list.entry.bo_defer, &vm_bo->vm->bo_defer);
}

/// Revisions of the deferred put.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeferredPutRevision {
    /// The merged series (v4 onwards): `kref_put_mutex()`, then unlock, then `llist_add`.
    Upstream,
    /// v3 of the series, as the v4 changelog ("Go back to using kref_put_mutex()") implies:
    /// decrement first with `kref_put()`, take `obj->gpuva.lock` inside the release.
    V3PutThenLock,
    /// Queue the zombie before unlocking `obj->gpuva.lock`: what the comment of
    /// `drm_gpuvm_bo_defer_zombie_cleanup()` forbids.
    AddBeforeUnlock,
}

/// `drm_gpuvm_bo_defer_free()` (deferred-cleanup tree): the release of `kref_put_mutex()`,
/// entered with `obj->gpuva.lock` held (`g`).
fn drm_gpuvm_bo_defer_free(vm_bo: &Obj<DrmGpuvmBo>, g: LockGuard, rev: DeferredPutRevision) {
    let _f = trace_call("drm_gpuvm_bo_defer_free", vm_bo.name());
    drm_gpuvm_bo_into_zombie(vm_bo); // drm_gpuvm_bo_into_zombie(kref);
    if rev == DeferredPutRevision::AddBeforeUnlock {
        drm_gpuvm_bo_defer_zombie_cleanup(vm_bo); // drm_gpuvm_bo_defer_zombie_cleanup(vm_bo);  (before the unlock)
        mutex_unlock(g); // mutex_unlock(&vm_bo->obj->gpuva.lock);
        return;
    }
    mutex_unlock(g); // mutex_unlock(&vm_bo->obj->gpuva.lock);
    drm_gpuvm_bo_defer_zombie_cleanup(vm_bo); // drm_gpuvm_bo_defer_zombie_cleanup(vm_bo);
}

/// `drm_gpuvm_bo_put_deferred()` (deferred-cleanup tree): drop a reference from a context
/// that may not free (the fence-signalling path); a drop to 0 turns the vm_bo into a zombie
/// under `obj->gpuva.lock`. Returns true if it did. `rev` selects the revision.
pub fn drm_gpuvm_bo_put_deferred(
    vm_bo: Option<&Obj<DrmGpuvmBo>>,
    rev: DeferredPutRevision,
) -> bool {
    let Some(vm_bo) = vm_bo else { return false }; // if (!vm_bo) return false;
    let _f = trace_call("drm_gpuvm_bo_put_deferred", vm_bo.name());
    WARN_ON(
        !drm_gpuvm_immediate_mode(&vm_bo.vm),
        "!drm_gpuvm_immediate_mode(vm_bo->vm)",
    ); // drm_WARN_ON(vm_bo->vm->drm, !drm_gpuvm_immediate_mode(vm_bo->vm));
    match rev {
        DeferredPutRevision::V3PutThenLock => kref_put(&vm_bo.kref, || {
            let g = mutex_lock(&vm_bo.obj.gpuva_lock); // mutex_lock(&vm_bo->obj->gpuva.lock);  (v3: inside the release)
            drm_gpuvm_bo_defer_free(vm_bo, g, DeferredPutRevision::Upstream);
        }), // return !!kref_put(&vm_bo->kref, ...);  (v3)
        _ => kref_put_mutex(
            &vm_bo.kref,
            |g| drm_gpuvm_bo_defer_free(vm_bo, g, rev),
            &vm_bo.obj.gpuva_lock,
        ), // return !!kref_put_mutex(&vm_bo->kref, drm_gpuvm_bo_defer_free, &vm_bo->obj->gpuva.lock);
    }
}

/// Revisions of the deferred cleanup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CleanupRevision {
    /// The merged series: in RESV_PROTECTED mode the zombies leave the VM's lists under the
    /// VM's resv.
    Upstream,
    /// Unlinking the zombies without the VM's resv: what the series avoids ("they need to
    /// remain on the lists until drm_gpuvm_bo_deferred_cleanup() is called", which takes it).
    NoResv,
}

/// `drm_gpuvm_bo_deferred_cleanup()` (deferred-cleanup tree): free every queued zombie. In
/// RESV_PROTECTED mode it takes the VM's resv to unlink them from the VM's lists (the caller
/// must not hold it). `rev` selects the revision.
pub fn drm_gpuvm_bo_deferred_cleanup(gpuvm: &Obj<DrmGpuvm>, rev: CleanupRevision) {
    let _f = trace_call("drm_gpuvm_bo_deferred_cleanup", gpuvm.name());
    let batch = llist_del_all::<DrmGpuvmBo>(&gpuvm.bo_defer, |v| &v.entry_bo_defer); // bo_defer = llist_del_all(&gpuvm->bo_defer);
    if batch.is_empty() {
        return; // if (!bo_defer) return;
    }
    if drm_gpuvm_resv_protected(gpuvm) {
        let g = (rev == CleanupRevision::Upstream).then(|| mutex_lock(&gpuvm.resv)); // dma_resv_lock(drm_gpuvm_resv(gpuvm), NULL);
        for vm_bo in &batch {
            // llist_for_each_entry(vm_bo, bo_defer, list.entry.bo_defer) {
            // MODEL: the kernel passes lock = false, so its list helpers assert nothing;
            // the model's list heads still check that the VM's resv is held.
            list_del(vm_bo.entry(ListName::Extobj)); // drm_gpuvm_bo_list_del(vm_bo, extobj, false);
            list_del(vm_bo.entry(ListName::Evict)); // drm_gpuvm_bo_list_del(vm_bo, evict, false);
        }
        if let Some(g) = g {
            mutex_unlock(g); // dma_resv_unlock(drm_gpuvm_resv(gpuvm));
        }
    }
    for vm_bo in &batch {
        // while (bo_defer) { vm_bo = llist_entry(...); bo_defer = bo_defer->next;
        drm_gpuvm_bo_destroy_not_in_lists(vm_bo); // drm_gpuvm_bo_destroy_not_in_lists(vm_bo);
    }
}

// ---------------------------------------------------------------------------------------
// drm_gpuva: link / unlink (drm_gpuvm.c:1830-1880, v6.8; unlink_defer from the
// deferred-cleanup tree)
// ---------------------------------------------------------------------------------------

/// `struct drm_gpuva`, as far as the vm_bo lifecycle uses it (a mapping of a GEM in a VM).
/// MODEL: the va's range and its place in the VM's interval tree are not modelled;
/// `va->gem.obj` is not a counted reference (the vm_bo reference the va holds keeps the GEM
/// alive), as in the kernel.
pub struct DrmGpuva {
    /// `va->vm_bo`: a counted reference while linked (GEM gpuva lock; a pointer, so `kfree`
    /// of the vm_bo while a live va still points to it is checked: `Guarded::new_refs`).
    pub vm_bo: Guarded<Option<Obj<DrmGpuvmBo>>>,
    /// `va->gem.obj`.
    pub obj: Obj<DrmGemObject>,
    /// `va->gem.entry`: link in `vm_bo->list.gpuva`.
    pub gem_entry: ListHead,
}

/// The driver's allocation of a va for mapping `obj` in `gpuvm` (e.g. `panthor_vma`).
pub fn drm_gpuva_alloc(gpuvm: &Obj<DrmGpuvm>, obj: &Obj<DrmGemObject>) -> Obj<DrmGpuva> {
    let va = kzalloc("va", |id, name| DrmGpuva {
        vm_bo: Guarded::new_refs(
            format!("{name}.vm_bo"),
            drm_gem_gpuva_lock(gpuvm, obj),
            None,
        ),
        obj: obj.clone(),
        gem_entry: ListHead::new(id, name, "gem.entry"),
    });
    INIT_LIST_HEAD(&va.gem_entry); // INIT_LIST_HEAD(&va->gem.entry);
    va
}

/// `drm_gpuva_link()` (drm_gpuvm.c:1830, v6.8): the va takes a vm_bo reference; GEM gpuva
/// lock held.
pub fn drm_gpuva_link(va: &Obj<DrmGpuva>, vm_bo: &Obj<DrmGpuvmBo>) {
    let _f = trace_call("drm_gpuva_link", va.name());
    let obj = va.obj.clone(); // struct drm_gem_object *obj = va->gem.obj;
    WARN_ON(!obj.ptr_eq(&vm_bo.obj), "obj != vm_bo->obj"); // drm_WARN_ON(gpuvm->drm, obj != vm_bo->obj);
    drm_gpuvm_bo_get(vm_bo); // va->vm_bo = drm_gpuvm_bo_get(vm_bo);
    va.vm_bo.write(Some(vm_bo.clone()));
    lockdep_assert_held(drm_gem_gpuva_lock(&vm_bo.vm, &obj)); // drm_gem_gpuva_assert_lock_held(gpuvm, obj);
    list_add_tail(&va.gem_entry, &vm_bo.list_gpuva); // list_add_tail(&va->gem.entry, &vm_bo->list.gpuva);
}

/// `drm_gpuva_unlink()` (drm_gpuvm.c:1866, v6.8): drop the va's vm_bo reference; GEM gpuva
/// lock held (and, in RESV_PROTECTED mode, the VM's resv for a final put).
pub fn drm_gpuva_unlink(va: &Obj<DrmGpuva>) {
    let _f = trace_call("drm_gpuva_unlink", va.name());
    let vm_bo = va.vm_bo.read(); // struct drm_gpuvm_bo *vm_bo = va->vm_bo;
    if let Some(vm_bo) = &vm_bo {
        lockdep_assert_held(drm_gem_gpuva_lock(&vm_bo.vm, &va.obj)); // drm_gem_gpuva_assert_lock_held(gpuvm, obj);
    }
    list_del_init(&va.gem_entry); // list_del_init(&va->gem.entry);
    va.vm_bo.write(None); // va->vm_bo = NULL;
    drm_gpuvm_bo_put(vm_bo.as_ref()); // drm_gpuvm_bo_put(vm_bo);
}

/// `drm_gpuva_unlink_defer()` (deferred-cleanup tree): `drm_gpuva_unlink()` from the
/// fence-signalling path: takes `obj->gpuva.lock` itself and defers the vm_bo's cleanup.
pub fn drm_gpuva_unlink_defer(va: &Obj<DrmGpuva>) {
    let _f = trace_call("drm_gpuva_unlink_defer", va.name());
    let obj = va.obj.clone(); // struct drm_gem_object *obj = va->gem.obj;
    let g = mutex_lock(&obj.gpuva_lock); // mutex_lock(&obj->gpuva.lock);
                                         // MODEL: `va->vm_bo` is read and cleared under the lock; the kernel reads it before
                                         // locking and clears it after unlocking, which is safe because the caller owns the va,
                                         // but a Guarded field checks its lock on every access.
    let vm_bo = va.vm_bo.read().expect("a linked va"); // struct drm_gpuvm_bo *vm_bo = va->vm_bo;
    WARN_ON(
        !drm_gpuvm_immediate_mode(&vm_bo.vm),
        "!drm_gpuvm_immediate_mode(vm_bo->vm)",
    ); // drm_WARN_ON(vm_bo->vm->drm, !drm_gpuvm_immediate_mode(vm_bo->vm));
    list_del_init(&va.gem_entry); // list_del_init(&va->gem.entry);
    let zombie = kref_put(&vm_bo.kref, || drm_gpuvm_bo_into_zombie(&vm_bo)); // should_defer_bo = kref_put(&vm_bo->kref, drm_gpuvm_bo_into_zombie);
    va.vm_bo.write(None); // va->vm_bo = NULL;  (MODEL: under the lock, see above)
    mutex_unlock(g); // mutex_unlock(&obj->gpuva.lock);
    if zombie {
        drm_gpuvm_bo_defer_zombie_cleanup(&vm_bo); // drm_gpuvm_bo_defer_zombie_cleanup(vm_bo);
    }
}

/// [`GPUVA_LIST_LIVE`], checked by `drm_gpuvm_bo_find()` as it starts its walk (ghost: no
/// scheduling point).
fn check_gpuva_list_live(obj: &Obj<DrmGemObject>) {
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
