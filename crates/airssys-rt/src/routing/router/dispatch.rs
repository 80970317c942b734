//! The router: one handle in front of a pool's workers, sending each message to the one the
//! routing picks.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use super::send::{routed_ask, RoutedTell};
use super::table::{Rule, Table};
use crate::kernel::actor::{Accepts, Actor, ActorRef, Classic};
use crate::kernel::message::{AskError, SendError};
use crate::supervisor::SupervisorRef;

/// How a [`Router`] (or a [`Group`](crate::router::Group)) picks the worker for a message.
///
/// [`ConsistentHash`](Routing::ConsistentHash) and [`Broadcast`](Routing::Broadcast) need more
/// than a name (a key, a way to copy messages): set them with [`crate::router::PoolSpec::consistent_hash`] and
/// [`crate::router::PoolSpec::broadcast`] (for a group,
/// [`crate::router::Group::consistent_hash`] and [`crate::router::Group::broadcasting`]).
///
/// ```
/// use airssys_rt::router::Routing;
/// assert_eq!(Routing::default(), Routing::RoundRobin);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Routing {
    /// The workers in turn, by slot: message `k` from a lone sender goes to slot `k mod N`.
    #[default]
    RoundRobin,
    /// A worker drawn uniformly at random.
    Random,
    /// The worker with the fewest messages waiting in its mailbox (the message it is handling
    /// does not count); ties go to the workers in turn.
    LeastLoaded,
    /// The slot that the message's key hashes to, with jump consistent hashing.
    ConsistentHash,
    /// Every worker gets a copy.
    Broadcast,
}

/// A handle that routes messages to the workers of a [`crate::router::Pool`].
///
/// Cloning is cheap. A router keeps its pool running (see the [module docs](crate::router)): a pool
/// whose workers keep a router to it runs until it is [stopped](crate::router::Pool::stop), even once every
/// other handle is gone.
///
/// A router routes one message type `M` that its workers handle (`A: Accepts<M>`): its sends
/// take an `M`, hand an `M` back when no worker takes it, and an ask returns the reply the
/// workers give to an `M`. For a classic actor (one `type Msg`), `M` is that type, so
/// `Router<A>` names its router; the router of an actor with several message types names the
/// one it routes, as in `Router<A, Job>`.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::router::Router;
/// # async fn send(router: Router<impl Accepts<u64, Reply = u64>, u64>) -> Result<(), Box<dyn std::error::Error>> {
/// router.tell(1).await?;
/// let reply = router.ask(2).await?;
/// # Ok(()) }
/// ```
pub struct Router<A, M = <A as Classic>::Msg>
where
    A: Accepts<M>,
    M: Send + 'static,
{
    inner: Arc<Inner<A, M>>,
}

struct Inner<A: Actor, M> {
    table: Arc<Table<ActorRef<A>, M>>,
    /// Keeps the pool's supervisor running while a router to it exists; `None` for a pool in
    /// a user's tree, which its parent supervisor keeps.
    _supervisor: Option<SupervisorRef>,
}

