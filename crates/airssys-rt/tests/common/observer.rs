//! `Observer`, which watches actors of any type and records what it sees when each ends.

use std::sync::Arc;

use airssys_rt::prelude::*;

use super::probe::Probe;

/// What an [`Observer`] looks at when a notice arrives.
pub type Observation<T> = Arc<dyn Fn(&ActorSystem, &DownNotice) -> T + Send + Sync>;

/// Monitors every probe it is sent and records, for each down notice, what `observe` sees at
/// the moment the notice is handled: what the rest of the system looks like once an end has
/// been announced.
pub struct Observer<T, W = Probe> {
    seen: super::record::Record<T>,
    observe: Observation<T>,
    watched: std::marker::PhantomData<fn() -> W>,
}

impl<T: Clone + PartialEq + Send + 'static, W: Actor> Observer<T, W> {
    /// Spawns an observer; returns it with the record it fills.
    pub async fn spawn(
        system: &ActorSystem,
        observe: impl Fn(&ActorSystem, &DownNotice) -> T + Send + Sync + 'static,
    ) -> (ActorRef<Self>, super::record::Record<T>) {
        let seen = super::record::Record::default();
        let observer = system.spawn::<Self>((seen.clone(), Arc::new(observe))).await.unwrap();
        (observer, seen)
    }
}

#[actor]
impl<T: Clone + PartialEq + Send + 'static, W: Actor> Actor for Observer<T, W> {
    type Msg = ActorRef<W>;
    type Reply = ();
    type Args = (super::record::Record<T>, Observation<T>);
    type Error = std::convert::Infallible;

    async fn pre_start(args: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
        Ok(Observer { seen: args.0, observe: args.1, watched: std::marker::PhantomData })
    }

    async fn handle(
        &mut self,
        target: ActorRef<W>,
        ctx: &mut Context<Self>,
    ) -> Result<(), Self::Error> {
        ctx.monitor(&target);
        Ok(())
    }

    async fn on_down(
        &mut self,
        ctx: &mut Context<Self>,
        down: DownNotice,
    ) -> Result<(), Self::Error> {
        self.seen.push((self.observe)(ctx.system(), &down));
        Ok(())
    }
}
