//! Model of the mmu interval notifier core: mm/mmu_notifier.c and
//! include/linux/mmu_notifier.h as of v6.8 (the interval-tree design of Jason Gunthorpe's
//! 2019 series, 56f434f40f05). Line references cite v6.8.
//!
//! Every function carries its kernel name. Every scheduling point is on a line of its own,
//! commented with the kernel statement it stands for; `MODEL:` marks each simplification
//! (they are listed in this crate's README).
//!
//! # Memory orderings (kernel → C11)
//!
//! | kernel access (v6.8)                                              | model                         |
//! |-------------------------------------------------------------------|-------------------------------|
//! | `subscriptions->invalidate_seq` plain reads/writes under `subscriptions->lock` | `READ_ONCE`/`WRITE_ONCE` = `Relaxed`, ordered by the spinlock's acquire/release |
//! | `READ_ONCE(subscriptions->invalidate_seq)` in `read_begin`'s `wait_event()` condition, without the lock | `READ_ONCE` = `load(Relaxed)` |
//! | `READ_ONCE(interval_sub->invalidate_seq)` in `read_begin` (under `subscriptions->lock`) and `mmu_interval_check_retry()` (no lock) | `load(Relaxed)` |
//! | `WRITE_ONCE(interval_sub->invalidate_seq, cur_seq)` in `mmu_interval_set_seq()` (under the driver's user_lock) | `store(Relaxed)` |
//! | plain `interval_sub->invalidate_seq` read in `mmu_interval_read_retry()` (under user_lock) and written in insert (under `subscriptions->lock`) | `Relaxed` load / store |
//! | `spin_lock`/`spin_unlock`, the driver's `mutex_lock`/`_unlock`    | the backend's mutex: acquire / release |
//! | `wait_event()` / `wake_up_all()`                                  | `checker::kernel::wait` (the wq lock: acquire / release) |
//!
//! `MODEL:` plain aligned word accesses that race with a `READ_ONCE()` elsewhere are treated
//! as single-copy atomic (`Relaxed`), as KCSAN assumes by default
//! (CONFIG_KCSAN_ASSUME_PLAIN_WRITES_ATOMIC). Under the lock, the model reads
//! `invalidate_seq` once per critical section and reuses the value (nobody else can write it
//! while the lock is held), which saves scheduling points without changing what is read.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use checker::kernel::{
    kzalloc, list_add, list_del, list_for_each_entry, lockdep_assert_held, spin_lock, spin_unlock,
    trace_call, trace_note, wait_event, wake_up_all, AtomicT, Guarded, ListHead, Obj,
    INIT_LIST_HEAD, READ_ONCE, WARN_ON, WRITE_ONCE,
};

use checker::scenario::witness;

use crate::ghost;
use crate::invariants::{
    INSERT_DEFERRED, INSERT_IN_PARTIAL_EXCLUSION, READ_BEGIN_WAITS, REMOVE_CANCELS_DEFERRED_INSERT,
};
use crate::mm_types::{
    MmStruct, MmuIntervalNotifier, MmuIntervalNotifierOps, MmuNotifierRange,
    MmuNotifierSubscriptions, MmuNotifyEvent, ReadBeginRevision, NR_PAGES,
};
use crate::sched_mm::{mmdrop, mmgrab};

/// `-EAGAIN`.
pub const EAGAIN: isize = -11;

impl MmuNotifierRange {
    /// `mmu_notifier_range_init()` for `[start, end)`, blockable, as a new mm-level
    /// invalidation named `what` (ghost).
    pub fn new(
        mm: &Obj<MmStruct>,
        start: usize,
        end: usize,
        event: MmuNotifyEvent,
        what: &str,
    ) -> MmuNotifierRange {
        MmuNotifierRange {
            start,
            end,
            blockable: true,
            event,
            ghost_event: ghost::invalidation_begin(mm, what),
        }
    }

    /// `mmu_notifier_range_blockable(range)`.
    pub fn mmu_notifier_range_blockable(&self) -> bool {
        self.blockable
    }
}

