//! One test (or more) per rule of `docs/semantics.md`, named after the rule.

mod common;

use std::collections::HashSet;
use std::future::{poll_fn, Future, IntoFuture};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::mailbox::DEFAULT_CAPACITY;
use airssys_rt::prelude::*;
use airssys_rt::system::{ConfigError, LookupError};
use futures::FutureExt;
use parking_lot::Mutex;
use tokio::sync::oneshot;

use common::{block, probe, Cmd, Event, Hook, Journal, Probe, ProbeArgs, ProbeError};

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

#[actor]
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

/// Stops itself in its handler, says so, and goes on until released.
struct SelfStopper;

enum SelfStopperMsg {
    Quit(oneshot::Sender<()>, oneshot::Receiver<()>),
    Ping,
}

#[actor]
impl Actor for SelfStopper {
    type Msg = SelfStopperMsg;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(SelfStopper)
    }

    async fn handle(
        &mut self,
        msg: SelfStopperMsg,
        ctx: &mut Context<Self>,
    ) -> Result<(), Self::Error> {
        if let SelfStopperMsg::Quit(stopped, release) = msg {
            ctx.stop();
            let _ = stopped.send(());
            let _ = release.await;
        }
        Ok(())
    }
}

/// A4.2: from the moment an actor asks to stop, it takes no new message: a send is refused at
/// once, the message handed back (`Closed`), rather than queued to become a dead letter.
#[tokio::test]
async fn a4_2_an_actor_that_asked_to_stop_refuses_new_messages_at_once() {
    let system = ActorSystem::new();
    let actor = system.spawn::<SelfStopper>(()).await.unwrap();
    let (stopped_tx, stopped) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    actor.tell(SelfStopperMsg::Quit(stopped_tx, release_rx)).await.unwrap();
    stopped.await.unwrap();
    // Still in the handler that asked, and still alive: yet nothing new gets in.
    assert!(actor.is_alive());
    assert!(matches!(
        actor.tell(SelfStopperMsg::Ping).await,
        Err(SendError::Closed(SelfStopperMsg::Ping))
    ));
    assert!(matches!(
        actor.try_tell(SelfStopperMsg::Ping),
        Err(SendError::Closed(SelfStopperMsg::Ping))
    ));
    assert!(matches!(
        actor.ask(SelfStopperMsg::Ping).await,
        Err(AskError::Closed(SelfStopperMsg::Ping))
    ));
    release.send(()).unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    assert_eq!(system.dead_letters().count(), 0, "nothing was queued to be dropped");
}

/// Says it is in its handler, waits to be told to stop, stops itself, says so, and goes on
/// until released.
struct StopsWhenTold;

enum StopsWhenToldMsg {
    Hold {
        entered: oneshot::Sender<()>,
        stop: oneshot::Receiver<()>,
        stopped: oneshot::Sender<()>,
        release: oneshot::Receiver<()>,
    },
    Ping,
}

#[actor]
impl Actor for StopsWhenTold {
    type Msg = StopsWhenToldMsg;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(StopsWhenTold)
    }

    async fn handle(
        &mut self,
        msg: StopsWhenToldMsg,
        ctx: &mut Context<Self>,
    ) -> Result<(), Self::Error> {
        if let StopsWhenToldMsg::Hold { entered, stop, stopped, release } = msg {
            let _ = entered.send(());
            let _ = stop.await;
            ctx.stop();
            let _ = stopped.send(());
            let _ = release.await;
        }
        Ok(())
    }
}

/// A4.2: a sender waiting for room in a full `Wait` mailbox when the actor asks to stop is
/// refused then, its message handed back, as a new send is: no room will come, and it must
/// not wait for the rest of the handler (or its timeout).
#[tokio::test]
async fn a4_2_a_sender_waiting_for_room_is_refused_when_the_actor_asks_to_stop() {
    let system = ActorSystem::new();
    let options = bounded(1, OverflowPolicy::Wait);
    let actor = system.spawn_with::<StopsWhenTold>(options, ()).await.unwrap();
    let (entered_tx, entered) = oneshot::channel();
    let (stop, stop_rx) = oneshot::channel();
    let (stopped_tx, stopped) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    let hold = StopsWhenToldMsg::Hold {
        entered: entered_tx,
        stop: stop_rx,
        stopped: stopped_tx,
        release: release_rx,
    };
    actor.tell(hold).await.unwrap();
    entered.await.unwrap();
    actor.tell(StopsWhenToldMsg::Ping).await.unwrap();
    let mut waiting = std::pin::pin!(actor.tell(StopsWhenToldMsg::Ping).into_future());
    assert!(
        poll_fn(|cx| Poll::Ready(waiting.as_mut().poll(cx))).await.is_pending(),
        "the mailbox is full"
    );
    stop.send(()).unwrap();
    stopped.await.unwrap();
    assert!(
        matches!(
            poll_fn(|cx| Poll::Ready(waiting.as_mut().poll(cx))).await,
            Poll::Ready(Err(SendError::Closed(StopsWhenToldMsg::Ping)))
        ),
        "still waiting for room in an actor that asked to stop"
    );
    release.send(()).unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
}

/// Blocks in its handler until released, then stops itself with each reason in turn.
struct OwnStopper;

type StopPlan = (oneshot::Sender<()>, oneshot::Receiver<()>, Vec<ExitReason>);

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

#[actor]
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

// =============================================================================================
// Races, orders and edge cases found in review (chapters A, M and S). Where a comment describes a
// defect, it is the defect as it was found; the test, named after what it asserts, proves it
// gone. Races loop on a multi-thread runtime.

/// Turns a hang into a failure (on Tokio's clock: with paused time it is virtual), so that a
/// lost wake-up shows up as a red test, not a stuck run.
async fn within<F: Future>(what: &str, limit: Duration, future: F) -> F::Output {
    match tokio::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: hung for {limit:?} (lost wake-up?)"),
    }
}

/// The limit of `within` when nothing should take long.
const HANG: Duration = Duration::from_secs(30);

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn unbounded() -> SpawnOptions {
    SpawnOptions::new().mailbox(MailboxConfig::unbounded())
}

/// A6 / M5: "the rest of that hook or handler does not run". `guarded` polls the handler
/// before it looks at the kill flag, so a kill that lands while the handler is parked, followed
/// by anything that wakes the handler, lets the handler run to completion and reply `Ok`.
#[tokio::test(flavor = "current_thread")]
async fn a6_a_killed_handler_does_not_resume_whatever_wakes_it() {
    let system = ActorSystem::new();
    let (actor, _) = probe(&system).await;
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    let asker = actor.clone();
    let request = tokio::spawn(async move {
        asker.ask(Cmd::Block { entered: entered_tx, release: release_rx }).await
    });
    entered_rx.await.unwrap(); // the handler is parked on `release`
    actor.kill();
    let _ = release_tx.send(()); // an unrelated wake-up arriving after the kill
    let result = request.await.unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Killed);
    assert!(
        matches!(result, Err(AskError::Stopped(ExitReason::Killed))),
        "the handler resumed after the kill and replied: {result:?}"
    );
}

/// A5 / A6: post_stop runs for every reason but a kill. `run` decides "was it a kill?" by comparing
/// the reason with `ExitReason::Killed`, so `stop_with(ExitReason::Killed)` (a stop, not a kill)
/// skips post_stop.
#[tokio::test]
async fn a6_a_stop_with_the_reason_killed_still_runs_post_stop() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    actor.stop_with(ExitReason::Killed);
    assert_eq!(actor.wait_for_exit().await, ExitReason::Killed);
    assert!(
        journal.contains(&Event::PostStop(ExitReason::Killed)),
        "post_stop did not run for a graceful stop: {:?}",
        journal.events()
    );
}

/// M6: waiting asks are answered at once when the mailbox closes, before post_stop, with the
/// reason the actor was ending with then; a failing post_stop changes only the final reason.
#[tokio::test]
async fn m6_a_waiting_ask_gets_the_reason_at_close_even_if_post_stop_changes_it() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Probe>(ProbeArgs::new().failing_in(Hook::PostStop)).await.unwrap();
    let release = block(&actor).await;
    let asker = actor.clone();
    let waiting = tokio::spawn(async move { asker.ask(Cmd::Echo(5)).await });
    until_queued(&actor, 1).await;
    actor.stop();
    release.send(()).unwrap();
    let result = waiting.await.unwrap();
    let ended_with = actor.wait_for_exit().await;
    assert!(ended_with.error().is_some(), "post_stop failed, so the actor ended Failed");
    assert!(
        matches!(&result, Err(AskError::Stopped(ExitReason::Normal))),
        "the ask got {result:?}, the actor was ending Normal when its mailbox closed"
    );
}

/// An actor that calls `Context::stop` in `pre_start` and records whether `post_start` ran.
struct StopsInPreStart {
    journal: Journal,
}

