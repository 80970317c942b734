//! Export of the [statistics](super::stats) through the [`metrics`] crate facade (cargo feature
//! `metrics`), so that whatever exporter a program installs (Prometheus, StatsD, ...) shows them.
//!
//! Nothing is sent to the facade per message: a [`MetricsExport`] reads the snapshots and sets
//! the metrics in one pass, when [`export`](MetricsExport::export) is called or every interval
//! from a task ([`MetricsExport::spawn`]). To keep the number of series bounded, actors are
//! aggregated per actor type; only named actors (there are few, by design) get series of
//! their own.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `airssys_actors_alive` | gauge | |
//! | `airssys_actors_started_total`, `airssys_actors_stopped_total` | counter | |
//! | `airssys_actor_crashes_total` | counter | `reason`: `panicked`, `failed`, `killed`, `other` |
//! | `airssys_dead_letters_total`, `airssys_restarts_total`, `airssys_escalations_total` | counter | |
//! | `airssys_message_budget_in_use`, `airssys_message_budget_limit` | gauge | |
//! | `airssys_over_budget_sends_total` | counter | `outcome`: `refused`, `shed` |
//! | `airssys_actor_type_actors` | gauge | `actor_type` |
//! | `airssys_actor_type_<figure>` | gauge | `actor_type` |
//! | `airssys_named_actor_<figure>` | gauge | `actor`, `actor_type` |
//!
//! where `<figure>` is `mailbox_depth` (the sum over the type's actors), `mailbox_highest_depth`
//! (the largest), `messages_received`, `messages_handled`, `dead_letters` (sums over the live
//! actors, so they drop when an actor ends: gauges, not counters), `handling_samples`,
//! `handling_seconds_mean` and `handling_seconds` with `quantile` `0.5` and `0.99` (from the
//! merged histograms). The per-actor figures need statistics on
//! ([`statistics(true)`](crate::SystemBuilder::statistics)); the system's are always there. A
//! type or name whose actors have all ended is set to zero by the next export of the same
//! [`MetricsExport`].
//!
//! ```
//! use std::time::Duration;
//! use airssys_rt::telemetry::export::MetricsExport;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = airssys_rt::ActorSystem::builder().statistics(true).build()?;
//! // With a recorder installed (e.g. `metrics_exporter_prometheus::PrometheusBuilder`):
//! let task = MetricsExport::new(&system).spawn(Duration::from_secs(5));
//! // ... the system runs; the metrics are refreshed every 5 s ...
//! task.stop();
//! system.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use metrics::{counter, gauge, Label};

use crate::kernel::stats::{ActorStatistics, Histogram};
use crate::kernel::system::ActorSystem;

/// Sets the `metrics` facade's metrics from a system's statistics; see the
/// [module documentation](self) for the metrics.
///
/// ```
/// # #[tokio::main] async fn main() {
/// let system = airssys_rt::ActorSystem::new();
/// let mut export = airssys_rt::telemetry::export::MetricsExport::new(&system);
/// export.export(); // no recorder installed: the facade discards them
/// # }
/// ```
pub struct MetricsExport {
    system: ActorSystem,
    /// The label sets set by the last export, to zero those whose actors are all gone.
    exported: HashSet<Vec<Label>>,
}

impl std::fmt::Debug for MetricsExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsExport").field("series", &self.exported.len()).finish()
    }
}

/// The figures of a group of actors (one type, or one named actor).
#[derive(Default)]
struct Figures {
    actors: u64,
    mailbox_depth: u64,
    highest_depth: u64,
    received: u64,
    handled: u64,
    dead_letters: u64,
    histogram: Histogram,
}

impl Figures {
    fn add(&mut self, actor: &ActorStatistics, histogram: &Histogram) {
        self.actors += 1;
        self.mailbox_depth += actor.mailbox_depth as u64;
        self.highest_depth = self.highest_depth.max(actor.highest_depth as u64);
        self.received += actor.received;
        self.handled += actor.handled;
        self.dead_letters += actor.dead_letters;
        self.histogram.merge(histogram);
    }
}

impl MetricsExport {
    /// An export of `system`'s statistics.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// let _export = airssys_rt::telemetry::export::MetricsExport::new(&system);
    /// ```
    pub fn new(system: &ActorSystem) -> Self {
        Self { system: system.clone(), exported: HashSet::new() }
    }

