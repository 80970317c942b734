//! Messages: what sending returns, and how a request finds its way back.
//!
//! An actor handles one or more message types, each with its own reply type (see
//! [`Handler`](crate::actor::Handler) and the [`actor`](macro@crate::actor) attribute). A
//! message is moved into the mailbox as it is; nothing is cloned, boxed or serialised on the
//! way. [`ask`](crate::ActorRef::ask) adds a one-shot reply handle, a [`ReplyTo`], next to the
//! message, so the handler simply returns its reply and the runtime delivers it to the caller;
//! a [deferred handler](crate::actor::DeferredHandler) keeps the handle and answers later.
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
mod reply;

pub use crate::vocabulary::{AskError, SendError, StableAskError, StableSendError};
pub(crate) use envelope::{Envelope, ReplyReceiver, ReplySender, Undelivered};
pub use reply::ReplyTo;
pub(crate) use reply::{
    answer_caught, answer_unwound, calling, refuse_failed, refusing, HeldAcrossCall,
};
