//! The routing table: the worker in each slot, read on every send, written when a pool's
//! worker starts and when the pool is resized, or when a member joins or leaves a group.
//!
//! One implementation for both: generic over the [`Routee`] it holds, an `ActorRef<A>` for a
//! pool, a `ReplyRecipient<M, R>` for a group.

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::time::Instant;

use super::routee::Routee;
use super::Routing;
use crate::dead_letter::DeadLetterReason;
use crate::kernel::SentAs;
use crate::mailbox::{MailboxConfig, OverflowPolicy};
use crate::message::{AskError, SendError};
use crate::ActorId;

/// Where a consistent-hashing key comes from.
pub(super) type KeyFn<M> = Arc<dyn Fn(&M) -> u64 + Send + Sync>;

/// The routing with what it needs: a key function, a way to copy messages.
pub(super) enum Rule<M> {
    RoundRobin,
    Random,
    LeastLoaded,
    /// A pool's: the key's slot by jump hashing, as its slots stay put across a resize.
    ConsistentHash(KeyFn<M>),
    /// A group's: the member that scores the key highest (rendezvous hashing), as a leave
    /// shifts the places of the members after it; only the leaver's keys move.
    Rendezvous(KeyFn<M>),
    Broadcast(fn(&M) -> M),
}

impl<M> Clone for Rule<M> {
    fn clone(&self) -> Self {
        match self {
            Self::RoundRobin => Self::RoundRobin,
            Self::Random => Self::Random,
            Self::LeastLoaded => Self::LeastLoaded,
            Self::ConsistentHash(key) => Self::ConsistentHash(Arc::clone(key)),
            Self::Rendezvous(key) => Self::Rendezvous(Arc::clone(key)),
            Self::Broadcast(copy) => Self::Broadcast(*copy),
        }
    }
}

/// A message no worker queued.
pub(super) enum Refused<W, M> {
    /// Every worker tried had ended.
    Closed(M),
    /// The chosen worker's mailbox is full; the worker is kept for a sender that waits.
    Full(W, M),
}

impl<W, M> Refused<W, M> {
    pub(super) fn into_send_error(self) -> SendError<M> {
        match self {
            Self::Closed(msg) => SendError::Closed(msg),
            Self::Full(_, msg) => SendError::Full(msg),
        }
    }
}

pub(super) struct Table<W, M> {
    /// Slot `i` holds the latest worker started for it; a crashed worker stays until its
    /// successor replaces it. Never shorter than the slots that have started, and never
    /// longer than `admitted`.
    workers: ArcSwap<Vec<W>>,
    /// How many slots may be routed to: lowered before a shrink stops workers, raised before
    /// a grow starts them.
    admitted: AtomicUsize,
    /// The round-robin position; also where a least-loaded scan starts, to spread ties.
    next: AtomicUsize,
    rule: Rule<M>,
    /// Whether the workers' mailboxes push back (bounded, `Wait`): then a sender is made to
    /// wait by a full mailbox and need not give way by itself. Set, with the one below, when
    /// the pool starts: they come from its system. A group's members may differ: it gives way.
    pushes_back: AtomicBool,
    /// The system's ask timeout, in nanoseconds.
    ask_timeout: AtomicU64,
}

impl<W: Clone, M> Table<W, M> {
    pub(super) fn new(rule: Rule<M>) -> Self {
        Self {
            admitted: AtomicUsize::new(0),
            workers: ArcSwap::from_pointee(Vec::new()),
            next: AtomicUsize::new(0),
            rule,
            pushes_back: AtomicBool::new(false),
            ask_timeout: AtomicU64::new(0),
        }
    }

    /// Routes to `workers` from now on, in their order: a group's first members. A group
    /// neither admits nor installs slots: `admitted` is the pool's alone.
    pub(super) fn replace(&self, workers: Vec<W>) {
        self.workers.store(Arc::new(workers));
    }

    /// Sets the timeout of an ask that names none: the system's, for a pool; its first
    /// member's system's, for a group.
    pub(super) fn set_ask_timeout(&self, ask_timeout: Duration) {
        let nanos = u64::try_from(ask_timeout.as_nanos()).unwrap_or(u64::MAX);
        self.ask_timeout.store(nanos, Ordering::Relaxed);
    }

