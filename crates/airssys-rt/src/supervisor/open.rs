//! Open supervisors: a supervisor defined by the user, as OTP's supervisor callback module. Its
//! [`Supervise::init`] decides the specification at start (or that there is no supervisor:
//! [`Init::Ignore`]); it keeps a state of its own, and handles messages of its own with
//! [`Handler`], between the administration calls, with its children at hand.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures::FutureExt;

use super::admin::{DynamicStart, Response};
use super::server::{Mail, Sealed};
use super::{
    ChildCount, ChildInfo, ChildRef, ChildSpec, Supervisor, SupervisorError, SupervisorRef,
    SupervisorReply, SupervisorSpec, SupervisorState,
};
use crate::actor::dispatch::{call_deferred, Answer};
use crate::actor::{
    Accepts, Actor, ActorId, ActorRef, BoxError, Context, DeferredHandler, ExitReason, Handler,
    ReplyTo,
};
use crate::kernel::outside_tree;
use crate::mailbox::MailboxConfig;
use crate::system::{ActorSystem, SpawnError, SpawnOptions};

/// A supervisor of your own (OTP's supervisor callback module): the type is its state,
/// [`init`](Supervise::init) decides its specification when it starts, and it handles
/// messages of its own beside the administration calls.
///
/// It runs as a [`Supervisor<Self>`](Supervisor): start it with
/// [`Supervisor::start_open`], or as a child with [`ChildSpec::open_supervisor`]; its handle
/// is a [`SupervisorRef<Self>`](SupervisorRef), with every administration call. Its messages
/// are handled by `impl Handler<M> for Supervisor<Self>` (which makes it accept `M`, no
/// attribute needed), one at a time, between the administration calls and its children's
/// ends. A handler reaches the state through the supervisor (`Supervisor<Self>` dereferences
/// to `Self`) and administers the children directly, with the supervisor's own methods
/// ([`start_child`](Supervisor::start_child), [`child`](Supervisor::child), ...): no call to
/// itself, which could not be answered.
///
/// `Supervisor` being this crate's, Rust's orphan rule lets your crate write
/// `impl Handler<M> for Supervisor<Self>` only for a message type `M` of its own: not for a
/// `String`, a `u64`, nor the broker's [`Publication<T>`](crate::broker::Publication). Wrap
/// such a value in a type of yours; publications reach it through a child that subscribes and
/// tells the supervisor.
///
/// ```
/// use airssys_rt::prelude::*;
/// use airssys_rt::supervisor::{ChildSpec, Init, Strategy, Supervise, Supervisor, SupervisorError, SupervisorSpec};
///
/// #[derive(Clone, Default)]
/// struct Account {
///     balance: u64,
/// }
/// struct Deposit(u64);
///
/// #[actor(messages(Deposit))]
/// impl Actor for Account {}
///
/// impl Handler<Deposit> for Account {
///     type Reply = u64;
///     async fn handle(&mut self, Deposit(amount): Deposit, _: &mut Context<Self>) -> u64 {
///         self.balance += amount;
///         self.balance
///     }
/// }
///
/// /// Starts one account per name, on demand, and supervises them.
/// struct Bank {
///     opened: usize,
/// }
/// struct Open(String);
/// struct Count;
///
/// impl Supervise for Bank {
///     type Args = ();
///     type Error = std::convert::Infallible;
///
///     async fn init(_: (), _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
///         Ok(Init::Start(SupervisorSpec::new(Strategy::OneForOne), Bank { opened: 0 }))
///     }
/// }
///
/// impl Handler<Open> for Supervisor<Bank> {
///     type Reply = Result<ActorRef<Account>, SupervisorError>;
///
///     async fn handle(&mut self, Open(name): Open, ctx: &mut Context<Self>) -> Self::Reply {
///         if let Some(account) = self.child::<Account>(&name) {
///             return Ok(account);
///         }
///         self.start_child(ctx, ChildSpec::worker::<Account>(name.as_str(), Account::default())).await?;
///         self.opened += 1;
///         self.child::<Account>(&name).ok_or(SupervisorError::NotFound(name.into()))
///     }
/// }
///
/// impl Handler<Count> for Supervisor<Bank> {
///     type Reply = usize;
///
///     async fn handle(&mut self, _: Count, _: &mut Context<Self>) -> usize {
///         self.opened
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let bank = Supervisor::<Bank>::start_open(&system, ()).await?.started().ok_or("ignored")?;
/// let alice = bank.actor().ask(Open("alice".into())).await??;
/// assert_eq!(alice.ask(Deposit(10)).await?, 10);
/// let again = bank.actor().ask(Open("alice".into())).await??;
/// assert_eq!(again.id(), alice.id());
/// assert_eq!(bank.actor().ask(Count).await?, 1);
/// assert_eq!(bank.which_children().await?.len(), 1);
/// system.shutdown().await;
/// # Ok(()) }
/// ```
pub trait Supervise: Sized + Send + 'static {
    /// What [`init`](Supervise::init) takes.
    type Args: Send + 'static;
    /// Why `init` may fail: the start then fails with
    /// [`SpawnError::StartFailed`], its reason this error (as an
    /// [`ExitReason::Failed`]).
    type Error: Into<BoxError> + Send + 'static;

    /// Decides, as the supervisor starts, its specification and its state
    /// ([`Init::Start`]), or that it does not start at all ([`Init::Ignore`]). Runs in the
    /// starter's task before the supervisor exists, so that an ignored supervisor leaves
    /// nothing behind; again at each restart by its own supervisor. A panic is a failed
    /// start. An actor it spawns takes no place in the supervision tree: it is not the
    /// supervisor, nor one of its children.
    ///
    /// See [`Supervise`] for an example.
    fn init(
        args: Self::Args,
        system: &ActorSystem,
    ) -> impl Future<Output = Result<Init<Self>, Self::Error>> + Send;
}