/// Allocate a notifier for pages `[start, last]` of `mm` with `ops`, as a driver embeds it
/// in its own structure (kzalloc).
/// MODEL: `start`, `last`, `ops` and `mm` are set here rather than in insert (nothing reads
/// them before insert publishes the node under `subscriptions->lock`).
pub fn mmu_interval_notifier_alloc(
    mm: &Obj<MmStruct>,
    start: usize,
    last: usize,
    ops: Arc<dyn MmuIntervalNotifierOps>,
) -> Obj<MmuIntervalNotifier> {
    kzalloc("isub", |id, name| MmuIntervalNotifier {
        start,
        last,
        rb_linked: Guarded::new(
            format!("{name}.interval_tree.rb"),
            &mm.notifier_subscriptions.lock,
            false,
        ),
        ops,
        mm: mm.clone(),
        deferred_item: ListHead::new(id, name, "deferred_item"),
        invalidate_seq: AtomicT::new(name, "invalidate_seq", 0),
        ghost_in_callback: AtomicUsize::new(0),
        ghost_removed: AtomicBool::new(false),
        ghost_deferred: AtomicUsize::new(0),
    })
}

/// `__mmu_notifier_register(NULL, mm)`'s initialisation of the subscriptions
/// (mm/mmu_notifier.c:613, v6.8): `INIT_HLIST_HEAD(&subscriptions->deferred_list)`.
pub fn mmu_notifier_subscriptions_init(mm: &Obj<MmStruct>) {
    INIT_LIST_HEAD(&mm.notifier_subscriptions.deferred_list); // INIT_HLIST_HEAD(&subscriptions->deferred_list);
}

// ---------------------------------------------------------------------------------------
// The interval tree (ghost state under subscriptions->lock)
// ---------------------------------------------------------------------------------------

fn overlaps(n: &MmuIntervalNotifier, start: usize, last: usize) -> bool {
    n.start <= last && start <= n.last
}

/// `interval_tree_insert()` (lib/interval_tree.c).
fn interval_tree_insert(isub: &Obj<MmuIntervalNotifier>, subs: &MmuNotifierSubscriptions) {
    ghost::check_itree_stable(subs, "interval_tree_insert", isub);
    let mut tree = subs.itree.read();
    let at = tree.iter().take_while(|n| n.start <= isub.start).count();
    tree.insert(at, isub.clone());
    subs.itree.write(tree);
    isub.rb_linked.write(true);
    trace_note("interval_tree_insert", isub.name(), "");
}

/// `interval_tree_remove()` (lib/interval_tree.c).
fn interval_tree_remove(isub: &Obj<MmuIntervalNotifier>, subs: &MmuNotifierSubscriptions) {
    ghost::check_itree_stable(subs, "interval_tree_remove", isub);
    let mut tree = subs.itree.read();
    let before = tree.len();
    tree.retain(|n| !n.ptr_eq(isub));
    WARN_ON(
        tree.len() == before,
        "interval_tree_remove() of a node not in the tree",
    );
    subs.itree.write(tree);
    trace_note("interval_tree_remove", isub.name(), "");
}

/// `interval_tree_iter_first(&subscriptions->itree, start, last)`, under the lock.
fn interval_tree_iter_first(
    subs: &MmuNotifierSubscriptions,
    start: usize,
    last: usize,
) -> Option<Obj<MmuIntervalNotifier>> {
    subs.itree
        .read()
        .into_iter()
        .find(|n| overlaps(n.ghost(), start, last))
}

/// `interval_tree_iter_next(&interval_sub->interval_tree, start, last)`: called without the
/// lock, while `invalidate_seq` is odd, which freezes the tree.
/// MODEL: the lockless walk reads the ghost tree without the lock (`read_lockless()`, an
/// access every explorer orders against each change of the tree); every change of the tree
/// checks that no walk is in progress (`ITREE_STABLE`).
fn interval_tree_iter_next(
    subs: &MmuNotifierSubscriptions,
    isub: &Obj<MmuIntervalNotifier>,
    start: usize,
    last: usize,
) -> Option<Obj<MmuIntervalNotifier>> {
    let tree = subs.itree.read_lockless();
    let pos = tree.iter().position(|n| n.ptr_eq(isub))?;
    tree.into_iter()
        .skip(pos + 1)
        .find(|n| overlaps(n.ghost(), start, last))
}

