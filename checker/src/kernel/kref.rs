//! Model of `struct kref` (include/linux/kref.h) over `refcount_t` (include/linux/refcount.h).
//!
//! Memory orderings, from Documentation/core-api/refcount-vs-atomic.rst, mapped to C11:
//!
//! | kernel                               | kernel ordering                                  | model (C11)                          |
//! |--------------------------------------|--------------------------------------------------|--------------------------------------|
//! | `kref_init` = `refcount_set(1)`      | unordered (`atomic_set`)                         | `store(Relaxed)`                     |
//! | `kref_read` = `refcount_read`        | unordered (`atomic_read`)                        | `load(Relaxed)`                      |
//! | `kref_get` = `refcount_inc`          | fully unordered                                  | `fetch_add(Relaxed)`                 |
//! | `kref_get_unless_zero` = `refcount_inc_not_zero` | fully unordered; control dependency on success orders later stores | CAS loop, `Relaxed`/`Relaxed` |
//! | `kref_put` = `refcount_dec_and_test` | RELEASE; ACQUIRE on success (`smp_acquire__after_ctrl_dep`) | `fetch_sub(Release)`, then `fence(Acquire)` when it hit 0 |
//! | `kref_put_mutex` = `refcount_dec_and_mutex_lock` | `refcount_dec_not_one` (RELEASE cmpxchg loop), else the mutex and `refcount_dec_and_test` | CAS loop `Release`/`Relaxed`; then `mutex_lock` and as `kref_put` |
//!
//! The control dependency of `refcount_inc_not_zero` cannot be expressed in C11; loom does
//! not model load buffering either, so nothing is lost against loom (see the model READMEs).
//!
//! Misuse is reported as refcount_t reports it: an increment from 0 is
//! [`REFCOUNT_ADD_ON_ZERO`] ("addition on 0; use-after-free"), a decrement below 0 is
//! [`REFCOUNT_UNDERFLOW`]. `refcount_t` then saturates; the model keeps counting instead
//! (`MODEL:` the saturation value is not modelled), so the execution can go on.

use crate::invariant::{REFCOUNT_ADD_ON_ZERO, REFCOUNT_UNDERFLOW};
use crate::kernel::lock::{mutex_lock, mutex_unlock, KMutex, LockGuard};
use crate::rt;
use crate::sync::atomic::{fence, AtomicIsize, Ordering};

/// Model of `struct kref`.
pub struct Kref {
    refcount: AtomicIsize,
    /// Ghost copy of the count in modification order (every update is a read-modify-write or
    /// an init, so it is always the latest value); readable without a scheduling point.
    ghost: std::sync::atomic::AtomicIsize,
    name: String,
}

impl Kref {
    /// A kref inside the object named `owner`, initialised to 1 (`kref_init`). The creation
    /// is not recorded; the allocation is.
    pub fn new(owner: &str) -> Kref {
        Kref {
            refcount: AtomicIsize::new(1),
            ghost: std::sync::atomic::AtomicIsize::new(1),
            name: owner.to_string(),
        }
    }
}

/// `kref_init(kref)`: set the count to 1.
pub fn kref_init(kref: &Kref) {
    kref.refcount.store(1, Ordering::Relaxed); // refcount_set(&kref->refcount, 1);
    kref.set_ghost(1);
    rt::record("kref_init", &kref.name, "1");
}

/// `kref_read(kref)`.
pub fn kref_read(kref: &Kref) -> usize {
    let v = kref.refcount.load(Ordering::Relaxed); // refcount_read(&kref->refcount);
    rt::record("kref_read", &kref.name, &v.to_string());
    v.max(0) as usize
}

/// `kref_get(kref)`: increment; an increment from 0 is a refcount_t "addition on 0".
pub fn kref_get(kref: &Kref) {
    let old = kref.refcount.fetch_add(1, Ordering::Relaxed); // refcount_inc(&kref->refcount);
    kref.set_ghost(old + 1);
    rt::record("kref_get", &kref.name, &format!("{old}->{}", old + 1));
    if old <= 0 {
        rt::report(
            &REFCOUNT_ADD_ON_ZERO,
            format!(
                "kref_get({}) from {old}: refcount_t: addition on 0; use-after-free",
                kref.name
            ),
        );
    }
}

