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
        HangCheck(
            RandomScheduler::new_from_seed(seed, iterations),
            HangWatch::default(),
        ),
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
        HangCheck(
            PctScheduler::new_from_seed(seed, depth, iterations),
            HangWatch::default(),
        ),
        false,
    )
}

/// One execution of `s` under `scheduler` (random or PCT), with its events, whether or not it
/// violated anything (for [`crate::explore::replay_fidelity`]).
pub(crate) fn one_execution(s: &'static Scenario, pct: bool, seed: u64) -> Vec<Event> {
    let (stats, failed) = if pct {
        let pct = PctScheduler::new_from_seed(seed, 3, 1);
        run_with(s, "pct", HangCheck(pct, HangWatch::default()), true)
    } else {
        let random = RandomScheduler::new_from_seed(seed, 1);
        run_with(s, "random", HangCheck(random, HangWatch::default()), true)
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
    let scheduler = HangCheck(
        SpinBound {
            inner: DfsScheduler::new(max_iterations, false),
            reruns: 0,
            resumed: None,
            at_yield: AtYield::default(),
            pruned: pruned.clone(),
        },
        HangWatch::default(),
    );
    let (mut stats, failed) = run_with(s, "dfs", scheduler, false);
    stats.spin_pruned = pruned.load(Ordering::Relaxed);
    (stats, failed)
}

/// Watches for a busy-wait without end at every scheduling point of a shuttle scheduler
/// (random, PCT, DFS, dpor, replay): the CPU that just yielded is the only one that can run
/// and ran its last two retry iterations alone and the same ([`super::spins_alone`]), or
/// every CPU that can run is stopped at its `cpu_relax()` spinning on frozen memory
/// ([`super::spin_frozen`]). Either way they spin forever: the lowest is told to report it
/// as it resumes ([`super::busy_wait_forever`]) and must run next, instead of spinning on
/// to shuttle's step limit with a trace of a million steps.
#[derive(Default)]
pub(crate) struct HangWatch {
    at_yield: AtYield,
}

/// The CPUs whose last scheduling point was a yield (`cpu_relax()`), in one execution.
#[derive(Default)]
struct AtYield(Vec<usize>);

impl AtYield {
    /// Note where the CPU that ran last stopped (at a yield or not).
    fn note(&mut self, current: Option<TaskId>, is_yielding: bool) {
        if let Some(c) = current {
            let c = usize::from(c);
            self.0.retain(|&t| t != c);
            if is_yielding {
                self.0.push(c);
            }
        }
    }

    fn contains(&self, t: usize) -> bool {
        self.0.contains(&t)
    }
}

impl HangWatch {
    pub(crate) fn new_execution(&mut self) {
        self.at_yield = AtYield::default();
    }

    /// The CPU that must run next to report a busy-wait without end, if there is one.
    pub(crate) fn check(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.at_yield.note(current, is_yielding);
        let mut ids: Vec<usize> = runnable.iter().map(|r| usize::from(r.id())).collect();
        ids.sort_unstable();
        let hangs = match (is_yielding, ids.as_slice(), current) {
            (true, &[only], Some(c)) => only == usize::from(c) && super::spins_alone(only),
            (_, [_, _, ..], _) => {
                ids.iter().all(|&t| self.at_yield.contains(t)) && super::spin_frozen(&ids)
            }
            _ => false,
        };
        if hangs {
            self.busy_wait_forever(&ids)
        } else {
            None
        }
    }

    /// Tell the CPUs `spinning` (sorted) that they spin forever; the lowest must run next.
    pub(crate) fn busy_wait_forever(&self, spinning: &[usize]) -> Option<TaskId> {
        super::busy_wait_forever(spinning);
        spinning.first().map(|&t| TaskId::from(t))
    }
}

/// The random, PCT and DFS explorers with a [`HangWatch`].
struct HangCheck<S>(S, HangWatch);

impl<S: Scheduler> Scheduler for HangCheck<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.1.new_execution();
        self.0.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if let Some(t) = self.1.check(runnable, current, is_yielding) {
            return Some(t);
        }
        self.0.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// DFS cannot exhaust a busy-wait: a CPU spinning on a flag that a runnable CPU has not set
/// yet can run its loop again at every `cpu_relax()`, so the tree of SC schedules is
/// infinite, and shuttle's DFS, which takes the first runnable CPU first, may follow one
/// such schedule forever (a scenario whose spinning CPU has the lower id never finished its
/// first executions; 1.6 GB after 10 minutes). This wrapper gives DFS only the CPUs that
/// are not stopped at a yield once CPUs resuming from their `cpu_relax()` ran
/// [`DFS_RERUNS_AFTER_YIELD`] times in a row while such a CPU could run, and counts each
/// such choice: the exploration is then bounded, which its verdict says, never "verified".
/// Spinning CPUs alone are never left out (a spin no other CPU can end is a LIVELOCK,
/// [`HangWatch`]). Until session 10 the count was per CPU, so two spinners could take
/// turns forever while the CPU that would end their spin never ran
/// (`litmus/dpor-spin-forever-two`: one DFS execution did not end in 5 minutes).
struct SpinBound<S> {
    inner: S,
    /// Choices in a row of CPUs resuming from a yield while another CPU could run.
    reruns: usize,
    /// The CPU that resumed from its yield last, while it runs on.
    resumed: Option<TaskId>,
    at_yield: AtYield,
    pruned: Arc<AtomicU64>,
}

impl<S: Scheduler> Scheduler for SpinBound<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.reruns = 0;
        self.resumed = None;
        self.at_yield = AtYield::default();
        self.inner.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.at_yield.note(current, is_yielding);
        let busy: Vec<&Task> = runnable
            .iter()
            .copied()
            .filter(|t| !self.at_yield.contains(usize::from(t.id())))
            .collect();
        let spinning = busy.len() < runnable.len() && !busy.is_empty();
        let next = if spinning && self.reruns >= DFS_RERUNS_AFTER_YIELD {
            self.pruned.fetch_add(1, Ordering::Relaxed);
            self.inner.next_task(&busy, current, is_yielding)?
        } else {
            self.inner.next_task(runnable, current, is_yielding)?
        };
        if self.at_yield.contains(usize::from(next)) {
            // `next` resumes from its `cpu_relax()`: counted when it goes on right after
            // its own yield, or after another CPU's resumption (not after a busy CPU ran).
            if spinning && (self.resumed.is_some() || Some(next) == current) {
                self.reruns += 1;
            }
            self.resumed = Some(next);
        } else if Some(next) != current || self.resumed != Some(next) {
            // Another CPU makes progress (not the resumed one going on with its iteration).
            self.reruns = 0;
            self.resumed = None;
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
    /// Per entry of `order`: whether it is the violation the run ended with.
    violation: Vec<bool>,
    /// Per CPU: the number of events it recorded (the violation left out).
    counts: Vec<usize>,
    hang: HangWatch,
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
        // The violation is not an event the replay records.
        for e in events.iter().filter(|e| e.op == "VIOLATION") {
            counts[e.tid] -= 1;
        }
        FollowTrace {
            order,
            violation: events.iter().map(|e| e.op == "VIOLATION").collect(),
            counts,
            hang: HangWatch::default(),
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
        let next = self
            .order
            .iter()
            .position(|(tid, ord)| done.get(*tid).copied().unwrap_or(0) <= *ord);
        let want = next.map(|k| self.order[k].0);
        // Nothing left to follow but the violation the recorded run ended with.
        let used_up = next.is_none_or(|k| self.violation[k..].iter().all(|&v| v));
        if std::env::var_os("KMODEL_DEBUG_REPLAY").is_some() {
            let ids: Vec<usize> = runnable.iter().map(|r| usize::from(r.id())).collect();
            eprintln!(
                "next_task: done={done:?} want={want:?} runnable={ids:?} current={current:?}"
            );
        }
        // The recording is used up (but for the violation it ended with) while CPUs spin in
        // a retry loop: a recorded busy-wait without end (LIVELOCK), as the explorers see
        // it ([`HangWatch`]), or as the dpor explorer's await found it: several CPUs, each
        // stopped at its `cpu_relax()`, every CPU's recorded events replayed and no more.
        // A hang the watch sees is one whatever the recording still holds (a replay of
        // another scenario's trace, or a departed one, would otherwise spin to shuttle's
        // step limit).
        if let Some(t) = self.hang.check(runnable, current, is_yielding) {
            return Some(t);
        }
        if used_up {
            let mut ids: Vec<usize> = runnable.iter().map(|r| usize::from(r.id())).collect();
            ids.sort_unstable();
            let replayed = (0..done.len().max(self.counts.len())).all(|t| {
                done.get(t).copied().unwrap_or(0) == self.counts.get(t).copied().unwrap_or(0)
            });
            if ids.len() > 1 && replayed && ids.iter().all(|&t| self.hang.at_yield.contains(t)) {
                return self.hang.busy_wait_forever(&ids);
            }
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
