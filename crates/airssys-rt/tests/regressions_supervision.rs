//! Regression tests from the third review: links, monitors, exit signals and supervisors, read
//! against chapters L and T of `docs/semantics.md` and OTP. Each comment describes the defect as
//! it was found (the test proves it gone), or what was checked and found correct.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use airssys_rt::prelude::*;
use airssys_rt::signal::{DownNotice, ExitSignal};
use airssys_rt::supervisor::{
    Child, ChildSpec, Strategy, Supervisor, SupervisorError, SupervisorRef, SupervisorSpec,
};
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

mod common;
use common::tree::Log;

/// Generous bound on anything that might hang.
const LIMIT: Duration = Duration::from_secs(20);

type Infallible = std::convert::Infallible;

// ---------------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------------

/// Traps exits and ignores everything: the far end of many links.
struct Sink;

impl Actor for Sink {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = Infallible;

    async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        ctx.trap_exit(true);
        Ok(Sink)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Links to every helper in `pre_start`, so that whoever links to it later comes last in its
/// links and is told of its end last; ends abnormally on any message.
struct Wide;

impl Actor for Wide {
    type Msg = ();
    type Reply = ();
    type Args = Arc<Vec<ActorRef<Sink>>>;
    type Error = Infallible;

    async fn pre_start(helpers: Self::Args, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        for helper in helpers.iter() {
            ctx.link(helper);
        }
        Ok(Wide)
    }

    async fn handle(&mut self, _: (), ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        ctx.stop_with(ExitReason::panicked("wide ended"));
        Ok(())
    }
}

async fn helpers(system: &ActorSystem, n: usize) -> Arc<Vec<ActorRef<Sink>>> {
    let mut all = Vec::with_capacity(n);
    for _ in 0..n {
        all.push(system.spawn::<Sink>(()).await.unwrap());
    }
    Arc::new(all)
}

enum PeerOp {
    Link(ActorRef<Wide>),
    /// Tells `entered`, waits for `go`, then unlinks.
    UnlinkLater(ActorRef<Wide>, oneshot::Sender<()>, oneshot::Receiver<()>),
    LinkPeer(ActorRef<Peer>),
    UnlinkPeer(ActorRef<Peer>),
    Ping,
}

/// Does not trap exits.
struct Peer;

impl Actor for Peer {
    type Msg = PeerOp;
    type Reply = ();
    type Args = ();
    type Error = Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Peer)
    }

    async fn handle(&mut self, op: PeerOp, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        match op {
            PeerOp::Link(other) => ctx.link(&other),
            PeerOp::UnlinkLater(other, entered, go) => {
                let _ = entered.send(());
                let _ = go.await;
                ctx.unlink(&other);
            }
            PeerOp::LinkPeer(other) => ctx.link(&other),
            PeerOp::UnlinkPeer(other) => ctx.unlink(&other),
            PeerOp::Ping => {}
        }
        Ok(())
    }
}

/// Busy-waits about `micros` microseconds, to spread the timing of a race.
fn spin(micros: u64) {
    let start = StdInstant::now();
    while start.elapsed() < Duration::from_micros(micros) {
        std::hint::spin_loop();
    }
}

/// A worker that reports how it ended (from `post_stop`) and may trap exits.
#[derive(Clone)]
struct ReporterArgs {
    name: &'static str,
    trap: bool,
    reports: mpsc::UnboundedSender<(&'static str, ExitReason)>,
}

struct Reporter {
    args: ReporterArgs,
}

impl Actor for Reporter {
    type Msg = ();
    type Reply = ();
    type Args = ReporterArgs;
    type Error = Infallible;

    async fn pre_start(args: ReporterArgs, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        if args.trap {
            ctx.trap_exit(true);
        }
        Ok(Reporter { args })
    }