/// What [`Supervise::init`] decided (OTP's `{ok, {SupFlags, ChildSpecs}}` or `ignore`).
///
/// ```
/// use airssys_rt::supervisor::{Init, Strategy, SupervisorSpec};
/// let start: Init<u32> = Init::Start(SupervisorSpec::new(Strategy::OneForOne), 0);
/// let ignore: Init<u32> = Init::Ignore;
/// assert!(matches!(ignore, Init::Ignore));
/// # drop(start);
/// ```
// Made once per start and matched at once: boxing the spec would only cost every `init` a
// `Box::new` to write.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Init<S> {
    /// Start with this specification (strategy, intensity, children, template) and state.
    Start(SupervisorSpec, S),
    /// Do not start: a root start says [`Opened::Ignored`]; a parent keeps the child's
    /// specification without a running child, as for any start function returning `None`
    /// (a temporary child's goes).
    Ignore,
}

/// How [`Supervisor::start_open`] went, when it did not fail.
///
/// ```
/// use airssys_rt::supervisor::{Opened, Supervise};
/// fn running<S: Supervise>(opened: &Opened<S>) -> bool {
///     matches!(opened, Opened::Started(_))
/// }
/// ```
pub enum Opened<S: Supervise> {
    /// It runs, with its children started.
    Started(SupervisorRef<S>),
    /// Its `init` returned [`Init::Ignore`]: no supervisor was spawned.
    Ignored,
}

// By hand: a derive would ask `S: Debug` of the state, which the handle does not hold.
impl<S: Supervise> fmt::Debug for Opened<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opened::Started(supervisor) => f.debug_tuple("Started").field(supervisor).finish(),
            Opened::Ignored => f.write_str("Ignored"),
        }
    }
}

impl<S: Supervise> Opened<S> {
    /// The supervisor, if it started.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Opened, Supervise};
    /// fn ignored<S: Supervise>(opened: Opened<S>) -> bool {
    ///     opened.started().is_none()
    /// }
    /// ```
    pub fn started(self) -> Option<SupervisorRef<S>> {
        match self {
            Opened::Started(supervisor) => Some(supervisor),
            Opened::Ignored => None,
        }
    }
}

