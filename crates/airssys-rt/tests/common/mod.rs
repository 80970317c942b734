//! The shared test actors: `Probe`, configurable, which records in its journal what happens to
//! it (hooks, messages, the exit signals and down notices it gets); `Observer`, which watches
//! actors of any type and records what it sees when each ends; `Idle`, which does nothing.
// Each test file uses its own share of these.
#![allow(dead_code, unreachable_pub, missing_docs, unused_imports)]

pub mod linked;
pub mod observer;
pub mod probe;
pub mod record;
pub mod tree;

pub use observer::{Observation, Observer};
pub use probe::{block, probe, Cmd, Event, Hook, Idle, Journal, Probe, ProbeArgs, ProbeError};
