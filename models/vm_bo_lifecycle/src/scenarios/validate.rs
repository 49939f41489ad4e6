//! `drm_gpuvm_validate()` in both list-locking modes, and against the eviction path.

use std::sync::atomic::Ordering::Relaxed;

use checker::kernel::{mutex_lock, mutex_unlock, Obj};
use checker::scenario::{check, join, spawn_cpu, witness_if};

use super::prepare_objects::{
    check_extobj_list_restored, final_put, setup_two_extobjs, teardown, SubmitGhost,
};
use crate::drm_gpuvm::*;
use crate::invariants::*;

/// the VM's in RESV_PROTECTED mode), as TTM's eviction path leaves them.
pub(crate) fn evict(vm: &Obj<DrmGpuvm>, vm_bos: &[Obj<DrmGpuvmBo>]) {
    for vm_bo in vm_bos {
        let vm_resv = drm_gpuvm_resv_protected(vm).then(|| mutex_lock(&vm.resv));
        let g = mutex_lock(&vm_bo.obj.resv); // dma_resv_lock(obj->resv, NULL);
        drm_gpuvm_bo_evict(vm_bo, true); // drm_gpuvm_bo_evict(vm_bo, true);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
        if let Some(g) = vm_resv {
            mutex_unlock(g);
        }
    }
}

/// The exec path of a driver's submit: lock the VM's resv (`drm_gpuvm_prepare_vm`), every
/// external object (`drm_gpuvm_prepare_objects`), validate, then `drm_exec_fini`.
pub(crate) fn exec_validate(vm: &Obj<DrmGpuvm>, vm_bos: &[Obj<DrmGpuvmBo>], ghost: &SubmitGhost) {
    let mut exec = DrmExec::default();
    let vm_resv = mutex_lock(&vm.resv); // drm_gpuvm_prepare_vm(): drm_exec_prepare_obj(exec, gpuvm->r_obj)
    ghost.in_transaction.store(true, Relaxed);
    let mut ret = drm_gpuvm_prepare_objects(vm, &mut exec); // drm_gpuvm_prepare_objects(gpuvm, exec, num_fences);
    ghost.prepared(&exec);
    if ret == 0 {
        ret = drm_gpuvm_validate(vm, &mut exec); // drm_gpuvm_validate(gpuvm, exec);
    }
    let left: Vec<&str> = vm_bos
        .iter()
        .filter(|b| b.ghost().kref.ghost_read() > 0 && b.ghost().evicted.ghost_read())
        .map(|b| b.name())
        .collect();
    check(ret != 0 || left.is_empty(), &VALIDATE_COMPLETE, || {
        format!(
            "drm_gpuvm_validate({}) returned 0 with {} still evicted",
            vm.name(),
            left.join(", ")
        )
    });
    ghost.in_transaction.store(false, Relaxed);
    drm_exec_fini(exec);
    mutex_unlock(vm_resv); // drm_exec_fini(): dma_resv_unlock(gpuvm->r_obj->resv)
}

/// Two submits validate the VM while the unmap path drops the first vm_bo's last reference.
pub(crate) fn validate_race(locking: ListLocking) {
    let s = setup_two_extobjs(locking);
    evict(&s.vm, &s.vm_bos);
    let ghost = SubmitGhost::with_final_put(&s.gems[0], &s.vm_bos[0]);
    let cpus: Vec<_> = (0..2)
        .map(|_| {
            let (vm, vm_bos, ghost) = (s.vm.clone(), s.vm_bos.clone(), ghost.clone());
            spawn_cpu(move || exec_validate(&vm, &vm_bos, &ghost))
        })
        .collect();
    let (vm, gem_a, vm_bo_a) = (s.vm.clone(), s.gems[0].clone(), s.vm_bos[0].clone());
    let put = spawn_cpu(move || final_put(&vm, &gem_a, &vm_bo_a));
    for c in cpus {
        join(c);
    }
    join(put);
    check_extobj_list_restored(&s);
    teardown(s);
}

pub(crate) fn validate_default_mode() {
    validate_race(ListLocking::Spinlock)
}

/// TTM's eviction path (CPU1: the GEM's resv, `drm_gpuvm_bo_evict(vm_bo, true)`) races with a
/// submit (CPU0) on a VM whose first extobj is already evicted. VALIDATE_COMPLETE is checked
/// while the submit still holds every resv, so an eviction can only land before the submit
/// locked that GEM (and is then validated) or after it unlocked.
pub(crate) fn validate_races_evict(locking: ListLocking) {
    let s = setup_two_extobjs(locking);
    evict(&s.vm, &s.vm_bos[..1]);
    let ghost = SubmitGhost::default();
    let (vm, vm_bos, g0) = (s.vm.clone(), s.vm_bos.clone(), ghost.clone());
    let submit = spawn_cpu(move || exec_validate(&vm, &vm_bos, &g0));
    let vm_bo_b = s.vm_bos[1].clone();
    let evict = spawn_cpu(move || {
        let g = mutex_lock(&vm_bo_b.obj.resv); // dma_resv_lock(bo->base.resv, NULL);  (ttm_bo_evict)
        drm_gpuvm_bo_evict(&vm_bo_b, true); // drm_gpuvm_bo_evict(vm_bo, true);  (the driver's move_notify)
        witness_if(ghost.in_transaction.load(Relaxed), &EVICT_DURING_SUBMIT);
        mutex_unlock(g); // dma_resv_unlock(bo->base.resv);
    });
    join(submit);
    join(evict);
    check_extobj_list_restored(&s);
    teardown(s);
}

pub(crate) fn validate_races_evict_default_mode() {
    validate_races_evict(ListLocking::Spinlock)
}

pub(crate) fn validate_races_evict_resv_protected() {
    validate_races_evict(ListLocking::ResvProtected)
}

pub(crate) fn validate_resv_protected() {
    validate_race(ListLocking::ResvProtected)
}

// ---------------------------------------------------------------------------------------
