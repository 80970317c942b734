//! Chapter Y of docs/semantics.md: the spans of the feature `tracing-spans`.
//!
//! Needs the feature: `cargo test --workspace` runs this file through `crates/feature-tests`,
//! `cargo test -p airssys-rt --features tracing-spans --test tracing` runs it here.
//!
//! Every test installs, for its own thread, a subscriber that records the spans (with a serial
//! number of their own: the registry reuses ids), their parents, their links, their closing and
//! the events, and waits on that record rather than on the clock.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use airssys_rt::monitoring::trace::{ACTOR_SPAN, HANDLE_SPAN};
use airssys_rt::prelude::*;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Instrument, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

// ---------------------------------------------------------------- the recording subscriber

#[derive(Clone, Debug)]
struct SpanRecord {
    serial: usize,
    name: &'static str,
    fields: BTreeMap<String, String>,
    parent: Option<usize>,
    follows: Vec<usize>,
    closed: bool,
}

impl SpanRecord {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Clone, Debug)]
struct EventRecord {
    message: String,
    span: Option<usize>,
}

#[derive(Default)]
struct Log {
    spans: Vec<SpanRecord>,
    events: Vec<EventRecord>,
}

impl Log {
    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a SpanRecord> + 'a {
        self.spans.iter().filter(move |span| span.name == name)
    }

    fn actor_span(&self, id: ActorId) -> Option<&SpanRecord> {
        let id = id.as_u64().to_string();
        self.named(ACTOR_SPAN).find(|span| span.field("id") == Some(id.as_str()))
    }

    /// The `handle` spans of messages of type `M` (by the end of its type name).
    fn handled<'a>(&'a self, message: &'a str) -> Vec<&'a SpanRecord> {
        self.named(HANDLE_SPAN)
            .filter(|span| span.field("message").is_some_and(|m| m.ends_with(message)))
            .collect()
    }

    fn hooks(&self, actor: usize) -> Vec<&str> {
        self.named(HANDLE_SPAN)
            .filter(|span| span.parent == Some(actor))
            .filter_map(|span| span.field("hook"))
            .collect()
    }

    fn all_closed(&self) -> bool {
        self.spans.iter().all(|span| span.closed)
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<(Mutex<Log>, Notify)>);

/// A span's serial number, kept in the registry's extensions.
struct Serial(usize);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl Capture {
    fn change(&self, change: impl FnOnce(&mut Log)) {
        change(&mut self.0 .0.lock());
        self.0 .1.notify_waiters();
    }

    fn log<R>(&self, look: impl FnOnce(&Log) -> R) -> R {
        look(&self.0 .0.lock())
    }

    /// Waits until `done` holds of the record, and returns what it found.
    async fn wait<R>(&self, mut done: impl FnMut(&Log) -> Option<R>) -> R {
        loop {
            let notified = self.0 .1.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = self.log(&mut done) {
                return found;
            }
            notified.await;
        }
    }

    /// Records for this thread (the tests run on a current-thread runtime) until the guard goes.
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        tracing::subscriber::set_default(Registry::default().with(self.clone()))
    }
}

fn serial<S: Subscriber + for<'a> LookupSpan<'a>>(
    ctx: &LayerContext<'_, S>,
    id: &Id,
) -> Option<usize> {
    ctx.span(id)?.extensions().get::<Serial>().map(|serial| serial.0)
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let Some(span) = ctx.span(id) else { return };
        let parent =
            span.parent().and_then(|parent| parent.extensions().get::<Serial>().map(|s| s.0));
        let mut serial = 0;
        self.change(|log| {
            serial = log.spans.len();
            log.spans.push(SpanRecord {
                serial,
                name: attrs.metadata().name(),
                fields,
                parent,
                follows: Vec::new(),
                closed: false,
            });
        });
        span.extensions_mut().insert(Serial(serial));
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: LayerContext<'_, S>) {
        if let (Some(span), Some(follows)) = (serial(&ctx, span), serial(&ctx, follows)) {
            self.change(|log| log.spans[span].follows.push(follows));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span =
            ctx.event_span(event).and_then(|span| span.extensions().get::<Serial>().map(|s| s.0));
        let message = fields.remove("message").unwrap_or_default();
        self.change(|log| log.events.push(EventRecord { message, span }));
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        if let Some(serial) = serial(&ctx, &id) {
            self.change(|log| log.spans[serial].closed = true);
        }
    }
}

