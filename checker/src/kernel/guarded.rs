//! Lock-protected fields: a field declares the lock that protects it, and every access checks
//! that the running CPU holds that lock, so a missing lock is reported even in executions
//! where no race shows (the way lockdep reports an inversion without a deadlock).
//!
//! The value is ghost state (no scheduling point): the lock serialises every correct access,
//! so the explorer needs no extra interleavings to see what the protocol allows.

use std::sync::Arc;

use super::lock::{LockGhost, Lockable};
use crate::invariant::LOCK_NOT_HELD;
use crate::rt;
use crate::trace::thread_name;

/// A field protected by a lock.
pub struct Guarded<T> {
    value: std::sync::Mutex<T>,
    lock: Arc<LockGhost>,
    name: String,
}

impl<T> Guarded<T> {
    /// The field `name` (e.g. `vm#1.evict.local_list`), protected by `lock`.
    pub fn new(name: impl Into<String>, lock: &impl Lockable, value: T) -> Guarded<T> {
        Guarded {
            value: std::sync::Mutex::new(value),
            lock: lock.ghost().clone(),
            name: name.into(),
        }
    }

    fn check(&self, how: &str) {
        if !self.lock.held_by_current() {
            rt::report(
                &LOCK_NOT_HELD,
                format!(
                    "{how} of {} by {} without holding {}",
                    self.name,
                    thread_name(rt::current_tid()),
                    self.lock.name
                ),
            );
        }
    }

    /// Read the field (checked).
    pub fn read(&self) -> T
    where
        T: Clone,
    {
        self.check("read");
        rt::touch(&self.name, false);
        self.value.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Write the field (checked).
    pub fn write(&self, v: T) {
        self.check("write");
        rt::touch(&self.name, true);
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) = v;
    }

    /// Read without the lock check: for the harness's ghost checks only.
    pub fn ghost_read(&self) -> T
    where
        T: Clone,
    {
        self.value.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
