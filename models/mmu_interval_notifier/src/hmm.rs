//! The driver side: a device that mirrors part of a process address space, written after the
//! usage pattern of Documentation/mm/hmm.rst (v6.8, "Address space mirroring implementation
//! and API": `driver_populate_range()` and the `ops->invalidate()` rules) and nouveau's
//! `nouveau_svm_range_invalidate()` (drivers/gpu/drm/nouveau/nouveau_svm.c, v6.8), plus
//! `hmm_range_fault()` (mm/hmm.c, v6.8).
//!
//! The driver's `user_lock` ("driver->update" in hmm.rst) serialises its device page table,
//! `mmu_interval_set_seq()` in the callback, and `mmu_interval_read_retry()` in the fault
//! path. The variants are the mistakes hmm.rst's rules forbid.

use std::sync::Arc;

use checker::kernel::{
    mutex_lock, mutex_trylock, mutex_unlock, trace_call, trace_note, Guarded, KMutex, Obj,
    READ_ONCE,
};

use checker::scenario::{witness, witness_if};

use crate::ghost;
use crate::invariants::{
    DEVICE_PTE_ZAPPED, FAULT_MMGET_FAILS, FAULT_MMPUT_RUNS_EXIT_MMAP, NONBLOCK_TRYLOCK_FAILS,
    READ_RETRY_COLLIDES,
};
use crate::mm_types::{
    Mirror, MmStruct, MmuIntervalNotifier, MmuIntervalNotifierOps, MmuNotifierRange, NR_PAGES,
};
use crate::mmap::{mmap_lock, mmap_unlock, mmput};
use crate::mmu_notifier::{
    mmu_interval_check_retry, mmu_interval_notifier_remove, mmu_interval_read_begin,
    mmu_interval_read_retry, mmu_interval_set_seq, ReleaseRevision,
};
use crate::sched_mm::mmget_not_zero;

/// `-EFAULT`.
pub const EFAULT: isize = -14;
/// `-EBUSY`.
pub const EBUSY: isize = -16;

/// The fault path gives up after this many collisions.
/// MODEL: the kernel's drivers bound the retries by time (`HMM_RANGE_DEFAULT_TIMEOUT`); the
/// model bounds them by count. With one invalidation per scenario, two attempts always
/// suffice; the bound is never reached in the scenarios.
pub const MAX_ATTEMPTS: usize = 3;

/// Which driver: upstream's pattern, or a mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriverRevision {
    /// hmm.rst's pattern.
    Upstream,
    /// The fault path programs the device PTEs without `mmu_interval_read_retry()`.
    SkipReadRetry,
    /// The invalidate callback does not call `mmu_interval_set_seq()`.
    NoSetSeq,
}

/// The driver's mirror of one range of one mm ("struct driver" in hmm.rst; nouveau's
/// `struct nouveau_svmm`).
pub struct DriverSvm {
    /// `driver->update`: the user_lock.
    pub user_lock: KMutex,
    /// The device page table: per page, the pfn the device maps, 0 if none. Under
    /// `user_lock`.
    pub device_pte: [Guarded<isize>; NR_PAGES],
    pub rev: DriverRevision,
}

/// A driver's mirror with an empty device page table; registered with `mm` for the ghost
/// checks of `NO_STALE_DEVICE_PTE`.
pub fn driver_svm_alloc(mm: &Obj<MmStruct>, rev: DriverRevision) -> Obj<DriverSvm> {
    let svm = checker::kernel::kzalloc("svm", |id, name| {
        let user_lock = KMutex::new(id, name, "user_lock");
        DriverSvm {
            device_pte: std::array::from_fn(|p| {
                Guarded::new(format!("{name}.device_pte[{p}]"), &user_lock, 0)
            }),
            user_lock,
            rev,
        }
    });
    let mirror = svm.clone();
    ghost::mirror_registered(
        mm,
        Mirror {
            name: svm.name().to_string(),
            device_pte: Arc::new(move |page| mirror.ghost().device_pte[page].ghost_read()),
        },
    );
    svm
}