impl<S: Supervise> Supervisor<S> {
    /// Runs `S::init` and, unless it says [`Init::Ignore`], spawns the supervisor and starts
    /// its children; fails, with every child it started stopped again, if one fails to start,
    /// or if `init` fails or panics.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the supervisor and its children run as Tokio tasks.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Init, Opened, Strategy, Supervise, Supervisor, SupervisorSpec};
    /// struct Maybe;
    ///
    /// impl Supervise for Maybe {
    ///     type Args = bool;
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn init(wanted: bool, _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
    ///         Ok(match wanted {
    ///             true => Init::Start(SupervisorSpec::new(Strategy::OneForOne), Maybe),
    ///             false => Init::Ignore,
    ///         })
    ///     }
    /// }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// assert!(matches!(Supervisor::<Maybe>::start_open(&system, false).await?, Opened::Ignored));
    /// assert!(matches!(Supervisor::<Maybe>::start_open(&system, true).await?, Opened::Started(_)));
    /// # Ok(()) }
    /// ```
    pub async fn start_open(system: &ActorSystem, args: S::Args) -> Result<Opened<S>, SpawnError> {
        Self::start_open_with(system, SpawnOptions::new(), args).await
    }

    /// [`start_open`](Self::start_open) with spawn options (a name). A supervisor's mailbox is
    /// always unbounded, whatever the options say.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the supervisor and its children run as Tokio tasks.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Init, Strategy, Supervise, Supervisor, SupervisorSpec};
    /// # struct Root;
    /// # impl Supervise for Root {
    /// #     type Args = (); type Error = std::convert::Infallible;
    /// #     async fn init(_: (), _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
    /// #         Ok(Init::Start(SupervisorSpec::new(Strategy::OneForOne), Root))
    /// #     }
    /// # }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let options = SpawnOptions::new().name("root");
    /// let root = Supervisor::<Root>::start_open_with(&system, options, ()).await?.started().ok_or("ignored")?;
    /// assert_eq!(root.actor().name().as_deref(), Some("root"));
    /// # Ok(()) }
    /// ```
    pub async fn start_open_with(
        system: &ActorSystem,
        options: SpawnOptions,
        args: S::Args,
    ) -> Result<Opened<S>, SpawnError> {
        // `init` is user code: its panic is a failed start, not the starter's. Outside the
        // place a parent offers its child: an actor `init` spawns is not the supervisor, and
        // taking that place would leave the supervisor, and every path below it, without it.
        let init = outside_tree(S::init(args, system));
        let decided = match AssertUnwindSafe(init).catch_unwind().await {
            Ok(Ok(decided)) => decided,
            Ok(Err(error)) => return Err(SpawnError::StartFailed(ExitReason::failed(error))),
            Err(panic) => return Err(SpawnError::StartFailed(ExitReason::from_panic(panic))),
        };
        let Init::Start(spec, state) = decided else {
            return Ok(Opened::Ignored);
        };
        // Always unbounded, and outside the message budget, as the built-in supervisor's.
        let options = options.mailbox(MailboxConfig::unbounded().outside_budget());
        let actor = system.spawn_with::<Supervisor<S>>(options, (spec, state)).await?;
        Ok(Opened::Started(SupervisorRef { actor }))
    }

    /// The state, as `init` made it and the handlers changed it (also reached through
    /// `Deref`).
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// fn peek<S: Supervise>(supervisor: &Supervisor<S>) -> &S {
    ///     supervisor.state()
    /// }
    /// ```
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The state, to change (also reached through `DerefMut`).
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// fn replace<S: Supervise>(supervisor: &mut Supervisor<S>, state: S) {
    ///     *supervisor.state_mut() = state;
    /// }
    /// ```
    pub fn state_mut(&mut self) -> &mut S {
        &mut self.state
    }

    /// Adds a child and starts it, as [`SupervisorRef::start_child`] does, from the
    /// supervisor's own handler.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{ChildSpec, Supervise, Supervisor, SupervisorError};
    /// async fn add<S: Supervise>(
    ///     supervisor: &mut Supervisor<S>,
    ///     ctx: &mut Context<Supervisor<S>>,
    ///     spec: ChildSpec,
    /// ) -> Result<Option<ActorId>, SupervisorError> {
    ///     supervisor.start_child(ctx, spec).await
    /// }
    /// ```
    pub async fn start_child(
        &mut self,
        ctx: &mut Context<Self>,
        spec: ChildSpec,
    ) -> Result<Option<ActorId>, SupervisorError> {
        self.add_child(ctx, spec).await
    }

    /// Starts one more dynamic child from the template, as [`SupervisorRef::start_dynamic`]
    /// does, from the supervisor's own handler.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{ChildRef, Supervise, Supervisor, SupervisorError};
    /// async fn add<S: Supervise, A: Actor<Args = u16>>(
    ///     supervisor: &mut Supervisor<S>,
    ///     ctx: &mut Context<Supervisor<S>>,
    /// ) -> Result<ChildRef<A>, SupervisorError> {
    ///     supervisor.start_dynamic::<A>(ctx, 8080).await
    /// }
    /// ```
    pub async fn start_dynamic<A: Actor>(
        &mut self,
        ctx: &mut Context<Self>,
        args: A::Args,
    ) -> Result<ChildRef<A>, SupervisorError> {
        self.dynamic(ctx, args, None).await
    }

    /// The dynamic child registered as `name`, started from the template with `args` if there
    /// is none, as [`SupervisorRef::ensure_dynamic`] does, from the supervisor's own handler:
    /// the supervisor's way to start a child on demand, once however many ask for it.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{ChildRef, Supervise, Supervisor, SupervisorError};
    /// async fn open<S: Supervise, A: Actor<Args = String>>(
    ///     supervisor: &mut Supervisor<S>,
    ///     ctx: &mut Context<Supervisor<S>>,
    /// ) -> Result<ChildRef<A>, SupervisorError> {
    ///     supervisor.ensure_dynamic::<A>(ctx, "alice", "alice".to_owned()).await
    /// }
    /// ```
    pub async fn ensure_dynamic<A: Actor>(
        &mut self,
        ctx: &mut Context<Self>,
        name: impl Into<Arc<str>>,
        args: A::Args,
    ) -> Result<ChildRef<A>, SupervisorError> {
        self.dynamic(ctx, args, Some(name.into())).await
    }

    async fn dynamic<A: Actor>(
        &mut self,
        ctx: &mut Context<Self>,
        args: A::Args,
        name: Option<Arc<str>>,
    ) -> Result<ChildRef<A>, SupervisorError> {
        let actor_type = (TypeId::of::<A>(), std::any::type_name::<A>());
        let ensure = name.is_some();
        let request = DynamicStart { args: Box::new(args), actor_type, name, ensure };
        match self.add_dynamic(ctx, request).await? {
            Response::StartedDynamic { id, actor, ask_timeout, published } => {
                let actor = actor.and_then(|actor| actor.downcast::<A>());
                Ok(ChildRef::new(id, ctx.weak_ref(), actor, ask_timeout, published))
            }
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// Stops a child, as [`SupervisorRef::terminate_child`] does.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// async fn stop<S: Supervise>(supervisor: &mut Supervisor<S>, ctx: &mut Context<Supervisor<S>>) {
    ///     let _ = supervisor.terminate_child(ctx, "w").await;
    /// }
    /// ```
    pub async fn terminate_child(
        &mut self,
        ctx: &mut Context<Self>,
        id: &str,
    ) -> Result<(), SupervisorError> {
        self.stop_child(ctx, Arc::from(id)).await
    }

    /// Starts a stopped child again, as [`SupervisorRef::restart_child`] does.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// async fn again<S: Supervise>(supervisor: &mut Supervisor<S>, ctx: &mut Context<Supervisor<S>>) {
    ///     let _ = supervisor.restart_child(ctx, "w").await;
    /// }
    /// ```
    pub async fn restart_child(
        &mut self,
        ctx: &mut Context<Self>,
        id: &str,
    ) -> Result<Option<ActorId>, SupervisorError> {
        self.restart_stopped(ctx, Arc::from(id)).await
    }

    /// Removes a stopped child's specification, as [`SupervisorRef::delete_child`] does.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// fn forget<S: Supervise>(supervisor: &mut Supervisor<S>) {
    ///     let _ = supervisor.delete_child("w");
    /// }
    /// ```
    pub fn delete_child(&mut self, id: &str) -> Result<(), SupervisorError> {
        self.remove_child(Arc::from(id))
    }

    /// Every child, the most recently added first, as [`SupervisorRef::which_children`]
    /// reports them.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// fn how_many<S: Supervise>(supervisor: &Supervisor<S>) -> usize {
    ///     supervisor.which_children().len()
    /// }
    /// ```
    pub fn which_children(&self) -> Vec<ChildInfo> {
        self.children_info()
    }

    /// How many children there are, and of which kind.
    ///
    /// ```
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// fn active<S: Supervise>(supervisor: &Supervisor<S>) -> usize {
    ///     supervisor.count_children().active
    /// }
    /// ```
    pub fn count_children(&self) -> ChildCount {
        self.child_count()
    }

    /// The running actor of a child, as a handle of its type: `None` if it is not running or
    /// is of another type.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Supervise, Supervisor};
    /// fn worker<S: Supervise, A: Actor>(supervisor: &Supervisor<S>) -> Option<ActorRef<A>> {
    ///     supervisor.child::<A>("w")
    /// }
    /// ```
    pub fn child<A: Actor>(&self, id: &str) -> Option<ActorRef<A>> {
        self.running_child(id).and_then(|child| child.downcast::<A>())
    }
}

impl<S: Supervise> Deref for Supervisor<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.state
    }
}

impl<S: Supervise> DerefMut for Supervisor<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.state
    }
}

