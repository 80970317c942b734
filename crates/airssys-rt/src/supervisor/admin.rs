//! The administration calls (OTP's `handle_call`): what a [`SupervisorRef`] asks, the
//! protocol it asks in ([`SupervisorMsg`], [`SupervisorReply`]), and how the supervisor
//! answers each call.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::child_ref::Published;
use super::engine::Slot;
use super::health::AnySupervisor;
use super::server::Mail;
use super::spec::significance_refusal;
use super::{
    ChildKind, ChildRef, ChildSpec, Restart, Strategy, Supervisor, SupervisorError,
    SupervisorEvent, SupervisorEvents, SupervisorState,
};
use crate::actor::{Actor, ActorId, ActorRef, Context};
use crate::kernel::AnyActor;
use crate::message::AskError;
use crate::vocabulary::HealthReport;

/// A child as [`SupervisorRef::which_children`] reports it.
///
/// ```
/// # use airssys_rt::supervisor::{ChildInfo, ChildStatus};
/// fn running(children: &[ChildInfo]) -> usize {
///     children.iter().filter(|c| c.status == ChildStatus::Running).count()
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildInfo {
    /// Its id.
    pub id: Arc<str>,
    /// The running actor, if any.
    pub actor: Option<ActorId>,
    /// Running, restarting or stopped.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub kind: ChildKind,
}

/// Whether a child has a running actor.
///
/// ```
/// use airssys_rt::supervisor::ChildStatus;
/// assert_ne!(ChildStatus::Running, ChildStatus::Stopped);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildStatus {
    /// It has a running actor.
    Running,
    /// Its restart failed and will be tried again.
    Restarting,
    /// It has none: terminated, ignored at start, or ended without a restart.
    Stopped,
}

/// The counts [`SupervisorRef::count_children`] reports.
///
/// ```
/// # use airssys_rt::supervisor::ChildCount;
/// fn idle(count: &ChildCount) -> usize { count.specs - count.active }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildCount {
    /// Child specifications.
    pub specs: usize,
    /// Children with a running actor.
    pub active: usize,
    /// Specifications of supervisors.
    pub supervisors: usize,
    /// Specifications of workers.
    pub workers: usize,
}

/// A request to a supervisor; made by [`SupervisorRef`]'s methods.
pub struct SupervisorMsg(pub(super) Request);

impl fmt::Debug for SupervisorMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SupervisorMsg").field(&self.0).finish()
    }
}

/// The administration calls. The supervisor's notes to itself are not among them: they are
/// [`Note`](super::server::Note)s, which only the supervisor makes.
pub(super) enum Request {
    StartChild(ChildSpec),
    Terminate(Arc<str>),
    Restart(Arc<str>),
    Delete(Arc<str>),
    Which,
    Count,
    Child(Arc<str>),
    StartDynamic(DynamicStart),
    Health,
    Subscribe,
    /// What runs for a child id now, and, if `subscribe`, a subscription taken in the same
    /// step: what a [`ChildRef`] asks when it has lost its incarnation.
    Look {
        id: Arc<str>,
        subscribe: bool,
    },
}

