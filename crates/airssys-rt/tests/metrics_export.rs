//! The `metrics` export, end to end: statistics go through the facade to the Prometheus
//! exporter, and an HTTP scrape on loopback shows them (docs/semantics.md, rule X10).

mod common;

use airssys_rt::monitoring::export::MetricsExport;
use airssys_rt::prelude::*;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use common::{Cmd, Probe, ProbeArgs};

/// Serves the exporter's rendering at `/metrics` on a loopback port of the system's choosing,
/// as the exporter's own listener does on a fixed one.
async fn serve(handle: PrometheusHandle) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let mut request = Vec::new();
            let mut buffer = [0; 1024];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let body = handle.render();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    address
}

/// A plain HTTP/1.1 GET; returns the status line and the body.
async fn get(address: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// The value of the series `series` (name and labels, as rendered) in a scrape.
fn value(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test]
async fn x10_exported_metrics_reach_a_prometheus_scrape() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let address = serve(recorder.handle()).await;

    let system = ActorSystem::builder().statistics(true).build().unwrap();
    let worker = system.spawn_named::<Probe>("worker", ProbeArgs::new()).await.unwrap();
    let anonymous = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
    let doomed = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
    for n in 0..9 {
        worker.tell(Cmd::Echo(n)).await.unwrap();
    }
    worker.ask(Cmd::Echo(9)).await.unwrap();
    anonymous.ask(Cmd::Echo(0)).await.unwrap();
    doomed.tell(Cmd::Panic).await.unwrap();
    doomed.wait_for_exit().await;

    let mut export = MetricsExport::new(&system);
    metrics::with_local_recorder(&recorder, || export.export());

    let (status, scrape) = get(address, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(value(&scrape, "airssys_actors_alive"), Some(2.0), "{scrape}");
    assert_eq!(value(&scrape, "airssys_actors_started_total"), Some(3.0));
    assert_eq!(value(&scrape, "airssys_actors_stopped_total"), Some(1.0));
    assert_eq!(value(&scrape, "airssys_actor_crashes_total{reason=\"panicked\"}"), Some(1.0));
    assert_eq!(value(&scrape, "airssys_actor_crashes_total{reason=\"failed\"}"), Some(0.0));
    let probe_type = std::any::type_name::<Probe>();
    let by_type = format!("{{actor_type=\"{probe_type}\"}}");
    assert_eq!(value(&scrape, &format!("airssys_actor_type_actors{by_type}")), Some(2.0));
    assert_eq!(
        value(&scrape, &format!("airssys_actor_type_messages_handled{by_type}")),
        Some(11.0)
    );
    let named = format!("{{actor=\"worker\",actor_type=\"{probe_type}\"}}");
    assert_eq!(value(&scrape, &format!("airssys_named_actor_messages_handled{named}")), Some(10.0));
    assert_eq!(value(&scrape, &format!("airssys_named_actor_handling_samples{named}")), Some(1.0));
    assert!(scrape.contains("airssys_named_actor_handling_seconds{actor=\"worker\""));

    // An actor type whose actors have all ended drops to zero at the next export.
    worker.stop();
    worker.wait_for_exit().await;
    anonymous.stop();
    anonymous.wait_for_exit().await;
    metrics::with_local_recorder(&recorder, || export.export());
    let (_, scrape) = get(address, "/metrics").await;
    assert_eq!(value(&scrape, &format!("airssys_actor_type_actors{by_type}")), Some(0.0));
    assert_eq!(value(&scrape, &format!("airssys_named_actor_messages_handled{named}")), Some(0.0));
    assert_eq!(value(&scrape, "airssys_actors_alive"), Some(0.0));
}
