//! The litmus tests' `exists` clauses, negated, as invariants: constants only, so that every
//! file of the crate can name them.

use checker::invariant::Invariant;

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

/// What the loom pruning calibration checks (true on every execution: `join` orders the CPUs'
/// stores before the main thread's reads).
pub const JOIN_SEES_STORES: Invariant = Invariant::new(
    "JOIN_SEES_STORES",
    "after joining both CPUs, the main thread reads each one's store (x == 1 and y == 1)",
);

/// Every invariant of this crate.
pub const INVARIANTS: &[Invariant] = &[
    MP_FLAG_IMPLIES_DATA,
    SB_NOT_BOTH_ZERO,
    R_SEES_ONLY_INITIAL,
    JOIN_SEES_STORES,
];
