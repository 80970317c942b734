//! [`ChildRef`]: a handle to a supervised child by its child id, which reaches whichever
//! actor the supervisor runs for that id now (T25-T27).
//!
//! The handle caches the incarnation it last reached and sends to it directly. When that one
//! has ended, it reads what the supervisor published of the child (`Published`, updated in
//! the supervisor's own steps as it starts, stops and forgets the child): the next
//! incarnation if it runs, or why there is none, without a call. Only a handle that waits for
//! a restart calls the supervisor, which answers its look and takes a subscription to its
//! events in one step, so that a restart finishing just after the look is still seen: a send
//! waits on the events, never polls.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context as TaskContext, Poll};
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use parking_lot::Mutex;
use tokio::time::Instant;

use super::admin::{Look, Looked};
use super::{
    Supervisor, SupervisorError, SupervisorEvent, SupervisorEvents, SupervisorRef, SupervisorState,
};
use crate::actor::{Accepts, Actor, ActorId, ActorRef, WeakActorRef};
use crate::dead_letter::DeadLetterReason;
use crate::kernel::SentAs;
use crate::message::{AskError, SendError, StableAskError, StableSendError};

/// A stable handle to a supervised child: it names the child by its id, and every send
/// reaches the child's current incarnation, the one the supervisor started last (T25).
///
/// Made by [`SupervisorRef::child_ref`] (and returned by
/// [`start_dynamic`](SupervisorRef::start_dynamic) and
/// [`ensure_dynamic`](SupervisorRef::ensure_dynamic)). Cloning is cheap; clones share what
/// they learn of new incarnations. It does not keep the supervisor alive: once the supervisor
/// has ended, sends fail with `SupervisorEnded`. It follows the child's restarts, not its
/// supervisor's: a child supervisor restarted by its own parent is a new supervisor, to take
/// new handles from.
///
/// **Between incarnations** (the child ended and is being restarted, or waits out its
/// backoff), a send waits for the next incarnation, for at most the ask's timeout, the tell's
/// [`timeout`](ChildTell::timeout), or the system's ask timeout for a plain tell; then fails
/// with `RestartTimeout`, handing the message back (T26). A handle made with
/// [`failing_during_restart`](Self::failing_during_restart) fails at once with `Restarting`
/// instead, without a call to the supervisor (it reads what the supervisor published of the
/// child as it started or stopped it), so even while the supervisor is busy with a child's
/// start. The choice belongs to the handle, not to each call: a caller that must answer
/// fast (a front end) takes a failing handle once, and its sends read as any `ActorRef`'s. A
/// child that will not come back fails every send with `Gone` (T27); the handle is to the id,
/// so once a child is added again under it (`start_child` after `delete_child`, or
/// `ensure_dynamic` of a name that had ended for good), a `tell` or an `ask` looks it up
/// (a call) and reaches it, and `try_tell` after that.
///
/// A request that an incarnation took before it ended is not sent again to the next one: the
/// ask fails with `Stopped`, as [`ActorRef::ask`] does.
///
/// Cost: with the child running and cached, a tell is an `ActorRef::tell` plus one atomic
/// load; an ask boxes its future once, on top of the reply slot every ask has.
///
/// ```
/// use airssys_rt::prelude::*;
/// use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
///
/// #[derive(Clone, Default)]
/// struct Counter(u64);
/// struct Add(u64);
/// struct Crash;
///
/// #[actor(messages(Add, Crash))]
/// impl Actor for Counter {}
///
/// impl Handler<Add> for Counter {
///     type Reply = u64;
///     async fn handle(&mut self, Add(n): Add, _: &mut Context<Self>) -> u64 {
///         self.0 += n;
///         self.0
///     }
/// }
/// impl Handler<Crash> for Counter {
///     type Reply = ();
///     async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
///         panic!("asked to crash");
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker::<Counter>("counter", Counter::default()));
/// let supervisor = Supervisor::start(&system, spec).await?;
/// let counter = supervisor.child_ref::<Counter>("counter").await?;
/// assert_eq!(counter.ask(Add(2)).await?, 2);
/// let _ = counter.ask(Crash).await; // it panics; its supervisor restarts it
/// // The same handle reaches the restarted counter, which starts from 0.
/// assert_eq!(counter.ask(Add(5)).await?, 5);
/// system.shutdown().await;
/// # Ok(()) }
/// ```
pub struct ChildRef<A: Actor> {
    shared: Arc<Shared<A>>,
    during_restart: DuringRestart,
}

