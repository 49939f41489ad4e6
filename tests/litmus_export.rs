//! `kmodel litmus`: the exporter on synthetic traces, and the committed MP+poonceonces loom
//! trace exported and judged allowed by herd7 with the LKMM. Without herd7 or the LKMM files
//! the herd7 test prints why and passes, unless `CI` is set. Cost: one herd7 run (< 1 s).
#![cfg(not(loom))]

use std::path::PathBuf;
use std::process::Command;

use checker::trace::litmus::{export, LkmmVerdict};
use checker::trace::{Event, ReplayMode, Trace, Violation};

fn ev(tid: usize, op: &str, obj: &str, result: &str) -> Event {
    Event::new(tid, 0, op, obj, result)
}

fn trace(events: Vec<Event>) -> Trace {
    let n = events.len();
    Trace {
        model: "m".into(),
        scenario: "s".into(),
        summary: "x".into(),
        expected: "reachable X".into(),
        explorer: "loom preemption_bound=none".into(),
        loom_version: "0".into(),
        shuttle_version: "0".into(),
        fingerprint: "0".into(),
        cpus: vec!["writer".into(), "reader".into()],
        violation: Violation {
            invariant: "X".into(),
            message: "m".into(),
            tid: 2,
            step: n,
        },
        replay: ReplayMode::Loom,
        loom_checkpoint: None,
        lkmm: None,
        events,
    }
}

/// Publication through a pointer: the reader's dereference is an address dependency, the
/// writer's smp_wmb and the observed values are in the test; main's writes are the initial
/// state; a location only one CPU touches is dropped.
#[test]
fn exports_pointer_publication_with_an_address_dependency() {
    let t = trace(vec![
        ev(0, "WRITE_ONCE", "obj#1.data", "0"),
        ev(0, "spawn", "CPU0", ""),
        ev(1, "WRITE_ONCE", "obj#1.data", "1"),
        ev(1, "WRITE_ONCE", "private#1.x", "5"),
        ev(1, "smp_wmb", "", ""),
        ev(1, "rcu_assign_pointer", "head#1.p", "obj#1 (thing#1)"),
        ev(2, "rcu_read_lock", "", ""),
        ev(2, "rcu_dereference", "head#1.p", "obj#1 (thing#1)"),
        ev(2, "READ_ONCE", "obj#1.data", "0"),
        ev(2, "rcu_read_unlock", "", ""),
        ev(2, "VIOLATION", "X", "m"),
    ]);
    let l = export(&t).unwrap();
    let s = &l.text;
    assert!(s.starts_with("C kmodel-s\n"), "{s}");
    assert!(s.contains("\tint obj1_data=0;"), "{s}");
    assert!(s.contains("\tint *head1_p=0;"), "{s}");
    assert!(s.contains("smp_wmb();"), "{s}");
    assert!(s.contains("smp_store_release(head1_p, obj1_data);"), "{s}");
    assert!(s.contains("r0 = rcu_dereference(*head1_p);"), "{s}");
    assert!(
        s.contains("r1 = READ_ONCE(*r0);"),
        "address dependency: {s}"
    );
    assert!(!s.contains("private1_x"), "{s}");
    assert!(s.contains("exists (1:r0=obj1_data /\\ 1:r1=0)"), "{s}");
}

/// kref and bit operations map to the LKMM's RMWs with their observed old values.
#[test]
fn exports_refcounts_and_bits() {
    let t = trace(vec![
        ev(0, "kref_init", "f#1.refcount", "1"),
        ev(0, "spawn", "CPU0", ""),
        ev(1, "kref_put", "f#1.refcount", "1->0"),
        ev(1, "test_and_set_bit", "f#1.flags", "bit 0: was 0"),
        ev(2, "kref_get_unless_zero", "f#1.refcount", "0 -> false"),
        ev(2, "test_bit", "f#1.flags", "bit 0: 1"),
    ]);
    let s = export(&t).unwrap().text;
    assert!(
        s.contains("r0 = atomic_fetch_sub_release(1, f1_refcount);\n\tsmp_rmb();"),
        "{s}"
    );
    assert!(s.contains("r1 = xchg(f1_flags_bit0, 1);"), "{s}");
    assert!(s.contains("r0 = READ_ONCE(*f1_refcount);"), "{s}");
    assert!(
        s.contains("exists (0:r0=1 /\\ 0:r1=0 /\\ 1:r0=0 /\\ 1:r1=1)"),
        "{s}"
    );
}

#[test]
fn refuses_a_trace_without_shared_locations() {
    let t = trace(vec![
        ev(0, "spawn", "CPU0", ""),
        ev(1, "WRITE_ONCE", "a#1.x", "1"),
    ]);
    assert!(export(&t).unwrap_err().contains("hint:"));
}

