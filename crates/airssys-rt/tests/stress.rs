//! Many actors and many races: every message must be accounted for.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use airssys_rt::prelude::*;
use tokio::sync::oneshot;

use common::Idle;

// ------------------------------------------------------------ 10,000 actors passing tokens

/// A token hops from peer to peer, then reports to the collector.
struct Token {
    id: u32,
    hops_left: u32,
}

struct Peer {
    peers: Arc<OnceLock<Vec<ActorRef<Peer>>>>,
    collector: ActorRef<Collector>,
    handled: u64,
    rng: fastrand::Rng,
}

enum PeerMsg {
    Token(Token),
    /// Replies with how many tokens this peer handled.
    Count,
}

#[actor]
impl Actor for Peer {
    type Msg = PeerMsg;
    type Reply = u64;
    type Args = (Arc<OnceLock<Vec<ActorRef<Peer>>>>, ActorRef<Collector>, u64);
    type Error = std::convert::Infallible;

    async fn pre_start(
        (peers, collector, seed): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Peer { peers, collector, handled: 0, rng: fastrand::Rng::with_seed(seed) })
    }

    async fn handle(&mut self, msg: PeerMsg, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        match msg {
            PeerMsg::Count => Ok(self.handled),
            PeerMsg::Token(mut token) => {
                self.handled += 1;
                if token.hops_left == 0 {
                    self.collector.tell(token.id).await.unwrap_or_else(|_| panic!("collector"));
                } else {
                    token.hops_left -= 1;
                    let peers = self.peers.get().unwrap_or_else(|| panic!("peers not set"));
                    let next = &peers[self.rng.usize(..peers.len())];
                    next.tell(PeerMsg::Token(token)).await.unwrap_or_else(|_| panic!("peer"));
                }
                Ok(self.handled)
            }
        }
    }
}

struct Collector {
    seen: Vec<bool>,
    remaining: usize,
    done: Option<oneshot::Sender<Vec<bool>>>,
}

#[actor]
impl Actor for Collector {
    type Msg = u32;
    type Reply = ();
    type Args = (usize, oneshot::Sender<Vec<bool>>);
    type Error = std::convert::Infallible;

