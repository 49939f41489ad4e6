//! Model of the pre-v5.19 `struct dma_resv` (drivers/dma-buf/dma-resv.c and
//! include/linux/dma-resv.h as of **v5.10**): a seqcount, the exclusive fence pointer, and
//! (not modelled: `MODEL:` the shared-fence list is omitted; every scenario here uses the
//! exclusive slot only) the shared list. Writers hold the resv lock and wrap their changes
//! in `write_seqcount_begin/end`; unlocked readers use `read_seqcount_begin/retry` under RCU.
//! The seqcount was removed by 8f94eda39952 ("dma-buf: drop seq count based update", v5.19).

use std::sync::Mutex as StdMutex;

use checker::invariant::Invariant;
use checker::kernel::{
    ghost_now, kzalloc, lockdep_assert_held, mutex_lock, mutex_unlock, rcu_assign_pointer,
    rcu_dereference, rcu_dereference_protected, rcu_read_lock, rcu_read_unlock,
    read_seqcount_begin, read_seqcount_retry, trace_call, trace_note, write_seqcount_begin,
    write_seqcount_end, KMutex, KmemCache, Obj, ObjId, RcuPointer, SeqcountT, RCU_INIT_POINTER,
};
use checker::scenario::check;

use crate::fence::{
    dma_fence_get, dma_fence_get_rcu, dma_fence_is_signaled, dma_fence_put, DmaFence, FencePtr,
    DMA_FENCE_FLAG_SIGNALED_BIT,
};
use checker::kernel::test_bit;

/// Item 6 of the issue: the idle answer is linearizable.
pub const IDLE_LINEARIZABLE: Invariant = Invariant::new(
    "IDLE_LINEARIZABLE",
    "an unlocked reader answers idle only if, at some instant during its call, every fence installed in the dma_resv was signaled (checked against the ghost history of installs and signals)",
);

/// `struct dma_resv` (v5.10), exclusive slot only.
pub struct DmaResv {
    /// `obj->lock`. MODEL: the ww_mutex is a plain mutex (no acquire context).
    pub lock: KMutex,
    /// `obj->seq`.
    pub seq: SeqcountT,
    /// `obj->fence_excl`.
    pub fence_excl: RcuPointer<DmaFence>,
    /// Ghost: (step, object installed or None) of every store to `fence_excl`, and where
    /// the object lives.
    pub history: StdMutex<Vec<(usize, Option<Installed>)>>,
}

/// One install in the ghost history: the object, its memory, its name.
pub type Installed = (ObjId, FencePtr, String);

/// `dma_resv_init()` (dma-resv.c, v5.10) of a resv whose fences live in `cache`.
pub fn dma_resv_init(cache: &KmemCache<DmaFence>) -> Obj<DmaResv> {
    let cache = cache.clone();
    kzalloc("resv", move |id, name| DmaResv {
        lock: KMutex::new(id, name, "lock"),
        seq: SeqcountT::new(name, "seq"),
        fence_excl: RcuPointer::new(name, "fence_excl", &cache),
        history: StdMutex::new(vec![(0, None)]),
    })
}

fn log_install(obj: &DmaResv, f: Option<&FencePtr>) {
    let entry = f.map(|f| {
        (
            f.occupant().expect("allocated"),
            f.clone(),
            f.occupant_name(),
        )
    });
    obj.history
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((ghost_now(), entry));
}

/// `dma_resv_get_excl()` (include/linux/dma-resv.h, v5.10): the update side's read.
pub fn dma_resv_get_excl(obj: &DmaResv) -> Option<FencePtr> {
    rcu_dereference_protected(&obj.fence_excl, obj.lock_held()) // rcu_dereference_protected(obj->fence_excl, dma_resv_held(obj))
}

impl DmaResv {
    /// `dma_resv_held(obj)`, asserted (a report if the running CPU does not hold it).
    fn lock_held(&self) -> bool {
        lockdep_assert_held(&self.lock);
        true
    }
}

/// `dma_resv_add_excl_fence()` (dma-resv.c, v5.10): install `fence` as the exclusive fence
/// (the resv lock held), dropping the old one.
pub fn dma_resv_add_excl_fence(obj: &Obj<DmaResv>, fence: Option<&FencePtr>) {
    let _c = trace_call("dma_resv_add_excl_fence", obj.name());
    let old_fence = dma_resv_get_excl(obj); // old_fence = dma_resv_get_excl(obj);
    lockdep_assert_held(&obj.lock); // dma_resv_assert_held(obj);
    if let Some(f) = fence {
        dma_fence_get(f); // if (fence) dma_fence_get(fence);
    }
    write_seqcount_begin(&obj.seq); // write_seqcount_begin(&obj->seq);
    RCU_INIT_POINTER(&obj.fence_excl, fence); // RCU_INIT_POINTER(obj->fence_excl, fence);
    log_install(obj, fence);
    write_seqcount_end(&obj.seq); // write_seqcount_end(&obj->seq);
    if let Some(old) = old_fence {
        dma_fence_put(&old); // dma_fence_put(old_fence);
    }
}

/// How a driver publishes a new exclusive fence by hand (not through
/// `dma_resv_add_excl_fence()`): the weak-memory variant of item 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publication {
    /// `rcu_assign_pointer()`: a release store.
    RcuAssignPointer,
    /// `RCU_INIT_POINTER()` with no barrier before it: the bug.
    RcuInitPointer,
}

