//! Chapter H of `docs/semantics.md`: health checks, one test (or more) per rule, named after it.
//! All on Tokio's paused clock; faults are injected through the `Patient` actor's mode.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use airssys_rt::monitoring::health::{
    Health, HealthCheck, HealthCheckFailed, HealthIssue, HealthReport, HealthStatus,
};
use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    Backoff, ChildSpec, Init, Shutdown, Strategy, Supervise, Supervisor, SupervisorRef,
    SupervisorSpec,
};
use parking_lot::Mutex;
use tokio::sync::Notify;

mod common;
use common::record::Record;

/// How a patient answers its next probes.
#[derive(Clone, Debug)]
enum Mode {
    Healthy,
    Degraded,
    Unhealthy,
    /// The check takes this long.
    Slow(Duration),
    /// The check never returns.
    Hang,
    Panic,
}

/// What the patients share with the test: a log of what they did, and each one's mode.
#[derive(Clone)]
struct Ward {
    log: Record<String>,
    modes: Arc<Mutex<HashMap<&'static str, Mode>>>,
}

impl Ward {
    fn new() -> Self {
        Ward { log: Record::new(), modes: Arc::default() }
    }

    fn set(&self, name: &'static str, mode: Mode) {
        self.modes.lock().insert(name, mode);
    }

    fn mode(&self, name: &'static str) -> Mode {
        self.modes.lock().get(name).cloned().unwrap_or(Mode::Healthy)
    }

    fn count(&self, line: &str) -> usize {
        self.log.count(line)
    }

    fn patient(&self, name: &'static str) -> ChildSpec {
        ChildSpec::worker::<Patient>(name, (name, self.clone()))
    }

    fn checked(&self, name: &'static str, check: HealthCheck) -> ChildSpec {
        self.patient(name).health_check(check)
    }
}

enum Cmd {
    Log(u32),
    /// Waits for the gate, then goes on.
    Block(Arc<Notify>),
    /// Never returns.
    Stuck,
    /// Takes this long.
    Slow(Duration),
    Crash,
}

struct Patient {
    name: &'static str,
    ward: Ward,
}

