//! The non-waiting offer, and what services that send on nobody's behalf need around it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;
use tokio::sync::futures::Notified;
use tokio::sync::oneshot;

use crate::actor::{Accepts, Actor, ActorCell, ActorRef, WeakActorRef};
use crate::dead_letter::DeadLetterReason;
use crate::kernel::trace::SenderContext;
use crate::mailbox::PushError;
use crate::message::{Envelope, ReplyTo, Undelivered};

/// What became of a message offered without waiting ([`ActorRef::offer`]).
///
/// ```
/// use airssys_rt::kernel::Offer;
/// # use airssys_rt::prelude::*;
/// # fn send(actor: &ActorRef<impl Accepts<u64>>) {
/// match actor.offer(42) {
///     Offer::Delivered => {}
///     Offer::Dropped => println!("a dead letter: the overflow policy or the budget dropped it"),
///     Offer::Full(n) => println!("busy, keeping {n}"),
///     Offer::Gone(n) => println!("ended, keeping {n}"),
///     _ => {}
/// }
/// # }
/// ```
#[must_use = "a message that was not delivered is handed back in the offer"]
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Offer<M> {
    /// Queued in the mailbox (under `DropOldest`, maybe in place of the oldest message, which
    /// became a dead letter: M8).
    Delivered,
    /// Accepted and dropped: a full `DropNewest` mailbox dropped it on arrival (M8), or the
    /// spent message budget shed it (B3). It is a dead letter.
    Dropped,
    /// Not queued: the mailbox is full (`Wait` or `Reject`), or the message budget is spent
    /// under `BudgetPolicy::Reject` (B3). The message is handed back; nothing was recorded.
    Full(M),
    /// Not queued: the actor has ended or is ending (M7). The message is handed back.
    Gone(M),
}

impl<M> Offer<M> {
    /// Whether the message was queued.
    ///
    /// ```
    /// # use airssys_rt::kernel::Offer;
    /// assert!(Offer::<u8>::Delivered.is_delivered());
    /// assert!(!Offer::Full(1).is_delivered());
    /// ```
    pub fn is_delivered(&self) -> bool {
        matches!(self, Self::Delivered)
    }

    /// The message handed back, if it was.
    ///
    /// ```
    /// # use airssys_rt::kernel::Offer;
    /// assert_eq!(Offer::Gone(7).into_message(), Some(7));
    /// assert_eq!(Offer::<u8>::Dropped.into_message(), None);
    /// ```
    pub fn into_message(self) -> Option<M> {
        match self {
            Self::Full(msg) | Self::Gone(msg) => Some(msg),
            Self::Delivered | Self::Dropped => None,
        }
    }

    /// Drops the message handed back, if any, as the runtime drops the messages it lets go
    /// of: a panic in its `Drop` (user code) is caught and logged, not passed to the caller.
    ///
    /// ```
    /// # use airssys_rt::kernel::Offer;
    /// Offer::Full(vec![1, 2, 3]).discard();
    /// ```
    pub fn discard(self) {
        if let Some(msg) = self.into_message() {
            if crate::actor::drop_guarded(msg) {
                crate::actor::trace_guarded(|| {
                    tracing::error!("a message panicked while being dropped");
                });
            }
        }
    }
}

/// How a message that is given up on was sent: its dead letter says whether it was an ask
/// ([`DeadLetter::was_ask`](crate::dead_letter::DeadLetter::was_ask)).
///
/// ```
/// use airssys_rt::kernel::SentAs;
/// assert_ne!(SentAs::Tell, SentAs::Ask);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SentAs {
    /// A `tell`, or a message sent on nobody's behalf (a timer's, a publication).
    Tell,
    /// An `ask`, whose caller has gone (M15).
    Ask,
}

/// Where a message was sent from, for tracing (chapter Y of the semantics): a message sent
/// later on someone's behalf (a timer's) is traced as sent from where it was set.
///
/// ```
/// use airssys_rt::kernel::Origin;
/// let here = Origin::here();
/// let forever = Origin::detached();
/// # let _ = (here, forever);
/// ```
#[derive(Clone)]
pub struct Origin(SenderContext);

impl Origin {
    /// The current span, held until the message is handled.
    ///
    /// ```
    /// let origin = airssys_rt::kernel::Origin::here();
    /// # let _ = origin;
    /// ```
    pub fn here() -> Self {
        Self(SenderContext::capture())
    }

