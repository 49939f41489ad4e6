//! Model of a slab cache, `struct kmem_cache` (include/linux/slab.h, mm/slub.c), with and
//! without `SLAB_TYPESAFE_BY_RCU`.
//!
//! A cache owns *memory*: slots, each holding one `T` built once by the cache's constructor
//! (its facade atomics and locks are created then, and live as long as the execution). An
//! *object* is one occupancy of a slot, from [`kmem_cache_alloc`] to [`kmem_cache_free`]; it
//! is registered in the execution's world like a `kzalloc`ed object (named `kind#n`, checked
//! for leaks). A [`SlabPtr`] is a C pointer: it names a slot, not an object.
//!
//! - **`SLAB_TYPESAFE_BY_RCU`** ([`KmemCache::new_typesafe_by_rcu`]): `kmem_cache_free` makes
//!   the slot reusable at once, and `kmem_cache_alloc` hands out the most recently freed slot
//!   first (LIFO, like SLUB's per-CPU freelist), so the same memory becomes a new object of
//!   the same type inside a grace period. A reader that followed a pointer sees whatever
//!   object occupies the memory now: a live but different object, no crash, no
//!   `USE_AFTER_FREE`. `MODEL:` slab pages are never given back, so memory stays type-stable
//!   for the whole execution; what the kernel guarantees only inside an RCU read-side section
//!   is checked: touching a *free* slot outside `rcu_read_lock()` is a `USE_AFTER_FREE` (the
//!   page may be gone after a grace period).
//! - **A plain cache** ([`KmemCache::new`]), which also stands for `kmalloc()`: `MODEL:` its
//!   memory is never reused, so every access after `kmem_cache_free` (or after the grace
//!   period of a `kfree_rcu`) is a `USE_AFTER_FREE`, as KASAN reports it.
//!
//! Every slot keeps a ghost record of its current occupant, so invariants can tell "the
//! object I was given" ([`SlabPtr::installed`]) from "the object now in that memory"
//! ([`SlabPtr::occupant`]). `MODEL:` SLUB's lockless freelist is not modelled; what races is
//! the object's own state.
//!
//! ## What loom sees: the slot's shadow and the freelist word
//!
//! Which object occupies a slot, and which slot an allocation reuses, depend on the
//! interleaving. So that no two executions with the same loom execution graph differ in what
//! a CPU observes of them (docs/architecture.md, "What loom's DPOR sees", rule 5), both are
//! read and changed only at facade operations (under loom; under shuttle they are plain ghost
//! state, see `crate::sync::DPOR_WORDS`):
//!
//! - every slot has a KASAN *shadow* word holding its generation: `kmem_cache_free` and a
//!   reusing `kmem_cache_alloc` advance it with an RMW (`kasan_slab_free()` poisoning the
//!   memory, `kasan_slab_alloc()` unpoisoning it), and every observation of the occupancy
//!   (the KASAN check of an access, [`SlabPtr::occupant`], [`SlabPtr::describe`], ...) loads
//!   it and reads the ghost record *of the generation it loaded*, so what a CPU observes is a
//!   function of the store it read. loom therefore orders every access to slab memory
//!   against the free that makes it a use after free, and explores the free on both sides;
//! - a `SLAB_TYPESAFE_BY_RCU` cache has one freelist word: every push (free) and pop or
//!   fresh allocation is an RMW on it, so the order of the frees and allocations of a cache,
//!   which decides the slot each allocation gets (LIFO), is part of loom's graph.
//!
//! `MODEL:` both are SeqCst, a ghost channel outside the kernel's orderings.

use std::sync::{Arc, Mutex as StdMutex};

use crate::invariant::{DOUBLE_FREE, USE_AFTER_FREE};
use crate::rt::{self, ObjId};
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::DPOR_WORDS;
use crate::trace::thread_name;

/// One state of a slot: the object occupying it (or last occupying it, if it is free), and
/// whether it is free.
type Occupancy = (Option<ObjId>, bool);

struct Slot<T> {
    data: T,
    name: String,
    /// Ghost: the slot's states by generation, the current one last.
    history: StdMutex<Vec<Occupancy>>,
    /// KASAN's shadow of the slot: its generation (an index in `history`), a facade word
    /// under loom (see the module documentation), `None` under shuttle.
    shadow: Option<Arc<AtomicUsize>>,
}

impl<T> Slot<T> {
    /// The slot's occupancy as the running CPU observes it: under loom, the generation its
    /// load of the shadow reads (so a function of loom's reads-from); else the current one.
    fn observe(&self) -> Occupancy {
        let gen = self.shadow.as_ref().map(|s| s.load(Ordering::SeqCst)); // kasan_check_read()
        self.at(gen)
    }

