//! The execution's happens-before graph as Graphviz DOT (`kmodel replay --dot`).
//!
//! One column (cluster) per thread, its steps in program order. Edges:
//! - program order (black), spawn and join (black, bold);
//! - synchronizes-with from a lock release to the next acquire of that lock by another
//!   thread (blue, `sw`);
//! - reads-from from a store (or read-modify-write) to a load of another thread that read its
//!   value: the latest earlier store of that value to the object in the recorded order (green,
//!   dashed, `rf`); it is also synchronizes-with (`rf+sw`, solid) when the store releases and
//!   the load acquires;
//! - lock order (red, between lock classes at the bottom): a thread took the second lock while
//!   holding the first, as lockdep records it.
//!
//! Happens-before is the transitive closure of the black, blue and solid green edges. The
//! graph is built with petgraph, which also checks that it is acyclic.

use std::collections::HashMap;
use std::fmt::Write;

use petgraph::graph::{DiGraph, NodeIndex};

use super::access::{classify, stale_reads, Access};
use super::{thread_name, Event, Trace};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edge {
    Po,
    SpawnJoin,
    LockSw,
    Rf { sw: bool },
}

const RELEASE_STORES: &[&str] = &[
    "smp_store_release",
    "rcu_assign_pointer",
    "write_seqcount_end",
    "kref_put",
];
const ACQUIRE_LOADS: &[&str] = &[
    "smp_load_acquire",
    "rcu_dereference",
    "rcu_dereference_check",
    "read_seqcount_begin",
    "read_seqcount_retry",
];

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn label(e: &Event, step: usize, stale: Option<&String>) -> String {
    let call = if e.op == "VIOLATION" {
        format!("*** {} ***", e.obj)
    } else if e.obj.is_empty() {
        e.op.clone()
    } else {
        format!("{}({})", e.op, e.obj)
    };
    let res = match stale {
        Some(l) => format!(" reads {} (stale: latest is {l})", e.result),
        None if !e.result.is_empty() && e.op != "VIOLATION" => format!(" = {}", e.result),
        None => String::new(),
    };
    format!("{step}: {call}{res}")
}

/// The value a load-like event read, if it reads one.
fn read_value(e: &Event) -> Option<String> {
    match classify(e) {
        Access::Load { value } => Some(value),
        Access::Rmw { old, .. } => Some(old),
        _ => None,
    }
}

/// The value a store-like event left, if it writes one.
fn written_value(e: &Event) -> Option<String> {
    match classify(e) {
        Access::Store { value } => Some(value),
        Access::Rmw { new, .. } => Some(new),
        _ => None,
    }
}

