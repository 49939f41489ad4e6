//! Every model's scenarios, for lookup by name.

use checker::scenario::Scenario;

use crate::UsageError;

/// Every scenario of every model, in model order.
pub fn all() -> Vec<&'static Scenario> {
    litmus::SCENARIOS
        .iter()
        .chain(litmus::kernel_suite::SCENARIOS)
        .chain(vm_bo_lifecycle::SCENARIOS)
        .chain(dma_fence_rcu::SCENARIOS)
        .chain(mmu_interval_notifier::SCENARIOS)
        .chain(gpuva_split_merge::SCENARIOS)
        .collect()
}

/// The scenario `model/name`.
pub fn find(model: &str, name: &str) -> Option<&'static Scenario> {
    all()
        .into_iter()
        .find(|s| s.model == model && s.name == name)
}

/// The scenarios of one selection: `MODEL`, `MODEL/SCENARIO`, or `MODEL/PATTERN` where `*`
/// in the pattern matches any run of characters (`dma_fence_rcu/array_*`); none: all.
pub fn select(sel: Option<&str>) -> Result<Vec<&'static Scenario>, UsageError> {
    let Some(sel) = sel else { return Ok(all()) };
    let (model, name) = match sel.split_once('/') {
        Some((m, n)) => (m, Some(n)),
        None => (sel, None),
    };
    let in_model: Vec<_> = all().into_iter().filter(|s| s.model == model).collect();
    if in_model.is_empty() {
        let mut models: Vec<&str> = all().iter().map(|s| s.model).collect();
        models.dedup();
        return Err(UsageError(format!(
            "unknown model `{model}` (hint: the models are {}; `kmodel list` shows every scenario)",
            models.join(", ")
        )));
    }
    let Some(n) = name else { return Ok(in_model) };
    let found: Vec<_> = in_model.into_iter().filter(|s| glob(n, s.name)).collect();
    if found.is_empty() {
        let what = if n.contains('*') {
            "no scenario matches"
        } else {
            "unknown scenario"
        };
        return Err(UsageError(format!(
            "{what} `{n}` in model `{model}` (hint: `kmodel list {model}` shows its scenarios)"
        )));
    }
    Ok(found)
}

/// The scenarios of several selections ([`select`] each), in order, each scenario once;
/// none: all.
pub fn select_all(sels: &[String]) -> Result<Vec<&'static Scenario>, UsageError> {
    if sels.is_empty() {
        return Ok(all());
    }
    let mut out: Vec<&'static Scenario> = Vec::new();
    for sel in sels {
        for s in select(Some(sel))? {
            if !out.iter().any(|o| std::ptr::eq(*o, s)) {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// `pattern` matches `name`, `*` matching any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(k) => rest = &rest[k + p.len()..],
            None => return false,
        }
    }
    true
}
