//! The actor system: where actors are spawned, named, counted and shut down.
//!
//! An [`ActorSystem`] runs on the Tokio runtime of whoever uses it, multi-thread or
//! current-thread alike (the runtime needs its timer enabled, as `#[tokio::main]` does). It holds
//! the defaults that actors are spawned with, the names actors are registered under, the
//! [dead letters](crate::dead_letter), and the list of live actors that
//! [`shutdown`](ActorSystem::shutdown) stops.
//!
//! | setting | default | |
//! |---|---|---|
//! | [`mailbox`](SystemBuilder::mailbox) | bounded, [`DEFAULT_CAPACITY`](crate::mailbox::DEFAULT_CAPACITY) (1024) messages, [`Wait`](crate::mailbox::OverflowPolicy::Wait) when full | per actor with [`SpawnOptions::mailbox`] |
//! | [`ask_timeout`](SystemBuilder::ask_timeout) | 5 s, as OTP's `gen_server:call` | per call with [`Ask::timeout`](crate::actor::Ask::timeout) |
//! | [`max_actors`](SystemBuilder::max_actors) | 1,048,576, as the BEAM's default process limit | |
//! | [`shutdown_timeout`](SystemBuilder::shutdown_timeout) | 5 s, as OTP's default worker shutdown | |
//! | [`dead_letter_history`](SystemBuilder::dead_letter_history) | the latest 128 | |
//! | [`statistics`](SystemBuilder::statistics) | off: per-actor [statistics](crate::monitoring::stats) are not kept | |
//! | [`crash_report_history`](SystemBuilder::crash_report_history) | the latest 64 | |
//! | [`message_budget`](SystemBuilder::message_budget) | [`DEFAULT_MESSAGE_BUDGET`] (4,194,304) messages waiting in unbounded mailboxes, [`Reject`](crate::mailbox::BudgetPolicy::Reject) past it | [`over_budget`](SystemBuilder::over_budget) |
//!
//! ```
//! use std::time::Duration;
//! use airssys_rt::prelude::*;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::builder()
//!     .mailbox(MailboxConfig::unbounded())
//!     .ask_timeout(Duration::from_secs(1))
//!     .max_actors(10_000)
//!     .build()?;
//! assert_eq!(system.config().max_actors(), 10_000);
//! let report = system.shutdown().await;
//! assert_eq!(report.killed, 0);
//! # Ok(()) }
//! ```

pub(crate) mod deadlines;
mod extensions;

use std::fmt;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use slab::Slab;
use tokio::sync::Notify;

use crate::kernel::actor::{self, Actor, ActorId, ActorRef, ErasedCell};
use crate::kernel::crash::CrashReports;
use crate::kernel::dead_letter::DeadLetters;
use crate::kernel::mailbox::budget::Budget;
use crate::kernel::mailbox::{
    BudgetPolicy, MailboxConfig, MailboxConfigError, DEFAULT_MESSAGE_BUDGET,
};
pub use crate::kernel::registry::LookupError;
use crate::kernel::registry::{check_name, NameProblem, Registry};
use crate::kernel::stats::{
    self, ActorFacts, ActorStatistics, ActorStatsTable, SystemCounters, SystemStatistics,
};
use extensions::Extensions;

/// The runtime's home: spawns actors and shuts them down. Cloning gives another handle to the
/// same system.
///
/// See the [module documentation](self) for the defaults.
///
/// ```
/// use airssys_rt::prelude::*;
/// # struct Idle;
/// # impl Actor for Idle {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let _anonymous = system.spawn::<Idle>(()).await?;
/// let _named = system.spawn_named::<Idle>("idle", ()).await?;
/// assert_eq!(system.actor_count(), 2);
/// let found: ActorRef<Idle> = system.lookup("idle")?;
/// assert_eq!(found.name().as_deref(), Some("idle"));
/// system.shutdown().await;
/// assert_eq!(system.actor_count(), 0);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ActorSystem {
    inner: Arc<SystemInner>,
}