#[actor]
impl Actor for StopsInPreStart {
    type Msg = ();
    type Reply = ();
    type Args = Journal;
    type Error = std::convert::Infallible;

    async fn pre_start(journal: Journal, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        ctx.stop();
        Ok(StopsInPreStart { journal })
    }

    async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
        self.journal.push(Event::PostStart);
        Ok(())
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A4.2: `Context::stop` in a hook ends the actor "as soon as that hook returns". A stop asked
/// for in pre_start is only looked at after post_start, so post_start still runs.
#[tokio::test]
async fn a4_2_a_stop_asked_for_in_pre_start_ends_the_actor_before_post_start() {
    let system = ActorSystem::new();
    let journal = Journal::default();
    let actor = system.spawn::<StopsInPreStart>(journal.clone()).await.unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    assert!(
        !journal.contains(&Event::PostStart),
        "post_start ran although pre_start had stopped the actor"
    );
}

/// A9: once the last strong handle is gone, the actor drains its mailbox and ends; a weak
/// handle cannot bring a strong one back meanwhile.
#[tokio::test]
async fn a9_no_strong_handle_comes_back_once_the_last_is_gone() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let weak = actor.downgrade();
    let release = block(&actor).await;
    actor.tell(Cmd::Echo(1)).await.unwrap();
    drop(actor);
    assert!(weak.is_alive(), "still handling its messages");
    assert!(weak.upgrade().is_none());
    let _ = release.send(());
    journal.wait_for(Event::Dropped).await;
    assert_eq!(journal.handled(), vec![1], "the queued message was still handled");
}

/// A7: "its state is then Stopped". `set_exit_reason` publishes the reason before it stores
/// `Stopped`, so an observer that sees the reason can still read `Stopping`.
#[test]
fn a7_the_state_is_stopped_once_the_exit_reason_is_visible() {
    let rt = multi_thread();
    rt.block_on(async {
        let system = ActorSystem::new();
        for round in 0..2_000 {
            let (actor, _) = probe(&system).await;
            let watcher = actor.clone();
            let watch = tokio::task::spawn_blocking(move || loop {
                if watcher.exit_reason().is_some() {
                    return watcher.state();
                }
                std::hint::spin_loop();
            });
            tokio::task::yield_now().await;
            actor.stop();
            let seen = within("watcher", HANG, watch).await.unwrap();
            assert_eq!(
                seen,
                ActorState::Stopped,
                "round {round}: exit reason visible, state {seen:?}"
            );
        }
    });
}

/// An actor that, when its state is dropped, records whether its exit reason was already visible.
struct Watched {
    me: Arc<Mutex<Option<ActorRef<Watched>>>>,
    exit_visible_at_drop: Arc<Mutex<Option<bool>>>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        let visible = self.me.lock().as_ref().map(|me| me.exit_reason().is_some());
        *self.exit_visible_at_drop.lock() = visible;
    }
}

type WatchedArgs = (Arc<Mutex<Option<ActorRef<Watched>>>>, Arc<Mutex<Option<bool>>>);

#[actor]
impl Actor for Watched {
    type Msg = ();
    type Reply = ();
    type Args = WatchedArgs;
    type Error = std::convert::Infallible;

    async fn pre_start(
        (me, seen): WatchedArgs,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Watched { me, exit_visible_at_drop: seen })
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A7 on the `Lifecycle::drop` path: when the runtime drops the actor's task, `life` (the last
/// parameter of `run`) is dropped first, so the exit reason becomes visible, the name is
/// released and the count drops before the actor's state is dropped.
#[test]
fn a7_a_runtime_drop_drops_the_state_before_the_exit_is_visible() {
    let system = ActorSystem::new();
    let me = Arc::new(Mutex::new(None));
    let seen = Arc::new(Mutex::new(None));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let actor =
            system.spawn_named::<Watched>("watched", (me.clone(), seen.clone())).await.unwrap();
        actor.ask(()).await.unwrap(); // the actor's task is now parked in its message loop
        *me.lock() = Some(actor);
    });
    drop(rt);
    // The system stays consistent on this path (checked and fine):
    assert_eq!(system.actor_count(), 0);
    assert!(matches!(system.lookup::<Watched>("watched"), Err(LookupError::NotFound(_))));
    let actor = me.lock().take().unwrap();
    assert_eq!(actor.exit_reason(), Some(ExitReason::Killed));
    // ...and in the order A7 promises: the state went before the exit was visible.
    assert_eq!(*seen.lock(), Some(false), "the exit reason was visible before the state dropped");
}

/// S7: a spawn that passes `admit`'s `shutting_down` check just before `shutdown` sets it is
/// missing from shutdown's snapshot: it is not stopped, so shutdown either returns with it still
/// running (it was not yet counted) or waits the whole timeout and kills it (it was counted).
#[test]
fn s7_a_spawn_racing_shutdown_is_refused_or_stopped_gracefully() {
    let rt = multi_thread();
    rt.block_on(async {
        for round in 0..20_000 {
            let system =
                ActorSystem::builder().shutdown_timeout(Duration::from_secs(1)).build().unwrap();
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let (spawn_system, spawn_barrier) = (system.clone(), barrier.clone());
            let spawner = tokio::spawn(async move {
                spawn_barrier.wait().await;
                spawn_system.spawn_named::<Probe>("late", ProbeArgs::new()).await
            });
            barrier.wait().await;
            let report = system.shutdown().await;
            let spawned = spawner.await.unwrap();
            if let Ok(actor) = spawned {
                let reason = actor.exit_reason();
                assert_eq!(
                    reason,
                    Some(ExitReason::Shutdown),
                    "round {round}: an actor spawned during shutdown ended {reason:?}, \
                     report {report:?}, count now {}",
                    system.actor_count()
                );
                assert_eq!((report.stopped, report.killed), (1, 0), "round {round}");
            }
        }
    });
}

/// S5: "Spawning when [actor_count] equals max_actors returns TooManyActors and changes
/// nothing". `admit` bumps `live` before its name check, so a spawn that will fail with
/// NameTaken briefly occupies a slot and makes a concurrent, legitimate spawn fail.
#[test]
fn s5_a_refused_spawn_takes_no_slot_from_a_concurrent_one() {
    let rt = multi_thread();
    rt.block_on(async {
        let system = ActorSystem::builder().max_actors(2).build().unwrap();
        let _holder = system.spawn_named::<Probe>("taken", ProbeArgs::new()).await.unwrap();
        for round in 0..20_000 {
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let (dup_system, dup_barrier) = (system.clone(), barrier.clone());
            let duplicate = tokio::spawn(async move {
                dup_barrier.wait().await;
                dup_system.spawn_named::<Probe>("taken", ProbeArgs::new()).await.map(drop)
            });
            barrier.wait().await;
            let legit = system.spawn::<Probe>(ProbeArgs::new()).await;
            // Refused either way: NameTaken, or TooManyActors if the legitimate spawn came first.
            assert!(duplicate.await.unwrap().is_err());
            match legit {
                Ok(actor) => {
                    actor.stop();
                    actor.wait_for_exit().await;
                    // Not racing the count-after-exit bug below: wait for the count itself.
                    while system.actor_count() != 1 {
                        tokio::task::yield_now().await;
                    }
                }
                Err(error) => panic!("round {round}: only 1 of 2 slots in use, yet {error:?}"),
            }
        }
    });
}

/// S5: actor_count counts actors "not yet ended". `Lifecycle::end` publishes the exit reason
/// (waking `wait_for_exit`) before `count_exit`, so right after `wait_for_exit` returns the ended
/// actor still counts, and a restart at the limit fails with TooManyActors.
#[test]
fn s5_an_ended_actor_no_longer_counts_once_wait_for_exit_returns() {
    let rt = multi_thread();
    rt.block_on(async {
        let system = ActorSystem::builder().max_actors(1).build().unwrap();
        for round in 0..5_000 {
            let (actor, _) = probe(&system).await;
            actor.stop();
            actor.wait_for_exit().await;
            let count = system.actor_count();
            let restarted = system.spawn::<Probe>(ProbeArgs::new()).await;
            assert!(
                count == 0 && restarted.is_ok(),
                "round {round}: after wait_for_exit, actor_count = {count}, restart: {:?}",
                restarted.map(drop)
            );
            let restarted = restarted.unwrap();
            restarted.stop();
            restarted.wait_for_exit().await;
            while system.actor_count() != 0 {
                tokio::task::yield_now().await;
            }
        }
    });
}

