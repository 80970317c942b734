//! Dead letters: the messages that were accepted but never handled.
//!
//! A message that the runtime cannot hand back to its sender is never lost silently: it is
//! counted and recorded here. That happens when
//!
//! * a full mailbox drops it under [`DropNewest`](crate::mailbox::OverflowPolicy::DropNewest) or
//!   [`DropOldest`](crate::mailbox::OverflowPolicy::DropOldest),
//! * it was still waiting in the mailbox when its actor ended, or
//! * it was published to a subscriber that had ended, or that was full and not to be waited
//!   for (see [`broker`](crate::broker)), or
//! * it was a broadcast's copy that a worker's full mailbox refused while other workers queued
//!   theirs (see [`router`](crate::router)), or
//! * it was sent to an unbounded mailbox when the system's
//!   [message budget](crate::SystemBuilder::message_budget) was spent, under
//!   [`BudgetPolicy::Shed`](crate::mailbox::BudgetPolicy::Shed).
//! * its `tell` was dropped (cancelled) before it was queued, e.g. while it waited for room in a
//!   full mailbox.
//!
//! Other messages refused at the door (a full `Reject` mailbox, a closed mailbox) are not dead
//! letters: they go back to the sender inside the error.
//!
//! The sink keeps a count of every dead letter and a record of the latest ones (the
//! [history size](crate::SystemBuilder::dead_letter_history) is set on the system): which actor
//! it was for, why it died and its message type. Each one is also emitted as a `tracing` event
//! at debug level with target `airssys_rt::dead_letter` and the fields `actor` (the target's
//! id), `name` (its registered name, if any), `message_type`, `reason` and `was_ask`: the
//! counterpart, for messages, of the [crash reports](crate::telemetry::crash).
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::dead_letter::DeadLetterReason;
//! use tokio::sync::oneshot;
//!
//! /// Takes no message until it is told to go.
//! struct Sleepy {
//!     go: Option<oneshot::Receiver<()>>,
//! }
//!
//! #[actor]
//! impl Actor for Sleepy {
//!     type Msg = u32;
//!     type Reply = ();
//!     type Args = oneshot::Receiver<()>;
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(go: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Sleepy { go: Some(go) })
//!     }
//!
//!     async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         if let Some(go) = self.go.take() {
//!             let _ = go.await;
//!         }
//!         Ok(())
//!     }
//!
//!     async fn handle(&mut self, _: u32, _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let (go, wait) = oneshot::channel();
//! let options = SpawnOptions::new()
//!     .mailbox(MailboxConfig::bounded(1).overflow(OverflowPolicy::DropNewest));
//! let sleepy = system.spawn_with::<Sleepy>(options, wait).await?;
//! sleepy.tell(1).await?; // fills the mailbox
//! sleepy.tell(2).await?; // dropped on arrival
//! let _ = go.send(());
//!
//! assert_eq!(system.dead_letters().count(), 1);
//! let letter = &system.dead_letters().recent()[0];
//! assert_eq!(letter.target, sleepy.id());
//! assert_eq!(letter.reason, DeadLetterReason::DroppedNewest);
//! assert_eq!(letter.message_type, "u32");
//! # Ok(()) }
//! ```

mod collector;

pub use crate::vocabulary::{DeadLetter, DeadLetterReason};
pub use collector::DeadLetters;
