//! Ask timeouts without a Tokio timer per ask.
//!
//! Arming and disarming a `tokio::time::Sleep` for every `ask` costs more than the whole round
//! trip (the timer wheel's lock twice, and often a system call to wake the thread that parks on
//! the timer driver): about 750 ns of a 1 µs ask on the benchmark machine. Asks almost always
//! get their reply long before their deadline, so the system keeps their deadlines itself:
//!
//! * each pending ask registers `(deadline, waker)` in a slab, and its key in the **lane** of its
//!   timeout. All asks of one timeout (usually the system default) register in deadline order, so
//!   a lane is a FIFO queue and its front is its earliest deadline;
//! * one **reaper** task per system sleeps until the earliest deadline of all lanes, marks what
//!   has expired and wakes those asks. It is woken early only when a deadline arrives that is
//!   earlier than the one it sleeps for, which with one timeout happens once per busy period;
//! * an ask that completes removes its entry; the lane forgets the key when it reaches the front.
//!
//! The reaper runs on the runtime of the ask that started it, and only asks polled on that
//! runtime register with it: an ask on another runtime (which may not be driven when this one
//! is) keeps a timer of its own, as does one with a seventeenth distinct timeout, or one made
//! after the system shut down. Should the reaper's runtime drop it, every pending ask is woken
//! and from then on watches its own deadline; the next registration starts a new reaper.
//!
//! Nothing here allocates per ask in steady state: the slab and the lanes keep their room.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use parking_lot::Mutex;
use slab::Slab;
use tokio::runtime::{Handle, Id as RuntimeId};
use tokio::sync::Notify;
use tokio::time::Instant;

/// How many distinct timeouts are tracked at once; asks with yet another timeout use a timer
/// of their own. Programs use a handful (the default and a few per-call ones).
const MAX_LANES: usize = 16;

/// A pending ask's place among the deadlines.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Registration {
    key: usize,
    id: u64,
}

/// What became of a pending ask's deadline.
pub(crate) enum Deadline {
    Pending,
    Expired,
    /// The reaper that watched it is gone (its runtime shut down): the ask must watch this
    /// deadline itself from now on.
    Orphaned(Instant),
}

/// `timeout` from now on Tokio's clock; a timeout too long for the clock is as good as none:
/// thirty years.
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout).unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 24 * 60 * 60))
}

pub(crate) struct Deadlines {
    state: Mutex<State>,
    wake_reaper: Notify,
}

#[derive(Default)]
struct State {
    entries: Slab<Entry>,
    lanes: Vec<Lane>,
    next_id: u64,
    /// The runtime the reaper runs on, and which reaper it is.
    reaper: Option<(RuntimeId, u64)>,
    reapers_started: u64,
    /// The deadline the reaper sleeps until, if it sleeps on one.
    reaper_target: Option<Instant>,
    /// Set at shutdown and when the system goes: later asks keep their own timers.
    closed: bool,
}

struct Entry {
    id: u64,
    deadline: Instant,
    /// The reaper that watches this entry.
    reaper: u64,
    waker: Option<Waker>,
    expired: bool,
}

struct Lane {
    timeout: Duration,
    queue: VecDeque<(Instant, Registration)>,
}

impl State {
    fn is_current(&self, registration: Registration) -> bool {
        self.entries.get(registration.key).is_some_and(|entry| entry.id == registration.id)
    }

    /// Forgets the keys at the front of a lane whose asks have completed; compacts the lane
    /// when a long-pending ask at its front keeps many completed ones behind it.
    fn trim(&mut self, lane: usize) {
        loop {
            let front = self.lanes[lane].queue.front().map(|&(_, registration)| registration);
            match front {
                Some(registration) if !self.is_current(registration) => {
                    self.lanes[lane].queue.pop_front();
                }
                _ => break,
            }
        }
        let queued = self.lanes[lane].queue.len();
        if queued > 1024 && queued > 2 * self.entries.len() {
            let mut queue = std::mem::take(&mut self.lanes[lane].queue);
            queue.retain(|&(_, registration)| self.is_current(registration));
            self.lanes[lane].queue = queue;
        }
    }
}

impl Deadlines {
    pub(crate) fn new() -> Self {
        Self { state: Mutex::new(State::default()), wake_reaper: Notify::new() }
    }

