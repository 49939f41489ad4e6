//! A4 and A9: the final put and `drm_gpuvm_bo_obtain()` with and without the GEM gpuva
//! lock.

use checker::kernel::{mutex_lock, mutex_unlock, Obj};
use checker::scenario::{join, spawn_cpu, witness_if};

use super::immediate::check_vm_bo_unique;
use super::prepare_objects::final_put;
use super::resv_lock_dance::setup_one_vm_bo;
use crate::drm_gpuvm::*;
use crate::invariants::*;

/// new mapping of the same (VM, GEM): obtain (find) under the lock, then unbind.
pub(crate) fn put_races_obtain(put_locked: bool) {
    let (vm, gem, vm_bo) = setup_one_vm_bo();
    let (vm0, gem0, vm1, gem1) = (vm.clone(), gem.clone(), vm.clone(), gem.clone());
    let old = vm_bo.clone(); // ghost: whether the old vm_bo is freed yet
    let unmap = spawn_cpu(move || {
        if put_locked {
            final_put(&vm0, &gem0, &vm_bo);
        } else {
            drm_gpuvm_bo_put(Some(&vm_bo)); // drm_gpuvm_bo_put(vm_bo);  /* without dma_resv_lock(obj->resv) */
        }
    });
    let bind = spawn_cpu(move || {
        let g = mutex_lock(drm_gem_gpuva_lock(&vm1, &gem1)); // dma_resv_lock(obj->resv, NULL);
        witness_if(old.is_freed(), &OBTAIN_AFTER_FINAL_PUT);
        witness_if(!old.is_freed(), &OBTAIN_BEFORE_FINAL_PUT);
        let vm_bo = drm_gpuvm_bo_obtain(&vm1, &gem1); // vm_bo = drm_gpuvm_bo_obtain(gpuvm, obj);
        drm_gpuvm_bo_put(Some(&vm_bo)); // (the mapping goes away again) drm_gpuvm_bo_put(vm_bo);
        mutex_unlock(g); // dma_resv_unlock(obj->resv);
    });
    join(unmap);
    join(bind);
    drm_gem_object_put(&gem);
    drm_gpuvm_put(&vm);
}

pub(crate) fn put_races_obtain_broken() {
    put_races_obtain(false)
}

pub(crate) fn put_races_obtain_fixed() {
    put_races_obtain(true)
}

// ---------------------------------------------------------------------------------------
// A9: obtain without the GEM gpuva lock
// ---------------------------------------------------------------------------------------

/// Two CPUs obtain the vm_bo of one (VM, GEM), with or without the GEM gpuva lock; main
/// checks uniqueness, then drops what they obtained.
pub(crate) fn obtain_races_obtain(locked: bool) {
    let vm = drm_gpuvm_init(ListLocking::Spinlock, false);
    let gem = drm_gem_object_init(&vm);
    let got: std::sync::Arc<std::sync::Mutex<Vec<Obj<DrmGpuvmBo>>>> = Default::default();
    let cpus = [0, 1].map(|_| {
        let (vm, gem, got) = (vm.clone(), gem.clone(), got.clone());
        spawn_cpu(move || {
            let g = locked.then(|| mutex_lock(drm_gem_gpuva_lock(&vm, &gem))); // dma_resv_lock(obj->resv, NULL);
            let vm_bo = drm_gpuvm_bo_obtain(&vm, &gem); // vm_bo = drm_gpuvm_bo_obtain(gpuvm, obj);
            if let Some(g) = g {
                mutex_unlock(g); // dma_resv_unlock(obj->resv);
            }
            let mut got = got.lock().unwrap();
            witness_if(got.iter().any(|o| o.ptr_eq(&vm_bo)), &OBTAIN_FINDS_OTHERS);
            got.push(vm_bo);
        })
    });
    for c in cpus {
        join(c);
    }
    check_vm_bo_unique(&vm, &gem);
    for vm_bo in got.lock().unwrap().drain(..) {
        final_put(&vm, &gem, &vm_bo);
    }
    drm_gem_object_put(&gem);
    drm_gpuvm_put(&vm);
}

pub(crate) fn obtain_races_obtain_broken() {
    obtain_races_obtain(false)
}

pub(crate) fn obtain_races_obtain_fixed() {
    obtain_races_obtain(true)
}

// ---------------------------------------------------------------------------------------
