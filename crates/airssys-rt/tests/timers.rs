//! Chapter K of `docs/semantics.md`: timers and the idle timeout, one test (or more) per rule,
//! named after it.
//!
//! Every test but the races runs on Tokio's paused clock (`start_paused = true`): sleeping in a
//! test moves the clock, and nothing waits on the wall clock. The races need a multi-thread
//! runtime, where the clock cannot be paused; they use zero delays and 1 ms periods, and
//! synchronise on events only.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use airssys_rt::dead_letter::DeadLetterReason;
use airssys_rt::mailbox::{MailboxConfig, OverflowPolicy};
use airssys_rt::prelude::*;
use tokio::time::Instant;

use common::record::Record;

#[derive(Clone, Debug, PartialEq)]
enum Ev {
    Tick(u32),
    Idle,
    Stopped(ExitReason),
}

type Log = Record<Ev>;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    Panic,
    Fail,
}

#[derive(Clone, Default)]
struct ClockArgs {
    log: Log,
    /// Set in `pre_start`.
    idle: Option<Duration>,
    /// `on_idle` clears the timeout (a one-shot idle timeout).
    idle_once: bool,
    idle_fault: Option<Fault>,
    /// Set in `pre_start`, to itself: a one-shot `Tick(0)` after this delay.
    after: Option<Duration>,
    /// Set in `pre_start`, to itself: `Tick(0)` every period; cancelled after three ticks.
    every: Option<Duration>,
    /// `post_stop` waits this long (on Tokio's clock) after recording the stop.
    slow_stop: Option<Duration>,
    /// `pre_start` fails after setting its timers.
    fail_start: bool,
}

/// Records what it handles; sets timers on itself or on others when asked.
struct Clock {
    args: ClockArgs,
    own: Option<TimerRef>,
    ticks: u32,
}

#[derive(Clone)]
enum Msg {
    Tick(u32),
    /// `ctx.send_after(delay, Tick(n))`.
    After(Duration, u32),
    /// `ctx.send_interval(period, Tick(n))`.
    Every(Duration, u32),
    /// `ctx.send_after_weak(delay, Tick(n))`.
    AfterWeak(Duration, u32),
    /// `other.send_after(delay, Tick(n))`.
    AfterOn(ActorRef<Clock>, Duration, u32),
    SetIdle(Option<Duration>),
    /// Stays in the handler this long (on Tokio's clock).
    Busy(Duration),
    Monitor(ActorRef<Clock>),
    Ping,
}

#[derive(Debug, thiserror::Error)]
#[error("on_idle failed on purpose")]
struct IdleError;

#[actor]
impl Actor for Clock {
    type Msg = Msg;
    type Reply = Option<TimerRef>;
    type Args = ClockArgs;
    type Error = IdleError;

    async fn pre_start(args: ClockArgs, ctx: &mut Context<Self>) -> Result<Self, IdleError> {
        ctx.set_idle_timeout(args.idle);
        let mut own = None;
        if let Some(delay) = args.after {
            own = Some(ctx.send_after(delay, Msg::Tick(0)));
        }
        if let Some(period) = args.every {
            own = Some(ctx.send_interval(period, Msg::Tick(0)));
        }
        if args.fail_start {
            return Err(IdleError);
        }
        Ok(Clock { args, own, ticks: 0 })
    }

    async fn handle(
        &mut self,
        msg: Msg,
        ctx: &mut Context<Self>,
    ) -> Result<Self::Reply, IdleError> {
        Ok(match msg {
            Msg::Tick(n) => {
                self.args.log.push(Ev::Tick(n));
                self.ticks += 1;
                if self.args.every.is_some() && self.ticks == 3 {
                    if let Some(own) = self.own.take() {
                        own.cancel();
                    }
                }
                None
            }
            Msg::After(delay, n) => Some(ctx.send_after(delay, Msg::Tick(n))),
            Msg::Every(period, n) => Some(ctx.send_interval(period, Msg::Tick(n))),
            Msg::AfterWeak(delay, n) => Some(ctx.send_after_weak(delay, Msg::Tick(n))),
            Msg::AfterOn(other, delay, n) => Some(other.send_after(delay, Msg::Tick(n))),
            Msg::SetIdle(timeout) => {
                ctx.set_idle_timeout(timeout);
                None
            }
            Msg::Busy(duration) => {
                tokio::time::sleep(duration).await;
                None
            }
            Msg::Monitor(other) => {
                ctx.monitor(&other);
                None
            }
            Msg::Ping => None,
        })
    }

