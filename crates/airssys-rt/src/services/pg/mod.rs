//! Process groups, as Erlang's `pg`: named sets of actors that anyone can find and message.
//!
//! A group is a name and the actors that joined it; it exists while it has members. Every
//! [`ActorSystem`](crate::ActorSystem) has one set of groups (Erlang's default scope), reached
//! through [`ActorSystem::groups`](crate::ActorSystem::groups).
//!
//! * [`join`](ProcessGroups::join) adds an actor to a group; an actor may be in any number of
//!   groups. Joining a group it is already in changes nothing (unlike Erlang's `pg`, which counts
//!   joins: here membership is a set, as in ractor).
//! * [`leave`](ProcessGroups::leave) takes it out again.
//! * When an actor ends it leaves every group it is in, before its end is announced: once
//!   [`wait_for_exit`](crate::ActorRef::wait_for_exit) returns or a monitor's notice arrives, no
//!   group lists it.
//! * Membership keeps the actor alive, as a registered name does: it does not end for lack of
//!   handles while it can be found in a group.
//! * Groups hold actors of any type. [`members`](ProcessGroups::members) returns the members of
//!   the type asked for, as handles ready to send to; [`member_ids`](ProcessGroups::member_ids)
//!   lists them all.
//!
//! ```
//! use airssys_rt::prelude::*;
//! # struct Shard;
//! # #[actor]
//! # impl Actor for Shard {
//! #     type Msg = u64; type Reply = u64; type Args = (); type Error = std::convert::Infallible;
//! #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Shard) }
//! #     async fn handle(&mut self, n: u64, _: &mut Context<Self>) -> Result<u64, Self::Error> { Ok(n * 2) }
//! # }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let groups = system.groups();
//! let first = system.spawn::<Shard>(()).await?;
//! let second = system.spawn::<Shard>(()).await?;
//! groups.join("shards", &first)?;
//! groups.join("shards", &second)?;
//!
//! let mut total = 0;
//! for shard in groups.members::<Shard>("shards") {
//!     total += shard.ask(21).await?;
//! }
//! assert_eq!(total, 84);
//!
//! first.stop();
//! first.wait_for_exit().await;
//! assert_eq!(groups.member_ids("shards"), vec![second.id()]);
//! # Ok(()) }
//! ```

mod groups;
mod per_system;

pub use groups::{GroupError, ProcessGroups};