// ---------------------------------------------------------------------------------------
// The write side: invalidations
// ---------------------------------------------------------------------------------------

/// `mn_itree_is_invalidating()` (mm/mmu_notifier.c:88, v6.8).
fn mn_itree_is_invalidating(seq: isize, subs: &MmuNotifierSubscriptions) -> bool {
    lockdep_assert_held(&subs.lock); // lockdep_assert_held(&subscriptions->lock);
    seq & 1 == 1 // return subscriptions->invalidate_seq & 1;
}

/// `mn_itree_inv_start_range()` (mm/mmu_notifier.c:95, v6.8): the first notifier the range
/// overlaps, and `cur_seq`.
fn mn_itree_inv_start_range(
    mm: &Obj<MmStruct>,
    range: &MmuNotifierRange,
) -> (Option<Obj<MmuIntervalNotifier>>, isize) {
    let subs = &mm.notifier_subscriptions;
    let _f = trace_call(
        "mn_itree_inv_start_range",
        &format!("[{}, {})", range.start, range.end),
    );
    let g = spin_lock(&subs.lock); // spin_lock(&subscriptions->lock);
    let active = subs.active_invalidate_ranges.read();
    subs.active_invalidate_ranges.write(active + 1); // subscriptions->active_invalidate_ranges++;
    let node = interval_tree_iter_first(subs, range.start, range.end - 1); // node = interval_tree_iter_first(&subscriptions->itree, range->start, range->end - 1);
    let mut seq = READ_ONCE(&subs.invalidate_seq); // (the plain reads of subscriptions->invalidate_seq below)
    if node.is_some() {
        seq |= 1;
        WRITE_ONCE(&subs.invalidate_seq, seq); // subscriptions->invalidate_seq |= 1;
    }
    ghost::walk_set(mm, range, node.is_some());
    spin_unlock(g); // spin_unlock(&subscriptions->lock);
    (node, seq) // *seq = subscriptions->invalidate_seq; return res;
}

/// `mn_itree_inv_next()` (mm/mmu_notifier.c:117, v6.8).
fn mn_itree_inv_next(
    subs: &MmuNotifierSubscriptions,
    isub: &Obj<MmuIntervalNotifier>,
    range: &MmuNotifierRange,
) -> Option<Obj<MmuIntervalNotifier>> {
    interval_tree_iter_next(subs, isub, range.start, range.end - 1)
}

/// `mn_itree_inv_end()` (mm/mmu_notifier.c:130, v6.8): the last end of an odd period makes
/// `invalidate_seq` even, applies the deferred inserts and removes, and wakes the waiters.
pub fn mn_itree_inv_end(subs: &MmuNotifierSubscriptions) {
    let _f = trace_call("mn_itree_inv_end", "");
    let g = spin_lock(&subs.lock); // spin_lock(&subscriptions->lock);
    let active = subs.active_invalidate_ranges.read();
    ghost::check_end_paired(active);
    let active = active.wrapping_sub(1);
    subs.active_invalidate_ranges.write(active); // --subscriptions->active_invalidate_ranges
    if active != 0 {
        spin_unlock(g); // spin_unlock(&subscriptions->lock);
        return;
    }
    let seq = READ_ONCE(&subs.invalidate_seq); // (plain read of subscriptions->invalidate_seq)
    if !mn_itree_is_invalidating(seq, subs) {
        spin_unlock(g); // spin_unlock(&subscriptions->lock);
        return;
    }
    WRITE_ONCE(&subs.invalidate_seq, seq + 1); // subscriptions->invalidate_seq++;
    for isub in list_for_each_entry::<MmuIntervalNotifier>(&subs.deferred_list) {
        // hlist_for_each_entry_safe(interval_sub, next, &subscriptions->deferred_list, deferred_item)
        if !isub.rb_linked.read() {
            interval_tree_insert(&isub, subs); // if (RB_EMPTY_NODE(...)) interval_tree_insert(...);
        } else {
            interval_tree_remove(&isub, subs); // else interval_tree_remove(...);
        }
        list_del(&isub.deferred_item); // hlist_del(&interval_sub->deferred_item);
        ghost::deferred_applied(&isub);
    }
    spin_unlock(g); // spin_unlock(&subscriptions->lock);
    wake_up_all(&subs.wq); // wake_up_all(&subscriptions->wq);
}

