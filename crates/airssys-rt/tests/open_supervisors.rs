//! Chapter O of `docs/semantics.md`: open supervisors, one test (or more) per rule, named after
//! it.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::message::StableAskError;
use airssys_rt::monitoring::health::HealthStatus;
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    Backoff, ChildInfo, ChildKind, ChildRef, ChildSpec, ChildStatus, ChildTemplate, Init, OpenMail,
    Opened, Restart, Strategy, Supervise, Supervisor, SupervisorError, SupervisorEvent,
    SupervisorEvents, SupervisorRef, SupervisorSpec,
};
use airssys_rt::system::SpawnError;
use tokio::sync::oneshot;
use tokio::time::timeout;

/// A worker child: deposits, and a crash on request.
#[derive(Clone, Default)]
struct Account {
    balance: u64,
}
struct Deposit(u64);
struct Crash;

#[actor(messages(Deposit, Crash))]
impl Actor for Account {}

impl Handler<Deposit> for Account {
    type Reply = u64;
    async fn handle(&mut self, Deposit(amount): Deposit, _: &mut Context<Self>) -> u64 {
        self.balance += amount;
        self.balance
    }
}

impl Handler<Crash> for Account {
    type Reply = ();
    async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        panic!("asked to crash");
    }
}

/// What the bank's `init` decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// One for one, one static child `vault`, state `opened: 7`.
    Vault,
    /// One for all, static children `a` and `b`, with the given intensity.
    Group {
        max_restarts: u32,
    },
    /// Simple one for one with an `Account` template.
    Dynamic,
    /// A simple_one_for_one spec without its template: refused.
    Invalid,
    Ignore,
    Fail,
    Panic,
}

#[derive(Clone)]
struct BankArgs {
    plan: Plan,
    inits: Arc<AtomicUsize>,
}

impl BankArgs {
    fn new(plan: Plan) -> Self {
        BankArgs { plan, inits: Arc::new(AtomicUsize::new(0)) }
    }

    fn inits(&self) -> usize {
        self.inits.load(Ordering::SeqCst)
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bank is closed")
    }
}

impl std::error::Error for Closed {}

/// The ledger's bank: one account per name, started on demand.
struct Bank {
    opened: usize,
}

impl Supervise for Bank {
    type Args = BankArgs;
    type Error = Closed;

    async fn init(args: BankArgs, _: &ActorSystem) -> Result<Init<Self>, Closed> {
        args.inits.fetch_add(1, Ordering::SeqCst);
        let spec = match args.plan {
            Plan::Vault => {
                SupervisorSpec::new(Strategy::OneForOne)
                    .child(ChildSpec::worker::<Account>("vault", Account::default()))
            }
            Plan::Group { max_restarts } => SupervisorSpec::new(Strategy::OneForAll)
                .intensity(max_restarts, Duration::from_secs(5))
                .child(ChildSpec::worker::<Account>("a", Account::default()))
                .child(ChildSpec::worker::<Account>("b", Account::default())),
            Plan::Dynamic => SupervisorSpec::new(Strategy::SimpleOneForOne)
                .template(ChildTemplate::worker::<Account>()),
            Plan::Invalid => SupervisorSpec::new(Strategy::SimpleOneForOne),
            Plan::Ignore => return Ok(Init::Ignore),
            Plan::Fail => return Err(Closed),
            Plan::Panic => panic!("init panicked"),
        };
        Ok(Init::Start(spec, Bank { opened: 7 }))
    }
}

struct Open(String);
struct Count;
struct Close(String);
struct Hire(u64);
struct CallSelf(SupervisorRef<Bank>);
/// Says it has begun, then waits to be let go.
struct Hold(oneshot::Sender<()>, oneshot::Receiver<()>);

impl Handler<Open> for Supervisor<Bank> {
    type Reply = Result<ActorRef<Account>, SupervisorError>;

    async fn handle(&mut self, Open(name): Open, ctx: &mut Context<Self>) -> Self::Reply {
        if let Some(account) = self.child::<Account>(&name) {
            return Ok(account);
        }
        self.start_child(ctx, ChildSpec::worker::<Account>(name.as_str(), Account::default()))
            .await?;
        self.opened += 1;
        self.child::<Account>(&name).ok_or(SupervisorError::NotFound(name.into()))
    }
}