struct SystemInner {
    config: SystemConfig,
    /// Actors started and not yet ended: what `actor_count` and `max_actors` count.
    live: AtomicUsize,
    /// Actors whose end is not yet announced; `shutdown` waits for it to reach zero, so that
    /// every exit reason is visible when it returns.
    unannounced: AtomicUsize,
    shutting_down: AtomicBool,
    actors: Mutex<Slab<Arc<dyn ErasedCell>>>,
    registry: Registry,
    /// The services' state, and any a program keeps per system.
    extensions: Extensions,
    dead_letters: DeadLetters,
    crash_reports: CrashReports,
    all_stopped: Notify,
    /// The outcome of the shutdown, once every actor has ended; `shutdown_done` wakes those
    /// waiting for it.
    shutdown_report: OnceLock<ShutdownReport>,
    shutdown_done: Notify,
    /// The actors the shutdown found running when it began, for its report.
    shutdown_before: AtomicUsize,
    /// The shutdown's task was dropped unfinished (its runtime shut down): the next caller
    /// of `shutdown` takes it up again on its own runtime.
    shutdown_orphaned: AtomicBool,
    deadlines: Arc<deadlines::Deadlines>,
    /// Always kept: they count on spawn and exit paths only.
    counters: SystemCounters,
    /// Per-actor statistics, when they are on.
    actor_stats: Option<ActorStatsTable>,
    /// Every unbounded mailbox leases slots from it.
    budget: Budget,
}

impl Drop for SystemInner {
    fn drop(&mut self) {
        self.deadlines.close();
    }
}

impl ActorSystem {
    /// A system with the default settings.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.actor_count(), 0);
    /// ```
    pub fn new() -> Self {
        Self::from_config(SystemConfig::default())
    }

    /// A builder to change the defaults.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().max_actors(100).build().unwrap();
    /// assert_eq!(system.config().max_actors(), 100);
    /// ```
    pub fn builder() -> SystemBuilder {
        SystemBuilder { config: SystemConfig::default() }
    }

    fn from_config(config: SystemConfig) -> Self {
        let dead_letters = DeadLetters::new(config.dead_letter_history);
        let actor_stats = config.statistics.then(ActorStatsTable::default);
        let crash_reports = CrashReports::new(config.crash_report_history);
        let budget = Budget::new(config.message_budget, config.over_budget);
        Self {
            inner: Arc::new(SystemInner {
                config,
                live: AtomicUsize::new(0),
                unannounced: AtomicUsize::new(0),
                shutting_down: AtomicBool::new(false),
                actors: Mutex::new(Slab::new()),
                registry: Registry::default(),
                extensions: Extensions::default(),
                dead_letters,
                crash_reports,
                all_stopped: Notify::new(),
                shutdown_report: OnceLock::new(),
                shutdown_done: Notify::new(),
                shutdown_before: AtomicUsize::new(0),
                shutdown_orphaned: AtomicBool::new(false),
                deadlines: Arc::new(deadlines::Deadlines::new()),
                counters: SystemCounters::default(),
                actor_stats,
                budget,
            }),
        }
    }

    /// The settings this system runs with.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().ask_timeout(), std::time::Duration::from_secs(5));
    /// ```
    pub fn config(&self) -> &SystemConfig {
        &self.inner.config
    }

