//! One execution of a scenario, shared by every backend, and the statistics they gather.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::invariant::LEAK;
use crate::rt::{self, Policy};
use crate::scenario::{Expected, Scenario};
use crate::trace::{Event, Violation};

/// What a run of many executions has seen.
#[derive(Default)]
pub(crate) struct Stats {
    /// The invariant this explorer must reach (`Scenario::expected_for` it), if any.
    pub target: Option<&'static str>,
    pub executions: u64,
    /// Executions the dpor explorer stopped sleep-set blocked (0 for the other explorers).
    pub blocked: u64,
    /// dpor fell back to source sets and sleep sets (see `rt::shuttle::dpor`).
    pub source_sets: bool,
    /// Choices DFS left out because a CPU ran its `cpu_relax()` loop again too many times
    /// in a row (`rt::shuttle::SpinBound`; 0 for the other explorers).
    pub spin_pruned: u64,
    /// Executions in which a CPU called `cpu_relax()` (ran a retry loop again).
    pub relaxed: u64,
    /// loom: an execution reached loom's branch limit (no verdict; `explore::backend_run`).
    pub branch_limit: bool,
    /// Violations that did not stop the run (not fatal, not the target): invariant name ->
    /// number of executions that reached it.
    pub also: BTreeMap<String, u64>,
    /// Keep the events of the last execution (for replays).
    pub keep_last: bool,
    pub last_events: Vec<Event>,
    /// Canonical hashes of the Mazurkiewicz traces of the executions that ran to the end
    /// ([`crate::dpor::trace_hash`]).
    pub distinct: std::collections::HashSet<u64>,
    /// Witnesses reached: witness name -> number of executions that reached it.
    pub witnessed: BTreeMap<&'static str, u64>,
}

pub(crate) type SharedStats = Arc<Mutex<Stats>>;

/// The execution's failure, taken from the world after the backend returned a panic.
pub(crate) struct Failed {
    pub violation: Violation,
    pub events: Vec<Event>,
    /// The witnesses the failing execution reached.
    pub witnessed: Vec<&'static str>,
}

/// A fresh statistics record for exploring `s` with the explorer `kind`.
pub(crate) fn stats_for(s: &Scenario, kind: &str, keep_last: bool) -> SharedStats {
    let target = match s.expected_for(kind) {
        Expected::Unreachable => None,
        Expected::Reachable(inv) => Some(inv.name),
    };
    Arc::new(Mutex::new(Stats {
        target,
        keep_last,
        ..Stats::default()
    }))
}

/// Executions started by every exploration in this process so far (for progress display
/// only: `kmodel check` polls it as `checker::explore::EXECUTIONS`; no verdict reads it).
pub static EXECUTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Run the scenario's body once, inside the backend's execution.
pub(crate) fn execution(s: &'static Scenario, stats: &SharedStats) {
    EXECUTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let target = {
        let mut st = stats.lock().unwrap();
        st.executions += 1;
        st.target
    };
    rt::begin(Policy { target });
    #[cfg(loom)]
    rt::graphs::begin_execution();
    (s.body)();
    leak_check();
    let world = rt::take().expect("world of the execution");
    #[cfg(loom)]
    rt::graphs::end_execution(&s.id(), &world.events);
    let mut st = stats.lock().unwrap();
    let mut seen: Vec<&str> = world
        .violations
        .iter()
        .map(|v| v.invariant.as_str())
        .collect();
    seen.dedup();
    for inv in seen {
        *st.also.entry(inv.to_string()).or_default() += 1;
    }
    st.distinct.insert(crate::dpor::trace_hash(&world.events));
    if world.relaxed() {
        st.relaxed += 1;
    }
    for w in &world.witnessed {
        *st.witnessed.entry(w).or_default() += 1;
    }
    if st.keep_last {
        st.last_events = world.events.clone();
    }
    drop(st);
    drop(world); // model objects are dropped inside the execution
}

/// kmemleak at the end of the execution: every object must have been freed.
pub(crate) fn leak_check() {
    let leaked: Vec<String> = rt::with(|w| {
        w.objects
            .iter()
            .filter(|o| o.freed.is_none())
            .map(|o| o.name.clone())
            .collect()
    });
    if !leaked.is_empty() {
        rt::report(
            &LEAK,
            format!(
                "still allocated when the scenario ended: {}",
                leaked.join(", ")
            ),
        );
    }
}

/// After the backend returned with a panic: the failure, from the world (a violation we
/// reported), or classified from the payload (a deadlock, a livelock, a model panic).
pub(crate) fn failure_after_panic(payload: &(dyn std::any::Any + Send)) -> Failed {
    if payload.downcast_ref::<rt::ViolationPanic>().is_none() {
        let (inv, msg) = rt::classify_panic(payload);
        rt::record_foreign_failure(inv, msg);
    }
    let world = rt::take();
    let witnessed = world
        .as_ref()
        .map(|w| w.witnessed.clone())
        .unwrap_or_default();
    match world.and_then(|w| w.failure) {
        Some((violation, events)) => Failed {
            violation,
            events,
            witnessed,
        },
        None => {
            let (inv, msg) = rt::classify_panic(payload);
            Failed {
                violation: Violation {
                    invariant: inv.name.to_string(),
                    message: msg,
                    tid: 0,
                    step: 1,
                },
                events: Vec::new(),
                witnessed,
            }
        }
    }
}

std::thread_local! {
    static EXPLORING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` with panics silenced on this OS thread: every panic inside an exploration is a
/// finding that kmodel reports itself.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
    install_panic_hook();
    EXPLORING.with(|e| e.set(true));
    let r = f();
    EXPLORING.with(|e| e.set(false));
    r
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(not(loom))]
        super::shuttle::init_backend_hook();
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if EXPLORING.with(|e| e.get()) {
                return;
            }
            prev(info);
        }));
    });
}
