//! Model of `spinlock_t` (include/linux/spinlock.h) and `struct mutex`
//! (include/linux/mutex.h), with `lockdep_assert_held()` (include/linux/lockdep.h).
//!
//! Ordering (LKMM, tools/memory-model/linux-kernel.def): a lock is an acquire, an unlock a
//! release, as the facade's mutex is; the LKMM's extra ordering of an unlock followed by a
//! lock for CPUs outside the lock is not modelled (`C11: unlock->lock weaker`, see
//! models/litmus/README.md). A failed `spin_trylock()`/`mutex_trylock()` orders nothing.
//! `spin_is_locked()` reads a lock word (`LKW` set by the lock, `UL` cleared by the unlock, a
//! relaxed read), which only [`SpinLock::new_observable`] locks carry.
//!
//! Both are the backend's mutex: taking one is a scheduling point, and a CPU that would block
//! is not runnable, so a deadlock is a deadlock of the explorer. Unlocking is an explicit
//! call that consumes the guard, as in the kernel. Each lock knows the object it lives in, so
//! locking or unlocking it after that object was freed is a use-after-free.
//!
//! `MODEL:` a spinlock and a mutex differ only in name here: spinning, sleeping and
//! preemption are not modelled (a spinlock holder is never preempted in the kernel, but the
//! explorer may switch CPUs inside a spinlock section; that only adds interleavings that are
//! equivalent to the ones real CPUs running in parallel produce).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::invariant::{DEADLOCK, LOCK_MISUSE, LOCK_NOT_HELD, USE_AFTER_FREE};
use crate::rt::{self, ObjId};
use crate::sync::{Mutex, MutexGuard};
use crate::trace::thread_name;

/// Ghost state of a lock: its name, its container, and which CPU holds it (for an
/// `rw_semaphore`, also which CPUs hold it for read: see `rwsem.rs`).
pub struct LockGhost {
    pub(crate) name: String,
    pub(crate) owner: Option<ObjId>,
    /// tid + 1 of the holder (an rwsem's writer), 0 when free.
    pub(crate) holder: AtomicUsize,
    /// An rwsem's readers: bit `tid` set while that CPU holds it for read. Always 0 for a
    /// spinlock or mutex.
    pub(crate) readers: AtomicU64,
    /// The lock word that `spin_is_locked()` reads, for a [`SpinLock::new_observable`] lock
    /// only: 1 while held. Under loom other CPUs may read it stale (weak memory); under
    /// shuttle it is no access at all, and `spin_is_locked()` reads `holder`, which the
    /// acquisition and the release change right after their own scheduling point.
    pub(crate) word: Option<crate::sync::LoomWord>,
}

impl LockGhost {
    /// The ghost of the lock `name` inside the object `owner`, free.
    pub(crate) fn new(owner: Option<ObjId>, name: String) -> LockGhost {
        LockGhost {
            name,
            owner,
            holder: AtomicUsize::new(0),
            readers: AtomicU64::new(0),
            word: None,
        }
    }

    /// Whether the running CPU holds this lock (an rwsem: in either mode).
    pub(crate) fn held_by_current(&self) -> bool {
        self.held_for_write_by_current() || self.held_for_read_by_current()
    }

    /// Whether the running CPU holds this lock exclusively (an rwsem: for write).
    pub(crate) fn held_for_write_by_current(&self) -> bool {
        self.holder.load(Ordering::Relaxed) == rt::current_tid() + 1
    }

    /// Whether the running CPU holds this rwsem for read.
    pub(crate) fn held_for_read_by_current(&self) -> bool {
        self.readers.load(Ordering::Relaxed) & reader_bit(rt::current_tid()) != 0
    }