    /// Spawns an anonymous actor with the system's default mailbox.
    ///
    /// Returns once [`pre_start`](Actor::pre_start) has succeeded.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn spawn<A: Actor<Args = ()>>(system: &ActorSystem) -> Result<(), SpawnError> {
    /// let actor = system.spawn::<A>(()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn spawn<A: Actor>(&self, args: A::Args) -> Result<ActorRef<A>, SpawnError> {
        self.spawn_with(SpawnOptions::new(), args).await
    }

    /// Spawns an actor registered under `name`, so that [`lookup`](Self::lookup) finds it. The
    /// registration keeps it alive until it is stopped, and goes away when it ends. A name that
    /// is not valid (see [`check_name`]) fails the spawn with [`SpawnError::InvalidName`].
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn spawn<A: Actor<Args = ()>>(system: &ActorSystem) -> Result<(), SpawnError> {
    /// let actor = system.spawn_named::<A>("worker", ()).await?;
    /// assert_eq!(actor.name().as_deref(), Some("worker"));
    /// # Ok(()) }
    /// ```
    pub async fn spawn_named<A: Actor>(
        &self,
        name: impl Into<Arc<str>>,
        args: A::Args,
    ) -> Result<ActorRef<A>, SpawnError> {
        self.spawn_with(SpawnOptions::new().name(name), args).await
    }

    /// Spawns an actor with the given options.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn spawn<A: Actor<Args = ()>>(system: &ActorSystem) -> Result<(), SpawnError> {
    /// let options = SpawnOptions::new()
    ///     .name("ingest")
    ///     .mailbox(MailboxConfig::bounded(64).overflow(OverflowPolicy::DropOldest));
    /// let actor = system.spawn_with::<A>(options, ()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn spawn_with<A: Actor>(
        &self,
        options: SpawnOptions,
        args: A::Args,
    ) -> Result<ActorRef<A>, SpawnError> {
        let mailbox = options.mailbox.unwrap_or(self.inner.config.mailbox);
        mailbox.validate()?;
        if let Some(name) = &options.name {
            check_name(name).map_err(SpawnError::InvalidName)?;
        }
        actor::start(self, options.name, mailbox, args).await
    }

    /// The actor registered under `name`, as a handle of its type: a shortcut for
    /// [`registry().lookup`](Registry::lookup).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # use airssys_rt::system::LookupError;
    /// # fn find<A: Actor>(system: &ActorSystem) {
    /// match system.lookup::<A>("worker") {
    ///     Ok(worker) => println!("found {}", worker.id()),
    ///     Err(LookupError::NotFound(name)) => println!("no {name}"),
    ///     Err(other) => println!("{other}"),
    /// }
    /// # }
    /// ```
    pub fn lookup<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, LookupError> {
        self.inner.registry.lookup(name)
    }

    /// The system's name registry.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert!(system.registry().whereis("db").is_none());
    /// ```
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// How many actors are alive (started and not yet ended).
    ///
    /// ```
    /// assert_eq!(airssys_rt::ActorSystem::new().actor_count(), 0);
    /// ```
    pub fn actor_count(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }

    /// The dead-letter sink.
    ///
    /// ```
    /// assert_eq!(airssys_rt::ActorSystem::new().dead_letters().count(), 0);
    /// ```
    pub fn dead_letters(&self) -> &DeadLetters {
        &self.inner.dead_letters
    }

    /// A snapshot of the system's statistics (always kept): actors alive, started and stopped,
    /// crashes by reason, dead letters, restarts and escalations. See
    /// [`monitoring::stats`](crate::monitoring::stats).
    ///
    /// ```
    /// let stats = airssys_rt::ActorSystem::new().statistics();
    /// assert_eq!(stats.crashes.total(), 0);
    /// ```
    pub fn statistics(&self) -> SystemStatistics {
        let inner = &*self.inner;
        inner.counters.snapshot(self.actor_count(), inner.dead_letters.count(), &inner.budget)
    }

    /// A snapshot of the statistics of every live actor, in no particular order; empty unless
    /// the system was built with [`statistics(true)`](SystemBuilder::statistics).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let system = airssys_rt::ActorSystem::builder().statistics(true).build().unwrap();
    /// assert!(system.actor_statistics().is_empty());
    /// # }
    /// ```
    pub fn actor_statistics(&self) -> Vec<ActorStatistics> {
        if self.inner.actor_stats.is_none() {
            return Vec::new();
        }
        self.running_actors()
            .iter()
            .filter_map(|cell| {
                let facts = ActorFacts {
                    id: cell.id(),
                    name: cell.name(),
                    actor_type: cell.actor_type(),
                    state: cell.state(),
                    mailbox_depth: cell.mailbox_len(),
                    restarts: cell.supervision().map(|supervision| supervision.restarts),
                };
                stats::snapshot(self, facts)
            })
            .collect()
    }

    fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    pub(crate) fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    /// Takes back the spare budget credit of every mailbox: a sweep over all actors, done once
    /// each time the budget runs short.
    pub(crate) fn reclaim_budget_credit(&self) {
        for cell in self.running_actors() {
            cell.reclaim_budget_credit();
        }
    }

    pub(crate) fn counters(&self) -> &SystemCounters {
        &self.inner.counters
    }

    pub(crate) fn actor_stats_table(&self) -> Option<&ActorStatsTable> {
        self.inner.actor_stats.as_ref()
    }

    /// The crash reports: one for every abnormal exit, the latest of them kept. See the
    /// [`crash`](crate::monitoring::crash) module.
    ///
    /// ```
    /// assert_eq!(airssys_rt::ActorSystem::new().crash_reports().count(), 0);
    /// ```
    pub fn crash_reports(&self) -> &CrashReports {
        &self.inner.crash_reports
    }

    /// Whether [`shutdown`](Self::shutdown) has begun; spawning then fails.
    ///
    /// ```
    /// assert!(!airssys_rt::ActorSystem::new().is_shutting_down());
    /// ```
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::Acquire)
    }

    /// Stops every actor, and returns when none is left.
    ///
    /// New spawns are refused from the start. Every live actor is stopped with
    /// [`ExitReason::Shutdown`](crate::ExitReason::Shutdown) (it finishes its current message and
    /// runs `post_stop`); those still running after the shutdown timeout are killed. The
    /// shutdown runs in a task of its own, so it goes on to its end even if the caller stops
    /// waiting; calling it again waits for the same end and returns the same report.
    ///
    /// Called from the own hook or handler of one of this system's actors, it begins the
    /// shutdown and returns at once, without waiting (the actor is one of those it stops, and
    /// could not end while it waits): the report then says
    /// [`finished`](ShutdownReport::finished) `false`, as Erlang's `init:stop/0` returns before
    /// the system has stopped. An actor of another system waits, as any caller does.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime with its timer enabled (the shutdown timeout needs Tokio's clock).
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// let system = airssys_rt::ActorSystem::new();
    /// let report = system.shutdown().await;
    /// assert_eq!((report.stopped, report.killed), (0, 0));
    /// assert!(report.finished);
    /// # }
    /// ```
    pub async fn shutdown(&self) -> ShutdownReport {
        if !self.inner.shutting_down.swap(true, Ordering::AcqRel) {
            self.begin_shutdown();
        }
        // Only an actor of this system waits on itself: one of another system (which may own
        // this one) waits for the end like any caller. The actors whose polls enclose the
        // running one's count too: they await it (a start from one of this system's handlers).
        if crate::kernel::actor::current::any_waiting(|id| self.runs(id)) {
            return ShutdownReport { stopped: 0, killed: 0, finished: false };
        }
        loop {
            let mut done = pin!(self.inner.shutdown_done.notified());
            done.as_mut().enable();
            if let Some(report) = self.inner.shutdown_report.get() {
                return *report;
            }
            // Its task was dropped unfinished: this caller carries it on, in its own future
            // (a task spawned on a runtime that is itself shutting down would be dropped at
            // once, and taken up again, for ever).
            if self.inner.shutdown_orphaned.swap(false, Ordering::AcqRel) {
                return self.finish(Finisher { system: self.clone() }).await;
            }
            done.await;
        }
    }

    /// Whether `id` is one of this system's live actors. A walk of the table: only a
    /// shutdown called from inside an actor asks.
    fn runs(&self, id: crate::kernel::actor::ActorId) -> bool {
        self.inner.actors.lock().iter().any(|(_, cell)| cell.id() == id)
    }

    /// Stops the roots of the trees and hands the rest of the shutdown to a task.
    fn begin_shutdown(&self) {
        let running = self.running_actors();
        let before = running.len();
        // Children before parents: supervised actors are stopped by their supervisors, in
        // their reverse start order; the system stops only the roots of the trees.
        for cell in running.iter().filter(|cell| !cell.is_supervised()) {
            cell.stop(crate::ExitReason::Shutdown);
        }
        drop(running);
        self.inner.shutdown_before.store(before, Ordering::Release);
        self.spawn_finisher();
    }

    /// Runs the rest of the shutdown in a task of its own, on the caller's runtime.
    fn spawn_finisher(&self) {
        // Made here, not in the task: a task dropped before its first poll drops it too.
        let finisher = Finisher { system: self.clone() };
        tokio::spawn(async move {
            let system = finisher.system.clone();
            system.finish(finisher).await;
        });
    }

    /// Finishes the shutdown and publishes its report. Dropped before the end, it leaves the
    /// rest to the next caller (see `Finisher`).
    async fn finish(&self, finisher: Finisher) -> ShutdownReport {
        let before = self.inner.shutdown_before.load(Ordering::Acquire);
        let report = self.finish_shutdown(before).await;
        let report = *self.inner.shutdown_report.get_or_init(|| report);
        self.inner.shutdown_done.notify_waiters();
        drop(finisher);
        report
    }

    /// Waits for the actors to end, kills those left at the shutdown timeout, and counts.
    async fn finish_shutdown(&self, before: usize) -> ShutdownReport {
        let timeout = self.inner.config.shutdown_timeout;
        if tokio::time::timeout(timeout, self.wait_until_empty()).await.is_ok() {
            self.inner.deadlines.close();
            return ShutdownReport { stopped: before, killed: 0, finished: true };
        }
        let remaining = self.running_actors();
        let killed = remaining.len();
        for cell in &remaining {
            cell.kill();
        }
        drop(remaining);
        self.wait_until_empty().await;
        // No ask can be pending any more: every actor has ended and no new one can start.
        self.inner.deadlines.close();
        ShutdownReport { stopped: before.saturating_sub(killed), killed, finished: true }
    }

    pub(crate) fn deadlines(&self) -> &Arc<deadlines::Deadlines> {
        &self.inner.deadlines
    }

    pub(crate) fn running_actors(&self) -> Vec<Arc<dyn ErasedCell>> {
        self.inner.actors.lock().iter().map(|(_, cell)| Arc::clone(cell)).collect()
    }

    async fn wait_until_empty(&self) {
        loop {
            let mut stopped = pin!(self.inner.all_stopped.notified());
            stopped.as_mut().enable();
            if self.inner.unannounced.load(Ordering::Acquire) == 0 {
                return;
            }
            stopped.await;
        }
    }

    /// Counts a new actor in (or refuses it), registers its name and tracks it for shutdown.
    /// Returns its slot in the table of live actors.
    pub(crate) fn admit<C: ErasedCell>(&self, cell: Arc<C>) -> Result<usize, SpawnError> {
        let inner = &*self.inner;
        // Admission happens under the table's lock, and `shutdown` raises its flag before it
        // reads the table: an actor is either refused or seen by the shutdown, never neither.
        let mut actors = inner.actors.lock();
        if inner.shutting_down.load(Ordering::Acquire) {
            return Err(SpawnError::ShuttingDown);
        }
        let limit = inner.config.max_actors;
        if inner.live.load(Ordering::Acquire) >= limit {
            return Err(SpawnError::TooManyActors { limit });
        }
        let cell: Arc<dyn ErasedCell> = cell;
        if let Some(name) = cell.name() {
            inner.registry.admit(&name, &cell)?;
        }
        inner.live.fetch_add(1, Ordering::AcqRel);
        inner.counters.count_start();
        inner.unannounced.fetch_add(1, Ordering::AcqRel);
        Ok(actors.insert(cell))
    }

    /// Removes an ending actor from the table of live actors and from the name registry.
    pub(crate) fn forget(&self, slot: usize, id: ActorId, name: Option<&Arc<str>>) {
        let inner = &*self.inner;
        drop(inner.actors.lock().try_remove(slot));
        if let Some(name) = name {
            inner.registry.release(name, id);
        }
    }

    /// Counts an ending actor out of `actor_count`.
    pub(crate) fn count_exit(&self) {
        self.inner.live.fetch_sub(1, Ordering::AcqRel);
    }

    /// Notes that an actor's end has been announced; the last one wakes `shutdown`.
    pub(crate) fn count_announced(&self) {
        if self.inner.unannounced.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.all_stopped.notify_waiters();
        }
    }
}

