//! What a supervisor does for health: it probes the children whose specification asks for it,
//! restarts one that fails too many checks in a row (H5), and answers for its part of a
//! health report (H6, H7), which [`SupervisorRef::health`] puts together down the tree.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::time::Instant;

use super::admin::{Request, Response};
use super::placement;
use super::server::{Mail, Note};
use super::Child;
use super::{
    ChildKind, Supervisor, SupervisorMsg, SupervisorRef, SupervisorReply, SupervisorState,
};
use crate::actor::{ActorId, ActorRef, Context, ExitReason};
use crate::kernel::{trace_guarded, AnyActor, WeakAnyActor};
use crate::message::AskError;
use crate::system::ActorSystem;
use crate::vocabulary::{
    Health, HealthCheck, HealthCheckFailed, HealthIssue, HealthReport, HealthStatus,
};

/// The task probing one child; aborted when dropped.
pub(super) struct Prober(tokio::task::AbortHandle);

impl Prober {
    /// Starts the task probing a child as `check` says; it reports each outcome to the
    /// supervisor, and ends with the child, or with the supervisor.
    pub(super) fn start<S: SupervisorState>(
        ctx: &Context<Supervisor<S>>,
        child: &Child,
        check: HealthCheck,
    ) -> Self {
        let supervisor = ctx.weak_ref();
        let actor = child.id();
        let task = tokio::spawn(probe_loop(child.actor().downgrade(), check, move |outcome| {
            // Unbounded: a supervisor's mailbox never refuses for room.
            supervisor.upgrade().is_some_and(|supervisor| {
                supervisor.try_tell(Mail::note(Note::Checked(actor, outcome))).is_ok()
            })
        }));
        Prober(task.abort_handle())
    }
}

/// Sends probes to a child every `check.interval()` and reports each outcome through `report`,
/// until the child ends or `report` says to stop (H2). Holds the child weakly: probing keeps
/// nothing alive. The interval is a sleep of this task, not a timer of `timer`: the task
/// waits for each answer before the next interval begins, so that checks never overlap.
async fn probe_loop(
    child: WeakAnyActor,
    check: HealthCheck,
    mut report: impl FnMut(CheckOutcome) -> bool,
) {
    loop {
        tokio::time::sleep(check.interval()).await;
        let Some(probe) = child.upgrade().and_then(|child| child.probe_health()) else {
            return;
        };
        let outcome = match tokio::time::timeout(check.deadline_time(), probe).await {
            Ok(Some(health)) => CheckOutcome::Answered(health),
            // Its mailbox closed with the probe in it: the child is ending, and its supervisor
            // hears of that through the link.
            Ok(None) => return,
            Err(_) => CheckOutcome::TimedOut,
        };
        if !report(outcome) {
            return;
        }
    }
}

impl Drop for Prober {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<S: SupervisorState> Supervisor<S> {
    /// Records a health check of a child; restarts the child, as after a crash, once it has
    /// failed too many in a row (H5).
    pub(super) async fn checked(
        &mut self,
        ctx: &mut Context<Self>,
        actor: ActorId,
        outcome: CheckOutcome,
    ) {
        // A late outcome for a child that has since ended or been replaced counts for nothing.
        let Some(index) = self.children.position_of_actor(actor) else {
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
        trace_guarded(
            || tracing::warn!(supervisor = %ctx.id(), child = &*slot.spec.id, actor = %actor, %reason, "child failed its health checks: stopping it"),
        );
        let shutdown = slot.spec.shutdown;
        placement::terminate_with(ctx, &child, shutdown, reason.clone()).await;
        drop(child);
        self.child_ended(ctx, index, actor, reason).await;
    }

    /// This supervisor's own node of a health report (H6, H7), and its running child
    /// supervisors, whose nodes the caller asks them for.
    pub(super) fn health_node(&self, system: &ActorSystem) -> Response {
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
                if let Some(subtree) = AnySupervisor::of(system, running.actor()) {
                    subtrees.push((index, subtree));
                }
            }
            node.children.push(child);
        }
        Response::Health(node, subtrees)
    }
}

