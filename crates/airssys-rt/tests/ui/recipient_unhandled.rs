use airssys_rt::actor::Recipient;
use airssys_rt::prelude::*;

struct Deposit(u64);
struct History;
struct Open;

#[derive(Default)]
struct Account;

#[actor(messages(Deposit, History))]
impl Actor for Account {}

impl Handler<Deposit> for Account {
    type Reply = u64;
    async fn handle(&mut self, Deposit(n): Deposit, _: &mut Context<Self>) -> u64 {
        n
    }
}

impl Handler<History> for Account {
    type Reply = ();
    async fn handle(&mut self, _: History, _: &mut Context<Self>) {}
}

fn openers(account: ActorRef<Account>) -> (Recipient<Open>, Recipient<Open>) {
    (account.recipient::<Open>(), Recipient::from(account))
}

fn main() {
    let _ = openers;
}
