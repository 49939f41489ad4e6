//! The kernel's own litmus tests, every one: tools/memory-model/litmus-tests/*.litmus and
//! Documentation/litmus-tests/{atomic,locking,rcu}/*.litmus of Linux v6.12, each transcribed
//! as a scenario named as the test, one scheduling point per line, each line commented with
//! the litmus statement it stands for. Each scenario's expected result is the test's
//! `Result:` line, which herd7 confirms on the test's original text, its *twin*
//! ([`KERNEL_SUITE`] links them by name; tests/herd7_calibration.rs runs herd7 on every twin).
//! Where loom's C11 answer differs, the scenario says so with a named reason
//! ([`checker::scenario::c11`]): loom must then find C11's answer, and the LKMM's is kept.
//!
//! Four of the tests were already ported in `lib.rs` (`MP+poonceonces`,
//! `MP+pooncerelease+poacquireonce`, `SB+poonceonces`, `SB+fencembonceonces`); they are
//! part of the suite as they are.
//!
//! A test's registers live in a ghost map (the litmus `exists` clause reads them after every
//! CPU finished); its shared variables are [`AtomicT`]s of one object `mem`, named as in the
//! test; its final memory values (`x=2` in a clause) are read after the joins.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex as StdMutex};

use checker::kernel::{
    atomic_add_unless, atomic_inc, atomic_inc_return, atomic_read, atomic_set, cmpxchg, cpu_relax,
    kfree, kmem_cache_alloc, kmem_cache_free, kzalloc, rcu_assign_pointer, rcu_dereference,
    rcu_read_lock, rcu_read_unlock, smp_load_acquire, smp_mb, smp_mb__after_atomic,
    smp_mb__after_spinlock, smp_rmb, smp_store_release, smp_wmb, spin_is_locked, spin_lock,
    spin_unlock, synchronize_rcu, AtomicT, KmemCache, Obj, RcuPointer, SlabPtr, SpinLock,
    RCU_INIT_POINTER, READ_ONCE, WRITE_ONCE,
};
use checker::scenario;
use checker::scenario::c11::{NO_LOAD_BUFFERING, UNLOCK_LOCK_WEAKER};
use checker::scenario::{check, join, spawn_cpu, witness_if, Cpu, Expected, Scenario};

use crate::invariants::*;

/// A test's shared memory: its variables and locks, by their names in the test.
pub struct Mem {
    vars: Vec<(&'static str, AtomicT)>,
    locks: Vec<(&'static str, SpinLock)>,
}

impl Mem {
    /// The variable `name` (`*x` in the test).
    fn var(&self, name: &str) -> &AtomicT {
        &self
            .vars
            .iter()
            .find(|(n, _)| *n == name)
            .expect("declared")
            .1
    }
    /// The spinlock `name`.
    fn lock(&self, name: &str) -> &SpinLock {
        &self
            .locks
            .iter()
            .find(|(n, _)| *n == name)
            .expect("declared")
            .1
    }
}

/// The CPUs' registers (`1:r0`), ghost state read by the `exists` clause. A register never
/// set is 0, as in herd7.
#[derive(Clone, Default)]
struct Regs(Arc<StdMutex<BTreeMap<&'static str, isize>>>);

impl Regs {
    fn set(&self, reg: &'static str, v: isize) {
        self.0.lock().unwrap().insert(reg, v);
    }
}

/// The final state the `exists` clause is evaluated on.
struct Final {
    regs: BTreeMap<&'static str, isize>,
    mem: BTreeMap<&'static str, isize>,
}

impl Final {
    /// Register `reg` (`"1:r0"`).
    fn r(&self, reg: &str) -> isize {
        self.regs.get(reg).copied().unwrap_or(0)
    }
    /// The final value of variable `var`.
    fn m(&self, var: &str) -> isize {
        self.mem[var]
    }

    /// Whether one conjunct of a clause (`1:r0=1`, `x=2`) holds.
    fn conjunct_holds(&self, conjunct: &str) -> bool {
        let (loc, v) = conjunct.split_once('=').expect("a conjunct is LOC=VALUE");
        let v: isize = v.trim().parse().expect("an integer value");
        let loc = loc.trim();
        if loc.contains(':') {
            self.r(loc) == v
        } else {
            self.m(loc) == v
        }
    }

    /// Report [`LKMM_CONJUNCTS`]`[k]` for each conjunct `k` of `clause` that holds, for a
    /// clause `exists (A /\ B /\ ...)` without `\/` or `filter` (ghost: no scheduling point).
    fn witness_conjuncts(&self, clause: &str) {
        let Some(body) = clause
            .strip_prefix("exists (")
            .and_then(|c| c.strip_suffix(')'))
        else {
            return;
        };
        if body.contains("\\/") {
            return;
        }
        for (c, w) in body.split("/\\").zip(LKMM_CONJUNCTS.iter()) {
            witness_if(self.conjunct_holds(c), w);
        }
    }
}

/// One run of a litmus test: its memory, registers and CPUs.
struct Test {
    m: Obj<Mem>,
    regs: Regs,
    cpus: Vec<Cpu>,
}

impl Test {
    /// The test's init block: `vars` with their initial values, `locks` unlocked.
    fn new(vars: &[(&'static str, isize)], locks: &[&'static str]) -> Test {
        let m = kzalloc("mem", |id, n| Mem {
            vars: vars
                .iter()
                .map(|&(v, i)| (v, AtomicT::new(n, v, i)))
                .collect(),
            locks: locks
                .iter()
                .map(|&l| (l, SpinLock::new_observable(id, n, l)))
                .collect(),
        });
        Test {
            m,
            regs: Regs::default(),
            cpus: Vec::new(),
        }
    }

    /// The next CPU (P0, P1, ...).
    fn cpu(&mut self, f: impl FnOnce(&Mem, &Regs) + Send + 'static) {
        let (m, r) = (self.m.clone(), self.regs.clone());
        self.cpus.push(spawn_cpu(move || f(&m, &r)));
    }

    /// Wait for every CPU, then judge the test's `exists` clause (`filter`ed first where the
    /// test has a `filter`). A clause of conjuncts only also reports which of them hold
    /// ([`LKMM_CONJUNCTS`], in the order written).
    fn exists(self, clause: &'static str, holds: impl Fn(&Final) -> bool) {
        for c in self.cpus {
            join(c);
        }
        let mem = self
            .m
            .vars
            .iter()
            .map(|(n, v)| (*n, READ_ONCE(v))) // (final state: after the joins, the last store)
            .collect();
        let f = Final {
            regs: self.regs.0.lock().unwrap().clone(),
            mem,
        };
        f.witness_conjuncts(clause);
        check(!holds(&f), &LKMM_EXISTS, || {
            let regs: Vec<String> = f.regs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let mem: Vec<String> = f.mem.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "{clause} holds: {} with final {}",
                regs.join(" "),
                mem.join(" ")
            )
        });
        kfree(&self.m);
    }
}

// ---------------------------------------------------------------------------------------
// tools/memory-model/litmus-tests (v6.12)

/// CoRR+poonceonce+Once.litmus
fn corr_poonceonce_once() {
    let mut t = Test::new(&[("x", 0)], &[]);
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.cpu(|m, r| {
        r.set("1:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
        r.set("1:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
    });
    t.exists("exists (1:r0=1 /\\ 1:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("1:r1") == 0
    });
}

/// CoRW+poonceonce+Once.litmus
fn corw_poonceonce_once() {
    let mut t = Test::new(&[("x", 0)], &[]);
    t.cpu(|m, r| {
        r.set("0:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("x"), 2); // WRITE_ONCE(*x, 2);
    });
    t.exists("exists (x=2 /\\ 0:r0=2)", |f| {
        f.m("x") == 2 && f.r("0:r0") == 2
    });
}

/// CoWR+poonceonce+Once.litmus
fn cowr_poonceonce_once() {
    let mut t = Test::new(&[("x", 0)], &[]);
    t.cpu(|m, r| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        r.set("0:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
    });
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("x"), 2); // WRITE_ONCE(*x, 2);
    });
    t.exists("exists (x=1 /\\ 0:r0=2)", |f| {
        f.m("x") == 1 && f.r("0:r0") == 2
    });
}

/// CoWW+poonceonce.litmus. `MODEL:` the test has one CPU; shuttle's PCT scheduler refuses a
/// test with no scheduling choice, so the main thread yields once after spawning P0 (no
/// memory access: it only gives the explorers a choice of who runs first).
fn coww_poonceonce() {
    let mut t = Test::new(&[("x", 0)], &[]);
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        WRITE_ONCE(m.var("x"), 2); // WRITE_ONCE(*x, 2);
    });
    cpu_relax(); // MODEL: (a scheduling choice for PCT)
    t.exists("exists (x=1)", |f| {
        witness_if(f.m("x") == 2, &COWW_SECOND_STORE_LAST);
        f.m("x") == 1
    });
}

