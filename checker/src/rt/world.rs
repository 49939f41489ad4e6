//! The world of one execution: its event log, its objects, its list_head arena, its
//! violations. Created by the harness when an execution starts, read back when it ends.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use crate::invariant::{Invariant, MODEL_PANIC};
use crate::trace::{Event, Violation};

/// Thread index inside an execution: 0 is the scenario's main thread (setup and final
/// checks), 1.. are the CPUs in spawn order (CPU0 is thread 1).
pub type Tid = usize;

/// Index of an allocated object in the world.
pub type ObjId = crate::kernel::slab::ObjId;

/// Index of a list_head in the world's arena.
pub type NodeId = usize;

/// What ends an execution early, and what merely gets reported.
#[derive(Clone, Debug, Default)]
pub(crate) struct Policy {
    /// The invariant the scenario expects to be violated (None: nothing should be).
    pub target: Option<&'static str>,
}

/// An allocated (or freed) object.
pub(crate) struct ObjRec {
    pub name: String,
    pub freed: Option<(Tid, usize)>,
    /// The `Obj<T>` handle, type-erased, so that `container_of` works on list nodes.
    pub handle: Box<dyn Any>,
    /// KASAN's shadow of the object, as a facade atomic that `kfree` sets: an access that the
    /// explorer must order against the free (a lock word) reads it, so that loom's DPOR sees
    /// the two as dependent and explores both orders (see `kernel::slab`).
    pub shadow: std::sync::Arc<crate::sync::atomic::AtomicBool>,
}

/// A link of a list_head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// Zeroed memory: never INIT_LIST_HEAD'ed.
    Null,
    Node(NodeId),
    /// LIST_POISON1 (written to `next` by list_del).
    Poison1,
    /// LIST_POISON2 (written to `prev` by list_del).
    Poison2,
}

/// Where a list_head's storage lives.
#[derive(Clone, Debug)]
pub(crate) enum Storage {
    /// Inside an allocated object.
    Object(ObjId),
    /// An on-stack `LIST_HEAD()` of a function running on `tid`; `live` until it returns.
    Stack { tid: Tid, live: bool },
}

pub(crate) struct Node {
    pub name: String,
    pub storage: Storage,
    pub next: Link,
    pub prev: Link,
    /// Set for list heads: the lock that protects the list (checked on every operation).
    pub lock: Option<std::sync::Arc<crate::kernel::lock::LockGhost>>,
    pub is_head: bool,
}

