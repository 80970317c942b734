//! The name registry: find an actor by a name instead of a handle.
//!
//! Every [`ActorSystem`](crate::ActorSystem) has one [`Registry`], as an Erlang node has its
//! `register/2` table. An actor gets a name when it is spawned with one
//! ([`spawn_named`](crate::ActorSystem::spawn_named)) or later with
//! [`Registry::register`]; anyone can then [`lookup`](Registry::lookup) a handle of its type.
//!
//! * A name belongs to at most one live actor, and an actor has at most one name. Registering
//!   a name that is taken fails with [`RegistryError::NameTaken`], which names the owner.
//! * A lookup is typed: asking for the wrong actor type is a [`LookupError::WrongType`], never
//!   a panic or a wrongly typed handle.
//! * A registration keeps its actor alive (the actor does not end for lack of handles while
//!   it can be found by name) until it is stopped or unregistered.
//! * A name is 1 to [`MAX_NAME_BYTES`] (255) bytes, with no control character and no `/`
//!   (crash-report paths join names with it): another is refused with a [`NameProblem`]
//!   ([`RegistryError::InvalidName`], or [`crate::system::SpawnError::InvalidName`] when an actor is spawned
//!   with it).
//! * When the actor ends, its name is released before its end is announced: once
//!   [`wait_for_exit`](crate::ActorRef::wait_for_exit) returns, or a monitor's notice or a link's
//!   exit signal arrives, the name is free for a successor.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::registry::RegistryError;
//! # struct Cache;
//! # #[actor]
//! # impl Actor for Cache {
//! #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
//! #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Cache) }
//! #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
//! # }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let cache = system.spawn::<Cache>(()).await?;
//! system.registry().register("cache", &cache)?;
//! let found: ActorRef<Cache> = system.registry().lookup("cache")?;
//! assert_eq!(found, cache);
//!
//! let other = system.spawn::<Cache>(()).await?;
//! let taken = system.registry().register("cache", &other);
//! assert!(matches!(taken, Err(RegistryError::NameTaken { owner, .. }) if owner == cache.id()));
//!
//! cache.stop();
//! cache.wait_for_exit().await;
//! assert!(system.registry().whereis("cache").is_none());
//! system.registry().register("cache", &other)?;
//! # Ok(()) }
//! ```

mod named;
mod table;

pub use crate::vocabulary::{check_name, LookupError, NameProblem, RegistryError, MAX_NAME_BYTES};
pub use named::{NamedAsk, NamedRef, NamedTell, NamedTellFuture};
pub use table::Registry;
