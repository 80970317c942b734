//! Placing a child in the supervision tree: starting it in its place (its tree path, for its
//! crash reports), making the supervisor its parent, linking to it, and taking it out again
//! (an ordered stop, a shutdown kill).
//!
//! It goes through the [`kernel`](crate::kernel) interface alone: the child is an
//! [`AnyActor`] kept alive by the supervisor ([`KeepAlive`]), started in its [`TreePlace`],
//! adopted with [`Context::adopt`].

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures::FutureExt;
use tracing::Instrument;

use super::{ChildKind, ChildSpec, Shutdown, Supervisor, SupervisorError, SupervisorState};
use crate::actor::{Actor, ActorId, ActorRef, Context, ExitReason};
use crate::kernel::{on_behalf, start_in_tree, trace_guarded, AnyActor, KeepAlive, TreePlace};
use crate::system::SpawnError;

/// A started child, as a start function returns it.
///
/// Made from any `ActorRef`: `Child::from(actor_ref)`. The supervisor holds it as a strong
/// handle, so a child lives until the supervisor stops it (or it ends on its own).
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::supervisor::Child;
/// # fn wrap<A: Actor>(actor: ActorRef<A>) -> Child {
/// Child::from(actor)
/// # }
/// ```
pub struct Child {
    kept: KeepAlive,
}

impl<A: Actor> From<ActorRef<A>> for Child {
    fn from(actor: ActorRef<A>) -> Self {
        // The supervisor's own hold replaces the handle's, taken before the handle goes.
        Child { kept: actor.into_keep_alive() }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child").field("id", &self.actor().id()).finish()
    }
}

/// What a start function returns: the started child, `None` for "ignore" (the specification
/// stays, without a running child, as OTP's `ignore`), or why it could not start.
pub type StartResult = Result<Option<Child>, SpawnError>;

impl Child {
    /// The child, whatever its type.
    pub(super) fn actor(&self) -> &AnyActor {
        self.kept.actor()
    }

    pub(super) fn id(&self) -> ActorId {
        self.actor().id()
    }

    /// Resolves once the child has ended.
    pub(super) async fn ended(&self) -> ExitReason {
        self.actor().wait_for_exit().await
    }
}

/// The supervisor above this one, if it has one.
pub(super) fn parent<S: SupervisorState>(ctx: &Context<Supervisor<S>>) -> Option<ActorId> {
    ctx.parent()
}

/// Runs a child's start function in the child's place in the tree: its crash reports, a
/// failed start's included, carry its path (`root/pool/worker-3`) and `restarts`. A panic of
/// the start function, which is user code, is a failed start, not the supervisor's.
pub(super) async fn start<S: SupervisorState>(
    ctx: &Context<Supervisor<S>>,
    spec: &ChildSpec,
    restarts: u32,
) -> StartResult {
    let place = TreePlace::new(format!("{}/{}", ctx.tree_path(), spec.id), restarts);
    let system = ctx.system().clone();
    let Some(start) = &spec.start else {
        // A temporary child that has run once: nothing restarts it (T5, T16), and its start
        // function was let go.
        let spent = SupervisorError::InvalidSpec("a temporary child is not started again");
        return Err(SpawnError::StartFailed(ExitReason::failed(spent)));
    };
    let starting = match catch_unwind(AssertUnwindSafe(|| start(system))) {
        Ok(starting) => starting,
        Err(panic) => return Err(SpawnError::StartFailed(ExitReason::from_panic(panic))),
    };
    let starting =
        start_in_tree(place, AssertUnwindSafe(starting).catch_unwind(), |started| match started {
            Ok(Ok(Some(child))) => Some(child.actor().clone()),
            _ => None,
        });
    // A child supervisor starts its own children before its start returns: polled here,
    // every level of a tree would add its frames to this task's stack (T19).
    let started = match spec.kind {
        ChildKind::Supervisor => start_apart(starting).await,
        ChildKind::Worker => starting.await,
    };
    started.unwrap_or_else(|panic| Err(SpawnError::StartFailed(ExitReason::from_panic(panic))))
}

/// Makes the supervisor the parent of a child it started, and links to it.
pub(super) fn adopt<S: SupervisorState>(ctx: &Context<Supervisor<S>>, child: &Child) {
    // Refused only for an actor another supervisor holds already (a start function returning
    // someone else's child): that one stays in its own tree, and this slot merely watches it.
    let _ = ctx.adopt(child.actor());
}

