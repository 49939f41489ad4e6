//! Scenarios of the vm_bo lifecycle model: the one table. Each row names its body (in the
//! files beside this one), its CPUs, its expected result and what it races; the harness judges
//! it (see `checker::explore`).

use checker::invariant::{DATA_RACE, LIST_HEAD_UAF, LOCK_NOT_HELD, USE_AFTER_FREE};
use checker::kernel::lockdep::LOCK_ORDER;
use checker::scenario;
use checker::scenario::{Bounds, Expected, Scenario};

use crate::invariants::*;

mod immediate;
mod obtain;
mod prepare_objects;
mod resv_lock_dance;
mod scale;
mod validate;

use immediate::*;
use obtain::*;
use prepare_objects::*;
use resv_lock_dance::*;
use validate::*;

pub use scale::prepare_objects_scale;

/// Every scenario of this model.
#[rustfmt::skip]
pub const SCENARIOS: &[Scenario] = &[
    // Two `drm_gpuvm_prepare_objects()` without the VM's resv, racing with a final put.
    scenario!(prepare_objects_unserialized, ["exec", "exec", "unmap"], reachable(LIST_HEAD_UAF),
        "two drm_gpuvm_prepare_objects() on one VM without its resv (against the kernel-doc) race with the final drm_gpuvm_bo_put() of an extobj vm_bo"),
    // The same, serialised by the VM's resv as drivers do.
    scenario!(prepare_objects_serialized, ["exec", "exec", "unmap"], unreachable,
        "two drm_gpuvm_prepare_objects() serialised by the VM's resv (drm_gpuvm_prepare_vm first) race with the final drm_gpuvm_bo_put() of an extobj vm_bo")
        .witnesses(&[FINAL_PUT_DURING_ITERATION]),
    // Option (2): RESV_PROTECTED mode, exec paths under the VM's resv, the final put under both
    // resvs.
    scenario!(prepare_objects_resv_protected, ["exec", "exec", "unmap"], unreachable,
        "option (2), DRM_GPUVM_RESV_PROTECTED: two drm_gpuvm_prepare_objects() under the VM's resv race with a final put under the VM's and the GEM's resv")
        .witnesses(&[FINAL_PUT_BETWEEN_SUBMITS]),
    // Option (3), rejected in review: an internal mutex per list held across the walk.
    scenario!(prepare_objects_internal_mutex, ["exec", "unmap"], reachable(LOCK_ORDER),
        "option (3), rejected: prepare_objects holds an internal list mutex while it locks resvs; a final put under a resv takes that mutex in destroy"),
    // A1: the v3 iterator returns an uninitialised pointer once the list is empty.
    scenario!(iterator_v3, ["exec"], reachable(USE_AFTER_FREE),
        "v3 of the series: get_next_vm_bo_from_list() leaves __vm_bo uninitialised, so the walk does not end on an empty list and reuses an element it already dropped"),
    // Upstream validate in the default mode: submits serialised by the VM's resv.
    scenario!(validate_default_mode, ["exec", "exec", "unmap"], unreachable,
        "two submits (prepare_vm, prepare_objects, validate with bo_evict(false)) on a VM with two evicted extobjs race with a final put, default list-locking mode")
        .witnesses(&[FINAL_PUT_DURING_ITERATION]),
    // Upstream validate in RESV_PROTECTED mode (evicted extobjs join the evict list lazily in
    // prepare_objects).
    scenario!(validate_resv_protected, ["exec", "exec", "unmap"], unreachable,
        "the same submits in DRM_GPUVM_RESV_PROTECTED mode: evicted extobjs join the evict list lazily in prepare_objects_locked")
        .witnesses(&[FINAL_PUT_BETWEEN_SUBMITS]),
    // The eviction path against a submit, default mode.
    scenario!(validate_races_evict_default_mode, ["exec", "evict"], unreachable,
        "TTM's eviction path (drm_gpuvm_bo_evict(true) under the GEM's resv) races with a submit (prepare_vm, prepare_objects, validate), default list-locking mode")
        .witnesses(&[EVICT_DURING_SUBMIT]),
    // The same in RESV_PROTECTED mode (the evicted extobj joins the evict list lazily).
    scenario!(validate_races_evict_resv_protected, ["exec", "evict"], unreachable,
        "the same in DRM_GPUVM_RESV_PROTECTED mode, where drm_gpuvm_bo_evict() only marks an extobj and prepare_objects_locked queues it")
        .witnesses(&[EVICT_DURING_SUBMIT]),
    // A3: the driver locks `vm_bo->obj->resv` without a GEM reference, drops the vm_bo, unlocks.
    scenario!(resv_lock_dance_broken, ["driver put", "handle close"], reachable(USE_AFTER_FREE),
        "a driver locks vm_bo->obj->resv without a GEM reference, drops the last vm_bo reference and unlocks, while the GEM handle is closed"),
    // A3 fixed: the driver holds a GEM reference across the dance (drm_gem_object_get/put).
    scenario!(resv_lock_dance_fixed, ["driver put", "handle close"], unreachable,
        "the same dance holding drm_gem_object_get() across lock, put and unlock")
        .witnesses(&[HANDLE_CLOSED_IN_DANCE]),
    // A4: a final drm_gpuvm_bo_put() without the GEM gpuva lock races with obtain/find.
    scenario!(put_races_obtain_broken, ["unmap", "bind"], reachable(GPUVA_LIST_LIVE),
        "the last drm_gpuvm_bo_put() without the GEM gpuva lock races with drm_gpuvm_bo_obtain() of the same (VM, GEM) under it"),
    // A4 fixed: the final put holds the GEM gpuva lock, as the kernel-doc requires.
    scenario!(put_races_obtain_fixed, ["unmap", "bind"], unreachable,
        "the last drm_gpuvm_bo_put() under the GEM gpuva lock races with drm_gpuvm_bo_obtain()")
        .witnesses(&[OBTAIN_AFTER_FINAL_PUT, OBTAIN_BEFORE_FINAL_PUT]),
    // A9: two drm_gpuvm_bo_obtain() of one (VM, GEM) without the GEM gpuva lock.
    // loom stops at the first symptom: the second CPU reads the first one's vm_bo through a
    // list it linked without the lock, unordered after its initialisation. shuttle has no
    // data-race detector and goes on to the duplicate.
    scenario!(obtain_races_obtain_broken, ["bind", "bind"], reachable(DATA_RACE),
        "two drm_gpuvm_bo_obtain() of one (VM, GEM) without the GEM gpuva lock")
        .expected_sc(Expected::Reachable(VM_BO_UNIQUE)),
    // A9 fixed: both obtains under the GEM gpuva lock.
    scenario!(obtain_races_obtain_fixed, ["bind", "bind"], unreachable,
        "two drm_gpuvm_bo_obtain() of one (VM, GEM) under the GEM gpuva lock")
        .witnesses(&[OBTAIN_FINDS_OTHERS]),
    // v6.8 obtain_prealloc: the caller holds the GEM's resv.
    scenario!(obtain_prealloc_races_v6_8, ["VM_BIND", "VM_BIND"], unreachable,
        "two VM_BINDs map one GEM in one VM with preallocated vm_bos: v6.8 drm_gpuvm_bo_obtain_prealloc() and drm_gpuva_link() under the GEM's resv")
        .witnesses(&[PREALLOC_FINDS_EXISTING]),
    // Nov 2025 obtain_prealloc: immediate mode, takes obj->gpuva.lock itself.
    scenario!(obtain_prealloc_races_immediate, ["VM_BIND", "VM_BIND"], unreachable,
        "the same in immediate mode: drm_gpuvm_bo_obtain_prealloc() takes obj->gpuva.lock itself and frees the duplicate after unlocking")
        .witnesses(&[PREALLOC_FINDS_EXISTING]),
    // v3 of the deferred-cleanup series: decrement, then lock inside the release.
    scenario!(deferred_put_races_obtain_v3, ["run_job", "VM_BIND"], reachable(GPUVA_LIST_LIVE),
        "immediate mode: a deferred put of v3 of the series (kref_put, then obj->gpuva.lock inside the release) races with drm_gpuvm_bo_obtain_prealloc() of the same (VM, GEM)"),
    // Upstream deferred put (kref_put_mutex) against obtain_prealloc.
    scenario!(deferred_put_races_obtain_fixed, ["run_job", "VM_BIND"], unreachable,
        "immediate mode: drm_gpuvm_bo_put_deferred() (kref_put_mutex on obj->gpuva.lock) races with drm_gpuvm_bo_obtain_prealloc() of the same (VM, GEM)")
        .witnesses(&[OBTAIN_AFTER_ZOMBIE, PREALLOC_FINDS_EXISTING]),
    // The zombie queued on bo_defer before obj->gpuva.lock is released.
    scenario!(deferred_put_races_cleanup_broken, ["run_job", "cleanup"], reachable(USE_AFTER_FREE),
        "immediate mode, GEM handle closed: a deferred put that llist_adds the zombie before unlocking obj->gpuva.lock races with drm_gpuvm_bo_deferred_cleanup()")
        // The window is two steps of CPU0 wide: shuttle's random scheduler needed 1 400 to 14 000
        // runs to hit it over four seeds, and 34 899 to 113 679 over seeds 0-2 once list_add /
        // list_del read the KASAN shadow (issue 10: more scheduling points dilute the window),
        // so it gets 1 000 000 (PCT finds it in tens).
        .bounds(Bounds {
            shuttle_iterations: 1_000_000,
            ..Bounds::DEFAULT
        }),
    // Upstream: unlock first, then queue.
    scenario!(deferred_put_races_cleanup_fixed, ["run_job", "cleanup"], unreachable,
        "immediate mode, GEM handle closed: drm_gpuvm_bo_put_deferred() (unlock, then llist_add) races with drm_gpuvm_bo_deferred_cleanup()")
        .witnesses(&[CLEANUP_FREES_QUEUED_ZOMBIE]),
    // Zombies unlinked from the VM's lists without the VM's resv, then freed.
    scenario!(zombie_cleanup_unlocked, ["run_job+cleanup", "submit"], reachable(LOCK_NOT_HELD),
        "RESV_PROTECTED + immediate mode: drm_gpuva_unlink_defer() leaves a zombie on the extobj/evict lists; a deferred cleanup that unlinks it without the VM's resv frees it under a submit walking those lists")
        // loom stops at the root cause, which every execution shows: the lists are touched without
        // the VM's resv that protects them. The lists are ghost state, so loom's DPOR does not tell
        // apart the interleavings in which the walker then touches the freed zombie; shuttle's
        // schedulers, which do not prune, go on to the use-after-free.
        .expected_sc(Expected::Reachable(USE_AFTER_FREE)),
    // Upstream: the cleanup unlinks zombies under the VM's resv; the walkers skip them.
    scenario!(zombie_cleanup_fixed, ["run_job+cleanup", "submit"], unreachable,
        "RESV_PROTECTED + immediate mode, upstream: the cleanup unlinks zombies under the VM's resv, and the submit's walkers skip them (drm_gpuvm_bo_is_zombie)")
        .witnesses(&[WALK_SKIPS_ZOMBIE]),
    // Upstream immediate mode with deferred cleanup: all three driver paths.
    scenario!(vm_bind_races_unmap_and_close, ["VM_BIND", "run_job", "close+cleanup"], unreachable,
        "immediate mode, upstream: VM_BIND maps a GEM again (obtain_prealloc, extobj_add, link, deferred put) while run_job unmaps its existing va (unlink_defer) and the GEM handle is closed before a deferred cleanup")
        .witnesses(&[OBTAIN_AFTER_ZOMBIE]),
];
