//! Regression tests from the second review (shared ask deadlines, inline plain stops, the
//! labeled-block run loop, `tell` on Tokio's budget). Under "fixed defects", each comment
//! describes the defect as it was found and the test proves it gone; under "checked", tests pin
//! down what was checked and found correct.

mod common;

use std::future::{poll_fn, Future, IntoFuture};
use std::pin::pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

use airssys_rt::prelude::*;
use common::{block, probe, Cmd, Probe, ProbeArgs};

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Turns a hang into a failure (on Tokio's clock: with paused time it is virtual).
async fn within<F: Future>(what: &str, limit: Duration, future: F) -> F::Output {
    match tokio::time::timeout(limit, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: hung for {limit:?}"),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn unbounded() -> SpawnOptions {
    SpawnOptions::new().mailbox(MailboxConfig::unbounded())
}

// ======================================================================== fixed defects

/// M4 / "respawned if its runtime dropped it". The reaper lives on the runtime of the first
/// ask that registered. An ask registered from another runtime while that reaper is alive does
/// not start a reaper of its own (`ensure_reaper` sees `reaper_running`). When the reaper's
/// runtime is then dropped, `ReaperRunning::drop` clears the flag, but nothing starts a new
/// reaper until some *later* ask registers: the pending ask never times out.
#[test]
fn m4_ask_registered_before_the_reapers_runtime_drops_never_times_out() {
    let actors = multi_thread();
    let system = ActorSystem::new();
    let (actor, _) = actors.block_on(probe(&system));
    let _release = actors.block_on(block(&actor)); // nothing gets a reply from now on

    // A current-thread runtime, driven by its own thread, starts the reaper.
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let first_asker = actor.clone();
    let other = std::thread::spawn(move || {
        let rt = current_thread();
        rt.block_on(async {
            let first = first_asker.ask(Cmd::Echo(1)).timeout(ms(10)).await;
            assert!(matches!(first, Err(AskError::Timeout(_))), "{first:?}");
            ready_tx.send(()).unwrap();
            let _ = stop_rx.await; // keeps driving the reaper until told to stop
        });
        drop(rt);
        dropped_tx.send(()).unwrap();
    });
    ready_rx.recv().unwrap();

    actors.block_on(async {
        let mut ask = pin!(actor.ask(Cmd::Echo(2)).timeout(Duration::from_secs(1)).into_future());
        // First poll: sent, no reply, registered with the reaper of the other runtime.
        assert!(poll_fn(|cx| Poll::Ready(ask.as_mut().poll(cx).is_pending())).await);
        stop_tx.send(()).unwrap();
        tokio::task::spawn_blocking(move || dropped_rx.recv().unwrap()).await.unwrap();
        let result = within("ask with a 1 s timeout", Duration::from_secs(10), ask).await;
        assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
    });
    other.join().unwrap();
}

/// M4 / S2. Same root cause without any runtime being dropped: the reaper sits on a runtime
/// that is alive but not being driven (a current-thread runtime between `block_on` calls), so
/// asks from the runtime where the actors live never time out. Before 224095d every ask had its
/// own timer on the runtime that polled it.
#[test]
fn m4_reaper_on_an_idle_runtime_stops_every_ask_timeout_of_the_system() {
    let actors = multi_thread();
    let system = ActorSystem::new();
    let (actor, _) = actors.block_on(probe(&system));
    let _release = actors.block_on(block(&actor));

    let idle = current_thread();
    idle.block_on(async {
        let first = actor.ask(Cmd::Echo(1)).timeout(ms(10)).await;
        assert!(matches!(first, Err(AskError::Timeout(_))), "{first:?}");
    });
    // `idle` stays alive but is not driven any more.

    actors.block_on(async {
        let result = within("ask with a 50 ms timeout", Duration::from_secs(5), async {
            actor.ask(Cmd::Echo(2)).timeout(ms(50)).await
        })
        .await;
        assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
    });
    drop(idle);
}

/// `ask` outside a runtime panics (documented), but `ensure_reaper` panics in `tokio::spawn`
/// *after* it set `reaper_running`: the flag stays set for good, so no reaper ever runs again
/// and no ask of the system ever times out (and the panicking ask's entry is leaked: it was
/// inserted before the panic and its `AskDeadline` never learned its registration).
#[test]
fn m4_one_ask_outside_a_runtime_disables_every_later_ask_timeout() {
    let rt = multi_thread();
    let system = ActorSystem::new();
    let (actor, _) = rt.block_on(probe(&system));
    let _release = rt.block_on(block(&actor));

    let outside = actor.clone();
    let panicked = std::thread::spawn(move || {
        let _ =
            futures::executor::block_on(outside.ask(Cmd::Echo(1)).timeout(ms(10)).into_future());
    })
    .join();
    assert!(panicked.is_err(), "an ask outside a runtime is documented to panic");

    rt.block_on(async {
        let result = within("ask with a 50 ms timeout", Duration::from_secs(5), async {
            actor.ask(Cmd::Echo(2)).timeout(ms(50)).await
        })
        .await;
        assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
    });
}

/// `ask` is documented to panic "when awaited outside a Tokio runtime with its timer enabled,
/// as `tokio::time::sleep` does". On a runtime without the timer it now neither panics nor
/// times out: the reaper task panics in `sleep_until` (caught by Tokio, its flag cleared), the
/// ask stays pending forever.
#[test]
fn m4_ask_on_a_runtime_without_timer_hangs_instead_of_panicking() {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap(); // no timer
        rt.block_on(async {
            let system = ActorSystem::new();
            let (actor, _) = probe(&system).await;
            let _release = block(&actor).await;
            let asker = actor.clone();
            let ask = tokio::spawn(async move {
                asker.ask(Cmd::Echo(1)).timeout(ms(10)).await.map_err(|e| e.to_string())
            });
            // Either outcome is acceptable: the documented panic, or a timeout.
            let outcome = match ask.await {
                Ok(result) => format!("returned {result:?}"),
                Err(error) => format!("panicked: {}", error.is_panic()),
            };
            done_tx.send(outcome).unwrap();
        });
    });
    match done_rx.recv_timeout(Duration::from_secs(5)) {
        Ok(outcome) => println!("ask without a timer: {outcome}"),
        Err(_) => panic!("an ask with a 10 ms timeout on a runtime without timer hung for 5 s"),
    }
}

