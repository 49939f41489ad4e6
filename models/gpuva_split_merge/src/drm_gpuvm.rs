//! drivers/gpu/drm/drm_gpuvm.c and include/drm/drm_gpuvm.h: the split/merge algorithm
//! (`__drm_gpuvm_sm_map`, `__drm_gpuvm_sm_unmap`), the ops list (`drm_gpuvm_sm_map_ops_create`),
//! and the VA tree (`drm_gpuva_insert`, `drm_gpuva_remove`, `drm_gpuva_find_first`,
//! `drm_gpuva_find`, `drm_gpuva_remap`).
//!
//! Read: torvalds/linux at 000a45dce7ad (v6.17+), where `__drm_gpuvm_sm_map()` takes a
//! `struct drm_gpuvm_map_req`; v6.8 passes `req_addr, req_range, req_obj, req_offset` as
//! arguments. The split and merge decisions are the same in both.
//!
//! `MODEL:` addresses, ranges and GEM offsets are in pages; a GEM object is a small id.
//! `MODEL:` the VA tree (an rb interval tree upstream, a maple tree in the 2023 proposal) is
//! an array of node pointers ([`RcuPointer`]s into the drm_gpuva cache), one per tree slot;
//! an insert or a remove is one pointer store, a lookup reads every node. Which slot an
//! insert uses is ghost state (the first free one). A lockless reader of a real rb-tree can
//! also see rotations half done (and loop or miss unrelated nodes): that is not modelled, so
//! the model's lockless anomalies are a lower bound of the rb-tree's. The ordered interval
//! map the kernel keeps (`rb.tree` + `rb.list`) is the ghost [`Ghost::nodes`], sorted on use.

use std::collections::BTreeMap;
use std::sync::Mutex as StdMutex;

use checker::kernel::kfree_rcu;
use checker::kernel::{
    kfree, kmalloc, kmem_cache_alloc, kmem_cache_free, kzalloc, lockdep_assert_held,
    rcu_access_pointer, rcu_assign_pointer, rcu_dereference, rcu_dereference_protected,
    rcu_replace_pointer, spin_lock, spin_unlock, trace_call, trace_note, AtomicT, Gfp, KMutex,
    KmemCache, Obj, RcuPointer, SlabPtr, SpinLock, RCU_INIT_POINTER, READ_ONCE,
};
use checker::scenario::{check, witness_if};

use crate::invariants::*;

/// A GEM object, by id (`MODEL:` the GEM objects themselves are the vm_bo model's).
pub type GemId = u8;

/// Number of node slots of the model's VA tree.
pub const TREE_NODES: usize = 3;

/// `struct drm_gpuva`'s `va` and `gem` fields, also `struct drm_gpuva_op_map`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VaDesc {
    /// `va.addr`
    pub addr: u64,
    /// `va.range`
    pub range: u64,
    /// `gem.obj`
    pub obj: GemId,
    /// `gem.offset`
    pub offset: u64,
}

impl VaDesc {
    /// `addr + range`.
    pub fn end(&self) -> u64 {
        self.addr + self.range
    }

    /// The GEM page that VA page `page` of this mapping shows.
    pub fn gem_page(&self, page: u64) -> (GemId, u64) {
        (self.obj, self.offset + (page - self.addr))
    }
}

impl std::fmt::Display for VaDesc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}, {}) gem{} +{}",
            self.addr,
            self.end(),
            self.obj,
            self.offset
        )
    }
}

/// `struct drm_gpuva_op_unmap`: the va to unmap (`H`: how the caller names a va) and `keep`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrmGpuvaOpUnmap<H> {
    pub va: H,
    /// The va as it was when the op was made (ghost, for checks and traces).
    pub old: VaDesc,
    pub keep: bool,
}

/// `struct drm_gpuva_op` (DRM_GPUVA_OP_MAP / REMAP / UNMAP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrmGpuvaOp<H> {
    Map(VaDesc),
    Remap {
        prev: Option<VaDesc>,
        next: Option<VaDesc>,
        unmap: DrmGpuvaOpUnmap<H>,
    },
    Unmap(DrmGpuvaOpUnmap<H>),
}