/// A `start_dynamic` or `ensure_dynamic` call.
pub(super) struct DynamicStart {
    pub(super) args: Box<dyn Any + Send>,
    /// The actor type the caller wants a handle of.
    pub(super) actor_type: (TypeId, &'static str),
    /// The name given by `ensure_dynamic`, instead of the template's.
    pub(super) name: Option<Arc<str>>,
    /// Whether a child already present under that name is the answer, not a refusal.
    pub(super) ensure: bool,
}

/// What a supervisor runs for a child id, as a [`ChildRef`] looks at it.
#[derive(Clone, Debug)]
pub(super) enum Look {
    /// This actor (which may have ended, its end not yet handled).
    Running(AnyActor),
    /// None, and a restart is on its way.
    Restarting,
    /// None, and none will come unless asked (`restart_child`).
    Stopped,
    /// No child has the id.
    Missing,
    /// The supervisor is ending (it gave up, or was stopped): it stops its children and
    /// restarts none. Only published, never the answer to a look.
    SupervisorEnding,
}

/// The answer to a [`Request::Look`].
#[derive(Debug)]
pub(super) struct Looked {
    pub(super) look: Look,
    pub(super) events: Option<SupervisorEvents>,
    /// The child's actor type, if its specification says.
    pub(super) actor_type: Option<(TypeId, &'static str)>,
    /// The system's ask timeout, a `ChildRef`'s default.
    pub(super) ask_timeout: Duration,
    /// What the supervisor publishes of the child for its handles ([`Published`]).
    pub(super) published: Arc<Published>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::StartChild(spec) => f.debug_tuple("StartChild").field(&spec.id).finish(),
            Request::Terminate(id) => f.debug_tuple("Terminate").field(id).finish(),
            Request::Restart(id) => f.debug_tuple("Restart").field(id).finish(),
            Request::Delete(id) => f.debug_tuple("Delete").field(id).finish(),
            Request::Which => f.write_str("Which"),
            Request::Count => f.write_str("Count"),
            Request::Child(id) => f.debug_tuple("Child").field(id).finish(),
            // The arguments are of the template's type, unknown here.
            Request::StartDynamic(start) => f
                .debug_struct("StartDynamic")
                .field("name", &start.name)
                .field("ensure", &start.ensure)
                .finish_non_exhaustive(),
            Request::Health => f.write_str("Health"),
            Request::Subscribe => f.write_str("Subscribe"),
            Request::Look { id, subscribe } => {
                f.debug_struct("Look").field("id", id).field("subscribe", subscribe).finish()
            }
        }
    }
}

/// A supervisor's answer; read by [`SupervisorRef`]'s methods.
pub struct SupervisorReply(pub(super) Response);

impl fmt::Debug for SupervisorReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SupervisorReply").field(&self.0).finish()
    }
}

#[derive(Debug)]
pub(super) enum Response {
    Started(Option<ActorId>),
    StartedDynamic {
        id: Arc<str>,
        actor: Option<AnyActor>,
        ask_timeout: Duration,
        published: Arc<Published>,
    },
    Looked(Looked),
    Done,
    Children(Vec<ChildInfo>),
    Count(ChildCount),
    Child(Option<AnyActor>),
    /// This supervisor's node, with its child supervisors' nodes still to be asked for.
    Health(HealthReport, Vec<(usize, AnySupervisor)>),
    Events(SupervisorEvents),
    Failed(SupervisorError),
}

impl<S: SupervisorState> Supervisor<S> {
    /// Answers one administration call.
    pub(super) async fn answer(&mut self, ctx: &mut Context<Self>, request: Request) -> Response {
        let answer = match request {
            Request::StartChild(spec) => self.add_child(ctx, spec).await.map(Response::Started),
            Request::StartDynamic(start) => self.add_dynamic(ctx, start).await,
            Request::Terminate(id) => self.stop_child(ctx, id).await.map(|()| Response::Done),
            Request::Restart(id) => self.restart_stopped(ctx, id).await.map(Response::Started),
            Request::Delete(id) => self.remove_child(id).map(|()| Response::Done),
            Request::Which => Ok(Response::Children(self.children_info())),
            Request::Count => Ok(Response::Count(self.child_count())),
            Request::Child(id) => Ok(Response::Child(self.running_child(&id))),
            Request::Health => Ok(self.health_node(ctx.system())),
            Request::Subscribe => Ok(Response::Events(self.events.subscribe())),
            Request::Look { id, subscribe } => Ok(self.look(ctx, &id, subscribe)),
        };
        answer.unwrap_or_else(Response::Failed)
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.children.position(id)
    }

    /// The child with this id, if it neither runs nor waits for a restart (what
    /// `restart_child` and `delete_child` act on).
    fn stopped_child(&self, id: Arc<str>) -> Result<usize, SupervisorError> {
        let Some(index) = self.position(&id) else {
            return Err(SupervisorError::NotFound(id));
        };
        let slot = &self.children[index];
        if slot.running.is_some() {
            return Err(SupervisorError::Running(id));
        }
        if slot.restarting.is_some() {
            return Err(SupervisorError::Restarting(id));
        }
        Ok(index)
    }

