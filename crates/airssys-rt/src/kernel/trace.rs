//! Tracing: a span per actor and per handled message, and the sender's span carried with each
//! message, so that a request can be followed from actor to actor.
//!
//! Behind the cargo feature `tracing-spans` (off by default). Without it, none of what follows is
//! compiled in: a message carries nothing more, and the actor's task holds nothing more.
//!
//! With it, the runtime opens [`tracing`] spans that any subscriber sees (`tracing-subscriber`'s
//! `fmt` layer shows them as the context of every event; `tracing-opentelemetry` exports them to
//! a trace viewer):
//!
//! * **`actor`** ([`ACTOR_SPAN`]): one per actor, from its spawn to its end, with the fields
//!   `id` (the [`ActorId`](crate::ActorId) as a number), `name` (the name it was spawned with, if
//!   any) and `actor_type` (the Rust type). It is a root span: an actor outlives the request that
//!   happened to spawn it, so it only *follows from* the span current at the spawn. Everything
//!   the actor's task does runs inside it, including the runtime's own events about the actor
//!   (`actor stopped`, crash reports, ...).
//! * **`handle`** ([`HANDLE_SPAN`]): a child of the actor's span, one per handled message, with
//!   the field `message` (the message type), and one per hook call (`pre_start`, `post_start`,
//!   `on_exit`, `on_down`, `on_idle`, `post_stop`) with the field `hook` (its name) instead. The
//!   handler or hook runs inside it, so the events it emits carry it, and the actor's fields.
//!
//! Each message carries the span that was current where it was sent (`tell`, `try_tell`, `ask`,
//! a broker's publication, a router; for a timer, where the timer was set, through a root span
//! `timer` that follows from it for an interval), and the `handle` span
//! of the message **follows from** it. So a request leaves a trail of links, whatever actors it
//! goes through: the `handle` span of the first actor follows from the caller's span, the
//! `handle` span of the message that actor sent on follows from that one, and so on; a trace
//! viewer (through `tracing-opentelemetry`, where they become span links) goes from each to the
//! one before, back to the request.
//!
//! A link, not a parent, because a parent is held open by its children: were each `handle` span
//! a child of its sender's, two actors playing ping-pong, or an actor sending itself its next
//! step, would build an endless chain of spans, none of which could close, and a subscriber such
//! as `tracing-subscriber`'s registry would keep every one. A message holds its sender's span
//! only until its own `handle` span is made (or until it is dropped).
//!
//! The spans are at level `INFO`, with the target `airssys_rt::telemetry::trace`: a filter such
//! as `airssys_rt::telemetry::trace=off` turns them off at run time. A `handle` span that a
//! filter turns off links nothing: the messages sent from its handler carry the actor's span
//! instead.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use tracing::Instrument;
//!
//! struct Echo;
//!
//! #[actor]
//! impl Actor for Echo {
//!     type Msg = String;
//!     type Reply = String;
//!     type Args = ();
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Echo)
//!     }
//!
//!     async fn handle(&mut self, text: String, _: &mut Context<Self>) -> Result<String, Self::Error> {
//!         // With `tracing-spans`, this event is inside `actor:handle`, and that `handle`
//!         // span follows from `request`.
//!         tracing::info!(%text, "echoing");
//!         Ok(text)
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let echo = system.spawn::<Echo>(()).await?;
//! // The request's span goes with the message: the `handle` span of `Echo` follows from it.
//! let reply = async { echo.ask("hello".to_string()).await }
//!     .instrument(tracing::info_span!("request", id = 7))
//!     .await?;
//! assert_eq!(reply, "hello");
//! # Ok(()) }
//! ```
//!
//! Cost: off, nothing. On, with no subscriber (or one that filters the spans out), a send asks
//! `tracing` for the current span and a handled message for its interest in the `handle` span,
//! a few nanoseconds each; with a subscriber that records them, the cost is that subscriber's for
//! one span per message.

/// The name of the span each actor runs in.
///
/// ```
/// assert_eq!(airssys_rt::telemetry::trace::ACTOR_SPAN, "actor");
/// ```
pub const ACTOR_SPAN: &str = "actor";

/// The name of the span each handled message and each hook call runs in.
///
/// ```
/// assert_eq!(airssys_rt::telemetry::trace::HANDLE_SPAN, "handle");
/// ```
pub const HANDLE_SPAN: &str = "handle";

#[cfg(feature = "tracing-spans")]
pub(crate) use on::{handle, hook, ActorSpan, SenderContext};

#[cfg(not(feature = "tracing-spans"))]
pub(crate) use off::{handle, hook, ActorSpan, SenderContext};

#[cfg(feature = "tracing-spans")]
mod on {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tracing::Span;

    use crate::kernel::actor::{Actor, ActorCell};

    /// A span, or nothing when it is disabled (no subscriber, or filtered out): boxed, so that
    /// what carries one grows by a word, and allocates nothing while nobody records spans.
    type Held = Option<Box<Span>>;

    fn hold(span: Span) -> Held {
        (!span.is_disabled()).then(|| Box::new(span))
    }

    /// The span current where a message was sent.
    #[derive(Clone)]
    pub(crate) struct SenderContext(Held);

    impl SenderContext {
        #[inline]
        pub(crate) fn capture() -> Self {
            Self(hold(Span::current()))
        }

