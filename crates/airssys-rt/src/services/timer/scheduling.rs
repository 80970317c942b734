//! Timers: a message after a delay, or one every period, cancelled by their `TimerRef` or by
//! their actor's end.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::{Instant, MissedTickBehavior};

use crate::actor::{Accepts, Actor, ActorRef, Context, WeakActorRef};
use crate::dead_letter::DeadLetterReason;
use crate::kernel::{EndHook, Offer, Origin, SentAs, WeakAnyActor};

/// The shortest interval period: the resolution of Tokio's timer.
const MIN_PERIOD: Duration = Duration::from_millis(1);

/// About 30 years: "never" for a timer. Far enough from `Instant`'s limits that adding it
/// cannot overflow (Tokio's own far future); the timers' own, not the kernel's idle timer's.
const NEVER: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `delay` from now; "never" rather than an overflow for a huge delay.
fn instant_after(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay).unwrap_or(now + NEVER)
}

/// Names one timer, to cancel it or ask whether it is still active.
///
/// Returned by [`Context::send_after`], [`Context::send_interval`], [`ActorRef::send_after`] and
/// [`ActorRef::send_interval`]. Clones name the same timer. Dropping every `TimerRef` of a timer
/// does **not** cancel it, as in Erlang: a one-shot still fires, an interval goes on until its
/// actor ends.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use std::time::Duration;
/// # struct Idle;
/// # #[actor]
/// # impl Actor for Idle {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let system = ActorSystem::new();
/// let actor = system.spawn::<Idle>(()).await.unwrap();
/// let timer: TimerRef = actor.send_after(Duration::from_secs(5), ());
/// assert!(timer.is_active());
/// assert!(timer.cancel());
/// assert!(!timer.cancel()); // already cancelled
/// # }
/// ```
#[derive(Clone)]
pub struct TimerRef {
    timer: Arc<Timer>,
}

impl TimerRef {
    /// Cancels the timer. Returns `true` if it was active: a one-shot that had not fired, or an
    /// interval not yet cancelled, whose actor had not ended. From then on it sends nothing;
    /// a message it already sent stays in the mailbox.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn forget(timer: &TimerRef) {
    /// if !timer.cancel() {
    ///     // Too late: it fired (its message is in the mailbox or handled), was cancelled
    ///     // before, or its actor ended.
    /// }
    /// # }
    /// ```
    pub fn cancel(&self) -> bool {
        if !self.timer.stop() {
            return false;
        }
        // Withdrawn, so that an actor that sets and cancels timers all its life does not
        // gather their end work.
        self.timer.withdraw_end_hook();
        true
    }

    /// Whether the timer can still send: a one-shot that has not fired, or an interval, not
    /// cancelled, whose actor has not ended.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn pending(timer: &TimerRef) -> bool { timer.is_active() }
    /// ```
    pub fn is_active(&self) -> bool {
        self.timer.is_active()
    }
}

impl fmt::Debug for TimerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.timer.state.load(Ordering::Acquire) {
            ACTIVE => "active",
            FIRED => "fired",
            _ => "cancelled",
        };
        f.debug_struct("TimerRef").field("state", &state).finish()
    }
}

/// Can still send.
const ACTIVE: u8 = 0;
/// A one-shot that fired: its message is on its way.
const FIRED: u8 = 1;
/// Cancelled, by `cancel` or by the end of its actor; or refused by an actor that had ended.
const CANCELLED: u8 = 2;

/// What a [`TimerRef`], the timer's task and its actor's end work share.
struct Timer {
    /// `ACTIVE` leaves only once, to `FIRED` or `CANCELLED`: whoever makes that move decides.
    state: AtomicU8,
    /// The task, to abort on cancel; `None` before it is spawned and after it fired. Also held
    /// while the task queues a message, so that `stop` returns only after a send it came too
    /// late to prevent, and none starts after it.
    task: Mutex<Option<AbortHandle>>,
    /// The timer's end-of-life hook on its actor, once registered.
    end_hook: OnceLock<EndHook>,
    /// Weak: a `TimerRef` kept somewhere must not keep a dead actor's memory.
    target: WeakAnyActor,
}

impl Timer {
    fn is_active(&self) -> bool {
        self.state.load(Ordering::Acquire) == ACTIVE
    }

