//! Model of `struct dma_fence`: drivers/dma-buf/dma-fence.c and include/linux/dma-fence.h
//! as of **v6.8**. Line numbers cite v6.8.
//!
//! Fences live in a [`KmemCache`]: either a `SLAB_TYPESAFE_BY_RCU` cache whose
//! `ops->release` frees at once (as i915 requests do: `i915_fence_release()` →
//! `kmem_cache_free(slab_requests)`), or a plain cache whose release is the default
//! `dma_fence_free()` → `kfree_rcu()`. Every function carries its kernel name; every
//! scheduling point is on a line of its own, commented with the kernel statement it stands
//! for; `MODEL:` marks each simplification (listed in this crate's README).

use std::sync::{Arc, Mutex as StdMutex};

use checker::kernel::{
    bitword_set, cpu_relax, ghost_update, kfree_rcu, kmem_cache_free, kref_get,
    kref_get_unless_zero, kref_init, kref_put, lockdep_assert_held, rcu_access_pointer,
    rcu_dereference, set_bit, smp_mb__before_atomic, smp_rmb, spin_lock, spin_unlock,
    test_and_set_bit, test_bit, trace_call, trace_note, AtomicT, BitWord, Kref, LockGuard, Obj,
    ObjId, RcuPointer, SlabPtr, SpinLock, READ_ONCE, WARN_ON, WRITE_ONCE,
};
use checker::scenario::{check, witness};

use crate::invariants::{
    CALLBACK_ONCE, CB_LIST_AFTER_SIGNAL, FENCE_SIGNALS_ONCE, GET_RCU_MEETS_RELEASED_FENCE,
};

/// `DMA_FENCE_FLAG_SIGNALED_BIT`.
pub const DMA_FENCE_FLAG_SIGNALED_BIT: usize = 0;
/// `DMA_FENCE_FLAG_TIMESTAMP_BIT`.
pub const DMA_FENCE_FLAG_TIMESTAMP_BIT: usize = 1;
/// `DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT`.
pub const DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT: usize = 2;

/// `-ENOENT`.
pub const ENOENT: i32 = 2;
/// `-EINVAL`.
pub const EINVAL: i32 = 22;
/// `-EDEADLK`.
pub const EDEADLK: isize = 35;

/// What the first word of the union `{ cb_list; timestamp; rcu }` holds while the fence is
/// unsignaled and its callback list empty: `cb_list.next == &fence->cb_list`, a kernel
/// pointer (here a value no `ktime_get()` returns).
pub const CB_LIST_HEAD_PTR: isize = -1;
/// What `ktime_get()` returns. MODEL: the clock is a constant; only whether a reader got a
/// timestamp or the list pointer the union held before it is checked.
pub const KTIME_NOW: isize = 1_000;

/// `ktime_get()` (kernel/time/timekeeping.c). MODEL: a constant, no scheduling point.
pub fn ktime_get() -> isize {
    KTIME_NOW
}

/// A driver's timeline: the lock its fences share (`fence->lock` points to it) and its
/// fence context (`dma_fence_context_alloc()`).
pub struct Timeline {
    /// The spinlock the timeline's fences share.
    pub lock: SpinLock,
    /// The context number its fences get (`fence->context`).
    pub context: u64,
}

/// What `dma_fence_release()` does last: `ops->release`, or the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FenceRelease {
    /// `ops->release` frees the memory at once into a `SLAB_TYPESAFE_BY_RCU` cache
    /// (`i915_fence_release()`).
    SlabTypesafeByRcu,
    /// No `ops->release`: `dma_fence_free()`, i.e. `kfree_rcu(fence, rcu)`.
    KfreeRcu,
    /// No `ops->release`, and `dma_fence_free()` patched to `kfree(fence)`: no grace period
    /// (in no kernel: the worked example of docs/writing-a-model.md).
    Kfree,
}

/// How the timestamp is published to `dma_fence_timestamp()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimestampRevision {
    /// v6.6+: `fence->timestamp = timestamp; set_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, …);` and
    /// `while (!test_bit(…)) cpu_relax(); return fence->timestamp;`, no barrier on either
    /// side.
    Upstream,
    /// In no kernel (a fix this model proposes): `smp_mb__before_atomic()` before the
    /// `set_bit()`, `smp_rmb()` after the reader's loop.
    Barriers,
}

