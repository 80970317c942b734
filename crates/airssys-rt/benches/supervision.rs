//! Supervision benchmarks: how long a restart takes, a restart storm, and children started and
//! stopped one by one at growing counts (how a per-child operation scales, as OTP's
//! `supervisor_SUITE` measures it), each against a plain Tokio baseline in the same run (a task
//! that respawns its worker task when it panics; tasks kept in a map by id and aborted one by
//! one).
//!
//! Run with `cargo bench -p airssys-rt --bench supervision`. `AIRSSYS_BENCH_CHILDREN` sets the
//! counts of the one-by-one scenario (comma-separated; default `1000,10000`: with per-child
//! operations linear in the number of children, 100,000 takes minutes).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{ChildKind, ChildSpec, Strategy, Supervisor, SupervisorSpec};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, Notify};

const RESTARTS: usize = 2_000;
const STORM: usize = 10_000;

enum Cmd {
    Crash,
    Ping,
}

/// Reports the moment it handles a `Ping`; pings itself as soon as it has started.
struct Worker {
    handled: mpsc::UnboundedSender<Instant>,
}

#[actor]
impl Actor for Worker {
    type Msg = Cmd;
    type Reply = ();
    type Args = mpsc::UnboundedSender<Instant>;
    type Error = std::convert::Infallible;

    async fn pre_start(handled: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Worker { handled })
    }

    async fn post_start(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        let _ = ctx.actor_ref().try_tell(Cmd::Ping);
        Ok(())
    }

    async fn handle(&mut self, cmd: Cmd, _: &mut Context<Self>) -> Result<(), Self::Error> {
        match cmd {
            Cmd::Crash => panic!("bench crash"),
            Cmd::Ping => {
                let _ = self.handled.send(Instant::now());
            }
        }
        Ok(())
    }
}

/// Counts its starts; the start that reaches the target rings the bell.
struct Counted;

#[actor]
impl Actor for Counted {
    type Msg = Cmd;
    type Reply = ();
    type Args = Arc<(AtomicU64, AtomicU64, Notify)>;
    type Error = std::convert::Infallible;

    async fn pre_start(count: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        let (starts, target, bell) = &*count;
        if starts.fetch_add(1, Ordering::AcqRel) + 1 == target.load(Ordering::Acquire) {
            bell.notify_one();
        }
        Ok(Counted)
    }

