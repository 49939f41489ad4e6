//! The ghost checks of the protocol's invariants ([`crate::invariants`]), on the ghost state
//! each mm carries ([`crate::mm_types::Ghost`], with the types it refers to). Ghost state
//! costs no scheduling point: it is bookkeeping the kernel does not have, updated where the
//! kernel does the corresponding step.

use std::sync::atomic::Ordering;

use checker::kernel::{spin_lock, spin_unlock, Obj, READ_ONCE};
use checker::scenario::check;

use crate::invariants::*;
use crate::mm_types::{
    GhostEvent, GhostJob, Mirror, MmStruct, MmuIntervalNotifier, MmuNotifierRange,
    MmuNotifierSubscriptions, NR_PAGES,
};

impl GhostJob {
    fn signaled(&self) -> bool {
        self.fence.ghost().ghost_signaled.load(Ordering::Relaxed)
    }

    fn describe(&self) -> String {
        let pages: Vec<String> = self
            .pages
            .iter()
            .map(|(p, pfn)| format!("page {p} = pfn {pfn}"))
            .collect();
        format!(
            "the job of {} (built with {})",
            self.fence.name(),
            pages.join(", ")
        )
    }
}

/// A new mm-level invalidation, named `what`.
pub fn invalidation_begin(mm: &Obj<MmStruct>, what: &str) -> usize {
    let mut g = mm.ghost().ghost.lock();
    g.events.push(GhostEvent {
        what: what.to_string(),
        expected: Vec::new(),
        calls: Vec::new(),
        aborted: false,
        unmapped: Vec::new(),
    });
    g.events.len() - 1
}

/// Under `subscriptions->lock` in `mn_itree_inv_start_range()`: the notifiers this range
/// overlaps, and whether a lockless walk starts (`seq` odd and a first node found).
pub fn walk_set(mm: &Obj<MmStruct>, range: &MmuNotifierRange, walking: bool) {
    let subs = &mm.ghost().notifier_subscriptions;
    let tree = subs.itree.ghost_read();
    let overlapping: Vec<String> = tree
        .iter()
        .filter(|n| n.ghost().start < range.end && range.start <= n.ghost().last)
        .map(|n| n.name().to_string())
        .collect();
    let mut g = mm.ghost().ghost.lock();
    let ev = &mut g.events[range.ghost_event];
    for n in overlapping {
        if !ev.expected.contains(&n) {
            ev.expected.push(n);
        }
    }
    if walking {
        subs.ghost_walkers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("{} [{}, {})", ev.what, range.start, range.end));
    }
}

/// The walk of `range` is over.
pub fn walk_ends(mm: &Obj<MmStruct>, range: &MmuNotifierRange, walking: bool) {
    if !walking {
        return;
    }
    let what = mm.ghost().ghost.lock().events[range.ghost_event]
        .what
        .clone();
    let desc = format!("{what} [{}, {})", range.start, range.end);
    let subs = &mm.ghost().notifier_subscriptions;
    let mut w = subs.ghost_walkers.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = w.iter().position(|d| *d == desc) {
        w.remove(i);
    }
}

/// Before `interval_tree_insert()` / `_remove()`.
pub fn check_itree_stable(
    subs: &MmuNotifierSubscriptions,
    op: &str,
    isub: &Obj<MmuIntervalNotifier>,
) {
    let walkers = subs
        .ghost_walkers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    check(walkers.is_empty(), &ITREE_STABLE, || {
        format!(
            "{op}({}) while {} walks the tree without subscriptions->lock",
            isub.name(),
            walkers.join(", ")
        )
    });
}

/// At the call `interval_sub->ops->invalidate(...)`.
pub fn callback_begins(
    mm: &Obj<MmStruct>,
    isub: &Obj<MmuIntervalNotifier>,
    range: &MmuNotifierRange,
) {
    let n = isub.ghost();
    let removed = n.ghost_removed.load(Ordering::Relaxed);
    n.ghost_in_callback.fetch_add(1, Ordering::Relaxed);
    let what = {
        let mut g = mm.ghost().ghost.lock();
        let ev = &mut g.events[range.ghost_event];
        match ev.calls.iter_mut().find(|(x, _)| x == isub.name()) {
            Some((_, c)) => *c += 1,
            None => ev.calls.push((isub.name().to_string(), 1)),
        }
        ev.what.clone()
    };
    check(!removed, &REMOVE_COMPLETE, || {
        format!(
            "{what} calls the invalidate callback of {} after mmu_interval_notifier_remove({}) returned",
            isub.name(),
            isub.name()
        )
    });
}

