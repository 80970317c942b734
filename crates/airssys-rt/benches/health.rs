//! Health check benchmarks, each next to a plain Tokio baseline measured in the same run.
//!
//! Run with `cargo bench -p airssys-rt --bench health`. Two Tokio worker threads; each scenario
//! runs once as a warm-up, then 3 measured times (the median is reported).
//!
//! 1. Probes answered per second: 1000 children checked every millisecond, for one second.
//!    Baseline: 1000 tasks, each pinged every millisecond by a timer task of its own through an
//!    `mpsc` channel, answering on a `oneshot`.
//! 2. What checks cost a busy actor: `tell` throughput into an actor, 1M messages: on its own
//!    (for reference), supervised with no check, and with a check every millisecond (each probe waits behind the queued
//!    messages). Baseline: a task looping over an unbounded `mpsc` receiver; for 2b, the same
//!    task also answering a ping every millisecond from a timer task.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_rt::monitoring::health::{Health, HealthCheck};
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorSpec};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

const CHILDREN: usize = 1000;
const MESSAGES: u64 = 1_000_000;

struct Counted {
    checks: Arc<AtomicU64>,
    handled: Arc<AtomicU64>,
    done: Option<oneshot::Sender<()>>,
}

#[derive(Clone)]
struct Counters {
    checks: Arc<AtomicU64>,
    handled: Arc<AtomicU64>,
    done: Arc<parking_lot::Mutex<Option<oneshot::Sender<()>>>>,
}

#[actor]
impl Actor for Counted {
    type Msg = u64;
    type Reply = ();
    type Args = Counters;
    type Error = Infallible;

    async fn pre_start(counters: Counters, _: &mut Context<Self>) -> Result<Self, Infallible> {
        Ok(Counted {
            checks: counters.checks,
            handled: counters.handled,
            done: counters.done.lock().take(),
        })
    }

    async fn handle(&mut self, n: u64, _: &mut Context<Self>) -> Result<(), Infallible> {
        self.handled.store(self.handled.load(Relaxed) + 1, Relaxed);
        if n + 1 == MESSAGES {
            if let Some(done) = self.done.take() {
                let _ = done.send(());
            }
        }
        Ok(())
    }

    async fn health_check(&mut self, _: &mut Context<Self>) -> Health {
        self.checks.fetch_add(1, Relaxed);
        Health::Healthy
    }
}

fn counters() -> Counters {
    Counters { checks: Arc::default(), handled: Arc::default(), done: Arc::default() }
}

fn check() -> HealthCheck {
    HealthCheck::every(Duration::from_millis(1)).deadline(Duration::from_secs(1))
}

/// Probes answered per second by `CHILDREN` checked children.
async fn airssys_probes() -> f64 {
    let system = ActorSystem::new();
    let counters = counters();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne);
    for n in 0..CHILDREN {
        spec = spec.child(
            ChildSpec::worker::<Counted>(format!("c{n}"), counters.clone()).health_check(check()),
        );
    }
    let supervisor = Supervisor::start(&system, spec).await.expect("starts");
    let start = Instant::now();
    let before = counters.checks.load(Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rate = (counters.checks.load(Relaxed) - before) as f64 / start.elapsed().as_secs_f64();
    drop(supervisor);
    system.shutdown().await;
    rate
}

async fn tokio_probes() -> f64 {
    let answered = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CHILDREN {
        let (tx, mut rx) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
        tasks.push(tokio::spawn(async move {
            while let Some(reply) = rx.recv().await {
                let _ = reply.send(());
            }
        }));
        let answered = Arc::clone(&answered);
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                let (reply, answer) = oneshot::channel();
                if tx.send(reply).is_err() {
                    return;
                }
                if let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(1), answer).await {
                    answered.fetch_add(1, Relaxed);
                }
            }
        }));
    }
    let start = Instant::now();
    let before = answered.load(Relaxed);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rate = (answered.load(Relaxed) - before) as f64 / start.elapsed().as_secs_f64();
    for task in tasks {
        task.abort();
    }
    rate
}

/// `tell` throughput (messages per second) into one child: spawned on its own (`None`), or
/// supervised with no check (`Some(false)`) or a check every millisecond (`Some(true)`).
async fn airssys_tells(supervised: Option<bool>) -> (f64, u64) {
    let system = ActorSystem::new();
    let counters = counters();
    let (done, finished) = oneshot::channel();
    *counters.done.lock() = Some(done);
    let mut spec = SupervisorSpec::new(Strategy::OneForOne);
    if let Some(checked) = supervised {
        let mut child = ChildSpec::worker::<Counted>("busy", counters.clone());
        if checked {
            child = child.health_check(check());
        }
        spec = spec.child(child);
    }
    let supervisor = Supervisor::start(&system, spec).await.expect("starts");
    let busy = match supervised {
        Some(_) => supervisor.child::<Counted>("busy").await.ok().flatten().expect("runs"),
        None => system.spawn::<Counted>(counters.clone()).await.expect("starts"),
    };
    let start = Instant::now();
    for n in 0..MESSAGES {
        let _ = busy.tell(n).await;
    }
    let _ = finished.await;
    let rate = MESSAGES as f64 / start.elapsed().as_secs_f64();
    let checks = counters.checks.load(Relaxed);
    drop((busy, supervisor));
    system.shutdown().await;
    (rate, checks)
}

