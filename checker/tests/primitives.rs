//! Each primitive's sequential behaviour against a plain reference (proptest), and the
//! violations each reports on misuse.
#![cfg(not(loom))]

use checker::explore::execute_once;
use checker::kernel::*;
use proptest::prelude::*;

/// A model object with one list entry and a kref.
struct Item {
    kref: Kref,
    entry: ListHead,
}

/// A model object holding two list heads, protected by one spinlock.
struct Lists {
    lock: SpinLock,
    heads: [ListHead; 2],
}

fn new_lists() -> Obj<Lists> {
    let l = kzalloc("lists", |id, name| {
        let lock = SpinLock::new(id, name, "lock");
        Lists {
            heads: [
                ListHead::new_head(id, name, "a", &lock),
                ListHead::new_head(id, name, "b", &lock),
            ],
            lock,
        }
    });
    INIT_LIST_HEAD(&l.heads[0]);
    INIT_LIST_HEAD(&l.heads[1]);
    l
}

fn new_item() -> Obj<Item> {
    let it = kzalloc("item", |id, name| Item {
        kref: Kref::new(name),
        entry: ListHead::new(id, name, "entry"),
    });
    INIT_LIST_HEAD(&it.entry);
    it
}

#[derive(Clone, Debug)]
enum ListOp {
    Add(usize, usize),
    AddTail(usize, usize),
    DelInit(usize),
    MoveTail(usize, usize),
    SpliceInit(usize, usize),
}

fn list_op() -> impl Strategy<Value = ListOp> {
    prop_oneof![
        (0..4usize, 0..2usize).prop_map(|(i, h)| ListOp::Add(i, h)),
        (0..4usize, 0..2usize).prop_map(|(i, h)| ListOp::AddTail(i, h)),
        (0..4usize).prop_map(ListOp::DelInit),
        (0..4usize, 0..2usize).prop_map(|(i, h)| ListOp::MoveTail(i, h)),
        (0..2usize, 0..2usize).prop_map(|(a, b)| ListOp::SpliceInit(a, b)),
    ]
}

/// Apply `ops` to the reference (two Vecs of item indices), skipping the ones the kernel
/// forbids in that state (adding a linked entry, deleting an unlinked one); return the ops
/// actually applied and the final lists.
fn reference(ops: &[ListOp]) -> (Vec<ListOp>, [Vec<usize>; 2]) {
    let mut lists: [Vec<usize>; 2] = [vec![], vec![]];
    let mut applied = vec![];
    let linked = |lists: &[Vec<usize>; 2], i: usize| lists.iter().any(|l| l.contains(&i));
    for op in ops {
        match *op {
            ListOp::Add(i, h) if !linked(&lists, i) => lists[h].insert(0, i),
            ListOp::AddTail(i, h) if !linked(&lists, i) => lists[h].push(i),
            ListOp::DelInit(i) if linked(&lists, i) => {
                lists.iter_mut().for_each(|l| l.retain(|&x| x != i))
            }
            ListOp::MoveTail(i, h) if linked(&lists, i) => {
                lists.iter_mut().for_each(|l| l.retain(|&x| x != i));
                lists[h].push(i);
            }
            ListOp::SpliceInit(a, b) if a != b => {
                let moved = std::mem::take(&mut lists[a]);
                lists[b].splice(0..0, moved);
            }
            _ => continue,
        }
        applied.push(op.clone());
    }
    (applied, lists)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// list_add / list_add_tail / list_del_init / list_move_tail / list_splice behave as
    /// the same operations on a Vec.
    #[test]
    fn list_ops_match_a_vec(ops in proptest::collection::vec(list_op(), 0..24)) {
        let (applied, expected) = reference(&ops);
        let got = std::sync::Arc::new(std::sync::Mutex::new(None));
        let out = got.clone();
        let r = execute_once(move || {
            let lists = new_lists();
            let items: Vec<Obj<Item>> = (0..4).map(|_| new_item()).collect();
            let g = spin_lock(&lists.lock);
            for op in &applied {
                match *op {
                    ListOp::Add(i, h) => list_add(&items[i].entry, &lists.heads[h]),
                    ListOp::AddTail(i, h) => list_add_tail(&items[i].entry, &lists.heads[h]),
                    ListOp::DelInit(i) => list_del_init(&items[i].entry),
                    ListOp::MoveTail(i, h) => list_move_tail(&items[i].entry, &lists.heads[h]),
                    ListOp::SpliceInit(a, b) => {
                        list_splice(&lists.heads[a], &lists.heads[b]);
                        INIT_LIST_HEAD(&lists.heads[a]); // list_splice_init()
                    }
                }
            }
            let ids = |h: usize| -> Vec<usize> {
                list_for_each_entry::<Item>(&lists.heads[h])
                    .iter()
                    .map(|o| items.iter().position(|x| x.ptr_eq(o)).unwrap())
                    .collect()
            };
            *out.lock().unwrap() = Some([ids(0), ids(1)]);
            let empty = [list_empty(&lists.heads[0]), list_empty(&lists.heads[1])];
            assert_eq!(empty, [ids(0).is_empty(), ids(1).is_empty()]);
            // Unlink before freeing: kfree() of a linked item is FREE_WHILE_LINKED.
            for it in &items { list_del_init(&it.entry); }
            spin_unlock(g);
            for it in &items { kfree(it); }
            kfree(&lists);
        });
        prop_assert!(r.is_ok(), "violation: {:?}", r.err().map(|e| e.0));
        prop_assert_eq!(got.lock().unwrap().clone().unwrap(), expected);
    }

    /// kref counts like an integer; the release runs exactly once, on the put that reaches 0.
    #[test]
    fn kref_counts_like_an_integer(gets in 0usize..6, puts in 0usize..8) {
        let r = execute_once(move || {
            let it = new_item();
            let released = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            for _ in 0..gets { kref_get(&it.kref); }
            let mut expected = 1 + gets as isize;
            for _ in 0..puts.min(1 + gets) {
                let rel = released.clone();
                let hit = kref_put(&it.kref, move || { rel.fetch_add(1, std::sync::atomic::Ordering::Relaxed); });
                expected -= 1;
                assert_eq!(hit, expected == 0);
                assert_eq!(kref_read(&it.kref) as isize, expected);
            }
            let n = released.load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(n, usize::from(expected == 0));
            kfree(&it);
        });
        prop_assert!(r.is_ok(), "{:?}", r.err().map(|e| e.0));
    }

    /// Objects freed in any order, each once, leave no leak and no report.
    #[test]
    fn lifetime_tracking(order in Just((0..5usize).collect::<Vec<_>>()).prop_shuffle()) {
        let r = execute_once(move || {
            let items: Vec<Obj<Item>> = (0..5).map(|_| new_item()).collect();
            for &i in &order { kfree(&items[i]); }
        });
        prop_assert!(r.is_ok(), "{:?}", r.err().map(|e| e.0));
    }
}

