//! Crash reports: what the runtime records about every actor that ended abnormally.
//!
//! When an actor ends with an abnormal [`ExitReason`] (anything but
//! [`Normal`](ExitReason::Normal) and [`Shutdown`](ExitReason::Shutdown)), the runtime writes a
//! [`CrashReport`], as OTP's `proc_lib` writes a crash report for a process that dies: which
//! actor it was (id, name, Rust type, and its **path** in the supervision tree), why it ended
//! (the reason, with the panic message if it panicked), how many times its supervisor had
//! restarted it before, and what it was doing: handling a message (of which type) or running
//! which hook.
//!
//! Each report is
//!
//! * emitted once as a `tracing` event with target `airssys_rt::crash` (level `ERROR`, or `WARN`
//!   for a kill), its fields named as in the table below, so that it reaches whatever log or
//!   collector the program already has, and
//! * kept in the system's bounded history,
//!   [`ActorSystem::crash_reports`](crate::ActorSystem::crash_reports): the latest
//!   [`crash_report_history`](crate::SystemBuilder::crash_report_history) reports (64 unless
//!   set), with a count of them all.
//!
//! Both happen before the end is announced: before [`wait_for_exit`](crate::ActorRef::wait_for_exit)
//! returns, before linked and monitoring actors are told, and so before a supervisor restarts
//! the actor.
//!
//! | event field | report | |
//! |---|---|---|
//! | `actor` | [`actor`](CrashReport::actor) | the id, as `<7>` |
//! | `name` | [`name`](CrashReport::name) | the registered name, if any |
//! | `actor_type` | [`actor_type`](CrashReport::actor_type) | `std::any::type_name` of the actor |
//! | `path` | [`path`](CrashReport::path) | `root/pool/worker-3` |
//! | `reason` | [`reason`](CrashReport::reason) | as displayed: `panicked: ...`, `failed: ...` |
//! | `panic` | [`panic_message`](CrashReport::panic_message) | only for a panic |
//! | `restarts` | [`restarts`](CrashReport::restarts) | only for a supervised actor |
//! | `activity` | [`activity`](CrashReport::activity) | as displayed: `handling a message of type ...` |
//! | `message_type` | [`Activity::message_type`] | only while handling a message |
//!
//! The **path** of an actor that no supervisor started is its name, or its id if it has none.
//! A supervised actor's path is its supervisor's path, a slash, and its child id: the names
//! (or ids) of the supervisors from the root down, then the child's own id.
//!
//! What is abnormal is OTP's rule: [`Killed`](ExitReason::Killed) is, and is reported (a kill
//! from [`ActorRef::kill`](crate::ActorRef::kill), after a shutdown timeout, or passed on by a
//! link), with one exception: a supervisor stopping a child whose shutdown is
//! [`BrutalKill`](crate::supervisor::Shutdown::BrutalKill), which is that child's ordinary way to
//! stop (OTP's supervisor does not report it either). A `pre_start` that fails is reported
//! only under a supervisor: anyone else who spawns gets the failure back as
//! [`SpawnError::StartFailed`](crate::system::SpawnError::StartFailed), as OTP's `init/1` failure
//! goes back to `start_link`'s caller.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::telemetry::crash::Activity;
//!
//! struct Worker;
//!
//! #[actor]
//! impl Actor for Worker {
//!     type Msg = &'static str;
//!     type Reply = ();
//!     type Args = ();
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Worker)
//!     }
//!
//!     async fn handle(&mut self, msg: &'static str, _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         if msg == "crash" {
//!             panic!("asked to crash");
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker::<Worker>("worker", ()));
//! let root = Supervisor::start_with(&system, SpawnOptions::new().name("root"), spec).await?;
//! let worker = root.child::<Worker>("worker").await?.expect("running");
//! let _ = worker.tell("crash").await;
//! worker.wait_for_exit().await;
//!
//! assert_eq!(system.crash_reports().count(), 1);
//! let report = &system.crash_reports().recent()[0];
//! assert_eq!(report.actor, worker.id());
//! assert_eq!(&*report.path, "root/worker");
//! assert_eq!(report.panic_message(), Some("asked to crash"));
//! assert_eq!(report.restarts, Some(0));
//! assert_eq!(report.activity, Activity::Handling { message_type: "&str" });
//! system.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The exact rules are chapter C of [`semantics`](crate::semantics).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::kernel::actor::{Actor, ActorCell, ActorId, ErasedCell, ExitReason, Supervision};
use crate::kernel::mailbox::Ending;

