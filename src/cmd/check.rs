//! `kmodel check`: explore, judge, save counterexamples.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use checker::explore::{Explorer, Outcome, EXPLORERS};
use checker::scenario::Scenario;
use checker::trace::Trace;
use serde::{Deserialize, Serialize};

use kmodel::{registry, UsageError};

/// Explore scenarios, judge each verdict against its expected result, save counterexamples.
#[derive(clap::Args)]
pub struct Args {
    /// MODEL, MODEL/SCENARIO or MODEL/PATTERN (`*` matches any run of characters, e.g.
    /// 'dma_fence_rcu/array_*'); several may be given (default: every scenario of every model).
    pub selection: Vec<String>,
    /// Explorers, comma-separated: loom, dpor, random, pct, dfs, or all (= loom,dpor,random,pct).
    #[arg(long, default_value = "all", value_delimiter = ',')]
    pub explorer: Vec<String>,
    /// Executions of the shuttle explorers (random, pct; dfs stops there). Default: each
    /// scenario's own bound.
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Seed of shuttle's random and PCT schedulers.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON array (an object per scenario and explorer) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Directory for counterexamples (saved under DIR/<model>/).
    #[arg(long, default_value = "counterexamples")]
    pub out: PathBuf,
    /// Explorations run at once (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Also write the verdict table, in Markdown, into FILE between the lines
    /// `<!-- kmodel-table:begin -->` and `<!-- kmodel-table:end -->` (a model's README).
    #[arg(long, value_name = "FILE")]
    pub write_table: Option<PathBuf>,
    /// Do not save counterexamples; put their text in the JSON (used by the loom delegation).
    #[arg(long, hide = true)]
    pub no_save: bool,
}

/// One scenario explored by one explorer, as `--json` prints it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Record {
    pub model: String,
    pub scenario: String,
    pub explorer: String,
    /// The explorer with its settings and bounds.
    pub settings: String,
    pub expected: String,
    pub verdict: String,
    pub as_expected: bool,
    pub executions: u64,
    /// Distinct Mazurkiewicz traces among the executions that ran to their end.
    #[serde(default)]
    pub distinct_traces: u64,
    pub seconds: f64,
    /// The exploration covered its whole space.
    pub complete: bool,
    pub violation: Option<String>,
    pub message: Option<String>,
    /// Non-fatal violations of other invariants seen on the way: (invariant, executions).
    pub also_reached: Vec<(String, u64)>,
    /// Where the counterexample was saved.
    pub trace: Option<String>,
    /// How the counterexample replays (shuttle, or loom when it needs weak memory).
    pub replay: Option<String>,
    /// The LKMM's judgement (herd7) of a weak-memory-only counterexample: `allowed`,
    /// `forbidden (C11 only)` or `not judged (…)`; absent without herd7 or for a shuttle trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lkmm: Option<String>,
    /// What the shrinker did to the counterexample before it was saved (context switches and
    /// steps before and after, replays and seconds spent); absent for a `replay: loom` trace,
    /// which is saved as loom found it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimized: Option<String>,
    /// The counterexample's text (only with --no-save).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_text: Option<String>,
    /// Why the verdict is not the expected one.
    pub mismatch: Option<String>,
    /// The scenario's witnesses that some execution reached, by name.
    #[serde(default)]
    pub witnesses_reached: Vec<String>,
    /// The scenario's witnesses that no execution reached, by name.
    #[serde(default)]
    pub witnesses_missed: Vec<String>,
}

impl Record {
    /// `reached/declared`, or `-` for a scenario without witnesses.
    /// The distinct traces column: those of the executions that ran to their end, so `-`
    /// when the first execution already broke the invariant (none did), not 0.
    fn distinct_shown(&self) -> String {
        if self.distinct_traces == 0 && self.verdict.starts_with("counterexample") {
            "-".into()
        } else {
            self.distinct_traces.to_string()
        }
    }

