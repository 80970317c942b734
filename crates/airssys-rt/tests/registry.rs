//! Rules N1-N9 of docs/semantics.md: the name registry.

mod common;

use std::sync::Arc;

use airssys_rt::prelude::*;
use airssys_rt::registry::{LookupError, NameProblem, RegistryError, MAX_NAME_BYTES};
use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};

use common::{Cmd, Idle, Observer, Probe, ProbeArgs};

async fn probe(system: &ActorSystem) -> ActorRef<Probe> {
    common::probe(system).await.0
}

#[tokio::test]
async fn n1_a_registered_actor_is_found_by_its_name() {
    let system = ActorSystem::new();
    let spawned = system.spawn_named::<Probe>("spawned", ProbeArgs::new()).await.unwrap();
    let later = probe(&system).await;
    system.registry().register("later", &later).unwrap();

    let found: ActorRef<Probe> = system.registry().lookup("later").unwrap();
    assert_eq!(found, later);
    assert_eq!(found.ask(Cmd::Echo(7)).await.unwrap(), 7);
    assert_eq!(system.lookup::<Probe>("spawned").unwrap(), spawned);
    assert_eq!(system.registry().whereis("later"), Some(later.id()));
    let mut names = system.registry().registered();
    names.sort();
    assert_eq!(names, vec![Arc::<str>::from("later"), Arc::from("spawned")]);
    assert_eq!(later.name().as_deref(), Some("later"));
    system.shutdown().await;
}

#[tokio::test]
async fn n2_a_lookup_of_the_wrong_type_or_an_unknown_name_is_an_error() {
    let system = ActorSystem::new();
    let other = system.spawn::<Idle>(()).await.unwrap();
    system.registry().register("other", &other).unwrap();

    match system.registry().lookup::<Probe>("other") {
        Err(LookupError::WrongType { name, expected, actual }) => {
            assert_eq!(name, "other");
            assert!(expected.ends_with("Probe"), "{expected}");
            assert!(actual.ends_with("Idle"), "{actual}");
        }
        other => panic!("expected WrongType, got {:?}", other.map(|a| a.id())),
    }
    assert_eq!(
        system.registry().lookup::<Idle>("nobody").unwrap_err(),
        LookupError::NotFound("nobody".into())
    );
    system.shutdown().await;
}

#[tokio::test]
async fn n3_a_taken_name_is_refused_naming_its_owner() {
    let system = ActorSystem::new();
    let owner = probe(&system).await;
    let newcomer = probe(&system).await;
    system.registry().register("db", &owner).unwrap();

    assert_eq!(
        system.registry().register("db", &newcomer),
        Err(RegistryError::NameTaken { name: "db".into(), owner: owner.id() })
    );
    match system.spawn_named::<Probe>("db", ProbeArgs::new()).await {
        Err(SpawnError::NameTaken { name, owner: held_by }) => {
            assert_eq!(&*name, "db");
            assert_eq!(held_by, owner.id());
        }
        other => panic!("expected NameTaken, got {:?}", other.map(|a| a.id())),
    }
    assert_eq!(system.registry().whereis("db"), Some(owner.id()));
    assert_eq!(newcomer.name(), None);
    system.shutdown().await;
}

#[tokio::test]
async fn n4_an_actor_has_at_most_one_name() {
    let system = ActorSystem::new();
    let actor = system.spawn_named::<Probe>("first", ProbeArgs::new()).await.unwrap();
    assert_eq!(
        system.registry().register("second", &actor),
        Err(RegistryError::AlreadyNamed { actor: actor.id(), name: "first".into() })
    );
    assert_eq!(system.registry().whereis("second"), None);
    assert_eq!(actor.name().as_deref(), Some("first"));
    system.shutdown().await;
}

#[tokio::test]
async fn n5_unregister_takes_the_name_and_the_actor_runs_on() {
    let system = ActorSystem::new();
    let actor = system.spawn_named::<Probe>("cache", ProbeArgs::new()).await.unwrap();
    assert_eq!(system.registry().unregister("cache"), Ok(actor.id()));
    assert_eq!(actor.name(), None);
    assert_eq!(system.registry().whereis("cache"), None);
    assert_eq!(actor.ask(Cmd::Echo(1)).await.unwrap(), 1);
    assert_eq!(
        system.registry().unregister("cache"),
        Err(RegistryError::NotRegistered("cache".into()))
    );
    // The name is free again, and the actor may take another one.
    system.registry().register("cache2", &actor).unwrap();
    system.shutdown().await;
}

#[tokio::test]
async fn n6_an_actor_that_stopped_cannot_be_registered() {
    let system = ActorSystem::new();
    let actor = probe(&system).await;
    actor.stop();
    actor.wait_for_exit().await;
    assert_eq!(
        system.registry().register("late", &actor),
        Err(RegistryError::NotAlive(actor.id()))
    );
    assert_eq!(system.registry().whereis("late"), None);
}

