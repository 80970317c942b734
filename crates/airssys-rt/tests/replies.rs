//! Chapter Q of `docs/semantics.md`: requests and replies, one test (or more) per rule.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{Init, Strategy, Supervise, Supervisor, SupervisorSpec};
use tokio::sync::{mpsc, oneshot, Notify};

// ---------------------------------------------------------------- an account with three messages

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Tx {
    Deposit(u64),
    Withdraw(u64),
}

struct Deposit(u64);
struct Withdraw(u64);
struct History;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("insufficient funds: balance {balance}, asked {asked}")]
struct InsufficientFunds {
    balance: u64,
    asked: u64,
}

#[derive(Default)]
struct Account {
    balance: u64,
    history: Vec<Tx>,
}

#[actor(messages(Deposit, Withdraw, History))]
impl Actor for Account {}

impl Handler<Deposit> for Account {
    type Reply = u64;
    async fn handle(&mut self, Deposit(n): Deposit, _: &mut Context<Self>) -> u64 {
        self.history.push(Tx::Deposit(n));
        self.balance += n;
        self.balance
    }
}

impl Handler<Withdraw> for Account {
    type Reply = Result<u64, InsufficientFunds>;
    async fn handle(&mut self, Withdraw(n): Withdraw, _: &mut Context<Self>) -> Self::Reply {
        let balance = self.balance;
        self.balance = balance.checked_sub(n).ok_or(InsufficientFunds { balance, asked: n })?;
        self.history.push(Tx::Withdraw(n));
        Ok(self.balance)
    }
}

impl Handler<History> for Account {
    type Reply = Vec<Tx>;
    async fn handle(&mut self, _: History, _: &mut Context<Self>) -> Vec<Tx> {
        self.history.clone()
    }
}

async fn account() -> (ActorSystem, ActorRef<Account>) {
    let system = ActorSystem::new();
    let account = system.spawn::<Account>(Account::default()).await.expect("spawn");
    (system, account)
}

#[tokio::test]
async fn q1_an_ask_returns_the_reply_of_that_messages_handler() {
    let (_system, account) = account().await;
    let balance: u64 = account.ask(Deposit(100)).await.expect("deposit");
    assert_eq!(balance, 100);
    let after: Result<u64, InsufficientFunds> = account.ask(Withdraw(30)).await.expect("withdraw");
    assert_eq!(after, Ok(70));
    let history: Vec<Tx> = account.ask(History).await.expect("history");
    assert_eq!(history, vec![Tx::Deposit(100), Tx::Withdraw(30)]);
}

#[tokio::test]
async fn q2_a_tell_runs_the_handler_and_drops_its_reply() {
    let (_system, account) = account().await;
    account.tell(Deposit(5)).await.expect("tell");
    account.try_tell(Deposit(6)).expect("try_tell");
    assert_eq!(account.ask(History).await.expect("history"), vec![Tx::Deposit(5), Tx::Deposit(6)]);
}

#[tokio::test]
async fn q3_messages_of_several_types_from_one_sender_are_handled_in_send_order() {
    let (_system, account) = account().await;
    for n in 1..=50 {
        account.tell(Deposit(n)).await.expect("deposit");
        account.tell(Withdraw(1)).await.expect("withdraw");
    }
    let history = account.ask(History).await.expect("history");
    let expected: Vec<Tx> = (1..=50).flat_map(|n| [Tx::Deposit(n), Tx::Withdraw(1)]).collect();
    assert_eq!(history, expected);
}

#[tokio::test]
async fn q7_a_business_error_is_the_reply_and_the_actor_goes_on() {
    let (_system, account) = account().await;
    account.tell(Deposit(10)).await.expect("deposit");
    let refused = account.ask(Withdraw(50)).await.expect("delivered");
    assert_eq!(refused, Err(InsufficientFunds { balance: 10, asked: 50 }));
    assert!(account.is_alive());
    assert_eq!(account.ask(Deposit(1)).await.expect("still serving"), 11);
}