/// S3 / S4: as in OTP, a name is held until the actor has ended, `post_stop` included.
#[tokio::test(start_paused = true)]
async fn s3_s4_a_stopping_actor_holds_its_name_until_it_has_ended() {
    let system = ActorSystem::new();
    let args = ProbeArgs { slow_stop: Some(Duration::from_secs(60)), ..ProbeArgs::new() };
    let journal = args.journal.clone();
    let actor = system.spawn_named::<Probe>("slow", args).await.unwrap();
    actor.stop();
    journal.wait_for(Event::PostStop(ExitReason::Normal)).await;
    assert!(!actor.is_alive(), "state is {:?}", actor.state());
    assert!(system.lookup::<Probe>("slow").is_ok());
    assert!(matches!(
        system.spawn_named::<Probe>("slow", ProbeArgs::new()).await,
        Err(SpawnError::NameTaken { .. })
    ));
    actor.wait_for_exit().await;
    assert!(matches!(system.lookup::<Probe>("slow"), Err(LookupError::NotFound(_))));
    assert!(system.spawn_named::<Probe>("slow", ProbeArgs::new()).await.is_ok());
}

/// A reply whose drop panics.
struct ReplyBomb;

impl Drop for ReplyBomb {
    fn drop(&mut self) {
        panic!("bomb reply dropped");
    }
}

/// An actor that replies with a `ReplyBomb` and records its post_stop.
struct BombThrower {
    journal: Journal,
}

#[actor]
impl Actor for BombThrower {
    type Msg = ();
    type Reply = ReplyBomb;
    type Args = Journal;
    type Error = std::convert::Infallible;

    async fn pre_start(journal: Journal, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(BombThrower { journal })
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<ReplyBomb, Self::Error> {
        Ok(ReplyBomb)
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        r: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.journal.push(Event::PostStop(r.clone()));
        Ok(())
    }
}

/// A4.4 / A5: user code dropped outside `guarded` (the reply of a `tell`, dropped in
/// `handle_messages`; likewise a message's drop in `fail_waiting`) panics through `run`; the task
/// dies, `Lifecycle::drop` ends the actor as `Killed`, and post_stop never runs.
#[tokio::test]
async fn a4_4_a_panic_dropping_a_reply_ends_the_actor_panicked_after_post_stop() {
    let system = ActorSystem::new();
    let journal = Journal::default();
    let actor = system.spawn::<BombThrower>(journal.clone()).await.unwrap();
    actor.tell(()).await.unwrap();
    let reason = actor.wait_for_exit().await;
    assert!(
        reason.is_panic() && journal.contains(&Event::PostStop(reason.clone())),
        "ended {reason:?}, journal {:?}",
        journal.events()
    );
}

// Races and orders that only a loop on a multi-thread runtime shows.

/// Lost wake-ups on the `Wait` path: many senders on a mailbox of one, tells and asks mixed.
#[test]
fn m8_1_wait_senders_are_always_woken() {
    let rt = multi_thread();
    rt.block_on(async {
        for _ in 0..50 {
            let system = ActorSystem::new();
            let args = ProbeArgs::new();
            let journal = args.journal.clone();
            let actor =
                system.spawn_with::<Probe>(bounded(1, OverflowPolicy::Wait), args).await.unwrap();
            let mut senders = Vec::new();
            for s in 0..4u64 {
                let actor = actor.clone();
                senders.push(tokio::spawn(async move {
                    for i in 0..300 {
                        let n = s * 10_000 + i;
                        if i % 5 == 0 {
                            assert_eq!(actor.ask(Cmd::Echo(n)).await.unwrap(), n);
                        } else {
                            actor.tell(Cmd::Echo(n)).await.unwrap();
                        }
                    }
                }));
            }
            let blocking = actor.clone();
            let plain = tokio::task::spawn_blocking(move || {
                for i in 0..300 {
                    blocking.blocking_tell(Cmd::Echo(90_000 + i)).unwrap();
                }
            });
            within("wait senders", HANG, async {
                for sender in senders {
                    sender.await.unwrap();
                }
                plain.await.unwrap();
            })
            .await;
            within("final ask", HANG, actor.ask(Cmd::Echo(u64::MAX)).into_future()).await.unwrap();
            assert_eq!(journal.handled().len(), 4 * 300 + 300 + 1);
        }
    });
}

/// M7 / M11: stop or kill racing concurrent tell / try_tell / ask: every accepted message is handled or
/// dead-lettered, every refused one is handed back, and no ask waits for its timeout.
#[test]
fn m11_every_accepted_message_is_handled_or_a_dead_letter_when_stop_or_kill_races_senders() {
    let rt = multi_thread();
    rt.block_on(async {
        for round in 0..300u64 {
            let system =
                ActorSystem::builder().ask_timeout(Duration::from_secs(20)).build().unwrap();
            let policy = [OverflowPolicy::Wait, OverflowPolicy::Reject, OverflowPolicy::DropOldest]
                [(round % 3) as usize];
            let args = ProbeArgs::new();
            let journal = args.journal.clone();
            let actor = system.spawn_with::<Probe>(bounded(8, policy), args).await.unwrap();
            let accepted = Arc::new(AtomicU64::new(0));
            let asks_dropped = Arc::new(AtomicU64::new(0));
            let mut senders = Vec::new();
            for s in 0..3u64 {
                let (actor, accepted, asks_dropped) =
                    (actor.clone(), accepted.clone(), asks_dropped.clone());
                senders.push(tokio::spawn(async move {
                    for i in 0..200u64 {
                        let n = s * 1_000 + i;
                        let outcome = match i % 3 {
                            0 => actor.tell(Cmd::Echo(n)).await.map_err(|e| e.is_closed()),
                            1 => actor.try_tell(Cmd::Echo(n)).map_err(|e| e.is_closed()),
                            _ => match actor.ask(Cmd::Echo(n)).await {
                                Ok(_) | Err(AskError::Stopped(_)) => Ok(()),
                                Err(AskError::Dropped) => {
                                    asks_dropped.fetch_add(1, Ordering::SeqCst);
                                    Ok(())
                                }
                                Err(AskError::Timeout(_)) => {
                                    panic!("an ask hung until its timeout")
                                }
                                Err(AskError::CallingSelf(_)) => {
                                    panic!("asked from outside any actor")
                                }
                                Err(AskError::Full(_)) => Err(false),
                                Err(AskError::Closed(_)) => Err(true),
                                Err(other) => panic!("a classic handler answers: {other}"),
                            },
                        };
                        match outcome {
                            Ok(()) => {
                                accepted.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(true) => return,
                            Err(false) => tokio::task::yield_now().await,
                        }
                    }
                }));
            }
            for _ in 0..(round % 7) {
                tokio::task::yield_now().await;
            }
            if round % 2 == 0 {
                actor.stop();
            } else {
                actor.kill();
            }
            within("senders", HANG, async {
                for sender in senders {
                    sender.await.unwrap();
                }
            })
            .await;
            actor.wait_for_exit().await;
            let handled = journal.handled().len() as u64;
            let dead = system.dead_letters().count();
            assert_eq!(
                accepted.load(Ordering::SeqCst),
                handled + dead,
                "round {round} ({policy:?}): accepted != handled + dead letters"
            );
            let _ = asks_dropped;
        }
    });
}

/// A4.6 / A9: sender counting under concurrent clone / drop / upgrade / lookup: the actor never ends while a
/// strong handle exists, and ends Normal once the last one (and its name) is gone.
#[test]
fn a4_6_concurrent_handles_never_end_an_actor_early_or_keep_it_forever() {
    let rt = multi_thread();
    rt.block_on(async {
        for round in 0..200 {
            let system = ActorSystem::new();
            let (actor, journal) = probe(&system).await;
            let weak = actor.downgrade();
            let mut workers = Vec::new();
            for w in 0..4u64 {
                let (mine, weak) = (actor.clone(), weak.clone());
                workers.push(tokio::spawn(async move {
                    for i in 0..50 {
                        let extra = mine.clone();
                        if let Some(up) = weak.upgrade() {
                            up.tell(Cmd::Echo(w * 100 + i)).await.unwrap();
                        }
                        drop(extra);
                        assert_eq!(mine.ask(Cmd::Echo(0)).await.unwrap(), 0, "ended early");
                    }
                }));
            }
            drop(actor);
            for worker in workers {
                worker.await.unwrap();
            }
            within("last handle gone", HANG, journal.wait_for(Event::PostStop(ExitReason::Normal)))
                .await;
            assert!(weak.upgrade().is_none(), "round {round}");
        }
    });
}

/// S3: a named actor keeps running without handles, and `lookup` handles count as senders.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_a_named_actor_outlives_its_handles_and_ends_on_stop() {
    let system = ActorSystem::new();
    let id = system.spawn_named::<Probe>("n", ProbeArgs::new()).await.unwrap().id();
    for _ in 0..100 {
        let found = system.lookup::<Probe>("n").unwrap();
        assert_eq!(found.id(), id);
        assert_eq!(found.ask(Cmd::Echo(1)).await.unwrap(), 1);
    }
    let found = system.lookup::<Probe>("n").unwrap();
    found.stop();
    assert_eq!(found.wait_for_exit().await, ExitReason::Normal);
    assert!(matches!(system.lookup::<Probe>("n"), Err(LookupError::NotFound(_))));
}

/// An actor whose pre_start never finishes on its own.
struct Stuck;

#[actor]
impl Actor for Stuck {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        std::future::pending::<()>().await;
        Ok(Stuck)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// S3 / S5: a spawn cancelled during pre_start gives back its slot and its name.
#[tokio::test(start_paused = true)]
async fn s5_a_spawn_cancelled_in_pre_start_gives_back_its_slot_and_name() {
    let system = ActorSystem::new();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(10), system.spawn_named::<Stuck>("s", ())).await;
    assert!(cancelled.is_err());
    assert_eq!(system.actor_count(), 0);
    assert!(matches!(system.lookup::<Stuck>("s"), Err(LookupError::NotFound(_))));
    assert_eq!(system.shutdown().await.killed, 0);
}

/// S7 / A6: a kill during pre_start interrupts it and fails the spawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_shutdown_kills_an_actor_stuck_in_pre_start_and_fails_its_spawn() {
    let system =
        ActorSystem::builder().shutdown_timeout(Duration::from_millis(50)).build().unwrap();
    let spawner = {
        let system = system.clone();
        tokio::spawn(async move { system.spawn::<Stuck>(()).await.map(drop) })
    };
    while system.actor_count() == 0 {
        tokio::task::yield_now().await;
    }
    let report = within("shutdown", HANG, system.shutdown()).await;
    assert_eq!((report.stopped, report.killed), (0, 1));
    assert!(matches!(spawner.await.unwrap(), Err(SpawnError::StartFailed(ExitReason::Killed))));
}

