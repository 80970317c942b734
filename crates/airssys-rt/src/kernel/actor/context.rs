use std::fmt;
use std::sync::Arc;

use super::{Actor, ActorCell, ActorId, ActorRef, BoxError, ErasedCell, ExitReason, WeakActorRef};
use crate::kernel::mailbox::Signal;
use crate::kernel::signal::{DownNotice, ExitSignal, MonitorRef};
use crate::kernel::system::ActorSystem;

/// What an actor knows about itself while it runs: passed to every hook and to the handler.
///
/// ```
/// use airssys_rt::prelude::*;
///
/// struct OneShot;
/// struct WhoAreYou;
///
/// #[actor(messages(WhoAreYou))]
/// impl Actor for OneShot {}
///
/// impl Handler<WhoAreYou> for OneShot {
///     type Reply = ActorId;
///     async fn handle(&mut self, _: WhoAreYou, ctx: &mut Context<Self>) -> ActorId {
///         ctx.stop(); // after this message
///         ctx.id()
///     }
/// }
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let actor = system.spawn::<OneShot>(OneShot).await.unwrap();
/// assert_eq!(actor.ask(WhoAreYou).await.unwrap(), actor.id());
/// assert_eq!(actor.wait_for_exit().await, ExitReason::Normal);
/// # }
/// ```
pub struct Context<A: Actor> {
    cell: Arc<ActorCell<A>>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(cell: Arc<ActorCell<A>>) -> Self {
        Self { cell }
    }

    /// This actor's id.
    ///
    /// ```
    /// # fn id<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> airssys_rt::ActorId { ctx.id() }
    /// ```
    pub fn id(&self) -> ActorId {
        self.cell.id
    }

    /// This actor's registered name, if it has one.
    ///
    /// ```
    /// # fn name<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> Option<std::sync::Arc<str>> { ctx.name() }
    /// ```
    pub fn name(&self) -> Option<Arc<str>> {
        self.cell.mailbox.name()
    }

    /// A strong handle to this actor, to hand to others. Holding it in the actor's own state
    /// keeps the actor alive until it is stopped.
    ///
    /// ```
    /// # fn me<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> airssys_rt::ActorRef<A> { ctx.actor_ref() }
    /// ```
    pub fn actor_ref(&self) -> ActorRef<A> {
        self.cell.mailbox.add_sender();
        ActorRef::from_counted(Arc::clone(&self.cell))
    }

    /// A weak handle to this actor.
    ///
    /// ```
    /// # fn me<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> airssys_rt::WeakActorRef<A> { ctx.weak_ref() }
    /// ```
    pub fn weak_ref(&self) -> WeakActorRef<A> {
        self.actor_ref().downgrade()
    }

    /// The system this actor runs in.
    ///
    /// ```
    /// # fn count<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> usize { ctx.system().actor_count() }
    /// ```
    pub fn system(&self) -> &ActorSystem {
        &self.cell.system
    }

    /// Links this actor with `other`, both ways: when either ends, the other gets an exit
    /// signal (see [`signal`](crate::signal)). Linking twice is linking once; linking to itself
    /// does nothing. If `other` has already ended, the exit signal, with
    /// [`ExitReason::NoSuchActor`], arrives at once.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn pair<A: Actor, B: Actor>(ctx: &mut Context<A>, partner: &ActorRef<B>) {
    /// ctx.link(partner);
    /// # }
    /// ```
    pub fn link<B: Actor>(&self, other: &ActorRef<B>) {
        self.link_erased(other.cell().clone());
    }

    pub(crate) fn link_erased(&self, them: Arc<dyn ErasedCell>) {
        let me: Arc<dyn ErasedCell> = self.cell.clone();
        if them.id() == me.id() {
            return;
        }
        let id = them.id();
        // Our side first: once the other side holds the link, its end may be delivered at any
        // moment, and delivery needs the link on our side.
        self.cell.mailbox.add_link(Arc::clone(&them));
        if !them.add_link(me) {
            drop(self.cell.mailbox.remove_link(id));
            self.cell.mailbox.signal(Signal::Exit(Box::new(ExitSignal {
                from: id,
                reason: ExitReason::NoSuchActor,
            })));
        }
    }

    /// Removes the link with `other`, if there is one. From then on the link has no effect on
    /// this actor: an exit signal from `other` still waiting in its signal lane is dropped.
    /// A child of this actor ([`adopt`](Self::adopt)), or this actor's parent, stays linked:
    /// that link goes only with the child's stop (L12).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn part<A: Actor, B: Actor>(ctx: &mut Context<A>, partner: &ActorRef<B>) {
    /// ctx.unlink(partner);
    /// # }
    /// ```
    pub fn unlink<B: Actor>(&self, other: &ActorRef<B>) {
        // Unlinked, a child would never hear of its parent's end: never orphaned nor stopped,
        // and kept alive by its parent, it would live for ever.
        if other.cell().parent() != Some(self.cell.id) && self.cell.parent() != Some(other.id()) {
            self.unlink_erased(&**other.cell());
        }
    }

    pub(crate) fn unlink_erased(&self, them: &dyn ErasedCell) {
        drop(self.cell.mailbox.remove_link(them.id()));
        them.remove_link(self.cell.id);
        self.cell.mailbox.remove_exit_from(them.id());
    }

