//! Chapter C of `docs/semantics.md`: crash reports (and the dead letters' `tracing` events).
//! Each test is named after the rule it checks; faults are injected into the handler and into
//! every hook.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::monitoring::crash::{Activity, CrashReport};
use airssys_rt::prelude::*;
use airssys_rt::signal::{DownNotice, ExitSignal};
use airssys_rt::supervisor::{Child, ChildTemplate, Shutdown, StartResult, SupervisorEvent};
use parking_lot::Mutex;
use tokio::sync::oneshot;

mod common;
use common::Observer;

// ------------------------------------------------------------------ the faulty actor

/// Where a fault is injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    PreStart,
    PostStart,
    OnExit,
    OnDown,
    OnIdle,
    PostStop,
    /// Dropping the actor's state.
    Drop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Panic,
    Fail,
}

#[derive(Debug, thiserror::Error)]
#[error("injected failure")]
struct Injected;

#[derive(Clone, Default)]
struct Faults {
    at: Option<(At, Fault)>,
    /// How many of the next starts fail in `pre_start` (shared by every restart).
    failing_starts: Arc<AtomicUsize>,
    trap_exits: bool,
    idle: Option<Duration>,
    /// `post_stop` waits this long first (on Tokio's clock).
    slow_stop: Option<Duration>,
}

impl Faults {
    fn new() -> Self {
        Self::default()
    }
    fn at(mut self, at: At, fault: Fault) -> Self {
        self.at = Some((at, fault));
        self
    }
}

struct Faulty {
    faults: Faults,
}

impl Faulty {
    fn inject(&self, here: At) -> Result<(), Injected> {
        match self.faults.at {
            Some((at, Fault::Panic)) if at == here => panic!("injected panic in {here:?}"),
            Some((at, Fault::Fail)) if at == here => Err(Injected),
            _ => Ok(()),
        }
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        if self.faults.at == Some((At::Drop, Fault::Panic)) {
            panic!("injected panic in Drop");
        }
    }
}

enum Job {
    Work,
    Panic,
    Fail,
    StopWith(ExitReason),
    Link(ActorRef<Faulty>),
    Monitor(ActorRef<Faulty>),
    Block { entered: oneshot::Sender<()>, release: oneshot::Receiver<()> },
}

#[actor]
impl Actor for Faulty {
    type Msg = Job;
    type Reply = ();
    type Args = Faults;
    type Error = Injected;

    async fn pre_start(faults: Faults, ctx: &mut Context<Self>) -> Result<Self, Injected> {
        let failing = faults.failing_starts.load(Ordering::SeqCst);
        if failing > 0 {
            faults.failing_starts.store(failing - 1, Ordering::SeqCst);
            return Err(Injected);
        }
        ctx.trap_exit(faults.trap_exits);
        ctx.set_idle_timeout(faults.idle);
        let faulty = Faulty { faults };
        faulty.inject(At::PreStart)?;
        Ok(faulty)
    }

    async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Injected> {
        self.inject(At::PostStart)
    }

    async fn handle(&mut self, job: Job, ctx: &mut Context<Self>) -> Result<(), Injected> {
        match job {
            Job::Work => Ok(()),
            Job::Panic => panic!("handler panicked on purpose"),
            Job::Fail => Err(Injected),
            Job::StopWith(reason) => {
                ctx.stop_with(reason);
                Ok(())
            }
            Job::Link(other) => {
                ctx.link(&other);
                Ok(())
            }
            Job::Monitor(other) => {
                ctx.monitor(&other);
                Ok(())
            }
            Job::Block { entered, release } => {
                let _ = entered.send(());
                let _ = release.await;
                Ok(())
            }
        }
    }

    async fn on_exit(&mut self, _: &mut Context<Self>, _: ExitSignal) -> Result<(), Injected> {
        self.inject(At::OnExit)
    }

    async fn on_down(&mut self, _: &mut Context<Self>, _: DownNotice) -> Result<(), Injected> {
        self.inject(At::OnDown)
    }

    async fn on_idle(&mut self, _: &mut Context<Self>) -> Result<(), Injected> {
        self.inject(At::OnIdle)
    }

    async fn post_stop(&mut self, _: &mut Context<Self>, _: &ExitReason) -> Result<(), Injected> {
        if let Some(delay) = self.faults.slow_stop {
            tokio::time::sleep(delay).await;
        }
        self.inject(At::PostStop)
    }
}

