//! Chapter T of `docs/semantics.md`, rules T25-T30: handles that follow restarts (`ChildRef`,
//! `NamedRef`), named dynamic children and `ensure_dynamic`. Every wait is on the supervisor's
//! events or on replies; backoffs run on Tokio's paused clock.

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::message::{StableAskError, StableSendError};
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    Backoff, ChildRef, ChildSpec, ChildTemplate, Init, Restart, Strategy, Supervise, Supervisor,
    SupervisorError, SupervisorEvent, SupervisorEvents, SupervisorRef, SupervisorSpec,
};
use futures::FutureExt;
use tokio::sync::oneshot;
use tokio::time::Instant;

mod common;
use common::tree::{Cmd, Member, Tree};

/// An account: a balance that starts at 0 with every incarnation, and a request that
/// poisons it (its handler panics).
#[derive(Clone, Default)]
struct Account {
    name: String,
    balance: u64,
}

struct Deposit(u64);
struct Balance;
struct Poison;
/// Answers with the balance, and ends the account (`Context::fail`).
struct Retire;

#[actor(messages(Deposit, Balance, Poison, Retire))]
impl Actor for Account {}

impl Handler<Deposit> for Account {
    type Reply = u64;
    async fn handle(&mut self, Deposit(n): Deposit, _: &mut Context<Self>) -> u64 {
        self.balance += n;
        self.balance
    }
}

impl Handler<Balance> for Account {
    type Reply = u64;
    async fn handle(&mut self, _: Balance, _: &mut Context<Self>) -> u64 {
        self.balance
    }
}

impl Handler<Poison> for Account {
    type Reply = ();
    async fn handle(&mut self, _: Poison, _: &mut Context<Self>) {
        panic!("poisoned request for {}", self.name);
    }
}

impl Handler<Retire> for Account {
    type Reply = u64;
    async fn handle(&mut self, _: Retire, ctx: &mut Context<Self>) -> u64 {
        ctx.fail("retired");
        self.balance
    }
}

/// An actor whose start argument is an `Account`, as the template's: the same arguments, but
/// another actor type.
struct Mirror;

#[actor(messages(Balance))]
impl Actor for Mirror {
    type Args = Account;
    async fn pre_start(_: Account, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Mirror)
    }
}

impl Handler<Balance> for Mirror {
    type Reply = u64;
    async fn handle(&mut self, _: Balance, _: &mut Context<Self>) -> u64 {
        0
    }
}

fn account(name: &str) -> Account {
    Account { name: name.to_string(), balance: 0 }
}

const LONG: Duration = Duration::from_secs(3600);

/// On the paused clock: `since` is `waited` ago, to the timer's millisecond.
fn assert_waited(since: Instant, waited: Duration) {
    let elapsed = since.elapsed();
    assert!(
        elapsed >= waited && elapsed <= waited + Duration::from_millis(1),
        "waited {elapsed:?}, not {waited:?}"
    );
}

fn backoff(initial: Duration) -> Backoff {
    Backoff::exponential(initial, LONG).jitter(0.0).reset_after(LONG)
}

/// A one_for_one supervisor of one account child, `acct`, restarted after `delay` if any.
async fn bank(system: &ActorSystem, delay: Option<Duration>) -> SupervisorRef {
    let mut child = ChildSpec::worker::<Account>("acct", account("acct"));
    if let Some(delay) = delay {
        child = child.backoff(backoff(delay));
    }
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(100, Duration::from_secs(1))
        .child(child);
    Supervisor::start(system, spec).await.expect("supervisor")
}

/// The next event about `id` that `pick` takes.
async fn next_of<T>(
    events: &mut SupervisorEvents,
    mut pick: impl FnMut(&SupervisorEvent) -> Option<T>,
) -> T {
    loop {
        let event = events.next().await.expect("the supervisor ended");
        if let Some(found) = pick(&event) {
            return found;
        }
    }
}

async fn restarted(events: &mut SupervisorEvents, child: &str) -> ActorId {
    next_of(events, |event| match event {
        SupervisorEvent::Restarted { id, actor, .. } if &**id == child => Some(*actor),
        _ => None,
    })
    .await
}

/// Waits until the supervisor has decided to restart `child` (its end handled).
async fn ended(events: &mut SupervisorEvents, child: &str) -> bool {
    next_of(events, |event| match event {
        SupervisorEvent::Ended { id, restart, .. } if &**id == child => Some(*restart),
        _ => None,
    })
    .await
}

/// Crashes the child's current incarnation and waits until its supervisor decided to restart
/// it: with a backoff, the child is then between incarnations.
async fn crash(child: &ChildRef<Account>, events: &mut SupervisorEvents) {
    let actor = child.current().expect("running");
    let _ = actor.tell(Poison).await;
    assert!(ended(events, child.id()).await, "a restart is decided");
}