impl<S: SupervisorState> SupervisorRef<S> {
    /// A health report of the tree below this supervisor: each node healthy, degraded or
    /// failed, with its issues, rolled up as chapter H of the semantics says (see
    /// [`crate::telemetry::health`]). Child supervisors are asked in turn, one after the other.
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
        AnySupervisor(Box::new(self.actor.clone())).health().await
    }
}

/// A supervisor of any state type ([`SupervisorState`]): what a health report asks down a
/// tree whose supervisors may be built-in or open.
pub(crate) struct AnySupervisor(Box<dyn HealthLine>);

/// The one call a health report makes of a supervisor whose type it does not know.
trait HealthLine: Send + Sync {
    fn id(&self) -> ActorId;
    fn name(&self) -> Option<Arc<str>>;
    fn ask_health(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Response, HealthIssue>> + Send + '_>>;
}

impl<S: SupervisorState> HealthLine for ActorRef<Supervisor<S>> {
    fn id(&self) -> ActorId {
        ActorRef::id(self)
    }

    fn name(&self) -> Option<Arc<str>> {
        ActorRef::name(self)
    }

    fn ask_health(
        &self,
    ) -> Pin<Box<dyn Future<Output = Result<Response, HealthIssue>> + Send + '_>> {
        Box::pin(async move {
            // Bounded by the system's ask timeout, not waited for as long as it takes: a stuck
            // supervisor is what a health report is for, and must not hang it.
            match self.ask(Mail::from(SupervisorMsg(Request::Health))).await {
                Ok(SupervisorReply(response)) => Ok(response),
                Err(AskError::Timeout(_)) => Err(HealthIssue::NotAnswering),
                Err(_) => Err(HealthIssue::NotRunning),
            }
        })
    }
}

impl fmt::Debug for AnySupervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnySupervisor").field(&self.0.id()).finish()
    }
}

impl AnySupervisor {
    /// This actor as a supervisor, if it is one: built-in, or open of a type that has started.
    pub(crate) fn of(system: &ActorSystem, actor: &AnyActor) -> Option<Self> {
        if actor.actor_type() == std::any::type_name::<Supervisor>() {
            return actor.downcast::<Supervisor>().map(|actor| AnySupervisor(Box::new(actor)));
        }
        let erase = system.extension::<SupervisorTypes>().eraser(actor.actor_type())?;
        erase(actor)
    }

    pub(crate) fn id(&self) -> ActorId {
        self.0.id()
    }

    pub(crate) fn name(&self) -> Option<Arc<str>> {
        self.0.name()
    }