    async fn pre_start(
        (tokens, done): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Collector { seen: vec![false; tokens], remaining: tokens, done: Some(done) })
    }

    async fn handle(&mut self, id: u32, _: &mut Context<Self>) -> Result<(), Self::Error> {
        let slot = &mut self.seen[id as usize];
        assert!(!*slot, "token {id} arrived twice");
        *slot = true;
        self.remaining -= 1;
        if self.remaining == 0 {
            if let Some(done) = self.done.take() {
                let _ = done.send(std::mem::take(&mut self.seen));
            }
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_actors_exchange_messages_and_none_is_lost() {
    const PEERS: usize = 10_000;
    const TOKENS: usize = 40_000;
    const HOPS: u32 = 10;

    let system = ActorSystem::builder().mailbox(MailboxConfig::unbounded()).build().unwrap();
    let (done_tx, done_rx) = oneshot::channel();
    let collector = system.spawn::<Collector>((TOKENS, done_tx)).await.unwrap();
    let directory = Arc::new(OnceLock::new());
    let mut peers = Vec::with_capacity(PEERS);
    for seed in 0..PEERS as u64 {
        peers.push(
            system.spawn::<Peer>((directory.clone(), collector.clone(), seed)).await.unwrap(),
        );
    }
    assert!(directory.set(peers.clone()).is_ok());
    assert_eq!(system.actor_count(), PEERS + 1);

    let mut rng = fastrand::Rng::with_seed(7);
    for id in 0..TOKENS as u32 {
        let first = &peers[rng.usize(..PEERS)];
        first.tell(PeerMsg::Token(Token { id, hops_left: HOPS })).await.unwrap();
    }
    let seen = done_rx.await.unwrap();
    assert!(seen.iter().all(|&s| s), "every token reached the collector");

    let mut handled = 0;
    for peer in &peers {
        handled += peer.ask(PeerMsg::Count).await.unwrap();
    }
    assert_eq!(handled, TOKENS as u64 * (u64::from(HOPS) + 1));
    assert_eq!(system.dead_letters().count(), 0);

    let report = system.shutdown().await;
    assert_eq!((report.stopped, report.killed), (PEERS + 1, 0));
    assert!(peers.iter().all(|p| p.exit_reason() == Some(ExitReason::Shutdown)));
}

// ------------------------------------------------------------ stop and kill racing with sends

struct Tally {
    handled: Arc<AtomicU64>,
}

#[actor]
impl Actor for Tally {
    type Msg = u64;
    type Reply = u64;
    type Args = Arc<AtomicU64>;
    type Error = std::convert::Infallible;

    async fn pre_start(
        handled: Arc<AtomicU64>,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Tally { handled })
    }

    async fn handle(&mut self, n: u64, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        self.handled.fetch_add(1, Ordering::Relaxed);
        if n.is_multiple_of(7) {
            tokio::task::yield_now().await;
        }
        Ok(n)
    }
}

#[derive(Default)]
struct Outcome {
    sent: u64,
    returned: u64,
    replied: u64,
    ask_stopped: u64,
    ask_dropped: u64,
}

async fn hammer(actor: ActorRef<Tally>, sender: u64, messages: u64) -> Outcome {
    let mut outcome = Outcome::default();
    for i in 0..messages {
        let n = sender * 1_000_000 + i;
        outcome.sent += 1;
        match i % 4 {
            0 => match actor.ask(n).await {
                Ok(reply) => {
                    assert_eq!(reply, n);
                    outcome.replied += 1;
                }
                Err(AskError::Full(_) | AskError::Closed(_)) => outcome.returned += 1,
                Err(AskError::Stopped(_)) => outcome.ask_stopped += 1,
                Err(AskError::Dropped) => outcome.ask_dropped += 1,
                Err(AskError::Timeout(_)) => panic!("an ask hung although the actor ended"),
                Err(AskError::CallingSelf(_)) => panic!("asked from outside any actor"),
                Err(other) => panic!("a classic handler answers every request: {other}"),
            },
            1 => {
                if actor.try_tell(n).is_err() {
                    outcome.returned += 1;
                }
            }
            _ => {
                if actor.tell(n).await.is_err() {
                    outcome.returned += 1;
                }
            }
        }
    }
    outcome
}

async fn race_once(policy: OverflowPolicy, kill: bool, round: u64) {
    let system = ActorSystem::new();
    let handled = Arc::new(AtomicU64::new(0));
    let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(8).overflow(policy));
    let actor = system.spawn_with::<Tally>(options, handled.clone()).await.unwrap();
    let mut senders = Vec::new();
    for sender in 0..4 {
        senders.push(tokio::spawn(hammer(actor.clone(), sender, 200)));
    }
    // Let the senders get going, then end the actor in the middle of the traffic.
    for _ in 0..(round % 50) {
        tokio::task::yield_now().await;
    }
    if kill {
        actor.kill();
    } else {
        actor.stop();
    }
    let reason = actor.wait_for_exit().await;
    assert_eq!(reason, if kill { ExitReason::Killed } else { ExitReason::Normal });

    let mut total = Outcome::default();
    for sender in senders {
        let outcome = sender.await.unwrap();
        total.sent += outcome.sent;
        total.returned += outcome.returned;
        total.replied += outcome.replied;
        total.ask_stopped += outcome.ask_stopped;
        total.ask_dropped += outcome.ask_dropped;
    }
    let handled = handled.load(Ordering::Relaxed);
    let dead = system.dead_letters().count();
    // Every message was handled (its handler started), handed back, or became a dead letter;
    // nothing vanished, and nothing was counted twice.
    assert_eq!(
        handled + total.returned + dead,
        total.sent,
        "policy {policy:?} kill {kill}: handled {handled} + returned {} + dead {dead}",
        total.returned,
    );
    assert!(total.replied <= handled);
    assert!(total.ask_dropped + total.ask_stopped <= dead + 1);
    assert_eq!(system.actor_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_kill_racing_with_sends_lose_nothing() {
    for round in 0..60 {
        for policy in [
            OverflowPolicy::Wait,
            OverflowPolicy::Reject,
            OverflowPolicy::DropNewest,
            OverflowPolicy::DropOldest,
        ] {
            race_once(policy, round % 2 == 0, round).await;
        }
    }
}

/// A tally that stops itself (`Context::stop`) in the handler of its `stop_at`-th message.
struct SelfStoppingTally {
    handled: Arc<AtomicU64>,
    stop_at: u64,
}

#[actor]
impl Actor for SelfStoppingTally {
    type Msg = u64;
    type Reply = u64;
    type Args = (Arc<AtomicU64>, u64);
    type Error = std::convert::Infallible;

    async fn pre_start(
        (handled, stop_at): (Arc<AtomicU64>, u64),
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(SelfStoppingTally { handled, stop_at })
    }

    async fn handle(&mut self, n: u64, ctx: &mut Context<Self>) -> Result<u64, Self::Error> {
        if self.handled.fetch_add(1, Ordering::Relaxed) + 1 == self.stop_at {
            ctx.stop();
            // Senders go on while the handler that asked is still running (A4.2).
            tokio::task::yield_now().await;
        }
        Ok(n)
    }
}

/// A4.2 racing: an actor that stops itself amid concurrent senders refuses what comes after
/// its ask and dead-letters what was queued before; every message is handled, handed back or
/// a dead letter, none lost or counted twice, under every overflow policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a4_2_an_own_stop_racing_with_sends_loses_nothing() {
    for round in 0..200u64 {
        for policy in [
            OverflowPolicy::Wait,
            OverflowPolicy::Reject,
            OverflowPolicy::DropNewest,
            OverflowPolicy::DropOldest,
        ] {
            let system = ActorSystem::new();
            let handled = Arc::new(AtomicU64::new(0));
            let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(8).overflow(policy));
            let args = (handled.clone(), 1 + round % 40);
            let actor = system.spawn_with::<SelfStoppingTally>(options, args).await.unwrap();
            let mut senders = Vec::new();
            for sender in 0..4 {
                let actor = actor.clone();
                senders.push(tokio::spawn(async move {
                    let mut outcome = (0u64, 0u64, 0u64);
                    for i in 0..100u64 {
                        let n = sender * 1_000_000 + i;
                        outcome.0 += 1;
                        let refused = match i % 3 {
                            0 => match actor.ask(n).await {
                                Ok(_) => false,
                                Err(AskError::Full(_) | AskError::Closed(_)) => true,
                                Err(AskError::Stopped(_) | AskError::Dropped) => {
                                    outcome.2 += 1;
                                    false
                                }
                                Err(other) => panic!("round {round}: {other}"),
                            },
                            1 => actor.try_tell(n).is_err(),
                            _ => actor.tell(n).await.is_err(),
                        };
                        if refused {
                            outcome.1 += 1;
                        }
                    }
                    outcome
                }));
            }
            let (mut sent, mut returned) = (0, 0);
            for sender in senders {
                let (s, r, _) = sender.await.unwrap();
                sent += s;
                returned += r;
            }
            // When the full mailbox turned away enough messages that it never handled
            // `stop_at` of them, it did not stop itself: stopped here, so that its end (and its
            // dead letters) are counted all the same. Waiting for its own stop before the
            // senders were done hung such a round.
            actor.stop();
            assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
            let handled = handled.load(Ordering::Relaxed);
            let dead = system.dead_letters().count();
            assert_eq!(
                handled + returned + dead,
                sent,
                "round {round} {policy:?}: handled {handled} + returned {returned} + dead {dead}"
            );
        }
    }
}

