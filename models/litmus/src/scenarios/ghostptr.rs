//! Ghost-pointer calibration (issue 10 item 3, docs/architecture.md "What ghost state may
//! still hide"): pointers to `kzalloc`ed objects kept outside a `Guarded::new_refs` field,
//! in the three shapes the models have. Each scenario frees the pointer's target while the
//! pointer is still held, and uses it later, as a reviewer's patch could:
//! - `fence->lock`, a ghost pointer to the timeline that owns the lock (dma_fence_rcu's
//!   `DmaFence::lock`): the driver frees its timeline while a fence still points to it;
//! - a `dma_resv` fence table, written under the resv lock and read without it by the
//!   unlocked walk (mmu_interval_notifier's `DmaResv::table`): a fence is freed while the
//!   table still points to it, or right after the table stops pointing to it;
//! - a CPU's local result vector of pointers copied under a lock and used after the unlock.
//!
//! The table, here as in mmu_interval_notifier, is a `Guarded::new_refs` field with lockless
//! reads since this calibration: as ghost state outside a guarded field (a `std` mutex with
//! no recorded access), `ghost+kfree-resv-table-replaced` was verified by loom and dpor and
//! `ghost+kfree-resv-table-unread` by every explorer (docs/architecture.md, rule 3).

use std::sync::Mutex as StdMutex;