    fn witnesses(&self) -> String {
        let n = self.witnesses_reached.len() + self.witnesses_missed.len();
        if n == 0 {
            "-".into()
        } else {
            format!("{}/{n}", self.witnesses_reached.len())
        }
    }
}

impl Record {
    fn from_outcome(o: &Outcome) -> Record {
        let s = o.scenario;
        Record {
            model: s.model.into(),
            scenario: s.name.into(),
            explorer: o.explorer.kind().into(),
            settings: o.explorer.describe(),
            expected: s.describe_expected_for(o.explorer.kind()),
            verdict: o.verdict(),
            as_expected: o.as_expected(),
            executions: o.executions,
            distinct_traces: o.distinct_traces,
            seconds: o.seconds,
            complete: o.complete,
            violation: o.found.as_ref().map(|f| f.violation.invariant.clone()),
            message: o.found.as_ref().map(|f| f.violation.message.clone()),
            also_reached: o.also_reached.clone(),
            trace: None,
            replay: None,
            lkmm: None,
            minimized: None,
            trace_text: None,
            mismatch: o.mismatch(),
            witnesses_reached: o
                .witnesses
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(w, _)| w.name.to_string())
                .collect(),
            witnesses_missed: o
                .witnesses_missed()
                .iter()
                .map(|w| w.name.to_string())
                .collect(),
        }
    }
}

fn explorer_kinds(requested: &[String]) -> Result<Vec<&'static str>, UsageError> {
    let mut kinds: Vec<&'static str> = Vec::new();
    for r in requested {
        let add: Vec<&'static str> = match r.as_str() {
            "all" => vec!["loom", "dpor", "random", "pct"],
            k => match EXPLORERS.iter().find(|e| **e == k) {
                Some(e) => vec![*e],
                None => {
                    return Err(UsageError(format!(
                        "unknown explorer `{k}` (hint: use one of {}, or all)",
                        EXPLORERS.join(", ")
                    )))
                }
            },
        };
        for k in add {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
    }
    Ok(kinds)
}

