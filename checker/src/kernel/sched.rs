//! Model of atomic-context tracking and `might_sleep()` (include/linux/kernel.h,
//! kernel/sched/core.c `__might_sleep()`), as CONFIG_DEBUG_ATOMIC_SLEEP checks it.
//!
//! Every CPU has a ghost stack of the atomic sections it is in: a held spinlock
//! (`spin_lock()` raises `preempt_count`) and an RCU read-side section (`rcu_read_lock()`:
//! `MODEL:` as with CONFIG_PREEMPT_RCU=n, where it disables preemption; with PREEMPT_RCU the
//! kernel reports the same sleep through `rcu_sleep_check()` as "Illegal context switch in
//! RCU read-side critical section"). A function that may sleep calls [`might_sleep`]:
//! `kzalloc()`/`kmalloc()` with `GFP_KERNEL`, `mutex_lock()`, `down_read()`/`down_write()`,
//! `synchronize_rcu()`. Called inside an atomic section, it reports [`SLEEP_IN_ATOMIC`] with
//! the kernel's splat text and what made the context atomic.
//!
//! Ghost only: no event, no scheduling point, so no exploration changes by it, only the
//! verdict of an execution that sleeps where it must not (the check does not depend on
//! whether this execution actually blocked: `might_sleep()` reports the possibility, as the
//! kernel does).

use crate::invariant::Invariant;
use crate::rt::{self, Tid};
use crate::trace::thread_name;

/// CONFIG_DEBUG_ATOMIC_SLEEP: "BUG: sleeping function called from invalid context".
pub const SLEEP_IN_ATOMIC: Invariant = Invariant::new(
    "SLEEP_IN_ATOMIC",
    "no function that may sleep (GFP_KERNEL allocation, mutex_lock, down_read/down_write, synchronize_rcu) is called in atomic context: under a spinlock or inside rcu_read_lock() (CONFIG_DEBUG_ATOMIC_SLEEP)",
);

/// Per CPU: the atomic sections it is in now, innermost last (ghost).
#[derive(Default)]
pub(crate) struct SchedWorld {
    atomic: Vec<Vec<String>>,
}

impl SchedWorld {
    fn cpu(&mut self, tid: Tid) -> &mut Vec<String> {
        if self.atomic.len() <= tid {
            self.atomic.resize_with(tid + 1, Vec::new);
        }
        &mut self.atomic[tid]
    }
}

/// The running CPU enters an atomic section named `what` (`spin_lock(vm.lock)`).
pub(crate) fn atomic_enter(what: String) {
    if !rt::active() {
        return;
    }
    let tid = rt::current_tid();
    rt::with(|w| w.sched.cpu(tid).push(what));
}

/// The running CPU leaves the innermost atomic section named `what` (sections may be left
/// out of order, as spinlocks may).
pub(crate) fn atomic_exit(what: &str) {
    if !rt::active() {
        return;
    }
    let tid = rt::current_tid();
    rt::with(|w| {
        let s = w.sched.cpu(tid);
        if let Some(i) = s.iter().rposition(|x| x == what) {
            s.remove(i);
        }
    });
}

/// `in_atomic()`: whether the running CPU is in an atomic section (ghost).
pub fn in_atomic() -> bool {
    if !rt::active() {
        return false;
    }
    let tid = rt::current_tid();
    rt::with(|w| !w.sched.cpu(tid).is_empty())
}

/// `might_sleep()` on behalf of `caller` (the kernel function that may sleep, with its
/// argument): [`SLEEP_IN_ATOMIC`] if the running CPU is in atomic context.
pub fn might_sleep(caller: &str) {
    if !rt::active() {
        return;
    }
    let tid = rt::current_tid();
    let sections = rt::with(|w| w.sched.cpu(tid).clone());
    if sections.is_empty() {
        return;
    }
    rt::report(
        &SLEEP_IN_ATOMIC,
        format!(
            "BUG: sleeping function called from invalid context: {caller} on {} with preempt_count {} (in atomic context since {})",
            thread_name(tid),
            sections.len(),
            sections.join(", then ")
        ),
    );
}
