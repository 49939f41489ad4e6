//! Gate: `kmodel replay`'s default (condensed) view of every committed counterexample fits in
//! 25 lines with no cell cut, and the stale-read marks are sound: a trace that shuttle
//! replays (sequentially consistent) has none, a trace that needs weak memory has one unless
//! loom stopped it at a data race. Reads the committed files only: no replay, no loom build.
//! And: minimizing every committed trace that shuttle replays keeps it a reproducing
//! counterexample of the same invariant with no more context switches (prints the numbers
//! before and after; costs a few seconds: at most `REPLAY_BUDGET` replays per trace).

use std::path::{Path, PathBuf};

#[cfg(not(loom))]
use checker::replay::minimize::{minimize, REPLAY_BUDGET};
#[cfg(not(loom))]
use checker::replay::{replay, ReplayVerdict};
#[cfg(not(loom))]
use checker::trace::context_switches;
use checker::trace::{header, render, ReplayMode, Trace, View};

fn committed() -> Vec<PathBuf> {
    kmodel::committed_traces(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// What `kmodel replay` prints: the header, a blank line, the view, the verdict line.
fn default_replay(t: &Trace, path: &Path) -> String {
    format!(
        "{}\n{}reproduced: {}\n",
        header(t, &path.display().to_string()),
        render(t, View::Condensed),
        t.violation.invariant
    )
}

#[test]
fn every_committed_trace_fits_25_lines_uncut() {
    let mut max = (0, String::new());
    for path in committed() {
        let t = Trace::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let out = default_replay(&t, &path);
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
            // Known gap (issue 10): a ghost-clock reading is a loom operation (a scheduling
            // point) but no shuttle scheduling point, so a loom schedule that preempts a CPU
            // right before its reading cannot be replayed by shuttle and keeps `replay: loom`
            // without weak memory (litmus/probe-ghost-clock-window). Such traces are exempt.
            ReplayMode::Loom
                if t.violation.invariant != "DATA_RACE"
                    && !(stale == 0 && t.events.iter().any(|e| e.op == "ghost_now")) =>
            {
                assert!(stale > 0, "{}: no stale read marked", path.display())
            }
            ReplayMode::Loom => {}
        }
    }
}

/// Minimize every committed trace that shuttle replays: the result must replay step for step
/// to the same invariant, with no more context switches and a default replay no longer than
/// before. Prints one line per trace and the totals (`--nocapture`).
#[cfg(not(loom))]
#[test]
fn minimizing_keeps_every_committed_counterexample() {
    // [all traces, traces shuttle replays]: (switches, lines) as [max before, max after,
    // sum before, sum after], and the number of traces.
    let mut sums = [([0usize; 4], [0usize; 4], 0usize); 2];
    let mut replays = 0;
    let start = std::time::Instant::now();
    for path in committed() {
        let t = Trace::read(&path).unwrap();
        let s = kmodel::registry::find(&t.model, &t.scenario).unwrap();
        let mut m = t.clone();
        let r = minimize(s, &mut m, REPLAY_BUDGET);
        if let Some(r) = &r {
            assert!(r.replays <= REPLAY_BUDGET, "{}: {r}", path.display());
            assert_eq!(r.switches_before, context_switches(&t.events));
            assert_eq!(r.switches_after, context_switches(&m.events));
            replays += r.replays;
        } else {
            assert_eq!(t.replay, ReplayMode::Loom, "{}", path.display());
            assert_eq!(m, t, "{}: a loom trace is left alone", path.display());
        }
        let (b, a) = (context_switches(&t.events), context_switches(&m.events));
        assert!(a <= b, "{}: {b} -> {a} switches", path.display());
        assert_eq!(m.violation.invariant, t.violation.invariant);
        if m != t {
            let rep = replay(s, &m).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            match rep.verdict {
                ReplayVerdict::Reproduced(v) => assert_eq!(v, m.violation, "{}", path.display()),
                other => panic!("{}: the minimized trace: {other:?}", path.display()),
            }
            assert_eq!(rep.events, m.events, "{}", path.display());
            let round = Trace::parse(&m.to_text()).unwrap();
            assert_eq!(
                round,
                m,
                "{}: the minimized trace round-trips",
                path.display()
            );
        }
        let (lb, la) = (
            default_replay(&t, &path).lines().count(),
            default_replay(&m, &path).lines().count(),
        );
        println!(
            "{}: switches {b} -> {a}, default replay {lb} -> {la} lines, steps {} -> {}{}",
            path.display(),
            t.events.len(),
            m.events.len(),
            r.map_or(" (replay: loom, left alone)".into(), |r| format!(
                " ({} replays, {:.2}s)",
                r.replays, r.seconds
            ))
        );
        for (i, (sw, lines, n)) in sums.iter_mut().enumerate() {
            if i == 1 && t.replay != ReplayMode::Shuttle {
                continue;
            }
            *sw = [sw[0].max(b), sw[1].max(a), sw[2] + b, sw[3] + a];
            *lines = [
                lines[0].max(lb),
                lines[1].max(la),
                lines[2] + lb,
                lines[3] + la,
            ];
            *n += 1;
        }
    }
    for (what, (sw, lines, n)) in ["traces", "traces replayed by shuttle"].iter().zip(sums) {
        let mean = |x: usize| x as f64 / n.max(1) as f64;
        println!(
            "{n} {what}: context switches max {} -> {}, mean {:.2} -> {:.2}; default replay lines max {} -> {}, mean {:.2} -> {:.2}",
            sw[0], sw[1], mean(sw[2]), mean(sw[3]), lines[0], lines[1], mean(lines[2]), mean(lines[3]),
        );
    }
    println!("{replays} replays in {:.1}s", start.elapsed().as_secs_f64());
}
