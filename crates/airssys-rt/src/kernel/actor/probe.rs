//! Health probes: a supervisor's probe rides the mailbox behind the messages queued before it,
//! and the run loop answers it with the actor's check hook.

use tokio::sync::oneshot;

use super::{guarded, Actor, ActorCell, ExitReason};
use crate::kernel::mailbox::Signal;
use crate::vocabulary::Health;

/// A probe waiting behind the messages that were queued before it (kept in the actor's
/// `Attachments`, so actors never probed carry nothing for it).
pub(crate) struct DeferredProbe {
    /// Messages still to be taken before the probe's turn.
    pub(crate) ahead: usize,
    pub(crate) reply: oneshot::Sender<Health>,
}

impl DeferredProbe {
    /// Counts one message taken; the probe, as a signal, once its turn has come. `waiting` is
    /// how many messages are left: some ahead of it may have been dropped by the overflow
    /// policy rather than taken.
    pub(crate) fn taken(mut self, waiting: usize) -> Result<Signal, Self> {
        self.ahead = self.ahead.saturating_sub(1).min(waiting);
        if self.ahead == 0 {
            Ok(Signal::Probe(self.reply))
        } else {
            Err(self)
        }
    }
}

/// Runs an actor's check hook for a probe and sends the answer. A check that panics, or is
/// cut short by a kill, ends the actor with that reason (as any hook): `Some(reason)`.
pub(crate) async fn answer_probe<A: Actor>(
    cell: &ActorCell<A>,
    check: impl std::future::Future<Output = Health>,
    reply: oneshot::Sender<Health>,
) -> Option<ExitReason> {
    match guarded(cell, check).await {
        Ok(health) => {
            // The prober may have given up: its deadline passed.
            let _ = reply.send(health);
            None
        }
        Err(reason) => Some(reason),
    }
}
