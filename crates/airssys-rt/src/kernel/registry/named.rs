//! [`NamedRef`]: a handle to whichever actor a name stands for at each send (T28).
//!
//! It caches the actor it last reached and sends to it directly; only when that one has ended
//! does it look the name up again, and if nobody holds the name, it waits for the registry's
//! next registration (a supervised child registers its name again when it is restarted),
//! never polls.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context as TaskContext, Poll};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use tokio::time::Instant;

use super::LookupError;
use crate::kernel::actor::{Accepts, Actor, ActorId, ActorRef};
use crate::kernel::dead_letter::DeadLetterReason;
use crate::kernel::message::{AskError, SendError, StableAskError, StableSendError};
use crate::kernel::offer::SentAs;
use crate::kernel::system::ActorSystem;

/// A stable handle to a name: every send reaches the actor of type `A` registered under the
/// name at that moment (T28). Made by [`ActorSystem::named`].
///
/// It caches the actor it last reached, and looks the name up again once that one has ended.
/// While no live actor holds the name (its actor ended, and the supervisor restarting it has
/// not registered the next yet), a send waits for the next registration, for at most the
/// ask's timeout, the tell's [`timeout`](NamedTell::timeout), or the system's ask timeout for
/// a plain tell, then fails with `RestartTimeout`; a handle made with
/// [`failing_during_restart`](Self::failing_during_restart) fails at once with `Restarting`.
/// An actor of another type under the name fails the send with `WrongType`, and a system that
/// shuts down with `Gone`; each hands the message back.
///
/// The actor it last reached is held as an [`ActorRef`] holds it: unregistered, it stays
/// alive for this handle, which goes on reaching it until it ends.
///
/// Cost: with the actor cached and alive, a tell is an `ActorRef::tell` plus one atomic
/// load; an ask boxes its future once, on top of the reply slot every ask has.
///
/// ```
/// use airssys_rt::prelude::*;
///
/// #[derive(Default)]
/// struct Greeter;
/// struct Hello;
///
/// #[actor(messages(Hello))]
/// impl Actor for Greeter {}
///
/// impl Handler<Hello> for Greeter {
///     type Reply = &'static str;
///     async fn handle(&mut self, _: Hello, _: &mut Context<Self>) -> &'static str {
///         "hello"
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let greeter = system.named::<Greeter>("greeter");
/// let first = system.spawn_named::<Greeter>("greeter", Greeter).await?;
/// assert_eq!(greeter.ask(Hello).await?, "hello");
/// first.stop();
/// first.wait_for_exit().await;
/// // Another actor takes the name: the same handle reaches it.
/// let second = system.spawn_named::<Greeter>("greeter", Greeter).await?;
/// assert_eq!(greeter.ask(Hello).await?, "hello");
/// assert_eq!(greeter.current().map(|actor| actor.id()), Some(second.id()));
/// # Ok(()) }
/// ```
pub struct NamedRef<A: Actor> {
    shared: Arc<Shared<A>>,
    fails_during_restart: bool,
}

struct Shared<A: Actor> {
    name: Arc<str>,
    system: ActorSystem,
    /// The actor last reached: read on every send, written when a send finds it ended.
    current: ArcSwapOption<ActorRef<A>>,
}

/// Why no actor could be reached under the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unreachable {
    Unregistered,
    Timeout,
    ShuttingDown,
    WrongType,
}

impl Unreachable {
    fn send_error<M>(self, msg: M) -> StableSendError<M> {
        match self {
            Self::Unregistered => StableSendError::Restarting(msg),
            Self::Timeout => StableSendError::RestartTimeout(msg),
            Self::ShuttingDown => StableSendError::Gone(msg),
            Self::WrongType => StableSendError::WrongType(msg),
        }
    }
}

impl ActorSystem {
    /// A stable handle to the actor of type `A` registered under `name`, whichever it is at
    /// each send (T28): see [`NamedRef`]. Nobody need hold the name yet.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn send<A: Accepts<u8>>(system: &ActorSystem) {
    /// let billing = system.named::<A>("billing");
    /// let _ = billing.tell(1).await;
    /// # }
    /// ```
    pub fn named<A: Actor>(&self, name: impl Into<Arc<str>>) -> NamedRef<A> {
        let name = name.into();
        let found = self.registry().lookup::<A>(&name).ok().map(Arc::new);
        let shared = Shared { name, system: self.clone(), current: ArcSwapOption::new(found) };
        NamedRef { shared: Arc::new(shared), fails_during_restart: false }
    }
}