/// `struct drm_gpuvm_ops`: the driver's `sm_step_*` callbacks. An `Err` is the callback's
/// negative return, which ends the walk.
pub trait DrmGpuvmOps<H> {
    fn sm_step_map(&mut self, op: DrmGpuvaOp<H>) -> Result<(), i32>;
    fn sm_step_remap(&mut self, op: DrmGpuvaOp<H>) -> Result<(), i32>;
    fn sm_step_unmap(&mut self, op: DrmGpuvaOp<H>) -> Result<(), i32>;
}

/// `__drm_gpuvm_sm_map()` (drm_gpuvm.c, v6.8): the split and merge decisions for mapping
/// `req` over the vas `walk` yields (the range walk, in address order).
///
/// `MODEL:` `drm_gpuvm_for_each_va_range_safe()` is passed in as the list of the vas that
/// overlap the request, read before the first step. That is what the safe iterator sees: a
/// step removes only the current va and inserts remainders outside the request's range.
pub fn __drm_gpuvm_sm_map<H>(
    walk: impl IntoIterator<Item = (H, VaDesc)>,
    req: VaDesc,
    ops: &mut impl DrmGpuvmOps<H>,
) -> Result<(), i32> {
    let req_end = req.end(); // u64 req_end = req_addr + req_range;
    for (va, d) in walk {
        // drm_gpuvm_for_each_va_range_safe(va, next, gpuvm, req_addr, req_end) {
        let (obj, offset, addr, range, end) = (d.obj, d.offset, d.addr, d.range, d.end());
        let mut merge = true; // bool merge = !!va->gem.obj; (MODEL: every va has a GEM)
        if addr == req.addr {
            merge &= obj == req.obj && offset == req.offset;
            let u = DrmGpuvaOpUnmap {
                va,
                old: d,
                keep: merge,
            };
            if end == req_end {
                ops.sm_step_unmap(DrmGpuvaOp::Unmap(u))?; // op_unmap_cb(ops, priv, va, merge)
                break;
            }
            if end < req_end {
                ops.sm_step_unmap(DrmGpuvaOp::Unmap(u))?; // op_unmap_cb(ops, priv, va, merge)
                continue;
            }
            // end > req_end: the next remainder keeps the GEM offset of its first page.
            let n = VaDesc {
                addr: req_end,
                range: range - req.range,
                obj,
                offset: offset + req.range,
            };
            let op = DrmGpuvaOp::Remap {
                prev: None,
                next: Some(n),
                unmap: u,
            };
            ops.sm_step_remap(op)?; // op_remap_cb(ops, priv, NULL, &n, &u)
            break;
        } else if addr < req.addr {
            let ls_range = req.addr - addr;
            let p = VaDesc {
                addr,
                range: ls_range,
                obj,
                offset,
            };
            merge &= obj == req.obj && offset + ls_range == req.offset;
            let u = DrmGpuvaOpUnmap {
                va,
                old: d,
                keep: merge,
            };
            if end == req_end {
                let op = DrmGpuvaOp::Remap {
                    prev: Some(p),
                    next: None,
                    unmap: u,
                };
                ops.sm_step_remap(op)?; // op_remap_cb(ops, priv, &p, NULL, &u)
                break;
            }
            if end < req_end {
                let op = DrmGpuvaOp::Remap {
                    prev: Some(p),
                    next: None,
                    unmap: u,
                };
                ops.sm_step_remap(op)?; // op_remap_cb(ops, priv, &p, NULL, &u)
                continue;
            }
            let n = VaDesc {
                addr: req_end,
                range: end - req_end,
                obj,
                offset: offset + ls_range + req.range,
            };
            let op = DrmGpuvaOp::Remap {
                prev: Some(p),
                next: Some(n),
                unmap: u,
            };
            ops.sm_step_remap(op)?; // op_remap_cb(ops, priv, &p, &n, &u)
            break;
        } else {
            // addr > req_addr
            merge &= obj == req.obj && offset == req.offset + (addr - req.addr);
            let u = DrmGpuvaOpUnmap {
                va,
                old: d,
                keep: merge,
            };
            if end == req_end {
                ops.sm_step_unmap(DrmGpuvaOp::Unmap(u))?; // op_unmap_cb(ops, priv, va, merge)
                break;
            }
            if end < req_end {
                ops.sm_step_unmap(DrmGpuvaOp::Unmap(u))?; // op_unmap_cb(ops, priv, va, merge)
                continue;
            }
            let n = VaDesc {
                addr: req_end,
                range: end - req_end,
                obj,
                offset: offset + req_end - addr,
            };
            let op = DrmGpuvaOp::Remap {
                prev: None,
                next: Some(n),
                unmap: u,
            };
            ops.sm_step_remap(op)?; // op_remap_cb(ops, priv, NULL, &n, &u)
            break;
        }
    }
    ops.sm_step_map(DrmGpuvaOp::Map(req)) // return op_map_cb(ops, priv, req_addr, ...)
}