    /// The slot's state at generation `gen`, or the current one.
    fn at(&self, gen: Option<usize>) -> Occupancy {
        let h = self.history.lock().unwrap_or_else(|e| e.into_inner());
        gen.and_then(|g| h.get(g).copied())
            .unwrap_or_else(|| *h.last().expect("a slot has a state"))
    }

    /// Enter a new state: under loom an RMW on the shadow first (a scheduling point), then the
    /// ghost record, with no scheduling point between. Returns the state it replaced.
    fn advance(&self, to: impl FnOnce(Occupancy) -> Occupancy) -> Occupancy {
        if let Some(shadow) = &self.shadow {
            shadow.fetch_add(1, Ordering::SeqCst);
        }
        let mut h = self.history.lock().unwrap_or_else(|e| e.into_inner());
        let before = *h.last().expect("a slot has a state");
        h.push(to(before));
        before
    }
}

struct Inner<T> {
    name: String,
    kind: &'static str,
    typesafe_by_rcu: bool,
    ctor: Box<dyn Fn(&str) -> T + Send + Sync>,
    slots: StdMutex<Vec<Arc<Slot<T>>>>,
    /// Free slots, most recently freed last (LIFO).
    free: StdMutex<Vec<usize>>,
    /// The freelist word of a `SLAB_TYPESAFE_BY_RCU` cache (see the module documentation).
    freelist: Option<AtomicUsize>,
    /// The shadow words of the first [`PREALLOCATED_SLOTS`] slots, created with the cache
    /// (under loom only): loom reports an access to an atomic whose creation does not happen
    /// before it, and a slot's memory can be freed by a CPU that did not allocate it (an RCU
    /// callback runs on whichever CPU ends the grace period).
    shadows: Vec<Arc<AtomicUsize>>,
}

/// Slots whose shadow word is created with the cache (scenarios use at most a few).
const PREALLOCATED_SLOTS: usize = 8;

/// Model of `struct kmem_cache *` for objects of type `T`.
pub struct KmemCache<T: 'static>(Arc<Inner<T>>);

impl<T> Clone for KmemCache<T> {
    fn clone(&self) -> Self {
        KmemCache(self.0.clone())
    }
}

impl<T: Send + Sync + 'static> KmemCache<T> {
    /// `kmem_cache_create(name, sizeof(T), 0, 0, NULL)`: objects are named `kind#n`; `ctor`
    /// builds the memory of a new slot (given the slot's name). Also stands for `kmalloc()`.
    pub fn new(
        name: &str,
        kind: &'static str,
        ctor: impl Fn(&str) -> T + Send + Sync + 'static,
    ) -> KmemCache<T> {
        Self::create(name, kind, false, ctor)
    }

    /// `kmem_cache_create(name, sizeof(T), 0, SLAB_TYPESAFE_BY_RCU, NULL)`.
    pub fn new_typesafe_by_rcu(
        name: &str,
        kind: &'static str,
        ctor: impl Fn(&str) -> T + Send + Sync + 'static,
    ) -> Self {
        Self::create(name, kind, true, ctor)
    }

    fn create(
        name: &str,
        kind: &'static str,
        typesafe: bool,
        ctor: impl Fn(&str) -> T + Send + Sync + 'static,
    ) -> Self {
        KmemCache(Arc::new(Inner {
            name: name.to_string(),
            kind,
            typesafe_by_rcu: typesafe,
            ctor: Box::new(ctor),
            slots: StdMutex::new(Vec::new()),
            free: StdMutex::new(Vec::new()),
            freelist: (typesafe && DPOR_WORDS).then(|| AtomicUsize::new(0)),
            // Generation 1 is a slot's first occupant's, entered by its allocation without
            // an RMW: the memory is new, no other CPU can observe it before it is published.
            shadows: if DPOR_WORDS {
                (0..PREALLOCATED_SLOTS)
                    .map(|_| Arc::new(AtomicUsize::new(1)))
                    .collect()
            } else {
                Vec::new()
            },
        }))
    }

    /// Whether the cache has `SLAB_TYPESAFE_BY_RCU`.
    pub fn typesafe_by_rcu(&self) -> bool {
        self.0.typesafe_by_rcu
    }

    fn slot(&self, i: usize) -> Arc<Slot<T>> {
        self.0.slots.lock().unwrap_or_else(|e| e.into_inner())[i].clone()
    }

    /// A pointer to slot `slot` as it was when `installed` occupied it (for the RCU pointer
    /// accessors).
    pub(crate) fn ptr(&self, slot: usize, installed: Option<ObjId>) -> SlabPtr<T> {
        SlabPtr {
            cache: self.clone(),
            slot,
            mem: self.slot(slot),
            installed,
        }
    }
}

