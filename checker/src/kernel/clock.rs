//! The ghost clock: stamps for linearizability histories and windows, ordered by every
//! explorer.
//!
//! A model judges a reader's result against the states its ghost history had between the
//! reader's start and end stamps (`dma_fence_rcu`'s `IDLE_LINEARIZABLE`): the writer stamps
//! each update of the history with [`ghost_update`] / [`ClockUpdate::stamp`], the reader reads
//! the clock with [`ghost_now`]. The clock's value is the number of stamped updates so far.
//!
//! Whether an update's stamp falls inside a reader's window is a fact about the order of two
//! steps that nothing else need order (the writer's store and the reader's first or last
//! load are often independent), so every explorer must see the clock as shared state, or it
//! explores one order only (`litmus/probe-ghost-clock-window`: loom and dpor verified it, in
//! 12 and 2 executions, before the clock was shared):
//!
//! - **shuttle, dpor.** A reading and a stamp are recorded events on the object `clock`
//!   (`ghost_now clock = N`, `ghost_stamp clock = N`), both writes of it for the dpor
//!   explorer's footprints (`checker/src/dpor/footprint.rs`), as under loom both are RMWs of
//!   one word, so dpor explores both orders of every stamp and every reading. A reading is a
//!   scheduling point, just before it is taken, as it is under loom (`LoomWord::
//!   fetch_add_point`): every explorer can run another CPU between a reader's previous step
//!   and its reading, so every explorer sees the same windows, and a counterexample loom
//!   finds with a CPU preempted there replays under shuttle (`litmus/probe-ghost-clock-window`,
//!   tests/replay_fidelity.rs). A stamp is not a scheduling point: it is taken right after
//!   the update's last store, in the same step (rule 5 of docs/architecture.md's soundness
//!   section), so no CPU can run between the store and its stamp.
//! - **loom.** Every loom operation is a scheduling point, so a stamp after the store would
//!   open a window (store, other CPU's reading, stamp) that shows a reader an update its
//!   history does not have yet. The update is therefore bracketed: [`ghost_update`] (just
//!   before the update's last store) and [`ClockUpdate::stamp`] (just after it) are each an
//!   RMW of one loom word per execution, and so is every [`ghost_now`]. loom explores every
//!   order of RMWs on one word, so every order of readings and brackets is run. An execution
//!   in which a reading falls inside another CPU's bracket, or two brackets overlap, is
//!   *ambiguous* (the reading cannot tell whether the store came before it) and a model does
//!   not judge it ([`ghost_clock_exact`]). That loses nothing: for every interleaving of the
//!   kernel operations there is one in which each bracket's RMWs run right before and right
//!   after its store (they touch only the clock word and commute with every other CPU's
//!   operation on anything else), and that interleaving's order of the clock RMWs is one loom
//!   explores; its judgment is exact.
//!
//! The value a reading returns is the number of stamps before it in the clock word's
//! modification order, so under loom it is a function of loom's execution graph (the
//! `KMODEL_CHECK_GRAPHS` check sees it as part of the observation).

use crate::rt::{self, Tid};
use crate::sync::atomic::Ordering;
use crate::sync::LoomWord;

/// The clock of one execution (part of `rt::World`).
pub(crate) struct ClockWorld {
    /// Stamped updates so far.
    count: usize,
    /// CPUs inside a bracket ([`ghost_update`] taken, not stamped yet); loom only.
    open: Vec<Tid>,
    /// A reading fell inside another CPU's bracket, or two brackets overlapped (loom only).
    ambiguous: bool,
    /// The loom word every clock operation is an RMW of.
    word: LoomWord,
}

impl ClockWorld {
    /// Made when the execution begins, on its main thread: loom orders a word's creation
    /// before every access to it, which a word made by the first CPU to read the clock would
    /// not be.
    pub(crate) fn new() -> ClockWorld {
        ClockWorld {
            count: 0,
            open: Vec::new(),
            ambiguous: false,
            word: LoomWord::new(0),
        }
    }

    fn word(&self) -> LoomWord {
        self.word.clone()
    }
}

/// An RMW of the clock's loom word (nothing under shuttle), outside any borrow of the world.
fn tick() {
    let word = rt::with(|w| w.clock.word());
    word.fetch_add(1, Ordering::SeqCst);
}

/// Read the ghost clock (a reader's start or end stamp): the number of updates stamped so
/// far. Recorded as a step (`ghost_now clock = N`); a scheduling point under every explorer,
/// before the reading: an RMW of the clock word under loom, a scheduling point with no
/// access under shuttle (the reading is the event's ghost state, taken after it).
pub fn ghost_now() -> usize {
    if !rt::active() {
        return 0;
    }
    let word = rt::with(|w| w.clock.word());
    word.fetch_add_point(1, Ordering::SeqCst);
    let tid = rt::current_tid();
    rt::with(|w| {
        if w.clock.open.iter().any(|&t| t != tid) {
            w.clock.ambiguous = true;
        }
        let now = w.clock.count;
        w.push_event(tid, "ghost_now", "clock", now.to_string());
        now
    })
}

/// Open a stamped update of a ghost history: call it on the line before the update's last
/// store, and [`ClockUpdate::stamp`] right after that store (nothing else in between). Under
/// loom an RMW of the clock word; nothing under shuttle.
pub fn ghost_update() -> ClockUpdate {
    let tid = rt::current_tid();
    if rt::active() && crate::sync::DPOR_WORDS {
        tick();
        rt::with(|w| {
            if !w.clock.open.is_empty() {
                w.clock.ambiguous = true;
            }
            w.clock.open.push(tid);
        });
    }
    ClockUpdate { tid, open: true }
}

/// An update opened by [`ghost_update`]: stamp it, or drop it if the store did not happen
/// (dropping closes the bracket with the same RMW, without a stamp).
#[must_use = "stamp the update right after its store"]
pub struct ClockUpdate {
    tid: Tid,
    open: bool,
}

impl ClockUpdate {
    /// Close the update and return its stamp: the clock's value from which the new state is
    /// in force. Recorded as a step (`ghost_stamp clock = N`); not a scheduling point under
    /// shuttle, an RMW of the clock word under loom.
    pub fn stamp(mut self) -> usize {
        self.open = false;
        if !rt::active() {
            return 0;
        }
        self.close();
        let tid = self.tid;
        rt::with(|w| {
            w.clock.count += 1;
            let now = w.clock.count;
            w.push_event(tid, "ghost_stamp", "clock", now.to_string());
            now
        })
    }

    fn close(&self) {
        if !crate::sync::DPOR_WORDS {
            return;
        }
        if !std::thread::panicking() {
            tick();
        }
        let tid = self.tid;
        rt::with(|w| {
            if let Some(i) = w.clock.open.iter().position(|&t| t == tid) {
                w.clock.open.remove(i);
            }
        });
    }
}

impl Drop for ClockUpdate {
    fn drop(&mut self) {
        if self.open && rt::active() {
            self.close();
        }
    }
}

/// Whether this execution's clock readings are exact: false under loom when a reading fell
/// inside another CPU's bracket or two brackets overlapped (see the module documentation). A
/// linearizability check on clock stamps judges only exact executions; every interleaving of
/// the kernel operations has an exact counterpart that loom explores.
pub fn ghost_clock_exact() -> bool {
    !rt::active() || rt::with(|w| !w.clock.ambiguous)
}
