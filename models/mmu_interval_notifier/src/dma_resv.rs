//! A minimal `struct dma_fence` and `struct dma_resv`, as far as the GPU userptr exec
//! pattern needs them (drivers/dma-buf/dma-fence.c, drivers/dma-buf/dma-resv.c,
//! include/linux/dma-fence.h, include/linux/dma-resv.h, v6.8): a fence that signals once and
//! that CPUs wait for, and a reservation object whose fence list the exec path extends under
//! the resv lock and an invalidate callback walks without it. The dma_fence_rcu model has
//! the full fence lifetime (refcounts, RCU, SLAB_TYPESAFE_BY_RCU); none of that matters
//! here, where fences live until the scenario ends.
//!
//! # Memory orderings (kernel → C11)
//!
//! | kernel access (v6.8)                                                      | model |
//! |---------------------------------------------------------------------------|-------|
//! | `test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)` in `dma_fence_signal_timestamp_locked()` | `checker::kernel::test_and_set_bit` (fully ordered) |
//! | `test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)` in `dma_fence_is_signaled()` | `test_bit` = `load(Relaxed)` |
//! | the waiter's sleep and the signaller's wake-up (`dma_fence_default_wait()`, `dma_fence_default_wait_cb()`) | `wait_event()` / `wake_up_all()` on the fence's wait queue |
//! | `smp_store_mb(fobj->num_fences, count)` in `dma_resv_add_fence()`           | `WRITE_ONCE` then `smp_mb()` |
//! | `cursor->fences->num_fences` (a plain read, under RCU) in `dma_resv_iter_restart_unlocked()` | `READ_ONCE` = `load(Relaxed)` |
//! | `dma_resv_lock()` / `dma_resv_unlock()`                                   | a mutex: acquire / release |
//!
//! `MODEL:` simplifications, each also at its line:
//! - the fence list's slots are ghost state, written before `num_fences` and read after it
//!   (an unlocked reader that sees the count sees the slot); only `num_fences` is a
//!   scheduling point. The table is a `Guarded::new_refs` field with lockless reads: written
//!   only under the resv lock, read without it by the unlocked walk (a ghost access every
//!   explorer orders against each write), and a `kfree` of a fence it still points to is
//!   `FREE_WHILE_REACHABLE` (the table holds a reference on each fence);
//! - `dma_resv_fini()` takes the resv lock to empty the table (the kernel's does not: no
//!   other CPU holds the object any more);
//! - the list has room (`dma_resv_reserve_fences()` never reallocates it), so the unlocked
//!   iterator's restart when the list pointer changes never happens;
//! - RCU protection of the unlocked walk is not modelled (fences are freed only when the
//!   scenario ends);
//! - usages are not modelled: every fence is a `DMA_RESV_USAGE_BOOKKEEP` fence and every
//!   wait is for BOOKKEEP, which includes all of them;
//! - `dma_resv`'s ww_mutex is a mutex without an acquire context (one resv is locked at a
//!   time);
//! - a fence has no `fence->lock`, no callback list and no `ops`: one signaller, and the
//!   waiters sleep on a wait queue that the signal wakes (what `dma_fence_default_wait()`'s
//!   callback does); no timeouts (`MAX_SCHEDULE_TIMEOUT`).

use std::sync::atomic::{AtomicBool, Ordering};

