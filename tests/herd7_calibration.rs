//! The LKMM calibration: herd7 runs every kernel litmus test's twin (its original `.litmus`
//! text, vendor/lkmm/PROVENANCE.md) and must give the LKMM answer its scenario states; where
//! loom's (C11's) expected answer differs from it, the scenario must name the reason
//! (`Scenario::c11_differs`). It also checks the calibration table of
//! models/litmus/README.md (rewrite it with `KMODEL_WRITE_CALIBRATION=1`). Runs in the plain
//! build only; the loom suite checks that loom finds each scenario's expected answer.
//!
//! Without herd7 or the LKMM files the test prints why and passes, unless `CI` is set: in CI
//! their absence is a failure (.ci/run builds herd7 and fetches the LKMM first).
//! Cost: herd7 takes ~5 s for the 47 tests.
#![cfg(not(loom))]

use std::path::{Path, PathBuf};
use std::process::Command;

use checker::scenario::{c11, Expected, Scenario};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `KMODEL_HERD7`, else target/herd7/bin/herd7, else `herd7` on PATH.
fn herd7() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KMODEL_HERD7") {
        return Some(PathBuf::from(p));
    }
    let built = root().join("target/herd7/bin/herd7");
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
fn lkmm_dir() -> Option<PathBuf> {
    let d = std::env::var_os("KMODEL_LKMM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/lkmm/tools/memory-model"));
    d.join("linux-kernel.cat").is_file().then_some(d)
}

/// The model directory herd7 runs in: `dir` itself, or for an lkmmv2 LKMM (Linux >= v6.15)
/// a scratch copy with vendor/lkmm/herd7-7.57-compat.patch applied.
fn model_dir(dir: &Path, scratch: &Path) -> (PathBuf, bool) {
    let cfg = std::fs::read_to_string(dir.join("linux-kernel.cfg")).expect("linux-kernel.cfg");
    if !cfg.lines().any(|l| l.trim() == "variant lkmmv2") {
        return (dir.to_path_buf(), false);
    }
    std::fs::create_dir_all(scratch).unwrap();
    for f in [
        "linux-kernel.bell",
        "linux-kernel.def",
        "lock.cat",
        "linux-kernel.cfg",
        "linux-kernel.cat",
    ] {
        std::fs::copy(dir.join(f), scratch.join(f)).expect(f);
    }
    let cfg: String = cfg
        .lines()
        .filter(|l| l.trim() != "variant lkmmv2")
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(scratch.join("linux-kernel.cfg"), cfg).unwrap();
    let cat = std::fs::read_to_string(dir.join("linux-kernel.cat")).unwrap();
    let cat = cat.replacen(
        "include \"lock.cat\"\n",
        "include \"lock.cat\"\n\
         let Marked = (~M) | IW | Once | Release | Acquire | domain(rmw) | range(rmw) | LKR | LKW | UL | LF | RL | RU\n\
         let Plain = M \\ Marked\n\
         let Sync-srcu = emptyset\n\
         let srcu-rscs = 0\n",
        1,
    );
    std::fs::write(scratch.join("linux-kernel.cat"), cat).unwrap();
    (scratch.to_path_buf(), true)
}

/// herd7's answer for one test: its name (`Test` line) and `Never`/`Sometimes`/`Always`.
fn run_herd7(
    herd7: &Path,
    model: &Path,
    twin: &Path,
    compat: bool,
    scratch: &Path,
) -> (String, String) {
    let twin = if compat {
        // herd7 7.57 does not parse `spinlock_t` declarations in an init block.
        let text = std::fs::read_to_string(twin).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("spinlock_t "))
            .map(|l| format!("{l}\n"))
            .collect();
        let p = scratch.join(twin.file_name().unwrap());
        std::fs::write(&p, kept).unwrap();
        p
    } else {
        twin.to_path_buf()
    };
    let out = Command::new(herd7)
        .current_dir(model)
        .args(["-conf", "linux-kernel.cfg"])
        .arg(&twin)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", herd7.display()));
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str, i: usize| {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(i))
            .map(str::to_string)
            .unwrap_or_else(|| {
                panic!(
                    "herd7 gave no `{key}` line for {}:\n{text}\n{}",
                    twin.display(),
                    String::from_utf8_lossy(&out.stderr)
                )
            })
    };
    (field("Test ", 1), field("Observation ", 2))
}

fn scenario(name: &str) -> &'static Scenario {
    kmodel::registry::find("litmus", name)
        .unwrap_or_else(|| panic!("KERNEL_SUITE names `{name}`, which is no litmus scenario"))
}

fn answer(e: Expected) -> &'static str {
    match e {
        Expected::Unreachable => "Never",
        Expected::Reachable(_) => "Sometimes",
    }
}

/// One row of the calibration table, or the reason it fails.
struct Row {
    test: &'static str,
    herd7: String,
    loom: String,
    judgement: String,
    failure: Option<String>,
}

