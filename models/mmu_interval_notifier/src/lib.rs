//! # mmu_interval_notifier
//!
//! A model of mmu interval notifiers as of v6.8: the core of mm/mmu_notifier.c and
//! include/linux/mmu_notifier.h (the `invalidate_seq` collision-retry protocol, concurrent
//! invalidations, deferred insert/remove, the non-blockable path, release at exit), the CPU
//! side that changes page-table entries between `invalidate_range_start` and `_end`
//! (munmap, exit_mmap), and the driver side of Documentation/mm/hmm.rst (user_lock, device
//! page table, invalidate callback, fault path with `hmm_range_fault()`), and the GPU
//! userptr exec pattern of Documentation/gpu/drm-vm-bind-locking.rst (the VM's
//! `userptr_notifier_lock`, the job fence published before the read lock is dropped, the
//! invalidate callback waiting for the VM's fences). See the crate README for the kernel →
//! model map and every `MODEL:` simplification.

pub mod dma_resv;
pub mod driver;
pub mod invariants;
pub mod mm;
pub mod mmu_notifier;
pub mod scale;
pub mod scenarios;
pub mod userptr;

pub use invariants::INVARIANTS;
pub use scenarios::SCENARIOS;
