//! Actors: private state, one message at a time, and a lifecycle.
//!
//! An actor is a value of a type that implements [`Actor`]. The runtime creates it from its
//! start arguments ([`Actor::Args`]) in [`pre_start`](Actor::pre_start), then feeds it the
//! messages from its mailbox, one at a time, through its [handlers](Handler): a handler is
//! never entered while another handler of the same actor is still running, so the state needs no
//! lock. When the actor ends, [`post_stop`](Actor::post_stop) runs and the state is dropped.
//!
//! ## Lifecycle
//!
//! ```text
//!  spawn ──► Starting ──pre_start, post_start──► Running ──stop / error / panic / no senders──► Stopping ──post_stop──► Stopped
//!                                                   └──────────────────── kill ────────────────────────────────────────┘
//! ```
//!
//! * [`pre_start`](Actor::pre_start) runs inside `spawn`, which returns only after it succeeded:
//!   as with OTP's `init/1`, a failed start is the spawner's error (a
//!   [crash report](crate::telemetry::crash) only under a supervisor). Because
//!   the arguments are kept by whoever spawns, the same actor can be started again with the same
//!   inputs (this is what supervisors do).
//! * [`post_start`](Actor::post_start) runs in the actor's own task before the first message.
//! * The actor ends, with an [`ExitReason`], when
//!   * it is stopped ([`ActorRef::stop`], [`Context::stop`]): after the message being handled,
//!   * it is killed ([`ActorRef::kill`]): at once, at its next `.await`, without `post_stop`,
//!   * a hook or handler returns an error ([`ExitReason::Failed`]) or panics
//!     ([`ExitReason::Panicked`]),
//!   * every strong [`ActorRef`] is gone and its mailbox is empty: nobody can send to it any more
//!     ([`ExitReason::Normal`]). A [`WeakActorRef`] does not keep an actor alive; a registered
//!     name does.
//! * When it ends, its mailbox closes: later sends return the message, messages still waiting
//!   become [dead letters](crate::dead_letter), and pending asks fail at once with the reason.
//!
//! ```
//! use airssys_rt::prelude::*;
//!
//! struct Greeter {
//!     greeting: String,
//! }
//!
//! /// Asks for a greeting of this name.
//! struct Greet(String);
//!
//! #[actor(messages(Greet))]
//! impl Actor for Greeter {
//!     type Args = String;
//!
//!     async fn pre_start(greeting: String, _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Greeter { greeting })
//!     }
//! }
//!
//! impl Handler<Greet> for Greeter {
//!     type Reply = String;
//!     async fn handle(&mut self, Greet(name): Greet, _ctx: &mut Context<Self>) -> String {
//!         format!("{}, {name}!", self.greeting)
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let greeter = system.spawn::<Greeter>("Hello".to_string()).await?;
//! assert_eq!(greeter.ask(Greet("Ada".to_string())).await?, "Hello, Ada!");
//! greeter.stop();
//! assert_eq!(greeter.wait_for_exit().await, ExitReason::Normal);
//! # Ok(()) }
//! ```

mod actor_ref;
mod behaviour;
mod cell;
mod context;
pub(crate) mod current;
pub mod dispatch;
mod handler;
mod idle;
mod placement;
mod probe;
mod recipient;
mod runner;

pub use crate::kernel::message::ReplyTo;
pub(crate) use crate::vocabulary::{drop_guarded, forget_panic, trace_guarded};
pub use crate::vocabulary::{ActorError, ActorId, ActorState, BoxError, ExitReason};
pub use actor_ref::{ActorRef, Ask, AskFuture, Tell, TellFuture, WeakActorRef};
pub use behaviour::Actor;
pub(crate) use cell::{ActorCell, ErasedCell};
pub use context::Context;
pub use handler::{Accepts, Classic, ClassicMail, DeferredHandler, Handler};
pub(crate) use idle::IdleTimer;
pub(crate) use placement::Supervision;
pub(crate) use probe::{answer_probe, DeferredProbe};
pub use recipient::{
    Recipient, RecipientAsk, RecipientAskFuture, RecipientTell, RecipientTellFuture,
    ReplyRecipient, WeakRecipient,
};
pub(crate) use runner::{guarded, start};
