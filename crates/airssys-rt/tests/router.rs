//! Chapter R of `docs/semantics.md`: routers and pools, one test (or more) per rule, named
//! after it.

use std::collections::{HashMap, HashSet};
use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
use airssys_rt::prelude::*;
use airssys_rt::router::{
    Group, GroupError, Pool, PoolError, PoolSpec, Router, Routing, WeakGroup,
};
use airssys_rt::supervisor::{ChildStatus, Shutdown};
use tokio::sync::Semaphore;

mod common;
use common::record::Record;

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Started(ActorId),
    Handled(ActorId, u64),
}

/// What the workers did, in order, with a tick per start and per handled message to wait on.
#[derive(Clone, Default)]
struct Log {
    events: Record<Event>,
    starts: Record<()>,
    handled: Record<()>,
}

impl Log {
    fn push(&self, event: Event) {
        let tick = if matches!(event, Event::Started(_)) { &self.starts } else { &self.handled };
        self.events.push(event);
        tick.push(());
    }

    fn items(&self) -> Vec<Event> {
        self.events.items()
    }
}

/// Holds the workers that take a `Hold` until it is opened.
struct Gate {
    entered: Record<ActorId>,
    release: Semaphore,
}

impl Default for Gate {
    fn default() -> Self {
        Gate { entered: Record::default(), release: Semaphore::new(0) }
    }
}

impl Gate {
    fn open(&self) {
        self.release.close();
    }
}

#[derive(Clone)]
enum Job {
    /// Recorded as handled; the reply names the worker.
    Work(u64),
    Crash,
    /// Waits in the handler until the gate opens.
    Hold(Arc<Gate>),
}

struct Worker {
    id: ActorId,
    log: Log,
}

#[actor]
impl Actor for Worker {
    type Msg = Job;
    type Reply = (ActorId, u64);
    type Args = Log;
    type Error = std::convert::Infallible;

    async fn pre_start(log: Log, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        log.push(Event::Started(ctx.id()));
        Ok(Worker { id: ctx.id(), log })
    }

    async fn handle(
        &mut self,
        job: Job,
        _: &mut Context<Self>,
    ) -> Result<(ActorId, u64), Self::Error> {
        match job {
            Job::Work(n) => {
                self.log.push(Event::Handled(self.id, n));
                Ok((self.id, n))
            }
            Job::Crash => panic!("worker crashed on purpose"),
            Job::Hold(gate) => {
                gate.entered.push(self.id);
                let _ = gate.release.acquire().await;
                Ok((self.id, 0))
            }
        }
    }
}

async fn start(system: &ActorSystem, spec: PoolSpec<Worker>) -> Pool<Worker> {
    Pool::start(system, spec).await.expect("pool starts")
}

fn handled(log: &Log) -> Vec<(ActorId, u64)> {
    log.items()
        .into_iter()
        .filter_map(|e| if let Event::Handled(id, n) = e { Some((id, n)) } else { None })
        .collect()
}

fn started(log: &Log) -> usize {
    log.starts.count(&())
}

/// Waits until `count` messages have been handled.
async fn wait_handled(log: &Log, count: usize) -> Vec<(ActorId, u64)> {
    log.handled.wait_for_count(&(), count).await;
    handled(log)
}

/// Waits until `count` workers have started (first starts and restarts).
async fn wait_started(log: &Log, count: usize) {
    log.starts.wait_for_count(&(), count).await;
}

/// Returns once the pool's supervisor has handled everything sent to it before: a restart it
/// was doing has put the new worker in its slot.
async fn settle(pool: &Pool<Worker>) {
    pool.supervisor().count_children().await.expect("supervisor answers");
}

fn ids(router: &Router<Worker>) -> Vec<ActorId> {
    router.workers().iter().map(|w| w.id()).collect()
}

fn slot_of(router: &Router<Worker>) -> HashMap<ActorId, usize> {
    ids(router).into_iter().enumerate().map(|(slot, id)| (id, slot)).collect()
}

async fn hold(worker: &ActorRef<Worker>, gate: &Arc<Gate>) {
    let before = gate.entered.count(&worker.id());
    worker.tell(Job::Hold(Arc::clone(gate))).await.expect("hold");
    gate.entered.wait_for_count(&worker.id(), before + 1).await;
}

#[tokio::test]
async fn r1_a_pool_starts_its_workers_in_slot_order_under_its_supervisor() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(3, log.clone())).await;
    let router = pool.router();
    assert_eq!((router.size(), pool.size(), router.routing()), (3, 3, Routing::RoundRobin));
    // Slot order: `which_children` lists the most recently added first (T12).
    let mut children = pool.supervisor().which_children().await.unwrap();
    children.reverse();
    let names: Vec<&str> = children.iter().map(|c| &*c.id).collect();
    assert_eq!(names, ["worker-0", "worker-1", "worker-2"]);
    let actors: Vec<ActorId> = children.iter().map(|c| c.actor.unwrap()).collect();
    assert_eq!(actors, ids(router));
    let starts: Vec<Event> = actors.iter().map(|id| Event::Started(*id)).collect();
    assert_eq!(log.items(), starts);

    let no_key = Pool::<Worker>::start(
        &system,
        PoolSpec::new(1, log.clone()).routing(Routing::ConsistentHash),
    );
    assert!(matches!(no_key.await, Err(PoolError::InvalidSpec(_))));
    let no_copy =
        Pool::<Worker>::start(&system, PoolSpec::new(1, log.clone()).routing(Routing::Broadcast));
    assert!(matches!(no_copy.await, Err(PoolError::InvalidSpec(_))));
}

#[tokio::test]
async fn r2_round_robin_sends_message_k_to_slot_k_mod_n() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(3, log.clone()).routing(Routing::RoundRobin)).await;
    let router = pool.router();
    let workers = ids(router);
    for k in 0..9 {
        router.tell(Job::Work(k)).await.unwrap();
    }
    for (id, k) in wait_handled(&log, 9).await {
        assert_eq!(id, workers[k as usize % 3], "message {k}");
    }
    router.try_tell(Job::Work(9)).unwrap();
    let last = wait_handled(&log, 10).await;
    assert!(last.contains(&(workers[0], 9)));
}

#[tokio::test]
async fn r3_random_sends_each_message_to_some_worker_and_reaches_them_all() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(4, log.clone()).routing(Routing::Random)).await;
    let router = pool.router();
    // The router draws in the sender's thread: seeding it makes the draws repeatable.
    fastrand::seed(7);
    for k in 0..400 {
        router.tell(Job::Work(k)).await.unwrap();
    }
    let done = wait_handled(&log, 400).await;
    let mut per_worker: HashMap<ActorId, usize> = HashMap::new();
    for (id, _) in &done {
        *per_worker.entry(*id).or_default() += 1;
    }
    let workers: HashSet<ActorId> = ids(router).into_iter().collect();
    assert_eq!(per_worker.keys().copied().collect::<HashSet<_>>(), workers);
    assert!(per_worker.values().all(|&count| count >= 50), "{per_worker:?}");
}

#[tokio::test]
async fn r4_least_loaded_picks_the_shortest_mailbox_and_spreads_ties() {
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(3, log.clone())
        .routing(Routing::LeastLoaded)
        .mailbox(MailboxConfig::unbounded());
    let pool = start(&system, spec).await;
    let router = pool.router();
    let workers = router.workers();
    let gate = Arc::new(Gate::default());
    for worker in &workers {
        hold(worker, &gate).await;
    }
    let lens = || workers.iter().map(|w| w.mailbox_len()).collect::<Vec<_>>();
    // Three empty mailboxes: a tie, spread one each.
    for k in 0..3 {
        router.tell(Job::Work(k)).await.unwrap();
    }
    assert_eq!(lens(), [1, 1, 1]);
    // Uneven queues: the shortest is picked.
    workers[0].tell(Job::Work(10)).await.unwrap();
    workers[0].tell(Job::Work(11)).await.unwrap();
    workers[1].tell(Job::Work(12)).await.unwrap();
    assert_eq!(lens(), [3, 2, 1]);
    router.tell(Job::Work(100)).await.unwrap();
    assert_eq!(lens(), [3, 2, 2]);
    router.tell(Job::Work(101)).await.unwrap();
    router.tell(Job::Work(102)).await.unwrap();
    assert_eq!(lens(), [3, 3, 3]);
    gate.open();
    let done = wait_handled(&log, 9).await;
    assert!(done.contains(&(workers[2].id(), 100)));
}

