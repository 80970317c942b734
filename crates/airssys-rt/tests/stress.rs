//! Many actors and many races: every message must be accounted for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use airssys_rt::prelude::*;
use tokio::sync::oneshot;

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
        if n % 7 == 0 {
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
