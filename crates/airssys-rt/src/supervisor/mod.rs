//! Supervisors: actors that start, watch and restart other actors, with OTP's semantics.
//!
//! A [`Supervisor`] is an actor. It starts its children from their [`ChildSpec`]s, in order,
//! links to each and traps exits, so that it hears of every child's end. What it does then is
//! its [`Strategy`] and the child's [`Restart`] type:
//!
//! * [`Restart::Permanent`] children are always restarted, [`Restart::Transient`] ones only after
//!   an abnormal end, [`Restart::Temporary`] ones never (their specification goes with them);
//! * [`Strategy::OneForOne`] restarts just that child; [`Strategy::OneForAll`] stops all the
//!   other children (in reverse start order) and starts them all again (in start order);
//!   [`Strategy::RestForOne`] does the same for the children started after it.
//!
//! A supervisor gives up when restarts come too fast: more than
//! [`max_restarts`](SupervisorSpec::intensity) within its `period` (OTP's default: 1 in 5 s).
//! It then stops all its children and ends with [`ExitReason::Shutdown`]; its own supervisor
//! sees that end and applies its strategy in turn: failures escalate up the tree. A restart
//! whose start fails counts as a restart too.
//!
//! Children stop in reverse start order, each as its [`Shutdown`] says, when the supervisor
//! ends; a supervisor's children are stopped by it, not by a system shutdown directly (children
//! before parents).
//!
//! A tree may be any depth: a child supervisor ([`ChildKind::Supervisor`]) is started from a
//! task of its own, which its parent waits for (and abandons, ending the child as killed, if the
//! parent is killed meanwhile), so a level costs a task rather than stack; health reports and
//! inspection walk the tree in loops.
//!
//! Beyond the static children of its specification, a supervisor offers:
//!
//! * [`Strategy::SimpleOneForOne`]: dynamic children of one kind, made at run time from a
//!   [`ChildTemplate`] by [`SupervisorRef::start_dynamic`];
//! * significant children ([`ChildSpec::significant`]) and [`AutoShutdown`]: a supervisor that
//!   ends when its significant children have done their work;
//! * a restart [`Backoff`] per child (beyond OTP): exponential, capped, with jitter, so that a
//!   crash-looping dependency does not spin the CPU;
//! * administration: [`start_child`](SupervisorRef::start_child),
//!   [`terminate_child`](SupervisorRef::terminate_child),
//!   [`restart_child`](SupervisorRef::restart_child),
//!   [`delete_child`](SupervisorRef::delete_child),
//!   [`which_children`](SupervisorRef::which_children),
//!   [`count_children`](SupervisorRef::count_children).
//!
//! Every restart, give-up and escalation is logged through `tracing` with the supervisor, the
//! child id, the reason and the restart count. A child's abnormal end, a failed start included,
//! also leaves a [crash report](crate::monitoring::crash) with the child's path in the tree
//! (`root/pool/worker-3`) and how many times it had been restarted.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
//!
//! struct Worker;
//!
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
//! let supervisor = Supervisor::start(&system, spec).await?;
//!
//! let first = supervisor.child::<Worker>("worker").await?.expect("running");
//! let _ = first.tell("crash").await;
//! first.wait_for_exit().await;
//!
//! // Restarted: a new actor, from the same specification.
//! let second = loop {
//!     match supervisor.child::<Worker>("worker").await? {
//!         Some(worker) if worker.id() != first.id() => break worker,
//!         _ => tokio::task::yield_now().await,
//!     }
//! };
//! assert!(second.is_alive());
//! system.shutdown().await;
//! # Ok(()) }
//! ```

mod spec;

use std::any::Any;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::FutureExt;
use tokio::time::Instant;
use tracing::Instrument;

pub use spec::{
    Backoff, Child, ChildKind, ChildSpec, ChildTemplate, Restart, Shutdown, StartResult,
};

use crate::actor::{probe_loop, Supervision};
use crate::actor::{Actor, ActorId, ActorRef, Context, ErasedCell, ExitReason};
use crate::mailbox::MailboxConfig;
use crate::message::AskError;
use crate::monitoring::crash;
use crate::signal::ExitSignal;
use crate::system::{ActorSystem, SpawnError, SpawnOptions};
use crate::vocabulary::{
    CheckOutcome, CheckRecord, FallenRoots, HealthCheck, HealthIssue, HealthReport, HealthStatus,
};

/// Which children a supervisor restarts when one of them ends and must be restarted.
///
/// ```
/// use airssys_rt::supervisor::Strategy;
/// let strategy = Strategy::RestForOne;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Only the child that ended.
    OneForOne,
    /// All children: the others are stopped first, in reverse start order.
    OneForAll,
    /// The child that ended and those started after it.
    RestForOne,
    /// Dynamic children of one kind, made at run time from the supervisor's
    /// [`ChildTemplate`] by [`SupervisorRef::start_dynamic`]; restarted one for one.
    SimpleOneForOne,
}

/// When a supervisor ends by itself because of its significant children
/// ([`ChildSpec::significant`]), as OTP's `auto_shutdown`.
///
/// ```
/// use airssys_rt::supervisor::AutoShutdown;
/// assert_eq!(AutoShutdown::default(), AutoShutdown::Never);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AutoShutdown {
    /// Never: significant children are ordinary children.
    #[default]
    Never,
    /// When any significant child ends by itself without being restarted.
    AnySignificant,
    /// When every significant child has ended by itself without being restarted.
    AllSignificant,
}

/// A supervisor's configuration: strategy, restart intensity, children.
///
/// ```
/// use std::time::Duration;
/// use airssys_rt::supervisor::{Strategy, SupervisorSpec};
/// let spec = SupervisorSpec::new(Strategy::OneForAll).intensity(3, Duration::from_secs(10));
/// assert_eq!(spec.max_restarts(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct SupervisorSpec {
    strategy: Strategy,
    max_restarts: u32,
    period: Duration,
    children: Vec<ChildSpec>,
    auto_shutdown: AutoShutdown,
    template: Option<ChildTemplate>,
}

impl SupervisorSpec {
    /// A supervisor with this strategy, OTP's default intensity (1 restart in 5 s) and no
    /// children yet.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Strategy, SupervisorSpec};
    /// let spec = SupervisorSpec::new(Strategy::OneForOne);
    /// assert_eq!((spec.max_restarts(), spec.period().as_secs()), (1, 5));
    /// ```
    pub fn new(strategy: Strategy) -> Self {
        Self {
            strategy,
            max_restarts: 1,
            period: Duration::from_secs(5),
            children: Vec::new(),
            auto_shutdown: AutoShutdown::Never,
            template: None,
        }
    }