const JOB: &str = "crash_reports::Job";
const FAULTY: &str = "crash_reports::Faulty";

async fn faulty(system: &ActorSystem, faults: Faults) -> ActorRef<Faulty> {
    system.spawn::<Faulty>(faults).await.expect("spawn")
}

/// The only report in the history, checked to be about `actor`.
fn only_report(system: &ActorSystem, actor: ActorId) -> CrashReport {
    let reports = system.crash_reports().recent();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(system.crash_reports().count(), 1);
    assert_eq!(reports[0].actor, actor);
    reports[0].clone()
}

/// The report about `actor`, which must be there.
fn report_of(system: &ActorSystem, actor: ActorId) -> CrashReport {
    let reports = system.crash_reports().recent();
    let mut about = reports.iter().filter(|report| report.actor == actor);
    let report = about.next().unwrap_or_else(|| panic!("no report of {actor} in {reports:?}"));
    assert!(about.next().is_none(), "two reports of {actor}");
    report.clone()
}

/// The child's running actor, once it is another than `previous`.
async fn next_child(
    supervisor: &SupervisorRef,
    id: &str,
    previous: Option<ActorId>,
) -> ActorRef<Faulty> {
    // Subscribed before looking: a start after the look is an event (T22).
    let mut events = supervisor.events().await.unwrap();
    loop {
        match supervisor.child::<Faulty>(id).await.expect("supervisor running") {
            Some(child) if Some(child.id()) != previous => return child,
            _ => {}
        }
        loop {
            match events.next().await {
                Some(
                    SupervisorEvent::Started { id: started, .. }
                    | SupervisorEvent::Restarted { id: started, .. },
                ) if &*started == id => break,
                // Lost track: look again.
                Some(SupervisorEvent::Lagged { .. }) => break,
                Some(_) => continue,
                None => panic!("the supervisor ended before {id} started again"),
            }
        }
    }
}

fn fast_restarts(strategy: Strategy) -> SupervisorSpec {
    SupervisorSpec::new(strategy).intensity(100, Duration::from_secs(1))
}

async fn root(system: &ActorSystem, spec: SupervisorSpec) -> SupervisorRef {
    Supervisor::start_with(system, SpawnOptions::new().name("root"), spec).await.expect("start")
}

// ------------------------------------------------------------------ C1

#[tokio::test]
async fn c1_every_abnormal_exit_is_reported_once_and_normal_exits_never() {
    let system = ActorSystem::new();

    // Normal and Shutdown: no report.
    let stopped = faulty(&system, Faults::new()).await;
    stopped.stop();
    assert_eq!(stopped.wait_for_exit().await, ExitReason::Normal);
    let shut = faulty(&system, Faults::new()).await;
    shut.stop_with(ExitReason::Shutdown);
    shut.wait_for_exit().await;
    assert_eq!(system.crash_reports().count(), 0);

    // A panic: one report, there as soon as the exit is visible.
    let crashing = faulty(&system, Faults::new()).await;
    crashing.tell(Job::Panic).await.unwrap();
    assert!(crashing.wait_for_exit().await.is_panic());
    let report = only_report(&system, crashing.id());
    assert_eq!(report.actor_type, FAULTY);
    assert_eq!(report.panic_message(), Some("handler panicked on purpose"));

    // A handler error then a failing post_stop: still one report, with the final reason.
    let twice = faulty(&system, Faults::new().at(At::PostStop, Fault::Fail)).await;
    twice.tell(Job::Fail).await.unwrap();
    let reason = twice.wait_for_exit().await;
    let report = report_of(&system, twice.id());
    assert_eq!(report.reason, reason);
    assert_eq!(system.crash_reports().count(), 2);

    // An orderly system shutdown reports nothing.
    let _alive = faulty(&system, Faults::new()).await;
    system.shutdown().await;
    assert_eq!(system.crash_reports().count(), 2);
}