    async fn handle(&mut self, cmd: Cmd, _: &mut Context<Self>) -> Result<(), Self::Error> {
        if let Cmd::Crash = cmd {
            panic!("bench crash");
        }
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn describe(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    format!(
        "mean {:.2} us, p50 {:.2} us, p99 {:.2} us",
        mean.as_secs_f64() * 1e6,
        percentile(&samples, 0.5).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6
    )
}

/// The airssys-rt side of the restart latency, for a child of this kind: a child declared a
/// supervisor starts from a task of its own (T19), a worker in its supervisor's task.
fn airssys_restart_latency(rt: &Runtime, kind: ChildKind) -> String {
    let airssys = rt.block_on(rt.spawn(async move {
        let system = ActorSystem::new();
        let (handled, mut pings) = mpsc::unbounded_channel();
        let spec = SupervisorSpec::new(Strategy::OneForOne)
            .intensity(u32::MAX, Duration::from_secs(1))
            .child(ChildSpec::worker::<Worker>("worker", handled).kind(kind));
        let supervisor = Supervisor::start(&system, spec).await.expect("supervisor");
        pings.recv().await.expect("first ping");
        let mut samples = Vec::with_capacity(RESTARTS);
        for round in 0..RESTARTS + RESTARTS / 10 {
            let worker = supervisor.child::<Worker>("worker").await.expect("call").expect("child");
            let crashed = Instant::now();
            worker.tell(Cmd::Crash).await.expect("tell");
            let handled = pings.recv().await.expect("ping from the new child");
            if round >= RESTARTS / 10 {
                samples.push(handled - crashed);
            }
        }
        system.shutdown().await;
        samples
    }));
    describe(airssys.expect("airssys task"))
}

fn tokio_restart_latency(rt: &Runtime) -> String {
    let tokio = rt.block_on(rt.spawn(async {
        let (handled, mut pings) = mpsc::unbounded_channel::<Instant>();
        let (crash_tx, mut crash_rx) = mpsc::unbounded_channel::<mpsc::UnboundedSender<Cmd>>();
        // The baseline's supervisor: spawn the worker, wait for it to end, spawn it again.
        let supervisor = tokio::spawn(async move {
            loop {
                let (tx, mut rx) = mpsc::unbounded_channel::<Cmd>();
                let handled = handled.clone();
                let _ = tx.send(Cmd::Ping);
                if crash_tx.send(tx).is_err() {
                    return;
                }
                let worker = tokio::spawn(async move {
                    while let Some(cmd) = rx.recv().await {
                        match cmd {
                            Cmd::Crash => panic!("bench crash"),
                            Cmd::Ping => {
                                let _ = handled.send(Instant::now());
                            }
                        }
                    }
                });
                let _ = worker.await;
            }
        });
        let mut worker = crash_rx.recv().await.expect("first worker");
        pings.recv().await.expect("first ping");
        let mut samples = Vec::with_capacity(RESTARTS);
        for round in 0..RESTARTS + RESTARTS / 10 {
            let crashed = Instant::now();
            let _ = worker.send(Cmd::Crash);
            let handled = pings.recv().await.expect("ping");
            worker = crash_rx.recv().await.expect("next worker");
            if round >= RESTARTS / 10 {
                samples.push(handled - crashed);
            }
        }
        supervisor.abort();
        samples
    }));
    describe(tokio.expect("tokio task"))
}

fn restart_storm(rt: &Runtime) -> (String, String) {
    let airssys = rt.block_on(rt.spawn(async {
        let system = ActorSystem::new();
        // No target while the children first start: the bell rings for restarts only.
        let count = Arc::new((AtomicU64::new(0), AtomicU64::new(u64::MAX), Notify::new()));
        let mut spec =
            SupervisorSpec::new(Strategy::OneForAll).intensity(u32::MAX, Duration::from_secs(1));
        for child in 0..STORM {
            spec = spec.child(
                ChildSpec::worker::<Counted>(format!("c{child}"), count.clone())
                    .shutdown(airssys_rt::supervisor::Shutdown::BrutalKill),
            );
        }
        let supervisor = Supervisor::start(&system, spec).await.expect("supervisor");
        let mut samples = Vec::new();
        for round in 1..=4u64 {
            count.1.store(STORM as u64 * (round + 1), Ordering::Release);
            let bell = count.2.notified();
            let victim = supervisor.child::<Counted>("c0").await.expect("call").expect("child");
            let started = Instant::now();
            victim.tell(Cmd::Crash).await.expect("tell");
            bell.await;
            samples.push(started.elapsed());
        }
        system.shutdown().await;
        samples
    }));
    let tokio = rt.block_on(rt.spawn(async {
        let mut samples = Vec::new();
        let spawn_all = || {
            (0..STORM)
                .map(|_| {
                    let (tx, mut rx) = mpsc::unbounded_channel::<Cmd>();
                    let task = tokio::spawn(async move { while rx.recv().await.is_some() {} });
                    (tx, task)
                })
                .collect::<Vec<_>>()
        };
        let mut tasks = spawn_all();
        for _ in 0..4 {
            let started = Instant::now();
            // Stop every task (closing its channel ends it), wait for all, start all again.
            let (senders, joins): (Vec<_>, Vec<_>) = tasks.drain(..).unzip();
            drop(senders);
            for join in joins {
                let _ = join.await;
            }
            tasks = spawn_all();
            samples.push(started.elapsed());
        }
        samples
    }));
    let show = |samples: Vec<Duration>| {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        format!(
            "median {:.1} ms ({:?})",
            ms[ms.len() / 2],
            ms.iter().map(|v| (v * 10.0).round() / 10.0).collect::<Vec<_>>()
        )
    };
    (show(airssys.expect("airssys task")), show(tokio.expect("tokio task")))
}

/// Starts `n` children one by one with `start_child`, then stops them one by one, the first
/// started first, with `terminate_child`: (start, stop) times.
fn airssys_one_by_one(rt: &Runtime, n: usize) -> (Duration, Duration) {
    rt.block_on(async {
        let system = ActorSystem::new();
        let supervisor = Supervisor::start(&system, SupervisorSpec::new(Strategy::OneForOne))
            .await
            .expect("sup");
        let count = Arc::new((AtomicU64::new(0), AtomicU64::new(u64::MAX), Notify::new()));
        let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let started = Instant::now();
        for id in &ids {
            let spec = ChildSpec::worker::<Counted>(id.as_str(), Arc::clone(&count));
            supervisor.start_child(spec).await.expect("start_child");
        }
        let start = started.elapsed();
        let stopping = Instant::now();
        for id in &ids {
            supervisor.terminate_child(id).await.expect("terminate_child");
        }
        let stop = stopping.elapsed();
        system.shutdown().await;
        (start, stop)
    })
}

/// The baseline: `n` tasks spawned one by one into a map by id, then aborted one by one.
fn tokio_one_by_one(rt: &Runtime, n: usize) -> (Duration, Duration) {
    rt.block_on(async {
        let mut tasks = std::collections::HashMap::with_capacity(n);
        let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let started = Instant::now();
        for id in &ids {
            let (tx, mut rx) = mpsc::channel::<u64>(16);
            let task = tokio::spawn(async move { while rx.recv().await.is_some() {} });
            tasks.insert(id.clone(), (tx, task));
        }
        let start = started.elapsed();
        let stopping = Instant::now();
        for id in &ids {
            if let Some((_, task)) = tasks.remove(id) {
                task.abort();
                let _ = task.await;
            }
        }
        (start, stopping.elapsed())
    })
}

fn one_by_one_counts() -> Vec<usize> {
    std::env::var("AIRSSYS_BENCH_CHILDREN")
        .ok()
        .map(|list| list.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000])
}

fn main() {
    std::panic::set_hook(Box::new(|info| {
        if info.payload().downcast_ref::<&str>() != Some(&"bench crash") {
            eprintln!("{info}");
        }
    }));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let worker = airssys_restart_latency(&rt, ChildKind::Worker);
    let apart = airssys_restart_latency(&rt, ChildKind::Supervisor);
    let t = tokio_restart_latency(&rt);
    println!("| scenario | airssys-rt | tokio baseline | target |");
    println!("|---|---|---|---|");
    println!(
        "| restart one crashed child: panic -> new child handles a message | {worker} | {t} | < 5 us |"
    );
    println!(
        "| the same, the child started from a task of its own (as a child supervisor is) | {apart} | {t} | - |"
    );
    let (a, t) = restart_storm(&rt);
    println!("| restart storm: 10,000 children of one one_for_all supervisor | {a} | {t} | - |");
    let mut first: Option<(usize, Duration)> = None;
    for n in one_by_one_counts() {
        let (a_start, a_stop) = airssys_one_by_one(&rt, n);
        let (t_start, t_stop) = tokio_one_by_one(&rt, n);
        let total = a_start + a_stop;
        let ratio = match first {
            Some((n0, t0)) => format!(
                "{:.0}x the time of {n0} for {:.0}x the children",
                total.as_secs_f64() / t0.as_secs_f64(),
                n as f64 / n0 as f64
            ),
            None => {
                first = Some((n, total));
                "-".to_owned()
            }
        };
        println!(
            "| {n} children started then stopped one by one (start_child, terminate_child) | start {:.1} ms, stop {:.1} ms | start {:.1} ms, stop {:.1} ms | {ratio} |",
            a_start.as_secs_f64() * 1e3,
            a_stop.as_secs_f64() * 1e3,
            t_start.as_secs_f64() * 1e3,
            t_stop.as_secs_f64() * 1e3,
        );
    }
}
