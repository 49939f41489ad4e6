//! The CPU side: `struct mm_struct` as far as the notifiers see it (its two counts, its
//! mmap_lock, one single-page VMA and one PTE per page, its notifier subscriptions), and
//! the two paths that change its page-table entries between `invalidate_range_start` and
//! `_end`: `munmap()` (mm/mmap.c, mm/memory.c) and `exit_mmap()` (mm/mmap.c), v6.8.
//!
//! Every scheduling point is on a line of its own, commented with the kernel statement it
//! stands for; `MODEL:` marks each simplification (listed in the crate README).

use checker::kernel::{
    kref_put, kzalloc, mutex_lock, mutex_unlock, trace_call, AtomicT, Guarded, KMutex, Kref,
    LockGuard, Obj, READ_ONCE, WRITE_ONCE,
};

use crate::ghost;
use crate::mm_types::{
    initial_pfn, Ghost, MmStruct, MmuNotifierRange, MmuNotifierSubscriptions, MmuNotifyEvent,
    ReadBeginRevision, NR_PAGES, PAGE_POISON,
};
use crate::mmu_notifier::{
    __mmu_notifier_release, mmu_notifier_invalidate_range_end, mmu_notifier_invalidate_range_start,
    mmu_notifier_invalidate_range_start_nonblock, mmu_notifier_subscriptions_init, ReleaseRevision,
};
use crate::sched_mm::mmdrop;

/// A new process address space: every page mapped, `mm_users` and `mm_count` at 1, with the
/// `mmu_interval_read_begin()` of `read_begin`.
pub fn mm_alloc(read_begin: ReadBeginRevision) -> Obj<MmStruct> {
    let mm = kzalloc("mm", |id, name| {
        let mmap_lock = KMutex::new(id, name, "mmap_lock");
        MmStruct {
            mm_users: Kref::new(&format!("{name}.mm_users")),
            mm_count: Kref::new(&format!("{name}.mm_count")),
            vma: std::array::from_fn(|p| {
                Guarded::new(format!("{name}.vma[{p}]"), &mmap_lock, true)
            }),
            pte: std::array::from_fn(|p| AtomicT::new(name, &format!("pte[{p}]"), initial_pfn(p))),
            page_mem: std::array::from_fn(|i| AtomicT::new("page", &format!("pfn{}", i + 1), 0)),
            mmap_lock,
            notifier_subscriptions: MmuNotifierSubscriptions::new(id, name, read_begin),
            ghost: Ghost::default(),
        }
    });
    mmu_notifier_subscriptions_init(&mm);
    ghost::cpu_ptes_init(&mm, std::array::from_fn(initial_pfn));
    mm
}

/// `mmput()` (kernel/fork.c, v6.8): the last user tears the address space down. True if
/// this was the last user (ghost: the kernel's `mmput()` returns nothing).
pub fn mmput(mm: &Obj<MmStruct>, release: ReleaseRevision) -> bool {
    let _f = trace_call("mmput", mm.name());
    kref_put(&mm.mm_users, || __mmput(mm, release)) // if (atomic_dec_and_test(&mm->mm_users)) __mmput(mm);
}

/// `__mmput()` (kernel/fork.c, v6.8).
fn __mmput(mm: &Obj<MmStruct>, release: ReleaseRevision) {
    exit_mmap(mm, release); // exit_mmap(mm);
    mmdrop(mm); // mmdrop(mm);
}

/// `mmap_write_lock()` / `mmap_read_lock()` (include/linux/mmap_lock.h, v6.8).
pub fn mmap_lock(mm: &Obj<MmStruct>) -> LockGuard {
    mutex_lock(&mm.mmap_lock)
}

/// `mmap_write_unlock()` / `mmap_read_unlock()`.
pub fn mmap_unlock(g: LockGuard) {
    mutex_unlock(g)
}

/// `munmap()` of one page: `__vm_munmap()` → `do_vmi_align_munmap()` (mm/mmap.c, v6.8):
/// detach the VMA, then `unmap_region()` → `unmap_vmas()` (mm/memory.c), which zaps the PTE
/// between `mmu_notifier_invalidate_range_start()` and `_end()`, then `tlb_finish_mmu()`,
/// which frees the page.
pub fn munmap(mm: &Obj<MmStruct>, page: usize) {
    let _f = trace_call("munmap", &format!("{} page {page}", mm.name()));
    let g = mmap_lock(mm); // mmap_write_lock_killable(mm);
    mm.vma[page].write(false); // vma_iter_clear_gfp(): the VMA leaves the mm's tree
    let range = MmuNotifierRange::new(mm, page, page + 1, MmuNotifyEvent::Unmap, "munmap");
    mmu_notifier_invalidate_range_start(mm, &range); // mmu_notifier_invalidate_range_start(&range);
    WRITE_ONCE(&mm.pte[page], 0); // ptep_get_and_clear_full(mm, addr, pte, tlb->fullmm);  (zap_pte_range)
    let pfn = ghost::cpu_pte_changed(mm, range.ghost_event, page, 0);
    mmu_notifier_invalidate_range_end(mm, &range); // mmu_notifier_invalidate_range_end(&range);
    ghost::invalidation_ended(mm, &range);
    tlb_finish_mmu(mm, &[pfn]);
    mmap_unlock(g); // mmap_read_unlock(mm);  (after mmap_write_downgrade(), not modelled)
}

