//! Router benchmarks: messages per second from one sender through a pool's router, for each
//! routing, and through a group of recipients (`router::Group`) over the same kind of workers,
//! next to a direct `ActorRef::tell` to one actor and a plain Tokio baseline (a task
//! looping over a bounded `mpsc` channel), all in the same run; and the allocations per routed
//! message (target 0).
//!
//! Run with `cargo bench -p airssys-rt --bench router`. The binary builds a multi-thread Tokio
//! runtime with two worker threads, runs each scenario once as a warm-up, then `REPS` rounds
//! that each run every scenario once (so that a burst of load on a shared machine spreads over
//! all of them), and prints the medians as a markdown table. Every mailbox and channel holds 1024 messages,
//! with senders waiting when it is full. A pass ends when every worker has answered an `ask`
//! sent after the last `tell`, so it counts the handling of every message.

use std::time::Instant;

use airssys_rt::mailbox::MailboxConfig;
use airssys_rt::prelude::*;
use airssys_rt::router::{Group, Router};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

#[path = "support/counting.rs"]
mod counting;

use counting::allocs;

const N: u64 = 1_000_000;
const WARM: u64 = 100_000;
const REPS: usize = 5;
const WORKERS: usize = 4;
const CAPACITY: usize = 1024;

#[derive(Clone)]
enum CounterMsg {
    Add(u64),
    Get,
}

struct Counter {
    total: u64,
}

#[actor]
impl Actor for Counter {
    type Msg = CounterMsg;
    type Reply = u64;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Counter { total: 0 })
    }

    async fn handle(&mut self, msg: CounterMsg, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        if let CounterMsg::Add(n) = msg {
            self.total += n;
        }
        Ok(self.total)
    }
}

/// One measured pass: (messages per second, allocations per message).
struct Pass {
    rate: f64,
    allocs: f64,
}

fn median(mut passes: Vec<Pass>) -> Pass {
    passes.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    passes.swap_remove(passes.len() / 2)
}

type BaseMsg = (u64, Option<oneshot::Sender<u64>>);

/// What the sender sends to.
enum Target {
    /// The baseline: tasks, each looping over its own bounded channel, taken in turn (one
    /// task: a plain channel).
    Tokio(Vec<mpsc::Sender<BaseMsg>>),
    Actor(ActorRef<Counter>),
    Pool(Pool<Counter>, Vec<ActorRef<Counter>>),
    /// A group over the workers of a pool, held as recipients.
    Group(Pool<Counter>, Group<CounterMsg, u64>, Vec<ActorRef<Counter>>),
}

fn tokio_tasks(tasks: usize) -> Target {
    let mut senders = Vec::new();
    for _ in 0..tasks {
        let (tx, mut rx) = mpsc::channel::<BaseMsg>(CAPACITY);
        tokio::spawn(async move {
            let mut total = 0u64;
            while let Some((n, reply)) = rx.recv().await {
                total += n;
                if let Some(reply) = reply {
                    let _ = reply.send(total);
                }
            }
        });
        senders.push(tx);
    }
    Target::Tokio(senders)
}

async fn actor(system: &ActorSystem) -> Target {
    let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(CAPACITY));
    Target::Actor(system.spawn_with::<Counter>(options, ()).await.expect("spawn"))
}

async fn pool(system: &ActorSystem, spec: PoolSpec<Counter>) -> Target {
    let pool =
        Pool::start(system, spec.mailbox(MailboxConfig::bounded(CAPACITY))).await.expect("pool");
    let workers = pool.router().workers();
    Target::Pool(pool, workers)
}

/// A group (`router::Group`) over the `WORKERS` workers of a pool: the same actors, reached
/// through `ReplyRecipient`s.
async fn group(system: &ActorSystem) -> Target {
    let Target::Pool(pool, workers) = pool(system, PoolSpec::new(WORKERS, ())).await else {
        unreachable!("`pool` makes a pool");
    };
    let members = workers.iter().map(|worker| worker.reply_recipient::<CounterMsg>());
    let group = Group::new(Routing::RoundRobin, members).expect("round robin needs nothing more");
    Target::Group(pool, group, workers)
}

