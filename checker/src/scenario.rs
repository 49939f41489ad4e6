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

use crate::invariant::Invariant;
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
}

impl Bounds {
    /// Full loom exploration, 10 000 shuttle runs, PCT depth 3.
    pub const DEFAULT: Bounds = Bounds {
        loom_preemption_bound: None,
        loom_max_branches: 10_000,
        shuttle_iterations: 10_000,
        pct_depth: 3,
    };
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
    pub bounds: Bounds,
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
            bounds: Bounds::DEFAULT,
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
        } else {
            e
        }
    }

    /// Fingerprint of the model's and the checker's sources: a trace recorded under another
    /// fingerprint may no longer replay.
    pub fn fingerprint(&self) -> String {
        let mut parts: Vec<&str> = crate::CHECKER_SOURCES.to_vec();
        parts.extend_from_slice(self.sources);
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
/// The [`Scenario`] builders chain on it: `.expected_sc(…)`, `.bounds(…)`, `.named(…)`.
// `crate::SOURCES` is meant: the calling model crate's sources, not checker's.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! scenario {
    ($body:ident, [$($cpu:expr),+ $(,)?], unreachable, $summary:expr $(,)?) => {
        $crate::scenario!(@new $body, [$($cpu),+], $crate::scenario::Expected::Unreachable, $summary)
    };
    ($body:ident, [$($cpu:expr),+ $(,)?], reachable($inv:expr), $summary:expr $(,)?) => {
        $crate::scenario!(@new $body, [$($cpu),+], $crate::scenario::Expected::Reachable($inv), $summary)
    };
    (@new $body:ident, [$($cpu:expr),+], $expected:expr, $summary:expr) => {
        $crate::scenario::Scenario::new(
            ::core::env!("CARGO_PKG_NAME"),
            ::core::stringify!($body),
            $summary,
            &[$($cpu),+],
            $expected,
            crate::SOURCES,
            $body,
        )
    };
}
