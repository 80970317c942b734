//! The mailbox itself: a message lane and a signal lane behind one short-held lock.
//!
//! One lock guards both lanes, the receiver's waker and the closed flag, so every transition
//! (push, pop, park, close, kill) is a single critical section and no wake-up can be lost
//! between them. The lock is held only to move a value in or out of a `VecDeque`; wakers are
//! woken and dropped messages are handed back after it is released. `VecDeque` allocates on the
//! first push and keeps its room, so a steady flow of messages allocates nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::attachments::Attachments;
use super::budget::Budget;
use super::{MailboxConfig, OverflowPolicy};
use crate::kernel::actor::{
    ActorId, DeferredProbe, ErasedCell, ExitReason, IdleTimer, Supervision,
};
use crate::kernel::signal::{DownNotice, EndToken, ExitSignal, MonitorRef, OnEnd};

/// A system signal: it bypasses the message lane's bound and is seen before any message.
#[derive(Debug)]
pub(crate) enum Signal {
    /// Stop after the message being handled, with this reason.
    Stop(ExitReason),
    /// A linked actor ended. Boxed, like `Down`, to keep `Signal` (and what the actor's task
    /// holds while it takes one) as small as a stop.
    Exit(Box<ExitSignal>),
    /// A monitored actor ended.
    Down(Box<DownNotice>),
    /// The actor's idle timeout passed. Never queued: `poll_next` makes it when the actor
    /// would otherwise park, so it never waits behind, or ahead of, anything.
    Idle,
    /// A supervisor's health probe (see [`crate::telemetry::health`]). Queued behind the
    /// messages waiting when it arrives: it waits in the `Attachments` until they are taken.
    Probe(tokio::sync::oneshot::Sender<crate::vocabulary::Health>),
}

/// What the receiving actor should do next.
pub(crate) enum Next<T> {
    /// A message, and how many waited when it was taken (itself included).
    Message(T, usize),
    Signal(Signal),
    /// `kill` was called: end now.
    Killed,
    /// The mailbox is empty and no sender is left to fill it.
    NoSenders,
}

/// A push that the mailbox accepted.
pub(crate) enum Pushed<T> {
    Queued,
    /// Queued, and the oldest waiting message was dropped to make room (`DropOldest`).
    Evicted(T),
    /// The mailbox was full and dropped the arriving message (`DropNewest`).
    DroppedNewest(T),
    /// Not queued: the system's message budget is spent (an unbounded mailbox). The policy
    /// decides whether it goes back to the sender or to dead letters.
    OverBudget(T),
}

/// A push the mailbox refused; the item is handed back.
pub(crate) enum PushError<T> {
    Full(T),
    Closed(T),
}

/// The room an empty mailbox keeps for the next messages; any more is freed when it empties.
const RETAINED_SLOTS: usize = 4096;

/// The room for end work kept once none is left; any more is freed.
const RETAINED_END_WORK: usize = 64;

pub(crate) struct Mailbox<T> {
    state: Mutex<State<T>>,
    /// Woken when a full `Wait` mailbox gets room, when it closes, and when its actor exits.
    changed: Notify,
    /// Strong handles that can still send; at zero an empty mailbox ends its actor.
    senders: AtomicUsize,
    killed: AtomicBool,
    capacity: usize,
    overflow: OverflowPolicy,
    /// Unbounded and counted against the message budget (one byte, in padding already there).
    budgeted: bool,
}

