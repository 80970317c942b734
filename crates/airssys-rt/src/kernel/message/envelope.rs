//! A message on its way to an actor, with its reply slot, and what the runtime answers when the
//! actor will not.

use tokio::sync::oneshot;

use crate::kernel::actor::{Actor, ExitReason};
use crate::kernel::trace::SenderContext;

/// Why a request was answered by the runtime instead of the actor.
#[derive(Debug)]
pub(crate) enum Undelivered {
    Stopped(ExitReason),
    Dropped,
}

pub(crate) type ReplySender<R> = oneshot::Sender<Result<R, Undelivered>>;
pub(crate) type ReplyReceiver<R> = oneshot::Receiver<Result<R, Undelivered>>;

/// A message on its way through a mailbox, with the reply slot of an `ask`, and the span it
/// was sent from (with the feature `tracing-spans`; nothing without it).
pub(crate) struct Envelope<A: Actor> {
    pub(crate) message: A::Msg,
    pub(crate) reply: Option<ReplySender<A::Reply>>,
    pub(crate) sender: SenderContext,
}

impl<A: Actor> Envelope<A> {
    pub(crate) fn tell(message: A::Msg) -> Self {
        Self::sent_from(message, SenderContext::capture())
    }

    /// A `tell` sent on behalf of code that ran elsewhere (a timer, from where it was set).
    pub(crate) fn sent_from(message: A::Msg, sender: SenderContext) -> Self {
        Self { message, reply: None, sender }
    }

    pub(crate) fn ask(message: A::Msg) -> (Self, ReplyReceiver<A::Reply>) {
        let (reply, receiver) = oneshot::channel();
        (Self { message, reply: Some(reply), sender: SenderContext::capture() }, receiver)
    }
}

/// Answers a request that the actor will never answer itself.
pub(crate) fn answer_undelivered<R>(reply: Option<ReplySender<R>>, why: Undelivered) {
    if let Some(reply) = reply {
        // The caller may have given up already; then nobody is left to tell.
        let _ = reply.send(Err(why));
    }
}
