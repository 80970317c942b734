//! Router benchmarks: messages per second from one sender through a pool's router, for each
//! routing, next to a direct `ActorRef::tell` to one actor and a plain Tokio baseline (a task
//! looping over a bounded `mpsc` channel), all in the same run; and the allocations per routed
//! message (target 0).
//!
//! Run with `cargo bench -p airssys-rt --bench router`. The binary builds a multi-thread Tokio
//! runtime with two worker threads, runs each scenario once as a warm-up and then `REPS` times,
//! and prints the medians as a markdown table. Every mailbox and channel holds 1024 messages,
//! with senders waiting when it is full. A pass ends when every worker has answered an `ask`
//! sent after the last `tell`, so it counts the handling of every message.

// The counting allocator is the only unsafe code: implementing `GlobalAlloc` requires it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use airssys_rt::mailbox::MailboxConfig;
use airssys_rt::prelude::*;
use airssys_rt::router::Router;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

#[global_allocator]
static GLOBAL: Counting = Counting;

// SAFETY: every method forwards to `System` with the caller's own arguments, so `Counting`
// upholds `GlobalAlloc`'s contract exactly as `System` does; the counter is a plain atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: the caller guarantees `layout` has a non-zero size, as `System.alloc` needs.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`; the caller guarantees `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn allocs() -> u64 {
    ALLOCS.load(Relaxed)
}

const N: u64 = 1_000_000;
const WARM: u64 = 100_000;
const REPS: usize = 3;
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

/// Sends `count` messages through `send`, then waits until `drain` says all were handled.
async fn pass<S, D>(count: u64, mut send: S, drain: D) -> Pass
where
    S: AsyncFnMut(u64),
    D: AsyncFnOnce(),
{
    let before = allocs();
    let start = Instant::now();
    for n in 0..count {
        send(n).await;
    }
    drain().await;
    let elapsed = start.elapsed();
    Pass {
        rate: count as f64 / elapsed.as_secs_f64(),
        allocs: (allocs() - before) as f64 / count as f64,
    }
}

type BaseMsg = (u64, Option<oneshot::Sender<u64>>);

/// The baseline: `tasks` tasks, each looping over its own bounded channel; the sender takes
/// them in turn (one task: a plain channel).
async fn tokio_baseline(tasks: usize) -> Pass {
    let mut senders: Vec<mpsc::Sender<BaseMsg>> = Vec::new();
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
    let mut passes = Vec::new();
    for rep in 0..=REPS {
        let count = if rep == 0 { WARM } else { N };
        let mut next = 0;
        let send = async |n: u64| {
            next = if next + 1 == tasks { 0 } else { next + 1 };
            senders[next].send((n & 1, None)).await.expect("baseline task");
        };
        let drain = async || {
            for tx in &senders {
                let (reply, answer) = oneshot::channel();
                tx.send((0, Some(reply))).await.expect("baseline task");
                answer.await.expect("baseline reply");
            }
        };
        let measured = pass(count, send, drain).await;
        if rep > 0 {
            passes.push(measured);
        }
    }
    median(passes)
}

async fn direct_tell(system: &ActorSystem) -> Pass {
    let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(CAPACITY));
    let actor = system.spawn_with::<Counter>(options, ()).await.expect("spawn");
    let mut passes = Vec::new();
    for rep in 0..=REPS {
        let count = if rep == 0 { WARM } else { N };
        let send = async |n: u64| actor.tell(CounterMsg::Add(n & 1)).await.expect("tell");
        let drain = async || {
            actor.ask(CounterMsg::Get).await.expect("ask");
        };
        let measured = pass(count, send, drain).await;
        if rep > 0 {
            passes.push(measured);
        }
    }
    actor.stop();
    actor.wait_for_exit().await;
    median(passes)
}

async fn routed(system: &ActorSystem, spec: PoolSpec<Counter>) -> Pass {
    let pool =
        Pool::start(system, spec.mailbox(MailboxConfig::bounded(CAPACITY))).await.expect("pool");
    let router: Router<Counter> = pool.router().clone();
    let workers = router.workers();
    let mut passes = Vec::new();
    for rep in 0..=REPS {
        let count = if rep == 0 { WARM } else { N };
        let send = async |n: u64| router.tell(CounterMsg::Add(n)).await.expect("routed tell");
        let drain = async || {
            for worker in &workers {
                worker.ask(CounterMsg::Get).await.expect("ask");
            }
        };
        let measured = pass(count, send, drain).await;
        if rep > 0 {
            passes.push(measured);
        }
    }
    drop(router);
    pool.stop().await;
    median(passes)
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
        let one = || PoolSpec::<Counter>::new(1, ());
        let key = |msg: &CounterMsg| match msg {
            CounterMsg::Add(n) => *n,
            CounterMsg::Get => 0,
        };
        let rows = vec![
            ("tokio: 1 task over an mpsc channel (baseline)", tokio_baseline(1).await),
            ("direct ActorRef::tell, 1 actor", direct_tell(&system).await),
            (
                "router, round robin, 1 worker",
                routed(&system, one().routing(Routing::RoundRobin)).await,
            ),
            ("tokio: 4 tasks in turn (baseline)", tokio_baseline(WORKERS).await),
            ("router, round robin", routed(&system, spec().routing(Routing::RoundRobin)).await),
            ("router, random", routed(&system, spec().routing(Routing::Random)).await),
            ("router, least loaded", routed(&system, spec().routing(Routing::LeastLoaded)).await),
            ("router, consistent hash", routed(&system, spec().consistent_hash(key)).await),
            ("router, broadcast (4 copies each)", routed(&system, spec().broadcast()).await),
        ];
        system.shutdown().await;
        rows
    });
    println!();
    println!("| 1 sender, {N} messages | msgs/s | allocs/msg |");
    println!("|---|---|---|");
    for (name, pass) in rows {
        println!("| {name} | {:.2} M | {:.3} |", pass.rate / 1e6, pass.allocs);
    }
    println!();
    println!(
        "Medians of {REPS} measured runs after a warm-up; pools of {WORKERS} workers; mailboxes \
         and channels bounded to {CAPACITY} (Wait); 2 Tokio worker threads; whole bench {:.1} s.",
        started.elapsed().as_secs_f64()
    );
}