    /// Moves an active timer to `CANCELLED` and aborts its task; `false` if it was not active.
    fn stop(&self) -> bool {
        if self
            .state
            .compare_exchange(ACTIVE, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        let task = self.task.lock().take();
        if let Some(task) = task {
            task.abort();
        }
        true
    }

    /// Moves an active one-shot to `FIRED`; `false` if it was cancelled first.
    fn fire(&self) -> bool {
        let fired =
            self.state.compare_exchange(ACTIVE, FIRED, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if fired {
            // Nothing left to abort; the handle would only keep the finished task's memory.
            drop(self.task.lock().take());
        }
        fired
    }

    /// Withdraws the timer's end-of-life hook: an actor that sets and cancels timers all its
    /// life must not gather them.
    fn withdraw_end_hook(&self) {
        if let (Some(hook), Some(target)) = (self.end_hook.get(), self.target.upgrade()) {
            target.cancel_end_hook(*hook);
        }
    }

    /// The gate of a send: held while the message is queued, so that `stop` returns only after
    /// a send it came too late to prevent, and none starts after it; shut once cancelled.
    fn sending(&self) -> Option<MutexGuard<'_, Option<AbortHandle>>> {
        let sending = self.task.lock();
        (self.state.load(Ordering::Acquire) != CANCELLED).then_some(sending)
    }

    /// Hands the timer its task, or aborts the task if the timer was cancelled meanwhile.
    fn adopt(&self, task: JoinHandle<()>) {
        // Under the lock, so that a `stop` either sees the handle or is seen here.
        let mut slot = self.task.lock();
        match self.state.load(Ordering::Acquire) {
            ACTIVE => *slot = Some(task.abort_handle()),
            CANCELLED => task.abort(),
            _ => {}
        }
    }
}

/// What the timer's task holds: the timer and its actor (a sender on it, or a weak handle).
/// However the task ends (it fired, was aborted, panicked in a message's `clone`, or its
/// runtime shut down), the timer is no longer active afterwards, and its end work is withdrawn.
struct Armed<A: Actor> {
    timer: Arc<Timer>,
    target: Destination<A>,
    /// Where the timer was set: its messages are sent from there.
    origin: Origin,
}

impl<A: Actor> Drop for Armed<A> {
    fn drop(&mut self) {
        if self
            .timer
            .state
            .compare_exchange(ACTIVE, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.timer.withdraw_end_hook();
            drop(self.timer.task.lock().take());
        }
    }
}

/// How a timer's task holds its destination.
enum Destination<A: Actor> {
    /// A sender: the actor does not end for lack of handles while the timer is active (K6).
    Held(ActorRef<A>),
    /// A weak handle: the timer keeps nothing alive (K9).
    Weak(WeakActorRef<A>),
}

/// Sets a timer on `target`: registers its cancellation with the actor's end, then spawns the
/// task that `run` makes. A `weak` timer's task holds the actor weakly (K9).
fn arm<A, M, F>(
    target: ActorRef<A>,
    weak: bool,
    msg: M,
    origin: fn() -> Origin,
    run: impl FnOnce(Armed<A>, M) -> F,
) -> TimerRef
where
    A: Accepts<M>,
    M: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let actor = target.erase();
    let timer = Arc::new(Timer {
        state: AtomicU8::new(ACTIVE),
        task: Mutex::new(None),
        end_hook: OnceLock::new(),
        target: actor.downgrade(),
    });
    let on_end = {
        let timer = Arc::clone(&timer);
        move || {
            timer.stop();
        }
    };
    match actor.on_end(on_end) {
        // Before the task exists, and before anyone has the `TimerRef`: whoever withdraws the
        // hook finds it.
        Ok(hook) => drop(timer.end_hook.set(hook)),
        Err(_) => {
            timer.state.store(CANCELLED, Ordering::Release);
            target.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell);
            return TimerRef { timer };
        }
    }
    let target =
        if weak { Destination::Weak(target.downgrade()) } else { Destination::Held(target) };
    let armed = Armed { timer: Arc::clone(&timer), target, origin: origin() };
    timer.adopt(tokio::spawn(run(armed, msg)));
    TimerRef { timer }
}

fn arm_once<A, M>(target: ActorRef<A>, weak: bool, delay: Duration, msg: M) -> TimerRef
where
    A: Accepts<M>,
    M: Send + 'static,
{
    // From the call, not from the task's first poll. The sleep itself is made in the task:
    // one moved in would take room in the task twice. One made and dropped here panics, as
    // documented, in a runtime without its timer: in the task, the panic would lose the message.
    let deadline = instant_after(delay);
    drop(tokio::time::sleep_until(deadline));
    arm(target, weak, msg, Origin::here, move |armed, msg| async move {
        tokio::time::sleep_until(deadline).await;
        if !armed.timer.fire() {
            return;
        }
        armed.timer.withdraw_end_hook();
        deliver(&armed, msg).await;
    })
}

fn arm_interval<A, M>(target: ActorRef<A>, period: Duration, msg: M) -> TimerRef
where
    A: Accepts<M>,
    M: Clone + Send + 'static,
{
    let period = period.clamp(MIN_PERIOD, NEVER);
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // Its ticks may go on for ever: they must not hold the setter's span open (Y3).
    arm(target, false, msg, Origin::detached, move |armed, msg| async move {
        loop {
            ticks.tick().await;
            if !armed.timer.is_active() {
                return;
            }
            deliver(&armed, msg.clone()).await;
        }
    })
}

