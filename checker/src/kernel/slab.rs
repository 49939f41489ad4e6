//! Model of object lifetime: `kzalloc()` / `kfree()` (include/linux/slab.h), with
//! use-after-free, double-free and leak detection in the manner of KASAN and kmemleak.
//!
//! An [`Obj`] is a pointer to a model object. Dereferencing it after its `kfree` is reported
//! as [`USE_AFTER_FREE`](crate::invariant::USE_AFTER_FREE); the memory itself stays readable
//! (it is kept by the execution's world), so the execution can go on after the report, as the
//! kernel does after a KASAN splat.
//!
//! Lifetimes are ghost state, checked without a scheduling point, except for the accesses
//! that read the object's KASAN shadow (a facade store of `kfree`): a lock release
//! ([`touch_shadow`]), a list relink, a write of a `Guarded::new_refs` field. Every other
//! liveness check ([`check_live`], a lock's check of its container, rule 3's check of a
//! field's container) reads the object's ghost root, which `kfree` writes (`rt::touch_live`,
//! `rt::touch_free`): for loom a ghost race, which it explores both ways like two operations
//! on one atomic, with no scheduling point (docs/architecture.md, rule 4). `MODEL:` SeqCst
//! on the shadow, a ghost channel outside the kernel's orderings.

use std::sync::Arc;

use crate::invariant::{DOUBLE_FREE, FREE_WHILE_LINKED, FREE_WHILE_REACHABLE, USE_AFTER_FREE};
use crate::rt;
use crate::sync::atomic::{AtomicBool, Ordering};
use crate::trace::thread_name;

/// Identity of an allocated object within its execution.
pub type ObjId = usize;

struct Inner<T> {
    id: ObjId,
    name: String,
    data: T,
}

/// A pointer to a `kzalloc`ed model object. Copying the pointer takes no reference: counted
/// references are the model's business (a [`Kref`](super::Kref) inside the object).
pub struct Obj<T: 'static>(Arc<Inner<T>>);

impl<T> Clone for Obj<T> {
    fn clone(&self) -> Self {
        Obj(self.0.clone())
    }
}

impl<T> Obj<T> {
    /// The object's name in traces (`vm_bo#1`).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The object's identity.
    pub fn id(&self) -> ObjId {
        self.0.id
    }

    /// Whether two pointers point to the same object (C pointer equality).
    pub fn ptr_eq(&self, other: &Obj<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Access without the use-after-free check: for ghost checks of the harness only, never
    /// for what the kernel code does.
    pub fn ghost(&self) -> &T {
        &self.0.data
    }

    /// Whether the object has been freed (ghost).
    pub fn is_freed(&self) -> bool {
        rt::with(|w| w.objects[self.0.id].freed.is_some())
    }
}

impl<T> std::ops::Deref for Obj<T> {
    type Target = T;
    fn deref(&self) -> &T {
        check_live(self.0.id, &self.0.name);
        &self.0.data
    }
}

impl<T> std::fmt::Debug for Obj<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.name)
    }
}

/// KASAN's check of an access to the object `id`: made when a pointer to it is followed
/// ([`Obj`]'s `Deref`) and again after every recorded operation on a field of it
/// (`rt::record`), so a free between the two is caught under every explorer. Ghost state,
/// no shadow load (a loom-visible load at every deref moved loom's pruning calibration,
/// litmus/loom-pruning, from 36 to 60 executions): the check reads the object's ghost root
/// ([`rt::touch_live`]), which its `kfree` writes, so loom orders the check's step against
/// the `kfree`'s as a ghost race (litmus/ghost+kfree-read, ghost+kfree-after-deref-unordered).
pub(crate) fn check_live(id: ObjId, name: &str) {
    if !rt::active() {
        return;
    }
    rt::touch_live(name);
    let freed = rt::with(|w| w.objects.get(id).and_then(|o| o.freed));
    if let Some((tid, step)) = freed {
        rt::report(
            &USE_AFTER_FREE,
            format!(
                "{name} accessed after kfree({name}) by {} at step {step}",
                thread_name(tid)
            ),
        );
    }
}

/// The allocation flags that matter to the model (include/linux/gfp_types.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gfp {
    /// `GFP_KERNEL`: may sleep (direct reclaim), so it calls `might_sleep()`.
    Kernel,
    /// `GFP_ATOMIC` / `GFP_NOWAIT`: never sleeps; legal in atomic context.
    Atomic,
}

