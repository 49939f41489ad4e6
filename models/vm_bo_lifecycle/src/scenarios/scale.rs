//! Scaling configurations for the loom benchmark (benches/loom_scale.rs); not in SCENARIOS.

use checker::scenario::{Expected, Scenario};

use super::prepare_objects::prepare_objects_race_n;
use crate::drm_gpuvm::*;

fn prepare_objects_scale_body<const EXECS: usize, const GEMS: usize>() {
    prepare_objects_race_n(ListLocking::Spinlock, EXECS, true, GEMS)
}

/// `prepare_objects_serialized` with `EXECS` exec paths (under the VM's resv) plus the unmap
/// path, and `GEMS` external objects: the upstream default mode, expected verified.
pub fn prepare_objects_scale<const EXECS: usize, const GEMS: usize>() -> Scenario {
    let name: &'static str =
        Box::leak(format!("prepare_objects_scale_{EXECS}x{GEMS}").into_boxed_str());
    let cpus: &'static [&'static str] = Box::leak(
        std::iter::repeat_n("exec", EXECS)
            .chain(["unmap"])
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    Scenario::new(
        env!("CARGO_PKG_NAME"),
        name,
        "prepare_objects_serialized scaled: EXECS exec paths under the VM's resv and one final put, GEMS extobjs",
        cpus,
        Expected::Unreachable,
        crate::SOURCES,
        prepare_objects_scale_body::<EXECS, GEMS>,
    )
}
