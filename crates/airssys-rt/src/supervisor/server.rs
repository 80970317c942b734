//! The supervisor as an actor: its state, the mail it takes, and its hooks (start, a linked
//! actor's exit, stop).
//!
//! Its mail is of two kinds, as OTP's `handle_call` and `handle_info`: the administration
//! calls a [`SupervisorRef`] makes ([`SupervisorMsg`]), and the notes it sends itself (a
//! backed-off restart is due, a health probe came back), which nobody else can make.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::admin::{Request, Response};
use super::children::Children;
use super::engine::Slot;
use super::events::{EventHub, GiveUpReason};
use super::health::{CheckOutcome, FallenRoots, SupervisorTypes};
use super::placement;
use super::{
    AutoShutdown, ChildTemplate, Strategy, SupervisorError, SupervisorEvent, SupervisorMsg,
    SupervisorRef, SupervisorReply, SupervisorSpec,
};
use crate::actor::{Accepts, Actor, ActorId, Classic, ClassicMail, Context, ExitReason, ReplyTo};
use crate::kernel::trace_guarded;
use crate::mailbox::MailboxConfig;
use crate::signal::ExitSignal;
use crate::system::{ActorSystem, SpawnError, SpawnOptions};
use crate::timer::TimerRef;

/// The supervisor actor. Start one with [`Supervisor::start`], or as a child with
/// [`ChildSpec::supervisor`](super::ChildSpec::supervisor); talk to it through a
/// [`SupervisorRef`].
///
/// `Supervisor` is the built-in supervisor, `Supervisor<()>`; `Supervisor<S>` for a type `S`
/// implementing [`Supervise`](super::Supervise) is an open supervisor, whose state is an `S`
/// (see [`Supervise`](super::Supervise)).
///
/// Its message type ([`Classic::Msg`]) is its own: only a [`SupervisorMsg`], which a
/// [`SupervisorRef`] makes, converts into it, and the notes the supervisor sends itself stay
/// out of anyone else's reach. An `ActorRef<Supervisor>` serves for its id, its state and its
/// end.
pub struct Supervisor<S: SupervisorState = ()> {
    pub(super) strategy: Strategy,
    pub(super) max_restarts: u32,
    pub(super) period: Duration,
    pub(super) children: Children,
    /// When the restarts within the last period were decided, for the intensity.
    pub(super) restarts: VecDeque<Instant>,
    pub(super) auto_shutdown: AutoShutdown,
    pub(super) template: Option<ChildTemplate>,
    /// Dynamic children started so far: the number in the next one's id.
    pub(super) dynamic_started: u64,
    pub(super) restart_generations: u64,
    /// Pending delayed restarts by generation; aborted when no child waits for them any more,
    /// and when the supervisor ends.
    pub(super) timers: HashMap<u64, TimerRef>,
    /// Its subscribers (T21-T24).
    pub(super) events: EventHub,
    /// Why it ends by itself, once a significant child decided it: announced after its
    /// children have stopped.
    pub(super) giving_up: Option<(Arc<str>, GiveUpReason)>,
    /// An open supervisor's own state (`()` for the built-in one).
    pub(super) state: S,
}

impl Supervisor {
    /// Spawns a supervisor and starts its children; fails, with every child it started
    /// stopped again, if one of them fails to start.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the supervisor and its children run as Tokio tasks.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    /// assert_eq!(supervisor.count_children().await.unwrap().specs, 0);
    /// # }
    /// ```
    pub async fn start(
        system: &ActorSystem,
        spec: SupervisorSpec,
    ) -> Result<SupervisorRef, SpawnError> {
        Self::start_with(system, SpawnOptions::new(), spec).await
    }

    /// [`start`](Self::start) with spawn options (a name). A supervisor's mailbox is always
    /// unbounded, whatever the options say.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime: the supervisor and its children run as Tokio tasks.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let options = SpawnOptions::new().name("root");
    /// let root = Supervisor::start_with(&system, options, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    /// assert_eq!(root.actor().name().as_deref(), Some("root"));
    /// # }
    /// ```
    pub async fn start_with(
        system: &ActorSystem,
        options: SpawnOptions,
        spec: SupervisorSpec,
    ) -> Result<SupervisorRef, SpawnError> {
        // Always unbounded, and outside the message budget: a supervisor must never refuse the
        // retries and requests that keep its tree alive.
        let options = options.mailbox(MailboxConfig::unbounded().outside_budget());
        let actor = system.spawn_with::<Supervisor>(options, spec).await?;
        Ok(SupervisorRef { actor })
    }
}

