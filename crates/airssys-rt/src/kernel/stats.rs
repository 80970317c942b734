//! Statistics: how many actors live, started and ended, how they ended, and what each one does.
//!
//! Two kinds of figures are kept:
//!
//! * **System statistics** ([`ActorSystem::statistics`]) are always on: actors alive, started
//!   and stopped, crashes by reason, dead letters, restarts and escalations. They are counted on
//!   the spawn and exit paths and by supervisors, never per message.
//! * **Actor statistics** ([`ActorRef::statistics`](crate::ActorRef::statistics),
//!   [`ActorSystem::actor_statistics`]) are off unless the system is built with
//!   [`statistics(true)`](crate::SystemBuilder::statistics). Off, they cost a message one
//!   predictable branch and an idle actor no memory. On, each actor counts the messages it takes,
//!   the deepest its mailbox has been, the dead letters addressed to it, and the time its
//!   handler takes for one message in every [`SAMPLE_EVERY`] (reading the clock for every
//!   message would cost as much as delivering it).
//!
//! The figures are read as snapshots: plain values, consistent for each counter, taken without
//! stopping anything. An actor writes its own figures (one writer, relaxed stores), so a
//! snapshot may lag the actor by the message it is handling; a reply to an `ask` is sent after
//! the figures for that message are written, so a snapshot taken after it sees them.
//!
//! The rules are stated in [`semantics`](crate::semantics), chapter "X. Statistics and metrics".
//!
//! ```
//! use airssys_rt::prelude::*;
//! # struct Echo;
//! # #[actor]
//! # impl Actor for Echo {
//! #     type Msg = u32; type Reply = u32; type Args = (); type Error = std::convert::Infallible;
//! #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Echo) }
//! #     async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u32, Self::Error> { Ok(n) }
//! # }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::builder().statistics(true).build()?;
//! let echo = system.spawn_named::<Echo>("echo", ()).await?;
//! for n in 0..10 {
//!     echo.tell(n).await?;
//! }
//! assert_eq!(echo.ask(10).await?, 10); // every earlier message has been handled
//!
//! let stats = echo.statistics().expect("statistics are on");
//! assert_eq!(stats.handled, 11);
//! assert_eq!(stats.name.as_deref(), Some("echo"));
//! assert!(stats.handling_time.samples >= 1);
//!
//! let system_stats = system.statistics();
//! assert_eq!((system_stats.alive, system_stats.started), (1, 1));
//! system.shutdown().await;
//! # Ok(()) }
//! ```

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::time::Instant;

use crate::kernel::actor::{ActorId, ActorState, ExitReason};
use crate::kernel::mailbox::budget::Budget;
use crate::kernel::system::ActorSystem;

/// One message in this many has its handling time measured: the first one an actor takes, and
/// every 32nd after it.
///
/// ```
/// assert_eq!(airssys_rt::telemetry::stats::SAMPLE_EVERY, 32);
/// ```
pub const SAMPLE_EVERY: u64 = 32;

/// How many buckets the handling-time histogram has. Bucket `i` counts the times below
/// `BUCKET_FLOOR << i` (and at or above the previous bound); the last one counts everything
/// longer.
const BUCKETS: usize = 26;

/// The upper bound of the first bucket: 256 ns. The 25th bound is about 4.3 s.
const BUCKET_FLOOR: u64 = 256;

/// The upper bound of bucket `index` (the last one has none: `u64::MAX`).
fn bucket_bound(index: usize) -> u64 {
    if index + 1 >= BUCKETS {
        u64::MAX
    } else {
        BUCKET_FLOOR << index
    }
}

fn bucket_of(nanos: u64) -> usize {
    (0..BUCKETS - 1).find(|&index| nanos < bucket_bound(index)).unwrap_or(BUCKETS - 1)
}

/// The figures one actor keeps while statistics are on. Written by the actor's own task only
/// (relaxed load and store), except the dead-letter count, which senders may raise too.
pub(crate) struct ActorStats {
    epoch: Instant,
    /// Messages taken from the mailbox for handling.
    taken: AtomicU64,
    highest_depth: AtomicUsize,
    /// When the sampled message now being handled was taken, in nanoseconds after `epoch`,
    /// plus one; 0 when none is.
    sample_started: AtomicU64,
    buckets: [AtomicU64; BUCKETS],
    sampled_nanos: AtomicU64,
    dead_letters: AtomicU64,
}