#[actor]
impl Actor for Patient {
    type Msg = Cmd;
    type Reply = ();
    type Args = (&'static str, Ward);
    type Error = std::convert::Infallible;

    async fn pre_start(
        (name, ward): (&'static str, Ward),
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        ward.log.push(format!("start {name}"));
        Ok(Patient { name, ward })
    }

    async fn handle(&mut self, cmd: Cmd, _: &mut Context<Self>) -> Result<(), Self::Error> {
        match cmd {
            Cmd::Log(n) => self.ward.log.push(format!("msg {n}")),
            Cmd::Block(gate) => {
                self.ward.log.push("blocked".to_string());
                gate.notified().await;
            }
            Cmd::Stuck => std::future::pending().await,
            Cmd::Slow(time) => tokio::time::sleep(time).await,
            Cmd::Crash => panic!("asked to crash"),
        }
        Ok(())
    }

    async fn health_check(&mut self, _: &mut Context<Self>) -> Health {
        self.ward.log.push(format!("check {}", self.name));
        match self.ward.mode(self.name) {
            Mode::Healthy => Health::Healthy,
            Mode::Degraded => Health::degraded("slow disk"),
            Mode::Unhealthy => Health::unhealthy("lost its connection"),
            Mode::Slow(time) => {
                tokio::time::sleep(time).await;
                Health::Healthy
            }
            Mode::Hang => std::future::pending().await,
            Mode::Panic => panic!("check panicked"),
        }
    }
}

async fn child(supervisor: &SupervisorRef, id: &str) -> ActorRef<Patient> {
    supervisor.child::<Patient>(id).await.expect("supervisor runs").expect("child runs")
}

/// The child's running actor once it is another than `old`.
async fn successor(supervisor: &SupervisorRef, id: &str, old: ActorId) -> ActorRef<Patient> {
    loop {
        match supervisor.child::<Patient>(id).await.expect("supervisor runs") {
            Some(new) if new.id() != old => return new,
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

fn every(millis: u64) -> HealthCheck {
    HealthCheck::every(Duration::from_millis(millis))
}

fn node(report: &HealthReport, id: &str) -> HealthReport {
    let mut found = None;
    report.walk(&mut |node| {
        if &*node.id == id {
            found = Some(node.clone());
        }
    });
    found.unwrap_or_else(|| panic!("no node {id:?} in\n{report}"))
}

#[tokio::test(start_paused = true)]
async fn h1_checks_are_off_by_default() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ward.patient("a"));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(ward.count("check a"), 0);
    assert_eq!(supervisor.health().await.status, HealthStatus::Healthy);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h2_probes_come_every_interval_after_the_previous_outcome() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    // Answers take 3 s: probes start at 10, 23, 36 s.
    ward.set("a", Mode::Slow(Duration::from_secs(3)));
    let check = every(10_000).deadline(Duration::from_secs(5));
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("a", check));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(9_999)).await;
    assert_eq!(ward.count("check a"), 0, "the first probe comes an interval after the start");
    tokio::time::sleep(Duration::from_millis(12_999)).await; // 22.998 s
    assert_eq!(ward.count("check a"), 1);
    tokio::time::sleep(Duration::from_millis(13_004)).await; // 36.002 s
    assert_eq!(ward.count("check a"), 3);
    // Probing ends with the child.
    supervisor.terminate_child("a").await.unwrap();
    tokio::time::sleep(Duration::from_secs(100)).await;
    assert_eq!(ward.count("check a"), 3);
    // A stopped child that waits for no restart is no failure (H7).
    let report = supervisor.health().await;
    assert_eq!((report.status, node(&report, "a").actor), (HealthStatus::Healthy, None));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h3_a_probe_waits_behind_the_messages_queued_before_it() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let check = every(10_000).deadline(Duration::from_secs(60));
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("a", check));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let a = child(&supervisor, "a").await;
    let gate = Arc::new(Notify::new());
    a.tell(Cmd::Block(Arc::clone(&gate))).await.unwrap();
    a.tell(Cmd::Log(2)).await.unwrap();
    a.tell(Cmd::Log(3)).await.unwrap();
    ward.log.wait_for_len(2).await; // started, blocked
    tokio::time::sleep(Duration::from_secs(11)).await; // the probe is queued
    a.tell(Cmd::Log(4)).await.unwrap();
    gate.notify_one();
    let log = ward.log.wait_for_len(6).await;
    assert_eq!(log, ["start a", "blocked", "msg 2", "msg 3", "check a", "msg 4"]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h3_a_probe_never_waits_behind_more_messages_than_were_queued_before_it() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let check = every(10_000).deadline(Duration::from_secs(60));
    let mailbox = MailboxConfig::bounded(2).overflow(OverflowPolicy::DropOldest);
    let options = SpawnOptions::new().mailbox(mailbox);
    let patient = ChildSpec::worker_with::<Patient>("a", options, ("a", ward.clone()));
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(patient.health_check(check));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let a = child(&supervisor, "a").await;
    let gate = Arc::new(Notify::new());
    a.tell(Cmd::Block(Arc::clone(&gate))).await.unwrap();
    ward.log.wait_for_len(2).await; // started, blocked
    a.tell(Cmd::Log(2)).await.unwrap();
    a.tell(Cmd::Log(3)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(11)).await; // the probe waits behind 2 and 3
                                                       // 2 and 3 are dropped for 4 and 5: the probe counts them in their place.
    a.tell(Cmd::Log(4)).await.unwrap();
    a.tell(Cmd::Log(5)).await.unwrap();
    a.tell(Cmd::Log(6)).await.unwrap(); // drops 4
    gate.notify_one();
    let log = ward.log.wait_for_len(5).await;
    assert_eq!(log, ["start a", "blocked", "msg 5", "msg 6", "check a"]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h4_an_unhealthy_answer_fails_a_check_and_a_healthy_one_resets_the_count() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    ward.set("a", Mode::Unhealthy);
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("a", every(1000)));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let first = child(&supervisor, "a").await.id();
    // Two of three failures...
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let report = supervisor.health().await;
    assert_eq!(
        node(&report, "a").issues,
        [HealthIssue::FailingChecks {
            failures: 2,
            of: 3,
            last: "unhealthy: lost its connection".into()
        }]
    );
    // ...then a healthy answer: the count starts again.
    ward.set("a", Mode::Healthy);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(supervisor.health().await.status, HealthStatus::Healthy);
    ward.set("a", Mode::Unhealthy);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(ward.count("check a"), 5);
    assert_eq!(child(&supervisor, "a").await.id(), first, "never three failures in a row");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h4_a_degraded_answer_is_reported_but_no_failure() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    ward.set("a", Mode::Degraded);
    let spec =
        SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("a", every(1000).failures(1)));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let first = child(&supervisor, "a").await.id();
    tokio::time::sleep(Duration::from_millis(5500)).await;
    assert_eq!(ward.count("check a"), 5);
    assert_eq!(child(&supervisor, "a").await.id(), first);
    let report = supervisor.health().await;
    assert_eq!(node(&report, "a").status, HealthStatus::Degraded);
    assert_eq!(node(&report, "a").issues, [HealthIssue::Degraded("slow disk".into())]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h4_a_check_that_hangs_past_its_deadline_fails_and_h5_restarts_the_child() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    ward.set("a", Mode::Hang);
    let check = every(1000).deadline(Duration::from_millis(500)).failures(2);
    let child_spec = ward.checked("a", check).shutdown(Shutdown::Timeout(Duration::from_secs(1)));
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(child_spec);
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let first = child(&supervisor, "a").await;
    let started = tokio::time::Instant::now();
    // The first check hangs: the second probe waits behind it and times out too. The hook
    // never returns, so the stop is never taken: the child is killed after its shutdown time.
    assert_eq!(first.wait_for_exit().await, ExitReason::Killed);
    assert_eq!(started.elapsed(), Duration::from_millis(1000 + 500 + 1000 + 500 + 1000));
    ward.set("a", Mode::Healthy);
    let second = successor(&supervisor, "a", first.id()).await;
    assert_eq!(ward.count("start a"), 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(second.is_alive());
    let report = supervisor.health().await;
    assert_eq!(report.issues[0], HealthIssue::Restarted(1));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h5_an_unhealthy_child_is_stopped_with_the_reason_and_restarted() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    ward.set("a", Mode::Unhealthy);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ward.checked("a", every(1000).failures(2)))
        .child(ward.patient("b"));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let (a, b) = (child(&supervisor, "a").await, child(&supervisor, "b").await);
    let reason = a.wait_for_exit().await;
    ward.set("a", Mode::Healthy);
    let failure = HealthCheckFailed::of(&reason).expect("ended for its checks");
    assert_eq!(failure.failures, 2);
    assert_eq!(&*failure.last, "unhealthy: lost its connection");
    successor(&supervisor, "a", a.id()).await;
    assert!(b.is_alive(), "one for one");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h5_a_stuck_handler_fails_its_checks() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let check = every(1000).deadline(Duration::from_millis(200)).failures(3);
    let child_spec = ward.checked("a", check).shutdown(Shutdown::Timeout(Duration::from_secs(1)));
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(child_spec);
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let a = child(&supervisor, "a").await;
    a.tell(Cmd::Stuck).await.unwrap();
    assert_eq!(a.wait_for_exit().await, ExitReason::Killed);
    assert_eq!(ward.count("check a"), 0, "the probes never got their turn");
    successor(&supervisor, "a", a.id()).await;
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h5_a_flooded_mailbox_fails_its_checks() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let check = every(1000).deadline(Duration::from_millis(500)).failures(2);
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("a", check));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let a = child(&supervisor, "a").await;
    // Each message takes 100 ms: 1000 of them are 100 s of work, far past any deadline.
    for _ in 0..1000 {
        a.tell(Cmd::Slow(Duration::from_millis(100))).await.unwrap();
    }
    // The actor is not stuck: it takes the stop after the message at hand.
    let reason = a.wait_for_exit().await;
    assert!(HealthCheckFailed::of(&reason).is_some(), "{reason}");
    let fresh = successor(&supervisor, "a", a.id()).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(fresh.is_alive());
    assert_eq!(ward.count("check a"), 1, "the fresh child answers its first probe");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h5_the_restart_follows_the_strategy() {
    for (strategy, restarted) in [
        (Strategy::OneForOne, [false, true, false]),
        (Strategy::OneForAll, [true, true, true]),
        (Strategy::RestForOne, [false, true, true]),
    ] {
        let system = ActorSystem::new();
        let ward = Ward::new();
        ward.set("b", Mode::Unhealthy);
        let spec = SupervisorSpec::new(strategy)
            .child(ward.patient("a"))
            .child(ward.checked("b", every(1000).failures(1)))
            .child(ward.patient("c"));
        let supervisor = Supervisor::start(&system, spec).await.unwrap();
        let before = [
            child(&supervisor, "a").await,
            child(&supervisor, "b").await,
            child(&supervisor, "c").await,
        ];
        before[1].wait_for_exit().await;
        ward.set("b", Mode::Healthy);
        successor(&supervisor, "b", before[1].id()).await;
        for (index, id) in ["a", "b", "c"].into_iter().enumerate() {
            let now = child(&supervisor, id).await;
            assert_eq!(now.id() != before[index].id(), restarted[index], "{strategy:?}: {id}");
        }
        system.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn h5_failed_checks_count_against_the_restart_intensity() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    ward.set("a", Mode::Unhealthy);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0, Duration::from_secs(5))
        .child(ward.checked("a", every(1000).failures(1)));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    assert_eq!(supervisor.actor().wait_for_exit().await, ExitReason::Shutdown);
    assert_eq!(ward.count("start a"), 1, "gave up rather than restart");
    let report = supervisor.health().await;
    assert_eq!(
        (report.status, &report.issues[..]),
        (HealthStatus::Failed, &[HealthIssue::NotRunning][..])
    );
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h6_a_panicking_check_crashes_the_actor() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    ward.set("a", Mode::Panic);
    let spec =
        SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("a", every(1000).failures(3)));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let a = child(&supervisor, "a").await;
    let reason = a.wait_for_exit().await;
    ward.set("a", Mode::Healthy);
    assert_eq!(reason.panic_message(), Some("check panicked"));
    assert_eq!(ward.count("check a"), 1, "at the first check, not after three");
    successor(&supervisor, "a", a.id()).await;
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h7_a_healthy_tree_reports_healthy() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let sub = SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("b", every(1000)));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ward.patient("a"))
        .child(ChildSpec::supervisor("sub", sub).health_check(every(1000)));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let report = supervisor.health().await;
    assert_eq!(
        report.to_string(),
        "supervisor: healthy\n  a: healthy\n  sub: healthy\n    b: healthy\n"
    );
    assert_eq!(report.actor, Some(supervisor.actor().id()));
    assert!(node(&report, "sub").actor.is_some());
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h7_a_child_failing_checks_degrades_every_supervisor_above_it() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    ward.set("b", Mode::Unhealthy);
    let sub = SupervisorSpec::new(Strategy::OneForOne).child(ward.checked("b", every(1000)));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ward.patient("a"))
        .child(ChildSpec::supervisor("sub", sub));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = supervisor.health().await;
    assert_eq!(
        report.to_string(),
        "supervisor: degraded\n  a: healthy\n  sub: degraded\n    \
         b: degraded (failed 1 of 3 health checks in a row (last: unhealthy: lost its connection))\n"
    );
    assert_eq!(report.issues, [HealthIssue::Child("sub".into())]);
    assert_eq!(node(&report, "sub").issues, [HealthIssue::Child("b".into())]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h7_a_child_waiting_for_its_restart_is_failed_and_restarts_degrade_for_a_period() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let backoff =
        Backoff::exponential(Duration::from_secs(10), Duration::from_secs(10)).jitter(0.0);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(5, Duration::from_secs(30))
        .child(ward.patient("a").backoff(backoff));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let a = child(&supervisor, "a").await;
    a.tell(Cmd::Crash).await.unwrap();
    a.wait_for_exit().await;
    let report = supervisor.health().await;
    assert_eq!(node(&report, "a").status, HealthStatus::Failed);
    assert_eq!(node(&report, "a").issues, [HealthIssue::Restarting]);
    assert_eq!(report.status, HealthStatus::Degraded, "a failed child degrades its supervisor");
    assert_eq!(report.issues, [HealthIssue::Restarted(1), HealthIssue::Child("a".into())]);
    // Restarted: the child is healthy, its supervisor degraded until the period has passed.
    successor(&supervisor, "a", a.id()).await;
    let report = supervisor.health().await;
    assert_eq!(node(&report, "a").status, HealthStatus::Healthy);
    assert_eq!(report.issues, [HealthIssue::Restarted(1)]);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(supervisor.health().await.status, HealthStatus::Healthy);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h7_a_supervisor_that_does_not_run_is_failed() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0, Duration::from_secs(5))
        .child(ward.patient("a"));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    child(&supervisor, "a").await.tell(Cmd::Crash).await.unwrap();
    supervisor.actor().wait_for_exit().await;
    let report = supervisor.health().await;
    assert_eq!(report.status, HealthStatus::Failed);
    assert_eq!(report.to_string(), "supervisor: failed (not running)\n");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn h8_the_system_report_rolls_up_its_root_supervisors() {
    let system = ActorSystem::new();
    let ward = Ward::new();
    let named = |name: &str| airssys_rt::system::SpawnOptions::new().name(name);
    let steady_spec = SupervisorSpec::new(Strategy::OneForOne).child(ward.patient("a"));
    let steady = Supervisor::start_with(&system, named("steady"), steady_spec).await.unwrap();
    let fragile_spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0, Duration::from_secs(5))
        .child(ward.patient("b"));
    let fragile = Supervisor::start_with(&system, named("fragile"), fragile_spec).await.unwrap();
    // A plain actor and a supervised subtree are no roots.
    let _plain = system.spawn::<common::Idle>(()).await.unwrap();

    let report = system.health().await;
    assert_eq!(report.status, HealthStatus::Healthy);
    let roots: Vec<&str> = report.children.iter().map(|node| &*node.id).collect();
    assert_eq!(roots, ["steady", "fragile"]);
    assert_eq!(node(&report, "steady").children.len(), 1);

    child(&fragile, "b").await.tell(Cmd::Crash).await.unwrap();
    fragile.actor().wait_for_exit().await;
    // A root that gave up fails the system, and stays listed though it no longer runs.
    let report = system.health().await;
    assert_eq!(report.status, HealthStatus::Failed);
    assert_eq!(node(&report, "fragile").status, HealthStatus::Failed);
    assert_eq!(node(&report, "fragile").issues, [HealthIssue::NotRunning]);
    assert_eq!(report.issues, [HealthIssue::Child("fragile".into())]);
    assert_eq!(node(&report, "steady").status, HealthStatus::Healthy);
    steady.actor().stop();
    system.shutdown().await;
}