/// What a [`Supervisor`] is generic over: the state it keeps beside its children. Implemented
/// for `()`, the built-in supervisor, and for every [`Supervise`](super::Supervise) type, an open supervisor;
/// sealed: implement [`Supervise`](super::Supervise) for a supervisor of your own.
///
/// ```
/// use airssys_rt::supervisor::{Supervisor, SupervisorState};
/// fn built_in<S: SupervisorState>() -> bool {
///     std::any::type_name::<Supervisor<S>>() == std::any::type_name::<Supervisor>()
/// }
/// assert!(built_in::<()>());
/// ```
pub trait SupervisorState: Sealed + Sized + Send + 'static {
    /// What the supervisor actor is spawned from.
    #[doc(hidden)]
    type SpawnArgs: Send + 'static;
    /// The supervisor actor's mail.
    #[doc(hidden)]
    type Mail: Send + 'static;
    /// Whether this is the built-in supervisor.
    #[doc(hidden)]
    const BUILT_IN: bool;

    /// The specification and the state to start from.
    #[doc(hidden)]
    fn plan(args: Self::SpawnArgs) -> (SupervisorSpec, Self);

    /// Mail holding an administration call or a note.
    #[doc(hidden)]
    fn admin_mail(mail: Mail, reply: ReplyTo<SupervisorReply>) -> Self::Mail;

    /// The administration call or note back out of mail made by `admin_mail`.
    #[doc(hidden)]
    fn admin_unmail(mail: Self::Mail) -> Mail;

    /// Handles one piece of mail.
    #[doc(hidden)]
    fn dispatch(
        supervisor: &mut Supervisor<Self>,
        mail: Self::Mail,
        ctx: &mut Context<Supervisor<Self>>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send;

    /// The name of the message type in `mail`.
    #[doc(hidden)]
    fn message_type(mail: &Self::Mail) -> &'static str;

    /// Whether `mail`'s own reply handle belongs to an ask (see [`Actor::is_ask`]).
    #[doc(hidden)]
    fn is_ask(mail: &Self::Mail) -> Option<bool>;
}

/// Keeps [`SupervisorState`] to `()` and the [`Supervise`](super::Supervise) types: the
/// supervisor relies on what their implementations say.
mod sealed {
    pub trait Sealed {}
}

pub(super) use sealed::Sealed;

impl Sealed for () {}

impl SupervisorState for () {
    type SpawnArgs = SupervisorSpec;
    type Mail = ClassicMail<Supervisor>;
    const BUILT_IN: bool = true;

    fn plan(spec: SupervisorSpec) -> (SupervisorSpec, Self) {
        (spec, ())
    }

    fn admin_mail(mail: Mail, reply: ReplyTo<SupervisorReply>) -> ClassicMail<Supervisor> {
        ClassicMail::new(mail, reply)
    }

    fn admin_unmail(mail: ClassicMail<Supervisor>) -> Mail {
        mail.into_message()
    }

    fn dispatch(
        supervisor: &mut Supervisor,
        mail: ClassicMail<Supervisor>,
        ctx: &mut Context<Supervisor>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send {
        // A plain call, not an `async` block: the reply handle stays in the returned future.
        ClassicMail::dispatch(supervisor, mail, ctx)
    }

    fn message_type(_: &ClassicMail<Supervisor>) -> &'static str {
        std::any::type_name::<Mail>()
    }

    fn is_ask(mail: &ClassicMail<Supervisor>) -> Option<bool> {
        Some(mail.is_ask())
    }
}

/// What a supervisor's mailbox holds: an administration call (made from a [`SupervisorMsg`],
/// the only mail anyone but the supervisor can make), or a note the supervisor sent itself.
pub struct Mail(Letter);

enum Letter {
    Call(Request),
    Note(Note),
}

/// What a supervisor tells itself (OTP's `handle_info`), apart from the administration calls.
pub(super) enum Note {
    /// Start the children still waiting for this restart: its backoff is over.
    Retry(u64),
    /// A health probe of this child came to this.
    Checked(ActorId, CheckOutcome),
}

impl Mail {
    pub(super) fn note(note: Note) -> Self {
        Mail(Letter::Note(note))
    }
}

impl From<SupervisorMsg> for Mail {
    fn from(SupervisorMsg(request): SupervisorMsg) -> Self {
        Mail(Letter::Call(request))
    }
}

impl fmt::Debug for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Letter::Call(request) => f.debug_tuple("Call").field(request).finish(),
            Letter::Note(Note::Retry(generation)) => {
                f.debug_tuple("Retry").field(generation).finish()
            }
            Letter::Note(Note::Checked(actor, outcome)) => {
                f.debug_tuple("Checked").field(actor).field(outcome).finish()
            }
        }
    }
}

impl<S: SupervisorState> Actor for Supervisor<S> {
    type Mail = S::Mail;
    type Args = S::SpawnArgs;
    type Error = SupervisorError;