    async fn on_idle(&mut self, ctx: &mut Context<Self>) -> Result<(), IdleError> {
        self.args.log.push(Ev::Idle);
        match self.args.idle_fault {
            Some(Fault::Panic) => panic!("on_idle panicked on purpose"),
            Some(Fault::Fail) => return Err(IdleError),
            None => {}
        }
        if self.args.idle_once {
            ctx.set_idle_timeout(None);
        }
        Ok(())
    }

    async fn post_stop(
        &mut self,
        _: &mut Context<Self>,
        reason: &ExitReason,
    ) -> Result<(), IdleError> {
        self.args.log.push(Ev::Stopped(reason.clone()));
        if let Some(delay) = self.args.slow_stop {
            tokio::time::sleep(delay).await;
        }
        Ok(())
    }
}

async fn clock(system: &ActorSystem, args: ClockArgs) -> (ActorRef<Clock>, Log) {
    let log = args.log.clone();
    (system.spawn::<Clock>(args).await.unwrap(), log)
}

async fn clock_with(
    system: &ActorSystem,
    mailbox: MailboxConfig,
    args: ClockArgs,
) -> (ActorRef<Clock>, Log) {
    let log = args.log.clone();
    let options = SpawnOptions::new().mailbox(mailbox);
    (system.spawn_with::<Clock>(options, args).await.unwrap(), log)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn ticks(log: &Log) -> Vec<u32> {
    log.items()
        .into_iter()
        .filter_map(|e| if let Ev::Tick(n) = e { Some(n) } else { None })
        .collect()
}

/// Sleeps (on the paused clock) until `at` after `start`.
async fn until(start: Instant, at: Duration) {
    tokio::time::sleep_until(start + at).await;
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

/// Lets aborted and finished tasks go, then returns how many are alive.
async fn settled_tasks() -> usize {
    // On the paused clock a sleep returns only once every other task is idle.
    tokio::time::sleep(ms(1)).await;
    alive_tasks()
}

/// Makes a busy actor with a full mailbox of capacity 1: busy for `busy`, then a `Tick(0)`.
async fn fill(actor: &ActorRef<Clock>, busy: Duration) {
    actor.tell(Msg::Busy(busy)).await.unwrap();
    while actor.mailbox_len() > 0 {
        tokio::task::yield_now().await;
    }
    assert!(actor.try_tell(Msg::Tick(0)).is_ok(), "room for the filler");
    assert_eq!(actor.mailbox_len(), 1);
}

// ---------------------------------------------------------------------------- K1

#[tokio::test(start_paused = true)]
async fn k1_send_after_fires_once_after_the_delay_and_not_before() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    let start = Instant::now();
    let from_outside = actor.send_after(ms(100), Msg::Tick(1));
    let from_inside = actor.ask(Msg::After(ms(200), 2)).await.unwrap().unwrap();

    until(start, ms(99)).await;
    assert!(ticks(&log).is_empty(), "nothing before the delay");
    assert!(from_outside.is_active() && from_inside.is_active());

    log.wait_for_count(&Ev::Tick(1), 1).await;
    let fired = start.elapsed();
    assert!(fired >= ms(100) && fired <= ms(101), "fired after {fired:?}");
    log.wait_for_count(&Ev::Tick(2), 1).await;
    let fired = start.elapsed();
    assert!(fired >= ms(200) && fired <= ms(201), "fired after {fired:?}");
    assert!(!from_outside.is_active() && !from_inside.is_active());

    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(ticks(&log), vec![1, 2], "each fired once");
    assert_eq!(system.dead_letters().count(), 0);
}

// ---------------------------------------------------------------------------- K2

#[tokio::test(start_paused = true)]
async fn k2_send_interval_ticks_every_period_until_cancelled() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    let start = Instant::now();
    let interval = actor.send_interval(ms(100), Msg::Tick(7));

    until(start, ms(99)).await;
    assert!(ticks(&log).is_empty(), "the first tick comes a period after it was set");
    until(start, ms(150)).await;
    assert_eq!(ticks(&log), vec![7]);
    until(start, ms(350)).await;
    assert_eq!(ticks(&log), vec![7, 7, 7]);

    assert!(interval.is_active(), "an interval stays active while it ticks");
    assert!(interval.cancel());
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(ticks(&log).len(), 3, "no tick after cancel");
}

#[tokio::test(start_paused = true)]
async fn k2_a_period_under_a_millisecond_is_a_millisecond() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    let start = Instant::now();
    let interval = actor.send_interval(Duration::ZERO, Msg::Tick(0));
    until(start, Duration::from_micros(10_500)).await;
    let count = ticks(&log).len();
    assert!((9..=10).contains(&count), "{count} ticks in 10.5 ms");
    assert!(interval.cancel());
}

// ---------------------------------------------------------------------------- K3