fn violation_of(body: impl Fn() + Send + Sync + 'static) -> String {
    match execute_once(body) {
        Ok(_) => "no violation".into(),
        Err((v, _)) => format!("{}: {}", v.invariant, v.message),
    }
}

#[test]
fn kref_get_on_zero_is_addition_on_0() {
    let v = violation_of(|| {
        let it = new_item();
        kref_put(&it.kref, || {});
        kref_get(&it.kref);
    });
    assert!(v.starts_with("REFCOUNT_ADD_ON_ZERO"), "{v}");
}

#[test]
fn kref_put_below_zero_is_underflow() {
    let v = violation_of(|| {
        let it = new_item();
        kref_put(&it.kref, || {});
        kref_put(&it.kref, || {});
    });
    assert!(v.starts_with("REFCOUNT_UNDERFLOW"), "{v}");
}

#[test]
fn kref_get_unless_zero_fails_on_zero() {
    let v = violation_of(|| {
        let it = new_item();
        kref_put(&it.kref, || {});
        assert!(!kref_get_unless_zero(&it.kref));
        kfree(&it);
    });
    assert_eq!(v, "no violation");
}

#[test]
fn use_after_free_and_double_free_and_leak() {
    let uaf = violation_of(|| {
        let it = new_item();
        kfree(&it);
        let _ = kref_read(&it.kref);
    });
    assert!(
        uaf.starts_with("USE_AFTER_FREE: item#1 accessed after kfree(item#1)"),
        "{uaf}"
    );
    let df = violation_of(|| {
        let it = new_item();
        kfree(&it);
        kfree(&it);
    });
    assert!(df.starts_with("DOUBLE_FREE"), "{df}");
    let leak = violation_of(|| {
        let _it = new_item();
    });
    assert!(
        leak.starts_with("LEAK: still allocated when the scenario ended: item#1"),
        "{leak}"
    );
}