#[tokio::test]
async fn r5_consistent_hash_keeps_a_key_on_its_slot_and_a_resize_moves_only_what_it_must() {
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(4, log.clone()).consistent_hash(|job: &Job| match job {
        Job::Work(n) => *n % 100,
        _ => 0,
    });
    let pool = start(&system, spec).await;
    let router = pool.router();
    assert_eq!(router.routing(), Routing::ConsistentHash);

    // Sends keys 0..100 (as messages `base + key`) and returns the slot each key went to.
    let round = |base: u64| {
        let log = log.clone();
        async move {
            let before = handled(&log).len();
            for key in 0..100 {
                router.tell(Job::Work(base + key)).await.unwrap();
            }
            let done = wait_handled(&log, before + 100).await;
            let slots = slot_of(router);
            done[before..]
                .iter()
                .map(|(id, n)| (n % 100, slots[id]))
                .collect::<HashMap<u64, usize>>()
        }
    };
    let first = round(0).await;
    assert_eq!(round(100).await, first, "same key, same slot");
    let used: HashSet<usize> = first.values().copied().collect();
    assert_eq!(used.len(), 4, "the keys spread over every slot");

    pool.resize(5).await.unwrap();
    let grown = round(200).await;
    let moved: Vec<u64> = (0..100).filter(|key| grown[key] != first[key]).collect();
    assert!(!moved.is_empty());
    assert!(moved.iter().all(|key| grown[key] == 4), "keys move only to the new slot");

    pool.resize(3).await.unwrap();
    let shrunk = round(300).await;
    for key in 0..100 {
        if first[&key] < 3 {
            assert_eq!(shrunk[&key], first[&key], "key {key} was on a kept slot");
        }
    }
}

#[tokio::test]
async fn r6_broadcast_sends_a_copy_to_every_worker_and_ask_takes_the_first_reply() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(3, log.clone()).broadcast()).await;
    let router = pool.router();
    assert_eq!(router.routing(), Routing::Broadcast);
    let workers: HashSet<ActorId> = ids(router).into_iter().collect();
    router.tell(Job::Work(7)).await.unwrap();
    let done = wait_handled(&log, 3).await;
    assert_eq!(done.iter().map(|(id, _)| *id).collect::<HashSet<_>>(), workers);

    let (by, n) = router.ask(Job::Work(8)).await.unwrap();
    assert!(workers.contains(&by) && n == 8);
    let done = wait_handled(&log, 6).await;
    assert_eq!(done.iter().filter(|(_, n)| *n == 8).count(), 3, "every worker handles it");

    // `broadcast` works whatever the routing, and counts the workers reached.
    let other = start(&system, PoolSpec::new(2, log.clone())).await;
    assert_eq!(other.router().broadcast(Job::Work(9)).await.unwrap(), 2);
    // A worker that has ended gets no copy.
    other.supervisor().terminate_child("worker-0").await.unwrap();
    assert_eq!(other.router().broadcast(Job::Work(10)).await.unwrap(), 1);
}

/// A message whose `Clone` panics: the user's copy, run by a broadcast.
struct Brittle;

impl Clone for Brittle {
    fn clone(&self) -> Self {
        panic!("this message cannot be copied")
    }
}

/// A worker of `Brittle` messages that handles nothing of note.
struct Sink;

#[actor]
impl Actor for Sink {
    type Msg = Brittle;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Sink)
    }

    async fn handle(&mut self, _: Brittle, _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[tokio::test]
async fn r6_a_broadcast_whose_copy_panics_fails_its_sender_only() {
    let system = ActorSystem::new();
    let pool = Pool::<Sink>::start(&system, PoolSpec::new(3, ()).broadcast()).await.unwrap();
    // The copy panics for the first worker; what the broadcast had not sent yet must be
    // accounted for without copying again: a second panic while unwinding aborts the process.
    let router = pool.router().clone();
    let told = tokio::spawn(async move { router.tell(Brittle).await.is_ok() }).await;
    assert!(told.is_err_and(|error| error.is_panic()), "the sender's task panicked");
    let router = pool.router().clone();
    let told = tokio::spawn(async move { router.broadcast(Brittle).await.is_ok() }).await;
    assert!(told.is_err_and(|error| error.is_panic()), "the sender's task panicked");
    // The original, never sent, is a dead letter of the last worker each time.
    assert_eq!(system.dead_letters().count(), 2);
    pool.router().workers()[0].ask(Brittle).await.unwrap();
    pool.stop().await;
}

#[tokio::test]
async fn r6_a_copy_a_full_worker_refuses_is_a_dead_letter_unless_no_worker_queued_the_message() {
    use airssys_rt::dead_letter::DeadLetterReason;
    use airssys_rt::mailbox::OverflowPolicy;
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(2, log.clone())
        .mailbox(MailboxConfig::bounded(1).overflow(OverflowPolicy::Reject))
        .broadcast();
    let pool = start(&system, spec).await;
    let router = pool.router();
    let workers = router.workers();
    let gate = Arc::new(Gate::default());
    hold(&workers[0], &gate).await;
    workers[0].try_tell(Job::Work(0)).unwrap();

    // Worker 1 queues it; worker 0's copy is refused: a dead letter for worker 0.
    router.tell(Job::Work(1)).await.unwrap();
    assert_eq!(wait_handled(&log, 1).await, [(workers[1].id(), 1)]);
    let (by, _) = router.ask(Job::Work(2)).await.unwrap();
    assert_eq!(by, workers[1].id());
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2);
    assert!(letters
        .iter()
        .all(|l| l.target == workers[0].id() && l.reason == DeadLetterReason::DroppedNewest));

    // No worker queues it: handed back, no dead letter.
    hold(&workers[1], &gate).await;
    workers[1].try_tell(Job::Work(3)).unwrap();
    assert!(matches!(router.tell(Job::Work(4)).await, Err(SendError::Full(Job::Work(4)))));
    assert!(matches!(router.try_tell(Job::Work(5)), Err(SendError::Full(Job::Work(5)))));
    assert_eq!(system.dead_letters().count(), 2);
    gate.open();
}

#[tokio::test]
async fn r7_ask_returns_the_reply_of_the_worker_that_handled_it() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(3, log.clone())).await;
    let router = pool.router();
    let workers = ids(router);
    for k in 0..6 {
        let (by, n) = router.ask(Job::Work(k)).timeout(Duration::from_secs(5)).await.unwrap();
        assert_eq!((by, n), (workers[k as usize % 3], k));
        assert!(handled(&log).contains(&(by, k)));
    }
    // A request the worker took and crashed on is answered with the crash, not sent again.
    let crashed = router.ask(Job::Crash).await;
    assert!(matches!(crashed, Err(AskError::Stopped(ExitReason::Panicked(_)))));
}

#[tokio::test]
async fn r8_a_crashed_worker_is_restarted_into_its_slot_and_its_queue_becomes_dead_letters() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(2, log.clone())).await;
    let router = pool.router();
    let old = router.workers()[0].clone();
    let gate = Arc::new(Gate::default());
    hold(&old, &gate).await;
    old.tell(Job::Crash).await.unwrap();
    old.tell(Job::Work(1)).await.unwrap();
    old.tell(Job::Work(2)).await.unwrap();
    gate.open();
    assert!(matches!(old.wait_for_exit().await, ExitReason::Panicked(_)));
    assert_eq!(system.dead_letters().count(), 2, "what it had queued");

    wait_started(&log, 3).await;
    settle(&pool).await;
    let new = router.workers()[0].clone();
    assert_ne!(new.id(), old.id());
    assert!(new.is_alive());
    for k in 10..14 {
        router.tell(Job::Work(k)).await.unwrap();
    }
    let done = wait_handled(&log, 4).await;
    assert_eq!(done.iter().filter(|(id, _)| *id == new.id()).count(), 2);
}

#[tokio::test]
async fn r9_a_message_for_an_ended_worker_goes_to_the_next_live_one_and_with_none_is_handed_back() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(2, log.clone())).await;
    let router = pool.router();
    let workers = ids(router);
    // A terminated child stays down: its ended worker stays in slot 0.
    pool.supervisor().terminate_child("worker-0").await.unwrap();
    for k in 0..4 {
        router.tell(Job::Work(k)).await.unwrap();
    }
    assert!(wait_handled(&log, 4).await.iter().all(|(id, _)| *id == workers[1]));
    for k in 4..6 {
        assert_eq!(router.ask(Job::Work(k)).await.unwrap().0, workers[1]);
        router.try_tell(Job::Work(k + 10)).unwrap();
    }

    pool.supervisor().terminate_child("worker-1").await.unwrap();
    assert!(matches!(router.tell(Job::Work(20)).await, Err(SendError::Closed(Job::Work(20)))));
    assert!(matches!(router.try_tell(Job::Work(21)), Err(SendError::Closed(Job::Work(21)))));
    assert!(matches!(router.ask(Job::Work(22)).await, Err(AskError::Closed(Job::Work(22)))));

    // Started again, it takes its slot back.
    pool.supervisor().restart_child("worker-0").await.unwrap();
    let (by, _) = router.ask(Job::Work(23)).await.unwrap();
    assert_eq!(by, router.workers()[0].id());
    assert_ne!(by, workers[0]);

    let empty = start(&system, PoolSpec::new(0, log.clone())).await;
    assert!(matches!(empty.router().tell(Job::Work(30)).await, Err(SendError::Closed(_))));
    assert!(matches!(empty.router().ask(Job::Work(31)).await, Err(AskError::Closed(_))));
}

