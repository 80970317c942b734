//! Pools: workers started under a supervisor, and the table a router reads.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use super::table::{KeyFn, Rule, Table};
use super::{Router, Routing};
use crate::actor::{Accepts, Actor, ActorRef, Classic, ExitReason};
use crate::mailbox::MailboxConfig;
use crate::supervisor::{
    Child, ChildKind, ChildSpec, Shutdown, Strategy, Supervisor, SupervisorError, SupervisorRef,
    SupervisorSpec,
};
use crate::system::{ActorSystem, SpawnError, SpawnOptions};

/// How to start a [`Pool`]: how many workers, their start arguments, the routing, and how the
/// pool's supervisor treats them.
///
/// `M` is the message type the pool's [`Router`] routes; for a classic actor, its `type Msg`.
///
/// ```
/// use std::time::Duration;
/// use airssys_rt::mailbox::MailboxConfig;
/// use airssys_rt::router::{PoolSpec, Routing};
/// # use airssys_rt::prelude::*;
/// # struct Worker;
/// # #[actor]
/// # impl Actor for Worker {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// let spec = PoolSpec::<Worker>::new(8, ())
///     .routing(Routing::LeastLoaded)
///     .mailbox(MailboxConfig::bounded(256))
///     .intensity(10, Duration::from_secs(1));
/// assert_eq!(spec.size(), 8);
/// ```
pub struct PoolSpec<A, M = <A as Classic>::Msg>
where
    A: Accepts<M>,
    M: Send + 'static,
{
    size: usize,
    args: A::Args,
    routing: Routing,
    rule: Option<Rule<M>>,
    mailbox: Option<MailboxConfig>,
    max_restarts: u32,
    period: Duration,
    shutdown: Shutdown,
}