#[tokio::test]
async fn c1_the_report_is_written_before_links_monitors_and_the_supervisor_hear_of_the_exit() {
    let system = ActorSystem::new();
    let supervisor = root(&system, fast_restarts(Strategy::OneForOne)).await;
    supervisor.start_child(ChildSpec::worker::<Faulty>("worker", Faults::new())).await.unwrap();
    let first = next_child(&supervisor, "worker", None).await;

    // Records how many reports there were when its monitor fired.
    let (watcher, count_at_down) =
        Observer::<u64, Faulty>::spawn(&system, |system, _| system.crash_reports().count()).await;
    watcher.ask(first.clone()).await.unwrap();

    first.tell(Job::Panic).await.unwrap();
    let count_at_down = count_at_down.wait_for_len(1).await[0];
    assert_eq!(count_at_down, 1, "the down notice came before the report");
    let second = next_child(&supervisor, "worker", Some(first.id())).await;
    // The restarted child's report count starts from a history that already had the first.
    assert_eq!(report_of(&system, first.id()).restarts, Some(0));
    assert!(second.is_alive());
    system.shutdown().await;
}

// ------------------------------------------------------------------ C2

#[tokio::test(start_paused = true)]
async fn c2_kills_are_reported_except_a_supervisors_brutal_kill() {
    let system = ActorSystem::builder().shutdown_timeout(Duration::from_secs(1)).build().unwrap();

    // ActorRef::kill of an idle actor: reported, as a kill while waiting.
    let killed = faulty(&system, Faults::new()).await;
    killed.ask(Job::Work).await.unwrap(); // past post_start, waiting for work
    killed.kill();
    assert_eq!(killed.wait_for_exit().await, ExitReason::Killed);
    let report = only_report(&system, killed.id());
    assert_eq!(report.reason, ExitReason::Killed);
    assert_eq!(report.activity, Activity::Waiting);

    // A supervisor's BrutalKill of its child (terminate, then its own end): not reported.
    let supervisor = root(&system, fast_restarts(Strategy::OneForOne)).await;
    let brutal =
        ChildSpec::worker::<Faulty>("brutal", Faults::new()).shutdown(Shutdown::BrutalKill);
    supervisor.start_child(brutal).await.unwrap();
    let child = next_child(&supervisor, "brutal", None).await;
    supervisor.terminate_child("brutal").await.unwrap();
    assert_eq!(child.wait_for_exit().await, ExitReason::Killed);
    supervisor.restart_child("brutal").await.unwrap();
    let again = next_child(&supervisor, "brutal", Some(child.id())).await;
    assert_eq!(system.crash_reports().count(), 1);

    // A Timeout child that does not stop in time is killed, and that is reported.
    let slow = Faults { slow_stop: Some(Duration::from_secs(60)), ..Faults::new() };
    let spec = ChildSpec::worker::<Faulty>("slow", slow)
        .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
    supervisor.start_child(spec).await.unwrap();
    let slow_child = next_child(&supervisor, "slow", None).await;
    supervisor.terminate_child("slow").await.unwrap();
    assert_eq!(slow_child.wait_for_exit().await, ExitReason::Killed);
    let report = report_of(&system, slow_child.id());
    assert_eq!(report.activity, Activity::PostStop);
    assert_eq!(&*report.path, "root/slow");

    // A system shutdown's kill after its timeout is reported; the brutal child is not.
    let straggler =
        faulty(&system, Faults { slow_stop: Some(Duration::from_secs(60)), ..Faults::new() }).await;
    let shutdown = system.shutdown().await;
    assert_eq!(shutdown.killed, 1);
    assert_eq!(report_of(&system, straggler.id()).reason, ExitReason::Killed);
    assert_eq!(again.wait_for_exit().await, ExitReason::Killed);
    assert_eq!(system.crash_reports().count(), 3);
}

#[tokio::test]
async fn c2_a_killed_exit_signal_is_reported_for_the_linked_actor_too() {
    let system = ActorSystem::new();
    let linked = faulty(&system, Faults::new()).await;
    let killed = faulty(&system, Faults::new()).await;
    killed.ask(Job::Work).await.unwrap();
    linked.ask(Job::Link(killed.clone())).await.unwrap();
    killed.kill();
    assert_eq!(linked.wait_for_exit().await, ExitReason::Killed);
    assert_eq!(report_of(&system, killed.id()).activity, Activity::Waiting);
    let report = report_of(&system, linked.id());
    assert_eq!(report.reason, ExitReason::Killed);
    assert_eq!(report.activity, Activity::LinkedExit);
}

// ------------------------------------------------------------------ C3

