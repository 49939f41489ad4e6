//! A3: the "resv lock dance" (Boris Brezillon, v5 thread, Oct 3 2023; Rust GPUVM v2, 2025).

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use checker::kernel::{mutex_lock, mutex_unlock, Obj};
use checker::scenario::{join, spawn_cpu, witness_if};

use crate::drm_gpuvm::*;
use crate::invariants::*;

/// inside it. With `gem_ref` it holds its own GEM reference across the dance (the fix).
/// `in_dance` is ghost: set while the driver holds obj->resv (for [`HANDLE_CLOSED_IN_DANCE`]).
pub(crate) fn driver_put_under_resv(vm_bo: &Obj<DrmGpuvmBo>, gem_ref: bool, in_dance: &AtomicBool) {
    let obj = vm_bo.obj.clone(); // struct drm_gem_object *obj = vm_bo->obj;
    if gem_ref {
        drm_gem_object_get(&obj); // drm_gem_object_get(obj);
    }
    let g = mutex_lock(&obj.resv); // dma_resv_lock(obj->resv, NULL);
    in_dance.store(true, Relaxed);
    drm_gpuvm_bo_put(Some(vm_bo)); // drm_gpuvm_bo_put(vm_bo);
    in_dance.store(false, Relaxed);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
    if gem_ref {
        drm_gem_object_put(&obj); // drm_gem_object_put(obj);
    }
}

/// One VM (default mode), one GEM holding its handle's reference, and the vm_bo of the two,
/// obtained under the GEM gpuva lock; the caller holds one reference on each.
pub(crate) fn setup_one_vm_bo() -> (Obj<DrmGpuvm>, Obj<DrmGemObject>, Obj<DrmGpuvmBo>) {
    let vm = drm_gpuvm_init(ListLocking::Spinlock, false);
    let gem = drm_gem_object_init(&vm);
    let g = mutex_lock(drm_gem_gpuva_lock(&vm, &gem)); // dma_resv_lock(obj->resv, NULL);
    let vm_bo = drm_gpuvm_bo_obtain(&vm, &gem);
    mutex_unlock(g); // dma_resv_unlock(obj->resv);
    (vm, gem, vm_bo)
}

/// One VM, one GEM with its handle reference, one vm_bo whose last reference the driver
/// drops under the GEM's resv while userspace closes the GEM handle.
pub(crate) fn resv_lock_dance(gem_ref: bool) {
    let (vm, gem, vm_bo) = setup_one_vm_bo(); // gem: the handle's reference
    let in_dance = Arc::new(AtomicBool::new(false)); // ghost
    let d = in_dance.clone();
    let put = spawn_cpu(move || driver_put_under_resv(&vm_bo, gem_ref, &d));
    let close = spawn_cpu(move || {
        witness_if(in_dance.load(Relaxed), &HANDLE_CLOSED_IN_DANCE);
        drm_gem_object_put(&gem); // drm_gem_handle_delete() -> drm_gem_object_put()
    });
    join(put);
    join(close);
    drm_gpuvm_put(&vm);
}

pub(crate) fn resv_lock_dance_broken() {
    resv_lock_dance(false)
}

pub(crate) fn resv_lock_dance_fixed() {
    resv_lock_dance(true)
}

// ---------------------------------------------------------------------------------------
