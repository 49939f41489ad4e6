//! Model of lockdep's lock-order validation (kernel/locking/lockdep.c,
//! Documentation/locking/lockdep-design.rst).
//!
//! Every lock belongs to a class: its container's kind and its field (`gem.resv`,
//! `vm.extobj.lock`), as lockdep keys a lock by where it is initialised. Whenever a CPU takes
//! a lock while holding others, an edge `held -> new` is added to the execution's class graph
//! (a petgraph `DiGraphMap`). If the new lock's class already reaches a held class, the
//! execution has seen both orders: [`LOCK_ORDER`] reports the possible circular locking
//! dependency with both chains, before the CPU blocks, whether or not this interleaving
//! deadlocks. Taking two locks of the same class nested is allowed: that is what a ww_mutex
//! acquire context does for dma_resv.
//!
//! `MODEL:` the graph is per execution (lockdep's is per boot), so that a report replays from
//! its own trace. An inversion shows in any execution where both orders happen, and the
//! explorer visits those executions.

use petgraph::graphmap::DiGraphMap;

use crate::invariant::Invariant;
use crate::rt::{self, Tid};
use crate::trace::thread_name;

/// Possible circular locking dependency.
pub const LOCK_ORDER: Invariant = Invariant::new(
    "LOCK_ORDER",
    "locks are always taken in one order per pair of lock classes (no possible circular locking dependency, as lockdep checks)",
);

/// The class of a lock named `owner#n.field`: `owner.field`.
pub(crate) fn class_of(name: &str) -> String {
    match name.split_once('.') {
        Some((owner, field)) => format!("{}.{field}", owner.split('#').next().unwrap_or(owner)),
        None => name.split('#').next().unwrap_or(name).to_string(),
    }
}

/// Where an edge was first seen.
#[derive(Clone, Debug)]
struct Seen {
    tid: Tid,
    step: usize,
    held: String,
    taken: String,
}

/// The execution's lock-class graph and each CPU's held locks.
#[derive(Default)]
pub(crate) struct Lockdep {
    classes: Vec<String>,
    graph: DiGraphMap<usize, ()>,
    seen: std::collections::HashMap<(usize, usize), Seen>,
    /// Per thread: the locks held, by (class index, lock name), in acquisition order.
    held: Vec<Vec<(usize, String)>>,
    /// Per thread: the lock it is about to block on.
    pub(crate) waiting: Vec<Option<String>>,
}

impl Lockdep {
    fn class(&mut self, name: &str) -> usize {
        let c = class_of(name);
        match self.classes.iter().position(|x| *x == c) {
            Some(i) => i,
            None => {
                self.classes.push(c);
                self.classes.len() - 1
            }
        }
    }

    fn held_mut(&mut self, tid: Tid) -> &mut Vec<(usize, String)> {
        if self.held.len() <= tid {
            self.held.resize(tid + 1, Vec::new());
        }
        &mut self.held[tid]
    }

    /// Who waits for what, holding what: the blocked CPUs of a deadlock.
    pub(crate) fn blocked(&self) -> String {
        let mut out = Vec::new();
        for (tid, w) in self.waiting.iter().enumerate() {
            if let Some(lock) = w {
                let held = self.held_by(tid);
                out.push(format!(
                    "{} waits for {lock} holding [{}]",
                    thread_name(tid),
                    held.join(", ")
                ));
            }
        }
        out.join("; ")
    }

    /// The locks `tid` holds, by name.
    pub(crate) fn held_by(&self, tid: Tid) -> Vec<String> {
        self.held
            .get(tid)
            .map(|h| h.iter().map(|(_, n)| n.clone()).collect())
            .unwrap_or_default()
    }

    /// `tid` is about to take `name` (at `step`): add the edges and return the report of a
    /// cycle, if one closes.
    fn acquire(&mut self, tid: Tid, name: &str, step: usize) -> Option<String> {
        let new = self.class(name);
        if self.waiting.len() <= tid {
            self.waiting.resize(tid + 1, None);
        }
        self.waiting[tid] = Some(name.to_string());
        let held: Vec<(usize, String)> = self.held_mut(tid).clone();
        let mut report = None;
        for (h, hname) in held {
            if h == new || self.graph.contains_edge(h, new) {
                continue;
            }
            if report.is_none() {
                if let Some((_, path)) =
                    petgraph::algo::astar(&self.graph, new, |n| n == h, |_| 1, |_| 0)
                {
                    report = Some(self.describe(tid, &hname, name, &path));
                }
            }
            self.graph.add_edge(h, new, ());
            self.seen.insert(
                (h, new),
                Seen {
                    tid,
                    step,
                    held: hname.clone(),
                    taken: name.to_string(),
                },
            );
        }
        report
    }

    fn describe(&self, tid: Tid, held: &str, taking: &str, path: &[usize]) -> String {
        let chain: Vec<String> = path
            .windows(2)
            .map(|w| {
                let s = &self.seen[&(w[0], w[1])];
                format!(
                    "{} took {} while holding {} at step {}",
                    thread_name(s.tid),
                    s.taken,
                    s.held,
                    s.step
                )
            })
            .collect();
        format!(
            "possible circular locking dependency: {} takes {taking} ({}) while holding {held} ({}); earlier {}",
            thread_name(tid),
            class_of(taking),
            class_of(held),
            chain.join(", then ")
        )
    }

    fn acquired(&mut self, tid: Tid, name: &str) {
        let c = self.class(name);
        if let Some(slot) = self.waiting.get_mut(tid) {
            *slot = None;
        }
        self.held_mut(tid).push((c, name.to_string()));
    }

    fn released(&mut self, tid: Tid, name: &str) {
        let h = self.held_mut(tid);
        if let Some(i) = h.iter().rposition(|(_, n)| n == name) {
            h.remove(i);
        }
    }
}

/// Before blocking on `name`: lock-order validation.
pub(crate) fn lock_acquire(name: &str) {
    if !rt::active() {
        return;
    }
    let tid = rt::current_tid();
    let report = rt::with(|w| {
        let step = w.events.len() + 1;
        w.lockdep.acquire(tid, name, step)
    });
    if let Some(msg) = report {
        rt::report(&LOCK_ORDER, msg);
    }
}

/// After the lock was taken (or a trylock failed: `taken == false`).
pub(crate) fn lock_acquired(name: &str, taken: bool) {
    if !rt::active() {
        return;
    }
    let tid = rt::current_tid();
    rt::with(|w| {
        if taken {
            w.lockdep.acquired(tid, name)
        } else if let Some(slot) = w.lockdep.waiting.get_mut(tid) {
            *slot = None;
        }
    });
}

/// After the lock was released.
pub(crate) fn lock_release(name: &str) {
    if !rt::active() {
        return;
    }
    let tid = rt::current_tid();
    rt::with(|w| w.lockdep.released(tid, name));
}
