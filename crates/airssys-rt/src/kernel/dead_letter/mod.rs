//! Dead letters: the messages that were accepted but never handled.
//!
//! A message that the runtime cannot hand back to its sender is never lost silently: it is
//! counted and recorded here. That happens when
//!
//! * a full mailbox drops it under [`DropNewest`](crate::mailbox::OverflowPolicy::DropNewest) or
//!   [`DropOldest`](crate::mailbox::OverflowPolicy::DropOldest),
//! * it was still waiting in the mailbox when its actor ended, or
//! * it was published to a subscriber that had ended, or that was full and not to be waited
//!   for (see [`broker`](crate::broker)), or
//! * it was a broadcast's copy that a worker's full mailbox refused while other workers queued
//!   theirs (see [`router`](crate::router)), or
//! * it was sent to an unbounded mailbox when the system's
//!   [message budget](crate::SystemBuilder::message_budget) was spent, under
//!   [`BudgetPolicy::Shed`](crate::mailbox::BudgetPolicy::Shed).
//! * its `tell` was dropped (cancelled) before it was queued, e.g. while it waited for room in a
//!   full mailbox.
//!
//! Other messages refused at the door (a full `Reject` mailbox, a closed mailbox) are not dead
//! letters: they go back to the sender inside the error.
//!
//! The sink keeps a count of every dead letter and a record of the latest ones (the
//! [history size](crate::SystemBuilder::dead_letter_history) is set on the system): which actor
//! it was for, why it died and its message type. Each one is also emitted as a `tracing` event
//! at debug level with target `airssys_rt::dead_letter` and the fields `actor` (the target's
//! id), `name` (its registered name, if any), `message_type`, `reason` and `was_ask`: the
//! counterpart, for messages, of the [crash reports](crate::monitoring::crash).
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::dead_letter::DeadLetterReason;
//! use tokio::sync::oneshot;
//!
//! /// Takes no message until it is told to go.
//! struct Sleepy {
//!     go: Option<oneshot::Receiver<()>>,
//! }
//!
//! impl Actor for Sleepy {
//!     type Msg = u32;
//!     type Reply = ();
//!     type Args = oneshot::Receiver<()>;
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(go: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Sleepy { go: Some(go) })
//!     }
//!
//!     async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         if let Some(go) = self.go.take() {
//!             let _ = go.await;
//!         }
//!         Ok(())
//!     }
//!
//!     async fn handle(&mut self, _: u32, _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let (go, wait) = oneshot::channel();
//! let options = SpawnOptions::new()
//!     .mailbox(MailboxConfig::bounded(1).overflow(OverflowPolicy::DropNewest));
//! let sleepy = system.spawn_with::<Sleepy>(options, wait).await?;
//! sleepy.tell(1).await?; // fills the mailbox
//! sleepy.tell(2).await?; // dropped on arrival
//! let _ = go.send(());
//!
//! assert_eq!(system.dead_letters().count(), 1);
//! let letter = &system.dead_letters().recent()[0];
//! assert_eq!(letter.target, sleepy.id());
//! assert_eq!(letter.reason, DeadLetterReason::DroppedNewest);
//! assert_eq!(letter.message_type, "u32");
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;

use crate::kernel::actor::ActorId;

/// Why a message became a dead letter.
///
/// ```
/// use airssys_rt::dead_letter::DeadLetterReason;
/// assert_eq!(DeadLetterReason::ActorStopped.to_string(), "its actor stopped before handling it");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// A full `DropNewest` mailbox dropped it on arrival; or a full mailbox refused it and
    /// nobody could take it back (a timer's message, a broadcast's copy).
    DroppedNewest,
    /// A full `DropOldest` mailbox dropped it to make room for a newer one.
    DroppedOldest,
    /// It was still waiting in the mailbox when its actor ended, or it was published to an
    /// actor that had ended or was ending.
    ActorStopped,
    /// A publication ([`broker`](crate::broker)) that found its subscriber's mailbox full and
    /// was not to wait for room (best effort, a `Reject` mailbox), or not any longer (its
    /// deadline passed).
    SubscriberFull,
    /// The system's message budget was spent when it was sent to an unbounded mailbox, and the
    /// budget's policy is [`Shed`](crate::mailbox::BudgetPolicy::Shed) (or it was a timer's
    /// message or a publication, which has nobody to go back to).
    BudgetExceeded,
    /// Its sender gave up before it was queued: a `tell` (direct, or through a
    /// [router](crate::router)) dropped while it waited for room in a full mailbox, or before
    /// it had sent anything (e.g. cancelled by `tokio::time::timeout` or `select!`).
    SendCancelled,
}

impl fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DroppedNewest => "the full mailbox dropped it on arrival",
            Self::DroppedOldest => "the full mailbox dropped it for a newer message",
            Self::ActorStopped => "its actor stopped before handling it",
            Self::SubscriberFull => "its subscriber's mailbox was full when it was published",
            Self::BudgetExceeded => "the system's message budget was spent when it was sent",
            Self::SendCancelled => "its send was cancelled before it was queued",
        })
    }
}

/// The record of one dead letter.
///
/// ```
/// # use airssys_rt::dead_letter::DeadLetter;
/// fn describe(letter: &DeadLetter) -> String {
///     format!("{} to {}: {}", letter.message_type, letter.target, letter.reason)
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The actor the message was for.
    pub target: ActorId,
    /// That actor's registered name, if it had one.
    pub target_name: Option<Arc<str>>,
    /// Why it was not handled.
    pub reason: DeadLetterReason,
    /// The Rust type of the message (`std::any::type_name`).
    pub message_type: &'static str,
    /// Whether it was an `ask` (whose caller was answered with an error at once).
    pub was_ask: bool,
    /// When it was recorded.
    pub at: SystemTime,
}

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
