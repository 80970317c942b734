//! The soak test: a supervision tree under random faults for a while, with exact accounting.
//!
//! On a multi-thread runtime (2 workers), a root supervisor runs three child supervisors
//! (`OneForOne`, `OneForAll`, `RestForOne`) of permanent, transient and temporary workers whose
//! bounded mailboxes use every overflow policy, and a pool behind a router. Sender tasks send
//! numbered messages (`tell`, `try_tell`, bursts that fill the mailboxes, `ask` with short
//! timeouts, routed `tell` / `try_tell` / `ask`) while a chaos task, driven by the same seeded
//! generator, makes handlers panic, fail and stop, kills and stops workers, kills middle
//! supervisors, and starts restart storms that make a supervisor give up (then the root
//! restarts it).
//!
//! What it checks, exactly, for every message:
//! - each one a send accepted is either handled once (its handler entered) or a dead letter,
//!   never both, never twice, never neither; each one handed back (`Full`, `Closed`) is neither;
//!   what each `ask` returned agrees (`Ok` only for a handled one, whose id is the reply;
//!   `Dropped` only for a dead letter);
//! - the dead letters of the workers' message type that the system recorded (counted from its
//!   `tracing` event, which carries the message type) are exactly the messages that were
//!   dropped unhandled: a message dropped without a dead letter would be a lost one;
//! - after `shutdown`, no actor is left and `statistics()` agrees (`started == stopped`);
//! - once the system is dropped and Tokio's tasks have finished, the live heap (bytes and
//!   blocks, from a counting allocator) is back where it was after a warm-up round, within
//!   `HEAP_SLACK_*` (see there why any slack at all): far less than one block per actor started
//!   or per message, so such a leak fails the test.
//!
//! Run it longer, or replay a seed (printed with every failure):
//!
//! ```sh
//! AIRSSYS_SOAK_SECS=60 cargo test -p airssys-rt --release --test soak
//! AIRSSYS_SOAK_SEED=12345 cargo test -p airssys-rt --release --test soak
//! ```
//!
//! A seed fixes the choices of the generators, not the interleaving of two threads, so a replay
//! repeats the same kinds of fault in the same order but not always the same race.
//!
//! Wall-clock time is used only for the length of the run (and the asks' own timeouts, which
//! are part of what is tested); every wait is on an event, bounded by `PATIENCE`.

#[path = "../benches/support/counting.rs"]
mod counting;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;
use airssys_rt::supervisor::SupervisorRef;
use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

/// How long the main round runs unless `AIRSSYS_SOAK_SECS` says otherwise: short for CI.
const DEFAULT_SECS: f64 = 3.0;
/// The warm-up round, which creates once what the runtime, Tokio and std keep for good.
const WARM_UP: Duration = Duration::from_millis(400);
/// Every wait on an event gives up after this long, failing with what it waited for.
const PATIENCE: Duration = Duration::from_secs(60);

/// How far the live heap may end above its start. The warm-up round has already created what
/// is kept for the life of the process or the runtime (thread-locals such as `fastrand`'s and
/// `parking_lot`'s, the panic machinery, `tracing`'s callsite cache, Tokio's timer wheel), but
/// Tokio keeps buffers whose capacity only grows with the load they have seen (e.g. each
/// worker's list of the tasks deferred by `yield_now`, kept at its largest): a busier round
/// may leave them larger. Measured: 0 blocks and at most a few hundred bytes. A leak of one
/// block per actor started (at least `MIN_ACTORS_STARTED`, thousands in practice) or per
/// message (millions) is far above both bounds.
const HEAP_SLACK_BLOCKS: isize = 32;
const HEAP_SLACK_BYTES: isize = 32 * 1024;
/// The main round runs on past its length until at least this many actors have started.
const MIN_ACTORS_STARTED: u64 = 1_000;

// ------------------------------------------------------------------ the ledger of messages

/// What happened to a message, set once by the runtime's side of its life: the low 2 bits.
const HANDLED: u8 = 1;
const DEAD: u8 = 2;
const RETURNED: u8 = 3;
const OUTCOME: u8 = 0b11;

