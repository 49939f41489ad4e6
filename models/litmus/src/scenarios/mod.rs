//! The litmus tests: the one table. The bodies are in the files beside this one.

use checker::scenario;
use checker::scenario::{Expected, Scenario};

use crate::invariants::*;

mod calibration;
mod ghost;
mod ghostptr;
mod mp;
mod rcu;
mod sb;
mod vars;

use calibration::*;
use ghost::*;
use ghostptr::*;
use mp::*;
use rcu::*;
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
        .named("MP+pooncerelease+poacquireonce")
        .witnesses(&[MP_FLAG_SEEN]),
    // tools/memory-model/litmus-tests/SB+poonceonces.litmus (`Result: Sometimes`).
    scenario!(sb_onces, ["P0", "P1"], reachable(SB_NOT_BOTH_ZERO),
        "store buffering without barriers: both CPUs may read 0")
        .named("SB+poonceonces")
        .expected_sc(Expected::Unreachable),
    // tools/memory-model/litmus-tests/SB+fencembonceonces.litmus (`Result: Never`).
    scenario!(sb_mbonceonces, ["P0", "P1"], unreachable,
        "store buffering with smp_mb() between store and load: not both 0")
        .named("SB+fencembonceonces")
        .witnesses(&[SB_LOAD_MISSES_STORE]),
    // The explorer calibration test: fails (verified) under upstream loom 0.7.2.
    scenario!(r_then_rw, ["P0", "P1"], reachable(R_SEES_ONLY_INITIAL),
        "explorer calibration (loom#166, #392): P1 reads x then writes it; P0's read of x may see that write")
        .named("R+poonceonce-then-W"),
    crate::loom_calibration::MUTEX_TRYLOCK_VS_LOCK,
    crate::loom_calibration::MUTEX_TRYLOCK_VS_LOCK_STORE,
    crate::loom_calibration::DOWN_READ_TRYLOCK_VS_DOWN_WRITE,
    crate::loom_calibration::DOWN_WRITE_TRYLOCK_VS_DOWN_READ,
    crate::loom_calibration::DOWN_WRITE_TRYLOCK_VS_DOWN_WRITE,
    crate::loom_calibration::DOWN_READ_TRYLOCK_VS_DOWN_READ,
    crate::loom_calibration::WAIT_EVENT_VS_WAKE_UP,
    crate::loom_calibration::WAIT_EVENT_VS_EARLY_WAKE_UP,
    crate::loom_calibration::KREF_GET_UNLESS_ZERO_VS_PUT,
    crate::loom_calibration::ATOMIC_INC_VS_ATOMIC_SET,
    crate::loom_calibration::MP_FAILED_CMPXCHG_RELAXED,
    crate::loom_calibration::MP_RMB_FAILED_CMPXCHG_RELAXED,
    crate::loom_calibration::MP_XCHG_RELAXED,
    crate::loom_calibration::MP_ATOMIC_INC,
    crate::loom_calibration::MP_XCHG,
    crate::loom_calibration::LLIST_MP,
    crate::probes::SPIN_LOCK_INCREMENTS,
    crate::probes::RWSEM_WRITER_VS_READER,
    crate::probes::RWSEM_TWO_READERS,
    crate::probes::TEST_AND_SET_BIT_ONE_WINNER,
    crate::probes::TEST_AND_SET_BIT_EITHER_WINS,
    crate::probes::SEQCOUNT_CONSISTENT,
    crate::probes::SEQCOUNT_RETRIES,
    crate::probes::KREF_TWO_PUTS,
    crate::probes::LLIST_TWO_ADDS,
    crate::probes::GHOST_CLOCK_WINDOW,
    crate::probes::GHOST_CLOCK_WINDOW_EXACT,
    crate::wait_probe::WAIT_EVENT_TWO_WAKEUPS,
    // RCU calibration (scenarios/rcu.rs; issue 10). SB with synchronize_rcu() on one side (a
    // strong fence: `gp` in linux-kernel.cat) and smp_mb() on the other (LKMM: Never).
    scenario!(sb_sync_mb, ["P0", "P1"], unreachable,
        "store buffering with synchronize_rcu() on P0 and smp_mb() on P1: a grace period is a full barrier, not both 0")
        .named("SB+sync+mb")
        .witnesses(&[SB_LOAD_MISSES_STORE]),
    // SB with rcu_read_lock() on one side and smp_mb() on the other (LKMM: Sometimes).
    scenario!(sb_rcu_read_lock_mb, ["P0", "P1"], reachable(SB_NOT_BOTH_ZERO),
        "store buffering with rcu_read_lock() between P0's store and load and smp_mb() on P1: rcu_read_lock() is no fence, both may read 0")
        .named("SB+rcu_read_lock+mb")
        .expected_sc(Expected::Unreachable),
    // RCU+sync+read with call_rcu() (Never: the callback runs after the grace period).
    scenario!(rcu_callback_read, ["P0", "P1"], unreachable,
        "RCU message passing to a callback: P1 saw P0's first store in its read-side section, so the call_rcu() callback sees the section's second")
        .named("RCU+call_rcu+read")
        .witnesses(&[RCU_READER_STORE_SEEN]),
    // Two pre-existing readers and a callback that stores (Never).
    scenario!(rcu_callback_after_reader_loads, ["P0", "P1", "P2"], unreachable,
        "a call_rcu() callback runs after the loads of every reader that was inside at the call, whichever reader leaves last")
        .named("RCU+readers+call_rcu")
        .witnesses(&[RCU_CALL_WITH_READERS_INSIDE]),
    // MP whose only "ordering" is read-side sections (LKMM: Sometimes).
    scenario!(mp_readers, ["P0", "P1"], reachable(MP_FLAG_IMPLIES_DATA),
        "message passing from one read-side section to two others: read-side sections order nothing, P1 may see the flag without the data")
        .named("MP+rcu_read_lock")
        .expected_sc(Expected::Unreachable),
    // The ghost-window calibration (scenarios/ghost.rs; issue 10 item 3).
    scenario!(free_while_linked, ["waiter", "worker"], reachable(checker::invariant::FREE_WHILE_LINKED),
        "ghost-state calibration: CPU0 frees an item once it reads item->done without the lock; CPU1 sets done under the lock before list_del()")
        .named("ghost+kfree-linked"),
    scenario!(kmem_cache_free_vs_read, ["reader", "freer"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-state calibration: CPU0 reads a kmalloc'd buffer that CPU1 frees with kmem_cache_free(), unordered; loom sees the race only through the slot's KASAN shadow")
        .named("ghost+kmem_cache_free-read"),
    scenario!(kfree_after_handoff_cleared, ["user", "owner"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-state calibration: CPU0 follows its message pointer, sets done, then reads the message; CPU1 clears and frees it once done is set: only a liveness check at the access finds it")
        .named("ghost+kfree-after-deref"),
    scenario!(kfree_after_handoff_unordered, ["user", "owner"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-state calibration: as ghost+kfree-after-deref, but CPU1 frees the message without a store to it: loom orders CPU0's later read against the kfree only through the liveness check's ghost access")
        .named("ghost+kfree-after-deref-unordered"),
    scenario!(kfree_vs_read, ["reader", "freer"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-state calibration: CPU0 reads a kzalloc'ed message that CPU1 kfree()s, unordered; no loom object is common to the two")
        .named("ghost+kfree-read"),
    scenario!(free_while_reachable, ["waiter", "worker"], reachable(checker::invariant::FREE_WHILE_REACHABLE),
        "ghost-state calibration: CPU0 frees an item once it reads item->done without the lock; CPU1 sets done under the lock before clearing owner->cur, which points to the item")
        .named("ghost+kfree-reachable"),
    scenario!(free_reachable_vs_free_owner, ["owner_freer", "item_freer"], reachable(checker::invariant::FREE_WHILE_REACHABLE),
        "ghost-state calibration: CPU0 frees the owner, CPU1 the item owner->cur points to, without owner->lock: if CPU1 frees first, the live owner points to a freed item")
        .named("ghost+kfree-reachable-vs-kfree-owner"),
    scenario!(free_under_lock_dangling, ["finisher", "reaper"], reachable(checker::invariant::FREE_WHILE_REACHABLE),
        "ghost-state calibration: CPU1 frees the item owner->cur points to under owner->lock once CPU0 set item->done, and unlocks without clearing owner->cur")
        .named("ghost+kfree-reachable-locked"),
    scenario!(free_under_lock_cleared, ["finisher", "reaper"], unreachable,
        "ghost-state calibration: as ghost+kfree-reachable-locked, but CPU1 clears owner->cur after the kfree and before the unlock (allowed)")
        .named("ghost+kfree-reachable-locked-cleared")
        .witnesses(&[ITEM_FREED_UNDER_LOCK]),
    // The loom pruning calibration: executions = distinct visible schedules (KMODEL-PATCH.md).
    scenario!(loom_pruning, ["P0", "P1"], unreachable,
        "explorer calibration: loom runs each visible schedule once (cpu_relax and join resume without a visible operation)")
        .named("loom-pruning")
        .witnesses(&[PRUNING_READ_SEES_STORE]),
    scenario!(sleep_ghost, ["P0", "P1"], unreachable,
        "explorer calibration: loom's sleep sets order kmodel's ghost accesses (list_empty before list_add, with P0's store read)")
        .named("loom-sleep-ghost")
        .witnesses(&[SLEEP_GHOST_EMPTY_THEN_STORE]),
    scenario!(ghost_race, ["P0", "P1"], unreachable,
        "explorer calibration: loom orders kmodel's ghost accesses as DPOR races (list_add and list_empty in the CPUs' first steps, with P0's store read)")
        .named("loom-ghost-race")
        .witnesses(&[GHOST_RACE_EMPTY_THEN_STORE]),
    scenario!(cpu_relax_retry, ["P0", "P1"], unreachable,
        "explorer calibration: loom runs a retry after cpu_relax() before the other CPU's store (P0 stores z between P1's two reads of x = 0)")
        .named("loom-cpu_relax-retry")
        .witnesses(&[RETRY_REREADS_BEFORE_STORE]),
    // The dpor await calibration: a spin whose writer the default choice runs last. DFS
    // cannot exhaust the spin: it bounds it and says so (checker/tests/dfs_busy_wait.rs).
    scenario!(spin_late_writer_unordered, ["P0", "P1", "P2"], reachable(SPIN_FLAG_IMPLIES_DATA),
        "explorer calibration: P0 spins on a flag that P2 stores before the data, after P1's unrelated store (dpor's stutter cut never ran P2)")
        .named("dpor-spin-late-writer"),
    scenario!(spin_late_writer_ordered, ["P0", "P1", "P2"], unreachable,
        "explorer calibration: P0 spins on a flag that P2 stores with release after the data, after P1's unrelated store (dpor's stutter cut never ran P2)")
        .named("dpor-spin-late-writer-ordered")
        .witnesses(&[SPIN_LEAVES_AFTER_SPINNING]),
    // The dpor hang calibration: a busy-wait that no CPU left can end is a LIVELOCK.
    scenario!(spin_forever, ["P0", "P1", "P2"], reachable(checker::invariant::LIVELOCK),
        "explorer calibration: P0 spins on a flag that P1 sets only if P2 has not stored other = 1 yet (dpor's await ended the hung execution as if P0 had finished)")
        .named("dpor-spin-forever"),
    scenario!(spin_forever_two, ["P0", "P1", "P2"], reachable(checker::invariant::LIVELOCK),
        "explorer calibration: as dpor-spin-forever with P2 spinning on the flag too after its store: P0 and P2 spin forever when P2's store comes before P1's read")
        .named("dpor-spin-forever-two")
        // Two spinners: loom reaches its branch limit (no verdict) after 10,003 executions
        // with the default 10,000 branches; the limit is lowered so that it gets there sooner.
        .bounds(checker::scenario::Bounds { loom_max_branches: 300, ..checker::scenario::Bounds::DEFAULT }),
    scenario!(spin_ends_two, ["P0", "P1", "P2"], unreachable,
        "explorer calibration: as dpor-spin-forever-two with P2 storing other = 0, so P1 always sets the flag and both spins end")
        .named("dpor-spin-ends-two")
        // Two spinners: loom reaches its branch limit (no verdict) after 10,003 executions
        // with the default 10,000 branches; the limit is lowered so that it gets there sooner.
        .bounds(checker::scenario::Bounds { loom_max_branches: 300, ..checker::scenario::Bounds::DEFAULT })
        .witnesses(&[SPIN_ENDS_AFTER_SPINNING]),
    scenario!(spin_ends, ["P0", "P1", "P2"], unreachable,
        "explorer calibration: as dpor-spin-forever with P2 storing other = 0, so P1 always sets the flag")
        .named("dpor-spin-ends")
        .witnesses(&[SPIN_ENDS_AFTER_SPINNING]),
    // A retry loop that counts its tries is a finite loop, not a spin (docs/writing-a-model.md).
    scenario!(bounded_poll, ["P0", "P1"], reachable(POLL_SEES_FLAG),
        "explorer calibration: P0 polls a flag at most three times, written without cpu_relax() (the loop counts its tries); P1 sets the flag")
        .named("spin-bounded-poll"),
    // The ghost-pointer calibration (scenarios/ghostptr.rs; issue 10 item 3, pointers kept
    // outside a Guarded::new_refs field).
    scenario!(fence_lock_vs_kfree_timeline, ["signaler", "driver"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-pointer calibration: CPU0 signals a fence through fence->lock (a ghost pointer to its timeline); CPU1 frees the timeline without waiting for the fence")
        .named("ghost+kfree-fence-lock"),
    scenario!(fence_lock_unlock_vs_kfree_timeline, ["signaler", "driver"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-pointer calibration: CPU1 frees the timeline once it sees the fence signalled; CPU0 set the bit under fence->lock and still unlocks through it")
        .named("ghost+kfree-fence-lock-unlock"),
    scenario!(resv_table_vs_kfree, ["exec", "walker"], reachable(checker::invariant::FREE_WHILE_REACHABLE),
        "ghost-pointer calibration: CPU0 adds a fence to a dma_resv table under the resv lock, signals and frees it while the table still points to it; CPU1 walks the table without the lock")
        .named("ghost+kfree-resv-table"),
    scenario!(resv_table_kfree_unread, ["exec", "walker"], reachable(checker::invariant::FREE_WHILE_REACHABLE),
        "ghost-pointer calibration: as ghost+kfree-resv-table, with no walker: the freed fence stays in the resv's table (no later read in the scenario)")
        .named("ghost+kfree-resv-table-unread"),
    scenario!(resv_table_replaced_vs_kfree, ["exec", "walker"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-pointer calibration: CPU0 reuses the slot of a signalled fence in a dma_resv table under the resv lock and frees the old fence at once; CPU1 walks the table without the lock")
        .named("ghost+kfree-resv-table-replaced"),
    scenario!(resv_table_replaced_kfree_rcu, ["exec", "walker"], unreachable,
        "ghost-pointer calibration: as ghost+kfree-resv-table-replaced, done right: the old fence is freed after a grace period and the walker runs under rcu_read_lock()")
        .named("ghost+kfree-resv-table-replaced-rcu")
        // DFS exhausts it in 10,560 executions (about 0.5 s: the grace period's bookkeeping).
        .bounds(checker::scenario::Bounds { dfs_iterations: Some(12_000), ..checker::scenario::Bounds::DEFAULT })
        .witnesses(&[WALKER_HOLDS_REPLACED]),
    scenario!(local_result_vs_kfree, ["collector", "reaper"], reachable(checker::invariant::USE_AFTER_FREE),
        "ghost-pointer calibration: CPU0 copies owner->cur into a local result vector under the lock, without a reference, and tests it after the unlock; CPU1 clears owner->cur and frees the fence under the lock")
        .named("ghost+kfree-local-result"),
];
