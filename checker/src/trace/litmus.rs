//! Export a weak-memory counterexample as a litmus test in herd7's C syntax, for the
//! Linux-kernel memory model (tools/memory-model). The export works from the trace's events
//! alone (no replay): the CPUs' marked accesses, barriers, locks and RCU calls on the
//! locations two or more CPUs touch, the values every such read observed as the `exists`
//! clause, and an address dependency where a pointer a CPU loaded is dereferenced.
//!
//! The mapping, kernel call → litmus statement (the LKMM's linux-kernel.def names):
//! - `READ_ONCE`, `atomic_read`, `rcu_dereference*`, `rcu_access_pointer` → `READ_ONCE`
//!   (`rcu_dereference` keeps its name; `rcu_dereference_protected`, a plain load under the
//!   writer's lock, becomes `READ_ONCE`);
//! - `WRITE_ONCE`, `atomic_set`, `kref_init`, `RCU_INIT_POINTER`, a plain `store` →
//!   `WRITE_ONCE`; `rcu_assign_pointer`, `smp_store_release`, `smp_load_acquire` keep theirs;
//! - `kref_get` → `atomic_fetch_add_relaxed`; `kref_put` (`refcount_dec_and_test()`) →
//!   `atomic_fetch_sub_release` and, when it reached zero, `smp_rmb()` (the kernel's
//!   `smp_acquire__after_ctrl_dep()`); `kref_get_unless_zero` (`refcount_inc_not_zero()`) →
//!   `cmpxchg_relaxed` when it succeeded, `READ_ONCE` when it read zero;
//! - a bit of a flags word is its own location: `test_bit` → `READ_ONCE`, `test_and_set_bit`
//!   → `xchg` (fully ordered), `set_bit` → `xchg_relaxed`;
//! - `write_seqcount_begin` → `WRITE_ONCE; smp_wmb()`, `write_seqcount_end` → `smp_wmb();
//!   WRITE_ONCE`, `read_seqcount_begin` → `READ_ONCE; smp_rmb()`, `read_seqcount_retry` →
//!   `smp_rmb(); READ_ONCE`;
//! - `spin_lock`, `mutex_lock`, `down_read`, `down_write` → `spin_lock` (a reader lock becomes
//!   exclusive: stronger than the kernel); the unlocks → `spin_unlock`;
//! - `rcu_read_lock`/`rcu_read_unlock` keep theirs; an RCU callback's `grace period over` →
//!   `synchronize_rcu()` in the CPU that ran it;
//! - barriers (`smp_mb`, `smp_rmb`, `smp_wmb`, `smp_mb__*`) keep their names.
//!
//! Accesses of a location only one CPU touches, or off the violation's causal slice (see
//! `slice`), are left out, except that a fully ordered RMW of one leaves its `smp_mb()` and
//! every lock operation stays (the LKMM's po-unlock-lock-po orders across any two locks). What is left out is listed in the test's comment block (`Dropped:`), so the reader of a
//! verdict knows what the litmus test does not contain.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::{Event, Trace};

/// A litmus test made from a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Litmus {
    /// The test's name (`kmodel-<scenario>`).
    pub name: String,
    /// The test in herd7's C syntax.
    pub text: String,
    /// How many accesses go through a pointer the CPU loaded (address dependencies).
    pub deps: usize,
    /// How many accesses of another field of an object the CPU holds a pointer to are written
    /// by name (a litmus object has one address): the exact test lacks their dependency.
    pub inexact: usize,
    /// How many reader-lock acquisitions (`down_read`) became `spin_lock`: the test is then
    /// stronger than the kernel, so its `Never` does not carry over.
    pub stronger: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Val {
    Int(i64),
    /// A pointer to an object (`fence_cache[0]`); `None` is NULL.
    Ptr(Option<String>),
}

#[derive(Clone, Debug)]
enum Op {
    /// `r = F(*loc)`, observing `val`.
    Load {
        f: &'static str,
        loc: String,
        val: Val,
    },
    /// `F(*loc, val)`.
    Store {
        f: &'static str,
        loc: String,
        val: Val,
    },
    /// `r = F(args)` with `loc` read as `old`; `code` has `{loc}` and `{r}` placeholders.
    Rmw {
        loc: String,
        old: Option<i64>,
        new: i64,
        code: String,
        after: Option<&'static str>,
    },
    Lock {
        f: &'static str,
        lock: String,
    },
    Fence(&'static str),
}

/// The location a kernel object path becomes (`resv#1.fence_excl` → `resv1_fence_excl`).
fn var(obj: &str) -> String {
    let mut s = String::new();
    for c in obj.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if c != '#' && !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    while s.ends_with('_') {
        s.pop();
    }
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "v_");
    }
    s
}

/// A recorded value: `NULL`, `fence_cache[0] (fence#1)`, `3`, `0x0`.
fn value(s: &str) -> Option<Val> {
    let s = s.trim();
    if s == "NULL" {
        return Some(Val::Ptr(None));
    }
    if let Some(h) = s.strip_prefix("0x") {
        return i64::from_str_radix(h, 16).ok().map(Val::Int);
    }
    if let Ok(n) = s.parse() {
        return Some(Val::Int(n));
    }
    let head = s.split_whitespace().next()?;
    (head.contains('[') || head.contains('#')).then(|| Val::Ptr(Some(head.to_string())))
}

