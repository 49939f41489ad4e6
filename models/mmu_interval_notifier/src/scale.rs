//! Scaling configurations for the scale benchmark (benches/loom_scale.rs); not in
//! `SCENARIOS`. Expected verified, as `fault_vs_munmap` is.
//!
//! - [`fault_vs_munmap_scale`]: `fault_vs_munmap` (upstream) with `DRIVERS` driver mirrors of
//!   page 0, each faulting the page into its device page table and tearing its mirror down on
//!   its CPU, against one munmap of page 0: `DRIVERS + 1` CPUs (dpor: 23 traces with 1
//!   driver, 150,964 with 2).
//! - [`fault_vs_munmap_fault_only_scale`]: the same with each driver's teardown
//!   (`driver_range_fini()`: zap under user_lock, `mmu_interval_notifier_remove()`) after the
//!   joins, on the main CPU: the claim (`NO_STALE_DEVICE_PTE`: no device PTE maps a page
//!   once the invalidation that unmapped it has ended) is about the fault path's collision
//!   retry against the invalidation, which each driver still races in full.
//! - [`fault_vs_two_munmaps_scale`]: the fault-only drivers against the munmap of page 0,
//!   and a munmap of page 1 on one more CPU: a second invalidation, of a range no mirror
//!   covers, that takes mmap_lock and walks the interval tree under the subscriptions' lock
//!   while the drivers' `mmu_interval_read_begin()` read the sequence under it. With 2
//!   drivers that is 4 CPUs, dpor's largest mmu configuration within 10 minutes
//!   (3 fault-only drivers do not finish).
//! - [`fault_vs_munmap_insert_remove_scale`]: the fault-only drivers against the munmap, and
//!   one more mirror inserted and removed during it (insert_remove_vs_munmap's CPU); with
//!   2 drivers more than 400,000 traces (not in the ladder).

use checker::scenario::{join, spawn_cpu, Expected, Scenario};

use crate::ghost::check_quiescent;
use crate::hmm::{
    driver_populate_range, driver_range_fini, driver_svm_alloc, DriverNotifierOps, DriverRevision,
};
use crate::mm_types::ReadBeginRevision;
use crate::mmap::{mm_alloc, mmput, munmap};
use crate::mmu_notifier::{
    mmu_interval_notifier_alloc, mmu_interval_notifier_insert, ReleaseRevision,
};
use checker::kernel::kfree;

fn fault_vs_munmap_scale_body<const DRIVERS: usize, const TEARDOWN_ON_CPU: bool>() {
    fault_vs_munmap_scale_with::<DRIVERS, TEARDOWN_ON_CPU, false, false>()
}

fn fault_vs_munmap_insert_remove_body<const DRIVERS: usize>() {
    fault_vs_munmap_scale_with::<DRIVERS, false, true, false>()
}

fn fault_vs_two_munmaps_body<const DRIVERS: usize>() {
    fault_vs_munmap_scale_with::<DRIVERS, false, false, true>()
}

fn fault_vs_munmap_scale_with<
    const DRIVERS: usize,
    const TEARDOWN_ON_CPU: bool,
    const INSERT_REMOVE: bool,
    const UNMAP_OTHER: bool,
