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
//!
//! - [`invariants`]: the protocol's invariants (constants only); [`ghost`]: the ghost checks
//!   of them.
//! - [`mm_types`]: the types, `struct mm_struct` and the notifier structures it reaches
//!   (include/linux/mm_types.h, include/linux/mmu_notifier.h), with the ghost state per mm.
//! - [`sched_mm`]: `mmgrab()`, `mmdrop()`, `mmget_not_zero()` (include/linux/sched/mm.h,
//!   kernel/fork.c).
//! - [`mmu_notifier`]: the functions of mm/mmu_notifier.c and include/linux/mmu_notifier.h.
//! - [`mmap`]: `mm_alloc()`, `mmput()`, munmap, exit_mmap, migration, the OOM reaper
//!   (mm/mmap.c, mm/memory.c, kernel/fork.c, mm/migrate_device.c, mm/oom_kill.c).
//! - [`hmm`]: `hmm_range_fault()` (mm/hmm.c) and the mirroring driver of
//!   Documentation/mm/hmm.rst.
//! - [`xe_vm`]: the GPU userptr exec pattern of Documentation/gpu/drm-vm-bind-locking.rst as
//!   Xe implements it (drivers/gpu/drm/xe/xe_vm.c, xe_exec.c).
//! - [`dma_resv`]: the minimal dma_fence and dma_resv it needs (drivers/dma-buf).
//! - [`scenarios`]: the scenario table and the scenario bodies.

pub mod dma_resv;
pub mod ghost;
pub mod hmm;
pub mod invariants;
pub mod mm_types;
pub mod mmap;
pub mod mmu_notifier;
pub mod scale;
pub mod scenarios;
pub mod sched_mm;
pub mod xe_vm;

pub use invariants::INVARIANTS;
pub use scenarios::SCENARIOS;

/// Every source file of this crate (the scenarios' fingerprint).
pub const SOURCES: &[&str] = &[
    include_str!("lib.rs"),
    include_str!("invariants.rs"),
    include_str!("mm_types.rs"),
    include_str!("ghost.rs"),
    include_str!("sched_mm.rs"),
    include_str!("dma_resv.rs"),
    include_str!("hmm.rs"),
    include_str!("mmap.rs"),
    include_str!("mmu_notifier.rs"),
    include_str!("xe_vm.rs"),
    include_str!("scenarios/mod.rs"),
    include_str!("scenarios/hmm.rs"),
    include_str!("scenarios/userptr.rs"),
];
