//! The CLI under misuse and faults (issue 14): every misuse is exit 2 with one line
//! `error: … (hint: …)`; special files are refused without hanging or reading forever; saves
//! leave no temporary file behind, even when they fail, and a failed save still prints the
//! verdicts and the paths saved; the loom child dies with its parent; the loom delegation
//! passes a trace's path exactly; a closed stdout ends `replay` quietly.
#![cfg(all(not(loom), unix))]

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_one_line_error, committed_trace_where, kmodel, kmodel_cmd, root, text, tmp};

/// A committed litmus trace whose header says `replay: MODE`.
fn committed_trace(mode: &str) -> PathBuf {
    committed_trace_where("litmus", |_, text| {
        text.contains(&format!("\nreplay: {mode}\n"))
    })
}

/// Every temporary file under `dir`.
fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(temporaries(&p));
        } else if p.to_string_lossy().ends_with(".tmp") {
            out.push(p);
        }
    }
    out
}

/// Special inputs, made once: a FIFO with no writer, a directory, a regular file for `--out`,
/// READMEs with broken table markers, damaged traces.
struct Fixtures {
    dir: PathBuf,
}

impl Fixtures {
    fn new() -> Fixtures {
        let dir = tmp("fixtures");
        let good = std::fs::read_to_string(committed_trace("shuttle")).unwrap();
        let st = Command::new("mkfifo")
            .arg(dir.join("fifo.trace"))
            .status()
            .unwrap();
        assert!(st.success(), "mkfifo");
        std::fs::create_dir(dir.join("dir.trace")).unwrap();
        std::fs::write(dir.join("file"), "a regular file").unwrap();
        std::fs::write(dir.join("empty.trace"), "").unwrap();
        std::fs::write(dir.join("binary.trace"), [0xff, 0xfe, 0, 1]).unwrap();
        std::fs::write(dir.join("no-markers.md"), "# README\n").unwrap();
        std::fs::write(
            dir.join("reversed.md"),
            "a\n<!-- kmodel-table:end -->\nb\n<!-- kmodel-table:begin -->\nc\n",
        )
        .unwrap();
        let steps = good
            .lines()
            .find(|l| l.starts_with("steps: "))
            .unwrap()
            .to_string();
        let cases = [
            (
                "huge-steps",
                good.replacen(&steps, "steps: 18446744073709551615", 1),
            ),
            ("steps-2-31", good.replacen(&steps, "steps: 2147483648", 1)),
            ("truncated", good[..good.len() / 2].to_string()),
            (
                "future",
                good.replacen("kmodel-trace 1", "kmodel-trace 2", 1),
            ),
            (
                "unknown-scenario",
                good.replacen("\nscenario: ", "\nscenario: gone_", 1),
            ),
            (
                "corrupt-step",
                good.replacen("\tmain\t0\t", "\tmain\tx\t", 1),
            ),
            (
                "violation-elsewhere",
                good.lines()
                    .map(|l| {
                        if l.starts_with("violation-step: ") {
                            "violation-step: 1".to_string()
                        } else {
                            l.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
                    + "\n",
            ),
        ];
        for (name, body) in cases {
            std::fs::write(dir.join(format!("{name}.trace")), body).unwrap();
        }
        Fixtures { dir }
    }

    fn p(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

/// The misuse table: each row is one misuse; each must exit 2 with exactly one line that
/// starts with `error:` and carries a hint, and none may explore anything first.
#[test]
fn misuse_table_every_row_exit_2_one_line_with_a_hint() {
    let f = Fixtures::new();
    let trace = committed_trace("shuttle").to_string_lossy().into_owned();
    let fifo = f.p("fifo.trace");
    let rows: Vec<(&str, Vec<String>)> = vec![
        ("no command", vec![]),
        ("unknown command", vec!["frobnicate".into()]),
        ("unknown global flag", vec!["--frobnicate".into()]),
        (
            "help for an unknown command",
            vec!["help".into(), "frobnicate".into()],
        ),
        ("list: extra argument", vec!["list".into(), "extra".into()]),
        ("list: unknown flag", vec!["list".into(), "--all".into()]),
        (
            "check: unknown flag",
            vec!["check".into(), "--frobnicate".into()],
        ),
        (
            "check: unknown flag with value",
            vec!["check".into(), "--no-such=1".into()],
        ),
        (
            "check: --iterations -1",
            vec!["check".into(), "--iterations".into(), "-1".into()],
        ),
        (
            "check: --iterations abc",
            vec!["check".into(), "--iterations".into(), "abc".into()],
        ),
        (
            "check: --iterations 0",
            vec!["check".into(), "--iterations".into(), "0".into()],
        ),
        (
            "check: --iterations without value",
            vec!["check".into(), "--iterations".into()],
        ),
        (
            "check: --iterations too large",
            vec![
                "check".into(),
                "--iterations=99999999999999999999999".into(),
            ],
        ),
        (
            "check: --seed abc",
            vec!["check".into(), "--seed".into(), "abc".into()],
        ),
        ("check: --seed -5", vec!["check".into(), "--seed=-5".into()]),
        (
            "check: --jobs 0",
            vec!["check".into(), "--jobs".into(), "0".into()],
        ),
        ("check: --jobs x", vec!["check".into(), "--jobs=x".into()]),
        (
            "check: unknown explorer",
            vec!["check".into(), "--explorer".into(), "tla".into()],
        ),
        (
            "check: empty explorer",
            vec!["check".into(), "--explorer=".into()],
        ),
        (
            "check: unknown model",
            vec!["check".into(), "no_such_model".into()],
        ),
        (
            "check: unknown scenario",
            vec!["check".into(), "vm_bo_lifecycle/no_such".into()],
        ),
        (
            "check: a pattern no scenario matches",
            vec![
                "check".into(),
                "litmus".into(),
                "vm_bo_lifecycle/no_such_*".into(),
            ],
        ),
        (
            "check: --json twice",
            vec!["check".into(), "--json".into(), "--json".into()],
        ),
        (
            "check: --out is a regular file",
            vec!["check".into(), "litmus".into(), "--out".into(), f.p("file")],
        ),
        (
            "check: --write-table missing file",
            vec![
                "check".into(),
                "litmus".into(),
                "--write-table".into(),
                f.p("missing.md"),
            ],
        ),
        (
            "check: --write-table without markers",
            vec![
                "check".into(),
                "litmus".into(),
                "--write-table".into(),
                f.p("no-markers.md"),
            ],
        ),
        (
            "check: --write-table with reversed markers",
            vec![
                "check".into(),
                "litmus".into(),
                "--write-table".into(),
                f.p("reversed.md"),
            ],
        ),
        ("replay: no FILE", vec!["replay".into()]),
        (
            "replay: two FILEs",
            vec!["replay".into(), trace.clone(), trace.clone()],
        ),
        (
            "replay: --times 0",
            vec!["replay".into(), "--times".into(), "0".into(), trace.clone()],
        ),
        (
            "replay: --times -1",
            vec!["replay".into(), "--times=-1".into(), trace.clone()],
        ),
        (
            "replay: --times abc",
            vec!["replay".into(), "--times=abc".into(), trace.clone()],
        ),
        (
            "replay: --quiet=yes",
            vec!["replay".into(), "--quiet=yes".into(), trace.clone()],
        ),
        (
            "replay: missing file",
            vec!["replay".into(), f.p("missing.trace")],
        ),
        (
            "replay: a directory",
            vec!["replay".into(), f.p("dir.trace")],
        ),
        (
            "replay: /dev/zero",
            vec!["replay".into(), "/dev/zero".into()],
        ),
        (
            "replay: a FIFO with no writer",
            vec!["replay".into(), fifo.clone()],
        ),
        (
            "replay: empty file",
            vec!["replay".into(), f.p("empty.trace")],
        ),
        (
            "replay: binary file",
            vec!["replay".into(), f.p("binary.trace")],
        ),
        (
            "replay: not a trace",
            vec!["replay".into(), "Cargo.toml".into()],
        ),
        (
            "replay: steps: 2^64-1",
            vec!["replay".into(), f.p("huge-steps.trace")],
        ),
        (
            "replay: steps: 2^31",
            vec!["replay".into(), f.p("steps-2-31.trace")],
        ),
        (
            "replay: truncated",
            vec!["replay".into(), f.p("truncated.trace")],
        ),
        (
            "replay: future format",
            vec!["replay".into(), f.p("future.trace")],
        ),
        (
            "replay: unknown scenario",
            vec!["replay".into(), f.p("unknown-scenario.trace")],
        ),
        (
            "replay: corrupt step",
            vec!["replay".into(), f.p("corrupt-step.trace")],
        ),
        (
            "replay: violation not on its last step",
            vec!["replay".into(), f.p("violation-elsewhere.trace")],
        ),
    ];
    assert!(rows.len() >= 42, "{} rows", rows.len());
    for (what, args) in &rows {
        let start = Instant::now();
        let out = kmodel(args);
        assert_one_line_error(&out, what);
        assert!(
            out.stdout.is_empty(),
            "{what}: stdout {:?}",
            text(&out.stdout)
        );
        // Refused up front: none of them explores or waits (a FIFO would hang the reader).
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what}: took {:?}",
            start.elapsed()
        );
    }
    // The refused --write-table files are untouched.
    assert_eq!(
        std::fs::read_to_string(f.dir.join("reversed.md")).unwrap(),
        "a\n<!-- kmodel-table:end -->\nb\n<!-- kmodel-table:begin -->\nc\n"
    );
    println!("{} misuse rows: exit 2, one line, a hint", rows.len());
}

#[test]
fn help_and_version_are_not_errors() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["check", "--help"],
        &["help"],
    ] {
        let out = kmodel(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

/// PCT finds every vm_bo race within 500 runs (see tests/cli.rs).
const PCT: [&str; 4] = [
    "check",
    "vm_bo_lifecycle",
    "--explorer=pct",
    "--iterations=500",
];

/// A save that fails half-way (an injected full disk on the 2nd save) leaves no temporary
/// file, and `check` still prints every verdict and the path it saved, then the error in
/// one line; a stale temporary of a killed kmodel is removed, a live process's kept.
#[test]
fn failed_save_prints_the_verdicts_and_leaves_no_temporary() {
    let out_dir = tmp("fault");
    let model_dir = out_dir.join("vm_bo_lifecycle");
    std::fs::create_dir_all(&model_dir).unwrap();
    // A kmodel killed during a save (kill -9) leaves `.NAME.trace.PID.tmp`.
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let stale = model_dir.join(format!(".x-0123456789ab.trace.{dead_pid}.tmp"));
    let live = model_dir.join(format!(".y-0123456789ab.trace.{}.tmp", std::process::id()));
    std::fs::write(&stale, "half a trace").unwrap();
    std::fs::write(&live, "being written").unwrap();

    let mut args: Vec<String> = PCT.iter().map(|s| s.to_string()).collect();
    args.extend(["--out".into(), out_dir.to_string_lossy().into_owned()]);
    let out = kmodel_cmd(&args)
        .env("KMODEL_TEST_FAIL_SAVE", "2")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_one_line_error(&out, "failed save");
    let err = text(&out.stderr);
    assert!(
        err.contains("No space left on device") && err.contains("vm_bo_lifecycle/"),
        "{err}"
    );
    assert!(err.contains("hint: the disk is full"), "{err}");
    // The verdict table and the one path saved before the failure.
    let n = kmodel::registry::select(Some("vm_bo_lifecycle"))
        .unwrap()
        .len();
    assert!(
        stdout.contains(&format!(" of {n} verdicts as expected")),
        "{stdout}"
    );
    let saved: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("counterexample written to"))
        .collect();
    assert_eq!(saved.len(), 1, "{stdout}");
    let path = saved[0].rsplit("written to ").next().unwrap();
    assert!(Path::new(path).is_file(), "{path}");
    // No temporary survives, except the live process's.
    assert_eq!(temporaries(&out_dir), vec![live.clone()]);
    assert!(!stale.exists());
}

#[test]
fn write_table_replaces_the_block_atomically() {
    let dir = tmp("table");
    let readme = dir.join("README.md");
    std::fs::write(
        &readme,
        "# t\n\n<!-- kmodel-table:begin -->\nold\n<!-- kmodel-table:end -->\n\nafter\n",
    )
    .unwrap();
    let out = kmodel(&[
        "check",
        "litmus/R+poonceonce-then-W",
        "--explorer=pct",
        "--iterations=50",
        "--out",
        &dir.join("traces").to_string_lossy(),
        "--write-table",
        &readme.to_string_lossy(),
    ]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        text(&out.stderr)
    );
    let t = std::fs::read_to_string(&readme).unwrap();
    assert!(
        t.starts_with("# t\n\n<!-- kmodel-table:begin -->\n_Generated by"),
        "{t}"
    );
    assert!(t.contains("| `R+poonceonce-then-W` |"), "{t}");
    assert!(t.ends_with("<!-- kmodel-table:end -->\n\nafter\n"), "{t}");
    assert!(!t.contains("old"), "{t}");
    assert!(temporaries(&dir).is_empty());
}

/// A fake loom build: records its arguments (NUL-separated) and its PID, then sleeps or
/// answers. `KMODEL_TEST_LOOM_BIN` makes kmodel run it instead of building loom.
fn fake_loom(dir: &Path, body: &str) -> PathBuf {
    let bin = dir.join("fake-loom.sh");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\necho $$ > '{d}/pid'\nprintf '%s\\0' \"$@\" > '{d}/args'\n{body}\n",
            d = dir.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// The path of a loom-replayed trace goes to the loom build byte for byte, after `--`:
/// a non-UTF-8 name that starts with `-`.
#[test]
fn loom_replay_passes_the_path_exactly() {
    let dir = tmp("delegate");
    let bin = fake_loom(&dir, "echo 'reproduced: fake'; exit 1");
    let name = OsStr::from_bytes(b"-weird\xff name.trace");
    std::fs::copy(committed_trace("loom"), dir.join(name)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kmodel"))
        .arg("replay")
        .arg("--")
        .arg(name)
        .current_dir(&dir)
        .env("KMODEL_TEST_LOOM_BIN", &bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "reproduced: fake\n");
    let args = std::fs::read(dir.join("args")).unwrap();
    let args: Vec<&[u8]> = args.split(|&b| b == 0).filter(|a| !a.is_empty()).collect();
    assert_eq!(
        args,
        vec![
            &b"replay"[..],
            b"--times=1",
            b"--",
            b"-weird\xff name.trace"
        ]
    );
}

/// A shuttle-replayed trace at such a path replays in this build.
#[test]
fn shuttle_replay_at_a_non_utf8_dash_path() {
    let dir = tmp("odd-path");
    let name = OsStr::from_bytes(b"-odd\xfe.trace");
    std::fs::copy(committed_trace("shuttle"), dir.join(name)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kmodel"))
        .args([
            OsStr::new("replay"),
            OsStr::new("--quiet"),
            OsStr::new("--"),
            name,
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("reproduced"),
        "{}",
        text(&out.stdout)
    );
}

fn alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped by its new parent) is dead.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(s) => {
            let state = s.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
    }
}

/// `kill -9` of `kmodel check` takes its loom child with it.
#[test]
fn killing_check_kills_its_loom_child() {
    let dir = tmp("kill");
    let bin = fake_loom(&dir, "exec sleep 120");
    let mut parent = kmodel_cmd(&["check", "litmus", "--explorer=loom"])
        .env("KMODEL_TEST_LOOM_BIN", &bin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = dir.join("pid");
    let start = Instant::now();
    let child: u32 = loop {
        if let Some(p) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            break p;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no loom child");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(alive(child));
    parent.kill().unwrap(); // SIGKILL: no handler runs
    parent.wait().unwrap();
    let start = Instant::now();
    while alive(child) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the loom child {child} outlived kmodel check"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `kmodel replay … | head -1`: the reader goes away, kmodel ends quietly.
#[test]
fn closed_stdout_ends_replay_quietly() {
    let trace = committed_trace("shuttle");
    let mut c = kmodel_cmd(&[OsStr::new("replay"), trace.as_os_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(c.stdout.take()); // before kmodel writes anything
    let out = c.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert_ne!(out.status.code(), Some(101), "{err}");
}

/// A successful check says nothing on stderr that scripts grep for.
#[test]
fn successful_check_prints_no_panic_line() {
    let dir = tmp("quiet");
    let mut args: Vec<String> = PCT.iter().map(|s| s.to_string()).collect();
    args.extend(["--out".into(), dir.to_string_lossy().into_owned()]);
    let out = kmodel(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("test panicked in task"), "{err}");
}

/// Piped (as here: stdout is not a terminal), `check` prints no progress: no "checking N
/// scenario(s)" line and no line per finished exploration, only the table and the saved
/// counterexamples, whose replay hint is the README's form (`./kmodel replay FILE`).
#[test]
fn piped_check_prints_no_progress_and_the_readme_hint() {
    let dir = tmp("piped");
    let mut args: Vec<String> = PCT.iter().map(|s| s.to_string()).collect();
    args.extend(["--out".into(), dir.to_string_lossy().into_owned()]);
    let out = kmodel(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.trim_start().starts_with("SCENARIO "), "{s}");
    assert!(!s.contains("checking "), "{s}");
    let progress = s
        .lines()
        .find(|l| l.contains(" [pct]: ") && l.contains(" executions, "));
    assert!(progress.is_none(), "a progress line: {progress:?}");
    let hints: Vec<&str> = s.lines().filter(|l| l.contains("replay with:")).collect();
    assert!(!hints.is_empty(), "{s}");
    for h in hints {
        assert!(
            h.trim_start().starts_with("replay with: ./kmodel replay "),
            "{h}"
        );
    }
    assert!(
        !text(&out.stderr).contains("building"),
        "{}",
        text(&out.stderr)
    );
}

/// The same when the check settles how a loom-found counterexample replays (a shuttle replay
/// of it, which panics inside shuttle when it reproduces): the loom build is faked, answering
/// with a committed loom-found trace that shuttle replays.
#[test]
fn settling_a_loom_trace_prints_no_panic_line() {
    let dir = tmp("settle");
    let path = std::fs::read_dir(root().join("counterexamples/vm_bo_lifecycle"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let t = std::fs::read_to_string(p).unwrap();
            t.contains("\nexplorer: loom") && t.contains("\nreplay: shuttle\n")
        })
        .min()
        .expect("a committed loom-found trace that shuttle replays");
    let t = checker::trace::Trace::read(&path).unwrap();
    let s = kmodel::registry::find(&t.model, &t.scenario).unwrap();
    let record = serde_json::json!([{
        "model": t.model, "scenario": t.scenario, "explorer": "loom",
        "settings": t.explorer, "expected": t.expected,
        "verdict": format!("counterexample: {}", t.violation.invariant),
        "as_expected": true, "executions": 1, "seconds": 0.0, "complete": false,
        "violation": t.violation.invariant, "message": t.violation.message,
        "also_reached": [], "trace": null, "replay": "shuttle",
        "trace_text": t.to_text(), "mismatch": null
    }]);
    std::fs::write(dir.join("answer.json"), record.to_string()).unwrap();
    let bin = fake_loom(
        &dir,
        &format!("cat '{}'", dir.join("answer.json").display()),
    );
    let out = kmodel_cmd(&[
        "check".to_string(),
        s.id(),
        "--explorer=loom".into(),
        "--out".into(),
        dir.join("out").to_string_lossy().into_owned(),
    ])
    .env("KMODEL_TEST_LOOM_BIN", &bin)
    .output()
    .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}{err}", text(&out.stdout));
    assert!(text(&out.stdout).contains("counterexample written to"));
    assert!(!err.contains("panicked"), "{err}");
}

/// A fingerprint mismatch is said first, in one line on stderr, in every mode: the replay
/// still runs and judges.
#[test]
fn fingerprint_mismatch_is_one_line_in_every_mode() {
    let dir = tmp("fingerprint");
    let t = checker::trace::Trace::read(&committed_trace("shuttle")).unwrap();
    let s = kmodel::registry::find(&t.model, &t.scenario).unwrap();
    let mut current = t.clone();
    current.fingerprint = s.fingerprint();
    let mut stale = t.clone();
    stale.fingerprint = "0123456789abcdef".into();
    let (cur, old) = (dir.join("current.trace"), dir.join("stale.trace"));
    std::fs::write(&cur, current.to_text()).unwrap();
    std::fs::write(&old, stale.to_text()).unwrap();
    for quiet in [false, true] {
        let run = |p: &Path| {
            let mut args = vec![OsStr::new("replay")];
            if quiet {
                args.push(OsStr::new("--quiet"));
            }
            args.push(p.as_os_str());
            kmodel(&args)
        };
        let out = run(&cur);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "quiet={quiet}");
        let out = run(&old);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "quiet={quiet}: {err}");
        assert!(
            err.starts_with("warning: the model changed") && err.contains("0123456789abcdef"),
            "{err}"
        );
    }
}