#[tokio::test]
async fn c3_a_report_names_the_actor_and_the_reason() {
    let system = ActorSystem::new();
    let before = chrono::Utc::now();
    let options = SpawnOptions::new().name("named");
    let named = system.spawn_with::<Faulty>(options, Faults::new()).await.unwrap();
    named.tell(Job::Fail).await.unwrap();
    let reason = named.wait_for_exit().await;
    let report = only_report(&system, named.id());
    assert_eq!(report.name.as_deref(), Some("named"));
    assert_eq!(report.actor_type, FAULTY);
    assert_eq!(report.reason, reason);
    assert!(report.reason.error().is_some());
    assert_eq!(report.panic_message(), None);
    assert!(report.at >= before);
    assert_eq!(
        report.to_string(),
        format!("{} named ({FAULTY}) crashed handling a message of type {JOB}: failed: injected failure", named.id())
    );
}

// ------------------------------------------------------------------ C4

/// Spawns an actor with this fault, makes it happen with `trigger`, and returns its report.
async fn activity_of(
    faults: Faults,
    trigger: impl AsyncFnOnce(&ActorSystem, &ActorRef<Faulty>),
) -> CrashReport {
    let system = ActorSystem::new();
    let actor = faulty(&system, faults).await;
    trigger(&system, &actor).await;
    actor.wait_for_exit().await;
    report_of(&system, actor.id())
}

#[tokio::test]
async fn c4_the_handler_is_reported_with_its_message_type() {
    let panicked = activity_of(Faults::new(), async |_, actor| {
        actor.tell(Job::Panic).await.unwrap();
    })
    .await;
    assert_eq!(panicked.activity, Activity::Handling { message_type: JOB });
    assert_eq!(panicked.activity.message_type(), Some(JOB));
    let failed = activity_of(Faults::new(), async |_, actor| {
        actor.tell(Job::Fail).await.unwrap();
    })
    .await;
    assert_eq!(failed.activity, Activity::Handling { message_type: JOB });

    // Killed in the middle of a message: that message's type.
    let killed = activity_of(Faults::new(), async |_, actor| {
        let (entered, inside) = oneshot::channel();
        let (_release, release) = oneshot::channel();
        actor.tell(Job::Block { entered, release }).await.unwrap();
        inside.await.unwrap();
        actor.kill();
    })
    .await;
    assert_eq!(killed.reason, ExitReason::Killed);
    assert_eq!(killed.activity, Activity::Handling { message_type: JOB });
}

#[tokio::test]
async fn c4_each_hook_is_reported_by_name() {
    for fault in [Fault::Panic, Fault::Fail] {
        let report = activity_of(Faults::new().at(At::PostStart, fault), async |_, _| {}).await;
        assert_eq!(report.activity, Activity::PostStart);
        assert_eq!(report.activity.hook(), Some("post_start"));

        // post_stop's failure replaces a normal end.
        let report = activity_of(Faults::new().at(At::PostStop, fault), async |_, actor| {
            actor.stop();
        })
        .await;
        assert_eq!(report.activity, Activity::PostStop);
        assert_eq!(report.reason.is_panic(), fault == Fault::Panic);

        // on_exit of an actor that traps exits, on a linked actor's crash.
        let trapping = Faults { trap_exits: true, ..Faults::new().at(At::OnExit, fault) };
        let report = activity_of(trapping, async |system, actor| {
            let linked = faulty(system, Faults::new()).await;
            actor.ask(Job::Link(linked.clone())).await.unwrap();
            linked.tell(Job::Panic).await.unwrap();
        })
        .await;
        assert_eq!(report.activity, Activity::OnExit);

        let report = activity_of(Faults::new().at(At::OnDown, fault), async |system, actor| {
            let watched = faulty(system, Faults::new()).await;
            actor.ask(Job::Monitor(watched.clone())).await.unwrap();
            watched.stop();
        })
        .await;
        assert_eq!(report.activity, Activity::OnDown);
    }
}

#[tokio::test(start_paused = true)]
async fn c4_on_idle_is_reported_by_name() {
    for fault in [Fault::Panic, Fault::Fail] {
        let idle =
            Faults { idle: Some(Duration::from_secs(1)), ..Faults::new().at(At::OnIdle, fault) };
        let report = activity_of(idle, async |_, _| {}).await;
        assert_eq!(report.activity, Activity::OnIdle);
        assert_eq!(report.activity.to_string(), "in on_idle");
    }
}