// ---------------------------------------------------------------- deferred replies

struct Get;
struct Open;
struct Forget;
struct Later(oneshot::Sender<ReplyTo<&'static str>>);
struct Stash;
struct Panic;

/// Holds `Get` requests until `Open`; `Forget` drops them unanswered.
#[derive(Default)]
struct Gate {
    waiting: Vec<ReplyTo<&'static str>>,
}

#[actor(messages(deferred(Get), Open, Forget, deferred(Later), Stash, Panic))]
impl Actor for Gate {}

impl DeferredHandler<Get> for Gate {
    type Reply = &'static str;
    async fn handle(&mut self, _: Get, reply: ReplyTo<&'static str>, _: &mut Context<Self>) {
        self.waiting.push(reply);
    }
}

impl Handler<Open> for Gate {
    type Reply = usize;
    async fn handle(&mut self, _: Open, _: &mut Context<Self>) -> usize {
        let answered = self.waiting.len();
        for reply in self.waiting.drain(..) {
            reply.send("open");
        }
        answered
    }
}

impl Handler<Forget> for Gate {
    type Reply = ();
    async fn handle(&mut self, _: Forget, _: &mut Context<Self>) {
        self.waiting.clear();
    }
}

/// Hands its reply handle to the test, which answers from its own task.
impl DeferredHandler<Later> for Gate {
    type Reply = &'static str;
    async fn handle(
        &mut self,
        Later(out): Later,
        reply: ReplyTo<&'static str>,
        _: &mut Context<Self>,
    ) {
        let _ = out.send(reply);
    }
}

impl Handler<Stash> for Gate {
    type Reply = usize;
    async fn handle(&mut self, _: Stash, _: &mut Context<Self>) -> usize {
        self.waiting.len()
    }
}

impl Handler<Panic> for Gate {
    type Reply = ();
    async fn handle(&mut self, _: Panic, _: &mut Context<Self>) {
        panic!("the gate broke");
    }
}

async fn gate() -> (ActorSystem, ActorRef<Gate>) {
    let system = ActorSystem::new();
    let gate = system.spawn::<Gate>(Gate::default()).await.expect("spawn");
    (system, gate)
}

/// Asks `Get` in a task of its own and waits until the gate holds that many handles.
async fn held_get(
    gate: &ActorRef<Gate>,
    held: usize,
) -> tokio::task::JoinHandle<Result<&'static str, AskError<Get>>> {
    let asking = tokio::spawn({
        let gate = gate.clone();
        async move { gate.ask(Get).timeout(Duration::from_secs(3600)).await }
    });
    while gate.ask(Stash).await.expect("stash") < held {
        tokio::task::yield_now().await;
    }
    asking
}

#[tokio::test]
async fn q4_a_deferred_reply_comes_after_the_actor_handled_later_messages() {
    let (_system, gate) = gate().await;
    let first = held_get(&gate, 1).await;
    let second = held_get(&gate, 2).await;
    // The actor went on: it handled `Stash` (in `held_get`) while both asks waited.
    assert_eq!(gate.ask(Open).await.expect("open"), 2);
    assert_eq!(first.await.expect("join").expect("first"), "open");
    assert_eq!(second.await.expect("join").expect("second"), "open");
}

#[tokio::test]
async fn q4_a_deferred_reply_may_be_sent_from_another_task() {
    let (_system, gate) = gate().await;
    let (out, handed) = oneshot::channel();
    let asking = tokio::spawn({
        let gate = gate.clone();
        async move { gate.ask(Later(out)).await }
    });
    let reply = handed.await.expect("the handler handed its reply handle over");
    assert!(reply.is_wanted());
    tokio::spawn(async move { reply.send("from elsewhere") }).await.expect("answer");
    assert_eq!(asking.await.expect("join").expect("reply"), "from elsewhere");
}

