//! An atomic cell
//!
//! See the CDSChecker paper for detailed explanation.
//!
//! # Modification order implications (figure 7)
//!
//! - Read-Read Coherence:
//!
//!   On `load`, all stores are iterated, finding stores that were read by
//!   actions in the current thread's causality. These loads happen-before the
//!   current load. The `modification_order` of these happen-before loads are
//!   joined into the current load's `modification_order`.
//!
//! - Write-Read Coherence:
//!
//!   On `load`, all stores are iterated, finding stores that happens-before the
//!   current thread's causality. The `modification_order` of these stores are
//!   joined into the current load's `modification_order`.
//!
//! - Read-Write Coherence:
//!
//!   On `store`, find all existing stores that were read in the current
//!   thread's causality. Join these stores' `modification_order` into the new
//!   store's modification order.
//!
//! - Write-Write Coherence:
//!
//!   The `modification_order` is initialized to the thread's causality. Any
//!   store that happened in the thread causality will be earlier in the
//!   modification order.
//!
//! - Seq-cst/MO Consistency:
//!
//! - Seq-cst Write-Read Coherence:
//!
//! - RMW/MO Consistency: Subsumed by Write-Write Coherence?
//!
//! - RMW Atomicity:
//!
//!   kmodel patch: an RMW's write immediately follows, in the modification order, the store
//!   it read (C++ [atomics.order], C11 7.17.3). Each RMW store records the store it read
//!   (`Store::rmw_source`); after every change to the modification order,
//!   `enforce_rmw_atomicity` orders every store that is after the source after the RMW's
//!   write, and every store before the write before the source. loom 0.7.2 left this
//!   empty: a plain store concurrent with an RMW could land between its read and its write.
//!
//!
//! # Fence modification order implications (figure 9)
//!
//! - SC Fences Restrict RF:
//! - SC Fences Restrict RF (Collapsed Store):
//! - SC Fences Restrict RF (Collapsed Load):
//! - SC Fences Impose MO:
//! - SC Fences Impose MO (Collapsed 1st Store):
//! - SC Fences Impose MO (Collapsed 2st Store):
//!
//!
//! # Fence Synchronization implications (figure 10)
//!
//! - Fence Synchronization
//! - Fence Synchronization (Collapsed Store)
//! - Fence Synchronization (Collapsed Load)

use crate::rt::execution::Execution;
use crate::rt::location::{self, Location, LocationSet};
use crate::rt::object;
use crate::rt::{
    self, thread, Access, Numeric, Synchronize, VersionVec, MAX_ATOMIC_HISTORY, MAX_THREADS,
};

use std::cmp;
use std::marker::PhantomData;
use std::sync::atomic::Ordering;
use std::u16;

use tracing::trace;

#[derive(Debug)]
pub(crate) struct Atomic<T> {
    state: object::Ref<State>,
    _p: PhantomData<fn() -> T>,
}

#[derive(Debug)]
pub(super) struct State {
    /// Where the atomic was created
    created_location: Location,

    /// Transitive closure of all atomic loads from the cell.
    loaded_at: VersionVec,

    /// Location for the *last* time a thread atomically loaded from the cell.
    loaded_locations: LocationSet,

    /// Transitive closure of all **unsynchronized** loads from the cell.
    unsync_loaded_at: VersionVec,

    /// Location for the *last* time a thread read **synchronized** from the cell.
    unsync_loaded_locations: LocationSet,

    /// Transitive closure of all atomic stores to the cell.
    stored_at: VersionVec,

    /// Location for the *last* time a thread atomically stored to the cell.
    stored_locations: LocationSet,

    /// Version of the most recent **unsynchronized** mutable access to the
    /// cell.
    ///
    /// This includes the initialization of the cell as well as any calls to
    /// `get_mut`.
    unsync_mut_at: VersionVec,

    /// Location for the *last* time a thread `with_mut` from the cell.
    unsync_mut_locations: LocationSet,

    /// `true` when in a `with_mut` closure. If this is set, there can be no
    /// access to the cell.
    is_mutating: bool,

    /// kmodel patch: the loads since the last store or rmw, as an antichain of
    /// the DPOR happens-before order (a load that happens before a later one is
    /// dropped, so there is at most one per thread). Upstream loom 0.7.2 kept
    /// only the last access of any kind, so a store raced only with the last
    /// load: a thread's own load before its store hid every other thread's
    /// load (tokio-rs/loom#166, #392).
    last_loads: Vec<Access>,

    /// Last time the atomic was accessed for a store or rmw operation.
    last_non_load_access: Option<Access>,

    /// Currently tracked stored values. This is the `MAX_ATOMIC_HISTORY` most
    /// recent stores to the atomic cell in loom execution order.
    stores: [Store; MAX_ATOMIC_HISTORY],

