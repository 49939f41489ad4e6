//! The DFS gate (docs/architecture.md, "The DFS gate"): an independent check of every loom
//! "verified" that shuttle's DFS can decide.
//!
//! DFS is sequentially consistent and has no partial-order reduction: it enumerates every
//! runnable choice at every step, so nothing it shares with loom's DPOR (dependence, vector
//! clocks, backtrack points) can hide an interleaving from it. Every scenario declares a DFS
//! budget (`Bounds::dfs_iterations`, default `Bounds::DFS_GATE_DEFAULT`). This test runs DFS
//! up to it on every scenario and fails when
//! - DFS reaches a violation that the scenario's SC expectation does not name, or that loom's
//!   expectation says is unreachable (an SC execution is an execution loom must explore);
//! - DFS exhausts the scenario without reaching the violation the SC expectation names.
//!
//! The loom suite (tests/scenarios.rs under `--cfg loom`) asserts that loom agrees with the
//! same declared expectations, so a violation DFS reaches and loom does not fails one of the
//! two. A scenario DFS cannot exhaust within its budget and where it reaches nothing is not
//! decided by the gate: it is listed as such, and the count of decided scenarios printed.

#![cfg(not(loom))]

use std::time::Instant;

use checker::explore::{run, Explorer};
use checker::scenario::{Expected, Scenario};

/// What the gate concluded for one scenario.
enum Gate {
    /// DFS exhausted it, or reached the expected violation: agrees.
    Decided { found: bool },
    /// Beyond its budget with nothing found: not decided here.
    Beyond,
    /// `dfs_iterations: None`.
    NotGated,
    /// A disagreement (the message).
    Fails(String),
}

fn gate(s: &'static Scenario) -> (Gate, u64, f64) {
    let Some(budget) = s.bounds.dfs_iterations else {
        return (Gate::NotGated, 0, 0.0);
    };
    let start = Instant::now();
    let o = run(
        s,
        Explorer::Dfs {
            max_iterations: Some(budget),
        },
    );
    let secs = start.elapsed().as_secs_f64();
    let sc = s.expected_for("dfs");
    let g = match (&o.found, o.complete) {
        (Some(f), _) => {
            let inv = &f.violation.invariant;
            if s.expected == Expected::Unreachable {
                Gate::Fails(format!(
                    "{}: DFS (SC, no reduction) reached {} ({}) in {} executions, but loom's expectation says no violation is reachable: a checker bug (loom prunes an SC execution) or a wrong expectation",
                    s.id(), inv, f.violation, o.executions
                ))
            } else if !matches!(sc, Expected::Reachable(e) if e.name == inv) {
                Gate::Fails(format!(
                    "{}: DFS reached {} ({}) in {} executions; the scenario expects {} under SC",
                    s.id(),
                    inv,
                    f.violation,
                    o.executions,
                    sc.describe()
                ))
            } else {
                Gate::Decided { found: true }
            }
        }
        (None, true) => match sc {
            Expected::Unreachable => Gate::Decided { found: false },
            Expected::Reachable(inv) => Gate::Fails(format!(
                "{}: DFS exhausted all {} SC executions without reaching {}, which the scenario expects under SC",
                s.id(),
                o.executions,
                inv.name
            )),
        },
        (None, false) => Gate::Beyond,
    };
    (g, o.executions, secs)
}

/// An SC execution is one of loom's executions: a scenario cannot expect a violation under SC
/// and none under loom. Checked for every scenario, gated or not.
#[test]
fn sc_expectation_is_within_loom_expectation() {
    let bad: Vec<String> = kmodel::registry::all()
        .into_iter()
        .filter(|s| {
            s.expected == Expected::Unreachable
                && matches!(s.expected_sc, Some(Expected::Reachable(_)))
        })
        .map(|s| s.id())
        .collect();
    assert!(
        bad.is_empty(),
        "expected unreachable under loom but reachable under SC: {bad:?}"
    );
}

#[test]
fn dfs_gate() {
    let scenarios: Vec<&'static Scenario> = kmodel::registry::all();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(s) = scenarios.get(i) else { break };
                let r = gate(s);
                results.lock().unwrap().push((s.id(), r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut decided, mut beyond, mut not_gated) = (0, 0, 0);
    let mut failures = Vec::new();
    println!("| scenario | DFS gate | executions | seconds |");
    println!("|---|---|---:|---:|");
    for (id, (g, n, secs)) in &results {
        let what = match g {
            Gate::Decided { found: false } => {
                decided += 1;
                "exhausted, agrees".to_string()
            }
            Gate::Decided { found: true } => {
                decided += 1;
                "expected violation reached".to_string()
            }
            Gate::Beyond => {
                beyond += 1;
                "beyond budget, nothing found".to_string()
            }
            Gate::NotGated => {
                not_gated += 1;
                "not gated".to_string()
            }
            Gate::Fails(m) => {
                failures.push(m.clone());
                "DISAGREES".to_string()
            }
        };
        println!("| {id} | {what} | {n} | {secs:.2} |");
    }
    println!(
        "DFS gate: {decided} of {} scenarios decided, {beyond} beyond their budget, {not_gated} not gated, {} disagreements, {:.1}s",
        results.len(),
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "the DFS gate disagrees:\n{}",
        failures.join("\n")
    );
    assert!(decided > 0, "the DFS gate decided no scenario");
}