    async fn pre_start(args: S::SpawnArgs, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        let (mut spec, state) = S::plan(args);
        if let Some(refusal) = spec.refusal() {
            return Err(refusal);
        }
        ctx.trap_exit(true);
        if !S::BUILT_IN {
            // Health reports find a root supervisor by its type: an open one's is the user's.
            ctx.system().extension::<SupervisorTypes>().note::<S>();
        }
        let mut supervisor = Supervisor {
            strategy: spec.strategy,
            max_restarts: spec.max_restarts,
            period: spec.period,
            children: Children::new(std::mem::take(&mut spec.children).into_iter().map(Slot::new)),
            restarts: VecDeque::new(),
            auto_shutdown: spec.auto_shutdown,
            template: spec.template.take(),
            dynamic_started: 0,
            restart_generations: 0,
            timers: HashMap::new(),
            events: EventHub::default(),
            giving_up: None,
            state,
        };
        supervisor.start_all(ctx).await?;
        Ok(supervisor)
    }

    fn dispatch(
        &mut self,
        mail: S::Mail,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send {
        S::dispatch(self, mail, ctx)
    }

    fn message_type(mail: &S::Mail) -> &'static str {
        S::message_type(mail)
    }

    // As `#[actor]` writes it: a dead tell carrying someone else's reply handle is no ask (Q6).
    fn is_ask(mail: &S::Mail) -> Option<bool> {
        S::is_ask(mail)
    }

    async fn on_exit(
        &mut self,
        ctx: &mut Context<Self>,
        exit: ExitSignal,
    ) -> Result<(), Self::Error> {
        let child = self.children.position_of_actor(exit.from);
        // Its exit handled here, whatever it was: nothing looks it up by this actor any more.
        self.children.forget_actor(exit.from);
        if let Some(index) = child {
            self.child_ended(ctx, index, exit.from, exit.reason).await;
        } else if placement::parent(ctx) == Some(exit.from) {
            // As OTP's supervisor does on its parent's exit: stop the children (in post_stop)
            // and end with the same reason.
            self.publish_ending();
            ctx.stop_with(exit.reason);
        } else {
            // Another linked actor: OTP's supervisor ignores it too.
            trace_guarded(
                || tracing::debug!(supervisor = %ctx.id(), from = %exit.from, reason = %exit.reason, "exit of a non-child ignored"),
            );
        }
        Ok(())
    }

    async fn post_stop(
        &mut self,
        ctx: &mut Context<Self>,
        reason: &ExitReason,
    ) -> Result<(), Self::Error> {
        if !reason.is_normal() && placement::parent(ctx).is_none() {
            // A root ending by a failure of its own (an open supervisor's handler panicked or
            // failed) has no supervisor above to restart it: it fails the system's health
            // report as a root that gave up does (H8).
            ctx.system().extension::<FallenRoots>().note(ctx.id(), ctx.name());
        }
        // Before the children stop, which may take their shutdown time: a restart falling due
        // meanwhile would only be a dead letter.
        for (_, timer) in self.timers.drain() {
            timer.cancel();
        }
        self.publish_ending();
        self.terminate_all(ctx).await;
        if let Some((id, reason)) = self.giving_up.take() {
            self.events.send(|| SupervisorEvent::GaveUp { id, reason });
        }
        // Its state may outlive this hook a little; its subscribers learn of its end now.
        self.events.close();
        Ok(())
    }
}

impl Classic for Supervisor {
    type Msg = Mail;
    type Reply = SupervisorReply;

    async fn handle(
        &mut self,
        mail: Mail,
        ctx: &mut Context<Self>,
    ) -> Result<SupervisorReply, Self::Error> {
        Ok(self.take(ctx, mail).await)
    }
}

impl<S: SupervisorState> Supervisor<S> {
    /// Answers an administration call, or acts on a note to itself.
    pub(super) async fn take(
        &mut self,
        ctx: &mut Context<Self>,
        Mail(letter): Mail,
    ) -> SupervisorReply {
        let response = match letter {
            Letter::Call(request) => self.answer(ctx, request).await,
            Letter::Note(Note::Retry(generation)) => {
                self.retry(ctx, generation).await;
                Response::Done
            }
            Letter::Note(Note::Checked(actor, outcome)) => {
                self.checked(ctx, actor, outcome).await;
                Response::Done
            }
        };
        SupervisorReply(response)
    }
}

impl<S: SupervisorState> Accepts<Mail> for Supervisor<S> {
    type Reply = SupervisorReply;

    fn mail(msg: Mail, reply: ReplyTo<SupervisorReply>) -> S::Mail {
        S::admin_mail(msg, reply)
    }

    fn unmail(mail: S::Mail) -> Mail {
        S::admin_unmail(mail)
    }
}

impl<S: SupervisorState> fmt::Debug for Supervisor<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("strategy", &self.strategy)
            .field("children", &self.children.len())
            .finish_non_exhaustive()
    }
}