/// `a->b` (`1->2 true`), or `a -> b`.
fn arrow(s: &str) -> Option<(i64, i64)> {
    let (a, b) = s.split_once("->")?;
    let b = b.split_whitespace().next()?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// `bit N: was V`, `bit N: V`, `bit N`.
fn bit(s: &str) -> Option<(u32, Option<i64>)> {
    let rest = s.strip_prefix("bit ")?;
    let (n, v) = match rest.split_once(':') {
        Some((n, v)) => (n, v.trim().trim_start_matches("was ").parse().ok()),
        None => (rest, None),
    };
    Some((n.trim().parse().ok()?, v))
}

/// The litmus operations of one event (none for bookkeeping events), or why it is dropped.
fn ops(e: &Event) -> Result<Vec<Op>, String> {
    let obj = e.obj.as_str();
    let res = e.result.as_str();
    let bad = || format!("{}({obj}) = {res}: value not understood", e.op);
    let load = |f| -> Result<Vec<Op>, String> {
        Ok(vec![Op::Load {
            f,
            loc: obj.into(),
            val: value(res).ok_or_else(bad)?,
        }])
    };
    let store = |f| -> Result<Vec<Op>, String> {
        Ok(vec![Op::Store {
            f,
            loc: obj.into(),
            val: value(res).ok_or_else(bad)?,
        }])
    };
    let bitloc = |n: u32| format!("{obj}.bit{n}");
    Ok(match e.op.as_str() {
        "READ_ONCE" | "atomic_read" | "rcu_access_pointer" | "rcu_dereference_protected" => {
            load("READ_ONCE")?
        }
        "rcu_dereference" | "rcu_dereference_check" => load("rcu_dereference")?,
        "smp_load_acquire" | "atomic_read_acquire" => load("smp_load_acquire")?,
        "WRITE_ONCE" | "atomic_set" | "kref_init" | "RCU_INIT_POINTER" | "store" => {
            store("WRITE_ONCE")?
        }
        "rcu_assign_pointer" | "smp_store_release" | "atomic_set_release" => {
            store("smp_store_release")?
        }
        op @ ("kref_get"
        | "atomic_inc"
        | "atomic_inc_return"
        | "atomic_dec"
        | "atomic_dec_return"
        | "atomic_dec_and_test") => {
            let (a, b) = arrow(res).ok_or_else(bad)?;
            // A value-returning RMW is fully ordered; the others are relaxed.
            let f = match op {
                "atomic_inc_return" => "atomic_fetch_add",
                "atomic_dec_return" | "atomic_dec_and_test" => "atomic_fetch_sub",
                "atomic_dec" => "atomic_fetch_sub_relaxed",
                _ => "atomic_fetch_add_relaxed",
            };
            vec![Op::Rmw {
                loc: obj.into(),
                old: Some(a),
                new: b,
                code: format!("{{r}} = {f}(1, {{loc}});"),
                after: None,
            }]
        }
        f @ ("xchg" | "xchg_relaxed" | "xchg_acquire" | "xchg_release") => {
            let (a, b) = arrow(res).ok_or_else(bad)?;
            vec![Op::Rmw {
                loc: obj.into(),
                old: Some(a),
                new: b,
                code: format!("{{r}} = {f}({{loc}}, {b});"),
                after: None,
            }]
        }
        "kref_put" => {
            let (a, b) = arrow(res).ok_or_else(bad)?;
            vec![Op::Rmw {
                loc: obj.into(),
                old: Some(a),
                new: b,
                code: "{r} = atomic_fetch_sub_release(1, {loc});".into(),
                after: (b == 0).then_some("smp_rmb"),
            }]
        }
        "kref_get_unless_zero" | "atomic_inc_not_zero" => match arrow(res) {
            Some((a, b)) => vec![Op::Rmw {
                loc: obj.into(),
                old: Some(a),
                new: b,
                code: format!("{{r}} = cmpxchg_relaxed({{loc}}, {a}, {b});"),
                after: None,
            }],
            None => {
                let v = res
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(bad)?;
                vec![Op::Load {
                    f: "READ_ONCE",
                    loc: obj.into(),
                    val: Val::Int(v),
                }]
            }
        },
        "test_bit" => {
            let (n, v) = bit(res).ok_or_else(bad)?;
            vec![Op::Load {
                f: "READ_ONCE",
                loc: bitloc(n),
                val: Val::Int(v.ok_or_else(bad)?),
            }]
        }
        "test_and_set_bit" | "set_bit" => {
            let (n, v) = bit(res).ok_or_else(bad)?;
            let f = if e.op == "set_bit" {
                "xchg_relaxed"
            } else {
                "xchg"
            };
            vec![Op::Rmw {
                loc: bitloc(n),
                old: v,
                new: 1,
                code: format!("{{r}} = {f}({{loc}}, 1);"),
                after: None,
            }]
        }
        "write_seqcount_begin" => {
            let (_, b) = arrow(res).ok_or_else(bad)?;
            vec![
                Op::Store {
                    f: "WRITE_ONCE",
                    loc: obj.into(),
                    val: Val::Int(b),
                },
                Op::Fence("smp_wmb"),
            ]
        }
        "write_seqcount_end" => {
            let (_, b) = arrow(res).ok_or_else(bad)?;
            vec![
                Op::Fence("smp_wmb"),
                Op::Store {
                    f: "WRITE_ONCE",
                    loc: obj.into(),
                    val: Val::Int(b),
                },
            ]
        }
        "read_seqcount_begin" => {
            let mut v = load("READ_ONCE")?;
            v.push(Op::Fence("smp_rmb"));
            v
        }
        "read_seqcount_retry" => {
            let n = res
                .split_whitespace()
                .next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(bad)?;
            vec![
                Op::Fence("smp_rmb"),
                Op::Load {
                    f: "READ_ONCE",
                    loc: obj.into(),
                    val: Val::Int(n),
                },
            ]
        }
        // A successful trylock has the events of a lock (lock.cat); a failed one reads the
        // lock and orders nothing the test keeps: listed as dropped.
        "spin_trylock" | "mutex_trylock" | "down_read_trylock" | "down_write_trylock"
            if res.is_empty() =>
        {
            vec![Op::Lock {
                f: "spin_lock",
                lock: obj.into(),
            }]
        }
        "spin_lock" | "mutex_lock" | "down_read" | "down_write" => {
            vec![Op::Lock {
                f: "spin_lock",
                lock: obj.into(),
            }]
        }
        "spin_unlock" | "mutex_unlock" | "up_read" | "up_write" => {
            vec![Op::Lock {
                f: "spin_unlock",
                lock: obj.into(),
            }]
        }
        "rcu_read_lock" => vec![Op::Fence("rcu_read_lock")],
        "rcu_read_unlock" => vec![Op::Fence("rcu_read_unlock")],
        "synchronize_rcu" => vec![Op::Fence("synchronize_rcu")],
        "rcu callback" => vec![Op::Fence("synchronize_rcu")],
        "smp_mb" => vec![Op::Fence("smp_mb")],
        "smp_rmb" => vec![Op::Fence("smp_rmb")],
        "smp_wmb" => vec![Op::Fence("smp_wmb")],
        "smp_mb__before_atomic" => vec![Op::Fence("smp_mb__before_atomic")],
        "smp_mb__after_atomic" => vec![Op::Fence("smp_mb__after_atomic")],
        "smp_mb__after_spinlock" => vec![Op::Fence("smp_mb__after_spinlock")],
        "smp_mb__after_unlock_lock" => vec![Op::Fence("smp_mb__after_unlock_lock")],
        op if op.ends_with("()") => vec![],
        "kzalloc" | "kmem_cache_alloc" | "spawn" | "join" | "VIOLATION" | "answer" | "restart"
        | "INIT_LIST_HEAD" => vec![],
        _ => return Err(format!("{}({obj}) = {res}: no litmus equivalent", e.op)),
    })
}

/// `*` for a primitive that takes the location itself (`READ_ONCE(*x)`), nothing for one
/// that takes its address (`smp_load_acquire(x)`, `smp_store_release(x, v)`), as the LKMM's
/// linux-kernel.def defines them.
fn lvalue(f: &str) -> &'static str {
    if matches!(f, "smp_load_acquire" | "smp_store_release") {
        ""
    } else {
        "*"
    }
}