#[tokio::test]
async fn t25_a_child_ref_reaches_the_current_incarnation_after_a_restart() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, None).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let copy = child.clone();
    let first = child.current().expect("running").id();
    assert_eq!(child.ask(Deposit(5)).await.unwrap(), 5);

    let mut events = supervisor.events().await.unwrap();
    assert!(matches!(child.ask(Poison).await, Err(StableAskError::Stopped(_))));
    let second = restarted(&mut events, "acct").await;
    assert_ne!(first, second);

    // The same handle, and a clone made before the restart, reach the new incarnation,
    // which starts from fresh state.
    copy.tell(Deposit(2)).await.unwrap();
    assert_eq!(child.ask(Deposit(1)).await.unwrap(), 3);
    assert_eq!(child.current().map(|actor| actor.id()), Some(second));
    assert_eq!(copy.current().map(|actor| actor.id()), Some(second));
    child.try_tell(Deposit(1)).unwrap();
    assert_eq!(copy.ask(Balance).await.unwrap(), 4);

    // `restart_child` makes an incarnation too.
    supervisor.terminate_child("acct").await.unwrap();
    supervisor.restart_child("acct").await.unwrap();
    assert_eq!(child.ask(Deposit(7)).await.unwrap(), 7);
    assert_ne!(child.current().map(|actor| actor.id()), Some(second));
    system.shutdown().await;
}

/// T25: "a send goes straight to it": with the supervisor busy (a child's start function
/// waits), sends through a child ref to a running child are answered.
#[tokio::test]
async fn t25_a_send_to_a_running_child_does_not_ask_the_supervisor() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, None).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let (release, busy) = hold_busy(&supervisor, "blocked").await;
    assert_eq!(child.ask(Deposit(4)).await.unwrap(), 4);
    child.tell(Deposit(1)).await.unwrap();
    assert_eq!(child.ask(Balance).await.unwrap(), 5);
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
}

/// An open supervisor with no children.
struct Desk;

impl Supervise for Desk {
    type Args = ();
    type Error = std::convert::Infallible;

    async fn init(_: (), _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
        Ok(Init::Start(SupervisorSpec::new(Strategy::OneForOne), Desk))
    }
}

#[tokio::test]
async fn t25_an_open_supervisor_child_is_known_by_its_type_while_it_does_not_run() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::open_supervisor::<Desk>("desk", ()));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    supervisor.terminate_child("desk").await.unwrap();
    // Its specification says the type, as a built-in child supervisor's does.
    assert!(matches!(
        supervisor.child_ref::<Account>("desk").await,
        Err(SupervisorError::WrongActorType { actual, .. }) if actual.ends_with("Supervisor<stable_handles::Desk>")
    ));
    let desk: ChildRef<Supervisor<Desk>> = supervisor.child_ref("desk").await.unwrap();
    assert!(desk.current().is_none());
    system.shutdown().await;
}

#[tokio::test]
async fn t25_a_child_ref_is_refused_for_an_unknown_id_or_another_actor_type() {
    let system = ActorSystem::new();
    let tree = Tree::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Account>("acct", account("acct")))
        .child(tree.member("m"));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    assert!(matches!(
        supervisor.child_ref::<Account>("nobody").await,
        Err(SupervisorError::NotFound(id)) if &*id == "nobody"
    ));
    assert!(matches!(
        supervisor.child_ref::<Account>("m").await,
        Err(SupervisorError::WrongActorType { actual, .. }) if actual.ends_with("Member")
    ));
    // Known from the specification even while the child does not run.
    supervisor.terminate_child("m").await.unwrap();
    assert!(matches!(
        supervisor.child_ref::<Account>("m").await,
        Err(SupervisorError::WrongActorType { .. })
    ));
    let member: ChildRef<Member> = supervisor.child_ref("m").await.unwrap();
    assert!(member.current().is_none());
    supervisor.actor().stop();
    supervisor.actor().wait_for_exit().await;
    assert!(matches!(
        supervisor.child_ref::<Account>("acct").await,
        Err(SupervisorError::NotRunning)
    ));
}

#[tokio::test(start_paused = true)]
async fn t26_a_send_during_a_restart_waits_for_the_next_incarnation() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, Some(Duration::from_secs(1))).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    crash(&child, &mut events).await;

    // Between incarnations: the backoff of 1 s runs. A tell and an ask wait for the next
    // incarnation and are delivered to it, in order.
    let crashed = Instant::now();
    let teller = child.clone();
    let tell = tokio::spawn(async move { teller.tell(Deposit(10)).await.map_err(drop) });
    tell.await.unwrap().unwrap();
    assert_eq!(child.ask(Deposit(1)).timeout(Duration::from_secs(5)).await.unwrap(), 11);
    assert!(crashed.elapsed() >= Duration::from_secs(1), "delivered after the backoff");
    let second = restarted(&mut events, "acct").await;
    assert_eq!(child.current().map(|actor| actor.id()), Some(second));
}

/// T26: a send made right after the crash's answer, with no wait for the restart, reaches
/// the next incarnation: the crashed one closed its mailbox before it answered. On two
/// threads, so that the caller runs while the crashed incarnation ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_a_send_right_after_a_crash_reaches_the_next_incarnation() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(1000, Duration::from_secs(1))
        .child(ChildSpec::worker::<Account>("acct", account("acct")));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    for round in 0..100 {
        let crashed = child.ask(Poison).await;
        assert!(matches!(crashed, Err(StableAskError::Stopped(_))), "round {round}");
        if round % 2 == 0 {
            assert_eq!(child.ask(Deposit(1)).await.unwrap(), 1, "round {round}");
        } else {
            child.tell(Deposit(2)).await.unwrap();
            assert_eq!(child.ask(Balance).await.unwrap(), 2, "round {round}: the tell was lost");
        }
    }
    system.shutdown().await;
}

