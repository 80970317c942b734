//! What per-actor statistics cost: tell throughput with statistics off, on, and a plain Tokio
//! baseline, measured in the same run.
//!
//! Run with `cargo bench -p airssys-rt --bench metrics`. The binary builds a multi-thread Tokio
//! runtime with two worker threads; one sender tells 2 M messages to one counting actor (default
//! mailbox: bounded 1024, `Wait`) and then asks for the count, which ends the measured pass. The
//! three variants take turns, rep after rep, so that a noisy machine slows them alike; the
//! median of each is reported. The target: statistics on within 10% of off.

use std::convert::Infallible;
use std::time::Instant;

use airssys_rt::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

const N: u64 = 2_000_000;
const WARM: u64 = 200_000;
const REPS: usize = 7;

struct Counter {
    total: u64,
}

enum CounterMsg {
    Add(u64),
    Get,
}

#[actor]
impl Actor for Counter {
    type Msg = CounterMsg;
    type Reply = u64;
    type Args = ();
    type Error = Infallible;

    async fn pre_start(_: (), _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Counter { total: 0 })
    }

    async fn handle(&mut self, msg: CounterMsg, _: &mut Context<Self>) -> Result<u64, Infallible> {
        if let CounterMsg::Add(n) = msg {
            self.total += n;
        }
        Ok(self.total)
    }
}

/// Messages per second of a pass of `N` tells after a warm-up of `WARM`.
async fn tell_airssys(statistics: bool) -> f64 {
    let system = ActorSystem::builder().statistics(statistics).build().expect("system");
    let actor = system.spawn::<Counter>(()).await.expect("spawn");
    let mut rate = 0.0;
    let mut expected = 0;
    for count in [WARM, N] {
        let start = Instant::now();
        for _ in 0..count {
            actor.tell(CounterMsg::Add(1)).await.expect("tell");
        }
        let total = actor.ask(CounterMsg::Get).await.expect("ask");
        rate = count as f64 / start.elapsed().as_secs_f64();
        expected += count;
        assert_eq!(total, expected, "messages lost");
    }
    if statistics {
        let stats = actor.statistics().expect("statistics are on");
        assert_eq!(stats.handled, expected + 2, "the two asks count too");
    }
    drop(actor);
    system.shutdown().await;
    rate
}

enum BaseMsg {
    Add(u64),
    Get(oneshot::Sender<u64>),
}

async fn tell_tokio() -> f64 {
    let (tx, mut rx) = mpsc::channel::<BaseMsg>(1024);
    tokio::spawn(async move {
        let mut total = 0u64;
        while let Some(msg) = rx.recv().await {
            match msg {
                BaseMsg::Add(n) => total += n,
                BaseMsg::Get(reply) => {
                    let _ = reply.send(total);
                }
            }
        }
    });
    let mut rate = 0.0;
    let mut expected = 0;
    for count in [WARM, N] {
        let start = Instant::now();
        for _ in 0..count {
            tx.send(BaseMsg::Add(1)).await.expect("send");
        }
        let (reply, total) = oneshot::channel();
        tx.send(BaseMsg::Get(reply)).await.expect("send");
        let total = total.await.expect("reply");
        rate = count as f64 / start.elapsed().as_secs_f64();
        expected += count;
        assert_eq!(total, expected, "messages lost");
    }
    rate
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn on_worker<F>(rt: &Runtime, f: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.block_on(rt.spawn(f)).expect("scenario panicked")
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let bench_start = Instant::now();
    let (mut off, mut on, mut base) = (vec![], vec![], vec![]);
    for rep in 0..REPS {
        eprintln!("rep {}/{REPS}", rep + 1);
        off.push(on_worker(&rt, tell_airssys(false)));
        on.push(on_worker(&rt, tell_airssys(true)));
        base.push(on_worker(&rt, tell_tokio()));
    }
    let (off_m, on_m, base_m) = (median(off.clone()), median(on.clone()), median(base.clone()));
    let ratio = on_m / off_m;
    let m = |rate: f64| format!("{:.2} M msg/s", rate / 1e6);
    let samples = |v: &[f64]| v.iter().map(|r| format!("{:.2}", r / 1e6)).collect::<Vec<_>>();
    println!();
    println!(
        "| scenario | statistics off | statistics on | tokio baseline | on / off | target | met |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| tell throughput, 1 sender, 2M msgs, bounded 1024 | {} | {} | {} | {:.3} | >= 0.90 | {} |",
        m(off_m),
        m(on_m),
        m(base_m),
        ratio,
        if ratio >= 0.9 { "yes" } else { "no" }
    );
    println!();
    println!("Medians of {REPS} runs, the variants taking turns; 2 Tokio worker threads.");
    println!(
        "- M msg/s samples: off {:?}, on {:?}, tokio {:?}",
        samples(&off),
        samples(&on),
        samples(&base)
    );
    println!("- whole bench: {:.1} s", bench_start.elapsed().as_secs_f64());
}
