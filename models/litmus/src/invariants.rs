//! The litmus tests' `exists` clauses, negated, as invariants: constants only, so that every
//! file of the crate can name them.

use checker::invariant::{Invariant, Witness};

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
pub const INVARIANTS: &[Invariant] = &[MP_FLAG_IMPLIES_DATA, SB_NOT_BOTH_ZERO, R_SEES_ONLY_INITIAL];

/// The MP tests' witness: P1's read of the flag sees P0's store, the case the `exists`
/// clause is about (P1 then reads the data).
pub const MP_FLAG_SEEN: Witness = Witness::new(
    "MP_FLAG_SEEN",
    "P1's read of the flag y returns P0's store y = 1, so its read of x is the one the exists clause judges",
);

/// The SB tests' witness: a CPU's load runs before the other CPU's store is visible to it,
/// half of the `exists` clause (both halves at once is what must never happen).
pub const SB_LOAD_MISSES_STORE: Witness = Witness::new(
    "SB_LOAD_MISSES_STORE",
    "one CPU's READ_ONCE of the other's variable returns 0: the racing store and load both occur, the load first",
);
