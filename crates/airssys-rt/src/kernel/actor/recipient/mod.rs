//! Recipients: handles that name the message type an actor handles instead of the actor's
//! type.
//!
//! A [`Recipient<M>`] reaches any actor that handles `M` ([`Accepts<M>`](super::Accepts));
//! a [`ReplyRecipient<M, R>`] also asks, and names the reply type `R`; a [`WeakRecipient<M>`]
//! does not keep its actor alive. Each is the actor's own cell behind a vtable: made from an
//! [`ActorRef`](super::ActorRef) without allocating, and sending through it costs one virtual
//! call more than through the `ActorRef`.
//!
//! ```
//! use airssys_rt::actor::{Recipient, ReplyRecipient};
//! use airssys_rt::prelude::*;
//!
//! struct Ping;
//!
//! #[derive(Default)]
//! struct Ponger;
//!
//! #[actor(messages(Ping))]
//! impl Actor for Ponger {}
//!
//! impl Handler<Ping> for Ponger {
//!     type Reply = &'static str;
//!     async fn handle(&mut self, _: Ping, _: &mut Context<Self>) -> &'static str {
//!         "pong"
//!     }
//! }
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let ponger = system.spawn::<Ponger>(Ponger).await?;
//! let pings: Recipient<Ping> = ponger.recipient();
//! pings.tell(Ping).await?;
//! let asks: ReplyRecipient<Ping, &'static str> = ponger.reply_recipient();
//! assert_eq!(asks.ask(Ping).await?, "pong");
//! # Ok(()) }
//! ```

mod deliver;
mod reply;
mod strong;
mod tell;

pub use reply::{RecipientAsk, RecipientAskFuture, ReplyRecipient};
pub use strong::{Recipient, WeakRecipient};
pub use tell::{RecipientTell, RecipientTellFuture};