#[tokio::test]
async fn c4_linked_exits_stops_and_state_drops_are_reported_as_such() {
    let linked = activity_of(Faults::new(), async |system, actor| {
        let crashing = faulty(system, Faults::new()).await;
        actor.ask(Job::Link(crashing.clone())).await.unwrap();
        crashing.tell(Job::Panic).await.unwrap();
    })
    .await;
    assert_eq!(linked.activity, Activity::LinkedExit);
    assert_eq!(linked.panic_message(), Some("handler panicked on purpose"));

    let stopping = activity_of(Faults::new(), async |_, actor| {
        actor.tell(Job::StopWith(ExitReason::failed(Injected))).await.unwrap();
    })
    .await;
    assert_eq!(stopping.activity, Activity::Stopping);

    // A normal stop whose state panics when dropped.
    let dropping = activity_of(Faults::new().at(At::Drop, Fault::Panic), async |_, actor| {
        actor.stop();
    })
    .await;
    assert_eq!(dropping.activity, Activity::DroppingState);
    assert_eq!(dropping.panic_message(), Some("injected panic in Drop"));
}

#[test]
fn c4_a_dropped_task_is_reported_as_a_kill() {
    let system = ActorSystem::new();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let actor = runtime.block_on(faulty(&system, Faults::new()));
    drop(runtime);
    let report = report_of(&system, actor.id());
    assert_eq!(report.reason, ExitReason::Killed);
    assert_eq!(report.activity, Activity::TaskDropped);
}

// ------------------------------------------------------------------ C5

#[tokio::test]
async fn c5_a_failed_pre_start_is_reported_only_under_a_supervisor() {
    let system = ActorSystem::new();
    for fault in [Fault::Panic, Fault::Fail] {
        let refused = system.spawn::<Faulty>(Faults::new().at(At::PreStart, fault)).await;
        assert!(matches!(refused, Err(SpawnError::StartFailed(_))));
    }
    assert_eq!(system.crash_reports().count(), 0);

    // At the supervisor's own start: the child is reported, the failed supervisor is not.
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Faulty>("first", Faults::new().at(At::PreStart, Fault::Panic)));
    let failed = Supervisor::start_with(&system, SpawnOptions::new().name("root"), spec).await;
    assert!(failed.is_err());
    let reports = system.crash_reports().recent();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].activity, Activity::PreStart);
    assert_eq!(&*reports[0].path, "root/first");
    assert_eq!(reports[0].restarts, Some(0));
    assert_eq!(reports[0].panic_message(), Some("injected panic in PreStart"));

    // start_child under a running supervisor.
    let supervisor = root(&system, fast_restarts(Strategy::OneForOne)).await;
    let spec = ChildSpec::worker::<Faulty>("late", Faults::new().at(At::PreStart, Fault::Fail));
    assert!(supervisor.start_child(spec).await.is_err());
    let reports = system.crash_reports().recent();
    assert_eq!(reports.len(), 2);
    assert_eq!((&*reports[1].path, reports[1].activity), ("root/late", Activity::PreStart));
    system.shutdown().await;
}

#[tokio::test]
async fn c5_a_failed_restart_is_reported_with_its_restart_count() {
    let system = ActorSystem::new();
    let faults = Faults::new();
    let failing = Arc::clone(&faults.failing_starts);
    let spec =
        fast_restarts(Strategy::OneForOne).child(ChildSpec::worker::<Faulty>("worker", faults));
    let supervisor = root(&system, spec).await;
    let first = next_child(&supervisor, "worker", None).await;
    failing.store(1, Ordering::SeqCst);
    first.tell(Job::Panic).await.unwrap();
    // The restart fails, is counted, and the next one succeeds.
    let third = next_child(&supervisor, "worker", Some(first.id())).await;
    let reports = system.crash_reports().recent();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(
        (reports[0].activity, reports[0].restarts),
        (Activity::Handling { message_type: JOB }, Some(0))
    );
    assert_eq!((reports[1].activity, reports[1].restarts), (Activity::PreStart, Some(1)));
    third.tell(Job::Panic).await.unwrap();
    third.wait_for_exit().await;
    assert_eq!(report_of(&system, third.id()).restarts, Some(2));
    system.shutdown().await;
}

// ------------------------------------------------------------------ C6

