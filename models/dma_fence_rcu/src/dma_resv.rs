//! Model of `struct dma_resv` since v5.19 (the seqcount was dropped by 8f94eda39952,
//! "dma-buf: drop seq count based update"), as of **v6.8**: drivers/dma-buf/dma-resv.c and
//! include/linux/dma-resv.h. Line numbers cite v6.8.
//!
//! The fences of a resv are one list, `obj->fences`, an RCU pointer to a
//! `struct dma_resv_list { num_fences, max_fences, table[] }` whose entries are fence
//! pointers tagged with their usage (KERNEL < WRITE < READ < BOOKKEEP) in the low bits.
//! Writers hold the resv lock. `dma_resv_reserve_fences()` replaces a full list by a bigger
//! copy (`rcu_assign_pointer`, then `kfree_rcu` of the old one); `dma_resv_add_fence()`
//! overwrites a slot **in place** when its fence has signaled or is an older fence of the
//! same context, and otherwise appends. Unlocked readers walk the list with the unlocked
//! iterator and restart when the list *pointer* changed.
//!
//! Orderings (mapped by the checker primitives, see their module docs):
//!
//! | kernel (v6.8)                                    | model                                  |
//! |--------------------------------------------------|----------------------------------------|
//! | `dma_resv_list_set()`: `RCU_INIT_POINTER(list->table[i], fence \| usage)` | relaxed store of the entry |
//! | `dma_resv_list_entry()`: `rcu_dereference_check(list->table[i], …)` | acquire load (consume as acquire) |
//! | `smp_store_mb(fobj->num_fences, count)` = `WRITE_ONCE(); smp_mb()` | relaxed store, then `fence(SeqCst)` |
//! | `new->num_fences = j` before publication, and readers' `fences->num_fences` | `WRITE_ONCE` / `READ_ONCE` (plain accesses racing with readers) |
//! | `rcu_assign_pointer(obj->fences, new)`           | release store                          |
//! | `dma_resv_fences_list()` = `rcu_dereference_check(obj->fences, dma_resv_held(obj))` | acquire load |
//!
//! Note what the table has: neither `dma_resv_list_set()` nor `smp_store_mb()` orders the
//! new entry (or the initialisation of the fence it points to) before anything: the entry
//! store is a `WRITE_ONCE`, and `smp_store_mb()` puts its barrier *after* the `num_fences`
//! store. v5.10 had the `smp_wmb()` of `write_seqcount_begin()` before both (see
//! [`crate::resv_v510`]).

use std::sync::Mutex as StdMutex;

use checker::invariant::OOPS;
use checker::kernel::{
    cpu_relax, ghost_clock_exact, ghost_update, kfree_rcu, kmem_cache_alloc, kmem_cache_free,
    kzalloc, lockdep_assert_held, rcu_assign_pointer, rcu_dereference_check,
    rcu_dereference_protected, rcu_read_lock, rcu_read_unlock, smp_mb, trace_call, trace_note,
    AtomicT, ClockUpdate, KMutex, KmemCache, Obj, ObjId, RcuPointer, SlabPtr, BUG_ON,
    RCU_INIT_POINTER, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::check;

use crate::dma_fence::{
    dma_fence_get, dma_fence_get_rcu, dma_fence_is_later_or_same, dma_fence_is_signaled,
    dma_fence_put, DmaFence, FencePtr,
};
use crate::invariants::{FENCE_GET_IDENTITY, IDLE_LINEARIZABLE};

/// `enum dma_resv_usage` (dma-resv.h:71, v6.8), ordered KERNEL < WRITE < READ < BOOKKEEP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DmaResvUsage {
    /// `DMA_RESV_USAGE_KERNEL` (0: also what an untagged pointer reads as).
    Kernel = 0,
    /// `DMA_RESV_USAGE_WRITE`.
    Write = 1,
    /// `DMA_RESV_USAGE_READ`.
    Read = 2,
    /// `DMA_RESV_USAGE_BOOKKEEP`.
    Bookkeep = 3,
}

/// `MODEL:` the memory of a `dma_resv_list` has room for this many entries (the kernel
/// rounds to a kmalloc bucket and reserves at least 4); scenarios use lists of 1 or 2.
pub const TABLE_SLOTS: usize = 2;