impl ActorStats {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            taken: AtomicU64::new(0),
            highest_depth: AtomicUsize::new(0),
            sample_started: AtomicU64::new(0),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sampled_nanos: AtomicU64::new(0),
            dead_letters: AtomicU64::new(0),
        }
    }

    fn nanos_since_epoch(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// The actor took a message; `depth` messages were waiting, this one included.
    #[inline]
    pub(crate) fn on_take(&self, depth: usize) {
        let taken = self.taken.load(Ordering::Relaxed);
        self.taken.store(taken + 1, Ordering::Relaxed);
        if depth > self.highest_depth.load(Ordering::Relaxed) {
            self.highest_depth.store(depth, Ordering::Relaxed);
        }
        if taken.is_multiple_of(SAMPLE_EVERY) {
            self.sample_started.store(self.nanos_since_epoch() + 1, Ordering::Relaxed);
        }
    }

    /// The actor finished a piece of work (a message or a signal).
    #[inline]
    pub(crate) fn on_done(&self) {
        let started = self.sample_started.load(Ordering::Relaxed);
        if started != 0 {
            self.record_sample(started - 1);
        }
    }

    #[cold]
    fn record_sample(&self, started: u64) {
        self.sample_started.store(0, Ordering::Relaxed);
        let took = self.nanos_since_epoch().saturating_sub(started);
        let bucket = &self.buckets[bucket_of(took)];
        bucket.store(bucket.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        let total = self.sampled_nanos.load(Ordering::Relaxed);
        self.sampled_nanos.store(total.saturating_add(took), Ordering::Relaxed);
    }

    fn histogram(&self) -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|index| self.buckets[index].load(Ordering::Relaxed)),
            total_nanos: self.sampled_nanos.load(Ordering::Relaxed),
        }
    }
}

/// An actor's handling times, in buckets: what [`HandlingTime`] summarises, kept as buckets so
/// that the times of several actors can be [`merge`](Self::merge)d before they are summarised
/// (the metrics export does so for each type of actor). Read with
/// [`ActorSystem::handling_histogram`].
///
/// ```
/// use airssys_rt::telemetry::stats::Histogram;
///
/// let mut all = Histogram::default();
/// all.merge(&Histogram::default());
/// assert_eq!(all.summary().samples, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    buckets: [u64; BUCKETS],
    total_nanos: u64,
}

impl Histogram {
    /// Adds the times of `other` to these. The counts saturate at `u64::MAX` rather than
    /// overflow, as a long-running sum over many actors or exports may.
    ///
    /// ```
    /// # use airssys_rt::telemetry::stats::Histogram;
    /// # let (a, b) = (Histogram::default(), Histogram::default());
    /// // `a` and `b` as read by `ActorSystem::handling_histogram` for two actors:
    /// let mut total = a;
    /// total.merge(&b);
    /// assert_eq!(total.summary().samples, a.summary().samples + b.summary().samples);
    /// ```
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets) {
            *mine = mine.saturating_add(theirs);
        }
        self.total_nanos = self.total_nanos.saturating_add(other.total_nanos);
    }

    /// The upper bound of the bucket in which the `quantile` of the samples is reached.
    fn quantile(&self, count: u64, quantile: f64) -> Duration {
        if count == 0 {
            return Duration::ZERO;
        }
        // Rounded up, so that p99 of 100 samples is the 99th, and p50 of 1 is the only one.
        let rank = ((count as f64) * quantile).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, in_bucket) in self.buckets.iter().enumerate() {
            seen = in_bucket.saturating_add(seen);
            if seen >= rank {
                return Duration::from_nanos(bucket_bound(index));
            }
        }
        Duration::MAX
    }

    /// The count, mean and percentiles of these times.
    ///
    /// ```
    /// # use airssys_rt::telemetry::stats::Histogram;
    /// assert!(Histogram::default().summary().p50.is_zero());
    /// ```
    pub fn summary(&self) -> HandlingTime {
        // Saturating: merged histograms may hold counts whose plain sum would overflow.
        let samples =
            self.buckets.iter().fold(0u64, |sum, in_bucket| sum.saturating_add(*in_bucket));
        HandlingTime {
            samples,
            mean: Duration::from_nanos(self.total_nanos.checked_div(samples).unwrap_or(0)),
            p50: self.quantile(samples, 0.50),
            p99: self.quantile(samples, 0.99),
        }
    }
}

