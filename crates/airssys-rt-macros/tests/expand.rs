//! What `#[actor]` generates, run against the stand-in of the kernel in `support/kernel.rs`:
//! each test drives an actor by hand (start, mail, dispatch) and checks that the reply comes
//! back, with its type, from the handler the message belongs to.

#[path = "support/kernel.rs"]
mod kernel;

use std::convert::Infallible;
use std::fmt;
use std::sync::mpsc::TryRecvError;

use airssys_rt_macros::actor;
use futures::executor::block_on;

use kernel::actor::{Accepts, Classic, DeferredHandler, Handler, ReplyTo};
use kernel::{Actor, Context, ExitReason};

/// Mails `msg` to `actor` as an ask would, dispatches it, and returns the reply: its type is
/// the one `Accepts<M>` gives, so a caller's annotation checks it.
fn ask<A: Accepts<M>, M: Send + 'static>(actor: &mut A, msg: M) -> A::Reply {
    let (reply, answer) = ReplyTo::channel();
    let outcome = block_on(actor.dispatch(A::mail(msg, reply), &mut Context::new()));
    assert_eq!(outcome, Ok(()), "the dispatch ended the actor");
    answer.try_recv().expect("the handler replied before dispatch returned")
}

fn start<A: Actor>(args: A::Args) -> A {
    block_on(A::pre_start(args, &mut Context::new())).expect("the actor starts")
}

// ---------------------------------------------------------------- the classic form

#[derive(Debug, PartialEq, Eq)]
struct TooLarge(u32);

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is too large", self.0)
    }
}

impl std::error::Error for TooLarge {}

/// Doubles numbers; a number over 100 ends it.
struct Doubler {
    stopped: bool,
}

#[actor(crate = kernel)]
impl Actor for Doubler {
    /// A number to double.
    type Msg = u32;
    type Reply = u64;
    type Args = ();
    type Error = TooLarge;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Doubler { stopped: false })
    }

    /// Doubles.
    #[allow(clippy::unused_async)]
    async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        if n > 100 {
            return Err(TooLarge(n));
        }
        Ok(u64::from(n) * 2)
    }

    /// A hook the attribute leaves where it is; it names `Self::Msg`, which moved to `Classic`.
    async fn post_stop(&mut self, _: &mut Context<Self>) {
        let last: Option<Self::Msg> = None;
        self.stopped = last.is_none();
    }
}

#[test]
fn classic_form_dispatches_to_handle_and_replies() {
    let mut doubler: Doubler = start(());
    let doubled: u64 = ask(&mut doubler, 21_u32);
    assert_eq!(doubled, 42);
}

#[test]
fn classic_form_ends_the_actor_on_an_error_from_handle() {
    let mut doubler: Doubler = start(());
    let (reply, answer) = ReplyTo::channel();
    let outcome = block_on(doubler.dispatch(Doubler::mail(101, reply), &mut Context::new()));
    assert_eq!(outcome, Err(ExitReason));
    assert!(answer.try_recv().is_err(), "no reply for a failed handle");
}

#[test]
fn classic_form_moves_msg_reply_and_handle_to_classic_and_keeps_the_hooks() {
    fn classic<A: Classic<Msg = u32, Reply = u64, Error = TooLarge>>() {}
    classic::<Doubler>();
    let mut doubler: Doubler = start(());
    block_on(doubler.post_stop(&mut Context::new()));
    assert!(doubler.stopped, "the user's post_stop ran, not the default");
    let direct = block_on(Classic::handle(&mut doubler, 3, &mut Context::new()));
    assert_eq!(direct, Ok(6));
}

#[test]
fn classic_form_accepts_its_msg_and_hands_a_refused_one_back() {
    let mail = <Doubler as Accepts<u32>>::mail(9, ReplyTo::none());
    assert_eq!(<Doubler as Accepts<u32>>::unmail(mail), 9);
}

/// A message type that names `Self`, and the defaults: no `Args`, `pre_start` or `Error`.
#[derive(Debug, PartialEq)]
struct Last {
    seen: Option<u8>,
}

#[actor(crate = kernel)]
impl Actor for Last {
    type Msg = Option<Self::Reply>;
    type Reply = u8;

