//! Scenarios of the mmu interval notifier model. Each states its expected result; the harness
//! judges it (see `checker::explore`). When a scenario starts, page 0 maps pfn 1 and page 1
//! maps pfn 2, and one driver mirror (`svm#1`) has its notifier (`isub#1`, page 0) in the
//! interval tree, inserted while idle.

use checker::kernel::{kfree, Obj};
use checker::scenario::{join, spawn_cpu, Bounds, Expected, Scenario};

use crate::driver::{
    driver_populate_range, driver_range_fini, driver_svm_alloc, DriverNotifierOps, DriverRevision,
    DriverSvm,
};
use crate::invariants::{
    check_no_stale_at_end, check_quiescent, INVALIDATE_ONCE, NO_STALE_DEVICE_PTE, START_END_PAIRED,
    USERPTR_JOB_ACCESS,
};
use crate::mm::{
    __oom_reap_task_mm, migrate_vma, mm_alloc, mmput, munmap, MmStruct, ReaperRevision,
    MIGRATE_DST_PFN,
};
use crate::mmu_notifier::{
    mmu_interval_notifier_alloc, mmu_interval_notifier_insert, mmu_interval_notifier_remove,
    MmuIntervalNotifier, ReadBeginRevision, ReleaseRevision,
};
use crate::userptr::{
    gpu_job_run, gpu_vm_create, gpu_vm_exec, userptr_vma_create, userptr_vma_pin_pages,
    UserptrRevision,
};

/// A driver's mirror of pages `[start, last]` and its notifier (not inserted yet).
struct Mirror {
    svm: Obj<DriverSvm>,
    isub: Obj<MmuIntervalNotifier>,
}

fn mirror(mm: &Obj<MmStruct>, rev: DriverRevision, start: usize, last: usize) -> Mirror {
    let svm = driver_svm_alloc(mm, rev);
    let isub = mmu_interval_notifier_alloc(mm, start, last, DriverNotifierOps::new(&svm));
    Mirror { svm, isub }
}

/// The driver's teardown of a mirror whose notifier was removed (driver_range_fini): free both.
fn free_mirror(m: &Mirror) {
    kfree(&m.isub);
    kfree(&m.svm);
}

/// The mm (upstream `mmu_interval_read_begin()`) and the inserted mirror `svm#1`/`isub#1` of
/// page 0.
fn setup(rev: DriverRevision) -> (Obj<MmStruct>, Mirror) {
    setup_with(rev, ReadBeginRevision::Upstream)
}

fn setup_with(rev: DriverRevision, read_begin: ReadBeginRevision) -> (Obj<MmStruct>, Mirror) {
    let mm = mm_alloc(read_begin);
    let a = mirror(&mm, rev, 0, 0);
    mmu_interval_notifier_insert(&a.isub);
    (mm, a)
}

/// After the CPUs: final checks, then the driver tears down what is left and the last
/// `mmput()` tears the mm down.
fn teardown(mm: Obj<MmStruct>, live: &[&Mirror], removed: &[&Mirror]) {
    check_quiescent(&mm, &live.iter().map(|m| &m.isub).collect::<Vec<_>>());
    for m in live {
        driver_range_fini(&m.svm, &m.isub);
    }
    mmput(&mm, ReleaseRevision::Upstream);
    for m in live.iter().chain(removed) {
        free_mirror(m);
    }
}

/// CPU1 munmaps page 0 while CPU0, the driver, faults page 0 into its device page table
/// and then tears its mirror down (`driver_range_fini`).
fn fault_vs_munmap(rev: DriverRevision) {
    let (mm, a) = setup(rev);
    let (svm, isub) = (a.svm.clone(), a.isub.clone());
    let drv = spawn_cpu(move || {
        driver_populate_range(&svm, &isub, 0, ReleaseRevision::Upstream);
        driver_range_fini(&svm, &isub);
    });
    let m = mm.clone();
    let cpu = spawn_cpu(move || munmap(&m, 0));
    join(drv);
    join(cpu);
    teardown(mm, &[], &[&a]);
}

fn fault_vs_munmap_upstream() {
    fault_vs_munmap(DriverRevision::Upstream)
}

fn fault_vs_munmap_skip_read_retry() {
    fault_vs_munmap(DriverRevision::SkipReadRetry)
}

fn fault_vs_munmap_no_set_seq() {
    fault_vs_munmap(DriverRevision::NoSetSeq)
}