/// A summary of the handling times measured for an actor (or, in the export, a type of actor).
///
/// The percentiles are the upper bounds of the histogram buckets they fall in: powers of two
/// from 256 ns, so a percentile is at most twice the true value, never below it. Only one
/// message in [`SAMPLE_EVERY`] is measured.
///
/// ```
/// let none = airssys_rt::telemetry::stats::HandlingTime::default();
/// assert_eq!(none.samples, 0);
/// assert!(none.p99.is_zero());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandlingTime {
    /// How many handling times were measured.
    pub samples: u64,
    /// Their mean (exact, not taken from the buckets).
    pub mean: Duration,
    /// The median, as the upper bound of its bucket.
    pub p50: Duration,
    /// The 99th percentile, as the upper bound of its bucket.
    pub p99: Duration,
}

/// A snapshot of one actor's statistics.
///
/// ```
/// use airssys_rt::prelude::*;
/// # struct Idle;
/// # #[actor]
/// # impl Actor for Idle {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::builder().statistics(true).build()?;
/// let idle = system.spawn::<Idle>(()).await?;
/// idle.ask(()).await?;
/// let all = system.actor_statistics();
/// assert_eq!(all.len(), 1);
/// assert_eq!(all[0].id, idle.id());
/// assert_eq!((all[0].received, all[0].handled, all[0].mailbox_depth), (1, 1, 0));
/// assert!(all[0].actor_type.ends_with("Idle"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ActorStatistics {
    /// The actor.
    pub id: ActorId,
    /// The name it is registered under, if any.
    pub name: Option<Arc<str>>,
    /// Its Rust type, as `std::any::type_name` spells it.
    pub actor_type: &'static str,
    /// Its lifecycle state.
    pub state: ActorState,
    /// Messages waiting in its mailbox now.
    pub mailbox_depth: usize,
    /// The most messages that waited in its mailbox at once, as seen when it took one (or now,
    /// if more wait now).
    pub highest_depth: usize,
    /// Messages that reached it: those it took and those waiting (`handled + mailbox_depth`).
    pub received: u64,
    /// Messages it took from its mailbox for handling (the one being handled included).
    pub handled: u64,
    /// Dead letters addressed to it: messages dropped by its mailbox's overflow policy, or left
    /// in its mailbox when it ended.
    pub dead_letters: u64,
    /// For a supervised actor, how many times its supervisor had started its child
    /// specification before starting it (0 for the first); `None` for an unsupervised actor.
    pub restarts: Option<u64>,
    /// Its handling times.
    pub handling_time: HandlingTime,
}

/// Crashes counted by reason: every abnormal exit, by the kind of its [`ExitReason`], except a
/// supervisor's `BrutalKill` of a child to stop it (an ordered end, not reported either).
///
/// ```
/// let crashes = airssys_rt::ActorSystem::new().statistics().crashes;
/// assert_eq!(crashes.total(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Crashes {
    /// Ended with [`ExitReason::Panicked`].
    pub panicked: u64,
    /// Ended with [`ExitReason::Failed`].
    pub failed: u64,
    /// Ended with [`ExitReason::Killed`].
    pub killed: u64,
    /// Ended with another abnormal reason ([`ExitReason::NoSuchActor`] from a link).
    pub other: u64,
}

impl Crashes {
    /// All crashes.
    ///
    /// ```
    /// assert_eq!(airssys_rt::telemetry::stats::Crashes::default().total(), 0);
    /// ```
    pub fn total(&self) -> u64 {
        self.panicked + self.failed + self.killed + self.other
    }
}

