//! The group router: routing over actors of any types that handle one message type, held as
//! recipients. Akka's "group router" to the pool's "pool router": the group starts, supervises
//! and restarts nobody; its members join and leave.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use super::send::{routed_ask, RoutedTell};
use super::table::{KeyFn, Rule, Table};
use super::Routing;
use crate::actor::ReplyRecipient;
use crate::message::{AskError, SendError};
use crate::system::DEFAULT_ASK_TIMEOUT;
use crate::ActorId;

/// A router over **members**: actors of any types that answer messages of type `M` with an
/// `R`, each held as a [`ReplyRecipient<M, R>`]. Where a [`Pool`](crate::router::Pool) starts
/// and restarts workers of one actor type, a group routes to actors started elsewhere, and
/// changes only when one [joins](Self::join) or [leaves](Self::leave).
///
/// It routes as a pool's [`Router`](crate::router::Router) does, with the same
/// [`Routing`]s, the same code and the same guarantees, "worker" read as "member" and "slot" as
/// its place in the group (R14-R17): a member that has ended stays until it leaves, and is
/// skipped as the pool's router skips an ended worker (R9). The sender picks the member in its
/// own task and pushes straight into that member's mailbox, one recipient's virtual call
/// away.
///
/// `R` is the members' reply to `M`; `()` by default, for a group that only tells. Cloning is
/// cheap, and every clone sees the same members.
///
/// ```
/// use airssys_rt::prelude::*;
/// use airssys_rt::router::{Group, Routing};
///
/// /// Asks for a quote in cents.
/// struct Quote;
///
/// /// A classic actor: one message type, one reply type.
/// #[derive(Default)]
/// struct Cheap;
///
/// #[actor]
/// impl Actor for Cheap {
///     type Msg = Quote;
///     type Reply = u64;
///     async fn handle(&mut self, _: Quote, _: &mut Context<Self>) -> Result<u64, Self::Error> {
///         Ok(100)
///     }
/// }
///
/// /// An actor with a reply type per message.
/// #[derive(Default)]
/// struct Dear;
///
/// #[actor(messages(Quote))]
/// impl Actor for Dear {}
///
/// impl Handler<Quote> for Dear {
///     type Reply = u64;
///     async fn handle(&mut self, _: Quote, _: &mut Context<Self>) -> u64 {
///         900
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let cheap = system.spawn::<Cheap>(Cheap).await?;
/// let dear = system.spawn::<Dear>(Dear).await?;
/// let quotes = Group::new(Routing::RoundRobin, [cheap.reply_recipient(), dear.reply_recipient()]);
/// assert_eq!(quotes.ask(Quote).await?, 100);
/// assert_eq!(quotes.ask(Quote).await?, 900);
/// assert!(quotes.leave(cheap.id()));
/// assert_eq!(quotes.ask(Quote).await?, 900);
/// # Ok(()) }
/// ```
pub struct Group<M, R = ()> {
    table: Arc<Table<ReplyRecipient<M, R>, M>>,
}

impl<M: Send + 'static, R: Send + 'static> Group<M, R> {
    /// A group routing to `members`, in their order, as `routing` says. A member listed twice
    /// (the same actor id) is kept once.
    ///
    /// [`Routing::ConsistentHash`] and [`Routing::Broadcast`] need more than a name (a key, a
    /// way to copy messages): set them with [`with_consistent_hash`](Self::with_consistent_hash)
    /// and [`with_broadcast`](Self::with_broadcast). Named here, they leave the group round
    /// robin, as its [`routing`](Self::routing) then says.
    ///
    /// ```
    /// # use airssys_rt::actor::ReplyRecipient;
    /// use airssys_rt::router::{Group, Routing};
    /// # fn make(a: ReplyRecipient<u8, u64>, b: ReplyRecipient<u8, u64>) {
    /// let group = Group::new(Routing::LeastLoaded, [a, b]);
    /// assert_eq!(group.size(), 2);
    /// # }
    /// ```
    pub fn new(routing: Routing, members: impl IntoIterator<Item = ReplyRecipient<M, R>>) -> Self {
        let rule = match routing {
            Routing::Random => Rule::Random,
            Routing::LeastLoaded => Rule::LeastLoaded,
            Routing::RoundRobin | Routing::ConsistentHash | Routing::Broadcast => Rule::RoundRobin,
        };
        Self::with_rule(rule, members.into_iter().collect())
    }

