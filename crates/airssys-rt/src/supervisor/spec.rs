//! Specifications: a supervisor's (strategy, intensity, children) and each child's (what the
//! supervisor starts, and how it treats it).

use std::any::{Any, TypeId};
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::{Child, Opened, StartResult, Supervise, Supervisor, SupervisorError};
use crate::actor::Actor;
use crate::registry::check_name;
use crate::system::{ActorSystem, SpawnOptions};
use crate::vocabulary::HealthCheck;

// Kept by the kernel and the vocabulary, which the tree reports to; named here as always.
pub use crate::vocabulary::ChildKind;

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
    /// [`ChildTemplate`] by [`SupervisorRef::start_dynamic`](super::SupervisorRef::start_dynamic);
    /// restarted one for one.
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
    /// Never; a supervisor with this setting refuses significant children (OTP's
    /// `bad_combination`).
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
    pub(super) strategy: Strategy,
    pub(super) max_restarts: u32,
    pub(super) period: Duration,
    pub(super) children: Vec<ChildSpec>,
    pub(super) auto_shutdown: AutoShutdown,
    pub(super) template: Option<ChildTemplate>,
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
    /// up. A `period` of zero is refused: the supervisor fails to start with
    /// [`InvalidPeriod`](SupervisorError::InvalidPeriod) (T20).
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

    /// Sets when the supervisor ends because its significant children did. A
    /// [`Strategy::SimpleOneForOne`] supervisor refuses any other than `Never`
    /// ([`AutoShutdownOfSimpleOneForOne`](SupervisorError::AutoShutdownOfSimpleOneForOne)), and
    /// one under `Never` refuses significant children (T17).
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

    /// Why a supervisor cannot start from this specification, if it cannot.
    pub(super) fn refusal(&self) -> Option<SupervisorError> {
        let dynamic = self.strategy == Strategy::SimpleOneForOne;
        if dynamic && (self.template.is_none() || !self.children.is_empty()) {
            return Some(SupervisorError::InvalidSpec(
                "simple_one_for_one needs a template and no static children",
            ));
        }
        if !dynamic && self.template.is_some() {
            return Some(SupervisorError::InvalidSpec("only simple_one_for_one takes a template"));
        }
        if let Some(refusal) = self.template.as_ref().and_then(ChildTemplate::refusal) {
            return Some(refusal);
        }
        if let Some(refusal) = self.children.iter().find_map(ChildSpec::refusal) {
            return Some(refusal);
        }
        // Two children with one id would share a crash-report path, and the calls that name
        // a child would reach only the first (OTP refuses `duplicate_child_name`).
        let mut ids = HashSet::with_capacity(self.children.len());
        if let Some(twice) = self.children.iter().find(|child| !ids.insert(&*child.id)) {
            return Some(SupervisorError::DuplicateChildId(Arc::clone(&twice.id)));
        }
        if self.period.is_zero() {
            return Some(SupervisorError::InvalidPeriod);
        }
        if dynamic && self.auto_shutdown != AutoShutdown::Never {
            return Some(SupervisorError::AutoShutdownOfSimpleOneForOne(self.auto_shutdown));
        }
        self.children.iter().find_map(|child| significance_refusal(self.auto_shutdown, child))
    }
}

/// Why a supervisor with this `auto_shutdown` cannot take `child`, if it cannot: a significant
/// child means something only when the supervisor may shut down for it (OTP's
/// `bad_combination`). At start and in `start_child`.
pub(super) fn significance_refusal(
    auto_shutdown: AutoShutdown,
    child: &ChildSpec,
) -> Option<SupervisorError> {
    (child.significant && auto_shutdown == AutoShutdown::Never)
        .then(|| SupervisorError::SignificantWithoutAutoShutdown(Arc::clone(&child.id)))
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

/// When a child that ended is started again.
///
/// ```
/// use airssys_rt::supervisor::Restart;
/// assert_eq!(Restart::default(), Restart::Permanent);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Restart {
    /// Always.
    #[default]
    Permanent,
    /// Only when it ended abnormally (any reason but `Normal` and `Shutdown`).
    Transient,
    /// Never; its specification is removed when it ends.
    Temporary,
}

/// How a supervisor stops a child.
///
/// ```
/// use airssys_rt::supervisor::Shutdown;
/// use std::time::Duration;
/// assert_eq!(Shutdown::default(), Shutdown::Timeout(Duration::from_secs(5)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// Kill it at once.
    BrutalKill,
    /// Stop it with `Shutdown`, and kill it if it has not ended within this time.
    Timeout(Duration),
    /// Stop it with `Shutdown` and wait as long as it takes (the default for a child
    /// supervisor, which needs the time to stop its own children).
    Infinity,
}