/// `__drm_gpuvm_sm_unmap()` (drm_gpuvm.c, v6.8): unmap `[req_addr, req_addr + req_range)`,
/// splitting the vas that stick out of it (remainders keep their GEM pages; keep is false).
pub fn __drm_gpuvm_sm_unmap<H>(
    walk: impl IntoIterator<Item = (H, VaDesc)>,
    req_addr: u64,
    req_range: u64,
    ops: &mut impl DrmGpuvmOps<H>,
) -> Result<(), i32> {
    let req_end = req_addr + req_range; // u64 req_end = req_addr + req_range;
    for (va, d) in walk {
        let (obj, offset, addr, end) = (d.obj, d.offset, d.addr, d.end());
        let prev = (addr < req_addr).then(|| VaDesc {
            addr,
            range: req_addr - addr,
            obj,
            offset,
        }); // if (addr < req_addr) { prev.va.addr = addr; ... prev_split = true; }
        let next = (end > req_end).then(|| VaDesc {
            addr: req_end,
            range: end - req_end,
            obj,
            offset: offset + (req_end - addr),
        }); // if (end > req_end) { next.va.addr = req_end; ... next_split = true; }
        let unmap = DrmGpuvaOpUnmap {
            va,
            old: d,
            keep: false,
        };
        if prev.is_some() || next.is_some() {
            ops.sm_step_remap(DrmGpuvaOp::Remap { prev, next, unmap })?; // op_remap_cb(...)
        } else {
            ops.sm_step_unmap(DrmGpuvaOp::Unmap(unmap))?; // op_unmap_cb(ops, priv, va, false)
        }
    }
    Ok(())
}

/// The ops list `drm_gpuvm_sm_map_ops_create()` builds (drm_gpuvm.c, v6.8): the same steps,
/// recorded by `drm_gpuva_sm_step()` instead of applied.
pub struct OpsList<H>(pub Vec<DrmGpuvaOp<H>>);

impl<H> DrmGpuvmOps<H> for OpsList<H> {
    fn sm_step_map(&mut self, op: DrmGpuvaOp<H>) -> Result<(), i32> {
        self.0.push(op); // list_add_tail(&op->entry, &ops->list);
        Ok(())
    }
    fn sm_step_remap(&mut self, op: DrmGpuvaOp<H>) -> Result<(), i32> {
        self.0.push(op);
        Ok(())
    }
    fn sm_step_unmap(&mut self, op: DrmGpuvaOp<H>) -> Result<(), i32> {
        self.0.push(op);
        Ok(())
    }
}

/// `drm_gpuvm_sm_map_ops_create()` over the vas `walk` yields: the list of ops.
/// `MODEL:` the ops are not kmalloc'ed (GFP_KERNEL) one by one; the caller calls it outside
/// any atomic section, as the kernel requires.
pub fn drm_gpuvm_sm_map_ops_create<H>(
    walk: impl IntoIterator<Item = (H, VaDesc)>,
    req: VaDesc,
) -> Result<Vec<DrmGpuvaOp<H>>, i32> {
    let mut ops = OpsList(Vec::new());
    __drm_gpuvm_sm_map(walk, req, &mut ops)?;
    Ok(ops.0)
}

// ---------------------------------------------------------------------------------------
// The reference specification: a page-wise interval map.

/// The VA space page by page: VA page → (GEM, GEM page). The specification of split/merge.
pub type Pages = BTreeMap<u64, (GemId, u64)>;