/// The mail of an open supervisor: an administration call or a note to itself, or one of its
/// own messages with its reply handle. Made by [`Accepts`]; by hand only for a message handled
/// with a [`DeferredHandler`] (see [`OpenMail::deferred`]).
///
/// ```
/// use airssys_rt::supervisor::{OpenMail, Supervise};
/// fn is_own<S: Supervise>(mail: OpenMail<S>) -> bool {
///     mail.into_message::<u32>().is_some()
/// }
/// ```
pub struct OpenMail<S: Supervise>(OpenLetter<S>);

enum OpenLetter<S: Supervise> {
    Admin(Mail, ReplyTo<SupervisorReply>),
    /// Boxed, as its handler's future is when it runs ([`Delivery`]): two allocations per
    /// message to an open supervisor, whose handlers' types are the user's, unknown to it, and
    /// whose mailbox is no hot path.
    Own(Box<dyn OwnLetter<S>>),
}

impl<S: Supervise> OpenMail<S> {
    /// Mail holding a message for the supervisor's [`DeferredHandler`]: what its hand-written
    /// `Accepts::mail` returns, as [`Accepts`] of a [`Handler`] is written for you.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use airssys_rt::supervisor::{Init, OpenMail, Strategy, Supervise, Supervisor, SupervisorSpec};
    ///
    /// struct Desk;
    /// struct Later(u32);
    ///
    /// impl Supervise for Desk {
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///     async fn init(_: (), _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
    ///         Ok(Init::Start(SupervisorSpec::new(Strategy::OneForOne), Desk))
    ///     }
    /// }
    ///
    /// impl DeferredHandler<Later> for Supervisor<Desk> {
    ///     type Reply = u32;
    ///     async fn handle(&mut self, Later(n): Later, reply: ReplyTo<u32>, _: &mut Context<Self>) {
    ///         tokio::spawn(async move { reply.send(n + 1) });
    ///     }
    /// }
    ///
    /// impl Accepts<Later> for Supervisor<Desk> {
    ///     type Reply = u32;
    ///     fn mail(msg: Later, reply: ReplyTo<u32>) -> OpenMail<Desk> {
    ///         OpenMail::deferred(msg, reply)
    ///     }
    ///     fn unmail(mail: OpenMail<Desk>) -> Later {
    ///         mail.into_message().unwrap_or(Later(0))
    ///     }
    /// }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let desk = Supervisor::<Desk>::start_open(&system, ()).await?.started().ok_or("ignored")?;
    /// assert_eq!(desk.actor().ask(Later(1)).await?, 2);
    /// # Ok(()) }
    /// ```
    pub fn deferred<M: Send + 'static>(
        msg: M,
        reply: ReplyTo<<Supervisor<S> as DeferredHandler<M>>::Reply>,
    ) -> Self
    where
        Supervisor<S>: DeferredHandler<M>,
    {
        OpenMail(OpenLetter::Own(Box::new(Letter::<S, M, _, Deferred>::new(msg, reply))))
    }

    /// The supervisor's own message in this mail, if it holds an `M` (its reply handle
    /// dropped); `None` for other mail.
    ///
    /// See [`OpenMail::deferred`] for an example.
    pub fn into_message<M: Send + 'static>(self) -> Option<M> {
        match self.0 {
            OpenLetter::Own(letter) => letter.into_message().downcast::<M>().ok().map(|msg| *msg),
            OpenLetter::Admin(..) => None,
        }
    }
}