    /// At most `max_restarts` restarts within any `period`; one more and the supervisor gives
    /// up.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Strategy, SupervisorSpec};
    /// let spec = SupervisorSpec::new(Strategy::OneForOne).intensity(0, std::time::Duration::from_secs(1));
    /// ```
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.period = period;
        self
    }

    /// Adds a child, started after those added before it.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildSpec, Strategy, SupervisorSpec};
    /// let spec = SupervisorSpec::new(Strategy::OneForOne)
    ///     .child(ChildSpec::supervisor("inner", SupervisorSpec::new(Strategy::OneForAll)));
    /// ```
    pub fn child(mut self, child: ChildSpec) -> Self {
        self.children.push(child);
        self
    }

    /// Sets when the supervisor ends because its significant children did.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{AutoShutdown, Strategy, SupervisorSpec};
    /// let spec = SupervisorSpec::new(Strategy::OneForOne).auto_shutdown(AutoShutdown::AllSignificant);
    /// ```
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// The template of a [`Strategy::SimpleOneForOne`] supervisor's dynamic children.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{ChildTemplate, Strategy, SupervisorSpec};
    /// # fn spec<A: Actor<Args = u32>>() -> SupervisorSpec {
    /// SupervisorSpec::new(Strategy::SimpleOneForOne).template(ChildTemplate::worker::<A>())
    /// # }
    /// ```
    pub fn template(mut self, template: ChildTemplate) -> Self {
        self.template = Some(template);
        self
    }

    /// The strategy.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Strategy, SupervisorSpec};
    /// assert_eq!(SupervisorSpec::new(Strategy::OneForAll).strategy(), Strategy::OneForAll);
    /// ```
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The most restarts within a period.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Strategy, SupervisorSpec};
    /// assert_eq!(SupervisorSpec::new(Strategy::OneForAll).max_restarts(), 1);
    /// ```
    pub fn max_restarts(&self) -> u32 {
        self.max_restarts
    }

    /// The period over which restarts are counted.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Strategy, SupervisorSpec};
    /// assert_eq!(SupervisorSpec::new(Strategy::OneForAll).period().as_secs(), 5);
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl Drop for SupervisorSpec {
    /// Lets go of the specifications nested in this one one after another, not one inside
    /// the other: a tree may be any depth (T19).
    fn drop(&mut self) {
        let mut children = std::mem::take(&mut self.children);
        while let Some(child) = children.pop() {
            let ChildSpec { start, subtree, .. } = child;
            // The start function holds the subtree too: once it is gone, this may be the
            // last hold, and the subtree's children are taken before it goes.
            drop(start);
            if let Some(mut subtree) = subtree {
                if let Some(spec) = Arc::get_mut(&mut subtree) {
                    children.append(&mut spec.children);
                }
            }
        }
    }
}

/// Why a supervisor request failed.
///
/// ```
/// use airssys_rt::supervisor::SupervisorError;
/// let error = SupervisorError::NotFound("db".into());
/// assert_eq!(error.to_string(), "no child with id \"db\"");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// A child could not be started; at the supervisor's own start this fails the start.
    #[error("child {id:?} failed to start: {}", StartFailure(.reason))]
    StartFailed {
        /// The child's id.
        id: Arc<str>,
        /// What its start function returned.
        reason: SpawnError,
    },
    /// `start_child` with the id of a running child.
    #[error("child {id:?} is already started as {actor}")]
    AlreadyStarted {
        /// The child's id.
        id: Arc<str>,
        /// The running actor.
        actor: ActorId,
    },
    /// `start_child` with the id of a child that is present but not running.
    #[error("child {0:?} is already present")]
    AlreadyPresent(Arc<str>),
    /// No child has this id.
    #[error("no child with id {0:?}")]
    NotFound(Arc<str>),
    /// The child is running (`restart_child`, `delete_child`).
    #[error("child {0:?} is running")]
    Running(Arc<str>),
    /// The child's restart failed and is to be tried again (`restart_child`, `delete_child`).
    #[error("child {0:?} is restarting")]
    Restarting(Arc<str>),
    /// The supervisor did not answer: it has ended, or is ending.
    #[error("the supervisor is not running")]
    NotRunning,
    /// The specification cannot be used: the reason says why.
    #[error("invalid supervisor specification: {0}")]
    InvalidSpec(&'static str),
    /// A child id that is not a valid name (T20): it is a segment of the child's crash-report
    /// path (`root/pool/worker-3`).
    #[error("invalid child id {id:?}: {problem}")]
    InvalidChildId {
        /// The id refused.
        id: Arc<str>,
        /// What is wrong with it.
        problem: crate::registry::NameProblem,
    },
    /// Two children of one specification have this id (OTP's `duplicate_child_name`).
    #[error("two children have the child id {0:?}")]
    DuplicateChildId(Arc<str>),
    /// `start_dynamic` with arguments of another type than the template's.
    #[error("the template takes arguments of type {expected}")]
    WrongArgs {
        /// The argument type the template takes.
        expected: &'static str,
    },
    /// The supervisor was called from its own task (a child's start function): it cannot
    /// answer while it runs that function, so the call is refused at once.
    #[error("a supervisor cannot be called from its own task")]
    CallingSelf,
}

/// Why a child failed to start, as `SpawnError`'s own text says, but with the failures of the
/// child supervisors nested in it written one after another rather than each inside the one
/// above: the failed start of a tree of any depth is written without running out of stack.
struct StartFailure<'a>(&'a SpawnError);

impl fmt::Display for StartFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut reason = self.0;
        loop {
            let nested = match reason {
                SpawnError::StartFailed(ExitReason::Failed(error)) => {
                    error.downcast_ref::<SupervisorError>()
                }
                _ => None,
            };
            let Some(SupervisorError::StartFailed { id, reason: below }) = nested else {
                return write!(f, "{reason}");
            };
            // The words of `SpawnError::StartFailed`, `ExitReason::Failed` and this error's.
            write!(f, "the actor failed to start: failed: child {id:?} failed to start: ")?;
            reason = below;
        }
    }
}

/// A child as [`SupervisorRef::which_children`] reports it.
///
/// ```
/// # use airssys_rt::supervisor::{ChildInfo, ChildStatus};
/// fn running(children: &[ChildInfo]) -> usize {
///     children.iter().filter(|c| c.status == ChildStatus::Running).count()
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildInfo {
    /// Its id.
    pub id: Arc<str>,
    /// The running actor, if any.
    pub actor: Option<ActorId>,
    /// Running, restarting or stopped.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub kind: ChildKind,
}

/// Whether a child has a running actor.
///
/// ```
/// use airssys_rt::supervisor::ChildStatus;
/// assert_ne!(ChildStatus::Running, ChildStatus::Stopped);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildStatus {
    /// It has a running actor.
    Running,
    /// Its restart failed and will be tried again.
    Restarting,
    /// It has none: terminated, ignored at start, or ended without a restart.
    Stopped,
}

