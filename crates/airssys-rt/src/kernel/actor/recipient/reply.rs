//! `ReplyRecipient<M, R>`: a recipient that can also ask, naming the reply type.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::futures::Notified;
use tokio::sync::oneshot;

use super::deliver::DeliverAsk;
use super::strong::{try_told, Recipient};
use super::tell::RecipientTell;
use crate::dead_letter::DeadLetterReason;
use crate::kernel::actor::actor_ref::AskDeadline;
use crate::kernel::actor::{current, Accepts, Actor, ActorId, ActorRef, ExitReason};
use crate::kernel::mailbox::PushError;
use crate::kernel::message::{AskError, ReplyReceiver, ReplySender, SendError, Undelivered};
use crate::kernel::{AnyActor, EndHook, EndHookError, SentAs};

/// A handle to any actor that answers messages of type `M` with replies of type `R`: a
/// [`Recipient`] that can [`ask`](Self::ask) too.
///
/// The reply type is named because it belongs to the actor's handler, not to the message:
/// two actors may answer the same message type differently. Made with
/// [`ActorRef::reply_recipient`] or `ReplyRecipient::from` from any actor whose
/// `Accepts<M>::Reply` is `R`; a strong handle, as a `Recipient` is.
///
/// ```
/// use airssys_rt::actor::ReplyRecipient;
/// use airssys_rt::prelude::*;
///
/// struct Balance;
///
/// #[derive(Default)]
/// struct Account {
///     cents: u64,
/// }
///
/// #[actor(messages(Balance))]
/// impl Actor for Account {}
///
/// impl Handler<Balance> for Account {
///     type Reply = u64;
///     async fn handle(&mut self, _: Balance, _: &mut Context<Self>) -> u64 {
///         self.cents
///     }
/// }
///
/// /// Sums the balances of any actors that report one.
/// async fn total(accounts: &[ReplyRecipient<Balance, u64>]) -> Result<u64, AskError<Balance>> {
///     let mut sum = 0;
///     for account in accounts {
///         sum += account.ask(Balance).await?;
///     }
///     Ok(sum)
/// }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let rich = system.spawn::<Account>(Account { cents: 500 }).await?;
/// let poor = system.spawn::<Account>(Account { cents: 7 }).await?;
/// assert_eq!(total(&[rich.reply_recipient(), poor.reply_recipient()]).await?, 507);
/// # Ok(()) }
/// ```
pub struct ReplyRecipient<M, R> {
    cell: Arc<dyn DeliverAsk<M, R>>,
}

