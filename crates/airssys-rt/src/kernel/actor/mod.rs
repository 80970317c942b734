//! Actors: private state, one message at a time, and a lifecycle.
//!
//! An actor is a value of a type that implements [`Actor`]. The runtime creates it from its
//! start arguments ([`Actor::Args`]) in [`pre_start`](Actor::pre_start), then feeds it the
//! messages from its mailbox, one at a time, through [`handle`](Actor::handle): a handler is
//! never entered while another handler of the same actor is still running, so the state needs no
//! lock. When the actor ends, [`post_stop`](Actor::post_stop) runs and the state is dropped.
//!
//! ## Lifecycle
//!
//! ```text
//!  spawn ──► Starting ──pre_start, post_start──► Running ──stop / error / panic / no senders──► Stopping ──post_stop──► Stopped
//!                                                   └──────────────────── kill ────────────────────────────────────────┘
//! ```
//!
//! * [`pre_start`](Actor::pre_start) runs inside `spawn`, which returns only after it succeeded:
//!   as with OTP's `init/1`, a failed start is the spawner's error (a
//!   [crash report](crate::monitoring::crash) only under a supervisor). Because
//!   the arguments are kept by whoever spawns, the same actor can be started again with the same
//!   inputs (this is what supervisors do).
//! * [`post_start`](Actor::post_start) runs in the actor's own task before the first message.
//! * The actor ends, with an [`ExitReason`], when
//!   * it is stopped ([`ActorRef::stop`], [`Context::stop`]): after the message being handled,
//!   * it is killed ([`ActorRef::kill`]): at once, at its next `.await`, without `post_stop`,
//!   * a hook or handler returns an error ([`ExitReason::Failed`]) or panics
//!     ([`ExitReason::Panicked`]),
//!   * every strong [`ActorRef`] is gone and its mailbox is empty: nobody can send to it any more
//!     ([`ExitReason::Normal`]). A [`WeakActorRef`] does not keep an actor alive; a registered
//!     name does.
//! * When it ends, its mailbox closes: later sends return the message, messages still waiting
//!   become [dead letters](crate::dead_letter), and pending asks fail at once with the reason.
//!
//! ```
//! use airssys_rt::prelude::*;
//!
//! struct Greeter {
//!     greeting: String,
//! }
//!
//! impl Actor for Greeter {
//!     type Msg = String;
//!     type Reply = String;
//!     type Args = String;
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(greeting: String, _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Greeter { greeting })
//!     }
//!
//!     async fn handle(&mut self, name: String, _ctx: &mut Context<Self>) -> Result<String, Self::Error> {
//!         Ok(format!("{}, {name}!", self.greeting))
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let greeter = system.spawn::<Greeter>("Hello".to_string()).await?;
//! assert_eq!(greeter.ask("Ada".to_string()).await?, "Hello, Ada!");
//! greeter.stop();
//! assert_eq!(greeter.wait_for_exit().await, ExitReason::Normal);
//! # Ok(()) }
//! ```

mod actor_ref;
mod cell;
mod context;
pub(crate) mod current;
mod exit;
mod runner;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::telemetry::health::Health;
use crate::kernel::signal::{DownNotice, ExitSignal};

pub use actor_ref::{ActorRef, Ask, AskFuture, Tell, TellFuture, WeakActorRef};
pub(crate) use cell::{ActorCell, ErasedCell};
pub use context::Context;
pub(crate) use exit::{drop_guarded, forget_panic, trace_guarded};
pub use exit::{ActorError, ExitReason};
pub(crate) use runner::{guarded, start};

