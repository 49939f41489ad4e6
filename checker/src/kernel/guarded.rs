//! Lock-protected fields: a field declares the lock that protects it, and every access checks
//! that the running CPU holds that lock, so a missing lock is reported even in executions
//! where no race shows (the way lockdep reports an inversion without a deadlock).
//!
//! The value is ghost state (no scheduling point): the lock serialises every correct access,
//! so the explorer needs no extra interleavings to see what the protocol allows. A field the
//! kernel also reads without the lock is declared with [`Guarded::lockless_reads`]: its
//! writes are checked, and each [`Guarded::read_lockless`] is a ghost access that every
//! explorer orders against each write (docs/architecture.md, rule 1).
//!
//! A field that holds object pointers is declared with [`Guarded::new_refs`]: it registers
//! the objects it points to after every write. While the field's container is live, `kfree`
//! of one of them by a CPU that does not hold the field's lock is
//! [`FREE_WHILE_REACHABLE`](crate::invariant::FREE_WHILE_REACHABLE) at the `kfree`, and a
//! CPU that does hold it must have cleared the pointer by the time it releases the lock (the
//! same invariant, checked at the release: `slab::check_reachable_at_unlock`), whatever the
//! interleaving (no explorer has to reach the next reader of the dangling pointer).

use std::sync::Arc;

use super::lock::{LockGhost, Lockable};
use super::slab::{Obj, ObjId};
use crate::invariant::LOCK_NOT_HELD;
use crate::rt;
use crate::trace::thread_name;

/// A value that holds object pointers, for [`Guarded::new_refs`].
pub trait GhostRefs {
    /// The objects it points to.
    fn obj_ids(&self) -> Vec<ObjId>;
}

impl<T> GhostRefs for Obj<T> {
    fn obj_ids(&self) -> Vec<ObjId> {
        vec![self.id()]
    }
}

impl<T: GhostRefs> GhostRefs for Option<T> {
    fn obj_ids(&self) -> Vec<ObjId> {
        self.as_ref().map(T::obj_ids).unwrap_or_default()
    }
}

impl<T: GhostRefs> GhostRefs for Vec<T> {
    fn obj_ids(&self) -> Vec<ObjId> {
        self.iter().flat_map(T::obj_ids).collect()
    }
}

/// A field protected by a lock.
pub struct Guarded<T> {
    value: std::sync::Mutex<T>,
    lock: Arc<LockGhost>,
    name: String,
    /// For a field declared with [`Guarded::new_refs`]: the objects a value points to.
    refs: Option<fn(&T) -> Vec<ObjId>>,
    /// Declared with [`Guarded::lockless_reads`]: written under the lock, read without it.
    lockless: bool,
}

impl<T> Guarded<T> {
    /// The field `name` (e.g. `vm#1.evict.local_list`), protected by `lock`.
    pub fn new(name: impl Into<String>, lock: &impl Lockable, value: T) -> Guarded<T> {
        Guarded {
            value: std::sync::Mutex::new(value),
            lock: lock.ghost().clone(),
            name: name.into(),
            refs: None,
            lockless: false,
        }
    }

    /// Declare the field written only under its lock but read without it too (the kernel
    /// reads it with `READ_ONCE()` or `rcu_dereference()`, e.g. `dma_resv`'s
    /// `fences->table[]` in the unlocked iterator): [`Guarded::read_lockless`] is allowed.
    /// Every write still checks the lock (rule 1); each write and each lockless read is an
    /// event of the field (`WRITE_ONCE`, `READ_ONCE`), which every explorer orders against
    /// the other (a DPOR race for loom, a footprint access for dpor): which value the reader
    /// gets depends on that order, so both are explored (docs/architecture.md, rule 3;
    /// `litmus/ghost+kfree-resv-table-replaced`).
    pub fn lockless_reads(mut self) -> Guarded<T> {
        self.lockless = true;
        self
    }

    /// Like [`Guarded::new`], for a field that holds object pointers: `kfree` of an object
    /// it points to is checked, and so is every release of the lock
    /// ([`FREE_WHILE_REACHABLE`](crate::invariant::FREE_WHILE_REACHABLE)). Every field that
    /// holds a pointer to a `kzalloc`ed or slab object is declared so.
    pub fn new_refs(name: impl Into<String>, lock: &impl Lockable, value: T) -> Guarded<T>
    where
        T: GhostRefs,
    {
        let g = Guarded {
            refs: Some(T::obj_ids),
            ..Guarded::new(name, lock, value)
        };
        g.register(&g.value.lock().unwrap_or_else(|e| e.into_inner()));
        g
    }

