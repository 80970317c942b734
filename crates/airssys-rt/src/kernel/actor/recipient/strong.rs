//! `Recipient<M>` and `WeakRecipient<M>`: handles to any actor that handles `M`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};

use tokio::sync::futures::Notified;

use super::deliver::Deliver;
use super::tell::RecipientTell;
use crate::dead_letter::DeadLetterReason;
use crate::kernel::actor::{Accepts, Actor, ActorId, ActorRef, ExitReason};
use crate::kernel::message::SendError;
use crate::kernel::{AnyActor, Offer, SentAs};

/// A handle to any actor that handles messages of type `M`, whatever its type: what a
/// subscriber list, a test or an adapter holds when it must not name the actor type.
///
/// Made from an [`ActorRef`] with [`ActorRef::recipient`] or `Recipient::from`; it is the
/// actor's own cell behind a vtable, so making one allocates nothing, and a
/// [`tell`](Self::tell) through it costs one virtual call more than [`ActorRef::tell`].
///
/// It is a strong handle: it keeps its actor alive as an `ActorRef` does, and dropping the
/// last strong handle (of either kind) with an empty mailbox ends the actor (A4.6). Use
/// [`WeakRecipient`] to refer to an actor without keeping it alive. Recipients compare and
/// hash by the actor's [`ActorId`].
///
/// ```
/// use airssys_rt::actor::Recipient;
/// use airssys_rt::prelude::*;
///
/// struct Alarm(&'static str);
/// struct Count;
///
/// #[derive(Default)]
/// struct Siren {
///     rung: usize,
/// }
///
/// #[actor(messages(Alarm, Count))]
/// impl Actor for Siren {}
///
/// impl Handler<Alarm> for Siren {
///     type Reply = ();
///     async fn handle(&mut self, _: Alarm, _: &mut Context<Self>) {
///         self.rung += 1;
///     }
/// }
///
/// impl Handler<Count> for Siren {
///     type Reply = usize;
///     async fn handle(&mut self, _: Count, _: &mut Context<Self>) -> usize {
///         self.rung
///     }
/// }
///
/// /// Rings every alarm it is given, whatever actor is behind each.
/// async fn ring_all(alarms: &[Recipient<Alarm>]) -> Result<(), SendError<Alarm>> {
///     for alarm in alarms {
///         alarm.tell(Alarm("fire")).await?;
///     }
///     Ok(())
/// }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let siren = system.spawn::<Siren>(Siren::default()).await?;
/// ring_all(&[siren.recipient(), Recipient::from(siren.clone())]).await?;
/// assert_eq!(siren.ask(Count).await?, 2);
/// # Ok(()) }
/// ```
pub struct Recipient<M> {
    cell: Arc<dyn Deliver<M>>,
}

