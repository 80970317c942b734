//! Chapter L of `docs/semantics.md`: links, monitors and exit signals, one test (or more) per
//! rule, named after it.

use std::time::Duration;

use airssys_rt::prelude::*;
use airssys_rt::signal::{DownNotice, ExitSignal, MonitorRef};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

mod common;
use common::linked::{helpers, spin, Wide};
use common::{Cmd, Event as ProbeEvent, Journal, Observer, Probe, ProbeArgs};

/// What a `Node` saw of other actors' ends.
#[derive(Debug, PartialEq)]
enum Seen {
    Exit(ExitSignal),
    Down(DownNotice),
    Stopped(ExitReason),
}

enum Op {
    Link(ActorRef<Node>),
    Unlink(ActorRef<Node>),
    Monitor(ActorRef<Node>),
    Demonitor(MonitorRef),
    DemonitorFlush(MonitorRef),
    Trap(bool),
    Panic,
    /// Tells `entered`, then waits for `release`.
    Block(oneshot::Sender<()>, oneshot::Receiver<()>),
    /// Tells `entered`, waits for `go`, then unlinks from the actor.
    UnlinkLater(ActorRef<Node>, oneshot::Sender<()>, oneshot::Receiver<()>),
    /// Tells `entered`, waits for `go`, then cancels the monitor with a flush.
    FlushLater(MonitorRef, oneshot::Sender<()>, oneshot::Receiver<()>),
    Ping,
}

#[derive(Debug, PartialEq)]
enum Answer {
    Done,
    Monitor(MonitorRef),
    Flushed(bool),
}

struct Node {
    seen: mpsc::UnboundedSender<Seen>,
}

#[actor]
impl Actor for Node {
    type Msg = Op;
    type Reply = Answer;
    type Args = mpsc::UnboundedSender<Seen>;
    type Error = std::convert::Infallible;

    async fn pre_start(seen: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Node { seen })
    }

    async fn handle(&mut self, op: Op, ctx: &mut Context<Self>) -> Result<Answer, Self::Error> {
        Ok(match op {
            Op::Link(other) => {
                ctx.link(&other);
                Answer::Done
            }
            Op::Unlink(other) => {
                ctx.unlink(&other);
                Answer::Done
            }
            Op::Monitor(other) => Answer::Monitor(ctx.monitor(&other)),
            Op::Demonitor(monitor) => {
                ctx.demonitor(monitor);
                Answer::Done
            }
            Op::DemonitorFlush(monitor) => Answer::Flushed(ctx.demonitor_flush(monitor)),
            Op::Trap(trap) => {
                ctx.trap_exit(trap);
                Answer::Done
            }
            Op::Panic => panic!("node panicked on purpose"),
            Op::Block(entered, release) => {
                let _ = entered.send(());
                let _ = release.await;
                Answer::Done
            }
            Op::UnlinkLater(other, entered, go) => {
                let _ = entered.send(());
                let _ = go.await;
                ctx.unlink(&other);
                Answer::Done
            }
            Op::FlushLater(monitor, entered, go) => {
                let _ = entered.send(());
                let _ = go.await;
                Answer::Flushed(ctx.demonitor_flush(monitor))
            }
            Op::Ping => Answer::Done,
        })
    }

    async fn on_exit(
        &mut self,
        _: &mut Context<Self>,
        exit: ExitSignal,
    ) -> Result<(), Self::Error> {
        let _ = self.seen.send(Seen::Exit(exit));
        Ok(())
    }

    async fn on_down(
        &mut self,
        _: &mut Context<Self>,
        down: DownNotice,
    ) -> Result<(), Self::Error> {
        let _ = self.seen.send(Seen::Down(down));
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        reason: &ExitReason,
    ) -> Result<(), Self::Error> {
        let _ = self.seen.send(Seen::Stopped(reason.clone()));
        Ok(())
    }
}

async fn node(system: &ActorSystem) -> (ActorRef<Node>, mpsc::UnboundedReceiver<Seen>) {
    let (seen, events) = mpsc::unbounded_channel();
    (system.spawn::<Node>(seen).await.unwrap(), events)
}

