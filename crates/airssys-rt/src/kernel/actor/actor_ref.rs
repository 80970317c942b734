use std::fmt;
use std::future::{Future, IntoFuture};
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{ready, Context as TaskContext, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::sync::futures::Notified;
use tokio::sync::oneshot;
use tokio::time::Sleep;

use super::{Accepts, Actor, ActorCell, ActorId, ActorState, ErasedCell, ExitReason};
use crate::kernel::mailbox::PushError;
use crate::kernel::message::{AskError, Envelope, ReplyReceiver, ReplyTo, SendError, Undelivered};
use crate::kernel::system::deadlines::{deadline_after, Deadline, Deadlines, Registration};

/// A handle to a running actor: the only way to send it messages.
///
/// Cloning is cheap. Handles compare and hash by the actor's [`ActorId`]. A strong handle keeps
/// its actor alive: when the last one is dropped and the mailbox is empty, the actor ends with
/// [`ExitReason::Normal`] (unless it has a registered name). Use [`WeakActorRef`] to refer to an
/// actor without keeping it alive.
///
/// ```
/// use airssys_rt::prelude::*;
/// # struct Echo;
/// # #[actor]
/// # impl Actor for Echo {
/// #     type Msg = u32; type Reply = u32; type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Echo) }
/// #     async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u32, Self::Error> { Ok(n) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let echo = system.spawn::<Echo>(()).await?;
/// let same = echo.clone();
/// assert_eq!(echo, same);
/// echo.tell(1).await?;
/// assert_eq!(same.ask(2).await?, 2);
/// # Ok(()) }
/// ```
pub struct ActorRef<A: Actor> {
    cell: Arc<ActorCell<A>>,
}

impl<A: Actor> ActorRef<A> {
    /// Wraps a cell whose sender count already includes this handle.
    pub(crate) fn from_counted(cell: Arc<ActorCell<A>>) -> Self {
        Self { cell }
    }

    /// A handle of this type to a type-erased actor: `None` if it is of another type or has
    /// no strong handle left.
    pub(crate) fn from_erased(cell: Arc<dyn ErasedCell>) -> Option<Self> {
        let cell = cell.into_any().downcast::<ActorCell<A>>().ok()?;
        cell.mailbox.try_add_sender().then(|| Self::from_counted(cell))
    }

    pub(crate) fn cell(&self) -> &Arc<ActorCell<A>> {
        &self.cell
    }

    /// The actor's id.
    ///
    /// ```
    /// # fn id<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> airssys_rt::ActorId { actor.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// The name the actor is registered under, if it has one (see
    /// [`registry`](crate::registry)); `None` once it has ended.
    ///
    /// ```
    /// # fn name<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> Option<std::sync::Arc<str>> { actor.name() }
    /// ```
    pub fn name(&self) -> Option<Arc<str>> {
        self.cell.mailbox.name()
    }

    /// Where the actor is in its lifecycle.
    ///
    /// ```
    /// # fn state<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> airssys_rt::ActorState { actor.state() }
    /// ```
    pub fn state(&self) -> ActorState {
        self.cell.state()
    }

    /// Whether the actor has not begun to end (it is starting or running). One that asked to
    /// stop (`Context::stop`, A4.2) is alive until its hook or handler returns, but already
    /// refuses messages (`Closed`).
    ///
    /// ```
    /// # fn alive<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> bool { actor.is_alive() }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.state().is_alive()
    }

    /// How many messages wait in the mailbox.
    ///
    /// ```
    /// # fn depth<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> usize { actor.mailbox_len() }
    /// ```
    pub fn mailbox_len(&self) -> usize {
        self.cell.mailbox.len()
    }

    /// A snapshot of the actor's [statistics](crate::telemetry::stats); `None` unless the
    /// system keeps them ([`statistics(true)`](crate::SystemBuilder::statistics)), or once the
    /// actor has ended.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn show<A: Actor>(actor: &ActorRef<A>) {
    /// if let Some(stats) = actor.statistics() {
    ///     println!("{} handled, {} waiting", stats.handled, stats.mailbox_depth);
    /// }
    /// # }
    /// ```
    pub fn statistics(&self) -> Option<crate::kernel::stats::ActorStatistics> {
        let cell = &self.cell;
        let facts = crate::kernel::stats::ActorFacts {
            id: cell.id,
            name: cell.mailbox.name(),
            actor_type: std::any::type_name::<A>(),
            state: cell.state(),
            mailbox_depth: cell.mailbox.len(),
            restarts: cell.mailbox.supervision().map(|supervision| supervision.restarts),
        };
        crate::kernel::stats::snapshot(&cell.system, facts)
    }

    /// A handle that does not keep the actor alive.
    ///
    /// ```
    /// # fn weak<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> airssys_rt::WeakActorRef<A> { actor.downgrade() }
    /// ```
    pub fn downgrade(&self) -> WeakActorRef<A> {
        WeakActorRef { id: self.cell.id, cell: Arc::downgrade(&self.cell) }
    }

    /// Sends a message without waiting for it to be handled.
    ///
    /// Waits only when a bounded mailbox under [`OverflowPolicy::Wait`] is full, until there is
    /// room, or for at most the time [`Tell::timeout`] gives. Fails with the message handed back
    /// when the actor no longer takes messages ([`SendError::Closed`]), the mailbox is full under
    /// `Reject` ([`SendError::Full`]), or the timeout passed before there was room
    /// ([`SendError::Full`]). A tell dropped before its message is queued (cancelled, e.g. by
    /// `tokio::time::timeout` or `select!`) makes the message a
    /// [dead letter](crate::dead_letter) with reason
    /// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled).
    ///
    /// [`OverflowPolicy::Wait`]: crate::mailbox::OverflowPolicy::Wait
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn send(actor: ActorRef<impl Accepts<String>>) {
    /// if let Err(error) = actor.tell("hello".to_string()).await {
    ///     eprintln!("not delivered: {}", error.into_inner());
    /// }
    /// if let Err(SendError::Full(back)) =
    ///     actor.tell("soon".to_string()).timeout(Duration::from_millis(10)).await
    /// {
    ///     eprintln!("no room within 10 ms, keeping {back}");
    /// }
    /// # }
    /// ```
    #[inline]
    pub fn tell<M: Send + 'static>(&self, msg: M) -> Tell<'_, A, M>
    where
        A: Accepts<M>,
    {
        Tell { actor: self, msg, timeout: None }
    }

    /// Sends a message if it can be queued at once; never waits.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn send(actor: &ActorRef<impl Accepts<u64>>) {
    /// match actor.try_tell(42) {
    ///     Ok(()) => {}
    ///     Err(SendError::Full(n)) => println!("busy, keeping {n}"),
    ///     Err(SendError::Closed(n)) => println!("gone, keeping {n}"),
    /// }
    /// # }
    /// ```
    pub fn try_tell<M: Send + 'static>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Accepts<M>,
    {
        self.cell.push(Envelope::new(A::mail(msg, ReplyTo::told()))).map_err(send_error)
    }

    /// [`tell`](Self::tell) for code that is not async: blocks the thread while a `Wait`
    /// mailbox is full.
    ///
    /// Must not be called from async code (it would block a runtime thread); use it from plain
    /// threads or [`tokio::task::spawn_blocking`].
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn from_a_thread(actor: ActorRef<impl Accepts<u8>>) {
    /// std::thread::spawn(move || actor.blocking_tell(1));
    /// # }
    /// ```
    pub fn blocking_tell<M: Send + 'static>(&self, msg: M) -> Result<(), SendError<M>>
    where
        A: Accepts<M>,
    {
        futures::executor::block_on(self.tell(msg).into_future())
    }

    /// Sends a request and waits for the actor's reply.
    ///
    /// Times out after the system's ask timeout (5 s unless configured, as OTP's
    /// `gen_server:call`); [`Ask::timeout`] sets another one for this call. The timeout covers
    /// waiting for mailbox room as well as for the reply.
    ///
    /// # Panics
    ///
    /// When awaited outside a Tokio runtime with its timer enabled, as `tokio::time::sleep`
    /// does: the timeout needs Tokio's clock. Plain threads use
    /// [`blocking_tell`](Self::blocking_tell), or a runtime handle's `block_on`.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn call(actor: ActorRef<impl Accepts<(), Reply = u64>>) -> Result<(), AskError<()>> {
    /// let value = actor.ask(()).await?;
    /// let quick = actor.ask(()).timeout(Duration::from_millis(100)).await?;
    /// # Ok(()) }
    /// ```
    pub fn ask<M: Send + 'static>(&self, msg: M) -> Ask<'_, A, M>
    where
        A: Accepts<M>,
    {
        Ask { actor: self, msg, timeout: self.cell.system.config().ask_timeout() }
    }

    /// Stops the actor gracefully with [`ExitReason::Normal`]: it finishes the message it is
    /// handling, then runs `post_stop`. Messages still waiting become dead letters.
    ///
    /// ```
    /// # async fn stop<A: airssys_rt::Actor>(actor: airssys_rt::ActorRef<A>) {
    /// actor.stop();
    /// actor.wait_for_exit().await;
    /// # }
    /// ```
    pub fn stop(&self) {
        self.cell.stop(ExitReason::Normal);
    }

    /// Stops the actor gracefully with the given reason.
    ///
    /// ```
    /// # fn stop<A: airssys_rt::Actor>(actor: airssys_rt::ActorRef<A>) {
    /// actor.stop_with(airssys_rt::ExitReason::Shutdown);
    /// # }
    /// ```
    pub fn stop_with(&self, reason: ExitReason) {
        self.cell.stop(reason);
    }

    /// Kills the actor with [`ExitReason::Killed`]: it ends at its next `.await` (or at once if
    /// it is idle), without finishing its message or running `post_stop`. Its state is dropped.
    ///
    /// ```
    /// # fn kill<A: airssys_rt::Actor>(actor: airssys_rt::ActorRef<A>) {
    /// actor.kill();
    /// # }
    /// ```
    pub fn kill(&self) {
        self.cell.kill();
    }

    /// Waits until the actor has ended, and returns why. Its state has been dropped by then.
    ///
    /// ```
    /// # async fn wait<A: airssys_rt::Actor>(actor: airssys_rt::ActorRef<A>) {
    /// let reason = actor.wait_for_exit().await;
    /// println!("ended: {reason}");
    /// # }
    /// ```
    pub async fn wait_for_exit(&self) -> ExitReason {
        self.cell.wait_for_exit().await
    }

    /// Why the actor ended, once it has.
    ///
    /// ```
    /// # fn reason<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> Option<airssys_rt::ExitReason> { actor.exit_reason() }
    /// ```
    pub fn exit_reason(&self) -> Option<ExitReason> {
        self.cell.exit_reason()
    }
}

pub(crate) fn send_error<A: Accepts<M>, M: Send + 'static>(
    error: PushError<Envelope<A>>,
) -> SendError<M> {
    match error {
        PushError::Full(envelope) => SendError::Full(A::unmail(envelope.message)),
        PushError::Closed(envelope) => SendError::Closed(A::unmail(envelope.message)),
    }
}

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        self.cell.mailbox.add_sender();
        Self { cell: Arc::clone(&self.cell) }
    }
}

