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

/// The `exists` clause of RCU+sync+read, negated.
pub const RCU_GP_SEES_READER: Invariant = Invariant::new(
    "RCU_GP_SEES_READER",
    "after a grace period the updater sees every store of a read-side section whose first store it saw before the grace period (exists (1:r0=1 /\\ 1:r1=0) never holds)",
);

/// The callback form of RCU+sync+read, negated.
pub const RCU_CALLBACK_SEES_READER: Invariant = Invariant::new(
    "RCU_CALLBACK_SEES_READER",
    "a call_rcu() callback sees every store of a read-side section whose first store the caller saw before call_rcu() (exists (1:r0=1 /\\ cb:r1=0) never holds)",
);

/// A pre-existing reader's loads come before its grace period's callback.
pub const RCU_READER_BEFORE_CALLBACK: Invariant = Invariant::new(
    "RCU_READER_BEFORE_CALLBACK",
    "a read-side section that had begun when call_rcu() was called never reads the callback's stores (exists (0:r0=1 /\\ 0:r1=1) never holds)",
);

/// Every invariant of this crate.
pub const INVARIANTS: &[Invariant] = &[
    MP_FLAG_IMPLIES_DATA,
    SB_NOT_BOTH_ZERO,
    R_SEES_ONLY_INITIAL,
    RCU_GP_SEES_READER,
    RCU_CALLBACK_SEES_READER,
    RCU_READER_BEFORE_CALLBACK,
];
