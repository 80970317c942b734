//! The erased actor handle, its end-of-life hook and its keep-alive.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::actor::{Actor, ActorCell, ActorRef, ErasedCell};
use crate::signal::EndToken;
use crate::{ActorId, ActorState, ExitReason};

/// A handle to an actor of any type: what a service keeps of the actors it serves.
///
/// Made from any [`ActorRef`] with [`ActorRef::erase`] or `AnyActor::from`. Cloning is cheap;
/// handles compare and hash by the actor's id. Unlike an `ActorRef`, an `AnyActor` does **not**
/// keep its actor alive (A4.6 still applies): take a [`KeepAlive`] for that. It sends no
/// message; [`downcast`](Self::downcast) gives the typed handle back.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::kernel::AnyActor;
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
/// let any = AnyActor::from(&idle);
/// assert_eq!(any.id(), idle.id());
/// assert_eq!(any, idle.erase());
/// assert!(any.actor_type().ends_with("Idle"));
/// assert_eq!(any.downcast::<Idle>(), Some(idle));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AnyActor {
    cell: Arc<dyn ErasedCell>,
}

impl AnyActor {
    pub(crate) fn from_cell(cell: Arc<dyn ErasedCell>) -> Self {
        Self { cell }
    }

    pub(crate) fn cell(&self) -> &Arc<dyn ErasedCell> {
        &self.cell
    }

