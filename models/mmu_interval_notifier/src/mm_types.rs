//! The types: `struct mm_struct` as far as the notifiers see it (include/linux/mm_types.h)
//! and the structures it reaches, `struct mmu_notifier_subscriptions` (mm/mmu_notifier.c),
//! `struct mmu_interval_notifier`, its ops and `struct mmu_notifier_range`
//! (include/linux/mmu_notifier.h), v6.8, with the ghost state the invariants keep per mm.
//!
//! C breaks the mutual references (an mm holds its subscriptions, which hold notifiers,
//! which point back to their mm) with forward declarations; Rust needs the types in one
//! module, so that the files of this crate import each other in one direction only:
//! `mm_types` ← `ghost` ← `sched_mm` ← `mmu_notifier` ← `mmap` ← `hmm` ← `xe_vm` ←
//! `scenarios`. The functions stay in the files named after their kernel files.

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;

use checker::kernel::{
    AtomicT, Guarded, KMutex, Kref, ListHead, Obj, ObjId, SpinLock, WaitQueueHead,
};

use crate::dma_resv::DmaFence;

/// Pages of the model address space (page `p` is the VA range `[p, p + 1)`).
pub const NR_PAGES: usize = 2;

/// The pfn page `p` maps when the scenario starts (pfn 0 is `pte_none`).
pub fn initial_pfn(page: usize) -> isize {
    page as isize + 1
}

/// Physical pages the scenarios use: pfns 1 and 2 (mapped when a scenario starts) and 3
/// (a migration's destination page).
pub const NR_PFNS: usize = 3;

/// What the page allocator writes into a page it takes back (its next user's data).
pub const PAGE_POISON: isize = -1;

/// `struct mm_struct`, as far as mmu notifiers and their users see it.
pub struct MmStruct {
    /// `mm->mm_users`: the users of the address space (`mmget`/`mmput`).
    /// MODEL: an `atomic_t` in the kernel; a kref (refcount_t orderings) here. The kernel's
    /// `atomic_dec_and_test()` is fully ordered, refcount_t's is release/acquire: weaker.
    pub mm_users: Kref,
    /// `mm->mm_count`: references to the `struct mm_struct` itself (`mmgrab`/`mmdrop`).
    /// MODEL: as for `mm_users`.
    pub mm_count: Kref,
    /// `mm->mmap_lock`.
    /// MODEL: the rw_semaphore is a mutex, so readers would exclude each other: the one
    /// path that reads it concurrently with the driver's fault path (the OOM reaper) does not
    /// take it (see `__oom_reap_task_mm`); exit_mmap's reader never overlaps a fault (the
    /// fault holds `mm_users`). `mmap_write_downgrade()` is not modelled: munmap keeps the
    /// lock exclusive through the zap; a fault that would run after the downgrade finds no
    /// VMA and fails with -EFAULT, as it does here once munmap unlocks.
    pub mmap_lock: KMutex,
    /// One single-page VMA per page: present or detached. Under `mmap_lock`.
    pub vma: [Guarded<bool>; NR_PAGES],
    /// The CPU page-table entry of each page: a pfn, or 0 for `pte_none`. Read locklessly
    /// by `hmm_range_fault()` (`ptep_get()` = READ_ONCE), written by munmap's zap.
    pub pte: [AtomicT; NR_PAGES],
    /// One word of each physical page's memory, by pfn (`page_mem[pfn - 1]`): a GPU job's
    /// DMA writes it, and the page allocator writes it when it hands a freed page out again.
    /// MODEL: physical memory is three one-word pages that live in the mm object; the data
    /// itself is not checked, only who writes a page after it was freed (`free_page`).
    pub page_mem: [AtomicT; NR_PFNS],
    /// `mm->notifier_subscriptions`.
    /// MODEL: allocated with the mm (with `has_itree` set), as after the first
    /// `mmu_interval_notifier_insert()`'s `mmu_notifier_register(NULL, mm)`; freed with it.
    pub notifier_subscriptions: MmuNotifierSubscriptions,
    /// Ghost state of the invariants (no scheduling point).
    pub ghost: Ghost,
}