#[tokio::test(start_paused = true)]
async fn k3_cancel_before_firing_returns_true_and_nothing_is_sent() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    let once = actor.send_after(ms(100), Msg::Tick(1));
    let every = actor.send_interval(ms(100), Msg::Tick(2));
    tokio::time::sleep(ms(50)).await;
    assert!(once.cancel());
    assert!(every.cancel());
    assert!(!once.is_active() && !every.is_active());
    assert!(!once.cancel() && !every.cancel(), "a second cancel finds nothing active");
    tokio::time::sleep(Duration::from_secs(10)).await;
    actor.ask(Msg::Ping).await.unwrap();
    assert!(ticks(&log).is_empty());
    assert_eq!(system.dead_letters().count(), 0, "a cancelled timer's message is no dead letter");
}

#[tokio::test(start_paused = true)]
async fn k3_cancel_after_firing_returns_false_and_the_message_stays() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    // Busy while the timer fires, so that its message is still in the mailbox at the cancel.
    actor.tell(Msg::Busy(ms(200))).await.unwrap();
    let once = actor.send_after(ms(100), Msg::Tick(1));
    tokio::time::sleep(ms(150)).await;
    assert_eq!(actor.mailbox_len(), 1, "fired, waiting in the mailbox");
    assert!(!once.is_active());
    assert!(!once.cancel(), "too late: it fired");
    log.wait_for_count(&Ev::Tick(1), 1).await;
}

#[tokio::test(start_paused = true)]
async fn k3_dropping_a_timer_ref_does_not_cancel() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    drop(actor.send_after(ms(100), Msg::Tick(1)));
    drop(actor.send_interval(ms(100), Msg::Tick(2)));
    tokio::time::sleep(ms(350)).await;
    assert_eq!(log.count(&Ev::Tick(1)), 1);
    assert_eq!(log.count(&Ev::Tick(2)), 3);
}

/// Cancel and firing race on two threads: a `cancel` that returns `true` means the message is
/// never handled; `false` means it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k3_race_cancel_against_firing() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    let mut cancelled = Vec::new();
    let mut fired = Vec::new();
    for n in 0..500 {
        let timer = actor.send_after(Duration::ZERO, Msg::Tick(n));
        let canceller = tokio::spawn(async move { timer.cancel() });
        if canceller.await.unwrap() {
            cancelled.push(n);
        } else {
            fired.push(n);
        }
    }
    for n in &fired {
        let tick = Ev::Tick(*n);
        let handled = log.wait_for_count(&tick, 1);
        // A bound on a failure, not a synchronisation: it never expires when the test passes.
        tokio::time::timeout(Duration::from_secs(30), handled)
            .await
            .expect("a fired timer delivers");
    }
    actor.ask(Msg::Ping).await.unwrap();
    let handled = ticks(&log);
    assert!(cancelled.iter().all(|n| !handled.contains(n)), "a cancelled timer sent nothing");
    assert_eq!(handled.len(), fired.len());
    assert_eq!(system.dead_letters().count(), 0);
}

// ---------------------------------------------------------------------------- K4

#[tokio::test(start_paused = true)]
async fn k4_timers_die_with_their_actor() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    actor.ask(Msg::Ping).await.unwrap();
    let before = settled_tasks().await;
    let timers = vec![
        actor.send_after(Duration::from_secs(1), Msg::Tick(1)),
        actor.send_interval(ms(100), Msg::Tick(2)),
        actor.ask(Msg::After(Duration::from_secs(1), 3)).await.unwrap().unwrap(),
        actor.ask(Msg::Every(ms(100), 4)).await.unwrap().unwrap(),
    ];
    assert_eq!(alive_tasks(), before + 4, "one task per timer");

    tokio::time::sleep(ms(250)).await;
    actor.stop();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    for timer in &timers {
        assert!(!timer.is_active(), "inactive once wait_for_exit has returned");
        assert!(!timer.cancel());
    }
    let at_exit = log.items();
    assert_eq!(at_exit.last(), Some(&Ev::Stopped(ExitReason::Normal)));

    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(log.items(), at_exit, "nothing after the exit");
    assert_eq!(settled_tasks().await, before - 1, "no timer task left, nor the actor's");
    assert_eq!(system.dead_letters().count(), 0, "pending timers' messages are no dead letters");
}

#[tokio::test(start_paused = true)]
async fn k4_a_timer_on_an_ended_actor_is_inactive_at_once_and_its_message_a_dead_letter() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    actor.stop();
    actor.wait_for_exit().await;
    let before = settled_tasks().await;
    let once = actor.send_after(ms(10), Msg::Tick(1));
    let every = actor.send_interval(ms(10), Msg::Tick(2));
    assert!(!once.is_active() && !every.is_active());
    assert!(!once.cancel() && !every.cancel());
    assert_eq!(alive_tasks(), before, "no task for a timer that cannot fire");
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 2);
    assert!(letters
        .iter()
        .all(|l| l.reason == DeadLetterReason::ActorStopped && l.target == actor.id()));
    tokio::time::sleep(ms(100)).await;
    assert!(ticks(&log).is_empty());
}

