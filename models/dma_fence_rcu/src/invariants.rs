//! The invariants of the dma_fence_rcu model, stated in kernel terms: constants only, so
//! that every file of the crate can name them.

use checker::invariant::{Invariant, Witness};

/// Item 6 of the issue: a fence a reader returns is the one it read, with a reference on it.
pub const FENCE_GET_IDENTITY: Invariant = Invariant::new(
    "FENCE_GET_IDENTITY",
    "a fence an RCU reader returns is the fence that the pointer store it read had installed (so it was installed at that instant of the call), and the reader's reference is on that very fence, not on a recycled fence in the same memory",
);

/// Item 6 of the issue: the idle answer is linearizable.
pub const IDLE_LINEARIZABLE: Invariant = Invariant::new(
    "IDLE_LINEARIZABLE",
    "an unlocked reader answers idle only if, at some instant during its call, every fence installed in the dma_resv was signaled (checked against the ghost history of installs and signals)",
);

/// A fence signals once.
pub const FENCE_SIGNALS_ONCE: Invariant = Invariant::new(
    "FENCE_SIGNALS_ONCE",
    "a fence (one object, not one piece of memory) goes from unsignaled to signaled at most once",
);
/// The cb_list / timestamp union.
pub const CB_LIST_AFTER_SIGNAL: Invariant = Invariant::new(
    "CB_LIST_AFTER_SIGNAL",
    "nothing touches fence->cb_list once the fence has signaled: the union then holds the timestamp",
);
/// `dma_fence_add_callback()` / `dma_fence_remove_callback()` contract.
pub const CALLBACK_ONCE: Invariant = Invariant::new(
    "CALLBACK_ONCE",
    "a callback that dma_fence_add_callback() accepted (returned 0) runs exactly once, unless dma_fence_remove_callback() removed it first (returned true), in which case it never runs",
);

/// Every invariant this model defines.
pub const INVARIANTS: &[Invariant] = &[
    FENCE_GET_IDENTITY,
    IDLE_LINEARIZABLE,
    FENCE_SIGNALS_ONCE,
    CB_LIST_AFTER_SIGNAL,
    CALLBACK_ONCE,
    FENCE_TIMESTAMP_VALID,
    ARRAY_SIGNALED_COMPLETE,
];

/// The state every RCU reader pattern is about: the reader holds a fence pointer inside its
/// read section while the writer has already dropped that fence's last reference.
pub const GET_RCU_MEETS_RELEASED_FENCE: Witness = Witness::new(
    "GET_RCU_MEETS_RELEASED_FENCE",
    "dma_fence_get_rcu() under rcu_read_lock() meets a fence whose refcount already reached 0: the writer released it after the reader loaded its pointer",
);

/// The publication races' state: the reader reads the pointer to a fence that was just
/// initialised in memory recycled from a signaled fence (whose SIGNALED bit the init clears).
pub const READS_FENCE_IN_RECYCLED_MEMORY: Witness = Witness::new(
    "READS_FENCE_IN_RECYCLED_MEMORY",
    "inside rcu_read_lock(), rcu_dereference() of a dma_resv fence pointer returns the fence the writer published after dma_fence_init() in recycled memory whose previous fence had signaled",
);

/// add/remove callback against signal: the signal runs the accepted callback first.
pub const CALLBACK_RUN_BEFORE_REMOVE: Witness = Witness::new(
    "CALLBACK_RUN_BEFORE_REMOVE",
    "dma_fence_add_callback() returns 0, then the concurrent dma_fence_signal() runs the callback, so dma_fence_remove_callback() returns false",
);

/// add/remove callback against signal: the callback is removed before the signal.
pub const CALLBACK_REMOVED_BEFORE_SIGNAL: Witness = Witness::new(
    "CALLBACK_REMOVED_BEFORE_SIGNAL",
    "dma_fence_add_callback() returns 0 and dma_fence_remove_callback() takes the callback off fence->cb_list (returns true) before the concurrent dma_fence_signal()",
);

/// A reader of a signaled fence's timestamp gets the timestamp, not the `cb_list` pointer
/// the union held before `dma_fence_signal_timestamp_locked()` stored it ("dma-buf: add
/// dma_fence_timestamp helper", v6.6: "When a fence signals there is a very small race
/// window where the timestamp isn't updated yet").
pub const FENCE_TIMESTAMP_VALID: Invariant = Invariant::new(
    "FENCE_TIMESTAMP_VALID",
    "a timestamp read from a signaled fence is the one dma_fence_signal_timestamp_locked() stored, not the cb_list pointer the union { cb_list; timestamp } held before",
);

/// The timestamp race's window: the reader saw the fence signaled before its timestamp bit.
pub const TIMESTAMP_READER_SEES_SIGNALED_BEFORE_TIMESTAMP: Witness = Witness::new(
    "TIMESTAMP_READER_SEES_SIGNALED_BEFORE_TIMESTAMP",
    "a reader of the timestamp saw DMA_FENCE_FLAG_SIGNALED_BIT set and DMA_FENCE_FLAG_TIMESTAMP_BIT still clear: dma_fence_signal_timestamp_locked() was between its test_and_set_bit() and its set_bit()",
);

/// A dma_fence_array is signaled only once every fence in it has signaled.
pub const ARRAY_SIGNALED_COMPLETE: Invariant = Invariant::new(
    "ARRAY_SIGNALED_COMPLETE",
    "dma_fence_is_signaled() of a dma_fence_array (signal_on_any false) returns true only if every fence in the array has signaled",
);

/// The array's partial state: polled after one of its fences signaled, before the other.
pub const ARRAY_POLLED_WITH_ONE_SIGNALED: Witness = Witness::new(
    "ARRAY_POLLED_WITH_ONE_SIGNALED",
    "dma_fence_is_signaled() of a dma_fence_array returns after array->fences[0] signaled, while array->fences[1] has not",
);

/// enable_signaling meets an array whose fences have all signaled already.
pub const ARRAY_ENABLE_SIGNALING_FINDS_ALL_SIGNALED: Witness = Witness::new(
    "ARRAY_ENABLE_SIGNALING_FINDS_ALL_SIGNALED",
    "dma_fence_array_enable_signaling() finds every fence of the array signaled (dma_fence_add_callback() returns -ENOENT for each), so the array must signal from inside enable_signaling, under its own fence->lock",
);
