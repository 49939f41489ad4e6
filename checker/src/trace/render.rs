//! The interleaving as a kernel commit message shows a race: one column per CPU, time going
//! down, each row one step.
//!
//! Two views. [`View::Full`] prints every step. [`View::Condensed`] (what `kmodel replay`
//! prints by default) prints what a commit message needs: each CPU's top-level calls, the
//! violations, and the steps that take part in the race (see [`condensed_steps`]). Both print
//! every cell whole: a column is as wide as its widest cell. A function's entry is drawn on
//! the row of its first step (entering a function is not a scheduling point, so the row
//! where the recorder saw it can sit above another CPU's steps that ran before it did
//! anything). A load that read a value other than the latest store to its object in the
//! recorded order (weak memory: loom-mode traces only) says `reads X (stale: latest is Y)`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write;

use super::access::{classify, stale_reads, writes, Access};
use super::{thread_name, Event, Trace};

/// Which steps to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Top-level calls, violations and the steps of the race; fits a commit message.
    Condensed,
    /// Every step, setup and nested calls included.
    Full,
}

/// The most rows the condensed view draws in the CPU columns when it has to choose (the
/// top-level calls and the violations are always drawn). With the replay header and verdict
/// this keeps `kmodel replay` within 25 lines.
pub const CONDENSED_ROWS: usize = 15;

fn is_entry(e: &Event) -> bool {
    e.op.ends_with("()")
}

fn call(e: &Event) -> String {
    if is_entry(e) {
        format!("{}{})", e.op.trim_end_matches(')'), e.obj)
    } else if e.obj.is_empty() {
        e.op.clone()
    } else {
        format!("{}({})", e.op, e.obj)
    }
}

/// One cell: the call, and what it returned; a stale load says what it missed.
fn cell(e: &Event, indent: usize, stale: Option<&String>, context: Option<&str>) -> String {
    if e.op == "VIOLATION" {
        return format!("*** {} ***", e.obj);
    }
    let mut s = format!("{}{}", "  ".repeat(indent), call(e));
    match stale {
        Some(latest) => {
            let _ = write!(s, " reads {} (stale: latest is {latest})", e.result);
        }
        None if !e.result.is_empty() => {
            let _ = write!(s, " = {}", e.result);
        }
        None => {}
    }
    if let Some(f) = context {
        let _ = write!(s, "  (in {f})");
    }
    s
}

/// The object names a violation message mentions (`vm_bo#2.list.entry.extobj`,
/// `fence_cache[0]`, `CPU1:drm_gpuvm_prepare_objects.extobjs`), found as the objects of the
/// trace's events and their `.`-prefixes.
fn mentioned(events: &[Event], message: &str) -> HashSet<String> {
    let mut names: HashSet<&str> = HashSet::new();
    for e in events {
        if e.obj.is_empty() || e.op == "VIOLATION" {
            continue;
        }
        let o = e.obj.split(" (").next().unwrap_or(&e.obj);
        names.insert(o);
        for (i, c) in o.char_indices() {
            if c == '.' {
                names.insert(&o[..i]);
            }
        }
    }
    let boundary =
        |c: Option<char>| !matches!(c, Some(c) if c.is_alphanumeric() || "_#[".contains(c));
    names
        .into_iter()
        .filter(|n| {
            message.match_indices(n).any(|(i, _)| {
                let before = message[..i].chars().next_back();
                let after = message[i + n.len()..].chars().next();
                boundary(before)
                    && boundary(after)
                    && !(after == Some('.')
                        && message[i + n.len() + 1..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric()))
            })
        })
        .map(str::to_string)
        .collect()
}

