#[path = "../support/kernel.rs"]
mod kernel;

use std::convert::Infallible;

use airssys_rt_macros::actor;

use kernel::{Actor, Context};

struct Echo;

#[actor(crate = kernel)]
impl Actor for Echo {
    type Msg = u32;

    async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u32, Infallible> {
        Ok(n)
    }
}

fn main() {}
