//! kmodel's own DPOR explorer, independent of the backend: optimal DPOR with source sets,
//! sleep sets and wakeup trees (Abdulla, Aronis, Jonsson, Sagonas, POPL'14 / JACM'17,
//! Algorithm 2 "Optimal-DPOR"; Nidhugg is the reference implementation), run by
//! re-execution: each execution replays a prefix of the previous one, follows the wakeup
//! tree of the node it resumes at, and then continues; when it ends its races are computed
//! from the completed sequence of steps (happens-before by vector clocks) and each race's
//! reversal `notdep(e, E).e'` is inserted into the wakeup tree of the node before `e`.
//!
//! The backend (checker/src/rt/dpor.rs, on shuttle's `Scheduler` trait) tells the explorer,
//! at each scheduling point, which threads are runnable and what the last running thread
//! recorded since the previous point; the explorer answers which thread runs next.
//!
//! **Steps.** A step is what a thread does between two of the explorer's decisions. A
//! thread that ran without recording anything and can still run keeps running (an invisible
//! segment: the facade operation it passed records nothing the other threads can observe
//! under SC, such as KASAN's shadow load, or a checker-internal lock), so a step ends when
//! the thread recorded events, yielded, blocked or finished. Its footprint is the union of
//! its events' accesses ([`footprint::accesses`]); a yield that recorded and touched nothing
//! (`cpu_relax()`) is a no-op step, independent of every step (`Empty`), and one that touched
//! ghost state without an event is `Global` (dependent with everything). A thread that
//! blocks (at once: a lock held, a join of a running CPU; or after invisible segments: a
//! wait queue's `schedule()`, `synchronize_rcu()` waiting on a reader's lock) or ends
//! without recording anything did nothing others observe: that attempt is no step, the
//! thread is *disabled* at that node (a step is enabled only while its condition holds, as
//! optimal DPOR treats blocking), and the explorer chooses again there. The steps that make
//! it runnable again are its next step's *enablers*: ordered before it, not racing with it.
//!
//! **Dependency and races.** Two steps of different threads are dependent when they touch
//! a location and one writes ([`Footprint::dependent`]). A lock acquisition that waited for
//! a release is ordered after it but does not race with it (it could not have run first);
//! it races with the previous acquisition instead, which is what the scan in
//! [`Dpor::analyze`] finds by leaving release→acquire edges out until the scan is done.
//! Spawn orders a thread's first step after the step that created it, and join orders the
//! joining step after the joined thread's last step.
//!
//! **Blocking.** With wakeup trees an execution can end sleep-set blocked only around
//! blocking operations; those are counted ([`Dpor::blocked`]) and stopped at once.
//!
//! **Spin loops.** A thread whose next retry iteration would only repeat its last one
//! *awaits* ([`Dpor::awaits`]): the default choice leaves it until another thread writes
//! what that iteration touches, and wakeup sequences leave out its steps where it awaits
//! ([`Dpor::without_awaiting`]); an execution where every thread left awaits ends there
//! (counted in [`Dpor::blocked`]). docs/architecture.md ("DPOR") gives the argument.
//! **Not here.** Weak memory: see docs/architecture.md ("DPOR") for how reads-from and
//! coherence choices extend [`footprint::Access`] and [`Dpor::analyze`].

pub mod footprint;

pub use footprint::{accesses, effects, trace_hash, Access, Effect, Footprint, Kind};

type Tid = usize;

/// A thread that ends more retry iterations than this in one execution stops it (counted
/// in [`Dpor::cuts`]: no exhaustiveness claimed). Each iteration that runs either follows
/// a write of another thread that changed what the previous one touched, or repeats the
/// previous one once before the thread awaits ([`Dpor::awaits`]), so this bounds only
/// programs whose spinners keep changing what each other reads without end (a livelock
/// of the program, which has executions without end).
const MAX_ITERATIONS: u32 = 64;

/// One step of a wakeup-tree sequence: a thread and the footprint its step had in the
/// execution the sequence was taken from (with the thread-lifecycle accesses of
/// [`Dpor::analyze`], so that spawn and join order the sequence's steps).
#[derive(Clone, Debug)]
struct WStep {
    tid: Tid,
    fp: Footprint,
}

/// A wakeup tree (JACM'17 §6): an ordered tree of step sequences still to explore from a
/// node. A child's subtree moves to the next node when the child is explored.
#[derive(Clone, Debug, Default)]
struct Wut {
    children: Vec<(WStep, Wut)>,
}

/// Whether `p`, whose next step has footprint `fp`, is a weak initial of `v`: its first step
/// in `v` depends on no earlier step of `v`, or it has no step in `v` and its next step is
/// independent of all of `v` (the paper's WI\[E\](v)).
fn weak_initial(p: Tid, fp: &Footprint, v: &[WStep]) -> bool {
    match v.iter().position(|s| s.tid == p) {
        Some(m) => !v[..m].iter().any(|s| s.fp.dependent(&v[m].fp)),
        None => !v.iter().any(|s| s.fp.dependent(fp)),
    }
}

impl Wut {
    /// insert\[E\](v, wut): walk down the children that are weak initials of what is left of
    /// `v`; at a leaf, a sequence equivalent to a prefix of `v` is there already (nothing to
    /// insert); where no child is one, the rest of `v` becomes a new branch. Returns whether
    /// it inserted.
    fn insert(&mut self, mut v: Vec<WStep>) -> bool {
        let mut node = self;
        loop {
            if v.is_empty() {
                return false;
            }
            let found = node
                .children
                .iter()
                .position(|(w, _)| weak_initial(w.tid, &w.fp, &v));
            let Some(ix) = found else {
                let mut chain = Wut::default();
                for s in v.into_iter().rev() {
                    chain = Wut {
                        children: vec![(s, chain)],
                    };
                }
                node.children.extend(chain.children);
                return true;
            };
            let p = node.children[ix].0.tid;
            if let Some(m) = v.iter().position(|s| s.tid == p) {
                v.remove(m);
            }
            if node.children[ix].1.children.is_empty() {
                return false;
            }
            node = &mut node.children[ix].1;
        }
    }

    fn take(&mut self, t: Tid) -> Option<Wut> {
        let ix = self.children.iter().position(|(w, _)| w.tid == t)?;
        Some(self.children.remove(ix).1)
    }
}

/// A node of the exploration tree: the state before one step of the current execution.
#[derive(Clone, Debug, Default)]
struct Node {
    /// Threads that could be chosen here (shuttle's runnable set at the first visit).
    runnable: Vec<Tid>,
    /// A thread that just yielded while others could run: the default choice takes it only
    /// when no other thread can be explored here (running it again at once would mostly
    /// repeat the spin iteration it just made); a wakeup-tree sequence may take it.
    yielded: Option<Tid>,
    /// Threads found to block at once here.
    disabled: Vec<Tid>,
    /// The wakeup tree: sequences still to explore from here.
    wut: Wut,
    /// Threads explored from here, with the footprint of their step.
    done: Vec<(Tid, Footprint)>,
    /// Threads asleep here: their next step, explored from an ancestor, is independent of
    /// everything since.
    sleep: Vec<(Tid, Footprint)>,
    /// The decisions taken here in the current execution (blocked attempts, then the step).
    raw: Vec<Tid>,
}

impl Node {
    fn done_has(&self, t: Tid) -> bool {
        self.done.iter().any(|(d, _)| *d == t)
    }
    fn asleep(&self, t: Tid) -> bool {
        self.sleep.iter().any(|(d, _)| *d == t)
    }
    fn can_explore(&self, t: Tid) -> bool {
        self.runnable.contains(&t)
            && !self.disabled.contains(&t)
            && !self.done_has(t)
            && !self.asleep(t)
    }
    /// The first wakeup-tree child that can still be explored here.
    fn next_child(&self, runnable: Option<&[Tid]>) -> Option<Tid> {
        self.wut
            .children
            .iter()
            .map(|(w, _)| w.tid)
            .find(|&t| self.can_explore(t) && runnable.is_none_or(|r| r.contains(&t)))
    }
}

#[derive(Clone, Debug)]
struct Step {
    debug: String,
    tid: Tid,
    fp: Footprint,
    /// Threads whose join completed in this step.
    joins: Vec<Tid>,
    /// The steps that made this thread runnable again after it blocked since its previous
    /// step (a lock's release, a wake-up, a joined thread's end, each reader's
    /// `rcu_read_unlock()` that `synchronize_rcu()` waited for): this step is ordered after
    /// them but does not race with them (it could not have run first).
    enablers: Vec<usize>,
    /// Wait queues (locations) this step woke (`wake_up_all()`).
    wakes: Vec<u64>,
    /// The step ended with a yield: the end of a retry iteration.
    iter_end: bool,
    /// When `iter_end`: the event digest of the iteration this step ends (the thread's steps
    /// since its previous yield, or since it began), to recognise an iteration that repeats
    /// the previous one event for event, values included.
    iter_digest: u64,
    /// What each write did to its location's value, in order ([`footprint::effects`]).
    effects: Vec<(u64, Effect)>,
}