pub(crate) struct World {
    pub events: Vec<Event>,
    pub depth: Vec<u8>,
    pub objects: Vec<ObjRec>,
    pub kind_counts: Vec<(&'static str, usize)>,
    pub nodes: Vec<Node>,
    pub violations: Vec<Violation>,
    /// Names of the witnesses reached in this execution, each once.
    pub witnessed: Vec<&'static str>,
    reported: BTreeSet<(String, String)>,
    pub policy: Policy,
    /// The violation that ended the execution, with the log up to it.
    pub failure: Option<(Violation, Vec<Event>)>,
    pub threads: usize,
    pub lockdep: crate::kernel::lockdep::Lockdep,
    /// Per thread: the wait queue it sleeps on in `wait_event()`, if it does.
    sleeping: Vec<Option<String>>,
    /// RCU readers and pending callbacks (checker/src/kernel/rcu.rs).
    pub rcu: crate::kernel::rcu::RcuWorld,
    /// Slab memory by slot name (`cache[i]`): the KASAN check of an access to it, run after
    /// every recorded operation on an object inside it (checker/src/kernel/kmem_cache.rs).
    pub slab_checks: std::collections::HashMap<String, SlabCheck>,
    /// `kzalloc`ed objects by name (`kind#n`): the liveness check of an access to one, run
    /// after every recorded operation on a field of it (checker/src/kernel/slab.rs).
    pub obj_by_name: std::collections::HashMap<String, ObjId>,
    /// Lock-protected fields that hold object pointers (`Guarded::new_refs`), by field name:
    /// the field's lock and the objects it points to now (checked by `kfree` and at every
    /// release of the lock).
    pub ghost_refs: std::collections::BTreeMap<String, GhostRef>,
    /// Per CPU atomic sections, for `might_sleep()` (checker/src/kernel/sched.rs).
    pub sched: crate::kernel::sched::SchedWorld,
    /// The ghost clock (checker/src/kernel/clock.rs).
    pub clock: crate::kernel::clock::ClockWorld,
    /// Set by the dpor explorer when every runnable CPU busy-waits on what no CPU left will
    /// change: the CPUs and the LIVELOCK message the first of them reports when it resumes
    /// from its `cpu_relax()` ([`busy_wait_forever`], [`check_busy_wait`]).
    busy_wait_forever: Option<(Vec<Tid>, String)>,
    /// Per CPU: the event range of its last retry iteration (from its previous
    /// `cpu_relax()`, or its start, to its last one), for [`busy_wait_forever`]'s message.
    /// `[b0, b1, b2]`: the iteration before it spans `b0..b1`, the last one `b1..b2`.
    last_iteration: Vec<[usize; 3]>,
}

/// What one lock-protected field points to (see [`World::ghost_refs`]).
pub(crate) struct GhostRef {
    pub lock: std::sync::Arc<crate::kernel::lock::LockGhost>,
    pub objs: Vec<ObjId>,
    /// The objects of `objs` already reported freed while the field pointed to them
    /// (`FREE_WHILE_REACHABLE`, once per object and field).
    pub reported: Vec<ObjId>,
}

/// The KASAN check of one slab slot (see [`World::slab_checks`]).
pub(crate) type SlabCheck = std::rc::Rc<dyn Fn()>;

std::thread_local! {
    static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
    /// Set while the harness tears an execution down, to keep drops quiet.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

crate::sync::thread_local! {
    static TID: Cell<Tid> = Cell::new(0);
}

/// The model thread running now.
pub(crate) fn current_tid() -> Tid {
    TID.with(|t| t.get())
}

pub(crate) fn set_current_tid(tid: Tid) {
    TID.with(|t| t.set(tid));
}

/// Run `f` on the current world. Panics (a checker bug) outside an execution.
pub(crate) fn with<R>(f: impl FnOnce(&mut World) -> R) -> R {
    WORLD.with(|w| {
        let mut w = w.borrow_mut();
        let w = w
            .as_mut()
            .expect("kmodel primitive used outside a kmodel execution");
        f(w)
    })
}

/// Whether an execution is in progress on this OS thread (and not being torn down).
pub(crate) fn active() -> bool {
    !QUIET.with(|q| q.get()) && WORLD.with(|w| w.try_borrow().map(|w| w.is_some()).unwrap_or(false))
}

pub(crate) fn begin(policy: Policy) {
    QUIET.with(|q| q.set(false));
    let old = WORLD.with(|w| {
        w.borrow_mut().replace(World {
            events: Vec::with_capacity(128),
            depth: vec![0],
            objects: Vec::new(),
            kind_counts: Vec::new(),
            nodes: Vec::new(),
            violations: Vec::new(),
            witnessed: Vec::new(),
            reported: BTreeSet::new(),
            policy,
            failure: None,
            threads: 1,
            lockdep: Default::default(),
            sleeping: Vec::new(),
            rcu: crate::kernel::rcu::RcuWorld::new(),
            slab_checks: Default::default(),
            obj_by_name: Default::default(),
            ghost_refs: Default::default(),
            sched: Default::default(),
            clock: crate::kernel::clock::ClockWorld::new(),
            busy_wait_forever: None,
            last_iteration: Vec::new(),
        })
    });
    drop(old);
    set_current_tid(0);
}

/// Take the world out (end of an execution, or after a failure). Model objects it still
/// holds are dropped by the caller, inside the execution when possible.
pub(crate) fn take() -> Option<World> {
    QUIET.with(|q| q.set(true));
    WORLD.with(|w| w.borrow_mut().take())
}

impl World {
    /// Whether a CPU called `cpu_relax()` (ended a retry iteration) in this execution.
    pub(crate) fn relaxed(&self) -> bool {
        !self.last_iteration.is_empty()
    }

    /// `tid` goes to sleep on the wait queue `wq` (`None`: it woke up).
    pub(crate) fn set_sleeping(&mut self, tid: Tid, wq: Option<String>) {
        if self.sleeping.len() <= tid {
            self.sleeping.resize(tid + 1, None);
        }
        self.sleeping[tid] = wq;
    }

    /// Who sleeps in `wait_event()` on which wait queue, holding what: the sleeping CPUs of
    /// a deadlock (the lock waiters are [`Lockdep::blocked`](crate::kernel::lockdep)'s).
    fn sleepers(&self) -> String {
        let mut out = Vec::new();
        for (tid, wq) in self.sleeping.iter().enumerate() {
            if let Some(wq) = wq {
                out.push(format!(
                    "{} sleeps in wait_event({wq}) holding [{}]",
                    crate::trace::thread_name(tid),
                    self.lockdep.held_by(tid).join(", ")
                ));
            }
        }
        out.join("; ")
    }

    /// Record a violation of `inv` by `tid`: a `VIOLATION` event and the violation itself.
    fn add_violation(&mut self, tid: Tid, inv: &Invariant, message: String) -> Violation {
        let step = self.events.len() + 1;
        self.push_event(tid, "VIOLATION", inv.name, message.clone());
        let v = Violation {
            invariant: inv.name.to_string(),
            message,
            tid,
            step,
        };
        self.violations.push(v.clone());
        v
    }

    pub(crate) fn push_event(
        &mut self,
        tid: Tid,
        op: impl Into<String>,
        obj: impl Into<String>,
        result: impl Into<String>,
    ) {
        let depth = self.depth.get(tid).copied().unwrap_or(0);
        let e = Event {
            tid,
            depth,
            op: op.into(),
            obj: obj.into(),
            result: result.into(),
        };
        // With loom's object sleep sets (the default), loom orders this step against another
        // thread's step that touches the same ghost state (vendor/loom/KMODEL-PATCH.md,
        // "Object sleep sets with kmodel's ghost accesses").
        #[cfg(loom)]
        if super::loom::ghost_hook_all() {
            crate::dpor::footprint::accesses(&e, super::loom::ghost_access);
        }
        self.events.push(e);
    }
}

/// The liveness check of an access, run after the access's event (see [`record`]).
enum AccessCheck {
    Slab(SlabCheck),
    Object(ObjId, String),
}

/// Append one event for the current thread. If it is an access to memory inside an object
/// (its `obj` is `NAME.field`, `NAME` a slab slot or a `kzalloc`ed object), the object's
/// liveness is checked here, after the operation's scheduling point, as KASAN checks the
/// access itself: a check only when the pointer was followed ([`Obj`]'s or [`SlabPtr`]'s
/// `Deref`) would miss a free between that and the access. Function entries (`f()`) and the
/// allocator's own steps are no accesses; operations that check their container's liveness
/// themselves (locks, list operations) use [`record_self_checked`].
///
/// [`Obj`]: crate::kernel::Obj
/// [`SlabPtr`]: crate::kernel::SlabPtr
pub(crate) fn record(op: &str, obj: &str, result: &str) {
    record_event(op, obj, result, true);
}

/// [`record`] for an operation that checks its container's liveness itself, with its own
/// invariant and message (a lock's `USE_AFTER_FREE`, a list operation's `LIST_HEAD_UAF`).
pub(crate) fn record_self_checked(op: &str, obj: &str, result: &str) {
    record_event(op, obj, result, false);
}

fn record_event(op: &str, obj: &str, result: &str, check_access: bool) {
    if !active() {
        return;
    }
    let tid = current_tid();
    let check = with(|w| {
        w.push_event(tid, op, obj, result);
        if !check_access
            || op.ends_with(')')
            || op.starts_with("kmem_cache_")
            || op == "kzalloc"
            || op == "kfree"
        {
            return None;
        }
        let container = obj.split('.').next().unwrap_or(obj);
        if let Some(check) = w.slab_checks.get(container) {
            return Some(AccessCheck::Slab(check.clone()));
        }
        if container.len() == obj.len() {
            return None; // the object itself, not a field of it
        }
        w.obj_by_name
            .get(container)
            .map(|&id| AccessCheck::Object(id, container.to_string()))
    });
    match check {
        Some(AccessCheck::Slab(check)) => check(),
        Some(AccessCheck::Object(id, name)) => crate::kernel::slab::check_live(id, &name),
        None => {}
    }
}

/// A witness is reached in this execution (ghost: no event, no scheduling point).
pub(crate) fn witness(w: &crate::invariant::Witness) {
    if !active() {
        return;
    }
    with(|world| {
        if !world.witnessed.contains(&w.name) {
            world.witnessed.push(w.name);
        }
    });
}

/// Marker payload of the panic that ends an execution on a violation.
pub(crate) struct ViolationPanic;

/// Report a violation of `inv`. The execution stops here if the invariant is fatal, if it is
/// the scenario's target, or if the scenario expects no violation at all; otherwise it is
/// recorded and the execution goes on (as the kernel goes on after a WARN or a KASAN report).
/// A violation of the same invariant with the same message is reported once per execution.
///
/// Once a violation has stopped the execution, a later non-fatal one is only recorded: the
/// CPU that stopped it may still be unwinding (its lock releases are scheduling points under
/// shuttle), and a second CPU panicking meanwhile would be a panic shuttle cannot attribute
/// to a task, which loses the execution's failure.
pub(crate) fn report(inv: &Invariant, message: String) {
    if !active() {
        return;
    }
    let tid = current_tid();
    let stop = with(|w| {
        if !w.reported.insert((inv.name.to_string(), message.clone())) {
            return false;
        }
        let already_stopped = w.failure.is_some();
        let v = w.add_violation(tid, inv, message);
        let stop = inv.fatal || w.policy.target.is_none() || w.policy.target == Some(inv.name);
        if stop && w.failure.is_none() {
            w.failure = Some((v, w.events.clone()));
        }
        stop && (inv.fatal || !already_stopped)
    });
    if stop {
        std::panic::panic_any(ViolationPanic);
    }
}

/// Record a panic that did not come from [`report`] (a deadlock found by the backend, or a
/// bug in the model) as the execution's failure.
pub(crate) fn record_foreign_failure(inv: &Invariant, message: String) {
    WORLD.with(|w| {
        let mut w = w.borrow_mut();
        if let Some(w) = w.as_mut() {
            if w.failure.is_none() {
                let blocked = [w.lockdep.blocked(), w.sleepers()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ");
                let message = if inv.name == crate::invariant::DEADLOCK.name && !blocked.is_empty()
                {
                    format!("{blocked} ({message})")
                } else {
                    message
                };
                let tid = w.events.last().map(|e| e.tid).unwrap_or(0);
                let v = w.add_violation(tid, inv, message);
                w.failure = Some((v, w.events.clone()));
            }
        }
    });
}

/// The message of a foreign panic payload, classified.
pub(crate) fn classify_panic(payload: &(dyn Any + Send)) -> (&'static Invariant, String) {
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "non-string panic payload".to_string());
    let first = msg.lines().next().unwrap_or("").to_string();
    match super::backend::classify_panic_message(&msg) {
        Some(inv) if inv.name == crate::invariant::DATA_RACE.name => {
            (inv, data_race_message(&first))
        }
        Some(inv) => (inv, first),
        None => (&MODEL_PANIC, first),
    }
}

/// loom's causality report in kernel terms, with the last step recorded before it (loom
/// stops the racing CPU at the access itself, which records nothing).
fn data_race_message(loom_msg: &str) -> String {
    let last = WORLD.with(|w| {
        let w = w.try_borrow().ok()?;
        let w = w.as_ref()?;
        let e = w.events.last()?;
        Some(format!(
            ", after step {} ({}: {}({}))",
            w.events.len(),
            crate::trace::thread_name(e.tid),
            e.op.trim_end_matches("()"),
            e.obj
        ))
    });
    format!(
        "a CPU accessed memory that another CPU wrote, unordered with that write (no lock held by both, no release/acquire pair){}; loom: {loom_msg}",
        last.unwrap_or_default()
    )
}

/// Events recorded so far in this execution, per thread (empty outside an execution).
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn event_counts() -> Vec<usize> {
    WORLD.with(|w| {
        let Ok(w) = w.try_borrow() else {
            return Vec::new();
        };
        let Some(w) = w.as_ref() else {
            return Vec::new();
        };
        let mut counts = vec![0usize; w.threads];
        for e in &w.events {
            if counts.len() <= e.tid {
                counts.resize(e.tid + 1, 0);
            }
            counts[e.tid] += 1;
        }
        counts
    })
}

/// Call `f` on every event recorded from index `from` on in the execution in progress;
/// returns the number of events recorded so far (`from` outside an execution or while it is
/// torn down). For the dpor scheduler, which reads what a thread recorded between two
/// scheduling points.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn events_since(from: usize, mut f: impl FnMut(&Event)) -> usize {
    if QUIET.with(|q| q.get()) {
        return from;
    }
    WORLD.with(|w| {
        let Ok(w) = w.try_borrow() else {
            return from;
        };
        let Some(w) = w.as_ref() else {
            return from;
        };
        for e in w.events.iter().skip(from) {
            f(e);
        }
        w.events.len().max(from)
    })
}

std::thread_local! {
    /// Ghost accesses that record no event, gathered for the dpor explorer while it runs
    /// (None otherwise: nothing is gathered and `touch` costs one thread-local read).
    static TOUCHES: RefCell<Option<Vec<crate::dpor::Access>>> = const { RefCell::new(None) };
}

/// A ghost access to `name` that records no event (a lock-guarded field, a list node): part
/// of the step's footprint for the dpor explorer, and a DPOR race for loom
/// (vendor/loom/KMODEL-PATCH.md, "Ghost races by default").
pub(crate) fn touch(name: &str, write: bool) {
    #[cfg(loom)]
    if super::loom::ghost_hook() {
        crate::dpor::footprint::touch_accesses(name, write, super::loom::ghost_access);
    }
    TOUCHES.with(|t| {
        if let Ok(mut t) = t.try_borrow_mut() {
            if let Some(t) = t.as_mut() {
                crate::dpor::footprint::touch_accesses(name, write, |a| t.push(a));
            }
        }
    });
}

/// A liveness check of the object `name` that records no event (see [`touch`]): a read of
/// the object's root, which its `kfree` writes ([`touch_free`]). A DPOR race for loom by
/// default, as [`touch`] is, so that loom explores a `kfree` on both sides of every liveness
/// check that does not happen before or after it (docs/architecture.md, rule 4).
pub(crate) fn touch_live(name: &str) {
    #[cfg(loom)]
    if super::loom::ghost_hook() {
        super::loom::ghost_access(crate::dpor::footprint::live_access(name));
    }
    TOUCHES.with(|t| {
        if let Ok(mut t) = t.try_borrow_mut() {
            if let Some(t) = t.as_mut() {
                t.push(crate::dpor::footprint::live_access(name));
            }
        }
    });
}

/// [`touch_live`] for loom only: for a check whose step the dpor explorer already orders
/// against the `kfree` (a lock operation's event reads its container's root).
pub(crate) fn touch_live_loom(_name: &str) {
    #[cfg(loom)]
    if super::loom::ghost_hook() {
        super::loom::ghost_access(crate::dpor::footprint::live_access(_name));
    }
}

/// For loom only: the running step frees the object `name` (a write of its root, which every
/// liveness check reads: [`touch_live`]). Without loom's object sleep sets
/// (`LOOM_KMODEL_NO_SLEEP_OBJECTS=1`) the `kfree` event's own accesses are not reported to
/// loom (with them, the default, they are), so this one is; the dpor explorer gets it from
/// the event.
pub(crate) fn touch_free(_name: &str) {
    #[cfg(loom)]
    if super::loom::ghost_hook() && !super::loom::ghost_hook_all() {
        super::loom::ghost_access(crate::dpor::footprint::free_access(_name));
    }
}

/// Every runnable CPU of `spinning` busy-waits on what no CPU left will change (the dpor
/// explorer's await, or a replay whose recording is used up while they spin): the program
/// hangs in this state. Recorded for [`check_busy_wait`], which the first of them runs when
/// it resumes from its `cpu_relax()`; the message names each CPU's last retry iteration.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn busy_wait_forever(spinning: &[Tid]) {
    WORLD.with(|w| {
        let Ok(mut w) = w.try_borrow_mut() else {
            return;
        };
        let Some(w) = w.as_mut() else {
            return;
        };
        let cpus: Vec<String> = spinning
            .iter()
            .map(|&t| {
                let [_, b, e] = w.last_iteration.get(t).copied().unwrap_or_default();
                let reads: Vec<String> = w.events[b.min(e)..e.min(w.events.len())]
                    .iter()
                    .filter(|ev| ev.tid == t)
                    .map(|ev| format!("{}({}) = {}", ev.op, ev.obj, ev.result))
                    .collect();
                let cpu = if t == 0 { "main".to_string() } else { format!("CPU{}", t - 1) };
                if reads.is_empty() {
                    cpu
                } else {
                    format!("{cpu} ({})", reads.join(", "))
                }
            })
            .collect();
        let message = format!(
            "{} busy-wait{} forever: each retry iteration since the last cpu_relax() would repeat unchanged, and no CPU left can change what it reads",
            cpus.join(" and "),
            if spinning.len() == 1 { "s" } else { "" }
        );
        w.busy_wait_forever = Some((spinning.to_vec(), message));
    });
}