/// IRIW+fencembonceonces+OnceOnce.litmus (`mb`) and IRIW+poonceonces+OnceOnce.litmus.
fn iriw(mb: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.cpu(move |m, r| {
        r.set("1:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
        if mb {
            smp_mb(); // smp_mb();
        }
        r.set("1:r1", READ_ONCE(m.var("y"))); // r1 = READ_ONCE(*y);
    });
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
    });
    t.cpu(move |m, r| {
        r.set("3:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
        if mb {
            smp_mb(); // smp_mb();
        }
        r.set("3:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
    });
    t.exists("exists (1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("1:r1") == 0 && f.r("3:r0") == 1 && f.r("3:r1") == 0
    });
}
fn iriw_fencembonceonces_onceonce() {
    iriw(true)
}
fn iriw_poonceonces_onceonce() {
    iriw(false)
}

/// ISA2+pooncelock+pooncelock+pombonce.litmus
fn isa2_pooncelock_pooncelock_pombonce() {
    let mut t = Test::new(&[("x", 0), ("y", 0), ("z", 0)], &["mylock"]);
    t.cpu(|m, _| {
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        spin_unlock(g); // spin_unlock(mylock);
    });
    t.cpu(|m, r| {
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        r.set("1:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
        WRITE_ONCE(m.var("z"), 1); // WRITE_ONCE(*z, 1);
        spin_unlock(g); // spin_unlock(mylock);
    });
    t.cpu(|m, r| {
        r.set("2:r2", READ_ONCE(m.var("z"))); // r2 = READ_ONCE(*z);
        smp_mb(); // smp_mb();
        r.set("2:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
    });
    t.exists("exists (1:r0=1 /\\ 2:r2=1 /\\ 2:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("2:r2") == 1 && f.r("2:r1") == 0
    });
}

/// ISA2+poonceonces.litmus (`release_acquire` false) and
/// ISA2+pooncerelease+poacquirerelease+poacquireonce.litmus (true).
fn isa2(release_acquire: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0), ("z", 0)], &[]);
    t.cpu(move |m, _| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        if release_acquire {
            smp_store_release(m.var("y"), 1); // smp_store_release(y, 1);
        } else {
            WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        }
    });
    t.cpu(move |m, r| {
        if release_acquire {
            r.set("1:r0", smp_load_acquire(m.var("y"))); // r0 = smp_load_acquire(y);
            smp_store_release(m.var("z"), 1); // smp_store_release(z, 1);
        } else {
            r.set("1:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
            WRITE_ONCE(m.var("z"), 1); // WRITE_ONCE(*z, 1);
        }
    });
    t.cpu(move |m, r| {
        if release_acquire {
            r.set("2:r0", smp_load_acquire(m.var("z"))); // r0 = smp_load_acquire(z);
        } else {
            r.set("2:r0", READ_ONCE(m.var("z"))); // r0 = READ_ONCE(*z);
        }
        r.set("2:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
    });
    t.exists("exists (1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("2:r0") == 1 && f.r("2:r1") == 0
    });
}
fn isa2_poonceonces() {
    isa2(false)
}
fn isa2_pooncerelease_poacquirerelease_poacquireonce() {
    isa2(true)
}