#[test]
fn reads_herd7_observations() {
    assert_eq!(
        LkmmVerdict::from_herd7("Observation t Never 0 4\n"),
        Some(LkmmVerdict::Forbidden)
    );
    assert_eq!(
        LkmmVerdict::from_herd7("Observation t Sometimes 1 3\n"),
        Some(LkmmVerdict::Allowed)
    );
    assert_eq!(LkmmVerdict::from_herd7("nothing"), None);
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed MP+poonceonces loom trace, exported by the CLI and judged by herd7.
#[test]
fn mp_poonceonces_trace_is_allowed_by_the_lkmm() {
    if !herd7_available() {
        return;
    }
    let trace = std::fs::read_dir(root().join("counterexamples/litmus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("MP+poonceonces-")
        })
        .expect("the committed MP+poonceonces trace");
    let out = Command::new(env!("CARGO_BIN_EXE_kmodel"))
        .current_dir(root())
        .arg("litmus")
        .arg(&trace)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("exists (1:r0=1 /\\ 1:r1=0)"), "{stdout}");
    assert!(stdout.trim_end().ends_with("LKMM: allowed"), "{stdout}");
}

/// herd7 and the LKMM files are there, or the test says why it is skipped (CI must have them).
fn herd7_available() -> bool {
    let herd = std::env::var_os("KMODEL_HERD7").is_some()
        || root().join("target/herd7/bin/herd7").is_file()
        || Command::new("herd7")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
    let lkmm = std::env::var_os("KMODEL_LKMM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/lkmm/tools/memory-model"))
        .join("linux-kernel.cat")
        .is_file();
    if !(herd && lkmm) {
        assert!(
            std::env::var_os("CI").is_none(),
            "herd7 or the LKMM files missing in CI"
        );
        eprintln!("skipped: herd7 or the LKMM files not found (KMODEL_HERD7, target/herd7; vendor/lkmm/fetch.sh)");
    }
    herd && lkmm
}

