//! Every scenario under loom (`RUSTFLAGS="--cfg loom" cargo test --release`).
#![cfg(loom)]

use checker::explore::{assert_as_expected, Explorer};
use vm_bo_lifecycle::scenarios::*;

fn trace_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kmodel-traces")
}

fn loom(s: &'static checker::scenario::Scenario) {
    assert_as_expected(
        s,
        Explorer::for_scenario("loom", s, None, 0).unwrap(),
        &trace_dir(),
    );
}

#[test]
fn prepare_objects_unserialized() {
    loom(&PREPARE_OBJECTS_UNSERIALIZED);
}

#[test]
fn prepare_objects_serialized() {
    loom(&PREPARE_OBJECTS_SERIALIZED);
}