    /// The total number of stores to the cell.
    cnt: u16,
}

#[derive(Debug, Copy, Clone, PartialEq)]
pub(super) enum Action {
    /// Atomic load
    Load,

    /// Atomic store
    Store,

    /// Atomic read-modify-write
    Rmw,
}

#[derive(Debug)]
struct Store {
    /// The stored value. All atomic types can be converted to `u64`.
    value: u64,

    /// The causality of the thread when it stores the value.
    happens_before: VersionVec,

    /// Tracks the modification order. Order is tracked as a partially-ordered
    /// set.
    modification_order: VersionVec,

    /// Manages causality transfers between threads
    sync: Synchronize,

    /// Tracks when each thread first saw value
    first_seen: FirstSeen,

    /// True when the store was done with `SeqCst` ordering
    seq_cst: bool,

    /// kmodel patch: for the store of an RMW, the number (`ordinal_of`: stores to this
    /// atomic before it, in execution order) of the store its read part read. RMW
    /// atomicity: no store lies between the two in the modification order
    /// (`State::enforce_rmw_atomicity`).
    rmw_source: Option<u16>,
}

#[derive(Debug)]
struct FirstSeen([u16; MAX_THREADS]);

/// Implements atomic fence behavior
pub(crate) fn fence(ordering: Ordering) {
    rt::synchronize(|execution| match ordering {
        Ordering::Acquire => fence_acq(execution),
        Ordering::Release => fence_rel(execution),
        Ordering::AcqRel => fence_acqrel(execution),
        Ordering::SeqCst => fence_seqcst(execution),
        Ordering::Relaxed => panic!("there is no such thing as a relaxed fence"),
        order => unimplemented!("unimplemented ordering {:?}", order),
    });
}

fn fence_acq(execution: &mut Execution) {
    // Find all stores for all atomic objects and, if they have been read by
    // the current thread, establish an acquire synchronization.
    for state in execution.objects.iter_mut::<State>() {
        // Iterate all the stores
        for store in state.stores_mut() {
            if !store.first_seen.is_seen_by_current(&execution.threads) {
                continue;
            }

            store
                .sync
                .sync_load(&mut execution.threads, Ordering::Acquire);
        }
    }
}

fn fence_rel(execution: &mut Execution) {
    // take snapshot of cur view and record as rel view
    let active = execution.threads.active_mut();
    active.released = active.causality;
}

fn fence_acqrel(execution: &mut Execution) {
    fence_acq(execution);
    fence_rel(execution);
}

fn fence_seqcst(execution: &mut Execution) {
    fence_acqrel(execution);
    execution.threads.seq_cst_fence();
    // kmodel patch: a SeqCst fence is a dependent event of its step (KMODEL-PATCH.md, "A
    // SeqCst fence is dependent on SeqCst fences only"): part of the visible schedule.
    let thread = execution.threads.active_id().as_usize();
    if let Some(distinct) = &mut execution.path.distinct {
        distinct.fence(thread);
    }
}

impl<T: Numeric> Atomic<T> {
    /// Create a new, atomic cell initialized with the provided value
    pub(crate) fn new(value: T, location: Location) -> Atomic<T> {
        rt::execution(|execution| {
            let state = State::new(&mut execution.threads, value.into_u64(), location);
            let state = execution.objects.insert(state);

            trace!(?state, "Atomic::new");

            Atomic {
                state,
                _p: PhantomData,
            }
        })
    }

    /// Loads a value from the atomic cell.
    pub(crate) fn load(&self, location: Location, ordering: Ordering) -> T {
        self.branch(Action::Load, location);

        super::synchronize(|execution| {
            let state = self.state.get_mut(&mut execution.objects);

            // If necessary, generate the list of stores to permute through
            if execution.path.is_traversed() {
                let mut seed = [0; MAX_ATOMIC_HISTORY];

                let n = state.match_load_to_stores(&execution.threads, &mut seed[..], ordering);

                execution.path.push_load(&seed[..n]);
            }

            // Get the store to return from this load.
            let index = execution.path.branch_load();

            trace!(state = ?self.state, ?ordering, "Atomic::load");

            // kmodel: patch: reads-from for KMODEL_CHECK_GRAPHS
            super::kmodel_graph::atomic_ordinal(
                execution.threads.active_id().as_usize(),
                ordinal_of(state.cnt, index),
            );

            T::from_u64(state.load(&mut execution.threads, index, location, ordering))
        })
    }

    /// Loads a value from the atomic cell without performing synchronization
    pub(crate) fn unsync_load(&self, location: Location) -> T {
        rt::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);

            state
                .unsync_loaded_locations
                .track(location, &execution.threads);

            // An unsync load counts as a "read" access
            state.track_unsync_load(&execution.threads);