/// Whoever finishes the shutdown (its task, or a caller that took it up). Should it be dropped
/// unfinished (the task's runtime shut down, the caller gave up), whoever waits for the
/// report, or calls `shutdown` next, carries it on (S7): else they would wait for ever.
struct Finisher {
    system: ActorSystem,
}

impl Drop for Finisher {
    fn drop(&mut self) {
        let inner = &self.system.inner;
        if inner.shutdown_report.get().is_none() {
            inner.shutdown_orphaned.store(true, Ordering::Release);
            inner.shutdown_done.notify_waiters();
        }
    }
}

impl Default for ActorSystem {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ActorSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorSystem")
            .field("actors", &self.actor_count())
            .field("shutting_down", &self.is_shutting_down())
            .finish_non_exhaustive()
    }
}

/// The settings of an [`ActorSystem`].
///
/// ```
/// let config = airssys_rt::ActorSystem::new().config().clone();
/// assert_eq!(config.shutdown_timeout(), std::time::Duration::from_secs(5));
/// ```
#[derive(Clone, Debug)]
pub struct SystemConfig {
    mailbox: MailboxConfig,
    ask_timeout: Duration,
    max_actors: usize,
    shutdown_timeout: Duration,
    dead_letter_history: usize,
    statistics: bool,
    crash_report_history: usize,
    message_budget: usize,
    over_budget: BudgetPolicy,
}

