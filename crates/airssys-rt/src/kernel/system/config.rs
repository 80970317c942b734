//! The settings a system runs with, their defaults, and the builder that changes them.

use std::time::Duration;

use super::{ActorSystem, ConfigError};
use crate::kernel::mailbox::{BudgetPolicy, MailboxConfig, DEFAULT_MESSAGE_BUDGET};

/// The settings of an [`ActorSystem`].
///
/// ```
/// let config = airssys_rt::ActorSystem::new().config().clone();
/// assert_eq!(config.shutdown_timeout(), std::time::Duration::from_secs(5));
/// ```
#[derive(Clone, Debug)]
pub struct SystemConfig {
    pub(super) mailbox: MailboxConfig,
    pub(super) ask_timeout: Duration,
    pub(super) max_actors: usize,
    pub(super) shutdown_timeout: Duration,
    pub(super) dead_letter_history: usize,
    pub(super) statistics: bool,
    pub(super) crash_report_history: usize,
    pub(super) message_budget: usize,
    pub(super) over_budget: BudgetPolicy,
}

/// The default `ask` timeout: 5 s, as OTP's `gen_server:call`.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_ASK_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_ASK_TIMEOUT: Duration = Duration::from_secs(5);
/// The default limit on live actors: 1,048,576, the BEAM's default process limit.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_MAX_ACTORS, 1_048_576);
/// ```
pub const DEFAULT_MAX_ACTORS: usize = 1 << 20;
/// How long [`ActorSystem::shutdown`] waits for graceful stops before killing: 5 s, as OTP's
/// default shutdown for a worker.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_SHUTDOWN_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// How many dead letters are kept for inspection by default.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_DEAD_LETTER_HISTORY, 128);
/// ```
pub const DEFAULT_DEAD_LETTER_HISTORY: usize = 128;
/// How many crash reports are kept for inspection by default.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_CRASH_REPORT_HISTORY, 64);
/// ```
pub const DEFAULT_CRASH_REPORT_HISTORY: usize = 64;

impl Default for SystemConfig {
    fn default() -> Self {
        Self {
            mailbox: MailboxConfig::default(),
            ask_timeout: DEFAULT_ASK_TIMEOUT,
            max_actors: DEFAULT_MAX_ACTORS,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            dead_letter_history: DEFAULT_DEAD_LETTER_HISTORY,
            statistics: false,
            crash_report_history: DEFAULT_CRASH_REPORT_HISTORY,
            message_budget: DEFAULT_MESSAGE_BUDGET,
            over_budget: BudgetPolicy::Reject,
        }
    }
}

impl SystemConfig {
    /// The mailbox an actor gets unless its spawn says otherwise.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert!(system.config().mailbox().is_bounded());
    /// ```
    pub fn mailbox(&self) -> MailboxConfig {
        self.mailbox
    }

    /// How long an `ask` waits unless the call sets its own timeout.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().ask_timeout(), airssys_rt::system::DEFAULT_ASK_TIMEOUT);
    /// ```
    pub fn ask_timeout(&self) -> Duration {
        self.ask_timeout
    }

    /// The most actors alive at once.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().max_actors(), airssys_rt::system::DEFAULT_MAX_ACTORS);
    /// ```
    pub fn max_actors(&self) -> usize {
        self.max_actors
    }

    /// How long `shutdown` waits for graceful stops before it kills.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().shutdown_timeout(), airssys_rt::system::DEFAULT_SHUTDOWN_TIMEOUT);
    /// ```
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// How many dead letters are kept for inspection.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().dead_letter_history(), airssys_rt::system::DEFAULT_DEAD_LETTER_HISTORY);
    /// ```
    pub fn dead_letter_history(&self) -> usize {
        self.dead_letter_history
    }

    /// Whether per-actor statistics are kept.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert!(!system.config().statistics());
    /// ```
    pub fn statistics(&self) -> bool {
        self.statistics
    }

    /// How many crash reports are kept for inspection.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().crash_report_history(), airssys_rt::system::DEFAULT_CRASH_REPORT_HISTORY);
    /// ```
    pub fn crash_report_history(&self) -> usize {
        self.crash_report_history
    }

    /// How many messages may wait in the system's unbounded mailboxes together.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().message_budget(), airssys_rt::mailbox::DEFAULT_MESSAGE_BUDGET);
    /// ```
    pub fn message_budget(&self) -> usize {
        self.message_budget
    }

    /// What a send to an unbounded mailbox does once the message budget is spent.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().over_budget(), airssys_rt::mailbox::BudgetPolicy::Reject);
    /// ```
    pub fn over_budget(&self) -> BudgetPolicy {
        self.over_budget
    }
}