/// What its sender was told, set once: the bits above `OUTCOME`.
const ACCEPTED: u8 = 1 << 2;
const HANDED_BACK: u8 = 2 << 2;
const ANSWERED: u8 = 3 << 2;
const ASK_DROPPED: u8 = 4 << 2;
const VERDICT: u8 = 0b111 << 2;

/// One byte per message id: its outcome and its sender's verdict.
#[derive(Default)]
struct Ledger {
    states: Mutex<Vec<u8>>,
    /// The first few settlements that found one already made (handled twice, handled and
    /// dead, ...), as (id, state before, what was being set).
    violations: Mutex<Vec<(u64, u8, u8)>>,
    violation_count: AtomicU64,
}

impl Ledger {
    fn issue(self: &Arc<Self>) -> Ticket {
        let mut states = self.states.lock();
        let id = states.len() as u64;
        states.push(0);
        Ticket { id, ledger: Arc::clone(self), settled: false }
    }

    fn set(&self, id: u64, bits: u8, field: u8) {
        let mut states = self.states.lock();
        let state = &mut states[id as usize];
        if *state & field != 0 {
            let before = *state;
            drop(states);
            self.violation_count.fetch_add(1, Ordering::Relaxed);
            let mut violations = self.violations.lock();
            if violations.len() < 16 {
                violations.push((id, before, bits));
            }
            return;
        }
        *state |= bits;
    }

    fn verdict(&self, id: u64, verdict: u8) {
        self.set(id, verdict, VERDICT);
    }

    fn audit(&self) -> Audit {
        let mut audit = Audit {
            violations: self.violation_count.load(Ordering::Relaxed),
            first_violations: self.violations.lock().clone(),
            ..Audit::default()
        };
        for (id, &state) in self.states.lock().iter().enumerate() {
            let outcome = state & OUTCOME;
            let verdict = state & VERDICT;
            audit.issued += 1;
            match outcome {
                HANDLED => audit.handled += 1,
                DEAD => audit.dead += 1,
                RETURNED => audit.returned += 1,
                _ => audit.unsettled += 1,
            }
            let agrees = matches!(
                (verdict, outcome),
                (ACCEPTED, HANDLED | DEAD)
                    | (HANDED_BACK, RETURNED)
                    | (ANSWERED, HANDLED)
                    | (ASK_DROPPED, DEAD)
            );
            if !agrees {
                audit.disagreements += 1;
                if audit.first_disagreements.len() < 16 {
                    audit.first_disagreements.push((id as u64, state));
                }
            }
        }
        audit
    }
}

/// The ledger's totals, taken once every message has met its end.
#[derive(Debug, Default)]
struct Audit {
    issued: u64,
    handled: u64,
    dead: u64,
    returned: u64,
    /// Neither handled, nor dropped, nor handed back: lost or still held somewhere.
    unsettled: u64,
    /// Settled twice (e.g. handled twice): must be 0.
    violations: u64,
    first_violations: Vec<(u64, u8, u8)>,
    /// The outcome contradicts what the sender was told (or the sender was told nothing).
    disagreements: u64,
    first_disagreements: Vec<(u64, u8)>,
}

/// A message's identity. Handling it or handing it back settles it; dropped unsettled (by a
/// mailbox's overflow policy, or as its actor ends) it records itself as dead.
struct Ticket {
    id: u64,
    ledger: Arc<Ledger>,
    settled: bool,
}

impl Ticket {
    fn settle(mut self, outcome: u8) -> u64 {
        self.settled = true;
        self.ledger.set(self.id, outcome, OUTCOME);
        self.id
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.settled {
            self.ledger.set(self.id, DEAD, OUTCOME);
        }
    }
}

// ------------------------------------------------------------------ dead letters by type