struct State<T> {
    messages: VecDeque<T>,
    /// The signals waiting, in order. A plain stop (`Normal` or `Shutdown`) that finds the lane
    /// empty is kept in `plain_stop` instead, so that stopping an actor (a million of them at
    /// shutdown) allocates nothing; anything after it is queued behind it in `signals`.
    plain_stop: Option<PlainStop>,
    /// Boxed: most actors never queue a signal, and every idle actor carries this field: one
    /// pointer instead of a `VecDeque`'s four words.
    #[allow(clippy::box_collection)]
    signals: Option<Box<VecDeque<Signal>>>,
    /// The receiving task, present only while it is parked.
    receiver: Option<Waker>,
    closed: bool,
    /// The first waiting signal is the actor's own stop (`stop_first`): no later stop, its
    /// own or anyone's, goes ahead of it.
    own_stop_first: bool,
    /// The actor asked to stop (`stop_first`): it takes no message after the one it is
    /// handling, so a new one is refused at once, handed back to its sender, rather than
    /// queued to become a dead letter.
    stop_asked: bool,
    /// Links, monitors and the rest few actors have; `ended` once the actor's end has been
    /// signalled to its links and monitors, after which a new link or monitor learns at once
    /// that the actor is gone.
    attachments: Option<Box<Attachments>>,
    ended: bool,
    /// The name the actor is registered under; taken when it ends.
    name: Option<Arc<str>>,
    /// Budget slots leased and not yet used by a waiting message (unbounded mailboxes only):
    /// kept under this lock so that most pushes and pops leave the shared counter alone. A
    /// `u32` (at most `2 * CHUNK`) fits in the padding after the flags: an idle actor pays
    /// nothing for it.
    credit: u32,
}

/// Why a name could not be given to an actor.
pub(crate) enum NameRefused {
    /// The actor has stopped or is stopping.
    Ended,
    /// The actor already has this name.
    Named(Arc<str>),
}

/// What an ending actor hands over, once: its name, to be unregistered, and its attachments:
/// links and monitors to be told, end work to be run.
pub(crate) struct Ending {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) attachments: Option<Box<Attachments>>,
}

impl<T> Mailbox<T> {
    pub(crate) fn new(config: MailboxConfig, senders: usize, name: Option<Arc<str>>) -> Self {
        Self {
            state: Mutex::new(State {
                messages: VecDeque::new(),
                plain_stop: None,
                signals: None,
                receiver: None,
                closed: false,
                own_stop_first: false,
                stop_asked: false,
                attachments: None,
                ended: false,
                name,
                credit: 0,
            }),
            changed: Notify::new(),
            senders: AtomicUsize::new(senders),
            killed: AtomicBool::new(false),
            capacity: config.capacity().unwrap_or(usize::MAX),
            overflow: config.overflow_policy(),
            budgeted: config.is_budgeted(),
        }
    }

    /// Whether a `Full` refusal is for waiting out: a bounded mailbox under `Wait`. An
    /// unbounded one is `Full` only when the message budget is spent, which is not waited for.
    pub(crate) fn waits_when_full(&self) -> bool {
        self.pushes_back()
    }

    /// Whether a sender can be made to wait: a bounded mailbox under `Wait`.
    pub(crate) fn pushes_back(&self) -> bool {
        self.capacity != usize::MAX && self.overflow == OverflowPolicy::Wait
    }

    pub(crate) fn changed(&self) -> &Notify {
        &self.changed
    }

    // Inlined into the sender's `tell`: measured, one sender into a bounded mailbox goes from
    // 9.8-10.8 to 12.4-13.4 M msg/s (`AIRSSYS_BENCH=3 cargo bench -p airssys-rt --bench core`).
    #[inline]
    // The budget is the system's, passed in rather than kept: a pointer in every mailbox would
    // cost each idle actor 8 bytes.
    pub(crate) fn push(&self, item: T, budget: &Budget) -> Result<Pushed<T>, PushError<T>> {
        let mut state = self.state.lock();
        if state.closed || state.stop_asked {
            return Err(PushError::Closed(item));
        }
        let pushed = if state.messages.len() < self.capacity {
            if self.budgeted {
                if state.credit == 0 {
                    state.credit = budget.lease();
                    if state.credit == 0 {
                        return Ok(Pushed::OverBudget(item));
                    }
                }
                state.credit -= 1;
            }
            state.messages.push_back(item);
            Pushed::Queued
        } else {
            match self.overflow {
                OverflowPolicy::Wait | OverflowPolicy::Reject => return Err(PushError::Full(item)),
                OverflowPolicy::DropNewest => return Ok(Pushed::DroppedNewest(item)),
                OverflowPolicy::DropOldest => {
                    let oldest = state.messages.pop_front();
                    state.messages.push_back(item);
                    match oldest {
                        Some(oldest) => Pushed::Evicted(oldest),
                        None => Pushed::Queued,
                    }
                }
            }
        };
        let receiver = state.receiver.take();
        drop(state);
        if let Some(waker) = receiver {
            waker.wake();
        }
        Ok(pushed)
    }

