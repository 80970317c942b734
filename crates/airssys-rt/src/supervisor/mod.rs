//! Supervisors: actors that start, watch and restart other actors, with OTP's semantics.
//!
//! A [`Supervisor`] is an actor. It starts its children from their [`ChildSpec`]s, in order,
//! links to each and traps exits, so that it hears of every child's end. What it does then is
//! its [`Strategy`] and the child's [`Restart`] type:
//!
//! * [`Restart::Permanent`] children are always restarted, [`Restart::Transient`] ones only after
//!   an abnormal end, [`Restart::Temporary`] ones never (their specification goes with them);
//! * [`Strategy::OneForOne`] restarts just that child; [`Strategy::OneForAll`] stops all the
//!   other children (in reverse start order) and starts them all again (in start order);
//!   [`Strategy::RestForOne`] does the same for the children started after it.
//!
//! A supervisor gives up when restarts come too fast: more than
//! [`max_restarts`](SupervisorSpec::intensity) within its `period` (OTP's default: 1 in 5 s).
//! It then stops all its children and ends with
//! [`ExitReason::Shutdown`](crate::ExitReason::Shutdown); its own supervisor
//! sees that end and applies its strategy in turn: failures escalate up the tree. A restart
//! whose start fails counts as a restart too.
//!
//! Children stop in reverse start order, each as its [`Shutdown`] says, when the supervisor
//! ends; a supervisor's children are stopped by it, not by a system shutdown directly (children
//! before parents).
//!
//! A tree may be any depth: a child supervisor ([`ChildKind::Supervisor`]) is started from a
//! task of its own, which its parent waits for (and abandons, ending the child as killed, if the
//! parent is killed meanwhile), so a level costs a task rather than stack; health reports and
//! inspection walk the tree in loops.
//!
//! Beyond the static children of its specification, a supervisor offers:
//!
//! * [`Strategy::SimpleOneForOne`]: dynamic children of one kind, made at run time from a
//!   [`ChildTemplate`] by [`SupervisorRef::start_dynamic`];
//! * significant children ([`ChildSpec::significant`]) and [`AutoShutdown`]: a supervisor that
//!   ends when its significant children have done their work;
//! * a restart [`Backoff`] per child (beyond OTP): exponential, capped, with jitter, so that a
//!   crash-looping dependency does not spin the CPU;
//! * administration: [`start_child`](SupervisorRef::start_child),
//!   [`terminate_child`](SupervisorRef::terminate_child),
//!   [`restart_child`](SupervisorRef::restart_child),
//!   [`delete_child`](SupervisorRef::delete_child),
//!   [`which_children`](SupervisorRef::which_children),
//!   [`count_children`](SupervisorRef::count_children);
//! * [events](SupervisorRef::events): a stream of its children's starts, restarts and ends and
//!   of its giving up ([`SupervisorEvent`]), to wait on rather than poll.
//! * [stable handles](ChildRef): [`child_ref`](SupervisorRef::child_ref) names a child by its
//!   id and reaches whichever actor the supervisor runs for it now, waiting out a restart or
//!   failing at once as the caller chooses; dynamic children named from their arguments
//!   ([`ChildTemplate::named`]), and started on demand with
//!   [`ensure_dynamic`](SupervisorRef::ensure_dynamic). A registered name has its own:
//!   [`NamedRef`](crate::registry::NamedRef).
//!
//! A supervisor of your own, as OTP's supervisor callback module, is an *open* supervisor: a
//! type implementing [`Supervise`], whose [`init`](Supervise::init) decides the specification
//! at start ([`Init::Start`]) or that there is none ([`Init::Ignore`]), run as a
//! [`Supervisor<S>`](Supervisor) that keeps the type as its state and handles messages of its
//! own (`impl Handler<M> for Supervisor<S>`) between the administration calls, administering
//! its children from its handlers. The built-in supervisor is `Supervisor<()>`, which
//! `Supervisor` names.
//!
//! Every restart, give-up and escalation is logged through `tracing` with the supervisor, the
//! child id, the reason and the restart count. A child's abnormal end, a failed start included,
//! also leaves a [crash report](crate::telemetry::crash) with the child's path in the tree
//! (`root/pool/worker-3`) and how many times it had been restarted.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::supervisor::{ChildSpec, Strategy, Supervisor, SupervisorEvent, SupervisorSpec};
//!
//! #[derive(Clone)]
//! struct Worker;
//!
//! struct Crash;
//!
//! #[actor(messages(Crash))]
//! impl Actor for Worker {}
//!
//! impl Handler<Crash> for Worker {
//!     type Reply = ();
//!     async fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
//!         panic!("asked to crash");
//!     }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::worker::<Worker>("worker", Worker));
//! let supervisor = Supervisor::start(&system, spec).await?;
//!
//! let first = supervisor.child::<Worker>("worker").await?.expect("running");
//! let mut events = supervisor.events().await?;
//! let _ = first.tell(Crash).await;
//!
//! // Restarted: a new actor, from the same specification.
//! let restarted = loop {
//!     match events.next().await {
//!         Some(SupervisorEvent::Restarted { actor, .. }) => break actor,
//!         Some(_) => continue,
//!         None => return Err("the supervisor ended".into()),
//!     }
//! };
//! let second = supervisor.child::<Worker>("worker").await?.expect("running");
//! assert_eq!(second.id(), restarted);
//! assert_ne!(second.id(), first.id());
//! system.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod child_ref;
mod children;
mod engine;
mod error;
mod events;
mod health;
mod open;
mod placement;
mod server;
mod spec;

pub use admin::{
    ChildCount, ChildInfo, ChildStatus, SupervisorMsg, SupervisorRef, SupervisorReply,
};
pub use child_ref::{ChildAsk, ChildRef, ChildTell, ChildTellFuture};
pub use error::SupervisorError;
pub use events::{GiveUpReason, SupervisorEvent, SupervisorEvents};
pub use open::{Init, OpenMail, Opened, Supervise};
pub use placement::{Child, StartResult};
pub use server::{Supervisor, SupervisorState};
// Read by the system's health report, a view above supervision.
pub(crate) use health::{AnySupervisor, FallenRoots};
pub use spec::{
    AutoShutdown, Backoff, ChildKind, ChildSpec, ChildTemplate, Restart, Shutdown, Strategy,
    SupervisorSpec,
};
