//! The group router: routing over actors of any types that handle one message type, held as
//! recipients. Akka's "group router" to the pool's "pool router": the group starts, supervises
//! and restarts nobody; its members join and leave, and leave by themselves when they end.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use parking_lot::Mutex;

use super::send::{routed_ask, RoutedTell};
use super::table::{KeyFn, Rule, Table};
use super::Routing;
use crate::actor::ReplyRecipient;
use crate::kernel::EndHook;
use crate::message::{AskError, SendError};
use crate::system::DEFAULT_ASK_TIMEOUT;
use crate::ActorId;

/// A router over **members**: actors of any types that answer messages of type `M` with an
/// `R`, each held as a [`ReplyRecipient<M, R>`]. Where a [`Pool`](crate::router::Pool) starts
/// and restarts workers of one actor type, a group routes to actors started elsewhere, and
/// changes only when one [joins](Self::join), [leaves](Self::leave) or ends.
///
/// It routes as a pool's [`Router`](crate::router::Router) does, with the same
/// [`Routing`]s, the same code and the same guarantees, "worker" read as "member" and "slot" as
/// its place in the group (R14-R17). A member that ends leaves the group by itself, for every
/// clone, as in OTP's `pg`: until its end is processed it is skipped as the pool's router skips
/// an ended worker (R9). The sender picks the member in its own task and pushes straight into
/// that member's mailbox, one recipient's virtual call away.
///
/// Made by [`new`](Self::new) for the routings that need nothing more,
/// [`consistent_hash`](Self::consistent_hash) for one that needs a key and
/// [`broadcasting`](Self::broadcasting) for one that copies messages. `R` is the members'
/// reply to `M`; `()` by default, for a group that only tells. Cloning is cheap, and every
/// clone sees the same members.
///
/// # Cycles
///
/// The group holds its members alive (R17). A member that holds a clone of its own group (to
/// ask its peers, say) therefore holds itself: it never ends for lack of handles (A4.6), nor
/// does the group. Break the cycle by having it [`leave`](Self::leave) (before the last
/// outside handle goes), or give the members a [`WeakGroup`] ([`downgrade`](Self::downgrade)),
/// which does not keep the group, and so them, alive.
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
/// let quotes = Group::new(Routing::RoundRobin, [cheap.reply_recipient(), dear.reply_recipient()])?;
/// assert_eq!(quotes.ask(Quote).await?, 100);
/// assert_eq!(quotes.ask(Quote).await?, 900);
/// assert!(quotes.leave(cheap.id()));
/// assert_eq!(quotes.ask(Quote).await?, 900);
/// // A member that ends leaves by itself.
/// dear.stop();
/// dear.wait_for_exit().await; // its end processed, hooks included
/// assert_eq!(quotes.size(), 0);
/// # Ok(()) }
/// ```
pub struct Group<M, R = ()> {
    shared: Arc<Shared<M, R>>,
}

/// What every clone of a group shares; the members' end hooks hold it weakly.
struct Shared<M, R> {
    table: Table<ReplyRecipient<M, R>, M>,
    /// The end hook of each live member, by id: the members of `table` but those that ended
    /// since its last compaction. Locked by `join`, `leave`, a member's end and a compaction,
    /// never by a send; so a member's end either refuses its hook in `join` or finds it here.
    watches: Mutex<HashMap<ActorId, Watch<M, R>>>,
    /// Members that ended and are still in `table` (sends skip them, R9). Changed under
    /// `watches`' lock. The table is rebuilt only once they are an eighth of the live members
    /// (or when `size`, `members`, `join` or `leave` needs it exact): a member's end is then
    /// constant work, and many members ending at once cost in all what rebuilding the list a
    /// few times does, not one rebuild each (which made ending N members cost N^2).
    departed: AtomicUsize,
}

/// A member's end hook, and the actor it is registered on, to withdraw it.
struct Watch<M, R> {
    member: ReplyRecipient<M, R>,
    hook: EndHook,
}

/// Why a [`Group`] could not be made.
///
/// ```
/// use airssys_rt::router::{Group, GroupError, Routing};
/// # fn make(a: airssys_rt::actor::ReplyRecipient<u8, ()>) {
/// let error = Group::new(Routing::Broadcast, [a]).unwrap_err();
/// assert!(matches!(error, GroupError::NeedsConstructor { routing: Routing::Broadcast, .. }));
/// assert_eq!(
///     error.to_string(),
///     "a group routed by Broadcast needs messages that can be copied: use Group::broadcasting",
/// );
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The routing needs more than its name, which only another constructor takes: a key for
    /// [`Routing::ConsistentHash`] ([`Group::consistent_hash`]), a way to copy messages for
    /// [`Routing::Broadcast`] ([`Group::broadcasting`]).
    #[error("a group routed by {routing:?} needs {needs}: use Group::{constructor}")]
    NeedsConstructor {
        /// The routing named.
        routing: Routing,
        /// What it needs that a name does not give.
        needs: &'static str,
        /// The constructor that takes it.
        constructor: &'static str,
    },
}