impl<A: Actor> NamedRef<A> {
    /// The name.
    ///
    /// ```
    /// # fn name<A: airssys_rt::Actor>(named: &airssys_rt::registry::NamedRef<A>) -> &str { named.name() }
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The actor this handle last reached, if it is still alive; the registry is not looked
    /// at.
    ///
    /// ```
    /// # fn id<A: airssys_rt::Actor>(named: &airssys_rt::registry::NamedRef<A>) -> Option<airssys_rt::ActorId> {
    /// named.current().map(|actor| actor.id())
    /// # }
    /// ```
    pub fn current(&self) -> Option<ActorRef<A>> {
        let current = self.shared.current.load();
        current.as_deref().filter(|actor| actor.is_alive()).cloned()
    }

    /// A handle to the same name whose sends fail at once with `Restarting` while no live
    /// actor holds the name, instead of waiting for the next.
    ///
    /// ```
    /// # fn impatient<A: airssys_rt::Actor>(named: &airssys_rt::registry::NamedRef<A>) -> airssys_rt::registry::NamedRef<A> {
    /// named.failing_during_restart()
    /// # }
    /// ```
    pub fn failing_during_restart(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), fails_during_restart: true }
    }

    /// A handle to the same name whose sends wait for its next actor (the default).
    ///
    /// ```
    /// # fn patient<A: airssys_rt::Actor>(named: &airssys_rt::registry::NamedRef<A>) -> airssys_rt::registry::NamedRef<A> {
    /// named.waiting_for_restart()
    /// # }
    /// ```
    pub fn waiting_for_restart(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), fails_during_restart: false }
    }

    /// Whether sends fail at once while no live actor holds the name.
    ///
    /// ```
    /// # fn mode<A: airssys_rt::Actor>(named: &airssys_rt::registry::NamedRef<A>) {
    /// assert!(named.failing_during_restart().fails_during_restart());
    /// # }
    /// ```
    pub fn fails_during_restart(&self) -> bool {
        self.fails_during_restart
    }

    /// Sends a message to the name's actor without waiting for it to be handled; see
    /// [`NamedRef`] for what happens while nobody holds the name.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn send(named: &airssys_rt::registry::NamedRef<impl Accepts<u8>>) {
    /// if let Err(error) = named.tell(1).await {
    ///     eprintln!("not delivered: {error}");
    /// }
    /// # }
    /// ```
    pub fn tell<M: Send + 'static>(&self, msg: M) -> NamedTell<'_, A, M>
    where
        A: Accepts<M>,
    {
        NamedTell { named: self, msg, timeout: None }
    }

    /// Sends a message if the name's actor can queue it at once; never waits. If the actor
    /// last reached has ended, looks the name up once more.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn send(named: &airssys_rt::registry::NamedRef<impl Accepts<u8>>) {
    /// let _ = named.try_tell(1);
    /// # }
    /// ```
    pub fn try_tell<M: Send + 'static>(&self, msg: M) -> Result<(), StableSendError<M>>
    where
        A: Accepts<M>,
    {
        let current = self.shared.current.load();
        let (stale, msg) = match current.as_deref() {
            Some(actor) => match actor.try_tell(msg) {
                Ok(()) => return Ok(()),
                Err(SendError::Full(back)) => return Err(StableSendError::Full(back)),
                Err(SendError::Closed(back)) => (Some(actor.id()), back),
            },
            None => (None, msg),
        };
        drop(current);
        match self.look_up(stale) {
            Ok(Some(actor)) => actor.try_tell(msg).map_err(|error| match error {
                SendError::Full(back) => StableSendError::Full(back),
                SendError::Closed(back) => StableSendError::Restarting(back),
            }),
            Ok(None) => Err(StableSendError::Restarting(msg)),
            Err(why) => Err(why.send_error(msg)),
        }
    }

    /// Sends a request to the name's actor and waits for its reply, for at most the
    /// system's ask timeout unless [`NamedAsk::timeout`] says otherwise; the timeout covers
    /// waiting for the name's next actor too.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn call(named: &airssys_rt::registry::NamedRef<impl Accepts<u8, Reply = u8>>) {
    /// let _ = named.ask(1).await;
    /// # }
    /// ```
    pub fn ask<M: Send + 'static>(&self, msg: M) -> NamedAsk<'_, A, M>
    where
        A: Accepts<M>,
    {
        let timeout = self.shared.system.config().ask_timeout();
        NamedAsk { named: self, msg, timeout }
    }

    /// The live actor under the name now, other than `stale`, cached; `None` if there is none.
    fn look_up(&self, stale: Option<ActorId>) -> Result<Option<Arc<ActorRef<A>>>, Unreachable> {
        match self.shared.system.registry().lookup::<A>(&self.shared.name) {
            Ok(actor) if actor.is_alive() && Some(actor.id()) != stale => {
                let actor = Arc::new(actor);
                self.shared.current.store(Some(Arc::clone(&actor)));
                Ok(Some(actor))
            }
            Err(LookupError::WrongType { .. }) => Err(Unreachable::WrongType),
            Ok(_) | Err(LookupError::NotFound(_)) => Ok(None),
        }
    }

    /// The name's next live actor after `stale`, waiting for a registration until `deadline`
    /// unless the handle fails at once.
    async fn next_actor(
        &self,
        stale: Option<ActorId>,
        deadline: Instant,
    ) -> Result<Arc<ActorRef<A>>, Unreachable> {
        let registry = self.shared.system.registry();
        loop {
            // Registered for a wake before the look: a registration just after it wakes us.
            let registered = registry.registrations().notified();
            let mut registered = std::pin::pin!(registered);
            registered.as_mut().enable();
            if let Some(actor) = self.look_up(stale)? {
                return Ok(actor);
            }
            if self.shared.system.is_shutting_down() {
                return Err(Unreachable::ShuttingDown);
            }
            if self.fails_during_restart {
                return Err(Unreachable::Unregistered);
            }
            if tokio::time::timeout_at(deadline, registered).await.is_err() {
                return Err(Unreachable::Timeout);
            }
        }
    }

    /// The rest of a tell that the cached actor did not queue at once: it was full under
    /// `Wait` (`waiting_on`), or had ended (`stale`).
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
        let wait = timeout.unwrap_or_else(|| self.shared.system.config().ask_timeout());
        let deadline = started + wait;
        loop {
            let actor = match waiting_on.take() {
                Some(actor) => actor,
                None => {
                    let held = Held::new(msg, &self.shared.current, SentAs::Tell);
                    let next = self.next_actor(stale, deadline).await;
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
                    let next = self.next_actor(stale, deadline).await;
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

impl<A: Actor> Clone for NamedRef<A> {
    fn clone(&self) -> Self {
        Self { shared: Arc::clone(&self.shared), fails_during_restart: self.fails_during_restart }
    }
}

impl<A: Actor> fmt::Debug for NamedRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.shared.current.load();
        f.debug_struct("NamedRef")
            .field("name", &self.shared.name)
            .field("current", &current.as_deref().map(ActorRef::id))
            .field("fails_during_restart", &self.fails_during_restart)
            .finish()
    }
}

/// A message on its way through a [`NamedRef`]: await it to send it, or set a timeout first.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # async fn send(named: &airssys_rt::registry::NamedRef<impl Accepts<u8>>) {
/// let _ = named.tell(1).timeout(std::time::Duration::from_millis(100)).await;
/// # }
/// ```
#[must_use = "a tell sends nothing until it is awaited"]
pub struct NamedTell<'a, A: Actor, M> {
    named: &'a NamedRef<A>,
    msg: M,
    timeout: Option<Duration>,
}