impl<M: Send + 'static, R: Send + 'static> ReplyRecipient<M, R> {
    /// The actor's id.
    ///
    /// ```
    /// # fn id(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) -> airssys_rt::ActorId { recipient.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.actor_id()
    }

    /// The name the actor is registered under, if it has one; `None` once it has ended.
    ///
    /// ```
    /// # fn name(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) -> Option<std::sync::Arc<str>> { recipient.name() }
    /// ```
    pub fn name(&self) -> Option<Arc<str>> {
        self.cell.erased().name()
    }

    /// Whether the actor has not begun to end (it is starting or running). One that asked to
    /// stop (`Context::stop`, A4.2) is alive until its hook or handler returns, but already
    /// refuses messages (`Closed`).
    ///
    /// ```
    /// # fn alive(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) -> bool { recipient.is_alive() }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.erased().state().is_alive()
    }

    /// How many messages wait in the actor's mailbox, as [`ActorRef::mailbox_len`].
    ///
    /// ```
    /// # fn depth(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) -> usize { recipient.mailbox_len() }
    /// ```
    pub fn mailbox_len(&self) -> usize {
        self.cell.mailbox_len()
    }

    /// Whether the actor's full mailbox makes senders wait (bounded, under
    /// `OverflowPolicy::Wait`), as [`ActorRef::waits_when_full`].
    ///
    /// ```
    /// # fn patient(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) -> bool { recipient.waits_when_full() }
    /// ```
    pub fn waits_when_full(&self) -> bool {
        self.cell.waits_when_full()
    }

    /// How long an [`ask`](Self::ask) waits unless [`RecipientAsk::timeout`] says otherwise:
    /// the ask timeout of the actor's system.
    ///
    /// ```
    /// # fn patience(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) -> std::time::Duration { recipient.ask_timeout() }
    /// ```
    pub fn ask_timeout(&self) -> Duration {
        self.cell.ask_timeout()
    }

    /// Records `msg` as a dead letter of this actor, for `reason` (M12), as
    /// [`ActorRef::dead_letter`] does: a service that gives up on a message it holds for the
    /// actor accounts for it. The message is dropped.
    ///
    /// ```
    /// # use airssys_rt::dead_letter::DeadLetterReason;
    /// # use airssys_rt::kernel::SentAs;
    /// # fn give_up(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) {
    /// recipient.dead_letter(1, DeadLetterReason::SendCancelled, SentAs::Tell);
    /// # }
    /// ```
    pub fn dead_letter(&self, msg: M, reason: DeadLetterReason, sent: SentAs) {
        self.cell.dead_letter(msg, reason, sent);
    }

    /// Sends a message without waiting for it to be handled, as [`Recipient::tell`] does; the
    /// reply is dropped.
    ///
    /// ```
    /// # async fn send(recipient: airssys_rt::actor::ReplyRecipient<u8, u8>) {
    /// let _ = recipient.tell(1).await;
    /// # }
    /// ```
    #[inline]
    pub fn tell(&self, msg: M) -> RecipientTell<'_, M> {
        RecipientTell::new(&*self.cell, msg)
    }

    /// Sends a message if it can be queued at once; never waits. As [`ActorRef::try_tell`].
    ///
    /// ```
    /// # fn send(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) {
    /// if let Err(error) = recipient.try_tell(1) {
    ///     println!("not sent: {error}");
    /// }
    /// # }
    /// ```
    pub fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        // Straight to the cell: through `to_recipient` it would take a sender and give it back,
        // two read-modify-writes on the count every other sender of the actor shares.
        try_told(self.cell.offer(msg))
    }

    /// Sends a request and waits for the reply, as [`ActorRef::ask`] does: the system's ask
    /// timeout unless [`RecipientAsk::timeout`] sets another, covering the wait for room as
    /// well as for the reply; [`AskError::CallingSelf`] from the actor's own handler;
    /// [`AskError::Stopped`] if the actor ends first.
    ///
    /// Costs what an `ActorRef::ask` costs: one allocation, the reply's channel, which a
    /// request refused by a full mailbox keeps for its next try.
    ///
    /// # Panics
    ///
    /// As [`ActorRef::ask`]: when awaited outside a Tokio runtime with its timer enabled.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn call(recipient: airssys_rt::actor::ReplyRecipient<u8, u64>) -> Result<(), AskError<u8>> {
    /// let value = recipient.ask(1).await?;
    /// let quick = recipient.ask(2).timeout(Duration::from_millis(100)).await?;
    /// # Ok(()) }
    /// ```
    pub fn ask(&self, msg: M) -> RecipientAsk<'_, M, R> {
        RecipientAsk { cell: &*self.cell, msg, timeout: self.cell.ask_timeout() }
    }

    /// A [`Recipient`] of the same actor, which tells but does not ask.
    ///
    /// ```
    /// # use airssys_rt::actor::{Recipient, ReplyRecipient};
    /// # fn tell_only(recipient: &ReplyRecipient<u8, u8>) -> Recipient<u8> { recipient.to_recipient() }
    /// ```
    pub fn to_recipient(&self) -> Recipient<M> {
        self.cell.hold_sender();
        Recipient::from_counted(self.cell.clone())
    }

    /// Runs `hook` once when the actor ends, before its end is announced, as
    /// [`AnyActor::on_end`] does (its rules hold: the hook must not wait, a panic in it is
    /// caught). Returns the [`EndHook`] that withdraws it; fails, handing the hook back, if the
    /// actor has ended or is ending. What a service holding members as recipients (a
    /// [`Group`](crate::router::Group)) needs to learn of their ends, without a handle to the
    /// whole actor.
    ///
    /// ```
    /// # fn watch(recipient: &airssys_rt::actor::ReplyRecipient<u8, u8>) -> Result<(), airssys_rt::kernel::EndHookError> {
    /// let id = recipient.id();
    /// let hook = recipient.on_end(move || println!("{id} ended"))?;
    /// assert!(recipient.cancel_end_hook(hook));
    /// # Ok(()) }
    /// ```
    pub fn on_end<F>(&self, hook: F) -> Result<EndHook, EndHookError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.erase().on_end(hook)
    }

    /// The erased handle of the same actor: not handed out, since it would let the holder of
    /// a handle for one message type stop, kill or downcast the whole actor.
    fn erase(&self) -> AnyActor {
        AnyActor::from_cell(Arc::clone(&self.cell).erase())
    }

    /// Waits until the actor has ended, and returns why.
    ///
    /// ```
    /// # async fn wait(recipient: airssys_rt::actor::ReplyRecipient<u8, u8>) {
    /// println!("ended: {}", recipient.wait_for_exit().await);
    /// # }
    /// ```
    pub async fn wait_for_exit(&self) -> ExitReason {
        self.cell.erased().exit().await
    }
}

