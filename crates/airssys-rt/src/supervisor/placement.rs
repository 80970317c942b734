//! Placing a child in the supervision tree: starting it in its place (its tree path, for its
//! crash reports), making the supervisor its parent, linking to it, and taking it out again
//! (an ordered stop, a shutdown kill).
//!
//! This is the one file of the supervisor that reaches into the actor cell (`ErasedCell`, the
//! parent, the tree path, the shutdown kill, the sender hold): the rest of the supervisor goes
//! through the functions and the [`Child`] methods here.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures::FutureExt;
use tracing::Instrument;

use super::{Child, ChildKind, ChildSpec, Shutdown, StartResult, Supervisor};
use crate::actor::{probe_loop, Supervision};
use crate::actor::{Actor, ActorId, ActorRef, Context, ErasedCell, ExitReason};
use crate::kernel::crash;
use crate::system::SpawnError;
use crate::vocabulary::{CheckOutcome, HealthCheck};

impl Child {
    pub(super) fn id(&self) -> ActorId {
        self.cell.id()
    }

    /// A handle of type `A` on the child, if it is an `A`.
    pub(super) fn handle<A: Actor>(&self) -> Option<ActorRef<A>> {
        ActorRef::from_erased(Arc::clone(&self.cell))
    }

    /// The child as a caller of `SupervisorRef::child` receives it.
    pub(super) fn erased(&self) -> ErasedChild {
        ErasedChild(Arc::clone(&self.cell))
    }

    /// Resolves once the child has ended.
    pub(super) fn ended(&self) -> Pin<Box<dyn Future<Output = ExitReason> + Send + '_>> {
        self.cell.exit()
    }

    /// Probes the child as `check` says, handing each outcome to `report`, until the child
    /// ends or `report` says to stop. Holds the child weakly: probing keeps nothing alive.
    pub(super) fn probing(
        &self,
        check: HealthCheck,
        report: impl FnMut(CheckOutcome) -> bool + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        probe_loop(Arc::downgrade(&self.cell), check, report)
    }
}

/// A running child on its way from its supervisor to a caller of `SupervisorRef::child`,
/// which makes it a handle of the type it wants.
pub(super) struct ErasedChild(Arc<dyn ErasedCell>);

impl ErasedChild {
    /// A handle of type `A`, if the child is an `A`.
    pub(super) fn typed<A: Actor>(self) -> Option<ActorRef<A>> {
        ActorRef::from_erased(self.0)
    }
}

impl fmt::Debug for ErasedChild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ErasedChild").field(&self.0.id()).finish()
    }
}

/// The supervisor above this one, if it has one.
pub(super) fn parent(ctx: &Context<Supervisor>) -> Option<ActorId> {
    ctx.parent()
}

/// Runs a child's start function in the child's place in the tree: its crash reports, a
/// failed start's included, carry its path (`root/pool/worker-3`) and `restarts`. A panic of
/// the start function, which is user code, is a failed start, not the supervisor's.
pub(super) async fn start(
    ctx: &Context<Supervisor>,
    spec: &ChildSpec,
    restarts: u32,
) -> StartResult {
    let supervision = Supervision {
        path: Arc::from(format!("{}/{}", crash::path_of(ctx.cell()), spec.id)),
        restarts,
        kill_ordered: false,
    };
    let system = ctx.system().clone();
    let starting = match catch_unwind(AssertUnwindSafe(|| (spec.start)(system))) {
        Ok(starting) => starting,
        Err(panic) => return Err(SpawnError::StartFailed(ExitReason::from_panic(panic))),
    };
    let starting = crash::start_in_tree(supervision, AssertUnwindSafe(starting).catch_unwind());
    // A child supervisor starts its own children before its start returns: polled here,
    // every level of a tree would add its frames to this task's stack (T19).
    let started = match spec.kind {
        ChildKind::Supervisor => start_apart(ctx.id(), starting).await,
        ChildKind::Worker => starting.await,
    };
    started.unwrap_or_else(|panic| Err(SpawnError::StartFailed(ExitReason::from_panic(panic))))
}

/// Makes the supervisor the parent of a child it started, and links to it.
pub(super) fn adopt(ctx: &Context<Supervisor>, child: &Child) {
    child.cell.set_parent(ctx.id());
    ctx.link_erased(Arc::clone(&child.cell));
}

/// Kills a child for the supervisor's shutdown, without waiting for its end: an ordered stop,
/// not a crash.
pub(super) fn kill_for_shutdown(ctx: &Context<Supervisor>, child: &Child) {
    ctx.unlink_erased(&*child.cell);
    child.cell.kill_as_shutdown();
}

/// Stops one child as its shutdown says, and waits until it has ended.
pub(super) async fn terminate(ctx: &Context<Supervisor>, child: &Child, shutdown: Shutdown) {
    terminate_with(ctx, child, shutdown, ExitReason::Shutdown).await;
}

/// [`terminate`], asking the child to stop with `reason` rather than `Shutdown`.
pub(super) async fn terminate_with(
    ctx: &Context<Supervisor>,
    child: &Child,
    shutdown: Shutdown,
    reason: ExitReason,
) {
    ctx.unlink_erased(&*child.cell);
    match shutdown {
        // An ordered stop is no crash; a kill for failed health checks is one, and is reported.
        Shutdown::BrutalKill if reason == ExitReason::Shutdown => child.cell.kill_as_shutdown(),
        Shutdown::BrutalKill => child.cell.kill(),
        Shutdown::Timeout(limit) => {
            child.cell.stop(reason);
            // Waiting for an end, not a message to send: a timeout on the wait, not a timer.
            if tokio::time::timeout(limit, child.cell.exit()).await.is_ok() {
                return;
            }
            crate::actor::trace_guarded(
                || tracing::warn!(supervisor = %ctx.id(), child = %child.cell.id(), "shutdown timed out: killing"),
            );
            child.cell.kill();
        }
        Shutdown::Infinity => child.cell.stop(reason),
    }
    child.cell.exit().await;
}

/// What a start function's future comes to, its panic caught.
type Started = Result<StartResult, Box<dyn Any + Send>>;

/// Runs a child's start in a task of its own and waits for it, so that the stack of the task
/// waiting stays the same however deep the tree below the child goes. The task goes with the
/// future waiting for it: a parent killed or dropped meanwhile leaves no child starting
/// behind, as the aborted start ends the half-started child as killed, and a child whose
/// start finished but was never taken is killed when its result is dropped (T19).
async fn start_apart<F>(supervisor: ActorId, starting: F) -> Started
where
    F: Future<Output = Started> + Send + 'static,
{
    // On the supervisor's behalf, as a worker's start polled in the supervisor's own task is:
    // a call from the start function to the supervisor, which waits for it, is refused at
    // once (M16) rather than waited for without end.
    // On behalf of every actor whose poll encloses this one too (the supervisor's own
    // supervisor, awaiting its start from a task of its own): each of them waits for this start.
    let chain = crate::actor::current::chain();
    debug_assert!(crate::actor::current::is_running(supervisor), "started from its own poll");
    let starting = OnBehalf { chain, future: starting };
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

pin_project_lite::pin_project! {
    /// A child's start polled as the supervisor's own code (`actor::current`).
    struct OnBehalf<F> {
        chain: crate::actor::current::Chain,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for OnBehalf<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = crate::actor::current::enter_chain(this.chain);
        this.future.poll(cx)
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
            child.cell.kill();
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