#[tokio::test]
async fn c6_the_path_of_an_unsupervised_actor_is_its_name_or_id() {
    let system = ActorSystem::new();
    let anonymous = faulty(&system, Faults::new()).await;
    anonymous.tell(Job::Panic).await.unwrap();
    anonymous.wait_for_exit().await;
    let report = report_of(&system, anonymous.id());
    assert_eq!(*report.path, *anonymous.id().to_string());
    assert_eq!(report.restarts, None);

    let named = system.spawn_named::<Faulty>("lonely", Faults::new()).await.unwrap();
    named.tell(Job::Panic).await.unwrap();
    named.wait_for_exit().await;
    assert_eq!(&*report_of(&system, named.id()).path, "lonely");
}

#[tokio::test]
async fn c6_a_crash_inside_a_nested_tree_has_the_path_from_the_root() {
    let system = ActorSystem::new();
    let pool = fast_restarts(Strategy::OneForOne)
        .child(ChildSpec::worker::<Faulty>("worker-1", Faults::new()))
        .child(ChildSpec::worker::<Faulty>("worker-3", Faults::new()));
    let tree = fast_restarts(Strategy::OneForOne).child(ChildSpec::supervisor("pool", pool));
    let named_root = root(&system, tree.clone()).await;
    let anonymous_root = Supervisor::start(&system, tree).await.unwrap();

    for (top, prefix) in [
        (&named_root, "root".to_string()),
        (&anonymous_root, anonymous_root.actor().id().to_string()),
    ] {
        let pool: ActorRef<Supervisor> =
            top.child::<Supervisor>("pool").await.unwrap().expect("pool running");
        let pool = SupervisorRef::from(pool);
        let worker = next_child(&pool, "worker-3", None).await;
        worker.tell(Job::Panic).await.unwrap();
        worker.wait_for_exit().await;
        let report = report_of(&system, worker.id());
        assert_eq!(*report.path, format!("{prefix}/pool/worker-3"));
        assert_eq!(report.restarts, Some(0));
        // The restarted worker keeps the path.
        let again = next_child(&pool, "worker-3", Some(worker.id())).await;
        again.tell(Job::Fail).await.unwrap();
        again.wait_for_exit().await;
        let report = report_of(&system, again.id());
        assert_eq!(*report.path, format!("{prefix}/pool/worker-3"));
        assert_eq!(report.restarts, Some(1));
    }
    system.shutdown().await;
}

#[tokio::test]
async fn c6_dynamic_children_and_custom_start_functions_get_the_childs_path() {
    let system = ActorSystem::new();
    let spec =
        SupervisorSpec::new(Strategy::SimpleOneForOne).template(ChildTemplate::worker::<Faulty>());
    let dynamic =
        Supervisor::start_with(&system, SpawnOptions::new().name("conns"), spec).await.unwrap();
    let child = dynamic.start_dynamic::<Faulty>(Faults::new()).await.unwrap();
    let worker = next_child(&dynamic, child.id(), None).await;
    worker.tell(Job::Panic).await.unwrap();
    worker.wait_for_exit().await;
    assert_eq!(*report_of(&system, worker.id()).path, format!("conns/{}", child.id()));

    // A start function that spawns a helper before its child: the child gets the path, the
    // helper keeps none.
    let helpers: Arc<Mutex<Vec<ActorRef<Faulty>>>> = Arc::default();
    let kept = Arc::clone(&helpers);
    let custom = ChildSpec::new("custom", move |system: ActorSystem| {
        let kept = Arc::clone(&kept);
        async move {
            let helper = system.spawn::<Faulty>(Faults::new()).await?;
            kept.lock().push(helper);
            let child = system.spawn::<Faulty>(Faults::new()).await?;
            StartResult::Ok(Some(Child::from(child)))
        }
    });
    let supervisor = root(&system, fast_restarts(Strategy::OneForOne).child(custom)).await;
    let child = next_child(&supervisor, "custom", None).await;
    let helper = helpers.lock().pop().expect("a helper");
    helper.tell(Job::Panic).await.unwrap();
    helper.wait_for_exit().await;
    child.tell(Job::Panic).await.unwrap();
    child.wait_for_exit().await;
    let helper_report = report_of(&system, helper.id());
    assert_eq!(
        (*helper_report.path == *helper.id().to_string(), helper_report.restarts),
        (true, None)
    );
    let child_report = report_of(&system, child.id());
    assert_eq!((&*child_report.path, child_report.restarts), ("root/custom", Some(0)));
    system.shutdown().await;
}

// ------------------------------------------------------------------ C7

