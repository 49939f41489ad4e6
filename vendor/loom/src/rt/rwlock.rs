use crate::rt::object;
use crate::rt::{thread, Access, Execution, Location, Synchronize, VersionVec};

use std::collections::HashSet;
use std::sync::atomic::Ordering::{Acquire, Release};

#[derive(Debug, Copy, Clone)]
pub(crate) struct RwLock {
    state: object::Ref<State>,
}

#[derive(Debug, PartialEq)]
enum Locked {
    Read(HashSet<thread::Id>),
    Write(thread::Id),
}

#[derive(Debug, Copy, Clone, PartialEq)]
pub(super) enum Action {
    /// Read lock
    Read,

    /// Write lock
    Write,

    /// kmodel patch: `try_read`, which a writer's acquisition does not disable
    TryRead,

    /// kmodel patch: `try_write`, which no acquisition disables
    TryWrite,

    /// kmodel patch: a reader's release (dependent on every access of the lock, like the
    /// `Opaque` it was; co-enabled with another reader's acquisition, not a writer's:
    /// `State::racing_access`)
    ReadUnlock,

    /// kmodel patch: a writer's release (never co-enabled with a blocking acquisition)
    WriteUnlock,
}

#[derive(Debug)]
pub(super) struct State {
    /// A single `thread::Id` when Write locked.
    /// A set of `thread::Id` when Read locked.
    lock: Option<Locked>,

    /// Tracks write access to the rwlock.
    last_access: Option<Access>,

    /// kmodel patch: the last access that is not a release, and whether the last access is
    /// a release (which) (`State::racing_access`).
    last_lock_access: Option<Access>,
    last_release: Option<Action>,

    /// Causality transfers between threads
    synchronize: Synchronize,
}

impl RwLock {
    /// Common RwLock function
    pub(crate) fn new() -> RwLock {
        super::execution(|execution| {
            let state = execution.objects.insert(State {
                lock: None,
                last_access: None,
                last_lock_access: None,
                last_release: None,
                synchronize: Synchronize::new(),
            });

            RwLock { state }
        })
    }

    /// Acquire the read lock.
    /// Fail to acquire read lock if already *write* locked.
    pub(crate) fn acquire_read_lock(&self, location: Location) {
        self.state
            .branch_disable(Action::Read, self.is_write_locked(), location);

        assert!(
            self.post_acquire_read_lock(),
            "expected to be able to acquire read lock"
        );
    }

    /// Acquire write lock.
    /// Fail to acquire write lock if either read or write locked.
    pub(crate) fn acquire_write_lock(&self, location: Location) {
        self.state.branch_disable(
            Action::Write,
            self.is_write_locked() || self.is_read_locked(),
            location,
        );

        assert!(
            self.post_acquire_write_lock(),
            "expected to be able to acquire write lock"
        );
    }

    pub(crate) fn try_acquire_read_lock(&self, location: Location) -> bool {
        // kmodel patch: its own action, so that a writer's acquisition does not disable it
        // (`post_acquire_write_lock`): it runs, and fails, while the lock is write-held.
        self.state.branch_action(Action::TryRead, location);
        self.post_acquire_read_lock()
    }

    pub(crate) fn try_acquire_write_lock(&self, location: Location) -> bool {
        // kmodel patch: as `try_acquire_read_lock`.
        self.state.branch_action(Action::TryWrite, location);
        self.post_acquire_write_lock()
    }

    pub(crate) fn release_read_lock(&self) {
        self.branch_release(Action::ReadUnlock);

        super::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);
            let thread_id = execution.threads.active_id();

            state
                .synchronize
                .sync_store(&mut execution.threads, Release);

            // Establish sequential consistency between the lock's operations.
            execution.threads.seq_cst();

            let readers = match &mut state.lock {
                Some(Locked::Read(readers)) => readers,
                _ => panic!("invalid internal loom state"),
            };

            readers.remove(&thread_id);

