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

/// `None` → every scenario; `MODEL` → its scenarios; `MODEL/SCENARIO` → that one.
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
    match name {
        None => Ok(in_model),
        Some(n) => in_model.into_iter().find(|s| s.name == n).map(|s| vec![s]).ok_or_else(|| {
            UsageError(format!("unknown scenario `{n}` in model `{model}` (hint: `kmodel list` shows every scenario)"))
        }),
    }
}
