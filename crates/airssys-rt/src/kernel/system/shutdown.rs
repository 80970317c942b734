//! What a shutdown reports.

/// What [`crate::ActorSystem::shutdown`] had to do.
///
/// ```
/// # #[tokio::main] async fn main() {
/// let report = airssys_rt::ActorSystem::new().shutdown().await;
/// assert_eq!(report.stopped + report.killed, 0);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Actors that ended within the shutdown timeout.
    pub stopped: usize,
    /// Actors that had to be killed after it.
    pub killed: usize,
    /// Whether the shutdown had ended when this report was made: `false` for a
    /// [`shutdown`](crate::ActorSystem::shutdown) called from an actor's own hook or handler, which
    /// returns at once (and then counts nothing).
    pub finished: bool,
}