    /// Before an acquisition, KASAN's check of the lock word's access: the container is
    /// live. A liveness check for loom ([`rt::touch_live_loom`]), so that loom orders it
    /// against the container's `kfree` (no loom operation does: docs/architecture.md, rule
    /// 4; dpor orders the lock event itself, which reads the container's root).
    pub(crate) fn check_owner_live(&self, op: &str) {
        self.owner_live(op, true);
    }

    /// Before a release: the release writes the lock word, so it reads the container's KASAN
    /// shadow (a scheduling point that loom and shuttle order against the `kfree`: rule 4).
    /// The liveness check itself is [`LockGhost::check_owner_live_released`].
    pub(crate) fn touch_owner_shadow(&self) {
        if let Some(id) = self.owner {
            super::slab::touch_shadow(id);
        }
    }

    /// After the release's scheduling point, in the step of its event: the container was
    /// live when the lock word was written. In that step, not before the release's
    /// scheduling point: a `kfree` between the two would otherwise be reported by a replay
    /// that follows the events and not by the run it replays (rule 5;
    /// `litmus/ghost+kfree-fence-lock`, random seed 2). The event's accesses read the
    /// container's root, so loom (object sleep sets) and dpor order the step against the
    /// `kfree`.
    pub(crate) fn check_owner_live_released(&self, op: &str) {
        self.owner_live(op, false);
    }

    fn owner_live(&self, op: &str, ghost_race: bool) {
        let Some(id) = self.owner else { return };
        if !rt::active() {
            return;
        }
        let freed = rt::with(|w| {
            let o = w.objects.get(id)?;
            if ghost_race {
                rt::touch_live_loom(&o.name);
            }
            o.freed.map(|f| (f, o.name.clone()))
        });
        if let Some(((tid, step), obj)) = freed {
            rt::report(
                &USE_AFTER_FREE,
                format!(
                    "{op}({}) after {obj} was freed by {} at step {step}: the lock lived inside it",
                    self.name,
                    thread_name(tid)
                ),
            );
        }
    }
}

/// The bit of `tid` in [`LockGhost::readers`].
pub(crate) fn reader_bit(tid: rt::Tid) -> u64 {
    1u64 << (tid % 64)
}

struct RawLock {
    mutex: Arc<Mutex<()>>,
    ghost: Arc<LockGhost>,
}

impl RawLock {
    fn new(owner: Option<ObjId>, name: String) -> RawLock {
        RawLock {
            mutex: Arc::new(Mutex::new(())),
            ghost: Arc::new(LockGhost::new(owner, name)),
        }
    }

    fn lock(&self, op: &'static str) -> LockGuard {
        self.ghost.check_owner_live(op);
        if op == "mutex_lock" {
            super::sched::might_sleep(&format!("mutex_lock({})", self.ghost.name));
            // mutex_lock(): might_sleep()
        }
        if self.ghost.held_by_current() {
            rt::report(
                &DEADLOCK,
                format!(
                    "{op}({}): {} already holds it (AA deadlock)",
                    self.ghost.name,
                    thread_name(rt::current_tid())
                ),
            );
        }
        super::lockdep::lock_acquire(&self.ghost.name);
        let guard = self.mutex.lock().unwrap_or_else(|e| e.into_inner()); // the acquisition: a scheduling point
        self.acquired(op, guard)
    }

    fn acquired(&self, op: &'static str, guard: MutexGuard<'_, ()>) -> LockGuard {
        if let Some(w) = &self.ghost.word {
            w.store(1, crate::sync::atomic::Ordering::Relaxed); // the lock word's write (LKMM: LKW; loom only)
        }
        self.ghost
            .holder
            .store(rt::current_tid() + 1, Ordering::Relaxed);
        super::lockdep::lock_acquired(&self.ghost.name, true);
        rt::record_self_checked(op, &self.ghost.name, "");
        // spin_lock(): preempt_disable() (ghost, for might_sleep()).
        let atomic = (op == "spin_lock").then(|| format!("spin_lock({})", self.ghost.name));
        if let Some(a) = &atomic {
            super::sched::atomic_enter(a.clone());
        }
        // SAFETY: the guard borrows `*self.mutex`, which the `Arc` stored next to it in the
        // `LockGuard` keeps alive; the guard is dropped first (see `LockGuard::drop`).
        let guard: MutexGuard<'static, ()> = unsafe { std::mem::transmute(guard) };
        LockGuard {
            guard: Some(guard),
            _mutex: self.mutex.clone(),
            ghost: self.ghost.clone(),
            atomic,
        }
    }

