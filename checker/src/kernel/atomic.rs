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
//! | `atomic_dec(v)` (no return value)       | `fetch_sub(Relaxed)`         |
//! | `atomic_dec_return(v)`, `atomic_dec_and_test(v)` (value-returning: fully ordered) | `fence(SeqCst); fetch_sub(Relaxed); fence(SeqCst)` |
//! | `atomic_read_acquire(v)`                | `load(Acquire)`              |
//! | `atomic_set_release(v, i)`              | `store(Release)`             |
//! | `smp_mb()`                              | `fence(SeqCst)`              |
//! | `smp_wmb()`                             | `fence(Release)`             |
//! | `smp_rmb()`                             | `fence(Acquire)`             |
//! | `cmpxchg(p, o, n)`, `atomic_cmpxchg()` (fully ordered on success) | `load(Relaxed)`; if it equals `o`: `fence(SeqCst); compare_exchange(Relaxed, Relaxed); fence(SeqCst)` on success |
//! | a failed `cmpxchg()` (any ordering)     | a `Relaxed` load: unordered (Documentation/atomic_t.txt, v6.12: "RMW operations that are conditional are unordered on FAILURE") |
//! | `cmpxchg_relaxed()`                     | `compare_exchange(Relaxed, Relaxed)` |
//! | `cmpxchg_acquire()`                     | `compare_exchange(Acquire, Relaxed)` |
//! | `cmpxchg_release()`                     | `compare_exchange(Release, Relaxed)` |
//! | `xchg(p, n)`, `atomic_xchg()` (fully ordered) | `fence(SeqCst); swap(Relaxed); fence(SeqCst)` |
//! | `xchg_relaxed/_acquire/_release()`      | `swap(Relaxed/Acquire/Release)` |
//! | `atomic_add_unless(v, a, u)`, `atomic_inc_not_zero(v)` | the kernel's `atomic_try_cmpxchg()` loop (include/linux/atomic/atomic-arch-fallback.h): fully ordered when it adds, an unordered `Relaxed` load when it returns false |
//! | `smp_mb__before_atomic()`, `smp_mb__after_atomic()` | `fence(SeqCst)` |
//! | `smp_mb__after_spinlock()`              | `fence(SeqCst)` (after the lock's acquire) |
//! | `smp_mb__after_unlock_lock()`           | `fence(SeqCst)` (after the lock's acquire) |
//!
//! A fully ordered RMW is "like having an smp_mb() before and an smp_mb() after the
//! primitive" (Documentation/atomic_t.txt, v6.12), so the
//! success path is two SC fences around a relaxed RMW. The failure path must stay unordered
//! (Documentation/litmus-tests/atomic/cmpxchg-fail-unordered-*.litmus are `Sometimes`), but
//! C11 cannot put a fence before an RMW only if it will succeed; hence the relaxed load
//! first. `MODEL:` a `cmpxchg()` whose first load sees `o` but whose RMW then fails (another
//! CPU changed the value in between) returns that value after a full barrier: the same
//! result is also explored without the barrier, from the first load reading it, so no
//! outcome is lost (the calibration's cmpxchg-fail-{ordered,unordered}-{1,2} agree with
//! herd7), and each scheduling point of the pair is one of the RMW's.
//!
//! `MODEL:` `smp_mb__before_atomic()`/`smp_mb__after_atomic()` and the two lock variants are
//! full fences (include/asm-generic/barrier.h defines them as `smp_mb()`). The LKMM gives them this strength only towards the adjacent RMW or lock (linux-kernel.cat,
//! `mb`); used elsewhere (which the kernel forbids) the model orders more than the LKMM.
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

/// `atomic_dec(v)`: unordered.
pub fn atomic_dec(a: &AtomicT) {
    let old = a.v.fetch_sub(1, Ordering::Relaxed); // atomic_dec(v)
    rt::record("atomic_dec", &a.name, &format!("{old}->{}", old - 1));
}

/// `atomic_dec_return(v)`: value-returning, so fully ordered.
pub fn atomic_dec_return(a: &AtomicT) -> isize {
    fence(Ordering::SeqCst); // (full barrier before)
    let old = a.v.fetch_sub(1, Ordering::Relaxed); // atomic_dec_return(v)
    fence(Ordering::SeqCst); // (full barrier after)
    rt::record("atomic_dec_return", &a.name, &format!("{old}->{}", old - 1));
    old - 1
}

/// `atomic_dec_and_test(v)`: true if the decrement reached 0; value-returning, so fully
/// ordered (Documentation/atomic_t.txt).
pub fn atomic_dec_and_test(a: &AtomicT) -> bool {
    fence(Ordering::SeqCst); // (full barrier before)
    let old = a.v.fetch_sub(1, Ordering::Relaxed); // atomic_dec_and_test(v)
    fence(Ordering::SeqCst); // (full barrier after)
    rt::record(
        "atomic_dec_and_test",
        &a.name,
        &format!("{old}->{}", old - 1),
    );
    old - 1 == 0
}

