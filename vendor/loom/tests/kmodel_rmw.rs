//! kmodel patch (KMODEL-PATCH.md, "RMW atomicity and failed compare_exchange" and "A
//! successful RMW may read a stale value"): an RMW reads its immediate predecessor in the
//! modification order (C++ [atomics.order]); a failed `compare_exchange` is a load; a
//! successful RMW may read any store a load could read that no other RMW read, its write
//! then preceding the newer stores. Each test collects the distinct outcomes of a small
//! program and checks them against what C11 allows. On crates.io loom 0.7.2,
//! `rmw_atomic_against_store_cas`, `rmw_atomic_against_store_fetch_add`,
//! `rmw_atomic_three_threads`, `failed_cas_stale_same_value_is_a_success`,
//! `mp_relaxed_failed_cas_sees_stale` and the three `mp_relaxed_successful_*_sees_stale`
//! fail; with `LOOM_KMODEL_NO_STALE_RMW=1`, the three `mp_relaxed_successful_*` and
//! `stale_rmw_precedes_the_newer_store` fail.

use loom::sync::atomic::{AtomicUsize, Ordering::*};
use loom::sync::Arc;
use std::sync::Mutex;

/// Runs `f` under loom; returns its distinct results (and prints them with the executions).
fn collect<F: Fn() -> u64 + Sync + Send + 'static>(f: F) -> Vec<u64> {
    let seen = std::sync::Arc::new(Mutex::new((0usize, Vec::<u64>::new())));
    let seen2 = seen.clone();
    loom::model(move || {
        let v = f();
        let mut g = seen2.lock().unwrap();
        g.0 += 1;
        if !g.1.contains(&v) {
            g.1.push(v);
        }
    });
    let g = seen.lock().unwrap();
    let mut v = g.1.clone();
    v.sort();
    eprintln!("executions: {}, outcomes {:?}", g.0, v);
    v
}

/// Documentation/litmus-tests/atomic/Atomic-RMW-ops-are-atomic-WRT-atomic_set, with a CAS
/// (v=1; T0: CAS(1->2); T1: v=0): v=2 at the end is forbidden (C11 [atomics.order]p10).
#[test]
fn rmw_atomic_against_store_cas() {
    let out = collect(|| {
        let v = Arc::new(AtomicUsize::new(1));
        let v2 = v.clone();
        let t = loom::thread::spawn(move || {
            let _ = v2.compare_exchange(1, 2, Relaxed, Relaxed);
        });
        v.store(0, Relaxed);
        t.join().unwrap();
        v.load(Relaxed) as u64
    });
    assert!(!out.contains(&2), "RMW atomicity broken: {:?}", out);
}

/// Same with fetch_add (v=1; T0: v += 1; T1: v = 0): v=2 forbidden. Final 0 or 1.
#[test]
fn rmw_atomic_against_store_fetch_add() {
    let out = collect(|| {
        let v = Arc::new(AtomicUsize::new(1));
        let v2 = v.clone();
        let t = loom::thread::spawn(move || {
            v2.fetch_add(1, Relaxed);
        });
        v.store(0, Relaxed);
        t.join().unwrap();
        v.load(Relaxed) as u64
    });
    assert!(!out.contains(&2), "RMW atomicity broken: {:?}", out);
    assert!(out.contains(&0) && out.contains(&1), "{:?}", out);
}

/// Three threads: T0 fetch_add(1); T1 store 5; main loads twice, then the final value.
#[test]
fn rmw_atomic_three_threads() {
    let out = collect(|| {
        let v = Arc::new(AtomicUsize::new(1));
        let (v1, v2) = (v.clone(), v.clone());
        let t = loom::thread::spawn(move || {
            v1.fetch_add(1, Relaxed);
        });
        let u = loom::thread::spawn(move || {
            v2.store(5, Relaxed);
        });
        let a = v.load(Relaxed);
        let b = v.load(Relaxed);
        t.join().unwrap();
        u.join().unwrap();
        let c = v.load(Relaxed);
        (a * 100 + b * 10 + c) as u64
    });
    // c = 2 would put the store of 5 between the RMW's read of 1 (the initial value, which
    // happens before it) and its write.
    assert!(
        out.iter().all(|o| o % 10 != 2),
        "RMW atomicity broken: {:?}",
        out
    );
}

