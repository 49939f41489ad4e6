//! The shuttle backend: random, PCT and DFS exploration, and replay of a recorded trace with
//! a scheduler that follows the trace's per-CPU event order.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use shuttle::scheduler::{
    DfsScheduler, PctScheduler, RandomScheduler, Schedule, Scheduler, Task, TaskId,
};
use shuttle::{Config, FailurePersistence, Runner};

use super::execution::{
    execution, failure_after_panic, quietly, stats_for, Failed, SharedStats, Stats,
};
use super::DFS_RERUNS_AFTER_YIELD;
use crate::invariant::Invariant;
use crate::scenario::Scenario;
use crate::trace::Event;

/// shuttle installs its panic hook (which prints the failing schedule) on its first run; run
/// it once so that kmodel's hook, installed after, sits on top of it.
pub(crate) fn init_backend_hook() {
    let mut config = Config::new();
    config.silence_warnings = true;
    config.failure_persistence = FailurePersistence::None;
    Runner::new(RandomScheduler::new_from_seed(0, 1), config).run(|| {});
}

fn config() -> Config {
    let mut config = Config::new();
    config.silence_warnings = true;
    config.failure_persistence = FailurePersistence::None;
    config
}

/// Explore `s` with `scheduler` under shuttle's default step bound.
fn run_with(
    s: &'static Scenario,
    kind: &str,
    scheduler: impl Scheduler + 'static,
    keep_last: bool,
) -> (Stats, Option<Failed>) {
    run_with_config(s, kind, scheduler, keep_last, config())
}

/// Explore `s` with `scheduler`, judging against what the explorer `kind` must find.
fn run_with_config(
    s: &'static Scenario,
    kind: &str,
    scheduler: impl Scheduler + 'static,
    keep_last: bool,
    config: Config,
) -> (Stats, Option<Failed>) {
    let stats: SharedStats = stats_for(s, kind, keep_last);
    let st = stats.clone();
    let result = quietly(|| {
        catch_unwind(AssertUnwindSafe(move || {
            Runner::new(scheduler, config).run(move || execution(s, &st));
        }))
    });
    let failed = result.err().map(|payload| failure_after_panic(&*payload));
    let stats = std::mem::take(&mut *stats.lock().unwrap());
    (stats, failed)
}

pub(crate) fn random(
    s: &'static Scenario,
    iterations: usize,
    seed: u64,
) -> (Stats, Option<Failed>) {
    run_with(
        s,
        "random",
        RandomScheduler::new_from_seed(seed, iterations),
        false,
    )
}

pub(crate) fn pct(
    s: &'static Scenario,
    iterations: usize,
    depth: usize,
    seed: u64,
) -> (Stats, Option<Failed>) {
    run_with(
        s,
        "pct",
        PctScheduler::new_from_seed(seed, depth, iterations),
        false,
    )
}

/// One execution of `s` under `scheduler` (random or PCT), with its events, whether or not it
/// violated anything (for [`crate::explore::replay_fidelity`]).
pub(crate) fn one_execution(s: &'static Scenario, pct: bool, seed: u64) -> Vec<Event> {
    let (stats, failed) = if pct {
        run_with(s, "pct", PctScheduler::new_from_seed(seed, 3, 1), true)
    } else {
        run_with(s, "random", RandomScheduler::new_from_seed(seed, 1), true)
    };
    match failed {
        Some(f) => f.events,
        None => stats.last_events,
    }
}

/// shuttle's DFS over every runnable choice, except a CPU's run right after its
/// `cpu_relax()` more than [`DFS_RERUNS_AFTER_YIELD`] times in a row while another CPU could
/// run ([`SpinBound`]); `Stats::spin_pruned` counts the choices left out, and an exploration
/// that left one out is not exhaustive.
pub(crate) fn dfs(s: &'static Scenario, max_iterations: Option<usize>) -> (Stats, Option<Failed>) {
    let pruned = Arc::new(AtomicU64::new(0));
    let scheduler = SpinBound {
        inner: DfsScheduler::new(max_iterations, false),
        reruns: 0,
        pruned: pruned.clone(),
    };
    let (mut stats, failed) = run_with(s, "dfs", scheduler, false);
    stats.spin_pruned = pruned.load(Ordering::Relaxed);
    (stats, failed)
}