/// T26 for a handler that ends its actor and still replies (`Context::fail`, A4.2): its
/// mailbox refuses new messages from the moment it asks, so a send made right after the reply
/// reaches the next incarnation, never the mailbox of the ending one. On two threads, so that
/// the caller runs while the retired incarnation ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_a_send_right_after_the_reply_of_a_handler_that_ended_its_actor_reaches_the_next_incarnation(
) {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10_000, Duration::from_secs(1))
        .child(ChildSpec::worker::<Account>("acct", account("acct")));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    for round in 0..300 {
        // What the last round left in this incarnation: each starts from 0.
        let left = match round {
            0 => 0,
            odd if odd % 2 == 1 => 1,
            _ => 2,
        };
        assert_eq!(child.ask(Retire).await.unwrap(), left, "round {round}");
        if round % 2 == 0 {
            assert_eq!(child.ask(Deposit(1)).await.unwrap(), 1, "round {round}");
        } else {
            child.tell(Deposit(2)).await.unwrap();
            assert_eq!(child.ask(Balance).await.unwrap(), 2, "round {round}: the tell was lost");
        }
    }
    assert_eq!(system.dead_letters().count(), 0);
    system.shutdown().await;
}

/// A classic tally whose `handle` fails (`Err`) on `Tally::Fail`: its asker gets
/// `Stopped(Failed)` (Q11).
#[derive(Clone, Default)]
struct Tally(u64);

enum TallyMsg {
    Add(u64),
    Get,
    Fail,
}

#[derive(Debug, thiserror::Error)]
#[error("the tally failed")]
struct TallyFailed;

#[actor]
impl Actor for Tally {
    type Msg = TallyMsg;
    type Reply = u64;
    type Error = TallyFailed;
    async fn handle(&mut self, msg: TallyMsg, _: &mut Context<Self>) -> Result<u64, TallyFailed> {
        match msg {
            TallyMsg::Add(n) => self.0 += n,
            TallyMsg::Get => {}
            TallyMsg::Fail => return Err(TallyFailed),
        }
        Ok(self.0)
    }
}

/// T26 for a failure that is no panic: a classic `handle` returning `Err` answers its asker
/// `Stopped(Failed)` (Q11); a send made right after that answer reaches the next
/// incarnation, never the mailbox of the failed one. On two threads, so that the caller runs
/// while the failed incarnation ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_a_send_right_after_a_failure_reaches_the_next_incarnation() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10_000, Duration::from_secs(1))
        .child(ChildSpec::worker::<Tally>("tally", Tally::default()));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child_ref::<Tally>("tally").await.unwrap();
    for round in 0..500 {
        let failed = child.ask(TallyMsg::Fail).await;
        assert!(matches!(failed, Err(StableAskError::Stopped(_))), "round {round}");
        if round % 2 == 0 {
            let added = child.ask(TallyMsg::Add(1)).await;
            assert!(matches!(added, Ok(1)), "round {round}: the ask went to the failed one");
        } else {
            assert!(child.tell(TallyMsg::Add(2)).await.is_ok(), "round {round}");
            let got = child.ask(TallyMsg::Get).await;
            assert!(matches!(got, Ok(2)), "round {round}: the tell was lost");
        }
    }
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn t26_a_waiting_send_gives_up_at_its_timeout_and_hands_the_message_back() {
    let system = ActorSystem::builder().ask_timeout(Duration::from_secs(2)).build().unwrap();
    let supervisor = bank(&system, Some(LONG)).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    crash(&child, &mut events).await;

    let asked = Instant::now();
    let ask = child.ask(Deposit(1)).timeout(Duration::from_secs(1)).await;
    assert!(matches!(ask, Err(StableAskError::RestartTimeout(Deposit(1)))));
    assert_waited(asked, Duration::from_secs(1));

    let told = Instant::now();
    let tell = child.tell(Deposit(2)).timeout(Duration::from_millis(500)).await;
    assert!(matches!(tell, Err(StableSendError::RestartTimeout(Deposit(2)))));
    assert_waited(told, Duration::from_millis(500));

    // A plain tell waits as long as the system's ask timeout; a plain ask too.
    let told = Instant::now();
    let tell = child.tell(Deposit(3)).await;
    assert!(matches!(tell, Err(StableSendError::RestartTimeout(Deposit(3)))));
    assert_waited(told, Duration::from_secs(2));
    let asked = Instant::now();
    assert!(matches!(child.ask(Balance).await, Err(StableAskError::RestartTimeout(Balance))));
    assert_waited(asked, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn t26_a_failing_handle_fails_at_once_during_a_restart() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, Some(Duration::from_secs(1))).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap().failing_during_restart();
    assert!(child.fails_during_restart());
    let mut events = supervisor.events().await.unwrap();
    crash(&child, &mut events).await;

    let at = Instant::now();
    assert!(matches!(child.tell(Deposit(1)).await, Err(StableSendError::Restarting(Deposit(1)))));
    assert!(matches!(child.ask(Deposit(2)).await, Err(StableAskError::Restarting(Deposit(2)))));
    assert!(matches!(child.try_tell(Deposit(3)), Err(StableSendError::Restarting(Deposit(3)))));
    assert_eq!(at.elapsed(), Duration::ZERO, "failed at once");

    // Once the next incarnation runs, the failing handle reaches it.
    restarted(&mut events, "acct").await;
    assert_eq!(child.ask(Deposit(4)).await.unwrap(), 4);
    // `try_tell` never waits: the handle's view of the child is its last send's.
    assert!(child.try_tell(Deposit(1)).is_ok());
    let patient = child.waiting_for_restart();
    assert!(!patient.fails_during_restart());
    assert_eq!(patient.ask(Balance).await.unwrap(), 5);
}

