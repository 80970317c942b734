//! Links, monitors and exit signals: how an actor learns that another one ended.
//!
//! These are the two primitives that supervision is built from, with Erlang's semantics:
//!
//! * A **link** ([`Context::link`](crate::Context::link)) ties two actors together, both ways.
//!   When one of them ends, the other receives an **exit signal** carrying the reason. An actor
//!   that does not trap exits ends too, with the same reason, unless the reason is
//!   [`Normal`](crate::ExitReason::Normal); an actor that **traps exits**
//!   ([`Context::trap_exit`](crate::Context::trap_exit)) gets the signal in its
//!   [`on_exit`](crate::Actor::on_exit) hook instead and decides for itself. A
//!   [`kill`](crate::ActorRef::kill) cannot be trapped; the exit signal it then sends on to linked
//!   actors carries [`Killed`](crate::ExitReason::Killed), which can.
//! * A **monitor** ([`Context::monitor`](crate::Context::monitor)) is one-way: the watcher gets one
//!   [`DownNotice`] in its [`on_down`](crate::Actor::on_down) hook when the watched actor ends,
//!   whatever the reason, and is never ended by it.
//!
//! Linking to or monitoring an actor that has already ended delivers the signal at once, with
//! [`NoSuchActor`](crate::ExitReason::NoSuchActor). Exit signals and down notices travel on the
//! signal lane of the mailbox: a full mailbox never delays or loses them.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::signal::DownNotice;
//! use tokio::sync::mpsc;
//!
//! /// Watches one actor and reports its end.
//! struct Watcher {
//!     report: mpsc::UnboundedSender<ExitReason>,
//! }
//!
//! #[actor]
//! impl Actor for Watcher {
//!     type Msg = ActorRef<Worker>;
//!     type Reply = ();
//!     type Args = mpsc::UnboundedSender<ExitReason>;
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(report: Self::Args, _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Watcher { report })
//!     }
//!
//!     async fn handle(&mut self, worker: ActorRef<Worker>, ctx: &mut Context<Self>) -> Result<(), Self::Error> {
//!         ctx.monitor(&worker);
//!         Ok(())
//!     }
//!
//!     async fn on_down(&mut self, _: &mut Context<Self>, down: DownNotice) -> Result<(), Self::Error> {
//!         let _ = self.report.send(down.reason);
//!         Ok(())
//!     }
//! }
//!
//! struct Worker;
//!
//! #[actor]
//! impl Actor for Worker {
//!     type Msg = ();
//!     type Reply = ();
//!     type Args = ();
//!     type Error = std::convert::Infallible;
//!
//!     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> {
//!         Ok(Worker)
//!     }
//!
//!     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> {
//!         panic!("worker crashed");
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let (report, mut reports) = mpsc::unbounded_channel();
//! let watcher = system.spawn::<Watcher>(report).await?;
//! let worker = system.spawn::<Worker>(()).await?;
//! watcher.ask(worker.clone()).await?; // the monitor is in place once this returns
//! worker.tell(()).await?;
//! assert_eq!(reports.recv().await, Some(ExitReason::panicked("worker crashed")));
//! # Ok(()) }
//! ```

mod end_work;
mod relations;

pub use crate::vocabulary::{DownNotice, ExitSignal, MonitorRef};
pub(crate) use end_work::{EndToken, OnEnd};
pub(crate) use relations::Relations;