    /// Whether exit signals from linked actors arrive in [`Actor::on_exit`] (trapping) or end
    /// this actor (the default). A kill is never trapped.
    ///
    /// ```
    /// # fn guard<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>) {
    /// ctx.trap_exit(true);
    /// assert!(ctx.is_trapping_exits());
    /// # }
    /// ```
    pub fn trap_exit(&mut self, trap: bool) {
        self.cell.set_trap_exits(trap);
    }

    /// Whether this actor traps exits.
    ///
    /// ```
    /// # fn check<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> bool { ctx.is_trapping_exits() }
    /// ```
    pub fn is_trapping_exits(&self) -> bool {
        self.cell.traps_exits()
    }

    /// Monitors `other`: when it ends, this actor gets one [`DownNotice`] in
    /// [`Actor::on_down`], at once if it has already ended (with
    /// [`ExitReason::NoSuchActor`]). Each call sets a new, independent monitor.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn watch<A: Actor, B: Actor>(ctx: &mut Context<A>, worker: &ActorRef<B>) {
    /// let monitor = ctx.monitor(worker);
    /// # }
    /// ```
    pub fn monitor<B: Actor>(&self, other: &ActorRef<B>) -> MonitorRef {
        let monitor = MonitorRef::next();
        let target: Arc<dyn ErasedCell> = other.cell().clone();
        // Our side first: once the target holds the monitor, its end may be delivered at any
        // moment, and delivery needs the monitor on our side.
        self.cell.mailbox.add_watching(monitor, Arc::clone(&target));
        if !target.add_watcher(monitor, self.cell.clone()) {
            drop(self.cell.mailbox.remove_watching(monitor));
            self.cell.mailbox.signal(Signal::Down(Box::new(DownNotice {
                monitor,
                actor: other.id(),
                reason: ExitReason::NoSuchActor,
            })));
        }
        monitor
    }

    /// Cancels a monitor: no notice of it arrives that was not already queued.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn unwatch<A: Actor>(ctx: &mut Context<A>, monitor: airssys_rt::signal::MonitorRef) {
    /// ctx.demonitor(monitor);
    /// # }
    /// ```
    pub fn demonitor(&self, monitor: MonitorRef) {
        if let Some(target) = self.cell.mailbox.remove_watching(monitor) {
            target.remove_watcher(monitor);
        }
    }

    /// Cancels a monitor and drops its notice if one is already queued (OTP's
    /// `demonitor(Ref, [flush])`); returns whether one was dropped.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn unwatch<A: Actor>(ctx: &mut Context<A>, monitor: airssys_rt::signal::MonitorRef) {
    /// let dropped_a_notice = ctx.demonitor_flush(monitor);
    /// # }
    /// ```
    pub fn demonitor_flush(&self, monitor: MonitorRef) -> bool {
        self.demonitor(monitor);
        self.cell.mailbox.remove_down(monitor)
    }

    /// Stops this actor with [`ExitReason::Normal`] once the current hook or handler returns.
    ///
    /// ```
    /// # fn done<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>) { ctx.stop() }
    /// ```
    pub fn stop(&mut self) {
        self.stop_with(ExitReason::Normal);
    }

    /// Stops this actor with the given reason once the current hook or handler returns.
    ///
    /// The stop goes ahead of every waiting signal and message: no exit signal, down notice or
    /// message is handled after it.
    ///
    /// ```
    /// # fn done<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>) { ctx.stop_with(airssys_rt::ExitReason::Shutdown) }
    /// ```
    pub fn stop_with(&mut self, reason: ExitReason) {
        self.cell.mailbox.stop_first(reason);
    }

    /// Ends this actor with [`ExitReason::Failed`] and `error` once the current hook or
    /// handler returns: the explicit way for a handler to crash on an error, where `?` in a
    /// [`Handler`](crate::actor::Handler) only returns it to the asker. Its supervisor sees a
    /// failure, as it would an `Err` from a hook.
    ///
    /// The handler's reply is still sent, as OTP's `{stop, Reason, Reply, State}` does; the
    /// stop then goes ahead of every waiting message (see [`stop_with`](Self::stop_with)).
    ///
    /// ```
    /// use airssys_rt::prelude::*;
    ///
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("the ledger is corrupt")]
    /// struct Corrupt;
    ///
    /// struct Audit;
    ///
    /// struct Ledger;
    ///
    /// #[actor(messages(Audit))]
    /// impl Actor for Ledger {
    ///     type Error = anyhow::Error;
    /// }
    ///
    /// impl Handler<Audit> for Ledger {
    ///     type Reply = bool;
    ///     async fn handle(&mut self, _: Audit, ctx: &mut Context<Self>) -> bool {
    ///         ctx.fail(Corrupt);
    ///         false
    ///     }
    /// }
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let ledger = system.spawn::<Ledger>(Ledger).await.unwrap();
    /// assert_eq!(ledger.ask(Audit).await.unwrap(), false);
    /// let reason = ledger.wait_for_exit().await;
    /// assert!(reason.error().is_some_and(|error| error.is::<Corrupt>()));
    /// # }
    /// ```
    pub fn fail(&mut self, error: impl Into<BoxError>) {
        self.stop_with(ExitReason::failed(error));
    }

    pub(crate) fn cell(&self) -> &Arc<ActorCell<A>> {
        &self.cell
    }

    /// The supervisor that started this actor, if any (see
    /// [`Context::adopt`](crate::Context::adopt)).
    ///
    /// ```
    /// # fn root<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> bool {
    /// ctx.parent().is_none()
    /// # }
    /// ```
    pub fn parent(&self) -> Option<ActorId> {
        self.cell.parent()
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").field("id", &self.cell.id).finish_non_exhaustive()
    }
}