/// Makes the supervisor busy: a child whose start function waits until `release` is sent.
/// Returns once the supervisor is in that start, with the release and the pending call.
async fn hold_busy(
    supervisor: &SupervisorRef,
    id: &'static str,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<Result<Option<ActorId>, SupervisorError>>) {
    let (entered, started) = oneshot::channel::<()>();
    let (release, released) = oneshot::channel::<()>();
    let gate = Arc::new(parking_lot::Mutex::new(Some((entered, released))));
    let blocked = ChildSpec::new(id, move |_: ActorSystem| {
        let gate = gate.lock().take();
        async move {
            if let Some((entered, released)) = gate {
                let _ = entered.send(());
                let _ = released.await;
            }
            Ok(None)
        }
    });
    let busy = tokio::spawn({
        let supervisor = supervisor.clone();
        async move { supervisor.start_child(blocked).await }
    });
    started.await.unwrap();
    (release, busy)
}

/// T26: a failing handle fails at once between incarnations even while its supervisor is busy
/// (a child's start runs in the supervisor's task): it reads what the supervisor published of
/// the child, and makes no call that would wait for that step to end. Each send completes in
/// its first poll.
#[tokio::test(start_paused = true)]
async fn t26_a_failing_handle_fails_at_once_while_its_supervisor_is_busy() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, Some(Duration::from_secs(1))).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap().failing_during_restart();
    let mut events = supervisor.events().await.unwrap();
    crash(&child, &mut events).await;
    let (release, busy) = hold_busy(&supervisor, "first").await;

    let told = child.tell(Deposit(1)).into_future().now_or_never();
    assert!(matches!(told, Some(Err(StableSendError::Restarting(Deposit(1))))));
    let asked = child.ask(Deposit(2)).into_future().now_or_never();
    assert!(matches!(asked, Some(Err(StableAskError::Restarting(Deposit(2))))));
    assert!(matches!(child.try_tell(Deposit(3)), Err(StableSendError::Restarting(Deposit(3)))));

    // A terminated child is gone, and says so as soon as the supervisor has stopped it.
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
    restarted(&mut events, "acct").await;
    supervisor.terminate_child("acct").await.unwrap();
    let (release, busy) = hold_busy(&supervisor, "second").await;
    let told = child.tell(Deposit(4)).into_future().now_or_never();
    assert!(matches!(told, Some(Err(StableSendError::Gone(Deposit(4))))));
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
    system.shutdown().await;
}

/// T26: `try_tell` never calls the supervisor, yet reaches an incarnation started since the
/// handle's last send: the supervisor published it as it started it.
#[tokio::test(start_paused = true)]
async fn t26_try_tell_reaches_an_incarnation_started_since_the_last_send() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, Some(Duration::from_secs(1))).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    crash(&child, &mut events).await;
    let second = restarted(&mut events, "acct").await;
    let (release, busy) = hold_busy(&supervisor, "blocked").await;
    child.try_tell(Deposit(5)).unwrap();
    assert_eq!(child.current().map(|actor| actor.id()), Some(second));
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
    assert_eq!(child.ask(Balance).await.unwrap(), 5);
    system.shutdown().await;
}

/// T26 and M15: a tell or an ask through a child ref, dropped while it waits for the next
/// incarnation, makes its message a `SendCancelled` dead letter (of the incarnation the handle
/// last reached), as one dropped while it waits for room does, and so does an ask dropped
/// before its first poll; none is handled.
#[tokio::test(start_paused = true)]
async fn t26_a_send_cancelled_while_waiting_for_a_restart_becomes_a_dead_letter() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, Some(Duration::from_secs(10))).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let first = child.current().expect("running").id();
    let mut events = supervisor.events().await.unwrap();
    crash(&child, &mut events).await;
    let before = system.dead_letters().count();

    let told = tokio::time::timeout(Duration::from_secs(1), child.tell(Deposit(1))).await;
    assert!(told.is_err(), "the tell should still have been waiting");
    let asked = tokio::time::timeout(Duration::from_secs(1), child.ask(Deposit(2))).await;
    assert!(asked.is_err(), "the ask should still have been waiting");
    // An ask dropped before its first poll, as the losing branch of a `select!`.
    tokio::select! {
        biased;
        () = std::future::ready(()) => {}
        _ = child.ask(Deposit(3)) => panic!("the ask branch was not to run"),
    }
    assert_eq!(system.dead_letters().count(), before + 3);
    let letters = system.dead_letters().recent();
    let cancelled: Vec<_> = letters[letters.len() - 3..]
        .iter()
        .map(|letter| (letter.reason, letter.target, letter.was_ask))
        .collect();
    assert_eq!(
        cancelled,
        vec![
            (DeadLetterReason::SendCancelled, first, false),
            (DeadLetterReason::SendCancelled, first, true),
            (DeadLetterReason::SendCancelled, first, true),
        ]
    );
    restarted(&mut events, "acct").await;
    assert_eq!(child.ask(Balance).await.unwrap(), 0, "a cancelled message is never handled");
}