/// A snapshot of a system's statistics.
///
/// ```
/// # #[tokio::main] async fn main() {
/// let system = airssys_rt::ActorSystem::new();
/// let stats = system.statistics();
/// assert_eq!((stats.alive, stats.started, stats.stopped), (0, 0, 0));
/// assert_eq!((stats.dead_letters, stats.restarts, stats.escalations), (0, 0, 0));
/// assert_eq!((stats.budget_in_use, stats.over_budget_refused, stats.over_budget_shed), (0, 0, 0));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SystemStatistics {
    /// Actors alive now (started and not yet ended), as [`ActorSystem::actor_count`].
    pub alive: u64,
    /// Actors admitted since the system was built (a failed `pre_start` included).
    pub started: u64,
    /// Actors that have ended, whatever the reason.
    pub stopped: u64,
    /// Abnormal ends by reason.
    pub crashes: Crashes,
    /// Dead letters recorded, as [`DeadLetters::count`](crate::dead_letter::DeadLetters::count).
    pub dead_letters: u64,
    /// Restarts decided by supervisors: one per child end that is restarted, and one per
    /// retry after a restart whose start failed (as the restart intensity counts them).
    pub restarts: u64,
    /// Supervisors that gave up because restarts came too fast, escalating to their parent.
    pub escalations: u64,
    /// Slots of the [message budget](crate::SystemBuilder::message_budget) in use: at least the
    /// messages waiting in unbounded mailboxes, at most the budget. Each unbounded mailbox
    /// holds a few spare slots (at most 128) while the budget is far from spent; once it has
    /// run short, none, and the figure is the number of messages waiting.
    pub budget_in_use: u64,
    /// Sends to unbounded mailboxes handed back to their sender because the budget was spent
    /// ([`BudgetPolicy::Reject`](crate::mailbox::BudgetPolicy::Reject)).
    pub over_budget_refused: u64,
    /// Sends to unbounded mailboxes made dead letters because the budget was spent
    /// ([`BudgetPolicy::Shed`](crate::mailbox::BudgetPolicy::Shed), or a timer's message).
    pub over_budget_shed: u64,
}

/// The per-system counters, always on; they count on spawn and exit paths only.
#[derive(Default)]
pub(crate) struct SystemCounters {
    started: AtomicU64,
    stopped: AtomicU64,
    panicked: AtomicU64,
    failed: AtomicU64,
    killed: AtomicU64,
    other: AtomicU64,
    restarts: AtomicU64,
    escalations: AtomicU64,
}