    async fn handle(&mut self, _: (), ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        ctx.stop_with(ExitReason::panicked("reporter ended"));
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        reason: &ExitReason,
    ) -> Result<(), Self::Error> {
        let _ = self.args.reports.send((self.args.name, reason.clone()));
        Ok(())
    }
}

/// Logs its start; ends abnormally on any message.
struct Logged {
    name: &'static str,
}

impl Actor for Logged {
    type Msg = ();
    type Reply = ();
    type Args = (&'static str, Log);
    type Error = Infallible;

    async fn pre_start(
        (name, log): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        log.push(format!("start:{name}"));
        Ok(Logged { name })
    }

    async fn handle(&mut self, _: (), ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        ctx.stop_with(ExitReason::panicked(format!("{} ended", self.name)));
        Ok(())
    }
}

/// A child spec whose start function tells `entered`, then waits for `release` before
/// answering "ignore": it keeps the supervisor busy for as long as the test wants.
fn blocking_spec(id: &'static str) -> (ChildSpec, oneshot::Receiver<()>, oneshot::Sender<()>) {
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let gates = Arc::new(Mutex::new(Some((entered_tx, release_rx))));
    let spec = ChildSpec::new(id, move |_system: ActorSystem| {
        let gates = gates.lock().take();
        async move {
            if let Some((entered, release)) = gates {
                let _ = entered.send(());
                let _ = release.await;
            }
            Ok(None)
        }
    });
    (spec, entered_rx, release_tx)
}

enum ParentOp {
    Link(ActorRef<Supervisor>),
    Die,
}

/// Links to a supervisor, as a parent would, and can end abnormally.
struct Parent;

impl Actor for Parent {
    type Msg = ParentOp;
    type Reply = ();
    type Args = ();
    type Error = Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Parent)
    }