            if readers.is_empty() {
                state.lock = None;

                self.unlock_threads(execution, thread_id);
            }
        });
    }

    pub(crate) fn release_write_lock(&self) {
        self.branch_release(Action::WriteUnlock);

        super::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);

            state.lock = None;

            state
                .synchronize
                .sync_store(&mut execution.threads, Release);

            // Establish sequential consistency between the lock's operations.
            execution.threads.seq_cst();

            let thread_id = execution.threads.active_id();

            self.unlock_threads(execution, thread_id);
        });
    }

    /// kmodel patch: a release is a scheduling point, a dependent access of the lock like the
    /// acquisitions (see `Mutex::release_lock`): a `try_read`/`try_write` racing with it is
    /// reordered before it. Not while unwinding. Its own action (`ReadUnlock`, `WriteUnlock`),
    /// for `State::racing_access`.
    fn branch_release(&self, action: Action) {
        if super::execution(|execution| execution.threads.is_active()) && !std::thread::panicking()
        {
            self.state.branch_action(action, Location::disabled());
        }
    }

    fn unlock_threads(&self, execution: &mut Execution, thread_id: thread::Id) {
        // TODO: This and the above function look very similar.
        // Refactor the two to DRY the code.
        for (id, thread) in execution.threads.iter_mut() {
            if id == thread_id {
                continue;
            }

            let obj = thread
                .operation
                .as_ref()
                .map(|operation| operation.object());

            if obj == Some(self.state.erase()) {
                thread.set_runnable();
            }
        }
    }

    /// Returns `true` if RwLock is read locked
    fn is_read_locked(&self) -> bool {
        super::execution(|execution| {
            let lock = &self.state.get(&execution.objects).lock;
            matches!(lock, Some(Locked::Read(_)))
        })
    }

    /// Returns `true` if RwLock is write locked.
    fn is_write_locked(&self) -> bool {
        super::execution(|execution| {
            let lock = &self.state.get(&execution.objects).lock;
            matches!(lock, Some(Locked::Write(_)))
        })
    }

    fn post_acquire_read_lock(&self) -> bool {
        super::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);
            let thread_id = execution.threads.active_id();

            // Set the lock to the current thread
            let mut already_locked = false;
            state.lock = match state.lock.take() {
                None => {
                    let mut threads: HashSet<thread::Id> = HashSet::new();
                    threads.insert(thread_id);
                    Some(Locked::Read(threads))
                }
                Some(Locked::Read(mut threads)) => {
                    threads.insert(thread_id);
                    Some(Locked::Read(threads))
                }
                Some(Locked::Write(writer)) => {
                    already_locked = true;
                    Some(Locked::Write(writer))
                }
            };

            // The RwLock is already Write locked, so we cannot acquire a read lock on it.
            if already_locked {
                return false;
            }

            dbg!(state.synchronize.sync_load(&mut execution.threads, Acquire));

            execution.threads.seq_cst();

            // Block all writer threads from attempting to acquire the RwLock
            for (id, th) in execution.threads.iter_mut() {
                if id == thread_id {
                    continue;
                }

                let op = match th.operation.as_ref() {
                    Some(op) if op.object() == self.state.erase() => op,
                    _ => continue,
                };

                if op.action() == Action::Write {
                    let location = op.location();
                    th.set_blocked(location);
                }
            }

            true
        })
    }

    fn post_acquire_write_lock(&self) -> bool {
        super::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);
            let thread_id = execution.threads.active_id();

            // Set the lock to the current thread
            state.lock = match state.lock {
                Some(Locked::Read(_)) => return false,
                Some(Locked::Write(_)) => return false,
                None => Some(Locked::Write(thread_id)),
            };

            state.synchronize.sync_load(&mut execution.threads, Acquire);

            // Establish sequential consistency between locks
            execution.threads.seq_cst();

            // Block all other threads attempting to acquire rwlock
            // Block all writer threads from attempting to acquire the RwLock
            for (id, th) in execution.threads.iter_mut() {
                if id == thread_id {
                    continue;
                }

                match th.operation.as_ref() {
                    // kmodel patch: a pending `try_read`/`try_write` is not disabled: it fails.
                    Some(op)
                        if op.object() == self.state.erase()
                            && op.action() != Action::TryRead
                            && op.action() != Action::TryWrite =>
                    {
                        let location = op.location();
                        th.set_blocked(location);
                    }
                    _ => continue,
                };
            }

            true
        })
    }
}

impl State {
    pub(crate) fn last_dependent_access(&self) -> Option<&Access> {
        self.last_access.as_ref()
    }

    pub(crate) fn set_last_access(&mut self, path_id: usize, version: &VersionVec) {
        Access::set_or_create(&mut self.last_access, path_id, version)
    }

    /// kmodel patch: the access `action` races with when it is not the last one (KMODEL-PATCH.md,
    /// "A lock acquisition does not race with the release before it"): a blocking write
    /// acquisition after a release, and a blocking read acquisition after a writer's release,
    /// race with the last access that is not a release (the release is never co-enabled with
    /// them: the lock is held while it is enabled). `None`: the last access, as loom.
    pub(crate) fn racing_access(&self, action: Action) -> Option<Option<&Access>> {
        match (action, self.last_release) {
            (Action::Write, Some(_)) | (Action::Read, Some(Action::WriteUnlock))
                if crate::rt::mutex::acquire_races_lock() =>
            {
                Some(self.last_lock_access.as_ref())
            }
            _ => None,
        }
    }

    /// kmodel patch: `action` was the last access (`racing_access`).
    pub(crate) fn set_last_action(&mut self, action: Action, path_id: usize, version: &VersionVec) {
        if action == Action::ReadUnlock || action == Action::WriteUnlock {
            self.last_release = Some(action);
        } else {
            self.last_release = None;
            Access::set_or_create(&mut self.last_lock_access, path_id, version);
        }
    }
}
