//! Links, monitors and exit signals: how an actor learns that another one ended.
//!
//! These are the two primitives that supervision is built from, with Erlang's semantics:
//!
//! * A **link** ([`Context::link`](crate::Context::link)) ties two actors together, both ways.
//!   When one of them ends, the other receives an **exit signal** carrying the reason. An actor
//!   that does not trap exits ends too, with the same reason, unless the reason is
//!   [`Normal`](crate::ExitReason::Normal); an actor that **traps exits**
//!   ([`Context::trap_exit`](crate::Context::trap_exit)) gets the signal in its
//!   [`on_exit`](crate::Actor::on_exit) hook instead and decides for itself. A
//!   [`kill`](crate::ActorRef::kill) cannot be trapped; the exit signal it then sends on to linked
//!   actors carries [`Killed`](crate::ExitReason::Killed), which can.
//! * A **monitor** ([`Context::monitor`](crate::Context::monitor)) is one-way: the watcher gets one
//!   [`DownNotice`] in its [`on_down`](crate::Actor::on_down) hook when the watched actor ends,
//!   whatever the reason, and is never ended by it.
//!
//! Linking to or monitoring an actor that has already ended delivers the signal at once, with
//! [`NoSuchActor`](crate::ExitReason::NoSuchActor). Exit signals and down notices travel on the
//! signal lane of the mailbox: a full mailbox never delays or loses them.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::signal::DownNotice;
//! use tokio::sync::mpsc;
//!
//! /// Watches one actor and reports its end.
//! struct Watcher {
//!     report: mpsc::UnboundedSender<ExitReason>,
//! }
//!
//! impl Actor for Watcher {
//!     type Msg = ActorRef<Worker>;
//!     type Reply = ();
//!     type Args = mpsc::UnboundedSender<ExitReason>;
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(report: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Watcher { report })
//!     }
//!
//!     async fn handle(&mut self, worker: ActorRef<Worker>, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
//!         ctx.monitor(&worker);
//!         Ok(())
//!     }
//!
//!     async fn on_down(&mut self, _: &mut Context<Self>, down: DownNotice) -> Result<(), Self::Error> {
//!         let _ = self.report.send(down.reason);
//!         Ok(())
//!     }
//! }
//!
//! struct Worker;
//!
//! impl Actor for Worker {
//!     type Msg = ();
//!     type Reply = ();
//!     type Args = ();
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Worker)
//!     }
//!
//!     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         panic!("worker crashed");
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let (report, mut reports) = mpsc::unbounded_channel();
//! let watcher = system.spawn::<Watcher>(report).await?;
//! let worker = system.spawn::<Worker>(()).await?;
//! watcher.ask(worker.clone()).await?; // the monitor is in place once this returns
//! worker.tell(()).await?;
//! assert_eq!(reports.recv().await, Some(ExitReason::panicked("worker crashed")));
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::kernel::actor::{ActorId, ErasedCell, ExitReason};
use crate::services::timer::IdleTimer;

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

/// Who an actor is linked to, who watches it, and whom it watches, with the rest of what few
/// actors have (end work, an idle timeout). Allocated on first use, so an actor that has none
/// of it carries one pointer.
#[derive(Default)]
pub(crate) struct Relations {
    /// By id: a supervisor is linked to every one of its children, so this may be large.
    pub(crate) links: HashMap<ActorId, Arc<dyn ErasedCell>>,
    /// Monitors on this actor: who is told when it ends.
    pub(crate) watchers: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    /// Monitors this actor holds on others, so that it can cancel them.
    pub(crate) watching: Vec<(MonitorRef, Arc<dyn ErasedCell>)>,
    /// What must be undone when the actor ends: group memberships, subscriptions, timers. By
    /// token: an actor may have many timers pending, each withdrawn on its own when it fires.
    pub(crate) on_end: HashMap<EndToken, OnEnd>,
    /// The idle timeout, if the actor set one (see [`crate::timer`]).
    pub(crate) idle: Option<IdleTimer>,
    /// A health probe waiting behind messages (see [`crate::monitoring::health`]).
    pub(crate) probe: Option<crate::telemetry::health::DeferredProbe>,
    /// Where the actor sits in its supervision tree, if a supervisor started it.
    pub(crate) supervision: Option<Supervision>,
}

/// A supervised actor's place in its tree, kept in its relations by the supervisor that
/// starts it, and read by its [crash report](crate::monitoring::crash).
#[derive(Clone, Debug)]
pub(crate) struct Supervision {
    /// The supervisor's path, a slash, and the child's id: `root/pool/worker-3`.
    pub(crate) path: Arc<str>,
    /// How many times the supervisor had started this child's specification before the
    /// start of this actor: 0 for the first actor of a specification.
    pub(crate) restarts: u32,
    /// Its supervisor is stopping it by a kill (`Shutdown::BrutalKill`): that kill is how
    /// this child stops, not a crash.
    pub(crate) kill_ordered: bool,
}

/// Work to run once when an actor ends, before its end is announced.
pub(crate) type OnEnd = Box<dyn FnOnce() + Send>;

/// Names one [`OnEnd`] entry, so that it can be withdrawn when what it undoes is undone
/// earlier (a `leave`, an `unsubscribe`, a timer that fired).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct EndToken(u64);

impl EndToken {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}