#[tokio::test(start_paused = true)]
async fn q5_a_reply_handle_dropped_unanswered_fails_its_ask_at_once() {
    let (_system, gate) = gate().await;
    let asking = held_get(&gate, 1).await;
    gate.tell(Forget).await.expect("forget");
    // Paused time would have run the hour-long timeout out had the ask waited for it.
    let started = tokio::time::Instant::now();
    assert!(matches!(asking.await.expect("join"), Err(AskError::Unanswered)));
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(gate.is_alive());
}

#[tokio::test]
async fn q5_a_reply_handle_dropped_by_another_task_fails_its_ask() {
    let (_system, gate) = gate().await;
    let (out, handed) = oneshot::channel();
    let asking = tokio::spawn({
        let gate = gate.clone();
        async move { gate.ask(Later(out)).await }
    });
    drop(handed.await.expect("handed over"));
    assert!(matches!(asking.await.expect("join"), Err(AskError::Unanswered)));
}

/// Drops its request's reply handle inside a panic that it catches itself, and goes on.
struct Catches;

struct Caught(oneshot::Sender<()>);

#[actor(messages(deferred(Caught), Panic))]
impl Actor for Catches {}

impl DeferredHandler<Caught> for Catches {
    type Reply = ();
    async fn handle(&mut self, Caught(done): Caught, reply: ReplyTo<()>, _: &mut Context<Self>) {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _held = reply;
            panic!("caught by the handler");
        }));
        assert!(caught.is_err());
        let _ = done.send(());
    }
}

impl Handler<Panic> for Catches {
    type Reply = ();
    async fn handle(&mut self, _: Panic, _: &mut Context<Self>) {
        panic!("a later, unrelated panic");
    }
}

#[tokio::test(start_paused = true)]
async fn q5_a_reply_handle_dropped_in_a_panic_the_handler_caught_fails_its_ask_at_once() {
    let system = ActorSystem::new();
    let catches = system.spawn::<Catches>(Catches).await.expect("spawn");
    let other = system.spawn::<Catches>(Catches).await.expect("spawn");
    let (done, handled) = oneshot::channel();
    let asking = tokio::spawn({
        let catches = catches.clone();
        async move { catches.ask(Caught(done)).timeout(Duration::from_secs(3600)).await }
    });
    handled.await.expect("the handler caught its panic");
    // Not kept for a panic the runtime never catches: answered once the handler is done, not
    // with whatever panic comes next on this thread (here, another actor's).
    let started = tokio::time::Instant::now();
    let _ = other.ask(Panic).await;
    assert!(matches!(asking.await.expect("join"), Err(AskError::Unanswered)));
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert!(catches.is_alive());
}

#[tokio::test]
async fn q6_reply_handles_held_in_the_state_answer_with_the_exit_reason() {
    let (_system, gate) = gate().await;
    let asking = held_get(&gate, 1).await;
    gate.stop_with(ExitReason::Shutdown);
    assert_eq!(gate.wait_for_exit().await, ExitReason::Shutdown);
    match asking.await.expect("join") {
        Err(AskError::Stopped(reason)) => assert_eq!(reason, ExitReason::Shutdown),
        other => panic!("expected Stopped(Shutdown), got {other:?}"),
    }
}

#[tokio::test]
async fn q6_reply_handles_held_in_the_state_of_a_panicked_actor_answer_with_the_panic() {
    let (_system, gate) = gate().await;
    let asking = held_get(&gate, 1).await;
    gate.tell(Panic).await.expect("panic");
    assert!(matches!(gate.wait_for_exit().await, ExitReason::Panicked(_)));
    assert!(matches!(asking.await.expect("join"), Err(AskError::Stopped(ExitReason::Panicked(_)))));
}

/// Holds `Get` requests, and lets go of them in `post_stop`.
#[derive(Default)]
struct Drains {
    waiting: Vec<ReplyTo<&'static str>>,
}

#[actor(messages(deferred(Get), Stash))]
impl Actor for Drains {
    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.waiting.clear();
        Ok(())
    }
}