            trace!(state = ?self.state, "Atomic::unsync_load");

            // Return the value (kmodel patch: of the newest store in the modification
            // order, not the last executed)
            let index = state.newest_index();
            T::from_u64(state.stores[index].value)
        })
    }

    /// Stores a value into the atomic cell.
    pub(crate) fn store(&self, location: Location, val: T, ordering: Ordering) {
        self.branch(Action::Store, location);

        super::synchronize(|execution| {
            let state = self.state.get_mut(&mut execution.objects);

            state.stored_locations.track(location, &execution.threads);

            // An atomic store counts as a read access to the underlying memory
            // cell.
            state.track_store(&execution.threads);

            trace!(state = ?self.state, ?ordering, "Atomic::store");

            // Do the store
            state.store(
                &mut execution.threads,
                Synchronize::new(),
                val.into_u64(),
                ordering,
            );
            // kmodel: patch: a store after an RMW's source is after the RMW's write
            state.enforce_rmw_atomicity();

            // kmodel: patch: coherence for KMODEL_CHECK_GRAPHS
            super::kmodel_graph::atomic_ordinal(
                execution.threads.active_id().as_usize(),
                u64::from(state.cnt) - 1,
            );
        })
    }

    pub(crate) fn rmw<F, E>(
        &self,
        location: Location,
        success: Ordering,
        failure: Ordering,
        f: F,
    ) -> Result<T, E>
    where
        // kmodel: patch: `Fn`, not `FnOnce`: the candidates of a failure are found by
        // evaluating `f` on each value a load could read (every caller's closure is pure).
        F: Fn(T) -> Result<T, E>,
    {
        self.branch(Action::Rmw, location);

        super::synchronize(|execution| {
            let state = self.state.get_mut(&mut execution.objects);

            // If necessary, generate the list of stores to permute through
            if execution.path.is_traversed() {
                let mut seed = [0; MAX_ATOMIC_HISTORY];

                let mut n = state.match_rmw_to_stores(&mut seed[..]);
                // kmodel: patch: a failed RMW (a `compare_exchange` that fails) is an
                // atomic load (C++ [atomics.types.operations]): it may also read any older
                // store a load with the failure ordering could read, on which it fails.
                if !no_rmw_patch() {
                    n = state.match_failed_rmw_to_stores(
                        &execution.threads,
                        &mut seed[..],
                        n,
                        failure,
                        |v| f(T::from_u64(v)).is_err(),
                    );
                    // kmodel: patch: a successful RMW reads its immediate predecessor in
                    // the modification order, which need not be the newest store: it may
                    // read any store a load with the success ordering could read and that
                    // no other RMW read, its write then going right after it, before the
                    // newer stores (`enforce_rmw_atomicity`).
                    if !no_stale_rmw() {
                        n = state.match_stale_rmw_to_stores(
                            &execution.threads,
                            &mut seed[..],
                            n,
                            success,
                            |v| f(T::from_u64(v)).is_ok(),
                        );
                    }
                }
                execution.path.push_load(&seed[..n]);
            }

            // Get the store to use for the read portion of the rmw operation.
            let index = execution.path.branch_load();

            trace!(state = ?self.state, ?success, ?failure, "Atomic::rmw");

            // kmodel: patch: reads-from (a failed RMW) or coherence for KMODEL_CHECK_GRAPHS
            let read = ordinal_of(state.cnt, index);
            let r = state
                .rmw(
                    &mut execution.threads,
                    index,
                    location,
                    success,
                    failure,
                    |num| f(T::from_u64(num)).map(T::into_u64),
                )
                .map(T::from_u64);
            super::kmodel_graph::atomic_ordinal(
                execution.threads.active_id().as_usize(),
                // A failed RMW's read is marked apart from a successful RMW's store: a
                // failed cmpxchg reading store n and a successful one making store n are
                // different graphs (litmus/cmpxchg-fail-ordered-2 was flagged without it).
                // A successful RMW's key carries the store it read too (bits 32..): with
                // stale reads, one schedule can give an RMW different sources.
                if r.is_ok() {
                    (u64::from(state.cnt) - 1) | (read << 32)
                } else {
                    read | super::kmodel_graph::FAILED_RMW
                },
            );
            r
        })
    }

    /// Access a mutable reference to value most recently stored.
    ///
    /// `with_mut` must happen-after all stores to the cell.
    pub(crate) fn with_mut<R>(&mut self, location: Location, f: impl FnOnce(&mut T) -> R) -> R {
        let value = super::execution(|execution| {
            let state = self.state.get_mut(&mut execution.objects);

            state
                .unsync_mut_locations
                .track(location, &execution.threads);
            // Verify the mutation may happen
            state.track_unsync_mut(&execution.threads);
            state.is_mutating = true;

            trace!(state = ?self.state, "Atomic::with_mut");

            // Return the value of the most recent store (kmodel patch: the newest in the
            // modification order, not the last executed)
            let index = state.newest_index();
            (T::from_u64(state.stores[index].value), index)
        });
        let (value, newest) = value;

        struct Reset<T: Numeric>(T, object::Ref<State>, usize);

        impl<T: Numeric> Drop for Reset<T> {
            fn drop(&mut self) {
                super::execution(|execution| {
                    let state = self.1.get_mut(&mut execution.objects);

                    // Make sure the state is as expected
                    assert!(state.is_mutating);
                    state.is_mutating = false;

                    // The value may have been mutated, so it must be placed
                    // back.
                    state.stores[self.2].value = T::into_u64(self.0);

                    if !std::thread::panicking() {
                        state.track_unsync_mut(&execution.threads);
                    }
                });
            }
        }

        // Unset on exit
        let mut reset = Reset(value, self.state, newest);
        f(&mut reset.0)
    }

    fn branch(&self, action: Action, location: Location) {
        let r = self.state;
        r.branch_action(action, location);
        assert!(
            r.ref_eq(self.state),
            "Internal state mutated during branch. This is \
                usually due to a bug in the algorithm being tested writing in \
                an invalid memory location."
        );
    }
}

