//! Model of `struct list_head` (include/linux/list.h), with the checks of
//! CONFIG_DEBUG_LIST (lib/list_debug.c) and of KASAN on the nodes it touches.
//!
//! Nodes live in the execution's arena. A node is stored inside an object (then it dies with
//! the object's `kfree`) or on a CPU's stack (`LIST_HEAD(name)` in a function: it dies when
//! that function returns, i.e. when the [`StackListHead`] drops). Each operation touches
//! exactly the nodes the kernel's inline functions touch; touching a dead one is
//! [`LIST_HEAD_UAF`] (stack or object storage). A failed `__list_add_valid` /
//! `__list_del_entry_valid` check is [`LIST_CORRUPTION`] and, as in the kernel, skips the
//! operation; dereferencing a NULL or LIST_POISON link anywhere else is an [`OOPS`] (fatal).
//!
//! A list head may declare the lock protecting its list; every operation on a node checks
//! that the running CPU holds the locks of all the heads on the node's ring
//! ([`LOCK_NOT_HELD`]). Links are ghost state: no scheduling point (see [`super`]).

use crate::invariant::{Invariant, LIST_CORRUPTION, LIST_HEAD_UAF, LOCK_NOT_HELD, OOPS};
use crate::kernel::lock::Lockable;
use crate::kernel::slab::{container_of, Obj};
use crate::rt::{self, Link, Node, NodeId, ObjId, Storage, World};
use crate::trace::thread_name;

/// A `struct list_head` embedded in a model object (an entry, or the head of a list). Copying
/// it copies a `struct list_head *`: the storage stays where it was allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListHead {
    id: NodeId,
}

impl ListHead {
    /// A zeroed `list_head` (as `kzalloc` leaves it: NULL links) at `field` inside `owner`.
    /// Call [`INIT_LIST_HEAD`] before use, as the kernel does.
    pub fn new(owner: ObjId, owner_name: &str, field: &str) -> ListHead {
        ListHead::alloc(
            format!("{owner_name}.{field}"),
            Storage::Object(owner),
            None,
        )
    }

    /// Like [`ListHead::new`], for the head of a list protected by `lock`.
    pub fn new_head(owner: ObjId, owner_name: &str, field: &str, lock: &impl Lockable) -> ListHead {
        ListHead::alloc(
            format!("{owner_name}.{field}"),
            Storage::Object(owner),
            Some(lock.ghost().clone()),
        )
    }

    fn alloc(
        name: String,
        storage: Storage,
        lock: Option<std::sync::Arc<super::lock::LockGhost>>,
    ) -> ListHead {
        let is_head = lock.is_some();
        let id = rt::with(|w| {
            w.nodes.push(Node {
                name,
                storage,
                next: Link::Null,
                prev: Link::Null,
                lock,
                is_head,
            });
            w.nodes.len() - 1
        });
        ListHead { id }
    }

    /// The node's name in traces.
    pub fn name(&self) -> String {
        rt::with(|w| w.nodes[self.id].name.clone())
    }

    /// Ghost: the objects on this list, in order, without checks (for final invariants).
    pub fn ghost_entries<T: 'static>(&self) -> Vec<Obj<T>> {
        let ids = rt::with(|w| ring(w, self.id));
        ids.into_iter()
            .filter_map(|n| owner_of(n).and_then(container_of::<T>))
            .collect()
    }

    /// Ghost: the name of every list head on this node's ring (where the entry is).
    pub fn ghost_heads(&self) -> Vec<String> {
        rt::with(|w| {
            let mut ids = vec![self.id];
            ids.extend(ring(w, self.id));
            ids.into_iter()
                .filter(|&n| w.nodes[n].is_head)
                .map(|n| w.nodes[n].name.clone())
                .collect()
        })
    }
}

/// `LIST_HEAD(name)` in a function: an on-stack list head, initialised, dead once dropped.
pub struct StackListHead {
    head: ListHead,
}