/// S7: "each finishes its current message".
#[tokio::test]
async fn s7_shutdown_lets_the_current_message_finish() {
    let system = ActorSystem::new();
    let (actor, journal) = probe(&system).await;
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    let asker = actor.clone();
    let request = tokio::spawn(async move {
        asker.ask(Cmd::Block { entered: entered_tx, release: release_rx }).await
    });
    entered_rx.await.unwrap();
    let shutdown = {
        let system = system.clone();
        tokio::spawn(async move { system.shutdown().await })
    };
    while !system.is_shutting_down() {
        tokio::task::yield_now().await;
    }
    release_tx.send(()).unwrap();
    assert_eq!(request.await.unwrap().unwrap(), 0);
    let report = shutdown.await.unwrap();
    assert_eq!((report.stopped, report.killed), (1, 0));
    assert!(journal.contains(&Event::PostStop(ExitReason::Shutdown)));
}

/// A7: wait_for_exit from many tasks while the actor ends: all are woken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a7_wait_for_exit_wakes_every_waiter() {
    let system = ActorSystem::new();
    for _ in 0..200 {
        let (actor, _) = probe(&system).await;
        let woken = Arc::new(AtomicUsize::new(0));
        let mut waiters = Vec::new();
        for _ in 0..4 {
            let (actor, woken) = (actor.clone(), woken.clone());
            waiters.push(tokio::spawn(async move {
                actor.wait_for_exit().await;
                woken.fetch_add(1, Ordering::SeqCst);
            }));
        }
        actor.stop();
        within("wait_for_exit", HANG, async {
            for waiter in waiters {
                waiter.await.unwrap();
            }
        })
        .await;
        assert_eq!(woken.load(Ordering::SeqCst), 4);
    }
}

/// M13: `blocking_tell` works from a thread that has never seen a Tokio runtime, whatever the
/// mailbox (the cooperative-budget step of `tell` must not need one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m13_blocking_tell_works_from_a_thread_without_a_runtime() {
    let system = ActorSystem::new();
    for mailbox in [MailboxConfig::unbounded(), MailboxConfig::bounded(2)] {
        let args = ProbeArgs::new();
        let journal = args.journal.clone();
        let actor =
            system.spawn_with::<Probe>(SpawnOptions::new().mailbox(mailbox), args).await.unwrap();
        let sender = actor.clone();
        let sent = std::thread::spawn(move || {
            (0..100).map(|n| sender.blocking_tell(Cmd::Echo(n))).collect::<Result<Vec<_>, _>>()
        });
        let sent = tokio::task::spawn_blocking(move || sent.join()).await.unwrap().unwrap();
        assert!(sent.is_ok());
        actor.ask(Cmd::Echo(100)).await.unwrap();
        assert_eq!(journal.handled(), (0..=100).collect::<Vec<_>>());
    }
}

/// A4.2: a stop asked for in a handler ends the actor as soon as the handler returns, before
/// an exit signal already waiting: `on_exit` does not run after `ctx.stop()`. (The defect it
/// proves gone: the stop was queued behind the waiting signals.)
#[tokio::test]
async fn a4_2_a_stop_in_a_handler_goes_before_a_waiting_exit_signal() {
    let system = ActorSystem::new();
    let args = ProbeArgs::new().trapping_exits();
    let journal = args.journal.clone();
    let stopper = system.spawn::<Probe>(args).await.unwrap();
    let (other, _) = probe(&system).await;
    stopper.ask(Cmd::Link(other.clone())).await.unwrap();
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    let blocked = tokio::spawn({
        let stopper = stopper.clone();
        async move { stopper.ask(Cmd::BlockThenStop { entered: entered_tx, release: release_rx }).await }
    });
    entered_rx.await.unwrap();
    other.stop();
    other.wait_for_exit().await; // its exit signal waits in the stopper's signal lane
    release_tx.send(()).unwrap();
    within("the blocked ask", HANG, blocked).await.unwrap().unwrap();
    assert_eq!(within("exit", HANG, stopper.wait_for_exit()).await, ExitReason::Normal);
    let events = journal.events();
    assert!(
        !events.iter().any(|e| matches!(e, Event::Exit(..))),
        "on_exit ran after ctx.stop(): {events:?}"
    );
    assert!(journal.contains(&Event::PostStop(ExitReason::Normal)));
}

/// A6: "a kill ends the actor at once if it is idle": an actor killed right after `spawn`
/// returned (idle, its task not yet polled) does not run `post_start`. (The defect it proves
/// gone: `run` checked for a kill before `post_stop` but not before `post_start`.)
#[tokio::test]
async fn a6_a_kill_right_after_spawn_skips_post_start() {
    struct Hooked(Arc<AtomicBool>);
    #[actor]
    impl Actor for Hooked {
        type Msg = ();
        type Reply = ();
        type Args = Arc<AtomicBool>;
        type Error = std::convert::Infallible;
        async fn pre_start(
            ran: Arc<AtomicBool>,
            _: &mut Context<Self>,
        ) -> Result<Self, Self::Error> {
            Ok(Hooked(ran))
        }
        async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
            self.0.store(true, Ordering::SeqCst);
            Ok(())
        }
        async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let system = ActorSystem::new();
    let ran = Arc::new(AtomicBool::new(false));
    let actor = system.spawn::<Hooked>(Arc::clone(&ran)).await.unwrap();
    actor.kill();
    let reason = within("exit", HANG, actor.wait_for_exit()).await;
    assert_eq!(reason, ExitReason::Killed);
    assert!(!ran.load(Ordering::SeqCst), "post_start ran after the actor was killed");
}

// ---------------------------------------------------------------- M4. ask deadlines, M15. budget

/// M4 / "respawned if its runtime dropped it". The reaper lives on the runtime of the first
/// ask that registered. An ask registered from another runtime while that reaper is alive does
/// not start a reaper of its own (`ensure_reaper` sees `reaper_running`). When the reaper's
/// runtime is then dropped, `ReaperRunning::drop` clears the flag, but nothing starts a new
/// reaper until some *later* ask registers: the pending ask never times out.
#[test]
fn m4_an_ask_times_out_after_the_runtime_of_the_reaper_is_dropped() {
    let actors = multi_thread();
    let system = ActorSystem::new();
    let (actor, _) = actors.block_on(probe(&system));
    let _release = actors.block_on(block(&actor)); // nothing gets a reply from now on

    // A current-thread runtime, driven by its own thread, starts the reaper.
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let first_asker = actor.clone();
    let other = std::thread::spawn(move || {
        let rt = current_thread();
        rt.block_on(async {
            let first = first_asker.ask(Cmd::Echo(1)).timeout(ms(10)).await;
            assert!(matches!(first, Err(AskError::Timeout(_))), "{first:?}");
            ready_tx.send(()).unwrap();
            let _ = stop_rx.await; // keeps driving the reaper until told to stop
        });
        drop(rt);
        dropped_tx.send(()).unwrap();
    });
    ready_rx.recv().unwrap();

    actors.block_on(async {
        let mut ask = pin!(actor.ask(Cmd::Echo(2)).timeout(Duration::from_secs(1)).into_future());
        // First poll: sent, no reply, registered with the reaper of the other runtime.
        assert!(poll_fn(|cx| Poll::Ready(ask.as_mut().poll(cx).is_pending())).await);
        stop_tx.send(()).unwrap();
        tokio::task::spawn_blocking(move || dropped_rx.recv().unwrap()).await.unwrap();
        let result = within("ask with a 1 s timeout", Duration::from_secs(10), ask).await;
        assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
    });
    other.join().unwrap();
}