/// The counts [`SupervisorRef::count_children`] reports.
///
/// ```
/// # use airssys_rt::supervisor::ChildCount;
/// fn idle(count: &ChildCount) -> usize { count.specs - count.active }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildCount {
    /// Child specifications.
    pub specs: usize,
    /// Children with a running actor.
    pub active: usize,
    /// Specifications of supervisors.
    pub supervisors: usize,
    /// Specifications of workers.
    pub workers: usize,
}

/// A request to a supervisor; made by [`SupervisorRef`]'s methods.
pub struct SupervisorMsg(Request);

enum Request {
    StartChild(ChildSpec),
    Terminate(Arc<str>),
    Restart(Arc<str>),
    Delete(Arc<str>),
    Which,
    Count,
    Child(Arc<str>),
    StartDynamic(Box<dyn std::any::Any + Send>),
    /// Start the children still waiting for this restart.
    Retry(u64),
    /// A health probe of this child came to this.
    Checked(ActorId, CheckOutcome),
    Health,
}

/// A supervisor's answer; read by [`SupervisorRef`]'s methods.
pub struct SupervisorReply(Response);

enum Response {
    Started(Option<ActorId>),
    StartedDynamic(ChildInfo),
    Done,
    Children(Vec<ChildInfo>),
    Count(ChildCount),
    Child(Option<Arc<dyn ErasedCell>>),
    /// This supervisor's node, with its child supervisors' nodes still to be asked for.
    Health(HealthReport, Vec<(usize, SupervisorRef)>),
    Failed(SupervisorError),
}

struct Slot {
    spec: ChildSpec,
    running: Option<Child>,
    /// The pending restart this child waits for, if any: a generation, so that a restart
    /// cancelled by an administration call, or superseded, never starts it.
    restarting: Option<u64>,
    /// Restarts in a row without a quiet period, for the backoff.
    restarts_in_a_row: u32,
    started_at: Option<Instant>,
    /// Attempts to start this specification so far: the restart count of the next start's
    /// crash reports.
    starts: u32,
    /// The running child's health checks, if its specification asks for them.
    checks: CheckRecord,
    prober: Option<Prober>,
}

/// The task probing one child; aborted when dropped.
struct Prober(tokio::task::AbortHandle);

impl Drop for Prober {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Slot {
    fn new(spec: ChildSpec) -> Self {
        Slot {
            spec,
            running: None,
            restarting: None,
            restarts_in_a_row: 0,
            started_at: None,
            starts: 0,
            checks: CheckRecord::default(),
            prober: None,
        }
    }

    /// The backoff delay before this child's next restart, if it has a backoff.
    fn backoff_delay(&mut self) -> Option<Duration> {
        let backoff = self.spec.backoff?;
        let quiet = self.started_at.is_some_and(|at| at.elapsed() >= backoff.resets_after());
        self.restarts_in_a_row = if quiet { 1 } else { self.restarts_in_a_row.saturating_add(1) };
        Some(backoff.jittered(self.restarts_in_a_row)).filter(|delay| !delay.is_zero())
    }
}

impl Slot {
    fn actor(&self) -> Option<ActorId> {
        self.running.as_ref().map(|child| child.cell.id())
    }
}

/// The supervisor actor. Start one with [`Supervisor::start`], or as a child with
/// [`ChildSpec::supervisor`]; talk to it through a [`SupervisorRef`].
pub struct Supervisor {
    strategy: Strategy,
    max_restarts: u32,
    period: Duration,
    children: Vec<Slot>,
    restarts: VecDeque<Instant>,
    auto_shutdown: AutoShutdown,
    template: Option<ChildTemplate>,
    dynamic_started: u64,
    restart_generations: u64,
    /// Pending delayed restarts by generation; aborted when no child waits for them any more,
    /// and when the supervisor ends.
    timers: HashMap<u64, tokio::task::AbortHandle>,
}

impl Supervisor {
    /// Spawns a supervisor and starts its children; fails, with every child it started
    /// stopped again, if one of them fails to start.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    /// assert_eq!(supervisor.count_children().await.unwrap().specs, 0);
    /// # }
    /// ```
    pub async fn start(
        system: &ActorSystem,
        spec: SupervisorSpec,
    ) -> Result<SupervisorRef, SpawnError> {
        Self::start_with(system, SpawnOptions::new(), spec).await
    }

    /// [`start`](Self::start) with spawn options (a name). A supervisor's mailbox is always
    /// unbounded, whatever the options say.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let options = SpawnOptions::new().name("root");
    /// let root = Supervisor::start_with(&system, options, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    /// assert_eq!(root.actor().name().as_deref(), Some("root"));
    /// # }
    /// ```
    pub async fn start_with(
        system: &ActorSystem,
        options: SpawnOptions,
        spec: SupervisorSpec,
    ) -> Result<SupervisorRef, SpawnError> {
        // Always unbounded, and outside the message budget: a supervisor must never refuse the
        // retries and requests that keep its tree alive.
        let options = options.mailbox(MailboxConfig::unbounded().outside_budget());
        let actor = system.spawn_with::<Supervisor>(options, spec).await?;
        Ok(SupervisorRef { actor })
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|slot| &*slot.spec.id == id)
    }

    /// The child with this id, if it neither runs nor waits for a restart (what
    /// `restart_child` and `delete_child` act on).
    fn stopped_child(&self, id: Arc<str>) -> Result<usize, SupervisorError> {
        let Some(index) = self.position(&id) else {
            return Err(SupervisorError::NotFound(id));
        };
        let slot = &self.children[index];
        if slot.running.is_some() {
            return Err(SupervisorError::Running(id));
        }
        if slot.restarting.is_some() {
            return Err(SupervisorError::Restarting(id));
        }
        Ok(index)
    }

    /// Records a restart; `false` if that is one too many for the intensity.
    fn count_restart(&mut self) -> bool {
        let now = Instant::now();
        self.restarts.push_back(now);
        while self.restarts.front().is_some_and(|at| now.duration_since(*at) > self.period) {
            self.restarts.pop_front();
        }
        self.restarts.len() <= self.max_restarts as usize
    }

