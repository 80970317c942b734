//! The hook by which a supervisor places a child in its tree.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use pin_project_lite::pin_project;
use tokio::sync::oneshot;

use super::AnyActor;
use crate::actor::current::{self, Chain};
use crate::actor::{Actor, Supervision};
use crate::kernel::crash;
use crate::kernel::mailbox::Signal;
use crate::system::ActorSystem;
use crate::vocabulary::Health;
use crate::{ActorId, Context, ExitReason};

/// A child's place in a supervision tree: its path (`root/pool/worker-3`, the supervisor's
/// path, a slash, and the child's id) and how many times its specification was started
/// before. Its crash reports carry both (chapter C of the semantics).
///
/// ```
/// use airssys_rt::kernel::TreePlace;
/// let place = TreePlace::new("root/pool/worker-3", 2);
/// assert_eq!(&**place.path(), "root/pool/worker-3");
/// assert_eq!(place.restarts(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreePlace {
    path: Arc<str>,
    restarts: u32,
}

impl TreePlace {
    /// The place at `path`, for a child whose specification was started `restarts` times
    /// before.
    ///
    /// ```
    /// # use airssys_rt::kernel::TreePlace;
    /// let first = TreePlace::new(format!("{}/{}", "root", "cache"), 0);
    /// # let _ = first;
    /// ```
    pub fn new(path: impl Into<Arc<str>>, restarts: u32) -> Self {
        Self { path: path.into(), restarts }
    }

    /// The path in the tree.
    ///
    /// ```
    /// # fn path(place: &airssys_rt::kernel::TreePlace) -> &str { place.path() }
    /// ```
    pub fn path(&self) -> &Arc<str> {
        &self.path
    }

    /// How many times the child's specification was started before this child.
    ///
    /// ```
    /// # fn restarts(place: &airssys_rt::kernel::TreePlace) -> u32 { place.restarts() }
    /// ```
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
}

/// Runs a child's start so that the first actor it spawns takes `place`, before its
/// `pre_start`: a failed start is reported with the path, and a child supervisor starts its
/// own children under it. `child_of` names the child the start returned; an actor that took
/// the place without being that child gives it back, and the child returned holds it, unless
/// it has a parent already: an adopted child keeps the place its parent gave it (C6).
///
/// A start cut short (dropped) after an actor took the place kills that actor: its
/// supervisor never received it, so nothing else would stop it (T19).
///
/// ```
/// # use airssys_rt::prelude::*;
/// use airssys_rt::kernel::{start_in_tree, TreePlace};
/// # struct Worker;
/// # #[actor]
/// # impl Actor for Worker {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let place = TreePlace::new("root/worker", 0);
/// let worker = start_in_tree(place.clone(), system.spawn::<Worker>(()), |spawned| {
///     spawned.as_ref().ok().map(ActorRef::erase)
/// })
/// .await?;
/// assert_eq!(worker.erase().tree_place(), Some(place));
/// # Ok(()) }
/// ```
pub async fn start_in_tree<F, C>(place: TreePlace, starting: F, child_of: C) -> F::Output
where
    F: Future,
    C: FnOnce(&F::Output) -> Option<AnyActor>,
{
    let supervision =
        Supervision { path: place.path, restarts: place.restarts, kill_ordered: false };
    crash::start_in_tree_with(supervision, starting, |started| {
        // An adopted child is in its parent's tree, at the place its parent gave it: no other
        // start places it again, else its crash reports would carry a path made up by anyone
        // holding its handle (C6), and a quiet kill ordered by its parent would lose its mark.
        child_of(started)
            .filter(|child| child.parent().is_none())
            .map(|child| Arc::clone(child.cell()))
    })
    .await
}

/// Runs `future` outside the place a start function of a supervisor offers ([`start_in_tree`]):
/// an actor it spawns takes no place in the tree. For work a start does before it spawns
/// the child, such as an open supervisor's `init`, whose helpers are not the child.
///
/// ```
/// # use airssys_rt::prelude::*;
/// use airssys_rt::kernel::{outside_tree, start_in_tree, TreePlace};
/// # struct Worker;
/// # #[actor]
/// # impl Actor for Worker {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Worker) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let place = TreePlace::new("root/worker", 0);
/// let starting = async {
///     let helper = outside_tree(system.spawn::<Worker>(())).await?;
///     assert_eq!(helper.erase().tree_place(), None);
///     system.spawn::<Worker>(()).await
/// };
/// let worker = start_in_tree(place.clone(), starting, |spawned| {
///     spawned.as_ref().ok().map(ActorRef::erase)
/// })
/// .await?;
/// assert_eq!(worker.erase().tree_place(), Some(place));
/// # Ok(()) }
/// ```
pub async fn outside_tree<F: Future>(future: F) -> F::Output {
    crash::outside_tree_with(future).await
}