    /// The actor's id.
    ///
    /// ```
    /// # fn id(actor: &airssys_rt::kernel::AnyActor) -> airssys_rt::ActorId { actor.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.id()
    }

    /// The name the actor is registered under, if it has one; `None` once it has ended.
    ///
    /// ```
    /// # fn name(actor: &airssys_rt::kernel::AnyActor) -> Option<std::sync::Arc<str>> { actor.name() }
    /// ```
    pub fn name(&self) -> Option<Arc<str>> {
        self.cell.name()
    }

    /// The Rust type of the actor (`std::any::type_name`).
    ///
    /// ```
    /// # fn kind(actor: &airssys_rt::kernel::AnyActor) -> &'static str { actor.actor_type() }
    /// ```
    pub fn actor_type(&self) -> &'static str {
        self.cell.actor_type()
    }

    /// Where the actor is in its lifecycle.
    ///
    /// ```
    /// # fn state(actor: &airssys_rt::kernel::AnyActor) -> airssys_rt::ActorState { actor.state() }
    /// ```
    pub fn state(&self) -> ActorState {
        self.cell.state()
    }

    /// Whether the actor has not begun to end (it is starting or running). One that asked to
    /// stop (`Context::stop`, A4.2) is alive until its hook or handler returns, but already
    /// refuses messages (`Closed`).
    ///
    /// ```
    /// # fn alive(actor: &airssys_rt::kernel::AnyActor) -> bool { actor.is_alive() }
    /// ```
    pub fn is_alive(&self) -> bool {
        self.cell.state().is_alive()
    }

    /// How many messages wait in the mailbox.
    ///
    /// ```
    /// # fn depth(actor: &airssys_rt::kernel::AnyActor) -> usize { actor.mailbox_len() }
    /// ```
    pub fn mailbox_len(&self) -> usize {
        self.cell.mailbox_len()
    }

    /// Stops the actor gracefully with [`ExitReason::Normal`], as [`ActorRef::stop`] does.
    ///
    /// ```
    /// # fn stop(actor: &airssys_rt::kernel::AnyActor) { actor.stop() }
    /// ```
    pub fn stop(&self) {
        self.cell.stop(ExitReason::Normal);
    }

    /// Stops the actor gracefully with `reason`, as [`ActorRef::stop_with`] does.
    ///
    /// ```
    /// # fn stop(actor: &airssys_rt::kernel::AnyActor) {
    /// actor.stop_with(airssys_rt::ExitReason::Shutdown);
    /// # }
    /// ```
    pub fn stop_with(&self, reason: ExitReason) {
        self.cell.stop(reason);
    }

    /// Kills the actor with [`ExitReason::Killed`], as [`ActorRef::kill`] does.
    ///
    /// ```
    /// # fn kill(actor: &airssys_rt::kernel::AnyActor) { actor.kill() }
    /// ```
    pub fn kill(&self) {
        self.cell.kill();
    }

    /// Waits until the actor has ended, and returns why.
    ///
    /// ```
    /// # async fn wait(actor: airssys_rt::kernel::AnyActor) {
    /// actor.stop();
    /// println!("ended: {}", actor.wait_for_exit().await);
    /// # }
    /// ```
    pub async fn wait_for_exit(&self) -> ExitReason {
        self.cell.exit().await
    }

    /// A typed handle, if the actor is of type `A` and still has a strong handle somewhere (or
    /// a [`KeepAlive`]); `None` otherwise.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn typed<A: Actor>(actor: &airssys_rt::kernel::AnyActor) -> Option<ActorRef<A>> {
    /// actor.downcast::<A>()
    /// # }
    /// ```
    pub fn downcast<A: Actor>(&self) -> Option<ActorRef<A>> {
        ActorRef::from_erased(Arc::clone(&self.cell))
    }

    /// A handle that does not hold the actor's memory.
    ///
    /// ```
    /// # fn weak(actor: &airssys_rt::kernel::AnyActor) -> airssys_rt::kernel::WeakAnyActor { actor.downgrade() }
    /// ```
    pub fn downgrade(&self) -> WeakAnyActor {
        WeakAnyActor { id: self.cell.id(), cell: Arc::downgrade(&self.cell) }
    }

    /// Keeps the actor from ending for lack of strong handles (A4.6) until the guard is
    /// dropped, as a registered name (N7), a group membership (G5), a subscription or an active
    /// timer (K6) does. It does not keep an actor from being stopped or killed.
    ///
    /// `None` if no strong handle (or other keep-alive) is left, as for
    /// [`downcast`](Self::downcast): the actor is then ending for lack of them, or has ended,
    /// and an `AnyActor`, which holds none, must not bring it back (A9). A service that holds
    /// an [`ActorRef`] while it takes the guard always gets one.
    ///
    /// Drop the guard outside any lock a hook of this actor takes: the actor may end then.
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
    /// let actor = idle.erase();
    /// let kept = actor.keep_alive().expect("`idle` is a strong handle");
    /// drop(idle); // the last handle: without `kept`, the actor would end now
    /// assert!(kept.actor().is_alive());
    /// drop(kept); // it ends now, and no keep-alive can bring it back
    /// assert!(actor.keep_alive().is_none());
    /// # Ok(()) }
    /// ```
    #[must_use = "the actor may end for lack of handles as soon as the guard is dropped"]
    pub fn keep_alive(&self) -> Option<KeepAlive> {
        // Only while a sender is left: the last one gone, the actor's task may not have seen
        // it yet, and a sender added then would revive an actor that A4.6 has ended.
        self.cell.try_hold_sender().then(|| KeepAlive { actor: self.clone() })
    }

    /// Runs `hook` once when the actor ends, before its end is announced (before
    /// [`wait_for_exit`](Self::wait_for_exit) returns, before its links and monitors are told:
    /// L11). Returns the [`EndHook`] that withdraws it; fails, handing the hook back, if the
    /// actor has ended or is ending.
    ///
    /// The hook runs on the ending actor's task, holding none of its locks: it may take the
    /// service's own locks, and must not wait. A panic in it is caught and logged: the actor
    /// still ends, and its other hooks, links and monitors are still run and told (A11).
    ///
    /// ```
    /// # use airssys_rt::kernel::EndHookError;
    /// # fn watch(actor: &airssys_rt::kernel::AnyActor) {
    /// let id = actor.id();
    /// match actor.on_end(move || println!("{id} ended")) {
    ///     Ok(hook) => { /* keep `hook` to withdraw it with `cancel_end_hook` */ }
    ///     Err(EndHookError::Ended { hook, .. }) => hook.run(), // it has ended already
    ///     Err(_) => {}
    /// }
    /// # }
    /// ```
    pub fn on_end<F>(&self, hook: F) -> Result<EndHook, EndHookError>
    where
        F: FnOnce() + Send + 'static,
    {
        let token = EndToken::next();
        match self.cell.on_end(token, Box::new(hook)) {
            Ok(()) => Ok(EndHook(token)),
            Err(hook) => {
                Err(EndHookError::Ended { actor: self.cell.id(), hook: RefusedHook::new(hook) })
            }
        }
    }

    /// Withdraws an end-of-life hook; `false` if it has run, is running, or was withdrawn.
    ///
    /// ```
    /// # fn forget(actor: &airssys_rt::kernel::AnyActor) -> Result<(), airssys_rt::kernel::EndHookError> {
    /// let hook = actor.on_end(|| {})?;
    /// assert!(actor.cancel_end_hook(hook));
    /// assert!(!actor.cancel_end_hook(hook));
    /// # Ok(()) }
    /// ```
    pub fn cancel_end_hook(&self, hook: EndHook) -> bool {
        self.cell.cancel_on_end(hook.0)
    }

    /// How many end-of-life hooks wait for the actor's end.
    #[cfg(test)]
    pub(crate) fn end_hooks_len(&self) -> usize {
        self.cell.end_work_len()
    }
}

