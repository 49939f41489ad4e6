//! Scenarios of the mmu interval notifier model: the one table. Each row names its body (in
//! the files beside this one), its CPUs, its expected result and what it races; the harness
//! judges it (see `checker::explore`). loom explores every scenario to completion (no
//! preemption bound). shuttle samples it: 2 000 random and 2 000 PCT runs for a scenario
//! that expects nothing, since loom has already explored it to completion ([`SAMPLE_RUNS`]).

use checker::scenario;
use checker::scenario::{Bounds, Expected, Scenario};

use crate::invariants::*;

mod hmm;
pub(crate) mod userptr;

use hmm::*;
use userptr::*;

/// shuttle's runs for a scenario that expects nothing (the default 10 000 would cost about
/// 14 s per scenario and explorer in a debug `cargo test`).
pub const SAMPLE_RUNS: usize = 2_000;

/// shuttle's runs for the driver variants whose race needs the whole munmap between the
/// driver's `hmm_range_fault()` and its user_lock: the random scheduler needs about 10 000
/// of them (11 254 with seed 0; PCT finds it within 50).
pub const DRIVER_VARIANT_RUNS: usize = 60_000;

/// The bounds of a scenario of this crate: [`SAMPLE_RUNS`] shuttle runs.
const SAMPLED: Bounds = Bounds {
    shuttle_iterations: SAMPLE_RUNS,
    ..Bounds::DEFAULT
};

/// The bounds of a driver variant: [`DRIVER_VARIANT_RUNS`] shuttle runs.
const DRIVER_VARIANT: Bounds = Bounds {
    shuttle_iterations: DRIVER_VARIANT_RUNS,
    ..Bounds::DEFAULT
};