/// Changes an [`ActorSystem`]'s defaults; made by [`ActorSystem::builder`].
///
/// ```
/// use std::time::Duration;
/// let system = airssys_rt::ActorSystem::builder()
///     .shutdown_timeout(Duration::from_millis(500))
///     .dead_letter_history(16)
///     .build()
///     .unwrap();
/// assert_eq!(system.config().dead_letter_history(), 16);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct SystemBuilder {
    pub(super) config: SystemConfig,
}

impl SystemBuilder {
    /// The mailbox every actor gets unless its spawn says otherwise.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// let system = airssys_rt::ActorSystem::builder().mailbox(MailboxConfig::bounded(8)).build().unwrap();
    /// assert_eq!(system.config().mailbox().capacity(), Some(8));
    /// ```
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.config.mailbox = mailbox;
        self
    }

    /// How long an `ask` waits unless the call sets its own timeout.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().ask_timeout(std::time::Duration::from_secs(1)).build().unwrap();
    /// assert_eq!(system.config().ask_timeout().as_secs(), 1);
    /// ```
    pub fn ask_timeout(mut self, timeout: Duration) -> Self {
        self.config.ask_timeout = timeout;
        self
    }

    /// The most actors alive at once; spawning past it fails with
    /// [`crate::system::SpawnError::TooManyActors`].
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().max_actors(2_000_000).build().unwrap();
    /// assert_eq!(system.config().max_actors(), 2_000_000);
    /// ```
    pub fn max_actors(mut self, limit: usize) -> Self {
        self.config.max_actors = limit;
        self
    }

    /// How long `shutdown` waits for graceful stops before it kills.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().shutdown_timeout(std::time::Duration::ZERO).build().unwrap();
    /// assert!(system.config().shutdown_timeout().is_zero());
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// How many of the latest dead letters are kept for inspection (0 keeps only the count).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().dead_letter_history(0).build().unwrap();
    /// assert_eq!(system.config().dead_letter_history(), 0);
    /// ```
    pub fn dead_letter_history(mut self, size: usize) -> Self {
        self.config.dead_letter_history = size;
        self
    }

    /// Keeps per-actor [statistics](crate::telemetry::stats) (off by default): messages
    /// received and handled, mailbox depths, handling times, dead letters. Off, they cost
    /// nothing; on, a few relaxed stores per message and a clock read for one message in
    /// [`SAMPLE_EVERY`](crate::telemetry::stats::SAMPLE_EVERY). System statistics are kept
    /// either way.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().statistics(true).build().unwrap();
    /// assert!(system.config().statistics());
    /// ```
    pub fn statistics(mut self, on: bool) -> Self {
        self.config.statistics = on;
        self
    }

    /// How many of the latest [crash reports](crate::telemetry::crash) are kept for
    /// inspection (0 keeps only the count).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().crash_report_history(8).build().unwrap();
    /// assert_eq!(system.config().crash_report_history(), 8);
    /// ```
    pub fn crash_report_history(mut self, size: usize) -> Self {
        self.config.crash_report_history = size;
        self
    }

    /// How many messages may wait in all the unbounded mailboxes of the system together
    /// (default [`DEFAULT_MESSAGE_BUDGET`]); past it, sends to unbounded mailboxes are refused
    /// or shed, as [`over_budget`](Self::over_budget) says, and
    /// [`ActorSystem::health`] reports the system degraded. Bounded mailboxes do not count
    /// against it. Zero is refused by [`build`](Self::build).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().message_budget(100_000).build().unwrap();
    /// assert_eq!(system.config().message_budget(), 100_000);
    /// ```
    pub fn message_budget(mut self, messages: usize) -> Self {
        self.config.message_budget = messages;
        self
    }

    /// What a send to an unbounded mailbox does once the message budget is spent: handed back
    /// to the sender ([`BudgetPolicy::Reject`], the default) or made a dead letter
    /// ([`BudgetPolicy::Shed`]).
    ///
    /// ```
    /// use airssys_rt::mailbox::BudgetPolicy;
    /// let system = airssys_rt::ActorSystem::builder().over_budget(BudgetPolicy::Shed).build().unwrap();
    /// assert_eq!(system.config().over_budget(), BudgetPolicy::Shed);
    /// ```
    pub fn over_budget(mut self, policy: BudgetPolicy) -> Self {
        self.config.over_budget = policy;
        self
    }

    /// The system, if the settings are usable.
    ///
    /// ```
    /// use airssys_rt::system::ConfigError;
    /// let refused = airssys_rt::ActorSystem::builder().max_actors(0).build();
    /// assert!(matches!(refused, Err(ConfigError::ZeroMaxActors)));
    /// ```
    pub fn build(self) -> Result<ActorSystem, ConfigError> {
        self.config.mailbox.validate()?;
        if self.config.max_actors == 0 {
            return Err(ConfigError::ZeroMaxActors);
        }
        if self.config.message_budget == 0 {
            return Err(ConfigError::ZeroMessageBudget);
        }
        Ok(ActorSystem::from_config(self.config))
    }
}