impl<A: Actor> ActorRef<A> {
    /// This handle as an [`AnyActor`], the erased handle of the [`kernel`](crate::kernel)
    /// interface.
    ///
    /// ```
    /// # fn erase<A: airssys_rt::Actor>(actor: &airssys_rt::ActorRef<A>) -> airssys_rt::kernel::AnyActor {
    /// actor.erase()
    /// # }
    /// ```
    pub fn erase(&self) -> AnyActor {
        let cell: Arc<ActorCell<A>> = Arc::clone(self.cell());
        AnyActor { cell }
    }

    /// Turns this handle into a [`KeepAlive`]: the actor stays alive as long as the guard, as
    /// it did as long as the handle. Unlike [`AnyActor::keep_alive`] it cannot be refused, since
    /// the handle it replaces is itself a sender (A9). A supervisor holds its children so.
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
    /// let kept = system.spawn::<Idle>(()).await?.into_keep_alive();
    /// assert!(kept.actor().is_alive()); // no handle is left, and it lives on
    /// let actor = kept.actor().clone();
    /// drop(kept);
    /// assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
    /// # Ok(()) }
    /// ```
    pub fn into_keep_alive(self) -> KeepAlive {
        let actor = self.erase();
        // The hold is taken while this handle still counts as a sender, so the count never
        // reaches zero in between.
        actor.cell.hold_sender();
        drop(self);
        KeepAlive { actor }
    }
}

impl<A: Actor> From<ActorRef<A>> for AnyActor {
    fn from(actor: ActorRef<A>) -> Self {
        actor.erase()
    }
}

impl<A: Actor> From<&ActorRef<A>> for AnyActor {
    fn from(actor: &ActorRef<A>) -> Self {
        actor.erase()
    }
}

impl PartialEq for AnyActor {
    fn eq(&self, other: &Self) -> bool {
        self.cell.id() == other.cell.id()
    }
}

impl Eq for AnyActor {}

impl Hash for AnyActor {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.cell.id().hash(state);
    }
}

impl fmt::Debug for AnyActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("AnyActor");
        debug.field("id", &self.cell.id()).field("type", &self.cell.actor_type());
        if let Some(name) = self.cell.name() {
            debug.field("name", &name);
        }
        debug.field("state", &self.cell.state()).finish()
    }
}

/// An [`AnyActor`] that does not hold the actor's memory: a service's reference to an actor
/// that may be long gone (a timer's to its destination).
///
/// ```
/// # fn later(weak: &airssys_rt::kernel::WeakAnyActor) {
/// if let Some(actor) = weak.upgrade() {
///     println!("{} is still there", actor.id());
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct WeakAnyActor {
    id: ActorId,
    cell: Weak<dyn ErasedCell>,
}

impl WeakAnyActor {
    /// The actor's id.
    ///
    /// ```
    /// # fn id(weak: &airssys_rt::kernel::WeakAnyActor) -> airssys_rt::ActorId { weak.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.id
    }

    /// The erased handle, while the actor's memory is still held somewhere (by a handle, or
    /// by a running actor); it may have ended.
    ///
    /// ```
    /// # fn up(weak: &airssys_rt::kernel::WeakAnyActor) -> Option<airssys_rt::kernel::AnyActor> { weak.upgrade() }
    /// ```
    pub fn upgrade(&self) -> Option<AnyActor> {
        self.cell.upgrade().map(AnyActor::from_cell)
    }
}

impl PartialEq for WeakAnyActor {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for WeakAnyActor {}

impl Hash for WeakAnyActor {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl fmt::Debug for WeakAnyActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakAnyActor").field("id", &self.id).finish()
    }
}