    pub(super) async fn add_child(
        &mut self,
        ctx: &mut Context<Self>,
        spec: ChildSpec,
    ) -> Result<Option<ActorId>, SupervisorError> {
        if self.strategy == Strategy::SimpleOneForOne {
            return Err(SupervisorError::InvalidSpec(
                "a simple_one_for_one supervisor starts children with start_dynamic",
            ));
        }
        if let Some(refusal) = spec.refusal() {
            return Err(refusal);
        }
        if let Some(refusal) = significance_refusal(self.auto_shutdown, &spec) {
            return Err(refusal);
        }
        if let Some(index) = self.position(&spec.id) {
            let id = Arc::clone(&spec.id);
            return Err(match self.children[index].actor() {
                Some(actor) => SupervisorError::AlreadyStarted { id, actor },
                None => SupervisorError::AlreadyPresent(id),
            });
        }
        let id = Arc::clone(&spec.id);
        self.children.push(Slot::new(spec));
        let index = self.children.len() - 1;
        match self.start_slot(ctx, index).await {
            Ok(Some(actor)) => Ok(Some(actor)),
            Ok(None) => {
                // Ignored: the specification stays, but a temporary one would never run, and
                // goes (as in OTP's code).
                if self.children[index].spec.restart == Restart::Temporary {
                    self.children.pop();
                }
                Ok(None)
            }
            Err(reason) => {
                self.children.pop();
                Err(SupervisorError::child_start(id, reason))
            }
        }
    }

    pub(super) async fn add_dynamic(
        &mut self,
        ctx: &mut Context<Self>,
        request: DynamicStart,
    ) -> Result<Response, SupervisorError> {
        let Some(template) = &self.template else {
            return Err(SupervisorError::InvalidSpec(
                "start_dynamic needs a simple_one_for_one supervisor with a template",
            ));
        };
        // Arguments of another type say more than the actor type they imply.
        if Any::type_id(&*request.args) != template.args_type_id {
            return Err(SupervisorError::WrongArgs { expected: template.args_type });
        }
        let (expected, actual) = (request.actor_type, template.actor_type);
        if expected.0 != actual.0 {
            return Err(SupervisorError::WrongActorType { expected: expected.1, actual: actual.1 });
        }
        let name = match request.name {
            Some(name) => Some(name),
            None => template.name_of(&*request.args)?,
        };
        let ask_timeout = ctx.system().config().ask_timeout();
        if let Some(index) = name.as_deref().and_then(|name| self.position(name)) {
            let slot = &self.children[index];
            let id = Arc::clone(&slot.spec.id);
            // In one step of the supervisor: two callers ensuring one name start one child.
            if request.ensure {
                let actor = slot.running.as_ref().map(|child| child.actor().clone());
                let published = self.children[index].published();
                return Ok(Response::StartedDynamic { id, actor, ask_timeout, published });
            }
            return Err(match slot.actor() {
                Some(actor) => SupervisorError::AlreadyStarted { id, actor },
                None => SupervisorError::AlreadyPresent(id),
            });
        }
        let id = match &name {
            Some(name) => Arc::clone(name),
            None => self.generated_id(),
        };
        // Present, as checked above; borrowed again once `generated_id` has had `self`.
        let Some(template) = &self.template else {
            return Err(SupervisorError::NotRunning);
        };
        let expected = template.args_type;
        let Ok(spec) = template.child(Arc::clone(&id), name, request.args) else {
            return Err(SupervisorError::WrongArgs { expected });
        };
        if let Some(refusal) = spec.refusal() {
            return Err(refusal);
        }
        self.children.push(Slot::new(spec));
        let index = self.children.len() - 1;
        match self.start_slot(ctx, index).await {
            Ok(Some(_)) => {
                let slot = &mut self.children[index];
                let actor = slot.running.as_ref().map(|child| child.actor().clone());
                let published = slot.published();
                Ok(Response::StartedDynamic { id, actor, ask_timeout, published })
            }
            Ok(None) => {
                // An ignored dynamic child keeps nothing: there is nothing to restart.
                self.children.pop();
                let published = Published::new(Look::Missing);
                Ok(Response::StartedDynamic { id, actor: None, ask_timeout, published })
            }
            Err(reason) => {
                self.children.pop();
                Err(SupervisorError::child_start(id, reason))
            }
        }
    }

    /// Whether `id`, which no child has, may be a dynamic child's that has ended: a generated
    /// id already given out, or a name no live actor holds.
    fn may_have_ended(&self, ctx: &Context<Self>, id: &str) -> bool {
        match id.strip_prefix("dynamic-").and_then(|n| n.parse::<u64>().ok()) {
            Some(n) => n >= 1 && n <= self.dynamic_started,
            None => ctx.system().registry().whereis(id).is_none(),
        }
    }

