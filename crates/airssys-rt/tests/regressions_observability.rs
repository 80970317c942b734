//! Regressions found by review in crash reports (chapter C) and health checks (chapter H).

use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
use tokio::sync::Notify;

/// A point a hook stops at: it says it has arrived, then waits to be let through.
#[derive(Default)]
struct Gate {
    arrived: Notify,
    through: Notify,
}

impl Gate {
    async fn pass(&self) {
        self.arrived.notify_one();
        self.through.notified().await;
    }
}

/// Waits at its gate in `pre_start`.
struct SlowStart;

impl Actor for SlowStart {
    type Msg = ();
    type Reply = ();
    type Args = Arc<Gate>;
    type Error = std::convert::Infallible;

    async fn pre_start(gate: Arc<Gate>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        gate.pass().await;
        Ok(SlowStart)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Waits at its gate in `post_stop`; panics on `true`.
struct SlowStop(Arc<Gate>);

impl Actor for SlowStop {
    type Msg = bool;
    type Reply = ();
    type Args = Arc<Gate>;
    type Error = std::convert::Infallible;

    async fn pre_start(gate: Arc<Gate>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(SlowStop(gate))
    }

    async fn handle(&mut self, crash: bool, _: &mut Context<Self>) -> Result<(), Self::Error> {
        assert!(!crash, "asked to crash");
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.0.pass().await;
        Ok(())
    }
}

/// Polls `future` once; `true` if it is still pending.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> bool {
    poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx).is_pending())).await
}

/// H8: a child supervisor still in its `pre_start` (its parent not yet recorded) is no root.
#[tokio::test]
async fn bug_a_starting_child_supervisor_is_listed_as_a_root() {
    let system = ActorSystem::new();
    let gate = Arc::new(Gate::default());
    let pool = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<SlowStart>("worker", Arc::clone(&gate)));
    let root = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::supervisor("pool", pool));
    let starting = {
        let system = system.clone();
        tokio::spawn(async move {
            let options = SpawnOptions::new().name("root");
            Supervisor::start_with(&system, options, root).await
        })
    };
    gate.arrived.notified().await;
    // The roots are taken on the first poll; the answers wait for the tree to be started.
    let mut health = Box::pin(system.health());
    assert!(poll_once(&mut health).await);
    gate.through.notify_one();
    let root = starting.await.unwrap().unwrap();
    let report = health.await;
    let roots: Vec<&str> = report.children.iter().map(|node| &*node.id).collect();
    assert_eq!(roots, ["root"], "\n{report}");
    root.actor().stop();
    system.shutdown().await;
}

/// H8: a root supervisor that gives up while the system's report asks it is one node, not two.
#[tokio::test]
async fn bug_a_root_that_gives_up_while_asked_is_listed_twice() {
    let system = ActorSystem::new();
    let gate = Arc::new(Gate::default());
    // The crasher's own gate is open before it gets there.
    let open = Arc::new(Gate::default());
    open.through.notify_one();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0, std::time::Duration::from_secs(5))
        .child(ChildSpec::worker::<SlowStop>("slow", Arc::clone(&gate)))
        .child(ChildSpec::worker::<SlowStop>("crasher", open));
    let root =
        Supervisor::start_with(&system, SpawnOptions::new().name("fragile"), spec).await.unwrap();
    let crasher = root.child::<SlowStop>("crasher").await.unwrap().unwrap();
    crasher.tell(true).await.unwrap();
    crasher.wait_for_exit().await;
    // The root is giving up, stopping `slow`, which waits at its gate.
    gate.arrived.notified().await;
    let mut health = Box::pin(system.health());
    assert!(poll_once(&mut health).await);
    gate.through.notify_one();
    let report = health.await;
    let fragile = report.children.iter().filter(|node| &*node.id == "fragile").count();
    assert_eq!(fragile, 1, "\n{report}");
    system.shutdown().await;
}

/// Never ends its `post_stop`, once it says it has begun it.
struct StuckStop(Arc<Notify>);

impl Actor for StuckStop {
    type Msg = ();
    type Reply = ();
    type Args = Arc<Notify>;
    type Error = std::convert::Infallible;

    async fn pre_start(stopping: Arc<Notify>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(StuckStop(stopping))
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.0.notify_one();
        std::future::pending().await
    }
}

/// H7: a child supervisor stuck in a request (here, waiting forever for a child to stop) does
/// not hang its parent's report, nor the system's: it is failed, as not answering.
#[tokio::test(start_paused = true)]
async fn bug_health_hangs_on_a_stuck_child_supervisor() {
    use airssys_rt::monitoring::health::{HealthIssue, HealthStatus};
    use airssys_rt::supervisor::Shutdown;

    let system = ActorSystem::new();
    let stopping = Arc::new(Notify::new());
    let stuck = ChildSpec::worker::<StuckStop>("stuck", Arc::clone(&stopping));
    let pool = SupervisorSpec::new(Strategy::OneForOne).child(stuck.shutdown(Shutdown::Infinity));
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::supervisor("pool", pool));
    let root =
        Supervisor::start_with(&system, SpawnOptions::new().name("root"), spec).await.unwrap();
    let pool = root.child::<Supervisor>("pool").await.unwrap().unwrap();
    let pool = airssys_rt::supervisor::SupervisorRef::from(pool);
    let terminating = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.terminate_child("stuck").await })
    };
    // The pool now waits, for good, for its child to end.
    stopping.notified().await;
    let report = tokio::time::timeout(std::time::Duration::from_secs(60), system.health())
        .await
        .expect("the report comes, though a supervisor is stuck");
    let node = &report.children[0].children[0];
    assert_eq!(&*node.id, "pool", "\n{report}");
    assert_eq!(node.status, HealthStatus::Failed, "\n{report}");
    assert!(matches!(node.issues[..], [HealthIssue::NotAnswering]), "\n{report}");
    terminating.abort();
}

/// Answers every probe.
struct Checked;

impl Actor for Checked {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Checked)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// H2: probing ends when the child is stopped (`terminate_child`), not an interval later.
#[tokio::test(start_paused = true)]
async fn bug_probing_outlives_a_terminated_child() {
    use airssys_rt::monitoring::health::HealthCheck;

    let system = ActorSystem::new();
    let check = HealthCheck::every(std::time::Duration::from_secs(3600));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Checked>("a", ()).health_check(check));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let tasks = || tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let a = supervisor.child::<Checked>("a").await.unwrap().unwrap();
    supervisor.terminate_child("a").await.unwrap();
    a.wait_for_exit().await;
    // An aborted task goes once the scheduler has run it.
    tokio::task::yield_now().await;
    let after_terminate = tasks();
    // Deleting the specification drops whatever the supervisor still keeps for the child.
    supervisor.delete_child("a").await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(after_terminate, tasks(), "a prober still ran after terminate_child");
    system.shutdown().await;
}