impl<A: Actor> Drop for ActorRef<A> {
    fn drop(&mut self) {
        self.cell.mailbox.remove_sender();
    }
}

impl<A: Actor> PartialEq for ActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id == other.cell.id
    }
}

impl<A: Actor> Eq for ActorRef<A> {}

impl<A: Actor> Hash for ActorRef<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id.hash(state);
    }
}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ActorRef");
        debug.field("id", &self.cell.id);
        if let Some(name) = self.cell.mailbox.name() {
            debug.field("name", &name);
        }
        debug.field("state", &self.cell.state()).finish()
    }
}

/// A handle that names an actor without keeping it alive.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # struct Idle;
/// # #[actor]
/// # impl Actor for Idle {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let strong = system.spawn::<Idle>(()).await.unwrap();
/// let weak = strong.downgrade();
/// assert!(weak.upgrade().is_some());
/// strong.stop();
/// strong.wait_for_exit().await;
/// assert!(weak.upgrade().is_none());
/// # }
/// ```
pub struct WeakActorRef<A: Actor> {
    id: ActorId,
    cell: Weak<ActorCell<A>>,
}

impl<A: Actor> WeakActorRef<A> {
    /// The actor's id.
    ///
    /// ```
    /// # fn id<A: airssys_rt::Actor>(weak: &airssys_rt::WeakActorRef<A>) -> airssys_rt::ActorId { weak.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.id
    }

    /// A strong handle, if the actor is still alive and has a strong handle somewhere.
    ///
    /// ```
    /// # fn upgrade<A: airssys_rt::Actor>(weak: &airssys_rt::WeakActorRef<A>) -> Option<airssys_rt::ActorRef<A>> { weak.upgrade() }
    /// ```
    pub fn upgrade(&self) -> Option<ActorRef<A>> {
        let cell = self.cell.upgrade()?;
        if !cell.state().is_alive() || !cell.mailbox.try_add_sender() {
            return None;
        }
        Some(ActorRef::from_counted(cell))
    }

    /// The actor's memory, while anything keeps it.
    pub(crate) fn cell(&self) -> &Weak<ActorCell<A>> {
        &self.cell
    }

    /// Whether the actor has not begun to end; one that asked to stop already refuses messages
    /// (A4.2).
    ///
    /// ```
    /// # fn alive<A: airssys_rt::Actor>(weak: &airssys_rt::WeakActorRef<A>) -> bool { weak.is_alive() }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.upgrade().is_some_and(|cell| cell.state().is_alive())
    }
}

