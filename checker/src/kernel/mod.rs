//! Kernel primitives with kernel names and kernel semantics, recorded and checked.
//!
//! Models use only this module (and [`crate::scenario`]): never loom or shuttle. Each
//! primitive that the kernel implements with an atomic or a lock is a scheduling point of the
//! explorer; bookkeeping of lock-protected state (list links, guarded fields) is ghost state
//! and costs no scheduling point, because it is only ever touched under its lock, and the
//! lock checks say so when it is not.

pub mod atomic;
pub mod bitops;
pub mod bug;
pub mod clock;
pub mod guarded;
pub mod kmem_cache;
pub mod kref;
pub mod list;
pub mod llist;
pub mod lock;
pub mod lockdep;
pub mod processor;
pub mod rcu;
pub mod rwsem;
pub mod sched;
pub mod seqcount;
pub mod slab;
pub mod wait;

pub use atomic::{
    atomic_add_unless, atomic_cmpxchg, atomic_dec, atomic_dec_and_test, atomic_dec_return,
    atomic_inc, atomic_inc_not_zero, atomic_inc_return, atomic_read, atomic_read_acquire,
    atomic_set, atomic_set_release, cmpxchg, cmpxchg_acquire, cmpxchg_relaxed, cmpxchg_release,
    smp_load_acquire, smp_mb, smp_mb__after_atomic, smp_mb__after_spinlock,
    smp_mb__after_unlock_lock, smp_mb__before_atomic, smp_rmb, smp_store_release, smp_wmb, xchg,
    xchg_order, AtomicT, RmwOrder, READ_ONCE, WRITE_ONCE,
};
pub use bitops::{bitword_set, clear_bit, set_bit, test_and_set_bit, test_bit, BitWord};
pub use bug::{BUG_ON, WARN_ON};
pub use clock::{ghost_clock_exact, ghost_now, ghost_update, ClockUpdate};
pub use guarded::{GhostRefs, Guarded};
pub use kmem_cache::{kmem_cache_alloc, kmem_cache_free, KmemCache, SlabPtr};
pub use kref::{
    kref_get, kref_get_unless_zero, kref_init, kref_put, kref_put_mutex, kref_read, Kref,
};
pub use list::{
    list_add, list_add_tail, list_del, list_del_init, list_empty, list_first_entry,
    list_for_each_entry, list_move_tail, list_splice, ListHead, StackListHead, INIT_LIST_HEAD,
};
pub use llist::{llist_add, llist_del_all, llist_empty, LlistHead, LlistNode};
pub use lock::{
    lockdep_assert_held, mutex_lock, mutex_trylock, mutex_unlock, spin_is_locked, spin_lock,
    spin_trylock, spin_unlock, KMutex, LockGuard, SpinLock,
};
pub use processor::cpu_relax;
pub use rcu::{
    call_rcu, kfree_rcu, rcu_access_pointer, rcu_assign_pointer, rcu_dereference,
    rcu_dereference_check, rcu_dereference_protected, rcu_read_lock, rcu_read_lock_held,
    rcu_read_unlock, rcu_replace_pointer, synchronize_rcu, RcuPointer, RCU_INIT_POINTER,
};
pub use rwsem::{
    down_read, down_read_trylock, down_write, down_write_trylock, lockdep_assert_held_read,
    lockdep_assert_held_write, up_read, up_write, RwSemaphore, RwsemReadGuard, RwsemWriteGuard,
};
pub use sched::{in_atomic, might_sleep};
pub use seqcount::{
    read_seqcount_begin, read_seqcount_retry, write_seqcount_begin, write_seqcount_end, SeqcountT,
};
pub use slab::{kfree, kmalloc, kzalloc, Gfp, Obj, ObjId};
pub use wait::{wait_event, wake_up_all, WaitQueueHead};

use crate::rt;

/// Marks a model function's body in the trace: an event on entry, and deeper indentation for
/// the primitives it calls until the guard drops. Not a scheduling point.
#[must_use = "the call ends when this guard drops"]
pub struct Call(usize);

/// Enter the model function `name` (its kernel name) on `args` (how the trace should show
/// them, e.g. the object name).
pub fn trace_call(name: &'static str, args: &str) -> Call {
    let tid = rt::current_tid();
    if rt::active() {
        rt::with(|w| {
            w.push_event(tid, format!("{name}()"), args, "");
            if let Some(d) = w.depth.get_mut(tid) {
                *d = d.saturating_add(1);
            }
        });
    }
    Call(tid)
}

impl Drop for Call {
    fn drop(&mut self) {
        if rt::active() {
            let tid = self.0;
            rt::with(|w| {
                if let Some(d) = w.depth.get_mut(tid) {
                    *d = d.saturating_sub(1);
                }
            });
        }
    }
}

/// Record a model-level step that has no primitive of its own (a driver callback, a ghost
/// observation the trace should show). Not a scheduling point.
pub fn trace_note(op: &str, obj: &str, result: &str) {
    rt::record(op, obj, result);
}
