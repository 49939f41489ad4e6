//! # litmus
//!
//! Classic litmus tests of the Linux-kernel memory model (tools/memory-model/litmus-tests,
//! names and `Result:` as there) written with kmodel's primitives. They calibrate the
//! checker: the kernel-to-C11 ordering map of `checker::kernel::atomic` must give each test
//! the result herd7 gives it under the LKMM, and loom must find the weak-memory outcomes that
//! shuttle (sequentially consistent) cannot. They also give the weak-memory counterexample
//! that `kmodel replay` replays from loom's checkpoint.

use checker::invariant::Invariant;
use checker::kernel::{
    kfree, kzalloc, smp_load_acquire, smp_mb, smp_store_release, AtomicT, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{check, join, spawn_cpu, Expected, Scenario};

mod loom_pruning;
pub use loom_pruning::{JOIN_SEES_STORES, LOOM_PRUNING};

/// The `exists` clause of the MP tests, negated.
pub const MP_FLAG_IMPLIES_DATA: Invariant = Invariant::new(
    "MP_FLAG_IMPLIES_DATA",
    "a CPU that reads the flag y == 1 also reads the data x == 1 written before it (exists (1:r0=1 /\\ 1:r1=0) never holds)",
);

/// The `exists` clause of the SB tests, negated.
pub const SB_NOT_BOTH_ZERO: Invariant = Invariant::new(
    "SB_NOT_BOTH_ZERO",
    "of two CPUs that each store to one variable and then load the other, at least one sees the other's store (exists (0:r0=0 /\\ 1:r0=0) never holds)",
);

/// The `exists` clause of the explorer calibration test, negated.
pub const R_SEES_ONLY_INITIAL: Invariant = Invariant::new(
    "R_SEES_ONLY_INITIAL",
    "P0 never reads the store P1 makes after its own read (exists (0:r0=1) never holds; it does hold, so an explorer that finds no violation missed an interleaving)",
);

/// Every invariant of this crate.
pub const INVARIANTS: &[Invariant] = &[
    MP_FLAG_IMPLIES_DATA,
    SB_NOT_BOTH_ZERO,
    R_SEES_ONLY_INITIAL,
    JOIN_SEES_STORES,
];

struct Vars {
    x: AtomicT,
    y: AtomicT,
}

fn vars() -> checker::kernel::Obj<Vars> {
    kzalloc("vars", |_, n| Vars {
        x: AtomicT::new(n, "x", 0),
        y: AtomicT::new(n, "y", 0),
    })
}

/// MP: P0 writes x then the flag y; P1 reads y then x.
fn mp(release_acquire: bool) {
    let v = vars();
    let p0 = {
        let v = v.clone();
        spawn_cpu(move || {
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
            if release_acquire {
                smp_store_release(&v.y, 1); // smp_store_release(y, 1);
            } else {
                WRITE_ONCE(&v.y, 1); // WRITE_ONCE(*y, 1);
            }
        })
    };
    let p1 = {
        let v = v.clone();
        spawn_cpu(move || {
            let r0 = if release_acquire {
                smp_load_acquire(&v.y) // r0 = smp_load_acquire(y);
            } else {
                READ_ONCE(&v.y) // r0 = READ_ONCE(*y);
            };
            let r1 = READ_ONCE(&v.x); // r1 = READ_ONCE(*x);
            check(!(r0 == 1 && r1 == 0), &MP_FLAG_IMPLIES_DATA, || {
                format!("P1 read y={r0} then x={r1}")
            });
        })
    };
    join(p0);
    join(p1);
    kfree(&v);
}

/// SB: each CPU stores to its variable, then loads the other's.
fn sb(full_barrier: bool) {
    let v = vars();
    let results = std::sync::Arc::new(std::sync::Mutex::new([None, None]));
    let cpu = |mine: bool| {
        let (v, results) = (v.clone(), results.clone());
        spawn_cpu(move || {
            let (me, other) = if mine { (&v.x, &v.y) } else { (&v.y, &v.x) };
            WRITE_ONCE(me, 1); // WRITE_ONCE(*x, 1);
            if full_barrier {
                smp_mb(); // smp_mb();
            }
            let r0 = READ_ONCE(other); // r0 = READ_ONCE(*y);
            results.lock().unwrap()[usize::from(!mine)] = Some(r0);
        })
    };
    let (p0, p1) = (cpu(true), cpu(false));
    join(p0);
    join(p1);
    let r = *results.lock().unwrap();
    check(r != [Some(0), Some(0)], &SB_NOT_BOTH_ZERO, || {
        format!("P0 read y={:?}, P1 read x={:?}", r[0], r[1])
    });
    kfree(&v);
}

/// The explorer calibration test (not from tools/memory-model): P0 reads x; P1 reads x and
/// then writes it. Under every memory model P0 may read P1's write. Upstream loom 0.7.2
/// never lets it (tokio-rs/loom#166, #392): its DPOR kept only the last access to x, P1's
/// own read, so P1's write was never found to race with P0's read. kmodel's vendored loom
/// (vendor/loom/KMODEL-PATCH.md) races a store with every load since the last store.
fn r_then_rw() {
    let v = vars();
    let p0 = {
        let v = v.clone();
        spawn_cpu(move || {
            let r0 = READ_ONCE(&v.x); // r0 = READ_ONCE(*x);
            check(r0 == 0, &R_SEES_ONLY_INITIAL, || {
                format!("P0 read x={r0}, written by P1 after P1's own read")
            });
        })
    };
    let p1 = {
        let v = v.clone();
        spawn_cpu(move || {
            let _r0 = READ_ONCE(&v.x); // r0 = READ_ONCE(*x);
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
        })
    };
    join(p0);
    join(p1);
    kfree(&v);
}

fn mp_onces() {
    mp(false)
}
fn mp_release_acquire() {
    mp(true)
}
fn sb_onces() {
    sb(false)
}
fn sb_mbonceonces() {
    sb(true)
}

/// A scenario of this model (default bounds).
const fn scenario(
    name: &'static str,
    summary: &'static str,
    cpus: &'static [&'static str],
    expected: Expected,
    body: fn(),
) -> Scenario {
    Scenario::new("litmus", name, summary, cpus, expected, SOURCES, body)
}

