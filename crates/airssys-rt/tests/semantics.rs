//! One test (or more) per rule of `docs/semantics.md`, named after the rule.

mod common;

use std::collections::HashSet;
use std::future::{Future, IntoFuture};
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::mailbox::DEFAULT_CAPACITY;
use airssys_rt::prelude::*;
use airssys_rt::system::{ConfigError, LookupError};
use common::{block, probe, Cmd, Event, Hook, Probe, ProbeArgs, ProbeError};
use futures::FutureExt;
use tokio::sync::oneshot;

fn bounded(capacity: usize, policy: OverflowPolicy) -> SpawnOptions {
    SpawnOptions::new().mailbox(MailboxConfig::bounded(capacity).overflow(policy))
}

/// Waits, without sleeping, until `actor` has `len` messages waiting.
async fn until_queued(actor: &ActorRef<Probe>, len: usize) {
    while actor.mailbox_len() != len {
        tokio::task::yield_now().await;
    }
}

// ---------------------------------------------------------------- A. actors and lifecycle

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a1_one_message_at_a_time_under_concurrent_senders() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new();
    let (journal, max_inside) = (args.journal.clone(), args.max_inside.clone());
    let actor = system.spawn::<Probe>(args).await.unwrap();
    let mut senders = Vec::new();
    for sender in 0..8u64 {
        let actor = actor.clone();
        senders.push(tokio::spawn(async move {
            for i in 0..200 {
                actor.tell(Cmd::Overlap(sender * 1000 + i)).await.unwrap();
            }
            actor.ask(Cmd::Echo(u64::MAX)).await.unwrap();
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    assert_eq!(max_inside.load(Ordering::SeqCst), 1);
    assert_eq!(journal.handled().len(), 8 * 200 + 8);
}

#[tokio::test]
async fn a2_spawn_fails_when_pre_start_fails() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new().failing_in(Hook::PreStart);
    let journal = args.journal.clone();
    match system.spawn::<Probe>(args).await {
        Err(SpawnError::StartFailed(reason)) => {
            assert_eq!(reason.error().map(|e| e.to_string()), Some(ProbeError.to_string()))
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
    assert_eq!(system.actor_count(), 0);
    assert_eq!(journal.events(), vec![Event::PreStart]);
}

#[tokio::test]
async fn a2_spawn_fails_when_pre_start_panics() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new().panicking_in(Hook::PreStart);
    match system.spawn::<Probe>(args).await {
        Err(SpawnError::StartFailed(reason)) => {
            assert_eq!(reason, ExitReason::panicked("injected panic in PreStart"))
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
    assert_eq!(system.actor_count(), 0);
}

/// An actor whose `post_start` waits for a go-ahead.
struct SlowStarter {
    go: Option<oneshot::Receiver<()>>,
}

impl Actor for SlowStarter {
    type Msg = ();
    type Reply = ActorState;
    type Args = oneshot::Receiver<()>;
    type Error = std::convert::Infallible;

    async fn pre_start(
        go: oneshot::Receiver<()>,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(SlowStarter { go: Some(go) })
    }

    async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
        if let Some(go) = self.go.take() {
            let _ = go.await;
        }
        Ok(())
    }

    async fn handle(&mut self, _: (), ctx: &mut Context<Self>) -> Result<ActorState, Self::Error> {
        Ok(ctx.actor_ref().state())
    }
}

// Multi-thread, so the actor's task could run while the test holds the first ask pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a3_post_start_runs_before_the_first_message_and_the_state_is_starting_meanwhile() {
    let system = ActorSystem::new();
    let (go_tx, go_rx) = oneshot::channel();
    let actor = system.spawn::<SlowStarter>(go_rx).await.unwrap();
    assert_eq!(actor.state(), ActorState::Starting);
    let mut reply = Box::pin(actor.ask(()).into_future());
    assert!((&mut reply).now_or_never().is_none(), "handled a message before post_start ended");
    assert_eq!(actor.state(), ActorState::Starting);
    go_tx.send(()).unwrap();
    assert_eq!(reply.await.unwrap(), ActorState::Running);
}

#[tokio::test]
async fn a3_hooks_run_in_order() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    actor.ask(Cmd::Echo(1)).await.unwrap();
    actor.stop();
    actor.wait_for_exit().await;
    assert_eq!(
        journal.events(),
        vec![
            Event::PreStart,
            Event::PostStart,
            Event::Handled(1),
            Event::PostStop(ExitReason::Normal),
            Event::Dropped
        ]
    );
}

#[tokio::test]
async fn a4_1_stop_ends_after_the_current_message() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let release = block(&actor).await;
    actor.tell(Cmd::Echo(1)).await.unwrap();
    actor.stop();
    assert!(actor.is_alive(), "stop must wait for the message being handled");
    release.send(()).unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    assert!(journal.handled().is_empty(), "a message queued behind a stop was handled");
    assert!(journal.contains(&Event::PostStop(ExitReason::Normal)));
}

#[tokio::test]
async fn a4_1_stop_with_gives_the_reason() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    actor.stop_with(ExitReason::Shutdown);
    assert_eq!(actor.wait_for_exit().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn a4_2_context_stop_ends_after_the_handler_returns() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let release = block(&actor).await;
    let stop = actor.ask(Cmd::StopSelf);
    let next = actor.ask(Cmd::Echo(2));
    release.send(()).unwrap();
    let (stopped, next) = tokio::join!(stop, next);
    assert_eq!(stopped.unwrap(), 0, "the handler that stopped still replies");
    assert!(matches!(next, Err(AskError::Stopped(ExitReason::Normal))));
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    assert!(journal.handled().is_empty());
}

/// Blocks in its handler until released, then stops itself with each reason in turn.
struct OwnStopper;

type StopPlan = (oneshot::Sender<()>, oneshot::Receiver<()>, Vec<ExitReason>);

impl Actor for OwnStopper {
    type Msg = StopPlan;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(OwnStopper)
    }

    async fn handle(&mut self, plan: StopPlan, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        let (entered, release, reasons) = plan;
        let _ = entered.send(());
        let _ = release.await;
        for reason in reasons {
            ctx.stop_with(reason);
        }
        Ok(())
    }
}

/// Has the actor stop itself with `own` while `external` waits in its mailbox; its reason.
async fn own_stop_against(external: ExitReason, own: Vec<ExitReason>) -> ExitReason {
    let system = ActorSystem::new();
    let actor = system.spawn::<OwnStopper>(()).await.unwrap();
    let (entered_tx, entered) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    actor.tell((entered_tx, release_rx, own)).await.unwrap();
    entered.await.unwrap();
    actor.stop_with(external);
    release.send(()).unwrap();
    actor.wait_for_exit().await
}

#[tokio::test]
async fn a4_2_an_own_stop_goes_before_a_waiting_stop_of_any_reason() {
    let own = || ExitReason::panicked("own");
    for external in [ExitReason::Normal, ExitReason::Shutdown, ExitReason::panicked("theirs")] {
        assert_eq!(own_stop_against(external.clone(), vec![own()]).await, own(), "{external}");
    }
    // And the other way round: a normal own stop goes before an abnormal waiting one.
    let reason = own_stop_against(ExitReason::panicked("theirs"), vec![ExitReason::Normal]).await;
    assert_eq!(reason, ExitReason::Normal);
}

#[tokio::test]
async fn a4_2_the_first_own_stop_holds() {
    let first = ExitReason::panicked("first");
    let reasons = vec![first.clone(), ExitReason::Normal, ExitReason::panicked("third")];
    assert_eq!(own_stop_against(ExitReason::Shutdown, reasons).await, first);
    let reasons = vec![ExitReason::Shutdown, ExitReason::panicked("second")];
    assert_eq!(own_stop_against(ExitReason::Normal, reasons).await, ExitReason::Shutdown);
}

#[tokio::test]
async fn a4_3_an_error_fails_the_actor() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let _ = actor.ask(Cmd::Fail).await;
    let reason = actor.wait_for_exit().await;
    assert_eq!(reason.error().map(|e| e.to_string()), Some(ProbeError.to_string()));
    assert!(!reason.is_normal());
    assert!(journal.contains(&Event::PostStop(reason)));
}

#[tokio::test]
async fn a4_3_an_error_in_post_start_fails_the_actor() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new().failing_in(Hook::PostStart);
    let actor = system.spawn::<Probe>(args).await.unwrap();
    assert!(actor.wait_for_exit().await.error().is_some());
}

#[tokio::test]
async fn a4_4_a_panic_in_the_handler_ends_the_actor_with_its_message() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    let _ = actor.ask(Cmd::Panic).await;
    assert_eq!(actor.wait_for_exit().await, ExitReason::panicked("handler panicked on purpose"));
}

#[tokio::test]
async fn a4_4_a_panic_in_post_start_ends_the_actor() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new().panicking_in(Hook::PostStart);
    let journal = args.journal.clone();
    let actor = system.spawn::<Probe>(args).await.unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::panicked("injected panic in PostStart"));
    assert!(journal.handled().is_empty());
}

#[tokio::test]
async fn a4_5_kill_ends_with_killed() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    actor.kill();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Killed);
}

#[tokio::test]
async fn a4_6_the_last_strong_handle_gone_ends_the_actor_normally() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let weak = actor.downgrade();
    actor.tell(Cmd::Echo(7)).await.unwrap();
    drop(actor);
    journal.wait_for(Event::Dropped).await;
    assert_eq!(journal.handled(), vec![7], "queued messages are handled before it ends");
    assert!(journal.contains(&Event::PostStop(ExitReason::Normal)));
    assert!(weak.upgrade().is_none());
}

