//! A violation stamped with ghost time replays identically (issue 14). A CPU that reads
//! `ghost_now()` before its first scheduling point reads the time at which it was first
//! scheduled, which no other step records; a replay, which runs a CPU when its next recorded
//! step is due, used to start it later, read a later time and write another message: exit 2,
//! "the model changed". `ghost_now()` now records that first reading as a step, and the
//! replay runs the CPU there.
#![cfg(not(loom))]

use std::sync::Arc;

use checker::explore::{run, Explorer};
use checker::invariant::Invariant;
use checker::kernel::*;
use checker::replay::{replay, ReplayVerdict};
use checker::scenario::{check, join, spawn_cpu, Expected, Scenario};

const SAW_WRITE: Invariant = Invariant::new(
    "SAW_WRITE",
    "the reader reads x before the writer increments it",
);

/// CPU0 stamps its start with the ghost clock before its first scheduling point, then reads
/// `x`; CPU1 increments `x` twice. The violation message carries the stamp.
fn stamped_read() {
    let x = Arc::new(AtomicT::new("x", "v", 0));
    let reader = {
        let x = x.clone();
        spawn_cpu(move || {
            let start = ghost_now();
            let v = atomic_read(&x);
            check(v == 0, &SAW_WRITE, || {
                format!("CPU0 read x = {v}; its clock read step {start} when it started")
            });
        })
    };
    let writer = {
        let x = x.clone();
        spawn_cpu(move || {
            atomic_inc(&x);
            atomic_inc(&x);
        })
    };
    join(reader);
    join(writer);
}

static STAMPED_READ: Scenario = Scenario::new(
    "test",
    "stamped_read",
    "a reader stamps its start with ghost time before its first scheduling point",
    &["reader", "writer"],
    Expected::Reachable(SAW_WRITE),
    &[include_str!("ghost_time.rs")],
    stamped_read,
);

#[test]
fn a_violation_stamped_before_the_first_scheduling_point_replays_identically() {
    let mut found = 0;
    let mut started_early = 0;
    for seed in 0..60 {
        let o = run(
            &STAMPED_READ,
            Explorer::Random {
                iterations: 50,
                seed,
            },
        );
        let Some(t) = o.trace() else { continue };
        found += 1;
        // The reader's clock reading is a step of its own, CPU0's first.
        let first = t.events.iter().position(|e| e.tid == 1).unwrap();
        assert_eq!(t.events[first].op, "ghost_now", "{:?}", t.events);
        let read = t.events.iter().position(|e| e.op == "atomic_read").unwrap();
        if read > first + 1 {
            // CPU0 started, read the clock, and was preempted before its read: the case
            // a replay used to get wrong.
            started_early += 1;
        }
        for _ in 0..3 {
            let r = replay(&STAMPED_READ, &t).unwrap();
            assert_eq!(
                r.verdict,
                ReplayVerdict::Reproduced(t.violation.clone()),
                "seed {seed}"
            );
            assert_eq!(r.events, t.events, "seed {seed}");
        }
    }
    assert!(found >= 20, "only {found} counterexamples");
    assert!(
        started_early > 0,
        "no counterexample with the reader preempted between its clock reading and its read"
    );
    println!("{found} counterexamples, {started_early} with the reader started early: all replay identically");
}
