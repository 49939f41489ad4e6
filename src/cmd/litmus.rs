//! `kmodel litmus`: export a weak-memory counterexample as a litmus test for the Linux-kernel
//! memory model and, when herd7 is available, judge it.

use std::path::PathBuf;
use std::process::Command;

use checker::trace::litmus::{export, export_with, Deps, Litmus, LkmmVerdict};
use checker::trace::Trace;

use kmodel::UsageError;

/// Export a counterexample (a `replay: loom` trace) as a herd7 litmus test and judge it by
/// the LKMM. Exit 0: judged or exported. Exit 2: bad input.
#[derive(clap::Args)]
pub struct Args {
    /// The trace file (counterexamples/<model>/<scenario>-<hash>.trace).
    pub file: PathBuf,
    /// Write the litmus test to this file instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print only the LKMM status line.
    #[arg(long)]
    pub quiet: bool,
    /// How to write an access through a loaded pointer in the printed test: `addr` (an
    /// address dependency, exact), `acquire` (the pointer load made smp_load_acquire(),
    /// stronger) or `plain` (no ordering, weaker). The judgement is the same for all three.
    #[arg(long, default_value = "addr", value_parser = ["addr", "acquire", "plain"])]
    pub deps: String,
}

/// What the LKMM says of a counterexample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LkmmStatus {
    /// herd7's verdict and, when it came from a bracketing test, which (`Deps`).
    Judged(LkmmVerdict, Option<String>),
    /// herd7 or the LKMM files are missing, or the export failed: why, with a hint.
    NotJudged(String),
}

impl LkmmStatus {
    /// `allowed`, `forbidden (C11 only)`, `not judged (…)`.
    pub fn as_str(&self) -> String {
        match self {
            LkmmStatus::Judged(v, None) => v.as_str().to_string(),
            LkmmStatus::Judged(v, Some(how)) => format!("{} ({how})", v.as_str()),
            LkmmStatus::NotJudged(why) => format!("not judged ({why})"),
        }
    }
}

/// `KMODEL_HERD7`, else target/herd7/bin/herd7, else `herd7` on PATH.
pub fn herd7() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KMODEL_HERD7") {
        return Some(PathBuf::from(p));
    }
    let built = PathBuf::from("target/herd7/bin/herd7");
    if built.is_file() {
        return Some(built);
    }
    let ok = Command::new("herd7")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("herd7"))
}

/// `KMODEL_LKMM_DIR` (a kernel tree's tools/memory-model), else target/lkmm's.
pub fn lkmm_dir() -> Option<PathBuf> {
    let d = std::env::var_os("KMODEL_LKMM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/lkmm/tools/memory-model"));
    d.join("linux-kernel.cat").is_file().then_some(d)
}

/// Whether herd7 and the LKMM files are both there.
// The loom build saves nothing, so it never judges (`kmodel check` does it in the parent).
#[cfg_attr(loom, allow(dead_code))]
pub fn available() -> bool {
    herd7().is_some() && lkmm_dir().is_some()
}

/// Run herd7 with the LKMM on a litmus test's text.
pub fn run_herd7(name: &str, text: &str) -> LkmmStatus {
    let Some(herd) = herd7() else {
        return LkmmStatus::NotJudged(
            "herd7 not found; hint: set KMODEL_HERD7 or build it into target/herd7 (see .ci/run)"
                .into(),
        );
    };
    let Some(dir) = lkmm_dir() else {
        return LkmmStatus::NotJudged(
            "LKMM files not found; hint: `bash vendor/lkmm/fetch.sh` or set KMODEL_LKMM_DIR".into(),
        );
    };
    let cfg = std::fs::read_to_string(dir.join("linux-kernel.cfg")).unwrap_or_default();
    if cfg.lines().any(|l| l.trim() == "variant lkmmv2") {
        return LkmmStatus::NotJudged(
            "an lkmmv2 LKMM (Linux >= 6.15); hint: use vendor/lkmm/fetch.sh's Linux 6.12 files"
                .into(),
        );
    }
    let scratch = std::env::temp_dir().join(format!("kmodel-litmus-{}", std::process::id()));
    if std::fs::create_dir_all(&scratch).is_err() {
        return LkmmStatus::NotJudged(
            "cannot create a scratch directory; hint: check TMPDIR".into(),
        );
    }
    let file = scratch.join(format!("{name}.litmus"));
    let herd = std::fs::canonicalize(&herd).unwrap_or(herd);
    let res = std::fs::write(&file, text)
        .map_err(|e| e.to_string())
        .and_then(|_| {
            let mut child = Command::new(&herd)
                .current_dir(&dir)
                .args(["-conf", "linux-kernel.cfg"])
                // Sound for an `exists` test and much faster: herd7 skips the model check of a
                // candidate whose final state fails the condition (herd/mem.ml
                // `worth_going`) and stops at the first consistent one that satisfies it
                // (herd/top_herd.ml `stop_now`). A `Never` still covers every candidate.
                // Its Observation keyword is `Always` for a witness found (counts are not
                // complete). Checked: all 47 tests of the calibration give the same verdict
                // with and without it (docs/lkmm-findings.md).
                .args(["-speedcheck", "fast"])
                .arg(&file)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| e.to_string())?;
            // herd7's search grows exponentially with the test: give up after
            // HERD7_SECONDS of herd7's CPU time (where /proc tells it; on a loaded machine
            // wall time is several times that: iter_get_fences_list_replaced_recycled takes
            // ~5 s of CPU and 19 s of wall time at load 10 on 2 cores), or ten times that of
            // wall time.
            let start = std::time::Instant::now();
            let limit = herd7_seconds();
            loop {
                let wall = start.elapsed().as_secs_f64();
                let spent = cpu_seconds(child.id()).unwrap_or(wall);
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if spent >= limit as f64 || wall >= 10.0 * limit as f64 => {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(format!(
                            "timeout after {limit} s of CPU time ({wall:.0} s wall)"
                        ));
                    }
                    Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
                    Err(e) => return Err(e.to_string()),
                }
            }
            child.wait_with_output().map_err(|e| e.to_string())
        });
    let _ = std::fs::remove_dir_all(&scratch);
    match res {
        Err(e) => LkmmStatus::NotJudged(format!(
            "herd7 did not finish: {e}; hint: raise KMODEL_HERD7_SECONDS or check KMODEL_HERD7"
        )),
        Ok(o) => {
            let out = String::from_utf8_lossy(&o.stdout);
            match LkmmVerdict::from_herd7(&out) {
                Some(v) => LkmmStatus::Judged(v, None),
                None => {
                    let err = String::from_utf8_lossy(&o.stderr);
                    let first = err.lines().chain(out.lines()).next().unwrap_or("no output");
                    LkmmStatus::NotJudged(format!(
                        "herd7 gave no verdict: {first}; hint: run `kmodel litmus --out F.litmus` and herd7 on F.litmus"
                    ))
                }
            }
        }
    }
}