/// What an actor was doing when it ended abnormally: handling a message, or running a hook.
///
/// ```
/// use airssys_rt::telemetry::crash::Activity;
///
/// let handling = Activity::Handling { message_type: "my_app::Command" };
/// assert_eq!(handling.message_type(), Some("my_app::Command"));
/// assert_eq!(handling.to_string(), "handling a message of type my_app::Command");
/// assert_eq!(Activity::PostStop.hook(), Some("post_stop"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Activity {
    /// Running [`pre_start`](crate::Actor::pre_start): it never ran.
    PreStart,
    /// Running [`post_start`](crate::Actor::post_start), or about to: a kill that comes
    /// before `post_start` has run ends the actor there.
    PostStart,
    /// Handling a message of this type, or dropping the reply to it; or killed while
    /// handling it.
    Handling {
        /// `std::any::type_name` of the message's type.
        message_type: &'static str,
    },
    /// Running [`on_exit`](crate::Actor::on_exit).
    OnExit,
    /// Running [`on_down`](crate::Actor::on_down).
    OnDown,
    /// Running [`on_idle`](crate::Actor::on_idle).
    OnIdle,
    /// Running [`health_check`](crate::Actor::health_check), for its supervisor's probe.
    HealthCheck,
    /// Running [`post_stop`](crate::Actor::post_stop), whose failure replaced the reason it
    /// was ending with; or killed while running it.
    PostStop,
    /// Waiting for work: it was killed between messages.
    Waiting,
    /// Ended by an exit signal from a linked actor, as it does not trap exits; the reason is
    /// the linked actor's.
    LinkedExit,
    /// Stopped between messages with an abnormal reason
    /// ([`stop_with`](crate::Context::stop_with), or its supervisor passing on its parent's
    /// exit).
    Stopping,
    /// Its state panicked while being dropped, after `post_stop`.
    DroppingState,
    /// Its task was dropped before it could end (its Tokio runtime shut down, or the
    /// `spawn` awaiting its `pre_start` was cancelled): a kill.
    TaskDropped,
}

impl Activity {
    /// The type of the message being handled, if it was handling one.
    ///
    /// ```
    /// use airssys_rt::telemetry::crash::Activity;
    /// assert_eq!(Activity::OnIdle.message_type(), None);
    /// ```
    pub fn message_type(&self) -> Option<&'static str> {
        match self {
            Self::Handling { message_type } => Some(message_type),
            _ => None,
        }
    }

    /// The name of the hook it was running, if it was running one.
    ///
    /// ```
    /// use airssys_rt::telemetry::crash::Activity;
    /// assert_eq!(Activity::PreStart.hook(), Some("pre_start"));
    /// assert_eq!(Activity::Waiting.hook(), None);
    /// ```
    pub fn hook(&self) -> Option<&'static str> {
        Some(match self {
            Self::PreStart => "pre_start",
            Self::PostStart => "post_start",
            Self::OnExit => "on_exit",
            Self::OnDown => "on_down",
            Self::OnIdle => "on_idle",
            Self::HealthCheck => "health_check",
            Self::PostStop => "post_stop",
            _ => return None,
        })
    }
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PreStart
            | Self::PostStart
            | Self::OnExit
            | Self::OnDown
            | Self::OnIdle
            | Self::HealthCheck
            | Self::PostStop => write!(f, "in {}", self.hook().unwrap_or_default()),
            Self::Handling { message_type } => {
                write!(f, "handling a message of type {message_type}")
            }
            Self::Waiting => f.write_str("waiting for work"),
            Self::LinkedExit => f.write_str("ended by a linked actor's exit"),
            Self::Stopping => f.write_str("stopping"),
            Self::DroppingState => f.write_str("dropping its state"),
            Self::TaskDropped => f.write_str("its task was dropped"),
        }
    }
}