impl<M: Send + 'static, R: Send + 'static> Group<M, R> {
    /// A group routing to `members`, in their order, as `routing` says: round robin, random
    /// or least loaded. A member listed twice (the same actor id) is kept once; one that has
    /// ended is left out, as [`join`](Self::join) refuses it.
    ///
    /// Fails with [`GroupError::NeedsConstructor`] for [`Routing::ConsistentHash`] and
    /// [`Routing::Broadcast`], which need more than a name: make those groups with
    /// [`consistent_hash`](Self::consistent_hash) and [`broadcasting`](Self::broadcasting),
    /// as a pool's with [`PoolSpec::consistent_hash`](crate::router::PoolSpec::consistent_hash)
    /// and [`PoolSpec::broadcast`](crate::router::PoolSpec::broadcast).
    ///
    /// ```
    /// # use airssys_rt::actor::ReplyRecipient;
    /// use airssys_rt::router::{Group, GroupError, Routing};
    /// # fn make(a: ReplyRecipient<u8, u64>, b: ReplyRecipient<u8, u64>) -> Result<(), GroupError> {
    /// let group = Group::new(Routing::LeastLoaded, [a, b])?;
    /// assert_eq!(group.routing(), Routing::LeastLoaded);
    /// # Ok(()) }
    /// ```
    pub fn new(
        routing: Routing,
        members: impl IntoIterator<Item = ReplyRecipient<M, R>>,
    ) -> Result<Self, GroupError> {
        let rule = match routing {
            Routing::RoundRobin => Rule::RoundRobin,
            Routing::Random => Rule::Random,
            Routing::LeastLoaded => Rule::LeastLoaded,
            Routing::ConsistentHash => {
                return Err(GroupError::NeedsConstructor {
                    routing,
                    needs: "a key",
                    constructor: "consistent_hash",
                })
            }
            Routing::Broadcast => {
                return Err(GroupError::NeedsConstructor {
                    routing,
                    needs: "messages that can be copied",
                    constructor: "broadcasting",
                })
            }
        };
        Ok(Self::with_rule(rule, members))
    }

    /// A group routing to `members` by consistent hashing of a key taken from each message:
    /// messages with equal keys go to the same member while it is in the group, as
    /// [`PoolSpec::consistent_hash`](crate::router::PoolSpec::consistent_hash) says for a pool
    /// (R5). Hashed against each member's id rather than its place (rendezvous hashing): a
    /// member joining takes only keys to it, and one leaving gives up only its own, wherever
    /// it was in the list. The keys of a member that has ended go, until its end is processed,
    /// to the live members that keep them after (R15). Members as for [`new`](Self::new).
    ///
    /// ```
    /// # use airssys_rt::actor::ReplyRecipient;
    /// use airssys_rt::router::{Group, Routing};
    /// struct Order { customer: u64 }
    /// # fn make(a: ReplyRecipient<Order, ()>, b: ReplyRecipient<Order, ()>) {
    /// let group = Group::consistent_hash([a, b], |order: &Order| order.customer);
    /// assert_eq!(group.routing(), Routing::ConsistentHash);
    /// # }
    /// ```
    pub fn consistent_hash<K, F>(
        members: impl IntoIterator<Item = ReplyRecipient<M, R>>,
        key: F,
    ) -> Self
    where
        K: Hash,
        F: Fn(&M) -> K + Send + Sync + 'static,
    {
        let hashed: KeyFn<M> = Arc::new(move |msg| {
            let mut hasher = DefaultHasher::new();
            key(msg).hash(&mut hasher);
            hasher.finish()
        });
        Self::with_rule(Rule::Rendezvous(hashed), members)
    }

