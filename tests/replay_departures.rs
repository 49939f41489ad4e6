//! Replay-departure mutants: no trace that the replay departed from gets exit 0 ("passes
//! now"). The committed traces are mutated the ways issue 14 found exit 0 on: another
//! scenario's name swapped in, `replay: loom` edited to `shuttle`, fake steps inserted before
//! the violation (and appended after it), a step's result changed. Each mutant is read and
//! replayed in process and judged with the CLI's own exit-code rule
//! (`kmodel::replay_exit_code`); a mutant the reader refuses is exit 2 as well.
#![cfg(not(loom))]

use std::path::{Path, PathBuf};

use checker::replay::replay;
use checker::trace::{ReplayMode, Trace};
use kmodel::exit;

fn committed() -> Vec<PathBuf> {
    kmodel::committed_traces(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// The exit code `kmodel replay` gives `text` (read, scenario looked up, replayed by shuttle).
fn exit_code(text: &str) -> i32 {
    let Ok(t) = Trace::parse(text) else {
        return exit::USAGE;
    };
    let Some(s) = kmodel::registry::find(&t.model, &t.scenario) else {
        return exit::USAGE;
    };
    if t.replay == ReplayMode::Loom {
        // Replayed from the checkpoint by the loom build; the loom suite covers those.
        return exit::USAGE;
    }
    match replay(s, &t) {
        Ok(r) => kmodel::replay_exit_code(&t, s, &r.verdict),
        Err(_) => exit::USAGE,
    }
}

/// The text with the step lines rewritten by `f` (renumbered, `steps:` and
/// `violation-step:` kept consistent), so that the reader accepts it.
fn with_steps(text: &str, f: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
    let (head, rest) = text.split_once("\n---\n").unwrap();
    let body = rest.strip_suffix("--- end\n").unwrap();
    let mut steps: Vec<Vec<String>> = body
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    f(&mut steps);
    let n = steps.len();
    let mut out = String::new();
    for l in head.lines() {
        if l.starts_with("steps: ") {
            out.push_str(&format!("steps: {n}\n"));
        } else if l.starts_with("violation-step: ") {
            out.push_str(&format!("violation-step: {n}\n"));
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    out.push_str("---\n");
    for (i, s) in steps.iter_mut().enumerate() {
        s[0] = (i + 1).to_string();
        out.push_str(&s.join("\t"));
        out.push('\n');
    }
    out.push_str("--- end\n");
    out
}

#[test]
fn no_departed_replay_exits_0() {
    let mut mutants = 0;
    let mut reproduced = 0;
    let mut checked = |name: &str, text: String| {
        let code = exit_code(&text);
        assert_ne!(
            code,
            exit::OK,
            "{name}: exit 0 on a trace the replay departed from"
        );
        mutants += 1;
    };
    for path in committed() {
        let text = std::fs::read_to_string(&path).unwrap();
        let t = Trace::parse(&text).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // The committed trace itself: reproduced (exit 1), or, when the model changed since
        // it was recorded, departed from (exit 2); never "passes now" for an unchanged model.
        if t.replay == ReplayMode::Shuttle {
            let code = exit_code(&text);
            assert_ne!(code, exit::OK, "{name}");
            if code == exit::FOUND {
                reproduced += 1;
            }
        }

        // Another scenario of the same model.
        let line = format!("\nscenario: {}\n", t.scenario);
        for other in kmodel::registry::all() {
            if other.model == t.model && other.name != t.scenario {
                checked(
                    &format!("{name} as {}", other.name),
                    text.replacen(&line, &format!("\nscenario: {}\n", other.name), 1),
                );
            }
        }
        // A trace that needs loom's weak memory, edited to replay by shuttle.
        if t.replay == ReplayMode::Loom {
            checked(
                &format!("{name} replay: shuttle"),
                text.replacen("\nreplay: loom\n", "\nreplay: shuttle\n", 1),
            );
        }
        // Fake steps before the violation: a copy of a step, many copies, a step of a CPU.
        let n = t.events.len();
        for at in [0, n / 2, n - 1] {
            checked(
                &format!("{name} step {at} doubled"),
                with_steps(&text, |s| {
                    let dup = s[at.min(s.len() - 1)].clone();
                    s.insert(at, dup);
                }),
            );
        }
        checked(
            &format!("{name} 10,000 fake steps"),
            with_steps(&text, |s| {
                let fake = vec![
                    String::new(),
                    "main".into(),
                    "0".into(),
                    "kzalloc".into(),
                    "fake#1".into(),
                    "ok".into(),
                ];
                for _ in 0..10_000 {
                    s.insert(n - 1, fake.clone());
                }
            }),
        );
        // Fake steps after the violation: refused by the reader.
        let (head, _) = text.rsplit_once("--- end\n").unwrap();
        checked(
            &format!("{name} steps after the violation"),
            format!("{head}{}\tmain\t0\tkzalloc\tfake#1\tok\n--- end\n", n + 1).replacen(
                &format!("\nsteps: {n}\n"),
                &format!("\nsteps: {}\n", n + 1),
                1,
            ),
        );
        // A recorded result changed, and a step dropped.
        checked(
            &format!("{name} result of step {} changed", n / 2 + 1),
            with_steps(&text, |s| s[n / 2][5] = "changed".into()),
        );
        if n >= 2 {
            checked(
                &format!("{name} step {} dropped", n / 2 + 1),
                with_steps(&text, |s| {
                    s.remove(n / 2);
                }),
            );
        }
    }
    println!("{mutants} departure mutants, none exits 0 ({reproduced} committed traces reproduce)");
    assert!(mutants > 500, "only {mutants} mutants");
}

/// The one case that is exit 0: every step before the violation followed, then no
/// violation to the end. A scenario that is fixed along the recorded interleaving is
/// simulated by editing the trace of a scenario whose violation needs the last step: the
/// trace's violation is replaced by one recorded on a step the model does not take.
#[test]
fn passes_now_only_after_following_every_step_before_the_violation() {
    use checker::replay::ReplayVerdict;
    let path = committed()
        .into_iter()
        .find(|p| {
            let t = std::fs::read_to_string(p).unwrap();
            t.contains("\nreplay: shuttle\n") && !t.contains("\nexplorer: loom")
        })
        .unwrap();
    let t = Trace::read(&path).unwrap();
    let s = kmodel::registry::find(&t.model, &t.scenario).unwrap();
    let n = t.violation.step;
    let followed = ReplayVerdict::Passes {
        diverged: Some((n, t.events.last().cloned(), None)),
    };
    assert_eq!(kmodel::replay_exit_code(&t, s, &followed), exit::OK);
    for step in [1, n - 1, n + 1] {
        let departed = ReplayVerdict::Passes {
            diverged: Some((step, None, None)),
        };
        assert_eq!(
            kmodel::replay_exit_code(&t, s, &departed),
            exit::USAGE,
            "{step}"
        );
    }
    assert_eq!(
        kmodel::replay_exit_code(&t, s, &ReplayVerdict::Passes { diverged: None }),
        exit::USAGE
    );
}
