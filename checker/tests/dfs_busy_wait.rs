//! DFS and busy-waits: a CPU spinning on a flag that another runnable CPU has not set yet can
//! run its loop again at every `cpu_relax()`, so DFS cannot exhaust the scenario. Before
//! `rt::shuttle::SpinBound`, shuttle's DFS, which runs the first runnable CPU first, followed
//! the spinning CPU (the first spawned) without end in its first execution: here it stopped
//! at once with `counterexample: LIVELOCK`, a livelock no kernel has (the setter is runnable),
//! and on `dma_fence_rcu/cleanup_job_dma_fence_timestamp` that execution never ended (1.6 GB
//! after 10 minutes). Now DFS leaves out a CPU's run right after its `cpu_relax()` beyond
//! `DFS_RERUNS_AFTER_YIELD` runs in a row while another CPU could run, and its verdict says
//! the exploration is bounded, never verified. Cost: a few thousand executions of two CPUs.

#![cfg(not(loom))]

use checker::explore::{run, Explorer, DFS_RERUNS_AFTER_YIELD};
use checker::invariant::Witness;
use checker::kernel::{cpu_relax, kfree, kzalloc, AtomicT, Obj, READ_ONCE, WRITE_ONCE};
use checker::scenario::{join, spawn_cpu, witness_if, Expected, Scenario};

const SRC: &[&str] = &[include_str!("dfs_busy_wait.rs")];

const WAITED: Witness = Witness::new(
    "WAITED",
    "CPU0 read flag == 0 at least once before CPU1's WRITE_ONCE(flag, 1)",
);

struct Vars {
    flag: AtomicT,
}

fn vars() -> Obj<Vars> {
    kzalloc("vars", |_, n| Vars {
        flag: AtomicT::new(n, "flag", 0),
    })
}

/// CPU0 (spawned first, so DFS's first choice) spins until CPU1 sets the flag.
fn spin_on_flag() {
    let v = vars();
    let waiter = {
        let v = v.clone();
        spawn_cpu(move || {
            let mut spun = false;
            while READ_ONCE(&v.flag) == 0 {
                // while (!READ_ONCE(flag))
                spun = true;
                cpu_relax(); // cpu_relax();
            }
            witness_if(spun, &WAITED);
        })
    };
    let setter = {
        let v = v.clone();
        spawn_cpu(move || WRITE_ONCE(&v.flag, 1)) // WRITE_ONCE(flag, 1);
    };
    join(waiter);
    join(setter);
    kfree(&v);
}

const SPIN: Scenario = Scenario::new(
    "test",
    "spin_on_flag",
    "",
    &["waiter", "setter"],
    Expected::Unreachable,
    SRC,
    spin_on_flag,
)
.witnesses(&[WAITED]);

#[test]
fn dfs_bounds_a_busy_wait_and_says_so() {
    let o = run(
        &SPIN,
        Explorer::Dfs {
            max_iterations: None,
        },
    );
    assert!(o.found.is_none(), "{}", o.verdict());
    assert!(o.spin_pruned > 0, "no choice left out: {}", o.verdict());
    assert!(!o.complete, "a pruned DFS is not exhaustive");
    assert!(
        o.verdict().contains("bounded: a busy-wait")
            && o.verdict()
                .contains(&format!("at most {DFS_RERUNS_AFTER_YIELD} times")),
        "{}",
        o.verdict()
    );
    assert!(o.as_expected(), "{:?}", o.mismatch());
}

/// dpor explores the same scenario completely (its spin loops are bounded by the repeat
/// check, docs/architecture.md): it is the exhaustive verdict here.
#[test]
fn dpor_verifies_the_busy_wait() {
    let o = run(
        &SPIN,
        Explorer::Dpor {
            max_executions: None,
        },
    );
    assert!(o.complete, "{}", o.verdict());
    assert_eq!(o.verdict(), "verified under SC (optimal DPOR)");
    assert!(o.as_expected(), "{:?}", o.mismatch());
}