    /// Readies the table for a pool (re)starting with `size` slots: empty, with the settings
    /// of the workers' mailbox and of the system.
    pub(super) fn reset(&self, size: usize, mailbox: &MailboxConfig, ask_timeout: Duration) {
        let waits = mailbox.overflow_policy() == OverflowPolicy::Wait;
        self.pushes_back.store(waits && mailbox.is_bounded(), Ordering::Relaxed);
        self.set_ask_timeout(ask_timeout);
        self.admit(0);
        self.admitted.store(size, Ordering::SeqCst);
    }

    pub(super) fn rule(&self) -> &Rule<M> {
        &self.rule
    }

    pub(super) fn routing(&self) -> Routing {
        match self.rule {
            Rule::RoundRobin => Routing::RoundRobin,
            Rule::Random => Routing::Random,
            Rule::LeastLoaded => Routing::LeastLoaded,
            Rule::ConsistentHash(_) | Rule::Rendezvous(_) => Routing::ConsistentHash,
            Rule::Broadcast(_) => Routing::Broadcast,
        }
    }

    pub(super) fn pushes_back(&self) -> bool {
        self.pushes_back.load(Ordering::Relaxed)
    }

    pub(super) fn ask_timeout(&self) -> Duration {
        Duration::from_nanos(self.ask_timeout.load(Ordering::Relaxed))
    }

    pub(super) fn workers(&self) -> Arc<Vec<W>> {
        self.workers.load_full()
    }

    pub(super) fn admitted(&self) -> usize {
        self.admitted.load(Ordering::SeqCst)
    }

    /// Puts a freshly started worker in its slot, unless a shrink has removed the slot.
    pub(super) fn install(&self, slot: usize, worker: &W) {
        self.workers.rcu(|current| {
            let mut next = Vec::clone(current);
            if slot < self.admitted.load(Ordering::SeqCst) {
                match slot.cmp(&next.len()) {
                    std::cmp::Ordering::Less => next[slot] = worker.clone(),
                    std::cmp::Ordering::Equal => next.push(worker.clone()),
                    // Slots start in order, so a gap never opens; were it to, the worker would
                    // be left out of the routing rather than put in another slot.
                    std::cmp::Ordering::Greater => {}
                }
            }
            next
        });
    }

    /// Admits `size` slots; those above it leave the routing at once.
    pub(super) fn admit(&self, size: usize) {
        self.admitted.store(size, Ordering::SeqCst);
        self.workers.rcu(|current| current.iter().take(size).cloned().collect::<Vec<_>>());
    }
}