impl Default for Shutdown {
    /// Five seconds, as OTP's default for a worker.
    fn default() -> Self {
        Self::Timeout(Duration::from_secs(5))
    }
}

type StartFn =
    Arc<dyn Fn(ActorSystem) -> Pin<Box<dyn Future<Output = StartResult> + Send>> + Send + Sync>;

/// How to start one child, and how to treat it: OTP's child specification.
///
/// The start function runs again on every restart, so a restarted child starts from fresh
/// state with the same inputs.
///
/// The id names the child within its supervisor and in crash-report paths
/// (`root/pool/worker-3`): it must be a valid name
/// ([`check_name`](crate::registry::check_name)), else the supervisor refuses the child with
/// [`InvalidSpec`](super::SupervisorError::InvalidSpec).
///
/// ```
/// use airssys_rt::prelude::*;
/// use airssys_rt::supervisor::{ChildSpec, Restart, Shutdown};
/// # struct Cache;
/// # #[actor]
/// # impl Actor for Cache {
/// #     type Msg = (); type Reply = (); type Args = usize; type Error = std::convert::Infallible;
/// #     async fn pre_start(_: usize, _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Cache) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// let spec = ChildSpec::worker::<Cache>("cache", 1024)
///     .restart(Restart::Transient)
///     .shutdown(Shutdown::BrutalKill);
/// assert_eq!(spec.id(), "cache");
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    pub(crate) id: Arc<str>,
    /// `None` once a temporary child has started: it is never started again, and what its
    /// start function holds (its arguments) goes with it (OTP-16804).
    pub(crate) start: Option<StartFn>,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    pub(crate) kind: ChildKind,
    pub(crate) significant: bool,
    pub(crate) backoff: Option<Backoff>,
    pub(crate) health: Option<HealthCheck>,
    /// A child supervisor's specification, which its start function holds too; kept here
    /// so that a deep tree of specifications can be let go without recursion (T19).
    pub(crate) subtree: Option<Arc<SupervisorSpec>>,
    /// The actor type it starts, when known (not for a start function of your own): checked
    /// by `child_ref` while the child is not running.
    pub(crate) actor_type: Option<(TypeId, &'static str)>,
}

impl ChildSpec {
    /// A child started by a function of your own: it receives the system and returns the
    /// started child, `None` to be ignored, or an error.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use airssys_rt::supervisor::{Child, ChildSpec};
    /// # struct Worker;
    /// # #[actor]
    /// # impl Actor for Worker {
    /// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
    /// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
    /// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// let spec = ChildSpec::new("worker", |system: ActorSystem| async move {
    ///     let worker = system.spawn::<Worker>(()).await?;
    ///     Ok(Some(Child::from(worker)))
    /// });
    /// ```
    pub fn new<F, Fut>(id: impl Into<Arc<str>>, start: F) -> Self
    where
        F: Fn(ActorSystem) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = StartResult> + Send + 'static,
    {
        Self {
            id: id.into(),
            start: Some(Arc::new(move |system| Box::pin(start(system)))),
            restart: Restart::default(),
            shutdown: Shutdown::default(),
            kind: ChildKind::Worker,
            significant: false,
            backoff: None,
            health: None,
            subtree: None,
            actor_type: None,
        }
    }

    /// A worker of actor type `A`, started with a clone of `args` every time.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::ChildSpec;
    /// # fn spec<A: Actor<Args = u32>>() -> ChildSpec {
    /// ChildSpec::worker::<A>("counter", 0)
    /// # }
    /// ```
    pub fn worker<A>(id: impl Into<Arc<str>>, args: A::Args) -> Self
    where
        A: Actor,
        A::Args: Clone + Sync,
    {
        Self::worker_with::<A>(id, SpawnOptions::new(), args)
    }

    /// A worker of actor type `A` spawned with these options (a name, a mailbox).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::ChildSpec;
    /// # fn spec<A: Actor<Args = ()>>() -> ChildSpec {
    /// ChildSpec::worker_with::<A>("db", SpawnOptions::new().name("db"), ())
    /// # }
    /// ```
    pub fn worker_with<A>(id: impl Into<Arc<str>>, options: SpawnOptions, args: A::Args) -> Self
    where
        A: Actor,
        A::Args: Clone + Sync,
    {
        let mut child = Self::new(id, move |system: ActorSystem| {
            let options = options.clone();
            let args = args.clone();
            async move {
                let actor = system.spawn_with::<A>(options, args).await?;
                Ok(Some(Child::from(actor)))
            }
        });
        child.actor_type = Some(actor_type::<A>());
        child
    }

