//! Work to run when an actor ends: what the services attach to it (group memberships,
//! subscriptions, timers) to be undone at its end.

use std::sync::atomic::{AtomicU64, Ordering};

/// Work to run once when an actor ends, before its end is announced.
pub(crate) type OnEnd = Box<dyn FnOnce() + Send>;

/// Names one [`OnEnd`] entry, so that it can be withdrawn when what it undoes is undone
/// earlier (a `leave`, an `unsubscribe`, a timer that fired).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct EndToken(u64);

impl EndToken {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}