async fn node_with(
    system: &ActorSystem,
    options: SpawnOptions,
) -> (ActorRef<Node>, mpsc::UnboundedReceiver<Seen>) {
    let (seen, events) = mpsc::unbounded_channel();
    (system.spawn_with::<Node>(options, seen).await.unwrap(), events)
}

async fn link(a: &ActorRef<Node>, b: &ActorRef<Node>) {
    assert_eq!(a.ask(Op::Link(b.clone())).await.unwrap(), Answer::Done);
}

async fn trap(a: &ActorRef<Node>) {
    assert_eq!(a.ask(Op::Trap(true)).await.unwrap(), Answer::Done);
}

async fn monitor(watcher: &ActorRef<Node>, target: &ActorRef<Node>) -> MonitorRef {
    match watcher.ask(Op::Monitor(target.clone())).await.unwrap() {
        Answer::Monitor(monitor) => monitor,
        other => panic!("expected a monitor, got {other:?}"),
    }
}

/// Blocks `actor` in its handler until the returned sender is used or dropped.
async fn hold(actor: &ActorRef<Node>) -> oneshot::Sender<()> {
    let (entered_tx, entered) = oneshot::channel();
    let (release, release_rx) = oneshot::channel();
    actor.tell(Op::Block(entered_tx, release_rx)).await.unwrap();
    entered.await.unwrap();
    release
}

fn exit(from: &ActorRef<Node>, reason: ExitReason) -> Seen {
    Seen::Exit(ExitSignal::new(from.id(), reason))
}

#[tokio::test]
async fn l1_a_link_carries_the_end_of_either_side_with_its_reason() {
    let system = ActorSystem::new();
    for panicking_side in [0, 1] {
        let (a, mut a_seen) = node(&system).await;
        let (b, mut b_seen) = node(&system).await;
        trap(&a).await;
        trap(&b).await;
        link(&a, &b).await;
        let (dying, survivor_seen, survivor) =
            if panicking_side == 0 { (&a, &mut b_seen, &b) } else { (&b, &mut a_seen, &a) };
        let _ = dying.ask(Op::Panic).await;
        let reason = ExitReason::panicked("node panicked on purpose");
        assert_eq!(survivor_seen.recv().await, Some(exit(dying, reason)));
        assert!(survivor.is_alive());
    }
}

#[tokio::test]
async fn l2_an_abnormal_exit_signal_ends_a_non_trapping_actor_with_the_same_reason() {
    let system = ActorSystem::new();
    for reason in [ExitReason::Shutdown, ExitReason::panicked("node panicked on purpose")] {
        let (a, _) = node(&system).await;
        let (b, mut b_seen) = node(&system).await;
        link(&a, &b).await;
        if reason == ExitReason::Shutdown {
            a.stop_with(ExitReason::Shutdown);
        } else {
            let _ = a.ask(Op::Panic).await;
        }
        assert_eq!(b.wait_for_exit().await, reason);
        assert_eq!(b_seen.recv().await, Some(Seen::Stopped(reason.clone())), "post_stop ran");
    }
}

#[tokio::test]
async fn l2_a_normal_exit_signal_leaves_a_non_trapping_actor_alive() {
    let system = ActorSystem::new();
    let (a, _) = node(&system).await;
    let (b, _) = node(&system).await;
    link(&a, &b).await;
    a.stop();
    a.wait_for_exit().await;
    // The exit signal is on b's signal lane before a's end is announced; a message sent now
    // is handled after it.
    assert_eq!(b.ask(Op::Ping).await.unwrap(), Answer::Done);
    assert!(b.is_alive());
}

#[tokio::test]
async fn l3_a_trapping_actor_gets_every_exit_signal_and_goes_on() {
    let system = ActorSystem::new();
    let (hub, mut hub_seen) = node(&system).await;
    trap(&hub).await;
    let mut expected = Vec::new();
    for reason in [ExitReason::Normal, ExitReason::Shutdown, ExitReason::Killed] {
        let (spoke, _) = node(&system).await;
        link(&hub, &spoke).await;
        match &reason {
            ExitReason::Killed => spoke.kill(),
            other => spoke.stop_with(other.clone()),
        }
        spoke.wait_for_exit().await;
        expected.push(exit(&spoke, reason));
    }
    for signal in expected {
        assert_eq!(hub_seen.recv().await, Some(signal));
    }
    assert_eq!(hub.ask(Op::Ping).await.unwrap(), Answer::Done);
}

