//! Model of RCU (include/linux/rcupdate.h, kernel/rcu/): read-side critical sections,
//! `synchronize_rcu()`, `call_rcu()` / `kfree_rcu()`, and the `__rcu` pointer accessors.
//!
//! ## Readers and grace periods: the per-CPU-lock "toy RCU"
//!
//! As in the toy implementation of Paul McKenney's perfbook (§9.5.5, "Per-thread lock-based
//! RCU"), every CPU has a lock of its own. The outermost [`rcu_read_lock`] takes the running
//! CPU's lock and [`rcu_read_unlock`] releases it (nested sections only count, in a ghost
//! nesting counter); [`synchronize_rcu`] takes and releases every other CPU's lock in turn,
//! between two full barriers.
//! It therefore waits for exactly the read-side sections that were running when it reached
//! each CPU, with no spin loop (loom explores spin loops badly). These locks are the facade's
//! mutex directly: they are not in the lockdep graph (RCU's own lockdep rules are not
//! modelled), and a deadlock through them is a deadlock of the explorer.
//!
//! ## Callbacks: `call_rcu()` and `kfree_rcu()`, an adversarial grace period
//!
//! [`call_rcu`] snapshots (ghost) which CPUs are inside a read-side section at that moment.
//! The callback runs the moment the last of them leaves (in its [`rcu_read_unlock`], on that
//! CPU, as a softirq would run on it), or at once on the caller if none is inside. That is the
//! shortest grace period RCU allows: every reader that could have seen the object has left,
//! and not one step later, so a use after the grace period is found as early as it can
//! happen. [`kfree_rcu`] is `call_rcu` of [`kmem_cache_free`](super::kmem_cache_free); any
//! access to the object after that is a `USE_AFTER_FREE` through the slab checks (or, for a
//! `SLAB_TYPESAFE_BY_RCU` cache, the memory may be handed out again).
//!
//! ## Memory ordering (LKMM, Documentation/RCU/whatisRCU.rst) mapped to C11
//!
//! | kernel                          | model (C11)                                              |
//! |---------------------------------|----------------------------------------------------------|
//! | `rcu_assign_pointer(p, v)`      | `store(Release)`                                         |
//! | `RCU_INIT_POINTER(p, v)`        | `store(Relaxed)` (no ordering: only for NULL or unpublished data) |
//! | `rcu_dereference(p)` and `_check` | `load(Acquire)` (`MODEL:` the LKMM orders the dereference by the address dependency, C11's `consume`; consume is mapped to acquire, which is stronger) |
//! | `rcu_access_pointer(p)`         | `load(Relaxed)` (the value may be compared, not dereferenced) |
//! | `rcu_dereference_protected(p, c)` | `load(Relaxed)` (the update-side lock orders it)        |
//! | `rcu_replace_pointer(p, v, c)`  | `rcu_dereference_protected` then `rcu_assign_pointer`, as the macro is |
//! | `rcu_read_lock()` / `rcu_read_unlock()` | no fence (the LKMM gives them none); the reader lock's acquire/release and the bookkeeping RMWs below order nothing between CPUs except through a grace period |
//! | `synchronize_rcu()`             | `fence(SeqCst)`, wait on every other CPU's reader lock (acquire/release), `fence(SeqCst)`: a strong fence (`gp` in tools/memory-model/linux-kernel.cat, v6.8) |
//! | `call_rcu()` / `kfree_rcu()` callback | after the grace period's end: an `Acquire` RMW on every other CPU's quiescent-state word, which each outermost `rcu_read_unlock()` `Release`s |
//!
//! ## The grace-period bookkeeping is a facade object
//!
//! Which CPUs are inside a section, and which callbacks wait for whom, is ghost state whose
//! value depends on the interleaving. Every change of it happens at an RMW on one facade
//! atomic, the world's `gp` word, so loom sees every two of them as dependent and explores
//! both orders (no execution graph hides a different grace period): the outermost
//! `rcu_read_lock()` (`Acquire`), the outermost `rcu_read_unlock()` (`Relaxed`), and
//! `call_rcu()`'s snapshot (`Release`). `MODEL:` the orderings are chosen so that only a grace
//! period orders readers:
//!
//! - a reader's RMWs on `gp` are `Acquire` or `Relaxed`, never `Release`, so one reader's
//!   section never happens before another's through `gp` (an RMW continues the release
//!   sequence of the `call_rcu()` before it without adding its own thread's history);
//! - `call_rcu()` releases on `gp` and a reader that enters later acquires it, so it sees every
//!   store made before the call: the fundamental law's "a reader that begins after the grace
//!   period began". This is stronger than the LKMM, which lets such a reader read the old
//!   value provided the grace period then waits for it; the model cannot extend a snapshot
//!   after the fact, so it makes that reader see the new value (as the removed `fence(SeqCst)`
//!   in `rcu_read_lock()` did, without ordering anything else);
//! - the end of a grace period acquires every CPU's quiescent-state word, which only that
//!   CPU's `rcu_read_unlock()` writes: the callback is ordered after every section that has
//!   ended, so after every section that was running at the call.
//!
//! These words are loom's alone ([`LoomWord`]): under shuttle (sequential consistency) they
//! are no scheduling point, so each primitive has one scheduling point before its recorded
//! event (the reader lock's acquisition or release, `call_rcu()`'s point, or
//! `synchronize_rcu()`'s fences and waits), and every ghost change comes after it. A
//! preemption inside a primitive therefore never shows another CPU a state that the trace
//! cannot name: random and PCT traces replay step for step, and the dpor explorer, which
//! does not preempt between a thread's scheduling points until it records an event, misses
//! no interleaving (calibration: `tests/replay_fidelity.rs`, and `tests/dpor.rs` on the RCU
//! litmus scenarios).
//!
//! `MODEL:` the callback runs inline on the CPU whose `rcu_read_unlock()` ended the grace
//! period, so that CPU's code after its `rcu_read_unlock()` is also ordered after the other
//! readers' sections. In the kernel the callback runs later, in softirq, and orders nothing
//! for the CPU's own code.