/// The record of one abnormal exit.
///
/// See the [module documentation](self) for when one is written.
///
/// ```
/// use airssys_rt::telemetry::crash::CrashReport;
///
/// fn alert(report: &CrashReport) -> String {
///     match report.restarts {
///         Some(restarts) => format!("{} crashed after {restarts} restarts: {}", report.path, report.reason),
///         None => format!("{} crashed: {}", report.path, report.reason),
///     }
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CrashReport {
    /// The actor that ended.
    pub actor: ActorId,
    /// Its registered name, if it had one.
    pub name: Option<Arc<str>>,
    /// Its Rust type (`std::any::type_name`).
    pub actor_type: &'static str,
    /// Its path in the supervision tree: `root/pool/worker-3` (the supervisors' names or
    /// child ids from the root down, then its own child id); for an actor no supervisor
    /// started, its name, or its id.
    pub path: Arc<str>,
    /// Why it ended.
    pub reason: ExitReason,
    /// For a supervised actor, how many times its supervisor had started its child
    /// specification before starting this actor (restarts by the strategy, failed ones
    /// included, and `restart_child` calls): 0 for the first. `None` for an actor no
    /// supervisor started.
    pub restarts: Option<u32>,
    /// What it was doing.
    pub activity: Activity,
    /// When it ended (wall-clock, UTC).
    pub at: DateTime<Utc>,
}

impl CrashReport {
    /// The panic message, if it panicked.
    ///
    /// ```
    /// # use airssys_rt::telemetry::crash::CrashReport;
    /// fn panicked(report: &CrashReport) -> bool {
    ///     report.panic_message().is_some()
    /// }
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        self.reason.panic_message()
    }
}

impl fmt::Display for CrashReport {
    /// One line: `<7> root/pool/worker-3 (my_app::Worker) crashed handling a message of type
    /// my_app::Job: panicked: boom (restarts: 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({}) crashed {}: {}",
            self.actor, self.path, self.actor_type, self.activity, self.reason
        )?;
        if let Some(restarts) = self.restarts {
            write!(f, " (restarts: {restarts})")?;
        }
        Ok(())
    }
}

/// The system's crash reports: a count and the latest reports.
///
/// Reach it with [`ActorSystem::crash_reports`](crate::ActorSystem::crash_reports); its size is set by
/// [`SystemBuilder::crash_report_history`](crate::SystemBuilder::crash_report_history).
///
/// ```
/// let system = airssys_rt::ActorSystem::new();
/// assert_eq!(system.crash_reports().count(), 0);
/// assert!(system.crash_reports().recent().is_empty());
/// ```
pub struct CrashReports {
    count: AtomicU64,
    history: Mutex<VecDeque<CrashReport>>,
    history_size: usize,
}

impl CrashReports {
    pub(crate) fn new(history_size: usize) -> Self {
        Self { count: AtomicU64::new(0), history: Mutex::new(VecDeque::new()), history_size }
    }