/// A wait-queue operation of a segment, on the queue's location: what links a waiter that
/// passed `schedule()` without sleeping to the wake-up that let it pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOp {
    /// `prepare_to_wait_event()`: the waiter notes the queue's wake-up generation.
    Prepare,
    /// `schedule()` returned: a wake-up came after the waiter's `prepare_to_wait_event()`.
    Pass,
    /// `wake_up_all()`.
    Wake,
}

/// What the last running thread recorded in its last segment.
#[derive(Debug, Default)]
pub struct Observed {
    pub events: usize,
    pub accesses: Vec<Access>,
    /// Threads joined by one of the events.
    pub joins: Vec<Tid>,
    /// A hash of the events (operation, object, result), to recognise a spin iteration that
    /// repeats the thread's previous one exactly.
    pub digest: u64,
    /// The events, for `KMODEL_DEBUG_DPOR`.
    pub debug: String,
    /// What the last running thread now waits for, if it blocked (a wait queue or a lock),
    /// for `KMODEL_DEBUG_DPOR`.
    pub waiting_on: Option<String>,
    /// Wait-queue operations among the events, in order.
    pub queue_ops: Vec<(QueueOp, u64)>,
    /// What each write access did to its location's value, in order
    /// ([`footprint::effects`]); a write access without an entry is [`Effect::Unknown`].
    pub effects: Vec<(u64, Effect)>,
}

/// The explorer's state across executions.
#[derive(Debug, Default)]
pub struct Dpor {
    nodes: Vec<Node>,
    steps: Vec<Step>,
    /// Per thread, the step (index into `steps`) during which it became runnable.
    creators: Vec<Option<usize>>,
    /// Per thread, whether it was not runnable at the last scheduling point.
    blocked_now: Vec<bool>,
    /// Threads made runnable again during the step in progress.
    cur_enabled: Vec<Tid>,
    /// Per thread, the steps that made it runnable again since its last step.
    enablers: Vec<Vec<usize>>,
    /// Per thread, the location of the wait queue or lock it last blocked on.
    blocked_on: Vec<Option<u64>>,
    started: bool,
    /// Nodes before this one replay their `raw` decisions.
    replay_until: usize,
    /// This execution resumes at a node with a wakeup tree left (false for the first one).
    resuming: bool,
    pos: usize,
    raw_pos: usize,
    running: Option<Tid>,
    segments: usize,
    cur_fp: Footprint,
    cur_events: usize,
    cur_joins: Vec<Tid>,
    cur_digest: u64,
    /// Per thread: the event digest of its iteration in progress (its steps since its last
    /// yield), and of its previous iteration (the steps before that yield).
    iter_digest: Vec<(u64, Option<u64>)>,
    /// Per thread: how many of its iterations in a row repeated the previous one while it
    /// did not await.
    unawaited_repeats: Vec<u32>,
    /// Per thread: its retry iterations in this execution.
    iterations: Vec<u32>,
    cur_debug: String,
    /// The wait-queue operations of the step in progress.
    cur_queue: Vec<(QueueOp, u64)>,
    /// The write effects of the step in progress.
    cur_effects: Vec<(u64, Effect)>,
    /// Per thread, its last `prepare_to_wait_event()`: (queue, step).
    prepared: Vec<Option<(u64, usize)>>,
    debug: bool,
    /// `KMODEL_DEBUG_DPOR_LOST`: print each lost wakeup sequence to stderr.
    debug_lost: bool,
    /// `KMODEL_DEBUG_DPOR`: the event-level trace hash of the execution just ended, set by
    /// the backend.
    pub debug_hash: u64,
    /// Executions stopped because every runnable thread was asleep (sleep-set blocked) or
    /// the chosen wakeup-tree entry turned out to block. With wakeup trees this happens only
    /// around blocking operations (locks, wait queues, join), as in Nidhugg.
    pub blocked: u64,
    /// Wakeup-tree sequences that could not be followed (a thread of the sequence was not
    /// runnable or blocked at once where the sequence runs it): the rest of that sequence
    /// was dropped and the execution went on with the default choice. Nonzero makes the
    /// exploration not claim exhaustiveness (rt::shuttle::dpor).
    pub wut_lost: u64,
    /// Wakeup sequences not inserted because they would only repeat a retry iteration
    /// ([`Dpor::repeats_iteration`]).
    pub repeats_skipped: u64,
    /// Run Source-DPOR (source sets and sleep sets, no wakeup trees) instead: for the
    /// calibration that shows what wakeup trees save (tests/dpor.rs).
    pub source_sets_only: bool,
    /// Executions stopped by what is left of the stutter cut (a thread repeated its retry
    /// iteration twice in a row without awaiting: see [`Dpor::schedule`]). Nonzero makes
    /// the exploration not claim exhaustiveness (rt::shuttle::dpor).
    pub cuts: u64,
    /// Executions that ended because every thread that could run here was awaiting
    /// ([`Dpor::awaits`]) while another runnable one was asleep (counted in `blocked`).
    pub awaited_out: u64,
    /// Set when every runnable thread awaits in the execution in progress: each spins on
    /// what no thread left will change, so the program hangs there (a busy-wait that never
    /// ends: the backend reports it as a LIVELOCK). The awaiting threads, lowest first.
    pub hang: Option<Vec<Tid>>,
    /// Executions started.
    pub executions: u64,
    /// Stop after this many executions.
    pub limit: Option<u64>,
    /// The exploration stopped at `limit` with work left.
    pub capped: bool,
}

impl Dpor {
    pub fn new() -> Dpor {
        Dpor {
            debug: std::env::var_os("KMODEL_DEBUG_DPOR").is_some(),
            debug_lost: std::env::var_os("KMODEL_DEBUG_DPOR_LOST").is_some(),
            ..Dpor::default()
        }
    }

    /// Start the next execution; false when the exploration is complete.
    pub fn next_execution(&mut self) -> bool {
        if !self.started {
            self.started = true;
            self.nodes = vec![Node::default()];
            self.replay_until = 0;
            self.resuming = false;
        } else {
            // The step still open when the execution ended (the main thread's last one, whose
            // events went with the world): explored, dependent with everything.
            if let Some(r) = self.running.take() {
                let node = &mut self.nodes[self.pos];
                if !node.done_has(r) {
                    node.done.push((r, Footprint::Global));
                }
            }
            self.analyze();
            let Some(d) = (0..self.nodes.len())
                .rev()
                .find(|&d| self.nodes[d].next_child(None).is_some())
            else {
                return false;
            };
            if self.limit.is_some_and(|l| self.executions >= l) {
                self.capped = true;
                return false;
            }
            self.nodes.truncate(d + 1);
            self.nodes[d].raw.clear();
            self.replay_until = d;
            self.resuming = true;
        }
        self.executions += 1;
        self.steps.clear();
        self.creators.clear();
        self.blocked_now.clear();
        self.cur_enabled.clear();
        self.enablers.clear();
        self.blocked_on.clear();
        self.prepared.clear();
        self.pos = 0;
        self.raw_pos = 0;
        self.running = None;
        self.segments = 0;
        self.cur_fp = Footprint::Empty;
        self.cur_events = 0;
        self.cur_joins.clear();
        self.cur_queue.clear();
        self.cur_effects.clear();
        self.cur_digest = 0;
        self.iter_digest.clear();
        self.unawaited_repeats.clear();
        self.iterations.clear();
        self.hang = None;
        true
    }