#[tokio::test]
async fn l4_a_kill_is_not_trapped_and_its_links_see_killed() {
    let system = ActorSystem::new();
    let (victim, mut victim_seen) = node(&system).await;
    let (partner, mut partner_seen) = node(&system).await;
    trap(&victim).await;
    trap(&partner).await;
    link(&victim, &partner).await;
    victim.kill();
    assert_eq!(victim.wait_for_exit().await, ExitReason::Killed);
    assert_eq!(partner_seen.recv().await, Some(exit(&victim, ExitReason::Killed)));
    assert!(victim_seen.try_recv().is_err(), "a killed actor runs no hook");
}

#[tokio::test]
async fn l5_linking_to_an_ended_actor_signals_at_once() {
    let system = ActorSystem::new();
    let (gone, _) = node(&system).await;
    gone.stop();
    gone.wait_for_exit().await;

    let (trapping, mut seen) = node(&system).await;
    trap(&trapping).await;
    link(&trapping, &gone).await;
    assert_eq!(seen.recv().await, Some(exit(&gone, ExitReason::NoSuchActor)));

    let (plain, _) = node(&system).await;
    link(&plain, &gone).await;
    assert_eq!(plain.wait_for_exit().await, ExitReason::NoSuchActor);
}

#[tokio::test]
async fn l6_unlink_removes_the_link_both_ways() {
    let system = ActorSystem::new();
    let (a, _) = node(&system).await;
    let (b, _) = node(&system).await;
    link(&a, &b).await;
    assert_eq!(a.ask(Op::Unlink(b.clone())).await.unwrap(), Answer::Done);
    let _ = a.ask(Op::Panic).await;
    a.wait_for_exit().await;
    assert_eq!(b.ask(Op::Ping).await.unwrap(), Answer::Done, "b must not follow a");

    let (c, _) = node(&system).await;
    link(&b, &c).await;
    assert_eq!(c.ask(Op::Unlink(b.clone())).await.unwrap(), Answer::Done);
    let _ = c.ask(Op::Panic).await;
    c.wait_for_exit().await;
    assert_eq!(b.ask(Op::Ping).await.unwrap(), Answer::Done, "unlinked from the other side too");
}

#[tokio::test]
async fn l6_unlink_drops_an_exit_signal_already_queued() {
    let system = ActorSystem::new();
    let (a, _) = node(&system).await;
    let (b, _) = node(&system).await;
    link(&a, &b).await;
    let (entered_tx, entered) = oneshot::channel();
    let (go, go_rx) = oneshot::channel();
    let unlinking = a.ask(Op::UnlinkLater(b.clone(), entered_tx, go_rx));
    let (answer, ()) = tokio::join!(unlinking, async {
        entered.await.unwrap();
        // b ends while a is busy: its exit signal waits in a's signal lane...
        let _ = b.ask(Op::Panic).await;
        b.wait_for_exit().await;
        // ...and the unlink that a then makes removes it.
        go.send(()).unwrap();
    });
    assert_eq!(answer.unwrap(), Answer::Done);
    assert_eq!(a.ask(Op::Ping).await.unwrap(), Answer::Done);
    assert!(a.is_alive());
}

#[tokio::test]
async fn l7_a_monitor_delivers_one_notice_and_never_ends_the_watcher() {
    let system = ActorSystem::new();
    for end in ["panic", "normal", "kill"] {
        let (watcher, mut seen) = node(&system).await;
        let (target, _) = node(&system).await;
        let monitor = monitor(&watcher, &target).await;
        let reason = match end {
            "panic" => {
                let _ = target.ask(Op::Panic).await;
                ExitReason::panicked("node panicked on purpose")
            }
            "normal" => {
                target.stop();
                ExitReason::Normal
            }
            _ => {
                target.kill();
                ExitReason::Killed
            }
        };
        let expected = Seen::Down(DownNotice::new(monitor, target.id(), reason));
        assert_eq!(seen.recv().await, Some(expected));
        assert_eq!(watcher.ask(Op::Ping).await.unwrap(), Answer::Done);
        assert!(seen.try_recv().is_err(), "exactly one notice");
    }
}

