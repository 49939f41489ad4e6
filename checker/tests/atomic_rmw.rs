//! The conditional and unconditional RMWs, trylock and spin_is_locked: their sequential
//! results against the kernel's documented semantics (Documentation/atomic_t.txt), in every
//! ordering variant. Their memory ordering is calibrated by the LKMM litmus suite
//! (models/litmus, tests/herd7_calibration.rs).
#![cfg(not(loom))]

use std::sync::{Arc, Mutex};

use checker::explore::execute_once;
use checker::kernel::*;

/// Run `body` once (outside any race) and return what it pushed.
fn results(body: impl Fn(&dyn Fn(isize)) + Send + Sync + 'static) -> Vec<isize> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    let r = execute_once(move || {
        o.lock().unwrap().clear();
        let o = o.clone();
        body(&move |v| o.lock().unwrap().push(v));
    });
    assert!(r.is_ok(), "{:?}", r.err().map(|e| e.0));
    let v = out.lock().unwrap().clone();
    v
}

#[test]
fn cmpxchg_returns_the_old_value_and_stores_only_on_a_match() {
    for ord in [
        RmwOrder::Full,
        RmwOrder::Relaxed,
        RmwOrder::Acquire,
        RmwOrder::Release,
    ] {
        let r = results(move |push| {
            let v = kzalloc("v", |_, n| AtomicT::new(n, "c", 5));
            push(atomic_cmpxchg(&v, 4, 9, ord)); // fails: 5
            push(atomic_read(&v)); // unchanged: 5
            push(atomic_cmpxchg(&v, 5, 9, ord)); // succeeds: 5
            push(atomic_read(&v)); // 9
            kfree(&v);
        });
        assert_eq!(r, vec![5, 5, 5, 9], "{ord:?}");
    }
    let r = results(|push| {
        let v = kzalloc("v", |_, n| AtomicT::new(n, "c", 0));
        push(cmpxchg(&v, 0, 1));
        push(cmpxchg_relaxed(&v, 0, 2));
        push(cmpxchg_acquire(&v, 1, 3));
        push(cmpxchg_release(&v, 3, 4));
        push(READ_ONCE(&v));
        kfree(&v);
    });
    assert_eq!(r, vec![0, 1, 1, 3, 4]);
}

#[test]
fn atomic_dec_variants_and_acquire_release_accessors() {
    let r = results(|push| {
        let v = kzalloc("v", |_, n| AtomicT::new(n, "c", 3));
        atomic_dec(&v); // 2
        push(atomic_dec_return(&v)); // 1
        push(atomic_dec_and_test(&v) as isize); // 0: true
        push(atomic_read_acquire(&v)); // 0
        atomic_set_release(&v, 1);
        push(atomic_dec_and_test(&v) as isize); // 0: true
        atomic_set(&v, 2);
        push(atomic_dec_and_test(&v) as isize); // 1: false
        kfree(&v);
    });
    assert_eq!(r, vec![1, 1, 0, 1, 0]);
}

#[test]
fn xchg_always_stores() {
    let r = results(|push| {
        let v = kzalloc("v", |_, n| AtomicT::new(n, "c", 1));
        push(xchg(&v, 2));
        push(xchg_order(&v, 3, RmwOrder::Relaxed));
        push(xchg_order(&v, 4, RmwOrder::Acquire));
        push(xchg_order(&v, 5, RmwOrder::Release));
        push(READ_ONCE(&v));
        kfree(&v);
    });
    assert_eq!(r, vec![1, 2, 3, 4, 5]);
}

#[test]
fn atomic_add_unless_adds_unless_the_value_is_u() {
    let r = results(|push| {
        let v = kzalloc("v", |_, n| AtomicT::new(n, "c", 0));
        push(atomic_inc_not_zero(&v).into()); // 0: not added
        push(atomic_read(&v));
        atomic_set(&v, 2);
        push(atomic_inc_not_zero(&v).into()); // 2 -> 3
        push(atomic_add_unless(&v, 5, 3).into()); // 3 == u: not added
        push(atomic_add_unless(&v, 5, 0).into()); // 3 -> 8
        push(atomic_read(&v));
        kfree(&v);
    });
    assert_eq!(r, vec![0, 0, 1, 0, 1, 8]);
}

#[test]
fn spin_trylock_and_spin_is_locked() {
    let r = results(|push| {
        let l = kzalloc("obj", |id, n| SpinLock::new_observable(id, n, "lock"));
        push(spin_is_locked(&l).into());
        let g = spin_trylock(&l).expect("free");
        push(spin_is_locked(&l).into());
        smp_mb__after_spinlock();
        smp_mb__after_unlock_lock();
        smp_mb__before_atomic();
        smp_mb__after_atomic();
        spin_unlock(g);
        push(spin_is_locked(&l).into());
        let g = spin_lock(&l);
        push(spin_trylock(&l).is_some().into()); // held by this CPU: trylock fails
        spin_unlock(g);
        kfree(&l);
    });
    assert_eq!(r, vec![0, 1, 0, 0]);
}