    fn with_rule(rule: Rule<M>, members: Vec<ReplyRecipient<M, R>>) -> Self {
        let mut unique: Vec<ReplyRecipient<M, R>> = Vec::with_capacity(members.len());
        for member in members {
            if !unique.iter().any(|kept| kept.id() == member.id()) {
                unique.push(member);
            }
        }
        Self { table: Arc::new(Table::with_workers(rule, unique)) }
    }

    /// The same members, routed by consistent hashing of a key taken from each message:
    /// messages with equal keys go to the same member while it is in the group, as
    /// [`PoolSpec::consistent_hash`](crate::router::PoolSpec::consistent_hash) says for a pool
    /// (R5). Hashed against each member's id rather than its place (rendezvous hashing): a
    /// member joining takes only keys to it, and one leaving gives up only its own, wherever
    /// it was in the list. The keys of a member that has ended go, until it leaves, to the
    /// live members that will keep them after (R15). Made before the group is shared: a clone made earlier keeps its
    /// routing.
    ///
    /// ```
    /// # use airssys_rt::actor::ReplyRecipient;
    /// use airssys_rt::router::{Group, Routing};
    /// struct Order { customer: u64 }
    /// # fn make(a: ReplyRecipient<Order, ()>, b: ReplyRecipient<Order, ()>) {
    /// let group = Group::new(Routing::ConsistentHash, [a, b])
    ///     .with_consistent_hash(|order: &Order| order.customer);
    /// assert_eq!(group.routing(), Routing::ConsistentHash);
    /// # }
    /// ```
    pub fn with_consistent_hash<K, F>(self, key: F) -> Self
    where
        K: Hash,
        F: Fn(&M) -> K + Send + Sync + 'static,
    {
        let hashed: KeyFn<M> = Arc::new(move |msg| {
            let mut hasher = DefaultHasher::new();
            key(msg).hash(&mut hasher);
            hasher.finish()
        });
        Self::with_rule(Rule::Rendezvous(hashed), self.members())
    }

    /// The same members, each sent every message: `tell` sends a copy to each, `ask` asks
    /// each and returns the first reply, as
    /// [`PoolSpec::broadcast`](crate::router::PoolSpec::broadcast) says for a pool (R6). Made
    /// before the group is shared: a clone made earlier keeps its routing.
    ///
    /// ```
    /// # use airssys_rt::actor::ReplyRecipient;
    /// use airssys_rt::router::{Group, Routing};
    /// # fn make(a: ReplyRecipient<String, ()>, b: ReplyRecipient<String, ()>) {
    /// let everyone = Group::new(Routing::Broadcast, [a, b]).with_broadcast();
    /// assert_eq!(everyone.routing(), Routing::Broadcast);
    /// # }
    /// ```
    pub fn with_broadcast(self) -> Self
    where
        M: Clone,
    {
        Self::with_rule(Rule::Broadcast(<M as Clone>::clone), self.members())
    }

    /// How the group picks members.
    ///
    /// ```
    /// # fn show(group: &airssys_rt::router::Group<u8>) -> airssys_rt::router::Routing { group.routing() }
    /// ```
    pub fn routing(&self) -> Routing {
        self.table.routing()
    }

    /// How many members the group has, ended ones included until they leave.
    ///
    /// ```
    /// # fn size(group: &airssys_rt::router::Group<u8>) -> usize { group.size() }
    /// ```
    pub fn size(&self) -> usize {
        self.table.workers().len()
    }

    /// The members, in their order.
    ///
    /// ```
    /// # fn alive(group: &airssys_rt::router::Group<u8>) -> usize {
    /// group.members().iter().filter(|member| member.is_alive()).count()
    /// # }
    /// ```
    pub fn members(&self) -> Vec<ReplyRecipient<M, R>> {
        self.table.workers().to_vec()
    }

    /// Adds a member at the end, routed to from the next send on; `false` (and nothing
    /// changes) if an actor of the same id is a member already.
    ///
    /// Takes a [`ReplyRecipient`], or anything that becomes one, such as an
    /// [`ActorRef`](crate::ActorRef) of an actor whose reply to `M` is `R`.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::router::Group;
    /// # fn grow<A: Accepts<u8, Reply = ()>>(group: &Group<u8>, actor: &ActorRef<A>) {
    /// assert!(group.join(actor.clone()));
    /// assert!(!group.join(actor.reply_recipient()));
    /// # }
    /// ```
    pub fn join(&self, member: impl Into<ReplyRecipient<M, R>>) -> bool {
        self.table.join(member.into())
    }

    /// Takes the member with this id out of the group, at once for every clone; `false` if it
    /// was not a member. The group lets go of its handle to it (R17).
    ///
    /// ```
    /// # use airssys_rt::router::Group;
    /// # fn shrink(group: &Group<u8>, id: airssys_rt::ActorId) {
    /// if group.leave(id) {
    ///     println!("{id} left");
    /// }
    /// # }
    /// ```
    pub fn leave(&self, id: ActorId) -> bool {
        self.table.leave(id)
    }

