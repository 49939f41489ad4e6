//! Fuzzing the trace reader in process: a mutation loop over the committed traces with a
//! seeded RNG. Every input either parses or is refused with one line that carries a hint;
//! none panics.
//!
//! `cargo test` runs 100,000 inputs (about 10 s in the opt-level-1 test build on one core).
//! The long run takes the count from the environment:
//!
//! ```sh
//! KMODEL_FUZZ_INPUTS=10000000 cargo test --release -p checker --test trace_fuzz -- --nocapture
//! ```
//!
//! (`KMODEL_FUZZ_SEED` picks another seed; a failure prints the seed and the input's number,
//! which reproduce it.)

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use checker::trace::Trace;

/// xorshift64*: small, seeded, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The committed traces, with the loom checkpoint line cut down to its first 200 bytes (the
/// checkpoint is opaque to the reader, and the full lines would make each input 50 times
/// longer without reaching more of the reader).
fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../counterexamples");
    let mut out = Vec::new();
    for model in std::fs::read_dir(root).unwrap() {
        let model = model.unwrap().path();
        if !model.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(model).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "trace") {
                let text = std::fs::read_to_string(&f).unwrap();
                let text: String = text
                    .lines()
                    .map(|l| {
                        if l.starts_with("loom-checkpoint: ") && l.len() > 200 {
                            &l[..l.char_indices().nth(200).map_or(l.len(), |(i, _)| i)]
                        } else {
                            l
                        }
                    })
                    .flat_map(|l| [l, "\n"])
                    .collect();
                out.push(text);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no committed traces to mutate");
    out
}

/// Values that make readers misbehave.
const NASTY: &[&str] = &[
    "",
    "0",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "2147483648",
    "4294967296",
    "99999999999999999999999",
    "\t",
    "\r",
    ":",
    ": ",
    "---",
    "--- end",
    "main",
    "CPU0",
    "CPU99",
    "CPU18446744073709551615",
    "VIOLATION",
    "kmodel-trace 1",
    "steps: 18446744073709551615",
    "violation-step: 0",
    "violation-tid: 99",
    "replay: loom",
    "replay: shuttle",
    "cpus: CPU0=a CPU1=b CPU2=c CPU3=d",
    "\u{feff}",
    "é",
    "\u{0}",
];