/// The behaviour of an actor: how it starts, handles a message, and stops.
///
/// Only [`pre_start`](Actor::pre_start) and [`handle`](Actor::handle) must be written; the other
/// hooks do nothing by default. Hooks and the handler may be written as `async fn`.
///
/// An `Err` from a hook or the handler ends the actor with [`ExitReason::Failed`]; a panic ends
/// it with [`ExitReason::Panicked`]. Errors a caller should see and recover from belong in
/// [`Reply`](Actor::Reply) instead (for example `type Reply = Result<u64, MyError>`).
///
/// ```
/// use airssys_rt::prelude::*;
///
/// struct Ping;
///
/// impl Actor for Ping {
///     type Msg = ();
///     type Reply = &'static str;
///     type Args = ();
///     type Error = std::convert::Infallible;
///
///     async fn pre_start(_: (), _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
///         Ok(Ping)
///     }
///
///     async fn handle(&mut self, _: (), _ctx: &mut Context<Self>) -> Result<&'static str, Self::Error> {
///         Ok("pong")
///     }
/// }
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let ping = system.spawn::<Ping>(()).await.unwrap();
/// assert_eq!(ping.ask(()).await.unwrap(), "pong");
/// # }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// The messages this actor handles; usually an enum with a variant per request.
    type Msg: Send + 'static;
    /// What [`handle`](Actor::handle) returns: the reply an [`ask`](ActorRef::ask) receives. A
    /// `tell` discards it.
    type Reply: Send + 'static;
    /// What the actor is started from; kept by the spawner so it can start it again.
    type Args: Send + 'static;
    /// The error that ends the actor with [`ExitReason::Failed`].
    type Error: std::error::Error + Send + Sync + 'static;

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
    ///
    /// impl Actor for Poller {
    ///     type Msg = &'static str;
    ///     type Reply = ();
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///         Ok(Poller)
    ///     }
    ///
    ///     async fn post_start(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         let _ = ctx.actor_ref().try_tell("poll");
    ///         Ok(())
    ///     }
    ///
    ///     async fn handle(&mut self, _: &'static str, _: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         Ok(())
    ///     }
    /// }
    /// ```
    fn post_start(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Handles one message and returns the reply.
    ///
    /// Never called again before the previous call has finished.
    fn handle(
        &mut self,
        msg: Self::Msg,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Self::Reply, Self::Error>> + Send;

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
    /// [`Health::Degraded`] is reported but no failure; see [`crate::monitoring::health`].
    /// A panic here ends the actor, as in any hook.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use airssys_rt::monitoring::health::Health;
    ///
    /// struct Batcher {
    ///     backlog: usize,
    /// }
    ///
    /// impl Actor for Batcher {
    ///     type Msg = usize;
    ///     type Reply = ();
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///         Ok(Batcher { backlog: 0 })
    ///     }
    ///
    ///     async fn handle(&mut self, items: usize, _: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         self.backlog += items;
    ///         Ok(())
    ///     }
    ///
    ///     async fn health_check(&mut self, _: &mut Context<Self>) -> Health {
    ///         match self.backlog {
    ///             0..=999 => Health::Healthy,
    ///             1000..=9999 => Health::degraded(format!("{} items behind", self.backlog)),
    ///             _ => Health::unhealthy("hopelessly behind"),
    ///         }
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
    /// struct Flusher {
    ///     pending: Vec<String>,
    /// }
    ///
    /// impl Actor for Flusher {
    ///     type Msg = String;
    ///     type Reply = ();
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///         Ok(Flusher { pending: Vec::new() })
    ///     }
    ///
    ///     async fn handle(&mut self, line: String, _: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         self.pending.push(line);
    ///         Ok(())
    ///     }
    ///
    ///     async fn post_stop(&mut self, _: &mut Context<Self>, reason: &ExitReason) -> Result<(), Self::Error> {
    ///         println!("flushing {} lines on {reason}", self.pending.len());
    ///         Ok(())
    ///     }
    /// }
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let flusher = system.spawn::<Flusher>(()).await.unwrap();
    /// flusher.tell("hello".into()).await.unwrap();
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

/// The unique identity of an actor within the process; never reused.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let a = system.spawn::<Idle>(()).await.unwrap();
/// let b = system.spawn::<Idle>(()).await.unwrap();
/// assert_ne!(a.id(), b.id());
/// assert!(a.id().as_u64() > 0);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(NonZeroU64);

impl ActorId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        // 2^64 spawns would take centuries at a billion a second.
        Self(NonZeroU64::new(id).unwrap_or(NonZeroU64::MIN))
    }

    pub(crate) fn from_u64(id: u64) -> Option<Self> {
        NonZeroU64::new(id).map(Self)
    }

    /// The id as a number.
    ///
    /// ```
    /// # fn show(id: airssys_rt::ActorId) -> u64 { id.as_u64() }
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

/// Where an actor is in its lifecycle.
///
/// ```
/// use airssys_rt::ActorState;
/// assert!(ActorState::Running.is_alive());
/// assert!(!ActorState::Stopping.is_alive());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorState {
    /// `pre_start` or `post_start` is running.
    Starting,
    /// Taking messages.
    Running,
    /// Ending: its mailbox is closed, `post_stop` may be running.
    Stopping,
    /// Ended; its exit reason is known.
    Stopped,
}

impl ActorState {
    /// Whether the actor takes messages (starting or running).
    ///
    /// ```
    /// assert!(airssys_rt::ActorState::Starting.is_alive());
    /// ```
    pub fn is_alive(self) -> bool {
        matches!(self, Self::Starting | Self::Running)
    }

    pub(crate) fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Starting,
            1 => Self::Running,
            2 => Self::Stopping,
            _ => Self::Stopped,
        }
    }
}