impl StackListHead {
    /// `LIST_HEAD(name)` declared in `func`, covered by `lock` like the list it borrows from.
    pub fn new(func: &str, name: &str, lock: &impl Lockable) -> StackListHead {
        let tid = rt::current_tid();
        let head = ListHead::alloc(
            format!("{}:{func}.{name}", thread_name(tid)),
            Storage::Stack { tid, live: true },
            Some(lock.ghost().clone()),
        );
        rt::with(|w| {
            let n = &mut w.nodes[head.id];
            n.next = Link::Node(head.id);
            n.prev = Link::Node(head.id);
        });
        StackListHead { head }
    }
}

impl std::ops::Deref for StackListHead {
    type Target = ListHead;
    fn deref(&self) -> &ListHead {
        &self.head
    }
}

impl Drop for StackListHead {
    fn drop(&mut self) {
        // The function returned: its stack frame, and the head in it, are gone.
        if rt::active() {
            rt::with(|w| {
                if let Storage::Stack { live, .. } = &mut w.nodes[self.head.id].storage {
                    *live = false;
                }
            });
        }
    }
}

/// KASAN's shadow check of the object an entry lives in, before an operation that relinks
/// the entry: a facade load, so that loom orders the relinking against that object's
/// `kfree` (its shadow store) and explores the free on both sides of it. The links
/// themselves stay ghost state; the ghost operation runs right after this scheduling point.
/// Only the relinked entry's own object: a neighbour that is relinked is still linked, so
/// freeing it is [`FREE_WHILE_LINKED`](crate::invariant::FREE_WHILE_LINKED) whatever the
/// order, and a walk reaches only linked objects.
fn shadow_check(entry: &ListHead) {
    if !rt::active() {
        return;
    }
    if let Some(o) = owner_of(entry.id) {
        crate::kernel::slab::touch_shadow(o);
    }
}

fn owner_of(n: NodeId) -> Option<ObjId> {
    rt::with(|w| match w.nodes[n].storage {
        Storage::Object(o) => Some(o),
        Storage::Stack { .. } => None,
    })
}

/// The nodes after `start` on its ring, following `next` (ghost walk, bounded).
fn ring(w: &World, start: NodeId) -> Vec<NodeId> {
    let mut out = Vec::new();
    let mut cur = w.nodes[start].next;
    while let Link::Node(n) = cur {
        if n == start || out.len() > w.nodes.len() {
            break;
        }
        out.push(n);
        cur = w.nodes[n].next;
    }
    out
}

/// For `kfree(obj)`: every `list_head` inside `obj` that is still linked with one outside it,
/// described as "NODE is still on HEAD" (or "still linked to NODE" when the ring has no head).
pub(crate) fn still_linked(w: &World, obj: ObjId) -> Vec<String> {
    let inside = |n: NodeId| matches!(w.nodes[n].storage, Storage::Object(o) if o == obj);
    let mut out = Vec::new();
    for n in 0..w.nodes.len() {
        if !inside(n) {
            continue;
        }
        let others: Vec<NodeId> = ring(w, n).into_iter().filter(|&m| !inside(m)).collect();
        if others.is_empty() {
            continue;
        }
        let heads: Vec<&str> = others
            .iter()
            .filter(|&&m| w.nodes[m].is_head)
            .map(|&m| w.nodes[m].name.as_str())
            .collect();
        out.push(if heads.is_empty() {
            format!(
                "{} is still linked to {}",
                w.nodes[n].name, w.nodes[others[0]].name
            )
        } else {
            format!("{} is still on {}", w.nodes[n].name, heads.join(", "))
        });
    }
    out
}

/// Reports gathered while the world is borrowed, emitted after.
type Reports = Vec<(&'static Invariant, String)>;

struct Op<'a> {
    w: &'a mut World,
    op: &'static str,
    subject: String,
    reports: Reports,
}