// Only sending needs the workers to handle `M`; the bookkeeping above is the same whatever
// they handle.
impl<W: Routee<M>, M: Send + 'static> Table<W, M> {
    /// Adds a group's member at the end, unless an actor of the same id is in already.
    pub(super) fn join(&self, member: W) -> bool {
        let id = member.id();
        let mut joined = false;
        self.workers.rcu(|current| {
            joined = !current.iter().any(|worker| worker.id() == id);
            let mut next = Vec::clone(current);
            if joined {
                next.push(member.clone());
            }
            next
        });
        joined
    }

    /// Takes a group's member out of the routing; the others keep their order. Returns the
    /// member's handle, so that the caller lets go of it where it chooses: perhaps the last
    /// one, whose drop may end the actor (A4.6).
    pub(super) fn leave(&self, id: ActorId) -> Option<W> {
        let mut left = None;
        self.workers.rcu(|current| {
            left = current.iter().find(|worker| worker.id() == id).cloned();
            current.iter().filter(|worker| worker.id() != id).cloned().collect::<Vec<W>>()
        });
        left
    }

    /// Keeps the group's members that `keep` says, in their order; hands back the others, to
    /// be dropped where the caller chooses (see `leave`).
    pub(super) fn retain(&self, keep: impl Fn(&W) -> bool) -> Vec<W> {
        let mut removed = Vec::new();
        self.workers.rcu(|current| {
            let (kept, out): (Vec<W>, Vec<W>) = current.iter().cloned().partition(|w| keep(w));
            removed = out;
            kept
        });
        removed
    }

    /// The slot the routing picks for `msg` among `count > 0` workers.
    fn choose(&self, workers: &[W], msg: &M) -> usize {
        let count = workers.len();
        match &self.rule {
            Rule::RoundRobin | Rule::Broadcast(_) => {
                self.next.fetch_add(1, Ordering::Relaxed) % count
            }
            Rule::Random => fastrand::usize(..count),
            Rule::ConsistentHash(key) => jump_hash(key(msg), count),
            Rule::Rendezvous(key) => rendezvous(key(msg), workers),
            Rule::LeastLoaded => {
                let start = self.next.fetch_add(1, Ordering::Relaxed) % count;
                let mut best = start;
                let mut best_len = usize::MAX;
                for step in 0..count {
                    let slot = wrap(start + step, count);
                    let worker = &workers[slot];
                    if !worker.is_alive() {
                        continue;
                    }
                    let len = worker.mailbox_len();
                    if len < best_len {
                        best = slot;
                        best_len = len;
                        if len == 0 {
                            break;
                        }
                    }
                }
                best
            }
        }
    }

    /// Queues `msg` on the chosen worker, or, if it has ended, on the next ones in slot order;
    /// then once more on a fresh table if it changed meanwhile.
    pub(super) fn offer(&self, msg: M) -> Result<(), Refused<W, M>> {
        let workers = self.workers.load();
        let msg = match self.offer_to(&workers, msg) {
            Err(Refused::Closed(msg)) => msg,
            done => return done,
        };
        let fresh = self.workers.load();
        if Arc::ptr_eq(&workers, &fresh) {
            return Err(Refused::Closed(msg));
        }
        self.offer_to(&fresh, msg)
    }

    fn offer_to(&self, workers: &[W], mut msg: M) -> Result<(), Refused<W, M>> {
        let count = workers.len();
        if count == 0 {
            return Err(Refused::Closed(msg));
        }
        let first = self.choose(workers, &msg);
        for step in 0..count {
            let worker = &workers[wrap(first + step, count)];
            match worker.try_tell(msg) {
                Ok(()) => return Ok(()),
                Err(SendError::Closed(back)) => msg = back,
                Err(SendError::Full(back)) => return Err(Refused::Full(worker.clone(), back)),
            }
        }
        Err(Refused::Closed(msg))
    }

    /// The rest of a tell whose chosen worker is full under `Wait`: waits for room there, and
    /// routes the message again if that worker ends meanwhile. Gives up, handing the message
    /// back as `Full`, once `timeout` has passed since it began to wait.
    pub(super) async fn tell_waiting(
        &self,
        mut worker: W,
        mut msg: M,
        timeout: Option<Duration>,
    ) -> Result<(), SendError<M>> {
        let deadline = Deadline::after(timeout);
        loop {
            match worker.tell(msg, deadline.left()).await {
                // It ended while we waited: route the message again.
                Err(SendError::Closed(back)) => match self.offer(back) {
                    Ok(()) => return Ok(()),
                    Err(Refused::Full(next, back)) if next.waits_when_full() => {
                        worker = next;
                        msg = back;
                    }
                    Err(refused) => return Err(refused.into_send_error()),
                },
                done => return done,
            }
        }
    }

    /// Accounts for a message whose tell was dropped before it was routed: a dead letter of
    /// the worker the routing picks now (under `Broadcast`, of every live worker). A pool
    /// without workers has nobody to address it to.
    pub(super) fn cancel_unrouted(&self, msg: M, sent: Sent) {
        if let Rule::Broadcast(copy) = &self.rule {
            let mut broadcast = Broadcast::new(self.workers(), *copy, msg);
            broadcast.sent = sent;
            drop(broadcast);
            return;
        }
        let workers = self.workers.load();
        if workers.is_empty() {
            return;
        }
        // The key is the user's, run here from a `Drop`, maybe as the sender unwinds: caught,
        // its panic cannot become a second one, which aborts the process. The message then
        // goes to the first slot, and the panic on unless one is already under way.
        match catch_unwind(AssertUnwindSafe(|| self.choose(&workers, &msg))) {
            Ok(slot) => cancelled(&workers[slot], msg, sent),
            Err(panic) => {
                cancelled(&workers[0], msg, sent);
                if !std::thread::panicking() {
                    resume_unwind(panic);
                }
            }
        }
    }

    pub(super) async fn ask(&self, msg: M, timeout: Duration) -> Result<W::Reply, AskError<M>> {
        if let Rule::Broadcast(copy) = &self.rule {
            return self.ask_all(*copy, msg, timeout).await;
        }
        let started = Instant::now();
        let mut msg = msg;
        let mut tried: Option<Arc<Vec<W>>> = None;
        // Whether the routing fell on the asker itself, which could never answer (M16).
        let mut calling_self = false;
        // A first pass over the table, and a second if a restart or resize changed it.
        for _ in 0..2 {
            let workers = self.workers.load_full();
            if tried.as_ref().is_some_and(|tried| Arc::ptr_eq(tried, &workers)) {
                break;
            }
            let count = workers.len();
            if count == 0 {
                break;
            }
            let first = self.choose(&workers, &msg);
            for step in 0..count {
                let worker = &workers[wrap(first + step, count)];
                let left = timeout.saturating_sub(started.elapsed());
                match worker.ask(msg, left).await {
                    Err(AskError::Closed(back)) => msg = back,
                    // Passed over as an ended worker is: the next one may answer. Nothing was
                    // queued, so nothing is sent twice.
                    Err(AskError::CallingSelf(back)) => {
                        calling_self = true;
                        msg = back;
                    }
                    done => return done,
                }
            }
            tried = Some(workers);
        }
        if calling_self {
            return Err(AskError::CallingSelf(msg));
        }
        Err(AskError::Closed(msg))
    }

    /// Asks every live worker; the first successful reply wins.
    async fn ask_all(
        &self,
        copy: fn(&M) -> M,
        msg: M,
        timeout: Duration,
    ) -> Result<W::Reply, AskError<M>> {
        let workers = self.workers.load_full();
        let live: Vec<&W> = workers.iter().filter(|worker| worker.is_alive()).collect();
        let Some((last, others)) = live.split_last() else {
            return Err(AskError::Closed(msg));
        };
        let mut asks: Vec<(&W, PinnedAsk<'_, W, M>)> = Vec::with_capacity(live.len());
        for worker in others {
            asks.push((worker, Box::pin(worker.ask(copy(&msg), timeout))));
        }
        asks.push((last, Box::pin(last.ask(msg, timeout))));
        // Held by a guard: should the caller give up midway, the copies refused so far are
        // dead letters all the same (M15, R6).
        let mut refusals = Refusals { copies: Vec::new(), last: None };
        let first = poll_fn(|cx| {
            let mut index = 0;
            while index < asks.len() {
                match asks[index].1.as_mut().poll(cx) {
                    Poll::Pending => index += 1,
                    Poll::Ready(done) => {
                        let (worker, _) = asks.swap_remove(index);
                        match done {
                            Ok(reply) => return Poll::Ready(Ok(reply)),
                            Err(error) => {
                                if let Some((earlier, AskError::Full(copy))) =
                                    refusals.last.replace((worker, error))
                                {
                                    refusals.copies.push((earlier, copy));
                                }
                            }
                        }
                    }
                }
            }
            match refusals.last.take() {
                // Every ask has failed: the caller gets the last error (with `Full` or
                // `Closed`, the message back; the copies refused before go with it, as no
                // worker queued the message: R6).
                Some((_, error)) if asks.is_empty() => {
                    refusals.copies.clear();
                    Poll::Ready(Err(error))
                }
                pending => {
                    refusals.last = pending;
                    Poll::Pending
                }
            }
        })
        .await;
        let reply = first?;
        // The copies still waiting for room are sent before the asks are let go: every live
        // worker gets its copy, whose reply is then discarded.
        asks.retain(|(_, ask)| !W::is_posted(ask));
        poll_fn(|cx| {
            let mut index = 0;
            while index < asks.len() {
                match asks[index].1.as_mut().poll(cx) {
                    Poll::Pending if W::is_posted(&asks[index].1) => drop(asks.swap_remove(index)),
                    Poll::Pending => index += 1,
                    Poll::Ready(done) => {
                        let (worker, _) = asks.swap_remove(index);
                        if let Err(AskError::Full(copy)) = done {
                            refusals.copies.push((worker, copy));
                        }
                    }
                }
            }
            if asks.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        drop(refusals);
        Ok(reply)
    }

    /// Sends a copy to every worker, waiting for room where a `Wait` mailbox is full.
    ///
    /// The broadcast is made at once, not at the first poll: dropped before it, the future
    /// still leaves its dead letters (M15), as one dropped while it waits.
    pub(super) fn broadcast(
        &self,
        copy: fn(&M) -> M,
        msg: M,
    ) -> impl Future<Output = Result<usize, SendError<M>>> + Send + '_ {
        let mut broadcast = Broadcast::new(self.workers(), copy, msg);
        async move {
            // Gives way as a tell does (M13), before sending.
            if !self.pushes_back() {
                tokio::task::coop::consume_budget().await;
            }
            match broadcast.push_now(true) {
                None => broadcast.finish(),
                Some((slot, msg)) => broadcast.finish_waiting(slot, msg, None).await,
            }
        }
    }

    /// [`broadcast`](Self::broadcast) without waiting.
    pub(super) fn try_broadcast(&self, copy: fn(&M) -> M, msg: M) -> Result<usize, SendError<M>> {
        let mut broadcast = Broadcast::new(self.workers(), copy, msg);
        // Told not to wait, it stops at no full mailbox: each one refuses its copy.
        let _ = broadcast.push_now(false);
        broadcast.finish()
    }
}

/// When a routed tell gives up waiting for room, if it has a timeout.
struct Deadline(Option<(Instant, Duration)>);

impl Deadline {
    fn after(timeout: Option<Duration>) -> Self {
        Self(timeout.map(|timeout| (Instant::now(), timeout)))
    }

    /// What is left of the timeout, if there is one.
    fn left(&self) -> Option<Duration> {
        self.0.map(|(started, timeout)| timeout.saturating_sub(started.elapsed()))
    }
}

/// A broadcast under way: a copy for each live worker in slot order, and the message itself
/// for the last slot. Dropped unfinished (its tell was cancelled), it makes what it had not
/// sent yet a dead letter of each worker left.
pub(super) struct Broadcast<W: Routee<M>, M: Send + 'static> {
    workers: Arc<Vec<W>>,
    /// The next slot to send to.
    next: usize,
    /// Until the last slot takes it.
    msg: Option<M>,
    copy: fn(&M) -> M,
    tally: Tally<W, M>,
    /// What the last slot's send gave, once it is made.
    last: Option<Result<(), SendError<M>>>,
    /// As what the copies not sent are dead letters, if it is dropped unfinished.
    pub(super) sent: Sent,
}