/// CPU1 migrates page 0 (pfn 1) to pfn 3 while CPU0, the driver, faults page 0 into its
/// device page table and then tears its mirror down.
fn fault_vs_migrate(read_begin: ReadBeginRevision) {
    let (mm, a) = setup_with(DriverRevision::Upstream, read_begin);
    let (svm, isub) = (a.svm.clone(), a.isub.clone());
    let drv = spawn_cpu(move || {
        driver_populate_range(&svm, &isub, 0, ReleaseRevision::Upstream);
        driver_range_fini(&svm, &isub);
    });
    let m = mm.clone();
    let cpu = spawn_cpu(move || migrate_vma(&m, 0, MIGRATE_DST_PFN));
    join(drv);
    join(cpu);
    teardown(mm, &[], &[&a]);
}

fn fault_vs_migrate_upstream() {
    fault_vs_migrate(ReadBeginRevision::Upstream)
}

fn fault_vs_migrate_locked_wait() {
    fault_vs_migrate(ReadBeginRevision::LockedWaitCondition)
}

/// CPU0 munmaps `unmap_page` while CPU1, a second driver mirror of `page`, inserts its
/// notifier, faults the page in, and tears it down. With `unmap_page == page` (0),
/// the insert can land in a full exclusion (deferred); with page 1, unmapped while no
/// notifier covers it, in a partial exclusion (`invalidate_seq |= 1`).
fn insert_vs_munmap(page: usize) {
    let (mm, a) = setup(DriverRevision::Upstream);
    let b = mirror(&mm, DriverRevision::Upstream, page, page);
    let m = mm.clone();
    let cpu = spawn_cpu(move || munmap(&m, page));
    let (svm, isub) = (b.svm.clone(), b.isub.clone());
    let drv = spawn_cpu(move || {
        mmu_interval_notifier_insert(&isub);
        driver_populate_range(&svm, &isub, page, ReleaseRevision::Upstream);
        driver_range_fini(&svm, &isub);
    });
    join(cpu);
    join(drv);
    teardown(mm, &[&a], &[&b]);
}

/// CPU0 munmaps page 0 while CPU1 inserts a second notifier of page 0 and, before faulting
/// anything, tears it down again (a driver's error path after insert): a remove that can
/// find its insert still pending on the deferred list.
fn insert_remove_vs_munmap() {
    let (mm, a) = setup(DriverRevision::Upstream);
    let b = mirror(&mm, DriverRevision::Upstream, 0, 0);
    let m = mm.clone();
    let cpu = spawn_cpu(move || munmap(&m, 0));
    let (svm, isub) = (b.svm.clone(), b.isub.clone());
    let drv = spawn_cpu(move || {
        mmu_interval_notifier_insert(&isub);
        driver_range_fini(&svm, &isub);
    });
    join(cpu);
    join(drv);
    teardown(mm, &[&a], &[&b]);
}

fn insert_vs_munmap_full_exclusion() {
    insert_vs_munmap(0)
}

fn insert_vs_munmap_partial_exclusion() {
    insert_vs_munmap(1)
}

/// CPU0, the OOM reaper, invalidates page 0 without blocking while CPU1, the driver, faults
/// it in: the callback's trylock can fail, and the reaper skips the page.
fn nonblock_vs_fault(rev: ReaperRevision, read_begin: ReadBeginRevision) {
    let (mm, a) = setup_with(DriverRevision::Upstream, read_begin);
    let m = mm.clone();
    let cpu = spawn_cpu(move || {
        __oom_reap_task_mm(&m, 0, rev);
    });
    let (svm, isub) = (a.svm.clone(), a.isub.clone());
    let drv = spawn_cpu(move || {
        driver_populate_range(&svm, &isub, 0, ReleaseRevision::Upstream);
    });
    join(cpu);
    join(drv);
    teardown(mm, &[&a], &[]);
}

fn nonblock_vs_fault_upstream() {
    nonblock_vs_fault(ReaperRevision::Upstream, ReadBeginRevision::Upstream)
}

fn nonblock_vs_fault_locked_wait() {
    nonblock_vs_fault(
        ReaperRevision::Upstream,
        ReadBeginRevision::LockedWaitCondition,
    )
}

fn nonblock_vs_fault_end_after_eagain() {
    nonblock_vs_fault(
        ReaperRevision::EndAfterEagain,
        ReadBeginRevision::LockedWaitCondition,
    )
}

