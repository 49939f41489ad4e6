//! Scenarios of the gpuva split/merge model: the one table. Each row names its body (in the
//! files beside this one), its CPUs, its expected result and what it races; the harness
//! judges it (see `checker::explore`).

use checker::invariant::{DATA_RACE, USE_AFTER_FREE};
use checker::kernel::sched::SLEEP_IN_ATOMIC;
use checker::scenario;
use checker::scenario::{Expected, Scenario};

use crate::invariants::*;

mod driver;
mod lockless;
mod maple_tree;
mod upstream;

use lockless::*;
use maple_tree::*;
use upstream::*;

/// Every scenario of this model.
#[rustfmt::skip]
pub const SCENARIOS: &[Scenario] = &[
    // Option (1), upstream: the driver's lock around sm_map, sm_unmap and every lookup.
    scenario!(upstream_map_vs_unmap, ["VM_BIND map", "VM_BIND unmap"], unreachable,
        "option (1), upstream: a map splitting va [0,4) in three and an unmap of [2,3) under the driver's lock; the VA space ends as the reference interval map says in either order")
        .witnesses(&[REMAP_SPLIT]),
    scenario!(upstream_map_vs_fault, ["VM_BIND map", "GPU fault"], unreachable,
        "option (1), upstream: a GPU fault looks up VA page 0 under the driver's lock while a map splits the va it lies in")
        .witnesses(&[REMAP_SPLIT, LOOKUP_FINDS_REMAINDER]),
    scenario!(upstream_unmap_vs_fault, ["VM_BIND unmap", "GPU fault"], unreachable,
        "option (1), upstream: a GPU fault looks up VA page 3 under the driver's lock while drm_gpuvm_sm_unmap() punches [1,2) out of its va")
        .witnesses(&[LOOKUP_FINDS_REMAINDER]),
    // Option (2): the maple tree's spinlock around each mas_* call, plus the external mutex.
    scenario!(maple_store_gfp_kernel, ["VM_BIND map", "GPU fault"], reachable(SLEEP_IN_ATOMIC),
        "option (2) as proposed: every tree store is mas_store_gfp(GFP_KERNEL) under the maple tree's spinlock, inside the driver's mutex"),
    scenario!(maple_preallocate, ["VM_BIND map", "GPU fault"], unreachable,
        "option (2) with mas_preallocate(GFP_KERNEL) before the spinlock and mas_store_prealloc() under it; the fault handler takes the external mutex")
        .witnesses(&[LOOKUP_FINDS_REMAINDER]),
    scenario!(maple_lookup_tree_lock_only, ["VM_BIND map", "GPU fault"], reachable(READER_OLD_OR_NEW),
        "option (2), preallocated, with a fault handler that takes only the tree's spinlock: it runs between the remap's mas_* calls"),
    // Option (3): the advanced API with no lock.
    // loom stops at the first symptom: the reader follows a node pointer that the writer
    // published with a plain store (no lock, no rcu_assign_pointer), so its read of the va is
    // unordered with the va's initialisation. shuttle has no data-race detector and goes on
    // to the half-applied split.
    scenario!(advanced_api_unlocked, ["VM_BIND map", "GPU fault"], reachable(DATA_RACE),
        "option (3): the map's walk and steps with no lock at all while a fault handler looks up VA page 0 (the split vas are freed after both CPUs finish)")
        .expected_sc(Expected::Reachable(READER_OLD_OR_NEW)),
    // Option (4): writers under the driver's lock, lookups under RCU.
    scenario!(rcu_lookup_kfree, ["VM_BIND map", "GPU fault"], reachable(USE_AFTER_FREE),
        "option (4): lookups under rcu_read_lock(), the split va shrunk in place, but freed with kfree() instead of kfree_rcu()"),
    scenario!(rcu_lookup_remove_insert, ["VM_BIND map", "GPU fault"], reachable(READER_OLD_OR_NEW),
        "option (4): lookups under rcu_read_lock(), writers under the driver's lock, drm_gpuva_remap()'s remove-then-insert, kfree_rcu()"),
    scenario!(rcu_lookup_replace_in_place, ["VM_BIND map", "GPU fault"], unreachable,
        "option (4): lookups under rcu_read_lock(); the remap replaces the split va by its prev remainder with one rcu_replace_pointer(), inserts the rest, kfree_rcu()")
        .witnesses(&[LOOKUP_DURING_REMAP, LOOKUP_FINDS_REMAINDER]),
];
