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
//! Nothing here allocates per ask in steady state: the slab and the lanes keep their room.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use parking_lot::Mutex;
use slab::Slab;
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

pub(crate) struct Deadlines {
    state: Mutex<State>,
    wake_reaper: Notify,
    reaper_running: AtomicBool,
    closed: AtomicBool,
}

#[derive(Default)]
struct State {
    entries: Slab<Entry>,
    lanes: Vec<Lane>,
    next_id: u64,
    /// The deadline the reaper sleeps until, if it sleeps on one.
    reaper_target: Option<Instant>,
}

struct Entry {
    id: u64,
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
        Self {
            state: Mutex::new(State::default()),
            wake_reaper: Notify::new(),
            reaper_running: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// Registers a pending ask that times out after `timeout` from now, unless the deadlines
    /// already keep `MAX_LANES` other timeouts (the ask then needs a timer of its own).
    pub(crate) fn register(
        self: &Arc<Self>,
        timeout: Duration,
        waker: &Waker,
    ) -> Option<Registration> {
        let now = Instant::now();
        // A timeout too long for the clock is as good as none: thirty years.
        let deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 24 * 60 * 60));
        let mut state = self.state.lock();
        let lane = match state.lanes.iter().position(|lane| lane.timeout == timeout) {
            Some(lane) => lane,
            None if state.lanes.len() < MAX_LANES => {
                state.lanes.push(Lane { timeout, queue: VecDeque::new() });
                state.lanes.len() - 1
            }
            None => return None,
        };
        state.next_id += 1;
        let id = state.next_id;
        let key = state.entries.insert(Entry { id, waker: Some(waker.clone()), expired: false });
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
        self.ensure_reaper();
        Some(registration)
    }

    /// Whether the ask has expired; otherwise keeps its waker current.
    pub(crate) fn poll_expired(&self, registration: Registration, cx: &mut Context<'_>) -> bool {
        let mut state = self.state.lock();
        match state.entries.get_mut(registration.key) {
            Some(entry) if entry.id == registration.id => {
                if entry.expired {
                    return true;
                }
                match &entry.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => entry.waker = Some(cx.waker().clone()),
                }
                false
            }
            // Never reached: an entry leaves only through `cancel`, by its own ask.
            _ => true,
        }
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

    /// Ends the reaper; asks registered later still time out, through a new one.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake_reaper.notify_one();
    }

    fn ensure_reaper(self: &Arc<Self>) {
        if self.reaper_running.load(Ordering::Acquire)
            || self
                .reaper_running
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        self.closed.store(false, Ordering::Release);
        tokio::spawn(reap(Arc::clone(self)));
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
}

/// Clears the running flag however the reaper ends, even when its runtime drops it.
struct ReaperRunning(Arc<Deadlines>);

impl Drop for ReaperRunning {
    fn drop(&mut self) {
        self.0.reaper_running.store(false, Ordering::Release);
    }
}

async fn reap(deadlines: Arc<Deadlines>) {
    let running = ReaperRunning(deadlines);
    let deadlines = &running.0;
    let mut wake = Vec::new();
    loop {
        let mut woken = pin!(deadlines.wake_reaper.notified());
        woken.as_mut().enable();
        if deadlines.closed.load(Ordering::Acquire) {
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
        assert!(deadlines.poll_expired(short, &mut cx));
        assert!(!deadlines.poll_expired(long, &mut cx));
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(deadlines.poll_expired(long, &mut cx));
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
        assert!(!deadlines.reaper_running.load(Ordering::Acquire));

        let second = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        second.block_on(async {
            let registration = deadlines.register(Duration::from_secs(1), &waker).unwrap();
            assert!(deadlines.reaper_running.load(Ordering::Acquire));
            tokio::time::sleep(Duration::from_secs(2)).await;
            let mut cx = Context::from_waker(&waker);
            assert!(deadlines.poll_expired(registration, &mut cx));
        });
    }
}