impl<A: Accepts<M>, M: Send + 'static> NamedTell<'_, A, M> {
    /// Waits at most this long in all: for the name's next actor, and for room in a full
    /// `Wait` mailbox. Without it, a tell waits for the next actor as long as the system's ask
    /// timeout, and for room as long as it takes.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn send(named: &airssys_rt::registry::NamedRef<impl Accepts<u8>>) {
    /// let _ = named.tell(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

// The message's type, not its value: a message need not be `Debug`.
impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for NamedTell<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedTell")
            .field("named", self.named)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for NamedTell<'a, A, M> {
    type Output = Result<(), StableSendError<M>>;
    type IntoFuture = NamedTellFuture<'a, A, M>;

    fn into_future(self) -> Self::IntoFuture {
        let NamedTell { named, msg, timeout } = self;
        NamedTellFuture { named, unsent: Some(msg), timeout, gave_way: false, slowly: None }
    }
}

type Slowly<'a, M> = Pin<Box<dyn Future<Output = Result<(), StableSendError<M>>> + Send + 'a>>;

/// The future of a [`NamedTell`]. Its fast path (the cached actor takes the message) is
/// `ActorRef::tell`'s; waiting (for room, or for the name's next actor) is boxed.
///
/// Dropped before its first poll, it makes the message a dead letter of the cached actor, as
/// a cancelled [`TellFuture`](crate::actor::TellFuture) does.
///
/// ```
/// # use airssys_rt::prelude::*;
/// use airssys_rt::registry::NamedTellFuture;
/// use std::future::IntoFuture;
/// # fn start<A: Accepts<()>>(named: &airssys_rt::registry::NamedRef<A>) {
/// let pending: NamedTellFuture<'_, A, ()> = named.tell(()).into_future();
/// # drop(pending); }
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct NamedTellFuture<'a, A: Accepts<M>, M: Send + 'static> {
    named: &'a NamedRef<A>,
    unsent: Option<M>,
    timeout: Option<Duration>,
    gave_way: bool,
    slowly: Option<Slowly<'a, M>>,
}

