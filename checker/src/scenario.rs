//! Scenarios: named, self-describing units of checking.
//!
//! A scenario says which model it belongs to, what it runs (its CPUs, by name, in spawn
//! order), what result it expects (the bad state is reachable, naming the invariant, or it
//! is not), and how far each explorer goes. Its `body` runs once per execution: it sets up
//! the objects on the main thread, spawns the CPUs with [`spawn_cpu`], joins them with
//! [`join`], checks the final invariants, and drops its own references. The same scenario
//! runs under loom and under shuttle ([`crate::explore`]).
//!
//! A model declares each scenario once, as one row of its `SCENARIOS` table, with the
//! [`scenario!`](crate::scenario!) macro: the name is the body function's, the model is the
//! crate's, the fingerprint sources are the crate's `SOURCES`.

use crate::invariant::{Invariant, Witness};
use crate::rt;

/// What the scenario expects of a full exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// No execution violates any invariant (LKMM litmus: `Result: Never`).
    Unreachable,
    /// Some execution violates this invariant (`Result: Sometimes`): the scenario shows a bug.
    Reachable(Invariant),
}

impl Expected {
    /// `unreachable` or `reachable <INVARIANT>`.
    pub fn describe(&self) -> String {
        match self {
            Expected::Unreachable => "unreachable".to_string(),
            Expected::Reachable(inv) => format!("reachable {}", inv.name),
        }
    }
}

/// Named reasons why loom's C11 answer to a litmus test differs from the LKMM's
/// (tools/memory-model): see [`Scenario::c11_differs`].
pub mod c11 {
    /// C11 allows load buffering, but loom does not explore it: a load reads only stores
    /// already made in the interleaving, so no load reads a value that depends on a store
    /// later in its own CPU's program order (LB shapes are never found).
    pub const NO_LOAD_BUFFERING: &str = "C11: no load buffering";
    /// C11 relaxed accesses have no address, data or control dependency ordering, which the
    /// LKMM has (e.g. a pointer loaded by `READ_ONCE()` and then dereferenced).
    pub const NO_DEPENDENCY_ORDERING: &str = "C11: no dependency ordering";
    /// A C11 mutex is acquire/release only; the LKMM's `spin_unlock()` followed by a
    /// `spin_lock()` also orders for CPUs that do not take the lock (po-unlock-lock-po).
    pub const UNLOCK_LOCK_WEAKER: &str = "C11: unlock->lock weaker";
    /// Every named reason. (`loom: RMW atomicity not enforced` is gone: vendor/loom enforces
    /// it, vendor/loom/KMODEL-PATCH.md "RMW atomicity and failed compare_exchange".)
    pub const ALL: &[&str] = &[
        NO_LOAD_BUFFERING,
        NO_DEPENDENCY_ORDERING,
        UNLOCK_LOCK_WEAKER,
    ];
}

/// Where C11 (loom) and the LKMM give a scenario different answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct C11Difference {
    /// One of [`c11::ALL`].
    pub reason: &'static str,
    /// The LKMM's answer (herd7's); the scenario's `expected` is C11's.
    pub lkmm: Expected,
}

/// How far each explorer goes by default. Every bound is printed with the verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// loom's preemption bound; `None` explores every interleaving (loom's default).
    pub loom_preemption_bound: Option<usize>,
    /// loom's `max_branches` for one execution.
    pub loom_max_branches: usize,
    /// Executions for shuttle's random and PCT schedulers.
    pub shuttle_iterations: usize,
    /// PCT's bug depth.
    pub pct_depth: usize,
    /// The DFS gate's budget (tests/dfs_gate.rs, docs/architecture.md "The DFS gate"): shuttle's
    /// DFS runs up to this many executions; if it exhausts the scenario, its verdict must
    /// agree with the scenario's SC expectation, and any violation it reaches must be one
    /// that expectation names. `None`: not gated (say why at the scenario).
    pub dfs_iterations: Option<usize>,
}

impl Bounds {
    /// Full loom exploration, 10 000 shuttle runs, PCT depth 3, a DFS gate budget of
    /// [`Bounds::DFS_GATE_DEFAULT`] executions.
    pub const DEFAULT: Bounds = Bounds {
        loom_preemption_bound: None,
        loom_max_branches: 10_000,
        shuttle_iterations: 10_000,
        pct_depth: 3,
        dfs_iterations: Some(Bounds::DFS_GATE_DEFAULT),
    };

    /// The DFS gate's default budget: enough for a two-CPU probe or litmus test (tens to
    /// hundreds of executions) with room, cheap for a scenario it does not exhaust.
    pub const DFS_GATE_DEFAULT: usize = 2_000;
}

