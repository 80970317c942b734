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
use super::engine::Slot;
use super::events::{EventHub, GiveUpReason};
use super::health::CheckOutcome;
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
/// Its message type ([`Classic::Msg`]) is its own: only a [`SupervisorMsg`], which a
/// [`SupervisorRef`] makes, converts into it, and the notes the supervisor sends itself stay
/// out of anyone else's reach. An `ActorRef<Supervisor>` serves for its id, its state and its
/// end.
pub struct Supervisor {
    pub(super) strategy: Strategy,
    pub(super) max_restarts: u32,
    pub(super) period: Duration,
    pub(super) children: Vec<Slot>,
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

impl Actor for Supervisor {
    type Mail = ClassicMail<Self>;
    type Args = SupervisorSpec;
    type Error = SupervisorError;

    async fn pre_start(
        mut spec: SupervisorSpec,
        ctx: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        if let Some(refusal) = spec.refusal() {
            return Err(refusal);
        }
        ctx.trap_exit(true);
        let mut supervisor = Supervisor {
            strategy: spec.strategy,
            max_restarts: spec.max_restarts,
            period: spec.period,
            children: std::mem::take(&mut spec.children).into_iter().map(Slot::new).collect(),
            restarts: VecDeque::new(),
            auto_shutdown: spec.auto_shutdown,
            template: spec.template.take(),
            dynamic_started: 0,
            restart_generations: 0,
            timers: HashMap::new(),
            events: EventHub::default(),
            giving_up: None,
        };
        supervisor.start_all(ctx).await?;
        Ok(supervisor)
    }

    fn dispatch<'s, 'c>(
        &'s mut self,
        mail: ClassicMail<Self>,
        ctx: &'c mut Context<Self>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send + use<'s, 'c> {
        ClassicMail::dispatch(self, mail, ctx)
    }

    fn message_type(_: &ClassicMail<Self>) -> &'static str {
        std::any::type_name::<Mail>()
    }

    async fn on_exit(
        &mut self,
        ctx: &mut Context<Self>,
        exit: ExitSignal,
    ) -> Result<(), Self::Error> {
        if let Some(index) = self.children.iter().position(|slot| slot.actor() == Some(exit.from)) {
            self.child_ended(ctx, index, exit.from, exit.reason).await;
        } else if placement::parent(ctx) == Some(exit.from) {
            // As OTP's supervisor does on its parent's exit: stop the children (in post_stop)
            // and end with the same reason.
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
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        // Before the children stop, which may take their shutdown time: a restart falling due
        // meanwhile would only be a dead letter.
        for (_, timer) in self.timers.drain() {
            timer.cancel();
        }
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
        Mail(letter): Mail,
        ctx: &mut Context<Self>,
    ) -> Result<SupervisorReply, Self::Error> {
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
        Ok(SupervisorReply(response))
    }
}

impl Accepts<Mail> for Supervisor {
    type Reply = SupervisorReply;

    fn mail(msg: Mail, reply: ReplyTo<SupervisorReply>) -> ClassicMail<Self> {
        ClassicMail::new(msg, reply)
    }

    fn unmail(mail: ClassicMail<Self>) -> Mail {
        mail.into_message()
    }
}

impl fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Supervisor")
            .field("strategy", &self.strategy)
            .field("children", &self.children.len())
            .finish_non_exhaustive()
    }
}