impl Op<'_> {
    /// KASAN on a node the operation reads or writes.
    fn touch(&mut self, n: NodeId) {
        let node = &self.w.nodes[n];
        rt::touch(&node.name, !crate::dpor::footprint::is_read_op(self.op));
        match node.storage {
            Storage::Stack { tid, live: false } => {
                let msg = format!(
                    "{}({}) touches {}, the on-stack list head of a function that has returned on {}",
                    self.op,
                    self.subject,
                    node.name,
                    thread_name(tid)
                );
                self.reports.push((&LIST_HEAD_UAF, msg));
            }
            Storage::Object(o) => {
                if let Some((tid, step)) = self.w.objects[o].freed {
                    let msg = format!(
                        "{}({}) touches {}, inside {} freed by {} at step {step}",
                        self.op,
                        self.subject,
                        node.name,
                        self.w.objects[o].name,
                        thread_name(tid)
                    );
                    self.reports.push((&LIST_HEAD_UAF, msg));
                }
            }
            Storage::Stack { live: true, .. } => {}
        }
    }

    /// Lockdep on the lists `n` belongs to.
    fn check_locks(&mut self, n: NodeId) {
        let mut ids = vec![n];
        ids.extend(ring(self.w, n));
        for id in ids {
            let node = &self.w.nodes[id];
            if let Some(lock) = &node.lock {
                if !lock.held_by_current() {
                    let msg = format!(
                        "{}({}) on {} without holding {}",
                        self.op, self.subject, node.name, lock.name
                    );
                    self.reports.push((&LOCK_NOT_HELD, msg));
                }
            }
        }
    }

    fn corrupt(&mut self, why: String) {
        self.reports.push((
            &LIST_CORRUPTION,
            format!("{}({}): {why}", self.op, self.subject),
        ));
    }

    /// Follow `n->next` (or `n->prev`). A NULL or poisoned link is an oops, or, where the
    /// kernel checks it first (`__list_del_entry_valid`), a reported corruption.
    fn follow(&mut self, n: NodeId, next: bool, checked: bool) -> Option<NodeId> {
        self.touch(n);
        let node = &self.w.nodes[n];
        match if next { node.next } else { node.prev } {
            Link::Node(x) => Some(x),
            l => {
                let why = format!(
                    "{}->{} is {}",
                    node.name,
                    if next { "next" } else { "prev" },
                    link_name(l)
                );
                if checked {
                    self.corrupt(why);
                } else {
                    self.reports
                        .push((&OOPS, format!("{}({}): {why}", self.op, self.subject)));
                }
                None
            }
        }
    }

    fn next_of(&mut self, n: NodeId) -> Option<NodeId> {
        self.follow(n, true, false)
    }

    fn prev_of(&mut self, n: NodeId) -> Option<NodeId> {
        self.follow(n, false, false)
    }

    fn name(&self, n: NodeId) -> String {
        self.w.nodes[n].name.clone()
    }

    /// `__list_add(new, prev, next)` with `__list_add_valid()`.
    fn add_between(&mut self, new: NodeId, prev: NodeId, next: NodeId) {
        self.touch(prev);
        self.touch(next);
        self.touch(new);
        if self.w.nodes[next].prev != Link::Node(prev) {
            let (a, b) = (self.name(next), self.name(prev));
            return self.corrupt(format!("list_add corruption: {a}->prev should be {b}"));
        }
        if self.w.nodes[prev].next != Link::Node(next) {
            let (a, b) = (self.name(prev), self.name(next));
            return self.corrupt(format!("list_add corruption: {a}->next should be {b}"));
        }
        if new == prev || new == next {
            let a = self.name(new);
            return self.corrupt(format!("list_add double add: {a} is already there"));
        }
        self.w.nodes[next].prev = Link::Node(new);
        self.w.nodes[new].next = Link::Node(next);
        self.w.nodes[new].prev = Link::Node(prev);
        self.w.nodes[prev].next = Link::Node(new);
    }

    /// `__list_del_entry(entry)` with `__list_del_entry_valid()`. False if corrupt.
    fn del_entry(&mut self, entry: NodeId) -> bool {
        let (Some(next), Some(prev)) = (
            self.follow(entry, true, true),
            self.follow(entry, false, true),
        ) else {
            return false;
        };
        self.touch(prev);
        self.touch(next);
        if self.w.nodes[prev].next != Link::Node(entry) {
            let (a, b) = (self.name(prev), self.name(entry));
            self.corrupt(format!("list_del corruption: {a}->next should be {b}"));
            return false;
        }
        if self.w.nodes[next].prev != Link::Node(entry) {
            let (a, b) = (self.name(next), self.name(entry));
            self.corrupt(format!("list_del corruption: {a}->prev should be {b}"));
            return false;
        }
        self.w.nodes[next].prev = Link::Node(prev);
        self.w.nodes[prev].next = Link::Node(next);
        true
    }
}

