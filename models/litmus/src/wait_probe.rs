//! Probe: a waiter and a waker that wakes it twice (include/linux/wait.h, v6.8:
//! `wait_event()`, `wake_up_all()`): CPU1 stores `done = 1` and wakes the queue, relaxes,
//! then stores `done = 2` and wakes it again; CPU0 waits for `done == 2`. The shape of
//! `mmu_interval_read_begin()`'s wait (mm/mmu_notifier.c) when a wake-up comes between a
//! waiter's `prepare_to_wait_event()` and its `schedule()`.
//!
//! Calibration of the dpor explorer (issue 12): a waiter whose `schedule()` finds that a
//! wake-up came after its `prepare_to_wait_event()` returns without sleeping, and that step
//! cannot run before the wake-up (it would sleep there). dpor reversed the race of the two
//! into a wakeup sequence that ran the waiter where it sleeps: the sequence was lost and dpor
//! re-explored with source sets (`verified under SC (source-set DPOR)`, 22 executions for 21
//! traces). With the wake-up as the waiter's enabler it runs each of the 21 traces once, the
//! 21 that shuttle's DFS finds in 394,999 executions (tests/dpor.rs). Self-contained: its
//! invariant, witness, body and scenario.

use checker::invariant::{Invariant, Witness};
use checker::kernel::{
    cpu_relax, kfree, kzalloc, wait_event, wake_up_all, AtomicT, WaitQueueHead, READ_ONCE,
    WRITE_ONCE,
};
use checker::scenario::{check, join, spawn_cpu, witness_if, Scenario};

/// The waiter's wait ends with the condition true.
pub const WAITER_SEES_DONE: Invariant = Invariant::new(
    "WAITER_SEES_DONE",
    "the waiter returns from wait_event(wq, READ_ONCE(done) == 2) having read done == 2: the last store before the last wake_up_all() ends the wait",
);

/// The waiter re-checks its condition after `prepare_to_wait_event()` and finds it false.
pub const WAITER_GOES_TO_SCHEDULE: Witness = Witness::new(
    "WAITER_GOES_TO_SCHEDULE",
    "the waiter's condition reads done != 2 after prepare_to_wait_event(): it goes on to schedule(), which a wake_up_all() after that prepare ends",
);

struct Queue {
    wq: WaitQueueHead,
    done: AtomicT,
}

fn wait_event_two_wakeups() {
    let o = kzalloc("obj", |_, n| Queue {
        wq: WaitQueueHead::new(n, "wq"),
        done: AtomicT::new(n, "done", 0),
    });
    let seen = std::sync::Arc::new(std::sync::Mutex::new(0));
    let p0 = {
        let (o, seen) = (o.clone(), seen.clone());
        spawn_cpu(move || {
            let mut checks = 0;
            wait_event(&o.wq, || {
                let done = READ_ONCE(&o.done);
                witness_if(checks > 0 && done != 2, &WAITER_GOES_TO_SCHEDULE);
                checks += 1;
                *seen.lock().unwrap() = done;
                done == 2
            }); // wait_event(obj->wq, READ_ONCE(obj->done) == 2);
        })
    };
    let p1 = {
        let o = o.clone();
        spawn_cpu(move || {
            WRITE_ONCE(&o.done, 1); // WRITE_ONCE(obj->done, 1);
            wake_up_all(&o.wq); // wake_up_all(&obj->wq);
            cpu_relax(); // cpu_relax();
            WRITE_ONCE(&o.done, 2); // WRITE_ONCE(obj->done, 2);
            wake_up_all(&o.wq); // wake_up_all(&obj->wq);
        })
    };
    join(p0);
    join(p1);
    let seen = *seen.lock().unwrap();
    check(seen == 2, &WAITER_SEES_DONE, || {
        format!("the waiter's last read of done: {seen}")
    });
    kfree(&o);
}

pub const WAIT_EVENT_TWO_WAKEUPS: Scenario = checker::scenario!(
    wait_event_two_wakeups,
    ["P0 waiter", "P1 store/wake twice"],
    unreachable,
    "calibration: CPU0 wait_event(wq, done == 2) while CPU1 sets done = 1, wakes wq, relaxes, sets done = 2 and wakes wq again: CPU0 wakes with done == 2"
)
.named("probe-wait_event-two-wakeups")
.witnesses(&[WAITER_GOES_TO_SCHEDULE]);
