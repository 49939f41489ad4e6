//! Model of `seqcount_t` (include/linux/seqlock.h): `write_seqcount_begin/end` and
//! `read_seqcount_begin/retry`.
//!
//! Barriers, from include/linux/seqlock.h and the LKMM, mapped to C11 (the C11 seqlock of
//! H.-J. Boehm, "Can seqlocks get along with programming language memory models?", MSPC
//! 2012):
//!
//! | kernel                                         | model (C11)                                   |
//! |------------------------------------------------|-----------------------------------------------|
//! | `write_seqcount_begin`: `s->sequence++; smp_wmb();` | `load(Relaxed)`, `store(Relaxed)`, `fence(Release)` |
//! | `write_seqcount_end`: `smp_wmb(); s->sequence++;`   | `fence(Release)`, `store(Relaxed)`          |
//! | `read_seqcount_begin`: `READ_ONCE(s->sequence)` (while odd), `smp_rmb()` | `load(Relaxed)`, `fence(Acquire)` |
//! | `read_seqcount_retry`: `smp_rmb(); READ_ONCE(s->sequence) != start` | `fence(Acquire)`, `load(Relaxed)` |
//!
//! `smp_wmb()` orders stores before stores and `smp_rmb()` loads before loads; C11's release
//! and acquire fences order strictly more, so the model never allows what the kernel forbids.
//! The data the seqcount protects must be facade atomics accessed `Relaxed` (READ_ONCE /
//! WRITE_ONCE / `RCU_INIT_POINTER` / `rcu_dereference`), so that loom explores the stale and
//! torn reads the retry must catch.
//!
//! `MODEL:` `read_seqcount_begin()` does not spin while a writer is active (loom explores spin
//! loops badly). It returns the count with its low bit cleared, as `raw_seqcount_begin()`
//! does: a reader that began during a write then always fails `read_seqcount_retry()` (the
//! count has moved on, or is still the odd value), so it retries, as the spinning reader
//! would have waited. The reads it makes in between are discarded by that retry; they are
//! reads a reader that began just before the write could make too.
//!
//! Writers must be serialised by a lock of their own (for dma_resv, its ww_mutex); the
//! model does not check it here (`seqcount_ww_mutex_t`'s lockdep assertion is not modelled).

use crate::rt;
use crate::sync::atomic::{fence, AtomicUsize, Ordering};

/// Model of `seqcount_t`.
pub struct SeqcountT {
    seq: AtomicUsize,
    name: String,
}

impl SeqcountT {
    /// `seqcount_init()` of the field `field` in the object `owner`.
    pub fn new(owner: &str, field: &str) -> SeqcountT {
        SeqcountT {
            seq: AtomicUsize::new(0),
            name: format!("{owner}.{field}"),
        }
    }
}

/// `write_seqcount_begin(s)`: the count becomes odd; later stores are ordered after it.
pub fn write_seqcount_begin(s: &SeqcountT) {
    let v = s.seq.load(Ordering::Relaxed); // s->sequence (the writer's own count)
    s.seq.store(v + 1, Ordering::Relaxed); // s->sequence++;
    fence(Ordering::Release); // smp_wmb();
    rt::record("write_seqcount_begin", &s.name, &format!("{v}->{}", v + 1));
}

/// `write_seqcount_end(s)`: earlier stores are ordered before the count becomes even.
pub fn write_seqcount_end(s: &SeqcountT) {
    fence(Ordering::Release); // smp_wmb();
    let v = s.seq.load(Ordering::Relaxed); // s->sequence (the writer's own count)
    s.seq.store(v + 1, Ordering::Relaxed); // s->sequence++;
    rt::record("write_seqcount_end", &s.name, &format!("{v}->{}", v + 1));
}

/// `read_seqcount_begin(s)`: the count to pass to [`read_seqcount_retry`].
pub fn read_seqcount_begin(s: &SeqcountT) -> usize {
    let v = s.seq.load(Ordering::Relaxed); // seq = READ_ONCE(s->sequence);
    fence(Ordering::Acquire); // smp_rmb();
                              // The step records the value read (odd while a writer is active), not `start`: the
                              // litmus export and the stale-read marks take it as the load's value.
    let start = v & !1; // MODEL: no spin while odd; retry will fail instead (raw_seqcount_begin)
    rt::record("read_seqcount_begin", &s.name, &v.to_string());
    start
}

/// `read_seqcount_retry(s, start)`: true if a writer ran since `start` (the reads must be
/// redone).
pub fn read_seqcount_retry(s: &SeqcountT, start: usize) -> bool {
    fence(Ordering::Acquire); // smp_rmb();
    let v = s.seq.load(Ordering::Relaxed); // READ_ONCE(s->sequence) != start
    let retry = v != start;
    rt::record(
        "read_seqcount_retry",
        &s.name,
        &format!("{v} -> {}", if retry { "retry" } else { "ok" }),
    );
    retry
}
