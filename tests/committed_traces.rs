//! Gate: every committed counterexample replays, step for step, 100 times out of 100.
//! Traces that shuttle replays are checked by `cargo test`; traces that need loom's weak
//! memory are checked by the loom suite (`--cfg loom`), which replays loom checkpoints.

use std::path::{Path, PathBuf};

use checker::replay::{replay, ReplayVerdict};
use checker::trace::{ReplayMode, Trace};

fn committed() -> Vec<PathBuf> {
    kmodel::committed_traces(Path::new(env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn every_committed_trace_replays_100_of_100() {
    let mode = if cfg!(loom) {
        ReplayMode::Loom
    } else {
        ReplayMode::Shuttle
    };
    let traces = committed();
    assert!(!traces.is_empty(), "no committed counterexamples");
    let mut checked = 0;
    for path in traces {
        let t = Trace::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let s = kmodel::registry::find(&t.model, &t.scenario).unwrap_or_else(|| {
            panic!(
                "{}: scenario {}/{} is gone",
                path.display(),
                t.model,
                t.scenario
            )
        });
        let kind = t.explorer.split_whitespace().next().unwrap_or("");
        let expected = match s.expected_for(kind) {
            checker::scenario::Expected::Reachable(inv) => inv.name,
            checker::scenario::Expected::Unreachable => {
                "none: this explorer must find no counterexample"
            }
        };
        assert_eq!(
            t.violation.invariant,
            expected,
            "{}: the committed counterexample is not for the scenario's named invariant",
            path.display()
        );
        if t.replay != mode {
            continue;
        }
        for i in 1..=100 {
            let r = replay(s, &t).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            match r.verdict {
                ReplayVerdict::Reproduced(v) => assert_eq!(v, t.violation, "{}", path.display()),
                other => panic!("{}: replay {i}/100: {other:?}", path.display()),
            }
            assert_eq!(
                r.events,
                t.events,
                "{}: replay {i}/100 differs",
                path.display()
            );
        }
        checked += 1;
    }
    println!("{checked} trace(s) replayed 100/100 with {}", mode.as_str());
}
