//! An actor's place in a supervision tree, as the kernel keeps it for the supervisor that
//! started it and for its crash report.

use std::sync::Arc;

/// A supervised actor's place in its tree, kept in its attachments by the supervisor that
/// starts it, and read by its [crash report](crate::telemetry::crash).
#[derive(Clone, Debug)]
pub(crate) struct Supervision {
    /// The supervisor's path, a slash, and the child's id: `root/pool/worker-3`.
    pub(crate) path: Arc<str>,
    /// How many times the supervisor had started this child's specification before the
    /// start of this actor: 0 for the first actor of a specification.
    pub(crate) restarts: u32,
    /// Its supervisor is stopping it by a kill (`Shutdown::BrutalKill`): that kill is how
    /// this child stops, not a crash.
    pub(crate) kill_ordered: bool,
}