/// The reference map: `pages` with `req` mapped over it.
pub fn ref_map(pages: &Pages, req: VaDesc) -> Pages {
    let mut p = pages.clone();
    for page in req.addr..req.end() {
        p.insert(page, req.gem_page(page));
    }
    p
}

/// The reference unmap: `pages` without `[addr, addr + range)`.
pub fn ref_unmap(pages: &Pages, addr: u64, range: u64) -> Pages {
    let mut p = pages.clone();
    for page in addr..addr + range {
        p.remove(&page);
    }
    p
}

/// The pages a set of vas maps.
pub fn pages_of(vas: impl IntoIterator<Item = VaDesc>) -> Pages {
    let mut p = Pages::new();
    for d in vas {
        for page in d.addr..d.end() {
            p.insert(page, d.gem_page(page));
        }
    }
    p
}

/// Whether `keep` is right for an unmapped va `old` under a map `req`: set exactly when every
/// page of `old` inside the request keeps its GEM page.
pub fn keep_spec(old: VaDesc, req: VaDesc) -> bool {
    let lo = old.addr.max(req.addr);
    let hi = old.end().min(req.end());
    (lo..hi).all(|p| old.gem_page(p) == req.gem_page(p))
}

/// Check an op of a map request against the reference ([`SM_MAP_SPEC`]): the keep flag and
/// that remainders keep their GEM pages. Returns a message for each mismatch.
pub fn check_op<H>(op: &DrmGpuvaOp<H>, req: Option<VaDesc>) -> Vec<String> {
    let mut errs = Vec::new();
    let (unmap, rem) = match op {
        DrmGpuvaOp::Map(_) => return errs,
        DrmGpuvaOp::Unmap(u) => (u, vec![]),
        DrmGpuvaOp::Remap { prev, next, unmap } => {
            (unmap, prev.iter().chain(next).copied().collect())
        }
    };
    if let Some(req) = req {
        let want = keep_spec(unmap.old, req);
        if unmap.keep != want {
            errs.push(format!(
                "keep is {} for va {} under map {} (the reference says {want})",
                unmap.keep, unmap.old, req
            ));
        }
    } else if unmap.keep {
        errs.push(format!("keep set for va {} by an unmap", unmap.old));
    }
    for r in rem {
        for p in r.addr..r.end() {
            if p < unmap.old.addr || p >= unmap.old.end() || r.gem_page(p) != unmap.old.gem_page(p)
            {
                errs.push(format!(
                    "remainder {r} of va {} does not keep the GEM page of VA page {p}",
                    unmap.old
                ));
                break;
            }
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------
// The concurrent VA tree.

/// `struct drm_gpuva`: its fields, written by `drm_gpuva_init_from_op()` before the va is
/// inserted. `MODEL:` ghost fields behind the node pointer: the publication's ordering is the
/// pointer store's; a reader that got the pointer reads the fields it was published with.
pub struct DrmGpuva {
    desc: StdMutex<VaDesc>,
    /// The memory of `va->va.addr`: a lockless reader's field read is a `READ_ONCE` of it, a
    /// scheduling point between the pointer load and the use of the va (`MODEL:` its value
    /// is not used; the fields are `desc`'s).
    addr: AtomicT,
}

/// How the tree's node pointers are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// Upstream rb-tree links: plain stores (`WRITE_ONCE`, relaxed), ordered by the lock.
    Plain,
    /// `rcu_assign_pointer()` (release): for lookups under RCU.
    Rcu,
}

/// How a removed va's memory is given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Free {
    /// `kfree(va)` in the step callback, as upstream drivers do under their lock.
    Kfree,
    /// `kfree_rcu(va, rcu)`: after a grace period.
    KfreeRcu,
    /// Kept by the driver until the scenario ends (`MODEL:` so that a scenario about the
    /// tree's shape has no use-after-free to find first).
    Deferred,
}

/// How a lookup reads the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// Holding the driver's lock (`gpuvm->lock` in the model), as the kernel-doc requires.
    DriverLock,
    /// Holding the maple tree's internal spinlock only (`mt->ma_lock`).
    TreeLock,
    /// Inside `rcu_read_lock()`.
    Rcu,
    /// No lock at all (the advanced API without locking).
    Unlocked,
}

