//! Regressions found by the review of timers, the idle timeout, the name registry and process
//! groups: each test failed before its fix. On Tokio's paused clock; races are made
//! deterministic by running the other side at the exact point of the window (in user code the
//! runtime calls there).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use airssys_rt::prelude::*;
use tokio::time::Instant;

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
async fn bug_interval_sends_a_tick_after_cancel_returned_true() {
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
async fn bug_idle_timeout_fires_at_once_after_a_message_when_the_budget_ran_out() {
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

/// `send_after` panics at the call in a runtime without its timer, as documented (and as
/// `send_interval` does): not later in the timer's task, which would lose the message silently,
/// neither handled nor a dead letter.
#[test]
fn bug_send_after_without_a_timer_loses_its_message_instead_of_panicking() {
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