/// M13 (d90f530). `tell` queues the message and only then awaits `consume_budget`; when the
/// budget is spent that await is `Pending`, so a `tell` that is dropped there (a losing
/// `select!` branch, a timeout) has delivered its message although it never completed, and a
/// `SendError` carrying the message back is lost with it. Tokio's channels check the budget
/// before they commit (a cancelled `Sender::send` sent nothing).
#[tokio::test(flavor = "current_thread")]
async fn m13_a_tell_cancelled_at_its_budget_yield_has_already_delivered() {
    let system = ActorSystem::new();
    let actor = system.spawn_with::<Probe>(unbounded(), ProbeArgs::new()).await.unwrap();
    let (pending, queued) = poll_fn(|cx| {
        // Spend this task's budget, as a loop of sends would.
        loop {
            let mut spend = pin!(tokio::task::coop::consume_budget());
            if spend.as_mut().poll(cx).is_pending() {
                break;
            }
        }
        let pending = {
            let mut tell = pin!(actor.tell(Cmd::Echo(7)).into_future());
            tell.as_mut().poll(cx).is_pending()
        }; // the tell is dropped here, as by a losing select! branch
        Poll::Ready((pending, actor.mailbox_len()))
    })
    .await;
    assert!(pending, "precondition: the tell yielded on the spent budget");
    assert_eq!(queued, 0, "a tell that never completed (and was cancelled) delivered its message");
}

struct Watched {
    me: std::sync::Arc<parking_lot::Mutex<Option<ActorRef<Watched>>>>,
    exit_visible_at_drop: std::sync::Arc<parking_lot::Mutex<Option<bool>>>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        let visible = self.me.lock().as_ref().map(|me| me.exit_reason().is_some());
        *self.exit_visible_at_drop.lock() = visible;
    }
}

type WatchedArgs = (
    std::sync::Arc<parking_lot::Mutex<Option<ActorRef<Watched>>>>,
    std::sync::Arc<parking_lot::Mutex<Option<bool>>>,
);

impl Actor for Watched {
    type Msg = ();
    type Reply = ();
    type Args = WatchedArgs;
    type Error = std::convert::Infallible;