use checker::kernel::{
    kzalloc, lockdep_assert_held, mutex_lock, mutex_unlock, smp_mb, test_and_set_bit, test_bit,
    trace_call, wait_event, wake_up_all, AtomicT, BitWord, Guarded, KMutex, LockGuard, Obj, ObjId,
    WaitQueueHead, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::witness;

use crate::invariants::USERPTR_WAIT_FINDS_JOB;

/// `-EINVAL`.
pub const EINVAL: isize = -22;

/// `DMA_FENCE_FLAG_SIGNALED_BIT`.
pub const DMA_FENCE_FLAG_SIGNALED_BIT: usize = 0;

/// `struct dma_fence` (include/linux/dma-fence.h, v6.8), reduced to its signalled bit.
pub struct DmaFence {
    /// `flags`.
    pub flags: BitWord,
    /// The waiters of `dma_fence_default_wait()`.
    /// MODEL: a wait queue instead of `fence->cb_list` with `dma_fence_default_wait_cb()`.
    pub wq: WaitQueueHead,
    /// Ghost: `dma_fence_signal()` has set the bit.
    pub ghost_signaled: AtomicBool,
}

/// `dma_fence_init()` of a new fence (kzalloc'd, as a job's fence is allocated with it).
pub fn dma_fence_init() -> Obj<DmaFence> {
    kzalloc("fence", |_, name| DmaFence {
        flags: BitWord::new(name, "flags", 0),
        wq: WaitQueueHead::new(name, "wq"),
        ghost_signaled: AtomicBool::new(false),
    })
}

/// `dma_fence_is_signaled()` (include/linux/dma-fence.h, v6.8).
/// MODEL: no `ops->signaled` callback: the bit alone.
pub fn dma_fence_is_signaled(fence: &Obj<DmaFence>) -> bool {
    test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence.flags) // if (test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) return true;
}

/// `dma_fence_signal()` → `dma_fence_signal_timestamp_locked()` (drivers/dma-buf/dma-fence.c,
/// v6.8): set the signalled bit once, then run the callbacks (wake the waiters).
/// MODEL: `fence->lock` is not taken (one signaller).
pub fn dma_fence_signal(fence: &Obj<DmaFence>) -> isize {
    let _f = trace_call("dma_fence_signal", fence.name());
    if test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence.flags) {
        // if (unlikely(test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)))
        return EINVAL; // return -EINVAL;
    }
    fence.ghost_signaled.store(true, Ordering::Relaxed);
    wake_up_all(&fence.wq); // list_for_each_entry_safe(cur, tmp, &cb_list, node) cur->func(fence, cur);
    0
}

/// `dma_fence_wait_timeout(fence, false, MAX_SCHEDULE_TIMEOUT)` → `dma_fence_default_wait()`
/// (drivers/dma-buf/dma-fence.c, v6.8): sleep until the fence signals.
pub fn dma_fence_wait(fence: &Obj<DmaFence>) {
    let _f = trace_call("dma_fence_wait", fence.name());
    wait_event(&fence.wq, || dma_fence_is_signaled(fence)); // while (!test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)) { ... schedule_timeout(ret); }
}

/// `struct dma_resv` (include/linux/dma-resv.h, v6.8) with its `struct dma_resv_list`.
pub struct DmaResv {
    /// `lock`.
    /// MODEL: a ww_mutex without an acquire context.
    pub lock: KMutex,
    /// `fences->num_fences`.
    pub num_fences: AtomicT,
    /// `fences->table[]`.
    /// MODEL: ghost slots, written before `num_fences`, read without the lock (see the
    /// module doc).
    table: Guarded<Vec<Obj<DmaFence>>>,
    /// Ghost: every fence ever added, for the teardown that frees them.
    all: std::sync::Mutex<Vec<Obj<DmaFence>>>,
    name: String,
}

impl DmaResv {
    /// `dma_resv_init()` of the resv `field` inside the object `owner`.
    pub fn new(owner: ObjId, owner_name: &str, field: &str) -> DmaResv {
        let name = format!("{owner_name}.{field}");
        let lock = KMutex::new(owner, owner_name, field);
        let table = Guarded::new_refs(format!("{name}.table"), &lock, Vec::new()).lockless_reads();
        DmaResv {
            lock,
            num_fences: AtomicT::new(&name, "num_fences", 0),
            table,
            all: std::sync::Mutex::new(Vec::new()),
            name,
        }
    }

