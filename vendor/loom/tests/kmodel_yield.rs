//! kmodel patch (KMODEL-PATCH.md, "A race with a yielded thread"): a thread that re-reads a
//! location after `yield_now` may do so after *any* step of another thread, not only the one
//! loom ran right after the yield. Unpatched, loom's DPOR reverses the race between the
//! re-read and the other thread's store only where the yielded thread cannot run, so the
//! re-read never precedes that store whenever the other thread's only step left is the store.

use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::Relaxed;
use loom::sync::Arc;
use loom::thread;

use std::collections::HashSet;
use std::sync::Mutex;

/// One thread stores `z`, then `x`; the other reads `x` and, if it is 0, yields and reads it
/// again. Both reads returning 0 needs the store to `z` between them (loom runs a yielded
/// thread only after another thread's step) and the store to `x` after them: outcomes
/// (1, -), (0, 1) and (0, 0). Unpatched (`LOOM_KMODEL_NO_YIELD_RACES=1`) loom never reaches
/// (0, 0).
#[test]
fn retry_after_yield_runs_before_the_store() {
    let seen = std::sync::Arc::new(Mutex::new(HashSet::new()));
    let s = seen.clone();
    loom::model(move || {
        let x = Arc::new(AtomicUsize::new(0));
        let z = Arc::new(AtomicUsize::new(0));
        let (x1, z1) = (x.clone(), z.clone());
        let writer = thread::spawn(move || {
            z1.store(1, Relaxed);
            x1.store(1, Relaxed);
        });
        let x2 = x.clone();
        let reader = thread::spawn(move || {
            let r0 = x2.load(Relaxed);
            if r0 != 0 {
                return (r0, usize::MAX);
            }
            thread::yield_now();
            (r0, x2.load(Relaxed))
        });
        writer.join().unwrap();
        let out = reader.join().unwrap();
        s.lock().unwrap().insert(out);
    });
    let seen = seen.lock().unwrap();
    assert!(seen.contains(&(0, 0)), "the re-read before the store: {seen:?}");
    assert!(seen.contains(&(0, 1)) && seen.contains(&(1, usize::MAX)), "{seen:?}");
}