/// An open supervisor whose own message makes its handler panic.
struct Brittle;
struct Shatter;

impl Supervise for Brittle {
    type Args = ();
    type Error = std::convert::Infallible;

    async fn init(_: (), _: &ActorSystem) -> Result<Init<Self>, Self::Error> {
        Ok(Init::Start(SupervisorSpec::new(Strategy::OneForOne), Brittle))
    }
}

impl Handler<Shatter> for Supervisor<Brittle> {
    type Reply = ();

    async fn handle(&mut self, _: Shatter, _: &mut Context<Self>) {
        panic!("shattered");
    }
}

#[tokio::test]
async fn h8_a_root_open_supervisor_that_crashed_fails_the_system() {
    let system = ActorSystem::new();
    let options = airssys_rt::system::SpawnOptions::new().name("brittle");
    let opened = Supervisor::<Brittle>::start_open_with(&system, options, ()).await.unwrap();
    let brittle = opened.started().expect("started");
    assert_eq!(system.health().await.status, HealthStatus::Healthy);
    assert!(brittle.actor().ask(Shatter).await.is_err());
    assert!(brittle.actor().wait_for_exit().await.is_panic());
    // Nothing above it restarts it: as a root that gave up, it is listed, failed.
    let report = system.health().await;
    assert_eq!(report.status, HealthStatus::Failed);
    assert_eq!(node(&report, "brittle").issues, [HealthIssue::NotRunning]);
    system.shutdown().await;
}

