//! Wait queues (`checker::kernel::wait`) against include/linux/wait.h semantics: a correct
//! handshake never loses a wake-up, a waker that wakes before it sets the condition does,
//! and that shows as a DEADLOCK naming the sleeping CPU and its wait queue; the condition is
//! re-checked after every wake-up. Under loom (the loom suite) every scenario is explored to
//! completion. In `cargo test`, shuttle's DFS (sequentially consistent, no partial-order
//! reduction) explores `set_then_wake` to completion (1 128 executions) and finds the other
//! ones' counterexamples; `wake_set_wake` would take DFS 75 531 executions (about 20 s in a
//! debug build), so there it gets 2 000 PCT runs instead, and loom verifies it (1 221
//! executions).

use checker::explore::{run, Explorer};
use checker::invariant::{Invariant, DEADLOCK};
use checker::kernel::{kfree, kzalloc, wait_event, wake_up_all, AtomicT, Obj, WaitQueueHead};
use checker::kernel::{READ_ONCE, WRITE_ONCE};
use checker::scenario::{check, join, spawn_cpu, Expected, Scenario};

/// Reached when the waiter evaluates its condition false after a wake-up, that is, when
/// `wait_event()` went round its loop again instead of returning.
const WOKEN_WHILE_FALSE: Invariant = Invariant::new(
    "WOKEN_WHILE_FALSE",
    "(a witness, not a rule) no wake-up reaches the waiter while its condition is false",
);

/// The waiter returns from `wait_event()` only once its condition holds.
const CONDITION_HOLDS: Invariant = Invariant::new(
    "CONDITION_HOLDS",
    "wait_event(wq, cond) returns only once cond is true",
);

struct Event {
    done: AtomicT,
    wq: WaitQueueHead,
}

fn event() -> Obj<Event> {
    kzalloc("event", |_, n| Event {
        done: AtomicT::new(n, "done", 0),
        wq: WaitQueueHead::new(n, "wq"),
    })
}

/// How the waker signals.
#[derive(Clone, Copy)]
enum Waker {
    /// `WRITE_ONCE(done, 1); wake_up_all(wq);`: the kernel's order.
    SetThenWake,
    /// `wake_up_all(wq); WRITE_ONCE(done, 1);`: a wake-up that can come too early.
    WakeThenSet,
    /// `wake_up_all(wq); WRITE_ONCE(done, 1); wake_up_all(wq);`: a first wake-up while the
    /// condition is still false.
    WakeSetWake,
}

/// `witness`: report [`WOKEN_WHILE_FALSE`] when the condition is false on its third
/// evaluation or later (the first is `wait_event()`'s fast path, the second follows the
/// first `prepare_to_wait_event()`; any later one follows a wake-up).
fn handshake(waker: Waker, witness: bool) {
    let e = event();
    let w = e.clone();
    let waiter = spawn_cpu(move || {
        let mut evaluations = 0;
        wait_event(&w.wq, || {
            evaluations += 1;
            let holds = READ_ONCE(&w.done) == 1;
            if witness && evaluations >= 3 && !holds {
                check(false, &WOKEN_WHILE_FALSE, || {
                    format!("condition false on evaluation {evaluations}")
                });
            }
            holds
        });
        let done = READ_ONCE(&w.done);
        check(done == 1, &CONDITION_HOLDS, || {
            format!("wait_event() returned with done == {done}")
        });
    });
    let s = e.clone();
    let waking = spawn_cpu(move || match waker {
        Waker::SetThenWake => {
            WRITE_ONCE(&s.done, 1);
            wake_up_all(&s.wq);
        }
        Waker::WakeThenSet => {
            wake_up_all(&s.wq);
            WRITE_ONCE(&s.done, 1);
        }
        Waker::WakeSetWake => {
            wake_up_all(&s.wq);
            WRITE_ONCE(&s.done, 1);
            wake_up_all(&s.wq);
        }
    });
    join(waiter);
    join(waking);
    kfree(&e);
}

const SOURCES: &[&str] = &[include_str!("wait.rs")];