impl AnyActor {
    /// The supervisor that started the actor, if it is supervised.
    ///
    /// ```
    /// # fn parent(actor: &airssys_rt::kernel::AnyActor) -> Option<airssys_rt::ActorId> { actor.parent() }
    /// ```
    pub fn parent(&self) -> Option<ActorId> {
        self.cell().parent()
    }

    /// Its place in its supervision tree, if a supervisor started it ([`start_in_tree`]).
    ///
    /// ```
    /// # fn place(actor: &airssys_rt::kernel::AnyActor) -> Option<airssys_rt::kernel::TreePlace> { actor.tree_place() }
    /// ```
    pub fn tree_place(&self) -> Option<TreePlace> {
        self.cell()
            .supervision()
            .map(|supervision| TreePlace::new(supervision.path, supervision.restarts))
    }
}

impl<A: Actor> Context<A> {
    /// This actor's path in its supervision tree: its [`TreePlace`]'s path if a supervisor
    /// started it, else its registered name, else its id. A supervisor's children are placed
    /// under it (`{tree_path}/{child id}`).
    ///
    /// ```
    /// # use airssys_rt::kernel::TreePlace;
    /// # fn place_child<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>, restarts: u32) -> TreePlace {
    /// TreePlace::new(format!("{}/{}", ctx.tree_path(), "worker"), restarts)
    /// # }
    /// ```
    pub fn tree_path(&self) -> Arc<str> {
        crash::path_of(self.cell())
    }

    /// Makes `child` this actor's supervised child: records this actor as its parent (a system
    /// shutdown then leaves stopping it to this actor, and it is kept alive by this actor rather
    /// than by handles) and links the two (L1). `false`, and nothing done, if `child` is this
    /// actor, this actor's own parent, or already has another parent (of two actors adopting
    /// it at once, one wins): a child is taken from nobody's tree (L12).
    ///
    /// ```
    /// # fn take<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>, child: &airssys_rt::kernel::AnyActor) {
    /// if ctx.adopt(child) {
    ///     assert_eq!(child.parent(), Some(ctx.id()));
    /// }
    /// # }
    /// ```
    pub fn adopt(&self, child: &AnyActor) -> bool {
        let me = self.id();
        // A parent adopted by its own child would keep both alive for ever, each held by the
        // other (A4.6 never applies to an actor with a parent).
        if child.id() == me || self.parent() == Some(child.id()) || !child.cell().claim_parent(me) {
            return false;
        }
        self.link_erased(Arc::clone(child.cell()));
        true
    }

    /// Removes the link with `other`, as [`unlink`](Self::unlink) does, for an actor of any
    /// type. A child of this actor, or this actor's parent, stays linked: that link is what ends
    /// or orphans the child when its parent ends, so it is only taken away with the child's stop
    /// ([`stop_child`](Self::stop_child), [`kill_child`](Self::kill_child)) (L12).
    ///
    /// ```
    /// # fn part<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>, other: &airssys_rt::kernel::AnyActor) {
    /// ctx.unlink_any(other);
    /// # }
    /// ```
    pub fn unlink_any(&self, other: &AnyActor) {
        if other.parent() != Some(self.id()) && self.parent() != Some(other.id()) {
            self.unlink_erased(&**other.cell());
        }
    }

    /// Stops `child`, a child of this actor, with `reason`, as a supervisor does: unlinks it
    /// first, so that its end is not taken for a crash, then asks it to stop (after the message
    /// it is handling). `false`, and nothing done, if it is not this actor's child (L12).
    ///
    /// ```
    /// # fn stop<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>, child: &airssys_rt::kernel::AnyActor) {
    /// ctx.stop_child(child, airssys_rt::ExitReason::Shutdown);
    /// # }
    /// ```
    pub fn stop_child(&self, child: &AnyActor, reason: ExitReason) -> bool {
        if child.parent() != Some(self.id()) {
            return false;
        }
        self.unlink_erased(&**child.cell());
        child.stop_with(reason);
        true
    }

    /// Kills `child`, a child of this actor, unlinked first. `as_shutdown` makes the kill its
    /// supervisor's way of stopping it (`Shutdown::BrutalKill`): it ends `Killed`, but as an
    /// ordered end, which leaves no crash report (chapter C); otherwise the kill is a crash and
    /// is reported. `false`, and nothing done, if it is not this actor's child: nobody else can
    /// end a supervised child without a report (L12).
    ///
    /// ```
    /// # fn shut<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>, child: &airssys_rt::kernel::AnyActor) {
    /// ctx.kill_child(child, true);
    /// # }
    /// ```
    pub fn kill_child(&self, child: &AnyActor, as_shutdown: bool) -> bool {
        if child.parent() != Some(self.id()) {
            return false;
        }
        self.unlink_erased(&**child.cell());
        if as_shutdown {
            child.cell().kill_as_shutdown();
        } else {
            child.kill();
        }
        true
    }
}