/// M4 / S2. Same root cause without any runtime being dropped: the reaper sits on a runtime
/// that is alive but not being driven (a current-thread runtime between `block_on` calls), so
/// asks from the runtime where the actors live never time out. Before 224095d every ask had its
/// own timer on the runtime that polled it.
#[test]
fn m4_asks_time_out_while_another_runtime_that_asked_is_idle() {
    let actors = multi_thread();
    let system = ActorSystem::new();
    let (actor, _) = actors.block_on(probe(&system));
    let _release = actors.block_on(block(&actor));

    let idle = current_thread();
    idle.block_on(async {
        let first = actor.ask(Cmd::Echo(1)).timeout(ms(10)).await;
        assert!(matches!(first, Err(AskError::Timeout(_))), "{first:?}");
    });
    // `idle` stays alive but is not driven any more.

    actors.block_on(async {
        let result = within("ask with a 50 ms timeout", Duration::from_secs(5), async {
            actor.ask(Cmd::Echo(2)).timeout(ms(50)).await
        })
        .await;
        assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
    });
    drop(idle);
}

/// M4: `ask` outside a runtime panics (documented). Defect it proves gone: `ensure_reaper` panics in `tokio::spawn`
/// *after* it set `reaper_running`: the flag stays set for good, so no reaper ever runs again
/// and no ask of the system ever times out (and the panicking ask's entry is leaked: it was
/// inserted before the panic and its `AskDeadline` never learned its registration).
#[test]
fn m4_an_ask_outside_a_runtime_disables_no_later_timeout() {
    let rt = multi_thread();
    let system = ActorSystem::new();
    let (actor, _) = rt.block_on(probe(&system));
    let _release = rt.block_on(block(&actor));

    let outside = actor.clone();
    let panicked = std::thread::spawn(move || {
        let _ =
            futures::executor::block_on(outside.ask(Cmd::Echo(1)).timeout(ms(10)).into_future());
    })
    .join();
    assert!(panicked.is_err(), "an ask outside a runtime is documented to panic");

    rt.block_on(async {
        let result = within("ask with a 50 ms timeout", Duration::from_secs(5), async {
            actor.ask(Cmd::Echo(2)).timeout(ms(50)).await
        })
        .await;
        assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
    });
}

/// M4: `ask` is documented to panic "when awaited outside a Tokio runtime with its timer enabled,
/// as `tokio::time::sleep` does". On a runtime without the timer it now neither panics nor
/// times out: the reaper task panics in `sleep_until` (caught by Tokio, its flag cleared), the
/// ask stays pending forever.
#[test]
fn m4_an_ask_on_a_runtime_without_timer_panics_or_times_out() {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap(); // no timer
        rt.block_on(async {
            let system = ActorSystem::new();
            let (actor, _) = probe(&system).await;
            let _release = block(&actor).await;
            let asker = actor.clone();
            let ask = tokio::spawn(async move {
                asker.ask(Cmd::Echo(1)).timeout(ms(10)).await.map_err(|e| e.to_string())
            });
            // Either outcome is acceptable: the documented panic, or a timeout.
            let outcome = match ask.await {
                Ok(result) => format!("returned {result:?}"),
                Err(error) => format!("panicked: {}", error.is_panic()),
            };
            done_tx.send(outcome).unwrap();
        });
    });
    match done_rx.recv_timeout(Duration::from_secs(5)) {
        Ok(outcome) => println!("ask without a timer: {outcome}"),
        Err(_) => panic!("an ask with a 10 ms timeout on a runtime without timer hung for 5 s"),
    }
}

/// M15 / M13 (d90f530). `tell` queues the message and only then awaits `consume_budget`; when the
/// budget is spent that await is `Pending`, so a `tell` that is dropped there (a losing
/// `select!` branch, a timeout) has delivered its message although it never completed, and a
/// `SendError` carrying the message back is lost with it. Tokio's channels check the budget
/// before they commit (a cancelled `Sender::send` sent nothing).
#[tokio::test(flavor = "current_thread")]
async fn m15_a_tell_cancelled_at_its_budget_yield_has_delivered_nothing() {
    let system = ActorSystem::new();
    let actor = system.spawn_with::<Probe>(unbounded(), ProbeArgs::new()).await.unwrap();
    let (pending, queued) = poll_fn(|cx| {
        // Spend this task's budget, as a loop of sends would.
        loop {
            let mut spend = pin!(tokio::task::coop::consume_budget());
            if spend.as_mut().poll(cx).is_pending() {
                break;
            }
        }
        let pending = {
            let mut tell = pin!(actor.tell(Cmd::Echo(7)).into_future());
            tell.as_mut().poll(cx).is_pending()
        }; // the tell is dropped here, as by a losing select! branch
        Poll::Ready((pending, actor.mailbox_len()))
    })
    .await;
    assert!(pending, "precondition: the tell yielded on the spent budget");
    assert_eq!(queued, 0, "a tell that never completed (and was cancelled) delivered its message");
}

/// A7: "its state is dropped before its exit reason becomes visible ... this holds too when the
/// runtime drops the actor's task". `run(life, actor, ctx)` relies on `life` being dropped last,
/// which holds for a task suspended inside `run` (locals drop in reverse order), but a task the
/// runtime drops before its first poll drops `run`'s captured arguments in declaration order:
/// `life` first, so the exit is announced while the actor's state still exists.
/// (Pre-existing: fails at 5fabfd5 too; the diff kept the parameter order.)
#[test]
fn a7_a_runtime_drop_before_the_first_poll_drops_the_state_before_the_exit_is_visible() {
    let system = ActorSystem::new();
    let me = std::sync::Arc::new(parking_lot::Mutex::new(None));
    let seen = std::sync::Arc::new(parking_lot::Mutex::new(None));
    let rt = current_thread();
    rt.block_on(async {
        // `spawn` returns right after `tokio::spawn(run(..))`; `block_on` returns before the
        // actor's task is ever polled.
        let actor = system.spawn::<Watched>((me.clone(), seen.clone())).await.unwrap();
        *me.lock() = Some(actor);
    });
    drop(rt);
    let actor = me.lock().take().unwrap();
    assert_eq!(actor.exit_reason(), Some(ExitReason::Killed));
    assert_eq!(*seen.lock(), Some(false), "the exit was visible before the state was dropped");
}

/// Where a `Parked` actor's task waits for ever, for the runtime to drop it there.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ParkIn {
    PostStart,
    Handler,
    OnExit,
    OnIdle,
    PostStop,
}

/// Records, when its state is dropped, whether its exit was already visible (as `Watched`);
/// parks in `park_in`, saying so first.
struct Parked {
    me: Arc<Mutex<Option<ActorRef<Parked>>>>,
    exit_visible_at_drop: Arc<Mutex<Option<bool>>>,
    park_in: ParkIn,
    parked: Arc<tokio::sync::Notify>,
}

impl Drop for Parked {
    fn drop(&mut self) {
        let visible = self.me.lock().as_ref().map(|me| me.exit_reason().is_some());
        *self.exit_visible_at_drop.lock() = visible;
    }
}