impl<A, M> PoolSpec<A, M>
where
    A: Accepts<M>,
    M: Send + 'static,
    A::Args: Clone + Sync,
{
    /// `size` workers, each started (and restarted) with a clone of `args`; round robin;
    /// the system's default mailbox; worker shutdown 5 s; and an intensity of `size` restarts
    /// (at least 1) in 5 s.
    ///
    /// That intensity is OTP's default (1 restart in 5 s) for each worker rather than for the
    /// whole pool: a supervisor counts the restarts of all its children together, so OTP's
    /// default would make a pool give up (and, started on its own, end for good) as soon as
    /// two of its workers crashed once each within 5 s. A worker that keeps crashing still
    /// exhausts it quickly. It is fixed when the pool starts; a resize does not change it. Set
    /// another with [`intensity`](Self::intensity).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::PoolSpec;
    /// # fn spec<A: Accepts<u64, Args = String>>() -> PoolSpec<A, u64> {
    /// PoolSpec::new(4, "postgres://db".to_string())
    /// # }
    /// ```
    pub fn new(size: usize, args: A::Args) -> Self {
        let supervisor = SupervisorSpec::new(Strategy::OneForOne);
        Self {
            size,
            args,
            routing: Routing::RoundRobin,
            rule: Some(Rule::RoundRobin),
            mailbox: None,
            max_restarts: u32::try_from(size).unwrap_or(u32::MAX).max(supervisor.max_restarts()),
            period: supervisor.period(),
            shutdown: Shutdown::default(),
        }
    }

    /// Sets the routing. [`Routing::ConsistentHash`] and [`Routing::Broadcast`] need more:
    /// naming them here without [`consistent_hash`](Self::consistent_hash) or
    /// [`broadcast`](Self::broadcast) makes [`Pool::start`] fail with
    /// [`PoolError::InvalidSpec`].
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::{PoolSpec, Routing};
    /// # fn spec<A: Accepts<u64, Args = ()>>() -> PoolSpec<A, u64> {
    /// PoolSpec::new(4, ()).routing(Routing::Random)
    /// # }
    /// ```
    pub fn routing(mut self, routing: Routing) -> Self {
        self.routing = routing;
        self.rule = match routing {
            Routing::RoundRobin => Some(Rule::RoundRobin),
            Routing::Random => Some(Rule::Random),
            Routing::LeastLoaded => Some(Rule::LeastLoaded),
            Routing::ConsistentHash | Routing::Broadcast => None,
        };
        self
    }

    /// Routes by consistent hashing of a key taken from each message: messages with equal keys
    /// go to the same slot while the pool's size stays the same, and a resize moves only the
    /// keys of the slots added or removed.
    ///
    /// The key is hashed with a fixed hasher, so slots are the same in every run of one build.
    /// If the key's slot holds a worker that has just ended, the message goes to the next live
    /// slot until the successor is in place.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::PoolSpec;
    /// struct Order { customer: u64, item: String }
    /// # fn spec<A: Accepts<Order, Args = ()>>() -> PoolSpec<A, Order> {
    /// PoolSpec::new(4, ()).consistent_hash(|order: &Order| order.customer)
    /// # }
    /// ```
    pub fn consistent_hash<K, F>(mut self, key: F) -> Self
    where
        K: Hash,
        F: Fn(&M) -> K + Send + Sync + 'static,
    {
        let hashed: KeyFn<M> = Arc::new(move |msg| {
            let mut hasher = DefaultHasher::new();
            key(msg).hash(&mut hasher);
            hasher.finish()
        });
        self.routing = Routing::ConsistentHash;
        self.rule = Some(Rule::ConsistentHash(hashed));
        self
    }

    /// Sends every message to every worker: `tell` sends a copy to each, `ask` asks each and
    /// returns the first reply.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::PoolSpec;
    /// # fn spec<A: Accepts<String, Args = ()>>() -> PoolSpec<A, String> {
    /// PoolSpec::new(3, ()).broadcast()
    /// # }
    /// ```
    pub fn broadcast(mut self) -> Self
    where
        M: Clone,
    {
        self.routing = Routing::Broadcast;
        self.rule = Some(Rule::Broadcast(<M as Clone>::clone));
        self
    }

    /// Each worker's mailbox (the system's default mailbox otherwise).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::PoolSpec;
    /// # fn spec<A: Accepts<u64, Args = ()>>() -> PoolSpec<A, u64> {
    /// PoolSpec::new(2, ()).mailbox(MailboxConfig::bounded(16).overflow(OverflowPolicy::Reject))
    /// # }
    /// ```
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.mailbox = Some(mailbox);
        self
    }

    /// At most `max_restarts` worker restarts within any `period`; one more and the pool's
    /// supervisor gives up, stopping every worker. A `period` of zero is refused, as by any
    /// supervisor (T20): the pool's start fails with its supervisor's `InvalidPeriod`.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::PoolSpec;
    /// # fn spec<A: Accepts<u64, Args = ()>>() -> PoolSpec<A, u64> {
    /// PoolSpec::new(2, ()).intensity(5, std::time::Duration::from_secs(10))
    /// # }
    /// ```
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.period = period;
        self
    }

    /// How the supervisor stops a worker (on a shrink, a pool stop).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::PoolSpec;
    /// # use airssys_rt::supervisor::Shutdown;
    /// # fn spec<A: Accepts<u64, Args = ()>>() -> PoolSpec<A, u64> {
    /// PoolSpec::new(2, ()).worker_shutdown(Shutdown::BrutalKill)
    /// # }
    /// ```
    pub fn worker_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// How many workers the pool starts with.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::PoolSpec;
    /// # fn size<A: Accepts<u64, Args = ()>>(spec: &PoolSpec<A, u64>) -> usize { spec.size() }
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }
}

impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for PoolSpec<A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolSpec")
            .field("size", &self.size)
            .field("routing", &self.routing)
            .field("mailbox", &self.mailbox)
            .field("max_restarts", &self.max_restarts)
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

