//! Immediate mode and deferred cleanup (v6.18 gpuva.lock; the ~v6.19 deferred-cleanup
//! series).

use checker::kernel::{kfree, mutex_lock, mutex_unlock, trace_note, Obj};
use checker::scenario::{check, join, spawn_cpu, witness_if};

use crate::drm_gpuvm::*;
use crate::invariants::*;

/// obtained the immediate-mode way (`drm_gpuvm_bo_create` outside the lock, then
/// `drm_gpuvm_bo_obtain_prealloc`), added to the extobj list, with one va linked to it. The
/// vm_bo's only reference is the va's.
pub(crate) struct Immediate {
    pub(crate) vm: Obj<DrmGpuvm>,
    pub(crate) gem: Obj<DrmGemObject>,
    pub(crate) vm_bo: Obj<DrmGpuvmBo>,
    pub(crate) va: Obj<DrmGpuva>,
}

pub(crate) fn setup_immediate(locking: ListLocking) -> Immediate {
    let vm = drm_gpuvm_init(locking, true);
    let gem = drm_gem_object_init(&vm);
    let (vm_bo, va) = vm_bind_map(&vm, &gem);
    Immediate { vm, gem, vm_bo, va }
}

/// The VM_BIND map path of an immediate-mode driver (panthor's shape): preallocate the vm_bo
/// and the va outside any lock, obtain, add to the extobj list, link the va under
/// `obj->gpuva.lock`, then drop the op context's vm_bo reference with a deferred put.
pub(crate) fn vm_bind_map(
    vm: &Obj<DrmGpuvm>,
    gem: &Obj<DrmGemObject>,
) -> (Obj<DrmGpuvmBo>, Obj<DrmGpuva>) {
    let pre = drm_gpuvm_bo_create(vm, gem); // preallocated_vm_bo = drm_gpuvm_bo_create(&vm->base, bo);
    let va = drm_gpuva_alloc(vm, gem); // vma = kzalloc(sizeof(*vma), GFP_KERNEL);
    let vm_bo = drm_gpuvm_bo_obtain_prealloc(&pre); // op_ctx->map.vm_bo = drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
    let vm_resv = drm_gpuvm_resv_protected(vm).then(|| mutex_lock(&vm.resv)); // drm_gpuvm_resv_lock(gpuvm) (RESV_PROTECTED)
    drm_gpuvm_bo_extobj_add(&vm_bo); // drm_gpuvm_bo_extobj_add(op_ctx->map.vm_bo);
    if let Some(g) = vm_resv {
        mutex_unlock(g); // drm_gpuvm_resv_unlock(gpuvm)
    }
    let g = mutex_lock(&gem.gpuva_lock); // mutex_lock(&bo->base.base.gpuva.lock);
    drm_gpuva_link(&va, &vm_bo); // drm_gpuva_link(&vma->base, vm_bo);
    mutex_unlock(g); // mutex_unlock(&bo->base.base.gpuva.lock);
    drm_gpuvm_bo_put_deferred(Some(&vm_bo), DeferredPutRevision::Upstream); // drm_gpuvm_bo_put_deferred(op_ctx->map.vm_bo);
    (vm_bo, va)
}

/// Unmap `va` from the fence-signalling path (`drm_gpuva_unlink_defer`) and free it.
pub(crate) fn run_job_unmap(va: &Obj<DrmGpuva>) {
    drm_gpuva_unlink_defer(va); // drm_gpuva_unlink_defer(&vma->base);
    kfree(va); // kfree(vma);
}

/// End of an immediate-mode scenario: clean up the zombies, drop the VM.
pub(crate) fn teardown_immediate(vm: &Obj<DrmGpuvm>) {
    drm_gpuvm_bo_deferred_cleanup(vm, CleanupRevision::Upstream); // drm_gpuvm_bo_deferred_cleanup(&vm->base);
    drm_gpuvm_put(vm);
}

