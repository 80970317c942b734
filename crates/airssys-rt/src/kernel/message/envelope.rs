//! A message on its way to an actor, and what the runtime answers when the actor will not.

use tokio::sync::oneshot;

use crate::kernel::actor::{Actor, ExitReason};
use crate::kernel::trace::SenderContext;

/// Why a request was answered by the runtime instead of the actor.
#[derive(Debug, Clone)]
pub(crate) enum Undelivered {
    Stopped(ExitReason),
    Dropped,
    /// Its reply handle was dropped unanswered while the actor went on.
    Unanswered,
}

pub(crate) type ReplySender<R> = oneshot::Sender<Result<R, Undelivered>>;
pub(crate) type ReplyReceiver<R> = oneshot::Receiver<Result<R, Undelivered>>;

/// A message on its way through a mailbox (its mail, holding the reply handle of an ask), and
/// the span it was sent from (with the feature `tracing-spans`; nothing without it).
pub(crate) struct Envelope<A: Actor> {
    pub(crate) message: A::Mail,
    pub(crate) sender: SenderContext,
}

impl<A: Actor> Envelope<A> {
    pub(crate) fn new(message: A::Mail) -> Self {
        Self::sent_from(message, SenderContext::capture())
    }

    /// Mail sent on behalf of code that ran elsewhere (a timer, from where it was set).
    pub(crate) fn sent_from(message: A::Mail, sender: SenderContext) -> Self {
        Self { message, sender }
    }
}