/// `struct dma_resv_list` (dma-resv.c:62, v6.8), as memory in a (kmalloc) cache.
pub struct DmaResvList {
    /// `num_fences`: written under the resv lock, read by unlocked readers.
    pub num_fences: AtomicT,
    /// Ghost copy of `num_fences`, for the writers (who alone write it, under the lock) and
    /// the harness.
    ghost_num: StdMutex<usize>,
    /// `max_fences`. MODEL: ghost: written at allocation, read by writers under the lock.
    max_fences: StdMutex<usize>,
    /// `table[]`: the fence pointers.
    pub table: Vec<RcuPointer<DmaFence>>,
    /// Ghost: the usage bits stored with each pointer, per entry: (fence object, usage) of
    /// every tagged store. MODEL: the tag lives in the pointer's low bits (one store); the
    /// model recovers it from the object the store that was read installed. A pointer stored
    /// without a tag (`RCU_INIT_POINTER` of a plain fence) reads as KERNEL (0).
    tags: StdMutex<Vec<Vec<Tag>>>,
}

impl DmaResvList {
    /// The memory of one list (the cache's constructor): `TABLE_SLOTS` entries, NULL.
    /// MODEL: kmalloc memory is not zeroed in the kernel; here a never-written entry reads as
    /// NULL.
    pub fn memory(name: &str, fences: &KmemCache<DmaFence>) -> DmaResvList {
        DmaResvList {
            num_fences: AtomicT::new(name, "num_fences", 0),
            ghost_num: StdMutex::new(0),
            max_fences: StdMutex::new(0),
            table: (0..TABLE_SLOTS)
                .map(|i| RcuPointer::new(name, &format!("table[{i}]"), fences))
                .collect(),
            tags: StdMutex::new(vec![Vec::new(); TABLE_SLOTS]),
        }
    }

    fn tag_of(&self, index: usize, f: Option<&FencePtr>) -> DmaResvUsage {
        let obj = f.and_then(|f| f.installed());
        self.tags.lock().unwrap_or_else(|e| e.into_inner())[index]
            .iter()
            .rev()
            .find(|(o, _)| *o == obj)
            .map(|(_, u)| *u)
            .unwrap_or(DmaResvUsage::Kernel)
    }

    fn set_tag(&self, index: usize, f: &FencePtr, usage: DmaResvUsage) {
        self.tags.lock().unwrap_or_else(|e| e.into_inner())[index].push((f.occupant(), usage));
    }