/// Keeps an actor from ending for lack of strong handles while it is held; made by
/// [`AnyActor::keep_alive`].
///
/// ```
/// # fn hold(actor: &airssys_rt::kernel::AnyActor) -> Option<airssys_rt::kernel::KeepAlive> {
/// let kept = actor.keep_alive()?;
/// assert_eq!(kept.actor(), actor);
/// # Some(kept)
/// # }
/// ```
pub struct KeepAlive {
    actor: AnyActor,
}

impl KeepAlive {
    /// The actor it keeps alive.
    ///
    /// ```
    /// # fn id(kept: &airssys_rt::kernel::KeepAlive) -> airssys_rt::ActorId { kept.actor().id() }
    /// ```
    pub fn actor(&self) -> &AnyActor {
        &self.actor
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        self.actor.cell.release_sender();
    }
}

impl fmt::Debug for KeepAlive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeepAlive").field("actor", &self.actor.id()).finish()
    }
}

/// Names one end-of-life hook of one actor, to withdraw it with
/// [`AnyActor::cancel_end_hook`] once what it undoes is undone earlier (a `leave`, an
/// `unsubscribe`, a timer that fired).
///
/// ```
/// # fn keep(actor: &airssys_rt::kernel::AnyActor) -> Result<airssys_rt::kernel::EndHook, airssys_rt::kernel::EndHookError> {
/// let hook = actor.on_end(|| {})?;
/// # Ok(hook) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EndHook(EndToken);

impl EndHook {
    /// The token the actor's cell knows the hook by.
    pub(crate) fn token(self) -> EndToken {
        self.0
    }
}

/// Work to run once, when an actor ends: an end-of-life hook, boxed.
pub type EndWork = Box<dyn FnOnce() + Send>;

/// Why an end-of-life hook was refused.
///
/// ```
/// use airssys_rt::kernel::EndHookError;
/// # fn show(error: EndHookError) -> String {
/// let message = error.to_string();
/// let hook = error.into_hook();
/// hook(); // run it now: the actor has ended already
/// message
/// # }
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum EndHookError {
    /// The actor has ended or is ending: the hook would never run. It is handed back.
    #[error("actor {actor} has ended or is ending")]
    Ended {
        /// The actor.
        actor: ActorId,
        /// The hook that was refused.
        hook: RefusedHook,
    },
}

/// A refused end-of-life hook, handed back in [`EndHookError`]: run it, or take it back.
///
/// It is `Sync` whatever the hook (only `Send`) is, so that an [`EndHookError`] converts into a
/// `Box<dyn Error + Send + Sync>` (`actor.on_end(..)?`): the hook is reached only by value, and
/// the lock that makes it so is never contended.
///
/// ```
/// # fn retry(error: airssys_rt::kernel::EndHookError) {
/// let airssys_rt::kernel::EndHookError::Ended { hook, .. } = error else { return };
/// hook.run(); // the actor has ended already: do now what it would have done
/// # }
/// ```
pub struct RefusedHook(Mutex<EndWork>);

impl RefusedHook {
    fn new(hook: EndWork) -> Self {
        Self(Mutex::new(hook))
    }

    /// The hook, to run or keep.
    ///
    /// ```
    /// # fn take(hook: airssys_rt::kernel::RefusedHook) -> airssys_rt::kernel::EndWork {
    /// hook.into_inner()
    /// # }
    /// ```
    pub fn into_inner(self) -> EndWork {
        // Never locked, so never poisoned; a poison would not make the hook unusable anyway.
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs the hook.
    ///
    /// ```
    /// # fn run(hook: airssys_rt::kernel::RefusedHook) {
    /// hook.run();
    /// # }
    /// ```
    pub fn run(self) {
        (self.into_inner())();
    }
}

impl fmt::Debug for RefusedHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefusedHook").finish_non_exhaustive()
    }
}

impl EndHookError {
    /// The hook that was refused.
    ///
    /// ```
    /// # fn run(error: airssys_rt::kernel::EndHookError) { (error.into_hook())() }
    /// ```
    pub fn into_hook(self) -> EndWork {
        match self {
            Self::Ended { hook, .. } => hook.into_inner(),
        }
    }
}

impl fmt::Debug for EndHookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ended { actor, .. } => f.debug_struct("Ended").field("actor", actor).finish(),
        }
    }
}
