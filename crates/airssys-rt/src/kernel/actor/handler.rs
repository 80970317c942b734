//! How an actor handles each message type: handlers, their replies, and the mail that carries
//! them through the mailbox.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context as TaskContext, Poll};

use super::{Actor, BoxError, Context, ExitReason};
use crate::kernel::message::{refuse_failed, HeldAcrossCall, ReplyTo};

/// Handles messages of type `M`, one at a time, and returns the reply an
/// [`ask`](crate::ActorRef::ask) of `M` receives. A [`tell`](crate::ActorRef::tell) drops it.
///
/// An actor implements it once per message type it lists in its
/// [`#[actor(messages(...))]`](macro@crate::actor) attribute; each message type has its own
/// reply type. A business error is part of the reply (`type Reply = Result<u64,
/// InsufficientFunds>`): it reaches the asker, and the actor goes on.
///
/// ```
/// use airssys_rt::prelude::*;
///
/// #[derive(Default)]
/// struct Counter {
///     count: u64,
/// }
/// struct Add(u64);
/// struct Get;
///
/// #[actor(messages(Add, Get))]
/// impl Actor for Counter {}
///
/// impl Handler<Add> for Counter {
///     type Reply = ();
///     async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) {
///         self.count += n;
///     }
/// }
///
/// impl Handler<Get> for Counter {
///     type Reply = u64;
///     async fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
///         self.count
///     }
/// }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let counter = system.spawn::<Counter>(Counter::default()).await?;
/// counter.tell(Add(2)).await?;
/// counter.tell(Add(3)).await?;
/// assert_eq!(counter.ask(Get).await?, 5);
/// # Ok(()) }
/// ```
pub trait Handler<M: Send + 'static>: Actor {
    /// What an ask of `M` receives.
    type Reply: Send + 'static;

    /// Handles one message. Never called while another handler of the actor runs.
    fn handle(
        &mut self,
        msg: M,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Self::Reply> + Send;
}

/// Handles messages of type `M` whose reply may come later: the handler receives the
/// request's [`ReplyTo`] and answers when it can, from its own state, a later message, or
/// another task, while the actor goes on with its mailbox (OTP's `{noreply, State}` and
/// `gen_server:reply/2`).
///
/// Listed as `deferred(M)` in [`#[actor(messages(...))]`](macro@crate::actor). A handle
/// dropped unanswered fails its ask at once with
/// [`AskError::Unanswered`](crate::message::AskError::Unanswered). See [`ReplyTo`] for an
/// example.
pub trait DeferredHandler<M: Send + 'static>: Actor {
    /// What an ask of `M` receives, through the [`ReplyTo`].
    type Reply: Send + 'static;

    /// Takes one message and the way to answer it.
    fn handle(
        &mut self,
        msg: M,
        reply: ReplyTo<Self::Reply>,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send;
}

/// The link between a message type and an actor's mail: implemented by
/// [`#[actor]`](macro@crate::actor) for every message type the actor handles, and the bound of
/// [`tell`](crate::ActorRef::tell) and [`ask`](crate::ActorRef::ask).
///
/// Written by hand only by code that writes its own [`Actor::Mail`].
///
/// ```
/// use airssys_rt::prelude::*;
///
/// /// Any actor that counts `u64`s, whatever else it does.
/// async fn add_one<A: Accepts<u64>>(counter: &ActorRef<A>) {
///     let _ = counter.tell(1).await;
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not handle `{M}`",
    label = "`{M}` is not a message of `{Self}`",
    note = "an actor handles the types listed in `#[actor(messages(...))]` on its `impl Actor`, \
            or its `type Msg` under a bare `#[actor]`"
)]
pub trait Accepts<M: Send + 'static>: Actor {
    /// What an ask of `M` receives.
    type Reply: Send + 'static;

    /// Puts a message and its reply handle into the actor's mail.
    fn mail(msg: M, reply: ReplyTo<Self::Reply>) -> Self::Mail;

    /// Takes the message back out of mail that [`mail`](Accepts::mail) made from an `M`, to
    /// hand a refused message back to its sender.
    fn unmail(mail: Self::Mail) -> M;

    /// Takes the message and its reply handle back out of mail that [`mail`](Accepts::mail)
    /// made from an `M`: a request refused by a full mailbox keeps its reply handle, and the
    /// retry of an ask that waits for room needs no new reply channel. Written by
    /// [`#[actor]`](macro@crate::actor); the default hands back the message only (the handle is
    /// dropped, and such a retry takes a new channel).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # #[derive(Default)] struct Echo;
    /// # #[actor] impl Actor for Echo {
    /// #     type Msg = u8; type Reply = u8;
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// fn refused(mail: <Echo as Actor>::Mail) -> (u8, ReplyTo<u8>) {
    ///     <Echo as Accepts<u8>>::unmail_request(mail)
    /// }
    /// ```
    fn unmail_request(mail: Self::Mail) -> (M, ReplyTo<Self::Reply>) {
        (Self::unmail(mail), ReplyTo::told())
    }
}

