//! The trace format: round trip, and a one-line error (never a panic) for bad input.

use checker::trace::{Event, ReplayMode, Trace, TraceError, Violation};
use proptest::prelude::*;

fn sample() -> Trace {
    Trace {
        model: "vm_bo_lifecycle".into(),
        scenario: "s".into(),
        summary: "a summary".into(),
        expected: "reachable WARN".into(),
        explorer: "loom preemption_bound=none".into(),
        loom_version: "0.7.2".into(),
        shuttle_version: "0.9.9".into(),
        fingerprint: "00ff".into(),
        cpus: vec!["exec".into(), "put".into()],
        violation: Violation {
            invariant: "WARN".into(),
            message: "WARN_ON(x)".into(),
            tid: 2,
            step: 3,
        },
        replay: ReplayMode::Loom,
        loom_checkpoint: Some("{\"pos\":0}".into()),
        events: vec![
            Event {
                tid: 0,
                depth: 0,
                op: "kzalloc".into(),
                obj: "vm#1".into(),
                result: "ok".into(),
            },
            Event {
                tid: 1,
                depth: 1,
                op: "kref_put".into(),
                obj: "vm#1".into(),
                result: "1->0".into(),
            },
            Event {
                tid: 2,
                depth: 0,
                op: "VIOLATION".into(),
                obj: "WARN".into(),
                result: "WARN_ON(x)".into(),
            },
        ],
    }
}

#[test]
fn round_trip() {
    let t = sample();
    let text = t.to_text();
    assert_eq!(Trace::parse(&text).unwrap(), t);
    assert!(text.starts_with("kmodel-trace 1\n"));
    assert!(text.ends_with("--- end\n"));
}

#[test]
fn content_name_is_stable_and_ignores_the_explorer() {
    let a = sample();
    let mut b = sample();
    b.explorer = "pct iterations=1 depth=3 seed=1".into();
    assert_eq!(a.content_name(), b.content_name());
    let mut c = sample();
    c.events[1].result = "2->1".into();
    assert_ne!(a.content_name(), c.content_name());
    assert!(a.content_name().starts_with("s-") && a.content_name().ends_with(".trace"));
}

#[test]
fn save_is_atomic_and_deduplicated() {
    let dir = std::env::temp_dir().join(format!("kmodel-save-{}", std::process::id()));
    let p1 = sample().save_in(&dir).unwrap();
    let p2 = sample().save_in(&dir).unwrap();
    assert_eq!(p1, p2);
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "one file, no temporary left behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn err(text: &str) -> TraceError {
    Trace::parse(text).expect_err("must be refused")
}

#[test]
fn bad_inputs_are_refused_with_a_hint() {
    let good = sample().to_text();
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "not a kmodel trace"),
        ("[package]\nname = \"x\"\n".into(), "not a kmodel trace"),
        (
            good.replacen("kmodel-trace 1", "kmodel-trace 7", 1),
            "unsupported trace format version 7",
        ),
        (
            good.lines().take(5).collect::<Vec<_>>().join("\n"),
            "missing `violation`",
        ),
        (good[..good.len() - 20].to_string(), "truncated"),
        (good.replace("--- end\n", ""), "truncated"),
        (good.replace("replay: loom", "replay: gdb"), "bad `replay`"),
        (
            good.replace("2\tCPU0\t1\tkref_put", "2\tCPU9\t1\tkref_put"),
            "not `main` or a declared CPU",
        ),
        (
            good.replace("model: vm_bo_lifecycle\n", ""),
            "missing `model`",
        ),
        (good.replace("steps: 3", "steps: x"), "bad `steps`"),
        (
            good.replace("fingerprint: 00ff", "colour: blue"),
            "unknown header key",
        ),
    ];
    for (text, want) in cases {
        let e = err(&text).to_string();
        assert!(e.contains(want), "{want:?} not in {e:?}");
        assert!(e.contains("(hint: "), "no hint in {e:?}");
        assert!(!e.contains('\n'), "not one line: {e:?}");
    }
}

proptest! {
    /// Arbitrary text, or a valid trace with any one line damaged, never panics the parser.
    #[test]
    fn parser_never_panics(s in ".{0,400}", cut in 0usize..2000, junk in "[ -~\t]{0,40}") {
        let _ = Trace::parse(&s);
        let good = sample().to_text();
        let mut lines: Vec<String> = good.lines().map(String::from).collect();
        let i = cut % lines.len();
        lines[i] = junk;
        let _ = Trace::parse(&lines.join("\n"));
    }
}