#[tokio::test]
async fn l7_two_monitors_give_two_notices() {
    let system = ActorSystem::new();
    let (watcher, mut seen) = node(&system).await;
    let (target, _) = node(&system).await;
    let first = monitor(&watcher, &target).await;
    let second = monitor(&watcher, &target).await;
    assert_ne!(first, second);
    target.stop();
    let mut monitors = Vec::new();
    for _ in 0..2 {
        match seen.recv().await {
            Some(Seen::Down(down)) => monitors.push(down.monitor),
            other => panic!("expected a down notice, got {other:?}"),
        }
    }
    monitors.sort();
    assert_eq!(monitors, vec![first.min(second), first.max(second)]);
}

#[tokio::test]
async fn l8_monitoring_an_ended_actor_notifies_at_once() {
    let system = ActorSystem::new();
    let (gone, _) = node(&system).await;
    gone.kill();
    gone.wait_for_exit().await;
    let (watcher, mut seen) = node(&system).await;
    let monitor = monitor(&watcher, &gone).await;
    let expected = Seen::Down(DownNotice::new(monitor, gone.id(), ExitReason::NoSuchActor));
    assert_eq!(seen.recv().await, Some(expected));
}

#[tokio::test]
async fn l9_demonitor_cancels_the_notice() {
    let system = ActorSystem::new();
    let (watcher, mut seen) = node(&system).await;
    let (target, _) = node(&system).await;
    let monitor = monitor(&watcher, &target).await;
    assert_eq!(watcher.ask(Op::Demonitor(monitor)).await.unwrap(), Answer::Done);
    target.stop();
    target.wait_for_exit().await;
    assert_eq!(watcher.ask(Op::Ping).await.unwrap(), Answer::Done);
    assert!(seen.try_recv().is_err(), "no notice after demonitor");
}

#[tokio::test]
async fn l9_demonitor_flush_drops_a_queued_notice() {
    let system = ActorSystem::new();
    let (watcher, mut seen) = node(&system).await;
    let (target, _) = node(&system).await;
    let monitor = monitor(&watcher, &target).await;
    let (entered_tx, entered) = oneshot::channel();
    let (go, go_rx) = oneshot::channel();
    let flushing = watcher.ask(Op::FlushLater(monitor, entered_tx, go_rx));
    let (answer, ()) = tokio::join!(flushing, async {
        entered.await.unwrap();
        target.stop();
        target.wait_for_exit().await; // the notice now waits in the watcher's signal lane
        go.send(()).unwrap();
    });
    assert_eq!(answer.unwrap(), Answer::Flushed(true));
    assert_eq!(watcher.ask(Op::Ping).await.unwrap(), Answer::Done);
    assert!(seen.try_recv().is_err(), "the flushed notice never arrives");
}

#[tokio::test]
async fn l9_demonitor_flush_says_when_there_was_nothing_to_drop() {
    let system = ActorSystem::new();
    let (watcher, _) = node(&system).await;
    let (target, _) = node(&system).await;
    let monitor = monitor(&watcher, &target).await;
    assert_eq!(watcher.ask(Op::DemonitorFlush(monitor)).await.unwrap(), Answer::Flushed(false));
    target.stop();
    target.wait_for_exit().await;
    assert_eq!(watcher.ask(Op::Ping).await.unwrap(), Answer::Done);
}

#[tokio::test]
async fn l10_exit_signals_pass_a_full_mailbox_and_go_before_its_messages() {
    let system = ActorSystem::new();
    let (source, _) = node(&system).await;
    let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(2));
    let (target, mut target_seen) = node_with(&system, options).await;
    link(&target, &source).await;
    let release = hold(&target).await;
    target.try_tell(Op::Ping).unwrap();
    target.try_tell(Op::Ping).unwrap();
    assert!(target.try_tell(Op::Ping).is_err(), "mailbox full");
    let _ = source.ask(Op::Panic).await;
    source.wait_for_exit().await;
    drop(release);
    let reason = ExitReason::panicked("node panicked on purpose");
    assert_eq!(target.wait_for_exit().await, reason);
    assert_eq!(target_seen.recv().await, Some(Seen::Stopped(reason)));
    assert_eq!(system.dead_letters().count(), 2, "the two waiting pings were never handled");
}

