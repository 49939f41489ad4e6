//! Running scenarios: exploration under loom or shuttle, and the verdict and its judgement
//! against the scenario's expected result (replaying a trace is [`crate::replay`]).
//!
//! A `--cfg loom` build of this crate explores with loom only; a normal build explores with
//! shuttle only (the facade picks one backend per build). [`Explorer::available`] says which.

use std::time::Instant;

use crate::invariant::Witness;
use crate::rt;
use crate::scenario::{Expected, Scenario};
use crate::trace::{Event, ReplayMode, Trace, Violation};

/// An exploration strategy and its settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Explorer {
    /// loom: exhaustive DPOR over the C11 memory model, optionally preemption-bounded.
    Loom { preemption_bound: Option<usize> },
    /// shuttle's random scheduler.
    Random { iterations: usize, seed: u64 },
    /// shuttle's PCT scheduler (probabilistic guarantee for bugs of depth `depth`).
    Pct {
        iterations: usize,
        depth: usize,
        seed: u64,
    },
    /// shuttle's DFS: exhaustive under sequential consistency, without partial-order
    /// reduction, stopping after `max_iterations` if given.
    Dfs { max_iterations: Option<usize> },
    /// kmodel's own DPOR explorer on shuttle's runtime ([`crate::dpor`]): exhaustive under
    /// sequential consistency, one execution per Mazurkiewicz trace up to sleep-set blocking;
    /// stopping after `max_executions` if given.
    Dpor { max_executions: Option<usize> },
}

/// Names of the explorers, as the CLI takes them.
pub const EXPLORERS: &[&str] = &["loom", "dpor", "random", "pct", "dfs"];

pub use crate::rt::DFS_RERUNS_AFTER_YIELD;

impl Explorer {
    /// The explorer `kind` with the scenario's default bounds; `iterations` overrides the
    /// shuttle iteration count, `seed` the shuttle seed.
    pub fn for_scenario(
        kind: &str,
        s: &Scenario,
        iterations: Option<usize>,
        seed: u64,
    ) -> Option<Explorer> {
        let iterations_or = iterations.unwrap_or(s.bounds.shuttle_iterations);
        Some(match kind {
            "loom" => Explorer::Loom {
                preemption_bound: s.bounds.loom_preemption_bound,
            },
            "random" => Explorer::Random {
                iterations: iterations_or,
                seed,
            },
            "pct" => Explorer::Pct {
                iterations: iterations_or,
                depth: s.bounds.pct_depth,
                seed,
            },
            "dfs" => Explorer::Dfs {
                max_iterations: iterations,
            },
            "dpor" => Explorer::Dpor {
                max_executions: iterations,
            },
            _ => return None,
        })
    }

    /// `loom`, `random`, `pct` or `dfs`.
    pub fn kind(&self) -> &'static str {
        match self {
            Explorer::Loom { .. } => "loom",
            Explorer::Random { .. } => "random",
            Explorer::Pct { .. } => "pct",
            Explorer::Dfs { .. } => "dfs",
            Explorer::Dpor { .. } => "dpor",
        }
    }

    /// The explorer with its settings, as traces and reports show it.
    pub fn describe(&self) -> String {
        match self {
            Explorer::Loom {
                preemption_bound: None,
            } => "loom preemption_bound=none".into(),
            Explorer::Loom {
                preemption_bound: Some(b),
            } => format!("loom preemption_bound={b}"),
            Explorer::Random { iterations, seed } => {
                format!("random iterations={iterations} seed={seed}")
            }
            Explorer::Pct {
                iterations,
                depth,
                seed,
            } => format!("pct iterations={iterations} depth={depth} seed={seed}"),
            Explorer::Dfs {
                max_iterations: None,
            } => "dfs max_iterations=none".into(),
            Explorer::Dfs {
                max_iterations: Some(m),
            } => format!("dfs max_iterations={m}"),
            Explorer::Dpor {
                max_executions: None,
            } => "dpor max_executions=none".into(),
            Explorer::Dpor {
                max_executions: Some(m),
            } => format!("dpor max_executions={m}"),
        }
    }

    /// Whether this build can run the explorer (loom needs a `--cfg loom` build).
    pub fn available(kind: &str) -> bool {
        (kind == "loom") == cfg!(loom)
    }
}

