//! What a send through a handle that follows restarts (a child's `ChildRef`, a name's
//! `NamedRef`) returns when its message was not handled.
//!
//! One pair of enums serves both handles: what differs between them (a supervisor that ended,
//! a name held by another type) is a variant the other handle never returns, and the enums are
//! `#[non_exhaustive]`, so a match has its catch-all arm anyway.

use std::fmt;
use std::time::Duration;

use super::ExitReason;

/// A `tell` or `try_tell` through a stable handle
/// ([`ChildRef`](crate::supervisor::ChildRef), [`NamedRef`](crate::registry::NamedRef)) that
/// could not queue its message; the message is handed back, with why.
///
/// ```
/// use airssys_rt::message::StableSendError;
/// let error = StableSendError::Restarting("hello");
/// assert_eq!(error.to_string(), "the actor is between two incarnations");
/// assert_eq!(error.into_inner(), "hello");
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StableSendError<M> {
    /// The current actor's mailbox is full (`try_tell`, a mailbox under `Reject`, or the
    /// tell's timeout passed while it waited for room under `Wait`).
    #[error("the actor's mailbox is full")]
    Full(M),
    /// The handle fails at once between incarnations (it was made
    /// `failing_during_restart`), and the send came between two: the child had ended and was
    /// being restarted, or waited out its backoff; for a `NamedRef`, no live actor held the
    /// name. A `try_tell`, which never waits, says so too.
    #[error("the actor is between two incarnations")]
    Restarting(M),
    /// The send waited for the next incarnation (the child's restart, the name's next
    /// registration), which did not come within its timeout.
    #[error("no new incarnation within the timeout")]
    RestartTimeout(M),
    /// The child will not come back: it was terminated or deleted, or ended for good (a
    /// temporary child, a transient one after a normal end, a dynamic one not restarted), or
    /// its start said "ignore"; for a `NamedRef`, the system is shutting down.
    #[error("the actor has ended and will not be restarted")]
    Gone(M),
    /// The actor found is of another type than the handle's: another actor holds the name,
    /// or the child's start function started another type.
    #[error("the actor found is of another type")]
    WrongType(M),
    /// The child's supervisor has ended (it gave up, was stopped, or its system shut down).
    #[error("the supervisor has ended")]
    SupervisorEnded(M),
}

impl<M> StableSendError<M> {
    /// The message that was not sent.
    ///
    /// ```
    /// use airssys_rt::message::StableSendError;
    /// assert_eq!(StableSendError::Gone(4).into_inner(), 4);
    /// ```
    pub fn into_inner(self) -> M {
        match self {
            Self::Full(message)
            | Self::Restarting(message)
            | Self::RestartTimeout(message)
            | Self::Gone(message)
            | Self::WrongType(message)
            | Self::SupervisorEnded(message) => message,
        }
    }
}

impl<M> fmt::Debug for StableSendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "Full(..)",
            Self::Restarting(_) => "Restarting(..)",
            Self::RestartTimeout(_) => "RestartTimeout(..)",
            Self::Gone(_) => "Gone(..)",
            Self::WrongType(_) => "WrongType(..)",
            Self::SupervisorEnded(_) => "SupervisorEnded(..)",
        })
    }
}

/// Why an `ask` through a stable handle ([`ChildRef`](crate::supervisor::ChildRef),
/// [`NamedRef`](crate::registry::NamedRef)) brought no reply: the failures of
/// [`AskError`](super::AskError), but for a closed mailbox, which the handle answers by
/// finding the next incarnation, and those of [`StableSendError`].
///
/// ```
/// use std::time::Duration;
/// use airssys_rt::message::StableAskError;
/// let error: StableAskError<u8> = StableAskError::Timeout(Duration::from_secs(1));
/// assert_eq!(error.to_string(), "no reply within 1s");
/// assert_eq!(StableAskError::RestartTimeout(3).into_message(), Some(3));
/// ```
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StableAskError<M> {
    /// As [`StableSendError::Full`]: the request is handed back.
    #[error("the actor's mailbox is full")]
    Full(M),
    /// As [`StableSendError::Restarting`]: the request is handed back.
    #[error("the actor is between two incarnations")]
    Restarting(M),
    /// As [`StableSendError::RestartTimeout`]: the ask's timeout passed while it waited for
    /// the next incarnation; the request is handed back.
    #[error("no new incarnation within the timeout")]
    RestartTimeout(M),
    /// As [`StableSendError::Gone`]: the request is handed back.
    #[error("the actor has ended and will not be restarted")]
    Gone(M),
    /// As [`StableSendError::WrongType`]: the request is handed back.
    #[error("the actor found is of another type")]
    WrongType(M),
    /// As [`StableSendError::SupervisorEnded`]: the request is handed back.
    #[error("the supervisor has ended")]
    SupervisorEnded(M),
    /// An incarnation took the request and gave no reply within the ask's timeout.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The incarnation that took the request ended before replying (the request itself may
    /// have ended it); the request is not sent again to the next one.
    #[error("the actor stopped before replying: {0}")]
    Stopped(ExitReason),
    /// The mailbox's overflow policy dropped the request.
    #[error("the request was dropped by the mailbox's overflow policy")]
    Dropped,
    /// The actor asked itself through the handle; the request is handed back.
    #[error("an actor cannot ask itself")]
    CallingSelf(M),
    /// The actor dropped the request's reply handle without answering.
    #[error("the actor dropped the request without answering it")]
    Unanswered,
}

impl<M> StableAskError<M> {
    /// The request, when the error still holds it.
    ///
    /// ```
    /// use airssys_rt::message::StableAskError;
    /// assert_eq!(StableAskError::Gone(3).into_message(), Some(3));
    /// assert_eq!(StableAskError::<u8>::Unanswered.into_message(), None);
    /// ```
    pub fn into_message(self) -> Option<M> {
        match self {
            Self::Full(message)
            | Self::Restarting(message)
            | Self::RestartTimeout(message)
            | Self::Gone(message)
            | Self::WrongType(message)
            | Self::SupervisorEnded(message)
            | Self::CallingSelf(message) => Some(message),
            Self::Timeout(_) | Self::Stopped(_) | Self::Dropped | Self::Unanswered => None,
        }
    }
}

impl<M> From<StableSendError<M>> for StableAskError<M> {
    /// The same reason, for a request.
    fn from(error: StableSendError<M>) -> Self {
        match error {
            StableSendError::Full(message) => Self::Full(message),
            StableSendError::Restarting(message) => Self::Restarting(message),
            StableSendError::RestartTimeout(message) => Self::RestartTimeout(message),
            StableSendError::Gone(message) => Self::Gone(message),
            StableSendError::WrongType(message) => Self::WrongType(message),
            StableSendError::SupervisorEnded(message) => Self::SupervisorEnded(message),
        }
    }
}

impl<M> fmt::Debug for StableAskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Restarting(_) => f.write_str("Restarting(..)"),
            Self::RestartTimeout(_) => f.write_str("RestartTimeout(..)"),
            Self::Gone(_) => f.write_str("Gone(..)"),
            Self::WrongType(_) => f.write_str("WrongType(..)"),
            Self::SupervisorEnded(_) => f.write_str("SupervisorEnded(..)"),
            Self::Timeout(after) => f.debug_tuple("Timeout").field(after).finish(),
            Self::Stopped(reason) => f.debug_tuple("Stopped").field(reason).finish(),
            Self::Dropped => f.write_str("Dropped"),
            Self::CallingSelf(_) => f.write_str("CallingSelf(..)"),
            Self::Unanswered => f.write_str("Unanswered"),
        }
    }
}
