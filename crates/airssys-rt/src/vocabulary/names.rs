//! What a valid name is, and what registering or looking one up can fail with.

use std::sync::Arc;

use super::ActorId;

/// The longest name an actor may have, in bytes: Erlang's limit on atoms, which name its
/// processes.
///
/// ```
/// use airssys_rt::registry::{check_name, NameProblem, MAX_NAME_BYTES};
/// assert_eq!(check_name(&"a".repeat(MAX_NAME_BYTES + 1)), Err(NameProblem::TooLong(255)));
/// ```
pub const MAX_NAME_BYTES: usize = 255;

/// What is wrong with a name an actor was to be registered or spawned under.
///
/// Positions are byte offsets into the name.
///
/// ```
/// use airssys_rt::registry::NameProblem;
/// assert_eq!(NameProblem::Slash(4).to_string(), "it holds a `/` at byte 4");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum NameProblem {
    /// The name is the empty string.
    #[error("it is empty")]
    Empty,
    /// The name is longer than this many bytes ([`MAX_NAME_BYTES`]).
    #[error("it is longer than {0} bytes")]
    TooLong(usize),
    /// The name holds a control character (`char::is_control`, NUL included), which would
    /// garble logs and crash reports.
    #[error("it holds a control character at byte {0}")]
    ControlCharacter(usize),
    /// The name holds a `/`, which separates the names in a crash report's path
    /// (`root/pool/worker-3`): it would make the path ambiguous.
    #[error("it holds a `/` at byte {0}")]
    Slash(usize),
}

/// Checks a name for an actor (or a supervisor's child id): 1 to [`MAX_NAME_BYTES`] bytes,
/// no control character, no `/`.
///
/// ```
/// use airssys_rt::registry::{check_name, NameProblem};
/// assert_eq!(check_name("billing-eu"), Ok(()));
/// assert_eq!(check_name(""), Err(NameProblem::Empty));
/// assert_eq!(check_name("a\0b"), Err(NameProblem::ControlCharacter(1)));
/// assert_eq!(check_name("pool/3"), Err(NameProblem::Slash(4)));
/// ```
pub fn check_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameProblem::TooLong(MAX_NAME_BYTES));
    }
    match name.char_indices().find(|(_, c)| c.is_control() || *c == '/') {
        None => Ok(()),
        Some((at, '/')) => Err(NameProblem::Slash(at)),
        Some((at, _)) => Err(NameProblem::ControlCharacter(at)),
    }
}

/// Why a name could not be registered or unregistered.
///
/// ```
/// use airssys_rt::registry::RegistryError;
/// let error = RegistryError::NotRegistered("db".into());
/// assert_eq!(error.to_string(), "no actor is registered as \"db\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The name is not a valid name (see [`check_name`]).
    #[error("invalid name: {0}")]
    InvalidName(NameProblem),
    /// Another live actor holds the name.
    #[error("the name {name:?} is already registered to actor {owner}")]
    NameTaken {
        /// The name asked for.
        name: Arc<str>,
        /// The actor that holds it.
        owner: ActorId,
    },
    /// The actor already has a name; it must be unregistered first.
    #[error("actor {actor} is already registered as {name:?}")]
    AlreadyNamed {
        /// The actor.
        actor: ActorId,
        /// The name it has.
        name: Arc<str>,
    },
    /// The actor has stopped or is stopping.
    #[error("actor {0} is not alive")]
    NotAlive(ActorId),
    /// No actor has this name.
    #[error("no actor is registered as {0:?}")]
    NotRegistered(Arc<str>),
}

/// Why a lookup found no handle.
///
/// ```
/// use airssys_rt::registry::LookupError;
/// assert_eq!(LookupError::NotFound("db".into()).to_string(), "no actor is registered as \"db\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No live actor has this name.
    #[error("no actor is registered as {0:?}")]
    NotFound(String),
    /// The actor registered under this name is of another type.
    #[error("{name:?} is registered to a {actual}, not a {expected}")]
    WrongType {
        /// The name looked up.
        name: String,
        /// The actor type asked for.
        expected: &'static str,
        /// The actor type registered.
        actual: &'static str,
    },
}