/// The callbacks of `struct dma_fence_ops` a fence implementation provides beyond
/// `release` (the fences of this model have none, except a `struct dma_fence_array`'s base
/// fence, crate::dma_fence_array). `signaled` and `enable_signaling` are the kernel's
/// `ops->signaled` and `ops->enable_signaling`; `release` replaces `ops->release`.
pub trait DmaFenceOps: Send + Sync {
    /// `ops->signaled(fence)`.
    fn signaled(&self, fence: &FencePtr) -> bool;
    /// `ops->enable_signaling(fence)`, called with `fence->lock` held (`held`).
    fn enable_signaling(&self, fence: &FencePtr, held: &LockGuard) -> bool;
    /// `ops->release(fence)`.
    fn release(&self, fence: &FencePtr);
}

/// The union `{ cb_list; timestamp; rcu }` of `struct dma_fence` (ghost state under
/// `fence->lock`).
#[derive(Clone)]
pub enum CbUnion {
    /// `cb_list`: the callbacks, in order.
    CbList(Vec<Arc<DmaFenceCb>>),
    /// `timestamp`, written by `dma_fence_signal_timestamp_locked()`.
    Timestamp,
}

/// `struct dma_fence` (include/linux/dma-fence.h, v6.8), as memory in a cache.
pub struct DmaFence {
    /// `fence->lock`. MODEL: a ghost pointer to the timeline, written by `dma_fence_init()`.
    pub lock: StdMutex<Option<Obj<Timeline>>>,
    /// `fence->ops` reduced to its `release`. MODEL: ghost, written by `dma_fence_init()`;
    /// only a dma_fence_array's base fence has `->signaled` or `->enable_signaling`
    /// (`ops_impl`).
    pub ops: StdMutex<FenceRelease>,
    /// The rest of `fence->ops`, for the fence implementations that have callbacks
    /// (`None`: none). MODEL: ghost, written after `dma_fence_init()` by the
    /// implementation's init, before the fence is published.
    pub ops_impl: StdMutex<Option<Arc<dyn DmaFenceOps>>>,
    /// The union: `cb_list` until signalled, then `timestamp`.
    pub cb: StdMutex<CbUnion>,
    /// The union's first word, which readers load without `fence->lock`:
    /// `cb_list.next` ([`CB_LIST_HEAD_PTR`] while the list is empty) until
    /// `dma_fence_signal_timestamp_locked()` stores `fence->timestamp`. MODEL: a plain
    /// word, accessed as `READ_ONCE`/`WRITE_ONCE` (single-copy atomic, as KCSAN assumes);
    /// `list_add_tail()`/`list_replace()` do not write it (it keeps the head pointer until
    /// the timestamp store).
    pub timestamp: AtomicT,
    /// Ghost: `DMA_FENCE_FLAG_TIMESTAMP_BIT` has been set since the last `dma_fence_init()`
    /// (set right after the `set_bit()`, so that a reader's `test_bit()` of `flags` and this
    /// ghost are ordered alike by every explorer; for the timestamp race's witness).
    pub timestamp_bit_set: StdMutex<bool>,
    /// Which timestamp publication this fence's kernel has. MODEL: not a field of the
    /// kernel's; `Upstream` unless the scenario sets it after `dma_fence_init()`.
    pub timestamp_rev: StdMutex<TimestampRevision>,
    /// `fence->context`. MODEL: ghost, written by `dma_fence_init()` (immutable while a
    /// reference is held, and only compared by CPUs that hold one).
    pub context: StdMutex<u64>,
    /// `fence->seqno`.
    pub seqno: AtomicT,
    /// `fence->flags`.
    pub flags: BitWord,
    /// `fence->refcount`.
    pub refcount: Kref,
    /// `fence->error`.
    pub error: AtomicT,
    /// Ghost: (object, step) of every signalling of an object in this memory.
    pub signals: StdMutex<Vec<(ObjId, usize)>>,
}

