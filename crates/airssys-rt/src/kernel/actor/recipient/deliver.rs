//! The vtable behind a recipient: what sending one message type to an actor of any type
//! needs, implemented by the actor's own cell.

use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::sync::Notify;

use crate::dead_letter::DeadLetterReason;
use crate::kernel::actor::actor_ref::send_error;
use crate::kernel::actor::{current, Accepts, ActorCell, ActorId, ErasedCell, ExitReason};
use crate::kernel::mailbox::PushError;
use crate::kernel::message::{Envelope, ReplySender, ReplyTo, SendError};
use crate::kernel::offer::{dead_letter_in, offered};
use crate::kernel::system::deadlines::Deadlines;
use crate::kernel::{Offer, SentAs};

/// What the first attempt of a tell came to.
pub(crate) enum TellAttempt<M> {
    /// Queued, or refused for good with the message handed back.
    Done(Result<(), SendError<M>>),
    /// The task gave way to the scheduler before sending (M13); it has been woken, and the
    /// message is handed back to send at the next poll.
    GaveWay(M),
    /// The mailbox is full and makes senders wait: the message is handed back to wait with.
    MustWait(M),
}

/// An actor that takes messages of type `M`, whatever its type: a recipient is the actor's
/// cell seen through this trait, the same `Arc`, so that making one allocates nothing.
///
/// What is not typed by the message (the name, the state, the end hooks; the sender count
/// but for a clone's and a drop's) is reached through [`erased`](Deliver::erased) rather than
/// a supertrait: `ErasedCell` is
/// `'static`, and a supertrait would make every recipient's `Drop` demand `M: 'static`, and
/// the broker's structs with it. Each method is one virtual call, made where `ActorRef` makes
/// a static one.
pub(crate) trait Deliver<M>: Send + Sync {
    /// The actor's id.
    fn actor_id(&self) -> ActorId;

    /// The same cell, untyped.
    fn erased(&self) -> &dyn ErasedCell;

    /// The same cell, untyped, as an owned handle.
    fn erase(self: Arc<Self>) -> Arc<dyn ErasedCell>;

    /// A tell's first attempt, as `TellFuture` makes it: gives way once if the mailbox never
    /// pushes back, then queues the message. One call, so that a tell into a mailbox with room
    /// costs a single virtual call.
    fn tell_now(&self, msg: M, cx: &mut TaskContext<'_>, gave_way: &mut bool) -> TellAttempt<M>;

    /// Queues a told message, as a tell that waited for room retries it.
    fn push_told(&self, msg: M) -> Result<(), PushError<M>>;

    /// `ActorRef::offer`.
    fn offer(&self, msg: M) -> Offer<M>;

    /// `ActorRef::offer_unreturnable`.
    fn offer_unreturnable(&self, msg: M) -> Offer<M>;

    /// `ActorRef::dead_letter`.
    fn dead_letter(&self, msg: M, reason: DeadLetterReason, sent: SentAs);

    /// Whether a full mailbox makes senders wait.
    fn waits_when_full(&self) -> bool;

    /// How many messages wait in the mailbox. Here rather than through `erased()`, so that a
    /// least-loaded router's scan costs one virtual call per member.
    fn mailbox_len(&self) -> usize;

    /// Notified when room may have been made, or the mailbox closed.
    fn room(&self) -> &Notify;

    /// The system's shared deadlines, for a tell's timeout and an ask's.
    fn deadlines(&self) -> &Arc<Deadlines>;

    /// The system's ask timeout.
    fn ask_timeout(&self) -> Duration;

    /// Why the actor ended, once it has.
    fn exit_reason(&self) -> Option<ExitReason>;

    /// Takes a sender for a new strong recipient (a clone). Here rather than through
    /// `erased()`, so that a clone costs one virtual call, as the drop does.
    fn hold_sender(&self);

    /// Gives up the sender a strong recipient held. Here rather than through `ErasedCell`,
    /// so that a recipient's `Drop` needs no `'static` bound on the message type.
    fn release_sender(&self);
}

/// A request refused before it was queued: its message, and its reply slot if the actor's
/// `Accepts` hands it back.
pub(crate) type Refused<M, R> = PushError<(M, Option<ReplySender<R>>)>;

/// An actor that answers asks of `M` with an `R`.
pub(crate) trait DeliverAsk<M, R>: Deliver<M> {
    /// Queues a request with its reply slot. A refused request is handed back with its slot,
    /// unanswered, for the retry of an ask that waits for room: many asks woken by the same
    /// room all try, and all but one are refused again. `None` if the actor's `Accepts` cannot
    /// hand the slot back (a hand-written one that keeps the default `unmail_request`): it was
    /// answered `Unanswered`, and a retry needs a new one.
    fn push_asked(&self, msg: M, slot: ReplySender<R>) -> Result<(), Refused<M, R>>;
}

impl<A: Accepts<M>, M: Send + 'static> Deliver<M> for ActorCell<A> {
    #[inline]
    fn tell_now(&self, msg: M, cx: &mut TaskContext<'_>, gave_way: &mut bool) -> TellAttempt<M> {
        if !*gave_way {
            // As `TellFuture` does, and for the same reason (M13): a sender that is never made
            // to wait still gives way now and then, before it sends.
            if !self.mailbox.pushes_back() {
                let proceed = match tokio::task::coop::poll_proceed(cx) {
                    Poll::Ready(proceed) => proceed,
                    Poll::Pending => return TellAttempt::GaveWay(msg),
                };
                proceed.made_progress();
            }
            *gave_way = true;
        }
        match self.push(Envelope::new(A::mail(msg, ReplyTo::told()))) {
            Ok(()) => TellAttempt::Done(Ok(())),
            // From its own hook or handler, an actor would wait for room only it can make (M16).
            Err(PushError::Full(back)) if current::is_running(self.id) => {
                TellAttempt::Done(Err(SendError::Full(A::unmail(back.message))))
            }
            Err(PushError::Full(back)) if self.mailbox.waits_when_full() => {
                TellAttempt::MustWait(A::unmail(back.message))
            }
            Err(error) => TellAttempt::Done(Err(send_error(error))),
        }
    }