impl<M: Send + 'static> Recipient<M> {
    /// Wraps a cell whose sender count already includes this handle.
    pub(super) fn from_counted(cell: Arc<dyn Deliver<M>>) -> Self {
        Self { cell }
    }

    /// The actor's id.
    ///
    /// ```
    /// # fn id(recipient: &airssys_rt::actor::Recipient<u8>) -> airssys_rt::ActorId { recipient.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.actor_id()
    }

    /// The name the actor is registered under, if it has one; `None` once it has ended.
    ///
    /// ```
    /// # fn name(recipient: &airssys_rt::actor::Recipient<u8>) -> Option<std::sync::Arc<str>> { recipient.name() }
    /// ```
    pub fn name(&self) -> Option<Arc<str>> {
        self.cell.erased().name()
    }

    /// Whether the actor has not begun to end (it is starting or running). One that asked to
    /// stop (`Context::stop`, A4.2) is alive until its hook or handler returns, but already
    /// refuses messages (`Closed`).
    ///
    /// ```
    /// # fn alive(recipient: &airssys_rt::actor::Recipient<u8>) -> bool { recipient.is_alive() }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.erased().state().is_alive()
    }

    /// A handle that does not keep the actor alive.
    ///
    /// ```
    /// # use airssys_rt::actor::{Recipient, WeakRecipient};
    /// # fn weak(recipient: &Recipient<u8>) -> WeakRecipient<u8> { recipient.downgrade() }
    /// ```
    pub fn downgrade(&self) -> WeakRecipient<M> {
        WeakRecipient { id: self.cell.actor_id(), cell: Arc::downgrade(&self.cell) }
    }

    /// Sends a message without waiting for it to be handled, as [`ActorRef::tell`] does:
    /// in the order of this sender's other messages to the actor (M1), waiting for room in a
    /// full `Wait` mailbox (or at most [`RecipientTell::timeout`]), handing the message back
    /// when it is refused, and making it a dead letter `SendCancelled` if dropped before it is
    /// queued (M15).
    ///
    /// ```
    /// # use airssys_rt::actor::Recipient;
    /// # async fn send(recipient: Recipient<String>) {
    /// if let Err(error) = recipient.tell("hello".to_string()).await {
    ///     eprintln!("not delivered: {}", error.into_inner());
    /// }
    /// # }
    /// ```
    #[inline]
    pub fn tell(&self, msg: M) -> RecipientTell<'_, M> {
        RecipientTell::new(&*self.cell, msg)
    }

    /// Sends a message if it can be queued at once; never waits. As [`ActorRef::try_tell`].
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::actor::Recipient;
    /// # fn send(recipient: &Recipient<u64>) {
    /// match recipient.try_tell(42) {
    ///     Ok(()) => {}
    ///     Err(SendError::Full(n)) => println!("busy, keeping {n}"),
    ///     Err(SendError::Closed(n)) => println!("gone, keeping {n}"),
    /// }
    /// # }
    /// ```
    pub fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        try_told(self.cell.offer(msg))
    }

    /// Offers a message without waiting, and says what became of it, as [`ActorRef::offer`].
    ///
    /// ```
    /// # use airssys_rt::actor::Recipient;
    /// use airssys_rt::kernel::Offer;
    /// # fn send(recipient: &Recipient<u8>) {
    /// if let Offer::Full(back) = recipient.offer(1) {
    ///     println!("busy, keeping {back}");
    /// }
    /// # }
    /// ```
    #[inline]
    pub fn offer(&self, msg: M) -> Offer<M> {
        self.cell.offer(msg)
    }

    /// Waits until the actor has ended, and returns why.
    ///
    /// ```
    /// # async fn wait(recipient: airssys_rt::actor::Recipient<u8>) {
    /// println!("ended: {}", recipient.wait_for_exit().await);
    /// # }
    /// ```
    pub async fn wait_for_exit(&self) -> ExitReason {
        self.cell.erased().exit().await
    }

    /// `ActorRef::offer_unreturnable`, for a publication.
    #[inline]
    pub(crate) fn offer_unreturnable(&self, msg: M) -> Offer<M> {
        self.cell.offer_unreturnable(msg)
    }

    /// `ActorRef::dead_letter`.
    pub(crate) fn dead_letter(&self, msg: M, reason: DeadLetterReason, sent: SentAs) {
        self.cell.dead_letter(msg, reason, sent);
    }

    /// `ActorRef::waits_when_full`.
    pub(crate) fn waits_when_full(&self) -> bool {
        self.cell.waits_when_full()
    }

    /// `ActorRef::room`: made before an offer that finds the mailbox full.
    pub(crate) fn room(&self) -> Notified<'_> {
        self.cell.room().notified()
    }

    /// The erased handle of the same actor, for its end hooks and keep-alives.
    pub(crate) fn erase(&self) -> AnyActor {
        AnyActor::from_cell(Arc::clone(&self.cell).erase())
    }
}

/// What a `try_tell` returns for an offer: a message the policy dropped was accepted, as
/// `ActorRef::try_tell` says.
#[inline]
pub(super) fn try_told<M>(offer: Offer<M>) -> Result<(), SendError<M>> {
    match offer {
        Offer::Delivered | Offer::Dropped => Ok(()),
        Offer::Full(msg) => Err(SendError::Full(msg)),
        Offer::Gone(msg) => Err(SendError::Closed(msg)),
    }
}

impl<A: Accepts<M>, M: Send + 'static> From<ActorRef<A>> for Recipient<M> {
    fn from(actor: ActorRef<A>) -> Self {
        // The handle's sender is taken over: counted once more before the handle goes, so that
        // the count never touches zero in between.
        actor.recipient()
    }
}

impl<M: Send + 'static> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        self.cell.hold_sender();
        Self { cell: Arc::clone(&self.cell) }
    }
}