    /// The next generated id of a dynamic child that no child has (a named one may have
    /// taken it).
    fn generated_id(&mut self) -> Arc<str> {
        loop {
            self.dynamic_started += 1;
            let id: Arc<str> = Arc::from(format!("dynamic-{}", self.dynamic_started));
            if self.position(&id).is_none() {
                return id;
            }
        }
    }

    fn look(&mut self, ctx: &mut Context<Self>, id: &str, subscribe: bool) -> Response {
        let events = subscribe.then(|| self.events.subscribe());
        let (look, actor_type, published) = match self.position(id) {
            None => (Look::Missing, None, Published::new(Look::Missing)),
            Some(index) => {
                let slot = &mut self.children[index];
                (slot.look(), slot.spec.actor_type, slot.published())
            }
        };
        let ask_timeout = ctx.system().config().ask_timeout();
        Response::Looked(Looked { look, events, actor_type, ask_timeout, published })
    }

    pub(super) async fn stop_child(
        &mut self,
        ctx: &mut Context<Self>,
        id: Arc<str>,
    ) -> Result<(), SupervisorError> {
        let Some(index) = self.position(&id) else {
            // No child has it: one that has ended, since a dynamic child that ends for good
            // leaves nothing behind (T16); OTP's `terminate_child` of a dynamic child's pid that
            // is dead returns `ok`. Not an id never given out, nor a name a live actor holds
            // (OTP's `not_found` for a live pid that is no child).
            if self.strategy == Strategy::SimpleOneForOne && self.may_have_ended(ctx, &id) {
                return Ok(());
            }
            return Err(SupervisorError::NotFound(id));
        };
        self.terminate_slot(ctx, index, false).await;
        if let Some(generation) = self.children[index].restarting.take() {
            self.children[index].publish(Look::Stopped);
            self.release_generation(generation);
            // `Ended` promised this restart: say it is off, or a subscriber waits for ever.
            self.events.send(|| SupervisorEvent::RestartCancelled { id: Arc::clone(&id) });
        }
        if self.children[index].spec.restart == Restart::Temporary
            || self.strategy == Strategy::SimpleOneForOne
        {
            self.children.remove(index);
        }
        Ok(())
    }

    pub(super) async fn restart_stopped(
        &mut self,
        ctx: &mut Context<Self>,
        id: Arc<str>,
    ) -> Result<Option<ActorId>, SupervisorError> {
        if self.strategy == Strategy::SimpleOneForOne {
            return Err(SupervisorError::SimpleOneForOne);
        }
        let index = self.stopped_child(Arc::clone(&id))?;
        match self.start_slot(ctx, index).await {
            Ok(_) => Ok(self.children[index].actor()),
            Err(reason) => Err(SupervisorError::child_start(id, reason)),
        }
    }

    pub(super) fn remove_child(&mut self, id: Arc<str>) -> Result<(), SupervisorError> {
        if self.strategy == Strategy::SimpleOneForOne {
            return Err(SupervisorError::SimpleOneForOne);
        }
        let index = self.stopped_child(id)?;
        let slot = self.children.remove(index);
        self.events.send(|| SupervisorEvent::Deleted { id: Arc::clone(&slot.spec.id) });
        Ok(())
    }

    pub(super) fn children_info(&self) -> Vec<ChildInfo> {
        let info = |slot: &Slot| ChildInfo {
            id: Arc::clone(&slot.spec.id),
            actor: slot.actor(),
            status: match (&slot.running, slot.restarting) {
                (Some(_), _) => ChildStatus::Running,
                (None, Some(_)) => ChildStatus::Restarting,
                (None, None) => ChildStatus::Stopped,
            },
            kind: slot.spec.kind,
        };
        // Most recently added first, as OTP's `which_children` lists them.
        self.children.iter().rev().map(info).collect()
    }

    pub(super) fn child_count(&self) -> ChildCount {
        let supervisors =
            self.children.iter().filter(|slot| slot.spec.kind == ChildKind::Supervisor).count();
        // A simple_one_for_one supervisor has one specification, its template, however many
        // children it made from it (OTP's count).
        let specs = match self.strategy {
            Strategy::SimpleOneForOne => 1,
            _ => self.children.len(),
        };
        ChildCount {
            specs,
            active: self.children.iter().filter(|slot| slot.running.is_some()).count(),
            supervisors,
            workers: self.children.len() - supervisors,
        }
    }