impl<A, M, R> From<ActorRef<A>> for ReplyRecipient<M, R>
where
    A: Accepts<M, Reply = R>,
    M: Send + 'static,
    R: Send + 'static,
{
    fn from(actor: ActorRef<A>) -> Self {
        actor.reply_recipient()
    }
}

impl<M: Send + 'static, R: Send + 'static> From<ReplyRecipient<M, R>> for Recipient<M> {
    fn from(recipient: ReplyRecipient<M, R>) -> Self {
        recipient.to_recipient()
    }
}

impl<M: Send + 'static, R: Send + 'static> Clone for ReplyRecipient<M, R> {
    fn clone(&self) -> Self {
        self.cell.hold_sender();
        Self { cell: Arc::clone(&self.cell) }
    }
}

// Without bounds, as `Drop`: a service withdraws its hooks as it is dropped.
impl<M, R> ReplyRecipient<M, R> {
    /// Withdraws a hook [`on_end`](Self::on_end) registered; `false` if it has run, is
    /// running, or was withdrawn.
    ///
    /// See [`on_end`](Self::on_end) for an example.
    pub fn cancel_end_hook(&self, hook: EndHook) -> bool {
        self.cell.erased().cancel_on_end(hook.token())
    }
}

impl<M, R> Drop for ReplyRecipient<M, R> {
    fn drop(&mut self) {
        self.cell.release_sender();
    }
}

impl<M: Send + 'static, R: Send + 'static> PartialEq for ReplyRecipient<M, R> {
    fn eq(&self, other: &Self) -> bool {
        self.cell.actor_id() == other.cell.actor_id()
    }
}

impl<M: Send + 'static, R: Send + 'static> Eq for ReplyRecipient<M, R> {}

impl<M: Send + 'static, R: Send + 'static> Hash for ReplyRecipient<M, R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.actor_id().hash(state);
    }
}

impl<M: Send + 'static, R: Send + 'static> fmt::Debug for ReplyRecipient<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ReplyRecipient");
        debug
            .field("id", &self.cell.actor_id())
            .field("message_type", &std::any::type_name::<M>())
            .field("reply_type", &std::any::type_name::<R>());
        if let Some(name) = self.cell.erased().name() {
            debug.field("name", &name);
        }
        debug.field("state", &self.cell.erased().state()).finish()
    }
}

impl<A: Actor> ActorRef<A> {
    /// A [`ReplyRecipient`] of `M` for this actor, which asks as well as tells; its reply type
    /// is this actor's reply to `M`. It keeps the actor alive as this handle does; making it
    /// allocates nothing.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::ReplyRecipient;
    /// # fn erase<A: Accepts<u8, Reply = u64>>(actor: &ActorRef<A>) -> ReplyRecipient<u8, u64> {
    /// let asks: ReplyRecipient<u8, u64> = actor.reply_recipient();
    /// # asks }
    /// ```
    pub fn reply_recipient<M: Send + 'static>(&self) -> ReplyRecipient<M, <A as Accepts<M>>::Reply>
    where
        A: Accepts<M>,
    {
        self.cell().mailbox.add_sender();
        ReplyRecipient { cell: self.cell().clone() }
    }
}

/// A request on its way through a [`ReplyRecipient`]: await it for the reply, or set its
/// timeout first. The recipient's counterpart of [`Ask`](crate::actor::Ask).
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn call(recipient: airssys_rt::actor::ReplyRecipient<u8, u8>) {
/// match recipient.ask(1).timeout(Duration::from_secs(1)).await {
///     Ok(reply) => println!("{reply}"),
///     Err(AskError::Timeout(after)) => println!("no answer within {after:?}"),
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[must_use = "an ask sends nothing until it is awaited"]
pub struct RecipientAsk<'a, M: Send + 'static, R: Send + 'static> {
    cell: &'a dyn DeliverAsk<M, R>,
    msg: M,
    timeout: Duration,
}

impl<M: Send + 'static, R: Send + 'static> RecipientAsk<'_, M, R> {
    /// Waits at most this long, instead of the system's ask timeout.
    ///
    /// ```
    /// # async fn call(recipient: airssys_rt::actor::ReplyRecipient<u8, u8>) {
    /// let _ = recipient.ask(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

