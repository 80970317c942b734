//! Telemetry: what an operator needs to see what the actors are doing and what failed.
//!
//! This module gathers the runtime's observability: what it records about failures and about
//! the work actors do, and how that reaches the tools an operator already uses. Each concern
//! has a submodule of its own.
//!
//! It was called `monitoring`, a name that in an Erlang runtime belongs to monitors (see
//! [`signal`](crate::signal)); `airssys_rt::telemetry::...` paths still compile.
//!
//! * [`stats`]: statistics. The system counts actors alive, started and stopped, crashes by
//!   reason, dead letters, restarts and escalations, always; each actor counts the messages it
//!   receives and handles, its mailbox depths, the dead letters addressed to it and a sampled
//!   histogram of its handling times, when the system is built with
//!   [`statistics(true)`](crate::SystemBuilder::statistics). Programs read them as snapshots;
//!   with the cargo feature `metrics`, `export` hands them to the `metrics` crate facade, and
//!   from there to Prometheus or any other exporter.
//!
//! * [`crash`]: every abnormal exit leaves a [`CrashReport`](crash::CrashReport) (which actor,
//!   where in its supervision tree, why, after how many restarts, doing what), emitted through
//!   `tracing` and kept in a bounded history, [`ActorSystem::crash_reports`](crate::ActorSystem::crash_reports).
//!   Its counterpart for messages is the [dead-letter sink](crate::dead_letter).
//!
//! * [`health`]: supervisors probe their children on an interval, restart those that keep
//!   failing their checks, and report the tree as healthy, degraded or failed.
//!
//! * [`trace`]: with the cargo feature `tracing-spans`, a `tracing` span per actor and per handled
//!   message, and the sender's span carried with each message, so that a request can be
//!   followed across actors in a trace viewer. Without the feature, none of it is compiled in.
//!
//! * [`inspect`]: the live actors as supervision trees, with their state, mailbox depth,
//!   message rate and restart count, and a `pstree`-like rendering.

pub mod health;
pub mod inspect;

// Written by the kernel as the actors run; shown here with the views over them.
#[doc(inline)]
pub use crate::kernel::{crash, stats, trace};

#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod export;