// ------------------------------------------------------------ shutdown racing with spawns

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_racing_with_spawns_leaves_no_actor_behind() {
    for _ in 0..20 {
        let system = ActorSystem::new();
        let spawner = {
            let system = system.clone();
            tokio::spawn(async move {
                let mut spawned = Vec::new();
                loop {
                    match system.spawn::<Tally>(Arc::new(AtomicU64::new(0))).await {
                        Ok(actor) => {
                            let _ = actor.tell(1).await;
                            spawned.push(actor);
                        }
                        Err(SpawnError::ShuttingDown) => return spawned,
                        Err(other) => panic!("unexpected spawn error: {other}"),
                    }
                }
            })
        };
        while system.actor_count() < 20 {
            tokio::task::yield_now().await;
        }
        system.shutdown().await;
        let spawned = spawner.await.unwrap();
        assert!(spawned.len() >= 20);
        assert_eq!(system.actor_count(), 0);
        for actor in &spawned {
            assert_eq!(actor.wait_for_exit().await, ExitReason::Shutdown);
        }
    }
}

// ------------------------------------------- a monitor cancelled as its target ends (L9)

/// Sets a monitor on each target it is sent, stops the target, and cancels the monitor with
/// a flush while the target ends on another worker; counts notices of cancelled monitors.
struct Canceller {
    stopper: std::sync::mpsc::Sender<ActorRef<Idle>>,
    cancelled: std::collections::HashSet<airssys_rt::signal::MonitorRef>,
    late_notices: u64,
    flushed: u64,
}