    /// Ghost: `num_fences` as its writers know it.
    pub fn ghost_num(&self) -> usize {
        *self.ghost_num.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn max(&self) -> usize {
        *self.max_fences.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One tagged store of a table entry (ghost): the fence object stored and its usage.
type Tag = (Option<ObjId>, DmaResvUsage);

/// A `struct dma_resv_list *`.
pub type ListPtr = SlabPtr<DmaResvList>;

/// How `dma_resv_reserve_fences()` frees the list it replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFree {
    /// `kfree_rcu(old, rcu)` (upstream).
    KfreeRcu,
    /// A plain `kfree(old)`: the variant a reader's use after free shows.
    Kfree,
}

/// One fence installed in the resv (ghost history).
#[derive(Clone)]
pub struct Installed {
    /// The fence object.
    pub obj: ObjId,
    /// Its memory.
    pub fence: FencePtr,
    /// Its name (`fence#1`).
    pub name: String,
    /// The usage it is installed with.
    pub usage: DmaResvUsage,
}

/// `struct dma_resv` (dma-resv.h:138, v6.8).
pub struct DmaResv {
    /// `obj->lock`. MODEL: the ww_mutex is a plain mutex (no acquire context).
    pub lock: KMutex,
    /// `obj->fences`.
    pub fences: RcuPointer<DmaResvList>,
    /// Where `dma_resv_list_alloc()` allocates: MODEL: a plain cache stands for kmalloc.
    lists: KmemCache<DmaResvList>,
    /// Ghost: (step, the fences installed from then on) after every change a reader can
    /// see, with the entries `0..num_fences` of the current list.
    pub history: StdMutex<Vec<(usize, Vec<Installed>)>>,
}

/// `dma_resv_init()` (dma-resv.c:138, v6.8) of a resv whose fences live in `fences`.
pub fn dma_resv_init(fences: &KmemCache<DmaFence>) -> Obj<DmaResv> {
    let fc = fences.clone();
    let lists = KmemCache::new("resv_list", "dma_resv_list", move |name| {
        DmaResvList::memory(name, &fc)
    });
    kzalloc("resv", move |id, name| DmaResv {
        lock: KMutex::new(id, name, "lock"),
        fences: RcuPointer::new(name, "fences", &lists), // RCU_INIT_POINTER(obj->fences, NULL);
        lists,
        history: StdMutex::new(vec![(0, Vec::new())]),
    })
}

impl DmaResv {
    /// Ghost: the fences installed now (entries `0..num_fences` of the current list).
    fn ghost_installed(&self) -> Vec<Installed> {
        let Some(list) = self.fences.ghost_read() else {
            return Vec::new();
        };
        let l = list.ghost();
        (0..l.ghost_num())
            .filter_map(|i| {
                let f = l.table[i].ghost_read()?;
                let obj = f.installed()?;
                let usage = l.tag_of(i, Some(&f));
                Some(Installed {
                    obj,
                    name: f.installed_name(),
                    fence: f,
                    usage,
                })
            })
            .collect()
    }

    /// Ghost: record what is installed now, stamped with the ghost clock (the `update`
    /// opened right before the store that completed it; checker/src/kernel/clock.rs).
    fn log_installed(&self, update: ClockUpdate) {
        let now = self.ghost_installed();
        let stamp = update.stamp();
        self.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((stamp, now));
    }
}

/// `dma_resv_fences_list()` (dma-resv.c:162, v6.8): `rcu_dereference_check(obj->fences,
/// dma_resv_held(obj))`. `held`: MODEL: `dma_resv_held()` is passed by the caller (writers
/// assert the lock first; unlocked readers pass false and must be inside `rcu_read_lock()`).
pub fn dma_resv_fences_list(obj: &DmaResv, held: bool) -> Option<ListPtr> {
    rcu_dereference_check(&obj.fences, held) // rcu_dereference_check(obj->fences, dma_resv_held(obj))
}

/// `dma_resv_list_entry()` (dma-resv.c:70, v6.8): the fence and usage of entry `index`.
/// `held`: as for [`dma_resv_fences_list`] (`resv ? dma_resv_held(resv) : true`).
pub fn dma_resv_list_entry(
    list: &ListPtr,
    index: usize,
    held: bool,
) -> (Option<FencePtr>, DmaResvUsage) {
    let tmp = rcu_dereference_check(&list.table[index], held); // tmp = (long)rcu_dereference_check(list->table[index], …);
    let usage = list.ghost().tag_of(index, tmp.as_ref()); // *usage = tmp & DMA_RESV_LIST_MASK;
    (tmp, usage)
}

/// `dma_resv_list_set()` (dma-resv.c:84, v6.8): store `fence | usage` in entry `index`.
pub fn dma_resv_list_set(list: &ListPtr, index: usize, fence: &FencePtr, usage: DmaResvUsage) {
    list.ghost().set_tag(index, fence, usage);
    RCU_INIT_POINTER(&list.table[index], Some(fence)); // RCU_INIT_POINTER(list->table[index], (struct dma_fence *)tmp);
}

/// `dma_resv_list_alloc()` (dma-resv.c:98, v6.8). MODEL: no kmalloc bucket rounding:
/// `max_fences` is what was asked for (at most [`TABLE_SLOTS`]).
fn dma_resv_list_alloc(obj: &DmaResv, max_fences: usize) -> ListPtr {
    assert!(
        max_fences <= TABLE_SLOTS,
        "MODEL: list memory has {TABLE_SLOTS} entries"
    );
    let list = kmem_cache_alloc(&obj.lists); // list = kmalloc(size, GFP_KERNEL);
    *list.max_fences.lock().unwrap_or_else(|e| e.into_inner()) = max_fences; // list->max_fences = …;
    list
}

/// `dma_resv_list_free()` (dma-resv.c:118, v6.8): drop the list's references and free it
/// after a grace period.
fn dma_resv_list_free(list: Option<&ListPtr>) {
    let Some(list) = list else { return };
    for i in 0..list.ghost_num() {
        let (fence, _) = dma_resv_list_entry(list, i, true); // dma_resv_list_entry(list, i, NULL, &fence, NULL);
        if let Some(f) = fence {
            dma_fence_put(&f); // dma_fence_put(fence);
        }
    }
    kfree_rcu(list); // kfree_rcu(list, rcu);
}

/// `dma_resv_fini()` (dma-resv.c:150, v6.8): the object is dead, no reader can reach it.
pub fn dma_resv_fini(obj: &Obj<DmaResv>) {
    let _c = trace_call("dma_resv_fini", obj.name());
    let list = rcu_dereference_protected(&obj.fences, true); // rcu_dereference_protected(obj->fences, true)
    dma_resv_list_free(list.as_ref()); // dma_resv_list_free(…);
}

/// `dma_resv_reserve_fences()` (dma-resv.c:182, v6.8): make room for `num_fences` more
/// fences, replacing the list by a bigger copy if needed. `how` frees the old list
/// (upstream: [`ListFree::KfreeRcu`]). MODEL: a list without one grows to
/// `roundup_pow_of_two(num_fences)` entries, not at least 4 (small lists are explored).
pub fn dma_resv_reserve_fences(obj: &Obj<DmaResv>, num_fences: usize, how: ListFree) -> i32 {
    let _c = trace_call("dma_resv_reserve_fences", obj.name());
    lockdep_assert_held(&obj.lock); // dma_resv_assert_held(obj);
    let old = dma_resv_fences_list(obj, true); // old = dma_resv_fences_list(obj);
    let max = match &old {
        Some(o) if o.max() > 0 => {
            if o.ghost_num() + num_fences <= o.max() {
                return 0; // if ((old->num_fences + num_fences) <= old->max_fences) return 0;
            }
            (o.ghost_num() + num_fences).max(o.max() * 2) // max = max(old->num_fences + num_fences, old->max_fences * 2);
        }
        _ => num_fences.next_power_of_two(), // max = max(4ul, roundup_pow_of_two(num_fences)); MODEL: no minimum of 4
    };
    let new = dma_resv_list_alloc(obj, max); // new = dma_resv_list_alloc(max);
    let (mut j, mut k) = (0, max);
    let n_old = old.as_ref().map_or(0, |o| o.ghost_num());
    for i in 0..n_old {
        let o = old.as_ref().expect("n_old > 0");
        let (fence, usage) = dma_resv_list_entry(o, i, true); // dma_resv_list_entry(old, i, obj, &fence, &usage);
        let fence = fence.expect("entries below num_fences are set");
        if dma_fence_is_signaled(&fence) {
            k -= 1;
            RCU_INIT_POINTER(&new.table[k], Some(&fence)); // RCU_INIT_POINTER(new->table[--k], fence);
        } else {
            dma_resv_list_set(&new, j, &fence, usage); // dma_resv_list_set(new, j++, fence, usage);
            j += 1;
        }
    }
    WRITE_ONCE(&new.num_fences, j as isize); // new->num_fences = j;
    *new.ghost_num.lock().unwrap_or_else(|e| e.into_inner()) = j;
    let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
    rcu_assign_pointer(&obj.fences, Some(&new)); // rcu_assign_pointer(obj->fences, new);
    obj.log_installed(update);
    let Some(old) = old else {
        return 0; // if (!old) return 0;
    };
    for i in k..max {
        let fence = rcu_dereference_protected(&new.table[i], true); // fence = rcu_dereference_protected(new->table[i], dma_resv_held(obj));
        if let Some(f) = fence {
            dma_fence_put(&f); // dma_fence_put(fence);
        }
    }
    match how {
        ListFree::KfreeRcu => kfree_rcu(&old), // kfree_rcu(old, rcu);
        ListFree::Kfree => kmem_cache_free(&old), // the variant: kfree(old);
    }
    0
}

/// `dma_resv_add_fence()` (dma-resv.c:280, v6.8): add `fence` with `usage`, reusing in place
/// a slot whose fence has signaled or is an older fence of the same context with at least
/// this usage; otherwise append (room was reserved). MODEL: no container fences.
pub fn dma_resv_add_fence(obj: &Obj<DmaResv>, fence: &FencePtr, usage: DmaResvUsage) {
    let _c = trace_call("dma_resv_add_fence", &fence.describe());
    dma_fence_get(fence); // dma_fence_get(fence);
    lockdep_assert_held(&obj.lock); // dma_resv_assert_held(obj);
    let fobj = dma_resv_fences_list(obj, true).expect("dma_resv_reserve_fences() was called"); // fobj = dma_resv_fences_list(obj);
    let count = fobj.ghost_num(); // count = fobj->num_fences;
    for i in 0..count {
        let (old, old_usage) = dma_resv_list_entry(&fobj, i, true); // dma_resv_list_entry(fobj, i, obj, &old, &old_usage);
        let old = old.expect("entries below num_fences are set");
        if (old.context() == fence.context()
            && old_usage >= usage
            && dma_fence_is_later_or_same(fence, &old))
            || dma_fence_is_signaled(&old)
        {
            // if ((old->context == fence->context && old_usage >= usage &&
            //      dma_fence_is_later_or_same(fence, old)) || dma_fence_is_signaled(old)) {
            let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
            dma_resv_list_set(&fobj, i, fence, usage); // dma_resv_list_set(fobj, i, fence, usage);
            obj.log_installed(update);
            dma_fence_put(&old); // dma_fence_put(old);
            return;
        }
    }
    BUG_ON(
        count >= fobj.max(),
        "dma_resv_add_fence() without a reserved slot",
    ); // BUG_ON(fobj->num_fences >= fobj->max_fences);
    dma_resv_list_set(&fobj, count, fence, usage); // dma_resv_list_set(fobj, i, fence, usage);
    let update = ghost_update(); // ghost: opens the clock bracket of the update the next store completes
    WRITE_ONCE(&fobj.num_fences, (count + 1) as isize); // smp_store_mb(fobj->num_fences, count): WRITE_ONCE(...);
    *fobj.ghost_num.lock().unwrap_or_else(|e| e.into_inner()) = count + 1;
    obj.log_installed(update);
    smp_mb(); // smp_store_mb(...): smp_mb();
}

/// How the unlocked walk takes its reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// v6.8: `dma_fence_get_rcu()` on the entry, never re-read.
    Upstream,
    /// Not a kernel version: the "single extra check" the commit that dropped the seqcount
    /// mentions (8f94eda39952: "a dma_fence would be reused during the RCU grace period, but
    /// even that could be handled with a single extra check"): once the reference is taken,
    /// re-read the entry and restart if it no longer points to this fence, as
    /// `dma_fence_get_rcu_safe()` does.
    RecheckEntry,
}

/// `struct dma_resv_iter` (dma-resv.h:193, v6.8).
pub struct DmaResvIter {
    /// `obj`: the resv.
    pub obj: Obj<DmaResv>,
    /// `usage`: the fences to return (those with a usage at most this).
    pub usage: DmaResvUsage,
    /// `fence`: the current fence (a reference is held on it).
    pub fence: Option<FencePtr>,
    /// `fence_usage`: its usage.
    pub fence_usage: DmaResvUsage,
    /// `index`: the next entry of `fences` to read.
    pub index: usize,
    /// `fences`: the list being walked.
    pub fences: Option<ListPtr>,
    /// `num_fences`: its `num_fences` when the walk (re)started.
    pub num_fences: usize,
    /// `is_restarted`: this is the first fence after a restart.
    pub is_restarted: bool,
    /// Which walk (not a kernel field: the variant).
    pub walk: Walk,
}

/// `dma_resv_iter_begin()` (dma-resv.h:230, v6.8).
pub fn dma_resv_iter_begin(obj: &Obj<DmaResv>, usage: DmaResvUsage) -> DmaResvIter {
    DmaResvIter {
        obj: obj.clone(), // cursor->obj = obj;
        usage,            // cursor->usage = usage;
        fence: None,      // cursor->fence = NULL;
        fence_usage: DmaResvUsage::Kernel,
        index: 0,
        fences: None,
        num_fences: 0,
        is_restarted: false,
        walk: Walk::Upstream,
    }
}

/// `dma_resv_iter_end()` (dma-resv.h:246, v6.8): drop the reference on the current fence.
pub fn dma_resv_iter_end(cursor: &mut DmaResvIter) {
    if let Some(f) = cursor.fence.take() {
        dma_fence_put(&f); // dma_fence_put(cursor->fence);
    }
}

fn same_list(a: &Option<ListPtr>, b: &Option<ListPtr>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.ptr_eq(b),
        _ => false,
    }
}