    /// Registers a pending ask that times out after `timeout` from now, when this system's
    /// reaper can watch it: `None` tells the ask to keep a timer of its own (it runs on
    /// another runtime than the reaper, the deadlines keep `MAX_LANES` other timeouts already,
    /// or the system has shut down).
    ///
    /// Panics outside a Tokio runtime with its timer, as the documented `ask` does.
    pub(crate) fn register(
        self: &Arc<Self>,
        timeout: Duration,
        waker: &Waker,
    ) -> Option<Registration> {
        let runtime = Handle::current();
        let waker = waker.clone();
        let mut state = self.state.lock();
        if state.closed {
            return None;
        }
        let reaper = match state.reaper {
            Some((on, reaper)) if on == runtime.id() => reaper,
            Some(_) => return None,
            None => {
                drop(state);
                // Fails here, in the asker, if the runtime has no timer, not in the reaper.
                drop(tokio::time::sleep(Duration::ZERO));
                state = self.state.lock();
                match state.reaper {
                    Some((on, reaper)) if on == runtime.id() => reaper,
                    Some(_) => return None,
                    None => {
                        state.reapers_started += 1;
                        let reaper = state.reapers_started;
                        state.reaper = Some((runtime.id(), reaper));
                        runtime.spawn(reap(Arc::clone(self), reaper));
                        reaper
                    }
                }
            }
        };
        let lane = match state.lanes.iter().position(|lane| lane.timeout == timeout) {
            Some(lane) => lane,
            None if state.lanes.len() < MAX_LANES => {
                state.lanes.push(Lane { timeout, queue: VecDeque::new() });
                state.lanes.len() - 1
            }
            None => return None,
        };
        // Read under the lock, so that one lane stays in deadline order.
        let deadline = deadline_after(timeout);
        state.next_id += 1;
        let id = state.next_id;
        let entry = Entry { id, deadline, reaper, waker: Some(waker), expired: false };
        let key = state.entries.insert(entry);
        let registration = Registration { key, id };
        state.trim(lane);
        state.lanes[lane].queue.push_back((deadline, registration));
        let wake_reaper = state.reaper_target.is_none_or(|target| deadline < target);
        if wake_reaper {
            state.reaper_target = Some(deadline);
        }
        drop(state);
        if wake_reaper {
            self.wake_reaper.notify_one();
        }
        Some(registration)
    }

    /// Whether the ask has expired; otherwise keeps its waker current.
    pub(crate) fn poll_expired(
        &self,
        registration: Registration,
        cx: &mut Context<'_>,
    ) -> Deadline {
        let mut state = self.state.lock();
        let reaper = state.reaper.map(|(_, reaper)| reaper);
        let Some(entry) = state.entries.get_mut(registration.key) else {
            // Never reached: an entry leaves only through `cancel`, by its own ask.
            return Deadline::Expired;
        };
        if entry.id != registration.id {
            return Deadline::Expired;
        }
        if entry.expired {
            return Deadline::Expired;
        }
        if reaper != Some(entry.reaper) {
            return Deadline::Orphaned(entry.deadline);
        }
        let replaced = match &entry.waker {
            Some(waker) if waker.will_wake(cx.waker()) => None,
            _ => entry.waker.replace(cx.waker().clone()),
        };
        drop(state);
        // Dropped outside the lock: a waker's drop may run code that asks again.
        drop(replaced);
        Deadline::Pending
    }

    /// Forgets a pending ask (it completed, or was dropped).
    pub(crate) fn cancel(&self, registration: Registration) {
        let mut state = self.state.lock();
        if state.is_current(registration) {
            let entry = state.entries.remove(registration.key);
            drop(state);
            drop(entry);
        }
    }

    /// Ends the reaper for good; asks made later keep timers of their own.
    pub(crate) fn close(&self) {
        self.state.lock().closed = true;
        self.wake_reaper.notify_one();
    }

    /// Marks what is due as expired, hands out the wakers to wake, and returns the next
    /// deadline, which the reaper is then taken to sleep until.
    fn expire(&self, now: Instant, wake: &mut Vec<Waker>) -> Option<Instant> {
        let mut state = self.state.lock();
        let mut next: Option<Instant> = None;
        for lane in 0..state.lanes.len() {
            state.trim(lane);
            while let Some(&(deadline, registration)) = state.lanes[lane].queue.front() {
                if deadline > now {
                    next = Some(next.map_or(deadline, |next| next.min(deadline)));
                    break;
                }
                state.lanes[lane].queue.pop_front();
                if let Some(entry) = state.entries.get_mut(registration.key) {
                    if entry.id == registration.id {
                        entry.expired = true;
                        wake.extend(entry.waker.take());
                    }
                }
            }
        }
        state.lanes.retain(|lane| !lane.queue.is_empty());
        state.reaper_target = next;
        next
    }

    fn is_closed(&self) -> bool {
        self.state.lock().closed
    }
}

