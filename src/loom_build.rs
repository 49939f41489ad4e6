//! How the normal (shuttle) build of kmodel reaches loom: loom needs the whole program built
//! with `--cfg loom`, so the CLI builds itself a second time with `RUSTFLAGS="--cfg loom"`
//! into `target/loom` and delegates loom explorations and loom replays to that binary
//! (docs/architecture.md, "One binary, two backends").

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

/// The repository root (where this package's Cargo.toml is).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Set by `--json`: no status line on stderr either.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// No "building the loom explorer" line (`kmodel check --json`).
pub fn quiet() {
    QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Build (or find up to date) the `--cfg loom` build of kmodel and return its path. The
/// build runs once per process: a check that runs loom and then replays with it builds
/// (and says so) once.
///
/// Test hook: `KMODEL_TEST_LOOM_BIN=PATH` skips the build and runs PATH instead (the CLI
/// tests check what the delegation passes and that the child dies with its parent).
pub fn loom_binary() -> anyhow::Result<PathBuf> {
    static BUILT: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(bin) = built.as_ref() {
        return Ok(bin.clone());
    }
    let bin = build()?;
    *built = Some(bin.clone());
    Ok(bin)
}

fn build() -> anyhow::Result<PathBuf> {
    use std::io::IsTerminal;
    if let Some(bin) = std::env::var_os("KMODEL_TEST_LOOM_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let target = root().join("target").join("loom");
    // A status line for a person waiting at a terminal; piped or --json output stays clean.
    if std::io::stderr().is_terminal() && !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("kmodel: building the loom explorer (RUSTFLAGS=\"--cfg loom\" cargo build --release, into target/loom)");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--quiet", "--bin", "kmodel"])
        .current_dir(root())
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", &target)
        .stdin(Stdio::null());
    die_with_parent(&mut cmd);
    let status = cmd.status().context(
        "cannot run cargo to build the loom explorer (hint: kmodel's loom runs need cargo on PATH)",
    )?;
    if !status.success() {
        bail!("the loom build of kmodel failed (hint: run `RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom cargo build --release` to see why)");
    }
    Ok(target.join("release").join("kmodel"))
}

/// Run the loom build with `args`; returns (exit code, stdout, stderr). The child dies with
/// this process (see [`die_with_parent`]).
pub fn run(args: &[OsString]) -> anyhow::Result<(i32, String, String)> {
    run_with_progress(args, None)
}

/// The env var that asks a `check` of the loom build to write [`PROGRESS_PREFIX`] lines on
/// stderr (its stdout is the JSON the parent reads).
pub const PROGRESS_ENV: &str = "KMODEL_PROGRESS";
/// `kmodel-progress DONE TOTAL EXECUTIONS`: explorations done, explorations in all, loom
/// executions so far.
pub const PROGRESS_PREFIX: &str = "kmodel-progress ";

/// Run the loom build with `args`, passing each progress line it writes (without the prefix)
/// to `progress` when given; returns (exit code, stdout, the rest of stderr).
pub fn run_with_progress(
    args: &[OsString],
    progress: Option<&(dyn Fn(&str) + Sync)>,
) -> anyhow::Result<(i32, String, String)> {
    use std::io::{BufRead, Read};
    let bin = loom_binary()?;
    let mut cmd = Command::new(&bin);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    die_with_parent(&mut cmd);
    if progress.is_some() {
        cmd.env(PROGRESS_ENV, "1");
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let mut out = child.stdout.take().expect("piped stdout");
    let err = child.stderr.take().expect("piped stderr");
    let (stdout, stderr) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut rest = String::new();
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                match (line.strip_prefix(PROGRESS_PREFIX), progress) {
                    (Some(p), Some(f)) => f(p),
                    (Some(_), None) => {}
                    (None, _) => {
                        rest.push_str(&line);
                        rest.push('\n');
                    }
                }
            }
            rest
        });
        let mut stdout = Vec::new();
        let _ = out.read_to_end(&mut stdout);
        (stdout, reader.join().unwrap_or_default())
    });
    let status = child
        .wait()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    Ok((
        status.code().unwrap_or(kmodel::exit::USAGE),
        String::from_utf8_lossy(&stdout).into_owned(),
        stderr,
    ))
}

/// Make the child die when this process dies, however it dies (`kill -9` included): Linux's
/// parent-death signal, set in the child between fork and exec. A kill of `kmodel check`
/// then takes its loom explorer with it instead of leaving it running.
fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls (prctl, getppid) run between fork and exec.
        let parent = unsafe { libc::getpid() };
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before the prctl: then nobody would signal us.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}