    async fn pre_start(
        (me, seen): WatchedArgs,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Watched { me, exit_visible_at_drop: seen })
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A7: "its state is dropped before its exit reason becomes visible ... this holds too when the
/// runtime drops the actor's task". `run(life, actor, ctx)` relies on `life` being dropped last,
/// which holds for a task suspended inside `run` (locals drop in reverse order), but a task the
/// runtime drops before its first poll drops `run`'s captured arguments in declaration order:
/// `life` first, so the exit is announced while the actor's state still exists.
/// (Pre-existing: fails at 5fabfd5 too; the diff kept the parameter order.)
#[test]
fn a7_runtime_drop_before_the_first_poll_announces_the_exit_before_dropping_the_state() {
    let system = ActorSystem::new();
    let me = std::sync::Arc::new(parking_lot::Mutex::new(None));
    let seen = std::sync::Arc::new(parking_lot::Mutex::new(None));
    let rt = current_thread();
    rt.block_on(async {
        // `spawn` returns right after `tokio::spawn(run(..))`; `block_on` returns before the
        // actor's task is ever polled.
        let actor = system.spawn::<Watched>((me.clone(), seen.clone())).await.unwrap();
        *me.lock() = Some(actor);
    });
    drop(rt);
    let actor = me.lock().take().unwrap();
    assert_eq!(actor.exit_reason(), Some(ExitReason::Killed));
    assert_eq!(*seen.lock(), Some(false), "the exit was visible before the state was dropped");
}

/// Waker that owns a pending ask of the same system, as a task of a hand-written executor
/// owns its future: dropping the last reference drops that ask.
struct OwnsAsk(
    #[allow(dead_code)]
    parking_lot::Mutex<Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>>,
);

impl std::task::Wake for OwnsAsk {
    fn wake(self: std::sync::Arc<Self>) {}
}

/// "Lock held while waking": `Deadlines::poll_expired` replaces an entry's waker (an ask
/// polled by another task than before) with the deadlines lock held, so the old waker is
/// dropped under it. A waker whose drop reaches an ask of the same system (`AskDeadline::drop`
/// -> `cancel` -> the same non-reentrant lock) deadlocks the thread. `register` likewise
/// clones the waker under the lock.
#[test]
fn deadlines_drop_a_replaced_waker_with_their_lock_held() {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = current_thread();
        rt.block_on(async {
            let system = ActorSystem::new();
            let (actor, _) = probe(&system).await;
            let _release = block(&actor).await;
            let actor: &'static ActorRef<Probe> = Box::leak(Box::new(actor));
            let noop = std::task::Waker::noop();
            let mut inner =
                Box::pin(actor.ask(Cmd::Echo(1)).timeout(Duration::from_secs(60)).into_future());
            assert!(inner.as_mut().poll(&mut std::task::Context::from_waker(noop)).is_pending());
            let inner: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
                Box::pin(async move { drop(inner.await) });
            let first = std::task::Waker::from(std::sync::Arc::new(OwnsAsk(
                parking_lot::Mutex::new(Some(inner)),
            )));
            let mut outer =
                Box::pin(actor.ask(Cmd::Echo(2)).timeout(Duration::from_secs(60)).into_future());
            assert!(outer.as_mut().poll(&mut std::task::Context::from_waker(&first)).is_pending());
            drop(first); // the deadlines entry now holds the last reference
                         // Polled by another task: the old waker is replaced, and dropped.
            let _ = outer.as_mut().poll(&mut std::task::Context::from_waker(noop));
            done_tx.send(()).unwrap();
        });
    });
    done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("deadlock: a waker dropped under the deadlines lock re-entered it");
}

// ========================================================================= checked