enum CancellerMsg {
    /// Monitor, stop, spin this long, flush, wait for the target's end.
    Race(ActorRef<Idle>, u32),
    /// How many notices arrived for a monitor after its flush returned.
    LateNotices,
}

#[actor]
impl Actor for Canceller {
    type Msg = CancellerMsg;
    type Reply = (u64, u64);
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        let (stopper, targets) = std::sync::mpsc::channel::<ActorRef<Idle>>();
        std::thread::spawn(move || {
            for target in targets {
                target.stop();
            }
        });
        Ok(Canceller { stopper, cancelled: Default::default(), late_notices: 0, flushed: 0 })
    }

    async fn handle(
        &mut self,
        msg: CancellerMsg,
        ctx: &mut Context<Self>,
    ) -> Result<(u64, u64), Self::Error> {
        match msg {
            CancellerMsg::Race(target, spins) => {
                let monitor = ctx.monitor(&target);
                // Stopped from a plain thread, so that its task is woken on the other worker
                // (a wake from here would queue it behind this very handler).
                self.stopper.send(target.clone()).unwrap_or_else(|_| panic!("stopper thread"));
                // Its end is under way once it is stopping: the notice is sent a few
                // microseconds later. Flush somewhere around that moment.
                let mut patience = 100_000_000u64;
                while target.state() != ActorState::Stopping
                    && target.state() != ActorState::Stopped
                    && patience > 0
                {
                    patience -= 1;
                    std::hint::spin_loop();
                }
                for _ in 0..spins {
                    std::hint::spin_loop();
                }
                if ctx.demonitor_flush(monitor) {
                    self.flushed += 1;
                }
                self.cancelled.insert(monitor);
                // Once it has ended, any notice it sent waits in our signal lane, and is
                // handled before the next message.
                target.wait_for_exit().await;
            }
            CancellerMsg::LateNotices => {}
        }
        Ok((self.late_notices, self.flushed))
    }

    async fn on_down(
        &mut self,
        _: &mut Context<Self>,
        down: airssys_rt::signal::DownNotice,
    ) -> Result<(), Self::Error> {
        if self.cancelled.contains(&down.monitor) {
            self.late_notices += 1;
        }
        Ok(())
    }
}

/// L9 under a race: a target ending on another worker while its watcher flushes the
/// monitor. Whatever the interleaving, no notice of the monitor arrives once
/// `demonitor_flush` has returned (it was dropped if it was queued, and is never queued
/// after).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l9_no_down_notice_after_demonitor_flush_racing_the_targets_end() {
    const TRIES: u32 = 10_000;
    let system = ActorSystem::new();
    let canceller = system.spawn::<Canceller>(()).await.unwrap();
    for i in 0..TRIES {
        let target = system.spawn::<Idle>(()).await.unwrap();
        // Spread the flush over the target's end, from its start to after the notice is sent.
        let spins = (i * 7919) % 100;
        canceller.ask(CancellerMsg::Race(target, spins)).await.unwrap();
    }
    let (late, flushed) = canceller.ask(CancellerMsg::LateNotices).await.unwrap();
    assert_eq!(late, 0, "{late} notices arrived after their monitor was flushed");
    eprintln!("{flushed} of {TRIES} flushes dropped a queued notice");
    system.shutdown().await;
}

// ------------------------------------ an actor's own stop before a queued stop (A4.2)

/// Stops itself with a failure in its handler, after being told it is inside.
struct SelfStopper;

#[derive(Debug, thiserror::Error)]
#[error("stopped itself")]
struct OwnFailure;

