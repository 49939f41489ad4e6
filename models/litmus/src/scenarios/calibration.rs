//! Explorer calibration tests (not from tools/memory-model).

use checker::kernel::{kfree, READ_ONCE, WRITE_ONCE};
use checker::scenario::{check, join, spawn_cpu};

use super::vars::vars;
use crate::invariants::*;

/// The explorer calibration test (not from tools/memory-model): P0 reads x; P1 reads x and
/// then writes it. Under every memory model P0 may read P1's write. Upstream loom 0.7.2
/// never lets it (tokio-rs/loom#166, #392): its DPOR kept only the last access to x, P1's
/// own read, so P1's write was never found to race with P0's read. kmodel's vendored loom
/// (vendor/loom/KMODEL-PATCH.md) races a store with every load since the last store.
pub(crate) fn r_then_rw() {
    let v = vars();
    let p0 = {
        let v = v.clone();
        spawn_cpu(move || {
            let r0 = READ_ONCE(&v.x); // r0 = READ_ONCE(*x);
            check(r0 == 0, &R_SEES_ONLY_INITIAL, || {
                format!("P0 read x={r0}, written by P1 after P1's own read")
            });
        })
    };
    let p1 = {
        let v = v.clone();
        spawn_cpu(move || {
            let _r0 = READ_ONCE(&v.x); // r0 = READ_ONCE(*x);
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
        })
    };
    join(p0);
    join(p1);
    kfree(&v);
}
