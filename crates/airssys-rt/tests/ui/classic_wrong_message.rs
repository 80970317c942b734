use airssys_rt::prelude::*;

#[derive(Default)]
struct Echo;

#[actor]
impl Actor for Echo {
    type Msg = u32;
    type Reply = u32;

    async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u32, Self::Error> {
        Ok(n)
    }
}

async fn call(echo: ActorRef<Echo>) {
    let _ = echo.ask("not a number").await;
}

fn main() {
    let _ = call;
}