impl DmaFence {
    /// The memory of one fence slot (the cache's constructor): zeroed.
    pub fn memory(name: &str) -> DmaFence {
        DmaFence {
            lock: StdMutex::new(None),
            ops: StdMutex::new(FenceRelease::KfreeRcu),
            ops_impl: StdMutex::new(None),
            context: StdMutex::new(0),
            cb: StdMutex::new(CbUnion::CbList(Vec::new())),
            timestamp: AtomicT::new(name, "timestamp", CB_LIST_HEAD_PTR),
            timestamp_bit_set: StdMutex::new(false),
            timestamp_rev: StdMutex::new(TimestampRevision::Upstream),
            seqno: AtomicT::new(name, "seqno", 0),
            flags: BitWord::new(name, "flags", 0),
            refcount: Kref::new(&format!("{name}.refcount")),
            error: AtomicT::new(name, "error", 0),
            signals: StdMutex::new(Vec::new()),
        }
    }

    /// The timeline `fence->lock` points to (`dma_fence_init()` sets it).
    pub fn timeline(&self) -> Obj<Timeline> {
        self.lock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .expect("dma_fence_init() sets fence->lock")
    }

    /// Ghost: the step at which `obj` signaled in this memory, if it did.
    pub fn ghost_signaled_at(&self, obj: ObjId) -> Option<usize> {
        self.signals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(o, _)| *o == obj)
            .map(|(_, s)| *s)
    }

    /// `fence->ops`' callbacks beyond `release`, if the implementation has any.
    pub fn ops_impl(&self) -> Option<Arc<dyn DmaFenceOps>> {
        self.ops_impl
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Which timestamp publication this fence's kernel has (see the field).
    pub fn timestamp_rev(&self) -> TimestampRevision {
        *self.timestamp_rev.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ghost: whether `DMA_FENCE_FLAG_TIMESTAMP_BIT` has been set (see the field).
    pub fn ghost_timestamp_bit_set(&self) -> bool {
        *self
            .timestamp_bit_set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Ghost: `fence->context` (see the field).
    pub fn context(&self) -> u64 {
        *self.context.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A fence pointer: memory in a fence cache.
pub type FencePtr = SlabPtr<DmaFence>;

/// A callback's `func` (`dma_fence_func_t`) beyond counting its runs.
pub type DmaFenceFunc = Arc<dyn Fn(&FencePtr) + Send + Sync>;

/// `struct dma_fence_cb` with its `func`: a callback the scenario registers. The node is
/// ghost state under the fence lock; `func` counts its runs (since it was last accepted by
/// `dma_fence_add_callback()`) and then runs the implementation's function, if any.
pub struct DmaFenceCb {
    /// Name in traces.
    pub name: String,
    /// `cb->node` is linked (on some fence's cb_list).
    pub linked: StdMutex<bool>,
    /// Ghost: how many times `func` ran.
    pub runs: StdMutex<usize>,
    /// `cb->func` beyond the count (`None`: the count only).
    pub func: Option<DmaFenceFunc>,
}

impl DmaFenceCb {
    /// A callback named `name`, not on any list.
    pub fn new(name: &str) -> Arc<DmaFenceCb> {
        Arc::new(DmaFenceCb {
            name: name.to_string(),
            linked: StdMutex::new(false),
            runs: StdMutex::new(0),
            func: None,
        })
    }

    /// A callback named `name` whose `func` is `func`.
    pub fn with_func(name: &str, func: DmaFenceFunc) -> Arc<DmaFenceCb> {
        Arc::new(DmaFenceCb {
            name: name.to_string(),
            linked: StdMutex::new(false),
            runs: StdMutex::new(0),
            func: Some(func),
        })
    }
}

/// The callback's `func`: it counts its run (what a driver's callback does is not
/// modelled).
fn dma_fence_cb_func(f: &FencePtr, cb: &DmaFenceCb) {
    let n = {
        let mut r = cb.runs.lock().unwrap_or_else(|e| e.into_inner());
        *r += 1;
        *r
    };
    trace_note(
        "cb->func",
        &cb.name,
        &format!("run {n} for {}", f.occupant_name()),
    );
    check(n == 1, &CALLBACK_ONCE, || {
        format!("{} ran {n} times (fence {})", cb.name, f.describe())
    });
    if let Some(func) = &cb.func {
        func(f);
    }
}

/// `dma_fence_init()` (dma-fence.c:1008, v6.8): initialise freshly allocated memory as an
/// unsignaled fence with one reference, on `timeline`'s lock and context.
pub fn dma_fence_init(f: &FencePtr, ops: FenceRelease, timeline: &Obj<Timeline>, seqno: isize) {
    let _c = trace_call("dma_fence_init", &f.describe());
    kref_init(&f.refcount); // kref_init(&fence->refcount);
    *f.ops.lock().unwrap_or_else(|e| e.into_inner()) = ops; // fence->ops = ops;
    *f.ops_impl.lock().unwrap_or_else(|e| e.into_inner()) = None;
    *f.cb.lock().unwrap_or_else(|e| e.into_inner()) = CbUnion::CbList(Vec::new()); // INIT_LIST_HEAD(&fence->cb_list);
    WRITE_ONCE(&f.timestamp, CB_LIST_HEAD_PTR); // (INIT_LIST_HEAD's WRITE_ONCE(list->next, list))
    *f.timestamp_bit_set
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = false;
    *f.timestamp_rev.lock().unwrap_or_else(|e| e.into_inner()) = TimestampRevision::Upstream;
    *f.lock.lock().unwrap_or_else(|e| e.into_inner()) = Some(timeline.clone()); // fence->lock = lock;
    *f.context.lock().unwrap_or_else(|e| e.into_inner()) = timeline.context; // fence->context = context;
    WRITE_ONCE(&f.seqno, seqno); // fence->seqno = seqno;
    bitword_set(&f.flags, 0); // fence->flags = 0UL;
    WRITE_ONCE(&f.error, 0); // fence->error = 0;
}

/// `dma_fence_get()` (dma-fence.h:306, v6.8).
pub fn dma_fence_get(f: &FencePtr) {
    kref_get(&f.refcount); // kref_get(&fence->refcount);
}

/// `dma_fence_get_rcu()` (dma-fence.h:320, v6.8): a reference unless the count is 0.
/// Returns the same pointer: the reference is on whatever occupies the memory now.
pub fn dma_fence_get_rcu(f: &FencePtr) -> Option<FencePtr> {
    let _c = trace_call("dma_fence_get_rcu", &f.describe());
    if kref_get_unless_zero(&f.refcount) {
        // if (kref_get_unless_zero(&fence->refcount))
        Some(f.clone()) // return fence;
    } else {
        witness(&GET_RCU_MEETS_RELEASED_FENCE);
        None // return NULL;
    }
}

/// `dma_fence_get_rcu_safe()` (dma-fence.h:345, v6.8): a reference to the fence `*fencep`
/// points to, re-checking the pointer after the reference is taken. Call under
/// `rcu_read_lock()`. The pointer returned is the one the re-check read.
pub fn dma_fence_get_rcu_safe(fencep: &RcuPointer<DmaFence>) -> Option<FencePtr> {
    let _c = trace_call("dma_fence_get_rcu_safe", fencep.name());
    loop {
        let fence = rcu_dereference(fencep)?; // fence = rcu_dereference(*fencep); if (!fence) return NULL;
        if dma_fence_get_rcu(&fence).is_none() {
            cpu_relax(); // MODEL: the retry makes progress (see checker::kernel::processor)
            continue; // if (!dma_fence_get_rcu(fence)) continue;
        }
        let now = rcu_access_pointer(fencep); // fence == rcu_access_pointer(*fencep)
        if let Some(now) = now.filter(|n| n.ptr_eq(&fence)) {
            return Some(now); // return rcu_pointer_handoff(fence);
        }
        dma_fence_put(&fence); // dma_fence_put(fence);
        cpu_relax(); // MODEL: the retry makes progress (see checker::kernel::processor)
    }
}

/// `dma_fence_put()` (dma-fence.h:294, v6.8).
pub fn dma_fence_put(f: &FencePtr) {
    let _c = trace_call("dma_fence_put", &f.describe());
    kref_put(&f.refcount, || dma_fence_release(f)); // kref_put(&fence->refcount, dma_fence_release);
}

/// `dma_fence_release()` (dma-fence.c:531, v6.8): WARN if callbacks are pending on an
/// unsignaled fence (and signal it with -EDEADLK), then `ops->release` or
/// `dma_fence_free()`.
pub fn dma_fence_release(f: &FencePtr) {
    let _c = trace_call("dma_fence_release", &f.describe());
    let pending = matches!(&*f.cb.lock().unwrap_or_else(|e| e.into_inner()), CbUnion::CbList(l) if !l.is_empty()); // !list_empty(&fence->cb_list)
    if WARN_ON(
        pending && !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f.flags),
        "fence released with pending signals",
    ) {
        let tl = f.timeline();
        let g = spin_lock(&tl.lock); // spin_lock_irqsave(fence->lock, flags);
        WRITE_ONCE(&f.error, -EDEADLK); // fence->error = -EDEADLK;
        dma_fence_signal_locked(f, &g);
        spin_unlock(g); // spin_unlock_irqrestore(fence->lock, flags);
    }
    if let Some(ops) = f.ops_impl() {
        ops.release(f); // fence->ops->release(fence);
        return;
    }
    let ops = *f.ops.lock().unwrap_or_else(|e| e.into_inner());
    match ops {
        FenceRelease::SlabTypesafeByRcu => kmem_cache_free(f), // fence->ops->release(fence): kmem_cache_free()
        FenceRelease::KfreeRcu | FenceRelease::Kfree => dma_fence_free(f, ops), // dma_fence_free(fence);
    }
}

/// `dma_fence_free()` (dma-fence.c:573, v6.8), or with `FenceRelease::Kfree` the revision
/// that frees the fence at once (`kfree(fence)`, in no kernel).
pub fn dma_fence_free(f: &FencePtr, rev: FenceRelease) {
    if rev == FenceRelease::Kfree {
        kmem_cache_free(f); // kfree(fence); MODEL: kmalloc() memory is a plain cache's (checker::kernel::kmem_cache)
    } else {
        kfree_rcu(f); // kfree_rcu(fence, rcu);
    }
}

/// `dma_fence_signal()` (dma-fence.c:461, v6.8). Returns 0, or -EINVAL if already signaled.
/// MODEL: the lockdep signalling annotations (`dma_fence_begin/end_signalling`) are not
/// modelled.
pub fn dma_fence_signal(f: &FencePtr) -> i32 {
    let _c = trace_call("dma_fence_signal", &f.describe());
    let tl = f.timeline();
    let g = spin_lock(&tl.lock); // spin_lock_irqsave(fence->lock, flags);
    let ret = dma_fence_signal_timestamp_locked(f, ktime_get(), &g); // ret = dma_fence_signal_timestamp_locked(fence, ktime_get());
    spin_unlock(g); // spin_unlock_irqrestore(fence->lock, flags);
    ret
}

/// `dma_fence_signal_locked()` (dma-fence.c, v6.8), with `fence->lock` held (`held`
/// is the caller's guard).
pub fn dma_fence_signal_locked(f: &FencePtr, held: &LockGuard) -> i32 {
    dma_fence_signal_timestamp_locked(f, ktime_get(), held) // return dma_fence_signal_timestamp_locked(fence, ktime_get());
}

/// `dma_fence_signal_timestamp_locked()` (dma-fence.c:367, v6.8), with `fence->lock` held
/// (`_held` is the caller's guard).
pub fn dma_fence_signal_timestamp_locked(f: &FencePtr, timestamp: isize, _held: &LockGuard) -> i32 {
    let tl = f.timeline();
    lockdep_assert_held(&tl.lock); // lockdep_assert_held(fence->lock);
    let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
    if test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f.flags) {
        // if (unlikely(test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)))
        return -EINVAL; // (dropping `update` closes its bracket unstamped)
    }
    let stamp = update.stamp();
    let obj = f.occupant().expect("allocated");
    let before = f.ghost_signaled_at(obj);
    check(before.is_none(), &FENCE_SIGNALS_ONCE, || {
        format!(
            "{} signaled again (first at step {})",
            f.occupant_name(),
            before.unwrap_or(0)
        )
    });
    f.signals
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((obj, stamp));
    let cb_list = std::mem::replace(
        &mut *f.cb.lock().unwrap_or_else(|e| e.into_inner()),
        CbUnion::Timestamp,
    ); // list_replace(&fence->cb_list, &cb_list);
    WRITE_ONCE(&f.timestamp, timestamp); // fence->timestamp = timestamp;
    if f.timestamp_rev() == TimestampRevision::Barriers {
        smp_mb__before_atomic(); // smp_mb__before_atomic();  (TimestampRevision::Barriers, in no kernel)
    }
    set_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &f.flags); // set_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags);
    *f.timestamp_bit_set
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = true;
    let CbUnion::CbList(cbs) = cb_list else {
        check(false, &CB_LIST_AFTER_SIGNAL, || {
            format!("{} signaled with a timestamp in its cb_list", f.describe())
        });
        return 0;
    };
    for cb in cbs {
        *cb.linked.lock().unwrap_or_else(|e| e.into_inner()) = false; // INIT_LIST_HEAD(&cur->node);
        dma_fence_cb_func(f, &cb); // cur->func(fence, cur);
    }
    0
}

/// `__dma_fence_enable_signaling()` (dma-fence.c:579, v6.8), with `fence->lock` held
/// (`held`).
fn __dma_fence_enable_signaling(f: &FencePtr, held: &LockGuard) -> bool {
    let was_set = test_and_set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &f.flags); // was_set = test_and_set_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &fence->flags);
    if test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f.flags) {
        // if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
        return false; // return false;
    }
    if !was_set {
        if let Some(ops) = f.ops_impl() {
            // if (!was_set && fence->ops->enable_signaling) {
            if !ops.enable_signaling(f, held) {
                // if (!fence->ops->enable_signaling(fence)) {
                dma_fence_signal_locked(f, held); // dma_fence_signal_locked(fence);
                return false; // return false;
            }
        }
    }
    true // return true;
}