#[tokio::test]
async fn n7_a_registration_keeps_its_actor_alive_until_unregistered() {
    let system = ActorSystem::new();
    let actor = probe(&system).await;
    system.registry().register("kept", &actor).unwrap();
    let (observer, downs) = Observer::spawn(&system, |_, down| down.reason.clone()).await;
    observer.ask(actor.clone()).await.unwrap();
    let weak = actor.downgrade();
    drop(actor);
    // Still reachable, and it still answers.
    let found: ActorRef<Probe> = system.lookup("kept").unwrap();
    assert_eq!(found.ask(Cmd::Echo(3)).await.unwrap(), 3);
    drop(found);
    assert!(weak.is_alive());
    assert!(downs.items().is_empty());

    // With neither a handle nor a name, nobody can send to it: it ends normally.
    system.registry().unregister("kept").unwrap();
    assert_eq!(downs.wait_for_len(1).await, vec![ExitReason::Normal]);
    system.shutdown().await;
}

#[tokio::test]
async fn n8_the_name_is_free_before_the_end_is_announced() {
    let system = ActorSystem::new();
    let actor = system.spawn_named::<Probe>("successor", ProbeArgs::new()).await.unwrap();
    let successor = system.spawn::<Idle>(()).await.unwrap();
    let (observer, seen) = {
        let successor = successor.clone();
        Observer::spawn(&system, move |system, down| {
            let holder = system.registry().whereis("successor");
            (down.reason.clone(), holder, system.registry().register("successor", &successor))
        })
        .await
    };
    observer.ask(actor.clone()).await.unwrap();
    actor.ask(Cmd::Panic).await.unwrap_err();
    let seen = seen.wait_for_len(1).await;
    let (reason, holder, registered) = &seen[0];
    assert!(matches!(reason, ExitReason::Panicked(_)));
    assert_eq!(*holder, None, "the name outlived its actor");
    assert_eq!(*registered, Ok(()));
    assert_eq!(system.registry().whereis("successor"), Some(successor.id()));
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n8_a_register_racing_the_exit_never_outlives_the_actor() {
    let system = ActorSystem::new();
    for round in 0..500 {
        let actor = probe(&system).await;
        let name = format!("racer-{round}");
        let stopper = {
            let actor = actor.clone();
            tokio::spawn(async move { actor.stop() })
        };
        let registered = system.registry().register(name.as_str(), &actor);
        stopper.await.unwrap();
        actor.wait_for_exit().await;
        match registered {
            Ok(()) | Err(RegistryError::NotAlive(_)) => {}
            Err(other) => panic!("unexpected {other}"),
        }
        assert_eq!(system.registry().whereis(&name), None, "round {round}");
    }
    assert!(system.registry().registered().is_empty());
    assert_eq!(system.actor_count(), 0);
}

#[tokio::test]
async fn n9_a_name_that_is_empty_too_long_or_holds_a_control_character_or_a_slash_is_refused() {
    let system = ActorSystem::new();
    let actor = probe(&system).await;
    let too_long = "n".repeat(MAX_NAME_BYTES + 1);
    let four_mib = "n".repeat(4 << 20);
    let refused = [
        ("", NameProblem::Empty),
        (too_long.as_str(), NameProblem::TooLong(MAX_NAME_BYTES)),
        (four_mib.as_str(), NameProblem::TooLong(MAX_NAME_BYTES)),
        ("nul\0", NameProblem::ControlCharacter(3)),
        ("tab\there", NameProblem::ControlCharacter(3)),
        ("é\u{85}", NameProblem::ControlCharacter(2)),
        ("root/pool", NameProblem::Slash(4)),
    ];
    for (name, problem) in refused {
        assert_eq!(
            system.registry().register(name, &actor),
            Err(RegistryError::InvalidName(problem))
        );
        match system.spawn_named::<Probe>(name, ProbeArgs::new()).await {
            Err(SpawnError::InvalidName(refused)) => assert_eq!(refused, problem),
            other => panic!("expected InvalidName, got {:?}", other.map(|a| a.id())),
        }
        let options = SpawnOptions::new().name(name);
        match system.spawn_with::<Probe>(options.clone(), ProbeArgs::new()).await {
            Err(SpawnError::InvalidName(refused)) => assert_eq!(refused, problem),
            other => panic!("expected InvalidName, got {:?}", other.map(|a| a.id())),
        }
        let spec = SupervisorSpec::new(Strategy::OneForOne);
        match Supervisor::start_with(&system, options.clone(), spec).await {
            Err(SpawnError::InvalidName(refused)) => assert_eq!(refused, problem),
            other => panic!("expected InvalidName, got {:?}", other.map(|s| s.actor().id())),
        }
        // A supervised child named so fails to start, and so does its supervisor (T10).
        let child = ChildSpec::worker_with::<Probe>("probe", options, ProbeArgs::new());
        let spec = SupervisorSpec::new(Strategy::OneForOne).child(child);
        assert!(matches!(Supervisor::start(&system, spec).await, Err(SpawnError::StartFailed(_))));
    }
    assert!(system.registry().registered().is_empty());
    assert_eq!(actor.name(), None);
    assert_eq!(system.actor_count(), 1);

    // The longest name, and names beyond ASCII, are names.
    let longest = "n".repeat(MAX_NAME_BYTES);
    system.registry().register(longest.as_str(), &actor).unwrap();
    let other = system.spawn_named::<Probe>("größe-ü", ProbeArgs::new()).await.unwrap();
    assert_eq!(other.name().as_deref(), Some("größe-ü"));
    assert_eq!(system.registry().whereis(&longest), Some(actor.id()));
    system.shutdown().await;
}