/// What a send does between two incarnations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DuringRestart {
    Wait,
    Fail,
}

struct Shared<A: Actor> {
    id: Arc<str>,
    supervisor: Box<dyn Follows>,
    /// What the supervisor says of the child, read without a call. Replaced by a look: once
    /// the id's slot is gone (`Missing`), a child added again under the id has a new one.
    published: ArcSwap<Published>,
    /// The incarnation last reached: read on every send, written when a send finds it ended.
    current: ArcSwapOption<ActorRef<A>>,
    /// The system's ask timeout: an ask's default, and how long a plain tell waits for the
    /// next incarnation.
    ask_timeout: Duration,
}

/// Why no incarnation could be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unreachable {
    Restarting,
    Timeout,
    Gone,
    WrongType,
    SupervisorEnded,
}

impl Unreachable {
    fn send_error<M>(self, msg: M) -> StableSendError<M> {
        match self {
            Self::Restarting => StableSendError::Restarting(msg),
            Self::Timeout => StableSendError::RestartTimeout(msg),
            Self::Gone => StableSendError::Gone(msg),
            Self::WrongType => StableSendError::WrongType(msg),
            Self::SupervisorEnded => StableSendError::SupervisorEnded(msg),
        }
    }

    fn from_call(error: SupervisorError) -> Self {
        match error {
            // From the supervisor's own task the handle cannot wait for it.
            SupervisorError::CallingSelf => Self::Restarting,
            _ => Self::SupervisorEnded,
        }
    }
}

/// What a supervisor publishes of one child for its handles to read without a call: the
/// incarnation it started last, or why there is none. Kept up to date by the supervisor as it
/// starts, stops and forgets the child, in the same step; read by a handle that fails during
/// a restart, so that it fails at once even while the supervisor is busy (a child's start runs
/// in the supervisor's task, and a call would wait for it).
pub(super) struct Published(Mutex<Look>);

impl Published {
    pub(super) fn new(look: Look) -> Arc<Self> {
        Arc::new(Self(Mutex::new(look)))
    }

    /// Records what the supervisor runs for the child now; once the supervisor is ending, that
    /// stays the answer, whatever its children's stops publish after it.
    pub(super) fn set(&self, look: Look) {
        let mut published = self.0.lock();
        if matches!(*published, Look::SupervisorEnding) {
            return;
        }
        let replaced = std::mem::replace(&mut *published, look);
        drop(published);
        // Dropped unlocked: it may hold the last handle to an ended child's cell.
        drop(replaced);
    }

    fn get(&self) -> Look {
        self.0.lock().clone()
    }
}

impl fmt::Debug for Published {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Published").field(&*self.0.lock()).finish()
    }
}

/// The supervisor a child ref follows, of whatever state type; held weakly, and reached only
/// once the cached incarnation has ended.
trait Follows: Send + Sync + 'static {
    fn is_alive(&self) -> bool;

    fn look<'a>(
        &'a self,
        id: &'a str,
        subscribe: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Looked, SupervisorError>> + Send + 'a>>;
}

impl<S: SupervisorState> Follows for WeakActorRef<Supervisor<S>> {
    fn is_alive(&self) -> bool {
        WeakActorRef::is_alive(self)
    }

    fn look<'a>(
        &'a self,
        id: &'a str,
        subscribe: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Looked, SupervisorError>> + Send + 'a>> {
        Box::pin(async move {
            let supervisor = self.upgrade().ok_or(SupervisorError::NotRunning)?;
            SupervisorRef::from(supervisor).look(id, subscribe).await
        })
    }
}

impl<A: Actor> ChildRef<A> {
    pub(super) fn new<S: SupervisorState>(
        id: Arc<str>,
        supervisor: WeakActorRef<Supervisor<S>>,
        current: Option<ActorRef<A>>,
        ask_timeout: Duration,
        published: Arc<Published>,
    ) -> Self {
        let current = ArcSwapOption::new(current.map(Arc::new));
        let supervisor: Box<dyn Follows> = Box::new(supervisor);
        let published = ArcSwap::new(published);
        let shared = Arc::new(Shared { id, supervisor, published, current, ask_timeout });
        Self { shared, during_restart: DuringRestart::Wait }
    }

