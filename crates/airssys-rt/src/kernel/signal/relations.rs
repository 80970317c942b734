//! Who an actor is linked to, who watches it, and whom it watches.

use std::collections::HashMap;
use std::sync::Arc;

use crate::kernel::actor::{ActorId, ErasedCell};
use crate::vocabulary::MonitorRef;

/// An actor's links and monitors, both ways: what its end must be signalled to, and what it
/// must cancel.
#[derive(Default)]
pub(crate) struct Relations {
    /// By id: a supervisor is linked to every one of its children, so this may be large.
    pub(crate) links: HashMap<ActorId, Arc<dyn ErasedCell>>,
    /// Monitors on this actor: who is told when it ends.
    pub(crate) watchers: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    /// Monitors this actor holds on others, so that it can cancel them.
    pub(crate) watching: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
}
