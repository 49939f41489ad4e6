//! The shared variables x and y of the two-variable tests.

use checker::kernel::{kzalloc, AtomicT};

pub(crate) struct Vars {
    pub(crate) x: AtomicT,
    pub(crate) y: AtomicT,
}

pub(crate) fn vars() -> checker::kernel::Obj<Vars> {
    kzalloc("vars", |_, n| Vars {
        x: AtomicT::new(n, "x", 0),
        y: AtomicT::new(n, "y", 0),
    })
}