/// The default `ask` timeout: 5 s, as OTP's `gen_server:call`.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_ASK_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_ASK_TIMEOUT: Duration = Duration::from_secs(5);
/// The default limit on live actors: 1,048,576, the BEAM's default process limit.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_MAX_ACTORS, 1_048_576);
/// ```
pub const DEFAULT_MAX_ACTORS: usize = 1 << 20;
/// How long [`ActorSystem::shutdown`] waits for graceful stops before killing: 5 s, as OTP's
/// default shutdown for a worker.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_SHUTDOWN_TIMEOUT.as_secs(), 5);
/// ```
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// How many dead letters are kept for inspection by default.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_DEAD_LETTER_HISTORY, 128);
/// ```
pub const DEFAULT_DEAD_LETTER_HISTORY: usize = 128;
/// How many crash reports are kept for inspection by default.
///
/// ```
/// assert_eq!(airssys_rt::system::DEFAULT_CRASH_REPORT_HISTORY, 64);
/// ```
pub const DEFAULT_CRASH_REPORT_HISTORY: usize = 64;

impl Default for SystemConfig {
    fn default() -> Self {
        Self {
            mailbox: MailboxConfig::default(),
            ask_timeout: DEFAULT_ASK_TIMEOUT,
            max_actors: DEFAULT_MAX_ACTORS,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            dead_letter_history: DEFAULT_DEAD_LETTER_HISTORY,
            statistics: false,
            crash_report_history: DEFAULT_CRASH_REPORT_HISTORY,
            message_budget: DEFAULT_MESSAGE_BUDGET,
            over_budget: BudgetPolicy::Reject,
        }
    }
}

