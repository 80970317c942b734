use airssys_rt::prelude::*;

struct Echo;

impl Actor for Echo {
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Echo)
    }
}

fn main() {}