/// `dma_resv_iter_restart_unlocked()` (dma-resv.c:359, v6.8).
fn dma_resv_iter_restart_unlocked(cursor: &mut DmaResvIter) {
    cursor.index = 0; // cursor->index = 0;
    cursor.num_fences = 0; // cursor->num_fences = 0;
    cursor.fences = dma_resv_fences_list(&cursor.obj, false); // cursor->fences = dma_resv_fences_list(cursor->obj);
    if let Some(l) = &cursor.fences {
        cursor.num_fences = READ_ONCE(&l.num_fences).max(0) as usize; // cursor->num_fences = cursor->fences->num_fences;
    }
    cursor.is_restarted = true; // cursor->is_restarted = true;
    trace_note(
        "restart",
        cursor.obj.name(),
        &format!("num_fences {}", cursor.num_fences),
    );
}

/// `dma_resv_iter_walk_unlocked()` (dma-resv.c:370, v6.8): walk to the next unsignaled fence
/// of a usage the cursor asks for, and take a reference (`dma_fence_get_rcu()`) on it.
fn dma_resv_iter_walk_unlocked(cursor: &mut DmaResvIter) {
    if cursor.fences.is_none() {
        return; // if (!cursor->fences) return;
    }
    loop {
        if let Some(f) = cursor.fence.take() {
            dma_fence_put(&f); // dma_fence_put(cursor->fence);
        }
        if cursor.index >= cursor.num_fences {
            cursor.fence = None; // cursor->fence = NULL;
            break;
        }
        let list = cursor.fences.clone().expect("num_fences > 0");
        let (fence, usage) = dma_resv_list_entry(&list, cursor.index, false); // dma_resv_list_entry(cursor->fences, cursor->index++, cursor->obj, &cursor->fence, &cursor->fence_usage);
        cursor.index += 1;
        cursor.fence_usage = usage;
        check(fence.is_some(), &OOPS, || {
            format!(
                "dma_fence_get_rcu(NULL): {}.table[{}] read as never written although num_fences was read as {} (the entry store is not ordered before the num_fences store)",
                list.mem_name(),
                cursor.index - 1,
                cursor.num_fences
            )
        });
        let Some(fence) = fence else { break };
        cursor.fence = dma_fence_get_rcu(&fence); // cursor->fence = dma_fence_get_rcu(cursor->fence);
        let Some(f) = cursor.fence.clone() else {
            dma_resv_iter_restart_unlocked(cursor); // dma_resv_iter_restart_unlocked(cursor);
            cpu_relax(); // MODEL: the retry makes progress (see checker::kernel::processor)
            continue; // continue;
        };
        if cursor.walk == Walk::RecheckEntry {
            let (again, _) = dma_resv_list_entry(&list, cursor.index - 1, false); // the variant: re-read the entry
            if !again.is_some_and(|a| a.ptr_eq(&f)) {
                dma_fence_put(&f); // the entry changed: drop the reference and restart
                cursor.fence = None;
                dma_resv_iter_restart_unlocked(cursor);
                cpu_relax(); // MODEL: the retry makes progress (see checker::kernel::processor)
                continue;
            }
        }
        if !dma_fence_is_signaled(&f) && cursor.usage >= cursor.fence_usage {
            break; // if (!dma_fence_is_signaled(cursor->fence) && cursor->usage >= cursor->fence_usage) break;
        }
    }
}