/// CPU0, the exiting task, drops the last `mm_users` reference (`exit_mmap()`: release,
/// then unmap everything) while CPU1, the driver, faults page 0 in (holding its own
/// `mmget_not_zero()` if it gets one; its `mmput()` may then be the one that runs
/// `exit_mmap()`), then tears its mirror down (`driver_range_fini`).
fn exit_vs_fault(release: ReleaseRevision) {
    let (mm, a) = setup(DriverRevision::Upstream);
    let m = mm.clone();
    let cpu = spawn_cpu(move || mmput(&m, release));
    let (svm, isub) = (a.svm.clone(), a.isub.clone());
    let drv = spawn_cpu(move || {
        driver_populate_range(&svm, &isub, 0, release);
        driver_range_fini(&svm, &isub);
    });
    join(cpu);
    join(drv);
    // The mm is freed by now (the last mmdrop() checked its interval tree is empty).
    check_no_stale_at_end(&mm);
    free_mirror(&a);
}

fn exit_vs_fault_upstream() {
    exit_vs_fault(ReleaseRevision::Upstream)
}

fn exit_vs_fault_v1_double_release() {
    exit_vs_fault(ReleaseRevision::V1DoubleRelease)
}

/// What CPU1 does to page 0 while CPU0 runs a userptr exec.
#[derive(Clone, Copy)]
enum CpuSide {
    Munmap,
    Migrate,
}

/// CPU0 runs a GPU exec on a VM whose one userptr gpu_vma maps page 0 (bound, its pages
/// obtained, when the scenario starts), then the job it submitted (the job writes the page,
/// then signals its fence), while CPU1 munmaps page 0.
fn userptr_exec_vs_munmap(rev: UserptrRevision) {
    userptr_exec_vs(rev, CpuSide::Munmap, ReadBeginRevision::Upstream)
}

/// [`userptr_exec_vs_munmap`] with CPU1 doing `cpu` to page 0.
fn userptr_exec_vs(rev: UserptrRevision, cpu: CpuSide, read_begin: ReadBeginRevision) {
    let mm = mm_alloc(read_begin);
    let vm = gpu_vm_create(rev);
    let uvma = userptr_vma_create(&mm, &vm, 0);
    mmu_interval_notifier_insert(&uvma.userptr_interval);
    userptr_vma_pin_pages(&uvma);
    let (m, u) = (mm.clone(), uvma.clone());
    let exec = spawn_cpu(move || {
        if let Ok(job) = gpu_vm_exec(&u) {
            gpu_job_run(&m, &job);
        }
    });
    let m = mm.clone();
    let cpu = spawn_cpu(move || match cpu {
        CpuSide::Munmap => munmap(&m, 0),
        CpuSide::Migrate => migrate_vma(&m, 0, MIGRATE_DST_PFN),
    });
    join(exec);
    join(cpu);
    check_quiescent(&mm, &[&uvma.userptr_interval]);
    // Unbind: the gpu_vma's notifier goes, then the process exits.
    mmu_interval_notifier_remove(&uvma.userptr_interval);
    mmput(&mm, ReleaseRevision::Upstream);
    for f in vm.resv.ghost_fences() {
        kfree(&f);
    }
    kfree(&uvma.userptr_interval);
    kfree(&uvma);
    kfree(&vm);
}

fn userptr_exec_vs_migrate_upstream() {
    userptr_exec_vs(
        UserptrRevision::Upstream,
        CpuSide::Migrate,
        ReadBeginRevision::Upstream,
    )
}

fn userptr_exec_vs_migrate_locked_wait() {
    userptr_exec_vs(
        UserptrRevision::Upstream,
        CpuSide::Migrate,
        ReadBeginRevision::LockedWaitCondition,
    )
}

fn userptr_exec_vs_munmap_upstream() {
    userptr_exec_vs_munmap(UserptrRevision::Upstream)
}

fn userptr_exec_vs_munmap_publish_after_unlock() {
    userptr_exec_vs_munmap(UserptrRevision::PublishAfterUnlock)
}

fn userptr_exec_vs_munmap_skip_read_retry() {
    userptr_exec_vs_munmap(UserptrRevision::SkipReadRetry)
}

fn userptr_exec_vs_munmap_no_fence_wait() {
    userptr_exec_vs_munmap(UserptrRevision::NoFenceWait)
}

