//! Timers: a message after a delay, or one every period, cancelled by their `TimerRef` or by
//! their actor's end.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::{Instant, MissedTickBehavior};

use crate::kernel::actor::{instant_after, Actor, ActorRef, Context, ErasedCell, FAR_FUTURE};
use crate::kernel::dead_letter::DeadLetterReason;
use crate::kernel::mailbox::budget::Budget;
use crate::kernel::mailbox::{Mailbox, PushError, Pushed};
use crate::kernel::message::{Envelope, Undelivered};
use crate::kernel::signal::EndToken;
use crate::kernel::trace::SenderContext;

/// The shortest interval period: the resolution of Tokio's timer.
const MIN_PERIOD: Duration = Duration::from_millis(1);

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
        if let Some(target) = self.timer.target.upgrade() {
            target.cancel_on_end(self.timer.token);
        }
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
    /// The timer's entry in its actor's end work.
    token: EndToken,
    /// Weak: a `TimerRef` kept somewhere must not keep a dead actor's cell.
    target: Weak<dyn ErasedCell>,
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

    /// Queues `item` unless the timer was cancelled (then `None`, and the item is dropped).
    /// The push is the only thing done under the lock: a message dropped or evicted by it,
    /// whose `Drop` is user code, is handed back to be dealt with outside.
    fn push<T>(
        &self,
        mailbox: &Mailbox<T>,
        item: T,
        budget: &Budget,
    ) -> Option<Result<Pushed<T>, PushError<T>>> {
        let sending = self.task.lock();
        if self.state.load(Ordering::Acquire) == CANCELLED {
            drop(sending);
            drop(item);
            return None;
        }
        let pushed = mailbox.push(item, budget);
        drop(sending);
        Some(pushed)
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

/// What the timer's task holds: the timer and a sender on its actor. However the task ends
/// (it fired, was aborted, panicked in a message's `clone`, or its runtime shut down), the
/// timer is no longer active afterwards, and its end work is withdrawn.
struct Armed<A: Actor> {
    timer: Arc<Timer>,
    target: ActorRef<A>,
    /// Where the timer was set: its messages are sent from there.
    sender: SenderContext,
}

impl<A: Actor> Drop for Armed<A> {
    fn drop(&mut self) {
        if self
            .timer
            .state
            .compare_exchange(ACTIVE, CANCELLED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.target.cell().cancel_on_end(self.timer.token);
            drop(self.timer.task.lock().take());
        }
    }
}

/// Sets a timer on `target`: registers its cancellation with the actor's end, then spawns the
/// task that `run` makes.
fn arm<A, F>(
    target: ActorRef<A>,
    msg: A::Msg,
    sender: fn() -> SenderContext,
    run: impl FnOnce(Armed<A>, A::Msg) -> F,
) -> TimerRef
where
    A: Actor,
    F: Future<Output = ()> + Send + 'static,
{
    let cell: Arc<dyn ErasedCell> = target.cell().clone();
    let timer = Arc::new(Timer {
        state: AtomicU8::new(ACTIVE),
        task: Mutex::new(None),
        token: EndToken::next(),
        target: Arc::downgrade(&cell),
    });
    let on_end = {
        let timer = Arc::clone(&timer);
        Box::new(move || {
            timer.stop();
        })
    };
    if cell.on_end(timer.token, on_end).is_err() {
        timer.state.store(CANCELLED, Ordering::Release);
        target.cell().dead_letter(
            Envelope::tell(msg),
            DeadLetterReason::ActorStopped,
            Undelivered::Dropped,
        );
        return TimerRef { timer };
    }
    let armed = Armed { timer: Arc::clone(&timer), target, sender: sender() };
    timer.adopt(tokio::spawn(run(armed, msg)));
    TimerRef { timer }
}

fn arm_once<A: Actor>(target: ActorRef<A>, delay: Duration, msg: A::Msg) -> TimerRef {
    // From the call, not from the task's first poll. The sleep itself is made in the task:
    // one moved in would take room in the task twice. One made and dropped here panics, as
    // documented, in a runtime without its timer: in the task, the panic would lose the message.
    let deadline = instant_after(delay);
    drop(tokio::time::sleep_until(deadline));
    arm(target, msg, SenderContext::capture, move |armed, msg| async move {
        tokio::time::sleep_until(deadline).await;
        if !armed.timer.fire() {
            return;
        }
        armed.target.cell().cancel_on_end(armed.timer.token);
        deliver(&armed, msg).await;
    })
}

fn arm_interval<A>(target: ActorRef<A>, period: Duration, msg: A::Msg) -> TimerRef
where
    A: Actor,
    A::Msg: Clone,
{
    let period = period.clamp(MIN_PERIOD, FAR_FUTURE);
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // Its ticks may go on for ever: they must not hold the setter's span open (Y3).
    arm(target, msg, SenderContext::capture_detached, move |armed, msg| async move {
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
async fn deliver<A: Actor>(armed: &Armed<A>, msg: A::Msg) {
    let cell = armed.target.cell();
    let mut envelope = Envelope::sent_from(msg, armed.sender.clone());
    let pushed = if cell.mailbox.pushes_back() {
        loop {
            // Registered before the attempt, so room made right after it is not missed.
            let mut room = pin!(cell.mailbox.changed().notified());
            room.as_mut().enable();
            match armed.timer.push(&cell.mailbox, envelope, cell.system.budget()) {
                Some(Err(PushError::Full(back))) => {
                    envelope = back;
                    room.await;
                }
                pushed => break pushed,
            }
        }
    } else {
        armed.timer.push(&cell.mailbox, envelope, cell.system.budget())
    };
    // As for a tell (B3): a budget spent by spare slots alone has them taken back, and the
    // push is tried again, still under the timer's lock, before the message is shed.
    let pushed = match pushed {
        Some(Ok(Pushed::OverBudget(envelope))) if cell.reclaim_spent_budget() => {
            armed.timer.push(&cell.mailbox, envelope, cell.system.budget())
        }
        pushed => pushed,
    };
    let Some(pushed) = pushed else {
        return;
    };
    match pushed {
        Ok(pushed) => {
            cell.settle(pushed);
        }
        // A full `Reject` mailbox: nobody to hand it back to, so dropped as `DropNewest` would.
        Err(PushError::Full(envelope)) => {
            cell.dead_letter(envelope, DeadLetterReason::DroppedNewest, Undelivered::Dropped)
        }
        Err(PushError::Closed(envelope)) => {
            cell.dead_letter(envelope, DeadLetterReason::ActorStopped, Undelivered::Dropped)
        }
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
    /// # fn remind(actor: &ActorRef<impl Actor<Msg = &'static str>>) {
    /// let reminder = actor.send_after(Duration::from_secs(30), "check the queue");
    /// # }
    /// ```
    pub fn send_after(&self, delay: Duration, msg: A::Msg) -> TimerRef {
        arm_once(self.clone(), delay, msg)
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
    /// # fn poll(actor: &ActorRef<impl Actor<Msg = &'static str>>) {
    /// let polling = actor.send_interval(Duration::from_secs(1), "poll");
    /// // ...
    /// polling.cancel();
    /// # }
    /// ```
    pub fn send_interval(&self, period: Duration, msg: A::Msg) -> TimerRef
    where
        A::Msg: Clone,
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
    /// enum Event {
    ///     Answered,
    ///     TimedOut,
    /// }
    ///
    /// impl Actor for Request {
    ///     type Msg = Event;
    ///     type Reply = ();
    ///     type Args = ();
    ///     type Error = std::convert::Infallible;
    ///
    ///     async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
    ///         let deadline = ctx.send_after(Duration::from_secs(1), Event::TimedOut);
    ///         Ok(Request { deadline: Some(deadline) })
    ///     }
    ///
    ///     async fn handle(&mut self, event: Event, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
    ///         match event {
    ///             Event::Answered => {
    ///                 if let Some(deadline) = self.deadline.take() {
    ///                     deadline.cancel();
    ///                 }
    ///             }
    ///             Event::TimedOut => ctx.stop(),
    ///         }
    ///         Ok(())
    ///     }
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let system = ActorSystem::new();
    /// let request = system.spawn::<Request>(()).await.unwrap();
    /// assert_eq!(request.wait_for_exit().await, ExitReason::Normal); // a second later
    /// # }
    /// ```
    pub fn send_after(&self, delay: Duration, msg: A::Msg) -> TimerRef {
        arm_once(self.actor_ref(), delay, msg)
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
    /// # fn heartbeat<A: Actor<Msg = &'static str>>(ctx: &mut Context<A>) {
    /// let heartbeat = ctx.send_interval(Duration::from_secs(5), "heartbeat");
    /// # }
    /// ```
    pub fn send_interval(&self, period: Duration, msg: A::Msg) -> TimerRef
    where
        A::Msg: Clone,
    {
        arm_interval(self.actor_ref(), period, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActorSystem;

    struct Sink;

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
        let mailbox = &sink.cell().mailbox;
        for _ in 0..100 {
            drop(sink.send_after(Duration::from_millis(1), ()));
            assert!(sink.send_after(Duration::from_secs(1), ()).cancel());
            assert!(sink.send_interval(Duration::from_millis(1), ()).cancel());
        }
        let pending = sink.send_after(Duration::from_secs(1), ());
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(mailbox.end_work_len(), 1, "only the pending timer's");
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!pending.is_active());
        assert_eq!(mailbox.end_work_len(), 0);
    }
}
