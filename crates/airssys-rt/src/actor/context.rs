use std::fmt;
use std::sync::Arc;

use super::{Actor, ActorCell, ActorId, ActorRef, ExitReason, WeakActorRef};
use crate::system::ActorSystem;

/// What an actor knows about itself while it runs: passed to every hook and to the handler.
///
/// ```
/// use airssys_rt::prelude::*;
///
/// struct OneShot;
///
/// impl Actor for OneShot {
///     type Msg = ();
///     type Reply = ActorId;
///     type Args = ();
///     type Error = std::convert::Infallible;
///
///     async fn pre_start(_: (), _ctx: &mut Context<Self>) -> Result<Self, Self::Error> {
///         Ok(OneShot)
///     }
///
///     async fn handle(&mut self, _: (), ctx: &mut Context<Self>) -> Result<ActorId, Self::Error> {
///         ctx.stop(); // after this message
///         Ok(ctx.id())
///     }
/// }
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let actor = system.spawn::<OneShot>(()).await.unwrap();
/// assert_eq!(actor.ask(()).await.unwrap(), actor.id());
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
    /// # fn name<A: airssys_rt::Actor>(ctx: &airssys_rt::Context<A>) -> Option<&str> { ctx.name() }
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.cell.name.as_deref()
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
    /// The stop travels on the signal lane, like one sent from outside: no waiting message is
    /// handled after it.
    ///
    /// ```
    /// # fn done<A: airssys_rt::Actor>(ctx: &mut airssys_rt::Context<A>) { ctx.stop_with(airssys_rt::ExitReason::Shutdown) }
    /// ```
    pub fn stop_with(&mut self, reason: ExitReason) {
        self.cell.stop(reason);
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").field("id", &self.cell.id).finish_non_exhaustive()
    }
}
