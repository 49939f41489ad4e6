//! Explorer calibration: loom runs each visible schedule once (vendor/loom/KMODEL-PATCH.md,
//! "Invisible steps run first").
//!
//! Two CPUs resume without a visible operation: after `cpu_relax()` (loom's `yield_now`)
//! and, for the main thread, after each `join` (a park). Unpatched, loom 0.7.2 runs 60
//! executions here for 36 distinct visible schedules and 4 distinct execution graphs; patched,
//! 36 executions, the same 4 graphs (both counted with `LOOM_KMODEL_DISTINCT=1`). The test
//! below pins the count: it fails (60) without the patch.

use checker::invariant::Invariant;
use checker::kernel::{cpu_relax, kfree, kzalloc, AtomicT, READ_ONCE, WRITE_ONCE};
use checker::scenario::{check, join, spawn_cpu, Expected, Scenario};

/// What the scenario checks (true on every execution: `join` orders the CPUs' stores before
/// the main thread's reads).
pub const JOIN_SEES_STORES: Invariant = Invariant::new(
    "JOIN_SEES_STORES",
    "after joining both CPUs, the main thread reads each one's store (x == 1 and y == 1)",
);

struct Vars {
    x: AtomicT,
    y: AtomicT,
}

/// P0 and P1 each relax once, store to their own variable and read the other's.
fn loom_pruning() {
    let v = kzalloc("vars", |_, n| Vars {
        x: AtomicT::new(n, "x", 0),
        y: AtomicT::new(n, "y", 0),
    });
    let p0 = {
        let v = v.clone();
        spawn_cpu(move || {
            cpu_relax(); // cpu_relax();
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
            let _r0 = READ_ONCE(&v.y); // r0 = READ_ONCE(*y);
        })
    };
    let p1 = {
        let v = v.clone();
        spawn_cpu(move || {
            cpu_relax(); // cpu_relax();
            WRITE_ONCE(&v.y, 1); // WRITE_ONCE(*y, 1);
            let _r0 = READ_ONCE(&v.x); // r0 = READ_ONCE(*x);
        })
    };
    join(p0);
    join(p1);
    let (x, y) = (READ_ONCE(&v.x), READ_ONCE(&v.y));
    check(x == 1 && y == 1, &JOIN_SEES_STORES, || {
        format!("after both joins the main thread read x={x}, y={y}")
    });
    kfree(&v);
}

/// The loom pruning calibration scenario.
pub const LOOM_PRUNING: Scenario = Scenario::new(
    "litmus",
    "loom-pruning",
    "explorer calibration: loom runs each visible schedule once (spawn, cpu_relax and join resume without a visible operation)",
    &["P0", "P1"],
    Expected::Unreachable,
    &[include_str!("loom_pruning.rs")],
    loom_pruning,
);

#[cfg(all(test, loom))]
mod tests {
    use checker::explore::{run, Explorer};

    /// Executions = distinct visible schedules, measured with `LOOM_KMODEL_DISTINCT=1`
    /// (unpatched loom: see KMODEL-PATCH.md for its count).
    #[test]
    fn loom_runs_each_visible_schedule_once() {
        let o = run(
            &super::LOOM_PRUNING,
            Explorer::Loom {
                preemption_bound: None,
            },
        );
        assert!(o.found.is_none() && o.complete, "{}", o.verdict());
        assert_eq!(o.executions, DISTINCT_VISIBLE_SCHEDULES);
    }

    const DISTINCT_VISIBLE_SCHEDULES: u64 = 36;
}
