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
    crate::loom_calibration::RMW_ATOMIC_AGAINST_SET,
    crate::loom_calibration::FAILED_CMPXCHG_READS_LATEST,
    crate::loom_calibration::RMW_AFTER_FLAG_READS_LATEST,
    crate::loom_calibration::LLIST_DEL_ALL_AFTER_FLAG_TAKES_NODE,
    crate::probes::LOCKED_INCREMENTS_ADD_UP,
    crate::probes::READER_SEES_WHOLE_UPDATE,
    crate::probes::READERS_NEVER_OVERLAP,
    crate::probes::RELEASE_EXACTLY_ONCE,
    crate::probes::LLIST_KEEPS_EVERY_NODE,
    crate::probes::SEQCOUNT_READER_CONSISTENT,
    crate::probes::SEQCOUNT_NEVER_RETRIES,
    crate::probes::TEST_AND_SET_ONE_WINNER,
    crate::probes::CPU0_ALWAYS_WINS,
    crate::wait_probe::WAITER_SEES_DONE,
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

// ---------------------------------------------------------------------------------------
// The kernel suite's witnesses (crate::kernel_suite). A `Never` clause `A /\ B /\ ...` means
// something only if each of its conjuncts holds in some execution: each constrained load
// returns the value the clause asks for (for most, a store of another CPU), each named
// variable ends with the value the clause asks for. `Test::exists` checks each conjunct of
// a clause without `\/` or `filter`, in the order written, on every execution's final state.

/// The first conjunct of a kernel litmus test's `exists` clause holds.
pub const LKMM_CONJUNCT_1: Witness = Witness::new(
    "LKMM_CONJUNCT_1",
    "the first conjunct of the test's exists clause holds on its own (its register or variable ends with the value the clause asks for)",
);
/// The second conjunct holds.
pub const LKMM_CONJUNCT_2: Witness = Witness::new(
    "LKMM_CONJUNCT_2",
    "the second conjunct of the test's exists clause holds on its own",
);
/// The third conjunct holds.
pub const LKMM_CONJUNCT_3: Witness = Witness::new(
    "LKMM_CONJUNCT_3",
    "the third conjunct of the test's exists clause holds on its own",
);
/// The fourth conjunct holds.
pub const LKMM_CONJUNCT_4: Witness = Witness::new(
    "LKMM_CONJUNCT_4",
    "the fourth conjunct of the test's exists clause holds on its own",
);
/// The conjunct witnesses, in order.
pub const LKMM_CONJUNCTS: [Witness; 4] = [
    LKMM_CONJUNCT_1,
    LKMM_CONJUNCT_2,
    LKMM_CONJUNCT_3,
    LKMM_CONJUNCT_4,
];
/// A two-conjunct clause's witnesses.
pub const LKMM_CLAUSE_2: &[Witness] = &[LKMM_CONJUNCT_1, LKMM_CONJUNCT_2];
/// A three-conjunct clause's witnesses.
pub const LKMM_CLAUSE_3: &[Witness] = &[LKMM_CONJUNCT_1, LKMM_CONJUNCT_2, LKMM_CONJUNCT_3];
/// A four-conjunct clause's witnesses.
pub const LKMM_CLAUSE_4: &[Witness] = &LKMM_CONJUNCTS;

/// CoWW+poonceonce (one CPU, clause `x=1`).
pub const COWW_SECOND_STORE_LAST: Witness = Witness::new(
    "COWW_SECOND_STORE_LAST",
    "both of P0's stores to x happen and x ends with the second, 2 (the coherence order the clause x=1 would contradict)",
);

/// Atomic-RMW-ops-are-atomic-WRT-atomic_set (clause `v=2`).
pub const ADD_UNLESS_SEES_SET: Witness = Witness::new(
    "ADD_UNLESS_SEES_SET",
    "P0's atomic_add_unless(v, 1, 0) reads the 0 of P1's atomic_set(v, 0) and does not add: the RMW and the set race",
);
/// The same test, the other order.
pub const ADD_UNLESS_ADDS: Witness = Witness::new(
    "ADD_UNLESS_ADDS",
    "P0's atomic_add_unless(v, 1, 0) adds (v was 1): P1's atomic_set(v, 0) must then come after it in v's coherence order",
);

/// DCL-broken/DCL-fixed (clause with `\/`).
pub const DCL_LOCKED_FLAG_SEEN: Witness = Witness::new(
    "DCL_LOCKED_FLAG_SEEN",
    "a CPU that read flag == 0 without the lock reads flag == 1 under lck: the other CPU initialised data and set flag in between, and this CPU's final READ_ONCE(data) is the one the clause judges",
);

/// RM-broken/RM-fixed (clause with `filter`).
pub const RM_P1_SEES_X: Witness = Witness::new(
    "RM_P1_SEES_X",
    "P1's first READ_ONCE(x) returns P0's store x = 1",
);
/// RM-fixed's filter holds.
pub const RM_FILTER_HOLDS: Witness = Witness::new(
    "RM_FILTER_HOLDS",
    "the filter (1:r0=0 /\\ 1:r1=1) holds: P1's two READ_ONCE(x) straddle P0's store, so the exists clause (1:r2=1) is judged on this execution",
);