impl<A: Actor> Clone for WeakActorRef<A> {
    fn clone(&self) -> Self {
        Self { id: self.id, cell: Weak::clone(&self.cell) }
    }
}

impl<A: Actor> PartialEq for WeakActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<A: Actor> Eq for WeakActorRef<A> {}

impl<A: Actor> Hash for WeakActorRef<A> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<A: Actor> fmt::Debug for WeakActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakActorRef").field("id", &self.id).finish()
    }
}

/// A message on its way: await it to send it, or set a timeout for waiting for room first.
///
/// Made by [`ActorRef::tell`].
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn send(actor: ActorRef<impl Accepts<u8>>) {
/// match actor.tell(1).timeout(Duration::from_secs(1)).await {
///     Ok(()) => {}
///     Err(SendError::Full(back)) => println!("no room within 1 s, keeping {back}"),
///     Err(SendError::Closed(back)) => println!("gone, keeping {back}"),
/// }
/// # }
/// ```
#[must_use = "a tell sends nothing until it is awaited"]
pub struct Tell<'a, A: Actor, M> {
    actor: &'a ActorRef<A>,
    msg: M,
    timeout: Option<Duration>,
}

// The message's type, not its value: a message need not be `Debug`.
impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for Tell<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tell")
            .field("actor", self.actor)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> Tell<'a, A, M> {
    /// Waits at most this long for room in a full `Wait` mailbox, then hands the message back
    /// in [`SendError::Full`]; without it, a tell waits as long as it takes.
    ///
    /// # Panics
    ///
    /// When it has to wait and is awaited outside a Tokio runtime with its timer enabled, as
    /// an ask does (the timeout needs Tokio's clock); the message is then a dead letter, as
    /// for a cancelled tell.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn send(actor: ActorRef<impl Accepts<u8>>) {
    /// let _ = actor.tell(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for Tell<'a, A, M> {
    type Output = Result<(), SendError<M>>;
    type IntoFuture = TellFuture<'a, A, M>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        let deadline = self.timeout.map(|timeout| AskDeadline {
            deadlines: self.actor.cell.system.deadlines(),
            timeout,
            armed: Armed::Not,
        });
        TellFuture {
            actor: self.actor,
            unsent: Some(Envelope::new(A::mail(self.msg, ReplyTo::told()))),
            gave_way: false,
            deadline,
            room: None,
            message: PhantomData,
        }
    }
}

