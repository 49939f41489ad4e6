//! Model of `wait_queue_head_t` with `wait_event()` and `wake_up_all()` (include/linux/wait.h,
//! kernel/sched/wait.c, v6.8).
//!
//! The kernel's sleep/wake-up handshake, and how the model keeps it:
//!
//! | kernel (v6.8)                                                        | model                                          |
//! |----------------------------------------------------------------------|------------------------------------------------|
//! | `wait_event(wq, cond)`: `if (cond) break;` then `__wait_event()`     | [`wait_event`]: the same fast-path check first |
//! | `prepare_to_wait_event()`: under `wq_head->lock`, queue the entry and `set_current_state()` | `lock; seen = generation; unlock` |
//! | `if (condition) break;` (re-checked on every pass of the loop)       | the condition, evaluated without the wq lock   |
//! | `schedule()`: sleeps unless a wake-up set the task running since `prepare_to_wait_event()` | `lock; while generation == seen { wait }; unlock` |
//! | `wake_up_all(wq)` = `__wake_up()`: under `wq_head->lock`, wake every queued entry | `lock; generation += 1; notify_all; unlock`    |
//!
//! The wait queue is the backend's mutex (`wq_head->lock`) plus the backend's condition
//! variable, with a wake-up generation under the mutex. A waiter notes the generation before
//! it evaluates the condition, as `prepare_to_wait_event()` queues the task before the check,
//! and it sleeps only while no wake-up happened since. So a wake-up between the check and the
//! sleep is not lost, and a wake-up that comes while the condition is still false only sends
//! the waiter round the loop again, where it re-checks. A waiter that no wake-up ever reaches
//! stays blocked, and the explorer reports the execution as a [`DEADLOCK`](crate::invariant::DEADLOCK) that names the
//! sleeping CPU, its wait queue, and the locks it holds.
//!
//! Orderings (LKMM, Documentation/memory-barriers.txt "SLEEP AND WAKE-UP FUNCTIONS"): the
//! wake-up and the waiter's queueing serialise on `wq_head->lock`, so a store the waker made
//! before `wake_up_all()` is visible to a condition evaluated after a `prepare_to_wait_event()`
//! that follows the wake-up. In C11 terms the model's mutex gives the same release/acquire
//! edge; the condition's own loads keep the orderings the model gives them (a
//! `READ_ONCE()` in a condition is `Relaxed` and may read an older value before the edge).
//!
//! `MODEL:` no spurious wake-ups (loom's and shuttle's condition variables have none), no
//! exclusive waiters, no signals (`TASK_UNINTERRUPTIBLE` only), no timeouts. Every waiter
//! on the queue is woken by `wake_up_all()`, so a waiter is also woken by wake-ups meant for
//! other waiters of the same queue, as in the kernel, and re-checks its condition.

use crate::rt;
use crate::sync::{Condvar, Mutex};

/// Model of `wait_queue_head_t`.
pub struct WaitQueueHead {
    /// `wq_head->lock`, with the number of `wake_up_all()` calls so far.
    generation: Mutex<u64>,
    /// The sleeping tasks.
    sleepers: Condvar,
    name: String,
}

impl WaitQueueHead {
    /// `init_waitqueue_head()` of the wait queue `field` inside the object named `owner`.
    pub fn new(owner: &str, field: &str) -> WaitQueueHead {
        WaitQueueHead {
            generation: Mutex::new(0),
            sleepers: Condvar::new(),
            name: format!("{owner}.{field}"),
        }
    }

    /// The wait queue's name in traces (`subs#1.wq`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `prepare_to_wait_event()`: the wake-up generation the sleep will compare against.
fn prepare_to_wait_event(wq: &WaitQueueHead) -> u64 {
    let g = wq.generation.lock().unwrap_or_else(|e| e.into_inner()); // spin_lock_irqsave(&wq_head->lock, flags);
    let seen = *g;
    drop(g); // spin_unlock_irqrestore(&wq_head->lock, flags);
    rt::record("prepare_to_wait_event", &wq.name, "");
    seen
}

/// `schedule()` after `prepare_to_wait_event()`: sleeps until a wake-up happened after
/// `seen` (at once if one already has).
fn schedule(wq: &WaitQueueHead, seen: u64) {
    let tid = rt::current_tid();
    let mut g = wq.generation.lock().unwrap_or_else(|e| e.into_inner()); // (try_to_wake_up() and schedule() serialise on the task state)
    while *g == seen {
        set_sleeping(tid, Some(&wq.name));
        g = wq.sleepers.wait(g).unwrap_or_else(|e| e.into_inner()); // schedule();
        set_sleeping(tid, None);
    }
    drop(g);
    // Recorded after the last scheduling point, whether or not the CPU actually slept, so
    // that a replay follows the same events whichever way its scheduler lets it pass.
    rt::record("schedule", &wq.name, "woken");
}

fn set_sleeping(tid: rt::Tid, wq: Option<&str>) {
    if rt::active() {
        rt::with(|w| w.set_sleeping(tid, wq.map(str::to_string)));
    }
}

/// `wait_event(wq, condition)`: sleep until `condition` holds. The condition is evaluated
/// once before anything else, then again after every `prepare_to_wait_event()`, so after
/// every wake-up, exactly as the kernel's macro does.
pub fn wait_event(wq: &WaitQueueHead, mut condition: impl FnMut() -> bool) {
    let _call = super::trace_call("wait_event", &wq.name);
    if condition() {
        // if (condition) break;
        return;
    }
    loop {
        let seen = prepare_to_wait_event(wq); // long __int = prepare_to_wait_event(&wq_head, &__wq_entry, state);
        if condition() {
            // if (condition) break;
            break;
        }
        schedule(wq, seen); // cmd;  (schedule())
    }
    // finish_wait(&wq_head, &__wq_entry): nothing to undo in the model.
}

/// `wake_up_all(wq)`: wake every task sleeping on `wq`.
pub fn wake_up_all(wq: &WaitQueueHead) {
    let mut g = wq.generation.lock().unwrap_or_else(|e| e.into_inner()); // spin_lock_irqsave(&wq_head->lock, flags);
    *g += 1;
    wq.sleepers.notify_all(); // __wake_up_common(wq_head, mode, nr_exclusive, 0, key);
    drop(g); // spin_unlock_irqrestore(&wq_head->lock, flags);
             // Recorded after the release, as unlocks are (see lock.rs).
    rt::record("wake_up_all", &wq.name, "");
}
