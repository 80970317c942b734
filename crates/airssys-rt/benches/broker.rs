//! Broker benchmarks: one publish fanned out to 10,000 subscribers, next to a plain Tokio
//! baseline measured in the same run.
//!
//! Run with `cargo bench -p airssys-rt --bench broker`. The binary builds its own multi-thread
//! Tokio runtime with two worker threads, runs every scenario twice as a warm-up and then
//! several measured times (the median is reported), and prints a markdown table.
//!
//! Each measured run publishes `PUBLISHES` payloads, one after the other, to `SUBSCRIBERS`
//! subscribers, and ends when every subscriber has handled every payload:
//!
//! * airssys-rt: `SUBSCRIBERS` actors subscribed to one topic (or to a pattern matching it),
//!   each handling a `Publication<Payload>`; the publisher awaits `Broker::publish`.
//! * baseline: `SUBSCRIBERS` spawned tasks, each looping over its own bounded
//!   `tokio::sync::mpsc` receiver; the publisher wraps the payload in an `Arc` and sends a clone
//!   to each sender, awaiting every `send`.
//!
//! Two more rows time the fan-out alone: non-waiting publishes (`Broker::try_publish`, and
//! `try_send` for the baseline) on a current-thread runtime, where no subscriber runs until the
//! publisher yields, so what is counted is the publisher's own work.
//!
//! One more row times the match alone: a publish to the longest topic the broker takes
//! (`LONG_TOPIC_SEGMENTS` segments `x`), to one subscriber of `#.x.#`, the pattern whose match
//! took time quadratic in the topic before matching was made linear (issue 9).
//!
//! A counting global allocator wraps [`std::alloc::System`] and counts allocation calls on every
//! thread (the subscribers' included) while the measured publishes run. The target is no
//! allocation per subscriber: a publish allocates the payload's `Arc` and the publication the
//! subscribers share, and nothing else (the topic is given as an `Arc<str>`, as a publisher of
//! a fixed topic would).

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, Notify};

#[path = "support/counting.rs"]
mod counting;

use counting::allocs;

// ------------------------------------------------------------------ what is measured

const SUBSCRIBERS: usize = 10_000;
/// Publishes per measured run: fewer than a default mailbox holds, so that the publisher is
/// never made to wait and the figure is the cost of the fan-out itself.
const PUBLISHES: usize = 100;
const REPS: usize = 5;
const TOPIC: &str = "sensors.kitchen.temperature";
/// The segments of the long topic: the most a topic may have.
const LONG_TOPIC_SEGMENTS: usize = airssys_rt::broker::MAX_TOPIC_SEGMENTS;
const LONG_TOPIC_PATTERN: &str = "#.x.#";

/// What is published: a payload of some size, never cloned.
struct Payload {
    _reading: [u64; 8],
}

fn payload(n: usize) -> Payload {
    Payload { _reading: [n as u64; 8] }
}

/// Counts down the publications still to be handled, and wakes the publisher at zero.
#[derive(Clone)]
struct Countdown {
    left: Arc<AtomicUsize>,
    zero: Arc<Notify>,
}

impl Countdown {
    fn new() -> Self {
        Self { left: Arc::new(AtomicUsize::new(0)), zero: Arc::new(Notify::new()) }
    }

    fn arm(&self, count: usize) {
        self.left.store(count, Relaxed);
    }

    fn tick(&self) {
        if self.left.fetch_sub(1, Relaxed) == 1 {
            self.zero.notify_one();
        }
    }

    async fn wait(&self) {
        self.zero.notified().await;
    }
}

struct Subscriber {
    countdown: Countdown,
}

#[actor]
impl Actor for Subscriber {
    type Msg = Publication<Payload>;
    type Reply = ();
    type Args = Countdown;
    type Error = Infallible;

    async fn pre_start(countdown: Countdown, _: &mut Context<Self>) -> Result<Self, Infallible> {
        Ok(Subscriber { countdown })
    }

    async fn handle(
        &mut self,
        _: Publication<Payload>,
        _: &mut Context<Self>,
    ) -> Result<(), Infallible> {
        self.countdown.tick();
        Ok(())
    }
}