// ===== impl State =====

impl State {
    fn new(threads: &mut thread::Set, value: u64, location: Location) -> State {
        let mut state = State {
            created_location: location,
            loaded_at: VersionVec::new(),
            loaded_locations: LocationSet::new(),
            unsync_loaded_at: VersionVec::new(),
            unsync_loaded_locations: LocationSet::new(),
            stored_at: VersionVec::new(),
            stored_locations: LocationSet::new(),
            unsync_mut_at: VersionVec::new(),
            unsync_mut_locations: LocationSet::new(),
            is_mutating: false,
            last_loads: Vec::new(),
            last_non_load_access: None,
            stores: Default::default(),
            cnt: 0,
        };

        // All subsequent accesses must happen-after.
        state.track_unsync_mut(threads);

        // Store the initial thread
        //
        // The actual order shouldn't matter as operation on the atomic
        // **should** already include the thread causality resulting in the
        // creation of this atomic cell.
        //
        // This is verified using `cell`.
        state.store(threads, Synchronize::new(), value, Ordering::Release);

        state
    }

    fn load(
        &mut self,
        threads: &mut thread::Set,
        index: usize,
        location: Location,
        ordering: Ordering,
    ) -> u64 {
        self.loaded_locations.track(location, threads);
        // Validate memory safety
        self.track_load(threads);

        // Apply coherence rules
        self.apply_load_coherence(threads, index);
        // kmodel: patch: the new order may place a store around an RMW
        self.enforce_rmw_atomicity();

        let store = &mut self.stores[index];

        store.first_seen.touch(threads);
        store.sync.sync_load(threads, ordering);
        store.value
    }

    fn store(
        &mut self,
        threads: &mut thread::Set,
        mut sync: Synchronize,
        value: u64,
        ordering: Ordering,
    ) {
        let index = index(self.cnt);

        // Increment the count
        self.cnt += 1;

        // The modification order is initialized to the thread's current
        // causality. All reads / writes that happen before this store are
        // ordered before the store.
        let happens_before = threads.active().causality;

        // Starting with the thread's causality covers WRITE-WRITE coherence
        let mut modification_order = happens_before;

        // Apply coherence rules
        for i in 0..self.stores.len() {
            // READ-WRITE coherence
            if self.stores[i].first_seen.is_seen_by_current(threads) {
                let mo = self.stores[i].modification_order;
                modification_order.join(&mo);
            }
        }

        sync.sync_store(threads, ordering);

        let mut first_seen = FirstSeen::new();
        first_seen.touch(threads);

        // Track the store
        self.stores[index] = Store {
            value,
            happens_before,
            modification_order,
            sync,
            first_seen,
            seq_cst: is_seq_cst(ordering),
            rmw_source: None,
        };
    }

