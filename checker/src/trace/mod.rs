//! Counterexample traces: the event log of one execution, kmodel's versioned text format,
//! and the CPU-column rendering a kernel commit message uses.

pub mod access;
mod dot;
mod format;
mod render;

pub use dot::render_dot;
pub use format::{TraceError, FORMAT_VERSION};
pub use render::{condensed_steps, header, render, render_columns, View, CONDENSED_ROWS};

/// One thing a CPU did: a kernel-level operation on an object, with its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// 0 is the scenario's main thread, `n` is CPU`n-1`.
    pub tid: usize,
    /// Call depth inside model functions (for indentation).
    pub depth: u8,
    /// Kernel-level operation (`kref_put`, `spin_lock`, `list_del`, or a model function name
    /// followed by `()` when it is entered).
    pub op: String,
    /// The object it acted on (`vm_bo#1`, `vm#1.evict.lock`).
    pub obj: String,
    /// What it returned or changed (`1->0`, `NULL`, `ok`).
    pub result: String,
}

/// A broken invariant, where and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's name (`LIST_HEAD_UAF`).
    pub invariant: String,
    /// What happened, in kernel terms, with the numbers.
    pub message: String,
    /// The thread that hit it (0 = main).
    pub tid: usize,
    /// 1-based step of the trace at which it was reported.
    pub step: usize,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({} at step {})",
            self.invariant,
            self.message,
            thread_name(self.tid),
            self.step
        )
    }
}

/// `main` or `CPU<n>`.
pub fn thread_name(tid: usize) -> String {
    if tid == 0 {
        "main".to_string()
    } else {
        format!("CPU{}", tid - 1)
    }
}

/// How a trace is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayMode {
    /// By shuttle, following the recorded per-CPU event order (sequentially consistent).
    Shuttle,
    /// By loom, from the checkpoint carried in the trace: the interleaving needs a load that
    /// reads a value other than the latest store (weak memory), which shuttle cannot produce.
    Loom,
}

impl ReplayMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayMode::Shuttle => "shuttle",
            ReplayMode::Loom => "loom",
        }
    }
}

/// A saved counterexample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub model: String,
    pub scenario: String,
    pub summary: String,
    /// `reachable <INVARIANT>` or `unreachable`.
    pub expected: String,
    /// The explorer and its settings (`loom preemption_bound=2`, `pct depth=3 seed=42`).
    pub explorer: String,
    pub loom_version: String,
    pub shuttle_version: String,
    /// Fingerprint of the model and checker sources the trace was found with.
    pub fingerprint: String,
    /// Names of CPU0, CPU1, ... as the scenario declares them.
    pub cpus: Vec<String>,
    pub violation: Violation,
    pub replay: ReplayMode,
    /// loom's checkpoint (its internal path, JSON) of the failing execution, when loom found it.
    pub loom_checkpoint: Option<String>,
    pub events: Vec<Event>,
}

/// 64-bit FNV-1a, for fingerprints and content names (stable across builds and platforms).
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}
