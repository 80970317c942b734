//! Rules G1-G5 of docs/semantics.md: process groups.

mod common;

use std::sync::Arc;

use airssys_rt::pg::GroupError;
use airssys_rt::prelude::*;

use common::{Cmd, Idle, Observer, Probe};

async fn probe(system: &ActorSystem) -> ActorRef<Probe> {
    common::probe(system).await.0
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

#[tokio::test]
async fn g1_joined_actors_are_listed_and_reachable() {
    let system = ActorSystem::new();
    let groups = system.groups();
    let a = probe(&system).await;
    let b = probe(&system).await;
    groups.join("workers", &a).unwrap();
    groups.join("workers", &b).unwrap();

    assert_eq!(groups.member_ids("workers"), sorted(vec![a.id(), b.id()]));
    assert_eq!(groups.which_groups(), vec![Arc::<str>::from("workers")]);
    let members = groups.members::<Probe>("workers");
    assert_eq!(sorted(members.iter().map(ActorRef::id).collect()), sorted(vec![a.id(), b.id()]));
    for member in &members {
        assert_eq!(member.ask(Cmd::Echo(5)).await.unwrap(), 5);
    }
    assert!(groups.members::<Probe>("nobody").is_empty());
    system.shutdown().await;
}

#[tokio::test]
async fn g2_many_groups_per_actor_joining_twice_is_once_and_empty_groups_vanish() {
    let system = ActorSystem::new();
    let groups = system.groups();
    let a = probe(&system).await;
    groups.join("red", &a).unwrap();
    groups.join("red", &a).unwrap();
    groups.join("blue", &a).unwrap();
    assert_eq!(groups.member_ids("red"), vec![a.id()]);
    assert_eq!(groups.which_groups(), vec![Arc::<str>::from("blue"), Arc::from("red")]);

    assert!(groups.leave("red", &a));
    assert!(!groups.leave("red", &a), "one leave undoes any number of joins");
    assert!(groups.member_ids("red").is_empty());
    assert_eq!(groups.which_groups(), vec![Arc::<str>::from("blue")]);
    system.shutdown().await;
}

#[tokio::test]
async fn g3_members_lists_only_the_type_asked_for() {
    let system = ActorSystem::new();
    let groups = system.groups();
    let a = probe(&system).await;
    let other = system.spawn::<Idle>(()).await.unwrap();
    groups.join("mixed", &a).unwrap();
    groups.join("mixed", &other).unwrap();
    assert_eq!(groups.members::<Probe>("mixed"), vec![a.clone()]);
    assert_eq!(groups.members::<Idle>("mixed"), vec![other.clone()]);
    assert_eq!(groups.member_ids("mixed").len(), 2);
    system.shutdown().await;
}

#[tokio::test]
async fn g4_an_ending_actor_leaves_every_group_before_its_end_is_announced() {
    let system = ActorSystem::new();
    let groups = system.groups();
    let a = probe(&system).await;
    let names: Vec<Arc<str>> = vec!["one".into(), "two".into(), "three".into()];
    for name in &names {
        groups.join(Arc::clone(name), &a).unwrap();
    }
    let (observer, seen) = Observer::spawn(&system, move |system, down| {
        let still_in: Vec<Arc<str>> = names
            .iter()
            .filter(|group| system.groups().member_ids(group).contains(&down.actor))
            .cloned()
            .collect();
        (down.reason.clone(), still_in)
    })
    .await;
    observer.ask(a.clone()).await.unwrap();

    a.ask(Cmd::Panic).await.unwrap_err();
    let seen = seen.wait_for_len(1).await;
    assert!(matches!(seen[0].0, ExitReason::Panicked(_)));
    assert!(seen[0].1.is_empty(), "still in {:?} when the notice came", seen[0].1);
    assert!(groups.which_groups().is_empty());
    assert_eq!(groups.join("one", &a), Err(GroupError::NotAlive(a.id())));
    assert!(groups.which_groups().is_empty());
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g4_a_join_racing_the_exit_never_outlives_the_actor() {
    let system = ActorSystem::new();
    for round in 0..500 {
        let actor = probe(&system).await;
        let stopper = {
            let actor = actor.clone();
            tokio::spawn(async move { actor.stop() })
        };
        let first = system.groups().join("racers", &actor);
        let second = system.groups().join(format!("racer-{round}"), &actor);
        stopper.await.unwrap();
        actor.wait_for_exit().await;
        for joined in [first, second] {
            assert!(matches!(joined, Ok(()) | Err(GroupError::NotAlive(_))));
        }
        assert!(system.groups().which_groups().is_empty(), "round {round}");
    }
    assert_eq!(system.actor_count(), 0);
}

#[tokio::test]
async fn g5_membership_keeps_an_actor_alive_until_it_leaves() {
    let system = ActorSystem::new();
    let a = probe(&system).await;
    system.groups().join("keepers", &a).unwrap();
    let (observer, seen) = Observer::spawn(&system, |_, down| down.reason.clone()).await;
    observer.ask(a.clone()).await.unwrap();
    let weak = a.downgrade();
    drop(a);
    let member = system.groups().members::<Probe>("keepers").pop().unwrap();
    assert_eq!(member.ask(Cmd::Echo(9)).await.unwrap(), 9);
    assert!(weak.is_alive());
    assert!(seen.items().is_empty());

    assert!(system.groups().leave("keepers", &member));
    drop(member);
    assert_eq!(seen.wait_for_len(1).await, vec![ExitReason::Normal]);
    system.shutdown().await;
}