/// A named scenario of a model.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// The model crate (`vm_bo_lifecycle`).
    pub model: &'static str,
    /// Unique within the model (`prepare_objects_unserialized`).
    pub name: &'static str,
    /// One line: what runs against what.
    pub summary: &'static str,
    /// The CPUs the body spawns, in spawn order (CPU0 first), named by what they do.
    pub cpus: &'static [&'static str],
    pub expected: Expected,
    /// What the sequentially consistent explorers (shuttle) must find, when it differs from
    /// `expected` (which is loom's): `Some(Unreachable)` for a bad state that needs weak
    /// memory; `Some(Reachable(X))` when loom's data-race check stops the execution first at
    /// an earlier symptom that shuttle, which has no data-race detector, cannot see.
    pub expected_sc: Option<Expected>,
    /// Set where C11, which loom implements, answers otherwise than the LKMM: `expected` is
    /// then C11's answer and this keeps the LKMM's ([`Scenario::c11_differs`]).
    pub c11_differs: Option<C11Difference>,
    pub bounds: Bounds,
    /// The states that must occur in at least one execution for the verdict to mean anything
    /// ([`Witness`]): an exploration that reaches no counterexample and misses one of them is
    /// not as expected (VACUOUS when it was exhaustive).
    pub witnesses: &'static [Witness],
    /// The model's source texts (for the fingerprint in traces).
    pub sources: &'static [&'static str],
    /// One execution.
    pub body: fn(),
}

impl Scenario {
    /// A scenario with the default bounds and the same expectation for every explorer.
    pub const fn new(
        model: &'static str,
        name: &'static str,
        summary: &'static str,
        cpus: &'static [&'static str],
        expected: Expected,
        sources: &'static [&'static str],
        body: fn(),
    ) -> Scenario {
        Scenario {
            model,
            name,
            summary,
            cpus,
            expected,
            expected_sc: None,
            c11_differs: None,
            bounds: Bounds::DEFAULT,
            witnesses: &[],
            sources,
            body,
        }
    }

    /// The same, with what the sequentially consistent explorers must find
    /// ([`Scenario::expected_sc`]).
    pub const fn expected_sc(self, sc: Expected) -> Scenario {
        Scenario {
            expected_sc: Some(sc),
            ..self
        }
    }

    /// The same, with the witnesses its verdict needs ([`Scenario::witnesses`]).
    pub const fn witnesses(self, witnesses: &'static [Witness]) -> Scenario {
        Scenario { witnesses, ..self }
    }

    /// The same, where loom's C11 answer is `c11` for the named `reason` (one of
    /// [`c11::ALL`]) while the LKMM's stays the `expected` given so far: loom (and, unless
    /// [`Scenario::expected_sc`] says otherwise, shuttle) must then find `c11`.
    pub const fn c11_differs(self, reason: &'static str, c11: Expected) -> Scenario {
        Scenario {
            c11_differs: Some(C11Difference {
                reason,
                lkmm: self.expected,
            }),
            expected: c11,
            ..self
        }
    }

    /// The LKMM's answer: `expected`, unless C11 differs ([`Scenario::c11_differs`]).
    pub fn expected_lkmm(&self) -> Expected {
        self.c11_differs.map_or(self.expected, |d| d.lkmm)
    }

    /// The same under another name (for names that are not Rust identifiers, such as the
    /// litmus tests' `MP+poonceonces`).
    pub const fn named(self, name: &'static str) -> Scenario {
        Scenario { name, ..self }
    }

    /// The same, with other bounds (say why at the scenario).
    pub const fn bounds(self, bounds: Bounds) -> Scenario {
        Scenario { bounds, ..self }
    }

    /// `model/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.model, self.name)
    }

    /// What `explorer` (by kind) must find ([`Scenario::expected_sc`] for shuttle's).
    pub fn expected_for(&self, explorer: &str) -> Expected {
        match self.expected_sc {
            Some(sc) if explorer != "loom" => sc,
            _ => self.expected,
        }
    }

    /// [`Scenario::expected_for`] as the reports show it (`… under SC` where it differs).
    pub fn describe_expected_for(&self, explorer: &str) -> String {
        let e = self.expected_for(explorer).describe();
        if self.expected_sc.is_some() && explorer != "loom" {
            format!("{e} under SC")
        } else if let (Some(d), "loom") = (self.c11_differs, explorer) {
            format!("{e} ({}; LKMM: {})", d.reason, d.lkmm.describe())
        } else {
            e
        }
    }

    /// Fingerprint of the model's and the checker's sources: a trace recorded under another
    /// fingerprint may no longer replay.
    ///
    /// Only the code counts: comments and layout are stripped first
    /// ([`crate::trace::code_of`]), so a comment-only edit keeps the fingerprint.
    pub fn fingerprint(&self) -> String {
        use crate::trace::code_of;
        static CHECKER: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let checker =
            CHECKER.get_or_init(|| crate::CHECKER_SOURCES.iter().map(|s| code_of(s)).collect());
        let model: Vec<String> = self.sources.iter().map(|s| code_of(s)).collect();
        let mut parts: Vec<&str> = checker.iter().map(String::as_str).collect();
        parts.extend(model.iter().map(String::as_str));
        parts.push(self.name);
        format!("{:016x}", crate::trace::fnv1a(&parts))
    }
}