/// A counterexample found by an exploration.
#[derive(Clone, Debug)]
pub struct Found {
    pub violation: Violation,
    pub events: Vec<Event>,
    /// loom's checkpoint of the failing execution (loom explorations only).
    pub loom_checkpoint: Option<String>,
}

/// What an exploration did and found.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub scenario: &'static Scenario,
    pub explorer: Explorer,
    pub executions: u64,
    /// Distinct Mazurkiewicz traces among the executions that ran to their end
    /// ([`crate::dpor::trace_hash`]): `executions / distinct_traces` is the redundancy.
    pub distinct_traces: u64,
    /// Executions that dpor stopped sleep-set blocked (counted in `executions`; 0 for the
    /// other explorers): with wakeup trees, only around blocking operations.
    pub blocked: u64,
    /// dpor re-explored with source sets and sleep sets only, because a wakeup-tree
    /// sequence could not be followed: complete, not optimal.
    pub source_sets: bool,
    /// Seconds of the exploration (for loom, without the second run that captures the
    /// failing execution's checkpoint).
    pub seconds: f64,
    /// The exploration covered its whole space (loom to the end, or DFS exhausted).
    pub complete: bool,
    /// DFS only: runnable choices it left out because a CPU ran its `cpu_relax()` loop
    /// again too many times in a row (a busy-wait, which DFS cannot exhaust); not 0 makes
    /// the exploration bounded, and the verdict says so.
    pub spin_pruned: u64,
    /// Executions in which a CPU called `cpu_relax()`. Not 0 under loom qualifies its
    /// "verified": loom's yield rule may skip orders of such retries (the yield gate,
    /// vendor/loom/KMODEL-PATCH.md), where dpor is complete under SC.
    pub relaxed: u64,
    /// loom only: an execution reached loom's branch limit (the exploration stopped there,
    /// without a verdict: see `backend_run`).
    pub branch_limit: bool,
    pub found: Option<Found>,
    /// Non-fatal violations of other invariants that did not stop the exploration, with the
    /// number of executions that reached each.
    pub also_reached: Vec<(String, u64)>,
    /// Every witness the scenario declares, in its order, with the number of executions that
    /// reached it (0: never reached).
    pub witnesses: Vec<(&'static Witness, u64)>,
}

