//! Scenarios of the v5.19+ `dma_resv` (v6.8, [`crate::dma_resv`]): an unlocked reader
//! (`dma_resv_get_fences()` or `dma_resv_test_signaled()`, built on the unlocked iterator)
//! against a writer that holds the resv lock and reuses a slot in place, appends, or replaces
//! the list, while fences are released and (with `SLAB_TYPESAFE_BY_RCU`) their memory
//! becomes new fences at once.

use std::sync::{Arc, Mutex as StdMutex};

use checker::kernel::{
    ghost_now, kfree, kmem_cache_alloc, mutex_lock, mutex_unlock, KmemCache, Obj,
};
use checker::scenario::{join, spawn_cpu};

use crate::dma_fence::*;
use crate::dma_resv::*;

use super::dma_resv_v5_10::{fence_memory, timeline};

/// The objects of a scenario: a fence cache, two timelines (contexts 1 and 2), one resv.
#[derive(Clone)]
pub(crate) struct Setup {
    cache: KmemCache<DmaFence>,
    release: FenceRelease,
    tl: [Obj<Timeline>; 2],
    resv: Obj<DmaResv>,
}

pub(crate) fn setup(typesafe: bool) -> Setup {
    let (cache, release) = fence_memory(typesafe);
    let tl = [1, 2].map(timeline);
    let resv = dma_resv_init(&cache);
    Setup {
        cache,
        release,
        tl,
        resv,
    }
}

/// A driver's new fence on timeline `tl` (0 or 1): one reference, the caller's.
pub(crate) fn new_fence(s: &Setup, tl: usize, seqno: isize) -> FencePtr {
    let f = kmem_cache_alloc(&s.cache); // fence = kmem_cache_alloc(cache, GFP_KERNEL);
    dma_fence_init(&f, s.release, &s.tl[tl], seqno);
    f
}

/// A driver adding `f` under the resv lock, as drivers do: reserve a slot, then add.
pub(crate) fn add(s: &Setup, f: &FencePtr, usage: DmaResvUsage, how: ListFree) {
    let g = mutex_lock(&s.resv.lock); // dma_resv_lock(obj, NULL);
    dma_resv_reserve_fences(&s.resv, 1, how); // dma_resv_reserve_fences(obj, 1);
    dma_resv_add_fence(&s.resv, f, usage); // dma_resv_add_fence(obj, fence, usage);
    mutex_unlock(g); // dma_resv_unlock(obj);
}

/// Reserve `n` slots (the resv starts without a list).
pub(crate) fn reserve(s: &Setup, n: usize) {
    let g = mutex_lock(&s.resv.lock); // dma_resv_lock(obj, NULL);
    dma_resv_reserve_fences(&s.resv, n, ListFree::KfreeRcu); // dma_resv_reserve_fences(obj, n);
    mutex_unlock(g); // dma_resv_unlock(obj);
}

pub(crate) fn teardown(s: &Setup, producer_refs: &[FencePtr]) {
    dma_resv_fini(&s.resv);
    for f in producer_refs {
        dma_fence_put(f);
    }
    kfree(&s.resv);
    for tl in &s.tl {
        kfree(tl);
    }
}

/// The unlocked readers, both asking for every usage (BOOKKEEP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    /// `dma_resv_get_fences(obj, DMA_RESV_USAGE_BOOKKEEP, …)`, then put each fence.
    GetFences,
    /// The same over the walk variant that re-checks the entry ([`Walk::RecheckEntry`]).
    GetFencesRecheck,
    /// `dma_resv_test_signaled(obj, DMA_RESV_USAGE_BOOKKEEP)`.
    TestSignaled,
}

pub(crate) fn read(resv: &Obj<DmaResv>, r: Reader) {
    let start = ghost_now();
    match r {
        Reader::GetFences | Reader::GetFencesRecheck => {
            let walk = if r == Reader::GetFences {
                Walk::Upstream
            } else {
                Walk::RecheckEntry
            };
            let got = dma_resv_get_fences_walk(resv, DmaResvUsage::Bookkeep, walk);
            check_get_fences(resv, &got, start, ghost_now());
            for f in got {
                dma_fence_put(&f); // dma_fence_put(fences[i]);
            }
        }
        Reader::TestSignaled => {
            let idle = dma_resv_test_signaled(resv, DmaResvUsage::Bookkeep);
            check_test_signaled(resv, DmaResvUsage::Bookkeep, idle, start, ghost_now());
        }
    }
}

/// In-place slot reuse: the resv holds A (context 1, WRITE). The writer adds C (context 1,
/// later) with WRITE: `dma_resv_add_fence()` overwrites A's slot in place and puts A. Then
/// A's job completes, its producer drops the last reference, and the next fence B is
/// allocated (into A's memory if the cache recycles); B is still running at the end.
pub(crate) fn slot_reuse(typesafe: bool, reader: Reader) {
    let s = setup(typesafe);
    let a = new_fence(&s, 0, 1);
    let c = new_fence(&s, 0, 2);
    reserve(&s, 2);
    add(&s, &a, DmaResvUsage::Write, ListFree::KfreeRcu);
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || read(&resv, reader))
    };
    let next = Arc::new(StdMutex::new(None));
    let w = {
        let (s, c, next) = (s.clone(), c.clone(), next.clone());
        spawn_cpu(move || {
            add(&s, &c, DmaResvUsage::Write, ListFree::KfreeRcu); // C replaces A in place
            dma_fence_signal(&a); // A's job completes
            dma_fence_put(&a); // its producer drops the last reference
            let b = new_fence(&s, 1, 1); // the next request, maybe in A's memory
            *next.lock().unwrap() = Some(b); // still running when the scenario ends
        })
    };
    join(r);
    join(w);
    let b = next.lock().unwrap().take().expect("the writer allocated B");
    teardown(&s, &[c, b]);
}