    fn push_told(&self, msg: M) -> Result<(), PushError<M>> {
        self.push(Envelope::new(A::mail(msg, ReplyTo::told()))).map_err(unmail_refused)
    }

    #[inline]
    fn offer(&self, msg: M) -> Offer<M> {
        offered(self.enqueue(Envelope::new(A::mail(msg, ReplyTo::told()))))
    }

    #[inline]
    fn offer_unreturnable(&self, msg: M) -> Offer<M> {
        offered(self.enqueue_unreturnable(Envelope::new(A::mail(msg, ReplyTo::told()))))
    }

    fn dead_letter(&self, msg: M, reason: DeadLetterReason, sent: SentAs) {
        dead_letter_in(self, msg, reason, sent);
    }

    fn waits_when_full(&self) -> bool {
        self.mailbox.waits_when_full()
    }

    fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    fn room(&self) -> &Notify {
        self.mailbox.changed()
    }

    fn deadlines(&self) -> &Arc<Deadlines> {
        self.system.deadlines()
    }

    fn ask_timeout(&self) -> Duration {
        self.system.config().ask_timeout()
    }

    fn exit_reason(&self) -> Option<ExitReason> {
        ActorCell::exit_reason(self)
    }

    fn hold_sender(&self) {
        self.mailbox.add_sender();
    }

    fn release_sender(&self) {
        self.mailbox.remove_sender();
    }

    fn actor_id(&self) -> ActorId {
        self.id
    }

    fn erased(&self) -> &dyn ErasedCell {
        self
    }

    fn erase(self: Arc<Self>) -> Arc<dyn ErasedCell> {
        self
    }
}

impl<A, M, R> DeliverAsk<M, R> for ActorCell<A>
where
    A: Accepts<M, Reply = R>,
    M: Send + 'static,
    R: Send + 'static,
{
    fn push_asked(&self, msg: M, slot: ReplySender<R>) -> Result<(), Refused<M, R>> {
        let refused = |envelope: Envelope<A>| {
            let (msg, reply) = A::unmail_request(envelope.message);
            (msg, reply.into_slot())
        };
        match self.push(Envelope::new(A::mail(msg, ReplyTo::asked(slot)))) {
            Ok(()) => Ok(()),
            Err(PushError::Full(envelope)) => Err(PushError::Full(refused(envelope))),
            Err(PushError::Closed(envelope)) => Err(PushError::Closed(refused(envelope))),
        }
    }
}

fn unmail_refused<A: Accepts<M>, M: Send + 'static>(error: PushError<Envelope<A>>) -> PushError<M> {
    match error {
        PushError::Full(envelope) => PushError::Full(A::unmail(envelope.message)),
        PushError::Closed(envelope) => PushError::Closed(A::unmail(envelope.message)),
    }
}