/// Refuse what would only fail after the exploration: zero counts, an `--out` that is a
/// file, a `--write-table` file without its table block.
fn validate(args: &Args) -> Result<(), UsageError> {
    if args.iterations == Some(0) {
        return Err(UsageError(
            "--iterations 0 runs nothing and would judge nothing (hint: pass at least 1, or leave it out for each scenario's own bound)".into(),
        ));
    }
    if args.jobs == Some(0) {
        return Err(UsageError(
            "--jobs 0 would run no exploration (hint: pass at least 1, or leave it out for one per core)".into(),
        ));
    }
    if !args.no_save {
        if let Ok(meta) = std::fs::metadata(&args.out) {
            if !meta.is_dir() {
                return Err(UsageError(format!(
                    "--out {} is not a directory (hint: --out names the directory counterexamples are saved under)",
                    args.out.display()
                )));
            }
        }
    }
    if let Some(file) = &args.write_table {
        read_table_file(file)?;
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let start = std::time::Instant::now();
    if args.json {
        crate::loom_build::quiet();
    }
    let kinds = explorer_kinds(&args.explorer)?;
    let scenarios = registry::select_all(&args.selection)?;
    validate(&args)?;
    let local: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| Explorer::available(k))
        .collect();
    let delegated: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|k| !Explorer::available(k))
        .collect();
    if cfg!(loom) && !delegated.is_empty() {
        return Err(UsageError(format!(
            "this is the `--cfg loom` build: it runs only the loom explorer, not {} (hint: use the normal build)",
            delegated.join(", ")
        ))
        .into());
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let mut work: Vec<(&'static Scenario, Explorer)> = Vec::new();
    for s in &scenarios {
        for k in &local {
            let e =
                Explorer::for_scenario(k, s, args.iterations, args.seed).expect("known explorer");
            work.push((s, e));
        }
    }

    // Progress: a bar on a terminal (never with --json or when stdout is piped); the loom
    // build, asked by the parent, writes progress lines on stderr instead.
    let done = AtomicUsize::new(0);
    let loom_progress: Mutex<Option<(usize, usize, u64)>> = Mutex::new(None);
    let finished = AtomicBool::new(false);
    let bar = (!args.json && !cfg!(loom) && std::io::stdout().is_terminal()).then(|| {
        let b =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stdout());
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .expect("progress template"),
        );
        b
    });
    let report_to_parent =
        cfg!(loom) && std::env::var_os(crate::loom_build::PROGRESS_ENV).is_some();
    // Before stderr is silenced below: the progress lines go to a copy of it.
    let progress_out = report_to_parent
        .then(|| {
            use std::os::fd::AsFd;
            std::io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .map(std::fs::File::from)
        })
        .flatten();

    let wargs = (!delegated.is_empty()).then(|| {
        let mut wargs: Vec<std::ffi::OsString> = vec![
            "check".into(),
            "--explorer=loom".into(),
            "--json".into(),
            "--no-save".into(),
            format!("--jobs={}", jobs.div_ceil(2).max(1)).into(),
        ];
        if !args.selection.is_empty() {
            wargs.push("--".into());
            wargs.extend(args.selection.iter().map(Into::into));
        }
        wargs
    });
    if wargs.is_some() {
        crate::loom_build::loom_binary()?;
    }
    // Progress (this line and one per finished exploration) only on a terminal.
    if bar.is_some() && !work.is_empty() {
        println!(
            "checking {} scenario(s) with {}",
            scenarios.len(),
            kinds.join(", ")
        );
    }
    let (outcomes, loom_result) = std::thread::scope(|scope| {
        // loom runs in the `--cfg loom` build of this binary, in parallel with the local work.
        let worker = wargs.as_ref().map(|wargs| {
            let on_progress = |line: &str| {
                let n: Vec<u64> = line.split(' ').filter_map(|x| x.parse().ok()).collect();
                if let [d, t, e] = n[..] {
                    *loom_progress.lock().unwrap() = Some((d as usize, t as usize, e));
                }
            };
            let show = bar.is_some();
            scope.spawn(move || {
                crate::loom_build::run_with_progress(wargs, show.then_some(&on_progress as _))
            })
        });
        if bar.is_some() || progress_out.is_some() {
            scope.spawn(|| {
                let start = std::time::Instant::now();
                let mut out = progress_out.as_ref();
                while !finished.load(Ordering::Relaxed) {
                    let d = done.load(Ordering::Relaxed);
                    let execs = checker::explore::EXECUTIONS.load(Ordering::Relaxed);
                    if let Some(f) = out.as_mut() {
                        use std::io::Write;
                        if writeln!(
                            f,
                            "{}{d} {} {execs}",
                            crate::loom_build::PROGRESS_PREFIX,
                            work.len()
                        )
                        .is_err()
                        {
                            break;
                        }
                    }
                    if let Some(b) = &bar {
                        let mut msg = String::new();
                        if !work.is_empty() {
                            msg = format!(
                                "{d}/{} shuttle explorations ({execs} executions)",
                                work.len()
                            );
                        }
                        if wargs.is_some() {
                            let l = match *loom_progress.lock().unwrap() {
                                Some((ld, lt, le)) => {
                                    format!("loom {ld}/{lt} scenarios ({le} executions)")
                                }
                                None => "loom starting".to_string(),
                            };
                            msg = if msg.is_empty() {
                                l
                            } else {
                                format!("{msg}; {l}")
                            };
                        }
                        b.set_message(msg);
                        b.tick();
                    }
                    let tick = if bar.is_some() { 200 } else { 500 };
                    std::thread::sleep(std::time::Duration::from_millis(tick));
                    let _ = start;
                }
            });
        }
        let outcomes = explore_all(&work, jobs, bar.is_some(), &done, bar.as_ref());
        let loom_result = worker.map(|h| h.join().expect("loom worker thread"));
        finished.store(true, Ordering::Relaxed);
        (outcomes, loom_result)
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }

    let mut records: Vec<(Record, Option<Trace>)> = outcomes
        .iter()
        .map(|o| {
            let mut r = Record::from_outcome(o);
            let t = o.trace();
            r.replay = t.as_ref().map(|t| t.replay.as_str().to_string());
            (r, t)
        })
        .collect();

    if let Some(r) = loom_result {
        let (code, stdout, stderr) = r?;
        let loom_records: Vec<Record> = serde_json::from_str(&stdout).map_err(|_| {
            anyhow::anyhow!(
                "the loom build of kmodel failed (exit {code}): {} (hint: run `RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom cargo run --release -- check --explorer loom` to see it)",
                stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output")
            )
        })?;
        for mut r in loom_records {
            let t = r
                .trace_text
                .take()
                .map(|text| Trace::parse(&text))
                .transpose()?;
            records.push((r, t));
        }
    }

    // Settle how each trace replays (shuttle's banner for the failing replays is silenced:
    // the verdicts say it all), then save it. A failed save stops the saving, not the report:
    // the verdicts and the paths already saved are printed, then the error.
    let mut save_error = None;
    let quiet = gag::Gag::stderr().ok();
    for (r, t) in records.iter_mut() {
        let Some(t) = t else { continue };
        #[cfg(not(loom))]
        if let Some(s) = registry::find(&t.model, &t.scenario) {
            checker::replay::settle_replay_mode(s, t);
            // Fewer context switches, same invariant, before it is saved (shuttle traces).
            use checker::replay::minimize::{minimize, REPLAY_BUDGET};
            r.minimized = minimize(s, t, REPLAY_BUDGET).map(|m| m.to_string());
        }
        r.replay = Some(t.replay.as_str().to_string());
        // A weak-memory-only counterexample: judge it by the LKMM when herd7 is there.
        #[cfg(not(loom))]
        if t.replay == checker::trace::ReplayMode::Loom && super::litmus::available() {
            let status = super::litmus::judge(t).as_str();
            t.lkmm = Some(status.clone());
            r.lkmm = Some(status);
        }
        if args.no_save {
            r.trace_text = Some(t.to_text());
        } else if save_error.is_none() {
            match t.save_in(&args.out.join(&t.model)) {
                Ok(path) => r.trace = Some(path.display().to_string()),
                Err(e) => save_error = Some(e),
            }
        }
    }
    drop(quiet);
    records.sort_by(|a, b| {
        (
            a.0.model.as_str(),
            a.0.scenario.as_str(),
            order(&a.0.explorer),
        )
            .cmp(&(
                b.0.model.as_str(),
                b.0.scenario.as_str(),
                order(&b.0.explorer),
            ))
    });
    let unsaved = records
        .iter()
        .filter(|(r, t)| t.is_some() && r.trace.is_none() && r.trace_text.is_none())
        .count();
    let records: Vec<Record> = records.into_iter().map(|(r, _)| r).collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&records)?);
    } else {
        print_report(&records);
        println!("total: {:.1}s wall clock", start.elapsed().as_secs_f64());
    }
    if let Some(e) = save_error {
        // `… (hint: …)` with what was not saved added inside the hint.
        let e = e.to_string();
        let e = e.strip_suffix(')').unwrap_or(&e);
        return Err(UsageError(format!(
            "{e}; {unsaved} counterexample(s) not saved, the verdicts and saved paths above are complete)"
        ))
        .into());
    }
    if let Some(file) = &args.write_table {
        write_table(file, &records, &args)?;
    }
    Ok(if records.iter().all(|r| r.as_expected) {
        kmodel::exit::OK
    } else {
        kmodel::exit::FOUND
    })
}