/// The invalidation of `range` returned -EAGAIN: no end follows.
pub fn invalidation_aborted(mm: &Obj<MmStruct>, range: &MmuNotifierRange) {
    mm.ghost().ghost.lock().events[range.ghost_event].aborted = true;
}

/// The pfns the CPU page table maps when the scenario starts.
pub fn cpu_ptes_init(mm: &Obj<MmStruct>, pfns: [isize; NR_PAGES]) {
    mm.ghost().ghost.lock().cpu_pfn = pfns;
}

/// The CPU set the PTE of `page` to `new` (0: cleared) inside the invalidation `ev`: the
/// page it mapped before counts as unmapped by `ev`. Returns that pfn (0 if none).
pub fn cpu_pte_changed(mm: &Obj<MmStruct>, ev: usize, page: usize, new: isize) -> isize {
    let mut g = mm.ghost().ghost.lock();
    let old = std::mem::replace(&mut g.cpu_pfn[page], new);
    if old != 0 {
        g.events[ev].unmapped.push(old);
    }
    old
}

/// The pfn the CPU page table maps at `page` now (0: none), as ghost state.
pub fn cpu_pfn(mm: &Obj<MmStruct>, page: usize) -> isize {
    mm.ghost().ghost.lock().cpu_pfn[page]
}

/// The mm-level invalidation `ev` is over (its end returned): each overlapped notifier's
/// callback ran exactly once.
pub fn event_ended(mm: &Obj<MmStruct>, ev: usize) {
    let bad = {
        let g = mm.ghost().ghost.lock();
        let e = &g.events[ev];
        let count = |n: &str| {
            e.calls
                .iter()
                .find(|(x, _)| x == n)
                .map(|(_, c)| *c)
                .unwrap_or(0)
        };
        let mut names: Vec<&String> = e.expected.iter().collect();
        names.extend(
            e.calls
                .iter()
                .map(|(n, _)| n)
                .filter(|n| !e.expected.contains(n)),
        );
        names
            .into_iter()
            .map(|n| (n.clone(), count(n)))
            .find(|(_, c)| *c > 1 || (*c == 0 && !e.aborted))
            .map(|(n, c)| (e.what.clone(), n, c))
    };
    if let Some((what, n, c)) = bad {
        check(false, &INVALIDATE_ONCE, || {
            format!(
                "{what} called the invalidate callback of {n} {c} times (once per invalidation)"
            )
        });
    }
}

/// `mmu_notifier_invalidate_range_end(range)` returned: [`event_ended`], and no device PTE
/// may map a page this range unmapped.
pub fn invalidation_ended(mm: &Obj<MmStruct>, range: &MmuNotifierRange) {
    event_ended(mm, range.ghost_event);
    let (what, pfns) = {
        let mut g = mm.ghost().ghost.lock();
        let e = &g.events[range.ghost_event];
        let (what, pfns) = (e.what.clone(), e.unmapped.clone());
        for &p in &pfns {
            g.gone
                .push((p, format!("{what} [{}, {})", range.start, range.end)));
        }
        (what, pfns)
    };
    for pfn in pfns {
        check_no_device_pte(
            mm,
            pfn,
            &format!("after {what}'s invalidate_range_end returned"),
        );
    }
}

/// `pfn` went back to the page allocator.
pub fn page_freed(mm: &Obj<MmStruct>, pfn: isize) {
    check_no_device_pte(mm, pfn, "when the CPU freed it");
    let jobs = mm.ghost().ghost.lock().jobs.clone();
    for job in jobs {
        if job.pages.iter().any(|&(_, p)| p == pfn) {
            check(job.signaled(), &USERPTR_JOB_ACCESS, || {
                format!(
                    "pfn {pfn} freed while {} has not signalled: the GPU may still access it",
                    job.describe()
                )
            });
        }
    }
}

/// A userptr exec submitted `job` (under the notifier lock held for read, or not).
pub fn job_submitted(mm: &Obj<MmStruct>, job: &GhostJob) {
    let revoked = mm.ghost().ghost.lock().revoked.clone();
    mm.ghost().ghost.lock().jobs.push(job.clone());
    for &(_, pfn) in &job.pages {
        if let Some((_, what)) = revoked.iter().find(|(p, _)| *p == pfn) {
            check(false, &USERPTR_JOB_ACCESS, || {
                format!(
                    "{} submitted after {what} returned: it will access pfn {pfn}",
                    job.describe()
                )
            });
        }
    }
}