impl Handler<Count> for Supervisor<Bank> {
    type Reply = usize;

    async fn handle(&mut self, _: Count, _: &mut Context<Self>) -> usize {
        self.opened
    }
}

impl Handler<Close> for Supervisor<Bank> {
    type Reply = Result<Vec<ChildInfo>, SupervisorError>;

    async fn handle(&mut self, Close(name): Close, ctx: &mut Context<Self>) -> Self::Reply {
        self.terminate_child(ctx, &name).await?;
        self.delete_child(&name)?;
        Ok(self.which_children())
    }
}

impl Handler<Hire> for Supervisor<Bank> {
    type Reply = Result<(ChildRef<Account>, u64), SupervisorError>;

    async fn handle(&mut self, Hire(balance): Hire, ctx: &mut Context<Self>) -> Self::Reply {
        let hired = self.start_dynamic::<Account>(ctx, Account { balance }).await?;
        let account = self
            .child::<Account>(hired.id())
            .ok_or_else(|| SupervisorError::NotFound(hired.id().into()))?;
        // The child runs: it answers, from the supervisor's own handler.
        let balance = account.ask(Deposit(0)).await.map_err(|_| SupervisorError::NotRunning)?;
        Ok((hired, balance))
    }
}

/// Opens the dynamic account of a name, once however many ask.
struct Ensure(String);

impl Handler<Ensure> for Supervisor<Bank> {
    type Reply = Result<ChildRef<Account>, SupervisorError>;

    async fn handle(&mut self, Ensure(name): Ensure, ctx: &mut Context<Self>) -> Self::Reply {
        self.ensure_dynamic::<Account>(ctx, name, Account::default()).await
    }
}

impl Handler<CallSelf> for Supervisor<Bank> {
    type Reply = Result<usize, SupervisorError>;

    async fn handle(&mut self, CallSelf(me): CallSelf, _: &mut Context<Self>) -> Self::Reply {
        me.which_children().await.map(|children| children.len())
    }
}

impl Handler<Hold> for Supervisor<Bank> {
    type Reply = ();

    async fn handle(&mut self, Hold(begun, release): Hold, _: &mut Context<Self>) {
        let _ = begun.send(());
        let _ = release.await;
    }
}

async fn open_bank(system: &ActorSystem, args: BankArgs) -> SupervisorRef<Bank> {
    match Supervisor::<Bank>::start_open(system, args).await {
        Ok(Opened::Started(bank)) => bank,
        Ok(Opened::Ignored) => panic!("the bank's init said ignore"),
        Err(error) => panic!("the bank did not start: {error}"),
    }
}

async fn next_event(events: &mut SupervisorEvents) -> SupervisorEvent {
    events.next().await.expect("the supervisor ended")
}

/// The children's ids in start order (`which_children` lists the most recently added first,
/// T12).
fn ids(children: &[ChildInfo]) -> Vec<String> {
    children.iter().rev().map(|child| child.id.to_string()).collect()
}

#[tokio::test]
async fn o1_init_decides_the_spec_and_the_state() {
    let system = ActorSystem::new();
    let args = BankArgs::new(Plan::Vault);
    let bank = open_bank(&system, args.clone()).await;
    assert_eq!(args.inits(), 1);
    let children = bank.which_children().await.unwrap();
    assert_eq!(ids(&children), ["vault"]);
    assert_eq!(children[0].status, ChildStatus::Running);
    let vault = bank.child::<Account>("vault").await.unwrap().expect("vault runs");
    assert_eq!(vault.ask(Deposit(5)).await.unwrap(), 5);
    // The state is the one `init` made.
    assert_eq!(bank.actor().ask(Count).await.unwrap(), 7);
    system.shutdown().await;
}

#[tokio::test]
async fn o1_a_spec_init_returns_is_checked_as_any() {
    let system = ActorSystem::new();
    let refused = Supervisor::<Bank>::start_open(&system, BankArgs::new(Plan::Invalid)).await;
    let Err(SpawnError::StartFailed(ExitReason::Failed(error))) = refused else {
        panic!("expected a failed start, got {refused:?}");
    };
    assert!(matches!(
        error.downcast_ref::<SupervisorError>(),
        Some(SupervisorError::InvalidSpec(_))
    ));
}

