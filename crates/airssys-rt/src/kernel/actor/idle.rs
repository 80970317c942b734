//! The idle timeout: [`Actor::on_idle`] once an actor has gone a while without work.
//!
//! Part of the run loop, so in the kernel; the rules are taught with the timers, in the
//! [`timer`](crate::timer) module.

use std::future::Future;
use std::pin::Pin;
use std::task::Context as TaskContext;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::{Actor, Context};

/// About 30 years: "never" for a timer, far enough from `Instant`'s limits that adding it
/// cannot overflow (Tokio's own far future).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `delay` from now; "never" rather than an overflow for a huge delay.
fn instant_after(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay).unwrap_or(now + FAR_FUTURE)
}

impl<A: Actor> Context<A> {
    /// Sets (`Some`) or clears (`None`) this actor's idle timeout: once it has gone this long
    /// without handling a message or a signal, [`Actor::on_idle`] runs, and the timeout starts
    /// again. See the [`timer`](crate::timer) module for the exact rules.
    ///
    /// Ignored once the actor is ending (in `post_stop`).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # struct Quiet;
    /// # #[actor]
    /// # impl Actor for Quiet {
    /// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
    /// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
    /// async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///     ctx.set_idle_timeout(Some(Duration::from_secs(60)));
    ///     assert_eq!(ctx.idle_timeout(), Some(Duration::from_secs(60)));
    ///     ctx.set_idle_timeout(None);
    ///     assert_eq!(ctx.idle_timeout(), None);
    ///     Ok(Quiet)
    /// }
    /// # }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// # ActorSystem::new().spawn::<Quiet>(()).await.unwrap();
    /// # }
    /// ```
    pub fn set_idle_timeout(&mut self, timeout: Option<Duration>) {
        self.cell().mailbox.set_idle_timeout(timeout);
    }

    /// This actor's idle timeout, if it set one.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn quiet<A: Actor>(ctx: &Context<A>) -> bool { ctx.idle_timeout().is_none() }
    /// ```
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.cell().mailbox.idle_timeout()
    }
}

/// An actor's idle timeout: kept with the actor's rarely used attachments, so that the actors that never
/// set one carry nothing for it.
pub(crate) struct IdleTimer {
    timeout: Duration,
    /// Boxed and pinned once, when the timeout is set; reset in place at each idle period.
    sleep: Pin<Box<Sleep>>,
}

impl IdleTimer {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self { timeout, sleep: Box::pin(tokio::time::sleep(timeout)) }
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Takes effect at the start of the next idle period.
    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Whether the timeout has passed; `fresh` starts a new idle period now.
    pub(crate) fn poll_expired(&mut self, fresh: bool, cx: &mut TaskContext<'_>) -> bool {
        if fresh {
            self.sleep.as_mut().reset(instant_after(self.timeout));
        }
        self.sleep.as_mut().poll(cx).is_ready()
    }
}
