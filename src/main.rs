//! `kmodel`: check models of Linux GPU-memory concurrency protocols, and replay the races it
//! finds.
//!
//! Exit codes: 0 every verdict as expected (or a replay that passes), 1 a verdict not as
//! expected (or a replay that reproduces its violation), 2 bad usage or bad input.

mod cmd;
mod loom_build;

use kmodel::exit;

use clap::{Parser, Subcommand};

/// Exhaustive models of Linux kernel GPU-memory concurrency protocols (drm_gpuvm vm_bo
/// lifecycle, dma_fence under RCU, mmu interval notifiers), explored with loom and shuttle.
#[derive(Parser)]
#[command(name = "kmodel", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every scenario with its expected result.
    List(cmd::list::Args),
    /// Explore scenarios, judge each verdict against its expected result, save counterexamples.
    Check(cmd::check::Args),
    /// Re-execute a saved counterexample's interleaving and compare every step.
    Replay(cmd::replay::Args),
    /// Export a weak-memory counterexample as a litmus test and judge it by the LKMM (herd7).
    Litmus(cmd::litmus::Args),
}

/// clap's error as kmodel's one line: `error: … (hint: …)`. clap's own hint (its "tip")
/// is kept; otherwise the hint names the `--help` that lists the usage.
fn one_line(e: &clap::Error) -> String {
    use clap::error::ErrorKind;
    let rendered = e.render().to_string();
    let mut what = Vec::new();
    let mut tip = None;
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage:") {
            usage = Some(u.trim().to_string());
        } else if let Some(t) = line.strip_prefix("tip:") {
            tip.get_or_insert_with(|| t.trim().to_string());
        } else if line.starts_with("For more information") || usage.is_some() {
            // clap's pointer to --help, or the help text after the usage
        } else {
            what.push(
                line.strip_prefix("error:")
                    .unwrap_or(line)
                    .trim()
                    .to_string(),
            );
        }
    }
    // `kmodel replay [OPTIONS] <FILE>` → `kmodel replay`
    let command = usage
        .as_deref()
        .map(|u| {
            u.split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|c| c.contains(' '))
        .or_else(|| {
            // clap shows no usage for a bad value: the subcommand is the first argument that
            // names one.
            let names: Vec<String> = <Cli as clap::CommandFactory>::command()
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            std::env::args()
                .skip(1)
                .find(|a| names.contains(a))
                .map(|a| format!("kmodel {a}"))
        })
        .unwrap_or_else(|| "kmodel".into());
    // `--iterations -1`: clap reads `-1` as a flag and suggests `-- -1`, which is wrong here.
    if what.iter().any(|w| {
        w.strip_prefix("unexpected argument '-")
            .and_then(|r| r.split('\'').next())
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }) {
        tip = Some("counts and seeds are not negative".into());
    }
    let mut msg = what.join(" ");
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand
    ) || msg.is_empty()
    {
        let commands: Vec<String> = <Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        msg = format!("`{command}` needs a command: {}", commands.join(", "));
    }
    let hint = match tip {
        Some(t) => format!("{t}; `{command} --help` shows the usage"),
        None => format!("`{command} --help` shows the usage"),
    };
    format!("error: {} (hint: {hint})", msg.trim_end_matches(['.', ':']))
}

fn main() {
    // Die quietly, like any Unix filter, when the reader of stdout goes away (`kmodel replay
    // … | head`), instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            std::process::exit(exit::OK);
        }
        Err(e) => {
            eprintln!("{}", one_line(&e));
            std::process::exit(exit::USAGE);
        }
    };
    let result = match cli.command {
        Command::List(a) => cmd::list::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Replay(a) => cmd::replay::run(a),
        Command::Litmus(a) => cmd::litmus::run(a),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line, whatever the error carries.
            let msg = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("error: {msg}");
            std::process::exit(exit::USAGE);
        }
    }
}