/// DFS cannot exhaust a busy-wait: a CPU spinning on a flag that a runnable CPU has not set
/// yet can run its loop again at every `cpu_relax()`, so the tree of SC schedules is
/// infinite, and shuttle's DFS, which takes the first runnable CPU first, may follow one
/// such schedule forever (a scenario whose spinning CPU has the lower id never finished its
/// first executions; 1.6 GB after 10 minutes). This wrapper gives DFS the runnable CPUs
/// without the yielding one once that CPU ran again [`DFS_RERUNS_AFTER_YIELD`] times in a
/// row after a yield, and counts each such choice: the exploration is then bounded, which
/// its verdict says, never "verified". A CPU alone runnable is never left out (a spin no
/// other CPU can end is shuttle's livelock, as before).
struct SpinBound<S> {
    inner: S,
    /// Runs of the current CPU right after its yield, since another CPU last ran.
    reruns: usize,
    pruned: Arc<AtomicU64>,
}

impl<S: Scheduler> Scheduler for SpinBound<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.reruns = 0;
        self.inner.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let spinning = current
            .filter(|_| is_yielding && runnable.len() > 1 && self.reruns >= DFS_RERUNS_AFTER_YIELD);
        let next = match spinning {
            Some(c) if runnable.iter().any(|t| t.id() == c) => {
                self.pruned.fetch_add(1, Ordering::Relaxed);
                let others: Vec<&Task> = runnable.iter().copied().filter(|t| t.id() != c).collect();
                self.inner.next_task(&others, current, is_yielding)?
            }
            _ => self.inner.next_task(runnable, current, is_yielding)?,
        };
        if Some(next) != current {
            self.reruns = 0;
        } else if is_yielding {
            self.reruns += 1;
        }
        Some(next)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// Explore `s` with kmodel's DPOR explorer ([`crate::dpor`]); also returns the executions
/// Whether it covered the whole space (it did not stop at `max_executions`).
pub(crate) fn dpor(
    s: &'static Scenario,
    max_executions: Option<usize>,
) -> (Stats, Option<Failed>, bool) {
    let mut source_sets = false;
    loop {
        let mut dpor = crate::dpor::Dpor::new();
        dpor.limit = max_executions.map(|m| m as u64);
        dpor.source_sets_only = source_sets;
        let core = Arc::new(Mutex::new(dpor));
        let (stats, failed) = run_with(
            s,
            "dpor",
            super::dpor::DporScheduler::new(core.clone()),
            false,
        );
        super::gather_touches(false);
        let core = core.lock().unwrap();
        let mut stats = stats;
        stats.blocked = core.blocked;
        stats.source_sets = source_sets;
        // A wakeup-tree sequence that could not be followed may have left traces
        // unexplored: explore again with source sets and sleep sets alone (complete, not
        // optimal; the verdict says which ran).
        if failed.is_none() && !core.capped && core.wut_lost > 0 && !source_sets {
            source_sets = true;
            continue;
        }
        // An execution stopped by what is left of the stutter cut (`Dpor::cuts`) may have
        // lost the steps the other threads had left: no exhaustiveness claimed.
        let complete = !core.capped && core.wut_lost == 0 && core.cuts == 0;
        return (stats, failed, complete);
    }
}

/// Replay one execution, following `recorded`'s event order; `kind` is the explorer that
/// found it (its expected invariant is where the replay stops).
pub(crate) fn replay(
    s: &'static Scenario,
    kind: &str,
    recorded: &[Event],
) -> (Stats, Option<Failed>) {
    run_with(s, kind, FollowTrace::new(recorded), true)
}

/// [`replay`] of a candidate order the minimizer made up ([`crate::replay::minimize`]): the
/// order may starve a spinning CPU's peer, so the run stops after `max_steps` scheduling
/// steps (shuttle reports that as a livelock, which the minimizer rejects).
pub(crate) fn replay_bounded(
    s: &'static Scenario,
    kind: &str,
    recorded: &[Event],
    max_steps: usize,
) -> (Stats, Option<Failed>) {
    let mut config = config();
    config.max_steps = shuttle::MaxSteps::FailAfter(max_steps);
    run_with_config(s, kind, FollowTrace::new(recorded), true, config)
}