/// T26 and fault injection: senders keep asking through clones of one child ref while one of
/// them poisons the child. Each request is answered by one incarnation, or failed with
/// `Stopped` because the poisoned one took it before it ended; none is lost or sent twice,
/// and every sender's later requests reach the restarted child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t26_senders_go_on_through_a_child_ref_while_a_poisoned_request_crashes_the_child() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, None).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    let (poisoned, is_poisoned) = tokio::sync::watch::channel(false);
    let mut senders = Vec::new();
    for _ in 0..8 {
        let child = child.clone();
        let mut is_poisoned = is_poisoned.clone();
        senders.push(tokio::spawn(async move {
            let (mut answered, mut stopped) = (0, 0);
            for round in 0..200 {
                match child.ask(Deposit(1)).await {
                    Ok(_) => answered += 1,
                    Err(StableAskError::Stopped(_)) => stopped += 1,
                    Err(other) => panic!("round {round}: {other}"),
                }
                if round == 100 {
                    // Half the rounds after the poison was sent.
                    let _ = is_poisoned.wait_for(|sent| *sent).await;
                }
            }
            (answered, stopped)
        }));
    }
    assert!(
        matches!(child.ask(Poison).await, Err(StableAskError::Stopped(reason)) if reason.is_panic())
    );
    poisoned.send(true).unwrap();
    let restarted_as = restarted(&mut events, "acct").await;
    let mut answered = 0;
    for sender in senders {
        let (ok, stopped) = sender.await.unwrap();
        assert_eq!(ok + stopped, 200);
        answered += ok;
    }
    assert!(answered >= 8 * 99, "the rounds after the poison are answered: {answered}");
    assert_eq!(child.current().map(|actor| actor.id()), Some(restarted_as));
    // One restart only: no request was sent again to the new incarnation to crash it.
    assert_eq!(supervisor.count_children().await.unwrap().active, 1);
    system.shutdown().await;
    while let Some(event) = events.next().await {
        assert!(!matches!(event, SupervisorEvent::Restarted { .. }), "restarted twice: {event:?}");
    }
}

#[tokio::test]
async fn t27_a_send_to_a_child_that_will_not_come_back_fails_with_gone() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(100, Duration::from_secs(1))
        .child(ChildSpec::worker::<Account>("kept", account("kept")))
        .child(ChildSpec::worker::<Account>("temp", account("temp")).restart(Restart::Temporary))
        .child(ChildSpec::worker::<Account>("trans", account("trans")).restart(Restart::Transient));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let kept = supervisor.child_ref::<Account>("kept").await.unwrap();
    let temp = supervisor.child_ref::<Account>("temp").await.unwrap();
    let trans = supervisor.child_ref::<Account>("trans").await.unwrap();
    let mut events = supervisor.events().await.unwrap();

    // Terminated: its specification stays, but nothing restarts it.
    supervisor.terminate_child("kept").await.unwrap();
    assert!(matches!(kept.tell(Deposit(1)).await, Err(StableSendError::Gone(Deposit(1)))));
    assert!(matches!(kept.ask(Deposit(2)).await, Err(StableAskError::Gone(Deposit(2)))));
    // Deleted.
    supervisor.delete_child("kept").await.unwrap();
    assert!(matches!(kept.tell(Deposit(3)).await, Err(StableSendError::Gone(Deposit(3)))));

    // A temporary child that crashed; a transient one that ended normally.
    let _ = temp.ask(Poison).await;
    assert!(!ended(&mut events, "temp").await);
    assert!(matches!(temp.ask(Deposit(1)).await, Err(StableAskError::Gone(Deposit(1)))));
    let actor = trans.current().unwrap();
    actor.stop();
    assert!(!ended(&mut events, "trans").await);
    assert!(matches!(trans.tell(Deposit(1)).await, Err(StableSendError::Gone(Deposit(1)))));
    assert!(trans.current().is_none());
}

/// T27: a sender waiting for a restart that `terminate_child` cancels fails with `Gone`.
#[tokio::test(start_paused = true)]
async fn t27_a_sender_waiting_for_a_cancelled_restart_fails_with_gone() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, Some(LONG)).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    crash(&child, &mut events).await;
    // The ask is polled first: its look (and subscription) is queued before the terminate.
    let (waited, terminated) =
        tokio::join!(child.ask(Deposit(1)).timeout(LONG), supervisor.terminate_child("acct"));
    terminated.unwrap();
    assert!(matches!(waited, Err(StableAskError::Gone(Deposit(1)))));
    let cancelled = next_of(&mut events, |event| match event {
        SupervisorEvent::RestartCancelled { id } => Some(id.clone()),
        _ => None,
    });
    assert_eq!(&*cancelled.await, "acct");
}

