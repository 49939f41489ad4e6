//! Model of the pre-v5.19 `struct dma_resv` (drivers/dma-buf/dma-resv.c and
//! include/linux/dma-resv.h as of **v5.10**): a seqcount, the exclusive fence pointer, and
//! the shared-fence list `{shared_count, shared_max, shared[]}` behind an RCU pointer.
//! Writers hold the resv lock and wrap their changes in `write_seqcount_begin/end`; unlocked
//! readers use `read_seqcount_begin/retry` under RCU. The seqcount was removed by
//! 8f94eda39952 ("dma-buf: drop seq count based update", v5.19).
//!
//! The text was read from dma-resv.c copies of the v5.7 and v5.16 era (no v5.10 tree was at
//! hand): the functions modelled here read the same in both, except that v5.10 no longer
//! wraps the seqcount write in `preempt_disable()` (its `seqcount_ww_mutex_t`, v5.10, does
//! it), which the model does not need. Shared-list orderings: `RCU_INIT_POINTER(shared[i])`
//! is a relaxed store after `write_seqcount_begin()`'s `smp_wmb()` (a release fence), and
//! `smp_store_mb(shared_count, n)` a relaxed store followed by `smp_mb()`.

use std::sync::Mutex as StdMutex;

use checker::invariant::Invariant;
use checker::invariant::OOPS;
use checker::kernel::{
    ghost_clock_exact, ghost_update, kfree_rcu, kmem_cache_alloc, kzalloc, lockdep_assert_held,
    mutex_lock, mutex_unlock, rcu_assign_pointer, rcu_dereference, rcu_dereference_protected,
    rcu_read_lock, rcu_read_unlock, read_seqcount_begin, read_seqcount_retry, smp_mb, trace_call,
    trace_note, write_seqcount_begin, write_seqcount_end, AtomicT, ClockUpdate, KMutex, KmemCache,
    Obj, ObjId, RcuPointer, SeqcountT, SlabPtr, BUG_ON, RCU_INIT_POINTER, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{check, witness_if};

use crate::dma_fence::{
    dma_fence_get, dma_fence_get_rcu, dma_fence_is_signaled, dma_fence_put, DmaFence, FencePtr,
    DMA_FENCE_FLAG_SIGNALED_BIT,
};
use crate::invariants::{IDLE_LINEARIZABLE, READS_FENCE_IN_RECYCLED_MEMORY};
use checker::kernel::test_bit;

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
    /// `obj->fence`: the shared-fence list.
    pub fence: RcuPointer<DmaResvList>,
    /// Where `dma_resv_list_alloc()` allocates: MODEL: a plain cache stands for kmalloc.
    lists: KmemCache<DmaResvList>,
    /// Ghost: (step, the shared fences installed from then on: entries
    /// `0..shared_count` of the current list) after every change a reader can see.
    pub shared_history: StdMutex<Vec<(usize, Vec<Installed>)>>,
}

/// `MODEL:` the memory of a v5.10 `dma_resv_list` has room for this many shared fences (the
/// kernel reserves at least 4).
pub const SHARED_SLOTS: usize = 2;

/// `struct dma_resv_list` (include/linux/dma-resv.h, v5.10), as memory in a kmalloc cache.
pub struct DmaResvList {
    /// `shared_count`: written under the resv lock, read by unlocked readers.
    pub shared_count: AtomicT,
    /// Ghost copy of `shared_count` (its writers' view, under the lock).
    ghost_count: StdMutex<usize>,
    /// `shared_max`. MODEL: ghost: written at allocation, read by writers under the lock.
    shared_max: StdMutex<usize>,
    /// `shared[]`.
    pub shared: Vec<RcuPointer<DmaFence>>,
}

impl DmaResvList {
    /// The memory of one list: `SHARED_SLOTS` entries. MODEL: a never-written entry reads as
    /// NULL (kmalloc memory is not zeroed in the kernel).
    pub fn memory(name: &str, fences: &KmemCache<DmaFence>) -> DmaResvList {
        DmaResvList {
            shared_count: AtomicT::new(name, "shared_count", 0),
            ghost_count: StdMutex::new(0),
            shared_max: StdMutex::new(0),
            shared: (0..SHARED_SLOTS)
                .map(|i| RcuPointer::new(name, &format!("shared[{i}]"), fences))
                .collect(),
        }
    }

