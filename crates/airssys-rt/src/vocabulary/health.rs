//! How healthy an actor is, and the report a supervision tree gives of it: the types the
//! kernel answers probes with, supervision records checks in and the telemetry reports. Taught
//! in [`telemetry::health`](crate::telemetry::health).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::tree;
use super::{ActorId, ChildKind, ExitReason};

/// What an actor says of itself when probed ([`Actor::health_check`](crate::Actor::health_check)).
///
/// ```
/// use airssys_rt::telemetry::health::Health;
/// assert!(Health::Healthy.is_healthy());
/// assert_eq!(Health::unhealthy("disk full").reason(), Some("disk full"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Health {
    /// Doing its work.
    #[default]
    Healthy,
    /// Doing its work, less well; not a failed check.
    Degraded(Arc<str>),
    /// Not doing its work: a failed check.
    Unhealthy(Arc<str>),
}

impl Health {
    /// Degraded, for this reason.
    ///
    /// ```
    /// # use airssys_rt::telemetry::health::Health;
    /// assert!(!Health::degraded("slow").is_healthy());
    /// ```
    pub fn degraded(reason: impl Into<Arc<str>>) -> Self {
        Self::Degraded(reason.into())
    }

    /// Unhealthy, for this reason.
    ///
    /// ```
    /// # use airssys_rt::telemetry::health::Health;
    /// assert!(matches!(Health::unhealthy("stuck"), Health::Unhealthy(_)));
    /// ```
    pub fn unhealthy(reason: impl Into<Arc<str>>) -> Self {
        Self::Unhealthy(reason.into())
    }

    /// Whether this is [`Health::Healthy`].
    ///
    /// ```
    /// # use airssys_rt::telemetry::health::Health;
    /// assert!(Health::default().is_healthy());
    /// ```
    pub fn is_healthy(&self) -> bool {
        matches!(self, Self::Healthy)
    }

    /// The reason given, if degraded or unhealthy.
    ///
    /// ```
    /// # use airssys_rt::telemetry::health::Health;
    /// assert_eq!(Health::degraded("slow").reason(), Some("slow"));
    /// ```
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Healthy => None,
            Self::Degraded(reason) | Self::Unhealthy(reason) => Some(reason),
        }
    }
}

/// How a supervisor checks one child: how often, how long it waits for an answer, and how many
/// failed checks in a row restart it. Off unless set on the child's specification
/// ([`ChildSpec::health_check`](crate::supervisor::ChildSpec::health_check)).
///
/// ```
/// use std::time::Duration;
/// use airssys_rt::telemetry::health::HealthCheck;
/// let check = HealthCheck::every(Duration::from_secs(5));
/// assert_eq!(check.deadline_time(), Duration::from_secs(5));
/// assert_eq!(check.max_failures(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HealthCheck {
    interval: Duration,
    deadline: Duration,
    failures: u32,
}

impl HealthCheck {
    /// A check every `interval` (at least 1 ms), waiting up to `interval` for an answer,
    /// restarting the child after 3 failures in a row.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::telemetry::health::HealthCheck;
    /// let check = HealthCheck::every(Duration::from_secs(30));
    /// assert_eq!(check.interval(), Duration::from_secs(30));
    /// ```
    pub fn every(interval: Duration) -> Self {
        let interval = interval.max(Duration::from_millis(1));
        Self { interval, deadline: interval, failures: 3 }
    }

    /// How long to wait for an answer before the check counts as failed (at least 1 ms).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::telemetry::health::HealthCheck;
    /// let check = HealthCheck::every(Duration::from_secs(30)).deadline(Duration::from_secs(2));
    /// assert_eq!(check.deadline_time(), Duration::from_secs(2));
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline.max(Duration::from_millis(1));
        self
    }

    /// How many failed checks in a row restart the child (at least 1).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::telemetry::health::HealthCheck;
    /// let check = HealthCheck::every(Duration::from_secs(30)).failures(0);
    /// assert_eq!(check.max_failures(), 1);
    /// ```
    pub fn failures(mut self, failures: u32) -> Self {
        self.failures = failures.max(1);
        self
    }

    /// The time between a check's outcome and the next probe.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::telemetry::health::HealthCheck;
    /// assert_eq!(HealthCheck::every(Duration::ZERO).interval(), Duration::from_millis(1));
    /// ```
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How long a probe waits for its answer.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::telemetry::health::HealthCheck;
    /// assert_eq!(HealthCheck::every(Duration::from_secs(1)).deadline_time(), Duration::from_secs(1));
    /// ```
    pub fn deadline_time(&self) -> Duration {
        self.deadline
    }

    /// How many failed checks in a row restart the child.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::telemetry::health::HealthCheck;
    /// assert_eq!(HealthCheck::every(Duration::from_secs(1)).failures(5).max_failures(), 5);
    /// ```
    pub fn max_failures(&self) -> u32 {
        self.failures
    }
}

