//! Model of `struct rw_semaphore` (include/linux/rwsem.h, kernel/locking/rwsem.c, v6.8):
//! `down_read()` / `up_read()` / `down_write()` / `up_write()`, `down_read_trylock()` /
//! `down_write_trylock()`, with
//! `lockdep_assert_held_write()` / `lockdep_assert_held_read()` (include/linux/lockdep.h).
//!
//! The semaphore is the backend's reader-writer lock: any number of CPUs hold it for read at
//! once, a writer holds it alone. Taking it in either mode is a scheduling point, and a CPU
//! that would block is not runnable, so a deadlock is a deadlock of the explorer and is
//! reported with the lock each blocked CPU waits for. Releasing it is an explicit call that
//! consumes the guard, as in the kernel, and is recorded after the release (as `lock.rs`
//! does). Each semaphore knows the object it lives in: taking or releasing it after that
//! object was freed is a use-after-free, and the release reads the object's KASAN shadow
//! (see `slab.rs`).
//!
//! lockdep: both modes add the same lock-order edges as a mutex (`lockdep.rs`): a cycle
//! through a read acquisition is reported too, as lockdep does for an rwsem, whose readers
//! are not recursive. [`lockdep_assert_held`](super::lockdep_assert_held) accepts either
//! mode, as the kernel's does; [`lockdep_assert_held_write`] and
//! [`lockdep_assert_held_read`] check one.
//!
//! Orderings (Documentation/locking/locktypes.rst, LKMM: a lock acquisition is an ACQUIRE, a
//! release a RELEASE): `down_read()`/`down_write()` acquire, `up_read()`/`up_write()`
//! release. In C11 terms the backend's lock gives that edge from every release to every
//! later acquisition (loom: a reader also acquires from an earlier reader's release, which
//! the kernel's rwsem count, an atomic RMW chain, gives as well).
//!
//! `MODEL:` no writer preference or handoff (kernel/locking/rwsem.c queues a reader behind
//! a waiting writer; the backends may let a reader in first), so a recursive `down_read()`,
//! which deadlocks in the kernel once a writer queues between the two, is reported at once
//! as a `DEADLOCK` rather than explored; no `downgrade_write()`, no `_killable` /
//! `_interruptible` variants, no optimistic spinning.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::lock::{reader_bit, LockGhost, Lockable};
use crate::invariant::{DEADLOCK, LOCK_MISUSE, LOCK_NOT_HELD};
use crate::rt::{self, ObjId};
use crate::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use crate::trace::thread_name;

/// Model of `struct rw_semaphore`.
pub struct RwSemaphore {
    rw: Arc<RwLock<()>>,
    ghost: Arc<LockGhost>,
}

impl RwSemaphore {
    /// `init_rwsem()` of the semaphore `field` inside the object `owner` (id and name).
    pub fn new(owner: ObjId, owner_name: &str, field: &str) -> RwSemaphore {
        RwSemaphore {
            rw: Arc::new(RwLock::new(())),
            ghost: Arc::new(LockGhost::new(Some(owner), format!("{owner_name}.{field}"))),
        }
    }

    /// Before taking it: a use-after-free of the container, a self-deadlock, lockdep.
    fn before(&self, op: &str) {
        self.ghost.check_owner_live(op);
        super::sched::might_sleep(&format!("{op}({})", self.ghost.name)); // down_read()/down_write(): might_sleep()
        let g = &self.ghost;
        if g.held_for_write_by_current() || g.held_for_read_by_current() {
            let mode = if g.held_for_write_by_current() {
                "for write"
            } else {
                "for read (readers are not recursive: a writer queued in between blocks the second down_read)"
            };
            rt::report(
                &DEADLOCK,
                format!(
                    "{op}({}): {} already holds it {mode}",
                    g.name,
                    thread_name(rt::current_tid())
                ),
            );
        }
        super::lockdep::lock_acquire(&g.name);
    }

    /// Before a trylock: as [`RwSemaphore::before`], without lockdep's ordering edge (a
    /// trylock cannot deadlock, so lockdep adds none).
    fn before_trylock(&self, op: &str) {
        self.ghost.check_owner_live(op);
        let g = &self.ghost;
        if g.held_for_write_by_current() || g.held_for_read_by_current() {
            rt::report(
                &DEADLOCK,
                format!(
                    "{op}({}): {} already holds it (MODEL: a holder's trylock is not modelled)",
                    g.name,
                    thread_name(rt::current_tid())
                ),
            );
        }
    }
}