const SOURCES: &[&str] = &[include_str!("lib.rs")];

/// tools/memory-model/litmus-tests/MP+poonceonces.litmus (`Result: Sometimes`).
pub const MP_PO_ONCE_ONCES: Scenario = scenario(
    "MP+poonceonces",
    "message passing with WRITE_ONCE/READ_ONCE only: P1 may see the flag without the data",
    &["P0", "P1"],
    Expected::Reachable(MP_FLAG_IMPLIES_DATA),
    mp_onces,
)
.expected_sc(Expected::Unreachable);

/// tools/memory-model/litmus-tests/MP+pooncerelease+poacquireonce.litmus (`Result: Never`).
pub const MP_RELEASE_ACQUIRE: Scenario = scenario(
    "MP+pooncerelease+poacquireonce",
    "message passing with smp_store_release/smp_load_acquire: the flag implies the data",
    &["P0", "P1"],
    Expected::Unreachable,
    mp_release_acquire,
);

/// tools/memory-model/litmus-tests/SB+poonceonces.litmus (`Result: Sometimes`).
pub const SB_PO_ONCE_ONCES: Scenario = scenario(
    "SB+poonceonces",
    "store buffering without barriers: both CPUs may read 0",
    &["P0", "P1"],
    Expected::Reachable(SB_NOT_BOTH_ZERO),
    sb_onces,
)
.expected_sc(Expected::Unreachable);

/// tools/memory-model/litmus-tests/SB+fencembonceonces.litmus (`Result: Never`).
pub const SB_MB: Scenario = scenario(
    "SB+fencembonceonces",
    "store buffering with smp_mb() between store and load: not both 0",
    &["P0", "P1"],
    Expected::Unreachable,
    sb_mbonceonces,
);

/// The explorer calibration test: fails (verified) under upstream loom 0.7.2.
pub const R_THEN_RW: Scenario = scenario(
    "R+poonceonce-then-W",
    "explorer calibration (loom#166, #392): P1 reads x then writes it; P0's read of x may see that write",
    &["P0", "P1"],
    Expected::Reachable(R_SEES_ONLY_INITIAL),
    r_then_rw,
);

/// Every scenario of this crate.
pub const SCENARIOS: &[Scenario] = &[
    MP_PO_ONCE_ONCES,
    MP_RELEASE_ACQUIRE,
    SB_PO_ONCE_ONCES,
    SB_MB,
    R_THEN_RW,
    LOOM_PRUNING,
];