static SET_THEN_WAKE: Scenario = Scenario::new(
    "wait",
    "set_then_wake",
    "the waker sets the condition, then wake_up_all()",
    &["waiter", "waker"],
    Expected::Unreachable,
    SOURCES,
    || handshake(Waker::SetThenWake, false),
);

static WAKE_THEN_SET: Scenario = Scenario::new(
    "wait",
    "wake_then_set",
    "the waker calls wake_up_all() before it sets the condition: a lost wake-up",
    &["waiter", "waker"],
    Expected::Reachable(DEADLOCK),
    SOURCES,
    || handshake(Waker::WakeThenSet, false),
);

static WAKE_SET_WAKE: Scenario = Scenario::new(
    "wait",
    "wake_set_wake",
    "a first wake-up while the condition is false, then set and wake again",
    &["waiter", "waker"],
    Expected::Unreachable,
    SOURCES,
    || handshake(Waker::WakeSetWake, false),
);

static WAKE_SET_WAKE_WITNESS: Scenario = Scenario::new(
    "wait",
    "wake_set_wake_witness",
    "as wake_set_wake, showing the waiter woken while the condition is false",
    &["waiter", "waker"],
    Expected::Reachable(WOKEN_WHILE_FALSE),
    SOURCES,
    || handshake(Waker::WakeSetWake, true),
);

/// The exhaustive explorer of this build.
fn explorer() -> Explorer {
    if cfg!(loom) {
        Explorer::Loom {
            preemption_bound: None,
        }
    } else {
        Explorer::Dfs {
            max_iterations: None,
        }
    }
}

/// loom, or 2 000 PCT runs where shuttle's DFS would take too long.
fn explorer_or_pct() -> Explorer {
    if cfg!(loom) {
        explorer()
    } else {
        Explorer::Pct {
            iterations: 2000,
            depth: 3,
            seed: 0,
        }
    }
}

#[test]
fn correct_handshake_is_verified() {
    let o = run(&SET_THEN_WAKE, explorer());
    assert!(o.found.is_none(), "{:?}", o.found);
    assert!(o.complete, "exploration not complete");
    assert!(o.as_expected());
    let o = run(&WAKE_SET_WAKE, explorer_or_pct());
    assert!(o.found.is_none(), "{:?}", o.found);
    assert_eq!(o.complete, cfg!(loom));
    assert!(o.as_expected());
}

#[test]
fn lost_wake_up_is_a_deadlock_naming_the_sleeper() {
    let o = run(&WAKE_THEN_SET, explorer());
    let f = o.found.as_ref().expect("the lost wake-up is found");
    assert_eq!(f.violation.invariant, "DEADLOCK");
    assert!(
        f.violation
            .message
            .starts_with("CPU0 sleeps in wait_event(event#1.wq) holding []"),
        "{}",
        f.violation.message
    );
    assert!(o.as_expected());
    // The waiter queued itself after the only wake-up and found the condition still false.
    let ops: Vec<(usize, &str)> = f.events.iter().map(|e| (e.tid, e.op.as_str())).collect();
    let woke = ops
        .iter()
        .position(|&(t, op)| t == 2 && op == "wake_up_all");
    let queued = ops
        .iter()
        .rposition(|&(t, op)| t == 1 && op == "prepare_to_wait_event");
    assert!(woke < queued && woke.is_some(), "{ops:?}");
}

#[test]
fn condition_is_rechecked_after_a_wake_up() {
    // Some execution wakes the waiter while the condition is still false (the witness is
    // reachable), and in none does wait_event() return with the condition false
    // (wake_set_wake is verified by `correct_handshake_is_verified`).
    let o = run(&WAKE_SET_WAKE_WITNESS, explorer_or_pct());
    let f = o
        .found
        .as_ref()
        .expect("a wake-up while the condition is false");
    assert_eq!(f.violation.invariant, "WOKEN_WHILE_FALSE");
    let schedules = f
        .events
        .iter()
        .filter(|e| e.op == "schedule" && e.tid == 1)
        .count();
    assert!(schedules >= 1, "the waiter slept before: {:?}", f.events);
    assert!(o.also_reached.is_empty(), "{:?}", o.also_reached);
}