#[tokio::test]
async fn r9_a_full_worker_is_not_skipped_and_a_tell_waiting_on_it_is_routed_again_if_it_ends() {
    use airssys_rt::mailbox::OverflowPolicy;
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(2, log.clone())
        .mailbox(MailboxConfig::bounded(1))
        .intensity(10, Duration::from_secs(5));
    let pool = start(&system, spec).await;
    let router = pool.router().clone();
    let workers = router.workers();
    let gate = Arc::new(Gate::default());
    for worker in &workers {
        hold(worker, &gate).await;
    }
    workers[0].tell(Job::Work(0)).await.unwrap();
    // Slot 0 is full: the routed `tell` waits for room there rather than skip it.
    let waiting = tokio::spawn({
        let router = router.clone();
        async move { router.tell(Job::Work(2)).await.is_ok() }
    });
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());
    assert_eq!(workers[1].mailbox_len(), 0);
    // Slot 0 ends: its queued message is a dead letter, the waiting one is routed again.
    workers[0].kill();
    workers[0].wait_for_exit().await;
    assert!(waiting.await.unwrap());
    assert_eq!(workers[1].mailbox_len(), 1);
    gate.open();
    assert_eq!(wait_handled(&log, 1).await, [(workers[1].id(), 2)]);
    assert_eq!(system.dead_letters().count(), 1);

    // Under `Reject`, a full worker fails the send at once.
    let spec = PoolSpec::new(1, log.clone())
        .mailbox(MailboxConfig::bounded(1).overflow(OverflowPolicy::Reject));
    let rejecting = start(&system, spec).await;
    let gate = Arc::new(Gate::default());
    hold(&rejecting.router().workers()[0], &gate).await;
    rejecting.router().tell(Job::Work(3)).await.unwrap();
    let refused = rejecting.router().tell(Job::Work(4)).await;
    assert!(matches!(refused, Err(SendError::Full(Job::Work(4)))));
    let refused = rejecting.router().try_tell(Job::Work(5));
    assert!(matches!(refused, Err(SendError::Full(Job::Work(5)))));
    gate.open();
}

#[tokio::test(start_paused = true)]
async fn r9_a_routed_tell_with_a_timeout_hands_the_message_back_when_its_worker_had_no_room() {
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(1, log.clone()).mailbox(MailboxConfig::bounded(1));
    let pool = start(&system, spec).await;
    let router = pool.router();
    let worker = router.workers()[0].clone();
    let gate = Arc::new(Gate::default());
    hold(&worker, &gate).await;
    router.tell(Job::Work(0)).await.unwrap();
    let began = tokio::time::Instant::now();
    let sent = router.tell(Job::Work(1)).timeout(Duration::from_millis(100)).await;
    assert!(matches!(sent, Err(SendError::Full(Job::Work(1)))));
    assert!(began.elapsed() >= Duration::from_millis(100), "gave up early: {:?}", began.elapsed());
    assert_eq!(worker.mailbox_len(), 1, "the message handed back was not queued");
    assert_eq!(system.dead_letters().count(), 0, "a message handed back is no dead letter");
    // Room within the timeout: queued as without one.
    let waiting = tokio::spawn({
        let router = router.clone();
        async move { router.tell(Job::Work(2)).timeout(Duration::from_secs(60)).await.is_ok() }
    });
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());
    gate.open();
    assert!(waiting.await.unwrap());
    let (_, last) = router.ask(Job::Work(3)).await.unwrap();
    assert_eq!(last, 3);
    let numbers: Vec<u64> = handled(&log).into_iter().map(|(_, n)| n).collect();
    assert_eq!(numbers, [0, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn r9_a_routed_tell_dropped_before_its_message_is_queued_becomes_a_dead_letter() {
    use airssys_rt::dead_letter::DeadLetterReason;
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(1, log.clone()).mailbox(MailboxConfig::bounded(1));
    let pool = start(&system, spec).await;
    let router = pool.router();
    let worker = router.workers()[0].clone();
    let gate = Arc::new(Gate::default());
    hold(&worker, &gate).await;
    router.tell(Job::Work(0)).await.unwrap();
    // Dropped while it waits for room in its worker.
    let cancelled = tokio::time::timeout(Duration::from_millis(100), router.tell(Job::Work(1)));
    assert!(cancelled.await.is_err(), "the tell should still have been waiting");
    // Dropped before it was routed at all: a dead letter of the worker the routing picks.
    tokio::select! {
        biased;
        () = std::future::ready(()) => {}
        _ = router.tell(Job::Work(2)) => panic!("the tell branch was not to run"),
    }
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2);
    assert!(letters
        .iter()
        .all(|l| l.target == worker.id() && l.reason == DeadLetterReason::SendCancelled));
    gate.open();
    router.ask(Job::Work(3)).await.unwrap();
    let numbers: Vec<u64> = handled(&log).into_iter().map(|(_, n)| n).collect();
    assert_eq!(numbers, [0, 3], "a cancelled message is never handled");
}

#[tokio::test]
async fn r9_a_routed_tell_dropped_as_its_task_unwinds_does_not_abort_on_a_panicking_key() {
    let system = ActorSystem::new();
    let key = |job: &Job| match job {
        Job::Work(n) => *n,
        _ => panic!("no key for this job"),
    };
    let pool = start(&system, PoolSpec::new(2, Log::default()).consistent_hash(key)).await;
    let router = pool.router().clone();
    // The tell is dropped unsent as the task unwinds: routing it for its dead letter runs the
    // key, which panics again; that second panic must not abort the process.
    let unwound = tokio::spawn(async move {
        let _pending = router.tell(Job::Crash).into_future();
        panic!("the sender fails before it awaits its tell");
    })
    .await;
    assert!(unwound.is_err_and(|error| error.is_panic()));
    let (_, n) = pool.router().ask(Job::Work(7)).await.unwrap();
    assert_eq!(n, 7);
    pool.stop().await;
}

#[tokio::test]
async fn r9_a_routed_ask_dropped_before_its_request_is_queued_becomes_a_dead_letter() {
    use airssys_rt::dead_letter::DeadLetterReason;
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(1, log.clone())).await;
    let router = pool.router();
    let worker = router.workers()[0].clone();
    // Never polled, as a direct ask's future may be (M15): the request is a dead letter of
    // the worker the routing picks, not dropped silently.
    drop(router.ask(Job::Work(1)).into_future());
    tokio::select! {
        biased;
        () = std::future::ready(()) => {}
        _ = router.ask(Job::Work(2)) => panic!("the ask branch was not to run"),
    }
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert!(letters.iter().all(|l| l.target == worker.id()
        && l.reason == DeadLetterReason::SendCancelled
        && l.was_ask));
    router.ask(Job::Work(3)).await.unwrap();
    let numbers: Vec<u64> = handled(&log).into_iter().map(|(_, n)| n).collect();
    assert_eq!(numbers, [3]);
    pool.stop().await;
}

#[tokio::test]
async fn r9_a_broadcast_dropped_before_it_is_polled_leaves_a_dead_letter_per_worker() {
    use airssys_rt::dead_letter::DeadLetterReason;
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(3, log.clone())).await;
    let router = pool.router();
    // `Router::broadcast` does what a broadcast tell does (R6), cancelled before it sent
    // anything included: a copy for each live worker is a dead letter, none is lost silently.
    drop(router.broadcast(Job::Work(1)));
    let letters = system.dead_letters().recent();
    let targets: HashSet<ActorId> = letters.iter().map(|l| l.target).collect();
    assert_eq!(targets, ids(router).into_iter().collect(), "{letters:?}");
    assert!(letters.iter().all(|l| l.reason == DeadLetterReason::SendCancelled));
    assert_eq!(router.broadcast(Job::Work(2)).await.unwrap(), 3);
    assert_eq!(wait_handled(&log, 3).await.len(), 3);
    pool.stop().await;
}