#[tokio::test(start_paused = true)]
async fn k4_timers_set_by_a_failed_start_die_with_it() {
    let system = ActorSystem::new();
    let before = settled_tasks().await;
    let args = ClockArgs {
        after: Some(ms(10)),
        every: Some(ms(10)),
        fail_start: true,
        ..ClockArgs::default()
    };
    let log = args.log.clone();
    assert!(matches!(system.spawn::<Clock>(args).await, Err(SpawnError::StartFailed(_))));
    tokio::time::sleep(ms(100)).await;
    assert_eq!(settled_tasks().await, before, "no timer task left");
    assert!(ticks(&log).is_empty());
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn k4_a_timer_is_bound_to_its_destination_only() {
    let system = ActorSystem::new();
    let (setter, _) = clock(&system, ClockArgs::default()).await;
    let (target, log) = clock(&system, ClockArgs::default()).await;
    let timer = setter.ask(Msg::AfterOn(target.clone(), ms(100), 1)).await.unwrap().unwrap();
    setter.stop();
    setter.wait_for_exit().await;
    assert!(timer.is_active(), "the end of the actor that set it does not cancel it");
    log.wait_for_count(&Ev::Tick(1), 1).await;
}

/// Exit and timers firing race on two threads: whatever the interleaving, once
/// `wait_for_exit` returns no timer is active, nothing is handled after `post_stop`, and no
/// timer task is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k4_race_exit_against_timers_firing() {
    let system = ActorSystem::new();
    let before = alive_tasks();
    for round in 0..300u32 {
        let (actor, log) = clock(&system, ClockArgs::default()).await;
        let timers = [
            actor.send_after(Duration::ZERO, Msg::Tick(1)),
            actor.send_interval(ms(1), Msg::Tick(2)),
            actor.send_after(Duration::ZERO, Msg::After(Duration::ZERO, 3)),
        ];
        if round % 2 == 0 {
            tokio::task::yield_now().await;
        }
        let killed = round % 3 == 0;
        if killed {
            actor.kill();
        } else {
            actor.stop();
        }
        let reason = actor.wait_for_exit().await;
        for timer in &timers {
            assert!(!timer.is_active(), "round {round}");
            assert!(!timer.cancel(), "round {round}");
        }
        let at_exit = log.items();
        if killed {
            assert_eq!(reason, ExitReason::Killed, "round {round}");
        } else {
            assert_eq!(at_exit.last(), Some(&Ev::Stopped(ExitReason::Normal)), "round {round}");
        }
        tokio::task::yield_now().await;
        assert_eq!(log.items(), at_exit, "nothing handled after the exit, round {round}");
    }
    // Aborted tasks go as soon as a worker gets to them; no clock is involved.
    let mut left = alive_tasks();
    for _ in 0..100_000 {
        if left <= before {
            break;
        }
        tokio::task::yield_now().await;
        left = alive_tasks();
    }
    assert_eq!(left, before, "no timer task outlives its actor");
}

// ---------------------------------------------------------------------------- K5

#[tokio::test(start_paused = true)]
async fn k5_a_timer_waits_for_room_in_a_full_wait_mailbox() {
    let system = ActorSystem::new();
    let (actor, log) = clock_with(&system, MailboxConfig::bounded(1), ClockArgs::default()).await;
    let start = Instant::now();
    fill(&actor, ms(100)).await;
    let once = actor.send_after(ms(10), Msg::Tick(1));
    until(start, ms(50)).await;
    assert!(!once.is_active(), "it fired");
    assert!(ticks(&log).is_empty());
    log.wait_for_count(&Ev::Tick(1), 1).await;
    assert!(start.elapsed() >= ms(100));
    assert_eq!(ticks(&log), vec![0, 1]);
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn k5_a_full_reject_mailbox_makes_a_timers_message_a_dead_letter() {
    let system = ActorSystem::new();
    let mailbox = MailboxConfig::bounded(1).overflow(OverflowPolicy::Reject);
    let (actor, log) = clock_with(&system, mailbox, ClockArgs::default()).await;
    fill(&actor, ms(100)).await;
    actor.send_after(ms(10), Msg::Tick(1));
    tokio::time::sleep(ms(50)).await;
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::DroppedNewest);
    tokio::time::sleep(ms(100)).await;
    actor.ask(Msg::Ping).await.unwrap();
    assert_eq!(ticks(&log), vec![0]);
}