    /// A scheduling point: `runnable` threads, whether the last one yielded, and what it
    /// recorded since the last point. Returns the thread to run, or None to stop this
    /// execution (it would only repeat explored traces).
    pub fn schedule(&mut self, runnable: &[Tid], yielding: bool, obs: Observed) -> Option<Tid> {
        // Threads seen for the first time were created by the step in progress (or the last).
        for &t in runnable {
            if self.creators.len() <= t {
                self.creators.resize(t + 1, None);
            }
            if self.creators[t].is_none() && t != 0 {
                let c = if self.running.is_some() {
                    self.steps.len()
                } else {
                    self.steps.len().saturating_sub(1)
                };
                self.creators[t] = Some(c);
            }
        }
        // Threads that were blocked and are runnable again: enabled by the step in progress.
        if self.blocked_now.len() < self.creators.len() {
            self.blocked_now.resize(self.creators.len(), false);
            self.enablers.resize(self.creators.len(), Vec::new());
        }
        for t in 0..self.blocked_now.len() {
            let now = !runnable.contains(&t) && (t == 0 || self.creators[t].is_some());
            if self.blocked_now[t] && !now && !self.cur_enabled.contains(&t) {
                self.cur_enabled.push(t);
            }
            self.blocked_now[t] = now;
        }
        if let Some(r) = self.running {
            self.segments += 1;
            self.cur_events += obs.events;
            for a in obs.accesses.iter().copied() {
                self.cur_fp.push(a);
                if a.kind.writes() && !obs.effects.iter().any(|(l, _)| *l == a.loc) {
                    self.cur_effects.push((a.loc, Effect::Unknown));
                }
            }
            self.cur_effects.extend(obs.effects.iter().copied());
            self.cur_joins.extend(obs.joins.iter().copied());
            self.cur_queue.extend(obs.queue_ops.iter().copied());
            self.cur_digest = footprint::mix(self.cur_digest, obs.digest);
            self.cur_debug.push_str(&obs.debug);
            let r_runnable = runnable.contains(&r);
            if self.cur_events == 0 && r_runnable && !yielding {
                return Some(r); // an invisible segment: the step goes on
            }
            self.running = None;
            if self.cur_events == 0 && !r_runnable {
                // The thread blocked (at once, or after invisible segments: a wait queue's
                // or a lock's internals, `synchronize_rcu()` waiting on a reader's lock) or
                // ended without recording anything: an attempt, not a step (it did nothing
                // another thread observes). It is disabled here; its next step, once other
                // steps enabled it, is ordered after them (`Step::enablers`).
                let node = &mut self.nodes[self.pos];
                if !node.disabled.contains(&r) {
                    node.disabled.push(r);
                }
                self.cur_enabled.clear();
                if self.blocked_on.len() <= r {
                    self.blocked_on.resize(r + 1, None);
                }
                self.blocked_on[r] = obs.waiting_on.as_deref().map(footprint::loc);
                if self.debug {
                    self.cur_debug.push_str(&format!(
                        "[t{r} blocked on {}] ",
                        obs.waiting_on.as_deref().unwrap_or("-")
                    ));
                }
            } else {
                // A yield without a recorded event: a step that touched nothing (cpu_relax()
                // at a thread's start) is a no-op, independent of every step; one that
                // touched ghost state without an event is unknown, dependent with everything.
                let noop_yield = self.cur_events == 0 && self.cur_fp.is_empty();
                if self.cur_events == 0 && !noop_yield {
                    self.cur_fp = Footprint::Global;
                }
                // A thread asleep on a wait queue or a lock that this step writes (a wake-up,
                // a release) was enabled by it.
                let k = self.steps.len();
                for t in std::mem::take(&mut self.cur_enabled) {
                    let on = self.blocked_on.get_mut(t).and_then(Option::take);
                    let writes = |l: u64| match &self.cur_fp {
                        Footprint::Accesses(v) => v.iter().any(|a| a.loc == l && a.kind.writes()),
                        _ => false,
                    };
                    // A thread blocked on something unnamed (a join, `synchronize_rcu()`'s
                    // wait on a reader's lock): the step that made it runnable; [`Dpor::analyze`]
                    // keeps it only where the two steps are dependent.
                    if on.is_none_or(writes) {
                        self.enablers[t].push(k);
                    }
                }
                // After a no-op yield the thread may run on at once: its next step is what
                // it would have done without the yield (litmus/loom-pruning has a trace
                // where it must; the spin-loop rule of `close_step` would lose it).
                // The end of a retry iteration (a yield after recorded steps): what the
                // await rule ([`Dpor::awaits`]) reads. An iteration that repeated the
                // previous one event for event while the thread does not await (another
                // thread touched what it touches since the previous one began) runs on; a
                // thread that does so twice in a row without awaiting (two threads whose
                // iterations touch each other's with values the events do not tell, such
                // as two spinners taking one lock) is the one case left of the old stutter
                // cut: the execution stops (counted in `blocked` and in `Dpor::cuts`), and
                // the exploration does not claim exhaustiveness.
                if self.iter_digest.len() <= r {
                    self.iter_digest.resize(r + 1, (0, None));
                    self.unawaited_repeats.resize(r + 1, 0);
                    self.iterations.resize(r + 1, 0);
                }
                let it = &mut self.iter_digest[r];
                it.0 = footprint::mix(it.0, self.cur_digest);
                let ends_iteration = yielding && !noop_yield;
                let digest = it.0;
                let mut repeat = false;
                if ends_iteration {
                    repeat = it.1 == Some(it.0);
                    *it = (0, Some(it.0));
                }
                self.close_step(r, ends_iteration, digest, runnable);
                if ends_iteration {
                    let order: Vec<usize> = (0..self.steps.len()).collect();
                    if repeat && !self.awaits(r, &order) {
                        self.unawaited_repeats[r] += 1;
                    } else {
                        self.unawaited_repeats[r] = 0;
                    }
                    self.iterations[r] += 1;
                    if self.unawaited_repeats[r] >= 2 || self.iterations[r] > MAX_ITERATIONS {
                        self.blocked += 1;
                        self.cuts += 1;
                        if self.debug {
                            if let Some(s) = self.steps.last_mut() {
                                s.debug.push_str(" [stutter cut]");
                            }
                        }
                        return None;
                    }
                }
            }
        }
        let choice = self.choose(runnable, yielding);
        if let Some(t) = choice {
            if self.pos >= self.replay_until {
                self.nodes[self.pos].raw.push(t);
            }
            self.running = Some(t);
            self.segments = 0;
            self.cur_fp = Footprint::Empty;
            self.cur_events = 0;
            self.cur_joins.clear();
            self.cur_queue.clear();
            self.cur_effects.clear();
            self.cur_digest = 0;
        } else {
            self.blocked += 1;
        }
        choice
    }

    fn close_step(&mut self, r: Tid, yielding: bool, iter_digest: u64, runnable: &[Tid]) {
        let fp = std::mem::take(&mut self.cur_fp);
        let joins = std::mem::take(&mut self.cur_joins);
        let debug = std::mem::take(&mut self.cur_debug);
        let effects = std::mem::take(&mut self.cur_effects);
        let mut enablers = self
            .enablers
            .get_mut(r)
            .map(std::mem::take)
            .unwrap_or_default();
        let k = self.steps.len();
        let mut wakes = Vec::new();
        if self.prepared.len() <= r {
            self.prepared.resize(r + 1, None);
        }
        for (op, q) in std::mem::take(&mut self.cur_queue) {
            match op {
                QueueOp::Prepare => self.prepared[r] = Some((q, k)),
                QueueOp::Wake => wakes.push(q),
                QueueOp::Pass => {
                    // `schedule()` returned: a wake-up of `q` came after this thread's
                    // `prepare_to_wait_event()`. The first one is what let it pass, whether
                    // it slept (then that wake-up is already its enabler) or found the
                    // generation changed and did not sleep: either way this step cannot run
                    // before it (it would sleep there), so it is ordered after it without
                    // racing with it. Without this, the race of the two was reversed into a
                    // wakeup sequence that runs the waiter where it sleeps (lost: the
                    // exploration was not exhaustive; litmus/probe-wait_event-two-wakeups).
                    let since = match self.prepared[r] {
                        Some((pq, p)) if pq == q => p + 1,
                        _ => continue,
                    };
                    let first = (since..k)
                        .find(|&w| self.steps[w].tid != r && self.steps[w].wakes.contains(&q));
                    if let Some(w) = first {
                        if !enablers.contains(&w) {
                            enablers.push(w);
                        }
                    }
                }
            }
        }
        if self.pos < self.replay_until {
            // Replaying: the child node exists.
            self.steps.push(Step {
                debug,
                tid: r,
                fp,
                joins,
                enablers,
                wakes,
                iter_end: yielding,
                iter_digest,
                effects,
            });
        } else {
            let node = &mut self.nodes[self.pos];
            let mut sleep: Vec<(Tid, Footprint)> = Vec::new();
            for (t, f) in node.sleep.iter().chain(node.done.iter()) {
                if *t != r && !f.dependent(&fp) && !sleep.iter().any(|(s, _)| s == t) {
                    sleep.push((*t, f.clone()));
                }
            }
            if !node.done_has(r) {
                node.done.push((r, fp.clone()));
            }
            // The explored child's subtree is the next node's wakeup tree.
            let wut = node.wut.take(r).unwrap_or_default();
            self.steps.push(Step {
                debug,
                tid: r,
                fp,
                joins,
                enablers,
                wakes,
                iter_end: yielding,
                iter_digest,
                effects,
            });
            let mut child = Node {
                sleep,
                runnable: runnable.to_vec(),
                wut,
                ..Node::default()
            };
            // A thread that just yielded, while another can run, goes last by default.
            if yielding && runnable.len() > 1 {
                child.yielded = Some(r);
            }
            self.nodes.push(child);
        }
        self.pos += 1;
        self.raw_pos = 0;
    }

