//! The vocabulary: the types every layer speaks (who an actor is, why it ended, what links and
//! monitors deliver, how healthy it is), importing nothing else of the crate.
//!
//! Each type is public under the module a user knows it from (`airssys_rt::ExitReason`,
//! `airssys_rt::signal::DownNotice`, `airssys_rt::telemetry::health::Health`, ...): this
//! module only gives the layers below the services one place to take them from.

mod child;
mod dead_letter;
mod exit;
mod health;
mod id;
mod mailbox_config;
mod message_errors;
mod names;
mod signals;
mod spawn_errors;
mod stable_errors;
pub(crate) mod tree;

pub use child::ChildKind;
pub use dead_letter::{DeadLetter, DeadLetterReason};
pub(crate) use exit::{drop_guarded, forget_panic};
pub use exit::{trace_guarded, ActorError, BoxError, ExitReason};
pub use health::{Health, HealthCheck, HealthCheckFailed, HealthIssue, HealthReport, HealthStatus};
pub use id::{ActorId, ActorState};
pub use mailbox_config::{
    BudgetPolicy, MailboxConfig, MailboxConfigError, OverflowPolicy, DEFAULT_CAPACITY,
    DEFAULT_MESSAGE_BUDGET,
};
pub use message_errors::{AskError, SendError};
pub use names::{check_name, LookupError, NameProblem, RegistryError, MAX_NAME_BYTES};
pub use signals::{DownNotice, ExitSignal, MonitorRef};
pub use spawn_errors::{ConfigError, SpawnError};
pub use stable_errors::{StableAskError, StableSendError};
