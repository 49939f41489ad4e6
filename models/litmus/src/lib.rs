//! # litmus
//!
//! Classic litmus tests of the Linux-kernel memory model (tools/memory-model/litmus-tests,
//! names and `Result:` as there) written with kmodel's primitives. They calibrate the
//! checker: the kernel-to-C11 ordering map of `checker::kernel::atomic` must give each test
//! the result herd7 gives it under the LKMM, and loom must find the weak-memory outcomes that
//! shuttle (sequentially consistent) cannot. They also give the weak-memory counterexample
//! that `kmodel replay` replays from loom's checkpoint.
//!
//! - [`invariants`]: the tests' `exists` clauses, negated (constants only).
//! - [`scenarios`]: the scenario table and the tests' bodies.
//! - [`kernel_suite`]: the rest of the kernel's 47 litmus tests, with their herd7 twins.
//! - [`loom_calibration`]: loom's DPOR calibration for state-dependent operations (trylocks,
//!   wait/wake, cmpxchg failure), self-contained (bodies, invariants, scenarios).
//! - [`probes`]: the smallest shape for each primitive's outcomes, for the DFS gate.
//! - [`wait_probe`]: a waiter woken twice on a wait queue (dpor's wait-queue calibration).

pub mod invariants;
pub mod kernel_suite;
pub mod loom_calibration;
pub mod probes;
pub mod scenarios;
pub mod wait_probe;

pub use invariants::INVARIANTS;
pub use scenarios::SCENARIOS;

/// Every source file of this crate (the scenarios' fingerprint).
pub const SOURCES: &[&str] = &[
    include_str!("lib.rs"),
    include_str!("invariants.rs"),
    include_str!("kernel_suite.rs"),
    include_str!("scenarios/mod.rs"),
    include_str!("scenarios/calibration.rs"),
    include_str!("scenarios/ghost.rs"),
    include_str!("scenarios/rcu.rs"),
    include_str!("scenarios/mp.rs"),
    include_str!("scenarios/sb.rs"),
    include_str!("scenarios/vars.rs"),
    include_str!("loom_calibration.rs"),
    include_str!("probes.rs"),
    include_str!("wait_probe.rs"),
];