    fn choose(&mut self, runnable: &[Tid], _yielding: bool) -> Option<Tid> {
        let pos = self.pos;
        if pos < self.replay_until {
            let node = &self.nodes[pos];
            let t = node.raw.get(self.raw_pos).copied();
            self.raw_pos += 1;
            debug_assert!(t.is_some_and(|t| runnable.contains(&t)), "replay diverged");
            return t;
        }
        if pos >= self.nodes.len() {
            // The very first node of the first execution.
            self.nodes.push(Node::default());
        }
        let node = &mut self.nodes[pos];
        if node.runnable.is_empty() && node.raw.is_empty() && node.done.is_empty() {
            node.runnable = runnable.to_vec();
        }
        if !node.wut.children.is_empty() {
            // Follow the wakeup tree (at the resumed node, or below it on the way down).
            if let Some(c) = node.next_child(Some(runnable)) {
                return Some(c);
            }
            // No sequence of the tree can run here: it was taken from an execution whose
            // steps this one does not repeat. Counted; the default choice goes on.
            self.wut_lost += node.wut.children.len() as u64;
            if self.debug || self.debug_lost {
                let lost: Vec<String> = node
                    .wut
                    .children
                    .iter()
                    .map(|(w, _)| format!("t{}", w.tid))
                    .collect();
                self.cur_debug.push_str(&format!(
                    "[wakeup sequences lost at node {pos}: {} (runnable {runnable:?}, node runnable {:?}, disabled {:?}, done {:?}, asleep {:?})] ",
                    lost.join(" "),
                    node.runnable,
                    node.disabled,
                    node.done.iter().map(|d| d.0).collect::<Vec<_>>(),
                    node.sleep.iter().map(|d| d.0).collect::<Vec<_>>()
                ));
                if self.debug_lost {
                    let recent: Vec<String> = self
                        .steps
                        .iter()
                        .rev()
                        .take(12)
                        .map(|s| format!("t{} {}", s.tid, s.debug))
                        .collect();
                    eprintln!(
                        "execution {}: {}\n  last steps (newest first):\n    {}",
                        self.executions,
                        self.cur_debug,
                        recent.join("\n    ")
                    );
                }
            }
            node.wut.children.clear();
            if pos == self.replay_until && self.resuming {
                return None;
            }
        } else if pos == self.replay_until && self.resuming {
            // The resumed choice blocked at once and the tree has nothing else here.
            return None;
        }
        // A leaf of the wakeup tree (or no tree): continue the last thread if it may run,
        // else the lowest one.
        // A thread that awaits ([`Dpor::awaits`]) is not a default choice: its next
        // iteration would only repeat its last one.
        let last = self.steps.last().map(|s| s.tid);
        let node = &self.nodes[pos];
        let ok = |t: Tid| node.can_explore(t) && runnable.contains(&t);
        // The runnable threads that await, asleep or not; `awaiting`, those that could run.
        let mut spinning: Vec<Tid> = Vec::new();
        let mut order: Vec<usize> = Vec::new();
        for &t in runnable {
            // Only a thread whose last step ended an iteration can await.
            let ended = self.steps.iter().rev().find(|s| s.tid == t);
            if ended.is_some_and(|s| s.iter_end) {
                if order.is_empty() {
                    order = (0..self.steps.len()).collect();
                }
                if self.awaits(t, &order) {
                    spinning.push(t);
                }
            }
        }
        let awaiting: Vec<Tid> = spinning.iter().copied().filter(|&t| ok(t)).collect();
        let ok = |t: Tid| ok(t) && !awaiting.contains(&t);
        let first = |t: Tid| ok(t) && node.yielded != Some(t);
        let choice = last
            .filter(|&t| first(t))
            .or_else(|| node.runnable.iter().copied().find(|&t| first(t)))
            .or_else(|| node.yielded.filter(|&t| ok(t)));
        if choice.is_none() && !awaiting.is_empty() {
            // Every thread that could run here awaits. If every runnable thread does (none
            // is merely asleep), each spins on what no thread left will change: the
            // program hangs in this state, whatever runs next (a busy-wait without end,
            // which the kernel has too: `cpu_relax()` changes nothing).
            if spinning.len() == runnable.len() {
                self.hang = Some(runnable.to_vec());
            } else {
                self.awaited_out += 1;
            }
        }
        choice
    }

    /// The wakeup sequence `v` (step indices of the execution just ended, its last one `j`),
    /// to be run at the node before step `i`, without the steps of threads that would await
    /// there ([`Dpor::awaits`], after the steps before `i` and those of `v` kept before
    /// them): such a thread would only begin an iteration that repeats its last one, which
    /// the await rule never runs, and its steps in `v` (taken from an iteration that began
    /// after a write that woke it, a write that happens after `i` and so is not in `v`)
    /// come after that write in every execution the sequence stands for. None when `j` is
    /// such a step (counted in [`Dpor::repeats_skipped`]): the sequence would only make
    /// `j`'s thread repeat its last iteration, the trace it stands for is this execution's
    /// up to `i`'s step with one iteration that changes nothing, and its races are races of
    /// this execution already (the steps before `j` keep their order and happens-before,
    /// and the repeated iteration races with no earlier step: nothing since its last
    /// iteration began changed what it touches).
    ///
    /// Without this, such a step at the head of a wakeup sequence made its thread begin an
    /// iteration before the write that woke it, the default choice ran that iteration to
    /// its end (a repeat), the race of the write with the repeat put one more iteration in
    /// the next sequence, and so on without end.
    fn without_awaiting(&self, i: usize, v: Vec<usize>) -> Option<Vec<usize>> {
        let j = *v.last()?;
        let mut order: Vec<usize> = (0..i).collect();
        let mut dropped: Vec<Tid> = Vec::new();
        for k in v {
            let t = self.steps[k].tid;
            if dropped.contains(&t) || self.awaits(t, &order) {
                if k == j {
                    return None;
                }
                if !dropped.contains(&t) {
                    dropped.push(t);
                }
                continue;
            }
            order.push(k);
        }
        Some(order.split_off(i))
    }