/// The error in the [`ExitReason::Failed`](crate::ExitReason::Failed) a child is stopped with,
/// and restarted after, when it failed its health checks.
///
/// ```
/// use airssys_rt::telemetry::health::HealthCheckFailed;
/// use airssys_rt::ExitReason;
/// let reason = ExitReason::failed(HealthCheckFailed { failures: 3, last: "no answer within 1s".into() });
/// assert!(HealthCheckFailed::of(&reason).is_some());
/// assert_eq!(reason.to_string(), "failed: failed 3 health checks in a row (last: no answer within 1s)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("failed {failures} health checks in a row (last: {last})")]
pub struct HealthCheckFailed {
    /// The failed checks in a row.
    pub failures: u32,
    /// Why the last one failed.
    pub last: Arc<str>,
}

impl HealthCheckFailed {
    /// The health check failure an exit reason carries, if it is one.
    ///
    /// ```
    /// # use airssys_rt::telemetry::health::HealthCheckFailed;
    /// assert!(HealthCheckFailed::of(&airssys_rt::ExitReason::Normal).is_none());
    /// ```
    pub fn of(reason: &ExitReason) -> Option<&Self> {
        reason.error().and_then(|error| error.downcast_ref::<Self>())
    }
}

/// The state of one node of a [`HealthReport`].
///
/// ```
/// use airssys_rt::telemetry::health::HealthStatus;
/// assert!(HealthStatus::Healthy < HealthStatus::Degraded);
/// assert!(HealthStatus::Degraded < HealthStatus::Failed);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HealthStatus {
    /// Running, and so is everything below it.
    #[default]
    Healthy,
    /// Running, but something in or below it is wrong.
    Degraded,
    /// Not running: ended, given up, or waiting for a restart.
    Failed,
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Healthy => "healthy",
            Self::Degraded => "degraded",
            Self::Failed => "failed",
        })
    }
}

/// Why a node of a [`HealthReport`] is not healthy.
///
/// ```
/// use airssys_rt::telemetry::health::HealthIssue;
/// let issue = HealthIssue::FailingChecks { failures: 1, of: 3, last: "unhealthy: stuck".into() };
/// assert_eq!(issue.to_string(), "failed 1 of 3 health checks in a row (last: unhealthy: stuck)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HealthIssue {
    /// Its last check answered [`Health::Degraded`], with this reason.
    Degraded(Arc<str>),
    /// It failed its last `failures` checks; `of` in a row restart it.
    FailingChecks {
        /// Failed checks in a row.
        failures: u32,
        /// Failed checks in a row that restart it.
        of: u32,
        /// Why the last one failed.
        last: Arc<str>,
    },
    /// It waits for a restart (its backoff, or a start that failed).
    Restarting,
    /// The supervisor restarted children this many times within its intensity period.
    Restarted(usize),
    /// The supervisor does not run: it gave up, or ended.
    NotRunning,
    /// The supervisor runs but gave no answer within the system's
    /// [`ask_timeout`](crate::SystemBuilder::ask_timeout): it is stuck, in a request or in
    /// stopping a child.
    NotAnswering,
    /// One of its children is degraded or failed; the child's node says why.
    Child(Arc<str>),
    /// The system's [message budget](crate::SystemBuilder::message_budget) of this many
    /// messages was spent: sends to unbounded mailboxes were refused or shed, and are until
    /// three quarters of it are free again (B6).
    OverBudget {
        /// The budget, in messages.
        limit: usize,
    },
}

impl fmt::Display for HealthIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Degraded(reason) => write!(f, "degraded: {reason}"),
            Self::FailingChecks { failures, of, last } => {
                write!(f, "failed {failures} of {of} health checks in a row (last: {last})")
            }
            Self::Restarting => f.write_str("waiting for a restart"),
            Self::Restarted(count) => write!(f, "{count} restarts within the intensity period"),
            Self::NotRunning => f.write_str("not running"),
            Self::NotAnswering => f.write_str("not answering"),
            Self::Child(id) => write!(f, "child {id:?} is not healthy"),
            Self::OverBudget { limit } => {
                write!(f, "over the message budget of {limit} queued messages")
            }
        }
    }
}

/// One node of the supervision tree, as [`SupervisorRef::health`] reports it: a supervisor
/// with its children, or a worker.
///
/// ```
/// use airssys_rt::telemetry::health::{HealthReport, HealthStatus};
/// fn unhealthy(report: &HealthReport) -> Vec<String> {
///     let mut found = Vec::new();
///     report.walk(&mut |node| {
///         if node.status != HealthStatus::Healthy && node.children.is_empty() {
///             found.push(node.id.to_string());
///         }
///     });
///     found
/// }
/// ```
///
/// [`SupervisorRef::health`]: crate::supervisor::SupervisorRef::health
///
/// Cloning, comparing, showing (`Debug` lists the nodes depth first, each with its depth) and
/// dropping a report take the same stack at any depth of the tree.
#[derive(Eq)]
#[non_exhaustive]
pub struct HealthReport {
    /// The child id within its supervisor (empty for the supervisor asked).
    pub id: Arc<str>,
    /// The running actor, if any.
    pub actor: Option<ActorId>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// The rolled-up state: the worst of its own and of its children's (H7).
    pub status: HealthStatus,
    /// Why it is not healthy; empty if it is.
    pub issues: Vec<HealthIssue>,
    /// A supervisor's children, in start order.
    pub children: Vec<HealthReport>,
}