impl Lockable for RwSemaphore {
    fn ghost(&self) -> &Arc<LockGhost> {
        &self.ghost
    }
}

/// `rw_semaphore` held for read. Release it with [`up_read`].
#[must_use = "an rw_semaphore taken with down_read() is released with up_read()"]
pub struct RwsemReadGuard {
    guard: Option<RwLockReadGuard<'static, ()>>,
    _rw: Arc<RwLock<()>>,
    ghost: Arc<LockGhost>,
    tid: rt::Tid,
}

/// `rw_semaphore` held for write. Release it with [`up_write`].
#[must_use = "an rw_semaphore taken with down_write() is released with up_write()"]
pub struct RwsemWriteGuard {
    guard: Option<RwLockWriteGuard<'static, ()>>,
    _rw: Arc<RwLock<()>>,
    ghost: Arc<LockGhost>,
}

/// `down_read(sem)`: take `sem` for read (shared with other readers), sleeping while a
/// writer holds it.
pub fn down_read(sem: &RwSemaphore) -> RwsemReadGuard {
    sem.before("down_read");
    let guard = sem.rw.read().unwrap_or_else(|e| e.into_inner()); // down_read(sem): the acquisition, a scheduling point
    let tid = rt::current_tid();
    sem.ghost
        .readers
        .fetch_or(reader_bit(tid), Ordering::Relaxed);
    super::lockdep::lock_acquired(&sem.ghost.name, true);
    rt::record_self_checked("down_read", &sem.ghost.name, "");
    // SAFETY: the guard borrows `*sem.rw`, which the `Arc` stored next to it keeps alive;
    // the guard is dropped first (see `up_read` and `Drop`).
    let guard: RwLockReadGuard<'static, ()> = unsafe { std::mem::transmute(guard) };
    RwsemReadGuard {
        guard: Some(guard),
        _rw: sem.rw.clone(),
        ghost: sem.ghost.clone(),
        tid,
    }
}

/// `down_write(sem)`: take `sem` exclusively, sleeping while anyone holds it.
pub fn down_write(sem: &RwSemaphore) -> RwsemWriteGuard {
    sem.before("down_write");
    let guard = sem.rw.write().unwrap_or_else(|e| e.into_inner()); // down_write(sem): the acquisition, a scheduling point
    sem.ghost
        .holder
        .store(rt::current_tid() + 1, Ordering::Relaxed);
    super::lockdep::lock_acquired(&sem.ghost.name, true);
    rt::record_self_checked("down_write", &sem.ghost.name, "");
    // SAFETY: as in `down_read`.
    let guard: RwLockWriteGuard<'static, ()> = unsafe { std::mem::transmute(guard) };
    RwsemWriteGuard {
        guard: Some(guard),
        _rw: sem.rw.clone(),
        ghost: sem.ghost.clone(),
    }
}

/// `down_read_trylock(sem)` (kernel/locking/rwsem.c, v6.8): take `sem` for read if no
/// writer holds it, without sleeping; `None` if one does.
///
/// `MODEL:` a trylock by a CPU that already holds `sem` is reported as `DEADLOCK`, as
/// `down_read()` is (the kernel's would fail or, for a reader, succeed); no writer waiting
/// in the queue makes it fail (no handoff, as for `down_read()`).
pub fn down_read_trylock(sem: &RwSemaphore) -> Option<RwsemReadGuard> {
    sem.before_trylock("down_read_trylock");
    let Ok(guard) = sem.rw.try_read() else {
        // down_read_trylock(sem): the attempt, a scheduling point; a writer holds it
        super::lockdep::lock_acquired(&sem.ghost.name, false);
        rt::record_self_checked("down_read_trylock", &sem.ghost.name, "contended");
        return None;
    };
    let tid = rt::current_tid();
    sem.ghost
        .readers
        .fetch_or(reader_bit(tid), Ordering::Relaxed);
    super::lockdep::lock_acquired(&sem.ghost.name, true);
    rt::record_self_checked("down_read_trylock", &sem.ghost.name, "");
    // SAFETY: as in `down_read`.
    let guard: RwLockReadGuard<'static, ()> = unsafe { std::mem::transmute(guard) };
    Some(RwsemReadGuard {
        guard: Some(guard),
        _rw: sem.rw.clone(),
        ghost: sem.ghost.clone(),
        tid,
    })
}

