//! Regressions found reviewing statistics (X), tracing (Y) and inspection (I).

mod common;

use std::sync::Arc;

use airssys_rt::prelude::*;
use airssys_rt::supervisor::{Child, ChildSpec, Shutdown, Strategy, Supervisor, SupervisorSpec};
use common::{Idle, Probe, ProbeArgs};

/// I1: an actor a supervisor's start function hands over (spawned before the supervisor, so
/// with a lower id) is still placed under that supervisor, not listed as a root.
#[tokio::test]
async fn bug_inspect_adopted_child_with_lower_id_is_placed_under_its_supervisor() {
    let system = ActorSystem::new();
    let adopted = system.spawn::<Idle>(()).await.unwrap();
    let handed = Arc::new(adopted.clone());
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::new(
        "adopted",
        move |_system: ActorSystem| {
            let handed = Arc::clone(&handed);
            async move { Ok(Some(Child::from((*handed).clone()))) }
        },
    ));
    let root = Supervisor::start(&system, spec).await.unwrap();
    assert!(adopted.id() < root.actor().id());

    let view = system.inspect();
    let roots: Vec<ActorId> = view.roots.iter().map(|node| node.id).collect();
    assert_eq!(roots, [root.actor().id()], "the adopted actor is no root");
    let children: Vec<ActorId> = view.roots[0].children.iter().map(|node| node.id).collect();
    assert_eq!(children, [adopted.id()]);
    assert_eq!(view.roots[0].children[0].label(), "adopted");
    assert_eq!(view.actors().count(), system.actor_count());
    system.shutdown().await;
}

/// X2 with C2: a supervisor's `BrutalKill` of a child to stop it is the child's ordinary way
/// to stop, not a crash: it is neither reported nor counted in `crashes`.
#[tokio::test]
async fn bug_stats_brutal_kill_by_supervisor_is_not_counted_as_a_crash() {
    let system = ActorSystem::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(
        ChildSpec::worker::<Probe>("brutal", ProbeArgs::new()).shutdown(Shutdown::BrutalKill),
    );
    let root = Supervisor::start(&system, spec).await.unwrap();
    let child: ActorRef<Probe> = root.child("brutal").await.unwrap().unwrap();
    root.terminate_child("brutal").await.unwrap();
    assert_eq!(child.wait_for_exit().await, ExitReason::Killed);

    assert_eq!(system.crash_reports().count(), 0);
    let stats = system.statistics();
    assert_eq!(stats.crashes.killed, 0, "an ordered kill is no crash");
    assert_eq!(stats.crashes.total(), system.crash_reports().count());
    assert_eq!(stats.stopped, 1);
    system.shutdown().await;
}

/// Needs `tracing-spans`: `cargo test --workspace` runs it through `crates/feature-tests`.
#[cfg(feature = "tracing-spans")]
mod spans {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    use airssys_rt::monitoring::trace::ACTOR_SPAN;
    use airssys_rt::prelude::*;
    use parking_lot::Mutex;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing::Subscriber;
    use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;
    use tracing_subscriber::{Layer, Registry};

    /// The actor spans by actor id, and whether each has closed.
    #[derive(Clone, Default)]
    struct ActorSpans(Arc<Mutex<HashMap<u64, bool>>>);

    struct ActorIdField(Option<u64>);

    impl Visit for ActorIdField {
        fn record_u64(&mut self, field: &Field, value: u64) {
            if field.name() == "id" {
                self.0 = Some(value);
            }
        }

        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for ActorSpans {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
            if attrs.metadata().name() != ACTOR_SPAN {
                return;
            }
            let mut actor = ActorIdField(None);
            attrs.record(&mut actor);
            if let (Some(actor), Some(span)) = (actor.0, ctx.span(id)) {
                span.extensions_mut().insert(ActorIdField(Some(actor)));
                self.0.lock().insert(actor, false);
            }
        }

        fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
            let actor = ctx.span(&id).and_then(|span| span.extensions().get::<ActorIdField>()?.0);
            if let Some(actor) = actor {
                self.0.lock().insert(actor, true);
            }
        }
    }

    /// Sets an interval on the actor it is asked to.
    struct Setter;

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

    /// Y1/Y3: an interval an actor sets on another, longer-lived actor does not hold the
    /// setter's spans: the setter's `actor` span closes when the setter ends, not when the
    /// interval is cancelled (which may be never).
    #[tokio::test(start_paused = true)]
    async fn bug_trace_interval_on_another_actor_keeps_the_setters_actor_span_open() {
        let spans = ActorSpans::default();
        let _recording = tracing::subscriber::set_default(Registry::default().with(spans.clone()));
        let system = ActorSystem::new();
        let target = system.spawn::<Target>(()).await.unwrap();
        let setter = system.spawn::<Setter>(()).await.unwrap();
        setter.ask(target.clone()).await.unwrap();
        setter.stop();
        setter.wait_for_exit().await;
        let setter_id = setter.id().as_u64();
        // On paused time the runtime skips ahead only once every task is idle: the setter's
        // task has finished by then, and its span is closed unless something holds it.
        let closed = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                if spans.0.lock().get(&setter_id) == Some(&true) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        assert!(closed.is_ok(), "the setter's actor span is still open");
        system.shutdown().await;
    }
}