/// Why a pool could not start or resize.
///
/// ```
/// use airssys_rt::router::PoolError;
/// let error = PoolError::InvalidSpec("no key");
/// assert_eq!(error.to_string(), "invalid pool specification: no key");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The specification cannot be used: the reason says why.
    #[error("invalid pool specification: {0}")]
    InvalidSpec(&'static str),
    /// The pool's supervisor, or one of its workers, failed to start.
    #[error("the pool failed to start: {0}")]
    StartFailed(#[from] SpawnError),
    /// The pool's supervisor refused a resize, or has ended.
    #[error("the pool's supervisor: {0}")]
    Supervisor(#[from] SupervisorError),
}

/// Starts a worker in its slot, again on every restart.
struct Workers<A: Actor, M> {
    args: A::Args,
    /// The workers' mailbox; the system's default if `None`.
    mailbox: Option<MailboxConfig>,
    shutdown: Shutdown,
    table: Arc<Table<ActorRef<A>, M>>,
}

impl<A, M> Workers<A, M>
where
    A: Accepts<M>,
    M: Send + 'static,
    A::Args: Clone + Sync,
{
    fn child_spec(self: &Arc<Self>, slot: usize) -> ChildSpec {
        let workers = Arc::clone(self);
        ChildSpec::new(worker_id(slot), move |system: ActorSystem| {
            let workers = Arc::clone(&workers);
            async move {
                let options = SpawnOptions::new().mailbox(workers.mailbox(&system));
                let worker = system.spawn_with::<A>(options, workers.args.clone()).await?;
                workers.table.install(slot, &worker);
                Ok(Some(Child::from(worker)))
            }
        })
        .shutdown(self.shutdown)
    }

    fn mailbox(&self, system: &ActorSystem) -> MailboxConfig {
        self.mailbox.unwrap_or_else(|| system.config().mailbox())
    }

    /// Readies the table for the pool's supervisor to start `size` workers.
    fn reset(&self, system: &ActorSystem, size: usize) {
        self.table.reset(size, &self.mailbox(system), system.config().ask_timeout());
    }

    /// Empties the table when the pool's supervisor ends, however it ends (stopped, giving
    /// up, its last handle gone): routers then let go of the ended workers at once. Runs
    /// before the end is announced, so before a parent starts the pool again.
    fn empty_when_ended(&self, supervisor: &SupervisorRef) {
        let table = Arc::downgrade(&self.table);
        let empty = move || {
            if let Some(table) = table.upgrade() {
                table.admit(0);
            }
        };
        if let Err(refused) = supervisor.actor().erase().on_end(empty) {
            // It has ended already: there is nobody left to route to.
            (refused.into_hook())();
        }
    }
}

/// What a pool is made of before it starts: its workers, and its supervisor's specification.
struct Plan<A: Actor, M> {
    workers: Arc<Workers<A, M>>,
    supervisor: SupervisorSpec,
    size: usize,
}

impl<A, M> PoolSpec<A, M>
where
    A: Accepts<M>,
    M: Send + 'static,
    A::Args: Clone + Sync,
{
    fn plan(self) -> Result<Plan<A, M>, PoolError> {
        let rule = match (self.rule, self.routing) {
            (Some(rule), _) => rule,
            (None, Routing::ConsistentHash) => {
                return Err(PoolError::InvalidSpec(
                    "consistent hashing needs a key: use PoolSpec::consistent_hash",
                ))
            }
            (None, _) => {
                return Err(PoolError::InvalidSpec(
                    "broadcast needs messages that can be copied: use PoolSpec::broadcast",
                ))
            }
        };
        let workers = Arc::new(Workers {
            args: self.args,
            mailbox: self.mailbox,
            shutdown: self.shutdown,
            table: Arc::new(Table::new(rule)),
        });
        let mut supervisor =
            SupervisorSpec::new(Strategy::OneForOne).intensity(self.max_restarts, self.period);
        for slot in 0..self.size {
            supervisor = supervisor.child(workers.child_spec(slot));
        }
        Ok(Plan { workers, supervisor, size: self.size })
    }
}

fn worker_id(slot: usize) -> String {
    format!("worker-{slot}")
}

/// `N` workers of actor type `A` under a supervisor, and the [`Router`] that reaches them.
///
/// Worker `i` is the supervisor's child `"worker-i"`; the supervisor restarts it (one for
/// one, permanent) into the same slot. `M` is the message type its [`Router`] routes; for a
/// classic actor, its `type Msg`.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::router::{Pool, PoolSpec};
/// # struct Worker;
/// # #[actor]
/// # impl Actor for Worker {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let pool = Pool::<Worker>::start(&system, PoolSpec::new(3, ())).await?;
/// assert_eq!(pool.supervisor().count_children().await?.active, 3);
/// pool.resize(5).await?;
/// assert_eq!(pool.router().size(), 5);
/// # Ok(()) }
/// ```
pub struct Pool<A, M = <A as Classic>::Msg>
where
    A: Accepts<M>,
    M: Send + 'static,
{
    router: Router<A, M>,
    supervisor: SupervisorRef,
    workers: Arc<Workers<A, M>>,
    resizing: tokio::sync::Mutex<()>,
}

impl<A, M> Pool<A, M>
where
    A: Accepts<M>,
    M: Send + 'static,
    A::Args: Clone + Sync,
{
    /// Starts the pool's supervisor and its workers, in slot order; fails, with every worker
    /// started so far stopped again, if one of them fails to start.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::{Pool, PoolSpec};
    /// # async fn start<A: Accepts<u64, Args = ()>>(system: &ActorSystem) -> Result<(), airssys_rt::router::PoolError> {
    /// let pool = Pool::<A, u64>::start(system, PoolSpec::new(4, ())).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start(system: &ActorSystem, spec: PoolSpec<A, M>) -> Result<Self, PoolError> {
        let Plan { workers, supervisor, size } = spec.plan()?;
        workers.reset(system, size);
        let supervisor = Supervisor::start(system, supervisor).await?;
        workers.empty_when_ended(&supervisor);
        Ok(Self {
            router: Router::new(Arc::clone(&workers.table), Some(supervisor.clone())),
            supervisor,
            workers,
            resizing: tokio::sync::Mutex::new(()),
        })
    }

    /// A pool as a child of a supervisor of your own: the child specification of the pool's
    /// supervisor (a [`ChildKind::Supervisor`](crate::supervisor::ChildKind::Supervisor)
    /// child, shut down with [`Shutdown::Infinity`]), and a router to whichever pool it runs.
    ///
    /// When the parent restarts the pool, the new pool starts its workers into the same slots:
    /// the router reaches them as they start, and hands messages back meanwhile (R9). Such a
    /// pool has no [`Pool`] handle, so it keeps its size; the parent, not the router, keeps it
    /// running.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::{Pool, PoolSpec};
    /// # use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    /// # struct Worker;
    /// # #[actor]
    /// # impl Actor for Worker {
    /// #     type Msg = u8; type Reply = u8; type Args = (); type Error = std::convert::Infallible;
    /// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let (pool, router) = Pool::<Worker>::child_spec("workers", PoolSpec::new(2, ()))?;
    /// let root = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne).child(pool)).await?;
    /// assert_eq!(router.ask(7).await?, 7);
    /// # Ok(()) }
    /// ```
    pub fn child_spec(
        id: impl Into<Arc<str>>,
        spec: PoolSpec<A, M>,
    ) -> Result<(ChildSpec, Router<A, M>), PoolError> {
        let Plan { workers, supervisor, size } = spec.plan()?;
        let router = Router::new(Arc::clone(&workers.table), None);
        let child = ChildSpec::new(id, move |system: ActorSystem| {
            let workers = Arc::clone(&workers);
            let supervisor = supervisor.clone();
            async move {
                workers.reset(&system, size);
                let pool = Supervisor::start(&system, supervisor).await?;
                workers.empty_when_ended(&pool);
                Ok(Some(Child::from(pool.actor().clone())))
            }
        })
        .kind(ChildKind::Supervisor)
        .shutdown(Shutdown::Infinity);
        Ok((child, router))
    }

    /// The router to the pool's workers; clone it to share it.
    ///
    /// ```
    /// # use airssys_rt::router::{Pool, Router};
    /// # fn share<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(pool: &Pool<A, M>) -> Router<A, M> where A::Args: Clone + Sync { pool.router().clone() }
    /// ```
    pub fn router(&self) -> &Router<A, M> {
        &self.router
    }

    /// The pool's supervisor, for its administration calls.
    ///
    /// ```
    /// # use airssys_rt::router::Pool;
    /// # fn id<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(pool: &Pool<A, M>) -> airssys_rt::ActorId where A::Args: Clone + Sync { pool.supervisor().actor().id() }
    /// ```
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.supervisor
    }

    /// How many worker slots the pool has: its size since it started or last resized, or the
    /// size it is being resized to.
    ///
    /// ```
    /// # use airssys_rt::router::Pool;
    /// # fn size<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(pool: &Pool<A, M>) -> usize where A::Args: Clone + Sync { pool.size() }
    /// ```
    pub fn size(&self) -> usize {
        self.workers.table.admitted()
    }

    /// Grows or shrinks the pool to `size` workers; resizes run one at a time.
    ///
    /// Growing starts the new slots' workers, in slot order, as children of the supervisor;
    /// each joins the routing once started. If one fails to start, the pool keeps the slots
    /// started before it and the error is returned.
    ///
    /// Shrinking takes the highest slots out of the routing at once, then has the supervisor
    /// stop each of their workers (highest slot first, as its shutdown says) and delete its
    /// specification. Messages still queued in those workers become dead letters.
    ///
    /// ```
    /// # use airssys_rt::router::{Pool, PoolError};
    /// # async fn scale<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(pool: &Pool<A, M>) -> Result<(), PoolError> where A::Args: Clone + Sync {
    /// pool.resize(16).await?;
    /// pool.resize(4).await?;
    /// # Ok(()) }
    /// ```
    pub async fn resize(&self, size: usize) -> Result<(), PoolError> {
        let _one_at_a_time = self.resizing.lock().await;
        let table = &self.workers.table;
        let current = table.admitted();
        if size >= current {
            table.admit(size);
            for slot in current..size {
                if let Err(error) = self.supervisor.start_child(self.workers.child_spec(slot)).await
                {
                    table.admit(slot);
                    return Err(error.into());
                }
            }
            return Ok(());
        }
        table.admit(size);
        for slot in (size..current).rev() {
            let id = worker_id(slot);
            self.supervisor.terminate_child(&id).await?;
            self.supervisor.delete_child(&id).await?;
        }
        Ok(())
    }

    /// Stops the pool: its supervisor stops every worker (messages still queued in them become
    /// dead letters) and ends with `Shutdown`. Routers to it hand messages back from then on.
    /// Returns the supervisor's exit reason.
    ///
    /// ```
    /// # use airssys_rt::router::Pool;
    /// # async fn done<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(pool: Pool<A, M>) where A::Args: Clone + Sync {
    /// pool.stop().await;
    /// # }
    /// ```
    pub async fn stop(&self) -> ExitReason {
        let supervisor = self.supervisor.actor();
        supervisor.stop_with(ExitReason::Shutdown);
        supervisor.wait_for_exit().await
    }
}

impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for Pool<A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("supervisor", &self.supervisor.actor().id())
            .field("router", &self.router)
            .finish()
    }
}
