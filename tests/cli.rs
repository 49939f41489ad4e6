//! The CLI end to end: listing, checking with JSON output, and bad input (exit 2, one line,
//! never a panic).
#![cfg(not(loom))]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_one_line_error as assert_bad_input, kmodel, text, tmp};

/// A committed prepare_objects_unserialized trace (the scenario the assertions below
/// describe) that shuttle replays.
fn a_committed_trace() -> PathBuf {
    common::committed_trace_where("vm_bo_lifecycle", |name, text| {
        name.starts_with("prepare_objects_unserialized-") && text.contains("\nreplay: shuttle\n")
    })
}

#[test]
fn list_shows_every_scenario_with_its_expected_result_and_witnesses() {
    let out = kmodel(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    for sc in kmodel::registry::all() {
        let i = lines
            .iter()
            .position(|l| l.starts_with(&format!("{}  ", sc.id())))
            .unwrap_or_else(|| panic!("{} missing", sc.id()));
        assert!(lines[i].contains(&sc.expected.describe()), "{}", lines[i]);
        if !sc.witnesses.is_empty() {
            let next = lines.get(i + 1).copied().unwrap_or_default();
            let names: Vec<&str> = sc.witnesses.iter().map(|w| w.name).collect();
            assert_eq!(
                next.trim_start(),
                format!("witnesses: {}", names.join(", ")),
                "{}",
                sc.id()
            );
        }
    }
}

#[test]
fn check_json_judges_and_saves_where_told() {
    let out_dir = tmp("check");
    let out = kmodel(&[
        "check",
        "vm_bo_lifecycle",
        // PCT finds every vm_bo race within 500 runs; shuttle's random scheduler needs more
        // for the narrow ones (deferred_put_races_cleanup_broken has 100 000 of its own).
        "--explorer=pct",
        "--iterations=500",
        "--json",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = v.as_array().unwrap();
    assert_eq!(
        rows.len(),
        kmodel::registry::select(Some("vm_bo_lifecycle"))
            .unwrap()
            .len()
    );
    for r in rows {
        for k in [
            "model",
            "scenario",
            "explorer",
            "expected",
            "verdict",
            "executions",
            "seconds",
            "trace",
        ] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
        assert_eq!(r["as_expected"], true, "{r}");
        if r["expected"] != "unreachable" {
            let path = r["trace"].as_str().expect("a saved trace");
            assert!(path.starts_with(out_dir.to_str().unwrap()), "{path}");
        }
    }
}

#[test]
fn unknown_names_are_usage_errors() {
    assert_bad_input(&kmodel(&["check", "no_such_model"]), "unknown model");
    assert_bad_input(
        &kmodel(&["check", "vm_bo_lifecycle/no_such"]),
        "unknown scenario",
    );
    assert_bad_input(&kmodel(&["check", "--explorer", "tla"]), "unknown explorer");
    assert_bad_input(
        &kmodel(&["check", "litmus/no_such_*"]),
        "no scenario matches",
    );
    assert_eq!(kmodel(&["frobnicate"]).status.code(), Some(2));
}

/// Several selections, and `*` patterns, in one `check`: each scenario once, in order.
#[test]
fn check_takes_several_selections_and_patterns() {
    let sels = [
        "litmus/SB+*",
        "litmus/MP+poonceonces",
        "litmus/SB+poonceonces",
    ];
    let out = kmodel(
        &[
            &["check", "--explorer", "dpor", "--json", "--no-save"][..],
            &sels[..],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut names: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scenario"].as_str().unwrap().to_string())
        .collect();
    let expected = kmodel::registry::select_all(&sels.map(String::from)).unwrap();
    assert!(expected.len() >= 3, "{} scenarios", expected.len());
    assert!(names
        .iter()
        .all(|n| n.starts_with("SB+") || n == "MP+poonceonces"));
    assert!(names.contains(&"MP+poonceonces".to_string()));
    assert_eq!(names.len(), expected.len(), "each scenario once");
    names.dedup();
    assert_eq!(names.len(), expected.len());
}

#[test]
fn bad_trace_files_are_refused_in_one_line() {
    let dir = tmp("bad");
    let good = std::fs::read_to_string(a_committed_trace()).unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        (
            "foreign",
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
                .unwrap(),
        ),
        ("truncated", good[..good.len() / 2].to_string()),
        (
            "future",
            good.replacen("kmodel-trace 1", "kmodel-trace 2", 1),
        ),
        (
            "unknown-scenario",
            good.replace("scenario: prepare_objects", "scenario: gone"),
        ),
        (
            "corrupt-step",
            good.replacen("\tmain\t0\t", "\tmain\tx\t", 1),
        ),
    ];
    for (name, body) in cases {
        let p = dir.join(format!("{name}.trace"));
        std::fs::write(&p, body).unwrap();
        assert_bad_input(&kmodel(&["replay", p.to_str().unwrap()]), name);
    }
    std::fs::write(dir.join("binary.trace"), [0xff, 0xfe, 0, 1]).unwrap();
    assert_bad_input(
        &kmodel(&["replay", dir.join("binary.trace").to_str().unwrap()]),
        "binary",
    );
    assert_bad_input(
        &kmodel(&["replay", dir.join("missing.trace").to_str().unwrap()]),
        "missing",
    );
}

#[test]
fn replay_prints_cpu_columns_and_reproduces() {
    let t = a_committed_trace();
    let out = kmodel(&["replay", t.to_str().unwrap()]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{s}{}", text(&out.stderr));
    assert!(
        s.contains("CPU0 (exec)") && s.contains("CPU2 (unmap)"),
        "{s}"
    );
    assert!(
        s.lines()
            .last()
            .unwrap()
            .starts_with("reproduced: LIST_HEAD_UAF"),
        "{s}"
    );
}