    /// The child's id within its supervisor.
    ///
    /// ```
    /// # fn id<A: airssys_rt::Actor>(child: &airssys_rt::supervisor::ChildRef<A>) -> &str { child.id() }
    /// ```
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// The incarnation this handle last reached, if it is still alive; no call is made, so a
    /// child restarted since the handle's last send shows as `None` until the next send.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn running<A: Actor>(child: &airssys_rt::supervisor::ChildRef<A>) -> Option<ActorId> {
    /// child.current().map(|actor| actor.id())
    /// # }
    /// ```
    pub fn current(&self) -> Option<ActorRef<A>> {
        let current = self.shared.current.load();
        current.as_deref().filter(|actor| actor.is_alive()).cloned()
    }

    /// A handle to the same child whose sends fail at once with `Restarting` between two
    /// incarnations, instead of waiting for the next (T26).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::message::StableSendError;
    /// # async fn send(child: &airssys_rt::supervisor::ChildRef<impl Accepts<u8>>) {
    /// let impatient = child.failing_during_restart();
    /// if let Err(StableSendError::Restarting(n)) = impatient.tell(1).await {
    ///     println!("restarting; keeping {n}");
    /// }
    /// # }
    /// ```
    pub fn failing_during_restart(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), during_restart: DuringRestart::Fail }
    }

    /// A handle to the same child whose sends wait for the next incarnation (the default).
    ///
    /// ```
    /// # fn patient<A: airssys_rt::Actor>(child: &airssys_rt::supervisor::ChildRef<A>) -> airssys_rt::supervisor::ChildRef<A> {
    /// child.waiting_for_restart()
    /// # }
    /// ```
    pub fn waiting_for_restart(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), during_restart: DuringRestart::Wait }
    }

    /// Whether sends fail at once between incarnations.
    ///
    /// ```
    /// # fn mode<A: airssys_rt::Actor>(child: &airssys_rt::supervisor::ChildRef<A>) {
    /// assert!(child.failing_during_restart().fails_during_restart());
    /// # }
    /// ```
    pub fn fails_during_restart(&self) -> bool {
        self.during_restart == DuringRestart::Fail
    }

    /// Sends a message to the current incarnation without waiting for it to be handled; see
    /// [`ChildRef`] for what happens between incarnations. Waits for room in a full `Wait`
    /// mailbox as [`ActorRef::tell`] does.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn send(child: &airssys_rt::supervisor::ChildRef<impl Accepts<String>>) {
    /// if let Err(error) = child.tell("hello".to_string()).timeout(Duration::from_secs(1)).await {
    ///     eprintln!("not delivered: {error}");
    ///     let kept: String = error.into_inner();
    /// }
    /// # }
    /// ```
    pub fn tell<M: Send + 'static>(&self, msg: M) -> ChildTell<'_, A, M>
    where
        A: Accepts<M>,
    {
        ChildTell { child: self, msg, timeout: None }
    }

    /// Sends a message if the current incarnation can queue it at once; never waits, and
    /// never calls the supervisor: if the incarnation this handle last reached has ended, it
    /// sends to the one the supervisor has started since, if any, and otherwise fails with
    /// `Restarting` (or `Gone`, `SupervisorEnded`), as a failing handle does (T26).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn send(child: &airssys_rt::supervisor::ChildRef<impl Accepts<u8>>) {
    /// let _ = child.try_tell(1);
    /// # }
    /// ```
    pub fn try_tell<M: Send + 'static>(&self, msg: M) -> Result<(), StableSendError<M>>
    where
        A: Accepts<M>,
    {
        let mut stale = None;
        let mut msg = msg;
        // The cached incarnation first, through a guard: the way every send takes touches no
        // reference count.
        if let Some(actor) = self.shared.current.load().as_deref() {
            match actor.try_tell(msg) {
                Ok(()) => return Ok(()),
                Err(SendError::Full(back)) => return Err(StableSendError::Full(back)),
                Err(SendError::Closed(back)) => {
                    stale = Some(actor.id());
                    msg = back;
                }
            }
        }
        // Then the one the supervisor published, while it is another than the one found closed.
        loop {
            let actor = match self.published_incarnation(stale) {
                Ok(actor) => actor,
                Err(why) => return Err(why.send_error(msg)),
            };
            match actor.try_tell(msg) {
                Ok(()) => return Ok(()),
                Err(SendError::Full(back)) => return Err(StableSendError::Full(back)),
                Err(SendError::Closed(back)) => {
                    stale = Some(actor.id());
                    msg = back;
                }
            }
        }
    }

    /// The incarnation the supervisor published, unless it is `stale` or has ended; read
    /// without a call.
    fn published_incarnation(
        &self,
        stale: Option<ActorId>,
    ) -> Result<Arc<ActorRef<A>>, Unreachable> {
        if !self.shared.supervisor.is_alive() {
            return Err(Unreachable::SupervisorEnded);
        }
        match self.shared.published.load().get() {
            Look::Running(actor) if actor.is_alive() && Some(actor.id()) != stale => {
                let actor = Arc::new(actor.downcast::<A>().ok_or(Unreachable::WrongType)?);
                self.shared.current.store(Some(Arc::clone(&actor)));
                Ok(actor)
            }
            // Ended, its end not yet handled by the supervisor; or waiting for a restart.
            Look::Running(_) | Look::Restarting => Err(Unreachable::Restarting),
            Look::Stopped | Look::Missing => Err(Unreachable::Gone),
            Look::SupervisorEnding => Err(Unreachable::SupervisorEnded),
        }
    }

    /// Sends a request to the current incarnation and waits for its reply, for at most the
    /// system's ask timeout unless [`ChildAsk::timeout`] says otherwise; the timeout covers
    /// waiting for the next incarnation too.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # async fn call(child: &airssys_rt::supervisor::ChildRef<impl Accepts<u8, Reply = u8>>) {
    /// match child.ask(1).timeout(Duration::from_secs(1)).await {
    ///     Ok(reply) => println!("{reply}"),
    ///     Err(error) => println!("{error}"),
    /// }
    /// # }
    /// ```
    pub fn ask<M: Send + 'static>(&self, msg: M) -> ChildAsk<'_, A, M>
    where
        A: Accepts<M>,
    {
        ChildAsk { child: self, msg, timeout: self.shared.ask_timeout }
    }

    /// The next live incarnation, after `stale` (the one found ended), waiting for it until
    /// `deadline` unless the handle fails at once.
    async fn next_incarnation(
        &self,
        stale: Option<ActorId>,
        deadline: Instant,
    ) -> Result<Arc<ActorRef<A>>, Unreachable> {
        // What the supervisor published answers without a call, unless the child is between
        // incarnations and the handle waits for the next, or no child had the id when it was
        // published: the handle is to the id, and a child added under it since is in a slot
        // that only a look finds.
        match self.published_incarnation(stale) {
            Err(Unreachable::Restarting) if self.during_restart == DuringRestart::Wait => {}
            Err(Unreachable::Gone)
                if matches!(self.shared.published.load().get(), Look::Missing) => {}
            known => return known,
        }
        let supervisor = &*self.shared.supervisor;
        let found = tokio::time::timeout_at(deadline, self.follow(supervisor, stale)).await;
        found.unwrap_or(Err(Unreachable::Timeout))
    }

    async fn follow(
        &self,
        supervisor: &dyn Follows,
        stale: Option<ActorId>,
    ) -> Result<Arc<ActorRef<A>>, Unreachable> {
        let wait = self.during_restart == DuringRestart::Wait;
        let id = &self.shared.id;
        // The look and the subscription are one step of the supervisor: no event between
        // them is missed.
        let looked = supervisor.look(id, wait).await.map_err(Unreachable::from_call)?;
        self.shared.published.store(looked.published);
        let (mut look, mut events) = (looked.look, looked.events);
        loop {
            match look {
                Look::Running(actor) if actor.is_alive() && Some(actor.id()) != stale => {
                    let actor = Arc::new(actor.downcast::<A>().ok_or(Unreachable::WrongType)?);
                    self.shared.current.store(Some(Arc::clone(&actor)));
                    return Ok(actor);
                }
                // Ended, its end not yet handled by the supervisor; or waiting for a restart.
                Look::Running(_) | Look::Restarting => {}
                Look::Stopped | Look::Missing => return Err(Unreachable::Gone),
                Look::SupervisorEnding => return Err(Unreachable::SupervisorEnded),
            }
            let Some(events) = events.as_mut() else {
                return Err(Unreachable::Restarting);
            };
            news_of(events, id).await?;
            look = supervisor.look(id, false).await.map_err(Unreachable::from_call)?.look;
        }
    }

    /// The rest of a tell that the cached incarnation did not queue at once: it was full
    /// under `Wait` (`waiting_on`), or had ended (`stale`).
    async fn tell_slowly<M: Send + 'static>(
        &self,
        mut waiting_on: Option<Arc<ActorRef<A>>>,
        mut stale: Option<ActorId>,
        mut msg: M,
        timeout: Option<Duration>,
    ) -> Result<(), StableSendError<M>>
    where
        A: Accepts<M>,
    {
        let started = Instant::now();
        let deadline = started + timeout.unwrap_or(self.shared.ask_timeout);
        loop {
            let actor = match waiting_on.take() {
                Some(actor) => actor,
                None => {
                    let held = Held::new(msg, &self.shared.current, SentAs::Tell);
                    let next = self.next_incarnation(stale, deadline).await;
                    msg = held.into_message();
                    match next {
                        Ok(actor) => actor,
                        Err(why) => return Err(why.send_error(msg)),
                    }
                }
            };
            let tell = actor.tell(msg);
            let sent = match timeout {
                Some(timeout) => tell.timeout(timeout.saturating_sub(started.elapsed())).await,
                None => tell.await,
            };
            match sent {
                Ok(()) => return Ok(()),
                Err(SendError::Full(back)) => return Err(StableSendError::Full(back)),
                Err(SendError::Closed(back)) => {
                    stale = Some(actor.id());
                    msg = back;
                }
            }
        }
    }

    /// An ask, from its first poll on; `held` accounts for the request should it be dropped
    /// before that (M15).
    async fn ask_following<M: Send + 'static>(
        &self,
        held: Held<'_, A, M>,
        timeout: Duration,
    ) -> Result<<A as Accepts<M>>::Reply, StableAskError<M>>
    where
        A: Accepts<M>,
    {
        let mut msg = held.into_message();
        let deadline = Instant::now() + timeout;
        let mut stale = None;
        loop {
            let cached = self.shared.current.load_full();
            let actor = match cached.filter(|actor| Some(actor.id()) != stale) {
                Some(actor) => actor,
                None => {
                    let held = Held::new(msg, &self.shared.current, SentAs::Ask);
                    let next = self.next_incarnation(stale, deadline).await;
                    msg = held.into_message();
                    match next {
                        Ok(actor) => actor,
                        Err(why) => return Err(why.send_error(msg).into()),
                    }
                }
            };
            let left = deadline.saturating_duration_since(Instant::now());
            return match actor.ask(msg).timeout(left).await {
                Ok(reply) => Ok(reply),
                Err(AskError::Closed(back)) => {
                    stale = Some(actor.id());
                    msg = back;
                    continue;
                }
                Err(AskError::Full(back)) => Err(StableAskError::Full(back)),
                Err(AskError::CallingSelf(back)) => Err(StableAskError::CallingSelf(back)),
                Err(AskError::Timeout(after)) => Err(StableAskError::Timeout(after)),
                Err(AskError::Stopped(reason)) => Err(StableAskError::Stopped(reason)),
                Err(AskError::Dropped) => Err(StableAskError::Dropped),
                Err(AskError::Unanswered) => Err(StableAskError::Unanswered),
            };
        }
    }
}