impl SystemCounters {
    pub(crate) fn count_start(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_restart(&self) {
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_escalation(&self) {
        self.escalations.fetch_add(1, Ordering::Relaxed);
    }

    fn count_end(&self, reason: &ExitReason, ordered_kill: bool) {
        let crash = match reason {
            _ if ordered_kill => None,
            ExitReason::Normal | ExitReason::Shutdown => None,
            ExitReason::Panicked(_) => Some(&self.panicked),
            ExitReason::Failed(_) => Some(&self.failed),
            ExitReason::Killed => Some(&self.killed),
            ExitReason::NoSuchActor => Some(&self.other),
        };
        if let Some(crash) = crash {
            crash.fetch_add(1, Ordering::Relaxed);
        }
        self.stopped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(
        &self,
        alive: usize,
        dead_letters: u64,
        budget: &Budget,
    ) -> SystemStatistics {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        SystemStatistics {
            alive: alive as u64,
            started: read(&self.started),
            stopped: read(&self.stopped),
            crashes: Crashes {
                panicked: read(&self.panicked),
                failed: read(&self.failed),
                killed: read(&self.killed),
                other: read(&self.other),
            },
            dead_letters,
            restarts: read(&self.restarts),
            escalations: read(&self.escalations),
            budget_in_use: budget.in_use() as u64,
            over_budget_refused: budget.refused(),
            over_budget_shed: budget.shed(),
        }
    }
}

/// The side table of per-actor statistics, present only when statistics are on.
#[derive(Default)]
pub(crate) struct ActorStatsTable {
    actors: DashMap<ActorId, Arc<ActorStats>>,
}

impl ActorStatsTable {
    fn get(&self, id: ActorId) -> Option<Arc<ActorStats>> {
        self.actors.get(&id).map(|entry| Arc::clone(entry.value()))
    }
}

/// What describes an actor besides its figures, read from its cell.
#[derive(Clone)]
pub(crate) struct ActorFacts {
    pub(crate) id: ActorId,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) actor_type: &'static str,
    pub(crate) state: ActorState,
    pub(crate) mailbox_depth: usize,
    /// From its supervision data, for a supervised actor.
    pub(crate) restarts: Option<u32>,
}

/// Gives a new actor its figures, if statistics are on: kept in the side table until it ends.
pub(crate) fn actor_starting(system: &ActorSystem, id: ActorId) {
    if let Some(table) = system.actor_stats_table() {
        table.actors.insert(id, Arc::new(ActorStats::new()));
    }
}

/// The figures an actor's task writes, if statistics are on.
pub(crate) fn of_actor(system: &ActorSystem, id: ActorId) -> Option<Arc<ActorStats>> {
    system.actor_stats_table()?.get(id)
}

/// Counts an actor's end, and drops its figures from the side table.
pub(crate) fn actor_ended(
    system: &ActorSystem,
    id: ActorId,
    reason: &ExitReason,
    ordered_kill: bool,
) {
    system.counters().count_end(reason, ordered_kill);
    if let Some(table) = system.actor_stats_table() {
        table.actors.remove(&id);
    }
}

/// Counts a dead letter addressed to the actor `id` (a rare path: an overflow or an end).
pub(crate) fn dead_letter_caused(system: &ActorSystem, id: ActorId) {
    if let Some(stats) = system.actor_stats_table().and_then(|table| table.get(id)) {
        stats.dead_letters.fetch_add(1, Ordering::Relaxed);
    }
}

/// A snapshot of the actor described by `facts`, if statistics are on and it has not ended.
pub(crate) fn snapshot(system: &ActorSystem, facts: ActorFacts) -> Option<ActorStatistics> {
    let stats = system.actor_stats_table()?.get(facts.id)?;
    Some(snapshot_of(&stats, facts))
}

impl ActorSystem {
    /// The handling times of the actor `id`, in buckets; `None` unless the system was built
    /// with [`statistics(true)`](crate::SystemBuilder::statistics) and the actor is alive. Its
    /// [`summary`](Histogram::summary) is the actor's
    /// [`handling_time`](ActorStatistics::handling_time).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # struct Echo;
    /// # #[actor]
    /// # impl Actor for Echo {
    /// #     type Msg = u32; type Reply = u32; type Args = (); type Error = std::convert::Infallible;
    /// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Echo) }
    /// #     async fn handle(&mut self, n: u32, _: &mut Context<Self>) -> Result<u32, Self::Error> { Ok(n) }
    /// # }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::builder().statistics(true).build()?;
    /// let echo = system.spawn::<Echo>(()).await?;
    /// echo.ask(1).await?; // the first message an actor takes is measured,
    /// echo.ask(2).await?; // and recorded once it has taken the next one
    /// let times = system.handling_histogram(echo.id()).expect("statistics are on");
    /// assert_eq!(times.summary().samples, 1);
    /// system.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn handling_histogram(&self, id: ActorId) -> Option<Histogram> {
        Some(self.actor_stats_table()?.get(id)?.histogram())
    }
}

fn snapshot_of(stats: &ActorStats, facts: ActorFacts) -> ActorStatistics {
    let handled = stats.taken.load(Ordering::Relaxed);
    let depth = facts.mailbox_depth;
    ActorStatistics {
        id: facts.id,
        name: facts.name,
        actor_type: facts.actor_type,
        state: facts.state,
        mailbox_depth: depth,
        highest_depth: stats.highest_depth.load(Ordering::Relaxed).max(depth),
        received: handled + depth as u64,
        handled,
        dead_letters: stats.dead_letters.load(Ordering::Relaxed),
        restarts: facts.restarts.map(u64::from),
        handling_time: stats.histogram().summary(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two_from_256_ns() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(255), 0);
        assert_eq!(bucket_of(256), 1);
        assert_eq!(bucket_of(1_000_000), 12); // 1 ms < 256 ns << 12 = 1.05 ms
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_are_bucket_bounds() {
        let mut histogram = Histogram::default();
        histogram.buckets[1] = 99;
        histogram.buckets[10] = 1;
        histogram.total_nanos = 99 * 300 + 200_000;
        let summary = histogram.summary();
        assert_eq!(summary.samples, 100);
        assert_eq!(summary.p50, Duration::from_nanos(512));
        assert_eq!(summary.p99, Duration::from_nanos(512));
        histogram.buckets[10] = 2;
        assert_eq!(histogram.summary().p99, Duration::from_nanos(256 << 10));
    }
}