fn calibrate(loom_verdict: impl Fn(&'static Scenario) -> String) -> Option<Vec<Row>> {
    let (Some(herd7), Some(dir)) = (herd7(), lkmm_dir()) else {
        let msg =
            "herd7 calibration skipped: herd7 or the LKMM files are missing (set KMODEL_HERD7 \
                   and KMODEL_LKMM_DIR, or run `bash ../shared/tools/herd7/build.sh target/herd7` \
                   and `bash vendor/lkmm/fetch.sh`)";
        assert!(std::env::var_os("CI").is_none(), "under CI: {msg}");
        println!("{msg}");
        return None;
    };
    let scratch = std::env::temp_dir().join(format!("kmodel-lkmm-{}", std::process::id()));
    let (model, compat) = model_dir(&dir, &scratch);
    // Twins live in the kernel tree the model directory belongs to.
    let tree = dir.join("../..");
    let mut rows = Vec::new();
    for &(name, path) in litmus::kernel_suite::KERNEL_SUITE {
        let s = scenario(name);
        let (test, herd) = run_herd7(&herd7, &model, &tree.join(path), compat, &scratch);
        let lkmm = answer(s.expected_lkmm());
        let c11 = answer(s.expected);
        let herd = if herd == "Always" {
            "Sometimes".to_string()
        } else {
            herd
        };
        let mut failure = None;
        if test != name {
            failure = Some(format!("{path} is test `{test}`, not `{name}`"));
        } else if herd != lkmm {
            failure = Some(format!(
                "{name}: herd7 says {herd} under the LKMM, the scenario expects {lkmm}"
            ));
        }
        let judgement = match s.c11_differs {
            None if c11 == lkmm => "agree".to_string(),
            None => {
                failure.get_or_insert(format!(
                    "{name}: loom's expected {c11} differs from the LKMM's {lkmm} without a named reason"
                ));
                "UNNAMED DIFFERENCE".to_string()
            }
            Some(d) => {
                if !c11::ALL.contains(&d.reason) || c11 == lkmm {
                    failure.get_or_insert(format!(
                        "{name}: `{}` is no difference: name one of {:?} where loom's answer differs",
                        d.reason,
                        c11::ALL
                    ));
                }
                d.reason.to_string()
            }
        };
        let loom = loom_verdict(s);
        rows.push(Row {
            test: name,
            herd7: herd,
            loom,
            judgement,
            failure,
        });
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Some(rows)
}

fn assert_rows(rows: &[Row]) {
    let failures: Vec<&str> = rows.iter().filter_map(|r| r.failure.as_deref()).collect();
    for r in rows {
        println!(
            "{:60} herd7 {:10} loom {:10} {}",
            r.test, r.herd7, r.loom, r.judgement
        );
    }
    assert!(
        failures.is_empty(),
        "LKMM calibration:\n{}",
        failures.join("\n")
    );
}

const BEGIN: &str = "<!-- lkmm-calibration:begin -->";
const END: &str = "<!-- lkmm-calibration:end -->";

/// herd7 against every scenario's stated LKMM answer, loom's expected answer against it
/// (the loom suite checks that loom finds exactly that), and the README's calibration table.
#[test]
fn herd7_agrees_with_every_kernel_litmus_scenario() {
    let Some(rows) = calibrate(|s| answer(s.expected).to_string()) else {
        return;
    };
    assert_rows(&rows);
    let agree = rows.iter().filter(|r| r.judgement == "agree").count();
    let mut table = format!(
        "_Generated by `KMODEL_WRITE_CALIBRATION=1 cargo test --test herd7_calibration`; do not \
         edit by hand. The loom column is each scenario's expected loom verdict, which the loom \
         suite checks loom reaches (a full exploration)._\n\n\
         {} kernel litmus tests: loom agrees with herd7 on {agree}, differs with a named reason \
         on {}.\n\n\
         | test | LKMM (herd7) | kmodel (loom) | |\n|---|---|---|---|\n",
        rows.len(),
        rows.len() - agree
    );
    for r in &rows {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.test, r.herd7, r.loom, r.judgement
        ));
    }
    let readme = root().join("models/litmus/README.md");
    let text = std::fs::read_to_string(&readme).unwrap();
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("{} has no {BEGIN} … {END} markers", readme.display());
    };
    let current = &text[b + BEGIN.len()..e];
    let wanted = format!("\n{table}");
    if std::env::var_os("KMODEL_WRITE_CALIBRATION").is_some() {
        let new = format!("{}{BEGIN}{wanted}{}", &text[..b], &text[e..]);
        std::fs::write(&readme, new).unwrap();
    } else {
        assert_eq!(
            current, wanted,
            "models/litmus/README.md's calibration table is stale (hint: rerun with KMODEL_WRITE_CALIBRATION=1)"
        );
    }
}
