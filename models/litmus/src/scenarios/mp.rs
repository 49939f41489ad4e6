//! MP: message passing.

use checker::kernel::{kfree, smp_load_acquire, smp_store_release, READ_ONCE, WRITE_ONCE};
use checker::scenario::{check, join, spawn_cpu};

use super::vars::vars;
use crate::invariants::*;

/// MP: P0 writes x then the flag y; P1 reads y then x.
pub(crate) fn mp(release_acquire: bool) {
    let v = vars();
    let p0 = {
        let v = v.clone();
        spawn_cpu(move || {
            WRITE_ONCE(&v.x, 1); // WRITE_ONCE(*x, 1);
            if release_acquire {
                smp_store_release(&v.y, 1); // smp_store_release(y, 1);
            } else {
                WRITE_ONCE(&v.y, 1); // WRITE_ONCE(*y, 1);
            }
        })
    };
    let p1 = {
        let v = v.clone();
        spawn_cpu(move || {
            let r0 = if release_acquire {
                smp_load_acquire(&v.y) // r0 = smp_load_acquire(y);
            } else {
                READ_ONCE(&v.y) // r0 = READ_ONCE(*y);
            };
            let r1 = READ_ONCE(&v.x); // r1 = READ_ONCE(*x);
            check(!(r0 == 1 && r1 == 0), &MP_FLAG_IMPLIES_DATA, || {
                format!("P1 read y={r0} then x={r1}")
            });
        })
    };
    join(p0);
    join(p1);
    kfree(&v);
}

pub(crate) fn mp_onces() {
    mp(false)
}
pub(crate) fn mp_release_acquire() {
    mp(true)
}