#[tokio::test]
async fn o2_ignore_as_a_root_spawns_nothing() {
    let system = ActorSystem::new();
    let args = BankArgs::new(Plan::Ignore);
    let opened = Supervisor::<Bank>::start_open(&system, args.clone()).await.unwrap();
    assert!(matches!(opened, Opened::Ignored));
    assert_eq!(args.inits(), 1);
    assert!(system.actors().is_empty());
}

#[tokio::test]
async fn o2_ignore_as_a_child_is_recorded_as_otp_does() {
    let system = ActorSystem::new();
    let args = BankArgs::new(Plan::Ignore);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::open_supervisor::<Bank>("bank", args.clone()));
    let root = Supervisor::start(&system, spec).await.unwrap();
    // A permanent child ignored at start: its specification stays, without a child.
    let children = root.which_children().await.unwrap();
    assert_eq!(ids(&children), ["bank"]);
    assert_eq!((children[0].actor, children[0].status), (None, ChildStatus::Stopped));
    assert_eq!(children[0].kind, ChildKind::Supervisor);

    let mut events = root.events().await.unwrap();
    // start_child says "ignored"; a temporary one's specification goes.
    let temporary =
        ChildSpec::open_supervisor::<Bank>("temp", args.clone()).restart(Restart::Temporary);
    assert_eq!(root.start_child(temporary).await.unwrap(), None);
    assert_eq!(ids(&root.which_children().await.unwrap()), ["bank"]);
    assert_eq!(root.restart_child("bank").await.unwrap(), None);
    assert_eq!(args.inits(), 3);
    // No event came of the ignored starts: the next is the next child's start.
    let worker = root.start_child(ChildSpec::worker::<Account>("w", Account::default())).await;
    let worker = worker.unwrap().expect("started");
    assert!(
        matches!(next_event(&mut events).await, SupervisorEvent::Started { actor, .. } if actor == worker)
    );
    system.shutdown().await;
}

#[tokio::test]
async fn o3_a_failed_init_fails_the_start_with_its_error() {
    let system = ActorSystem::new();
    let failed = Supervisor::<Bank>::start_open(&system, BankArgs::new(Plan::Fail)).await;
    let Err(SpawnError::StartFailed(ExitReason::Failed(error))) = failed else {
        panic!("expected a failed start, got {failed:?}");
    };
    assert_eq!(error.downcast_ref::<Closed>(), Some(&Closed));

    let panicked = Supervisor::<Bank>::start_open(&system, BankArgs::new(Plan::Panic)).await;
    assert!(matches!(panicked, Err(SpawnError::StartFailed(ExitReason::Panicked(_)))));
    assert!(system.actors().is_empty());

    // As a child: the parent's start_child fails as for any child that failed to start.
    let root = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.unwrap();
    let child = ChildSpec::open_supervisor::<Bank>("bank", BankArgs::new(Plan::Fail));
    let refused = root.start_child(child).await;
    assert!(matches!(refused, Err(SupervisorError::StartFailed { ref id, .. }) if &**id == "bank"));
    assert!(root.which_children().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn o4_own_messages_are_taken_one_at_a_time_between_admin_calls() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Vault)).await;
    let (begun, has_begun) = oneshot::channel();
    let (release, released) = oneshot::channel();
    bank.actor().tell(Hold(begun, released)).await.unwrap();
    has_begun.await.unwrap();

    // While the handler runs, neither an administration call nor another message is taken.
    let outside = bank.clone();
    let mut admin = tokio::spawn(async move { outside.which_children().await });
    let asker = bank.actor().clone();
    let mut count =
        tokio::spawn(async move { asker.ask(Count).timeout(Duration::from_secs(3600)).await });
    assert!(timeout(Duration::from_secs(60), &mut admin).await.is_err());
    assert!(timeout(Duration::from_secs(60), &mut count).await.is_err());

    release.send(()).unwrap();
    assert_eq!(ids(&admin.await.unwrap().unwrap()), ["vault"]);
    assert_eq!(count.await.unwrap().unwrap(), 7);
    system.shutdown().await;
}

