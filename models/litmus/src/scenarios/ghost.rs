//! Ghost-state calibration: list links and lifetimes are ghost state (no scheduling point), so
//! the explorer must still see every window they could hide. The shape of issue 10 item 3: a
//! CPU waits on a condition it reads without the lock, then frees an object that is still
//! linked on a lock-protected list; the CPU that set the condition unlinks the object under
//! the lock after setting it.

use checker::kernel::{
    kfree, kzalloc, list_add, list_del, spin_lock, spin_unlock, AtomicT, ListHead, Obj, SpinLock,
    INIT_LIST_HEAD, READ_ONCE, WRITE_ONCE,
};
use checker::scenario::{join, spawn_cpu};

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