/// Median time per publish and allocations per publish over the measured runs.
struct Figures {
    per_publish: Duration,
    allocs_per_publish: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs `round` once to warm up, then `REPS` times; each returns (elapsed, allocations).
async fn measure<F, Fut>(mut round: F) -> Figures
where
    F: FnMut() -> Fut,
    Fut: Future<Output = (Duration, u64)>,
{
    // Two warm-ups: every mailbox and channel grows to the backlog it will see.
    round().await;
    round().await;
    let mut times = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..REPS {
        let (elapsed, allocations) = round().await;
        times.push(elapsed.as_nanos() as f64 / PUBLISHES as f64);
        counts.push(allocations as f64 / PUBLISHES as f64);
    }
    Figures {
        per_publish: Duration::from_nanos(median(times) as u64),
        allocs_per_publish: median(counts),
    }
}

async fn airssys(pattern: &str) -> Figures {
    let system = ActorSystem::builder().max_actors(SUBSCRIBERS + 16).build().expect("system");
    let broker = system.broker::<Payload>();
    let countdown = Countdown::new();
    let mut subscribers = Vec::with_capacity(SUBSCRIBERS);
    for _ in 0..SUBSCRIBERS {
        let actor = system.spawn::<Subscriber>(countdown.clone()).await.expect("spawn");
        broker.subscribe(pattern, &actor).expect("subscribe");
        subscribers.push(actor);
    }
    let topic: Arc<str> = TOPIC.into();
    let figures = measure(|| {
        let (broker, countdown, topic) = (broker.clone(), countdown.clone(), Arc::clone(&topic));
        async move {
            countdown.arm(SUBSCRIBERS * PUBLISHES);
            let before = allocs();
            let start = Instant::now();
            for n in 0..PUBLISHES {
                let report = broker.publish(Arc::clone(&topic), payload(n)).await.expect("publish");
                assert_eq!(report.delivered, SUBSCRIBERS);
            }
            countdown.wait().await;
            (start.elapsed(), allocs() - before)
        }
    })
    .await;
    drop(subscribers);
    system.shutdown().await;
    figures
}

async fn baseline() -> Figures {
    let countdown = Countdown::new();
    let mut senders = Vec::with_capacity(SUBSCRIBERS);
    let mut tasks = Vec::with_capacity(SUBSCRIBERS);
    for _ in 0..SUBSCRIBERS {
        let (sender, mut receiver) = mpsc::channel::<Arc<Payload>>(1024);
        let countdown = countdown.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(_payload) = receiver.recv().await {
                countdown.tick();
            }
        }));
        senders.push(sender);
    }
    let figures = measure(|| {
        let (senders, countdown) = (&senders, countdown.clone());
        async move {
            countdown.arm(SUBSCRIBERS * PUBLISHES);
            let before = allocs();
            let start = Instant::now();
            for n in 0..PUBLISHES {
                let shared = Arc::new(payload(n));
                for sender in senders {
                    sender.send(Arc::clone(&shared)).await.expect("send");
                }
            }
            countdown.wait().await;
            (start.elapsed(), allocs() - before)
        }
    })
    .await;
    drop(senders);
    for task in tasks {
        task.await.expect("subscriber task");
    }
    figures
}

/// The fan-out alone: `PUBLISHES` non-waiting publishes on a current-thread runtime, where no
/// subscriber runs until the publisher yields, so every allocation counted is the publisher's.
/// Each measured round repeats the round before it, so mailboxes and channels have already
/// grown to the backlog. Returns (airssys-rt on the topic, baseline).
fn enqueue_only() -> (Figures, Figures) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let system = ActorSystem::builder().max_actors(SUBSCRIBERS + 16).build().expect("system");
        let broker = system.broker::<Payload>();
        let countdown = Countdown::new();
        let mut subscribers = Vec::with_capacity(SUBSCRIBERS);
        for _ in 0..SUBSCRIBERS {
            let actor = system.spawn::<Subscriber>(countdown.clone()).await.expect("spawn");
            broker.subscribe(TOPIC, &actor).expect("subscribe");
            subscribers.push(actor);
        }
        let topic: Arc<str> = TOPIC.into();
        let airssys = measure(|| {
            let (broker, countdown, topic) =
                (broker.clone(), countdown.clone(), Arc::clone(&topic));
            async move {
                countdown.arm(SUBSCRIBERS * PUBLISHES);
                let before = allocs();
                let start = Instant::now();
                for n in 0..PUBLISHES {
                    let report =
                        broker.try_publish(Arc::clone(&topic), payload(n)).expect("publish");
                    assert_eq!(report.delivered, SUBSCRIBERS);
                }
                let figures = (start.elapsed(), allocs() - before);
                countdown.wait().await;
                figures
            }
        })
        .await;
        drop(subscribers);
        system.shutdown().await;

        let mut senders = Vec::with_capacity(SUBSCRIBERS);
        let mut tasks = Vec::with_capacity(SUBSCRIBERS);
        for _ in 0..SUBSCRIBERS {
            let (sender, mut receiver) = mpsc::channel::<Arc<Payload>>(1024);
            let countdown = countdown.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(_payload) = receiver.recv().await {
                    countdown.tick();
                }
            }));
            senders.push(sender);
        }
        let tokio = measure(|| {
            let (senders, countdown) = (&senders, countdown.clone());
            async move {
                countdown.arm(SUBSCRIBERS * PUBLISHES);
                let before = allocs();
                let start = Instant::now();
                for n in 0..PUBLISHES {
                    let shared = Arc::new(payload(n));
                    for sender in senders {
                        sender.try_send(Arc::clone(&shared)).expect("send");
                    }
                }
                let figures = (start.elapsed(), allocs() - before);
                countdown.wait().await;
                figures
            }
        })
        .await;
        drop(senders);
        for task in tasks {
            task.await.expect("subscriber task");
        }
        (airssys, tokio)
    })
}