#[tokio::test]
async fn h8_the_system_report_is_degraded_while_over_the_message_budget() {
    let system = ActorSystem::builder().message_budget(1).build().unwrap();
    let ward = Ward::new();
    let named = airssys_rt::system::SpawnOptions::new().name("steady");
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ward.patient("a"));
    let steady = Supervisor::start_with(&system, named, spec).await.unwrap();
    let unbounded = airssys_rt::system::SpawnOptions::new().mailbox(MailboxConfig::unbounded());
    let flooded = system.spawn_with::<common::Probe>(unbounded, common::ProbeArgs::new()).await;
    let flooded = flooded.unwrap();
    let release = common::block(&flooded).await;
    flooded.try_tell(common::Cmd::Echo(1)).unwrap();
    assert!(flooded.try_tell(common::Cmd::Echo(2)).is_err(), "the budget of 1 is spent");

    let report = system.health().await;
    assert_eq!(report.status, HealthStatus::Degraded, "{report}");
    assert_eq!(report.issues, [HealthIssue::OverBudget { limit: 1 }]);
    assert_eq!(node(&report, "steady").status, HealthStatus::Healthy);

    release.send(()).unwrap();
    while flooded.mailbox_len() > 0 {
        tokio::task::yield_now().await;
    }
    flooded.ask(common::Cmd::Echo(3)).await.unwrap();
    assert_eq!(system.health().await.status, HealthStatus::Healthy);
    steady.actor().stop();
    system.shutdown().await;
}

