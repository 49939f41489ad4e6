//! Ghost-state calibration: list links and lifetimes are ghost state (no scheduling point), so
//! the explorer must still see every window they could hide. The shape of issue 10 item 3: a
//! CPU waits on a condition it reads without the lock, then frees an object that is still
//! linked on a lock-protected list; the CPU that set the condition unlinks the object under
//! the lock after setting it.

use checker::invariant::Witness;
use checker::kernel::{
    kfree, kmem_cache_alloc, kmem_cache_free, kzalloc, list_add, list_del, spin_lock, spin_unlock,
    AtomicT, Guarded, KmemCache, ListHead, Obj, SpinLock, INIT_LIST_HEAD, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{join, spawn_cpu, witness};

/// The object the lock-protected list holds.
struct Item {
    entry: ListHead,
    done: AtomicT,
}

/// The list's owner: the list and its lock.
struct Owner {
    lock: SpinLock,
    items: ListHead,
}

/// CPU0 frees the item once it reads `done` (without the lock); CPU1 sets `done` under the
/// lock and only then unlinks the item (the bug: `done` must be set after `list_del`).
pub(crate) fn free_while_linked() {
    let owner: Obj<Owner> = kzalloc("owner", |id, n| {
        let lock = SpinLock::new(id, n, "lock");
        let items = ListHead::new_head(id, n, "items", &lock);
        Owner { lock, items }
    });
    INIT_LIST_HEAD(&owner.items);
    let item: Obj<Item> = kzalloc("item", |id, n| Item {
        entry: ListHead::new(id, n, "entry"),
        done: AtomicT::new(n, "done", 0),
    });
    INIT_LIST_HEAD(&item.entry);
    let g = spin_lock(&owner.lock);
    list_add(&item.entry, &owner.items);
    spin_unlock(g);
    let waiter = {
        let item = item.clone();
        spawn_cpu(move || {
            if READ_ONCE(&item.done) == 1 {
                // if (READ_ONCE(item->done))
                kfree(&item); // kfree(item);  (still on owner->items)
            }
        })
    };
    let worker = {
        let (owner, item) = (owner.clone(), item.clone());
        spawn_cpu(move || {
            let g = spin_lock(&owner.lock); // spin_lock(&owner->lock);
            WRITE_ONCE(&item.done, 1); // WRITE_ONCE(item->done, 1);
            list_del(&item.entry); // list_del(&item->entry);
            spin_unlock(g); // spin_unlock(&owner->lock);
        })
    };
    join(waiter);
    join(worker);
    if !item.is_freed() {
        kfree(&item);
    }
    kfree(&owner);
}

/// Memory from a plain slab cache (`kmalloc()`).
pub(crate) struct Buf {
    val: AtomicT,
}

/// CPU0 reads a buffer that CPU1 frees with `kmem_cache_free()`, with nothing ordering the two:
/// the read may come after the free. loom sees the race only through the KASAN shadow that
/// `kmem_cache_free()` poisons and the access reads (checker/src/kernel/kmem_cache.rs).
pub(crate) fn kmem_cache_free_vs_read() {
    let cache = KmemCache::new("buf_cache", "buf", |n| Buf {
        val: AtomicT::new(n, "val", 0),
    });
    let buf = kmem_cache_alloc(&cache); // buf = kmem_cache_alloc(cache, GFP_KERNEL);
    let reader = {
        let buf = buf.clone();
        spawn_cpu(move || {
            READ_ONCE(&buf.val); // v = READ_ONCE(buf->val);
        })
    };
    let freer = spawn_cpu(move || {
        kmem_cache_free(&buf); // kmem_cache_free(cache, buf);
    });
    join(reader);
    join(freer);
}

/// A message and the flag that hands it over.
pub(crate) struct Msg {
    val: AtomicT,
}

/// The owner of a message: `done` tells it the user is finished with it.
pub(crate) struct Handoff {
    done: AtomicT,
}

/// CPU0 reads a `kzalloc`ed message that CPU1 frees with `kfree()`, with nothing ordering the
/// two: the read may come after the free. The read and the free touch no common loom object
/// (the `kfree` stores the object's shadow, the read loads `msg->val`), so loom sees the race
/// only through the liveness check's ghost access to the object, which the `kfree` writes
/// (docs/architecture.md, rule 4). CPU0 reads `h->done` first, so that following `msg` is
/// in a step that ends with a recorded event (a replay that follows events then follows the
/// pointer where the recorded run did: tests/replay_fidelity.rs).
pub(crate) fn kfree_vs_read() {
    let h: Obj<Handoff> = kzalloc("handoff", |_, n| Handoff {
        done: AtomicT::new(n, "done", 0),
    });
    let msg: Obj<Msg> = kzalloc("msg", |_, n| Msg {
        val: AtomicT::new(n, "val", 0),
    });
    let reader = {
        let (h, msg) = (h.clone(), msg.clone());
        spawn_cpu(move || {
            READ_ONCE(&h.done); // d = READ_ONCE(h->done);
            READ_ONCE(&msg.val); // v = READ_ONCE(msg->val);
        })
    };
    let freer = spawn_cpu(move || {
        kfree(&msg); // kfree(msg);
    });
    join(reader);
    join(freer);
    kfree(&h);
}

/// CPU0 follows its pointer to the message once, tells the owner it is done, and only then
/// reads the message (the bug: the read must come before `done`); CPU1 (if `clear`, clears
/// and) frees the message once it reads `done`. The free can only come after CPU0's pointer
/// was followed, so only a check at the access itself (after every recorded operation on the
/// message) finds it. Without the clearing store, nothing but that check's ghost access
/// orders CPU0's read against the free for loom.
fn kfree_after_handoff(clear: bool) {
    let h: Obj<Handoff> = kzalloc("handoff", |_, n| Handoff {
        done: AtomicT::new(n, "done", 0),
    });
    let msg: Obj<Msg> = kzalloc("msg", |_, n| Msg {
        val: AtomicT::new(n, "val", 0),
    });
    let user = {
        let (h, msg) = (h.clone(), msg.clone());
        spawn_cpu(move || {
            let m: &Msg = &msg; // struct msg *m = h->msg;
            WRITE_ONCE(&h.done, 1); // WRITE_ONCE(h->done, 1);
            READ_ONCE(&m.val); // v = READ_ONCE(m->val);
        })
    };
    let owner = {
        let (h, msg) = (h.clone(), msg.clone());
        spawn_cpu(move || {
            if READ_ONCE(&h.done) == 1 {
                // if (READ_ONCE(h->done)) {
                if clear {
                    WRITE_ONCE(&msg.val, 0); // WRITE_ONCE(msg->val, 0);
                }
                kfree(&msg); // kfree(msg); }
            }
        })
    };
    join(user);
    join(owner);
    if !msg.is_freed() {
        kfree(&msg);
    }
    kfree(&h);
}

/// The owner clears the message before it frees it.
pub(crate) fn kfree_after_handoff_cleared() {
    kfree_after_handoff(true)
}

/// The owner frees the message without touching it first.
pub(crate) fn kfree_after_handoff_unordered() {
    kfree_after_handoff(false)
}

/// A list owner whose lock-protected `cur` points to the item in use.
pub(crate) struct Cursor {
    lock: SpinLock,
    cur: Guarded<Option<Obj<Item>>>,
}

/// An item, and an owner whose `cur` (guarded by `owner->lock`) points to it.
fn item_and_owner() -> (Obj<Item>, Obj<Cursor>) {
    let item: Obj<Item> = kzalloc("item", |id, n| Item {
        entry: ListHead::new(id, n, "entry"),
        done: AtomicT::new(n, "done", 0),
    });
    let owner: Obj<Cursor> = kzalloc("owner", |id, n| {
        let lock = SpinLock::new(id, n, "lock");
        let cur = Guarded::new_refs(format!("{n}.cur"), &lock, Some(item.clone()));
        Cursor { lock, cur }
    });
    (item, owner)
}

/// The shape of `ghost+kfree-linked` with a pointer instead of a list link: CPU0 frees the
/// item once it reads `item->done` without the lock; CPU1 sets `done` under the lock and only
/// then clears `owner->cur`. Nothing ever reads the dangling pointer, so only a check at the
/// `kfree` finds it.
pub(crate) fn free_while_reachable() {
    let (item, owner) = item_and_owner();
    let waiter = {
        let item = item.clone();
        spawn_cpu(move || {
            if READ_ONCE(&item.done) == 1 {
                // if (READ_ONCE(item->done))
                kfree(&item); // kfree(item);  (owner->cur still points to it)
            }
        })
    };
    let worker = {
        let (owner, item) = (owner.clone(), item.clone());
        spawn_cpu(move || {
            let g = spin_lock(&owner.lock); // spin_lock(&owner->lock);
            WRITE_ONCE(&item.done, 1); // WRITE_ONCE(item->done, 1);
            owner.cur.write(None); // owner->cur = NULL;
            spin_unlock(g); // spin_unlock(&owner->lock);
        })
    };
    join(waiter);
    join(worker);
    if !item.is_freed() {
        kfree(&item);
    }
    kfree(&owner);
}

/// CPU0 frees the owner; CPU1 frees the item that `owner->cur` still points to, without
/// `owner->lock`. If CPU1's `kfree` comes first, the live owner points to a freed item (rule
/// 3, `FREE_WHILE_REACHABLE`); if CPU0's comes first, nothing does. The two frees touch no
/// common loom object: loom sees the order matters only through the check's ghost read of
/// the owner's liveness, which CPU0's `kfree` writes.
pub(crate) fn free_reachable_vs_free_owner() {
    let (item, owner) = item_and_owner();
    let owner_freer = {
        let owner = owner.clone();
        spawn_cpu(move || {
            kfree(&owner); // kfree(owner);  (owner->cur still points to the item)
        })
    };
    let item_freer = {
        let item = item.clone();
        spawn_cpu(move || {
            kfree(&item); // kfree(item);  (without owner->lock)
        })
    };
    join(owner_freer);
    join(item_freer);
}

/// `ghost+kfree-reachable-locked-cleared`'s witness: the free under the lock happens.
pub(crate) const ITEM_FREED_UNDER_LOCK: Witness = Witness::new(
    "ITEM_FREED_UNDER_LOCK",
    "the reaper reads item->done == 1 under owner->lock and frees the item while owner->cur still points to it (it clears the pointer only after the kfree)",
);

/// CPU0 (the finisher) sets `item->done`; CPU1 (the reaper), under `owner->lock`, frees the
/// item that `owner->cur` points to once it reads `done`, and, if `clear`, then clears
/// `owner->cur` before it unlocks. Without `clear` the pointer is left dangling when the lock
/// is released: the next holder of `owner->lock` would follow it. Nothing in the scenario
/// does, and the freeing CPU holds the field's lock, so only a check at the unlock finds it.
fn kfree_under_lock(clear: bool) {
    let (item, owner) = item_and_owner();
    let finisher = {
        let item = item.clone();
        spawn_cpu(move || {
            WRITE_ONCE(&item.done, 1); // WRITE_ONCE(item->done, 1);
        })
    };
    let reaper = {
        let owner = owner.clone();
        spawn_cpu(move || {
            let g = spin_lock(&owner.lock); // spin_lock(&owner->lock);
            if let Some(cur) = owner.cur.read() {
                // cur = owner->cur;
                if READ_ONCE(&cur.done) == 1 {
                    // if (READ_ONCE(cur->done)) {
                    witness(&ITEM_FREED_UNDER_LOCK);
                    kfree(&cur); // kfree(cur);
                    if clear {
                        owner.cur.write(None); // owner->cur = NULL; }
                    }
                }
            }
            spin_unlock(g); // spin_unlock(&owner->lock);
        })
    };
    join(finisher);
    join(reaper);
    let g = spin_lock(&owner.lock);
    let cur = owner.cur.read();
    owner.cur.write(None);
    spin_unlock(g);
    if let Some(cur) = cur {
        if !cur.is_freed() {
            kfree(&cur);
        }
    }
    kfree(&owner);
}

/// The reaper frees the item under the lock and unlocks with `owner->cur` still pointing to it.
pub(crate) fn free_under_lock_dangling() {
    kfree_under_lock(false)
}

/// The reaper frees the item under the lock, then clears `owner->cur` before it unlocks.
pub(crate) fn free_under_lock_cleared() {
    kfree_under_lock(true)
}
