//! Model of `atomic_t` (include/linux/atomic.h), `READ_ONCE()` / `WRITE_ONCE()`
//! (include/asm-generic/rwonce.h) and the barriers of include/asm-generic/barrier.h.
//!
//! Orderings, from Documentation/atomic_t.txt and the LKMM (tools/memory-model), mapped to
//! C11:
//!
//! | kernel                                  | model (C11)                  |
//! |-----------------------------------------|------------------------------|
//! | `READ_ONCE(x)`, `atomic_read(v)`        | `load(Relaxed)`              |
//! | `WRITE_ONCE(x, v)`, `atomic_set(v, i)`  | `store(Relaxed)`             |
//! | `smp_load_acquire(p)`                   | `load(Acquire)`              |
//! | `smp_store_release(p, v)`               | `store(Release)`             |
//! | `atomic_inc(v)` (no return value)       | `fetch_add(Relaxed)`         |
//! | `atomic_inc_return(v)` (value-returning: fully ordered) | `fence(SeqCst); fetch_add(Relaxed); fence(SeqCst)` |
//! | `smp_mb()`                              | `fence(SeqCst)`              |
//! | `smp_wmb()`                             | `fence(Release)`             |
//! | `smp_rmb()`                             | `fence(Acquire)`             |
//!
//! `MODEL:` address and control dependencies (which the LKMM orders, e.g. after
//! `READ_ONCE()` of a pointer that is then dereferenced) have no C11 counterpart: the model
//! is weaker there, so it may report a race the kernel's dependency ordering rules out. loom
//! also does not explore load buffering (checkers.md §1.4), so it may miss races that need
//! it. Each model says where this matters.
//!
//! Under shuttle every access is sequentially consistent; only loom shows what these
//! orderings allow.

use crate::rt;
use crate::sync::atomic::{fence, AtomicIsize, Ordering};

/// Model of `atomic_t` (and of a plain `int` accessed with `READ_ONCE`/`WRITE_ONCE`).
pub struct AtomicT {
    v: AtomicIsize,
    name: String,
}

impl AtomicT {
    /// `ATOMIC_INIT(i)` of the field `field` inside the object named `owner`.
    pub fn new(owner: &str, field: &str, i: isize) -> AtomicT {
        AtomicT {
            v: AtomicIsize::new(i),
            name: format!("{owner}.{field}"),
        }
    }
}

fn rec(op: &str, a: &AtomicT, v: isize) {
    rt::record(op, &a.name, &v.to_string());
}

/// `READ_ONCE(x)`.
#[allow(non_snake_case)]
pub fn READ_ONCE(a: &AtomicT) -> isize {
    let v = a.v.load(Ordering::Relaxed); // READ_ONCE(x)
    rec("READ_ONCE", a, v);
    v
}

/// `WRITE_ONCE(x, v)`.
#[allow(non_snake_case)]
pub fn WRITE_ONCE(a: &AtomicT, v: isize) {
    a.v.store(v, Ordering::Relaxed); // WRITE_ONCE(x, v)
    rec("WRITE_ONCE", a, v);
}

/// `atomic_read(v)`.
pub fn atomic_read(a: &AtomicT) -> isize {
    let v = a.v.load(Ordering::Relaxed); // atomic_read(v)
    rec("atomic_read", a, v);
    v
}

/// `atomic_set(v, i)`.
pub fn atomic_set(a: &AtomicT, i: isize) {
    a.v.store(i, Ordering::Relaxed); // atomic_set(v, i)
    rec("atomic_set", a, i);
}

/// `atomic_inc(v)`: unordered.
pub fn atomic_inc(a: &AtomicT) {
    let old = a.v.fetch_add(1, Ordering::Relaxed); // atomic_inc(v)
    rt::record("atomic_inc", &a.name, &format!("{old}->{}", old + 1));
}

/// `atomic_inc_return(v)`: value-returning, so fully ordered.
pub fn atomic_inc_return(a: &AtomicT) -> isize {
    fence(Ordering::SeqCst); // (full barrier before)
    let old = a.v.fetch_add(1, Ordering::Relaxed); // atomic_inc_return(v)
    fence(Ordering::SeqCst); // (full barrier after)
    rt::record("atomic_inc_return", &a.name, &format!("{old}->{}", old + 1));
    old + 1
}

/// `smp_load_acquire(p)`.
pub fn smp_load_acquire(a: &AtomicT) -> isize {
    let v = a.v.load(Ordering::Acquire); // smp_load_acquire(p)
    rec("smp_load_acquire", a, v);
    v
}

/// `smp_store_release(p, v)`.
pub fn smp_store_release(a: &AtomicT, v: isize) {
    a.v.store(v, Ordering::Release); // smp_store_release(p, v)
    rec("smp_store_release", a, v);
}

/// `smp_mb()`.
pub fn smp_mb() {
    fence(Ordering::SeqCst); // smp_mb()
}

/// `smp_wmb()`.
pub fn smp_wmb() {
    fence(Ordering::Release); // smp_wmb()
}

/// `smp_rmb()`.
pub fn smp_rmb() {
    fence(Ordering::Acquire); // smp_rmb()
}