//! ## `__rcu` pointers
//!
//! An [`RcuPointer`] points into a [`KmemCache`]: its value names memory (a slab slot), not
//! an object, as a C pointer does. Its facade atomic stores a fresh *version* per store, and a
//! ghost table maps each version to the slot and to the object that occupied it when it was
//! stored. A reader therefore knows exactly which store it read (loom's reads-from, also
//! under weak memory) and which object that store installed ([`SlabPtr::installed`]), while
//! pointer comparison ([`SlabPtr::ptr_eq`]) compares addresses, as C does.

use std::sync::{Arc, Mutex as StdMutex};

use super::kmem_cache::{KmemCache, SlabPtr};
use crate::invariant::{DEADLOCK, LOCK_MISUSE, LOCK_NOT_HELD};
use crate::rt::{self, ObjId, Tid};
use crate::sync::atomic::{fence, AtomicUsize, Ordering};
use crate::sync::{LoomWord, Mutex, MutexGuard};
use crate::trace::thread_name;

/// One CPU's read-side state.
#[derive(Default)]
struct RcuCpu {
    /// The held reader lock of the outermost section (dropped before `lock`).
    guard: Option<MutexGuard<'static, ()>>,
    lock: Option<Arc<Mutex<()>>>,
    /// The CPU's quiescent-state word: every outermost `rcu_read_unlock()` releases on it,
    /// and the end of a grace period acquires it ([`RcuWorld::new`]).
    qs: Option<LoomWord>,
    /// Whether the CPU ever entered a section (its word has been released on).
    entered: bool,
    /// `rcu_read_lock()` nesting depth (ghost, changed only at a `gp` RMW when it goes
    /// between 0 and 1).
    nesting: usize,
}

impl Drop for RcuCpu {
    fn drop(&mut self) {
        // Torn down after the execution ended (a violation stopped it inside a read-side
        // section): the backend is gone, so the guard must not unlock through it.
        if let Some(g) = self.guard.take() {
            std::mem::forget(g);
        }
    }
}

