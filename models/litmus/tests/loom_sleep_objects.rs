//! loom's object sleep sets (the default) with kmodel's ghost accesses
//! (vendor/loom/KMODEL-PATCH.md, "Object sleep sets with kmodel's ghost accesses").
#![cfg(loom)]

use checker::explore::{run, Explorer};

/// `litmus/loom-sleep-ghost`: with the object sleep sets, its witness is reached only because
/// loom orders kmodel's ghost accesses (10 executions, 5 kmodel traces); with
/// `LOOM_KMODEL_NO_GHOST=1` as well, VACUOUS in 6 executions (this test fails).
#[test]
fn object_sleep_sets_order_ghost_accesses() {
    let s = litmus::SCENARIOS
        .iter()
        .find(|s| s.name == "loom-sleep-ghost")
        .expect("the loom-sleep-ghost scenario");
    let o = run(
        s,
        Explorer::Loom {
            preemption_bound: None,
        },
    );
    assert!(o.found.is_none() && o.complete, "{}", o.verdict());
    assert!(o.witnesses_missed().is_empty(), "{}", o.verdict());
    assert_eq!(o.executions, 10, "{}", o.verdict());
}
