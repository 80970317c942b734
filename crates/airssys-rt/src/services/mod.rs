//! The services: process groups, the publish/subscribe broker and timers.
//!
//! Each is built on the kernel alone, keeps its per-system state in the system's
//! [extension map](crate::ActorSystem::extension), and uses no other service. A new service goes
//! here, in a folder of its own, on the same terms.

pub mod broker;
pub mod pg;
pub mod timer;
