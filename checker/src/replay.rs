//! Replaying a trace: re-executing exactly its interleaving (by shuttle's trace-following
//! scheduler, or by loom from its checkpoint when the interleaving needs weak memory) and
//! comparing every step.

#[cfg(not(loom))]
pub mod minimize;

use crate::rt;
use crate::scenario::Scenario;
#[cfg(not(loom))]
use crate::trace::ReplayMode;
use crate::trace::{Event, Trace, Violation};

/// What a replay of a trace showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// The recorded interleaving ran step for step and broke the same invariant.
    Reproduced(Violation),
    /// The replay departed from the trace at `step` (1-based): what the trace recorded there
    /// and what the model did instead.
    Diverged {
        step: usize,
        recorded: Option<Event>,
        replayed: Option<Event>,
    },
    /// The replay ran without violating anything; `diverged` is the first step where it
    /// departed from the trace, with what was recorded and what the model did, if it did.
    Passes {
        diverged: Option<(usize, Option<Event>, Option<Event>)>,
    },
}

/// A replay and the events it produced.
#[derive(Clone, Debug)]
pub struct Replay {
    pub verdict: ReplayVerdict,
    pub events: Vec<Event>,
    /// The scenario's current fingerprint equals the trace's.
    pub same_model: bool,
}

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("this trace needs loom's weak memory to replay, and this is not a `--cfg loom` build (hint: run `kmodel replay` from the CLI, which delegates to its loom build)")]
    NeedsLoom,
    #[error("this trace has no loom checkpoint to replay (hint: re-run `kmodel check --explorer loom` to regenerate it)")]
    NoCheckpoint,
    #[error("the trace's loom checkpoint is not valid JSON (hint: the file is damaged; re-run `kmodel check --explorer loom`)")]
    BadCheckpoint,
    #[error("replay of the loom checkpoint failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "a `--cfg loom` build replays only traces that need loom (hint: use the normal build)"
    )]
    NeedsShuttle,
}

/// Re-execute exactly the trace's interleaving of `s` and compare every step.
pub fn replay(s: &'static Scenario, trace: &Trace) -> Result<Replay, ReplayError> {
    let (stats, failed) = replay_backend(s, trace)?;
    let events = match &failed {
        Some(f) => f.events.clone(),
        None => stats.last_events.clone(),
    };
    let first_diff =
        (0..trace.events.len().max(events.len())).find(|&i| trace.events.get(i) != events.get(i));
    let verdict = match (failed, first_diff) {
        (Some(f), None) if f.violation.invariant == trace.violation.invariant => {
            ReplayVerdict::Reproduced(f.violation)
        }
        (Some(_), diff) => {
            let i = diff.unwrap_or(trace.events.len());
            ReplayVerdict::Diverged {
                step: i + 1,
                recorded: trace.events.get(i).cloned(),
                replayed: events.get(i).cloned(),
            }
        }
        (None, diff) => ReplayVerdict::Passes {
            diverged: diff.map(|i| (i + 1, trace.events.get(i).cloned(), events.get(i).cloned())),
        },
    };
    Ok(Replay {
        verdict,
        events,
        same_model: s.fingerprint() == trace.fingerprint,
    })
}

/// Replay the recorded per-CPU order with shuttle, in this build; for traces that need loom,
/// see [`ReplayError::NeedsLoom`].
#[cfg(not(loom))]
fn replay_backend(
    s: &'static Scenario,
    trace: &Trace,
) -> Result<(rt::execution::Stats, Option<rt::execution::Failed>), ReplayError> {
    match trace.replay {
        ReplayMode::Shuttle => {
            let kind = trace.explorer.split_whitespace().next().unwrap_or("");
            Ok(rt::shuttle::replay(s, kind, &trace.events))
        }
        ReplayMode::Loom => Err(ReplayError::NeedsLoom),
    }
}

#[cfg(loom)]
fn replay_backend(
    s: &'static Scenario,
    trace: &Trace,
) -> Result<(rt::execution::Stats, Option<rt::execution::Failed>), ReplayError> {
    let cp = trace
        .loom_checkpoint
        .as_deref()
        .ok_or(ReplayError::NoCheckpoint)?;
    serde_json::from_str::<serde_json::Value>(cp).map_err(|_| ReplayError::BadCheckpoint)?;
    Ok(rt::loom::replay(s, cp)?)
}

/// Decide how a trace found by loom replays: by shuttle if shuttle's sequentially consistent
/// replay reproduces it step for step, else by loom from its checkpoint (the interleaving
/// needs a weak-memory read). Traces found by shuttle always replay by shuttle.
#[cfg(not(loom))]
pub fn settle_replay_mode(s: &'static Scenario, trace: &mut Trace) {
    if !trace.explorer.starts_with("loom") {
        trace.replay = ReplayMode::Shuttle;
        return;
    }
    trace.replay = ReplayMode::Shuttle;
    let reproduced = matches!(
        replay(s, trace).map(|r| r.verdict),
        Ok(ReplayVerdict::Reproduced(_))
    );
    if !reproduced && trace.loom_checkpoint.is_some() {
        trace.replay = ReplayMode::Loom;
    }
}