fn order(kind: &str) -> usize {
    EXPLORERS
        .iter()
        .position(|e| *e == kind)
        .unwrap_or(usize::MAX)
}

/// Run every (scenario, explorer) pair, `jobs` at a time. shuttle prints its own failure
/// banners on stderr; kmodel reports every finding itself, so stderr is silenced meanwhile.
fn explore_all(
    work: &[(&'static Scenario, Explorer)],
    jobs: usize,
    progress: bool,
    done_count: &AtomicUsize,
    bar: Option<&indicatif::ProgressBar>,
) -> Vec<Outcome> {
    let next = Mutex::new(0usize);
    let done = Mutex::new(Vec::new());
    let _quiet = gag::Gag::stderr().ok();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(work.len()) {
            scope.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some((s, e)) = work.get(i) else { break };
                let o = checker::explore::run(s, *e);
                if progress {
                    let line = format!(
                        "  {} [{}]: {} ({} executions, {:.1}s, witnesses {})",
                        s.id(),
                        e.kind(),
                        o.verdict(),
                        o.executions,
                        o.seconds,
                        o.witnesses_summary()
                    );
                    match bar {
                        Some(b) => b.println(line),
                        None => println!("{line}"),
                    }
                }
                done.lock().unwrap().push(o);
                done_count.fetch_add(1, Ordering::Relaxed);
            });
        }
    });
    done.into_inner().unwrap()
}