// The message's type, not its value: a message need not be `Debug`.
impl<M: Send + 'static, R: Send + 'static> fmt::Debug for RecipientAsk<'_, M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientAsk")
            .field("actor", &self.cell.actor_id())
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, M: Send + 'static, R: Send + 'static> IntoFuture for RecipientAsk<'a, M, R> {
    type Output = Result<R, AskError<M>>;
    type IntoFuture = RecipientAskFuture<'a, M, R>;

    fn into_future(self) -> Self::IntoFuture {
        let (slot, reply) = oneshot::channel();
        RecipientAskFuture {
            cell: self.cell,
            unsent: Some(self.msg),
            slot: Some(slot),
            reply,
            deadline: AskDeadline::new(self.cell.deadlines(), self.timeout),
            room: None,
        }
    }
}

pin_project! {
    /// The future of a [`RecipientAsk`]: resolves to the reply or an [`AskError`].
    ///
    /// Dropped before its request is queued, it makes the request a
    /// [dead letter](crate::dead_letter) with reason
    /// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled), as an
    /// [`AskFuture`](crate::actor::AskFuture) does (M15).
    ///
    /// ```
    /// use airssys_rt::actor::{RecipientAskFuture, ReplyRecipient};
    /// use std::future::IntoFuture;
    /// # fn start(recipient: &ReplyRecipient<u8, u64>) {
    /// let pending: RecipientAskFuture<'_, u8, u64> = recipient.ask(1).into_future();
    /// # drop(pending); }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct RecipientAskFuture<'a, M, R>
    where
        M: Send,
        M: 'static,
        R: Send,
        R: 'static,
    {
        cell: &'a dyn DeliverAsk<M, R>,
        unsent: Option<M>,
        // The reply slot for the next push, handed back with a refused request.
        slot: Option<ReplySender<R>>,
        reply: ReplyReceiver<R>,
        deadline: AskDeadline<'a>,
        #[pin]
        room: Option<Notified<'a>>,
    }

    impl<'a, M, R> PinnedDrop for RecipientAskFuture<'a, M, R>
    where
        M: Send,
        M: 'static,
        R: Send,
        R: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // As for an ask (M15): the request was given away, and nobody is left to hand it
            // back to.
            if let Some(msg) = this.unsent.take() {
                this.cell.dead_letter(msg, DeadLetterReason::SendCancelled, SentAs::Ask);
            }
        }
    }
}

impl<M: Send + 'static, R: Send + 'static> RecipientAskFuture<'_, M, R> {
    /// Whether the request has left the caller: it is queued in the actor's mailbox, or was
    /// refused (the ask then resolved in the same poll that tried it), as
    /// [`AskFuture::is_posted`] says.
    /// Dropped afterwards, the ask makes no dead letter of its request (M15).
    ///
    /// [`AskFuture::is_posted`]: crate::actor::AskFuture::is_posted
    ///
    /// ```
    /// use std::future::IntoFuture;
    /// # fn start(recipient: &airssys_rt::actor::ReplyRecipient<u8, u64>) {
    /// let pending = recipient.ask(1).into_future();
    /// assert!(!pending.is_posted()); // nothing sent before its first poll
    /// # drop(pending); }
    /// ```
    pub fn is_posted(&self) -> bool {
        self.unsent.is_none()
    }
}

impl<M: Send + 'static, R: Send + 'static> fmt::Debug for RecipientAskFuture<'_, M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientAskFuture")
            .field("actor", &self.cell.actor_id())
            .field("message_type", &std::any::type_name::<M>())
            .field("posted", &self.unsent.is_none())
            .finish()
    }
}