/// A pointer into a [`KmemCache`]'s memory (a `T *`). Copying it takes no reference.
pub struct SlabPtr<T: 'static> {
    cache: KmemCache<T>,
    slot: usize,
    mem: Arc<Slot<T>>,
    /// The object that occupied the slot when this pointer was obtained (ghost).
    installed: Option<ObjId>,
}

impl<T> Clone for SlabPtr<T> {
    fn clone(&self) -> Self {
        SlabPtr {
            cache: self.cache.clone(),
            slot: self.slot,
            mem: self.mem.clone(),
            installed: self.installed,
        }
    }
}

impl<T: Send + Sync + 'static> SlabPtr<T> {
    /// The slot index (the address).
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// C pointer equality: same memory.
    pub fn ptr_eq(&self, other: &SlabPtr<T>) -> bool {
        Arc::ptr_eq(&self.cache.0, &other.cache.0) && self.slot == other.slot
    }

    /// The memory's name in traces (`fence_cache[0]`).
    pub fn mem_name(&self) -> &str {
        &self.mem.name
    }

    /// Ghost: the object that occupied this memory when the pointer was obtained (allocated,
    /// or read from an RCU pointer: the object the store that was read installed).
    pub fn installed(&self) -> Option<ObjId> {
        self.installed
    }

    /// Ghost: the object occupying this memory now (or last, if it is free), as the running
    /// CPU observes it (a load of the slot's shadow under loom).
    pub fn occupant(&self) -> Option<ObjId> {
        self.mem.observe().0
    }

    /// Ghost: whether the memory is free now, as the running CPU observes it.
    pub fn is_free(&self) -> bool {
        self.mem.observe().1
    }

    /// Ghost: the name of the object occupying the memory now (as [`SlabPtr::occupant`]).
    pub fn occupant_name(&self) -> String {
        obj_name(self.occupant())
    }

    /// Ghost: the name of the object [`SlabPtr::installed`].
    pub fn installed_name(&self) -> String {
        obj_name(self.installed)
    }

    /// Ghost: this pointer re-labelled with the memory's current occupant (what a reader
    /// holds after it has re-checked the memory, e.g. with a reference).
    pub fn as_occupant(&self) -> SlabPtr<T> {
        SlabPtr {
            installed: self.occupant(),
            ..self.clone()
        }
    }

    /// How traces show the pointer: the memory and the object [`SlabPtr::installed`]
    /// (`fence_cache[0] (fence#1)`). Not the memory's current occupant: that is ghost state
    /// a CPU observes only through the slot's shadow (a scheduling point under loom), and a
    /// trace line is no access; the `kmem_cache_alloc` events show which object reused the
    /// memory, and the invariants that compare the two name both.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.mem.name, obj_name(self.installed))
    }

    /// Access without any check: for ghost checks of the harness only.
    pub fn ghost(&self) -> &T {
        &self.mem.data
    }
}

fn obj_name(id: Option<ObjId>) -> String {
    match id {
        None => "never allocated".to_string(),
        Some(id) if rt::active() => rt::with(|w| w.objects[id].name.clone()),
        Some(id) => format!("object {id}"),
    }
}

impl<T: Send + Sync + 'static> std::ops::Deref for SlabPtr<T> {
    type Target = T;
    fn deref(&self) -> &T {
        check_access(self);
        &self.mem.data
    }
}

impl<T: Send + Sync + 'static> std::fmt::Debug for SlabPtr<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.mem.name)
    }
}

fn check_access<T: Send + Sync + 'static>(p: &SlabPtr<T>) {
    // Under shuttle a dereference is no access: the operation on the field, after its own
    // scheduling point, is checked where it is recorded (`rt::record`). A check here would
    // read ghost state one scheduling point before the access, which a replay that follows
    // events cannot reproduce (docs/architecture.md, rule 5; tests/replay_fidelity.rs on
    // `litmus/ghost+kmem_cache_free-read`). Under loom it is the shadow load, itself a
    // scheduling point.
    if !crate::sync::DPOR_WORDS {
        return;
    }
    check_memory(&p.cache, &p.mem, true);
}

