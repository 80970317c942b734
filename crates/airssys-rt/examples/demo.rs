//! A tour of airssys-rt: many actors, many messages, one crash on purpose, a pool of workers
//! behind a router, sensors publishing on a topic from timers, a clean shutdown, then a flood
//! held at the message budget and a tell that gives up.
//!
//! Run it with `cargo run --release -p airssys-rt --example demo`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    ChildSpec, Strategy, Supervisor, SupervisorEvent, SupervisorEvents, SupervisorSpec,
};

/// A worker that sums what it is told and can be made to crash. One enum (the classic style):
/// its pool's router routes every request, and a router routes one message type.
struct Worker {
    total: u64,
}

enum Work {
    Add(u64),
    Total,
    Crash,
}

#[actor]
impl Actor for Worker {
    type Msg = Work;
    type Reply = u64;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Worker { total: 0 })
    }

    async fn handle(&mut self, msg: Work, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        match msg {
            Work::Add(n) => self.total += n,
            Work::Total => {}
            Work::Crash => panic!("worker asked to crash (total was {})", self.total),
        }
        Ok(self.total)
    }
}

/// A consumer that takes as many milliseconds over a job as it says: a flood outruns it.
#[derive(Clone)]
struct Slow;

/// A job of this many milliseconds.
struct Job(u64);

#[actor(messages(Job))]
impl Actor for Slow {}

impl Handler<Job> for Slow {
    type Reply = ();

    async fn handle(&mut self, Job(millis): Job, _: &mut Context<Self>) {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    }
}

/// A temperature reading, published on `sensors.<room>.temperature`.
struct Reading {
    celsius: f64,
}

/// A sensor that reads its room on a timer and publishes what it reads.
struct Sensor {
    room: String,
    readings: Broker<Reading>,
    ticks: u32,
}

#[derive(Clone)]
struct Tick;

#[actor(messages(Tick))]
impl Actor for Sensor {
    type Args = (String, Broker<Reading>);

    async fn pre_start(args: Self::Args, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        ctx.send_interval(Duration::from_millis(2), Tick);
        Ok(Sensor { room: args.0, readings: args.1, ticks: 0 })
    }
}

impl Handler<Tick> for Sensor {
    type Reply = ();

    async fn handle(&mut self, _: Tick, _: &mut Context<Self>) {
        self.ticks += 1;
        let celsius = 18.0 + self.room.len() as f64 + f64::from(self.ticks % 10) / 10.0;
        let topic = format!("sensors.{}.temperature", self.room);
        // Every subscriber gets the same shared reading; none is copied.
        let _ = self.readings.publish(topic, Reading { celsius }).await;
    }
}

/// How many readings the dashboard has heard, and the latest of each room.
type Shown = (u64, BTreeMap<String, f64>);

/// Shows the latest temperature of every room it hears of.
#[derive(Default)]
struct Dashboard {
    latest: BTreeMap<String, f64>,
    received: u64,
    /// A `ShowAfter` waiting for its readings: answered by the reading that completes them.
    waiting: Option<(u64, ReplyTo<Shown>)>,
}

/// Asks the dashboard for what it has heard, once it has heard this many readings.
struct ShowAfter(u64);

#[actor(messages(Publication<Reading>, deferred(ShowAfter)))]
impl Actor for Dashboard {}

impl Dashboard {
    /// Answers the waiting `ShowAfter` once the dashboard has heard enough readings.
    fn answer_if_due(&mut self) {
        match self.waiting.take() {
            Some((readings, reply)) if self.received >= readings => {
                reply.send((self.received, self.latest.clone()));
            }
            waiting => self.waiting = waiting,
        }
    }
}

impl Handler<Publication<Reading>> for Dashboard {
    type Reply = ();

    async fn handle(&mut self, reading: Publication<Reading>, _: &mut Context<Self>) {
        let room = reading.topic().split('.').nth(1).unwrap_or("?").to_owned();
        self.latest.insert(room, reading.celsius);
        self.received += 1;
        self.answer_if_due();
    }
}

impl DeferredHandler<ShowAfter> for Dashboard {
    type Reply = Shown;

    async fn handle(
        &mut self,
        ShowAfter(n): ShowAfter,
        reply: ReplyTo<Shown>,
        _: &mut Context<Self>,
    ) {
        self.waiting = Some((n, reply));
        self.answer_if_due();
    }
}

const WORKERS: usize = 100_000;
const POOL_MESSAGES: u64 = 200_000;
const MESSAGES_PER_WORKER: u64 = 10;
const SINGLE_ACTOR_MESSAGES: u64 = 2_000_000;

fn rate(count: u64, elapsed: Duration) -> String {
    format!("{:.1} M/s", count as f64 / elapsed.as_secs_f64() / 1e6)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // Keep the crash below to one line instead of the default panic report.
    std::panic::set_hook(Box::new(|info| eprintln!("  (panic hook) {info}")));
    // Drive the demo from a task on a runtime worker, as an application's own actors would.
    tokio::spawn(tour()).await?
}