// ---------------------------------------------------------------- actors

/// Answers, panics or fails on demand.
struct Worker;

enum WorkerMsg {
    Echo(u64),
    Panic,
    Fail,
}

#[derive(Debug)]
struct Asked;

impl fmt::Display for Asked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("asked to fail")
    }
}

impl std::error::Error for Asked {}

#[actor]
impl Actor for Worker {
    type Msg = WorkerMsg;
    type Reply = u64;
    type Args = ();
    type Error = Asked;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Worker)
    }

    async fn handle(&mut self, msg: WorkerMsg, _: &mut Context<Self>) -> Result<u64, Self::Error> {
        match msg {
            WorkerMsg::Echo(n) => {
                tracing::info!(n, "echo");
                Ok(n)
            }
            WorkerMsg::Panic => panic!("asked to panic"),
            WorkerMsg::Fail => Err(Asked),
        }
    }
}

/// Stops itself after a second without work.
struct Sleepy;

#[actor]
impl Actor for Sleepy {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
        ctx.set_idle_timeout(Some(Duration::from_secs(1)));
        Ok(Sleepy)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn on_idle(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        ctx.stop();
        Ok(())
    }
}

/// Counts down by sending itself the next number.
struct Countdown;

#[actor]
impl Actor for Countdown {
    type Msg = u64;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Countdown)
    }

    async fn handle(&mut self, n: u64, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        if n == 0 {
            tracing::info!("lift-off");
        } else {
            let _ = ctx.actor_ref().tell(n - 1).await;
        }
        Ok(())
    }
}

/// Refuses to start.
struct Unstartable;

#[actor]
impl Actor for Unstartable {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = Asked;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Err(Asked)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The end of the chain: records that it was reached.
struct Back;

struct BackMsg;

#[actor]
impl Actor for Back {
    type Msg = BackMsg;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Back)
    }

    async fn handle(&mut self, _: BackMsg, _: &mut Context<Self>) -> Result<(), Self::Error> {
        tracing::info!("reached the back");
        Ok(())
    }
}

/// Tells `Back` and answers.
struct Middle(ActorRef<Back>);

struct MiddleMsg;

#[actor]
impl Actor for Middle {
    type Msg = MiddleMsg;
    type Reply = ();
    type Args = ActorRef<Back>;
    type Error = std::convert::Infallible;

    async fn pre_start(back: ActorRef<Back>, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Middle(back))
    }

    async fn handle(&mut self, _: MiddleMsg, _: &mut Context<Self>) -> Result<(), Self::Error> {
        let _ = self.0.tell(BackMsg).await;
        Ok(())
    }
}

/// Asks `Middle` and answers.
struct Front(ActorRef<Middle>);

struct FrontMsg;

#[actor]
impl Actor for Front {
    type Msg = FrontMsg;
    type Reply = ();
    type Args = ActorRef<Middle>;
    type Error = std::convert::Infallible;

    async fn pre_start(
        middle: ActorRef<Middle>,
        _: &mut Context<Self>,
    ) -> Result<Self, Self::Error> {
        Ok(Front(middle))
    }

    async fn handle(&mut self, _: FrontMsg, _: &mut Context<Self>) -> Result<(), Self::Error> {
        let _ = self.0.ask(MiddleMsg).await;
        Ok(())
    }
}

/// Sets a timer to itself in `post_start`, inside a span of its own.
struct Ticker;

#[derive(Clone)]
struct Tick;