#[tokio::test(start_paused = true)]
async fn l11_links_hear_of_an_end_only_after_post_stop() {
    // A slow post_stop: the linked, trapping partner is told only once it is over.
    struct Slow;
    #[actor]
    impl Actor for Slow {
        type Msg = ActorRef<Node>;
        type Reply = ();
        type Args = ();
        type Error = std::convert::Infallible;
        async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
            Ok(Slow)
        }
        async fn handle(
            &mut self,
            partner: ActorRef<Node>,
            ctx: &mut Context<Self>,
        ) -> Result<(), Self::Error> {
            ctx.link(&partner);
            Ok(())
        }
        async fn post_stop(
            &mut self,
            _: &mut Context<Self>,
            _: &ExitReason,
        ) -> Result<(), Self::Error> {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        }
    }
    let system = ActorSystem::new();
    let (partner, mut seen) = node(&system).await;
    trap(&partner).await;
    let slow = system.spawn::<Slow>(()).await.unwrap();
    slow.ask(partner.clone()).await.unwrap();
    let started = tokio::time::Instant::now();
    slow.stop();
    assert_eq!(seen.recv().await, Some(Seen::Exit(ExitSignal::new(slow.id(), ExitReason::Normal))));
    assert_eq!(started.elapsed(), Duration::from_secs(10));
}

// ---------------------------------------------------------------- races found in review
// Where a comment describes a defect, it is the defect as it was found; the test proves it gone.

/// Generous bound on anything that might hang.
const LIMIT: Duration = Duration::from_secs(20);

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

#[actor]
impl Actor for Peer {
    type Msg = PeerOp;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

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

/// L6: after `unlink` returns, the end of the other actor does not affect the caller. (The
/// defect it proves gone:
/// `signal_end` takes the ending actor's links under its lock, then signals each one later,
/// outside it; `unlink` that runs in between finds no link to remove on the other side and no
/// queued exit to drop, and the exit signal lands afterwards: a non-trapping caller died.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l6_an_unlink_racing_the_others_end_leaves_the_caller_alive() {
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

/// L1 / L6: two actors linking and unlinking each other at the same time: no deadlock, and every link
/// ends in a consistent state (both still alive, nothing stale left).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l6_concurrent_links_and_unlinks_neither_deadlock_nor_leave_a_link() {
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

/// L7 / L8: a monitor set while its target ends delivers exactly one notice (the real reason,
/// or `NoSuchActor`), never none and never two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l8_a_monitor_racing_the_targets_end_gives_exactly_one_notice() {
    let system = ActorSystem::new();
    let (watcher, downs) = Observer::<DownNotice>::spawn(&system, |_, down| down.clone()).await;
    for round in 0..2000u64 {
        // Every notice of the previous round has come: a late second one would show here.
        downs.clear();
        let target = system.spawn::<Probe>(ProbeArgs::new()).await.unwrap();
        let monitoring = watcher.ask(target.clone());
        let stopping = async {
            spin(round % 20);
            target.stop_with(ExitReason::panicked("target"));
        };
        let (monitored, ()) = tokio::join!(monitoring, stopping);
        monitored.unwrap();
        target.wait_for_exit().await;
        let seen = timeout(LIMIT, downs.wait_for_len(1)).await.unwrap();
        assert_eq!(seen[0].actor, target.id(), "round {round}: {seen:?}");
        assert!(
            seen[0].reason == ExitReason::panicked("target")
                || seen[0].reason == ExitReason::NoSuchActor
        );
        watcher.ask(target.clone()).await.unwrap(); // NoSuchActor, at once
        let seen = timeout(LIMIT, downs.wait_for_len(2)).await.unwrap();
        assert_eq!(seen.len(), 2, "round {round}: a second notice of the first monitor");
        assert_eq!(seen[1].reason, ExitReason::NoSuchActor, "round {round}: {seen:?}");
    }
}

// ---------------------------------------------------------------- L11, told once ended