/// `kref_get_unless_zero(kref)`: increment unless the count is 0; true if it incremented.
pub fn kref_get_unless_zero(kref: &Kref) -> bool {
    let mut old = kref.refcount.load(Ordering::Relaxed); // refcount_inc_not_zero(): atomic_read()
    loop {
        if old <= 0 {
            rt::record(
                "kref_get_unless_zero",
                &kref.name,
                &format!("{old} -> false"),
            );
            return false;
        }
        // atomic_try_cmpxchg_relaxed(&r->refs, &old, old + 1)
        match kref
            .refcount
            .compare_exchange(old, old + 1, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => {
                kref.set_ghost(old + 1);
                rt::record(
                    "kref_get_unless_zero",
                    &kref.name,
                    &format!("{old}->{} true", old + 1),
                );
                return true;
            }
            Err(now) => old = now,
        }
    }
}

/// `kref_put(kref, release)`: decrement; at 0 call `release` and return true.
pub fn kref_put(kref: &Kref, release: impl FnOnce()) -> bool {
    if refcount_dec_and_test(kref, "kref_put") {
        release(); // release(kref);
        return true;
    }
    false
}

/// `refcount_dec_and_test(&kref->refcount)`: decrement with RELEASE; true (after an ACQUIRE)
/// when the count hit 0. `func` names the kref function in an underflow report.
fn refcount_dec_and_test(kref: &Kref, func: &str) -> bool {
    let old = kref.refcount.fetch_sub(1, Ordering::Release); // atomic_fetch_sub_release(1, &r->refs)
    kref.set_ghost(old - 1);
    rt::record("kref_put", &kref.name, &format!("{old}->{}", old - 1));
    if old <= 0 {
        report_underflow(kref, func, old);
        return false;
    }
    if old == 1 {
        fence(Ordering::Acquire); // smp_acquire__after_ctrl_dep();
        return true;
    }
    false
}

/// refcount_t's "underflow; use-after-free", found by `func` at the count `old`.
fn report_underflow(kref: &Kref, func: &str, old: isize) {
    rt::report(
        &REFCOUNT_UNDERFLOW,
        format!(
            "{func}({}) from {old}: refcount_t: underflow; use-after-free",
            kref.name
        ),
    );
}

/// `kref_put_mutex(kref, release, mutex)` (include/linux/kref.h): drop a reference; only a
/// drop to 0 takes `mutex` (`refcount_dec_and_mutex_lock`, lib/refcount.c), so that whoever
/// looks the object up under `mutex` never sees it at 0. At 0, `release` runs with the mutex
/// held and must unlock it (it gets the guard). Returns true if `release` ran.
pub fn kref_put_mutex(kref: &Kref, release: impl FnOnce(LockGuard), mutex: &KMutex) -> bool {
    // refcount_dec_not_one(): decrement unless the count is 1.
    let mut old = kref.refcount.load(Ordering::Relaxed); // unsigned int new, val = atomic_read(&r->refs);
    loop {
        if old == 1 {
            rt::record("refcount_dec_not_one", &kref.name, "1 -> false");
            break; // if (val == 1) return false;
        }
        if old <= 0 {
            rt::record("refcount_dec_not_one", &kref.name, &format!("{old}"));
            report_underflow(kref, "kref_put_mutex", old);
            return false;
        }
        // } while (!atomic_try_cmpxchg_release(&r->refs, &val, new));
        match kref
            .refcount
            .compare_exchange(old, old - 1, Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => {
                kref.set_ghost(old - 1);
                rt::record(
                    "refcount_dec_not_one",
                    &kref.name,
                    &format!("{old}->{} true", old - 1),
                );
                return false; // if (refcount_dec_not_one(r)) return false;
            }
            Err(now) => old = now,
        }
    }
    let g = mutex_lock(mutex); // mutex_lock(lock);
    if !refcount_dec_and_test(kref, "kref_put_mutex") {
        mutex_unlock(g); // if (!refcount_dec_and_test(r)) { mutex_unlock(lock); return false; }
        return false;
    }
    release(g); // release(kref);  (it unlocks the mutex)
    true
}

impl Kref {
    fn set_ghost(&self, v: isize) {
        self.ghost.store(v, std::sync::atomic::Ordering::Relaxed);
    }

    /// The count as of the latest update, for the harness's ghost checks: not recorded, not a
    /// scheduling point. Kernel code reads the count with [`kref_read`].
    pub fn ghost_read(&self) -> isize {
        self.ghost.load(std::sync::atomic::Ordering::Relaxed)
    }
}