/// `dma_resv_iter_first_unlocked()` (dma-resv.c:412, v6.8): the first fence (with a
/// reference held by the cursor), restarting while the list pointer changes.
pub fn dma_resv_iter_first_unlocked(cursor: &mut DmaResvIter) -> Option<FencePtr> {
    let _c = trace_call("dma_resv_iter_first_unlocked", cursor.obj.name());
    rcu_read_lock(); // rcu_read_lock();
    loop {
        dma_resv_iter_restart_unlocked(cursor); // dma_resv_iter_restart_unlocked(cursor);
        dma_resv_iter_walk_unlocked(cursor); // dma_resv_iter_walk_unlocked(cursor);
        let now = dma_resv_fences_list(&cursor.obj, false); // } while (dma_resv_fences_list(cursor->obj) != cursor->fences);
        if same_list(&now, &cursor.fences) {
            break;
        }
        cpu_relax(); // MODEL: the retry makes progress (see checker::kernel::processor)
    }
    rcu_read_unlock(); // rcu_read_unlock();
    cursor.fence.clone() // return cursor->fence;
}

/// `dma_resv_iter_next_unlocked()` (dma-resv.c:435, v6.8): the next fence, restarting from
/// the first entry (`is_restarted`) if the list pointer changed.
pub fn dma_resv_iter_next_unlocked(cursor: &mut DmaResvIter) -> Option<FencePtr> {
    let _c = trace_call("dma_resv_iter_next_unlocked", cursor.obj.name());
    rcu_read_lock(); // rcu_read_lock();
    cursor.is_restarted = false; // cursor->is_restarted = false;
    let now = dma_resv_fences_list(&cursor.obj, false); // restart = dma_resv_fences_list(cursor->obj) != cursor->fences;
    let mut restart = !same_list(&now, &cursor.fences);
    loop {
        if restart {
            dma_resv_iter_restart_unlocked(cursor); // if (restart) dma_resv_iter_restart_unlocked(cursor);
        }
        dma_resv_iter_walk_unlocked(cursor); // dma_resv_iter_walk_unlocked(cursor);
        restart = true; // restart = true;
        let now = dma_resv_fences_list(&cursor.obj, false); // } while (dma_resv_fences_list(cursor->obj) != cursor->fences);
        if same_list(&now, &cursor.fences) {
            break;
        }
        cpu_relax(); // MODEL: the retry makes progress (see checker::kernel::processor)
    }
    rcu_read_unlock(); // rcu_read_unlock();
    cursor.fence.clone() // return cursor->fence;
}

