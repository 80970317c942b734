//! A small ledger service: a bank (a supervisor of its own) that opens one account actor per
//! name on demand; a teller that coordinates transfers with asks and timeouts, and takes new
//! ones while a transfer waits; an audit trail fed by the broker, from which a crashed account
//! is rebuilt when the bank restarts it; monthly interest on a timer; a graceful shutdown.
//!
//! Run it with `cargo run -p airssys-rt --example ledger`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::actor::ReplyRecipient;
use airssys_rt::message::{AskError, StableAskError};
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    ChildRef, ChildTemplate, Init, Supervise, SupervisorError, SupervisorEvent,
};
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

/// What an account starts from: its name, and where to read its history back from.
type Opening = (String, ReplyRecipient<Replay, Vec<Tx>>);

#[actor(messages(Deposit, Withdraw, History, PayInterest))]
impl Actor for Account {
    type Args = Opening;
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
enum TransferError {
    #[error(transparent)]
    Refused(#[from] InsufficientFunds),
    #[error("the bank did not answer: {0}")]
    Bank(#[from] AskError<Open>),
    #[error("the account could not be opened: {0}")]
    Open(#[from] SupervisorError),
    #[error("the withdrawal failed: {0}")]
    Withdraw(#[from] StableAskError<Withdraw>),
    #[error("the deposit failed: {0}")]
    Deposit(#[from] StableAskError<Deposit>),
}

/// The bank: a supervisor of its own, with one account child per name, started on demand.
struct Bank {
    audit: ReplyRecipient<Replay, Vec<Tx>>,
}

impl Supervise for Bank {
    type Args = ReplyRecipient<Replay, Vec<Tx>>;
    type Error = std::convert::Infallible;

    async fn init(audit: Self::Args, _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
        let accounts = ChildTemplate::worker::<Account>().named(|(name, _): &Opening| name.clone());
        let spec = SupervisorSpec::new(Strategy::SimpleOneForOne).template(accounts);
        Ok(Init::Start(spec, Bank { audit }))
    }
}

/// Opens an account: the running one of that name, or a new one.
struct Open(String);

impl Handler<Open> for Supervisor<Bank> {
    type Reply = Result<ChildRef<Account>, SupervisorError>;
    async fn handle(&mut self, Open(name): Open, ctx: &mut Context<Self>) -> Self::Reply {
        // One step of the supervisor: two opens of one name start one account.
        let opening = (name.clone(), self.audit.clone());
        self.ensure_dynamic::<Account>(ctx, name, opening).await
    }
}

/// Coordinates transfers between accounts, and takes the next while one waits.
struct Teller {
    bank: SupervisorRef<Bank>,
}

struct Transfer {
    from: &'static str,
    to: &'static str,
    amount: u64,
}

#[actor(messages(deferred(Transfer)))]
impl Actor for Teller {}

impl DeferredHandler<Transfer> for Teller {
    /// The payer's balance after the transfer.
    type Reply = Result<u64, TransferError>;
    async fn handle(&mut self, t: Transfer, reply: ReplyTo<Self::Reply>, _: &mut Context<Self>) {
        let bank = self.bank.actor().clone();
        // The money moves in a task of its own: the teller takes its next request at once.
        tokio::spawn(async move {
            let open = |name: &str| bank.ask(Open(name.to_owned()));
            let accounts =
                async { Ok::<_, TransferError>((open(t.from).await??, open(t.to).await??)) };
            reply.send(match accounts.await {
                Ok((payer, payee)) => settle(payer, payee, t.amount).await,
                Err(error) => Err(error),
            });
        });
    }
}

async fn settle(
    payer: ChildRef<Account>,
    payee: ChildRef<Account>,
    amount: u64,
) -> Result<u64, TransferError> {
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
    let opened = Supervisor::<Bank>::start_open(&system, audit.reply_recipient()).await?;
    let bank = opened.started().expect("the bank's init never ignores");
    let teller = system.spawn::<Teller>(Teller { bank: bank.clone() }).await?;
    let open = |name: &str| bank.actor().ask(Open(name.into()));

    let alice = open("alice").await??;
    let bob = open("bob").await??;
    println!("alice deposits 2000: balance {}", alice.ask(Deposit(2_000)).await?);
    println!("bob deposits 50: balance {}", bob.ask(Deposit(50)).await?);
    println!("bob withdraws 80: {:?}", bob.ask(Withdraw(80)).await?);

    // Asked together: the large transfer waits for its fraud check while the others settle;
    // carol's account is opened on demand by the transfer that names her.
    let mut transfers = JoinSet::new();
    for (from, to, amount) in [("alice", "bob", 1500), ("bob", "alice", 30), ("carol", "bob", 10)] {
        let teller = teller.clone();
        let transfer = Transfer { from, to, amount };
        transfers.spawn(async move { (from, to, amount, teller.ask(transfer).await) });
    }
    while let Some(settled) = transfers.join_next().await {
        let (from, to, amount, outcome) = settled?;
        match outcome? {
            Ok(left) => println!("transfer {from} -> {to} {amount}: done, {from} has {left} left"),
            Err(error) => println!("transfer {from} -> {to} {amount}: failed, {error}"),
        }
    }

    let carol = open("carol").await??;
    carol.ask(Deposit(100)).await?;
    let mut events = bank.events().await?;
    println!("carol is sent a poisoned deposit...");
    if let Err(crashed) = carol.ask(Deposit(u64::MAX)).await {
        println!("the deposit failed at once: {crashed}");
    }
    // The bank says when it has started carol again: nothing to poll.
    while let Some(event) = events.next().await {
        if let SupervisorEvent::Restarted { id, restarts, .. } = event {
            println!("the bank restarted {id} (restart {restarts})");
            break;
        }
    }
    // The same handle reaches the new carol.
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
