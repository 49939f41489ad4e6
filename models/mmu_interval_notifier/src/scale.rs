//! Scaling configurations for the scale benchmark (benches/scale.rs); not in `SCENARIOS`.
//!
//! `fault_vs_munmap` (upstream) with `DRIVERS` driver mirrors of page 0, each faulting the
//! page into its device page table and tearing its mirror down, against one munmap of page 0:
//! `DRIVERS + 1` CPUs. Expected verified, as `fault_vs_munmap` is.

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

fn fault_vs_munmap_scale_body<const DRIVERS: usize>() {
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
                driver_range_fini(&svm, &isub);
            })
        })
        .collect();
    let m = mm.clone();
    let cpu = spawn_cpu(move || munmap(&m, 0));
    for d in drivers {
        join(d);
    }
    join(cpu);
    check_quiescent(&mm, &[]);
    mmput(&mm, ReleaseRevision::Upstream);
    for (svm, isub) in &mirrors {
        kfree(isub);
        kfree(svm);
    }
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors and one munmap.
pub fn fault_vs_munmap_scale<const DRIVERS: usize>() -> Scenario {
    let name: &'static str = Box::leak(format!("fault_vs_munmap_scale_{DRIVERS}").into_boxed_str());
    let cpus: &'static [&'static str] = Box::leak(
        std::iter::repeat_n("driver", DRIVERS)
            .chain(["munmap"])
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    Scenario::new(
        "mmu_interval_notifier",
        name,
        "fault_vs_munmap scaled: DRIVERS driver mirrors of page 0 fault it and tear down while page 0 is munmapped",
        cpus,
        Expected::Unreachable,
        &[include_str!("scale.rs")],
        fault_vs_munmap_scale_body::<DRIVERS>,
    )
}