#[tokio::test(start_paused = true)]
async fn r9_a_broadcast_tell_dropped_or_timed_out_while_waiting_accounts_for_every_copy() {
    use airssys_rt::dead_letter::DeadLetterReason;
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(2, log.clone()).mailbox(MailboxConfig::bounded(1)).broadcast();
    let pool = start(&system, spec).await;
    let router = pool.router();
    let workers = router.workers();
    let gate = Arc::new(Gate::default());
    hold(&workers[0], &gate).await;
    workers[0].try_tell(Job::Work(0)).unwrap();

    // Slot 0 is full: the broadcast waits there, before slot 1 has its copy. Dropped, it
    // leaves a dead letter for each of them.
    let cancelled = tokio::time::timeout(Duration::from_millis(100), router.tell(Job::Work(1)));
    assert!(cancelled.await.is_err(), "the broadcast should still have been waiting");
    let letters = system.dead_letters().recent();
    let targets: HashSet<ActorId> = letters.iter().map(|l| l.target).collect();
    assert_eq!(targets, workers.iter().map(|w| w.id()).collect());
    assert!(letters.iter().all(|l| l.reason == DeadLetterReason::SendCancelled));
    assert_eq!(workers[1].mailbox_len(), 0);

    // With a timeout, the copy still without room is refused (R6) and the others go on.
    router.tell(Job::Work(2)).timeout(Duration::from_millis(100)).await.unwrap();
    assert_eq!(wait_handled(&log, 1).await, [(workers[1].id(), 2)]);
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 3);
    assert_eq!(letters[2].target, workers[0].id());
    assert_eq!(letters[2].reason, DeadLetterReason::DroppedNewest);
    gate.open();
}

#[tokio::test]
async fn r10_resize_adds_slots_at_the_end_and_removes_the_highest_whose_queues_become_dead_letters()
{
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(2, log.clone())
        .mailbox(MailboxConfig::unbounded())
        .worker_shutdown(Shutdown::BrutalKill);
    let pool = start(&system, spec).await;
    let router = pool.router();
    let first = ids(router);
    pool.resize(4).await.unwrap();
    let grown = ids(router);
    assert_eq!((grown.len(), &grown[..2]), (4, &first[..]));
    assert_eq!(pool.supervisor().count_children().await.unwrap().active, 4);
    for k in 0..8 {
        router.tell(Job::Work(k)).await.unwrap();
    }
    let done = wait_handled(&log, 8).await;
    for id in &grown {
        assert_eq!(done.iter().filter(|(by, _)| by == id).count(), 2);
    }

    // Slots 1..4 held busy with two messages queued each, then removed.
    let workers = router.workers();
    let gate = Arc::new(Gate::default());
    for worker in &workers[1..] {
        hold(worker, &gate).await;
        worker.tell(Job::Work(50)).await.unwrap();
        worker.tell(Job::Work(51)).await.unwrap();
    }
    pool.resize(1).await.unwrap();
    assert_eq!((router.size(), pool.size()), (1, 1));
    assert_eq!(system.dead_letters().count(), 6);
    let children = pool.supervisor().which_children().await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].status, ChildStatus::Running);
    for worker in &workers[1..] {
        assert_eq!(worker.wait_for_exit().await, ExitReason::Killed);
    }
    for k in 60..63 {
        assert_eq!(router.ask(Job::Work(k)).await.unwrap().0, first[0]);
    }
    gate.open();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r11_sends_racing_worker_crashes_lose_nothing() {
    const SENT: u64 = 20_000;
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(3, log.clone())
        .mailbox(MailboxConfig::unbounded())
        .intensity(10_000, Duration::from_secs(1));
    let pool = start(&system, spec).await;
    let router = pool.router().clone();
    let handed_back = Arc::new(AtomicU64::new(0));

    let sender = {
        let router = router.clone();
        let handed_back = Arc::clone(&handed_back);
        tokio::spawn(async move {
            for k in 0..SENT {
                // An ask that fails with `Stopped` was taken or queued by a worker that was
                // killed: counted as handled or as a dead letter, not as handed back.
                let back = if k % 10 == 0 {
                    matches!(router.ask(Job::Work(k)).await, Err(AskError::Closed(_)))
                } else {
                    router.tell(Job::Work(k)).await.is_err()
                };
                if back {
                    handed_back.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let killer = {
        let router = router.clone();
        tokio::spawn(async move {
            for round in 0..30 {
                let worker = router.workers()[round % 3].clone();
                worker.kill();
                worker.wait_for_exit().await;
                tokio::task::yield_now().await;
            }
        })
    };
    sender.await.unwrap();
    killer.await.unwrap();
    assert_eq!(pool.stop().await, ExitReason::Shutdown);
    let handled = handled(&log).len() as u64;
    let dead = system.dead_letters().count();
    let back = handed_back.load(Ordering::Relaxed);
    assert_eq!(handled + dead + back, SENT, "handled {handled}, dead {dead}, back {back}");
    assert!(started(&log) > 3, "workers were restarted");
}

#[tokio::test]
async fn r12_a_pool_lives_while_a_handle_to_it_does_and_hands_messages_back_once_stopped() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = start(&system, PoolSpec::new(2, log.clone())).await;
    let router = pool.router().clone();
    let worker = router.workers()[0].clone();
    drop(pool);
    // The router keeps the pool running.
    assert!(router.ask(Job::Work(1)).await.is_ok());
    drop(router);
    assert_eq!(worker.wait_for_exit().await, ExitReason::Shutdown);

    let pool = start(&system, PoolSpec::new(2, log.clone())).await;
    let router = pool.router().clone();
    assert_eq!(pool.stop().await, ExitReason::Shutdown);
    assert_eq!(router.size(), 0);
    assert!(matches!(router.tell(Job::Work(2)).await, Err(SendError::Closed(Job::Work(2)))));
    assert!(matches!(router.ask(Job::Work(3)).await, Err(AskError::Closed(Job::Work(3)))));
}

#[tokio::test]
async fn r13_a_pool_in_a_users_tree_is_restarted_with_it_and_its_router_follows() {
    use airssys_rt::supervisor::{Strategy, Supervisor, SupervisorSpec};
    let system = ActorSystem::new();
    let log = Log::default();
    let (pool, router) =
        Pool::<Worker>::child_spec("workers", PoolSpec::new(2, log.clone())).unwrap();
    let root = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne).child(pool))
        .await
        .unwrap();
    let first = ids(&router);
    assert_eq!(first.len(), 2);
    assert!(first.contains(&router.ask(Job::Work(1)).await.unwrap().0));

    let pool = root.child::<Supervisor>("workers").await.unwrap().unwrap();
    pool.kill();
    pool.wait_for_exit().await;
    wait_started(&log, 4).await;
    root.count_children().await.unwrap();
    let second = ids(&router);
    assert_eq!(second.len(), 2);
    assert!(second.iter().all(|id| !first.contains(id)));
    for k in 0..4 {
        let (by, _) = router.ask(Job::Work(10 + k)).await.unwrap();
        assert!(second.contains(&by));
    }

    root.actor().stop();
    root.actor().wait_for_exit().await;
    assert!(matches!(router.tell(Job::Work(20)).await, Err(SendError::Closed(_))));
}

#[tokio::test]
async fn r6_a_refused_copy_of_a_broadcast_ask_given_up_is_still_a_dead_letter() {
    use airssys_rt::dead_letter::DeadLetterReason;
    use airssys_rt::mailbox::OverflowPolicy;
    use futures::FutureExt;
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(2, log.clone())
        .mailbox(MailboxConfig::bounded(1).overflow(OverflowPolicy::Reject))
        .broadcast();
    let pool = start(&system, spec).await;
    let router = pool.router();
    let workers = router.workers();
    let gate = Arc::new(Gate::default());
    // Worker 0 refuses its copy (full); worker 1 queues its own, and holds back the reply.
    hold(&workers[0], &gate).await;
    workers[0].try_tell(Job::Work(0)).unwrap();
    hold(&workers[1], &gate).await;
    // The caller gives up while it waits for the reply (a timeout, a `select!`).
    assert!(std::future::IntoFuture::into_future(router.ask(Job::Work(1)))
        .now_or_never()
        .is_none());
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1, "worker 0's refused copy is accounted for");
    assert_eq!(letters[0].target, workers[0].id());
    assert_eq!(letters[0].reason, DeadLetterReason::DroppedNewest);
    gate.open();
}

// ------------------------------------------------------ copies refused, crash loops, give-ups

fn rejecting(size: usize, log: &Log) -> PoolSpec<Worker> {
    PoolSpec::new(size, log.clone())
        .mailbox(MailboxConfig::bounded(1).overflow(OverflowPolicy::Reject))
}

/// Worker 0 busy, its one-message mailbox full.
async fn fill_first(pool: &Pool<Worker>, gate: &Arc<Gate>) -> ActorRef<Worker> {
    let first = pool.router().workers()[0].clone();
    hold(&first, gate).await;
    first.try_tell(Job::Work(0)).expect("fills the mailbox");
    first
}

fn dropped_for(system: &ActorSystem, worker: &ActorRef<Worker>) -> usize {
    system
        .dead_letters()
        .recent()
        .iter()
        .filter(|letter| letter.target == worker.id())
        .filter(|letter| letter.reason == DeadLetterReason::DroppedNewest)
        .count()
}

#[tokio::test]
async fn r6_a_broadcast_tell_makes_a_copy_refused_by_a_full_worker_a_dead_letter() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = Pool::start(&system, rejecting(2, &log).broadcast()).await.unwrap();
    let gate = Arc::new(Gate::default());
    let first = fill_first(&pool, &gate).await;
    let router = pool.router();

    router.tell(Job::Work(1)).await.unwrap();
    assert_eq!(system.dead_letters().count(), 1, "the refused copy is a dead letter");
    assert_eq!(dropped_for(&system, &first), 1);
    wait_handled(&log, 1).await;
    router.try_tell(Job::Work(2)).unwrap();
    assert_eq!(dropped_for(&system, &first), 2);
    gate.open();
    let all = wait_handled(&log, 3).await;
    assert_eq!(all.iter().filter(|(by, _)| *by == first.id()).count(), 1, "{all:?}");
}

