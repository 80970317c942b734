use airssys_rt::prelude::*;

struct Get;

struct Odd;

#[actor(messages(Get))]
impl Actor for Odd {
    type Error = u32;
}

impl Handler<Get> for Odd {
    type Reply = ();
    async fn handle(&mut self, _: Get, _: &mut Context<Self>) {}
}

fn main() {}