#[actor]
impl Actor for Ticker {
    type Msg = Tick;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Ticker)
    }

    async fn post_start(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        let _setting = tracing::info_span!("setting the timer").entered();
        ctx.send_after(Duration::from_secs(1), Tick);
        Ok(())
    }

    async fn handle(&mut self, _: Tick, _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Subscribes to a broker's topic.
struct Listener;

#[actor(messages(Publication<String>))]
impl Actor for Listener {}

impl Handler<Publication<String>> for Listener {
    type Reply = ();
    async fn handle(&mut self, _: Publication<String>, _: &mut Context<Self>) {}
}

fn ancestors(log: &Log, mut span: usize) -> Vec<usize> {
    let mut chain = Vec::new();
    while let Some(parent) = log.spans[span].parent {
        chain.push(parent);
        span = parent;
    }
    chain
}

// ---------------------------------------------------------------- Y1

#[tokio::test]
async fn y1_each_actor_runs_in_one_root_actor_span_with_its_fields() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();

    let spawning = tracing::info_span!("spawning");
    let worker = system
        .spawn_with::<Worker>(SpawnOptions::new().name("the-worker"), ())
        .instrument(spawning.clone())
        .await
        .unwrap();
    let other = system.spawn::<Worker>(()).await.unwrap();
    assert_eq!(worker.ask(WorkerMsg::Echo(1)).await.unwrap(), 1);

    capture.log(|log| {
        assert_eq!(log.named(ACTOR_SPAN).count(), 2, "one span per actor");
        let span = log.actor_span(worker.id()).unwrap();
        assert_eq!(span.field("name"), Some("the-worker"));
        assert!(span.field("actor_type").unwrap().ends_with("Worker"));
        assert_eq!(span.parent, None, "a root span");
        let spawning = log.named("spawning").next().unwrap().serial;
        assert_eq!(span.follows, vec![spawning], "it follows from where it was spawned");
        let other = log.actor_span(other.id()).unwrap();
        assert_eq!(other.field("name"), None);
        assert_eq!(other.follows, Vec::<usize>::new());
        // Everything the handler emits is inside the actor's span.
        let echo = log.events.iter().find(|event| event.message == "echo").unwrap();
        assert!(ancestors(log, echo.span.unwrap()).contains(&span.serial));
    });

    worker.stop();
    worker.wait_for_exit().await;
    let id = worker.id();
    capture.wait(|log| log.actor_span(id).is_some_and(|span| span.closed).then_some(())).await;
    assert!(capture.log(|log| !log.actor_span(other.id()).unwrap().closed));
    system.shutdown().await;
}

// ---------------------------------------------------------------- Y2

#[tokio::test]
async fn y2_each_message_and_hook_runs_in_a_handle_span_under_the_actor() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let worker = system.spawn::<Worker>(()).await.unwrap();
    for n in 0..3 {
        worker.tell(WorkerMsg::Echo(n)).await.unwrap();
    }
    assert_eq!(worker.ask(WorkerMsg::Echo(3)).await.unwrap(), 3);
    worker.stop();
    worker.wait_for_exit().await;

    let id = worker.id();
    capture.wait(|log| log.actor_span(id).is_some_and(|span| span.closed).then_some(())).await;
    capture.log(|log| {
        let actor = log.actor_span(id).unwrap().serial;
        let handled = log.handled("WorkerMsg");
        assert_eq!(handled.len(), 4, "one span per message");
        for span in &handled {
            assert_eq!(span.parent, Some(actor));
            assert!(span.follows.is_empty(), "sent from no span: no link");
            assert!(span.closed);
        }
        assert_eq!(log.hooks(actor), vec!["pre_start", "post_start", "post_stop"]);
        // Each echo's event is in its own message's span.
        let echoes: Vec<_> = log.events.iter().filter(|e| e.message == "echo").collect();
        assert_eq!(echoes.len(), 4);
        for (event, span) in echoes.iter().zip(&handled) {
            assert_eq!(event.span, Some(span.serial));
        }
    });
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn y2_a_signal_hook_runs_in_a_handle_span_too() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let sleepy = system.spawn::<Sleepy>(()).await.unwrap();
    assert_eq!(sleepy.wait_for_exit().await, ExitReason::Normal);
    let id = sleepy.id();
    capture.wait(|log| log.actor_span(id).is_some_and(|span| span.closed).then_some(())).await;
    capture.log(|log| {
        let actor = log.actor_span(id).unwrap().serial;
        assert_eq!(log.hooks(actor), vec!["pre_start", "post_start", "on_idle", "post_stop"]);
    });
    system.shutdown().await;
}

