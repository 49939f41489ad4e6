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

/// Name and version of the backend this build explores with, for trace headers.
#[cfg(loom)]
pub const BACKEND: &str = "loom";
#[cfg(not(loom))]
pub const BACKEND: &str = "shuttle";

/// Versions pinned in the workspace `Cargo.toml`, recorded in every trace.
pub const LOOM_VERSION: &str = "0.7.2";
/// See [`LOOM_VERSION`].
pub const SHUTTLE_VERSION: &str = "0.9.9";
