//! Model of RCU (include/linux/rcupdate.h, kernel/rcu/): read-side critical sections,
//! `synchronize_rcu()`, `call_rcu()` / `kfree_rcu()`, and the `__rcu` pointer accessors.
//!
//! ## Readers and grace periods: the per-CPU-lock "toy RCU"
//!
//! As in the toy implementation of Paul McKenney's perfbook (§9.5.5, "Per-thread lock-based
//! RCU"), every CPU has a lock of its own. The outermost [`rcu_read_lock`] takes the running
//! CPU's lock and [`rcu_read_unlock`] releases it (nested sections only count, in a ghost
//! nesting counter); [`synchronize_rcu`] takes and releases every other CPU's lock in turn.
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
//! | grace period (`synchronize_rcu`, `call_rcu`) | the per-CPU locks (acquire/release) for `synchronize_rcu`; for `call_rcu`, `fence(SeqCst)` at the call and after each outermost `rcu_read_lock()` |
//!
//! `MODEL:` the fundamental law of RCU says that a reader that starts after a grace period
//! began sees every store made before it began. The kernel gets this from the memory barriers
//! of the grace-period machinery; the model from an SC fence in `call_rcu` before the
//! snapshot and one in `rcu_read_lock` after the CPU is marked as reading: a reader the
//! snapshot did not include has its fence later in the SC order, so it reads the remover's
//! stores (C11 fence-fence rule). The real `rcu_read_lock()` has no barrier; the fences stand
//! in for the grace period's.
//!
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
use crate::sync::{Mutex, MutexGuard};
use crate::trace::thread_name;

/// One CPU's read-side state.
#[derive(Default)]
struct RcuCpu {
    /// The held reader lock of the outermost section (dropped before `lock`).
    guard: Option<MutexGuard<'static, ()>>,
    lock: Option<Arc<Mutex<()>>>,
    /// `rcu_read_lock()` nesting depth (ghost).
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
#[derive(Default)]
pub struct RcuWorld {
    cpus: Vec<RcuCpu>,
    pending: Vec<Pending>,
}

impl RcuWorld {
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

/// `rcu_read_lock()`: enter a read-side critical section (nestable).
pub fn rcu_read_lock() {
    let tid = rt::current_tid();
    let (depth, lock) = rt::with(|w| {
        let c = w.rcu.cpu(tid);
        (c.nesting, c.lock.clone().expect("created by cpu()"))
    });
    if depth > 0 {
        rt::with(|w| w.rcu.cpu(tid).nesting += 1);
        rt::record("rcu_read_lock", "", &format!("nested {}", depth + 1));
        return;
    }
    let g = lock.lock().unwrap_or_else(|e| e.into_inner()); // the CPU's reader lock: a scheduling point
                                                            // SAFETY: the guard borrows `*lock`, whose `Arc` is kept next to it in `RcuCpu` (the guard
                                                            // field is dropped first, or forgotten).
    let g: MutexGuard<'static, ()> = unsafe { std::mem::transmute(g) };
    rt::with(|w| {
        let c = w.rcu.cpu(tid);
        c.guard = Some(g);
        c.nesting = 1;
    });
    fence(Ordering::SeqCst); // MODEL: the grace period's barriers (see the module doc)
    super::sched::atomic_enter("rcu_read_lock()".to_string()); // ghost, for might_sleep()
    rt::record("rcu_read_lock", "", "");
}

/// `rcu_read_unlock()`: leave a read-side critical section. Leaving the outermost one ends the
/// grace period of every `call_rcu()` that was waiting only for this CPU: their callbacks run
/// here.
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
    let (guard, ready) = rt::with(|w| {
        let c = w.rcu.cpu(tid);
        c.nesting = 0;
        let guard = c.guard.take();
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
        (guard, ready)
    });
    drop(guard); // the release: shuttle's scheduling point comes before it
    super::sched::atomic_exit("rcu_read_lock()");
    rt::record("rcu_read_unlock", "", "");
    for p in ready {
        rt::record("rcu callback", &p.what, "grace period over");
        (p.cb)();
    }
}

/// `synchronize_rcu()`: wait until every read-side section that is running now has ended.
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
    rt::record("synchronize_rcu", "", "");
}

/// `call_rcu(head, func)`: run `func` once every CPU that is inside a read-side section now,
/// the caller included, has left it. `what` names the object for the trace.
pub fn call_rcu(what: &str, func: impl FnOnce() + 'static) {
    fence(Ordering::SeqCst); // MODEL: the grace period's barriers (see the module doc)
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