/// LB+fencembonceonce+ctrlonceonce.litmus
fn lb_fencembonceonce_ctrlonceonce() {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(|m, r| {
        let r0 = READ_ONCE(m.var("x")); // r0 = READ_ONCE(*x);
        r.set("0:r0", r0);
        if r0 != 0 {
            // if (r0)
            WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        }
    });
    t.cpu(|m, r| {
        r.set("1:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
        smp_mb(); // smp_mb();
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.exists("exists (0:r0=1 /\\ 1:r0=1)", |f| {
        f.r("0:r0") == 1 && f.r("1:r0") == 1
    });
}

/// LB+poacquireonce+pooncerelease.litmus (`release_acquire`) and LB+poonceonces.litmus.
fn lb(release_acquire: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(move |m, r| {
        r.set("0:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
        if release_acquire {
            smp_store_release(m.var("y"), 1); // smp_store_release(y, 1);
        } else {
            WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        }
    });
    t.cpu(move |m, r| {
        if release_acquire {
            r.set("1:r0", smp_load_acquire(m.var("y"))); // r0 = smp_load_acquire(y);
        } else {
            r.set("1:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
        }
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.exists("exists (0:r0=1 /\\ 1:r0=1)", |f| {
        f.r("0:r0") == 1 && f.r("1:r0") == 1
    });
}
fn lb_poacquireonce_pooncerelease() {
    lb(true)
}
fn lb_poonceonces() {
    lb(false)
}

/// LB+unlocklockonceonce+poacquireonce.litmus
fn lb_unlocklockonceonce_poacquireonce() {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &["s", "t"]);
    t.cpu(|m, r| {
        let g = spin_lock(m.lock("s")); // spin_lock(s);
        r.set("0:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
        spin_unlock(g); // spin_unlock(s);
        let g = spin_lock(m.lock("t")); // spin_lock(t);
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        spin_unlock(g); // spin_unlock(t);
    });
    t.cpu(|m, r| {
        r.set("1:r2", smp_load_acquire(m.var("y"))); // r2 = smp_load_acquire(y);
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.exists("exists (0:r1=1 /\\ 1:r2=1)", |f| {
        f.r("0:r1") == 1 && f.r("1:r2") == 1
    });
}

/// MP+fencewmbonceonce+fencermbonceonce.litmus
fn mp_fencewmbonceonce_fencermbonceonce() {
    let mut t = Test::new(&[("buf", 0), ("flag", 0)], &[]);
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("buf"), 1); // WRITE_ONCE(*buf, 1);
        smp_wmb(); // smp_wmb();
        WRITE_ONCE(m.var("flag"), 1); // WRITE_ONCE(*flag, 1);
    });
    t.cpu(|m, r| {
        r.set("1:r0", READ_ONCE(m.var("flag"))); // r0 = READ_ONCE(*flag);
        smp_rmb(); // smp_rmb();
        r.set("1:r1", READ_ONCE(m.var("buf"))); // r1 = READ_ONCE(*buf);
    });
    t.exists("exists (1:r0=1 /\\ 1:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("1:r1") == 0
    });
}

/// The `int` variables an RCU test points to: a cache of [`AtomicT`]s (x, y, z in the test).
fn ints() -> KmemCache<AtomicT> {
    KmemCache::new("int", "int", |n| AtomicT::new(n, "val", 0))
}

/// An `int` of `ints()` named `name` in the registers, initialised to `v`.
fn int(cache: &KmemCache<AtomicT>, v: isize) -> SlabPtr<AtomicT> {
    let p = kmem_cache_alloc(cache);
    if v != 0 {
        WRITE_ONCE(&p, v); // (init block)
    }
    p
}

/// MP+onceassign+derefonce.litmus: `p` first points to `y`; P0 publishes `x`.
/// `MODEL:` `x` and `y` are `int`s of a cache (RCU pointers point into cache memory here).
fn mp_onceassign_derefonce() {
    let cache = ints();
    let x = int(&cache, 0);
    let y = int(&cache, 0);
    let p = Arc::new(RcuPointer::new("mem", "p", &cache));
    RCU_INIT_POINTER(&p, Some(&y)); // { p=y; }
    let regs = Regs::default();
    let p0 = {
        let (p, x) = (p.clone(), x.clone());
        spawn_cpu(move || {
            WRITE_ONCE(&x, 1); // WRITE_ONCE(*x, 1);
            rcu_assign_pointer(&p, Some(&x)); // rcu_assign_pointer(*p, x);
        })
    };
    let p1 = {
        let (p, r) = (p.clone(), regs.clone());
        spawn_cpu(move || {
            rcu_read_lock(); // rcu_read_lock();
            let r0 = rcu_dereference(&p).expect("p is never NULL"); // r0 = rcu_dereference(*p);
            r.set("1:r0", r0.slot() as isize);
            r.set("1:r1", READ_ONCE(&r0)); // r1 = READ_ONCE(*r0);
            rcu_read_unlock(); // rcu_read_unlock();
        })
    };
    join(p0);
    join(p1);
    let f = regs.0.lock().unwrap().clone();
    let (r0, r1) = (f.get("1:r0").copied(), f.get("1:r1").copied());
    witness_if(r0 == Some(x.slot() as isize), &RCU_DEREF_SEES_ASSIGN);
    witness_if(r1 == Some(0), &LKMM_CONJUNCT_2);
    check(
        !(r0 == Some(x.slot() as isize) && r1 == Some(0)),
        &LKMM_EXISTS,
        || "exists (1:r0=x /\\ 1:r1=0) holds: P1 dereferenced x and read 0".to_string(),
    );
    kmem_cache_free(&x);
    kmem_cache_free(&y);
}

/// MP+polockmbonce+poacquiresilsil.litmus (`mb`) and MP+polockonce+poacquiresilsil.litmus.
fn mp_polock_poacquiresilsil(mb: bool) {
    let mut t = Test::new(&[("x", 0)], &["lo"]);
    t.cpu(move |m, _| {
        let g = spin_lock(m.lock("lo")); // spin_lock(lo);
        if mb {
            smp_mb__after_spinlock(); // smp_mb__after_spinlock();
        }
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        spin_unlock(g); // spin_unlock(lo);
    });
    t.cpu(|m, r| {
        r.set("1:r1", smp_load_acquire(m.var("x"))); // r1 = smp_load_acquire(x);
        r.set("1:r2", spin_is_locked(m.lock("lo")).into()); // r2 = spin_is_locked(lo);
        r.set("1:r3", spin_is_locked(m.lock("lo")).into()); // r3 = spin_is_locked(lo);
    });
    t.exists("exists (1:r1=1 /\\ 1:r2=0 /\\ 1:r3=1)", |f| {
        f.r("1:r1") == 1 && f.r("1:r2") == 0 && f.r("1:r3") == 1
    });
}
fn mp_polockmbonce_poacquiresilsil() {
    mp_polock_poacquiresilsil(true)
}
fn mp_polockonce_poacquiresilsil() {
    mp_polock_poacquiresilsil(false)
}

/// MP+polocks.litmus
fn mp_polocks() {
    let mut t = Test::new(&[("buf", 0), ("flag", 0)], &["mylock"]);
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("buf"), 1); // WRITE_ONCE(*buf, 1);
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        WRITE_ONCE(m.var("flag"), 1); // WRITE_ONCE(*flag, 1);
        spin_unlock(g); // spin_unlock(mylock);
    });
    t.cpu(|m, r| {
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        r.set("1:r0", READ_ONCE(m.var("flag"))); // r0 = READ_ONCE(*flag);
        spin_unlock(g); // spin_unlock(mylock);
        r.set("1:r1", READ_ONCE(m.var("buf"))); // r1 = READ_ONCE(*buf);
    });
    t.exists("exists (1:r0=1 /\\ 1:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("1:r1") == 0
    });
}

/// MP+porevlocks.litmus
fn mp_porevlocks() {
    let mut t = Test::new(&[("buf", 0), ("flag", 0)], &["mylock"]);
    t.cpu(|m, r| {
        r.set("0:r0", READ_ONCE(m.var("flag"))); // r0 = READ_ONCE(*flag);
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        r.set("0:r1", READ_ONCE(m.var("buf"))); // r1 = READ_ONCE(*buf);
        spin_unlock(g); // spin_unlock(mylock);
    });
    t.cpu(|m, _| {
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        WRITE_ONCE(m.var("buf"), 1); // WRITE_ONCE(*buf, 1);
        spin_unlock(g); // spin_unlock(mylock);
        WRITE_ONCE(m.var("flag"), 1); // WRITE_ONCE(*flag, 1);
    });
    t.exists("exists (0:r0=1 /\\ 0:r1=0)", |f| {
        f.r("0:r0") == 1 && f.r("0:r1") == 0
    });
}

/// MP+unlocklockonceonce+fencermbonceonce.litmus
fn mp_unlocklockonceonce_fencermbonceonce() {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &["s", "t"]);
    t.cpu(|m, _| {
        let g = spin_lock(m.lock("s")); // spin_lock(s);
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        spin_unlock(g); // spin_unlock(s);
        let g = spin_lock(m.lock("t")); // spin_lock(t);
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        spin_unlock(g); // spin_unlock(t);
    });
    t.cpu(|m, r| {
        r.set("1:r1", READ_ONCE(m.var("y"))); // r1 = READ_ONCE(*y);
        smp_rmb(); // smp_rmb();
        r.set("1:r2", READ_ONCE(m.var("x"))); // r2 = READ_ONCE(*x);
    });
    t.exists("exists (1:r1=1 /\\ 1:r2=0)", |f| {
        f.r("1:r1") == 1 && f.r("1:r2") == 0
    });
}

/// R+fencembonceonces.litmus (`mb`) and R+poonceonces.litmus.
fn r(mb: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(move |m, _| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        if mb {
            smp_mb(); // smp_mb();
        }
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
    });
    t.cpu(move |m, r| {
        WRITE_ONCE(m.var("y"), 2); // WRITE_ONCE(*y, 2);
        if mb {
            smp_mb(); // smp_mb();
        }
        r.set("1:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
    });
    t.exists("exists (y=2 /\\ 1:r0=0)", |f| {
        f.m("y") == 2 && f.r("1:r0") == 0
    });
}
fn r_fencembonceonces() {
    r(true)
}
fn r_poonceonces() {
    r(false)
}

