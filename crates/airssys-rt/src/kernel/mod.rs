//! The kernel interface: what supervision and every service build on, instead of the actor
//! cell's internals.
//!
//! The process groups, the broker, the timers and the routers of this crate are written
//! against this module alone; a new service (OS processes, WASM components as actors, remote
//! actors) is written the same way. It has four parts: an erased handle, a non-waiting offer,
//! placement in a supervision tree, and the system's
//! [extension map](crate::ActorSystem::extension) for a service's own state.
//!
//! ## The layer
//!
//! The kernel imports nothing above it: supervision, the services (process groups, the broker,
//! timers), routing and the telemetry views are built on it, never the other way round. What a
//! service needs to keep per system lives in the system's
//! [extension map](crate::ActorSystem::extension); the kernel's own share of telemetry (writing
//! crash reports, counting statistics, per-actor spans, answering a health probe) lives here,
//! and the views over it in [`telemetry`](crate::telemetry). Its modules are documented at
//! their public paths ([`actor`], [`mailbox`], [`message`], [`signal`], [`system`],
//! [`registry`], [`dead_letter`]); this module documents the interface.
//!
//! ## An erased handle: [`AnyActor`]
//!
//! [`ActorRef::erase`](crate::ActorRef::erase) (or `AnyActor::from`) turns a handle of any actor
//! type into an [`AnyActor`]: cheap to clone, compared and hashed by the actor's id, able to
//! tell the actor's id, name, type, state and mailbox length, to stop or kill it, to wait for
//! its exit, and to give a typed handle back ([`downcast`](AnyActor::downcast)). It does not
//! keep its actor alive (A4.6): a service that must, takes a [`KeepAlive`]
//! ([`AnyActor::keep_alive`]), as a registered name does (N7). [`WeakAnyActor`] refers to an
//! actor without holding its memory.
//!
//! Its **end-of-life hook** ([`AnyActor::on_end`]) runs once when the actor ends, before the
//! end is announced: a service undoes there what must not outlive the actor (a membership, a
//! subscription, a timer; G4, K4). An actor that has ended refuses the hook and hands it back
//! ([`EndHookError`]); [`AnyActor::cancel_end_hook`] withdraws one with the [`EndHook`] that
//! registering it returned.
//!
//! ## A non-waiting offer: [`Offer`]
//!
//! [`ActorRef::offer`](crate::ActorRef::offer) queues a message if it can be queued now, as
//! [`try_tell`](crate::ActorRef::try_tell) does, and says what became of it: delivered, dropped
//! by the mailbox's overflow policy or the message budget (a dead letter), or handed back as
//! [`Offer::Full`] or [`Offer::Gone`]. A service whose messages have no sender to go back to
//! (a timer's, a publication) offers them with
//! [`offer_unreturnable`](crate::ActorRef::offer_unreturnable): past the message budget they
//! are shed under either policy (B3). [`ActorRef::room`](crate::ActorRef::room) waits for room
//! in a mailbox that [`waits_when_full`](crate::ActorRef::waits_when_full), and
//! [`ActorRef::dead_letter`](crate::ActorRef::dead_letter) records what a service gives up on.
//!
//! ## Placement in a supervision tree: [`TreePlace`]
//!
//! A supervisor gives each child a [`TreePlace`] (its path in the tree and how often it was
//! restarted) by running the child's start through [`start_in_tree`], adopts it
//! ([`Context::adopt`](crate::Context::adopt): the child's parent and the link), and stops it
//! with [`Context::stop_child`](crate::Context::stop_child), or
//! [`Context::kill_child`](crate::Context::kill_child) when its shutdown is a kill (an ordered
//! end, not a crash); only its parent can.
//! A start handed to a task of its own runs [`on_behalf`] of the actors waiting for it (M16).
//!
//! ```
//! use airssys_rt::kernel::AnyActor;
//! use airssys_rt::prelude::*;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//!
//! struct Worker;
//!
//! #[actor]
//! impl Actor for Worker {
//!     type Msg = u32;
//!     type Reply = ();
//!     type Args = ();
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Worker)
//!     }
//!
//!     async fn handle(&mut self, _: u32, _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let worker = system.spawn::<Worker>(()).await?;
//!
//! // A service keeps its own view of the actor, whatever its type ...
//! let actor: AnyActor = worker.erase();
//! let kept = actor.keep_alive().expect("`worker` is a strong handle");
//! let ended = Arc::new(AtomicBool::new(false));
//! let hook = {
//!     let ended = Arc::clone(&ended);
//!     actor.on_end(move || ended.store(true, Ordering::SeqCst))?
//! };
//! # let _ = hook;
//!
//! // ... offers it messages without waiting ...
//! assert!(worker.offer(7).is_delivered());
//!
//! // ... and learns of its end, before anyone waiting for it does.
//! drop(worker);
//! actor.stop();
//! actor.wait_for_exit().await;
//! assert!(ended.load(Ordering::SeqCst));
//! drop(kept);
//! # Ok(()) }
//! ```

#[doc(hidden)]
pub mod actor;
// Documented at `airssys_rt::telemetry::crash`.
#[doc(hidden)]
pub mod crash;
#[doc(hidden)]
pub mod dead_letter;
#[doc(hidden)]
pub mod mailbox;
#[doc(hidden)]
pub mod message;
#[doc(hidden)]
pub mod registry;
#[doc(hidden)]
pub mod signal;
// Documented at `airssys_rt::telemetry::stats`.
#[doc(hidden)]
pub mod stats;
#[doc(hidden)]
pub mod system;
// Documented at `airssys_rt::telemetry::trace`.
#[doc(hidden)]
pub mod trace;

mod any;
mod offer;
mod placement;

pub use crate::vocabulary::trace_guarded;
pub use any::{AnyActor, EndHook, EndHookError, EndWork, KeepAlive, RefusedHook, WeakAnyActor};
pub use offer::{Offer, Origin, Room, SentAs};
pub use placement::{on_behalf, outside_tree, start_in_tree, HealthProbe, OnBehalf, TreePlace};