    /// Starts one child; its actor, or `None` if its start said "ignore".
    async fn start_slot(
        &mut self,
        ctx: &mut Context<Self>,
        index: usize,
    ) -> Result<Option<ActorId>, SpawnError> {
        let Some(slot) = self.children.get_mut(index) else {
            return Ok(None);
        };
        let supervision = Supervision {
            path: Arc::from(format!("{}/{}", crash::path_of(ctx.cell()), slot.spec.id)),
            restarts: slot.starts,
            kill_ordered: false,
        };
        slot.starts = slot.starts.saturating_add(1);
        // The start function is user code: its panic is a failed start, not the supervisor's.
        let start = &slot.spec.start;
        let system = ctx.system().clone();
        let started = match catch_unwind(AssertUnwindSafe(|| start(system))) {
            Ok(starting) => {
                let starting =
                    crash::start_in_tree(supervision, AssertUnwindSafe(starting).catch_unwind());
                // A child supervisor starts its own children before its start returns: polled
                // here, every level of a tree would add its frames to this task's stack (T19).
                let started = match slot.spec.kind {
                    ChildKind::Supervisor => start_apart(ctx.id(), starting).await,
                    ChildKind::Worker => starting.await,
                };
                match started {
                    Ok(started) => started?,
                    Err(panic) => {
                        return Err(SpawnError::StartFailed(ExitReason::from_panic(panic)))
                    }
                }
            }
            Err(panic) => return Err(SpawnError::StartFailed(ExitReason::from_panic(panic))),
        };
        slot.restarting = None;
        slot.started_at = Some(Instant::now());
        slot.checks = CheckRecord::default();
        slot.prober = None;
        if let Some(child) = started {
            child.cell.set_parent(ctx.id());
            ctx.link_erased(Arc::clone(&child.cell));
            let actor = child.cell.id();
            if let Some(check) = slot.spec.health {
                slot.prober = Some(start_prober(ctx, &child, check));
            }
            slot.running = Some(child);
            return Ok(Some(actor));
        }
        Ok(None)
    }

    async fn terminate_slot(&mut self, ctx: &mut Context<Self>, index: usize) {
        let Some(slot) = self.children.get_mut(index) else {
            return;
        };
        // Probing ends with the child's stop (H2), not when the slot is next started or dropped.
        slot.prober = None;
        let Some(child) = slot.running.take() else {
            return;
        };
        let shutdown = slot.spec.shutdown;
        terminate(ctx, &child, shutdown).await;
    }

    /// Stops every running child, the last started first.
    async fn terminate_all(&mut self, ctx: &mut Context<Self>) {
        self.terminate_from(ctx, 0).await;
    }

    /// Stops the running children at `first` and after, the last started first. A run of
    /// `BrutalKill` children next to each other is killed in that order and then waited for
    /// together: nothing of theirs runs after a kill, so only the waiting is shared.
    async fn terminate_from(&mut self, ctx: &mut Context<Self>, first: usize) {
        let mut killed: Vec<Child> = Vec::new();
        for index in (first..self.children.len()).rev() {
            let slot = &mut self.children[index];
            if slot.spec.shutdown == Shutdown::BrutalKill {
                slot.prober = None;
                if let Some(child) = slot.running.take() {
                    ctx.unlink_erased(&*child.cell);
                    child.cell.kill_as_shutdown();
                    killed.push(child);
                }
                continue;
            }
            for child in killed.drain(..) {
                child.cell.exit().await;
            }
            self.terminate_slot(ctx, index).await;
        }
        for child in killed {
            child.cell.exit().await;
        }
    }