    async fn handle(&mut self, msg: Self::Msg, _: &mut Context<Self>) -> Result<u8, Self::Error> {
        let before = self.seen.unwrap_or(0);
        self.seen = msg;
        Ok(before)
    }
}

#[test]
fn classic_form_with_a_msg_naming_self_accepts_it_and_gets_the_defaults() {
    fn defaults<A: Actor<Args = A, Error = Infallible>>() {}
    defaults::<Last>();
    let mut last: Last = start(Last { seen: Some(4) });
    let before: u8 = ask(&mut last, Some(7_u8));
    assert_eq!((before, last.seen), (4, Some(7)));
}

// ---------------------------------------------------------------- the messages form

struct Deposit(u64);
struct Withdraw(u64);
struct History;
/// Answered once the next deposit arrives.
struct Audit;

#[derive(Debug, PartialEq, Eq)]
struct InsufficientFunds {
    balance: u64,
    asked: u64,
}

#[derive(Default)]
struct Account {
    balance: u64,
    history: Vec<i64>,
    audit: Option<ReplyTo<String>>,
}

/// An account; attributes and docs on the block's items survive.
#[actor(crate = kernel, messages(Deposit, Withdraw, History, deferred(Audit)))]
impl Actor for Account {
    /// The hook stays, with its doc and its attribute.
    #[allow(clippy::unused_async)]
    async fn post_stop(&mut self, _: &mut Context<Self>) {
        self.history.clear();
    }
}

impl Handler<Deposit> for Account {
    type Reply = u64;

    async fn handle(&mut self, Deposit(amount): Deposit, _: &mut Context<Self>) -> u64 {
        self.balance += amount;
        self.history.push(amount as i64);
        if let Some(audit) = self.audit.take() {
            audit.send(format!("deposit of {amount}"));
        }
        self.balance
    }
}

impl Handler<Withdraw> for Account {
    type Reply = Result<u64, InsufficientFunds>;

    async fn handle(&mut self, Withdraw(asked): Withdraw, _: &mut Context<Self>) -> Self::Reply {
        let balance = self.balance;
        self.balance = balance.checked_sub(asked).ok_or(InsufficientFunds { balance, asked })?;
        self.history.push(-(asked as i64));
        Ok(self.balance)
    }
}

impl Handler<History> for Account {
    type Reply = Vec<i64>;

    async fn handle(&mut self, _: History, _: &mut Context<Self>) -> Vec<i64> {
        self.history.clone()
    }
}

impl DeferredHandler<Audit> for Account {
    type Reply = String;

    async fn handle(&mut self, _: Audit, reply: ReplyTo<String>, _: &mut Context<Self>) {
        self.audit = Some(reply);
    }
}

#[test]
fn messages_form_dispatches_each_message_to_its_handler_with_its_reply_type() {
    let mut account: Account = start(Account::default());
    let balance: u64 = ask(&mut account, Deposit(100));
    assert_eq!(balance, 100);
    let refused: Result<u64, InsufficientFunds> = ask(&mut account, Withdraw(500));
    assert_eq!(refused, Err(InsufficientFunds { balance: 100, asked: 500 }));
    let withdrawn: Result<u64, InsufficientFunds> = ask(&mut account, Withdraw(30));
    assert_eq!(withdrawn, Ok(70));
    let history: Vec<i64> = ask(&mut account, History);
    assert_eq!(history, [100, -30]);
}

#[test]
fn messages_form_hands_a_deferred_message_its_reply_slot_to_answer_later() {
    let mut account: Account = start(Account::default());
    let (reply, audit) = ReplyTo::channel();
    let outcome = block_on(account.dispatch(Account::mail(Audit, reply), &mut Context::new()));
    assert_eq!(outcome, Ok(()));
    assert_eq!(audit.try_recv(), Err(TryRecvError::Empty), "answered only later");
    let _: u64 = ask(&mut account, Deposit(5));
    assert_eq!(audit.try_recv().as_deref(), Ok("deposit of 5"));
}

#[test]
fn messages_form_tell_drops_the_reply_and_the_handler_runs_the_same() {
    let mut account: Account = start(Account::default());
    let mail = <Account as Accepts<Deposit>>::mail(Deposit(8), ReplyTo::none());
    assert_eq!(block_on(account.dispatch(mail, &mut Context::new())), Ok(()));
    assert_eq!(account.balance, 8);
}

