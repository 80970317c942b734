//! Publish and subscribe: send one message to every actor interested in a topic.
//!
//! Every [`ActorSystem`](crate::ActorSystem) has one [`Broker`] per payload type, reached with
//! [`ActorSystem::broker::<T>()`](crate::ActorSystem::broker). Actors
//! [`subscribe`](Broker::subscribe) to topic **patterns**; a [`publish`](Broker::publish) to a
//! **topic** delivers the payload to every subscription whose pattern matches it, as a
//! [`Publication<T>`]: a message type the subscriber handles like any other (listed in its
//! `#[actor(messages(...))]`, with a `Handler<Publication<T>>`). The broker of `T` knows only
//! subscribers of `T`: a publication reaches no subscriber of another type. A subscriber known
//! only as a [`Recipient<Publication<T>>`](crate::actor::Recipient), whatever its actor type,
//! subscribes with [`subscribe_recipient`](Broker::subscribe_recipient); its subscription
//! behaves in every way as one made from the actor's handle.
//!
//! ## Topics and patterns
//!
//! A topic is one or more non-empty segments separated by dots: `sensors.kitchen.temperature`.
//! A pattern is written the same way, and may also use the wildcards of AMQP topic exchanges,
//! each as a whole segment:
//!
//! | pattern | matches | does not match |
//! |---|---|---|
//! | `sensors.kitchen.temperature` | `sensors.kitchen.temperature` | `sensors.kitchen` |
//! | `sensors.*.temperature` (`*`: exactly one segment) | `sensors.hall.temperature` | `sensors.temperature`, `sensors.a.b.temperature` |
//! | `sensors.#` (`#`: zero or more segments) | `sensors`, `sensors.hall.humidity` | `alarms.hall` |
//! | `#` | every topic | |
//!
//! A topic with a wildcard, an empty segment, a pattern segment that mixes a wildcard with
//! other characters (`temp*`), a pattern of more than [`MAX_PATTERN_SEGMENTS`] segments, a
//! topic of more than [`MAX_TOPIC_SEGMENTS`], or either longer than [`MAX_TOPIC_BYTES`] bytes is
//! refused with a [`BrokerError`] naming the [`TopicProblem`].
//! Subscriptions are filed in a trie of segments: a publish walks the topic's segments, not the
//! list of subscriptions, and walks each node of the trie at most once per segment, however
//! many ways a pattern such as `#.x.#` could split the topic: a match takes time linear in the
//! topic, which the limits bound.
//!
//! ## Delivery
//!
//! What a publish does with a subscriber whose mailbox is full is its [`Delivery`], set per
//! subscription ([`subscribe_with`](Broker::subscribe_with)) or for every subscriber of one
//! publish ([`publish_with`](Broker::publish_with)):
//!
//! | delivery | a full subscriber |
//! |---|---|
//! | [`Guaranteed`](Delivery::Guaranteed) (default, as [`tell`](crate::ActorRef::tell)) | the publish waits for room: backpressure reaches the publisher |
//! | [`BestEffort`](Delivery::BestEffort) | misses the publication, which becomes a dead letter |
//! | [`Deadline(d)`](Delivery::Deadline) | the publish waits at most `d` (from its start); then it is missed |
//!
//! The publish first offers the publication to every matching subscriber without waiting, and
//! only then waits, for all the full ones at once. The mailbox's own
//! [`OverflowPolicy`](crate::mailbox::OverflowPolicy) still applies: only a `Wait` mailbox is
//! waited for (a full `Reject` mailbox misses the publication), `DropNewest` and `DropOldest`
//! drop as they always do. A publication that reaches no mailbox is never dropped silently: it
//! is a [dead letter](crate::dead_letter), with [`SubscriberFull`](crate::dead_letter::DeadLetterReason::SubscriberFull)
//! when the subscriber was full, [`ActorStopped`](crate::dead_letter::DeadLetterReason::ActorStopped) when it has
//! ended or is ending. [`PublishReport`] counts what happened.
//!
//! ## Sharing, not copying
//!
//! The payload is moved into an [`std::sync::Arc`] once per publish (unless it is given as one), and put
//! with the topic into one shared allocation; each subscriber receives a [`Publication`] that
//! points to it, one reference count more. A publish to ten thousand subscribers allocates
//! nothing per subscriber, and `T` need not be `Clone`.
//!
//! ## Lifetime of a subscription
//!
//! A subscription keeps its subscriber alive, as a registered name does: the actor does not end
//! for lack of handles while it is subscribed. It lasts until [`unsubscribe`](Broker::unsubscribe)
//! or until the subscriber ends; then it is removed before the end is announced, so once
//! [`wait_for_exit`](crate::ActorRef::wait_for_exit) returns, the actor is no longer listed.
//! Subscribing an actor that has ended or is ending fails with [`BrokerError::NotAlive`].
//! A restarted actor is a new actor: one that should stay subscribed across restarts subscribes
//! itself in [`pre_start`](crate::Actor::pre_start), with
//! [`ctx.actor_ref()`](crate::Context::actor_ref).
//!
//! An actor that publishes with `Guaranteed` delivery to a topic it is itself subscribed to, while
//! its own bounded mailbox is full, waits for itself forever, as a `tell` to itself would: use
//! `BestEffort` (or an unbounded mailbox) for such self-subscriptions.
//!
//! A publish offers the publication to the subscribers while it holds the broker's read lock
//! (briefly: it never waits there). The `Drop` of a subscriber's messages (one its overflow
//! policy drops) may run there: it may not call back into the same broker, which could
//! deadlock.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use tokio::sync::mpsc;
//!
//! /// Logs every temperature it is sent.
//! struct Display {
//!     shown: mpsc::UnboundedSender<(String, f64)>,
//! }
//!
//! #[actor(messages(Publication<f64>))]
//! impl Actor for Display {}
//!
//! impl Handler<Publication<f64>> for Display {
//!     type Reply = ();
//!     async fn handle(&mut self, reading: Publication<f64>, _: &mut Context<Self>) {
//!         let _ = self.shown.send((reading.topic().to_owned(), *reading));
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let (shown, mut display_log) = mpsc::unbounded_channel();
//! let display = system.spawn::<Display>(Display { shown }).await?;
//!
//! let temperatures = system.broker::<f64>();
//! temperatures.subscribe("sensors.*.temperature", &display)?;
//!
//! let report = temperatures.publish("sensors.kitchen.temperature", 21.5).await?;
//! assert_eq!((report.matched, report.delivered), (1, 1));
//! assert_eq!(display_log.recv().await, Some(("sensors.kitchen.temperature".to_owned(), 21.5)));
//!
//! let report = temperatures.publish("sensors.kitchen.humidity", 40.0).await?;
//! assert_eq!(report.matched, 0);
//! # Ok(()) }
//! ```

mod offering;
mod per_system;
mod pubsub;
mod topic;

pub use pubsub::{
    Broker, BrokerError, Delivery, Publication, PublishReport, SubscriptionId, SubscriptionInfo,
};
pub use topic::{TopicProblem, MAX_PATTERN_SEGMENTS, MAX_TOPIC_BYTES, MAX_TOPIC_SEGMENTS};
