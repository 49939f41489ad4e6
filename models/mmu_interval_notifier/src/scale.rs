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
//!   drivers that is 4 CPUs, the largest configuration of this ladder dpor finishes within
//!   10 minutes (3 fault-only drivers do not finish; loom finishes neither).
//! - [`fault_vs_munmap_insert_remove_scale`]: the fault-only drivers against the munmap, and
//!   one more mirror inserted and removed during it (insert_remove_vs_munmap's CPU); with
//!   2 drivers more than 400,000 traces (not in the ladder).
//! - [`fault_and_insert_vs_munmap_scale`]: one fault-only driver of page 0 and, on its own
//!   CPU, a second driver binding a mirror of page 0 (`mmu_interval_notifier_insert()`, as
//!   in `insert_vs_munmap_full_exclusion`; both mirrors are torn down after the joins),
//!   against the munmap of page 0, and, on a fourth CPU, an insert of a mirror of page 1
//!   (three driver CPUs against one munmap), or the munmap of page 1, which no notifier
//!   covers, or (5 CPUs) both. The claim is still `NO_STALE_DEVICE_PTE` for the faulting
//!   mirror, now while the interval tree changes: an insert lands while idle, deferred in
//!   page 0's full exclusion (applied by the last `mn_itree_inv_end()`, and then
//!   invalidated or not) or in page 1's partial exclusion (`invalidate_seq |= 1`, which
//!   makes the driver's `mmu_interval_read_begin()` wait for an invalidation that calls no
//!   callback of its own). loom finishes both 4-CPU configurations. There is one fault
//!   path: a second one, with its own `mmget_not_zero()`, `mmap_lock` section and
//!   user_lock, races the first as well as the munmap, which is what makes the
//!   `fault_vs_munmap` configurations grow as fast as they do.
//! - [`userptr_execs_vs_munmap_scale`]: `userptr_exec_vs_munmap` (upstream,
//!   Documentation/gpu/drm-vm-bind-locking.rst v6.8 as Xe v6.8 implements it) with `EXECS`
//!   exec CPUs on one GPU VM, each running `gpu_vm_exec()` on the VM's one userptr gpu_vma
//!   of page 0 and then the job it submitted, against one munmap of page 0: `EXECS + 1`
//!   CPUs. The claim is `USERPTR_JOB_ACCESS` (once the invalidate callback has returned, no
//!   job accesses the page): every exec's `mmu_interval_read_begin()` and its
//!   `mmu_interval_read_retry()` under `userptr_notifier_lock` race the callback's
//!   `mmu_interval_set_seq()`, and every job's fence the callback's wait. The execs are
//!   serialised by `gpu_vm->lock` (held for write, as the document's exec function takes
//!   it); their jobs, which write the page and signal their fences, are not.

use checker::invariant::Witness;
use checker::scenario::{join, spawn_cpu, Expected, Scenario};