fn print_report(records: &[Record]) {
    let rows: Vec<[String; 8]> = records
        .iter()
        .map(|r| {
            [
                format!("{}/{}", r.model, r.scenario),
                r.settings.clone(),
                r.expected.clone(),
                format!(
                    "{}{}",
                    r.verdict,
                    if r.as_expected {
                        ""
                    } else {
                        "  << NOT AS EXPECTED"
                    }
                ),
                r.witnesses(),
                r.executions.to_string(),
                r.distinct_shown(),
                format!("{:.2}", r.seconds),
            ]
        })
        .collect();
    let header = [
        "SCENARIO",
        "EXPLORER",
        "EXPECTED",
        "VERDICT",
        "WITNESSES",
        "EXECUTIONS",
        "DISTINCT",
        "SECONDS",
    ]
    .map(String::from);
    let mut width = header.clone().map(|h| h.len());
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    println!();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i >= 5 {
                    format!("{c:>w$}", w = width[i])
                } else {
                    format!("{c:w$}", w = width[i])
                }
            })
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    let mut notes = Vec::new();
    for r in records {
        if !r.also_reached.is_empty() {
            let also: Vec<String> = r
                .also_reached
                .iter()
                .map(|(k, n)| format!("{k} in {n} executions"))
                .collect();
            notes.push(format!(
                "{}/{} [{}] also reached (not fatal): {}",
                r.model,
                r.scenario,
                r.explorer,
                also.join(", ")
            ));
        }
    }
    if !notes.is_empty() {
        println!();
        for n in notes {
            println!("{n}");
        }
    }
    let unexpected: Vec<&Record> = records.iter().filter(|r| !r.as_expected).collect();
    if !unexpected.is_empty() {
        println!();
        for r in &unexpected {
            println!(
                "NOT AS EXPECTED {}/{} [{}]: {}",
                r.model,
                r.scenario,
                r.explorer,
                r.mismatch.as_deref().unwrap_or("")
            );
        }
    }
    let traces: Vec<&Record> = records.iter().filter(|r| r.trace.is_some()).collect();
    if !traces.is_empty() {
        println!();
        for r in traces {
            let path = r.trace.as_deref().unwrap_or_default();
            println!(
                "{}/{} [{}]: {} — counterexample written to {path}",
                r.model,
                r.scenario,
                r.explorer,
                r.violation.as_deref().unwrap_or("")
            );
            println!("  replay with: ./kmodel replay {path}");
            if let Some(m) = &r.minimized {
                println!("  minimized: {m}");
            }
            if let Some(l) = &r.lkmm {
                println!("  LKMM: {l} (kmodel litmus {path})");
            }
        }
    }
    println!();
    println!(
        "{} of {} verdicts as expected",
        records.iter().filter(|r| r.as_expected).count(),
        records.len()
    );
    println!("{}", time_split(records));
}