/// T27: from the moment a supervisor starts to give up, a new send through a handle of a
/// child it has stopped fails with `SupervisorEnded`, not `Gone`, while its other children are
/// still being stopped; waiting or failing handle alike, at once.
#[tokio::test(start_paused = true)]
async fn t27_a_send_while_the_supervisor_gives_up_fails_with_supervisor_ended() {
    let system = ActorSystem::new();
    let tree = Tree::new();
    let mut slow = tree.args("slow");
    slow.slow_stop = Some(Duration::from_secs(10));
    // `slow` is stopped last (the children stop in reverse start order) and takes 10 s.
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0, LONG)
        .child(ChildSpec::worker::<Member>("slow", slow))
        .child(tree.member("m"));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child_ref::<Member>("m").await.unwrap();
    let failing = child.failing_during_restart();
    let mut events = supervisor.events().await.unwrap();
    child.current().unwrap().tell(Cmd::Crash).await.unwrap();
    next_of(&mut events, |event| match event {
        SupervisorEvent::Ended { id, restart: false, .. } if &**id == "m" => Some(()),
        _ => None,
    })
    .await;
    assert!(supervisor.actor().is_alive(), "still stopping `slow`");
    let told = child.tell(Cmd::Exit(ExitReason::Normal)).into_future().now_or_never();
    assert!(matches!(told, Some(Err(StableSendError::SupervisorEnded(_)))), "{told:?}");
    let told = failing.tell(Cmd::Exit(ExitReason::Normal)).into_future().now_or_never();
    assert!(matches!(told, Some(Err(StableSendError::SupervisorEnded(_)))), "{told:?}");
    assert!(matches!(
        failing.try_tell(Cmd::Exit(ExitReason::Normal)),
        Err(StableSendError::SupervisorEnded(_))
    ));
    assert_eq!(supervisor.actor().wait_for_exit().await, ExitReason::Shutdown);
}

/// T27 and fault injection: a restart storm. Every restart of the child fails to start, so
/// its supervisor gives up (T6, T8) while senders wait for the restart: each fails with
/// `SupervisorEnded`, its message handed back; so does every later send.
#[tokio::test(start_paused = true)]
async fn t27_senders_waiting_while_the_supervisor_gives_up_fail_with_supervisor_ended() {
    let system = ActorSystem::new();
    let tree = Tree::new();
    let args = tree.args("m");
    let failing = Arc::clone(&args.failing_starts);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(3, LONG)
        .child(ChildSpec::worker::<Member>("m", args).backoff(backoff(Duration::from_millis(100))));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child_ref::<Member>("m").await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    failing.store(usize::MAX, std::sync::atomic::Ordering::SeqCst);
    let actor = child.current().unwrap();
    actor.tell(Cmd::Crash).await.unwrap();
    next_of(&mut events, |event| match event {
        SupervisorEvent::Ended { restart: true, .. } => Some(()),
        _ => None,
    })
    .await;
    let senders: Vec<_> = (0..4)
        .map(|n| {
            let child = child.clone();
            tokio::spawn(async move {
                match n % 2 {
                    0 => child.tell(Cmd::Exit(ExitReason::Normal)).timeout(LONG).await.err(),
                    _ => child.ask(Cmd::Exit(ExitReason::Normal)).timeout(LONG).await.err().map(
                        |error| match error {
                            StableAskError::SupervisorEnded(back) => {
                                StableSendError::SupervisorEnded(back)
                            }
                            other => panic!("{other}"),
                        },
                    ),
                }
            })
        })
        .collect();
    let reason = supervisor.actor().wait_for_exit().await;
    assert_eq!(reason, ExitReason::Shutdown, "gave up");
    for sender in senders {
        let failed = sender.await.unwrap();
        assert!(
            matches!(failed, Some(StableSendError::SupervisorEnded(Cmd::Exit(_)))),
            "{failed:?}"
        );
    }
    assert!(matches!(
        child.tell(Cmd::Crash).await,
        Err(StableSendError::SupervisorEnded(Cmd::Crash))
    ));
}

#[tokio::test]
async fn t28_a_named_ref_reaches_whichever_actor_holds_the_name() {
    let system = ActorSystem::new();
    let options = SpawnOptions::new().name("acct");
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker_with::<Account>(
        "acct",
        options,
        account("acct"),
    ));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let named = system.named::<Account>("acct");
    assert_eq!(named.name(), "acct");
    assert_eq!(named.ask(Deposit(5)).await.unwrap(), 5);
    let first = named.current().unwrap().id();

    let mut events = supervisor.events().await.unwrap();
    assert!(matches!(named.ask(Poison).await, Err(StableAskError::Stopped(_))));
    let second = restarted(&mut events, "acct").await;
    // The restarted child registered the name again: the handle reaches it.
    named.tell(Deposit(1)).await.unwrap();
    assert_eq!(named.ask(Balance).await.unwrap(), 1);
    assert_eq!(named.current().map(|actor| actor.id()), Some(second));
    assert_ne!(first, second);

    // Any actor that takes the name, supervised or not.
    supervisor.terminate_child("acct").await.unwrap();
    let other = system.spawn_named::<Account>("acct", account("other")).await.unwrap();
    named.try_tell(Deposit(3)).unwrap();
    assert_eq!(named.ask(Balance).await.unwrap(), 3);
    assert_eq!(named.current(), Some(other));
}

#[tokio::test(start_paused = true)]
async fn t28_while_nobody_holds_the_name_a_send_waits_or_fails() {
    let system = ActorSystem::builder().ask_timeout(Duration::from_secs(2)).build().unwrap();
    let named = system.named::<Account>("later");
    let failing = named.failing_during_restart();
    assert!(matches!(failing.tell(Deposit(1)).await, Err(StableSendError::Restarting(Deposit(1)))));
    assert!(matches!(named.try_tell(Deposit(1)), Err(StableSendError::Restarting(Deposit(1)))));
    let at = Instant::now();
    assert!(matches!(
        named.tell(Deposit(2)).await,
        Err(StableSendError::RestartTimeout(Deposit(2)))
    ));
    assert_waited(at, Duration::from_secs(2));

    // A waiting ask (polled first, so waiting) is delivered to the actor that registers the
    // name.
    let at = Instant::now();
    let (waited, _actor) = tokio::join!(named.ask(Deposit(7)).timeout(LONG), async {
        let actor = system.spawn::<Account>(account("later")).await.unwrap();
        system.registry().register("later", &actor).unwrap();
        actor
    });
    assert_eq!(waited.unwrap(), 7);
    assert_eq!(at.elapsed(), Duration::ZERO, "woken by the registration");

    // Another type under the name; a system that shuts down.
    let wrong = system.named::<Member>("later");
    assert!(matches!(wrong.tell(Cmd::Crash).await, Err(StableSendError::WrongType(Cmd::Crash))));
    system.shutdown().await;
    assert!(matches!(named.ask(Balance).await, Err(StableAskError::Gone(Balance))));
}