/// The call `interval_sub->ops->invalidate(interval_sub, range, cur_seq)` of the walk, with
/// the ghost bookkeeping of `INVALIDATE_ONCE` and `REMOVE_COMPLETE`.
fn call_invalidate(
    mm: &Obj<MmStruct>,
    isub: &Obj<MmuIntervalNotifier>,
    range: &MmuNotifierRange,
    cur_seq: isize,
) -> bool {
    ghost::callback_begins(mm, isub, range);
    let ops = isub.ops.clone();
    let ret = ops.invalidate(isub, range, cur_seq); // ret = interval_sub->ops->invalidate(interval_sub, range, cur_seq);
    isub.ghost()
        .ghost_in_callback
        .fetch_sub(1, Ordering::Relaxed);
    ret
}

/// `mn_itree_invalidate()` (mm/mmu_notifier.c:437, v6.8): call `invalidate` on every notifier
/// the range overlaps. In a non-blockable range, a callback that would sleep makes it undo
/// its own start (`mn_itree_inv_end()`) and return -EAGAIN.
fn mn_itree_invalidate(mm: &Obj<MmStruct>, range: &MmuNotifierRange) -> isize {
    let subs = &mm.notifier_subscriptions;
    let _f = trace_call(
        "mn_itree_invalidate",
        &format!("[{}, {})", range.start, range.end),
    );
    let (mut next, cur_seq) = mn_itree_inv_start_range(mm, range); // interval_sub = mn_itree_inv_start_range(subscriptions, range, &cur_seq);
    let walking = next.is_some();
    while let Some(isub) = next {
        let ret = call_invalidate(mm, &isub, range, cur_seq); // ret = interval_sub->ops->invalidate(interval_sub, range, cur_seq);
        if !ret
            && !WARN_ON(
                range.mmu_notifier_range_blockable(),
                "mmu_notifier_range_blockable(range)",
            )
        {
            ghost::walk_ends(mm, range, walking);
            mn_itree_inv_end(subs); // out_would_block: mn_itree_inv_end(subscriptions);
            ghost::invalidation_aborted(mm, range);
            return EAGAIN; // return -EAGAIN;
        }
        next = mn_itree_inv_next(subs, &isub, range); // interval_sub = mn_itree_inv_next(interval_sub, range)
    }
    ghost::walk_ends(mm, range, walking);
    0
}

/// `mmu_notifier_invalidate_range_start()` (include/linux/mmu_notifier.h, v6.8) →
/// `__mmu_notifier_invalidate_range_start()` (mm/mmu_notifier.c:513): blockable.
/// MODEL: `mm_has_notifiers()` is true and there are no classic (hlist) subscribers.
pub fn mmu_notifier_invalidate_range_start(mm: &Obj<MmStruct>, range: &MmuNotifierRange) {
    let _f = trace_call(
        "mmu_notifier_invalidate_range_start",
        &format!("[{}, {})", range.start, range.end),
    );
    let range = MmuNotifierRange {
        blockable: true,
        ..*range
    }; // range->flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
    mn_itree_invalidate(mm, &range); // ret = mn_itree_invalidate(subscriptions, range);
}

/// `mmu_notifier_invalidate_range_start_nonblock()` (include/linux/mmu_notifier.h, v6.8):
/// 0, or -EAGAIN, after which the caller must not call `_end()`.
pub fn mmu_notifier_invalidate_range_start_nonblock(
    mm: &Obj<MmStruct>,
    range: &MmuNotifierRange,
) -> isize {
    let _f = trace_call(
        "mmu_notifier_invalidate_range_start_nonblock",
        &format!("[{}, {})", range.start, range.end),
    );
    let range = MmuNotifierRange {
        blockable: false,
        ..*range
    }; // range->flags &= ~MMU_NOTIFIER_RANGE_BLOCKABLE;
    mn_itree_invalidate(mm, &range) // ret = __mmu_notifier_invalidate_range_start(range);
}