/// A driver replacing the exclusive fence by hand under the resv lock, without the seqcount
/// (not a kernel function: the pattern item 5 of the issue asks about).
pub fn driver_publish_excl(obj: &Obj<DmaResv>, fence: &FencePtr, how: Publication) {
    let _c = trace_call("driver_publish_excl", obj.name());
    let g = mutex_lock(&obj.lock); // dma_resv_lock(obj, NULL);
    let old = dma_resv_get_excl(obj); // old = dma_resv_get_excl(obj);
    dma_fence_get(fence); // dma_fence_get(fence);
    match how {
        Publication::RcuAssignPointer => rcu_assign_pointer(&obj.fence_excl, Some(fence)), // rcu_assign_pointer(obj->fence_excl, fence);
        Publication::RcuInitPointer => RCU_INIT_POINTER(&obj.fence_excl, Some(fence)), // RCU_INIT_POINTER(obj->fence_excl, fence);
    }
    log_install(obj, Some(fence));
    mutex_unlock(g); // dma_resv_unlock(obj);
    if let Some(old) = old {
        dma_fence_put(&old); // dma_fence_put(old);
    }
}

/// `dma_resv_test_signaled_single()` (dma-resv.c, v5.10): 1 signaled, 0 not, -1 the
/// reference could not be taken (retry).
fn dma_resv_test_signaled_single(passed_fence: &FencePtr) -> i32 {
    let mut ret = 1; // int ret = 1;
    if !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &passed_fence.flags) {
        // if (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &lfence->flags))
        let Some(fence) = dma_fence_get_rcu(passed_fence) else {
            return -1; // fence = dma_fence_get_rcu(lfence); if (!fence) return -1;
        };
        ret = i32::from(dma_fence_is_signaled(&fence)); // ret = !!dma_fence_is_signaled(fence);
        dma_fence_put(&fence); // dma_fence_put(fence);
    }
    ret
}

/// `dma_resv_test_signaled_rcu(obj, false)` (dma-resv.c, v5.10): whether the exclusive
/// fence has signaled, without the resv lock. MODEL: `test_all = false` only (no shared
/// list).
pub fn dma_resv_test_signaled_rcu(obj: &Obj<DmaResv>) -> bool {
    let _c = trace_call("dma_resv_test_signaled_rcu", obj.name());
    rcu_read_lock(); // rcu_read_lock();
    loop {
        let mut ret = 1; // retry: ret = true;
        let seq = read_seqcount_begin(&obj.seq); // seq = read_seqcount_begin(&obj->seq);
        if let Some(fence_excl) = rcu_dereference(&obj.fence_excl) {
            // fence_excl = rcu_dereference(obj->fence_excl); if (fence_excl)
            ret = dma_resv_test_signaled_single(&fence_excl); // ret = dma_resv_test_signaled_single(fence_excl);
            if ret < 0 {
                checker::kernel::cpu_relax(); // MODEL: the retry makes progress
                continue; // goto retry;
            }
            if read_seqcount_retry(&obj.seq, seq) {
                checker::kernel::cpu_relax(); // MODEL: the retry makes progress
                continue; // if (read_seqcount_retry(&obj->seq, seq)) goto retry;
            }
        }
        rcu_read_unlock(); // rcu_read_unlock();
        return ret == 1; // return ret;
    }
}

/// The four-line snippet of the June 2021 thread (and of the pre-5.19
/// `dma_resv_wait_timeout_rcu()` fast path): `rcu_read_lock(); fence = excl; idle = !fence
/// || test_bit(SIGNALED); rcu_read_unlock();` — no reference, no seqcount.
pub fn snippet_excl_idle(obj: &Obj<DmaResv>) -> bool {
    let _c = trace_call("snippet_excl_idle", obj.name());
    rcu_read_lock(); // rcu_read_lock();
    let fence = rcu_dereference(&obj.fence_excl); // fence = rcu_dereference(obj->fence_excl);
    let idle = match &fence {
        None => true,                                               // !fence
        Some(f) => test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f.flags), // test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)
    };
    rcu_read_unlock(); // rcu_read_unlock();
    idle
}

/// Ghost check of [`IDLE_LINEARIZABLE`] for a reader that answered `idle` over the steps
/// `[start, end]`.
pub fn check_idle_linearizable(obj: &Obj<DmaResv>, idle: bool, start: usize, end: usize) {
    if !idle {
        trace_note("answer", obj.name(), "busy");
        return;
    }
    let hist = obj.ghost().history.lock().unwrap().clone();
    let installed_at = |t: usize| {
        hist.iter()
            .rev()
            .find(|(s, _)| *s <= t)
            .and_then(|(_, e)| e.clone())
    };
    let mut instants = vec![start];
    for (s, e) in &hist {
        if *s > start && *s <= end {
            instants.push(*s);
        }
        if let Some((o, f, _)) = e {
            if let Some(sig) = f.ghost().ghost_signaled_at(*o) {
                if sig > start && sig <= end {
                    instants.push(sig);
                }
            }
        }
    }
    let ok = instants.iter().any(|&t| match installed_at(t) {
        None => true,
        Some((o, f, _)) => f.ghost().ghost_signaled_at(o).is_some_and(|s| s <= t),
    });
    let describe = || {
        let mut parts = Vec::new();
        for (s, e) in &hist {
            let Some((o, f, name)) = e else { continue };
            let sig = f
                .ghost()
                .ghost_signaled_at(*o)
                .map(|s| format!("signaled at step {s}"))
                .unwrap_or_else(|| "never signaled".into());
            parts.push(format!("{name} installed at step {s}, {sig}"));
        }
        format!(
            "the reader answered idle over steps {start}..{end}, but at no instant was every installed fence signaled: {}",
            parts.join("; ")
        )
    };
    trace_note("answer", obj.name(), "idle");
    check(ok, &IDLE_LINEARIZABLE, describe);
}