/// CPU0 (`run_job`) drops the vm_bo's last reference with a deferred put of revision `rev`,
/// while CPU1 (VM_BIND) obtains the vm_bo of the same (VM, GEM) and drops it again.
pub(crate) fn deferred_put_races_obtain(rev: DeferredPutRevision) {
    let s = setup_immediate(ListLocking::Spinlock);
    // The op context of an earlier VM_BIND still holds a reference: the va's is moved there.
    drm_gpuvm_bo_get(&s.vm_bo);
    run_job_unmap(&s.va);
    let vm_bo = s.vm_bo.clone();
    let put = spawn_cpu(move || {
        drm_gpuvm_bo_put_deferred(Some(&vm_bo), rev); // drm_gpuvm_bo_put_deferred(op_ctx->map.vm_bo);
    });
    let (vm, gem, old) = (s.vm.clone(), s.gem.clone(), s.vm_bo.clone());
    let bind = spawn_cpu(move || {
        let pre = drm_gpuvm_bo_create(&vm, &gem); // preallocated_vm_bo = drm_gpuvm_bo_create(&vm->base, bo);
        let vm_bo = drm_gpuvm_bo_obtain_prealloc(&pre); // drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
        witness_if(!vm_bo.ptr_eq(&old), &OBTAIN_AFTER_ZOMBIE); // (old is only freed at teardown)
        drm_gpuvm_bo_put_deferred(Some(&vm_bo), DeferredPutRevision::Upstream); // (the bind fails later) drm_gpuvm_bo_put_deferred(vm_bo);
    });
    join(put);
    join(bind);
    drm_gem_object_put(&s.gem);
    teardown_immediate(&s.vm);
}

pub(crate) fn deferred_put_races_obtain_v3() {
    deferred_put_races_obtain(DeferredPutRevision::V3PutThenLock)
}

pub(crate) fn deferred_put_races_obtain_fixed() {
    deferred_put_races_obtain(DeferredPutRevision::Upstream)
}

/// CPU0 (`run_job`) drops the vm_bo's last reference with a deferred put of revision `rev`
/// while CPU1 (a cleanup worker) runs the deferred cleanup; the GEM handle is already closed,
/// so the vm_bo holds the GEM's last reference.
pub(crate) fn deferred_put_races_cleanup(rev: DeferredPutRevision) {
    let s = setup_immediate(ListLocking::Spinlock);
    drm_gpuvm_bo_get(&s.vm_bo); // the op context's reference (see above)
    run_job_unmap(&s.va);
    drm_gem_object_put(&s.gem); // drm_gem_handle_delete() -> drm_gem_object_put()
    let vm_bo = s.vm_bo.clone();
    let put = spawn_cpu(move || {
        drm_gpuvm_bo_put_deferred(Some(&vm_bo), rev); // drm_gpuvm_bo_put_deferred(op_ctx->map.vm_bo);
    });
    let (vm, zombie) = (s.vm.clone(), s.vm_bo.clone());
    let cleanup = spawn_cpu(move || {
        drm_gpuvm_bo_deferred_cleanup(&vm, CleanupRevision::Upstream); // drm_gpuvm_bo_deferred_cleanup(&vm->base);
        witness_if(zombie.is_freed(), &CLEANUP_FREES_QUEUED_ZOMBIE); // (nothing else frees it before teardown)
    });
    join(put);
    join(cleanup);
    teardown_immediate(&s.vm);
}

pub(crate) fn deferred_put_races_cleanup_broken() {
    deferred_put_races_cleanup(DeferredPutRevision::AddBeforeUnlock)
}

pub(crate) fn deferred_put_races_cleanup_fixed() {
    deferred_put_races_cleanup(DeferredPutRevision::Upstream)
}