    /// The await rule: whether thread `p`, after the steps `order` (indices into `steps`,
    /// in the order of a schedule: this execution so far, or a prefix of it followed by
    /// part of a wakeup sequence), would only repeat its last retry iteration `K` (its
    /// steps since its previous yield; `p`'s last step ended `K` with a yield) event for
    /// event, values included, and leave every location as it is now, were it run now.
    /// Such a thread *awaits*: the default choice does not run it, until a write of
    /// another thread changes what `K` touches, after which the predicate is false.
    ///
    /// `K` must be a whole iteration (begun at a yield, not with the thread: the first
    /// iteration may hold code before the loop). Then, for every location `l` that `K`
    /// touches, with the values per location the events record ([`footprint::effects`]):
    /// - no other thread wrote `l` since `K` began, and `K` reads `l` only, or leaves it
    ///   as it found it ([`Dpor::restores`]), or only stores to it (it never reads it: the
    ///   next iteration's path cannot depend on it, and it stores the same values again);
    /// - or other threads wrote `l` since `K` began, and `l` holds now what the next
    ///   iteration needs: the value `K` found (where `K` reads it, leaving it as found) or
    ///   the value `K` left (where `K` only stores to it); for a nesting count (RCU's
    ///   read-side, a lock), `K`'s and the others' operations since `K` began balance.
    ///
    /// Or else, `K` repeated the iteration before it event for event and no other thread
    /// wrote a location `K` touches since that one began: `K` then wrote what the previous
    /// iteration wrote over what that one left, so the next iteration finds what `K`
    /// found. This last case relies on the events' values telling what an iteration writes
    /// (the stutter assumption of docs/architecture.md); it is what stops iterations whose
    /// writes the events do not value (ghost state, a trylock).
    ///
    /// Reads of other threads never wake a thread: they change nothing it reads. All of it
    /// rests on the assumption that an iteration's outcome depends only on what it reads
    /// (no local state carried across iterations: docs/architecture.md).
    fn awaits(&self, p: Tid, order: &[usize]) -> bool {
        let mine: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&k| self.steps[k].tid == p)
            .collect();
        let n = mine.len();
        if n == 0 || !self.steps[mine[n - 1]].iter_end {
            return false;
        }
        let begin = |end: usize| {
            let mut b = end;
            while b > 0 && !self.steps[mine[b - 1]].iter_end {
                b -= 1;
            }
            b
        };
        let k_begin = begin(n - 1);
        if k_begin == 0 {
            return false; // K began with the thread: its next iteration need not repeat it
        }
        let last = &mine[k_begin..];
        let mut touched = Footprint::Empty;
        for &k in last {
            match &self.steps[k].fp {
                Footprint::Empty => {}
                Footprint::Global => return false,
                Footprint::Accesses(a) => a.iter().for_each(|&a| touched.push(a)),
            }
        }
        let Footprint::Accesses(acc) = &touched else {
            return true; // an iteration that touched nothing
        };
        let mut locs: Vec<u64> = acc.iter().map(|a| a.loc).collect();
        locs.sort_unstable();
        locs.dedup();
        let at = |k: usize| order.iter().position(|&x| x == k).unwrap_or(0);
        let writes = |k: usize, l: u64| match &self.steps[k].fp {
            Footprint::Global => true,
            Footprint::Empty => false,
            Footprint::Accesses(v) => v.iter().any(|a| a.loc == l && a.kind.writes()),
        };
        let others_write = |from: usize, l: u64| {
            order[from..]
                .iter()
                .any(|&k| self.steps[k].tid != p && writes(k, l))
        };
        let start = at(last[0]);
        // The last iteration repeated the one before it, untouched since that one began.
        let prev = &mine[begin(k_begin - 1)..k_begin];
        if self.steps[prev[prev.len() - 1]].iter_digest == self.steps[mine[n - 1]].iter_digest
            && !locs.iter().any(|&l| others_write(at(prev[0]), l))
        {
            return true;
        }
        let effs = |k: usize, l: u64| {
            self.steps[k]
                .effects
                .iter()
                .filter(move |(x, _)| *x == l)
                .map(|(_, f)| *f)
        };
        locs.iter().all(|&l| {
            let k_writes = acc.iter().any(|a| a.loc == l && a.kind.writes());
            let k_reads = acc.iter().any(|a| a.loc == l && !a.kind.writes())
                || last
                    .iter()
                    .any(|&k| effs(k, l).any(|f| !matches!(f, Effect::Store(_))));
            let restores = k_writes && self.restores(last, l);
            if k_writes && k_reads && !restores {
                return false;
            }
            if !others_write(start, l) {
                return true;
            }
            // Others wrote `l` since K began: compare what it holds now with what the next
            // iteration needs.
            let since: Vec<Effect> = order[start..]
                .iter()
                .filter(|&&k| writes(k, l))
                .flat_map(|&k| {
                    let e: Vec<Effect> = effs(k, l).collect();
                    if e.is_empty() {
                        vec![Effect::Unknown]
                    } else {
                        e
                    }
                })
                .collect();
            if let Some(balanced) = nesting_balanced(&since) {
                return balanced;
            }
            let now = self.value_at(order, order.len(), l);
            let need = if k_reads {
                self.value_at(order, start, l)
            } else {
                last.iter()
                    .rev()
                    .find_map(|&k| effs(k, l).next_back())
                    .and_then(|f| match f {
                        Effect::Store(v) => Some(v),
                        _ => None,
                    })
            };
            now.is_some() && now == need
        })
    }

    /// The value location `l` holds just before position `pos` of `order` (as
    /// [`Dpor::awaits`] orders steps), as the events' values tell: what the last write
    /// before it left, or, where that is not told, what the first write from there on
    /// found, if it is a read-modify-write. `u64::MAX` stands for the initial value (no
    /// write before `pos` and none that tells it after). None where nothing tells it.
    fn value_at(&self, order: &[usize], pos: usize, l: u64) -> Option<u64> {
        let effs = |k: usize| -> Vec<Effect> {
            let e: Vec<Effect> = self.steps[k]
                .effects
                .iter()
                .filter(|(x, _)| *x == l)
                .map(|(_, f)| *f)
                .collect();
            let writes = match &self.steps[k].fp {
                Footprint::Global => true,
                Footprint::Empty => false,
                Footprint::Accesses(v) => v.iter().any(|a| a.loc == l && a.kind.writes()),
            };
            if e.is_empty() && writes {
                vec![Effect::Unknown]
            } else {
                e
            }
        };
        let before = order[..pos]
            .iter()
            .rev()
            .find_map(|&k| effs(k).last().copied());
        match before {
            Some(Effect::Store(v)) | Some(Effect::Rmw { after: v, .. }) => return Some(v),
            Some(_) => {}
            None => {}
        }
        let after = order[pos..].iter().find_map(|&k| effs(k).first().copied());
        match (before, after) {
            (_, Some(Effect::Rmw { before, .. })) => Some(before),
            (None, _) => Some(u64::MAX),
            _ => None,
        }
    }

    /// Whether the steps `iter` (one thread's iteration, no other thread touching `l` while
    /// it runs) leave location `l` holding the value it held when they began, as the events'
    /// recorded values show ([`footprint::effects`]): the last value written is the value
    /// found, which is the first read-modify-write's old value, or, when the first write is
    /// a store, the value the last write before the iteration left. RCU's locations: the
    /// iteration's RCU operations are read-side lock and unlock only, balanced. Any write
    /// whose value the events do not tell makes it false.
    fn restores(&self, iter: &[usize], l: u64) -> bool {
        let of = |k: usize| {
            self.steps[k]
                .effects
                .iter()
                .filter(move |(x, _)| *x == l)
                .map(|(_, f)| *f)
        };
        let effs: Vec<Effect> = iter.iter().flat_map(|&k| of(k)).collect();
        if effs.is_empty() {
            return false;
        }
        if let Some(balanced) = nesting_balanced(&effs) {
            return balanced;
        }
        let left = |f: Effect| match f {
            Effect::Rmw { after, .. } | Effect::Store(after) => Some(after),
            _ => None,
        };
        if effs.iter().any(|&f| left(f).is_none()) {
            return false;
        }
        let after = effs.last().copied().and_then(left);
        let before = match effs[0] {
            Effect::Rmw { before, .. } => Some(before),
            _ => {
                // A store first: the value the last write of `l` before the iteration left
                // (other threads do not touch `l` while the iteration runs).
                let mut found = None;
                for k in (0..iter[0]).rev() {
                    if matches!(self.steps[k].fp, Footprint::Global) {
                        break;
                    }
                    if let Some(f) = of(k).next_back() {
                        found = left(f);
                        break;
                    }
                }
                found
            }
        };
        before.is_some() && before == after
    }

    /// Races of the completed execution's steps, turned into wakeup-tree sequences
    /// (Optimal-DPOR: for a race e ⋖ e', notdep(e, E).e' into the wakeup tree at pre(E, e)).
    fn analyze(&mut self) {
        let n = self.steps.len();
        if n == 0 {
            return;
        }
        let threads = self.steps.iter().map(|s| s.tid).max().unwrap_or(0) + 1;
        let threads = threads.max(self.creators.len());
        let mut clocks: Vec<Vec<u32>> = Vec::with_capacity(n);
        let mut idx: Vec<u32> = Vec::with_capacity(n);
        let mut last_of: Vec<Option<usize>> = vec![None; threads];
        let mut count: Vec<u32> = vec![0; threads];
        let mut races: Vec<(usize, usize)> = Vec::new();
        // Per step, the locks its thread holds when it starts, with the step that took each:
        // a race of an acquisition with a step inside another thread's critical section of
        // the same lock is reversed where that section began (the acquisition cannot run
        // inside it).
        // (lock, step that took it, shared): two shared sections do not exclude each other.
        let mut held_before: Vec<Vec<(u64, usize, bool)>> = Vec::with_capacity(n);
        {
            let mut held: Vec<Vec<(u64, usize, bool)>> = vec![Vec::new(); threads];
            for (k, s) in self.steps.iter().enumerate() {
                held_before.push(held[s.tid].clone());
                if let Footprint::Accesses(v) = &s.fp {
                    for a in v {
                        if let Some(shared) = a.kind.acquires() {
                            held[s.tid].push((a.loc, k, shared));
                        } else if matches!(a.kind, Kind::Release | Kind::ReleaseShared) {
                            held[s.tid].retain(|(l, _, _)| *l != a.loc);
                        }
                    }
                }
            }
        }
        let acquires = |s: &Step| -> Vec<(u64, bool)> {
            match &s.fp {
                Footprint::Accesses(v) => v
                    .iter()
                    .filter_map(|a| a.kind.acquires().map(|shared| (a.loc, shared)))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let join = |a: &mut Vec<u32>, b: &[u32]| {
            for (x, y) in a.iter_mut().zip(b) {
                *x = (*x).max(*y);
            }
        };
        for j in 0..n {
            let t = self.steps[j].tid;
            let mut r = match last_of[t] {
                Some(p) => clocks[p].clone(),
                None => match self.creators.get(t).copied().flatten() {
                    Some(c) if c < j => clocks[c].clone(),
                    _ => vec![0; threads],
                },
            };
            for &k in &self.steps[j].joins {
                if let Some(p) = last_of.get(k).copied().flatten() {
                    join(&mut r, &clocks[p]);
                }
            }
            let mut deferred = vec![0u32; threads];
            // The steps that enabled this one order it (when they are dependent, which is
            // the case for a lock's release, a wake-up, the end of a joined thread and a
            // reader's `rcu_read_unlock()` that `synchronize_rcu()` waited for).
            let enablers: Vec<usize> = self.steps[j]
                .enablers
                .iter()
                .copied()
                .filter(|&e| self.steps[e].fp.dependent(&self.steps[j].fp))
                .collect();
            let acq = acquires(&self.steps[j]);
            for i in (0..j).rev() {
                let ti = self.steps[i].tid;
                if ti == t {
                    continue;
                }
                let (fi, fj) = (&self.steps[i].fp, &self.steps[j].fp);
                if !fi.dependent(fj) {
                    continue;
                }
                let racing = !enablers.contains(&i) && fi.dependent_where(fj, |a, b| !a.syncs(b));
                if racing {
                    if r[ti] < idx[i] + 1 {
                        let at = held_before[i]
                            .iter()
                            .find(|(l, _, held_shared)| {
                                acq.iter()
                                    .any(|(al, shared)| al == l && !(*shared && *held_shared))
                            })
                            .map_or(i, |&(_, a, _)| a);
                        if !races.contains(&(at, j)) {
                            races.push((at, j));
                        }
                    }
                    join(&mut r, &clocks[i]);
                } else {
                    join(&mut deferred, &clocks[i]);
                }
            }
            join(&mut r, &deferred);
            r[t] = count[t] + 1;
            idx.push(count[t]);
            count[t] += 1;
            clocks.push(r);
            last_of[t] = Some(j);
        }
        let hb = |a: usize, b: usize| clocks[b][self.steps[a].tid] > idx[a];
        if self.debug {
            let mut out = String::new();
            out.push_str(&format!("--- execution {}\n", self.executions));
            for (k, s) in self.steps.iter().enumerate() {
                out.push_str(&format!(
                    "{k:3} t{} {:?} en{:?} {}{}\n",
                    s.tid,
                    clocks[k],
                    s.enablers,
                    s.debug,
                    if s.iter_end { " [yield]" } else { "" }
                ));
            }
            out.push_str(&format!("races {races:?}\nhash {:x}\n", self.debug_hash));
            debug_append(&out);
        }
        // Each step's footprint with its thread's lifecycle: a step that created a thread,
        // a thread's first and last steps, and a step that joined it all write the thread's
        // pseudo-location, so that in a wakeup-tree sequence a thread's first step comes after
        // its creation and a join after the joined thread's end.
        let lifecycle = |q: Tid| Access {
            loc: footprint::loc(&format!("\u{0}thread {q}")),
            kind: Kind::Write,
        };
        let mut seq_fp: Vec<Footprint> = self.steps.iter().map(|s| s.fp.clone()).collect();
        let mut seen_thread = vec![false; threads];
        for (k, s) in self.steps.iter().enumerate() {
            if !std::mem::replace(&mut seen_thread[s.tid], true) {
                seq_fp[k].push(lifecycle(s.tid));
            }
            if last_of[s.tid] == Some(k) {
                seq_fp[k].push(lifecycle(s.tid));
            }
            for &q in &s.joins {
                seq_fp[k].push(lifecycle(q));
            }
        }
        for (q, c) in self.creators.iter().enumerate() {
            if let Some(c) = *c {
                if c < n {
                    seq_fp[c].push(lifecycle(q));
                }
            }
        }
        let mut dbg_inserts = String::new();
        for (i, j) in races {
            if j < self.replay_until {
                // Both steps are in the replayed prefix: this race was reversed when the
                // execution that first ran `j` was analysed.
                continue;
            }
            // Optimal-DPOR: v = notdep(i, E).j (the steps after i that do not happen after
            // it, then j), inserted into the wakeup tree at the node before i unless a thread
            // explored or asleep there is a weak initial of v.
            let v_ix: Vec<usize> = (i + 1..j)
                .filter(|&k| !hb(i, k))
                .chain(std::iter::once(j))
                .collect();
            let v_ix = if self.source_sets_only {
                v_ix
            } else {
                match self.without_awaiting(i, v_ix) {
                    Some(v) => v,
                    None => {
                        self.repeats_skipped += 1;
                        continue;
                    }
                }
            };
            let v: Vec<WStep> = v_ix
                .into_iter()
                .map(|k| WStep {
                    tid: self.steps[k].tid,
                    fp: seq_fp[k].clone(),
                })
                .collect();
            let node = &mut self.nodes[i];
            if self.source_sets_only {
                // Source-DPOR (JACM'17 Algorithm 1): one initial of v, unless one is
                // explored, asleep or scheduled here already.
                let initials: Vec<&WStep> = v
                    .iter()
                    .enumerate()
                    .filter(|&(m, s)| {
                        v[..m]
                            .iter()
                            .all(|e| e.tid != s.tid && !e.fp.dependent(&s.fp))
                    })
                    .map(|(_, s)| s)
                    .collect();
                let covered = initials.iter().any(|s| {
                    node.done_has(s.tid)
                        || node.asleep(s.tid)
                        || node.wut.children.iter().any(|(w, _)| w.tid == s.tid)
                });
                if let (false, Some(s)) = (covered, initials.first()) {
                    node.wut.children.push(((*s).clone(), Wut::default()));
                }
                continue;
            }
            let covered = node
                .sleep
                .iter()
                .chain(node.done.iter())
                .any(|(p, f)| weak_initial(*p, f, &v));
            if !covered {
                let seq: Vec<Tid> = v.iter().map(|s| s.tid).collect();
                if node.wut.insert(v) && self.debug {
                    dbg_inserts.push_str(&format!("insert at {i} for ({i}, {j}): {seq:?}\n"));
                }
            }
        }
        if self.debug && !dbg_inserts.is_empty() {
            debug_append(&dbg_inserts);
        }
    }
}

/// Append `text` to the file `KMODEL_DEBUG_DPOR` names (the explorer's debug dump).
fn debug_append(text: &str) {
    use std::io::Write;
    let path = std::env::var_os("KMODEL_DEBUG_DPOR").unwrap_or_default();
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(text.as_bytes());
    }
}