/// L11: a linked actor and a watcher are told of an end only once the actor has ended: after
/// its `post_stop` (slow here) and the drop of its state. The three probes write to one journal,
/// so its order is the order of the facts.
#[tokio::test(start_paused = true)]
async fn l11_links_and_monitors_are_told_after_post_stop_and_the_drop_of_the_state() {
    let system = ActorSystem::new();
    let journal = Journal::default();
    let sharing = |args: ProbeArgs| ProbeArgs { journal: journal.clone(), ..args };
    let slow = ProbeArgs { slow_stop: Some(Duration::from_secs(10)), ..ProbeArgs::new() };
    let target = system.spawn::<Probe>(sharing(slow)).await.unwrap();
    let partner = system.spawn::<Probe>(sharing(ProbeArgs::new().trapping_exits())).await.unwrap();
    let watcher = system.spawn::<Probe>(sharing(ProbeArgs::new())).await.unwrap();
    target.ask(Cmd::Link(partner.clone())).await.unwrap();
    watcher.ask(Cmd::Monitor(target.clone())).await.unwrap();
    let before = journal.events().len();
    target.stop();
    let id = target.id();
    timeout(LIMIT, journal.wait_for(ProbeEvent::Exit(id, ExitReason::Normal))).await.unwrap();
    timeout(LIMIT, journal.wait_for(ProbeEvent::Down(id, ExitReason::Normal))).await.unwrap();
    let events = journal.events().split_off(before);
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(
        events[..2],
        [ProbeEvent::PostStop(ExitReason::Normal), ProbeEvent::Dropped],
        "told before the end: {events:?}"
    );
}

/// L11: "before `wait_for_exit` returns": by then the watcher's notice waits in its signal lane,
/// so a `demonitor_flush` made right after drops it (L9) and says so. (A link's exit signal
/// cannot be caught in the lane this way: an unlink drops it without saying whether it did.)
#[tokio::test]
async fn l11_a_watcher_is_told_before_wait_for_exit_returns() {
    let system = ActorSystem::new();
    for reason in [ExitReason::Normal, ExitReason::panicked("ended")] {
        let (watcher, mut seen) = node(&system).await;
        let (target, _) = node(&system).await;
        let monitor = monitor(&watcher, &target).await;
        let (entered_tx, entered) = oneshot::channel();
        let (go, go_rx) = oneshot::channel();
        let flushing = watcher.ask(Op::FlushLater(monitor, entered_tx, go_rx));
        let (answer, ()) = tokio::join!(flushing, async {
            entered.await.unwrap();
            target.stop_with(reason.clone());
            target.wait_for_exit().await;
            go.send(()).unwrap();
        });
        assert_eq!(answer.unwrap(), Answer::Flushed(true), "{reason}: not told yet");
        assert_eq!(watcher.ask(Op::Ping).await.unwrap(), Answer::Done);
        assert!(seen.try_recv().is_err());
    }
}

/// Runs one closure on its context: an actor that meddles with other actors' links and trees.
struct Meddler;

type Meddle = Box<dyn FnOnce(&mut Context<Meddler>) -> bool + Send>;

#[actor]
impl Actor for Meddler {
    type Msg = Meddle;
    type Reply = bool;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Meddler)
    }

    async fn handle(
        &mut self,
        meddle: Meddle,
        ctx: &mut Context<Self>,
    ) -> Result<bool, Self::Error> {
        Ok(meddle(ctx))
    }
}

#[tokio::test]
async fn l12_nobody_but_its_parent_adopts_unlinks_or_quietly_kills_a_supervised_child() {
    use airssys_rt::supervisor::{ChildSpec, Supervisor, SupervisorSpec};
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(airssys_rt::supervisor::Strategy::OneForOne)
        .child(ChildSpec::worker::<common::Idle>("w", ()));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let child = supervisor.child::<common::Idle>("w").await.unwrap().unwrap().erase();
    let parent = child.parent();
    assert!(parent.is_some());
    let meddler = system.spawn::<Meddler>(()).await.unwrap();
    let stolen = {
        let child = child.clone();
        meddler.ask(Box::new(move |ctx: &mut Context<Meddler>| ctx.adopt(&child))).await.unwrap()
    };
    assert!(!stolen, "another supervisor's child was adopted");
    assert_eq!(child.parent(), parent);
    let killed = {
        let child = child.clone();
        meddler
            .ask(Box::new(move |ctx: &mut Context<Meddler>| ctx.kill_child(&child, true)))
            .await
            .unwrap()
    };
    assert!(!killed, "a supervised child was killed without a report by a stranger");
    assert_eq!(
        supervisor.child::<common::Idle>("w").await.unwrap().map(|w| w.erase()),
        Some(child)
    );
}