impl DeferredHandler<Get> for Drains {
    type Reply = &'static str;
    async fn handle(&mut self, _: Get, reply: ReplyTo<&'static str>, _: &mut Context<Self>) {
        self.waiting.push(reply);
    }
}

impl Handler<Stash> for Drains {
    type Reply = usize;
    async fn handle(&mut self, _: Stash, _: &mut Context<Self>) -> usize {
        self.waiting.len()
    }
}

#[tokio::test]
async fn q6_reply_handles_dropped_by_post_stop_answer_with_the_exit_reason() {
    let system = ActorSystem::new();
    let drains = system.spawn::<Drains>(Drains::default()).await.expect("spawn");
    let asking = tokio::spawn({
        let drains = drains.clone();
        async move { drains.ask(Get).timeout(Duration::from_secs(3600)).await }
    });
    while drains.ask(Stash).await.expect("stash") == 0 {
        tokio::task::yield_now().await;
    }
    drains.stop_with(ExitReason::Shutdown);
    assert_eq!(drains.wait_for_exit().await, ExitReason::Shutdown);
    match asking.await.expect("join") {
        Err(AskError::Stopped(reason)) => assert_eq!(reason, ExitReason::Shutdown),
        other => panic!("expected Stopped(Shutdown), got {other:?}"),
    }
}

/// A handler that holds the reply handle of its own request while it waits.
struct Hold(Arc<Notify>);

struct Holder;

#[actor(messages(deferred(Hold)))]
impl Actor for Holder {}

impl DeferredHandler<Hold> for Holder {
    type Reply = ();
    async fn handle(&mut self, Hold(entered): Hold, reply: ReplyTo<()>, _: &mut Context<Self>) {
        entered.notify_one();
        std::future::pending::<()>().await;
        reply.send(());
    }
}

#[tokio::test]
async fn q6_a_reply_handle_held_by_a_killed_handler_answers_killed() {
    let system = ActorSystem::new();
    let holder = system.spawn::<Holder>(Holder).await.expect("spawn");
    let entered = Arc::new(Notify::new());
    let asking = tokio::spawn({
        let (holder, entered) = (holder.clone(), entered.clone());
        async move { holder.ask(Hold(entered)).await }
    });
    entered.notified().await;
    holder.kill();
    assert!(matches!(asking.await.expect("join"), Err(AskError::Stopped(ExitReason::Killed))));
}

/// Q6 when the runtime drops the actor's task, which kills it (A7): the reply handles its
/// handler and its state hold answer `Stopped(Killed)`, as an ask in flight did before reply
/// handles, not `Unanswered`.
#[test]
fn q6_reply_handles_of_an_actor_whose_runtime_is_dropped_answer_killed() {
    let runtime = |name| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect(name)
    };
    let (actors, askers) = (runtime("actors"), runtime("askers"));
    let (gate, holder) = actors.block_on(async {
        let system = ActorSystem::new();
        let gate = system.spawn::<Gate>(Gate::default()).await.expect("spawn");
        (gate, system.spawn::<Holder>(Holder).await.expect("spawn"))
    });
    let entered = Arc::new(Notify::new());
    let in_handler = askers.spawn({
        let (holder, entered) = (holder.clone(), entered.clone());
        async move { holder.ask(Hold(entered)).timeout(Duration::from_secs(3600)).await }
    });
    let in_state = askers.spawn({
        let gate = gate.clone();
        async move { gate.ask(Get).timeout(Duration::from_secs(3600)).await }
    });
    askers.block_on(async {
        entered.notified().await;
        while gate.ask(Stash).await.expect("stash") == 0 {
            tokio::task::yield_now().await;
        }
    });
    drop(actors);
    let in_handler = askers.block_on(in_handler).expect("join");
    assert!(matches!(in_handler, Err(AskError::Stopped(ExitReason::Killed))));
    let in_state = askers.block_on(in_state).expect("join");
    assert!(matches!(in_state, Err(AskError::Stopped(ExitReason::Killed))));
}

