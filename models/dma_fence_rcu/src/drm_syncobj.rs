//! Model of `struct drm_syncobj`'s fence pointer: drivers/gpu/drm/drm_syncobj.c and
//! include/drm/drm_syncobj.h, in two revisions:
//!
//! - **v4.13** (the first syncobj, e9083420bbac "drm: introduce sync objects (v4)"):
//!   `drm_syncobj_replace_fence()` swaps the pointer with `xchg()` and puts the old fence;
//!   the lookup takes its reference with a plain `dma_fence_get(syncobj->fence)`.
//! - **v4.14 and later** (Jason Ekstrand, dri-devel, Aug 2017, "drm/syncobj: Add a
//!   race-free drm_syncobj_fence_get helper", with `dma_fence_get_rcu_safe()` as Chris
//!   Wilson asked in review; the code read is v6.8's): the lookup is
//!   `rcu_read_lock(); dma_fence_get_rcu_safe(&syncobj->fence); rcu_read_unlock();` and the
//!   replace publishes under `syncobj->lock` with `rcu_assign_pointer()`.
//!
//! The race the patch closes (its commit message): "you may end up with the entire
//! replace_fence happening between the point in time where the one thread gets the
//! syncobj->fence pointer and when it calls dma_fence_get() on it. If this happens, then the
//! reference may be dropped before we get a chance to get a new one."
//!
//! Only the fence pointer is modelled: no handles (idr), no file, no wait callbacks
//! (`cb_list`), no timeline points (`dma_fence_chain`).

use checker::kernel::{
    kzalloc, rcu_access_pointer, rcu_assign_pointer, rcu_dereference_protected, rcu_read_lock,
    rcu_read_unlock, spin_lock, spin_unlock, trace_call, KmemCache, Obj, RcuPointer, SpinLock,
};

use crate::dma_fence::{dma_fence_get, dma_fence_get_rcu_safe, dma_fence_put, DmaFence, FencePtr};

/// Which `drm_syncobj` the scenario runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncobjRevision {
    /// v4.13: `xchg()` in `drm_syncobj_replace_fence()`, plain `dma_fence_get(syncobj->fence)`
    /// in the lookup (drm_syncobj.c:85 and :108, v4.13).
    V4_13,
    /// v4.14 and later (read at v6.8): `syncobj->lock` + `rcu_assign_pointer()` in the
    /// replace, `dma_fence_get_rcu_safe()` under `rcu_read_lock()` in the lookup.
    Upstream,
}

/// `struct drm_syncobj` (include/drm/drm_syncobj.h, v6.8), its fence pointer and lock.
pub struct DrmSyncobj {
    /// `syncobj->fence` (`struct dma_fence __rcu *`; a plain pointer in v4.13).
    pub fence: RcuPointer<DmaFence>,
    /// `syncobj->lock` (v4.14+; v4.13 has none).
    pub lock: SpinLock,
    /// The revision this syncobj's code is. MODEL: not a field of the kernel's.
    pub rev: SyncobjRevision,
}

/// `drm_syncobj_create()` (drm_syncobj.c, v6.8) without a fence: a syncobj whose fence
/// pointer is NULL. MODEL: no handle, no refcount (the scenario holds the only reference).
pub fn drm_syncobj_create(cache: &KmemCache<DmaFence>, rev: SyncobjRevision) -> Obj<DrmSyncobj> {
    let cache = cache.clone();
    kzalloc("syncobj", move |id, name| DrmSyncobj {
        fence: RcuPointer::new(name, "fence", &cache),
        lock: SpinLock::new(id, name, "lock"),
        rev,
    })
}

/// `drm_syncobj_replace_fence()` (drm_syncobj.c:85, v4.13; drm_syncobj.c, v6.8): install
/// `fence` (taking a reference) and put the old one.
pub fn drm_syncobj_replace_fence(syncobj: &Obj<DrmSyncobj>, fence: Option<&FencePtr>) {
    let _c = trace_call("drm_syncobj_replace_fence", syncobj.name());
    if let Some(f) = fence {
        dma_fence_get(f); // if (fence) dma_fence_get(fence);
    }
    let old_fence = match syncobj.rev {
        SyncobjRevision::V4_13 => {
            // old_fence = xchg(&syncobj->fence, fence);
            // MODEL: xchg() is a load then a store (two steps, not one fully ordered RMW):
            // checker::kernel has no xchg on a pointer. Sound here because the scenarios
            // have one replacing CPU (nothing can store between the two steps); the full
            // barrier of xchg() is not modelled (the race needs none).
            let old = rcu_dereference_protected(&syncobj.fence, true); // old_fence = xchg(&syncobj->fence, fence);  (its load)
            rcu_assign_pointer(&syncobj.fence, fence); // (its store)
            old
        }
        SyncobjRevision::Upstream => {
            let g = spin_lock(&syncobj.lock); // spin_lock(&syncobj->lock);
            let old = rcu_dereference_protected(&syncobj.fence, true); // old_fence = rcu_dereference_protected(syncobj->fence, lockdep_is_held(&syncobj->lock));
            rcu_assign_pointer(&syncobj.fence, fence); // rcu_assign_pointer(syncobj->fence, fence);
                                                       // MODEL: the wait callbacks (list_for_each_entry_safe(cur, tmp, &syncobj->cb_list, node)) are not modelled.
            spin_unlock(g); // spin_unlock(&syncobj->lock);
            old
        }
    };
    if let Some(old) = old_fence {
        dma_fence_put(&old); // dma_fence_put(old_fence);
    }
}

/// The lookup of the syncobj's fence with a reference: in v4.13 the line
/// `*fence = dma_fence_get(syncobj->fence);` of `drm_syncobj_fence_get()`
/// (drm_syncobj.c:108, v4.13); from v4.14 the inline `drm_syncobj_fence_get()`
/// (include/drm/drm_syncobj.h, v6.8).
pub fn drm_syncobj_fence_get(syncobj: &Obj<DrmSyncobj>) -> Option<FencePtr> {
    let _c = trace_call("drm_syncobj_fence_get", syncobj.name());
    match syncobj.rev {
        SyncobjRevision::V4_13 => {
            // MODEL: the plain load of syncobj->fence is a relaxed load
            // (rcu_access_pointer(): no RCU read-side section, no lockdep check).
            let f = rcu_access_pointer(&syncobj.fence); // syncobj->fence
            if let Some(f) = &f {
                dma_fence_get(f); // *fence = dma_fence_get(syncobj->fence);
            }
            f
        }
        SyncobjRevision::Upstream => {
            rcu_read_lock(); // rcu_read_lock();
            let f = dma_fence_get_rcu_safe(&syncobj.fence); // fence = dma_fence_get_rcu_safe(&syncobj->fence);
            rcu_read_unlock(); // rcu_read_unlock();
            f
        }
    }
}