/// `dma_resv_test_signaled()` (dma-resv.c:728, v6.8): true if every fence of `usage` or a
/// lower one has signaled.
pub fn dma_resv_test_signaled(obj: &Obj<DmaResv>, usage: DmaResvUsage) -> bool {
    let _c = trace_call("dma_resv_test_signaled", obj.name());
    let mut cursor = dma_resv_iter_begin(obj, usage); // dma_resv_iter_begin(&cursor, obj, usage);
    if dma_resv_iter_first_unlocked(&mut cursor).is_some() {
        // dma_resv_for_each_fence_unlocked(&cursor, fence) {
        dma_resv_iter_end(&mut cursor); // dma_resv_iter_end(&cursor);
        return false; // return false;
    }
    dma_resv_iter_end(&mut cursor); // dma_resv_iter_end(&cursor);
    true // return true;
}

/// `dma_resv_get_fences()` (dma-resv.c:561, v6.8): references to the unsignaled fences of
/// `usage` or a lower one. MODEL: the `krealloc_array()`ed array is a `Vec` (no -ENOMEM).
pub fn dma_resv_get_fences(obj: &Obj<DmaResv>, usage: DmaResvUsage) -> Vec<FencePtr> {
    dma_resv_get_fences_walk(obj, usage, Walk::Upstream)
}

