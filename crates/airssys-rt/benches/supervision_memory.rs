//! Memory a supervisor keeps per child: `N` children started one by one under one one_for_one
//! supervisor, the live heap before and after divided by `N`, next to the same actors spawned
//! without a supervisor and a plain Tokio baseline (a task and its channel kept in a map by
//! id), in the same run. Each child gets a start argument of `ARG` bytes, which its actor drops
//! at once: a permanent child's argument is kept by its supervisor, to restart it; a temporary
//! child's is not (OTP-16804).
//!
//! Run with `cargo bench -p airssys-rt --bench supervision_memory`.

use std::collections::HashMap;
use std::time::Duration;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{ChildSpec, Restart, Strategy, Supervisor, SupervisorSpec};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

#[path = "support/counting.rs"]
mod counting;

use counting::live;

const N: usize = 100_000;
const ARG: usize = 1024;

/// Drops its start argument as it starts.
struct Idle;

#[actor]
impl Actor for Idle {
    type Msg = ();
    type Reply = ();
    type Args = Vec<u8>;
    type Error = std::convert::Infallible;

    async fn pre_start(_argument: Vec<u8>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Idle)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Live heap bytes per child of a supervisor with `N` children of this restart type.
async fn supervised(restart: Restart) -> f64 {
    let system = ActorSystem::builder().max_actors(2 * N).build().expect("system");
    let supervisor =
        Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne)).await.expect("sup");
    let ids: Vec<String> = (0..N).map(|i| format!("c{i}")).collect();
    let before = live();
    for id in &ids {
        let spec = ChildSpec::worker::<Idle>(id.as_str(), vec![0u8; ARG]).restart(restart);
        supervisor.start_child(spec).await.expect("start_child");
    }
    // Every child's task parks after its first poll.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let per_child = (live() - before) as f64 / N as f64;
    system.shutdown().await;
    per_child
}

/// Live heap bytes per actor spawned without a supervisor (kept in a vector).
async fn unsupervised() -> f64 {
    let system = ActorSystem::builder().max_actors(2 * N).build().expect("system");
    let mut actors = Vec::with_capacity(N);
    let before = live();
    for _ in 0..N {
        actors.push(system.spawn::<Idle>(vec![0u8; ARG]).await.expect("spawn"));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let per_actor = (live() - before) as f64 / N as f64;
    drop(actors);
    system.shutdown().await;
    per_actor
}

/// The baseline: a task and its channel per child, kept in a map by id.
async fn tokio_tasks() -> f64 {
    let mut tasks = HashMap::with_capacity(N);
    let before = live();
    for i in 0..N {
        let (tx, mut rx) = mpsc::channel::<u64>(16);
        let argument = vec![0u8; ARG];
        let task = tokio::spawn(async move {
            drop(argument);
            while rx.recv().await.is_some() {}
        });
        tasks.insert(format!("c{i}"), (tx, task));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let per_task = (live() - before) as f64 / N as f64;
    for (_, (_, task)) in tasks.drain() {
        task.abort();
    }
    per_task
}

fn main() {
    let rt: Runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (permanent, temporary, bare, baseline) = rt.block_on(async {
        (
            supervised(Restart::Permanent).await,
            supervised(Restart::Temporary).await,
            unsupervised().await,
            tokio_tasks().await,
        )
    });
    println!("| {N} children, a {ARG}-byte start argument each | live heap per child |");
    println!("|---|---|");
    println!("| permanent children of one supervisor | {permanent:.0} B |");
    println!("| temporary children of one supervisor | {temporary:.0} B |");
    println!("| the same actors, no supervisor | {bare:.0} B |");
    println!("| tokio: a task and its channel in a map by id (baseline) | {baseline:.0} B |");
    println!();
    println!(
        "What the supervisor keeps per child: {:.0} B for a permanent one (its argument \
         included), {:.0} B for a temporary one.",
        permanent - bare,
        temporary - bare
    );
}
