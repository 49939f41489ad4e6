//! Probes: the smallest two-CPU shapes that exercise each primitive's outcomes (both
//! results of a test-and-set, a seqcount retry and its absence, readers sharing an rwsem, a
//! writer excluding them, ...), so that the DFS gate (tests/dfs_gate.rs) and loom check
//! every primitive, not only the shapes the models happen to use. Each expected result is
//! the kernel's, by hand over every interleaving; an `Unreachable` probe's `Reachable`
//! sibling shows the outcome is not vacuous.

use checker::invariant::{Invariant, Witness};
use checker::kernel::{
    down_read, down_write, ghost_clock_exact, ghost_now, ghost_update, kfree, kref_put, kzalloc,
    llist_add, llist_del_all, read_seqcount_begin, read_seqcount_retry, spin_lock, spin_unlock,
    test_and_set_bit, up_read, up_write, write_seqcount_begin, write_seqcount_end, AtomicT,
    BitWord, Kref, LlistHead, LlistNode, RwSemaphore, SeqcountT, SpinLock, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{check, join, spawn_cpu, witness_if, Bounds, Scenario};

/// Two increments under a lock, negated lost update.
pub const LOCKED_INCREMENTS_ADD_UP: Invariant = Invariant::new(
    "LOCKED_INCREMENTS_ADD_UP",
    "two CPUs that each increment x under the same lock leave x == 2",
);

/// What an rwsem reader sees of a writer's two stores.
pub const READER_SEES_WHOLE_UPDATE: Invariant = Invariant::new(
    "READER_SEES_WHOLE_UPDATE",
    "a reader under down_read() sees both or neither of the stores a writer makes under down_write() (x == y)",
);

/// Whether two readers can hold an rwsem at once, negated.
pub const READERS_NEVER_OVERLAP: Invariant = Invariant::new(
    "READERS_NEVER_OVERLAP",
    "two CPUs never hold the rwsem for read at the same time (they may: readers share it)",
);

/// `kref_put()` from 2 on two CPUs.
pub const RELEASE_EXACTLY_ONCE: Invariant = Invariant::new(
    "RELEASE_EXACTLY_ONCE",
    "two kref_put() calls from a count of 2 run the release exactly once",
);

/// Two `llist_add()` calls, then `llist_del_all()`.
pub const LLIST_KEEPS_EVERY_NODE: Invariant = Invariant::new(
    "LLIST_KEEPS_EVERY_NODE",
    "after two concurrent llist_add() calls, llist_del_all() returns both nodes, and exactly one llist_add() saw the list empty",
);

/// A seqcount reader that does not retry saw a consistent pair.
pub const SEQCOUNT_READER_CONSISTENT: Invariant = Invariant::new(
    "SEQCOUNT_READER_CONSISTENT",
    "a reader whose read_seqcount_retry() says no retry read x == y, both written inside one write section",
);

/// Whether `read_seqcount_retry()` ever says retry, negated.
pub const SEQCOUNT_NEVER_RETRIES: Invariant = Invariant::new(
    "SEQCOUNT_NEVER_RETRIES",
    "read_seqcount_retry() never asks the reader to retry (it does when the writer ran between begin and retry)",
);

/// Two `test_and_set_bit()` calls on one bit.
pub const TEST_AND_SET_ONE_WINNER: Invariant = Invariant::new(
    "TEST_AND_SET_ONE_WINNER",
    "of two test_and_set_bit(0) calls on a clear word, exactly one sees the bit clear",
);

/// Who wins the test-and-set, negated.
pub const CPU0_ALWAYS_WINS: Invariant = Invariant::new(
    "CPU0_ALWAYS_WINS",
    "CPU0's test_and_set_bit(0) always sees the bit clear (CPU1 may set it first)",
);

/// A linearizability-style check on ghost clock stamps, misplaced on purpose.
pub const READ_IN_WINDOW: Invariant = Invariant::new(
    "READ_IN_WINDOW",
    "the value of x the reader returns was x's value at some instant of its ghost-clock window [start, end] (it need not be: the reader loads x before it takes its start stamp)",
);

/// The writer's update is stamped inside the reader's window, and the reader saw it.
pub const STAMP_INSIDE_WINDOW: Witness = Witness::new(
    "STAMP_INSIDE_WINDOW",
    "the reader returns x = 1 and the writer's stamp lies inside the reader's window",
);

/// Every invariant of this file.
pub const INVARIANTS: &[Invariant] = &[
    LOCKED_INCREMENTS_ADD_UP,
    READER_SEES_WHOLE_UPDATE,
    READERS_NEVER_OVERLAP,
    RELEASE_EXACTLY_ONCE,
    LLIST_KEEPS_EVERY_NODE,
    SEQCOUNT_READER_CONSISTENT,
    SEQCOUNT_NEVER_RETRIES,
    TEST_AND_SET_ONE_WINNER,
    CPU0_ALWAYS_WINS,
    READ_IN_WINDOW,
];

/// The lock's second holder reads the first one's increment.
pub const LOCK_SEES_OTHER_INCREMENT: Witness = Witness::new(
    "LOCK_SEES_OTHER_INCREMENT",
    "a CPU's READ_ONCE(obj->x) under spin_lock reads 1: the other CPU's locked increment came first",
);
/// The reader runs after the writer's section.
pub const READER_SEES_WRITER: Witness = Witness::new(
    "READER_SEES_WRITER",
    "the reader under down_read() reads x == 1: the writer's down_write() section came first",
);
/// CPU1 wins the bit.
pub const TEST_AND_SET_CPU1_WINS: Witness = Witness::new(
    "TEST_AND_SET_CPU1_WINS",
    "CPU1's test_and_set_bit(0) sees the bit clear: CPU0's then sees CPU1's set",
);
/// The seqcount reader's loads straddle the write section.
pub const SEQCOUNT_READER_TORN: Witness = Witness::new(
    "SEQCOUNT_READER_TORN",
    "the reader's two loads return x != y: the write section ran between them, the case read_seqcount_retry() must catch",
);
/// The second CPU to put is CPU1.
pub const KREF_RELEASE_ON_CPU1: Witness = Witness::new(
    "KREF_RELEASE_ON_CPU1",
    "CPU1's kref_put() drops the count from 1 to 0 and runs the release: CPU0's put decremented first",
);
/// Either CPU's llist_add() can find the other's node.
pub const LLIST_ADD_SEES_OTHER: Witness = Witness::new(
    "LLIST_ADD_SEES_OTHER",
    "CPU0's llist_add() finds the list non-empty: CPU1's node was added first, and CPU0's cmpxchg links to it",
);

type Results = std::sync::Arc<std::sync::Mutex<Vec<isize>>>;

fn results() -> Results {
    std::sync::Arc::new(std::sync::Mutex::new(Vec::new()))
}

struct Shared {
    lock: SpinLock,
    sem: RwSemaphore,
    seq: SeqcountT,
    bits: BitWord,
    readers: AtomicT,
    x: AtomicT,
    y: AtomicT,
}

fn shared() -> checker::kernel::Obj<Shared> {
    kzalloc("obj", |id, n| Shared {
        lock: SpinLock::new(id, n, "lock"),
        sem: RwSemaphore::new(id, n, "sem"),
        seq: SeqcountT::new(n, "seq"),
        bits: BitWord::new(n, "flags", 0),
        readers: AtomicT::new(n, "readers", 0),
        x: AtomicT::new(n, "x", 0),
        y: AtomicT::new(n, "y", 0),
    })
}

/// Run `cpu(o, i, results)` on two CPUs, then `done(o, results)`.
fn two_cpus(cpu: fn(&Shared, usize, &Results), done: fn(&Shared, &[isize])) {
    let o = shared();
    let r = results();
    let spawn = |i: usize| {
        let (o, r) = (o.clone(), r.clone());
        spawn_cpu(move || cpu(&o, i, &r))
    };
    let (p0, p1) = (spawn(0), spawn(1));
    join(p0);
    join(p1);
    let r = r.lock().unwrap().clone();
    done(&o, &r);
    kfree(&o);
}

fn spin_lock_increments() {
    two_cpus(
        |o, _, _| {
            let g = spin_lock(&o.lock); // spin_lock(&obj->lock);
            let v = READ_ONCE(&o.x); // v = READ_ONCE(obj->x);
            witness_if(v == 1, &LOCK_SEES_OTHER_INCREMENT);
            WRITE_ONCE(&o.x, v + 1); // WRITE_ONCE(obj->x, v + 1);
            spin_unlock(g); // spin_unlock(&obj->lock);
        },
        |o, _| {
            let x = READ_ONCE(&o.x);
            check(x == 2, &LOCKED_INCREMENTS_ADD_UP, || format!("x = {x}"));
        },
    )
}

fn rwsem_writer_vs_reader() {
    two_cpus(
        |o, i, _| {
            if i == 0 {
                let g = down_write(&o.sem); // down_write(&obj->sem);
                WRITE_ONCE(&o.x, 1); // WRITE_ONCE(obj->x, 1);
                WRITE_ONCE(&o.y, 1); // WRITE_ONCE(obj->y, 1);
                up_write(g); // up_write(&obj->sem);
            } else {
                let g = down_read(&o.sem); // down_read(&obj->sem);
                let x = READ_ONCE(&o.x); // x = READ_ONCE(obj->x);
                let y = READ_ONCE(&o.y); // y = READ_ONCE(obj->y);
                witness_if(x == 1, &READER_SEES_WRITER);
                up_read(g); // up_read(&obj->sem);
                check(x == y, &READER_SEES_WHOLE_UPDATE, || {
                    format!("x = {x}, y = {y}")
                });
            }
        },
        |_, _| {},
    )
}

fn rwsem_two_readers() {
    two_cpus(
        |o, _, _| {
            let g = down_read(&o.sem); // down_read(&obj->sem);
            let inside = READ_ONCE(&o.readers); // (another reader inside?)
            WRITE_ONCE(&o.readers, inside + 1);
            let other = READ_ONCE(&o.readers);
            WRITE_ONCE(&o.readers, other - 1);
            up_read(g); // up_read(&obj->sem);
            check(inside == 0, &READERS_NEVER_OVERLAP, || {
                format!("{inside} other reader(s) inside")
            });
        },
        |_, _| {},
    )
}

fn test_and_set_both() {
    two_cpus(
        |o, i, r| {
            let old = test_and_set_bit(0, &o.bits); // old = test_and_set_bit(0, &obj->flags);
            witness_if(i == 1 && !old, &TEST_AND_SET_CPU1_WINS);
            r.lock().unwrap().push(isize::from(old));
        },
        |_, r| {
            let winners = r.iter().filter(|&&old| old == 0).count();
            check(winners == 1, &TEST_AND_SET_ONE_WINNER, || {
                format!("{winners} CPUs saw the bit clear")
            });
        },
    )
}

fn test_and_set_who_wins() {
    two_cpus(
        |o, i, _| {
            let old = test_and_set_bit(0, &o.bits); // old = test_and_set_bit(0, &obj->flags);
            if i == 0 {
                check(!old, &CPU0_ALWAYS_WINS, || "CPU1 set the bit first".into());
            }
        },
        |_, _| {},
    )
}

/// CPU0 writes x, y in one write section; CPU1 reads them inside begin/retry.
fn seqcount(check_consistency: bool) {
    let o = shared();
    let w = {
        let o = o.clone();
        spawn_cpu(move || {
            write_seqcount_begin(&o.seq); // write_seqcount_begin(&obj->seq);
            WRITE_ONCE(&o.x, 1); // WRITE_ONCE(obj->x, 1);
            WRITE_ONCE(&o.y, 1); // WRITE_ONCE(obj->y, 1);
            write_seqcount_end(&o.seq); // write_seqcount_end(&obj->seq);
        })
    };
    let r = {
        let o = o.clone();
        spawn_cpu(move || {
            let start = read_seqcount_begin(&o.seq); // start = read_seqcount_begin(&obj->seq);
            let x = READ_ONCE(&o.x); // x = READ_ONCE(obj->x);
            let y = READ_ONCE(&o.y); // y = READ_ONCE(obj->y);
            witness_if(x != y, &SEQCOUNT_READER_TORN);
            let retry = read_seqcount_retry(&o.seq, start); // if (read_seqcount_retry(&obj->seq, start))
            if check_consistency {
                check(retry || x == y, &SEQCOUNT_READER_CONSISTENT, || {
                    format!("no retry, but x = {x}, y = {y}")
                });
            } else {
                check(!retry, &SEQCOUNT_NEVER_RETRIES, || {
                    format!("retry after reading x = {x}, y = {y}")
                });
            }
        })
    };
    join(w);
    join(r);
    kfree(&o);
}

fn seqcount_consistent() {
    seqcount(true)
}

fn seqcount_retries() {
    seqcount(false)
}

struct Node {
    node: LlistNode,
}

struct Counted {
    kref: Kref,
    releases: AtomicT,
}

fn kref_two_puts() {
    let o = kzalloc("obj", |_, n| Counted {
        kref: Kref::new(n),
        releases: AtomicT::new(n, "releases", 0),
    });
    checker::kernel::kref_get(&o.kref); // kref_get(&obj->kref);  (count 2)
    let cpu = |i: usize| {
        let o = o.clone();
        spawn_cpu(move || {
            let released = kref_put(&o.kref, || {
                let n = READ_ONCE(&o.releases);
                WRITE_ONCE(&o.releases, n + 1); // release(): counted
            }); // kref_put(&obj->kref, release);
            witness_if(i == 1 && released, &KREF_RELEASE_ON_CPU1);
        })
    };
    let (p0, p1) = (cpu(0), cpu(1));
    join(p0);
    join(p1);
    let n = READ_ONCE(&o.releases);
    check(n == 1, &RELEASE_EXACTLY_ONCE, || {
        format!("release ran {n} times")
    });
    kfree(&o);
}

fn llist_two_adds() {
    let head = std::sync::Arc::new(LlistHead::new("list", "head"));
    let nodes: Vec<_> = (0..2)
        .map(|_| {
            kzalloc("node", |id, n| Node {
                node: LlistNode::new(id, n, "llnode"),
            })
        })
        .collect();
    let empties = results();
    let cpus: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (n, head, empties) = (n.clone(), head.clone(), empties.clone());
            spawn_cpu(move || {
                let was_empty = llist_add(&n.node, &head); // was_empty = llist_add(&obj->llnode, &list);
                witness_if(i == 0 && !was_empty, &LLIST_ADD_SEES_OTHER);
                empties.lock().unwrap().push(isize::from(was_empty));
            })
        })
        .collect();
    for c in cpus {
        join(c);
    }
    let got = llist_del_all::<Node>(&head, |n| &n.node);
    let empties: isize = empties.lock().unwrap().iter().sum();
    check(
        got.len() == 2 && empties == 1,
        &LLIST_KEEPS_EVERY_NODE,
        || {
            format!(
                "llist_del_all() returned {} nodes; {empties} llist_add() saw it empty",
                got.len()
            )
        },
    );
    drop(got);
    for n in &nodes {
        kfree(n);
    }
}