/// S+fencewmbonceonce+poacquireonce.litmus (`ordered`) and S+poonceonces.litmus.
fn s(ordered: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(move |m, _| {
        WRITE_ONCE(m.var("x"), 2); // WRITE_ONCE(*x, 2);
        if ordered {
            smp_wmb(); // smp_wmb();
        }
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
    });
    t.cpu(move |m, r| {
        if ordered {
            r.set("1:r0", smp_load_acquire(m.var("y"))); // r0 = smp_load_acquire(y);
        } else {
            r.set("1:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
        }
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.exists("exists (x=2 /\\ 1:r0=1)", |f| {
        f.m("x") == 2 && f.r("1:r0") == 1
    });
}
fn s_fencewmbonceonce_poacquireonce() {
    s(true)
}
fn s_poonceonces() {
    s(false)
}

/// SB+rfionceonce-poonceonces.litmus
fn sb_rfionceonce_poonceonces() {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(|m, r| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        r.set("0:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
        r.set("0:r2", READ_ONCE(m.var("y"))); // r2 = READ_ONCE(*y);
    });
    t.cpu(|m, r| {
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        r.set("1:r3", READ_ONCE(m.var("y"))); // r3 = READ_ONCE(*y);
        r.set("1:r4", READ_ONCE(m.var("x"))); // r4 = READ_ONCE(*x);
    });
    t.exists("exists (0:r2=0 /\\ 1:r4=0)", |f| {
        f.r("0:r2") == 0 && f.r("1:r4") == 0
    });
}

/// WRC+poonceonces+Once.litmus and WRC+pooncerelease+fencermbonceonce+Once.litmus
/// (`ordered`).
fn wrc(ordered: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.cpu(move |m, r| {
        r.set("1:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
        if ordered {
            smp_store_release(m.var("y"), 1); // smp_store_release(y, 1);
        } else {
            WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        }
    });
    t.cpu(move |m, r| {
        r.set("2:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
        if ordered {
            smp_rmb(); // smp_rmb();
        }
        r.set("2:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
    });
    t.exists("exists (1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("2:r0") == 1 && f.r("2:r1") == 0
    });
}
fn wrc_poonceonces_once() {
    wrc(false)
}
fn wrc_pooncerelease_fencermbonceonce_once() {
    wrc(true)
}

/// Z6.0+pooncelock+poonceLock+pombonce.litmus (`after_spinlock`) and
/// Z6.0+pooncelock+pooncelock+pombonce.litmus.
fn z6_locks(after_spinlock: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0), ("z", 0)], &["mylock"]);
    t.cpu(|m, _| {
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        spin_unlock(g); // spin_unlock(mylock);
    });
    t.cpu(move |m, r| {
        let g = spin_lock(m.lock("mylock")); // spin_lock(mylock);
        if after_spinlock {
            smp_mb__after_spinlock(); // smp_mb__after_spinlock();
        }
        r.set("1:r0", READ_ONCE(m.var("y"))); // r0 = READ_ONCE(*y);
        WRITE_ONCE(m.var("z"), 1); // WRITE_ONCE(*z, 1);
        spin_unlock(g); // spin_unlock(mylock);
    });
    t.cpu(|m, r| {
        WRITE_ONCE(m.var("z"), 2); // WRITE_ONCE(*z, 2);
        smp_mb(); // smp_mb();
        r.set("2:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
    });
    t.exists("exists (1:r0=1 /\\ z=2 /\\ 2:r1=0)", |f| {
        f.r("1:r0") == 1 && f.m("z") == 2 && f.r("2:r1") == 0
    });
}
fn z6_pooncelock_poonce_lock_pombonce() {
    z6_locks(true)
}
fn z6_pooncelock_pooncelock_pombonce() {
    z6_locks(false)
}

/// Z6.0+pooncerelease+poacquirerelease+fencembonceonce.litmus
fn z6_pooncerelease_poacquirerelease_fencembonceonce() {
    let mut t = Test::new(&[("x", 0), ("y", 0), ("z", 0)], &[]);
    t.cpu(|m, _| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        smp_store_release(m.var("y"), 1); // smp_store_release(y, 1);
    });
    t.cpu(|m, r| {
        r.set("1:r0", smp_load_acquire(m.var("y"))); // r0 = smp_load_acquire(y);
        smp_store_release(m.var("z"), 1); // smp_store_release(z, 1);
    });
    t.cpu(|m, r| {
        WRITE_ONCE(m.var("z"), 2); // WRITE_ONCE(*z, 2);
        smp_mb(); // smp_mb();
        r.set("2:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
    });
    t.exists("exists (1:r0=1 /\\ z=2 /\\ 2:r1=0)", |f| {
        f.r("1:r0") == 1 && f.m("z") == 2 && f.r("2:r1") == 0
    });
}

/// dep+plain.litmus. `MODEL:` `*z1` and `*z2` are plain accesses that only P0 makes: CPU-local
/// values here.
fn dep_plain() {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    // Ghost (no scheduling point): P1's store to x has happened.
    let p1_stored = Arc::new(AtomicBool::new(false));
    let stored = p1_stored.clone();
    t.cpu(move |m, _| {
        let a = READ_ONCE(m.var("x")); // int a = READ_ONCE(*x);
        witness_if(stored.load(Relaxed), &DEP_PLAIN_READ_AFTER_STORE);
        let z1 = a; // *z1 = a;
        let z2 = z1; // *z2 = *z1;
        if z2 == 1 {
            // if (*z2 == 1)
            WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        }
    });
    t.cpu(move |m, _| {
        let r = smp_load_acquire(m.var("y")); // int r = smp_load_acquire(y);
        smp_store_release(m.var("x"), r); // smp_store_release(x, r);
        p1_stored.store(true, Relaxed);
    });
    t.exists("exists (x=1 /\\ y=1)", |f| f.m("x") == 1 && f.m("y") == 1);
}

// ---------------------------------------------------------------------------------------
// Documentation/litmus-tests/atomic (v6.12)

/// Atomic-RMW+mb__after_atomic-is-stronger-than-acquire.litmus
fn atomic_rmw_mb_after_atomic_is_stronger_than_acquire() {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(|m, r| {
        r.set("0:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
        smp_rmb(); // smp_rmb();
        r.set("0:r1", atomic_read(m.var("y"))); // r1 = atomic_read(y);
    });
    t.cpu(|m, _| {
        atomic_inc(m.var("y")); // atomic_inc(y);
        smp_mb__after_atomic(); // smp_mb__after_atomic();
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
    });
    t.exists("exists (0:r0=1 /\\ 0:r1=0)", |f| {
        f.r("0:r0") == 1 && f.r("0:r1") == 0
    });
}

/// Atomic-RMW-ops-are-atomic-WRT-atomic_set.litmus
fn atomic_rmw_ops_are_atomic_wrt_atomic_set() {
    let mut t = Test::new(&[("v", 1)], &[]);
    t.cpu(|m, _| {
        let added = atomic_add_unless(m.var("v"), 1, 0); // (void)atomic_add_unless(v, 1, 0);
        witness_if(!added, &ADD_UNLESS_SEES_SET);
        witness_if(added, &ADD_UNLESS_ADDS);
    });
    t.cpu(|m, _| {
        atomic_set(m.var("v"), 0); // atomic_set(v, 0);
    });
    t.exists("exists (v=2)", |f| f.m("v") == 2);
}

/// cmpxchg-fail-ordered-1.litmus (`mb`) and cmpxchg-fail-unordered-1.litmus.
fn cmpxchg_fail_1(mb: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0), ("z", 0)], &[]);
    for (me, other, reg_r0, reg_r1) in [("x", "y", "0:r0", "0:r1"), ("y", "x", "1:r0", "1:r1")] {
        t.cpu(move |m, r| {
            WRITE_ONCE(m.var(me), 1); // WRITE_ONCE(*x, 1);
            r.set(reg_r1, cmpxchg(m.var("z"), 1, 0)); // r1 = cmpxchg(z, 1, 0);
            if mb {
                smp_mb__after_atomic(); // smp_mb__after_atomic();
            }
            r.set(reg_r0, READ_ONCE(m.var(other))); // r0 = READ_ONCE(*y);
        });
    }
    t.exists("exists (0:r0=0 /\\ 1:r0=0)", |f| {
        f.r("0:r0") == 0 && f.r("1:r0") == 0
    });
}
fn cmpxchg_fail_ordered_1() {
    cmpxchg_fail_1(true)
}
fn cmpxchg_fail_unordered_1() {
    cmpxchg_fail_1(false)
}

/// cmpxchg-fail-ordered-2.litmus (`mb`) and cmpxchg-fail-unordered-2.litmus.
fn cmpxchg_fail_2(mb: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(|m, r| {
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        r.set("0:r1", cmpxchg(m.var("y"), 0, 1)); // r1 = cmpxchg(y, 0, 1);
    });
    t.cpu(move |m, r| {
        r.set("1:r1", cmpxchg(m.var("y"), 0, 1)); // r1 = cmpxchg(y, 0, 1);
        if mb {
            smp_mb__after_atomic(); // smp_mb__after_atomic();
        }
        r.set("1:r2", READ_ONCE(m.var("x"))); // r2 = READ_ONCE(*x);
    });
    t.exists("exists (0:r1=0 /\\ 1:r1=1 /\\ 1:r2=0)", |f| {
        f.r("0:r1") == 0 && f.r("1:r1") == 1 && f.r("1:r2") == 0
    });
}
fn cmpxchg_fail_ordered_2() {
    cmpxchg_fail_2(true)
}
fn cmpxchg_fail_unordered_2() {
    cmpxchg_fail_2(false)
}

// ---------------------------------------------------------------------------------------
// Documentation/litmus-tests/locking (v6.12)

/// DCL-broken.litmus and DCL-fixed.litmus (`fixed`): double-checked locking.
fn dcl(fixed: bool) {
    let mut t = Test::new(&[("flag", 0), ("data", 0)], &["lck"]);
    for (r0, r1, r2) in [("0:r0", "0:r1", "0:r2"), ("1:r0", "1:r1", "1:r2")] {
        t.cpu(move |m, r| {
            let v0 = if fixed {
                smp_load_acquire(m.var("flag")) // r0 = smp_load_acquire(flag);
            } else {
                READ_ONCE(m.var("flag")) // r0 = READ_ONCE(*flag);
            };
            r.set(r0, v0);
            if v0 == 0 {
                // if (r0 == 0) {
                let g = spin_lock(m.lock("lck")); // spin_lock(lck);
                let v1 = READ_ONCE(m.var("flag")); // r1 = READ_ONCE(*flag);
                witness_if(v1 == 1, &DCL_LOCKED_FLAG_SEEN);
                r.set(r1, v1);
                if v1 == 0 {
                    // if (r1 == 0) {
                    WRITE_ONCE(m.var("data"), 1); // WRITE_ONCE(*data, 1);
                    if fixed {
                        smp_store_release(m.var("flag"), 1); // smp_store_release(flag, 1);
                    } else {
                        WRITE_ONCE(m.var("flag"), 1); // WRITE_ONCE(*flag, 1);
                    }
                }
                spin_unlock(g); // spin_unlock(lck);
            }
            r.set(r2, READ_ONCE(m.var("data"))); // r2 = READ_ONCE(*data);
        });
    }
    t.exists("exists (0:r2=0 \\/ 1:r2=0)", |f| {
        f.r("0:r2") == 0 || f.r("1:r2") == 0
    });
}
fn dcl_broken() {
    dcl(false)
}
fn dcl_fixed() {
    dcl(true)
}

/// RM-broken.litmus and RM-fixed.litmus (`fixed`): P1's two reads of x inside (broken) or
/// before (fixed) its critical section.
fn rm(fixed: bool) {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &["lck"]);
    t.cpu(|m, r| {
        let g = spin_lock(m.lock("lck")); // spin_lock(lck);
        r.set("0:r2", atomic_inc_return(m.var("y"))); // r2 = atomic_inc_return(y);
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        spin_unlock(g); // spin_unlock(lck);
    });
    t.cpu(move |m, r| {
        if fixed {
            r.set("1:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
            r.set("1:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
            let g = spin_lock(m.lock("lck")); // spin_lock(lck);
            r.set("1:r2", atomic_inc_return(m.var("y"))); // r2 = atomic_inc_return(y);
            spin_unlock(g); // spin_unlock(lck);
        } else {
            let g = spin_lock(m.lock("lck")); // spin_lock(lck);
            r.set("1:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
            r.set("1:r1", READ_ONCE(m.var("x"))); // r1 = READ_ONCE(*x);
            r.set("1:r2", atomic_inc_return(m.var("y"))); // r2 = atomic_inc_return(y);
            spin_unlock(g); // spin_unlock(lck);
        }
    });
    t.exists("filter (1:r0=0 /\\ 1:r1=1) exists (1:r2=1)", |f| {
        witness_if(f.r("1:r0") == 1, &RM_P1_SEES_X);
        witness_if(f.r("1:r0") == 0 && f.r("1:r1") == 1, &RM_FILTER_HOLDS);
        f.r("1:r0") == 0 && f.r("1:r1") == 1 && f.r("1:r2") == 1
    });
}
fn rm_broken() {
    rm(false)
}
fn rm_fixed() {
    rm(true)
}

// ---------------------------------------------------------------------------------------
// Documentation/litmus-tests/rcu (v6.12)

/// RCU+sync+free.litmus: `y` first points to `x` (= 1); P1 repoints it to `z`, waits for a
/// grace period and then "frees" `x` (writes 0).
fn rcu_sync_free() {
    let cache = ints();
    let x = int(&cache, 1); // int x = 1;
    let z = int(&cache, 1); // int z = 1;
    let y = Arc::new(RcuPointer::new("mem", "y", &cache));
    RCU_INIT_POINTER(&y, Some(&x)); // int *y = &x;
    let regs = Regs::default();
    let p0 = {
        let (y, r) = (y.clone(), regs.clone());
        spawn_cpu(move || {
            rcu_read_lock(); // rcu_read_lock();
            let r0 = rcu_dereference(&y).expect("y is never NULL"); // r0 = rcu_dereference(*y);
            r.set("0:r0", r0.slot() as isize);
            r.set("0:r1", READ_ONCE(&r0)); // r1 = READ_ONCE(*r0);
            rcu_read_unlock(); // rcu_read_unlock();
        })
    };
    let p1 = {
        let (y, x, z) = (y.clone(), x.clone(), z.clone());
        spawn_cpu(move || {
            rcu_assign_pointer(&y, Some(&z)); // rcu_assign_pointer(*y, z);
            synchronize_rcu(); // synchronize_rcu();
            WRITE_ONCE(&x, 0); // WRITE_ONCE(*x, 0);
        })
    };
    join(p0);
    join(p1);
    let f = regs.0.lock().unwrap().clone();
    let (r0, r1) = (f.get("0:r0").copied(), f.get("0:r1").copied());
    witness_if(r0 == Some(x.slot() as isize), &RCU_DEREF_SEES_OLD);
    witness_if(r0 == Some(z.slot() as isize), &RCU_DEREF_SEES_ASSIGN);
    check(
        !(r0 == Some(x.slot() as isize) && r1 == Some(0)),
        &LKMM_EXISTS,
        || "exists (0:r0=x /\\ 0:r1=0) holds: P0 dereferenced x and read it freed (0)".to_string(),
    );
    kmem_cache_free(&x);
    kmem_cache_free(&z);
}

/// RCU+sync+read.litmus
fn rcu_sync_read() {
    let mut t = Test::new(&[("x", 0), ("y", 0)], &[]);
    t.cpu(|m, _| {
        rcu_read_lock(); // rcu_read_lock();
        WRITE_ONCE(m.var("x"), 1); // WRITE_ONCE(*x, 1);
        WRITE_ONCE(m.var("y"), 1); // WRITE_ONCE(*y, 1);
        rcu_read_unlock(); // rcu_read_unlock();
    });
    t.cpu(|m, r| {
        r.set("1:r0", READ_ONCE(m.var("x"))); // r0 = READ_ONCE(*x);
        synchronize_rcu(); // synchronize_rcu();
        r.set("1:r1", READ_ONCE(m.var("y"))); // r1 = READ_ONCE(*y);
    });
    t.exists("exists (1:r0=1 /\\ 1:r1=0)", |f| {
        f.r("1:r0") == 1 && f.r("1:r1") == 0
    });
}

// ---------------------------------------------------------------------------------------
// The scenarios

/// A `Sometimes` test loom cannot show.
const C11_UNREACHABLE: Expected = Expected::Unreachable;
/// A `Never` test that loom shows.
const C11_REACHABLE: Expected = Expected::Reachable(LKMM_EXISTS);

pub const CORR: Scenario = scenario!(
    corr_poonceonce_once,
    ["P0", "P1"],
    unreachable,
    "read-read coherence"
)
.named("CoRR+poonceonce+Once")
.witnesses(LKMM_CLAUSE_2);
pub const CORW: Scenario = scenario!(
    corw_poonceonce_once,
    ["P0", "P1"],
    unreachable,
    "read-write coherence"
)
.named("CoRW+poonceonce+Once")
.witnesses(LKMM_CLAUSE_2);
pub const COWR: Scenario = scenario!(
    cowr_poonceonce_once,
    ["P0", "P1"],
    unreachable,
    "write-read coherence"
)
.named("CoWR+poonceonce+Once")
.witnesses(LKMM_CLAUSE_2);
pub const COWW: Scenario = scenario!(
    coww_poonceonce,
    ["P0"],
    unreachable,
    "write-write coherence"
)
.named("CoWW+poonceonce")
.witnesses(&[COWW_SECOND_STORE_LAST]);
pub const IRIW_MB: Scenario = scenario!(iriw_fencembonceonces_onceonce, ["P0", "P1", "P2", "P3"], unreachable,
    "independent reads of independent writes, smp_mb() between the reads: readers agree on the order")
    .named("IRIW+fencembonceonces+OnceOnce")
.witnesses(LKMM_CLAUSE_4);
pub const IRIW: Scenario = scenario!(
    iriw_poonceonces_onceonce,
    ["P0", "P1", "P2", "P3"],
    reachable(LKMM_EXISTS),
    "independent reads of independent writes, no barriers: readers may disagree"
)
.named("IRIW+poonceonces+OnceOnce")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_4);
pub const ISA2_LOCKS: Scenario = scenario!(
    isa2_pooncelock_pooncelock_pombonce,
    ["P0", "P1", "P2"],
    unreachable,
    "a lock-protected S chain seen by an outside CPU with smp_mb()"
)
.named("ISA2+pooncelock+pooncelock+pombonce")
.c11_differs(UNLOCK_LOCK_WEAKER, C11_REACHABLE)
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_3);
pub const ISA2: Scenario = scenario!(
    isa2_poonceonces,
    ["P0", "P1", "P2"],
    reachable(LKMM_EXISTS),
    "ISA2 with WRITE_ONCE/READ_ONCE only"
)
.named("ISA2+poonceonces")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_3);
pub const ISA2_RELACQ: Scenario = scenario!(
    isa2_pooncerelease_poacquirerelease_poacquireonce,
    ["P0", "P1", "P2"],
    unreachable,
    "a release-acquire chain orders a prior store against a later load"
)
.named("ISA2+pooncerelease+poacquirerelease+poacquireonce")
.witnesses(LKMM_CLAUSE_3);
pub const LB_MB_CTRL: Scenario = scenario!(
    lb_fencembonceonce_ctrlonceonce,
    ["P0", "P1"],
    unreachable,
    "load buffering with a control dependency and smp_mb()"
)
.named("LB+fencembonceonce+ctrlonceonce")
// 1:r0=1 alone needs P0's store of y, which needs 0:r0=1: the whole clause. P0 reading
// P1's store of x is the state the control dependency orders.
.witnesses(&[LKMM_CONJUNCT_1]);
pub const LB_RELACQ: Scenario = scenario!(
    lb_poacquireonce_pooncerelease,
    ["P0", "P1"],
    unreachable,
    "load buffering with release-acquire"
)
.named("LB+poacquireonce+pooncerelease")
.witnesses(LKMM_CLAUSE_2);
pub const LB: Scenario = scenario!(
    lb_poonceonces,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "load buffering without barriers: each CPU may read the other's later store"
)
.named("LB+poonceonces")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.c11_differs(NO_LOAD_BUFFERING, C11_UNREACHABLE)
.witnesses(LKMM_CLAUSE_2);
pub const LB_UNLOCKLOCK: Scenario = scenario!(
    lb_unlocklockonceonce_poacquireonce,
    ["P0", "P1"],
    unreachable,
    "load buffering with an unlock+lock pair and an acquire"
)
.named("LB+unlocklockonceonce+poacquireonce")
.witnesses(LKMM_CLAUSE_2);
pub const MP_WMB_RMB: Scenario = scenario!(
    mp_fencewmbonceonce_fencermbonceonce,
    ["P0", "P1"],
    unreachable,
    "message passing with smp_wmb()/smp_rmb()"
)
.named("MP+fencewmbonceonce+fencermbonceonce")
.witnesses(LKMM_CLAUSE_2);
pub const MP_RCU: Scenario = scenario!(
    mp_onceassign_derefonce,
    ["P0", "P1"],
    unreachable,
    "message passing with rcu_assign_pointer()/rcu_dereference()"
)
.named("MP+onceassign+derefonce")
.witnesses(&[RCU_DEREF_SEES_ASSIGN, LKMM_CONJUNCT_2]);
pub const MP_SILSIL_MB: Scenario = scenario!(
    mp_polockmbonce_poacquiresilsil,
    ["P0", "P1"],
    unreachable,
    "spin_is_locked() after an acquire, the writer with smp_mb__after_spinlock()"
)
.named("MP+polockmbonce+poacquiresilsil")
.witnesses(LKMM_CLAUSE_3);
pub const MP_SILSIL: Scenario = scenario!(
    mp_polockonce_poacquiresilsil,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "spin_is_locked() after an acquire: the lock may look free though the locked store is seen"
)
.named("MP+polockonce+poacquiresilsil")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_3);
pub const MP_LOCKS: Scenario = scenario!(
    mp_polocks,
    ["P0", "P1"],
    unreachable,
    "message passing, the flag under a lock"
)
.named("MP+polocks")
.witnesses(LKMM_CLAUSE_2);
pub const MP_REVLOCKS: Scenario = scenario!(
    mp_porevlocks,
    ["P0", "P1"],
    unreachable,
    "message passing, the data under a lock"
)
.named("MP+porevlocks")
.witnesses(LKMM_CLAUSE_2);
pub const MP_UNLOCKLOCK: Scenario = scenario!(
    mp_unlocklockonceonce_fencermbonceonce,
    ["P0", "P1"],
    unreachable,
    "an unlock+lock pair orders two stores for a reader with smp_rmb()"
)
.named("MP+unlocklockonceonce+fencermbonceonce")
.c11_differs(UNLOCK_LOCK_WEAKER, C11_REACHABLE)
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_2);
pub const R_MB: Scenario = scenario!(
    r_fencembonceonces,
    ["P0", "P1"],
    unreachable,
    "R with smp_mb() on both CPUs"
)
.named("R+fencembonceonces")
.witnesses(LKMM_CLAUSE_2);
pub const R: Scenario = scenario!(
    r_poonceonces,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "R without barriers"
)
.named("R+poonceonces")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_2);
pub const S_WMB_ACQ: Scenario = scenario!(
    s_fencewmbonceonce_poacquireonce,
    ["P0", "P1"],
    unreachable,
    "S with smp_wmb() and an acquire"
)
.named("S+fencewmbonceonce+poacquireonce")
.witnesses(LKMM_CLAUSE_2);
pub const S: Scenario = scenario!(
    s_poonceonces,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "S without barriers: P1's store may land before P0's earlier one"
)
.named("S+poonceonces")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_2);
pub const SB_RFI: Scenario = scenario!(
    sb_rfionceonce_poonceonces,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "store buffering, each CPU reading its own store first"
)
.named("SB+rfionceonce-poonceonces")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_2);
pub const WRC: Scenario = scenario!(
    wrc_poonceonces_once,
    ["P0", "P1", "P2"],
    reachable(LKMM_EXISTS),
    "write-to-read causality without barriers"
)
.named("WRC+poonceonces+Once")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_3);
pub const WRC_REL_RMB: Scenario = scenario!(
    wrc_pooncerelease_fencermbonceonce_once,
    ["P0", "P1", "P2"],
    unreachable,
    "write-to-read causality with a release and smp_rmb()"
)
.named("WRC+pooncerelease+fencermbonceonce+Once")
.witnesses(LKMM_CLAUSE_3);
pub const Z6_LOCK_MB: Scenario = scenario!(
    z6_pooncelock_poonce_lock_pombonce,
    ["P0", "P1", "P2"],
    unreachable,
    "Z6.0 through a lock with smp_mb__after_spinlock()"
)
.named("Z6.0+pooncelock+poonceLock+pombonce")
.witnesses(LKMM_CLAUSE_3);
pub const Z6_LOCKS: Scenario = scenario!(
    z6_pooncelock_pooncelock_pombonce,
    ["P0", "P1", "P2"],
    reachable(LKMM_EXISTS),
    "Z6.0 through a lock: unlock+lock does not order for an outside CPU's store"
)
.named("Z6.0+pooncelock+pooncelock+pombonce")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_3);
pub const Z6_RELACQ: Scenario = scenario!(
    z6_pooncerelease_poacquirerelease_fencembonceonce,
    ["P0", "P1", "P2"],
    reachable(LKMM_EXISTS),
    "Z6.0 through a release-acquire chain"
)
.named("Z6.0+pooncerelease+poacquirerelease+fencembonceonce")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_3);
pub const DEP_PLAIN: Scenario = scenario!(
    dep_plain,
    ["P0", "P1"],
    unreachable,
    "a dependency through plain accesses"
)
.named("dep+plain")
.witnesses(&[DEP_PLAIN_READ_AFTER_STORE]);
pub const ATOMIC_MB_AFTER: Scenario = scenario!(
    atomic_rmw_mb_after_atomic_is_stronger_than_acquire,
    ["P0", "P1"],
    unreachable,
    "smp_mb__after_atomic() orders an atomic_inc() before a later store"
)
.named("Atomic-RMW+mb__after_atomic-is-stronger-than-acquire")
.witnesses(LKMM_CLAUSE_2);
pub const ATOMIC_VS_SET: Scenario = scenario!(
    atomic_rmw_ops_are_atomic_wrt_atomic_set,
    ["P0", "P1"],
    unreachable,
    "atomic_add_unless() is atomic against atomic_set()"
)
.named("Atomic-RMW-ops-are-atomic-WRT-atomic_set")
.witnesses(&[ADD_UNLESS_SEES_SET, ADD_UNLESS_ADDS]);
pub const CMPXCHG_FAIL_ORDERED_1: Scenario = scenario!(
    cmpxchg_fail_ordered_1,
    ["P0", "P1"],
    unreachable,
    "a failed cmpxchg() with smp_mb__after_atomic() orders SB"
)
.named("cmpxchg-fail-ordered-1")
.witnesses(LKMM_CLAUSE_2);
pub const CMPXCHG_FAIL_ORDERED_2: Scenario = scenario!(
    cmpxchg_fail_ordered_2,
    ["P0", "P1"],
    unreachable,
    "a failed cmpxchg() with smp_mb__after_atomic() orders MP"
)
.named("cmpxchg-fail-ordered-2")
.witnesses(LKMM_CLAUSE_3);
pub const CMPXCHG_FAIL_UNORDERED_1: Scenario = scenario!(
    cmpxchg_fail_unordered_1,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "a failed cmpxchg() alone does not order SB"
)
.named("cmpxchg-fail-unordered-1")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_2);
pub const CMPXCHG_FAIL_UNORDERED_2: Scenario = scenario!(
    cmpxchg_fail_unordered_2,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "a failed cmpxchg() alone does not order MP"
)
.named("cmpxchg-fail-unordered-2")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(LKMM_CLAUSE_3);
pub const DCL_BROKEN: Scenario = scenario!(
    dcl_broken,
    ["P0", "P1"],
    reachable(LKMM_EXISTS),
    "double-checked locking with READ_ONCE/WRITE_ONCE: a CPU may see the flag without the data"
)
.named("DCL-broken")
// Every `Sometimes` of the suite needs weak memory: under SC it is unreachable.
.expected_sc(Expected::Unreachable)
.witnesses(&[DCL_LOCKED_FLAG_SEEN]);
pub const DCL_FIXED: Scenario = scenario!(
    dcl_fixed,
    ["P0", "P1"],
    unreachable,
    "double-checked locking with acquire/release"
)
.named("DCL-fixed")
.witnesses(&[DCL_LOCKED_FLAG_SEEN]);
pub const RM_BROKEN: Scenario = scenario!(rm_broken, ["P0", "P1"], unreachable,
    "two reads of x inside P1's critical section cannot straddle P0's (herd7: DEADLOCK, no execution passes the filter)")
    .named("RM-broken")