#[tokio::test]
async fn r6_router_broadcast_makes_a_refused_copy_a_dead_letter_or_hands_the_message_back() {
    let system = ActorSystem::new();
    let log = Log::default();
    // The full worker is the last slot: it is the one offered the original message.
    let pool = Pool::start(&system, rejecting(2, &log)).await.unwrap();
    let gate = Arc::new(Gate::default());
    let last = pool.router().workers()[1].clone();
    hold(&last, &gate).await;
    last.try_tell(Job::Work(0)).unwrap();

    assert_eq!(pool.router().broadcast(Job::Work(1)).await.unwrap(), 1);
    assert_eq!(system.dead_letters().count(), 1);
    assert_eq!(dropped_for(&system, &last), 1);
    wait_handled(&log, 1).await;

    // No worker queued it: the message is handed back, and nothing is a dead letter.
    let first = pool.router().workers()[0].clone();
    hold(&first, &gate).await;
    first.try_tell(Job::Work(0)).unwrap();
    let refused = pool.router().broadcast(Job::Work(2)).await;
    assert!(matches!(refused, Err(SendError::Full(Job::Work(2)))));
    assert_eq!(system.dead_letters().count(), 1);
    gate.open();
}

#[tokio::test]
async fn r6_a_broadcast_ask_makes_a_copy_refused_by_a_full_worker_a_dead_letter() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = Pool::start(&system, rejecting(2, &log).broadcast()).await.unwrap();
    let gate = Arc::new(Gate::default());
    let first = fill_first(&pool, &gate).await;
    let second = pool.router().workers()[1].id();

    assert_eq!(pool.router().ask(Job::Work(1)).await.unwrap(), (second, 1));
    assert_eq!(dropped_for(&system, &first), 1, "the refused copy is a dead letter");
    gate.open();
}

#[tokio::test]
async fn r6_a_broadcast_ask_returns_only_once_every_copy_is_queued() {
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(2, log.clone()).mailbox(MailboxConfig::bounded(1)).broadcast();
    let pool = Pool::start(&system, spec).await.unwrap();
    let gate = Arc::new(Gate::default());
    let first = fill_first(&pool, &gate).await;
    let second = pool.router().workers()[1].id();

    // Worker 1 answers while worker 0's copy still waits for room: the ask returns only once
    // that copy is queued.
    let router = pool.router().clone();
    let ask = tokio::spawn(async move { router.ask(Job::Work(1)).await });
    wait_handled(&log, 1).await;
    assert!(!ask.is_finished());
    gate.open();
    assert_eq!(ask.await.unwrap().unwrap(), (second, 1));
    let all = wait_handled(&log, 3).await;
    assert!(all.contains(&(first.id(), 1)), "worker 0 got its copy: {all:?}");
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test]
async fn r8_one_crash_per_worker_does_not_end_a_pool_of_default_intensity() {
    let system = ActorSystem::new();
    let log = Log::default();
    let pool = Pool::<Worker>::start(&system, PoolSpec::new(3, log.clone())).await.unwrap();
    let router = pool.router();
    for slot in 0..3 {
        let worker = router.workers()[slot].clone();
        worker.tell(Job::Crash).await.unwrap();
        worker.wait_for_exit().await;
        // The supervisor has handled the crash (restarted the worker or given up) before it
        // answers this.
        let _ = pool.supervisor().count_children().await;
    }
    assert!(pool.supervisor().actor().is_alive(), "one crash per worker is no crash loop");
    assert_eq!(pool.supervisor().count_children().await.unwrap().active, 3);
    for k in 0..3 {
        router.ask(Job::Work(k)).timeout(Duration::from_secs(5)).await.unwrap();
    }
}

#[tokio::test]
async fn r12_a_pool_whose_supervisor_gave_up_routes_to_no_ended_worker() {
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = PoolSpec::new(2, log.clone()).intensity(0, Duration::from_secs(5));
    let pool = Pool::<Worker>::start(&system, spec).await.unwrap();
    let router = pool.router().clone();
    let worker = router.workers()[0].clone();
    worker.tell(Job::Crash).await.unwrap();
    assert_eq!(pool.supervisor().actor().wait_for_exit().await, ExitReason::Shutdown);

    // As after `Pool::stop`: the ended workers are let go of, not kept by every router.
    assert_eq!((router.size(), pool.size()), (0, 0));
    assert!(matches!(router.tell(Job::Work(1)).await, Err(SendError::Closed(Job::Work(1)))));
}

// ------------------------------------------------------------------------------ groups (R14-R17)

/// A group's second kind of member: an actor with a reply type per message, beside the classic
/// `Worker`, answering `Job` the same way.
struct Other {
    log: Log,
    /// Pushed when the actor's state is dropped, that is once it has ended.
    ended: Record<()>,
}

#[actor(messages(Job))]
impl Actor for Other {}

impl Handler<Job> for Other {
    type Reply = (ActorId, u64);
    async fn handle(&mut self, job: Job, ctx: &mut Context<Self>) -> (ActorId, u64) {
        match job {
            Job::Work(n) => {
                self.log.push(Event::Handled(ctx.id(), n));
                (ctx.id(), n)
            }
            Job::Crash => panic!("member crashed on purpose"),
            Job::Hold(gate) => {
                gate.entered.push(ctx.id());
                let _ = gate.release.acquire().await;
                (ctx.id(), 0)
            }
        }
    }
}

impl Drop for Other {
    fn drop(&mut self) {
        self.ended.push(());
    }
}

type Members = Group<Job, (ActorId, u64)>;
type Member = ReplyRecipient<Job, (ActorId, u64)>;

async fn other(system: &ActorSystem, log: &Log) -> ActorRef<Other> {
    let other = Other { log: log.clone(), ended: Record::default() };
    system.spawn::<Other>(other).await.expect("spawns")
}

async fn other_with(system: &ActorSystem, log: &Log, mailbox: MailboxConfig) -> ActorRef<Other> {
    let other = Other { log: log.clone(), ended: Record::default() };
    let options = SpawnOptions::new().mailbox(mailbox);
    system.spawn_with::<Other>(options, other).await.expect("spawns")
}

async fn worker(system: &ActorSystem, log: &Log) -> ActorRef<Worker> {
    system.spawn::<Worker>(log.clone()).await.expect("spawns")
}

/// A classic worker, then two per-message members: three members of two actor types.
async fn three_members(system: &ActorSystem, log: &Log) -> Vec<Member> {
    vec![
        worker(system, log).await.reply_recipient(),
        other(system, log).await.reply_recipient(),
        other(system, log).await.reply_recipient(),
    ]
}

fn member_ids(group: &Members) -> Vec<ActorId> {
    group.members().iter().map(|member| member.id()).collect()
}

/// A member whose `post_stop` waits at a gate: ended (it takes no more messages), its end not
/// yet processed.
struct Lingering {
    log: Log,
    stopping: Record<()>,
    gate: Arc<Gate>,
}

#[actor(messages(Job))]
impl Actor for Lingering {
    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.stopping.push(());
        let _ = self.gate.release.acquire().await;
        Ok(())
    }
}