#[tokio::test(start_paused = true)]
async fn k5_an_interval_skips_the_ticks_missed_while_waiting_for_room() {
    let system = ActorSystem::new();
    let (actor, log) = clock_with(&system, MailboxConfig::bounded(1), ClockArgs::default()).await;
    let start = Instant::now();
    fill(&actor, ms(100)).await;
    // Due at 10, 20, ..., 100 ms while the actor is busy: not ten ticks at 100 ms.
    let every = actor.send_interval(ms(10), Msg::Tick(7));
    until(start, ms(105)).await;
    let late = log.count(&Ev::Tick(7));
    assert!((1..=2).contains(&late), "{late} ticks right after the wait");
    until(start, ms(135)).await;
    let then = log.count(&Ev::Tick(7));
    assert_eq!(then, late + 3, "back on the 10 ms schedule: 110, 120, 130");
    assert!(every.cancel());
}

#[tokio::test(start_paused = true)]
async fn k5_a_full_drop_oldest_mailbox_treats_a_timers_message_as_any() {
    let system = ActorSystem::new();
    let mailbox = MailboxConfig::bounded(1).overflow(OverflowPolicy::DropOldest);
    let (actor, log) = clock_with(&system, mailbox, ClockArgs::default()).await;
    fill(&actor, ms(100)).await;
    actor.send_after(ms(10), Msg::Tick(1));
    log.wait_for_count(&Ev::Tick(1), 1).await;
    assert_eq!(ticks(&log), vec![1], "the filler made room for it");
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::DroppedOldest);
}

