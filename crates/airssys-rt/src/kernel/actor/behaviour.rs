//! The [`Actor`] trait: how an actor starts, handles a message, and stops.

use std::future::Future;

use super::{Context, ExitReason};
use crate::kernel::signal::{DownNotice, ExitSignal};
use crate::vocabulary::Health;

/// The behaviour of an actor: how it starts, handles its mail, and stops.
///
/// Written with the [`#[actor]`](macro@crate::actor) attribute on the `impl Actor` block,
/// which writes [`Mail`](Actor::Mail) and [`dispatch`](Actor::dispatch) from the messages the
/// actor handles: either several message types, each with its own [`Handler`](crate::actor::Handler)
/// and reply type (`#[actor(messages(...))]`), or one message type and one reply type, written
/// `type Msg`, `type Reply` and `fn handle` in the block (the [`Classic`](crate::actor::Classic)
/// style). Without `type Args` and `pre_start`, the actor is its own start argument; without
/// `type Error`, it is [`Infallible`](std::convert::Infallible). The other hooks do nothing by
/// default. Hooks and handlers may be written as `async fn`.
///
/// An `Err` from a hook ends the actor with [`ExitReason::Failed`]; a panic ends it with
/// [`ExitReason::Panicked`]. Errors a caller should see and recover from belong in the reply
/// instead (for example `type Reply = Result<u64, MyError>`).
///
/// ```
/// use airssys_rt::prelude::*;
///
/// struct Pinger;
/// struct Ping;
///
/// #[actor(messages(Ping))]
/// impl Actor for Pinger {}
///
/// impl Handler<Ping> for Pinger {
///     type Reply = &'static str;
///     async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) -> &'static str {
///         "pong"
///     }
/// }
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let pinger = system.spawn::<Pinger>(Pinger).await.unwrap();
/// assert_eq!(pinger.ask(Ping).await.unwrap(), "pong");
/// # }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// The one item its mailbox queues: a message with the reply handle of its request.
    /// Written by [`#[actor]`](macro@crate::actor): an enum with a variant per message type,
    /// or [`ClassicMail`](crate::actor::ClassicMail).
    type Mail: Send + 'static;
    /// What the actor is started from; kept by the spawner so it can start it again.
    type Args: Send + 'static;
    /// The error that ends the actor with [`ExitReason::Failed`]: any type that converts into a
    /// [`BoxError`](crate::actor::BoxError), such as an error enum, `anyhow::Error` or
    /// `BoxError` itself.
    type Error: Into<crate::actor::BoxError> + Send + 'static;

    /// Builds the actor's state from its start arguments, before it takes any message.
    ///
    /// Runs inside [`ActorSystem::spawn`](crate::ActorSystem::spawn), which fails with
    /// [`SpawnError::StartFailed`](crate::system::SpawnError::StartFailed) if this returns an error
    /// or panics. Messages sent meanwhile (through `ctx`, or by name) wait in the mailbox.
    fn pre_start(
        args: Self::Args,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Self, Self::Error>> + Send;

    /// Runs in the actor's own task after a successful start, before the first message.
    ///
    /// The place for work that should not hold up the spawner, such as a first message to
    /// itself:
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    ///
    /// struct Poller;
    /// struct Poll;
    ///
    /// #[actor(messages(Poll))]
    /// impl Actor for Poller {
    ///     async fn post_start(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         let _ = ctx.actor_ref().try_tell(Poll);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// impl Handler<Poll> for Poller {
    ///     type Reply = ();
    ///     async fn handle(&mut self, _: Poll, _: &mut Context<Self>) {}
    /// }
    /// ```
    fn post_start(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Handles one piece of mail: calls the handler of its message and answers its request.
    /// Written by [`#[actor]`](macro@crate::actor).
    ///
    /// Never called again before the previous call has finished. An `Err` ends the actor with
    /// that reason.
    fn dispatch(
        &mut self,
        mail: Self::Mail,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), ExitReason>> + Send;

    /// The name of the message type in `mail`, for dead letters and crash reports. Written by
    /// [`#[actor]`](macro@crate::actor); by default the name of the mail type itself.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # #[derive(Default)] struct Echo;
    /// # #[actor] impl Actor for Echo {
    /// #     type Msg = u8; type Reply = u8;
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// use airssys_rt::actor::ClassicMail;
    /// fn named(mail: &ClassicMail<Echo>) -> &'static str {
    ///     Echo::message_type(mail) // "u8"
    /// }
    /// ```
    fn message_type(mail: &Self::Mail) -> &'static str {
        let _ = mail;
        std::any::type_name::<Self::Mail>()
    }

    /// Whether `mail` is a request someone asked (its own reply handle belongs to an ask), for
    /// dead letters; `None` if the mail cannot say, and then any reply handle dropped with it
    /// counts. Written by [`#[actor]`](macro@crate::actor).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # #[derive(Default)] struct Echo;
    /// # #[actor] impl Actor for Echo {
    /// #     type Msg = u8; type Reply = u8;
    /// #     async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> { Ok(n) }
    /// # }
    /// use airssys_rt::actor::ClassicMail;
    /// fn asked(mail: &ClassicMail<Echo>) -> bool {
    ///     Echo::is_ask(mail) == Some(true)
    /// }
    /// ```
    fn is_ask(mail: &Self::Mail) -> Option<bool> {
        let _ = mail;
        None
    }

    /// Receives an exit signal from a linked actor, when this actor traps exits
    /// ([`Context::trap_exit`]). Without trapping, the signal ends this actor instead (unless
    /// its reason is [`ExitReason::Normal`]), and this hook is not called.
    ///
    /// Returning `Ok` goes on; to end as well, call [`Context::stop_with`] or return an error.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use airssys_rt::signal::ExitSignal;
    ///
    /// struct Guardian;
    ///
    /// #[actor]
    /// impl Actor for Guardian {
    ///     type Msg = ();
    ///     type Reply = ();
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///         ctx.trap_exit(true);
    ///         Ok(Guardian)
    ///     }
    ///
    ///     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         Ok(())
    ///     }
    ///
    ///     async fn on_exit(&mut self, _: &mut Context<Self>, exit: ExitSignal) -> Result<(), Self::Error> {
    ///         println!("{} ended with {}; carrying on", exit.from, exit.reason);
    ///         Ok(())
    ///     }
    /// }
    /// ```
    fn on_exit(
        &mut self,
        ctx: &mut Context<Self>,
        exit: ExitSignal,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = (ctx, exit);
        async { Ok(()) }
    }

    /// Receives the notice of a monitor this actor set ([`Context::monitor`]): the watched
    /// actor ended. Does nothing by default.
    ///
    /// See the [`signal`](crate::signal) module for an example.
    fn on_down(
        &mut self,
        ctx: &mut Context<Self>,
        down: DownNotice,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = (ctx, down);
        async { Ok(()) }
    }

    /// Runs when the actor has gone its idle timeout without handling a message or a signal,
    /// as a `gen_server`'s `handle_info(timeout, State)` does; never if it set none
    /// ([`Context::set_idle_timeout`]). Does nothing by default.
    ///
    /// The timeout starts again after each run while it is set; clearing it here makes it
    /// fire once. An error or panic ends the actor, as in any hook. See the
    /// [`timer`](crate::timer) module.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use std::time::Duration;
    ///
    /// /// Ends itself after a minute without work.
    /// struct Session;
    ///
    /// #[actor]
    /// impl Actor for Session {
    ///     type Msg = ();
    ///     type Reply = ();
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///         ctx.set_idle_timeout(Some(Duration::from_secs(60)));
    ///         Ok(Session)
    ///     }
    ///
    ///     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         Ok(())
    ///     }
    ///
    ///     async fn on_idle(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         ctx.stop();
    ///         Ok(())
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let system = ActorSystem::new();
    /// let session = system.spawn::<Session>(()).await.unwrap();
    /// assert_eq!(session.wait_for_exit().await, ExitReason::Normal); // a minute later
    /// # }
    /// ```
    fn on_idle(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Answers a supervisor's health probe, when the child's specification asks for checks
    /// ([`ChildSpec::health_check`](crate::supervisor::ChildSpec::health_check)); never
    /// called otherwise. Says [`Health::Healthy`] by default, which makes the check "answers a
    /// ping in time".
    ///
    /// The probe waits in the mailbox behind the messages queued before it, so this runs
    /// between two handlers, never during one. [`Health::Unhealthy`] is a failed check,
    /// [`Health::Degraded`] is reported but no failure; see [`crate::telemetry::health`].
    /// A panic here ends the actor, as in any hook.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use airssys_rt::telemetry::health::Health;
    ///
    /// struct Batcher {
    ///     backlog: usize,
    /// }
    ///
    /// struct Enqueue(usize);
    ///
    /// #[actor(messages(Enqueue))]
    /// impl Actor for Batcher {
    ///     async fn health_check(&mut self, _: &mut Context<Self>) -> Health {
    ///         match self.backlog {
    ///             0..=999 => Health::Healthy,
    ///             1000..=9999 => Health::degraded(format!("{} items behind", self.backlog)),
    ///             _ => Health::unhealthy("hopelessly behind"),
    ///         }
    ///     }
    /// }
    ///
    /// impl Handler<Enqueue> for Batcher {
    ///     type Reply = ();
    ///     async fn handle(&mut self, Enqueue(items): Enqueue, _: &mut Context<Self>) {
    ///         self.backlog += items;
    ///     }
    /// }
    /// ```
    fn health_check(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = Health> + Send {
        let _ = ctx;
        async { Health::Healthy }
    }

    /// Runs once when the actor ends for any reason but a kill, after its mailbox has closed.
    ///
    /// An error or panic here replaces the exit reason, as a crash in OTP's `terminate/2` does.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    ///
    /// #[derive(Default)]
    /// struct Flusher {
    ///     pending: Vec<String>,
    /// }
    ///
    /// struct Line(String);
    ///
    /// #[actor(messages(Line))]
    /// impl Actor for Flusher {
    ///     async fn post_stop(&mut self, _: &mut Context<Self>, reason: &ExitReason) -> Result<(), Self::Error> {
    ///         println!("flushing {} lines on {reason}", self.pending.len());
    ///         Ok(())
    ///     }
    /// }
    ///
    /// impl Handler<Line> for Flusher {
    ///     type Reply = ();
    ///     async fn handle(&mut self, Line(line): Line, _: &mut Context<Self>) {
    ///         self.pending.push(line);
    ///     }
    /// }
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let flusher = system.spawn::<Flusher>(Flusher::default()).await.unwrap();
    /// flusher.tell(Line("hello".into())).await.unwrap();
    /// flusher.stop();
    /// flusher.wait_for_exit().await;
    /// # }
    /// ```
    fn post_stop(
        &mut self,
        ctx: &mut Context<Self>,
        reason: &ExitReason,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = (ctx, reason);
        async { Ok(()) }
    }
}