// ---------------------------------------------------------------- Y3

#[tokio::test]
async fn y3_a_request_is_followed_across_actors() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let back = system.spawn::<Back>(()).await.unwrap();
    let middle = system.spawn::<Middle>(back.clone()).await.unwrap();
    let front = system.spawn::<Front>(middle.clone()).await.unwrap();

    // The caller asks Front, which asks Middle, which tells Back.
    async { front.ask(FrontMsg).await.unwrap() }.instrument(tracing::info_span!("request")).await;
    let reached = capture
        .wait(|log| log.events.iter().find(|e| e.message == "reached the back").cloned())
        .await;

    capture.log(|log| {
        let request = log.named("request").next().unwrap().serial;
        let front_handle = log.handled("FrontMsg")[0];
        let middle_handle = log.handled("MiddleMsg")[0];
        let back_handle = log.handled("BackMsg")[0];
        // Back's handling links back to the request, by way of every actor it went through.
        assert_eq!(back_handle.follows, vec![middle_handle.serial]);
        assert_eq!(middle_handle.follows, vec![front_handle.serial]);
        assert_eq!(front_handle.follows, vec![request]);
        // Each runs under its own actor's span, and so does what it emits.
        assert_eq!(back_handle.parent, Some(log.actor_span(back.id()).unwrap().serial));
        assert_eq!(middle_handle.parent, Some(log.actor_span(middle.id()).unwrap().serial));
        assert_eq!(front_handle.parent, Some(log.actor_span(front.id()).unwrap().serial));
        assert_eq!(reached.span, Some(back_handle.serial));
    });
    system.shutdown().await;
    capture.wait(|log| log.all_closed().then_some(())).await;
}

#[tokio::test]
async fn y3_a_chain_of_messages_keeps_no_span_open() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let countdown = system.spawn::<Countdown>(()).await.unwrap();
    async { countdown.tell(100).await.unwrap() }.instrument(tracing::info_span!("launch")).await;
    capture.wait(|log| log.events.iter().any(|e| e.message == "lift-off").then_some(())).await;
    // Each step was linked to the one before, and let it close.
    let open = capture.log(|log| {
        let steps = log.handled("u64");
        assert_eq!(steps.len(), 101);
        for pair in steps.windows(2) {
            assert_eq!(pair[1].follows, vec![pair[0].serial]);
        }
        steps.iter().filter(|step| !step.closed).count()
    });
    assert!(open <= 1, "{open} steps still open");
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn y3_a_timer_sends_from_where_it_was_set() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let ticker = system.spawn::<Ticker>(()).await.unwrap();

    let handled = capture.wait(|log| log.handled("Tick").first().map(|span| span.serial)).await;
    capture.log(|log| {
        let setting = log.named("setting the timer").next().unwrap().serial;
        assert_eq!(log.spans[handled].follows, vec![setting]);
        // The span it was set in sits in the actor's `post_start`.
        let actor = log.actor_span(ticker.id()).unwrap().serial;
        let chain = ancestors(log, setting);
        assert_eq!(chain.len(), 2);
        assert_eq!(log.spans[chain[0]].field("hook"), Some("post_start"));
        assert_eq!(chain[1], actor);
    });
    system.shutdown().await;
}

/// Sets an interval on itself from inside a span of its own.
struct Beater;

#[actor]
impl Actor for Beater {
    type Msg = Tick;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Beater)
    }

    async fn post_start(&mut self, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
        let _setting = tracing::info_span!("setting the interval").entered();
        drop(ctx.send_interval(Duration::from_secs(1), Tick));
        Ok(())
    }

    async fn handle(&mut self, _: Tick, _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn y3_an_interval_links_through_a_timer_span_to_where_it_was_set() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let _beater = system.spawn::<Beater>(()).await.unwrap();

    capture.wait(|log| (log.handled("Tick").len() >= 2).then_some(())).await;
    capture.log(|log| {
        let setting = log.named("setting the interval").next().unwrap().serial;
        let timer = log.named("timer").next().unwrap();
        assert_eq!(timer.parent, None, "a root span");
        assert_eq!(timer.follows, vec![setting]);
        for tick in log.handled("Tick") {
            assert_eq!(tick.follows, vec![timer.serial]);
        }
        // Held by the interval, the timer span holds nothing of the setter's open.
        assert!(log.spans[setting].closed);
    });
    system.shutdown().await;
}