    fn record(&self, report: CrashReport) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if self.history_size == 0 {
            return;
        }
        let mut history = self.history.lock();
        if history.len() == self.history_size {
            history.pop_front();
        }
        history.push_back(report);
    }

    /// How many crash reports there have been since the system started, including those
    /// the history no longer holds.
    ///
    /// ```
    /// assert_eq!(airssys_rt::ActorSystem::new().crash_reports().count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The latest crash reports, oldest first; at most the configured history size.
    ///
    /// ```
    /// assert!(airssys_rt::ActorSystem::new().crash_reports().recent().is_empty());
    /// ```
    pub fn recent(&self) -> Vec<CrashReport> {
        self.history.lock().iter().cloned().collect()
    }
}

impl fmt::Debug for CrashReports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrashReports").field("count", &self.count()).finish_non_exhaustive()
    }
}

/// What the actor's task was doing when it ended (with the name of the message type it was
/// handling), made into an [`Activity`] only if the end is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Doing {
    PreStart,
    PostStart,
    Handling(&'static str),
    OnExit,
    OnDown,
    OnIdle,
    HealthCheck,
    PostStop,
    Waiting,
    LinkedExit,
    Stopping,
    DroppingState,
    TaskDropped,
}

impl Doing {
    fn activity(self) -> Activity {
        match self {
            Self::PreStart => Activity::PreStart,
            Self::PostStart => Activity::PostStart,
            Self::Handling(message_type) => Activity::Handling { message_type },
            Self::OnExit => Activity::OnExit,
            Self::OnDown => Activity::OnDown,
            Self::OnIdle => Activity::OnIdle,
            Self::HealthCheck => Activity::HealthCheck,
            Self::PostStop => Activity::PostStop,
            Self::Waiting => Activity::Waiting,
            Self::LinkedExit => Activity::LinkedExit,
            Self::Stopping => Activity::Stopping,
            Self::DroppingState => Activity::DroppingState,
            Self::TaskDropped => Activity::TaskDropped,
        }
    }
}

/// Whether the actor was killed by its supervisor as its way to stop it (`BrutalKill`, C2): an
/// ordered end, neither reported nor counted as a crash (X2).
pub(crate) fn is_ordered_kill(ending: &Ending, reason: &ExitReason) -> bool {
    *reason == ExitReason::Killed
        && ending
            .attachments
            .as_ref()
            .and_then(|attachments| attachments.supervision.as_ref())
            .is_some_and(|held| held.kill_ordered)
}

/// Logs an ending actor's end, and writes its crash report if the end is abnormal. Called
/// once per actor, after its relations are handed over and before anyone is told.
pub(crate) fn report_end<A: Actor>(
    cell: &ActorCell<A>,
    ending: &Ending,
    reason: &ExitReason,
    doing: Doing,
) {
    let name = ending.name.as_deref();
    let supervision =
        ending.attachments.as_ref().and_then(|attachments| attachments.supervision.as_ref());
    if reason.is_normal() {
        tracing::debug!(actor = %cell.id, name, %reason, "actor stopped");
        return;
    }
    if is_ordered_kill(ending, reason) {
        tracing::debug!(actor = %cell.id, name, "actor killed by its supervisor's shutdown");
        return;
    }
    if doing == Doing::PreStart && supervision.is_none() {
        // The spawner has the reason in its `SpawnError::StartFailed`.
        tracing::debug!(actor = %cell.id, name, %reason, "actor failed to start");
        return;
    }
    let path = match (supervision, &ending.name) {
        (Some(supervision), _) => Arc::clone(&supervision.path),
        (None, Some(name)) => Arc::clone(name),
        (None, None) => Arc::from(cell.id.to_string()),
    };
    let report = CrashReport {
        actor: cell.id,
        name: ending.name.clone(),
        actor_type: std::any::type_name::<A>(),
        path,
        reason: reason.clone(),
        restarts: supervision.map(|held| held.restarts),
        activity: doing.activity(),
        at: Utc::now(),
    };
    // The subscriber is user code: should it panic, the report is still kept.
    crate::kernel::actor::trace_guarded(|| emit(&report));
    cell.system.crash_reports().record(report);
}

