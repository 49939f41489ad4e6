//! Every scenario under shuttle's random and PCT schedulers (plain `cargo test`).
#![cfg(not(loom))]

use checker::explore::{assert_as_expected, Explorer};
use vm_bo_lifecycle::SCENARIOS;

fn trace_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kmodel-traces")
}

#[test]
fn random() {
    for s in SCENARIOS {
        assert_as_expected(
            s,
            Explorer::for_scenario("random", s, None, 0).unwrap(),
            &trace_dir(),
        );
    }
}

#[test]
fn pct() {
    for s in SCENARIOS {
        assert_as_expected(
            s,
            Explorer::for_scenario("pct", s, None, 0).unwrap(),
            &trace_dir(),
        );
    }
}