/// A GPU job wrote the page `pfn` (its DMA access, while its fence is not signalled).
pub fn job_accessed(mm: &Obj<MmStruct>, job: &GhostJob, pfn: isize) {
    let (revoked, freed) = {
        let g = mm.ghost().ghost.lock();
        (
            g.revoked
                .iter()
                .find(|(p, _)| *p == pfn)
                .map(|(_, w)| w.clone()),
            g.gone.iter().any(|(p, _)| *p == pfn),
        )
    };
    if let Some(what) = revoked {
        check(false, &USERPTR_JOB_ACCESS, || {
            format!(
                "{} writes pfn {pfn} after {what} returned{}",
                job.describe(),
                if freed {
                    " and the CPU unmapped and freed it"
                } else {
                    ""
                }
            )
        });
    }
}

/// A userptr gpu_vma's invalidate callback for `range` returns: the pages the CPU maps in
/// it are revoked, and every job built with them must have signalled.
pub fn userptr_invalidate_returns(
    mm: &Obj<MmStruct>,
    isub: &Obj<MmuIntervalNotifier>,
    range: &MmuNotifierRange,
) {
    let first = range.start.max(isub.ghost().start);
    let last = (range.end - 1).min(isub.ghost().last);
    let (what, jobs) = {
        let mut g = mm.ghost().ghost.lock();
        let what = format!(
            "{}'s invalidate callback for {} [{}, {})",
            isub.name(),
            g.events[range.ghost_event].what,
            range.start,
            range.end
        );
        for page in first..=last {
            let pfn = g.cpu_pfn[page];
            if pfn != 0 {
                g.revoked.push((pfn, what.clone()));
            }
        }
        (what, g.jobs.clone())
    };
    for page in first..=last {
        for job in &jobs {
            if let Some(&(_, pfn)) = job.pages.iter().find(|(p, _)| *p == page) {
                check(job.signaled(), &USERPTR_JOB_ACCESS, || {
                    format!(
                        "{what} returns while {} has not signalled: it can still access pfn {pfn}",
                        job.describe()
                    )
                });
            }
        }
    }
}

fn check_no_device_pte(mm: &Obj<MmStruct>, pfn: isize, when: &str) {
    let mirrors = mm.ghost().ghost.lock().mirrors.clone();
    for svm in mirrors {
        for page in 0..NR_PAGES {
            let dev = (svm.device_pte)(page);
            check(dev != pfn, &NO_STALE_DEVICE_PTE, || {
                format!(
                    "{}.device_pte[{page}] still maps pfn {pfn} {when}",
                    svm.name
                )
            });
        }
    }
}

/// A driver's mirror of `mm`, for the checks of its device PTEs.
pub fn mirror_registered(mm: &Obj<MmStruct>, mirror: Mirror) {
    mm.ghost.lock().mirrors.push(mirror);
}

/// A driver programs a device PTE to `pfn` (under its user_lock).
pub fn device_pte_programmed(mm: &Obj<MmStruct>, svm: &str, page: usize, pfn: isize) {
    let gone = mm
        .ghost()
        .ghost
        .lock()
        .gone
        .iter()
        .find(|(p, _)| *p == pfn)
        .map(|(_, w)| w.clone());
    check(gone.is_none(), &NO_STALE_DEVICE_PTE, || {
        format!(
            "{svm}.device_pte[{page}] programmed to pfn {pfn}, which {} unmapped and whose invalidate_range_end has returned",
            gone.unwrap_or_default()
        )
    });
}

/// `active_invalidate_ranges` before `mn_itree_inv_end()` decrements it.
pub fn check_end_paired(active: usize) {
    check(active != 0, &START_END_PAIRED, || {
        "mn_itree_inv_end() with active_invalidate_ranges == 0: an end without its start (the -EAGAIN path already ended it)".to_string()
    });
}

/// `isub` was put on the deferred list (a deferred insert or remove).
pub fn deferred_queued(isub: &Obj<MmuIntervalNotifier>) {
    let before = isub.ghost().ghost_deferred.fetch_add(1, Ordering::Relaxed);
    check(before == 0, &DEFERRED_APPLIED_ONCE, || {
        format!(
            "{} queued on the deferred list while already queued",
            isub.name()
        )
    });
}