pub const SPIN_LOCK_INCREMENTS: Scenario = checker::scenario!(
    spin_lock_increments,
    ["P0", "P1"],
    unreachable,
    "probe: two CPUs increment x under spin_lock(): no lost update"
)
.named("probe-spin_lock-increments")
.witnesses(&[LOCK_SEES_OTHER_INCREMENT]);

pub const RWSEM_WRITER_VS_READER: Scenario = checker::scenario!(rwsem_writer_vs_reader, ["P0 writer", "P1 reader"], unreachable, "probe: a writer stores x, y under down_write(); a reader under down_read() sees both or neither")
.named("probe-rwsem-writer+reader")
.witnesses(&[READER_SEES_WRITER]);

pub const RWSEM_TWO_READERS: Scenario = checker::scenario!(
    rwsem_two_readers,
    ["P0 reader", "P1 reader"],
    reachable(READERS_NEVER_OVERLAP),
    "probe: two down_read() sections overlap (readers share the rwsem)"
)
.named("probe-rwsem-two-readers");

pub const TEST_AND_SET_BIT_ONE_WINNER: Scenario = checker::scenario!(
    test_and_set_both,
    ["P0", "P1"],
    unreachable,
    "probe: two test_and_set_bit(0) on a clear word: exactly one sees it clear"
)
.named("probe-test_and_set_bit-one-winner")
.witnesses(&[TEST_AND_SET_CPU1_WINS]);

