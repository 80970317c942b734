//! What the feature `tracing-spans` costs, next to the same tracing written by hand in plain
//! Tokio, measured in the same run.
//!
//! Run with `cargo bench -p airssys-rt --bench tracing --features tracing-spans`. Ping-pong of a
//! token between two actors, kicked off inside a span, on a Tokio runtime with two workers:
//! first with no subscriber installed (spans are off: what the feature costs a program that
//! records none), then with `tracing-subscriber`'s `Registry` as the global subscriber (every
//! span is made, entered, linked and closed). The baseline is two Tokio tasks passing the token
//! over `mpsc` channels: without a subscriber it traces nothing; with one, each message carries
//! `Span::current()` and is handled inside a `handle` span that follows from it, as the runtime
//! does. Medians of 5 measured runs after a warm-up.

use std::convert::Infallible;
use std::time::Instant;

use airssys_rt::prelude::*;
use tokio::sync::{mpsc, oneshot};
use tracing::{Instrument, Span};
use tracing_subscriber::Registry;

const HOPS: u64 = 200_000;
const RUNS: usize = 5;

struct Relay {
    next: Option<ActorRef<Relay>>,
}

enum RelayMsg {
    Next(ActorRef<Relay>),
    Hop { left: u64, done: Option<oneshot::Sender<()>> },
}

#[actor]
impl Actor for Relay {
    type Msg = RelayMsg;
    type Reply = ();
    type Args = ();
    type Error = Infallible;

    async fn pre_start(_: (), _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Relay { next: None })
    }

    async fn handle(&mut self, msg: RelayMsg, _ctx: &mut Context<Self>) -> Result<(), Infallible> {
        match msg {
            RelayMsg::Next(next) => self.next = Some(next),
            RelayMsg::Hop { left: 0, done } => {
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
            RelayMsg::Hop { left, done } => {
                if let Some(next) = &self.next {
                    let _ = next.tell(RelayMsg::Hop { left: left - 1, done }).await;
                }
            }
        }
        Ok(())
    }
}

/// ns per hop between two actors.
async fn ping_pong_airssys(hops: u64) -> f64 {
    let system = ActorSystem::new();
    let a = system.spawn::<Relay>(()).await.expect("spawn");
    let b = system.spawn::<Relay>(()).await.expect("spawn");
    a.ask(RelayMsg::Next(b.clone())).await.expect("wire");
    b.ask(RelayMsg::Next(a.clone())).await.expect("wire");
    let (done, finished) = oneshot::channel();
    let start = Instant::now();
    async { a.tell(RelayMsg::Hop { left: hops, done: Some(done) }).await.expect("kick off") }
        .instrument(tracing::info_span!("request"))
        .await;
    finished.await.expect("token lost");
    let elapsed = start.elapsed();
    drop((a, b));
    system.shutdown().await;
    elapsed.as_nanos() as f64 / hops as f64
}

struct Token {
    left: u64,
    done: Option<oneshot::Sender<()>>,
    sender: Option<Span>,
}

/// The baseline: two tasks and two channels; with `traced`, the runtime's tracing by hand.
async fn ping_pong_tokio(hops: u64, traced: bool) -> f64 {
    let (to_a, mut a_rx) = mpsc::channel::<Token>(1024);
    let (to_b, mut b_rx) = mpsc::channel::<Token>(1024);
    let relay = |mut rx: mpsc::Receiver<Token>, next: mpsc::Sender<Token>| async move {
        while let Some(token) = rx.recv().await {
            let handling = async {
                if token.left == 0 {
                    if let Some(done) = token.done {
                        let _ = done.send(());
                    }
                    return;
                }
                let sender = traced.then(Span::current);
                let _ = next.send(Token { left: token.left - 1, done: token.done, sender }).await;
            };
            match token.sender {
                Some(sender) => {
                    let span = tracing::info_span!("handle", message = "Token");
                    span.follows_from(&sender);
                    drop(sender);
                    handling.instrument(span).await;
                }
                None => handling.await,
            }
        }
    };
    let a = tokio::spawn(relay(a_rx_take(&mut a_rx), to_b.clone()));
    let b = tokio::spawn(relay(a_rx_take(&mut b_rx), to_a.clone()));
    let (done, finished) = oneshot::channel();
    let start = Instant::now();
    async {
        let sender = traced.then(Span::current);
        let _ = to_a.send(Token { left: hops, done: Some(done), sender }).await;
    }
    .instrument(tracing::info_span!("request"))
    .await;
    finished.await.expect("token lost");
    let elapsed = start.elapsed();
    // Each task holds the other's sender: they end only when aborted.
    a.abort();
    b.abort();
    elapsed.as_nanos() as f64 / hops as f64
}

/// Moves the receiver out, leaving a closed one behind.
fn a_rx_take(rx: &mut mpsc::Receiver<Token>) -> mpsc::Receiver<Token> {
    let (_, closed) = mpsc::channel(1);
    std::mem::replace(rx, closed)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn measure(rt: &tokio::runtime::Runtime, traced: bool) -> (f64, f64) {
    rt.block_on(ping_pong_airssys(HOPS / 10));
    rt.block_on(ping_pong_tokio(HOPS / 10, traced));
    let mut airssys = Vec::new();
    let mut tokio = Vec::new();
    for _ in 0..RUNS {
        airssys.push(rt.block_on(ping_pong_airssys(HOPS)));
        tokio.push(rt.block_on(ping_pong_tokio(HOPS, traced)));
    }
    (median(airssys), median(tokio))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let (off_airssys, off_tokio) = measure(&rt, false);
    tracing::subscriber::set_global_default(Registry::default()).expect("the only subscriber");
    let (on_airssys, on_tokio) = measure(&rt, true);
    println!("| ping-pong, {HOPS} hops, ns/hop | airssys-rt (tracing-spans) | tokio baseline |");
    println!("|---|---|---|");
    println!("| no subscriber (spans off) | {off_airssys:.0} | {off_tokio:.0} (no tracing) |");
    println!("| Registry subscriber (spans recorded) | {on_airssys:.0} | {on_tokio:.0} (same spans by hand) |");
    println!("whole bench: {:.1} s", started.elapsed().as_secs_f64());
}