#[tokio::test]
async fn a5_post_stop_runs_once_after_the_mailbox_closed() {
    let system = ActorSystem::new();
    let args = ProbeArgs { slow_stop: Some(Duration::from_millis(50)), ..ProbeArgs::new() };
    let journal = args.journal.clone();
    let actor = system.spawn::<Probe>(args).await.unwrap();
    actor.stop();
    journal.wait_for(Event::PostStop(ExitReason::Normal)).await;
    assert!(matches!(actor.try_tell(Cmd::Echo(1)), Err(SendError::Closed(_))));
    actor.wait_for_exit().await;
    let post_stops = journal.events().iter().filter(|e| matches!(e, Event::PostStop(_))).count();
    assert_eq!(post_stops, 1);
}

#[tokio::test]
async fn a5_an_error_in_post_stop_replaces_the_reason() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Probe>(ProbeArgs::new().failing_in(Hook::PostStop)).await.unwrap();
    actor.stop();
    assert!(actor.wait_for_exit().await.error().is_some());
}

#[tokio::test]
async fn a5_a_panic_in_post_stop_replaces_the_reason() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Probe>(ProbeArgs::new().panicking_in(Hook::PostStop)).await.unwrap();
    actor.stop();
    assert_eq!(actor.wait_for_exit().await, ExitReason::panicked("injected panic in PostStop"));
}

#[tokio::test]
async fn a6_kill_interrupts_a_running_handler_and_skips_post_stop() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let release = block(&actor).await;
    actor.kill();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Killed);
    assert!(release.send(()).is_err(), "the interrupted handler should have been dropped");
    assert!(!journal.events().iter().any(|e| matches!(e, Event::PostStop(_))));
    assert!(journal.contains(&Event::Dropped));
}

#[tokio::test(start_paused = true)]
async fn a6_kill_interrupts_a_slow_post_stop() {
    let system = ActorSystem::new();
    let args = ProbeArgs { slow_stop: Some(Duration::from_secs(3600)), ..ProbeArgs::new() };
    let journal = args.journal.clone();
    let actor = system.spawn::<Probe>(args).await.unwrap();
    actor.stop();
    journal.wait_for(Event::PostStop(ExitReason::Normal)).await;
    actor.kill();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Killed);
}

#[tokio::test]
async fn a7_state_is_dropped_before_the_exit_is_visible() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    actor.stop();
    actor.wait_for_exit().await;
    assert_eq!(journal.events().last(), Some(&Event::Dropped));
    assert_eq!(actor.state(), ActorState::Stopped);
    assert_eq!(actor.exit_reason(), Some(ExitReason::Normal));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a8_a_panic_does_not_reach_other_actors_or_the_caller() {
    let system = ActorSystem::new();
    let (bystander, _) = probe(&system).await;
    for _ in 0..20 {
        let (victim, _) = probe(&system).await;
        let _ = victim.ask(Cmd::Panic).await;
        assert!(victim.wait_for_exit().await.is_panic());
        assert_eq!(bystander.ask(Cmd::Echo(3)).await.unwrap(), 3);
    }
    assert_eq!(system.actor_count(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a8_a_panic_does_not_take_down_a_current_thread_runtime() {
    let system = ActorSystem::new();
    let (victim, _) = probe(&system).await;
    let (bystander, _) = probe(&system).await;
    let _ = victim.ask(Cmd::Panic).await;
    assert_eq!(bystander.ask(Cmd::Echo(4)).await.unwrap(), 4);
}

#[tokio::test]
async fn a9_a_weak_handle_does_not_keep_the_actor_alive() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let weak = actor.downgrade();
    let upgraded = weak.upgrade().expect("alive");
    assert_eq!(upgraded, actor);
    drop(upgraded);
    drop(actor);
    journal.wait_for(Event::Dropped).await;
    assert!(weak.upgrade().is_none());
    assert!(!weak.is_alive());
}

#[tokio::test]
// A handle hashes by its id, which never changes; its interior mutability is the actor's state.
#[allow(clippy::mutable_key_type)]
async fn a10_handles_compare_and_hash_by_id() {
    let system = ActorSystem::new();
    let (a, _) = probe(&system).await;
    let (b, _) = probe(&system).await;
    assert_ne!(a.id(), b.id());
    let set: HashSet<ActorRef<Probe>> = [a.clone(), a.clone(), b.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert!(set.contains(&a) && set.contains(&b));
    assert_eq!(a.downgrade(), a.clone().downgrade());
}

// ------------------------------------------------ A11. user code on the way to the end

/// A `tracing` layer that formats every field of every event, as a formatting subscriber
/// does, or panics on every event.
struct FieldFormatter {
    panics: bool,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for FieldFormatter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if self.panics {
            panic!("the subscriber panicked on purpose");
        }
        struct Format;
        impl tracing::field::Visit for Format {
            fn record_debug(&mut self, _: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                let _ = format!("{value:?}");
            }
        }
        event.record(&mut Format);
    }
}

/// Installs the layer for this thread (the tests below run on a current-thread runtime).
fn subscriber(panics: bool) -> tracing::subscriber::DefaultGuard {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(FieldFormatter { panics });
    tracing::subscriber::set_default(subscriber)
}

/// An error whose `Display` and `Debug` panic, and whose `Drop` panics when asked to.
struct Treacherous {
    panic_on_drop: bool,
}

impl std::fmt::Display for Treacherous {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("Display panicked on purpose")
    }
}

impl std::fmt::Debug for Treacherous {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("Debug panicked on purpose")
    }
}

impl std::error::Error for Treacherous {}

impl Drop for Treacherous {
    fn drop(&mut self) {
        if self.panic_on_drop {
            panic!("Drop panicked on purpose");
        }
    }
}

/// A panic payload whose `Drop` panics.
struct PanickingPayload;

impl Drop for PanickingPayload {
    fn drop(&mut self) {
        panic!("the payload's Drop panicked on purpose");
    }
}

/// Fails or panics with whatever its message says.
struct Saboteur;

enum Sabotage {
    FailWith(Treacherous),
    PanicWithPayload,
    Panic,
}

impl Actor for Saboteur {
    type Msg = Sabotage;
    type Reply = ();
    type Args = ();
    type Error = Treacherous;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Saboteur)
    }

    async fn handle(&mut self, msg: Sabotage, _: &mut Context<Self>) -> Result<(), Self::Error> {
        match msg {
            Sabotage::FailWith(error) => Err(error),
            Sabotage::PanicWithPayload => std::panic::panic_any(PanickingPayload),
            Sabotage::Panic => panic!("the handler panicked on purpose"),
        }
    }
}

/// Sabotages a watched saboteur with `sabotage` and checks that its end went through all the
/// way: the asker, the watcher, `wait_for_exit`, the crash report and the shutdown all see it.
async fn sabotage_and_check_the_end(sabotage: Sabotage) -> ExitReason {
    let system = ActorSystem::new();
    let saboteur = system.spawn::<Saboteur>(()).await.unwrap();
    let (watcher, notices) =
        common::Observer::<_, Saboteur>::spawn(&system, |_, down| down.reason.clone()).await;
    watcher.ask(saboteur.clone()).await.unwrap();
    // A message left waiting becomes a dead letter on the way to the end.
    let (reply, waiting) = tokio::join!(saboteur.ask(sabotage), saboteur.ask(Sabotage::Panic));
    assert!(matches!(reply, Err(AskError::Stopped(_))));
    assert!(matches!(waiting, Err(AskError::Stopped(_))));
    let reason = saboteur.wait_for_exit().await;
    assert_eq!(notices.wait_for_len(1).await, vec![reason.clone()], "the watcher was told");
    assert_eq!(system.crash_reports().count(), 1, "the crash was reported");
    assert_eq!(system.dead_letters().count(), 1, "the waiting message is a dead letter");
    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.killed), (1, 0), "only the watcher was left");
    assert_eq!(system.actor_count(), 0);
    reason
}

#[tokio::test]
async fn a11_a_panicking_display_or_debug_of_the_error_does_not_stop_the_end() {
    let _formatting = subscriber(false);
    let reason =
        sabotage_and_check_the_end(Sabotage::FailWith(Treacherous { panic_on_drop: false })).await;
    assert_eq!(reason.to_string(), "failed: <the error's Display panicked>");
    assert_eq!(format!("{reason:?}"), "Failed(\"<the error's Display panicked>\")");
    assert!(reason.error().is_some_and(|error| error.is::<Treacherous>()));
}

#[tokio::test]
async fn a11_a_panicking_drop_of_the_error_does_not_stop_the_end() {
    let _formatting = subscriber(false);
    let reason =
        sabotage_and_check_the_end(Sabotage::FailWith(Treacherous { panic_on_drop: true })).await;
    // The last copy of the reason goes here: its drop panics, and goes no further.
    drop(reason);
}

#[tokio::test]
async fn a11_a_panic_payload_whose_drop_panics_does_not_stop_the_end() {
    let _formatting = subscriber(false);
    let reason = sabotage_and_check_the_end(Sabotage::PanicWithPayload).await;
    assert_eq!(reason.panic_message(), Some("a panic with a payload that is not a string"));
}