    /// Ghost: `shared_count` as its writers know it.
    pub fn ghost_count(&self) -> usize {
        *self.ghost_count.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_count(&self, n: usize) {
        WRITE_ONCE(&self.shared_count, n as isize); // fobj->shared_count = n (a plain store)
        *self.ghost_count.lock().unwrap_or_else(|e| e.into_inner()) = n;
    }
}

/// One install in the ghost history: the object, its memory, its name.
pub type Installed = (ObjId, FencePtr, String);

/// `dma_resv_init()` (dma-resv.c, v5.10) of a resv whose fences live in `cache`.
pub fn dma_resv_init(cache: &KmemCache<DmaFence>) -> Obj<DmaResv> {
    let cache = cache.clone();
    let fc = cache.clone();
    let lists = KmemCache::new("resv_list", "dma_resv_list", move |name| {
        DmaResvList::memory(name, &fc)
    });
    kzalloc("resv", move |id, name| DmaResv {
        lock: KMutex::new(id, name, "lock"),
        seq: SeqcountT::new(name, "seq"),
        fence_excl: RcuPointer::new(name, "fence_excl", &cache),
        history: StdMutex::new(vec![(0, None)]),
        fence: RcuPointer::new(name, "fence", &lists),
        lists,
        shared_history: StdMutex::new(vec![(0, Vec::new())]),
    })
}

/// Ghost: record the shared fences installed now, stamped by `update` (opened right before
/// the store that completed the change; checker/src/kernel/clock.rs).
fn log_shared(obj: &DmaResv, update: ClockUpdate) {
    let now: Vec<Installed> = match obj.fence.ghost_read() {
        None => Vec::new(),
        Some(l) => {
            let l = l.ghost();
            (0..l.ghost_count())
                .filter_map(|i| {
                    let f = l.shared[i].ghost_read()?;
                    Some((f.installed()?, f.clone(), f.installed_name()))
                })
                .collect()
        }
    };
    // The stamp (a loom operation) before the ghost lock: a CPU must not hold a std mutex
    // across a scheduling point.
    let stamp = update.stamp();
    obj.shared_history
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((stamp, now));
}

/// `dma_resv_get_list()` (include/linux/dma-resv.h, v5.10): the update side's read of the
/// shared list.
pub fn dma_resv_get_list(obj: &DmaResv) -> Option<SlabPtr<DmaResvList>> {
    rcu_dereference_protected(&obj.fence, obj.lock_held()) // rcu_dereference_protected(obj->fence, dma_resv_held(obj))
}

/// `dma_resv_list_free()` (dma-resv.c, v5.10).
fn dma_resv_list_free(list: Option<&SlabPtr<DmaResvList>>) {
    let Some(list) = list else { return };
    for i in 0..list.ghost_count() {
        if let Some(f) = rcu_dereference_protected(&list.shared[i], true) {
            dma_fence_put(&f); // dma_fence_put(rcu_dereference_protected(list->shared[i], true));
        }
    }
    kfree_rcu(list); // kfree_rcu(list, rcu);
}

/// `dma_resv_fini()` (dma-resv.c, v5.10): the object is dead, no reader can reach it.
pub fn dma_resv_fini(obj: &Obj<DmaResv>) {
    let _c = trace_call("dma_resv_fini", obj.name());
    if let Some(excl) = rcu_dereference_protected(&obj.fence_excl, true) {
        dma_fence_put(&excl); // excl = rcu_dereference_protected(obj->fence_excl, 1); if (excl) dma_fence_put(excl);
    }
    let fobj = rcu_dereference_protected(&obj.fence, true); // fobj = rcu_dereference_protected(obj->fence, 1);
    dma_resv_list_free(fobj.as_ref()); // dma_resv_list_free(fobj);
}

/// `dma_resv_reserve_shared()` (dma-resv.c, v5.10): make room for `num_fences` more shared
/// fences, replacing the list by a bigger copy if needed. MODEL: a new list has
/// `roundup_pow_of_two(num_fences)` entries, not at least 4.
pub fn dma_resv_reserve_shared(obj: &Obj<DmaResv>, num_fences: usize) -> i32 {
    let _c = trace_call("dma_resv_reserve_shared", obj.name());
    lockdep_assert_held(&obj.lock); // dma_resv_assert_held(obj);
    let old = dma_resv_get_list(obj); // old = dma_resv_get_list(obj);
    let old_max =
        |o: &SlabPtr<DmaResvList>| *o.shared_max.lock().unwrap_or_else(|e| e.into_inner());
    let max = match &old {
        Some(o) if old_max(o) > 0 => {
            if o.ghost_count() + num_fences <= old_max(o) {
                return 0; // if ((old->shared_count + num_fences) <= old->shared_max) return 0;
            }
            (o.ghost_count() + num_fences).max(old_max(o) * 2) // max = max(old->shared_count + num_fences, old->shared_max * 2);
        }
        _ => num_fences.next_power_of_two(), // max = max(4ul, roundup_pow_of_two(num_fences)); MODEL: no minimum of 4
    };
    assert!(
        max <= SHARED_SLOTS,
        "MODEL: list memory has {SHARED_SLOTS} entries"
    );
    let new = kmem_cache_alloc(&obj.lists); // new = dma_resv_list_alloc(max);
    *new.shared_max.lock().unwrap_or_else(|e| e.into_inner()) = max; // list->shared_max = …;
    let (mut j, mut k) = (0, max);
    let n_old = old.as_ref().map_or(0, |o| o.ghost_count());
    for i in 0..n_old {
        let o = old.as_ref().expect("n_old > 0");
        let fence = rcu_dereference_protected(&o.shared[i], true).expect("set below shared_count"); // fence = rcu_dereference_protected(old->shared[i], dma_resv_held(obj));
        if dma_fence_is_signaled(&fence) {
            k -= 1;
            RCU_INIT_POINTER(&new.shared[k], Some(&fence)); // RCU_INIT_POINTER(new->shared[--k], fence);
        } else {
            RCU_INIT_POINTER(&new.shared[j], Some(&fence)); // RCU_INIT_POINTER(new->shared[j++], fence);
            j += 1;
        }
    }
    new.set_count(j); // new->shared_count = j;
    let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
    rcu_assign_pointer(&obj.fence, Some(&new)); // rcu_assign_pointer(obj->fence, new);
    log_shared(obj, update);
    let Some(old) = old else {
        return 0; // if (!old) return 0;
    };
    for i in k..max {
        if let Some(f) = rcu_dereference_protected(&new.shared[i], true) {
            dma_fence_put(&f); // dma_fence_put(fence);
        }
    }
    kfree_rcu(&old); // kfree_rcu(old, rcu);
    0
}

/// `dma_resv_add_shared_fence()` (dma-resv.c, v5.10): add `fence` to a shared slot, reusing
/// in place the slot of a fence of the same context or of a signaled one, under the
/// seqcount.
pub fn dma_resv_add_shared_fence(obj: &Obj<DmaResv>, fence: &FencePtr) {
    let _c = trace_call("dma_resv_add_shared_fence", &fence.describe());
    dma_fence_get(fence); // dma_fence_get(fence);
    lockdep_assert_held(&obj.lock); // dma_resv_assert_held(obj);
    let fobj = dma_resv_get_list(obj).expect("dma_resv_reserve_shared() was called"); // fobj = dma_resv_get_list(obj);
    let mut count = fobj.ghost_count(); // count = fobj->shared_count;
    write_seqcount_begin(&obj.seq); // write_seqcount_begin(&obj->seq);
    let mut old = None;
    let mut i = 0;
    while i < count {
        let o = rcu_dereference_protected(&fobj.shared[i], true).expect("set below shared_count"); // old = rcu_dereference_protected(fobj->shared[i], dma_resv_held(obj));
        if o.context() == fence.context() || dma_fence_is_signaled(&o) {
            old = Some(o); // if (old->context == fence->context || dma_fence_is_signaled(old)) goto replace;
            break;
        }
        i += 1;
    }
    if old.is_none() {
        let max = *fobj.shared_max.lock().unwrap_or_else(|e| e.into_inner());
        BUG_ON(
            count >= max,
            "dma_resv_add_shared_fence() without a reserved slot",
        ); // BUG_ON(fobj->shared_count >= fobj->shared_max);
        count += 1; // old = NULL; count++;
    }
    RCU_INIT_POINTER(&fobj.shared[i], Some(fence)); // replace: RCU_INIT_POINTER(fobj->shared[i], fence);
    let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
    fobj.set_count(count); // smp_store_mb(fobj->shared_count, count): WRITE_ONCE(...);
    log_shared(obj, update);
    smp_mb(); // smp_store_mb(...): smp_mb();
    write_seqcount_end(&obj.seq); // write_seqcount_end(&obj->seq);
    if let Some(old) = old {
        dma_fence_put(&old); // dma_fence_put(old);
    }
}

/// Ghost: record the exclusive fence installed now, stamped by `update` (as [`log_shared`]).
fn log_install(obj: &DmaResv, f: Option<&FencePtr>, update: ClockUpdate) {
    let entry = f.map(|f| {
        (
            f.occupant().expect("allocated"),
            f.clone(),
            f.occupant_name(),
        )
    });
    let stamp = update.stamp(); // before the ghost lock (a scheduling point under loom)
    obj.history
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((stamp, entry));
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
/// (the resv lock held), dropping the old one and every shared fence.
pub fn dma_resv_add_excl_fence(obj: &Obj<DmaResv>, fence: Option<&FencePtr>) {
    let _c = trace_call("dma_resv_add_excl_fence", obj.name());
    let old_fence = dma_resv_get_excl(obj); // old_fence = dma_resv_get_excl(obj);
    lockdep_assert_held(&obj.lock); // dma_resv_assert_held(obj);
    let old = dma_resv_get_list(obj); // old = dma_resv_get_list(obj);
    let i = old.as_ref().map_or(0, |o| o.ghost_count()); // if (old) i = old->shared_count;
    if let Some(f) = fence {
        dma_fence_get(f); // if (fence) dma_fence_get(fence);
    }
    write_seqcount_begin(&obj.seq); // write_seqcount_begin(&obj->seq);
    let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
    RCU_INIT_POINTER(&obj.fence_excl, fence); // RCU_INIT_POINTER(obj->fence_excl, fence);
    log_install(obj, fence, update);
    if let Some(o) = &old {
        let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
        o.set_count(0); // if (old) old->shared_count = 0;
        log_shared(obj, update);
    }
    write_seqcount_end(&obj.seq); // write_seqcount_end(&obj->seq);
    for k in (0..i).rev() {
        let o = old.as_ref().expect("i > 0");
        if let Some(f) = rcu_dereference_protected(&o.shared[k], true) {
            dma_fence_put(&f); // while (i--) dma_fence_put(rcu_dereference_protected(old->shared[i], …));
        }
    }
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
    let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
    match how {
        Publication::RcuAssignPointer => rcu_assign_pointer(&obj.fence_excl, Some(fence)), // rcu_assign_pointer(obj->fence_excl, fence);
        Publication::RcuInitPointer => RCU_INIT_POINTER(&obj.fence_excl, Some(fence)), // RCU_INIT_POINTER(obj->fence_excl, fence);
    }
    log_install(obj, Some(fence), update);
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

/// `dma_resv_test_signaled_rcu(obj, test_all)` (dma-resv.c, v5.10): whether the shared
/// fences (`test_all`, if there are any) or else the exclusive fence have signaled, without
/// the resv lock.
pub fn dma_resv_test_signaled_rcu(obj: &Obj<DmaResv>, test_all: bool) -> bool {
    let _c = trace_call("dma_resv_test_signaled_rcu", obj.name());
    rcu_read_lock(); // rcu_read_lock();
    let idle = 'retry: loop {
        let mut ret = 1; // retry: ret = true;
        let mut shared_count = 0; // shared_count = 0;
        let seq = read_seqcount_begin(&obj.seq); // seq = read_seqcount_begin(&obj->seq);
        if test_all {
            let fobj = rcu_dereference(&obj.fence); // struct dma_resv_list *fobj = rcu_dereference(obj->fence);
            if let Some(l) = &fobj {
                shared_count = READ_ONCE(&l.shared_count).max(0) as usize; // if (fobj) shared_count = fobj->shared_count;
            }
            for i in 0..shared_count {
                let l = fobj.as_ref().expect("shared_count > 0");
                let fence = rcu_dereference(&l.shared[i]); // struct dma_fence *fence = rcu_dereference(fobj->shared[i]);
                if let Some(f) = &fence {
                    witness_recycled_read(f);
                }
                let Some(fence) = check_not_null(fence, l, i, shared_count) else {
                    break 'retry false;
                };
                ret = dma_resv_test_signaled_single(&fence); // ret = dma_resv_test_signaled_single(fence);
                if ret < 0 {
                    checker::kernel::cpu_relax(); // MODEL: the retry makes progress
                    continue 'retry; // if (ret < 0) goto retry;
                } else if ret == 0 {
                    break; // else if (!ret) break;
                }
            }
            if read_seqcount_retry(&obj.seq, seq) {
                checker::kernel::cpu_relax(); // MODEL: the retry makes progress
                continue; // if (read_seqcount_retry(&obj->seq, seq)) goto retry;
            }
        }
        if shared_count == 0 {
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
        }
        break ret == 1;
    };
    rcu_read_unlock(); // rcu_read_unlock();
    idle // return ret;
}

/// A shared entry read as never written (NULL here; uninitialised kmalloc memory in the
/// kernel) below the `shared_count` just read: the reader would dereference it (an oops).
fn check_not_null(
    fence: Option<FencePtr>,
    l: &SlabPtr<DmaResvList>,
    i: usize,
    count: usize,
) -> Option<FencePtr> {
    check(fence.is_some(), &OOPS, || {
        format!(
            "NULL dereference: {}.shared[{i}] read as never written although shared_count was read as {count} (the entry store is not ordered before the shared_count store)",
            l.mem_name()
        )
    });
    fence
}

/// `dma_resv_get_fences_rcu(obj, &excl, &count, &shared)` (dma-resv.c, v5.10): references
/// to the exclusive fence and the shared fences, consistent under the seqcount. MODEL: the
/// `krealloc()`ed array is a `Vec` (no -ENOMEM).
pub fn dma_resv_get_fences_rcu(obj: &Obj<DmaResv>) -> (Option<FencePtr>, Vec<FencePtr>) {
    let _c = trace_call("dma_resv_get_fences_rcu", obj.name());
    loop {
        let mut shared: Vec<FencePtr> = Vec::new(); // shared_count = i = 0;
        rcu_read_lock(); // rcu_read_lock();
        let seq = read_seqcount_begin(&obj.seq); // seq = read_seqcount_begin(&obj->seq);
        let fence_excl = rcu_dereference(&obj.fence_excl); // fence_excl = rcu_dereference(obj->fence_excl);
        let fence_excl = match fence_excl {
            Some(f) => match dma_fence_get_rcu(&f) {
                Some(f) => Some(f),
                None => {
                    rcu_read_unlock(); // if (fence_excl && !dma_fence_get_rcu(fence_excl)) goto unlock;
                    checker::kernel::cpu_relax(); // MODEL: the retry makes progress
                    continue;
                }
            },
            None => None,
        };
        let fobj = rcu_dereference(&obj.fence); // fobj = rcu_dereference(obj->fence);
        let mut complete = true;
        if let Some(l) = &fobj {
            let shared_count = READ_ONCE(&l.shared_count).max(0) as usize; // shared_count = fobj ? fobj->shared_count : 0;
            for i in 0..shared_count {
                let f = rcu_dereference(&l.shared[i]); // shared[i] = rcu_dereference(fobj->shared[i]);
                let Some(f) = check_not_null(f, l, i, shared_count) else {
                    complete = false;
                    break;
                };
                match dma_fence_get_rcu(&f) {
                    Some(f) => shared.push(f),
                    None => {
                        complete = false; // if (!dma_fence_get_rcu(shared[i])) break;
                        break;
                    }
                }
            }
        }
        if !complete || read_seqcount_retry(&obj.seq, seq) {
            // if (i != shared_count || read_seqcount_retry(&obj->seq, seq)) {
            while let Some(f) = shared.pop() {
                dma_fence_put(&f); // while (i--) dma_fence_put(shared[i]);
            }
            if let Some(f) = &fence_excl {
                dma_fence_put(f); // dma_fence_put(fence_excl);
            }
            rcu_read_unlock(); // goto unlock;
            checker::kernel::cpu_relax(); // MODEL: the retry makes progress
            continue;
        }
        rcu_read_unlock(); // ret = 0; unlock: rcu_read_unlock();
        return (fence_excl, shared); // *pfence_excl = fence_excl; *pshared = shared;
    }
}

/// [`READS_FENCE_IN_RECYCLED_MEMORY`] for a fence pointer an RCU reader just loaded (ghost):
/// the memory held an earlier fence that signaled, before the fence the store installed.
fn witness_recycled_read(f: &FencePtr) {
    let installed = f.installed();
    let recycled = f
        .ghost()
        .signals
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|(o, _)| Some(*o) != installed);
    witness_if(recycled, &READS_FENCE_IN_RECYCLED_MEMORY);
}

/// The four-line snippet of the June 2021 thread (and of the pre-5.19
/// `dma_resv_wait_timeout_rcu()` fast path): `rcu_read_lock(); fence = excl; idle = !fence
/// || test_bit(SIGNALED); rcu_read_unlock();` — no reference, no seqcount.
pub fn snippet_excl_idle(obj: &Obj<DmaResv>) -> bool {
    let _c = trace_call("snippet_excl_idle", obj.name());
    rcu_read_lock(); // rcu_read_lock();
    let fence = rcu_dereference(&obj.fence_excl); // fence = rcu_dereference(obj->fence_excl);
    if let Some(f) = &fence {
        witness_recycled_read(f);
    }
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
    // Judged only where the clock is exact (loom ran no reading inside an update's bracket;
    // checker/src/kernel/clock.rs): the exact twin of an ambiguous execution is explored.
    check(ok || !ghost_clock_exact(), &IDLE_LINEARIZABLE, describe);
}

/// What was installed at step `t` in a (step, set) ghost history.
fn shared_at(hist: &[(usize, Vec<Installed>)], t: usize) -> &[Installed] {
    hist.iter()
        .rev()
        .find(|(s, _)| *s <= t)
        .map(|(_, v)| v.as_slice())
        .unwrap_or(&[])
}

fn excl_at(hist: &[(usize, Option<Installed>)], t: usize) -> Option<Installed> {
    hist.iter()
        .rev()
        .find(|(s, _)| *s <= t)
        .and_then(|(_, e)| e.clone())
}

fn signaled_by(e: &Installed, t: usize) -> bool {
    e.1.ghost().ghost_signaled_at(e.0).is_some_and(|s| s <= t)
}

fn describe_shared(hist: &[(usize, Vec<Installed>)]) -> String {
    hist.iter()
        .map(|(s, v)| {
            let set: Vec<String> = v
                .iter()
                .map(|(o, f, name)| {
                    let sig = f
                        .ghost()
                        .ghost_signaled_at(*o)
                        .map(|s| format!("signaled at step {s}"))
                        .unwrap_or_else(|| "never signaled".into());
                    format!("{name} {sig}")
                })
                .collect();
            format!("shared from step {s}: {{{}}}", set.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Ghost check of [`IDLE_LINEARIZABLE`] for `dma_resv_test_signaled_rcu(obj, true)` that
/// answered `idle` over `[start, end]`: at some instant every shared fence had signaled
/// (or, with no shared fence, the exclusive one had), v5.10's meaning of "all signaled".
pub fn check_test_signaled_all(obj: &Obj<DmaResv>, idle: bool, start: usize, end: usize) {
    trace_note("answer", obj.name(), if idle { "idle" } else { "busy" });
    if !idle {
        return;
    }
    let shared = obj.ghost().shared_history.lock().unwrap().clone();
    let excl = obj.ghost().history.lock().unwrap().clone();
    let mut instants = vec![start];
    let steps = shared
        .iter()
        .map(|(s, _)| *s)
        .chain(excl.iter().map(|(s, _)| *s));
    instants.extend(steps.filter(|s| *s > start && *s <= end));
    for e in shared.iter().flat_map(|(_, v)| v.iter()) {
        if let Some(sig) = e.1.ghost().ghost_signaled_at(e.0) {
            if sig > start && sig <= end {
                instants.push(sig);
            }
        }
    }
    let ok = instants.iter().any(|&t| {
        let set = shared_at(&shared, t);
        if set.is_empty() {
            excl_at(&excl, t).is_none_or(|e| signaled_by(&e, t))
        } else {
            set.iter().all(|e| signaled_by(e, t))
        }
    });
    // Judged only where the clock is exact (loom ran no reading inside an update's bracket;
    // checker/src/kernel/clock.rs): the exact twin of an ambiguous execution is explored.
    check(ok || !ghost_clock_exact(), &IDLE_LINEARIZABLE, || {
        format!(
            "dma_resv_test_signaled_rcu({}, true) answered idle over steps {start}..{end}, but at no instant were all shared fences signaled: {}",
            obj.name(),
            describe_shared(&shared)
        )
    });
}

/// Ghost check of `FENCE_GET_IDENTITY` for what `dma_resv_get_fences_rcu()` returned over
/// `[start, end]`: each reference is on the fence the pointer it read had installed, and that
/// fence was installed (shared or exclusive) at some instant of the call.
pub fn check_get_fences_rcu(
    obj: &Obj<DmaResv>,
    excl: Option<&FencePtr>,
    shared: &[FencePtr],
    start: usize,
    end: usize,
    identity: &Invariant,
) {
    let names: Vec<String> = excl
        .into_iter()
        .chain(shared)
        .map(|f| f.describe())
        .collect();
    trace_note("answer", obj.name(), &format!("[{}]", names.join(", ")));
    let sh = obj.ghost().shared_history.lock().unwrap().clone();
    let ex = obj.ghost().history.lock().unwrap().clone();
    let mut instants = vec![start];
    let steps = sh.iter().map(|(s, _)| *s).chain(ex.iter().map(|(s, _)| *s));
    instants.extend(steps.filter(|s| *s > start && *s <= end));
    for f in excl.into_iter().chain(shared) {
        let held = f.occupant();
        check(f.installed() == held, identity, || {
            format!(
                "dma_resv_get_fences_rcu({}) returned {} as {} (the fence the pointer it read had installed), but its reference is on {}, a new fence in the same memory",
                obj.name(),
                f.mem_name(),
                f.installed_name(),
                f.occupant_name()
            )
        });
        let was = instants.iter().any(|&t| {
            shared_at(&sh, t).iter().any(|e| Some(e.0) == held)
                || excl_at(&ex, t).is_some_and(|e| Some(e.0) == held)
        });
        // Judged only where the clock is exact (checker/src/kernel/clock.rs).
        check(was || !ghost_clock_exact(), identity, || {
            format!(
                "dma_resv_get_fences_rcu({}) returned {} holding a reference on {}, which was not installed at any instant of the call (steps {start}..{end}): {}",
                obj.name(),
                f.mem_name(),
                f.occupant_name(),
                describe_shared(&sh)
            )
        });
    }
}
