//! Regressions found reviewing statistics (X), tracing (Y) and inspection (I).

mod common;

use std::sync::Arc;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{Child, ChildSpec, Shutdown, Strategy, Supervisor, SupervisorSpec};
use common::{Idle, Probe, ProbeArgs};

/// I1: an actor a supervisor's start function hands over (spawned before the supervisor, so
/// with a lower id) is still placed under that supervisor, not listed as a root.
#[tokio::test]
async fn bug_inspect_adopted_child_with_lower_id_is_placed_under_its_supervisor() {
    let system = ActorSystem::new();
    let adopted = system.spawn::<Idle>(()).await.unwrap();
    let handed = Arc::new(adopted.clone());
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::new(
        "adopted",
        move |_system: ActorSystem| {
            let handed = Arc::clone(&handed);
            async move { Ok(Some(Child::from((*handed).clone()))) }
        },
    ));
    let root = Supervisor::start(&system, spec).await.unwrap();
    assert!(adopted.id() < root.actor().id());

    let view = system.inspect();
    let roots: Vec<ActorId> = view.roots.iter().map(|node| node.id).collect();
    assert_eq!(roots, [root.actor().id()], "the adopted actor is no root");
    let children: Vec<ActorId> = view.roots[0].children.iter().map(|node| node.id).collect();
    assert_eq!(children, [adopted.id()]);
    assert_eq!(view.roots[0].children[0].label(), "adopted");
    assert_eq!(view.actors().count(), system.actor_count());
    system.shutdown().await;
}

/// X2 with C2: a supervisor's `BrutalKill` of a child to stop it is the child's ordinary way
/// to stop, not a crash: it is neither reported nor counted in `crashes`.
#[tokio::test]
async fn bug_stats_brutal_kill_by_supervisor_is_not_counted_as_a_crash() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(
        ChildSpec::worker::<Probe>("brutal", ProbeArgs::new()).shutdown(Shutdown::BrutalKill),
    );
    let root = Supervisor::start(&system, spec).await.unwrap();
    let child: ActorRef<Probe> = root.child("brutal").await.unwrap().unwrap();
    root.terminate_child("brutal").await.unwrap();
    assert_eq!(child.wait_for_exit().await, ExitReason::Killed);

    assert_eq!(system.crash_reports().count(), 0);
    let stats = system.statistics();
    assert_eq!(stats.crashes.killed, 0, "an ordered kill is no crash");
    assert_eq!(stats.crashes.total(), system.crash_reports().count());
    assert_eq!(stats.stopped, 1);
    system.shutdown().await;
}
