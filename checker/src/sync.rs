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
/// [`LoomWord`] is the same rule as a type, for words whose value under loom is not needed
/// by the model; code that reads such a word's value under loom tests this flag.
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

/// A word that exists for loom alone: an atomic whose accesses give loom the happens-before
/// and the DPOR dependency of some ghost bookkeeping (RCU's grace-period words, a spinlock's
/// word that `spin_is_locked()` reads). Under shuttle, which explores sequential consistency
/// and whose explorers take dependencies from the recorded events, its plain accesses are
/// nothing at all: they would be scheduling points without an event, where a preemption
/// shows another CPU a half-done primitive that no trace can name (a replay follows events)
/// and that the dpor explorer cannot order. The `_point` accesses stay one scheduling point
/// under shuttle too, for a primitive that has no other. (The same rule as [`DPOR_WORDS`].)
#[derive(Clone)]
pub(crate) struct LoomWord {
    #[cfg(loom)]
    a: std::sync::Arc<atomic::AtomicUsize>,
}

impl LoomWord {
    pub(crate) fn new(_v: usize) -> LoomWord {
        LoomWord {
            #[cfg(loom)]
            a: std::sync::Arc::new(atomic::AtomicUsize::new(_v)),
        }
    }

    /// An RMW under loom; nothing under shuttle.
    pub(crate) fn fetch_add(&self, _v: usize, _order: atomic::Ordering) {
        #[cfg(loom)]
        self.a.fetch_add(_v, _order);
    }

    /// An RMW under loom; a scheduling point under shuttle.
    pub(crate) fn fetch_add_point(&self, _v: usize, _order: atomic::Ordering) {
        #[cfg(loom)]
        self.a.fetch_add(_v, _order);
        #[cfg(not(loom))]
        schedule_point();
    }

    /// A store under loom; nothing under shuttle.
    pub(crate) fn store(&self, _v: usize, _order: atomic::Ordering) {
        #[cfg(loom)]
        self.a.store(_v, _order);
    }

    /// A load under loom (`Some`, possibly stale); a scheduling point under shuttle (`None`:
    /// the caller reads the ghost state it stands for, which is the latest value under
    /// sequential consistency).
    pub(crate) fn load_point(&self, _order: atomic::Ordering) -> Option<usize> {
        #[cfg(loom)]
        return Some(self.a.load(_order));
        #[cfg(not(loom))]
        {
            schedule_point();
            None
        }
    }
}

/// One scheduling point of shuttle and nothing else (an atomic load nobody else touches).
#[cfg(not(loom))]
fn schedule_point() {
    atomic::AtomicUsize::new(0).load(atomic::Ordering::Relaxed);
}
