//! kmodel: patch. The ghost accesses of a step: which locations of kmodel's ghost state (its
//! lists, slab liveness, RCU bookkeeping, lock ownership, the ghost clock; anything kmodel
//! records as an event or a touch) a step read or wrote. They are DPOR races ([`Races`]) and
//! part of the sleep sets' dependence (`Path::branch_thread`): every access, with the object
//! sleep sets (the default since KMODEL-PATCH.md "A race with a yielded thread"; "Object sleep
//! sets with kmodel's ghost accesses"); with `LOOM_KMODEL_NO_SLEEP_OBJECTS=1`, those of ghost
//! state no loom operation stands for and the liveness checks ("Ghost races by default").
//!
//! kmodel calls [`access`] for the accesses of its dependency relation (the one its
//! distinct-trace count and its dpor explorer use), as the access happens. loom gathers them
//! per step (between two scheduling branches) and stores each thread's footprint in the
//! branch where the step was taken (`Schedule::ghost`). A footprint is a Bloom filter: two
//! bit sets of 256 bits (reads, writes), one bit per location. A false positive only makes
//! two steps dependent (less pruning), never independent.

use crate::rt::{thread, VersionVec};
use std::collections::HashMap;

/// The ghost accesses of one step (or the union of several: every step a thread took from
/// one branch, over every execution that took it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "checkpoint", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Footprint {
    reads: [u64; 4],
    writes: [u64; 4],
}

impl Footprint {
    fn bit(loc: u64) -> (usize, u64) {
        let h = (loc ^ (loc >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56;
        ((h >> 6) as usize, 1 << (h & 63))
    }

    fn add(&mut self, loc: u64, write: bool) {
        let (i, b) = Self::bit(loc);
        if write {
            self.writes[i] |= b;
        } else {
            self.reads[i] |= b;
        }
    }

    /// Both footprints' accesses.
    pub(crate) fn union(&mut self, other: &Footprint) {
        for i in 0..4 {
            self.reads[i] |= other.reads[i];
            self.writes[i] |= other.writes[i];
        }
    }

    /// Whether the two steps must be ordered: a location one writes and the other touches.
    pub(crate) fn conflicts(&self, other: &Footprint) -> bool {
        (0..4).any(|i| {
            self.writes[i] & (other.reads[i] | other.writes[i]) | self.reads[i] & other.writes[i]
                != 0
        })
    }
}

/// The ghost accesses of the running step, in order: (location, write).
#[derive(Default)]
pub(crate) struct Step {
    pub(crate) accesses: Vec<(u64, bool)>,
    pub(crate) footprint: Footprint,
}

std::thread_local! {
    static STEP: std::cell::RefCell<Step> = std::cell::RefCell::new(Step::default());
}

/// kmodel: the running step reads (`write == false`) or writes the ghost location `loc` (a
/// hash of its name).
pub fn access(loc: u64, write: bool) {
    STEP.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.accesses.push((loc, write));
            s.footprint.add(loc, write);
        }
    });
}

