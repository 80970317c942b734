//! Chapter B of `docs/semantics.md`: the budget for messages waiting in unbounded mailboxes,
//! one test (or more) per rule, named after it.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::mailbox::{BudgetPolicy, DEFAULT_MESSAGE_BUDGET};
#[cfg(feature = "metrics")]
use airssys_rt::monitoring::export::MetricsExport;
use airssys_rt::monitoring::health::{HealthIssue, HealthStatus};
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
use airssys_rt::system::ConfigError;
#[cfg(feature = "metrics")]
use metrics_exporter_prometheus::PrometheusBuilder;
use tokio::sync::oneshot;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::Layer;

use common::record::Record;
use common::{block, Cmd, Observer, Probe, ProbeArgs};

/// A system whose actors get unbounded mailboxes, with a budget of `limit` messages.
fn system(limit: usize, policy: BudgetPolicy) -> ActorSystem {
    ActorSystem::builder()
        .mailbox(MailboxConfig::unbounded())
        .message_budget(limit)
        .over_budget(policy)
        .build()
        .unwrap()
}

/// A probe blocked in its handler, with the switch that releases it.
async fn blocked_probe(system: &ActorSystem) -> (ActorRef<Probe>, oneshot::Sender<()>) {
    let actor = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
    let release = block(&actor).await;
    (actor, release)
}

/// Releases a blocked probe and waits until it has handled every message waiting: until then a
/// spent budget would refuse the `ask` that tells.
async fn release_and_drain(actor: &ActorRef<Probe>, release: oneshot::Sender<()>) {
    release.send(()).unwrap();
    while actor.mailbox_len() > 0 {
        tokio::task::yield_now().await;
    }
    actor.ask(Cmd::Echo(0)).await.unwrap();
}

/// Sends `count` messages with `try_tell`; returns how many were queued.
fn flood(actor: &ActorRef<Probe>, count: u64) -> usize {
    (0..count).filter(|&n| actor.try_tell(Cmd::Echo(n)).is_ok()).count()
}

// ---------------------------------------------------------------- B1

#[tokio::test]
async fn b1_the_budget_is_set_by_the_builder_and_bounded_mailboxes_do_not_count() {
    assert_eq!(DEFAULT_MESSAGE_BUDGET, 4_194_304);
    let default = ActorSystem::new();
    assert_eq!(default.config().message_budget(), DEFAULT_MESSAGE_BUDGET);
    assert_eq!(default.config().over_budget(), BudgetPolicy::Reject);
    assert!(matches!(
        ActorSystem::builder().message_budget(0).build(),
        Err(ConfigError::ZeroMessageBudget)
    ));

    let system = ActorSystem::builder().message_budget(4).build().unwrap();
    assert_eq!(system.config().message_budget(), 4);
    let bounded = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
    let release = block(&bounded).await;
    assert_eq!(flood(&bounded, 100), 100, "a bounded mailbox is bounded by its capacity only");
    let stats = system.statistics();
    assert_eq!((stats.budget_in_use, stats.over_budget_refused), (0, 0));
    release_and_drain(&bounded, release).await;
}

#[tokio::test]
async fn b1_supervisors_work_on_while_the_budget_is_spent() {
    let system = system(10, BudgetPolicy::Reject);
    let spec = SupervisorSpec::new(Strategy::OneForOne);
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let (actor, release) = blocked_probe(&system).await;
    flood(&actor, 100);
    assert!(actor.try_tell(Cmd::Echo(0)).is_err(), "the budget is spent");
    let child = ChildSpec::worker::<Probe>("late", ProbeArgs::new());
    let started = supervisor.start_child(child).await.unwrap();
    assert!(started.is_some(), "the supervisor took the request and started the child");
    assert_eq!(supervisor.health().await.status, HealthStatus::Healthy);
    release_and_drain(&actor, release).await;
}