impl SystemConfig {
    /// The mailbox an actor gets unless its spawn says otherwise.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert!(system.config().mailbox().is_bounded());
    /// ```
    pub fn mailbox(&self) -> MailboxConfig {
        self.mailbox
    }

    /// How long an `ask` waits unless the call sets its own timeout.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().ask_timeout(), airssys_rt::system::DEFAULT_ASK_TIMEOUT);
    /// ```
    pub fn ask_timeout(&self) -> Duration {
        self.ask_timeout
    }

    /// The most actors alive at once.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().max_actors(), airssys_rt::system::DEFAULT_MAX_ACTORS);
    /// ```
    pub fn max_actors(&self) -> usize {
        self.max_actors
    }

    /// How long `shutdown` waits for graceful stops before it kills.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().shutdown_timeout(), airssys_rt::system::DEFAULT_SHUTDOWN_TIMEOUT);
    /// ```
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// How many dead letters are kept for inspection.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().dead_letter_history(), airssys_rt::system::DEFAULT_DEAD_LETTER_HISTORY);
    /// ```
    pub fn dead_letter_history(&self) -> usize {
        self.dead_letter_history
    }

    /// Whether per-actor statistics are kept.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert!(!system.config().statistics());
    /// ```
    pub fn statistics(&self) -> bool {
        self.statistics
    }

    /// How many crash reports are kept for inspection.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().crash_report_history(), airssys_rt::system::DEFAULT_CRASH_REPORT_HISTORY);
    /// ```
    pub fn crash_report_history(&self) -> usize {
        self.crash_report_history
    }

    /// How many messages may wait in the system's unbounded mailboxes together.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().message_budget(), airssys_rt::mailbox::DEFAULT_MESSAGE_BUDGET);
    /// ```
    pub fn message_budget(&self) -> usize {
        self.message_budget
    }

    /// What a send to an unbounded mailbox does once the message budget is spent.
    ///
    /// ```
    /// # let system = airssys_rt::ActorSystem::new();
    /// assert_eq!(system.config().over_budget(), airssys_rt::mailbox::BudgetPolicy::Reject);
    /// ```
    pub fn over_budget(&self) -> BudgetPolicy {
        self.over_budget
    }
}