    /// Sets every metric from a fresh snapshot, through the recorder installed now.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// airssys_rt::telemetry::export::MetricsExport::new(&system).export();
    /// ```
    pub fn export(&mut self) {
        let system = self.system.statistics();
        gauge!("airssys_actors_alive").set(system.alive as f64);
        counter!("airssys_actors_started_total").absolute(system.started);
        counter!("airssys_actors_stopped_total").absolute(system.stopped);
        let crashes = system.crashes;
        for (reason, count) in [
            ("panicked", crashes.panicked),
            ("failed", crashes.failed),
            ("killed", crashes.killed),
            ("other", crashes.other),
        ] {
            counter!("airssys_actor_crashes_total", "reason" => reason).absolute(count);
        }
        counter!("airssys_dead_letters_total").absolute(system.dead_letters);
        counter!("airssys_restarts_total").absolute(system.restarts);
        counter!("airssys_escalations_total").absolute(system.escalations);
        gauge!("airssys_message_budget_in_use").set(system.budget_in_use as f64);
        gauge!("airssys_message_budget_limit").set(self.system.config().message_budget() as f64);
        for (outcome, count) in
            [("refused", system.over_budget_refused), ("shed", system.over_budget_shed)]
        {
            counter!("airssys_over_budget_sends_total", "outcome" => outcome).absolute(count);
        }

        let mut by_type: HashMap<&'static str, Figures> = HashMap::new();
        let mut by_name: HashMap<(Arc<str>, &'static str), Figures> = HashMap::new();
        for actor in self.system.actor_statistics() {
            let histogram = self.system.handling_histogram(actor.id).unwrap_or_default();
            by_type.entry(actor.actor_type).or_default().add(&actor, &histogram);
            if let Some(name) = &actor.name {
                by_name
                    .entry((Arc::clone(name), actor.actor_type))
                    .or_default()
                    .add(&actor, &histogram);
            }
        }
        let mut exported = HashSet::new();
        for (actor_type, figures) in by_type {
            let labels = vec![Label::new("actor_type", actor_type)];
            gauge!("airssys_actor_type_actors", labels.iter()).set(figures.actors as f64);
            set_figures("airssys_actor_type", &labels, &figures);
            exported.insert(labels);
        }
        for ((name, actor_type), figures) in by_name {
            let labels =
                vec![Label::new("actor", name.to_string()), Label::new("actor_type", actor_type)];
            set_figures("airssys_named_actor", &labels, &figures);
            exported.insert(labels);
        }
        for gone in self.exported.difference(&exported) {
            let prefix = if gone.len() == 1 {
                gauge!("airssys_actor_type_actors", gone.iter()).set(0.0);
                "airssys_actor_type"
            } else {
                "airssys_named_actor"
            };
            set_figures(prefix, gone, &Figures::default());
        }
        self.exported = exported;
    }

    /// Exports now and then every `every`, from a task on the current Tokio runtime, until the
    /// returned [`ExportTask`] is stopped or dropped.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, or if `every` is zero.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let system = airssys_rt::ActorSystem::new();
    /// let export = airssys_rt::telemetry::export::MetricsExport::new(&system);
    /// let task = export.spawn(std::time::Duration::from_secs(1));
    /// drop(task); // stops it
    /// # }
    /// ```
    pub fn spawn(mut self, every: Duration) -> ExportTask {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let task = tokio::spawn(async move {
            loop {
                ticks.tick().await;
                self.export();
            }
        });
        ExportTask { task }
    }
}

fn set_figures(prefix: &str, labels: &[Label], figures: &Figures) {
    let set = |figure: &str, value: f64| {
        gauge!(format!("{prefix}_{figure}"), labels.iter()).set(value);
    };
    set("mailbox_depth", figures.mailbox_depth as f64);
    set("mailbox_highest_depth", figures.highest_depth as f64);
    set("messages_received", figures.received as f64);
    set("messages_handled", figures.handled as f64);
    set("dead_letters", figures.dead_letters as f64);
    let time = figures.histogram.summary();
    set("handling_samples", time.samples as f64);
    set("handling_seconds_mean", time.mean.as_secs_f64());
    for (quantile, value) in [("0.5", time.p50), ("0.99", time.p99)] {
        let mut with_quantile = labels.to_vec();
        with_quantile.push(Label::new("quantile", quantile));
        gauge!(format!("{prefix}_handling_seconds"), with_quantile).set(value.as_secs_f64());
    }
}

/// The task started by [`MetricsExport::spawn`]; stopping or dropping it ends the export.
///
/// ```
/// # #[tokio::main] async fn main() {
/// let system = airssys_rt::ActorSystem::new();
/// let task = airssys_rt::telemetry::export::MetricsExport::new(&system)
///     .spawn(std::time::Duration::from_secs(1));
/// task.stop();
/// # }
/// ```
#[derive(Debug)]
#[must_use = "dropping the task stops the export"]
pub struct ExportTask {
    task: tokio::task::JoinHandle<()>,
}

impl ExportTask {
    /// Ends the export.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// # let system = airssys_rt::ActorSystem::new();
    /// let task = airssys_rt::telemetry::export::MetricsExport::new(&system)
    ///     .spawn(std::time::Duration::from_secs(1));
    /// task.stop();
    /// # }
    /// ```
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for ExportTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}