type Callback = Box<dyn FnOnce()>;

/// A `call_rcu()` whose grace period has not ended.
struct Pending {
    /// The CPUs that were inside a read-side section at the call and have not left.
    waiting: Vec<Tid>,
    what: String,
    cb: Callback,
}

/// The RCU state of one execution (part of the world).
pub struct RcuWorld {
    cpus: Vec<RcuCpu>,
    pending: Vec<Pending>,
    /// The grace-period bookkeeping word: every change of the ghost reader state (a CPU
    /// entering or leaving its outermost section, `call_rcu()`'s snapshot) happens at an RMW
    /// on it, so loom orders all of them.
    gp: Option<LoomWord>,
}

/// CPUs whose quiescent-state word is created with the world (loom runs at most 5 threads).
const PREALLOCATED_CPUS: usize = 8;

impl RcuWorld {
    /// The RCU state of a new execution, created on its main thread: loom reports an access
    /// to an atomic that its creation does not happen before, so every word a CPU may touch
    /// exists before the first CPU is spawned.
    pub(crate) fn new() -> RcuWorld {
        let cpus = (0..PREALLOCATED_CPUS)
            .map(|_| {
                let mut c = RcuCpu::default();
                c.qs = Some(LoomWord::new(0));
                c
            })
            .collect();
        RcuWorld {
            cpus,
            pending: Vec::new(),
            gp: Some(LoomWord::new(0)),
        }
    }

    fn cpu(&mut self, tid: Tid) -> &mut RcuCpu {
        if self.cpus.len() <= tid {
            self.cpus.resize_with(tid + 1, RcuCpu::default);
        }
        let c = &mut self.cpus[tid];
        if c.lock.is_none() {
            c.lock = Some(Arc::new(Mutex::new(())));
        }
        c
    }

    fn gp(&mut self) -> LoomWord {
        self.gp.get_or_insert_with(|| LoomWord::new(0)).clone()
    }

    fn qs(&mut self, tid: Tid) -> LoomWord {
        self.cpu(tid)
            .qs
            .get_or_insert_with(|| LoomWord::new(0))
            .clone()
    }
}

/// Whether the running CPU is inside an RCU read-side critical section
/// (`rcu_read_lock_held()`).
pub fn rcu_read_lock_held() -> bool {
    if !rt::active() {
        return false;
    }
    let tid = rt::current_tid();
    rt::with(|w| w.rcu.cpus.get(tid).is_some_and(|c| c.nesting > 0))
}

/// `rcu_read_lock()`: enter a read-side critical section (nestable). No barrier: the LKMM
/// gives `rcu_read_lock()` no ordering of its own (linux-kernel.cat: `Rcu-lock` is in no
/// fence relation).
pub fn rcu_read_lock() {
    let tid = rt::current_tid();
    let (depth, lock, gp) = rt::with(|w| {
        let gp = w.rcu.gp();
        let c = w.rcu.cpu(tid);
        (c.nesting, c.lock.clone().expect("created by cpu()"), gp)
    });
    if depth > 0 {
        rt::with(|w| w.rcu.cpu(tid).nesting += 1);
        rt::record("rcu_read_lock", "", &format!("nested {}", depth + 1));
        return;
    }
    let g = lock.lock().unwrap_or_else(|e| e.into_inner()); // the CPU's reader lock: synchronize_rcu() waits on it
                                                            // SAFETY: the guard borrows `*lock`, whose `Arc` is kept next to it in `RcuCpu` (the guard
                                                            // field is dropped first, or forgotten).
    let g: MutexGuard<'static, ()> = unsafe { std::mem::transmute(g) };
    gp.fetch_add(1, Ordering::Acquire); // MODEL: the grace-period bookkeeping sees this CPU enter (loom only; see the module doc)
    rt::with(|w| {
        let c = w.rcu.cpu(tid);
        c.guard = Some(g);
        c.nesting = 1;
        c.entered = true;
    });
    super::sched::atomic_enter("rcu_read_lock()".to_string()); // ghost, for might_sleep()
    rt::record("rcu_read_lock", "", "");
}