#[tokio::test]
async fn q6_a_request_still_queued_when_the_actor_ends_is_a_dead_letter_answered_with_the_reason() {
    let system = ActorSystem::new();
    let holder = system.spawn::<Holder>(Holder).await.expect("spawn");
    let entered = Arc::new(Notify::new());
    let first = tokio::spawn({
        let (holder, entered) = (holder.clone(), entered.clone());
        async move { holder.ask(Hold(entered)).await }
    });
    entered.notified().await;
    let queued = tokio::spawn({
        let holder = holder.clone();
        async move { holder.ask(Hold(Arc::new(Notify::new()))).await }
    });
    while holder.mailbox_len() == 0 {
        tokio::task::yield_now().await;
    }
    holder.kill();
    assert!(matches!(first.await.expect("join"), Err(AskError::Stopped(ExitReason::Killed))));
    assert!(matches!(queued.await.expect("join"), Err(AskError::Stopped(ExitReason::Killed))));
    let letters = system.dead_letters().recent();
    let letter = letters.last().expect("the queued request is a dead letter");
    assert_eq!(letter.reason, DeadLetterReason::ActorStopped);
    assert!(letter.was_ask);
    assert_eq!(letter.message_type, std::any::type_name::<Hold>());
}

#[tokio::test(start_paused = true)]
async fn q8_a_reply_handle_is_wanted_only_while_its_asker_waits() {
    let (_system, gate) = gate().await;
    // A tell: nobody waits.
    let (out, handed) = oneshot::channel();
    gate.tell(Later(out)).await.expect("tell");
    assert!(!handed.await.expect("handed over").is_wanted());
    // An ask that gives up.
    let (out, handed) = oneshot::channel();
    let asked = gate.ask(Later(out)).timeout(Duration::from_millis(10)).await;
    assert!(matches!(asked, Err(AskError::Timeout(_))));
    assert!(!handed.await.expect("handed over").is_wanted());
}

// ---------------------------------------------------------------- less boilerplate

#[derive(Debug, PartialEq)]
struct Configured {
    greeting: &'static str,
}

struct Greet;

#[actor(messages(Greet))]
impl Actor for Configured {}

impl Handler<Greet> for Configured {
    type Reply = &'static str;
    async fn handle(&mut self, _: Greet, _: &mut Context<Self>) -> &'static str {
        self.greeting
    }
}

#[tokio::test]
async fn q10_an_actor_without_args_and_pre_start_is_its_own_start_argument() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Configured>(Configured { greeting: "hello" }).await.expect("spawn");
    assert_eq!(actor.ask(Greet).await.expect("greet"), "hello");
    let never: fn(&<Configured as Actor>::Error) -> ! = |error| match *error {};
    let _ = never;
}

// ---------------------------------------------------------------- the classic style

enum Request {
    Add(u64),
    Fail,
}

#[derive(Debug, thiserror::Error)]
#[error("told to fail")]
struct ToldToFail;

#[derive(Default)]
struct Classic {
    total: u64,
    dropped: Option<Arc<AtomicBool>>,
}

#[actor]
impl Actor for Classic {
    type Msg = Request;
    type Reply = u64;
    type Error = ToldToFail;

    async fn handle(&mut self, request: Request, _: &mut Context<Self>) -> Result<u64, ToldToFail> {
        match request {
            Request::Add(n) => {
                self.total += n;
                Ok(self.total)
            }
            Request::Fail => Err(ToldToFail),
        }
    }
}