impl HealthReport {
    /// Calls `visit` on this node, then on every node below it, depth first.
    ///
    /// ```
    /// # use airssys_rt::telemetry::health::HealthReport;
    /// fn count(report: &HealthReport) -> usize {
    ///     let mut nodes = 0;
    ///     report.walk(&mut |_| nodes += 1);
    ///     nodes
    /// }
    /// ```
    pub fn walk(&self, visit: &mut impl FnMut(&HealthReport)) {
        // The nodes still to visit are kept here, not on the stack: a tree may be any depth.
        let mut pending = vec![self];
        while let Some(node) = pending.pop() {
            visit(node);
            pending.extend(node.children.iter().rev());
        }
    }

    /// A healthy node with no issues and no children: what a service that reports on its own
    /// actors (as a supervisor does on its children) starts from, before it
    /// [`flag`](Self::flag)s what it found.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// use airssys_rt::supervisor::ChildKind;
    /// use airssys_rt::telemetry::health::{HealthReport, HealthStatus};
    ///
    /// let node = HealthReport::new(Arc::from("cache"), None, ChildKind::Worker);
    /// assert_eq!(node.status, HealthStatus::Healthy);
    /// assert!(node.issues.is_empty() && node.children.is_empty());
    /// ```
    pub fn new(id: Arc<str>, actor: Option<ActorId>, kind: ChildKind) -> Self {
        Self {
            id,
            actor,
            kind,
            status: HealthStatus::Healthy,
            issues: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Adds an issue, raising the status to at least `status` (never lowering it).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// use airssys_rt::supervisor::ChildKind;
    /// use airssys_rt::telemetry::health::{HealthIssue, HealthReport, HealthStatus};
    ///
    /// let mut node = HealthReport::new(Arc::from("pool"), None, ChildKind::Supervisor);
    /// node.flag(HealthStatus::Failed, HealthIssue::NotRunning);
    /// node.flag(HealthStatus::Degraded, HealthIssue::Child(Arc::from("worker-1")));
    /// assert_eq!(node.status, HealthStatus::Failed);
    /// assert_eq!(node.issues.len(), 2);
    /// ```
    pub fn flag(&mut self, status: HealthStatus, issue: HealthIssue) {
        self.status = self.status.max(status);
        self.issues.push(issue);
    }

    /// Adds a child's node, rolling its state up (H7): a degraded or failed child makes its
    /// supervisor degraded, never failed, since the supervisor still stands and repairs it.
    pub(crate) fn adopt(&mut self, child: HealthReport) {
        if child.status != HealthStatus::Healthy {
            self.flag(HealthStatus::Degraded, HealthIssue::Child(Arc::clone(&child.id)));
        }
        self.children.push(child);
    }
}

impl tree::Node for HealthReport {
    const NAME: &'static str = "HealthReport";

    fn children(&self) -> &[Self] {
        &self.children
    }

    fn children_mut(&mut self) -> &mut Vec<Self> {
        &mut self.children
    }

    fn bare(&self) -> Self {
        Self {
            id: Arc::clone(&self.id),
            actor: self.actor,
            kind: self.kind,
            status: self.status,
            issues: self.issues.clone(),
            children: Vec::with_capacity(self.children.len()),
        }
    }

    fn same(&self, other: &Self) -> bool {
        (&self.id, self.actor, self.kind, self.status, &self.issues)
            == (&other.id, other.actor, other.kind, other.status, &other.issues)
    }

    fn fields(&self, shown: &mut fmt::DebugStruct<'_, '_>) {
        shown
            .field("id", &self.id)
            .field("actor", &self.actor)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("issues", &self.issues);
    }
}

// Not derived: the derived impls recurse by level (T19).
impl Clone for HealthReport {
    fn clone(&self) -> Self {
        tree::copy(self)
    }
}

impl PartialEq for HealthReport {
    fn eq(&self, other: &Self) -> bool {
        tree::equal(self, other)
    }
}

impl fmt::Debug for HealthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        tree::show(self, f)
    }
}

impl Drop for HealthReport {
    fn drop(&mut self) {
        tree::let_go(self);
    }
}

impl fmt::Display for HealthReport {
    /// One line per node, indented by depth: `id: status (issues)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Depth first from a list of nodes still to write, not by recursion: a tree may be
        // any depth.
        let mut pending = vec![(self, 0)];
        while let Some((node, depth)) = pending.pop() {
            let id = if node.id.is_empty() { "supervisor" } else { &node.id };
            write!(f, "{:indent$}{id}: {}", "", node.status, indent = depth * 2)?;
            let own: Vec<String> = node
                .issues
                .iter()
                .filter(|issue| !matches!(issue, HealthIssue::Child(_)))
                .map(ToString::to_string)
                .collect();
            if !own.is_empty() {
                write!(f, " ({})", own.join("; "))?;
            }
            writeln!(f)?;
            pending.extend(node.children.iter().rev().map(|child| (child, depth + 1)));
        }
        Ok(())
    }
}
