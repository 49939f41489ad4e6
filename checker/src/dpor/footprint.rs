//! What a recorded event touches: the accesses that decide which events are dependent, for
//! the dpor explorer and for the distinct-trace count of every explorer.
//!
//! An event's object is a name such as `gem#1.gpuva.lock`; its *root* is the part before
//! the first `.` (`gem#1`), the allocated object it lives in. Every access to a name also
//! reads the root's pseudo-location, and `kfree`/`kzalloc` of an object write it, so that a
//! free is ordered against every access to the object's fields (the use-after-free checks
//! read the freed flag).
//!
//! Classification is conservative: an operation not known to be a read is a write, so that
//! an unknown operation makes events *more* dependent (more exploration, never less).

use crate::trace::Event;

/// How an event touches a location.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Read,
    Write,
    /// A blocking exclusive lock acquisition (`spin_lock`, `mutex_lock`, `down_write`):
    /// a write of the lock, which cannot be reordered before the release it waited for.
    Acquire,
    /// A blocking shared acquisition (`down_read`): like [`Kind::Acquire`] against an
    /// exclusive holder, but read-side sections overlap, so against another reader's release
    /// it races ([`Kind::syncs`]).
    AcquireShared,
    /// An exclusive lock release: a write of the lock.
    Release,
    /// A shared release (`up_read`).
    ReleaseShared,
}

impl Kind {
    pub fn writes(self) -> bool {
        self != Kind::Read
    }

    /// Whether `self` (earlier) to `other` (later) is a release that the later acquisition
    /// waited for: an ordering, not a race. A reader's release orders only a writer's
    /// acquisition; another reader did not wait for it.
    pub fn syncs(self, other: Kind) -> bool {
        matches!(
            (self, other),
            (Kind::Release, Kind::Acquire | Kind::AcquireShared)
                | (Kind::ReleaseShared, Kind::Acquire)
        )
    }

    /// An acquisition's section (exclusive or shared), if this is one.
    pub fn acquires(self) -> Option<bool> {
        match self {
            Kind::Acquire => Some(false),
            Kind::AcquireShared => Some(true),
            _ => None,
        }
    }
}

/// One access: a location (a hash of its name) and how it is touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    pub loc: u64,
    pub kind: Kind,
}

/// The accesses of one step (one or more events between two scheduling decisions), or
/// `Global` for a step whose accesses are unknown (it recorded nothing), which is dependent
/// with every step of another thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Footprint {
    #[default]
    Empty,
    Accesses(Vec<Access>),
    Global,
}

impl Footprint {
    pub fn push(&mut self, a: Access) {
        match self {
            Footprint::Empty => *self = Footprint::Accesses(vec![a]),
            Footprint::Accesses(v) => {
                if !v.contains(&a) {
                    v.push(a)
                }
            }
            Footprint::Global => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Footprint::Empty)
    }

    /// Whether the two steps must be ordered (same location, one of them writes).
    pub fn dependent(&self, other: &Footprint) -> bool {
        self.dependent_where(other, |_, _| true)
    }

    /// Like [`Footprint::dependent`], but only pairs of accesses that `keep(mine, theirs)`.
    pub fn dependent_where(&self, other: &Footprint, keep: impl Fn(Kind, Kind) -> bool) -> bool {
        match (self, other) {
            (Footprint::Empty, _) | (_, Footprint::Empty) => false,
            (Footprint::Global, _) | (_, Footprint::Global) => true,
            (Footprint::Accesses(a), Footprint::Accesses(b)) => a.iter().any(|x| {
                b.iter().any(|y| {
                    x.loc == y.loc && (x.kind.writes() || y.kind.writes()) && keep(x.kind, y.kind)
                })
            }),
        }
    }
}

/// A hash of a string, eight bytes at a time (stable, cheap; the location key).
pub fn loc(name: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for chunk in name.as_bytes().chunks(8) {
        let mut v = [0u8; 8];
        v[..chunk.len()].copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(v));
    }
    mix(h, name.len() as u64)
}

