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

/// The running thread reads or writes ghost state other threads share (the world, a
/// `Guarded` field): loom must not treat its current step as invisible (vendored loom's
/// `kmodel_shared_access`, vendor/loom/KMODEL-PATCH.md). shuttle has nothing to tell.
#[track_caller]
pub(crate) fn shared_access() {
    #[cfg(loom)]
    if loom::kmodel_shared_access() && std::env::var_os("KMODEL_DEBUG_SHARED").is_some() {
        println!("shared access ends a forced step: {}", std::panic::Location::caller());
    }
}

/// Name and version of the backend this build explores with, for trace headers.
#[cfg(loom)]
pub const BACKEND: &str = "loom";
#[cfg(not(loom))]
pub const BACKEND: &str = "shuttle";

/// Versions pinned in the workspace `Cargo.toml`, recorded in every trace.
pub const LOOM_VERSION: &str = "0.7.2";
/// See [`LOOM_VERSION`].
pub const SHUTTLE_VERSION: &str = "0.9.9";
