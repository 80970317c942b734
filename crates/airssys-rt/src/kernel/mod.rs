//! The kernel: actors, their mailboxes and run loop, links and monitors, the system that spawns
//! and stops them, the name registry and the dead letters.
//!
//! The kernel imports nothing above it: supervision, the services (process groups, the broker,
//! timers), routing and the telemetry views are built on it, never the other way round. What a
//! service needs to keep per system lives in the system's
//! [extension map](crate::ActorSystem::extension); the kernel's own share of telemetry (writing
//! crash reports, counting statistics, per-actor spans, answering a health probe) lives here,
//! and the views over it in [`telemetry`](crate::telemetry).
//!
//! Its modules are public under their own names (`airssys_rt::actor`, `airssys_rt::mailbox`, ...):
//! this module only groups them.

pub mod actor;
pub mod crash;
pub mod dead_letter;
pub mod mailbox;
pub mod message;
pub mod registry;
pub mod signal;
pub mod stats;
pub mod system;
pub mod trace;
