//! kmodel patch (KMODEL-PATCH.md, "Fewer equivalent executions: lock races, SeqCst fences,
//! invisible start steps"): each test pins its executions and outcomes with the default
//! rules (lock races and fence races on; the invisible-start-step rule is opt-in,
//! `LOOM_KMODEL_ALONE=1`, because the yield gate finds outcomes it loses). The counts with
//! each switch, with the same build, are in each test's comment (`LOOM_KMODEL_NO_LOCK_RACES=1`,
//! `LOOM_KMODEL_NO_FENCE_RACES=1`, `LOOM_KMODEL_ALONE=1`; each switch is read once per
//! process, so set it for the whole `cargo test` run, where the pinned count then fails).

use loom::sync::atomic::Ordering::{Relaxed, SeqCst};
use loom::sync::atomic::{fence, AtomicUsize};
use loom::sync::{Arc, Mutex, RwLock};
use loom::thread;

use std::collections::HashSet;

/// Runs `f` under `loom::model`; returns (executions, distinct outcomes).
fn count(f: impl Fn() -> Vec<usize> + Sync + Send + 'static) -> (usize, HashSet<Vec<usize>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new((0usize, HashSet::new())));
    let s = seen.clone();
    loom::model(move || {
        let out = f();
        let mut g = s.lock().unwrap();
        g.0 += 1;
        g.1.insert(out);
    });
    let g = seen.lock().unwrap();
    (g.0, g.1.clone())
}

/// A `'static` loom object for this execution (loom objects live in one execution; the box
/// is a few bytes per execution).
fn leak<T>(t: T) -> &'static T {
    Box::leak(Box::new(t))
}

/// Two threads each take a mutex, increment a counter inside, release; the main thread joins
/// both: 8 execution graphs, every execution a distinct visible schedule. 16 executions; 24
/// with `LOOM_KMODEL_NO_LOCK_RACES=1`, where the second thread's acquisition raced with the
/// first one's release and was explored at the release, where it cannot run (8 identical
/// re-runs).
#[test]
fn acquisition_does_not_race_with_release() {
    let (executions, outcomes) = count(|| {
        let m = Arc::new(Mutex::new(()));
        let x = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let (m, x) = (m.clone(), x.clone());
                thread::spawn(move || {
                    let g = m.lock().unwrap();
                    let v = x.load(Relaxed);
                    x.store(v + 1, Relaxed);
                    drop(g);
                    v
                })
            })
            .collect();
        let mut out: Vec<usize> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        out.push(x.load(Relaxed));
        out
    });
    let expected: HashSet<Vec<usize>> = vec![vec![0, 1, 2], vec![1, 0, 2]].into_iter().collect();
    assert_eq!(outcomes, expected);
    assert_eq!(executions, 16, "executions");
}

/// A writer and a reader of an `RwLock` (a store under the write lock, a load under the read
/// lock): 8 execution graphs, every execution a distinct visible schedule. 16 executions; 24
/// (16 schedules) with `LOOM_KMODEL_NO_LOCK_RACES=1`: the reader's acquisition raced with the
/// writer's release, as for a mutex.
#[test]
fn read_acquisition_does_not_race_with_write_release() {
    let (executions, outcomes) = count(|| {
        let m = Arc::new(RwLock::new(()));
        let x = Arc::new(AtomicUsize::new(0));
        let (m1, x1) = (m.clone(), x.clone());
        let a = thread::spawn(move || {
            let g = m1.write().unwrap();
            x1.store(1, Relaxed);
            drop(g);
        });
        let (m2, x2) = (m.clone(), x.clone());
        let b = thread::spawn(move || {
            let g = m2.read().unwrap();
            let v = x2.load(Relaxed);
            drop(g);
            v
        });
        a.join().unwrap();
        vec![b.join().unwrap()]
    });
    let expected: HashSet<Vec<usize>> = vec![vec![0], vec![1]].into_iter().collect();
    assert_eq!(outcomes, expected);
    assert_eq!(executions, 16, "executions");
}

/// IRIW with `fence(SeqCst)` between each reader's two loads: 15 outcomes (every
/// combination but the forbidden one), 15 execution graphs, every execution a distinct
/// visible schedule (fences included). 966 executions (926 distinct visible schedules: 40
/// identical re-runs); 832 with the opt-in `LOOM_KMODEL_ALONE=1`; 6,962 with
/// `LOOM_KMODEL_NO_FENCE_RACES=1` (5,215: 1,747 identical re-runs; the fence emptied the next
/// sleep set; the invisible-step rule is off with it).
#[test]
fn iriw_seq_cst_fences() {
    let (executions, outcomes) = count(|| {
        let x = leak(AtomicUsize::new(0));
        let y = leak(AtomicUsize::new(0));
        let a = thread::spawn(move || x.store(1, Relaxed));
        let b = thread::spawn(move || y.store(1, Relaxed));
        let c = thread::spawn(move || {
            let r0 = x.load(Relaxed);
            fence(SeqCst);
            (r0, y.load(Relaxed))
        });
        let d = thread::spawn(move || {
            let r0 = y.load(Relaxed);
            fence(SeqCst);
            (r0, x.load(Relaxed))
        });
        a.join().unwrap();
        b.join().unwrap();
        let (p, q) = (c.join().unwrap(), d.join().unwrap());
        vec![p.0, p.1, q.0, q.1]
    });
    assert!(!outcomes.contains(&vec![1, 0, 1, 0]), "IRIW with fences");
    assert_eq!(outcomes.len(), 15, "{outcomes:?}");
    assert_eq!(executions, 966, "executions");
}

/// Store buffering with `fence(SeqCst)`: 3 outcomes ((0, 0) forbidden), 3 execution graphs.
/// 12 executions; 14 with `LOOM_KMODEL_NO_FENCE_RACES=1`.
#[test]
fn store_buffering_seq_cst_fences() {
    let (executions, outcomes) = count(|| {
        let x = leak(AtomicUsize::new(0));
        let y = leak(AtomicUsize::new(0));
        let c = thread::spawn(move || {
            x.store(1, Relaxed);
            fence(SeqCst);
            y.load(Relaxed)
        });
        let d = thread::spawn(move || {
            y.store(1, Relaxed);
            fence(SeqCst);
            x.load(Relaxed)
        });
        vec![c.join().unwrap(), d.join().unwrap()]
    });
    assert!(!outcomes.contains(&vec![0, 0]), "SB with fences");
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert_eq!(executions, 12, "executions");
}
