//! An actor's place in a supervision tree, as the kernel keeps it for the supervisor that
//! started it and for its crash report.

use std::fmt;
use std::sync::Arc;

use super::{Actor, ActorRef, ErasedCell};
use crate::kernel::system::SpawnError;

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

/// A started child, as a start function returns it.
///
/// Made from any `ActorRef`: `Child::from(actor_ref)`. The supervisor holds it as a strong
/// handle, so a child lives until the supervisor stops it (or it ends on its own).
///
/// ```
/// # use airssys_rt::prelude::*;
/// # use airssys_rt::supervisor::Child;
/// # fn wrap<A: Actor>(actor: ActorRef<A>) -> Child {
/// Child::from(actor)
/// # }
/// ```
pub struct Child {
    pub(crate) cell: Arc<dyn ErasedCell>,
}

impl<A: Actor> From<ActorRef<A>> for Child {
    fn from(actor: ActorRef<A>) -> Self {
        let cell: Arc<dyn ErasedCell> = actor.cell().clone();
        // The supervisor's own hold replaces the handle's.
        cell.hold_sender();
        drop(actor);
        Child { cell }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.cell.release_sender();
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child").field("id", &self.cell.id()).finish()
    }
}

/// What a start function returns: the started child, `None` for "ignore" (the specification
/// stays, without a running child, as OTP's `ignore`), or why it could not start.
pub type StartResult = Result<Option<Child>, SpawnError>;