pin_project! {
    /// The future of a [`Tell`]: resolves once the message is queued, or with the message
    /// handed back in a [`SendError`].
    ///
    /// Dropped before the message is queued or handed back, it makes the message a
    /// [dead letter](crate::dead_letter) with reason
    /// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::TellFuture;
    /// use std::future::IntoFuture;
    /// # fn start<A: Accepts<()>>(actor: &ActorRef<A>) {
    /// let pending: TellFuture<'_, A, ()> = actor.tell(()).into_future();
    /// # drop(pending); }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct TellFuture<'a, A, M>
    where
        A: Accepts<M>,
        M: Send,
        M: 'static,
    {
        actor: &'a ActorRef<A>,
        unsent: Option<Envelope<A>>,
        // Whether it has taken its share of Tokio's cooperative budget (M13).
        gave_way: bool,
        deadline: Option<AskDeadline<'a>>,
        #[pin]
        room: Option<Notified<'a>>,
        // What a refused message is handed back as.
        message: PhantomData<fn() -> M>,
    }

    impl<'a, A, M> PinnedDrop for TellFuture<'a, A, M>
    where
        A: Accepts<M>,
        M: Send,
        M: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // The caller gave the message away and gave up before it was queued: nobody is
            // left to hand it back to, so it is accounted for as every undelivered message is.
            if let Some(envelope) = this.unsent.take() {
                this.actor.cell.cancelled(envelope);
            }
        }
    }
}