    fn rmw<E>(
        &mut self,
        threads: &mut thread::Set,
        index: usize,
        location: Location,
        success: Ordering,
        failure: Ordering,
        f: impl FnOnce(u64) -> Result<u64, E>,
    ) -> Result<u64, E> {
        self.loaded_locations.track(location, threads);

        // Track the load is happening in order to ensure correct
        // synchronization to the underlying cell.
        self.track_load(threads);

        // Apply coherence rules.
        self.apply_load_coherence(threads, index);
        // kmodel: patch: the new order may place a store around an RMW
        self.enforce_rmw_atomicity();

        self.stores[index].first_seen.touch(threads);

        let prev = self.stores[index].value;

        match f(prev) {
            Ok(next) => {
                self.stored_locations.track(location, threads);
                // Track a store operation happened
                self.track_store(threads);

                // Perform load synchronization using the `success` ordering.
                self.stores[index].sync.sync_load(threads, success);

                // Store the new value, initializing with the `sync` value from
                // the load. This is our (hacky) way to establish a release
                // sequence.
                let sync = self.stores[index].sync;
                // kmodel: patch: RMW atomicity. The write is the next store after the one
                // read, in the modification order, for good.
                let source = ordinal_of(self.cnt, index) as u16;
                self.store(threads, sync, next, success);
                let written = self::index(self.cnt - 1);
                self.stores[written].rmw_source = Some(source);
                self.enforce_rmw_atomicity();

                Ok(prev)
            }
            Err(e) => {
                self.stores[index].sync.sync_load(threads, failure);
                Err(e)
            }
        }
    }

    fn apply_load_coherence(&mut self, threads: &mut thread::Set, index: usize) {
        for i in 0..self.stores.len() {
            // Skip if the is current.
            if index == i {
                continue;
            }

            // READ-READ coherence
            if self.stores[i].first_seen.is_seen_by_current(threads) {
                let mo = self.stores[i].modification_order;
                self.stores[index].modification_order.join(&mo);
            }

            // WRITE-READ coherence
            if self.stores[i].happens_before < threads.active().causality {
                let mo = self.stores[i].modification_order;
                self.stores[index].modification_order.join(&mo);
            }
        }
    }

