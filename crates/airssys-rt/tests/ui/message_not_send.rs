use std::rc::Rc;

use airssys_rt::prelude::*;

struct Local(Rc<u8>);

struct Holder;

#[actor(messages(Local))]
impl Actor for Holder {}

impl Handler<Local> for Holder {
    type Reply = ();
    async fn handle(&mut self, _: Local, _: &mut Context<Self>) {}
}

fn main() {}
