//! Sequential specification of drm_gpuvm's split/merge arithmetic (issue 15 item 4): random
//! sequences of `drm_gpuvm_sm_map()` / `drm_gpuvm_sm_unmap()` over a VA space of 16 pages,
//! applied to a plain ordered tree by the kernel-doc example's step callbacks, checked after
//! every request against a page-wise reference interval map. No explorer: the algorithm is
//! pure (`__drm_gpuvm_sm_map` over the range walk); a few hundred cases, well under a second.

use std::collections::BTreeMap;

use gpuva_split_merge::drm_gpuvm::*;
use proptest::prelude::*;

/// A sequential VA tree: address → va (the kernel's rb-tree + list, ordered).
#[derive(Default)]
struct Tree {
    vas: BTreeMap<u64, VaDesc>,
    remaps: usize,
    maps: usize,
    errs: Vec<String>,
    req: Option<VaDesc>,
}

impl Tree {
    fn walk(&self, addr: u64, end: u64) -> Vec<(u64, VaDesc)> {
        self.vas
            .values()
            .filter(|d| d.addr < end && addr < d.end())
            .map(|d| (d.addr, *d))
            .collect()
    }

    fn insert(&mut self, d: VaDesc) {
        assert!(d.range > 0, "empty va {d}");
        if let Some(o) = self
            .vas
            .values()
            .find(|o| o.addr < d.end() && d.addr < o.end())
        {
            self.errs.push(format!("insert {d} overlaps {o}"));
        }
        self.vas.insert(d.addr, d);
    }
}

impl DrmGpuvmOps<u64> for Tree {
    fn sm_step_map(&mut self, op: DrmGpuvaOp<u64>) -> Result<(), i32> {
        let DrmGpuvaOp::Map(d) = op else {
            return Err(-22);
        };
        self.maps += 1;
        self.insert(d);
        Ok(())
    }
    fn sm_step_remap(&mut self, op: DrmGpuvaOp<u64>) -> Result<(), i32> {
        self.errs.extend(check_op(&op, self.req));
        let DrmGpuvaOp::Remap { prev, next, unmap } = op else {
            return Err(-22);
        };
        self.remaps += 1;
        self.vas.remove(&unmap.va);
        if let Some(p) = prev {
            self.insert(p);
        }
        if let Some(n) = next {
            self.insert(n);
        }
        Ok(())
    }
    fn sm_step_unmap(&mut self, op: DrmGpuvaOp<u64>) -> Result<(), i32> {
        self.errs.extend(check_op(&op, self.req));
        let DrmGpuvaOp::Unmap(u) = op else {
            return Err(-22);
        };
        self.vas.remove(&u.va);
        Ok(())
    }
}

#[derive(Clone, Debug)]
enum Req {
    Map(VaDesc),
    Unmap(u64, u64),
}

fn req() -> impl Strategy<Value = Req> {
    let range = (0u64..16).prop_flat_map(|a| (Just(a), 1..=16 - a));
    prop_oneof![
        3 => (range.clone(), 1u8..=2, 0u64..8).prop_map(|((addr, range), obj, offset)| Req::Map(VaDesc { addr, range, obj, offset })),
        1 => range.prop_map(|(a, r)| Req::Unmap(a, r)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn sm_map_and_unmap_match_the_reference_interval_map(reqs in proptest::collection::vec(req(), 1..12)) {
        let mut tree = Tree::default();
        let mut reference = Pages::new();
        for r in reqs {
            tree.remaps = 0;
            tree.maps = 0;
            match r {
                Req::Map(d) => {
                    tree.req = Some(d);
                    let walk = tree.walk(d.addr, d.end());
                    // drm_gpuvm_sm_map_ops_create() yields the same steps as the callbacks.
                    let list = drm_gpuvm_sm_map_ops_create(walk.clone(), d).unwrap();
                    __drm_gpuvm_sm_map(walk, d, &mut tree).unwrap();
                    prop_assert_eq!(tree.maps, 1, "one map op per request");
                    prop_assert_eq!(list.len(), tree.maps + tree.remaps + list.iter().filter(|o| matches!(o, DrmGpuvaOp::Unmap(_))).count());
                    reference = ref_map(&reference, d);
                }
                Req::Unmap(a, n) => {
                    tree.req = None;
                    let walk = tree.walk(a, a + n);
                    __drm_gpuvm_sm_unmap(walk, a, n, &mut tree).unwrap();
                    prop_assert_eq!(tree.maps, 0);
                    reference = ref_unmap(&reference, a, n);
                }
            }
            prop_assert!(tree.remaps <= 2, "at most two remaps per request (DOC: Split and Merge)");
            prop_assert!(tree.errs.is_empty(), "{:?}", tree.errs);
            // Ordered, no overlap, and exactly the reference's pages.
            let vas: Vec<VaDesc> = tree.vas.values().copied().collect();
            for w in vas.windows(2) {
                prop_assert!(w[0].end() <= w[1].addr, "overlap: {} and {}", w[0], w[1]);
            }
            prop_assert_eq!(pages_of(vas), reference.clone());
        }
    }
}

/// The kernel-doc's worked examples 6 and 11 (drm_gpuvm.c, DOC: Split and Merge): exact ops.
#[test]
fn kernel_doc_examples_6_and_11() {
    let a = VaDesc {
        addr: 0,
        range: 2,
        obj: 1,
        offset: 4,
    };
    // 6) the request is a left-aligned, contiguous subset: split, keep.
    let ops = drm_gpuvm_sm_map_ops_create(
        [(0u64, a)],
        VaDesc {
            addr: 0,
            range: 1,
            obj: 1,
            offset: 4,
        },
    )
    .unwrap();
    assert_eq!(
        ops[0],
        DrmGpuvaOp::Remap {
            prev: None,
            next: Some(VaDesc {
                addr: 1,
                range: 1,
                obj: 1,
                offset: 5
            }),
            unmap: DrmGpuvaOpUnmap {
                va: 0,
                old: a,
                keep: true
            },
        }
    );
    // 11) a centered subset with another BO: prev and next, the next's offset adjusted.
    let a = VaDesc {
        addr: 0,
        range: 3,
        obj: 1,
        offset: 4,
    };
    let ops = drm_gpuvm_sm_map_ops_create(
        [(0u64, a)],
        VaDesc {
            addr: 1,
            range: 1,
            obj: 2,
            offset: 9,
        },
    )
    .unwrap();
    assert_eq!(
        ops[0],
        DrmGpuvaOp::Remap {
            prev: Some(VaDesc {
                addr: 0,
                range: 1,
                obj: 1,
                offset: 4
            }),
            next: Some(VaDesc {
                addr: 2,
                range: 1,
                obj: 1,
                offset: 6
            }),
            unmap: DrmGpuvaOpUnmap {
                va: 0,
                old: a,
                keep: false
            },
        }
    );
    assert_eq!(ops.len(), 2);
}
