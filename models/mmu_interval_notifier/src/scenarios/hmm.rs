//! Scenario bodies of the driver side (Documentation/mm/hmm.rst): a mirror's fault path
//! against munmap, migration, the OOM reaper and exit, and notifier insert/remove against
//! munmap. When a scenario starts, page 0 maps pfn 1 and page 1 maps pfn 2, and one driver
//! mirror (`svm#1`) has its notifier (`isub#1`, page 0) in the interval tree, inserted while
//! idle.

use checker::kernel::{kfree, Obj};
use checker::scenario::{join, spawn_cpu};

use crate::ghost::{check_no_stale_at_end, check_quiescent};
use crate::hmm::{
    driver_populate_range, driver_range_fini, driver_svm_alloc, DriverNotifierOps, DriverRevision,
    DriverSvm,
};
use crate::mm_types::{MmStruct, MmuIntervalNotifier, ReadBeginRevision};
use crate::mmap::{
    __oom_reap_task_mm, migrate_vma, mm_alloc, mmput, munmap, ReaperRevision, MIGRATE_DST_PFN,
};
use crate::mmu_notifier::{
    mmu_interval_notifier_alloc, mmu_interval_notifier_insert, ReleaseRevision,
};

/// A driver's mirror of pages `[start, last]` and its notifier (not inserted yet).
pub(crate) struct Mirror {
    svm: Obj<DriverSvm>,
    isub: Obj<MmuIntervalNotifier>,
}

pub(crate) fn mirror(mm: &Obj<MmStruct>, rev: DriverRevision, start: usize, last: usize) -> Mirror {
    let svm = driver_svm_alloc(mm, rev);
    let isub = mmu_interval_notifier_alloc(mm, start, last, DriverNotifierOps::new(&svm));
    Mirror { svm, isub }
}

/// The driver's teardown of a mirror whose notifier was removed (driver_range_fini): free both.
pub(crate) fn free_mirror(m: &Mirror) {
    kfree(&m.isub);
    kfree(&m.svm);
}

/// The mm (upstream `mmu_interval_read_begin()`) and the inserted mirror `svm#1`/`isub#1` of
/// page 0.
pub(crate) fn setup(rev: DriverRevision) -> (Obj<MmStruct>, Mirror) {
    setup_with(rev, ReadBeginRevision::Upstream)
}

pub(crate) fn setup_with(
    rev: DriverRevision,
    read_begin: ReadBeginRevision,
) -> (Obj<MmStruct>, Mirror) {
    let mm = mm_alloc(read_begin);
    let a = mirror(&mm, rev, 0, 0);
    mmu_interval_notifier_insert(&a.isub);
    (mm, a)
}

/// After the CPUs: final checks, then the driver tears down what is left and the last
/// `mmput()` tears the mm down.
pub(crate) fn teardown(mm: Obj<MmStruct>, live: &[&Mirror], removed: &[&Mirror]) {
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
pub(crate) fn fault_vs_munmap_with(rev: DriverRevision) {
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

pub(crate) fn fault_vs_munmap() {
    fault_vs_munmap_with(DriverRevision::Upstream)
}

pub(crate) fn fault_vs_munmap_skip_read_retry() {
    fault_vs_munmap_with(DriverRevision::SkipReadRetry)
}

pub(crate) fn fault_vs_munmap_no_set_seq() {
    fault_vs_munmap_with(DriverRevision::NoSetSeq)
}

/// CPU1 migrates page 0 (pfn 1) to pfn 3 while CPU0, the driver, faults page 0 into its
/// device page table and then tears its mirror down.
pub(crate) fn fault_vs_migrate_with(read_begin: ReadBeginRevision) {
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

pub(crate) fn fault_vs_migrate() {
    fault_vs_migrate_with(ReadBeginRevision::Upstream)
}

pub(crate) fn fault_vs_migrate_locked_wait() {
    fault_vs_migrate_with(ReadBeginRevision::LockedWaitCondition)
}

/// CPU0 munmaps `unmap_page` while CPU1, a second driver mirror of `page`, inserts its
/// notifier, faults the page in, and tears it down. With `unmap_page == page` (0),
/// the insert can land in a full exclusion (deferred); with page 1, unmapped while no
/// notifier covers it, in a partial exclusion (`invalidate_seq |= 1`).
pub(crate) fn insert_vs_munmap(page: usize) {
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
pub(crate) fn insert_remove_vs_munmap() {
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

pub(crate) fn insert_vs_munmap_full_exclusion() {
    insert_vs_munmap(0)
}

pub(crate) fn insert_vs_munmap_partial_exclusion() {
    insert_vs_munmap(1)
}

/// CPU0, the OOM reaper, invalidates page 0 without blocking while CPU1, the driver, faults
/// it in: the callback's trylock can fail, and the reaper skips the page.
pub(crate) fn nonblock_vs_fault_with(rev: ReaperRevision, read_begin: ReadBeginRevision) {
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

pub(crate) fn nonblock_vs_fault() {
    nonblock_vs_fault_with(ReaperRevision::Upstream, ReadBeginRevision::Upstream)
}

pub(crate) fn nonblock_vs_fault_locked_wait() {
    nonblock_vs_fault_with(
        ReaperRevision::Upstream,
        ReadBeginRevision::LockedWaitCondition,
    )
}

pub(crate) fn nonblock_end_after_eagain() {
    nonblock_vs_fault_with(
        ReaperRevision::EndAfterEagain,
        ReadBeginRevision::LockedWaitCondition,
    )
}

/// CPU0, the exiting task, drops the last `mm_users` reference (`exit_mmap()`: release,
/// then unmap everything) while CPU1, the driver, faults page 0 in (holding its own
/// `mmget_not_zero()` if it gets one; its `mmput()` may then be the one that runs
/// `exit_mmap()`), then tears its mirror down (`driver_range_fini`).
pub(crate) fn exit_vs_fault_with(release: ReleaseRevision) {
    let (mm, a) = setup(DriverRevision::Upstream);
    let m = mm.clone();
    let cpu = spawn_cpu(move || {
        mmput(&m, release);
    });
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

pub(crate) fn exit_vs_fault() {
    exit_vs_fault_with(ReleaseRevision::Upstream)
}

pub(crate) fn exit_vs_fault_v1_double_release() {
    exit_vs_fault_with(ReleaseRevision::V1DoubleRelease)
}