    /// Sends a message to the member the routing picks (to every member under
    /// [`Routing::Broadcast`], as [`broadcast`](Self::broadcast) does), without waiting for it
    /// to be handled; as [`Router::tell`](crate::router::Router::tell) does.
    ///
    /// Waits only while the chosen member's bounded mailbox is full under
    /// [`OverflowPolicy::Wait`](crate::mailbox::OverflowPolicy::Wait), or for at most the time
    /// [`GroupTell::timeout`] gives. Fails, with the message handed back, when no member takes
    /// messages ([`SendError::Closed`]), the chosen one is full under `Reject`, or the timeout
    /// passed before it had room ([`SendError::Full`]). Dropped before the message is queued,
    /// it makes the message a [dead letter](crate::dead_letter).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # async fn send(group: airssys_rt::router::Group<String>) {
    /// if let Err(error) = group.tell("job".to_string()).await {
    ///     eprintln!("no member took it: {}", error.into_inner());
    /// }
    /// let _ = group.tell("urgent".to_string()).timeout(Duration::from_millis(10)).await;
    /// # }
    /// ```
    pub fn tell(&self, msg: M) -> GroupTell<'_, M, R> {
        GroupTell { group: self, msg, timeout: None }
    }

    /// Sends a message if the chosen member can queue it at once; never waits.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn send(group: &airssys_rt::router::Group<u64>) {
    /// match group.try_tell(7) {
    ///     Ok(()) => {}
    ///     Err(SendError::Full(n)) => println!("busy, keeping {n}"),
    ///     Err(SendError::Closed(n)) => println!("no member, keeping {n}"),
    /// }
    /// # }
    /// ```
    pub fn try_tell(&self, msg: M) -> Result<(), SendError<M>> {
        let table = &*self.table;
        if let Rule::Broadcast(copy) = table.rule() {
            return table.try_broadcast(*copy, msg).map(drop);
        }
        table.offer(msg).map_err(super::table::Refused::into_send_error)
    }

    /// Sends a request to the member the routing picks and waits for its reply, as
    /// [`Router::ask`](crate::router::Router::ask) does: a member that has ended is skipped,
    /// and so is the member asking from its own handler (`CallingSelf` only if no other takes
    /// the request); the timeout covers the whole call, and under [`Routing::Broadcast`] the
    /// first successful reply of every live member wins.
    ///
    /// Times out after the ask timeout of the system of the group's first member (the
    /// system's default, [`DEFAULT_ASK_TIMEOUT`], for an empty group) unless
    /// [`GroupAsk::timeout`] says otherwise.
    ///
    /// # Panics
    ///
    /// When awaited outside a Tokio runtime with its timer enabled, as
    /// [`ActorRef::ask`](crate::ActorRef::ask): the timeout needs Tokio's clock.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn call(group: airssys_rt::router::Group<u8, u64>) -> Result<(), AskError<u8>> {
    /// let reply = group.ask(1).await?;
    /// let quick = group.ask(2).timeout(Duration::from_millis(100)).await?;
    /// # Ok(()) }
    /// ```
    pub fn ask(&self, msg: M) -> GroupAsk<'_, M, R> {
        let timeout =
            self.table.workers().first().map_or(DEFAULT_ASK_TIMEOUT, ReplyRecipient::ask_timeout);
        GroupAsk { group: self, msg, timeout }
    }

    /// Sends a copy of the message to every live member, whatever the routing; returns how
    /// many queued it. As [`Router::broadcast`](crate::router::Router::broadcast): a copy a full
    /// `Reject` mailbox refuses is a [dead letter](crate::dead_letter), and the message is
    /// handed back only when no member queued it.
    ///
    /// ```
    /// # async fn flush(group: airssys_rt::router::Group<&'static str>) {
    /// let reached = group.broadcast("flush").await.unwrap_or(0);
    /// # }
    /// ```
    pub fn broadcast(&self, msg: M) -> impl Future<Output = Result<usize, SendError<M>>> + Send + '_
    where
        M: Clone,
    {
        self.table.broadcast(<M as Clone>::clone, msg)
    }
}

impl<M, R> Clone for Group<M, R> {
    fn clone(&self) -> Self {
        Self { table: Arc::clone(&self.table) }
    }
}

impl<M: Send + 'static, R: Send + 'static> fmt::Debug for Group<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("routing", &self.routing())
            .field("size", &self.size())
            .field("message_type", &std::any::type_name::<M>())
            .finish()
    }
}