/// `kzalloc(sizeof(T), GFP_KERNEL)`: allocate a model object of `kind`, named `kind#n`.
/// `init` gets the object's id and name, so embedded primitives (krefs, locks, list heads)
/// can know their container. `MODEL:` allocation never fails.
pub fn kzalloc<T: Send + Sync + 'static>(
    kind: &'static str,
    init: impl FnOnce(ObjId, &str) -> T,
) -> Obj<T> {
    kmalloc(kind, Gfp::Kernel, init)
}

/// `kzalloc(sizeof(T), gfp)`: as [`kzalloc`] with explicit allocation flags; `Gfp::Kernel`
/// calls `might_sleep()` (mm/slub.c `slab_pre_alloc_hook()` → `might_alloc()`).
pub fn kmalloc<T: Send + Sync + 'static>(
    kind: &'static str,
    gfp: Gfp,
    init: impl FnOnce(ObjId, &str) -> T,
) -> Obj<T> {
    if gfp == Gfp::Kernel {
        super::sched::might_sleep(&format!("kzalloc({kind}, GFP_KERNEL)")); // might_alloc(gfp)
    }
    let (id, name) = new_object(kind);
    let data = init(id, &name);
    let obj = Obj(Arc::new(Inner {
        id,
        name: name.clone(),
        data,
    }));
    let handle = obj.clone();
    rt::with(|w| {
        w.objects[id].handle = Box::new(handle);
        w.obj_by_name.insert(name.clone(), id);
    });
    rt::record("kzalloc", &name, "ok");
    obj
}

/// Register a new object of `kind` in the execution's world: its id and its name (`kind#n`,
/// numbered per kind). Every allocator (kzalloc, kmem_cache) goes through here.
pub(crate) fn new_object(kind: &'static str) -> (ObjId, String) {
    rt::with(|w| {
        let n = match w.kind_counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, c)) => {
                *c += 1;
                *c
            }
            None => {
                w.kind_counts.push((kind, 1));
                1
            }
        };
        let id = w.objects.len();
        let name = format!("{kind}#{n}");
        w.objects.push(rt::ObjRec {
            name: name.clone(),
            freed: None,
            handle: Box::new(()),
            shadow: Arc::new(AtomicBool::new(false)),
        });
        (id, name)
    })
}

/// `kfree(obj)`.
pub fn kfree<T>(obj: &Obj<T>) {
    let tid = rt::current_tid();
    let shadow = rt::with(|w| w.objects[obj.0.id].shadow.clone());
    shadow.store(true, Ordering::SeqCst); // kasan_slab_free(): poison the object's shadow
    rt::touch_free(&obj.0.name); // the ghost write every liveness check of it reads
    let (prev, linked, reachable) = rt::with(|w| {
        let linked = super::list::still_linked(w, obj.0.id);
        let reachable = still_reachable(w, obj.0.id);
        let step = w.events.len() + 1;
        let rec = &mut w.objects[obj.0.id];
        let prev = rec.freed;
        if prev.is_none() {
            rec.freed = Some((tid, step));
        }
        (prev, linked, reachable)
    });
    rt::record("kfree", &obj.0.name, "");
    if prev.is_none() && !linked.is_empty() {
        rt::report(
            &FREE_WHILE_LINKED,
            format!(
                "kfree({}) by {} of an object still linked on a list: {}",
                obj.0.name,
                thread_name(tid),
                linked.join("; ")
            ),
        );
    }
    if prev.is_none() && !reachable.is_empty() {
        rt::with(|w| {
            for (field, _) in &reachable {
                if let Some(r) = w.ghost_refs.get_mut(field) {
                    r.reported.push(obj.0.id);
                }
            }
        });
        let fields: Vec<String> = reachable
            .iter()
            .map(|(field, lock)| format!("{field} (under {lock})"))
            .collect();
        rt::report(
            &FREE_WHILE_REACHABLE,
            format!(
                "kfree({}) by {} of an object that lock-protected state still points to: {}",
                obj.0.name,
                thread_name(tid),
                fields.join("; ")
            ),
        );
    }
    if let Some((t, s)) = prev {
        rt::report(
            &DOUBLE_FREE,
            format!(
                "kfree({}) again; first freed by {} at step {s}",
                obj.0.name,
                thread_name(t)
            ),
        );
    }
}

