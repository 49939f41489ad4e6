//! The interleaving as a kernel commit message shows a race: one column per CPU, time going
//! down, each row one step.

use super::{thread_name, Trace};

const MAX_COL: usize = 46;

fn cell(e: &super::Event) -> String {
    let indent = "  ".repeat(e.depth as usize);
    let mut s = if e.op == "VIOLATION" {
        format!("*** {} ***", e.obj)
    } else if e.op.ends_with("()") {
        format!(
            "{indent}{}{}",
            e.op.trim_end_matches(')'),
            if e.obj.is_empty() {
                ")".into()
            } else {
                format!("{})", e.obj)
            }
        )
    } else if e.obj.is_empty() {
        format!("{indent}{}", e.op)
    } else {
        format!("{indent}{}({})", e.op, e.obj)
    };
    if !e.result.is_empty() && e.op != "VIOLATION" {
        s.push_str(" = ");
        s.push_str(&e.result);
    }
    if s.chars().count() > MAX_COL {
        s = s.chars().take(MAX_COL - 1).collect::<String>() + "…";
    }
    s
}

/// Render the trace: setup lines (main thread before the first CPU step), the CPU columns,
/// the main thread's final checks, and the violation.
pub fn render_columns(t: &Trace) -> String {
    use std::fmt::Write;
    let ncpu = t.cpus.len();
    let first_cpu = t
        .events
        .iter()
        .position(|e| e.tid != 0)
        .unwrap_or(t.events.len());
    let last_cpu = t
        .events
        .iter()
        .rposition(|e| e.tid != 0)
        .map(|i| i + 1)
        .unwrap_or(first_cpu);
    let mut out = String::new();
    if first_cpu > 0 {
        let _ = writeln!(out, "Setup (main):");
        for e in &t.events[..first_cpu] {
            let _ = writeln!(out, "  {}", cell(e));
        }
        out.push('\n');
    }
    let headers: Vec<String> = (0..ncpu)
        .map(|i| format!("CPU{i} ({})", t.cpus[i]))
        .collect();
    let mut width = vec![0usize; ncpu];
    for (i, h) in headers.iter().enumerate() {
        width[i] = h.chars().count();
    }
    for e in &t.events[first_cpu..last_cpu] {
        if e.tid > 0 {
            width[e.tid - 1] = width[e.tid - 1].max(cell(e).chars().count());
        }
    }
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let row = |cols: Vec<String>| -> String {
        let mut line = String::new();
        for (i, c) in cols.iter().enumerate() {
            if i + 1 == cols.len() {
                line.push_str(c);
            } else {
                line.push_str(&pad(c, width[i]));
                line.push_str("   ");
            }
        }
        line.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", row(headers.clone()));
    let _ = writeln!(
        out,
        "{}",
        row((0..ncpu).map(|i| "-".repeat(width[i])).collect())
    );
    for e in &t.events[first_cpu..last_cpu] {
        if e.tid == 0 {
            let _ = writeln!(out, "[main] {}", cell(e));
            continue;
        }
        let mut cols = vec![String::new(); ncpu];
        cols[e.tid - 1] = cell(e);
        let _ = writeln!(out, "{}", row(cols));
    }
    if last_cpu < t.events.len() {
        out.push('\n');
        let _ = writeln!(out, "Afterwards (main):");
        for e in &t.events[last_cpu..] {
            let _ = writeln!(out, "  {}", cell(e));
        }
    }
    let v = &t.violation;
    let _ = writeln!(
        out,
        "\n{} at step {} on {}:\n  {}",
        v.invariant,
        v.step,
        thread_name(v.tid),
        v.message
    );
    out
}