/// Waits for an event that may change what the supervisor runs for `id`: its start or
/// restart (`Ok`, to look again), or an end for good.
async fn news_of(events: &mut SupervisorEvents, id: &str) -> Result<(), Unreachable> {
    while let Some(event) = events.next().await {
        match event {
            SupervisorEvent::Started { id: of, .. } | SupervisorEvent::Restarted { id: of, .. }
                if &*of == id =>
            {
                return Ok(())
            }
            SupervisorEvent::Ended { id: of, restart: false, .. }
            | SupervisorEvent::RestartCancelled { id: of }
            | SupervisorEvent::Deleted { id: of }
                if &*of == id =>
            {
                return Err(Unreachable::Gone)
            }
            SupervisorEvent::GaveUp { .. } => return Err(Unreachable::SupervisorEnded),
            // Events were lost: one of them may have been the restart.
            SupervisorEvent::Lagged { .. } => return Ok(()),
            _ => {}
        }
    }
    Err(Unreachable::SupervisorEnded)
}

impl<A: Actor> Clone for ChildRef<A> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), during_restart: self.during_restart }
    }
}

impl<A: Actor> fmt::Debug for ChildRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.shared.current.load();
        f.debug_struct("ChildRef")
            .field("id", &self.shared.id)
            .field("current", &current.as_deref().map(ActorRef::id))
            .field("fails_during_restart", &self.fails_during_restart())
            .finish()
    }
}