#[test]
fn list_del_twice_is_corruption_and_poison_is_an_oops() {
    let v = violation_of(|| {
        let lists = new_lists();
        let it = new_item();
        let g = spin_lock(&lists.lock);
        list_add(&it.entry, &lists.heads[0]);
        list_del(&it.entry);
        list_del(&it.entry);
        spin_unlock(g);
    });
    assert!(
        v.starts_with(
            "LIST_CORRUPTION: list_del(item#1.entry): item#1.entry->next is LIST_POISON1"
        ),
        "{v}"
    );
    let v = violation_of(|| {
        let lists = new_lists();
        let it = new_item();
        let g = spin_lock(&lists.lock);
        list_add(&it.entry, &lists.heads[0]);
        list_del(&it.entry);
        list_add(&lists.heads[1], &it.entry); // adds after a poisoned entry: follows LIST_POISON1
        spin_unlock(g);
    });
    assert!(v.starts_with("OOPS"), "{v}");
}

#[test]
fn on_stack_list_head_dies_with_its_function() {
    let v = violation_of(|| {
        let lists = new_lists();
        let it = new_item();
        {
            let local = StackListHead::new("f", "local", &lists.lock);
            let g = spin_lock(&lists.lock);
            list_add(&it.entry, &local);
            spin_unlock(g);
        } // f() returns with the item still linked to its local list
        let g = spin_lock(&lists.lock);
        list_del(&it.entry);
        spin_unlock(g);
    });
    assert!(
        v.starts_with("LIST_HEAD_UAF: list_del(item#1.entry) touches main:f.local"),
        "{v}"
    );
}

#[test]
fn list_op_without_its_lock_and_lockdep_assert() {
    let v = violation_of(|| {
        let lists = new_lists();
        let it = new_item();
        list_add(&it.entry, &lists.heads[0]);
    });
    assert!(
        v.starts_with(
            "LOCK_NOT_HELD: list_add(item#1.entry) on lists#1.a without holding lists#1.lock"
        ),
        "{v}"
    );
    let v = violation_of(|| {
        let lists = new_lists();
        lockdep_assert_held(&lists.lock);
    });
    assert!(
        v.starts_with("LOCK_NOT_HELD: lockdep_assert_held(lists#1.lock) fails on main"),
        "{v}"
    );
}

#[test]
fn guarded_field_checks_its_lock() {
    let v = violation_of(|| {
        let lists = new_lists();
        let f = Guarded::new("lists#1.count", &lists.lock, 0u32);
        let g = spin_lock(&lists.lock);
        f.write(1);
        spin_unlock(g);
        let _ = f.read();
    });
    assert!(
        v.starts_with("LOCK_NOT_HELD: read of lists#1.count by main without holding lists#1.lock"),
        "{v}"
    );
}

#[test]
fn unlock_after_the_owner_is_freed_is_a_use_after_free() {
    let v = violation_of(|| {
        let lists = new_lists();
        let g = spin_lock(&lists.lock);
        kfree(&lists);
        spin_unlock(g);
    });
    assert!(
        v.contains("spin_unlock(lists#1.lock) after lists#1 was freed"),
        "{v}"
    );
}

#[test]
fn warn_and_bug() {
    assert!(violation_of(|| {
        WARN_ON(true, "x != y");
    })
    .starts_with("WARN: WARN_ON(x != y)"));
    assert!(violation_of(|| BUG_ON(true, "x")).starts_with("BUG: BUG_ON(x)"));
    assert_eq!(
        violation_of(|| {
            WARN_ON(false, "x");
        }),
        "no violation"
    );
}

#[test]
fn lockdep_reports_an_inversion_without_a_deadlock() {
    let v = violation_of(|| {
        let a = new_lists();
        // Two spinlocks: a mutex under a spinlock would be SLEEP_IN_ATOMIC first (kernel/sched.rs).
        let b = kzalloc("other", |id, name| SpinLock::new(id, name, "lock"));
        let ga = spin_lock(&a.lock);
        let gb = spin_lock(&b);
        spin_unlock(gb);
        spin_unlock(ga);
        // The other order, later, on the same CPU: no deadlock is possible here, lockdep
        // reports it all the same.
        let gb = spin_lock(&b);
        let ga = spin_lock(&a.lock);
        spin_unlock(ga);
        spin_unlock(gb);
    });
    assert!(
        v.starts_with(
            "LOCK_ORDER: possible circular locking dependency: main takes lists#1.lock (lists.lock) while holding other#1.lock (other.lock); earlier main took other#1.lock while holding lists#1.lock"
        ),
        "{v}"
    );
}