use crate::ghost::check_quiescent;
use crate::hmm::{
    driver_populate_range, driver_range_fini, driver_svm_alloc, DriverNotifierOps, DriverRevision,
};
use crate::invariants::{
    DEVICE_PTE_ZAPPED, INSERT_DEFERRED, INSERT_IN_PARTIAL_EXCLUSION, READ_BEGIN_WAITS,
    READ_RETRY_COLLIDES, USERPTR_WAIT_FINDS_JOB,
};
use crate::mm_types::ReadBeginRevision;
use crate::mmap::{mm_alloc, mmput, munmap};
use crate::mmu_notifier::{
    mmu_interval_notifier_alloc, mmu_interval_notifier_insert, ReleaseRevision,
};
use crate::xe_vm::{
    gpu_job_run, gpu_vm_create, gpu_vm_exec, userptr_vma_create, userptr_vma_pin_pages,
    UserptrRevision,
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
        // MODEL: each driver's teardown after the joins, on the main CPU (the "fault only"
        // configurations; see the module doc).
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

/// CPU0, a driver, faults page 0 into its mirror (`fault_vs_munmap`'s fault path; its
/// teardown after the joins) while CPU1, a second driver binding a mirror of page 0, inserts
/// its notifier (`mmu_interval_notifier_insert()`, as `insert_vs_munmap_full_exclusion`'s
/// CPU does; the mirror is torn down after the joins), CPU2 munmaps page 0 and, with
/// `UNMAP_OTHER`, CPU3 munmaps page 1, which no notifier covers; with `INSERT_OTHER`, one
/// more CPU inserts a notifier of page 1 (a third mirror).
fn fault_and_insert_vs_munmap_body<const UNMAP_OTHER: bool, const INSERT_OTHER: bool>() {
    let mm = mm_alloc(ReadBeginRevision::Upstream);
    let mirror = |page: usize| {
        let svm = driver_svm_alloc(&mm, DriverRevision::Upstream);
        let isub = mmu_interval_notifier_alloc(&mm, page, page, DriverNotifierOps::new(&svm));
        (svm, isub)
    };
    let faulting = mirror(0);
    mmu_interval_notifier_insert(&faulting.1);
    let inserted: Vec<_> = std::iter::once(0)
        .chain(INSERT_OTHER.then_some(1))
        .map(mirror)
        .collect();
    let (svm, isub) = faulting.clone();
    let mut cpus = vec![spawn_cpu(move || {
        driver_populate_range(&svm, &isub, 0, ReleaseRevision::Upstream);
    })];
    let i = inserted[0].1.clone();
    cpus.push(spawn_cpu(move || mmu_interval_notifier_insert(&i)));
    let m = mm.clone();
    cpus.push(spawn_cpu(move || munmap(&m, 0)));
    if UNMAP_OTHER {
        let m = mm.clone();
        cpus.push(spawn_cpu(move || munmap(&m, 1)));
    }
    if let Some((_, i)) = inserted.get(1).cloned() {
        cpus.push(spawn_cpu(move || mmu_interval_notifier_insert(&i)));
    }
    for c in cpus {
        join(c);
    }
    let all: Vec<_> = std::iter::once(faulting).chain(inserted).collect();
    // MODEL: the drivers' teardowns after the joins, on the main CPU (see the module doc).
    for (svm, isub) in &all {
        driver_range_fini(svm, isub);
    }
    check_quiescent(&mm, &[]);
    mmput(&mm, ReleaseRevision::Upstream);
    for (svm, isub) in &all {
        kfree(isub);
        kfree(svm);
    }
}

/// `EXECS` CPUs each run a GPU exec on one VM whose one userptr gpu_vma maps page 0 (bound,
/// its pages obtained, when the scenario starts), then the job it submitted, while one more
/// CPU munmaps page 0 (`userptr_exec_vs_munmap` with more exec CPUs).
/// MODEL: several threads of the process submit on the same VM (one exec queue each); each
/// exec takes `gpu_vm->lock` for write, as the document's exec function does
/// (`gpu_vm_exec()`). Xe v6.8's `xe_exec_ioctl()` (drivers/gpu/drm/xe/xe_exec.c) takes it
/// for read unless a userptr needs a repin (then for write, downgraded after the repin), so
/// there execs that need no repin overlap; here they are serialised.
fn userptr_execs_vs_munmap_body<const EXECS: usize>() {
    let mm = mm_alloc(ReadBeginRevision::Upstream);
    let vm = gpu_vm_create(UserptrRevision::Upstream);
    let uvma = userptr_vma_create(&mm, &vm, 0);
    mmu_interval_notifier_insert(&uvma.userptr_interval);
    userptr_vma_pin_pages(&uvma);
    let execs: Vec<_> = (0..EXECS)
        .map(|_| {
            let (m, u) = (mm.clone(), uvma.clone());
            spawn_cpu(move || {
                if let Ok(job) = gpu_vm_exec(&u) {
                    gpu_job_run(&m, &job);
                }
            })
        })
        .collect();
    let m = mm.clone();
    let cpu = spawn_cpu(move || munmap(&m, 0));
    for e in execs {
        join(e);
    }
    join(cpu);
    crate::scenarios::userptr::userptr_teardown(&mm, &vm, &uvma);
}

/// A scaled configuration of this file: `drivers` CPUs named `driver`, then `others`;
/// expected verified, with the witnesses of the scenario it scales.
fn scaled(
    name: String,
    (driver, drivers): (&'static str, usize),
    others: &[&'static str],
    summary: &'static str,
    body: fn(),
    witnesses: &'static [Witness],
) -> Scenario {
    let cpus: &'static [&'static str] = Box::leak(
        std::iter::repeat_n(driver, drivers)
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
    .witnesses(witnesses)
}

/// `fault_vs_munmap`'s witnesses.
const FAULT_WITNESSES: &[Witness] = &[READ_RETRY_COLLIDES, READ_BEGIN_WAITS, DEVICE_PTE_ZAPPED];

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors and one munmap.
pub fn fault_vs_munmap_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_munmap_scale_{DRIVERS}"),
        ("driver", DRIVERS),
        &["munmap"],
        "fault_vs_munmap scaled: DRIVERS driver mirrors of page 0 fault it and tear down while page 0 is munmapped",
        fault_vs_munmap_scale_body::<DRIVERS, true>,
        FAULT_WITNESSES,
    )
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors and one munmap, each driver's
/// teardown after the joins.
pub fn fault_vs_munmap_fault_only_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_munmap_fault_only_scale_{DRIVERS}"),
        ("driver", DRIVERS),
        &["munmap"],
        "fault_vs_munmap scaled, fault only: DRIVERS driver mirrors of page 0 fault it while page 0 is munmapped; teardown after",
        fault_vs_munmap_scale_body::<DRIVERS, false>,
        FAULT_WITNESSES,
    )
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors (teardown after the joins), one
/// munmap, and one more mirror of page 0 inserted and removed during it: `DRIVERS + 2` CPUs.
pub fn fault_vs_munmap_insert_remove_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_munmap_insert_remove_scale_{DRIVERS}"),
        ("driver", DRIVERS),
        &["munmap", "insert/remove"],
        "fault_vs_munmap scaled: DRIVERS driver mirrors of page 0 fault it while page 0 is munmapped and one more mirror is inserted and removed",
        fault_vs_munmap_insert_remove_body::<DRIVERS>,
        FAULT_WITNESSES,
    )
}

