//! The GPU userptr exec pattern of Documentation/gpu/drm-vm-bind-locking.rst (v6.8, sections
//! "userptr gpu_vmas" and "Locks and locking order"), as Xe implements it in v6.8
//! (`xe_exec_ioctl()` in drivers/gpu/drm/xe/xe_exec.c, `vma_userptr_invalidate()` in
//! drivers/gpu/drm/xe/xe_vm.c).
//!
//! A userptr gpu_vma maps CPU pages of a process into a GPU VM without pinning them. Its
//! interval notifier tells the driver when the CPU is about to unmap or move them, and the
//! driver must then stop GPU access before the callback returns. The exec path builds a job
//! from the pages it last obtained, and the two are made to "appear atomic" by the VM's
//! `userptr_notifier_lock`, an rw_semaphore:
//!
//! - exec: `down_read(notifier_lock)`, `mmu_interval_read_retry()` for each userptr gpu_vma
//!   (on a collision: `up_read()` and start again), submit the job and add its fence to the
//!   VM's dma_resv, and only then `up_read()`;
//! - the invalidate callback: `down_write(notifier_lock)`, `mmu_interval_set_seq()`,
//!   `up_write()`, then `dma_resv_wait_timeout()` on the VM's resv for every (BOOKKEEP) fence.
//!
//! Either the exec's read section comes first, and its fence is in the resv when the callback
//! walks it, so the callback waits for the job; or the callback's write section comes first,
//! and the exec's `read_retry` sees the new sequence and backs off. The variants are the
//! four ways to break that: publish the fence after `up_read()`, skip the `read_retry`,
//! forget the `set_seq` in the callback, or return from the callback without waiting.
//!
//! Every scheduling point is on a line of its own, commented with the kernel statement it
//! stands for; `MODEL:` marks each simplification (listed in the crate README).

use std::sync::Arc;

use checker::kernel::{
    down_read, down_write, kzalloc, lockdep_assert_held_write, trace_call, up_read, up_write,
    Guarded, Obj, RwSemaphore, WRITE_ONCE,
};

use checker::scenario::witness;

use crate::dma_resv::{
    dma_fence_init, dma_fence_signal, dma_resv_add_fence, dma_resv_lock, dma_resv_unlock,
    dma_resv_wait_timeout, DmaFence, DmaResv,
};
use crate::ghost;
use crate::hmm::{hmm_range_fault, EBUSY, MAX_ATTEMPTS};
use crate::invariants::READ_RETRY_COLLIDES;
use crate::mm_types::{
    GhostJob, MmStruct, MmuIntervalNotifier, MmuIntervalNotifierOps, MmuNotifierRange,
};
use crate::mmap::{mmap_lock, mmap_unlock};
use crate::mmu_notifier::{
    mmu_interval_notifier_alloc, mmu_interval_read_begin, mmu_interval_read_retry,
    mmu_interval_set_seq, EAGAIN,
};

/// Which userptr locking: the document's, or a mistake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserptrRevision {
    /// drm-vm-bind-locking.rst (v6.8) as written, and Xe v6.8.
    Upstream,
    /// exec drops the notifier lock before it adds the job's fence to the VM's resv.
    PublishAfterUnlock,
    /// exec submits without `mmu_interval_read_retry()` under the notifier lock.
    SkipReadRetry,
    /// the invalidate callback returns without waiting for the VM's fences.
    NoFenceWait,
    /// the invalidate callback forgets `mmu_interval_set_seq()` under the notifier lock (in no
    /// kernel; the hmm driver's `DriverRevision::NoSetSeq` is the same mistake).
    NoSetSeq,
}

/// The `gpu_vm` of the document (Xe's `struct xe_vm`), as far as userptr needs it.
pub struct GpuVm {
    /// `gpu_vm->lock`: protects the VM's gpu_vmas and their userptr state; exec takes it for
    /// write.
    pub lock: RwSemaphore,
    /// `gpu_vm->userptr_notifier_lock`: exec holds it for read from the `read_retry` check
    /// until its fence is published; the invalidate callback takes it for write around
    /// `mmu_interval_set_seq()`.
    pub userptr_notifier_lock: RwSemaphore,
    /// `gpu_vm->resv`: the VM's dma_resv, holding every job's fence (BOOKKEEP).
    pub resv: DmaResv,
    pub rev: UserptrRevision,
}