/// MP where the reader's failing CAS reads stale data: allowed by C11 (a failed
/// compare_exchange is an atomic load, [atomics.types.operations]).
#[test]
fn mp_relaxed_failed_cas_sees_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Relaxed);
        });
        let r1 = y.load(Relaxed);
        let r2 = match x.compare_exchange(5, 6, Relaxed, Relaxed) {
            Ok(v) | Err(v) => v,
        };
        t.join().unwrap();
        (r1 * 10 + r2) as u64
    });
    assert!(
        out.contains(&10),
        "failed CAS never read the stale 0: {:?}",
        out
    );
}

/// Same with acquire: the failed CAS must then read 1 (never 10).
#[test]
fn mp_acquire_failed_cas_never_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Release);
        });
        let r1 = y.load(Acquire);
        let r2 = match x.compare_exchange(5, 6, Relaxed, Relaxed) {
            Ok(v) | Err(v) => v,
        };
        t.join().unwrap();
        (r1 * 10 + r2) as u64
    });
    assert!(!out.contains(&10), "{:?}", out);
    assert!(out.contains(&11), "{:?}", out);
}

/// fetch_update whose closure refuses: the refusal may be on a stale value.
#[test]
fn mp_relaxed_fetch_update_none_sees_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Relaxed);
        });
        let r1 = y.load(Relaxed);
        let r2 = match x.fetch_update(Relaxed, Relaxed, |_| None) {
            Ok(v) | Err(v) => v,
        };
        t.join().unwrap();
        (r1 * 10 + r2) as u64
    });
    assert!(out.contains(&10), "{:?}", out);
}

/// A failed CAS never reads a value equal to `current` (it would succeed): T1 x = 1; x = 2;
/// T0 CAS(1 -> 7).
#[test]
fn failed_cas_stale_same_value_is_a_success() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let x2 = x.clone();
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            x2.store(2, Relaxed);
        });
        let r = x.compare_exchange(1, 7, Relaxed, Relaxed);
        t.join().unwrap();
        let f = x.load(Relaxed);
        match r {
            Ok(v) => 100 + v as u64 * 10 + f as u64,
            Err(v) => 200 + v as u64 * 10 + f as u64,
        }
    });
    // A failed CAS reads 0 or 2 (not 1: that would succeed); a CAS that read 1 is followed
    // by the store of 2 (RMW atomicity), so x never ends 7.
    assert!(!out.contains(&211) && !out.contains(&212), "{:?}", out);
    assert!(!out.contains(&117), "RMW atomicity broken: {:?}", out);
}

/// MP where the reader's *successful* relaxed RMW reads the stale 0 (C11 and LKMM allow it:
/// the writer's x=1 then follows the RMW's write in mo). Was `#[ignore]`d (the gap).
#[test]
fn mp_relaxed_successful_rmw_sees_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Relaxed);
        });
        let r1 = y.load(Relaxed);
        let r2 = x.fetch_add(10, Relaxed);
        t.join().unwrap();
        (r1 * 10 + r2) as u64
    });
    assert!(
        out.contains(&10),
        "successful RMW never read the stale 0: {:?}",
        out
    );
}

/// The same with `swap` (the kernel's `xchg_relaxed()`).
#[test]
fn mp_relaxed_successful_swap_sees_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Relaxed);
        });
        let r1 = y.load(Relaxed);
        let r2 = x.swap(2, Relaxed);
        t.join().unwrap();
        (r1 * 10 + r2) as u64
    });
    assert!(
        out.contains(&10),
        "successful swap never read the stale 0: {:?}",
        out
    );
}

/// The same with a `compare_exchange(0, 5)` that succeeds on the stale 0 (`cmpxchg_relaxed()`).
#[test]
fn mp_relaxed_successful_cas_sees_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Relaxed);
        });
        let r1 = y.load(Relaxed);
        let ok = x.compare_exchange(0, 5, Relaxed, Relaxed).is_ok();
        t.join().unwrap();
        (r1 * 10 + ok as usize) as u64
    });
    assert!(
        out.contains(&11),
        "CAS never succeeded on the stale 0: {:?}",
        out
    );
}