impl Outcome {
    /// The declared witnesses no execution reached.
    pub fn witnesses_missed(&self) -> Vec<&'static Witness> {
        self.witnesses
            .iter()
            .filter(|(_, n)| *n == 0)
            .map(|(w, _)| *w)
            .collect()
    }

    /// `reached/declared` witnesses (`-` if the scenario declares none).
    pub fn witnesses_summary(&self) -> String {
        if self.witnesses.is_empty() {
            return "-".into();
        }
        format!(
            "{}/{}",
            self.witnesses.iter().filter(|(_, n)| *n > 0).count(),
            self.witnesses.len()
        )
    }

    /// The exploration was exhaustive (up to its stated bound) and complete.
    fn exhaustive(&self) -> bool {
        self.complete
            && matches!(
                self.explorer,
                Explorer::Loom { .. } | Explorer::Dfs { .. } | Explorer::Dpor { .. }
            )
    }

    /// The honest verdict: *verified* only for a completed exhaustive exploration that
    /// reached every declared witness; `VACUOUS` when it missed one.
    pub fn verdict(&self) -> String {
        if let Some(f) = &self.found {
            return format!("counterexample: {}", f.violation.invariant);
        }
        if let (true, Some(w)) = (self.exhaustive(), self.witnesses_missed().first()) {
            return format!("VACUOUS: witness {} never reached", w.name);
        }
        match self.explorer {
            Explorer::Loom { .. } if self.branch_limit => format!(
                "no verdict: execution {} reached loom's branch limit (loom does not judge busy-waits: CPUs spinning in turn can starve the CPU that ends their spin; dpor, random and PCT do)",
                self.executions
            ),
            Explorer::Loom {
                preemption_bound: None,
            } if self.complete && self.relaxed > 0 => {
                "verified, but for orders of cpu_relax() retries loom's yield rule skips (dpor: complete under SC)".into()
            }
            Explorer::Loom {
                preemption_bound: None,
            } if self.complete => "verified".into(),
            Explorer::Loom {
                preemption_bound: Some(b),
            } if self.complete => {
                format!("verified up to {b} preemptions")
            }
            Explorer::Dfs { .. } if self.complete => "verified under SC (no weak memory)".into(),
            Explorer::Dpor { .. } if self.complete && self.source_sets => {
                "verified under SC (source-set DPOR)".into()
            }
            Explorer::Dpor { .. } if self.complete => "verified under SC (optimal DPOR)".into(),
            Explorer::Dfs { .. } if self.spin_pruned > 0 => format!(
                "no counterexample in {} runs (bounded: a busy-wait; DFS ran a CPU again right after its cpu_relax() at most {} times in a row while another CPU could run)",
                self.executions,
                DFS_RERUNS_AFTER_YIELD
            ),
            _ => format!("no counterexample in {} runs", self.executions),
        }
    }

    /// Whether the verdict is what the scenario expects: no counterexample for an unreachable
    /// bad state; a counterexample of the named invariant for a reachable one.
    /// An exploration without a counterexample that missed a declared witness is never as
    /// expected: its verdict is about a state that never occurred.
    pub fn as_expected(&self) -> bool {
        match (&self.expected(), &self.found) {
            // loom's branch limit judges nothing, a LIVELOCK included (see `verdict`).
            (Expected::Reachable(inv), None) if self.branch_limit => {
                inv.name == crate::invariant::LIVELOCK.name
            }
            (Expected::Unreachable, None) if self.branch_limit => true,
            (_, None) if !self.witnesses_missed().is_empty() => false,
            (Expected::Unreachable, None) => true,
            (Expected::Reachable(inv), Some(f)) => f.violation.invariant == inv.name,
            _ => false,
        }
    }

    /// What this explorer must find ([`Scenario::expected_for`]).
    pub fn expected(&self) -> Expected {
        self.scenario.expected_for(self.explorer.kind())
    }

    /// One line saying why the verdict is not as expected (None if it is).
    pub fn mismatch(&self) -> Option<String> {
        if self.as_expected() {
            return None;
        }
        let sc = if self.scenario.expected_sc.is_some() && self.explorer.kind() != "loom" {
            " under sequential consistency"
        } else {
            ""
        };
        let missed = self.witnesses_missed();
        if self.found.is_none() && !missed.is_empty() {
            let names: Vec<String> = missed
                .iter()
                .map(|w| format!("{} ({})", w.name, w.statement))
                .collect();
            return Some(if self.exhaustive() {
                format!(
                    "VACUOUS: witness {} never reached in any of the {} executions: the state the verdict is about never occurred",
                    names.join(", "),
                    self.executions
                )
            } else {
                format!(
                    "witness {} never reached in {} runs ({}): the sampled runs never built the state the verdict is about",
                    names.join(", "),
                    self.executions,
                    self.explorer.describe()
                )
            });
        }
        Some(match (&self.expected(), &self.found) {
            (Expected::Unreachable, Some(f)) => {
                format!("expected no violation{sc}, found {}", f.violation)
            }
            (Expected::Reachable(inv), Some(f)) => {
                format!(
                    "expected a counterexample for {}{sc}, but the first one found is {}",
                    inv.name, f.violation
                )
            }
            (Expected::Reachable(inv), None) => format!(
                "expected a counterexample for {}, none found ({}): the bug is not shown",
                inv.name,
                self.verdict()
            ),
            (Expected::Unreachable, None) => unreachable!(),
        })
    }

    /// The counterexample as a trace, replayed by shuttle unless loom's weak memory is needed
    /// (the caller decides; see [`Trace::replay`]).
    pub fn trace(&self) -> Option<Trace> {
        let f = self.found.as_ref()?;
        let s = self.scenario;
        Some(Trace {
            model: s.model.into(),
            scenario: s.name.into(),
            summary: s.summary.into(),
            expected: s.expected.describe(),
            explorer: self.explorer.describe(),
            loom_version: crate::LOOM_VERSION.into(),
            shuttle_version: crate::SHUTTLE_VERSION.into(),
            fingerprint: s.fingerprint(),
            cpus: s.cpus.iter().map(|c| c.to_string()).collect(),
            violation: f.violation.clone(),
            replay: ReplayMode::Shuttle,
            loom_checkpoint: f.loom_checkpoint.clone(),
            lkmm: None,
            events: f.events.clone(),
        })
    }
}

