//! Named invariants: the reasons an execution can be judged bad.
//!
//! An invariant is defined once, next to the state it talks about, as a `pub const`. The
//! checker's own primitives define the kernel-wide ones below (use-after-free, refcount
//! misuse, list corruption, locking rules); each model defines its protocol's invariants in
//! its own crate. A violation's text always starts with the invariant's name, so tests, the
//! CLI and trace files can match on it.

/// A named invariant, stated in kernel terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invariant {
    /// SCREAMING_SNAKE name, unique across kmodel (it names the violation in traces).
    pub name: &'static str,
    /// One sentence stating what must hold, in kernel terms.
    pub statement: &'static str,
    /// Whether the execution can go on once this is violated. Fatal violations (a NULL or
    /// poisoned pointer followed, a BUG_ON, a deadlock) end the execution at once; the others
    /// are reported and the execution continues, as the kernel does after a WARN or a KASAN
    /// report, so a later violation can still be reached.
    pub fatal: bool,
}

impl Invariant {
    /// A non-fatal invariant (the execution continues after a report).
    pub const fn new(name: &'static str, statement: &'static str) -> Self {
        Invariant {
            name,
            statement,
            fatal: false,
        }
    }

    /// A fatal invariant (the execution cannot continue after it is broken).
    pub const fn fatal(name: &'static str, statement: &'static str) -> Self {
        Invariant {
            name,
            statement,
            fatal: true,
        }
    }
}

/// A named state that must occur in at least one execution for a scenario's verdict to mean
/// anything (herd7's positive witness, TLC's coverage): the iterator's local list is non-empty
/// while the final put runs; the reader is inside its RCU section when the writer replaces
/// the pointer. A model or body reports it with [`crate::scenario::witness`] at the kernel
/// statement where the state exists; a scenario declares the ones it needs with
/// [`crate::scenario::Scenario::witnesses`]. An exhaustive exploration that never reaches a
/// declared witness is VACUOUS, not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Witness {
    /// SCREAMING_SNAKE name, unique within its model.
    pub name: &'static str,
    /// One sentence stating the state, in kernel terms.
    pub statement: &'static str,
}

impl Witness {
    pub const fn new(name: &'static str, statement: &'static str) -> Self {
        Witness { name, statement }
    }
}

/// Memory of a `kzalloc`ed object is used after its `kfree` (what KASAN reports).
pub const USE_AFTER_FREE: Invariant =
    Invariant::new("USE_AFTER_FREE", "no object is accessed after it was freed");
/// `kfree` twice.
pub const DOUBLE_FREE: Invariant = Invariant::new("DOUBLE_FREE", "no object is freed twice");
/// An object still allocated when every thread has finished and the scenario has dropped its
/// own references (what kmemleak reports).
pub const LEAK: Invariant = Invariant::new(
    "LEAK",
    "every object allocated during the scenario is freed once all references are dropped",
);
/// `refcount_t`: "addition on 0; use-after-free" (lib/refcount.c, REFCOUNT_ADD_UAF).
pub const REFCOUNT_ADD_ON_ZERO: Invariant = Invariant::new(
    "REFCOUNT_ADD_ON_ZERO",
    "a refcount that reached 0 is never incremented again (refcount_t: addition on 0; use-after-free)",
);
/// `refcount_t`: "underflow; use-after-free" (lib/refcount.c, REFCOUNT_SUB_UAF).
pub const REFCOUNT_UNDERFLOW: Invariant = Invariant::new(
    "REFCOUNT_UNDERFLOW",
    "a refcount is never decremented below 0 (refcount_t: underflow; use-after-free)",
);
/// A list operation writes through a list head that no longer exists: an on-stack
/// `LIST_HEAD()` whose function has returned, or a head inside a freed object.
pub const LIST_HEAD_UAF: Invariant = Invariant::new(
    "LIST_HEAD_UAF",
    "no list operation reads or writes a list_head whose storage is gone (a returned function's on-stack LIST_HEAD, or a freed object)",
);
/// `kfree()` of an object one of whose `list_head`s is still linked with a `list_head`
/// outside it: the list's next walker, or the next `list_add`/`list_del` of a neighbour,
/// writes into freed memory. Checked at the `kfree` itself, whatever the interleaving, so no
/// schedule can hide the window between the free and the list's next use.
pub const FREE_WHILE_LINKED: Invariant = Invariant::new(
    "FREE_WHILE_LINKED",
    "no object is freed while one of its list_heads is still linked on a list (kfree() of an object still linked on a list)",
);
/// A lock-protected field of a live object ([`Guarded::new_refs`](crate::kernel::Guarded::new_refs))
/// left pointing to a freed object where another CPU can read it: any CPU that takes the lock
/// next reads a dangling pointer. Checked at the `kfree` when the freeing CPU does not hold
/// that lock, and at the release of the lock when it does (it may clear the pointer after
/// the free, but not after the unlock), whatever the interleaving (the ghost-state
/// counterpart of `FREE_WHILE_LINKED`).
pub const FREE_WHILE_REACHABLE: Invariant = Invariant::new(
    "FREE_WHILE_REACHABLE",
    "no object is freed while a lock-protected field of a live object still points to it, unless the freeing CPU holds that lock and clears the field before releasing it",
);
/// CONFIG_DEBUG_LIST: `__list_add_valid` / `__list_del_entry_valid` fail. As in the kernel
/// without CONFIG_BUG_ON_DATA_CORRUPTION, the operation is skipped and the execution goes on.
pub const LIST_CORRUPTION: Invariant = Invariant::new(
    "LIST_CORRUPTION",
    "list_head links stay consistent (CONFIG_DEBUG_LIST): prev->next == entry == next->prev, no double add, no list_del of a poisoned entry",
);
/// A NULL or LIST_POISON pointer is dereferenced (an oops). Fatal: the model cannot follow it.
pub const OOPS: Invariant =
    Invariant::fatal("OOPS", "no NULL or LIST_POISON pointer is dereferenced");
