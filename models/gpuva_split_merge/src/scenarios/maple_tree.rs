//! Option (2), the maple-tree proposal (Wilcox, dri-devel, Feb 2023): the tree's internal
//! spinlock around every `mas_*` call, plus the driver's external mutex around a whole
//! VM_BIND.

use checker::scenario::{join, spawn_cpu};

use super::driver::*;
use super::upstream::{LOCKED, MAP_B, PREV};
use crate::drm_gpuvm::*;

fn maple_map_vs_fault(gfp_in_lock: bool, reader: Read) {
    let vm = setup(Publish::Rcu, Some(MapleStore { gfp_in_lock }));
    let (v0, v1) = (vm.clone(), vm.clone());
    let map = spawn_cpu(move || {
        vm_bind(&v0, MAP_B, false, LOCKED);
    });
    let fault = spawn_cpu(move || gpu_fault(&v1, 0, reader, &[(GEM_A, 0)], PREV));
    join(map);
    join(fault);
    teardown(vm, &[ref_map(&pages_of([VA0]), MAP_B)], Vec::new());
}

pub(crate) fn maple_store_gfp_kernel() {
    maple_map_vs_fault(true, Read::DriverLock)
}

pub(crate) fn maple_preallocate() {
    maple_map_vs_fault(false, Read::DriverLock)
}

pub(crate) fn maple_lookup_tree_lock_only() {
    maple_map_vs_fault(false, Read::TreeLock)
}
