//! Timers: a message later, a message every period, and an idle timeout.
//!
//! A **timer** sends one message to an actor after a delay ([`send_after`](crate::ActorRef::send_after),
//! Erlang's `erlang:send_after/3`), or a copy of one message every period
//! ([`send_interval`](crate::ActorRef::send_interval), Erlang's `timer:send_interval/3`). An actor sets
//! timers on itself through its [`crate::Context`] ([`crate::Context::send_after`],
//! [`crate::Context::send_interval`]); anyone holding an [`crate::ActorRef`] can set them on that actor. Each
//! call returns a [`TimerRef`] that can [`cancel`](TimerRef::cancel) the timer.
//!
//! The message of a timer is an ordinary message: it goes through the actor's mailbox, is
//! handled by its [handler](crate::actor::Handler) like any other, and its reply is discarded, as a
//! [`tell`](crate::ActorRef::tell)'s is. A timer is a sender of its own: the ticks of one interval
//! arrive in order, and there is no order between a timer's message and other senders'.
//!
//! The exact rules (`K1`, `K2`, ... in [`semantics`](crate::semantics)):
//!
//! * **Firing.** A one-shot timer sends its message once, no earlier than `delay` after it was
//!   set, on Tokio's clock (so `tokio::time::pause` and `advance` drive it in tests). An
//!   interval sends a clone of its message every `period`, the first one a period after it was
//!   set, until it is cancelled or its actor ends. A period shorter than 1 ms, the resolution
//!   of Tokio's timer, is taken as 1 ms.
//! * **Cancelling.** [`TimerRef::cancel`] returns `true` if the timer was still active (a
//!   one-shot that had not fired, an interval not yet stopped), like `erlang:cancel_timer/1`,
//!   and from then on the timer sends nothing more. A message it has already sent stays in
//!   the mailbox. Dropping a `TimerRef` does **not** cancel its timer (as in Erlang, where the
//!   timer reference is only a name): keep the `TimerRef` to cancel an interval.
//! * **Bound to the destination.** When an actor ends, every timer set on it is cancelled before
//!   its end is announced: once [`wait_for_exit`](crate::ActorRef::wait_for_exit) returns, none is
//!   active, none sends anything, and their tasks are aborted (Tokio frees them at its next
//!   turn). Their pending messages were never sent and are dropped with them (they are not
//!   dead letters). A timer set on an actor that has ended, or is
//!   ending, is inactive at once, and its message becomes a [dead letter](crate::dead_letter)
//!   (`ActorStopped`). A timer is bound to its destination only, as in Erlang: if the actor
//!   that set a timer on *another* actor ends, the timer goes on; cancel it in
//!   [`post_stop`](crate::Actor::post_stop) if that is not wanted.
//! * **A full mailbox.** A timer's message is sent as a `tell` from the timer: in a full `Wait`
//!   mailbox it waits for room; under `DropNewest` and `DropOldest` it is treated as any
//!   message; under `Reject`, having no sender to go back to, it becomes a dead letter
//!   (`DroppedNewest`). While an interval's tick waits for room, the ticks that come due are
//!   skipped, not sent in a burst afterwards ([`tokio::time::MissedTickBehavior::Skip`]); cancelling the
//!   interval drops the tick that waits. A message that fires as its actor is ending becomes a
//!   dead letter (`ActorStopped`), like one that was waiting in the mailbox.
//! * **Keeping the actor alive.** While it is active, a timer holds a sender on its actor: an
//!   actor does not end for lack of handles while a timer can still send to it. An interval on
//!   an actor that nobody else holds keeps it running until the interval is cancelled.
//! * **A weak timer.** [`send_after_weak`](crate::ActorRef::send_after_weak) (and
//!   [`crate::Context::send_after_weak`]) sets a one-shot timer that holds its actor weakly:
//!   the actor ends for lack of handles as if the timer were not there, and its end cancels
//!   the timer. In all else it is a `send_after` timer. A supervisor's backed-off restart is
//!   one: a supervisor nobody holds any more does not wait for its children's backoff to end.
//!
//! Each active timer is one Tokio task sleeping on Tokio's timer wheel; cancelling aborts it.
//! A pending timer takes about 500 bytes of heap (a bare `tokio::spawn` of a sleep about 400),
//! and its cancellation is registered with its actor's end, which is what makes the rules above
//! hold; `benches/timers.rs` measures both against plain Tokio.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use std::time::Duration;
//!
//! /// Counts ticks, and stops the ticking after three.
//! struct Metronome {
//!     ticks: u32,
//!     ticking: Option<TimerRef>,
//! }
//!
//! #[derive(Clone)]
//! struct Tick;
//! struct Count;
//!
//! #[actor(messages(Tick, Count))]
//! impl Actor for Metronome {
//!     type Args = ();
//!
//!     async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         let ticking = ctx.send_interval(Duration::from_secs(1), Tick);
//!         Ok(Metronome { ticks: 0, ticking: Some(ticking) })
//!     }
//! }
//!
//! impl Handler<Tick> for Metronome {
//!     type Reply = ();
//!     async fn handle(&mut self, _: Tick, _: &mut Context<Self>) {
//!         self.ticks += 1;
//!         if self.ticks == 3 {
//!             if let Some(ticking) = self.ticking.take() {
//!                 ticking.cancel();
//!             }
//!         }
//!     }
//! }
//!
//! impl Handler<Count> for Metronome {
//!     type Reply = u32;
//!     async fn handle(&mut self, _: Count, _: &mut Context<Self>) -> u32 {
//!         self.ticks
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let metronome = system.spawn::<Metronome>(()).await?;
//! tokio::time::sleep(Duration::from_secs(10)).await; // on Tokio's paused clock: no real wait
//! assert_eq!(metronome.ask(Count).await?, 3);
//! # Ok(()) }
//! ```
//!
//! ## The idle timeout
//!
//! An actor that wants to act when nothing happens, as a `gen_server` does with the timeout of
//! its callbacks, sets an **idle timeout** with [`crate::Context::set_idle_timeout`] and implements
//! [`crate::Actor::on_idle`]:
//!
//! * `on_idle` runs once the actor has gone the timeout without handling a message or a
//!   signal: counted from the moment it last finished one (or finished starting) and found its
//!   mailbox empty. A message or signal that arrives first is handled first, and the count
//!   starts again after it.
//! * While the timeout is set, it starts again after each run of `on_idle`; setting `None`
//!   (in `on_idle` too, for a timeout that fires once) clears it. A new timeout set in a hook
//!   or handler counts from the end of that hook or handler.
//! * `on_idle` is a hook like the others: an error or a panic in it ends the actor
//!   (`Failed`, `Panicked`). The idle timeout does not keep an actor alive: without senders it
//!   ends as it would without one.
//!
//! An actor that never sets an idle timeout pays nothing for it: no allocation, no byte of
//! state, and one test of a pointer when it parks.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use std::time::Duration;
//!
//! /// Flushes what it gathered after 100 ms without new items, once.
//! #[derive(Default)]
//! struct Batcher {
//!     batch: Vec<u32>,
//!     flushed: Vec<Vec<u32>>,
//! }
//!
//! struct Add(u32);
//! struct Flushed;
//!
//! #[actor(messages(Add, Flushed))]
//! impl Actor for Batcher {
//!     async fn on_idle(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
//!         self.flushed.push(std::mem::take(&mut self.batch));
//!         ctx.set_idle_timeout(None);
//!         Ok(())
//!     }
//! }
//!
//! impl Handler<Add> for Batcher {
//!     type Reply = ();
//!     async fn handle(&mut self, Add(n): Add, ctx: &mut Context<Self>) {
//!         self.batch.push(n);
//!         ctx.set_idle_timeout(Some(Duration::from_millis(100)));
//!     }
//! }
//!
//! impl Handler<Flushed> for Batcher {
//!     type Reply = Vec<Vec<u32>>;
//!     async fn handle(&mut self, _: Flushed, _: &mut Context<Self>) -> Vec<Vec<u32>> {
//!         self.flushed.clone()
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let batcher = system.spawn::<Batcher>(Batcher::default()).await?;
//! batcher.tell(Add(1)).await?;
//! batcher.tell(Add(2)).await?;
//! tokio::time::sleep(Duration::from_secs(1)).await;
//! assert_eq!(batcher.ask(Flushed).await?, vec![vec![1, 2]]);
//! # Ok(()) }
//! ```

mod scheduling;

pub use scheduling::TimerRef;