use checker::invariant::Witness;
use checker::kernel::{
    call_rcu, kfree, kzalloc, mutex_lock, mutex_unlock, rcu_read_lock, rcu_read_unlock, set_bit,
    smp_mb, spin_lock, spin_unlock, test_and_set_bit, test_bit, AtomicT, BitWord, Guarded, KMutex,
    Obj, SpinLock, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{join, spawn_cpu, witness_if};

/// `DMA_FENCE_FLAG_SIGNALED_BIT`.
const SIGNALED: usize = 0;

/// A driver's timeline: the spinlock its fences share.
pub(crate) struct Timeline {
    lock: SpinLock,
}

/// A fence: `fence->lock` points into its timeline (as dma_fence_rcu's `DmaFence::lock`: a
/// ghost pointer, written once at init, no scheduling point when it is read), and its flags.
pub(crate) struct Fence {
    lock: StdMutex<Option<Obj<Timeline>>>,
    flags: BitWord,
}

impl Fence {
    /// `fence->lock` (ghost read of the pointer).
    fn timeline(&self) -> Obj<Timeline> {
        self.lock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .expect("fence->lock set at init")
    }
}

fn timeline() -> Obj<Timeline> {
    kzalloc("timeline", |id, n| Timeline {
        lock: SpinLock::new(id, n, "lock"),
    })
}

/// `dma_fence_init(fence, ops, &tl->lock, ...)` of a new `kzalloc`ed fence.
fn fence_on(tl: &Obj<Timeline>) -> Obj<Fence> {
    kzalloc("fence", |_, n| Fence {
        lock: StdMutex::new(Some(tl.clone())), // fence->lock = lock;
        flags: BitWord::new(n, "flags", 0),
    })
}

/// `dma_fence_signal(fence)`: under `fence->lock`, set the signalled bit.
fn dma_fence_signal(f: &Obj<Fence>) {
    let tl = f.timeline();
    let g = spin_lock(&tl.lock); // spin_lock_irqsave(fence->lock, flags);
    test_and_set_bit(SIGNALED, &f.flags); // test_and_set_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &fence->flags)
    spin_unlock(g); // spin_unlock_irqrestore(fence->lock, flags);
}

/// CPU0 signals a fence it holds (through `fence->lock`) unless it is signalled already;
/// CPU1, the driver's teardown, frees the timeline without waiting for its fences (the bug).
/// If the free comes first, CPU0's `spin_lock()` follows a dangling `fence->lock`. (CPU0's
/// test of the bit first puts its following of `fence->lock` in a step that a recorded event
/// places: tests/replay_fidelity.rs.)
pub(crate) fn fence_lock_vs_kfree_timeline() {
    let tl = timeline();
    let f = fence_on(&tl);
    let signaler = {
        let f = f.clone();
        spawn_cpu(move || {
            if !test_bit(SIGNALED, &f.flags) {
                // if (!dma_fence_is_signaled(fence))
                dma_fence_signal(&f); // dma_fence_signal(fence);
            }
        })
    };
    let driver = {
        let tl = tl.clone();
        spawn_cpu(move || {
            kfree(&tl); // kfree(tl);  (the fence still points to tl->lock)
        })
    };
    join(signaler);
    join(driver);
    kfree(&f);
}

/// As [`fence_lock_vs_kfree_timeline`], but the driver frees its timeline once it sees the
/// fence signalled (`dma_fence_is_signaled()`): the bit is set under `fence->lock`, so the
/// signaller still unlocks through the dangling pointer.
pub(crate) fn fence_lock_unlock_vs_kfree_timeline() {
    let tl = timeline();
    let f = fence_on(&tl);
    let signaler = {
        let f = f.clone();
        spawn_cpu(move || {
            if !test_bit(SIGNALED, &f.flags) {
                // if (!dma_fence_is_signaled(fence))
                dma_fence_signal(&f); // dma_fence_signal(fence);
            }
        })
    };
    let driver = {
        let (tl, f) = (tl.clone(), f.clone());
        spawn_cpu(move || {
            if test_bit(SIGNALED, &f.flags) {
                // if (dma_fence_is_signaled(fence))
                kfree(&tl); // kfree(tl);
            }
        })
    };
    join(signaler);
    join(driver);
    if !tl.is_freed() {
        kfree(&tl);
    }
    kfree(&f);
}

/// A `dma_resv` as mmu_interval_notifier's: the lock, `fences->num_fences`, and the ghost
/// table `fences->table[]` (written under the lock before `num_fences`, read without it):
/// a `Guarded::new_refs` field with lockless reads.
pub(crate) struct Resv {
    lock: KMutex,
    num_fences: AtomicT,
    table: Guarded<Vec<Obj<Fence>>>,
    /// Ghost: the fences the unlocked walker has read from the table.
    walked: StdMutex<Vec<Obj<Fence>>>,
}

fn resv() -> Obj<Resv> {
    kzalloc("resv", |id, n| {
        let lock = KMutex::new(id, n, "lock");
        let table = Guarded::new_refs(format!("{n}.table"), &lock, Vec::new()).lockless_reads();
        Resv {
            lock,
            num_fences: AtomicT::new(n, "num_fences", 0),
            table,
            walked: StdMutex::new(Vec::new()),
        }
    })
}

/// `dma_resv_add_fence()` under the resv lock: reuse the slot of a signalled fence, else
/// append and publish the new count. The fence the table stopped pointing to, if any.
fn dma_resv_add_fence(r: &Obj<Resv>, f: &Obj<Fence>) -> Option<Obj<Fence>> {
    let count = READ_ONCE(&r.num_fences) as usize; // count = fobj->num_fences;
    let mut table = r.table.read();
    for i in 0..count {
        let old = table[i].clone(); // dma_resv_list_entry(fobj, i, obj, &old, &old_usage);
        if test_bit(SIGNALED, &old.flags) {
            // if (dma_fence_is_signaled(old))
            table[i] = f.clone();
            r.table.write(table); // dma_resv_list_set(fobj, i, fence, usage);
                                  // Ghost, in the write's step (which loom and dpor order against the walker's read).
            let walked = r.walked.lock().unwrap_or_else(|e| e.into_inner());
            witness_if(
                walked.iter().any(|w| w.ptr_eq(&old)),
                &WALKER_HOLDS_REPLACED,
            );
            return Some(old); // dma_fence_put(old); return;
        }
    }
    table.push(f.clone());
    r.table.write(table); // dma_resv_list_set(fobj, i, fence, usage);
    WRITE_ONCE(&r.num_fences, count as isize + 1); // smp_store_mb(fobj->num_fences, count);
    smp_mb();
    None
}

/// The unlocked walk of `dma_resv_wait_timeout()`: test every fence the table holds.
fn dma_resv_walk_unlocked(r: &Obj<Resv>) {
    let n = READ_ONCE(&r.num_fences) as usize; // cursor->num_fences = cursor->fences->num_fences;
    for i in 0..n {
        let f = r.table.read_lockless()[i].clone(); // dma_resv_list_entry(cursor->fences, cursor->index++, ...)
        r.walked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(f.clone()); // ghost, in the read's step
        test_bit(SIGNALED, &f.flags); // dma_fence_is_signaled(cursor->fence)
    }
}

/// CPU0 adds its job's fence to the resv under the lock, then (the GPU) signals it and frees
/// it at once (the bug: the table still points to it, and holds the reference the free
/// drops); CPU1 walks the table without the lock. If CPU1 reads the count after the add and
/// tests the fence after the free, it reads freed memory (`USE_AFTER_FREE`, which every
/// explorer found when the table was ghost state outside a guarded field); the table being a
/// `Guarded::new_refs` field, the `kfree` itself is `FREE_WHILE_REACHABLE`, in every
/// execution.
pub(crate) fn resv_table_vs_kfree() {
    resv_table_kfree(true)
}

/// [`resv_table_vs_kfree`] with no walker: nothing reads the dangling table entry in the
/// scenario, so only a check at the `kfree` finds it (the next waiter on the resv, or
/// `dma_resv_fini()`'s put, would follow it).
pub(crate) fn resv_table_kfree_unread() {
    resv_table_kfree(false)
}

fn resv_table_kfree(walk: bool) {
    let r = resv();
    let tl = timeline();
    let f = fence_on(&tl);
    let exec = {
        let (r, f) = (r.clone(), f.clone());
        spawn_cpu(move || {
            let g = mutex_lock(&r.lock); // dma_resv_lock(obj, NULL);
            dma_resv_add_fence(&r, &f);
            mutex_unlock(g); // dma_resv_unlock(obj);
            set_bit(SIGNALED, &f.flags); // dma_fence_signal(fence);  (the GPU is done)
            kfree(&f); // kfree(fence);  (still in the resv's table)
        })
    };
    let walker = {
        let r = r.clone();
        spawn_cpu(move || {
            if walk {
                dma_resv_walk_unlocked(&r);
            }
        })
    };
    join(exec);
    join(walker);
    kfree(&r);
    kfree(&tl);
}

/// The resv's table holds a signalled fence A. CPU0 adds fence B, which reuses A's slot, and
/// frees A as soon as it unlocks (the bug: A's last reference is dropped with no grace
/// period, while an unlocked walker may still hold it); CPU1 walks the table without the
/// lock. If CPU1 reads A from the slot before the reuse and tests it after the free, it reads
/// freed memory; the slot is ghost state, so which fence CPU1 reads depends on the order of
/// two ghost steps.
pub(crate) fn resv_table_replaced_vs_kfree() {
    resv_table_replaced(false)
}

/// `ghost+kfree-resv-table-replaced-rcu`'s witness: the walker holds the fence whose slot is
/// reused.
pub(crate) const WALKER_HOLDS_REPLACED: Witness = Witness::new(
    "WALKER_HOLDS_REPLACED",
    "the unlocked walker read fence A from the table before CPU0 reused A's slot for B (CPU0 then frees A: the walker's pointer outlives the table's)",
);

/// As [`resv_table_replaced_vs_kfree`], done right: CPU0 frees A after a grace period
/// (`dma_fence_put()` -> `dma_fence_free()` -> `kfree_rcu()`) and CPU1 walks the table inside
/// `rcu_read_lock()`, as the unlocked iterator does.
pub(crate) fn resv_table_replaced_kfree_rcu() {
    resv_table_replaced(true)
}

fn resv_table_replaced(rcu: bool) {
    let r = resv();
    let tl = timeline();
    let a = fence_on(&tl);
    let b = fence_on(&tl);
    set_bit(SIGNALED, &a.flags);
    let g = mutex_lock(&r.lock);
    dma_resv_add_fence(&r, &a);
    mutex_unlock(g);
    let exec = {
        let (r, b) = (r.clone(), b.clone());
        spawn_cpu(move || {
            let g = mutex_lock(&r.lock); // dma_resv_lock(obj, NULL);
            let old = dma_resv_add_fence(&r, &b);
            mutex_unlock(g); // dma_resv_unlock(obj);
            if let Some(old) = old {
                if rcu {
                    let name = old.name().to_string();
                    call_rcu(&name, move || kfree(&old)); // dma_fence_put(old) -> kfree_rcu(old, rcu);
                } else {
                    kfree(&old); // dma_fence_put(old) -> kfree(old);  (no grace period)
                }
            }
        })
    };
    let walker = {
        let r = r.clone();
        spawn_cpu(move || {
            if rcu {
                rcu_read_lock(); // rcu_read_lock();  (dma_resv_iter_first_unlocked())
            }
            dma_resv_walk_unlocked(&r);
            if rcu {
                rcu_read_unlock(); // rcu_read_unlock();
            }
        })
    };
    join(exec);
    join(walker);
    kfree(&r); // (dma_resv_fini() puts every fence the table holds)
    if !a.is_freed() {
        kfree(&a);
    }
    kfree(&b);
    kfree(&tl);
}

/// A list owner whose `cur` (guarded by `owner->lock`) points to the fence in use.
pub(crate) struct Holder {
    lock: SpinLock,
    cur: Guarded<Option<Obj<Fence>>>,
}

/// CPU0 copies `owner->cur` into its local result vector under `owner->lock` (taking no
/// reference: the bug), unlocks, then tests the fence it collected; CPU1, under the lock,
/// clears `owner->cur` and frees the fence (allowed by rule 3). If CPU1 runs between CPU0's
/// unlock and its test, CPU0 reads freed memory through its local copy.
pub(crate) fn local_result_vs_kfree() {
    let tl = timeline();
    let f = fence_on(&tl);
    let owner: Obj<Holder> = kzalloc("owner", |id, n| {
        let lock = SpinLock::new(id, n, "lock");
        let cur = Guarded::new_refs(format!("{n}.cur"), &lock, Some(f.clone()));
        Holder { lock, cur }
    });
    let collector = {
        let owner = owner.clone();
        spawn_cpu(move || {
            let mut shared: Vec<Obj<Fence>> = Vec::new();
            let g = spin_lock(&owner.lock); // spin_lock(&owner->lock);
            if let Some(f) = owner.cur.read() {
                shared.push(f); // shared[count++] = owner->cur;  (no dma_fence_get())
            }
            spin_unlock(g); // spin_unlock(&owner->lock);
            for f in &shared {
                test_bit(SIGNALED, &f.flags); // dma_fence_is_signaled(shared[i])
            }
        })
    };
    let reaper = {
        let owner = owner.clone();
        spawn_cpu(move || {
            let g = spin_lock(&owner.lock); // spin_lock(&owner->lock);
            let cur = owner.cur.read(); // cur = owner->cur;
            owner.cur.write(None); // owner->cur = NULL;
            if let Some(cur) = cur {
                kfree(&cur); // kfree(cur);
            }
            spin_unlock(g); // spin_unlock(&owner->lock);
        })
    };
    join(collector);
    join(reaper);
    kfree(&owner);
    kfree(&tl);
}