#[tokio::test]
async fn o5_handlers_administer_the_children() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Vault)).await;
    let mut events = bank.events().await.unwrap();

    let alice = bank.actor().ask(Open("alice".into())).await.unwrap().unwrap();
    // Started, announced, before the handler went on.
    assert!(matches!(next_event(&mut events).await,
        SupervisorEvent::Started { id, actor } if &*id == "alice" && actor == alice.id()));
    let again = bank.actor().ask(Open("alice".into())).await.unwrap().unwrap();
    assert_eq!(again.id(), alice.id());
    assert_eq!(bank.actor().ask(Count).await.unwrap(), 8);
    assert_eq!(ids(&bank.which_children().await.unwrap()), ["vault", "alice"]);

    let left = bank.actor().ask(Close("alice".into())).await.unwrap().unwrap();
    assert_eq!(ids(&left), ["vault"]);
    assert!(!alice.is_alive());
    assert!(matches!(next_event(&mut events).await, SupervisorEvent::Ended { restart: false, .. }));
    assert!(
        matches!(next_event(&mut events).await, SupervisorEvent::Deleted { id } if &*id == "alice")
    );
    // An administration call's errors, from a handler.
    let unknown = bank.actor().ask(Close("bob".into())).await.unwrap();
    assert!(matches!(unknown, Err(SupervisorError::NotFound(id)) if &*id == "bob"));
    // Calling its own handle instead is refused at once.
    let called = bank.actor().ask(CallSelf(bank.clone())).await.unwrap();
    assert!(matches!(called, Err(SupervisorError::CallingSelf)));
    system.shutdown().await;
}

#[tokio::test]
async fn o5_handlers_start_dynamic_children() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Dynamic)).await;
    let (hired, balance) = bank.actor().ask(Hire(40)).await.unwrap().unwrap();
    assert_eq!(balance, 40);
    assert!(hired.current().is_some_and(|account| account.is_alive()));
    assert_eq!(bank.count_children().await.unwrap().active, 1);
    // The template's children come only from start_dynamic.
    let opened = bank.actor().ask(Open("alice".into())).await.unwrap();
    assert!(matches!(opened, Err(SupervisorError::InvalidSpec(_))));
    system.shutdown().await;
}

#[tokio::test]
async fn o5_handlers_ensure_one_dynamic_child_per_name() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Dynamic)).await;
    let (first, second) = tokio::join!(
        bank.actor().ask(Ensure("alice".into())),
        bank.actor().ask(Ensure("alice".into()))
    );
    let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
    assert_eq!(first.id(), "alice");
    assert_eq!(first.current().map(|a| a.id()), second.current().map(|a| a.id()));
    let other = bank.actor().ask(Ensure("bob".into())).await.unwrap().unwrap();
    assert_ne!(other.current().map(|a| a.id()), first.current().map(|a| a.id()));
    assert_eq!(bank.count_children().await.unwrap().active, 2);
    system.shutdown().await;
}

#[tokio::test]
async fn o6_admin_calls_from_outside_work_and_keep_the_state() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Vault)).await;
    let mut events = bank.events().await.unwrap();
    let bob = bank.start_child(ChildSpec::worker::<Account>("bob", Account::default())).await;
    let bob = bob.unwrap().expect("started");
    assert!(
        matches!(next_event(&mut events).await, SupervisorEvent::Started { actor, .. } if actor == bob)
    );
    let handle = bank.child::<Account>("bob").await.unwrap().expect("bob runs");
    assert_eq!(handle.id(), bob);
    bank.terminate_child("bob").await.unwrap();
    let restarted = bank.restart_child("bob").await.unwrap().expect("started again");
    assert_ne!(restarted, bob);
    bank.terminate_child("bob").await.unwrap();
    bank.delete_child("bob").await.unwrap();
    let count = bank.count_children().await.unwrap();
    assert_eq!((count.specs, count.active), (1, 1));
    assert_eq!(bank.health().await.status, HealthStatus::Healthy);
    // Its own handlers see the children the calls left, and the state is untouched.
    let carol = bank.actor().ask(Open("carol".into())).await.unwrap().unwrap();
    assert_eq!(bank.actor().ask(Count).await.unwrap(), 8);
    assert_eq!(bank.child::<Account>("carol").await.unwrap().map(|c| c.id()), Some(carol.id()));

    bank.actor().stop();
    bank.actor().wait_for_exit().await;
    assert!(matches!(bank.which_children().await, Err(SupervisorError::NotRunning)));
    assert!(bank.actor().ask(Count).await.is_err());
    assert!(!carol.is_alive());
}

