//! Why a supervisor call, or a supervisor's start, failed.

use std::fmt;
use std::sync::Arc;

use super::AutoShutdown;
use crate::actor::{ActorId, ExitReason};
use crate::registry::NameProblem;
use crate::system::SpawnError;

/// Why a supervisor request failed.
///
/// ```
/// use airssys_rt::supervisor::SupervisorError;
/// let error = SupervisorError::NotFound("db".into());
/// assert_eq!(error.to_string(), "no child with id \"db\"");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// A child could not be started; at the supervisor's own start this fails the start.
    #[error("child {id:?} failed to start: {}", StartFailure(.reason))]
    StartFailed {
        /// The child's id.
        id: Arc<str>,
        /// What its start function returned.
        reason: SpawnError,
    },
    /// `start_child` with the id of a running child; or a child whose start found the name it
    /// registers under held by another actor, that actor (OTP's `{already_started, Pid}`).
    #[error("child {id:?} is already started as {actor}")]
    AlreadyStarted {
        /// The child's id.
        id: Arc<str>,
        /// The running actor.
        actor: ActorId,
    },
    /// `start_child` with the id of a child that is present but not running.
    #[error("child {0:?} is already present")]
    AlreadyPresent(Arc<str>),
    /// No child has this id.
    #[error("no child with id {0:?}")]
    NotFound(Arc<str>),
    /// The child is running (`restart_child`, `delete_child`).
    #[error("child {0:?} is running")]
    Running(Arc<str>),
    /// The child's restart failed and is to be tried again (`restart_child`, `delete_child`).
    #[error("child {0:?} is restarting")]
    Restarting(Arc<str>),
    /// The supervisor did not answer: it has ended, or is ending.
    #[error("the supervisor is not running")]
    NotRunning,
    /// The specification cannot be used: the reason says why.
    #[error("invalid supervisor specification: {0}")]
    InvalidSpec(&'static str),
    /// A child id that is not a valid name (T20): it is a segment of the child's crash-report
    /// path (`root/pool/worker-3`).
    #[error("invalid child id {id:?}: {problem}")]
    InvalidChildId {
        /// The id refused.
        id: Arc<str>,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// Two children of one specification have this id (OTP's `duplicate_child_name`).
    #[error("two children have the child id {0:?}")]
    DuplicateChildId(Arc<str>),
    /// `restart_child` or `delete_child` of a `simple_one_for_one` supervisor, whose children
    /// are not kept to be restarted or deleted by id (OTP's `simple_one_for_one` error).
    #[error("a simple_one_for_one supervisor does not restart or delete children by id")]
    SimpleOneForOne,
    /// A restart intensity over a period of zero: no restart could ever be counted (OTP's
    /// `invalid_period`).
    #[error("the restart intensity's period must be longer than zero")]
    InvalidPeriod,
    /// A significant child under `AutoShutdown::Never`, where its significance would mean
    /// nothing (OTP's `bad_combination`): at start, or refused by `start_child`.
    #[error("child {0:?} is significant, but the supervisor's auto_shutdown is never")]
    SignificantWithoutAutoShutdown(Arc<str>),
    /// `AnySignificant` or `AllSignificant` on a `simple_one_for_one` supervisor, whose
    /// template makes no significant child (OTP's `bad_combination`).
    #[error("a simple_one_for_one supervisor cannot shut down automatically ({0:?})")]
    AutoShutdownOfSimpleOneForOne(AutoShutdown),
    /// `start_dynamic` with arguments of another type than the template's.
    #[error("the template takes arguments of type {expected}")]
    WrongArgs {
        /// The argument type the template takes.
        expected: &'static str,
    },
    /// `child_ref`, `start_dynamic` or `ensure_dynamic` asked for a handle of another actor
    /// type than the child's.
    #[error("the child's actor is of type {actual}, not {expected}")]
    WrongActorType {
        /// The actor type asked for.
        expected: &'static str,
        /// The child's actor type.
        actual: &'static str,
    },
    /// The supervisor was called from its own task (a child's start function): it cannot
    /// answer while it runs that function, so the call is refused at once.
    #[error("a supervisor cannot be called from its own task")]
    CallingSelf,
}

impl SupervisorError {
    /// Why the child `id` failed to start: its name held by another actor is OTP's
    /// `{already_started, Pid}`, said as itself (`AlreadyStarted`, that actor), not as a failed
    /// start; any other reason is `StartFailed`.
    pub(super) fn child_start(id: Arc<str>, reason: SpawnError) -> Self {
        match reason {
            SpawnError::NameTaken { owner, .. } => Self::AlreadyStarted { id, actor: owner },
            reason => Self::StartFailed { id, reason },
        }
    }
}

/// Why a child failed to start, as `SpawnError`'s own text says, but with the failures of the
/// child supervisors nested in it written one after another rather than each inside the one
/// above: the failed start of a tree of any depth is written without running out of stack.
struct StartFailure<'a>(&'a SpawnError);

impl fmt::Display for StartFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut reason = self.0;
        loop {
            let nested = match reason {
                SpawnError::StartFailed(ExitReason::Failed(error)) => {
                    error.downcast_ref::<SupervisorError>()
                }
                _ => None,
            };
            let Some(SupervisorError::StartFailed { id, reason: below }) = nested else {
                return write!(f, "{reason}");
            };
            // The words of `SpawnError::StartFailed`, `ExitReason::Failed` and this error's.
            write!(f, "the actor failed to start: failed: child {id:?} failed to start: ")?;
            reason = below;
        }
    }
}
