//! The invariants of the vm_bo lifecycle model, stated in kernel terms: constants only, so
//! that every file of the crate can name them.

use checker::invariant::{Invariant, Witness};

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

/// The state the lockless iterator's fixes are about: the final `drm_gpuvm_bo_put()` of a
/// vm_bo runs while an iteration of `drm_gpuvm_prepare_objects()` or `drm_gpuvm_validate()`
/// is in progress, with elements moved to its on-stack local list.
pub const FINAL_PUT_DURING_ITERATION: Witness = Witness::new(
    "FINAL_PUT_DURING_ITERATION",
    "drm_gpuvm_bo_destroy() takes a vm_bo off the VM's extobj or evict list while an iteration's local list is registered in gpuvm->extobj.local_list or gpuvm->evict.local_list",
);

/// A3's state: the GEM handle is closed while the driver is inside the resv lock dance, so
/// the handle's reference may be the GEM's last but the driver's own.
pub const HANDLE_CLOSED_IN_DANCE: Witness = Witness::new(
    "HANDLE_CLOSED_IN_DANCE",
    "the GEM handle's drm_gem_object_put() runs while the driver holds obj->resv between its dma_resv_lock() and dma_resv_unlock() around drm_gpuvm_bo_put()",
);

/// A4's first order: obtain runs after the final put destroyed the vm_bo (and creates one).
pub const OBTAIN_AFTER_FINAL_PUT: Witness = Witness::new(
    "OBTAIN_AFTER_FINAL_PUT",
    "drm_gpuvm_bo_obtain() walks the GEM's gpuva list after the last drm_gpuvm_bo_put() of the old vm_bo destroyed it",
);

/// A4's second order: obtain finds the old vm_bo before its last put.
pub const OBTAIN_BEFORE_FINAL_PUT: Witness = Witness::new(
    "OBTAIN_BEFORE_FINAL_PUT",
    "drm_gpuvm_bo_obtain() walks the GEM's gpuva list while the old vm_bo is still alive, before its last drm_gpuvm_bo_put()",
);

/// A9's state: the second obtain of one (VM, GEM) finds the first one's vm_bo.
pub const OBTAIN_FINDS_OTHERS: Witness = Witness::new(
    "OBTAIN_FINDS_OTHERS",
    "of two drm_gpuvm_bo_obtain() of one (VM, GEM), the second returns the vm_bo the first created",
);

/// The serialised modes' state: the final put lands between two submits, so they walk
/// different extobj lists.
pub const FINAL_PUT_BETWEEN_SUBMITS: Witness = Witness::new(
    "FINAL_PUT_BETWEEN_SUBMITS",
    "the final drm_gpuvm_bo_put() takes a vm_bo off gpuvm->extobj.list between two submits on the VM: the first one's drm_gpuvm_prepare_objects() locked its GEM's resv, the second one's walk no longer finds it",
);

/// The eviction path's state: TTM evicts a BO inside a submit's drm_exec transaction,
/// before the submit locked that BO, so the same submit's validate must see it.
pub const EVICT_DURING_SUBMIT: Witness = Witness::new(
    "EVICT_DURING_SUBMIT",
    "drm_gpuvm_bo_evict(vm_bo, true) marks a vm_bo evicted while a submit holds the VM's resv and has not yet locked that vm_bo's GEM (after drm_gpuvm_prepare_vm(), before its drm_gpuvm_prepare_objects() reaches the GEM), so the same submit's drm_gpuvm_validate() must validate it",
);

/// Two VM_BINDs with preallocated vm_bos: the second finds the first one's.
pub const PREALLOC_FINDS_EXISTING: Witness = Witness::new(
    "PREALLOC_FINDS_EXISTING",
    "drm_gpuvm_bo_obtain_prealloc() finds a vm_bo of its (VM, GEM) on the GEM's gpuva list, under the GEM gpuva lock, and drops its own preallocated __vm_bo",
);

/// Immediate mode: obtain runs after a deferred put made the old vm_bo a zombie.
pub const OBTAIN_AFTER_ZOMBIE: Witness = Witness::new(
    "OBTAIN_AFTER_ZOMBIE",
    "VM_BIND's drm_gpuvm_bo_obtain_prealloc() runs after the old vm_bo of the (VM, GEM) became a zombie (refcount 0, off the GEM's gpuva list, queued on gpuvm->bo_defer) and adds its preallocated vm_bo instead",
);

/// Immediate mode: a concurrent deferred cleanup frees the zombie a deferred put queued.
pub const CLEANUP_FREES_QUEUED_ZOMBIE: Witness = Witness::new(
    "CLEANUP_FREES_QUEUED_ZOMBIE",
    "the worker's drm_gpuvm_bo_deferred_cleanup() takes off gpuvm->bo_defer the zombie that run_job's drm_gpuvm_bo_put_deferred() queued and frees it, dropping the GEM's last reference, while run_job's CPU runs",
);

/// RESV_PROTECTED + immediate mode: a submit's walk meets a zombie still on the VM's lists.
pub const WALK_SKIPS_ZOMBIE: Witness = Witness::new(
    "WALK_SKIPS_ZOMBIE",
    "a submit's drm_gpuvm_prepare_objects_locked() or drm_gpuvm_validate_locked() meets a zombie vm_bo (refcount 0, not yet unlinked by drm_gpuvm_bo_deferred_cleanup()) on gpuvm->extobj.list or gpuvm->evict.list and skips it",
);