/// `mn_itree_inv_end()` applied `isub`'s deferred insert or remove.
pub fn deferred_applied(isub: &Obj<MmuIntervalNotifier>) {
    let before = isub.ghost().ghost_deferred.fetch_sub(1, Ordering::Relaxed);
    check(before == 1, &DEFERRED_APPLIED_ONCE, || {
        format!(
            "{}'s deferred operation applied with {before} queued",
            isub.name()
        )
    });
}

/// `mmu_interval_notifier_remove()` unlinked a pending insert of `isub`.
pub fn deferred_cancelled(isub: &Obj<MmuIntervalNotifier>) {
    deferred_applied(isub)
}

/// `mmu_interval_notifier_remove(isub)` is about to return.
pub fn remove_returns(mm: &Obj<MmStruct>, isub: &Obj<MmuIntervalNotifier>) {
    let n = isub.ghost();
    let subs = &mm.ghost().notifier_subscriptions;
    let in_tree = subs.itree.ghost_read().iter().any(|x| x.ptr_eq(isub));
    let queued = n.ghost_deferred.load(Ordering::Relaxed);
    let running = n.ghost_in_callback.load(Ordering::Relaxed);
    check(
        !in_tree && queued == 0 && running == 0,
        &REMOVE_COMPLETE,
        || {
            format!(
                "mmu_interval_notifier_remove({}) returns with it {}",
                isub.name(),
                [
                    in_tree.then_some("still in the interval tree"),
                    (queued > 0).then_some("still on the deferred list"),
                    (running > 0).then_some("in its invalidate callback"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
            )
        },
    );
    n.ghost_removed.store(true, Ordering::Relaxed);
}

/// At `__mmdrop()`: nothing may reference the subscriptions' notifiers any more.
pub fn check_subscriptions_destroyed(mm: &Obj<MmStruct>) {
    let subs = &mm.ghost().notifier_subscriptions;
    let left: Vec<String> = subs
        .itree
        .ghost_read()
        .iter()
        .map(|n| n.name().to_string())
        .collect();
    check(left.is_empty(), &REMOVE_COMPLETE, || {
        format!(
            "{} freed with {} still in its interval tree",
            mm.name(),
            left.join(", ")
        )
    });
}

/// The scenario's final check, on the main thread once every CPU has finished: no
/// invalidation is active, the tree holds exactly `live` (the inserted, not removed
/// notifiers), and no device PTE maps a page unmapped by a finished invalidation.
pub fn check_quiescent(mm: &Obj<MmStruct>, live: &[&Obj<MmuIntervalNotifier>]) {
    let subs = &mm.notifier_subscriptions;
    let g = spin_lock(&subs.lock);
    let active = subs.active_invalidate_ranges.read();
    let seq = READ_ONCE(&subs.invalidate_seq);
    let tree = subs.itree.read();
    spin_unlock(g);
    check(active == 0 && seq & 1 == 0, &START_END_PAIRED, || {
        format!(
            "all CPUs done, but active_invalidate_ranges == {active} and invalidate_seq == {seq}"
        )
    });
    let missing: Vec<&str> = live
        .iter()
        .filter(|n| !tree.iter().any(|t| t.ptr_eq(n)))
        .map(|n| n.name())
        .collect();
    let extra: Vec<&str> = tree
        .iter()
        .filter(|t| !live.iter().any(|n| t.ptr_eq(n)))
        .map(|t| t.name())
        .collect();
    let queued: Vec<&str> = live
        .iter()
        .filter(|n| n.ghost().ghost_deferred.load(Ordering::Relaxed) != 0)
        .map(|n| n.name())
        .collect();
    check(
        missing.is_empty() && extra.is_empty() && queued.is_empty(),
        &DEFERRED_APPLIED_ONCE,
        || {
            format!(
                "all CPUs done: missing from the interval tree [{}], in it though removed [{}], still queued [{}]",
                missing.join(", "),
                extra.join(", "),
                queued.join(", ")
            )
        },
    );
    check_no_stale_at_end(mm);
}

/// The scenario's final check of the device page tables (ghost only: also after the mm was
/// freed): none maps a page unmapped by a finished invalidation.
pub fn check_no_stale_at_end(mm: &Obj<MmStruct>) {
    let gone: Vec<(isize, String)> = mm.ghost().ghost.lock().gone.clone();
    for (pfn, what) in gone {
        check_no_device_pte(mm, pfn, &format!("at the end (unmapped by {what})"));
    }
}