    fn trylock(&self, op: &'static str) -> Option<LockGuard> {
        self.ghost.check_owner_live(op);
        match self.mutex.try_lock() {
            Ok(guard) => Some(self.acquired(op, guard)),
            Err(_) => {
                super::lockdep::lock_acquired(&self.ghost.name, false);
                rt::record_self_checked(op, &self.ghost.name, "contended");
                None
            }
        }
    }
}

/// A held lock. Release it with [`spin_unlock`] or [`mutex_unlock`].
#[must_use = "a lock is released with spin_unlock() or mutex_unlock()"]
pub struct LockGuard {
    guard: Option<MutexGuard<'static, ()>>,
    _mutex: Arc<Mutex<()>>,
    ghost: Arc<LockGhost>,
    /// A spinlock's atomic section (for `might_sleep()`), `None` for a mutex.
    atomic: Option<String>,
}

impl LockGuard {
    fn unlock(mut self, op: &'static str) {
        // The release writes the lock word inside its container: the access that is a
        // use-after-free if another CPU freed the container meanwhile (see `slab`).
        self.ghost.touch_owner_shadow();
        if !self.ghost.held_by_current() {
            rt::report(
                &LOCK_MISUSE,
                format!(
                    "{op}({}) by {}, which does not hold it",
                    self.ghost.name,
                    thread_name(rt::current_tid())
                ),
            );
        }
        // Ghost, while still held: no dangling pointer left in what the lock protects.
        super::slab::check_reachable_at_unlock(&self.ghost, op);
        if let Some(w) = &self.ghost.word {
            w.store(0, crate::sync::atomic::Ordering::Release); // the unlock's release write (LKMM: UL; loom only)
        }
        self.guard.take(); // the release: shuttle's scheduling point comes before it
                           // Ghost, after the last scheduling point: no CPU sees the lock free before the
                           // release is recorded (`spin_is_locked()` under shuttle reads it).
        self.ghost.holder.store(0, Ordering::Relaxed);
        super::lockdep::lock_release(&self.ghost.name);
        if let Some(a) = self.atomic.take() {
            super::sched::atomic_exit(&a); // spin_unlock(): preempt_enable()
        }
        self.ghost.check_owner_live_released(op);
        // Recorded after the release, so that a replay runs the unlocking CPU through the
        // release's scheduling point to the release itself.
        rt::record_self_checked(op, &self.ghost.name, "");
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.guard.is_some() {
            self.ghost.holder.store(0, Ordering::Relaxed);
            if rt::active() && !std::thread::panicking() {
                rt::report(
                    &LOCK_MISUSE,
                    format!("{} still held when its holder returned", self.ghost.name),
                );
            }
            self.guard.take();
            super::lockdep::lock_release(&self.ghost.name);
            if let Some(a) = self.atomic.take() {
                super::sched::atomic_exit(&a);
            }
        }
    }
}

/// Anything lockdep can assert on.
pub trait Lockable {
    #[doc(hidden)]
    fn ghost(&self) -> &Arc<LockGhost>;
}

/// Model of `spinlock_t`.
pub struct SpinLock(RawLock);

impl SpinLock {
    /// `spin_lock_init()` of the lock `field` inside the object `owner` (id and name).
    pub fn new(owner: ObjId, owner_name: &str, field: &str) -> SpinLock {
        SpinLock(RawLock::new(Some(owner), format!("{owner_name}.{field}")))
    }
}

