//! `kmodel replay`: re-execute a counterexample's interleaving, step for step.

use std::path::PathBuf;

use checker::replay::{replay, ReplayVerdict};
use checker::trace::{render_columns, thread_name, Event, ReplayMode, Trace, TraceError};

use kmodel::{registry, UsageError};

/// Re-execute a saved counterexample's interleaving and compare every step with the trace.
/// Exit 1: reproduced. Exit 2: diverged (the model changed) or bad input. Exit 0: the
/// scenario passes along this interleaving now.
#[derive(clap::Args)]
pub struct Args {
    /// The trace file (counterexamples/<model>/<scenario>-<hash>.trace).
    pub file: PathBuf,
    /// Replay this many times, checking that every run is identical.
    #[arg(long, default_value_t = 1)]
    pub times: usize,
    /// Print only the verdict, not the interleaving.
    #[arg(long)]
    pub quiet: bool,
}

fn show(e: &Option<Event>) -> String {
    match e {
        None => "nothing (the run ended)".into(),
        Some(e) => format!("{} {}({}) = {}", thread_name(e.tid), e.op, e.obj, e.result),
    }
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let trace = Trace::read(&args.file).map_err(|e| UsageError(e.to_string()))?;
    let Some(s) = registry::find(&trace.model, &trace.scenario) else {
        let e = TraceError::UnknownScenario {
            model: trace.model.clone(),
            scenario: trace.scenario.clone(),
        };
        return Err(UsageError(e.to_string()).into());
    };
    if trace.replay == ReplayMode::Loom && !cfg!(loom) {
        // Needs weak memory: loom replays it from the checkpoint the trace carries.
        let mut wargs = vec![
            "replay".to_string(),
            args.file.display().to_string(),
            format!("--times={}", args.times),
        ];
        if args.quiet {
            wargs.push("--quiet".into());
        }
        let (code, stdout, stderr) = crate::loom_build::run(&wargs)?;
        print!("{stdout}");
        eprint!("{stderr}");
        return Ok(code);
    }
    let times = args.times.max(1);
    // shuttle prints its own banner for every failing execution; the verdict below says it all.
    let quiet = gag::Gag::stderr().ok();
    let first = replay(s, &trace).map_err(|e| UsageError(e.to_string()))?;
    for i in 2..=times {
        let again = replay(s, &trace).map_err(|e| UsageError(e.to_string()))?;
        if again.verdict != first.verdict || again.events != first.events {
            return Err(UsageError(format!(
                "replay is not deterministic: run {i} of {times} differs from run 1 (hint: a model must not depend on anything but the schedule; report this as a kmodel bug)"
            ))
            .into());
        }
    }
    drop(quiet);
    if !args.quiet {
        println!("trace:     {}", args.file.display());
        println!(
            "scenario:  {}/{} — {}",
            trace.model, trace.scenario, trace.summary
        );
        println!("expected:  {}", trace.expected);
        println!(
            "found by:  {}; replayed by {}",
            trace.explorer,
            trace.replay.as_str()
        );
        if !first.same_model {
            println!(
                "note:      the model changed since this trace was recorded (fingerprint {}, now {})",
                trace.fingerprint,
                s.fingerprint()
            );
        }
        println!();
        let mut shown = trace.clone();
        shown.events = first.events.clone();
        if let ReplayVerdict::Reproduced(v) = &first.verdict {
            shown.violation = v.clone();
            println!("{}", render_columns(&shown));
        } else {
            println!("{}", render_columns(&trace));
        }
    }
    let again = if times > 1 {
        format!(" {times}/{times} times")
    } else {
        String::new()
    };
    Ok(match first.verdict {
        ReplayVerdict::Reproduced(v) => {
            println!("reproduced{again}: {v}");
            kmodel::exit::FOUND
        }
        ReplayVerdict::Diverged {
            step,
            recorded,
            replayed,
        } => {
            println!(
                "diverged at step {step}: the trace recorded {}, the replay did {} (hint: the model changed since the trace was recorded; run `cargo run --release -- check {}/{}` for a fresh counterexample)",
                show(&recorded),
                show(&replayed),
                trace.model,
                trace.scenario
            );
            kmodel::exit::USAGE
        }
        ReplayVerdict::Passes { diverged } => {
            let how = match diverged {
                None => "it ran every recorded step".to_string(),
                Some((n, rec, rep)) => format!(
                    "it departed from the trace at step {n}: recorded {}, replayed {}",
                    show(&rec),
                    show(&rep)
                ),
            };
            println!(
                "passes now: {} is no longer violated along this interleaving ({how}); run `cargo run --release -- check {}/{}` to explore the rest",
                trace.violation.invariant, trace.model, trace.scenario
            );
            kmodel::exit::OK
        }
    })
}
