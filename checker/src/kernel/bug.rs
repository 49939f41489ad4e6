//! Model of `WARN_ON()` and `BUG_ON()` (include/asm-generic/bug.h).

use crate::invariant::{BUG, WARN};
use crate::rt;

/// `WARN_ON(cond)`: when `cond` holds, report a [`WARN`] violation naming `what` (the C
/// condition). The execution goes on, as the kernel's does. Returns `cond`.
#[allow(non_snake_case)]
pub fn WARN_ON(cond: bool, what: &str) -> bool {
    if cond {
        rt::report(&WARN, format!("WARN_ON({what})"));
    }
    cond
}

/// `BUG_ON(cond)`: when `cond` holds, report a [`BUG`] violation (fatal).
#[allow(non_snake_case)]
pub fn BUG_ON(cond: bool, what: &str) {
    if cond {
        rt::report(&BUG, format!("BUG_ON({what})"));
    }
}
