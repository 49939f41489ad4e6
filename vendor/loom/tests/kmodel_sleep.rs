//! kmodel patch (KMODEL-PATCH.md, "Sleep sets after invisible steps"): loom does not run the
//! same execution twice because a thread's start step (spawn to its first operation) was
//! explored before and after another thread's operation. Each test counts executions and
//! distinct visible schedules (the sequence of operations with the value each load read,
//! which a thread's start step cannot change) and pins both.

use loom::sync::atomic::AtomicUsize;
use loom::sync::atomic::Ordering::{Relaxed, SeqCst};
use loom::sync::Arc;
use loom::thread;

use std::collections::HashSet;
use std::sync::Mutex;

/// Runs `f` under `loom::model`; returns (executions, distinct outcomes).
fn count(f: impl Fn() -> Vec<usize> + Sync + Send + 'static) -> (usize, usize) {
    // The sleep sets after invisible steps only, without the object rule (the default since
    // "A race with a yielded thread"; tests/kmodel_sleep_objects.rs pins it). Read once per
    // process (a `OnceLock` in loom); every test of this file sets the same.
    std::env::set_var("LOOM_KMODEL_NO_SLEEP_OBJECTS", "1");
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

/// Store buffering: two threads each store one variable and load the other; the main thread
/// joins both: 4 outcomes, 252 distinct visible schedules, 12 execution graphs. 252
/// executions; 420 without the sleep sets (`LOOM_KMODEL_NO_SLEEP=1`).
#[test]
fn store_buffering_start_steps() {
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
    assert_eq!(executions, 252, "executions");
}

/// Three threads increment one counter; the main thread joins them: 6 outcomes, about 1,250
/// distinct visible schedules, 36 execution graphs. 1,259 executions; 6,225 without the sleep
/// sets.
#[test]
fn three_increments_start_steps() {
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
    assert_eq!(executions, 1259, "executions");
}
