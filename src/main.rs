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
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let result = match cli.command {
        Command::List(a) => cmd::list::run(a),
        Command::Check(a) => cmd::check::run(a),
        Command::Replay(a) => cmd::replay::run(a),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(exit::USAGE);
        }
    }
}
