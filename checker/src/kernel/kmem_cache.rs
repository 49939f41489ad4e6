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
//! ([`SlabPtr::occupant`]). The freelist is ghost state: allocation and free are not
//! scheduling points (`MODEL:` SLUB's lockless freelist is not modelled; what races is the
//! object's own state).

use std::sync::{Arc, Mutex as StdMutex};

use crate::invariant::{DOUBLE_FREE, USE_AFTER_FREE};
use crate::rt::{self, ObjId};
use crate::trace::thread_name;

struct Slot<T> {
    data: T,
    name: String,
    /// The object occupying the slot now (or last, if it is free), and whether it is free.
    occupant: StdMutex<(Option<ObjId>, bool)>,
}

struct Inner<T> {
    name: String,
    kind: &'static str,
    typesafe_by_rcu: bool,
    ctor: Box<dyn Fn(&str) -> T + Send + Sync>,
    slots: StdMutex<Vec<Arc<Slot<T>>>>,
    /// Free slots, most recently freed last (LIFO).
    free: StdMutex<Vec<usize>>,
}

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

    /// Ghost: the object occupying this memory now (or last, if it is free).
    pub fn occupant(&self) -> Option<ObjId> {
        self.mem
            .occupant
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
    }

    /// Ghost: whether the memory is free now.
    pub fn is_free(&self) -> bool {
        self.mem
            .occupant
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
    }

    /// Ghost: the name of the object occupying the memory now.
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

    /// How traces show the pointer: the memory, and its occupant if it is not the installed
    /// object (`fence_cache[0] (fence#1)` or `fence_cache[0] (fence#1, now fence#3)`).
    pub fn describe(&self) -> String {
        let now = self.occupant();
        if now == self.installed {
            format!("{} ({})", self.mem.name, obj_name(now))
        } else {
            format!(
                "{} ({}, now {})",
                self.mem.name,
                obj_name(self.installed),
                obj_name(now)
            )
        }
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
    check_memory(&p.cache, &p.mem);
}

/// KASAN's check of an access to the slot `mem` of `cache`: made when a pointer to it is
/// followed ([`SlabPtr`]'s `Deref`) and again after every recorded operation on an object
/// inside it (`rt::record`), so a free between the two is caught under every explorer.
fn check_memory<T: Send + Sync + 'static>(cache: &KmemCache<T>, mem: &Slot<T>) {
    if !rt::active() {
        return;
    }
    let (occ, free) = *mem.occupant.lock().unwrap_or_else(|e| e.into_inner());
    if !free {
        return;
    }
    if cache.0.typesafe_by_rcu && super::rcu::rcu_read_lock_held() {
        return; // type-stable memory inside a read-side section
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
                occupant: StdMutex::new((None, true)),
            });
            slots.push(mem.clone());
            let cache = cache.clone();
            rt::register_slab_check(name, std::rc::Rc::new(move || check_memory(&cache, &mem)));
            i
        }
    };
    let kind = c.kind;
    let (id, _) = super::slab::new_object(kind);
    let mem = cache.slot(slot);
    *mem.occupant.lock().unwrap_or_else(|e| e.into_inner()) = (Some(id), false);
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
    let (occ, was_free) = {
        let mut o = ptr.mem.occupant.lock().unwrap_or_else(|e| e.into_inner());
        let before = *o;
        o.1 = true;
        before
    };
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
        c.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ptr.slot);
    }
}