/// `rcu_read_unlock()`: leave a read-side critical section. No barrier of its own. Leaving
/// the outermost one ends the grace period of every `call_rcu()` that was waiting only for
/// this CPU: their callbacks run here, after the grace period's end.
pub fn rcu_read_unlock() {
    let tid = rt::current_tid();
    let depth = rt::with(|w| w.rcu.cpu(tid).nesting);
    if depth == 0 {
        rt::report(
            &LOCK_MISUSE,
            format!(
                "rcu_read_unlock() by {} outside any rcu_read_lock() section",
                thread_name(tid)
            ),
        );
        return;
    }
    if depth > 1 {
        rt::with(|w| w.rcu.cpu(tid).nesting -= 1);
        rt::record("rcu_read_unlock", "", &format!("nested {}", depth - 1));
        return;
    }
    let (gp, qs, guard) = rt::with(|w| (w.rcu.gp(), w.rcu.qs(tid), w.rcu.cpu(tid).guard.take()));
    drop(guard); // the reader lock's release (synchronize_rcu() waits on it): shuttle's scheduling point comes before it
    qs.fetch_add(1, Ordering::Release); // MODEL: this CPU's quiescent state, which the grace period's end acquires (loom only)
    gp.fetch_add(1, Ordering::Relaxed); // MODEL: the grace-period bookkeeping sees this CPU leave (loom only)

    // The ghost change comes after the last scheduling point, as in every primitive: no CPU
    // can see this CPU gone from its section before its rcu_read_unlock() is recorded.
    let ready = rt::with(|w| {
        let c = w.rcu.cpu(tid);
        c.nesting = 0;
        let mut ready = Vec::new();
        let mut i = 0;
        while i < w.rcu.pending.len() {
            let p = &mut w.rcu.pending[i];
            p.waiting.retain(|&t| t != tid);
            if p.waiting.is_empty() {
                ready.push(w.rcu.pending.remove(i));
            } else {
                i += 1;
            }
        }
        ready
    });
    super::sched::atomic_exit("rcu_read_lock()");
    rt::record("rcu_read_unlock", "", "");
    for p in ready {
        grace_period_end();
        rt::record("rcu callback", &p.what, "grace period over");
        (p.cb)();
    }
}

/// The end of a grace period, on the CPU that runs its callbacks: acquire every other CPU's
/// quiescent-state word, so the callback is ordered after every read-side section that has
/// ended (in particular every one that was running when the grace period began). Nothing
/// orders the readers among themselves: each word is written by its own CPU only.
fn grace_period_end() {
    let me = rt::current_tid();
    let words: Vec<LoomWord> = rt::with(|w| {
        w.rcu
            .cpus
            .iter()
            .enumerate()
            .filter(|&(t, c)| t != me && c.entered)
            .filter_map(|(_, c)| c.qs.clone())
            .collect()
    });
    for q in words {
        q.fetch_add(0, Ordering::Acquire); // MODEL: the grace period collects that CPU's quiescent state (loom only)
    }
}

/// `synchronize_rcu()`: wait until every read-side section that is running now has ended.
/// A full barrier before and after, as the LKMM states it (`gp` is a strong fence in
/// tools/memory-model/linux-kernel.cat, v6.8).
pub fn synchronize_rcu() {
    let me = rt::current_tid();
    if rcu_read_lock_held() {
        rt::report(
            &DEADLOCK,
            format!(
                "synchronize_rcu() inside an RCU read-side critical section on {}",
                thread_name(me)
            ),
        );
    } else {
        // synchronize_rcu(): might_sleep() (inside a read-side section the DEADLOCK above
        // names the graver problem).
        super::sched::might_sleep("synchronize_rcu()");
    }
    fence(Ordering::SeqCst); // the grace period's smp_mb() at its start
    let locks: Vec<Arc<Mutex<()>>> = rt::with(|w| {
        let n = w.threads;
        (0..n)
            .filter(|&t| t != me)
            .map(|t| w.rcu.cpu(t).lock.clone().expect("created by cpu()"))
            .collect()
    });
    for l in locks {
        let g = l.lock().unwrap_or_else(|e| e.into_inner()); // wait for that CPU's reader, if any
        drop(g);
    }
    fence(Ordering::SeqCst); // the grace period's smp_mb() at its end
    rt::record("synchronize_rcu", "", "");
}

