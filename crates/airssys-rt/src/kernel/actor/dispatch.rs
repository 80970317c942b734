//! The futures `#[actor(messages(..))]` builds its `dispatch` from: the handler of the message
//! taken, held where it lies, with no `async` state machine around it.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context as TaskContext, Poll};

use super::ExitReason;
use crate::kernel::message::{calling, HeldAcrossCall, ReplyTo};

pin_project_lite::pin_project! {
    /// A handler's future and the reply handle it answers once done.
    ///
    /// ```
    /// use airssys_rt::actor::dispatch::Answer;
    /// use airssys_rt::actor::ReplyTo;
    ///
    /// fn answering(reply: ReplyTo<u8>) -> Answer<std::future::Ready<u8>, u8> {
    ///     Answer::call(reply, || std::future::ready(7))
    /// }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Answer<F, R>
    where
        R: Send,
        R: 'static,
    {
        #[pin]
        handling: F,
        reply: Option<ReplyTo<R>>,
    }
}

impl<F: Future<Output = R>, R: Send + 'static> Answer<F, R> {
    /// Calls `handle` (which makes the handler's future) with the reply handle held: should
    /// the call panic before a future exists, the runtime answers the handle with the panic.
    ///
    /// See [`Answer`] for an example.
    #[inline]
    pub fn call(reply: ReplyTo<R>, handle: impl FnOnce() -> F) -> Self {
        let mut held = HeldAcrossCall(Some(reply));
        let handling = handle();
        Self { handling, reply: held.0.take() }
    }
}

impl<F: Future<Output = R>, R: Send + 'static> Future for Answer<F, R> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.project();
        let value = ready!(this.handling.poll(cx));
        if let Some(reply) = this.reply.take() {
            reply.send(value);
        }
        Poll::Ready(())
    }
}

/// Calls a deferred handler, which takes the request's reply handle: should the call panic
/// before the handler's future exists, the runtime answers the handle with the panic, as it
/// does for one held by a handler's future.
///
/// ```
/// use airssys_rt::actor::dispatch::call_deferred;
/// let future = call_deferred(|| std::future::ready(()));
/// # drop(future);
/// ```
#[inline]
pub fn call_deferred<F: Future<Output = ()>>(handle: impl FnOnce() -> F) -> F {
    calling(handle)
}

pin_project_lite::pin_project! {
    /// One of two handlers' futures: the generated `dispatch` of an actor with several message
    /// types nests one per message.
    ///
    /// ```
    /// use airssys_rt::actor::dispatch::Branch;
    /// let first: Branch<std::future::Ready<()>, std::future::Pending<()>> =
    ///     Branch::first(std::future::ready(()));
    /// # drop(first);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Branch<A, B> {
        #[pin]
        taken: Taken<A, B>,
    }
}

pin_project_lite::pin_project! {
    #[derive(Debug)]
    #[project = TakenProjection]
    enum Taken<A, B> {
        First { #[pin] future: A },
        Rest { #[pin] future: B },
    }
}

impl<A, B> Branch<A, B> {
    /// The first handler's future.
    ///
    /// See [`Branch`] for an example.
    #[inline]
    pub fn first(future: A) -> Self {
        Self { taken: Taken::First { future } }
    }

    /// One of the other handlers' futures.
    ///
    /// ```
    /// use airssys_rt::actor::dispatch::Branch;
    /// let rest: Branch<std::future::Pending<()>, std::future::Ready<()>> =
    ///     Branch::rest(std::future::ready(()));
    /// # drop(rest);
    /// ```
    #[inline]
    pub fn rest(future: B) -> Self {
        Self { taken: Taken::Rest { future } }
    }
}

impl<A: Future<Output = ()>, B: Future<Output = ()>> Future for Branch<A, B> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        match self.project().taken.project() {
            TakenProjection::First { future } => future.poll(cx),
            TakenProjection::Rest { future } => future.poll(cx),
        }
    }
}

pin_project_lite::pin_project! {
    /// The handling of one piece of mail, as [`Actor::dispatch`](crate::Actor::dispatch)
    /// returns it: its handler's future, ending the actor never (an actor ends on purpose with
    /// [`Context::fail`](crate::Context::fail) or a stop).
    ///
    /// ```
    /// use airssys_rt::actor::dispatch::Dispatched;
    /// let done = Dispatched::new(std::future::ready(()));
    /// # drop(done);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Dispatched<F> {
        #[pin]
        handling: F,
    }
}

impl<F: Future<Output = ()>> Dispatched<F> {
    /// Wraps the handling of one piece of mail.
    ///
    /// See [`Dispatched`] for an example.
    #[inline]
    pub fn new(handling: F) -> Self {
        Self { handling }
    }
}

impl<F: Future<Output = ()>> Future for Dispatched<F> {
    type Output = Result<(), ExitReason>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.project().handling.poll(cx).map(Ok)
    }
}
