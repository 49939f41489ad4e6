//! Replay fidelity: every execution that shuttle's random and PCT schedulers run replays, by
//! its recorded event order, to the same events (`checker::explore::replay_fidelity`).
//!
//! A primitive that changes ghost state between two of its scheduling points shows other
//! CPUs a state no event names. Such an execution's trace does not replay (the replay follows
//! events), and the dpor explorer, which does not preempt inside a primitive, cannot reach it.
//! The calibration is the trace that found it: `dma_fence_rcu/snippet_kfree_rcu` under
//! `--explorer random` (seed 0) saved a `call_rcu()` that saw "no reader" while the reader's
//! `rcu_read_unlock()` was still to come (it left its section before its reader lock's
//! release), and its replay diverged at step 50.

#![cfg(not(loom))]

use checker::explore::{replay_fidelity, run, Explorer};
use checker::replay::{replay, ReplayVerdict};

fn scenario(model: &str, name: &str) -> &'static checker::scenario::Scenario {
    kmodel::registry::all()
        .into_iter()
        .find(|s| s.model == model && s.name == name)
        .expect("scenario")
}

#[test]
fn random_trace_of_snippet_kfree_rcu_replays() {
    let s = scenario("dma_fence_rcu", "snippet_kfree_rcu");
    let o = run(
        s,
        Explorer::Random {
            iterations: 10_000,
            seed: 0,
        },
    );
    let trace = o.trace().expect("random finds the counterexample");
    let r = replay(s, &trace).expect("replays");
    assert!(
        matches!(r.verdict, ReplayVerdict::Reproduced(_)),
        "{:?}",
        r.verdict
    );
}

/// The RCU litmus shapes, many runs each: the primitives with grace-period bookkeeping.
#[test]
fn rcu_executions_replay_step_for_step() {
    for name in [
        "RCU+call_rcu+read",
        "RCU+sync+read",
        "RCU+readers+call_rcu",
        "MP+polockonce+poacquiresilsil",
    ] {
        let s = scenario("litmus", name);
        let n = replay_fidelity(s, 150, 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 300);
    }
}

/// Every scenario of every model, a few runs each (about a minute in a debug build).
#[test]
fn every_scenario_replays_step_for_step() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for s in kmodel::registry::all() {
        match replay_fidelity(s, 6, 1) {
            Ok(n) => runs += n,
            Err(e) => failures.push(e),
        }
    }
    println!("{runs} executions replayed step for step");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The ghost clock's reading is a scheduling point under shuttle as under loom
/// (checker/src/kernel/clock.rs), so a counterexample that loom finds with a CPU preempted
/// just before its reading replays under shuttle. `litmus/probe-ghost-clock-window` as loom
/// found it (its trace's steps, with `replay: shuttle`): CPU0 loads y (step 7), CPU1 locks,
/// stores x, stamps its update and unlocks, and only then does CPU0 take its start stamp
/// (step 13). When the reading was not a scheduling point under shuttle, CPU0's reading ran
/// in the step of its load of y, before CPU1's stamp: the replay departed at step 8 (CPU0's
/// `ghost_now clock = 0` where CPU1's `spin_lock` was recorded) and ran without the
/// violation, so the trace needed loom (`replay: loom`, from its checkpoint).
#[test]
fn loom_trace_of_the_clock_window_replays_under_shuttle() {
    let s = scenario("litmus", "probe-ghost-clock-window");
    let mut trace = checker::trace::Trace::parse(CLOCK_WINDOW_LOOM_TRACE).expect("a trace");
    let r = replay(s, &trace).expect("replays");
    assert!(
        matches!(r.verdict, ReplayVerdict::Reproduced(_)),
        "{:?}",
        r.verdict
    );
    // And `kmodel check` saves it as a shuttle trace (with a checkpoint, a trace that shuttle
    // does not reproduce is saved as a loom trace).
    trace.replay = checker::trace::ReplayMode::Loom;
    trace.loom_checkpoint = Some("{}".to_string());
    checker::replay::settle_replay_mode(s, &mut trace);
    assert_eq!(trace.replay, checker::trace::ReplayMode::Shuttle);
}

const CLOCK_WINDOW_LOOM_TRACE: &str = "\
kmodel-trace 1
model: litmus
scenario: probe-ghost-clock-window
summary: calibration: a stamp of CPU1's update falls inside CPU0's ghost-clock window only in an order of two independent steps
expected: reachable READ_IN_WINDOW
explorer: loom preemption_bound=none
loom: 0.7.2
shuttle: 0.9.9
fingerprint: 9ec5c9bc73130051
cpus: CPU0=P0_reader CPU1=P1_writer
violation: READ_IN_WINDOW
violation-tid: 1
violation-step: 16
message: returned x = 0 over clock 1..1, but x's history is [(0, 0), (1, 1)]
replay: shuttle
steps: 16
---
1\tmain\t0\tkzalloc\tobj#1\tok
2\tmain\t0\tspawn\tCPU0\t
3\tmain\t0\tspawn\tCPU1\t
4\tCPU0\t0\tspin_lock\tobj#1.lock\t
5\tCPU0\t0\tREAD_ONCE\tobj#1.x\t0
6\tCPU0\t0\tspin_unlock\tobj#1.lock\t
7\tCPU0\t0\tREAD_ONCE\tobj#1.y\t0
8\tCPU1\t0\tspin_lock\tobj#1.lock\t
9\tCPU1\t0\tWRITE_ONCE\tobj#1.x\t1
10\tCPU1\t0\tghost_stamp\tclock\t1
11\tCPU1\t0\tspin_unlock\tobj#1.lock\t
12\tmain\t0\tjoin\tCPU1\t
13\tCPU0\t0\tghost_now\tclock\t1
14\tCPU0\t0\tREAD_ONCE\tobj#1.y\t0
15\tCPU0\t0\tghost_now\tclock\t1
16\tCPU0\t0\tVIOLATION\tREAD_IN_WINDOW\treturned x = 0 over clock 1..1, but x's history is [(0, 0), (1, 1)]
--- end
";