/// A message on its way through a [`ChildRef`]: await it to send it, or set a timeout first.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn send(child: &airssys_rt::supervisor::ChildRef<impl Accepts<u8>>) {
/// let _ = child.tell(1).timeout(Duration::from_millis(100)).await;
/// # }
/// ```
#[must_use = "a tell sends nothing until it is awaited"]
pub struct ChildTell<'a, A: Actor, M> {
    child: &'a ChildRef<A>,
    msg: M,
    timeout: Option<Duration>,
}

impl<A: Accepts<M>, M: Send + 'static> ChildTell<'_, A, M> {
    /// Waits at most this long in all: for the next incarnation, and for room in a full
    /// `Wait` mailbox. Without it, a tell waits for the next incarnation as long as the
    /// system's ask timeout, and for room as long as it takes.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn send(child: &airssys_rt::supervisor::ChildRef<impl Accepts<u8>>) {
    /// let _ = child.tell(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

// The message's type, not its value: a message need not be `Debug`.
impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for ChildTell<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildTell")
            .field("child", self.child)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for ChildTell<'a, A, M> {
    type Output = Result<(), StableSendError<M>>;
    type IntoFuture = ChildTellFuture<'a, A, M>;

    fn into_future(self) -> Self::IntoFuture {
        let ChildTell { child, msg, timeout } = self;
        ChildTellFuture { child, unsent: Some(msg), timeout, gave_way: false, slowly: None }
    }
}

