//! Chapter I of docs/semantics.md: inspection, each test named after its rule.

mod common;

use std::sync::Arc;
use std::time::Duration;

use airssys_rt::monitoring::inspect::Inspector;
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{Child, ChildSpec, Strategy, Supervisor, SupervisorSpec};
use airssys_rt::system::SpawnOptions;

use common::{block, Cmd, Event, Idle, Probe, ProbeArgs};

async fn tree(system: &ActorSystem) -> (SupervisorRef, ProbeArgs) {
    let args = ProbeArgs::new();
    let inner = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Probe>("leaf", args.clone()));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10, Duration::from_secs(3600))
        .child(ChildSpec::worker::<Probe>("first", args.clone()))
        .child(ChildSpec::supervisor("inner", inner));
    let root = Supervisor::start_with(system, SpawnOptions::new().name("app"), spec).await.unwrap();
    // Each actor has handled a request: all are running.
    let first: ActorRef<Probe> = root.child("first").await.unwrap().unwrap();
    first.ask(Cmd::Echo(0)).await.unwrap();
    let inner: ActorRef<Supervisor> = root.child("inner").await.unwrap().unwrap();
    let inner = SupervisorRef::from(inner);
    let leaf: ActorRef<Probe> = inner.child("leaf").await.unwrap().unwrap();
    leaf.ask(Cmd::Echo(0)).await.unwrap();
    (root, args)
}

#[tokio::test]
async fn i1_every_live_actor_is_placed_under_its_supervisor() {
    let system = ActorSystem::new();
    let plain = system.spawn::<Idle>(()).await.unwrap();
    let (root, _) = tree(&system).await;

    let view = system.inspect();
    assert_eq!(view.actors().count(), system.actor_count());
    let roots: Vec<ActorId> = view.roots.iter().map(|node| node.id).collect();
    assert_eq!(roots, [plain.id(), root.actor().id()]);
    let app = &view.roots[1];
    assert_eq!(app.label(), "app");
    let children: Vec<String> = app.children.iter().map(|node| node.label()).collect();
    assert_eq!(children, ["first", "inner"]);
    assert_eq!(app.children[1].children.len(), 1);
    assert_eq!(app.children[1].children[0].label(), "leaf");
    assert!(app.children[1].children[0].actor_type.ends_with("Probe"));
    system.shutdown().await;
}

#[tokio::test]
async fn i2_nodes_carry_state_depth_restarts_and_with_statistics_handled() {
    let system = ActorSystem::builder().statistics(true).build().unwrap();
    let (root, args) = tree(&system).await;
    let first: ActorRef<Probe> = root.child("first").await.unwrap().unwrap();
    first.tell(Cmd::Panic).await.unwrap();
    args.journal.wait_for_count(&Event::PreStart, 3).await;
    let first: ActorRef<Probe> = root.child("first").await.unwrap().unwrap();
    let release = block(&first).await;
    first.tell(Cmd::Echo(1)).await.unwrap();
    first.tell(Cmd::Echo(2)).await.unwrap();

    let view = system.inspect();
    let node = view.actors().find(|node| node.id == first.id()).unwrap().clone();
    assert_eq!(node.state, ActorState::Running);
    assert_eq!(node.mailbox_depth, 2);
    assert_eq!(node.restarts, Some(1));
    assert_eq!(node.handled, Some(1), "the blocking message, being handled");
    assert_eq!(view.roots[0].restarts, None, "unsupervised");
    drop(release);

    let off = ActorSystem::new();
    let _idle = off.spawn::<Idle>(()).await.unwrap();
    assert_eq!(off.inspect().roots[0].handled, None);
    system.shutdown().await;
    off.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn i3_an_inspector_reports_each_actors_message_rate_since_its_previous_view() {
    let system = ActorSystem::builder().statistics(true).build().unwrap();
    let (actor, _) = common::probe(&system).await;
    let mut inspector = Inspector::new(&system);
    let first = inspector.inspect();
    assert_eq!(first.roots[0].message_rate, None, "no previous view");

    for n in 0..20 {
        actor.tell(Cmd::Echo(n)).await.unwrap();
    }
    actor.ask(Cmd::Echo(20)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second = inspector.inspect();
    assert_eq!(second.roots[0].message_rate, Some(10.5), "21 messages in 2 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(inspector.inspect().roots[0].message_rate, Some(0.0));
    system.shutdown().await;
}

#[tokio::test]
async fn i4_a_tree_renders_one_line_per_actor_like_pstree() {
    let system = ActorSystem::new();
    let (root, _) = tree(&system).await;
    let view = system.inspect();
    let text = view.roots[0].render();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let head = format!("app {} Supervisor running, mailbox 0", root.actor().id());
    assert!(lines[0].starts_with(&head), "{text}");
    assert!(lines[1].starts_with("├─ first <"), "{text}");
    assert!(lines[1].ends_with("Probe running, mailbox 0, restarts 0"), "{text}");
    assert!(lines[2].starts_with("└─ inner <"), "{text}");
    assert!(lines[3].starts_with("   └─ leaf <"), "{text}");
    system.shutdown().await;
}

#[tokio::test]
async fn i5_busiest_lists_the_deepest_mailboxes_first() {
    let system = ActorSystem::new();
    let mut actors = Vec::new();
    let mut releases = Vec::new();
    for depth in [1_u64, 3, 2] {
        let (actor, _) = common::probe(&system).await;
        releases.push(block(&actor).await);
        for n in 0..depth {
            actor.tell(Cmd::Echo(n)).await.unwrap();
        }
        actors.push(actor);
    }
    let view = system.inspect();
    let busiest: Vec<(ActorId, usize)> =
        view.busiest(2).iter().map(|node| (node.id, node.mailbox_depth)).collect();
    assert_eq!(busiest, [(actors[1].id(), 3), (actors[2].id(), 2)]);
    drop(releases);
    system.shutdown().await;
}

#[tokio::test]
async fn i4_an_actor_labelled_by_its_id_shows_it_once() {
    let system = ActorSystem::new();
    let idle = system.spawn::<Idle>(()).await.unwrap();
    idle.tell(()).await.unwrap();
    let text = system.inspect().roots[0].render();
    assert!(text.starts_with(&format!("{} Idle ", idle.id())), "{text}");
    assert_eq!(text.matches(&idle.id().to_string()).count(), 1, "{text}");
    system.shutdown().await;
}

// ------------------------------------------------------------ I1, an adopted child

/// I1: an actor a supervisor's start function hands over (spawned before the supervisor, so
/// with a lower id) is still placed under that supervisor, not listed as a root.
#[tokio::test]
async fn i1_an_adopted_child_with_a_lower_id_is_placed_under_its_supervisor() {
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
