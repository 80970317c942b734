//! How to spawn one actor, and why a spawn can fail.

use std::sync::Arc;

use crate::kernel::actor::ActorId;
use crate::kernel::mailbox::{MailboxConfig, MailboxConfigError};
use crate::kernel::registry::NameProblem;

/// How to spawn one actor: its name and mailbox.
///
/// ```
/// use airssys_rt::prelude::*;
/// let options = SpawnOptions::new().name("cache").mailbox(MailboxConfig::unbounded());
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SpawnOptions {
    pub(super) name: Option<Arc<str>>,
    pub(super) mailbox: Option<MailboxConfig>,
}

impl SpawnOptions {
    /// Anonymous, with the system's default mailbox.
    ///
    /// ```
    /// let _ = airssys_rt::system::SpawnOptions::new();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the actor under this name. The spawn fails with [`SpawnError::InvalidName`]
    /// if it is not a valid name (see [`crate::registry::check_name`]).
    ///
    /// ```
    /// let _ = airssys_rt::system::SpawnOptions::new().name("logger");
    /// ```
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Gives the actor this mailbox instead of the system's default.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// let _ = airssys_rt::system::SpawnOptions::new().mailbox(MailboxConfig::bounded(4));
    /// ```
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.mailbox = Some(mailbox);
        self
    }
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
    StartFailed(crate::ExitReason),
}
