use crate::rt::object::{self, Action};
use crate::rt::{thread, Access, Location, Synchronize, VersionVec};

use std::sync::atomic::Ordering::{Acquire, Release};

use tracing::trace;
#[derive(Debug, Copy, Clone)]
pub(crate) struct Mutex {
    state: object::Ref<State>,
}

#[derive(Debug)]
pub(super) struct State {
    /// If the mutex should establish sequential consistency.
    seq_cst: bool,

    /// `Some` when the mutex is in the locked state. The `thread::Id`
    /// references the thread that currently holds the mutex.
    lock: Option<thread::Id>,

    /// Tracks access to the mutex
    last_access: Option<Access>,

    /// kmodel patch: the last access that is not a release (`racing_accesses`).
    last_lock_access: Option<Access>,

    /// Causality transfers between threads
    synchronize: Synchronize,
}

impl Mutex {
    pub(crate) fn new(seq_cst: bool) -> Mutex {
        super::execution(|execution| {
            let state = execution.objects.insert(State {
                seq_cst,
                lock: None,
                last_access: None,
                last_lock_access: None,
                synchronize: Synchronize::new(),
            });

            trace!(?state, ?seq_cst, "Mutex::new");

            Mutex { state }
        })
    }

    pub(crate) fn acquire_lock(&self, location: Location) {
        self.state.branch_acquire(self.is_locked(), location);
        assert!(self.post_acquire(), "expected to be able to acquire lock");
    }

    pub(crate) fn try_acquire_lock(&self, location: Location) -> bool {
        // kmodel patch: a try_lock is its own action, so that another thread's acquisition
        // does not disable it (`post_acquire`): it runs, and fails, while the lock is held.
        self.state.branch_action(Action::TryLock, location);
        self.post_acquire()
    }

    pub(crate) fn release_lock(&self) {
        // kmodel patch: the release is a scheduling point, a dependent access of the mutex
        // like the acquisitions. Released inside the holder's last transition (0.7.2), no
        // thread ever ran between that transition and the release, and a `try_lock` racing
        // with the release was never reordered before it: it never failed unless another
        // dependency forced it. Not while unwinding (a panic or a deadlock in progress).
        if super::execution(|execution| execution.threads.is_active()) && !std::thread::panicking()
        {
            self.state
                .branch_action(Action::Unlock, Location::disabled());
        }

        super::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);

            // Release the lock flag
            state.lock = None;

            // Execution has deadlocked, cleanup does not matter.
            if !execution.threads.is_active() {
                return;
            }

            state
                .synchronize
                .sync_store(&mut execution.threads, Release);

            if state.seq_cst {
                // Establish sequential consistency between the lock's operations.
                execution.threads.seq_cst();
            }

            let thread_id = execution.threads.active_id();

            for (id, thread) in execution.threads.iter_mut() {
                if id == thread_id {
                    continue;
                }

                let obj = thread
                    .operation
                    .as_ref()
                    .map(|operation| operation.object());

                if obj == Some(self.state.erase()) {
                    trace!(state = ?self.state, thread = ?id,
                        "Mutex::release_lock");
                    thread.set_runnable();
                }
            }
        });
    }

    fn post_acquire(&self) -> bool {
        super::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);
            let thread_id = execution.threads.active_id();

            if state.lock.is_some() {
                return false;
            }

            // Set the lock to the current thread
            state.lock = Some(thread_id);

            dbg!(state.synchronize.sync_load(&mut execution.threads, Acquire));

            if state.seq_cst {
                // Establish sequential consistency between locks
                execution.threads.seq_cst();
            }

            // Block all **other** threads attempting to acquire the mutex
            for (id, thread) in execution.threads.iter_mut() {
                if id == thread_id {
                    continue;
                }

                if let Some(operation) = thread.operation.as_ref() {
                    // kmodel patch: a pending `try_lock` is not disabled: it fails.
                    if operation.object() == self.state.erase()
                        && operation.action() != Action::TryLock
                    {
                        let location = operation.location();
                        trace!(state = ?self.state, thread = ?id,
                            "Mutex::post_acquire");
                        thread.set_blocked(location);
                    }
                }
            }

            true
        })
    }

    /// Returns `true` if the mutex is currently locked
    fn is_locked(&self) -> bool {
        super::execution(|execution| {
            let is_locked = self.state.get(&execution.objects).lock.is_some();

            trace!(state = ?self.state, ?is_locked, "Mutex::is_locked");

            is_locked
        })
    }
}

impl State {
    pub(crate) fn last_dependent_access(&self) -> Option<&Access> {
        self.last_access.as_ref()
    }

    pub(crate) fn set_last_access(&mut self, path_id: usize, version: &VersionVec) {
        Access::set_or_create(&mut self.last_access, path_id, version);
    }

    /// kmodel patch: the last acquisition or `try_lock` (not a release).
    pub(crate) fn last_lock_access(&self) -> Option<&Access> {
        self.last_lock_access.as_ref()
    }

    pub(crate) fn set_last_lock_access(&mut self, path_id: usize, version: &VersionVec) {
        Access::set_or_create(&mut self.last_lock_access, path_id, version);
    }
}

/// kmodel patch: whether a blocking acquisition races with the last acquisition or
/// `try_lock` rather than with a release after it (KMODEL-PATCH.md, "A lock acquisition does
/// not race with the release before it"), unless `LOOM_KMODEL_NO_LOCK_RACES=1`.
pub(crate) fn acquire_races_lock() -> bool {
    static NO: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !*NO.get_or_init(|| std::env::var_os("LOOM_KMODEL_NO_LOCK_RACES").is_some())
}