/// Keys that are hashes already: hashed as themselves.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = mix(self.0, *b as u64);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// The root object's pseudo-location of `name` (`gem#1` for `gem#1.gpuva.lock`).
fn root_loc(name: &str) -> u64 {
    let root = name.split('.').next().unwrap_or(name);
    loc(root) ^ 0x5bd1e995
}

const READS: &[&str] = &[
    "READ_ONCE",
    "atomic_read",
    "atomic_read_acquire",
    "smp_load_acquire",
    "kref_read",
    "test_bit",
    "read_seqcount_begin",
    "read_seqcount_retry",
    "llist_empty",
    "list_empty",
    "list_empty_careful",
    "list_is_singular",
    "list_first_entry",
    "list_first_entry_or_null",
    "rcu_access_pointer",
];

const ACQUIRES: &[&str] = &["spin_lock", "mutex_lock", "down_write"];
const RELEASES: &[&str] = &["spin_unlock", "mutex_unlock", "up_write"];

/// Whether `op` reads or changes RCU's global state (readers, grace periods, callbacks).
pub fn is_rcu_op(op: &str) -> bool {
    op.starts_with("rcu_read_")
        || op == "synchronize_rcu"
        || op == "call_rcu"
        || op == "rcu callback"
}

/// The accesses of `e`, pushed to `out`. Function-entry markers (`name()`), violations,
/// spawn and join touch nothing (spawn and join order threads by program structure).
pub fn accesses(e: &Event, mut out: impl FnMut(Access)) {
    let op = e.op.as_str();
    if op.ends_with("()") || op == "VIOLATION" || op == "spawn" || op == "join" {
        return;
    }
    // RCU's global state (readers, grace periods, callbacks): one location, written by all.
    if is_rcu_op(op) {
        out(Access {
            loc: loc("rcu"),
            kind: Kind::Write,
        });
        // The read-side sections as an rwsem's read side, which `synchronize_rcu()` takes
        // and releases for write: it waits for the sections running when it reaches them
        // (checker/src/kernel/rcu.rs), so a race of a `synchronize_rcu()` with a step inside
        // a section is reversed where the section began ([`crate::dpor::Dpor`]'s lock
        // rule), not at the `rcu_read_unlock()` it could not have run before.
        let readers = |kind| Access {
            loc: loc("\u{0}rcu readers"),
            kind,
        };
        match op {
            "rcu_read_lock" if e.result.is_empty() => out(readers(Kind::AcquireShared)),
            "rcu_read_unlock" if e.result.is_empty() => out(readers(Kind::ReleaseShared)),
            "synchronize_rcu" => {
                out(readers(Kind::Acquire));
                out(readers(Kind::Release));
            }
            _ => {}
        }
        if e.obj.is_empty() {
            return;
        }
    }
    if op == "kfree" || op == "kzalloc" || op.starts_with("kmem_cache_") {
        out(Access {
            loc: root_loc(&e.obj),
            kind: Kind::Write,
        });
        out(Access {
            loc: loc(&e.obj),
            kind: Kind::Write,
        });
        return;
    }
    // Every other operation (the ghost clock's `ghost_now` and `ghost_stamp` among them: each
    // an RMW of the clock's word under loom, checker/src/kernel/clock.rs) writes its object.
    let kind = if is_read_op(op) {
        Kind::Read
    } else if ACQUIRES.contains(&op) {
        Kind::Acquire
    } else if RELEASES.contains(&op) {
        Kind::Release
    } else if op == "down_read" {
        // Read-side sections overlap: litmus/probe-rwsem-two-readers is the calibration.
        Kind::AcquireShared
    } else if op == "up_read" {
        Kind::ReleaseShared
    } else if op.ends_with("_trylock") {
        if e.result == "contended" {
            Kind::Read
        } else {
            Kind::Write
        }
    } else {
        Kind::Write
    };
    out(Access {
        loc: loc(&e.obj),
        kind,
    });
    out(Access {
        loc: root_loc(&e.obj),
        kind: Kind::Read,
    });
}