#[tokio::test]
async fn a11_a_panicking_tracing_subscriber_does_not_stop_the_end() {
    let _panicking = subscriber(true);
    let reason = sabotage_and_check_the_end(Sabotage::Panic).await;
    assert_eq!(reason.panic_message(), Some("the handler panicked on purpose"));
}

/// A saboteur that tells the test each time it starts, so that a restart can be waited for.
struct Announcing;

impl Actor for Announcing {
    type Msg = Treacherous;
    type Reply = ();
    type Args = tokio::sync::mpsc::UnboundedSender<ActorRef<Announcing>>;
    type Error = Treacherous;

    async fn pre_start(starts: Self::Args, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        let _ = starts.send(ctx.actor_ref());
        Ok(Announcing)
    }

    async fn handle(
        &mut self,
        error: Treacherous,
        _: &mut Context<Self>,
    ) -> Result<(), Treacherous> {
        Err(error)
    }
}

#[tokio::test]
async fn a11_a_supervisor_restarts_a_child_whose_error_cannot_be_displayed_or_dropped() {
    use airssys_rt::supervisor::ChildSpec;
    let _formatting = subscriber(false);
    let system = ActorSystem::new();
    let (starts_tx, mut starts) = tokio::sync::mpsc::unbounded_channel();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Announcing>("treacherous", starts_tx));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let first = starts.recv().await.unwrap();
    let _ = first.ask(Treacherous { panic_on_drop: true }).await;
    assert!(first.wait_for_exit().await.error().is_some());
    let second = starts.recv().await.unwrap();
    assert_ne!(first.id(), second.id(), "restarted as a new actor");
    supervisor.actor().stop();
    supervisor.actor().wait_for_exit().await;
    assert_eq!(system.shutdown().await.killed, 0);
}

// ---------------------------------------------------------------- M. messages and mailboxes

#[tokio::test]
async fn m1_messages_from_one_sender_are_handled_in_order() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    for n in 0..3000u64 {
        match n % 3 {
            0 => actor.tell(Cmd::Echo(n)).await.unwrap(),
            1 => loop {
                match actor.try_tell(Cmd::Echo(n)) {
                    Ok(()) => break,
                    Err(SendError::Full(_)) => tokio::task::yield_now().await,
                    Err(SendError::Closed(_)) => panic!("closed"),
                }
            },
            _ => assert_eq!(actor.ask(Cmd::Echo(n)).await.unwrap(), n),
        }
    }
    actor.ask(Cmd::Echo(u64::MAX)).await.unwrap();
    let mut expected: Vec<u64> = (0..3000).collect();
    expected.push(u64::MAX);
    assert_eq!(journal.handled(), expected);
}

/// Replies with the address its boxed message lives at.
struct AddressOf;

impl Actor for AddressOf {
    type Msg = Box<[u8; 256]>;
    type Reply = usize;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(AddressOf)
    }

    async fn handle(
        &mut self,
        msg: Box<[u8; 256]>,
        _: &mut Context<Self>,
    ) -> Result<usize, Self::Error> {
        Ok(&*msg as *const [u8; 256] as usize)
    }
}

#[tokio::test]
async fn m2_messages_are_moved_not_copied() {
    let system = ActorSystem::new();
    let actor = system.spawn::<AddressOf>(()).await.unwrap();
    let message = Box::new([7u8; 256]);
    let address = &*message as *const [u8; 256] as usize;
    assert_eq!(actor.ask(message).await.unwrap(), address);
}

#[tokio::test]
async fn m3_ask_returns_the_handlers_reply() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    assert_eq!(actor.ask(Cmd::Echo(42)).await.unwrap(), 42);
}

#[tokio::test(start_paused = true)]
async fn m4_ask_times_out_after_the_system_default() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    let started = tokio::time::Instant::now();
    let result = actor.ask(Cmd::Sleep(Duration::from_secs(60))).await;
    assert!(matches!(result, Err(AskError::Timeout(d)) if d == Duration::from_secs(5)));
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn m4_ask_times_out_after_its_own_timeout() {
    let system = ActorSystem::builder().ask_timeout(Duration::from_secs(1)).build().unwrap();
    let (actor, _) = probe(&system).await;
    let result =
        actor.ask(Cmd::Sleep(Duration::from_secs(60))).timeout(Duration::from_millis(250)).await;
    assert!(matches!(result, Err(AskError::Timeout(d)) if d == Duration::from_millis(250)));
    let result = actor.ask(Cmd::Echo(1)).await;
    assert!(
        matches!(result, Err(AskError::Timeout(d)) if d == Duration::from_secs(1)),
        "the sleeping handler still holds the actor"
    );
}

#[tokio::test(start_paused = true)]
async fn m4_many_different_timeouts_each_expire_on_time() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    let _release = block(&actor).await;
    let started = tokio::time::Instant::now();
    let mut asks = Vec::new();
    for millis in (1..=40u64).rev() {
        let actor = actor.clone();
        asks.push(tokio::spawn(async move {
            let timeout = Duration::from_millis(millis * 10);
            let result = actor.ask(Cmd::Echo(millis)).timeout(timeout).await;
            (timeout, result.map(|_| ()), tokio::time::Instant::now())
        }));
    }
    for ask in asks {
        let (timeout, result, ended) = ask.await.unwrap();
        assert!(matches!(result, Err(AskError::Timeout(t)) if t == timeout));
        assert_eq!(ended - started, timeout);
    }
}

#[tokio::test]
async fn m5_ask_fails_at_once_when_the_handler_panics() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    let result = actor.ask(Cmd::Panic).timeout(Duration::from_secs(3600)).await;
    assert!(
        matches!(&result, Err(AskError::Stopped(r)) if r == &ExitReason::panicked("handler panicked on purpose")),
        "{result:?}"
    );
}

#[tokio::test]
async fn m5_ask_fails_when_the_handler_fails() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    let result = actor.ask(Cmd::Fail).await;
    assert!(matches!(&result, Err(AskError::Stopped(r)) if r.error().is_some()), "{result:?}");
}

#[tokio::test]
async fn m5_ask_fails_when_the_actor_is_killed_mid_request() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    let (entered_tx, entered_rx) = oneshot::channel();
    let (_release_tx, release_rx) = oneshot::channel();
    let asker = actor.clone();
    let request = tokio::spawn(async move {
        asker.ask(Cmd::Block { entered: entered_tx, release: release_rx }).await
    });
    entered_rx.await.unwrap();
    actor.kill();
    let result = request.await.unwrap();
    assert!(matches!(result, Err(AskError::Stopped(ExitReason::Killed))), "{result:?}");
}

#[tokio::test]
async fn m6_asks_waiting_in_the_mailbox_fail_when_the_actor_ends() {
    for kill in [false, true] {
        let system = ActorSystem::new();
        let (actor, journal) = probe(&system).await;
        let release = block(&actor).await;
        let asker = actor.clone();
        let waiting = tokio::spawn(async move { asker.ask(Cmd::Echo(5)).await });
        until_queued(&actor, 1).await;
        let expected = if kill {
            actor.kill();
            ExitReason::Killed
        } else {
            actor.stop();
            let _ = release.send(());
            ExitReason::Normal
        };
        let result = waiting.await.unwrap();
        assert!(matches!(&result, Err(AskError::Stopped(r)) if r == &expected), "{result:?}");
        assert!(journal.handled().is_empty());
    }
}

#[tokio::test]
async fn m7_sending_to_an_ended_actor_returns_the_message() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    actor.stop();
    actor.wait_for_exit().await;
    assert!(matches!(actor.tell(Cmd::Echo(1)).await, Err(SendError::Closed(Cmd::Echo(1)))));
    assert!(matches!(actor.try_tell(Cmd::Echo(2)), Err(SendError::Closed(Cmd::Echo(2)))));
    assert!(matches!(actor.ask(Cmd::Echo(3)).await, Err(AskError::Closed(Cmd::Echo(3)))));
    let blocking = actor.clone();
    let result =
        tokio::task::spawn_blocking(move || blocking.blocking_tell(Cmd::Echo(4))).await.unwrap();
    assert!(matches!(result, Err(SendError::Closed(Cmd::Echo(4)))));
    assert_eq!(system.dead_letters().count(), 0, "returned messages are not dead letters");
}

#[tokio::test]
async fn m8_1_wait_tell_waits_for_room() {
    let system = ActorSystem::new();
    let actor =
        system.spawn_with::<Probe>(bounded(2, OverflowPolicy::Wait), ProbeArgs::new()).await;
    let actor = actor.unwrap();
    let release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).unwrap();
    actor.try_tell(Cmd::Echo(2)).unwrap();
    assert!(matches!(actor.try_tell(Cmd::Echo(9)), Err(SendError::Full(Cmd::Echo(9)))));
    let mut waiting = Box::pin(actor.tell(Cmd::Echo(3)).into_future());
    assert!((&mut waiting).now_or_never().is_none(), "tell should wait on a full mailbox");
    assert_eq!(actor.mailbox_len(), 2);
    let blocking = actor.clone();
    let blocked = tokio::task::spawn_blocking(move || blocking.blocking_tell(Cmd::Echo(4)));
    release.send(()).unwrap();
    waiting.await.unwrap();
    blocked.await.unwrap().unwrap();
    assert_eq!(actor.ask(Cmd::Echo(5)).await.unwrap(), 5);
    let handled = actor.ask(Cmd::Echo(6)).await.map(|_| ());
    assert!(handled.is_ok());
}

