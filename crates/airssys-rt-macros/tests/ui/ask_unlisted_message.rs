#[path = "../support/kernel.rs"]
mod kernel;

use airssys_rt_macros::actor;

use kernel::actor::{Accepts, Handler, ReplyTo};
use kernel::{Actor, Context};

struct Deposit;
struct Withdraw;
struct Open;
struct Account;

#[actor(crate = kernel, messages(Deposit, Withdraw))]
impl Actor for Account {}

impl Handler<Deposit> for Account {
    type Reply = ();
    async fn handle(&mut self, _: Deposit, _: &mut Context<Self>) {}
}

impl Handler<Withdraw> for Account {
    type Reply = ();
    async fn handle(&mut self, _: Withdraw, _: &mut Context<Self>) {}
}

/// What `ActorRef::tell` asks of a message.
fn tell<A: Accepts<M>, M: Send + 'static>(msg: M) -> A::Mail {
    A::mail(msg, ReplyTo::none())
}

fn main() {
    let _ = tell::<Account, _>(Deposit);
    let _ = tell::<Account, _>(Open);
}
