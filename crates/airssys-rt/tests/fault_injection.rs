//! Fault injection: a tree of 10,000 workers under two levels of supervisors, with random
//! panics injected for a bounded number of rounds. Afterwards every worker is alive again, the
//! restarts match the injected faults exactly, and no actor leaked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    ChildSpec, ChildStatus, Strategy, Supervisor, SupervisorEvent, SupervisorRef, SupervisorSpec,
};
use tokio::sync::mpsc;

const GROUPS: usize = 10;
const WORKERS_PER_GROUP: usize = 1_000;
const FAULTS: usize = 3_000;

enum Fault {
    Panic,
    Fail,
}

#[derive(Debug, thiserror::Error)]
#[error("injected failure")]
struct Injected;

/// Counts its starts, and the faults it handled: each of those ends it, and must be followed by
/// exactly one restart. A fault queued behind another one never reaches a handler (the worker
/// has ended by then) and is not counted.
struct Fragile {
    hits: Arc<AtomicU64>,
}

/// The starts and the handled faults of every worker.
#[derive(Clone, Default)]
struct Tally {
    starts: Arc<AtomicU64>,
    hits: Arc<AtomicU64>,
}

#[actor]
impl Actor for Fragile {
    type Msg = Fault;
    type Reply = ();
    type Args = Tally;
    type Error = Injected;

    async fn pre_start(tally: Tally, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        tally.starts.fetch_add(1, Ordering::Relaxed);
        Ok(Fragile { hits: tally.hits })
    }

    async fn handle(&mut self, fault: Fault, _: &mut Context<Self>) -> Result<(), Self::Error> {
        self.hits.fetch_add(1, Ordering::Relaxed);
        match fault {
            Fault::Panic => panic!("injected fault"),
            Fault::Fail => Err(Injected),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_workers_survive_random_faults() {
    // Thousands of injected panics: keep their reports out of the test output.
    std::panic::set_hook(Box::new(|info| {
        let injected = info.payload().downcast_ref::<&str>() == Some(&"injected fault");
        if !injected {
            eprintln!("{info}");
        }
    }));

    let system = ActorSystem::new();
    let tally = Tally::default();
    let starts = &tally.starts;
    let mut root_spec =
        SupervisorSpec::new(Strategy::OneForOne).intensity(1_000_000, Duration::from_secs(1));
    for group in 0..GROUPS {
        let mut group_spec =
            SupervisorSpec::new(Strategy::OneForOne).intensity(1_000_000, Duration::from_secs(1));
        for worker in 0..WORKERS_PER_GROUP {
            group_spec = group_spec
                .child(ChildSpec::worker::<Fragile>(format!("worker-{worker}"), tally.clone()));
        }
        root_spec = root_spec.child(ChildSpec::supervisor(format!("group-{group}"), group_spec));
    }
    let root = Supervisor::start(&system, root_spec).await.unwrap();
    let total = (GROUPS * WORKERS_PER_GROUP) as u64;
    assert_eq!(starts.load(Ordering::Relaxed), total);
    assert_eq!(system.actor_count(), GROUPS * WORKERS_PER_GROUP + GROUPS + 1);

    let mut groups = Vec::new();
    for group in 0..GROUPS {
        let actor = root.child::<Supervisor>(&format!("group-{group}")).await.unwrap().unwrap();
        groups.push(SupervisorRef::from(actor));
    }

    // Every restart, from every group, counted as it is announced (T21).
    let (restarted, mut restarts) = mpsc::unbounded_channel();
    for group in &groups {
        let mut events = group.events().await.unwrap();
        let restarted = restarted.clone();
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                match event {
                    SupervisorEvent::Restarted { .. } => {
                        let _ = restarted.send(());
                    }
                    SupervisorEvent::Lagged { missed } => panic!("{missed} events lost: uncounted"),
                    _ => {}
                }
            }
        });
    }

    let mut rng = fastrand::Rng::with_seed(2026);
    for round in 0..FAULTS {
        let group = &groups[rng.usize(..GROUPS)];
        let id = format!("worker-{}", rng.usize(..WORKERS_PER_GROUP));
        // The worker may be between its end and its restart: then there is nobody to hit.
        let Some(worker) = group.child::<Fragile>(&id).await.unwrap() else { continue };
        let fault = if round % 3 == 0 { Fault::Fail } else { Fault::Panic };
        // An ask, not a tell: once it is answered the fault was handled (the worker ended) or
        // refused, so when the loop ends `hits` counts every fault a handler ran. With a tell, a
        // second fault queued behind a first on the same worker counted but was never handled:
        // a restart short, and the wait below never ended (seen under load).
        let _ = worker.ask(fault).await;
    }
    let hits = tally.hits.load(Ordering::Relaxed);
    assert!(hits > FAULTS as u64 / 2, "too few faults landed: {hits}");

    // Every handled fault ends one worker, and each end is followed by one restart.
    let expected = total + hits;
    let restarted = async {
        for _ in 0..hits {
            restarts.recv().await.expect("a group ended");
        }
    };
    if tokio::time::timeout(Duration::from_secs(60), restarted).await.is_err() {
        panic!("{} restarts of {hits} handled faults", starts.load(Ordering::Relaxed) - total);
    }
    for group in &groups {
        let children = group.which_children().await.unwrap();
        assert_eq!(children.len(), WORKERS_PER_GROUP);
        assert!(children.iter().all(|child| child.status == ChildStatus::Running));
        // Requests queue behind any exit signal still waiting: a later count is exact.
        assert_eq!(group.count_children().await.unwrap().active, WORKERS_PER_GROUP);
    }
    assert_eq!(starts.load(Ordering::Relaxed), expected, "no restart beyond the faults");
    assert_eq!(system.actor_count(), GROUPS * WORKERS_PER_GROUP + GROUPS + 1, "no actor leaked");
    assert!(root.actor().is_alive());

    let report = system.shutdown().await;
    assert_eq!(report.killed, 0);
    assert_eq!(system.actor_count(), 0);
}