impl<M: Send + 'static, R: Send + 'static> Future for RecipientAskFuture<'_, M, R> {
    type Output = Result<R, AskError<M>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let cell = *this.cell;
        // Asked from its own hook or handler, the actor could only answer after the wait it is
        // in: refused before the request is queued (OTP's `calling_self`), as `AskFuture` does.
        if this.unsent.is_some() && this.room.is_none() && current::is_running(cell.actor_id()) {
            if let Some(msg) = this.unsent.take() {
                return Poll::Ready(Err(AskError::CallingSelf(msg)));
            }
        }
        while let Some(msg) = this.unsent.take() {
            let slot = match this.slot.take() {
                Some(slot) => slot,
                None => {
                    let (slot, reply) = oneshot::channel();
                    *this.reply = reply;
                    slot
                }
            };
            match cell.push_asked(msg, slot) {
                Ok(()) => {}
                Err(PushError::Full((msg, slot))) if cell.waits_when_full() => {
                    *this.slot = slot;
                    let waiting = this.room.as_mut().as_pin_mut().map(|room| room.poll(cx));
                    match waiting {
                        // Register for room, then try once more before sleeping on it.
                        None => {
                            this.room.set(Some(cell.room().notified()));
                            if let Some(room) = this.room.as_mut().as_pin_mut() {
                                room.enable();
                            }
                            *this.unsent = Some(msg);
                        }
                        Some(Poll::Ready(())) => {
                            this.room.set(None);
                            *this.unsent = Some(msg);
                        }
                        Some(Poll::Pending) => {
                            // Put back first, as `AskFuture` does: should the deadline panic
                            // (no Tokio timer here), the drop still accounts for the request.
                            *this.unsent = Some(msg);
                            if !this.deadline.poll_expired(cx) {
                                return Poll::Pending;
                            }
                            this.deadline.disarm();
                            return match this.unsent.take() {
                                Some(msg) => Poll::Ready(Err(AskError::Full(msg))),
                                None => panic!("a `RecipientAskFuture` lost its request"),
                            };
                        }
                    }
                }
                Err(PushError::Full((msg, _))) => return Poll::Ready(Err(AskError::Full(msg))),
                Err(PushError::Closed((msg, _))) => {
                    return Poll::Ready(Err(AskError::Closed(msg)));
                }
            }
        }
        let outcome = match Pin::new(this.reply).poll(cx) {
            Poll::Ready(Ok(Ok(reply))) => Ok(reply),
            Poll::Ready(Ok(Err(Undelivered::Stopped(reason)))) => Err(AskError::Stopped(reason)),
            Poll::Ready(Ok(Err(Undelivered::Dropped))) => Err(AskError::Dropped),
            Poll::Ready(Ok(Err(Undelivered::Unanswered))) => Err(AskError::Unanswered),
            // As in `AskFuture`: should a path drop a request unanswered, the actor's own exit
            // reason is the truest answer.
            Poll::Ready(Err(_)) => {
                Err(AskError::Stopped(cell.exit_reason().unwrap_or(ExitReason::Killed)))
            }
            Poll::Pending if this.deadline.poll_expired(cx) => {
                Err(AskError::Timeout(this.deadline.timeout()))
            }
            Poll::Pending => return Poll::Pending,
        };
        this.deadline.disarm();
        Poll::Ready(outcome)
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use futures::FutureExt;
    use tokio::sync::oneshot;

    use super::*;
    use crate::mailbox::{MailboxConfig, OverflowPolicy};
    use crate::system::SpawnOptions;
    use crate::{ActorSystem, Context};

    enum Request {
        Echo(u8),
        Block(oneshot::Sender<()>, oneshot::Receiver<()>),
    }

    struct Gate;

    #[crate::actor(crate = crate)]
    impl Actor for Gate {
        type Msg = Request;
        type Reply = u8;
        type Args = ();
        type Error = std::convert::Infallible;

        async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
            Ok(Gate)
        }

        async fn handle(&mut self, msg: Request, _: &mut Context<Self>) -> Result<u8, Self::Error> {
            match msg {
                Request::Echo(n) => Ok(n),
                Request::Block(entered, release) => {
                    let _ = entered.send(());
                    let _ = release.await;
                    Ok(0)
                }
            }
        }
    }

    /// Q14: an ask that finds a full `Wait` mailbox keeps its reply channel for its next try
    /// (the refused request hands it back), so that waiting for room, however many asks the
    /// same room wakes, costs no allocation more than `ActorRef::ask`.
    #[tokio::test]
    async fn q14_an_ask_refused_by_a_full_wait_mailbox_keeps_its_reply_channel() {
        let system = ActorSystem::new();
        let one = MailboxConfig::bounded(1).overflow(OverflowPolicy::Wait);
        let gate = system.spawn_with::<Gate>(SpawnOptions::new().mailbox(one), ()).await;
        let gate = gate.expect("spawn");
        let (entered, entered_rx) = oneshot::channel();
        let (release, release_rx) = oneshot::channel();
        gate.tell(Request::Block(entered, release_rx)).await.expect("block");
        entered_rx.await.expect("entered");
        gate.try_tell(Request::Echo(0)).expect("room for one");
        let asks: ReplyRecipient<Request, u8> = gate.reply_recipient();
        let mut asking = pin!(asks.ask(Request::Echo(1)).into_future());
        assert!(asking.as_mut().now_or_never().is_none(), "waiting for room");
        assert!(asking.as_ref().get_ref().slot.is_some(), "the refused request kept its channel");
        release.send(()).expect("release");
        assert_eq!(asking.await.ok(), Some(1));
    }
}