#[actor]
impl Actor for SelfStopper {
    type Msg = oneshot::Sender<()>;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(SelfStopper)
    }

    async fn handle(
        &mut self,
        inside: oneshot::Sender<()>,
        ctx: &mut Context<Self>,
    ) -> Result<(), Self::Error> {
        let _ = inside.send(());
        tokio::task::yield_now().await;
        ctx.stop_with(ExitReason::failed(OwnFailure));
        Ok(())
    }
}

/// A4.2 under a race: an external stop (`Normal`, `Shutdown` or abnormal) sent from another
/// worker while the actor handles the message in which it stops itself. If the handler ran,
/// the actor ends with its own reason, whichever stop was queued first; if the external stop
/// was taken before the message, the message was never handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a4_2_own_stop_wins_over_an_external_stop_racing_it() {
    const TRIES: u32 = 10_000;
    let system = ActorSystem::new();
    let mut own = 0;
    for i in 0..TRIES {
        let actor = system.spawn::<SelfStopper>(()).await.unwrap();
        let (inside_tx, inside) = oneshot::channel();
        actor.tell(inside_tx).await.unwrap();
        let external = match i % 3 {
            0 => ExitReason::Normal,
            1 => ExitReason::Shutdown,
            _ => ExitReason::panicked("external"),
        };
        if i % 2 == 0 {
            // Surely inside the handler: the external stop is queued while it runs.
            let _ = inside.await;
            actor.stop_with(external.clone());
        } else {
            // Anywhere: before the message is taken, or while it is handled.
            actor.stop_with(external.clone());
        }
        let reason = actor.wait_for_exit().await;
        let handled = reason.error().is_some_and(|error| error.is::<OwnFailure>());
        assert!(handled || reason == external, "try {i}: ended {reason:?}, not {external:?}");
        own += u32::from(handled);
    }
    assert!(own >= TRIES / 2, "every try that waited for the handler ends with the own stop");
    system.shutdown().await;
}

// ------------------------------------------------------------ the message budget under a flood

/// One round: senders flood a few unbounded mailboxes past a small message budget while one
/// actor is killed and another stopped; then every actor ends.
async fn budget_round(policy: airssys_rt::mailbox::BudgetPolicy, round: u64) -> u64 {
    const LIMIT: usize = 100;
    let system = ActorSystem::builder()
        .mailbox(MailboxConfig::unbounded())
        .message_budget(LIMIT)
        .over_budget(policy)
        .build()
        .unwrap();
    let handled = Arc::new(AtomicU64::new(0));
    let mut actors = Vec::new();
    for _ in 0..6 {
        actors.push(system.spawn::<Tally>(handled.clone()).await.unwrap());
    }
    let mut senders = Vec::new();
    for sender in 0..4u64 {
        let actors = actors.clone();
        senders.push(tokio::spawn(async move {
            let mut total = Outcome::default();
            for i in 0..3000u64 {
                let actor = &actors[(i % 6) as usize];
                let n = sender * 1_000_000 + i;
                total.sent += 1;
                let sent = match i % 50 {
                    0..=24 => actor.try_tell(n).is_ok(),
                    25..=48 => actor.tell(n).await.is_ok(),
                    _ => match actor.ask(n).timeout(std::time::Duration::from_secs(60)).await {
                        Ok(_) | Err(AskError::Stopped(_) | AskError::Dropped) => true,
                        Err(AskError::Full(_) | AskError::Closed(_)) => false,
                        Err(other) => panic!("{other}"),
                    },
                };
                if !sent {
                    total.returned += 1;
                }
            }
            total
        }));
    }
    for _ in 0..(round % 40) {
        tokio::task::yield_now().await;
    }
    actors[0].kill();
    actors[1].stop();
    let mut total = Outcome::default();
    for sender in senders {
        let outcome = sender.await.unwrap();
        total.sent += outcome.sent;
        total.returned += outcome.returned;
    }
    for actor in &actors {
        actor.stop();
        actor.wait_for_exit().await;
    }
    let handled = handled.load(Ordering::Relaxed);
    let dead = system.dead_letters().count();
    assert_eq!(handled + total.returned + dead, total.sent, "{policy:?} round {round}");
    let stats = system.statistics();
    assert_eq!(stats.budget_in_use, 0, "{policy:?} round {round}: every slot given back");
    assert_eq!(
        system.health().await.status,
        airssys_rt::monitoring::health::HealthStatus::Healthy,
        "{policy:?} round {round}: nothing waits, so the budget is not over"
    );
    stats.over_budget_refused + stats.over_budget_shed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2_a_flood_past_the_budget_gives_every_slot_back() {
    let mut over = 0;
    for round in 0..200 {
        for policy in
            [airssys_rt::mailbox::BudgetPolicy::Reject, airssys_rt::mailbox::BudgetPolicy::Shed]
        {
            over += budget_round(policy, round).await;
        }
    }
    assert!(over > 0, "the floods went past the budget");
    eprintln!("over budget: {over}");
}

// ------------------------------------------------------------ timeouts racing room

/// A `Tally` that takes its time over every message, so that senders wait for room.
struct Slow(Arc<AtomicU64>);

#[actor]
impl Actor for Slow {
    type Msg = u64;
    type Reply = u64;
    type Args = Arc<AtomicU64>;
    type Error = std::convert::Infallible;

    async fn pre_start(
        handled: Arc<AtomicU64>,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Slow(handled))
    }

    async fn handle(&mut self, n: u64, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        self.0.fetch_add(1, Ordering::Relaxed);
        if n.is_multiple_of(3) {
            tokio::time::sleep(std::time::Duration::from_micros(500)).await;
        }
        Ok(n)
    }
}