#[tokio::test]
async fn o7_restarts_follow_its_spec_and_keep_its_state() {
    let system = ActorSystem::new();
    let args = BankArgs::new(Plan::Group { max_restarts: 1 });
    let bank = open_bank(&system, args.clone()).await;
    let mut events = bank.events().await.unwrap();
    let a = bank.child::<Account>("a").await.unwrap().expect("a runs");
    let b = bank.child::<Account>("b").await.unwrap().expect("b runs");
    let _ = a.tell(Crash).await;
    // One for all: both end, both start again, in order.
    let mut restarted = Vec::new();
    while restarted.len() < 2 {
        if let SupervisorEvent::Restarted { id, .. } = next_event(&mut events).await {
            restarted.push(id.to_string());
        }
    }
    assert_eq!(restarted, ["a", "b"]);
    assert!(!b.is_alive());
    assert_eq!(args.inits(), 1);
    assert_eq!(bank.actor().ask(Count).await.unwrap(), 7);

    // One restart too many within the period: it gives up and ends with Shutdown.
    let a = bank.child::<Account>("a").await.unwrap().expect("a runs");
    let _ = a.tell(Crash).await;
    loop {
        if let SupervisorEvent::GaveUp { .. } = next_event(&mut events).await {
            break;
        }
    }
    assert_eq!(bank.actor().wait_for_exit().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn o7_a_supervised_open_supervisor_escalates_and_starts_again_from_init() {
    let system = ActorSystem::new();
    let args = BankArgs::new(Plan::Group { max_restarts: 0 });
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(3, Duration::from_secs(5))
        .child(ChildSpec::open_supervisor::<Bank>("bank", args.clone()));
    let root =
        Supervisor::start_with(&system, SpawnOptions::new().name("root"), spec).await.unwrap();
    let bank = root.child::<Supervisor<Bank>>("bank").await.unwrap().expect("bank runs");
    let bank = SupervisorRef::from(bank);

    // In the health reports: under its parent, with its own children.
    let report = system.health().await;
    assert_eq!(report.status, HealthStatus::Healthy);
    let root_node = &report.children[0];
    assert_eq!(&*root_node.id, "root");
    let bank_node = &root_node.children[0];
    assert_eq!((&*bank_node.id, bank_node.kind), ("bank", ChildKind::Supervisor));
    let below: Vec<&str> = bank_node.children.iter().map(|child| &*child.id).collect();
    assert_eq!(below, ["a", "b"]);

    let mut root_events = root.events().await.unwrap();
    let a = bank.child::<Account>("a").await.unwrap().expect("a runs");
    let _ = a.tell(Crash).await;
    assert_eq!(bank.actor().wait_for_exit().await, ExitReason::Shutdown);
    let restarted = loop {
        if let SupervisorEvent::Restarted { id, actor, .. } = next_event(&mut root_events).await {
            assert_eq!(&*id, "bank");
            break actor;
        }
    };
    assert_eq!(args.inits(), 2);
    let again = root.child::<Supervisor<Bank>>("bank").await.unwrap().expect("bank runs");
    assert_eq!(again.id(), restarted);
    assert_eq!(again.ask(Count).await.unwrap(), 7);
    system.shutdown().await;
}

#[tokio::test]
async fn o7_an_open_root_appears_in_the_system_health_report() {
    let system = ActorSystem::new();
    let options = SpawnOptions::new().name("bank");
    let opened = Supervisor::<Bank>::start_open_with(&system, options, BankArgs::new(Plan::Vault));
    let bank = opened.await.unwrap().started().expect("started");
    let report = system.health().await;
    let names: Vec<&str> = report.children.iter().map(|node| &*node.id).collect();
    assert_eq!(names, ["bank"]);
    let below: Vec<&str> = report.children[0].children.iter().map(|node| &*node.id).collect();
    assert_eq!(below, ["vault"]);
    // The inspection view places it as a root with its child under it, named as its type.
    let text = system.inspect().roots[0].render();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(&format!("bank {} Supervisor<Bank> running", bank.actor().id())),
        "{text}"
    );
    assert!(lines[1].starts_with("└─ vault <"), "{text}");
    system.shutdown().await;
}

/// A deferred handler of an open supervisor, with its `Accepts` written by hand.
struct Later(u64);

impl DeferredHandler<Later> for Supervisor<Bank> {
    type Reply = u64;

    async fn handle(&mut self, Later(n): Later, reply: ReplyTo<u64>, _: &mut Context<Self>) {
        tokio::spawn(async move { reply.send(n * 2) });
    }
}

impl Accepts<Later> for Supervisor<Bank> {
    type Reply = u64;

    fn mail(msg: Later, reply: ReplyTo<u64>) -> OpenMail<Bank> {
        OpenMail::deferred(msg, reply)
    }

    fn unmail(mail: OpenMail<Bank>) -> Later {
        mail.into_message().unwrap_or(Later(0))
    }
}

#[tokio::test]
async fn o4_a_deferred_handler_answers_later() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Vault)).await;
    assert_eq!(bank.actor().ask(Later(21)).await.unwrap(), 42);
    system.shutdown().await;
}