#[test]
fn lockdep_allows_nesting_one_class() {
    let v = violation_of(|| {
        let a = kzalloc("gem", |id, name| KMutex::new(id, name, "resv"));
        let b = kzalloc("gem", |id, name| KMutex::new(id, name, "resv"));
        let ga = mutex_lock(&a);
        let gb = mutex_lock(&b);
        mutex_unlock(gb);
        mutex_unlock(ga);
        let gb = mutex_lock(&b);
        let ga = mutex_lock(&a);
        mutex_unlock(ga);
        mutex_unlock(gb);
        kfree(&a);
        kfree(&b);
    });
    assert_eq!(v, "no violation");
}

/// A model object with a kref, a mutex and an llist node (a vm_bo with its GEM lock, say).
struct Deferred {
    kref: Kref,
    lock: KMutex,
    node: LlistNode,
}

fn new_deferred() -> Obj<Deferred> {
    kzalloc("dobj", |id, name| Deferred {
        kref: Kref::new(name),
        lock: KMutex::new(id, name, "lock"),
        node: LlistNode::new(id, name, "node"),
    })
}

proptest! {
    /// `kref_put_mutex` counts like `kref_put`; only the drop to 0 runs the release, with
    /// the mutex held, and the mutex is free again afterwards either way.
    #[test]
    fn kref_put_mutex_counts_and_locks_only_at_zero(gets in 0usize..5) {
        let r = execute_once(move || {
            let d = new_deferred();
            for _ in 0..gets { kref_get(&d.kref); }
            for left in (0..=gets).rev() {
                let hit = kref_put_mutex(&d.kref, |g| {
                    lockdep_assert_held(&d.lock);
                    mutex_unlock(g);
                }, &d.lock);
                assert_eq!(hit, left == 0);
                assert_eq!(kref_read(&d.kref), left);
                let g = mutex_trylock(&d.lock).expect("the mutex is free after kref_put_mutex");
                mutex_unlock(g);
            }
            kfree(&d);
        });
        prop_assert!(r.is_ok(), "{:?}", r.err().map(|e| e.0));
    }

    /// `llist_del_all` returns every added node once, newest first, and empties the list.
    #[test]
    fn llist_is_a_lifo_of_every_add(n in 0usize..6) {
        let r = execute_once(move || {
            let head = LlistHead::new("test", "head");
            let items: Vec<_> = (0..n).map(|_| new_deferred()).collect();
            for (i, it) in items.iter().enumerate() {
                assert_eq!(llist_add(&it.node, &head), i == 0);
            }
            assert_eq!(llist_empty(&head), n == 0);
            let got = llist_del_all::<Deferred>(&head, |d| &d.node);
            let want: Vec<_> = items.iter().rev().map(|o| o.id()).collect();
            assert_eq!(got.iter().map(|o| o.id()).collect::<Vec<_>>(), want);
            assert!(llist_empty(&head));
            assert!(llist_del_all::<Deferred>(&head, |d| &d.node).is_empty());
            for it in &items { kfree(it); }
        });
        prop_assert!(r.is_ok(), "{:?}", r.err().map(|e| e.0));
    }
}

#[test]
fn kref_put_mutex_below_zero_is_underflow() {
    let v = violation_of(|| {
        let d = new_deferred();
        kref_put_mutex(&d.kref, mutex_unlock, &d.lock);
        kref_put_mutex(&d.kref, mutex_unlock, &d.lock);
    });
    assert!(
        v.starts_with("REFCOUNT_UNDERFLOW: kref_put_mutex(dobj#1) from 0"),
        "{v}"
    );
}

#[test]
fn llist_add_of_a_freed_node_is_a_use_after_free() {
    let v = violation_of(|| {
        let head = LlistHead::new("test", "head");
        let d = new_deferred();
        kfree(&d);
        llist_add(&d.node, &head);
    });
    assert!(
        v.starts_with("USE_AFTER_FREE: dobj#1 accessed after kfree(dobj#1)"),
        "{v}"
    );
}

/// Calibration of the cycle check in `llist_del_all`: a node added twice points to itself,
/// and the kernel's walk never ends. Without the check this test never ends either (the walk
/// loops, growing its batch until memory runs out).
#[test]
fn llist_add_of_a_node_already_on_the_list_is_a_cycle() {
    let v = violation_of(|| {
        let head = LlistHead::new("test", "head");
        let d = new_deferred();
        llist_add(&d.node, &head);
        llist_add(&d.node, &head);
        let _ = llist_del_all::<Deferred>(&head, |d| &d.node);
    });
    assert!(
        v.starts_with(
            "LIST_CORRUPTION: llist_del_all(test.head) walks a cycle: dobj#1 follows itself"
        ),
        "{v}"
    );
}