/// `enum mmu_notifier_event`, the values the model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmuNotifyEvent {
    /// `MMU_NOTIFY_UNMAP`.
    Unmap,
    /// `MMU_NOTIFY_RELEASE`.
    Release,
    /// `MMU_NOTIFY_MIGRATE`.
    Migrate,
}

/// `struct mmu_notifier_range` (include/linux/mmu_notifier.h, v6.8).
#[derive(Clone, Copy, Debug)]
pub struct MmuNotifierRange {
    /// `range->start`.
    pub start: usize,
    /// `range->end` (exclusive).
    pub end: usize,
    /// `range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE`.
    pub blockable: bool,
    /// `range->event`.
    pub event: MmuNotifyEvent,
    /// Ghost: the mm-level invalidation this range belongs to (for `INVALIDATE_ONCE`).
    pub ghost_event: usize,
}

/// `struct mmu_interval_notifier_ops`: the driver's `invalidate` callback.
pub trait MmuIntervalNotifierOps: Send + Sync {
    /// `ops->invalidate(interval_sub, range, cur_seq)`: false only in a non-blockable range,
    /// when the driver would have to sleep.
    fn invalidate(
        &self,
        interval_sub: &Obj<MmuIntervalNotifier>,
        range: &MmuNotifierRange,
        cur_seq: isize,
    ) -> bool;
}

/// `struct mmu_interval_notifier` (include/linux/mmu_notifier.h, v6.8).
pub struct MmuIntervalNotifier {
    /// `interval_tree.start`.
    pub start: usize,
    /// `interval_tree.last` (inclusive).
    pub last: usize,
    /// `!RB_EMPTY_NODE(&interval_tree.rb)`: false from `RB_CLEAR_NODE()` in insert until
    /// `interval_tree_insert()`. Under `subscriptions->lock`. Like the kernel's,
    /// `interval_tree_remove()` does not clear it.
    pub rb_linked: Guarded<bool>,
    /// `ops`.
    pub ops: Arc<dyn MmuIntervalNotifierOps>,
    /// `mm`: holds an `mmgrab()` from insert until remove.
    pub mm: Obj<MmStruct>,
    /// `deferred_item` (an `hlist_node` in the kernel).
    pub deferred_item: ListHead,
    /// `invalidate_seq`.
    pub invalidate_seq: AtomicT,
    /// Ghost: invalidate callbacks of this notifier running now.
    pub ghost_in_callback: AtomicUsize,
    /// Ghost: `mmu_interval_notifier_remove()` has returned.
    pub ghost_removed: AtomicBool,
    /// Ghost: deferred operations queued for this notifier and not yet applied.
    pub ghost_deferred: AtomicUsize,
}

/// `struct mmu_notifier_subscriptions` (mm/mmu_notifier.c:43, v6.8), without the hlist of
/// classic notifiers (MODEL: no classic `struct mmu_notifier` subscribers).
pub struct MmuNotifierSubscriptions {
    /// `lock`.
    pub lock: SpinLock,
    /// `invalidate_seq`: starts at 2; odd while fully excluded.
    pub invalidate_seq: AtomicT,
    /// `active_invalidate_ranges`.
    pub active_invalidate_ranges: Guarded<usize>,
    /// `itree`: a small interval tree, kept sorted by start (ghost state under `lock`; its
    /// nodes are pointers to notifiers, so `kfree` of one still in the tree is checked:
    /// `Guarded::new_refs`; the invalidation's lockless walk reads it: `lockless_reads`).
    /// MODEL: the rb-tree is a sorted vector; `interval_tree_iter_first/next` return the
    /// overlapping nodes in start order, as the augmented rb-tree does.
    pub itree: Guarded<Vec<Obj<MmuIntervalNotifier>>>,
    /// `deferred_list` (an `hlist_head` in the kernel).
    /// MODEL: a list_head; `hlist_add_head`/`hlist_del` are `list_add`/`list_del`.
    pub deferred_list: ListHead,
    /// `wq`.
    pub wq: WaitQueueHead,
    /// Ghost: invalidations walking the tree without the lock now, by range.
    pub ghost_walkers: std::sync::Mutex<Vec<String>>,
    /// Which `mmu_interval_read_begin()` this kernel has (not a field of the kernel's).
    pub read_begin: ReadBeginRevision,
}

