//! Who an actor is, and where it is in its life.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// The unique identity of an actor within the process; never reused.
///
/// ```
/// # use airssys_rt::prelude::*;
/// # struct Idle;
/// # #[actor]
/// # impl Actor for Idle {
/// #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
/// #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Idle) }
/// #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # #[tokio::main] async fn main() {
/// let system = ActorSystem::new();
/// let a = system.spawn::<Idle>(()).await.unwrap();
/// let b = system.spawn::<Idle>(()).await.unwrap();
/// assert_ne!(a.id(), b.id());
/// assert!(a.id().as_u64() > 0);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(NonZeroU64);

impl ActorId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        // 2^64 spawns would take centuries at a billion a second.
        Self(NonZeroU64::new(id).unwrap_or(NonZeroU64::MIN))
    }

    pub(crate) fn from_u64(id: u64) -> Option<Self> {
        NonZeroU64::new(id).map(Self)
    }

    /// The id as a number.
    ///
    /// ```
    /// # fn show(id: airssys_rt::ActorId) -> u64 { id.as_u64() }
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

/// Where an actor is in its lifecycle.
///
/// ```
/// use airssys_rt::ActorState;
/// assert!(ActorState::Running.is_alive());
/// assert!(!ActorState::Stopping.is_alive());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorState {
    /// `pre_start` or `post_start` is running.
    Starting,
    /// Taking messages.
    Running,
    /// Ending: its mailbox is closed, `post_stop` may be running.
    Stopping,
    /// Ended; its exit reason is known.
    Stopped,
}

impl ActorState {
    /// Whether the actor has not begun to end (it is starting or running). One that asked to
    /// stop (`Context::stop`, A4.2) is alive until its hook or handler returns, but already
    /// refuses messages (`Closed`).
    ///
    /// ```
    /// assert!(airssys_rt::ActorState::Starting.is_alive());
    /// ```
    pub fn is_alive(self) -> bool {
        matches!(self, Self::Starting | Self::Running)
    }

    pub(crate) fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Starting,
            1 => Self::Running,
            2 => Self::Stopping,
            _ => Self::Stopped,
        }
    }
}
