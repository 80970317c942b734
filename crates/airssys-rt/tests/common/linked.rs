//! Fixtures for races between an actor's end and what others do to their link with it:
//! `Wide`, an actor linked to many trapping probes so that whoever links to it last is told of
//! its end last (a wide window), and `spin`, to spread the timing of a race.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;

use super::{Probe, ProbeArgs};

/// Links to every helper in `pre_start`, so that whoever links to it later comes last in its
/// links and is told of its end last; ends abnormally on any message.
pub struct Wide;

#[actor]
impl Actor for Wide {
    type Msg = ();
    type Reply = ();
    type Args = Arc<Vec<ActorRef<Probe>>>;
    type Error = std::convert::Infallible;

    async fn pre_start(helpers: Self::Args, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        for helper in helpers.iter() {
            ctx.link(helper);
        }
        Ok(Wide)
    }

    async fn handle(&mut self, _: (), ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        ctx.stop_with(ExitReason::panicked("wide ended"));
        Ok(())
    }
}

/// `n` probes that trap exits: the far ends of a `Wide`'s links.
pub async fn helpers(system: &ActorSystem, n: usize) -> Arc<Vec<ActorRef<Probe>>> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        let helper = system.spawn::<Probe>(ProbeArgs::new().trapping_exits()).await;
        all.push(helper.expect("spawn a helper"));
    }
    Arc::new(all)
}

/// Busy-waits about `micros` microseconds, to spread the timing of a race.
pub fn spin(micros: u64) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_micros(micros) {
        std::hint::spin_loop();
    }
}