/// T28: a send waiting for the name's next actor when the system shuts down fails with
/// `Gone` then, handing the message back, rather than waiting out its timeout: no actor will
/// register the name again.
#[tokio::test(start_paused = true)]
async fn t28_a_send_waiting_for_a_name_fails_with_gone_when_the_system_shuts_down() {
    let system = ActorSystem::new();
    let named = system.named::<Account>("never");
    let waiter = named.clone();
    let (polled, is_polled) = oneshot::channel();
    let waiting = tokio::spawn(async move {
        let mut tell = std::pin::pin!(std::future::IntoFuture::into_future(
            waiter.tell(Deposit(1)).timeout(LONG)
        ));
        // Polled once (so waiting for a registration) before the shutdown begins.
        let first = std::future::poll_fn(|cx| Poll::Ready(tell.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        polled.send(()).unwrap();
        tell.await
    });
    is_polled.await.unwrap();
    let at = Instant::now();
    system.shutdown().await;
    let told = waiting.await.unwrap();
    assert!(matches!(told, Err(StableSendError::Gone(Deposit(1)))));
    assert_eq!(at.elapsed(), Duration::ZERO, "told at the shutdown");
}

fn named_template() -> ChildTemplate {
    ChildTemplate::worker::<Account>().named(|account: &Account| account.name.clone())
}

#[tokio::test]
async fn t29_a_named_template_names_each_dynamic_child_from_its_arguments() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::SimpleOneForOne).template(named_template());
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let alice = supervisor.start_dynamic::<Account>(account("alice")).await.unwrap();
    assert_eq!(alice.id(), "alice");
    let registered = system.lookup::<Account>("alice").unwrap();
    assert_eq!(alice.current(), Some(registered.clone()));
    assert_eq!(alice.ask(Deposit(2)).await.unwrap(), 2);

    // Restarted under the same id and name.
    let mut events = supervisor.events().await.unwrap();
    let _ = alice.ask(Poison).await;
    let next = restarted(&mut events, "alice").await;
    assert_eq!(system.lookup::<Account>("alice").unwrap().id(), next);
    assert_eq!(alice.ask(Deposit(1)).await.unwrap(), 1);

    // A name a child has; an invalid one; one another actor holds.
    assert!(matches!(
        supervisor.start_dynamic::<Account>(account("alice")).await,
        Err(SupervisorError::AlreadyStarted { id, actor }) if &*id == "alice" && actor == next
    ));
    assert!(matches!(
        supervisor.start_dynamic::<Account>(account("a/b")).await,
        Err(SupervisorError::InvalidChildId { .. })
    ));
    // The name held outside the supervisor: `AlreadyStarted` naming the holder (T12).
    let squatter = system.spawn_named::<Account>("bob", account("squatter")).await.unwrap();
    assert!(matches!(
        supervisor.start_dynamic::<Account>(account("bob")).await,
        Err(SupervisorError::AlreadyStarted { id, actor }) if &*id == "bob" && actor == squatter.id()
    ));
    // Another actor type than the template's, with its argument type: refused before any
    // start.
    assert!(matches!(
        supervisor.start_dynamic::<Mirror>(account("carol")).await,
        Err(SupervisorError::WrongActorType { .. })
    ));
    let ids: Vec<String> =
        supervisor.which_children().await.unwrap().iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["alice"]);
}

#[tokio::test]
async fn t29_unnamed_dynamic_children_get_generated_ids_no_named_child_has() {
    let system = ActorSystem::new();
    let unnamed =
        SupervisorSpec::new(Strategy::SimpleOneForOne).template(ChildTemplate::worker::<Account>());
    let plain = Supervisor::start(&system, unnamed).await.unwrap();
    let first = plain.start_dynamic::<Account>(account("x")).await.unwrap();
    assert_eq!(first.id(), "dynamic-1");
    assert!(first.current().unwrap().name().is_none(), "an unnamed template registers nothing");
    // `ensure_dynamic` names a child of an unnamed template; the next generated id skips it.
    plain.ensure_dynamic::<Account>("dynamic-2", account("y")).await.unwrap();
    let third = plain.start_dynamic::<Account>(account("z")).await.unwrap();
    assert_eq!(third.id(), "dynamic-3");
}

#[tokio::test]
async fn t29_a_template_named_from_another_argument_type_is_refused() {
    let system = ActorSystem::new();
    let template = ChildTemplate::worker::<Account>().named(|name: &String| name.clone());
    let spec = SupervisorSpec::new(Strategy::SimpleOneForOne).template(template);
    let refused = Supervisor::start(&system, spec).await;
    let Err(SpawnError::StartFailed(ExitReason::Failed(error))) = refused else {
        panic!("started: {refused:?}");
    };
    assert!(matches!(
        error.downcast_ref::<SupervisorError>(),
        Some(SupervisorError::InvalidSpec(_))
    ));
}