impl<W: Routee<M>, M: Send + 'static> Broadcast<W, M> {
    pub(super) fn new(workers: Arc<Vec<W>>, copy: fn(&M) -> M, msg: M) -> Self {
        Self {
            workers,
            next: 0,
            msg: Some(msg),
            copy,
            tally: Tally::default(),
            last: None,
            sent: Sent::Tell,
        }
    }

    /// The next slot to send to and what to send it: a copy for a live worker, the message
    /// itself for the last slot (alive or not); `None` once every slot has had its turn.
    fn take_next(&mut self) -> Option<(usize, M)> {
        let count = self.workers.len();
        while self.next < count {
            let slot = self.next;
            self.next += 1;
            if slot + 1 == count {
                return self.msg.take().map(|msg| (slot, msg));
            }
            if self.workers[slot].is_alive() {
                let msg = self.msg.as_ref().map(self.copy)?;
                return Some((slot, msg));
            }
        }
        None
    }

    fn record(&mut self, slot: usize, sent: Result<(), SendError<M>>) {
        if slot + 1 == self.workers.len() {
            self.last = Some(sent);
        } else {
            self.tally.count(&self.workers[slot], sent);
        }
    }

    /// Sends to each slot left that can queue at once. With `may_wait`, stops at the first
    /// full mailbox that makes senders wait, and hands back its slot and what it is to get.
    pub(super) fn push_now(&mut self, may_wait: bool) -> Option<(usize, M)> {
        while let Some((slot, msg)) = self.take_next() {
            let worker = &self.workers[slot];
            match worker.try_tell(msg) {
                Err(SendError::Full(back)) if may_wait && worker.waits_when_full() => {
                    return Some((slot, back));
                }
                sent => self.record(slot, sent),
            }
        }
        None
    }

    /// Sends to the slots left, waiting for room, starting with `msg` for `slot`. With a
    /// timeout, a copy still without room when it has passed counts as refused.
    pub(super) async fn finish_waiting(
        mut self,
        mut slot: usize,
        mut msg: M,
        timeout: Option<Duration>,
    ) -> Result<usize, SendError<M>> {
        let deadline = Deadline::after(timeout);
        loop {
            let workers = Arc::clone(&self.workers);
            let sent = workers[slot].tell(msg, deadline.left()).await;
            self.record(slot, sent);
            match self.push_now(true) {
                Some((next, next_msg)) => (slot, msg) = (next, next_msg),
                None => return self.finish(),
            }
        }
    }

    /// The outcome, once every slot has had its turn: how many queued it, or the message back
    /// if none did (then no copy is a dead letter).
    pub(super) fn finish(&mut self) -> Result<usize, SendError<M>> {
        let tally = std::mem::take(&mut self.tally);
        match self.last.take() {
            Some(sent) => {
                let last = &self.workers[self.workers.len() - 1];
                tally.finish(last, sent)
            }
            // No slot at all.
            None => match self.msg.take() {
                Some(msg) => Err(SendError::Closed(msg)),
                None => Ok(tally.queued),
            },
        }
    }
}