async fn tour() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let system = ActorSystem::builder().max_actors(WORKERS + 40).build()?;
    println!("airssys-rt demo: 2 Tokio workers\n");

    // 1. Spawn many actors.
    let started = Instant::now();
    let mut workers = Vec::with_capacity(WORKERS);
    for _ in 0..WORKERS {
        workers.push(system.spawn::<Worker>(()).await?);
    }
    let spawn_time = started.elapsed();
    println!(
        "1. spawned {} actors in {:?} ({:.0} ns per actor); {} alive",
        WORKERS,
        spawn_time,
        spawn_time.as_nanos() as f64 / WORKERS as f64,
        system.actor_count()
    );

    // 2. Exchange messages with all of them, and check every message arrived.
    let started = Instant::now();
    for round in 1..=MESSAGES_PER_WORKER {
        for worker in &workers {
            worker.tell(Work::Add(round)).await?;
        }
    }
    let mut grand_total = 0;
    for worker in &workers {
        grand_total += worker.ask(Work::Total).await?;
    }
    let elapsed = started.elapsed();
    let sent = WORKERS as u64 * (MESSAGES_PER_WORKER + 1);
    let expected = WORKERS as u64 * (1..=MESSAGES_PER_WORKER).sum::<u64>();
    println!(
        "2. sent {sent} messages across all actors in {elapsed:?} ({}); sum of totals {grand_total} (expected {expected})",
        rate(sent, elapsed)
    );
    assert_eq!(grand_total, expected);

    // 3. Throughput into one actor.
    let target = &workers[0];
    let before = target.ask(Work::Total).await?;
    let started = Instant::now();
    for _ in 0..SINGLE_ACTOR_MESSAGES {
        target.tell(Work::Add(1)).await?;
    }
    let after = target.ask(Work::Total).await?;
    let elapsed = started.elapsed();
    println!(
        "3. told one actor {SINGLE_ACTOR_MESSAGES} messages in {elapsed:?} ({}); it counted {}",
        rate(SINGLE_ACTOR_MESSAGES, elapsed),
        after - before
    );

    // 4. Crash one actor on purpose: its caller learns why at once, everyone else goes on.
    let victim = &workers[42];
    println!("4. asking actor {} to crash...", victim.id());
    match victim.ask(Work::Crash).await {
        Err(AskError::Stopped(reason)) => println!("   the ask failed at once: {reason}"),
        other => println!("   unexpected: {other:?}"),
    }
    println!("   exit reason: {:?}", victim.wait_for_exit().await);
    println!(
        "   its neighbour {} still answers: total {}; {} actors alive",
        workers[43].id(),
        workers[43].ask(Work::Total).await?,
        system.actor_count()
    );

    // 4b. The same crash under a supervisor: the worker comes back, with fresh state.
    let spec =
        SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker::<Worker>("worker", ()));
    let supervisor = Supervisor::start(&system, spec).await?;
    let first = supervisor.child::<Worker>("worker").await?.ok_or("worker not running")?;
    first.tell(Work::Add(7)).await?;
    let mut events = supervisor.events().await?;
    let _ = first.ask(Work::Crash).await;
    restarted(&mut events).await?;
    let second = supervisor.child::<Worker>("worker").await?.ok_or("worker not running")?;
    println!(
        "   under a one_for_one supervisor: {} crashed, {} started in its place (total {})",
        first.id(),
        second.id(),
        second.ask(Work::Total).await?
    );

    // 5. A full mailbox that drops its oldest message: nothing is lost silently.
    let options =
        SpawnOptions::new().mailbox(MailboxConfig::bounded(4).overflow(OverflowPolicy::DropOldest));
    let small = system.spawn_with::<Worker>(options, ()).await?;
    for n in 0..10_000 {
        small.try_tell(Work::Add(n))?;
    }
    let handled_total = small.ask(Work::Total).await?;
    println!(
        "5. 10,000 messages into a 4-slot DropOldest mailbox: {} dead letters recorded, total {handled_total}",
        system.dead_letters().count()
    );
    if let Some(letter) = system.dead_letters().recent().last() {
        println!(
            "   latest dead letter: {} to {} ({})",
            letter.message_type, letter.target, letter.reason
        );
    }

    // 6. A pool of workers under a supervisor, behind one router.
    let spec = PoolSpec::<Worker>::new(4, ()).routing(Routing::RoundRobin);
    let pool = Pool::start(&system, spec).await?;
    let router = pool.router().clone();
    let started = Instant::now();
    for _ in 0..POOL_MESSAGES {
        router.tell(Work::Add(1)).await?;
    }
    let mut totals = Vec::new();
    for worker in router.workers() {
        totals.push(worker.ask(Work::Total).await?);
    }
    let elapsed = started.elapsed();
    println!(
        "6. pool of 4 workers, round robin: {POOL_MESSAGES} messages through the router in {elapsed:?} ({}); per worker {totals:?}",
        rate(POOL_MESSAGES, elapsed)
    );
    let victim = router.workers()[1].clone();
    let mut events = pool.supervisor().events().await?;
    let _ = victim.ask(Work::Crash).await;
    // The restarted worker takes its slot in the routing as it starts, before it is announced.
    restarted(&mut events).await?;
    let successor = router.workers().get(1).cloned().ok_or("slot 1 is empty")?;
    println!(
        "   worker {} crashed; {} took its slot and is routed to again (total {})",
        victim.id(),
        successor.id(),
        successor.ask(Work::Total).await?
    );
    pool.resize(8).await?;
    let answered = router.ask(Work::Total).timeout(Duration::from_secs(1)).await?;
    println!(
        "   resized to {} workers; an ask through the router answered {answered}",
        router.size()
    );

    // 7. Sensors publish readings from timers; a dashboard subscribes to a topic pattern.
    let readings = system.broker::<Reading>();
    let dashboard = system.spawn_named::<Dashboard>("dashboard", Dashboard::default()).await?;
    readings.subscribe("sensors.*.temperature", &dashboard)?;
    for room in ["kitchen", "hall", "attic"] {
        let sensor = system.spawn::<Sensor>((room.to_owned(), readings.clone())).await?;
        system.groups().join("sensors", &sensor)?;
    }
    let dashboard: ActorRef<Dashboard> = system.lookup("dashboard")?;
    // Answered once 30 readings have come: the dashboard keeps the request until then.
    let (received, latest) = dashboard.ask(ShowAfter(30)).await?;
    for sensor in system.groups().members::<Sensor>("sensors") {
        sensor.stop();
        sensor.wait_for_exit().await;
    }
    println!(
        "7. 3 sensors on 2 ms timers published to sensors.<room>.temperature; the dashboard (found by name) \
         subscribed to sensors.*.temperature got {received} readings: {latest:?}"
    );
    println!(
        "   sensors stopped through their process group; groups left: {:?}, subscriptions left: {}",
        system.groups().which_groups(),
        readings.subscriptions().len()
    );

    // 8. The supervision trees as they stand, like pstree, and the system's health.
    println!("8. the supervision trees (system.inspect()):");
    for tree in system.inspect().roots.iter().filter(|root| !root.children.is_empty()) {
        for line in tree.render().lines() {
            println!("   {line}");
        }
    }
    let health = system.health().await;
    println!("   system health: {}", health.status);
    println!(
        "   crash reports: {} (latest: {})",
        system.crash_reports().count(),
        system
            .crash_reports()
            .recent()
            .last()
            .map_or_else(|| "none".to_owned(), |report| report.to_string())
    );

    // 9. Shut everything down.
    let started = Instant::now();
    let report = system.shutdown().await;
    println!(
        "9. shutdown in {:?}: {} stopped gracefully, {} killed; {} alive",
        started.elapsed(),
        report.stopped,
        report.killed,
        system.actor_count()
    );
    drop(workers);
    under_pressure().await
}