/// A userptr gpu_vma (Xe's `struct xe_userptr_vma`): one CPU page mirrored into the VM.
pub struct UserptrVma {
    pub vm: Obj<GpuVm>,
    /// `userptr_interval`: its interval notifier.
    pub userptr_interval: Obj<MmuIntervalNotifier>,
    /// The CPU page it maps.
    pub page: usize,
    /// `saved_seq`: the notifier sequence its pages were obtained under. Under `vm->lock`.
    pub saved_seq: Guarded<isize>,
    /// The page pointers last obtained (a pfn, 0 if none). Under `vm->lock`.
    /// MODEL: the pages are kept as the pfn; `rebind_gpu_vma()`, the GPU page-table update,
    /// is folded into the job, which is built with them.
    pub pfn: Guarded<isize>,
}

/// A GPU VM with the given userptr locking.
pub fn gpu_vm_create(rev: UserptrRevision) -> Obj<GpuVm> {
    kzalloc("gpu_vm", |id, name| GpuVm {
        lock: RwSemaphore::new(id, name, "lock"),
        userptr_notifier_lock: RwSemaphore::new(id, name, "userptr_notifier_lock"),
        resv: DmaResv::new(id, name, "resv"),
        rev,
    })
}

/// The userptr gpu_vma's `struct mmu_interval_notifier_ops`.
pub struct UserptrNotifierOps {
    pub vm: Obj<GpuVm>,
}

impl MmuIntervalNotifierOps for UserptrNotifierOps {
    fn invalidate(
        &self,
        interval_sub: &Obj<MmuIntervalNotifier>,
        range: &MmuNotifierRange,
        cur_seq: isize,
    ) -> bool {
        gpu_vma_userptr_invalidate(&self.vm, interval_sub, range, cur_seq)
    }
}

/// A userptr gpu_vma of `page` in `vm`, its notifier not yet inserted (the caller inserts
/// it, at bind time).
pub fn userptr_vma_create(mm: &Obj<MmStruct>, vm: &Obj<GpuVm>, page: usize) -> Obj<UserptrVma> {
    let ops = Arc::new(UserptrNotifierOps { vm: vm.clone() });
    let isub = mmu_interval_notifier_alloc(mm, page, page, ops);
    kzalloc("uvma", |_, name| UserptrVma {
        vm: vm.clone(),
        userptr_interval: isub,
        page,
        saved_seq: Guarded::new(format!("{name}.saved_seq"), &vm.lock, 0),
        pfn: Guarded::new(format!("{name}.pfn"), &vm.lock, 0),
    })
}

/// `gpu_vma_userptr_invalidate()`, the invalidation example of drm-vm-bind-locking.rst
/// (v6.8), with the blockable check of Xe's `vma_userptr_invalidate()` (xe_vm.c:631, v6.8).
/// MODEL: the GPU page-table entries are not zapped (the document's example does not: no
/// job runs on them before exec has rebound the gpu_vma).
pub fn gpu_vma_userptr_invalidate(
    vm: &Obj<GpuVm>,
    userptr_interval: &Obj<MmuIntervalNotifier>,
    range: &MmuNotifierRange,
    cur_seq: isize,
) -> bool {
    let _f = trace_call("gpu_vma_userptr_invalidate", userptr_interval.name());
    if !range.mmu_notifier_range_blockable() {
        return false; // if (!mmu_notifier_range_blockable(range)) return false;  (xe)
    }
    let w = down_write(&vm.userptr_notifier_lock); // down_write(&gpu_vm->userptr_notifier_lock);
    if vm.rev != UserptrRevision::NoSetSeq {
        mmu_interval_set_seq(userptr_interval, cur_seq); // mmu_interval_set_seq(userptr_interval, cur_seq);
    }
    up_write(w); // up_write(&gpu_vm->userptr_notifier_lock);
    if vm.rev != UserptrRevision::NoFenceWait {
        dma_resv_wait_timeout(&vm.resv); // dma_resv_wait_timeout(&gpu_vm->resv, DMA_RESV_USAGE_BOOKKEEP, false, MAX_SCHEDULE_TIMEOUT);
    }
    ghost::userptr_invalidate_returns(&userptr_interval.mm, userptr_interval, range);
    true // return true;
}