    /// A group sending every message to each of `members`: `tell` sends a copy to each, `ask`
    /// asks each and returns the first reply, as
    /// [`PoolSpec::broadcast`](crate::router::PoolSpec::broadcast) says for a pool (R6).
    /// Members as for [`new`](Self::new).
    ///
    /// ```
    /// # use airssys_rt::actor::ReplyRecipient;
    /// use airssys_rt::router::{Group, Routing};
    /// # fn make(a: ReplyRecipient<String, ()>, b: ReplyRecipient<String, ()>) {
    /// let everyone = Group::broadcasting([a, b]);
    /// assert_eq!(everyone.routing(), Routing::Broadcast);
    /// # }
    /// ```
    pub fn broadcasting(members: impl IntoIterator<Item = ReplyRecipient<M, R>>) -> Self
    where
        M: Clone,
    {
        Self::with_rule(Rule::Broadcast(<M as Clone>::clone), members)
    }

    fn with_rule(rule: Rule<M>, members: impl IntoIterator<Item = ReplyRecipient<M, R>>) -> Self {
        let shared = Arc::new(Shared {
            table: Table::new(rule),
            watches: Mutex::new(HashMap::new()),
            departed: AtomicUsize::new(0),
        });
        let weak = Arc::downgrade(&shared);
        let mut refused = Vec::new();
        {
            let mut watches = shared.watches.lock();
            let mut kept = Vec::new();
            let mut seen = HashSet::new();
            for member in members {
                if !seen.insert(member.id()) {
                    refused.push(member);
                    continue;
                }
                match watch_end(&weak, &member) {
                    Some(watch) => {
                        watches.insert(member.id(), watch);
                        kept.push(member);
                    }
                    None => refused.push(member),
                }
            }
            // Under the lock, in one store: a member ending meanwhile waits for it, then
            // finds itself in the table it leaves.
            shared.table.replace(kept);
            shared.refresh_ask_timeout();
        }
        // Outside the lock: a refused handle may be an actor's last.
        drop(refused);
        Self { shared }
    }

    /// How the group picks members.
    ///
    /// ```
    /// # fn show(group: &airssys_rt::router::Group<u8>) -> airssys_rt::router::Routing { group.routing() }
    /// ```
    pub fn routing(&self) -> Routing {
        self.shared.table.routing()
    }

    /// How many members the group has, one that has ended included until its end is
    /// processed.
    ///
    /// ```
    /// # fn size(group: &airssys_rt::router::Group<u8>) -> usize { group.size() }
    /// ```
    pub fn size(&self) -> usize {
        self.shared.compact();
        self.shared.table.workers().len()
    }

    /// The members, in their order.
    ///
    /// ```
    /// # fn alive(group: &airssys_rt::router::Group<u8>) -> usize {
    /// group.members().iter().filter(|member| member.is_alive()).count()
    /// # }
    /// ```
    pub fn members(&self) -> Vec<ReplyRecipient<M, R>> {
        self.shared.compact();
        self.shared.table.workers().to_vec()
    }

    /// Adds a member at the end, routed to from the next send on, and leaving by itself when
    /// it ends. Returns `false`, and changes nothing, if an actor of the same id is a member
    /// already, or if the actor has ended or is ending: it would be skipped, then gone.
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
        let member = member.into();
        let id = member.id();
        let mut watches = self.shared.watches.lock();
        if watches.contains_key(&id) {
            drop(watches);
            return false;
        }
        let Some(watch) = watch_end(&Arc::downgrade(&self.shared), &member) else {
            drop(watches);
            return false;
        };
        watches.insert(id, watch);
        self.shared.table.join(member);
        self.shared.refresh_ask_timeout();
        true
    }

    /// Takes the member with this id out of the group, at once for every clone, and withdraws
    /// its end hook; `false` if it was not a member (or has ended and left by itself). The
    /// group lets go of its handle to it (R17).
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
        match self.shared.remove(id) {
            Some((member, watch)) => {
                // It may be running now, if the member is ending: it then finds no watch.
                watch.member.cancel_end_hook(watch.hook);
                drop(member);
                true
            }
            None => false,
        }
    }

    /// A handle to the same group that does not keep it, nor so its members, alive: for a
    /// member to reach its own group without holding itself alive (see "Cycles" above).
    ///
    /// ```
    /// # fn weak(group: &airssys_rt::router::Group<u8>) {
    /// let weak = group.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// # }
    /// ```
    pub fn downgrade(&self) -> WeakGroup<M, R> {
        WeakGroup { shared: Arc::downgrade(&self.shared) }
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
        let table = &self.shared.table;
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
        // Kept up to date by every change of the members: a send reads it, not the list.
        GroupAsk { group: self, msg, timeout: self.shared.table.ask_timeout() }
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
        self.shared.table.broadcast(<M as Clone>::clone, msg)
    }
}