/// A flood held at the message budget, and a tell that gives up and hands its message back.
async fn under_pressure() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    const BUDGET: usize = 10_000;
    const FLOOD: u64 = 100_000;
    let system = ActorSystem::builder().message_budget(BUDGET).build()?;
    let unbounded = SpawnOptions::new().mailbox(MailboxConfig::unbounded());
    let sink = system.spawn_with::<Slow>(unbounded, Slow).await?;
    let mut handed_back = 0;
    for _ in 0..FLOOD {
        if let Err(SendError::Full(_)) = sink.tell(Job(1)).await {
            handed_back += 1;
        }
    }
    let health = system.health().await;
    println!(
        "10. {FLOOD} tells into an unbounded mailbox of a slow actor, message budget {BUDGET}: \
         {} queued, {handed_back} handed back to the sender; system health: {} ({})",
        sink.mailbox_len(),
        health.status,
        health.issues.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    );
    let one_slot = SpawnOptions::new().mailbox(MailboxConfig::bounded(1));
    let busy = system.spawn_with::<Slow>(one_slot, Slow).await?;
    busy.tell(Job(50)).await?;
    busy.tell(Job(1)).await?;
    let waited = Instant::now();
    match busy.tell(Job(2)).timeout(Duration::from_millis(5)).await {
        Err(SendError::Full(Job(back))) => println!(
            "    a tell into a full mailbox with a 5 ms timeout gave up after {:?} and handed back its message ({back})",
            waited.elapsed()
        ),
        other => println!("    the tell with a timeout: {other:?}"),
    }
    sink.kill();
    let report = system.shutdown().await;
    println!(
        "    shut down: {} stopped, {} killed; {} dead letters (the flood still queued when the sink was killed)",
        report.stopped,
        report.killed,
        system.dead_letters().count()
    );
    Ok(())
}

/// Waits for the supervisor to restart a child.
async fn restarted(events: &mut SupervisorEvents) -> Result<(), &'static str> {
    loop {
        match events.next().await {
            Some(SupervisorEvent::Restarted { .. }) => return Ok(()),
            Some(_) => continue,
            None => return Err("the supervisor ended"),
        }
    }
}
