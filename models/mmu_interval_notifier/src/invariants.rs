//! The protocol's invariants (item 5 of the issue), stated in kernel terms: constants only,
//! so that every file of the crate can name them. The ghost state that checks them is
//! [`crate::ghost`].

use checker::invariant::{Invariant, Witness};

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

// ---------------------------------------------------------------------------------------
// Witnesses: the states a verified scenario must reach for its verdict to mean anything
// (checked at the kernel statement where the state exists; ghost, no scheduling point).

/// The collision the read side exists for: an invalidation reached the notifier inside the
/// fault's (or the exec's) read_begin/read_retry window.
pub const READ_RETRY_COLLIDES: Witness = Witness::new(
    "READ_RETRY_COLLIDES",
    "the fault path's (or the userptr exec's) mmu_interval_read_retry() under its lock, or hmm_range_fault()'s mmu_interval_check_retry(), finds interval_sub->invalidate_seq changed: the invalidate callback ran mmu_interval_set_seq() while the reader held the sequence from mmu_interval_read_begin()",
);

/// The invalidation's start overlaps the reader's window from the other side: read_begin
/// finds it running and must sleep until invalidate_range_end.
pub const READ_BEGIN_WAITS: Witness = Witness::new(
    "READ_BEGIN_WAITS",
    "mmu_interval_read_begin() finds an invalidation of its notifier in progress (interval_sub->invalidate_seq == subscriptions->invalidate_seq, after invalidate_range_start and before its end) and sleeps in wait_event()",
);

/// The fault completed before the invalidation reached the driver: the callback has a
/// device PTE to zap.
pub const DEVICE_PTE_ZAPPED: Witness = Witness::new(
    "DEVICE_PTE_ZAPPED",
    "the driver's invalidate callback finds a device PTE the fault path programmed in the invalidated range and zaps it under user_lock",
);

/// The non-blockable invalidation meets the fault's critical section.
pub const NONBLOCK_TRYLOCK_FAILS: Witness = Witness::new(
    "NONBLOCK_TRYLOCK_FAILS",
    "the OOM reaper's non-blockable invalidation finds the driver's user_lock held by the fault path: mutex_trylock() fails and the callback returns false (invalidate_range_start_nonblock() returns -EAGAIN)",
);

/// An insert that lands in a full exclusion.
pub const INSERT_DEFERRED: Witness = Witness::new(
    "INSERT_DEFERRED",
    "mmu_interval_notifier_insert() runs while an invalidation walks the interval tree (active_invalidate_ranges != 0, invalidate_seq odd): the notifier is queued on deferred_list, not inserted",
);

/// An insert that lands in a partial exclusion.
pub const INSERT_IN_PARTIAL_EXCLUSION: Witness = Witness::new(
    "INSERT_IN_PARTIAL_EXCLUSION",
    "mmu_interval_notifier_insert() runs while an invalidation is active that invalidates no notifier (active_invalidate_ranges != 0, invalidate_seq even): it sets invalidate_seq |= 1 and inserts at once",
);

/// A remove that finds its own insert still deferred.
pub const REMOVE_CANCELS_DEFERRED_INSERT: Witness = Witness::new(
    "REMOVE_CANCELS_DEFERRED_INSERT",
    "mmu_interval_notifier_remove() runs while an invalidation is in progress and finds the notifier not yet in the interval tree (its insert is still on deferred_list): it hlist_del()s the deferred item",
);

/// The driver's fault comes after the exiting task's last mmput.
pub const FAULT_MMGET_FAILS: Witness = Witness::new(
    "FAULT_MMGET_FAILS",
    "the driver's fault path finds mm_users already 0 (mmget_not_zero() fails): exit_mmap() has started, and the driver still removes its notifier from the dying mm",
);

/// The driver's own mmput tears the address space down.
pub const FAULT_MMPUT_RUNS_EXIT_MMAP: Witness = Witness::new(
    "FAULT_MMPUT_RUNS_EXIT_MMAP",
    "the fault path's mmput() drops the last mm_users reference (the exiting task's mmput() ran while the fault held its mmget_not_zero()): exit_mmap() runs on the driver's CPU",
);

/// The userptr invalidate callback has a job to wait for.
pub const USERPTR_WAIT_FINDS_JOB: Witness = Witness::new(
    "USERPTR_WAIT_FINDS_JOB",
    "dma_resv_wait_timeout() on the VM's resv finds the userptr job's fence unsignalled and waits: the job runs while the invalidation of its pages is pending (after mmu_interval_set_seq(), before the callback returns)",
);