/// `lockdep_assert_held()` fails, or a guarded field is accessed without its lock.
pub const LOCK_NOT_HELD: Invariant = Invariant::new(
    "LOCK_NOT_HELD",
    "every access to lock-protected state, and every lockdep_assert_held(), happens with that lock held by the accessing CPU",
);
/// Unlocking a lock the CPU does not hold, locking it twice, or returning with it held.
pub const LOCK_MISUSE: Invariant = Invariant::new(
    "LOCK_MISUSE",
    "a lock is released only by its holder, never taken recursively, and not held when a CPU finishes",
);
/// A `WARN_ON()` fired.
pub const WARN: Invariant = Invariant::new("WARN", "no WARN_ON() condition is ever true");
/// A `BUG_ON()` fired. Fatal, as in the kernel.
pub const BUG: Invariant = Invariant::fatal("BUG", "no BUG_ON() condition is ever true");
/// loom's causality check: two accesses to one atomic or cell, at least one a write (an
/// initialisation counts), not ordered by happens-before. Typically an object published
/// through state no lock or barrier orders. Fatal: loom stops there.
pub const DATA_RACE: Invariant = Invariant::fatal(
    "DATA_RACE",
    "every access to an object is ordered after its initialisation and after conflicting writes (loom's causality check)",
);
/// Every thread is blocked (reported by loom or shuttle).
pub const DEADLOCK: Invariant = Invariant::fatal(
    "DEADLOCK",
    "some CPU can always make progress (no deadlock)",
);
/// The model itself panicked (a bug in the model, not in the protocol).
pub const MODEL_PANIC: Invariant = Invariant::fatal(
    "MODEL_PANIC",
    "the model code does not panic outside a reported violation",
);
/// A busy-wait without end (dpor: every runnable CPU spins on what no CPU left will change),
/// a livelock, or too many steps (loom's branch limit, shuttle's step limit).
pub const LIVELOCK: Invariant = Invariant::fatal(
    "LIVELOCK",
    "every CPU finishes: none busy-waits forever or runs past the exploration's step bound",
);

/// Every invariant the checker itself defines, for lookups by name.
pub const BUILTIN: &[Invariant] = &[
    USE_AFTER_FREE,
    DOUBLE_FREE,
    LEAK,
    REFCOUNT_ADD_ON_ZERO,
    REFCOUNT_UNDERFLOW,
    LIST_HEAD_UAF,
    FREE_WHILE_LINKED,
    FREE_WHILE_REACHABLE,
    LIST_CORRUPTION,
    OOPS,
    LOCK_NOT_HELD,
    LOCK_MISUSE,
    WARN,
    BUG,
    DATA_RACE,
    DEADLOCK,
    MODEL_PANIC,
    LIVELOCK,
];