pub const TEST_AND_SET_BIT_EITHER_WINS: Scenario = checker::scenario!(
    test_and_set_who_wins,
    ["P0", "P1"],
    reachable(CPU0_ALWAYS_WINS),
    "probe: two test_and_set_bit(0): CPU1 may win"
)
.named("probe-test_and_set_bit-either-wins");

pub const SEQCOUNT_CONSISTENT: Scenario = checker::scenario!(seqcount_consistent, ["P0 writer", "P1 reader"], unreachable, "probe: a seqcount reader that does not retry saw both or neither of the write section's stores")
.named("probe-seqcount-consistent")
// DFS needs 3 002 executions (two fences and four loads on the reader, four stores on the
// writer, no reduction).
.bounds(Bounds {
    dfs_iterations: Some(5_000),
    ..Bounds::DEFAULT
})
.witnesses(&[SEQCOUNT_READER_TORN]);

pub const SEQCOUNT_RETRIES: Scenario = checker::scenario!(
    seqcount_retries,
    ["P0 writer", "P1 reader"],
    reachable(SEQCOUNT_NEVER_RETRIES),
    "probe: read_seqcount_retry() asks the reader to retry when the writer ran in between"
)
.named("probe-seqcount-retry");

pub const KREF_TWO_PUTS: Scenario = checker::scenario!(
    kref_two_puts,
    ["P0 put", "P1 put"],
    unreachable,
    "probe: two kref_put() from a count of 2 run the release exactly once"
)
.named("probe-kref-two-puts")
.witnesses(&[KREF_RELEASE_ON_CPU1]);