/// Called by `cpu_relax()` before its yield: the CPU's retry iteration that ends here spans
/// the events since its previous `cpu_relax()` ([`World::last_iteration`]).
pub(crate) fn end_iteration() {
    if !active() {
        return;
    }
    let tid = current_tid();
    with(|w| {
        let n = w.events.len();
        if w.last_iteration.len() <= tid {
            w.last_iteration.resize(tid + 1, [0; 3]);
        }
        let [_, b1, b2] = w.last_iteration[tid];
        w.last_iteration[tid] = [b1, b2, n];
    });
}

/// Whether CPU `tid`, at its `cpu_relax()`, ran its last two retry iterations alone (no
/// other CPU recorded an event since the first began) and event for event the same, values
/// included. If no other CPU can run now, it spins forever: each iteration starts from what
/// the one before left, reads the same values and writes the same ones (an iteration's
/// outcome depends only on what it reads: docs/writing-a-model.md, "Busy-waits").
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn spins_alone(tid: Tid) -> bool {
    WORLD.with(|w| {
        let Ok(w) = w.try_borrow() else {
            return false;
        };
        let Some(w) = w.as_ref() else {
            return false;
        };
        let Some(&[b0, b1, b2]) = w.last_iteration.get(tid) else {
            return false;
        };
        if b0 >= b1 || b2 > w.events.len() || w.events[b0..].iter().any(|e| e.tid != tid) {
            return false;
        }
        repeats(&w.events, tid, [b0, b1, b2])
    })
}

