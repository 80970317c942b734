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
//! enum CounterMsg {
//!     Add(u64),
//!     Get,
//! }
//!
//! impl Actor for Counter {
//!     type Msg = CounterMsg;
//!     type Reply = u64;
//!     type Args = u64;
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(start: u64, _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Counter { total: start })
//!     }
//!
//!     async fn handle(&mut self, msg: CounterMsg, _ctx: &mut Context<Self>) -> Result<u64, Self::Error> {
//!         if let CounterMsg::Add(n) = msg {
//!             self.total += n;
//!         }
//!         Ok(self.total)
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let counter = system.spawn::<Counter>(10).await?;
//! counter.tell(CounterMsg::Add(5)).await?;
//! assert_eq!(counter.ask(CounterMsg::Get).await?, 15);
//! system.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The exact guarantees (ordering, what happens to queued messages when an actor stops, what
//! `ask` returns in every failure) are written down in `docs/semantics.md`, and each of them is
//! covered by a test.

// A user's input must never reach a panic in the library; tests may unwrap freely.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod actor;
pub mod broker;
pub mod dead_letter;
pub mod kernel;
pub mod mailbox;
pub mod message;
pub mod monitoring;
pub mod pg;
pub mod registry;
pub mod router;
pub mod signal;
pub mod supervisor;
pub mod system;
pub mod timer;

pub use actor::{Actor, ActorId, ActorRef, ActorState, Context, ExitReason, WeakActorRef};
pub use system::{ActorSystem, SystemBuilder};

/// The names almost every program that uses airssys-rt needs, in one `use`.
///
/// ```
/// use airssys_rt::prelude::*;
/// let _system = ActorSystem::new();
/// ```
pub mod prelude {
    pub use crate::actor::{
        Actor, ActorId, ActorRef, ActorState, Context, ExitReason, WeakActorRef,
    };
    pub use crate::broker::{Broker, BrokerError, Delivery, Publication, SubscriptionId};
    pub use crate::mailbox::{MailboxConfig, OverflowPolicy};
    pub use crate::message::{AskError, SendError};
    pub use crate::monitoring::health::{Health, HealthCheck};
    pub use crate::router::{Pool, PoolSpec, Router, Routing};
    pub use crate::signal::{DownNotice, ExitSignal, MonitorRef};
    pub use crate::supervisor::{
        ChildSpec, Restart, Strategy, Supervisor, SupervisorRef, SupervisorSpec,
    };
    pub use crate::system::{ActorSystem, SpawnError, SpawnOptions};
    pub use crate::timer::TimerRef;
}