/// The driver's `struct mmu_interval_notifier_ops`.
pub struct DriverNotifierOps {
    pub svm: Obj<DriverSvm>,
}

impl DriverNotifierOps {
    pub fn new(svm: &Obj<DriverSvm>) -> Arc<DriverNotifierOps> {
        Arc::new(DriverNotifierOps { svm: svm.clone() })
    }
}

impl MmuIntervalNotifierOps for DriverNotifierOps {
    fn invalidate(
        &self,
        interval_sub: &Obj<MmuIntervalNotifier>,
        range: &MmuNotifierRange,
        cur_seq: isize,
    ) -> bool {
        driver_invalidate_range(&self.svm, interval_sub, range, cur_seq)
    }
}

/// The driver's `ops->invalidate()` (hmm.rst; `nouveau_svm_range_invalidate()`): take the
/// user_lock (only try it in a non-blockable range), `mmu_interval_set_seq()`, zap the device
/// PTEs of the range, unlock.
/// MODEL: zapping the device PTE stands for the device's page-table update and TLB flush,
/// which "must complete before the driver callback returns" (hmm.rst).
pub fn driver_invalidate_range(
    svm: &Obj<DriverSvm>,
    isub: &Obj<MmuIntervalNotifier>,
    range: &MmuNotifierRange,
    cur_seq: isize,
) -> bool {
    let _f = trace_call("driver_invalidate_range", isub.name());
    let g = if range.mmu_notifier_range_blockable() {
        mutex_lock(&svm.user_lock) // mutex_lock(&driver->update);
    } else {
        match mutex_trylock(&svm.user_lock) {
            // else if (!mutex_trylock(&driver->update))
            Some(g) => g,
            None => {
                witness(&NONBLOCK_TRYLOCK_FAILS);
                return false; // return false;
            }
        }
    };
    if svm.rev != DriverRevision::NoSetSeq {
        mmu_interval_set_seq(isub, cur_seq); // mmu_interval_set_seq(mni, cur_seq);
    }
    let first = range.start.max(isub.start);
    let last = (range.end - 1).min(isub.last);
    for page in first..=last {
        if svm.device_pte[page].read() != 0 {
            witness(&DEVICE_PTE_ZAPPED);
            svm.device_pte[page].write(0); // zap the device PTE and flush the device TLB
            trace_note(
                "device_pte_zap",
                &format!("{}.device_pte[{page}]", svm.name()),
                "0",
            );
        }
    }
    mutex_unlock(g); // mutex_unlock(&driver->update);
    true // return true;
}

/// The driver's teardown of its mirror (userspace unbinds the range, or the device file is
/// closed): zap the device PTEs under user_lock, then `mmu_interval_notifier_remove()`. In
/// this order, because once remove has returned no invalidation reaches the driver any more.
/// MODEL: the driver's own fault path and its teardown of one range never overlap (the
/// driver serialises them); the scenarios run them on one CPU.
pub fn driver_range_fini(svm: &Obj<DriverSvm>, isub: &Obj<MmuIntervalNotifier>) {
    let _f = trace_call(
        "driver_range_fini",
        &format!("{} {}", svm.name(), isub.name()),
    );
    let g = mutex_lock(&svm.user_lock); // mutex_lock(&driver->update);
    for page in isub.start..=isub.last {
        if svm.device_pte[page].read() != 0 {
            svm.device_pte[page].write(0); // unmap the range from the device page table
            trace_note(
                "device_pte_zap",
                &format!("{}.device_pte[{page}]", svm.name()),
                "0",
            );
        }
    }
    mutex_unlock(g); // mutex_unlock(&driver->update);
    mmu_interval_notifier_remove(isub); // mmu_interval_notifier_remove(&driver->notifier);
}