/// A scheduler that follows a recorded event order: at each scheduling point it runs the CPU
/// whose next event comes first in the recording. Task 0 is the main thread, task `n` the
/// `n`-th spawned thread, which is the trace's thread numbering. Per-CPU ordinals, not a
/// global position, are followed, because loom and shuttle place scheduling points
/// differently around some operations (checkers.md §4).
struct FollowTrace {
    /// (tid, ordinal of the event within its thread) in recorded order.
    order: Vec<(usize, usize)>,
    started: bool,
}

impl FollowTrace {
    fn new(events: &[Event]) -> FollowTrace {
        let mut counts = Vec::<usize>::new();
        let order = events
            .iter()
            .map(|e| {
                if counts.len() <= e.tid {
                    counts.resize(e.tid + 1, 0);
                }
                counts[e.tid] += 1;
                (e.tid, counts[e.tid] - 1)
            })
            .collect();
        FollowTrace {
            order,
            started: false,
        }
    }
}

impl Scheduler for FollowTrace {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.started {
            return None;
        }
        self.started = true;
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let done = super::event_counts();
        let is_runnable = |t: usize| runnable.iter().any(|r| usize::from(r.id()) == t);
        let want = self
            .order
            .iter()
            .find(|(tid, ord)| done.get(*tid).copied().unwrap_or(0) <= *ord)
            .map(|(tid, _)| *tid);
        if std::env::var_os("KMODEL_DEBUG_REPLAY").is_some() {
            let ids: Vec<usize> = runnable.iter().map(|r| usize::from(r.id())).collect();
            eprintln!(
                "next_task: done={done:?} want={want:?} runnable={ids:?} current={current:?}"
            );
        }
        if let Some(t) = want.filter(|&t| is_runnable(t)) {
            return Some(TaskId::from(t));
        }
        // The recorded CPU cannot run yet (not spawned, or blocked), or the recording is
        // used up: keep the current one going, unless it just yielded (`cpu_relax()`) and
        // another can run, which then runs next in turn (a spinning CPU kept going would
        // spin until shuttle's step limit, a LIVELOCK no kernel has); a real divergence
        // shows in the event comparison.
        if let Some(c) = current.filter(|c| is_runnable(usize::from(*c))) {
            if !is_yielding || runnable.len() == 1 {
                return Some(c);
            }
            let at = runnable.iter().position(|t| t.id() == c).unwrap_or(0);
            return Some(runnable[(at + 1) % runnable.len()].id());
        }
        Some(runnable[0].id())
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// One execution of an ad-hoc body (see `explore::execute_once`).
pub(crate) fn execute_once(
    body: impl Fn() + Send + Sync + 'static,
) -> Result<Vec<Event>, (crate::trace::Violation, Vec<Event>)> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let result = quietly(|| {
        catch_unwind(AssertUnwindSafe(move || {
            Runner::new(shuttle::scheduler::RoundRobinScheduler::new(1), config()).run(move || {
                super::begin(super::Policy::default());
                body();
                super::execution::leak_check();
                let world = super::take().expect("world of the execution");
                *ev.lock().unwrap() = world.events.clone();
            });
        }))
    });
    match result {
        Ok(()) => Ok(std::mem::take(&mut *events.lock().unwrap())),
        Err(payload) => {
            let f = failure_after_panic(&*payload);
            Err((f.violation, f.events))
        }
    }
}

/// The invariant a shuttle panic message reports, if it is one of shuttle's own findings
/// (its messages, as shuttle words them).
pub(crate) fn classify_panic_message(msg: &str) -> Option<&'static Invariant> {
    if msg.contains("deadlock") {
        Some(&crate::invariant::DEADLOCK)
    } else if msg.contains("exceeded max_steps") || msg.contains("max_steps") {
        Some(&crate::invariant::LIVELOCK)
    } else {
        None
    }
}
