//! Timer benchmarks of airssys-rt, each next to a plain Tokio baseline measured in the same run.
//!
//! Run with `cargo bench -p airssys-rt --bench timers`. Like `core`, the binary builds a
//! multi-thread Tokio runtime with two worker threads, runs every scenario once as a warm-up and
//! then several measured times, and prints the medians as a markdown table.
//!
//! The baseline is what one would write by hand: a spawned task that sleeps and then sends on a
//! `tokio::sync::mpsc` channel, cancelled by aborting it.
//!
//! 1. Arm 100,000 one-shot timers an hour away, then cancel them all: the time per
//!    `send_after` and per `cancel` (until every task is gone), and the heap bytes per pending
//!    timer.
//! 2. Fire 100,000 one-shot timers due at the same moment at one actor (an unbounded mailbox):
//!    the time from arming the first to handling the last, per timer.

use std::convert::Infallible;
use std::future::Future;
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

#[path = "support/counting.rs"]
mod counting;

use counting::live;

// ------------------------------------------------------------------ the actor under test

/// Counts ticks, and says so when it has counted `N`.
struct Counter {
    ticks: usize,
    done: Option<oneshot::Sender<()>>,
}

enum Msg {
    Tick,
}

#[actor]
impl Actor for Counter {
    type Msg = Msg;
    type Reply = ();
    type Args = Option<oneshot::Sender<()>>;
    type Error = Infallible;

    async fn pre_start(
        done: Option<oneshot::Sender<()>>,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Counter { ticks: 0, done })
    }

    async fn handle(&mut self, Msg::Tick: Msg, _: &mut Context<Self>) -> Result<(), Self::Error> {
        self.ticks += 1;
        if self.ticks == N {
            if let Some(done) = self.done.take() {
                let _ = done.send(());
            }
        }
        Ok(())
    }
}

async fn counter(system: &ActorSystem, done: Option<oneshot::Sender<()>>) -> ActorRef<Counter> {
    let options = SpawnOptions::new().mailbox(MailboxConfig::unbounded());
    system.spawn_with::<Counter>(options, done).await.expect("spawn counter")
}

// ------------------------------------------------------------------ harness

