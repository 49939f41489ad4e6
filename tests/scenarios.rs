//! Every scenario of every model, judged against its expected result: under shuttle's random
//! and PCT schedulers in plain `cargo test`, under loom in the loom suite
//! (`RUSTFLAGS="--cfg loom" cargo test --release`). Found traces go under target/, never
//! into the source tree.

use checker::explore::{assert_as_expected, Explorer};
use checker::scenario::Scenario;

fn trace_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kmodel-traces")
}

/// Run `kind` on every scenario, `available_parallelism` at a time; fail with every mismatch.
fn judge_all(kind: &str) {
    let scenarios: Vec<&'static Scenario> = kmodel::registry::all();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(s) = scenarios.get(i) else { break };
                let e = Explorer::for_scenario(kind, s, None, 0).expect("explorer");
                let r = std::panic::catch_unwind(|| assert_as_expected(s, e, &trace_dir()));
                if let Err(p) = r {
                    let msg = p.downcast_ref::<String>().cloned().unwrap_or_default();
                    failures.lock().unwrap().push(msg);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "verdicts not as expected:\n{}",
        failures.join("\n")
    );
}

#[cfg(not(loom))]
#[test]
fn shuttle_random() {
    judge_all("random");
}

#[cfg(not(loom))]
#[test]
fn shuttle_pct() {
    judge_all("pct");
}

#[cfg(loom)]
#[test]
fn loom() {
    judge_all("loom");
}

/// Issue 10, item 6: every scenario of the vm_bo_lifecycle and dma_fence_rcu models expected
/// verified declares at least one witness, so an exhaustive run that never builds the state
/// it is about is VACUOUS, not verified (whether each witness is reached is judged above).
#[test]
fn verified_scenarios_declare_witnesses() {
    let missing: Vec<String> = kmodel::registry::all()
        .into_iter()
        .filter(|s| ["vm_bo_lifecycle", "dma_fence_rcu"].contains(&s.model))
        .filter(|s| matches!(s.expected, checker::scenario::Expected::Unreachable))
        .filter(|s| s.witnesses.is_empty())
        .map(|s| format!("{}/{}", s.model, s.name))
        .collect();
    assert!(
        missing.is_empty(),
        "verified scenarios without a witness: {}",
        missing.join(", ")
    );
}