/// Seconds per explorer, summed over its scenarios (explorations run in parallel, so the sum
/// can exceed the wall-clock time).
fn time_split(records: &[Record]) -> String {
    let mut split: Vec<(&str, f64, usize)> = Vec::new();
    for r in records {
        match split.iter_mut().find(|(k, _, _)| *k == r.explorer) {
            Some((_, s, n)) => {
                *s += r.seconds;
                *n += 1;
            }
            None => split.push((&r.explorer, r.seconds, 1)),
        }
    }
    split.sort_by_key(|(k, _, _)| order(k));
    let parts: Vec<String> = split
        .iter()
        .map(|(k, s, n)| format!("{k} {s:.1}s ({n} scenarios)"))
        .collect();
    format!("explorer time: {}", parts.join(", "))
}

const TABLE_BEGIN: &str = "<!-- kmodel-table:begin -->";
const TABLE_END: &str = "<!-- kmodel-table:end -->";

/// The text of a `--write-table` file and where its table block begins and ends: exactly one
/// begin marker, then exactly one end marker.
fn read_table_file(file: &std::path::Path) -> Result<(String, usize, usize), UsageError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        UsageError(format!(
            "cannot read {}: {e} (hint: --write-table takes an existing README)",
            file.display()
        ))
    })?;
    let (Some(b), Some(e)) = (text.find(TABLE_BEGIN), text.find(TABLE_END)) else {
        return Err(UsageError(format!(
            "{} has no `{TABLE_BEGIN}` ... `{TABLE_END}` block (hint: add the two lines where the table goes)",
            file.display()
        )));
    };
    if e < b {
        return Err(UsageError(format!(
            "{}: `{TABLE_END}` comes before `{TABLE_BEGIN}` (hint: put the begin line first; nothing was written)",
            file.display()
        )));
    }
    if text.matches(TABLE_BEGIN).count() > 1 || text.matches(TABLE_END).count() > 1 {
        return Err(UsageError(format!(
            "{} has more than one `{TABLE_BEGIN}` or `{TABLE_END}` line (hint: keep one block; nothing was written)",
            file.display()
        )));
    }
    Ok((text, b, e))
}

/// Write `text` to `file` atomically: a temporary file beside it, fsynced, renamed over it.
fn write_atomically(file: &std::path::Path, text: &str) -> Result<(), UsageError> {
    use std::io::Write;
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, file)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        UsageError(format!(
            "cannot write {}: {e} (hint: the file is unchanged; check that its directory is writable and the disk not full)",
            file.display()
        ))
    })
}

/// Replace the table block of `file` with the verdicts, as Markdown.
fn write_table(file: &std::path::Path, records: &[Record], args: &Args) -> anyhow::Result<()> {
    let (text, b, e) = read_table_file(file)?;
    let mut t = String::new();
    t.push_str(TABLE_BEGIN);
    t.push_str(&format!(
        "\n_Generated by `kmodel check {}{}` on a {}-core machine; do not edit by hand._\n\n",
        args.selection.join(" "),
        if args.explorer == ["all"] {
            String::new()
        } else {
            format!(" --explorer {}", args.explorer.join(","))
        },
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    ));
    t.push_str("| scenario | explorer | expected | verdict | witnesses | executions | distinct traces | seconds |\n|---|---|---|---|---|---:|---:|---:|\n");
    for r in records {
        t.push_str(&format!(
            "| `{}` | {} | {} | {}{} | {} | {} | {} | {:.2} |\n",
            r.scenario,
            r.settings,
            r.expected,
            r.verdict,
            if r.as_expected {
                ""
            } else {
                " **(not as expected)**"
            },
            r.witnesses(),
            r.executions,
            r.distinct_shown(),
            r.seconds
        ));
    }
    let out = format!("{}{}{}", &text[..b], t, &text[e..]);
    write_atomically(file, &out)?;
    Ok(())
}