const N: usize = 100_000;
const REPS: usize = 5;
const FAR: Duration = Duration::from_secs(3600);

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn on_worker<F>(rt: &Runtime, f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(rt.spawn(f)).expect("scenario panicked")
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Waits (yielding, no clock) until at most `tasks` tasks are alive.
async fn until_tasks(tasks: usize) {
    while alive_tasks() > tasks {
        tokio::task::yield_now().await;
    }
}

/// What one run of scenario 1 measured: ns per arm, bytes per pending timer, ns per cancel.
type ArmCancel = (f64, f64, f64);

async fn arm_cancel_airssys() -> ArmCancel {
    let system = ActorSystem::new();
    let actor = counter(&system, None).await;
    let tasks = alive_tasks();
    let bytes = live();
    let start = Instant::now();
    let timers: Vec<TimerRef> = (0..N).map(|_| actor.send_after(FAR, Msg::Tick)).collect();
    let armed = start.elapsed();
    tokio::task::yield_now().await;
    let per_timer = (live() - bytes) as f64 / N as f64;
    let start = Instant::now();
    for timer in &timers {
        timer.cancel();
    }
    until_tasks(tasks).await;
    let cancelled = start.elapsed();
    drop(timers);
    actor.stop();
    actor.wait_for_exit().await;
    (armed.as_nanos() as f64 / N as f64, per_timer, cancelled.as_nanos() as f64 / N as f64)
}

async fn arm_cancel_tokio() -> ArmCancel {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let sink = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let tasks = alive_tasks();
    let bytes = live();
    let start = Instant::now();
    let timers: Vec<_> = (0..N)
        .map(|_| {
            let tx = tx.clone();
            let sleep = tokio::time::sleep(FAR);
            tokio::spawn(async move {
                sleep.await;
                let _ = tx.send(Msg::Tick);
            })
        })
        .collect();
    let armed = start.elapsed();
    tokio::task::yield_now().await;
    let per_timer = (live() - bytes) as f64 / N as f64;
    let start = Instant::now();
    for timer in &timers {
        timer.abort();
    }
    until_tasks(tasks).await;
    let cancelled = start.elapsed();
    drop((timers, tx));
    let _ = sink.await;
    (armed.as_nanos() as f64 / N as f64, per_timer, cancelled.as_nanos() as f64 / N as f64)
}

async fn fire_airssys() -> f64 {
    let system = ActorSystem::new();
    let (done, all_handled) = oneshot::channel();
    let actor = counter(&system, Some(done)).await;
    let start = Instant::now();
    let due = Duration::from_millis(1);
    for _ in 0..N {
        drop(actor.send_after(due, Msg::Tick));
    }
    all_handled.await.expect("every tick handled");
    let elapsed = start.elapsed();
    actor.stop();
    actor.wait_for_exit().await;
    elapsed.as_nanos() as f64 / N as f64
}

async fn fire_tokio() -> f64 {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let sink = tokio::spawn(async move {
        let mut ticks = 0;
        while ticks < N {
            if rx.recv().await.is_some() {
                ticks += 1;
            }
        }
    });
    let start = Instant::now();
    let due = Duration::from_millis(1);
    for _ in 0..N {
        let tx = tx.clone();
        let sleep = tokio::time::sleep(due);
        tokio::spawn(async move {
            sleep.await;
            let _ = tx.send(Msg::Tick);
        });
    }
    sink.await.expect("sink");
    start.elapsed().as_nanos() as f64 / N as f64
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let bench_start = Instant::now();

    eprintln!("[1] arm and cancel {N} one-shot timers");
    on_worker(&rt, arm_cancel_airssys());
    on_worker(&rt, arm_cancel_tokio());
    let (mut a, mut t) = (vec![], vec![]);
    for _ in 0..REPS {
        a.push(on_worker(&rt, arm_cancel_airssys()));
        t.push(on_worker(&rt, arm_cancel_tokio()));
    }
    let pick =
        |runs: &[ArmCancel], field: fn(&ArmCancel) -> f64| median(runs.iter().map(field).collect());

    eprintln!("[2] fire {N} one-shot timers at one actor");
    on_worker(&rt, fire_airssys());
    on_worker(&rt, fire_tokio());
    let (mut a_fire, mut t_fire) = (vec![], vec![]);
    for _ in 0..REPS {
        a_fire.push(on_worker(&rt, fire_airssys()));
        t_fire.push(on_worker(&rt, fire_tokio()));
    }

    println!();
    println!("| scenario | airssys-rt | tokio baseline |");
    println!("|---|---|---|");
    println!(
        "| 1a. arm a one-shot timer (100k, 1 h away) | {:.0} ns | {:.0} ns |",
        pick(&a, |r| r.0),
        pick(&t, |r| r.0)
    );
    println!(
        "| 1b. heap bytes per pending timer | {:.0} B | {:.0} B |",
        pick(&a, |r| r.1),
        pick(&t, |r| r.1)
    );
    println!(
        "| 1c. cancel a pending timer (until its task is gone) | {:.0} ns | {:.0} ns |",
        pick(&a, |r| r.2),
        pick(&t, |r| r.2)
    );
    println!(
        "| 2. fire 100k timers at one actor, per timer | {:.0} ns | {:.0} ns |",
        median(a_fire.clone()),
        median(t_fire.clone())
    );
    println!();
    println!("Medians of {REPS} measured runs, each after a warm-up; 2 Tokio worker threads.");
    println!(
        "- 1 ns/arm samples: airssys {:?}, tokio {:?}",
        a.iter().map(|r| r.0.round()).collect::<Vec<_>>(),
        t.iter().map(|r| r.0.round()).collect::<Vec<_>>()
    );
    println!(
        "- 2 ns/timer samples: airssys {:?}, tokio {:?}",
        a_fire.iter().map(|v| v.round()).collect::<Vec<_>>(),
        t_fire.iter().map(|v| v.round()).collect::<Vec<_>>()
    );
    println!("- whole bench: {:.1} s", bench_start.elapsed().as_secs_f64());
}
