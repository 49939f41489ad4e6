//! Helpers shared by the CLI test suites (tests/cli.rs, tests/cli_hardening.rs): running the
//! kmodel binary, scratch directories, committed traces, and the one-line error check.
#![allow(dead_code)] // each suite uses its own subset

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (the kmodel crate's manifest directory).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The kmodel binary with `args`, run from the root, stdin closed, without the test-only
/// fault-injection variables of the environment.
pub fn kmodel_cmd<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kmodel"));
    c.args(args).current_dir(root()).stdin(Stdio::null());
    c.env_remove("KMODEL_TEST_FAIL_SAVE")
        .env_remove("KMODEL_TEST_LOOM_BIN");
    c
}

/// Run kmodel with `args` and wait for it.
pub fn kmodel<S: AsRef<OsStr>>(args: &[S]) -> Output {
    kmodel_cmd(args).output().expect("run kmodel")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh, empty scratch directory `name` of this test suite.
pub fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(env!("CARGO_CRATE_NAME"))
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The first committed trace (by name) under counterexamples/`model` whose file name and
/// text satisfy `pick`.
pub fn committed_trace_where(model: &str, pick: impl Fn(&str, &str) -> bool) -> PathBuf {
    let dir = root().join("counterexamples").join(model);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            pick(&name, &std::fs::read_to_string(p).unwrap())
        })
        .unwrap_or_else(|| panic!("no committed {model} trace as the test wants"))
}

/// Exit 2 and exactly one line on stderr: `error: … (hint: …)`, no panic.
pub fn assert_one_line_error(out: &Output, what: &str) {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: exit code; stderr: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{what}: one line, got {err:?}");
    assert!(
        err.starts_with("error: ") && err.contains("(hint: ") && err.ends_with(")\n"),
        "{what}: {err:?}"
    );
    assert!(!err.contains("panicked"), "{what}: {err:?}");
}