/// One mutant of `base` (another corpus entry `other` gives splices).
fn mutate(rng: &mut Rng, base: &str, other: &str) -> String {
    let mut lines: Vec<String> = base.lines().map(str::to_string).collect();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.below(lines.len());
        match rng.below(12) {
            // Replace a header value or a step field with a nasty value.
            0 => {
                let l = &lines[i];
                let v = NASTY[rng.below(NASTY.len())];
                lines[i] = if let Some((k, _)) = l.split_once(": ") {
                    format!("{k}: {v}")
                } else if l.contains('\t') {
                    let mut f: Vec<&str> = l.split('\t').collect();
                    let j = rng.below(f.len());
                    f[j] = v;
                    f.join("\t")
                } else {
                    v.to_string()
                };
            }
            // Delete, duplicate, swap lines.
            1 => {
                lines.remove(i);
            }
            2 => {
                let l = lines[i].clone();
                let n = 1 + rng.below(4);
                for _ in 0..n {
                    lines.insert(i, l.clone());
                }
            }
            3 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            // Insert a nasty line.
            4 => lines.insert(i, NASTY[rng.below(NASTY.len())].to_string()),
            // A line of another trace.
            5 => {
                let o: Vec<&str> = other.lines().collect();
                if !o.is_empty() {
                    lines.insert(i, o[rng.below(o.len())].to_string());
                }
            }
            // Flip a byte (kept valid UTF-8 by going through chars).
            6 => {
                let l = &lines[i];
                let mut cs: Vec<char> = l.chars().collect();
                if !cs.is_empty() {
                    let j = rng.below(cs.len());
                    cs[j] = char::from_u32(rng.below(0x250) as u32).unwrap_or('?');
                }
                lines[i] = cs.into_iter().collect();
            }
            // Truncate a line or the whole text.
            7 => {
                let l = &lines[i];
                let cut = l
                    .char_indices()
                    .nth(rng.below(l.len() + 1))
                    .map_or(l.len(), |(k, _)| k);
                lines[i] = l[..cut].to_string();
            }
            8 => lines.truncate(i),
            // A number in a line, changed.
            9 => {
                let deltas = ["0", "1", "-1", "+1", "00", "1e3", " 1", "1 "];
                let d = deltas[rng.below(deltas.len())];
                let l = lines[i].clone();
                if let Some(p) = l.find(|c: char| c.is_ascii_digit()) {
                    lines[i] = format!("{}{d}{}", &l[..p], &l[p..]);
                }
            }
            // Many fake steps.
            10 => {
                let n = 1 + rng.below(200);
                for k in 0..n {
                    lines.insert(i, format!("{}\tCPU0\t0\tkref_put\tvm#1\t1->0", k + 1));
                }
            }
            // Tabs and colons inside fields.
            _ => {
                let l = &mut lines[i];
                let p = l
                    .char_indices()
                    .nth(rng.below(l.len() + 1))
                    .map_or(l.len(), |(k, _)| k);
                let ins = ["\t", ":", ": ", " ", "\u{0}"][rng.below(5)];
                l.insert_str(p, ins);
            }
        }
    }
    let mut text = lines.join("\n");
    if rng.below(8) != 0 {
        text.push('\n');
    }
    text
}

/// Parse `text`; panic with the input if the reader panics or its error is not one line
/// with a hint.
fn check(text: &str, what: &str) -> bool {
    match catch_unwind(AssertUnwindSafe(|| Trace::parse(text))) {
        Err(_) => panic!("{what}: the reader panicked on:\n{text}"),
        Ok(Ok(t)) => {
            // What parses must be a trace the writer would write the same way.
            let again = Trace::parse(&t.to_text())
                .unwrap_or_else(|e| panic!("{what}: re-reading the writer's text: {e}"));
            assert_eq!(again, t, "{what}: round trip");
            true
        }
        Ok(Err(e)) => {
            let msg = e.to_string();
            assert!(
                !msg.contains('\n') && msg.contains("(hint: "),
                "{what}: not one line with a hint: {msg:?}"
            );
            false
        }
    }
}

fn run(inputs: u64, seed: u64) {
    let corpus = corpus();
    let mut rng = Rng(seed | 1);
    let start = std::time::Instant::now();
    let mut parsed = 0u64;
    for n in 0..inputs {
        let base = &corpus[rng.below(corpus.len())];
        let other = &corpus[rng.below(corpus.len())];
        let text = mutate(&mut rng, base, other);
        if check(&text, &format!("seed {seed} input {n}")) {
            parsed += 1;
        }
    }
    println!(
        "{inputs} mutated traces (seed {seed}): no panic, {parsed} parsed, {} refused in one line with a hint, {:.1}s",
        inputs - parsed,
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn mutated_traces_never_panic_and_every_error_is_one_line_with_a_hint() {
    let inputs = std::env::var("KMODEL_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed = std::env::var("KMODEL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x6b6d_6f64_656c);
    run(inputs, seed);
}

/// The documented long run: 10 million inputs (`cargo test --release -p checker --test
/// trace_fuzz -- --ignored`).
#[test]
#[ignore = "long: 10 million inputs"]
fn ten_million_mutated_traces() {
    run(10_000_000, 0x6b6d_6f64_656c);
}

#[test]
fn every_committed_trace_parses() {
    for (i, t) in corpus().iter().enumerate() {
        assert!(
            check(t, &format!("committed trace {i}")),
            "trace {i} refused"
        );
    }
}
