use crate::rt::alloc::Allocation;
use crate::rt::{lazy_static, object, thread, Path};

use std::collections::HashMap;
use std::convert::TryInto;
use std::fmt;

use tracing::info;

pub(crate) struct Execution {
    /// Uniquely identifies an execution
    pub(super) id: Id,

    /// Execution path taken
    pub(crate) path: Path,

    pub(crate) threads: thread::Set,

    pub(crate) lazy_statics: lazy_static::Set,

    /// All loom aware objects part of this execution run.
    pub(super) objects: object::Store,

    /// Maps raw allocations to LeakTrack objects
    pub(super) raw_allocations: HashMap<usize, Allocation>,

    pub(crate) arc_objs: HashMap<*const (), std::sync::Arc<super::Arc>>,

    /// Maximum number of concurrent threads
    pub(super) max_threads: usize,

    pub(super) max_history: usize,

    /// Capture locations for significant events
    pub(crate) location: bool,

    /// Log execution output to STDOUT
    pub(crate) log: bool,

    /// kmodel patch: the thread that was active when a run of forced invisible steps began;
    /// the next explored branch prefers it, as loom would have without the forced steps.
    resume: Option<thread::Id>,

    /// kmodel patch: the races of kmodel's ghost accesses (`kmodel_ghost::Races`).
    ghost_races: crate::rt::kmodel_ghost::Races,
}

#[derive(Debug, Eq, PartialEq, Hash, Clone, Copy)]
pub(crate) struct Id(usize);

impl Execution {
    /// Create a new execution.
    ///
    /// This is only called at the start of a fuzz run. The same instance is
    /// reused across permutations.
    pub(crate) fn new(
        max_threads: usize,
        max_branches: usize,
        preemption_bound: Option<usize>,
        exploring: bool,
    ) -> Execution {
        crate::rt::kmodel_ghost::take(); // kmodel patch: no footprint from a previous model
        let id = Id::new();
        let threads = thread::Set::new(id, max_threads);

        let preemption_bound =
            preemption_bound.map(|bound| bound.try_into().expect("preemption_bound too big"));

        Execution {
            id,
            path: Path::new(max_branches, preemption_bound, exploring),
            threads,
            lazy_statics: lazy_static::Set::new(),
            objects: object::Store::with_capacity(max_branches),
            raw_allocations: HashMap::new(),
            arc_objs: HashMap::new(),
            max_threads,
            max_history: 7,
            location: false,
            log: false,
            resume: None,
            ghost_races: Default::default(),
        }
    }

    /// Create state to track a new thread
    pub(crate) fn new_thread(&mut self) -> thread::Id {
        let thread_id = self.threads.new_thread();
        let active_id = self.threads.active_id();

        let (active, new) = self.threads.active2_mut(thread_id);

        new.causality.join(&active.causality);
        new.dpor_vv.join(&active.dpor_vv);

        // Bump causality in order to ensure CausalCell accurately detects
        // incorrect access when first action.
        new.causality[thread_id] += 1;
        active.causality[active_id] += 1;

        thread_id
    }

    /// Resets the execution state for the next execution run
    pub(crate) fn step(self) -> Option<Self> {
        let id = Id::new();
        let max_threads = self.max_threads;
        let max_history = self.max_history;
        let location = self.location;
        let log = self.log;
        let mut path = self.path;
        let mut objects = self.objects;
        let mut lazy_statics = self.lazy_statics;
        let mut raw_allocations = self.raw_allocations;
        let mut arc_objs = self.arc_objs;

        let mut threads = self.threads;

        if !path.step() {
            return None;
        }

        crate::rt::kmodel_ghost::take(); // kmodel patch: ghost accesses after the last branch
        let mut ghost_races = self.ghost_races;
        ghost_races.clear();

        objects.clear();
        lazy_statics.reset();
        raw_allocations.clear();
        arc_objs.clear();

        threads.clear(id);

        Some(Execution {
            id,
            path,
            threads,
            objects,
            lazy_statics,
            raw_allocations,
            arc_objs,
            max_threads,
            max_history,
            location,
            log,
            resume: None,
            ghost_races,
        })
    }