/// What a write does to its location's value, as far as the event says it: the values per
/// location that [`crate::dpor::Dpor`]'s repeat check compares (whether a retry iteration
/// left what it wrote as it found it). Values are hashes of the recorded value's text, so
/// they compare equal only between writes of one location by one primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The event does not say what it left (or the write is a ghost access, or a write of a
    /// lifecycle or pseudo-location): nothing can be concluded.
    Unknown,
    /// A read-modify-write that found `before` and left `after` (`kref_put` `3->2`).
    Rmw { before: u64, after: u64 },
    /// A store that left this value (`WRITE_ONCE(x)=1`), whatever was there.
    Store(u64),
    /// An outermost or nested `rcu_read_lock()` (+1) or `rcu_read_unlock()` (-1) of the
    /// event's thread, on RCU's locations: a balanced sequence of them by one thread, with
    /// no other RCU operation, leaves RCU's state as it found it.
    Nest(i8),
}

/// The effect of each write access of `e` ([`accesses`]), in the same order.
pub fn effects(e: &Event, out: impl FnMut(u64, Effect)) {
    let mut acc = Vec::new();
    accesses(e, |a| acc.push(a));
    effects_of(e, &acc, out);
}

/// [`effects`], given the event's accesses (the backend has them already).
pub fn effects_of(e: &Event, acc: &[Access], mut out: impl FnMut(u64, Effect)) {
    if !acc.iter().any(|a| a.kind.writes()) {
        return; // a read (the common case): no value to classify
    }
    let op = e.op.as_str();
    let own = loc(&e.obj);
    let nest = match op {
        "rcu_read_lock" => Some(1),
        "rcu_read_unlock" => Some(-1),
        _ => None,
    };
    // The values as the trace's one classification reads them (`trace::access`). A load
    // here is an operation that footprints count as a write but that wrote nothing (a
    // failed conditional update such as `kref_get_unless_zero` `0 -> false`): it left the
    // value it read. Any other access (a bit operation, a lock, a list operation, an
    // allocation) is unknown. `classify` lists only operations whose recorded value is all
    // a later access of the location can observe: one that records less than it leaves
    // would make the repeat check take two different states for one.
    let value = match crate::trace::access::classify(e) {
        crate::trace::access::Access::Store { value } => Effect::Store(loc(&value)),
        crate::trace::access::Access::Rmw { old, new } => Effect::Rmw {
            before: loc(&old),
            after: loc(&new),
        },
        crate::trace::access::Access::Load { value } => Effect::Rmw {
            before: loc(&value),
            after: loc(&value),
        },
        _ => Effect::Unknown,
    };
    for a in acc.iter().filter(|a| a.kind.writes()) {
        let effect = match nest {
            Some(d) if a.loc == loc("rcu") || a.loc == loc("\u{0}rcu readers") => Effect::Nest(d),
            Some(_) => Effect::Unknown,
            None if a.loc == own => value,
            None => Effect::Unknown,
        };
        out(a.loc, effect);
    }
}

/// The accesses of a ghost access that records no event (see `rt::touch`): the name, read
/// or written, and a read of its root.
pub fn touch_accesses(name: &str, write: bool, mut out: impl FnMut(Access)) {
    out(Access {
        loc: loc(name),
        kind: if write { Kind::Write } else { Kind::Read },
    });
    out(Access {
        loc: root_loc(name),
        kind: Kind::Read,
    });
}

/// The access of a liveness check of the object `name` (KASAN's shadow): a read of its root,
/// which only `kfree`/`kzalloc` write.
pub fn live_access(name: &str) -> Access {
    Access {
        loc: root_loc(name),
        kind: Kind::Read,
    }
}

/// The root write of a `kfree` of the object `name` (the access of its event that every
/// liveness check of the object conflicts with).
pub fn free_access(name: &str) -> Access {
    Access {
        loc: root_loc(name),
        kind: Kind::Write,
    }
}

