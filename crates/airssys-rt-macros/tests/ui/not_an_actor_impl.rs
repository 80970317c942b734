#[path = "../support/kernel.rs"]
mod kernel;

use airssys_rt_macros::actor;

struct Pinger;

#[actor(crate = kernel)]
impl Pinger {
    fn ping(&self) -> &'static str {
        "pong"
    }
}

#[actor(crate = kernel)]
impl std::fmt::Display for Pinger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.ping())
    }
}

fn main() {}
