//! Model of `struct dma_fence_array` (drivers/dma-buf/dma-fence-array.c and
//! include/linux/dma-fence-array.h) without `signal_on_any`, in three revisions:
//!
//! - **Base**: upstream before the 2026 series, as its diffs show it (the "dma-buf: fix
//!   dma_fence_array_signaled v4" form, v6.13, of 2024): one callback per fence, installed
//!   by `enable_signaling`, an `atomic_t num_pending` counted down by the callbacks, and
//!   `signaled()` that reads `num_pending` with acquire before the ENABLE_SIGNAL bit.
//! - **V1**: "[PATCH] dma-buf/dma_fence_array: remove unused functionality" (Christian
//!   König, 17 Mar 2026): one callback, armed on one fence at a time from the last one
//!   down, a plain `unsigned int num_pending` (`while (array->num_pending--)`), and
//!   `signaled()` checking `fences[0 .. num_pending)`. Tvrtko Ursulin's review (18 Mar
//!   2026): "the false positive seems possible. After installing the callback on the 2nd
//!   fence num_pending will be 1, so the signaled check at a point where the first fence
//!   has been signaled, but the second one still has not will return true."
//! - **V3**: "[PATCH 2/2] dma-buf/dma_fence_array: optimize handling" (22 Apr 2026, "v2:
//!   update num_pending only after the fence is signaled"): `dma_fence_array_arm_cb()`
//!   decrements `num_pending` only past a signaled fence. Tvrtko's review of it: "Are you
//!   sure it is safe to always return true?", and König: "it is not save to call
//!   dma_fence_array_arm_cb() because that could signal the fence and result in double
//!   locking!" (`enable_signaling` runs under the array's `fence->lock`).
//!
//! MODEL: the error propagation (`PENDING_ERROR`, `dma_fence_array_set_pending_error()` /
//! `_clear_pending_error()`) is not modelled; `struct dma_fence_array`'s own fields live
//! outside the fence cache (only the base fence's memory is checked for use after free);
//! the `irq_work` runs where the scenario calls [`irq_work_run`] (the CPU whose callback
//! queued it, after its `dma_fence_signal()` returned: checker::kernel has no irq_work).

use std::sync::{Arc, Mutex as StdMutex, Weak};

use checker::invariant::OOPS;
use checker::kernel::{
    atomic_dec_and_test, atomic_read_acquire, test_bit, trace_call, trace_note, AtomicT, LockGuard,
    Obj, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{check, witness_if};

use crate::dma_fence::*;
use crate::invariants::ARRAY_ENABLE_SIGNALING_FINDS_ALL_SIGNALED;

/// Which `dma_fence_array` implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayRevision {
    /// Upstream before the 2026 series (the diffs' base).
    Base,
    /// v1 of "remove unused functionality" (17 Mar 2026).
    V1,
    /// v3 2/2 "optimize handling" (22 Apr 2026).
    V3,
}

/// `struct dma_fence_array` (include/linux/dma-fence-array.h).
pub struct DmaFenceArray {
    /// `array->base`. MODEL: a fence of the scenario's cache, not embedded.
    pub base: FencePtr,
    /// `array->num_fences`.
    pub num_fences: usize,
    /// `array->num_pending`: `atomic_t` (Base), `unsigned int` (V1, V3; accessed with
    /// `READ_ONCE`/`WRITE_ONCE`, plain accesses as relaxed ones).
    pub num_pending: AtomicT,
    /// `array->fences`.
    pub fences: Vec<FencePtr>,
    /// `array->callbacks[]` (Base: one per fence) or `array->callback` (V1, V3: one).
    pub callbacks: Vec<Arc<DmaFenceCb>>,
    /// Ghost: `irq_work_queue(&array->work)` ran and the work has not run yet.
    pub work_pending: StdMutex<bool>,
    /// The revision.
    pub rev: ArrayRevision,
}

/// The array's `dma_fence_ops` (`dma_fence_array_ops`).
struct ArrayOps(Arc<DmaFenceArray>);

impl DmaFenceOps for ArrayOps {
    fn signaled(&self, _fence: &FencePtr) -> bool {
        dma_fence_array_signaled(&self.0)
    }
    fn enable_signaling(&self, _fence: &FencePtr, held: &LockGuard) -> bool {
        dma_fence_array_enable_signaling(&self.0, held)
    }
    fn release(&self, fence: &FencePtr) {
        dma_fence_array_release(&self.0, fence)
    }
}