impl<M, R> Clone for Group<M, R> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared) }
    }
}

/// Registers the hook that takes `member` out of the group when it ends; `None` if the actor
/// has ended or is ending, when the hook would never run.
fn watch_end<M: Send + 'static, R: Send + 'static>(
    shared: &Weak<Shared<M, R>>,
    member: &ReplyRecipient<M, R>,
) -> Option<Watch<M, R>> {
    let id = member.id();
    let shared = Weak::clone(shared);
    // Weakly: a member's hook must not keep its group, and through it the members, alive.
    let leave_on_end = move || {
        if let Some(shared) = shared.upgrade() {
            shared.depart(id);
        }
    };
    let hook = member.on_end(leave_on_end).ok()?;
    Some(Watch { member: member.clone(), hook })
}

impl<M: Send + 'static, R: Send + 'static> Shared<M, R> {
    /// Takes a member out of the table, with its watch; the handle is handed back to be
    /// dropped outside the lock, as it may be the actor's last (A4.6).
    fn remove(&self, id: ActorId) -> Option<(ReplyRecipient<M, R>, Watch<M, R>)> {
        let mut watches = self.watches.lock();
        let watch = watches.remove(&id)?;
        let member = self.table.leave(id);
        self.refresh_ask_timeout();
        drop(watches);
        member.map(|member| (member, watch))
    }

    /// A member ended (its end hook): it leaves the live members at once, and the table once
    /// enough have ended (see `departed`).
    fn depart(&self, id: ActorId) {
        let mut watches = self.watches.lock();
        // Gone already if it left while its end was on its way.
        let Some(watch) = watches.remove(&id) else {
            return;
        };
        let departed = self.departed.fetch_add(1, Ordering::Relaxed) + 1;
        let removed = if departed.saturating_mul(8) > watches.len() {
            self.compact_locked(&watches)
        } else {
            Vec::new()
        };
        drop(watches);
        // Outside the lock: a handle may be an actor's last.
        drop((watch, removed));
    }

    /// Takes the members that ended out of the table, if any did since the last compaction.
    fn compact(&self) {
        if self.departed.load(Ordering::Relaxed) == 0 {
            return;
        }
        let watches = self.watches.lock();
        let removed = self.compact_locked(&watches);
        drop(watches);
        drop(removed);
    }

