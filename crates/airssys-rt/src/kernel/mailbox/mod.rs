//! Mailboxes: where an actor's messages wait until it handles them.
//!
//! Every actor has exactly one mailbox with two lanes:
//!
//! * the **message lane** holds the user messages sent with [`tell`](crate::ActorRef::tell) and
//!   [`ask`](crate::ActorRef::ask), in the order they arrived. It is either **bounded** (at most
//!   `capacity` messages wait) or **unbounded**;
//! * the **signal lane** holds system signals (stop, and later exit and down notices). It has no
//!   bound and the actor always looks at it before the message lane, so a full mailbox never
//!   delays a stop. A kill does not even wait for the lane: it interrupts the actor at its next
//!   `.await`.
//!
//! What a bounded mailbox does with a message that finds it full is its [`OverflowPolicy`]:
//!
//! | policy | `tell` | `try_tell` | `ask` | the message |
//! |---|---|---|---|---|
//! | [`Wait`](OverflowPolicy::Wait) (default) | waits for room (with [`.timeout(d)`](crate::actor::Tell::timeout), until `d`, then `Err(Full(msg))`) | `Err(Full(msg))` | waits for room until its timeout, then `Err(Full(msg))` | delivered or returned |
//! | [`Reject`](OverflowPolicy::Reject) | `Err(Full(msg))` | `Err(Full(msg))` | `Err(Full(msg))` | returned to the sender |
//! | [`DropNewest`](OverflowPolicy::DropNewest) | `Ok(())` | `Ok(())` | `Err(Dropped)` | the new message goes to dead letters |
//! | [`DropOldest`](OverflowPolicy::DropOldest) | `Ok(())` | `Ok(())` | queued | the oldest waiting message goes to dead letters |
//!
//! A message that is dropped is counted and recorded in the system's
//! [dead letters](crate::dead_letter); an `ask` whose request is dropped fails at once with
//! [`AskError::Dropped`](crate::message::AskError::Dropped). So is the message of a `tell` that
//! is itself dropped (cancelled) while it waits for room: its sender is no longer there to take
//! it back.
//!
//! The messages waiting in **unbounded** mailboxes count against the system's
//! [message budget](crate::SystemBuilder::message_budget) ([`DEFAULT_MESSAGE_BUDGET`] unless
//! set): past it, a send to an unbounded mailbox is refused or shed to dead letters, as the
//! [`BudgetPolicy`] says, and the system reports itself degraded (chapter B of
//! [`semantics`](crate::semantics)). Bounded mailboxes do not count: their capacity bounds them already.
//!
//! The mailbox allocates nothing until the first message arrives and keeps the room it has grown
//! to, so sending allocates nothing in steady state. An unbounded mailbox that grew past 4096
//! waiting messages frees that room once it empties, so a burst does not cost an idle actor its
//! memory for good.
//!
//! ```
//! use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
//!
//! let config = MailboxConfig::bounded(16).overflow(OverflowPolicy::DropOldest);
//! assert_eq!(config.capacity(), Some(16));
//! assert_eq!(config.overflow_policy(), OverflowPolicy::DropOldest);
//! assert_eq!(MailboxConfig::unbounded().capacity(), None);
//! assert_eq!(MailboxConfig::default().capacity(), Some(airssys_rt::mailbox::DEFAULT_CAPACITY));
//! ```

mod attachments;
pub(crate) mod budget;
mod queue;

pub use crate::vocabulary::{
    BudgetPolicy, MailboxConfig, MailboxConfigError, OverflowPolicy, DEFAULT_CAPACITY,
    DEFAULT_MESSAGE_BUDGET,
};
pub(crate) use attachments::Attachments;
pub(crate) use queue::{Ending, Mailbox, NameRefused, Next, PushError, Pushed, Signal};