pub const LLIST_TWO_ADDS: Scenario = checker::scenario!(
    llist_two_adds,
    ["P0 add", "P1 add"],
    unreachable,
    "probe: two concurrent llist_add(), then llist_del_all(): both nodes, one saw the list empty"
)
.named("probe-llist-two-adds")
.witnesses(&[LLIST_ADD_SEES_OTHER]);

/// The ghost-clock calibration: CPU1 stores x = 1 and stamps that update in a ghost history
/// with the ghost clock; CPU0 loads x, then loads y (a scheduling point), then takes its
/// start stamp, loads y again and takes its end stamp, and judges the x it returned against
/// the history over its window. The judgment fails exactly when CPU0's update falls between
/// CPU0's load of x (reading 0) and its start stamp: CPU1's stamp and CPU0's start stamp
/// must be ordered both ways by every explorer, though nothing else orders them (the stamp
/// follows a store of x, the start stamp a load of y).
fn ghost_clock_window() {
    let o = shared();
    let hist = std::sync::Arc::new(std::sync::Mutex::new(vec![(0usize, 0isize)]));
    let r = {
        let (o, hist) = (o.clone(), hist.clone());
        spawn_cpu(move || {
            let g = spin_lock(&o.lock); // spin_lock(&obj->lock);
            let x = READ_ONCE(&o.x); // x = READ_ONCE(obj->x);
            spin_unlock(g); // spin_unlock(&obj->lock);
            READ_ONCE(&o.y); // READ_ONCE(obj->y);
            let start = ghost_now();
            READ_ONCE(&o.y); // READ_ONCE(obj->y);
            let end = ghost_now();
            if !ghost_clock_exact() {
                return; // loom ran a stamp inside the update's bracket: its exact twin is judged
            }
            let hist = hist.lock().unwrap().clone();
            let at = |t: usize| hist.iter().rev().find(|(s, _)| *s <= t).map_or(0, |e| e.1);
            let ok = at(start) == x || hist.iter().any(|(s, v)| *s > start && *s <= end && *v == x);
            check(ok, &READ_IN_WINDOW, || {
                format!("returned x = {x} over clock {start}..{end}, but x's history is {hist:?}")
            });
        })
    };
    let w = {
        let (o, hist) = (o.clone(), hist.clone());
        spawn_cpu(move || {
            let g = spin_lock(&o.lock); // spin_lock(&obj->lock);
            let update = ghost_update(); // ghost: the stamped update's bracket opens
            WRITE_ONCE(&o.x, 1); // WRITE_ONCE(obj->x, 1);
            let stamp = update.stamp(); // before the ghost lock: it is a scheduling point
            hist.lock().unwrap().push((stamp, 1));
            spin_unlock(g); // spin_unlock(&obj->lock);
        })
    };
    join(w);
    join(r);
    kfree(&o);
}