/// Changes an [`ActorSystem`]'s defaults; made by [`ActorSystem::builder`].
///
/// ```
/// use std::time::Duration;
/// let system = airssys_rt::ActorSystem::builder()
///     .shutdown_timeout(Duration::from_millis(500))
///     .dead_letter_history(16)
///     .build()
///     .unwrap();
/// assert_eq!(system.config().dead_letter_history(), 16);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct SystemBuilder {
    config: SystemConfig,
}

impl SystemBuilder {
    /// The mailbox every actor gets unless its spawn says otherwise.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// let system = airssys_rt::ActorSystem::builder().mailbox(MailboxConfig::bounded(8)).build().unwrap();
    /// assert_eq!(system.config().mailbox().capacity(), Some(8));
    /// ```
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.config.mailbox = mailbox;
        self
    }

    /// How long an `ask` waits unless the call sets its own timeout.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().ask_timeout(std::time::Duration::from_secs(1)).build().unwrap();
    /// assert_eq!(system.config().ask_timeout().as_secs(), 1);
    /// ```
    pub fn ask_timeout(mut self, timeout: Duration) -> Self {
        self.config.ask_timeout = timeout;
        self
    }

    /// The most actors alive at once; spawning past it fails with
    /// [`SpawnError::TooManyActors`].
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().max_actors(2_000_000).build().unwrap();
    /// assert_eq!(system.config().max_actors(), 2_000_000);
    /// ```
    pub fn max_actors(mut self, limit: usize) -> Self {
        self.config.max_actors = limit;
        self
    }

    /// How long `shutdown` waits for graceful stops before it kills.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().shutdown_timeout(std::time::Duration::ZERO).build().unwrap();
    /// assert!(system.config().shutdown_timeout().is_zero());
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// How many of the latest dead letters are kept for inspection (0 keeps only the count).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().dead_letter_history(0).build().unwrap();
    /// assert_eq!(system.config().dead_letter_history(), 0);
    /// ```
    pub fn dead_letter_history(mut self, size: usize) -> Self {
        self.config.dead_letter_history = size;
        self
    }

    /// Keeps per-actor [statistics](crate::monitoring::stats) (off by default): messages
    /// received and handled, mailbox depths, handling times, dead letters. Off, they cost
    /// nothing; on, a few relaxed stores per message and a clock read for one message in
    /// [`SAMPLE_EVERY`](crate::monitoring::stats::SAMPLE_EVERY). System statistics are kept
    /// either way.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().statistics(true).build().unwrap();
    /// assert!(system.config().statistics());
    /// ```
    pub fn statistics(mut self, on: bool) -> Self {
        self.config.statistics = on;
        self
    }

    /// How many of the latest [crash reports](crate::monitoring::crash) are kept for
    /// inspection (0 keeps only the count).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().crash_report_history(8).build().unwrap();
    /// assert_eq!(system.config().crash_report_history(), 8);
    /// ```
    pub fn crash_report_history(mut self, size: usize) -> Self {
        self.config.crash_report_history = size;
        self
    }

    /// How many messages may wait in all the unbounded mailboxes of the system together
    /// (default [`DEFAULT_MESSAGE_BUDGET`]); past it, sends to unbounded mailboxes are refused
    /// or shed, as [`over_budget`](Self::over_budget) says, and
    /// [`ActorSystem::health`] reports the system degraded. Bounded mailboxes do not count
    /// against it. Zero is refused by [`build`](Self::build).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::builder().message_budget(100_000).build().unwrap();
    /// assert_eq!(system.config().message_budget(), 100_000);
    /// ```
    pub fn message_budget(mut self, messages: usize) -> Self {
        self.config.message_budget = messages;
        self
    }

    /// What a send to an unbounded mailbox does once the message budget is spent: handed back
    /// to the sender ([`BudgetPolicy::Reject`], the default) or made a dead letter
    /// ([`BudgetPolicy::Shed`]).
    ///
    /// ```
    /// use airssys_rt::mailbox::BudgetPolicy;
    /// let system = airssys_rt::ActorSystem::builder().over_budget(BudgetPolicy::Shed).build().unwrap();
    /// assert_eq!(system.config().over_budget(), BudgetPolicy::Shed);
    /// ```
    pub fn over_budget(mut self, policy: BudgetPolicy) -> Self {
        self.config.over_budget = policy;
        self
    }

    /// The system, if the settings are usable.
    ///
    /// ```
    /// use airssys_rt::system::ConfigError;
    /// let refused = airssys_rt::ActorSystem::builder().max_actors(0).build();
    /// assert!(matches!(refused, Err(ConfigError::ZeroMaxActors)));
    /// ```
    pub fn build(self) -> Result<ActorSystem, ConfigError> {
        self.config.mailbox.validate()?;
        if self.config.max_actors == 0 {
            return Err(ConfigError::ZeroMaxActors);
        }
        if self.config.message_budget == 0 {
            return Err(ConfigError::ZeroMessageBudget);
        }
        Ok(ActorSystem::from_config(self.config))
    }
}