.witnesses(&[RM_P1_SEES_X]);
pub const RM_FIXED: Scenario = scenario!(
    rm_fixed,
    ["P0", "P1"],
    unreachable,
    "reads of x before P1's critical section do not order it after P0's"
)
.named("RM-fixed")
.witnesses(&[RM_P1_SEES_X, RM_FILTER_HOLDS]);
pub const RCU_SYNC_FREE: Scenario = scenario!(
    rcu_sync_free,
    ["P0", "P1"],
    unreachable,
    "synchronize_rcu() waits for a reader that still sees the old pointer"
)
.named("RCU+sync+free")
.witnesses(&[RCU_DEREF_SEES_OLD, RCU_DEREF_SEES_ASSIGN]);
pub const RCU_SYNC_READ: Scenario = scenario!(
    rcu_sync_read,
    ["P0", "P1"],
    unreachable,
    "synchronize_rcu() orders a read-side section's stores for the updater"
)
.named("RCU+sync+read")
.witnesses(LKMM_CLAUSE_2);

/// The suite's new scenarios (the four of `lib.rs` are in [`KERNEL_SUITE`] too).
pub const SCENARIOS: &[Scenario] = &[
    CORR,
    CORW,
    COWR,
    COWW,
    IRIW_MB,
    IRIW,
    ISA2_LOCKS,
    ISA2,
    ISA2_RELACQ,
    LB_MB_CTRL,
    LB_RELACQ,
    LB,
    LB_UNLOCKLOCK,
    MP_WMB_RMB,
    MP_RCU,
    MP_SILSIL_MB,
    MP_SILSIL,
    MP_LOCKS,
    MP_REVLOCKS,
    MP_UNLOCKLOCK,
    R_MB,
    R,
    S_WMB_ACQ,
    S,
    SB_RFI,
    WRC,
    WRC_REL_RMB,
    Z6_LOCK_MB,
    Z6_LOCKS,
    Z6_RELACQ,
    DEP_PLAIN,
    ATOMIC_MB_AFTER,
    ATOMIC_VS_SET,
    CMPXCHG_FAIL_ORDERED_1,
    CMPXCHG_FAIL_ORDERED_2,
    CMPXCHG_FAIL_UNORDERED_1,
    CMPXCHG_FAIL_UNORDERED_2,
    DCL_BROKEN,
    DCL_FIXED,
    RM_BROKEN,
    RM_FIXED,
    RCU_SYNC_FREE,
    RCU_SYNC_READ,
];

