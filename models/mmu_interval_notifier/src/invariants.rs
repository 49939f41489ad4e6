//! The protocol's invariants (item 5 of the issue), stated in kernel terms: constants only,
//! so that every file of the crate can name them. The ghost state that checks them is
//! [`crate::ghost`].

use checker::invariant::Invariant;

/// Item 5: "once invalidate_range_end returns, no device PTE maps a page the CPU has
/// unmapped" (C.3 in kernel-protocols.md: no lost invalidation, no stale device mapping).
pub const NO_STALE_DEVICE_PTE: Invariant = Invariant::new(
    "NO_STALE_DEVICE_PTE",
    "once mmu_notifier_invalidate_range_end() has returned for a range, no device page-table entry maps a page the CPU unmapped (or replaced, migrating it) in that range, and none is programmed to it later",
);

/// Item 5: "every invalidate callback is called once per invalidation".
pub const INVALIDATE_ONCE: Invariant = Invariant::new(
    "INVALIDATE_ONCE",
    "each mm-level invalidation (an invalidate_range_start/end section, or exit_mmap's mmu_notifier_release()) calls the invalidate callback of every interval notifier it overlaps exactly once (at most once if it ends in -EAGAIN)",
);

/// Item 5: "every successful start has exactly one end".
pub const START_END_PAIRED: Invariant = Invariant::new(
    "START_END_PAIRED",
    "every successful invalidate_range_start is followed by exactly one mn_itree_inv_end, and one that returned -EAGAIN by none: active_invalidate_ranges never goes below 0, and once every invalidation has returned it is 0 and invalidate_seq is even",
);

/// Item 5: "deferred inserts/removes are applied exactly once, before the wake-up".
pub const DEFERRED_APPLIED_ONCE: Invariant = Invariant::new(
    "DEFERRED_APPLIED_ONCE",
    "an insert or remove deferred while invalidate_seq is odd is queued once and applied exactly once, by the last mn_itree_inv_end and before its wake_up_all(), or cancelled by remove; once all is quiet the interval tree holds exactly the inserted, not removed notifiers and the deferred list is empty",
);

/// Item 5: "after remove returns, no callback of that notifier runs or will run and nothing
/// references it".
pub const REMOVE_COMPLETE: Invariant = Invariant::new(
    "REMOVE_COMPLETE",
    "after mmu_interval_notifier_remove() returns, no invalidate callback of that notifier is running or will run, and neither the interval tree nor the deferred list references it (the driver may free it)",
);

/// mm/mmu_notifier.c's comment: "the itree is not allowed to change" while fully excluded;
/// the lockless walk of the invalidation relies on it.
pub const ITREE_STABLE: Invariant = Invariant::new(
    "ITREE_STABLE",
    "the interval tree changes only under subscriptions->lock while invalidate_seq is even, never while an invalidation walks it without the lock",
);

/// Item 5, second half: "once invalidate_range_end returns, ... no job can still access
/// [a page the CPU has unmapped]", in the form Documentation/gpu/drm-vm-bind-locking.rst
/// (v6.8) gives the userptr invalidate callback: "When this invalidation notifier returns,
/// the GPU can no longer be accessing the old pages of the userptr gpu_vma".
pub const USERPTR_JOB_ACCESS: Invariant = Invariant::new(
    "USERPTR_JOB_ACCESS",
    "once a userptr gpu_vma's invalidate callback has returned for a range, no GPU job accesses the pages the CPU mapped there: every job built with them has signalled its fence, none is submitted with them later, and none touches them after the CPU freed them",
);

/// Every invariant of this crate.
pub const INVARIANTS: &[Invariant] = &[
    NO_STALE_DEVICE_PTE,
    USERPTR_JOB_ACCESS,
    INVALIDATE_ONCE,
    START_END_PAIRED,
    DEFERRED_APPLIED_ONCE,
    REMOVE_COMPLETE,
    ITREE_STABLE,
];
