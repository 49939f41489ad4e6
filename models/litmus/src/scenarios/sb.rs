//! SB: store buffering.

use checker::kernel::{kfree, smp_mb, READ_ONCE, WRITE_ONCE};
use checker::scenario::{check, join, spawn_cpu};

use super::vars::vars;
use crate::invariants::*;

/// SB: each CPU stores to its variable, then loads the other's.
pub(crate) fn sb(full_barrier: bool) {
    let v = vars();
    let results = std::sync::Arc::new(std::sync::Mutex::new([None, None]));
    let cpu = |mine: bool| {
        let (v, results) = (v.clone(), results.clone());
        spawn_cpu(move || {
            let (me, other) = if mine { (&v.x, &v.y) } else { (&v.y, &v.x) };
            WRITE_ONCE(me, 1); // WRITE_ONCE(*x, 1);
            if full_barrier {
                smp_mb(); // smp_mb();
            }
            let r0 = READ_ONCE(other); // r0 = READ_ONCE(*y);
            results.lock().unwrap()[usize::from(!mine)] = Some(r0);
        })
    };
    let (p0, p1) = (cpu(true), cpu(false));
    join(p0);
    join(p1);
    let r = *results.lock().unwrap();
    check(r != [Some(0), Some(0)], &SB_NOT_BOTH_ZERO, || {
        format!("P0 read y={:?}, P1 read x={:?}", r[0], r[1])
    });
    kfree(&v);
}

pub(crate) fn sb_onces() {
    sb(false)
}
pub(crate) fn sb_mbonceonces() {
    sb(true)
}