/// Whether thread `tid`'s iteration `b1..b2` repeats its iteration `b0..b1` event for event,
/// values included (other threads' events in the ranges left out).
fn repeats(events: &[Event], tid: Tid, [b0, b1, b2]: [usize; 3]) -> bool {
    if b0 >= b1 || b2 > events.len() {
        return false;
    }
    let mine = |r: &'_ [Event]| -> Vec<(String, String, String)> {
        r.iter()
            .filter(|e| e.tid == tid)
            .map(|e| (e.op.clone(), e.obj.clone(), e.result.clone()))
            .collect()
    };
    mine(&events[b0..b1]) == mine(&events[b1..b2])
}

/// Whether the CPUs `spinning` (two or more, each stopped at its `cpu_relax()`) spin on
/// frozen memory: each ran its last two retry iterations the same, no other CPU recorded an
/// event since the earliest of them began, and none of those events writes anything
/// ([`crate::dpor::accesses`]). Then whatever order they run in, each reads what it read
/// and they spin forever.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn spin_frozen(spinning: &[Tid]) -> bool {
    WORLD.with(|w| {
        let Ok(w) = w.try_borrow() else {
            return false;
        };
        let Some(w) = w.as_ref() else {
            return false;
        };
        let mut from = usize::MAX;
        for &t in spinning {
            let Some(&r) = w.last_iteration.get(t) else {
                return false;
            };
            if !repeats(&w.events, t, r) {
                return false;
            }
            from = from.min(r[0]);
        }
        let mut writes = false;
        for e in &w.events[from.min(w.events.len())..] {
            if !spinning.contains(&e.tid) {
                return false;
            }
            crate::dpor::accesses(e, |a| writes |= a.kind.writes());
        }
        !writes
    })
}

