//! A small system under load, watched live: `cargo run -p airssys-rt-observer --example observe`.
//!
//! A supervisor `app` runs three workers and a `flaky` one that panics now and then; a feeder
//! task sends them work on a timer, faster than the slow worker handles it, so its mailbox
//! fills up. Quit with `q` or `Esc`.

use std::time::Duration;

use airssys_rt::prelude::*;

enum Job {
    Work,
    Crash,
}

/// Handles a job in `delay`; panics on [`Job::Crash`].
struct Worker {
    delay: Duration,
}

#[actor]
impl Actor for Worker {
    type Msg = Job;
    type Reply = ();
    type Args = Duration;
    type Error = std::convert::Infallible;

    async fn pre_start(delay: Duration, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Worker { delay })
    }

    async fn handle(&mut self, job: Job, _: &mut Context<Self>) -> Result<(), Self::Error> {
        match job {
            Job::Work => tokio::time::sleep(self.delay).await,
            Job::Crash => panic!("asked to crash"),
        }
        Ok(())
    }
}

const WORKERS: [(&str, Duration); 4] = [
    ("fast", Duration::from_millis(1)),
    ("medium", Duration::from_millis(8)),
    ("slow", Duration::from_millis(30)),
    ("flaky", Duration::from_millis(5)),
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = ActorSystem::builder().statistics(true).build()?;
    let mut spec = SupervisorSpec::new(Strategy::OneForOne).intensity(100, Duration::from_secs(60));
    for (id, delay) in WORKERS {
        spec = spec.child(ChildSpec::worker::<Worker>(id, delay));
    }
    let app = Supervisor::start_with(&system, SpawnOptions::new().name("app"), spec).await?;

    let feeder = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for round in 0_u32.. {
            tick.tick().await;
            for (id, _) in WORKERS {
                // A worker being restarted is not there: skip it this round.
                if let Ok(Some(worker)) = app.child::<Worker>(id).await {
                    let job =
                        if id == "flaky" && round % 150 == 149 { Job::Crash } else { Job::Work };
                    let _ = worker.tell(job).await;
                }
            }
        }
    });

    airssys_rt_observer::run(&system, Duration::from_millis(500)).await?;
    feeder.abort();
    system.shutdown().await;
    Ok(())
}