/// `dma_fence_array_create()` → `dma_fence_array_init()`: an array of `fences` (it takes
/// over the caller's references) whose base fence is `base`, freshly allocated from
/// `cache`'s memory, on `timeline`.
pub fn dma_fence_array_create(
    base: FencePtr,
    timeline: &Obj<Timeline>,
    fences: Vec<FencePtr>,
    rev: ArrayRevision,
) -> Arc<DmaFenceArray> {
    let _c = trace_call("dma_fence_array_create", &base.describe());
    let n = fences.len();
    let array = Arc::new_cyclic(|weak: &Weak<DmaFenceArray>| {
        let callbacks = match rev {
            ArrayRevision::Base => (0..n)
                .map(|i| array_cb(&format!("array->callbacks[{i}]"), weak))
                .collect(),
            ArrayRevision::V1 | ArrayRevision::V3 => vec![array_cb("array->callback", weak)],
        };
        DmaFenceArray {
            base: base.clone(),
            num_fences: n,
            num_pending: AtomicT::new("array", "num_pending", 0),
            fences,
            callbacks,
            work_pending: StdMutex::new(false),
            rev,
        }
    });
    dma_fence_init(&base, FenceRelease::KfreeRcu, timeline, 1); // dma_fence_init(&array->base, &dma_fence_array_ops, lock, context, seqno);
    WRITE_ONCE(&array.num_pending, n as isize); // atomic_set(&array->num_pending, num_fences); / array->num_pending = num_fences;
    *base.ops_impl.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(Arc::new(ArrayOps(array.clone())));
    array
}

/// A callback whose `func` is `dma_fence_array_cb_func()` (its array: `container_of()`).
fn array_cb(name: &str, array: &Weak<DmaFenceArray>) -> Arc<DmaFenceCb> {
    let array = array.clone();
    DmaFenceCb::with_func(
        name,
        Arc::new(move |_f: &FencePtr| {
            if let Some(a) = array.upgrade() {
                dma_fence_array_cb_func(&a);
            }
        }),
    )
}

/// `dma_fence_array_cb_func()`: what a component fence's signal runs, under that fence's
/// lock.
fn dma_fence_array_cb_func(array: &Arc<DmaFenceArray>) {
    let _c = trace_call("dma_fence_array_cb_func", &array.base.describe());
    match array.rev {
        ArrayRevision::Base => {
            if atomic_dec_and_test(&array.num_pending) {
                // if (atomic_dec_and_test(&array->num_pending))
                irq_work_queue(array); // irq_work_queue(&array->work);
            } else {
                dma_fence_put(&array.base); // dma_fence_put(&array->base);
            }
        }
        ArrayRevision::V1 | ArrayRevision::V3 => irq_work_queue(array), // irq_work_queue(&array->work);
    }
}

/// `irq_work_queue(&array->work)`. MODEL: ghost; the work runs at [`irq_work_run`].
fn irq_work_queue(array: &Arc<DmaFenceArray>) {
    trace_note("irq_work_queue", &array.base.describe(), "array->work");
    *array.work_pending.lock().unwrap_or_else(|e| e.into_inner()) = true;
}

/// The irq_work's run on the CPU that queued it (after its `dma_fence_signal()` returned):
/// `irq_dma_fence_array_work()` (Base, V1) or `dma_fence_array_irq_work()` (V3), if queued.
pub fn irq_work_run(array: &Arc<DmaFenceArray>) {
    let queued = std::mem::replace(
        &mut *array.work_pending.lock().unwrap_or_else(|e| e.into_inner()),
        false,
    );
    if !queued {
        return;
    }
    let _c = trace_call("irq_work_run", "array->work");
    match array.rev {
        ArrayRevision::Base => {
            dma_fence_signal(&array.base); // dma_fence_signal(&array->base);
            dma_fence_put(&array.base); // dma_fence_put(&array->base);
        }
        ArrayRevision::V1 => irq_dma_fence_array_work_v1(array),
        ArrayRevision::V3 => {
            let n = READ_ONCE(&array.num_pending); // array->num_pending
            WRITE_ONCE(&array.num_pending, n - 1); // WRITE_ONCE(array->num_pending, array->num_pending - 1);
            dma_fence_array_arm_cb(array);
        }
    }
}

/// `dma_fence_add_callback(f, cb, dma_fence_array_cb_func)` with the array's callback `i`.
fn add_array_callback(array: &Arc<DmaFenceArray>, f: &FencePtr, i: usize) -> i32 {
    dma_fence_add_callback(f, &array.callbacks[i])
}

/// V1's `irq_dma_fence_array_work()`, also called by its `enable_signaling`.
fn irq_dma_fence_array_work_v1(array: &Arc<DmaFenceArray>) {
    let _c = trace_call("irq_dma_fence_array_work", &array.base.describe());
    loop {
        let n = READ_ONCE(&array.num_pending); // array->num_pending
        let dec = if n == 0 { u32::MAX as isize } else { n - 1 };
        WRITE_ONCE(&array.num_pending, dec); // while (array->num_pending--) {  (unsigned: 0 wraps to UINT_MAX)
        if n == 0 {
            break;
        }
        let f = array.fences[dec as usize].clone(); // struct dma_fence *f = array->fences[array->num_pending];
        if dma_fence_add_callback_array(array, &f) == 0 {
            // if (!dma_fence_add_callback(f, &array->callback, dma_fence_array_cb_func))
            return; // return;
        }
    }
    dma_fence_signal(&array.base); // dma_fence_signal(&array->base);
    dma_fence_put(&array.base); // dma_fence_put(&array->base);
}