/// Sends a timer's message as a `tell` would, with nobody to hand a refused message back to:
/// what cannot be queued becomes a dead letter. Each attempt checks that the timer was not
/// cancelled meanwhile: a `cancel` that returned `true` is followed by no send, even of a tick
/// that had come due and was being cloned as it ran.
async fn deliver<A: Accepts<M>, M: Send + 'static>(armed: &Armed<A>, mut msg: M) {
    let upgraded;
    let target = match &armed.target {
        Destination::Held(target) => target,
        // Held only while the message is sent. Gone, the actor is ending for lack of handles:
        // the timer fired while its actor was ending (K5), and nothing can send to it now (A9).
        Destination::Weak(target) => match target.upgrade() {
            Some(target) => {
                upgraded = target;
                &upgraded
            }
            None => {
                target.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell);
                return;
            }
        },
    };
    let waits = target.waits_when_full();
    let offered = loop {
        // Made before the offer, so room made right after it is not missed.
        let room = waits.then(|| target.room());
        // Past the message budget, a timer's message is shed (B3): it has nobody to go back to.
        let sent = target.offer_unreturnable_gated(msg, &armed.origin, || armed.timer.sending());
        match sent {
            Ok(Offer::Full(back)) if waits => {
                msg = back;
                if let Some(room) = room {
                    room.await;
                }
            }
            Ok(offered) => break offered,
            // Cancelled meanwhile (K3): sent nothing, and dropped, outside the timer's lock.
            Err(_) => return,
        }
    };
    match offered {
        // A full `Reject` mailbox: nobody to hand it back to, so dropped as `DropNewest` would
        // (K5).
        Offer::Full(msg) => target.dead_letter(msg, DeadLetterReason::DroppedNewest, SentAs::Tell),
        Offer::Gone(msg) => target.dead_letter(msg, DeadLetterReason::ActorStopped, SentAs::Tell),
        Offer::Delivered | Offer::Dropped => {}
    }
}

impl<A: Actor> ActorRef<A> {
    /// Sends `msg` to this actor after `delay` (Erlang's `erlang:send_after/3`); returns the
    /// timer, to cancel it.
    ///
    /// The timer is bound to this actor only: it is cancelled when this actor ends, not when
    /// the caller does. See the [`timer`](crate::timer) module for the exact rules.
    ///
    /// # Panics
    ///
    /// When called outside a Tokio runtime with its timer enabled.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # fn remind(actor: &ActorRef<impl Accepts<&'static str>>) {
    /// let reminder = actor.send_after(Duration::from_secs(30), "check the queue");
    /// # }
    /// ```
    pub fn send_after<M: Send + 'static>(&self, delay: Duration, msg: M) -> TimerRef
    where
        A: Accepts<M>,
    {
        arm_once(self.clone(), false, delay, msg)
    }

    /// [`send_after`](Self::send_after) with a timer that holds this actor weakly, as a
    /// [`WeakActorRef`] does: while it is pending, the actor still ends once its last strong
    /// handle is gone (A4.6), and the timer is cancelled with it (K9). Otherwise it fires, is
    /// cancelled and is bound to this actor as any timer.
    ///
    /// # Panics
    ///
    /// When called outside a Tokio runtime with its timer enabled.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # fn remind(actor: &ActorRef<impl Accepts<&'static str>>) {
    /// // Reminds the actor in 30 s, if anyone still holds it by then.
    /// let reminder = actor.send_after_weak(Duration::from_secs(30), "check the queue");
    /// # }
    /// ```
    pub fn send_after_weak<M: Send + 'static>(&self, delay: Duration, msg: M) -> TimerRef
    where
        A: Accepts<M>,
    {
        arm_once(self.clone(), true, delay, msg)
    }

    /// Sends a clone of `msg` to this actor every `period`, the first after one period
    /// (Erlang's `timer:send_interval/3`), until the timer is cancelled or this actor ends.
    ///
    /// Ticks that come due while one waits for room in a full mailbox are skipped. A period
    /// under 1 ms is taken as 1 ms. While the timer is active it holds a sender on this actor,
    /// which then does not end for lack of handles. See the [`timer`](crate::timer) module.
    ///
    /// # Panics
    ///
    /// When called outside a Tokio runtime with its timer enabled.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # fn poll(actor: &ActorRef<impl Accepts<&'static str>>) {
    /// let polling = actor.send_interval(Duration::from_secs(1), "poll");
    /// // ...
    /// polling.cancel();
    /// # }
    /// ```
    pub fn send_interval<M: Clone + Send + 'static>(&self, period: Duration, msg: M) -> TimerRef
    where
        A: Accepts<M>,
    {
        arm_interval(self.clone(), period, msg)
    }
}

