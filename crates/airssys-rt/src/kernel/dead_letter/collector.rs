//! The system's dead-letter sink: every undelivered message counted, the latest kept.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::vocabulary::DeadLetter;

/// The system's dead-letter sink: a count and the latest records.
///
/// Reach it with [`ActorSystem::dead_letters`](crate::ActorSystem::dead_letters).
///
/// ```
/// let system = airssys_rt::ActorSystem::new();
/// assert_eq!(system.dead_letters().count(), 0);
/// assert!(system.dead_letters().recent().is_empty());
/// ```
pub struct DeadLetters {
    count: AtomicU64,
    history: Mutex<VecDeque<DeadLetter>>,
    history_size: usize,
}

impl DeadLetters {
    pub(crate) fn new(history_size: usize) -> Self {
        Self { count: AtomicU64::new(0), history: Mutex::new(VecDeque::new()), history_size }
    }

    pub(crate) fn record(&self, letter: DeadLetter) {
        self.count.fetch_add(1, Ordering::Relaxed);
        // The subscriber is user code: its panic must not unwind into a sender, or into an
        // ending actor's bookkeeping, nor cost the letter its place in the history.
        crate::kernel::actor::trace_guarded(|| {
            tracing::debug!(
                target: "airssys_rt::dead_letter",
                actor = %letter.target,
                name = letter.target_name.as_deref(),
                message_type = letter.message_type,
                reason = %letter.reason,
                was_ask = letter.was_ask,
                "dead letter"
            );
        });
        if self.history_size == 0 {
            return;
        }
        let mut history = self.history.lock();
        if history.len() == self.history_size {
            history.pop_front();
        }
        history.push_back(letter);
    }

    /// How many dead letters there have been since the system started.
    ///
    /// ```
    /// assert_eq!(airssys_rt::ActorSystem::new().dead_letters().count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The latest dead letters, oldest first; at most the configured history size.
    ///
    /// ```
    /// assert!(airssys_rt::ActorSystem::new().dead_letters().recent().is_empty());
    /// ```
    pub fn recent(&self) -> Vec<DeadLetter> {
        self.history.lock().iter().cloned().collect()
    }
}

impl fmt::Debug for DeadLetters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetters").field("count", &self.count()).finish_non_exhaustive()
    }
}