        /// For a sender that may last forever (an interval): a root span `timer` that follows
        /// from the current one, as the current one cannot be held open for as long (Y3).
        pub(crate) fn capture_detached() -> Self {
            let current = Span::current();
            if current.is_disabled() {
                return Self(None);
            }
            let timer = tracing::info_span!(parent: None, "timer");
            timer.follows_from(&current);
            Self(hold(timer))
        }
    }

    /// The span an actor's task runs in.
    pub(crate) struct ActorSpan(Held);

    impl ActorSpan {
        pub(crate) fn new<A: Actor>(cell: &ActorCell<A>) -> Self {
            let name = cell.mailbox.name();
            let span = tracing::info_span!(
                parent: None,
                "actor",
                id = cell.id.as_u64(),
                name = name.as_deref(),
                actor_type = std::any::type_name::<A>(),
            );
            span.follows_from(Span::current());
            Self(hold(span))
        }

        /// Runs `work` inside the actor's span: for what the actor does outside its task.
        pub(crate) fn in_scope<R>(&self, work: impl FnOnce() -> R) -> R {
            let _entered = self.0.as_deref().map(Span::enter);
            work()
        }

        /// A hook call outside the actor's task (`pre_start`), in a `handle` span under the
        /// actor's.
        pub(crate) fn hook<F: Future>(&self, name: &'static str, future: F) -> Handling<F> {
            self.in_scope(|| hook(name, future))
        }

        /// The actor's task, inside the actor's span.
        pub(crate) fn run<F: Future>(self, task: F) -> InSpan<F> {
            InSpan::new(self.0, task)
        }
    }

    /// A hook call inside the actor's task, in a `handle` span under the current one.
    pub(crate) fn hook<F: Future>(name: &'static str, future: F) -> Handling<F> {
        Handling { span: hold(tracing::info_span!("handle", hook = name)), future }
    }

    /// A handler, in a `handle` span under the actor's (current) span, following from the
    /// sender's span. The sender's span is let go here: a link holds nothing open.
    pub(crate) fn handle<F: Future>(
        sender: SenderContext,
        message_type: &'static str,
        future: F,
    ) -> Handling<F> {
        let span = tracing::info_span!("handle", message = message_type);
        if let Some(sender) = sender.0 {
            span.follows_from(&*sender);
        }
        Handling { span: hold(span), future }
    }

    pin_project_lite::pin_project! {
        /// A handler or hook inside its `handle` span. It is dropped in the actor's task, so
        /// inside the actor's span, which is all that its drop needs.
        pub(crate) struct Handling<F> {
            span: Held,
            #[pin]
            future: F,
        }
    }

    impl<F: Future> Future for Handling<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let this = self.project();
            let _entered = this.span.as_deref().map(Span::enter);
            this.future.poll(cx)
        }
    }

    pin_project_lite::pin_project! {
        /// The actor's task inside the actor's span: `tracing::Instrumented`, with the span
        /// boxed and left out when disabled, as it sits in every actor's task. The task is
        /// dropped inside the span too, so that what its drop emits (a task dropped by its
        /// runtime ends the actor) has the actor's context.
        pub(crate) struct InSpan<F> {
            span: Held,
            #[pin]
            future: Option<F>,
        }

        impl<F> PinnedDrop for InSpan<F> {
            fn drop(this: Pin<&mut Self>) {
                let mut this = this.project();
                let _entered = this.span.as_deref().map(Span::enter);
                this.future.set(None);
            }
        }
    }

    impl<F> InSpan<F> {
        fn new(span: Held, future: F) -> Self {
            Self { span, future: Some(future) }
        }
    }

    impl<F: Future> Future for InSpan<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let this = self.project();
            let _entered = this.span.as_deref().map(Span::enter);
            match this.future.as_pin_mut() {
                Some(future) => future.poll(cx),
                // Only while it is being dropped, when nothing polls it.
                None => Poll::Pending,
            }
        }
    }
}

/// Without the feature: nothing carried, nothing wrapped, every call compiled away.
#[cfg(not(feature = "tracing-spans"))]
mod off {
    use std::future::Future;

    use crate::kernel::actor::{Actor, ActorCell};

    #[derive(Clone)]
    pub(crate) struct SenderContext;

    impl SenderContext {
        #[inline(always)]
        pub(crate) fn capture() -> Self {
            Self
        }

        #[inline(always)]
        pub(crate) fn capture_detached() -> Self {
            Self
        }
    }

    pub(crate) struct ActorSpan;

    impl ActorSpan {
        #[inline(always)]
        pub(crate) fn new<A: Actor>(_cell: &ActorCell<A>) -> Self {
            Self
        }

        #[inline(always)]
        pub(crate) fn in_scope<R>(&self, work: impl FnOnce() -> R) -> R {
            work()
        }

        #[inline(always)]
        pub(crate) fn hook<F: Future>(&self, _name: &'static str, future: F) -> F {
            future
        }

        #[inline(always)]
        pub(crate) fn run<F: Future>(self, task: F) -> F {
            task
        }
    }

    #[inline(always)]
    pub(crate) fn hook<F: Future>(_name: &'static str, future: F) -> F {
        future
    }

    // The same signature as with the feature: the runner calls it one way.
    #[inline(always)]
    pub(crate) fn handle<F: Future>(_sender: SenderContext, _message_type: &str, future: F) -> F {
        future
    }
}