/// A process's CPU time (user + system) from /proc/PID/stat, in seconds; `None` where there
/// is no /proc.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the whole line (utime, stime) are 12 and 13 after the name.
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux architecture the kernel exports to user space.
    Some(ticks / 100.0)
}

/// How much CPU time herd7 may spend on one test: `KMODEL_HERD7_SECONDS`, default 20.
fn herd7_seconds() -> u64 {
    std::env::var("KMODEL_HERD7_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// Up to this many accesses through a loaded pointer, herd7 judges the exact test (each
/// multiplies its search: 1 takes 0.1 s, 5 took over 2 minutes on the dma_fence traces).
const EXACT_DEPS: usize = 2;

/// Export and judge a trace.
#[cfg_attr(loom, allow(dead_code))]
pub fn judge(trace: &Trace) -> LkmmStatus {
    let inv = trace.violation.invariant.as_str();
    if inv == checker::invariant::LIVELOCK.name || inv == checker::invariant::DEADLOCK.name {
        // herd7 judges the final state of a finite execution; a hang has none.
        return LkmmStatus::NotJudged(format!(
            "a {inv} is an execution that never ends; herd7 judges the final states of executions that do"
        ));
    }
    match export(trace) {
        Ok(l) => judge_exported(trace, &l),
        Err(e) => LkmmStatus::NotJudged(format!("cannot export: {e}")),
    }
}

/// Judge an exported trace. With more than `EXACT_DEPS` accesses through a loaded pointer,
/// first the two tests that bracket the exact one: allowed with every dependency made an
/// acquire means allowed; forbidden without the dependencies means forbidden. Only when they
/// disagree does herd7 run the exact test (within `KMODEL_HERD7_SECONDS`).
///
/// An access of another field of an object the CPU holds a pointer to is written by name (a
/// litmus object has one address), so the "exact" test lacks that dependency: then only the
/// brackets (which account for it) can say allowed.
pub fn judge_exported(trace: &Trace, exact: &Litmus) -> LkmmStatus {
    if exact.deps > EXACT_DEPS || exact.inexact > 0 {
        let n = exact.deps + exact.inexact;
        for (deps, want, how) in [
            (
                Deps::Acquire,
                LkmmVerdict::Allowed,
                format!("even with its {n} address dependencies made acquires"),
            ),
            (
                Deps::Plain,
                LkmmVerdict::Forbidden,
                format!("even without its {n} address dependencies"),
            ),
        ] {
            match export_with(trace, deps) {
                Ok(l) => match run_herd7(&l.name, &l.text) {
                    LkmmStatus::Judged(v, _)
                        if v == want && !(v == LkmmVerdict::Forbidden && exact.stronger > 0) =>
                    {
                        return LkmmStatus::Judged(v, Some(how));
                    }
                    LkmmStatus::Judged(..) => {}
                    not => return not,
                },
                Err(e) => return LkmmStatus::NotJudged(format!("cannot export: {e}")),
            }
        }
    }
    match run_herd7(&exact.name, &exact.text) {
        LkmmStatus::Judged(LkmmVerdict::Allowed, _) if exact.inexact > 0 => LkmmStatus::NotJudged(format!(
            "allowed without the dependencies of {} access(es) of other fields of a loaded pointer's object, forbidden with them as acquires; hint: read `kmodel litmus --deps acquire` and `--deps plain`",
            exact.inexact
        )),
        LkmmStatus::Judged(LkmmVerdict::Forbidden, _) if exact.stronger > 0 => {
            LkmmStatus::NotJudged(format!(
                "forbidden with {} down_read() made exclusive (stronger than the kernel): not conclusive",
                exact.stronger
            ))
        }
        status => status,
    }
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let trace = Trace::read(&args.file).map_err(|e| UsageError(e.to_string()))?;
    let lit = export(&trace).map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
    let shown = match args.deps.as_str() {
        "acquire" => export_with(&trace, Deps::Acquire),
        "plain" => export_with(&trace, Deps::Plain),
        _ => Ok(lit.clone()),
    }
    .map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
    if let Some(out) = &args.out {
        std::fs::write(out, &shown.text).map_err(|e| {
            UsageError(format!(
                "cannot write {}: {e} (hint: check the directory exists)",
                out.display()
            ))
        })?;
    } else if !args.quiet {
        print!("{}", shown.text);
        println!();
    }
    println!("LKMM: {}", judge_exported(&trace, &lit).as_str());
    Ok(0)
}