#[tokio::test]
async fn c7_restart_counts_grow_with_each_restart_of_the_specification() {
    let system = ActorSystem::new();
    let spec = fast_restarts(Strategy::OneForAll)
        .child(ChildSpec::worker::<Faulty>("crashing", Faults::new()))
        .child(ChildSpec::worker::<Faulty>("sibling", Faults::new()));
    let supervisor = root(&system, spec).await;
    let mut previous = None;
    for expected in 0..3 {
        let crashing = next_child(&supervisor, "crashing", previous).await;
        crashing.tell(Job::Panic).await.unwrap();
        crashing.wait_for_exit().await;
        assert_eq!(report_of(&system, crashing.id()).restarts, Some(expected));
        previous = Some(crashing.id());
    }
    // The sibling was restarted with it each time (OneForAll): its count grew too.
    let crashing = next_child(&supervisor, "crashing", previous).await;
    let sibling = next_child(&supervisor, "sibling", None).await;
    sibling.tell(Job::Fail).await.unwrap();
    sibling.wait_for_exit().await;
    assert_eq!(report_of(&system, sibling.id()).restarts, Some(3));

    // restart_child counts; a new specification under the same id starts again from 0.
    let crashing = next_child(&supervisor, "crashing", Some(crashing.id())).await;
    supervisor.terminate_child("crashing").await.unwrap();
    supervisor.restart_child("crashing").await.unwrap();
    let restarted = next_child(&supervisor, "crashing", Some(crashing.id())).await;
    restarted.tell(Job::Panic).await.unwrap();
    restarted.wait_for_exit().await;
    assert_eq!(report_of(&system, restarted.id()).restarts, Some(5));
    let replaced = next_child(&supervisor, "crashing", Some(restarted.id())).await;
    supervisor.terminate_child("crashing").await.unwrap();
    supervisor.delete_child("crashing").await.unwrap();
    supervisor.start_child(ChildSpec::worker::<Faulty>("crashing", Faults::new())).await.unwrap();
    let fresh = next_child(&supervisor, "crashing", Some(replaced.id())).await;
    fresh.tell(Job::Panic).await.unwrap();
    fresh.wait_for_exit().await;
    assert_eq!(report_of(&system, fresh.id()).restarts, Some(0));
    system.shutdown().await;
}

// ------------------------------------------------------------------ C8

#[tokio::test]
async fn c8_the_history_keeps_the_latest_and_counts_them_all() {
    let system = ActorSystem::builder().crash_report_history(3).build().unwrap();
    assert_eq!(system.config().crash_report_history(), 3);
    let mut crashed = Vec::new();
    for _ in 0..5 {
        let actor = faulty(&system, Faults::new()).await;
        actor.tell(Job::Panic).await.unwrap();
        actor.wait_for_exit().await;
        crashed.push(actor.id());
    }
    assert_eq!(system.crash_reports().count(), 5);
    let kept: Vec<ActorId> =
        system.crash_reports().recent().iter().map(|report| report.actor).collect();
    assert_eq!(kept, crashed[2..]);

    let counting_only = ActorSystem::builder().crash_report_history(0).build().unwrap();
    let actor = faulty(&counting_only, Faults::new()).await;
    actor.tell(Job::Fail).await.unwrap();
    actor.wait_for_exit().await;
    assert_eq!(counting_only.crash_reports().count(), 1);
    assert!(counting_only.crash_reports().recent().is_empty());
    assert_eq!(ActorSystem::new().config().crash_report_history(), 64);
}

// ------------------------------------------------------------------ C9, C10: tracing

/// One captured `tracing` event: its target, level and fields, formatted.
#[derive(Clone, Debug)]
struct Captured {
    target: String,
    level: tracing::Level,
    fields: HashMap<String, String>,
}

/// A subscriber that keeps every event.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