/// The steps the condensed view draws, as indices into `t.events` (setup excluded).
///
/// Always: every violation, what a violation message points at (`at step N`), every stale
/// load, and each CPU's top-level calls. Then, by rank, as many as fit in [`CONDENSED_ROWS`] rows (within a rank, the
/// violating thread's first, then the nearest to the last violation):
/// 1. the writes to an object a violation message names
///    (`vm_bo#2.list.entry.extobj`, `fence_cache[0]`), the violating CPU's loads of a
///    pointer to such an object (`rcu_access_pointer(syncobj#1.fence) = fence_cache[0]`),
///    and the writes of the locations those loads read (the pointer's replacement); the
///    calls the violating CPU was inside when it failed;
/// 2. the reads of such an object, and the writes to a part of one
///    (`fence_cache[0].refcount`) that at least two threads touch after setup (written
///    by one of them or not: a part two CPUs only read is the trace of a missing write), and
///    nested calls on a named object;
///    the violating CPU's own accesses to a part of a named object rank 3 with the reads;
/// 3. the reads of such a part, a call's `return`/`answer`, and the other top-level steps
///    (the main thread's after the CPUs started, spawns and joins aside);
/// 4. what orders them: the acquire and release of the innermost lock (or RCU read-side
///    section) held around each access of ranks 1 to 3.
pub fn condensed_steps(t: &Trace) -> Vec<usize> {
    let ev = &t.events;
    let first = ev.iter().position(|e| e.tid != 0).unwrap_or(ev.len());
    let stale = stale_reads(ev);
    let mut shown: BTreeSet<usize> = stale.keys().copied().filter(|&i| i >= first).collect();
    let mut names: HashSet<String> = HashSet::new();
    for (i, e) in ev.iter().enumerate() {
        if e.op != "VIOLATION" {
            continue;
        }
        shown.insert(i);
        names.extend(mentioned(ev, &e.result));
        for w in e.result.split("step ").skip(1) {
            let n: String = w.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = n.parse::<usize>() {
                if n > first && n - 1 < ev.len() {
                    shown.insert(n - 1);
                }
            }
        }
    }
    // Who touches each object after setup, and whether anyone writes it.
    let mut users: HashMap<&str, (HashSet<usize>, bool)> = HashMap::new();
    for e in &ev[first..] {
        let u = users.entry(e.obj.as_str()).or_default();
        u.0.insert(e.tid);
        u.1 |= writes(e);
    }
    let base = |o: &str| o.split(" (").next().unwrap_or(o).to_string();
    let part_of = |o: &str| {
        names.iter().any(|n| {
            o.len() > n.len() && o.starts_with(n.as_str()) && o[n.len()..].starts_with(['.', '['])
        })
    };
    // Where the violating CPU's pointer came from: its loads whose value is a named object
    // (`rcu_access_pointer(syncobj#1.fence) = fence_cache[0] (fence#1)`), and the locations
    // they read, whose writes after setup (the replacement of the pointer) rank with them.
    let culprit = t.violation.tid;
    let pointer_loads: HashSet<usize> = ev
        .iter()
        .enumerate()
        .skip(first)
        .filter(|(_, e)| {
            e.tid == culprit
                && matches!(classify(e), Access::Load { .. } | Access::Rmw { .. })
                && names.contains(&base(&e.result))
        })
        .map(|(i, _)| i)
        .collect();
    let pointer_slots: HashSet<&str> = pointer_loads.iter().map(|&i| ev[i].obj.as_str()).collect();
    // The calls the violating CPU was inside when it failed (the path to an AA deadlock's
    // second spin_lock(): dma_fence_enable_sw_signaling → … → dma_fence_signal).
    let mut call_path: HashSet<usize> = HashSet::new();
    if let Some(v) = ev
        .iter()
        .rposition(|e| e.op == "VIOLATION" && e.tid == culprit)
    {
        let mut depth = ev[v].depth;
        for j in (first..v).rev() {
            if depth == 0 {
                break;
            }
            let e = &ev[j];
            if e.tid == culprit && is_entry(e) && e.depth < depth {
                call_path.insert(j);
                depth = e.depth;
            }
        }
    }
    let mut ranked: Vec<(u8, usize)> = Vec::new();
    for (i, e) in ev.iter().enumerate().skip(first) {
        if shown.contains(&i) || e.op == "spawn" || e.op == "join" {
            continue;
        }
        let o = base(&e.obj);
        let rank = if e.depth == 0 && e.tid != 0 && is_entry(e) {
            0
        } else if pointer_loads.contains(&i)
            || (pointer_slots.contains(e.obj.as_str()) && writes(e))
            || call_path.contains(&i)
        {
            1
        } else if is_entry(e) && e.depth > 0 {
            // A nested call on an object the violation names (`gpu_vma_userptr_invalidate
            // (isub#1)`): the path that should have prevented it.
            if names.contains(&o) {
                2
            } else {
                continue;
            }
        } else if !e.obj.is_empty() && names.contains(&o) {
            if writes(e) {
                1
            } else {
                2
            }
        } else if !e.obj.is_empty() && part_of(&o) && {
            // Touched by two CPUs: a race if one writes it, or the evidence of a missing
            // write (a reviewer's trial: `mmu_interval_set_seq()` left out, so both CPUs
            // only read `isub#1.invalidate_seq`, and the view showed neither read).
            let (who, _) = &users[e.obj.as_str()];
            who.len() >= 2 || e.tid == t.violation.tid
        } {
            if writes(e) {
                2
            } else {
                3
            }
        } else if e.depth == 0 || (e.depth <= 1 && (e.op == "return" || e.op == "answer")) {
            3
        } else {
            continue;
        };
        ranked.push((rank, i));
    }
    // What orders them: the innermost lock held around each access.
    let mut orders = Vec::new();
    for &(_, i) in &ranked {
        if is_entry(&ev[i]) || matches!(classify(&ev[i]), Access::Acquire | Access::Release) {
            continue;
        }
        if let Some((a, r)) = innermost_lock(ev, i) {
            orders.extend([Some(a), r].into_iter().flatten().map(|j| (4, j)));
        }
    }
    ranked.extend(orders.into_iter().filter(|&(_, i)| i >= first));
    let stop = shown.iter().next_back().copied().unwrap_or(ev.len());
    // Within a rank: the violating thread's steps first, then the nearest to the violation.
    ranked.sort_by_key(|&(rank, i)| (rank, ev[i].tid != culprit, stop.abs_diff(i), i));
    for (rank, i) in ranked {
        if rank > 0 && shown.len() >= CONDENSED_ROWS {
            break;
        }
        shown.insert(i);
    }
    shown.into_iter().collect()
}

