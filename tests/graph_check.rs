//! The `KMODEL_CHECK_GRAPHS` check (docs/architecture.md, "What loom's DPOR sees", rule 5) on
//! the dma_fence_rcu scenarios where RCU's reader bookkeeping or a slab slot's occupancy once
//! hid an observation from loom: no loom execution graph may be seen with two different CPU
//! observations. Loom suite only (`RUSTFLAGS="--cfg loom" cargo test --release`). Since the
//! ghost clock is a loom word, seqcount_get_fences_shared_recycled runs 802,029 executions
//! (33,084 before; about 85 s of exploration alone, uncontended: the largest cost here).
#![cfg(loom)]

use checker::explore::{check_graphs, check_graphs_keyed};

/// Run the graph check on `model/name` and assert that every completed execution was checked
/// and that no loom execution graph was seen with two different CPU observations.
fn assert_graphs_agree(model: &str, name: &str) {
    let s = kmodel::registry::all()
        .into_iter()
        .find(|s| s.model == model && s.name == name)
        .expect("scenario");
    let (outcome, (executions, graphs, conflicts)) = check_graphs(s);
    assert!(
        outcome.as_expected(),
        "{name}: {}",
        outcome.mismatch().unwrap_or_default()
    );
    // The execution that stopped on the expected violation (a reachable scenario's
    // last) did not complete, so the check did not see it.
    let stopped = u64::from(outcome.found.is_some());
    assert_eq!(
        executions + stopped,
        outcome.executions,
        "{name}: every completed execution checked"
    );
    assert!(graphs > 1, "{name}: {graphs} graphs");
    assert_eq!(
        conflicts, 0,
        "{name}: {conflicts} executions whose loom execution graph was seen with other observations"
    );
}

#[test]
fn rcu_bookkeeping_hides_no_observation() {
    for name in [
        "get_rcu_kfree_rcu",
        "iter_get_fences_list_replaced_kfree_rcu",
        // Flagged before the slab slots' shadows and the freelist word were facade objects
        // (checker/src/kernel/kmem_cache.rs): 2,073 of 16,781 and 3 of 83 executions.
        "seqcount_get_fences_shared_recycled",
        "iter_get_fences_list_replaced_recycled",
        // Stamps its history with the ghost clock (checker/src/kernel/clock.rs): the
        // readings are observations, and must be a function of the graph (126 executions).
        "publish_rcu_assign_pointer",
    ] {
        assert_graphs_agree("dma_fence_rcu", name);
    }
}

/// The graph check's own calibrations, on litmus scenarios (well under a second together):
/// `cmpxchg-fail-ordered-2`, flagged (30 of 114 executions) while the graph key recorded a
/// failed `cmpxchg` reading store n like a successful one making store n
/// (vendor/loom/src/rt/kmodel_graph.rs `FAILED_RMW`); and the ghost clock's probes, whose
/// readings are observations (`ghost_now clock = N`) and must be a function of the graph
/// (checker/src/kernel/clock.rs).
#[test]
fn graph_key_tells_failed_rmw_and_clock_readings_apart() {
    for name in [
        "cmpxchg-fail-ordered-2",
        "probe-ghost-clock-window",
        "probe-ghost-clock-window-exact",
    ] {
        assert_graphs_agree("litmus", name);
    }
}

/// The ghost-state rules' calibrations (docs/architecture.md, rules 2 and 3): `kfree`'s
/// `FREE_WHILE_LINKED`/`FREE_WHILE_REACHABLE` checks and the check at the release of a
/// field's lock read only ghost state that loom orders, so their observations must be a
/// function of the graph (15 executions and fewer each). And a lock-written field read
/// without the lock (`Guarded::read_lockless`, rule 1): which fence the unlocked walker of
/// `ghost+kfree-resv-table-replaced-rcu` reads from the table depends on the order of its
/// read and the slot's reuse, an order loom explores (10 executions).
#[test]
fn ghost_free_checks_are_functions_of_the_graph() {
    for name in [
        "ghost+kfree-linked",
        "ghost+kfree-reachable",
        "ghost+kfree-reachable-locked-cleared",
        "ghost+kfree-resv-table-replaced-rcu",
    ] {
        assert_graphs_agree("litmus", name);
    }
}

/// The unlocked ghost-list calibrations (vendor/loom/KMODEL-PATCH.md, "Ghost races by
/// default"): loom races kmodel's `touch` accesses (list links, lock-guarded fields) as DPOR
/// dependencies, so it explores both orders of the two CPUs' list accesses, and the graph key
/// records that order (per ghost location, the order of the writes and the write each read
/// follows; vendor/loom/src/rt/kmodel_graph.rs `ghost`). Before the key had it, both were
/// reported as graphs with two observations (the order loom explores, not one it hides).
///
/// And the calibration of the check itself: with the ghost order left out of the key, the
/// executions that differ only in it have one key and different observations, and the check
/// must report them. If it did not, it could not tell an order loom explores from one that
/// ghost state hides, and its "no graph with two observations" would mean nothing.
#[test]
fn graph_key_has_the_order_of_ghost_accesses() {
    for name in ["loom-ghost-race", "loom-sleep-ghost"] {
        assert_graphs_agree("litmus", name);
        let s = kmodel::registry::all()
            .into_iter()
            .find(|s| s.model == "litmus" && s.name == name)
            .expect("scenario");
        let (outcome, (executions, graphs, conflicts)) = check_graphs_keyed(s, false);
        assert!(outcome.as_expected(), "{name}: {}", outcome.verdict());
        assert!(
            conflicts > 0,
            "{name}: the key without the ghost order ({graphs} graphs in {executions} executions) \
             must be seen with two observations"
        );
    }
}
