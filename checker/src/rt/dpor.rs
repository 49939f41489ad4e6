//! The dpor explorer's backend: [`crate::dpor::Dpor`] driving shuttle's runtime through its
//! public `Scheduler` trait. Task 0 is the main thread, task `n` the `n`-th spawned thread,
//! which is the trace's thread numbering (as for [`super::shuttle`]'s replay scheduler).

use std::sync::{Arc, Mutex};

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use crate::dpor::{accesses, Dpor, Observed, QueueOp};

/// A shuttle scheduler that asks a [`Dpor`] explorer at every scheduling point.
pub(crate) struct DporScheduler {
    pub core: Arc<Mutex<Dpor>>,
    /// Events of the execution in progress already handed to the explorer.
    cursor: usize,
    first: bool,
    debug: bool,
    /// The events seen so far in this execution (for `KMODEL_DEBUG_DPOR` only).
    seen: Vec<crate::trace::Event>,
    hang: super::shuttle::HangWatch,
    /// The CPU that spins forever, once the explorer found a hang with one spinner: it runs
    /// on alone until the watch sees it (the explorer is not asked again).
    hung: Option<usize>,
}

impl DporScheduler {
    pub(crate) fn new(core: Arc<Mutex<Dpor>>) -> DporScheduler {
        DporScheduler {
            core,
            cursor: 0,
            first: true,
            seen: Vec::new(),
            hang: Default::default(),
            hung: None,
            debug: std::env::var_os("KMODEL_DEBUG_DPOR").is_some()
                || std::env::var_os("KMODEL_DEBUG_DPOR_LOST").is_some(),
        }
    }
}

/// `CPUn` (a join's object) as a thread index.
fn joined_tid(obj: &str) -> Option<usize> {
    obj.strip_prefix("CPU")?
        .parse::<usize>()
        .ok()
        .map(|n| n + 1)
}

impl Scheduler for DporScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.cursor = 0;
        self.first = true;
        self.hang.new_execution();
        self.hung = None;
        super::gather_touches(true);
        let mut core = self.core.lock().unwrap();
        if self.debug {
            core.debug_hash = crate::dpor::trace_hash(&self.seen);
            self.seen.clear();
        }
        if core.next_execution() {
            Some(Schedule::new(0))
        } else {
            None
        }
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let ids: Vec<usize> = runnable.iter().map(|t| usize::from(t.id())).collect();
        let mut obs = Observed::default();
        let debug = self.debug;
        let seen = &mut self.seen;
        if self.first {
            // The world of this execution does not exist yet (the main thread creates it).
            self.first = false;
        } else {
            obs.accesses = super::take_touches();
            // A ghost write says nothing of the value it left.
            for a in &obs.accesses {
                if a.kind.writes() {
                    obs.effects.push((a.loc, crate::dpor::Effect::Unknown));
                }
            }
            self.cursor = super::events_since(self.cursor, |e| {
                obs.events += 1;
                obs.digest = crate::dpor::footprint::mix(
                    obs.digest,
                    crate::dpor::footprint::mix(
                        crate::dpor::footprint::mix(
                            crate::dpor::footprint::loc(&e.op),
                            crate::dpor::footprint::loc(&e.obj),
                        ),
                        crate::dpor::footprint::loc(&e.result),
                    ),
                );
                if debug {
                    obs.debug
                        .push_str(&format!("{}({})={} ", e.op, e.obj, e.result));
                    seen.push(e.clone());
                }
                let first = obs.accesses.len();
                accesses(e, |a| obs.accesses.push(a));
                crate::dpor::footprint::effects_of(e, &obs.accesses[first..], |l, f| {
                    obs.effects.push((l, f))
                });
                if e.op == "join" {
                    obs.joins.extend(joined_tid(&e.obj));
                }
                let queue_op = match e.op.as_str() {
                    "prepare_to_wait_event" => Some(QueueOp::Prepare),
                    "schedule" => Some(QueueOp::Pass),
                    "wake_up_all" => Some(QueueOp::Wake),
                    _ => None,
                };
                if let Some(op) = queue_op {
                    obs.queue_ops
                        .push((op, crate::dpor::footprint::loc(&e.obj)));
                }
            });
        }
        if let Some(c) = current {
            if !ids.contains(&usize::from(c)) {
                obs.waiting_on = super::waiting_on(usize::from(c));
            }
        }
        if let Some(t) = self.hang.check(runnable, current, is_yielding) {
            return Some(t);
        }
        if let Some(t) = self.hung {
            return Some(TaskId::from(t));
        }
        let mut core = self.core.lock().unwrap();
        let choice = core.schedule(&ids, is_yielding, obs);
        if choice.is_none() {
            if let Some(spinning) = core.hang.take() {
                // Every runnable CPU spins on what no CPU left will change: the program
                // hangs here. One CPU runs on alone until its last two iterations show it
                // (the `HangWatch`, as the other explorers and the replay see it); of
                // several, the lowest resumes from its `cpu_relax()` and reports it at once.
                if spinning.len() > 1 {
                    return self.hang.busy_wait_forever(&spinning);
                }
                self.hung = spinning.first().copied();
                return self.hung.map(TaskId::from);
            }
        }
        choice.map(TaskId::from)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}