/// `down_write_trylock(sem)` (kernel/locking/rwsem.c, v6.8): take `sem` exclusively if
/// nobody holds it, without sleeping; `None` otherwise.
///
/// `MODEL:` as [`down_read_trylock`].
pub fn down_write_trylock(sem: &RwSemaphore) -> Option<RwsemWriteGuard> {
    sem.before_trylock("down_write_trylock");
    let Ok(guard) = sem.rw.try_write() else {
        // down_write_trylock(sem): the attempt, a scheduling point; someone holds it
        super::lockdep::lock_acquired(&sem.ghost.name, false);
        rt::record_self_checked("down_write_trylock", &sem.ghost.name, "contended");
        return None;
    };
    sem.ghost
        .holder
        .store(rt::current_tid() + 1, Ordering::Relaxed);
    super::lockdep::lock_acquired(&sem.ghost.name, true);
    rt::record_self_checked("down_write_trylock", &sem.ghost.name, "");
    // SAFETY: as in `down_read`.
    let guard: RwLockWriteGuard<'static, ()> = unsafe { std::mem::transmute(guard) };
    Some(RwsemWriteGuard {
        guard: Some(guard),
        _rw: sem.rw.clone(),
        ghost: sem.ghost.clone(),
    })
}

/// The checks every release makes: the container is live (the release writes the count
/// inside it), the releasing CPU holds the semaphore in this mode, and no field it protects
/// is left pointing to a freed object.
fn before_release(ghost: &LockGhost, op: &str, held: bool) {
    ghost.touch_owner_shadow(); // (the liveness check is after the release, in its step)
    if !held {
        rt::report(
            &LOCK_MISUSE,
            format!(
                "{op}({}) by {}, which does not hold it",
                ghost.name,
                thread_name(rt::current_tid())
            ),
        );
    }
    super::slab::check_reachable_at_unlock(ghost, op);
}

/// `up_read(sem)`.
pub fn up_read(mut g: RwsemReadGuard) {
    let held = g.tid == rt::current_tid() && g.ghost.held_for_read_by_current();
    before_release(&g.ghost, "up_read", held);
    g.ghost
        .readers
        .fetch_and(!reader_bit(g.tid), Ordering::Relaxed);
    g.guard.take(); // up_read(sem): the release; shuttle's scheduling point comes before it
    super::lockdep::lock_release(&g.ghost.name);
    g.ghost.check_owner_live_released("up_read");
    rt::record_self_checked("up_read", &g.ghost.name, "");
}

/// `up_write(sem)`.
pub fn up_write(mut g: RwsemWriteGuard) {
    let held = g.ghost.held_for_write_by_current();
    before_release(&g.ghost, "up_write", held);
    g.ghost.holder.store(0, Ordering::Relaxed);
    g.guard.take(); // up_write(sem): the release; shuttle's scheduling point comes before it
    super::lockdep::lock_release(&g.ghost.name);
    g.ghost.check_owner_live_released("up_write");
    rt::record_self_checked("up_write", &g.ghost.name, "");
}

fn still_held(ghost: &LockGhost) {
    if rt::active() && !std::thread::panicking() {
        rt::report(
            &LOCK_MISUSE,
            format!("{} still held when its holder returned", ghost.name),
        );
    }
    super::lockdep::lock_release(&ghost.name);
}

impl Drop for RwsemReadGuard {
    fn drop(&mut self) {
        if self.guard.is_some() {
            self.ghost
                .readers
                .fetch_and(!reader_bit(self.tid), Ordering::Relaxed);
            self.guard.take();
            still_held(&self.ghost);
        }
    }
}

impl Drop for RwsemWriteGuard {
    fn drop(&mut self) {
        if self.guard.is_some() {
            self.ghost.holder.store(0, Ordering::Relaxed);
            self.guard.take();
            still_held(&self.ghost);
        }
    }
}

/// `lockdep_assert_held_write(sem)`: a violation unless the running CPU holds `sem` for
/// write.
pub fn lockdep_assert_held_write(sem: &RwSemaphore) {
    if !sem.ghost.held_for_write_by_current() {
        rt::report(
            &LOCK_NOT_HELD,
            format!(
                "lockdep_assert_held_write({}) fails on {}",
                sem.ghost.name,
                thread_name(rt::current_tid())
            ),
        );
    }
}

/// `lockdep_assert_held_read(sem)`: a violation unless the running CPU holds `sem` for read.
pub fn lockdep_assert_held_read(sem: &RwSemaphore) {
    if !sem.ghost.held_for_read_by_current() {
        rt::report(
            &LOCK_NOT_HELD,
            format!(
                "lockdep_assert_held_read({}) fails on {}",
                sem.ghost.name,
                thread_name(rt::current_tid())
            ),
        );
    }
}
