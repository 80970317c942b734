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
//! /// Asks the watcher to monitor this worker.
//! struct Watch(ActorRef<Worker>);
//!
//! #[actor(messages(Watch))]
//! impl Actor for Watcher {
//!     async fn on_down(&mut self, _: &mut Context<Self>, down: DownNotice) -> Result<(), Self::Error> {
//!         let _ = self.report.send(down.reason);
//!         Ok(())
//!     }
//! }
//!
//! impl Handler<Watch> for Watcher {
//!     type Reply = ();
//!     async fn handle(&mut self, Watch(worker): Watch, ctx: &mut Context<Self>) {
//!         ctx.monitor(&worker);
//!     }
//! }
//!
//! struct Worker;
//! struct Crash;
//!
//! #[actor(messages(Crash))]
//! impl Actor for Worker {}
//!
//! impl Handler<Crash> for Worker {
//!     type Reply = ();
//!     async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
//!         panic!("worker crashed");
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let (report, mut reports) = mpsc::unbounded_channel();
//! let watcher = system.spawn::<Watcher>(Watcher { report }).await?;
//! let worker = system.spawn::<Worker>(Worker).await?;
//! watcher.ask(Watch(worker.clone())).await?; // the monitor is in place once this returns
//! worker.tell(Crash).await?;
//! assert_eq!(reports.recv().await, Some(ExitReason::panicked("worker crashed")));
//! # Ok(()) }
//! ```

mod end_work;
mod relations;

pub use crate::vocabulary::{DownNotice, ExitSignal, MonitorRef};
pub(crate) use end_work::{EndToken, OnEnd};
pub(crate) use relations::Relations;