/// A worker that notes, as it starts, its path in the tree.
#[derive(Clone, Default)]
struct Paths(Arc<std::sync::Mutex<Vec<String>>>);

#[actor]
impl Actor for Paths {
    type Msg = ();
    type Reply = ();
    type Args = Paths;
    type Error = std::convert::Infallible;

    async fn pre_start(paths: Paths, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        paths.0.lock().expect("not poisoned").push(ctx.tree_path().to_string());
        Ok(paths)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Spawns a helper of its own in `init`, before the supervisor exists.
struct Registrar;

impl Supervise for Registrar {
    type Args = Paths;
    type Error = SpawnError;

    async fn init(paths: Paths, system: &ActorSystem) -> Result<Init<Self>, SpawnError> {
        system.spawn::<Paths>(paths.clone()).await?;
        let spec = SupervisorSpec::new(Strategy::OneForOne)
            .child(ChildSpec::worker::<Paths>("leaf", paths));
        Ok(Init::Start(spec, Registrar))
    }
}

#[tokio::test]
async fn o1_an_actor_init_spawns_takes_no_place_in_the_tree() {
    let system = ActorSystem::new();
    let paths = Paths::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::open_supervisor::<Registrar>("registrar", paths.clone()));
    let root =
        Supervisor::start_with(&system, SpawnOptions::new().name("root"), spec).await.unwrap();
    // The helper is no child: its path is its own id. The supervisor holds its place, and
    // its child is placed under it.
    let helper = paths.0.lock().unwrap()[0].clone();
    assert!(helper.starts_with('<'), "the helper took the path {helper}");
    assert_eq!(paths.0.lock().unwrap()[1], "root/registrar/leaf");
    let registrar = root.child::<Supervisor<Registrar>>("registrar").await.unwrap().unwrap();
    assert_eq!(
        registrar.erase().tree_place().map(|place| place.path().to_string()).as_deref(),
        Some("root/registrar")
    );
    system.shutdown().await;
}

/// Starts with one crashing child and no restarts to spare the first time, then says ignore.
struct Once;

impl Supervise for Once {
    type Args = Arc<AtomicUsize>;
    type Error = std::convert::Infallible;