/// A message on its way through a [`Group`]: await it to send it, or set a timeout for waiting
/// for room first.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn send(group: airssys_rt::router::Group<u8>) {
/// match group.tell(1).timeout(Duration::from_secs(1)).await {
///     Ok(()) => {}
///     Err(SendError::Full(back)) => println!("no room within 1 s, keeping {back}"),
///     Err(SendError::Closed(back)) => println!("no member, keeping {back}"),
/// }
/// # }
/// ```
#[must_use = "a tell sends nothing until it is awaited"]
pub struct GroupTell<'a, M: Send + 'static, R: Send + 'static> {
    group: &'a Group<M, R>,
    msg: M,
    timeout: Option<Duration>,
}

impl<M: Send + 'static, R: Send + 'static> GroupTell<'_, M, R> {
    /// Waits at most this long for room in full `Wait` mailboxes, then hands the message back
    /// in [`SendError::Full`]; without it, a tell waits as long as it takes.
    ///
    /// ```
    /// # async fn send(group: airssys_rt::router::Group<u8>) {
    /// let _ = group.tell(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

// The message's type, not its value: a message need not be `Debug`.
impl<M: Send + 'static, R: Send + 'static> fmt::Debug for GroupTell<'_, M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupTell")
            .field("group", self.group)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, M: Send + 'static, R: Send + 'static> IntoFuture for GroupTell<'a, M, R> {
    type Output = Result<(), SendError<M>>;
    type IntoFuture = GroupTellFuture<'a, M, R>;

    fn into_future(self) -> Self::IntoFuture {
        let GroupTell { group, msg, timeout } = self;
        GroupTellFuture { routed: RoutedTell::new(&group.table, msg, timeout) }
    }
}

/// The future of a [`GroupTell`]: resolves once the message is queued, or with the message
/// handed back in a [`SendError`].
///
/// Dropped before the message is queued or handed back, it makes the message a
/// [dead letter](crate::dead_letter) with reason
/// [`SendCancelled`](crate::dead_letter::DeadLetterReason::SendCancelled), as a
/// [`RouterTellFuture`](crate::router::RouterTellFuture) does.
///
/// ```
/// use airssys_rt::router::{Group, GroupTellFuture};
/// use std::future::IntoFuture;
/// # fn start(group: &Group<u8>) {
/// let pending: GroupTellFuture<'_, u8, ()> = group.tell(1).into_future();
/// # drop(pending); }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct GroupTellFuture<'a, M: Send + 'static, R: Send + 'static> {
    routed: RoutedTell<'a, ReplyRecipient<M, R>, M>,
}

// Whether it still holds its message and waits on a full member; not the message itself.
impl<M: Send + 'static, R: Send + 'static> fmt::Debug for GroupTellFuture<'_, M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupTellFuture")
            .field("routing", &self.routed.table().routing())
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.routed.timeout())
            .field("unrouted", &self.routed.is_unrouted())
            .field("waiting", &self.routed.is_waiting())
            .finish()
    }
}

impl<M: Send + 'static, R: Send + 'static> Future for GroupTellFuture<'_, M, R> {
    type Output = Result<(), SendError<M>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().routed).poll(cx)
    }
}

/// A request through a [`Group`]: await it for the reply, or set its timeout first.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn call(group: airssys_rt::router::Group<u8, u8>) {
/// match group.ask(1).timeout(Duration::from_secs(1)).await {
///     Ok(reply) => println!("{reply}"),
///     Err(AskError::Closed(_)) => println!("no live member"),
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[must_use = "an ask sends nothing until it is awaited"]
pub struct GroupAsk<'a, M: Send + 'static, R: Send + 'static> {
    group: &'a Group<M, R>,
    msg: M,
    timeout: Duration,
}

impl<M: Send + 'static, R: Send + 'static> GroupAsk<'_, M, R> {
    /// Waits at most this long, instead of the members' ask timeout.
    ///
    /// ```
    /// # async fn call(group: airssys_rt::router::Group<u8, u8>) {
    /// let _ = group.ask(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

// The message's type, not its value: a message need not be `Debug`.
impl<M: Send + 'static, R: Send + 'static> fmt::Debug for GroupAsk<'_, M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupAsk")
            .field("group", self.group)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, M: Send + 'static, R: Send + 'static> IntoFuture for GroupAsk<'a, M, R> {
    type Output = Result<R, AskError<M>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let GroupAsk { group, msg, timeout } = self;
        routed_ask(&group.table, msg, timeout)
    }
}