    async fn handle(&mut self, op: ParentOp, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        match op {
            ParentOp::Link(supervisor) => ctx.link(&supervisor),
            ParentOp::Die => ctx.stop_with(ExitReason::panicked("parent died")),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 1: an exit signal can arrive after `unlink` has returned
// ---------------------------------------------------------------------------------------------

/// L6: after `unlink` returns, the end of the other actor must not affect the caller.
/// `signal_end` takes the ending actor's links under its lock, then signals each one later,
/// outside it; `unlink` that runs in between finds no link to remove on the other side and no
/// queued exit to drop, and the exit signal lands afterwards: a non-trapping caller dies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_unlink_racing_the_others_end_still_delivers_its_exit() {
    let system = ActorSystem::new();
    // The ending actor signals these before the peer: that is the window.
    let helpers = helpers(&system, 500).await;
    let peer = system.spawn::<Peer>(()).await.unwrap();
    for round in 0..100u64 {
        let wide = system.spawn::<Wide>(helpers.clone()).await.unwrap();
        peer.ask(PeerOp::Link(wide.clone())).await.unwrap();
        let (entered_tx, entered_rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel();
        let unlinking = tokio::spawn({
            let peer = peer.clone();
            let wide = wide.clone();
            async move { peer.ask(PeerOp::UnlinkLater(wide, entered_tx, go_rx)).await }
        });
        entered_rx.await.unwrap();
        wide.tell(()).await.unwrap();
        spin(round % 60 * 5);
        let _ = go_tx.send(());
        timeout(LIMIT, unlinking).await.unwrap().unwrap().unwrap();
        // The exit signal, if any, is queued before the end is announced.
        timeout(LIMIT, wide.wait_for_exit()).await.unwrap();
        if let Err(error) = peer.ask(PeerOp::Ping).await {
            panic!(
                "round {round}: the peer unlinked, then died of the unlinked actor's end: {:?}",
                error.to_string()
            );
        }
    }
}

/// The same race through a supervisor: `terminate_child` unlinks the child while the child
/// is ending on its own. The stale exit signal then comes from an actor that is no longer a
/// child, which `on_exit` takes for its parent's: the supervisor stops all its children and
/// ends with the child's reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_terminate_child_racing_its_crash_ends_the_supervisor() {
    let system = ActorSystem::new();
    let helpers = helpers(&system, 500).await;
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(u32::MAX, Duration::from_secs(1))
        .child(ChildSpec::new("w", move |system: ActorSystem| {
            let helpers = helpers.clone();
            async move {
                let wide = system.spawn::<Wide>(helpers).await?;
                Ok(Some(Child::from(wide)))
            }
        }));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    for round in 0..100u64 {
        let child = match timeout(LIMIT, supervisor.child::<Wide>("w")).await.unwrap() {
            Ok(Some(child)) => child,
            Ok(None) => {
                timeout(LIMIT, supervisor.restart_child("w")).await.unwrap().unwrap();
                continue;
            }
            Err(error) => panic!("round {round}: supervisor gone: {error}"),
        };
        let terminating = tokio::spawn({
            let supervisor = supervisor.clone();
            async move { supervisor.terminate_child("w").await }
        });
        spin(round % 60 * 5);
        let _ = child.tell(()).await;
        let terminated = timeout(LIMIT, terminating).await.unwrap().unwrap();
        timeout(LIMIT, child.wait_for_exit()).await.unwrap();
        match timeout(LIMIT, supervisor.count_children()).await.unwrap() {
            Ok(_) => {}
            Err(SupervisorError::NotRunning) => panic!(
                "round {round}: the supervisor ended ({:?}) after terminate_child ({terminated:?}) \
                 raced the child's own end",
                supervisor.actor().exit_reason()
            ),
            Err(other) => panic!("round {round}: {other}"),
        }
        // Terminated (or restarted, then terminated): start it again for the next round.
        match timeout(LIMIT, supervisor.restart_child("w")).await.unwrap() {
            Ok(_) | Err(SupervisorError::Running(_)) => {}
            Err(other) => panic!("round {round}: {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 2: `Context::stop` does not end the actor "as soon as the hook returns"
// ---------------------------------------------------------------------------------------------

enum StopperOp {
    Link(ActorRef<Sink>),
    BlockThenStop(oneshot::Sender<()>, oneshot::Receiver<()>),
}

struct Stopper {
    events: mpsc::UnboundedSender<String>,
}

impl Actor for Stopper {
    type Msg = StopperOp;
    type Reply = ();
    type Args = mpsc::UnboundedSender<String>;
    type Error = Infallible;

    async fn pre_start(events: Self::Args, ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        ctx.trap_exit(true);
        Ok(Stopper { events })
    }

    async fn handle(&mut self, op: StopperOp, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        match op {
            StopperOp::Link(other) => ctx.link(&other),
            StopperOp::BlockThenStop(entered, release) => {
                let _ = entered.send(());
                let _ = release.await;
                ctx.stop();
            }
        }
        Ok(())
    }

    async fn on_exit(
        &mut self,
        _: &mut Context<Self>,
        exit: ExitSignal,
    ) -> Result<(), Self::Error> {
        let _ = self.events.send(format!("on_exit:{}", exit.reason));
        Ok(())
    }

    async fn on_down(&mut self, _: &mut Context<Self>, _: DownNotice) -> Result<(), Self::Error> {
        let _ = self.events.send("on_down".into());
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        reason: &ExitReason,
    ) -> Result<(), Self::Error> {
        let _ = self.events.send(format!("post_stop:{reason}"));
        Ok(())
    }
}

/// A4.2: a stop asked for in a handler ends the actor as soon as the handler returns. The stop
/// is queued behind the signals already waiting, so an exit signal that arrived meanwhile is
/// still handed to `on_exit` after `ctx.stop()`.
#[tokio::test]
async fn r3_stop_in_handler_still_runs_on_exit_for_a_queued_signal() {
    let system = ActorSystem::new();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let stopper = system.spawn::<Stopper>(events_tx).await.unwrap();
    let sink = system.spawn::<Sink>(()).await.unwrap();
    stopper.ask(StopperOp::Link(sink.clone())).await.unwrap();
    let (entered_tx, entered_rx) = oneshot::channel();
    let (release_tx, release_rx) = oneshot::channel();
    let blocked = tokio::spawn({
        let stopper = stopper.clone();
        async move { stopper.ask(StopperOp::BlockThenStop(entered_tx, release_rx)).await }
    });
    entered_rx.await.unwrap();
    sink.stop();
    sink.wait_for_exit().await; // its exit signal is queued in the stopper's signal lane
    release_tx.send(()).unwrap();
    timeout(LIMIT, blocked).await.unwrap().unwrap().unwrap();
    assert_eq!(timeout(LIMIT, stopper.wait_for_exit()).await.unwrap(), ExitReason::Normal);
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert_eq!(seen, vec!["post_stop:normal".to_string()], "a hook ran after ctx.stop()");
}

/// T14 / OTP: a supervisor that gets its parent's exit signal terminates at once. Its
/// `stop_with` was once queued behind a child's exit signal that was already waiting, so it
/// restarted that child first, during its own shutdown (and counted the restart).
#[tokio::test]
async fn r3_supervisor_restarts_a_child_after_its_parents_exit() {
    let system = ActorSystem::new();
    let log = Log::default();
    let inner = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Logged>("c", ("c", log.clone())));
    let root = Supervisor::start(
        &system,
        SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::supervisor("inner", inner)),
    )
    .await
    .unwrap();
    let supervisor = SupervisorRef::from(root.child::<Supervisor>("inner").await.unwrap().unwrap());
    let child = supervisor.child::<Logged>("c").await.unwrap().unwrap();

    // Keep the supervisor busy while both exit signals arrive: the parent's first.
    let (blocker, entered, release) = blocking_spec("blocker");
    let busy = tokio::spawn({
        let supervisor = supervisor.clone();
        async move { supervisor.start_child(blocker).await }
    });
    entered.await.unwrap();
    root.actor().kill();
    root.actor().wait_for_exit().await;
    child.tell(()).await.unwrap();
    child.wait_for_exit().await;
    drop(child);
    release.send(()).unwrap();
    let _ = timeout(LIMIT, busy).await.unwrap();

    let reason = timeout(LIMIT, supervisor.actor().wait_for_exit()).await.unwrap();
    assert_eq!(reason, ExitReason::Killed);
    assert_eq!(log.count("start:c"), 1, "restarted after the parent's exit: {:?}", log.lines());
}

/// OTP: a supervisor ignores the exit of a linked actor that is neither its parent nor one of
/// its children (such as a user process that linked to it, or a child it already unlinked).
#[tokio::test]
async fn r3_a_supervisor_ignores_the_exit_of_a_linked_non_parent() {
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Logged>("c", ("c", log.clone())));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let parent = system.spawn::<Parent>(()).await.unwrap();
    parent.ask(ParentOp::Link(supervisor.actor().clone())).await.unwrap();
    parent.tell(ParentOp::Die).await.unwrap();
    parent.wait_for_exit().await;
    // Queued behind the exit signal: answered only if the supervisor went on.
    assert_eq!(supervisor.count_children().await.unwrap().active, 1);
    assert!(supervisor.actor().is_alive());
}

// ---------------------------------------------------------------------------------------------
// Finding 3: children of a killed supervisor can end `Normal` instead of `Killed`
// ---------------------------------------------------------------------------------------------

/// Drops slowly once armed: stands for any slow drop in the supervisor's state.
struct SlowDrop(Arc<AtomicBool>);

impl Drop for SlowDrop {
    fn drop(&mut self) {
        if self.0.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A killed supervisor's children are linked to it and must end with `Killed` (OTP: they get
/// the `killed` exit signal). But the supervisor's state, which holds each child's only sender,
/// is dropped before its links are told: a child that runs in between has no sender left and
/// ends `Normal` (A4.6). Its own links and monitors are then told `Normal`: the failure does
/// not propagate. The slow drop only widens the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_children_of_a_killed_supervisor_end_normal() {
    let system = ActorSystem::new();
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let args = |name| ReporterArgs { name, trap: false, reports: reports_tx.clone() };
    let armed = Arc::new(AtomicBool::new(false));
    let slow = SlowDrop(Arc::clone(&armed));
    let slow_args = args("slow");
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(ChildSpec::worker::<Reporter>("a", args("a")))
        .child(ChildSpec::worker::<Reporter>("b", args("b")))
        .child(ChildSpec::new("slow", move |system: ActorSystem| {
            let _ = &slow;
            let args = slow_args.clone();
            async move { Ok(Some(Child::from(system.spawn::<Reporter>(args).await?))) }
        }));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    armed.store(true, Ordering::SeqCst);
    supervisor.actor().kill();
    let mut ends = Vec::new();
    for _ in 0..3 {
        ends.push(timeout(LIMIT, reports.recv()).await.unwrap().unwrap());
    }
    ends.sort_by_key(|(name, _)| *name);
    for (name, reason) in &ends {
        assert_eq!(reason, &ExitReason::Killed, "{name} ended {reason:?}; all: {ends:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 4: a child left behind by a killed supervisor is never stopped by a shutdown
// ---------------------------------------------------------------------------------------------

/// T13 leaves supervised actors to their supervisor. A trapping child survives its supervisor's
/// kill (it only gets an exit signal), but stays marked supervised: the system shutdown never
/// stops it, waits the whole shutdown timeout and kills it, without `post_stop`.
#[tokio::test(start_paused = true)]
async fn r3_shutdown_skips_a_child_whose_supervisor_was_killed() {
    let system = ActorSystem::new();
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let args = ReporterArgs { name: "t", trap: true, reports: reports_tx };
    let spec =
        SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker::<Reporter>("t", args));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child::<Reporter>("t").await.unwrap().unwrap();
    supervisor.actor().kill();
    supervisor.actor().wait_for_exit().await;
    assert!(child.is_alive());
    let started = tokio::time::Instant::now();
    let report = timeout(LIMIT, system.shutdown()).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(child.wait_for_exit().await, ExitReason::Shutdown, "waited {waited:?}");
    assert_eq!(report.killed, 0);
    assert_eq!(reports.try_recv().ok(), Some(("t", ExitReason::Shutdown)));
}

// ---------------------------------------------------------------------------------------------
// Checked and found correct
// ---------------------------------------------------------------------------------------------

/// OTP: give up when more than MaxR restarts fall within MaxT; a restart exactly MaxT ago
/// still counts; one older does not.
#[tokio::test(start_paused = true)]
async fn r3_intensity_boundaries_match_otp() {
    async fn crash(supervisor: &SupervisorRef) {
        let child = loop {
            if let Some(child) = supervisor.child::<Logged>("c").await.unwrap() {
                break child;
            }
            tokio::task::yield_now().await;
        };
        child.tell(()).await.unwrap();
        child.wait_for_exit().await;
    }
    async fn running(supervisor: &SupervisorRef) -> bool {
        // A round trip: the exit signal is handled before this request.
        supervisor.count_children().await.is_ok()
    }
    let system = ActorSystem::new();
    let log = Log::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(2, Duration::from_secs(10))
        .child(ChildSpec::worker::<Logged>("c", ("c", log.clone())));

    // Two restarts within the period are allowed, the third gives up.
    let supervisor = Supervisor::start(&system, spec.clone()).await.unwrap();
    crash(&supervisor).await;
    assert!(running(&supervisor).await);
    tokio::time::advance(Duration::from_secs(1)).await;
    crash(&supervisor).await;
    assert!(running(&supervisor).await);
    tokio::time::advance(Duration::from_secs(1)).await;
    crash(&supervisor).await;
    assert!(!running(&supervisor).await);
    assert_eq!(supervisor.actor().wait_for_exit().await, ExitReason::Shutdown);

    // Restarts at 0 and 10 s, then one at exactly 10 s after the second (20 s): the one at 0 is
    // more than 10 s old and no longer counts, the one at 10 s does (exactly MaxT ago).
    let supervisor = Supervisor::start(&system, spec.clone()).await.unwrap();
    crash(&supervisor).await;
    tokio::time::advance(Duration::from_secs(10)).await;
    crash(&supervisor).await;
    tokio::time::advance(Duration::from_secs(10)).await;
    crash(&supervisor).await;
    assert!(running(&supervisor).await, "only 2 restarts within any 10 s");
    crash(&supervisor).await;
    assert!(!running(&supervisor).await, "3 restarts within 10 s (10 s, 20 s, 20 s)");
}

/// Two actors linking and unlinking each other at the same time: no deadlock, and every link
/// ends in a consistent state (both still alive, nothing stale left).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_concurrent_link_and_unlink_do_not_deadlock() {
    let system = ActorSystem::new();
    let a = system.spawn::<Peer>(()).await.unwrap();
    let b = system.spawn::<Peer>(()).await.unwrap();
    let run = |x: ActorRef<Peer>, y: ActorRef<Peer>| async move {
        for _ in 0..20_000 {
            x.ask(PeerOp::LinkPeer(y.clone())).await.unwrap();
            x.ask(PeerOp::UnlinkPeer(y.clone())).await.unwrap();
        }
    };
    let one = tokio::spawn(run(a.clone(), b.clone()));
    let two = tokio::spawn(run(b.clone(), a.clone()));
    timeout(LIMIT, async {
        one.await.unwrap();
        two.await.unwrap()
    })
    .await
    .unwrap();
    // Unlinked: stopping one abnormally leaves the other.
    a.stop_with(ExitReason::panicked("a"));
    a.wait_for_exit().await;
    b.ask(PeerOp::Ping).await.unwrap();
}

/// A monitor set while its target ends delivers exactly one notice (the real reason, or
/// `NoSuchActor`), never none and never two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_monitor_racing_the_targets_end_gives_exactly_one_notice() {
    struct Watcher {
        downs: mpsc::UnboundedSender<DownNotice>,
    }
    impl Actor for Watcher {
        type Msg = ActorRef<Sink>;
        type Reply = ();
        type Args = mpsc::UnboundedSender<DownNotice>;
        type Error = Infallible;
        async fn pre_start(downs: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
            Ok(Watcher { downs })
        }
        async fn handle(
            &mut self,
            target: ActorRef<Sink>,
            ctx: &mut Context<Self>,
        ) -> Result<(), Self::Error> {
            ctx.monitor(&target);
            Ok(())
        }
        async fn on_down(
            &mut self,
            _: &mut Context<Self>,
            down: DownNotice,
        ) -> Result<(), Self::Error> {
            let _ = self.downs.send(down);
            Ok(())
        }
    }
    let system = ActorSystem::new();
    let (downs_tx, mut downs) = mpsc::unbounded_channel();
    let watcher = system.spawn::<Watcher>(downs_tx).await.unwrap();
    for round in 0..2000u64 {
        let target = system.spawn::<Sink>(()).await.unwrap();
        let monitoring = watcher.ask(target.clone());
        let stopping = async {
            spin(round % 20);
            target.stop_with(ExitReason::panicked("target"));
        };
        let (monitored, ()) = tokio::join!(monitoring, stopping);
        monitored.unwrap();
        target.wait_for_exit().await;
        let down = timeout(LIMIT, downs.recv()).await.unwrap().unwrap();
        assert_eq!(down.actor, target.id());
        assert!(
            down.reason == ExitReason::panicked("target") || down.reason == ExitReason::NoSuchActor
        );
        watcher.ask(target.clone()).await.unwrap(); // NoSuchActor, at once
        let again = timeout(LIMIT, downs.recv()).await.unwrap().unwrap();
        assert_eq!(again.reason, ExitReason::NoSuchActor, "round {round}: a second notice");
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 5: a Retry after a failed restart is lost when the supervisor's mailbox is full
// ---------------------------------------------------------------------------------------------

/// T8: a restart whose start fails "is tried again". The retry was a `try_tell` to the
/// supervisor itself; with a bounded mailbox that held a waiting request, the retry was
/// refused, silently, and the child stayed `Restarting` for good. (`start_with` now forces an
/// unbounded mailbox, and retries wait for room.)
#[tokio::test]
async fn r3_retry_after_failed_restart_is_lost_when_the_mailbox_is_full() {
    use airssys_rt::supervisor::ChildStatus;
    use std::sync::atomic::AtomicUsize;

    let system = ActorSystem::new();
    let log = Log::default();
    let starts = Arc::new(AtomicUsize::new(0));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(10, Duration::from_secs(5))
        .child(ChildSpec::new("c", {
            let log = log.clone();
            move |system: ActorSystem| {
                let log = log.clone();
                // The first restart (the second start) fails.
                let attempt = starts.fetch_add(1, Ordering::SeqCst);
                async move {
                    if attempt == 1 {
                        return Err(SpawnError::StartFailed(ExitReason::panicked("refused")));
                    }
                    Ok(Some(Child::from(system.spawn::<Logged>(("c", log)).await?)))
                }
            }
        }));
    let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(1));
    let supervisor = Supervisor::start_with(&system, options, spec).await.unwrap();
    let child = supervisor.child::<Logged>("c").await.unwrap().unwrap();

    let (blocker, entered, release) = blocking_spec("blocker");
    let busy = tokio::spawn({
        let supervisor = supervisor.clone();
        async move { supervisor.start_child(blocker).await }
    });
    entered.await.unwrap();
    // One request waits in the (bounded) message lane while the child's exit is handled.
    let waiting = tokio::spawn({
        let supervisor = supervisor.clone();
        async move { supervisor.count_children().await }
    });
    while supervisor.actor().mailbox_len() == 0 {
        tokio::task::yield_now().await;
    }
    child.tell(()).await.unwrap();
    child.wait_for_exit().await;
    release.send(()).unwrap();
    let _ = timeout(LIMIT, busy).await.unwrap().unwrap();
    timeout(LIMIT, waiting).await.unwrap().unwrap().unwrap();
    // The retry comes from a timer task, which waits for room in the mailbox: it arrives.
    let retried = timeout(LIMIT, async {
        loop {
            let children = supervisor.which_children().await.unwrap();
            let c = children.iter().find(|info| &*info.id == "c").unwrap();
            if c.status == ChildStatus::Running {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(retried.is_ok(), "never retried; starts: {:?}", log.lines());
}