/// `dma_fence_enable_sw_signaling()` (dma-fence.c, v6.8).
pub fn dma_fence_enable_sw_signaling(f: &FencePtr) {
    let _c = trace_call("dma_fence_enable_sw_signaling", &f.describe());
    let tl = f.timeline();
    let g = spin_lock(&tl.lock); // spin_lock_irqsave(fence->lock, flags);
    __dma_fence_enable_signaling(f, &g); // __dma_fence_enable_signaling(fence);
    spin_unlock(g); // spin_unlock_irqrestore(fence->lock, flags);
}

fn cb_list_touch(f: &FencePtr, what: &str) -> bool {
    let ok = matches!(
        &*f.cb.lock().unwrap_or_else(|e| e.into_inner()),
        CbUnion::CbList(_)
    );
    check(ok, &CB_LIST_AFTER_SIGNAL, || {
        format!(
            "{what} on {}'s cb_list after it signaled (the union holds the timestamp)",
            f.describe()
        )
    });
    ok
}

/// `dma_fence_add_callback()` (dma-fence.c:643, v6.8). Returns 0 or -ENOENT.
pub fn dma_fence_add_callback(f: &FencePtr, cb: &Arc<DmaFenceCb>) -> i32 {
    let _c = trace_call("dma_fence_add_callback", &f.describe());
    if test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f.flags) {
        // if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
        *cb.linked.lock().unwrap_or_else(|e| e.into_inner()) = false; // INIT_LIST_HEAD(&cb->node);
        return -ENOENT;
    }
    let tl = f.timeline();
    let g = spin_lock(&tl.lock); // spin_lock_irqsave(fence->lock, flags);
    let ret = if __dma_fence_enable_signaling(f, &g) {
        if cb_list_touch(f, "list_add_tail") {
            if let CbUnion::CbList(l) = &mut *f.cb.lock().unwrap_or_else(|e| e.into_inner()) {
                l.push(cb.clone()); // list_add_tail(&cb->node, &fence->cb_list);
            }
            *cb.linked.lock().unwrap_or_else(|e| e.into_inner()) = true;
            *cb.runs.lock().unwrap_or_else(|e| e.into_inner()) = 0;
        }
        0
    } else {
        *cb.linked.lock().unwrap_or_else(|e| e.into_inner()) = false; // INIT_LIST_HEAD(&cb->node);
        -ENOENT
    };
    spin_unlock(g); // spin_unlock_irqrestore(fence->lock, flags);
    trace_note("dma_fence_add_callback", &cb.name, &ret.to_string());
    ret
}