#[tokio::test]
async fn t30_ensure_dynamic_returns_the_child_of_that_name_or_starts_it() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::SimpleOneForOne).template(named_template());
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let alice = supervisor.ensure_dynamic::<Account>("alice", account("alice")).await.unwrap();
    assert_eq!(alice.ask(Deposit(3)).await.unwrap(), 3);
    let again = supervisor.ensure_dynamic::<Account>("alice", account("alice")).await.unwrap();
    assert_eq!(again.current(), alice.current());
    assert_eq!(again.ask(Balance).await.unwrap(), 3, "the running one, not a new one");
    assert_eq!(system.lookup::<Account>("alice").unwrap(), alice.current().unwrap());
    assert_eq!(supervisor.count_children().await.unwrap().specs, 1);

    let one_for_one = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await;
    assert!(matches!(
        one_for_one.unwrap().ensure_dynamic::<Account>("bob", account("bob")).await,
        Err(SupervisorError::InvalidSpec(_))
    ));
}

/// T30: a child waiting for its restart is the one `ensure_dynamic` returns; its handle
/// reaches it once it runs.
#[tokio::test(start_paused = true)]
async fn t30_ensure_dynamic_returns_a_child_waiting_for_its_restart() {
    let system = ActorSystem::new();
    let template = named_template().backoff(backoff(Duration::from_secs(1)));
    let spec = SupervisorSpec::new(Strategy::SimpleOneForOne)
        .intensity(10, Duration::from_secs(1))
        .template(template);
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let alice = supervisor.ensure_dynamic::<Account>("alice", account("alice")).await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    crash(&alice, &mut events).await;
    let again = supervisor.ensure_dynamic::<Account>("alice", account("alice")).await.unwrap();
    assert!(again.current().is_none(), "waiting for its restart");
    assert_eq!(again.ask(Deposit(1)).await.unwrap(), 1);
    assert_eq!(supervisor.count_children().await.unwrap().specs, 1);
}

#[tokio::test]
async fn t30_concurrent_ensures_of_one_name_start_one_child() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::SimpleOneForOne).template(named_template());
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let supervisor = supervisor.clone();
            tokio::spawn(async move {
                supervisor.ensure_dynamic::<Account>("bob", account("bob")).await
            })
        })
        .collect();
    let mut actors = Vec::new();
    for call in calls {
        actors.push(call.await.unwrap().unwrap().current().unwrap().id());
    }
    actors.dedup();
    assert_eq!(actors.len(), 1, "every call has the same child");
    assert_eq!(supervisor.count_children().await.unwrap().specs, 1);
    system.shutdown().await;
    let mut starts = 0;
    while let Some(event) = events.next().await {
        starts += usize::from(matches!(event, SupervisorEvent::Started { .. }));
    }
    assert_eq!(starts, 1);
}

/// T25: a handle is to the child by its id, and reaches whichever actor the supervisor runs
/// for that id now: a child deleted and added again under the same id is reached by the
/// handles made before, as by a new one.
#[tokio::test]
async fn t25_a_child_ref_reaches_a_child_added_again_under_its_id() {
    let system = ActorSystem::new();
    let supervisor = bank(&system, None).await;
    let child = supervisor.child_ref::<Account>("acct").await.unwrap();
    let failing = child.clone().failing_during_restart();
    supervisor.terminate_child("acct").await.unwrap();
    supervisor.delete_child("acct").await.unwrap();
    assert!(matches!(child.tell(Deposit(1)).await, Err(StableSendError::Gone(Deposit(1)))));
    supervisor.start_child(ChildSpec::worker::<Account>("acct", account("acct"))).await.unwrap();
    let again = supervisor.child_ref::<Account>("acct").await.unwrap();
    assert_eq!(again.ask(Deposit(2)).await.unwrap(), 2);
    assert_eq!(child.ask(Deposit(3)).await.unwrap(), 5, "the old handle reaches the new child");
    assert_eq!(failing.ask(Deposit(4)).await.unwrap(), 9);
}

/// T30: `ensure_dynamic(name)` is how a caller finds "the child of that name"; a handle it
/// returned reaches the child that runs under the name now, also one started again under it
/// after the first ended for good.
#[tokio::test]
async fn t30_a_handle_from_ensure_dynamic_reaches_the_child_started_again_under_its_name() {
    let system = ActorSystem::new();
    let template = named_template().restart(Restart::Temporary);
    let spec = SupervisorSpec::new(Strategy::SimpleOneForOne).template(template);
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let mut events = supervisor.events().await.unwrap();
    let alice = supervisor.ensure_dynamic::<Account>("alice", account("alice")).await.unwrap();
    assert_eq!(alice.ask(Deposit(3)).await.unwrap(), 3);
    let _ = alice.ask(Poison).await;
    assert!(!ended(&mut events, "alice").await);
    assert!(matches!(alice.tell(Deposit(1)).await, Err(StableSendError::Gone(Deposit(1)))));
    let again = supervisor.ensure_dynamic::<Account>("alice", account("alice")).await.unwrap();
    assert_eq!(again.ask(Deposit(2)).await.unwrap(), 2);
    assert_eq!(alice.ask(Deposit(4)).await.unwrap(), 6, "the old handle reaches the new alice");
}
