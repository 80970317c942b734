//! Actor statistics in Prometheus: the `metrics` export feeding `metrics-exporter-prometheus`,
//! served on loopback.
//!
//! Run it with `cargo run -p airssys-rt --features metrics --example prometheus`; it prints one
//! scrape of its own endpoint and ends. With `-- --serve` it keeps running (and working) until
//! Ctrl-C, for `curl http://127.0.0.1:9000/metrics` or a Prometheus server. The port can be
//! changed with `AIRSSYS_METRICS_PORT`.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use airssys_rt::monitoring::export::MetricsExport;
use airssys_rt::prelude::*;
use metrics_exporter_prometheus::PrometheusBuilder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Adds what it is told to; panics on zero, to show a crash being counted.
struct Adder {
    total: u64,
}

#[actor]
impl Actor for Adder {
    type Msg = u64;
    type Reply = u64;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Adder { total: 0 })
    }

    async fn handle(&mut self, n: u64, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        assert!(n != 0, "zero is not a number to add");
        self.total += n;
        Ok(self.total)
    }
}

async fn work(adders: &[ActorRef<Adder>]) -> Result<(), Box<dyn std::error::Error>> {
    for n in 1..=1_000 {
        adders[n as usize % adders.len()].tell(n).await?;
    }
    for adder in adders {
        adder.ask(1).await?;
    }
    Ok(())
}

async fn scrape(address: SocketAddr) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request = format!("GET /metrics HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("AIRSSYS_METRICS_PORT").ok().and_then(|port| port.parse().ok());
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(9000)));
    PrometheusBuilder::new().with_http_listener(address).install()?;
    // The crash below is on purpose: one line for it, not a backtrace.
    std::panic::set_hook(Box::new(|info| eprintln!("an actor panicked (on purpose): {info}")));

    let system = ActorSystem::builder().statistics(true).build()?;
    let export = MetricsExport::new(&system).spawn(Duration::from_millis(200));
    let mut adders = vec![system.spawn_named::<Adder>("accountant", ()).await?];
    for _ in 0..3 {
        adders.push(system.spawn::<Adder>(()).await?);
    }
    let doomed = system.spawn::<Adder>(()).await?;
    doomed.tell(0).await?;
    doomed.wait_for_exit().await;
    work(&adders).await?;

    if std::env::args().any(|arg| arg == "--serve") {
        println!("serving http://{address}/metrics; Ctrl-C to stop");
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                done = work(&adders) => done?,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    } else {
        // One export period, so that the exporter task has set everything at least once.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let response = scrape(address).await?;
        for line in response.lines().filter(|line| line.starts_with("airssys_")) {
            println!("{line}");
        }
    }
    export.stop();
    system.shutdown().await;
    Ok(())
}
