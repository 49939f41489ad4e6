//! # vm_bo_lifecycle
//!
//! A model of the drm_gpuvm vm_bo lifecycle (drivers/gpu/drm/drm_gpuvm.c, v6.8): vm_bo
//! create/find/obtain/get/put/destroy under the GEM gpuva lock, the VM's extobj and evict
//! lists with their spinlocks, and the lockless list iterator with its local list. See the
//! crate README for the kernel → model map and every `MODEL:` simplification.

pub mod gpuvm;
pub mod scenarios;

pub use scenarios::{INVARIANTS, SCENARIOS};
