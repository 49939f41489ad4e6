//! Gate: `kmodel replay`'s default (condensed) view of every committed counterexample fits in
//! 25 lines with no cell cut, and the stale-read marks are sound: a trace that shuttle
//! replays (sequentially consistent) has none, a trace that needs weak memory has one unless
//! loom stopped it at a data race. Reads the committed files only: no replay, no loom build.

use std::path::{Path, PathBuf};

use checker::trace::{header, render, ReplayMode, Trace, View};

fn committed() -> Vec<PathBuf> {
    kmodel::committed_traces(Path::new(env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn every_committed_trace_fits_25_lines_uncut() {
    let mut max = (0, String::new());
    for path in committed() {
        let t = Trace::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // What `kmodel replay` prints: the header, a blank line, the view, the verdict line.
        let out = format!(
            "{}\n{}reproduced: {}\n",
            header(&t, &path.display().to_string()),
            render(&t, View::Condensed),
            t.violation.invariant
        );
        let n = out.lines().count();
        assert!(n <= 25, "{}: {n} lines\n{out}", path.display());
        assert!(!out.contains('…'), "{}: a cut cell\n{out}", path.display());
        for e in &t.events {
            if e.tid > 0 && e.op != "VIOLATION" && !e.result.is_empty() {
                // Every recorded value is printed whole (in the full view at least).
                let full = render(&t, View::Full);
                assert!(full.contains(&e.result), "{}: {}", path.display(), e.result);
                break;
            }
        }
        if n > max.0 {
            max = (n, path.display().to_string());
        }
    }
    println!("longest default replay: {} lines ({})", max.0, max.1);
}

#[test]
fn stale_reads_only_where_weak_memory_is_needed() {
    for path in committed() {
        let t = Trace::read(&path).unwrap();
        let stale = render(&t, View::Full).matches("(stale: latest is ").count();
        match t.replay {
            ReplayMode::Shuttle => assert_eq!(stale, 0, "{}", path.display()),
            ReplayMode::Loom if t.violation.invariant != "DATA_RACE" => {
                assert!(stale > 0, "{}: no stale read marked", path.display())
            }
            ReplayMode::Loom => {}
        }
    }
}