/// The happens-before, reads-from and lock-order graph of the trace's execution, as DOT.
/// Function entries are left out (they are not steps of memory); every other event is a node.
pub fn render_dot(t: &Trace) -> String {
    let ev = &t.events;
    let stale = stale_reads(ev);
    let mut g: DiGraph<usize, Edge> = DiGraph::new();
    let mut node: HashMap<usize, NodeIndex> = HashMap::new();
    for (i, e) in ev.iter().enumerate() {
        if !e.op.ends_with("()") {
            node.insert(i, g.add_node(i));
        }
    }
    let nthreads = t.cpus.len() + 1;
    // Program order.
    let mut last: Vec<Option<usize>> =
        vec![None; nthreads.max(1 + ev.iter().map(|e| e.tid).max().unwrap_or(0))];
    let mut first_of: HashMap<usize, usize> = HashMap::new();
    for (i, e) in ev.iter().enumerate() {
        let Some(&n) = node.get(&i) else { continue };
        let tid = e.tid;
        if let Some(p) = last[tid] {
            g.add_edge(node[&p], n, Edge::Po);
        }
        last[tid] = Some(i);
        first_of.entry(tid).or_insert(i);
    }
    // Spawn and join.
    for (i, e) in ev.iter().enumerate() {
        let cpu = e
            .obj
            .strip_prefix("CPU")
            .and_then(|n| n.parse::<usize>().ok());
        match (e.op.as_str(), cpu) {
            ("spawn", Some(c)) => {
                if let Some(&f) = first_of.get(&(c + 1)) {
                    g.add_edge(node[&i], node[&f], Edge::SpawnJoin);
                }
            }
            ("join", Some(c)) => {
                let l = ev[..i]
                    .iter()
                    .rposition(|x| x.tid == c + 1 && !x.op.ends_with("()"));
                if let Some(l) = l {
                    g.add_edge(node[&l], node[&i], Edge::SpawnJoin);
                }
            }
            _ => {}
        }
    }
    // Lock release -> next acquire by another thread; lock order between classes.
    let mut last_release: HashMap<&str, usize> = HashMap::new();
    let mut held: Vec<Vec<&str>> = vec![Vec::new(); last.len()];
    let mut order: Vec<(String, String, usize)> = Vec::new();
    for (i, e) in ev.iter().enumerate() {
        match classify(e) {
            Access::Acquire if !e.obj.is_empty() => {
                if let Some(&r) = last_release.get(e.obj.as_str()) {
                    if ev[r].tid != e.tid {
                        g.add_edge(node[&r], node[&i], Edge::LockSw);
                    }
                }
                for h in &held[e.tid] {
                    if *h != e.obj && !order.iter().any(|(a, b, _)| a == h && *b == e.obj) {
                        order.push((h.to_string(), e.obj.clone(), i + 1));
                    }
                }
                held[e.tid].push(&e.obj);
            }
            Access::Release if !e.obj.is_empty() => {
                last_release.insert(&e.obj, i);
                if let Some(k) = held[e.tid].iter().rposition(|h| *h == e.obj) {
                    held[e.tid].remove(k);
                }
            }
            _ => {}
        }
    }
    // Reads-from: the latest earlier store of the value read.
    for (i, e) in ev.iter().enumerate() {
        let Some(v) = read_value(e) else { continue };
        let src = ev[..i]
            .iter()
            .rposition(|s| s.obj == e.obj && written_value(s).as_deref() == Some(v.as_str()));
        if let Some(s) = src {
            if ev[s].tid != e.tid {
                let sw = RELEASE_STORES.contains(&ev[s].op.as_str())
                    && (ACQUIRE_LOADS.contains(&e.op.as_str())
                        || matches!(classify(e), Access::Rmw { .. }));
                g.add_edge(node[&s], node[&i], Edge::Rf { sw });
            }
        }
    }
    let acyclic = !petgraph::algo::is_cyclic_directed(&g);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "digraph \"{}\" {{",
        dot_escape(&format!("{}/{}", t.model, t.scenario))
    );
    let _ = writeln!(
        out,
        "  label=\"{}/{}: {} at step {}{}\";\n  labelloc=t;\n  rankdir=TB;\n  newrank=true;\n  node [shape=box, fontname=monospace, fontsize=10];",
        dot_escape(&t.model),
        dot_escape(&t.scenario),
        dot_escape(&t.violation.invariant),
        t.violation.step,
        if acyclic { "" } else { " (the recorded order has a cycle: weak memory)" }
    );
    for tid in 0..last.len() {
        let title = if tid == 0 {
            "main".to_string()
        } else {
            format!(
                "{} ({})",
                thread_name(tid),
                t.cpus.get(tid - 1).map_or("", String::as_str)
            )
        };
        let _ = writeln!(
            out,
            "  subgraph cluster_{tid} {{\n    label=\"{}\";",
            dot_escape(&title)
        );
        for (i, e) in ev.iter().enumerate() {
            if e.tid != tid || !node.contains_key(&i) {
                continue;
            }
            let style = if e.op == "VIOLATION" {
                ", color=red, fontcolor=red"
            } else if stale.contains_key(&i) {
                ", color=orange"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    s{} [label=\"{}\"{style}];",
                i + 1,
                dot_escape(&label(e, i + 1, stale.get(&i)))
            );
        }
        let _ = writeln!(out, "  }}");
    }
    for ed in g.edge_indices() {
        let (a, b) = g.edge_endpoints(ed).expect("edge");
        let (a, b) = (g[a] + 1, g[b] + 1);
        let attrs = match g[ed] {
            Edge::Po => "",
            Edge::SpawnJoin => " [style=bold]",
            Edge::LockSw => " [color=blue, label=\"sw\", constraint=false]",
            Edge::Rf { sw: true } => " [color=darkgreen, label=\"rf+sw\", constraint=false]",
            Edge::Rf { sw: false } => {
                " [color=darkgreen, style=dashed, label=\"rf\", constraint=false]"
            }
        };
        let _ = writeln!(out, "  s{a} -> s{b}{attrs};");
    }
    if !order.is_empty() {
        let _ = writeln!(
            out,
            "  subgraph cluster_lockorder {{\n    label=\"lock order\";\n    node [shape=ellipse];"
        );
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (a, b, _) in &order {
            for l in [a, b] {
                let n = ids.len();
                if let std::collections::hash_map::Entry::Vacant(v) = ids.entry(l.as_str()) {
                    v.insert(n);
                    let _ = writeln!(out, "    l{n} [label=\"{}\"];", dot_escape(l));
                }
            }
        }
        for (a, b, step) in &order {
            let _ = writeln!(
                out,
                "    l{} -> l{} [color=red, label=\"step {step}\"];",
                ids[a.as_str()],
                ids[b.as_str()]
            );
        }
        let _ = writeln!(out, "  }}");
    }
    let _ = writeln!(out, "}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{ReplayMode, Violation};

    fn ev(tid: usize, op: &str, obj: &str, result: &str) -> Event {
        Event::new(tid, 0, op, obj, result)
    }

    fn trace() -> Trace {
        Trace {
            model: "litmus".into(),
            scenario: "locked \"x\"".into(),
            summary: String::new(),
            expected: String::new(),
            explorer: String::new(),
            loom_version: String::new(),
            shuttle_version: String::new(),
            fingerprint: String::new(),
            lkmm: None,
            cpus: vec!["a".into(), "b".into()],
            violation: Violation {
                invariant: "X".into(),
                message: "m".into(),
                tid: 2,
                step: 11,
            },
            replay: ReplayMode::Shuttle,
            loom_checkpoint: None,
            events: vec![
                ev(0, "spawn", "CPU0", ""),
                ev(0, "spawn", "CPU1", ""),
                ev(1, "spin_lock", "l#1.a", ""),
                ev(1, "spin_lock", "l#1.b", ""),
                ev(1, "smp_store_release", "v#1.x", "1"),
                ev(1, "spin_unlock", "l#1.b", ""),
                ev(1, "spin_unlock", "l#1.a", ""),
                ev(2, "spin_lock", "l#1.a", ""),
                ev(2, "smp_load_acquire", "v#1.x", "1"),
                ev(2, "spin_unlock", "l#1.a", ""),
                ev(2, "VIOLATION", "X", "m"),
            ],
        }
    }

    #[test]
    fn edges_of_each_kind() {
        let d = render_dot(&trace());
        assert!(d.contains("subgraph cluster_1"), "{d}");
        assert!(d.contains("s7 -> s8 [color=blue"), "{d}");
        assert!(
            d.contains("s5 -> s9 [color=darkgreen, label=\"rf+sw\""),
            "{d}"
        );
        assert!(d.contains("s1 -> s3 [style=bold]"), "{d}");
        assert!(d.contains("l0 -> l1 [color=red, label=\"step 4\"]"), "{d}");
        assert!(d.contains("locked \\\"x\\\""), "{d}");
    }

    /// The DOT is valid Graphviz input: `dot` renders it (skipped where graphviz is not
    /// installed; CI does not need it).
    #[test]
    fn dot_renders_when_graphviz_is_installed() {
        use std::io::Write as _;
        let Ok(mut child) = std::process::Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
        else {
            println!("skipped: graphviz `dot` is not installed");
            return;
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(render_dot(&trace()).as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "dot failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
}
