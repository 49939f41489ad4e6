//! `rw_semaphore` (`checker::kernel::rwsem`) against include/linux/rwsem.h semantics:
//! readers share it, a writer excludes everyone, the lock orders what its holders wrote
//! (acquire/release), and misuse is reported (a recursive acquisition as a DEADLOCK, a
//! guard dropped without `up_*()`, `lockdep_assert_held_write/read` in the wrong mode,
//! an inversion through a read acquisition, a release after the container was freed).
//! The concurrent scenarios are explored to completion: by loom in the loom suite, by
//! shuttle's DFS in `cargo test`.

use std::sync::atomic::{AtomicUsize, Ordering};

use checker::explore::{run, Explorer};
use checker::invariant::Invariant;
use checker::kernel::lockdep::LOCK_ORDER;
use checker::kernel::{
    atomic_inc, atomic_inc_return, atomic_read, down_read, down_write, kfree, kzalloc, mutex_lock,
    mutex_unlock, up_read, up_write, AtomicT, KMutex, Obj, RwSemaphore, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{check, join, spawn_cpu, Expected, Scenario};

/// A witness: two CPUs inside the read side at once.
const READERS_SHARE: Invariant = Invariant::new(
    "READERS_SHARE",
    "(a witness, not a rule) two CPUs never hold the rw_semaphore for read at the same time",
);

/// A writer holds the semaphore alone.
const WRITER_ALONE: Invariant = Invariant::new(
    "WRITER_ALONE",
    "while a CPU holds the rw_semaphore for write, no other CPU holds it in either mode",
);

/// What a writer wrote under the semaphore is seen whole by a later reader.
const READER_SEES_WRITER: Invariant = Invariant::new(
    "READER_SEES_WRITER",
    "a reader that sees the second store a writer made under the rw_semaphore also sees the first",
);

struct Sem {
    sem: RwSemaphore,
    other: KMutex,
    x: AtomicT,
    y: AtomicT,
    /// Readers that entered, and that left (facade atomics, so that loom orders the two
    /// readers' sections against each other).
    entered: AtomicT,
    left: AtomicT,
    /// Ghost: readers and writers inside now.
    readers: AtomicUsize,
    writers: AtomicUsize,
}

fn sem() -> Obj<Sem> {
    kzalloc("vm", |id, n| Sem {
        sem: RwSemaphore::new(id, n, "notifier_lock"),
        other: KMutex::new(id, n, "resv"),
        x: AtomicT::new(n, "x", 0),
        y: AtomicT::new(n, "y", 0),
        entered: AtomicT::new(n, "entered", 0),
        left: AtomicT::new(n, "left", 0),
        readers: AtomicUsize::new(0),
        writers: AtomicUsize::new(0),
    })
}

fn reader(s: &Obj<Sem>, witness: bool) {
    let g = down_read(&s.sem);
    s.readers.fetch_add(1, Ordering::Relaxed);
    let w = s.writers.load(Ordering::Relaxed);
    check(w == 0, &WRITER_ALONE, || {
        format!("a reader got in while {w} writer(s) hold it")
    });
    if witness {
        let entered = atomic_inc_return(&s.entered);
        let left = atomic_read(&s.left);
        check(entered - left < 2, &READERS_SHARE, || {
            format!("{} readers inside", entered - left)
        });
    }
    let y = READ_ONCE(&s.y);
    let x = READ_ONCE(&s.x);
    check(y == 0 || x == 1, &READER_SEES_WRITER, || {
        format!("the reader saw y == {y} but x == {x}")
    });
    if witness {
        atomic_inc(&s.left);
    }
    s.readers.fetch_sub(1, Ordering::Relaxed);
    up_read(g);
}

fn writer(s: &Obj<Sem>) {
    let g = down_write(&s.sem);
    s.writers.fetch_add(1, Ordering::Relaxed);
    let r = s.readers.load(Ordering::Relaxed);
    check(r == 0, &WRITER_ALONE, || {
        format!("a writer got in while {r} reader(s) hold it")
    });
    WRITE_ONCE(&s.x, 1);
    WRITE_ONCE(&s.y, 1);
    s.writers.fetch_sub(1, Ordering::Relaxed);
    up_write(g);
}

fn two_readers() {
    let s = sem();
    let a = s.clone();
    let c0 = spawn_cpu(move || reader(&a, true));
    let b = s.clone();
    let c1 = spawn_cpu(move || reader(&b, true));
    join(c0);
    join(c1);
    kfree(&s);
}

fn reader_writer() {
    let s = sem();
    let a = s.clone();
    let c0 = spawn_cpu(move || reader(&a, false));
    let b = s.clone();
    let c1 = spawn_cpu(move || writer(&b));
    join(c0);
    join(c1);
    kfree(&s);
}

/// CPU0: `down_read(notifier_lock)` then `mutex_lock(resv)`; CPU1 the other order, for
/// write: lockdep reports the inversion (the ABBA deadlock is also reachable).
fn read_inversion() {
    let s = sem();
    let a = s.clone();
    let c0 = spawn_cpu(move || {
        let g = down_read(&a.sem);
        let m = mutex_lock(&a.other);
        mutex_unlock(m);
        up_read(g);
    });
    let b = s.clone();
    let c1 = spawn_cpu(move || {
        let m = mutex_lock(&b.other);
        let g = down_write(&b.sem);
        up_write(g);
        mutex_unlock(m);
    });
    join(c0);
    join(c1);
    kfree(&s);
}

const SOURCES: &[&str] = &[include_str!("rwsem.rs")];

static TWO_READERS: Scenario = Scenario::new(
    "rwsem",
    "two_readers",
    "two CPUs take the rw_semaphore for read: both are inside at once in some execution",
    &["reader", "reader"],
    Expected::Reachable(READERS_SHARE),
    SOURCES,
    two_readers,
);

static READER_WRITER: Scenario = Scenario::new(
    "rwsem",
    "reader_writer",
    "a reader and a writer: never inside together, and the reader sees the writer's stores whole",
    &["reader", "writer"],
    Expected::Unreachable,
    SOURCES,
    reader_writer,
);

static READ_INVERSION: Scenario = Scenario::new(
    "rwsem",
    "read_inversion",
    "down_read(sem) -> mutex on one CPU, mutex -> down_write(sem) on the other",
    &["reader", "writer"],
    Expected::Reachable(LOCK_ORDER),
    SOURCES,
    read_inversion,
);

/// The exhaustive explorer of this build.
fn explorer() -> Explorer {
    if cfg!(loom) {
        Explorer::Loom {
            preemption_bound: None,
        }
    } else {
        Explorer::Dfs {
            max_iterations: None,
        }
    }
}

#[test]
fn readers_share_it() {
    let o = run(&TWO_READERS, explorer());
    let f = o.found.as_ref().expect("two readers inside at once");
    assert_eq!(f.violation.invariant, "READERS_SHARE");
    assert_eq!(f.violation.message, "2 readers inside");
    assert!(o.as_expected());
}

#[test]
fn a_writer_excludes_readers_and_publishes_its_stores() {
    let o = run(&READER_WRITER, explorer());
    assert!(o.found.is_none(), "{:?}", o.found);
    assert!(o.complete, "exploration not complete");
    assert!(o.as_expected());
}

#[test]
fn an_inversion_through_a_read_acquisition_is_reported() {
    let o = run(&READ_INVERSION, explorer());
    let f = o.found.as_ref().expect("the inversion is found");
    assert_eq!(f.violation.invariant, "LOCK_ORDER");
    assert!(
        f.violation.message.contains("vm#1.notifier_lock")
            && f.violation.message.contains("vm#1.resv"),
        "{}",
        f.violation.message
    );
    assert!(o.as_expected());
}

#[cfg(not(loom))]
mod misuse {
    use super::*;
    use checker::explore::execute_once;
    use checker::kernel::{
        lockdep_assert_held, lockdep_assert_held_read, lockdep_assert_held_write, Guarded,
    };

    fn violation_of(body: impl Fn() + Send + Sync + 'static) -> String {
        match execute_once(body) {
            Ok(_) => "no violation".into(),
            Err((v, _)) => format!("{}: {}", v.invariant, v.message),
        }
    }

    #[test]
    fn correct_use_is_quiet() {
        let v = violation_of(|| {
            let s = sem();
            let f = Guarded::new("vm#1.invalidated", &s.sem, false);
            let g = down_write(&s.sem);
            lockdep_assert_held(&s.sem);
            lockdep_assert_held_write(&s.sem);
            f.write(true);
            up_write(g);
            let g = down_read(&s.sem);
            lockdep_assert_held(&s.sem);
            lockdep_assert_held_read(&s.sem);
            assert!(f.read());
            up_read(g);
            kfree(&s);
        });
        assert_eq!(v, "no violation");
    }

    #[test]
    fn recursive_acquisition_is_a_deadlock() {
        let v = violation_of(|| {
            let s = sem();
            let _g = down_read(&s.sem);
            let _h = down_read(&s.sem);
        });
        assert!(
            v.starts_with(
                "DEADLOCK: down_read(vm#1.notifier_lock): main already holds it for read"
            ),
            "{v}"
        );
        let v = violation_of(|| {
            let s = sem();
            let _g = down_read(&s.sem);
            let _h = down_write(&s.sem);
        });
        assert!(
            v.starts_with(
                "DEADLOCK: down_write(vm#1.notifier_lock): main already holds it for read"
            ),
            "{v}"
        );
        let v = violation_of(|| {
            let s = sem();
            let _g = down_write(&s.sem);
            let _h = down_read(&s.sem);
        });
        assert!(
            v.starts_with(
                "DEADLOCK: down_read(vm#1.notifier_lock): main already holds it for write"
            ),
            "{v}"
        );
    }

    #[test]
    fn returning_with_it_held_is_misuse() {
        let v = violation_of(|| {
            let s = sem();
            let g = down_read(&s.sem);
            drop(g);
            kfree(&s);
        });
        assert_eq!(
            v,
            "LOCK_MISUSE: vm#1.notifier_lock still held when its holder returned"
        );
    }

    #[test]
    fn wrong_mode_asserts_and_guarded_fields() {
        let v = violation_of(|| {
            let s = sem();
            let g = down_read(&s.sem);
            lockdep_assert_held_write(&s.sem);
            up_read(g);
            kfree(&s);
        });
        assert_eq!(
            v,
            "LOCK_NOT_HELD: lockdep_assert_held_write(vm#1.notifier_lock) fails on main"
        );
        let v = violation_of(|| {
            let s = sem();
            let g = down_write(&s.sem);
            lockdep_assert_held_read(&s.sem);
            up_write(g);
            kfree(&s);
        });
        assert_eq!(
            v,
            "LOCK_NOT_HELD: lockdep_assert_held_read(vm#1.notifier_lock) fails on main"
        );
        let v = violation_of(|| {
            let s = sem();
            let f = Guarded::new("vm#1.invalidated", &s.sem, false);
            let _ = f.read();
            kfree(&s);
        });
        assert_eq!(
            v,
            "LOCK_NOT_HELD: read of vm#1.invalidated by main without holding vm#1.notifier_lock"
        );
    }

    #[test]
    fn release_after_the_owner_is_freed_is_a_use_after_free() {
        let v = violation_of(|| {
            let s = sem();
            let g = down_write(&s.sem);
            kfree(&s);
            up_write(g);
        });
        assert!(
            v.contains("up_write(vm#1.notifier_lock) after vm#1 was freed"),
            "{v}"
        );
    }
}