// The message's type, not its value: a message need not be `Debug`.
impl<S: Supervise> fmt::Debug for OpenMail<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            OpenLetter::Admin(mail, _) => f.debug_tuple("Admin").field(mail).finish(),
            OpenLetter::Own(letter) => f.debug_tuple("Own").field(&letter.message_type()).finish(),
        }
    }
}

/// The future of one own message's handler, borrowing the supervisor and its context.
type Delivery<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One of an open supervisor's own messages, with its reply handle, its handler's type erased.
trait OwnLetter<S: Supervise>: Send {
    fn message_type(&self) -> &'static str;

    /// Whether its own reply handle belongs to an ask.
    fn is_ask(&self) -> bool;

    fn deliver<'a>(
        self: Box<Self>,
        supervisor: &'a mut Supervisor<S>,
        ctx: &'a mut Context<Supervisor<S>>,
    ) -> Delivery<'a>;

    fn into_message(self: Box<Self>) -> Box<dyn Any + Send>;
}

/// One of the supervisor's own messages with its reply handle; `K` says which handler trait
/// takes it ([`Handled`] or [`Deferred`]).
struct Letter<S, M, R: Send + 'static, K> {
    msg: M,
    reply: ReplyTo<R>,
    of: PhantomData<fn() -> (S, K)>,
}