    async fn child_ended(&mut self, ctx: &mut Context<Self>, index: usize, reason: ExitReason) {
        let Some(slot) = self.children.get_mut(index) else {
            return;
        };
        drop(slot.running.take());
        slot.prober = None;
        let spec = slot.spec.clone();
        let restart = match spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !reason.is_normal(),
            Restart::Temporary => false,
        };
        // A temporary child's specification goes with it; so does a dynamic child's that is
        // not restarted (as OTP's simple_one_for_one keeps no stopped children).
        let dynamic = self.strategy == Strategy::SimpleOneForOne;
        if spec.restart == Restart::Temporary || (dynamic && !restart) {
            self.children.remove(index);
        }
        if !restart || ctx.system().is_shutting_down() {
            // Every event of a supervisor goes through `trace_guarded`: the subscriber is user
            // code, and its panic must not end the supervisor as it learns of an end (A11).
            crate::actor::trace_guarded(
                || tracing::debug!(supervisor = %ctx.id(), child = &*spec.id, %reason, "child ended"),
            );
            if spec.significant && !restart {
                self.significant_ended(ctx, &spec.id);
            }
            return;
        }
        if !self.count_restart() {
            self.give_up(ctx, &spec.id, &reason).await;
            return;
        }
        crate::actor::trace_guarded(|| {
            tracing::warn!(
                supervisor = %ctx.id(),
                child = &*spec.id,
                %reason,
                restarts = self.restarts.len(),
                "restarting child"
            )
        });
        ctx.system().counters().count_restart();
        let delay = self.children[index].backoff_delay();
        let (first, end) = match self.strategy {
            Strategy::OneForOne | Strategy::SimpleOneForOne => (index, index + 1),
            Strategy::OneForAll => (0, self.children.len()),
            Strategy::RestForOne => (index, self.children.len()),
        };
        if end - first > 1 {
            self.terminate_from(ctx, first).await;
            self.drop_temporary_from(first);
        }
        let generation = self.mark_restarting(first, self.children.len().min(end));
        match delay {
            Some(delay) => self.restart_later(ctx, generation, delay),
            None => self.start_marked(ctx, generation).await,
        }
    }

    /// Marks the children in `first..end` that do not run as waiting for one new restart.
    fn mark_restarting(&mut self, first: usize, end: usize) -> u64 {
        self.restart_generations += 1;
        let generation = self.restart_generations;
        let mut superseded = Vec::new();
        for slot in self.children.get_mut(first..end).into_iter().flatten() {
            if slot.running.is_none() {
                superseded.extend(slot.restarting.replace(generation));
            }
        }
        for old in superseded {
            self.release_generation(old);
        }
        generation
    }

    /// Aborts the timer of a pending restart that no child waits for any more.
    fn release_generation(&mut self, generation: u64) {
        if !self.children.iter().any(|slot| slot.restarting == Some(generation)) {
            if let Some(timer) = self.timers.remove(&generation) {
                timer.abort();
            }
        }
    }

    /// Has the children marked with `generation` started after `delay`.
    fn restart_later(&mut self, ctx: &mut Context<Self>, generation: u64, delay: Duration) {
        crate::actor::trace_guarded(
            || tracing::info!(supervisor = %ctx.id(), ?delay, "restart backed off"),
        );
        // A weak handle: a pending restart does not keep the supervisor alive. `tell` waits
        // for room rather than lose the retry, should the mailbox be bounded.
        let supervisor = ctx.weak_ref();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(supervisor) = supervisor.upgrade() {
                let _ = supervisor.tell(SupervisorMsg(Request::Retry(generation))).await;
            }
        });
        if let Some(previous) = self.timers.insert(generation, timer.abort_handle()) {
            previous.abort();
        }
    }

    /// Starts, in order, the children still marked with `generation`. A failed start counts as
    /// a restart, and the rest are tried again (after the child's backoff, if it has one).
    async fn start_marked(&mut self, ctx: &mut Context<Self>, generation: u64) {
        let mut index = 0;
        while index < self.children.len() {
            if self.children[index].restarting != Some(generation) {
                index += 1;
                continue;
            }
            if let Err(error) = self.start_slot(ctx, index).await {
                let id = Arc::clone(&self.children[index].spec.id);
                crate::actor::trace_guarded(
                    || tracing::error!(supervisor = %ctx.id(), child = &*id, %error, "restart failed"),
                );
                if !self.count_restart() {
                    let reason = ExitReason::failed(error);
                    self.give_up(ctx, &id, &reason).await;
                    return;
                }
                ctx.system().counters().count_restart();
                // A failed start is no quiet run: the next delay doubles.
                self.children[index].started_at = None;
                let delay = self.children[index].backoff_delay().unwrap_or(Duration::ZERO);
                self.restart_later(ctx, generation, delay);
                return;
            }
            index += 1;
        }
    }

    /// Removes the temporary children at `first` and after: stopped by a group restart,
    /// they are not started again.
    fn drop_temporary_from(&mut self, first: usize) {
        let mut index = first;
        while index < self.children.len() {
            if self.children[index].spec.restart == Restart::Temporary
                && self.children[index].running.is_none()
            {
                self.children.remove(index);
            } else {
                index += 1;
            }
        }
    }

    /// A significant child ended by itself for good: end too, as the auto-shutdown says.
    fn significant_ended(&mut self, ctx: &mut Context<Self>, child: &str) {
        let end = match self.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            // A child waiting out its backoff is still alive to its supervisor.
            AutoShutdown::AllSignificant => !self.children.iter().any(|slot| {
                slot.spec.significant && (slot.running.is_some() || slot.restarting.is_some())
            }),
        };
        if end {
            crate::actor::trace_guarded(
                || tracing::info!(supervisor = %ctx.id(), child, "significant child ended: auto-shutdown"),
            );
            ctx.stop_with(ExitReason::Shutdown);
        }
    }

    async fn give_up(&mut self, ctx: &mut Context<Self>, child: &str, reason: &ExitReason) {
        crate::actor::trace_guarded(|| {
            tracing::error!(
                supervisor = %ctx.id(),
                child,
                %reason,
                restarts = self.restarts.len(),
                max_restarts = self.max_restarts,
                period = ?self.period,
                "restart intensity reached: shutting down (escalating to the parent)"
            )
        });
        ctx.system().counters().count_escalation();
        if ctx.parent().is_none() {
            // No supervisor above to escalate to: the system's health report remembers it.
            ctx.system().extension::<FallenRoots>().note(ctx.id(), ctx.name());
        }
        self.terminate_all(ctx).await;
        ctx.stop_with(ExitReason::Shutdown);
    }

    /// Records a health check of a child; restarts the child, as after a crash, once it has
    /// failed too many in a row (H5).
    async fn checked(&mut self, ctx: &mut Context<Self>, actor: ActorId, outcome: CheckOutcome) {
        // A late outcome for a child that has since ended or been replaced counts for nothing.
        let Some(index) = self.children.iter().position(|slot| slot.actor() == Some(actor)) else {
            return;
        };
        let slot = &mut self.children[index];
        let Some(check) = slot.spec.health else {
            return;
        };
        let Some(failure) = slot.checks.record(outcome, &check) else {
            return;
        };
        let Some(child) = slot.running.take() else {
            return;
        };
        slot.prober = None;
        let reason = ExitReason::failed(failure);
        crate::actor::trace_guarded(
            || tracing::warn!(supervisor = %ctx.id(), child = &*slot.spec.id, actor = %actor, %reason, "child failed its health checks: stopping it"),
        );
        let shutdown = slot.spec.shutdown;
        terminate_with(ctx, &child, shutdown, reason.clone()).await;
        drop(child);
        self.child_ended(ctx, index, reason).await;
    }

    /// This supervisor's own node of a health report (H6, H7), and its running child
    /// supervisors, whose nodes the caller asks them for.
    fn health(&self) -> Response {
        let mut node = HealthReport::new(Arc::from(""), None, ChildKind::Supervisor);
        let now = Instant::now();
        let recent =
            self.restarts.iter().filter(|at| now.duration_since(**at) <= self.period).count();
        if recent > 0 {
            node.flag(HealthStatus::Degraded, HealthIssue::Restarted(recent));
        }
        let mut subtrees = Vec::new();
        for (index, slot) in self.children.iter().enumerate() {
            let mut child =
                HealthReport::new(Arc::clone(&slot.spec.id), slot.actor(), slot.spec.kind);
            if slot.running.is_none() && slot.restarting.is_some() {
                child.flag(HealthStatus::Failed, HealthIssue::Restarting);
            }
            if let Some(check) = &slot.spec.health {
                slot.checks.report(check, &mut child);
            }
            if let (ChildKind::Supervisor, Some(running)) = (slot.spec.kind, &slot.running) {
                let cell = Arc::clone(&running.cell);
                if let Some(actor) = ActorRef::<Supervisor>::from_erased(cell) {
                    subtrees.push((index, SupervisorRef { actor }));
                }
            }
            node.children.push(child);
        }
        Response::Health(node, subtrees)
    }

    async fn request(&mut self, ctx: &mut Context<Self>, request: Request) -> Response {
        match request {
            Request::StartChild(_) if self.strategy == Strategy::SimpleOneForOne => {
                Response::Failed(SupervisorError::InvalidSpec(
                    "a simple_one_for_one supervisor starts children with start_dynamic",
                ))
            }
            Request::StartDynamic(args) => {
                let Some(template) = &self.template else {
                    return Response::Failed(SupervisorError::InvalidSpec(
                        "start_dynamic needs a simple_one_for_one supervisor with a template",
                    ));
                };
                self.dynamic_started += 1;
                let id: Arc<str> = Arc::from(format!("dynamic-{}", self.dynamic_started));
                let expected = template.args_type;
                let Ok(spec) = template.child(Arc::clone(&id), args) else {
                    return Response::Failed(SupervisorError::WrongArgs { expected });
                };
                let kind = spec.kind;
                self.children.push(Slot::new(spec));
                let index = self.children.len() - 1;
                match self.start_slot(ctx, index).await {
                    Ok(actor) => {
                        let status = if actor.is_some() {
                            ChildStatus::Running
                        } else {
                            ChildStatus::Stopped
                        };
                        // An ignored dynamic child keeps nothing: there is nothing to restart.
                        if actor.is_none() {
                            self.children.pop();
                        }
                        Response::StartedDynamic(ChildInfo { id, actor, status, kind })
                    }
                    Err(reason) => {
                        self.children.pop();
                        Response::Failed(SupervisorError::StartFailed { id, reason })
                    }
                }
            }
            Request::StartChild(spec) => {
                if let Some(refusal) = spec.refusal() {
                    return Response::Failed(refusal);
                }
                if let Some(index) = self.position(&spec.id) {
                    let slot = &self.children[index];
                    return Response::Failed(match slot.actor() {
                        Some(actor) => {
                            SupervisorError::AlreadyStarted { id: Arc::clone(&spec.id), actor }
                        }
                        None => SupervisorError::AlreadyPresent(Arc::clone(&spec.id)),
                    });
                }
                let id = Arc::clone(&spec.id);
                self.children.push(Slot::new(spec));
                let index = self.children.len() - 1;
                match self.start_slot(ctx, index).await {
                    Ok(Some(actor)) => Response::Started(Some(actor)),
                    Ok(None) => {
                        // Ignored: the specification stays, but a temporary one would never
                        // run, and goes (as in OTP's code).
                        if self.children[index].spec.restart == Restart::Temporary {
                            self.children.pop();
                        }
                        Response::Started(None)
                    }
                    Err(reason) => {
                        self.children.pop();
                        Response::Failed(SupervisorError::StartFailed { id, reason })
                    }
                }
            }
            Request::Terminate(id) => {
                let Some(index) = self.position(&id) else {
                    return Response::Failed(SupervisorError::NotFound(id));
                };
                self.terminate_slot(ctx, index).await;
                if let Some(generation) = self.children[index].restarting.take() {
                    self.release_generation(generation);
                }
                if self.children[index].spec.restart == Restart::Temporary
                    || self.strategy == Strategy::SimpleOneForOne
                {
                    self.children.remove(index);
                }
                Response::Done
            }
            Request::Restart(id) => {
                let index = match self.stopped_child(id.clone()) {
                    Ok(index) => index,
                    Err(error) => return Response::Failed(error),
                };
                match self.start_slot(ctx, index).await {
                    Ok(_) => Response::Started(self.children[index].actor()),
                    Err(reason) => Response::Failed(SupervisorError::StartFailed { id, reason }),
                }
            }
            Request::Delete(id) => match self.stopped_child(id) {
                Ok(index) => {
                    self.children.remove(index);
                    Response::Done
                }
                Err(error) => Response::Failed(error),
            },
            Request::Which => Response::Children(
                self.children
                    .iter()
                    .map(|slot| ChildInfo {
                        id: Arc::clone(&slot.spec.id),
                        actor: slot.actor(),
                        status: match (&slot.running, slot.restarting) {
                            (Some(_), _) => ChildStatus::Running,
                            (None, Some(_)) => ChildStatus::Restarting,
                            (None, None) => ChildStatus::Stopped,
                        },
                        kind: slot.spec.kind,
                    })
                    .collect(),
            ),
            Request::Count => {
                let supervisors = self
                    .children
                    .iter()
                    .filter(|slot| slot.spec.kind == ChildKind::Supervisor)
                    .count();
                Response::Count(ChildCount {
                    specs: self.children.len(),
                    active: self.children.iter().filter(|slot| slot.running.is_some()).count(),
                    supervisors,
                    workers: self.children.len() - supervisors,
                })
            }
            Request::Child(id) => Response::Child(self.position(&id).and_then(|index| {
                self.children[index].running.as_ref().map(|child| Arc::clone(&child.cell))
            })),
            Request::Retry(_) if ctx.system().is_shutting_down() => Response::Done,
            Request::Retry(generation) => {
                self.timers.remove(&generation);
                self.start_marked(ctx, generation).await;
                Response::Done
            }
            Request::Checked(actor, outcome) => {
                self.checked(ctx, actor, outcome).await;
                Response::Done
            }
            Request::Health => self.health(),
        }
    }
}