const SOURCES: &[&str] = &[
    include_str!("dma_resv.rs"),
    include_str!("driver.rs"),
    include_str!("invariants.rs"),
    include_str!("mm.rs"),
    include_str!("mmu_notifier.rs"),
    include_str!("scenarios.rs"),
    include_str!("userptr.rs"),
];

/// A scenario of this model. loom explores every scenario to completion (no preemption
/// bound). shuttle samples it: 2 000 random and 2 000 PCT runs for a scenario that expects
/// nothing, since loom has already explored it to completion ([`SAMPLE_RUNS`]).
const fn scenario(
    name: &'static str,
    summary: &'static str,
    cpus: &'static [&'static str],
    expected: Expected,
    body: fn(),
) -> Scenario {
    let s = Scenario::new(
        "mmu_interval_notifier",
        name,
        summary,
        cpus,
        expected,
        SOURCES,
        body,
    );
    Scenario {
        bounds: Bounds {
            shuttle_iterations: SAMPLE_RUNS,
            ..Bounds::DEFAULT
        },
        ..s
    }
}

/// shuttle's runs for a scenario that expects nothing (the default 10 000 would cost about
/// 14 s per scenario and explorer in a debug `cargo test`).
pub const SAMPLE_RUNS: usize = 2_000;

/// shuttle's runs for the driver variants whose race needs the whole munmap between the
/// driver's `hmm_range_fault()` and its user_lock: the random scheduler needs about 10 000
/// of them (11 254 with seed 0; PCT finds it within 50).
pub const DRIVER_VARIANT_RUNS: usize = 60_000;

/// [`scenario`] with [`DRIVER_VARIANT_RUNS`].
const fn driver_variant(s: Scenario) -> Scenario {
    Scenario {
        bounds: Bounds {
            shuttle_iterations: DRIVER_VARIANT_RUNS,
            ..Bounds::DEFAULT
        },
        ..s
    }
}

