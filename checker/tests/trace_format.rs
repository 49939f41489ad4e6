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
        lkmm: None,
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

/// A dpor (or shuttle) trace and a loom trace of the same counterexample share a content
/// name: one file, the loom one, whichever is saved first.
#[test]
fn the_same_counterexample_from_two_explorers_keeps_the_loom_trace() {
    let loom = sample();
    let mut dpor = sample();
    dpor.explorer = "dpor".into();
    dpor.replay = ReplayMode::Shuttle;
    dpor.loom_checkpoint = None;
    assert_eq!(loom.content_name(), dpor.content_name());
    for order in [[&dpor, &loom], [&loom, &dpor]] {
        let dir = std::env::temp_dir().join(format!("kmodel-same-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p1 = order[0].save_in(&dir).unwrap();
        let p2 = order[1].save_in(&dir).unwrap();
        assert_eq!(p1, p2);
        let kept = Trace::read(&p1).unwrap();
        let files = std::fs::read_dir(&dir).unwrap().count();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            kept, loom,
            "saved {} then {}",
            order[0].explorer, order[1].explorer
        );
        assert_eq!(files, 1, "one file, no temporary left behind");
    }
}

/// The same steps found again on a changed model (another fingerprint) replace the old file:
/// the path `check` prints is the trace it just found, which replays on the current model.
/// Before, the stale file was kept and its replay departed from the model.
#[test]
fn a_trace_of_another_model_version_is_replaced() {
    let old = sample();
    let mut new = sample();
    new.fingerprint = format!("{}0", old.fingerprint);
    new.explorer = "random iterations=1 seed=1".into();
    new.loom_checkpoint = None;
    assert_eq!(old.content_name(), new.content_name());
    let dir = std::env::temp_dir().join(format!("kmodel-refp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let p1 = old.save_in(&dir).unwrap();
    let p2 = new.save_in(&dir).unwrap();
    assert_eq!(p1, p2);
    let kept = Trace::read(&p2).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(kept, new, "the trace of the current model version is kept");
}

/// A stale `.NAME.trace.PID.tmp` of a process that is gone (kill -9 during a save) is
/// removed by the next save in its directory; a live process's is left alone.
#[test]
fn save_removes_stale_temporaries_of_dead_processes() {
    let dir = std::env::temp_dir().join(format!("kmodel-stale-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut dead = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let stale = dir.join(format!(".s-000000000000.trace.{dead_pid}.tmp"));
    let live = dir.join(format!(".s-000000000000.trace.{}.tmp", std::process::id()));
    std::fs::write(&stale, "kmodel-trace 1\nmodel: half").unwrap();
    std::fs::write(&live, "being written").unwrap();
    let p = sample().save_in(&dir).unwrap();
    assert!(!stale.exists(), "stale temporary kept");
    assert!(live.exists(), "a live process's temporary removed");
    assert_eq!(Trace::read(&p).unwrap(), sample());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A failed save names the path and says what to do.
#[test]
fn save_errors_name_the_path_with_a_hint() {
    let dir = std::env::temp_dir().join(format!("kmodel-notdir-{}", std::process::id()));
    std::fs::write(&dir, "a file where the directory should be").unwrap();
    let e = sample()
        .save_in(&dir.join("model"))
        .unwrap_err()
        .to_string();
    std::fs::remove_file(&dir).unwrap();
    assert!(
        e.starts_with("cannot save ") && e.contains(&*dir.to_string_lossy()),
        "{e}"
    );
    assert!(e.contains("(hint: ") && !e.contains('\n'), "{e}");
}

/// Special files are refused before they are read: a FIFO with no writer (which would block
/// the open), a device that never ends, a directory.
#[cfg(unix)]
#[test]
fn special_files_are_refused_without_reading() {
    let dir = std::env::temp_dir().join(format!("kmodel-special-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo.trace");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (path, want) in [
        (fifo.as_path(), "FIFO"),
        (std::path::Path::new("/dev/zero"), "device"),
        (dir.as_path(), "directory"),
    ] {
        let e = Trace::read(path).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("(hint: "), "{e}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The fingerprint hashes a model's code, not its comments or layout.
#[test]
fn fingerprint_code_ignores_comments_and_layout() {
    use checker::trace::code_of;
    let a = "/// Doc.\nfn f(x: &'a str) -> char {\n    // a comment\n    let c = '/'; /* block /* nested */ */\n    g(\"// not a comment\", r#\"/* raw */\"#, c)\n}\n";
    let b = "fn f(x: &'a str) -> char { let c = '/';\n g(\"// not a comment\", r#\"/* raw */\"#, c) } // edited comment\n";
    assert_eq!(code_of(a), code_of(b));
    assert_eq!(
        code_of(a),
        "fn f(x:&'a str)->char{let c='/';g(\"// not a comment\",r#\"/* raw */\"#,c)}"
    );
    // Code changes, including inside strings, change it.
    assert_ne!(code_of(a), code_of(&a.replace("let c", "let d")));
    assert_ne!(
        code_of(a),
        code_of(&a.replace("not a comment", "not a  comment"))
    );
    // The scenario fingerprint is built from it: the real sources' code is non-trivial.
    let (code, all): (usize, usize) = checker::CHECKER_SOURCES
        .iter()
        .map(|s| (code_of(s).len(), s.len()))
        .fold((0, 0), |(c, a), (x, y)| (c + x, a + y));
    assert!(code > all / 3, "{code} of {all} bytes are code");
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
        // issue 14: a step count that used to reserve memory before reading a step.
        (
            good.replace("steps: 3", "steps: 18446744073709551615"),
            "truncated",
        ),
        (good.replace("steps: 3", "steps: 2147483648"), "truncated"),
        // The violation is the trace's last step, by the thread the header names.
        (
            good.replace("violation-step: 3", "violation-step: 2"),
            "does not match its last step",
        ),
        (
            good.replace("violation-tid: 2", "violation-tid: 1"),
            "does not match its last step",
        ),
        (
            good.replace("message: WARN_ON(x)", "message: WARN_ON(y)"),
            "does not match its last step",
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

/// The optional `lkmm:` header key: written when set, read back, and absent from older traces.
#[test]
fn lkmm_status_is_optional_and_round_trips() {
    let mut t = sample();
    assert!(!t.to_text().contains("\nlkmm:"));
    assert_eq!(Trace::parse(&t.to_text()).unwrap().lkmm, None);
    t.lkmm = Some("forbidden (C11 only)".into());
    let text = t.to_text();
    assert!(text.contains("\nlkmm: forbidden (C11 only)\n"));
    assert_eq!(Trace::parse(&text).unwrap(), t);
}
