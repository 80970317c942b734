//! Monitoring: what an operator needs to see what the actors are doing and what failed.
//!
//! This module gathers the runtime's observability: what it records about failures and about
//! the work actors do, and how that reaches the tools an operator already uses. Each concern
//! has a submodule of its own.
//!
//! [`trace`]: with the cargo feature `tracing-spans`, a `tracing` span per actor and per handled
//! message, and the sender's span carried with each message, so that a request can be followed
//! across actors in a trace viewer. Without the feature, none of it is compiled in.

pub mod trace;
