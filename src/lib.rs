//! The `kmodel` package: the CLI binary (src/main.rs) and this small library, which holds
//! what the binary and the tests share: the registry of every model's scenarios, the exit
//! codes, and the usage error.

pub mod registry;

/// Exit codes of the CLI.
pub mod exit {
    /// Every verdict as expected (or a replay that passes now).
    pub const OK: i32 = 0;
    /// A verdict not as expected, or a replay that reproduced its violation.
    pub const FOUND: i32 = 1;
    /// Bad usage or bad input.
    pub const USAGE: i32 = 2;
}

/// An error that ends the command with exit code 2 and one line on stderr.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