impl<W: Routee<M>, M: Send + 'static> Drop for Broadcast<W, M> {
    fn drop(&mut self) {
        // The copy is the user's: it may panic here, even as the broadcast unwinds from its
        // panic, and a second panic while unwinding aborts the process. Caught, it ends the
        // copies; the original still goes to the last slot, and the panic goes on afterwards
        // unless one is already under way.
        let copies = catch_unwind(AssertUnwindSafe(|| {
            while let Some((slot, msg)) = self.take_next() {
                cancelled(&self.workers[slot], msg, self.sent);
            }
        }));
        if let Some((last, msg)) = self.workers.last().zip(self.msg.take()) {
            cancelled(last, msg, self.sent);
        }
        for (worker, copy) in std::mem::take(&mut self.tally.refused) {
            dead_letter_refused(&worker, copy);
        }
        if let Err(panic) = copies {
            if !std::thread::panicking() {
                resume_unwind(panic);
            }
        }
    }
}

/// What a message was sent with: its dead letter says whether it was an ask.
#[derive(Clone, Copy)]
pub(super) enum Sent {
    Tell,
    Ask,
}

/// Records a message whose tell or ask was dropped before it reached `worker`.
fn cancelled<W: Routee<M>, M: Send + 'static>(worker: &W, msg: M, sent: Sent) {
    let sent = match sent {
        Sent::Tell => SentAs::Tell,
        Sent::Ask => SentAs::Ask,
    };
    worker.dead_letter(msg, DeadLetterReason::SendCancelled, sent);
}