    pub(super) fn running_child(&self, id: &str) -> Option<AnyActor> {
        let index = self.position(id)?;
        self.children[index].running.as_ref().map(|child| child.actor().clone())
    }
}

/// A handle to a supervisor, with OTP's administration calls.
///
/// Calls wait as long as the supervisor takes (stopping a child may take its shutdown time),
/// and fail with [`SupervisorError::NotRunning`] if the supervisor has ended.
///
/// # Panics
///
/// Every call, when awaited outside a Tokio runtime with its timer enabled: each is an
/// [`ask`](crate::ActorRef::ask) of the supervisor.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
/// # struct Worker;
/// # #[actor]
/// # impl Actor for Worker {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await?;
/// supervisor.start_child(ChildSpec::worker::<Worker>("w", ())).await?;
/// supervisor.terminate_child("w").await?;
/// supervisor.restart_child("w").await?;
/// supervisor.terminate_child("w").await?;
/// supervisor.delete_child("w").await?;
/// assert!(supervisor.which_children().await?.is_empty());
/// # Ok(()) }
/// ```
///
/// An open supervisor's handle is a `SupervisorRef<S>`, with the same calls; its own messages
/// go through [`actor`](SupervisorRef::actor).
pub struct SupervisorRef<S: SupervisorState = ()> {
    pub(super) actor: ActorRef<Supervisor<S>>,
}

// By hand: a derive would ask `S: Clone` and `S: Debug` of the state, which a handle never holds.
impl<S: SupervisorState> Clone for SupervisorRef<S> {
    fn clone(&self) -> Self {
        Self { actor: self.actor.clone() }
    }
}

impl<S: SupervisorState> fmt::Debug for SupervisorRef<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorRef").field("actor", &self.actor).finish()
    }
}

impl<S: SupervisorState> From<ActorRef<Supervisor<S>>> for SupervisorRef<S> {
    fn from(actor: ActorRef<Supervisor<S>>) -> Self {
        Self { actor }
    }
}

/// Long enough to never end a supervisor call, which waits as OTP's does: as long as it takes.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

impl<S: SupervisorState> SupervisorRef<S> {
    /// The supervisor's actor handle.
    ///
    /// ```
    /// # fn id(s: &airssys_rt::supervisor::SupervisorRef) -> airssys_rt::ActorId { s.actor().id() }
    /// ```
    pub fn actor(&self) -> &ActorRef<Supervisor<S>> {
        &self.actor
    }

    async fn call(&self, request: Request) -> Result<Response, SupervisorError> {
        match self.actor.ask(Mail::from(SupervisorMsg(request))).timeout(FOREVER).await {
            Ok(SupervisorReply(Response::Failed(error))) => Err(error),
            Ok(SupervisorReply(response)) => Ok(response),
            Err(AskError::Full(_) | AskError::Closed(_) | AskError::Dropped) => {
                Err(SupervisorError::NotRunning)
            }
            Err(AskError::Stopped(_) | AskError::Timeout(_) | AskError::Unanswered) => {
                Err(SupervisorError::NotRunning)
            }
            Err(AskError::CallingSelf(_)) => Err(SupervisorError::CallingSelf),
        }
    }

    /// Adds a child and starts it; returns its actor, or `None` if its start said "ignore".
    ///
    /// ```
    /// # use airssys_rt::supervisor::{ChildSpec, SupervisorRef, SupervisorError};
    /// # async fn add(s: &SupervisorRef, spec: ChildSpec) -> Result<(), SupervisorError> {
    /// let actor = s.start_child(spec).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<ActorId>, SupervisorError> {
        match self.call(Request::StartChild(spec)).await? {
            Response::Started(actor) => Ok(actor),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// Starts one more dynamic child of a [`Strategy::SimpleOneForOne`] supervisor from its
    /// template, with these arguments (kept to restart it), and returns its stable handle
    /// (T16, T29): a [`ChildRef`] rather than an `ActorRef`, as the supervisor restarts the
    /// child as a new actor; its [`id`](ChildRef::id) is the one to terminate it by, and
    /// [`current`](ChildRef::current) its actor. The id is the name the template's
    /// [`named`](super::ChildTemplate::named) gives it (refused with `AlreadyStarted` or
    /// `AlreadyPresent` if a child has it), else a generated one. A child whose start said
    /// "ignore" leaves nothing behind: its handle has no actor, and sends through it fail with
    /// `Gone`.
    ///
    /// Fails with [`WrongActorType`](SupervisorError::WrongActorType) if the template's
    /// children are not of type `A`, before anything starts.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{SupervisorRef, SupervisorError};
    /// # async fn add<A: Actor<Args = u16>>(s: &SupervisorRef) -> Result<(), SupervisorError> {
    /// let child = s.start_dynamic::<A>(8080).await?;
    /// s.terminate_child(child.id()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_dynamic<A: Actor>(
        &self,
        args: A::Args,
    ) -> Result<ChildRef<A>, SupervisorError> {
        self.dynamic(args, None).await
    }