#[tokio::test(start_paused = true)]
async fn m8_1_wait_ask_gives_the_message_back_after_its_timeout() {
    let system = ActorSystem::new();
    let actor =
        system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), ProbeArgs::new()).await;
    let actor = actor.unwrap();
    let _release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).unwrap();
    let result = actor.ask(Cmd::Echo(2)).timeout(Duration::from_millis(100)).await;
    assert!(matches!(result, Err(AskError::Full(Cmd::Echo(2)))), "{result:?}");
}

#[tokio::test]
async fn m8_1_wait_ask_is_queued_once_there_is_room() {
    let system = ActorSystem::new();
    let actor =
        system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), ProbeArgs::new()).await;
    let actor = actor.unwrap();
    let release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).unwrap();
    let mut request = Box::pin(actor.ask(Cmd::Echo(2)).into_future());
    assert!((&mut request).now_or_never().is_none());
    release.send(()).unwrap();
    assert_eq!(request.await.unwrap(), 2);
}

#[tokio::test]
async fn m8_2_reject_returns_the_message_at_once() {
    let system = ActorSystem::new();
    let actor =
        system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Reject), ProbeArgs::new()).await;
    let actor = actor.unwrap();
    let release = block(&actor).await;
    actor.tell(Cmd::Echo(1)).await.unwrap();
    assert!(matches!(actor.tell(Cmd::Echo(2)).await, Err(SendError::Full(Cmd::Echo(2)))));
    assert!(matches!(actor.try_tell(Cmd::Echo(3)), Err(SendError::Full(Cmd::Echo(3)))));
    assert!(matches!(actor.ask(Cmd::Echo(4)).await, Err(AskError::Full(Cmd::Echo(4)))));
    release.send(()).unwrap();
    until_queued(&actor, 0).await;
    assert_eq!(actor.ask(Cmd::Echo(5)).await.unwrap(), 5);
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test]
async fn m8_3_drop_newest_drops_the_arriving_message_into_dead_letters() {
    let system = ActorSystem::new();
    let options = bounded(1, OverflowPolicy::DropNewest);
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(options, args).await.unwrap();
    let release = block(&actor).await;
    actor.tell(Cmd::Echo(1)).await.unwrap();
    actor.tell(Cmd::Echo(2)).await.unwrap();
    actor.try_tell(Cmd::Echo(3)).unwrap();
    assert!(matches!(actor.ask(Cmd::Echo(4)).await, Err(AskError::Dropped)));
    assert_eq!(system.dead_letters().count(), 3);
    let reasons: Vec<_> = system.dead_letters().recent().iter().map(|l| l.reason).collect();
    assert_eq!(reasons, vec![DeadLetterReason::DroppedNewest; 3]);
    release.send(()).unwrap();
    until_queued(&actor, 0).await;
    actor.ask(Cmd::Echo(5)).await.unwrap();
    assert_eq!(journal.handled(), vec![1, 5]);
}

#[tokio::test]
async fn m8_4_drop_oldest_makes_room_by_dropping_the_oldest() {
    let system = ActorSystem::new();
    let options = bounded(2, OverflowPolicy::DropOldest);
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(options, args).await.unwrap();
    let release = block(&actor).await;
    let asker = actor.clone();
    let evicted_ask = tokio::spawn(async move { asker.ask(Cmd::Echo(1)).await });
    until_queued(&actor, 1).await;
    actor.tell(Cmd::Echo(2)).await.unwrap();
    actor.tell(Cmd::Echo(3)).await.unwrap();
    actor.try_tell(Cmd::Echo(4)).unwrap();
    assert!(matches!(evicted_ask.await.unwrap(), Err(AskError::Dropped)));
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2);
    assert!(letters.iter().all(|l| l.reason == DeadLetterReason::DroppedOldest));
    assert!(letters[0].was_ask && !letters[1].was_ask);
    release.send(()).unwrap();
    until_queued(&actor, 0).await;
    actor.ask(Cmd::Echo(5)).await.unwrap();
    assert_eq!(journal.handled(), vec![3, 4, 5]);
}

#[tokio::test]
async fn m9_an_unbounded_mailbox_never_refuses() {
    let system = ActorSystem::new();
    let options = SpawnOptions::new().mailbox(MailboxConfig::unbounded());
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(options, args).await.unwrap();
    let release = block(&actor).await;
    for n in 0..20_000 {
        actor.try_tell(Cmd::Echo(n)).unwrap();
    }
    assert_eq!(actor.mailbox_len(), 20_000);
    release.send(()).unwrap();
    actor.ask(Cmd::Echo(20_000)).await.unwrap();
    assert_eq!(journal.handled(), (0..=20_000).collect::<Vec<_>>());
}

#[tokio::test]
async fn m9_an_unbounded_mailbox_refuses_only_past_the_message_budget() {
    let system = ActorSystem::builder().message_budget(20_000).build().unwrap();
    let options = SpawnOptions::new().mailbox(MailboxConfig::unbounded());
    let actor = system.spawn_with::<Probe>(options, ProbeArgs::new()).await.unwrap();
    let release = block(&actor).await;
    for n in 0..20_000 {
        actor.try_tell(Cmd::Echo(n)).unwrap();
    }
    assert!(matches!(actor.try_tell(Cmd::Echo(20_000)), Err(SendError::Full(_))));
    release.send(()).unwrap();
    while actor.mailbox_len() > 0 {
        tokio::task::yield_now().await;
    }
    actor.ask(Cmd::Echo(20_001)).await.unwrap();
}

#[tokio::test]
async fn m10_stop_is_not_delayed_by_a_full_mailbox() {
    let system = ActorSystem::new();
    let actor =
        system.spawn_with::<Probe>(bounded(4, OverflowPolicy::Wait), ProbeArgs::new()).await;
    let actor = actor.unwrap();
    let release = block(&actor).await;
    for n in 0..4 {
        actor.try_tell(Cmd::Echo(n)).unwrap();
    }
    assert!(actor.try_tell(Cmd::Echo(99)).is_err(), "mailbox should be full");
    actor.stop(); // must not wait
    release.send(()).unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    assert_eq!(system.dead_letters().count(), 4);
}

#[tokio::test]
async fn m10_kill_is_not_delayed_by_a_full_mailbox() {
    let system = ActorSystem::new();
    let actor =
        system.spawn_with::<Probe>(bounded(4, OverflowPolicy::Wait), ProbeArgs::new()).await;
    let actor = actor.unwrap();
    let _release = block(&actor).await;
    for n in 0..4 {
        actor.try_tell(Cmd::Echo(n)).unwrap();
    }
    actor.kill();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Killed);
}

#[tokio::test]
async fn m11_messages_waiting_when_the_actor_ends_become_dead_letters() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let release = block(&actor).await;
    for n in 0..10 {
        actor.tell(Cmd::Echo(n)).await.unwrap();
    }
    actor.stop();
    release.send(()).unwrap();
    actor.wait_for_exit().await;
    assert!(journal.handled().is_empty());
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 10);
    assert!(letters.iter().all(|l| l.reason == DeadLetterReason::ActorStopped
        && l.target == actor.id()
        && !l.was_ask));
}

#[tokio::test(flavor = "current_thread")]
async fn m13_a_tell_loop_does_not_starve_its_actor() {
    let system = ActorSystem::new();
    let options = SpawnOptions::new().mailbox(MailboxConfig::unbounded());
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(options, args).await.unwrap();
    for n in 0..10_000 {
        actor.tell(Cmd::Echo(n)).await.unwrap();
    }
    // On one thread, the actor ran only if the loop gave way.
    assert!(!journal.handled().is_empty(), "the actor never ran during the loop");
    assert!(actor.mailbox_len() < 10_000);
}

#[tokio::test]
async fn m12_dead_letters_are_counted_and_the_latest_kept() {
    let system = ActorSystem::builder().dead_letter_history(3).build().unwrap();
    let actor = system
        .spawn_with::<Probe>(bounded(1, OverflowPolicy::DropNewest).name("sink"), ProbeArgs::new())
        .await
        .unwrap();
    let _release = block(&actor).await;
    actor.tell(Cmd::Echo(0)).await.unwrap();
    for n in 1..=5 {
        actor.tell(Cmd::Echo(n)).await.unwrap();
    }
    assert_eq!(system.dead_letters().count(), 5);
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 3);
    let first = &letters[0];
    assert_eq!(first.target, actor.id());
    assert_eq!(first.target_name.as_deref(), Some("sink"));
    assert_eq!(first.reason, DeadLetterReason::DroppedNewest);
    assert!(first.message_type.ends_with("Cmd"), "{}", first.message_type);
    assert!(letters.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
}

#[tokio::test(start_paused = true)]
async fn m14_a_tell_with_a_timeout_hands_the_message_back_when_no_room_came() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), args).await.unwrap();
    let release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).unwrap();
    let began = tokio::time::Instant::now();
    let sent = actor.tell(Cmd::Echo(2)).timeout(Duration::from_millis(100)).await;
    assert!(matches!(sent, Err(SendError::Full(Cmd::Echo(2)))), "{sent:?}");
    assert!(began.elapsed() >= Duration::from_millis(100), "gave up early: {:?}", began.elapsed());
    assert_eq!(actor.mailbox_len(), 1, "the message handed back was not queued");
    assert_eq!(system.dead_letters().count(), 0, "a message handed back is no dead letter");
    release.send(()).unwrap();
    actor.ask(Cmd::Echo(3)).await.unwrap();
    assert_eq!(journal.handled(), vec![1, 3]);
}

