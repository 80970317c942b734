//! A stand-in for the airssys-rt kernel API that `#[actor]` targets, with its paths
//! (`kernel::{Actor, Context, ExitReason}`, `kernel::actor::{...}`), real enough to run the
//! generated code: a reply slot is a channel, and a classic dispatch calls `handle` and sends.
//! Tests and doctests use it with `#[actor(crate = kernel)]`.

// The stand-in is a private module of each test, while its items are `pub` as in the runtime.
#![allow(unreachable_pub, dead_code)]

use std::marker::PhantomData;

pub use self::actor::Actor;

/// The actor's context; the stand-in carries nothing.
#[derive(Debug)]
pub struct Context<A: Actor> {
    actor: PhantomData<fn() -> A>,
}

impl<A: Actor> Context<A> {
    /// A context for driving an actor by hand.
    pub fn new() -> Self {
        Context { actor: PhantomData }
    }
}

impl<A: Actor> Default for Context<A> {
    fn default() -> Self {
        Self::new()
    }
}

/// Why an actor ended; the stand-in knows one reason, a failed handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitReason;

/// The traits and types of the runtime's `actor` module.
pub mod actor {
    use std::future::Future;
    use std::sync::mpsc;

    use super::{Context, ExitReason};

    /// The futures the generated `dispatch` is made of. The stand-in boxes the handlers'
    /// futures to poll them without pin projection: it runs the generated code, it does not
    /// measure it.
    pub mod dispatch {
        use std::future::Future;
        use std::pin::Pin;
        use std::task::{Context as TaskContext, Poll};

        use super::{ExitReason, ReplyTo};

        /// Calls a deferred handler.
        pub fn call_deferred<F: Future<Output = ()>>(handle: impl FnOnce() -> F) -> F {
            handle()
        }

        /// A handler's future and the reply it sends.
        pub struct Answer<F, R> {
            handling: Pin<Box<F>>,
            reply: Option<ReplyTo<R>>,
        }

        impl<F: Future<Output = R>, R> Answer<F, R> {
            /// Calls `handle`; its future's output answers `reply`.
            pub fn call(reply: ReplyTo<R>, handle: impl FnOnce() -> F) -> Self {
                Answer { handling: Box::pin(handle()), reply: Some(reply) }
            }
        }

        impl<F: Future<Output = R>, R> Future for Answer<F, R> {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
                let this = &mut *self;
                match this.handling.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        if let Some(reply) = this.reply.take() {
                            reply.send(value);
                        }
                        Poll::Ready(())
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }

        impl<F, R> Unpin for Answer<F, R> {}

        /// One of two futures.
        pub enum Branch<A, B> {
            /// The first.
            First(Pin<Box<A>>),
            /// The rest.
            Rest(Pin<Box<B>>),
        }

        impl<A, B> Branch<A, B> {
            /// The first.
            pub fn first(future: A) -> Self {
                Branch::First(Box::pin(future))
            }

            /// The rest.
            pub fn rest(future: B) -> Self {
                Branch::Rest(Box::pin(future))
            }
        }

        impl<A: Future<Output = ()>, B: Future<Output = ()>> Future for Branch<A, B> {
            type Output = ();
            fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
                match &mut *self {
                    Branch::First(future) => future.as_mut().poll(cx),
                    Branch::Rest(future) => future.as_mut().poll(cx),
                }
            }
        }

        /// The handling of one piece of mail.
        pub struct Dispatched<F>(Pin<Box<F>>);

        impl<F: Future<Output = ()>> Dispatched<F> {
            /// Wraps it.
            pub fn new(handling: F) -> Self {
                Dispatched(Box::pin(handling))
            }
        }