impl<S, M, R: Send + 'static, K> Letter<S, M, R, K> {
    fn new(msg: M, reply: ReplyTo<R>) -> Self {
        Letter { msg, reply, of: PhantomData }
    }
}

/// How a letter of `M` reaches the supervisor's handler.
trait Delivers<S: Supervise, M, R: Send + 'static> {
    fn deliver<'a>(
        msg: M,
        reply: ReplyTo<R>,
        supervisor: &'a mut Supervisor<S>,
        ctx: &'a mut Context<Supervisor<S>>,
    ) -> Delivery<'a>;
}

/// A message for a [`Handler`], answered with what it returns.
enum Handled {}

impl<S, M, R> Delivers<S, M, R> for Handled
where
    S: Supervise,
    M: Send + 'static,
    R: Send + 'static,
    Supervisor<S>: Handler<M, Reply = R>,
{
    fn deliver<'a>(
        msg: M,
        reply: ReplyTo<R>,
        supervisor: &'a mut Supervisor<S>,
        ctx: &'a mut Context<Supervisor<S>>,
    ) -> Delivery<'a> {
        // The kernel's answering future, as an actor's generated `dispatch` uses: the reply
        // handle it holds is answered with the panic should the handler panic, before or
        // after its future exists.
        Box::pin(Answer::call(reply, move || supervisor.handle(msg, ctx)))
    }
}

