//! How large a configuration each exhaustive explorer finishes within a time limit, per
//! model: executions, distinct execution graphs, distinct visible schedules and seconds side
//! by side. A model has one ladder per scenario it scales (its configurations, smallest
//! first); an explorer stops climbing a ladder at its first configuration that does not
//! finish within the limit.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo bench --bench loom_scale [-- FILTER]
//! cargo bench --bench loom_scale [-- FILTER]          # the SC explorers of the normal build
//! cargo bench --bench loom_scale -- --write-readmes   # scale tables into the model READMEs
//! ```
//!
//! Each configuration runs in a child process killed after `KMODEL_SCALE_LIMIT` seconds
//! (default 600). Measured rows go to `benches/scale.tsv` (one line per model, configuration
//! and explorer; a run replaces the rows it measured and keeps the others), and
//! `--write-readmes` renders that file between the `kmodel-scale` markers of each model's
//! README. loom's distinct counts come from `LOOM_KMODEL_DISTINCT` (vendor/loom/src/rt/distinct.rs).
//!
//! The `dpor` explorer (issue 12, items 1-3) runs in the normal build (`cargo bench --bench
//! loom_scale`); its `schedules` column is its distinct Mazurkiewicz traces.

use checker::explore::{run, Explorer};
use checker::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The most threads a loom model runs (`loom::MAX_THREADS`, vendor/loom/src/rt/mod.rs).
const LOOM_MAX_THREADS: usize = 5;

/// The ladders: (model, configuration label, scenario), each ladder smallest first. A
/// ladder is a model's configurations of one scenario; its name is the label's first word.
fn ladder() -> Vec<(&'static str, String, Scenario)> {
    use mmu_interval_notifier::scale::fault_and_insert_vs_munmap_scale as mmu_fault_insert;
    use mmu_interval_notifier::scale::fault_vs_munmap_fault_only_scale as mmu_fault_only;
    use mmu_interval_notifier::scale::fault_vs_munmap_scale as mmu;
    use mmu_interval_notifier::scale::fault_vs_two_munmaps_scale as mmu_two_munmaps;
    use mmu_interval_notifier::scale::userptr_execs_vs_munmap_scale as mmu_userptr;
    use vm_bo_lifecycle::scenarios::prepare_objects_scale as vm;
    let v = |s: Scenario, label: &str| ("vm_bo_lifecycle", label.to_string(), s);
    let m = |s: Scenario, label: &str| ("mmu_interval_notifier", label.to_string(), s);
    vec![
        v(vm::<1, 2>(), "prepare_objects 1 exec × 2 GEMs"),
        v(vm::<2, 2>(), "prepare_objects 2 exec × 2 GEMs"),
        v(vm::<2, 3>(), "prepare_objects 2 exec × 3 GEMs"),
        v(vm::<3, 2>(), "prepare_objects 3 exec × 2 GEMs"),
        v(vm::<3, 3>(), "prepare_objects 3 exec × 3 GEMs"),
        v(vm::<4, 2>(), "prepare_objects 4 exec × 2 GEMs"),
        v(vm::<4, 3>(), "prepare_objects 4 exec × 3 GEMs"),
        v(vm::<5, 2>(), "prepare_objects 5 exec × 2 GEMs"),
        v(vm::<6, 2>(), "prepare_objects 6 exec × 2 GEMs"),
        m(mmu::<1>(), "fault_vs_munmap 1 driver"),
        m(mmu::<2>(), "fault_vs_munmap 2 drivers"),
        // 4 CPUs: two faulting drivers (teardown after the joins) against the munmap of
        // their page, and a munmap of page 1 on a fourth CPU.
        m(
            mmu_two_munmaps::<2>(),
            "fault_vs_munmap 2 drivers, fault only, + munmap of page 1",
        ),
        m(
            mmu_fault_only::<3>(),
            "fault_vs_munmap 3 drivers, fault only",
        ),
        m(mmu::<3>(), "fault_vs_munmap 3 drivers"),
        // A driver faulting page 0 while a second driver inserts a notifier of page 0 and
        // page 0 is munmapped; then a third driver inserting a notifier of page 1, or a
        // munmap of page 1 (4 CPUs that loom finishes), or both.
        m(
            mmu_fault_insert::<false, false>(),
            "fault_and_insert_vs_munmap",
        ),
        m(
            mmu_fault_insert::<false, true>(),
            "fault_and_insert_vs_munmap + insert of page 1",
        ),
        m(
            mmu_fault_insert::<true, false>(),
            "fault_and_insert_vs_munmap + munmap of page 1",
        ),
        m(
            mmu_fault_insert::<true, true>(),
            "fault_and_insert_vs_munmap + munmap of page 1 + insert of page 1",
        ),
        // The userptr exec pattern: exec CPUs on one VM (serialised by its lock, their jobs
        // not) against the munmap of the userptr's page.
        m(mmu_userptr::<1>(), "userptr_exec_vs_munmap 1 exec"),
        m(mmu_userptr::<2>(), "userptr_exec_vs_munmap 2 execs"),
        m(mmu_userptr::<3>(), "userptr_exec_vs_munmap 3 execs"),
    ]
}

