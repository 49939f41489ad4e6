//! Options (3) and (4): a GPU fault handler looks a VA up without the driver's lock while a
//! VM_BIND splits the va it lands in.

use std::sync::{Arc, Mutex as StdMutex};

use checker::scenario::{join, spawn_cpu};

use super::driver::*;
use super::upstream::{MAP_B, PREV};
use crate::drm_gpuvm::*;

fn lockless_map_vs_fault(publish: Publish, bind: Bind, reader: Read) {
    let vm = setup(publish, None);
    let (v0, v1) = (vm.clone(), vm.clone());
    let kept = Arc::new(StdMutex::new(Vec::new()));
    let k = kept.clone();
    let map = spawn_cpu(move || {
        let d = vm_bind(&v0, MAP_B, false, bind);
        k.lock().unwrap_or_else(|e| e.into_inner()).extend(d);
    });
    let fault = spawn_cpu(move || gpu_fault(&v1, 0, reader, &[(GEM_A, 0)], PREV));
    join(map);
    join(fault);
    let deferred = std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()));
    teardown(vm, &[ref_map(&pages_of([VA0]), MAP_B)], deferred);
}

/// Option (3): the advanced API with no lock at all.
pub(crate) fn advanced_api_unlocked() {
    let bind = Bind {
        locked: false,
        free: Free::Deferred,
        in_place: false,
    };
    lockless_map_vs_fault(Publish::Plain, bind, Read::Unlocked)
}

/// Option (4) with a plain kfree() of the split va.
pub(crate) fn rcu_lookup_kfree() {
    let bind = Bind {
        locked: true,
        free: Free::Kfree,
        in_place: true,
    };
    lockless_map_vs_fault(Publish::Rcu, bind, Read::Rcu)
}

/// Option (4) with drm_gpuva_remap()'s remove-then-insert.
pub(crate) fn rcu_lookup_remove_insert() {
    let bind = Bind {
        locked: true,
        free: Free::KfreeRcu,
        in_place: false,
    };
    lockless_map_vs_fault(Publish::Rcu, bind, Read::Rcu)
}

/// Option (4) with the split va shrunk in place by one store.
pub(crate) fn rcu_lookup_replace_in_place() {
    let bind = Bind {
        locked: true,
        free: Free::KfreeRcu,
        in_place: true,
    };
    lockless_map_vs_fault(Publish::Rcu, bind, Read::Rcu)
}