#[tokio::test]
async fn b1_a_mailbox_outside_the_budget_is_never_refused_by_it() {
    let system = system(10, BudgetPolicy::Reject);
    let (spent, release_spent) = blocked_probe(&system).await;
    flood(&spent, 100);
    assert!(spent.try_tell(Cmd::Echo(0)).is_err(), "the budget is spent");
    let options = SpawnOptions::new().mailbox(MailboxConfig::unbounded().outside_budget());
    let outside = system.spawn_with::<Probe>(options, ProbeArgs::new()).await.unwrap();
    let release_outside = block(&outside).await;
    assert_eq!(flood(&outside, 100), 100, "queued past the spent budget");
    let stats = system.statistics();
    assert_eq!(stats.budget_in_use, 10, "none of them counted");
    release_and_drain(&spent, release_spent).await;
    release_and_drain(&outside, release_outside).await;
}

// ---------------------------------------------------------------- B2

#[tokio::test]
async fn b2_a_flood_is_held_at_the_budget() {
    let system = system(1000, BudgetPolicy::Reject);
    // Another actor took a message, and keeps the spare slots it leased: a spent budget takes
    // them back before it refuses anything.
    let bystander = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
    bystander.ask(Cmd::Echo(0)).await.unwrap();
    assert!(system.statistics().budget_in_use > 0);

    let (actor, release) = blocked_probe(&system).await;
    assert_eq!(flood(&actor, 100_000), 1000);
    assert_eq!(actor.mailbox_len(), 1000);
    let stats = system.statistics();
    assert_eq!(stats.budget_in_use, 1000, "exact once the budget has run short");
    assert_eq!(stats.over_budget_refused, 99_000);

    release_and_drain(&actor, release).await;
    assert_eq!(actor.mailbox_len(), 0);
    assert!(system.statistics().budget_in_use <= 750, "taken messages give their slots back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2_many_senders_to_many_mailboxes_never_exceed_the_budget() {
    const LIMIT: usize = 10_000;
    let system = system(LIMIT, BudgetPolicy::Reject);
    let mut actors = Vec::new();
    let mut releases = Vec::new();
    for _ in 0..4 {
        let (actor, release) = blocked_probe(&system).await;
        actors.push(actor);
        releases.push(release);
    }
    let queued = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for sender in 0..8 {
        let actor = actors[sender % actors.len()].clone();
        let queued = Arc::clone(&queued);
        senders.push(tokio::spawn(async move {
            for n in 0..20_000 {
                if actor.tell(Cmd::Echo(n)).await.is_ok() {
                    queued.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    let waiting: usize = actors.iter().map(ActorRef::mailbox_len).sum();
    let stats = system.statistics();
    assert_eq!(waiting, queued.load(Ordering::Relaxed));
    assert!(waiting <= LIMIT, "{waiting} messages wait, over the budget of {LIMIT}");
    assert!(stats.budget_in_use as usize >= waiting && stats.budget_in_use as usize <= LIMIT);
    assert_eq!(stats.over_budget_refused as usize, 160_000 - waiting);
    for (actor, release) in actors.iter().zip(releases) {
        release_and_drain(actor, release).await;
    }
}

// ---------------------------------------------------------------- B3

#[tokio::test(start_paused = true)]
async fn b3_1_reject_hands_the_message_back_at_once() {
    let system = system(10, BudgetPolicy::Reject);
    let (actor, release) = blocked_probe(&system).await;
    assert_eq!(flood(&actor, 10), 10);
    assert!(matches!(actor.try_tell(Cmd::Echo(11)), Err(SendError::Full(Cmd::Echo(11)))));
    assert!(matches!(actor.tell(Cmd::Echo(12)).await, Err(SendError::Full(Cmd::Echo(12)))));
    // On paused time a waiting ask would time out instead: `Full` says it did not wait.
    assert!(matches!(actor.ask(Cmd::Echo(13)).await, Err(AskError::Full(Cmd::Echo(13)))));
    let blocking = actor.clone();
    let told = tokio::task::spawn_blocking(move || blocking.blocking_tell(Cmd::Echo(14)));
    assert!(matches!(told.await.unwrap(), Err(SendError::Full(Cmd::Echo(14)))));
    assert_eq!(system.dead_letters().count(), 0, "refused messages are no dead letters");
    release_and_drain(&actor, release).await;
}

#[tokio::test(start_paused = true)]
async fn b3_2_shed_makes_the_message_a_dead_letter() {
    let system = system(10, BudgetPolicy::Shed);
    let (actor, release) = blocked_probe(&system).await;
    assert_eq!(flood(&actor, 12), 12, "shed sends return Ok");
    actor.tell(Cmd::Echo(13)).await.unwrap();
    assert!(matches!(actor.ask(Cmd::Echo(14)).await, Err(AskError::Dropped)));
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 4);
    assert!(letters
        .iter()
        .all(|letter| letter.reason == DeadLetterReason::BudgetExceeded
            && letter.target == actor.id()));
    assert_eq!(letters.iter().filter(|letter| letter.was_ask).count(), 1);
    release_and_drain(&actor, release).await;
}

#[tokio::test(start_paused = true)]
async fn b3_a_timer_message_over_budget_is_shed_under_either_policy() {
    let system = system(10, BudgetPolicy::Reject);
    let (actor, release) = blocked_probe(&system).await;
    assert_eq!(flood(&actor, 10), 10);
    let _timer = actor.send_after(Duration::from_secs(1), Cmd::Echo(99));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::BudgetExceeded);
    assert_eq!(system.statistics().over_budget_shed, 1);
    release_and_drain(&actor, release).await;
}

/// Takes publications of numbers, and does nothing with them.
struct Reader;

#[actor(messages(Publication<u64>))]
impl Actor for Reader {}

impl Handler<Publication<u64>> for Reader {
    type Reply = ();
    async fn handle(&mut self, _: Publication<u64>, _: &mut Context<Self>) {}
}

#[tokio::test]
async fn b3_a_publication_over_budget_is_shed_under_either_policy() {
    for policy in [BudgetPolicy::Reject, BudgetPolicy::Shed] {
        let system = system(10, policy);
        let subscriber = system.spawn::<Reader>(Reader).await.unwrap();
        let broker = system.broker::<u64>();
        broker.subscribe("readings", &subscriber).unwrap();
        let (actor, release) = blocked_probe(&system).await;
        assert_eq!(flood(&actor, 10), 10);
        let report = broker.publish("readings", 1).await.unwrap();
        assert_eq!((report.matched, report.delivered, report.missed), (1, 0, 1));
        // Nobody to hand it back to: shed as a timer's message is, and counted so.
        let letters = system.dead_letters().recent();
        assert_eq!(letters.len(), 1, "{policy:?}");
        assert_eq!(letters[0].target, subscriber.id());
        assert_eq!(letters[0].reason, DeadLetterReason::BudgetExceeded, "{policy:?}");
        let stats = system.statistics();
        assert_eq!((stats.over_budget_refused, stats.over_budget_shed), (0, 1), "{policy:?}");
        release_and_drain(&actor, release).await;
    }
}

// ---------------------------------------------------------------- B4

#[tokio::test]
async fn b4_signals_are_never_refused_by_the_budget() {
    let system = system(100, BudgetPolicy::Reject);
    let (observer, downs) = Observer::spawn(&system, |_, down| down.reason.clone()).await;
    let watched = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
    observer.tell(watched.clone()).await.unwrap();
    let (killed, _never) = blocked_probe(&system).await;
    let (stopped, release) = blocked_probe(&system).await;
    flood(&stopped, 1000);
    assert!(stopped.try_tell(Cmd::Echo(0)).is_err(), "the budget is spent");

    stopped.stop();
    killed.kill();
    watched.stop();
    assert_eq!(killed.wait_for_exit().await, ExitReason::Killed);
    assert_eq!(downs.wait_for_len(1).await, vec![ExitReason::Normal], "the down notice came");
    release.send(()).unwrap();
    assert_eq!(stopped.wait_for_exit().await, ExitReason::Normal);
    assert_eq!(system.dead_letters().count(), 100, "what waited became dead letters");
    assert_eq!(system.statistics().budget_in_use, 0, "the ended actor gave its slots back");
}

// ---------------------------------------------------------------- B5

#[tokio::test]
async fn b5_refused_and_shed_sends_are_counted_and_exported() {
    let rejecting = system(10, BudgetPolicy::Reject);
    let (actor, release) = blocked_probe(&rejecting).await;
    assert_eq!(flood(&actor, 15), 10);
    let stats = rejecting.statistics();
    assert_eq!((stats.over_budget_refused, stats.over_budget_shed), (5, 0));
    assert_eq!((stats.budget_in_use, stats.dead_letters), (10, 0));
    assert_budget_exported(&rejecting);
    release_and_drain(&actor, release).await;

    let shedding = system(10, BudgetPolicy::Shed);
    let (actor, release) = blocked_probe(&shedding).await;
    flood(&actor, 15);
    let stats = shedding.statistics();
    assert_eq!((stats.over_budget_refused, stats.over_budget_shed), (0, 5));
    assert_eq!(stats.dead_letters, 5);
    release_and_drain(&actor, release).await;
}

/// B5's export half: the budget's counters reach a Prometheus scrape.
#[cfg(feature = "metrics")]
fn assert_budget_exported(rejecting: &ActorSystem) {
    let recorder = PrometheusBuilder::new().build_recorder();
    let mut export = MetricsExport::new(rejecting);
    metrics::with_local_recorder(&recorder, || export.export());
    let scrape = recorder.handle().render();
    let value = |series: &str| {
        scrape.lines().find_map(|line| line.strip_prefix(series)?.trim().parse::<f64>().ok())
    };
    assert_eq!(value("airssys_message_budget_in_use "), Some(10.0), "{scrape}");
    assert_eq!(value("airssys_message_budget_limit "), Some(10.0));
    assert_eq!(value("airssys_over_budget_sends_total{outcome=\"refused\"} "), Some(5.0));
    assert_eq!(value("airssys_over_budget_sends_total{outcome=\"shed\"} "), Some(0.0));
}

/// Without the `metrics` feature there is no export to check (`cargo test --workspace` has it).
#[cfg(not(feature = "metrics"))]
fn assert_budget_exported(_rejecting: &ActorSystem) {}

// ---------------------------------------------------------------- B6

#[tokio::test]
async fn b6_health_is_degraded_until_three_quarters_of_the_budget_are_free() {
    let system = system(100, BudgetPolicy::Reject);
    let (actor, release) = blocked_probe(&system).await;
    // 23 messages, a second block, 76 more: taking the block leaves 76 slots in use, one more
    // than three quarters of the budget.
    let (entered, entered_rx) = oneshot::channel();
    let (second_release, second_block) = oneshot::channel();
    assert_eq!(flood(&actor, 23), 23);
    actor.try_tell(Cmd::Block { entered, release: second_block }).unwrap();
    assert_eq!(flood(&actor, 76), 76);
    assert_eq!(system.health().await.status, HealthStatus::Healthy, "full is not over");

    assert!(actor.try_tell(Cmd::Echo(100)).is_err());
    let report = system.health().await;
    assert_eq!(report.status, HealthStatus::Degraded);
    assert_eq!(report.issues, vec![HealthIssue::OverBudget { limit: 100 }]);
    assert_eq!(
        report.to_string(),
        "system: degraded (over the message budget of 100 queued messages)\n"
    );

    release.send(()).unwrap();
    entered_rx.await.unwrap();
    assert_eq!(system.statistics().budget_in_use, 76);
    assert_eq!(system.health().await.status, HealthStatus::Degraded, "76 of 100 still in use");
    actor.try_tell(Cmd::Echo(101)).unwrap(); // a free slot is used meanwhile
    assert_eq!(system.health().await.status, HealthStatus::Degraded);

    release_and_drain(&actor, second_release).await;
    let report = system.health().await;
    assert_eq!(report.status, HealthStatus::Healthy, "{report}");
    assert!(report.issues.is_empty());
}

// ---------------------------------------------------------------- B7

/// Records the level of every event with target `airssys_rt::budget`, and its message.
#[derive(Clone, Default)]
struct BudgetEvents(Record<(Level, String)>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for BudgetEvents {
    fn on_event(&self, event: &Event<'_>, _: LayerContext<'_, S>) {
        if event.metadata().target() == "airssys_rt::budget" {
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.push((*event.metadata().level(), message.0));
        }
    }
}

#[tokio::test]
async fn b7_one_warning_per_crossing() {
    let events = BudgetEvents::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));
    let system = system(100, BudgetPolicy::Reject);
    let actor = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
    for crossing in 1..=2 {
        let release = block(&actor).await;
        assert_eq!(flood(&actor, 1000), 100);
        let levels: Vec<Level> = events.0.items().into_iter().map(|(level, _)| level).collect();
        let mut expected = [Level::WARN, Level::INFO].repeat(crossing - 1);
        expected.push(Level::WARN);
        assert_eq!(levels, expected, "crossing {crossing}: one warning for 900 refusals");
        release_and_drain(&actor, release).await;
        assert_eq!(events.0.items().last().map(|(level, _)| *level), Some(Level::INFO));
    }
    let (_, warning) = &events.0.items()[0];
    assert!(warning.contains("message budget"), "{warning}");
}

#[tokio::test(start_paused = true)]
async fn b3_a_timer_message_is_queued_while_only_spare_slots_fill_the_budget() {
    let system = system(128, BudgetPolicy::Reject);
    // Two actors took a message each: each keeps the 64 slots it leased, and the budget is
    // all spare slots, with no message waiting.
    for _ in 0..2 {
        let bystander = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
        bystander.ask(Cmd::Echo(0)).await.unwrap();
        std::mem::forget(bystander);
    }
    assert_eq!(system.statistics().budget_in_use, 128);
    let (actor, journal) = common::probe(&system).await;
    let _timer = actor.send_after(Duration::from_secs(1), Cmd::Echo(7));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(system.dead_letters().count(), 0, "{:?}", system.dead_letters().recent());
    assert_eq!(journal.handled(), vec![7]);
    assert_eq!(system.statistics().over_budget_shed, 0);
    assert_eq!(system.health().await.status, HealthStatus::Healthy);
}

/// Panics on every event with target `airssys_rt::budget`: a subscriber is user code.
struct PanicsOnBudgetEvents;

impl<S: Subscriber> Layer<S> for PanicsOnBudgetEvents {
    fn on_event(&self, event: &Event<'_>, _: LayerContext<'_, S>) {
        if event.metadata().target() == "airssys_rt::budget" {
            panic!("the subscriber panicked on purpose");
        }
    }
}

#[tokio::test]
async fn b7_a_subscriber_that_panics_on_the_budget_events_stops_no_actor_and_no_sender() {
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(PanicsOnBudgetEvents));
    let system = system(100, BudgetPolicy::Reject);
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn::<Probe>(args).await.unwrap();
    for crossing in 0..2 {
        let release = block(&actor).await;
        assert_eq!(flood(&actor, 100), 100);
        // The warning of the crossing is emitted in the sender.
        assert!(matches!(actor.try_tell(Cmd::Echo(0)), Err(SendError::Full(_))));
        if crossing == 0 {
            // Taking the messages brings the budget back: the info event is emitted in the
            // actor, as it takes one.
            release_and_drain(&actor, release).await;
            assert!(actor.is_alive(), "the actor runs on");
        } else {
            // Its end gives the slots back: the info event is emitted on its way to the end.
            actor.stop();
            release.send(()).unwrap();
            assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
            assert!(journal.events().contains(&common::Event::PostStop(ExitReason::Normal)));
        }
        assert_eq!(system.health().await.status, HealthStatus::Healthy);
    }
    assert_eq!(system.statistics().budget_in_use, 0);
}