type Slowly<'a, M> = Pin<Box<dyn Future<Output = Result<(), StableSendError<M>>> + Send + 'a>>;

/// The future of a [`ChildTell`]. Its fast path (the cached incarnation takes the message) is
/// `ActorRef::tell`'s; waiting (for room, or for the next incarnation) is boxed, as it is rare
/// and long anyway.
///
/// Dropped before its first poll, it makes the message a dead letter of the cached
/// incarnation, as a cancelled [`TellFuture`](crate::actor::TellFuture) does.
///
/// ```
/// # use airssys_rt::prelude::*;
/// use airssys_rt::supervisor::ChildTellFuture;
/// use std::future::IntoFuture;
/// # fn start<A: Accepts<()>>(child: &airssys_rt::supervisor::ChildRef<A>) {
/// let pending: ChildTellFuture<'_, A, ()> = child.tell(()).into_future();
/// # drop(pending); }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct ChildTellFuture<'a, A: Accepts<M>, M: Send + 'static> {
    child: &'a ChildRef<A>,
    unsent: Option<M>,
    timeout: Option<Duration>,
    gave_way: bool,
    slowly: Option<Slowly<'a, M>>,
}

// Nothing in it is pinned: the part that waits is pinned in its box.
impl<A: Accepts<M>, M: Send + 'static> Unpin for ChildTellFuture<'_, A, M> {}

impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for ChildTellFuture<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildTellFuture")
            .field("child", self.child)
            .field("message_type", &std::any::type_name::<M>())
            .field("unsent", &self.unsent.is_some())
            .field("waiting", &self.slowly.is_some())
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> Future for ChildTellFuture<'a, A, M> {
    type Output = Result<(), StableSendError<M>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.slowly.is_none() {
            let child: &'a ChildRef<A> = this.child;
            let current = child.shared.current.load();
            if !this.gave_way {
                // As `ActorRef::tell` does (M13), before anything is queued.
                if !current.as_deref().is_some_and(ActorRef::waits_when_full) {
                    ready!(tokio::task::coop::poll_proceed(cx)).made_progress();
                }
                this.gave_way = true;
            }
            let Some(msg) = this.unsent.take() else {
                panic!("a `ChildTellFuture` polled after it completed");
            };
            let (waiting_on, stale, msg) = match current.as_ref() {
                Some(actor) => match actor.try_tell(msg) {
                    Ok(()) => return Poll::Ready(Ok(())),
                    Err(SendError::Full(back)) if actor.waits_when_full() => {
                        (Some(Arc::clone(actor)), None, back)
                    }
                    Err(SendError::Full(back)) => {
                        return Poll::Ready(Err(StableSendError::Full(back)))
                    }
                    Err(SendError::Closed(back)) => (None, Some(actor.id()), back),
                },
                None => (None, None, msg),
            };
            this.go_slowly(waiting_on, stale, msg);
        }
        let Some(slowly) = this.slowly.as_mut() else {
            panic!("a `ChildTellFuture` polled after it completed");
        };
        let sent = ready!(slowly.as_mut().poll(cx));
        this.slowly = None;
        Poll::Ready(sent)
    }
}