/// Whether `effs`, if every one is a nesting (`rcu_read_lock()` +1, `rcu_read_unlock()` -1),
/// leaves the nesting as it found it; `None` if any is another effect.
fn nesting_balanced(effs: &[Effect]) -> Option<bool> {
    let mut net = 0i32;
    for f in effs {
        match f {
            Effect::Nest(d) => net += i32::from(*d),
            _ => return None,
        }
    }
    Some(net == 0)
}

#[cfg(test)]
mod tests {
    //! The core driven by a small simulator (no shuttle): threads are lists of recorded
    //! events, one event per step, after a main thread that spawns them and joins them.
    use super::*;
    use crate::trace::Event;

    /// (executions, distinct traces of the executions that ran to their end, blocked).
    fn explore(threads: &[&[(&str, &str)]], source_sets_only: bool) -> (u64, usize, u64) {
        let n = threads.len();
        let mut d = Dpor::new();
        d.source_sets_only = source_sets_only;
        let mut traces = std::collections::HashSet::new();
        let ev = |tid: usize, (op, obj): (&str, &str)| Event {
            tid,
            depth: 0,
            op: op.into(),
            obj: obj.into(),
            result: String::new(),
        };
        while d.next_execution() {
            let mut pc = vec![0usize; n + 1];
            let mut events: Vec<Event> = Vec::new();
            let mut next = d.schedule(&[0], false, Observed::default());
            let mut ended = false;
            while let Some(t) = next {
                let e = if t == 0 && pc[0] == 0 {
                    ev(0, ("spawn", "CPU0"))
                } else if t == 0 {
                    ended = true;
                    break; // main's join: the end
                } else {
                    ev(t, threads[t - 1][pc[t]])
                };
                pc[t] += 1;
                let mut obs = Observed {
                    events: 1,
                    ..Observed::default()
                };
                accesses(&e, |a| obs.accesses.push(a));
                events.push(e);
                let workers: Vec<Tid> = (1..=n).filter(|&w| pc[w] < threads[w - 1].len()).collect();
                let runnable = if workers.is_empty() { vec![0] } else { workers };
                next = d.schedule(&runnable, false, obs);
            }
            if ended {
                traces.insert(trace_hash(&events));
            }
        }
        assert_eq!(d.wut_lost, 0);
        (d.executions, traces.len(), d.blocked)
    }

    const W: &str = "WRITE_ONCE";
    const R: &str = "READ_ONCE";

    /// The distinct traces of every interleaving (no reduction): the independent count.
    fn all_traces(threads: &[&[(&str, &str)]]) -> usize {
        fn go(
            threads: &[&[(&str, &str)]],
            pc: &mut Vec<usize>,
            events: &mut Vec<Event>,
            out: &mut std::collections::HashSet<u64>,
        ) {
            let mut any = false;
            for t in 0..threads.len() {
                if pc[t] < threads[t].len() {
                    any = true;
                    let (op, obj) = threads[t][pc[t]];
                    events.push(Event {
                        tid: t + 1,
                        depth: 0,
                        op: op.into(),
                        obj: obj.into(),
                        result: String::new(),
                    });
                    pc[t] += 1;
                    go(threads, pc, events, out);
                    pc[t] -= 1;
                    events.pop();
                }
            }
            if !any {
                out.insert(trace_hash(events));
            }
        }
        let mut out = std::collections::HashSet::new();
        let spawn = Event {
            tid: 0,
            depth: 0,
            op: "spawn".into(),
            obj: "CPU0".into(),
            result: String::new(),
        };
        go(
            threads,
            &mut vec![0; threads.len()],
            &mut vec![spawn],
            &mut out,
        );
        out.len()
    }