impl Handler<Job> for Lingering {
    type Reply = (ActorId, u64);
    async fn handle(&mut self, job: Job, ctx: &mut Context<Self>) -> (ActorId, u64) {
        let n = if let Job::Work(n) = job { n } else { 0 };
        self.log.push(Event::Handled(ctx.id(), n));
        (ctx.id(), n)
    }
}

async fn lingering(
    system: &ActorSystem,
    log: &Log,
    gate: &Arc<Gate>,
    stopping: &Record<()>,
) -> ActorRef<Lingering> {
    let member = Lingering { log: log.clone(), stopping: stopping.clone(), gate: Arc::clone(gate) };
    system.spawn::<Lingering>(member).await.expect("spawns")
}

async fn hold_member(member: &Member, gate: &Arc<Gate>) {
    let before = gate.entered.count(&member.id());
    member.tell(Job::Hold(Arc::clone(gate))).await.expect("hold");
    gate.entered.wait_for_count(&member.id(), before + 1).await;
}

#[tokio::test]
async fn r14_a_group_routes_round_robin_over_members_of_different_types() {
    let system = ActorSystem::new();
    let log = Log::default();
    let members = three_members(&system, &log).await;
    let ids: Vec<ActorId> = members.iter().map(|member| member.id()).collect();
    // A member listed twice is kept once.
    let listed = members.iter().cloned().chain([members[1].clone()]);
    let group = Members::new(Routing::RoundRobin, listed).unwrap();
    fn shared_across_tasks<T: Send + Sync>(_: &T) {}
    shared_across_tasks(&group);
    assert_eq!(group.routing(), Routing::RoundRobin);
    assert_eq!(member_ids(&group), ids);
    assert_eq!(group.size(), 3);
    for k in 0..6 {
        group.tell(Job::Work(k)).await.unwrap();
    }
    let mut handled = wait_handled(&log, 6).await;
    handled.sort_by_key(|&(_, k)| k);
    let expected: Vec<(ActorId, u64)> = (0..6).map(|k| (ids[k as usize % 3], k)).collect();
    assert_eq!(handled, expected);
    // An ask is answered by the member it was routed to, whatever its type (R7).
    assert_eq!(group.ask(Job::Work(6)).await.unwrap(), (ids[0], 6));
    assert_eq!(group.clone().ask(Job::Work(7)).await.unwrap(), (ids[1], 7));
}

#[tokio::test]
async fn r14_random_routing_reaches_every_member_of_a_group() {
    let system = ActorSystem::new();
    let log = Log::default();
    let group = Members::new(Routing::Random, three_members(&system, &log).await).unwrap();
    assert_eq!(group.routing(), Routing::Random);
    for k in 0..96 {
        group.tell(Job::Work(k)).await.unwrap();
    }
    let reached: HashSet<ActorId> =
        wait_handled(&log, 96).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(reached, member_ids(&group).into_iter().collect());
}

#[tokio::test]
async fn r14_least_loaded_routing_picks_the_member_with_the_shortest_mailbox() {
    let system = ActorSystem::new();
    let log = Log::default();
    let members = vec![
        other(&system, &log).await.reply_recipient(),
        worker(&system, &log).await.reply_recipient(),
    ];
    let group = Members::new(Routing::LeastLoaded, members.clone()).unwrap();
    let gate = Arc::new(Gate::default());
    hold_member(&members[0], &gate).await;
    hold_member(&members[1], &gate).await;
    members[0].tell(Job::Work(0)).await.unwrap();
    members[0].tell(Job::Work(1)).await.unwrap();
    // Member 0 has two waiting, member 1 none: the next two go to member 1 (0, then 1 < 2).
    group.tell(Job::Work(2)).await.unwrap();
    group.tell(Job::Work(3)).await.unwrap();
    assert_eq!(members[0].mailbox_len(), 2);
    assert_eq!(members[1].mailbox_len(), 2);
    gate.open();
    let handled: HashSet<(ActorId, u64)> = wait_handled(&log, 4).await.into_iter().collect();
    let (first, second) = (members[0].id(), members[1].id());
    assert_eq!(handled, HashSet::from([(first, 0), (first, 1), (second, 2), (second, 3)]));
}

#[tokio::test]
async fn r14_consistent_hash_keeps_a_key_on_its_member_and_a_join_moves_only_keys_to_it() {
    let system = ActorSystem::new();
    let log = Log::default();
    let key = |job: &Job| if let Job::Work(n) = job { n % 16 } else { 0 };
    let group = Members::consistent_hash(three_members(&system, &log).await, key);
    assert_eq!(group.routing(), Routing::ConsistentHash);
    let mut owner = HashMap::new();
    for n in 0..64u64 {
        let (id, _) = group.ask(Job::Work(n)).await.unwrap();
        assert_eq!(*owner.entry(n % 16).or_insert(id), id, "key {} moved", n % 16);
    }
    assert!(owner.values().collect::<HashSet<_>>().len() > 1, "keys spread over members");
    let newcomer = other(&system, &log).await;
    assert!(group.join(newcomer.clone()));
    let mut moved = 0;
    for n in 0..16u64 {
        let (id, _) = group.ask(Job::Work(n)).await.unwrap();
        if id != owner[&n] {
            assert_eq!(id, newcomer.id(), "key {n} moved to an old member");
            moved += 1;
        }
    }
    assert!(moved < 16, "not every key moves");
}

#[tokio::test]
async fn r14_consistent_hash_a_leave_moves_only_the_keys_of_the_member_that_left() {
    let system = ActorSystem::new();
    let log = Log::default();
    let key = |job: &Job| if let Job::Work(n) = job { *n } else { 0 };
    let mut members = three_members(&system, &log).await;
    members.push(other(&system, &log).await.reply_recipient());
    let group = Members::consistent_hash(members, key);
    let mut owner = HashMap::new();
    for n in 0..64u64 {
        owner.insert(n, group.ask(Job::Work(n)).await.unwrap().0);
    }
    // Whichever member leaves, first or in the middle, the keys of the others stay put: the
    // places of those after it shifting must not move their keys (Akka's consistent-hashing
    // group, a hash ring, moves none of them).
    for leaving in [member_ids(&group)[0], member_ids(&group)[1]] {
        assert!(group.leave(leaving));
        for n in 0..64u64 {
            let (id, _) = group.ask(Job::Work(n)).await.unwrap();
            if owner[&n] != leaving {
                assert_eq!(id, owner[&n], "key {n} moved off a member that stayed");
            }
            owner.insert(n, id);
        }
    }
}

#[tokio::test]
async fn r15_consistent_hash_an_ended_members_keys_move_once_not_again_when_it_leaves() {
    let system = ActorSystem::new();
    let log = Log::default();
    let key = |job: &Job| if let Job::Work(n) = job { *n } else { 0 };
    let mut members = three_members(&system, &log).await;
    members.push(other(&system, &log).await.reply_recipient());
    let group = Members::consistent_hash(members.clone(), key);
    // Ended, its end not yet processed: it is still a member, and is skipped.
    let gate = Arc::new(Gate::default());
    let stopping = Record::default();
    let ending = lingering(&system, &log, &gate, &stopping).await;
    assert!(group.join(ending.clone()));
    ending.stop();
    stopping.wait_for_count(&(), 1).await;
    assert_eq!(group.size(), 5);
    // Its keys have gone elsewhere while it stays a member; its leaving must not move them
    // a second time, nor any other key.
    let mut owner = HashMap::new();
    for n in 0..64u64 {
        let (id, _) = group.ask(Job::Work(n)).await.unwrap();
        assert_ne!(id, ending.id());
        owner.insert(n, id);
    }
    gate.open();
    ending.wait_for_exit().await;
    assert_eq!(group.size(), 4, "it left by itself");
    for n in 0..64u64 {
        assert_eq!(group.ask(Job::Work(n)).await.unwrap().0, owner[&n], "key {n} moved again");
    }
}

/// A member that, asked `Relay`, asks its own group in turn: a peer asking its peers.
struct Peer {
    peers: Arc<std::sync::OnceLock<Group<Relay, Result<ActorId, String>>>>,
}

/// `relay` asks the group once more; `false` answers with the member's id.
struct Relay {
    relay: bool,
}

#[actor(messages(Relay))]
impl Actor for Peer {}

impl Handler<Relay> for Peer {
    type Reply = Result<ActorId, String>;
    async fn handle(&mut self, msg: Relay, ctx: &mut Context<Self>) -> Result<ActorId, String> {
        if !msg.relay {
            return Ok(ctx.id());
        }
        let Some(peers) = self.peers.get().cloned() else {
            return Err("no group".to_string());
        };
        match peers.ask(Relay { relay: false }).await {
            Ok(answer) => answer,
            Err(AskError::CallingSelf(_)) => Err("calling self".to_string()),
            Err(other) => Err(other.to_string()),
        }
    }
}

