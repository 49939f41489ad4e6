//! A driver's VM_BIND and GPU fault paths on top of drm_gpuvm: the `sm_step_*` callbacks of
//! the drm_gpuvm.c kernel-doc example ("DOC: Split and Merge", driver_gpuva_map/remap/unmap),
//! with the locking of each option of the 2023 debate.

use checker::kernel::{
    kfree, kmem_cache_free, mutex_lock, mutex_unlock, rcu_read_lock, rcu_read_unlock, spin_lock,
    spin_unlock, Obj, SlabPtr,
};
use checker::scenario::{check, witness, witness_if};

use crate::drm_gpuvm::*;
use crate::invariants::*;

/// GEM of the initial mapping, and of the new one.
pub(crate) const GEM_A: GemId = 1;
pub(crate) const GEM_B: GemId = 2;

/// The initial mapping: VA pages [0, 4) → GEM_A pages [0, 4).
pub(crate) const VA0: VaDesc = VaDesc {
    addr: 0,
    range: 4,
    obj: GEM_A,
    offset: 0,
};

/// How a VM_BIND updates the tree.
#[derive(Clone, Copy)]
pub(crate) struct Bind {
    /// Whether the driver's lock is held across the walk and the steps.
    pub locked: bool,
    pub free: Free,
    /// Shrink a split va to its prev remainder with one store instead of remove + insert.
    pub in_place: bool,
}

/// The driver's `priv` for `drm_gpuvm_sm_map()`: preallocated vas, and what it frees.
pub(crate) struct Driver<'a> {
    vm: &'a DrmGpuvm,
    prealloc: Vec<SlabPtr<DrmGpuva>>,
    bind: Bind,
    how: Read,
    /// The map request (None for an unmap), for the SM_MAP_SPEC check of each op.
    req: Option<VaDesc>,
    pub deferred: Vec<SlabPtr<DrmGpuva>>,
}

impl Driver<'_> {
    fn check(&self, op: &DrmGpuvaOp<SlabPtr<DrmGpuva>>) {
        let errs = check_op(op, self.req);
        check(errs.is_empty(), &SM_MAP_SPEC, || errs.join("; "));
    }

    fn va(&mut self) -> SlabPtr<DrmGpuva> {
        self.prealloc
            .pop()
            .expect("model bug: three preallocated vas are enough")
    }

    fn retire(&mut self, va: SlabPtr<DrmGpuva>) {
        if let Some(v) = driver_free_va(va, self.bind.free) {
            self.deferred.push(v);
        }
    }
}

impl DrmGpuvmOps<SlabPtr<DrmGpuva>> for Driver<'_> {
    /// driver_gpuva_map(): `drm_gpuva_map(gpuvm, ctx->new_va, &op->map)`.
    fn sm_step_map(&mut self, op: DrmGpuvaOp<SlabPtr<DrmGpuva>>) -> Result<(), i32> {
        let DrmGpuvaOp::Map(d) = op else {
            return Err(-22);
        };
        let va = self.va();
        drm_gpuva_init_from_op(&va, d); // drm_gpuva_map(): drm_gpuva_init_from_op(va, op);
        let _ = drm_gpuva_insert(self.vm, &va, self.how); // drm_gpuva_map(): drm_gpuva_insert(gpuvm, va);
        Ok(())
    }

    /// driver_gpuva_remap(): `drm_gpuva_remap(ctx->prev_va, ctx->next_va, &op->remap)`, then
    /// unlink and free the split va.
    fn sm_step_remap(&mut self, op: DrmGpuvaOp<SlabPtr<DrmGpuva>>) -> Result<(), i32> {
        self.check(&op);
        let DrmGpuvaOp::Remap { prev, next, unmap } = op else {
            return Err(-22);
        };
        witness_if(prev.is_some() && next.is_some(), &REMAP_SPLIT);
        let pva = prev.map(|d| (self.va(), d));
        let nva = next.map(|d| (self.va(), d));
        self.vm.set_remap_in_progress(true);
        match (&pva, self.bind.in_place) {
            (Some((p, d)), true) => {
                drm_gpuva_init_from_op(p, *d);
                driver_replace_in_place(self.vm, &unmap.va, p);
                if let Some((n, d)) = &nva {
                    drm_gpuva_init_from_op(n, *d);
                    let _ = drm_gpuva_insert(self.vm, n, self.how);
                }
            }
            _ => drm_gpuva_remap(
                self.vm,
                pva.as_ref().map(|(v, d)| (v, *d)),
                nva.as_ref().map(|(v, d)| (v, *d)),
                &unmap.va,
                self.how,
            ),
        }
        self.vm.set_remap_in_progress(false);
        self.retire(unmap.va); // drm_gpuva_unlink(op->remap.unmap->va); kfree(op->remap.unmap->va);
        Ok(())
    }

    /// driver_gpuva_unmap(): `drm_gpuva_unmap(&op->unmap)`, unlink, free.
    fn sm_step_unmap(&mut self, op: DrmGpuvaOp<SlabPtr<DrmGpuva>>) -> Result<(), i32> {
        self.check(&op);
        let DrmGpuvaOp::Unmap(u) = op else {
            return Err(-22);
        };
        drm_gpuva_remove(self.vm, &u.va); // drm_gpuva_unmap(&op->unmap);
        self.retire(u.va); // drm_gpuva_unlink(op->unmap.va); kfree(op->unmap.va);
        Ok(())
    }
}