/// `tlb_finish_mmu()` (mm/mmu_gather.c, v6.8): the gathered pages go back to the page
/// allocator. From here on, no device may map them.
/// MODEL: the page's refcount is not modelled: the page is freed here (nothing else holds
/// it: hmm_range_fault() takes no page reference, and a GPU userptr drops the references it
/// took once its pages are mapped).
fn tlb_finish_mmu(mm: &Obj<MmStruct>, pfns: &[isize]) {
    for &pfn in pfns {
        free_page(mm, pfn); // free_pages_and_swap_cache(): the page is free
    }
}

/// The last reference to the page `pfn` is dropped (`folio_put()` → `free_unref_page()`,
/// mm/page_alloc.c, v6.8): the page allocator may hand it out at once, and its next user
/// writes it. From here on no device may map it and no GPU job may access it.
/// MODEL: the reuse is one write of the page's memory (a scheduling point), so that the
/// explorer orders it against a GPU job's DMA write to the same page.
pub fn free_page(mm: &Obj<MmStruct>, pfn: isize) {
    if pfn <= 0 {
        return;
    }
    WRITE_ONCE(&mm.page_mem[pfn as usize - 1], PAGE_POISON); // (the page's next user writes it)
    ghost::page_freed(mm, pfn);
}

/// `exit_mmap()` (mm/mmap.c, v6.8), reached from the last `mmput()`:
/// `mmu_notifier_release()`, then `unmap_vmas()` over the whole address space (its own
/// `invalidate_range_start`/`_end`), then the pages are freed.
/// MODEL: one `unmap_vmas()` range covers every page; page tables and VMAs are not freed.
pub fn exit_mmap(mm: &Obj<MmStruct>, release: ReleaseRevision) {
    let _f = trace_call("exit_mmap", mm.name());
    let ev = ghost::invalidation_begin(mm, "exit_mmap: mmu_notifier_release");
    __mmu_notifier_release(mm, ev, release); // mmu_notifier_release(mm);
    ghost::event_ended(mm, ev);
    let g = mmap_lock(mm); // mmap_read_lock(mm);
    let range = MmuNotifierRange::new(mm, 0, NR_PAGES, MmuNotifyEvent::Unmap, "exit_mmap");
    mmu_notifier_invalidate_range_start(mm, &range); // unmap_vmas(): mmu_notifier_invalidate_range_start(&range);
    let mut freed = Vec::new();
    for page in 0..NR_PAGES {
        if mm.vma[page].read() {
            WRITE_ONCE(&mm.pte[page], 0); // zap_pte_range(): ptep_get_and_clear_full()
            freed.push(ghost::cpu_pte_changed(mm, range.ghost_event, page, 0));
        }
    }
    mmu_notifier_invalidate_range_end(mm, &range); // mmu_notifier_invalidate_range_end(&range);
    ghost::invalidation_ended(mm, &range);
    tlb_finish_mmu(mm, &freed); // tlb_finish_mmu(&tlb);
    for page in 0..NR_PAGES {
        mm.vma[page].write(false); // remove_vma()
    }
    mmap_unlock(g); // mmap_write_unlock(mm);
}

/// The pfn a migration of the scenarios moves a page to.
pub const MIGRATE_DST_PFN: isize = 3;

