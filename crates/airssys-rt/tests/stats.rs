//! Statistics (docs/semantics.md, chapter X): each test is named after the rule it checks.

mod common;

use std::time::Duration;

use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
use airssys_rt::monitoring::stats::SAMPLE_EVERY;
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{ChildSpec, Shutdown, Strategy, Supervisor, SupervisorSpec};

use common::{block, Cmd, Event, Hook, Probe, ProbeArgs};

fn with_statistics() -> ActorSystem {
    ActorSystem::builder().statistics(true).build().unwrap()
}

async fn probe(system: &ActorSystem) -> ActorRef<Probe> {
    system.spawn::<Probe>(ProbeArgs::new()).await.unwrap()
}

#[tokio::test]
async fn x1_system_counts_actors_started_alive_and_stopped() {
    // Kept with per-actor statistics off, too.
    let system = ActorSystem::new();
    let a = probe(&system).await;
    let b = probe(&system).await;
    let refused = system.spawn::<Probe>(ProbeArgs::new().failing_in(Hook::PreStart)).await;
    assert!(refused.is_err());
    let stats = system.statistics();
    assert_eq!((stats.alive, stats.started, stats.stopped), (2, 3, 1));

    a.stop();
    a.wait_for_exit().await;
    let stats = system.statistics();
    assert_eq!((stats.alive, stats.started, stats.stopped), (1, 3, 2));

    drop(b);
    system.shutdown().await;
    let stats = system.statistics();
    assert_eq!((stats.alive, stats.started, stats.stopped), (0, 3, 3));
    assert_eq!(stats.alive, stats.started - stats.stopped);
}

#[tokio::test]
async fn x2_crashes_are_counted_by_reason() {
    let system = ActorSystem::new();
    let panicking = probe(&system).await;
    let failing = probe(&system).await;
    let killed = probe(&system).await;
    let stopped = probe(&system).await;
    panicking.tell(Cmd::Panic).await.unwrap();
    failing.tell(Cmd::Fail).await.unwrap();
    killed.kill();
    stopped.stop();
    for actor in [&panicking, &failing, &killed, &stopped] {
        actor.wait_for_exit().await;
    }
    let refused = system.spawn::<Probe>(ProbeArgs::new().panicking_in(Hook::PreStart)).await;
    assert!(refused.is_err());

    let crashes = system.statistics().crashes;
    assert_eq!(
        (crashes.panicked, crashes.failed, crashes.killed, crashes.other),
        (2, 1, 1, 0),
        "the failed start counts as a panic; the normal stop is no crash"
    );
    assert_eq!(crashes.total(), 4);
    // A shutdown is a normal end.
    system.shutdown().await;
    assert_eq!(system.statistics().crashes.total(), 4);
    assert_eq!(system.statistics().stopped, 5);
}

#[tokio::test]
async fn x3_restarts_escalations_and_dead_letters_are_counted() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(2, Duration::from_secs(3600))
        .child(ChildSpec::worker::<Probe>("w", args));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();

    for restarts in 1..=2 {
        let child: ActorRef<Probe> = supervisor.child("w").await.unwrap().unwrap();
        child.tell(Cmd::Panic).await.unwrap();
        journal.wait_for_count(&Event::PreStart, restarts + 1).await;
        assert_eq!(system.statistics().restarts, restarts as u64);
    }
    assert_eq!(system.statistics().escalations, 0);

    // The third restart in the period is one too many: the supervisor gives up.
    let child: ActorRef<Probe> = supervisor.child("w").await.unwrap().unwrap();
    child.tell(Cmd::Panic).await.unwrap();
    supervisor.actor().wait_for_exit().await;
    let stats = system.statistics();
    assert_eq!((stats.restarts, stats.escalations), (2, 1));
    assert_eq!(stats.crashes.panicked, 3);

    // Dead letters: the system's figure is the sink's count.
    let (target, _) = common::probe(&system).await;
    let release = block(&target).await;
    target.tell(Cmd::Echo(1)).await.unwrap();
    target.stop();
    drop(release);
    target.wait_for_exit().await;
    assert_eq!(system.statistics().dead_letters, 1);
    assert_eq!(system.statistics().dead_letters, system.dead_letters().count());
}

