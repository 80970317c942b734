//! Regression tests from the fifth review (restart rework): each comment describes the defect
//! as it was found; the test proves it gone.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{
    Backoff, ChildSpec, ChildStatus, Strategy, Supervisor, SupervisorSpec,
};
use tokio::time::{timeout, Instant};

mod common;
use common::tree::{backoff, crash, status, statuses, Member, Tree};

// ---------------------------------------------------------------------------------------------
// Backoff and group restarts: the Retry names only the group's first child.

const WAIT: Duration = Duration::from_secs(600);

/// `Slot::backoff_delay` decides "quiet" from `started_at`, the last *successful* start, which a
/// failed start does not move. After a child that ran longer than `reset_after` crashes, every
/// failed restart is again "the first in a row": the delay stays at `initial` for ever instead
/// of doubling (T18: a failed start is retried after the child's *next* backoff delay,
/// `initial * 2^(n-1)` for the n-th restart in a row).
#[tokio::test(start_paused = true)]
async fn r5_failed_starts_after_a_long_run_never_back_off_further() {
    let system = ActorSystem::new();
    let tree = Tree::new();
    let args = tree.args("a");
    let failing = Arc::clone(&args.failing_starts);
    let backoff = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(3600))
        .jitter(0.0)
        .reset_after(Duration::from_secs(10));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(100, Duration::from_secs(1))
        .child(ChildSpec::worker::<Member>("a", args).backoff(backoff));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    // Paused clock: only moves time on, so that the child counts as having run quietly.
    tokio::time::sleep(Duration::from_secs(20)).await;
    failing.store(3, Ordering::SeqCst);
    crash(&supervisor, "a").await;
    let crashed = Instant::now();
    timeout(WAIT, tree.log.wait_for("start:a", 2)).await.expect("restarted in the end");
    assert_eq!(tree.log.count("refused:a"), 3);
    // 1 s, then 2, 4 and 8 s after the three failed starts.
    assert!(
        crashed.elapsed() >= Duration::from_secs(15),
        "failed starts retried without growing backoff: restarted after {:?}",
        crashed.elapsed()
    );
    system.shutdown().await;
}

/// Control for the test above: with a child that did not run long, the same failed starts
/// do back off 1 + 2 + 4 + 8 s.
#[tokio::test(start_paused = true)]
async fn ok_failed_starts_after_a_short_run_back_off() {
    let system = ActorSystem::new();
    let tree = Tree::new();
    let args = tree.args("a");
    let failing = Arc::clone(&args.failing_starts);
    let backoff = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(3600))
        .jitter(0.0)
        .reset_after(Duration::from_secs(10));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(100, Duration::from_secs(1))
        .child(ChildSpec::worker::<Member>("a", args).backoff(backoff));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    failing.store(3, Ordering::SeqCst);
    crash(&supervisor, "a").await;
    let crashed = Instant::now();
    timeout(WAIT, tree.log.wait_for("start:a", 2)).await.expect("restarted in the end");
    assert!(crashed.elapsed() >= Duration::from_secs(15), "{:?}", crashed.elapsed());
    system.shutdown().await;
}

/// `terminate_child` cancels a pending restart by clearing the slot's generation, but leaves
/// its timer task running (and its AbortHandle in `timers`) until the delay has passed. A
/// child that crashes, is terminated and restarted by hand, again and again, piles up one
/// sleeping task per round for up to `max` each (here an hour): bounded only by intensity x
/// max delay.
#[tokio::test(start_paused = true)]
async fn r5_cancelled_backoff_timers_are_not_aborted() {
    let system = ActorSystem::new();
    let tree = Tree::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(1000, Duration::from_secs(1))
        .child(tree.member("a").backoff(backoff(3_600_000)));
    let supervisor = Supervisor::start(&system, spec).await.unwrap();
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    for _ in 0..50 {
        crash(&supervisor, "a").await;
        assert_eq!(statuses(&supervisor).await, status(&[("a", ChildStatus::Restarting)]));
        supervisor.terminate_child("a").await.unwrap();
        supervisor.restart_child("a").await.unwrap();
    }
    let after = metrics.num_alive_tasks();
    assert!(
        after <= before + 1,
        "{} timer tasks of cancelled restarts still alive",
        after - before
    );
    system.shutdown().await;
}

/// `Guarded` now lets the first poll run even when the actor is already killed. `run` checks
/// for a kill before `post_stop` but not before `post_start`: an actor killed right after
/// `spawn` returned (idle, its task not yet polled) still runs `post_start` up to its first
/// await, against A6 ("a kill ends the actor at once if it is idle").
#[tokio::test]
async fn r5_post_start_runs_after_a_kill() {
    use std::sync::atomic::AtomicBool;
    struct Hooked(Arc<AtomicBool>);
    impl Actor for Hooked {
        type Msg = ();
        type Reply = ();
        type Args = Arc<AtomicBool>;
        type Error = std::convert::Infallible;
        async fn pre_start(
            ran: Arc<AtomicBool>,
            _: &mut Context<Self>,
        ) -> Result<Self, Self::Error> {
            Ok(Hooked(ran))
        }
        async fn post_start(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
            self.0.store(true, Ordering::SeqCst);
            Ok(())
        }
        async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let system = ActorSystem::new();
    let ran = Arc::new(AtomicBool::new(false));
    let actor = system.spawn::<Hooked>(Arc::clone(&ran)).await.unwrap();
    actor.kill();
    let reason = timeout(Duration::from_secs(5), actor.wait_for_exit()).await.unwrap();
    assert_eq!(reason, ExitReason::Killed);
    assert!(!ran.load(Ordering::SeqCst), "post_start ran after the actor was killed");
}
