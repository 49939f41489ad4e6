//! How large a vm_bo configuration loom explores to completion: `prepare_objects_serialized`
//! (upstream, default list-locking mode) with more exec CPUs and more external GEMs, smallest
//! first. Each line is one full exploration: CPUs (exec + unmap) × GEMs, executions, seconds.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo bench --bench loom_scale [-- FILTER]
//! ```
//!
//! There is no time limit inside: stop it when a configuration exceeds your budget (the table
//! in models/vm_bo_lifecycle/README.md was measured with a 10-minute limit per line).

#[cfg(loom)]
fn main() {
    use checker::explore::{run, Explorer};
    use vm_bo_lifecycle::scenarios::prepare_objects_scale as scale;
    let filter = std::env::args().nth(1).filter(|a| a != "--bench");
    let configs = [
        scale::<1, 2>(),
        scale::<2, 2>(),
        scale::<1, 3>(),
        scale::<2, 3>(),
        scale::<3, 2>(),
        scale::<1, 4>(),
        scale::<2, 4>(),
        scale::<3, 3>(),
    ];
    println!(
        "{:<32} {:>6} {:>12} {:>10}  verdict",
        "configuration", "CPUs", "executions", "seconds"
    );
    for s in configs {
        if filter.as_deref().is_some_and(|f| !s.name.contains(f)) {
            continue;
        }
        let s: &'static _ = Box::leak(Box::new(s));
        let o = run(
            s,
            Explorer::Loom {
                preemption_bound: None,
            },
        );
        println!(
            "{:<32} {:>6} {:>12} {:>10.1}  {}",
            s.name,
            s.cpus.len(),
            o.executions,
            o.seconds,
            o.verdict()
        );
    }
}

#[cfg(not(loom))]
fn main() {
    eprintln!("loom_scale needs a loom build: RUSTFLAGS=\"--cfg loom\" CARGO_TARGET_DIR=target/loom cargo bench --bench loom_scale");
}
