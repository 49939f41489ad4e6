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
        Some(e) => e.describe(),
    }
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    if args.times == 0 {
        return Err(UsageError(
            "--times 0 would replay nothing (hint: pass at least 1; the default is 1)".into(),
        )
        .into());
    }
    let trace = Trace::read(&args.file).map_err(|e| UsageError(e.to_string()))?;
    let Some(s) = registry::find(&trace.model, &trace.scenario) else {
        let e = TraceError::UnknownScenario {
            model: trace.model.clone(),
            scenario: trace.scenario.clone(),
        };
        return Err(UsageError(e.to_string()).into());
    };
    if trace.replay == ReplayMode::Loom && !cfg!(loom) {
        // Needs weak memory: loom replays it from the checkpoint the trace carries. The path
        // goes as it is (not lossily as UTF-8), after `--` (it may start with `-`).
        let mut wargs: Vec<std::ffi::OsString> =
            vec!["replay".into(), format!("--times={}", args.times).into()];
        for (on, flag) in [
            (args.quiet, "--quiet"),
            (args.full, "--full"),
            (args.dot, "--dot"),
        ] {
            if on {
                wargs.push(flag.into());
            }
        }
        wargs.push("--".into());
        wargs.push(args.file.clone().into_os_string());
        let (code, stdout, stderr) = crate::loom_build::run(&wargs)?;
        print!("{stdout}");
        eprint!("{stderr}");
        return Ok(code);
    }
    // The fingerprint first, in one line in every mode: a trace of another model version may
    // depart from the model, and that is the first thing to know about it.
    let same_model = s.fingerprint() == trace.fingerprint;
    if !same_model {
        eprintln!(
            "warning: the model changed since this trace was recorded (fingerprint {}, now {}); a departure from the trace below comes from that (hint: run `./kmodel check {}/{}` for a fresh counterexample)",
            trace.fingerprint,
            s.fingerprint(),
            trace.model,
            trace.scenario
        );
    }
    let times = args.times;
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
    let code = kmodel::replay_exit_code(&trace, s, &first.verdict);
    let mut shown = trace.clone();
    if let ReplayVerdict::Reproduced(v) = &first.verdict {
        shown.events = first.events.clone();
        shown.violation = v.clone();
    }
    if args.dot {
        print!("{}", render_dot(&shown));
        return Ok(code);
    }
    if !args.quiet {
        print!("{}", header(&trace, &args.file.display().to_string()));
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
    let why = if same_model {
        "the trace does not describe an execution of this scenario: it was edited or belongs elsewhere"
    } else {
        "the model changed since the trace was recorded"
    };
    match first.verdict {
        ReplayVerdict::Reproduced(v) if !args.quiet => {
            // The view above ends with the violation's message.
            println!(
                "reproduced{again}: {} ({} at step {})",
                v.invariant,
                thread_name(v.tid),
                v.step
            );
        }
        ReplayVerdict::Reproduced(v) => {
            println!("reproduced{again}: {v}");
        }
        ReplayVerdict::Diverged {
            step,
            recorded,
            replayed,
        } => {
            println!(
                "diverged at step {step}: the trace recorded {}, the replay did {} (hint: {why}; run `./kmodel check {}/{}` for a fresh counterexample)",
                show(&recorded),
                show(&replayed),
                trace.model,
                trace.scenario
            );
        }
        ReplayVerdict::Passes { diverged } if code == kmodel::exit::OK => {
            let did = diverged.map(|(_, _, rep)| show(&rep)).unwrap_or_default();
            println!(
                "passes now: {} is no longer violated along this interleaving (it ran every recorded step before it, then did {did} instead, and ran to the end); run `./kmodel check {}/{}` to explore the rest",
                trace.violation.invariant,
                trace.model,
                trace.scenario
            );
        }
        ReplayVerdict::Passes {
            diverged: Some((n, _, _)),
        } if n == trace.violation.step && !kmodel::same_scenario(&trace, s) => {
            println!(
                "departed: the replay followed every step before the violation and then passed, but the trace's header (summary, CPUs) describes another scenario than {}/{} (hint: the trace was edited or belongs to another scenario; run `./kmodel check {}/{}` for a counterexample of this one)",
                trace.model, trace.scenario, trace.model, trace.scenario
            );
        }
        ReplayVerdict::Passes {
            diverged: Some((n, _, _)),
        } if n == trace.violation.step && kmodel::sc_pass_of_a_loom_trace(&trace) => {
            println!(
                "not shown: shuttle's sequentially consistent replay followed every step before the violation and then passed, but loom found this trace under C11, which a pass under SC does not clear (hint: run `./kmodel check {}/{} --explorer loom` to see whether it still fails)",
                trace.model, trace.scenario
            );
        }
        ReplayVerdict::Passes { diverged } => {
            let (n, rec, rep) = diverged.unwrap_or((trace.events.len() + 1, None, None));
            println!(
                "departed at step {n}: the trace recorded {}, the replay did {}, then ran without a violation (hint: {why}; run `./kmodel check {}/{}` for a fresh counterexample)",
                show(&rec),
                show(&rep),
                trace.model,
                trace.scenario
            );
        }
    }
    Ok(code)
}
