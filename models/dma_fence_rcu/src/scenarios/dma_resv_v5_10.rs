//! Scenario bodies against the fence itself and the v5.10 `dma_resv` (exclusive slot,
//! seqcount, shared list). The readers are the patterns of the June 2021 dri-devel thread;
//! the writer replaces the exclusive fence of a dma_resv while the old fence signals, is
//! released and (with `SLAB_TYPESAFE_BY_RCU`) its memory becomes a new fence at once.

use std::sync::Arc;

use checker::kernel::{
    ghost_now, kfree, kmem_cache_alloc, kzalloc, mutex_lock, mutex_unlock, rcu_dereference,
    rcu_read_lock, rcu_read_unlock, KmemCache, Obj, SpinLock,
};
use checker::scenario::{check, join, spawn_cpu, witness_if};

use crate::dma_fence::*;
use crate::dma_resv_v5_10::*;
use crate::invariants::*;

/// The objects of a scenario: a fence cache, one timeline (its lock), one dma_resv.
#[derive(Clone)]
pub(crate) struct Setup {
    cache: KmemCache<DmaFence>,
    release: FenceRelease,
    tl: Obj<Timeline>,
    resv: Obj<DmaResv>,
}

/// The fences' memory: a `SLAB_TYPESAFE_BY_RCU` cache (recycled at once) or a plain cache
/// whose fences are freed with `kfree_rcu`, and the matching release.
pub(crate) fn fence_memory(typesafe: bool) -> (KmemCache<DmaFence>, FenceRelease) {
    if typesafe {
        (
            KmemCache::new_typesafe_by_rcu("fence_cache", "fence", DmaFence::memory),
            FenceRelease::SlabTypesafeByRcu,
        )
    } else {
        (
            KmemCache::new("fence_cache", "fence", DmaFence::memory),
            FenceRelease::KfreeRcu,
        )
    }
}

/// A fence timeline of fence context `context`: its lock.
pub(crate) fn timeline(context: u64) -> Obj<Timeline> {
    kzalloc("timeline", move |id, n| Timeline {
        lock: SpinLock::new(id, n, "lock"),
        context,
    })
}

pub(crate) fn setup(typesafe: bool) -> Setup {
    setup_release(fence_memory_release(typesafe))
}

/// The release `fence_memory(typesafe)` pairs with its cache.
fn fence_memory_release(typesafe: bool) -> FenceRelease {
    if typesafe {
        FenceRelease::SlabTypesafeByRcu
    } else {
        FenceRelease::KfreeRcu
    }
}

/// [`setup`] for fences released by `release` (a plain cache unless `SlabTypesafeByRcu`).
pub(crate) fn setup_release(release: FenceRelease) -> Setup {
    let (cache, _) = fence_memory(release == FenceRelease::SlabTypesafeByRcu);
    let tl = timeline(1);
    let resv = dma_resv_init(&cache);
    Setup {
        cache,
        release,
        tl,
        resv,
    }
}

/// A driver's new fence: allocated from the cache and initialised, one reference (the
/// caller's).
pub(crate) fn new_fence(s: &Setup, seqno: isize) -> FencePtr {
    let f = kmem_cache_alloc(&s.cache); // fence = kmem_cache_alloc(cache, GFP_KERNEL);
    dma_fence_init(&f, s.release, &s.tl, seqno);
    f
}

pub(crate) fn add_excl(s: &Setup, f: Option<&FencePtr>) {
    let g = mutex_lock(&s.resv.lock); // dma_resv_lock(obj, NULL);
    dma_resv_add_excl_fence(&s.resv, f);
    mutex_unlock(g); // dma_resv_unlock(obj);
}

pub(crate) fn teardown(s: &Setup, producer_refs: &[FencePtr]) {
    add_excl(s, None);
    for f in producer_refs {
        dma_fence_put(f);
    }
    kfree(&s.resv);
    kfree(&s.tl);
}

pub(crate) fn check_get_identity(f: &FencePtr, how: &str) {
    check(f.installed() == f.occupant(), &FENCE_GET_IDENTITY, || {
        format!(
            "{how} returned {} as {} (the fence its pointer read installed in resv#1.fence_excl), but its reference is on {}, a new fence in the same memory",
            f.mem_name(),
            f.installed_name(),
            f.occupant_name()
        )
    });
}