/// A message for a [`DeferredHandler`], which takes the reply handle.
enum Deferred {}

impl<S, M, R> Delivers<S, M, R> for Deferred
where
    S: Supervise,
    M: Send + 'static,
    R: Send + 'static,
    Supervisor<S>: DeferredHandler<M, Reply = R>,
{
    fn deliver<'a>(
        msg: M,
        reply: ReplyTo<R>,
        supervisor: &'a mut Supervisor<S>,
        ctx: &'a mut Context<Supervisor<S>>,
    ) -> Delivery<'a> {
        Box::pin(call_deferred(move || supervisor.handle(msg, reply, ctx)))
    }
}

impl<S, M, R, K> OwnLetter<S> for Letter<S, M, R, K>
where
    S: Supervise,
    M: Send + 'static,
    R: Send + 'static,
    K: Delivers<S, M, R> + 'static,
{
    fn message_type(&self) -> &'static str {
        std::any::type_name::<M>()
    }

    fn is_ask(&self) -> bool {
        self.reply.is_ask()
    }

    fn deliver<'a>(
        self: Box<Self>,
        supervisor: &'a mut Supervisor<S>,
        ctx: &'a mut Context<Supervisor<S>>,
    ) -> Delivery<'a> {
        let Letter { msg, reply, .. } = *self;
        K::deliver(msg, reply, supervisor, ctx)
    }

    fn into_message(self: Box<Self>) -> Box<dyn Any + Send> {
        Box::new(self.msg)
    }
}

impl<S, M> Accepts<M> for Supervisor<S>
where
    S: Supervise,
    M: Send + 'static,
    // Always true; said again because the bound above hides the impl that says it.
    Supervisor<S>: Handler<M> + Actor<Mail = OpenMail<S>>,
{
    type Reply = <Supervisor<S> as Handler<M>>::Reply;

    fn mail(msg: M, reply: ReplyTo<Self::Reply>) -> OpenMail<S> {
        OpenMail(OpenLetter::Own(Box::new(Letter::<S, M, _, Handled>::new(msg, reply))))
    }

    fn unmail(mail: OpenMail<S>) -> M {
        match mail.into_message() {
            Some(msg) => msg,
            None => unreachable!("mail handed back as one message type was made from another"),
        }
    }
}

impl<S: Supervise> Sealed for S {}

impl<S: Supervise> SupervisorState for S {
    type SpawnArgs = (SupervisorSpec, S);
    type Mail = OpenMail<S>;
    const BUILT_IN: bool = false;

    fn plan(args: (SupervisorSpec, S)) -> (SupervisorSpec, S) {
        args
    }

    fn admin_mail(mail: Mail, reply: ReplyTo<SupervisorReply>) -> OpenMail<S> {
        OpenMail(OpenLetter::Admin(mail, reply))
    }

    fn admin_unmail(mail: OpenMail<S>) -> Mail {
        match mail.0 {
            OpenLetter::Admin(mail, _) => mail,
            OpenLetter::Own(_) => {
                unreachable!("mail handed back as an administration call was a message")
            }
        }
    }

    async fn dispatch(
        supervisor: &mut Supervisor<S>,
        mail: OpenMail<S>,
        ctx: &mut Context<Supervisor<S>>,
    ) -> Result<(), ExitReason> {
        match mail.0 {
            OpenLetter::Admin(mail, reply) => reply.send(supervisor.take(ctx, mail).await),
            OpenLetter::Own(letter) => letter.deliver(supervisor, ctx).await,
        }
        Ok(())
    }

    fn message_type(mail: &OpenMail<S>) -> &'static str {
        match &mail.0 {
            OpenLetter::Admin(..) => std::any::type_name::<Mail>(),
            OpenLetter::Own(letter) => letter.message_type(),
        }
    }

    fn is_ask(mail: &OpenMail<S>) -> Option<bool> {
        Some(match &mail.0 {
            OpenLetter::Admin(_, reply) => reply.is_ask(),
            OpenLetter::Own(letter) => letter.is_ask(),
        })
    }
}
