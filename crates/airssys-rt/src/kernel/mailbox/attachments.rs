//! What few actors have, kept out of line in the mailbox's state and allocated on first use:
//! an actor that has none of it carries one pointer.

use std::collections::HashMap;

use crate::kernel::actor::{DeferredProbe, IdleTimer, Supervision};
use crate::kernel::signal::{EndToken, OnEnd, Relations};

/// Everything attached to an actor beyond its queue, each part named for what it is.
#[derive(Default)]
pub(crate) struct Attachments {
    /// Its links and monitors.
    pub(crate) relations: Relations,
    /// What must be undone when the actor ends: group memberships, subscriptions, timers. By
    /// token: an actor may have many timers pending, each withdrawn on its own when it fires.
    pub(crate) end_work: HashMap<EndToken, OnEnd>,
    /// The idle timeout, if the actor set one.
    pub(crate) idle: Option<IdleTimer>,
    /// A health probe waiting behind messages.
    pub(crate) probe: Option<DeferredProbe>,
    /// Where the actor sits in its supervision tree, if a supervisor started it.
    pub(crate) supervision: Option<Supervision>,
}