    /// Record in the world what the field points to now (ghost).
    fn register(&self, v: &T) {
        let Some(refs) = self.refs else { return };
        if !rt::active() {
            return;
        }
        let objs = refs(v);
        rt::with(|w| {
            // A dangling pointer reported once stays reported while the field holds it.
            let reported = w
                .ghost_refs
                .get(&self.name)
                .map(|r| {
                    r.reported
                        .iter()
                        .copied()
                        .filter(|id| objs.contains(id))
                        .collect()
                })
                .unwrap_or_default();
            w.ghost_refs.insert(
                self.name.clone(),
                rt::GhostRef {
                    lock: self.lock.clone(),
                    objs,
                    reported,
                },
            )
        });
    }

    fn check(&self, how: &str) {
        if !self.lock.held_by_current() {
            rt::report(
                &LOCK_NOT_HELD,
                format!(
                    "{how} of {} by {} without holding {}",
                    self.name,
                    thread_name(rt::current_tid()),
                    self.lock.name
                ),
            );
        }
    }

    /// Read the field (checked).
    pub fn read(&self) -> T
    where
        T: Clone,
    {
        self.check("read");
        rt::touch(&self.name, false);
        self.value.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Read the field without its lock, for a field declared with
    /// [`Guarded::lockless_reads`] (a model that reads another field so is a model bug: a
    /// panic). A ghost access with no scheduling point, recorded as a `READ_ONCE` event of
    /// the field (what it read: the objects, for a `new_refs` field), which every explorer
    /// orders against each write (recorded as a `WRITE_ONCE` event of the field).
    pub fn read_lockless(&self) -> T
    where
        T: Clone,
    {
        assert!(
            self.lockless,
            "{}: read_lockless() of a field not declared with Guarded::lockless_reads()",
            self.name
        );
        let v = self.value.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // An event, as `READ_ONCE()`: which value the read got is an observation, and the
        // event places the read in the trace (rule 5).
        rt::record("READ_ONCE", &self.name, &self.describe(&v));
        v
    }

    /// Write the field (checked). The ghost write is in the step of the last scheduling
    /// point it has (the shadow loads of a `new_refs` field come first), so a lockless reader
    /// ordered before that step reads the old value and one ordered after it the new (rule 5).
    pub fn write(&self, v: T) {
        self.check("write");
        if let Some(refs) = self.refs {
            // The objects the field stops or starts pointing to are read through their
            // shadows (a scheduling point, as a list relink's), so every explorer can order
            // the write against their kfree.
            let old = refs(&self.value.lock().unwrap_or_else(|e| e.into_inner()));
            let new = refs(&v);
            for id in old
                .iter()
                .chain(&new)
                .filter(|id| !(old.contains(id) && new.contains(id)))
            {
                super::slab::touch_shadow(*id);
                if rt::active() {
                    rt::touch_live(&rt::with(|w| w.objects[*id].name.clone()));
                }
            }
        }
        if !self.lockless {
            rt::touch(&self.name, true);
        }
        let mut value = self.value.lock().unwrap_or_else(|e| e.into_inner());
        *value = v;
        self.register(&value);
        if self.lockless {
            // The write's event, in its step: a lockless reader sees the state it names, and
            // a replay that follows the events puts the write where the recorded run did
            // (rule 5). Its accesses are the ghost access's (a write of the field).
            let desc = self.describe(&value);
            drop(value);
            rt::record("WRITE_ONCE", &self.name, &desc);
        }
    }

    /// What the trace shows of a value: the objects it points to, for a `new_refs` field.
    fn describe(&self, v: &T) -> String {
        let Some(refs) = self.refs else {
            return String::new();
        };
        if !rt::active() {
            return String::new();
        }
        let names: Vec<String> = rt::with(|w| {
            refs(v)
                .into_iter()
                .map(|id| w.objects[id].name.clone())
                .collect()
        });
        format!("[{}]", names.join(", "))
    }

    /// Read without the lock check: for the harness's ghost checks only.
    pub fn ghost_read(&self) -> T
    where
        T: Clone,
    {
        self.value.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