fn link_name(l: Link) -> &'static str {
    match l {
        Link::Null => "NULL (never INIT_LIST_HEAD'ed)",
        Link::Poison1 => "LIST_POISON1 (list_del'ed)",
        Link::Poison2 => "LIST_POISON2 (list_del'ed)",
        Link::Node(_) => "a node",
    }
}

/// Run one list operation: check and mutate under the world's borrow, then record the event
/// and emit the reports.
fn list_op<R>(
    op: &'static str,
    subject: &ListHead,
    result: impl Fn(&R) -> String,
    f: impl FnOnce(&mut Op) -> R,
) -> R {
    let (r, reports, subject_name) = rt::with(|w| {
        let subject_name = w.nodes[subject.id].name.clone();
        let mut o = Op {
            w,
            op,
            subject: subject_name.clone(),
            reports: Vec::new(),
        };
        let r = f(&mut o);
        (r, o.reports, subject_name)
    });
    rt::record_self_checked(op, &subject_name, &result(&r));
    for (inv, msg) in reports {
        rt::report(inv, msg);
    }
    r
}

fn none<R>(_: &R) -> String {
    String::new()
}

/// `INIT_LIST_HEAD(list)`: `list->next = list->prev = list`.
#[allow(non_snake_case)]
pub fn INIT_LIST_HEAD(list: &ListHead) {
    list_op("INIT_LIST_HEAD", list, none, |o| {
        o.touch(list.id);
        o.w.nodes[list.id].next = Link::Node(list.id);
        o.w.nodes[list.id].prev = Link::Node(list.id);
    })
}

/// `list_add(new, head)`: insert `new` after `head`.
pub fn list_add(new: &ListHead, head: &ListHead) {
    shadow_check(new); // kasan_check_write(new)
    list_op("list_add", new, none, |o| {
        o.check_locks(head.id);
        if let Some(next) = o.next_of(head.id) {
            o.add_between(new.id, head.id, next);
        }
    })
}

/// `list_add_tail(new, head)`: insert `new` before `head`.
pub fn list_add_tail(new: &ListHead, head: &ListHead) {
    shadow_check(new); // kasan_check_write(new)
    list_op("list_add_tail", new, none, |o| {
        o.check_locks(head.id);
        if let Some(prev) = o.prev_of(head.id) {
            o.add_between(new.id, prev, head.id);
        }
    })
}

/// `list_del(entry)`: unlink and poison (`next = LIST_POISON1`, `prev = LIST_POISON2`).
pub fn list_del(entry: &ListHead) {
    shadow_check(entry); // kasan_check_write(entry)
    list_op("list_del", entry, none, |o| {
        o.check_locks(entry.id);
        if o.del_entry(entry.id) {
            o.w.nodes[entry.id].next = Link::Poison1;
            o.w.nodes[entry.id].prev = Link::Poison2;
        }
    })
}

