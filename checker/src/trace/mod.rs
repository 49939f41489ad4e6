//! Counterexample traces: the event log of one execution, kmodel's versioned text format,
//! and the CPU-column rendering a kernel commit message uses.

pub mod access;
mod dot;
mod format;
pub mod litmus;
mod render;

pub use dot::render_dot;
pub use format::{
    remove_stale_temporaries, SaveError, TraceError, FORMAT_VERSION, MAX_TRACE_BYTES,
};
pub use render::{condensed_steps, header, render, render_columns, View, CONDENSED_ROWS};

/// One thing a CPU did: a kernel-level operation on an object, with its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// 0 is the scenario's main thread, `n` is CPU`n-1`.
    pub tid: usize,
    /// Call depth inside model functions (for indentation).
    pub depth: u8,
    /// Kernel-level operation (`kref_put`, `spin_lock`, `list_del`, or a model function name
    /// followed by `()` when it is entered).
    pub op: String,
    /// The object it acted on (`vm_bo#1`, `vm#1.evict.lock`).
    pub obj: String,
    /// What it returned or changed (`1->0`, `NULL`, `ok`).
    pub result: String,
}

impl Event {
    /// The event `op(obj) = result` of thread `tid` at call depth `depth`.
    pub fn new(tid: usize, depth: u8, op: &str, obj: &str, result: &str) -> Event {
        Event {
            tid,
            depth,
            op: op.into(),
            obj: obj.into(),
            result: result.into(),
        }
    }

    /// One line: `CPU0 READ_ONCE(v#1.x) = 1`.
    pub fn describe(&self) -> String {
        format!(
            "{} {}({}) = {}",
            thread_name(self.tid),
            self.op,
            self.obj,
            self.result
        )
    }
}

/// A broken invariant, where and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's name (`LIST_HEAD_UAF`).
    pub invariant: String,
    /// What happened, in kernel terms, with the numbers.
    pub message: String,
    /// The thread that hit it (0 = main).
    pub tid: usize,
    /// 1-based step of the trace at which it was reported.
    pub step: usize,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({} at step {})",
            self.invariant,
            self.message,
            thread_name(self.tid),
            self.step
        )
    }
}

/// The context switches of an event log: consecutive steps taken by different threads (the
/// main thread counts as one). What [`crate::replay::minimize`] reduces.
pub fn context_switches(events: &[Event]) -> usize {
    events.windows(2).filter(|w| w[0].tid != w[1].tid).count()
}

/// `main` or `CPU<n>`.
pub fn thread_name(tid: usize) -> String {
    if tid == 0 {
        "main".to_string()
    } else {
        format!("CPU{}", tid - 1)
    }
}

/// How a trace is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayMode {
    /// By shuttle, following the recorded per-CPU event order (sequentially consistent).
    Shuttle,
    /// By loom, from the checkpoint carried in the trace: the interleaving needs a load that
    /// reads a value other than the latest store (weak memory), which shuttle cannot produce.
    Loom,
}

impl ReplayMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayMode::Shuttle => "shuttle",
            ReplayMode::Loom => "loom",
        }
    }
}

/// A saved counterexample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub model: String,
    pub scenario: String,
    pub summary: String,
    /// `reachable <INVARIANT>` or `unreachable`.
    pub expected: String,
    /// The explorer and its settings (`loom preemption_bound=2`, `pct depth=3 seed=42`).
    pub explorer: String,
    pub loom_version: String,
    pub shuttle_version: String,
    /// Fingerprint of the model and checker sources the trace was found with.
    pub fingerprint: String,
    /// Names of CPU0, CPU1, ... as the scenario declares them.
    pub cpus: Vec<String>,
    pub violation: Violation,
    pub replay: ReplayMode,
    /// loom's checkpoint (its internal path, JSON) of the failing execution, when loom found it.
    pub loom_checkpoint: Option<String>,
    /// What herd7 says of the counterexample under the Linux-kernel memory model (`allowed`,
    /// `forbidden (C11 only)`, `not judged (…)`), for a weak-memory (`replay: loom`) trace
    /// judged when it was saved; `None` in traces written without herd7 (header key `lkmm:`,
    /// optional).
    pub lkmm: Option<String>,
    pub events: Vec<Event>,
}

/// 64-bit FNV-1a, for fingerprints and content names (stable across builds and platforms).
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A Rust source's code without its comments and layout, for fingerprints: comments (doc
/// comments included) are dropped, and whitespace is kept only as one space between two
/// identifier characters. String and character literals are kept as written. A comment-only
/// or whitespace-only edit of a model therefore keeps its traces' fingerprint.
pub fn code_of(src: &str) -> String {
    let s = src.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut space = false;
    let mut i = 0;
    let push = |out: &mut Vec<u8>, space: &mut bool, bytes: &[u8]| {
        if *space && out.last().is_some_and(|&p| ident(p)) && ident(bytes[0]) {
            out.push(b' ');
        }
        *space = false;
        out.extend_from_slice(bytes);
    };
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c.is_ascii_whitespace() {
            space = true;
            i += 1;
        } else if c == b'/' && next == Some(b'/') {
            while i < s.len() && s[i] != b'\n' {
                i += 1;
            }
            space = true;
        } else if c == b'/' && next == Some(b'*') {
            let mut depth = 0usize;
            while i < s.len() {
                if s[i] == b'/' && s.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == b'*' && s.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            space = true;
        } else if c == b'r'
            && !out.last().is_some_and(|&p| ident(p) && p != b'b')
            && matches!(next, Some(b'"') | Some(b'#'))
            && s[i + 1..]
                .iter()
                .position(|&b| b != b'#')
                .is_some_and(|k| s[i + 1 + k] == b'"')
        {
            // A raw string: r"…", r#"…"#, …
            let hashes = s[i + 1..].iter().take_while(|&&b| b == b'#').count();
            let body = i + 2 + hashes;
            let mut close = vec![b'#'; hashes + 1];
            close[0] = b'"';
            let end = s[body..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(s.len(), |k| body + k + close.len());
            push(&mut out, &mut space, &s[i..end]);
            i = end;
        } else if c == b'"' {
            let mut j = i + 1;
            while j < s.len() && s[j] != b'"' {
                j += if s[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(s.len());
            push(&mut out, &mut space, &s[i..end]);
            i = end;
        } else if c == b'\'' {
            // A character literal ('x', '\n', '\''), else a lifetime or a label.
            let end = if next == Some(b'\\') {
                s[i + 2..]
                    .iter()
                    .position(|&b| b == b'\'')
                    .map(|k| i + 2 + k + 1)
            } else {
                let len = std::str::from_utf8(&s[i + 1..(i + 5).min(s.len())])
                    .ok()
                    .or_else(|| std::str::from_utf8(&s[i + 1..(i + 4).min(s.len())]).ok())
                    .or_else(|| std::str::from_utf8(&s[i + 1..(i + 3).min(s.len())]).ok())
                    .or_else(|| std::str::from_utf8(&s[i + 1..(i + 2).min(s.len())]).ok())
                    .and_then(|t| t.chars().next())
                    .map_or(1, char::len_utf8);
                (s.get(i + 1 + len) == Some(&b'\'')).then_some(i + 1 + len + 1)
            };
            let end = end.unwrap_or(i + 1).min(s.len());
            push(&mut out, &mut space, &s[i..end]);
            i = end;
        } else {
            push(&mut out, &mut space, &s[i..i + 1]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