#[test]
fn messages_form_unmail_gives_back_the_message_of_each_type() {
    let deposit = <Account as Accepts<Deposit>>::mail(Deposit(1), ReplyTo::none());
    assert_eq!(<Account as Accepts<Deposit>>::unmail(deposit).0, 1);
    let withdraw = <Account as Accepts<Withdraw>>::mail(Withdraw(2), ReplyTo::none());
    assert_eq!(<Account as Accepts<Withdraw>>::unmail(withdraw).0, 2);
    let audit = <Account as Accepts<Audit>>::mail(Audit, ReplyTo::none());
    let Audit = <Account as Accepts<Audit>>::unmail(audit);
}

/// A request refused by a full mailbox keeps its reply slot for the retry of its ask.
#[test]
fn unmail_request_gives_back_the_message_and_its_reply_slot() {
    let (reply, _) = ReplyTo::channel();
    let withdraw = <Account as Accepts<Withdraw>>::mail(Withdraw(3), reply);
    let (Withdraw(n), reply) = <Account as Accepts<Withdraw>>::unmail_request(withdraw);
    assert_eq!((n, reply.is_ask()), (3, true));
    let (reply, _) = ReplyTo::channel();
    let mail = <Doubler as Accepts<u32>>::mail(4, reply);
    let (n, reply) = <Doubler as Accepts<u32>>::unmail_request(mail);
    assert_eq!((n, reply.is_ask()), (4, true));
}

#[test]
fn messages_form_generates_a_named_enum_debug_and_the_defaults() {
    fn defaults<A: Actor<Args = A, Error = Infallible, Mail = AccountMail>>() {}
    defaults::<Account>();
    let mail: AccountMail = Account::mail(History, ReplyTo::none());
    assert_eq!(format!("{mail:?}"), "AccountMail(History)");
    let mut account: Account = start(Account { history: vec![1], ..Account::default() });
    block_on(account.post_stop(&mut Context::new()));
    assert!(account.history.is_empty(), "the user's post_stop ran, not the default");
}

// ---------------------------------------------------------------- generics, names, visibility

/// A message generic over the actor's parameter.
struct Put<T>(T);
struct Take;

/// A generic actor: the enum is `StashMail<T>`, with the impl's bounds.
struct Stash<T> {
    items: Vec<T>,
}

// `Self` in the where clause is the actor's type in the enum's copy of it.
#[actor(crate = kernel, messages(Put<T>, Take))]
impl<T> Actor for Stash<T>
where
    T: Send + 'static,
    Self: Send,
{
}

impl<T: Send + 'static> Handler<Put<T>> for Stash<T> {
    type Reply = usize;

    async fn handle(&mut self, Put(item): Put<T>, _: &mut Context<Self>) -> usize {
        self.items.push(item);
        self.items.len()
    }
}

impl<T: Send + 'static> Handler<Take> for Stash<T> {
    type Reply = Option<T>;

    async fn handle(&mut self, _: Take, _: &mut Context<Self>) -> Option<T> {
        self.items.pop()
    }
}

#[test]
fn a_generic_actor_gets_a_generic_mail_enum() {
    let mut stash: Stash<&'static str> = start(Stash { items: Vec::new() });
    let count: usize = ask(&mut stash, Put("a"));
    assert_eq!(count, 1);
    let taken: Option<&str> = ask(&mut stash, Take);
    assert_eq!(taken, Some("a"));
    let mail: StashMail<u8> = <Stash<u8> as Accepts<Take>>::mail(Take, ReplyTo::none());
    assert_eq!(format!("{mail:?}"), "StashMail(Take)");
}

/// A generic classic actor.
struct Echo<T>(Option<T>);

#[actor(crate = kernel)]
impl<T: Clone + Send + 'static> Actor for Echo<T> {
    type Msg = T;
    type Reply = Option<T>;

    async fn handle(&mut self, msg: T, _: &mut Context<Self>) -> Result<Option<T>, Infallible> {
        Ok(self.0.replace(msg))
    }
}

#[test]
fn a_generic_classic_actor_accepts_its_parameter() {
    let mut echo: Echo<String> = start(Echo(None));
    let first: Option<String> = ask(&mut echo, "one".to_owned());
    let second: Option<String> = ask(&mut echo, "two".to_owned());
    assert_eq!((first, second), (None, Some("one".to_owned())));
}