/// Senders into a one-slot `Wait` mailbox, with timeouts and cancellations racing the room the
/// actor makes: every message is handled, handed back or a dead letter, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m14_m15_timeouts_and_cancellations_racing_room_lose_nothing() {
    use std::time::Duration;
    for round in 0..5u64 {
        let system = ActorSystem::new();
        let handled = Arc::new(AtomicU64::new(0));
        let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(1));
        let actor = system.spawn_with::<Slow>(options, handled.clone()).await.unwrap();
        let mut senders = Vec::new();
        for sender in 0..4u64 {
            let actor = actor.clone();
            senders.push(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(round * 10 + sender);
                let mut returned = 0u64;
                for i in 0..500u64 {
                    let n = sender * 1_000_000 + i;
                    let wait = Duration::from_micros(rng.u64(0..2_000));
                    match rng.u8(0..3) {
                        0 => {
                            if actor.tell(n).timeout(wait).await.is_err() {
                                returned += 1;
                            }
                        }
                        1 => match tokio::time::timeout(wait, actor.tell(n)).await {
                            Ok(Ok(())) | Err(_) => {}
                            Ok(Err(_)) => returned += 1,
                        },
                        _ => match tokio::time::timeout(wait, actor.ask(n)).await {
                            Ok(Ok(_) | Err(AskError::Timeout(_) | AskError::Stopped(_))) => {}
                            Ok(Err(AskError::Full(_) | AskError::Closed(_))) => returned += 1,
                            Ok(Err(other)) => panic!("{other}"),
                            Err(_) => {}
                        },
                    }
                }
                returned
            }));
        }
        let mut returned = 0;
        for sender in senders {
            returned += sender.await.unwrap();
        }
        actor.stop();
        actor.wait_for_exit().await;
        let handled = handled.load(Ordering::Relaxed);
        let dead = system.dead_letters().count();
        assert_eq!(
            handled + returned + dead,
            2_000,
            "round {round}: {handled} + {returned} + {dead}"
        );
    }
}