    async fn init(inits: Arc<AtomicUsize>, _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
        if inits.fetch_add(1, Ordering::SeqCst) > 0 {
            return Ok(Init::Ignore);
        }
        let spec = SupervisorSpec::new(Strategy::OneForOne)
            .intensity(0, Duration::from_secs(5))
            .child(ChildSpec::worker::<Account>("a", Account::default()));
        Ok(Init::Start(spec, Once))
    }
}

/// Its own message, to reach it through a `ChildRef`.
struct Ping;

impl Handler<Ping> for Supervisor<Once> {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
}

#[tokio::test(start_paused = true)]
async fn o2_a_restart_that_init_ignores_cancels_the_announced_restart() {
    let system = ActorSystem::new();
    let inits = Arc::new(AtomicUsize::new(0));
    let backoff = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(60)).jitter(0.0);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::open_supervisor::<Once>("once", Arc::clone(&inits)).backoff(backoff));
    let root = Supervisor::start(&system, spec).await.unwrap();
    let mut events = root.events().await.unwrap();
    let once: ChildRef<Supervisor<Once>> = root.child_ref("once").await.unwrap();
    let first = SupervisorRef::from(root.child::<Supervisor<Once>>("once").await.unwrap().unwrap());
    let a = first.child::<Account>("a").await.unwrap().expect("a runs");
    let _ = a.tell(Crash).await;
    // It gives up; its restart waits out its backoff, and a send waits for it.
    assert!(matches!(
        next_event(&mut events).await,
        SupervisorEvent::Ended { id, restart: true, .. } if &*id == "once"
    ));
    let started = tokio::time::Instant::now();
    let asked = once.ask(Ping).await;
    // The restart's init said ignore: no restart comes, and the waiting send hears so then,
    // not once its timeout (the system's ask timeout, 5 s) has passed.
    assert_eq!(inits.load(Ordering::SeqCst), 2);
    assert!(matches!(asked, Err(StableAskError::Gone(_))), "{asked:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert!(matches!(
        next_event(&mut events).await,
        SupervisorEvent::RestartCancelled { id } if &*id == "once"
    ));
    let children = root.which_children().await.unwrap();
    assert_eq!((children[0].actor, children[0].status), (None, ChildStatus::Stopped));
    system.shutdown().await;
}

/// The vault child's actor now, as the supervisor sees it.
struct WhichVault;

impl Handler<WhichVault> for Supervisor<Bank> {
    type Reply = Option<ActorId>;

    async fn handle(&mut self, _: WhichVault, _: &mut Context<Self>) -> Option<ActorId> {
        self.child::<Account>("vault").map(|vault| vault.id())
    }
}

#[tokio::test]
async fn o4_a_childs_end_is_taken_before_the_messages_waiting() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Vault)).await;
    let mut events = bank.events().await.unwrap();
    let vault = bank.child::<Account>("vault").await.unwrap().expect("vault runs");
    let (begun, has_begun) = oneshot::channel();
    let (release, released) = oneshot::channel();
    bank.actor().tell(Hold(begun, released)).await.unwrap();
    has_begun.await.unwrap();
    // Queued while the supervisor is busy: first a message, then the child's end.
    let asker = bank.actor().clone();
    let which = tokio::spawn(async move { asker.ask(WhichVault).await });
    while bank.actor().mailbox_len() == 0 {
        tokio::task::yield_now().await;
    }
    let _ = vault.tell(Crash).await;
    vault.wait_for_exit().await;
    release.send(()).unwrap();
    // The end came on the signal lane (L10): handled, and the child restarted, first.
    let restarted = loop {
        if let SupervisorEvent::Restarted { actor, .. } = next_event(&mut events).await {
            break actor;
        }
    };
    assert_eq!(which.await.unwrap().unwrap(), Some(restarted));
    system.shutdown().await;
}

/// An own message whose handler, a plain `fn`, panics before it makes its future.
struct Eager;

impl Handler<Eager> for Supervisor<Bank> {
    type Reply = ();

    #[allow(clippy::manual_async_fn)]
    fn handle(
        &mut self,
        _: Eager,
        _: &mut Context<Self>,
    ) -> impl std::future::Future<Output = ()> + Send {
        panic!("eager own-message panic");
        #[allow(unreachable_code)]
        async {}
    }
}

#[tokio::test]
async fn o4_an_own_handler_that_panics_before_its_future_answers_its_asker_with_the_panic() {
    let system = ActorSystem::new();
    let bank = open_bank(&system, BankArgs::new(Plan::Vault)).await;
    let asked = bank.actor().ask(Eager).await;
    let expected = ExitReason::panicked("eager own-message panic");
    assert!(matches!(&asked, Err(AskError::Stopped(reason)) if *reason == expected), "{asked:?}");
}