    /// See [`SupervisorRef::health`].
    pub(crate) async fn health(&self) -> HealthReport {
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
}

/// A supervisor's part of a health report being put together: its own node, with its
/// children's nodes as it sees them, and its running child supervisors still to be asked.
struct HealthFrame {
    node: HealthReport,
    children: Vec<HealthReport>,
    subtrees: std::vec::IntoIter<(usize, AnySupervisor)>,
    /// Its place among its parent's children; `None` for the supervisor asked first.
    index: Option<usize>,
}

impl HealthFrame {
    async fn asked(supervisor: &AnySupervisor, index: Option<usize>) -> Self {
        let (mut node, subtrees) = match supervisor.0.ask_health().await {
            Ok(Response::Health(node, subtrees)) => (node, subtrees),
            asked => {
                let mut node = HealthReport::new(Arc::from(""), None, ChildKind::Supervisor);
                let issue = asked.err().unwrap_or(HealthIssue::NotRunning);
                node.flag(HealthStatus::Failed, issue);
                (node, Vec::new())
            }
        };
        node.actor = Some(supervisor.id());
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

/// The supervisor's record of one child's checks.
#[derive(Debug, Default)]
pub(super) struct CheckRecord {
    /// Failed checks in a row.
    failures: u32,
    last_failure: Option<Arc<str>>,
    /// The last answer, if it was `Degraded`.
    degraded: Option<Arc<str>>,
}

impl CheckRecord {
    /// Records a check's outcome; the failure that restarts the child if this was one too many.
    pub(super) fn record(
        &mut self,
        outcome: CheckOutcome,
        check: &HealthCheck,
    ) -> Option<HealthCheckFailed> {
        match outcome {
            CheckOutcome::Answered(Health::Healthy) => *self = Self::default(),
            CheckOutcome::Answered(Health::Degraded(reason)) => {
                *self = Self { degraded: Some(reason), ..Self::default() };
            }
            CheckOutcome::Answered(Health::Unhealthy(reason)) => {
                self.fail(format!("unhealthy: {reason}").into());
            }
            CheckOutcome::TimedOut => {
                self.fail(format!("no answer within {:?}", check.deadline_time()).into());
            }
        }
        let last = self.last_failure.clone()?;
        (self.failures >= check.max_failures())
            .then_some(HealthCheckFailed { failures: self.failures, last })
    }

    fn fail(&mut self, reason: Arc<str>) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure = Some(reason);
        self.degraded = None;
    }

    /// Flags what the checks say on the child's node.
    pub(super) fn report(&self, check: &HealthCheck, node: &mut HealthReport) {
        if let Some(reason) = &self.degraded {
            node.flag(HealthStatus::Degraded, HealthIssue::Degraded(Arc::clone(reason)));
        }
        if let (Some(last), true) = (&self.last_failure, self.failures > 0) {
            node.flag(
                HealthStatus::Degraded,
                HealthIssue::FailingChecks {
                    failures: self.failures,
                    of: check.max_failures(),
                    last: Arc::clone(last),
                },
            );
        }
    }
}

/// What one probe came to.
#[derive(Debug)]
pub(super) enum CheckOutcome {
    Answered(Health),
    TimedOut,
}

/// Turns an actor into an [`AnySupervisor`] if it is an open supervisor of one type.
type Eraser = fn(&AnyActor) -> Option<AnySupervisor>;

/// The open supervisor types started in a system, by actor type name: how a health report
/// recognises an open supervisor among the system's actors (the built-in one it knows).
#[derive(Default)]
pub(crate) struct SupervisorTypes(parking_lot::Mutex<HashMap<&'static str, Eraser>>);

impl SupervisorTypes {
    /// Notes that supervisors of state `S` run in this system.
    pub(super) fn note<S: SupervisorState>(&self) {
        fn erase<S: SupervisorState>(actor: &AnyActor) -> Option<AnySupervisor> {
            actor.downcast::<Supervisor<S>>().map(|actor| AnySupervisor(Box::new(actor)))
        }
        self.0.lock().entry(std::any::type_name::<Supervisor<S>>()).or_insert(erase::<S>);
    }

    fn eraser(&self, actor_type: &str) -> Option<Eraser> {
        self.0.lock().get(actor_type).copied()
    }
}

/// The latest root supervisors that gave up, kept for `ActorSystem::health`; written here,
/// read by the system's health report (a view above supervision).
const FALLEN_ROOTS_KEPT: usize = 64;

/// The root supervisors that gave up (no supervisor above them to escalate to), latest last.
#[derive(Default)]
pub(crate) struct FallenRoots(parking_lot::Mutex<std::collections::VecDeque<(ActorId, Arc<str>)>>);

impl FallenRoots {
    /// Notes that a root supervisor gave up: the system is failed from now on (H8).
    pub(crate) fn note(&self, id: ActorId, name: Option<Arc<str>>) {
        let label = name.unwrap_or_else(|| Arc::from(id.to_string()));
        let mut fallen = self.0.lock();
        if fallen.len() == FALLEN_ROOTS_KEPT {
            fallen.pop_front();
        }
        fallen.push_back((id, label));
    }

    /// The roots that gave up, latest last.
    pub(crate) fn list(&self) -> Vec<(ActorId, Arc<str>)> {
        self.0.lock().iter().cloned().collect()
    }
}