#[tokio::test(start_paused = true)]
async fn m14_a_tell_with_a_timeout_is_queued_once_there_is_room_in_time() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), args).await.unwrap();
    let release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).unwrap();
    let mut waiting =
        Box::pin(actor.tell(Cmd::Echo(2)).timeout(Duration::from_secs(60)).into_future());
    assert!((&mut waiting).now_or_never().is_none(), "tell should wait on a full mailbox");
    release.send(()).unwrap();
    waiting.await.unwrap();
    actor.ask(Cmd::Echo(3)).await.unwrap();
    assert_eq!(journal.handled(), vec![1, 2, 3]);
    // A tell that need not wait ignores its timeout, even one already passed.
    actor.tell(Cmd::Echo(4)).timeout(Duration::ZERO).await.unwrap();
    actor.ask(Cmd::Echo(5)).await.unwrap();
    assert_eq!(journal.handled(), vec![1, 2, 3, 4, 5]);
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn m15_a_tell_dropped_while_waiting_for_room_becomes_a_dead_letter() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), args).await.unwrap();
    let release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).unwrap();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), actor.tell(Cmd::Echo(2))).await;
    assert!(cancelled.is_err(), "the tell should still have been waiting");
    assert_eq!(system.dead_letters().count(), 1);
    let letter = &system.dead_letters().recent()[0];
    assert_eq!(letter.reason, DeadLetterReason::SendCancelled);
    assert_eq!(letter.target, actor.id());
    assert!(!letter.was_ask);
    assert!(letter.message_type.ends_with("Cmd"), "{}", letter.message_type);
    // The same through `select!`, whose losing branch is dropped without being polled.
    tokio::select! {
        biased;
        () = std::future::ready(()) => {}
        _ = actor.tell(Cmd::Echo(3)) => panic!("the tell branch was not to run"),
    }
    assert_eq!(system.dead_letters().count(), 2);
    release.send(()).unwrap();
    actor.ask(Cmd::Echo(4)).await.unwrap();
    assert_eq!(journal.handled(), vec![1, 4], "a cancelled message is never handled");
    // A tell never awaited sent nothing: no dead letter.
    drop(actor.tell(Cmd::Echo(5)));
    assert_eq!(system.dead_letters().count(), 2);
}

#[test]
fn m15_a_send_whose_timeout_panics_without_a_runtime_still_leaves_a_dead_letter() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let system = runtime.block_on(async { ActorSystem::new() });
    let actor = runtime.block_on(async {
        let actor =
            system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), ProbeArgs::new()).await;
        let actor = actor.unwrap();
        std::mem::forget(block(&actor).await);
        actor.try_tell(Cmd::Echo(1)).unwrap();
        actor
    });
    // Awaited on a plain thread, a send that must wait for room needs Tokio's timer for its
    // timeout, and panics (as documented); the message it held is not lost with the panic.
    let sender = actor.clone();
    let sent = std::thread::spawn(move || {
        let tell = sender.tell(Cmd::Echo(2)).timeout(Duration::from_millis(10));
        let told = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            futures::executor::block_on(tell.into_future())
        }));
        let ask = sender.ask(Cmd::Echo(3)).timeout(Duration::from_millis(10));
        let asked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            futures::executor::block_on(ask.into_future())
        }));
        (told.is_err(), asked.is_err())
    })
    .join()
    .unwrap();
    assert_eq!(sent, (true, true), "both panicked without a runtime");
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2, "{letters:?}");
    assert!(letters.iter().all(|l| l.reason == DeadLetterReason::SendCancelled));
    assert_eq!(letters.iter().filter(|l| l.was_ask).count(), 1);
    drop(actor);
}

#[tokio::test(flavor = "current_thread")]
async fn m15_a_tell_dropped_while_giving_way_becomes_a_dead_letter() {
    let system = ActorSystem::new();
    let options = SpawnOptions::new().mailbox(MailboxConfig::unbounded());
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(options, args).await.unwrap();
    // Polled once each, without ever yielding: the loop spends Tokio's budget (M13) until a
    // tell gives way, and is then dropped.
    let mut queued = 0;
    loop {
        let mut tell = std::pin::pin!(actor.tell(Cmd::Echo(queued)).into_future());
        let polled = std::future::poll_fn(|cx| Poll::Ready(tell.as_mut().poll(cx))).await;
        match polled {
            Poll::Ready(sent) => sent.unwrap(),
            Poll::Pending => break,
        }
        queued += 1;
    }
    assert_eq!(actor.mailbox_len() as u64, queued, "the cancelled tell queued nothing");
    assert_eq!(system.dead_letters().count(), 1);
    assert_eq!(system.dead_letters().recent()[0].reason, DeadLetterReason::SendCancelled);
    actor.ask(Cmd::Echo(queued + 1)).await.unwrap();
    let expected: Vec<u64> = (0..queued).chain([queued + 1]).collect();
    assert_eq!(journal.handled(), expected);
}

#[tokio::test]
async fn m15_an_ask_dropped_while_waiting_for_room_becomes_a_dead_letter() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new();
    let journal = args.journal.clone();
    let actor = system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), args).await.unwrap();
    let release = block(&actor).await;
    actor.try_tell(Cmd::Echo(1)).unwrap();
    let mut asking = Box::pin(actor.ask(Cmd::Echo(2)).into_future());
    assert!(asking.as_mut().now_or_never().is_none(), "it waits for room");
    drop(asking);
    // And one never polled.
    drop(actor.ask(Cmd::Echo(3)).into_future());
    assert_eq!(system.dead_letters().count(), 2);
    let letters = system.dead_letters().recent();
    assert!(letters.iter().all(|l| l.reason == DeadLetterReason::SendCancelled && l.was_ask));
    release.send(()).unwrap();
    actor.ask(Cmd::Echo(4)).await.unwrap();
    assert_eq!(journal.handled(), vec![1, 4], "the cancelled requests were never handled");
}

// ------------------------------------------------------------------- M16. asking oneself

/// Asks itself, in `pre_start` if its argument says so, and in its handler.
struct Narcissus {
    in_pre_start: Option<u64>,
}

enum Reflection {
    AskSelf(u64),
    Answer(u64),
    /// What the ask in `pre_start` handed back.
    PreStart,
    /// Fills its own mailbox (of capacity 1), then tells itself once more.
    TellSelf(u64),
}

/// The request an ask to oneself handed back, if it failed with `CallingSelf`.
fn handed_back(outcome: Result<Option<u64>, AskError<Reflection>>) -> Option<u64> {
    match outcome {
        Err(AskError::CallingSelf(Reflection::Answer(n))) => Some(n),
        _ => None,
    }
}

impl Actor for Narcissus {
    type Msg = Reflection;
    type Reply = Option<u64>;
    type Args = bool;
    type Error = std::convert::Infallible;

    async fn pre_start(ask_first: bool, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        let mut in_pre_start = None;
        if ask_first {
            in_pre_start = handed_back(ctx.actor_ref().ask(Reflection::Answer(1)).await);
        }
        Ok(Narcissus { in_pre_start })
    }

    async fn handle(
        &mut self,
        msg: Reflection,
        ctx: &mut Context<Self>,
    ) -> Result<Option<u64>, Self::Error> {
        Ok(match msg {
            Reflection::AskSelf(n) => handed_back(ctx.actor_ref().ask(Reflection::Answer(n)).await),
            Reflection::Answer(n) => Some(n),
            Reflection::PreStart => self.in_pre_start,
            Reflection::TellSelf(n) => {
                let me = ctx.actor_ref();
                me.tell(Reflection::Answer(0)).await.unwrap_or_else(|_| panic!("room for one"));
                match me.tell(Reflection::Answer(n)).await {
                    Err(SendError::Full(Reflection::Answer(n))) => Some(n),
                    _ => None,
                }
            }
        })
    }
}

#[tokio::test(start_paused = true)]
async fn m16_an_actor_asking_itself_fails_at_once_with_its_request_back() {
    let system = ActorSystem::builder().ask_timeout(Duration::from_secs(3600)).build().unwrap();
    let actor = system.spawn::<Narcissus>(true).await.unwrap();
    let before = tokio::time::Instant::now();
    assert_eq!(actor.ask(Reflection::AskSelf(7)).await.unwrap(), Some(7), "handed back");
    assert_eq!(actor.ask(Reflection::PreStart).await.unwrap(), Some(1), "in pre_start too");
    assert_eq!(tokio::time::Instant::now(), before, "refused at once, not at the timeout");
    assert_eq!(actor.mailbox_len(), 0, "nothing was queued");
    assert_eq!(system.dead_letters().count(), 0);
    assert_eq!(actor.ask(Reflection::Answer(3)).await.unwrap(), Some(3), "others may ask");
}

#[tokio::test(start_paused = true)]
async fn m16_a_tell_to_itself_into_its_full_mailbox_is_handed_back_at_once() {
    let system = ActorSystem::new();
    let options = bounded(1, OverflowPolicy::Wait);
    let actor = system.spawn_with::<Narcissus>(options, false).await.unwrap();
    let before = tokio::time::Instant::now();
    assert_eq!(actor.ask(Reflection::TellSelf(9)).await.unwrap(), Some(9), "handed back");
    assert_eq!(tokio::time::Instant::now(), before, "at once");
    assert_eq!(actor.ask(Reflection::Answer(3)).await.unwrap(), Some(3), "the first was queued");
}