/// A VM with the initial mapping [`VA0`] inserted (under the driver's lock).
pub(crate) fn setup(publish: Publish, maple: Option<MapleStore>) -> Obj<DrmGpuvm> {
    let vm = drm_gpuvm_init(publish, None);
    let va = driver_va_alloc(&vm);
    drm_gpuva_init_from_op(&va, VA0);
    let g = mutex_lock(&vm.lock);
    let _ = drm_gpuva_insert(&vm, &va, Read::DriverLock);
    mutex_unlock(g);
    vm.set_maple(maple);
    vm
}

/// The driver's VM_BIND: map `req` (or, with `unmap`, unmap its range) as `bind` says.
/// Returns the vas the driver still holds (`Free::Deferred`).
pub(crate) fn vm_bind(
    vm: &DrmGpuvm,
    req: VaDesc,
    unmap: bool,
    bind: Bind,
) -> Vec<SlabPtr<DrmGpuva>> {
    // kzalloc(sizeof(*va), GFP_KERNEL) x 3 before any lock: new, prev and next.
    let prealloc = (0..3).map(|_| driver_va_alloc(vm)).collect();
    let how = if bind.locked {
        Read::DriverLock
    } else {
        Read::Unlocked
    };
    let mut d = Driver {
        vm,
        prealloc,
        bind,
        how,
        req: (!unmap).then_some(req),
        deferred: Vec::new(),
    };
    let g = bind.locked.then(|| mutex_lock(&vm.lock)); // mutex_lock(&vm->lock)
    let _ = if unmap {
        drm_gpuvm_sm_unmap(vm, &mut d, req.addr, req.range, how) // drm_gpuvm_sm_unmap(gpuvm, ctx, addr, range)
    } else {
        drm_gpuvm_sm_map(vm, &mut d, req, how) // drm_gpuvm_sm_map(gpuvm, ctx, addr, range, obj, offset)
    };
    if let Some(g) = g {
        mutex_unlock(g); // mutex_unlock(&vm->lock)
    }
    for va in std::mem::take(&mut d.prealloc) {
        kmem_cache_free(&va); // kfree(ctx->prev_va) ... of the unused preallocations
    }
    d.deferred
}

/// A GPU fault handler's lookup of VA page `addr` under `how`, checked against the GEM pages
/// that address may show (before and after the concurrent bind).
pub(crate) fn gpu_fault(
    vm: &DrmGpuvm,
    addr: u64,
    how: Read,
    allowed: &[(GemId, u64)],
    remainder: VaDesc,
) {
    let found = match how {
        Read::DriverLock => {
            let g = mutex_lock(&vm.lock); // mutex_lock(&vm->lock)
            let f = drm_gpuva_find_first(vm, addr, 1, how);
            mutex_unlock(g);
            f
        }
        Read::TreeLock => {
            let g = spin_lock(&vm.ma_lock); // mas_lock(&mas): spin_lock(&mt->ma_lock)
            let f = drm_gpuva_find_first(vm, addr, 1, how); // mas_walk(&mas)
            spin_unlock(g);
            f
        }
        Read::Rcu => {
            rcu_read_lock(); // rcu_read_lock()
            let f = drm_gpuva_find_first(vm, addr, 1, how);
            rcu_read_unlock(); // rcu_read_unlock()
            f
        }
        Read::Unlocked => drm_gpuva_find_first(vm, addr, 1, how),
    };
    let page = found.as_ref().map(|(_, d)| d.gem_page(addr));
    if found.as_ref().is_some_and(|(_, d)| *d == remainder) {
        witness(&LOOKUP_FINDS_REMAINDER);
    }
    check(
        page.is_some_and(|p| allowed.contains(&p)),
        &READER_OLD_OR_NEW,
        || {
            match &found {
        None => format!(
            "GPU fault at VA page {addr}: drm_gpuva_find_first() finds no va, but the page is mapped before and after the bind ({allowed:?})"
        ),
        Some((_, d)) => format!(
            "GPU fault at VA page {addr}: drm_gpuva_find_first() finds va {d}, GEM page {:?}, neither the old nor the new one ({allowed:?})",
            d.gem_page(addr)
        ),
    }
        },
    );
}

/// After the CPUs joined: the VA space is one of `expected` ([`SM_MAP_SPEC`]), then free
/// everything (drm_gpuvm_destroy's teardown under the driver's lock).
pub(crate) fn teardown(vm: Obj<DrmGpuvm>, expected: &[Pages], deferred: Vec<SlabPtr<DrmGpuva>>) {
    let got = vm.ghost_pages();
    check(expected.contains(&got), &SM_MAP_SPEC, || {
        format!("the VA space is {got:?}, the reference interval map says one of {expected:?}")
    });
    let g = mutex_lock(&vm.lock);
    for (_, va) in vm.ghost_take_all() {
        drm_gpuva_remove(&vm, &va);
        kmem_cache_free(&va);
    }
    mutex_unlock(g);
    for va in deferred {
        kmem_cache_free(&va);
    }
    kfree(&vm);
}