impl<A: Accepts<M>, M: Send + 'static> Future for TellFuture<'_, A, M> {
    type Output = Result<(), SendError<M>>;

    // Kept small, so that it inlines into the sender: a tell into a mailbox with room costs
    // what a push does. Waiting for room is the separate `poll_room`.
    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.as_mut().project();
        if this.room.is_none() {
            let cell = this.actor.cell();
            if !*this.gave_way {
                // A sender that is never made to wait (an unbounded mailbox, or a policy other
                // than `Wait`) still gives way now and then, as Tokio's own channels do, so that
                // a sending loop cannot keep the actor it fills (often queued right behind it,
                // on the same worker) from running. Under `Wait`, a full mailbox makes it wait
                // anyway. It gives way before it sends: a tell cancelled there has queued
                // nothing.
                if !cell.mailbox.pushes_back() {
                    ready!(tokio::task::coop::poll_proceed(cx)).made_progress();
                }
                *this.gave_way = true;
            }
            let Some(envelope) = this.unsent.take() else {
                panic!("a `TellFuture` polled after it completed");
            };
            match cell.push(envelope) {
                Ok(()) => return Poll::Ready(Ok(())),
                // From its own hook or handler, an actor would wait for room that only it can
                // make (M16): the message is handed back at once.
                Err(PushError::Full(back)) if super::current::is_running(cell.id) => {
                    return Poll::Ready(Err(SendError::Full(A::unmail(back.message))));
                }
                Err(PushError::Full(back)) if cell.mailbox.waits_when_full() => {
                    *this.unsent = Some(back);
                }
                Err(error) => return Poll::Ready(Err(send_error(error))),
            }
        }
        self.poll_room(cx)
    }
}

impl<A: Accepts<M>, M: Send + 'static> TellFuture<'_, A, M> {
    /// Waits for room in a full `Wait` mailbox, then queues the message; gives up when the
    /// deadline, if there is one, has passed.
    #[inline(never)]
    fn poll_room(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<(), SendError<M>>> {
        let mut this = self.project();
        let cell = this.actor.cell();
        let Some(mut envelope) = this.unsent.take() else {
            panic!("a `TellFuture` polled after it completed");
        };
        let sent = loop {
            let waiting = this.room.as_mut().as_pin_mut().map(|room| room.poll(cx));
            match waiting {
                // Register for room, then try once more before sleeping on it.
                None => {
                    let actor: &ActorRef<A> = this.actor;
                    this.room.set(Some(actor.cell.mailbox.changed().notified()));
                    if let Some(room) = this.room.as_mut().as_pin_mut() {
                        room.enable();
                    }
                }
                Some(Poll::Ready(())) => this.room.set(None),
                Some(Poll::Pending) => {
                    // Put back before the deadline is looked at: without a Tokio timer it
                    // panics, and the message must still be there for the drop to account for.
                    *this.unsent = Some(envelope);
                    if !this.deadline.as_mut().is_some_and(|due| due.poll_expired(cx)) {
                        return Poll::Pending;
                    }
                    let Some(back) = this.unsent.take() else {
                        panic!("a `TellFuture` lost its message");
                    };
                    break Err(SendError::Full(A::unmail(back.message)));
                }
            }
            match cell.push(envelope) {
                Ok(()) => break Ok(()),
                Err(PushError::Full(back)) => envelope = back,
                Err(error) => break Err(send_error(error)),
            }
        };
        if let Some(deadline) = this.deadline.as_mut() {
            deadline.disarm();
        }
        Poll::Ready(sent)
    }
}

/// A request on its way: await it for the reply, or set its timeout first.
///
/// Made by [`ActorRef::ask`].
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn call(actor: ActorRef<impl Accepts<u8, Reply = u8>>) {
/// match actor.ask(1).timeout(Duration::from_secs(1)).await {
///     Ok(reply) => println!("{reply}"),
///     Err(AskError::Timeout(after)) => println!("no answer within {after:?}"),
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[must_use = "an ask sends nothing until it is awaited"]
pub struct Ask<'a, A: Actor, M> {
    actor: &'a ActorRef<A>,
    msg: M,
    timeout: Duration,
}

// The message's type, not its value: a message need not be `Debug`.
impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for Ask<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ask")
            .field("actor", self.actor)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> Ask<'a, A, M> {
    /// Waits at most this long, instead of the system's ask timeout.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn call(actor: ActorRef<impl Accepts<u8, Reply = u8>>) {
    /// let _ = actor.ask(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for Ask<'a, A, M> {
    type Output = Result<A::Reply, AskError<M>>;
    type IntoFuture = AskFuture<'a, A, M>;