/// The ghost state of the tree.
#[derive(Default)]
pub struct Ghost {
    /// Per node slot: the va linked there, with its fields.
    pub nodes: Vec<Option<(SlabPtr<DrmGpuva>, VaDesc)>>,
    /// A remap is half applied (between its first and last tree store).
    pub remap_in_progress: bool,
}

/// `struct drm_gpuvm` with the driver's locks around it.
pub struct DrmGpuvm {
    /// The driver's lock that serialises map, unmap and lookups (upstream: e.g. xe's
    /// `vm->lock`, nouveau's `uvmm->mutex`); the external mutex of the maple-tree proposal.
    pub lock: KMutex,
    /// The maple tree's internal spinlock (`mt->ma_lock`), for option (2).
    pub ma_lock: SpinLock,
    /// The tree: one node pointer per slot.
    nodes: Vec<RcuPointer<DrmGpuva>>,
    /// The drm_gpuva cache the driver allocates its vas from.
    pub cache: KmemCache<DrmGpuva>,
    /// How the node pointers are stored.
    pub publish: Publish,
    /// Option (2): every tree store is a `mas_*` call under `ma_lock`; with `gfp_in_lock` it
    /// allocates its maple node with GFP_KERNEL inside (`mas_store_gfp()`), else before
    /// taking the spinlock (`mas_preallocate()`).
    maple: StdMutex<Option<MapleStore>>,
    ghost: StdMutex<Ghost>,
}

/// Option (2)'s store discipline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapleStore {
    /// `mas_store_gfp(&mas, va, GFP_KERNEL)` under the spinlock (else `mas_preallocate()`).
    pub gfp_in_lock: bool,
}

/// `drm_gpuvm_init()` of a VM whose tree stores with `publish` and, for option (2), `maple`.
pub fn drm_gpuvm_init(publish: Publish, maple: Option<MapleStore>) -> Obj<DrmGpuvm> {
    let cache = KmemCache::new("drm_gpuva", "va", |n| DrmGpuva {
        desc: StdMutex::new(VaDesc::default()),
        addr: AtomicT::new(n, "va.addr", 0),
    });
    kzalloc("gpuvm", |id, n| DrmGpuvm {
        lock: KMutex::new(id, n, "lock"),
        ma_lock: SpinLock::new(id, n, "mt.ma_lock"),
        nodes: (0..TREE_NODES)
            .map(|i| RcuPointer::new(n, &format!("rb.node[{i}]"), &cache))
            .collect(),
        cache: cache.clone(),
        publish,
        maple: StdMutex::new(maple),
        ghost: StdMutex::new(Ghost {
            nodes: vec![None; TREE_NODES],
            remap_in_progress: false,
        }),
    })
}

impl DrmGpuvm {
    fn ghost(&self) -> std::sync::MutexGuard<'_, Ghost> {
        self.ghost.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ghost: the vas in the tree now, in address order.
    pub fn ghost_vas(&self) -> Vec<VaDesc> {
        let mut v: Vec<VaDesc> = self
            .ghost()
            .nodes
            .iter()
            .flatten()
            .map(|(_, d)| *d)
            .collect();
        v.sort_by_key(|d| d.addr);
        v
    }

    /// Ghost: the tree's pages.
    pub fn ghost_pages(&self) -> Pages {
        pages_of(self.ghost_vas())
    }

    /// Switch the tree to option (2)'s store discipline (`MODEL:` the scenarios insert the
    /// initial va at VM creation first, so that a counterexample shows the VM_BIND's store).
    pub fn set_maple(&self, m: Option<MapleStore>) {
        *self.maple.lock().unwrap_or_else(|e| e.into_inner()) = m;
    }

    /// Ghost: mark a remap as half applied (or done).
    pub fn set_remap_in_progress(&self, v: bool) {
        self.ghost().remap_in_progress = v;
    }

    /// Ghost: every va in the tree (for teardown).
    pub fn ghost_take_all(&self) -> Vec<(usize, SlabPtr<DrmGpuva>)> {
        let g = self.ghost();
        g.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|(p, _)| (i, p.clone())))
            .collect()
    }

    /// The slot the va `va` is linked at (ghost: its `rb.node`).
    fn slot_of(&self, va: &SlabPtr<DrmGpuva>) -> Option<usize> {
        self.ghost()
            .nodes
            .iter()
            .position(|n| n.as_ref().is_some_and(|(p, _)| p.ptr_eq(va)))
    }
}