/// Deadlines under load (multi-thread, real time): many concurrent asks with more than
/// `MAX_LANES` distinct timeouts (so some take the per-ask `Sleep` fallback), some completed,
/// some dropped midway, all to actors that never reply. Every awaited ask must time out, never
/// before its timeout and not much after.
#[test]
fn deadlines_under_load_fire_neither_early_nor_late_nor_never() {
    let rt = multi_thread();
    rt.block_on(async {
        let system = ActorSystem::new();
        // Unbounded: about 1,400 requests pile up behind the blocked handler.
        let stuck = system.spawn_with::<Probe>(unbounded(), ProbeArgs::new()).await.unwrap();
        let _release = block(&stuck).await;
        let echo = system.spawn_with::<Probe>(unbounded(), ProbeArgs::new()).await.unwrap();
        let mut tasks = Vec::new();
        for task in 0..64u64 {
            let (stuck, echo) = (stuck.clone(), echo.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = fastrand::Rng::with_seed(task);
                for round in 0..30u64 {
                    let timeout = ms(20 + rng.u64(0..24) * 3);
                    match rng.u8(0..4) {
                        0 => {
                            assert_eq!(
                                echo.ask(Cmd::Echo(round)).timeout(timeout).await.unwrap(),
                                round
                            );
                        }
                        1 => {
                            // Dropped after it registered.
                            let _ = tokio::time::timeout(ms(rng.u64(1..10)), async {
                                stuck.ask(Cmd::Echo(round)).timeout(timeout).await
                            })
                            .await;
                        }
                        _ => {
                            let start = tokio::time::Instant::now();
                            let result = within("ask", Duration::from_secs(10), async {
                                stuck.ask(Cmd::Echo(round)).timeout(timeout).await
                            })
                            .await;
                            let took = start.elapsed();
                            assert!(
                                matches!(result, Err(AskError::Timeout(t)) if t == timeout),
                                "{result:?}"
                            );
                            assert!(took >= timeout, "timed out early: {took:?} < {timeout:?}");
                            assert!(
                                took < timeout + Duration::from_secs(1),
                                "timed out late: {took:?} for {timeout:?}"
                            );
                        }
                    }
                }
            }));
        }
        for task in tasks {
            within("asking task", Duration::from_secs(60), task).await.unwrap();
        }
    });
}

/// Paused time: each timeout fires exactly at its deadline (Tokio's millisecond resolution),
/// for the shared lanes, the `Sleep` fallback (more than 16 distinct timeouts pending), a zero
/// timeout, and a deadline earlier than the one the reaper sleeps on.
#[tokio::test(start_paused = true)]
async fn deadlines_fire_exactly_on_time_with_paused_clock() {
    let system = ActorSystem::new();
    let (stuck, _) = probe(&system).await;
    let _release = block(&stuck).await;
    let mut asks = Vec::new();
    // Long ones first, so the reaper sleeps long and must be woken for the shorter ones.
    for timeout in (0..40u64).rev().map(|i| ms(i * 7)) {
        let stuck = stuck.clone();
        asks.push(tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            let result = stuck.ask(Cmd::Echo(0)).timeout(timeout).await;
            assert!(matches!(result, Err(AskError::Timeout(_))), "{result:?}");
            (timeout, start.elapsed())
        }));
    }
    for ask in asks {
        let (timeout, took) = within("ask", Duration::from_secs(60), ask).await.unwrap();
        assert!(took >= timeout && took <= timeout + ms(1), "{timeout:?} fired after {took:?}");
    }
}

/// Signals keep their order whether the first is kept inline (`plain_stop`) or boxed: the
/// first stop wins, through the public API.
#[tokio::test]
async fn first_stop_wins_whether_kept_inline_or_queued() {
    let system = ActorSystem::new();
    for (first, second) in [
        (ExitReason::Shutdown, ExitReason::panicked("second")),
        (ExitReason::panicked("first"), ExitReason::Normal),
        (ExitReason::Normal, ExitReason::Shutdown),
    ] {
        let (actor, _) = probe(&system).await;
        let release = block(&actor).await;
        actor.stop_with(first.clone());
        actor.stop_with(second);
        let _ = release.send(());
        assert_eq!(within("exit", Duration::from_secs(5), actor.wait_for_exit()).await, first);
    }
}

/// A stop sent right after `spawn` returns races `run`'s `take_signal` before `post_start`;
/// either way the actor ends with that reason, post_stop runs, and shutdown reports it.
#[test]
fn stop_racing_the_start_of_run_ends_cleanly() {
    let rt = multi_thread();
    rt.block_on(async {
        let system = ActorSystem::new();
        for round in 0..5_000 {
            let (actor, journal) = probe(&system).await;
            actor.stop_with(ExitReason::Shutdown);
            let reason = within("exit", Duration::from_secs(5), actor.wait_for_exit()).await;
            assert_eq!(reason, ExitReason::Shutdown, "round {round}");
            assert!(
                journal.contains(&common::Event::PostStop(ExitReason::Shutdown)),
                "round {round}: {:?}",
                journal.events()
            );
        }
        assert_eq!(system.actor_count(), 0);
        let report = system.shutdown().await;
        assert_eq!((report.stopped, report.killed), (0, 0));
    });
}
