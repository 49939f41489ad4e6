//! kmodel patch (KMODEL-PATCH.md, "Object sleep sets with kmodel's ghost accesses"): the
//! object sleep sets (the default since "A race with a yielded thread") with kmodel's ghost
//! accesses in the dependence (`kmodel_ghost::access`). Each test pins its outcomes and its
//! executions; the counts with the sleep sets after invisible steps only
//! (`LOOM_KMODEL_NO_SLEEP_OBJECTS=1`, tests/kmodel_sleep.rs) are in each test's comment.

use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{Relaxed, SeqCst};
use loom::sync::Arc;
use loom::thread;

use std::collections::HashSet;
use std::sync::Mutex;

/// Runs `f` under `loom::model` (object sleep sets on, the default); returns (executions,
/// distinct outcomes).
fn count(f: impl Fn() -> Vec<usize> + Sync + Send + 'static) -> (usize, usize) {
    let seen = std::sync::Arc::new(Mutex::new((0usize, HashSet::new())));
    let s = seen.clone();
    loom::model(move || {
        let out = f();
        let mut g = s.lock().unwrap();
        g.0 += 1;
        g.1.insert(out);
    });
    let g = seen.lock().unwrap();
    (g.0, g.1.len())
}

/// Store buffering (as in kmodel_sleep.rs): 4 outcomes, 12 execution graphs. 48 executions;
/// 252 with the default sleep sets.
#[test]
fn store_buffering_objects() {
    let (executions, outcomes) = count(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let y = Arc::new(AtomicUsize::new(0));
        let (x1, y1) = (x.clone(), y.clone());
        let t = thread::spawn(move || {
            x1.store(1, Relaxed);
            y1.load(Relaxed)
        });
        let (x2, y2) = (x.clone(), y.clone());
        let u = thread::spawn(move || {
            y2.store(1, Relaxed);
            x2.load(Relaxed)
        });
        vec![t.join().unwrap(), u.join().unwrap()]
    });
    assert_eq!(outcomes, 4);
    assert_eq!(executions, 48, "executions");
}

/// Three increments of one counter (as in kmodel_sleep.rs): 6 outcomes, 36 execution graphs.
/// 154 executions (149 distinct visible schedules); 147, each a distinct visible schedule,
/// with the opt-in `LOOM_KMODEL_ALONE=1` (KMODEL-PATCH.md, "Fewer equivalent executions");
/// 1,259 with the sleep sets after invisible steps only.
#[test]
fn three_increments_objects() {
    let (executions, outcomes) = count(|| {
        let x = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..3)
            .map(|_| {
                let x = x.clone();
                thread::spawn(move || x.fetch_add(1, SeqCst))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(outcomes, 6);
    assert_eq!(executions, 154, "executions");
}

/// Object sleep sets with kmodel's ghost accesses (KMODEL-PATCH.md, "Object sleep sets with
/// kmodel's ghost accesses"). The first thread stores to `a`, the second stores to `b`;
/// each then appends to ghost state that loom does not see (a `std` vector), telling
/// loom through `kmodel_ghost::access`. Outcomes (whose ghost append ran first, the value the
/// second thread loads from `a`): (1, 0), (1, 1), (2, 0), (2, 1); (2, 1) needs the first
/// thread's store and append to run between the second thread's append and its load. 20
/// executions. With the ghost accesses ignored (`LOOM_KMODEL_NO_GHOST=1`): 3 outcomes, (2, 1)
/// is lost: `b`'s store is independent of `a`'s for loom, so the first thread sleeps after
/// the second thread's first step, which loom's DPOR alone reached only by accident (45
/// executions, 4 outcomes, with the default sleep sets).
#[test]
fn ghost_accesses_are_dependent() {
    let (executions, outcomes) = count(|| {
        let a = Arc::new(AtomicUsize::new(0));
        let b = Arc::new(AtomicUsize::new(0));
        let ghost = std::sync::Arc::new(Mutex::new(Vec::new()));
        let t = {
            let (a, ghost) = (a.clone(), ghost.clone());
            thread::spawn(move || {
                a.store(1, Relaxed);
                ghost.lock().unwrap().push(1);
                loom::kmodel_ghost::access(7, true);
            })
        };
        let u = {
            let (a, b, ghost) = (a.clone(), b.clone(), ghost.clone());
            thread::spawn(move || {
                b.store(1, Relaxed);
                ghost.lock().unwrap().push(2);
                loom::kmodel_ghost::access(7, true);
                a.load(Relaxed)
            })
        };
        t.join().unwrap();
        let r = u.join().unwrap();
        let first = ghost.lock().unwrap()[0];
        vec![first, r]
    });
    assert_eq!(outcomes, 4, "outcomes");
    assert_eq!(executions, 20, "executions");
}