/// Settings the [`SystemBuilder`] refuses.
///
/// ```
/// use airssys_rt::mailbox::MailboxConfig;
/// let refused = airssys_rt::ActorSystem::builder().mailbox(MailboxConfig::bounded(0)).build();
/// assert!(refused.is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The default mailbox cannot be used.
    #[error("invalid default mailbox: {0}")]
    InvalidMailbox(#[from] MailboxConfigError),
    /// A system that may run no actor.
    #[error("max_actors must be at least 1")]
    ZeroMaxActors,
    /// A message budget that no message fits in.
    #[error("message_budget must be at least 1")]
    ZeroMessageBudget,
}

/// How to spawn one actor: its name and mailbox.
///
/// ```
/// use airssys_rt::prelude::*;
/// let options = SpawnOptions::new().name("cache").mailbox(MailboxConfig::unbounded());
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SpawnOptions {
    name: Option<Arc<str>>,
    mailbox: Option<MailboxConfig>,
}

impl SpawnOptions {
    /// Anonymous, with the system's default mailbox.
    ///
    /// ```
    /// let _ = airssys_rt::system::SpawnOptions::new();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the actor under this name. The spawn fails with [`SpawnError::InvalidName`]
    /// if it is not a valid name (see [`check_name`]).
    ///
    /// ```
    /// let _ = airssys_rt::system::SpawnOptions::new().name("logger");
    /// ```
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Gives the actor this mailbox instead of the system's default.
    ///
    /// ```
    /// use airssys_rt::mailbox::MailboxConfig;
    /// let _ = airssys_rt::system::SpawnOptions::new().mailbox(MailboxConfig::bounded(4));
    /// ```
    pub fn mailbox(mut self, mailbox: MailboxConfig) -> Self {
        self.mailbox = Some(mailbox);
        self
    }
}

/// Why an actor could not be spawned.
///
/// ```
/// use airssys_rt::system::SpawnError;
/// let error = SpawnError::TooManyActors { limit: 10 };
/// assert_eq!(error.to_string(), "the system already runs its limit of 10 actors");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The name to register the actor under is not a valid name (see
    /// [`check_name`]).
    #[error("invalid name: {0}")]
    InvalidName(NameProblem),
    /// Another live actor is registered under this name.
    #[error("the name {name:?} is already registered to actor {owner}")]
    NameTaken {
        /// The name asked for.
        name: Arc<str>,
        /// The actor that holds it.
        owner: ActorId,
    },
    /// The system runs as many actors as it may.
    #[error("the system already runs its limit of {limit} actors")]
    TooManyActors {
        /// The configured limit.
        limit: usize,
    },
    /// The system is shutting down and takes no new actors.
    #[error("the system is shutting down")]
    ShuttingDown,
    /// The mailbox configuration cannot be used.
    #[error("invalid mailbox: {0}")]
    InvalidMailbox(#[from] MailboxConfigError),
    /// `pre_start` failed or panicked (or the actor was killed while starting).
    #[error("the actor failed to start: {0}")]
    StartFailed(crate::ExitReason),
}

/// What [`ActorSystem::shutdown`] had to do.
///
/// ```
/// # #[tokio::main] async fn main() {
/// let report = airssys_rt::ActorSystem::new().shutdown().await;
/// assert_eq!(report.stopped + report.killed, 0);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Actors that ended within the shutdown timeout.
    pub stopped: usize,
    /// Actors that had to be killed after it.
    pub killed: usize,
    /// Whether the shutdown had ended when this report was made: `false` for a
    /// [`shutdown`](ActorSystem::shutdown) called from an actor's own hook or handler, which
    /// returns at once (and then counts nothing).
    pub finished: bool,
}
