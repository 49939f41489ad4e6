//! The `kmodel` package: the CLI binary (src/main.rs) and this small library, which holds
//! what the binary and the tests share: the registry of every model's scenarios, the exit
//! codes, and the usage error.

pub mod registry;

/// Exit codes of the CLI.
pub mod exit {
    /// Every verdict as expected (or a replay that passes now).
    pub const OK: i32 = 0;
    /// A verdict not as expected, or a replay that reproduced its violation.
    pub const FOUND: i32 = 1;
    /// Bad usage or bad input.
    pub const USAGE: i32 = 2;
}

/// The exit code of `kmodel replay` for a replay of `trace` by scenario `s` that ended
/// with `verdict`: [`exit::FOUND`] when it reproduced the violation step for step;
/// [`exit::OK`] ("passes now") only when it followed every recorded step before the violation
/// (the trace's last step, as the reader checks), then ran to the end of the scenario without
/// one, the trace names this scenario as it is declared (its summary and CPUs: a trace with
/// another scenario's name swapped in is not this scenario's), and the replay ran in the
/// memory model the trace was found in ([`sc_pass_of_a_loom_trace`]); [`exit::USAGE`] for
/// any other departure from the trace.
pub fn replay_exit_code(
    trace: &checker::trace::Trace,
    s: &checker::scenario::Scenario,
    verdict: &checker::replay::ReplayVerdict,
) -> i32 {
    use checker::replay::ReplayVerdict;
    match verdict {
        ReplayVerdict::Reproduced(_) => exit::FOUND,
        ReplayVerdict::Passes {
            diverged: Some((n, _, replayed)),
        } if *n == trace.violation.step
            && *n == trace.events.len()
            // The violating CPU went on differently at that very step: had another CPU's
            // step come first, the trace left that step out (a departure, e.g. a dropped
            // `kmem_cache_free()`), not "the bug is gone".
            && replayed.as_ref().map_or(true, |e| e.tid == trace.violation.tid)
            && same_scenario(trace, s)
            && !sc_pass_of_a_loom_trace(trace) =>
        {
            exit::OK
        }
        ReplayVerdict::Passes { .. } | ReplayVerdict::Diverged { .. } => exit::USAGE,
    }
}

/// Whether a pass would come from shuttle's sequentially consistent replay of a trace loom
/// found under C11: that pass does not show that the C11 interleaving passes (loom may have
/// seen a weak-memory read or a data race that SC cannot show), so it is no "passes now".
pub fn sc_pass_of_a_loom_trace(trace: &checker::trace::Trace) -> bool {
    trace.explorer.starts_with("loom") && trace.replay == checker::trace::ReplayMode::Shuttle
}

/// Whether the trace's header describes `s` as it is declared (summary and CPU names).
pub fn same_scenario(trace: &checker::trace::Trace, s: &checker::scenario::Scenario) -> bool {
    trace.model == s.model
        && trace.scenario == s.name
        && trace.summary == s.summary.replace(['\t', '\n', '\r'], " ")
        && trace.cpus.len() == s.cpus.len()
        && trace
            .cpus
            .iter()
            .zip(s.cpus)
            .all(|(t, c)| *t == c.replace(['\t', '\n', '\r', ' '], "_"))
}

/// An error that ends the command with exit code 2 and one line on stderr.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Every committed counterexample (`counterexamples/<model>/*.trace` under `root`), sorted:
/// the traces the test gates replay and render.
pub fn committed_traces(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(models) = std::fs::read_dir(root.join("counterexamples")) else {
        return out;
    };
    for model in models.flatten().map(|m| m.path()).filter(|m| m.is_dir()) {
        for f in std::fs::read_dir(model).into_iter().flatten().flatten() {
            let f = f.path();
            if f.extension().is_some_and(|e| e == "trace") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}