    /// A child supervisor with its own specification: a subtree. Its shutdown is
    /// [`Shutdown::Infinity`] unless set otherwise.
    ///
    /// ```
    /// use airssys_rt::supervisor::{ChildSpec, Strategy, SupervisorSpec};
    /// let subtree = ChildSpec::supervisor("pool", SupervisorSpec::new(Strategy::OneForAll));
    /// ```
    pub fn supervisor(id: impl Into<Arc<str>>, spec: SupervisorSpec) -> Self {
        let subtree = Arc::new(spec);
        let started = Arc::clone(&subtree);
        let mut child = Self::new(id, move |system: ActorSystem| {
            let spec = SupervisorSpec::clone(&started);
            async move {
                let supervisor = Supervisor::start(&system, spec).await?;
                Ok(Some(Child::from(supervisor.actor().clone())))
            }
        });
        child.subtree = Some(subtree);
        child.actor_type = Some(actor_type::<Supervisor>());
        child.kind = ChildKind::Supervisor;
        child.shutdown = Shutdown::Infinity;
        child
    }

    /// A child open supervisor of type `S` ([`Supervise`]), started with a clone of `args`
    /// every time: its [`init`](Supervise::init) runs at each start, and an
    /// [`Init::Ignore`](super::Init::Ignore) is recorded as a start function's `None` (the
    /// specification stays without a running child; a temporary one's goes). Its shutdown is
    /// [`Shutdown::Infinity`] unless set otherwise.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use airssys_rt::supervisor::{ChildSpec, Init, Strategy, Supervise, Supervisor, SupervisorSpec};
    /// struct Accounts;
    ///
    /// impl Supervise for Accounts {
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///     async fn init(_: (), _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
    ///         Ok(Init::Start(SupervisorSpec::new(Strategy::OneForOne), Accounts))
    ///     }
    /// }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let spec = SupervisorSpec::new(Strategy::OneForOne)
    ///     .child(ChildSpec::open_supervisor::<Accounts>("accounts", ()));
    /// let root = Supervisor::start(&system, spec).await?;
    /// let accounts = root.child::<Supervisor<Accounts>>("accounts").await?;
    /// assert!(accounts.is_some());
    /// # Ok(()) }
    /// ```
    pub fn open_supervisor<S>(id: impl Into<Arc<str>>, args: S::Args) -> Self
    where
        S: Supervise,
        S::Args: Clone + Sync,
    {
        let mut child = Self::new(id, move |system: ActorSystem| {
            let args = args.clone();
            async move {
                match Supervisor::<S>::start_open(&system, args).await? {
                    Opened::Started(supervisor) => {
                        Ok(Some(Child::from(supervisor.actor().clone())))
                    }
                    Opened::Ignored => Ok(None),
                }
            }
        });
        // Its type is known while it does not run, as a built-in child supervisor's (T25).
        child.actor_type = Some(actor_type::<Supervisor<S>>());
        child.kind = ChildKind::Supervisor;
        child.shutdown = Shutdown::Infinity;
        child
    }

