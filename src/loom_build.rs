//! How the normal (shuttle) build of kmodel reaches loom: loom needs the whole program built
//! with `--cfg loom`, so the CLI builds itself a second time with `RUSTFLAGS="--cfg loom"`
//! into `target/loom` and delegates loom explorations and loom replays to that binary
//! (docs/architecture.md, "One binary, two backends").

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

/// The repository root (where this package's Cargo.toml is).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build (or find up to date) the `--cfg loom` build of kmodel and return its path.
pub fn loom_binary() -> anyhow::Result<PathBuf> {
    let target = root().join("target").join("loom");
    eprintln!("kmodel: building the loom explorer (RUSTFLAGS=\"--cfg loom\" cargo build --release, into target/loom)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--bin", "kmodel"])
        .current_dir(root())
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", &target)
        .stdin(Stdio::null())
        .status()
        .context("cannot run cargo to build the loom explorer (hint: kmodel's loom runs need cargo on PATH)")?;
    if !status.success() {
        bail!("the loom build of kmodel failed (hint: run `RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom cargo build --release` to see why)");
    }
    Ok(target.join("release").join("kmodel"))
}

/// Run the loom build with `args`; returns (exit code, stdout, stderr).
pub fn run(args: &[String]) -> anyhow::Result<(i32, String, String)> {
    let bin = loom_binary()?;
    let out = Command::new(&bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    Ok((
        out.status.code().unwrap_or(kmodel::exit::USAGE),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}