/// The accesses gathered since the last call (the step that ends now).
pub(crate) fn take() -> Step {
    STEP.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// One earlier ghost access, for the races of later ones: the scheduling branch where its
/// step was taken, its thread, and that thread's DPOR clock after the step.
#[derive(Clone, Copy, Debug)]
struct Earlier {
    point: usize,
    thread: usize,
    vv: VersionVec,
}

/// Per ghost location, the accesses a later access may race with: the last write, and the
/// reads since it.
#[derive(Default, Debug)]
struct Loc {
    write: Option<Earlier>,
    reads: Vec<Earlier>,
}

/// DPOR over ghost locations (`Execution::schedule`): each step's ghost accesses race, as
/// loom's own operations do, with the earlier conflicting accesses of other threads that do
/// not happen before it, and each race is a backtrack point (Flanagan and Godefroid,
/// POPL'05), so loom explores both orders of two conflicting ghost accesses.
#[derive(Default, Debug)]
pub(crate) struct Races {
    locs: HashMap<u64, Loc>,
}

impl Races {
    pub(crate) fn clear(&mut self) {
        self.locs.clear();
    }

    /// The step taken at the branch `point` by `thread`, whose DPOR clock is `vv`, made the
    /// ghost accesses `accesses`. Calls `backtrack(p)` for each earlier branch `p` where
    /// `thread` must also be explored, and joins into `vv` the clocks of the accesses the
    /// step is ordered after (so that later races are judged with the step's dependencies),
    /// then records the step's own accesses.
    pub(crate) fn step(
        &mut self,
        point: usize,
        thread: thread::Id,
        vv: &mut VersionVec,
        accesses: &[(u64, bool)],
        mut backtrack: impl FnMut(usize),
    ) {
        if accesses.is_empty() {
            return;
        }
        // Each location once, as a write if the step writes it.
        let mut mine: Vec<(u64, bool)> = accesses.to_vec();
        mine.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        mine.dedup_by_key(|a| a.0);
        let me = thread.as_usize();
        let before = *vv;
        let mut joined = *vv;
        for &(loc, write) in &mine {
            if let Some(l) = self.locs.get(&loc) {
                let earlier = l.write.iter().chain(if write { &l.reads[..] } else { &[] });
                for e in earlier {
                    if e.thread == me {
                        continue;
                    }
                    if !(e.vv <= before) {
                        backtrack(e.point);
                    }
                    joined.join(&e.vv);
                }
            }
        }
        // A step of its own in the thread's clock, also for a step without a loom operation
        // (whose clock is otherwise that of the thread's last operation).
        joined.inc(thread);
        *vv = joined;
        let now = Earlier {
            point,
            thread: me,
            vv: *vv,
        };
        for &(loc, write) in &mine {
            let l = self.locs.entry(loc).or_default();
            if write {
                l.write = Some(now);
                l.reads.clear();
            } else {
                l.reads.retain(|e| e.thread != me);
                l.reads.push(now);
            }
        }
    }
}

/// Footprints for a path loaded from a checkpoint (which does not store them): every
/// location read and written, so they conflict with every step.
#[cfg(feature = "checkpoint")]
pub(crate) fn unknown_footprints() -> [Footprint; crate::rt::MAX_THREADS] {
    [Footprint {
        reads: [u64::MAX; 4],
        writes: [u64::MAX; 4],
    }; crate::rt::MAX_THREADS]
}

/// Whether the sleep sets treat operations on different objects as independent: by default
/// (KMODEL-PATCH.md, "A race with a yielded thread", which made them lose no execution graph),
/// unless `LOOM_KMODEL_NO_SLEEP_OBJECTS=1` (only steps without a loom operation, to measure
/// before/after with one build).
pub(crate) fn sleep_objects() -> bool {
    static NO_OBJECTS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !*NO_OBJECTS.get_or_init(|| std::env::var_os("LOOM_KMODEL_NO_SLEEP_OBJECTS").is_some())
}

/// kmodel patch: the ghost location a `fence(SeqCst)` writes (KMODEL-PATCH.md, "A SeqCst
/// fence is dependent on SeqCst fences only"): loom's fences communicate through one global
/// clock (`thread::Set::seq_cst_fence`), so two steps that each run one are dependent, and a
/// step that runs one is independent of a step that runs none (as far as the fence goes).
pub(crate) const SC_FENCE: u64 = 0x5343_2d46_454e_4345; // "SC-FENCE"

/// kmodel patch: whether a `fence(SeqCst)` is a ghost write of [`SC_FENCE`] (a DPOR race with
/// every other thread's SeqCst fence, and a conflict in the sleep sets' footprints) instead of
/// emptying the next sleep set: by default, with the ghost accesses, unless
/// `LOOM_KMODEL_NO_FENCE_RACES=1` (to measure before/after with one build).
pub(crate) fn fence_races() -> bool {
    static NO: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    used() && !*NO.get_or_init(|| std::env::var_os("LOOM_KMODEL_NO_FENCE_RACES").is_some())
}

/// kmodel: whether loom uses the ghost accesses it is told (so kmodel need not compute them
/// otherwise).
pub fn enabled() -> bool {
    used()
}

/// kmodel: whether loom wants every access of kmodel's dependency relation (with the object
/// sleep sets, the default), or only those of ghost state no loom operation stands for (lists
/// and lock-guarded fields: kmodel's `touch`; `LOOM_KMODEL_NO_SLEEP_OBJECTS=1`).
pub fn all_accesses() -> bool {
    used() && sleep_objects()
}

/// Whether ghost accesses take part in the exploration (races and sleep sets): by default
/// (kmodel then reports every access with the object sleep sets, else only the accesses of
/// ghost state no loom operation stands for), unless `LOOM_KMODEL_NO_GHOST=1` (to measure what they
/// cost and what they find).
pub(crate) fn used() -> bool {
    static NO_GHOST: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !*NO_GHOST.get_or_init(|| std::env::var_os("LOOM_KMODEL_NO_GHOST").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footprints_conflict_on_a_shared_written_location() {
        let mut a = Footprint::default();
        let mut b = Footprint::default();
        a.add(1, false);
        b.add(1, false);
        assert!(!a.conflicts(&b), "two reads commute");
        b.add(1, true);
        assert!(a.conflicts(&b) && b.conflicts(&a));
        let mut c = Footprint::default();
        c.add(2, true);
        assert!(!Footprint::default().conflicts(&c));
    }
}