/// Store `v` in node `i` of the tree: one `mas_*` store under the maple tree's spinlock for
/// option (2), else the rb-tree link store (plain or `rcu_assign_pointer`).
fn tree_store(vm: &DrmGpuvm, i: usize, v: Option<&SlabPtr<DrmGpuva>>) {
    let node = &vm.nodes[i];
    let maple = *vm.maple.lock().unwrap_or_else(|e| e.into_inner());
    match maple {
        Some(m) => {
            let pre = (!m.gfp_in_lock).then(|| kmalloc("maple_node", Gfp::Kernel, |_, _| ())); // mas_preallocate(&mas, va, GFP_KERNEL)
            let g = spin_lock(&vm.ma_lock); // mas_lock(&mas) -> spin_lock(&mt->ma_lock)
            let node_mem = match pre {
                Some(p) => p,                                          // mas_store_prealloc(&mas, va)
                None => kmalloc("maple_node", Gfp::Kernel, |_, _| ()), // mas_store_gfp(&mas, va, GFP_KERNEL): mas_alloc_nodes()
            };
            rcu_assign_pointer(node, v); // the maple tree publishes the new node with rcu_assign_pointer()
            spin_unlock(g); // mas_unlock(&mas)
            kfree(&node_mem); // MODEL: the node the store replaced, freed (ma_free_rcu) at once
        }
        None => match vm.publish {
            Publish::Plain => RCU_INIT_POINTER(node, v), // rb_link_node()/rb_insert_augmented(): WRITE_ONCE of the link
            Publish::Rcu => rcu_assign_pointer(node, v), // rcu_assign_pointer(*link, node)
        },
    }
}

/// Read node `i` as a reader reading with `how` may.
fn tree_load(vm: &DrmGpuvm, i: usize, how: Read) -> Option<SlabPtr<DrmGpuva>> {
    let node = &vm.nodes[i];
    match how {
        Read::DriverLock | Read::TreeLock => rcu_dereference_protected(node, true), // rb_entry(node->rb_left, ...): lockdep asserted by the caller
        Read::Rcu => rcu_dereference(node), // rcu_dereference(node->slot[i])
        Read::Unlocked => rcu_access_pointer(node), // MODEL: a plain load of the link (no lock, no RCU)
    }
}

/// `drm_gpuvm_for_each_va_range()`'s walk: every va overlapping `[addr, end)`, in address
/// order, as the reader sees them. `MODEL:` every node is read.
pub fn drm_gpuvm_va_range_walk(
    vm: &DrmGpuvm,
    addr: u64,
    end: u64,
    how: Read,
) -> Vec<(SlabPtr<DrmGpuva>, VaDesc)> {
    match how {
        Read::DriverLock => lockdep_assert_held(&vm.lock), // DOC: Locking: the driver protects iterating the tree
        Read::TreeLock => lockdep_assert_held(&vm.ma_lock), // mas_walk() under mas_lock()
        Read::Rcu | Read::Unlocked => {}
    }
    let mut out = Vec::new();
    for i in 0..vm.nodes.len() {
        witness_if(vm.ghost().remap_in_progress, &LOOKUP_DURING_REMAP);
        if let Some(va) = tree_load(vm, i, how) {
            if how != Read::DriverLock {
                // Lockless (or tree-lock only): the field read races with the writer; under
                // the driver's lock nothing does, so no scheduling point is needed there.
                READ_ONCE(&va.ghost().addr); // va->va.addr
            }
            let d = *va.desc.lock().unwrap_or_else(|e| e.into_inner()); // va->va.addr, va->va.range: the access KASAN checks
            if d.addr < end && addr < d.end() {
                out.push((va, d));
            }
        }
    }
    out.sort_by_key(|(_, d)| d.addr);
    out
}