/// `atomic_read_acquire(v)`.
pub fn atomic_read_acquire(a: &AtomicT) -> isize {
    let v = a.v.load(Ordering::Acquire); // atomic_read_acquire(v)
    rec("atomic_read_acquire", a, v);
    v
}

/// `atomic_set_release(v, i)`.
pub fn atomic_set_release(a: &AtomicT, i: isize) {
    a.v.store(i, Ordering::Release); // atomic_set_release(v, i)
    rec("atomic_set_release", a, i);
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
    rt::record("smp_mb", "", ""); // an event for `kmodel litmus`, no scheduling point
}

/// `smp_wmb()`.
pub fn smp_wmb() {
    fence(Ordering::Release); // smp_wmb()
    rt::record("smp_wmb", "", ""); // an event for `kmodel litmus`, no scheduling point
}

/// `smp_rmb()`.
pub fn smp_rmb() {
    fence(Ordering::Acquire); // smp_rmb()
    rt::record("smp_rmb", "", ""); // an event for `kmodel litmus`, no scheduling point
}

/// How an RMW orders, as the kernel names its variants (`_relaxed`, `_acquire`, `_release`,
/// none: fully ordered).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmwOrder {
    /// No suffix: `smp_mb()` before and after (on success, for the conditional ones).
    Full,
    /// `_relaxed`.
    Relaxed,
    /// `_acquire`: the read part is an acquire.
    Acquire,
    /// `_release`: the write part is a release.
    Release,
}

impl RmwOrder {
    fn suffix(self) -> &'static str {
        match self {
            RmwOrder::Full => "",
            RmwOrder::Relaxed => "_relaxed",
            RmwOrder::Acquire => "_acquire",
            RmwOrder::Release => "_release",
        }
    }
    fn success(self) -> Ordering {
        match self {
            RmwOrder::Full | RmwOrder::Relaxed => Ordering::Relaxed,
            RmwOrder::Acquire => Ordering::Acquire,
            RmwOrder::Release => Ordering::Release,
        }
    }
}

/// The kernel's conditional RMW: `cmpxchg{,_relaxed,_acquire,_release}(p, o, n)`. Returns
/// the value it read; it stored `n` iff that equals `o`. A failure is unordered whatever the
/// variant (Documentation/atomic_t.txt).
fn cmpxchg_order(a: &AtomicT, o: isize, n: isize, ord: RmwOrder, op: &str) -> isize {
    if ord != RmwOrder::Full {
        let r = a.v.compare_exchange(o, n, ord.success(), Ordering::Relaxed); // cmpxchg_*(p, o, n)
        return record_cmpxchg(a, op, ord, o, n, r);
    }
    let cur = a.v.load(Ordering::Relaxed); // cmpxchg(p, o, n): the read
    if cur != o {
        return record_cmpxchg(a, op, ord, o, n, Err(cur)); // failed: unordered
    }
    fence(Ordering::SeqCst); // (full barrier before a successful cmpxchg)
    let r =
        a.v.compare_exchange(o, n, Ordering::Relaxed, Ordering::Relaxed); // cmpxchg(p, o, n): the RMW
    if r.is_ok() {
        fence(Ordering::SeqCst); // (full barrier after)
    }
    record_cmpxchg(a, op, ord, o, n, r)
}

fn record_cmpxchg(
    a: &AtomicT,
    op: &str,
    ord: RmwOrder,
    o: isize,
    n: isize,
    r: Result<isize, isize>,
) -> isize {
    let name = format!("{op}{}", ord.suffix());
    match r {
        Ok(old) => {
            rt::record(&name, &a.name, &format!("{old}->{n}"));
            old
        }
        Err(cur) => {
            rt::record(&name, &a.name, &format!("{cur} (!= {o}: failed)"));
            cur
        }
    }
}

/// `cmpxchg(p, o, n)` on a plain variable: fully ordered if it succeeds, unordered if not.
pub fn cmpxchg(a: &AtomicT, o: isize, n: isize) -> isize {
    cmpxchg_order(a, o, n, RmwOrder::Full, "cmpxchg")
}

/// `cmpxchg_relaxed(p, o, n)`.
pub fn cmpxchg_relaxed(a: &AtomicT, o: isize, n: isize) -> isize {
    cmpxchg_order(a, o, n, RmwOrder::Relaxed, "cmpxchg")
}

/// `cmpxchg_acquire(p, o, n)`.
pub fn cmpxchg_acquire(a: &AtomicT, o: isize, n: isize) -> isize {
    cmpxchg_order(a, o, n, RmwOrder::Acquire, "cmpxchg")
}