/// `dma_fence_remove_callback()` (dma-fence.c:717, v6.8): true if `cb` was still pending
/// (it will never run).
pub fn dma_fence_remove_callback(f: &FencePtr, cb: &Arc<DmaFenceCb>) -> bool {
    let _c = trace_call("dma_fence_remove_callback", &f.describe());
    let tl = f.timeline();
    let g = spin_lock(&tl.lock); // spin_lock_irqsave(fence->lock, flags);
    let ret = *cb.linked.lock().unwrap_or_else(|e| e.into_inner()); // ret = !list_empty(&cb->node);
    if ret && cb_list_touch(f, "list_del_init") {
        if let CbUnion::CbList(l) = &mut *f.cb.lock().unwrap_or_else(|e| e.into_inner()) {
            l.retain(|c| !Arc::ptr_eq(c, cb)); // list_del_init(&cb->node);
        }
        *cb.linked.lock().unwrap_or_else(|e| e.into_inner()) = false;
    }
    spin_unlock(g); // spin_unlock_irqrestore(fence->lock, flags);
    trace_note("dma_fence_remove_callback", &cb.name, &ret.to_string());
    ret
}

/// `dma_fence_is_later()` (dma-fence.h:493, v6.8): whether `f1` is later than `f2` on the
/// same context. MODEL: 64-bit seqno compare (`ops->use_64bit_seqno`); seqnos here are small.
pub fn dma_fence_is_later(f1: &FencePtr, f2: &FencePtr) -> bool {
    if WARN_ON(
        f1.context() != f2.context(),
        "dma_fence_is_later() on fences of different contexts",
    ) {
        return false; // if (WARN_ON(f1->context != f2->context)) return false;
    }
    let s1 = READ_ONCE(&f1.seqno); // f1->seqno
    let s2 = READ_ONCE(&f2.seqno); // f2->seqno
    s1 > s2 // return __dma_fence_is_later(f1->seqno, f2->seqno, f1->ops);
}

