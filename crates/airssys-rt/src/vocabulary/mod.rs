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
mod signals;
pub(crate) mod tree;

pub use child::ChildKind;
pub use dead_letter::{DeadLetter, DeadLetterReason};
pub(crate) use exit::{drop_guarded, forget_panic, trace_guarded};
pub use exit::{ActorError, ExitReason};
pub(crate) use health::{CheckOutcome, CheckRecord, FallenRoots};
pub use health::{Health, HealthCheck, HealthCheckFailed, HealthIssue, HealthReport, HealthStatus};
pub use id::{ActorId, ActorState};
pub use signals::{DownNotice, ExitSignal, MonitorRef};