>() {
    let mm = mm_alloc(ReadBeginRevision::Upstream);
    let mirrors: Vec<_> = (0..DRIVERS)
        .map(|_| {
            let svm = driver_svm_alloc(&mm, DriverRevision::Upstream);
            let isub = mmu_interval_notifier_alloc(&mm, 0, 0, DriverNotifierOps::new(&svm));
            mmu_interval_notifier_insert(&isub);
            (svm, isub)
        })
        .collect();
    let drivers: Vec<_> = mirrors
        .iter()
        .map(|(svm, isub)| {
            let (svm, isub) = (svm.clone(), isub.clone());
            spawn_cpu(move || {
                driver_populate_range(&svm, &isub, 0, ReleaseRevision::Upstream);
                if TEARDOWN_ON_CPU {
                    driver_range_fini(&svm, &isub);
                }
            })
        })
        .collect();
    let m = mm.clone();
    let cpu = spawn_cpu(move || munmap(&m, 0));
    // A further mirror of page 0 inserted and torn down again while page 0 is munmapped
    // (insert_remove_vs_munmap's CPU: a driver's error path after insert).
    let late = INSERT_REMOVE.then(|| {
        let svm = driver_svm_alloc(&mm, DriverRevision::Upstream);
        let isub = mmu_interval_notifier_alloc(&mm, 0, 0, DriverNotifierOps::new(&svm));
        let (s, i) = (svm.clone(), isub.clone());
        let cpu = spawn_cpu(move || {
            mmu_interval_notifier_insert(&i);
            driver_range_fini(&s, &i);
        });
        (svm, isub, cpu)
    });
    // A munmap of page 1, which no mirror covers, on one more CPU.
    let other = UNMAP_OTHER.then(|| {
        let m = mm.clone();
        spawn_cpu(move || munmap(&m, 1))
    });
    for d in drivers {
        join(d);
    }
    join(cpu);
    if let Some(c) = other {
        join(c);
    }
    let late = late.map(|(svm, isub, cpu)| {
        join(cpu);
        (svm, isub)
    });
    if !TEARDOWN_ON_CPU {
        for (svm, isub) in &mirrors {
            driver_range_fini(svm, isub);
        }
    }
    check_quiescent(&mm, &[]);
    mmput(&mm, ReleaseRevision::Upstream);
    for (svm, isub) in mirrors.iter().chain(late.iter()) {
        kfree(isub);
        kfree(svm);
    }
}

/// A scaled configuration of this file: `drivers` CPUs named "driver", then `others`.
fn scaled(
    name: String,
    drivers: usize,
    others: &[&'static str],
    summary: &'static str,
    body: fn(),
) -> Scenario {
    let cpus: &'static [&'static str] = Box::leak(
        std::iter::repeat_n("driver", drivers)
            .chain(others.iter().copied())
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    Scenario::new(
        "mmu_interval_notifier",
        Box::leak(name.into_boxed_str()),
        summary,
        cpus,
        Expected::Unreachable,
        &[include_str!("scale.rs")],
        body,
    )
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors and one munmap.
pub fn fault_vs_munmap_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_munmap_scale_{DRIVERS}"),
        DRIVERS,
        &["munmap"],
        "fault_vs_munmap scaled: DRIVERS driver mirrors of page 0 fault it and tear down while page 0 is munmapped",
        fault_vs_munmap_scale_body::<DRIVERS, true>,
    )
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors and one munmap, each driver's
/// teardown after the joins.
pub fn fault_vs_munmap_fault_only_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_munmap_fault_only_scale_{DRIVERS}"),
        DRIVERS,
        &["munmap"],
        "fault_vs_munmap scaled, fault only: DRIVERS driver mirrors of page 0 fault it while page 0 is munmapped; teardown after",
        fault_vs_munmap_scale_body::<DRIVERS, false>,
    )
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors (teardown after the joins), one
/// munmap, and one more mirror of page 0 inserted and removed during it: `DRIVERS + 2` CPUs.
pub fn fault_vs_munmap_insert_remove_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_munmap_insert_remove_scale_{DRIVERS}"),
        DRIVERS,
        &["munmap", "insert/remove"],
        "fault_vs_munmap scaled: DRIVERS driver mirrors of page 0 fault it while page 0 is munmapped and one more mirror is inserted and removed",
        fault_vs_munmap_insert_remove_body::<DRIVERS>,
    )
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors of page 0 (teardown after the
/// joins), the munmap of page 0, and a munmap of page 1 on one more CPU: `DRIVERS + 2` CPUs.
pub fn fault_vs_two_munmaps_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_two_munmaps_scale_{DRIVERS}"),
        DRIVERS,
        &["munmap", "munmap page 1"],
        "fault_vs_munmap scaled: DRIVERS driver mirrors of page 0 fault it while page 0 and page 1 are munmapped on two CPUs",
        fault_vs_two_munmaps_body::<DRIVERS>,
    )
}