/// RESV_PROTECTED + immediate mode: `run_job` (CPU0) unmaps the last va of an evicted
/// extobj vm_bo, which becomes a zombie and stays on the VM's lists, then a worker's
/// deferred cleanup of revision `rev` frees it, while a submit (CPU1) prepares and validates
/// under the VM's resv, walking those lists.
pub(crate) fn zombie_cleanup(rev: CleanupRevision) {
    let s = setup_immediate(ListLocking::ResvProtected);
    {
        // TTM evicts the BO; the next submit's prepare_objects queues it on the evict list.
        let g = mutex_lock(&s.gem.resv); // dma_resv_lock(obj->resv, NULL);
        drm_gpuvm_bo_evict(&s.vm_bo, true); // drm_gpuvm_bo_evict(vm_bo, true);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        submit(&s.vm);
    }
    let (va, vm) = (s.va.clone(), s.vm.clone());
    let unmap = spawn_cpu(move || {
        run_job_unmap(&va);
        drm_gpuvm_bo_deferred_cleanup(&vm, rev); // (vm_bo_free_work) drm_gpuvm_bo_deferred_cleanup(&vm->base);
    });
    let vm = s.vm.clone();
    let exec = spawn_cpu(move || submit(&vm));
    join(unmap);
    join(exec);
    drm_gem_object_put(&s.gem);
    teardown_immediate(&s.vm);
}

/// A submit of a RESV_PROTECTED VM: lock the VM's resv, prepare the objects, validate, unlock.
pub(crate) fn submit(vm: &Obj<DrmGpuvm>) {
    let mut exec = DrmExec::default();
    let vm_resv = mutex_lock(&vm.resv); // drm_gpuvm_prepare_vm(): drm_exec_prepare_obj(exec, gpuvm->r_obj)
    let mut ret = drm_gpuvm_prepare_objects(vm, &mut exec); // drm_gpuvm_prepare_objects(gpuvm, exec, num_fences);
    if ret == 0 {
        ret = drm_gpuvm_validate(vm, &mut exec); // drm_gpuvm_validate(gpuvm, exec);
    }
    trace_note("return", "", &ret.to_string());
    drm_exec_fini(exec);
    mutex_unlock(vm_resv); // drm_exec_fini(): dma_resv_unlock(gpuvm->r_obj->resv)
}

pub(crate) fn zombie_cleanup_unlocked() {
    zombie_cleanup(CleanupRevision::NoResv)
}

pub(crate) fn zombie_cleanup_fixed() {
    zombie_cleanup(CleanupRevision::Upstream)
}

/// Which `drm_gpuvm_bo_obtain_prealloc()`.
#[derive(Clone, Copy)]
pub(crate) enum Prealloc {
    /// v6.8: the caller holds the GEM's resv (the GEM gpuva lock of a non-immediate VM).
    V6_8,
    /// Nov 2025: immediate mode, the function takes `obj->gpuva.lock` itself.
    Immediate,
}

/// Two VM_BIND paths map the same GEM in one VM with a preallocated vm_bo each; main checks
/// that they share one vm_bo, then unmaps both.
pub(crate) fn obtain_prealloc_races(kind: Prealloc) {
    let immediate = matches!(kind, Prealloc::Immediate);
    let vm = drm_gpuvm_init(ListLocking::Spinlock, immediate);
    let gem = drm_gem_object_init(&vm);
    let vas: std::sync::Arc<std::sync::Mutex<Vec<Obj<DrmGpuva>>>> = Default::default();
    let cpus = [0, 1].map(|_| {
        let (vm, gem, vas) = (vm.clone(), gem.clone(), vas.clone());
        spawn_cpu(move || {
            let pre = drm_gpuvm_bo_create(&vm, &gem); // preallocated_vm_bo = drm_gpuvm_bo_create(gpuvm, obj);
            let va = drm_gpuva_alloc(&vm, &gem); // va = kzalloc(...);
            match kind {
                Prealloc::V6_8 => {
                    let g = mutex_lock(&gem.resv); // dma_resv_lock(obj->resv, NULL);
                    let vm_bo = drm_gpuvm_bo_obtain_prealloc_v6_8(&pre); // vm_bo = drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
                    drm_gpuva_link(&va, &vm_bo); // drm_gpuva_link(va, vm_bo);
                    drm_gpuvm_bo_put(Some(&vm_bo)); // drm_gpuvm_bo_put(vm_bo);  (the va holds its own)
                    mutex_unlock(g); // dma_resv_unlock(obj->resv);
                }
                Prealloc::Immediate => {
                    let vm_bo = drm_gpuvm_bo_obtain_prealloc(&pre); // vm_bo = drm_gpuvm_bo_obtain_prealloc(preallocated_vm_bo);
                    let g = mutex_lock(&gem.gpuva_lock); // mutex_lock(&obj->gpuva.lock);
                    drm_gpuva_link(&va, &vm_bo); // drm_gpuva_link(va, vm_bo);
                    mutex_unlock(g); // mutex_unlock(&obj->gpuva.lock);
                    drm_gpuvm_bo_put_deferred(Some(&vm_bo), DeferredPutRevision::Upstream);
                    // drm_gpuvm_bo_put_deferred(vm_bo);
                }
            }
            vas.lock().unwrap().push(va);
        })
    });
    for c in cpus {
        join(c);
    }
    check_vm_bo_unique(&vm, &gem);
    for va in vas.lock().unwrap().drain(..) {
        match kind {
            Prealloc::V6_8 => {
                let g = mutex_lock(&gem.resv); // dma_resv_lock(obj->resv, NULL);
                drm_gpuva_unlink(&va); // drm_gpuva_unlink(va);
                mutex_unlock(g); // dma_resv_unlock(obj->resv);
                kfree(&va);
            }
            Prealloc::Immediate => run_job_unmap(&va),
        }
    }
    drm_gem_object_put(&gem);
    teardown_immediate(&vm);
}

