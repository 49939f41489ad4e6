//! Shrinking a counterexample before it is saved: among the interleavings that break the same
//! invariant, look for one with fewer context switches, so that the saved trace reads as the
//! race and not as the explorer's random walk.
//!
//! The shrinker works on traces that shuttle replays (found by random, PCT, DFS or DPOR, or
//! found by loom and reproduced by shuttle's sequentially consistent replay). It greedily
//! rearranges the trace's runs of steps (maximal stretches of one CPU): it lets a CPU run on
//! to the end of its recorded steps, pulls a CPU's next run up to its previous one, or pushes
//! a run down to the CPU's next one. Each candidate order is replayed by the trace-following
//! scheduler ([`crate::rt`]); the run it produces is kept when it breaks the same invariant
//! with fewer context switches (or as many and fewer steps), and only after a second replay
//! of the new trace reproduces it step for step, as `kmodel replay` will. The number of
//! replays is bounded ([`REPLAY_BUDGET`]).
//!
//! Traces that need loom's weak memory (`replay: loom`) are left as loom found them: loom
//! replays them from its checkpoint (its recorded branch decisions, reads-from included), and
//! a schedule with fewer switches would need a new checkpoint that keeps every stale read,
//! which only a new loom exploration can produce.

use std::time::Instant;

use super::{replay, ReplayVerdict};
use crate::rt;
use crate::scenario::Scenario;
use crate::trace::{context_switches, Event, ReplayMode, Trace};

/// The most replays one minimization runs (candidates and their confirming replays).
pub const REPLAY_BUDGET: usize = 1000;

/// A candidate replay stops (as a livelock, rejected) after this many scheduling steps per
/// step of the candidate, plus 1000: a made-up order can leave a CPU spinning on a lock whose
/// holder the order never runs.
const STEPS_PER_EVENT: usize = 20;

/// What a minimization did.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimized {
    pub switches_before: usize,
    pub switches_after: usize,
    pub steps_before: usize,
    pub steps_after: usize,
    /// Replays run (at most the budget).
    pub replays: usize,
    pub seconds: f64,
}

impl std::fmt::Display for Minimized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "context switches {} -> {}, steps {} -> {} ({} replays, {:.2}s)",
            self.switches_before,
            self.switches_after,
            self.steps_before,
            self.steps_after,
            self.replays,
            self.seconds
        )
    }
}

