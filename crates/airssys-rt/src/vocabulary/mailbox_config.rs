//! How a mailbox is configured: its capacity, what a full one does, and the system's budget
//! for the unbounded ones.

/// The capacity of a bounded mailbox when neither the system nor the spawn says otherwise.
///
/// ```
/// assert_eq!(airssys_rt::mailbox::DEFAULT_CAPACITY, 1024);
/// ```
pub const DEFAULT_CAPACITY: usize = 1024;

/// How many messages may wait in all the unbounded mailboxes of a system together, unless its
/// builder says otherwise ([`SystemBuilder::message_budget`](crate::SystemBuilder::message_budget)).
///
/// 4,194,304 messages: far more than a system that keeps up ever queues, and, at the few dozen
/// bytes a small message takes in a mailbox, well under a gigabyte. What a message owns on the
/// heap (a `String`'s text, a `Vec`'s items) is not counted: the budget is in messages.
///
/// ```
/// assert_eq!(airssys_rt::mailbox::DEFAULT_MESSAGE_BUDGET, 1 << 22);
/// ```
pub const DEFAULT_MESSAGE_BUDGET: usize = 1 << 22;

/// What a send to an unbounded mailbox does when the system's message budget is spent.
///
/// Signals (stop, kill, exit signals, down notices) are never refused by the budget, and
/// bounded mailboxes are not limited by it.
///
/// | policy | `tell`, `try_tell` | `ask` | the message |
/// |---|---|---|---|
/// | [`Reject`](BudgetPolicy::Reject) (default) | `Err(Full(msg))` | `Err(Full(msg))` | returned to the sender |
/// | [`Shed`](BudgetPolicy::Shed) | `Ok(())` | `Err(Dropped)` | a dead letter, [`BudgetExceeded`](crate::dead_letter::DeadLetterReason::BudgetExceeded) |
///
/// A timer's message or a publication has nobody to be returned to: it is shed under either
/// policy.
///
/// ```
/// use airssys_rt::mailbox::BudgetPolicy;
/// assert_eq!(BudgetPolicy::default(), BudgetPolicy::Reject);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BudgetPolicy {
    /// The message is returned to the sender with
    /// [`SendError::Full`](crate::message::SendError::Full) or
    /// [`AskError::Full`](crate::message::AskError::Full), at once.
    #[default]
    Reject,
    /// The message is dropped and recorded as a dead letter.
    Shed,
}

/// What a bounded mailbox does with a message that arrives when it is full.
///
/// See the [module documentation](crate::mailbox) for the table of what each sending call returns.
///
/// ```
/// use airssys_rt::mailbox::OverflowPolicy;
/// assert_eq!(OverflowPolicy::default(), OverflowPolicy::Wait);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OverflowPolicy {
    /// The sender waits until there is room (backpressure). `try_tell` returns the message.
    #[default]
    Wait,
    /// The message is returned to the sender with [`SendError::Full`](crate::message::SendError::Full).
    Reject,
    /// The arriving message is dropped and recorded as a dead letter.
    DropNewest,
    /// The oldest waiting message is dropped and recorded as a dead letter, making room for the
    /// arriving one.
    DropOldest,
}

/// How an actor's mailbox is sized, and what it does when full.
///
/// ```
/// use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
/// let config = MailboxConfig::bounded(8).overflow(OverflowPolicy::Reject);
/// assert!(config.is_bounded());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MailboxConfig {
    capacity: Option<usize>,
    overflow: OverflowPolicy,
    /// Whether an unbounded mailbox counts against the message budget: all do but a
    /// supervisor's, which must never refuse what keeps its tree alive.
    budgeted: bool,
}

impl MailboxConfig {
    /// A mailbox that holds at most `capacity` waiting messages, waiting for room when full.
    ///
    /// A capacity of zero is refused when the actor is spawned, with
    /// [`SpawnError::InvalidMailbox`](crate::system::SpawnError::InvalidMailbox).
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// assert_eq!(MailboxConfig::bounded(64).capacity(), Some(64));
    /// ```
    pub const fn bounded(capacity: usize) -> Self {
        Self { capacity: Some(capacity), overflow: OverflowPolicy::Wait, budgeted: true }
    }

    /// A mailbox with no bound of its own: sending never waits, and never drops while the
    /// system's [message budget](crate::SystemBuilder::message_budget) lasts.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// assert!(!MailboxConfig::unbounded().is_bounded());
    /// ```
    pub const fn unbounded() -> Self {
        Self { capacity: None, overflow: OverflowPolicy::Wait, budgeted: true }
    }

    /// Sets what happens when the mailbox is full. Has no effect on an unbounded mailbox.
    ///
    /// ```
    /// use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
    /// let config = MailboxConfig::bounded(2).overflow(OverflowPolicy::DropNewest);
    /// assert_eq!(config.overflow_policy(), OverflowPolicy::DropNewest);
    /// ```
    pub const fn overflow(mut self, policy: OverflowPolicy) -> Self {
        self.overflow = policy;
        self
    }

    /// The bound, or `None` for an unbounded mailbox.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// assert_eq!(MailboxConfig::bounded(3).capacity(), Some(3));
    /// ```
    pub const fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// Whether the mailbox has a bound.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// assert!(MailboxConfig::default().is_bounded());
    /// ```
    pub const fn is_bounded(&self) -> bool {
        self.capacity.is_some()
    }

    /// Takes an unbounded mailbox out of the system's message budget (B1): its messages are
    /// never refused nor shed for a spent budget. A supervisor's mailbox is made so, that it
    /// never refuses the requests and retries that keep its tree alive; it is meant for a
    /// service's own control mailbox, whose senders are few and known, not for an actor that
    /// anyone may flood. A bounded mailbox is outside the budget anyway.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// let control = MailboxConfig::unbounded().outside_budget();
    /// assert!(!control.is_bounded());
    /// ```
    pub const fn outside_budget(mut self) -> Self {
        self.budgeted = false;
        self
    }

    /// Whether its messages count against the system's message budget.
    pub(crate) const fn is_budgeted(&self) -> bool {
        self.capacity.is_none() && self.budgeted
    }

    /// What happens when the mailbox is full.
    ///
    /// ```
    /// use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
    /// assert_eq!(MailboxConfig::default().overflow_policy(), OverflowPolicy::Wait);
    /// ```
    pub const fn overflow_policy(&self) -> OverflowPolicy {
        self.overflow
    }
}

impl Default for MailboxConfig {
    /// Bounded at [`DEFAULT_CAPACITY`], waiting for room when full.
    fn default() -> Self {
        Self::bounded(DEFAULT_CAPACITY)
    }
}

/// A mailbox configuration that cannot be used.
///
/// ```
/// use airssys_rt::mailbox::{MailboxConfig, MailboxConfigError};
/// assert_eq!(MailboxConfig::bounded(0).validate(), Err(MailboxConfigError::ZeroCapacity));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailboxConfigError {
    /// A bounded mailbox must hold at least one message.
    #[error("a bounded mailbox needs a capacity of at least 1")]
    ZeroCapacity,
}

impl MailboxConfig {
    /// Checks that the configuration can be used.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// assert!(MailboxConfig::bounded(1).validate().is_ok());
    /// ```
    pub const fn validate(&self) -> Result<(), MailboxConfigError> {
        match self.capacity {
            Some(0) => Err(MailboxConfigError::ZeroCapacity),
            _ => Ok(()),
        }
    }
}