/// `mmu_notifier_invalidate_range_end()` (include/linux/mmu_notifier.h, v6.8) →
/// `__mmu_notifier_invalidate_range_end()` (mm/mmu_notifier.c:553).
pub fn mmu_notifier_invalidate_range_end(mm: &Obj<MmStruct>, range: &MmuNotifierRange) {
    let _f = trace_call(
        "mmu_notifier_invalidate_range_end",
        &format!("[{}, {})", range.start, range.end),
    );
    mn_itree_inv_end(&mm.notifier_subscriptions); // if (subscriptions->has_itree) mn_itree_inv_end(subscriptions);
}

/// Which `__mmu_notifier_release()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseRevision {
    /// v6.8 (and the merged series): `mn_itree_release()` once.
    Upstream,
    /// v1 of the 2019 series ("[PATCH hmm 02/15] mm/mmu_notifier: add an interval tree
    /// notifier", Oct 15 2019): `mn_hlist_release()` called `mn_itree_release()` again, as
    /// Felix Kuehling's review found (C2 in kernel-protocols.md).
    V1DoubleRelease,
}

/// `mn_itree_release()` (mm/mmu_notifier.c:258, v6.8): invalidate every notifier over the
/// whole address space (event RELEASE, blockable). The nodes stay in the tree: drivers
/// still call remove.
fn mn_itree_release(mm: &Obj<MmStruct>, ghost_event: usize) {
    let subs = &mm.notifier_subscriptions;
    let _f = trace_call("mn_itree_release", mm.name());
    let range = MmuNotifierRange {
        start: 0,
        end: NR_PAGES,
        blockable: true,
        event: MmuNotifyEvent::Release,
        ghost_event,
    }; // .flags = MMU_NOTIFIER_RANGE_BLOCKABLE, .event = MMU_NOTIFY_RELEASE, .start = 0, .end = ULONG_MAX
    let (mut next, cur_seq) = mn_itree_inv_start_range(mm, &range); // interval_sub = mn_itree_inv_start_range(subscriptions, &range, &cur_seq);
    let walking = next.is_some();
    while let Some(isub) = next {
        let ret = call_invalidate(mm, &isub, &range, cur_seq); // ret = interval_sub->ops->invalidate(interval_sub, &range, cur_seq);
        WARN_ON(!ret, "!ret"); // WARN_ON(!ret);
        next = mn_itree_inv_next(subs, &isub, &range); // interval_sub = mn_itree_inv_next(interval_sub, &range)
    }
    ghost::walk_ends(mm, &range, walking);
    mn_itree_inv_end(subs); // mn_itree_inv_end(subscriptions);
}

/// `__mmu_notifier_release()` (mm/mmu_notifier.c:326, v6.8), from `exit_mmap()`.
pub fn __mmu_notifier_release(mm: &Obj<MmStruct>, ghost_event: usize, rev: ReleaseRevision) {
    let _f = trace_call("__mmu_notifier_release", mm.name());
    mn_itree_release(mm, ghost_event); // if (subscriptions->has_itree) mn_itree_release(subscriptions, mm);
    if rev == ReleaseRevision::V1DoubleRelease {
        // MODEL: v1's mn_hlist_release() is reduced to its duplicate mn_itree_release()
        // call; whether v1 guarded it with hlist_empty() is not known here, so the scenario
        // assumes the mm also has a classic subscriber (KVM, say) and the call happens.
        mn_itree_release(mm, ghost_event); // mn_hlist_release(subscriptions, mm): mn_itree_release(subscriptions, mm);  (v1)
    }
}

// ---------------------------------------------------------------------------------------
// Insert and remove
// ---------------------------------------------------------------------------------------