impl Parked {
    async fn park(&self, here: ParkIn) {
        if self.park_in == here {
            self.parked.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

type ParkedArgs = (
    (Arc<Mutex<Option<ActorRef<Parked>>>>, Arc<Mutex<Option<bool>>>),
    ParkIn,
    Arc<tokio::sync::Notify>,
);

#[actor]
impl Actor for Parked {
    type Msg = bool;
    type Reply = ();
    type Args = ParkedArgs;
    type Error = std::convert::Infallible;

    async fn pre_start(
        ((me, seen), park_in, parked): ParkedArgs,
        ctx: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        ctx.trap_exit(true);
        if park_in == ParkIn::OnIdle {
            ctx.set_idle_timeout(Some(ms(1)));
        }
        Ok(Parked { me, exit_visible_at_drop: seen, park_in, parked })
    }

    async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
        self.park(ParkIn::PostStart).await;
        Ok(())
    }

    /// `true`: stop, and park in `post_stop`; `false`: park here.
    async fn handle(&mut self, stop: bool, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        if stop {
            ctx.stop();
        }
        self.park(ParkIn::Handler).await;
        Ok(())
    }

    async fn on_exit(&mut self, _: &mut Context<Self>, _: ExitSignal) -> Result<(), Self::Error> {
        self.park(ParkIn::OnExit).await;
        Ok(())
    }

    async fn on_idle(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
        self.park(ParkIn::OnIdle).await;
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.park(ParkIn::PostStop).await;
        Ok(())
    }
}

/// Links itself to the actor it is given, and ends when told: an exit signal for it.
struct LinkedTo;

#[actor]
impl Actor for LinkedTo {
    type Msg = ();
    type Reply = ();
    type Args = ActorRef<Parked>;
    type Error = std::convert::Infallible;

    async fn pre_start(
        other: ActorRef<Parked>,
        ctx: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        ctx.link(&other);
        Ok(LinkedTo)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A7 when the runtime drops the actor's task wherever it waits: in `post_start`, in a
/// handler, in a signal's hook (`on_exit`, `on_idle`), in `post_stop`. The task drops what its
/// hook or handler held, then the state, and only then announces the exit.
#[test]
fn a7_a_runtime_drop_in_any_hook_or_handler_drops_the_state_before_the_exit_is_visible() {
    for park_in in
        [ParkIn::PostStart, ParkIn::Handler, ParkIn::OnExit, ParkIn::OnIdle, ParkIn::PostStop]
    {
        let system = ActorSystem::new();
        let me = Arc::new(Mutex::new(None));
        let seen = Arc::new(Mutex::new(None));
        let parked = Arc::new(tokio::sync::Notify::new());
        let rt = current_thread();
        rt.block_on(async {
            let args = ((me.clone(), seen.clone()), park_in, parked.clone());
            let actor = system.spawn::<Parked>(args).await.unwrap();
            *me.lock() = Some(actor.clone());
            match park_in {
                ParkIn::Handler => actor.tell(false).await.unwrap(),
                ParkIn::PostStop => actor.tell(true).await.unwrap(),
                ParkIn::OnExit => system.spawn::<LinkedTo>(actor.clone()).await.unwrap().stop(),
                ParkIn::PostStart | ParkIn::OnIdle => {}
            }
            parked.notified().await;
        });
        drop(rt);
        let actor = me.lock().take().unwrap();
        assert_eq!(actor.exit_reason(), Some(ExitReason::Killed), "{park_in:?}");
        assert_eq!(*seen.lock(), Some(false), "{park_in:?}: the exit was visible first");
    }
}

/// Waker that owns a pending ask of the same system, as a task of a hand-written executor
/// owns its future: dropping the last reference drops that ask.
struct OwnsAsk(
    #[allow(dead_code)]
    parking_lot::Mutex<Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>>,
);

impl std::task::Wake for OwnsAsk {
    fn wake(self: std::sync::Arc<Self>) {}
}

/// M4, "lock held while waking": `Deadlines::poll_expired` replaces an entry's waker (an ask
/// polled by another task than before) with the deadlines lock held, so the old waker is
/// dropped under it. A waker whose drop reaches an ask of the same system (`AskDeadline::drop`
/// -> `cancel` -> the same non-reentrant lock) deadlocks the thread. `register` likewise
/// clones the waker under the lock.
#[test]
fn m4_a_waker_replaced_by_an_ask_timeout_is_dropped_outside_its_lock() {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = current_thread();
        rt.block_on(async {
            let system = ActorSystem::new();
            let (actor, _) = probe(&system).await;
            let _release = block(&actor).await;
            let actor: &'static ActorRef<Probe> = Box::leak(Box::new(actor));
            let noop = std::task::Waker::noop();
            let mut inner =
                Box::pin(actor.ask(Cmd::Echo(1)).timeout(Duration::from_secs(60)).into_future());
            assert!(inner.as_mut().poll(&mut std::task::Context::from_waker(noop)).is_pending());
            let inner: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
                Box::pin(async move { drop(inner.await) });
            let first = std::task::Waker::from(std::sync::Arc::new(OwnsAsk(
                parking_lot::Mutex::new(Some(inner)),
            )));
            let mut outer =
                Box::pin(actor.ask(Cmd::Echo(2)).timeout(Duration::from_secs(60)).into_future());
            assert!(outer.as_mut().poll(&mut std::task::Context::from_waker(&first)).is_pending());
            drop(first); // the deadlines entry now holds the last reference
                         // Polled by another task: the old waker is replaced, and dropped.
            let _ = outer.as_mut().poll(&mut std::task::Context::from_waker(noop));
            done_tx.send(()).unwrap();
        });
    });
    done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("deadlock: a waker dropped under the deadlines lock re-entered it");
}

// What was checked and found correct.

/// M4: deadlines under load (multi-thread, real time): many concurrent asks with more than
/// `MAX_LANES` distinct timeouts (so some take the per-ask `Sleep` fallback), some completed,
/// some dropped midway, all to actors that never reply. Every awaited ask must time out, never
/// before its timeout and not much after.
#[test]
fn m4_timeouts_under_load_fire_neither_early_nor_late_nor_never() {
    let rt = multi_thread();
    rt.block_on(async {
        let system = ActorSystem::new();
        // Unbounded: about 1,400 requests pile up behind the blocked handler.
        let stuck = system.spawn_with::<Probe>(unbounded(), ProbeArgs::new()).await.unwrap();
        let _release = block(&stuck).await;
        let echo = system.spawn_with::<Probe>(unbounded(), ProbeArgs::new()).await.unwrap();
        let mut tasks = Vec::new();
        for task in 0..64u64 {
            let (stuck, echo) = (stuck.clone(), echo.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(task);
                for round in 0..30u64 {
                    let timeout = ms(20 + rng.u64(0..24) * 3);
                    match rng.u8(0..4) {
                        0 => {
                            assert_eq!(
                                echo.ask(Cmd::Echo(round)).timeout(timeout).await.unwrap(),
                                round
                            );
                        }
                        1 => {
                            // Dropped after it registered.
                            let _ = tokio::time::timeout(ms(rng.u64(1..10)), async {
                                stuck.ask(Cmd::Echo(round)).timeout(timeout).await
                            })
                            .await;
                        }
                        _ => {
                            let start = tokio::time::Instant::now();
                            let result = within("ask", Duration::from_secs(10), async {
                                stuck.ask(Cmd::Echo(round)).timeout(timeout).await
                            })
                            .await;
                            let took = start.elapsed();
                            assert!(
                                matches!(result, Err(AskError::Timeout(t)) if t == timeout),
                                "{result:?}"
                            );
                            assert!(took >= timeout, "timed out early: {took:?} < {timeout:?}");
                            assert!(
                                took < timeout + Duration::from_secs(1),
                                "timed out late: {took:?} for {timeout:?}"
                            );
                        }
                    }
                }
            }));
        }
        for task in tasks {
            within("asking task", Duration::from_secs(60), task).await.unwrap();
        }
    });
}

/// M4 on paused time: each timeout fires exactly at its deadline (Tokio's millisecond resolution),
/// for the shared lanes, the `Sleep` fallback (more than 16 distinct timeouts pending), a zero
/// timeout, and a deadline earlier than the one the reaper sleeps on.
#[tokio::test(start_paused = true)]
async fn m4_timeouts_fire_exactly_on_time_on_a_paused_clock() {
    let system = ActorSystem::new();
    let (stuck, _) = probe(&system).await;
    let _release = block(&stuck).await;
    let mut asks = Vec::new();
    // Long ones first, so the reaper sleeps long and must be woken for the shorter ones.
    for timeout in (0..40u64).rev().map(|i| ms(i * 7)) {
        let stuck = stuck.clone();
        asks.push(tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let result = stuck.ask(Cmd::Echo(0)).timeout(timeout).await;
            assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
            (timeout, start.elapsed())
        }));
    }
    for ask in asks {
        let (timeout, took) = within("ask", Duration::from_secs(60), ask).await.unwrap();
        assert!(took >= timeout && took <= timeout + ms(1), "{timeout:?} fired after {took:?}");
    }
}

/// A4.1: signals keep their order whether the first is kept inline (`plain_stop`) or boxed: the
/// first stop wins, through the public API.
#[tokio::test]
async fn a4_1_of_two_stops_sent_the_first_gives_the_reason() {
    let system = ActorSystem::new();
    for (first, second) in [
        (ExitReason::Shutdown, ExitReason::panicked("second")),
        (ExitReason::panicked("first"), ExitReason::Normal),
        (ExitReason::Normal, ExitReason::Shutdown),
    ] {
        let (actor, _) = probe(&system).await;
        let release = block(&actor).await;
        actor.stop_with(first.clone());
        actor.stop_with(second);
        let _ = release.send(());
        assert_eq!(within("exit", Duration::from_secs(5), actor.wait_for_exit()).await, first);
    }
}