#[tokio::test(start_paused = true)]
async fn k5_cancelling_an_interval_drops_the_tick_waiting_for_room() {
    let system = ActorSystem::new();
    let (actor, log) = clock_with(&system, MailboxConfig::bounded(1), ClockArgs::default()).await;
    fill(&actor, ms(100)).await;
    let every = actor.send_interval(ms(10), Msg::Tick(7));
    tokio::time::sleep(ms(50)).await;
    assert!(every.cancel(), "an interval waiting for room is still active");
    tokio::time::sleep(ms(200)).await;
    actor.ask(Msg::Ping).await.unwrap();
    assert_eq!(ticks(&log), vec![0]);
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn k5_a_message_that_fires_while_its_actor_is_ending_is_a_dead_letter() {
    let system = ActorSystem::new();
    let args = ClockArgs { slow_stop: Some(ms(100)), ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    let once = actor.send_after(ms(50), Msg::Tick(1));
    actor.stop();
    log.wait_for_count(&Ev::Stopped(ExitReason::Normal), 1).await;
    tokio::time::sleep(ms(60)).await;
    assert!(!once.is_active(), "it fired during post_stop");
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::ActorStopped);
    actor.wait_for_exit().await;
    assert!(ticks(&log).is_empty());
}

// ---------------------------------------------------------------------------- K6

#[tokio::test(start_paused = true)]
async fn k6_a_one_shot_keeps_its_actor_alive_until_it_fires() {
    let system = ActorSystem::new();
    let args = ClockArgs { after: Some(Duration::from_secs(1)), ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    let weak = actor.downgrade();
    drop(actor);
    tokio::time::sleep(ms(500)).await;
    assert!(weak.is_alive(), "the timer holds a sender");
    log.wait_for_count(&Ev::Stopped(ExitReason::Normal), 1).await;
    assert_eq!(log.items(), vec![Ev::Tick(0), Ev::Stopped(ExitReason::Normal)]);
}

#[tokio::test(start_paused = true)]
async fn k6_an_interval_keeps_its_actor_alive_until_cancelled() {
    let system = ActorSystem::new();
    let start = Instant::now();
    // Cancels its own interval at the third tick.
    let args = ClockArgs { every: Some(Duration::from_secs(1)), ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    drop(actor);
    log.wait_for_count(&Ev::Stopped(ExitReason::Normal), 1).await;
    assert_eq!(ticks(&log), vec![0, 0, 0]);
    let ended = start.elapsed();
    assert!(ended >= Duration::from_secs(3) && ended < Duration::from_secs(4), "{ended:?}");
}

// ---------------------------------------------------------------------------- K7

#[tokio::test(start_paused = true)]
async fn k7_on_idle_runs_after_the_timeout_and_not_before() {
    let system = ActorSystem::new();
    let start = Instant::now();
    let args = ClockArgs { idle: Some(ms(100)), idle_once: true, ..ClockArgs::default() };
    let (_actor, log) = clock(&system, args).await;
    until(start, ms(99)).await;
    assert!(!log.contains(&Ev::Idle));
    log.wait_for_count(&Ev::Idle, 1).await;
    let idle = start.elapsed();
    assert!(idle >= ms(100) && idle <= ms(101), "idle after {idle:?}");
}

#[tokio::test(start_paused = true)]
async fn k7_messages_arriving_keep_on_idle_away() {
    let system = ActorSystem::new();
    let args = ClockArgs { idle: Some(ms(100)), idle_once: true, ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    for n in 0..10 {
        tokio::time::sleep(ms(60)).await;
        actor.tell(Msg::Tick(n)).await.unwrap();
    }
    let last = Instant::now();
    assert!(!log.contains(&Ev::Idle), "never 100 ms without a message");
    log.wait_for_count(&Ev::Idle, 1).await;
    let idle = last.elapsed();
    assert!(idle >= ms(100) && idle <= ms(101), "idle {idle:?} after the last message");
}

#[tokio::test(start_paused = true)]
async fn k7_signals_arriving_keep_on_idle_away() {
    let system = ActorSystem::new();
    let (watched, _) = clock(&system, ClockArgs::default()).await;
    let args = ClockArgs { idle: Some(ms(100)), idle_once: true, ..ClockArgs::default() };
    let (watcher, log) = clock(&system, args).await;
    let start = Instant::now();
    watcher.ask(Msg::Monitor(watched.clone())).await.unwrap();
    until(start, ms(80)).await;
    watched.stop();
    // The down notice reaches the watcher at 80 ms: the idle count starts again from there.
    log.wait_for_count(&Ev::Idle, 1).await;
    let idle = start.elapsed();
    assert!(idle >= ms(180) && idle <= ms(181), "idle after {idle:?}");
}

#[tokio::test(start_paused = true)]
async fn k7_on_idle_rearms_while_the_timeout_is_set() {
    let system = ActorSystem::new();
    let start = Instant::now();
    let args = ClockArgs { idle: Some(ms(100)), ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    until(start, ms(350)).await;
    assert_eq!(log.count(&Ev::Idle), 3, "at 100, 200 and 300 ms");
    actor.tell(Msg::SetIdle(None)).await.unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(log.count(&Ev::Idle), 3, "cleared by the handler");
}

#[tokio::test(start_paused = true)]
async fn k7_clearing_it_in_on_idle_makes_it_fire_once() {
    let system = ActorSystem::new();
    let args = ClockArgs { idle: Some(ms(100)), idle_once: true, ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(log.count(&Ev::Idle), 1);
    // Set again from a handler: counts from the end of that handler.
    actor.tell(Msg::SetIdle(Some(ms(50)))).await.unwrap();
    let set = Instant::now();
    log.wait_for_count(&Ev::Idle, 2).await;
    let idle = set.elapsed();
    assert!(idle >= ms(50) && idle <= ms(51), "{idle:?}");
}

#[tokio::test(start_paused = true)]
async fn k7_the_idle_timeout_does_not_keep_an_actor_alive() {
    let system = ActorSystem::new();
    let start = Instant::now();
    let args = ClockArgs { idle: Some(Duration::from_secs(60)), ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    drop(actor);
    log.wait_for_count(&Ev::Stopped(ExitReason::Normal), 1).await;
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(!log.contains(&Ev::Idle));
}

// ---------------------------------------------------------------------------- K8

#[tokio::test(start_paused = true)]
async fn k8_a_panic_in_on_idle_ends_the_actor() {
    let system = ActorSystem::new();
    let args =
        ClockArgs { idle: Some(ms(100)), idle_fault: Some(Fault::Panic), ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    let reason = actor.wait_for_exit().await;
    assert_eq!(reason, ExitReason::panicked("on_idle panicked on purpose"));
    assert_eq!(log.items(), vec![Ev::Idle, Ev::Stopped(reason)], "post_stop ran");
}

#[tokio::test(start_paused = true)]
async fn k8_an_error_from_on_idle_ends_the_actor() {
    let system = ActorSystem::new();
    let args =
        ClockArgs { idle: Some(ms(100)), idle_fault: Some(Fault::Fail), ..ClockArgs::default() };
    let (actor, log) = clock(&system, args).await;
    let reason = actor.wait_for_exit().await;
    assert!(reason.error().is_some_and(|e| e.is::<IdleError>()), "{reason}");
    assert_eq!(log.items(), vec![Ev::Idle, Ev::Stopped(reason)], "post_stop ran");
}

// ------------------------------------------------ races made deterministic, and a missing timer
// (On the paused clock, by running the other side at the exact point of the window: in user
// code the runtime calls there.)

/// An interval's message whose `clone` (made by the timer's task for each tick) cancels the
/// interval, as another thread could at that moment on a multi-thread runtime.
struct CancelWhileCloning {
    timer: Arc<Mutex<Option<TimerRef>>>,
    cancelled: Arc<Mutex<Option<bool>>>,
}

impl Clone for CancelWhileCloning {
    fn clone(&self) -> Self {
        if let Some(timer) = self.timer.lock().unwrap().take() {
            *self.cancelled.lock().unwrap() = Some(timer.cancel());
        }
        Self { timer: Arc::clone(&self.timer), cancelled: Arc::clone(&self.cancelled) }
    }
}

enum TickMsg {
    Tick(CancelWhileCloning),
    Count,
}

impl Clone for TickMsg {
    fn clone(&self) -> Self {
        match self {
            Self::Tick(tick) => Self::Tick(tick.clone()),
            Self::Count => Self::Count,
        }
    }
}

/// Counts the ticks it handles.
struct Ticks(u32);

#[actor]
impl Actor for Ticks {
    type Msg = TickMsg;
    type Reply = u32;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Ticks(0))
    }

    async fn handle(&mut self, msg: TickMsg, _: &mut Context<Self>) -> Result<u32, Self::Error> {
        if let TickMsg::Tick(_) = msg {
            self.0 += 1;
        }
        Ok(self.0)
    }
}

/// K3: once `cancel` has returned `true`, an interval sends nothing, even a tick its task was
/// preparing at that moment.
#[tokio::test(start_paused = true)]
async fn k3_an_interval_sends_no_tick_once_cancel_returned_true() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Ticks>(()).await.unwrap();
    let timer = Arc::new(Mutex::new(None));
    let cancelled = Arc::new(Mutex::new(None));
    let tick = CancelWhileCloning { timer: Arc::clone(&timer), cancelled: Arc::clone(&cancelled) };
    let interval = actor.send_interval(Duration::from_millis(10), TickMsg::Tick(tick));
    *timer.lock().unwrap() = Some(interval.clone());

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(*cancelled.lock().unwrap(), Some(true), "cancelled while active");
    assert!(!interval.is_active());
    assert_eq!(actor.ask(TickMsg::Count).await.unwrap(), 0, "no tick after the cancel");
}

/// When the idle timeout passed.
#[derive(Default)]
struct Times {
    idle: Vec<Instant>,
}

enum Work {
    /// Takes a second, then uses up the task's cooperative budget (as a handler doing much
    /// channel work would), without yielding.
    Long,
    Idles,
}

struct Sleepy(Times);

#[actor]
impl Actor for Sleepy {
    type Msg = Work;
    type Reply = Vec<Instant>;
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        ctx.set_idle_timeout(Some(Duration::from_millis(100)));
        Ok(Sleepy(Times::default()))
    }

    async fn handle(
        &mut self,
        work: Work,
        _: &mut Context<Self>,
    ) -> Result<Vec<Instant>, Self::Error> {
        if let Work::Long = work {
            tokio::time::sleep(Duration::from_secs(1)).await;
            while tokio::task::coop::has_budget_remaining() {
                tokio::task::coop::consume_budget().await;
            }
        }
        Ok(self.0.idle.clone())
    }

    async fn on_idle(&mut self, _: &mut Context<Self>) -> Result<(), Self::Error> {
        self.0.idle.push(Instant::now());
        Ok(())
    }
}

/// K7: the idle count starts when the actor finishes a message, even if its first look at the
/// empty mailbox is put off by Tokio's cooperative budget: `on_idle` must not run at once on
/// an idle period that started before the message.
#[tokio::test(start_paused = true)]
async fn k7_the_idle_count_starts_when_a_message_ends_even_past_the_budget() {
    let system = ActorSystem::new();
    let actor = system.spawn::<Sleepy>(()).await.unwrap();
    let idle_before = actor.ask(Work::Long).await.unwrap();
    let replied = Instant::now();
    assert!(idle_before.is_empty());

    tokio::time::sleep(Duration::from_millis(150)).await;
    let idle = actor.ask(Work::Idles).await.unwrap();
    assert_eq!(idle.len(), 1, "one idle period after the message: {idle:?}");
    assert!(
        idle[0] >= replied + Duration::from_millis(100),
        "on_idle ran {:?} after the reply, not a full timeout",
        idle[0] - replied
    );
}

/// A message of an actor type of its own.
struct Note;

struct Holder;

#[actor]
impl Actor for Holder {
    type Msg = Note;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Holder)
    }

    async fn handle(&mut self, _: Note, _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// K1: `send_after` panics at the call in a runtime without its timer, as documented (and as
/// `send_interval` does): not later in the timer's task, which would lose the message silently,
/// neither handled nor a dead letter.
#[test]
fn k1_send_after_panics_at_the_call_on_a_runtime_without_timer() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let system = ActorSystem::new();
        let actor = system.spawn::<Holder>(()).await.unwrap();
        let armed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            actor.send_after(Duration::from_secs(1), Note)
        }));
        assert!(armed.is_err(), "send_after did not panic");
    });
}

