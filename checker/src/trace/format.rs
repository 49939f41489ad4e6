//! The trace file format, version 1. It is line-oriented text, meant to be read by people and
//! diffed by git:
//!
//! ```text
//! kmodel-trace 1
//! model: vm_bo_lifecycle
//! scenario: prepare_objects_unserialized
//! summary: two drm_gpuvm_prepare_objects() without the VM resv race with a final put
//! expected: reachable LIST_HEAD_UAF
//! explorer: loom preemption_bound=none
//! loom: 0.7.2
//! shuttle: 0.9.9
//! fingerprint: 5d0c0c3e2f7f6a11
//! cpus: CPU0=exec CPU1=exec CPU2=put
//! violation: LIST_HEAD_UAF
//! violation-tid: 3
//! violation-step: 57
//! message: list_del(...) writes through ...
//! replay: shuttle
//! loom-checkpoint: {...one line of JSON...}       (only for traces loom found)
//! lkmm: allowed                                  (optional: herd7's LKMM judgement)
//! steps: 57
//! ---
//! 1<TAB>main<TAB>0<TAB>kzalloc<TAB>vm#1<TAB>ok
//! ...
//! --- end
//! ```
//!
//! Every header key is required except `loom-checkpoint` and `lkmm`; unknown keys are refused (a newer
//! format must bump the version). The step count in the header and the `--- end` line catch
//! truncated files (the count is checked against the steps read, never used to reserve
//! memory). The violation is the last step, by `violation-tid`, with `message` as its result.
//! Fields never contain tabs or newlines (the writer replaces them, and the reader reads a
//! lone carriage return as the space the writer makes of it).

use super::{thread_name, Event, ReplayMode, Trace, Violation};

/// The trace format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &str = "kmodel-trace";
const END: &str = "--- end";

/// Why a trace file cannot be used. Every message ends with a hint.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("cannot read {path}: {source} (hint: check the path; traces live under counterexamples/<model>/)")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("not a kmodel trace: the first line is not `{MAGIC} <version>` (hint: pass a .trace file written by `kmodel check`)")]
    NotATrace,
    #[error("unsupported trace format version {found} (this kmodel reads version {supported}) (hint: re-run `kmodel check` with this kmodel to get a fresh trace)")]
    UnsupportedVersion { found: String, supported: u32 },
    #[error("trace header is missing `{0}` (hint: the file is damaged; re-run `kmodel check` to regenerate it)")]
    MissingField(&'static str),
    #[error("trace header has a bad `{field}`: {value:?} (hint: the file is damaged; re-run `kmodel check` to regenerate it)")]
    BadField { field: String, value: String },
    #[error("trace line {line} is not a step: {reason} (hint: the file is damaged; re-run `kmodel check` to regenerate it)")]
    BadStep { line: usize, reason: String },
    #[error("trace is truncated: the header announces {expected} steps, the file has {found} (hint: the file was cut short; re-run `kmodel check` to regenerate it)")]
    Truncated { expected: usize, found: usize },
    #[error("trace is for model `{model}` scenario `{scenario}`, which this kmodel does not have (hint: `kmodel list` shows the scenarios; the trace may come from another version)")]
    UnknownScenario { model: String, scenario: String },
    #[error(
        "cannot read {path}: {what} (hint: pass a regular .trace file written by `kmodel check`)"
    )]
    NotAFile { path: String, what: String },
    #[error("cannot read {path}: it is larger than {MAX_TRACE_BYTES} bytes, which no trace is (hint: pass a .trace file written by `kmodel check`)")]
    TooLarge { path: String },
    #[error("trace's violation does not match its last step: {0} (hint: the file is damaged; re-run `kmodel check` to regenerate it)")]
    Inconsistent(String),
}

/// The largest trace file the reader accepts. The largest committed trace is under 100 KiB
/// (most of it loom's checkpoint); a trace is a single execution of a small model.
pub const MAX_TRACE_BYTES: u64 = 64 << 20;

fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

impl Trace {
    /// The file text.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let v = &self.violation;
        let cpus: Vec<String> = self
            .cpus
            .iter()
            .enumerate()
            .map(|(i, n)| format!("CPU{i}={}", clean(n).replace(' ', "_")))
            .collect();
        let _ = writeln!(out, "{MAGIC} {FORMAT_VERSION}");
        let _ = writeln!(out, "model: {}", clean(&self.model));
        let _ = writeln!(out, "scenario: {}", clean(&self.scenario));
        let _ = writeln!(out, "summary: {}", clean(&self.summary));
        let _ = writeln!(out, "expected: {}", clean(&self.expected));
        let _ = writeln!(out, "explorer: {}", clean(&self.explorer));
        let _ = writeln!(out, "loom: {}", clean(&self.loom_version));
        let _ = writeln!(out, "shuttle: {}", clean(&self.shuttle_version));
        let _ = writeln!(out, "fingerprint: {}", clean(&self.fingerprint));
        let _ = writeln!(out, "cpus: {}", cpus.join(" "));
        let _ = writeln!(out, "violation: {}", clean(&v.invariant));
        let _ = writeln!(out, "violation-tid: {}", v.tid);
        let _ = writeln!(out, "violation-step: {}", v.step);
        let _ = writeln!(out, "message: {}", clean(&v.message));
        let _ = writeln!(out, "replay: {}", self.replay.as_str());
        if let Some(cp) = &self.loom_checkpoint {
            let _ = writeln!(out, "loom-checkpoint: {}", clean(cp));
        }
        if let Some(l) = &self.lkmm {
            let _ = writeln!(out, "lkmm: {}", clean(l));
        }
        let _ = writeln!(out, "steps: {}", self.events.len());
        let _ = writeln!(out, "---");
        for (i, e) in self.events.iter().enumerate() {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                i + 1,
                thread_name(e.tid),
                e.depth,
                clean(&e.op),
                clean(&e.obj),
                clean(&e.result)
            );
        }
        let _ = writeln!(out, "{END}");
        out
    }

    /// A name derived from the content that matters (model, scenario, violation, steps), so
    /// that the same counterexample found twice lands in the same file.
    pub fn content_name(&self) -> String {
        let body = self.to_text();
        let steps = body.split_once("\n---\n").map(|(_, s)| s).unwrap_or("");
        let h = super::fnv1a(&[
            &self.model,
            &self.scenario,
            &self.violation.invariant,
            steps,
        ]);
        format!("{}-{:012x}.trace", self.scenario, h >> 16)
    }

    /// Whether this trace replaces `old`, a trace of the same content name (the same steps,
    /// found by another explorer), so that the saved file does not depend on which explorer
    /// finished first: a loom trace (its checkpoint also replays it under loom's C11) over
    /// one without, then the explorer first by name (`dpor` < `loom …` < `pct …` <
    /// `random …`). A damaged `old` is always replaced, and so is one of another model
    /// version (another fingerprint): the content name does not include the fingerprint, so
    /// the same steps found on a changed model would otherwise leave the stale file in place
    /// and `check` would print a path whose trace departs from the current model.
    pub fn keeps_over(&self, old: &Trace) -> bool {
        if self.fingerprint != old.fingerprint {
            return true;
        }
        let rank = |t: &Trace| (t.loom_checkpoint.is_none(), t.explorer.clone());
        rank(self) < rank(old)
    }

    /// Read a trace file.
    ///
    /// Only a regular file is read, at most [`MAX_TRACE_BYTES`] of it: a FIFO, a device
    /// (`/dev/zero`), a directory or a socket is refused without reading (a FIFO with no writer
    /// is opened non-blocking, so it cannot hang the reader).
    pub fn read(path: &std::path::Path) -> Result<Trace, TraceError> {
        use std::io::Read;
        let shown = || path.display().to_string();
        let io = |source| TraceError::Io {
            path: shown(),
            source,
        };
        let not_a_file = |ft: std::fs::FileType| TraceError::NotAFile {
            path: shown(),
            what: file_kind(ft).to_string(),
        };
        // Refuse special files before opening them (opening a FIFO blocks for a writer).
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(not_a_file(meta.file_type()));
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        {
            // The path may have been swapped for a FIFO since: never block on open.
            use std::os::unix::fs::OpenOptionsExt;
            opts.custom_flags(libc::O_NONBLOCK);
        }
        let file = opts.open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(not_a_file(meta.file_type()));
        }
        let mut text = Vec::new();
        file.take(MAX_TRACE_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(io)?;
        if text.len() as u64 > MAX_TRACE_BYTES {
            return Err(TraceError::TooLarge { path: shown() });
        }
        let text = String::from_utf8(text).map_err(|_| TraceError::NotATrace)?;
        Trace::parse(&text)
    }

    /// Parse trace text.
    pub fn parse(text: &str) -> Result<Trace, TraceError> {
        let mut lines = text.lines().enumerate();
        let first = lines.next().map(|(_, l)| l).unwrap_or("");
        let version = first
            .strip_prefix(MAGIC)
            .map(str::trim)
            .ok_or(TraceError::NotATrace)?;
        if version.is_empty() {
            return Err(TraceError::NotATrace);
        }
        if version != FORMAT_VERSION.to_string() {
            return Err(TraceError::UnsupportedVersion {
                found: version.to_string(),
                supported: FORMAT_VERSION,
            });
        }
        let mut header: Vec<(String, String)> = Vec::new();
        let mut saw_separator = false;
        for (_, line) in lines.by_ref() {
            if line == "---" {
                saw_separator = true;
                break;
            }
            let (k, v) = line
                .split_once(": ")
                .or_else(|| line.strip_suffix(':').map(|k| (k, "")))
                .ok_or_else(|| TraceError::BadField {
                    field: "header line".into(),
                    value: line.to_string(),
                })?;
            const KNOWN: &[&str] = &[
                "model",
                "scenario",
                "summary",
                "expected",
                "explorer",
                "loom",
                "shuttle",
                "fingerprint",
                "cpus",
                "violation",
                "violation-tid",
                "violation-step",
                "message",
                "replay",
                "loom-checkpoint",
                "lkmm",
                "steps",
            ];
            if !KNOWN.contains(&k) {
                return Err(TraceError::BadField {
                    field: k.to_string(),
                    value: "unknown header key".into(),
                });
            }
            // A lone carriage return inside a value reads as the space the writer makes of it.
            header.push((k.to_string(), clean(v)));
        }
        if !saw_separator {
            // A header without its `---`: name the first missing field, else call it truncated.
            for f in ["model", "scenario", "violation", "steps"] {
                if !header.iter().any(|(k, _)| k == f) {
                    return Err(TraceError::MissingField(f));
                }
            }
            return Err(TraceError::Truncated {
                expected: 0,
                found: 0,
            });
        }
        let get = |f: &'static str| -> Result<String, TraceError> {
            header
                .iter()
                .find(|(k, _)| k == f)
                .map(|(_, v)| v.clone())
                .ok_or(TraceError::MissingField(f))
        };
        let num = |f: &'static str| -> Result<usize, TraceError> {
            let v = get(f)?;
            v.parse().map_err(|_| TraceError::BadField {
                field: f.to_string(),
                value: v,
            })
        };
        let cpus = get("cpus")?
            .split_whitespace()
            .enumerate()
            .map(|(i, c)| {
                let prefix = format!("CPU{i}=");
                c.strip_prefix(&prefix)
                    .map(str::to_string)
                    .ok_or_else(|| TraceError::BadField {
                        field: "cpus".into(),
                        value: c.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let replay = match get("replay")?.as_str() {
            "shuttle" => ReplayMode::Shuttle,
            "loom" => ReplayMode::Loom,
            other => {
                return Err(TraceError::BadField {
                    field: "replay".into(),
                    value: other.into(),
                })
            }
        };
        let nsteps = num("steps")?;
        // The header's count is checked against the steps read, never trusted for memory.
        let mut events = Vec::with_capacity(nsteps.min(4096));
        let mut ended = false;
        let last_line = text.lines().count().saturating_sub(1);
        let cut_short = !text.ends_with('\n');
        for (lineno, line) in lines {
            if line == END {
                ended = true;
                break;
            }
            if cut_short && lineno == last_line {
                // A partial last line: the file was cut in the middle of a step.
                return Err(TraceError::Truncated {
                    expected: nsteps,
                    found: events.len(),
                });
            }
            let bad = |reason: &str| TraceError::BadStep {
                line: lineno + 1,
                reason: reason.to_string(),
            };
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 6 {
                return Err(bad(
                    "expected 6 tab-separated fields: step, thread, depth, op, object, result",
                ));
            }
            let step: usize = f[0].parse().map_err(|_| bad("step is not a number"))?;
            if step != events.len() + 1 {
                return Err(bad("steps are not numbered 1, 2, 3, ..."));
            }
            let tid = parse_thread(f[1], cpus.len())
                .ok_or_else(|| bad("thread is not `main` or a declared CPU"))?;
            let depth: u8 = f[2]
                .parse()
                .map_err(|_| bad("depth is not a small number"))?;
            events.push(Event {
                tid,
                depth,
                op: clean(f[3]),
                obj: clean(f[4]),
                result: clean(f[5]),
            });
        }
        if !ended || events.len() != nsteps {
            return Err(TraceError::Truncated {
                expected: nsteps,
                found: events.len(),
            });
        }
        let violation = Violation {
            invariant: get("violation")?,
            message: get("message")?,
            tid: num("violation-tid")?,
            step: num("violation-step")?,
        };
        if violation.step == 0 || violation.step > events.len() || violation.tid > cpus.len() {
            return Err(TraceError::BadField {
                field: "violation-step".into(),
                value: violation.step.to_string(),
            });
        }
        // The violation is the last step, recorded by its thread (a violation stops the
        // execution that kmodel saves): a replay that follows every step before it and then
        // passes has followed the whole trace.
        let last = &events[events.len() - 1];
        let recorded = Event {
            tid: violation.tid,
            depth: last.depth,
            op: "VIOLATION".into(),
            obj: violation.invariant.clone(),
            result: clean(&violation.message),
        };
        if violation.step != events.len() {
            return Err(TraceError::Inconsistent(format!(
                "the header puts it at step {}, the trace has {} steps",
                violation.step,
                events.len()
            )));
        }
        if *last != recorded {
            return Err(TraceError::Inconsistent(format!(
                "the header says {} by {}, the last step is {} by {}",
                violation.invariant,
                thread_name(violation.tid),
                last.op,
                thread_name(last.tid)
            )));
        }
        Ok(Trace {
            model: get("model")?,
            scenario: get("scenario")?,
            summary: get("summary")?,
            expected: get("expected")?,
            explorer: get("explorer")?,
            loom_version: get("loom")?,
            shuttle_version: get("shuttle")?,
            fingerprint: get("fingerprint")?,
            cpus,
            violation,
            replay,
            loom_checkpoint: header
                .iter()
                .find(|(k, _)| k == "loom-checkpoint")
                .map(|(_, v)| v.clone()),
            lkmm: header
                .iter()
                .find(|(k, _)| k == "lkmm")
                .map(|(_, v)| v.clone()),
            events,
        })
    }

    /// Write the trace into `dir` under its content name, atomically: a temporary file
    /// `.NAME.PID.tmp` in the same directory, written and fsynced, renamed over the name, then
    /// the directory fsynced. An identical trace already there is kept. No temporary file
    /// survives a failed save, and temporary files left by killed kmodel processes (their PID
    /// is gone) are removed first. Returns the path.
    pub fn save_in(&self, dir: &std::path::Path) -> Result<std::path::PathBuf, SaveError> {
        let name = self.content_name();
        let err = |source: std::io::Error| SaveError {
            path: dir.join(&name).display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        remove_stale_temporaries(dir);
        let path = dir.join(&name);
        if path.exists() {
            // The same counterexample (same steps), found again, maybe by another explorer:
            // one file, whichever explorer saved first ([`Trace::keeps_over`]).
            match Trace::read(&path) {
                Ok(old) if !self.keeps_over(&old) => return Ok(path),
                _ => {}
            }
        }
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = write_synced(&tmp, self.to_text().as_bytes())
            .and_then(|()| std::fs::rename(&tmp, &path))
            .and_then(|()| sync_dir(dir));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        Ok(path)
    }
}

/// A trace that could not be saved: the path and a hint.
#[derive(Debug, thiserror::Error)]
#[error("cannot save {path}: {source} (hint: {})", save_hint(source))]
pub struct SaveError {
    pub path: String,
    pub source: std::io::Error,
}

fn save_hint(e: &std::io::Error) -> &'static str {
    #[cfg(unix)]
    match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => {
            return "the disk is full; free some space or pass `--out DIR` on another disk"
        }
        Some(libc::EROFS) => {
            return "the disk is read-only; pass `--out DIR` naming a writable directory"
        }
        Some(libc::ENOTDIR) | Some(libc::EEXIST) => {
            return "`--out` must name a directory, and DIR/<model> must not be a file"
        }
        _ => {}
    }
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "the directory is not writable; pass `--out DIR` naming a writable directory"
        }
        _ => "check that `--out` names a writable directory on a disk with space",
    }
}