// Nothing in it is pinned: the part that waits is pinned in its box.
impl<A: Accepts<M>, M: Send + 'static> Unpin for NamedTellFuture<'_, A, M> {}

impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for NamedTellFuture<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedTellFuture")
            .field("named", self.named)
            .field("message_type", &std::any::type_name::<M>())
            .field("unsent", &self.unsent.is_some())
            .field("waiting", &self.slowly.is_some())
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> Future for NamedTellFuture<'a, A, M> {
    type Output = Result<(), StableSendError<M>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if this.slowly.is_none() {
            let named: &'a NamedRef<A> = this.named;
            let current = named.shared.current.load();
            if !this.gave_way {
                // As `ActorRef::tell` does (M13), before anything is queued.
                if !current.as_deref().is_some_and(ActorRef::waits_when_full) {
                    ready!(tokio::task::coop::poll_proceed(cx)).made_progress();
                }
                this.gave_way = true;
            }
            let Some(msg) = this.unsent.take() else {
                panic!("a `NamedTellFuture` polled after it completed");
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
            panic!("a `NamedTellFuture` polled after it completed");
        };
        let sent = ready!(slowly.as_mut().poll(cx));
        this.slowly = None;
        Poll::Ready(sent)
    }
}

impl<A: Accepts<M>, M: Send + 'static> NamedTellFuture<'_, A, M> {
    /// Boxes the rest of the tell: out of line, so that the fast path inlines into the sender.
    #[inline(never)]
    fn go_slowly(&mut self, waiting_on: Option<Arc<ActorRef<A>>>, stale: Option<ActorId>, msg: M) {
        let slowly = self.named.tell_slowly(waiting_on, stale, msg, self.timeout);
        self.slowly = Some(Box::pin(slowly));
    }
}

impl<A: Accepts<M>, M: Send + 'static> Drop for NamedTellFuture<'_, A, M> {
    fn drop(&mut self) {
        // Once waiting, the message is in the boxed tell, which accounts for it (M15).
        if let Some(msg) = self.unsent.take() {
            if let Some(actor) = self.named.shared.current.load().as_deref() {
                actor.dead_letter(msg, DeadLetterReason::SendCancelled, SentAs::Tell);
            }
        }
    }
}

/// A request on its way through a [`NamedRef`]: await it for the reply, or set its timeout
/// first.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # async fn call(named: &airssys_rt::registry::NamedRef<impl Accepts<u8, Reply = u8>>) {
/// let _ = named.ask(1).timeout(std::time::Duration::from_millis(100)).await;
/// # }
/// ```
#[must_use = "an ask sends nothing until it is awaited"]
pub struct NamedAsk<'a, A: Actor, M> {
    named: &'a NamedRef<A>,
    msg: M,
    timeout: Duration,
}

impl<A: Accepts<M>, M: Send + 'static> NamedAsk<'_, A, M> {
    /// Waits at most this long in all (for the name's next actor, room and the reply),
    /// instead of the system's ask timeout.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn call(named: &airssys_rt::registry::NamedRef<impl Accepts<u8, Reply = u8>>) {
    /// let _ = named.ask(1).timeout(std::time::Duration::from_millis(50)).await;
    /// # }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl<A: Accepts<M>, M: Send + 'static> fmt::Debug for NamedAsk<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedAsk")
            .field("named", self.named)
            .field("message_type", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, A: Accepts<M>, M: Send + 'static> IntoFuture for NamedAsk<'a, A, M> {
    type Output = Result<<A as Accepts<M>>::Reply, StableAskError<M>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let NamedAsk { named, msg, timeout } = self;
        let held = Held::new(msg, &named.shared.current, SentAs::Ask);
        Box::pin(named.ask_following(held, timeout))
    }
}

/// A message this handle holds while it waits for the name's next actor. Dropped with the send
/// (a timeout around it, a `select!`), it is a `SendCancelled` dead letter of the actor last
/// reached (M15), as a message is when a `TellFuture` that waits for room is dropped;
/// nothing records it if the handle never reached one (`ChildRef` has its own).
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