// ---------------------------------------------------------------------------- K9

#[tokio::test(start_paused = true)]
async fn k9_a_weak_timer_does_not_keep_its_actor_alive() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    actor.ask(Msg::Ping).await.unwrap();
    let before = settled_tasks().await;
    let start = Instant::now();
    let from_outside = actor.send_after_weak(Duration::from_secs(1), Msg::Tick(1));
    let from_inside = actor.ask(Msg::AfterWeak(Duration::from_secs(1), 2)).await.unwrap().unwrap();
    assert!(from_outside.is_active() && from_inside.is_active());
    drop(actor);
    log.wait_for_count(&Ev::Stopped(ExitReason::Normal), 1).await;
    assert!(start.elapsed() < Duration::from_secs(1), "ended after {:?}", start.elapsed());
    assert!(!from_outside.is_active() && !from_inside.is_active(), "cancelled with it");
    assert!(!from_outside.cancel() && !from_inside.cancel());
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(ticks(&log).is_empty(), "nothing sent");
    assert_eq!(settled_tasks().await, before - 1, "no timer task left, nor the actor's");
    assert_eq!(system.dead_letters().count(), 0, "pending messages are no dead letters (K4)");
}

#[tokio::test(start_paused = true)]
async fn k9_a_weak_timer_fires_as_send_after_does_while_its_actor_is_held() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    let start = Instant::now();
    let from_outside = actor.send_after_weak(ms(100), Msg::Tick(1));
    let from_inside = actor.ask(Msg::AfterWeak(ms(200), 2)).await.unwrap().unwrap();
    let cancelled = actor.send_after_weak(ms(50), Msg::Tick(3));
    assert!(cancelled.cancel(), "active until cancelled (K3)");

    until(start, ms(99)).await;
    assert!(ticks(&log).is_empty(), "nothing before the delay");
    log.wait_for_count(&Ev::Tick(1), 1).await;
    let fired = start.elapsed();
    assert!(fired >= ms(100) && fired <= ms(101), "fired after {fired:?}");
    log.wait_for_count(&Ev::Tick(2), 1).await;
    let fired = start.elapsed();
    assert!(fired >= ms(200) && fired <= ms(201), "fired after {fired:?}");
    assert!(!from_outside.is_active() && !from_inside.is_active());
    assert!(!from_outside.cancel(), "fired: too late to cancel (K3)");

    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(ticks(&log), vec![1, 2], "each fired once, the cancelled one never");
    assert!(actor.is_alive());
    assert_eq!(system.dead_letters().count(), 0);
}