#[tokio::test]
async fn r7_an_ask_routed_back_to_the_member_that_asks_goes_to_the_next_member() {
    let system = ActorSystem::new();
    let peers = Arc::new(std::sync::OnceLock::new());
    let first = system.spawn::<Peer>(Peer { peers: Arc::clone(&peers) }).await.unwrap();
    let second = system.spawn::<Peer>(Peer { peers: Arc::clone(&peers) }).await.unwrap();
    let group = Group::new(Routing::RoundRobin, [first.reply_recipient()]).unwrap();
    assert!(peers.set(group.clone()).is_ok());
    // Alone in the group, the member can only be told it called itself (M16).
    assert_eq!(first.ask(Relay { relay: true }).await.unwrap(), Err("calling self".to_string()));
    // With a peer, every turn that falls on the asker goes on to the peer, as a turn that
    // falls on an ended member does: a request it could never answer is not an error while
    // another member can.
    assert!(group.join(second.clone()));
    for _ in 0..4 {
        assert_eq!(first.ask(Relay { relay: true }).await.unwrap(), Ok(second.id()));
    }
    // The members hold the group that holds them: broken here, so that they can end.
    assert!(group.leave(first.id()) && group.leave(second.id()));
}

#[tokio::test]
async fn r14_broadcast_sends_a_copy_to_every_member_and_ask_takes_the_first_reply() {
    let system = ActorSystem::new();
    let log = Log::default();
    let members = three_members(&system, &log).await;
    let ids: HashSet<ActorId> = members.iter().map(|member| member.id()).collect();
    let group = Members::broadcasting(members.clone());
    assert_eq!(group.routing(), Routing::Broadcast);
    group.tell(Job::Work(1)).await.unwrap();
    let reached: HashSet<ActorId> =
        wait_handled(&log, 3).await.into_iter().map(|(id, _)| id).collect();
    assert_eq!(reached, ids);
    let (answered, n) = group.ask(Job::Work(2)).await.unwrap();
    assert!(ids.contains(&answered) && n == 2);
    wait_handled(&log, 6).await;
    // `broadcast` reaches every member whatever the routing, and counts them.
    let round_robin = Members::new(Routing::RoundRobin, members).unwrap();
    assert_eq!(round_robin.broadcast(Job::Work(3)).await.unwrap(), 3);
    assert_eq!(wait_handled(&log, 9).await.iter().filter(|(_, n)| *n == 3).count(), 3);
}

#[tokio::test]
async fn r15_an_ended_member_is_skipped_until_its_end_is_processed_then_gone() {
    let system = ActorSystem::new();
    let log = Log::default();
    let gate = Arc::new(Gate::default());
    let stopping = Record::default();
    let first = lingering(&system, &log, &gate, &stopping).await;
    let second = other(&system, &log).await;
    let group =
        Members::new(Routing::RoundRobin, [first.reply_recipient(), second.reply_recipient()])
            .unwrap();
    let clone = group.clone();
    first.stop();
    stopping.wait_for_count(&(), 1).await;
    // Ended (it takes no message) but its end not yet processed: a member still, skipped.
    assert!(!first.is_alive());
    assert_eq!(group.size(), 2);
    for k in 0..4 {
        group.tell(Job::Work(k)).await.unwrap();
    }
    assert!(wait_handled(&log, 4).await.iter().all(|&(id, _)| id == second.id()));
    assert_eq!(group.ask(Job::Work(4)).await.unwrap(), (second.id(), 4));
    assert_eq!(group.broadcast(Job::Work(5)).await.unwrap(), 1);
    // Its end processed, it has left, for every clone, by itself.
    gate.open();
    first.wait_for_exit().await;
    assert_eq!(member_ids(&clone), [second.id()]);
    assert!(!group.leave(first.id()), "gone already");
    // With every member gone, each send hands its message back.
    second.tell(Job::Crash).await.unwrap();
    second.wait_for_exit().await;
    assert_eq!(group.size(), 0);
    assert!(matches!(group.tell(Job::Work(6)).await, Err(SendError::Closed(Job::Work(6)))));
    assert!(matches!(group.try_tell(Job::Work(7)), Err(SendError::Closed(Job::Work(7)))));
    assert!(matches!(group.ask(Job::Work(8)).await, Err(AskError::Closed(Job::Work(8)))));
    assert!(matches!(group.broadcast(Job::Work(9)).await, Err(SendError::Closed(Job::Work(9)))));
    assert_eq!(system.dead_letters().count(), 0, "nothing handed back is a dead letter");
}

#[tokio::test(start_paused = true)]
async fn r15_a_full_member_is_not_skipped_a_waiting_tell_waits_and_a_dropped_one_is_a_dead_letter()
{
    use futures::FutureExt;
    let system = ActorSystem::new();
    let log = Log::default();
    let reject = MailboxConfig::bounded(1).overflow(OverflowPolicy::Reject);
    let wait = MailboxConfig::bounded(1).overflow(OverflowPolicy::Wait);
    let rejecting = other_with(&system, &log, reject).await.reply_recipient();
    let waiting = other_with(&system, &log, wait).await.reply_recipient();
    let group = Members::new(Routing::RoundRobin, [rejecting.clone(), waiting.clone()]).unwrap();
    let gate = Arc::new(Gate::default());
    for member in [&rejecting, &waiting] {
        hold_member(member, &gate).await;
        member.try_tell(Job::Work(0)).unwrap();
    }
    // Member 0 refuses at once under `Reject`: the message comes back, not sent to member 1.
    assert!(matches!(group.tell(Job::Work(1)).await, Err(SendError::Full(Job::Work(1)))));
    // Member 1 makes the sender wait under `Wait`, as long as the timeout allows.
    let sent = group.tell(Job::Work(2)).timeout(Duration::from_millis(1)).await;
    assert!(matches!(sent, Err(SendError::Full(Job::Work(2)))));
    // Turns go on: member 0 refuses again, so that the next tell is member 1's.
    assert!(matches!(group.try_tell(Job::Work(3)), Err(SendError::Full(Job::Work(3)))));
    // Dropped while it waits for room: a dead letter of the member it waited for.
    assert!(group.tell(Job::Work(4)).into_future().now_or_never().is_none());
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].target, waiting.id());
    assert_eq!(letters[0].reason, DeadLetterReason::SendCancelled);
    // Without a timeout, it waits until member 1 has room.
    assert!(matches!(group.try_tell(Job::Work(5)), Err(SendError::Full(Job::Work(5)))));
    let patient = tokio::spawn({
        let group = group.clone();
        async move { group.tell(Job::Work(6)).await.is_ok() }
    });
    tokio::task::yield_now().await;
    assert!(!patient.is_finished());
    gate.open();
    assert!(patient.await.unwrap());
    assert!(wait_handled(&log, 3).await.contains(&(waiting.id(), 6)));
}

#[tokio::test]
async fn r16_join_and_leave_change_the_members_for_every_clone_at_once() {
    let system = ActorSystem::new();
    let log = Log::default();
    let first = worker(&system, &log).await;
    let group = Members::new(Routing::RoundRobin, [first.reply_recipient()]).unwrap();
    let clone = group.clone();
    let joined = other(&system, &log).await;
    assert!(group.join(joined.clone()));
    assert!(!clone.join(joined.reply_recipient()), "already a member");
    assert_eq!(member_ids(&clone), [first.id(), joined.id()]);
    assert_eq!(clone.ask(Job::Work(0)).await.unwrap().0, first.id());
    assert_eq!(clone.ask(Job::Work(1)).await.unwrap().0, joined.id());
    assert!(clone.leave(first.id()));
    assert!(!group.leave(first.id()), "no longer a member");
    assert_eq!(member_ids(&group), [joined.id()]);
    for k in 2..6 {
        assert_eq!(group.ask(Job::Work(k)).await.unwrap().0, joined.id());
    }
    // The one that left still runs: only the group let go of it.
    assert_eq!(first.ask(Job::Work(6)).await.unwrap().0, first.id());
}