#[tokio::test]
async fn y3_a_publication_links_to_the_publishers_span() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let broker = system.broker::<String>();
    let listener = system.spawn::<Listener>(Listener).await.unwrap();
    broker.subscribe("news", &listener).unwrap();

    async { broker.publish("news", "hello".to_string()).await }
        .instrument(tracing::info_span!("publishing"))
        .await
        .unwrap();
    let handled = capture
        .wait(|log| {
            log.handled("Publication<alloc::string::String>").first().map(|span| span.serial)
        })
        .await;
    capture.log(|log| {
        let publishing = log.named("publishing").next().unwrap().serial;
        assert_eq!(log.spans[handled].follows, vec![publishing]);
    });
    system.shutdown().await;
}

// ---------------------------------------------------------------- Y4

#[tokio::test]
async fn y4_spans_close_whether_the_handler_returns_fails_or_panics() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();

    let panicking = system.spawn::<Worker>(()).await.unwrap();
    assert!(panicking.ask(WorkerMsg::Panic).await.is_err());
    assert!(matches!(panicking.wait_for_exit().await, ExitReason::Panicked(_)));

    let failing = system.spawn::<Worker>(()).await.unwrap();
    failing.tell(WorkerMsg::Fail).await.unwrap();
    failing.wait_for_exit().await;

    let killed = system.spawn::<Worker>(()).await.unwrap();
    killed.ask(WorkerMsg::Echo(1)).await.unwrap();
    killed.kill();
    killed.wait_for_exit().await;

    let ids = [panicking.id(), failing.id(), killed.id()];
    capture
        .wait(|log| {
            ids.iter().all(|id| log.actor_span(*id).is_some_and(|span| span.closed)).then_some(())
        })
        .await;
    capture.log(|log| {
        assert!(
            log.all_closed(),
            "{:#?}",
            log.spans.iter().filter(|s| !s.closed).collect::<Vec<_>>()
        );
        // The panicking handler had its span, and it is closed.
        let panicked = log.handled("WorkerMsg");
        assert_eq!(panicked.len(), 3);
    });
    system.shutdown().await;
}

#[tokio::test]
async fn y4_every_span_is_closed_once_the_actors_have_ended() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let back = system.spawn::<Back>(()).await.unwrap();
    let middle = system.spawn::<Middle>(back).await.unwrap();
    let front = system.spawn::<Front>(middle).await.unwrap();
    for _ in 0..5 {
        async { front.ask(FrontMsg).await.unwrap() }
            .instrument(tracing::info_span!("request"))
            .await;
    }
    drop(front);
    system.shutdown().await;
    capture.wait(|log| log.all_closed().then_some(())).await;
    assert_eq!(capture.log(|log| log.named(ACTOR_SPAN).count()), 3);
}

// ---------------------------------------------------------------- Y5