/// Shrink `trace` (a counterexample of `s`) in place, with at most `budget` replays. A
/// shrunk trace says so in its explorer line (`…, shrunk from 14 to 6 context switches`, or
/// `…, shrunk from 72 to 51 steps` when the switches stay as they were) and
/// drops the loom checkpoint of the execution it no longer is. Returns `None` for a trace
/// that needs loom to replay (left alone, see the module documentation).
pub fn minimize(s: &'static Scenario, trace: &mut Trace, budget: usize) -> Option<Minimized> {
    if trace.replay != ReplayMode::Shuttle {
        return None;
    }
    let start = Instant::now();
    let kind = trace
        .explorer
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    let size = |e: &[Event]| (context_switches(e), e.len());
    let before = size(&trace.events);
    let mut best = trace.clone();
    let mut replays = 0;
    'improve: while replays < budget {
        for candidate in candidates(&best.events) {
            if replays + 2 > budget {
                break 'improve;
            }
            replays += 1;
            let max_steps = STEPS_PER_EVENT * candidate.len() + 1000;
            let (_, failed) = rt::shuttle::replay_bounded(s, &kind, &candidate, max_steps);
            let Some(f) = failed else { continue };
            if f.violation.invariant != best.violation.invariant
                || size(&f.events) >= size(&best.events)
            {
                continue;
            }
            let mut t = best.clone();
            t.events = f.events;
            t.violation = f.violation;
            replays += 1;
            let confirmed = replay(s, &t).is_ok_and(|r| {
                matches!(r.verdict, ReplayVerdict::Reproduced(ref v) if *v == t.violation)
                    && r.events == t.events
            });
            if confirmed {
                best = t;
                continue 'improve;
            }
        }
        break;
    }
    let after = size(&best.events);
    if after < before {
        best.explorer = if after.0 < before.0 {
            format!(
                "{}, shrunk from {} to {} context switches",
                trace.explorer, before.0, after.0
            )
        } else {
            format!(
                "{}, shrunk from {} to {} steps",
                trace.explorer, before.1, after.1
            )
        };
        best.loom_checkpoint = None;
        *trace = best;
    }
    Some(Minimized {
        switches_before: before.0,
        switches_after: after.0,
        steps_before: before.1,
        steps_after: after.1,
        replays,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Candidate orders for `events`, most promising first: for each run of steps of a CPU that
/// runs again later, (1) let it run all its later steps at once, (2) pull its next run up
/// behind this one, (3) push this run down in front of its next one; then (4) every other
/// place for every run.
fn candidates(events: &[Event]) -> Vec<Vec<Event>> {
    // Maximal runs of one thread: (tid, start, end).
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if r.0 == e.tid => r.2 = i + 1,
            _ => runs.push((e.tid, i, i + 1)),
        }
    }
    let build = |order: &[usize]| -> Vec<Event> {
        order
            .iter()
            .flat_map(|&r| events[runs[r].1..runs[r].2].iter().cloned())
            .collect()
    };
    let n = runs.len();
    let mut to_end = Vec::new();
    let mut pull = Vec::new();
    let mut push = Vec::new();
    for k in 0..n {
        let tid = runs[k].0;
        let later: Vec<usize> = (k + 1..n).filter(|&r| runs[r].0 == tid).collect();
        let Some(&j) = later.first() else { continue };
        if later.len() > 1 {
            let order: Vec<usize> = (0..=k)
                .chain(later.iter().copied())
                .chain((k + 1..n).filter(|r| runs[*r].0 != tid))
                .collect();
            to_end.push(build(&order));
        }
        let order: Vec<usize> = (0..=k)
            .chain(std::iter::once(j))
            .chain(k + 1..j)
            .chain(j + 1..n)
            .collect();
        pull.push(build(&order));
        let order: Vec<usize> = (0..k)
            .chain(k + 1..j)
            .chain(std::iter::once(k))
            .chain(j..n)
            .collect();
        push.push(build(&order));
    }
    // (4) Move any run anywhere else (pull and push are the moves next to the CPU's own
    // runs; these find the rest).
    let mut moved = Vec::new();
    for k in 0..n {
        for p in (0..=n).filter(|&p| p != k && p != k + 1) {
            let mut order: Vec<usize> = (0..n).filter(|&r| r != k).collect();
            order.insert(if p > k { p - 1 } else { p }, k);
            moved.push(build(&order));
        }
    }
    to_end
        .into_iter()
        .chain(pull)
        .chain(push)
        .chain(moved)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(tids: &[usize]) -> Vec<Event> {
        tids.iter()
            .map(|&tid| Event {
                tid,
                depth: 0,
                op: "op".into(),
                obj: String::new(),
                result: String::new(),
            })
            .collect()
    }

    fn tids(e: &[Event]) -> Vec<usize> {
        e.iter().map(|e| e.tid).collect()
    }

    #[test]
    fn candidates_keep_each_cpu_order_and_come_most_aggressive_first() {
        let e = ev(&[0, 1, 2, 1, 2, 1, 0]);
        let c: Vec<Vec<usize>> = candidates(&e).iter().map(|c| tids(c)).collect();
        // CPU0 (tid 1) runs to the end of its steps first.
        assert_eq!(c[0], vec![0, 1, 1, 1, 2, 2, 0]);
        assert!(c.contains(&vec![0, 1, 1, 2, 2, 1, 0]), "pull: {c:?}");
        assert!(c.contains(&vec![0, 2, 1, 1, 2, 1, 0]), "push: {c:?}");
        for cand in &c {
            let mut a = cand.clone();
            let mut b = tids(&e);
            a.sort();
            b.sort();
            assert_eq!(a, b, "a candidate is a permutation of the runs");
        }
        assert_eq!(context_switches(&e), 6);
    }
}