impl Drop for Classic {
    fn drop(&mut self) {
        if let Some(dropped) = &self.dropped {
            dropped.store(true, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn q11_a_classic_actor_replies_with_its_one_reply_type_and_fails_its_asker_on_error() {
    let system = ActorSystem::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let classic = system
        .spawn::<Classic>(Classic { total: 0, dropped: Some(dropped.clone()) })
        .await
        .expect("spawn");
    assert_eq!(classic.ask(Request::Add(2)).await.expect("add"), 2);
    match classic.ask(Request::Fail).await {
        Err(AskError::Stopped(ExitReason::Failed(error))) => {
            assert!(error.downcast_ref::<ToldToFail>().is_some());
        }
        other => panic!("expected Stopped(Failed), got {:?}", other.map(|_| ())),
    }
    assert!(matches!(classic.wait_for_exit().await, ExitReason::Failed(_)));
    assert!(dropped.load(Ordering::SeqCst));
}

/// Keeps the last `N` numbers: a classic actor generic over a constant, which `Actor` allowed
/// before the attribute.
struct Last<const N: usize>(Vec<u8>);

#[actor]
impl<const N: usize> Actor for Last<N> {
    type Msg = u8;
    type Reply = Vec<u8>;

    async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<Vec<u8>, Self::Error> {
        if self.0.len() == N {
            self.0.remove(0);
        }
        self.0.push(n);
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn q11_a_classic_actor_may_be_generic_over_a_constant() {
    let system = ActorSystem::new();
    let last = system.spawn::<Last<2>>(Last(Vec::new())).await.expect("spawn");
    for n in 1..=3 {
        last.tell(n).await.expect("tell");
    }
    assert_eq!(last.ask(4).await.expect("ask"), vec![3, 4]);
}

// ---------------------------------------------------------------- one handle, several senders

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q3_each_senders_mixed_messages_keep_their_order_under_concurrency() {
    let (_system, account) = account().await;
    let (done, mut finished) = mpsc::channel(4);
    for _ in 0..4 {
        let (account, done) = (account.clone(), done.clone());
        tokio::spawn(async move {
            for _ in 0..100 {
                account.tell(Deposit(2)).await.expect("deposit");
                account.tell(Withdraw(1)).await.expect("withdraw");
            }
            let _ = done.send(()).await;
        });
    }
    drop(done);
    while finished.recv().await.is_some() {}
    // Every withdrawal follows its own sender's deposit, so none was ever refused.
    let history = account.ask(History).await.expect("history");
    assert_eq!(history.len(), 800);
    assert_eq!(account.ask(Withdraw(0)).await.expect("balance"), Ok(400));
}

// ---------------------------------------------------------------- compile errors

/// Each case's `.stderr` pins the message: short, and naming the actor and the message type.
#[test]
fn q9_a_message_type_the_actor_does_not_handle_is_a_compile_error() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

// ---------------------------------------------------------------- dead letters of mail that carries reply handles

/// A tell that carries someone else's reply handle (forwarded to a worker).
struct Forward(ReplyTo<&'static str>);

struct Sink;

#[actor(messages(Forward, deferred(Hold)))]
impl Actor for Sink {}

impl Handler<Forward> for Sink {
    type Reply = ();
    async fn handle(&mut self, Forward(reply): Forward, _: &mut Context<Self>) {
        reply.send("forwarded");
    }
}

impl DeferredHandler<Hold> for Sink {
    type Reply = ();
    async fn handle(&mut self, Hold(entered): Hold, reply: ReplyTo<()>, _: &mut Context<Self>) {
        entered.notify_one();
        std::future::pending::<()>().await;
        reply.send(());
    }
}

#[tokio::test]
async fn q6_a_dead_tell_that_carries_a_reply_handle_is_no_ask_and_answers_that_handle() {
    let system = ActorSystem::new();
    let gate_system = ActorSystem::new();
    let gate = gate_system.spawn::<Gate>(Gate::default()).await.expect("spawn");
    let sink = system.spawn::<Sink>(Sink).await.expect("spawn");
    let entered = Arc::new(Notify::new());
    let holding = tokio::spawn({
        let (sink, entered) = (sink.clone(), entered.clone());
        async move { sink.ask(Hold(entered)).await }
    });
    entered.notified().await;
    // The gate hands its reply handle over; it is forwarded to the sink, where it waits.
    let (out, handed) = oneshot::channel();
    let asking = tokio::spawn({
        let gate = gate.clone();
        async move { gate.ask(Later(out)).await }
    });
    let forwarded = handed.await.expect("handed over");
    sink.tell(Forward(forwarded)).await.expect("queued");
    sink.kill();
    assert!(matches!(holding.await.expect("join"), Err(AskError::Stopped(ExitReason::Killed))));
    // The forwarded handle went down with the tell that carried it.
    assert!(matches!(asking.await.expect("join"), Err(AskError::Stopped(ExitReason::Killed))));
    let letters = system.dead_letters().recent();
    let letter = letters.last().expect("the forwarded tell is a dead letter");
    assert_eq!(letter.message_type, std::any::type_name::<Forward>());
    assert!(!letter.was_ask, "a tell is no ask, whatever reply handle it carries");
}

/// An open supervisor that takes forwarded reply handles too.
struct Relay;

/// Holds the supervisor busy for good.
struct Stall(Arc<Notify>);

impl Supervise for Relay {
    type Args = ();
    type Error = std::convert::Infallible;

    async fn init(_: (), _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
        Ok(Init::Start(SupervisorSpec::new(Strategy::OneForOne), Relay))
    }
}

impl Handler<Forward> for Supervisor<Relay> {
    type Reply = ();
    async fn handle(&mut self, Forward(reply): Forward, _: &mut Context<Self>) {
        reply.send("forwarded");
    }
}

impl Handler<Stall> for Supervisor<Relay> {
    type Reply = ();
    async fn handle(&mut self, Stall(entered): Stall, _: &mut Context<Self>) {
        entered.notify_one();
        std::future::pending::<()>().await;
    }
}

#[tokio::test]
async fn q6_a_dead_tell_to_an_open_supervisor_that_carries_a_reply_handle_is_no_ask() {
    let system = ActorSystem::new();
    let gate_system = ActorSystem::new();
    let gate = gate_system.spawn::<Gate>(Gate::default()).await.expect("spawn");
    let opened = Supervisor::<Relay>::start_open(&system, ()).await.expect("started");
    let relay = opened.started().expect("not ignored");
    let entered = Arc::new(Notify::new());
    relay.actor().tell(Stall(entered.clone())).await.expect("queued");
    entered.notified().await;
    let (out, handed) = oneshot::channel();
    let asking = tokio::spawn({
        let gate = gate.clone();
        async move { gate.ask(Later(out)).await }
    });
    let forwarded = handed.await.expect("handed over");
    relay.actor().tell(Forward(forwarded)).await.expect("queued");
    relay.actor().kill();
    assert!(matches!(asking.await.expect("join"), Err(AskError::Stopped(ExitReason::Killed))));
    let letters = system.dead_letters().recent();
    let letter = letters.last().expect("the forwarded tell is a dead letter");
    assert_eq!(letter.message_type, std::any::type_name::<Forward>());
    assert!(!letter.was_ask, "a tell is no ask, whatever reply handle it carries");
}

/// A deferred handler written as a plain `fn` that panics before it makes its future.
struct Eager;

struct Boom;

#[actor(messages(deferred(Boom)))]
impl Actor for Eager {}

impl DeferredHandler<Boom> for Eager {
    type Reply = ();
    #[allow(clippy::manual_async_fn)]
    fn handle(
        &mut self,
        _: Boom,
        reply: ReplyTo<()>,
        _: &mut Context<Self>,
    ) -> impl std::future::Future<Output = ()> + Send {
        let _held = reply;
        panic!("eager deferred panic");
        #[allow(unreachable_code)]
        async {}
    }
}

#[tokio::test]
async fn q6_a_reply_handle_given_to_a_deferred_handler_that_panics_at_once_answers_the_panic() {
    let system = ActorSystem::new();
    let eager = system.spawn::<Eager>(Eager).await.expect("spawn");
    let asked = eager.ask(Boom).await;
    let expected = ExitReason::panicked("eager deferred panic");
    assert!(matches!(&asked, Err(AskError::Stopped(reason)) if *reason == expected), "{asked:?}");
}