/// Dead letters of the workers' message type, and of any other type, counted from the event
/// the runtime emits for each (target `airssys_rt::dead_letter`, field `message_type`): exact
/// however many there are, unlike the bounded history.
static WORKER_DEAD_LETTERS: AtomicU64 = AtomicU64::new(0);
static OTHER_DEAD_LETTERS: AtomicU64 = AtomicU64::new(0);

const DEAD_LETTER_TARGET: &str = "airssys_rt::dead_letter";

struct DeadLetterCounter;

struct MessageType(bool);

impl Visit for MessageType {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message_type" && value == std::any::type_name::<Job>() {
            self.0 = true;
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl Subscriber for DeadLetterCounter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && metadata.target() == DEAD_LETTER_TARGET
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Never called: no span is enabled.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut message_type = MessageType(false);
        event.record(&mut message_type);
        let counter = if message_type.0 { &WORKER_DEAD_LETTERS } else { &OTHER_DEAD_LETTERS };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

// ------------------------------------------------------------------ the workers

enum Action {
    Echo,
    /// Yields this many times inside the handler, so that mailboxes fill up meanwhile.
    Linger(u8),
    Panic,
    Fail,
    StopSelf,
}

/// The one message type of every worker: a ticket and what to do.
struct Job {
    ticket: Ticket,
    action: Action,
}

#[derive(Debug, thiserror::Error)]
#[error("injected failure")]
struct Injected;

const INJECTED_PANIC: &str = "injected fault";

/// The worker in each named slot, as it registered itself when it started.
#[derive(Default)]
struct Directory {
    slots: [Mutex<Option<ActorRef<Worker>>>; SLOTS.len()],
}

impl Directory {
    fn get(&self, slot: usize) -> Option<ActorRef<Worker>> {
        self.slots[slot].lock().clone()
    }

    fn clear(&self) {
        for slot in &self.slots {
            slot.lock().take();
        }
    }
}

#[derive(Clone)]
struct WorkerArgs {
    /// Where to register, for a named slot; `None` for the pool's workers.
    home: Option<(Arc<Directory>, usize)>,
}

struct Worker;

#[actor]
impl Actor for Worker {
    type Msg = Job;
    type Reply = u64;
    type Args = WorkerArgs;
    type Error = Injected;

    async fn pre_start(args: WorkerArgs, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        if let Some((directory, slot)) = args.home {
            *directory.slots[slot].lock() = Some(ctx.actor_ref());
        }
        Ok(Worker)
    }

    async fn handle(&mut self, job: Job, ctx: &mut Context<Self>) -> Result<u64, Self::Error> {
        let Job { ticket, action } = job;
        // Handled means the handler was entered: whatever happens next (a kill at an await, a
        // panic), the message was not lost.
        let id = ticket.settle(HANDLED);
        match action {
            Action::Echo => {}
            Action::Linger(yields) => {
                for _ in 0..yields {
                    tokio::task::yield_now().await;
                }
            }
            Action::Panic => panic!("{INJECTED_PANIC}"),
            Action::Fail => return Err(Injected),
            Action::StopSelf => ctx.stop(),
        }
        Ok(id)
    }
}

// ------------------------------------------------------------------ the tree

struct SlotPlan {
    group: usize,
    id: &'static str,
    restart: Restart,
    mailbox: MailboxConfig,
}

const fn slot(
    group: usize,
    id: &'static str,
    restart: Restart,
    mailbox: MailboxConfig,
) -> SlotPlan {
    SlotPlan { group, id, restart, mailbox }
}

const fn bounded(capacity: usize, policy: OverflowPolicy) -> MailboxConfig {
    MailboxConfig::bounded(capacity).overflow(policy)
}

/// The child supervisors: id, strategy, restarts allowed per second. `gamma` gives up easily,
/// so that restart storms escalate to the root.
const GROUPS: [(&str, Strategy, u32); 3] = [
    ("alpha", Strategy::OneForOne, 50),
    ("beta", Strategy::OneForAll, 50),
    ("gamma", Strategy::RestForOne, 3),
];
const GAMMA: usize = 2;

const SLOTS: [SlotPlan; 9] = [
    slot(0, "a0", Restart::Permanent, bounded(4, OverflowPolicy::Wait)),
    slot(0, "a1", Restart::Transient, bounded(4, OverflowPolicy::Reject)),
    slot(0, "a2", Restart::Temporary, bounded(4, OverflowPolicy::DropNewest)),
    slot(1, "b0", Restart::Permanent, bounded(4, OverflowPolicy::DropOldest)),
    slot(1, "b1", Restart::Transient, MailboxConfig::unbounded()),
    slot(1, "b2", Restart::Permanent, bounded(2, OverflowPolicy::Wait)),
    slot(2, "g0", Restart::Permanent, bounded(2, OverflowPolicy::Reject)),
    slot(2, "g1", Restart::Transient, bounded(2, OverflowPolicy::DropNewest)),
    slot(2, "g2", Restart::Temporary, bounded(2, OverflowPolicy::DropOldest)),
];

const POOL: &str = "pool";
const POOL_SIZE: usize = 3;

/// Everything the senders and the chaos task share.
struct World {
    ledger: Arc<Ledger>,
    directory: Arc<Directory>,
    root: SupervisorRef,
    router: Router<Worker>,
    /// Messages sent so far, by every sender: the chaos task paces itself on it.
    sent: AtomicU64,
    deadline: Instant,
    /// The round goes on past its deadline until this many actors have started, so that the
    /// heap check always has enough of them to tell a leak per actor from the slack.
    min_started: u64,
    system: ActorSystem,
    seed: u64,
}

impl World {
    fn job(&self, action: Action) -> (u64, Job) {
        let ticket = self.ledger.issue();
        (ticket.id, Job { ticket, action })
    }