    /// Returns `true` if a switch is required
    pub(crate) fn schedule(&mut self) -> bool {
        use crate::rt::path::Thread;

        // Implementation of the DPOR algorithm.

        let curr_thread = self.threads.active_id();

        // kmodel patch: whether the step that ends here ran a `fence(SeqCst)` (sleep sets).
        self.path
            .set_fenced(std::mem::take(&mut self.threads.sc_fenced));
        // kmodel patch: the ghost accesses of the step that ends here: they race with other
        // threads' conflicting ghost accesses (backtrack points), and their footprint is part
        // of the sleep sets' dependence (KMODEL-PATCH.md, "Object sleep sets with kmodel's ghost accesses").
        {
            let step = crate::rt::kmodel_ghost::take();
            if crate::rt::kmodel_ghost::used() && self.threads.is_active() {
                // The accesses' order is part of the execution graph loom explores
                // (`KMODEL_CHECK_GRAPHS`, `kmodel_graph::ghost`).
                crate::rt::kmodel_graph::ghost(curr_thread.as_usize(), &step.accesses);
                if let Some(distinct) = &mut self.path.distinct {
                    distinct.ghost(curr_thread.as_usize(), &step.accesses);
                }
                if let Some(point) = self.path.current_point() {
                    let mut points = Vec::new();
                    let th = self.threads.active_mut();
                    self.ghost_races.step(
                        point,
                        curr_thread,
                        &mut th.dpor_vv,
                        &step.accesses,
                        |p| points.push(p),
                    );
                    for p in points {
                        self.path.backtrack(p, curr_thread);
                    }
                }
            }
            self.path.end_step(step.footprint);
        }

        for (th_id, th) in self.threads.iter() {
            let operation = match th.operation {
                Some(operation) => operation,
                None => continue,
            };

            // kmodel patch: every dependent access, not only the last one (and, for a blocking
            // mutex acquisition, not a release: `racing_accesses`)
            for access in self.objects.racing_accesses(operation) {
                if access.happens_before(&th.dpor_vv) {
                    // The previous access happened before this access, thus
                    // there is no race.
                    continue;
                }

                // Get the point to backtrack to
                let point = access.path_id();

                // Track backtracking point
                self.path.backtrack(point, th_id);
            }
        }

        // kmodel patch: a runnable thread with no pending operation that has run before (it
        // resumes after `park` or `yield_now`) runs first, alone, up to its next operation, at
        // a branch loom does not explore (see KMODEL-PATCH.md). What it runs is local to it,
        // so running it now or later gives the same visible schedule.
        let forced = if self.path.forces_invisible_steps() {
            self.threads
                .iter()
                .find(|(_, th)| {
                    th.is_runnable() && th.operation.is_none() && (th.started || force_starts())
                })
                .map(|(i, _)| i)
        } else {
            None
        };

        // The thread loom prefers: the active one, or, after forced steps, the one that was
        // active before them.
        let preferred = match forced {
            Some(_) => {
                self.resume.get_or_insert(curr_thread);
                curr_thread
            }
            None => self.resume.take().unwrap_or(curr_thread),
        };

        // It's important to avoid pre-emption as much as possible
        let mut initial = Some(preferred);

        // If the thread is not runnable, then we can pick any arbitrary other
        // runnable thread.
        if !self.threads[preferred].is_runnable() {
            initial = None;

            for (i, th) in self.threads.iter() {
                if !th.is_runnable() {
                    continue;
                }

                if let Some(ref mut init) = initial {
                    if th.yield_count < self.threads[*init].yield_count {
                        *init = i;
                    }
                } else {
                    initial = Some(i)
                }
            }
        }

        let path_id = self.path.pos();

        let next = if let Some(forced) = forced {
            self.path.branch_thread_forced(self.id, {
                self.threads.iter().map(move |(i, th)| {
                    if i == forced {
                        Thread::Active
                    } else if th.is_yield() {
                        Thread::Yield
                    } else if !th.is_runnable() {
                        Thread::Disabled
                    } else {
                        Thread::Skip
                    }
                })
            })
        } else {
            self.path.branch_thread(self.id, {
                self.threads.iter().map(|(i, th)| {
                    if initial.is_none() && th.is_runnable() {
                        initial = Some(i);
                    }

                    if initial == Some(i) {
                        Thread::Active
                    } else if th.is_yield() {
                        Thread::Yield
                    } else if !th.is_runnable() {
                        Thread::Disabled
                    } else {
                        Thread::Skip
                    }
                })
            })
        };

        let switched = Some(self.threads.active_id()) != next;

        self.threads.set_active(next);
        if let Some(next) = next {
            self.objects.set_creator(next.as_usize()); // kmodel patch: `Store::creator_of`
        }
        if self.threads.is_active() {
            self.threads.active_mut().started = true;
        }
        // kmodel patch: the threads whose next step is independent of the step taken here, as
        // loom sees them (for the sleep set of the next branch, `Path::branch_thread`): every
        // thread if this step performs no loom operation; else those whose next step performs
        // none, or whose pending operation is on another object (unless `LOOM_KMODEL_NO_SLEEP_OBJECTS`).
        // Ghost footprints are tested there.
        let ran = if self.threads.is_active() {
            self.threads.active().operation
        } else {
            None
        };
        let objects = self.path.sleeps_across_objects();
        let independent = self
            .threads
            .iter()
            .filter(|(_, th)| match (th.operation, ran) {
                (None, _) | (_, None) => true,
                (Some(next), Some(ran)) => objects && next.object() != ran.object(),
            })
            .fold(0, |mask, (i, _)| mask | 1 << i.as_usize());
        self.path.set_independent(independent, ran.is_some());

        // There is no active thread. Unless all threads have terminated, the
        // test has deadlocked.
        if !self.threads.is_active() {
            let terminal = self.threads.iter().all(|(_, th)| th.is_terminated());

            assert!(
                terminal,
                "deadlock; threads = {:?}",
                self.threads
                    .iter()
                    .map(|(i, th)| { (i, th.state) })
                    .collect::<Vec<_>>()
            );

            return true;
        }

        // TODO: refactor
        if let Some(operation) = self.threads.active().operation {
            let threads = &mut self.threads;
            let th_id = threads.active_id();

            if let Some(distinct) = &mut self.path.distinct {
                let name = self.objects.creator_of(operation.object());
                distinct.commit(th_id.as_usize(), &operation, name);
            }

            for access in self.objects.dependent_accesses(operation) {
                threads.active_mut().dpor_vv.join(access.version());
            }

            threads.active_mut().dpor_vv[th_id] += 1;

            self.objects
                .set_last_access(operation, path_id, &threads.active().dpor_vv);
        }

        // Reactivate yielded threads, but only if the current active thread is
        // not yielded.
        for (id, th) in self.threads.iter_mut() {
            if th.is_yield() && Some(id) != next {
                th.set_runnable();
            }
        }

        if switched {
            info!("~~~~~~~~ THREAD {} ~~~~~~~~", self.threads.active_id());
        }

        curr_thread != self.threads.active_id()
    }

    /// Panics if any leaks were detected
    pub(crate) fn check_for_leaks(&self) {
        self.objects.check_for_leaks();
    }
}

/// kmodel patch: `LOOM_KMODEL_FORCE_STARTS` also forces a new thread's first step (from its
/// start to its first operation). Off: it lost `vm_bo_lifecycle/obtain_races_obtain_broken`'s
/// data race (KMODEL-PATCH.md), so it stays an experiment.
fn force_starts() -> bool {
    static F: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *F.get_or_init(|| std::env::var_os("LOOM_KMODEL_FORCE_STARTS").is_some())
}

impl fmt::Debug for Execution {
    fn fmt(&self, fmt: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt.debug_struct("Execution")
            .field("path", &self.path)
            .field("threads", &self.threads)
            .finish()
    }
}

impl Id {
    pub(crate) fn new() -> Id {
        use std::sync::atomic::AtomicUsize;
        use std::sync::atomic::Ordering::Relaxed;

        // The number picked here is arbitrary. It is mostly to avoid collision
        // with "zero" to aid with debugging.
        static NEXT_ID: AtomicUsize = AtomicUsize::new(46_413_762);

        let next = NEXT_ID.fetch_add(1, Relaxed);

        Id(next)
    }
}