// ----------------------------------------------- reports and probes racing starts, give-ups and stops

/// A point a hook stops at: it says it has arrived, then waits to be let through.
#[derive(Default)]
struct Gate {
    arrived: Notify,
    through: Notify,
}

impl Gate {
    async fn pass(&self) {
        self.arrived.notify_one();
        self.through.notified().await;
    }
}

/// Waits at its gate in `pre_start`.
struct SlowStart;

#[actor]
impl Actor for SlowStart {
    type Msg = ();
    type Reply = ();
    type Args = Arc<Gate>;
    type Error = std::convert::Infallible;

    async fn pre_start(gate: Arc<Gate>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        gate.pass().await;
        Ok(SlowStart)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Waits at its gate in `post_stop`; panics on `true`.
struct SlowStop(Arc<Gate>);

#[actor]
impl Actor for SlowStop {
    type Msg = bool;
    type Reply = ();
    type Args = Arc<Gate>;
    type Error = std::convert::Infallible;

    async fn pre_start(gate: Arc<Gate>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(SlowStop(gate))
    }

    async fn handle(&mut self, crash: bool, _: &mut Context<Self>) -> Result<(), Self::Error> {
        assert!(!crash, "asked to crash");
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.0.pass().await;
        Ok(())
    }
}

/// Polls `future` once; `true` if it is still pending.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> bool {
    poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx).is_pending())).await
}

