//! Messages: what sending returns, and how a request finds its way back.
//!
//! An actor has one message type, [`crate::Actor::Msg`] (usually an enum), and one
//! reply type, [`crate::Actor::Reply`]. A message is moved into the mailbox as it
//! is; nothing is cloned, boxed or serialised on the way. [`ask`](crate::ActorRef::ask) adds a
//! one-shot reply slot next to the message, so the handler simply returns its reply and the
//! runtime delivers it to the caller; nobody writes a reply channel by hand.
//!
//! Every failure to send gives the message back when the runtime still has it
//! ([`SendError`], [`AskError::Full`], [`AskError::Closed`]). Otherwise the message went to
//! [dead letters](crate::dead_letter) and the error says why.
//!
//! ```
//! use airssys_rt::message::SendError;
//! let error = SendError::Full("hello");
//! assert!(error.is_full());
//! assert_eq!(error.into_inner(), "hello");
//! ```

mod envelope;

pub use crate::vocabulary::{AskError, SendError};
pub(crate) use envelope::{answer_undelivered, Envelope, ReplyReceiver, Undelivered};
