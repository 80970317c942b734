//! What links and monitors deliver: exit signals and down notices, and the monitor's name.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{ActorId, ExitReason};

/// An exit signal from a linked actor, as a trapping actor's [`on_exit`](crate::Actor::on_exit)
/// hook receives it (Erlang's `{'EXIT', From, Reason}`).
///
/// ```
/// use airssys_rt::signal::ExitSignal;
/// fn describe(signal: &ExitSignal) -> String {
///     format!("{} ended: {}", signal.from, signal.reason)
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ExitSignal {
    /// The linked actor that ended.
    pub from: ActorId,
    /// Why it ended.
    pub reason: ExitReason,
}

impl ExitSignal {
    /// An exit signal from `from`, which ended with `reason`.
    ///
    /// ```
    /// # use airssys_rt::{ActorId, ExitReason, signal::ExitSignal};
    /// # fn make(from: ActorId) -> ExitSignal {
    /// ExitSignal::new(from, ExitReason::Normal)
    /// # }
    /// ```
    pub fn new(from: ActorId, reason: ExitReason) -> Self {
        Self { from, reason }
    }
}

/// The notice a monitor delivers when the watched actor ends (Erlang's `{'DOWN', ...}`).
///
/// ```
/// use airssys_rt::signal::DownNotice;
/// fn describe(down: &DownNotice) -> String {
///     format!("{} (watched by {}) ended: {}", down.actor, down.monitor, down.reason)
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DownNotice {
    /// The monitor that fired.
    pub monitor: MonitorRef,
    /// The actor that ended.
    pub actor: ActorId,
    /// Why it ended ([`NoSuchActor`](crate::ExitReason::NoSuchActor) if it had already ended when
    /// the monitor was set).
    pub reason: ExitReason,
}

impl DownNotice {
    /// The notice of `monitor`: `actor` ended with `reason`.
    ///
    /// ```
    /// # use airssys_rt::{ActorId, ExitReason, signal::{DownNotice, MonitorRef}};
    /// # fn make(monitor: MonitorRef, actor: ActorId) -> DownNotice {
    /// DownNotice::new(monitor, actor, ExitReason::Killed)
    /// # }
    /// ```
    pub fn new(monitor: MonitorRef, actor: ActorId, reason: ExitReason) -> Self {
        Self { monitor, actor, reason }
    }
}

/// Names one monitor, to tell its notice apart and to cancel it.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::signal::MonitorRef;
/// # fn watch<A: Actor, B: Actor>(ctx: &mut Context<A>, other: &ActorRef<B>) {
/// let monitor: MonitorRef = ctx.monitor(other);
/// ctx.demonitor(monitor);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonitorRef(u64);

impl MonitorRef {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ref<{}>", self.0)
    }
}
