//! Calibration of loom's DPOR for operations whose outcome depends on the object's state
//! (vendor/loom/KMODEL-PATCH.md, "try_lock"): a trylock, a `compare_exchange` that may fail,
//! a wait against a wake-up; and of loom's modification order for RMWs
//! (KMODEL-PATCH.md, "RMW atomicity and failed compare_exchange", "A successful RMW may read
//! a stale value"). Each scenario's expected
//! result is the true one (every interleaving of the kernel code, by hand). The ones marked
//! "fails on loom 0.7.2" got the wrong verdict from crates.io loom (and from kmodel's loom
//! before the patch they calibrate); the others show an operation loom already explores
//! both ways.
//!
//! Self-contained: only facade-level primitives of `checker::kernel`.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use checker::invariant::{Invariant, Witness, DEADLOCK};
use checker::kernel::{
    atomic_inc, atomic_read, atomic_set, cmpxchg_relaxed, down_read, down_read_trylock, down_write,
    down_write_trylock, kfree, kref_get_unless_zero, kref_put, kzalloc, llist_add, llist_del_all,
    mutex_lock, mutex_trylock, mutex_unlock, smp_rmb, smp_wmb, up_read, up_write, wait_event,
    wake_up_all, xchg, xchg_order, AtomicT, KMutex, Kref, LlistHead, LlistNode, RmwOrder,
    RwSemaphore, WaitQueueHead, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{check, join, spawn_cpu, witness_if, Expected, Scenario};

/// A trylock that other CPUs' critical sections can make fail, negated.
pub const TRYLOCK_NEVER_FAILS: Invariant = Invariant::new(
    "TRYLOCK_NEVER_FAILS",
    "CPU0's trylock takes the lock (exists (0:trylock failed) never holds; it does hold when CPU1 holds the lock at that moment, so an explorer that finds no violation missed an interleaving)",
);

/// `kref_get_unless_zero()` against the final `kref_put()`, negated.
pub const GET_UNLESS_ZERO_NEVER_FAILS: Invariant = Invariant::new(
    "GET_UNLESS_ZERO_NEVER_FAILS",
    "CPU0's kref_get_unless_zero() takes a reference (it fails when CPU1's kref_put() dropped the count to 0 first: its cmpxchg loop reads 0)",
);

/// RMW atomicity (C++ [atomics.order], C11 7.17.3; the LKMM's linux-kernel.cat:
/// `empty rmw & (fre ; coe) as atomic`).
pub const RMW_ATOMIC_AGAINST_SET: Invariant = Invariant::new(
    "RMW_ATOMIC_AGAINST_SET",
    "v ends 0 or 1: CPU0's atomic_inc(v) (v was 1) either reads CPU1's atomic_set(v, 0) or is followed by it in v's coherence order; v=2 means the atomic_set landed between the inc's read and its write",
);

/// A failed `cmpxchg_relaxed()` read the latest value, negated.
pub const FAILED_CMPXCHG_READS_LATEST: Invariant = Invariant::new(
    "FAILED_CMPXCHG_READS_LATEST",
    "CPU1's failed cmpxchg_relaxed(x, 2, 3) after READ_ONCE(y) == 1 reads x == 1 (exists (1:r0=1 /\\ 1:r1=0) never holds; it does without a read barrier: a failed cmpxchg is a relaxed read, Documentation/atomic_t.txt)",
);

/// An RMW after the flag read the value stored before the flag, negated.
pub const RMW_AFTER_FLAG_READS_LATEST: Invariant = Invariant::new(
    "RMW_AFTER_FLAG_READS_LATEST",
    "CPU1's RMW on x after READ_ONCE(y) == 1 reads CPU0's x = 1 (exists (1:r0=1 /\\ 1:r1=0) never holds; it does for a relaxed RMW: it may read the initial 0, its write then preceding CPU0's x = 1 in x's coherence order; not for a fully ordered one, whose smp_mb() orders it after the flag's read)",
);

/// The llist's fully ordered RMWs, negated in the message-passing shape.
pub const LLIST_DEL_ALL_AFTER_FLAG_TAKES_NODE: Invariant = Invariant::new(
    "LLIST_DEL_ALL_AFTER_FLAG_TAKES_NODE",
    "CPU1's llist_del_all() after READ_ONCE(flag) == 1 returns CPU0's node, added before the flag was set (llist_add()'s try_cmpxchg() and llist_del_all()'s xchg() are fully ordered: smp_mb() after the one and before the other make this message passing with full barriers, LKMM: Never)",
);

/// Every invariant of this file.
pub const INVARIANTS: &[Invariant] = &[
    TRYLOCK_NEVER_FAILS,
    GET_UNLESS_ZERO_NEVER_FAILS,
    RMW_ATOMIC_AGAINST_SET,
    FAILED_CMPXCHG_READS_LATEST,
    RMW_AFTER_FLAG_READS_LATEST,
];

/// Two readers inside the rwsem at once.
pub const READ_TRYLOCK_WHILE_READER_HOLDS: Witness = Witness::new(
    "READ_TRYLOCK_WHILE_READER_HOLDS",
    "CPU0's down_read_trylock(S) runs while CPU1 holds S for read (between its down_read() and up_read())",
);

/// The waiter has to sleep.
pub const WAIT_EVENT_SEES_NOT_DONE: Witness = Witness::new(
    "WAIT_EVENT_SEES_NOT_DONE",
    "wait_event()'s condition reads done == 0: CPU0 must sleep (or re-check), and only CPU1's store and wake_up_all() end its wait",
);

/// The atomic_inc reads CPU1's 0.
pub const INC_READS_SET: Witness = Witness::new(
    "INC_READS_SET",
    "v ends 1: CPU0's atomic_inc(v) read the 0 of CPU1's atomic_set(v, 0)",
);

/// The atomic_set comes after the atomic_inc.
pub const SET_AFTER_INC: Witness = Witness::new(
    "SET_AFTER_INC",
    "v ends 0: CPU1's atomic_set(v, 0) comes after CPU0's atomic_inc(v) in v's coherence order",
);

/// CPU1 saw the flag, so its cmpxchg ran after CPU0's store to x.
pub const FAILED_CMPXCHG_AFTER_FLAG: Witness = Witness::new(
    "FAILED_CMPXCHG_AFTER_FLAG",
    "CPU1's READ_ONCE(y) reads 1 and its cmpxchg_relaxed(x, 2, 3) then fails",
);

/// CPU1 saw the flag, so its RMW on x ran after CPU0's store to x.
pub const LLIST_FLAG_SEEN: Witness = Witness::new(
    "LLIST_FLAG_SEEN",
    "CPU1's READ_ONCE(flag) reads 1 before its llist_del_all()",
);

pub const RMW_AFTER_FLAG: Witness = Witness::new(
    "RMW_AFTER_FLAG",
    "CPU1's READ_ONCE(y) reads 1 before its RMW on x (CPU0's x = 1 is then already stored)",
);

struct Locks {
    m: KMutex,
    sem: RwSemaphore,
    x: AtomicT,
}

fn locks() -> checker::kernel::Obj<Locks> {
    kzalloc("obj", |id, n| Locks {
        m: KMutex::new(id, n, "lock"),
        sem: RwSemaphore::new(id, n, "sem"),
        x: AtomicT::new(n, "x", 0),
    })
}

/// CPU0 `mutex_trylock(L)`; CPU1 `mutex_lock(L)`, (a store,) `mutex_unlock(L)`.
fn trylock_vs_lock(store_inside: bool) {
    let o = locks();
    let p0 = {
        let o = o.clone();
        spawn_cpu(move || {
            let got = mutex_trylock(&o.m); // if (mutex_trylock(&obj->lock)) {
            let taken = got.is_some();
            if let Some(g) = got {
                if store_inside {
                    WRITE_ONCE(&o.x, 2); // WRITE_ONCE(obj->x, 2);
                }
                mutex_unlock(g); // mutex_unlock(&obj->lock); }
            }
            check(taken, &TRYLOCK_NEVER_FAILS, || {
                "mutex_trylock(obj.lock) failed: CPU1 held it".into()
            });
        })
    };
    let p1 = {
        let o = o.clone();
        spawn_cpu(move || {
            let g = mutex_lock(&o.m); // mutex_lock(&obj->lock);
            if store_inside {
                WRITE_ONCE(&o.x, 1); // WRITE_ONCE(obj->x, 1);
            }
            mutex_unlock(g); // mutex_unlock(&obj->lock);
        })
    };
    join(p0);
    join(p1);
    kfree(&o);
}

fn mutex_trylock_vs_lock() {
    trylock_vs_lock(false)
}

fn mutex_trylock_vs_lock_store() {
    trylock_vs_lock(true)
}

/// CPU0 tries the rwsem in mode `try_write`; CPU1 takes it in mode `write`, then releases.
fn rwsem_trylock(try_write: bool, write: bool) {
    let o = locks();
    // Ghost (no scheduling point): CPU1 is between its down_read() and the return of its
    // up_read().
    let reading = Arc::new(AtomicBool::new(false));
    let p0 = {
        let (o, p1_reading) = (o.clone(), reading.clone());
        spawn_cpu(move || {
            let taken = if try_write {
                let g = down_write_trylock(&o.sem); // if (down_write_trylock(&obj->sem)) {
                let t = g.is_some();
                if let Some(g) = g {
                    up_write(g); // up_write(&obj->sem); }
                }
                t
            } else {
                let g = down_read_trylock(&o.sem); // if (down_read_trylock(&obj->sem)) {
                let t = g.is_some();
                witness_if(
                    t && p1_reading.load(Relaxed),
                    &READ_TRYLOCK_WHILE_READER_HOLDS,
                );
                if let Some(g) = g {
                    up_read(g); // up_read(&obj->sem); }
                }
                t
            };
            check(taken, &TRYLOCK_NEVER_FAILS, || {
                "the rwsem trylock failed: CPU1 held obj.sem".into()
            });
        })
    };
    let p1 = {
        let (o, p1_reading) = (o.clone(), reading);
        spawn_cpu(move || {
            if write {
                let g = down_write(&o.sem); // down_write(&obj->sem);
                up_write(g); // up_write(&obj->sem);
            } else {
                let g = down_read(&o.sem); // down_read(&obj->sem);
                p1_reading.store(true, Relaxed); // (ghost: CPU1 holds S for read)
                up_read(g); // up_read(&obj->sem);
                p1_reading.store(false, Relaxed); // (ghost: CPU1's up_read() returned)
            }
        })
    };
    join(p0);
    join(p1);
    kfree(&o);
}

fn down_read_trylock_vs_down_write() {
    rwsem_trylock(false, true)
}

fn down_write_trylock_vs_down_read() {
    rwsem_trylock(true, false)
}

fn down_write_trylock_vs_down_write() {
    rwsem_trylock(true, true)
}

/// Two readers: CPU0's `down_read_trylock()` never fails against CPU1's `down_read()`.
fn down_read_trylock_vs_down_read() {
    rwsem_trylock(false, false)
}

struct Waiter {
    wq: WaitQueueHead,
    done: AtomicT,
}

/// CPU0 `wait_event(wq, READ_ONCE(done))`; CPU1 sets `done` and wakes `wq`, in that order
/// or (the bug) the other.
fn wait_vs_wake(wake_first: bool) {
    let o = kzalloc("obj", |_, n| Waiter {
        wq: WaitQueueHead::new(n, "wq"),
        done: AtomicT::new(n, "done", 0),
    });
    let p0 = {
        let o = o.clone();
        spawn_cpu(move || {
            wait_event(&o.wq, || {
                let done = READ_ONCE(&o.done) == 1;
                witness_if(!done, &WAIT_EVENT_SEES_NOT_DONE);
                done
            }); // wait_event(obj->wq, READ_ONCE(obj->done));
        })
    };
    let p1 = {
        let o = o.clone();
        spawn_cpu(move || {
            if wake_first {
                wake_up_all(&o.wq); // wake_up_all(&obj->wq);
                WRITE_ONCE(&o.done, 1); // WRITE_ONCE(obj->done, 1);
            } else {
                WRITE_ONCE(&o.done, 1); // WRITE_ONCE(obj->done, 1);
                wake_up_all(&o.wq); // wake_up_all(&obj->wq);
            }
        })
    };
    join(p0);
    join(p1);
    kfree(&o);
}

fn wait_event_vs_wake_up_after_store() {
    wait_vs_wake(false)
}

fn wait_event_vs_wake_up_before_store() {
    wait_vs_wake(true)
}

struct Counted {
    kref: Kref,
}

/// CPU0 `kref_get_unless_zero()`; CPU1 the final `kref_put()`: the cmpxchg loop fails
/// (reads 0) exactly when the put ran first.
fn get_unless_zero_vs_put() {
    let o = kzalloc("obj", |_, n| Counted { kref: Kref::new(n) });
    let p0 = {
        let o = o.clone();
        spawn_cpu(move || {
            let got = kref_get_unless_zero(&o.kref); // if (kref_get_unless_zero(&obj->kref))
            if got {
                kref_put(&o.kref, || {}); // kref_put(&obj->kref, release);
            }
            check(got, &GET_UNLESS_ZERO_NEVER_FAILS, || {
                "kref_get_unless_zero(obj.kref) read 0".into()
            });
        })
    };
    let p1 = {
        let o = o.clone();
        spawn_cpu(move || {
            kref_put(&o.kref, || {}); // kref_put(&obj->kref, release);
        })
    };
    join(p0);
    join(p1);
    kfree(&o);
}

struct Vars {
    v: AtomicT,
    x: AtomicT,
    y: AtomicT,
}

fn vars(v: isize) -> checker::kernel::Obj<Vars> {
    kzalloc("obj", |_, n| Vars {
        v: AtomicT::new(n, "v", v),
        x: AtomicT::new(n, "x", 0),
        y: AtomicT::new(n, "y", 0),
    })
}

/// v = 1; CPU0 `atomic_inc(v)`; CPU1 `atomic_set(v, 0)`: v ends 0 or 1, never 2 (the
/// bare form of Documentation/litmus-tests/atomic/Atomic-RMW-ops-are-atomic-WRT-atomic_set).
fn atomic_inc_vs_atomic_set() {
    let o = vars(1);
    let p0 = {
        let o = o.clone();
        spawn_cpu(move || {
            atomic_inc(&o.v); // atomic_inc(&obj->v);
        })
    };
    let p1 = {
        let o = o.clone();
        spawn_cpu(move || {
            atomic_set(&o.v, 0); // atomic_set(&obj->v, 0);
        })
    };
    join(p0);
    join(p1);
    let v = atomic_read(&o.v); // (after both: the final value of v)
    witness_if(v == 1, &INC_READS_SET);
    witness_if(v == 0, &SET_AFTER_INC);
    check(v != 2, &RMW_ATOMIC_AGAINST_SET, || {
        format!("v = {v}: atomic_set(v, 0) landed inside atomic_inc(v) (1 -> 2)")
    });
    kfree(&o);
}

/// The message-passing writer, CPU0: `WRITE_ONCE(x, 1); smp_wmb(); WRITE_ONCE(y, 1)`.
fn mp_writer(o: &checker::kernel::Obj<Vars>) -> checker::scenario::Cpu {
    let o = o.clone();
    spawn_cpu(move || {
        WRITE_ONCE(&o.x, 1); // WRITE_ONCE(obj->x, 1);
        smp_wmb(); // smp_wmb();
        WRITE_ONCE(&o.y, 1); // WRITE_ONCE(obj->y, 1);
    })
}

/// CPU0 `WRITE_ONCE(x, 1); smp_wmb(); WRITE_ONCE(y, 1)`; CPU1 `r0 = READ_ONCE(y);
/// [smp_rmb();] r1 = cmpxchg_relaxed(x, 2, 3)`, which always fails (x is never 2).
fn mp_failed_cmpxchg(rmb: bool) {
    let o = vars(0);
    let p0 = mp_writer(&o);
    let p1 = {
        let o = o.clone();
        spawn_cpu(move || {
            let r0 = READ_ONCE(&o.y); // r0 = READ_ONCE(obj->y);
            if rmb {
                smp_rmb(); // smp_rmb();
            }
            let r1 = cmpxchg_relaxed(&o.x, 2, 3); // r1 = cmpxchg_relaxed(&obj->x, 2, 3);
            witness_if(r0 == 1, &FAILED_CMPXCHG_AFTER_FLAG);
            check(!(r0 == 1 && r1 == 0), &FAILED_CMPXCHG_READS_LATEST, || {
                format!("READ_ONCE(y) = {r0}, then the failed cmpxchg_relaxed(x, 2, 3) read x = {r1} (stale: CPU0 stored 1 before y)")
            });
        })
    };
    join(p0);
    join(p1);
    kfree(&o);
}

fn mp_failed_cmpxchg_relaxed() {
    mp_failed_cmpxchg(false)
}

fn mp_rmb_failed_cmpxchg_relaxed() {
    mp_failed_cmpxchg(true)
}

/// CPU0 `WRITE_ONCE(x, 1); smp_wmb(); WRITE_ONCE(y, 1)`; CPU1 `r0 = READ_ONCE(y); r1 =
/// xchg{_relaxed,}(x, 2)`, which always succeeds.
fn mp_xchg(ord: RmwOrder) {
    let o = vars(0);
    let p0 = mp_writer(&o);
    let p1 = {
        let o = o.clone();
        spawn_cpu(move || {
            let r0 = READ_ONCE(&o.y); // r0 = READ_ONCE(obj->y);
            let r1 = if ord == RmwOrder::Full {
                xchg(&o.x, 2) // r1 = xchg(&obj->x, 2);
            } else {
                xchg_order(&o.x, 2, ord) // r1 = xchg_relaxed(&obj->x, 2);
            };
            witness_if(r0 == 1, &RMW_AFTER_FLAG);
            check(!(r0 == 1 && r1 == 0), &RMW_AFTER_FLAG_READS_LATEST, || {
                format!("READ_ONCE(y) = {r0}, then xchg(x, 2) read x = {r1} (stale: CPU0 stored 1 before y; x = 1 follows the xchg's 2 in x's coherence order)")
            });
        })
    };
    join(p0);
    join(p1);
    kfree(&o);
}

fn mp_xchg_relaxed() {
    mp_xchg(RmwOrder::Relaxed)
}

fn mp_xchg_full() {
    mp_xchg(RmwOrder::Full)
}

/// CPU0 `atomic_set(x, 1); smp_wmb(); WRITE_ONCE(y, 1)`; CPU1 `r0 = READ_ONCE(y);
/// atomic_inc(x)`; after both, x == 1 means the atomic_inc read the initial 0.
fn mp_atomic_inc() {
    let o = vars(0);
    // Ghost (no scheduling point): CPU1's register r0 == 1, read after both CPUs ended.
    let saw_flag = Arc::new(AtomicBool::new(false));
    let p0 = {
        let o = o.clone();
        spawn_cpu(move || {
            atomic_set(&o.x, 1); // atomic_set(&obj->x, 1);
            smp_wmb(); // smp_wmb();
            WRITE_ONCE(&o.y, 1); // WRITE_ONCE(obj->y, 1);
        })
    };
    let p1 = {
        let (o, saw_flag) = (o.clone(), saw_flag.clone());
        spawn_cpu(move || {
            let r0 = READ_ONCE(&o.y); // r0 = READ_ONCE(obj->y);
            saw_flag.store(r0 == 1, Relaxed);
            atomic_inc(&o.x); // atomic_inc(&obj->x);
        })
    };
    join(p0);
    join(p1);
    let r0 = isize::from(saw_flag.load(Relaxed));
    let x = atomic_read(&o.x); // (after both: the final value of x)
    witness_if(r0 == 1, &RMW_AFTER_FLAG);
    check(!(r0 == 1 && x == 1), &RMW_AFTER_FLAG_READS_LATEST, || {
        format!("READ_ONCE(y) = {r0} and x ends {x}: atomic_inc(x) read the stale 0 (CPU0's x = 1 follows the increment's 1 in x's coherence order)")
    });
    kfree(&o);
}

/// Fails on loom 0.7.2 and on kmodel's loom before the RMW-atomicity patch (a
/// counterexample, v = 2): loom let a concurrent store land between an RMW's read and write.
pub const ATOMIC_INC_VS_ATOMIC_SET: Scenario = checker::scenario!(
    atomic_inc_vs_atomic_set,
    ["P0 atomic_inc", "P1 atomic_set"],
    unreachable,
    "loom calibration: v = 1; CPU0 atomic_inc(v) against CPU1 atomic_set(v, 0): v ends 0 or 1, never 2 (RMW atomicity)"
)
.named("loom-atomic_inc+atomic_set")
.witnesses(&[INC_READS_SET, SET_AFTER_INC]);

/// Fails on loom 0.7.2 and on kmodel's loom before the failed-CAS patch (verified): a failed
/// `compare_exchange` always read the newest store. LKMM: allowed (herd7 `Sometimes`).
pub const MP_FAILED_CMPXCHG_RELAXED: Scenario = checker::scenario!(
    mp_failed_cmpxchg_relaxed,
    ["P0 x, wmb, y", "P1 y, cmpxchg_relaxed(x)"],
    reachable(FAILED_CMPXCHG_READS_LATEST),
    "loom calibration: message passing whose reader's failing cmpxchg_relaxed(x) reads the stale 0 after seeing the flag (a failed cmpxchg is a relaxed read)"
)
.named("loom-MP+wmb+cmpxchg_relaxed-fails")
.expected_sc(Expected::Unreachable);

/// Right on every loom: with smp_rmb() the failed cmpxchg reads 1 (the patch lets a failed
/// CAS read only stores a load could read).
pub const MP_RMB_FAILED_CMPXCHG_RELAXED: Scenario = checker::scenario!(
    mp_rmb_failed_cmpxchg_relaxed,
    ["P0 x, wmb, y", "P1 y, rmb, cmpxchg_relaxed(x)"],
    unreachable,
    "loom calibration: as loom-MP+wmb+cmpxchg_relaxed-fails with smp_rmb() before the cmpxchg: the failed cmpxchg reads 1"
)
.named("loom-MP+wmb+rmb+cmpxchg_relaxed-fails")
.witnesses(&[FAILED_CMPXCHG_AFTER_FLAG]);

/// Fails on loom 0.7.2 and on kmodel's loom before the stale-RMW patch (verified; also with
/// `LOOM_KMODEL_NO_STALE_RMW=1`): a successful RMW always read the newest store. LKMM:
/// allowed (herd7 7.57, LKMM v6.12: `Sometimes`, 1 of 4 states).
pub const MP_XCHG_RELAXED: Scenario = checker::scenario!(
    mp_xchg_relaxed,
    ["P0 x, wmb, y", "P1 y, xchg_relaxed(x)"],
    reachable(RMW_AFTER_FLAG_READS_LATEST),
    "loom calibration: message passing whose reader's xchg_relaxed(x) reads the stale 0 after seeing the flag (a relaxed RMW may precede, in x's coherence order, a store its CPU has not seen)"
)
.named("loom-MP+wmb+xchg_relaxed")
.expected_sc(Expected::Unreachable);

/// Fails as loom-MP+wmb+xchg_relaxed (verified before the stale-RMW patch), with a
/// non-value-returning RMW (`atomic_inc()`; likewise `set_bit()`, `kref_get()`). LKMM:
/// allowed (herd7: `Sometimes`, `exists (1:r0=1 /\ x=1)`).
pub const MP_ATOMIC_INC: Scenario = checker::scenario!(
    mp_atomic_inc,
    ["P0 x, wmb, y", "P1 y, atomic_inc(x)"],
    reachable(RMW_AFTER_FLAG_READS_LATEST),
    "loom calibration: message passing whose reader's atomic_inc(x) reads the stale 0 after seeing the flag: x ends 1"
)
.named("loom-MP+wmb+atomic_inc")
.expected_sc(Expected::Unreachable);

/// Right with and without the stale-RMW patch: the fully ordered `xchg()` (smp_mb() before
/// it: `fence(SeqCst)`) reads 1 once the flag is seen. LKMM: forbidden (herd7: `Never`).
pub const MP_XCHG: Scenario = checker::scenario!(
    mp_xchg_full,
    ["P0 x, wmb, y", "P1 y, xchg(x)"],
    unreachable,
    "loom calibration: as loom-MP+wmb+xchg_relaxed with the fully ordered xchg(): it reads 1 after seeing the flag"
)
.named("loom-MP+wmb+xchg")
.witnesses(&[RMW_AFTER_FLAG]);

/// Fails on loom 0.7.2 (verified): its try_lock never failed against a lock another thread
/// takes, unless other dependencies forced that order.
pub const MUTEX_TRYLOCK_VS_LOCK: Scenario = checker::scenario!(mutex_trylock_vs_lock, ["P0 trylock", "P1 lock/unlock"], reachable(TRYLOCK_NEVER_FAILS), "loom calibration: CPU0 mutex_trylock(L) against CPU1 mutex_lock(L); mutex_unlock(L): the trylock fails while CPU1 holds L")
.named("loom-mutex_trylock+lock");

/// Fails on loom 0.7.2 (verified), as the previous one, with a store in both critical
/// sections.
pub const MUTEX_TRYLOCK_VS_LOCK_STORE: Scenario = checker::scenario!(
    mutex_trylock_vs_lock_store,
    ["P0 trylock", "P1 lock/store/unlock"],
    reachable(TRYLOCK_NEVER_FAILS),
    "loom calibration: as loom-mutex_trylock+lock, with a WRITE_ONCE inside both critical sections"
)
.named("loom-mutex_trylock+lock-store");

/// Fails on loom 0.7.2 (verified): RwLock::try_read never failed against a writer.
pub const DOWN_READ_TRYLOCK_VS_DOWN_WRITE: Scenario = checker::scenario!(down_read_trylock_vs_down_write, ["P0 read trylock", "P1 down_write/up_write"], reachable(TRYLOCK_NEVER_FAILS), "loom calibration: CPU0 down_read_trylock(S) against CPU1 down_write(S); up_write(S): the trylock fails while CPU1 holds S")
.named("loom-down_read_trylock+down_write");

/// Fails on loom 0.7.2 (verified): RwLock::try_write never failed against a reader.
pub const DOWN_WRITE_TRYLOCK_VS_DOWN_READ: Scenario = checker::scenario!(down_write_trylock_vs_down_read, ["P0 write trylock", "P1 down_read/up_read"], reachable(TRYLOCK_NEVER_FAILS), "loom calibration: CPU0 down_write_trylock(S) against CPU1 down_read(S); up_read(S): the trylock fails while CPU1 holds S")
.named("loom-down_write_trylock+down_read");

/// Fails on loom 0.7.2 (verified): RwLock::try_write never failed against a writer.
pub const DOWN_WRITE_TRYLOCK_VS_DOWN_WRITE: Scenario = checker::scenario!(down_write_trylock_vs_down_write, ["P0 write trylock", "P1 down_write/up_write"], reachable(TRYLOCK_NEVER_FAILS), "loom calibration: CPU0 down_write_trylock(S) against CPU1 down_write(S); up_write(S): the trylock fails while CPU1 holds S")
.named("loom-down_write_trylock+down_write");

/// Right on loom 0.7.2 too: a reader's trylock never fails against another reader.
pub const DOWN_READ_TRYLOCK_VS_DOWN_READ: Scenario = checker::scenario!(down_read_trylock_vs_down_read, ["P0 read trylock", "P1 down_read/up_read"], unreachable, "loom calibration: CPU0 down_read_trylock(S) against CPU1 down_read(S); up_read(S): readers share S, the trylock never fails")
.named("loom-down_read_trylock+down_read")
.witnesses(&[READ_TRYLOCK_WHILE_READER_HOLDS]);

/// Right on loom 0.7.2 too (a condvar's wait and notify are dependent accesses).
pub const WAIT_EVENT_VS_WAKE_UP: Scenario = checker::scenario!(wait_event_vs_wake_up_after_store, ["P0 waiter", "P1 store/wake"], unreachable, "loom calibration: CPU0 wait_event(wq, done) against CPU1 done = 1; wake_up_all(wq): CPU0 always wakes")
.named("loom-wait_event+store-wake_up_all")
.witnesses(&[WAIT_EVENT_SEES_NOT_DONE]);

/// Right on loom 0.7.2 too: the wake-up before the store is lost when it runs between
/// CPU0's check of `done` and its sleep.
pub const WAIT_EVENT_VS_EARLY_WAKE_UP: Scenario = checker::scenario!(wait_event_vs_wake_up_before_store, ["P0 waiter", "P1 wake/store"], reachable(DEADLOCK), "loom calibration: CPU0 wait_event(wq, done) against CPU1 wake_up_all(wq); done = 1 (wake-up first): CPU0 may sleep forever")
.named("loom-wait_event+wake_up_all-store");

/// Right on loom 0.7.2 too (a compare_exchange, failing or not, is an RMW for its DPOR).
pub const KREF_GET_UNLESS_ZERO_VS_PUT: Scenario = checker::scenario!(get_unless_zero_vs_put, ["P0 get_unless_zero", "P1 put"], reachable(GET_UNLESS_ZERO_NEVER_FAILS), "loom calibration: CPU0 kref_get_unless_zero() against CPU1's final kref_put(): the cmpxchg loop reads 0 when the put ran first")
.named("loom-kref_get_unless_zero+kref_put");

/// Every scenario of this file.
pub const SCENARIOS: &[Scenario] = &[
    MUTEX_TRYLOCK_VS_LOCK,
    MUTEX_TRYLOCK_VS_LOCK_STORE,
    DOWN_READ_TRYLOCK_VS_DOWN_WRITE,
    DOWN_WRITE_TRYLOCK_VS_DOWN_READ,
    DOWN_WRITE_TRYLOCK_VS_DOWN_WRITE,
    DOWN_READ_TRYLOCK_VS_DOWN_READ,
    WAIT_EVENT_VS_WAKE_UP,
    WAIT_EVENT_VS_EARLY_WAKE_UP,
    KREF_GET_UNLESS_ZERO_VS_PUT,
    ATOMIC_INC_VS_ATOMIC_SET,
    MP_FAILED_CMPXCHG_RELAXED,
    MP_RMB_FAILED_CMPXCHG_RELAXED,
    MP_XCHG_RELAXED,
    MP_ATOMIC_INC,
    MP_XCHG,
];

/// Right with and without the stale-RMW patch (27 executions, verified): every store to the
/// head is an RMW (llist_add()'s try_cmpxchg() read the initial NULL), so the `AcqRel` xchg of
/// llist_del_all() (checker::kernel::llist maps the kernel's full barriers to `AcqRel`)
/// cannot read a value another RMW already read: a stale successful RMW is possible only
/// where plain stores write the location. Guards the patch against over-approximating.
pub const LLIST_MP: Scenario = checker::scenario!(
    llist_mp,
    ["P0 llist_add, flag", "P1 flag, llist_del_all"],
    unreachable,
    "loom calibration: CPU0 llist_add(node, head); WRITE_ONCE(flag, 1) against CPU1 READ_ONCE(flag); llist_del_all(head): once the flag is seen, the node is taken"
)
.named("loom-MP+llist_add+llist_del_all")
.witnesses(&[LLIST_FLAG_SEEN]);

struct Listed {
    node: LlistNode,
}

/// CPU0 `llist_add(&obj->llnode, &head); WRITE_ONCE(flag, 1)`; CPU1 `r0 = READ_ONCE(flag);
/// llist_del_all(&head)`.
fn llist_mp() {
    let head = Arc::new(LlistHead::new("list", "head"));
    let flag = vars(0);
    let node = kzalloc("node", |id, n| Listed {
        node: LlistNode::new(id, n, "llnode"),
    });
    let p0 = {
        let (head, flag, node) = (head.clone(), flag.clone(), node.clone());
        spawn_cpu(move || {
            llist_add(&node.node, &head); // llist_add(&obj->llnode, &head);
            WRITE_ONCE(&flag.y, 1); // WRITE_ONCE(flag, 1);
        })
    };
    let p1 = {
        let (head, flag) = (head.clone(), flag.clone());
        spawn_cpu(move || {
            let r0 = READ_ONCE(&flag.y); // r0 = READ_ONCE(flag);
            let got = llist_del_all::<Listed>(&head, |l| &l.node); // batch = llist_del_all(&head);
            witness_if(r0 == 1, &LLIST_FLAG_SEEN);
            check(
                r0 == 0 || got.len() == 1,
                &LLIST_DEL_ALL_AFTER_FLAG_TAKES_NODE,
                || {
                    format!("READ_ONCE(flag) = {r0}, then llist_del_all() took {} nodes (the list read empty: stale)", got.len())
                },
            );
        })
    };
    join(p0);
    join(p1);
    kfree(&node);
    kfree(&flag);
}