impl<M> Drop for Recipient<M> {
    fn drop(&mut self) {
        self.cell.release_sender();
    }
}

impl<M: Send + 'static> PartialEq for Recipient<M> {
    fn eq(&self, other: &Self) -> bool {
        self.cell.actor_id() == other.cell.actor_id()
    }
}

impl<M: Send + 'static> Eq for Recipient<M> {}

impl<M: Send + 'static> Hash for Recipient<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.actor_id().hash(state);
    }
}

impl<M: Send + 'static> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Recipient");
        debug.field("id", &self.cell.actor_id()).field("message_type", &std::any::type_name::<M>());
        if let Some(name) = self.cell.erased().name() {
            debug.field("name", &name);
        }
        debug.field("state", &self.cell.erased().state()).finish()
    }
}

/// A [`Recipient`] that does not keep its actor alive: [`upgrade`](Self::upgrade) gives a
/// strong one while the actor runs and has a strong handle somewhere, `None` once it has
/// ended.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # #[derive(Default)] struct Idle;
/// # #[actor] impl Actor for Idle {
/// #     type Msg = u8; type Reply = ();
/// #     async fn handle(&mut self, _: u8, _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let idle = system.spawn::<Idle>(Idle).await?;
/// let weak = idle.recipient::<u8>().downgrade();
/// assert!(weak.upgrade().is_some());
/// idle.stop();
/// idle.wait_for_exit().await;
/// assert!(weak.upgrade().is_none());
/// # Ok(()) }
/// ```
pub struct WeakRecipient<M> {
    id: ActorId,
    cell: Weak<dyn Deliver<M>>,
}

impl<M: Send + 'static> WeakRecipient<M> {
    /// The actor's id.
    ///
    /// ```
    /// # fn id(weak: &airssys_rt::actor::WeakRecipient<u8>) -> airssys_rt::ActorId { weak.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.id
    }

    /// A strong recipient, if the actor is still alive and has a strong handle somewhere.
    ///
    /// ```
    /// # use airssys_rt::actor::{Recipient, WeakRecipient};
    /// # fn up(weak: &WeakRecipient<u8>) -> Option<Recipient<u8>> { weak.upgrade() }
    /// ```
    pub fn upgrade(&self) -> Option<Recipient<M>> {
        let cell = self.cell.upgrade()?;
        // As `WeakActorRef::upgrade`: a sender is added only while one is left, so an actor
        // ending for lack of them is not brought back (A9).
        if !cell.erased().state().is_alive() || !cell.erased().try_hold_sender() {
            return None;
        }
        Some(Recipient::from_counted(cell))
    }

    /// Whether the actor has not begun to end; one that asked to stop already refuses messages
    /// (A4.2).
    ///
    /// ```
    /// # fn alive(weak: &airssys_rt::actor::WeakRecipient<u8>) -> bool { weak.is_alive() }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.upgrade().is_some_and(|cell| cell.erased().state().is_alive())
    }
}

impl<M: Send + 'static> Clone for WeakRecipient<M> {
    fn clone(&self) -> Self {
        Self { id: self.id, cell: Weak::clone(&self.cell) }
    }
}

impl<M: Send + 'static> PartialEq for WeakRecipient<M> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<M: Send + 'static> Eq for WeakRecipient<M> {}

impl<M: Send + 'static> Hash for WeakRecipient<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<M: Send + 'static> fmt::Debug for WeakRecipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakRecipient")
            .field("id", &self.id)
            .field("message_type", &std::any::type_name::<M>())
            .finish()
    }
}

impl<A: Actor> ActorRef<A> {
    /// A [`Recipient`] of `M` for this actor: a handle that names the message type instead of
    /// the actor type. It keeps the actor alive as this handle does; making it allocates
    /// nothing.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::Recipient;
    /// # fn erase<A: Accepts<u8>>(actor: &ActorRef<A>) -> Recipient<u8> {
    /// let bytes: Recipient<u8> = actor.recipient();
    /// # bytes }
    /// ```
    pub fn recipient<M: Send + 'static>(&self) -> Recipient<M>
    where
        A: Accepts<M>,
    {
        self.cell().mailbox.add_sender();
        Recipient::from_counted(self.cell().clone())
    }
}
