//! # vm_bo_lifecycle
//!
//! A model of the drm_gpuvm vm_bo lifecycle (drivers/gpu/drm/drm_gpuvm.c, v6.8): vm_bo
//! create/find/obtain/get/put/destroy under the GEM gpuva lock, the VM's extobj and evict
//! lists with their spinlocks, and the lockless list iterator with its local list. See the
//! crate README for the kernel → model map and every `MODEL:` simplification.
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
    include_str!("scenarios/immediate.rs"),
    include_str!("scenarios/obtain.rs"),
    include_str!("scenarios/prepare_objects.rs"),
    include_str!("scenarios/resv_lock_dance.rs"),
    include_str!("scenarios/scale.rs"),
    include_str!("scenarios/validate.rs"),
];