/// `cmpxchg_release(p, o, n)`.
pub fn cmpxchg_release(a: &AtomicT, o: isize, n: isize) -> isize {
    cmpxchg_order(a, o, n, RmwOrder::Release, "cmpxchg")
}

/// `atomic_cmpxchg(v, o, n)` (and its `_relaxed`/`_acquire`/`_release` forms by `ord`).
pub fn atomic_cmpxchg(a: &AtomicT, o: isize, n: isize, ord: RmwOrder) -> isize {
    cmpxchg_order(a, o, n, ord, "atomic_cmpxchg")
}

/// `xchg{,_relaxed,_acquire,_release}(p, n)` / `atomic_xchg*()`: returns the old value.
pub fn xchg_order(a: &AtomicT, n: isize, ord: RmwOrder) -> isize {
    let old = if ord == RmwOrder::Full {
        fence(Ordering::SeqCst); // (full barrier before)
        let old = a.v.swap(n, Ordering::Relaxed); // xchg(p, n)
        fence(Ordering::SeqCst); // (full barrier after)
        old
    } else {
        let o = match ord {
            RmwOrder::Acquire => Ordering::Acquire,
            RmwOrder::Release => Ordering::Release,
            _ => Ordering::Relaxed,
        };
        a.v.swap(n, o) // xchg_*(p, n)
    };
    rt::record(
        &format!("xchg{}", ord.suffix()),
        &a.name,
        &format!("{old}->{n}"),
    );
    old
}

/// `xchg(p, n)`: fully ordered.
pub fn xchg(a: &AtomicT, n: isize) -> isize {
    xchg_order(a, n, RmwOrder::Full)
}

/// `atomic_add_unless(v, a, u)`: adds `a` unless the value is `u`; true if it added. Fully
/// ordered when it adds, unordered when it does not (Documentation/atomic_t.txt). The
/// kernel's generic version (include/linux/atomic/atomic-arch-fallback.h, v6.12,
/// `raw_atomic_fetch_add_unless()`) is this loop:
/// `c = atomic_read(v); do { if (c == u) break; } while (!atomic_try_cmpxchg(v, &c, c + a));`
pub fn atomic_add_unless(v: &AtomicT, add: isize, u: isize) -> bool {
    let mut c = v.v.load(Ordering::Relaxed); // int c = raw_atomic_read(v);
    loop {
        if c == u {
            rt::record(
                "atomic_add_unless",
                &v.name,
                &format!("{c} (== {u}: not added)"),
            );
            return false; // if (unlikely(c == u)) break;
        }
        fence(Ordering::SeqCst); // (full barrier before a successful try_cmpxchg)
        match v
            .v
            .compare_exchange(c, c + add, Ordering::Relaxed, Ordering::Relaxed) // raw_atomic_try_cmpxchg(v, &c, c + a)
        {
            Ok(old) => {
                fence(Ordering::SeqCst); // (full barrier after)
                rt::record("atomic_add_unless", &v.name, &format!("{old}->{}", old + add));
                return true;
            }
            Err(cur) => c = cur,
        }
    }
}

/// `atomic_inc_not_zero(v)`: `atomic_add_unless(v, 1, 0)`.
pub fn atomic_inc_not_zero(v: &AtomicT) -> bool {
    atomic_add_unless(v, 1, 0)
}

/// `smp_mb__before_atomic()`: orders the following RMW (that returns no value) as fully.
#[allow(non_snake_case)]
pub fn smp_mb__before_atomic() {
    fence(Ordering::SeqCst); // smp_mb__before_atomic()
    rt::record("smp_mb__before_atomic", "", ""); // an event for `kmodel litmus`, no scheduling point
}

/// `smp_mb__after_atomic()`: orders the preceding RMW (that returns no value, or a failed
/// cmpxchg) as fully.
#[allow(non_snake_case)]
pub fn smp_mb__after_atomic() {
    fence(Ordering::SeqCst); // smp_mb__after_atomic()
    rt::record("smp_mb__after_atomic", "", ""); // an event for `kmodel litmus`, no scheduling point
}

/// `smp_mb__after_spinlock()`: makes the preceding `spin_lock()` a full barrier.
#[allow(non_snake_case)]
pub fn smp_mb__after_spinlock() {
    fence(Ordering::SeqCst); // smp_mb__after_spinlock()
    rt::record("smp_mb__after_spinlock", "", ""); // an event for `kmodel litmus`, no scheduling point
}

/// `smp_mb__after_unlock_lock()`: makes an unlock followed by a lock a full barrier.
#[allow(non_snake_case)]
pub fn smp_mb__after_unlock_lock() {
    fence(Ordering::SeqCst); // smp_mb__after_unlock_lock()
    rt::record("smp_mb__after_unlock_lock", "", ""); // an event for `kmodel litmus`, no scheduling point
}
