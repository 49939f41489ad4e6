//! `kmodel list`.

use kmodel::registry;

/// List every scenario with its expected result.
#[derive(clap::Args)]
pub struct Args {
    /// Only this model's scenarios.
    pub model: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let scenarios = registry::select(args.model.as_deref())?;
    let width = scenarios.iter().map(|s| s.id().len()).max().unwrap_or(0);
    for s in scenarios {
        println!(
            "{:width$}  {:32}  {}",
            s.id(),
            s.expected.describe(),
            s.summary
        );
    }
    Ok(kmodel::exit::OK)
}
