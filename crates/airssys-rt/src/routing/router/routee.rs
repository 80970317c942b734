//! What the routing table needs of a worker, whatever holds it: a pool's `ActorRef<A>`, all
//! of one actor type, or a group's `ReplyRecipient<M, R>`, of any types that handle `M`.
//!
//! The table is generic over it rather than holding trait objects, so that a pool's router
//! monomorphises to the direct calls it made on `ActorRef` before: no boxing, no dynamic
//! dispatch on its hot path. A group pays the recipient's own virtual call per operation.

use std::future::{Future, IntoFuture};
use std::time::Duration;

use crate::actor::{
    Accepts, ActorRef, AskFuture, RecipientAskFuture, RecipientTellFuture, ReplyRecipient,
    TellFuture,
};
use crate::dead_letter::DeadLetterReason;
use crate::kernel::SentAs;
use crate::message::{AskError, SendError};
use crate::ActorId;

/// A worker the table routes messages of type `M` to.
pub(super) trait Routee<M: Send + 'static>: Clone + Send + Sync + 'static {
    /// What the worker answers an `M` with.
    type Reply: Send + 'static;

    /// A tell on its way, waiting for room if it must.
    type Tell<'a>: Future<Output = Result<(), SendError<M>>> + Send + 'a
    where
        Self: 'a;

    /// An ask on its way.
    type Ask<'a>: Future<Output = Result<Self::Reply, AskError<M>>> + Send + 'a
    where
        Self: 'a;

    fn id(&self) -> ActorId;

    fn is_alive(&self) -> bool;

    fn mailbox_len(&self) -> usize;

    /// Whether its full mailbox makes a sender wait rather than refuse.
    fn waits_when_full(&self) -> bool;

    fn try_tell(&self, msg: M) -> Result<(), SendError<M>>;

    /// A tell that waits for room, at most `timeout` if there is one.
    fn tell(&self, msg: M, timeout: Option<Duration>) -> Self::Tell<'_>;

    fn ask(&self, msg: M, timeout: Duration) -> Self::Ask<'_>;

    /// Whether the request of `ask` has left the caller (queued, or refused).
    fn is_posted(ask: &Self::Ask<'_>) -> bool;

    fn dead_letter(&self, msg: M, reason: DeadLetterReason, sent: SentAs);
}

impl<A: Accepts<M>, M: Send + 'static> Routee<M> for ActorRef<A> {
    type Reply = <A as Accepts<M>>::Reply;
    type Tell<'a> = TellFuture<'a, A, M>;
    type Ask<'a> = AskFuture<'a, A, M>;

    #[inline]
    fn id(&self) -> ActorId {
        ActorRef::id(self)
    }

    #[inline]
    fn is_alive(&self) -> bool {
        ActorRef::is_alive(self)
    }

    #[inline]
    fn mailbox_len(&self) -> usize {
        ActorRef::mailbox_len(self)
    }

    #[inline]
    fn waits_when_full(&self) -> bool {
        ActorRef::waits_when_full(self)
    }

    #[inline]
    fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        ActorRef::try_tell(self, msg)
    }

    #[inline]
    fn tell(&self, msg: M, timeout: Option<Duration>) -> Self::Tell<'_> {
        let tell = ActorRef::tell(self, msg);
        match timeout {
            Some(timeout) => tell.timeout(timeout).into_future(),
            None => tell.into_future(),
        }
    }

    #[inline]
    fn ask(&self, msg: M, timeout: Duration) -> Self::Ask<'_> {
        ActorRef::ask(self, msg).timeout(timeout).into_future()
    }

    #[inline]
    fn is_posted(ask: &Self::Ask<'_>) -> bool {
        ask.is_posted()
    }

    #[inline]
    fn dead_letter(&self, msg: M, reason: DeadLetterReason, sent: SentAs) {
        ActorRef::dead_letter(self, msg, reason, sent);
    }
}

impl<M: Send + 'static, R: Send + 'static> Routee<M> for ReplyRecipient<M, R> {
    type Reply = R;
    type Tell<'a> = RecipientTellFuture<'a, M>;
    type Ask<'a> = RecipientAskFuture<'a, M, R>;

    fn id(&self) -> ActorId {
        ReplyRecipient::id(self)
    }

    fn is_alive(&self) -> bool {
        ReplyRecipient::is_alive(self)
    }

    fn mailbox_len(&self) -> usize {
        ReplyRecipient::mailbox_len(self)
    }

    fn waits_when_full(&self) -> bool {
        ReplyRecipient::waits_when_full(self)
    }

    fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        ReplyRecipient::try_tell(self, msg)
    }

    fn tell(&self, msg: M, timeout: Option<Duration>) -> Self::Tell<'_> {
        let tell = ReplyRecipient::tell(self, msg);
        match timeout {
            Some(timeout) => tell.timeout(timeout).into_future(),
            None => tell.into_future(),
        }
    }

    fn ask(&self, msg: M, timeout: Duration) -> Self::Ask<'_> {
        ReplyRecipient::ask(self, msg).timeout(timeout).into_future()
    }

    fn is_posted(ask: &Self::Ask<'_>) -> bool {
        ask.is_posted()
    }

    fn dead_letter(&self, msg: M, reason: DeadLetterReason, sent: SentAs) {
        ReplyRecipient::dead_letter(self, msg, reason, sent);
    }
}