impl<A: Accepts<M>, M: Send + 'static> Router<A, M> {
    pub(super) fn new(
        table: Arc<Table<ActorRef<A>, M>>,
        supervisor: Option<SupervisorRef>,
    ) -> Self {
        Self { inner: Arc::new(Inner { table, _supervisor: supervisor }) }
    }

    fn table(&self) -> &Table<ActorRef<A>, M> {
        &self.inner.table
    }

    /// How the router picks workers.
    ///
    /// ```
    /// # use airssys_rt::router::{Router, Routing};
    /// # fn show<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(router: &Router<A, M>) -> Routing { router.routing() }
    /// ```
    pub fn routing(&self) -> Routing {
        self.table().routing()
    }

    /// How many worker slots the pool has.
    ///
    /// ```
    /// # fn size<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(router: &airssys_rt::router::Router<A, M>) -> usize { router.size() }
    /// ```
    pub fn size(&self) -> usize {
        self.table().workers().len()
    }

    /// The worker in each slot, in slot order. A worker that has just crashed stays listed
    /// (ended) until its successor takes its slot.
    ///
    /// ```
    /// # fn alive<A: airssys_rt::actor::Accepts<M>, M: Send + 'static>(router: &airssys_rt::router::Router<A, M>) -> usize {
    /// router.workers().iter().filter(|worker| worker.is_alive()).count()
    /// # }
    /// ```
    pub fn workers(&self) -> Vec<ActorRef<A>> {
        self.table().workers().to_vec()
    }

    /// Sends a message to the worker the routing picks (to every worker under
    /// [`Routing::Broadcast`], as [`broadcast`](Self::broadcast) does), without waiting for it
    /// to be handled.
    ///
    /// Waits only while the chosen worker's bounded mailbox is full under
    /// [`OverflowPolicy::Wait`](crate::mailbox::OverflowPolicy::Wait), or for at most the time
    /// [`RouterTell::timeout`] gives. Fails, with the message handed back, when no worker takes
    /// messages ([`SendError::Closed`]), the chosen one is full under `Reject`, or the timeout
    /// passed before it had room ([`SendError::Full`]). A tell dropped before its message is
    /// queued makes it a [dead letter](crate::dead_letter) with reason
    /// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn send(router: airssys_rt::router::Router<impl Accepts<String>, String>) {
    /// if let Err(error) = router.tell("job".to_string()).await {
    ///     eprintln!("no worker took it: {}", error.into_inner());
    /// }
    /// if let Err(error) = router.tell("urgent".to_string()).timeout(Duration::from_millis(10)).await {
    ///     eprintln!("no room within 10 ms: {}", error.into_inner());
    /// }
    /// # }
    /// ```
    pub fn tell(&self, msg: M) -> RouterTell<'_, A, M> {
        RouterTell { router: self, msg, timeout: None }
    }

    /// Sends a message if the chosen worker can queue it at once; never waits.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn send(router: &airssys_rt::router::Router<impl Accepts<u64>, u64>) {
    /// match router.try_tell(7) {
    ///     Ok(()) => {}
    ///     Err(SendError::Full(n)) => println!("busy, keeping {n}"),
    ///     Err(SendError::Closed(n)) => println!("no worker, keeping {n}"),
    /// }
    /// # }
    /// ```
    pub fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        let table = self.table();
        if let Rule::Broadcast(copy) = table.rule() {
            return table.try_broadcast(*copy, msg).map(drop);
        }
        table.offer(msg).map_err(super::table::Refused::into_send_error)
    }

    /// Sends a request to the worker the routing picks and waits for its reply. A worker that
    /// has ended is skipped, and so is the worker asking, from its own handler, which could
    /// not answer (`CallingSelf` only if no other worker takes the request).
    ///
    /// Times out after the system's ask timeout unless [`RouterAsk::timeout`] says otherwise;
    /// the timeout covers the whole call, retries on other workers included. Under
    /// [`Routing::Broadcast`], every live worker gets the request and the first successful
    /// reply is returned (the others are discarded) once every copy is queued; a copy that a
    /// full mailbox refused is a [dead letter](crate::dead_letter). If no worker answers, the
    /// last error is returned.
    ///
    /// # Panics
    ///
    /// When awaited outside a Tokio runtime with its timer enabled, as
    /// [`ActorRef::ask`](crate::ActorRef::ask): the timeout needs Tokio's clock.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn call(router: airssys_rt::router::Router<impl Accepts<u8, Reply = u8>, u8>) -> Result<(), AskError<u8>> {
    /// let reply = router.ask(1).await?;
    /// let quick = router.ask(2).timeout(Duration::from_millis(100)).await?;
    /// # Ok(()) }
    /// ```
    pub fn ask(&self, msg: M) -> RouterAsk<'_, A, M> {
        RouterAsk { router: self, msg, timeout: self.table().ask_timeout() }
    }

    /// Sends a copy of the message to every live worker, whatever the routing; returns how
    /// many queued it.
    ///
    /// Waits for room in a full `Wait` mailbox, as `tell` does. A worker that has ended gets no
    /// copy. A copy refused by a full `Reject` mailbox has no sender to go back to: it is a
    /// [dead letter](crate::dead_letter) with reason
    /// [`DroppedNewest`](crate::dead_letter::DeadLetterReason::DroppedNewest), not counted as
    /// queued. Fails, with the message handed back, only when no worker queued it; then no
    /// copy is a dead letter. Dropped before every copy is sent (even before its first poll),
    /// it makes those not sent dead letters with reason
    /// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled), as a tell does.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn flush(router: airssys_rt::router::Router<impl Accepts<&'static str>, &'static str>) {
    /// let reached = router.broadcast("flush").await.unwrap_or(0);
    /// # }
    /// ```
    pub fn broadcast(&self, msg: M) -> impl Future<Output = Result<usize, SendError<M>>> + Send + '_
    where
        M: Clone,
    {
        self.table().broadcast(<M as Clone>::clone, msg)
    }
}

impl<A: Accepts<M>, M: Send + 'static> Clone for Router<A, M> {
    fn clone(&self) -> Self {
        Self { inner: Arc::clone(&self.inner) }
    }
}

impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for Router<A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("routing", &self.routing())
            .field("size", &self.size())
            .finish()
    }
}

/// A message on its way through a router: await it to send it, or set a timeout for waiting
/// for room first.
///
/// Made by [`Router::tell`].
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn send(router: airssys_rt::router::Router<impl Accepts<u8>, u8>) {
/// match router.tell(1).timeout(Duration::from_secs(1)).await {
///     Ok(()) => {}
///     Err(SendError::Full(back)) => println!("no room within 1 s, keeping {back}"),
///     Err(SendError::Closed(back)) => println!("no worker, keeping {back}"),
/// }
/// # }
/// ```
#[must_use = "a tell sends nothing until it is awaited"]
pub struct RouterTell<'a, A: Accepts<M>, M: Send + 'static> {
    router: &'a Router<A, M>,
    msg: M,
    timeout: Option<Duration>,
}

// The message's type, not its value: a message need not be `Debug`.
impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for RouterTell<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterTell")
            .field("router", self.router)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<A: Accepts<M>, M: Send + 'static> RouterTell<'_, A, M> {
    /// Waits at most this long for room in full `Wait` mailboxes, then hands the message back
    /// in [`SendError::Full`] (under [`Routing::Broadcast`], the copies still without room are
    /// refused, R6); without it, a tell waits as long as it takes.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn send(router: airssys_rt::router::Router<impl Accepts<u8>, u8>) {
    /// let _ = router.tell(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for RouterTell<'a, A, M> {
    type Output = Result<(), SendError<M>>;
    type IntoFuture = RouterTellFuture<'a, A, M>;

    fn into_future(self) -> Self::IntoFuture {
        let RouterTell { router, msg, timeout } = self;
        RouterTellFuture { routed: RoutedTell::new(router.table(), msg, timeout) }
    }
}

/// The future of a [`RouterTell`]: resolves once the message is queued, or with the message
/// handed back in a [`SendError`].
///
/// Dropped before the message is queued or handed back, it makes the message a
/// [dead letter](crate::dead_letter) with reason
/// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled): of the worker it
/// waited for, or, if it had not routed it yet, of the worker the routing picks (under
/// [`Routing::Broadcast`], of every live worker that had not had its copy).
///
/// ```
/// # use airssys_rt::prelude::*;
/// use airssys_rt::router::{Router, RouterTellFuture};
/// use std::future::IntoFuture;
/// # fn start<A: Accepts<()>>(router: &Router<A, ()>) {
/// let pending: RouterTellFuture<'_, A, ()> = router.tell(()).into_future();
/// # drop(pending); }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RouterTellFuture<'a, A: Accepts<M>, M: Send + 'static> {
    routed: RoutedTell<'a, ActorRef<A>, M>,
}

// Whether it still holds its message and waits on a full worker; not the message itself.
impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for RouterTellFuture<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.routed.table();
        f.debug_struct("RouterTellFuture")
            .field("routing", &table.routing())
            .field("size", &table.workers().len())
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.routed.timeout())
            .field("unrouted", &self.routed.is_unrouted())
            .field("waiting", &self.routed.is_waiting())
            .finish()
    }
}

impl<A: Accepts<M>, M: Send + 'static> Future for RouterTellFuture<'_, A, M> {
    type Output = Result<(), SendError<M>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().routed).poll(cx)
    }
}

/// A request through a router: await it for the reply, or set its timeout first.
///
/// Made by [`Router::ask`].
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn call(router: airssys_rt::router::Router<impl Accepts<u8, Reply = u8>, u8>) {
/// match router.ask(1).timeout(Duration::from_secs(1)).await {
///     Ok(reply) => println!("{reply}"),
///     Err(AskError::Closed(_)) => println!("no worker"),
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[must_use = "an ask sends nothing until it is awaited"]
pub struct RouterAsk<'a, A: Accepts<M>, M: Send + 'static> {
    router: &'a Router<A, M>,
    msg: M,
    timeout: Duration,
}

// The message's type, not its value: a message need not be `Debug`.
impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for RouterAsk<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouterAsk")
            .field("router", self.router)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<A: Accepts<M>, M: Send + 'static> RouterAsk<'_, A, M> {
    /// Waits at most this long, instead of the system's ask timeout.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn call(router: airssys_rt::router::Router<impl Accepts<u8, Reply = u8>, u8>) {
    /// let _ = router.ask(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for RouterAsk<'a, A, M> {
    type Output = Result<<A as Accepts<M>>::Reply, AskError<M>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let RouterAsk { router, msg, timeout } = self;
        routed_ask(router.table(), msg, timeout)
    }
}