    /// A program where Source-DPOR ends an execution sleep-set blocked (found by the
    /// random search below): p writes x then reads it, q writes x, r reads x after two
    /// independent accesses. 9 traces; Source-DPOR runs 10 executions (1 blocked), wakeup
    /// trees run exactly 9.
    #[test]
    fn wakeup_trees_run_one_execution_per_trace() {
        let progs: &[&[(&str, &str)]] = &[
            &[(W, "v.x"), (R, "v.x")],
            &[(W, "v.x")],
            &[(W, "v.y"), (R, "v.z"), (R, "v.x")],
        ];
        assert_eq!(all_traces(progs), 9);
        assert_eq!(explore(progs, true), (10, 9, 1), "Source-DPOR");
        assert_eq!(explore(progs, false), (9, 9, 0), "optimal DPOR");
    }

    /// On 1000 random programs (2 or 3 threads of 1 to 3 reads and writes of 3 locations):
    /// optimal DPOR runs every trace that plain enumeration finds, each exactly once, and is
    /// never sleep-set blocked; Source-DPOR runs every trace too.
    #[test]
    fn optimal_on_random_programs() {
        let vars = ["v.x", "v.y", "v.z"];
        let mut seed: u64 = 12345;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let mut source_blocked = 0;
        for _ in 0..1000 {
            let nt = 2 + rnd(2) as usize;
            let progs: Vec<Vec<(&str, &str)>> = (0..nt)
                .map(|_| {
                    (0..1 + rnd(3))
                        .map(|_| (if rnd(2) == 0 { R } else { W }, vars[rnd(3) as usize]))
                        .collect()
                })
                .collect();
            let refs: Vec<&[(&str, &str)]> = progs.iter().map(|p| p.as_slice()).collect();
            let all = all_traces(&refs);
            let (oe, od, ob) = explore(&refs, false);
            assert_eq!((oe, od, ob), (all as u64, all, 0), "{progs:?}");
            let (_, sd, sb) = explore(&refs, true);
            assert_eq!(sd, all, "{progs:?}");
            source_blocked += sb;
        }
        assert!(source_blocked > 0);
    }