/// Q12, Q14: the same race through recipients. Asks woken by the same room all retry, and
/// each refused one keeps its reply channel for the next try: every reply reaches the asker
/// that sent its request, and every message is handled, handed back or a dead letter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn q14_asks_through_a_reply_recipient_racing_room_each_get_their_own_reply() {
    use std::time::Duration;

    use airssys_rt::actor::{Recipient, ReplyRecipient};

    for round in 0..5u64 {
        let system = ActorSystem::new();
        let handled = Arc::new(AtomicU64::new(0));
        let options = SpawnOptions::new().mailbox(MailboxConfig::bounded(1));
        let actor = system.spawn_with::<Slow>(options, handled.clone()).await.unwrap();
        let mut senders = Vec::new();
        for sender in 0..4u64 {
            let tells: Recipient<u64> = actor.recipient();
            let asks: ReplyRecipient<u64, u64> = actor.reply_recipient();
            senders.push(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(round * 10 + sender);
                let mut returned = 0u64;
                for i in 0..500u64 {
                    let n = sender * 1_000_000 + i;
                    let wait = Duration::from_micros(rng.u64(0..2_000));
                    match rng.u8(0..4) {
                        0 => {
                            if tells.tell(n).timeout(wait).await.is_err() {
                                returned += 1;
                            }
                        }
                        1 => match tokio::time::timeout(wait, tells.tell(n)).await {
                            Ok(Ok(())) | Err(_) => {}
                            Ok(Err(_)) => returned += 1,
                        },
                        2 => match asks.ask(n).await {
                            Ok(reply) => assert_eq!(reply, n, "another request's reply"),
                            Err(AskError::Full(_) | AskError::Closed(_)) => returned += 1,
                            Err(other) => panic!("{other}"),
                        },
                        _ => match tokio::time::timeout(wait, asks.ask(n)).await {
                            Ok(Ok(reply)) => assert_eq!(reply, n, "another request's reply"),
                            Ok(Err(AskError::Timeout(_) | AskError::Stopped(_))) | Err(_) => {}
                            Ok(Err(AskError::Full(_) | AskError::Closed(_))) => returned += 1,
                            Ok(Err(other)) => panic!("{other}"),
                        },
                    }
                }
                returned
            }));
        }
        let mut returned = 0;
        for sender in senders {
            returned += sender.await.unwrap();
        }
        actor.stop();
        actor.wait_for_exit().await;
        let handled = handled.load(Ordering::Relaxed);
        let dead = system.dead_letters().count();
        assert_eq!(
            handled + returned + dead,
            2_000,
            "round {round}: {handled} + {returned} + {dead}"
        );
    }
}

/// Blocks in its handler until released, taking nothing else meanwhile.
struct Stuck;