/// What a start function's future comes to, its panic caught.
type Started = Result<StartResult, Box<dyn Any + Send>>;

/// Runs a child's start in a task of its own and waits for it, so that the stack of the task
/// waiting stays the same however deep the tree below the child goes. The task goes with the
/// future waiting for it: a parent killed or dropped meanwhile leaves no child starting
/// behind, as the aborted start ends the half-started child as killed, and a child whose
/// start finished but was never taken is killed when its result is dropped (T19).
async fn start_apart<F>(supervisor: ActorId, starting: F) -> Started
where
    F: Future<Output = Started> + Send + 'static,
{
    // On the supervisor's behalf, as a worker's start polled in the supervisor's own task is:
    // a call from the start function to the supervisor, which waits for it, is refused at
    // once (M16) rather than waited for without end.
    // On behalf of every actor whose poll encloses this one too (the supervisor's own
    // supervisor, awaiting its start from a task of its own): each of them waits for this start.
    let chain = crate::actor::current::chain();
    debug_assert!(crate::actor::current::is_running(supervisor), "started from its own poll");
    let starting = OnBehalf { chain, future: starting };
    let starting = async move { Unclaimed(Some(starting.await)) };
    // The child's span follows from the parent's, as when its start is polled in place.
    let task = AbortOnDrop(tokio::spawn(starting.in_current_span()));
    match task.await {
        Ok(started) => started.claim(),
        Err(failed) if failed.is_panic() => Err(failed.into_panic()),
        // Only the runtime cancels it (it is shutting down): the child is gone with it.
        Err(_) => Ok(Err(SpawnError::StartFailed(ExitReason::Killed))),
    }
}

pin_project_lite::pin_project! {
    /// A child's start polled as the supervisor's own code (`actor::current`).
    struct OnBehalf<F> {
        chain: crate::actor::current::Chain,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for OnBehalf<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = crate::actor::current::enter_chain(this.chain);
        this.future.poll(cx)
    }
}

/// What a child's start task came to, until its supervisor takes it: dropped untaken (the
/// supervisor was killed or dropped after the start finished, before it polled the task
/// again), the child it started is killed, as a start aborted halfway leaves its child.
struct Unclaimed(Option<Started>);

impl Unclaimed {
    fn claim(mut self) -> Started {
        self.0.take().unwrap_or(Ok(Err(SpawnError::StartFailed(ExitReason::Killed))))
    }
}

impl Drop for Unclaimed {
    fn drop(&mut self) {
        if let Some(Ok(Ok(Some(child)))) = self.0.take() {
            child.cell.kill();
        }
    }
}

/// A task that is aborted when whoever waits for it drops it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Stops one child as its shutdown says, and waits until it has ended.
async fn terminate(ctx: &mut Context<Supervisor>, child: &Child, shutdown: Shutdown) {
    terminate_with(ctx, child, shutdown, ExitReason::Shutdown).await;
}