/// The `KMODEL_CHECK_GRAPHS` check of one scenario under loom (docs/architecture.md, "What
/// loom's DPOR sees"), whatever the environment says: its outcome, and (executions, distinct
/// loom execution graphs, executions whose graph was seen with other CPU observations).
#[cfg(loom)]
pub fn check_graphs(s: &'static Scenario) -> (Outcome, (u64, u64, u64)) {
    check_graphs_keyed(s, true)
}

/// [`check_graphs`], with the order of the ghost accesses loom races left out of the graph
/// key when `ghost_order` is false: the check's calibration (tests/graph_check.rs), which
/// must then report the executions that differ only in that order.
#[cfg(loom)]
pub fn check_graphs_keyed(s: &'static Scenario, ghost_order: bool) -> (Outcome, (u64, u64, u64)) {
    crate::rt::graphs::force(true);
    crate::rt::graphs::ghost_order_in_key(ghost_order);
    let o = run(
        s,
        Explorer::Loom {
            preemption_bound: s.bounds.loom_preemption_bound,
        },
    );
    crate::rt::graphs::ghost_order_in_key(true);
    crate::rt::graphs::force(false);
    (o, crate::rt::graphs::last())
}

pub use crate::rt::execution::EXECUTIONS;

/// Explore `s` with `explorer`. Panics if this build cannot run it ([`Explorer::available`]).
pub fn run(s: &'static Scenario, explorer: Explorer) -> Outcome {
    assert!(
        Explorer::available(explorer.kind()),
        "explorer {} is not available in this build",
        explorer.kind()
    );
    let start = Instant::now();
    let (stats, failed, checkpoint, complete, explore_seconds) = backend_run(s, explorer);
    let seconds = explore_seconds.unwrap_or_else(|| start.elapsed().as_secs_f64());
    let target = failed.as_ref().map(|f| f.violation.invariant.clone());
    let mut witnessed = stats.witnessed;
    if let Some(f) = &failed {
        for w in &f.witnessed {
            *witnessed.entry(w).or_default() += 1;
        }
    }
    let witnesses = s
        .witnesses
        .iter()
        .map(|w| (w, witnessed.get(w.name).copied().unwrap_or(0)))
        .collect();
    let also_reached = stats
        .also
        .into_iter()
        .filter(|(k, _)| Some(k) != target.as_ref())
        .collect();
    Outcome {
        scenario: s,
        explorer,
        executions: stats.executions,
        distinct_traces: stats.distinct.len() as u64,
        blocked: stats.blocked,
        source_sets: stats.source_sets,
        seconds,
        complete: complete && failed.is_none(),
        spin_pruned: stats.spin_pruned,
        relaxed: stats.relaxed,
        branch_limit: stats.branch_limit,
        found: failed.map(|f| Found {
            violation: f.violation,
            events: f.events,
            loom_checkpoint: checkpoint,
        }),
        also_reached,
        witnesses,
    }
}

/// Stats, failure, loom checkpoint, whether the space was covered, and the seconds of the
/// exploration proper when the backend did more (loom's checkpoint capture).
type BackendResult = (
    rt::execution::Stats,
    Option<rt::execution::Failed>,
    Option<String>,
    bool,
    Option<f64>,
);

#[cfg(loom)]
fn backend_run(s: &'static Scenario, explorer: Explorer) -> BackendResult {
    match explorer {
        Explorer::Loom { preemption_bound } => {
            let (mut stats, failed, cp, secs) = rt::loom::explore(s, preemption_bound);
            // loom's branch limit is no evidence of a livelock: under its yield rule CPUs
            // spinning in turn starve the CPU that would end their spin
            // (`litmus/dpor-spin-ends-two`: no execution hangs, and loom reported LIVELOCK).
            // No verdict, and no trace; dpor, random and PCT judge busy-waits.
            if failed
                .as_ref()
                .is_some_and(|f| f.violation.invariant == crate::invariant::LIVELOCK.name)
            {
                stats.branch_limit = true;
                return (stats, None, None, false, Some(secs));
            }
            (stats, failed, cp, true, Some(secs))
        }
        _ => unreachable!("checked by run()"),
    }
}

