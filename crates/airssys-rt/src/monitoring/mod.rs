//! Monitoring: what an operator needs to see what the actors are doing and what failed.
//!
//! This module gathers the runtime's observability: what it records about failures and about
//! the work actors do, and how that reaches the tools an operator already uses. Each concern
//! has a submodule of its own.
//!
//! * [`crash`]: every abnormal exit leaves a [`CrashReport`](crash::CrashReport) (which actor,
//!   where in its supervision tree, why, after how many restarts, doing what), emitted through
//!   `tracing` and kept in a bounded history, [`ActorSystem::crash_reports`](crate::ActorSystem::crash_reports).
//!   Its counterpart for messages is the [dead-letter sink](crate::dead_letter).

pub mod crash;