#[tokio::test]
async fn r17_a_group_keeps_its_members_alive_until_they_leave_or_it_is_gone() {
    let system = ActorSystem::new();
    let log = Log::default();
    let ended = Record::<()>::default();
    let spawn = |ended: &Record<()>| {
        let member = Other { log: log.clone(), ended: ended.clone() };
        let system = system.clone();
        async move { system.spawn::<Other>(member).await.expect("spawns") }
    };
    let kept = spawn(&ended).await;
    let watch_kept = kept.erase();
    let group = Members::new(Routing::RoundRobin, [kept.reply_recipient()]).unwrap();
    drop(kept);
    // The group's handle is the last: the member still runs and answers.
    assert_eq!(group.ask(Job::Work(0)).await.unwrap().0, watch_kept.id());
    assert!(watch_kept.is_alive());
    // Leaving lets go of it: with no handle left, it ends (A4.6).
    assert!(group.leave(watch_kept.id()));
    assert_eq!(watch_kept.wait_for_exit().await, ExitReason::Normal);
    ended.wait_for_count(&(), 1).await;

    let joined = spawn(&ended).await;
    let watch_joined = joined.erase();
    assert!(group.join(joined));
    let clone = group.clone();
    drop(group);
    assert_eq!(clone.ask(Job::Work(1)).await.unwrap().0, watch_joined.id(), "a clone holds it");
    // The last clone gone, so is the group's hold.
    drop(clone);
    assert_eq!(watch_joined.wait_for_exit().await, ExitReason::Normal);
    ended.wait_for_count(&(), 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r15_sends_racing_members_ending_joining_and_leaving_lose_nothing() {
    const SENT: u64 = 10_000;
    let system = ActorSystem::new();
    let log = Log::default();
    let group = Members::new(Routing::RoundRobin, three_members(&system, &log).await).unwrap();
    let handed_back = Arc::new(AtomicU64::new(0));
    let sender = {
        let group = group.clone();
        let handed_back = Arc::clone(&handed_back);
        tokio::spawn(async move {
            for k in 0..SENT {
                let back = if k % 10 == 0 {
                    matches!(group.ask(Job::Work(k)).await, Err(AskError::Closed(_)))
                } else {
                    group.tell(Job::Work(k)).await.is_err()
                };
                if back {
                    handed_back.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    let churn = {
        let group = group.clone();
        let system = system.clone();
        let log = log.clone();
        tokio::spawn(async move {
            for _ in 0..20 {
                let leaving = group.members()[0].clone();
                leaving.tell(Job::Crash).await.ok();
                leaving.wait_for_exit().await;
                group.join(other(&system, &log).await);
                // Its end has taken it out already.
                assert!(!group.leave(leaving.id()));
                tokio::task::yield_now().await;
            }
        })
    };
    sender.await.unwrap();
    churn.await.unwrap();
    for member in group.members() {
        member.ask(Job::Work(SENT)).await.unwrap();
    }
    let handled = handled(&log).iter().filter(|(_, n)| *n < SENT).count() as u64;
    let dead = system.dead_letters().count();
    let back = handed_back.load(Ordering::Relaxed);
    assert_eq!(handled + dead + back, SENT, "handled {handled}, dead {dead}, back {back}");
}

#[tokio::test]
async fn r14_new_refuses_a_routing_that_needs_a_key_or_a_copy_and_names_its_constructor() {
    let system = ActorSystem::new();
    let log = Log::default();
    let members = three_members(&system, &log).await;
    let keyed = Members::new(Routing::ConsistentHash, members.clone()).unwrap_err();
    assert!(matches!(
        keyed,
        GroupError::NeedsConstructor { routing: Routing::ConsistentHash, constructor, .. }
            if constructor == "consistent_hash"
    ));
    assert!(keyed.to_string().contains("Group::consistent_hash"), "{keyed}");
    let copied = Members::new(Routing::Broadcast, members.clone()).unwrap_err();
    assert!(matches!(
        copied,
        GroupError::NeedsConstructor { routing: Routing::Broadcast, constructor, .. }
            if constructor == "broadcasting"
    ));
    assert!(copied.to_string().contains("Group::broadcasting"), "{copied}");
    // The constructors that take what those routings need make them.
    let key = |job: &Job| if let Job::Work(n) = job { *n } else { 0 };
    assert_eq!(Members::consistent_hash(members.clone(), key).routing(), Routing::ConsistentHash);
    assert_eq!(Members::broadcasting(members).routing(), Routing::Broadcast);
}

#[tokio::test]
async fn r16_an_actor_that_has_ended_cannot_join_and_is_left_out_of_a_new_group() {
    let system = ActorSystem::new();
    let log = Log::default();
    let live = other(&system, &log).await;
    let ended = other(&system, &log).await;
    ended.stop();
    ended.wait_for_exit().await;
    let group =
        Members::new(Routing::RoundRobin, [ended.reply_recipient(), live.reply_recipient()])
            .unwrap();
    assert_eq!(member_ids(&group), [live.id()]);
    assert!(!group.join(ended.clone()), "an ended actor would never leave");
    assert_eq!(member_ids(&group), [live.id()]);
}

#[tokio::test]
async fn r16_a_member_that_ends_leaves_every_clone_and_its_hook_does_not_keep_the_group() {
    let system = ActorSystem::new();
    let log = Log::default();
    let members = three_members(&system, &log).await;
    let group = Members::new(Routing::RoundRobin, members.clone()).unwrap();
    let clone = group.clone();
    members[1].tell(Job::Crash).await.unwrap();
    members[1].wait_for_exit().await;
    assert_eq!(member_ids(&group), [members[0].id(), members[2].id()]);
    assert_eq!(member_ids(&clone), [members[0].id(), members[2].id()]);
    // The end hooks of the members that remain hold the group weakly: its last clone gone,
    // it is gone, and so is its hold on them.
    let weak = group.downgrade();
    drop((group, clone));
    assert!(weak.upgrade().is_none());
    let (ended_tx, ended) = tokio::sync::oneshot::channel();
    let hook = members[0].on_end(move || {
        let _ = ended_tx.send(());
    });
    assert!(hook.is_ok());
    drop(members);
    // Nothing else holds the members: they end (A4.6).
    ended.await.unwrap();
}

#[tokio::test]
async fn r16_join_leave_and_end_churn_keeps_the_member_list_bounded() {
    let system = ActorSystem::new();
    let log = Log::default();
    let stays = other(&system, &log).await;
    let group = Members::new(Routing::RoundRobin, [stays.reply_recipient()]).unwrap();
    for round in 0..200u64 {
        let passing = other(&system, &log).await;
        assert!(group.join(passing.clone()));
        assert!(group.leave(stays.id()) && group.join(stays.clone()));
        if round % 2 == 0 {
            // Ends as a restarted actor's old incarnation does: it leaves by itself.
            passing.tell(Job::Crash).await.unwrap();
            passing.wait_for_exit().await;
        } else {
            assert!(group.leave(passing.id()));
        }
        assert_eq!(member_ids(&group), [stays.id()], "round {round}");
    }
    assert_eq!(group.ask(Job::Work(0)).await.unwrap().0, stays.id());
}

/// What a `Holder` keeps of the group it is a member of: held, never read, as what is tested
/// is what holding it keeps alive.
#[expect(dead_code, reason = "held only for what it keeps alive")]
enum Held {
    Strong(Group<Relay, ActorId>),
    Weak(WeakGroup<Relay, ActorId>),
}

/// A member that holds its own group, as a peer that asks its peers would.
struct Holder {
    #[expect(dead_code, reason = "held only for what it keeps alive")]
    group: Arc<std::sync::OnceLock<Held>>,
}

#[actor(messages(Relay))]
impl Actor for Holder {}

impl Handler<Relay> for Holder {
    type Reply = ActorId;
    async fn handle(&mut self, _: Relay, ctx: &mut Context<Self>) -> ActorId {
        ctx.id()
    }
}

#[tokio::test]
async fn r17_a_member_holding_its_own_group_keeps_itself_alive_unless_it_leaves_or_holds_it_weakly()
{
    let system = ActorSystem::new();
    for weakly in [false, true] {
        let held = Arc::new(std::sync::OnceLock::new());
        let member = system.spawn::<Holder>(Holder { group: Arc::clone(&held) }).await.unwrap();
        let watched = member.erase();
        let group = Group::new(Routing::RoundRobin, [member.reply_recipient()]).unwrap();
        let weak = group.downgrade();
        let kept = if weakly { Held::Weak(group.downgrade()) } else { Held::Strong(group.clone()) };
        assert!(held.set(kept).is_ok());
        drop((group, member, held));
        if weakly {
            // Nothing holds the group but its clones: it is gone, and the member ends (A4.6).
            assert!(weak.upgrade().is_none());
        } else {
            // The member holds the group that holds it: both live on, with no outside handle.
            let group = weak.upgrade().expect("the member keeps its group");
            assert_eq!(group.ask(Relay { relay: false }).await.unwrap(), watched.id());
            // Leaving breaks the cycle.
            assert!(group.leave(watched.id()));
        }
        assert_eq!(watched.wait_for_exit().await, ExitReason::Normal);
    }
}
