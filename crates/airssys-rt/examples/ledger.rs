//! A small ledger service: one actor per account, found by name and opened on demand under a
//! supervisor; a bank that coordinates transfers with asks and timeouts, and takes new ones
//! while a transfer waits; an audit trail fed by the broker, from which a crashed account is
//! rebuilt when its supervisor restarts it; monthly interest on a timer; a graceful shutdown.
//!
//! Run it with `cargo run -p airssys-rt --example ledger`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::message::AskError;
use airssys_rt::prelude::*;
use airssys_rt::registry::LookupError;
use airssys_rt::supervisor::{SupervisorError, SupervisorEvent};
use tokio::task::JoinSet;

const MONTH: Duration = Duration::from_secs(30 * 24 * 3600);
/// Transfers of this much or more wait for a fraud check first.
const LARGE: u64 = 1_000;
const FRAUD_CHECK: Duration = Duration::from_secs(2);
/// How long the bank waits for an account at each step of a transfer.
const STEP_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tx {
    Deposit(u64),
    Withdraw(u64),
    Interest(u64),
}

impl Tx {
    fn applied_to(self, balance: u64) -> u64 {
        match self {
            Tx::Deposit(amount) | Tx::Interest(amount) => balance + amount,
            Tx::Withdraw(amount) => balance - amount,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("insufficient funds: balance {balance}, asked {asked}")]
struct InsufficientFunds {
    balance: u64,
    asked: u64,
}

struct Deposit(u64);
struct Withdraw(u64);
struct History;
#[derive(Clone)]
struct PayInterest;

struct Account {
    name: String,
    balance: u64,
    history: Vec<Tx>,
    ledger: Broker<Tx>,
}

#[actor(messages(Deposit, Withdraw, History, PayInterest))]
impl Actor for Account {
    type Args = (String, ActorRef<Audit>);
    type Error = anyhow::Error;

    async fn pre_start((name, audit): Self::Args, ctx: &mut Context<Self>) -> anyhow::Result<Self> {
        // A restarted account starts from its audit trail, not from zero.
        let history = audit.ask(Replay(name.clone())).await?;
        let balance = history.iter().fold(0, |balance, tx| tx.applied_to(balance));
        ctx.send_interval(MONTH, PayInterest);
        Ok(Account { name, balance, history, ledger: ctx.system().broker() })
    }
}

impl Account {
    async fn record(&mut self, tx: Tx, ctx: &mut Context<Self>) -> u64 {
        self.balance = tx.applied_to(self.balance);
        self.history.push(tx);
        // An account that cannot be audited must not go on taking money.
        if let Err(error) = self.ledger.publish(format!("ledger.{}", self.name), tx).await {
            ctx.fail(error);
        }
        self.balance
    }
}

impl Handler<Deposit> for Account {
    type Reply = u64;
    async fn handle(&mut self, Deposit(amount): Deposit, ctx: &mut Context<Self>) -> u64 {
        if self.balance.checked_add(amount).is_none() {
            // A poisoned request: crash, and let the supervisor start the account afresh.
            panic!("a deposit of {amount} overflows {}'s balance", self.name);
        }
        self.record(Tx::Deposit(amount), ctx).await
    }
}

impl Handler<Withdraw> for Account {
    type Reply = Result<u64, InsufficientFunds>;
    async fn handle(&mut self, Withdraw(asked): Withdraw, ctx: &mut Context<Self>) -> Self::Reply {
        if asked > self.balance {
            return Err(InsufficientFunds { balance: self.balance, asked });
        }
        Ok(self.record(Tx::Withdraw(asked), ctx).await)
    }
}

impl Handler<History> for Account {
    type Reply = Vec<Tx>;
    async fn handle(&mut self, _: History, _: &mut Context<Self>) -> Vec<Tx> {
        self.history.clone()
    }
}

impl Handler<PayInterest> for Account {
    type Reply = ();
    async fn handle(&mut self, _: PayInterest, ctx: &mut Context<Self>) {
        let interest = self.balance / 100;
        if interest > 0 {
            self.record(Tx::Interest(interest), ctx).await;
        }
    }
}

/// Every transaction of every account, by topic (`ledger.<account>`).
#[derive(Default)]
struct Audit {
    trail: HashMap<Arc<str>, Vec<Tx>>,
}

struct Replay(String);

#[actor(messages(Publication<Tx>, Replay))]
impl Actor for Audit {}

impl Handler<Publication<Tx>> for Audit {
    type Reply = ();
    async fn handle(&mut self, tx: Publication<Tx>, _: &mut Context<Self>) {
        self.trail.entry(tx.shared_topic().clone()).or_default().push(*tx);
    }
}

impl Handler<Replay> for Audit {
    type Reply = Vec<Tx>;
    async fn handle(&mut self, Replay(account): Replay, _: &mut Context<Self>) -> Vec<Tx> {
        self.trail.get(format!("ledger.{account}").as_str()).cloned().unwrap_or_default()
    }
}

#[derive(Debug, thiserror::Error)]
enum BankError {
    #[error(transparent)]
    Refused(#[from] InsufficientFunds),
    #[error("the account could not be opened: {0}")]
    Open(#[from] SupervisorError),
    #[error("the account is not running: {0}")]
    Lookup(#[from] LookupError),
    #[error("the withdrawal failed: {0}")]
    Withdraw(#[from] AskError<Withdraw>),
    #[error("the deposit failed: {0}")]
    Deposit(#[from] AskError<Deposit>),
}

/// Opens accounts (it alone starts them, so two opens of one name cannot race) and
/// coordinates transfers between them.
struct Bank {
    accounts: SupervisorRef,
    audit: ActorRef<Audit>,
}

struct Open(String);
struct Transfer {
    from: &'static str,
    to: &'static str,
    amount: u64,
}

#[actor(messages(Open, deferred(Transfer)))]
impl Actor for Bank {}

impl Bank {
    async fn open(&self, name: &str, system: &ActorSystem) -> Result<ActorRef<Account>, BankError> {
        if let Ok(account) = system.lookup(name) {
            return Ok(account);
        }
        let args = (name.to_owned(), self.audit.clone());
        let spec = ChildSpec::worker_with::<Account>(name, SpawnOptions::new().name(name), args);
        self.accounts.start_child(spec).await?;
        Ok(system.lookup(name)?)
    }
}

impl Handler<Open> for Bank {
    type Reply = Result<ActorRef<Account>, BankError>;
    async fn handle(&mut self, Open(name): Open, ctx: &mut Context<Self>) -> Self::Reply {
        self.open(&name, ctx.system()).await
    }
}

impl DeferredHandler<Transfer> for Bank {
    /// The payer's balance after the transfer.
    type Reply = Result<u64, BankError>;
    async fn handle(&mut self, t: Transfer, reply: ReplyTo<Self::Reply>, ctx: &mut Context<Self>) {
        let accounts = (self.open(t.from, ctx.system()).await, self.open(t.to, ctx.system()).await);
        // The money moves in a task of its own: the bank takes its next request at once.
        tokio::spawn(async move { reply.send(settle(accounts, t.amount).await) });
    }
}

type Opened = Result<ActorRef<Account>, BankError>;

async fn settle((payer, payee): (Opened, Opened), amount: u64) -> Result<u64, BankError> {
    let (payer, payee) = (payer?, payee?);
    if amount >= LARGE {
        tokio::time::sleep(FRAUD_CHECK).await;
    }
    let left = payer.ask(Withdraw(amount)).timeout(STEP_TIMEOUT).await??;
    if let Err(failed) = payee.ask(Deposit(amount)).timeout(STEP_TIMEOUT).await {
        // Undo the withdrawal. (After a timeout the deposit may still land: a real ledger
        // would reconcile with the audit trail.)
        payer.ask(Deposit(amount)).timeout(STEP_TIMEOUT).await?;
        return Err(failed.into());
    }
    Ok(left)
}

// Tokio's paused clock: the months of interest pass at once, and every run prints the same.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> anyhow::Result<()> {
    let system = ActorSystem::new();
    let audit = system.spawn::<Audit>(Audit::default()).await?;
    system.broker::<Tx>().subscribe("ledger.#", &audit)?;
    let accounts = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await?;
    let bank = system.spawn::<Bank>(Bank { accounts: accounts.clone(), audit }).await?;

    let alice = bank.ask(Open("alice".into())).await??;
    let bob = bank.ask(Open("bob".into())).await??;
    println!("alice deposits 2000: balance {}", alice.ask(Deposit(2_000)).await?);
    println!("bob deposits 50: balance {}", bob.ask(Deposit(50)).await?);
    println!("bob withdraws 80: {:?}", bob.ask(Withdraw(80)).await?);

    // Asked together: the large transfer waits for its fraud check while the others settle;
    // carol's account is opened on demand by the transfer that names her.
    let mut transfers = JoinSet::new();
    for (from, to, amount) in [("alice", "bob", 1500), ("bob", "alice", 30), ("carol", "bob", 10)] {
        let bank = bank.clone();
        let transfer = Transfer { from, to, amount };
        transfers.spawn(async move { (from, to, amount, bank.ask(transfer).await) });
    }
    while let Some(settled) = transfers.join_next().await {
        let (from, to, amount, outcome) = settled?;
        match outcome? {
            Ok(left) => println!("transfer {from} -> {to} {amount}: done, {from} has {left} left"),
            Err(error) => println!("transfer {from} -> {to} {amount}: failed, {error}"),
        }
    }

    let carol = bank.ask(Open("carol".into())).await??;
    carol.ask(Deposit(100)).await?;
    let mut events = accounts.events().await?;
    println!("carol is sent a poisoned deposit...");
    if let Err(crashed) = carol.ask(Deposit(u64::MAX)).await {
        println!("the deposit failed at once: {crashed}");
    }
    // The supervisor says when it has started carol again: nothing to poll.
    while let Some(event) = events.next().await {
        if let SupervisorEvent::Restarted { id, restarts, .. } = event {
            println!("the supervisor restarted {id} (restart {restarts})");
            break;
        }
    }
    let carol = bank.ask(Open("carol".into())).await??;
    let rebuilt = carol.ask(History).await?;
    println!("carol, rebuilt from the audit trail: {rebuilt:?}");
    assert_eq!(rebuilt, [Tx::Deposit(100)]);

    tokio::time::sleep(2 * MONTH + Duration::from_secs(60)).await;
    for (name, account) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
        println!("{name} after two months of interest: {:?}", account.ask(History).await?);
    }

    let report = system.shutdown().await;
    println!("shut down: {} actors stopped, {} killed", report.stopped, report.killed);
    assert_eq!(report.killed, 0);
    Ok(())
}

#[test]
fn the_ledger_runs_to_the_end() {
    main().unwrap();
}
