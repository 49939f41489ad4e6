//! `kmodel replay`: re-execute a counterexample's interleaving, step for step.

use std::path::PathBuf;

use checker::replay::{replay, ReplayVerdict};
use checker::trace::{
    header, render, render_dot, thread_name, Event, ReplayMode, Trace, TraceError, View,
};

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
    /// Print every step (setup and nested calls included), not the condensed view.
    #[arg(long, conflicts_with = "dot")]
    pub full: bool,
    /// Print the execution's happens-before, reads-from and lock-order graph as Graphviz DOT
    /// instead of the columns (`kmodel replay T --dot | dot -Tsvg > race.svg`).
    #[arg(long)]
    pub dot: bool,
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
        for (on, flag) in [
            (args.quiet, "--quiet"),
            (args.full, "--full"),
            (args.dot, "--dot"),
        ] {
            if on {
                wargs.push(flag.into());
            }
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
    let mut shown = trace.clone();
    shown.events = first.events.clone();
    if let ReplayVerdict::Reproduced(v) = &first.verdict {
        shown.violation = v.clone();
    } else {
        shown = trace.clone();
    }
    if args.dot {
        print!("{}", render_dot(&shown));
        return Ok(match first.verdict {
            ReplayVerdict::Reproduced(_) => kmodel::exit::FOUND,
            ReplayVerdict::Diverged { .. } => kmodel::exit::USAGE,
            ReplayVerdict::Passes { .. } => kmodel::exit::OK,
        });
    }
    if !args.quiet {
        print!("{}", header(&trace, &args.file.display().to_string()));
        if !first.same_model {
            println!(
                "note: the model changed since this trace was recorded (fingerprint {}, now {})",
                trace.fingerprint,
                s.fingerprint()
            );
        }
        println!();
        let view = if args.full {
            View::Full
        } else {
            View::Condensed
        };
        print!("{}", render(&shown, view));
    }
    let again = if times > 1 {
        format!(" {times}/{times} times")
    } else {
        String::new()
    };
    Ok(match first.verdict {
        ReplayVerdict::Reproduced(v) if !args.quiet => {
            // The view above ends with the violation's message.
            println!(
                "reproduced{again}: {} ({} at step {})",
                v.invariant,
                thread_name(v.tid),
                v.step
            );
            kmodel::exit::FOUND
        }
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