/// With `pinged`, the receiving task is also pinged every millisecond, between messages, by a
/// timer task of its own: the baseline of 2b.
async fn tokio_tells(pinged: bool) -> f64 {
    let (pings, mut pinged_rx) = mpsc::unbounded_channel::<oneshot::Sender<()>>();
    let pinger = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let (reply, answer) = oneshot::channel();
            if !pinged || pings.send(reply).is_err() {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
        }
    });
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    let (done, finished) = oneshot::channel();
    tokio::spawn(async move {
        let mut done = Some(done);
        loop {
            let n = tokio::select! {
                biased;
                Some(ping) = pinged_rx.recv() => {
                    let _ = ping.send(());
                    continue;
                }
                n = rx.recv() => match n {
                    Some(n) => n,
                    None => return,
                },
            };
            if n + 1 == MESSAGES {
                if let Some(done) = done.take() {
                    let _ = done.send(());
                }
            }
        }
    });
    let start = Instant::now();
    for n in 0..MESSAGES {
        let _ = tx.send(n);
    }
    let _ = finished.await;
    let rate = MESSAGES as f64 / start.elapsed().as_secs_f64();
    pinger.abort();
    rate
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn measure<F: std::future::Future<Output = f64>>(
    runtime: &Runtime,
    run: impl Fn() -> F,
) -> (f64, Vec<f64>) {
    runtime.block_on(run());
    let samples: Vec<f64> = (0..3).map(|_| runtime.block_on(run())).collect();
    (median(samples.clone()), samples)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let whole = Instant::now();
    let (probes, probe_samples) = measure(&runtime, airssys_probes);
    let (baseline_probes, baseline_probe_samples) = measure(&runtime, tokio_probes);
    let (alone, alone_samples) = measure(&runtime, || async { airssys_tells(None).await.0 });
    let (plain, plain_samples) = measure(&runtime, || async { airssys_tells(Some(false)).await.0 });
    let checks = Arc::new(AtomicU64::new(0));
    let (checked, checked_samples) = measure(&runtime, || {
        let checks = Arc::clone(&checks);
        async move {
            let (rate, made) = airssys_tells(Some(true)).await;
            checks.store(made, Relaxed);
            rate
        }
    });
    let (baseline_tells, baseline_tell_samples) = measure(&runtime, || tokio_tells(false));
    let (baseline_pinged, baseline_pinged_samples) = measure(&runtime, || tokio_tells(true));

    println!("| scenario | airssys-rt | tokio baseline |");
    println!("|---|---|---|");
    println!(
        "| 1. probes answered per second, {CHILDREN} children checked every 1 ms | {:.0} k/s | {:.0} k/s |",
        probes / 1e3,
        baseline_probes / 1e3
    );
    println!(
        "| 2. tell throughput into an unsupervised actor (reference) | {:.2} M msg/s | {:.2} M msg/s |",
        alone / 1e6,
        baseline_tells / 1e6
    );
    println!(
        "| 2a. tell throughput into a supervised child, no check | {:.2} M msg/s | {:.2} M msg/s |",
        plain / 1e6,
        baseline_tells / 1e6
    );
    println!(
        "| 2b. tell throughput into a supervised child, checked every 1 ms | {:.2} M msg/s | {:.2} M msg/s (pinged every 1 ms) |",
        checked / 1e6,
        baseline_pinged / 1e6
    );
    println!();
    println!(
        "- 1 samples (k/s): airssys {:?}, tokio {:?}",
        k(&probe_samples),
        k(&baseline_probe_samples)
    );
    println!(
        "- 2 samples (M msg/s): unsupervised {:?}, no check {:?}, checked {:?} ({} checks in the last run), tokio {:?}, tokio pinged {:?}",
        m(&alone_samples),
        m(&plain_samples),
        m(&checked_samples),
        checks.load(Relaxed),
        m(&baseline_tell_samples),
        m(&baseline_pinged_samples)
    );
    println!("- whole bench: {:.1} s", whole.elapsed().as_secs_f64());
}

fn k(samples: &[f64]) -> Vec<String> {
    samples.iter().map(|s| format!("{:.0}", s / 1e3)).collect()
}

fn m(samples: &[f64]) -> Vec<String> {
    samples.iter().map(|s| format!("{:.2}", s / 1e6)).collect()
}