/// Sends `count` messages from this task, then waits until every one has been handled (an
/// ask, or a request on the channel, to each receiver: each handles its messages in order).
async fn pass(target: &Target, count: u64) -> Pass {
    let before = allocs();
    let start = Instant::now();
    match target {
        Target::Tokio(senders) => {
            let mut next = 0;
            for n in 0..count {
                next = if next + 1 == senders.len() { 0 } else { next + 1 };
                senders[next].send((n & 1, None)).await.expect("baseline task");
            }
            for tx in senders {
                let (reply, answer) = oneshot::channel();
                tx.send((0, Some(reply))).await.expect("baseline task");
                answer.await.expect("baseline reply");
            }
        }
        Target::Actor(actor) => {
            for n in 0..count {
                actor.tell(CounterMsg::Add(n & 1)).await.expect("tell");
            }
            actor.ask(CounterMsg::Get).await.expect("ask");
        }
        Target::Pool(pool, workers) => {
            let router: &Router<Counter> = pool.router();
            for n in 0..count {
                router.tell(CounterMsg::Add(n)).await.expect("routed tell");
            }
            for worker in workers {
                worker.ask(CounterMsg::Get).await.expect("ask");
            }
        }
        Target::Group(_, group, workers) => {
            for n in 0..count {
                group.tell(CounterMsg::Add(n)).await.expect("grouped tell");
            }
            for worker in workers {
                worker.ask(CounterMsg::Get).await.expect("ask");
            }
        }
    }
    let elapsed = start.elapsed();
    Pass {
        rate: count as f64 / elapsed.as_secs_f64(),
        allocs: (allocs() - before) as f64 / count as f64,
    }
}

fn main() {
    let runtime: Runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = Instant::now();
    let rows = runtime.block_on(async {
        let system = ActorSystem::new();
        let spec = || PoolSpec::<Counter>::new(WORKERS, ());
        let key = |msg: &CounterMsg| match msg {
            CounterMsg::Add(n) => *n,
            CounterMsg::Get => 0,
        };
        let targets = vec![
            ("tokio: 1 task over an mpsc channel (baseline)", tokio_tasks(1)),
            ("direct ActorRef::tell, 1 actor", actor(&system).await),
            (
                "router, round robin, 1 worker",
                pool(&system, PoolSpec::new(1, ()).routing(Routing::RoundRobin)).await,
            ),
            ("tokio: 4 tasks in turn (baseline)", tokio_tasks(WORKERS)),
            ("router, round robin", pool(&system, spec().routing(Routing::RoundRobin)).await),
            ("group of 4 recipients, round robin", group(&system).await),
            ("router, random", pool(&system, spec().routing(Routing::Random)).await),
            ("router, least loaded", pool(&system, spec().routing(Routing::LeastLoaded)).await),
            ("router, consistent hash", pool(&system, spec().consistent_hash(key)).await),
            ("router, broadcast (4 copies each)", pool(&system, spec().broadcast()).await),
        ];
        let mut passes: Vec<Vec<Pass>> = targets.iter().map(|_| Vec::new()).collect();
        for round in 0..=REPS {
            for ((_, target), measured) in targets.iter().zip(&mut passes) {
                let count = if round == 0 { WARM } else { N };
                let pass = pass(target, count).await;
                if round > 0 {
                    measured.push(pass);
                }
            }
        }
        for (_, target) in &targets {
            if let Target::Pool(pool, _) | Target::Group(pool, _, _) = target {
                pool.stop().await;
            }
        }
        system.shutdown().await;
        targets
            .into_iter()
            .map(|(name, _)| name)
            .zip(passes.into_iter().map(median))
            .collect::<Vec<_>>()
    });
    println!();
    println!("| 1 sender, {N} messages | msgs/s | allocs/msg |");
    println!("|---|---|---|");
    for (name, pass) in rows {
        println!("| {name} | {:.2} M | {:.3} |", pass.rate / 1e6, pass.allocs);
    }
    println!();
    println!(
        "Medians of {REPS} measured rounds after a warm-up; pools of {WORKERS} workers; mailboxes \
         and channels bounded to {CAPACITY} (Wait); 2 Tokio worker threads; whole bench {:.1} s.",
        started.elapsed().as_secs_f64()
    );
}
