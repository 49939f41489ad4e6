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