    /// The dynamic child with this id, which is also its registered name: the running one if
    /// the supervisor has it (or its handle, if it is waiting for a restart), else one started
    /// from the template with these arguments, named `name` whatever the template's
    /// [`named`](super::ChildTemplate::named) says (T30). Race-free: the supervisor answers one
    /// call at a time, so two calls with one name start one child. For "one actor per key,
    /// started on demand".
    ///
    /// Fails as [`start_dynamic`](Self::start_dynamic) does; and with
    /// [`AlreadyStarted`](SupervisorError::AlreadyStarted), naming that actor, if an actor
    /// outside the supervisor holds the name (T12).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{SupervisorRef, SupervisorError};
    /// # async fn account<A: Actor<Args = String>>(bank: &SupervisorRef) -> Result<(), SupervisorError> {
    /// let alice = bank.ensure_dynamic::<A>("alice", "alice".to_string()).await?;
    /// let again = bank.ensure_dynamic::<A>("alice", "alice".to_string()).await?;
    /// assert_eq!(alice.current(), again.current());
    /// # Ok(()) }
    /// ```
    pub async fn ensure_dynamic<A: Actor>(
        &self,
        name: impl Into<Arc<str>>,
        args: A::Args,
    ) -> Result<ChildRef<A>, SupervisorError> {
        self.dynamic(args, Some(name.into())).await
    }