impl SpinLock {
    /// The same, for a lock that some CPU reads with [`spin_is_locked`]: it gets a lock word
    /// (under loom, one more access in each lock and unlock, so only such locks have one).
    /// `MODEL:` the kernel's every spinlock has its word; the model gives one only where it
    /// is read, to keep the other models' explorations as they are.
    pub fn new_observable(owner: ObjId, owner_name: &str, field: &str) -> SpinLock {
        let mut raw = RawLock::new(Some(owner), format!("{owner_name}.{field}"));
        Arc::get_mut(&mut raw.ghost).expect("just created").word =
            Some(crate::sync::LoomWord::new(0));
        SpinLock(raw)
    }
}

impl Lockable for SpinLock {
    fn ghost(&self) -> &Arc<LockGhost> {
        &self.0.ghost
    }
}

/// Model of `struct mutex` (also used for `dma_resv`'s ww_mutex where the scenario does not
/// need wound/wait; the model that does so says so with a `MODEL:` line).
pub struct KMutex(RawLock);

impl KMutex {
    /// `mutex_init()` of the lock `field` inside the object `owner` (id and name).
    pub fn new(owner: ObjId, owner_name: &str, field: &str) -> KMutex {
        KMutex(RawLock::new(Some(owner), format!("{owner_name}.{field}")))
    }
}

impl Lockable for KMutex {
    fn ghost(&self) -> &Arc<LockGhost> {
        &self.0.ghost
    }
}

/// `spin_lock(lock)`.
pub fn spin_lock(lock: &SpinLock) -> LockGuard {
    lock.0.lock("spin_lock")
}

/// `spin_unlock(lock)`.
pub fn spin_unlock(guard: LockGuard) {
    guard.unlock("spin_unlock")
}

/// `spin_trylock(lock)`: `Some` if it was taken. A failed trylock is a read of the lock
/// and orders nothing.
pub fn spin_trylock(lock: &SpinLock) -> Option<LockGuard> {
    lock.0.trylock("spin_trylock")
}

/// `spin_is_locked(lock)`: whether the lock is held, as the running CPU sees its lock word
/// (an unordered read: LKMM `RL`/`RU`, linux-kernel.def). Needs a lock made with
/// [`SpinLock::new_observable`].
pub fn spin_is_locked(lock: &SpinLock) -> bool {
    let g = &lock.0.ghost;
    let w = g.word.as_ref().unwrap_or_else(|| {
        panic!(
            "spin_is_locked({}): the lock was made with SpinLock::new, not SpinLock::new_observable",
            g.name
        )
    });
    let v = w
        .load_point(crate::sync::atomic::Ordering::Relaxed) // spin_is_locked(lock)
        .unwrap_or_else(|| g.holder.load(Ordering::Relaxed)); // shuttle: the latest value
    rt::record("spin_is_locked", &g.name, &(v != 0).to_string());
    v != 0
}

/// `mutex_lock(lock)`.
pub fn mutex_lock(lock: &KMutex) -> LockGuard {
    lock.0.lock("mutex_lock")
}

/// `mutex_trylock(lock)`: `Some` if it was taken.
pub fn mutex_trylock(lock: &KMutex) -> Option<LockGuard> {
    lock.0.trylock("mutex_trylock")
}

/// `mutex_unlock(lock)`.
pub fn mutex_unlock(guard: LockGuard) {
    guard.unlock("mutex_unlock")
}

/// `lockdep_assert_held(lock)`: a violation if the running CPU does not hold `lock`.
pub fn lockdep_assert_held(lock: &impl Lockable) {
    let g = lock.ghost();
    if !g.held_by_current() {
        rt::report(
            &LOCK_NOT_HELD,
            format!(
                "lockdep_assert_held({}) fails on {}",
                g.name,
                thread_name(rt::current_tid())
            ),
        );
    }
}