pub(crate) fn iter_get_fences_slot_reuse_recycled() {
    slot_reuse(true, Reader::GetFences)
}
pub(crate) fn iter_get_fences_slot_reuse_recheck_recycled() {
    slot_reuse(true, Reader::GetFencesRecheck)
}
pub(crate) fn iter_get_fences_slot_reuse_kfree_rcu() {
    slot_reuse(false, Reader::GetFences)
}
pub(crate) fn iter_test_signaled_slot_reuse_kfree_rcu() {
    slot_reuse(false, Reader::TestSignaled)
}

/// List replacement: the resv's list (one entry) holds S, signaled, referenced by the resv
/// only. The writer reserves one more slot: `dma_resv_reserve_fences()` copies into a new
/// list of two (S, signaled, goes to the tail), publishes it, puts S (S is released: with
/// `SLAB_TYPESAFE_BY_RCU` its memory is free at once) and frees the old list (`how`). (No
/// fence is appended: an append races on its own, see [`ADD_FENCE_APPEND_PUBLISH`].) Then the next fence B is allocated (in S's memory if the cache recycles); B is
/// still running at the end.
pub(crate) fn list_replaced(typesafe: bool, how: ListFree) {
    let s = setup(typesafe);
    let sf = new_fence(&s, 0, 1);
    reserve(&s, 1);
    add(&s, &sf, DmaResvUsage::Write, ListFree::KfreeRcu);
    dma_fence_signal(&sf); // S's job completed
    dma_fence_put(&sf); // its producer's reference: only the resv holds S
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || read(&resv, Reader::GetFences))
    };
    let next = Arc::new(StdMutex::new(None));
    let w = {
        let (s, next) = (s.clone(), next.clone());
        spawn_cpu(move || {
            let g = mutex_lock(&s.resv.lock); // dma_resv_lock(obj, NULL);
            dma_resv_reserve_fences(&s.resv, 1, how); // the list is replaced, S dropped
            mutex_unlock(g); // dma_resv_unlock(obj);
            let b = new_fence(&s, 1, 1); // the next request, maybe in S's memory
            *next.lock().unwrap() = Some(b); // still running when the scenario ends
        })
    };
    join(r);
    join(w);
    let b = next.lock().unwrap().take().expect("the writer allocated B");
    teardown(&s, &[b]);
}

pub(crate) fn iter_get_fences_list_replaced_kfree_rcu() {
    list_replaced(false, ListFree::KfreeRcu)
}
pub(crate) fn iter_get_fences_list_replaced_recycled() {
    list_replaced(true, ListFree::KfreeRcu)
}
pub(crate) fn reserve_fences_kfree_old_list() {
    list_replaced(false, ListFree::Kfree)
}

/// In-place publication: the resv (two slots) holds A (context 1, WRITE, never signaled).
/// The writer allocates C, in the memory of a fence X that had signaled (its SIGNALED bit
/// still set until `dma_fence_init()` clears it), and adds it with WRITE: it replaces A in
/// place with `RCU_INIT_POINTER()`. The reader tests the resv. The writer is spawned first
/// (see the README: loom's exploration of these publication races depends on it).
pub(crate) fn add_fence_slot_reuse_publish() {
    let s = setup(true);
    let a = new_fence(&s, 0, 1);
    let x = new_fence(&s, 1, 1);
    dma_fence_signal(&x);
    dma_fence_put(&x); // X's memory is free, its SIGNALED bit still set
    reserve(&s, 2);
    add(&s, &a, DmaResvUsage::Write, ListFree::KfreeRcu);
    let w = {
        let s = s.clone();
        spawn_cpu(move || {
            let c = new_fence(&s, 0, 2); // in X's memory
            add(&s, &c, DmaResvUsage::Write, ListFree::KfreeRcu); // C replaces A in place
            dma_fence_put(&c); // the producer's reference
        })
    };
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || read(&resv, Reader::TestSignaled))
    };
    join(w);
    join(r);
    teardown(&s, &[a]);
}

/// Append publication: the resv (two slots) holds A (context 1, unsignaled). The writer
/// appends C (context 2): `table[1] = C`, then `smp_store_mb(num_fences, 2)`; then A
/// signals. The reader collects the fences: once A is signaled its walk goes on to entry 1
/// in the same read-side section. The writer is spawned first (as above).
pub(crate) fn add_fence_append_publish() {
    let s = setup(false);
    let a = new_fence(&s, 0, 1);
    let c = new_fence(&s, 1, 1);
    reserve(&s, 2);
    add(&s, &a, DmaResvUsage::Write, ListFree::KfreeRcu);
    let w = {
        let (s, a, c) = (s.clone(), a.clone(), c.clone());
        spawn_cpu(move || {
            add(&s, &c, DmaResvUsage::Write, ListFree::KfreeRcu); // C appended
            dma_fence_signal(&a); // A's job completes
        })
    };
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || read(&resv, Reader::GetFences))
    };
    join(w);
    join(r);
    teardown(&s, &[a, c]);
}
