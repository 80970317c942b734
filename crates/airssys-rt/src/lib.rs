//! # airssys-rt
//!
//! An Erlang/OTP-style actor runtime for Rust, running on the caller's Tokio runtime.
//!
//! An **actor** owns private state and handles the messages sent to it **one at a time**. The
//! only way to reach an actor is through its [`ActorRef`]: [`tell`](ActorRef::tell) sends a
//! message without waiting for an answer, [`ask`](ActorRef::ask) sends one and waits for the
//! typed reply, with a timeout. Every actor has its own [mailbox]; messages are moved
//! into it, never cloned or serialised. Stop and kill travel on a priority path that a full
//! mailbox never delays. A panic in an actor is caught: the actor ends with
//! [`ExitReason::Panicked`], the callers waiting on it are told at once, and every other actor
//! goes on.
//!
//! Actors live in an [`ActorSystem`], which spawns them, names them, counts them, collects the
//! messages that could not be delivered ([dead letters](dead_letter)) and shuts them all down.
//!
//! Actors can be [linked and monitored](signal), and arranged in [supervision trees](supervisor)
//! with OTP's semantics: supervisors start their children, restart them as their strategy and
//! restart types say, give up when restarts come too fast, and escalate to their own supervisor.
//!
//! Around them: a [name registry](registry) and [process groups](pg) to find actors by name or
//! by role, a typed [publish/subscribe broker](broker) with topic patterns, [pools](router) of
//! workers under a supervisor behind one [`Router`](router::Router), and [timers](timer)
//! (`send_after`, `send_interval`, an idle timeout).
//!
//! ```
//! use airssys_rt::prelude::*;
//!
//! struct Counter {
//!     total: u64,
//! }
//!
//! struct Add(u64);
//! struct Get;
//!
//! #[actor(messages(Add, Get))]
//! impl Actor for Counter {}
//!
//! impl Handler<Add> for Counter {
//!     type Reply = ();
//!     async fn handle(&mut self, Add(n): Add, _ctx: &mut Context<Self>) {
//!         self.total += n;
//!     }
//! }
//!
//! impl Handler<Get> for Counter {
//!     type Reply = u64;
//!     async fn handle(&mut self, _: Get, _ctx: &mut Context<Self>) -> u64 {
//!         self.total
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let counter = system.spawn::<Counter>(Counter { total: 10 }).await?;
//! counter.tell(Add(5)).await?;
//! assert_eq!(counter.ask(Get).await?, 15);
//! system.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Each message type is a type of its own with its own reply type, and an actor handles each
//! one with a [`Handler`](actor::Handler) ([`#[actor]`](macro@actor) lists them). A business
//! error belongs in the reply (`type Reply = Result<u64, InsufficientFunds>`), where the asker
//! gets it and the actor goes on; a [`DeferredHandler`](actor::DeferredHandler) keeps the
//! request's [`ReplyTo`](actor::ReplyTo) and answers later, while the actor handles other
//! messages. An actor with one message enum and one reply type can be written in the
//! [classic style](actor::Classic) instead. `examples/ledger.rs` is a small service written
//! this way, from the accounts to the shutdown.
//!
//! The exact guarantees (ordering, what happens to queued messages when an actor stops, what
//! `ask` returns in every failure) are written down rule by rule in [`semantics`], and each of
//! them is covered by a test named after the rule.
//!
//! # Tokio
//!
//! The runtime runs on the caller's Tokio runtime, which must have its timer enabled
//! (`#[tokio::main]`, `#[tokio::test]`, or a `Builder` with `enable_time`). Calls that start
//! tasks or wait (spawning, `ask`, a `tell` to a full mailbox, timers, shutdown) panic when made
//! outside one; each says so in its `# Panics` section.
//!
//! # Feature flags
//!
//! Both are off by default; the default build carries no code for them.
//!
//! - `metrics`: exports the statistics through the [`metrics`](https://docs.rs/metrics) crate's
//!   facade (`monitoring::export`), so any `metrics` recorder (Prometheus, StatsD, ...) can
//!   publish them.
//! - `tracing-spans`: a `tracing` span per actor and per handled message, and the sender's span
//!   carried with each message (see [`monitoring::trace`]).

// A user's input must never reach a panic in the library; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// Per crate root, not in `[workspace.lints]`: test, bench and example targets all see every
// dev-dependency, so the lint would flag in each one the dev-dependencies only others use.
#![cfg_attr(not(test), deny(unused_crate_dependencies))]
// As Tokio does: an example may define a function it never calls (the point is its body).
#![doc(test(attr(deny(warnings), allow(dead_code, unused_variables))))]
// The "Available on crate feature ..." badges on docs.rs, which builds with `--cfg docsrs`.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The layers, each importing only those below it: vocabulary -> kernel -> supervision and the
// services -> routing -> telemetry views -> the prelude. The folders say which layer a file is
// in; `crates/workspace-checks/tests/layering.rs` checks the imports. The public paths stay
// one level deep (`airssys_rt::actor`, `airssys_rt::broker`, ...) whatever the folder.
pub mod kernel;
mod routing;
mod services;
mod vocabulary;

pub mod supervisor;
pub mod telemetry;

#[doc = include_str!("../docs/semantics.md")]
pub mod semantics {}

pub use airssys_rt_macros::actor;

// The kernel's modules are documented here, at their public paths; `kernel` documents its
// interface.
#[doc(inline)]
pub use kernel::{actor, dead_letter, mailbox, message, registry, signal, system};
pub use routing::router;
pub use services::{broker, pg, timer};

/// The old name of [`telemetry`]: every `airssys_rt::telemetry::...` path still resolves.
#[doc(hidden)]
pub use telemetry as monitoring;

#[doc(no_inline)]
pub use crate::actor::{Actor, ActorId, ActorRef, ActorState, Context, ExitReason, WeakActorRef};
#[doc(no_inline)]
pub use crate::system::{ActorSystem, SystemBuilder};

/// The names almost every program that uses airssys-rt needs, in one `use`.
///
/// ```
/// use airssys_rt::prelude::*;
/// let _system = ActorSystem::new();
/// ```
pub mod prelude {
    #[doc(no_inline)]
    pub use airssys_rt_macros::actor;

    #[doc(no_inline)]
    pub use crate::actor::{
        Accepts, Actor, ActorId, ActorRef, ActorState, Context, DeferredHandler, ExitReason,
        Handler, Recipient, ReplyRecipient, ReplyTo, WeakActorRef, WeakRecipient,
    };
    #[doc(no_inline)]
    pub use crate::broker::{Broker, BrokerError, Delivery, Publication, SubscriptionId};
    #[doc(no_inline)]
    pub use crate::mailbox::{MailboxConfig, OverflowPolicy};
    #[doc(no_inline)]
    pub use crate::message::{AskError, SendError};
    #[doc(no_inline)]
    pub use crate::router::{Pool, PoolSpec, Router, Routing};
    #[doc(no_inline)]
    pub use crate::signal::{DownNotice, ExitSignal, MonitorRef};
    #[doc(no_inline)]
    pub use crate::supervisor::{
        ChildSpec, Restart, Strategy, Supervisor, SupervisorRef, SupervisorSpec,
    };
    #[doc(no_inline)]
    pub use crate::system::{ActorSystem, SpawnError, SpawnOptions};
    #[doc(no_inline)]
    pub use crate::telemetry::health::{Health, HealthCheck};
    #[doc(no_inline)]
    pub use crate::timer::TimerRef;
}
