//! The invariants of the vm_bo lifecycle model, stated in kernel terms: constants only, so
//! that every file of the crate can name them.

use checker::invariant::Invariant;

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