/// How many saves have run in this process, for [`write_synced`]'s fault injection.
static SAVES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Write `bytes` to a new file `tmp` and fsync it.
///
/// Test hook: with `KMODEL_TEST_FAIL_SAVE=N` in the environment, the N-th save of the
/// process (1-based) fails after writing half of its bytes, with the error a full disk gives
/// (ENOSPC). The fault tests use it to check that no temporary file survives and that
/// `kmodel check` still prints its verdicts and the paths it saved.
fn write_synced(tmp: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let fail = std::env::var("KMODEL_TEST_FAIL_SAVE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        == Some(n);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)?;
    if fail {
        f.write_all(&bytes[..bytes.len() / 2])?;
        return Err(fault());
    }
    f.write_all(bytes)?;
    f.sync_all()
}

/// The injected fault: a full disk.
fn fault() -> std::io::Error {
    #[cfg(unix)]
    {
        std::io::Error::from_raw_os_error(libc::ENOSPC)
    }
    #[cfg(not(unix))]
    {
        std::io::Error::other("no space left on device (injected)")
    }
}

/// fsync a directory, so that a rename in it survives a crash.
fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Remove `.NAME.trace.PID.tmp` files in `dir` whose process is gone (a kmodel killed during
/// a save). Temporaries of live processes are theirs to finish.
pub fn remove_stale_temporaries(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|n| n.rsplit_once(".trace."))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` exists.
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: kill with signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// What a non-regular file is, for the error message.
fn file_kind(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "it is a FIFO, not a regular file";
        }
        if ft.is_char_device() || ft.is_block_device() {
            return "it is a device, not a regular file";
        }
        if ft.is_socket() {
            return "it is a socket, not a regular file";
        }
    }
    if ft.is_dir() {
        "it is a directory, not a file"
    } else {
        "it is not a regular file"
    }
}

fn parse_thread(s: &str, ncpus: usize) -> Option<usize> {
    if s == "main" {
        return Some(0);
    }
    let n: usize = s.strip_prefix("CPU")?.parse().ok()?;
    (n < ncpus).then(|| n + 1)
}