/// `mmu_interval_notifier_insert()` → `__mmu_interval_notifier_insert()`
/// (mm/mmu_notifier.c:905, v6.8). The caller holds `mmget()`.
/// MODEL: the subscriptions exist already (`mmu_notifier_register(NULL, mm)` not
/// modelled); the range cannot overflow.
pub fn mmu_interval_notifier_insert(isub: &Obj<MmuIntervalNotifier>) {
    let mm = &isub.mm;
    let subs = &mm.notifier_subscriptions;
    let _f = trace_call("mmu_interval_notifier_insert", isub.name());
    mmgrab(mm); // mmgrab(mm);
    let g = spin_lock(&subs.lock); // spin_lock(&subscriptions->lock);
    let seq = READ_ONCE(&subs.invalidate_seq); // (plain reads of subscriptions->invalidate_seq below)
    if subs.active_invalidate_ranges.read() != 0 {
        // if (subscriptions->active_invalidate_ranges) {
        let seq = if mn_itree_is_invalidating(seq, subs) {
            witness(&INSERT_DEFERRED);
            list_add(&isub.deferred_item, &subs.deferred_list); // hlist_add_head(&interval_sub->deferred_item, &subscriptions->deferred_list);
            ghost::deferred_queued(isub);
            seq
        } else {
            witness(&INSERT_IN_PARTIAL_EXCLUSION);
            WRITE_ONCE(&subs.invalidate_seq, seq | 1); // subscriptions->invalidate_seq |= 1;
            interval_tree_insert(isub, subs); // interval_tree_insert(&interval_sub->interval_tree, &subscriptions->itree);
            seq | 1
        };
        WRITE_ONCE(&isub.invalidate_seq, seq); // interval_sub->invalidate_seq = subscriptions->invalidate_seq;
    } else {
        WARN_ON(
            mn_itree_is_invalidating(seq, subs),
            "mn_itree_is_invalidating(subscriptions)",
        );
        WRITE_ONCE(&isub.invalidate_seq, seq - 1); // interval_sub->invalidate_seq = subscriptions->invalidate_seq - 1;
        interval_tree_insert(isub, subs); // interval_tree_insert(&interval_sub->interval_tree, &subscriptions->itree);
    }
    spin_unlock(g); // spin_unlock(&subscriptions->lock);
}

/// `mmu_interval_seq_released()` (mm/mmu_notifier.c:1032, v6.8).
fn mmu_interval_seq_released(subs: &MmuNotifierSubscriptions, seq: isize) -> bool {
    let g = spin_lock(&subs.lock); // spin_lock(&subscriptions->lock);
    let ret = READ_ONCE(&subs.invalidate_seq) != seq; // ret = subscriptions->invalidate_seq != seq;
    spin_unlock(g); // spin_unlock(&subscriptions->lock);
    ret
}

/// `mmu_interval_notifier_remove()` (mm/mmu_notifier.c:1053, v6.8): once it returns, no
/// callback of `isub` runs or will run.
/// MODEL: `lock_map_acquire/release(&__mmu_notifier_invalidate_range_start_map)` is not
/// modelled: a caller holding a lock its callback takes shows as a DEADLOCK instead.
pub fn mmu_interval_notifier_remove(isub: &Obj<MmuIntervalNotifier>) {
    let mm = isub.mm.clone();
    let subs = &mm.notifier_subscriptions;
    let _f = trace_call("mmu_interval_notifier_remove", isub.name());
    let mut wait_seq = 0; // unsigned long seq = 0;
    let g = spin_lock(&subs.lock); // spin_lock(&subscriptions->lock);
    let cur = READ_ONCE(&subs.invalidate_seq); // (plain reads of subscriptions->invalidate_seq below)
    if mn_itree_is_invalidating(cur, subs) {
        if !isub.rb_linked.read() {
            witness(&REMOVE_CANCELS_DEFERRED_INSERT);
            list_del(&isub.deferred_item); // if (RB_EMPTY_NODE(...)) hlist_del(&interval_sub->deferred_item);
            ghost::deferred_cancelled(isub);
        } else {
            list_add(&isub.deferred_item, &subs.deferred_list); // hlist_add_head(&interval_sub->deferred_item, &subscriptions->deferred_list);
            ghost::deferred_queued(isub);
            wait_seq = cur; // seq = subscriptions->invalidate_seq;
        }
    } else {
        WARN_ON(
            !isub.rb_linked.read(),
            "RB_EMPTY_NODE(&interval_sub->interval_tree.rb)",
        );
        interval_tree_remove(isub, subs); // interval_tree_remove(&interval_sub->interval_tree, &subscriptions->itree);
    }
    spin_unlock(g); // spin_unlock(&subscriptions->lock);
    if wait_seq != 0 {
        wait_event(&subs.wq, || mmu_interval_seq_released(subs, wait_seq)); // wait_event(subscriptions->wq, mmu_interval_seq_released(subscriptions, seq));
    }
    ghost::remove_returns(&mm, isub);
    mmdrop(&mm); // mmdrop(mm);
}