/// The reader patterns of item 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    /// `rcu_read_lock(); f = rcu_dereference(excl); f = dma_fence_get_rcu(f);
    /// rcu_read_unlock();` with no re-check of the pointer.
    GetRcu,
    /// `rcu_read_lock(); f = dma_fence_get_rcu_safe(&excl); rcu_read_unlock();`.
    GetRcuSafe,
    /// The four-line snippet: `idle = !fence || test_bit(SIGNALED, &fence->flags)`.
    Snippet,
    /// Pre-v5.19 `dma_resv_test_signaled_rcu(obj, false)` (seqcount + reference).
    TestSignaledRcu,
}

pub(crate) fn read(resv: &Obj<DmaResv>, r: Reader) {
    match r {
        Reader::GetRcu => {
            rcu_read_lock(); // rcu_read_lock();
            let f = rcu_dereference(&resv.fence_excl); // fence = rcu_dereference(obj->fence_excl);
            let got = f.and_then(|f| dma_fence_get_rcu(&f)); // fence = dma_fence_get_rcu(fence);
            rcu_read_unlock(); // rcu_read_unlock();
            if let Some(f) = got {
                check_get_identity(&f, "rcu_dereference() + dma_fence_get_rcu()");
                dma_fence_put(&f); // dma_fence_put(fence);
            }
        }
        Reader::GetRcuSafe => {
            rcu_read_lock(); // rcu_read_lock();
            let got = dma_fence_get_rcu_safe(&resv.fence_excl); // fence = dma_fence_get_rcu_safe(&obj->fence_excl);
            rcu_read_unlock(); // rcu_read_unlock();
            if let Some(f) = got {
                check_get_identity(&f, "dma_fence_get_rcu_safe()");
                dma_fence_put(&f); // dma_fence_put(fence);
            }
        }
        Reader::Snippet => {
            let start = ghost_now();
            let idle = snippet_excl_idle(resv);
            check_idle_linearizable(resv, idle, start, ghost_now());
        }
        Reader::TestSignaledRcu => {
            let start = ghost_now();
            let idle = dma_resv_test_signaled_rcu(resv, false);
            check_idle_linearizable(resv, idle, start, ghost_now());
        }
    }
}

/// Item 5's race: a reader of `resv.fence_excl` against a writer that installs a new
/// exclusive fence C over A; then A's producer signals A and drops the last reference (with
/// `SLAB_TYPESAFE_BY_RCU` A's memory is free at once) and a new fence B is allocated (into
/// A's memory if the cache recycles) and signaled.
pub(crate) fn recycle_race(release: FenceRelease, reader: Reader) {
    let s = setup_release(release);
    let a = new_fence(&s, 1);
    let c = new_fence(&s, 2);
    add_excl(&s, Some(&a));
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || read(&resv, reader))
    };
    let w = {
        let (s, c) = (s.clone(), c.clone());
        spawn_cpu(move || {
            add_excl(&s, Some(&c)); // a new job's fence replaces A
            dma_fence_signal(&a); // A's job completes
            dma_fence_put(&a); // its producer drops the last reference
            let b = new_fence(&s, 3); // the next request, maybe in A's memory
            dma_fence_signal(&b); // completes at once
            dma_fence_put(&b);
        })
    };
    join(r);
    join(w);
    teardown(&s, &[c]);
}

pub(crate) fn get_rcu_recycled() {
    recycle_race(FenceRelease::SlabTypesafeByRcu, Reader::GetRcu)
}
pub(crate) fn get_rcu_safe_recycled() {
    recycle_race(FenceRelease::SlabTypesafeByRcu, Reader::GetRcuSafe)
}
pub(crate) fn snippet_recycled() {
    recycle_race(FenceRelease::SlabTypesafeByRcu, Reader::Snippet)
}
pub(crate) fn snippet_kfree_rcu() {
    recycle_race(FenceRelease::KfreeRcu, Reader::Snippet)
}
pub(crate) fn seqcount_test_signaled_recycled() {
    recycle_race(FenceRelease::SlabTypesafeByRcu, Reader::TestSignaledRcu)
}

