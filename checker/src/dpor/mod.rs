//! kmodel's own DPOR explorer, independent of the backend: source-set DPOR with sleep sets
//! (Abdulla, Aronis, Jonsson, Sagonas, POPL'14 / JACM'17, Algorithm "Source-DPOR"), run by
//! re-execution: each execution replays a prefix of the previous one and then continues, and
//! when it ends its races are computed from the completed sequence of steps (happens-before
//! by vector clocks) and turned into backtrack entries.
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
//! its events' accesses ([`footprint::accesses`]); a step that ended without recording
//! anything is `Global` (dependent with everything). A thread that blocks at once (a lock
//! held, a join of a running CPU) did nothing: that attempt is no step, the thread is
//! *disabled* at that node, and the explorer chooses again there.
//!
//! **Dependency and races.** Two steps of different threads are dependent when they touch
//! a location and one writes ([`Footprint::dependent`]). A lock acquisition that waited for
//! a release is ordered after it but does not race with it (it could not have run first);
//! it races with the previous acquisition instead, which is what the scan in
//! [`Dpor::analyze`] finds by leaving release→acquire edges out until the scan is done.
//! Spawn orders a thread's first step after the step that created it, and join orders the
//! joining step after the joined thread's last step.
//!
//! **What is not here (yet).** Wakeup trees: source sets with sleep sets are optimal when
//! no execution ends sleep-set blocked; the blocked ones are counted ([`Dpor::blocked`]) and
//! stopped at once. Weak memory: see docs/architecture.md ("DPOR") for how reads-from and
//! coherence choices extend [`footprint::Access`] and [`Dpor::analyze`].

pub mod footprint;

pub use footprint::{accesses, trace_hash, Access, Footprint, Kind};

type Tid = usize;

/// A node of the exploration tree: the state before one step of the current execution.
#[derive(Clone, Debug, Default)]
struct Node {
    /// Threads that could be chosen here (shuttle's runnable set at the first visit, minus a
    /// thread that just yielded while others could run).
    runnable: Vec<Tid>,
    /// Threads found to block at once here.
    disabled: Vec<Tid>,
    /// Threads to explore from here (source-set entries), explored or not.
    backtrack: Vec<Tid>,
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
}

#[derive(Clone, Debug)]
struct Step {
    debug: String,
    tid: Tid,
    fp: Footprint,
    /// Threads whose join completed in this step.
    joins: Vec<Tid>,
}

/// What the last running thread recorded in its last segment.
#[derive(Debug, Default)]
pub struct Observed {
    pub events: usize,
    pub accesses: Vec<Access>,
    /// Threads joined by one of the events.
    pub joins: Vec<Tid>,
    /// The events, for `KMODEL_DEBUG_DPOR`.
    pub debug: String,
    /// What the last running thread now waits for, if it blocked (a wait queue or a lock).
    pub waiting_on: Option<String>,
}

