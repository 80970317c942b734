#[path = "../support/kernel.rs"]
mod kernel;

use std::convert::Infallible;

use airssys_rt_macros::actor;

use kernel::actor::Handler;
use kernel::{Actor, Context};

struct Ping;
struct Pinger;

#[actor(crate = kernel, messages(Ping))]
impl Actor for Pinger {
    type Msg = Ping;
    type Reply = ();

    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) -> Result<(), Infallible> {
        Ok(())
    }
}

impl Handler<Ping> for Pinger {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _: &mut Context<Self>) {}
}

fn main() {}
