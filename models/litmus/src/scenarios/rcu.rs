//! RCU calibration: the orderings the LKMM gives RCU (tools/memory-model/linux-kernel.cat,
//! tools/memory-model/Documentation/explanation.txt "RCU RELATIONS", v6.8), checked against
//! `checker::kernel::rcu`. `rcu_read_lock()`/`rcu_read_unlock()` are no fences;
//! `synchronize_rcu()` is a strong fence (`gp` in linux-kernel.cat); a grace period (and so a
//! `call_rcu()` callback) ends after every read-side section that began before it.

use checker::kernel::{
    call_rcu, kfree, kzalloc, rcu_read_lock, rcu_read_unlock, smp_mb, synchronize_rcu, AtomicT,
    Obj, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{check, join, spawn_cpu};

use crate::invariants::*;

pub(crate) struct Vars {
    x: AtomicT,
    y: AtomicT,
    z: AtomicT,
}

fn vars() -> Obj<Vars> {
    kzalloc("vars", |_, n| Vars {
        x: AtomicT::new(n, "x", 0),
        y: AtomicT::new(n, "y", 0),
        z: AtomicT::new(n, "z", 0),
    })
}

/// SB with a grace period or a read-side section on P0's side and `smp_mb()` on P1's.
pub(crate) fn sb_rcu(sync: bool) {
    let v = vars();
    let results = std::sync::Arc::new(std::sync::Mutex::new([None, None]));
    let p0 = {
        let (v, results) = (v.clone(), results.clone());
        spawn_cpu(move || {
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
            let r0 = if sync {
                synchronize_rcu(); // synchronize_rcu();
                READ_ONCE(&v.y) // r0 = READ_ONCE(*y);
            } else {
                rcu_read_lock(); // rcu_read_lock();
                let r0 = READ_ONCE(&v.y); // r0 = READ_ONCE(*y);
                rcu_read_unlock(); // rcu_read_unlock();
                r0
            };
            results.lock().unwrap()[0] = Some(r0);
        })
    };
    let p1 = {
        let (v, results) = (v.clone(), results.clone());
        spawn_cpu(move || {
            WRITE_ONCE(&v.y, 1); // WRITE_ONCE(*y, 1);
            smp_mb(); // smp_mb();
            let r0 = READ_ONCE(&v.x); // r0 = READ_ONCE(*x);
            results.lock().unwrap()[1] = Some(r0);
        })
    };
    join(p0);
    join(p1);
    let r = *results.lock().unwrap();
    check(r != [Some(0), Some(0)], &SB_NOT_BOTH_ZERO, || {
        format!("P0 read y={:?}, P1 read x={:?}", r[0], r[1])
    });
    kfree(&v);
}

pub(crate) fn sb_sync_mb() {
    sb_rcu(true)
}

pub(crate) fn sb_rcu_read_lock_mb() {
    sb_rcu(false)
}

/// RCU+sync+read with `call_rcu()`: the read after the grace period is the callback's.
pub(crate) fn rcu_callback_read() {
    let v = vars();
    let p0 = {
        let v = v.clone();
        spawn_cpu(move || {
            rcu_read_lock(); // rcu_read_lock();
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
            WRITE_ONCE(&v.y, 1); // WRITE_ONCE(*y, 1);
            rcu_read_unlock(); // rcu_read_unlock();
        })
    };
    let p1 = {
        let v = v.clone();
        spawn_cpu(move || {
            let r0 = READ_ONCE(&v.x); // r0 = READ_ONCE(*x);
            let v = v.clone();
            call_rcu("vars#1.rcu", move || {
                let r1 = READ_ONCE(&v.y); // callback: r1 = READ_ONCE(*y);
                check(!(r0 == 1 && r1 == 0), &RCU_CALLBACK_SEES_READER, || {
                    format!("P1 read x={r0} before call_rcu(); its callback read y={r1}")
                });
            });
        })
    };
    join(p0);
    join(p1);
    kfree(&v);
}

/// Two readers inside when the updater calls `call_rcu()` (P2 saw P0's and P1's first store);
/// the callback stores x and y. Neither reader's later load may see the callback's store.
/// Two readers, so that the callback may run on either's `rcu_read_unlock()`.
pub(crate) fn rcu_callback_after_reader_loads() {
    let v = vars();
    let reader = |mark: fn(&Vars) -> &AtomicT, name: &'static str| {
        let v = v.clone();
        spawn_cpu(move || {
            rcu_read_lock(); // rcu_read_lock();
            WRITE_ONCE(mark(&v), 1); // WRITE_ONCE(*a, 1);  (I am inside)
            let r0 = READ_ONCE(&v.z); // r0 = READ_ONCE(*z);
            rcu_read_unlock(); // rcu_read_unlock();
            check(r0 == 0, &RCU_READER_BEFORE_CALLBACK, || {
                format!("{name} read z={r0} inside a section that had begun before call_rcu()")
            });
        })
    };
    let p0 = reader(|v| &v.x, "P0");
    let p1 = reader(|v| &v.y, "P1");
    let p2 = {
        let v = v.clone();
        spawn_cpu(move || {
            let a = READ_ONCE(&v.x); // r1 = READ_ONCE(*a);
            let b = READ_ONCE(&v.y); // r2 = READ_ONCE(*b);
            if a == 1 && b == 1 {
                let v = v.clone();
                call_rcu("vars#1.rcu", move || {
                    WRITE_ONCE(&v.z, 1); // callback: WRITE_ONCE(*z, 1);
                });
            }
        })
    };
    join(p0);
    join(p1);
    join(p2);
    kfree(&v);
}

/// MP between two read-side sections: nothing orders readers among themselves.
pub(crate) fn mp_readers() {
    let v = vars();
    let p0 = {
        let v = v.clone();
        spawn_cpu(move || {
            rcu_read_lock(); // rcu_read_lock();
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
            WRITE_ONCE(&v.y, 1); // WRITE_ONCE(*y, 1);
            rcu_read_unlock(); // rcu_read_unlock();
        })
    };
    let p1 = {
        let v = v.clone();
        spawn_cpu(move || {
            rcu_read_lock(); // rcu_read_lock();
            let r0 = READ_ONCE(&v.y); // r0 = READ_ONCE(*y);
            rcu_read_unlock(); // rcu_read_unlock();
            rcu_read_lock(); // rcu_read_lock();
            let r1 = READ_ONCE(&v.x); // r1 = READ_ONCE(*x);
            rcu_read_unlock(); // rcu_read_unlock();
            check(!(r0 == 1 && r1 == 0), &MP_FLAG_IMPLIES_DATA, || {
                format!("P1 read y={r0} then x={r1}")
            });
        })
    };
    join(p0);
    join(p1);
    kfree(&v);
}