    /// [`compact`](Self::compact) under `watches`' lock; hands back the handles taken out.
    fn compact_locked(&self, watches: &HashMap<ActorId, Watch<M, R>>) -> Vec<ReplyRecipient<M, R>> {
        if self.departed.swap(0, Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        let removed = self.table.retain(|member| watches.contains_key(&member.id()));
        self.refresh_ask_timeout();
        removed
    }

    /// The ask timeout of the first member's system, read once per change rather than once
    /// per ask (R15). Called under the lock, after the table changed.
    fn refresh_ask_timeout(&self) {
        let first =
            self.table.workers().first().map_or(DEFAULT_ASK_TIMEOUT, |member| member.ask_timeout());
        self.table.set_ask_timeout(first);
    }
}

impl<M, R> Drop for Shared<M, R> {
    fn drop(&mut self) {
        // Withdrawn rather than left to find the group gone: an actor that outlives many groups
        // would carry a dead hook for each.
        for (_, watch) in self.watches.get_mut().drain() {
            watch.member.cancel_end_hook(watch.hook);
        }
    }
}

/// A handle to a [`Group`] that keeps neither the group nor its members alive: what a member
/// holds to reach its own group without holding itself alive (R17). Made by
/// [`Group::downgrade`].
///
/// ```
/// # use airssys_rt::actor::ReplyRecipient;
/// use airssys_rt::router::{Group, Routing, WeakGroup};
/// # fn make(a: ReplyRecipient<u8, ()>) -> Result<(), airssys_rt::router::GroupError> {
/// let group = Group::new(Routing::RoundRobin, [a])?;
/// let weak: WeakGroup<u8> = group.downgrade();
/// drop(group);
/// assert!(weak.upgrade().is_none(), "the last clone is gone, and the group with it");
/// # Ok(()) }
/// ```
pub struct WeakGroup<M, R = ()> {
    shared: Weak<Shared<M, R>>,
}

impl<M, R> WeakGroup<M, R> {
    /// The group, if a [`Group`] clone still holds it.
    ///
    /// ```
    /// # async fn relay(weak: &airssys_rt::router::WeakGroup<u8>) {
    /// if let Some(group) = weak.upgrade() {
    ///     let _ = group.tell(1).await;
    /// }
    /// # }
    /// ```
    pub fn upgrade(&self) -> Option<Group<M, R>> {
        self.shared.upgrade().map(|shared| Group { shared })
    }
}

impl<M, R> Clone for WeakGroup<M, R> {
    fn clone(&self) -> Self {
        Self { shared: Weak::clone(&self.shared) }
    }
}

impl<M, R> fmt::Debug for WeakGroup<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakGroup")
            .field("alive", &(self.shared.strong_count() > 0))
            .field("message_type", &std::any::type_name::<M>())
            .finish()
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
        GroupTellFuture { routed: RoutedTell::new(&group.shared.table, msg, timeout) }
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
        routed_ask(&group.shared.table, msg, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{Actor, Context};
    use crate::ActorSystem;

    struct Member;

    #[crate::actor(crate = crate)]
    impl Actor for Member {
        type Msg = u8;
        type Reply = ();
        type Args = ();
        type Error = std::convert::Infallible;

        async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
            Ok(Member)
        }

        async fn handle(&mut self, _: u8, _: &mut Context<Self>) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    /// An actor that joins and leaves groups all its life, and outlives them, does not gather
    /// their end hooks (R16, R17).
    #[tokio::test]
    async fn leave_and_the_last_clone_going_withdraw_the_end_hook() {
        let system = ActorSystem::new();
        let member = system.spawn::<Member>(()).await.unwrap();
        let actor = member.erase();
        let group = Group::<u8>::new(Routing::RoundRobin, [member.reply_recipient()]).unwrap();
        assert_eq!(actor.end_hooks_len(), 1);
        for _ in 0..100 {
            assert!(group.leave(member.id()));
            assert_eq!(actor.end_hooks_len(), 0);
            assert!(group.join(member.clone()));
            assert_eq!(actor.end_hooks_len(), 1);
        }
        for _ in 0..100 {
            drop(Group::<u8>::broadcasting([member.reply_recipient()]));
        }
        let clone = group.clone();
        drop(group);
        assert_eq!(actor.end_hooks_len(), 1, "a clone is left");
        drop(clone);
        assert_eq!(actor.end_hooks_len(), 0);
    }

    /// R16: a member's end takes it out of the live members at once, but does not rebuild
    /// the member list each time (which made N members ending at once cost N^2): the list
    /// is compacted once an eighth of the members have ended, or when `size` or `members`
    /// asks; sends skip the ended ones meanwhile (R9).
    #[tokio::test]
    async fn r16_a_members_end_does_not_rebuild_the_member_list_each_time() {
        let system = ActorSystem::new();
        let mut actors = Vec::new();
        for _ in 0..64 {
            actors.push(system.spawn::<Member>(()).await.unwrap());
        }
        let group =
            Group::<u8>::new(Routing::RoundRobin, actors.iter().map(|a| a.reply_recipient()))
                .unwrap();
        for actor in &actors[..3] {
            actor.stop();
            actor.wait_for_exit().await;
        }
        assert_eq!(group.shared.table.workers().len(), 64, "not rebuilt for 3 ends of 64");
        for _ in 0..61 {
            group.try_tell(1).unwrap();
        }
        assert_eq!(group.size(), 61);
        assert_eq!(group.shared.table.workers().len(), 61, "compacted for `size`");
        for actor in &actors[3..] {
            actor.stop();
            actor.wait_for_exit().await;
        }
        assert!(group.shared.table.workers().len() <= 61 / 8 + 1, "compacted as they ended");
        assert_eq!(group.size(), 0);
        assert!(matches!(group.try_tell(1), Err(SendError::Closed(1))));
    }

    /// The ask timeout is the first member's system's, kept as members come and go.
    #[tokio::test]
    async fn the_ask_timeout_follows_the_first_member() {
        let quick = ActorSystem::builder().ask_timeout(Duration::from_millis(7)).build().unwrap();
        let slow = ActorSystem::new();
        let first = quick.spawn::<Member>(()).await.unwrap();
        let second = slow.spawn::<Member>(()).await.unwrap();
        let group = Group::<u8>::new(Routing::RoundRobin, []).unwrap();
        assert_eq!(group.ask(0).timeout, DEFAULT_ASK_TIMEOUT);
        assert!(group.join(first.clone()) && group.join(second.clone()));
        assert_eq!(group.ask(0).timeout, Duration::from_millis(7));
        assert!(group.leave(first.id()));
        assert_eq!(group.ask(0).timeout, slow.config().ask_timeout());
    }
}