/// One copy of a broadcast `ask`.
type PinnedAsk<'a, W, M> = Pin<Box<<W as Routee<M>>::Ask<'a>>>;

/// The copies of a broadcast ask that full mailboxes refused: dead letters once dropped
/// (`last` too, if it is a refusal), unless taken back first.
struct Refusals<'a, W: Routee<M>, M: Send + 'static> {
    copies: Vec<(&'a W, M)>,
    /// The latest failure, kept to be returned should every ask fail.
    last: Option<(&'a W, AskError<M>)>,
}

impl<W: Routee<M>, M: Send + 'static> Drop for Refusals<'_, W, M> {
    fn drop(&mut self) {
        for (worker, copy) in self.copies.drain(..) {
            dead_letter_refused(worker, copy);
        }
        if let Some((worker, AskError::Full(copy))) = self.last.take() {
            dead_letter_refused(worker, copy);
        }
    }
}

/// How many workers queued a broadcast, and the copies that full mailboxes refused.
struct Tally<W, M> {
    queued: usize,
    refused: Vec<(W, M)>,
}

impl<W, M> Default for Tally<W, M> {
    fn default() -> Self {
        Self { queued: 0, refused: Vec::new() }
    }
}

impl<W: Routee<M>, M: Send + 'static> Tally<W, M> {
    /// A worker that has ended gets no copy; a full one refuses it.
    fn count(&mut self, worker: &W, sent: Result<(), SendError<M>>) {
        match sent {
            Ok(()) => self.queued += 1,
            Err(SendError::Full(copy)) => self.refused.push((worker.clone(), copy)),
            Err(SendError::Closed(_)) => {}
        }
    }

    /// Counts the last worker's send, which had the original message: handed back if no
    /// worker queued a copy. Otherwise the broadcast succeeds, and each copy a full mailbox
    /// refused, having no sender to go back to, is a dead letter.
    fn finish(mut self, last: &W, sent: Result<(), SendError<M>>) -> Result<usize, SendError<M>> {
        match sent {
            Err(error) if self.queued == 0 => {
                let full = error.is_full() || !self.refused.is_empty();
                let msg = error.into_inner();
                return Err(if full { SendError::Full(msg) } else { SendError::Closed(msg) });
            }
            sent => self.count(last, sent),
        }
        for (worker, copy) in self.refused {
            dead_letter_refused(&worker, copy);
        }
        Ok(self.queued)
    }
}

/// Records a broadcast's copy that a full mailbox refused: a dead letter, as a full mailbox
/// dropping it on arrival would make it.
fn dead_letter_refused<W: Routee<M>, M: Send + 'static>(worker: &W, copy: M) {
    worker.dead_letter(copy, DeadLetterReason::DroppedNewest, SentAs::Tell);
}