/// [`terminate`], asking the child to stop with `reason` rather than `Shutdown`.
async fn terminate_with(
    ctx: &mut Context<Supervisor>,
    child: &Child,
    shutdown: Shutdown,
    reason: ExitReason,
) {
    ctx.unlink_erased(&*child.cell);
    match shutdown {
        // An ordered stop is no crash; a kill for failed health checks is one, and is reported.
        Shutdown::BrutalKill if reason == ExitReason::Shutdown => child.cell.kill_as_shutdown(),
        Shutdown::BrutalKill => child.cell.kill(),
        Shutdown::Timeout(limit) => {
            child.cell.stop(reason);
            if tokio::time::timeout(limit, child.cell.exit()).await.is_ok() {
                return;
            }
            crate::actor::trace_guarded(
                || tracing::warn!(supervisor = %ctx.id(), child = %child.cell.id(), "shutdown timed out: killing"),
            );
            child.cell.kill();
        }
        Shutdown::Infinity => child.cell.stop(reason),
    }
    child.cell.exit().await;
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type Reply = SupervisorReply;
    type Args = SupervisorSpec;
    type Error = SupervisorError;

    async fn pre_start(
        mut spec: SupervisorSpec,
        ctx: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        if spec.strategy == Strategy::SimpleOneForOne
            && (spec.template.is_none() || !spec.children.is_empty())
        {
            return Err(SupervisorError::InvalidSpec(
                "simple_one_for_one needs a template and no static children",
            ));
        }
        if spec.strategy != Strategy::SimpleOneForOne && spec.template.is_some() {
            return Err(SupervisorError::InvalidSpec("only simple_one_for_one takes a template"));
        }
        if let Some(refusal) = spec.children.iter().find_map(ChildSpec::refusal) {
            return Err(refusal);
        }
        // Two children with one id would share a crash-report path, and the calls that name
        // a child would reach only the first (OTP refuses `duplicate_child_name`).
        let mut ids = HashSet::with_capacity(spec.children.len());
        if let Some(twice) = spec.children.iter().find(|child| !ids.insert(&*child.id)) {
            return Err(SupervisorError::DuplicateChildId(Arc::clone(&twice.id)));
        }
        ctx.trap_exit(true);
        let mut supervisor = Supervisor {
            strategy: spec.strategy,
            max_restarts: spec.max_restarts,
            period: spec.period,
            children: std::mem::take(&mut spec.children).into_iter().map(Slot::new).collect(),
            restarts: VecDeque::new(),
            auto_shutdown: spec.auto_shutdown,
            template: spec.template.take(),
            dynamic_started: 0,
            restart_generations: 0,
            timers: HashMap::new(),
        };
        for index in 0..supervisor.children.len() {
            if let Err(reason) = supervisor.start_slot(ctx, index).await {
                let id = Arc::clone(&supervisor.children[index].spec.id);
                supervisor.terminate_all(ctx).await;
                return Err(SupervisorError::StartFailed { id, reason });
            }
        }
        Ok(supervisor)
    }

    async fn handle(
        &mut self,
        SupervisorMsg(request): SupervisorMsg,
        ctx: &mut Context<Self>,
    ) -> Result<SupervisorReply, Self::Error> {
        Ok(SupervisorReply(self.request(ctx, request).await))
    }

    async fn on_exit(
        &mut self,
        ctx: &mut Context<Self>,
        exit: ExitSignal,
    ) -> Result<(), Self::Error> {
        if let Some(index) = self.children.iter().position(|slot| slot.actor() == Some(exit.from)) {
            self.child_ended(ctx, index, exit.reason).await;
        } else if ctx.parent() == Some(exit.from) {
            // As OTP's supervisor does on its parent's exit: stop the children (in post_stop)
            // and end with the same reason.
            ctx.stop_with(exit.reason);
        } else {
            // Another linked actor: OTP's supervisor ignores it too.
            crate::actor::trace_guarded(
                || tracing::debug!(supervisor = %ctx.id(), from = %exit.from, reason = %exit.reason, "exit of a non-child ignored"),
            );
        }
        Ok(())
    }

    async fn post_stop(
        &mut self,
        ctx: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        for (_, timer) in self.timers.drain() {
            timer.abort();
        }
        self.terminate_all(ctx).await;
        Ok(())
    }
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("strategy", &self.strategy)
            .field("children", &self.children.len())
            .finish_non_exhaustive()
    }
}

/// A handle to a supervisor, with OTP's administration calls.
///
/// Calls wait as long as the supervisor takes (stopping a child may take its shutdown time),
/// and fail with [`SupervisorError::NotRunning`] if the supervisor has ended.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
/// # struct Worker;
/// # impl Actor for Worker {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await?;
/// supervisor.start_child(ChildSpec::worker::<Worker>("w", ())).await?;
/// supervisor.terminate_child("w").await?;
/// supervisor.restart_child("w").await?;
/// supervisor.terminate_child("w").await?;
/// supervisor.delete_child("w").await?;
/// assert!(supervisor.which_children().await?.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SupervisorRef {
    actor: ActorRef<Supervisor>,
}

impl From<ActorRef<Supervisor>> for SupervisorRef {
    fn from(actor: ActorRef<Supervisor>) -> Self {
        Self { actor }
    }
}

/// Long enough to never end a supervisor call, which waits as OTP's does: as long as it takes.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

impl SupervisorRef {
    /// The supervisor's actor handle.
    ///
    /// ```
    /// # fn id(s: &airssys_rt::supervisor::SupervisorRef) -> airssys_rt::ActorId { s.actor().id() }
    /// ```
    pub fn actor(&self) -> &ActorRef<Supervisor> {
        &self.actor
    }

    async fn call(&self, request: Request) -> Result<Response, SupervisorError> {
        match self.actor.ask(SupervisorMsg(request)).timeout(FOREVER).await {
            Ok(SupervisorReply(Response::Failed(error))) => Err(error),
            Ok(SupervisorReply(response)) => Ok(response),
            Err(AskError::Full(_) | AskError::Closed(_) | AskError::Dropped) => {
                Err(SupervisorError::NotRunning)
            }
            Err(AskError::Stopped(_) | AskError::Timeout(_)) => Err(SupervisorError::NotRunning),
            Err(AskError::CallingSelf(_)) => Err(SupervisorError::CallingSelf),
        }
    }