/// The same reader with its stamps where they belong (start before the load, end after it),
/// and a writer that stores without the lock: no interleaving violates the window, in
/// particular none in which the reader's end stamp runs between the writer's store and its
/// stamp (under loom the bracket makes that execution ambiguous instead of a false report).
fn ghost_clock_window_exact() {
    let o = shared();
    let hist = std::sync::Arc::new(std::sync::Mutex::new(vec![(0usize, 0isize)]));
    let r = {
        let (o, hist) = (o.clone(), hist.clone());
        spawn_cpu(move || {
            let start = ghost_now();
            let x = READ_ONCE(&o.x); // x = READ_ONCE(obj->x);
            READ_ONCE(&o.y); // READ_ONCE(obj->y);
            let end = ghost_now();
            if !ghost_clock_exact() {
                return; // loom ran a stamp inside the update's bracket: its exact twin is judged
            }
            let hist = hist.lock().unwrap().clone();
            let at = |t: usize| hist.iter().rev().find(|(s, _)| *s <= t).map_or(0, |e| e.1);
            let inside = hist.iter().any(|(s, v)| *s > start && *s <= end && *v == x);
            witness_if(x == 1 && inside, &STAMP_INSIDE_WINDOW);
            check(at(start) == x || inside, &READ_IN_WINDOW, || {
                format!("returned x = {x} over clock {start}..{end}, but x's history is {hist:?}")
            });
        })
    };
    let w = {
        let (o, hist) = (o.clone(), hist.clone());
        spawn_cpu(move || {
            let update = ghost_update(); // ghost: the stamped update's bracket opens
            WRITE_ONCE(&o.x, 1); // WRITE_ONCE(obj->x, 1);
            let stamp = update.stamp(); // before the ghost lock: it is a scheduling point
            hist.lock().unwrap().push((stamp, 1));
        })
    };
    join(r);
    join(w);
    kfree(&o);
}