    /// Queues a signal; returns `false` when the mailbox has already closed.
    pub(crate) fn signal(&self, signal: Signal) -> bool {
        let mut state = self.state.lock();
        if state.closed {
            return false;
        }
        let signal = match signal {
            Signal::Probe(reply) if !state.messages.is_empty() => {
                let ahead = state.messages.len();
                let attachments = state.attachments.get_or_insert_with(Box::default);
                // A newer probe replaces one still waiting: whoever sent that has given up.
                attachments.probe = Some(DeferredProbe { ahead, reply });
                // No wake-up: an actor with messages waiting is not parked for long.
                return true;
            }
            signal => signal,
        };
        state.queue_signal(signal);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(waker) = receiver {
            waker.wake();
        }
        true
    }

    pub(crate) fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        let receiver = self.state.lock().receiver.take();
        if let Some(waker) = receiver {
            waker.wake();
        }
    }

    pub(crate) fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// The first waiting signal, if there is one; never waits.
    #[cfg(test)]
    pub(crate) fn take_signal(&self) -> Option<Signal> {
        self.state.lock().next_signal()
    }

    /// Queues a stop ahead of every waiting signal, stops sent by others included: the actor's
    /// own stop, which takes effect as soon as its current hook or handler returns. If the
    /// actor asked for a stop already (in the same hook or handler), that first one holds.
    pub(crate) fn stop_first(&self, reason: ExitReason) {
        let mut state = self.state.lock();
        if state.closed || state.own_stop_first {
            return;
        }
        // A stop someone else sent waits behind ours, in its place before the other signals.
        if let Some(theirs) = state.plain_stop.take() {
            let signals = state.signals.get_or_insert_with(Box::default);
            signals.push_front(Signal::Stop(theirs.reason()));
        }
        match reason {
            ExitReason::Normal => state.plain_stop = Some(PlainStop::Normal),
            ExitReason::Shutdown => state.plain_stop = Some(PlainStop::Shutdown),
            other => state.signals.get_or_insert_with(Box::default).push_front(Signal::Stop(other)),
        }
        state.own_stop_first = true;
        state.stop_asked = true;
        // Senders waiting for room in a full mailbox would wait for the rest of the hook or
        // handler: woken now, they find it refusing, as a new send does (A4.2).
        let room_awaited =
            self.overflow == OverflowPolicy::Wait && state.messages.len() >= self.capacity;
        drop(state);
        if room_awaited {
            self.changed.notify_waiters();
        }
    }

    /// Takes the first waiting signal if it is a stop, and returns its reason.
    pub(crate) fn take_stop(&self) -> Option<ExitReason> {
        let mut state = self.state.lock();
        if let Some(stop) = state.plain_stop.take() {
            state.own_stop_first = false;
            return Some(stop.reason());
        }
        let signals = state.signals.as_mut()?;
        let reason = match signals.front() {
            Some(Signal::Stop(_)) => match signals.pop_front() {
                Some(Signal::Stop(reason)) => Some(reason),
                _ => None,
            },
            _ => None,
        };
        if reason.is_some() {
            state.own_stop_first = false;
        }
        reason
    }

    /// Records a link to `other`; `false` if this actor has already ended.
    pub(crate) fn add_link(&self, other: Arc<dyn ErasedCell>) -> bool {
        let mut state = self.state.lock();
        if state.ended {
            return false;
        }
        let relations = &mut state.attachments.get_or_insert_with(Box::default).relations;
        relations.links.entry(other.id()).or_insert(other);
        true
    }

    /// Queues the exit signal of a linked actor, and drops the link, in one step: only if the
    /// link is still there, so that nothing arrives after an `unlink` has returned.
    pub(crate) fn deliver_exit(&self, exit: ExitSignal) -> Option<Arc<dyn ErasedCell>> {
        let mut state = self.state.lock();
        let link = state.attachments.as_mut()?.relations.links.remove(&exit.from)?;
        if !state.closed {
            state.queue_signal(Signal::Exit(Box::new(exit)));
            let receiver = state.receiver.take();
            drop(state);
            if let Some(waker) = receiver {
                waker.wake();
            }
        }
        Some(link)
    }

    pub(crate) fn remove_link(&self, other: ActorId) -> Option<Arc<dyn ErasedCell>> {
        let mut state = self.state.lock();
        state.attachments.as_mut()?.relations.links.remove(&other)
    }

    /// Records a monitor on this actor; `false` if it has already ended.
    pub(crate) fn add_watcher(&self, monitor: MonitorRef, watcher: Arc<dyn ErasedCell>) -> bool {
        let mut state = self.state.lock();
        if state.ended {
            return false;
        }
        state
            .attachments
            .get_or_insert_with(Box::default)
            .relations
            .watchers
            .push((monitor, watcher));
        true
    }

    pub(crate) fn remove_watcher(&self, monitor: MonitorRef) -> Option<Arc<dyn ErasedCell>> {
        let mut state = self.state.lock();
        let watchers = &mut state.attachments.as_mut()?.relations.watchers;
        let position = watchers.iter().position(|(held, _)| *held == monitor)?;
        Some(watchers.swap_remove(position).1)
    }

    /// Queues the down notice of a monitor this actor holds, and forgets the monitor, in one
    /// step: only if the monitor is still held, so that nothing arrives after a `demonitor`
    /// has returned (as `deliver_exit` does for links).
    pub(crate) fn deliver_down(&self, down: DownNotice) -> Option<Arc<dyn ErasedCell>> {
        let mut state = self.state.lock();
        let watching = &mut state.attachments.as_mut()?.relations.watching;
        let position = watching.iter().position(|(held, _)| *held == down.monitor)?;
        let target = watching.swap_remove(position).1;
        if !state.closed {
            state.queue_signal(Signal::Down(Box::new(down)));
            let receiver = state.receiver.take();
            drop(state);
            if let Some(waker) = receiver {
                waker.wake();
            }
        }
        Some(target)
    }

    /// Records a monitor this actor holds on `target`.
    pub(crate) fn add_watching(&self, monitor: MonitorRef, target: Arc<dyn ErasedCell>) {
        let mut state = self.state.lock();
        state
            .attachments
            .get_or_insert_with(Box::default)
            .relations
            .watching
            .push((monitor, target));
    }

    pub(crate) fn remove_watching(&self, monitor: MonitorRef) -> Option<Arc<dyn ErasedCell>> {
        let mut state = self.state.lock();
        let watching = &mut state.attachments.as_mut()?.relations.watching;
        let position = watching.iter().position(|(held, _)| *held == monitor)?;
        Some(watching.swap_remove(position).1)
    }

    /// Marks the actor's end: from now on it takes no name, link, monitor or end work, and
    /// what it had is handed over.
    pub(crate) fn end(&self) -> Ending {
        let mut state = self.state.lock();
        state.ended = true;
        Ending { name: state.name.take(), attachments: state.attachments.take() }
    }

    /// The actor's place in its supervision tree, if a supervisor started it.
    pub(crate) fn supervision(&self) -> Option<Supervision> {
        self.state.lock().attachments.as_ref()?.supervision.clone()
    }

    /// Changes the actor's place in its supervision tree; does nothing once it has ended.
    pub(crate) fn update_supervision(&self, update: impl FnOnce(&mut Option<Supervision>)) {
        let mut state = self.state.lock();
        if state.ended {
            return;
        }
        update(&mut state.attachments.get_or_insert_with(Box::default).supervision);
    }

    pub(crate) fn name(&self) -> Option<Arc<str>> {
        self.state.lock().name.clone()
    }

    /// Gives the actor its name, unless it has one or no longer takes messages.
    pub(crate) fn set_name(&self, name: Arc<str>) -> Result<(), NameRefused> {
        let mut state = self.state.lock();
        if state.closed || state.ended {
            return Err(NameRefused::Ended);
        }
        if let Some(existing) = &state.name {
            return Err(NameRefused::Named(Arc::clone(existing)));
        }
        state.name = Some(name);
        Ok(())
    }

    /// Takes the actor's name away, if it is `name`.
    pub(crate) fn clear_name(&self, name: &str) {
        let mut state = self.state.lock();
        if state.name.as_deref() == Some(name) {
            state.name = None;
        }
    }

    /// Records work to run when the actor ends; hands it back if the actor has already ended
    /// (or is about to: its mailbox is closed).
    pub(crate) fn on_end(&self, token: EndToken, work: OnEnd) -> Result<(), OnEnd> {
        let mut state = self.state.lock();
        if state.closed || state.ended {
            return Err(work);
        }
        state.attachments.get_or_insert_with(Box::default).end_work.insert(token, work);
        Ok(())
    }

    /// Withdraws end work recorded with `token`; `false` if there is none (it has run, or is
    /// about to).
    pub(crate) fn cancel_on_end(&self, token: EndToken) -> bool {
        let mut state = self.state.lock();
        let Some(attachments) = state.attachments.as_mut() else {
            return false;
        };
        let Some(work) = attachments.end_work.remove(&token) else {
            return false;
        };
        // A burst of timers must not leave a long-lived actor its room for good.
        if attachments.end_work.is_empty() && attachments.end_work.capacity() > RETAINED_END_WORK {
            attachments.end_work = HashMap::new();
        }
        drop(state);
        drop(work);
        true
    }

    /// Sets or clears the idle timeout. Ignored once the actor is ending: nothing would wake
    /// for it, and its relations are handed over or about to be.
    pub(crate) fn set_idle_timeout(&self, timeout: Option<Duration>) {
        let mut state = self.state.lock();
        let replaced = match timeout {
            None => state.attachments.as_mut().and_then(|attachments| attachments.idle.take()),
            Some(_) if state.closed || state.ended => None,
            Some(timeout) => match &mut state.attachments.get_or_insert_with(Box::default).idle {
                Some(idle) => {
                    idle.set_timeout(timeout);
                    None
                }
                unset => unset.replace(IdleTimer::new(timeout)),
            },
        };
        drop(state);
        drop(replaced);
    }

    pub(crate) fn idle_timeout(&self) -> Option<Duration> {
        let state = self.state.lock();
        state.attachments.as_ref()?.idle.as_ref().map(IdleTimer::timeout)
    }

    /// How many pieces of end work are recorded.
    #[cfg(test)]
    pub(crate) fn end_work_len(&self) -> usize {
        self.state.lock().attachments.as_ref().map_or(0, |attachments| attachments.end_work.len())
    }

    /// Removes the exit signals from `from` still waiting in the signal lane.
    pub(crate) fn remove_exit_from(&self, from: ActorId) {
        let mut state = self.state.lock();
        if let Some(signals) = state.signals.as_mut() {
            signals.retain(|signal| !matches!(signal, Signal::Exit(exit) if exit.from == from));
        }
    }

    /// Removes a down notice of `monitor` still waiting in the signal lane.
    pub(crate) fn remove_down(&self, monitor: MonitorRef) -> bool {
        let mut state = self.state.lock();
        let Some(signals) = state.signals.as_mut() else {
            return false;
        };
        let before = signals.len();
        signals.retain(|signal| !matches!(signal, Signal::Down(down) if down.monitor == monitor));
        signals.len() != before
    }

    /// The next thing for the actor to do. `kept` says that something other than handles
    /// keeps the actor alive (its supervisor): it then does not end for lack of senders.
    /// `fresh` says that the actor has not looked at its mailbox since it last finished some
    /// work: if it parks now, its idle period starts now. It is cleared once the mailbox has
    /// been looked at, not before: a poll put off by the cooperative budget looks at nothing.
    pub(crate) fn poll_next(
        &self,
        cx: &mut Context<'_>,
        fresh: &mut bool,
        kept: impl FnOnce() -> bool,
        budget: &Budget,
    ) -> Poll<Next<T>> {
        // Take part in Tokio's cooperative budget, so that an actor with an endless supply of
        // messages still lets the other tasks on its worker run.
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        let fresh = std::mem::take(fresh);
        let mut state = self.state.lock();
        if self.killed.load(Ordering::Acquire) {
            return Poll::Ready(Next::Killed);
        }
        if let Some(signal) = state.next_signal() {
            coop.made_progress();
            return Poll::Ready(Next::Signal(signal));
        }
        let depth = state.messages.len();
        let was_full = depth >= self.capacity;
        if let Some(message) = state.messages.pop_front() {
            if self.budgeted {
                state.credit = budget.keep(state.credit + 1);
            }
            // A test of a pointer already at hand for actors never probed.
            if state.attachments.as_ref().is_some_and(|attachments| attachments.probe.is_some()) {
                state.probe_taken();
            }
            drop(state);
            if was_full && self.overflow == OverflowPolicy::Wait {
                self.changed.notify_waiters();
            }
            coop.made_progress();
            return Poll::Ready(Next::Message(message, depth));
        }
        if self.senders.load(Ordering::Acquire) == 0 && !kept() {
            return Poll::Ready(Next::NoSenders);
        }
        // An actor that once took a burst should not keep its room for good: beyond a few
        // thousand slots, an empty mailbox gives the memory back.
        if state.messages.capacity() > RETAINED_SLOTS {
            state.messages = VecDeque::new();
        }
        // Only here, on the way to parking, and only for an actor that set an idle timeout:
        // the others pay one test of a pointer they already have.
        if let Some(idle) =
            state.attachments.as_mut().and_then(|attachments| attachments.idle.as_mut())
        {
            if idle.poll_expired(fresh, cx) {
                coop.made_progress();
                return Poll::Ready(Next::Signal(Signal::Idle));
            }
        }
        park(&mut state.receiver, cx.waker());
        Poll::Pending
    }

    /// Registers the receiver for a kill while it is busy with something else; `true` if
    /// it has already been killed.
    pub(crate) fn poll_killed(&self, cx: &mut Context<'_>) -> bool {
        let mut state = self.state.lock();
        if self.killed.load(Ordering::Acquire) {
            return true;
        }
        park(&mut state.receiver, cx.waker());
        false
    }

    /// Refuses every later push and signal, and hands back the messages still waiting.
    pub(crate) fn close(&self, budget: &Budget) -> VecDeque<T> {
        let mut state = self.state.lock();
        state.closed = true;
        state.plain_stop = None;
        let signals = state.signals.take();
        let receiver = state.receiver.take();
        let waiting = std::mem::take(&mut state.messages);
        if self.budgeted {
            budget.give_back(std::mem::take(&mut state.credit) as usize + waiting.len());
        }
        drop(state);
        // Dropped outside the lock: they may run user code.
        drop((signals, receiver));
        self.changed.notify_waiters();
        waiting
    }

    /// Gives the budget back the slots leased and not in use, when it runs short.
    pub(crate) fn reclaim_credit(&self, budget: &Budget) {
        if self.budgeted {
            let mut state = self.state.lock();
            budget.give_back(std::mem::take(&mut state.credit) as usize);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.state.lock().messages.len()
    }

    pub(crate) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a sender unless none is left (the actor may already be ending for lack of them).
    pub(crate) fn try_add_sender(&self) -> bool {
        let mut current = self.senders.load(Ordering::Relaxed);
        loop {
            if current == 0 {
                return false;
            }
            match self.senders.compare_exchange_weak(
                current,
                current + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    pub(crate) fn remove_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            let receiver = self.state.lock().receiver.take();
            if let Some(waker) = receiver {
                waker.wake();
            }
        }
    }
}

#[derive(Clone, Copy)]
enum PlainStop {
    Normal,
    Shutdown,
}

impl PlainStop {
    fn reason(self) -> ExitReason {
        match self {
            Self::Normal => ExitReason::Normal,
            Self::Shutdown => ExitReason::Shutdown,
        }
    }
}

impl<T> State<T> {
    fn queue_signal(&mut self, signal: Signal) {
        let queue_is_empty = self.signals.as_ref().is_none_or(|signals| signals.is_empty());
        if self.plain_stop.is_none() && queue_is_empty {
            match signal {
                Signal::Stop(ExitReason::Normal) => {
                    self.plain_stop = Some(PlainStop::Normal);
                    return;
                }
                Signal::Stop(ExitReason::Shutdown) => {
                    self.plain_stop = Some(PlainStop::Shutdown);
                    return;
                }
                Signal::Stop(_)
                | Signal::Exit(_)
                | Signal::Down(_)
                | Signal::Idle
                | Signal::Probe(_) => {}
            }
        }
        self.signals.get_or_insert_with(Box::default).push_back(signal);
    }

    /// One message was taken from under a deferred probe: queues it if its turn has come.
    #[cold]
    fn probe_taken(&mut self) {
        let waiting = self.messages.len();
        let Some(attachments) = self.attachments.as_deref_mut() else {
            return;
        };
        let Some(probe) = attachments.probe.take() else {
            return;
        };
        match probe.taken(waiting) {
            Ok(signal) => self.queue_signal(signal),
            Err(probe) => attachments.probe = Some(probe),
        }
    }

    fn next_signal(&mut self) -> Option<Signal> {
        self.own_stop_first = false;
        match self.plain_stop.take() {
            Some(stop) => Some(Signal::Stop(stop.reason())),
            None => self.signals.as_mut().and_then(|signals| signals.pop_front()),
        }
    }
}

fn park(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(parked) if parked.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop_reasons(mailbox: &Mailbox<()>) -> Vec<ExitReason> {
        std::iter::from_fn(|| mailbox.take_signal())
            .map(|signal| match signal {
                Signal::Stop(reason) => reason,
                other => panic!("expected a stop, got {other:?}"),
            })
            .collect()
    }

    #[test]
    fn signals_keep_their_order_whether_kept_inline_or_queued() {
        let mailbox = Mailbox::<()>::new(MailboxConfig::default(), 1, None);
        assert!(mailbox.signal(Signal::Stop(ExitReason::Shutdown)));
        assert!(mailbox.signal(Signal::Stop(ExitReason::Killed)));
        assert!(mailbox.signal(Signal::Stop(ExitReason::Normal)));
        assert_eq!(
            stop_reasons(&mailbox),
            vec![ExitReason::Shutdown, ExitReason::Killed, ExitReason::Normal]
        );

        assert!(mailbox.signal(Signal::Stop(ExitReason::panicked("first"))));
        assert!(mailbox.signal(Signal::Stop(ExitReason::Normal)));
        assert_eq!(stop_reasons(&mailbox), vec![ExitReason::panicked("first"), ExitReason::Normal]);
    }

    #[test]
    fn a_closed_mailbox_takes_no_signal_and_forgets_those_waiting() {
        let mailbox = Mailbox::<()>::new(MailboxConfig::default(), 1, None);
        assert!(mailbox.signal(Signal::Stop(ExitReason::Normal)));
        drop(mailbox.close(&Budget::new(1, crate::kernel::mailbox::BudgetPolicy::Reject)));
        assert!(!mailbox.signal(Signal::Stop(ExitReason::Normal)));
        assert!(mailbox.take_signal().is_none());
    }
}
