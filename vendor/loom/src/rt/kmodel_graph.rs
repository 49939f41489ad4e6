//! kmodel: patch. A record of the execution graph loom explored, for kmodel's
//! `KMODEL_CHECK_GRAPHS` debug mode (see vendor/loom/KMODEL-PATCH.md). Off unless enabled;
//! when off, each hook is one thread-local flag read.
//!
//! Per thread, in program order, every operation on a loom object: the object, the action,
//! and an ordinal. For an atomic load, the ordinal is the position in the atomic's
//! modification order of the store it read (reads-from); for an atomic store or RMW, the
//! position of the store it made (coherence); for any other object (mutex, rwlock, condvar,
//! notify, arc), the position of the operation among that object's operations as they were
//! executed (a lock's acquisition order). Two executions with the same record have the same
//! execution graph.
//!
//! And, in the same per-thread sequence, every ghost access kmodel reports to loom
//! (`kmodel_ghost::access`, which loom races as DPOR dependencies): the location, whether it
//! is a write, and an ordinal: for a write, its position among the location's ghost writes;
//! for a read, the number of writes of the location before it (the write it follows). Ghost
//! state lives in one OS thread, so it is sequentially consistent: that is its reads-from and
//! coherence, which loom's DPOR explores as it explores an atomic's.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// One entry of a thread's record.
#[derive(Hash)]
enum Entry {
    /// An operation on a loom object: (object, action, ordinal).
    Op(usize, u64, u64),
    /// A ghost access: (location, write, ordinal).
    Ghost(u64, bool, u64),
}

#[derive(Default)]
struct Graph {
    /// Per thread: its entries in program order.
    threads: Vec<Vec<Entry>>,
    /// Per thread: the operation announced at its last branch, not yet executed.
    pending: Vec<Option<(usize, u64)>>,
    /// Per object: operations executed so far.
    counts: HashMap<usize, u64>,
    /// Per ghost location: writes executed so far.
    ghost_writes: HashMap<u64, u64>,
}

impl Graph {
    fn thread(&mut self, thread: usize) -> &mut Vec<Entry> {
        if self.threads.len() <= thread {
            self.threads.resize_with(thread + 1, Vec::new);
        }
        &mut self.threads[thread]
    }
}

std::thread_local! {
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static GRAPH: RefCell<Graph> = RefCell::new(Graph::default());
}

/// Turn recording on or off (for this OS thread, which runs every model thread).
pub fn set_enabled(on: bool) {
    ENABLED.with(|e| e.set(on));
}

/// Forget the record: call at the start of each execution.
pub fn reset() {
    GRAPH.with(|g| *g.borrow_mut() = Graph::default());
}

/// A hash of the record so far (the execution graph's key).
pub fn key() -> u64 {
    GRAPH.with(|g| {
        let mut h = DefaultHasher::new();
        g.borrow().threads.hash(&mut h);
        h.finish()
    })
}

pub(crate) fn enabled() -> bool {
    ENABLED.with(|e| e.get())
}

/// A thread announced its next operation (at its branch point).
pub(crate) fn announce(thread: usize, obj: usize, action: &dyn std::fmt::Debug) {
    if !enabled() {
        return;
    }
    let mut h = DefaultHasher::new();
    format!("{action:?}").hash(&mut h);
    let a = h.finish();
    GRAPH.with(|g| {
        let mut g = g.borrow_mut();
        if g.pending.len() <= thread {
            g.pending.resize(thread + 1, None);
        }
        g.pending[thread] = Some((obj, a));
    });
}

/// The thread was scheduled again: its announced operation runs now.
pub(crate) fn executed(thread: usize) {
    if !enabled() {
        return;
    }
    GRAPH.with(|g| {
        let mut g = g.borrow_mut();
        let Some(Some((obj, a))) = g.pending.get_mut(thread).map(|p| p.take()) else {
            return;
        };
        let n = {
            let c = g.counts.entry(obj).or_insert(0);
            *c += 1;
            *c - 1
        };
        g.thread(thread).push(Entry::Op(obj, a, n));
    });
}

std::thread_local! {
    /// Whether kmodel's ghost accesses are part of the key (they are unless a test turns
    /// them off, to show what the check reports when the key ignores an order loom explores).
    static GHOST_IN_KEY: Cell<bool> = const { Cell::new(true) };
}

/// Keep kmodel's ghost accesses out of the key (`false`) or in it (`true`, the default): a
/// calibration of the check, which must then report the executions that differ only in the
/// order of ghost accesses (tests/graph_check.rs in kmodel).
pub fn set_ghost_in_key(on: bool) {
    GHOST_IN_KEY.with(|g| g.set(on));
}

/// The step of `thread` that ends now made these ghost accesses (location, write), in order
/// (`Execution::schedule`, the accesses loom races).
pub(crate) fn ghost(thread: usize, accesses: &[(u64, bool)]) {
    if accesses.is_empty() || !enabled() || !GHOST_IN_KEY.with(|g| g.get()) {
        return;
    }
    GRAPH.with(|g| {
        let mut g = g.borrow_mut();
        for &(loc, write) in accesses {
            let w = g.ghost_writes.entry(loc).or_insert(0);
            let ordinal = *w;
            if write {
                *w += 1;
            }
            g.thread(thread).push(Entry::Ghost(loc, write, ordinal));
        }
    });
}

/// Marks the ordinal of a failed RMW (the store it read), apart from the ordinal of the
/// store a successful RMW made: the action (`Rmw`) is the same for both.
pub(crate) const FAILED_RMW: u64 = 1 << 62;

/// The atomic operation the thread just executed read or made the store with this position
/// in the atomic's modification order: replaces the execution-order ordinal.
pub(crate) fn atomic_ordinal(thread: usize, ordinal: u64) {
    if !enabled() {
        return;
    }
    GRAPH.with(|g| {
        let mut g = g.borrow_mut();
        if let Some(Entry::Op(_, _, last)) = g.threads.get_mut(thread).and_then(|t| t.last_mut())
        {
            *last = ordinal | (1 << 63);
        }
    });
}
