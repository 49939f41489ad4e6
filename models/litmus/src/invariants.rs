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

/// The `exists` clause of a kernel litmus test of the suite (crate::kernel_suite), negated.
pub const LKMM_EXISTS: Invariant = Invariant::new(
    "LKMM_EXISTS",
    "the litmus test's `exists` clause (its registers' and variables' final values) holds in no execution",
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
    LKMM_EXISTS,
    crate::loom_calibration::TRYLOCK_NEVER_FAILS,
    crate::loom_calibration::GET_UNLESS_ZERO_NEVER_FAILS,
    crate::probes::LOCKED_INCREMENTS_ADD_UP,
    crate::probes::READER_SEES_WHOLE_UPDATE,
    crate::probes::READERS_NEVER_OVERLAP,
    crate::probes::RELEASE_EXACTLY_ONCE,
    crate::probes::LLIST_KEEPS_EVERY_NODE,
    crate::probes::SEQCOUNT_READER_CONSISTENT,
    crate::probes::SEQCOUNT_NEVER_RETRIES,
    crate::probes::TEST_AND_SET_ONE_WINNER,
    crate::probes::CPU0_ALWAYS_WINS,
    RCU_CALLBACK_SEES_READER,
    RCU_READER_BEFORE_CALLBACK,
    JOIN_SEES_STORES,
];

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