/// Every kernel litmus test and its herd7 twin: the scenario (by name, in this crate) and the
/// test's path in a Linux v6.12 tree.
pub const KERNEL_SUITE: &[(&str, &str)] = &[
    ("CoRR+poonceonce+Once", "tools/memory-model/litmus-tests/CoRR+poonceonce+Once.litmus"),
    ("CoRW+poonceonce+Once", "tools/memory-model/litmus-tests/CoRW+poonceonce+Once.litmus"),
    ("CoWR+poonceonce+Once", "tools/memory-model/litmus-tests/CoWR+poonceonce+Once.litmus"),
    ("CoWW+poonceonce", "tools/memory-model/litmus-tests/CoWW+poonceonce.litmus"),
    ("IRIW+fencembonceonces+OnceOnce", "tools/memory-model/litmus-tests/IRIW+fencembonceonces+OnceOnce.litmus"),
    ("IRIW+poonceonces+OnceOnce", "tools/memory-model/litmus-tests/IRIW+poonceonces+OnceOnce.litmus"),
    ("ISA2+pooncelock+pooncelock+pombonce", "tools/memory-model/litmus-tests/ISA2+pooncelock+pooncelock+pombonce.litmus"),
    ("ISA2+poonceonces", "tools/memory-model/litmus-tests/ISA2+poonceonces.litmus"),
    ("ISA2+pooncerelease+poacquirerelease+poacquireonce", "tools/memory-model/litmus-tests/ISA2+pooncerelease+poacquirerelease+poacquireonce.litmus"),
    ("LB+fencembonceonce+ctrlonceonce", "tools/memory-model/litmus-tests/LB+fencembonceonce+ctrlonceonce.litmus"),
    ("LB+poacquireonce+pooncerelease", "tools/memory-model/litmus-tests/LB+poacquireonce+pooncerelease.litmus"),
    ("LB+poonceonces", "tools/memory-model/litmus-tests/LB+poonceonces.litmus"),
    ("LB+unlocklockonceonce+poacquireonce", "tools/memory-model/litmus-tests/LB+unlocklockonceonce+poacquireonce.litmus"),
    ("MP+fencewmbonceonce+fencermbonceonce", "tools/memory-model/litmus-tests/MP+fencewmbonceonce+fencermbonceonce.litmus"),
    ("MP+onceassign+derefonce", "tools/memory-model/litmus-tests/MP+onceassign+derefonce.litmus"),
    ("MP+polockmbonce+poacquiresilsil", "tools/memory-model/litmus-tests/MP+polockmbonce+poacquiresilsil.litmus"),
    ("MP+polockonce+poacquiresilsil", "tools/memory-model/litmus-tests/MP+polockonce+poacquiresilsil.litmus"),
    ("MP+polocks", "tools/memory-model/litmus-tests/MP+polocks.litmus"),
    ("MP+poonceonces", "tools/memory-model/litmus-tests/MP+poonceonces.litmus"),
    ("MP+pooncerelease+poacquireonce", "tools/memory-model/litmus-tests/MP+pooncerelease+poacquireonce.litmus"),
    ("MP+porevlocks", "tools/memory-model/litmus-tests/MP+porevlocks.litmus"),
    ("MP+unlocklockonceonce+fencermbonceonce", "tools/memory-model/litmus-tests/MP+unlocklockonceonce+fencermbonceonce.litmus"),
    ("R+fencembonceonces", "tools/memory-model/litmus-tests/R+fencembonceonces.litmus"),
    ("R+poonceonces", "tools/memory-model/litmus-tests/R+poonceonces.litmus"),
    ("S+fencewmbonceonce+poacquireonce", "tools/memory-model/litmus-tests/S+fencewmbonceonce+poacquireonce.litmus"),
    ("S+poonceonces", "tools/memory-model/litmus-tests/S+poonceonces.litmus"),
    ("SB+fencembonceonces", "tools/memory-model/litmus-tests/SB+fencembonceonces.litmus"),
    ("SB+poonceonces", "tools/memory-model/litmus-tests/SB+poonceonces.litmus"),
    ("SB+rfionceonce-poonceonces", "tools/memory-model/litmus-tests/SB+rfionceonce-poonceonces.litmus"),
    ("WRC+poonceonces+Once", "tools/memory-model/litmus-tests/WRC+poonceonces+Once.litmus"),
    ("WRC+pooncerelease+fencermbonceonce+Once", "tools/memory-model/litmus-tests/WRC+pooncerelease+fencermbonceonce+Once.litmus"),
    ("Z6.0+pooncelock+poonceLock+pombonce", "tools/memory-model/litmus-tests/Z6.0+pooncelock+poonceLock+pombonce.litmus"),
    ("Z6.0+pooncelock+pooncelock+pombonce", "tools/memory-model/litmus-tests/Z6.0+pooncelock+pooncelock+pombonce.litmus"),
    ("Z6.0+pooncerelease+poacquirerelease+fencembonceonce", "tools/memory-model/litmus-tests/Z6.0+pooncerelease+poacquirerelease+fencembonceonce.litmus"),
    ("dep+plain", "tools/memory-model/litmus-tests/dep+plain.litmus"),
    ("Atomic-RMW+mb__after_atomic-is-stronger-than-acquire", "Documentation/litmus-tests/atomic/Atomic-RMW+mb__after_atomic-is-stronger-than-acquire.litmus"),
    ("Atomic-RMW-ops-are-atomic-WRT-atomic_set", "Documentation/litmus-tests/atomic/Atomic-RMW-ops-are-atomic-WRT-atomic_set.litmus"),
    ("cmpxchg-fail-ordered-1", "Documentation/litmus-tests/atomic/cmpxchg-fail-ordered-1.litmus"),
    ("cmpxchg-fail-ordered-2", "Documentation/litmus-tests/atomic/cmpxchg-fail-ordered-2.litmus"),
    ("cmpxchg-fail-unordered-1", "Documentation/litmus-tests/atomic/cmpxchg-fail-unordered-1.litmus"),
    ("cmpxchg-fail-unordered-2", "Documentation/litmus-tests/atomic/cmpxchg-fail-unordered-2.litmus"),
    ("DCL-broken", "Documentation/litmus-tests/locking/DCL-broken.litmus"),
    ("DCL-fixed", "Documentation/litmus-tests/locking/DCL-fixed.litmus"),
    ("RM-broken", "Documentation/litmus-tests/locking/RM-broken.litmus"),
    ("RM-fixed", "Documentation/litmus-tests/locking/RM-fixed.litmus"),
    ("RCU+sync+free", "Documentation/litmus-tests/rcu/RCU+sync+free.litmus"),
    ("RCU+sync+read", "Documentation/litmus-tests/rcu/RCU+sync+read.litmus"),
];
