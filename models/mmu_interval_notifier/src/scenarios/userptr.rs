//! Scenario bodies of the GPU userptr exec pattern (Documentation/gpu/drm-vm-bind-locking.rst)
//! against munmap and migration.

use checker::kernel::{kfree, Obj};
use checker::scenario::{join, spawn_cpu};

use crate::dma_resv::dma_resv_fini;
use crate::ghost::check_quiescent;
use crate::mm_types::{MmStruct, ReadBeginRevision};
use crate::mmap::{migrate_vma, mm_alloc, mmput, munmap, MIGRATE_DST_PFN};
use crate::mmu_notifier::{
    mmu_interval_notifier_insert, mmu_interval_notifier_remove, ReleaseRevision,
};
use crate::xe_vm::{
    gpu_job_run, gpu_vm_create, gpu_vm_exec, userptr_vma_create, userptr_vma_pin_pages, GpuVm,
    UserptrRevision, UserptrVma,
};

/// What CPU1 does to page 0 while CPU0 runs a userptr exec.
#[derive(Clone, Copy)]
pub(crate) enum CpuSide {
    Munmap,
    Migrate,
}

/// CPU0 runs a GPU exec on a VM whose one userptr gpu_vma maps page 0 (bound, its pages
/// obtained, when the scenario starts), then the job it submitted (the job writes the page,
/// then signals its fence), while CPU1 munmaps page 0.
pub(crate) fn userptr_exec_vs_munmap_with(rev: UserptrRevision) {
    userptr_exec_vs(rev, CpuSide::Munmap, ReadBeginRevision::Upstream)
}

/// [`userptr_exec_vs_munmap_with`] with CPU1 doing `cpu` to page 0.
pub(crate) fn userptr_exec_vs(rev: UserptrRevision, cpu: CpuSide, read_begin: ReadBeginRevision) {
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
    userptr_teardown(&mm, &vm, &uvma);
}

/// The end of a userptr scenario, once every CPU is joined: the notifier is quiescent;
/// unbind (the gpu_vma's notifier goes), then the process exits and everything is freed.
pub(crate) fn userptr_teardown(mm: &Obj<MmStruct>, vm: &Obj<GpuVm>, uvma: &Obj<UserptrVma>) {
    check_quiescent(mm, &[&uvma.userptr_interval]);
    mmu_interval_notifier_remove(&uvma.userptr_interval);
    mmput(mm, ReleaseRevision::Upstream);
    dma_resv_fini(&vm.resv);
    for f in vm.resv.ghost_fences() {
        kfree(&f);
    }
    kfree(&uvma.userptr_interval);
    kfree(uvma);
    kfree(vm);
}

pub(crate) fn userptr_exec_vs_migrate() {
    userptr_exec_vs(
        UserptrRevision::Upstream,
        CpuSide::Migrate,
        ReadBeginRevision::Upstream,
    )
}

pub(crate) fn userptr_exec_vs_migrate_locked_wait() {
    userptr_exec_vs(
        UserptrRevision::Upstream,
        CpuSide::Migrate,
        ReadBeginRevision::LockedWaitCondition,
    )
}

pub(crate) fn userptr_exec_vs_munmap() {
    userptr_exec_vs_munmap_with(UserptrRevision::Upstream)
}

pub(crate) fn userptr_exec_vs_munmap_publish_after_unlock() {
    userptr_exec_vs_munmap_with(UserptrRevision::PublishAfterUnlock)
}

pub(crate) fn userptr_exec_vs_munmap_skip_read_retry() {
    userptr_exec_vs_munmap_with(UserptrRevision::SkipReadRetry)
}

pub(crate) fn userptr_exec_vs_munmap_no_fence_wait() {
    userptr_exec_vs_munmap_with(UserptrRevision::NoFenceWait)
}

pub(crate) fn userptr_exec_vs_munmap_no_set_seq() {
    userptr_exec_vs_munmap_with(UserptrRevision::NoSetSeq)
}