/// `call_rcu(head, func)`: run `func` once every CPU that is inside a read-side section now,
/// the caller included, has left it. `what` names the object for the trace.
pub fn call_rcu(what: &str, func: impl FnOnce() + 'static) {
    let gp = rt::with(|w| w.rcu.gp());
    gp.fetch_add_point(1, Ordering::Release); // MODEL: the grace period starts: readers that enter later acquire it
    let waiting: Vec<Tid> = rt::with(|w| {
        w.rcu
            .cpus
            .iter()
            .enumerate()
            .filter(|(_, c)| c.nesting > 0)
            .map(|(t, _)| t)
            .collect()
    });
    if waiting.is_empty() {
        rt::record("call_rcu", what, "no reader: runs now");
        grace_period_end();
        func();
        return;
    }
    let names: Vec<String> = waiting.iter().map(|&t| thread_name(t)).collect();
    rt::record("call_rcu", what, &format!("waits for {}", names.join(", ")));
    rt::with(|w| {
        w.rcu.pending.push(Pending {
            waiting,
            what: what.to_string(),
            cb: Box::new(func),
        })
    });
}

/// `kfree_rcu(ptr, rcu)`: free the object `ptr` points to once a grace period has passed.
pub fn kfree_rcu<T: Send + Sync + 'static>(ptr: &SlabPtr<T>) {
    let p = ptr.clone();
    call_rcu(&ptr.occupant_name(), move || {
        super::kmem_cache::kmem_cache_free(&p)
    });
}

/// One store of an [`RcuPointer`]: where it pointed and what lived there then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Store {
    slot: Option<usize>,
    obj: Option<ObjId>,
}

/// Model of a `T __rcu *` field: a pointer into the memory of one [`KmemCache`].
pub struct RcuPointer<T: 'static> {
    v: AtomicUsize,
    name: String,
    cache: KmemCache<T>,
    /// version -> what that store wrote (ghost). Version 0 is the initial NULL.
    stores: StdMutex<Vec<Store>>,
}

impl<T: Send + Sync + 'static> RcuPointer<T> {
    /// The NULL pointer field `field` of the object `owner`, pointing into `cache`'s memory.
    pub fn new(owner: &str, field: &str, cache: &KmemCache<T>) -> RcuPointer<T> {
        RcuPointer {
            v: AtomicUsize::new(0),
            name: format!("{owner}.{field}"),
            cache: cache.clone(),
            stores: StdMutex::new(vec![Store {
                slot: None,
                obj: None,
            }]),
        }
    }

    /// The field's name in traces.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn version_for(&self, p: Option<&SlabPtr<T>>) -> usize {
        let s = Store {
            slot: p.map(|p| p.slot()),
            obj: p.and_then(|p| p.occupant()),
        };
        let mut st = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        st.push(s);
        st.len() - 1
    }

    fn decode(&self, v: usize) -> Option<SlabPtr<T>> {
        let s = self.stores.lock().unwrap_or_else(|e| e.into_inner())[v];
        s.slot.map(|slot| self.cache.ptr(slot, s.obj))
    }

    fn store(&self, op: &str, p: Option<&SlabPtr<T>>, order: Ordering) {
        let v = self.version_for(p);
        self.v.store(v, order); // the pointer store
        rt::record(op, &self.name, &describe(p));
    }

    fn load(&self, op: &str, order: Ordering) -> Option<SlabPtr<T>> {
        let v = self.v.load(order); // the pointer load
        let p = self.decode(v);
        rt::record(op, &self.name, &describe(p.as_ref()));
        p
    }

    /// Ghost: the current value, without a scheduling point (for the harness's checks).
    pub fn ghost_read(&self) -> Option<SlabPtr<T>> {
        let st = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        let s = *st.last().expect("version 0");
        drop(st);
        s.slot.map(|slot| self.cache.ptr(slot, s.obj))
    }
}