/// The exhaustive explorers of this build, by name.
fn explorers() -> Vec<(&'static str, Explorer)> {
    if cfg!(loom) {
        vec![(
            "loom",
            Explorer::Loom {
                preemption_bound: None,
            },
        )]
    } else {
        // The `dpor` explorer (issue 12, items 1-3) runs in the normal build.
        vec![(
            "dpor",
            Explorer::Dpor {
                max_executions: None,
            },
        )]
    }
}

/// One measured row of `benches/scale.tsv`.
#[derive(Clone, Debug)]
struct Row {
    model: String,
    config: String,
    cpus: usize,
    explorer: String,
    /// `None`: did not finish within the limit.
    executions: Option<u64>,
    graphs: Option<u64>,
    schedules: Option<u64>,
    seconds: f64,
    verdict: String,
}

impl Row {
    fn to_tsv(&self) -> String {
        let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.1}\t{}",
            self.model,
            self.config,
            self.cpus,
            self.explorer,
            o(self.executions),
            o(self.graphs),
            o(self.schedules),
            self.seconds,
            self.verdict
        )
    }

    fn from_tsv(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 9 {
            return None;
        }
        let n = |s: &str| s.parse::<u64>().ok();
        Some(Row {
            model: f[0].into(),
            config: f[1].into(),
            cpus: f[2].parse().ok()?,
            explorer: f[3].into(),
            executions: n(f[4]),
            graphs: n(f[5]),
            schedules: n(f[6]),
            seconds: f[7].parse().ok()?,
            verdict: f[8].into(),
        })
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tsv_path() -> PathBuf {
    root().join("benches/scale.tsv")
}

const TSV_HEADER: &str =
    "# model\tconfiguration\tCPUs\texplorer\texecutions\tgraphs\tschedules\tseconds\tverdict";

fn read_rows() -> Vec<Row> {
    std::fs::read_to_string(tsv_path())
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(Row::from_tsv)
        .collect()
}

fn write_rows(rows: &[Row]) {
    let mut text = String::from(TSV_HEADER);
    text.push('\n');
    for r in rows {
        text.push_str(&r.to_tsv());
        text.push('\n');
    }
    std::fs::write(tsv_path(), text).expect("write benches/scale.tsv");
}

/// The child: explore one configuration, print one TSV row on stdout.
fn child(index: usize, explorer: &str) {
    let (model, config, s) = ladder().swap_remove(index);
    let s: &'static Scenario = Box::leak(Box::new(s));
    let e = explorers()
        .into_iter()
        .find(|(k, _)| *k == explorer)
        .expect("explorer of this build")
        .1;
    let o = run(s, e);
    // loom appends its distinct counts to the file `LOOM_KMODEL_DISTINCT` names.
    let (mut graphs, mut schedules) = (None, None);
    if let Some(file) = std::env::var_os("LOOM_KMODEL_DISTINCT") {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if let Some(line) = text.lines().last() {
            let nums: Vec<u64> = line
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            if let [_, s, g] = nums[..] {
                schedules = Some(s);
                graphs = Some(g);
            }
        }
    }
    // dpor (and every explorer) counts its distinct Mazurkiewicz traces itself; loom's
    // distinct visible schedules come from `LOOM_KMODEL_DISTINCT` above.
    if schedules.is_none() {
        schedules = Some(o.distinct_traces);
    }
    let row = Row {
        model: model.into(),
        config,
        cpus: s.cpus.len(),
        explorer: explorer.into(),
        executions: Some(o.executions),
        graphs,
        schedules,
        seconds: o.seconds,
        verdict: o.verdict(),
    };
    println!("{}", row.to_tsv());
}

/// Run `index` under `explorer` in a child process, killed after `limit`.
fn measure(index: usize, explorer: &str, limit: Duration) -> Option<Row> {
    let distinct = std::env::temp_dir().join(format!(
        "kmodel-scale-{}-{index}-{explorer}.txt",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&distinct);
    let mut child = Command::new(std::env::current_exe().ok()?)
        .args(["--child", &index.to_string(), explorer])
        .env("LOOM_KMODEL_DISTINCT", &distinct)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().ok()? {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&distinct);
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().ok()?;
    let _ = std::fs::remove_file(&distinct);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().rev().find_map(Row::from_tsv)
}

/// The ladder a configuration is on: its label's first word (the scenario it scales).
fn ladder_name(config: &str) -> &str {
    config.split(' ').next().unwrap_or(config)
}

/// Rows in ladder order, then by explorer.
fn sort_rows(rows: &mut [Row], ladder: &[(&'static str, String, Scenario)]) {
    rows.sort_by_key(|r| {
        (
            ladder
                .iter()
                .position(|(_, c, _)| *c == r.config)
                .unwrap_or(usize::MAX),
            r.explorer.clone(),
        )
    });
}

fn measure_all(filter: Option<&str>) {
    let limit = Duration::from_secs(
        std::env::var("KMODEL_SCALE_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(600),
    );
    let ladder = ladder();
    let mut rows = read_rows();
    println!(
        "{:<24} {:<36} {:>4} {:<6} {:>12} {:>8} {:>10} {:>8}  verdict",
        "model", "configuration", "CPUs", "expl.", "executions", "graphs", "schedules", "seconds"
    );
    for (explorer, _) in explorers() {
        let mut stopped: Vec<(&str, &str)> = Vec::new();
        for (i, (model, config, s)) in ladder.iter().enumerate() {
            if filter.is_some_and(|f| !config.contains(f) && !model.contains(f)) {
                continue;
            }
            let rung = (*model, ladder_name(config));
            if stopped.contains(&rung) {
                continue;
            }
            let unmeasured = |seconds: f64, verdict: String| Row {
                model: model.to_string(),
                config: config.clone(),
                cpus: s.cpus.len(),
                explorer: explorer.into(),
                executions: None,
                graphs: None,
                schedules: None,
                seconds,
                verdict,
            };
            // loom runs at most `loom::MAX_THREADS` threads (5, vendor/loom/src/rt/mod.rs): the
            // CPUs and the main thread. A larger configuration panics in its first execution,
            // which is loom's limit, not a verdict.
            let row = if explorer == "loom" && s.cpus.len() + 1 > LOOM_MAX_THREADS {
                stopped.push(rung);
                unmeasured(
                    0.0,
                    format!("beyond loom's {LOOM_MAX_THREADS} threads (CPUs and main)"),
                )
            } else {
                measure(i, explorer, limit).unwrap_or_else(|| {
                    stopped.push(rung);
                    unmeasured(
                        limit.as_secs_f64(),
                        format!("not finished in {} s", limit.as_secs()),
                    )
                })
            };
            let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
            println!(
                "{:<24} {:<36} {:>4} {:<6} {:>12} {:>8} {:>10} {:>8.1}  {}",
                row.model,
                row.config,
                row.cpus,
                row.explorer,
                o(row.executions),
                o(row.graphs),
                o(row.schedules),
                row.seconds,
                row.verdict
            );
            rows.retain(|r| !(r.config == row.config && r.explorer == row.explorer));
            rows.push(row);
            sort_rows(&mut rows, &ladder);
            write_rows(&rows);
        }
    }
}

const BEGIN: &str = "<!-- kmodel-scale:begin -->";
const END: &str = "<!-- kmodel-scale:end -->";

/// Render each model's rows between the markers of its README.
fn write_readmes() {
    let rows = read_rows();
    let mut models: Vec<&str> = rows.iter().map(|r| r.model.as_str()).collect();
    models.dedup();
    for model in models {
        let mut t = format!(
            "{BEGIN}\n_Generated by `cargo bench --bench loom_scale -- --write-readmes` from \
             benches/scale.tsv; do not edit by hand. Each row ran in a child process killed at the \
             limit of its run (`KMODEL_SCALE_LIMIT`, default 600 s; a row that did not finish names \
             it), 2-core machine shared with other work (seconds are pessimistic). Graphs: distinct execution graphs \
             (po, rf, mo; loom only); schedules: loom's distinct visible schedules, dpor's distinct \
             Mazurkiewicz traces._\n\n\
             | configuration | CPUs | explorer | executions | distinct graphs | distinct schedules | seconds | verdict |\n\
             |---|---:|---|---:|---:|---:|---:|---|\n",
        );
        let o = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
        for r in rows.iter().filter(|r| r.model == model) {
            t.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
                r.config,
                r.cpus,
                r.explorer,
                o(r.executions),
                o(r.graphs),
                o(r.schedules),
                r.seconds,
                r.verdict
            ));
        }
        t.push_str(END);
        let readme = root().join("models").join(model).join("README.md");
        let text = std::fs::read_to_string(&readme).expect("model README");
        let new = match (text.find(BEGIN), text.find(END)) {
            (Some(b), Some(e)) if b < e => {
                format!("{}{}{}", &text[..b], t, &text[e + END.len()..])
            }
            _ => format!("{}\n## Scale\n\n{}\n", text.trim_end(), t),
        };
        std::fs::write(&readme, new).expect("write README");
        println!("wrote the scale table of {}", Path::new(&readme).display());
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("--child") => child(args[1].parse().expect("index"), &args[2]),
        Some("--write-readmes") => write_readmes(),
        filter => {
            if explorers().is_empty() {
                return;
            }
            measure_all(filter)
        }
    }
}