    /// One operation of a simulated thread (one event, one step).
    #[derive(Clone, Copy, Debug)]
    enum Op {
        Rd(&'static str),
        Wr(&'static str, i64),
        Inc(&'static str),
        Dec(&'static str),
    }

    /// What an execution of the simulated threads shows a checker: per thread, its events
    /// (operation, object, value), without the failed iterations of its retry loop (those
    /// followed by another) that leave what they write as they found it by their own
    /// operations (no store, references taken and dropped in balance), and the values the
    /// locations hold at the end. A failed iteration of that kind changes nothing any later
    /// step reads; what another thread saw while it ran is in that thread's events. Two
    /// executions with one outcome reach the same observations and the same end state: an
    /// exploration that reaches every outcome of every interleaving loses no verdict.
    fn outcome(events: &[Event], iteration: &[usize]) -> u64 {
        use std::hash::{Hash, Hasher};
        type Key = (String, String, String);
        let threads = events.iter().map(|e| e.tid).max().unwrap_or(0) + 1;
        let mut its: Vec<Vec<Vec<Key>>> = vec![Vec::new(); threads];
        let mut end: std::collections::BTreeMap<String, String> = Default::default();
        for (e, &k) in events.iter().zip(iteration) {
            let t = &mut its[e.tid];
            if t.len() <= k {
                t.resize(k + 1, Vec::new());
            }
            t[k].push((e.op.clone(), e.obj.clone(), e.result.clone()));
            match e.op.as_str() {
                "WRITE_ONCE" => {
                    end.insert(e.obj.clone(), e.result.clone());
                }
                "kref_get" | "kref_put" => {
                    let after = e.result.rsplit("->").next().unwrap_or("").to_string();
                    end.insert(e.obj.clone(), after);
                }
                _ => {}
            }
        }
        let nil = |it: &[Key]| {
            let mut net: std::collections::BTreeMap<&str, i64> = Default::default();
            for (op, obj, _) in it {
                match op.as_str() {
                    "WRITE_ONCE" => return false,
                    "kref_get" => *net.entry(obj).or_default() += 1,
                    "kref_put" => *net.entry(obj).or_default() -= 1,
                    _ => {}
                }
            }
            net.values().all(|&d| d == 0)
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (t, it) in its.iter().enumerate() {
            for (k, i) in it.iter().enumerate() {
                if k + 1 < it.len() && nil(i) {
                    continue;
                }
                (t, i).hash(&mut h);
            }
        }
        end.hash(&mut h);
        h.finish()
    }

    /// The outcomes ([`outcome`]) of every interleaving of `workers` (no reduction) that runs
    /// to its end, except those with a retry iteration that repeats its thread's previous
    /// one event for event (which only make the enumeration longer: a spin's interleavings
    /// are endless): what dpor must reach.
    fn all_loop_outcomes(workers: &[(Vec<Op>, bool)]) -> std::collections::BTreeSet<u64> {
        type Key = (String, String, String);
        struct St<'a> {
            workers: &'a [(Vec<Op>, bool)],
            mem: std::collections::HashMap<&'static str, i64>,
            pc: Vec<usize>,
            done: Vec<bool>,
            // Per thread: its previous iteration's events, and the one in progress.
            prev: Vec<Option<Vec<Key>>>,
            cur: Vec<Vec<Key>>,
            events: Vec<Event>,
            // Per thread its iteration in progress, and per event the iteration it is in.
            it_no: Vec<usize>,
            ev_it: Vec<usize>,
            out: std::collections::BTreeSet<u64>,
        }
        fn go(st: &mut St) {
            let n = st.workers.len();
            let live: Vec<usize> = (1..=n).filter(|&w| !st.done[w]).collect();
            if live.is_empty() {
                let h = outcome(&st.events, &st.ev_it);
                st.out.insert(h);
                return;
            }
            for t in live {
                let saved = (
                    st.mem.clone(),
                    st.pc[t],
                    st.done[t],
                    st.prev[t].clone(),
                    st.cur[t].clone(),
                    st.it_no[t],
                );
                let (body, looping) = &st.workers[t - 1];
                let e = match body[st.pc[t]] {
                    Op::Rd(v) => {
                        let x = *st.mem.get(v).unwrap_or(&0);
                        Event::new(t, 0, "READ_ONCE", v, &x.to_string())
                    }
                    Op::Wr(v, x) => {
                        st.mem.insert(v, x);
                        Event::new(t, 0, "WRITE_ONCE", v, &x.to_string())
                    }
                    Op::Inc(v) | Op::Dec(v) => {
                        let (op, d) = match body[st.pc[t]] {
                            Op::Inc(_) => ("kref_get", 1),
                            _ => ("kref_put", -1),
                        };
                        let x = st.mem.entry(v).or_insert(0);
                        let r = format!("{}->{}", *x, *x + d);
                        *x += d;
                        Event::new(t, 0, op, v, &r)
                    }
                };
                st.cur[t].push((e.op.clone(), e.obj.clone(), e.result.clone()));
                st.pc[t] += 1;
                st.ev_it.push(st.it_no[t]);
                let mut cut = false;
                if st.pc[t] == body.len() {
                    if *looping && e.result == "0" {
                        st.pc[t] = 0;
                        st.it_no[t] += 1;
                        let it = std::mem::take(&mut st.cur[t]);
                        cut = st.prev[t].as_ref() == Some(&it);
                        st.prev[t] = Some(it);
                    } else {
                        st.done[t] = true;
                    }
                }
                st.events.push(e);
                if !cut {
                    go(st);
                }
                st.events.pop();
                st.ev_it.pop();
                (
                    st.mem,
                    st.pc[t],
                    st.done[t],
                    st.prev[t],
                    st.cur[t],
                    st.it_no[t],
                ) = saved;
            }
        }
        let n = workers.len();
        let mut st = St {
            workers,
            mem: Default::default(),
            pc: vec![0; n + 1],
            done: vec![false; n + 1],
            prev: vec![None; n + 1],
            cur: vec![Vec::new(); n + 1],
            events: vec![Event::new(0, 0, "spawn", "CPU0", "")],
            it_no: vec![0; n + 1],
            ev_it: vec![0],
            out: Default::default(),
        };
        go(&mut st);
        st.out
    }

    /// Explores workers that run their body once, or (`true`) as a retry loop: the body's
    /// last operation reads a flag, and while it reads 0 the thread yields and runs the body
    /// again. Returns (executions, blocked, the outcomes ([`outcome`]) of the executions that
    /// ran to their end, how many distinct Mazurkiewicz traces those executions have,
    /// wakeup sequences not inserted as repeats).
    fn explore_loops(
        workers: &[(Vec<Op>, bool)],
    ) -> (u64, u64, std::collections::BTreeSet<u64>, usize, u64) {
        let n = workers.len();
        let mut d = Dpor::new();
        d.limit = Some(20_000);
        let mut outcomes = std::collections::BTreeSet::new();
        let mut traces = std::collections::HashSet::new();
        while d.next_execution() {
            let mut mem: std::collections::HashMap<&str, i64> = Default::default();
            let mut pc = vec![0usize; n + 1];
            let mut done = vec![false; n + 1];
            let mut spawned = false;
            let mut events: Vec<Event> = Vec::new();
            // Per event, the iteration of its thread it belongs to.
            let mut iteration: Vec<usize> = Vec::new();
            let mut iters = vec![0usize; n + 1];
            let mut next = d.schedule(&[0], false, Observed::default());
            let mut ended = false;
            while let Some(t) = next {
                let mut yielding = false;
                let e = if t == 0 {
                    if spawned {
                        ended = true;
                        break; // main's join: the end
                    }
                    spawned = true;
                    Event::new(0, 0, "spawn", "CPU0", "")
                } else {
                    let (body, looping) = &workers[t - 1];
                    let e = match body[pc[t]] {
                        Op::Rd(v) => {
                            let x = *mem.get(v).unwrap_or(&0);
                            Event::new(t, 0, "READ_ONCE", v, &x.to_string())
                        }
                        Op::Wr(v, x) => {
                            mem.insert(v, x);
                            Event::new(t, 0, "WRITE_ONCE", v, &x.to_string())
                        }
                        Op::Inc(v) | Op::Dec(v) => {
                            let (op, d) = match body[pc[t]] {
                                Op::Inc(_) => ("kref_get", 1),
                                _ => ("kref_put", -1),
                            };
                            let x = mem.entry(v).or_insert(0);
                            let r = format!("{}->{}", *x, *x + d);
                            *x += d;
                            Event::new(t, 0, op, v, &r)
                        }
                    };
                    pc[t] += 1;
                    if pc[t] == body.len() {
                        if *looping && e.result == "0" {
                            pc[t] = 0;
                            yielding = true;
                        } else {
                            done[t] = true;
                        }
                    }
                    e
                };
                let mut obs = Observed {
                    events: 1,
                    digest: footprint::mix(
                        footprint::mix(footprint::loc(&e.op), footprint::loc(&e.obj)),
                        footprint::loc(&e.result),
                    ),
                    ..Observed::default()
                };
                accesses(&e, |a| obs.accesses.push(a));
                effects(&e, |l, f| obs.effects.push((l, f)));
                events.push(e);
                iteration.push(iters[t]);
                if yielding {
                    iters[t] += 1;
                }
                let live: Vec<Tid> = (1..=n).filter(|&w| !done[w]).collect();
                let runnable = if live.is_empty() { vec![0] } else { live };
                next = d.schedule(&runnable, yielding, obs);
            }
            if ended {
                outcomes.insert(outcome(&events, &iteration));
                traces.insert(trace_hash(&events));
            }
        }
        assert!(
            !d.capped,
            "{workers:?}: no end after {} executions",
            d.executions
        );
        assert_eq!(d.wut_lost, 0, "{workers:?}: wakeup sequences lost");
        assert_eq!(d.cuts, 0, "{workers:?}: stutter cut");
        (
            d.executions,
            d.blocked,
            outcomes,
            traces.len(),
            d.repeats_skipped,
        )
    }

    /// The await rule (`Dpor::awaits`, and `Dpor::without_awaiting` that applies it to
    /// wakeup sequences) loses no outcome: on 400 random programs, dpor reaches every
    /// outcome ([`outcome`]) of every interleaving that runs to its end without a retry
    /// iteration that repeats its thread's previous one ([`all_loop_outcomes`]), never
    /// stops an execution at what is left of the stutter cut, loses no wakeup sequence,
    /// ends no execution blocked where a writer of the flag exists, and runs at most 1.1
    /// executions per distinct Mazurkiewicz trace over all programs. The programs: a
    /// retry loop that reads locations, takes and drops a reference and stores a value,
    /// waiting for a flag, next to one or two threads that write those locations (some
    /// with the value they hold already); in half of them the flag's writer is scheduled
    /// late (after a thread that touches nothing the loop reads, so that the default choice
    /// runs the loop's repeat before the writer: the shape the stutter cut lost), and in a
    /// quarter a second thread spins on the flag too. Without a writer of the flag, every
    /// execution ends with the spinners awaiting (blocked). The test costs about 20 s of
    /// CPU in the test profile (the enumeration of every interleaving dominates).
    #[test]
    fn repeat_check_loses_no_trace() {
        let mut seed: u64 = 0x5eed;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let (mut skipped, mut executions, mut traces, mut blocked, mut late) = (0, 0, 0, 0, 0);
        let mut outcomes = 0;
        for _ in 0..400 {
            let mut body = Vec::new();
            for _ in 0..1 + rnd(2) {
                match rnd(4) {
                    0 => body.push(Op::Rd("v.x")),
                    1 => body.push(Op::Rd("v.y")),
                    2 => body.extend([Op::Inc("v.c"), Op::Rd("v.x"), Op::Dec("v.c")]),
                    _ => body.push(Op::Wr("v.z", 1)),
                }
            }
            body.push(Op::Rd("v.flag"));
            let mut workers = vec![(body, true)];
            let mode = rnd(4);
            if mode == 0 {
                // A second spinner on the flag.
                // (One that writes what the first one touches, with no end to either until
                // the flag is set, has interleavings without end: the enumeration of
                // every interleaving would not end.)
                let spin = if rnd(2) == 0 {
                    vec![Op::Rd("v.flag")]
                } else {
                    vec![Op::Rd("v.x"), Op::Rd("v.flag")]
                };
                workers.push((spin, true));
            }
            let late_writer = mode == 1 || mode == 2;
            if late_writer {
                // A thread that touches nothing the loop reads runs before the writer.
                late += 1;
                let ops = match rnd(3) {
                    0 => vec![Op::Rd("v.u"), Op::Wr("v.u", 1)],
                    1 => vec![Op::Rd("v.c"), Op::Inc("v.u")],
                    _ => vec![Op::Wr("v.u", 2)],
                };
                workers.push((ops, false));
            }
            let others = match mode {
                0 => 1,
                1 | 2 => rnd(2),
                _ => 1 + rnd(2),
            };
            for _ in 0..others {
                let ops: Vec<Op> = (0..1 + rnd(2))
                    .map(|_| match rnd(if late_writer { 5 } else { 6 }) {
                        0 => Op::Wr("v.x", 1 + rnd(2) as i64),
                        1 => Op::Wr("v.y", 1),
                        2 => Op::Wr("v.z", rnd(2) as i64),
                        3 => Op::Inc("v.c"),
                        4 => Op::Rd("v.c"),
                        _ => Op::Wr("v.flag", 1),
                    })
                    .collect();
                workers.push((ops, false));
            }
            if late_writer {
                workers.push((vec![Op::Wr("v.flag", 1)], false));
            }
            let (e, b, o, t, s) = explore_loops(&workers);
            let all = all_loop_outcomes(&workers);
            assert!(all.is_subset(&o), "{workers:?}: outcomes lost");
            // With a writer of the flag, no execution ends blocked: the write wakes every
            // spinner (without one, every execution ends with the spinners awaiting).
            let writer = workers
                .iter()
                .any(|(ops, _)| ops.iter().any(|op| matches!(op, Op::Wr("v.flag", _))));
            assert!(!writer || b == 0, "{workers:?}: {b} executions blocked");
            skipped += s;
            executions += e - b;
            blocked += b;
            traces += t as u64;
            outcomes += all.len() as u64;
        }
        println!(
            "{executions} executions ran to their end for {traces} traces, {outcomes} outcomes of every interleaving; {blocked} blocked; {skipped} wakeup sequences not inserted as repeats; {late} programs with a late writer"
        );
        assert!(skipped > 0, "the repeat check never applied");
        assert!(
            executions as f64 <= 1.1 * traces as f64,
            "redundancy: {executions} executions for {traces} traces"
        );
    }

    /// The hole of the stutter cut that the await rule closes: the cut stopped the whole
    /// execution at a repeated iteration, so the steps other threads had left never ran
    /// there, and where no race brought them back their outcomes were lost. Here CPU0
    /// spins on a flag that CPU2 sets after reading a counter CPU1 increments; the default
    /// choice runs CPU0's first iteration, CPU1 (which touches nothing CPU0 reads), then
    /// CPU0 again: the iteration repeats. The cut stopped there before CPU2 ever ran, and
    /// no race was seen: dpor stopped after that one execution (counted blocked) and
    /// reached neither of the 2 outcomes (CPU2 reads the counter as 0 or as 1). With the
    /// await, CPU0 awaits after its repeat, CPU2 runs, its write wakes CPU0, and the race
    /// of CPU1's increment with CPU2's read gives the other outcome.
    #[test]
    fn stutter_cut_drops_the_other_threads() {
        let workers = vec![
            (vec![Op::Rd("v.y"), Op::Rd("v.x"), Op::Rd("v.flag")], true),
            (vec![Op::Rd("v.c"), Op::Inc("v.c")], false),
            (vec![Op::Rd("v.c"), Op::Wr("v.flag", 1)], false),
        ];
        let all = all_loop_outcomes(&workers);
        assert_eq!(all.len(), 2);
        let (executions, blocked, outcomes, _, _) = explore_loops(&workers);
        assert_eq!(outcomes, all);
        assert_eq!(blocked, 0, "{executions} executions");
    }
}
