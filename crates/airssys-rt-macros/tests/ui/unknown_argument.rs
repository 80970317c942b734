#[path = "../support/kernel.rs"]
mod kernel;

use airssys_rt_macros::actor;

use kernel::actor::Handler;
use kernel::{Actor, Context};

struct Ping;
struct Pinger;

#[actor(crate = kernel, messages(Ping), mailbox = Bounded)]
impl Actor for Pinger {}

impl Handler<Ping> for Pinger {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
}

fn main() {}