/// MP+onceassign+derefonce and RCU+sync+free.
pub const RCU_DEREF_SEES_ASSIGN: Witness = Witness::new(
    "RCU_DEREF_SEES_ASSIGN",
    "the reader's rcu_dereference() returns the pointer the other CPU's rcu_assign_pointer() stored",
);
/// RCU+sync+free: the reader holds the old pointer.
pub const RCU_DEREF_SEES_OLD: Witness = Witness::new(
    "RCU_DEREF_SEES_OLD",
    "the reader's rcu_dereference() returns x, the pointer the updater then replaces and (after synchronize_rcu()) frees (0:r0=x, the clause's first conjunct)",
);

/// dep+plain: every store of the test stores a value read from the other CPU, so no value
/// but 0 is ever stored (the clause is out of thin air); the race the test is about is P0's
/// load of x after P1's store to it.
pub const DEP_PLAIN_READ_AFTER_STORE: Witness = Witness::new(
    "DEP_PLAIN_READ_AFTER_STORE",
    "P0's READ_ONCE(x) runs after P1's smp_store_release(x, r) has executed: the load races with that store (which stores 0, as no CPU ever stores 1 out of thin air)",
);

/// RCU+call_rcu+read: the reader's store seen before call_rcu().
pub const RCU_READER_STORE_SEEN: Witness = Witness::new(
    "RCU_READER_STORE_SEEN",
    "P1's READ_ONCE(x) before call_rcu() returns the store P0 made inside its read-side section: the callback's read of y is the one the test judges",
);

/// RCU+readers+call_rcu: call_rcu() with both readers inside.
pub const RCU_CALL_WITH_READERS_INSIDE: Witness = Witness::new(
    "RCU_CALL_WITH_READERS_INSIDE",
    "P2 reads both readers' marks (x == 1, y == 1) and calls call_rcu() while both are inside their read-side sections or have been",
);

/// loom-sleep-ghost: the order of two ghost list accesses that loom does not see, against a
/// load that reads the other CPU's store.
pub const SLEEP_GHOST_EMPTY_THEN_STORE: Witness = Witness::new(
    "SLEEP_GHOST_EMPTY_THEN_STORE",
    "P1's list_empty(&h->list) returns true (it runs before P0's list_add) and P1's READ_ONCE(x) then returns P0's store x = 1",
);

/// loom-ghost-race: two ghost list accesses in the CPUs' first steps, against a load that
/// reads the other CPU's store.
pub const GHOST_RACE_EMPTY_THEN_STORE: Witness = Witness::new(
    "GHOST_RACE_EMPTY_THEN_STORE",
    "P1's list_empty(&h->list) returns true (it runs before P0's list_add) and P1's READ_ONCE(x) then returns P0's store x = 1",
);

/// loom-pruning: a load sees the other CPU's store.
pub const PRUNING_READ_SEES_STORE: Witness = Witness::new(
    "PRUNING_READ_SEES_STORE",
    "P0's READ_ONCE(y) returns P1's store y = 1",
);

/// loom-cpu_relax-retry: a retry after `cpu_relax()` reads x before the other CPU's store.
pub const RETRY_REREADS_BEFORE_STORE: Witness = Witness::new(
    "RETRY_REREADS_BEFORE_STORE",
    "P1 reads x == 0, runs cpu_relax(), and reads x == 0 again: P0's store to z ran between the two reads, its store to x after both",
);

/// dpor-spin-late-writer: a CPU that leaves its spin on a flag reads the data stored
/// before the flag.
pub const SPIN_FLAG_IMPLIES_DATA: Invariant = Invariant::new(
    "SPIN_FLAG_IMPLIES_DATA",
    "a CPU that spins until it reads the flag == 1 then reads the data == 1 (the publisher stores the data before the flag)",
);

/// dpor-spin-late-writer-ordered: the spinner leaves its spin after spinning.
pub const SPIN_LEAVES_AFTER_SPINNING: Witness = Witness::new(
    "SPIN_LEAVES_AFTER_SPINNING",
    "P0 reads the flag == 0, runs cpu_relax(), and later reads the flag == 1 and the data == 1 (P2 ran after P0's first read)",
);

/// dpor-spin-ends: the spinner leaves its spin after spinning.
pub const SPIN_ENDS_AFTER_SPINNING: Witness = Witness::new(
    "SPIN_ENDS_AFTER_SPINNING",
    "P0 reads the flag == 0, runs cpu_relax(), and later reads the flag == 1 (P1 ran after P0's first read)",
);

/// spin-bounded-poll: a poll loop of three tries sees the flag its peer sets.
pub const POLL_SEES_FLAG: Invariant = Invariant::new(
    "POLL_SEES_FLAG",
    "a CPU polling the flag at most three times sees it set by the other CPU (false: the poller may run its three polls first)",
);