    /// For a sender that may last forever (an interval): a root span `timer` that follows
    /// from the current one, which must not be held open that long (Y3).
    ///
    /// ```
    /// let origin = airssys_rt::kernel::Origin::detached();
    /// # let _ = origin;
    /// ```
    pub fn detached() -> Self {
        Self(SenderContext::capture_detached())
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Origin").finish_non_exhaustive()
    }
}

pin_project! {
    /// Resolves once there may be room since it was made: a message was taken from the
    /// mailbox while it was full and made senders wait, or the mailbox closed. Made by
    /// [`ActorRef::room`]. In a mailbox that does not [wait when
    /// full](ActorRef::waits_when_full) only its close wakes it: taking a message from such a
    /// mailbox tells nobody.
    ///
    /// It hears every change from the moment it is made, polled or not: make it **before** the
    /// offer that finds the mailbox full, and room made between the two is not missed.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::kernel::Offer;
    /// # async fn send(actor: &ActorRef<impl Accepts<u8>>) {
    /// let mut msg = 1;
    /// loop {
    ///     let room = actor.room();
    ///     match actor.offer(msg) {
    ///         Offer::Full(back) if actor.waits_when_full() => {
    ///             msg = back;
    ///             room.await;
    ///         }
    ///         _ => break,
    ///     }
    /// }
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Room<'a> {
        #[pin]
        changed: Notified<'a>,
    }
}

impl Future for Room<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        self.project().changed.poll(cx)
    }
}

impl fmt::Debug for Room<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Room").finish_non_exhaustive()
    }
}

impl<A: Actor> ActorRef<A> {
    /// Offers a message without waiting, and says what became of it: the
    /// [kernel](crate::kernel)'s [`try_tell`](Self::try_tell).
    ///
    /// Behaves as `try_tell` (M7, M8, B3): the overflow policy and the message budget apply, and
    /// what they drop is a dead letter ([`Offer::Dropped`]); a full mailbox, or a spent budget
    /// under `Reject`, hands the message back ([`Offer::Full`]), as does an actor that has ended
    /// ([`Offer::Gone`]). Costs what a `try_tell` costs.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::kernel::Offer;
    /// # async fn send(actor: ActorRef<impl Accepts<u8>>) {
    /// if let Offer::Full(back) = actor.offer(1) {
    ///     let _ = actor.tell(back).await; // wait for room after all
    /// }
    /// # }
    /// ```
    #[inline]
    pub fn offer<M: Send + 'static>(&self, msg: M) -> Offer<M>
    where
        A: Accepts<M>,
    {
        offered(self.cell().enqueue(Envelope::new(A::mail(msg, ReplyTo::told()))))
    }

    /// Offers a message that has no sender to go back to (a publication), without waiting.
    ///
    /// As [`offer`](Self::offer), except that past the message budget the message is shed
    /// under either budget policy (B3): a dead letter `BudgetExceeded`, [`Offer::Dropped`],
    /// never `Full`. `Full` then only means a full bounded mailbox.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::dead_letter::DeadLetterReason;
    /// # use airssys_rt::kernel::{Offer, SentAs};
    /// # fn publish(actor: &ActorRef<impl Accepts<u8>>) {
    /// match actor.offer_unreturnable(1) {
    ///     Offer::Full(msg) => actor.dead_letter(msg, DeadLetterReason::SubscriberFull, SentAs::Tell),
    ///     Offer::Gone(msg) => actor.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell),
    ///     _ => {}
    /// }
    /// # }
    /// ```
    #[inline]
    pub fn offer_unreturnable<M: Send + 'static>(&self, msg: M) -> Offer<M>
    where
        A: Accepts<M>,
    {
        offered(self.cell().enqueue_unreturnable(Envelope::new(A::mail(msg, ReplyTo::told()))))
    }