/// `drm_gpuva_find_first()` (drm_gpuvm.c, v6.8): the first va overlapping
/// `[addr, addr + range)`.
pub fn drm_gpuva_find_first(
    vm: &DrmGpuvm,
    addr: u64,
    range: u64,
    how: Read,
) -> Option<(SlabPtr<DrmGpuva>, VaDesc)> {
    let _c = trace_call(
        "drm_gpuva_find_first",
        &format!("[{addr}, {})", addr + range),
    );
    drm_gpuvm_va_range_walk(vm, addr, addr + range, how)
        .into_iter()
        .next() // drm_gpuva_it_iter_first(&gpuvm->rb.tree, addr, last)
}

/// `drm_gpuva_find()` (drm_gpuvm.c, v6.8): the va at exactly `[addr, addr + range)`.
pub fn drm_gpuva_find(
    vm: &DrmGpuvm,
    addr: u64,
    range: u64,
    how: Read,
) -> Option<(SlabPtr<DrmGpuva>, VaDesc)> {
    let _c = trace_call("drm_gpuva_find", &format!("[{addr}, {})", addr + range));
    let (va, d) = drm_gpuva_find_first(vm, addr, range, how)?; // va = drm_gpuva_find_first(gpuvm, addr, range);
    (d.addr == addr && d.range == range).then_some((va, d)) // if (va->va.addr != addr || va->va.range != range) goto out;
}

/// `drm_gpuva_init_from_op()` + the va's memory: the driver's preallocated va, initialised.
pub fn drm_gpuva_init_from_op(va: &SlabPtr<DrmGpuva>, op: VaDesc) {
    *va.desc.lock().unwrap_or_else(|e| e.into_inner()) = op; // va->va.addr = op->va.addr; ...
}

/// `drm_gpuva_insert()` (drm_gpuvm.c, v6.8): -EEXIST if the range is taken, else link `va`.
pub fn drm_gpuva_insert(vm: &DrmGpuvm, va: &SlabPtr<DrmGpuva>, how: Read) -> Result<(), i32> {
    let d = *va.desc.lock().unwrap_or_else(|e| e.into_inner());
    let _c = trace_call("drm_gpuva_insert", &d.to_string());
    if !drm_gpuvm_va_range_walk(vm, d.addr, d.end(), how).is_empty() {
        trace_note("drm_gpuva_insert", &d.to_string(), "-EEXIST");
        return Err(-17); // if (drm_gpuva_it_iter_first(...)) return -EEXIST;
    }
    let slot = vm.ghost().nodes.iter().position(|n| n.is_none());
    let Some(slot) = slot else {
        panic!("model bug: the VA tree has only {TREE_NODES} nodes");
    };
    // The ghost link comes first: the store below is where readers can see it.
    let overlap = {
        let mut g = vm.ghost();
        let o = g
            .nodes
            .iter()
            .flatten()
            .find(|(_, o)| o.addr < d.end() && d.addr < o.end())
            .map(|(_, o)| *o);
        g.nodes[slot] = Some((va.clone(), d));
        o
    };
    tree_store(vm, slot, Some(va)); // drm_gpuva_it_insert(va, &gpuvm->rb.tree); list_add(&va->rb.entry, head);
    check(overlap.is_none(), &VA_TREE_NO_OVERLAP, || {
        format!(
            "drm_gpuva_insert({d}) while va {} is in the tree",
            overlap.unwrap_or_default()
        )
    });
    Ok(())
}

/// `drm_gpuva_remove()` (drm_gpuvm.c, v6.8): unlink `va` from the tree.
pub fn drm_gpuva_remove(vm: &DrmGpuvm, va: &SlabPtr<DrmGpuva>) {
    let _c = trace_call("drm_gpuva_remove", &va.describe());
    let Some(slot) = vm.slot_of(va) else {
        panic!("model bug: drm_gpuva_remove() of a va that is not in the tree");
    };
    vm.ghost().nodes[slot] = None;
    tree_store(vm, slot, None); // drm_gpuva_it_remove(va, &va->vm->rb.tree); list_del_init(&va->rb.entry);
}