/// `kmodel check` judges a weak-memory-only counterexample by the LKMM: the verdict line, the
/// JSON record and the saved trace's `lkmm:` header all carry the status. MP+poonceonces is
/// allowed by the LKMM; MP+unlocklockonceonce+fencermbonceonce is a C11 artefact (the LKMM
/// orders a CPU's unlock+lock). Cost: two loom runs of a 2-CPU litmus scenario and two herd7
/// runs (about 1 s each).
#[test]
fn check_judges_weak_memory_counterexamples_by_the_lkmm() {
    if !herd7_available() {
        return;
    }
    for (scenario, want) in [
        ("MP+poonceonces", "allowed"),
        (
            "MP+unlocklockonceonce+fencermbonceonce",
            "forbidden (C11 only)",
        ),
    ] {
        let dir = std::env::temp_dir().join(format!(
            "kmodel-check-lkmm-{}-{}",
            std::process::id(),
            scenario.len()
        ));
        let run = |json: bool| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_kmodel"));
            c.current_dir(root())
                .args(["check", &format!("litmus/{scenario}"), "--explorer", "loom"])
                .arg("--out")
                .arg(&dir);
            if json {
                c.arg("--json");
            }
            let out = c.output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let text = run(false);
        assert!(
            text.contains(&format!("  LKMM: {want} (kmodel litmus ")),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&run(true)).unwrap();
        let rec = &json.as_array().unwrap()[0];
        assert_eq!(rec["replay"], "loom", "{rec}");
        assert_eq!(rec["lkmm"], want, "{rec}");
        let path = rec["trace"].as_str().expect("the saved trace");
        let saved = std::fs::read_to_string(root().join(path)).unwrap();
        assert!(
            saved.lines().any(|l| l == format!("lkmm: {want}")),
            "{saved}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The export keeps the violation's causal slice: the stale read of x, the location y whose
/// store and load order it after the store it missed; z, which both CPUs touch only after
/// the stale read, is left out and counted in `Dropped:`. smp_store_release takes the
/// address, as linux-kernel.def defines it.
#[test]
fn exports_only_the_causal_slice() {
    let t = trace(vec![
        ev(0, "spawn", "CPU0", ""),
        ev(1, "WRITE_ONCE", "a#1.x", "1"),
        ev(1, "smp_store_release", "a#1.y", "1"),
        ev(2, "READ_ONCE", "a#1.y", "1"),
        ev(2, "READ_ONCE", "a#1.x", "0"),
        ev(2, "WRITE_ONCE", "a#1.z", "7"),
        ev(1, "READ_ONCE", "a#1.z", "7"),
    ]);
    let s = export(&t).unwrap().text;
    assert!(s.contains("smp_store_release(a1_y, 1);"), "{s}");
    assert!(
        s.contains("Causal slice: 1 stale read(s) (of a#1.x)"),
        "{s}"
    );
    assert!(!s.contains("a1_z"), "{s}");
    assert!(s.contains("off the slice (1 shared location(s))"), "{s}");
    assert!(s.contains("exists (1:r0=1 /\\ 1:r1=0)"), "{s}");
}

/// herd7's cost grows with every read, so the export leaves out the reads coherence forces:
/// a CPU's read of a location only it writes that observes its own latest store (or the
/// initial value), and a read followed by one of the same value with only unordered loads
/// between. A read whose value is not the forced one stays (herd7 must then say Never). A
/// location stored by a CPU before any read gets the initial value a read observed that no
/// store wrote (nonblock_vs_fault's pte was exported as 0, making its stale read
/// impossible), and a successful trylock is a lock (its unlock was left unmatched).
#[test]
fn leaves_out_coherence_forced_reads_and_keeps_the_rest() {
    let t = trace(vec![
        ev(0, "spawn", "CPU0", ""),
        // CPU0 owns `seq`: two reads observe the initial 2 and its own 3 (forced); the last
        // observes 2 after its store of 4 (not forced: stays).
        ev(1, "spin_lock", "m#1.lock", ""),
        ev(1, "READ_ONCE", "m#1.seq", "2"),
        ev(1, "WRITE_ONCE", "m#1.seq", "3"),
        ev(1, "READ_ONCE", "m#1.seq", "3"),
        ev(1, "spin_unlock", "m#1.lock", ""),
        ev(1, "mutex_trylock", "s#1.user_lock", ""),
        ev(1, "WRITE_ONCE", "m#1.pte", "0"),
        ev(1, "mutex_unlock", "s#1.user_lock", ""),
        ev(1, "WRITE_ONCE", "m#1.seq", "4"),
        ev(1, "READ_ONCE", "m#1.seq", "2"),
        // CPU1: sees seq 4, then the pte still 1 (stale; 1 is written by no store: the
        // initial value). Its first seq read is followed by one of the same value with only
        // the pte load between (left out); the one after the lock stays.
        ev(2, "READ_ONCE", "m#1.seq", "4"),
        ev(2, "READ_ONCE", "m#1.pte", "1"),
        ev(2, "READ_ONCE", "m#1.seq", "4"),
        ev(2, "mutex_lock", "s#1.user_lock", ""),
        ev(2, "READ_ONCE", "m#1.seq", "4"),
        ev(2, "mutex_unlock", "s#1.user_lock", ""),
        ev(2, "VIOLATION", "X", "m"),
    ]);
    let l = export(&t).unwrap();
    let s = &l.text;
    assert!(s.contains("\tint m1_pte=1;"), "initial value inferred: {s}");
    assert!(s.contains("\tint m1_seq=2;"), "{s}");
    let p0 = &s[s.find("P0(").unwrap()..s.find("P1(").unwrap()];
    assert_eq!(p0.matches("READ_ONCE(*m1_seq)").count(), 1, "{p0}");
    assert!(
        p0.contains("WRITE_ONCE(*m1_seq, 4);\n\tr0 = READ_ONCE(*m1_seq);"),
        "{p0}"
    );
    assert!(
        p0.contains(
            "spin_lock(s1_user_lock);\n\tWRITE_ONCE(*m1_pte, 0);\n\tspin_unlock(s1_user_lock);"
        ),
        "a successful trylock is a lock: {p0}"
    );
    let p1 = &s[s.find("P1(").unwrap()..];
    assert_eq!(p1.matches("READ_ONCE(*m1_seq)").count(), 2, "{p1}");
    assert!(s.contains("Coherence-forced: 3 read(s) left out"), "{s}");
    assert!(
        s.contains("exists (0:r0=2 /\\ 1:r0=1 /\\ 1:r1=4 /\\ 1:r2=4)"),
        "{s}"
    );
}

/// The observation keyword herd7 gives a litmus test's text (`Never`, `Sometimes`, ...).
fn herd7_observation(name: &str, text: &str) -> String {
    let herd = std::env::var_os("KMODEL_HERD7")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/herd7/bin/herd7"));
    let herd = if herd.is_file() {
        std::fs::canonicalize(herd).unwrap()
    } else {
        PathBuf::from("herd7")
    };
    let dir = std::env::var_os("KMODEL_LKMM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/lkmm/tools/memory-model"));
    let file =
        std::env::temp_dir().join(format!("kmodel-test-{}-{name}.litmus", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let out = Command::new(herd)
        .current_dir(dir)
        .args(["-conf", "linux-kernel.cfg"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    stdout
        .lines()
        .find(|l| l.starts_with("Observation "))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or_else(|| panic!("no observation: {stdout}"))
        .to_string()
}

/// Leaving out a coherence-forced read changes no verdict: message passing with the writer
/// re-reading its own flag (forced), with and without the reader's smp_rmb(), exported (the
/// re-read left out) and written in full by hand, judged by herd7: Never and Sometimes both
/// ways. Cost: four herd7 runs (well under 1 s of CPU each).
#[test]
fn a_left_out_forced_read_changes_no_verdict() {
    if !herd7_available() {
        return;
    }
    for rmb in [true, false] {
        let mut events = vec![
            ev(0, "spawn", "CPU0", ""),
            ev(1, "WRITE_ONCE", "m#1.pte", "0"),
            ev(1, "smp_wmb", "", ""),
            ev(1, "WRITE_ONCE", "m#1.seq", "4"),
            ev(1, "READ_ONCE", "m#1.seq", "4"),
            ev(2, "READ_ONCE", "m#1.seq", "4"),
        ];
        if rmb {
            events.push(ev(2, "smp_rmb", "", ""));
        }
        events.push(ev(2, "READ_ONCE", "m#1.pte", "1"));
        events.push(ev(2, "VIOLATION", "X", "m"));
        let mut t = trace(events);
        t.scenario = format!("forced{}", u8::from(rmb));
        let l = export(&t).unwrap();
        assert!(
            l.text.contains("Coherence-forced: 1 read(s) left out"),
            "{}",
            l.text
        );
        let full = format!(
            "C full\n\n{{\n\tint m1_pte=1;\n\tint m1_seq=0;\n}}\n\n\
             P0(int *m1_pte, int *m1_seq)\n{{\n\tint r0;\n\n\tWRITE_ONCE(*m1_pte, 0);\n\
             \tsmp_wmb();\n\tWRITE_ONCE(*m1_seq, 4);\n\tr0 = READ_ONCE(*m1_seq);\n}}\n\n\
             P1(int *m1_pte, int *m1_seq)\n{{\n\tint r0;\n\tint r1;\n\n\
             \tr0 = READ_ONCE(*m1_seq);\n{}\tr1 = READ_ONCE(*m1_pte);\n}}\n\n\
             exists (0:r0=4 /\\ 1:r0=4 /\\ 1:r1=1)\n",
            if rmb { "\tsmp_rmb();\n" } else { "" }
        );
        let want = if rmb { "Never" } else { "Sometimes" };
        assert_eq!(herd7_observation("full", &full), want, "{full}");
        assert_eq!(herd7_observation("reduced", &l.text), want, "{}", l.text);
    }
}

/// The stale successful RMW (vendor/loom/KMODEL-PATCH.md, "A successful RMW may read a stale
/// value"): loom-MP+wmb+xchg_relaxed's counterexample (the reader's `xchg_relaxed(x, 2)`
/// reads 0 after seeing the flag) exports the xchg with its observed old value, and herd7
/// allows it; the same values with the fully ordered `xchg()` are forbidden. Cost: two herd7
/// runs (well under 1 s each).
#[test]
fn exports_a_stale_xchg_and_herd7_agrees() {
    let mp = |f: &str| {
        trace(vec![
            ev(1, "WRITE_ONCE", "obj#1.x", "1"),
            ev(1, "smp_wmb", "", ""),
            ev(1, "WRITE_ONCE", "obj#1.y", "1"),
            ev(2, "READ_ONCE", "obj#1.y", "1"),
            ev(2, f, "obj#1.x", "0->2"),
            ev(2, "VIOLATION", "X", "m"),
        ])
    };
    let relaxed = export(&mp("xchg_relaxed")).unwrap().text;
    assert!(
        relaxed.contains("r1 = xchg_relaxed(obj1_x, 2);"),
        "{relaxed}"
    );
    assert!(relaxed.contains("exists (1:r0=1 /\\ 1:r1=0)"), "{relaxed}");
    let full = export(&mp("xchg")).unwrap().text;
    assert!(full.contains("r1 = xchg(obj1_x, 2);"), "{full}");
    if !herd7_available() {
        return;
    }
    assert_eq!(
        herd7_observation("stale-xchg-relaxed", &relaxed),
        "Sometimes"
    );
    assert_eq!(herd7_observation("stale-xchg-full", &full), "Never");
}