/// H8: a child supervisor still in its `pre_start` (its parent not yet recorded) is no root.
#[tokio::test]
async fn h8_a_child_supervisor_still_starting_is_no_root() {
    let system = ActorSystem::new();
    let gate = Arc::new(Gate::default());
    let pool = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<SlowStart>("worker", Arc::clone(&gate)));
    let root = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::supervisor("pool", pool));
    let starting = {
        let system = system.clone();
        tokio::spawn(async move {
            let options = SpawnOptions::new().name("root");
            Supervisor::start_with(&system, options, root).await
        })
    };
    gate.arrived.notified().await;
    // The roots are taken on the first poll; the answers wait for the tree to be started.
    let mut health = Box::pin(system.health());
    assert!(poll_once(&mut health).await);
    gate.through.notify_one();
    let root = starting.await.unwrap().unwrap();
    let report = health.await;
    let roots: Vec<&str> = report.children.iter().map(|node| &*node.id).collect();
    assert_eq!(roots, ["root"], "\n{report}");
    root.actor().stop();
    system.shutdown().await;
}

/// H8: a root supervisor that gives up while the system's report asks it is one node, not two.
#[tokio::test]
async fn h8_a_root_that_gives_up_while_asked_is_listed_once() {
    let system = ActorSystem::new();
    let gate = Arc::new(Gate::default());
    // The crasher's own gate is open before it gets there.
    let open = Arc::new(Gate::default());
    open.through.notify_one();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(0, Duration::from_secs(5))
        .child(ChildSpec::worker::<SlowStop>("slow", Arc::clone(&gate)))
        .child(ChildSpec::worker::<SlowStop>("crasher", open));
    let root =
        Supervisor::start_with(&system, SpawnOptions::new().name("fragile"), spec).await.unwrap();
    let crasher = root.child::<SlowStop>("crasher").await.unwrap().unwrap();
    crasher.tell(true).await.unwrap();
    crasher.wait_for_exit().await;
    // The root is giving up, stopping `slow`, which waits at its gate.
    gate.arrived.notified().await;
    let mut health = Box::pin(system.health());
    assert!(poll_once(&mut health).await);
    gate.through.notify_one();
    let report = health.await;
    let fragile = report.children.iter().filter(|node| &*node.id == "fragile").count();
    assert_eq!(fragile, 1, "\n{report}");
    system.shutdown().await;
}