    fn running(&self) -> bool {
        Instant::now() < self.deadline || self.system.statistics().started < self.min_started
    }

    /// A middle supervisor as its parent, the root, knows it now.
    async fn middle(&self, id: &str) -> Option<ActorRef<Supervisor>> {
        let answer = bounded_wait(self.seed, &format!("the root to name its child {id}"), async {
            self.root.child::<Supervisor>(id).await
        })
        .await;
        answer.ok().flatten()
    }
}

async fn build_tree(system: &ActorSystem, ledger: Arc<Ledger>, seed: u64) -> World {
    let directory = Arc::new(Directory::default());
    let mut root_spec =
        SupervisorSpec::new(Strategy::OneForOne).intensity(u32::MAX, Duration::from_secs(1));
    for (group, (id, strategy, intensity)) in GROUPS.into_iter().enumerate() {
        let mut spec = SupervisorSpec::new(strategy).intensity(intensity, Duration::from_secs(1));
        for (slot, plan) in SLOTS.iter().enumerate().filter(|(_, plan)| plan.group == group) {
            let args = WorkerArgs { home: Some((Arc::clone(&directory), slot)) };
            let options = SpawnOptions::new().mailbox(plan.mailbox);
            spec = spec.child(
                ChildSpec::worker_with::<Worker>(plan.id, options, args).restart(plan.restart),
            );
        }
        root_spec = root_spec.child(ChildSpec::supervisor(id, spec));
    }
    let pool_spec = PoolSpec::new(POOL_SIZE, WorkerArgs { home: None })
        .mailbox(bounded(4, OverflowPolicy::Wait));
    let (pool, router) = Pool::child_spec(POOL, pool_spec).expect("a valid pool specification");
    let root = Supervisor::start(system, root_spec.child(pool)).await.expect("the tree starts");
    World {
        ledger,
        directory,
        root,
        router,
        sent: AtomicU64::new(0),
        deadline: Instant::now(),
        min_started: 0,
        system: system.clone(),
        seed,
    }
}

// ------------------------------------------------------------------ senders

/// What one task's sends came to, by what each send returned.
#[derive(Debug, Default)]
struct Tally {
    accepted: u64,
    handed_back: u64,
    answered: u64,
    ask_timeouts: u64,
    ask_stopped: u64,
    ask_dropped: u64,
    /// Replies that were not the id of the request: must be 0.
    wrong_replies: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.accepted += other.accepted;
        self.handed_back += other.handed_back;
        self.answered += other.answered;
        self.ask_timeouts += other.ask_timeouts;
        self.ask_stopped += other.ask_stopped;
        self.ask_dropped += other.ask_dropped;
        self.wrong_replies += other.wrong_replies;
    }