    fn into_future(self) -> Self::IntoFuture {
        let (slot, reply) = oneshot::channel();
        AskFuture {
            actor: self.actor,
            unsent: Some(Envelope::new(A::mail(self.msg, ReplyTo::asked(slot)))),
            reply,
            deadline: AskDeadline {
                deadlines: self.actor.cell.system.deadlines(),
                timeout: self.timeout,
                armed: Armed::Not,
            },
            room: None,
        }
    }
}

pin_project! {
    /// The future of an [`Ask`]: resolves to the reply or an [`AskError`].
    ///
    /// Awaiting an [`Ask`] makes one; name it to keep an ask in a struct or poll it by hand.
    ///
    /// Dropped before its request is queued (while it waits for room in a full mailbox, or
    /// before its first poll), it makes the request a [dead letter](crate::dead_letter) with
    /// reason [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled), as a
    /// cancelled [`TellFuture`] does.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::AskFuture;
    /// use std::future::IntoFuture;
    /// # fn start<A: Accepts<()>>(actor: &ActorRef<A>) {
    /// let pending: AskFuture<'_, A, ()> = actor.ask(()).into_future();
    /// # drop(pending); }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct AskFuture<'a, A, M>
    where
        A: Accepts<M>,
        M: Send,
        M: 'static,
    {
        actor: &'a ActorRef<A>,
        unsent: Option<Envelope<A>>,
        reply: ReplyReceiver<<A as Accepts<M>>::Reply>,
        deadline: AskDeadline<'a>,
        #[pin]
        room: Option<Notified<'a>>,
    }

    impl<'a, A, M> PinnedDrop for AskFuture<'a, A, M>
    where
        A: Accepts<M>,
        M: Send,
        M: 'static,
    {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // As for a tell (M15): the request was given away, and nobody is left to hand it
            // back to.
            if let Some(envelope) = this.unsent.take() {
                this.actor.cell.cancelled(envelope);
            }
        }
    }
}

impl<A: Accepts<M>, M: Send + 'static> AskFuture<'_, A, M> {
    /// Whether the request has left the caller: it is queued in the actor's mailbox, or was
    /// refused (the ask then resolved in the same poll that tried it). Polled until then, an
    /// ask dropped afterwards makes no dead letter of its request (M15): a caller that no
    /// longer wants the reply, only the request delivered, polls it until this is `true`, then
    /// drops it.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use std::future::IntoFuture;
    /// # fn start<A: Accepts<()>>(actor: &ActorRef<A>) {
    /// let pending = actor.ask(()).into_future();
    /// assert!(!pending.is_posted()); // nothing sent before its first poll
    /// # drop(pending); }
    /// ```
    pub fn is_posted(&self) -> bool {
        self.unsent.is_none()
    }
}