#[tokio::test(start_paused = true)]
async fn k9_a_weak_timer_is_cancelled_with_its_actor() {
    let system = ActorSystem::new();
    let (actor, log) = clock(&system, ClockArgs::default()).await;
    actor.ask(Msg::Ping).await.unwrap();
    let before = settled_tasks().await;
    let timer = actor.send_after_weak(Duration::from_secs(1), Msg::Tick(1));
    assert_eq!(alive_tasks(), before + 1, "one task per timer");
    actor.stop();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    assert!(!timer.is_active(), "inactive once wait_for_exit has returned");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(ticks(&log).is_empty());
    assert_eq!(settled_tasks().await, before - 1, "no timer task left, nor the actor's");
    assert_eq!(system.dead_letters().count(), 0);

    let late = actor.send_after_weak(ms(10), Msg::Tick(2));
    assert!(!late.is_active(), "set on an ended actor: inactive at once (K4)");
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason, DeadLetterReason::ActorStopped);
}

#[tokio::test(start_paused = true)]
async fn k9_a_weak_timer_falling_due_once_its_actor_has_no_handle_left_is_a_dead_letter() {
    let system = ActorSystem::new();
    let (probe, _journal) = common::probe(&system).await;
    let release = common::block(&probe).await;
    let timer = probe.send_after_weak(ms(100), common::Cmd::Echo(7));
    let actor = probe.erase();
    // No strong handle left: the actor ends once its handler returns (A4.6), and nothing can
    // send to it any more (A9). The timer falls due meanwhile: it fires while its actor is
    // ending, so its message is a dead letter (K5), not lost without a trace.
    drop(probe);
    tokio::time::sleep(ms(200)).await;
    assert!(!timer.is_active(), "it fell due");
    assert!(!timer.cancel(), "too late to cancel: it fired (K3)");
    release.send(()).unwrap();
    assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    let letters = system.dead_letters().recent();
    assert_eq!(letters.len(), 1, "the fired message went neither to the actor nor to dead letters");
    assert_eq!(letters[0].reason, DeadLetterReason::ActorStopped);
}
