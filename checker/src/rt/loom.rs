//! The loom backend: exhaustive DPOR exploration under the C11 memory model, capture of the
//! failing execution's checkpoint, and replay of exactly one execution from a checkpoint.

use std::panic::{catch_unwind, AssertUnwindSafe};

use loom::model::Builder;

use super::execution::{
    execution, failure_after_panic, quietly, stats_for, Failed, SharedStats, Stats,
};
use crate::invariant::Invariant;
use crate::scenario::Scenario;

fn builder(s: &Scenario, preemption_bound: Option<usize>) -> Builder {
    // Every field is set here, so that LOOM_* environment variables cannot silently change a
    // verdict: the bounds a verdict states are the bounds it was explored with.
    let mut b = Builder::new();
    b.max_threads = loom::MAX_THREADS;
    b.max_branches = s.bounds.loom_max_branches;
    b.preemption_bound = preemption_bound;
    b.max_permutations = None;
    b.max_duration = None;
    b.checkpoint_file = None;
    b.checkpoint_interval = usize::MAX;
    b.location = false;
    b.log = false;
    b.expect_explicit_explore = false;
    b
}

fn run_builder(s: &'static Scenario, b: &Builder, keep_last: bool) -> (Stats, Option<Failed>) {
    let stats: SharedStats = stats_for(s, "loom", keep_last);
    let st = stats.clone();
    let result = quietly(|| catch_unwind(AssertUnwindSafe(|| b.check(move || execution(s, &st)))));
    let failed = result.err().map(|payload| failure_after_panic(&*payload));
    let stats = std::mem::take(&mut *stats.lock().unwrap());
    (stats, failed)
}

fn temp_file(tag: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("kmodel-{tag}-{}-{n}.json", std::process::id()))
}

/// Explore every execution (up to the preemption bound). On a failure, explore again up to
/// the failing iteration with loom's checkpoint written just before it, so the trace can
/// carry loom's own replay handle (checkers.md §1.6: the path is stored at the start of
/// iteration `i` when `i % checkpoint_interval == 0`).
pub(crate) fn explore(
    s: &'static Scenario,
    preemption_bound: Option<usize>,
) -> (Stats, Option<Failed>, Option<String>, f64) {
    // The seconds returned are those of the exploration proper, without the capture run.
    let start = std::time::Instant::now();
    super::graphs::start();
    let (stats, failed) = run_builder(s, &builder(s, preemption_bound), false);
    super::graphs::finish(&s.id());
    let seconds = start.elapsed().as_secs_f64();
    let Some(failed) = failed else {
        return (stats, None, None, seconds);
    };
    let n = stats.executions as usize;
    let file = temp_file("capture");
    let mut b = builder(s, preemption_bound);
    b.checkpoint_file = Some(file.clone());
    b.checkpoint_interval = n.max(1);
    let (_, again) = run_builder(s, &b, false);
    let checkpoint = std::fs::read_to_string(&file).ok();
    let _ = std::fs::remove_file(&file);
    // The checkpoint is kept only if the capture run failed identically.
    let checkpoint = checkpoint.filter(|_| again.is_some_and(|a| a.events == failed.events));
    (stats, Some(failed), checkpoint, seconds)
}

/// Run exactly the execution the checkpoint describes (checkers.md §1.6: interval 1 and
/// `max_permutations = 2` run one execution; loom rewrites the file, so it runs on a copy).
pub(crate) fn replay(
    s: &'static Scenario,
    checkpoint: &str,
) -> std::io::Result<(Stats, Option<Failed>)> {
    let file = temp_file("replay");
    std::fs::write(&file, checkpoint)?;
    let mut b = builder(s, None);
    b.checkpoint_file = Some(file.clone());
    b.checkpoint_interval = 1;
    b.max_permutations = Some(2);
    let r = run_builder(s, &b, true);
    let _ = std::fs::remove_file(&file);
    Ok(r)
}

/// A ghost access of the running step (an access of a recorded event, or a touch): loom
/// races it with other threads' conflicting ghost accesses and keeps a thread awake in its
/// sleep sets whose step conflicts with it (vendor/loom/KMODEL-PATCH.md, "Object sleep sets
/// with kmodel's ghost accesses").
pub(crate) fn ghost_access(a: crate::dpor::Access) {
    loom::kmodel_ghost::access(a.loc, a.kind.writes());
}

/// Whether loom uses the ghost accesses of lists and lock-guarded fields (`touch`) and of
/// `kzalloc`ed objects' liveness (`touch_live`, `touch_free`): by default, as DPOR races
/// (unless `LOOM_KMODEL_NO_GHOST=1`).
pub(crate) fn ghost_hook() -> bool {
    loom::kmodel_ghost::enabled()
}

/// Whether loom uses every access kmodel records (events and liveness checks too): with its
/// object sleep sets (the default); with `LOOM_KMODEL_NO_SLEEP_OBJECTS=1` they are not
/// computed at all.
pub(crate) fn ghost_hook_all() -> bool {
    loom::kmodel_ghost::all_accesses()
}

/// The invariant a loom panic message reports, if it is one of loom's own findings (its
/// messages, as loom words them: vendor/loom/src/rt).
pub(crate) fn classify_panic_message(msg: &str) -> Option<&'static Invariant> {
    if msg.contains("Causality violation") {
        Some(&crate::invariant::DATA_RACE)
    } else if msg.contains("deadlock") {
        Some(&crate::invariant::DEADLOCK)
    } else if msg.contains("maximum number of branches") {
        Some(&crate::invariant::LIVELOCK)
    } else {
        None
    }
}
