//! What a recorded event did to memory, read back from the trace: a load, a store, a
//! read-modify-write, a lock acquire or release. The condensed replay view, the stale-read
//! marks and the happens-before graph all read events through this one table, so an op name
//! the primitives record is classified in one place (`checker/src/kernel/*` records them).

use std::collections::HashMap;

use super::Event;

/// The memory effect of one event, with the values the trace recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load that read `value`.
    Load { value: String },
    /// A store of `value`.
    Store { value: String },
    /// An atomic read-modify-write: read `old` (always the latest value), wrote `new`.
    Rmw { old: String, new: String },
    /// A bit operation on a bit word: test (`Some(read)`) and/or set/clear.
    Bit {
        nr: u32,
        read: Option<bool>,
        write: Option<bool>,
    },
    /// A lock (or read-side section) taken.
    Acquire,
    /// A lock (or read-side section) released.
    Release,
    /// Nothing the graph or the stale-read check needs (a list operation on ghost state, a
    /// function entry, a note, an allocation).
    Other,
}

const LOADS: &[&str] = &[
    "READ_ONCE",
    "atomic_read",
    "atomic_read_acquire",
    "smp_load_acquire",
    "rcu_dereference",
    "rcu_dereference_check",
    "rcu_dereference_protected",
    "rcu_access_pointer",
    "kref_read",
    "read_seqcount_begin",
];
const STORES: &[&str] = &[
    "WRITE_ONCE",
    "atomic_set",
    "atomic_set_release",
    "smp_store_release",
    "RCU_INIT_POINTER",
    "rcu_assign_pointer",
    "kref_init",
];
const RMWS: &[&str] = &[
    "kref_get",
    "kref_put",
    "atomic_inc",
    "atomic_inc_return",
    "atomic_dec",
    "atomic_dec_return",
    "atomic_dec_and_test",
    "write_seqcount_begin",
    "write_seqcount_end",
    "kref_get_unless_zero",
    "refcount_dec_not_one",
];
const ACQUIRES: &[&str] = &[
    "spin_lock",
    "mutex_lock",
    "mutex_trylock",
    "down_read",
    "down_write",
];
const RELEASES: &[&str] = &["spin_unlock", "mutex_unlock", "up_read", "up_write"];

/// A pointer value as stored: `fence_cache[0] (fence#1, now fence#3)` was stored as
/// `fence_cache[0] (fence#1)` (the `now` part says what occupies the memory at the load).
fn stored_form(v: &str) -> String {
    match v.find(", now ") {
        Some(i) => {
            let rest = &v[i..];
            let close = rest.find(')').map(|j| i + j).unwrap_or(v.len());
            format!("{}{}", &v[..i], &v[close..])
        }
        None => v.to_string(),
    }
}