// ---------------------------------------------------------------------------------------
// The read side
// ---------------------------------------------------------------------------------------

/// `mmu_interval_read_begin()` (mm/mmu_notifier.c:190, v6.8): the sequence to pass to
/// `mmu_interval_read_retry()`; sleeps while an invalidation of this notifier is running.
/// MODEL: the lockdep map annotation is not modelled (see `mmu_interval_notifier_remove`).
pub fn mmu_interval_read_begin(isub: &Obj<MmuIntervalNotifier>) -> isize {
    let subs = &isub.mm.notifier_subscriptions;
    let _f = trace_call("mmu_interval_read_begin", isub.name());
    let g = spin_lock(&subs.lock); // spin_lock(&subscriptions->lock);
    let seq = READ_ONCE(&isub.invalidate_seq); // seq = READ_ONCE(interval_sub->invalidate_seq);
    let subs_seq = READ_ONCE(&subs.invalidate_seq); // (plain read of subscriptions->invalidate_seq)
    let is_invalidating = seq == subs_seq; // is_invalidating = seq == subscriptions->invalidate_seq;
    spin_unlock(g); // spin_unlock(&subscriptions->lock);
    if is_invalidating {
        witness(&READ_BEGIN_WAITS);
        match subs.read_begin {
            ReadBeginRevision::Upstream => {
                wait_event(&subs.wq, || READ_ONCE(&subs.invalidate_seq) != seq) // wait_event(subscriptions->wq, READ_ONCE(subscriptions->invalidate_seq) != seq);
            }
            ReadBeginRevision::LockedWaitCondition => {
                wait_event(&subs.wq, || mmu_interval_seq_released(subs, seq)) // (proposal) wait_event(subscriptions->wq, mmu_interval_seq_released(subscriptions, seq));
            }
        }
    }
    seq
}

/// `mmu_interval_read_retry()` (include/linux/mmu_notifier.h, v6.8): under the driver's
/// user_lock.
/// MODEL: the plain read is a relaxed load; user_lock orders it.
pub fn mmu_interval_read_retry(isub: &Obj<MmuIntervalNotifier>, seq: isize) -> bool {
    READ_ONCE(&isub.invalidate_seq) != seq // return interval_sub->invalidate_seq != seq;
}

/// `mmu_interval_check_retry()` (include/linux/mmu_notifier.h, v6.8): no lock; only
/// `true` is reliable.
pub fn mmu_interval_check_retry(isub: &Obj<MmuIntervalNotifier>, seq: isize) -> bool {
    READ_ONCE(&isub.invalidate_seq) != seq // return READ_ONCE(interval_sub->invalidate_seq) != seq;
}

/// `mmu_interval_set_seq()` (include/linux/mmu_notifier.h, v6.8): from the invalidate
/// callback, under the driver's user_lock.
pub fn mmu_interval_set_seq(isub: &Obj<MmuIntervalNotifier>, cur_seq: isize) {
    WRITE_ONCE(&isub.invalidate_seq, cur_seq); // WRITE_ONCE(interval_sub->invalidate_seq, cur_seq);
}