pin_project! {
    /// A future polled on behalf of the actors that were waiting for the code that made it;
    /// made by [`on_behalf`].
    ///
    /// ```
    /// # async fn start() {}
    /// let start: airssys_rt::kernel::OnBehalf<_> = airssys_rt::kernel::on_behalf(start());
    /// # drop(start);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct OnBehalf<F> {
        chain: Chain,
        #[pin]
        future: F,
    }
}

/// Wraps `future` so that, wherever it is polled (a task of its own included), it runs as the
/// code of the actor running here and of every actor waiting for it: a call from it to any of
/// them, which would wait for itself, is refused at once (M16) rather than waited for without
/// end. A supervisor hands a child supervisor's start to a task of its own this way, so that
/// deep trees do not pile up on one stack (T19).
///
/// ```
/// # use airssys_rt::prelude::*;
/// use airssys_rt::kernel::on_behalf;
/// # async fn start_apart<A: Actor>(system: ActorSystem, args: A::Args) where A::Args: Send {
/// let starting = on_behalf(async move { system.spawn::<A>(args).await });
/// let started = tokio::spawn(starting).await;
/// # drop(started); }
/// ```
pub fn on_behalf<F: Future>(future: F) -> OnBehalf<F> {
    OnBehalf { chain: current::chain(), future }
}

impl<F: Future> Future for OnBehalf<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = current::enter_chain(this.chain);
        this.future.poll(cx)
    }
}

impl<F> fmt::Debug for OnBehalf<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnBehalf").finish_non_exhaustive()
    }
}

impl AnyActor {
    /// Sends the actor a health probe, as its supervisor does when its specification asks for
    /// checks (chapter H): the probe waits behind the messages queued before it (H3), and the
    /// actor answers it with its [`health_check`](crate::Actor::health_check) hook, between two
    /// handlers. `None` if the actor has ended or is ending. The answer holds nothing of the
    /// actor: a prober that waits for it keeps no ended actor's memory.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # struct Idle;
    /// # #[actor]
    /// # impl Actor for Idle {
    /// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
    /// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
    /// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
    /// # }
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let idle = system.spawn::<Idle>(()).await?;
    /// let probe = idle.erase().probe_health().expect("it runs");
    /// assert_eq!(probe.await, Some(Health::Healthy)); // the default check
    /// # Ok(()) }
    /// ```
    pub fn probe_health(&self) -> Option<HealthProbe> {
        let (reply, answer) = oneshot::channel();
        self.cell().signal(Signal::Probe(reply)).then_some(HealthProbe(answer))
    }
}

/// The answer to a health probe ([`AnyActor::probe_health`]): the actor's [`Health`], or
/// `None` if it ended with the probe still in its mailbox.
///
/// ```
/// # async fn check(actor: &airssys_rt::kernel::AnyActor) {
/// use airssys_rt::kernel::HealthProbe;
/// if let Some(probe) = actor.probe_health() {
///     let probe: HealthProbe = probe;
///     println!("{:?}", probe.await);
/// }
/// # }
/// ```
#[must_use = "a probe's answer is only read by awaiting it"]
pub struct HealthProbe(oneshot::Receiver<Health>);

impl Future for HealthProbe {
    type Output = Option<Health>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(Result::ok)
    }
}

impl fmt::Debug for HealthProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthProbe").finish_non_exhaustive()
    }
}

impl ActorSystem {
    /// Counts a restart that a supervisor decided, in
    /// [`statistics().restarts`](crate::telemetry::stats::SystemStatistics::restarts): one per
    /// child end it restarts and one per retry of a failed restart, counted before the child
    /// starts (X3). The supervisors of this crate count theirs; a supervisor written on the
    /// [`kernel`](crate::kernel) interface counts its own the same way.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// system.count_restart();
    /// assert_eq!(system.statistics().restarts, 1);
    /// # }
    /// ```
    pub fn count_restart(&self) {
        self.counters().count_restart();
    }

    /// Counts a supervisor that gave up because restarts came too fast, in
    /// [`statistics().escalations`](crate::telemetry::stats::SystemStatistics::escalations),
    /// before it ends (X3).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// system.count_escalation();
    /// assert_eq!(system.statistics().escalations, 1);
    /// # }
    /// ```
    pub fn count_escalation(&self) {
        self.counters().count_escalation();
    }
}