/// Migration of the one-page VMA of `page` to the free page `dst` (a driver's
/// `migrate_vma_setup()` / copy / `migrate_vma_pages()` / `migrate_vma_finalize()`,
/// mm/migrate_device.c, v6.8): between `invalidate_range_start(MMU_NOTIFY_MIGRATE)` and
/// `_end()` the CPU PTE stops mapping the source page, the data is copied, and the PTE maps
/// the destination; then the source page is freed. The PTE is replaced, not cleared: the
/// VMA stays.
/// MODEL: the migration entry is folded away: `migrate_vma_collect()` replaces the PTE with
/// a migration entry inside the start/end bracket, and `migrate_vma_finalize()` installs the
/// new PTE after the end (a fault on the migration entry waits for it and retries, -EBUSY);
/// here the PTE goes from the source to the destination inside the bracket, which shows a
/// reader the new page earlier, never the old one later. The caller's `mmap_read_lock()` is
/// not taken, for the reason given at `__oom_reap_task_mm` (two readers overlap, and the
/// model's mmap_lock is a mutex).
pub fn migrate_vma(mm: &Obj<MmStruct>, page: usize, dst: isize) {
    let _f = trace_call(
        "migrate_vma",
        &format!("{} page {page} -> pfn {dst}", mm.name()),
    );
    let range = MmuNotifierRange::new(mm, page, page + 1, MmuNotifyEvent::Migrate, "migrate_vma");
    mmu_notifier_invalidate_range_start(mm, &range); // migrate_vma_collect(): mmu_notifier_invalidate_range_start(&range);
    let src = ghost::cpu_pfn(mm, page);
    let data = READ_ONCE(&mm.page_mem[src as usize - 1]); // the driver's copy (copy_highpage() / a DMA copy): read the source
    WRITE_ONCE(&mm.page_mem[dst as usize - 1], data); // ... and write the destination
    WRITE_ONCE(&mm.pte[page], dst); // remove_migration_pte(): set_pte_at(vma->vm_mm, pvmw.address, pvmw.pte, pte);
    ghost::cpu_pte_changed(mm, range.ghost_event, page, dst);
    mmu_notifier_invalidate_range_end(mm, &range); // migrate_vma_collect(): mmu_notifier_invalidate_range_end(&range);
    ghost::invalidation_ended(mm, &range);
    free_page(mm, src); // migrate_vma_finalize(): folio_put(src);  (the last reference)
}

/// Which caller of `mmu_notifier_invalidate_range_start_nonblock()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReaperRevision {
    /// v6.8: after -EAGAIN, no `_end()`.
    Upstream,
    /// A caller that calls `_end()` after -EAGAIN too (forbidden by the comment in
    /// `mn_itree_invalidate()`: "the non-blocking caller is not allowed to call
    /// invalidate_range_end()").
    EndAfterEagain,
}

/// `__oom_reap_task_mm()` (mm/oom_kill.c, v6.8) for the one-page VMA of `page`, under the
/// `mmap_read_trylock()` of `oom_reap_task_mm()`: a non-blockable invalidation, skipped when
/// a callback would have to sleep. False if it was skipped.
/// MODEL: the reaper holds `mmap_read_lock` (its caller's `mmap_read_trylock()`), which
/// does not exclude the driver's `mmap_read_lock` around `hmm_range_fault()`. The model's
/// mmap_lock is a mutex, so the reaper does not take it here: the two readers run
/// concurrently, as in the kernel (no writer runs in the reaper's scenarios).
/// `MMF_UNSTABLE` is implied: a fault on a reaped page fails (`check_stable_address_space()`
/// → VM_FAULT_SIGBUS), which is what `hmm_range_fault()` returns here for `pte_none`.
pub fn __oom_reap_task_mm(mm: &Obj<MmStruct>, page: usize, rev: ReaperRevision) -> bool {
    let _f = trace_call("__oom_reap_task_mm", &format!("{} page {page}", mm.name()));
    // mmap_read_trylock(mm) in oom_reap_task_mm(): a reader (see MODEL above)
    let range = MmuNotifierRange::new(
        mm,
        page,
        page + 1,
        MmuNotifyEvent::Unmap,
        "__oom_reap_task_mm",
    );
    if mmu_notifier_invalidate_range_start_nonblock(mm, &range) != 0 {
        // if (mmu_notifier_invalidate_range_start_nonblock(&range)) {
        if rev == ReaperRevision::EndAfterEagain {
            mmu_notifier_invalidate_range_end(mm, &range); // (the mistake) mmu_notifier_invalidate_range_end(&range);
        }
        ghost::event_ended(mm, range.ghost_event);
        false // tlb_finish_mmu(&tlb); ret = false; continue;
    } else {
        WRITE_ONCE(&mm.pte[page], 0); // unmap_page_range(): ptep_get_and_clear_full()
        let pfn = ghost::cpu_pte_changed(mm, range.ghost_event, page, 0);
        mmu_notifier_invalidate_range_end(mm, &range); // mmu_notifier_invalidate_range_end(&range);
        ghost::invalidation_ended(mm, &range);
        tlb_finish_mmu(mm, &[pfn]); // tlb_finish_mmu(&tlb);
        true
    }
}