    /// [`offer_unreturnable`](Self::offer_unreturnable) from `origin`, made only while `gate`
    /// lets it: `gate` is called first, and the message is queued while what it returned is
    /// held; `None` sends nothing and hands the message back (`Err`).
    ///
    /// What the push displaces (an evicted oldest message, or the message itself when it is
    /// dropped or shed) becomes a dead letter only after the gate's guard is dropped: its `Drop`
    /// is user code, which may call back into whatever the guard locks. A timer uses it so that
    /// a `cancel` that returns `true` is followed by no send (K3).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::kernel::Origin;
    /// use std::sync::Mutex;
    /// # fn fire(actor: &ActorRef<impl Accepts<u8>>, cancelled: &Mutex<bool>) {
    /// let sent = actor.offer_unreturnable_gated(1, &Origin::here(), || {
    ///     let cancelled = cancelled.lock().ok()?;
    ///     (!*cancelled).then_some(cancelled)
    /// });
    /// # let _ = sent;
    /// # }
    /// ```
    pub fn offer_unreturnable_gated<M: Send + 'static, G>(
        &self,
        msg: M,
        origin: &Origin,
        gate: impl FnOnce() -> Option<G>,
    ) -> Result<Offer<M>, M>
    where
        A: Accepts<M>,
    {
        let envelope = Envelope::sent_from(A::mail(msg, ReplyTo::told()), origin.0.clone());
        match self.cell().enqueue_unreturnable_gated(envelope, gate) {
            Ok(pushed) => Ok(offered(pushed)),
            Err(envelope) => Err(A::unmail(envelope.message)),
        }
    }

    /// Whether a full mailbox makes senders wait (bounded, under `OverflowPolicy::Wait`):
    /// whether [`Offer::Full`] is worth waiting out with [`room`](Self::room) (M8).
    ///
    /// ```
    /// # fn patient<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> bool { actor.waits_when_full() }
    /// ```
    pub fn waits_when_full(&self) -> bool {
        self.cell().mailbox.waits_when_full()
    }

    /// A future that resolves once there may be room (a message taken from the mailbox while
    /// it was full, or the mailbox closed): made before an offer that finds it full, it waits
    /// for room as `tell` does. Only for a mailbox that
    /// [`waits_when_full`](Self::waits_when_full): in any other, only its close wakes it.
    ///
    /// ```
    /// # async fn wait<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) {
    /// actor.room().await;
    /// # }
    /// ```
    pub fn room(&self) -> Room<'_> {
        Room { changed: self.cell().mailbox.changed().notified() }
    }

    /// Records `msg` as a dead letter of this actor, for `reason` (M12), as the runtime
    /// records what it cannot deliver: a service gives up on a message it holds for this
    /// actor (a broadcast copy a full mailbox refused, a publication whose wait was cut short,
    /// a send cancelled before it was queued: M15). The message is dropped.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::dead_letter::DeadLetterReason;
    /// # use airssys_rt::kernel::SentAs;
    /// # fn give_up(actor: &ActorRef<impl Accepts<u8>>) {
    /// actor.dead_letter(1, DeadLetterReason::SendCancelled, SentAs::Tell);
    /// # }
    /// ```
    pub fn dead_letter<M: Send + 'static>(&self, msg: M, reason: DeadLetterReason, sent: SentAs)
    where
        A: Accepts<M>,
    {
        dead_letter_in(self.cell(), msg, reason, sent);
    }
}

impl<A: Actor> WeakActorRef<A> {
    /// [`ActorRef::dead_letter`] through a weak handle: a service that holds its actor weakly
    /// and can no longer reach it (it is ending for lack of strong handles, A4.6) records what
    /// it held for it. Dropped unrecorded only once the actor's memory is gone, long after its
    /// end.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::dead_letter::DeadLetterReason;
    /// # use airssys_rt::kernel::SentAs;
    /// # fn give_up(actor: &WeakActorRef<impl Accepts<u8>>) {
    /// actor.dead_letter(1, DeadLetterReason::ActorStopped, SentAs::Tell);
    /// # }
    /// ```
    pub fn dead_letter<M: Send + 'static>(&self, msg: M, reason: DeadLetterReason, sent: SentAs)
    where
        A: Accepts<M>,
    {
        if let Some(cell) = self.cell().upgrade() {
            dead_letter_in(&cell, msg, reason, sent);
        }
    }
}

pub(crate) fn dead_letter_in<A: Accepts<M>, M: Send + 'static>(
    cell: &ActorCell<A>,
    msg: M,
    reason: DeadLetterReason,
    sent: SentAs,
) {
    let reply = match sent {
        SentAs::Tell => ReplyTo::told(),
        // Its reply is never awaited: the caller has gone.
        SentAs::Ask => ReplyTo::asked(oneshot::channel().0),
    };
    let envelope = Envelope::new(A::mail(msg, reply));
    cell.dead_letter(envelope, reason, Undelivered::Dropped);
}

#[inline]
pub(crate) fn offered<A: Accepts<M>, M: Send + 'static>(
    pushed: Result<bool, PushError<Envelope<A>>>,
) -> Offer<M> {
    match pushed {
        Ok(true) => Offer::Delivered,
        Ok(false) => Offer::Dropped,
        Err(PushError::Full(envelope)) => Offer::Full(A::unmail(envelope.message)),
        Err(PushError::Closed(envelope)) => Offer::Gone(A::unmail(envelope.message)),
    }
}