/// KASAN's check of an access to the slot `mem` of `cache`: made when a pointer to it is
/// followed ([`SlabPtr`]'s `Deref`, `at_deref`) and again after every recorded operation on
/// an object inside it (`rt::record`), so a free between the two is caught under every
/// explorer. At the deref it observes the slot through its shadow (a load under loom, the
/// scheduling point just before the access, which loom orders against the free); after the
/// operation it reads the ghost state, in the operation's own step (a load there would be a
/// later scheduling point, and could see a free that came after the access).
fn check_memory<T: Send + Sync + 'static>(cache: &KmemCache<T>, mem: &Slot<T>, at_deref: bool) {
    if !rt::active() {
        return;
    }
    if cache.0.typesafe_by_rcu && super::rcu::rcu_read_lock_held() {
        return; // type-stable memory inside a read-side section
    }
    let (occ, free) = if at_deref {
        mem.observe()
    } else {
        mem.at(None)
    };
    if !free {
        return;
    }
    let Some(id) = occ else { return };
    let (name, freed) = rt::with(|w| (w.objects[id].name.clone(), w.objects[id].freed));
    let (tid, step) = freed.unwrap_or((0, 0));
    let why = if cache.0.typesafe_by_rcu {
        " (SLAB_TYPESAFE_BY_RCU memory is only type-stable inside rcu_read_lock())"
    } else {
        ""
    };
    rt::report(
        &USE_AFTER_FREE,
        format!(
            "{} ({name}) accessed after kmem_cache_free({name}) by {} at step {step}{why}",
            mem.name,
            thread_name(tid)
        ),
    );
}

/// `kmem_cache_alloc(cache, GFP_KERNEL)`: a new object, in the most recently freed slot of a
/// `SLAB_TYPESAFE_BY_RCU` cache if there is one, else in fresh memory. The memory holds what
/// its previous occupant left: the caller initialises it (e.g. `dma_fence_init()`).
pub fn kmem_cache_alloc<T: Send + Sync + 'static>(cache: &KmemCache<T>) -> SlabPtr<T> {
    let c = &cache.0;
    if let Some(word) = &c.freelist {
        word.fetch_add(1, Ordering::SeqCst); // the freelist pop (or its miss)
    }
    let reused = if c.typesafe_by_rcu {
        c.free.lock().unwrap_or_else(|e| e.into_inner()).pop()
    } else {
        None
    };
    let slot = match reused {
        Some(s) => s,
        None => {
            let mut slots = c.slots.lock().unwrap_or_else(|e| e.into_inner());
            let i = slots.len();
            let name = format!("{}[{i}]", c.name);
            let data = (c.ctor)(&name);
            let mem = Arc::new(Slot {
                data,
                name: name.clone(),
                history: StdMutex::new(vec![(None, true)]),
                shadow: DPOR_WORDS.then(|| {
                    c.shadows
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| Arc::new(AtomicUsize::new(1)))
                }),
            });
            slots.push(mem.clone());
            let cache = cache.clone();
            rt::register_slab_check(
                name,
                std::rc::Rc::new(move || check_memory(&cache, &mem, false)),
            );
            i
        }
    };
    let kind = c.kind;
    let (id, _) = super::slab::new_object(kind);
    let mem = cache.slot(slot);
    if reused.is_some() {
        mem.advance(|_| (Some(id), false)); // kasan_slab_alloc(): unpoison the memory
    } else {
        mem.history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((Some(id), false));
    }
    let p = SlabPtr {
        cache: cache.clone(),
        slot,
        mem,
        installed: Some(id),
    };
    let how = if reused.is_some() {
        "reused"
    } else {
        "new memory"
    };
    rt::record(
        "kmem_cache_alloc",
        &p.mem.name,
        &format!("{} ({how})", obj_name(Some(id))),
    );
    p
}

/// `kmem_cache_free(cache, ptr)`: free the object occupying `ptr`'s memory.
pub fn kmem_cache_free<T: Send + Sync + 'static>(ptr: &SlabPtr<T>) {
    let tid = rt::current_tid();
    let c = &ptr.cache.0;
    let (occ, was_free) = ptr.mem.advance(|(occ, _)| (occ, true)); // kasan_slab_free(): poison
    let name = obj_name(occ);
    rt::record("kmem_cache_free", &ptr.mem.name, &name);
    if was_free {
        rt::report(
            &DOUBLE_FREE,
            format!(
                "kmem_cache_free({}) of {name}, which is already free",
                ptr.mem.name
            ),
        );
        return;
    }
    if let Some(id) = occ {
        rt::with(|w| {
            let step = w.events.len();
            w.objects[id].freed = Some((tid, step));
        });
    }
    if c.typesafe_by_rcu {
        if let Some(word) = &c.freelist {
            word.fetch_add(1, Ordering::SeqCst); // the freelist push
        }
        c.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ptr.slot);
    }
}
