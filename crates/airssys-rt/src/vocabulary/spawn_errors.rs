//! Why a system could not be built, or an actor spawned.

use std::sync::Arc;

use super::{ActorId, ExitReason, MailboxConfigError, NameProblem};

/// Settings the [`SystemBuilder`](crate::SystemBuilder) refuses.
///
/// ```
/// use airssys_rt::mailbox::MailboxConfig;
/// let refused = airssys_rt::ActorSystem::builder().mailbox(MailboxConfig::bounded(0)).build();
/// assert!(refused.is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The default mailbox cannot be used.
    #[error("invalid default mailbox: {0}")]
    InvalidMailbox(#[from] MailboxConfigError),
    /// A system that may run no actor.
    #[error("max_actors must be at least 1")]
    ZeroMaxActors,
    /// A message budget that no message fits in.
    #[error("message_budget must be at least 1")]
    ZeroMessageBudget,
}

/// Why an actor could not be spawned.
///
/// ```
/// use airssys_rt::system::SpawnError;
/// let error = SpawnError::TooManyActors { limit: 10 };
/// assert_eq!(error.to_string(), "the system already runs its limit of 10 actors");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The name to register the actor under is not a valid name (see
    /// [`crate::registry::check_name`]).
    #[error("invalid name: {0}")]
    InvalidName(NameProblem),
    /// Another live actor is registered under this name.
    #[error("the name {name:?} is already registered to actor {owner}")]
    NameTaken {
        /// The name asked for.
        name: Arc<str>,
        /// The actor that holds it.
        owner: ActorId,
    },
    /// The system runs as many actors as it may.
    #[error("the system already runs its limit of {limit} actors")]
    TooManyActors {
        /// The configured limit.
        limit: usize,
    },
    /// The system is shutting down and takes no new actors.
    #[error("the system is shutting down")]
    ShuttingDown,
    /// The mailbox configuration cannot be used.
    #[error("invalid mailbox: {0}")]
    InvalidMailbox(#[from] MailboxConfigError),
    /// `pre_start` failed or panicked (or the actor was killed while starting).
    #[error("the actor failed to start: {0}")]
    StartFailed(ExitReason),
}