/// `fault_vs_munmap` with `DRIVERS` faulting driver mirrors of page 0 (teardown after the
/// joins), the munmap of page 0, and a munmap of page 1 on one more CPU: `DRIVERS + 2` CPUs.
pub fn fault_vs_two_munmaps_scale<const DRIVERS: usize>() -> Scenario {
    scaled(
        format!("fault_vs_two_munmaps_scale_{DRIVERS}"),
        ("driver", DRIVERS),
        &["munmap", "munmap page 1"],
        "fault_vs_munmap scaled: DRIVERS driver mirrors of page 0 fault it while page 0 and page 1 are munmapped on two CPUs",
        fault_vs_two_munmaps_body::<DRIVERS>,
        FAULT_WITNESSES,
    )
}

/// `userptr_exec_vs_munmap` with `EXECS` exec CPUs on one VM (each runs its job after the
/// exec) and one munmap of page 0: `EXECS + 1` CPUs.
pub fn userptr_execs_vs_munmap_scale<const EXECS: usize>() -> Scenario {
    scaled(
        format!("userptr_execs_vs_munmap_scale_{EXECS}"),
        ("exec", EXECS),
        &["munmap"],
        "userptr_exec_vs_munmap scaled: EXECS GPU execs on one VM (read_begin, resv, down_read(notifier_lock) + read_retry, submit, publish the fence, up_read; then the job) race with munmap of the userptr's page 0",
        userptr_execs_vs_munmap_body::<EXECS>,
        &[READ_RETRY_COLLIDES, USERPTR_WAIT_FINDS_JOB],
    )
}

/// `fault_vs_munmap`'s fault path (teardown after the joins) and an insert of a second
/// mirror of page 0 against the munmap of page 0; with `UNMAP_OTHER` a munmap of page 1 on
/// one more CPU, with `INSERT_OTHER` an insert of a mirror of page 1 on one more.
pub fn fault_and_insert_vs_munmap_scale<const UNMAP_OTHER: bool, const INSERT_OTHER: bool>(
) -> Scenario {
    let (name, others): (&str, &'static [&'static str]) = match (UNMAP_OTHER, INSERT_OTHER) {
        (false, false) => ("fault_and_insert_vs_munmap", &["insert", "munmap"]),
        (true, false) => (
            "fault_and_insert_vs_two_munmaps",
            &["insert", "munmap", "munmap page 1"],
        ),
        (false, true) => (
            "fault_and_two_inserts_vs_munmap",
            &["insert", "munmap", "insert page 1"],
        ),
        (true, true) => (
            "fault_and_two_inserts_vs_two_munmaps",
            &["insert", "munmap", "munmap page 1", "insert page 1"],
        ),
    };
    // An insert meets munmap's full exclusion of page 0 (deferred); with the munmap of
    // page 1 it can also meet that one's partial exclusion.
    let witnesses: &'static [Witness] = if UNMAP_OTHER {
        &[
            READ_RETRY_COLLIDES,
            READ_BEGIN_WAITS,
            DEVICE_PTE_ZAPPED,
            INSERT_DEFERRED,
            INSERT_IN_PARTIAL_EXCLUSION,
        ]
    } else {
        &[
            READ_RETRY_COLLIDES,
            READ_BEGIN_WAITS,
            DEVICE_PTE_ZAPPED,
            INSERT_DEFERRED,
        ]
    };
    scaled(
        format!("{name}_scale"),
        ("driver", 1),
        others,
        "fault_vs_munmap's fault path (teardown after) and the insert of a second mirror of page 0 race with munmap of page 0 (and of page 1, and an insert of a mirror of page 1)",
        fault_and_insert_vs_munmap_body::<UNMAP_OTHER, INSERT_OTHER>,
        witnesses,
    )
}