    fn told(&mut self, ledger: &Ledger, id: u64, sent: Result<(), SendError<Job>>) {
        match sent {
            Ok(()) => {
                self.accepted += 1;
                ledger.verdict(id, ACCEPTED);
            }
            Err(error) => self.hand_back(ledger, error.into_inner()),
        }
    }

    fn hand_back(&mut self, ledger: &Ledger, job: Job) {
        self.handed_back += 1;
        let id = job.ticket.settle(RETURNED);
        ledger.verdict(id, HANDED_BACK);
    }

    fn asked(&mut self, ledger: &Ledger, id: u64, answer: Result<u64, AskError<Job>>) {
        let verdict = match answer {
            Ok(reply) => {
                if reply != id {
                    self.wrong_replies += 1;
                }
                self.answered += 1;
                ANSWERED
            }
            Err(AskError::Full(job) | AskError::Closed(job) | AskError::CallingSelf(job)) => {
                return self.hand_back(ledger, job);
            }
            // Taken, or still waiting: handled later or a dead letter, the ledger will say.
            Err(AskError::Timeout(_)) => {
                self.ask_timeouts += 1;
                ACCEPTED
            }
            Err(AskError::Stopped(_)) => {
                self.ask_stopped += 1;
                ACCEPTED
            }
            Err(AskError::Dropped) => {
                self.ask_dropped += 1;
                ASK_DROPPED
            }
            Err(other) => panic!("a classic worker answers every request it takes: {other}"),
        };
        self.accepted += 1;
        ledger.verdict(id, verdict);
    }
}

fn ordinary_action(rng: &mut fastrand::Rng) -> Action {
    if rng.u8(..4) == 0 {
        Action::Linger(rng.u8(1..6))
    } else {
        Action::Echo
    }
}

async fn send_loop(world: Arc<World>, seed: u64) -> Tally {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let ledger = &world.ledger;
    while world.running() {
        world.sent.fetch_add(1, Ordering::Relaxed);
        let timeout = Duration::from_millis(rng.u64(1..20));
        let slot = rng.usize(..=SLOTS.len());
        if slot == SLOTS.len() {
            let router = &world.router;
            let (id, job) = world.job(ordinary_action(&mut rng));
            match rng.u8(..3) {
                0 => tally.told(ledger, id, router.tell(job).await),
                1 => tally.told(ledger, id, router.try_tell(job)),
                _ => tally.asked(ledger, id, router.ask(job).timeout(timeout).await),
            }
            continue;
        }
        let Some(worker) = world.directory.get(slot) else {
            tokio::task::yield_now().await;
            continue;
        };
        match rng.u8(..4) {
            0 => {
                let (id, job) = world.job(ordinary_action(&mut rng));
                tally.told(ledger, id, worker.tell(job).await);
            }
            1 => {
                let (id, job) = world.job(ordinary_action(&mut rng));
                tally.told(ledger, id, worker.try_tell(job));
            }
            2 => {
                let (id, job) = world.job(ordinary_action(&mut rng));
                tally.asked(ledger, id, worker.ask(job).timeout(timeout).await);
            }
            _ => {
                // A burst: more than any bounded mailbox holds, so its overflow policy acts.
                for _ in 0..8 {
                    let (id, job) = world.job(Action::Linger(1));
                    tally.told(ledger, id, worker.try_tell(job));
                }
                tokio::task::yield_now().await;
            }
        }
    }
    tally
}

// ------------------------------------------------------------------ chaos

/// What the chaos task did, to report and to check against the statistics.
#[derive(Debug, Default)]
struct Chaos {
    faults: u64,
    worker_kills: u64,
    supervisor_kills: u64,
    /// Restart storms after which the stormed supervisor gave up (ended `Shutdown`).
    escalated_storms: u64,
}