/// [`dma_resv_get_fences`] over the unlocked iterator with the walk `walk`.
pub fn dma_resv_get_fences_walk(
    obj: &Obj<DmaResv>,
    usage: DmaResvUsage,
    walk: Walk,
) -> Vec<FencePtr> {
    let _c = trace_call("dma_resv_get_fences", obj.name());
    let mut fences: Vec<FencePtr> = Vec::new(); // *num_fences = 0; *fences = NULL;
    let mut cursor = dma_resv_iter_begin(obj, usage); // dma_resv_iter_begin(&cursor, obj, usage);
    cursor.walk = walk;
    let mut fence = dma_resv_iter_first_unlocked(&mut cursor); // dma_resv_for_each_fence_unlocked(&cursor, fence) {
    while let Some(f) = fence {
        if cursor.is_restarted {
            // if (dma_resv_iter_is_restarted(&cursor)) {
            while let Some(old) = fences.pop() {
                dma_fence_put(&old); // while (*num_fences) dma_fence_put((*fences)[--(*num_fences)]);
            }
        }
        dma_fence_get(&f); // (*fences)[(*num_fences)++] = dma_fence_get(fence);
        fences.push(f);
        fence = dma_resv_iter_next_unlocked(&mut cursor);
    }
    dma_resv_iter_end(&mut cursor); // dma_resv_iter_end(&cursor);
    fences
}