impl<A: Accepts<M>, M: Send + 'static> ChildTellFuture<'_, A, M> {
    /// Boxes the rest of the tell: out of line, so that the fast path inlines into the sender.
    #[inline(never)]
    fn go_slowly(&mut self, waiting_on: Option<Arc<ActorRef<A>>>, stale: Option<ActorId>, msg: M) {
        let slowly = self.child.tell_slowly(waiting_on, stale, msg, self.timeout);
        self.slowly = Some(Box::pin(slowly));
    }
}

impl<A: Accepts<M>, M: Send + 'static> Drop for ChildTellFuture<'_, A, M> {
    fn drop(&mut self) {
        // Once waiting, the message is in the boxed tell, which accounts for it (M15).
        if let Some(msg) = self.unsent.take() {
            if let Some(actor) = self.child.shared.current.load().as_deref() {
                actor.dead_letter(msg, DeadLetterReason::SendCancelled, SentAs::Tell);
            }
        }
    }
}

/// A request on its way through a [`ChildRef`]: await it for the reply, or set its timeout
/// first.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # async fn call(child: &airssys_rt::supervisor::ChildRef<impl Accepts<u8, Reply = u8>>) {
/// let _ = child.ask(1).timeout(Duration::from_millis(100)).await;
/// # }
/// ```
#[must_use = "an ask sends nothing until it is awaited"]
pub struct ChildAsk<'a, A: Actor, M> {
    child: &'a ChildRef<A>,
    msg: M,
    timeout: Duration,
}

impl<A: Accepts<M>, M: Send + 'static> ChildAsk<'_, A, M> {
    /// Waits at most this long in all (for the next incarnation, room and the reply),
    /// instead of the system's ask timeout.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn call(child: &airssys_rt::supervisor::ChildRef<impl Accepts<u8, Reply = u8>>) {
    /// let _ = child.ask(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for ChildAsk<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildAsk")
            .field("child", self.child)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for ChildAsk<'a, A, M> {
    type Output = Result<<A as Accepts<M>>::Reply, StableAskError<M>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let ChildAsk { child, msg, timeout } = self;
        let held = Held::new(msg, &child.shared.current, SentAs::Ask);
        Box::pin(child.ask_following(held, timeout))
    }
}

/// A message this handle holds while it waits for the next incarnation. Dropped with the send
/// (a timeout around it, a `select!`), it is a `SendCancelled` dead letter of the incarnation
/// last reached (M15), as a message is when a `TellFuture` that waits for room is dropped;
/// nothing records it if the handle never reached one (`NamedRef` has its own).
struct Held<'a, A: Accepts<M>, M: Send + 'static> {
    msg: Option<M>,
    last: &'a ArcSwapOption<ActorRef<A>>,
    sent: SentAs,
}

impl<'a, A: Accepts<M>, M: Send + 'static> Held<'a, A, M> {
    fn new(msg: M, last: &'a ArcSwapOption<ActorRef<A>>, sent: SentAs) -> Self {
        Self { msg: Some(msg), last, sent }
    }

    /// The message back, to send or hand back: the wait is over.
    fn into_message(mut self) -> M {
        match self.msg.take() {
            Some(msg) => msg,
            None => unreachable!("a held message is taken only here, once"),
        }
    }
}

impl<A: Accepts<M>, M: Send + 'static> Drop for Held<'_, A, M> {
    fn drop(&mut self) {
        if let Some(msg) = self.msg.take() {
            if let Some(actor) = self.last.load().as_deref() {
                actor.dead_letter(msg, DeadLetterReason::SendCancelled, self.sent);
            }
        }
    }
}
