//! The invariants of the gpuva split/merge model, stated in kernel terms: constants only, so
//! that every file of the crate can name them.

use checker::invariant::{Invariant, Witness};

/// drm_gpuvm.c, `__drm_gpuva_insert()`: the interval tree never holds two overlapping vas
/// (an overlapping insert returns -EEXIST).
pub const VA_TREE_NO_OVERLAP: Invariant = Invariant::new(
    "VA_TREE_NO_OVERLAP",
    "the VM's VA tree (gpuvm->rb.tree) never holds two drm_gpuvas whose ranges overlap",
);

/// drm_gpuvm.c, "DOC: Split and Merge": the ops of a map request integrate it "cleanly into
/// the current state of the GPU VA space"; the reference is a page-wise interval map.
pub const SM_MAP_SPEC: Invariant = Invariant::new(
    "SM_MAP_SPEC",
    "after drm_gpuvm_sm_map(addr, range, obj, offset) the VA space is exactly the old one minus [addr, addr+range) plus the new mapping (after drm_gpuvm_sm_unmap: minus the range), split remainders keep their GEM pages, and an op's keep flag is set exactly when the va's pages inside the request keep their GEM pages",
);

/// What a lookup (a GPU fault handler's `drm_gpuva_find_first()`) may rely on: an address
/// that is mapped before and after a VM_BIND is found mapped, to its old or its new GEM page.
pub const READER_OLD_OR_NEW: Invariant = Invariant::new(
    "READER_OLD_OR_NEW",
    "a drm_gpuva_find_first() of an address that is mapped both before and after a concurrent map/unmap finds a va, and that va maps the address to the GEM page it had before or has after (no hole, no torn split)",
);

/// Every invariant this model defines.
pub const INVARIANTS: &[Invariant] = &[VA_TREE_NO_OVERLAP, SM_MAP_SPEC, READER_OLD_OR_NEW];

/// A remap that splits a va in three: both a prev and a next remainder.
pub const REMAP_SPLIT: Witness = Witness::new(
    "REMAP_SPLIT",
    "sm_step_remap() runs with both a prev and a next remainder (a request inside an existing va)",
);

/// The lookup ran after the split and found a remainder.
pub const LOOKUP_FINDS_REMAINDER: Witness = Witness::new(
    "LOOKUP_FINDS_REMAINDER",
    "the fault handler's drm_gpuva_find_first() returns a split remainder (it ran after the remap)",
);

/// The lockless lookup ran while a remap was half applied.
pub const LOOKUP_DURING_REMAP: Witness = Witness::new(
    "LOOKUP_DURING_REMAP",
    "the fault handler's lookup reads a tree node while a remap is half applied (the old va removed or shrunk, a remainder not yet inserted)",
);
