//! How to spawn one actor, and why a spawn can fail.

use std::sync::Arc;

use crate::kernel::mailbox::MailboxConfig;

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

    /// Registers the actor under this name. The spawn fails with [`crate::system::SpawnError::InvalidName`]
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