#[actor]
impl Actor for Stuck {
    type Msg = Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Stuck)
    }

    async fn handle(
        &mut self,
        block: Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>,
        _: &mut Context<Self>,
    ) -> Result<(), Self::Error> {
        if let Some((entered, release)) = block {
            let _ = entered.send(());
            let _ = release.await;
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2_once_spent_the_budget_counts_exactly_the_messages_waiting() {
    const LIMIT: usize = 2_000;
    for round in 0..50u64 {
        let system = ActorSystem::builder()
            .mailbox(MailboxConfig::unbounded())
            .message_budget(LIMIT)
            .build()
            .unwrap();
        let mut actors = Vec::new();
        let mut releases = Vec::new();
        for _ in 0..16 {
            let actor = system.spawn::<Stuck>(()).await.unwrap();
            let (release, held) = oneshot::channel();
            let (entered, inside) = oneshot::channel();
            actor.tell(Some((entered, held))).await.unwrap();
            inside.await.unwrap();
            actors.push(actor);
            releases.push(release);
        }
        let actors = Arc::new(actors);
        let mut senders = Vec::new();
        for sender in 0..4usize {
            let actors = Arc::clone(&actors);
            senders.push(tokio::spawn(async move {
                let mut queued = 0;
                for i in 0..1_000usize {
                    if actors[(i * 7 + sender) % actors.len()].try_tell(None).is_ok() {
                        queued += 1;
                    }
                }
                queued
            }));
        }
        let mut queued = 0;
        for sender in senders {
            queued += sender.await.unwrap();
        }
        let waiting: usize = actors.iter().map(|actor| actor.mailbox_len()).sum();
        assert_eq!(waiting, queued);
        let stats = system.statistics();
        if stats.over_budget_refused > 0 {
            assert_eq!(waiting, LIMIT, "round {round}: refused with room left");
            assert_eq!(stats.budget_in_use as usize, waiting, "round {round}: spare slots kept");
        }
        drop(releases);
    }
}

// ------------------------------------------------------------ end hooks racing the end

/// Registers and withdraws end hooks on another thread while the actor is stopped: every hook
/// registered runs once, is handed back, or is withdrawn; never two of these, never none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g4_end_hooks_racing_the_actors_end_run_once_or_come_back() {
    use airssys_rt::kernel::EndHookError;

    for _ in 0..300 {
        let system = ActorSystem::new();
        let idle = system.spawn::<Idle>(()).await.unwrap();
        let actor = idle.erase();
        let ran = Arc::new(AtomicU64::new(0));
        let racer = {
            let ran = Arc::clone(&ran);
            tokio::task::spawn_blocking(move || {
                let (mut accounted, mut attempt) = (0_u64, 0_u64);
                loop {
                    attempt += 1;
                    let counted = Arc::clone(&ran);
                    match actor.on_end(move || {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }) {
                        // Every other hook is withdrawn: withdrawn, it never runs.
                        Ok(hook) if attempt % 2 == 0 && actor.cancel_end_hook(hook) => {}
                        Ok(_) => accounted += 1,
                        Err(EndHookError::Ended { hook, .. }) => {
                            hook.run();
                            return (accounted + 1, actor);
                        }
                        Err(_) => unreachable!("one kind of refusal"),
                    }
                }
            })
        };
        idle.stop();
        idle.wait_for_exit().await;
        let (expected, actor) = racer.await.unwrap();
        assert!(actor.wait_for_exit().await == ExitReason::Normal);
        assert_eq!(ran.load(Ordering::SeqCst), expected, "each hook ran exactly once");
    }
}

// ------------------------------------------- group members ending while joined and left

/// One round: an actor in two groups (one cloned many times), joined and left again and again
/// on other threads, while it is stopped and a group's clones are dropped.
async fn group_end_round(round: u64) {
    use airssys_rt::router::{Group, Routing};
    let system = ActorSystem::new();
    let actor = system.spawn::<Idle>(()).await.expect("spawns");
    let stays = system.spawn::<Idle>(()).await.expect("spawns");
    let first: Group<()> =
        Group::new(Routing::RoundRobin, [actor.reply_recipient(), stays.reply_recipient()])
            .expect("round robin");
    let second: Group<()> =
        Group::new(Routing::RoundRobin, [actor.reply_recipient()]).expect("round robin");
    let clones: Vec<Group<()>> = (0..16).map(|_| second.clone()).collect();
    let weak = second.downgrade();
    // Each churns until the actor has ended, and a little after; each tells once it has begun.
    let churn = |group: Group<()>, actor: ActorRef<Idle>| {
        let (begun, started) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut begun = Some(begun);
            let mut after = 0;
            while after < 8 {
                group.leave(actor.id());
                group.join(actor.clone());
                if let Some(begun) = begun.take() {
                    let _ = begun.send(());
                }
                if !actor.is_alive() {
                    after += 1;
                }
                tokio::task::yield_now().await;
            }
        });
        (task, started)
    };
    let (a, a_started) = churn(first.clone(), actor.clone());
    let (b, b_started) = churn(second.clone(), actor.clone());
    a_started.await.expect("begins");
    b_started.await.expect("begins");
    // In odd rounds the group's last clone goes too, racing the member's end hook.
    let mut second = Some(second);
    let last = if !round.is_multiple_of(2) { second.take() } else { None };
    let dropper = tokio::spawn(async move {
        for clone in clones {
            drop(clone);
            tokio::task::yield_now().await;
        }
        drop(last);
    });
    if round.is_multiple_of(2) {
        tokio::task::yield_now().await;
    }
    actor.stop();
    actor.wait_for_exit().await;
    a.await.expect("churns");
    b.await.expect("churns");
    dropper.await.expect("drops");
    // However the joins raced its end, it is in no group now, and cannot come back.
    assert!(first.members().iter().all(|member| member.id() != actor.id()), "round {round}");
    if let Some(second) = &second {
        assert!(second.members().iter().all(|member| member.id() != actor.id()), "round {round}");
        assert!(!second.join(actor.clone()));
    }
    assert!(!first.join(actor.clone()));
    assert_eq!(first.members().iter().map(|member| member.id()).collect::<Vec<_>>(), [stays.id()]);
    drop((first, second));
    assert!(weak.upgrade().is_none(), "round {round}: a hook kept the group");
    // The groups gone, nothing holds the member that stayed but its own handle.
    let watched = stays.erase();
    drop(stays);
    assert_eq!(watched.wait_for_exit().await, ExitReason::Normal, "round {round}");
}

/// R15, R16: however joins and leaves on other threads race a member's end, and the group's
/// last clone its end hook, the ended actor is in no group afterwards, none takes it back, and
/// no hook keeps a group (nor so its members) alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r16_joins_and_leaves_racing_a_members_end_never_keep_it() {
    for round in 0..500 {
        group_end_round(round).await;
    }
}