    async fn dynamic<A: Actor>(
        &self,
        args: A::Args,
        name: Option<Arc<str>>,
    ) -> Result<ChildRef<A>, SupervisorError> {
        let ensure = name.is_some();
        let actor_type = (TypeId::of::<A>(), std::any::type_name::<A>());
        let request = DynamicStart { args: Box::new(args), actor_type, name, ensure };
        match self.call(Request::StartDynamic(request)).await? {
            Response::StartedDynamic { id, actor, ask_timeout, published } => {
                let actor = actor.and_then(|actor| actor.downcast::<A>());
                Ok(ChildRef::new(id, self.actor.downgrade(), actor, ask_timeout, published))
            }
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// A stable handle to a child, by its id: it reaches the child's current incarnation
    /// whatever restarts come (T25). Fails with [`NotFound`](SupervisorError::NotFound) if no
    /// child has the id, [`WrongActorType`](SupervisorError::WrongActorType) if its actor is
    /// of another type, and as any call does.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn talk<A: Accepts<()>>(s: &airssys_rt::supervisor::SupervisorRef) -> Result<(), Box<dyn std::error::Error>> {
    /// let worker = s.child_ref::<A>("w").await?;
    /// worker.tell(()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn child_ref<A: Actor>(&self, id: &str) -> Result<ChildRef<A>, SupervisorError> {
        let looked = self.look(id, false).await?;
        let expected = std::any::type_name::<A>();
        if let Some((type_id, actual)) = looked.actor_type {
            if type_id != TypeId::of::<A>() {
                return Err(SupervisorError::WrongActorType { expected, actual });
            }
        }
        let current = match looked.look {
            Look::Missing => return Err(SupervisorError::NotFound(id.into())),
            Look::Running(actor) => match actor.downcast::<A>() {
                Some(actor) => Some(actor),
                None if actor.is_alive() => {
                    let actual = actor.actor_type();
                    return Err(SupervisorError::WrongActorType { expected, actual });
                }
                None => None,
            },
            Look::Restarting | Look::Stopped | Look::SupervisorEnding => None,
        };
        let (ask_timeout, published) = (looked.ask_timeout, looked.published);
        Ok(ChildRef::new(id.into(), self.actor.downgrade(), current, ask_timeout, published))
    }

    /// What runs for a child id, with a subscription to the events taken in the same step if
    /// `subscribe`.
    pub(super) async fn look(&self, id: &str, subscribe: bool) -> Result<Looked, SupervisorError> {
        match self.call(Request::Look { id: id.into(), subscribe }).await? {
            Response::Looked(looked) => Ok(looked),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// Stops a child, keeping its specification (a temporary child's goes with it). A dynamic
    /// child of a [`Strategy::SimpleOneForOne`] supervisor goes with its stop, and an id no
    /// child of one has (one that has ended) is `Ok`, as OTP's (T16).
    ///
    /// ```
    /// # async fn stop(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.terminate_child("w").await; }
    /// ```
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.call(Request::Terminate(id.into())).await.map(drop)
    }

    /// Starts a stopped child again from its specification. Refused with
    /// [`SimpleOneForOne`](SupervisorError::SimpleOneForOne) by a supervisor of that strategy
    /// (T16).
    ///
    /// ```
    /// # async fn again(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.restart_child("w").await; }
    /// ```
    pub async fn restart_child(&self, id: &str) -> Result<Option<ActorId>, SupervisorError> {
        match self.call(Request::Restart(id.into())).await? {
            Response::Started(actor) => Ok(actor),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// Removes the specification of a child that is not running. Refused with
    /// [`SimpleOneForOne`](SupervisorError::SimpleOneForOne) by a supervisor of that strategy
    /// (T16).
    ///
    /// ```
    /// # async fn forget(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.delete_child("w").await; }
    /// ```
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.call(Request::Delete(id.into())).await.map(drop)
    }

    /// Every child, the most recently added first (OTP's order, T12).
    ///
    /// ```
    /// # async fn list(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.which_children().await; }
    /// ```
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        match self.call(Request::Which).await? {
            Response::Children(children) => Ok(children),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// How many children there are, and of which kind. A [`Strategy::SimpleOneForOne`]
    /// supervisor counts its template as its one specification (T16).
    ///
    /// ```
    /// # async fn count(s: &airssys_rt::supervisor::SupervisorRef) { let _ = s.count_children().await; }
    /// ```
    pub async fn count_children(&self) -> Result<ChildCount, SupervisorError> {
        match self.call(Request::Count).await? {
            Response::Count(count) => Ok(count),
            _ => Err(SupervisorError::NotRunning),
        }
    }

    /// The running actor of a child, as a handle of its type: `None` if it is not running or
    /// is of another type. The handle names that actor only; [`child_ref`](Self::child_ref)
    /// gives one that follows the child's restarts.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn talk<A: Accepts<()>>(s: &airssys_rt::supervisor::SupervisorRef) {
    /// if let Ok(Some(worker)) = s.child::<A>("w").await {
    ///     let _ = worker.tell(()).await;
    /// }
    /// # }
    /// ```
    pub async fn child<A: Actor>(&self, id: &str) -> Result<Option<ActorRef<A>>, SupervisorError> {
        let Response::Child(child) = self.call(Request::Child(id.into())).await? else {
            return Err(SupervisorError::NotRunning);
        };
        Ok(child.and_then(|child| child.downcast::<A>()))
    }

    /// Subscribes to the supervisor's events (T21-T24): every event it sends after this call
    /// returns, in order; none from before. Waits, as any call, for the supervisor to take the
    /// subscription, and fails as any call does: [`SupervisorError::NotRunning`] once the
    /// supervisor has ended, [`SupervisorError::CallingSelf`] from the supervisor's own task (a
    /// child's start function), which cannot wait for it (M16).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorEvent, SupervisorSpec};
    /// # struct Worker;
    /// # #[actor]
    /// # impl Actor for Worker {
    /// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
    /// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
    /// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await?;
    /// let mut events = supervisor.events().await?;
    /// let actor = supervisor.start_child(ChildSpec::worker::<Worker>("w", ())).await?;
    /// let started = events.next().await;
    /// assert!(matches!(started, Some(SupervisorEvent::Started { id, actor: a }) if &*id == "w" && Some(a) == actor));
    /// # Ok(()) }
    /// ```
    pub async fn events(&self) -> Result<SupervisorEvents, SupervisorError> {
        match self.call(Request::Subscribe).await? {
            Response::Events(events) => Ok(events),
            _ => Err(SupervisorError::NotRunning),
        }
    }
}