/// A spawned CPU.
pub struct Cpu(usize, crate::sync::thread::JoinHandle<()>);

/// Spawn the next CPU of the scenario (CPU0, CPU1, ... in order) running `f`.
pub fn spawn_cpu(f: impl FnOnce() + Send + 'static) -> Cpu {
    let tid = rt::with(|w| {
        let t = w.threads;
        w.threads += 1;
        w.depth.push(0);
        t
    });
    let handle = crate::sync::thread::spawn(move || {
        rt::set_current_tid(tid);
        f();
    });
    // Recorded once the spawn returned, so that a replay runs the spawning thread through
    // the spawn's scheduling points (spawning records nothing else).
    rt::record("spawn", &crate::trace::thread_name(tid), "");
    Cpu(tid, handle)
}

/// Wait for a CPU to finish.
pub fn join(cpu: Cpu) {
    if let Err(payload) = cpu.1.join() {
        std::panic::resume_unwind(payload);
    }
    rt::record("join", &crate::trace::thread_name(cpu.0), "");
}

/// The state `w` occurs now, in this execution (ghost: no scheduling point, no event).
pub fn witness(w: &Witness) {
    rt::witness(w);
}

/// [`witness`] if `cond` holds.
pub fn witness_if(cond: bool, w: &Witness) {
    if cond {
        rt::witness(w);
    }
}

/// Check a final invariant of the scenario: a violation of `inv` with `message` unless `cond`.
pub fn check(cond: bool, inv: &Invariant, message: impl FnOnce() -> String) {
    if !cond {
        rt::report(inv, message());
    }
}

/// Declare a scenario of the calling model crate, as a row of its `SCENARIOS` table:
///
/// ```text
/// scenario!(resv_lock_dance_fixed, ["driver put", "handle close"], unreachable,
///     "the same dance holding drm_gem_object_get() across lock, put and unlock"),
/// scenario!(resv_lock_dance_broken, ["driver put", "handle close"], reachable(USE_AFTER_FREE),
///     "a driver locks vm_bo->obj->resv without a GEM reference ..."),
/// ```
///
/// The arguments are the body (a `fn()` in scope, whose name is the scenario's name), the
/// CPUs it spawns in spawn order, the expectation (`unreachable`, or `reachable(INVARIANT)`)
/// and a one-line summary. The model is the crate's package name (`CARGO_PKG_NAME`: a model
/// crate is named after its model) and the fingerprint covers the crate's `SOURCES` (a
/// `pub const SOURCES: &[&str]` in its root listing every source file with `include_str!`).
/// The [`Scenario`] builders chain on it: `.witnesses(&[…])`, `.expected_sc(…)`, `.bounds(…)`,
/// `.named(…)`.
///
/// A variant that only calls a shared race function with other revision selectors needs no
/// body function of its own: `NAME = CALL` names the scenario and runs `CALL` as its body.
///
/// ```text
/// scenario!(get_rcu_kfree = recycle_race(FenceRelease::Kfree, Reader::GetRcu),
///     ["reader", "writer"], reachable(USE_AFTER_FREE), "... patched to kfree(fence)"),
/// ```
// `crate::SOURCES` is meant: the calling model crate's sources, not checker's.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! scenario {
    ($name:ident = $call:expr, [$($cpu:expr),+ $(,)?], unreachable, $summary:expr $(,)?) => {
        $crate::scenario!(@call $name, $call, [$($cpu),+], $crate::scenario::Expected::Unreachable, $summary)
    };
    ($name:ident = $call:expr, [$($cpu:expr),+ $(,)?], reachable($inv:expr), $summary:expr $(,)?) => {
        $crate::scenario!(@call $name, $call, [$($cpu),+], $crate::scenario::Expected::Reachable($inv), $summary)
    };
    ($body:ident, [$($cpu:expr),+ $(,)?], unreachable, $summary:expr $(,)?) => {
        $crate::scenario!(@new $body, [$($cpu),+], $crate::scenario::Expected::Unreachable, $summary)
    };
    ($body:ident, [$($cpu:expr),+ $(,)?], reachable($inv:expr), $summary:expr $(,)?) => {
        $crate::scenario!(@new $body, [$($cpu),+], $crate::scenario::Expected::Reachable($inv), $summary)
    };
    (@call $name:ident, $call:expr, [$($cpu:expr),+], $expected:expr, $summary:expr) => {
        $crate::scenario!(@fn $name, || { $call; }, [$($cpu),+], $expected, $summary)
    };
    (@new $body:ident, [$($cpu:expr),+], $expected:expr, $summary:expr) => {
        $crate::scenario!(@fn $body, $body, [$($cpu),+], $expected, $summary)
    };
    (@fn $name:ident, $body:expr, [$($cpu:expr),+], $expected:expr, $summary:expr) => {
        $crate::scenario::Scenario::new(
            ::core::env!("CARGO_PKG_NAME"),
            ::core::stringify!($name),
            $summary,
            &[$($cpu),+],
            $expected,
            crate::SOURCES,
            $body,
        )
    };
}