    /// kmodel patch: RMW atomicity (C++ [atomics.order]: an RMW reads the last value, in
    /// the modification order, before its own write). For every RMW store `w` whose source
    /// `s` is still in the history, and every other store `t`: if `s` is before `t`, then
    /// `w` is before `t`; if `t` is before `w`, then `t` is before `s`. loom's modification
    /// order is a partial order of vector clocks that later loads refine (read-read and
    /// write-read coherence join into the store read); each refinement can put a store
    /// between an RMW's read and write, so this runs after every one, to a fixpoint.
    fn enforce_rmw_atomicity(&mut self) {
        let cnt = self.cnt as usize;
        let real = cmp::min(cnt, MAX_ATOMIC_HISTORY);
        if no_rmw_patch() || !self.stores[..real].iter().any(|st| st.rmw_source.is_some()) {
            return;
        }
        loop {
            let mut changed = false;
            for w in 0..real {
                let s = match self.stores[w]
                    .rmw_source
                    .and_then(|o| self.index_of_ordinal(o))
                {
                    Some(s) => s,
                    None => continue,
                };
                for t in 0..real {
                    if t == w || t == s {
                        continue;
                    }
                    let mo_s = self.stores[s].modification_order;
                    let mo_w = self.stores[w].modification_order;
                    let mo_t = self.stores[t].modification_order;
                    if mo_s < mo_t && !(mo_w < mo_t) {
                        // `t` after the source: after the write as well (unless it is
                        // already before the write, which the invariant excludes).
                        if !(mo_t <= mo_w) {
                            self.raise_modification_order(t, &mo_w);
                            changed = true;
                        }
                    } else if mo_t < mo_w && !(mo_t < mo_s) && !(mo_s < mo_t) {
                        // `t` before the write: before the source as well.
                        self.raise_modification_order(s, &mo_t);
                        changed = true;
                    }
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// kmodel patch: order the store at `target` after every store `mo` is after, and keep
    /// every store that was after `target` after it.
    fn raise_modification_order(&mut self, target: usize, mo: &VersionVec) {
        let real = cmp::min(self.cnt as usize, MAX_ATOMIC_HISTORY);
        let old = self.stores[target].modification_order;
        for u in 0..real {
            if u == target || old < self.stores[u].modification_order {
                self.stores[u].modification_order.join(mo);
            }
        }
    }

    /// kmodel patch: the history index of store number `ordinal` (`ordinal_of`), if it is
    /// still in the history.
    fn index_of_ordinal(&self, ordinal: u16) -> Option<usize> {
        if ordinal < self.cnt && self.cnt - ordinal <= MAX_ATOMIC_HISTORY as u16 {
            Some(index(ordinal))
        } else {
            None
        }
    }

    /// Track an atomic load
    fn track_load(&mut self, threads: &thread::Set) {
        assert!(!self.is_mutating, "atomic cell is in `with_mut` call");

        let current = &threads.active().causality;

        if let Some(mut_at) = current.ahead(&self.unsync_mut_at) {
            location::panic("Causality violation: Concurrent load and mut accesses.")
                .location("created", self.created_location)
                .thread("with_mut", mut_at, self.unsync_mut_locations[mut_at])
                .thread("load", threads.active_id(), self.loaded_locations[threads])
                .fire();
        }

        self.loaded_at.join(current);
    }

    /// Track an unsynchronized load
    fn track_unsync_load(&mut self, threads: &thread::Set) {
        assert!(!self.is_mutating, "atomic cell is in `with_mut` call");

        let current = &threads.active().causality;

        if let Some(mut_at) = current.ahead(&self.unsync_mut_at) {
            location::panic("Causality violation: Concurrent `unsync_load` and mut accesses.")
                .location("created", self.created_location)
                .thread("with_mut", mut_at, self.unsync_mut_locations[mut_at])
                .thread(
                    "unsync_load",
                    threads.active_id(),
                    self.unsync_loaded_locations[threads],
                )
                .fire();
        }

        if let Some(stored) = current.ahead(&self.stored_at) {
            location::panic("Causality violation: Concurrent `unsync_load` and atomic store.")
                .location("created", self.created_location)
                .thread("atomic store", stored, self.stored_locations[stored])
                .thread(
                    "unsync_load",
                    threads.active_id(),
                    self.unsync_loaded_locations[threads],
                )
                .fire();
        }

        self.unsync_loaded_at.join(current);
    }

    /// Track an atomic store
    fn track_store(&mut self, threads: &thread::Set) {
        assert!(!self.is_mutating, "atomic cell is in `with_mut` call");

        let current = &threads.active().causality;

        if let Some(mut_at) = current.ahead(&self.unsync_mut_at) {
            location::panic("Causality violation: Concurrent atomic store and mut accesses.")
                .location("created", self.created_location)
                .thread("with_mut", mut_at, self.unsync_mut_locations[mut_at])
                .thread(
                    "atomic store",
                    threads.active_id(),
                    self.stored_locations[threads],
                )
                .fire();
        }

        if let Some(loaded) = current.ahead(&self.unsync_loaded_at) {
            location::panic(
                "Causality violation: Concurrent atomic store and `unsync_load` accesses.",
            )
            .location("created", self.created_location)
            .thread("unsync_load", loaded, self.unsync_loaded_locations[loaded])
            .thread(
                "atomic store",
                threads.active_id(),
                self.stored_locations[threads],
            )
            .fire();
        }

        self.stored_at.join(current);
    }

    /// Track an unsynchronized mutation
    fn track_unsync_mut(&mut self, threads: &thread::Set) {
        assert!(!self.is_mutating, "atomic cell is in `with_mut` call");

        let current = &threads.active().causality;

        if let Some(loaded) = current.ahead(&self.loaded_at) {
            location::panic("Causality violation: Concurrent atomic load and unsync mut accesses.")
                .location("created", self.created_location)
                .thread("atomic load", loaded, self.loaded_locations[loaded])
                .thread(
                    "with_mut",
                    threads.active_id(),
                    self.unsync_mut_locations[threads],
                )
                .fire();
        }

        if let Some(loaded) = current.ahead(&self.unsync_loaded_at) {
            location::panic(
                "Causality violation: Concurrent `unsync_load` and unsync mut accesses.",
            )
            .location("created", self.created_location)
            .thread("unsync_load", loaded, self.unsync_loaded_locations[loaded])
            .thread(
                "with_mut",
                threads.active_id(),
                self.unsync_mut_locations[threads],
            )
            .fire();
        }

        if let Some(stored) = current.ahead(&self.stored_at) {
            location::panic(
                "Causality violation: Concurrent atomic store and unsync mut accesses.",
            )
            .location("created", self.created_location)
            .thread("atomic store", stored, self.stored_locations[stored])
            .thread(
                "with_mut",
                threads.active_id(),
                self.unsync_mut_locations[threads],
            )
            .fire();
        }

        if let Some(mut_at) = current.ahead(&self.unsync_mut_at) {
            location::panic("Causality violation: Concurrent unsync mut accesses.")
                .location("created", self.created_location)
                .thread("with_mut one", mut_at, self.unsync_mut_locations[mut_at])
                .thread(
                    "with_mut two",
                    threads.active_id(),
                    self.unsync_mut_locations[threads],
                )
                .fire();
        }

        self.unsync_mut_at.join(current);
    }

    /// Find all stores that could be returned by an atomic load.
    fn match_load_to_stores(
        &self,
        threads: &thread::Set,
        dst: &mut [u8],
        ordering: Ordering,
    ) -> usize {
        let mut n = 0;
        let cnt = self.cnt as usize;

        // We only need to consider loads as old as the **most** recent load
        // seen by each thread in the current causality.
        //
        // This probably isn't the smartest way to implement this, but someone
        // else can figure out how to improve on it if it turns out to be a
        // bottleneck.
        //
        // Add all stores **unless** a newer store has already been seen by the
        // current thread's causality.
        'outer: for i in 0..self.stores.len() {
            let store_i = &self.stores[i];

            if i >= cnt {
                // Not a real store
                continue;
            }

            for j in 0..self.stores.len() {
                let store_j = &self.stores[j];

                if i == j || j >= cnt {
                    continue;
                }

                let mo_i = store_i.modification_order;
                let mo_j = store_j.modification_order;

                // TODO: this sometimes fails
                assert_ne!(mo_i, mo_j);

                if mo_i < mo_j {
                    if store_j.first_seen.is_seen_by_current(threads) {
                        // Store `j` is newer, so don't store the current one.
                        continue 'outer;
                    }

                    if store_i.first_seen.is_seen_before_yield(threads) {
                        // Saw this load before the previous yield. In order to
                        // advance the model, don't return it again.
                        continue 'outer;
                    }

                    if is_seq_cst(ordering) && store_i.seq_cst && store_j.seq_cst {
                        // There is a newer SeqCst store
                        continue 'outer;
                    }
                }
            }

            // The load may return this store
            dst[n] = i as u8;
            n += 1;
        }

        n
    }

    fn match_rmw_to_stores(&self, dst: &mut [u8]) -> usize {
        let mut n = 0;
        let cnt = self.cnt as usize;

        // Unlike `match_load_to_stores`, rmw operations only load "newest"
        // stores, in terms of modification order.
        'outer: for i in 0..self.stores.len() {
            let store_i = &self.stores[i];

            if i >= cnt {
                // Not a real store
                continue;
            }

            for j in 0..self.stores.len() {
                let store_j = &self.stores[j];

                if i == j || j >= cnt {
                    continue;
                }

                let mo_i = store_i.modification_order;
                let mo_j = store_j.modification_order;

                assert_ne!(mo_i, mo_j);

                if mo_i < mo_j {
                    // There is a newer store.
                    continue 'outer;
                }
            }

            // The load may return this store
            dst[n] = i as u8;
            n += 1;
        }

        n
    }

    /// kmodel patch: after the `n` stores of `dst` an RMW may read (the newest), append the
    /// older stores that a load with ordering `failure` may read and on whose value the RMW
    /// fails (`fails`): a failed RMW is a load. A store on whose value it would succeed is
    /// not one: a successful RMW reads the newest store.
    fn match_failed_rmw_to_stores(
        &self,
        threads: &thread::Set,
        dst: &mut [u8],
        n: usize,
        failure: Ordering,
        fails: impl Fn(u64) -> bool,
    ) -> usize {
        let mut loads = [0; MAX_ATOMIC_HISTORY];
        let m = self.match_load_to_stores(threads, &mut loads[..], failure);
        let mut n = n;
        for &i in &loads[..m] {
            if !dst[..n].contains(&i) && fails(self.stores[i as usize].value) {
                dst[n] = i;
                n += 1;
            }
        }
        n
    }

    /// kmodel patch: after the `n` stores of `dst`, append the older stores a successful
    /// RMW may read: those a load with ordering `success` may read (coherence with what the
    /// thread has seen; loom's seq_cst and `yield_now` rules), on whose value the RMW
    /// succeeds (`succeeds`), and that no other RMW's write follows already (RMW atomicity:
    /// two RMWs never read the same store). The write is then placed right after the store
    /// read, and every store after that one moves after the write
    /// (`enforce_rmw_atomicity`). loom 0.7.2 let a successful RMW read only the newest
    /// stores (`match_rmw_to_stores`).
    fn match_stale_rmw_to_stores(
        &self,
        threads: &thread::Set,
        dst: &mut [u8],
        n: usize,
        success: Ordering,
        succeeds: impl Fn(u64) -> bool,
    ) -> usize {
        let mut loads = [0; MAX_ATOMIC_HISTORY];
        let m = self.match_load_to_stores(threads, &mut loads[..], success);
        let real = cmp::min(self.cnt as usize, MAX_ATOMIC_HISTORY);
        let mut n = n;
        for &i in &loads[..m] {
            if dst[..n].contains(&i) || !succeeds(self.stores[i as usize].value) {
                continue;
            }
            let ordinal = ordinal_of(self.cnt, i as usize) as u16;
            if self.stores[..real]
                .iter()
                .any(|st| st.rmw_source == Some(ordinal))
            {
                // Another RMW read it: its write is the store's immediate successor.
                continue;
            }
            dst[n] = i;
            n += 1;
        }
        n
    }

    /// kmodel patch: the history index of the newest store in the modification order (the
    /// last executed among the mo-maximal ones). With stale RMWs the last store executed
    /// need not be the newest: `unsync_load`/`with_mut` (which happen after every store)
    /// read this one.
    fn newest_index(&self) -> usize {
        let last = index(self.cnt - 1);
        let mut seed = [0; MAX_ATOMIC_HISTORY];
        let n = self.match_rmw_to_stores(&mut seed[..]);
        seed[..n]
            .iter()
            .map(|&i| i as usize)
            .max_by_key(|&i| ordinal_of(self.cnt, i))
            .unwrap_or(last)
    }

    fn stores_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Store> {
        let (start, end) = range(self.cnt);
        let (two, one) = self.stores[..end].split_at_mut(start);

        one.iter_mut().chain(two.iter_mut())
    }

    /// Returns the dependent accesses (kmodel patch: the last store, then, for a
    /// store or rmw, every load since it; not only the last access)
    pub(super) fn dependent_accesses(&self, action: Action) -> (Option<&Access>, &[Access]) {
        match action {
            Action::Load => (self.last_non_load_access.as_ref(), &[]),
            _ => (self.last_non_load_access.as_ref(), &self.last_loads),
        }
    }

    /// Sets the last dependent access
    pub(super) fn set_last_access(&mut self, action: Action, path_id: usize, version: &VersionVec) {
        match action {
            Action::Load => {
                // kmodel patch: keep the loads that do not happen before this one
                self.last_loads.retain(|a| !a.happens_before(version));
                self.last_loads.push(Access::new(path_id, version));
            }
            _ => {
                // Stores / RMWs: every later access depends on this one
                self.last_loads.clear();
                Access::set_or_create(&mut self.last_non_load_access, path_id, version);
            }
        }
    }
}

// ===== impl Store =====

impl Default for Store {
    fn default() -> Store {
        Store {
            value: 0,
            happens_before: VersionVec::new(),
            modification_order: VersionVec::new(),
            sync: Synchronize::new(),
            first_seen: FirstSeen::new(),
            seq_cst: false,
            rmw_source: None,
        }
    }
}

// ===== impl FirstSeen =====

impl FirstSeen {
    fn new() -> FirstSeen {
        FirstSeen([u16::max_value(); MAX_THREADS])
    }

    fn touch(&mut self, threads: &thread::Set) {
        if self.0[threads.active_id().as_usize()] == u16::max_value() {
            self.0[threads.active_id().as_usize()] = threads.active_atomic_version();
        }
    }

    fn is_seen_by_current(&self, threads: &thread::Set) -> bool {
        for (thread_id, version) in threads.active().causality.versions(threads.execution_id()) {
            match self.0[thread_id.as_usize()] {
                u16::MAX => {}
                v if v <= version => return true,
                _ => {}
            }
        }

        false
    }

    fn is_seen_before_yield(&self, threads: &thread::Set) -> bool {
        let thread_id = threads.active_id();

        let last_yield = match threads.active().last_yield {
            Some(v) => v,
            None => return false,
        };

        match self.0[thread_id.as_usize()] {
            u16::MAX => false,
            v => v <= last_yield,
        }
    }
}

/// kmodel patch: `LOOM_KMODEL_NO_RMW_PATCH` turns off both RMW patches of this file (RMW
/// atomicity, failed RMWs that read older stores), to measure before/after with one build.
fn no_rmw_patch() -> bool {
    static NO_RMW_PATCH: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *NO_RMW_PATCH.get_or_init(|| std::env::var_os("LOOM_KMODEL_NO_RMW_PATCH").is_some())
}

/// kmodel patch: `LOOM_KMODEL_NO_STALE_RMW` turns off only the stale reads of successful
/// RMWs (`match_stale_rmw_to_stores`), to measure before/after with one build.
fn no_stale_rmw() -> bool {
    static NO_STALE_RMW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *NO_STALE_RMW.get_or_init(|| std::env::var_os("LOOM_KMODEL_NO_STALE_RMW").is_some())
}

fn is_seq_cst(order: Ordering) -> bool {
    order == Ordering::SeqCst
}

fn range(cnt: u16) -> (usize, usize) {
    let start = index(cnt.saturating_sub(MAX_ATOMIC_HISTORY as u16));
    let mut end = index(cmp::min(cnt, MAX_ATOMIC_HISTORY as u16));

    if end == 0 {
        end = MAX_ATOMIC_HISTORY;
    }

    assert!(
        start <= end,
        "[loom internal bug] cnt = {}; start = {}; end = {}",
        cnt,
        start,
        end
    );

    (start, end)
}

/// kmodel: patch: the position in the modification order of the store at `index` of the
/// history ring (the last `MAX_ATOMIC_HISTORY` of `cnt` stores).
fn ordinal_of(cnt: u16, index: usize) -> u64 {
    let last = cnt as usize - 1;
    let back = (last % MAX_ATOMIC_HISTORY + MAX_ATOMIC_HISTORY - index) % MAX_ATOMIC_HISTORY;
    (last - back) as u64
}

fn index(cnt: u16) -> usize {
    cnt as usize % MAX_ATOMIC_HISTORY
}
