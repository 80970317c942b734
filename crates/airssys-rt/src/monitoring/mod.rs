//! Monitoring: what an operator needs to see what the actors are doing and what failed.
//!
//! This module gathers the runtime's observability: what it records about failures and about
//! the work actors do, and how that reaches the tools an operator already uses. Each concern
//! has a submodule of its own.
//!
//! * [`health`]: supervisors probe their children on an interval, restart those that keep
//!   failing their checks, and report the tree as healthy, degraded or failed.

pub mod health;
