//! What a supervision tree reports its children as.

/// Whether a child is a worker or a supervisor.
///
/// ```
/// use airssys_rt::supervisor::ChildKind;
/// assert_ne!(ChildKind::Worker, ChildKind::Supervisor);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// Any actor that is not a supervisor.
    Worker,
    /// A supervisor: a subtree.
    Supervisor,
}