/// What a start function's call to `supervisor` gave: its children, or why not.
type CallOutcome =
    std::sync::mpsc::Receiver<Result<usize, airssys_rt::supervisor::SupervisorError>>;

/// A child whose start function first calls `supervisor` (asks for its children) and reports
/// the outcome, then starts a probe worker, or, for `ChildKind::Supervisor`, a subtree (which
/// starts in a task of its own, T19).
fn calling_child(
    id: &str,
    supervisor: &SupervisorRef,
    kind: airssys_rt::supervisor::ChildKind,
) -> (airssys_rt::supervisor::ChildSpec, CallOutcome) {
    use airssys_rt::supervisor::{Child, ChildKind, ChildSpec};
    let (outcome_tx, outcome) = std::sync::mpsc::channel();
    let supervisor = supervisor.clone();
    let spec = ChildSpec::new(id, move |system: ActorSystem| {
        let (supervisor, outcome_tx) = (supervisor.clone(), outcome_tx.clone());
        async move {
            let _ = outcome_tx.send(supervisor.which_children().await.map(|c| c.len()));
            let child = match kind {
                ChildKind::Supervisor => {
                    let spec = SupervisorSpec::new(Strategy::OneForOne);
                    Child::from(Supervisor::start(&system, spec).await?.actor().clone())
                }
                _ => Child::from(system.spawn::<Probe>(ProbeArgs::new()).await?),
            };
            Ok(Some(child))
        }
    })
    .kind(kind);
    (spec, outcome)
}

/// Starts `child` under `supervisor` and checks that the call its start made was refused at
/// once with `CallingSelf` and that the start went on. On paused time, time moves only once
/// nothing else can run: the one-hour bound fails a call left waiting.
async fn refused_at_once(
    supervisor: &SupervisorRef,
    child: airssys_rt::supervisor::ChildSpec,
    outcome: CallOutcome,
) {
    use airssys_rt::supervisor::SupervisorError;
    let before = tokio::time::Instant::now();
    let started = tokio::time::timeout(Duration::from_secs(3600), supervisor.start_child(child));
    assert!(matches!(started.await, Ok(Ok(Some(_)))), "the start went on");
    assert!(matches!(outcome.try_recv(), Ok(Err(SupervisorError::CallingSelf))));
    assert_eq!(tokio::time::Instant::now(), before, "refused at once");
    assert_eq!(supervisor.which_children().await.unwrap().len(), 1, "the child started");
}

#[tokio::test(start_paused = true)]
async fn m16_a_supervisor_called_from_its_own_task_fails_at_once() {
    let system = ActorSystem::new();
    let supervisor =
        Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    let (child, outcome) =
        calling_child("caller", &supervisor, airssys_rt::supervisor::ChildKind::Worker);
    refused_at_once(&supervisor, child, outcome).await;
}

/// A child declared a supervisor (`ChildKind::Supervisor`) starts in a task of its own (T19),
/// still on its supervisor's behalf: a call to the supervisor from its start function is
/// refused at once as from a worker's, not left waiting for ever on a supervisor that waits
/// for that start.
#[tokio::test(start_paused = true)]
async fn m16_a_supervisor_called_from_a_child_supervisors_start_fails_at_once() {
    let system = ActorSystem::new();
    let supervisor =
        Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    let (child, outcome) =
        calling_child("subtree", &supervisor, airssys_rt::supervisor::ChildKind::Supervisor);
    refused_at_once(&supervisor, child, outcome).await;
}

/// A child supervisor's own child supervisor starts in a task of its own too (T19): its start
/// function runs on behalf of every supervisor awaiting it, not only the nearest. A call from
/// it to the grandparent supervisor, which waits (through its child's start) for this start,
/// fails at once as it does when the tree's starts are polled in place.
#[tokio::test(start_paused = true)]
async fn m16_a_supervisor_called_from_a_grandchild_supervisors_start_fails_at_once() {
    use airssys_rt::supervisor::{ChildKind, ChildSpec};
    let system = ActorSystem::new();
    let supervisor =
        Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    let (inner, outcome) = calling_child("inner", &supervisor, ChildKind::Supervisor);
    let outer =
        ChildSpec::supervisor("outer", SupervisorSpec::new(Strategy::OneForOne).child(inner));
    refused_at_once(&supervisor, outer, outcome).await;
}

// ---------------------------------------------------------------- S. the system

#[tokio::test]
async fn s1_defaults() {
    let system = ActorSystem::new();
    let config = system.config();
    assert_eq!(config.mailbox().capacity(), Some(DEFAULT_CAPACITY));
    assert_eq!(DEFAULT_CAPACITY, 1024);
    assert_eq!(config.mailbox().overflow_policy(), OverflowPolicy::Wait);
    assert_eq!(config.ask_timeout(), Duration::from_secs(5));
    assert_eq!(config.max_actors(), 1_048_576);
    assert_eq!(config.shutdown_timeout(), Duration::from_secs(5));
    assert_eq!(config.dead_letter_history(), 128);
}

async fn exchange_a_few_messages() {
    let system = ActorSystem::new();
    let (a, _) = probe(&system).await;
    let (b, _) = probe(&system).await;
    for n in 0..100 {
        assert_eq!(a.ask(Cmd::Echo(n)).await.unwrap(), n);
        b.tell(Cmd::Echo(n)).await.unwrap();
    }
    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.killed), (2, 0));
}

#[tokio::test(flavor = "current_thread")]
async fn s2_runs_on_a_current_thread_runtime() {
    exchange_a_few_messages().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s2_runs_on_a_multi_thread_runtime() {
    exchange_a_few_messages().await;
}

#[tokio::test]
async fn s3_named_actors_are_found_by_name_and_type() {
    let system = ActorSystem::new();
    let actor = system.spawn_named::<Probe>("probe", ProbeArgs::new()).await.unwrap();
    let found = system.lookup::<Probe>("probe").unwrap();
    assert_eq!(found, actor);
    assert!(matches!(
        system.lookup::<AddressOf>("probe"),
        Err(LookupError::WrongType { expected, actual, .. })
            if expected.ends_with("AddressOf") && actual.ends_with("Probe")
    ));
    assert_eq!(system.lookup::<Probe>("nobody"), Err(LookupError::NotFound("nobody".into())));
}

#[tokio::test]
async fn s3_a_name_keeps_its_actor_alive_and_is_released_when_it_ends() {
    let system = ActorSystem::new();
    let id = system.spawn_named::<Probe>("kept", ProbeArgs::new()).await.unwrap().id();
    let found = system.lookup::<Probe>("kept").unwrap();
    assert_eq!(found.id(), id, "dropping every handle must not end a named actor");
    assert_eq!(found.ask(Cmd::Echo(1)).await.unwrap(), 1);
    found.stop();
    found.wait_for_exit().await;
    assert!(matches!(system.lookup::<Probe>("kept"), Err(LookupError::NotFound(_))));
    let again = system.spawn_named::<Probe>("kept", ProbeArgs::new()).await.unwrap();
    assert_ne!(again.id(), id);
}

#[tokio::test]
async fn s4_a_taken_name_is_refused_with_its_holder() {
    let system = ActorSystem::new();
    let holder = system.spawn_named::<Probe>("one", ProbeArgs::new()).await.unwrap();
    match system.spawn_named::<Probe>("one", ProbeArgs::new()).await {
        Err(SpawnError::NameTaken { name, owner }) => {
            assert_eq!(&*name, "one");
            assert_eq!(owner, holder.id());
        }
        other => panic!("expected NameTaken, got {other:?}"),
    }
    assert_eq!(system.actor_count(), 1);
}

/// Never leaves `pre_start` until told to.
struct SlowInit;

impl Actor for SlowInit {
    type Msg = ();
    type Reply = ();
    type Args = oneshot::Receiver<()>;
    type Error = std::convert::Infallible;

    async fn pre_start(
        go: oneshot::Receiver<()>,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        let _ = go.await;
        Ok(SlowInit)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[tokio::test]
async fn s5_an_actor_in_pre_start_is_counted() {
    let system = ActorSystem::new();
    let (go, wait) = oneshot::channel();
    let spawner = system.clone();
    let spawning = tokio::spawn(async move { spawner.spawn::<SlowInit>(wait).await.map(drop) });
    while system.actor_count() == 0 {
        tokio::task::yield_now().await;
    }
    assert_eq!(system.actor_count(), 1);
    go.send(()).unwrap();
    spawning.await.unwrap().unwrap();
}

#[tokio::test]
async fn s5_max_actors_is_enforced_without_side_effects() {
    let system = ActorSystem::builder().max_actors(2).build().unwrap();
    let (a, _) = probe(&system).await;
    let (_b, _) = probe(&system).await;
    assert_eq!(system.actor_count(), 2);
    let refused = system.spawn::<Probe>(ProbeArgs::new()).await;
    assert!(matches!(refused, Err(SpawnError::TooManyActors { limit: 2 })));
    assert_eq!(system.actor_count(), 2);
    a.stop();
    a.wait_for_exit().await;
    assert_eq!(system.actor_count(), 1);
    assert!(system.spawn::<Probe>(ProbeArgs::new()).await.is_ok());
}

#[tokio::test]
async fn s6_a_zero_capacity_mailbox_is_refused() {
    let system = ActorSystem::new();
    let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(0));
    assert!(matches!(
        system.spawn_with::<Probe>(options, ProbeArgs::new()).await,
        Err(SpawnError::InvalidMailbox(_))
    ));
    assert!(matches!(
        ActorSystem::builder().mailbox(MailboxConfig::bounded(0)).build(),
        Err(ConfigError::InvalidMailbox(_))
    ));
    assert_eq!(system.actor_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn s7_shutdown_stops_gracefully_then_kills_what_remains() {
    let system = ActorSystem::builder().shutdown_timeout(Duration::from_secs(2)).build().unwrap();
    let mut journals = Vec::new();
    let mut handles = Vec::new();
    for _ in 0..5 {
        let (actor, journal) = probe(&system).await;
        handles.push(actor);
        journals.push(journal);
    }
    let stubborn_args =
        ProbeArgs { slow_stop: Some(Duration::from_secs(3600)), ..ProbeArgs::new() };
    let stubborn_journal = stubborn_args.journal.clone();
    let stubborn = system.spawn::<Probe>(stubborn_args).await.unwrap();
    let started = tokio::time::Instant::now();
    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.killed), (5, 1));
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(system.actor_count(), 0);
    for journal in &journals {
        assert!(journal.contains(&Event::PostStop(ExitReason::Shutdown)));
    }
    assert!(stubborn_journal.contains(&Event::PostStop(ExitReason::Shutdown)));
    assert_eq!(stubborn.exit_reason(), Some(ExitReason::Killed));
    assert!(matches!(system.spawn::<Probe>(ProbeArgs::new()).await, Err(SpawnError::ShuttingDown)));
}

/// Shuts the system down from its handler, or from its `post_stop`, as its argument says.
struct Quitter {
    from_post_stop: bool,
}

impl Actor for Quitter {
    type Msg = ();
    type Reply = (usize, usize, bool);
    type Args = bool;
    type Error = std::convert::Infallible;

    async fn pre_start(from_post_stop: bool, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Quitter { from_post_stop })
    }

    async fn handle(
        &mut self,
        _: (),
        ctx: &mut Context<Self>,
    ) -> Result<(usize, usize, bool), Self::Error> {
        let report = ctx.system().shutdown().await;
        Ok((report.stopped, report.killed, report.finished))
    }

    async fn post_stop(
        &mut self,
        ctx: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        if self.from_post_stop {
            let report = ctx.system().shutdown().await;
            assert!(!report.finished, "a shutdown from post_stop does not wait");
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn s8_shutdown_from_a_handler_returns_at_once_and_stops_the_caller_too() {
    let system = ActorSystem::new();
    let quitter = system.spawn::<Quitter>(false).await.unwrap();
    let (other, journal) = probe(&system).await;
    let before = tokio::time::Instant::now();
    assert_eq!(quitter.ask(()).await.unwrap(), (0, 0, false), "returned without waiting");
    assert!(system.is_shutting_down());
    assert_eq!(quitter.wait_for_exit().await, ExitReason::Shutdown);
    assert_eq!(other.wait_for_exit().await, ExitReason::Shutdown);
    assert_eq!(journal.events().last(), Some(&Event::Dropped));
    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.killed, report.finished), (2, 0, true));
    assert_eq!(tokio::time::Instant::now(), before, "nobody waited for a timeout");
}

#[tokio::test(start_paused = true)]
async fn s8_shutdown_called_again_from_post_stop_kills_nobody() {
    let system = ActorSystem::new();
    let quitter = system.spawn::<Quitter>(true).await.unwrap();
    let before = tokio::time::Instant::now();
    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.killed, report.finished), (1, 0, true));
    assert_eq!(quitter.wait_for_exit().await, ExitReason::Shutdown, "not killed");
    assert_eq!(tokio::time::Instant::now(), before, "nobody waited for a timeout");
}