fn op_loc(o: &Op) -> Option<&str> {
    match o {
        Op::Load { loc, .. } | Op::Store { loc, .. } | Op::Rmw { loc, .. } => Some(loc),
        Op::Lock { lock, .. } => Some(lock),
        Op::Fence(_) => None,
    }
}

/// A location's family: a flags word and its bits (`x.flags.bit3` → `x.flags`) are one.
fn family(loc: &str) -> &str {
    match loc.rsplit_once(".bit") {
        Some((f, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => f,
        _ => loc,
    }
}

/// The violation's causal slice: what the weak reads depend on.
struct Slice {
    /// The location families (and locks) kept.
    families: BTreeSet<String>,
    /// The stale reads: (CPU op index, location).
    stale: Vec<(usize, String)>,
}

/// The causal slice of a trace's CPU operations (in trace order).
///
/// A *stale* read observes a value other than that of the latest store to its location in
/// trace order: that is what makes the trace weak-memory-only (loom, unlike an interleaving,
/// lets a load read an older store). For each stale read `r` and the store `w` it missed,
/// the LKMM forbids the outcome only through a cycle `w → … → r → fr → w`, whose edges are
/// program order and communication (rf, co, fr) between CPUs. The slice keeps every location
/// (lock included) with a communication edge on a path from `w` to `r` (program order, and
/// communication forward in trace order or back from a stale read to the store it missed),
/// the stale reads' own locations, and, to keep address dependencies, a location a pointer
/// to a kept object was loaded from. Fences, RCU calls and fully ordered RMWs stay in every
/// kept CPU. `None` when no read is stale (an interleaving produces the trace's values: the
/// whole test is kept).
fn slice(init: &[Op], cpu: &[(usize, Op)]) -> Option<Slice> {
    // (location, read value, written value) of each op; a lock is an RMW of its lock word.
    #[derive(Clone)]
    struct Acc {
        loc: String,
        read: Option<Val>,
        write: Option<Val>,
        lock: bool,
    }
    let acc = |o: &Op| -> Option<Acc> {
        Some(match o {
            Op::Load { loc, val, .. } => Acc {
                loc: loc.clone(),
                read: Some(val.clone()),
                write: None,
                lock: false,
            },
            Op::Store { loc, val, .. } => Acc {
                loc: loc.clone(),
                read: None,
                write: Some(val.clone()),
                lock: false,
            },
            Op::Rmw { loc, old, new, .. } => Acc {
                loc: loc.clone(),
                read: old.map(Val::Int),
                write: Some(Val::Int(*new)),
                lock: false,
            },
            Op::Lock { lock, .. } => Acc {
                loc: lock.clone(),
                read: None,
                write: None,
                lock: true,
            },
            Op::Fence(_) => return None,
        })
    };
    let accs: Vec<Option<Acc>> = cpu.iter().map(|(_, o)| acc(o)).collect();
    // The bit locations, to follow a whole-word store into its bits.
    let bitlocs: BTreeSet<String> = accs
        .iter()
        .flatten()
        .filter(|a| family(&a.loc) != a.loc)
        .map(|a| a.loc.clone())
        .collect();
    // Current value and latest CPU store (op index) of each location, in trace order.
    let mut cur: BTreeMap<String, (Val, Option<usize>)> = BTreeMap::new();
    let put = |cur: &mut BTreeMap<String, (Val, Option<usize>)>,
               loc: &str,
               v: &Val,
               at: Option<usize>| {
        cur.insert(loc.to_string(), (v.clone(), at));
        if let Val::Int(n) = v {
            for b in bitlocs.iter().filter(|b| family(b) == loc && *b != loc) {
                let i: u32 = b[loc.len() + 4..].parse().unwrap_or(0);
                cur.insert(b.clone(), (Val::Int((n >> i) & 1), at));
            }
        }
    };
    for a in init.iter().filter_map(acc) {
        if let Some(v) = &a.write {
            put(&mut cur, &a.loc, v, None);
        }
    }
    let mut stale: Vec<(usize, usize)> = Vec::new();
    for (i, a) in accs.iter().enumerate() {
        let Some(a) = a else { continue };
        if let (Some(v), Some((c, Some(w)))) = (&a.read, cur.get(&a.loc)) {
            if v != c && cpu[*w].0 != cpu[i].0 {
                stale.push((i, *w));
            }
        }
        if let Some(v) = &a.write {
            put(&mut cur, &a.loc, v, Some(i));
        }
    }
    if stale.is_empty() {
        return None;
    }
    // The graph: program order, communication forward in trace order, fr back from a stale
    // read to the store it missed.
    let n = cpu.len();
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut last: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, (t, _)) in cpu.iter().enumerate() {
        if let Some(p) = last.insert(*t, i) {
            succ[p].push(i);
        }
    }
    let writes = |a: &Acc| a.write.is_some() || a.lock;
    for i in 0..n {
        let Some(a) = &accs[i] else { continue };
        for j in i + 1..n {
            let Some(b) = &accs[j] else { continue };
            if cpu[i].0 != cpu[j].0 && family(&a.loc) == family(&b.loc) && (writes(a) || writes(b))
            {
                succ[i].push(j);
            }
        }
    }
    for &(r, w) in &stale {
        succ[r].push(w);
    }
    let mut pred: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in succ.iter().enumerate() {
        for &j in s {
            pred[j].push(i);
        }
    }
    let reach = |from: usize, next: &Vec<Vec<usize>>| -> Vec<bool> {
        let mut seen = vec![false; n];
        let mut stack = vec![from];
        seen[from] = true;
        while let Some(i) = stack.pop() {
            for &j in &next[i] {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        seen
    };
    let mut families: BTreeSet<String> = BTreeSet::new();
    for &(r, w) in &stale {
        let loc = |i: usize| family(accs[i].as_ref().map_or("", |a| a.loc.as_str())).to_string();
        families.insert(loc(r));
        let fwd = reach(w, &succ);
        let bwd = reach(r, &pred);
        for i in (0..n).filter(|&i| fwd[i] && bwd[i]) {
            for &j in succ[i].iter().filter(|&&j| fwd[j] && bwd[j]) {
                if cpu[i].0 != cpu[j].0 {
                    families.insert(loc(i));
                }
            }
        }
    }
    // Address dependencies: the location a pointer to a kept object was loaded from.
    loop {
        let more: BTreeSet<String> = accs
            .iter()
            .flatten()
            .filter_map(|a| match &a.read {
                Some(Val::Ptr(Some(t)))
                    if families.iter().any(|f| f.starts_with(&format!("{t}."))) =>
                {
                    Some(family(&a.loc).to_string())
                }
                _ => None,
            })
            .filter(|f| !families.contains(f))
            .collect();
        if more.is_empty() {
            break;
        }
        families.extend(more);
    }
    let stale = stale
        .iter()
        .map(|&(r, _)| (r, accs[r].as_ref().map_or(String::new(), |a| a.loc.clone())))
        .collect();
    Some(Slice { families, stale })
}

/// Leave out the reads whose value coherence forces and that can order nothing the test keeps
/// (herd7's search multiplies with every read: each has one candidate write per store to its
/// location). A read `r` of `x` by CPU `T` is left out, with its `exists` conjunct, when
/// - no other CPU writes `x` (nor, for a bit, its flags word), and `r` observes `T`'s latest
///   store to `x` before it in program order, or the initial value if there is none: by
///   coherence (CoWR, CoRW, CoWW with all of `x`'s stores in `T`'s program order) every
///   consistent execution has `r` read exactly that store, so its conjunct constrains nothing;
/// - it is a `READ_ONCE`/`rcu_dereference` (not an acquire) of a non-pointer value, so no
///   dependency leaves it, and `x` is never accessed through a register, so no dependency
///   (`dep ; rfi`, the LKMM's `rrdep`) enters it: the only edges into `r` are `rfi` from a
///   store of `T` (in no ordering relation of the LKMM without such a dependency) and
///   program-order orderings (fences, acquire, release, unlock/lock) from an earlier access
///   `A` of `T`; the only edges out are `fri` to a later store of `T` and program-order
///   orderings to a later access `B` of `T`. Whatever fence, acquire or lock sequence orders
///   `A` before `r` lies between `A` and `B` too, so every cycle of an LKMM axiom through `r`
///   has a shortcut `A -> B` of the same kind without it.
///
/// Hence both directions hold: a consistent execution of the full test restricted to the
/// other events is consistent (every LKMM relation is monotone in the events), and one of the
/// reduced test extended by `r` reading its forced store is consistent (no new cycle, by the
/// shortcut). A read whose recorded value is not the forced one stays (herd7 then says
/// `Never`, as it must). Returns the operations left and how many reads were dropped.
fn drop_forced_reads(
    cpu: Vec<(usize, Op)>,
    initial: &BTreeMap<String, Val>,
    repr: &BTreeMap<String, String>,
) -> (Vec<(usize, Op)>, usize) {
    // The CPUs writing each location family.
    let mut writers: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    // The locations (of a family) written.
    let mut written: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (t, o) in &cpu {
        if let Op::Store { loc, .. } | Op::Rmw { loc, .. } = o {
            writers
                .entry(family(loc).to_string())
                .or_default()
                .insert(*t);
            written
                .entry(family(loc).to_string())
                .or_default()
                .insert(loc.clone());
        }
    }
    let through_register = |loc: &str| repr.values().any(|v| *v == var(loc));
    // Each CPU's latest store to each location, in program order.
    let mut latest: BTreeMap<(usize, String), Val> = BTreeMap::new();
    let mut n = 0;
    let mut out = Vec::with_capacity(cpu.len());
    for (t, o) in cpu {
        match &o {
            Op::Store { loc, val, .. } => {
                latest.insert((t, loc.clone()), val.clone());
            }
            Op::Rmw { loc, new, .. } => {
                latest.insert((t, loc.clone()), Val::Int(*new));
            }
            Op::Load { f, loc, val } => {
                let fam = family(loc);
                let own = writers.get(fam).is_none_or(|w| w.iter().all(|&w| w == t));
                // A bit whose word is also stored whole: its stores are not all to `loc`.
                let whole = written.get(fam).is_some_and(|w| w.iter().any(|l| l != loc));
                let forced = latest
                    .get(&(t, loc.clone()))
                    .or_else(|| initial.get(loc))
                    .cloned()
                    .unwrap_or(Val::Int(0));
                if matches!(*f, "READ_ONCE" | "rcu_dereference")
                    && matches!(val, Val::Int(_))
                    && own
                    && !whole
                    && !through_register(loc)
                    && *val == forced
                {
                    n += 1;
                    continue;
                }
            }
            _ => {}
        }
        out.push((t, o));
    }
    // Second: a read `a` followed in its CPU's program order by a read `b` of the same
    // location observing the same value, with only marked loads of other locations (not
    // through a register) between them, and `a` neither an acquire nor through a register.
    // Extend a consistent execution of the reduced test by `a` reading the store `b` reads:
    // `a`'s edges (rf and fr from that store, program-order orderings from earlier or to later
    // accesses, which no fence, acquire, release or lock between `a` and `b` can start or
    // end) are all `b`'s, so a cycle through `a` is one through `b`.
    let simple = |o: &Op| {
        matches!(o, Op::Load { f, loc, .. }
            if matches!(*f, "READ_ONCE" | "rcu_dereference") && !through_register(loc))
    };
    let mut keep = vec![true; out.len()];
    for i in 0..out.len() {
        let (t, Op::Load { loc, val, .. }) = &out[i] else {
            continue;
        };
        if !simple(&out[i].1) {
            continue;
        }
        for (u, o) in out.iter().skip(i + 1) {
            if u != t {
                continue;
            }
            match o {
                Op::Load {
                    loc: l2, val: v2, ..
                } if l2 == loc => {
                    if v2 == val {
                        keep[i] = false;
                    }
                    break;
                }
                o if simple(o) => {}
                _ => break,
            }
        }
    }
    n += keep.iter().filter(|k| !**k).count();
    let out = out
        .into_iter()
        .zip(keep)
        .filter_map(|(o, k)| k.then_some(o))
        .collect();
    (out, n)
}

/// How an access through a pointer a CPU loaded is written. herd7 resolves an address held
/// in a register only while it searches, so each such access multiplies its search (three of
/// them can take minutes); the two approximations bracket the exact test: what `Acquire`
/// allows the exact test allows, what `Plain` forbids the exact test forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deps {
    /// Through the register: an address dependency, as the kernel code has it (exact).
    Addr,
    /// Through the object's own name, the pointer load made `smp_load_acquire()`: orders the
    /// load before every later access of its CPU (stronger than the dependency).
    Acquire,
    /// Through the object's own name, the pointer load unchanged: no ordering (weaker).
    Plain,
}

/// Export `trace` as a litmus test, address dependencies exact. Fails only on a trace with
/// no location two CPUs touch.
pub fn export(trace: &Trace) -> Result<Litmus, String> {
    export_with(trace, Deps::Addr)
}

/// Export `trace` as a litmus test, accesses through a loaded pointer written as `deps` says.
pub fn export_with(trace: &Trace, deps: Deps) -> Result<Litmus, String> {
    let name = format!("kmodel-{}", var(&trace.scenario));
    let spawn = trace
        .events
        .iter()
        .position(|e| e.op == "spawn")
        .unwrap_or(0);
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    // (tid, op) in trace order, main's events before the first spawn as the initial state.
    let mut init: Vec<Op> = Vec::new();
    let mut cpu: Vec<(usize, Op)> = Vec::new();
    // A location's initial value: main's last write before the spawns, else the value its
    // first access in the trace read (no store came before it, so it read the initial value:
    // the model's initialisation wrote it without an event).
    let mut first_read: BTreeMap<String, Val> = BTreeMap::new();
    let mut written: BTreeSet<String> = BTreeSet::new();
    // A location a CPU stored to before any CPU read it: a read of a value no store of the
    // trace writes read the initial value (the model's initialisation wrote it without an
    // event; nonblock_vs_fault's pte, mapped to pfn 1 and cleared by the reaper, was
    // exported with 0 as its initial value, which made the stale read impossible).
    let mut stored: BTreeMap<String, BTreeSet<Val>> = BTreeMap::new();
    let mut reads: Vec<(String, Val)> = Vec::new();
    let mut pre_spawn: BTreeSet<String> = BTreeSet::new();
    for (i, e) in trace.events.iter().enumerate() {
        if let Ok(v) = ops(e) {
            if e.tid == 0 && i < spawn {
                for o in &v {
                    if let Some(l) = op_loc(o) {
                        written.insert(l.to_string());
                        pre_spawn.insert(family(l).to_string());
                    }
                }
            } else if e.tid != 0 {
                for o in &v {
                    let (l, read) = match o {
                        Op::Load { loc, val, .. } => (loc, Some(val.clone())),
                        Op::Rmw { loc, old, .. } => (loc, old.map(Val::Int)),
                        Op::Store { loc, .. } => (loc, None),
                        _ => continue,
                    };
                    match o {
                        Op::Store { val, .. } => {
                            stored.entry(l.clone()).or_default().insert(val.clone());
                        }
                        Op::Rmw { new, .. } => {
                            stored.entry(l.clone()).or_default().insert(Val::Int(*new));
                        }
                        _ => {}
                    }
                    if let Some(v) = &read {
                        reads.push((l.clone(), v.clone()));
                    }
                    if !written.contains(l) && !first_read.contains_key(l) {
                        if let Some(v) = read {
                            first_read.insert(l.clone(), v);
                        }
                    }
                    written.insert(l.clone());
                }
            }
        }
    }
    for (l, v) in &reads {
        // A bit of a word some CPU stores whole is not inferred (the word's value decides).
        let whole = family(l) != l && stored.contains_key(family(l));
        if !pre_spawn.contains(family(l))
            && !first_read.contains_key(l)
            && !whole
            && !stored.get(l).is_some_and(|s| s.contains(v))
        {
            first_read.insert(l.clone(), v.clone());
        }
    }
    for (i, e) in trace.events.iter().enumerate() {
        match ops(e) {
            Ok(v) if e.tid == 0 && i < spawn => init.extend(v),
            Ok(v) if e.tid == 0 => {
                if !v.is_empty() {
                    *dropped
                        .entry(format!("main's {} after the spawns", e.op))
                        .or_default() += 1;
                }
            }
            Ok(v) => cpu.extend(v.into_iter().map(|o| (e.tid, o))),
            Err(why) => *dropped.entry(why).or_default() += 1,
        }
    }
    // The locations and locks two or more CPUs touch (a flags word and its bits are one).
    let mut who: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (t, o) in &cpu {
        if let Some(l) = op_loc(o) {
            who.entry(family(l).to_string()).or_default().insert(*t);
        }
    }
    let locs: BTreeSet<String> = cpu
        .iter()
        .filter_map(|(_, o)| op_loc(o).map(str::to_string))
        .collect();
    let cut = slice(&init, &cpu);
    let mut off_slice = 0;
    let shared: BTreeSet<String> = locs
        .iter()
        .map(|l| (l, &who[family(l)]))
        .filter(|(_, t)| t.len() >= 2)
        .filter(|(l, _)| {
            let on = cut.as_ref().is_none_or(|c| c.families.contains(family(l)));
            off_slice += usize::from(!on);
            on
        })
        .map(|(l, _)| l.clone())
        .collect();
    if shared.is_empty() {
        return Err("no location is accessed by two CPUs (hint: only a weak-memory counterexample between CPUs exports)".into());
    }
    // Every lock operation stays: the LKMM orders what precedes a CPU's unlock before what
    // follows its next lock, of any lock (po-unlock-lock-po), even one no other CPU takes.
    let keep =
        |o: &Op| matches!(o, Op::Lock { .. }) || op_loc(o).is_none_or(|l| shared.contains(l));
    let mut ndropped_accesses = 0;
    // A fully ordered RMW on a location only its CPU touches keeps its two smp_mb()s.
    let cpu: Vec<(usize, Op)> = cpu
        .into_iter()
        .filter_map(|(t, o)| {
            if keep(&o) {
                return Some((t, o));
            }
            ndropped_accesses += 1;
            match &o {
                Op::Rmw { code, .. }
                    if code.contains("= xchg(") || code.contains("= atomic_fetch_add(") =>
                {
                    Some((t, Op::Fence("smp_mb")))
                }
                _ => None,
            }
        })
        .collect();
    // Pointer-typed locations and the objects pointers point to.
    let mut ptr_locs: BTreeSet<String> = BTreeSet::new();
    let mut targets: BTreeSet<String> = BTreeSet::new();
    for o in init.iter().chain(cpu.iter().map(|(_, o)| o)) {
        if let Op::Load {
            loc,
            val: Val::Ptr(p),
            ..
        }
        | Op::Store {
            loc,
            val: Val::Ptr(p),
            ..
        } = o
        {
            ptr_locs.insert(loc.clone());
            if let Some(p) = p {
                targets.insert(p.clone());
            }
        }
    }
    // An object's address is that of its first field in the test (a dereference of a pointer
    // to it that reaches that field is an address dependency), else of a variable of its own.
    let repr: BTreeMap<String, String> = targets
        .iter()
        .map(|t| {
            // Not a pointer, not a flags word whose bits are in the test; a stale read's
            // location first (its dependency is the one that can matter).
            let fields: Vec<&String> = shared
                .iter()
                .filter(|l| {
                    l.starts_with(&format!("{t}."))
                        && !ptr_locs.contains(*l)
                        && !shared.iter().any(|b| family(b) == l.as_str() && b != *l)
                })
                .collect();
            let field = fields
                .iter()
                .find(|l| {
                    cut.as_ref()
                        .is_some_and(|c| c.stale.iter().any(|(_, s)| s == **l))
                })
                .or(fields.first())
                .copied();
            (t.clone(), var(field.map_or(t.as_str(), |f| f.as_str())))
        })
        .collect();
    let show = |v: &Val| match v {
        Val::Int(n) => n.to_string(),
        Val::Ptr(None) => "0".to_string(),
        Val::Ptr(Some(p)) => repr[p].clone(),
    };
    // The initial state: main's last write of each kept location, else its first read.
    // A flags word stored whole sets each of its bits' locations.
    let bits_of = |loc: &str| -> Vec<(String, u32)> {
        shared
            .iter()
            .filter_map(|l| {
                l.strip_prefix(&format!("{loc}.bit"))
                    .and_then(|n| n.parse().ok())
                    .map(|n| (l.clone(), n))
            })
            .collect()
    };
    let mut initial: BTreeMap<String, Val> = first_read;
    for o in &init {
        let (loc, val) = match o {
            Op::Store { loc, val, .. } | Op::Load { loc, val, .. } => (loc, val.clone()),
            Op::Rmw { loc, new, .. } => (loc, Val::Int(*new)),
            _ => continue,
        };
        if let Val::Int(n) = val {
            for (b, i) in bits_of(loc) {
                initial.insert(b, Val::Int((n >> i) & 1));
            }
        }
        initial.insert(loc.clone(), val);
    }
    let locks: BTreeSet<String> = cpu
        .iter()
        .filter_map(|(_, o)| {
            if let Op::Lock { lock, .. } = o {
                Some(lock.clone())
            } else {
                None
            }
        })
        .collect();
    // Every location (raw name) and every pointer target's own variable (already a var name).
    let vars: BTreeSet<String> = shared
        .iter()
        .filter(|l| !locks.contains(*l))
        .cloned()
        .collect();
    let extra: BTreeSet<String> = repr
        .values()
        .filter(|v| !shared.iter().any(|l| &var(l) == *v))
        .cloned()
        .collect();
    // The threads.
    // Without a grace period the LKMM's RCU axiom has nothing to order: the read-side
    // critical sections only slow herd7 down (minutes on the dma_fence traces), drop them.
    let gp = cpu
        .iter()
        .any(|(_, o)| matches!(o, Op::Fence("synchronize_rcu")));
    let nrcu = cpu
        .iter()
        .filter(|(_, o)| matches!(o, Op::Fence("rcu_read_lock")))
        .count();
    let cpu: Vec<(usize, Op)> = cpu
        .into_iter()
        .filter(|(_, o)| gp || !matches!(o, Op::Fence("rcu_read_lock" | "rcu_read_unlock")))
        .collect();
    let (cpu, nforced) = drop_forced_reads(cpu, &initial, &repr);
    // The CPUs with an access left (a CPU with only barriers orders nothing).
    let tids: BTreeSet<usize> = cpu
        .iter()
        .filter(|(_, o)| !matches!(o, Op::Fence(_)))
        .map(|(t, _)| *t)
        .collect();
    let mut body = String::new();
    let mut exists: Vec<String> = Vec::new();
    let mut ndeps = 0;
    let mut ninexact = 0;
    for (p, &t) in tids.iter().enumerate() {
        let mut decls: Vec<String> = Vec::new();
        let mut lines: Vec<String> = Vec::new();
        let mut used: BTreeSet<String> = BTreeSet::new();
        // Registers holding a pointer loaded by this CPU, by the location they point to.
        let mut held: BTreeMap<String, String> = BTreeMap::new();
        let mut nreg = 0;
        // The register holding a pointer to each object, by object.
        let mut objs: BTreeMap<String, String> = BTreeMap::new();
        // The line of each pointer load, by its register (Deps::Acquire strengthens it).
        let mut load_line: BTreeMap<String, usize> = BTreeMap::new();
        let mut acquire: BTreeSet<String> = BTreeSet::new();
        let mut addr = |loc: &str,
                        used: &mut BTreeSet<String>,
                        held: &BTreeMap<String, String>,
                        objs: &BTreeMap<String, String>|
         -> String {
            // Another field of an object this CPU holds a pointer to: the kernel's access
            // is through the pointer, the test's cannot be (one address per object).
            if !held.contains_key(&var(loc)) {
                if let Some(r) = objs
                    .iter()
                    .find_map(|(t, r)| loc.starts_with(&format!("{t}.")).then_some(r))
                {
                    ninexact += 1;
                    if deps == Deps::Acquire {
                        acquire.insert(r.clone());
                    }
                }
            }
            match held.get(&var(loc)) {
                Some(r) if deps == Deps::Addr => {
                    ndeps += 1;
                    r.clone()
                }
                Some(r) => {
                    ndeps += 1;
                    if deps == Deps::Acquire {
                        acquire.insert(r.clone());
                    }
                    used.insert(var(loc));
                    var(loc)
                }
                None => {
                    used.insert(var(loc));
                    var(loc)
                }
            }
        };
        // Locks and RCU read-side critical sections still open when the trace ended.
        let mut open: Vec<String> = Vec::new();
        for (_, o) in cpu.iter().filter(|(tt, _)| *tt == t) {
            match o {
                Op::Load { f, loc, val } => {
                    let r = format!("r{nreg}");
                    nreg += 1;
                    let ptr = ptr_locs.contains(loc);
                    decls.push(format!("\t{}{r};", if ptr { "int *" } else { "int " }));
                    let a = addr(loc, &mut used, &held, &objs);
                    lines.push(format!("\t{r} = {f}({}{a});", lvalue(f)));
                    exists.push(format!("{p}:{r}={}", show(val)));
                    if let Val::Ptr(Some(target)) = val {
                        load_line.insert(r.clone(), lines.len() - 1);
                        objs.insert(target.clone(), r.clone());
                        held.insert(repr[target].clone(), r);
                    }
                }
                Op::Store { f, loc, val } => {
                    let bits = bits_of(loc);
                    if !bits.is_empty() {
                        for (b, i) in bits {
                            let v = if let Val::Int(n) = val {
                                (n >> i) & 1
                            } else {
                                0
                            };
                            let a = addr(&b, &mut used, &held, &objs);
                            lines.push(format!("\t{f}({}{a}, {v});", lvalue(f)));
                        }
                    } else {
                        let a = addr(loc, &mut used, &held, &objs);
                        if let Val::Ptr(Some(target)) = val {
                            used.insert(repr[target].clone());
                        }
                        lines.push(format!("\t{f}({}{a}, {});", lvalue(f), show(val)));
                    }
                }
                Op::Rmw {
                    loc,
                    old,
                    new: _,
                    code,
                    after,
                } => {
                    let r = format!("r{nreg}");
                    nreg += 1;
                    decls.push(format!("\tint {r};"));
                    let a = addr(loc, &mut used, &held, &objs);
                    lines.push(format!(
                        "\t{}",
                        code.replace("{r}", &r).replace("{loc}", &a)
                    ));
                    if let Some(v) = old {
                        exists.push(format!("{p}:{r}={v}"));
                    }
                    if let Some(f) = after {
                        lines.push(format!("\t{f}();"));
                    }
                }
                Op::Lock { f, lock } => {
                    used.insert(var(lock));
                    lines.push(format!("\t{f}({});", var(lock)));
                    if *f == "spin_lock" {
                        open.push(format!("spin_unlock({})", var(lock)));
                    } else if let Some(i) = open
                        .iter()
                        .rposition(|c| *c == format!("spin_unlock({})", var(lock)))
                    {
                        open.remove(i);
                    }
                }
                Op::Fence(f) => {
                    lines.push(format!("\t{f}();"));
                    if *f == "rcu_read_lock" {
                        open.push("rcu_read_unlock()".into());
                    } else if *f == "rcu_read_unlock" {
                        if let Some(i) = open.iter().rposition(|c| c == "rcu_read_unlock()") {
                            open.remove(i);
                        }
                    }
                }
            }
        }
        // The trace ended inside them: close them after the CPU's last access.
        while let Some(c) = open.pop() {
            lines.push(format!("\t{c}; /* closed: the trace ended here */"));
        }
        for r in &acquire {
            if let Some(&i) = load_line.get(r) {
                for f in ["rcu_dereference(*", "READ_ONCE(*"] {
                    if lines[i].contains(f) {
                        lines[i] = lines[i].replacen(f, "smp_load_acquire(", 1);
                        break;
                    }
                }
            }
        }
        let params: Vec<String> = used
            .iter()
            .map(|u| {
                if locks.iter().any(|l| &var(l) == u) {
                    format!("spinlock_t *{u}")
                } else if ptr_locs.iter().any(|l| &var(l) == u) {
                    format!("int **{u}")
                } else {
                    format!("int *{u}")
                }
            })
            .collect();
        let _ = writeln!(
            body,
            "P{p}({}) /* {} */\n{{",
            params.join(", "),
            trace.cpus.get(t - 1).map_or("?", |s| s.as_str())
        );
        for d in decls {
            let _ = writeln!(body, "{d}");
        }
        if nreg > 0 {
            let _ = writeln!(body);
        }
        for l in lines {
            let _ = writeln!(body, "{l}");
        }
        let _ = writeln!(body, "}}\n");
    }
    // The header.
    let mut out = String::new();
    let _ = writeln!(out, "C {name}\n");
    let _ = writeln!(out, "(*");
    let _ = writeln!(
        out,
        " * Exported by `kmodel litmus` from a {} counterexample of {}/{}:",
        trace.replay.as_str(),
        trace.model,
        trace.scenario
    );
    let _ = writeln!(
        out,
        " * {}: {}",
        trace.violation.invariant,
        trace.violation.message.replace("*)", "* )")
    );
    let _ = writeln!(
        out,
        " * Result: Sometimes means the counterexample stands under the LKMM."
    );
    if ndeps > 0 {
        let how = match deps {
            Deps::Addr => "as address dependencies",
            Deps::Acquire => "by name, each pointer load made smp_load_acquire() (stronger)",
            Deps::Plain => "by name, no dependency (weaker)",
        };
        let _ = writeln!(
            out,
            " * Through a loaded pointer: {ndeps} access(es), written {how}."
        );
    }
    if nforced > 0 {
        let _ = writeln!(
            out,
            " * Coherence-forced: {nforced} read(s) left out: of a location only its own CPU writes,\n *   observing that CPU's latest store (or the initial value), or followed by a read of the\n *   same value with only unordered loads between: they order nothing the CPU's other\n *   accesses do not (kmodel's checker/src/trace/litmus.rs, drop_forced_reads)."
        );
    }
    if !gp && nrcu > 0 {
        let _ = writeln!(
            out,
            " * RCU: {nrcu} read-side critical section(s) left out: no grace period in the test."
        );
    }
    if let Some(c) = &cut {
        let mut reads: Vec<String> = c.stale.iter().map(|(_, l)| l.clone()).collect();
        reads.sort();
        reads.dedup();
        let _ = writeln!(
            out,
            " * Causal slice: {} stale read(s) (of {}); kept the locations on a path from the\n *   store each missed to it: {}.",
            c.stale.len(),
            reads.join(", "),
            c.families.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    if ndropped_accesses > 0 || off_slice > 0 || !dropped.is_empty() {
        let _ = writeln!(
            out,
            " * Dropped: {ndropped_accesses} access(es) of locations only one CPU touches or off the slice ({off_slice} shared location(s));"
        );
        for (why, n) in &dropped {
            let _ = writeln!(out, " *   {n} x {}", why.replace("*)", "* )"));
        }
    }
    let _ = writeln!(out, " *)\n");
    let _ = writeln!(out, "{{");
    for l in &vars {
        let v = var(l);
        match (ptr_locs.contains(l), initial.get(l)) {
            (true, Some(Val::Ptr(Some(p)))) => {
                let _ = writeln!(out, "\tint *{v}={};", repr[p]);
            }
            (true, _) => {
                let _ = writeln!(out, "\tint *{v}=0;");
            }
            (false, Some(Val::Int(n))) => {
                let _ = writeln!(out, "\tint {v}={n};");
            }
            _ => {
                let _ = writeln!(out, "\tint {v}=0;");
            }
        }
    }
    for v in &extra {
        let _ = writeln!(out, "\tint {v}=0;");
    }
    let _ = writeln!(out, "}}\n");
    out.push_str(&body);
    let _ = writeln!(
        out,
        "exists ({})",
        if exists.is_empty() {
            "true".to_string()
        } else {
            exists.join(" /\\ ")
        }
    );
    Ok(Litmus {
        name,
        text: out,
        deps: ndeps,
        inexact: ninexact,
        stronger: trace
            .events
            .iter()
            .filter(|e| {
                e.tid != 0
                    && (e.op == "down_read" || (e.op == "down_read_trylock" && e.result.is_empty()))
            })
            .count(),
    })
}

/// herd7's answer for a litmus test: its `Observation` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LkmmVerdict {
    /// `Sometimes` or `Always`: the execution is allowed, the counterexample stands.
    Allowed,
    /// `Never`: only C11 (loom) allows it.
    Forbidden,
}

impl LkmmVerdict {
    /// The header value and the status word: `allowed` or `forbidden (C11 only)`.
    pub fn as_str(self) -> &'static str {
        match self {
            LkmmVerdict::Allowed => "allowed",
            LkmmVerdict::Forbidden => "forbidden (C11 only)",
        }
    }

    /// Read herd7's output.
    pub fn from_herd7(out: &str) -> Option<LkmmVerdict> {
        let obs = out.lines().find(|l| l.starts_with("Observation "))?;
        match obs.split_whitespace().nth(2)? {
            "Never" => Some(LkmmVerdict::Forbidden),
            "Sometimes" | "Always" => Some(LkmmVerdict::Allowed),
            _ => None,
        }
    }
}