/// `obtain_new_page_pointers()` of the document, with `hmm_range_fault()` under
/// `mmap_read_lock` (the way later Xe versions pin userptr pages): the pfn the CPU maps, or
/// -EBUSY / -EFAULT.
/// MODEL: no page reference is taken (the document's "obtain a reference ... and then drop
/// the reference": the GPU access is protected by the notifier, not by a reference).
fn obtain_new_page_pointers(uvma: &Obj<UserptrVma>, seq: isize) -> Result<isize, isize> {
    let mm = uvma.userptr_interval.mm.clone();
    let g = mmap_lock(&mm); // mmap_read_lock(mm);
    let pfn = hmm_range_fault(&mm, &uvma.userptr_interval, seq, uvma.page); // ret = hmm_range_fault(&range);
    mmap_unlock(g); // mmap_read_unlock(mm);
    pfn
}

/// The userptr part of revalidation at bind time (Xe's `xe_vma_userptr_pin_pages()` when the
/// gpu_vma is created): obtain the pages under a fresh `mmu_interval_read_begin()`.
pub fn userptr_vma_pin_pages(uvma: &Obj<UserptrVma>) -> isize {
    let _f = trace_call("userptr_vma_pin_pages", uvma.name());
    let vm = uvma.vm.clone();
    let l = down_write(&vm.lock); // down_write(&gpu_vm->lock);
    let seq = mmu_interval_read_begin(&uvma.userptr_interval); // seq = mmu_interval_read_begin(&gpu_vma->userptr_interval);
    let ret = match obtain_new_page_pointers(uvma, seq) {
        Ok(pfn) => {
            uvma.pfn.write(pfn);
            uvma.saved_seq.write(seq); // gpu_vma->saved_seq = seq;
            0
        }
        Err(e) => e,
    };
    up_write(l); // up_write(&gpu_vm->lock);
    ret
}

/// A submitted job: its fence and the pages it was built with.
pub struct GpuJob {
    pub fence: Obj<DmaFence>,
    pub ghost: GhostJob,
}

/// `gpu_submit(&gpu_job)`: arm the job on the pages the gpu_vma maps now. The caller holds
/// `vm->lock` (the pages are read under it).
fn gpu_submit(uvma: &Obj<UserptrVma>) -> GpuJob {
    lockdep_assert_held_write(&uvma.vm.lock);
    let fence = dma_fence_init(); // job_dma_fence = gpu_submit(&gpu_job);
    let ghost = GhostJob {
        fence: fence.clone(),
        pages: vec![(uvma.page, uvma.pfn.read())],
    };
    ghost::job_submitted(&uvma.userptr_interval.mm, &ghost);
    GpuJob { fence, ghost }
}