pub(crate) fn obtain_prealloc_races_v6_8() {
    obtain_prealloc_races(Prealloc::V6_8)
}

pub(crate) fn obtain_prealloc_races_immediate() {
    obtain_prealloc_races(Prealloc::Immediate)
}

/// The three driver paths of an immediate-mode VM at once: VM_BIND maps the GEM again
/// (CPU0), `run_job` unmaps the existing va (CPU1), and userspace closes the GEM handle while
/// a worker runs the deferred cleanup (CPU2).
pub(crate) fn vm_bind_races_unmap_and_close() {
    let s = setup_immediate(ListLocking::Spinlock);
    drm_gem_object_get(&s.gem); // the VM_BIND ioctl's drm_gem_object_lookup()
    let mapped: std::sync::Arc<std::sync::Mutex<Option<Obj<DrmGpuva>>>> = Default::default();
    let (vm, gem, out, old) = (s.vm.clone(), s.gem.clone(), mapped.clone(), s.vm_bo.clone());
    let bind = spawn_cpu(move || {
        let (vm_bo, va) = vm_bind_map(&vm, &gem);
        witness_if(!vm_bo.ptr_eq(&old), &OBTAIN_AFTER_ZOMBIE); // obtain_prealloc no longer found old
        drm_gem_object_put(&gem); // drm_gem_object_put(obj);  (end of the ioctl)
        *out.lock().unwrap() = Some(va);
    });
    let va = s.va.clone();
    let unmap = spawn_cpu(move || run_job_unmap(&va));
    let (vm, gem) = (s.vm.clone(), s.gem.clone());
    let close = spawn_cpu(move || {
        drm_gem_object_put(&gem); // drm_gem_handle_delete() -> drm_gem_object_put()
        drm_gpuvm_bo_deferred_cleanup(&vm, CleanupRevision::Upstream); // drm_gpuvm_bo_deferred_cleanup(&vm->base);
    });
    join(bind);
    join(unmap);
    join(close);
    let va2 = mapped.lock().unwrap().take().expect("VM_BIND mapped");
    run_job_unmap(&va2);
    teardown_immediate(&s.vm);
}

/// [`VM_BO_UNIQUE`] of `vm` in `gem`'s gpuva list (ghost).
pub(crate) fn check_vm_bo_unique(vm: &Obj<DrmGpuvm>, gem: &Obj<DrmGemObject>) {
    let of_vm = gem
        .ghost()
        .gpuva_list
        .ghost_entries::<DrmGpuvmBo>()
        .iter()
        .filter(|b| b.ghost().vm.ptr_eq(vm))
        .count();
    check(of_vm <= 1, &VM_BO_UNIQUE, || {
        format!("{} has {of_vm} vm_bos of {}", gem.name(), vm.name())
    });
}