/// Whether the list or other operation `op` only reads.
pub fn is_read_op(op: &str) -> bool {
    READS.contains(&op) || op.starts_with("list_for_each") || op.starts_with("rcu_dereference")
}

/// A cheap multiplicative hash combiner (FxHash's step).
#[inline]
pub(crate) fn mix(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(0x517cc1b727220a95)
}

/// A canonical hash of the execution's Mazurkiewicz trace: two executions hash alike iff
/// (up to hash collisions) every thread ran the same events with the same results, and
/// every location saw its writes in the same order with the same reads between them (the
/// dependency order of [`accesses`]). Results are part of the events, so loom executions
/// that differ only in a value read differ here too.
pub fn trace_hash(events: &[Event]) -> u64 {
    use std::collections::HashMap;
    type Keyed = std::hash::BuildHasherDefault<KeyHasher>;
    // Per thread: the hash of its event sequence, and its event count.
    let mut threads: Vec<(u64, u64)> = Vec::new();
    // Per location: (hash of the write sequence with the read groups, xor of pending reads).
    let mut locs: HashMap<u64, (u64, u64), Keyed> =
        HashMap::with_capacity_and_hasher(64, Keyed::default());
    for e in events {
        if threads.len() <= e.tid {
            threads.resize(e.tid + 1, (0, 0));
        }
        let (h, n) = threads[e.tid];
        let eh = mix(mix(loc(&e.op), loc(&e.obj)), loc(&e.result));
        threads[e.tid] = (mix(h, eh), n + 1);
        let me = mix(e.tid as u64, n);
        accesses(e, |a| {
            let slot = locs.entry(a.loc).or_insert((0, 0));
            if a.kind.writes() {
                slot.0 = mix(mix(slot.0, slot.1), me);
                slot.1 = 0;
            } else {
                // Reads between two writes are unordered among themselves.
                slot.1 = slot.1.wrapping_add(mix(0x9e37, me));
            }
        });
    }
    let mut h = 0u64;
    for (t, (th, n)) in threads.iter().enumerate() {
        h = mix(mix(mix(h, t as u64), *th), *n);
    }
    let mut per_loc: Vec<u64> = locs
        .into_iter()
        .map(|(l, (w, r))| mix(mix(l, w), r))
        .collect();
    per_loc.sort_unstable();
    for x in per_loc {
        h = mix(h, x);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(tid: usize, op: &str, obj: &str, result: &str) -> Event {
        Event::new(tid, 0, op, obj, result)
    }

    #[test]
    fn trace_hash_is_one_per_mazurkiewicz_trace() {
        let a = ev(1, "WRITE_ONCE", "v#1.x", "1");
        let b = ev(2, "WRITE_ONCE", "v#1.y", "1");
        let ra = ev(1, "READ_ONCE", "v#1.z", "0");
        let rb = ev(2, "READ_ONCE", "v#1.z", "0");
        let w = ev(2, "WRITE_ONCE", "v#1.z", "1");
        // Independent events commute: one trace.
        assert_eq!(
            trace_hash(&[a.clone(), b.clone()]),
            trace_hash(&[b.clone(), a.clone()])
        );
        // Two reads of one location commute.
        assert_eq!(
            trace_hash(&[ra.clone(), rb.clone()]),
            trace_hash(&[rb.clone(), ra.clone()])
        );
        // A read and a write of one location do not.
        assert_ne!(
            trace_hash(&[ra.clone(), w.clone()]),
            trace_hash(&[w.clone(), ra.clone()])
        );
        // kfree is ordered against every access to the object's fields.
        let free = ev(2, "kfree", "v#1", "");
        assert_ne!(
            trace_hash(&[a.clone(), free.clone()]),
            trace_hash(&[free, a])
        );
    }

    /// The values per location that `Dpor::repeats_iteration` compares: only where the
    /// event states them, in the form its primitive records.
    #[test]
    fn effects_state_values_only_where_recorded() {
        let fx = |e: &Event| {
            let mut v = Vec::new();
            effects(e, |l, f| v.push((l, f)));
            v
        };
        let r = loc("f#1.refcount");
        assert_eq!(
            fx(&ev(1, "kref_put", "f#1.refcount", "3->2")),
            vec![(
                r,
                Effect::Rmw {
                    before: loc("3"),
                    after: loc("2")
                }
            )]
        );
        assert_eq!(
            fx(&ev(1, "kref_get_unless_zero", "f#1.refcount", "2->3 true")),
            vec![(
                r,
                Effect::Rmw {
                    before: loc("2"),
                    after: loc("3")
                }
            )]
        );
        // A failed get wrote nothing: it left the value it read. A bit operation says
        // nothing of the word.
        assert_eq!(
            fx(&ev(1, "kref_get_unless_zero", "f#1.refcount", "0 -> false")),
            vec![(
                r,
                Effect::Rmw {
                    before: loc("0"),
                    after: loc("0")
                }
            )]
        );
        assert_eq!(
            fx(&ev(1, "set_bit", "f#1.flags", "bit 1")),
            vec![(loc("f#1.flags"), Effect::Unknown)]
        );
        assert_eq!(
            fx(&ev(1, "WRITE_ONCE", "l#1.count", "1")),
            vec![(loc("l#1.count"), Effect::Store(loc("1")))]
        );
        // Reads write nothing; the root read of every access is no write either.
        assert!(fx(&ev(1, "READ_ONCE", "l#1.count", "1")).is_empty());
        // rcu_read_lock()/unlock() move the nesting on both of RCU's locations; any other
        // RCU operation is unknown.
        let lock = fx(&ev(1, "rcu_read_lock", "", ""));
        assert_eq!(lock.len(), 2);
        assert!(lock.iter().all(|(_, f)| *f == Effect::Nest(1)));
        assert!(fx(&ev(1, "rcu_read_unlock", "", "nested 1"))
            .iter()
            .all(|(_, f)| *f == Effect::Nest(-1)));
        assert!(fx(&ev(1, "synchronize_rcu", "", ""))
            .iter()
            .all(|(_, f)| *f == Effect::Unknown));
    }

    #[test]
    fn dependency_of_locks_and_reads() {
        let fp = |e: &Event| {
            let mut f = Footprint::Empty;
            accesses(e, |a| f.push(a));
            f
        };
        let lock = fp(&ev(1, "spin_lock", "vm#1.lock", ""));
        let unlock = fp(&ev(2, "spin_unlock", "vm#1.lock", ""));
        let failed = fp(&ev(2, "mutex_trylock", "vm#1.lock", "contended"));
        let r1 = fp(&ev(1, "kref_read", "vm#1", "1"));
        let r2 = fp(&ev(2, "READ_ONCE", "vm#1", "1"));
        assert!(lock.dependent(&unlock));
        assert!(lock.dependent(&failed));
        assert!(!r1.dependent(&r2));
        assert!(!fp(&ev(1, "drm_gpuvm_bo_put()", "vm_bo#1", "")).dependent(&Footprint::Global));
        assert!(r1.dependent(&fp(&ev(2, "kfree", "vm#1", ""))));
    }

    /// The ghost clock (checker/src/kernel/clock.rs): a reading and a stamp each write
    /// `clock`, as under loom each is an RMW of the clock's word, so dpor orders every reading
    /// against every stamp (the windows of `litmus/probe-ghost-clock-window`) and against
    /// every other reading, as loom does.
    #[test]
    fn clock_readings_and_stamps_write_the_clock() {
        let fp = |e: &Event| {
            let mut f = Footprint::Empty;
            accesses(e, |a| f.push(a));
            f
        };
        let now0 = fp(&ev(1, "ghost_now", "clock", "0"));
        let now1 = fp(&ev(2, "ghost_now", "clock", "0"));
        let stamp = fp(&ev(2, "ghost_stamp", "clock", "1"));
        assert!(now0.dependent(&stamp));
        assert!(now0.dependent(&now1));
        assert!(!now0.dependent(&fp(&ev(2, "WRITE_ONCE", "obj#1.x", "1"))));
    }
}
