//! # dma_fence_rcu
//!
//! A model of `struct dma_fence` under RCU (drivers/dma-buf/dma-fence.c and
//! include/linux/dma-fence.h, v6.8), with fences allocated from a `SLAB_TYPESAFE_BY_RCU`
//! cache (as i915 requests are) or freed with `kfree_rcu()`, and of the unlocked readers of
//! `struct dma_resv` (the pre-v5.19 seqcount era, v5.10). See the crate README for the
//! kernel → model map, every `MODEL:` simplification, and the scenario table; and
//! docs/dma-fence-rcu.md for what a driver may do with a fence pointer under
//! `rcu_read_lock()`.

pub mod fence;
pub mod resv;
pub mod resv_scenarios;
pub mod resv_v510;
pub mod scenarios;

pub use scenarios::{INVARIANTS, SCENARIOS};