#[tokio::test]
async fn x4_actor_statistics_are_off_by_default() {
    let system = ActorSystem::new();
    assert!(!system.config().statistics());
    let actor = probe(&system).await;
    actor.ask(Cmd::Echo(1)).await.unwrap();
    assert!(actor.statistics().is_none());
    assert!(system.actor_statistics().is_empty());

    let system = with_statistics();
    let actor = probe(&system).await;
    assert!(actor.statistics().is_some());
    assert_eq!(system.actor_statistics().len(), 1);
}

#[tokio::test]
async fn x5_counts_are_exact_after_a_workload_synchronised_by_an_ask() {
    let system = with_statistics();
    let actor = system.spawn_named::<Probe>("counted", ProbeArgs::new()).await.unwrap();
    for n in 0..100 {
        actor.tell(Cmd::Echo(n)).await.unwrap();
    }
    actor.ask(Cmd::Echo(100)).await.unwrap();
    let stats = actor.statistics().unwrap();
    assert_eq!((stats.handled, stats.received, stats.mailbox_depth), (101, 101, 0));
    assert_eq!(stats.id, actor.id());
    assert_eq!(stats.name.as_deref(), Some("counted"));
    assert!(stats.actor_type.ends_with("Probe"));
    assert_eq!(stats.state, ActorState::Running);

    // A message counts as handled once taken; those waiting count as received only.
    let release = block(&actor).await;
    actor.tell(Cmd::Echo(0)).await.unwrap();
    actor.tell(Cmd::Echo(0)).await.unwrap();
    let stats = actor.statistics().unwrap();
    assert_eq!((stats.handled, stats.received, stats.mailbox_depth), (102, 104, 2));
    drop(release);

    // A handler that fails still counts.
    let failing = probe(&system).await;
    failing.tell(Cmd::Echo(1)).await.unwrap();
    let _ = failing.ask(Cmd::Fail).await;
    failing.wait_for_exit().await;
    assert!(failing.statistics().is_none(), "rule X9: the figures end with the actor");
}

#[tokio::test]
async fn x6_highest_depth_is_the_most_messages_waiting_at_once() {
    let system = with_statistics();
    let actor = probe(&system).await;
    let release = block(&actor).await;
    for n in 0..5 {
        actor.tell(Cmd::Echo(n)).await.unwrap();
    }
    let stats = actor.statistics().unwrap();
    assert_eq!((stats.mailbox_depth, stats.highest_depth), (5, 5), "now, before any pop");
    drop(release);
    actor.ask(Cmd::Echo(9)).await.unwrap();
    let stats = actor.statistics().unwrap();
    // The ask queued behind the five before the actor went on: six waited at the first pop.
    assert_eq!((stats.mailbox_depth, stats.highest_depth), (0, 6), "seen at the first pop");

    let release = block(&actor).await;
    actor.tell(Cmd::Echo(0)).await.unwrap();
    drop(release);
    actor.ask(Cmd::Echo(0)).await.unwrap();
    assert_eq!(actor.statistics().unwrap().highest_depth, 6, "never lowered");
}

#[tokio::test(start_paused = true)]
async fn x7_one_handling_time_in_sample_every_is_measured_on_tokios_clock() {
    let system = with_statistics();
    let actor = probe(&system).await;
    let messages = 2 * SAMPLE_EVERY + 1;
    for _ in 0..messages - 1 {
        actor.tell(Cmd::Sleep(Duration::from_millis(10))).await.unwrap();
    }
    actor.ask(Cmd::Sleep(Duration::from_millis(10))).await.unwrap();
    let time = actor.statistics().unwrap().handling_time;
    assert_eq!(time.samples, 3, "messages 0, 32 and 64");
    assert_eq!(time.mean, Duration::from_millis(10));
    // 10 ms falls in the bucket below 256 ns << 16 (16.8 ms).
    assert_eq!(time.p50, Duration::from_nanos(256 << 16));
    assert_eq!(time.p99, Duration::from_nanos(256 << 16));
}