impl<A: Actor> Context<A> {
    /// Sends `msg` to this actor after `delay`; returns the timer, to cancel it. The timer is
    /// cancelled when this actor ends. See the [`timer`](crate::timer) module.
    ///
    /// # Panics
    ///
    /// When the actor's Tokio runtime has no timer enabled.
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    /// use std::time::Duration;
    ///
    /// /// Gives up on a request after a second.
    /// struct Request {
    ///     deadline: Option<TimerRef>,
    /// }
    ///
    /// struct Answered;
    /// struct TimedOut;
    ///
    /// #[actor(messages(Answered, TimedOut))]
    /// impl Actor for Request {
    ///     type Args = ();
    ///
    ///     async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///         let deadline = ctx.send_after(Duration::from_secs(1), TimedOut);
    ///         Ok(Request { deadline: Some(deadline) })
    ///     }
    /// }
    ///
    /// impl Handler<Answered> for Request {
    ///     type Reply = ();
    ///     async fn handle(&mut self, _: Answered, _: &mut Context<Self>) {
    ///         if let Some(deadline) = self.deadline.take() {
    ///             deadline.cancel();
    ///         }
    ///     }
    /// }
    ///
    /// impl Handler<TimedOut> for Request {
    ///     type Reply = ();
    ///     async fn handle(&mut self, _: TimedOut, ctx: &mut Context<Self>) {
    ///         ctx.stop();
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let system = ActorSystem::new();
    /// let request = system.spawn::<Request>(()).await.unwrap();
    /// assert_eq!(request.wait_for_exit().await, ExitReason::Normal); // a second later
    /// # }
    /// ```
    pub fn send_after<M: Send + 'static>(&self, delay: Duration, msg: M) -> TimerRef
    where
        A: Accepts<M>,
    {
        arm_once(self.actor_ref(), false, delay, msg)
    }

    /// [`send_after`](Self::send_after) with a timer that does not keep this actor alive:
    /// while it is pending, the actor still ends once nobody holds a strong handle to it
    /// (A4.6), and the timer is cancelled with it (K9). A supervisor's backed-off restart is
    /// such a timer: a supervisor whose last handle is dropped during a backoff ends at once.
    /// See [`ActorRef::send_after_weak`] and the [`timer`](crate::timer) module.
    ///
    /// # Panics
    ///
    /// When the actor's Tokio runtime has no timer enabled.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # fn retry<A: Accepts<&'static str>>(ctx: &mut Context<A>) {
    /// let retry = ctx.send_after_weak(Duration::from_secs(1), "retry");
    /// # }
    /// ```
    pub fn send_after_weak<M: Send + 'static>(&self, delay: Duration, msg: M) -> TimerRef
    where
        A: Accepts<M>,
    {
        arm_once(self.actor_ref(), true, delay, msg)
    }

    /// Sends a clone of `msg` to this actor every `period`, the first after one period, until
    /// the timer is cancelled or this actor ends. While it is active, this actor does not end
    /// for lack of handles. See [`ActorRef::send_interval`] and the [`timer`](crate::timer)
    /// module.
    ///
    /// # Panics
    ///
    /// When the actor's Tokio runtime has no timer enabled.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use std::time::Duration;
    /// # fn heartbeat<A: Accepts<&'static str>>(ctx: &mut Context<A>) {
    /// let heartbeat = ctx.send_interval(Duration::from_secs(5), "heartbeat");
    /// # }
    /// ```
    pub fn send_interval<M: Clone + Send + 'static>(&self, period: Duration, msg: M) -> TimerRef
    where
        A: Accepts<M>,
    {
        arm_interval(self.actor_ref(), period, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActorSystem;

    struct Sink;

    #[crate::actor(crate = crate)]
    impl Actor for Sink {
        type Msg = ();
        type Reply = ();
        type Args = ();
        type Error = std::convert::Infallible;

        async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
            Ok(Sink)
        }

        async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    /// A long-lived actor that sets timers all its life does not gather their end work.
    #[tokio::test(start_paused = true)]
    async fn fired_and_cancelled_timers_withdraw_their_end_work() {
        let system = ActorSystem::new();
        let sink = system.spawn::<Sink>(()).await.unwrap();
        let actor = sink.erase();
        for _ in 0..100 {
            drop(sink.send_after(Duration::from_millis(1), ()));
            assert!(sink.send_after(Duration::from_secs(1), ()).cancel());
            assert!(sink.send_interval(Duration::from_millis(1), ()).cancel());
        }
        let pending = sink.send_after(Duration::from_secs(1), ());
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(actor.end_hooks_len(), 1, "only the pending timer's");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!pending.is_active());
        assert_eq!(actor.end_hooks_len(), 0);
    }
}
