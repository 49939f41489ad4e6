//! `KMODEL_CHECK_GRAPHS=1`: a debug mode of the loom explorer that checks that no ghost state
//! hides an interleaving from loom.
//!
//! loom's DPOR explores one execution per execution graph (the operations on loom objects
//! per thread, with the store each load read and the order of the stores and of the lock
//! acquisitions, and the ghost accesses kmodel reports to loom as DPOR races (`rt::touch`:
//! list links, lock-guarded fields) with, per ghost location, the order of the writes and
//! the write each read follows; vendor/loom's `kmodel_graph` records it). Ghost state that changes with the
//! interleaving but not through a loom operation could make two executions with the same
//! graph differ in what a CPU observes; DPOR would then explore only one of them and might
//! prune the one that breaks an invariant. With this mode on, every completed execution
//! computes a key of its graph and a key of its observations (every CPU's kmodel events:
//! operation, object and result, in program order), and a graph seen with two different
//! observations is reported with both event logs' first difference. The summary
//! (executions, distinct graphs, graphs seen with two observations) is printed per scenario.
//!
//! A finer graph key only loses power, never raises a false report: loom object identities
//! are their creation indices, so two executions that create objects in different orders
//! count as different graphs even where the graphs agree.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::trace::Event;

#[derive(Default)]
struct Check {
    /// Between [`start`] and [`finish`]: the exploration proper (not the capture or replay
    /// runs that follow it, which loom does not record).
    active: bool,
    executions: u64,
    /// graph key -> (observation key, execution number)
    graphs: HashMap<u64, (u64, u64)>,
    /// observation key -> the events of the first execution that made it (bounded)
    examples: HashMap<u64, Vec<Event>>,
    conflicts: u64,
    reported: u64,
}

std::thread_local! {
    static CHECK: RefCell<Check> = RefCell::new(Check::default());
}

/// Where the report goes: `KMODEL_CHECK_GRAPHS=1` prints it on stdout (stderr is silenced
/// while loom explores); any other value but `0` names a file to append it to.
fn target() -> &'static Option<String> {
    static TARGET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    TARGET.get_or_init(|| {
        std::env::var("KMODEL_CHECK_GRAPHS")
            .ok()
            .filter(|v| !v.is_empty() && v != "0")
    })
}

std::thread_local! {
    /// Set by [`crate::explore::check_graphs`]: the check runs without the environment variable.
    static FORCED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the mode is on.
pub(crate) fn enabled() -> bool {
    target().is_some() || FORCED.with(|f| f.get())
}

/// Turn the check on for this OS thread whatever the environment says (for tests).
pub(crate) fn force(on: bool) {
    FORCED.with(|f| f.set(on));
}

/// Keep the order of kmodel's ghost accesses out of the graph key (`false`; for the check's
/// calibration) or in it (`true`, the default).
pub(crate) fn ghost_order_in_key(on: bool) {
    loom::kmodel_graph::set_ghost_in_key(on);
}

fn say(line: String) {
    match target().as_deref() {
        Some("1") => println!("{line}"),
        Some(path) => {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(f, "{line}");
            }
        }
        None => {}
    }
}

/// Before a scenario's exploration.
pub(crate) fn start() {
    if enabled() {
        CHECK.with(|c| {
            *c.borrow_mut() = Check {
                active: true,
                ..Check::default()
            }
        });
        loom::kmodel_graph::set_enabled(true);
    }
}

/// At the start of each execution.
pub(crate) fn begin_execution() {
    if enabled() {
        loom::kmodel_graph::reset();
    }
}

fn observations(events: &[Event]) -> u64 {
    let mut per_cpu: Vec<Vec<(&str, &str, &str)>> = Vec::new();
    for e in events {
        if per_cpu.len() <= e.tid {
            per_cpu.resize_with(e.tid + 1, Vec::new);
        }
        per_cpu[e.tid].push((&e.op, &e.obj, &e.result));
    }
    let mut h = DefaultHasher::new();
    per_cpu.hash(&mut h);
    h.finish()
}

fn first_difference(a: &[Event], b: &[Event]) -> String {
    let threads = a.iter().chain(b).map(|e| e.tid).max().unwrap_or(0);
    for t in 0..=threads {
        let ea: Vec<&Event> = a.iter().filter(|e| e.tid == t).collect();
        let eb: Vec<&Event> = b.iter().filter(|e| e.tid == t).collect();
        for i in 0..ea.len().max(eb.len()) {
            let show = |e: Option<&&Event>| {
                e.map(|e| format!("{}({}) = {}", e.op, e.obj, e.result))
                    .unwrap_or_else(|| "(nothing)".to_string())
            };
            let (x, y) = (ea.get(i), eb.get(i));
            if show(x) != show(y) {
                return format!(
                    "{} event {}: {} / {}",
                    crate::trace::thread_name(t),
                    i + 1,
                    show(x),
                    show(y)
                );
            }
        }
    }
    "no per-CPU difference".to_string()
}

/// At the end of a completed execution, with its events.
pub(crate) fn end_execution(scenario: &str, events: &[Event]) {
    if !enabled() {
        return;
    }
    let graph = loom::kmodel_graph::key();
    let obs = observations(events);
    CHECK.with(|c| {
        let mut c = c.borrow_mut();
        if !c.active {
            return;
        }
        c.executions += 1;
        let n = c.executions;
        if c.examples.len() < 10_000 {
            c.examples.entry(obs).or_insert_with(|| events.to_vec());
        }
        match c.graphs.get(&graph).copied() {
            None => {
                c.graphs.insert(graph, (obs, n));
            }
            Some((o, _)) if o == obs => {}
            Some((o, first)) => {
                c.conflicts += 1;
                if c.reported < 3 {
                    c.reported += 1;
                    let diff = c
                        .examples
                        .get(&o)
                        .map(|a| first_difference(a, events))
                        .unwrap_or_else(|| "(first log not kept)".to_string());
                    say(format!(
                        "graph check: {scenario}: executions {first} and {n} have the same loom execution graph but different observations: {diff}"
                    ));
                }
            }
        }
    });
}

/// What the check saw in one exploration: (executions, distinct graphs, executions whose
/// graph was seen with other observations).
pub(crate) type Summary = (u64, u64, u64);

std::thread_local! {
    static LAST: std::cell::Cell<Summary> = const { std::cell::Cell::new((0, 0, 0)) };
}

/// The summary of the last exploration checked on this OS thread.
pub(crate) fn last() -> Summary {
    LAST.with(|l| l.get())
}

/// After a scenario's exploration: the summary line.
pub(crate) fn finish(scenario: &str) {
    if !enabled() {
        return;
    }
    loom::kmodel_graph::set_enabled(false);
    CHECK.with(|c| {
        let mut c = c.borrow_mut();
        c.active = false;
        LAST.with(|l| l.set((c.executions, c.graphs.len() as u64, c.conflicts)));
        say(format!(
            "graph check: {scenario}: {} executions, {} distinct graphs, {} executions whose graph was seen with other observations{}",
            c.executions,
            c.graphs.len(),
            c.conflicts,
            if c.conflicts == 0 { "" } else { "  << GHOST STATE HID AN OBSERVATION" }
        ));
    });
}
