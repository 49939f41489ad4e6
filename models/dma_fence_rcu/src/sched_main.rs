//! The fence-timestamp hand-over of the DRM GPU scheduler:
//! drivers/gpu/drm/scheduler/sched_main.c, `drm_sched_get_cleanup_job()`, as of **v6.5**
//! (since 1774baa64f93 "drm/scheduler: Change scheduled fence track v2") and as fixed by
//! "dma-buf: add dma_fence_timestamp helper" (Yunxiang Li, Christian König, Sep 2023, v6.6,
//! `Fixes: 1774baa64f93`). Only the lines that read the finished fence's timestamp are
//! modelled.

use checker::kernel::{spin_lock, spin_unlock, trace_call, trace_note, READ_ONCE};
use checker::scenario::{check, witness_if};

use crate::dma_fence::{dma_fence_is_signaled, dma_fence_timestamp, FencePtr, CB_LIST_HEAD_PTR};
use crate::invariants::{FENCE_TIMESTAMP_VALID, TIMESTAMP_READER_SEES_SIGNALED_BEFORE_TIMESTAMP};

/// How `drm_sched_get_cleanup_job()` reads the finished fence's timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CleanupJobRevision {
    /// v6.5 (sched_main.c:929 of the fix's base): `next->s_fence->scheduled.timestamp =
    /// job->s_fence->finished.timestamp;`, a plain read right after `dma_fence_is_signaled()`.
    V6_5,
    /// v6.6 (the fix): `= dma_fence_timestamp(&job->s_fence->finished);`, which busy-waits
    /// for `DMA_FENCE_FLAG_TIMESTAMP_BIT`.
    DmaFenceTimestamp,
    /// The alternative the fix's message names ("Another alternative would be to grab the
    /// spinlock when that happens"), taken always: read the timestamp under `fence->lock`
    /// (in no kernel).
    FenceLock,
}

/// `drm_sched_get_cleanup_job()` (sched_main.c, v6.5/v6.6), reduced to the timestamp
/// hand-over: if the oldest pending job's finished fence has signaled, the next job's
/// scheduled fence gets its timestamp. Returns that timestamp, or `None` if the job has not
/// finished. MODEL: the pending list, `list_del_init()`, the job and the next job are not
/// modelled (there is always a next job); `finished` is `&job->s_fence->finished`.
pub fn drm_sched_get_cleanup_job(finished: &FencePtr, rev: CleanupJobRevision) -> Option<isize> {
    let _c = trace_call("drm_sched_get_cleanup_job", &finished.describe());
    if !dma_fence_is_signaled(finished) {
        // if (job && dma_fence_is_signaled(&job->s_fence->finished)) {
        return None; // return NULL;
    }
    witness_if(
        !finished.ghost_timestamp_bit_set(),
        &TIMESTAMP_READER_SEES_SIGNALED_BEFORE_TIMESTAMP,
    );
    let ts = match rev {
        CleanupJobRevision::V6_5 => READ_ONCE(&finished.timestamp), // next->s_fence->scheduled.timestamp = job->s_fence->finished.timestamp;
        CleanupJobRevision::DmaFenceTimestamp => dma_fence_timestamp(finished), // next->s_fence->scheduled.timestamp = dma_fence_timestamp(&job->s_fence->finished);
        CleanupJobRevision::FenceLock => {
            let tl = finished.timeline();
            let g = spin_lock(&tl.lock); // spin_lock_irqsave(fence->lock, flags);
            let ts = READ_ONCE(&finished.timestamp); // timestamp = fence->timestamp;
            spin_unlock(g); // spin_unlock_irqrestore(fence->lock, flags);
            ts
        }
    };
    trace_note(
        "next->s_fence->scheduled.timestamp",
        &finished.describe(),
        &ts.to_string(),
    );
    check(ts != CB_LIST_HEAD_PTR, &FENCE_TIMESTAMP_VALID, || {
        format!(
            "drm_sched_get_cleanup_job() saw {} signaled and read its timestamp as {ts}: the cb_list pointer the union held before dma_fence_signal_timestamp_locked() stored the timestamp",
            finished.describe()
        )
    });
    Some(ts)
}