fn bit_nr(s: &str) -> Option<u32> {
    s.strip_prefix("bit ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Classify one event by its op name and recorded result.
pub fn classify(e: &Event) -> Access {
    let op = e.op.as_str();
    let r = e.result.as_str();
    if LOADS.contains(&op) {
        return Access::Load {
            value: stored_form(r),
        };
    }
    if op == "read_seqcount_retry" {
        // `2 -> ok` / `3 -> retry`: a load of the sequence.
        let v = r.split(" -> ").next().unwrap_or(r);
        return Access::Load {
            value: v.to_string(),
        };
    }
    if STORES.contains(&op) || op == "store" {
        return Access::Store {
            value: stored_form(r),
        };
    }
    if RMWS.contains(&op)
        || op.starts_with("cmpxchg")
        || op.starts_with("atomic_cmpxchg")
        || op.starts_with("xchg")
    {
        // `1->2`, `1->2 true` (a successful conditional update), `0 -> false` (a failed one:
        // only a load).
        if let Some(old) = r.strip_suffix(" -> false") {
            return Access::Load {
                value: old.to_string(),
            };
        }
        // `0 (!= 2: failed)`: a failed cmpxchg, only a load of the value it read.
        if let Some((old, _)) = r.split_once(" (!= ").filter(|_| r.ends_with(": failed)")) {
            return Access::Load {
                value: old.to_string(),
            };
        }
        let r = r.strip_suffix(" true").unwrap_or(r);
        if let Some((old, new)) = r.split_once("->") {
            return Access::Rmw {
                old: old.trim().to_string(),
                new: new.trim().to_string(),
            };
        }
        return Access::Other;
    }
    match op {
        "test_bit" => bit_nr(r).map_or(Access::Other, |nr| Access::Bit {
            nr,
            read: Some(r.ends_with(": 1")),
            write: None,
        }),
        "set_bit" | "clear_bit" => bit_nr(r).map_or(Access::Other, |nr| Access::Bit {
            nr,
            read: None,
            write: Some(op == "set_bit"),
        }),
        "test_and_set_bit" => bit_nr(r).map_or(Access::Other, |nr| Access::Bit {
            nr,
            read: Some(r.ends_with("was 1")),
            write: Some(true),
        }),
        // spin_is_locked() reads the lock word that spin_lock()/spin_unlock() write.
        "spin_is_locked" => Access::Load {
            value: r.to_string(),
        },
        _ if ACQUIRES.contains(&op) => Access::Acquire,
        _ if RELEASES.contains(&op) => Access::Release,
        "rcu_read_lock" if r.is_empty() => Access::Acquire,
        "rcu_read_unlock" if r.is_empty() => Access::Release,
        _ => Access::Other,
    }
}

/// Whether the event writes memory another CPU may read (for "conflicting access").
pub fn writes(e: &Event) -> bool {
    matches!(
        classify(e),
        Access::Store { .. } | Access::Rmw { .. } | Access::Bit { write: Some(_), .. }
    ) || matches!(
        e.op.as_str(),
        "kfree"
            | "kmem_cache_free"
            | "kmem_cache_alloc"
            | "kzalloc"
            | "list_add_tail"
            | "list_del"
            | "list_del_init"
            | "list_move_tail"
            | "list_splice"
            | "llist_add"
            | "llist_del_all"
            | "INIT_LIST_HEAD"
    )
}

/// The loads that read a value other than the latest store to their object in the recorded
/// order (only a loom-mode trace has them: shuttle is sequentially consistent). Maps the
/// event's index to the latest value. An object whose value the trace never recorded (a
/// field zeroed by `kzalloc`) has no latest store, so its loads are never marked.
pub fn stale_reads(events: &[Event]) -> HashMap<usize, String> {
    let mut latest: HashMap<&str, String> = HashMap::new();
    // Bit words: the value of each bit, known once a `store` of the word was recorded.
    let mut words: HashMap<&str, u64> = HashMap::new();
    let mut stale = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let obj = e.obj.as_str();
        match classify(e) {
            Access::Load { value } => {
                if let Some(l) = latest.get(obj) {
                    if *l != value {
                        stale.insert(i, l.clone());
                    }
                }
            }
            Access::Store { value } => {
                if e.op == "store" {
                    if let Some(v) = value
                        .strip_prefix("0x")
                        .and_then(|h| u64::from_str_radix(h, 16).ok())
                    {
                        words.insert(obj, v);
                    }
                }
                latest.insert(obj, value);
            }
            // An RMW that read an older value than the latest store (a stale successful
            // RMW, vendor/loom/KMODEL-PATCH.md): its write precedes that store in the
            // modification order, so the latest store stays the latest.
            Access::Rmw { old, new } => match latest.get(obj) {
                Some(l) if *l != old => {
                    stale.insert(i, l.clone());
                }
                _ => {
                    latest.insert(obj, new);
                }
            },
            // The lock word, as spin_is_locked() reads it.
            Access::Acquire if !obj.is_empty() => {
                latest.insert(obj, "true".into());
            }
            Access::Release if !obj.is_empty() => {
                latest.insert(obj, "false".into());
            }
            Access::Bit { nr, read, write } => {
                if let (Some(r), Some(w)) = (read, words.get(obj)) {
                    let now = w >> nr & 1 == 1;
                    if write.is_none() && now != r {
                        stale.insert(i, format!("bit {nr}: {}", u8::from(now)));
                    }
                }
                if let (Some(set), Some(w)) = (write, words.get_mut(obj)) {
                    if set {
                        *w |= 1 << nr;
                    } else {
                        *w &= !(1 << nr);
                    }
                }
            }
            _ => {}
        }
    }
    stale
}