/// `dma_fence_is_later_or_same()` (dma-fence.h:511, v6.8).
pub fn dma_fence_is_later_or_same(f1: &FencePtr, f2: &FencePtr) -> bool {
    f1.ptr_eq(f2) || dma_fence_is_later(f1, f2) // return f1 == f2 || dma_fence_is_later(f1, f2);
}

/// `dma_fence_is_signaled()` (dma-fence.h:450, v6.8): the flag, else `ops->signaled`
/// (which only a dma_fence_array's base fence has here).
pub fn dma_fence_is_signaled(f: &FencePtr) -> bool {
    if test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f.flags) {
        // if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags))
        return true; // return true;
    }
    if let Some(ops) = f.ops_impl() {
        if ops.signaled(f) {
            // if (fence->ops->signaled && fence->ops->signaled(fence)) {
            dma_fence_signal(f); // dma_fence_signal(fence);
            return true; // return true;
        }
    }
    false // return false;
}

/// `dma_fence_timestamp()` (include/linux/dma-fence.h, added at dma-fence.h:578 by
/// "dma-buf: add dma_fence_timestamp helper", v6.6; the same body in v6.8): the signalling
/// timestamp of a signaled fence, busy-waiting for `DMA_FENCE_FLAG_TIMESTAMP_BIT`.
pub fn dma_fence_timestamp(f: &FencePtr) -> isize {
    let _c = trace_call("dma_fence_timestamp", &f.describe());
    if WARN_ON(
        !test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &f.flags),
        "dma_fence_timestamp() on an unsignaled fence",
    ) {
        // if (WARN_ON(!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)))
        return ktime_get(); // return ktime_get();
    }
    while !test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &f.flags) {
        // while (!test_bit(DMA_FENCE_FLAG_TIMESTAMP_BIT, &fence->flags))
        cpu_relax(); // cpu_relax();
    }
    if f.timestamp_rev() == TimestampRevision::Barriers {
        smp_rmb(); // smp_rmb();  (TimestampRevision::Barriers, in no kernel)
    }
    READ_ONCE(&f.timestamp) // return fence->timestamp;
}