fn emit(report: &CrashReport) {
    macro_rules! event {
        ($level:ident) => {
            tracing::$level!(
                target: "airssys_rt::crash",
                actor = %report.actor,
                name = report.name.as_deref(),
                actor_type = report.actor_type,
                path = &*report.path,
                reason = %report.reason,
                panic = report.panic_message(),
                restarts = report.restarts,
                activity = %report.activity,
                message_type = report.activity.message_type(),
                "crash report"
            )
        };
    }
    if report.reason == ExitReason::Killed {
        event!(warn);
    } else {
        event!(error);
    }
}

/// The path of an actor as the parent of children: its place in its tree, or, for a root,
/// its name or id.
pub(crate) fn path_of<A: Actor>(cell: &ActorCell<A>) -> Arc<str> {
    if let Some(supervision) = cell.mailbox.supervision() {
        return supervision.path;
    }
    cell.mailbox.name().unwrap_or_else(|| Arc::from(cell.id.to_string()))
}

/// A supervisor's offer of a place in its tree, made while its start function for a child
/// runs, to the first actor that function spawns (the child, for every start function the
/// crate makes). The child takes it before `pre_start`, so that a failed start is reported
/// with its path, and a supervisor child starts its own children under the right path.
struct Offer {
    supervision: Option<Supervision>,
    taker: Option<Arc<dyn ErasedCell>>,
}

impl Drop for Offer {
    /// Still taken here, the offer goes with a start cut short (its supervisor was killed,
    /// or its own start dropped) after the child had taken its place: the start function
    /// never handed the child over, so its supervisor never linked to it. It is killed, as a
    /// child cut short in its own `pre_start` is, rather than left running on its own (T19).
    fn drop(&mut self) {
        if let Some(taker) = self.taker.take() {
            taker.kill();
        }
    }
}

tokio::task_local! {
    static OFFER: RefCell<Offer>;
}

/// Runs a supervisor's start function for a child, offering the child its place in the tree;
/// then gives that place to the child the function returned (`child_of` names it), and takes
/// it from another actor that took the offer first.
pub(crate) async fn start_in_tree_with<F, C>(
    supervision: Supervision,
    starting: F,
    child_of: C,
) -> F::Output
where
    F: Future,
    C: FnOnce(&F::Output) -> Option<Arc<dyn ErasedCell>>,
{
    let offer = RefCell::new(Offer { supervision: Some(supervision.clone()), taker: None });
    let (started, taker) = OFFER
        .scope(offer, async move {
            let started = starting.await;
            let taker = OFFER.with(|offer| offer.borrow_mut().taker.take());
            (started, taker)
        })
        .await;
    let child = child_of(&started);
    if let Some(taker) =
        taker.filter(|taker| child.as_ref().is_none_or(|child| child.id() != taker.id()))
    {
        taker.set_supervision(None);
    }
    if let Some(child) = child {
        child.set_supervision(Some(supervision));
    }
    started
}

/// Runs `future` with no place offered: an actor it spawns takes none, even inside a start
/// function of a supervisor (see [`start_in_tree_with`]).
pub(crate) async fn outside_tree_with<F: Future>(future: F) -> F::Output {
    OFFER.scope(RefCell::new(Offer { supervision: None, taker: None }), future).await
}

/// Takes the supervisor's offer, if a start function of a supervisor is spawning this actor
/// and no other actor took it first.
pub(crate) fn accept_supervision<A: Actor>(cell: &Arc<ActorCell<A>>) {
    let offered = OFFER.try_with(|offer| {
        let mut offer = offer.borrow_mut();
        let supervision = offer.supervision.take()?;
        let taker: Arc<dyn ErasedCell> = Arc::clone(cell) as Arc<dyn ErasedCell>;
        offer.taker = Some(taker);
        Some(supervision)
    });
    if let Ok(Some(supervision)) = offered {
        cell.mailbox.update_supervision(|held| *held = Some(supervision));
    }
}