#[tokio::test(start_paused = true)]
async fn s7_a_shutdown_goes_on_without_its_caller_and_every_call_gets_its_report() {
    let system = ActorSystem::new();
    let (stuck, _) = probe(&system).await;
    let _release = block(&stuck).await;
    // The caller gives up at once; the shutdown goes on, and kills the stuck actor on time.
    let abandoned = futures::FutureExt::now_or_never(system.shutdown());
    assert!(abandoned.is_none());
    assert_eq!(stuck.wait_for_exit().await, ExitReason::Killed);
    let (first, second) = tokio::join!(system.shutdown(), system.shutdown());
    assert_eq!((first.stopped, first.killed, first.finished), (0, 1, true));
    assert_eq!(first, second);
}

/// An actor whose hooks are plain functions returning a future, as the trait allows: the
/// part before the future (`eager`) panics when asked to, outside any `async` block.
struct Eager(EagerIn);

#[derive(Clone, Copy, PartialEq)]
enum EagerIn {
    PreStart,
    Handle,
    PostStop,
}

impl Actor for Eager {
    type Msg = ();
    type Reply = ();
    type Args = EagerIn;
    type Error = std::convert::Infallible;

    #[allow(clippy::manual_async_fn)]
    fn pre_start(
        args: EagerIn,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Self, Self::Error>> + Send {
        assert!(args != EagerIn::PreStart, "eager panic in pre_start");
        if args == EagerIn::PostStop {
            ctx.stop();
        }
        async move { Ok(Eager(args)) }
    }

    #[allow(clippy::manual_async_fn)]
    fn handle(
        &mut self,
        _: (),
        _: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        panic!("eager panic in handle");
        #[allow(unreachable_code)]
        async {
            Ok(())
        }
    }

    #[allow(clippy::manual_async_fn)]
    fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        assert!(self.0 != EagerIn::PostStop, "eager panic in post_stop");
        async { Ok(()) }
    }
}

#[tokio::test]
async fn a2_a_panic_before_pre_start_s_future_fails_the_spawn() {
    let system = ActorSystem::new();
    // Caught or not, the panic must not reach the spawner (A8).
    let spawned =
        std::panic::AssertUnwindSafe(system.spawn::<Eager>(EagerIn::PreStart)).catch_unwind().await;
    match spawned {
        Ok(Err(SpawnError::StartFailed(reason))) => {
            assert_eq!(reason, ExitReason::panicked("eager panic in pre_start"))
        }
        Ok(other) => panic!("expected StartFailed, got {other:?}"),
        Err(_) => panic!("the panic of pre_start reached the spawner"),
    }
    assert_eq!(system.actor_count(), 0);
}

#[tokio::test]
async fn a4_4_a_panic_before_the_handler_s_future_ends_the_actor_with_its_message() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Eager>(EagerIn::Handle).await.unwrap();
    let asked = actor.ask(()).await;
    let expected = ExitReason::panicked("eager panic in handle");
    assert!(matches!(&asked, Err(AskError::Stopped(reason)) if *reason == expected), "{asked:?}");
    assert_eq!(actor.wait_for_exit().await, expected);
}

#[tokio::test]
async fn a5_a_panic_before_post_stop_s_future_replaces_the_reason() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Eager>(EagerIn::PostStop).await.unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::panicked("eager panic in post_stop"));
}

#[test]
fn s7_a_shutdown_whose_task_s_runtime_is_gone_still_finishes() {
    let paused =
        || tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build();
    let actors = paused().unwrap();
    let system = actors.block_on(async { ActorSystem::new() });
    let (actor, _) = actors.block_on(probe(&system));
    // The first caller gives up at once, and its runtime, which holds the shutdown's task,
    // is dropped with it.
    let first = paused().unwrap();
    first.block_on(async { assert!(system.shutdown().now_or_never().is_none()) });
    drop(first);
    let report = actors.block_on(async {
        assert_eq!(actor.wait_for_exit().await, ExitReason::Shutdown);
        // Paused time: a shutdown that can no longer finish shows as this timeout at once.
        tokio::time::timeout(Duration::from_secs(3600), system.shutdown()).await
    });
    let report = report.expect("the shutdown never finished");
    assert_eq!((report.stopped, report.killed, report.finished), (1, 0, true));
}

/// An actor that shuts down a second system it was given, and reports what it got.
struct SystemOwner {
    owned: ActorSystem,
}

impl Actor for SystemOwner {
    type Msg = ();
    type Reply = (usize, usize, bool);
    type Args = ActorSystem;
    type Error = std::convert::Infallible;

    async fn pre_start(owned: ActorSystem, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(SystemOwner { owned })
    }

    async fn handle(
        &mut self,
        _: (),
        _: &mut Context<Self>,
    ) -> Result<(usize, usize, bool), Self::Error> {
        let report = self.owned.shutdown().await;
        Ok((report.stopped, report.killed, report.finished))
    }
}

#[tokio::test(start_paused = true)]
async fn s8_an_actor_shutting_down_another_system_waits_for_its_end() {
    let system = ActorSystem::new();
    let owned = ActorSystem::new();
    let (inner, _) = probe(&owned).await;
    let owner = system.spawn::<SystemOwner>(owned.clone()).await.unwrap();
    // The caller is none of the actors of `owned`: nothing keeps it from waiting.
    assert_eq!(owner.ask(()).await.unwrap(), (1, 0, true));
    assert_eq!(inner.exit_reason(), Some(ExitReason::Shutdown));
    assert!(!system.is_shutting_down());
}

/// A message whose `Drop` panics, unless handled (the handler forgets it).
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("a waiting message panicked on drop");
    }
}

struct Hoarder;