/// With a release fence between the writer's stores (`smp_wmb()`) and a SeqCst fence
/// before the reader's RMW (the kernel's fully ordered `xchg()`, `atomic_inc_return()`),
/// the RMW happens after x = 1 once the flag is seen: never stale.
#[test]
fn mp_fenced_successful_rmw_never_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            loom::sync::atomic::fence(Release);
            y2.store(1, Relaxed);
        });
        let r1 = y.load(Relaxed);
        loom::sync::atomic::fence(SeqCst);
        let r2 = x.fetch_add(10, Relaxed);
        loom::sync::atomic::fence(SeqCst);
        t.join().unwrap();
        (r1 * 10 + r2) as u64
    });
    assert!(!out.contains(&10), "{:?}", out);
    assert!(out.contains(&11) && out.contains(&0), "{:?}", out);
}

/// Release/acquire message passing: the RMW reads 1 once the flag is seen.
#[test]
fn mp_acquire_successful_rmw_never_stale() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Release);
        });
        let r1 = y.load(Acquire);
        let r2 = x.fetch_add(10, Relaxed);
        t.join().unwrap();
        (r1 * 10 + r2) as u64
    });
    assert!(!out.contains(&10), "{:?}", out);
    assert!(out.contains(&11), "{:?}", out);
}

/// Store buffering with a SeqCst fence on both sides, the second side's load an RMW
/// (`SB+mb+xchg`, herd7: Never): never both 0; with a relaxed RMW and no fence on its side
/// (`SB+mb+xchg_relaxed`: Sometimes) both 0 is reachable.
#[test]
fn sb_fenced_rmw() {
    for fenced in [true, false] {
        let out = collect(move || {
            let x = Arc::new(AtomicUsize::new(0));
            let y = Arc::new(AtomicUsize::new(0));
            let (x2, y2) = (x.clone(), y.clone());
            let t = loom::thread::spawn(move || {
                x2.store(1, Relaxed);
                loom::sync::atomic::fence(SeqCst);
                y2.load(Relaxed)
            });
            y.store(1, Relaxed);
            if fenced {
                loom::sync::atomic::fence(SeqCst);
            }
            let r1 = x.swap(2, Relaxed);
            let r0 = t.join().unwrap();
            (r0 * 10 + r1) as u64
        });
        assert_eq!(out.contains(&0), !fenced, "fenced {fenced}: {:?}", out);
    }
}

/// A stale RMW is placed before the newer store in the modification order, for good:
/// after both threads are joined, a load, `unsync_load` and `with_mut` see that store last
/// (x ends 1 when the RMW read 0, 11 when it read 1).
#[test]
fn stale_rmw_precedes_the_newer_store() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x2, y2) = (x.clone(), y.clone());
        let t = loom::thread::spawn(move || {
            x2.store(1, Relaxed);
            y2.store(1, Relaxed);
        });
        let r1 = y.load(Relaxed);
        let r2 = x.fetch_add(10, Relaxed);
        t.join().unwrap();
        let f = x.load(Relaxed);
        let u = unsafe { x.unsync_load() };
        assert_eq!(f, u, "unsync_load is not the newest store");
        (r1 * 1000 + r2 * 100 + f) as u64
    });
    // r2 = 0: mo 0, 10, 1 (final 1); r2 = 1: mo 0, 1, 11.
    for o in &out {
        let (r2, f) = ((o / 100) % 10, o % 100);
        assert!((r2 == 0 && f == 1) || (r2 == 1 && f == 11), "{:?}", out);
    }
    assert!(out.contains(&1001), "{:?}", out);
}

/// Two RMWs never read the same store, stale or not: T1 x = 5; T2 and T3 fetch_add(1).
/// The modification orders are 0 a b 5, 0 a 5 b, 0 5 a b (a, b the two RMWs): returned
/// values {0, 1} with x ending 5, {0, 5} with 6, {5, 6} with 7, and nothing else.
#[test]
fn two_rmws_never_read_one_store() {
    let out = collect(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let (x1, x2, x3) = (x.clone(), x.clone(), x.clone());
        let s = loom::thread::spawn(move || x1.store(5, Relaxed));
        let a = loom::thread::spawn(move || x2.fetch_add(1, Relaxed));
        let b = loom::thread::spawn(move || x3.fetch_add(1, Relaxed));
        s.join().unwrap();
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        let f = x.load(Relaxed);
        (a.min(b) * 100 + a.max(b) * 10 + f) as u64
    });
    assert_eq!(out, vec![15, 56, 567], "{:?}", out);
}