/// The exec function of drm-vm-bind-locking.rst (v6.8, "userptr gpu_vmas") for a VM with one
/// userptr gpu_vma: revalidate it if its sequence changed, lock the VM's resv, re-check the
/// sequence under `userptr_notifier_lock` held for read, submit, add the job's fence to the
/// resv, unlock. The job, or a negative errno.
/// MODEL: on a collision the resv lock is dropped before `goto retry` (the document's
/// pseudo-code keeps it, and would take it again below; Xe's exec drops every lock with
/// `drm_exec_fini()`); retries are bounded by `MAX_ATTEMPTS` (one invalidation per scenario
/// needs two); no dependencies, no external objects, no other gpu_vmas.
pub fn gpu_vm_exec(uvma: &Obj<UserptrVma>) -> Result<GpuJob, isize> {
    let vm = uvma.vm.clone();
    let isub = uvma.userptr_interval.clone();
    let _f = trace_call("gpu_vm_exec", vm.name());
    let l = down_write(&vm.lock); // down_write(&gpu_vm->lock);
    let mut ret = Err(EAGAIN);
    for _attempt in 0..MAX_ATTEMPTS {
        // retry:
        let seq = mmu_interval_read_begin(&isub); // seq = mmu_interval_read_begin(&gpu_vma->userptr_interval);
        if seq != uvma.saved_seq.read() {
            // if (seq != gpu_vma->saved_seq) {
            match obtain_new_page_pointers(uvma, seq) {
                // obtain_new_page_pointers(&gpu_vma);
                Ok(pfn) => uvma.pfn.write(pfn),
                Err(EBUSY) => continue, // (hmm_range_fault: -EBUSY, goto retry)
                Err(e) => {
                    ret = Err(e);
                    break;
                }
            }
            let r = dma_resv_lock(&vm.resv); // dma_resv_lock(&gpu_vm->resv);
                                             // add_gpu_vma_to_revalidate_list(&gpu_vma, &gpu_vm);  (MODEL: the rebind is the job's page list)
            dma_resv_unlock(r); // dma_resv_unlock(&gpu_vm->resv);
            uvma.saved_seq.write(seq); // gpu_vma->saved_seq = seq;
        }
        let r = dma_resv_lock(&vm.resv); // dma_resv_lock(gpu_vm->resv);  (the usual revalidation, add_dependencies(&gpu_job, &gpu_vm->resv))
        let n = down_read(&vm.userptr_notifier_lock); // down_read(&gpu_vm->userptr_notifier_lock);
        if vm.rev != UserptrRevision::SkipReadRetry
            && mmu_interval_read_retry(&isub, uvma.saved_seq.read())
        {
            // if (mmu_interval_read_retry(&gpu_vma->userptr_interval, gpu_vma->saved_seq)) {
            witness(&READ_RETRY_COLLIDES);
            up_read(n); // up_read(&gpu_vm->userptr_notifier_lock);
            dma_resv_unlock(r); // (MODEL: see above)
            continue; // goto retry;
        }
        let job = gpu_submit(uvma); // job_dma_fence = gpu_submit(&gpu_job));
        if vm.rev == UserptrRevision::PublishAfterUnlock {
            up_read(n); // (the mistake) up_read(&gpu_vm->userptr_notifier_lock);
            dma_resv_add_fence(&vm.resv, &job.fence); // add_dma_fence(job_dma_fence, &gpu_vm->resv);
            dma_resv_unlock(r); // dma_resv_unlock_all_resv_locks();
        } else {
            dma_resv_add_fence(&vm.resv, &job.fence); // add_dma_fence(job_dma_fence, &gpu_vm->resv);
            dma_resv_unlock(r); // dma_resv_unlock_all_resv_locks();
            up_read(n); // up_read(&gpu_vm->userptr_notifier_lock);
        }
        ret = Ok(job);
        break;
    }
    up_write(l); // up_write(&gpu_vm->lock);
    ret
}

/// The GPU runs `job`: until its fence signals it may access the pages it was built with.
/// MODEL: the GPU is not a CPU of its own: the submitting CPU runs the job after the exec
/// returns, as one DMA write to each page, then signals the fence (what the scheduler's
/// `drm_sched_fence_finished()` does when the hardware is done).
pub fn gpu_job_run(mm: &Obj<MmStruct>, job: &GpuJob) {
    let _f = trace_call("gpu_job_run", job.fence.name());
    for &(_, pfn) in &job.ghost.pages {
        WRITE_ONCE(&mm.page_mem[pfn as usize - 1], 1); // the GPU's DMA write to the userptr page
        ghost::job_accessed(mm, &job.ghost, pfn);
    }
    dma_fence_signal(&job.fence); // dma_fence_signal(&s_fence->finished);
}
