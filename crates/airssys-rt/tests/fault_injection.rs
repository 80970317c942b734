//! Fault injection: a tree of 10,000 workers under two levels of supervisors, with random
//! panics injected for a bounded number of rounds. Afterwards every worker is alive again, the
//! restarts match the injected faults exactly, and no actor leaked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    ChildSpec, ChildStatus, Strategy, Supervisor, SupervisorRef, SupervisorSpec,
};

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

struct Fragile;

impl Actor for Fragile {
    type Msg = Fault;
    type Reply = ();
    type Args = Arc<AtomicU64>;
    type Error = Injected;

    async fn pre_start(starts: Arc<AtomicU64>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        starts.fetch_add(1, Ordering::Relaxed);
        Ok(Fragile)
    }

    async fn handle(&mut self, fault: Fault, _: &mut Context<Self>) -> Result<(), Self::Error> {
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
    let starts = Arc::new(AtomicU64::new(0));
    let mut root_spec =
        SupervisorSpec::new(Strategy::OneForOne).intensity(1_000_000, Duration::from_secs(1));
    for group in 0..GROUPS {
        let mut group_spec =
            SupervisorSpec::new(Strategy::OneForOne).intensity(1_000_000, Duration::from_secs(1));
        for worker in 0..WORKERS_PER_GROUP {
            group_spec = group_spec
                .child(ChildSpec::worker::<Fragile>(format!("worker-{worker}"), starts.clone()));
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

    let mut rng = fastrand::Rng::with_seed(2026);
    let mut injected = 0u64;
    for round in 0..FAULTS {
        let group = &groups[rng.usize(..GROUPS)];
        let id = format!("worker-{}", rng.usize(..WORKERS_PER_GROUP));
        // The worker may be between its end and its restart: then there is nobody to hit.
        let Some(worker) = group.child::<Fragile>(&id).await.unwrap() else { continue };
        let fault = if round % 3 == 0 { Fault::Fail } else { Fault::Panic };
        if worker.tell(fault).await.is_ok() {
            injected += 1;
        }
    }
    assert!(injected > FAULTS as u64 / 2, "too few faults landed: {injected}");

    // Every injected fault ends one worker, and each end is followed by one restart.
    let expected = total + injected;
    while starts.load(Ordering::Relaxed) < expected {
        tokio::task::yield_now().await;
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