async fn chaos_loop(world: Arc<World>, seed: u64) -> (Tally, Chaos) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let mut chaos = Chaos::default();
    let ledger = &world.ledger;
    while world.running() {
        // Paced by the traffic rather than by a clock: one fault per some tens of messages.
        let next = world.sent.load(Ordering::Relaxed) + rng.u64(20..200);
        while world.running() && world.sent.load(Ordering::Relaxed) < next {
            tokio::task::yield_now().await;
        }
        let slot = rng.usize(..SLOTS.len());
        let worker = world.directory.get(slot);
        match rng.u32(..100) {
            0..=44 => {
                let Some(worker) = worker else { continue };
                let action = match rng.u8(..3) {
                    0 => Action::Panic,
                    1 => Action::Fail,
                    _ => Action::StopSelf,
                };
                let (id, job) = world.job(action);
                tally.told(ledger, id, worker.tell(job).await);
                chaos.faults += 1;
            }
            45..=59 => {
                let Some(worker) = worker else { continue };
                worker.kill();
                chaos.worker_kills += 1;
            }
            60..=69 => {
                let Some(worker) = worker else { continue };
                worker.stop();
            }
            70..=84 => {
                let workers = world.router.workers();
                if !workers.is_empty() {
                    workers[rng.usize(..workers.len())].kill();
                    chaos.worker_kills += 1;
                }
            }
            85..=92 => {
                let middle = [GROUPS[0].0, GROUPS[1].0, GROUPS[2].0, POOL][rng.usize(..4)];
                if let Some(supervisor) = world.middle(middle).await {
                    supervisor.kill();
                    chaos.supervisor_kills += 1;
                }
            }
            93..=96 => {
                if storm(&world, GROUPS[GAMMA].0, &mut chaos).await {
                    chaos.escalated_storms += 1;
                }
            }
            _ => {
                if storm(&world, POOL, &mut chaos).await {
                    chaos.escalated_storms += 1;
                }
            }
        }
    }
    (tally, chaos)
}

/// Kills the children of the middle supervisor `id` as fast as they are restarted, until it
/// gives up (more restarts than its intensity allows). Returns whether it ended with
/// `Shutdown`, as a supervisor that gives up does.
async fn storm(world: &World, id: &str, chaos: &mut Chaos) -> bool {
    let Some(supervisor) = world.middle(id).await else { return false };
    let supervisor = SupervisorRef::from(supervisor);
    let waited = format!("the supervisor {id} to give up under a restart storm");
    bounded_wait(world.seed, &waited, async {
        while supervisor.actor().is_alive() {
            // Its children as it knows them; an error means it has just ended.
            let Ok(children) = supervisor.which_children().await else { break };
            let mut killed = false;
            for child in children.iter().filter(|child| child.actor.is_some()) {
                if let Ok(Some(worker)) = supervisor.child::<Worker>(&child.id).await {
                    worker.kill();
                    killed = true;
                    chaos.worker_kills += 1;
                }
            }
            if !killed {
                tokio::task::yield_now().await;
            }
        }
        supervisor.actor().wait_for_exit().await == ExitReason::Shutdown
    })
    .await
}

// ------------------------------------------------------------------ one round

/// Awaits `future`, failing the test with what it waited for if it takes longer than
/// `PATIENCE`: nothing here may hang.
async fn bounded_wait<T>(seed: u64, what: &str, future: impl Future<Output = T>) -> T {
    wait_at_most(PATIENCE, seed, what, future).await
}

async fn wait_at_most<T>(
    patience: Duration,
    seed: u64,
    what: &str,
    future: impl Future<Output = T>,
) -> T {
    match tokio::time::timeout(patience, future).await {
        Ok(value) => value,
        Err(_) => panic!("seed {seed}: waited more than {patience:?} for {what}"),
    }
}

