//! Model of `cpu_relax()` (arch/*/include/asm/processor.h): one iteration of a busy-wait or
//! retry loop.
//!
//! It is a yield of the explorer. Under loom this matters beyond scheduling: after a yield, a
//! load does not return a store the CPU has already seen before it (loom's progress
//! heuristic, checkers.md §1.4), so a retry loop that re-reads a pointer eventually sees the
//! newer value, as real hardware eventually propagates stores, instead of spinning on a stale
//! one until the branch limit. `MODEL:` where the kernel loops without `cpu_relax()` (a
//! retry that re-reads shared state), the model calls it to say that the loop makes
//! progress; each such line is marked.

/// `cpu_relax()`.
pub fn cpu_relax() {
    crate::rt::end_iteration();
    crate::sync::thread::yield_now(); // cpu_relax()

    // The dpor explorer resumes a CPU here when every runnable CPU busy-waits on what no
    // CPU left will change (a hang): report it.
    crate::rt::check_busy_wait();
}