    fn ghost_all(&self) -> std::sync::MutexGuard<'_, Vec<Obj<DmaFence>>> {
        self.all.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every fence ever added (for the scenario's teardown, which frees them).
    pub fn ghost_fences(&self) -> Vec<Obj<DmaFence>> {
        self.ghost_all().clone()
    }
}

/// `dma_resv_lock(obj, NULL)`.
pub fn dma_resv_lock(obj: &DmaResv) -> LockGuard {
    mutex_lock(&obj.lock)
}

/// `dma_resv_unlock(obj)`.
pub fn dma_resv_unlock(g: LockGuard) {
    mutex_unlock(g)
}

/// `dma_resv_add_fence(obj, fence, DMA_RESV_USAGE_BOOKKEEP)` (drivers/dma-buf/dma-resv.c:280,
/// v6.8): reuse the slot of a signalled fence, else append and publish the new count.
/// MODEL: one fence context per job, so a slot is reused only when its fence has signalled.
pub fn dma_resv_add_fence(obj: &DmaResv, fence: &Obj<DmaFence>) {
    let _f = trace_call(
        "dma_resv_add_fence",
        &format!("{} {}", obj.name, fence.name()),
    );
    lockdep_assert_held(&obj.lock); // dma_resv_assert_held(obj);
    let count = READ_ONCE(&obj.num_fences) as usize; // count = fobj->num_fences;
    let mut table = obj.table.read();
    for i in 0..count {
        let old = table[i].clone(); // dma_resv_list_entry(fobj, i, obj, &old, &old_usage);
        if dma_fence_is_signaled(&old) {
            // if (... || dma_fence_is_signaled(old)) {
            table[i] = fence.clone();
            obj.table.write(table); // dma_resv_list_set(fobj, i, fence, usage);
            obj.ghost_all().push(fence.clone());
            return; // dma_fence_put(old); return;  (MODEL: freed at teardown)
        }
    }
    table.push(fence.clone());
    obj.table.write(table); // dma_resv_list_set(fobj, i, fence, usage);
    obj.ghost_all().push(fence.clone());
    WRITE_ONCE(&obj.num_fences, count as isize + 1); // smp_store_mb(fobj->num_fences, count);
    smp_mb(); // (smp_store_mb's barrier)
}

/// `dma_resv_wait_timeout(obj, DMA_RESV_USAGE_BOOKKEEP, false, MAX_SCHEDULE_TIMEOUT)`
/// (drivers/dma-buf/dma-resv.c:670, v6.8): without the resv lock, wait for every unsignalled
/// fence of the list as the unlocked iterator sees it.
/// MODEL: the iterator's RCU read section and its restart on a new list are not modelled.
pub fn dma_resv_wait_timeout(obj: &DmaResv) {
    let _f = trace_call("dma_resv_wait_timeout", &obj.name);
    let n = READ_ONCE(&obj.num_fences) as usize; // dma_resv_iter_restart_unlocked(): cursor->num_fences = cursor->fences->num_fences;
    for i in 0..n {
        let fence = obj.table.read_lockless()[i].clone(); // dma_resv_list_entry(cursor->fences, cursor->index++, ...)
        if !dma_fence_is_signaled(&fence) {
            // if (!dma_fence_is_signaled(cursor->fence) && ...) break;  (the iterator yields it)
            witness(&USERPTR_WAIT_FINDS_JOB);
            dma_fence_wait(&fence); // ret = dma_fence_wait_timeout(fence, intr, ret);
        }
    }
}

/// `dma_resv_fini(obj)` (drivers/dma-buf/dma-resv.c, v6.8): `dma_resv_list_free()` puts
/// every fence of the table. MODEL: the fences are freed by the scenario's teardown
/// ([`DmaResv::ghost_fences`]); the table is emptied under the resv lock, which the kernel's
/// `dma_resv_fini()` does not take (no other CPU holds the object any more).
pub fn dma_resv_fini(obj: &DmaResv) {
    let g = mutex_lock(&obj.lock);
    obj.table.write(Vec::new()); // dma_resv_list_free(dma_resv_fences_list(obj));
    mutex_unlock(g);
}