/// `mail = Name`, a trait path that only ends in `Actor`, and message types that are a tuple
/// and a path.
struct Counter(u32);
struct Tick;

mod wrapped {
    pub(crate) struct Add(pub(crate) u32);
}

#[actor(crate = kernel, messages(Tick, (u8, u8), wrapped::Add), mail = CounterInbox)]
impl kernel::Actor for Counter {}

impl Handler<(u8, u8)> for Counter {
    type Reply = u16;

    async fn handle(&mut self, (a, b): (u8, u8), _: &mut Context<Self>) -> u16 {
        u16::from(a) * u16::from(b)
    }
}

impl Handler<wrapped::Add> for Counter {
    type Reply = u32;

    async fn handle(&mut self, wrapped::Add(n): wrapped::Add, _: &mut Context<Self>) -> u32 {
        self.0 += n;
        self.0
    }
}

impl Handler<Tick> for Counter {
    type Reply = ();

    async fn handle(&mut self, _: Tick, _: &mut Context<Self>) {
        self.0 += 1;
    }
}

#[test]
fn mail_names_the_enum_and_tuple_and_path_messages_get_their_replies() {
    let mut counter: Counter = start(Counter(0));
    let mail: CounterInbox = Counter::mail(Tick, ReplyTo::none());
    assert!(matches!(mail, CounterInbox::M0(Tick, _)));
    ask(&mut counter, Tick);
    assert_eq!(counter.0, 1);
    let product: u16 = ask(&mut counter, (20_u8, 30_u8));
    assert_eq!(product, 600);
    let total: u32 = ask(&mut counter, wrapped::Add(4));
    assert_eq!(total, 5);
}

/// Alternatives under `#[cfg]`: if the attribute dropped the items' attributes, the `impl
/// Classic` would hold two `Msg`, two `Reply` and two `handle`, and this would not compile.
struct Configured;

#[actor(crate = kernel)]
impl Actor for Configured {
    #[cfg(test)]
    type Msg = u8;
    #[cfg(not(test))]
    type Msg = String;
    #[cfg(test)]
    type Reply = u8;
    #[cfg(not(test))]
    type Reply = String;

    #[cfg(test)]
    async fn handle(&mut self, n: u8, _: &mut Context<Self>) -> Result<u8, Self::Error> {
        Ok(n + 1)
    }

    #[cfg(not(test))]
    async fn handle(&mut self, s: String, _: &mut Context<Self>) -> Result<String, Self::Error> {
        Ok(s)
    }
}

#[test]
fn attributes_of_the_moved_items_go_with_them() {
    let mut configured: Configured = start(Configured);
    let next: u8 = ask(&mut configured, 1_u8);
    assert_eq!(next, 2);
}

/// Private actors and messages in a private module: the enum is `pub` (an associated type of a
/// trait impl may not be more private than the impl), which compiles without a warning here.
mod private {
    use super::kernel::actor::Handler;
    use super::kernel::{Actor, Context};
    use super::{actor, ask, start};

    struct Secret(u8);

    struct Vault {
        secret: u8,
    }

    #[actor(crate = super::kernel, messages(Secret))]
    impl Actor for Vault {}

    impl Handler<Secret> for Vault {
        type Reply = u8;

        async fn handle(&mut self, Secret(new): Secret, _: &mut Context<Self>) -> u8 {
            std::mem::replace(&mut self.secret, new)
        }
    }

    pub(super) fn swap(old: u8, new: u8) -> u8 {
        let mut vault: Vault = start(Vault { secret: old });
        ask(&mut vault, Secret(new))
    }
}

/// A public actor (reachable from the crate root) with private messages.
#[derive(Debug)]
pub struct Public;
struct PrivateRequest;

#[actor(crate = kernel, messages(PrivateRequest))]
impl Actor for Public {}

impl Handler<PrivateRequest> for Public {
    type Reply = &'static str;

    async fn handle(&mut self, _: PrivateRequest, _: &mut Context<Self>) -> &'static str {
        "private"
    }
}

#[test]
fn private_actors_and_messages_compile_and_run() {
    assert_eq!(private::swap(1, 2), 1);
    let mut public: Public = start(Public);
    assert_eq!(ask(&mut public, PrivateRequest), "private");
}