/// Item 5's weak-memory variant: the exclusive fence A (unsignaled) is replaced by a new
/// fence B whose memory, recycled from a fence X that had signaled, still holds X's SIGNALED
/// bit until `dma_fence_init()` clears it. The snippet reads the new pointer. (With the
/// reader spawned first, upstream loom 0.7.2 never let the reader read the new pointer: the
/// loom bug that vendor/loom/KMODEL-PATCH.md fixes.)
pub(crate) fn publish(how: Publication) {
    let s = setup(true);
    let a = new_fence(&s, 1);
    let x = new_fence(&s, 2);
    dma_fence_signal(&x);
    dma_fence_put(&x); // X's memory is free, its SIGNALED bit still set
    add_excl(&s, Some(&a));
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || read(&resv, Reader::Snippet))
    };
    let w = {
        let s = s.clone();
        spawn_cpu(move || {
            let b = new_fence(&s, 3); // in X's memory
            driver_publish_excl(&s.resv, &b, how);
            dma_fence_put(&b); // the producer's reference
        })
    };
    join(r);
    join(w);
    teardown(&s, &[a]);
}

pub(crate) fn publish_rcu_init_pointer() {
    publish(Publication::RcuInitPointer)
}
pub(crate) fn publish_rcu_assign_pointer() {
    publish(Publication::RcuAssignPointer)
}

/// `dma_fence_add_callback()` then `dma_fence_remove_callback()` on one CPU, against
/// `dma_fence_signal()` on another: the callback runs exactly once or not at all.
pub(crate) fn callback_vs_signal() {
    let s = setup(false);
    let f = new_fence(&s, 1);
    let cb = DmaFenceCb::new("cb#1");
    let outcome = Arc::new(std::sync::Mutex::new((0, false)));
    let waiter = {
        let (f, cb, outcome) = (f.clone(), cb.clone(), outcome.clone());
        spawn_cpu(move || {
            let added = dma_fence_add_callback(&f, &cb);
            let removed = added == 0 && dma_fence_remove_callback(&f, &cb);
            witness_if(added == 0 && !removed, &CALLBACK_RUN_BEFORE_REMOVE);
            witness_if(removed, &CALLBACK_REMOVED_BEFORE_SIGNAL);
            *outcome.lock().unwrap() = (added, removed);
        })
    };
    let signaler = {
        let f = f.clone();
        spawn_cpu(move || {
            dma_fence_signal(&f);
        })
    };
    join(waiter);
    join(signaler);
    let (added, removed) = *outcome.lock().unwrap();
    let runs = *cb.runs.lock().unwrap();
    let want = usize::from(added == 0 && !removed);
    check(runs == want, &CALLBACK_ONCE, || {
        format!("add_callback returned {added}, remove_callback returned {removed}, and the callback ran {runs} times")
    });
    dma_fence_put(&f);
    kfree(&s.resv);
    kfree(&s.tl);
}

pub(crate) fn add_shared(s: &Setup, f: &FencePtr) {
    let g = mutex_lock(&s.resv.lock); // dma_resv_lock(obj, NULL);
    dma_resv_reserve_shared(&s.resv, 1); // dma_resv_reserve_shared(obj, 1);
    dma_resv_add_shared_fence(&s.resv, f); // dma_resv_add_shared_fence(obj, fence);
    mutex_unlock(g); // dma_resv_unlock(obj);
}

pub(crate) fn teardown_shared(s: &Setup, producer_refs: &[FencePtr]) {
    dma_resv_fini(&s.resv);
    for f in producer_refs {
        dma_fence_put(f);
    }
    kfree(&s.resv);
    kfree(&s.tl);
}

/// A v5.10 resv whose shared list (two slots) holds A: a fence of context 1 (`seqno`).
pub(crate) fn shared_setup(typesafe: bool) -> (Setup, FencePtr) {
    let s = setup(typesafe);
    let a = new_fence(&s, 1);
    let g = mutex_lock(&s.resv.lock); // dma_resv_lock(obj, NULL);
    dma_resv_reserve_shared(&s.resv, 2); // dma_resv_reserve_shared(obj, 2);
    mutex_unlock(g); // dma_resv_unlock(obj);
    add_shared(&s, &a);
    (s, a)
}