/// `PUBLISHES` non-waiting publishes of the longest topic to one subscriber of `#.x.#`, on a
/// current-thread runtime: what is timed is the match.
fn long_topic() -> Figures {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let system = ActorSystem::new();
        let broker = system.broker::<Payload>();
        let countdown = Countdown::new();
        let actor = system.spawn::<Subscriber>(countdown.clone()).await.expect("spawn");
        broker.subscribe(LONG_TOPIC_PATTERN, &actor).expect("subscribe");
        let topic: Arc<str> = vec!["x"; LONG_TOPIC_SEGMENTS].join(".").into();
        let figures = measure(|| {
            let (broker, countdown, topic) =
                (broker.clone(), countdown.clone(), Arc::clone(&topic));
            async move {
                countdown.arm(PUBLISHES);
                let before = allocs();
                let start = Instant::now();
                for n in 0..PUBLISHES {
                    let report =
                        broker.try_publish(Arc::clone(&topic), payload(n)).expect("publish");
                    assert_eq!(report.delivered, 1);
                }
                let figures = (start.elapsed(), allocs() - before);
                countdown.wait().await;
                figures
            }
        })
        .await;
        drop(actor);
        system.shutdown().await;
        figures
    })
}

fn on_worker<F>(rt: &Runtime, f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(rt.spawn(f)).expect("scenario panicked")
}

fn cells(figures: &Figures) -> (String, String) {
    (
        format!("{:.2} ms", figures.per_publish.as_secs_f64() * 1e3),
        format!(
            "{:.2} ({:.4} per subscriber)",
            figures.allocs_per_publish,
            figures.allocs_per_publish / SUBSCRIBERS as f64
        ),
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let bench_start = Instant::now();
    let topic = on_worker(&rt, airssys(TOPIC));
    let pattern = on_worker(&rt, airssys("sensors.*.temperature"));
    let tokio = on_worker(&rt, baseline());
    drop(rt);
    let (enqueue, enqueue_tokio) = enqueue_only();
    let long = long_topic();

    println!();
    println!(
        "| publish to {SUBSCRIBERS} subscribers | time per publish | allocations per publish |"
    );
    println!("|---|---|---|");
    for (name, figures) in [
        ("airssys-rt, subscribed to the topic", &topic),
        ("airssys-rt, subscribed to `sensors.*.temperature`", &pattern),
        ("tokio baseline (mpsc per task, `Arc` clone per send)", &tokio),
        ("airssys-rt, fan-out alone (`try_publish`, current thread)", &enqueue),
        ("tokio baseline, fan-out alone (`try_send`, current thread)", &enqueue_tokio),
    ] {
        let (time, allocations) = cells(figures);
        println!("| {name} | {time} | {allocations} |");
    }
    println!(
        "| airssys-rt, {LONG_TOPIC_SEGMENTS}-segment topic to 1 subscriber of `{LONG_TOPIC_PATTERN}` \
         (`try_publish`, current thread) | {:.2} µs | {:.2} |",
        long.per_publish.as_secs_f64() * 1e6,
        long.allocs_per_publish
    );
    println!();
    println!(
        "Medians of {REPS} runs of {PUBLISHES} publishes each, after two warm-ups. The first three \
         rows: 2 Tokio worker threads, timed until every subscriber has handled every \
         publication, allocations counted on every thread (the subscribers' included). The \
         last two: the publisher alone on a current-thread runtime, timed and counted until \
         its last publish returns. Target: no allocation per subscriber."
    );
    println!("- whole bench: {:.1} s", bench_start.elapsed().as_secs_f64());
}
