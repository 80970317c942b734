//! Health checks: supervisors probe their children, and a report rolls the tree up.
//!
//! A child that has not crashed may still be of no use: stuck in a handler that never returns,
//! buried under a mailbox it cannot keep up with, or cut off from what it depends on. A
//! supervisor can *probe* such a child on an interval and restart it when it keeps failing,
//! as it would restart it after a crash.
//!
//! ## The check
//!
//! A child's specification turns checks on with [`ChildSpec::health_check`]:
//!
//! ```
//! # use std::time::Duration;
//! # use airssys_rt::supervisor::{ChildSpec, Strategy, SupervisorSpec};
//! use airssys_rt::telemetry::health::HealthCheck;
//! let spec = ChildSpec::supervisor("db", SupervisorSpec::new(Strategy::OneForOne)).health_check(
//!     HealthCheck::every(Duration::from_secs(10)).deadline(Duration::from_secs(1)).failures(3),
//! );
//! ```
//!
//! Every `interval`, the supervisor sends the child a *probe*. The probe is a system request:
//! it does not go through the actor's message type, but it waits in the actor's mailbox
//! **behind the messages queued before it**, so it is answered only once the actor has handled
//! them. The actor answers it by running its [`Actor::health_check`] hook, which by default
//! says [`Health::Healthy`]: the default check is "answers a ping in time". An actor stuck in
//! a handler, or with more work queued than it gets through before the deadline, fails it
//! without writing a line of code; an actor that knows more (a connection that dropped, a
//! queue of its own that grows) says so in its hook.
//!
//! A check *fails* when no answer comes within the `deadline`, or when the answer is
//! [`Health::Unhealthy`]. [`Health::Degraded`] is no failure: the report shows it, the
//! supervisor does nothing about it. After `failures` failed checks in a row the supervisor
//! restarts the child as if it had crashed, with reason [`HealthCheckFailed`]: under its
//! strategy, counted against its restart intensity.
//!
//! ## The report
//!
//! [`SupervisorRef::health`] walks the tree below a supervisor and reports each node as
//! [`HealthStatus::Healthy`], [`Degraded`](HealthStatus::Degraded) or
//! [`Failed`](HealthStatus::Failed), with the [`HealthIssue`]s that made it so. Chapter H of
//! [`semantics`](crate::semantics) states the rules exactly.
//!
//! ```
//! use std::time::Duration;
//! use airssys_rt::prelude::*;
//! use airssys_rt::telemetry::health::{Health, HealthCheck, HealthStatus};
//! use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
//!
//! struct Connection {
//!     up: bool,
//! }
//!
//! #[actor]
//! impl Actor for Connection {
//!     type Msg = bool;
//!     type Reply = ();
//!     type Args = ();
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Connection { up: true })
//!     }
//!
//!     async fn handle(&mut self, up: bool, _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         self.up = up;
//!         Ok(())
//!     }
//!
//!     async fn health_check(&mut self, _: &mut Context<Self>) -> Health {
//!         if self.up { Health::Healthy } else { Health::degraded("link down, retrying") }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let check = HealthCheck::every(Duration::from_secs(1));
//! let spec = SupervisorSpec::new(Strategy::OneForOne)
//!     .child(ChildSpec::worker::<Connection>("conn", ()).health_check(check));
//! let supervisor = Supervisor::start(&system, spec).await?;
//! let conn = supervisor.child::<Connection>("conn").await?.expect("running");
//! conn.tell(false).await?;
//! tokio::time::sleep(Duration::from_millis(1500)).await; // one probe later
//! let report = supervisor.health().await;
//! assert_eq!(report.status, HealthStatus::Degraded);
//! assert_eq!(report.children[0].status, HealthStatus::Degraded);
//! # Ok(()) }
//! ```
//!
//! [`ChildSpec::health_check`]: crate::supervisor::ChildSpec::health_check
//! [`SupervisorRef::health`]: crate::supervisor::SupervisorRef::health
//! [`Actor::health_check`]: crate::Actor::health_check

use std::sync::Arc;

use crate::kernel::system::ActorSystem;
use crate::supervisor::AnySupervisor;
use crate::supervisor::FallenRoots;
use crate::vocabulary::{ActorId, ChildKind};
pub use crate::vocabulary::{
    Health, HealthCheck, HealthCheckFailed, HealthIssue, HealthReport, HealthStatus,
};

impl ActorSystem {
    /// The health of the whole system: one node per root supervisor (one that no supervisor
    /// started), as its [`health`](crate::supervisor::SupervisorRef::health) reports it, and a
    /// **Failed** node for each root supervisor that gave up; the system's status is the worst
    /// of its roots', and at least **Degraded** while the
    /// [message budget](crate::SystemBuilder::message_budget) is over (issue
    /// [`OverBudget`](crate::telemetry::health::HealthIssue::OverBudget)). See
    /// [`telemetry::health`](crate::telemetry::health).
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime with its timer enabled: each supervisor is asked, with a timeout.
    ///
    /// ```
    /// use airssys_rt::telemetry::health::HealthStatus;
    /// use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = airssys_rt::ActorSystem::new();
    /// let options = airssys_rt::system::SpawnOptions::new().name("root");
    /// let _root = Supervisor::start_with(&system, options, SupervisorSpec::new(Strategy::OneForOne)).await?;
    /// let report = system.health().await;
    /// assert_eq!(report.status, HealthStatus::Healthy);
    /// assert_eq!(&*report.children[0].id, "root");
    /// # Ok(()) }
    /// ```
    pub async fn health(&self) -> HealthReport {
        system_health(self).await
    }
}

/// The health of the whole system (H8), and of its message budget (B6).
async fn system_health(system: &ActorSystem) -> HealthReport {
    let mut report = HealthReport::new(Arc::from("system"), None, ChildKind::Supervisor);
    if system.is_over_budget() {
        let limit = system.config().message_budget();
        report.flag(HealthStatus::Degraded, HealthIssue::OverBudget { limit });
    }
    let mut running = Vec::new();
    for root in root_supervisors(system) {
        let label = root.name().unwrap_or_else(|| Arc::from(root.id().to_string()));
        let mut node = root.health().await;
        node.id = label;
        running.push(node);
    }
    // Read after the roots answered: a root that gave up meanwhile is listed once, as fallen.
    let fallen: Vec<(ActorId, Arc<str>)> = system.extension::<FallenRoots>().list();
    running.retain(|node| !fallen.iter().any(|(id, _)| node.actor == Some(*id)));
    for node in running {
        if node.status != HealthStatus::Healthy {
            report.flag(node.status, HealthIssue::Child(Arc::clone(&node.id)));
        }
        report.children.push(node);
    }
    for (id, label) in fallen {
        let mut node = HealthReport::new(label, Some(id), ChildKind::Supervisor);
        node.flag(HealthStatus::Failed, HealthIssue::NotRunning);
        report.flag(HealthStatus::Failed, HealthIssue::Child(Arc::clone(&node.id)));
        report.children.push(node);
    }
    report
}

/// The running supervisors, built-in or open, that no supervisor started.
fn root_supervisors(system: &ActorSystem) -> Vec<AnySupervisor> {
    let mut roots: Vec<AnySupervisor> = system
        .actors()
        .into_iter()
        // A child supervisor has its place in the tree before its `pre_start`, its parent
        // only after: either makes it no root.
        .filter(|actor| actor.parent().is_none() && actor.tree_place().is_none())
        .filter_map(|actor| AnySupervisor::of(system, &actor))
        .collect();
    roots.sort_by_key(AnySupervisor::id);
    roots
}
