//! The litmus tests: the one table. The bodies are in the files beside this one.

use checker::scenario;
use checker::scenario::{Expected, Scenario};

use crate::invariants::*;

mod calibration;
mod mp;
mod sb;
mod vars;

use calibration::*;
use mp::*;
use sb::*;

/// Every scenario of this crate.
#[rustfmt::skip]
pub const SCENARIOS: &[Scenario] = &[
    // tools/memory-model/litmus-tests/MP+poonceonces.litmus (`Result: Sometimes`).
    scenario!(mp_onces, ["P0", "P1"], reachable(MP_FLAG_IMPLIES_DATA),
        "message passing with WRITE_ONCE/READ_ONCE only: P1 may see the flag without the data")
        .named("MP+poonceonces")
        .expected_sc(Expected::Unreachable),
    // tools/memory-model/litmus-tests/MP+pooncerelease+poacquireonce.litmus (`Result: Never`).
    scenario!(mp_release_acquire, ["P0", "P1"], unreachable,
        "message passing with smp_store_release/smp_load_acquire: the flag implies the data")
        .named("MP+pooncerelease+poacquireonce"),
    // tools/memory-model/litmus-tests/SB+poonceonces.litmus (`Result: Sometimes`).
    scenario!(sb_onces, ["P0", "P1"], reachable(SB_NOT_BOTH_ZERO),
        "store buffering without barriers: both CPUs may read 0")
        .named("SB+poonceonces")
        .expected_sc(Expected::Unreachable),
    // tools/memory-model/litmus-tests/SB+fencembonceonces.litmus (`Result: Never`).
    scenario!(sb_mbonceonces, ["P0", "P1"], unreachable,
        "store buffering with smp_mb() between store and load: not both 0")
        .named("SB+fencembonceonces"),
    // The explorer calibration test: fails (verified) under upstream loom 0.7.2.
    scenario!(r_then_rw, ["P0", "P1"], reachable(R_SEES_ONLY_INITIAL),
        "explorer calibration (loom#166, #392): P1 reads x then writes it; P0's read of x may see that write")
        .named("R+poonceonce-then-W"),
    // The loom pruning calibration: executions = distinct visible schedules (KMODEL-PATCH.md).
    scenario!(loom_pruning, ["P0", "P1"], unreachable,
        "explorer calibration: loom runs each visible schedule once (cpu_relax and join resume without a visible operation)")
        .named("loom-pruning"),
];