/// The acquire of the innermost lock `ev[i]`'s thread holds at step `i`, and its release.
fn innermost_lock(ev: &[Event], i: usize) -> Option<(usize, Option<usize>)> {
    let tid = ev[i].tid;
    let mut held: Vec<usize> = Vec::new();
    for (j, e) in ev.iter().enumerate().take(i) {
        if e.tid != tid {
            continue;
        }
        match classify(e) {
            Access::Acquire => held.push(j),
            Access::Release => {
                if let Some(k) = held.iter().rposition(|&a| ev[a].obj == e.obj) {
                    held.remove(k);
                }
            }
            _ => {}
        }
    }
    let a = *held.last()?;
    let r = ev
        .iter()
        .enumerate()
        .skip(i + 1)
        .find(|(_, e)| e.tid == tid && e.obj == ev[a].obj && classify(e) == Access::Release)
        .map(|(j, _)| j);
    Some((a, r))
}

/// The order rows are drawn in: a function's entry moves down to its first step.
fn row_order(ev: &[Event], steps: &[usize]) -> Vec<usize> {
    let mut keyed: Vec<(usize, usize)> = steps
        .iter()
        .map(|&i| {
            let at = if is_entry(&ev[i]) {
                ev.iter()
                    .enumerate()
                    .skip(i + 1)
                    .find(|(_, e)| e.tid == ev[i].tid && !is_entry(e))
                    .map_or(i, |(j, _)| j)
            } else {
                i
            };
            (at, i)
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The two lines `kmodel replay` prints above the columns: the file, who found and who
/// replays it, and the scenario with its expected result.
pub fn header(t: &Trace, file: &str) -> String {
    format!(
        "{file} (found by {}; replayed by {})\n{}/{}: {} [expected: {}]\n",
        t.explorer,
        t.replay.as_str(),
        t.model,
        t.scenario,
        t.summary,
        t.expected
    )
}

/// Render the trace's full view: setup, the CPU columns, the main thread's final checks, and
/// the violation.
pub fn render_columns(t: &Trace) -> String {
    render(t, View::Full)
}

/// Render the trace in `view`.
pub fn render(t: &Trace, view: View) -> String {
    let ev = &t.events;
    let ncpu = t.cpus.len();
    let stale = stale_reads(ev);
    let first = ev.iter().position(|e| e.tid != 0).unwrap_or(ev.len());
    let last = ev.iter().rposition(|e| e.tid != 0).map_or(first, |i| i + 1);
    let steps: Vec<usize> = match view {
        View::Full => (0..ev.len()).collect(),
        View::Condensed => condensed_steps(t),
    };
    let mut out = String::new();
    if view == View::Full && first > 0 {
        let _ = writeln!(out, "Setup (main):");
        for e in &ev[..first] {
            let _ = writeln!(out, "  {}", cell(e, e.depth as usize, None, None));
        }
        out.push('\n');
    }
    // Cells: the full view indents by call depth; the condensed view indents a nested step
    // once under its top-level call and names the function it ran in.
    let text = |i: usize| -> String {
        let e = &ev[i];
        match view {
            View::Full => cell(e, e.depth as usize, stale.get(&i), None),
            View::Condensed => {
                let ctx = if e.depth >= 2 && e.op != "VIOLATION" {
                    ev[..i]
                        .iter()
                        .rev()
                        .find(|p| p.tid == e.tid && p.depth + 1 == e.depth && is_entry(p))
                        .map(|p| p.op.trim_end_matches("()").to_string())
                } else {
                    None
                };
                cell(e, usize::from(e.depth > 0), stale.get(&i), ctx.as_deref())
            }
        }
    };
    let rows: Vec<usize> = row_order(
        ev,
        &steps
            .iter()
            .copied()
            .filter(|&i| i >= first && (i < last || view == View::Condensed))
            .collect::<Vec<_>>(),
    );
    let headers: Vec<String> = (0..ncpu)
        .map(|i| format!("CPU{i} ({})", t.cpus[i]))
        .collect();
    let mut width: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    let cells: HashMap<usize, String> = rows.iter().map(|&i| (i, text(i))).collect();
    for &i in &rows {
        let tid = ev[i].tid;
        if tid > 0 && tid <= ncpu {
            width[tid - 1] = width[tid - 1].max(cells[&i].chars().count());
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
    for &i in &rows {
        let e = &ev[i];
        if e.tid == 0 || e.tid > ncpu {
            let _ = writeln!(out, "[{}] {}", thread_name(e.tid), cells[&i].trim_start());
            continue;
        }
        let mut cols = vec![String::new(); ncpu];
        cols[e.tid - 1] = cells[&i].clone();
        let _ = writeln!(out, "{}", row(cols));
    }
    if view == View::Full && last < ev.len() {
        out.push('\n');
        let _ = writeln!(out, "Afterwards (main):");
        for (i, e) in ev.iter().enumerate().skip(last) {
            let _ = writeln!(out, "  {}", cell(e, e.depth as usize, stale.get(&i), None));
        }
    }
    if view == View::Condensed {
        let _ = writeln!(
            out,
            "({} of {} steps: the top-level calls and the race; --full shows every step)",
            rows.len(),
            ev.len()
        );
    }
    let v = &t.violation;
    if view == View::Full {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} at step {} on {}: {}",
        v.invariant,
        v.step,
        thread_name(v.tid),
        v.message
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{ReplayMode, Violation};

    fn ev(tid: usize, depth: u8, op: &str, obj: &str, result: &str) -> Event {
        Event::new(tid, depth, op, obj, result)
    }

    fn mp() -> Trace {
        let events = vec![
            ev(0, 0, "kzalloc", "vars#1", "ok"),
            ev(0, 0, "spawn", "CPU0", ""),
            ev(0, 0, "spawn", "CPU1", ""),
            ev(1, 0, "WRITE_ONCE", "vars#1.x", "1"),
            ev(1, 0, "WRITE_ONCE", "vars#1.y", "1"),
            ev(2, 0, "READ_ONCE", "vars#1.y", "1"),
            ev(2, 0, "READ_ONCE", "vars#1.x", "0"),
            ev(
                2,
                0,
                "VIOLATION",
                "MP_FLAG_IMPLIES_DATA",
                "P1 read y=1 then x=0 and a very long message that no column cuts",
            ),
        ];
        Trace {
            model: "litmus".into(),
            scenario: "MP".into(),
            summary: String::new(),
            expected: "reachable MP_FLAG_IMPLIES_DATA".into(),
            explorer: "loom".into(),
            loom_version: String::new(),
            shuttle_version: String::new(),
            fingerprint: String::new(),
            lkmm: None,
            cpus: vec!["P0".into(), "P1".into()],
            violation: Violation {
                invariant: "MP_FLAG_IMPLIES_DATA".into(),
                message: "P1 read y=1 then x=0".into(),
                tid: 2,
                step: 8,
            },
            replay: ReplayMode::Loom,
            loom_checkpoint: None,
            events,
        }
    }

    #[test]
    fn a_stale_load_names_the_latest_store() {
        let out = render(&mp(), View::Full);
        assert!(
            out.contains("READ_ONCE(vars#1.x) reads 0 (stale: latest is 1)"),
            "{out}"
        );
        assert!(out.contains("READ_ONCE(vars#1.y) = 1\n"), "{out}");
    }

    /// A successful RMW that read an older value than the latest store is marked, and the
    /// store it missed stays the latest (its write precedes that store in coherence order).
    #[test]
    fn a_stale_rmw_names_the_latest_store() {
        let mut t = mp();
        t.events[6] = ev(2, 0, "xchg_relaxed", "vars#1.x", "0->2");
        t.events.insert(7, ev(0, 0, "READ_ONCE", "vars#1.x", "1"));
        let out = render(&t, View::Full);
        assert!(
            out.contains("xchg_relaxed(vars#1.x) reads 0->2 (stale: latest is 1)"),
            "{out}"
        );
        assert!(out.contains("READ_ONCE(vars#1.x) = 1\n"), "{out}");
    }

    #[test]
    fn no_cell_is_cut() {
        let mut t = mp();
        let long = "x".repeat(200);
        t.events[3].result = long.clone();
        for view in [View::Full, View::Condensed] {
            let out = render(&t, view);
            assert!(out.contains(&long), "{out}");
            assert!(!out.contains('…'), "{out}");
        }
    }

    #[test]
    fn an_entry_is_drawn_on_the_row_of_its_first_step() {
        let mut t = mp();
        // CPU0 enters f() before CPU1 runs, and does its first step after.
        t.events = vec![
            ev(0, 0, "spawn", "CPU0", ""),
            ev(1, 0, "f()", "a#1", ""),
            ev(2, 0, "WRITE_ONCE", "a#1.x", "1"),
            ev(1, 1, "READ_ONCE", "a#1.x", "1"),
            ev(2, 0, "VIOLATION", "MP_FLAG_IMPLIES_DATA", "a#1.x"),
        ];
        let out = render(&t, View::Full);
        let w = out.find("WRITE_ONCE(a#1.x)").unwrap();
        let f = out.find("f(a#1)").unwrap();
        let r = out.find("READ_ONCE(a#1.x)").unwrap();
        assert!(w < f && f < r, "{out}");
    }

    /// The condensed view of a use after free shows where the freed pointer came from: the
    /// violating CPU's load of it and the other CPU's replacement of that pointer (a
    /// reviewer's trial: drm_syncobj v4.13's trace showed neither).
    #[test]
    fn the_condensed_view_shows_where_the_pointer_came_from() {
        let mut t = mp();
        let mut events = vec![
            ev(0, 0, "spawn", "CPU0", ""),
            ev(0, 0, "spawn", "CPU1", ""),
            ev(1, 0, "get()", "obj#1", ""),
            ev(1, 1, "rcu_access_pointer", "obj#1.p", "cache[0] (f#1)"),
            ev(2, 0, "replace()", "obj#1", ""),
            ev(2, 1, "rcu_assign_pointer", "obj#1.p", "cache[1] (f#2)"),
        ];
        // Enough other steps of CPU1 to crowd the view.
        for k in 0..20 {
            events.push(ev(2, 0, "WRITE_ONCE", &format!("cache[0].w{k}"), "1"));
        }
        events.push(ev(2, 1, "kmem_cache_free", "cache[0]", "f#1"));
        events.push(ev(1, 1, "kref_get", "cache[0].refcount", "0->1"));
        let at = events.len() - 1;
        events.push(ev(
            1,
            1,
            "VIOLATION",
            "USE_AFTER_FREE",
            &format!("cache[0] (f#1) accessed after kmem_cache_free(f#1) by CPU1 at step {at}"),
        ));
        t.violation.tid = 1;
        t.violation.invariant = "USE_AFTER_FREE".into();
        t.events = events;
        let out = render(&t, View::Condensed);
        assert!(
            out.contains("rcu_access_pointer(obj#1.p) = cache[0] (f#1)"),
            "{out}"
        );
        assert!(
            out.contains("rcu_assign_pointer(obj#1.p) = cache[1] (f#2)"),
            "{out}"
        );
    }

    /// The condensed view of a violation deep in a call chain shows the chain (an AA
    /// deadlock's second spin_lock() four calls down: the trial's trace showed none of it).
    #[test]
    fn the_condensed_view_shows_the_calls_the_violation_is_in() {
        let mut t = mp();
        t.events = vec![
            ev(0, 0, "spawn", "CPU0", ""),
            ev(1, 0, "outer()", "a#1", ""),
            ev(1, 1, "spin_lock", "a#1.lock", ""),
            ev(1, 1, "middle()", "a#1", ""),
            ev(1, 2, "READ_ONCE", "a#1.x", "0"),
            ev(1, 2, "inner()", "a#1", ""),
            ev(1, 3, "READ_ONCE", "a#1.y", "0"),
            ev(
                1,
                3,
                "VIOLATION",
                "DEADLOCK",
                "spin_lock(a#1.lock): CPU0 already holds it",
            ),
        ];
        t.violation.tid = 1;
        let out = render(&t, View::Condensed);
        for f in ["outer(a#1)", "middle(a#1)", "inner(a#1)"] {
            assert!(out.contains(f), "{f} missing:\n{out}");
        }
    }
}
