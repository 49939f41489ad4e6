//! Model of the atomic bit operations on an `unsigned long` (include/linux/bitops.h,
//! include/asm-generic/bitops/atomic.h), as used for `dma_fence.flags`.
//!
//! Orderings, from Documentation/atomic_bitops.txt, mapped to C11:
//!
//! | kernel                                  | kernel ordering              | model (C11)                                   |
//! |-----------------------------------------|------------------------------|-----------------------------------------------|
//! | `test_bit(nr, addr)`                    | unordered (`READ_ONCE`)      | `load(Relaxed)`                               |
//! | `set_bit`, `clear_bit`                  | unordered (non-value-returning RMW) | `fetch_or` / `fetch_and(Relaxed)`      |
//! | `test_and_set_bit`                      | fully ordered (value-returning RMW) | `fence(SeqCst); fetch_or(Relaxed); fence(SeqCst)` |
//! | `*addr = v` (a plain store, e.g. `fence->flags = 0UL`) | a plain store | `store(Relaxed)`                     |
//!
//! `MODEL:` a plain C store is modelled as a relaxed atomic store (no data race report, but
//! readers can see the previous value under loom).

use crate::rt;
use crate::sync::atomic::{fence, AtomicUsize, Ordering};

/// Model of an `unsigned long` word of flag bits.
pub struct BitWord {
    v: AtomicUsize,
    name: String,
}

impl BitWord {
    /// The word `field` of the object (or memory) named `owner`, initially `v`.
    pub fn new(owner: &str, field: &str, v: usize) -> BitWord {
        BitWord {
            v: AtomicUsize::new(v),
            name: format!("{owner}.{field}"),
        }
    }

    /// The word's name in traces.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `word = v`: a plain store of the whole word.
pub fn bitword_set(w: &BitWord, v: usize) {
    w.v.store(v, Ordering::Relaxed); // *addr = v;
    rt::record("store", &w.name, &format!("{v:#x}"));
}

/// `test_bit(nr, addr)`.
pub fn test_bit(nr: usize, w: &BitWord) -> bool {
    let v = w.v.load(Ordering::Relaxed); // READ_ONCE(*addr) & BIT(nr)
    let b = v & (1 << nr) != 0;
    rt::record("test_bit", &w.name, &format!("bit {nr}: {}", u8::from(b)));
    b
}

/// `set_bit(nr, addr)`.
pub fn set_bit(nr: usize, w: &BitWord) {
    w.v.fetch_or(1 << nr, Ordering::Relaxed); // set_bit(nr, addr)
    rt::record("set_bit", &w.name, &format!("bit {nr}"));
}

/// `clear_bit(nr, addr)`.
pub fn clear_bit(nr: usize, w: &BitWord) {
    w.v.fetch_and(!(1 << nr), Ordering::Relaxed); // clear_bit(nr, addr)
    rt::record("clear_bit", &w.name, &format!("bit {nr}"));
}

/// `test_and_set_bit(nr, addr)`: set the bit, return its old value (fully ordered).
pub fn test_and_set_bit(nr: usize, w: &BitWord) -> bool {
    fence(Ordering::SeqCst); // (full barrier before)
    let old = w.v.fetch_or(1 << nr, Ordering::Relaxed); // test_and_set_bit(nr, addr)
    fence(Ordering::SeqCst); // (full barrier after)
    let b = old & (1 << nr) != 0;
    rt::record(
        "test_and_set_bit",
        &w.name,
        &format!("bit {nr}: was {}", u8::from(b)),
    );
    b
}
