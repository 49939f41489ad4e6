//! The private engine: the per-execution world (recorder and ghost state), the loom and
//! shuttle adapters, and the replay scheduler.
//!
//! Both backends run all model threads as coroutines on one OS thread, so the world of the
//! execution in progress lives in a `std` thread-local ([`World`]). Nothing in here is a
//! scheduling point: ghost state is invisible to loom and shuttle.

mod world;
pub(crate) use world::*;

#[cfg(not(loom))]
pub(crate) mod dpor;
pub(crate) mod execution;
#[cfg(loom)]
pub(crate) mod graphs;
#[cfg(loom)]
pub(crate) mod loom;
#[cfg(not(loom))]
pub(crate) mod shuttle;

/// How many times in a row the DFS explorer runs a CPU again right after its `cpu_relax()`
/// (shuttle's `yield_now`) while another CPU is runnable; beyond it DFS leaves that choice
/// out and its exploration is bounded (`rt::shuttle::SpinBound`).
pub const DFS_RERUNS_AFTER_YIELD: usize = 2;

/// The backend of this build (its panic texts are parsed in its own file).
#[cfg(loom)]
pub(crate) use self::loom as backend;
#[cfg(not(loom))]
pub(crate) use self::shuttle as backend;