/// Called by `cpu_relax()` after its yield: report the busy-wait without end the dpor
/// explorer found ([`busy_wait_forever`]) as a LIVELOCK, if this CPU is one of them.
pub(crate) fn check_busy_wait() {
    if !active() {
        return;
    }
    let tid = current_tid();
    let found = with(|w| match &w.busy_wait_forever {
        Some((cpus, message)) if cpus.contains(&tid) => Some(message.clone()),
        _ => None,
    });
    if let Some(message) = found {
        report(&crate::invariant::LIVELOCK, message);
    }
}

/// The wait queue `tid` sleeps on, or the lock it waits for, in the execution in progress.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn waiting_on(tid: Tid) -> Option<String> {
    WORLD.with(|w| {
        let w = w.try_borrow().ok()?;
        let w = w.as_ref()?;
        w.sleeping
            .get(tid)
            .cloned()
            .flatten()
            .or_else(|| w.lockdep.waiting.get(tid).cloned().flatten())
    })
}

/// Start (`true`) or stop gathering [`touch`]es on this OS thread.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn gather_touches(on: bool) {
    TOUCHES.with(|t| *t.borrow_mut() = on.then(Vec::new));
}

/// The touches gathered since the last call.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn take_touches() -> Vec<crate::dpor::Access> {
    TOUCHES.with(|t| {
        t.try_borrow_mut()
            .ok()
            .and_then(|mut t| t.as_mut().map(std::mem::take))
            .unwrap_or_default()
    })
}

/// Register the KASAN check of the slab slot named `slot` ([`World::slab_checks`]).
pub(crate) fn register_slab_check(slot: String, check: SlabCheck) {
    if active() {
        with(|w| w.slab_checks.insert(slot, check));
    }
}
