//! The actor system: where actors are spawned, named, counted and shut down.
//!
//! An [`ActorSystem`] runs on the Tokio runtime of whoever uses it, multi-thread or
//! current-thread alike (the runtime needs its timer enabled, as `#[tokio::main]` does). It holds
//! the defaults that actors are spawned with, the names actors are registered under, the
//! [dead letters](crate::dead_letter), and the list of live actors that
//! [`shutdown`](ActorSystem::shutdown) stops.
//!
//! | setting | default | |
//! |---|---|---|
//! | [`mailbox`](SystemBuilder::mailbox) | bounded, [`DEFAULT_CAPACITY`](crate::mailbox::DEFAULT_CAPACITY) (1024) messages, [`Wait`](crate::mailbox::OverflowPolicy::Wait) when full | per actor with [`SpawnOptions::mailbox`] |
//! | [`ask_timeout`](SystemBuilder::ask_timeout) | 5 s, as OTP's `gen_server:call` | per call with [`Ask::timeout`](crate::actor::Ask::timeout) |
//! | [`max_actors`](SystemBuilder::max_actors) | 1,048,576, as the BEAM's default process limit | |
//! | [`shutdown_timeout`](SystemBuilder::shutdown_timeout) | 5 s, as OTP's default worker shutdown | |
//! | [`dead_letter_history`](SystemBuilder::dead_letter_history) | the latest 128 | |
//! | [`statistics`](SystemBuilder::statistics) | off: per-actor [statistics](crate::telemetry::stats) are not kept | |
//! | [`crash_report_history`](SystemBuilder::crash_report_history) | the latest 64 | |
//! | [`message_budget`](SystemBuilder::message_budget) | [`crate::mailbox::DEFAULT_MESSAGE_BUDGET`] (4,194,304) messages waiting in unbounded mailboxes, [`Reject`](crate::mailbox::BudgetPolicy::Reject) past it | [`over_budget`](SystemBuilder::over_budget) |
//!
//! ```
//! use std::time::Duration;
//! use airssys_rt::prelude::*;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::builder()
//!     .mailbox(MailboxConfig::unbounded())
//!     .ask_timeout(Duration::from_secs(1))
//!     .max_actors(10_000)
//!     .build()?;
//! assert_eq!(system.config().max_actors(), 10_000);
//! let report = system.shutdown().await;
//! assert_eq!(report.killed, 0);
//! # Ok(()) }
//! ```

mod actor_system;
mod config;
pub(crate) mod deadlines;
mod extensions;
mod shutdown;
mod spawn;

#[doc(no_inline)]
pub use crate::kernel::registry::LookupError;
pub use crate::vocabulary::{ConfigError, SpawnError};
pub use actor_system::ActorSystem;
pub use config::{
    SystemBuilder, SystemConfig, DEFAULT_ASK_TIMEOUT, DEFAULT_CRASH_REPORT_HISTORY,
    DEFAULT_DEAD_LETTER_HISTORY, DEFAULT_MAX_ACTORS, DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use shutdown::ShutdownReport;
pub use spawn::SpawnOptions;
