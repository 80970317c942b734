//! What a `tell` or an `ask` returns when its message was not handled.

use std::fmt;
use std::time::Duration;

use super::ExitReason;

/// A `tell` or `try_tell` that could not queue its message; the message is handed back.
///
/// ```
/// use airssys_rt::message::SendError;
/// let error = SendError::Closed(7_u32);
/// assert!(error.is_closed());
/// assert_eq!(error.to_string(), "the actor's mailbox is closed");
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError<M> {
    /// The bounded mailbox is full (`try_tell`, any send under
    /// [`OverflowPolicy::Reject`](crate::mailbox::OverflowPolicy::Reject), or a `tell` whose
    /// [timeout](crate::actor::Tell::timeout) passed while it waited for room under `Wait`).
    #[error("the actor's mailbox is full")]
    Full(M),
    /// The actor has stopped, or is stopping, and takes no more messages.
    #[error("the actor's mailbox is closed")]
    Closed(M),
}

impl<M> SendError<M> {
    /// The message that was not sent.
    ///
    /// ```
    /// use airssys_rt::message::SendError;
    /// assert_eq!(SendError::Full(1).into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> M {
        match self {
            Self::Full(message) | Self::Closed(message) => message,
        }
    }

    /// Whether the mailbox was full.
    ///
    /// ```
    /// use airssys_rt::message::SendError;
    /// assert!(SendError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// Whether the mailbox was closed.
    ///
    /// ```
    /// use airssys_rt::message::SendError;
    /// assert!(SendError::Closed(()).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

/// Why an [`ask`](crate::ActorRef::ask) brought no reply.
///
/// ```
/// use airssys_rt::message::AskError;
/// use airssys_rt::ExitReason;
/// let error: AskError<()> = AskError::Stopped(ExitReason::Killed);
/// assert_eq!(error.to_string(), "the actor stopped before replying: killed");
/// ```
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AskError<M> {
    /// The mailbox was full: at once under `Reject`, or for the whole timeout under `Wait`.
    /// The request is handed back.
    #[error("the actor's mailbox is full")]
    Full(M),
    /// The actor had already stopped, or was stopping; the request is handed back.
    #[error("the actor's mailbox is closed")]
    Closed(M),
    /// No reply came within the timeout. The request may still be handled later; its reply is
    /// then discarded.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The actor ended after taking the request and before replying (it panicked, failed, was
    /// stopped or killed); the reason is the one it ended with.
    #[error("the actor stopped before replying: {0}")]
    Stopped(ExitReason),
    /// The mailbox's overflow policy dropped the request (`DropNewest` or `DropOldest`); it
    /// was recorded as a dead letter.
    #[error("the request was dropped by the mailbox's overflow policy")]
    Dropped,
    /// The actor asked itself, from one of its own hooks or its handler: it cannot answer
    /// while it waits (OTP's `calling_self`). Refused at once; the request is handed back.
    #[error("an actor cannot ask itself")]
    CallingSelf(M),
    /// The actor took the request and dropped its [`ReplyTo`](crate::actor::ReplyTo) without
    /// answering: a deferred handler forgot it, or the task holding it ended. Known at once,
    /// never only at the timeout.
    #[error("the actor dropped the request without answering it")]
    Unanswered,
}

impl<M> AskError<M> {
    /// The request, when the error still holds it (`Full` and `Closed`).
    ///
    /// ```
    /// use airssys_rt::message::AskError;
    /// assert_eq!(AskError::Full(3).into_message(), Some(3));
    /// assert_eq!(AskError::<u8>::Dropped.into_message(), None);
    /// ```
    pub fn into_message(self) -> Option<M> {
        match self {
            Self::Full(message) | Self::Closed(message) | Self::CallingSelf(message) => {
                Some(message)
            }
            Self::Timeout(_) | Self::Stopped(_) | Self::Dropped | Self::Unanswered => None,
        }
    }

    /// Whether the ask timed out.
    ///
    /// ```
    /// use airssys_rt::message::AskError;
    /// assert!(AskError::<()>::Timeout(std::time::Duration::from_secs(1)).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }
}

impl<M> fmt::Debug for AskError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
            Self::Timeout(after) => f.debug_tuple("Timeout").field(after).finish(),
            Self::Stopped(reason) => f.debug_tuple("Stopped").field(reason).finish(),
            Self::Dropped => f.write_str("Dropped"),
            Self::CallingSelf(_) => f.write_str("CallingSelf(..)"),
            Self::Unanswered => f.write_str("Unanswered"),
        }
    }
}