/// The "one enum" style: an actor with one message type (usually an enum) and one reply type,
/// written with `type Msg`, `type Reply` and `fn handle` in its `impl Actor` block under a bare
/// [`#[actor]`](macro@crate::actor), which moves those three items here.
///
/// An `Err` from `handle` ends the actor with [`ExitReason::Failed`], and its asker gets
/// [`AskError::Stopped`](crate::message::AskError::Stopped) with that reason.
///
/// ```
/// use airssys_rt::prelude::*;
///
/// enum Request {
///     Add(u64),
///     Get,
/// }
///
/// #[derive(Default)]
/// struct Counter(u64);
///
/// #[actor]
/// impl Actor for Counter {
///     type Msg = Request;
///     type Reply = u64;
///
///     async fn handle(&mut self, request: Request, _: &mut Context<Self>) -> Result<u64, Self::Error> {
///         if let Request::Add(n) = request {
///             self.0 += n;
///         }
///         Ok(self.0)
///     }
/// }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let counter = system.spawn::<Counter>(Counter::default()).await?;
/// assert_eq!(counter.ask(Request::Add(2)).await?, 2);
/// assert_eq!(counter.ask(Request::Get).await?, 2);
/// # Ok(()) }
/// ```
pub trait Classic: Actor {
    /// The messages this actor handles; usually an enum with a variant per request.
    type Msg: Send + 'static;
    /// What [`handle`](Classic::handle) returns: the reply an ask receives. A tell drops it.
    type Reply: Send + 'static;

    /// Handles one message and returns the reply; an `Err` ends the actor.
    fn handle(
        &mut self,
        msg: Self::Msg,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Self::Reply, Self::Error>> + Send;
}

/// The mail of a [`Classic`] actor: its message and the request's reply handle. Named by the
/// code [`#[actor]`](macro@crate::actor) writes.
///
/// ```
/// # use airssys_rt::prelude::*;
/// use airssys_rt::actor::ClassicMail;
/// # #[derive(Default)] struct Echo;
/// # #[actor] impl Actor for Echo {
/// #     type Msg = u8; type Reply = u8;
/// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
/// # }
/// fn message_of(mail: ClassicMail<Echo>) -> u8 {
///     mail.into_message()
/// }
/// ```
pub struct ClassicMail<A: Classic> {
    msg: A::Msg,
    reply: ReplyTo<A::Reply>,
}

// The message's type, not its value: a message need not be `Debug`.
impl<A: Classic> fmt::Debug for ClassicMail<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClassicMail")
            .field("message_type", &std::any::type_name::<A::Msg>())
            .field("reply", &self.reply)
            .finish()
    }
}