/// v5.10 shared list, in-place slot reuse with recycling: the writer adds C (context 1) as a
/// shared fence, which replaces A in place under the seqcount; A signals, is released, and
/// its memory becomes the next fence B (still running at the end). The reader takes
/// `dma_resv_get_fences_rcu()`.
pub(crate) fn seqcount_get_fences_shared_recycled() {
    let (s, a) = shared_setup(true);
    let c = new_fence(&s, 2);
    let next = Arc::new(std::sync::Mutex::new(None));
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || {
            let start = ghost_now();
            let (excl, shared) = dma_resv_get_fences_rcu(&resv);
            check_get_fences_rcu(
                &resv,
                excl.as_ref(),
                &shared,
                start,
                ghost_now(),
                &FENCE_GET_IDENTITY,
            );
            for f in excl.iter().chain(&shared) {
                dma_fence_put(f); // dma_fence_put(shared[i]);
            }
        })
    };
    let w = {
        let (s, c, next) = (s.clone(), c.clone(), next.clone());
        spawn_cpu(move || {
            add_shared(&s, &c); // C replaces A in place
            dma_fence_signal(&a); // A's job completes
            dma_fence_put(&a); // its producer drops the last reference
            let b = new_fence(&s, 3); // the next request, in A's memory
            *next.lock().unwrap() = Some(b); // still running when the scenario ends
        })
    };
    join(r);
    join(w);
    let b = next.lock().unwrap().take().expect("the writer allocated B");
    teardown_shared(&s, &[c, b]);
}

/// v5.10 shared list, append: the writer adds C, a fence of a second timeline (context 2), so
/// it is appended, not put in A's slot; then A signals. The reader runs
/// `dma_resv_test_signaled_rcu(obj, true)`: once A is signaled it goes on to entry 1. The
/// writer is spawned first.
pub(crate) fn seqcount_test_signaled_shared_append() {
    let (s, a) = shared_setup(false);
    let tl2 = kzalloc("timeline", |id, n| Timeline {
        lock: SpinLock::new(id, n, "lock"),
        context: 2,
    });
    let c = kmem_cache_alloc(&s.cache); // fence = kmem_cache_alloc(cache, GFP_KERNEL);
    dma_fence_init(&c, s.release, &tl2, 1);
    let w = {
        let (s, a, c) = (s.clone(), a.clone(), c.clone());
        spawn_cpu(move || {
            add_shared(&s, &c); // C appended: shared[1] = C; smp_store_mb(shared_count, 2)
            dma_fence_signal(&a); // A's job completes
        })
    };
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || {
            let start = ghost_now();
            let idle = dma_resv_test_signaled_rcu(&resv, true);
            check_test_signaled_all(&resv, idle, start, ghost_now());
        })
    };
    join(w);
    join(r);
    teardown_shared(&s, &[a, c]);
    kfree(&tl2);
}

/// v5.10 shared list, in-place publication: the writer allocates C (context 1) in the memory
/// of a fence X that had signaled, and adds it as a shared fence: it replaces A in place
/// after `write_seqcount_begin()`'s `smp_wmb()`. The reader runs
/// `dma_resv_test_signaled_rcu(obj, true)`. The writer is spawned first.
pub(crate) fn seqcount_test_signaled_shared_publish() {
    let (s, a) = shared_setup(true);
    let x = new_fence(&s, 9);
    dma_fence_signal(&x);
    dma_fence_put(&x); // X's memory is free, its SIGNALED bit still set
    let w = {
        let s = s.clone();
        spawn_cpu(move || {
            let c = new_fence(&s, 2); // in X's memory
            add_shared(&s, &c); // C replaces A in place
            dma_fence_put(&c); // the producer's reference
        })
    };
    let r = {
        let resv = s.resv.clone();
        spawn_cpu(move || {
            let start = ghost_now();
            let idle = dma_resv_test_signaled_rcu(&resv, true);
            check_test_signaled_all(&resv, idle, start, ghost_now());
        })
    };
    join(w);
    join(r);
    teardown_shared(&s, &[a]);
}