/// Retires the reaper however it ends (closed, dropped with its runtime, or a panic) and wakes
/// every pending ask, so that each one watches its own deadline from then on.
struct Retire {
    deadlines: Arc<Deadlines>,
    reaper: u64,
}

impl Drop for Retire {
    fn drop(&mut self) {
        let mut state = self.deadlines.state.lock();
        if state.reaper.is_some_and(|(_, reaper)| reaper == self.reaper) {
            state.reaper = None;
            state.reaper_target = None;
        }
        let orphans: Vec<Waker> =
            state.entries.iter_mut().filter_map(|(_, entry)| entry.waker.take()).collect();
        drop(state);
        for waker in orphans {
            waker.wake();
        }
    }
}

async fn reap(deadlines: Arc<Deadlines>, reaper: u64) {
    let retire = Retire { deadlines, reaper };
    let deadlines = &retire.deadlines;
    let mut wake = Vec::new();
    loop {
        let mut woken = pin!(deadlines.wake_reaper.notified());
        woken.as_mut().enable();
        if deadlines.is_closed() {
            return;
        }
        let next = deadlines.expire(Instant::now(), &mut wake);
        for waker in wake.drain(..) {
            waker.wake();
        }
        match next {
            None => woken.await,
            Some(deadline) => {
                let mut sleep = pin!(tokio::time::sleep_until(deadline));
                poll_fn(|cx| {
                    if woken.as_mut().poll(cx).is_ready() || sleep.as_mut().poll(cx).is_ready() {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Deadlines {
        fn pending(&self) -> usize {
            self.state.lock().entries.len()
        }
    }

    fn noop_waker() -> Waker {
        Waker::noop().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn due_asks_expire_in_deadline_order_and_others_wait() {
        let deadlines = Arc::new(Deadlines::new());
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let short = deadlines.register(Duration::from_secs(1), &waker).unwrap();
        let long = deadlines.register(Duration::from_secs(3), &waker).unwrap();
        let done = deadlines.register(Duration::from_secs(1), &waker).unwrap();
        deadlines.cancel(done);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(matches!(deadlines.poll_expired(short, &mut cx), Deadline::Expired));
        assert!(matches!(deadlines.poll_expired(long, &mut cx), Deadline::Pending));
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(matches!(deadlines.poll_expired(long, &mut cx), Deadline::Expired));
        deadlines.cancel(short);
        deadlines.cancel(long);
        assert_eq!(deadlines.pending(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn completed_asks_behind_a_stuck_one_do_not_pile_up() {
        let deadlines = Arc::new(Deadlines::new());
        let waker = noop_waker();
        let stuck = deadlines.register(Duration::from_secs(5), &waker).unwrap();
        for _ in 0..10_000 {
            let quick = deadlines.register(Duration::from_secs(5), &waker).unwrap();
            deadlines.cancel(quick);
        }
        let queued: usize = deadlines.state.lock().lanes.iter().map(|l| l.queue.len()).sum();
        assert!(queued <= 1030, "{queued} keys queued for 1 pending ask");
        deadlines.cancel(stuck);
    }

    #[tokio::test]
    async fn a_full_set_of_lanes_hands_the_ask_its_own_timer() {
        let deadlines = Arc::new(Deadlines::new());
        let waker = noop_waker();
        let mut taken = Vec::new();
        for millis in 0..MAX_LANES as u64 {
            taken.push(deadlines.register(Duration::from_millis(1000 + millis), &waker).unwrap());
        }
        assert!(deadlines.register(Duration::from_millis(5), &waker).is_none());
        assert!(deadlines.register(Duration::from_millis(1000), &waker).is_some());
        for registration in taken {
            deadlines.cancel(registration);
        }
    }

    #[test]
    fn a_reaper_dropped_with_its_runtime_is_replaced() {
        let deadlines = Arc::new(Deadlines::new());
        let waker = noop_waker();
        let first = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        first.block_on(async {
            let registration = deadlines.register(Duration::from_secs(60), &waker).unwrap();
            tokio::task::yield_now().await;
            deadlines.cancel(registration);
        });
        drop(first);
        assert!(deadlines.state.lock().reaper.is_none());

        let second = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        second.block_on(async {
            let registration = deadlines.register(Duration::from_secs(1), &waker).unwrap();
            assert!(deadlines.state.lock().reaper.is_some());
            tokio::time::sleep(Duration::from_secs(2)).await;
            let mut cx = Context::from_waker(&waker);
            assert!(matches!(deadlines.poll_expired(registration, &mut cx), Deadline::Expired));
        });
    }
}