/// Kills a child for the supervisor's shutdown, without waiting for its end: an ordered stop,
/// not a crash.
pub(super) fn kill_for_shutdown<S: SupervisorState>(ctx: &Context<Supervisor<S>>, child: &Child) {
    if !ctx.kill_child(child.actor(), true) {
        child.actor().kill();
    }
}

/// Stops one child as its shutdown says, and waits until it has ended; how it ended.
pub(super) async fn terminate<S: SupervisorState>(
    ctx: &Context<Supervisor<S>>,
    child: &Child,
    shutdown: Shutdown,
) -> ExitReason {
    terminate_with(ctx, child, shutdown, ExitReason::Shutdown).await
}

/// [`terminate`], asking the child to stop with `reason` rather than `Shutdown`.
pub(super) async fn terminate_with<S: SupervisorState>(
    ctx: &Context<Supervisor<S>>,
    child: &Child,
    shutdown: Shutdown,
    reason: ExitReason,
) -> ExitReason {
    let actor = child.actor();
    match shutdown {
        // An ordered stop is no crash; a kill for failed health checks is one, and is reported.
        // A child it could not adopt (another's) is still stopped, as an unordered kill.
        Shutdown::BrutalKill => {
            if !ctx.kill_child(actor, reason == ExitReason::Shutdown) {
                actor.kill();
            }
        }
        Shutdown::Timeout(limit) => {
            if !ctx.stop_child(actor, reason.clone()) {
                actor.stop_with(reason);
            }
            // Waiting for an end, not a message to send: a timeout on the wait, not a timer.
            if let Ok(ended) = tokio::time::timeout(limit, actor.wait_for_exit()).await {
                return ended;
            }
            trace_guarded(
                || tracing::warn!(supervisor = %ctx.id(), child = %actor.id(), "shutdown timed out: killing"),
            );
            actor.kill();
        }
        Shutdown::Infinity => {
            if !ctx.stop_child(actor, reason.clone()) {
                actor.stop_with(reason);
            }
        }
    }
    actor.wait_for_exit().await
}

/// What a start function's future comes to, its panic caught.
type Started = Result<StartResult, Box<dyn Any + Send>>;

/// Runs a child's start in a task of its own and waits for it, so that the stack of the task
/// waiting stays the same however deep the tree below the child goes. The task goes with the
/// future waiting for it: a parent killed or dropped meanwhile leaves no child starting
/// behind, as the aborted start ends the half-started child as killed, and a child whose
/// start finished but was never taken is killed when its result is dropped (T19).
async fn start_apart<F>(starting: F) -> Started
where
    F: Future<Output = Started> + Send + 'static,
{
    // On the supervisor's behalf, as a worker's start polled in the supervisor's own task is:
    // a call from the start function to the supervisor, which waits for it, is refused at
    // once (M16) rather than waited for without end.
    // On behalf of every actor whose poll encloses this one too (the supervisor's own
    // supervisor, awaiting its start from a task of its own): each of them waits for this start.
    let starting = on_behalf(starting);
    let starting = async move { Unclaimed(Some(starting.await)) };
    // The child's span follows from the parent's, as when its start is polled in place.
    let task = AbortOnDrop(tokio::spawn(starting.in_current_span()));
    match task.await {
        Ok(started) => started.claim(),
        Err(failed) if failed.is_panic() => Err(failed.into_panic()),
        // Only the runtime cancels it (it is shutting down): the child is gone with it.
        Err(_) => Ok(Err(SpawnError::StartFailed(ExitReason::Killed))),
    }
}

/// What a child's start task came to, until its supervisor takes it: dropped untaken (the
/// supervisor was killed or dropped after the start finished, before it polled the task
/// again), the child it started is killed, as a start aborted halfway leaves its child.
struct Unclaimed(Option<Started>);

impl Unclaimed {
    fn claim(mut self) -> Started {
        self.0.take().unwrap_or(Ok(Err(SpawnError::StartFailed(ExitReason::Killed))))
    }
}

impl Drop for Unclaimed {
    fn drop(&mut self) {
        if let Some(Ok(Ok(Some(child)))) = self.0.take() {
            child.actor().kill();
        }
    }
}

/// A task that is aborted when whoever waits for it drops it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
