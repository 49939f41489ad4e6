//! The one facade over the two checkers: loom under `cfg(loom)`, shuttle otherwise.
//!
//! Nothing outside this module names `loom` or `shuttle` for a primitive that a model runs on;
//! the models do not even use this module directly, they use [`crate::kernel`]. Both backends
//! run every model thread as a coroutine on the test's OS thread, which is why the recorder in
//! [`crate::rt`] can keep its per-execution state in a `std` thread-local.

#[cfg(loom)]
pub(crate) use loom::{
    sync::{atomic, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard},
    thread, thread_local,
};

#[cfg(not(loom))]
pub(crate) use shuttle::{
    sync::{atomic, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard},
    thread, thread_local,
};

/// Whether this build explores with loom. loom's DPOR explores both orders of two operations
/// only if they touch the same facade object, so the checker adds facade accesses whose only
/// purpose is to make a dependency visible to it: the KASAN shadow of slab memory, read by
/// every access to the memory and written by its allocation and free, and the slab freelist
/// word (docs/architecture.md, "What loom's DPOR sees"). shuttle's schedulers (random, PCT, DFS) do not prune by dependency and
/// kmodel's dpor gets the same accesses as ghost footprints, so under shuttle these accesses
/// are plain ghost state and add no scheduling point.
pub(crate) const DPOR_WORDS: bool = cfg!(loom);

/// Name and version of the backend this build explores with, for trace headers.
#[cfg(loom)]
pub const BACKEND: &str = "loom";
#[cfg(not(loom))]
pub const BACKEND: &str = "shuttle";

/// Versions pinned in the workspace `Cargo.toml`, recorded in every trace.
pub const LOOM_VERSION: &str = "0.7.2";
/// See [`LOOM_VERSION`].
pub const SHUTTLE_VERSION: &str = "0.9.9";