impl Actor for Hoarder {
    type Msg = Bomb;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Hoarder)
    }

    async fn handle(&mut self, bomb: Bomb, _: &mut Context<Self>) -> Result<(), Self::Error> {
        std::mem::forget(bomb);
        Ok(())
    }
}

#[tokio::test]
async fn a11_a_panicking_subscriber_and_dead_letters_panicking_on_drop_do_not_stop_the_end() {
    let _panicking = subscriber(true);
    let system = ActorSystem::new();
    let hoarder = system.spawn::<Hoarder>(()).await.unwrap();
    for _ in 0..3 {
        assert!(hoarder.try_tell(Bomb).is_ok());
    }
    // The stop is seen before the waiting messages, which become dead letters.
    hoarder.stop();
    assert_eq!(hoarder.wait_for_exit().await, ExitReason::Normal);
    assert_eq!(system.dead_letters().count(), 3, "every waiting message is a dead letter");
}

/// Panics when dropped: held across an await by a handler that is then killed.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("a handler's local panicked on drop");
    }
}

/// Its handler holds a `PanicsOnDrop` and waits for ever; its state's `Drop` panics too.
struct HeldUp;

impl Drop for HeldUp {
    fn drop(&mut self) {
        panic!("the state panicked on drop");
    }
}

impl Actor for HeldUp {
    type Msg = oneshot::Sender<()>;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(HeldUp)
    }

    async fn handle(
        &mut self,
        inside: oneshot::Sender<()>,
        _: &mut Context<Self>,
    ) -> Result<(), Self::Error> {
        let _held = PanicsOnDrop;
        let _ = inside.send(());
        std::future::pending::<()>().await;
        Ok(())
    }
}

#[tokio::test]
async fn a11_a_killed_handler_whose_locals_panic_on_drop_does_not_stop_the_end() {
    let system = ActorSystem::new();
    let actor = system.spawn::<HeldUp>(()).await.unwrap();
    let (inside_tx, inside) = oneshot::channel();
    actor.tell(inside_tx).await.unwrap();
    inside.await.unwrap();
    actor.kill();
    // The handler's panic on drop is caught; the state is dropped as every end drops it, and
    // its panic is the reason (rather than a second panic while unwinding: an abort).
    assert_eq!(actor.wait_for_exit().await, ExitReason::panicked("the state panicked on drop"));
    let reports = system.crash_reports().recent();
    assert_eq!(reports.len(), 1);
    assert!(
        matches!(reports[0].activity, airssys_rt::monitoring::crash::Activity::DroppingState),
        "{:?}",
        reports[0].activity
    );
}

#[tokio::test]
async fn a11_a_panicking_subscriber_does_not_stop_a_supervisor_from_restarting() {
    use airssys_rt::supervisor::{Child, ChildSpec};
    let _panicking = subscriber(true);
    let system = ActorSystem::new();
    let supervisor =
        Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
    let spec = ChildSpec::new("worker", move |system: ActorSystem| {
        let started_tx = started_tx.clone();
        async move {
            let worker = system.spawn::<Probe>(ProbeArgs::new()).await?;
            let _ = started_tx.send(worker.clone());
            Ok(Some(Child::from(worker)))
        }
    });
    supervisor.start_child(spec).await.unwrap();
    let first = started.recv().await.unwrap();
    let _ = first.ask(Cmd::Panic).await;
    // The end of the child reaches the supervisor, which restarts it.
    let second = started.recv().await.unwrap();
    assert_ne!(first.id(), second.id());
    assert!(supervisor.actor().is_alive());
}

/// Shuts down the system it is given from its `pre_start`, and reports what it got.
struct ShutsDownAtStart;

impl Actor for ShutsDownAtStart {
    type Msg = ();
    type Reply = ();
    type Args = (ActorSystem, std::sync::mpsc::Sender<(usize, usize, bool)>);
    type Error = std::convert::Infallible;

    async fn pre_start(
        (system, report_tx): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        let report = system.shutdown().await;
        let _ = report_tx.send((report.stopped, report.killed, report.finished));
        Ok(ShutsDownAtStart)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Spawns, from its handler, a `ShutsDownAtStart` in another system, aimed at its own.
struct SpawnsElsewhere {
    other: ActorSystem,
    report_tx: std::sync::mpsc::Sender<(usize, usize, bool)>,
}

impl Actor for SpawnsElsewhere {
    type Msg = ();
    type Reply = ();
    type Args = (ActorSystem, std::sync::mpsc::Sender<(usize, usize, bool)>);
    type Error = std::convert::Infallible;

    async fn pre_start(
        (other, report_tx): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(SpawnsElsewhere { other, report_tx })
    }

    async fn handle(&mut self, _: (), ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        let args = (ctx.system().clone(), self.report_tx.clone());
        let _ = self.other.spawn::<ShutsDownAtStart>(args).await;
        Ok(())
    }
}

/// The actor whose `pre_start` calls the shutdown is of another system, but it is started
/// from the handler of one of this system's actors, which awaits that start: the shutdown
/// cannot end while the call waits, so it begins and returns at once, as from that handler.
#[tokio::test(start_paused = true)]
async fn s8_a_shutdown_called_from_a_start_that_an_actor_of_the_system_awaits_returns_at_once() {
    let system = ActorSystem::new();
    let other = ActorSystem::new();
    let (report_tx, report) = std::sync::mpsc::channel();
    let spawner = system.spawn::<SpawnsElsewhere>((other.clone(), report_tx)).await.unwrap();
    let before = tokio::time::Instant::now();
    let _ = spawner.ask(()).await;
    assert_eq!(report.try_recv(), Ok((0, 0, false)), "begun, not waited for");
    assert_eq!(tokio::time::Instant::now(), before, "at once, not at the shutdown timeout");
    assert_eq!(spawner.wait_for_exit().await, ExitReason::Shutdown, "stopped, not killed");
    assert!(system.shutdown().await.finished);
    other.shutdown().await;
}

/// An extension of its own type for the S9 tests: counts the calls that asked for it.
#[derive(Default)]
struct Tally {
    asked: std::sync::atomic::AtomicUsize,
}

#[test]
fn s9_every_handle_of_a_system_gets_its_one_value_and_another_system_its_own() {
    let system = ActorSystem::new();
    let handle = system.clone();
    system.extension::<Tally>().asked.fetch_add(1, Ordering::SeqCst);
    handle.extension::<Tally>().asked.fetch_add(1, Ordering::SeqCst);
    assert!(std::ptr::eq(system.extension::<Tally>(), handle.extension::<Tally>()));
    assert_eq!(system.extension::<Tally>().asked.load(Ordering::SeqCst), 2);
    let other = ActorSystem::new();
    assert_eq!(other.extension::<Tally>().asked.load(Ordering::SeqCst), 0);
    // The services' state is kept the same way: one broker per payload type, one set of groups.
    assert_eq!(system.broker::<u8>().subscriber_count("a"), Ok(0));
    assert!(std::ptr::eq(system.groups(), handle.groups()));
    assert!(!std::ptr::eq(system.groups(), other.groups()));
}

/// Made by a default that asks for another extension of the same system.
struct Chained(usize);

thread_local! {
    static CHAINED_SYSTEM: std::cell::RefCell<Option<ActorSystem>> = const { std::cell::RefCell::new(None) };
}

impl Default for Chained {
    fn default() -> Self {
        let asked = CHAINED_SYSTEM.with(|system| {
            system
                .borrow()
                .as_ref()
                .map(|system| system.extension::<Tally>().asked.fetch_add(1, Ordering::SeqCst) + 1)
        });
        Chained(asked.unwrap_or(0))
    }
}

#[test]
fn s9_a_default_may_ask_for_another_extension() {
    let system = ActorSystem::new();
    CHAINED_SYSTEM.with(|slot| *slot.borrow_mut() = Some(system.clone()));
    // Would deadlock if a lock were held while `Chained::default` ran.
    assert_eq!(system.extension::<Chained>().0, 1);
    assert_eq!(system.extension::<Tally>().asked.load(Ordering::SeqCst), 1);
    CHAINED_SYSTEM.with(|slot| slot.borrow_mut().take());
}

/// Holds a drop counter, handed to it before the system makes it.
struct Watched(std::sync::Arc<std::sync::atomic::AtomicUsize>);

thread_local! {
    static WATCHED_DROPS: std::sync::Arc<std::sync::atomic::AtomicUsize> = std::sync::Arc::default();
}

impl Default for Watched {
    fn default() -> Self {
        Watched(WATCHED_DROPS.with(std::sync::Arc::clone))
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn s9_extensions_are_dropped_with_the_system_and_not_before() {
    let drops = WATCHED_DROPS.with(std::sync::Arc::clone);
    let system = ActorSystem::new();
    let handle = system.clone();
    let _ = system.extension::<Watched>();
    let _ = handle.extension::<Watched>();
    drop(system);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "a handle still holds the system");
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn s9_racing_callers_all_get_the_value_stored_first() {
    let system = ActorSystem::new();
    let seen: Vec<usize> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..8)
            .map(|_| {
                let system = system.clone();
                scope.spawn(move || {
                    let tally = system.extension::<Tally>();
                    tally.asked.fetch_add(1, Ordering::SeqCst);
                    std::ptr::from_ref(tally) as usize
                })
            })
            .collect();
        racers.into_iter().map(|racer| racer.join().unwrap()).collect()
    });
    assert!(seen.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(system.extension::<Tally>().asked.load(Ordering::SeqCst), 8);
}