    /// Adds a child and starts it; returns its actor, or `None` if its start said "ignore".
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildSpec, SupervisorRef, SupervisorError};
    /// # async fn add(s: &SupervisorRef, spec: ChildSpec) -> Result<(), SupervisorError> {
    /// let actor = s.start_child(spec).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<ActorId>, SupervisorError> {
        match self.call(Request::StartChild(spec)).await? {
            Response::Started(actor) => Ok(actor),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// Starts one more dynamic child of a [`Strategy::SimpleOneForOne`] supervisor from its
    /// template, with these arguments (kept to restart it). Returns the child, with the id
    /// to terminate it by.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{SupervisorRef, SupervisorError};
    /// # async fn add<A: Actor<Args = u16>>(s: &SupervisorRef) -> Result<(), SupervisorError> {
    /// let child = s.start_dynamic::<A>(8080).await?;
    /// s.terminate_child(&child.id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_dynamic<A: Actor>(
        &self,
        args: A::Args,
    ) -> Result<ChildInfo, SupervisorError> {
        match self.call(Request::StartDynamic(Box::new(args))).await? {
            Response::StartedDynamic(child) => Ok(child),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// Stops a child, keeping its specification (a temporary child's goes with it).
    ///
    /// ```
    /// # async fn stop(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.terminate_child("w").await; }
    /// ```
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.call(Request::Terminate(id.into())).await.map(drop)
    }

    /// Starts a stopped child again from its specification.
    ///
    /// ```
    /// # async fn again(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.restart_child("w").await; }
    /// ```
    pub async fn restart_child(&self, id: &str) -> Result<Option<ActorId>, SupervisorError> {
        match self.call(Request::Restart(id.into())).await? {
            Response::Started(actor) => Ok(actor),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// Removes the specification of a child that is not running.
    ///
    /// ```
    /// # async fn forget(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.delete_child("w").await; }
    /// ```
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.call(Request::Delete(id.into())).await.map(drop)
    }

    /// Every child, in start order.
    ///
    /// ```
    /// # async fn list(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.which_children().await; }
    /// ```
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        match self.call(Request::Which).await? {
            Response::Children(children) => Ok(children),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// How many children there are, and of which kind.
    ///
    /// ```
    /// # async fn count(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.count_children().await; }
    /// ```
    pub async fn count_children(&self) -> Result<ChildCount, SupervisorError> {
        match self.call(Request::Count).await? {
            Response::Count(count) => Ok(count),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// A health report of the tree below this supervisor: each node healthy, degraded or
    /// failed, with its issues, rolled up as chapter H of the semantics says (see
    /// [`crate::monitoring::health`]). Child supervisors are asked in turn, one after the other.
    /// A supervisor that does not run (it gave up, or ended) is reported failed, with
    /// [`HealthIssue::NotRunning`]; one that gives no answer within the system's
    /// [`ask_timeout`](crate::SystemBuilder::ask_timeout), failed with
    /// [`HealthIssue::NotAnswering`].
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::monitoring::health::HealthStatus;
    /// # use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await?;
    /// let report = supervisor.health().await;
    /// assert_eq!(report.status, HealthStatus::Healthy);
    /// println!("{report}");
    /// supervisor.actor().stop();
    /// supervisor.actor().wait_for_exit().await;
    /// assert_eq!(supervisor.health().await.status, HealthStatus::Failed);
    /// # Ok(()) }
    /// ```
    pub async fn health(&self) -> HealthReport {
        // Depth first, with the way down kept here rather than on the stack: a tree may be
        // any depth (T19). Each frame is a supervisor whose child supervisors are still to be
        // asked; a finished frame's report replaces its node in its parent's.
        let mut above: Vec<HealthFrame> = Vec::new();
        let mut frame = HealthFrame::asked(self, None).await;
        loop {
            if let Some((index, subtree)) = frame.subtrees.next() {
                let below = HealthFrame::asked(&subtree, Some(index)).await;
                above.push(std::mem::replace(&mut frame, below));
                continue;
            }
            let (index, report) = frame.finish();
            match (above.pop(), index) {
                (Some(mut parent), Some(index)) => {
                    parent.replace(index, report);
                    frame = parent;
                }
                _ => return report,
            }
        }
    }

    /// The running actor of a child, as a handle of its type: `None` if it is not running or
    /// is of another type.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn talk<A: Actor<Msg = ()>>(s: &airssys_rt::supervisor::SupervisorRef) {
    /// if let Ok(Some(worker)) = s.child::<A>("w").await {
    ///     let _ = worker.tell(()).await;
    /// }
    /// # }
    /// ```
    pub async fn child<A: Actor>(&self, id: &str) -> Result<Option<ActorRef<A>>, SupervisorError> {
        let Response::Child(cell) = self.call(Request::Child(id.into())).await? else {
            return Err(SupervisorError::NotRunning);
        };
        Ok(cell.and_then(ActorRef::from_erased))
    }
}

/// A supervisor's part of a health report being put together: its own node, with its
/// children's nodes as it sees them, and its running child supervisors still to be asked.
struct HealthFrame {
    node: HealthReport,
    children: Vec<HealthReport>,
    subtrees: std::vec::IntoIter<(usize, SupervisorRef)>,
    /// Its place among its parent's children; `None` for the supervisor asked first.
    index: Option<usize>,
}

impl HealthFrame {
    async fn asked(supervisor: &SupervisorRef, index: Option<usize>) -> Self {
        // Bounded by the system's ask timeout, not waited for as long as it takes: a stuck
        // supervisor is what a health report is for, and must not hang it.
        let asked = supervisor.actor.ask(SupervisorMsg(Request::Health)).await;
        let (mut node, subtrees) = match asked {
            Ok(SupervisorReply(Response::Health(node, subtrees))) => (node, subtrees),
            asked => {
                let mut node = HealthReport::new(Arc::from(""), None, ChildKind::Supervisor);
                let issue = match asked {
                    Err(AskError::Timeout(_)) => HealthIssue::NotAnswering,
                    _ => HealthIssue::NotRunning,
                };
                node.flag(HealthStatus::Failed, issue);
                (node, Vec::new())
            }
        };
        node.actor = Some(supervisor.actor.id());
        let children = std::mem::take(&mut node.children);
        HealthFrame { node, children, subtrees: subtrees.into_iter(), index }
    }

    /// Puts a child supervisor's own report in place of the node seen from here.
    fn replace(&mut self, index: usize, mut below: HealthReport) {
        let Some(child) = self.children.get_mut(index) else {
            return;
        };
        // The parent's view of the child (its checks) joins the child's own.
        below.id = Arc::clone(&child.id);
        below.actor = below.actor.or(child.actor);
        below.status = below.status.max(child.status);
        below.issues.splice(0..0, child.issues.drain(..));
        *child = below;
    }

    /// The finished report, with the children rolled up into it (H7), and its place.
    fn finish(self) -> (Option<usize>, HealthReport) {
        let HealthFrame { mut node, children, index, .. } = self;
        for child in children {
            node.adopt(child);
        }
        (index, node)
    }
}

/// Starts the task probing a child as `check` says; it reports each outcome to the supervisor,
/// and ends with the child, or with the supervisor.
fn start_prober(ctx: &Context<Supervisor>, child: &Child, check: HealthCheck) -> Prober {
    let supervisor = ctx.weak_ref();
    let actor = child.cell.id();
    let cell = Arc::downgrade(&child.cell);
    let task = tokio::spawn(probe_loop(cell, check, move |outcome| {
        // Unbounded: a supervisor's mailbox never refuses for room.
        supervisor.upgrade().is_some_and(|supervisor| {
            supervisor.try_tell(SupervisorMsg(Request::Checked(actor, outcome))).is_ok()
        })
    }));
    Prober(task.abort_handle())
}