/// What was installed at step `t`, per the ghost history.
fn installed_at(hist: &[(usize, Vec<Installed>)], t: usize) -> &[Installed] {
    hist.iter()
        .rev()
        .find(|(s, _)| *s <= t)
        .map(|(_, v)| v.as_slice())
        .unwrap_or(&[])
}

fn describe_history(hist: &[(usize, Vec<Installed>)]) -> String {
    hist.iter()
        .map(|(s, v)| {
            let set: Vec<String> = v
                .iter()
                .map(|e| {
                    let sig = e
                        .fence
                        .ghost()
                        .ghost_signaled_at(e.obj)
                        .map(|s| format!("signaled at step {s}"))
                        .unwrap_or_else(|| "never signaled".into());
                    format!("{} {:?} {sig}", e.name, e.usage)
                })
                .collect();
            format!("from step {s}: {{{}}}", set.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Ghost check of [`IDLE_LINEARIZABLE`] for `dma_resv_test_signaled(obj, usage)` that
/// answered `idle` over the steps `[start, end]`: some instant of the call had every
/// installed fence of a usage at most `usage` signaled.
pub fn check_test_signaled(
    obj: &Obj<DmaResv>,
    usage: DmaResvUsage,
    idle: bool,
    start: usize,
    end: usize,
) {
    trace_note("answer", obj.name(), if idle { "idle" } else { "busy" });
    if !idle || !ghost_clock_exact() {
        return; // not exact: loom ran a clock reading inside an update's bracket (clock.rs)
    }
    let hist = obj.ghost().history.lock().unwrap().clone();
    let mut instants = vec![start];
    for (s, v) in &hist {
        if *s > start && *s <= end {
            instants.push(*s);
        }
        for e in v {
            if let Some(sig) = e.fence.ghost().ghost_signaled_at(e.obj) {
                if sig > start && sig <= end {
                    instants.push(sig);
                }
            }
        }
    }
    let ok = instants.iter().any(|&t| {
        installed_at(&hist, t).iter().all(|e| {
            e.usage > usage
                || e.fence
                    .ghost()
                    .ghost_signaled_at(e.obj)
                    .is_some_and(|s| s <= t)
        })
    });
    check(ok, &IDLE_LINEARIZABLE, || {
        format!(
            "dma_resv_test_signaled({}, {usage:?}) answered idle over steps {start}..{end}, but at no instant was every installed fence signaled: {}",
            obj.name(),
            describe_history(&hist)
        )
    });
}

/// Ghost check of [`FENCE_GET_IDENTITY`] for the fences `dma_resv_get_fences()` returned
/// over the steps `[start, end]`: each reference is on the fence the entry it read had
/// installed, and that fence was installed at some instant of the call.
pub fn check_get_fences(obj: &Obj<DmaResv>, got: &[FencePtr], start: usize, end: usize) {
    let names: Vec<String> = got.iter().map(|f| f.describe()).collect();
    trace_note("answer", obj.name(), &format!("[{}]", names.join(", ")));
    let hist = obj.ghost().history.lock().unwrap().clone();
    for f in got {
        let held = f.occupant();
        check(f.installed() == held, &FENCE_GET_IDENTITY, || {
            format!(
                "dma_resv_get_fences({}) returned {} as {} (the fence the table entry it read had installed), but its reference is on {}, a new fence in the same memory",
                obj.name(),
                f.mem_name(),
                f.installed_name(),
                f.occupant_name()
            )
        });
        if !ghost_clock_exact() {
            continue; // loom ran a clock reading inside an update's bracket (clock.rs)
        }
        let mut instants = vec![start];
        instants.extend(
            hist.iter()
                .map(|(s, _)| *s)
                .filter(|s| *s > start && *s <= end),
        );
        let was_installed = instants
            .iter()
            .any(|&t| installed_at(&hist, t).iter().any(|e| Some(e.obj) == held));
        check(was_installed, &FENCE_GET_IDENTITY, || {
            format!(
                "dma_resv_get_fences({}) returned {} holding a reference on {}, which was not installed in {} at any instant of the call (steps {start}..{end}): {}",
                obj.name(),
                f.mem_name(),
                f.occupant_name(),
                obj.name(),
                describe_history(&hist)
            )
        });
    }
}
