//! One module per subcommand.

pub mod check;
pub mod list;
pub mod litmus;
pub mod replay;