/// The explorer's state across executions.
#[derive(Debug, Default)]
pub struct Dpor {
    nodes: Vec<Node>,
    steps: Vec<Step>,
    /// Per thread, the step (index into `steps`) during which it became runnable.
    creators: Vec<Option<usize>>,
    started: bool,
    /// Nodes before this one replay their `raw` decisions.
    replay_until: usize,
    /// The new choice at node `replay_until`.
    pending: Option<Tid>,
    /// This execution resumes at a backtrack node (false for the first one).
    resuming: bool,
    pos: usize,
    raw_pos: usize,
    running: Option<Tid>,
    segments: usize,
    cur_fp: Footprint,
    cur_events: usize,
    cur_joins: Vec<Tid>,
    cur_debug: String,
    debug: bool,
    /// Executions stopped because every runnable thread was asleep (sleep-set blocked) or
    /// the chosen backtrack entry turned out to block.
    pub blocked: u64,
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
            ..Dpor::default()
        }
    }

    /// Start the next execution; false when the exploration is complete.
    pub fn next_execution(&mut self) -> bool {
        if !self.started {
            self.started = true;
            self.nodes = vec![Node::default()];
            self.replay_until = 0;
            self.pending = None;
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
            let mut next = None;
            for d in (0..self.nodes.len()).rev() {
                let node = &self.nodes[d];
                if let Some(&c) = node.backtrack.iter().find(|&&t| node.can_explore(t)) {
                    next = Some((d, c));
                    break;
                }
            }
            let Some((d, c)) = next else {
                return false;
            };
            if self.limit.is_some_and(|l| self.executions >= l) {
                self.capped = true;
                return false;
            }
            self.nodes.truncate(d + 1);
            self.nodes[d].raw.clear();
            self.replay_until = d;
            self.pending = Some(c);
            self.resuming = true;
        }
        self.executions += 1;
        self.steps.clear();
        self.creators.clear();
        self.pos = 0;
        self.raw_pos = 0;
        self.running = None;
        self.segments = 0;
        self.cur_fp = Footprint::Empty;
        self.cur_events = 0;
        self.cur_joins.clear();
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
        if let Some(r) = self.running {
            self.segments += 1;
            self.cur_events += obs.events;
            for a in obs.accesses.iter().copied() {
                self.cur_fp.push(a);
            }
            self.cur_joins.extend(obs.joins.iter().copied());
            self.cur_debug.push_str(&obs.debug);
            let r_runnable = runnable.contains(&r);
            if self.cur_events == 0 && r_runnable && !yielding {
                return Some(r); // an invisible segment: the step goes on
            }
            self.running = None;
            if self.cur_events == 0 && !r_runnable && self.segments == 1 {
                let node = &mut self.nodes[self.pos];
                if !node.disabled.contains(&r) {
                    node.disabled.push(r);
                }
            } else {
                if self.cur_events == 0 {
                    // A step that went to sleep on a wait queue (or a lock) after invisible
                    // segments touched that queue's internals; anything else is unknown.
                    self.cur_fp = match obs.waiting_on.as_deref().filter(|_| !r_runnable) {
                        Some(name) => {
                            let mut fp = Footprint::Empty;
                            footprint::touch_accesses(name, true, |a| fp.push(a));
                            fp
                        }
                        None => Footprint::Global,
                    };
                }
                self.close_step(r, yielding, runnable);
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
        } else {
            self.blocked += 1;
        }
        choice
    }

    fn close_step(&mut self, r: Tid, yielding: bool, runnable: &[Tid]) {
        let fp = std::mem::take(&mut self.cur_fp);
        let joins = std::mem::take(&mut self.cur_joins);
        let debug = std::mem::take(&mut self.cur_debug);
        if self.pos < self.replay_until {
            // Replaying: the child node exists.
            self.steps.push(Step {
                debug,
                tid: r,
                fp,
                joins,
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
            self.steps.push(Step {
                debug,
                tid: r,
                fp,
                joins,
            });
            let mut child = Node {
                sleep,
                runnable: runnable.to_vec(),
                ..Node::default()
            };
            // A thread that just yielded, while another can run, waits: running it again at
            // once would only repeat the spin iteration it just made.
            if yielding && runnable.len() > 1 {
                child.runnable.retain(|&t| t != r);
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
        if pos == self.replay_until && self.resuming {
            if let Some(c) = self.pending.take() {
                if node.can_explore(c) && runnable.contains(&c) {
                    if !node.backtrack.contains(&c) {
                        node.backtrack.push(c);
                    }
                    return Some(c);
                }
            }
            // The pending choice blocked: another backtrack entry, if any.
            return node
                .backtrack
                .iter()
                .copied()
                .find(|&t| node.can_explore(t) && runnable.contains(&t));
        }
        // A fresh node: continue the last thread if it may run, else the lowest one.
        let last = self.steps.last().map(|s| s.tid);
        let ok = |t: Tid| node.can_explore(t) && runnable.contains(&t);
        let pick = last
            .filter(|&t| ok(t))
            .or_else(|| node.runnable.iter().copied().find(|&t| ok(t)))?;
        if !node.backtrack.contains(&pick) {
            node.backtrack.push(pick);
        }
        Some(pick)
    }

    /// Races of the completed execution's steps, turned into backtrack entries
    /// (Source-DPOR: for a race e ⋖ e', the initials of notdep(e, E).e' at pre(E, e)).
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
                let racing = fi.dependent_where(fj, |a, b| !a.syncs(b));
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
            use std::io::Write;
            let mut out = String::new();
            out.push_str(&format!("--- execution {}\n", self.executions));
            for (k, s) in self.steps.iter().enumerate() {
                out.push_str(&format!("{k:3} t{} {:?} {}\n", s.tid, clocks[k], s.debug));
            }
            out.push_str(&format!("races {races:?}\n"));
            let path = std::env::var_os("KMODEL_DEBUG_DPOR").unwrap_or_default();
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = f.write_all(out.as_bytes());
            }
        }
        for (i, j) in races {
            // v = notdep(i, E) restricted to the steps before j, then j.
            let mut initials: Vec<Tid> = Vec::new();
            let mut seen: Vec<Tid> = Vec::new();
            let mut v: Vec<usize> = Vec::new();
            for k in (i + 1..j).chain(std::iter::once(j)) {
                if k != j && hb(i, k) {
                    continue;
                }
                let tk = self.steps[k].tid;
                if !seen.contains(&tk) {
                    seen.push(tk);
                    if !v.iter().any(|&p| hb(p, k)) {
                        initials.push(tk);
                    }
                }
                v.push(k);
            }
            let node = &mut self.nodes[i];
            let covered = initials
                .iter()
                .any(|&p| node.backtrack.contains(&p) || node.done_has(p) || node.asleep(p));
            if covered {
                continue;
            }
            if let Some(&p) = initials
                .iter()
                .find(|&&p| node.runnable.contains(&p) && !node.disabled.contains(&p))
            {
                node.backtrack.push(p);
            }
        }
    }
}