#[cfg(not(loom))]
fn backend_run(s: &'static Scenario, explorer: Explorer) -> BackendResult {
    match explorer {
        Explorer::Random { iterations, seed } => {
            let (st, f) = rt::shuttle::random(s, iterations, seed);
            (st, f, None, false, None)
        }
        Explorer::Pct {
            iterations,
            depth,
            seed,
        } => {
            let (st, f) = rt::shuttle::pct(s, iterations, depth, seed);
            (st, f, None, false, None)
        }
        Explorer::Dfs { max_iterations } => {
            let (st, f) = rt::shuttle::dfs(s, max_iterations);
            let complete =
                max_iterations.is_none_or(|m| (st.executions as usize) < m) && st.spin_pruned == 0;
            (st, f, None, complete, None)
        }
        Explorer::Dpor { max_executions } => {
            let (st, f, complete) = rt::shuttle::dpor(s, max_executions);
            (st, f, None, complete, None)
        }
        Explorer::Loom { .. } => unreachable!("checked by run()"),
    }
}

/// For test suites: run `s` with `explorer`, print the verdict, save a found trace under
/// `trace_dir`, and panic with the mismatch if the verdict is not the expected one.
pub fn assert_as_expected(
    s: &'static Scenario,
    explorer: Explorer,
    trace_dir: &std::path::Path,
) -> Outcome {
    let o = run(s, explorer);
    println!(
        "{}: {} [{}] {} executions, {:.2}s, witnesses {}; expected {}{}",
        s.id(),
        o.verdict(),
        explorer.describe(),
        o.executions,
        o.seconds,
        o.witnesses_summary(),
        s.describe_expected_for(explorer.kind()),
        if o.also_reached.is_empty() {
            String::new()
        } else {
            format!(
                "; also reached: {}",
                o.also_reached
                    .iter()
                    .map(|(k, n)| format!("{k} in {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if let Some(t) = o.trace() {
        #[cfg(not(loom))]
        let t = {
            let mut t = t;
            let budget = crate::replay::minimize::REPLAY_BUDGET;
            if let Some(m) = crate::replay::minimize::minimize(s, &mut t, budget) {
                println!("  minimized: {m}");
            }
            t
        };
        match t.save_in(&trace_dir.join(s.model)) {
            Ok(p) => println!("  trace: {}", p.display()),
            Err(e) => println!("  trace not saved: {e}"),
        }
    }
    if let Some(m) = o.mismatch() {
        if let Some(t) = o.trace() {
            println!("{}", crate::trace::render_columns(&t));
        }
        panic!("{}: {m}", s.id());
    }
    o
}

/// Replay fidelity: run `runs` single executions of `s` under the random scheduler and as many
/// under PCT (seeds from `seed`), replay each by its recorded event order, and return the
/// number replayed, or the first execution whose replay did not record the same events.
///
/// A primitive whose ghost state changes between two of its scheduling points shows other CPUs
/// a state that no event names: the replay, which follows events, then runs another
/// interleaving, and the dpor explorer, which does not preempt inside a primitive, misses it.
/// This check finds such a primitive (calibration: `dma_fence_rcu/snippet_kfree_rcu`'s
/// `rcu_read_unlock()` once left its section before its reader lock's release).
#[cfg(not(loom))]
pub fn replay_fidelity(s: &'static Scenario, runs: u64, seed: u64) -> Result<usize, String> {
    let mut n = 0;
    for pct in [false, true] {
        for i in 0..runs {
            let events = rt::shuttle::one_execution(s, pct, seed + i);
            let kind = if pct { "pct" } else { "random" };
            let (stats, failed) = rt::shuttle::replay(s, kind, &events);
            let replayed = match failed {
                Some(f) => f.events,
                None => stats.last_events,
            };
            if replayed != events {
                let at = (0..events.len().max(replayed.len()))
                    .find(|&k| events.get(k) != replayed.get(k))
                    .unwrap_or(0);
                let show = |e: Option<&Event>| e.map_or("nothing".into(), Event::describe);
                return Err(format!(
                    "{}: {kind} seed {}: step {} recorded {}, replayed {}",
                    s.id(),
                    seed + i,
                    at + 1,
                    show(events.get(at)),
                    show(replayed.get(at))
                ));
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Run `body` as one execution (shuttle, round-robin: deterministic) and return its events,
/// or the violation that ended it. Any violation ends it (no target). For testing the
/// primitives' sequential behaviour.
#[cfg(not(loom))]
pub fn execute_once(
    body: impl Fn() + Send + Sync + 'static,
) -> Result<Vec<Event>, (Violation, Vec<Event>)> {
    rt::shuttle::execute_once(body)
}
