//! Scenario bodies against `struct drm_syncobj`'s fence pointer ([`crate::drm_syncobj`]) and
//! the DRM scheduler's timestamp hand-over ([`crate::sched_main`]): two reviewed fixes of
//! races on a single fence.

use checker::kernel::kfree;
use checker::scenario::{check, join, spawn_cpu};

use crate::dma_fence::*;
use crate::drm_syncobj::*;
use crate::invariants::*;
use crate::sched_main::*;

use super::dma_resv_v5_10::{fence_memory, timeline};

/// The race "drm/syncobj: Add a race-free drm_syncobj_fence_get helper" (Aug 2017) closes:
/// a lookup of the syncobj's fence (`drm_syncobj_find_fence()`, e.g. for
/// `DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD` with `EXPORT_SYNC_FILE`) against a
/// `drm_syncobj_replace_fence()` (a submission signalling the syncobj) that installs C over
/// A, after which A's producer signals A and drops its reference: the syncobj's was A's last.
pub(crate) fn syncobj_replace_race(rev: SyncobjRevision, typesafe: bool) {
    let (cache, release) = fence_memory(typesafe);
    let tl = timeline(1);
    let syncobj = drm_syncobj_create(&cache, rev);
    let new_fence = {
        let (cache, tl) = (cache.clone(), tl.clone());
        move |seqno| {
            let f = checker::kernel::kmem_cache_alloc(&cache); // fence = kmem_cache_alloc(cache, GFP_KERNEL);
            dma_fence_init(&f, release, &tl, seqno);
            f
        }
    };
    let a = new_fence(1);
    let c = new_fence(2);
    drm_syncobj_replace_fence(&syncobj, Some(&a)); // A's submission signals the syncobj
    let r = {
        let syncobj = syncobj.clone();
        spawn_cpu(move || {
            if let Some(f) = drm_syncobj_fence_get(&syncobj) {
                check(f.installed() == f.occupant(), &FENCE_GET_IDENTITY, || {
                    format!(
                        "drm_syncobj_fence_get() returned {} as {} (the fence its pointer read installed in {}), but its reference is on {}, a new fence in the same memory",
                        f.mem_name(),
                        f.installed_name(),
                        syncobj.fence.name(),
                        f.occupant_name()
                    )
                });
                dma_fence_put(&f); // dma_fence_put(fence);
            }
        })
    };
    let w = {
        let (syncobj, c) = (syncobj.clone(), c.clone());
        spawn_cpu(move || {
            drm_syncobj_replace_fence(&syncobj, Some(&c)); // C's submission signals the syncobj
            dma_fence_signal(&a); // A's job completes
            dma_fence_put(&a); // its producer drops its reference: the syncobj's was the last
            let b = new_fence(3); // the next request, in A's memory if the cache recycles
            dma_fence_signal(&b);
            dma_fence_put(&b);
        })
    };
    join(r);
    join(w);
    drm_syncobj_replace_fence(&syncobj, None); // drm_syncobj_free(): dma_fence_put(syncobj->fence)
    dma_fence_put(&c);
    kfree(&syncobj);
    kfree(&tl);
}

pub(crate) fn syncobj_fence_get_v4_13() {
    syncobj_replace_race(SyncobjRevision::V4_13, false)
}
pub(crate) fn syncobj_fence_get_rcu_safe() {
    syncobj_replace_race(SyncobjRevision::Upstream, false)
}
pub(crate) fn syncobj_fence_get_rcu_safe_recycled() {
    syncobj_replace_race(SyncobjRevision::Upstream, true)
}

/// The race of "dma-buf: add dma_fence_timestamp helper" (v6.6): the scheduler's cleanup
/// (`drm_sched_get_cleanup_job()`) reads the timestamp of a job's finished fence while the
/// fence's signaller runs `dma_fence_signal()`.
pub(crate) fn cleanup_job_timestamp_race(rev: CleanupJobRevision, ts: TimestampRevision) {
    let (cache, release) = fence_memory(false);
    let tl = timeline(1);
    let finished = checker::kernel::kmem_cache_alloc(&cache); // the job's s_fence->finished
    dma_fence_init(&finished, release, &tl, 1);
    *finished.timestamp_rev.lock().unwrap() = ts;
    let sched = {
        let f = finished.clone();
        spawn_cpu(move || {
            drm_sched_get_cleanup_job(&f, rev);
        })
    };
    let signaler = {
        let f = finished.clone();
        spawn_cpu(move || {
            dma_fence_signal(&f); // drm_sched_fence_finished(): the job's hardware fence signaled
        })
    };
    join(sched);
    join(signaler);
    dma_fence_put(&finished);
    kfree(&tl);
}

pub(crate) fn cleanup_job_timestamp_v6_5() {
    cleanup_job_timestamp_race(CleanupJobRevision::V6_5, TimestampRevision::Upstream)
}
pub(crate) fn cleanup_job_dma_fence_timestamp() {
    cleanup_job_timestamp_race(
        CleanupJobRevision::DmaFenceTimestamp,
        TimestampRevision::Upstream,
    )
}
pub(crate) fn cleanup_job_dma_fence_timestamp_barriers() {
    cleanup_job_timestamp_race(
        CleanupJobRevision::DmaFenceTimestamp,
        TimestampRevision::Barriers,
    )
}
pub(crate) fn cleanup_job_timestamp_fence_lock() {
    cleanup_job_timestamp_race(CleanupJobRevision::FenceLock, TimestampRevision::Upstream)
}