impl<A: Classic> ClassicMail<A> {
    /// Mail holding a message and its reply handle.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::ClassicMail;
    /// # #[derive(Default)] struct Echo;
    /// # #[actor] impl Actor for Echo {
    /// #     type Msg = u8; type Reply = u8;
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// fn resend(mail: ClassicMail<Echo>, reply: ReplyTo<u8>) -> ClassicMail<Echo> {
    ///     ClassicMail::new(mail.into_message(), reply)
    /// }
    /// ```
    #[inline]
    pub fn new(msg: A::Msg, reply: ReplyTo<A::Reply>) -> Self {
        Self { msg, reply }
    }

    /// Whether its reply handle belongs to an ask.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::ClassicMail;
    /// # #[derive(Default)] struct Echo;
    /// # #[actor] impl Actor for Echo {
    /// #     type Msg = u8; type Reply = u8;
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// fn asked(mail: &ClassicMail<Echo>) -> bool {
    ///     mail.is_ask()
    /// }
    /// ```
    #[inline]
    pub fn is_ask(&self) -> bool {
        self.reply.is_ask()
    }

    /// The message and its reply handle, as [`Accepts::unmail_request`] hands them back.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::ClassicMail;
    /// # #[derive(Default)] struct Echo;
    /// # #[actor] impl Actor for Echo {
    /// #     type Msg = u8; type Reply = u8;
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// fn parts(mail: ClassicMail<Echo>) -> (u8, ReplyTo<u8>) {
    ///     mail.into_request()
    /// }
    /// ```
    #[inline]
    pub fn into_request(self) -> (A::Msg, ReplyTo<A::Reply>) {
        (self.msg, self.reply)
    }

    /// The message, without its reply handle (dropped: see [`ReplyTo`]).
    ///
    /// See [`ClassicMail`] for an example.
    #[inline]
    pub fn into_message(self) -> A::Msg {
        self.msg
    }

    /// What a classic actor's [`dispatch`](Actor::dispatch) does: calls
    /// [`handle`](Classic::handle) and answers the request with its reply; an `Err` ends the
    /// actor with [`ExitReason::Failed`], and the request is answered with that reason.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::actor::ClassicMail;
    /// use std::future::Future;
    /// # #[derive(Default)] struct Echo;
    /// # #[actor] impl Actor for Echo {
    /// #     type Msg = u8; type Reply = u8;
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// // What `#[actor]` writes as `Echo`'s `dispatch`: a plain `fn`, so that the reply handle
    /// // stays in the returned future (answered with the panic, should the handler panic).
    /// fn dispatch<'s, 'c>(
    ///     echo: &'s mut Echo,
    ///     mail: ClassicMail<Echo>,
    ///     ctx: &'c mut Context<Echo>,
    /// ) -> impl Future<Output = Result<(), ExitReason>> + Send + use<'s, 'c> {
    ///     ClassicMail::dispatch(echo, mail, ctx)
    /// }
    /// ```
    #[inline]
    pub fn dispatch<'s, 'c>(
        actor: &'s mut A,
        mail: Self,
        ctx: &'c mut Context<A>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send + use<'s, 'c, A> {
        let Self { msg, reply } = mail;
        let mut held = HeldAcrossCall(Some(reply));
        let handling = actor.handle(msg, ctx);
        Answering { handling, reply: held.0.take() }
    }
}

pin_project_lite::pin_project! {
    /// A classic handler and the reply handle it answers: a named future rather than an
    /// `async` block, so that it adds no more than the handle to the handler's size.
    struct Answering<F, R>
    where
        R: Send,
        R: 'static,
    {
        #[pin]
        handling: F,
        reply: Option<ReplyTo<R>>,
    }
}

impl<F, R, E> Future for Answering<F, R>
where
    F: Future<Output = Result<R, E>>,
    R: Send + 'static,
    E: Into<BoxError>,
{
    type Output = Result<(), ExitReason>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let handled = ready!(this.handling.poll(cx));
        let reply = this.reply.take();
        Poll::Ready(match handled {
            Ok(value) => {
                if let Some(reply) = reply {
                    reply.send(value);
                }
                Ok(())
            }
            Err(error) => {
                let reason = ExitReason::failed(error);
                refuse_failed(reply, &reason);
                Err(reason)
            }
        })
    }
}
