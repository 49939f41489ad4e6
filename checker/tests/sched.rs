//! Atomic-context tracking (`checker::kernel::sched`, issue 15 item 2): `might_sleep()` from a
//! GFP_KERNEL allocation, `mutex_lock()` or `down_write()` under a spinlock or inside
//! `rcu_read_lock()` is SLEEP_IN_ATOMIC, as CONFIG_DEBUG_ATOMIC_SLEEP reports it; the same
//! calls outside, and GFP_ATOMIC inside, are not. Each body is one CPU: a single execution.
//! Explored to completion by shuttle's DFS here and by loom in the loom suite.

use checker::explore::{run, Explorer, Outcome};
use checker::invariant::Invariant;
use checker::kernel::sched::SLEEP_IN_ATOMIC;
use checker::kernel::{
    down_write, in_atomic, kfree, kmalloc, kzalloc, mutex_lock, mutex_unlock, rcu_read_lock,
    rcu_read_unlock, spin_lock, spin_unlock, up_write, Gfp, KMutex, Obj, RwSemaphore, SpinLock,
};
use checker::scenario::{check, Expected, Scenario};

const SRC: &[&str] = &[include_str!("sched.rs")];

/// What the test bodies assert about `in_atomic()` itself.
const IN_ATOMIC_TRACKS: Invariant = Invariant::new(
    "IN_ATOMIC_TRACKS",
    "in_atomic() is true exactly inside spin_lock()..spin_unlock() and rcu_read_lock()..rcu_read_unlock()",
);

struct Locks {
    spin: SpinLock,
    mutex: KMutex,
    sem: RwSemaphore,
}

fn locks() -> Obj<Locks> {
    kzalloc("vm", |id, n| Locks {
        spin: SpinLock::new(id, n, "lock"),
        mutex: KMutex::new(id, n, "mutex"),
        sem: RwSemaphore::new(id, n, "sem"),
    })
}

fn gfp_kernel_under_spinlock() {
    let l = locks();
    let g = spin_lock(&l.spin);
    let o = kmalloc("node", Gfp::Kernel, |_, _| ()); // kzalloc(..., GFP_KERNEL) under spin_lock
    spin_unlock(g);
    kfree(&o);
    kfree(&l);
}

fn gfp_atomic_under_spinlock_and_sleeping_calls_outside() {
    let l = locks();
    check(!in_atomic(), &IN_ATOMIC_TRACKS, || {
        "in_atomic() before any lock".into()
    });
    let g = spin_lock(&l.spin);
    check(in_atomic(), &IN_ATOMIC_TRACKS, || {
        "!in_atomic() under spin_lock".into()
    });
    let o = kmalloc("node", Gfp::Atomic, |_, _| ()); // GFP_ATOMIC: legal
    spin_unlock(g);
    check(!in_atomic(), &IN_ATOMIC_TRACKS, || {
        "in_atomic() after spin_unlock".into()
    });
    let m = mutex_lock(&l.mutex); // sleeping lock outside atomic context: legal
    let g = spin_lock(&l.spin); // a spinlock inside a mutex: legal
    spin_unlock(g);
    mutex_unlock(m);
    let w = down_write(&l.sem);
    up_write(w);
    kfree(&o);
    kfree(&l);
}

fn mutex_in_rcu_read_section() {
    let l = locks();
    rcu_read_lock();
    check(in_atomic(), &IN_ATOMIC_TRACKS, || {
        "!in_atomic() inside rcu_read_lock".into()
    });
    let m = mutex_lock(&l.mutex); // sleeping inside an RCU read-side section
    mutex_unlock(m);
    rcu_read_unlock();
    kfree(&l);
}

fn down_write_under_spinlock() {
    let l = locks();
    let g = spin_lock(&l.spin);
    let w = down_write(&l.sem);
    up_write(w);
    spin_unlock(g);
    kfree(&l);
}

const GFP_KERNEL_UNDER_SPINLOCK: Scenario = Scenario::new(
    "test",
    "gfp_kernel_under_spinlock",
    "",
    &["cpu"],
    Expected::Reachable(SLEEP_IN_ATOMIC),
    SRC,
    gfp_kernel_under_spinlock,
);
const LEGAL: Scenario = Scenario::new(
    "test",
    "gfp_atomic_under_spinlock_and_sleeping_calls_outside",
    "",
    &["cpu"],
    Expected::Unreachable,
    SRC,
    gfp_atomic_under_spinlock_and_sleeping_calls_outside,
);
const MUTEX_IN_RCU: Scenario = Scenario::new(
    "test",
    "mutex_in_rcu_read_section",
    "",
    &["cpu"],
    Expected::Reachable(SLEEP_IN_ATOMIC),
    SRC,
    mutex_in_rcu_read_section,
);
const DOWN_WRITE_UNDER_SPINLOCK: Scenario = Scenario::new(
    "test",
    "down_write_under_spinlock",
    "",
    &["cpu"],
    Expected::Reachable(SLEEP_IN_ATOMIC),
    SRC,
    down_write_under_spinlock,
);

fn exhaustive(s: &'static Scenario) -> Outcome {
    let e = if cfg!(loom) {
        Explorer::Loom {
            preemption_bound: None,
        }
    } else {
        Explorer::Dfs {
            max_iterations: None,
        }
    };
    run(s, e)
}

#[test]
fn gfp_kernel_under_a_spinlock_is_sleep_in_atomic() {
    let o = exhaustive(&GFP_KERNEL_UNDER_SPINLOCK);
    assert!(o.as_expected(), "{:?}", o.mismatch());
    let m = &o
        .found
        .as_ref()
        .expect("a counterexample")
        .violation
        .message;
    assert!(
        m.starts_with(
            "BUG: sleeping function called from invalid context: kzalloc(node, GFP_KERNEL)"
        ) && m.contains("spin_lock(vm#1.lock)"),
        "{m}"
    );
}

#[test]
fn gfp_atomic_inside_and_sleeping_calls_outside_are_legal() {
    let o = exhaustive(&LEGAL);
    assert!(
        o.complete && o.as_expected(),
        "{}: {:?}",
        o.verdict(),
        o.mismatch()
    );
}

#[test]
fn a_mutex_inside_rcu_read_lock_is_sleep_in_atomic() {
    let o = exhaustive(&MUTEX_IN_RCU);
    assert!(o.as_expected(), "{:?}", o.mismatch());
    let m = &o
        .found
        .as_ref()
        .expect("a counterexample")
        .violation
        .message;
    assert!(
        m.contains("mutex_lock(vm#1.mutex)") && m.contains("rcu_read_lock()"),
        "{m}"
    );
}

#[test]
fn down_write_under_a_spinlock_is_sleep_in_atomic() {
    let o = exhaustive(&DOWN_WRITE_UNDER_SPINLOCK);
    assert!(o.as_expected(), "{:?}", o.mismatch());
}
