//! kmodel patch: a measurement, not a behaviour. With `LOOM_KMODEL_DISTINCT=1` in the
//! environment, loom records each execution's committed operations and prints, when the
//! exploration completes, how many executions it ran, how many distinct *visible schedules*
//! they had (the global sequence of committed operations with the store each load or RMW
//! read, and, since KMODEL-PATCH.md "A SeqCst fence is dependent on SeqCst fences only",
//! each `fence(SeqCst)` and each ghost access kmodel reports, whose orders are dependences
//! loom explores) and how many distinct *execution graphs* (per thread, its committed operations in
//! program order with the store each read; per object, the order of its non-load operations:
//! po, rf and mo). Two executions with the same graph are the same execution for every
//! property kmodel checks; two with the same visible schedule are the same run twice.
//!
//! The store a load reads is loom's history slot (`MAX_ATOMIC_HISTORY` = 7 slots, reused
//! modulo 7): with more than 7 stores to one atomic, two graphs may alias (the count is then
//! a lower bound). Object identities are loom's object-store indices, which depend on the
//! order objects are created: the same graph created in another order counts twice (an upper
//! bound). Neither changes between two loom builds that create objects and stores the same
//! way, which is what a before/after comparison needs.

use crate::rt::object::{Action, Operation};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

#[derive(Debug, Default)]
pub(super) struct Distinct {
    /// The current execution's committed operations, in execution order.
    events: Vec<Event>,
    executions: u64,
    schedules: HashSet<u64>,
    graphs: HashSet<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    thread: usize,
    /// Hash of the object reference (loom's object-store index).
    obj: u64,
    /// Hash of the action (`Atomic(Load)`, `Opaque`, ...).
    action: u64,
    is_load: bool,
    /// The history slot a load or RMW read.
    rf: Option<usize>,
    /// kmodel patch: a `fence(SeqCst)` or a ghost access (`kmodel_ghost`): in the visible
    /// schedule, not in the graph (its order against other threads' fences or ghost accesses
    /// is a dependence loom explores, not a po/rf/mo edge).
    extra: bool,
}

/// Feeds `Debug` output straight into a hasher (no allocation).
struct HashWriter<'a>(&'a mut DefaultHasher);

impl std::fmt::Write for HashWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        s.hash(self.0);
        Ok(())
    }
}

fn hash_debug(v: &impl std::fmt::Debug) -> u64 {
    let mut h = DefaultHasher::new();
    let _ = write!(HashWriter(&mut h), "{:?}", v);
    h.finish()
}

impl Distinct {
    /// `Some` when `LOOM_KMODEL_DISTINCT` is set to anything but `0`.
    pub(super) fn from_env() -> Option<Box<Distinct>> {
        match std::env::var("LOOM_KMODEL_DISTINCT") {
            Ok(v) if v != "0" => Some(Box::default()),
            _ => None,
        }
    }

    /// `thread` is about to perform `op` (committed by the scheduler).
    /// `name` is the object's creating thread and rank (`object::Store::creator_of`), not its
    /// creation index, so that one graph has one key whatever the order in which threads
    /// created objects.
    pub(super) fn commit(&mut self, thread: usize, op: &Operation, name: (usize, usize)) {
        let action = op.action();
        // `LOOM_KMODEL_DUMP=file`: the first executions' operations, one per line (debugging).
        if let Some(file) = std::env::var_os("LOOM_KMODEL_DUMP") {
            if self.executions < 3 {
                use std::io::Write as _;
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(file)
                {
                    let _ = writeln!(
                        f,
                        "{} t{thread} {:?} {:?}",
                        self.executions,
                        op.object(),
                        action
                    );
                }
            }
        }
        self.events.push(Event {
            thread,
            obj: hash_debug(&name),
            action: hash_debug(&action),
            is_load: action == Action::Atomic(crate::rt::atomic::Action::Load),
            rf: None,
            extra: false,
        });
    }

    /// kmodel patch: the step of `thread` that ends now made these ghost accesses.
    pub(super) fn ghost(&mut self, thread: usize, accesses: &[(u64, bool)]) {
        for &(loc, write) in accesses {
            self.events.push(Event {
                thread,
                obj: loc,
                action: write as u64,
                is_load: false,
                rf: None,
                extra: true,
            });
        }
    }

    /// kmodel patch: `thread` ran a `fence(SeqCst)`.
    pub(super) fn fence(&mut self, thread: usize) {
        self.events.push(Event {
            thread,
            obj: u64::MAX,
            action: u64::MAX,
            is_load: false,
            rf: None,
            extra: true,
        });
    }

    /// The last committed operation (a load or RMW) reads history slot `slot`.
    pub(super) fn read(&mut self, slot: usize) {
        if let Some(e) = self.events.iter_mut().rev().find(|e| !e.extra) {
            e.rf = Some(slot);
        }
    }

    /// The execution is over: hash it and start the next one.
    pub(super) fn finish_execution(&mut self) {
        self.executions += 1;

        let mut schedule = DefaultHasher::new();
        for e in &self.events {
            (e.thread, e.obj, e.action, e.rf).hash(&mut schedule);
        }
        self.schedules.insert(schedule.finish());

        // po + rf: each thread's operations in program order; mo: each object's non-load
        // operations (stores, RMWs, lock operations) in the order loom performed them, named
        // by (thread, index in that thread's program order).
        //
        // kmodel patch: objects are renamed by their first use in thread order (thread 0's
        // operations in program order, then thread 1's, ...), a name that depends only on
        // the graph: loom's creation index, or even the creating thread, depends on the
        // interleaving wherever a model creates a loom object on first use, and counted one
        // graph as several.
        let mut per_thread: Vec<Vec<(u64, u64, Option<usize>)>> = Vec::new();
        for e in self.events.iter().filter(|e| !e.extra) {
            if per_thread.len() <= e.thread {
                per_thread.resize(e.thread + 1, Vec::new());
            }
            per_thread[e.thread].push((e.obj, e.action, e.rf));
        }
        let mut names: HashMap<u64, u64> = HashMap::new();
        for ops in &mut per_thread {
            for op in ops.iter_mut() {
                let next = names.len() as u64;
                op.0 = *names.entry(op.0).or_insert(next);
            }
        }
        let mut per_obj: HashMap<u64, Vec<(usize, usize)>> = HashMap::new();
        let mut index = vec![0usize; per_thread.len()];
        for e in self.events.iter().filter(|e| !e.extra) {
            let i = index[e.thread];
            index[e.thread] += 1;
            if !e.is_load {
                per_obj
                    .entry(per_thread[e.thread][i].0)
                    .or_default()
                    .push((e.thread, i));
            }
        }
        let mut objs: Vec<_> = per_obj.into_iter().collect();
        objs.sort_unstable();
        let mut graph = DefaultHasher::new();
        per_thread.hash(&mut graph);
        objs.hash(&mut graph);
        self.graphs.insert(graph.finish());

        self.events.clear();
    }

    /// Reported once, when the exploration completes: on stderr for `LOOM_KMODEL_DISTINCT=1`,
    /// else appended to the file the variable names (kmodel silences stderr while exploring).
    pub(super) fn report(&self) {
        let line = format!(
            "loom distinct: {} executions, {} distinct visible schedules, {} distinct execution graphs",
            self.executions,
            self.schedules.len(),
            self.graphs.len()
        );
        match std::env::var("LOOM_KMODEL_DISTINCT") {
            Ok(v) if v != "1" => {
                use std::io::Write as _;
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&v)
                {
                    let _ = writeln!(f, "{line}");
                }
            }
            _ => eprintln!("{line}"),
        }
    }
}