fn dma_fence_add_callback_array(array: &Arc<DmaFenceArray>, f: &FencePtr) -> i32 {
    add_array_callback(array, f, 0)
}

/// V3's `dma_fence_array_arm_cb()`.
fn dma_fence_array_arm_cb(array: &Arc<DmaFenceArray>) {
    let _c = trace_call("dma_fence_array_arm_cb", &array.base.describe());
    loop {
        let n = READ_ONCE(&array.num_pending); // while (array->num_pending) {
        if n == 0 {
            break;
        }
        let f = array.fences[(n - 1) as usize].clone(); // struct dma_fence *f = array->fences[array->num_pending - 1];
        if dma_fence_add_callback_array(array, &f) == 0 {
            // if (!dma_fence_add_callback(f, &array->callback, dma_fence_array_cb_func))
            return; // return;
        }
        WRITE_ONCE(&array.num_pending, n - 1); // WRITE_ONCE(array->num_pending, array->num_pending - 1);
    }
    dma_fence_signal(&array.base); // dma_fence_signal(&array->base);
    dma_fence_put(&array.base); // dma_fence_put(&array->base);
}

/// `dma_fence_array_enable_signaling()`, with the array's `fence->lock` held.
fn dma_fence_array_enable_signaling(array: &Arc<DmaFenceArray>, _held: &LockGuard) -> bool {
    let _c = trace_call("dma_fence_array_enable_signaling", &array.base.describe());
    match array.rev {
        ArrayRevision::Base => {
            for i in 0..array.num_fences {
                // for (i = 0; i < array->num_fences; ++i) {
                dma_fence_get(&array.base); // dma_fence_get(&array->base);
                if add_array_callback(array, &array.fences[i], i) != 0 {
                    // if (dma_fence_add_callback(array->fences[i], &cb[i].cb, dma_fence_array_cb_func)) {
                    dma_fence_put(&array.base); // dma_fence_put(&array->base);
                    if atomic_dec_and_test(&array.num_pending) {
                        // if (atomic_dec_and_test(&array->num_pending)) {
                        witness_if(true, &ARRAY_ENABLE_SIGNALING_FINDS_ALL_SIGNALED);
                        return false; // return false;
                    }
                }
            }
            true // return true;
        }
        ArrayRevision::V1 => {
            dma_fence_get(&array.base); // dma_fence_get(&array->base);
            irq_dma_fence_array_work_v1(array); // irq_dma_fence_array_work(&array->work);
            true // return true;
        }
        ArrayRevision::V3 => {
            dma_fence_get(&array.base); // dma_fence_get(&array->base);
            dma_fence_array_arm_cb(array); // dma_fence_array_arm_cb(array);
            true // return true;
        }
    }
}

/// `dma_fence_array_signaled()`.
fn dma_fence_array_signaled(array: &Arc<DmaFenceArray>) -> bool {
    let _c = trace_call("dma_fence_array_signaled", &array.base.describe());
    match array.rev {
        ArrayRevision::Base => {
            let mut num_pending = atomic_read_acquire(&array.num_pending); // num_pending = atomic_read_acquire(&array->num_pending);
            if test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &array.base.flags) {
                // if (test_bit(DMA_FENCE_FLAG_ENABLE_SIGNAL_BIT, &array->base.flags)) {
                return num_pending <= 0; // if (num_pending <= 0) goto signal; return false;
            }
            for f in &array.fences {
                // for (i = 0; i < array->num_fences; ++i) {
                if dma_fence_is_signaled(f) {
                    num_pending -= 1;
                    if num_pending == 0 {
                        return true; // if (dma_fence_is_signaled(array->fences[i]) && !--num_pending) goto signal;
                    }
                }
            }
            false // return false;
        }
        ArrayRevision::V1 | ArrayRevision::V3 => {
            let num_pending = READ_ONCE(&array.num_pending); // num_pending = READ_ONCE(array->num_pending);
            let bound = num_pending as u32; // i < num_pending: int compared as unsigned int
            for i in 0..bound as usize {
                // for (i = 0; i < num_pending; ++i) {
                if i >= array.num_fences {
                    check(false, &OOPS, || {
                        format!(
                            "dma_fence_array_signaled() read array->fences[{i}] of an array of {} fences (num_pending read as {num_pending})",
                            array.num_fences
                        )
                    });
                    return false;
                }
                if !dma_fence_is_signaled(&array.fences[i]) {
                    // if (!dma_fence_is_signaled(f))
                    return false; // return false;
                }
            }
            true // return true;
        }
    }
}

/// `dma_fence_array_release()`: put every fence, free the base fence.
fn dma_fence_array_release(array: &Arc<DmaFenceArray>, fence: &FencePtr) {
    let _c = trace_call("dma_fence_array_release", &fence.describe());
    for f in &array.fences {
        dma_fence_put(f); // for (i = 0; i < array->num_fences; ++i) dma_fence_put(array->fences[i]);
    }
    // kfree(array->fences);
    fence
        .ops_impl
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take(); // (breaks the model's Arc cycle)
    dma_fence_free(fence, FenceRelease::KfreeRcu); // dma_fence_free(fence);
}
