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

async fn send(account: ActorRef<Account>) {
    let _ = account.tell(Open).await;
}

fn main() {
    let _ = send;
}