/// Every scenario of this crate.
pub const SCENARIOS: &[Scenario] = &[
    scenario(
        "fault_vs_munmap",
        "upstream: munmap of page 0 races with the driver's fault path (read_begin, hmm_range_fault, user_lock + read_retry, program) and its teardown (zap, remove)",
        &["driver", "munmap"],
        Expected::Unreachable,
        fault_vs_munmap_upstream,
    ),
    driver_variant(scenario(
        "fault_vs_munmap_skip_read_retry",
        "a driver that programs its device PTE without mmu_interval_read_retry() under its user_lock",
        &["driver", "munmap"],
        Expected::Reachable(NO_STALE_DEVICE_PTE),
        fault_vs_munmap_skip_read_retry,
    )),
    driver_variant(scenario(
        "fault_vs_munmap_no_set_seq",
        "a driver whose invalidate callback does not call mmu_interval_set_seq()",
        &["driver", "munmap"],
        Expected::Reachable(NO_STALE_DEVICE_PTE),
        fault_vs_munmap_no_set_seq,
    )),
    scenario(
        "fault_vs_migrate",
        "upstream: migration of page 0 to a new page (invalidate_range_start(MMU_NOTIFY_MIGRATE), PTE replaced, end, old page freed) races with the driver's fault path and its teardown; as in nonblock_vs_fault, read_begin's lockless wait condition sees the end without ordering the PTE read after it (weak memory)",
        &["driver", "migrate"],
        Expected::Reachable(NO_STALE_DEVICE_PTE),
        fault_vs_migrate_upstream,
    )
    .expected_sc(Expected::Unreachable),
    scenario(
        "fault_vs_migrate_locked_wait",
        "the same with the proposed read_begin whose wait condition reads invalidate_seq under subscriptions->lock",
        &["driver", "migrate"],
        Expected::Unreachable,
        fault_vs_migrate_locked_wait,
    ),
    scenario(
        "insert_vs_munmap_full_exclusion",
        "upstream: a second notifier of page 0 is inserted, faulted and removed while munmap invalidates page 0 (idle, or deferred in a full exclusion)",
        &["munmap", "driver"],
        Expected::Unreachable,
        insert_vs_munmap_full_exclusion,
    ),
    scenario(
        "insert_vs_munmap_partial_exclusion",
        "upstream: a notifier of page 1 is inserted, faulted and removed while munmap invalidates page 1, which no notifier covered (idle, or in a partial exclusion)",
        &["munmap", "driver"],
        Expected::Unreachable,
        insert_vs_munmap_partial_exclusion,
    ),
    scenario(
        "insert_remove_vs_munmap",
        "upstream: a second notifier of page 0 is inserted and at once removed while munmap invalidates page 0 (remove of a pending deferred insert)",
        &["munmap", "driver"],
        Expected::Unreachable,
        insert_remove_vs_munmap,
    ),
    scenario(
        "nonblock_vs_fault",
        "upstream: the OOM reaper's non-blockable invalidation of page 0 races with the driver's fault path (both mmap_lock readers); read_begin's lockless wait condition sees the end without ordering the PTE read after it (weak memory)",
        &["oom_reaper", "driver"],
        Expected::Reachable(NO_STALE_DEVICE_PTE),
        nonblock_vs_fault_upstream,
    )
    .expected_sc(Expected::Unreachable),
    scenario(
        "nonblock_vs_fault_locked_wait",
        "the same with a proposed read_begin whose wait condition reads invalidate_seq under subscriptions->lock (mmu_interval_seq_released(), as remove does); a failed trylock makes the reaper skip the page (-EAGAIN, no end)",
        &["oom_reaper", "driver"],
        Expected::Unreachable,
        nonblock_vs_fault_locked_wait,
    ),
    scenario(
        "nonblock_end_after_eagain",
        "a non-blocking caller that calls invalidate_range_end() after -EAGAIN (with the locked-wait read_begin)",
        &["oom_reaper", "driver"],
        Expected::Reachable(START_END_PAIRED),
        nonblock_vs_fault_end_after_eagain,
    ),
    scenario(
        "exit_vs_fault",
        "upstream: the last mmput() (exit_mmap: mmu_notifier_release, then unmap) races with the driver's fault path and remove",
        &["exit", "driver"],
        Expected::Unreachable,
        exit_vs_fault_upstream,
    ),
    scenario(
        "exit_vs_fault_v1_double_release",
        "v1 of the 2019 series: __mmu_notifier_release() runs mn_itree_release() twice (C2)",
        &["exit", "driver"],
        Expected::Reachable(INVALIDATE_ONCE),
        exit_vs_fault_v1_double_release,
    ),
    scenario(
        "userptr_exec_vs_munmap",
        "upstream (drm-vm-bind-locking.rst): a GPU exec on a userptr gpu_vma of page 0 (read_begin, lock the resv, down_read(notifier_lock) + read_retry, submit, publish the fence, up_read) and its job race with munmap of page 0 (callback: down_write, set_seq, up_write, wait for the VM's fences)",
        &["exec", "munmap"],
        Expected::Unreachable,
        userptr_exec_vs_munmap_upstream,
    ),
    scenario(
        "userptr_exec_vs_munmap_publish_after_unlock",
        "an exec that adds the job's fence to the VM's resv after up_read(notifier_lock): the callback's wait can miss the job",
        &["exec", "munmap"],
        Expected::Reachable(USERPTR_JOB_ACCESS),
        userptr_exec_vs_munmap_publish_after_unlock,
    ),
    scenario(
        "userptr_exec_vs_munmap_skip_read_retry",
        "an exec that submits without mmu_interval_read_retry() under the notifier lock: a job built with pages the CPU already invalidated",
        &["exec", "munmap"],
        Expected::Reachable(USERPTR_JOB_ACCESS),
        userptr_exec_vs_munmap_skip_read_retry,
    ),
    scenario(
        "userptr_exec_vs_munmap_no_fence_wait",
        "an invalidate callback that returns without dma_resv_wait_timeout() on the VM's resv: the job still runs on the unmapped page",
        &["exec", "munmap"],
        Expected::Reachable(USERPTR_JOB_ACCESS),
        userptr_exec_vs_munmap_no_fence_wait,
    ),
    scenario(
        "userptr_exec_vs_migrate",
        "upstream: the same exec and job against a migration of page 0 (MMU_NOTIFY_MIGRATE; the page is copied, the PTE replaced, the old page freed); the exec's retry goes through read_begin's lockless wait condition, which sees the end without ordering the PTE read after it (weak memory)",
        &["exec", "migrate"],
        Expected::Reachable(USERPTR_JOB_ACCESS),
        userptr_exec_vs_migrate_upstream,
    )
    .expected_sc(Expected::Unreachable),
    scenario(
        "userptr_exec_vs_migrate_locked_wait",
        "the same with the proposed read_begin whose wait condition reads invalidate_seq under subscriptions->lock",
        &["exec", "migrate"],
        Expected::Unreachable,
        userptr_exec_vs_migrate_locked_wait,
    ),
];