    /// Sets when the child is restarted.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildSpec, Restart, Strategy, SupervisorSpec};
    /// let spec = ChildSpec::supervisor("s", SupervisorSpec::new(Strategy::OneForOne))
    ///     .restart(Restart::Temporary);
    /// ```
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildSpec, Shutdown, Strategy, SupervisorSpec};
    /// let spec = ChildSpec::supervisor("s", SupervisorSpec::new(Strategy::OneForOne))
    ///     .shutdown(Shutdown::BrutalKill);
    /// ```
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Says what kind of child the start function starts (a custom start of a supervisor).
    /// A [`ChildKind::Supervisor`] child is started from a task of its own, so that a tree of
    /// any depth starts without its levels adding up on one task's stack; declare a custom
    /// start of a supervisor so.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildKind, ChildSpec, Strategy, SupervisorSpec};
    /// let spec = ChildSpec::supervisor("s", SupervisorSpec::new(Strategy::OneForOne))
    ///     .kind(ChildKind::Supervisor);
    /// ```
    pub fn kind(mut self, kind: ChildKind) -> Self {
        self.kind = kind;
        self
    }

    /// Marks the child significant for its supervisor's [`AutoShutdown`](super::AutoShutdown):
    /// its ending on its own (without a restart) may end the supervisor. Only a transient or
    /// temporary child can be significant, under a supervisor whose `AutoShutdown` is not
    /// `Never`: a supervisor refuses a significant permanent one, and any significant one when
    /// it never shuts down by itself (T17).
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildSpec, Restart, Strategy, SupervisorSpec};
    /// let spec = ChildSpec::supervisor("job", SupervisorSpec::new(Strategy::OneForOne))
    ///     .restart(Restart::Transient)
    ///     .significant(true);
    /// ```
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Waits before each restart of this child, longer after each restart in a row (beyond
    /// OTP: a crash-looping dependency then does not spin the CPU). Restarts still count
    /// against the supervisor's intensity when they are decided.
    ///
    /// ```
    /// use std::time::Duration;
    /// # use airssys_rt::supervisor::{Backoff, ChildSpec, Strategy, SupervisorSpec};
    /// let spec = ChildSpec::supervisor("db", SupervisorSpec::new(Strategy::OneForOne))
    ///     .backoff(Backoff::exponential(Duration::from_millis(100), Duration::from_secs(10)));
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Has the supervisor probe the child as `check` says, and restart it after too many
    /// failed checks in a row (see [`crate::telemetry::health`]). Off by default.
    ///
    /// ```
    /// use std::time::Duration;
    /// use airssys_rt::monitoring::health::HealthCheck;
    /// # use airssys_rt::supervisor::{ChildSpec, Strategy, SupervisorSpec};
    /// let spec = ChildSpec::supervisor("db", SupervisorSpec::new(Strategy::OneForOne)).health_check(
    ///     HealthCheck::every(Duration::from_secs(5)).deadline(Duration::from_millis(500)).failures(2),
    /// );
    /// ```
    pub fn health_check(mut self, check: HealthCheck) -> Self {
        self.health = Some(check);
        self
    }

    /// The child's id within its supervisor.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildSpec, Strategy, SupervisorSpec};
    /// assert_eq!(ChildSpec::supervisor("s", SupervisorSpec::new(Strategy::OneForOne)).id(), "s");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Why a supervisor cannot take this child, if it cannot.
    ///
    /// The id is checked as a name is: it is a segment of the crash-report path of the child
    /// (`root/pool/worker-3`), which a `/` would make ambiguous.
    pub(crate) fn refusal(&self) -> Option<SupervisorError> {
        if let Err(problem) = check_name(&self.id) {
            return Some(SupervisorError::InvalidChildId { id: Arc::clone(&self.id), problem });
        }
        if self.significant && self.restart == Restart::Permanent {
            return Some(SupervisorError::InvalidSpec("a significant child cannot be permanent"));
        }
        None
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .field("significant", &self.significant)
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

/// How long a supervisor waits before restarting a child: exponential, capped, with jitter,
/// and back to the start once the child has run quietly for a while.
///
/// The `n`-th restart in a row waits `initial * 2^(n-1)`, at most `max`, then moved by up to
/// `jitter` of itself either way. A child that ran for `reset_after` before ending starts the
/// count again.
///
/// ```
/// use std::time::Duration;
/// use airssys_rt::supervisor::Backoff;
/// let backoff = Backoff::exponential(Duration::from_millis(10), Duration::from_secs(1))
///     .jitter(0.0)
///     .reset_after(Duration::from_secs(30));
/// assert_eq!(backoff.delay(1), Duration::from_millis(10));
/// assert_eq!(backoff.delay(3), Duration::from_millis(40));
/// assert_eq!(backoff.delay(20), Duration::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    jitter: f64,
    reset_after: Duration,
}

impl Backoff {
    /// Doubling from `initial` up to `max`, with 10% jitter, reset after 60 s of quiet.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::supervisor::Backoff;
    /// let backoff = Backoff::exponential(Duration::from_millis(50), Duration::from_secs(5));
    /// ```
    pub fn exponential(initial: Duration, max: Duration) -> Self {
        Self { initial, max, jitter: 0.1, reset_after: Duration::from_secs(60) }
    }

    /// Moves each delay by up to this share of itself, either way (clamped to 0..=1).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::supervisor::Backoff;
    /// let backoff = Backoff::exponential(Duration::from_millis(50), Duration::from_secs(5)).jitter(0.5);
    /// ```
    pub fn jitter(mut self, share: f64) -> Self {
        self.jitter = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
        self
    }

    /// How long a child must have run for its next restart to count as the first again.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::supervisor::Backoff;
    /// let backoff = Backoff::exponential(Duration::from_millis(50), Duration::from_secs(5))
    ///     .reset_after(Duration::from_secs(10));
    /// ```
    pub fn reset_after(mut self, quiet: Duration) -> Self {
        self.reset_after = quiet;
        self
    }

    /// The delay before the `restart`-th restart in a row (the first is 1), without jitter.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::supervisor::Backoff;
    /// let backoff = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(60));
    /// assert_eq!(backoff.delay(2), Duration::from_secs(2));
    /// ```
    pub fn delay(&self, restart: u32) -> Duration {
        let mut delay = self.initial;
        for _ in 1..restart {
            if delay >= self.max || delay.is_zero() {
                break;
            }
            delay = delay.saturating_mul(2);
        }
        delay.min(self.max)
    }

    pub(crate) fn jittered(&self, restart: u32) -> Duration {
        let delay = self.delay(restart);
        let factor = 1.0 + self.jitter * (2.0 * fastrand::f64() - 1.0);
        // Beyond what a `Duration` holds, the unjittered delay will do.
        Duration::try_from_secs_f64(delay.as_secs_f64() * factor).unwrap_or(delay)
    }

    pub(crate) fn resets_after(&self) -> Duration {
        self.reset_after
    }
}

fn actor_type<A: Actor>() -> (TypeId, &'static str) {
    (TypeId::of::<A>(), std::any::type_name::<A>())
}

/// Makes one dynamic child's specification from its id, its registered name if it has one,
/// and its arguments; hands the arguments back if they are of another type.
type Instantiate = Arc<
    dyn Fn(
            Arc<str>,
            Option<Arc<str>>,
            Box<dyn Any + Send>,
        ) -> Result<ChildSpec, Box<dyn Any + Send>>
        + Send
        + Sync,
>;

/// A dynamic child's name from its arguments: `None` if they are of another type.
type Namer = Arc<dyn Fn(&(dyn Any + Send)) -> Option<String> + Send + Sync>;

/// The template a [`Strategy::SimpleOneForOne`](super::Strategy::SimpleOneForOne) supervisor
/// makes its dynamic children from: each
/// [`start_dynamic`](super::SupervisorRef::start_dynamic) call gives the arguments of one more.
///
/// ```
/// use airssys_rt::prelude::*;
/// use airssys_rt::supervisor::{ChildTemplate, Restart};
/// # struct Conn;
/// # #[actor]
/// # impl Actor for Conn {
/// #     type Msg = (); type Reply = (); type Args = u16; type Error = std::convert::Infallible;
/// #     async fn pre_start(_: u16, _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Conn) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// let template = ChildTemplate::worker::<Conn>().restart(Restart::Transient);
/// ```
#[derive(Clone)]
pub struct ChildTemplate {
    pub(crate) instantiate: Instantiate,
    pub(crate) args_type: &'static str,
    pub(crate) args_type_id: TypeId,
    /// The actor type its children are of.
    pub(crate) actor_type: (TypeId, &'static str),
    /// Names each child from its arguments, with the argument type it takes.
    namer: Option<(Namer, TypeId)>,
    restart: Restart,
    shutdown: Shutdown,
    backoff: Option<Backoff>,
    health: Option<HealthCheck>,
}

impl ChildTemplate {
    /// Workers of actor type `A`, each started (and restarted) with the arguments given for
    /// it.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::ChildTemplate;
    /// # fn template<A: Actor<Args = String>>() -> ChildTemplate {
    /// ChildTemplate::worker::<A>()
    /// # }
    /// ```
    pub fn worker<A>() -> Self
    where
        A: Actor,
        A::Args: Clone + Sync,
    {
        Self {
            instantiate: Arc::new(|id, name, args| {
                let args =
                    args.downcast::<A::Args>().map_err(|args| args as Box<dyn Any + Send>)?;
                let options = match name {
                    Some(name) => SpawnOptions::new().name(name),
                    None => SpawnOptions::new(),
                };
                Ok(ChildSpec::worker_with::<A>(id, options, *args))
            }),
            args_type: std::any::type_name::<A::Args>(),
            args_type_id: TypeId::of::<A::Args>(),
            actor_type: actor_type::<A>(),
            namer: None,
            restart: Restart::default(),
            shutdown: Shutdown::default(),
            backoff: None,
            health: None,
        }
    }

    /// Names each dynamic child from its start arguments: the name is its child id, and the
    /// name it is registered under ([`registry`](crate::registry)), so that it can be found by
    /// [`child_ref`](super::SupervisorRef::child_ref),
    /// [`ensure_dynamic`](super::SupervisorRef::ensure_dynamic),
    /// [`lookup`](crate::ActorSystem::lookup) or [`named`](crate::ActorSystem::named) (T29).
    /// Without it, dynamic children get generated ids (`dynamic-1`, ...) and no name.
    ///
    /// The function takes the template's argument type; a supervisor given a template whose
    /// function takes another refuses to start with
    /// [`InvalidSpec`](super::SupervisorError::InvalidSpec).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::ChildTemplate;
    /// # fn template<A: Actor<Args = String>>() -> ChildTemplate {
    /// ChildTemplate::worker::<A>().named(|account: &String| format!("account-{account}"))
    /// # }
    /// ```
    pub fn named<T, F>(mut self, name: F) -> Self
    where
        T: 'static,
        F: Fn(&T) -> String + Send + Sync + 'static,
    {
        let namer: Namer = Arc::new(move |args: &(dyn Any + Send)| {
            let args: &dyn Any = args;
            args.downcast_ref::<T>().map(&name)
        });
        self.namer = Some((namer, TypeId::of::<T>()));
        self
    }

    /// Sets when the dynamic children are restarted.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{ChildTemplate, Restart};
    /// # fn template<A: Actor<Args = ()>>() -> ChildTemplate {
    /// ChildTemplate::worker::<A>().restart(Restart::Temporary)
    /// # }
    /// ```
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the dynamic children are stopped.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{ChildTemplate, Shutdown};
    /// # fn template<A: Actor<Args = ()>>() -> ChildTemplate {
    /// ChildTemplate::worker::<A>().shutdown(Shutdown::BrutalKill)
    /// # }
    /// ```
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Waits before each restart of a dynamic child, as [`ChildSpec::backoff`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Backoff, ChildTemplate};
    /// # fn template<A: Actor<Args = ()>>() -> ChildTemplate {
    /// ChildTemplate::worker::<A>()
    ///     .backoff(Backoff::exponential(Duration::from_millis(10), Duration::from_secs(1)))
    /// # }
    /// ```
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// Checks the health of every dynamic child, as [`ChildSpec::health_check`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::monitoring::health::HealthCheck;
    /// # use airssys_rt::supervisor::ChildTemplate;
    /// # fn template<A: Actor<Args = ()>>() -> ChildTemplate {
    /// ChildTemplate::worker::<A>().health_check(HealthCheck::every(Duration::from_secs(1)))
    /// # }
    /// ```
    pub fn health_check(mut self, check: HealthCheck) -> Self {
        self.health = Some(check);
        self
    }

    /// The name its naming function gives a child started with `args`: `Ok(None)` without
    /// one, `WrongArgs` if the arguments are not of the template's type.
    pub(crate) fn name_of(
        &self,
        args: &(dyn Any + Send),
    ) -> Result<Option<Arc<str>>, SupervisorError> {
        let Some((namer, _)) = &self.namer else {
            return Ok(None);
        };
        let wrong = || SupervisorError::WrongArgs { expected: self.args_type };
        namer(args).map(|name| Some(Arc::from(name))).ok_or_else(wrong)
    }

    /// Why a supervisor cannot take this template, if it cannot.
    fn refusal(&self) -> Option<SupervisorError> {
        let (_, takes) = self.namer.as_ref()?;
        (*takes != self.args_type_id).then_some(SupervisorError::InvalidSpec(
            "the template's naming function takes another type than its arguments",
        ))
    }

    /// The child specification of one dynamic child, registered under `name` if it has one,
    /// or the arguments back if they are not of the template's type.
    pub(crate) fn child(
        &self,
        id: Arc<str>,
        name: Option<Arc<str>>,
        args: Box<dyn Any + Send>,
    ) -> Result<ChildSpec, Box<dyn Any + Send>> {
        let spec = (self.instantiate)(id, name, args)?;
        let mut spec = spec.restart(self.restart).shutdown(self.shutdown);
        spec.backoff = self.backoff;
        spec.health = self.health;
        Ok(spec)
    }
}

impl fmt::Debug for ChildTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildTemplate")
            .field("actor", &self.actor_type.1)
            .field("args", &self.args_type)
            .field("named", &self.namer.is_some())
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("backoff", &self.backoff)
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}
