//! `kmodel list`.

use kmodel::registry;

/// List every scenario with its expected result and the witnesses its verdict needs.
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
        if !s.witnesses.is_empty() {
            let names: Vec<&str> = s.witnesses.iter().map(|w| w.name).collect();
            println!("{:width$}  witnesses: {}", "", names.join(", "));
        }
    }
    Ok(kmodel::exit::OK)
}
