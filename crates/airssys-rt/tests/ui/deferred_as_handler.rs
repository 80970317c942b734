use airssys_rt::prelude::*;

struct Get;

struct Gate;

#[actor(messages(deferred(Get)))]
impl Actor for Gate {}

impl Handler<Get> for Gate {
    type Reply = u8;
    async fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u8 {
        1
    }
}

fn main() {}
