//! # gpuva_split_merge
//!
//! A model of drm_gpuvm's split and merge of GPU VA mappings (drivers/gpu/drm/drm_gpuvm.c,
//! include/drm/drm_gpuvm.h, v6.8): `drm_gpuvm_sm_map()`, `drm_gpuvm_sm_unmap()` and
//! `drm_gpuvm_sm_map_ops_create()` with their split (prev/next remainders, GEM offsets kept)
//! and merge (`keep`) decisions, `drm_gpuva_insert/remove/find/find_first`, the VA tree as
//! node pointers with a ghost interval map, a driver's step callbacks, and the locking options
//! of the 2023 maple-tree debate. See the crate README for the kernel → model map and every
//! `MODEL:` simplification.
//!
//! - [`invariants`]: the model's invariants (constants only).
//! - [`drm_gpuvm`]: drivers/gpu/drm/drm_gpuvm.c and include/drm/drm_gpuvm.h.
//! - [`scenarios`]: the scenario table and the scenario bodies.

pub mod drm_gpuvm;
pub mod invariants;
pub mod scenarios;

pub use invariants::INVARIANTS;
pub use scenarios::SCENARIOS;

/// Every source file of this crate (the scenarios' fingerprint).
pub const SOURCES: &[&str] = &[
    include_str!("lib.rs"),
    include_str!("invariants.rs"),
    include_str!("drm_gpuvm.rs"),
    include_str!("scenarios/mod.rs"),
    include_str!("scenarios/driver.rs"),
    include_str!("scenarios/upstream.rs"),
    include_str!("scenarios/maple_tree.rs"),
    include_str!("scenarios/lockless.rs"),
];
