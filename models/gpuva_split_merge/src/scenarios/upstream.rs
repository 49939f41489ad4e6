//! Option (1), upstream: the driver's lock serialises map, unmap and lookups (drm_gpuvm.c,
//! "DOC: Locking": the driver protects inserting, removing and iterating).

use checker::scenario::{join, spawn_cpu};

use super::driver::*;
use crate::drm_gpuvm::*;

/// Map GEM_B page 0 at VA page 1, inside [`VA0`]: a three-way split.
pub(crate) const MAP_B: VaDesc = VaDesc {
    addr: 1,
    range: 1,
    obj: GEM_B,
    offset: 0,
};

/// The prev remainder of that split.
pub(crate) const PREV: VaDesc = VaDesc {
    addr: 0,
    range: 1,
    obj: GEM_A,
    offset: 0,
};

pub(crate) const LOCKED: Bind = Bind {
    locked: true,
    free: Free::Kfree,
    in_place: false,
};

pub(crate) fn upstream_map_vs_unmap() {
    let vm = setup(Publish::Plain, None);
    let (v0, v1) = (vm.clone(), vm.clone());
    let map = spawn_cpu(move || {
        vm_bind(&v0, MAP_B, false, LOCKED);
    });
    let unmap = spawn_cpu(move || {
        vm_bind(
            &v1,
            VaDesc {
                addr: 2,
                range: 1,
                ..VA0
            },
            true,
            LOCKED,
        );
    });
    join(map);
    join(unmap);
    let p0 = pages_of([VA0]);
    let expected = [
        ref_unmap(&ref_map(&p0, MAP_B), 2, 1),
        ref_map(&ref_unmap(&p0, 2, 1), MAP_B),
    ];
    teardown(vm, &expected, Vec::new());
}

pub(crate) fn upstream_map_vs_fault() {
    let vm = setup(Publish::Plain, None);
    let (v0, v1) = (vm.clone(), vm.clone());
    let map = spawn_cpu(move || {
        vm_bind(&v0, MAP_B, false, LOCKED);
    });
    let fault = spawn_cpu(move || gpu_fault(&v1, 0, Read::DriverLock, &[(GEM_A, 0)], PREV));
    join(map);
    join(fault);
    teardown(vm, &[ref_map(&pages_of([VA0]), MAP_B)], Vec::new());
}

pub(crate) fn upstream_unmap_vs_fault() {
    let vm = setup(Publish::Plain, None);
    let (v0, v1) = (vm.clone(), vm.clone());
    let unmap = spawn_cpu(move || {
        vm_bind(
            &v0,
            VaDesc {
                addr: 1,
                range: 1,
                ..VA0
            },
            true,
            LOCKED,
        );
    });
    let next = VaDesc {
        addr: 2,
        range: 2,
        obj: GEM_A,
        offset: 2,
    };
    let fault = spawn_cpu(move || gpu_fault(&v1, 3, Read::DriverLock, &[(GEM_A, 3)], next));
    join(unmap);
    join(fault);
    teardown(vm, &[ref_unmap(&pages_of([VA0]), 1, 1)], Vec::new());
}