/// `list_del_init(entry)`: unlink and re-initialise (self-linked).
pub fn list_del_init(entry: &ListHead) {
    shadow_check(entry); // kasan_check_write(entry)
    list_op("list_del_init", entry, none, |o| {
        o.check_locks(entry.id);
        if o.del_entry(entry.id) {
            o.w.nodes[entry.id].next = Link::Node(entry.id);
            o.w.nodes[entry.id].prev = Link::Node(entry.id);
        }
    })
}

/// `list_move_tail(list, head)`: `__list_del_entry(list)` then `list_add_tail(list, head)`.
pub fn list_move_tail(entry: &ListHead, head: &ListHead) {
    shadow_check(entry); // kasan_check_write(entry)
    list_op("list_move_tail", entry, none, |o| {
        o.check_locks(entry.id);
        o.check_locks(head.id);
        if o.del_entry(entry.id) {
            if let Some(prev) = o.prev_of(head.id) {
                o.add_between(entry.id, prev, head.id);
            }
        }
    })
}

/// `list_splice(list, head)`: join `list` at the front of `head`. `list` itself is left
/// pointing at the moved entries, as in the kernel (use `list_splice_init` to reset it).
pub fn list_splice(list: &ListHead, head: &ListHead) {
    list_op("list_splice", list, none, |o| {
        o.check_locks(list.id);
        o.check_locks(head.id);
        let Some(first) = o.next_of(list.id) else {
            return;
        };
        if first == list.id {
            return; // list_empty(list)
        }
        let Some(last) = o.prev_of(list.id) else {
            return;
        };
        let Some(at) = o.next_of(head.id) else { return };
        o.touch(first);
        o.touch(last);
        o.touch(at);
        o.w.nodes[first].prev = Link::Node(head.id);
        o.w.nodes[head.id].next = Link::Node(first);
        o.w.nodes[last].next = Link::Node(at);
        o.w.nodes[at].prev = Link::Node(last);
    })
}

/// `list_empty(head)`: `READ_ONCE(head->next) == head`.
pub fn list_empty(head: &ListHead) -> bool {
    list_op(
        "list_empty",
        head,
        |r: &bool| r.to_string(),
        |o| {
            o.check_locks(head.id);
            o.next_of(head.id).map(|n| n == head.id).unwrap_or(true)
        },
    )
}

/// `list_first_entry(head, T, member)`: the object containing `head->next`. The list must
/// not be empty (on an empty list the kernel computes a bogus pointer from the head itself:
/// reported as [`LIST_CORRUPTION`]).
pub fn list_first_entry<T: 'static>(head: &ListHead) -> Obj<T> {
    let first = list_op(
        "list_first_entry",
        head,
        |r: &Option<NodeId>| r.map(|_| String::new()).unwrap_or_default(),
        |o| {
            o.check_locks(head.id);
            let n = o.next_of(head.id)?;
            if n == head.id || o.w.nodes[n].is_head {
                let why =
                    "the list is empty: container_of() of the head is not an entry".to_string();
                o.reports
                    .push((&OOPS, format!("list_first_entry({}): {why}", o.subject)));
                return None;
            }
            Some(n)
        },
    );
    let n = first.expect("list_first_entry: an oops is fatal");
    let owner = owner_of(n).expect("list entries live inside objects");
    container_of::<T>(owner).expect("list_first_entry: entry of another type")
}

/// `list_for_each_entry(pos, head, member)`: the objects on the list, in order. The walk
/// is one step: call it under the list's lock.
pub fn list_for_each_entry<T: 'static>(head: &ListHead) -> Vec<Obj<T>> {
    let nodes = list_op(
        "list_for_each_entry",
        head,
        |r: &Vec<NodeId>| format!("{} entries", r.len()),
        |o| {
            o.check_locks(head.id);
            let mut out = Vec::new();
            let mut cur = head.id;
            while let Some(n) = o.next_of(cur) {
                if n == head.id || out.len() > o.w.nodes.len() {
                    break;
                }
                out.push(n);
                cur = n;
            }
            out
        },
    );
    nodes
        .into_iter()
        .filter_map(|n| owner_of(n).and_then(container_of::<T>))
        .collect()
}