/// Which `mmu_interval_read_begin()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadBeginRevision {
    /// v6.8: `wait_event(subscriptions->wq, READ_ONCE(subscriptions->invalidate_seq) != seq)`.
    Upstream,
    /// A proposal of this model, in no kernel: the wait condition reads the sequence under
    /// `subscriptions->lock`, as `mmu_interval_notifier_remove()` already does
    /// (`mmu_interval_seq_released()`), so that a reader that sees the invalidation's end is
    /// ordered after everything the invalidation did before it (the lock's release/acquire).
    LockedWaitCondition,
}

impl MmuNotifierSubscriptions {
    /// The subscriptions of the mm `owner` (allocated with it).
    pub fn new(
        owner: ObjId,
        owner_name: &str,
        read_begin: ReadBeginRevision,
    ) -> MmuNotifierSubscriptions {
        let name = format!("{owner_name}.notifier_subscriptions");
        let lock = SpinLock::new(owner, owner_name, "notifier_subscriptions.lock");
        MmuNotifierSubscriptions {
            invalidate_seq: AtomicT::new(&name, "invalidate_seq", 2),
            active_invalidate_ranges: Guarded::new(
                format!("{name}.active_invalidate_ranges"),
                &lock,
                0,
            ),
            itree: Guarded::new_refs(format!("{name}.itree"), &lock, Vec::new()).lockless_reads(),
            deferred_list: ListHead::new_head(
                owner,
                owner_name,
                "notifier_subscriptions.deferred_list",
                &lock,
            ),
            wq: WaitQueueHead::new(&name, "wq"),
            lock,
            ghost_walkers: std::sync::Mutex::new(Vec::new()),
            read_begin,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ghost state (no scheduling point; checked by `ghost.rs`)
// ---------------------------------------------------------------------------------------

/// A GPU job a userptr exec submitted: its fence and the pages it was built with.
#[derive(Clone)]
pub struct GhostJob {
    pub fence: Obj<DmaFence>,
    /// (page, pfn) pairs.
    pub pages: Vec<(usize, isize)>,
}

/// One mm-level invalidation.
pub struct GhostEvent {
    pub(crate) what: String,
    /// Notifiers in the tree that its walks overlapped, by name.
    pub(crate) expected: Vec<String>,
    /// Callbacks called, by notifier name.
    pub(crate) calls: Vec<(String, usize)>,
    pub(crate) aborted: bool,
    /// pfns it unmapped.
    pub(crate) unmapped: Vec<isize>,
}

/// A driver's mirror of an mm, as the ghost checks see it: its name and a ghost read of its
/// device PTE of a page (the driver's type stays in hmm.rs, which imports this file).
#[derive(Clone)]
pub struct Mirror {
    pub name: String,
    pub device_pte: Arc<dyn Fn(usize) -> isize + Send + Sync>,
}

/// Per-mm ghost state.
#[derive(Default)]
pub struct GhostState {
    /// The drivers mirroring this mm (their device PTEs are checked).
    pub mirrors: Vec<Mirror>,
    pub(crate) events: Vec<GhostEvent>,
    /// pfns unmapped by an invalidation whose end has returned (then freed).
    pub(crate) gone: Vec<(isize, String)>,
    /// The pfn each CPU PTE maps (0: none), updated where the CPU writes the PTE.
    pub(crate) cpu_pfn: [isize; NR_PAGES],
    /// GPU jobs submitted by a userptr exec (see `userptr.rs`).
    pub(crate) jobs: Vec<GhostJob>,
    /// pfns whose userptr invalidate callback has returned: no GPU job may access them.
    pub(crate) revoked: Vec<(isize, String)>,
}

/// The ghost state of an mm.
#[derive(Default)]
pub struct Ghost(std::sync::Mutex<GhostState>);

impl Ghost {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, GhostState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