/// A driver's in-place shrink of a split va to its prev remainder: one store replaces the
/// old node by the remainder's (what a maple-tree `mas_store()` of the remainder's range
/// does). Not an upstream function: the remap a lockless lookup would need.
pub fn driver_replace_in_place(vm: &DrmGpuvm, old: &SlabPtr<DrmGpuva>, new: &SlabPtr<DrmGpuva>) {
    let _c = trace_call("driver_replace_in_place", &old.describe());
    let Some(slot) = vm.slot_of(old) else {
        panic!("model bug: replace of a va that is not in the tree");
    };
    let d = *new.desc.lock().unwrap_or_else(|e| e.into_inner());
    vm.ghost().nodes[slot] = Some((new.clone(), d));
    lockdep_assert_held(&vm.lock); // the writers' lock
    let _old = rcu_replace_pointer(&vm.nodes[slot], Some(new), true); // rcu_replace_pointer(*slot, new, lockdep_is_held(&vm->lock))
}

/// Give back a removed va's memory as `free` says; `Deferred` returns it to the caller.
pub fn driver_free_va(va: SlabPtr<DrmGpuva>, free: Free) -> Option<SlabPtr<DrmGpuva>> {
    match free {
        Free::Kfree => {
            kmem_cache_free(&va); // kfree(va)
            None
        }
        Free::KfreeRcu => {
            kfree_rcu(&va); // kfree_rcu(va, rcu)
            None
        }
        Free::Deferred => Some(va),
    }
}

/// A new va from the driver's cache (`kzalloc(sizeof(*va), GFP_KERNEL)` before any lock).
pub fn driver_va_alloc(vm: &DrmGpuvm) -> SlabPtr<DrmGpuva> {
    kmem_cache_alloc(&vm.cache)
}

/// `drm_gpuvm_sm_map()` (drm_gpuvm.c, v6.8): walk the tree for `req`'s range as `how` may,
/// then the split/merge steps into the driver's `ops`.
pub fn drm_gpuvm_sm_map(
    vm: &DrmGpuvm,
    ops: &mut impl DrmGpuvmOps<SlabPtr<DrmGpuva>>,
    req: VaDesc,
    how: Read,
) -> Result<(), i32> {
    let _c = trace_call("drm_gpuvm_sm_map", &req.to_string());
    let walk = drm_gpuvm_va_range_walk(vm, req.addr, req.end(), how); // drm_gpuvm_for_each_va_range_safe()
    __drm_gpuvm_sm_map(walk, req, ops)
}

/// `drm_gpuvm_sm_unmap()` (drm_gpuvm.c, v6.8).
pub fn drm_gpuvm_sm_unmap(
    vm: &DrmGpuvm,
    ops: &mut impl DrmGpuvmOps<SlabPtr<DrmGpuva>>,
    req_addr: u64,
    req_range: u64,
    how: Read,
) -> Result<(), i32> {
    let _c = trace_call(
        "drm_gpuvm_sm_unmap",
        &format!("[{req_addr}, {})", req_addr + req_range),
    );
    let walk = drm_gpuvm_va_range_walk(vm, req_addr, req_addr + req_range, how); // drm_gpuvm_for_each_va_range_safe()
    __drm_gpuvm_sm_unmap(walk, req_addr, req_range, ops)
}

/// `drm_gpuva_remap()` (drm_gpuvm.c, v6.8): remove the split va, then insert its prev and
/// next remainders (`prev`/`next`: the driver's preallocated vas). A reader without the
/// driver's lock can see the tree between these stores.
pub fn drm_gpuva_remap(
    vm: &DrmGpuvm,
    prev: Option<(&SlabPtr<DrmGpuva>, VaDesc)>,
    next: Option<(&SlabPtr<DrmGpuva>, VaDesc)>,
    old: &SlabPtr<DrmGpuva>,
    how: Read,
) {
    let _c = trace_call("drm_gpuva_remap", &old.describe());
    drm_gpuva_remove(vm, old); // drm_gpuva_remove(va);
    if let Some((va, d)) = prev {
        drm_gpuva_init_from_op(va, d); // drm_gpuva_init_from_op(prev, op->prev);
        let _ = drm_gpuva_insert(vm, va, how); // drm_gpuva_insert(gpuvm, prev); (return ignored upstream)
    }
    if let Some((va, d)) = next {
        drm_gpuva_init_from_op(va, d); // drm_gpuva_init_from_op(next, op->next);
        let _ = drm_gpuva_insert(vm, va, how); // drm_gpuva_insert(gpuvm, next);
    }
}
