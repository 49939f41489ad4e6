//! Scenarios of the dma_fence_rcu model: the one table. Each row names its body (in the files
//! beside this one), its CPUs, its expected result and what it races; the harness judges it
//! (see `checker::explore`).

use checker::invariant::{DEADLOCK, OOPS, USE_AFTER_FREE};
use checker::scenario;
use checker::scenario::{Bounds, Expected, Scenario};

use crate::dma_fence::FenceRelease;
use crate::invariants::*;

mod dma_resv;
mod dma_resv_v5_10;
mod fence_array;
mod syncobj_sched;

use dma_resv::*;
use dma_resv_v5_10::*;
use fence_array::*;
use syncobj_sched::*;

/// Every scenario of this model.
#[rustfmt::skip]
pub const SCENARIOS: &[Scenario] = &[
    // B1/B7: plain `dma_fence_get_rcu()` on a recycled fence.
    scenario!(get_rcu_recycled, ["reader", "writer"], reachable(FENCE_GET_IDENTITY),
        "rcu_dereference + dma_fence_get_rcu, no pointer re-check, SLAB_TYPESAFE_BY_RCU fences: the exclusive fence is replaced, released and its memory reused"),
    // The same reader with kfree_rcu fences.
    scenario!(get_rcu_kfree_rcu = recycle_race(FenceRelease::KfreeRcu, dma_resv_v5_10::Reader::GetRcu), ["reader", "writer"], unreachable,
        "rcu_dereference + dma_fence_get_rcu, no pointer re-check, fences freed with kfree_rcu (dma_fence_free)")
        .witnesses(&[GET_RCU_MEETS_RELEASED_FENCE]),
    // The worked example of docs/writing-a-model.md: dma_fence_free() patched to kfree().
    // Also the calibration of the slab access check after each operation (rt::record): with
    // the check only where the SlabPtr is followed, the SC explorers missed the free between
    // the reader's rcu_dereference() and its kref_get_unless_zero().
    scenario!(get_rcu_kfree = recycle_race(FenceRelease::Kfree, dma_resv_v5_10::Reader::GetRcu), ["reader", "writer"], reachable(USE_AFTER_FREE),
        "rcu_dereference + dma_fence_get_rcu, no pointer re-check, against a dma_fence_free() patched to kfree(fence): no grace period"),
    // Upstream `dma_fence_get_rcu_safe()` on recycled fences. Safe under SC. Under weak memory
    // its re-check is not ordered after the reference: v6.8's `kref_get_unless_zero()` is
    // `refcount_inc_not_zero()`, a relaxed cmpxchg (include/linux/refcount.h, v6.8), not the
    // full barrier its comment assumes, so the re-read of `*fencep` may return the old pointer
    // while the reference was taken on the recycled fence's fresh count.
    scenario!(get_rcu_safe_recycled, ["reader", "writer"], reachable(FENCE_GET_IDENTITY),
        "dma_fence_get_rcu_safe (v6.8) on SLAB_TYPESAFE_BY_RCU fences: the exclusive fence is replaced, released and its memory reused")
        .expected_sc(Expected::Unreachable),
    // B4: the four-line snippet with recycled fences.
    scenario!(snippet_recycled, ["reader", "writer"], reachable(IDLE_LINEARIZABLE),
        "rcu_read_lock; fence = excl; idle = !fence || test_bit(SIGNALED); rcu_read_unlock — SLAB_TYPESAFE_BY_RCU fences"),
    // B4 with kfree_rcu fences.
    scenario!(snippet_kfree_rcu, ["reader", "writer"], reachable(IDLE_LINEARIZABLE),
        "rcu_read_lock; fence = excl; idle = !fence || test_bit(SIGNALED); rcu_read_unlock — fences freed with kfree_rcu"),
    // Pre-v5.19 `dma_resv_test_signaled_rcu()` (seqcount, reference, retry) on recycled fences.
    scenario!(seqcount_test_signaled_recycled, ["reader", "writer"], unreachable,
        "v5.10 dma_resv_test_signaled_rcu (read_seqcount_begin, dma_fence_get_rcu, read_seqcount_retry) on SLAB_TYPESAFE_BY_RCU fences")
        // Unbounded again under loom since the object sleep sets are the default
        // (vendor/loom/KMODEL-PATCH.md, "A race with a yielded thread"): 637,412 executions,
        // 2,786 execution graphs. It had been bounded (5 preemptions: 474,529 executions) since
        // the ghost clock became a loom word (docs/architecture.md, soundness rule 6).
        .witnesses(&[GET_RCU_MEETS_RELEASED_FENCE]),
    // Publication without release: a weak-memory race only loom can show.
    scenario!(publish_rcu_init_pointer, ["reader", "writer"], reachable(IDLE_LINEARIZABLE),
        "a driver publishes a new exclusive fence (recycled memory, just dma_fence_init'ed) with RCU_INIT_POINTER, no release; the snippet reads it")
        .expected_sc(Expected::Unreachable),
    // The same with `rcu_assign_pointer()`.
    scenario!(publish_rcu_assign_pointer, ["reader", "writer"], unreachable,
        "the same publication with rcu_assign_pointer (release)")
        .witnesses(&[READS_FENCE_IN_RECYCLED_MEMORY]),
    // add/remove callback against signal.
    scenario!(callback_vs_signal, ["waiter", "signaler"], unreachable,
        "dma_fence_add_callback then dma_fence_remove_callback against dma_fence_signal")
        .witnesses(&[CALLBACK_RUN_BEFORE_REMOVE, CALLBACK_REMOVED_BEFORE_SIGNAL]),
    // v5.10 shared list: in-place reuse plus recycling, caught by the seqcount.
    scenario!(seqcount_get_fences_shared_recycled, ["reader", "writer"], unreachable,
        "v5.10 dma_resv_get_fences_rcu against dma_resv_add_shared_fence reusing A's slot in place for C; A is released and its SLAB_TYPESAFE_BY_RCU memory becomes a new fence B")
        .witnesses(&[GET_RCU_MEETS_RELEASED_FENCE]),
    // v5.10 shared list: the append has the same unordered entry / count stores as v6.8, and
    // the reader dereferences the entry before its seqcount retry (weak memory only).
    scenario!(seqcount_test_signaled_shared_append, ["writer", "reader"], reachable(OOPS),
        "v5.10 dma_resv_add_shared_fence appends C (shared[1] = C; smp_store_mb(shared_count, 2)), then A signals, while dma_resv_test_signaled_rcu(obj, true) walks the list")
        .expected_sc(Expected::Unreachable),
    // v5.10 shared list: in-place publication after the seqcount's smp_wmb.
    scenario!(seqcount_test_signaled_shared_publish, ["writer", "reader"], unreachable,
        "v5.10 dma_resv_add_shared_fence reuses A's slot in place for C, just dma_fence_init'ed in recycled memory whose SIGNALED bit was set; dma_resv_test_signaled_rcu(obj, true) reads the slot")
        .witnesses(&[READS_FENCE_IN_RECYCLED_MEMORY]),
    // The unlocked iterator hands out a recycled fence: in-place slot reuse does not change the
    // list pointer, so nothing restarts. The window is ~25 writer steps long (replace, signal,
    // release, allocate, init) with the reader stopped in between: shuttle's random scheduler
    // needs ~10 000 runs at seed 0, so its bound is raised to 100 000 (PCT finds it in tens).
    scenario!(iter_get_fences_slot_reuse_recycled, ["reader", "writer"], reachable(FENCE_GET_IDENTITY),
        "v6.8 dma_resv_get_fences (unlocked iterator) against dma_resv_add_fence reusing A's slot in place for C; A is released and its SLAB_TYPESAFE_BY_RCU memory becomes a new fence B")
        .bounds(Bounds {
            shuttle_iterations: 100_000,
            ..Bounds::DEFAULT
        }),
    // The extra check of the entry after the reference: right under SC; under weak memory the
    // re-read is not ordered after the relaxed `refcount_inc_not_zero()`, as in
    // `get_rcu_safe_recycled`.
    scenario!(iter_get_fences_slot_reuse_recheck_recycled, ["reader", "writer"], reachable(FENCE_GET_IDENTITY),
        "variant: the unlocked walk re-reads the entry after dma_fence_get_rcu and restarts if it changed; same race as iter_get_fences_slot_reuse_recycled")
        .expected_sc(Expected::Unreachable),
    // The same with kfree_rcu fences.
    scenario!(iter_get_fences_slot_reuse_kfree_rcu, ["reader", "writer"], unreachable,
        "v6.8 dma_resv_get_fences against in-place slot reuse, fences freed with kfree_rcu")
        .witnesses(&[GET_RCU_MEETS_RELEASED_FENCE]),
    // The iterator is not a snapshot: test_signaled can answer idle from a replaced fence.
    scenario!(iter_test_signaled_slot_reuse_kfree_rcu, ["reader", "writer"], reachable(IDLE_LINEARIZABLE),
        "v6.8 dma_resv_test_signaled against in-place slot reuse (C replaces A, then A signals), fences freed with kfree_rcu"),
    // List replacement with kfree_rcu fences: the restart rule.
    scenario!(iter_get_fences_list_replaced_kfree_rcu, ["reader", "writer"], unreachable,
        "v6.8 dma_resv_get_fences against dma_resv_reserve_fences replacing the list (old list kfree_rcu, signaled S dropped); fences freed with kfree_rcu")
        .witnesses(&[GET_RCU_MEETS_RELEASED_FENCE]),
    // List replacement with recycled fences: the restart check is not ordered after the
    // reference (weak memory only).
    scenario!(iter_get_fences_list_replaced_recycled, ["reader", "writer"], reachable(FENCE_GET_IDENTITY),
        "v6.8 dma_resv_get_fences against a list replacement that drops the signaled S, whose SLAB_TYPESAFE_BY_RCU memory becomes a new fence B")
        .expected_sc(Expected::Unreachable),
    // The old list freed without a grace period.
    scenario!(reserve_fences_kfree_old_list, ["reader", "writer"], reachable(USE_AFTER_FREE),
        "dma_resv_reserve_fences freeing the replaced list with kfree instead of kfree_rcu, against dma_resv_get_fences"),
    // In-place reuse publishes the new fence with RCU_INIT_POINTER (weak memory only).
    scenario!(add_fence_slot_reuse_publish, ["writer", "reader"], reachable(IDLE_LINEARIZABLE),
        "v6.8 dma_resv_add_fence reuses A's slot in place for C, just dma_fence_init'ed in recycled memory whose SIGNALED bit was set; dma_resv_test_signaled reads the slot")
        .expected_sc(Expected::Unreachable),
    // The append stores the entry and then `num_fences` with no barrier between (weak memory
    // only).
    scenario!(add_fence_append_publish, ["writer", "reader"], reachable(OOPS),
        "v6.8 dma_resv_add_fence appends C (table[1] = C; smp_store_mb(num_fences, 2)), then A signals, while dma_resv_get_fences walks the list")
        .expected_sc(Expected::Unreachable),
    // drm_syncobj v4.13: a plain dma_fence_get(syncobj->fence) against replace_fence's xchg
    // and put ("drm/syncobj: Add a race-free drm_syncobj_fence_get helper", Aug 2017).
    scenario!(syncobj_fence_get_v4_13, ["lookup", "replace"], reachable(USE_AFTER_FREE),
        "v4.13 drm_syncobj: dma_fence_get(syncobj->fence) against drm_syncobj_replace_fence (xchg, dma_fence_put of the old fence, its last reference); fences freed with kfree_rcu"),
    // The fix (v4.14+, read at v6.8): dma_fence_get_rcu_safe() under rcu_read_lock().
    scenario!(syncobj_fence_get_rcu_safe, ["lookup", "replace"], unreachable,
        "drm_syncobj_fence_get (rcu_read_lock + dma_fence_get_rcu_safe) against drm_syncobj_replace_fence (syncobj->lock, rcu_assign_pointer, put of the old fence's last reference); fences freed with kfree_rcu")
        .witnesses(&[GET_RCU_MEETS_RELEASED_FENCE]),
    // The fix with SLAB_TYPESAFE_BY_RCU fences (i915 requests in a syncobj): the weak-memory
    // race of get_rcu_safe_recycled, through the syncobj.
    scenario!(syncobj_fence_get_rcu_safe_recycled, ["lookup", "replace"], reachable(FENCE_GET_IDENTITY),
        "drm_syncobj_fence_get against drm_syncobj_replace_fence, SLAB_TYPESAFE_BY_RCU fences: the old fence is released and its memory reused")
        .expected_sc(Expected::Unreachable),
    // drm_sched_get_cleanup_job() v6.5 reads finished.timestamp right after
    // dma_fence_is_signaled(): the union still holds the cb_list pointer (Fixes: 1774baa64f93).
    scenario!(cleanup_job_timestamp_v6_5, ["sched", "signaler"], reachable(FENCE_TIMESTAMP_VALID),
        "v6.5 drm_sched_get_cleanup_job reads job->s_fence->finished.timestamp once the fence is signaled, against dma_fence_signal"),
    // The fix, dma_fence_timestamp() (v6.6): busy-wait for DMA_FENCE_FLAG_TIMESTAMP_BIT.
    // Right under SC. Under weak memory nothing orders the signaller's
    // `fence->timestamp = timestamp` before its relaxed set_bit(TIMESTAMP_BIT), nor the
    // reader's test_bit() before its load of fence->timestamp: message passing without
    // barriers. LKMM (herd7, `kmodel litmus` of loom's trace): allowed.
    scenario!(cleanup_job_dma_fence_timestamp, ["sched", "signaler"], reachable(FENCE_TIMESTAMP_VALID),
        "v6.6 drm_sched_get_cleanup_job reads dma_fence_timestamp(finished) (busy-waits for DMA_FENCE_FLAG_TIMESTAMP_BIT), against dma_fence_signal")
        .expected_sc(Expected::Unreachable)
        .witnesses(&[TIMESTAMP_READER_SEES_SIGNALED_BEFORE_TIMESTAMP]),
    // The weak-memory fix this model proposes (in no kernel): smp_mb__before_atomic() before
    // the signaller's set_bit(TIMESTAMP_BIT), smp_rmb() after the reader's loop.
    scenario!(cleanup_job_dma_fence_timestamp_barriers, ["sched", "signaler"], unreachable,
        "variant (in no kernel): dma_fence_timestamp() with smp_rmb() after its loop, dma_fence_signal_timestamp_locked() with smp_mb__before_atomic() before set_bit(TIMESTAMP_BIT)")
        .witnesses(&[TIMESTAMP_READER_SEES_SIGNALED_BEFORE_TIMESTAMP]),
    // The alternative the fix's message names: read the timestamp under fence->lock.
    scenario!(cleanup_job_timestamp_fence_lock, ["sched", "signaler"], unreachable,
        "variant (in no kernel): drm_sched_get_cleanup_job reads finished.timestamp under fence->lock, against dma_fence_signal")
        .witnesses(&[TIMESTAMP_READER_SEES_SIGNALED_BEFORE_TIMESTAMP]),
    // dma_fence_array before the 2026 series: polled with one of two fences signaled.
    scenario!(array_signaled_partial_base, ["waiter", "signaler", "poller"], unreachable,
        "dma_fence_array (upstream before the 2026 series): enable_signaling against f0's signal and dma_fence_is_signaled(array) while f1 is unsignaled")
        .witnesses(&[ARRAY_POLLED_WITH_ONE_SIGNALED]),
    // v1 of "remove unused functionality" (17 Mar 2026): Tvrtko Ursulin's false positive.
    scenario!(array_signaled_partial_v1, ["waiter", "signaler", "poller"], reachable(ARRAY_SIGNALED_COMPLETE),
        "dma_fence_array v1 (Mar 2026): one callback armed from the last fence down; signaled() checks fences[0 .. num_pending), not the armed one"),
    // v3 2/2 "optimize handling" (22 Apr 2026): num_pending drops only past a signaled fence.
    scenario!(array_signaled_partial_v3, ["waiter", "signaler", "poller"], unreachable,
        "dma_fence_array v3 2/2 (Apr 2026): the same race; num_pending counts the armed fence")
        .witnesses(&[ARRAY_POLLED_WITH_ONE_SIGNALED]),
    // Before the series, enable_signaling returns false when every fence has signaled.
    scenario!(array_enable_signaling_race_base, ["waiter", "signaler"], unreachable,
        "dma_fence_array (upstream before the 2026 series): dma_fence_enable_sw_signaling(array) against both fences signalling")
        .witnesses(&[ARRAY_ENABLE_SIGNALING_FINDS_ALL_SIGNALED]),
    // v3 2/2: dma_fence_array_arm_cb() signals the array under its own lock (the review).
    scenario!(array_enable_signaling_race_v3, ["waiter", "signaler"], reachable(DEADLOCK),
        "dma_fence_array v3 2/2 (Apr 2026): enable_signaling calls dma_fence_array_arm_cb(), which signals the array when both fences have signaled, under the array's fence->lock"),
];