/// `index mod count` for `index < 2 * count`, without a division.
fn wrap(index: usize, count: usize) -> usize {
    if index >= count {
        index - count
    } else {
        index
    }
}

/// Rendezvous (highest random weight) hashing: the slot of the live worker whose id scores
/// `key` highest. Unlike a slot number, a worker's id does not change when others join or
/// leave, so a join moves only the keys the newcomer wins and a leave only the leaver's; one
/// score per worker a send, fine for a group's members. An ended worker is passed over here,
/// not by the next slot in `offer_to`, so that its keys go where they will stay once it leaves;
/// only a worker that would win is asked whether it is alive. With none alive, slot 0.
fn rendezvous<W: Routee<M>, M: Send + 'static>(key: u64, workers: &[W]) -> usize {
    let mut best: Option<(usize, u64)> = None;
    for (slot, worker) in workers.iter().enumerate() {
        let score = mix(key ^ mix(worker.id().as_u64()));
        if best.is_none_or(|(_, top)| score > top) && worker.is_alive() {
            best = Some((slot, score));
        }
    }
    best.map_or(0, |(slot, _)| slot)
}

/// SplitMix64's finaliser: spreads every bit of `x` over the result.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Jump consistent hashing (Lamping and Veach, 2014): the bucket in `0..buckets` for `key`.
/// Going from `n` to `n + 1` buckets moves only the keys that land in the new one, and going
/// from `n + 1` to `n` only those that were in the removed one.
pub(super) fn jump_hash(mut key: u64, buckets: usize) -> usize {
    let buckets = i64::try_from(buckets).unwrap_or(i64::MAX);
    let mut chosen: i64 = -1;
    let mut next: i64 = 0;
    while next < buckets {
        chosen = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        let ratio = (1u64 << 31) as f64 / ((key >> 33) + 1) as f64;
        next = ((chosen + 1) as f64 * ratio) as i64;
    }
    usize::try_from(chosen).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::jump_hash;

    #[test]
    fn jump_hash_moves_only_keys_to_the_new_bucket() {
        for key in 0..10_000u64 {
            let key = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            for buckets in 1..12 {
                let before = jump_hash(key, buckets);
                let after = jump_hash(key, buckets + 1);
                assert!(before < buckets);
                assert!(after == before || after == buckets);
            }
        }
    }
}
