//! # dma_fence_rcu
//!
//! A model of `struct dma_fence` under RCU (drivers/dma-buf/dma-fence.c and
//! include/linux/dma-fence.h, v6.8), with fences allocated from a `SLAB_TYPESAFE_BY_RCU`
//! cache (as i915 requests are) or freed with `kfree_rcu()`, and of `struct dma_resv` in both
//! eras: the pre-v5.19 seqcount layout (v5.10, [`resv_v510`]) and the v5.19+ fence list with
//! its unlocked iterator (v6.8, [`resv`]). See the crate README for the
//! kernel → model map, every `MODEL:` simplification, and the scenario table; and
//! docs/dma-fence-rcu.md for what a driver may do with a fence pointer under
//! `rcu_read_lock()`.

pub mod fence;
pub mod resv;
pub mod resv_scenarios;
pub mod resv_v510;
pub mod scenarios;

pub use scenarios::{INVARIANTS, SCENARIOS};