#[tokio::test(start_paused = true)]
async fn x7_merged_histograms_saturate_instead_of_overflowing() {
    // `Histogram::merge` is public: a program that sums the times of many actors, or of many
    // exports, must get a saturated summary, not a panic (an overflow in a debug build) or a
    // count wrapped to a small one (in a release build).
    let system = with_statistics();
    let actor = probe(&system).await;
    actor.ask(Cmd::Echo(0)).await.unwrap();
    let one = system.handling_histogram(actor.id()).unwrap();
    assert_eq!(one.summary().samples, 1);
    let mut total = one;
    for _ in 0..70 {
        let copy = total;
        total.merge(&copy);
    }
    let summary = total.summary();
    assert_eq!(summary.samples, u64::MAX);
    assert!(summary.p99 >= one.summary().p99);
}

#[tokio::test]
async fn x8_dead_letters_addressed_to_an_actor_are_counted_on_it() {
    let system = with_statistics();
    let mailbox = MailboxConfig::bounded(2).overflow(OverflowPolicy::DropNewest);
    let options = SpawnOptions::new().mailbox(mailbox);
    let actor = system.spawn_with::<Probe>(options, ProbeArgs::new()).await.unwrap();
    let bystander = probe(&system).await;
    let release = block(&actor).await;
    for n in 0..5 {
        actor.tell(Cmd::Echo(n)).await.unwrap();
    }
    let stats = actor.statistics().unwrap();
    assert_eq!((stats.dead_letters, stats.mailbox_depth), (3, 2));
    assert_eq!(system.statistics().dead_letters, 3);
    assert_eq!(bystander.statistics().unwrap().dead_letters, 0);
    drop(release);
}

#[tokio::test]
async fn x9_the_list_holds_the_live_actors_with_statistics() {
    let system = with_statistics();
    let a = probe(&system).await;
    let b = system.spawn_named::<common::Idle>("idle", ()).await.unwrap();
    let mut ids: Vec<_> = system.actor_statistics().iter().map(|stats| stats.id).collect();
    ids.sort();
    let mut expected = vec![a.id(), b.id()];
    expected.sort();
    assert_eq!(ids, expected);

    a.stop();
    a.wait_for_exit().await;
    assert!(a.statistics().is_none());
    let listed = system.actor_statistics();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name.as_deref(), Some("idle"));
    assert!(listed[0].actor_type.ends_with("Idle"));
    assert_eq!(listed[0].restarts, None);
}

#[tokio::test]
async fn x9_a_supervised_actor_reports_how_often_its_specification_was_restarted() {
    let system = with_statistics();
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10, Duration::from_secs(3600))
        .child(ChildSpec::worker::<Probe>("w", args));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    for restarts in 0..3_u64 {
        let child: ActorRef<Probe> = supervisor.child("w").await.unwrap().unwrap();
        assert_eq!(child.statistics().unwrap().restarts, Some(restarts));
        child.tell(Cmd::Panic).await.unwrap();
        journal.wait_for_count(&Event::PreStart, restarts as usize + 2).await;
    }
    assert_eq!(supervisor.actor().statistics().unwrap().restarts, None);
    system.shutdown().await;
}

// ------------------------------------------------------------ X2, a supervisor's brutal kill

/// X2 with C2: a supervisor's `BrutalKill` of a child to stop it is the child's ordinary way
/// to stop, not a crash: it is neither reported nor counted in `crashes`.
#[tokio::test]
async fn x2_a_brutal_kill_by_a_supervisor_is_not_counted_as_a_crash() {
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