        impl<F: Future<Output = ()>> Future for Dispatched<F> {
            type Output = Result<(), ExitReason>;
            fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
                self.0.as_mut().poll(cx).map(Ok)
            }
        }
    }

    /// The kernel's actor.
    pub trait Actor: Sized + Send + 'static {
        /// The one item the mailbox queues.
        type Mail: Send + 'static;
        /// What the actor is started from.
        type Args: Send + 'static;
        /// The error that ends the actor.
        type Error: std::error::Error + Send + Sync + 'static;

        /// Builds the actor from its arguments.
        fn pre_start(
            args: Self::Args,
            ctx: &mut Context<Self>,
        ) -> impl Future<Output = Result<Self, Self::Error>> + Send;

        /// Hands one queued item to its handler.
        fn dispatch(
            &mut self,
            mail: Self::Mail,
            ctx: &mut Context<Self>,
        ) -> impl Future<Output = Result<(), ExitReason>> + Send;

        fn message_type(mail: &Self::Mail) -> &'static str {
            let _ = mail;
            std::any::type_name::<Self::Mail>()
        }

        fn is_ask(mail: &Self::Mail) -> Option<bool> {
            let _ = mail;
            None
        }

        /// A hook with a default, as the runtime's are; the attribute leaves it alone.
        fn post_stop(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
            let _ = ctx;
            async {}
        }
    }

    /// The one-enum style: one message type, one reply type.
    pub trait Classic: Actor {
        /// The messages.
        type Msg: Send + 'static;
        /// The reply to each.
        type Reply: Send + 'static;

        /// Handles one message; an `Err` ends the actor.
        fn handle(
            &mut self,
            msg: Self::Msg,
            ctx: &mut Context<Self>,
        ) -> impl Future<Output = Result<Self::Reply, Self::Error>> + Send;
    }

    /// A classic actor's mail: the message and its reply slot.
    pub struct ClassicMail<A: Classic> {
        msg: A::Msg,
        reply: ReplyTo<A::Reply>,
    }

    impl<A: Classic> ClassicMail<A> {
        /// The mail of one message.
        pub fn new(msg: A::Msg, reply: ReplyTo<A::Reply>) -> Self {
            ClassicMail { msg, reply }
        }

        pub fn is_ask(&self) -> bool {
            self.reply.is_ask()
        }

        /// The message back, for a refused send.
        pub fn into_message(self) -> A::Msg {
            self.msg
        }

        /// The message and its reply slot back, for a refused request.
        pub fn into_request(self) -> (A::Msg, ReplyTo<A::Reply>) {
            (self.msg, self.reply)
        }

        /// Calls `handle` and sends the reply; an `Err` ends the actor. Both borrows are
        /// named, as in the real kernel (whose future is a named type), so that the future
        /// captures both.
        #[allow(clippy::manual_async_fn)]
        pub fn dispatch<'s, 'c>(
            actor: &'s mut A,
            mail: Self,
            ctx: &'c mut Context<A>,
        ) -> impl Future<Output = Result<(), ExitReason>> + Send + use<'s, 'c, A> {
            async move {
                match <A as Classic>::handle(actor, mail.msg, ctx).await {
                    Ok(reply) => {
                        mail.reply.send(reply);
                        Ok(())
                    }
                    Err(_) => Err(ExitReason),
                }
            }
        }
    }

    /// How a message enters the actor's mail.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` does not handle `{M}`",
        label = "`{M}` is not listed in this actor's `#[actor(messages(...))]`",
        note = "list it in `#[actor(messages(...))]` and implement `Handler<{M}>`"
    )]
    pub trait Accepts<M: Send + 'static>: Actor {
        /// What an ask of `M` returns.
        type Reply: Send + 'static;
        /// The mail holding `msg`.
        fn mail(msg: M, reply: ReplyTo<Self::Reply>) -> Self::Mail;
        /// The message back out of mail made from an `M`.
        fn unmail(mail: Self::Mail) -> M;
        /// The message and its reply slot back out of mail made from an `M`.
        fn unmail_request(mail: Self::Mail) -> (M, ReplyTo<Self::Reply>) {
            (Self::unmail(mail), ReplyTo::none())
        }
    }

    /// Handles `M` and returns its reply.
    pub trait Handler<M: Send + 'static>: Actor {
        /// The reply.
        type Reply: Send + 'static;
        /// Handles one `M`.
        fn handle(
            &mut self,
            msg: M,
            ctx: &mut Context<Self>,
        ) -> impl Future<Output = Self::Reply> + Send;
    }

    /// Handles `M` and answers through the reply slot, now or later.
    pub trait DeferredHandler<M: Send + 'static>: Actor {
        /// The reply.
        type Reply: Send + 'static;
        /// Handles one `M`.
        fn handle(
            &mut self,
            msg: M,
            reply: ReplyTo<Self::Reply>,
            ctx: &mut Context<Self>,
        ) -> impl Future<Output = ()> + Send;
    }

    /// Where a reply goes: a channel for an ask, nowhere for a tell.
    #[derive(Debug)]
    pub struct ReplyTo<R>(Option<mpsc::Sender<R>>);

    impl<R> ReplyTo<R> {
        pub fn is_ask(&self) -> bool {
            self.0.is_some()
        }

        /// The slot of an ask, and where its reply arrives.
        pub fn channel() -> (Self, mpsc::Receiver<R>) {
            let (sender, receiver) = mpsc::channel();
            (ReplyTo(Some(sender)), receiver)
        }

        /// The slot of a tell: the reply is dropped.
        pub fn none() -> Self {
            ReplyTo(None)
        }

        /// Sends the reply, if anyone waits for it.
        pub fn send(self, reply: R) {
            if let Some(sender) = self.0 {
                // A receiver already gone is an asker that stopped waiting.
                let _ = sender.send(reply);
            }
        }
    }
}
