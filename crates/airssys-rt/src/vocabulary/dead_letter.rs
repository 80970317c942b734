//! A message that could not be delivered, and why: what the dead-letter sink records.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::ActorId;

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
    /// When it was recorded (wall-clock, UTC).
    pub at: DateTime<Utc>,
}
