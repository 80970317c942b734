//! What a supervisor tells its subscribers (T21-T24): children started, restarted and ended,
//! and its own decision to end. A stream one waits on, so that nobody polls
//! `which_children` for a restart.
//!
//! Delivery is tokio's broadcast: one bounded buffer per supervisor that every subscription
//! reads at its own pace. The supervisor never waits for a subscriber; one that falls more than
//! [`EVENT_BUFFER`] events behind loses the oldest and is told how many it lost, in their place.
//! With no subscription, the supervisor holds no channel at all, so a restart costs nothing more.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use super::AutoShutdown;
use crate::actor::{ActorId, ExitReason};

/// How many events a subscription may fall behind before it loses the oldest (T23): a restart
/// of a whole group of 512 children (an end and a restart each) fits.
const EVENT_BUFFER: usize = 1024;

/// Something a supervisor did or decided, as [`SupervisorRef::events`](super::SupervisorRef::events)
/// delivers it (T21).
///
/// ```
/// use airssys_rt::supervisor::SupervisorEvent;
///
/// fn describe(event: &SupervisorEvent) -> String {
///     match event {
///         SupervisorEvent::Restarted { id, restarts, .. } => format!("{id} restarted ({restarts})"),
///         SupervisorEvent::GaveUp { .. } => "gave up".to_string(),
///         other => format!("{other:?}"),
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SupervisorEvent {
    /// A child started other than by a restart (`start_child`, `start_dynamic`,
    /// `restart_child`): sent once its start returned its actor and the supervisor linked it.
    Started {
        /// The child's id.
        id: Arc<str>,
        /// Its new actor.
        actor: ActorId,
    },
    /// The supervisor restarted a child (T2-T5, T8, T18): sent once the restart's start
    /// returned its actor and the supervisor linked it.
    Restarted {
        /// The child's id.
        id: Arc<str>,
        /// Its new actor.
        actor: ActorId,
        /// How its previous actor ended; `None` if it had none since its last start (its start
        /// said "ignore").
        after: Option<ExitReason>,
        /// Starts of this child before this one, failed ones included: the restart count its
        /// crash reports carry.
        restarts: u32,
    },
    /// A restart's start failed (T8): it counts as a restart and is tried again, unless the
    /// supervisor gives up (then [`GaveUp`](Self::GaveUp) follows).
    RestartFailed {
        /// The child's id.
        id: Arc<str>,
        /// Why it could not start.
        reason: ExitReason,
    },
    /// A child's actor ended: by itself, crashed, stopped for failed health checks, or stopped
    /// by the supervisor (`terminate_child`, a group restart, the supervisor's own end). Sent
    /// once the supervisor knows it ended and has decided whether to restart it, before any
    /// restart begins.
    Ended {
        /// The child's id.
        id: Arc<str>,
        /// The actor that ended.
        actor: ActorId,
        /// How it ended.
        reason: ExitReason,
        /// Whether the supervisor will start it again.
        restart: bool,
    },
    /// A restart that [`Ended`](Self::Ended) announced (`restart: true`) will not happen:
    /// `terminate_child` stopped the child while it waited for its backoff (T18), or the
    /// restart's start said "ignore" (an open supervisor's `init` returned `Init::Ignore`).
    RestartCancelled {
        /// The child's id.
        id: Arc<str>,
    },
    /// `delete_child` removed a stopped child's specification.
    Deleted {
        /// The child's id.
        id: Arc<str>,
    },
    /// The supervisor decided to end by itself: sent once all its children have stopped, as
    /// its last event, before its own end is announced.
    GaveUp {
        /// The child whose end decided it.
        id: Arc<str>,
        /// Why.
        reason: GiveUpReason,
    },
    /// This subscription fell too far behind (T23): the oldest `missed` events were lost, and
    /// the events after them follow.
    Lagged {
        /// How many events were lost.
        missed: u64,
    },
}

/// Why a supervisor ended by itself, as [`SupervisorEvent::GaveUp`] says.
///
/// ```
/// use airssys_rt::supervisor::GiveUpReason;
///
/// fn crashed(reason: &GiveUpReason) -> bool {
///     matches!(reason, GiveUpReason::Intensity { .. })
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// More than `max_restarts` restarts within `period` (T6): it escalates (T7).
    Intensity {
        /// The intensity's restarts.
        max_restarts: u32,
        /// The intensity's period.
        period: Duration,
    },
    /// A significant child ended for good, and its auto-shutdown says to end (T17).
    AutoShutdown(AutoShutdown),
}

/// A subscription to a supervisor's events, made by
/// [`SupervisorRef::events`](super::SupervisorRef::events); dropping it unsubscribes.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
/// let mut events = supervisor.events().await.unwrap();
/// system.shutdown().await;
/// assert_eq!(events.next().await, None, "ended with its supervisor");
/// # }
/// ```
#[derive(Debug)]
pub struct SupervisorEvents {
    receiver: broadcast::Receiver<SupervisorEvent>,
}

impl SupervisorEvents {
    /// The next event, waiting for it; `None` once the supervisor has ended and every event it
    /// sent before has been read (T24).
    ///
    /// ```
    /// # use airssys_rt::supervisor::{SupervisorEvent, SupervisorEvents};
    /// async fn next_restart(events: &mut SupervisorEvents, child: &str) -> Option<airssys_rt::ActorId> {
    ///     while let Some(event) = events.next().await {
    ///         if let SupervisorEvent::Restarted { id, actor, .. } = event {
    ///             if &*id == child {
    ///                 return Some(actor);
    ///             }
    ///         }
    ///     }
    ///     None
    /// }
    /// ```
    pub async fn next(&mut self) -> Option<SupervisorEvent> {
        match self.receiver.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                Some(SupervisorEvent::Lagged { missed })
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

/// The supervisor's side: no channel while nobody subscribes.
#[derive(Default)]
pub(super) struct EventHub {
    sender: Option<broadcast::Sender<SupervisorEvent>>,
}

impl EventHub {
    pub(super) fn subscribe(&mut self) -> SupervisorEvents {
        let sender = self.sender.get_or_insert_with(|| broadcast::channel(EVENT_BUFFER).0);
        SupervisorEvents { receiver: sender.subscribe() }
    }

    /// Whether anyone may read an event: only then is one made.
    pub(super) fn subscribed(&self) -> bool {
        self.sender.is_some()
    }

    /// Sends the event `make` makes, if anyone subscribes; the event is made only then, so
    /// that a supervisor without subscribers neither allocates nor locks for it.
    #[inline]
    pub(super) fn send(&mut self, make: impl FnOnce() -> SupervisorEvent) {
        if let Some(sender) = &self.sender {
            if sender.send(make()).is_err() {
                // The last subscription went: the channel (and its buffer) goes too.
                self.sender = None;
            }
        }
    }

    /// No event after this one: subscriptions end once they have read what was sent.
    pub(super) fn close(&mut self) {
        self.sender = None;
    }
}
