//! Regressions found reviewing routers and pools (chapter R of `docs/semantics.md`): each test
//! failed before its fix.

use std::sync::Arc;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
use airssys_rt::prelude::*;
use airssys_rt::router::{Pool, PoolSpec};
use tokio::sync::Semaphore;

mod common;
use common::record::Record;

/// Holds the workers that take a `Hold` until it is opened.
struct Gate {
    entered: Record<ActorId>,
    release: Semaphore,
}

impl Gate {
    fn new() -> Arc<Self> {
        Arc::new(Gate { entered: Record::default(), release: Semaphore::new(0) })
    }

    fn open(&self) {
        self.release.close();
    }
}

#[derive(Clone)]
enum Job {
    Work(u64),
    Crash,
    Hold(Arc<Gate>),
}

struct Worker {
    id: ActorId,
    handled: Record<(ActorId, u64)>,
}

impl Actor for Worker {
    type Msg = Job;
    type Reply = (ActorId, u64);
    type Args = Record<(ActorId, u64)>;
    type Error = std::convert::Infallible;

    async fn pre_start(handled: Self::Args, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Worker { id: ctx.id(), handled })
    }

    async fn handle(
        &mut self,
        job: Job,
        _: &mut Context<Self>,
    ) -> Result<(ActorId, u64), Self::Error> {
        match job {
            Job::Work(n) => {
                self.handled.push((self.id, n));
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

/// Keeps `worker` busy in a `Hold` until the gate opens.
async fn hold(worker: &ActorRef<Worker>, gate: &Arc<Gate>) {
    let before = gate.entered.count(&worker.id());
    worker.tell(Job::Hold(Arc::clone(gate))).await.expect("hold");
    gate.entered.wait_for_count(&worker.id(), before + 1).await;
}

fn rejecting(size: usize, handled: &Record<(ActorId, u64)>) -> PoolSpec<Worker> {
    PoolSpec::new(size, handled.clone())
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
async fn bug_broadcast_tell_dropped_a_copy_refused_by_a_full_reject_worker() {
    let system = ActorSystem::new();
    let handled = Record::default();
    let pool = Pool::start(&system, rejecting(2, &handled).broadcast()).await.unwrap();
    let gate = Gate::new();
    let first = fill_first(&pool, &gate).await;
    let router = pool.router();

    router.tell(Job::Work(1)).await.unwrap();
    assert_eq!(system.dead_letters().count(), 1, "the refused copy is a dead letter");
    assert_eq!(dropped_for(&system, &first), 1);
    handled.wait_for_len(1).await;
    router.try_tell(Job::Work(2)).unwrap();
    assert_eq!(dropped_for(&system, &first), 2);
    gate.open();
    let all = handled.wait_for_len(3).await;
    assert_eq!(all.iter().filter(|(by, _)| *by == first.id()).count(), 1, "{all:?}");
}

#[tokio::test]
async fn bug_router_broadcast_dropped_a_copy_refused_by_a_full_reject_worker() {
    let system = ActorSystem::new();
    let handled = Record::default();
    // The full worker is the last slot: it is the one offered the original message.
    let pool = Pool::start(&system, rejecting(2, &handled)).await.unwrap();
    let gate = Gate::new();
    let last = pool.router().workers()[1].clone();
    hold(&last, &gate).await;
    last.try_tell(Job::Work(0)).unwrap();

    assert_eq!(pool.router().broadcast(Job::Work(1)).await.unwrap(), 1);
    assert_eq!(system.dead_letters().count(), 1);
    assert_eq!(dropped_for(&system, &last), 1);
    handled.wait_for_len(1).await;

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
async fn bug_broadcast_ask_dropped_a_copy_refused_by_a_full_reject_worker() {
    let system = ActorSystem::new();
    let handled = Record::default();
    let pool = Pool::start(&system, rejecting(2, &handled).broadcast()).await.unwrap();
    let gate = Gate::new();
    let first = fill_first(&pool, &gate).await;
    let second = pool.router().workers()[1].id();

    assert_eq!(pool.router().ask(Job::Work(1)).await.unwrap(), (second, 1));
    assert_eq!(dropped_for(&system, &first), 1, "the refused copy is a dead letter");
    gate.open();
}

#[tokio::test]
async fn bug_broadcast_ask_let_go_of_a_copy_still_waiting_for_room() {
    let system = ActorSystem::new();
    let handled = Record::default();
    let spec = PoolSpec::new(2, handled.clone()).mailbox(MailboxConfig::bounded(1)).broadcast();
    let pool = Pool::start(&system, spec).await.unwrap();
    let gate = Gate::new();
    let first = fill_first(&pool, &gate).await;
    let second = pool.router().workers()[1].id();

    // Worker 1 answers while worker 0's copy still waits for room: the ask returns only once
    // that copy is queued.
    let router = pool.router().clone();
    let ask = tokio::spawn(async move { router.ask(Job::Work(1)).await });
    handled.wait_for_len(1).await;
    assert!(!ask.is_finished());
    gate.open();
    assert_eq!(ask.await.unwrap().unwrap(), (second, 1));
    let all = handled.wait_for_len(3).await;
    assert!(all.contains(&(first.id(), 1)), "worker 0 got its copy: {all:?}");
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test]
async fn bug_default_intensity_gave_up_on_a_pool_whose_workers_each_crashed_once() {
    let system = ActorSystem::new();
    let handled = Record::default();
    let pool = Pool::<Worker>::start(&system, PoolSpec::new(3, handled.clone())).await.unwrap();
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
async fn bug_a_pool_whose_supervisor_gave_up_kept_its_ended_workers_in_the_routing() {
    let system = ActorSystem::new();
    let handled = Record::default();
    let spec = PoolSpec::new(2, handled.clone()).intensity(0, Duration::from_secs(5));
    let pool = Pool::<Worker>::start(&system, spec).await.unwrap();
    let router = pool.router().clone();
    let worker = router.workers()[0].clone();
    worker.tell(Job::Crash).await.unwrap();
    assert_eq!(pool.supervisor().actor().wait_for_exit().await, ExitReason::Shutdown);

    // As after `Pool::stop`: the ended workers are let go of, not kept by every router.
    assert_eq!((router.size(), pool.size()), (0, 0));
    assert!(matches!(router.tell(Job::Work(1)).await, Err(SendError::Closed(Job::Work(1)))));
}