/// Waits until Tokio runs no task any more: the actors' tasks have all finished and dropped
/// what they held.
async fn tasks_finished(seed: u64) {
    let handle = tokio::runtime::Handle::current();
    bounded_wait(seed, "Tokio's tasks to finish", async {
        while handle.metrics().num_alive_tasks() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// What a round came to, in plain numbers (nothing of it on the heap but the `Vec`s of the
/// audit, dropped before the heap is measured again).
#[derive(Debug)]
struct RoundReport {
    tally: Tally,
    chaos: Chaos,
    audit: Audit,
    worker_dead_letters: u64,
    other_dead_letters: u64,
    system_dead_letters: u64,
    statistics_dead_letters: u64,
    actors_started: u64,
    actors_stopped: u64,
    alive_after_shutdown: usize,
    statistics_alive: u64,
    escalations: u64,
    ledger_holders: usize,
}

async fn round(seed: u64, length: Duration, min_started: u64) -> RoundReport {
    let worker_dead_before = WORKER_DEAD_LETTERS.load(Ordering::Relaxed);
    let other_dead_before = OTHER_DEAD_LETTERS.load(Ordering::Relaxed);
    let ledger = Arc::new(Ledger::default());
    let system = ActorSystem::new();
    let mut world = build_tree(&system, Arc::clone(&ledger), seed).await;
    world.deadline = Instant::now() + length;
    world.min_started = min_started;
    let world = Arc::new(world);

    let mut senders = Vec::new();
    for sender in 0..3 {
        senders.push(tokio::spawn(send_loop(Arc::clone(&world), seed.wrapping_add(sender + 1))));
    }
    let chaos = tokio::spawn(chaos_loop(Arc::clone(&world), seed));

    // The senders and the chaos task run for the round's length: patience counts from its end.
    let patience = length + PATIENCE;
    let mut tally = Tally::default();
    for sender in senders {
        let finished = wait_at_most(patience, seed, "a sender to finish", sender).await;
        tally.add(&finished.unwrap_or_else(|error| panic!("seed {seed}: a sender: {error}")));
    }
    let finished = wait_at_most(patience, seed, "the chaos task to finish", chaos).await;
    let (chaos_tally, chaos) =
        finished.unwrap_or_else(|error| panic!("seed {seed}: the chaos task: {error}"));
    tally.add(&chaos_tally);

    bounded_wait(seed, "the system to shut down", system.shutdown()).await;
    let alive_after_shutdown = system.actor_count();
    let statistics = system.statistics();
    let system_dead_letters = system.dead_letters().count();
    world.directory.clear();
    drop(world);
    drop(system);
    tasks_finished(seed).await;

    RoundReport {
        tally,
        chaos,
        audit: ledger.audit(),
        worker_dead_letters: WORKER_DEAD_LETTERS.load(Ordering::Relaxed) - worker_dead_before,
        other_dead_letters: OTHER_DEAD_LETTERS.load(Ordering::Relaxed) - other_dead_before,
        system_dead_letters,
        statistics_dead_letters: statistics.dead_letters,
        actors_started: statistics.started,
        actors_stopped: statistics.stopped,
        alive_after_shutdown,
        statistics_alive: statistics.alive,
        escalations: statistics.escalations,
        ledger_holders: Arc::strong_count(&ledger),
    }
}

fn check(seed: u64, name: &str, report: &RoundReport) {
    let RoundReport { tally, audit, .. } = report;
    let context = format!("seed {seed}, {name} round: {report:#?}");
    assert_eq!(
        report.ledger_holders, 1,
        "a message or an actor's arguments outlived the system; {context}"
    );
    assert_eq!(
        audit.violations, 0,
        "a message was settled twice (handled twice, or handled and dead); {context}"
    );
    assert_eq!(
        audit.unsettled, 0,
        "a message was neither handled, nor a dead letter, nor handed back; {context}"
    );
    assert_eq!(
        audit.disagreements, 0,
        "an outcome contradicts what its sender was told; {context}"
    );
    assert_eq!(
        tally.wrong_replies, 0,
        "an ask was answered with another request's reply; {context}"
    );
    assert_eq!(audit.issued, tally.accepted + tally.handed_back, "{context}");
    assert_eq!(
        tally.accepted,
        audit.handled + audit.dead,
        "accepted = handled + dead letters; {context}"
    );
    assert_eq!(tally.handed_back, audit.returned, "{context}");
    assert_eq!(
        audit.dead, report.worker_dead_letters,
        "every message dropped unhandled, and only those, is a recorded dead letter; {context}"
    );
    assert_eq!(
        report.system_dead_letters,
        report.worker_dead_letters + report.other_dead_letters,
        "{context}"
    );
    assert_eq!(report.statistics_dead_letters, report.system_dead_letters, "{context}");
    assert_eq!(report.alive_after_shutdown, 0, "{context}");
    assert_eq!(report.statistics_alive, 0, "{context}");
    assert_eq!(report.actors_started, report.actors_stopped, "{context}");
    assert!(
        report.escalations >= report.chaos.escalated_storms,
        "every supervisor that gave up is counted; {context}"
    );
}

fn soak_length() -> Duration {
    let secs = match std::env::var("AIRSSYS_SOAK_SECS") {
        Ok(secs) => secs
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("AIRSSYS_SOAK_SECS={secs}: not a number of seconds")),
        Err(_) => DEFAULT_SECS,
    };
    Duration::from_secs_f64(secs)
}

fn soak_seed() -> u64 {
    match std::env::var("AIRSSYS_SOAK_SEED") {
        Ok(seed) => seed.parse().unwrap_or_else(|_| panic!("AIRSSYS_SOAK_SEED={seed}: not a u64")),
        Err(_) => fastrand::u64(..),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tree_under_random_faults_accounts_for_every_message_actor_and_byte() {
    let seed = soak_seed();
    let length = soak_length();
    // Printed with the test's output when it fails: replay with AIRSSYS_SOAK_SEED.
    println!("soak: seed {seed} (AIRSSYS_SOAK_SEED), {length:?} (AIRSSYS_SOAK_SECS)");

    tracing::subscriber::set_global_default(DeadLetterCounter)
        .expect("no other subscriber in this test binary");
    // Thousands of injected panics: keep their reports out of the output, but not others'.
    std::panic::set_hook(Box::new(|info| {
        let injected = info.payload().downcast_ref::<String>().is_some_and(|m| m == INJECTED_PANIC)
            || info.payload().downcast_ref::<&str>() == Some(&INJECTED_PANIC);
        if !injected {
            eprintln!("{info}");
        }
    }));

    let warm_up = round(seed, WARM_UP, 0).await;
    check(seed, "warm-up", &warm_up);
    drop(warm_up);

    let (bytes_before, blocks_before) = (counting::live(), counting::live_blocks());
    let report = round(seed, length, MIN_ACTORS_STARTED).await;
    let audit_heap = report.audit.first_violations.capacity() * 24
        + report.audit.first_disagreements.capacity() * 16;
    let (bytes_after, blocks_after) = (counting::live(), counting::live_blocks());
    println!("soak: {report:#?}");
    check(seed, "main", &report);

    // The report's two `Vec`s are the only blocks it holds; both are empty when all is well.
    let blocks_grown = blocks_after - blocks_before;
    let bytes_grown = bytes_after - bytes_before - audit_heap as isize;
    let context = format!(
        "seed {seed}: live heap grew by {blocks_grown} blocks, {bytes_grown} bytes over a round \
         that started {} actors and sent {} messages",
        report.actors_started, report.audit.issued
    );
    println!("soak: {context}");
    assert!(
        report.actors_started >= MIN_ACTORS_STARTED
            && MIN_ACTORS_STARTED > 10 * HEAP_SLACK_BLOCKS as u64,
        "too few actors started to tell a leak per actor from the slack; {context}"
    );
    assert!(blocks_grown <= HEAP_SLACK_BLOCKS, "leak: {context}");
    assert!(bytes_grown <= HEAP_SLACK_BYTES, "leak: {context}");
}
