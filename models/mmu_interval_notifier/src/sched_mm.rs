//! `mmgrab()`, `mmdrop()` and `mmget_not_zero()` (include/linux/sched/mm.h, v6.8), with
//! `__mmdrop()` (kernel/fork.c, v6.8): the references to an mm that the notifier core takes
//! (`mmu_interval_notifier_insert()` / `_remove()`). `mmput()` is in `mmap.rs`, next to the
//! `exit_mmap()` it calls.

use checker::kernel::{kfree, kref_get, kref_get_unless_zero, kref_put, trace_call, Obj};

use crate::ghost;
use crate::mm_types::MmStruct;

/// `mmgrab()` (include/linux/sched/mm.h, v6.8).
pub fn mmgrab(mm: &Obj<MmStruct>) {
    kref_get(&mm.mm_count); // atomic_inc(&mm->mm_count);
}

/// `mmdrop()` (include/linux/sched/mm.h, v6.8): the last one frees the mm with its
/// notifier subscriptions (`__mmdrop()` → `mmu_notifier_subscriptions_destroy()`).
pub fn mmdrop(mm: &Obj<MmStruct>) {
    let _f = trace_call("mmdrop", mm.name());
    kref_put(&mm.mm_count, || __mmdrop(mm)); // if (unlikely(atomic_dec_and_test(&mm->mm_count))) __mmdrop(mm);
}

/// `__mmdrop()` (kernel/fork.c, v6.8).
fn __mmdrop(mm: &Obj<MmStruct>) {
    ghost::check_subscriptions_destroyed(mm);
    kfree(mm); // mmu_notifier_subscriptions_destroy(mm); ... free_mm(mm);
}

/// `mmget_not_zero()` (include/linux/sched/mm.h, v6.8).
pub fn mmget_not_zero(mm: &Obj<MmStruct>) -> bool {
    kref_get_unless_zero(&mm.mm_users) // return atomic_inc_not_zero(&mm->mm_users);
}