#[tokio::test]
async fn l12_an_adopted_child_is_not_unlinked_from_its_parent_and_ends_with_it() {
    let system = ActorSystem::new();
    let meddler = system.spawn::<Meddler>(()).await.unwrap();
    let child = system.spawn::<common::Idle>(()).await.unwrap().erase();
    let adopted = {
        let child = child.clone();
        meddler
            .ask(Box::new(move |ctx: &mut Context<Meddler>| {
                let adopted = ctx.adopt(&child);
                ctx.unlink_any(&child);
                adopted
            }))
            .await
            .unwrap()
    };
    assert!(adopted);
    meddler.stop_with(ExitReason::Shutdown);
    meddler.wait_for_exit().await;
    // Still linked: the parent's end reached it (else it would live for ever, kept by its
    // dead parent).
    assert_eq!(child.wait_for_exit().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn l12_a_child_does_not_unlink_its_parent_and_ends_with_it() {
    let system = ActorSystem::new();
    let parent = system.spawn::<Meddler>(()).await.unwrap();
    let child = system.spawn::<Meddler>(()).await.unwrap();
    let (to_adopt, to_unlink) = (child.erase(), parent.erase());
    let adopted =
        parent.ask(Box::new(move |ctx: &mut Context<Meddler>| ctx.adopt(&to_adopt))).await.unwrap();
    assert!(adopted);
    child
        .ask(Box::new(move |ctx: &mut Context<Meddler>| {
            ctx.unlink_any(&to_unlink);
            true
        }))
        .await
        .unwrap();
    parent.stop_with(ExitReason::Shutdown);
    parent.wait_for_exit().await;
    assert_eq!(child.wait_for_exit().await, ExitReason::Shutdown);
}

/// Asks `meddler` to adopt `child`.
async fn adopt(meddler: &ActorRef<Meddler>, child: &airssys_rt::kernel::AnyActor) -> bool {
    let child = child.clone();
    meddler.ask(Box::new(move |ctx: &mut Context<Meddler>| ctx.adopt(&child))).await.unwrap()
}

#[tokio::test]
async fn l12_an_actor_does_not_adopt_its_own_parent() {
    let system = ActorSystem::new();
    let parent = system.spawn::<Meddler>(()).await.unwrap();
    let child = system.spawn::<Meddler>(()).await.unwrap();
    assert!(adopt(&parent, &child.erase()).await);
    // Each would keep the other alive for ever: an actor with a parent never ends for lack of
    // handles (A4.6).
    assert!(!adopt(&child, &parent.erase()).await, "a child adopted its own parent");
    assert_eq!(parent.erase().parent(), None);
    parent.stop_with(ExitReason::Shutdown);
    assert_eq!(child.wait_for_exit().await, ExitReason::Shutdown);
}

#[test]
fn l12_of_two_actors_adopting_one_child_at_once_exactly_one_succeeds() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let system = ActorSystem::new();
        for round in 0..2_000 {
            let first = system.spawn::<Meddler>(()).await.unwrap();
            let second = system.spawn::<Meddler>(()).await.unwrap();
            // Held until adopted: until then it would end for want of handles (A4.6).
            let held = system.spawn::<common::Idle>(()).await.unwrap();
            let child = held.erase();
            let (a, b) = tokio::join!(adopt(&first, &child), adopt(&second, &child));
            drop(held);
            assert!(a ^ b, "round {round}: adopted by {} of the two", u8::from(a) + u8::from(b));
            let winner = if a { first.id() } else { second.id() };
            assert_eq!(child.parent(), Some(winner), "round {round}");
            for meddler in [first, second] {
                meddler.stop_with(ExitReason::Shutdown);
                meddler.wait_for_exit().await;
            }
            assert_eq!(child.wait_for_exit().await, ExitReason::Shutdown, "round {round}");
        }
    });
}