/// For `kfree(id)`: every lock-protected field of a live object (or of no object) that points
/// to `id`, whose lock the running CPU does not hold, as (field, lock). A field whose lock
/// the running CPU holds is checked when it releases the lock ([`check_reachable_at_unlock`]).
fn still_reachable(w: &rt::World, id: ObjId) -> Vec<(String, String)> {
    w.ghost_refs
        .iter()
        .filter(|(_, r)| r.objs.contains(&id) && !r.lock.held_by_current())
        .filter(|(field, _)| container_live(w, field, id))
        .map(|(field, r)| (field.clone(), r.lock.name.clone()))
        .collect()
}

/// Whether the container of `field` (the object its name starts with, `owner#1` of
/// `owner#1.cur`) is live and is not the object `id` itself; a field of no object is live.
/// A liveness check of the container ([`rt::touch_live`]): its answer depends on whether the
/// container's `kfree` came first, so the explorers must order the two
/// (`litmus/ghost+kfree-reachable-vs-kfree-owner`).
fn container_live(w: &rt::World, field: &str, id: ObjId) -> bool {
    let container = field.split('.').next().unwrap_or(field);
    match w.obj_by_name.get(container) {
        Some(&c) if c == id => false,
        Some(&c) => {
            rt::touch_live(container);
            w.objects[c].freed.is_none()
        }
        None => true,
    }
}

/// At the release of `lock` (`op`: `spin_unlock`, `mutex_unlock`, `up_write`, `up_read`), by
/// the running CPU, while it still holds it: a lock-protected field of a live object that
/// still points to a freed object is [`FREE_WHILE_REACHABLE`] (the next holder of the lock
/// reads a dangling pointer). This is the check of a `kfree` by a CPU that held the field's
/// lock, which may clear the pointer after the free but must before it unlocks. Each
/// object is reported once per field (a free already reported at the `kfree` is not again).
///
/// Ghost state, no scheduling point: the field changes only under the lock (so every write
/// is ordered before this check by the lock's own acquisitions), a write that makes it point
/// to an object reads that object's shadow (ordered against its `kfree`), and a free by a CPU
/// without the lock while the field points to the object is reported at the `kfree` itself
/// whichever comes first, so the result of this check never depends on an order of two
/// operations that loom or dpor does not explore.
pub(crate) fn check_reachable_at_unlock(lock: &super::lock::LockGhost, op: &str) {
    if !rt::active() {
        return;
    }
    let dangling = rt::with(|w| {
        let mut dangling = Vec::new();
        let fields: Vec<String> = w
            .ghost_refs
            .iter()
            .filter(|(_, r)| std::ptr::eq(Arc::as_ptr(&r.lock), lock))
            .map(|(field, _)| field.clone())
            .collect();
        for field in fields {
            let r = &w.ghost_refs[&field];
            let ids: Vec<ObjId> = r
                .objs
                .iter()
                .copied()
                .filter(|id| !r.reported.contains(id))
                .filter(|&id| w.objects[id].freed.is_some() && container_live(w, &field, id))
                .collect();
            for id in ids {
                let (tid, step) = w.objects[id].freed.expect("freed");
                dangling.push(format!(
                    "{field} still points to {}, freed by {} at step {step}",
                    w.objects[id].name,
                    thread_name(tid)
                ));
                w.ghost_refs
                    .get_mut(&field)
                    .expect("field")
                    .reported
                    .push(id);
            }
        }
        dangling
    });
    if !dangling.is_empty() {
        rt::report(
            &FREE_WHILE_REACHABLE,
            format!(
                "{op}({}) by {} with a pointer to a freed object left in the state it protects: {} (kfree() under the lock without clearing the pointer before the unlock)",
                lock.name,
                thread_name(rt::current_tid()),
                dangling.join("; ")
            ),
        );
    }
}

/// Read the shadow of the object `id` (a scheduling point ordered against its `kfree`); the
/// caller then checks liveness with the ghost state, which is authoritative.
pub(crate) fn touch_shadow(id: ObjId) {
    if !rt::active() {
        return;
    }
    let shadow = rt::with(|w| w.objects.get(id).map(|o| o.shadow.clone()));
    if let Some(shadow) = shadow {
        shadow.load(Ordering::SeqCst); // the lock word's shadow check (kasan_check_write)
    }
}

/// `container_of()`: the object with id `id`, if it is an `Obj<T>`.
pub(crate) fn container_of<T: 'static>(id: ObjId) -> Option<Obj<T>> {
    rt::with(|w| {
        w.objects
            .get(id)
            .and_then(|o| o.handle.downcast_ref::<Obj<T>>().cloned())
    })
}
