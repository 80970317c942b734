//! Routers, pools and groups: many workers behind one handle.
//!
//! A [`Pool`] starts `N` workers of one actor type as the children of its own
//! [`Supervisor`](crate::supervisor::Supervisor) (one for one, permanent workers), and hands out
//! a [`Router`]: a cheap, clonable handle that sends each message to one of the workers, as its
//! [`Routing`] says. The router picks the worker **in the sender's task** and pushes straight
//! into that worker's mailbox: there is no router actor in between, so a routed `tell` costs
//! one table read more than a direct one.
//!
//! A router routes one message type `M` of its workers: [`Router<A, M>`](Router), made by a
//! [`Pool<A, M>`](Pool) from a [`PoolSpec<A, M>`](PoolSpec). For a classic actor `M` is its
//! `type Msg` and may be left out (`Pool<A>`); a pool of an actor with several message types
//! names the one its router routes.
//!
//! * [`Routing::RoundRobin`]: the workers in turn.
//! * [`Routing::Random`]: a worker drawn at random.
//! * [`Routing::LeastLoaded`]: the worker with the fewest messages waiting in its mailbox (ties
//!   go to the workers in turn).
//! * [`Routing::ConsistentHash`]: the worker a key taken from the message hashes to (set with
//!   [`PoolSpec::consistent_hash`]); the same key goes to the same worker, and resizing moves
//!   only the keys that must move (jump consistent hashing).
//! * [`Routing::Broadcast`]: a copy to every worker (set with [`PoolSpec::broadcast`]). A copy
//!   that a worker's full mailbox refuses while others queued theirs becomes a
//!   [dead letter](crate::dead_letter) (`DroppedNewest`); the message is handed back only
//!   when no worker queued it.
//!
//! Workers are slots `0..N`. A crashed worker is restarted by the pool's supervisor and its
//! successor takes the same slot: it rejoins the routing by itself. [`Pool::resize`] adds
//! slots at the end, or removes the highest ones.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::router::{Pool, PoolSpec, Routing};
//!
//! #[derive(Clone)]
//! struct Resizer;
//!
//! /// Halves one side of an image.
//! struct Halve(u32);
//!
//! #[actor(messages(Halve))]
//! impl Actor for Resizer {}
//!
//! impl Handler<Halve> for Resizer {
//!     type Reply = u32;
//!     async fn handle(&mut self, Halve(side): Halve, _: &mut Context<Self>) -> u32 {
//!         side / 2
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let spec = PoolSpec::new(4, Resizer).routing(Routing::RoundRobin);
//! // The pool's router routes `Halve`, the message named here.
//! let pool = Pool::<Resizer, Halve>::start(&system, spec).await?;
//! let router = pool.router().clone();
//! router.tell(Halve(640)).await?;
//! assert_eq!(router.ask(Halve(1024)).await?, 512);
//! pool.resize(2).await?;
//! assert_eq!(router.size(), 2);
//! pool.stop().await;
//! # Ok(()) }
//! ```
//!
//! ## Groups
//!
//! A [`Group<M, R>`](Group) routes to actors started elsewhere, of any types, as long as each
//! answers `M` with an `R`: its **members** are [`ReplyRecipient<M, R>`]s, where a pool's
//! workers are `ActorRef`s of one type (Akka's group router beside its pool router). It routes
//! with the same code and the same [`Routing`]s; nobody restarts its members, so they change
//! only when one [joins](Group::join) or [leaves](Group::leave), or ends: as in OTP's `pg`, a
//! member that ends leaves by itself (skipped, as an ended worker is, until its end is
//! processed). [`Group::new`] takes the routings that need nothing more, and refuses the others
//! with a [`GroupError`] naming their constructor: [`Group::consistent_hash`] (a key) and
//! [`Group::broadcasting`] (messages that can be copied). A group holds its members alive until
//! they leave or its last clone goes; a member holding its own group holds itself, unless it
//! holds a [`WeakGroup`].
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::router::{Group, Routing};
//!
//! /// Stores a reading; answers how many the store holds.
//! #[derive(Clone)]
//! struct Store(f64);
//!
//! /// Keeps readings in memory: a classic actor.
//! #[derive(Default)]
//! struct Memory {
//!     kept: Vec<f64>,
//! }
//!
//! #[actor]
//! impl Actor for Memory {
//!     type Msg = Store;
//!     type Reply = usize;
//!     async fn handle(&mut self, Store(x): Store, _: &mut Context<Self>) -> Result<usize, Self::Error> {
//!         self.kept.push(x);
//!         Ok(self.kept.len())
//!     }
//! }
//!
//! /// Only counts them: a reply type per message.
//! #[derive(Default)]
//! struct Counter {
//!     seen: usize,
//! }
//!
//! #[actor(messages(Store))]
//! impl Actor for Counter {}
//!
//! impl Handler<Store> for Counter {
//!     type Reply = usize;
//!     async fn handle(&mut self, _: Store, _: &mut Context<Self>) -> usize {
//!         self.seen += 1;
//!         self.seen
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let memory = system.spawn::<Memory>(Memory::default()).await?;
//! let counter = system.spawn::<Counter>(Counter::default()).await?;
//! // Two actor types, one message type: a group of both.
//! let stores: Group<Store, usize> = Group::new(Routing::RoundRobin, [memory.reply_recipient()])?;
//! assert!(stores.join(counter.clone()));
//! assert_eq!(stores.broadcast(Store(1.5)).await?, 2);
//! assert_eq!(stores.ask(Store(2.5)).await?, 2); // the memory's second reading
//! assert!(stores.leave(memory.id()));
//! assert_eq!(stores.ask(Store(3.5)).await?, 2); // the counter's second
//! # Ok(()) }
//! ```
//!
//! ## Semantics
//!
//! * **Nothing is lost.** A message routed to a worker that has just ended (its mailbox is
//!   closed, and its successor not yet in place) is offered to the next slots in turn, and
//!   then to a fresh read of the table if it changed meanwhile; only when no worker takes it
//!   is it handed back: [`crate::message::SendError::Closed`] for a `tell`, [`crate::message::AskError::Closed`] for an `ask`.
//!   A full mailbox is not skipped: under [`OverflowPolicy::Wait`] a `tell` waits for room in
//!   the chosen worker (at most its [timeout](RouterTell::timeout), if it has one), under
//!   `Reject` it fails with [`crate::message::SendError::Full`], as a direct send would. A `tell` dropped before
//!   its message is queued makes the message a [dead letter](crate::dead_letter).
//! * Messages that a worker had **already queued** when it crashed, or when a shrink stopped
//!   it, follow the ordinary rules: they become [dead letters](crate::dead_letter), and their
//!   asks fail with [`crate::message::AskError::Stopped`]. They are not moved to another worker: the crash may
//!   have been caused by one of them.
//! * An `ask` is answered by the worker that handled it; a request the worker took and did not
//!   answer (it crashed) fails with [`crate::message::AskError::Stopped`] and is not sent again.
//! * A pool ends when it is [stopped](Pool::stop), when its supervisor gives up (more
//!   restarts than its [intensity](PoolSpec::intensity): by default, as many restarts in 5 s
//!   as it has workers), or when the last [`Pool`] and
//!   [`Router`] handle to it are gone. Sends then hand their messages back.
//!
//! The rules, with their tests, are chapter R of [`semantics`](crate::semantics); those of
//! groups are R14 to R17.
//!
//! [`OverflowPolicy::Wait`]: crate::mailbox::OverflowPolicy::Wait
//! [`ReplyRecipient<M, R>`]: crate::actor::ReplyRecipient

mod dispatch;
mod group;
mod pool;
mod routee;
mod send;
mod table;

pub use dispatch::{Router, RouterAsk, RouterTell, RouterTellFuture, Routing};
pub use group::{Group, GroupAsk, GroupError, GroupTell, GroupTellFuture, WeakGroup};
pub use pool::{Pool, PoolError, PoolSpec};