/// `hmm_range_fault()` (mm/hmm.c, v6.8) for one page, under `mmap_read_lock`: -EBUSY if
/// `mmu_interval_check_retry()` already sees a collision, -EFAULT if no VMA covers the page,
/// else the pfn the CPU maps.
/// MODEL: one pass of the walk (`walk_page_range()` returns -EBUSY only for a THP split,
/// not modelled). Every page of a VMA is populated when a scenario starts; a `pte_none` in
/// a VMA is a page the OOM reaper took, and faulting it fails (see `__oom_reap_task_mm`).
pub fn hmm_range_fault(
    mm: &Obj<MmStruct>,
    isub: &Obj<MmuIntervalNotifier>,
    notifier_seq: isize,
    page: usize,
) -> Result<isize, isize> {
    let _f = trace_call("hmm_range_fault", &format!("page {page}"));
    if mmu_interval_check_retry(isub, notifier_seq) {
        // if (mmu_interval_check_retry(range->notifier, range->notifier_seq))
        witness(&READ_RETRY_COLLIDES);
        return Err(EBUSY); // return -EBUSY;
    }
    if !mm.vma[page].read() {
        return Err(EFAULT); // walk_page_range(): no vma -> hmm_vma_walk_hole() -> -EFAULT
    }
    let pte = READ_ONCE(&mm.pte[page]); // pte_t pte = ptep_get(ptep);  (hmm_vma_handle_pte)
    if pte == 0 {
        return Err(EFAULT); // hmm_vma_fault() -> handle_mm_fault() on a reaped mm: VM_FAULT_SIGBUS -> -EFAULT
    }
    Ok(pte) // hmm_pfns[i] = pte_pfn(pte) | cpu_flags;
}

/// `driver_populate_range()` (Documentation/mm/hmm.rst, v6.8) for one page: mirror the
/// CPU's PTE into the device page table. 0, or a negative errno.
pub fn driver_populate_range(
    svm: &Obj<DriverSvm>,
    isub: &Obj<MmuIntervalNotifier>,
    page: usize,
    release: ReleaseRevision,
) -> isize {
    let mm = isub.mm.clone();
    let _f = trace_call(
        "driver_populate_range",
        &format!("{} page {page}", svm.name()),
    );
    if !mmget_not_zero(&mm) {
        // if (!mmget_not_zero(interval_sub->notifier.mm))
        witness(&FAULT_MMGET_FAILS);
        return EFAULT; // return -EFAULT;
    }
    let mut ret = EBUSY;
    for _attempt in 0..MAX_ATTEMPTS {
        // again:
        let seq = mmu_interval_read_begin(isub); // range.notifier_seq = mmu_interval_read_begin(&interval_sub);
        let g = mmap_lock(&mm); // mmap_read_lock(mm);
        let pfn = hmm_range_fault(&mm, isub, seq, page); // ret = hmm_range_fault(&range);
        mmap_unlock(g); // mmap_read_unlock(mm);
        let pfn = match pfn {
            Ok(pfn) => pfn,
            Err(EBUSY) => continue, // if (ret == -EBUSY) goto again;
            Err(e) => {
                ret = e;
                break; // return ret;
            }
        };
        let g = mutex_lock(&svm.user_lock); // take_lock(driver->update);
        if svm.rev != DriverRevision::SkipReadRetry && mmu_interval_read_retry(isub, seq) {
            // if (mmu_interval_read_retry(&ni, range.notifier_seq)) {
            witness(&READ_RETRY_COLLIDES);
            mutex_unlock(g); // release_lock(driver->update);
            continue; // goto again;
        }
        ghost::device_pte_programmed(&mm, svm.name(), page, pfn);
        svm.device_pte[page].write(pfn); // use the pfns array to update the device page table
        trace_note(
            "device_pte_program",
            &format!("{}.device_pte[{page}]", svm.name()),
            &pfn.to_string(),
        );
        mutex_unlock(g); // release_lock(driver->update);
        ret = 0;
        break; // return 0;
    }
    let last = mmput(&mm, release); // (the caller's mmput(mm))
    witness_if(last, &FAULT_MMPUT_RUNS_EXIT_MMAP);
    ret
}