/// A5: a stop sent right after `spawn` returns races `run`'s `take_signal` before `post_start`;
/// either way the actor ends with that reason, post_stop runs, and shutdown reports it.
#[test]
fn a5_a_stop_racing_the_start_ends_with_its_reason_after_post_stop() {
    let rt = multi_thread();
    rt.block_on(async {
        let system = ActorSystem::new();
        for round in 0..5_000 {
            let (actor, journal) = probe(&system).await;
            actor.stop_with(ExitReason::Shutdown);
            let reason = within("exit", Duration::from_secs(5), actor.wait_for_exit()).await;
            assert_eq!(reason, ExitReason::Shutdown, "round {round}");
            assert!(
                journal.contains(&Event::PostStop(ExitReason::Shutdown)),
                "round {round}: {:?}",
                journal.events()
            );
        }
        assert_eq!(system.actor_count(), 0);
        let report = system.shutdown().await;
        assert_eq!((report.stopped, report.killed), (0, 0));
    });
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
struct DropCounted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

thread_local! {
    static DROP_COUNTED_DROPS: std::sync::Arc<std::sync::atomic::AtomicUsize> = std::sync::Arc::default();
}

impl Default for DropCounted {
    fn default() -> Self {
        DropCounted(DROP_COUNTED_DROPS.with(std::sync::Arc::clone))
    }
}

impl Drop for DropCounted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn s9_extensions_are_dropped_with_the_system_and_not_before() {
    let drops = DROP_COUNTED_DROPS.with(std::sync::Arc::clone);
    let system = ActorSystem::new();
    let handle = system.clone();
    let _ = system.extension::<DropCounted>();
    let _ = handle.extension::<DropCounted>();
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

/// Asks, while being made, for itself through another extension.
#[derive(Debug)]
struct SelfAsking;

/// Made on the way from `SelfAsking`'s default back to `SelfAsking`.
struct Between;

thread_local! {
    static SELF_ASKING_SYSTEM: std::cell::RefCell<Option<ActorSystem>> = const { std::cell::RefCell::new(None) };
    static SELF_ASKING_FAILS: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

impl Default for SelfAsking {
    fn default() -> Self {
        if SELF_ASKING_FAILS.get() {
            let system = SELF_ASKING_SYSTEM.with_borrow(Clone::clone);
            if let Some(system) = system {
                let _ = system.extension::<Between>();
            }
        }
        SelfAsking
    }
}

impl Default for Between {
    fn default() -> Self {
        let system = SELF_ASKING_SYSTEM.with_borrow(Clone::clone);
        if let Some(system) = system {
            let _ = system.extension::<SelfAsking>();
        }
        Between
    }
}

#[test]
fn s9_a_default_that_asks_for_its_own_type_panics_and_stores_nothing() {
    let system = ActorSystem::new();
    SELF_ASKING_SYSTEM.with_borrow_mut(|slot| *slot = Some(system.clone()));
    // Before: recursion until the stack overflowed, which aborts the whole test process.
    let asked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = system.extension::<SelfAsking>();
    }));
    let message = asked.expect_err("a default asking for itself must panic");
    let message = message.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("SelfAsking"), "{message}");
    // Nothing was stored: the next caller makes the value again, here with a default that
    // no longer asks for itself.
    SELF_ASKING_FAILS.set(false);
    let _ = system.extension::<SelfAsking>();
    SELF_ASKING_SYSTEM.with_borrow_mut(|slot| slot.take());
}

/// How many racers the S9 race tests start at once.
const RACERS: usize = 8;

/// Made by a default that does not return until every racer is inside its own: all of them
/// make a value, and they race to store it (the race `s9_racing_callers_...` leaves to chance).
struct Contended {
    hits: AtomicUsize,
}

static CONTENDED_MADE: AtomicUsize = AtomicUsize::new(0);
static CONTENDED_DROPPED: AtomicUsize = AtomicUsize::new(0);

impl Default for Contended {
    fn default() -> Self {
        CONTENDED_MADE.fetch_add(1, Ordering::SeqCst);
        while CONTENDED_MADE.load(Ordering::SeqCst) < RACERS {
            std::thread::yield_now();
        }
        Contended { hits: AtomicUsize::new(0) }
    }
}

impl Drop for Contended {
    fn drop(&mut self) {
        CONTENDED_DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn s9_callers_that_all_make_a_new_type_at_once_keep_one_value_and_drop_the_others() {
    let system = ActorSystem::new();
    let seen: Vec<usize> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..RACERS)
            .map(|_| {
                scope.spawn(|| {
                    let value = system.extension::<Contended>();
                    value.hits.fetch_add(1, Ordering::SeqCst);
                    std::ptr::from_ref(value) as usize
                })
            })
            .collect();
        racers.into_iter().map(|racer| racer.join().unwrap()).collect()
    });
    assert_eq!(CONTENDED_MADE.load(Ordering::SeqCst), RACERS, "every racer made one");
    assert!(seen.windows(2).all(|pair| pair[0] == pair[1]), "one value for all");
    assert_eq!(system.extension::<Contended>().hits.load(Ordering::SeqCst), RACERS);
    assert_eq!(CONTENDED_DROPPED.load(Ordering::SeqCst), RACERS - 1, "the others dropped");
    drop(system);
    assert_eq!(CONTENDED_DROPPED.load(Ordering::SeqCst), RACERS, "the kept one with the system");
}

/// One type per `N`, each made by a default that waits for every racer to be inside its own:
/// the racers, each asking for a type of its own, all race for the same empty slots.
#[derive(Debug)]
struct Racing<const N: usize> {
    hits: AtomicUsize,
}

static RACING_MADE: AtomicUsize = AtomicUsize::new(0);

impl<const N: usize> Default for Racing<N> {
    fn default() -> Self {
        RACING_MADE.fetch_add(1, Ordering::SeqCst);
        while RACING_MADE.load(Ordering::SeqCst) < RACERS {
            std::thread::yield_now();
        }
        Racing { hits: AtomicUsize::new(0) }
    }
}

/// Fills slots, so that the racers' values straddle the map's first two chunks.
#[derive(Default)]
struct Filler<const N: usize>;

