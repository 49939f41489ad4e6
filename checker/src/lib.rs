//! # checker: kmodel's core
//!
//! - [`kernel`]: kernel primitives under their kernel names (kref, spinlock, mutex,
//!   rw_semaphore, list_head, kzalloc/kfree, WARN_ON/BUG_ON, lock-guarded fields, wait
//!   queues), recorded and checked.
//! - [`scenario`]: what a model declares: scenarios with their expected results.
//! - [`explore`]: running a scenario under loom (exhaustive DPOR, weak memory; `--cfg loom`
//!   builds) or shuttle (random, PCT, DFS) and judging the verdict.
//! - [`replay`]: re-executing a trace's interleaving step for step.
//! - [`dpor`]: kmodel's own DPOR explorer (source sets, sleep sets) and the dependency
//!   relation over recorded events that every explorer's distinct-trace count uses.
//! - [`trace`]: counterexample traces, their file format, and CPU-column rendering.
//! - [`invariant`]: named invariants, including the ones the primitives check.
//!
//! Models never name loom or shuttle: `sync` is the one facade, private to this crate.
//! See docs/architecture.md for how a scenario flows from definition to verdict to trace to
//! replay.

pub mod dpor;
pub mod explore;
pub mod invariant;
pub mod kernel;
pub mod replay;
pub mod scenario;
pub mod trace;

mod rt;
mod sync;

pub use sync::{BACKEND, LOOM_VERSION, SHUTTLE_VERSION};

/// The checker's own sources that decide what a model's execution records: part of every
/// scenario's fingerprint.
pub const CHECKER_SOURCES: &[&str] = &[
    include_str!("kernel/atomic.rs"),
    include_str!("kernel/bitops.rs"),
    include_str!("kernel/bug.rs"),
    include_str!("kernel/guarded.rs"),
    include_str!("kernel/kmem_cache.rs"),
    include_str!("kernel/kref.rs"),
    include_str!("kernel/list.rs"),
    include_str!("kernel/llist.rs"),
    include_str!("kernel/lock.rs"),
    include_str!("kernel/lockdep.rs"),
    include_str!("kernel/mod.rs"),
    include_str!("kernel/processor.rs"),
    include_str!("kernel/rcu.rs"),
    include_str!("kernel/rwsem.rs"),
    include_str!("kernel/seqcount.rs"),
    include_str!("kernel/slab.rs"),
    include_str!("kernel/wait.rs"),
    include_str!("scenario.rs"),
];