impl Capture {
    fn events(&self, target: &str) -> Vec<Captured> {
        self.0.lock().iter().filter(|event| event.target == target).cloned().collect()
    }
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl tracing::Subscriber for Capture {
    fn register_callsite(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::always()
    }
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let metadata = event.metadata();
        self.0.lock().push(Captured {
            target: metadata.target().to_string(),
            level: *metadata.level(),
            fields,
        });
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

// Current-thread runtime: the actors run on the thread whose default subscriber is set.
#[tokio::test(flavor = "current_thread")]
async fn c9_the_tracing_event_carries_the_reports_fields() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let system = ActorSystem::new();
    let spec = fast_restarts(Strategy::OneForOne).child(ChildSpec::worker_with::<Faulty>(
        "worker",
        SpawnOptions::new().name("w"),
        Faults::new(),
    ));
    let supervisor = root(&system, spec).await;
    let worker = next_child(&supervisor, "worker", None).await;
    worker.tell(Job::Panic).await.unwrap();
    worker.wait_for_exit().await;
    let unsupervised = faulty(&system, Faults::new()).await;
    unsupervised.ask(Job::Work).await.unwrap();
    unsupervised.kill();
    unsupervised.wait_for_exit().await;

    let events = capture.events("airssys_rt::crash");
    assert_eq!(events.len(), 2, "{events:?}");
    let crash = &events[0];
    assert_eq!(crash.level, tracing::Level::ERROR);
    let field = |name: &str| crash.fields.get(name).map(String::as_str);
    assert_eq!(field("message"), Some("crash report"));
    assert_eq!(field("actor"), Some(&*worker.id().to_string()));
    assert_eq!(field("name"), Some("w"));
    assert_eq!(field("actor_type"), Some(FAULTY));
    assert_eq!(field("path"), Some("root/worker"));
    assert_eq!(field("reason"), Some("panicked: handler panicked on purpose"));
    assert_eq!(field("panic"), Some("handler panicked on purpose"));
    assert_eq!(field("restarts"), Some("0"));
    assert_eq!(field("activity"), Some(&*format!("handling a message of type {JOB}")));
    assert_eq!(field("message_type"), Some(JOB));

    // A kill: WARN, and the fields it has no value for are absent.
    let kill = &events[1];
    assert_eq!(kill.level, tracing::Level::WARN);
    assert_eq!(kill.fields.get("reason").map(String::as_str), Some("killed"));
    assert_eq!(kill.fields.get("activity").map(String::as_str), Some("waiting for work"));
    for absent in ["name", "panic", "restarts", "message_type"] {
        assert!(!kill.fields.contains_key(absent), "{absent} in {kill:?}");
    }
    system.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn c10_dead_letters_are_kept_and_emitted_with_target_reason_and_message_type() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let system = ActorSystem::new();
    let options = SpawnOptions::new()
        .name("full")
        .mailbox(MailboxConfig::bounded(1).overflow(OverflowPolicy::DropNewest));
    let actor = system.spawn_with::<Faulty>(options, Faults::new()).await.unwrap();
    let (entered, inside) = oneshot::channel();
    let (release, blocked) = oneshot::channel();
    actor.tell(Job::Block { entered, release: blocked }).await.unwrap();
    inside.await.unwrap();
    actor.tell(Job::Work).await.unwrap(); // fills the mailbox
    actor.tell(Job::Work).await.unwrap(); // dropped on arrival
    let _ = release.send(());

    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].target, actor.id());
    assert_eq!(letters[0].target_name.as_deref(), Some("full"));
    assert_eq!(letters[0].reason, DeadLetterReason::DroppedNewest);
    assert_eq!(letters[0].message_type, JOB);

    let events = capture.events("airssys_rt::dead_letter");
    assert_eq!(events.len(), 1, "{events:?}");
    let field = |name: &str| events[0].fields.get(name).map(String::as_str);
    assert_eq!(events[0].level, tracing::Level::DEBUG);
    assert_eq!(field("actor"), Some(&*actor.id().to_string()));
    assert_eq!(field("name"), Some("full"));
    assert_eq!(field("message_type"), Some(JOB));
    assert_eq!(field("reason"), Some(&*DeadLetterReason::DroppedNewest.to_string()));
    assert_eq!(field("was_ask"), Some("false"));
    system.shutdown().await;
}

#[tokio::test]
async fn c6_a_supervised_childs_place_is_its_supervisors_to_give_not_a_strangers() {
    use airssys_rt::kernel::{start_in_tree, TreePlace};
    use airssys_rt::supervisor::{ChildSpec, Strategy, SupervisorSpec};
    let system = ActorSystem::new();
    let spec =
        SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker::<common::Idle>("w", ()));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child::<common::Idle>("w").await.unwrap().unwrap().erase();
    let place = child.tree_place();
    assert!(place.is_some());
    // A start that spawns nothing, naming someone else's child as the one it started.
    let forged = TreePlace::new("forged/path", 99);
    start_in_tree(forged, async {}, |_| Some(child.clone())).await;
    assert_eq!(child.tree_place(), place, "its crash reports would carry a forged path");
}