#[test]
fn s9_callers_that_make_different_types_at_once_each_keep_their_own_value() {
    fn ask<const N: usize>(system: &ActorSystem) -> usize {
        let value = system.extension::<Racing<N>>();
        value.hits.fetch_add(1, Ordering::SeqCst);
        std::ptr::from_ref(value) as usize
    }
    let system = ActorSystem::new();
    macro_rules! fill {
        ($($n:literal)*) => {$( let _ = system.extension::<Filler<$n>>(); )*};
    }
    fill!(0 1 2 3 4 5 6 7 8 9 10 11 12);
    let askers: [fn(&ActorSystem) -> usize; RACERS] =
        [ask::<0>, ask::<1>, ask::<2>, ask::<3>, ask::<4>, ask::<5>, ask::<6>, ask::<7>];
    let seen: Vec<usize> = std::thread::scope(|scope| {
        let racers: Vec<_> = askers.iter().map(|ask| scope.spawn(|| ask(&system))).collect();
        racers.into_iter().map(|racer| racer.join().unwrap()).collect()
    });
    assert_eq!(RACING_MADE.load(Ordering::SeqCst), RACERS);
    let distinct: HashSet<usize> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), RACERS, "a value of its own for each type");
    // Each type's value was kept: asked again, it is the one its racer was given.
    let again: Vec<usize> = askers.iter().map(|ask| ask(&system)).collect();
    assert_eq!(seen, again);
    assert_eq!(system.extension::<Racing<3>>().hits.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------- public paths

/// Every public item of the crate before issue 10's layers (commit a021a51), named by the path
/// a program could write then: the layers moved the files, never the paths (the issue's ground
/// rule). Compiling is the test; a path that no longer resolves fails the build.
// Each path is only named, never used: that it resolves is the point.
#[allow(unused_imports)]
mod public_paths_before_the_layers {
    use airssys_rt::actor as _;
    use airssys_rt::actor::Actor as _;
    use airssys_rt::actor::ActorError as _;
    use airssys_rt::actor::ActorId as _;
    use airssys_rt::actor::ActorRef as _;
    use airssys_rt::actor::ActorState as _;
    use airssys_rt::actor::Ask as _;
    use airssys_rt::actor::AskFuture as _;
    use airssys_rt::actor::Context as _;
    use airssys_rt::actor::ExitReason as _;
    use airssys_rt::actor::Tell as _;
    use airssys_rt::actor::TellFuture as _;
    use airssys_rt::actor::WeakActorRef as _;
    use airssys_rt::broker as _;
    use airssys_rt::broker::Broker as _;
    use airssys_rt::broker::BrokerError as _;
    use airssys_rt::broker::Delivery as _;
    use airssys_rt::broker::Publication as _;
    use airssys_rt::broker::PublishReport as _;
    use airssys_rt::broker::SubscriptionId as _;
    use airssys_rt::broker::SubscriptionInfo as _;
    use airssys_rt::broker::TopicProblem as _;
    use airssys_rt::broker::MAX_PATTERN_SEGMENTS as _;
    use airssys_rt::broker::MAX_TOPIC_BYTES as _;
    use airssys_rt::broker::MAX_TOPIC_SEGMENTS as _;
    use airssys_rt::dead_letter as _;
    use airssys_rt::dead_letter::DeadLetter as _;
    use airssys_rt::dead_letter::DeadLetterReason as _;
    use airssys_rt::dead_letter::DeadLetters as _;
    use airssys_rt::mailbox as _;
    use airssys_rt::mailbox::BudgetPolicy as _;
    use airssys_rt::mailbox::MailboxConfig as _;
    use airssys_rt::mailbox::MailboxConfigError as _;
    use airssys_rt::mailbox::OverflowPolicy as _;
    use airssys_rt::mailbox::DEFAULT_CAPACITY as _;
    use airssys_rt::mailbox::DEFAULT_MESSAGE_BUDGET as _;
    use airssys_rt::message as _;
    use airssys_rt::message::AskError as _;
    use airssys_rt::message::SendError as _;
    use airssys_rt::monitoring as _;
    use airssys_rt::monitoring::crash as _;
    use airssys_rt::monitoring::crash::Activity as _;
    use airssys_rt::monitoring::crash::CrashReport as _;
    use airssys_rt::monitoring::crash::CrashReports as _;
    #[cfg(feature = "metrics")]
    use airssys_rt::monitoring::export as _;
    #[cfg(feature = "metrics")]
    use airssys_rt::monitoring::export::ExportTask as _;
    #[cfg(feature = "metrics")]
    use airssys_rt::monitoring::export::MetricsExport as _;
    use airssys_rt::monitoring::health as _;
    use airssys_rt::monitoring::health::Health as _;
    use airssys_rt::monitoring::health::HealthCheck as _;
    use airssys_rt::monitoring::health::HealthCheckFailed as _;
    use airssys_rt::monitoring::health::HealthIssue as _;
    use airssys_rt::monitoring::health::HealthReport as _;
    use airssys_rt::monitoring::health::HealthStatus as _;
    use airssys_rt::monitoring::inspect as _;
    use airssys_rt::monitoring::inspect::ActorNode as _;
    use airssys_rt::monitoring::inspect::Inspector as _;
    use airssys_rt::monitoring::inspect::SystemView as _;
    use airssys_rt::monitoring::stats as _;
    use airssys_rt::monitoring::stats::ActorStatistics as _;
    use airssys_rt::monitoring::stats::Crashes as _;
    use airssys_rt::monitoring::stats::HandlingTime as _;
    use airssys_rt::monitoring::stats::SystemStatistics as _;
    use airssys_rt::monitoring::stats::SAMPLE_EVERY as _;
    use airssys_rt::monitoring::trace as _;
    use airssys_rt::monitoring::trace::ACTOR_SPAN as _;
    use airssys_rt::monitoring::trace::HANDLE_SPAN as _;
    use airssys_rt::pg as _;
    use airssys_rt::pg::GroupError as _;
    use airssys_rt::pg::ProcessGroups as _;
    use airssys_rt::prelude as _;
    use airssys_rt::prelude::Actor as _;
    use airssys_rt::prelude::ActorId as _;
    use airssys_rt::prelude::ActorRef as _;
    use airssys_rt::prelude::ActorState as _;
    use airssys_rt::prelude::ActorSystem as _;
    use airssys_rt::prelude::AskError as _;
    use airssys_rt::prelude::Broker as _;
    use airssys_rt::prelude::BrokerError as _;
    use airssys_rt::prelude::ChildSpec as _;
    use airssys_rt::prelude::Context as _;
    use airssys_rt::prelude::Delivery as _;
    use airssys_rt::prelude::DownNotice as _;
    use airssys_rt::prelude::ExitReason as _;
    use airssys_rt::prelude::ExitSignal as _;
    use airssys_rt::prelude::Health as _;
    use airssys_rt::prelude::HealthCheck as _;
    use airssys_rt::prelude::MailboxConfig as _;
    use airssys_rt::prelude::MonitorRef as _;
    use airssys_rt::prelude::OverflowPolicy as _;
    use airssys_rt::prelude::Pool as _;
    use airssys_rt::prelude::PoolSpec as _;
    use airssys_rt::prelude::Publication as _;
    use airssys_rt::prelude::Restart as _;
    use airssys_rt::prelude::Router as _;
    use airssys_rt::prelude::Routing as _;
    use airssys_rt::prelude::SendError as _;
    use airssys_rt::prelude::SpawnError as _;
    use airssys_rt::prelude::SpawnOptions as _;
    use airssys_rt::prelude::Strategy as _;
    use airssys_rt::prelude::SubscriptionId as _;
    use airssys_rt::prelude::Supervisor as _;
    use airssys_rt::prelude::SupervisorRef as _;
    use airssys_rt::prelude::SupervisorSpec as _;
    use airssys_rt::prelude::TimerRef as _;
    use airssys_rt::prelude::WeakActorRef as _;
    use airssys_rt::registry as _;
    use airssys_rt::registry::check_name as _;
    use airssys_rt::registry::LookupError as _;
    use airssys_rt::registry::NameProblem as _;
    use airssys_rt::registry::Registry as _;
    use airssys_rt::registry::RegistryError as _;
    use airssys_rt::registry::MAX_NAME_BYTES as _;
    use airssys_rt::router as _;
    use airssys_rt::router::Pool as _;
    use airssys_rt::router::PoolError as _;
    use airssys_rt::router::PoolSpec as _;
    use airssys_rt::router::Router as _;
    use airssys_rt::router::RouterAsk as _;
    use airssys_rt::router::RouterTell as _;
    use airssys_rt::router::RouterTellFuture as _;
    use airssys_rt::router::Routing as _;
    use airssys_rt::signal as _;
    use airssys_rt::signal::DownNotice as _;
    use airssys_rt::signal::ExitSignal as _;
    use airssys_rt::signal::MonitorRef as _;
    use airssys_rt::supervisor as _;
    use airssys_rt::supervisor::AutoShutdown as _;
    use airssys_rt::supervisor::Backoff as _;
    use airssys_rt::supervisor::Child as _;
    use airssys_rt::supervisor::ChildCount as _;
    use airssys_rt::supervisor::ChildInfo as _;
    use airssys_rt::supervisor::ChildKind as _;
    use airssys_rt::supervisor::ChildSpec as _;
    use airssys_rt::supervisor::ChildStatus as _;
    use airssys_rt::supervisor::ChildTemplate as _;
    use airssys_rt::supervisor::Restart as _;
    use airssys_rt::supervisor::Shutdown as _;
    use airssys_rt::supervisor::StartResult as _;
    use airssys_rt::supervisor::Strategy as _;
    use airssys_rt::supervisor::Supervisor as _;
    use airssys_rt::supervisor::SupervisorError as _;
    use airssys_rt::supervisor::SupervisorMsg as _;
    use airssys_rt::supervisor::SupervisorRef as _;
    use airssys_rt::supervisor::SupervisorReply as _;
    use airssys_rt::supervisor::SupervisorSpec as _;
    use airssys_rt::system as _;
    use airssys_rt::system::ActorSystem as _;
    use airssys_rt::system::ConfigError as _;
    use airssys_rt::system::LookupError as _;
    use airssys_rt::system::ShutdownReport as _;
    use airssys_rt::system::SpawnError as _;
    use airssys_rt::system::SpawnOptions as _;
    use airssys_rt::system::SystemBuilder as _;
    use airssys_rt::system::SystemConfig as _;
    use airssys_rt::system::DEFAULT_ASK_TIMEOUT as _;
    use airssys_rt::system::DEFAULT_CRASH_REPORT_HISTORY as _;
    use airssys_rt::system::DEFAULT_DEAD_LETTER_HISTORY as _;
    use airssys_rt::system::DEFAULT_MAX_ACTORS as _;
    use airssys_rt::system::DEFAULT_SHUTDOWN_TIMEOUT as _;
    use airssys_rt::timer as _;
    use airssys_rt::timer::TimerRef as _;
    use airssys_rt::Actor as _;
    use airssys_rt::ActorId as _;
    use airssys_rt::ActorRef as _;
    use airssys_rt::ActorState as _;
    use airssys_rt::ActorSystem as _;
    use airssys_rt::Context as _;
    use airssys_rt::ExitReason as _;
    use airssys_rt::SystemBuilder as _;
    use airssys_rt::WeakActorRef as _;
}

#[test]
fn every_public_path_before_the_layers_still_resolves() {
    // The `use` declarations of `public_paths_before_the_layers` are checked at compile time;
    // this names one of them so that the module is part of a test someone runs.
    let _: Option<airssys_rt::monitoring::health::HealthStatus> = None;
}
