//! The actor system: the table of live actors, spawning, counting and shutting down.

use std::fmt;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use slab::Slab;
use tokio::sync::Notify;

use super::extensions::Extensions;
use super::{LookupError, ShutdownReport, SpawnError, SpawnOptions, SystemBuilder, SystemConfig};
use crate::kernel::actor::{self, Actor, ActorId, ActorRef, ErasedCell};
use crate::kernel::crash::CrashReports;
use crate::kernel::dead_letter::DeadLetters;
use crate::kernel::mailbox::budget::Budget;
use crate::kernel::registry::{check_name, Registry};
use crate::kernel::stats::{
    self, ActorFacts, ActorStatistics, ActorStatsTable, SystemCounters, SystemStatistics,
};
use crate::kernel::AnyActor;

/// The runtime's home: spawns actors and shuts them down. Cloning gives another handle to the
/// same system.
///
/// See the [module documentation](crate::system) for the defaults.
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
    deadlines: Arc<super::deadlines::Deadlines>,
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

    pub(super) fn from_config(config: SystemConfig) -> Self {
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
                deadlines: Arc::new(super::deadlines::Deadlines::new()),
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
    /// # Panics
    ///
    /// Outside a Tokio runtime: the actor runs as a Tokio task.
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
    /// # Panics
    ///
    /// Outside a Tokio runtime: the actor runs as a Tokio task.
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
    /// # Panics
    ///
    /// Outside a Tokio runtime: the actor runs as a Tokio task.
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
    /// [`telemetry::stats`](crate::telemetry::stats).
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

    pub(super) fn extensions(&self) -> &Extensions {
        &self.inner.extensions
    }

    pub(crate) fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    /// Whether the [message budget](SystemBuilder::message_budget) is spent now: unbounded
    /// mailboxes then refuse or shed what is sent to them (B3), and the system's
    /// [health](crate::telemetry::health) is at least degraded (B6). The budget's size is
    /// [`config().message_budget()`](SystemConfig::message_budget).
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert!(!system.is_over_budget());
    /// ```
    pub fn is_over_budget(&self) -> bool {
        self.inner.budget.is_over()
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
    /// [`crash`](crate::telemetry::crash) module.
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
            // No name is registered again: a `NamedRef` send waiting for one fails now with
            // `Gone` (T28), not at its timeout. Woken after the flag is set, which it reads.
            self.registry().registrations().notify_waiters();
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

    pub(crate) fn deadlines(&self) -> &Arc<super::deadlines::Deadlines> {
        &self.inner.deadlines
    }

    pub(crate) fn running_actors(&self) -> Vec<Arc<dyn ErasedCell>> {
        self.inner.actors.lock().iter().map(|(_, cell)| Arc::clone(cell)).collect()
    }

    /// The actors alive in this system now, as erased handles, in no particular order: what a
    /// view over the whole system (inspection, health) starts from. A snapshot: an actor spawned
    /// after it is not in it, and one in it may have ended since. Each handle tells its actor's
    /// id, name, type, state, mailbox length, [parent](AnyActor::parent) and
    /// [place in its tree](AnyActor::tree_place); it does not keep the actor alive.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # struct Idle;
    /// # #[actor]
    /// # impl Actor for Idle {
    /// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
    /// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
    /// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let idle = system.spawn_named::<Idle>("idle", ()).await?;
    /// let actors = system.actors();
    /// assert_eq!(actors.len(), 1);
    /// assert_eq!(actors[0].id(), idle.id());
    /// assert_eq!(actors[0].name().as_deref(), Some("idle"));
    /// system.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn actors(&self) -> Vec<AnyActor> {
        self.running_actors().into_iter().map(AnyActor::from_cell).collect()
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