impl<A: Accepts<M>, M: Send + 'static> Future for AskFuture<'_, A, M> {
    type Output = Result<<A as Accepts<M>>::Reply, AskError<M>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let cell = this.actor.cell();
        // Asked from its own hook or handler, the actor could only answer after the wait it
        // is in: refused before the request is queued (OTP's `calling_self`).
        if this.unsent.is_some() && this.room.is_none() && super::current::is_running(cell.id) {
            if let Some(envelope) = this.unsent.take() {
                return Poll::Ready(Err(AskError::CallingSelf(A::unmail(envelope.message))));
            }
        }
        while let Some(envelope) = this.unsent.take() {
            match cell.push(envelope) {
                Ok(()) => {}
                Err(PushError::Full(envelope)) if cell.mailbox.waits_when_full() => {
                    let waiting = this.room.as_mut().as_pin_mut().map(|room| room.poll(cx));
                    match waiting {
                        // Register for room, then try once more before sleeping on it.
                        None => {
                            let actor: &ActorRef<A> = this.actor;
                            this.room.set(Some(actor.cell.mailbox.changed().notified()));
                            if let Some(room) = this.room.as_mut().as_pin_mut() {
                                room.enable();
                            }
                            *this.unsent = Some(envelope);
                        }
                        Some(Poll::Ready(())) => {
                            this.room.set(None);
                            *this.unsent = Some(envelope);
                        }
                        Some(Poll::Pending) => {
                            // Put back first, as a tell does: should the deadline panic (no
                            // Tokio timer here), the drop still accounts for the request.
                            *this.unsent = Some(envelope);
                            if !this.deadline.poll_expired(cx) {
                                return Poll::Pending;
                            }
                            this.deadline.disarm();
                            return match this.unsent.take() {
                                Some(envelope) => {
                                    Poll::Ready(Err(AskError::Full(A::unmail(envelope.message))))
                                }
                                None => panic!("an `AskFuture` lost its request"),
                            };
                        }
                    }
                }
                Err(PushError::Full(envelope)) => {
                    return Poll::Ready(Err(AskError::Full(A::unmail(envelope.message))))
                }
                Err(PushError::Closed(envelope)) => {
                    return Poll::Ready(Err(AskError::Closed(A::unmail(envelope.message))))
                }
            }
        }
        let outcome = match Pin::new(this.reply).poll(cx) {
            Poll::Ready(Ok(Ok(reply))) => Ok(reply),
            Poll::Ready(Ok(Err(Undelivered::Stopped(reason)))) => Err(AskError::Stopped(reason)),
            Poll::Ready(Ok(Err(Undelivered::Dropped))) => Err(AskError::Dropped),
            Poll::Ready(Ok(Err(Undelivered::Unanswered))) => Err(AskError::Unanswered),
            // Every path that drops a request answers it first; should one be missed, the
            // actor's own exit reason is the truest answer.
            Poll::Ready(Err(_)) => {
                Err(AskError::Stopped(cell.exit_reason().unwrap_or(ExitReason::Killed)))
            }
            Poll::Pending if this.deadline.poll_expired(cx) => {
                Err(AskError::Timeout(this.deadline.timeout))
            }
            Poll::Pending => return Poll::Pending,
        };
        this.deadline.disarm();
        Poll::Ready(outcome)
    }
}

/// When an ask, or a tell with a timeout, gives up. Armed at its first wait, with the system's shared deadlines rather
/// than a timer of its own (see `system::deadlines`), and disarmed when it ends or is dropped.
pub(crate) struct AskDeadline<'a> {
    deadlines: &'a Arc<Deadlines>,
    timeout: Duration,
    armed: Armed,
}

enum Armed {
    Not,
    Shared(Registration),
    /// A timer of its own: on another runtime than the system's reaper, with an unusual
    /// timeout when the shared deadlines already track many, or after a shutdown.
    Own(Pin<Box<Sleep>>),
}

impl<'a> AskDeadline<'a> {
    /// A deadline `timeout` after its first wait.
    pub(crate) fn new(deadlines: &'a Arc<Deadlines>, timeout: Duration) -> Self {
        Self { deadlines, timeout, armed: Armed::Not }
    }

    /// How long it lets a wait last.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn poll_expired(&mut self, cx: &mut TaskContext<'_>) -> bool {
        match &mut self.armed {
            Armed::Not => match self.deadlines.register(self.timeout, cx.waker()) {
                Some(registration) => {
                    self.armed = Armed::Shared(registration);
                    false
                }
                None => self.arm_own(deadline_after(self.timeout), cx),
            },
            Armed::Shared(registration) => match self.deadlines.poll_expired(*registration, cx) {
                Deadline::Pending => false,
                Deadline::Expired => true,
                Deadline::Orphaned(deadline) => {
                    self.disarm();
                    self.arm_own(deadline, cx)
                }
            },
            Armed::Own(sleep) => sleep.as_mut().poll(cx).is_ready(),
        }
    }

    /// Watches the deadline with a timer of its own; whether it has passed already.
    fn arm_own(&mut self, deadline: tokio::time::Instant, cx: &mut TaskContext<'_>) -> bool {
        let mut sleep = Box::pin(tokio::time::sleep_until(deadline));
        let expired = sleep.as_mut().poll(cx).is_ready();
        self.armed = Armed::Own(sleep);
        expired
    }

    pub(crate) fn disarm(&mut self) {
        if let Armed::Shared(registration) = std::mem::replace(&mut self.armed, Armed::Not) {
            self.deadlines.cancel(registration);
        }
    }
}

impl Drop for AskDeadline<'_> {
    fn drop(&mut self) {
        self.disarm();
    }
}
