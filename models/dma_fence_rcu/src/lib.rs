//! # dma_fence_rcu
//!
//! A model of `struct dma_fence` under RCU (drivers/dma-buf/dma-fence.c and
//! include/linux/dma-fence.h, v6.8), with fences allocated from a `SLAB_TYPESAFE_BY_RCU`
//! cache (as i915 requests are) or freed with `kfree_rcu()`, and of `struct dma_resv` in both
//! eras: the pre-v5.19 seqcount layout (v5.10, [`dma_resv_v5_10`]) and the v5.19+ fence list
//! with its unlocked iterator (v6.8, [`dma_resv`]). See the crate README for the
//! kernel → model map, every `MODEL:` simplification, and the scenario table; and
//! docs/dma-fence-rcu.md for what a driver may do with a fence pointer under
//! `rcu_read_lock()`.
//!
//! - [`invariants`]: the model's invariants (constants only).
//! - [`dma_fence`]: drivers/dma-buf/dma-fence.c and include/linux/dma-fence.h.
//! - [`dma_fence_array`]: drivers/dma-buf/dma-fence-array.c and the 2026 proposals.
//! - [`dma_resv`], [`dma_resv_v5_10`]: drivers/dma-buf/dma-resv.c, v6.8 and v5.10.
//! - [`drm_syncobj`]: drivers/gpu/drm/drm_syncobj.c's fence pointer, v4.13 and v6.8.
//! - [`sched_main`]: the fence-timestamp read of drivers/gpu/drm/scheduler/sched_main.c.
//! - [`scenarios`]: the scenario table and the scenario bodies.

pub mod dma_fence;
pub mod dma_fence_array;
pub mod dma_resv;
pub mod dma_resv_v5_10;
pub mod drm_syncobj;
pub mod invariants;
pub mod scenarios;
pub mod sched_main;

pub use invariants::INVARIANTS;
pub use scenarios::SCENARIOS;

/// Every source file of this crate (the scenarios' fingerprint).
pub const SOURCES: &[&str] = &[
    include_str!("lib.rs"),
    include_str!("invariants.rs"),
    include_str!("dma_fence.rs"),
    include_str!("dma_fence_array.rs"),
    include_str!("dma_resv.rs"),
    include_str!("dma_resv_v5_10.rs"),
    include_str!("drm_syncobj.rs"),
    include_str!("sched_main.rs"),
    include_str!("scenarios/mod.rs"),
    include_str!("scenarios/dma_resv.rs"),
    include_str!("scenarios/dma_resv_v5_10.rs"),
    include_str!("scenarios/syncobj_sched.rs"),
    include_str!("scenarios/fence_array.rs"),
];