/// Every scenario of this crate.
#[rustfmt::skip]
pub const SCENARIOS: &[Scenario] = &[
    scenario!(fault_vs_munmap, ["driver", "munmap"], unreachable,
        "upstream: munmap of page 0 races with the driver's fault path (read_begin, hmm_range_fault, user_lock + read_retry, program) and its teardown (zap, remove)")
        .bounds(SAMPLED)
        .witnesses(&[READ_RETRY_COLLIDES, READ_BEGIN_WAITS, DEVICE_PTE_ZAPPED]),
    scenario!(fault_vs_munmap_skip_read_retry, ["driver", "munmap"], reachable(NO_STALE_DEVICE_PTE),
        "a driver that programs its device PTE without mmu_interval_read_retry() under its user_lock")
        .bounds(DRIVER_VARIANT),
    scenario!(fault_vs_munmap_no_set_seq, ["driver", "munmap"], reachable(NO_STALE_DEVICE_PTE),
        "a driver whose invalidate callback does not call mmu_interval_set_seq()")
        .bounds(DRIVER_VARIANT),
    scenario!(fault_vs_migrate, ["driver", "migrate"], reachable(NO_STALE_DEVICE_PTE),
        "upstream: migration of page 0 to a new page (invalidate_range_start(MMU_NOTIFY_MIGRATE), PTE replaced, end, old page freed) races with the driver's fault path and its teardown; as in nonblock_vs_fault, read_begin's lockless wait condition sees the end without ordering the PTE read after it (weak memory)")
        .bounds(SAMPLED)
        .witnesses(&[READ_RETRY_COLLIDES, READ_BEGIN_WAITS, DEVICE_PTE_ZAPPED])
        .expected_sc(Expected::Unreachable),
    scenario!(fault_vs_migrate_locked_wait, ["driver", "migrate"], unreachable,
        "the same with the proposed read_begin whose wait condition reads invalidate_seq under subscriptions->lock")
        .bounds(SAMPLED)
        .witnesses(&[READ_RETRY_COLLIDES, READ_BEGIN_WAITS, DEVICE_PTE_ZAPPED]),
    scenario!(insert_vs_munmap_full_exclusion, ["munmap", "driver"], unreachable,
        "upstream: a second notifier of page 0 is inserted, faulted and removed while munmap invalidates page 0 (idle, or deferred in a full exclusion)")
        .bounds(SAMPLED)
        .witnesses(&[INSERT_DEFERRED]),
    scenario!(insert_vs_munmap_partial_exclusion, ["munmap", "driver"], unreachable,
        "upstream: a notifier of page 1 is inserted, faulted and removed while munmap invalidates page 1, which no notifier covered (idle, or in a partial exclusion)")
        .bounds(SAMPLED)
        .witnesses(&[INSERT_IN_PARTIAL_EXCLUSION]),
    scenario!(insert_remove_vs_munmap, ["munmap", "driver"], unreachable,
        "upstream: a second notifier of page 0 is inserted and at once removed while munmap invalidates page 0 (remove of a pending deferred insert)")
        .bounds(SAMPLED)
        .witnesses(&[REMOVE_CANCELS_DEFERRED_INSERT]),
    scenario!(nonblock_vs_fault, ["oom_reaper", "driver"], reachable(NO_STALE_DEVICE_PTE),
        "upstream: the OOM reaper's non-blockable invalidation of page 0 races with the driver's fault path (both mmap_lock readers); read_begin's lockless wait condition sees the end without ordering the PTE read after it (weak memory)")
        .bounds(SAMPLED)
        .witnesses(&[NONBLOCK_TRYLOCK_FAILS, READ_RETRY_COLLIDES, DEVICE_PTE_ZAPPED])
        .expected_sc(Expected::Unreachable),
    scenario!(nonblock_vs_fault_locked_wait, ["oom_reaper", "driver"], unreachable,
        "the same with a proposed read_begin whose wait condition reads invalidate_seq under subscriptions->lock (mmu_interval_seq_released(), as remove does); a failed trylock makes the reaper skip the page (-EAGAIN, no end)")
        .bounds(SAMPLED)
        .witnesses(&[NONBLOCK_TRYLOCK_FAILS, READ_RETRY_COLLIDES, DEVICE_PTE_ZAPPED]),
    scenario!(nonblock_end_after_eagain, ["oom_reaper", "driver"], reachable(START_END_PAIRED),
        "a non-blocking caller that calls invalidate_range_end() after -EAGAIN (with the locked-wait read_begin)")
        .bounds(SAMPLED),
    scenario!(exit_vs_fault, ["exit", "driver"], unreachable,
        "upstream: the last mmput() (exit_mmap: mmu_notifier_release, then unmap) races with the driver's fault path and remove")
        .bounds(SAMPLED)
        .witnesses(&[FAULT_MMGET_FAILS, FAULT_MMPUT_RUNS_EXIT_MMAP, DEVICE_PTE_ZAPPED]),
    scenario!(exit_vs_fault_v1_double_release, ["exit", "driver"], reachable(INVALIDATE_ONCE),
        "v1 of the 2019 series: __mmu_notifier_release() runs mn_itree_release() twice (C2)")
        .bounds(SAMPLED),
    scenario!(userptr_exec_vs_munmap, ["exec", "munmap"], unreachable,
        "upstream (drm-vm-bind-locking.rst): a GPU exec on a userptr gpu_vma of page 0 (read_begin, lock the resv, down_read(notifier_lock) + read_retry, submit, publish the fence, up_read) and its job race with munmap of page 0 (callback: down_write, set_seq, up_write, wait for the VM's fences)")
        .bounds(SAMPLED)
        .witnesses(&[READ_RETRY_COLLIDES, USERPTR_WAIT_FINDS_JOB]),
    scenario!(userptr_exec_vs_munmap_publish_after_unlock, ["exec", "munmap"], reachable(USERPTR_JOB_ACCESS),
        "an exec that adds the job's fence to the VM's resv after up_read(notifier_lock): the callback's wait can miss the job")
        .bounds(SAMPLED),
    scenario!(userptr_exec_vs_munmap_skip_read_retry, ["exec", "munmap"], reachable(USERPTR_JOB_ACCESS),
        "an exec that submits without mmu_interval_read_retry() under the notifier lock: a job built with pages the CPU already invalidated")
        .bounds(SAMPLED),
    scenario!(userptr_exec_vs_munmap_no_fence_wait, ["exec", "munmap"], reachable(USERPTR_JOB_ACCESS),
        "an invalidate callback that returns without dma_resv_wait_timeout() on the VM's resv: the job still runs on the unmapped page")
        .bounds(SAMPLED),
    scenario!(userptr_exec_vs_munmap_no_set_seq, ["exec", "munmap"], reachable(USERPTR_JOB_ACCESS),
        "an invalidate callback that forgets mmu_interval_set_seq(): the exec's read_retry under the notifier lock sees no collision and submits a job on the unmapped page")
        .bounds(SAMPLED),
    scenario!(userptr_exec_vs_migrate, ["exec", "migrate"], reachable(USERPTR_JOB_ACCESS),
        "upstream: the same exec and job against a migration of page 0 (MMU_NOTIFY_MIGRATE; the page is copied, the PTE replaced, the old page freed); the exec's retry goes through read_begin's lockless wait condition, which sees the end without ordering the PTE read after it (weak memory)")
        .bounds(SAMPLED)
        .witnesses(&[READ_RETRY_COLLIDES, READ_BEGIN_WAITS, USERPTR_WAIT_FINDS_JOB])
        .expected_sc(Expected::Unreachable),
    scenario!(userptr_exec_vs_migrate_locked_wait, ["exec", "migrate"], unreachable,
        "the same with the proposed read_begin whose wait condition reads invalidate_seq under subscriptions->lock")
        .bounds(SAMPLED)
        .witnesses(&[READ_RETRY_COLLIDES, READ_BEGIN_WAITS, USERPTR_WAIT_FINDS_JOB]),
];