fn describe<T: Send + Sync + 'static>(p: Option<&SlabPtr<T>>) -> String {
    match p {
        None => "NULL".to_string(),
        Some(p) => p.describe(),
    }
}

/// `rcu_dereference(p)`: read an RCU-protected pointer inside a read-side section.
pub fn rcu_dereference<T: Send + Sync + 'static>(p: &RcuPointer<T>) -> Option<SlabPtr<T>> {
    if !rcu_read_lock_held() {
        rt::report(
            &LOCK_NOT_HELD,
            format!(
                "suspicious rcu_dereference_check() usage: rcu_dereference({}) by {} outside rcu_read_lock()",
                p.name,
                thread_name(rt::current_tid())
            ),
        );
    }
    p.load("rcu_dereference", Ordering::Acquire) // rcu_dereference(p): consume, as acquire
}

/// `rcu_dereference_check(p, c)`: like [`rcu_dereference`], also legal outside a read-side
/// section when `c` (e.g. "the update-side lock is held") is true.
pub fn rcu_dereference_check<T: Send + Sync + 'static>(
    p: &RcuPointer<T>,
    c: bool,
) -> Option<SlabPtr<T>> {
    if !c && !rcu_read_lock_held() {
        rt::report(
            &LOCK_NOT_HELD,
            format!(
                "suspicious rcu_dereference_check() usage: {} read by {} outside rcu_read_lock() and without the update-side lock",
                p.name,
                thread_name(rt::current_tid())
            ),
        );
    }
    p.load("rcu_dereference_check", Ordering::Acquire) // rcu_dereference_check(p, c)
}

/// `rcu_dereference_protected(p, c)`: the update side's read, `c` being "the lock is held".
pub fn rcu_dereference_protected<T: Send + Sync + 'static>(
    p: &RcuPointer<T>,
    c: bool,
) -> Option<SlabPtr<T>> {
    if !c {
        rt::report(
            &LOCK_NOT_HELD,
            format!(
                "suspicious rcu_dereference_protected() usage: {} read by {} without the update-side lock",
                p.name,
                thread_name(rt::current_tid())
            ),
        );
    }
    p.load("rcu_dereference_protected", Ordering::Relaxed) // rcu_dereference_protected(p, c)
}

/// `rcu_access_pointer(p)`: read the pointer's value only (to compare it, not to follow it).
pub fn rcu_access_pointer<T: Send + Sync + 'static>(p: &RcuPointer<T>) -> Option<SlabPtr<T>> {
    p.load("rcu_access_pointer", Ordering::Relaxed) // rcu_access_pointer(p)
}

/// `rcu_assign_pointer(p, v)`: publish `v`; everything written before is visible to a reader
/// that reads `v`.
pub fn rcu_assign_pointer<T: Send + Sync + 'static>(p: &RcuPointer<T>, v: Option<&SlabPtr<T>>) {
    p.store("rcu_assign_pointer", v, Ordering::Release) // smp_store_release(&p, v)
}

/// `RCU_INIT_POINTER(p, v)`: store without ordering (legal for NULL, or for data readers
/// cannot reach yet).
#[allow(non_snake_case)]
pub fn RCU_INIT_POINTER<T: Send + Sync + 'static>(p: &RcuPointer<T>, v: Option<&SlabPtr<T>>) {
    p.store("RCU_INIT_POINTER", v, Ordering::Relaxed) // WRITE_ONCE(p, v)
}

/// `rcu_replace_pointer(p, v, c)`: publish `v` and return the old value (update side, `c`
/// being "the lock is held").
pub fn rcu_replace_pointer<T: Send + Sync + 'static>(
    p: &RcuPointer<T>,
    v: Option<&SlabPtr<T>>,
    c: bool,
) -> Option<SlabPtr<T>> {
    let old = rcu_dereference_protected(p, c); // tmp = rcu_dereference_protected(rcu_ptr, c);
    rcu_assign_pointer(p, v); // rcu_assign_pointer(rcu_ptr, ptr);
    old
}