/// Never ends its `post_stop`, once it says it has begun it.
struct StuckStop(Arc<Notify>);

#[actor]
impl Actor for StuckStop {
    type Msg = ();
    type Reply = ();
    type Args = Arc<Notify>;
    type Error = std::convert::Infallible;

    async fn pre_start(stopping: Arc<Notify>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(StuckStop(stopping))
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        _: &ExitReason,
    ) -> Result<(), Self::Error> {
        self.0.notify_one();
        std::future::pending().await
    }
}

/// H7: a child supervisor stuck in a request (here, waiting forever for a child to stop) does
/// not hang its parent's report, nor the system's: it is failed, as not answering.
#[tokio::test(start_paused = true)]
async fn h7_a_stuck_child_supervisor_is_reported_failed_not_waited_for() {
    let system = ActorSystem::new();
    let stopping = Arc::new(Notify::new());
    let stuck = ChildSpec::worker::<StuckStop>("stuck", Arc::clone(&stopping));
    let pool = SupervisorSpec::new(Strategy::OneForOne).child(stuck.shutdown(Shutdown::Infinity));
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::supervisor("pool", pool));
    let root =
        Supervisor::start_with(&system, SpawnOptions::new().name("root"), spec).await.unwrap();
    let pool = root.child::<Supervisor>("pool").await.unwrap().unwrap();
    let pool = SupervisorRef::from(pool);
    let terminating = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.terminate_child("stuck").await })
    };
    // The pool now waits, for good, for its child to end.
    stopping.notified().await;
    let report = tokio::time::timeout(Duration::from_secs(60), system.health())
        .await
        .expect("the report comes, though a supervisor is stuck");
    let node = &report.children[0].children[0];
    assert_eq!(&*node.id, "pool", "\n{report}");
    assert_eq!(node.status, HealthStatus::Failed, "\n{report}");
    assert!(matches!(node.issues[..], [HealthIssue::NotAnswering]), "\n{report}");
    terminating.abort();
}

/// Answers every probe.
struct Checked;

#[actor]
impl Actor for Checked {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Checked)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// H2: probing ends when the child is stopped (`terminate_child`), not an interval later.
#[tokio::test(start_paused = true)]
async fn h2_probing_ends_when_the_child_is_terminated() {
    let system = ActorSystem::new();
    let check = HealthCheck::every(Duration::from_secs(3600));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Checked>("a", ()).health_check(check));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let tasks = || tokio::runtime::Handle::current().metrics().num_alive_tasks();
    let a = supervisor.child::<Checked>("a").await.unwrap().unwrap();
    supervisor.terminate_child("a").await.unwrap();
    a.wait_for_exit().await;
    // An aborted task goes once the scheduler has run it.
    tokio::task::yield_now().await;
    let after_terminate = tasks();
    // Deleting the specification drops whatever the supervisor still keeps for the child.
    supervisor.delete_child("a").await.unwrap();
    tokio::task::yield_now().await;
    assert_eq!(after_terminate, tasks(), "a prober still ran after terminate_child");
    system.shutdown().await;
}