pub const GHOST_CLOCK_WINDOW_EXACT: Scenario = checker::scenario!(
    ghost_clock_window_exact,
    ["P0 reader", "P1 writer"],
    unreachable,
    "calibration: a reader whose window spans its load of x always returns a value x had inside the window"
)
.named("probe-ghost-clock-window-exact")
.witnesses(&[STAMP_INSIDE_WINDOW]);

pub const GHOST_CLOCK_WINDOW: Scenario = checker::scenario!(
    ghost_clock_window,
    ["P0 reader", "P1 writer"],
    reachable(READ_IN_WINDOW),
    "calibration: a stamp of CPU1's update falls inside CPU0's ghost-clock window only in an order of two independent steps"
)
.named("probe-ghost-clock-window");

/// Every probe.
pub const SCENARIOS: &[Scenario] = &[
    SPIN_LOCK_INCREMENTS,
    RWSEM_WRITER_VS_READER,
    RWSEM_TWO_READERS,
    TEST_AND_SET_BIT_ONE_WINNER,
    TEST_AND_SET_BIT_EITHER_WINS,
    SEQCOUNT_CONSISTENT,
    SEQCOUNT_RETRIES,
    KREF_TWO_PUTS,
    LLIST_TWO_ADDS,
    GHOST_CLOCK_WINDOW,
    GHOST_CLOCK_WINDOW_EXACT,
];