#[tokio::test]
async fn y5_the_runtimes_events_about_an_actor_are_inside_its_span() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();

    let stopped = system.spawn::<Worker>(()).await.unwrap();
    stopped.stop();
    stopped.wait_for_exit().await;
    let crashed = system.spawn::<Worker>(()).await.unwrap();
    crashed.tell(WorkerMsg::Fail).await.unwrap();
    crashed.wait_for_exit().await;
    let killed = system.spawn::<Worker>(()).await.unwrap();
    killed.kill();
    killed.wait_for_exit().await;
    assert!(system.spawn::<Unstartable>(()).await.is_err());

    let ids = [stopped.id(), crashed.id(), killed.id()];
    capture
        .wait(|log| {
            ids.iter().all(|id| log.actor_span(*id).is_some_and(|span| span.closed)).then_some(())
        })
        .await;
    capture.log(|log| {
        for (id, message) in ids.iter().zip(["actor stopped", "crash report", "crash report"]) {
            let actor = log.actor_span(*id).unwrap().serial;
            let inside = |e: &&EventRecord| e.message == message && e.span == Some(actor);
            assert_eq!(log.events.iter().filter(inside).count(), 1, "{message}");
        }
        let unstartable = log
            .named(ACTOR_SPAN)
            .find(|span| span.field("actor_type").is_some_and(|t| t.ends_with("Unstartable")))
            .unwrap();
        assert!(unstartable.closed);
        assert_eq!(log.hooks(unstartable.serial), vec!["pre_start"]);
        let failed_start = log
            .events
            .iter()
            .filter(|e| e.span == Some(unstartable.serial) && e.message == "actor failed to start")
            .count();
        assert_eq!(failed_start, 1, "its end is told inside its span");
    });
    system.shutdown().await;
}

/// A layer that panics when the span of one hook closes.
struct PanicsOnClose(&'static str);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for PanicsOnClose {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        if fields.get("hook").map(String::as_str) == Some(self.0) {
            if let Some(span) = ctx.span(id) {
                span.extensions_mut().insert(Serial(0));
            }
        }
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        if serial(&ctx, &id).is_some() {
            panic!("the subscriber panicked on purpose as a span closed");
        }
    }
}

/// A11: the subscriber is user code; its panic as the `handle` span of `post_stop` closes
/// (after the hook returned) must not unwind out of the actor's task, which would end it as
/// killed, its state dropped in the unwinding, rather than with the reason it had.
#[tokio::test]
async fn a11_a_subscriber_panicking_as_the_post_stop_span_closes_does_not_change_the_end() {
    let _recording =
        tracing::subscriber::set_default(Registry::default().with(PanicsOnClose("post_stop")));
    let system = ActorSystem::new();
    let worker = system.spawn::<Worker>(()).await.unwrap();
    assert_eq!(worker.ask(WorkerMsg::Echo(1)).await.unwrap(), 1);
    worker.stop();
    assert_eq!(worker.wait_for_exit().await, ExitReason::Normal);
    assert_eq!(system.statistics().crashes.total(), 0, "no crash");
    system.shutdown().await;
}

// ---------------------------------------------------------------- Y1, an interval on another actor

/// Sets an interval on the actor it is asked to.
struct Setter;

#[actor]
impl Actor for Setter {
    type Msg = ActorRef<Target>;
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Setter)
    }

    async fn handle(
        &mut self,
        target: ActorRef<Target>,
        _: &mut Context<Self>,
    ) -> Result<(), Self::Error> {
        drop(target.send_interval(Duration::from_secs(3600), ()));
        Ok(())
    }
}

struct Target;

#[actor]
impl Actor for Target {
    type Msg = ();
    type Reply = ();
    type Args = ();
    type Error = std::convert::Infallible;

    async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Target)
    }

    async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Y1/Y3: an interval an actor sets on another, longer-lived actor does not hold the setter's
/// spans: the setter's `actor` span closes when the setter ends, not when the interval is
/// cancelled (which may be never).
#[tokio::test(start_paused = true)]
async fn y1_an_interval_set_on_another_actor_does_not_keep_the_setters_span_open() {
    let capture = Capture::default();
    let _recording = capture.install();
    let system = ActorSystem::new();
    let target = system.spawn::<Target>(()).await.unwrap();
    let setter = system.spawn::<Setter>(()).await.unwrap();
    setter.ask(target.clone()).await.unwrap();
    setter.stop();
    setter.wait_for_exit().await;
    let id = setter.id();
    // On paused time the clock skips ahead only once every task is idle: the setter's task has
    // finished by then, and its span is closed unless something holds it.
    let closed = tokio::time::timeout(
        Duration::from_secs(60),
        capture.wait(|log| log.actor_span(id).is_some_and(|span| span.closed).then_some(())),
    )
    .await;
    assert!(closed.is_ok(), "the setter's actor span is still open");
    system.shutdown().await;
}
