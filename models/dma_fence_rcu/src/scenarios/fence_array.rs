//! Scenario bodies against `struct dma_fence_array` ([`crate::dma_fence_array`]): upstream
//! before the 2026 series and two revisions of its simplification, each raced against the
//! signalling of its fences.

use std::sync::Arc;

use checker::kernel::{kfree, kmem_cache_alloc, KmemCache, Obj};
use checker::scenario::{check, join, spawn_cpu, witness_if};

use crate::dma_fence::*;
use crate::dma_fence_array::*;
use crate::invariants::*;

use super::dma_resv_v5_10::{fence_memory, timeline};

/// Two fences f0, f1 (each its producer's reference, each on its own timeline) and an
/// array of them (holding a reference on each) with its own lock.
struct ArraySetup {
    f: [FencePtr; 2],
    array: Arc<DmaFenceArray>,
    tl: [Obj<Timeline>; 3],
}

fn array_setup(rev: ArrayRevision) -> ArraySetup {
    let (cache, release): (KmemCache<DmaFence>, FenceRelease) = fence_memory(false);
    let tl = [1, 2, 3].map(timeline);
    let new_fence = |t: &Obj<Timeline>| {
        let f = kmem_cache_alloc(&cache); // fence = kmalloc(...)
        dma_fence_init(&f, release, t, 1);
        f
    };
    let f = [new_fence(&tl[0]), new_fence(&tl[1])];
    for x in &f {
        dma_fence_get(x); // fences[i] = dma_fence_get(...): the array's references
    }
    let base = kmem_cache_alloc(&cache); // array = dma_fence_array_alloc(...)
    let array = dma_fence_array_create(base, &tl[2], f.to_vec(), rev);
    ArraySetup { f, array, tl }
}

fn array_teardown(s: ArraySetup) {
    let ArraySetup { f, array, tl } = s;
    let base = array.base.clone();
    drop(array);
    for x in &f {
        dma_fence_put(x); // the producers' references
    }
    dma_fence_put(&base); // the creator's reference: dma_fence_array_release()
    for t in &tl {
        kfree(t);
    }
}

/// Ghost: whether `f` has signaled.
fn signaled(f: &FencePtr) -> bool {
    f.occupant()
        .is_some_and(|o| f.ghost_signaled_at(o).is_some())
}

/// Tvrtko Ursulin's review of v1: a waiter enables signalling on the array (arming the
/// callbacks), f0 signals, and a poller asks `dma_fence_is_signaled()` of the array while
/// f1 has not signaled (it signals only after every CPU returned).
pub(crate) fn array_signaled_partial(rev: ArrayRevision) {
    let s = array_setup(rev);
    let waiter = {
        let base = s.array.base.clone();
        spawn_cpu(move || dma_fence_enable_sw_signaling(&base))
    };
    let signaler = {
        let (f0, array) = (s.f[0].clone(), s.array.clone());
        spawn_cpu(move || {
            dma_fence_signal(&f0);
            irq_work_run(&array);
        })
    };
    let poller = {
        let (f, base) = (s.f.clone(), s.array.base.clone());
        spawn_cpu(move || {
            let is = dma_fence_is_signaled(&base);
            let (s0, s1) = (signaled(&f[0]), signaled(&f[1]));
            witness_if(s0 && !s1, &ARRAY_POLLED_WITH_ONE_SIGNALED);
            check(!is || (s0 && s1), &ARRAY_SIGNALED_COMPLETE, || {
                format!(
                    "dma_fence_is_signaled({}) returned true while {} is unsignaled",
                    base.describe(),
                    if s0 { f[1].describe() } else { f[0].describe() }
                )
            });
        })
    };
    join(waiter);
    join(signaler);
    join(poller);
    dma_fence_signal(&s.f[1]);
    irq_work_run(&s.array);
    array_teardown(s);
}

pub(crate) fn array_signaled_partial_base() {
    array_signaled_partial(ArrayRevision::Base)
}
pub(crate) fn array_signaled_partial_v1() {
    array_signaled_partial(ArrayRevision::V1)
}
pub(crate) fn array_signaled_partial_v3() {
    array_signaled_partial(ArrayRevision::V3)
}

/// Tvrtko Ursulin's review of v3 ("Are you sure it is safe to always return true?"): a
/// waiter enables signalling on the array while both its fences signal.
pub(crate) fn array_enable_signaling_race(rev: ArrayRevision) {
    let s = array_setup(rev);
    let waiter = {
        let base = s.array.base.clone();
        spawn_cpu(move || dma_fence_enable_sw_signaling(&base))
    };
    let signaler = {
        let (f, array) = (s.f.clone(), s.array.clone());
        spawn_cpu(move || {
            dma_fence_signal(&f[0]);
            irq_work_run(&array);
            dma_fence_signal(&f[1]);
            irq_work_run(&array);
        })
    };
    join(waiter);
    join(signaler);
    array_teardown(s);
}

pub(crate) fn array_enable_signaling_race_base() {
    array_enable_signaling_race(ArrayRevision::Base)
}
pub(crate) fn array_enable_signaling_race_v3() {
    array_enable_signaling_race(ArrayRevision::V3)
}
