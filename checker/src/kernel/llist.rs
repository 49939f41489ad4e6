//! Model of the lock-less NULL-terminated singly linked list (include/linux/llist.h,
//! lib/llist.c): `llist_add` from any context, `llist_del_all` by the consumer.
//!
//! The head's `first` pointer is a facade atomic (it holds the container id of the first
//! node, or 0 for NULL), so every `llist_add` and `llist_del_all` is a scheduling point. A
//! node's `next` is written by the adder before its cmpxchg publishes the node and read by the
//! consumer after its xchg took the whole list, so the release/acquire pair orders it: it is
//! ghost state.
//!
//! Memory orderings, mapped to C11:
//!
//! | kernel | kernel ordering | model (C11) |
//! |---|---|---|
//! | `llist_add` = `try_cmpxchg(&head->first, &first, new)` loop | fully ordered on success | CAS `AcqRel`/`Relaxed` loop |
//! | `llist_del_all` = `xchg(&head->first, NULL)` | fully ordered | `swap(AcqRel)` |
//! | `llist_empty` = `READ_ONCE(head->first) == NULL` | unordered | `load(Relaxed)` |
//!
//! `MODEL:` the kernel's full barriers are mapped to `AcqRel`, which is all the lists' users
//! rely on (publication of the node and of what was written before it).
//!
//! A node lives inside a model object: reaching it through a freed object is a
//! use-after-free (the object's dereference reports it; `llist_del_all` checks each node it
//! follows).

use crate::rt::{self, ObjId};
use crate::sync::atomic::{AtomicUsize, Ordering};

use super::slab::{check_live, container_of, Obj};

/// `struct llist_head`.
pub struct LlistHead {
    /// `first`: the container id + 1 of the first node, 0 for NULL.
    first: AtomicUsize,
    name: String,
}

/// `struct llist_node` embedded in the object `owner`.
pub struct LlistNode {
    owner: ObjId,
    name: String,
    /// Ghost `next` (container id + 1, 0 for NULL); see the module doc.
    next: std::sync::atomic::AtomicUsize,
}

impl LlistHead {
    /// `init_llist_head()` of the head `field` inside `owner_name`.
    pub fn new(owner_name: &str, field: &str) -> LlistHead {
        LlistHead {
            first: AtomicUsize::new(0),
            name: format!("{owner_name}.{field}"),
        }
    }
}

impl LlistNode {
    /// `init_llist_node()` of the node `field` inside the object `owner`.
    pub fn new(owner: ObjId, owner_name: &str, field: &str) -> LlistNode {
        LlistNode {
            owner,
            name: format!("{owner_name}.{field}"),
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }
}

/// `llist_add(new, head)`: push `new`; true if the list was empty.
pub fn llist_add(new: &LlistNode, head: &LlistHead) -> bool {
    let me = new.owner + 1;
    let mut first = head.first.load(Ordering::Relaxed); // struct llist_node *first = READ_ONCE(head->first);
    loop {
        new.next.store(first, std::sync::atomic::Ordering::Relaxed); // new_last->next = first;
        match head
            .first
            .compare_exchange(first, me, Ordering::AcqRel, Ordering::Relaxed)
        {
            // } while (!try_cmpxchg(&head->first, &first, new_first));
            Ok(_) => break,
            Err(now) => first = now,
        }
    }
    rt::record("llist_add", &head.name, &new.name);
    first == 0
}

/// `llist_del_all(head)` followed by the consumer's walk (`llist_for_each_entry(pos, node,
/// member)`): take every node, newest first, and return their containers. `member` picks the
/// node inside `T` (`list.entry.bo_defer`). Following a node of a freed object is a
/// use-after-free.
pub fn llist_del_all<T: 'static>(head: &LlistHead, member: fn(&T) -> &LlistNode) -> Vec<Obj<T>> {
    let mut id = head.first.swap(0, Ordering::AcqRel); // return xchg(&head->first, NULL);
    let mut batch: Vec<Obj<T>> = Vec::new();
    while id != 0 {
        let Some(obj) = container_of::<T>(id - 1) else {
            break;
        };
        check_live(obj.id(), obj.name()); // bo_defer = bo_defer->next;
        id = member(obj.ghost())
            .next
            .load(std::sync::atomic::Ordering::Relaxed);
        batch.push(obj);
    }
    let names: Vec<&str> = batch.iter().map(|o| o.name()).collect();
    rt::record("llist_del_all", &head.name, &names.join(","));
    batch
}

/// `llist_empty(head)`.
pub fn llist_empty(head: &LlistHead) -> bool {
    let empty = head.first.load(Ordering::Relaxed) == 0; // return READ_ONCE(head->first) == NULL;
    rt::record("llist_empty", &head.name, &empty.to_string());
    empty
}
