//! The name registry: find an actor by a name instead of a handle.
//!
//! Every [`ActorSystem`](crate::ActorSystem) has one [`Registry`], as an Erlang node has its
//! `register/2` table. An actor gets a name when it is spawned with one
//! ([`spawn_named`](crate::ActorSystem::spawn_named)) or later with
//! [`Registry::register`]; anyone can then [`lookup`](Registry::lookup) a handle of its type.
//!
//! * A name belongs to at most one live actor, and an actor has at most one name. Registering
//!   a name that is taken fails with [`RegistryError::NameTaken`], which names the owner.
//! * A lookup is typed: asking for the wrong actor type is a [`LookupError::WrongType`], never
//!   a panic or a wrongly typed handle.
//! * A registration keeps its actor alive (the actor does not end for lack of handles while
//!   it can be found by name) until it is stopped or unregistered.
//! * A name is 1 to [`MAX_NAME_BYTES`] (255) bytes, with no control character and no `/`
//!   (crash-report paths join names with it): another is refused with a [`NameProblem`]
//!   ([`RegistryError::InvalidName`], or [`SpawnError::InvalidName`] when an actor is spawned
//!   with it).
//! * When the actor ends, its name is released before its end is announced: once
//!   [`wait_for_exit`](crate::ActorRef::wait_for_exit) returns, or a monitor's notice or a link's
//!   exit signal arrives, the name is free for a successor.
//!
//! ```
//! use airssys_rt::prelude::*;
//! use airssys_rt::registry::RegistryError;
//! # struct Cache;
//! # impl Actor for Cache {
//! #     type Msg = (); type Reply = (); type Args = (); type Error = std::convert::Infallible;
//! #     async fn pre_start(_: (), _: &mut Context<Self>) -> Result<Self, Self::Error> { Ok(Cache) }
//! #     async fn handle(&mut self, _: (), _: &mut Context<Self>) -> Result<(), Self::Error> { Ok(()) }
//! # }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let cache = system.spawn::<Cache>(()).await?;
//! system.registry().register("cache", &cache)?;
//! let found: ActorRef<Cache> = system.registry().lookup("cache")?;
//! assert_eq!(found, cache);
//!
//! let other = system.spawn::<Cache>(()).await?;
//! let taken = system.registry().register("cache", &other);
//! assert!(matches!(taken, Err(RegistryError::NameTaken { owner, .. }) if owner == cache.id()));
//!
//! cache.stop();
//! cache.wait_for_exit().await;
//! assert!(system.registry().whereis("cache").is_none());
//! system.registry().register("cache", &other)?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

use crate::kernel::actor::{Actor, ActorId, ActorRef, ErasedCell};
use crate::kernel::mailbox::NameRefused;
use crate::kernel::system::SpawnError;

/// The names of one system's actors. Reached through
/// [`ActorSystem::registry`](crate::ActorSystem::registry).
///
/// ```
/// let system = airssys_rt::ActorSystem::new();
/// assert!(system.registry().registered().is_empty());
/// ```
#[derive(Default)]
pub struct Registry {
    // Read on every lookup, written on register and exit. Sharded: a registration locks one
    // shard, and lookups of names in the others go on (see benches/registry.rs).
    names: DashMap<Arc<str>, Arc<dyn ErasedCell>>,
}

impl Registry {
    /// Registers `actor` under `name`.
    ///
    /// Fails if the name is not a valid name ([`RegistryError::InvalidName`], see
    /// [`check_name`]), if it belongs to a live actor ([`RegistryError::NameTaken`]), if the
    /// actor already has a name ([`RegistryError::AlreadyNamed`]), or if it has stopped or is
    /// stopping ([`RegistryError::NotAlive`]).
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn name<A: Actor>(system: &ActorSystem, actor: &ActorRef<A>) -> Result<(), airssys_rt::registry::RegistryError> {
    /// system.registry().register("billing", actor)?;
    /// assert_eq!(actor.name().as_deref(), Some("billing"));
    /// # Ok(()) }
    /// ```
    pub fn register<A: Actor>(
        &self,
        name: impl Into<Arc<str>>,
        actor: &ActorRef<A>,
    ) -> Result<(), RegistryError> {
        let name = name.into();
        check_name(&name).map_err(RegistryError::InvalidName)?;
        let cell: Arc<dyn ErasedCell> = actor.cell().clone();
        self.insert(name, cell)
    }

    fn insert(&self, name: Arc<str>, cell: Arc<dyn ErasedCell>) -> Result<(), RegistryError> {
        let vacant = match self.names.entry(Arc::clone(&name)) {
            Entry::Occupied(owner) => {
                return Err(RegistryError::NameTaken { name, owner: owner.get().id() })
            }
            Entry::Vacant(vacant) => vacant,
        };
        // Under the table's lock: an actor that ends meanwhile either refuses the name here, or
        // hands it back when it ends and finds it in the table.
        match cell.set_name(Arc::clone(&name)) {
            Ok(()) => {}
            Err(NameRefused::Ended) => return Err(RegistryError::NotAlive(cell.id())),
            Err(NameRefused::Named(existing)) => {
                return Err(RegistryError::AlreadyNamed { actor: cell.id(), name: existing })
            }
        }
        cell.hold_sender();
        vacant.insert(cell);
        Ok(())
    }

    /// Takes `name` away from its actor, which goes on running without a name. Returns the
    /// actor that had it.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::registry::RegistryError;
    /// let system = ActorSystem::new();
    /// assert!(matches!(system.registry().unregister("nobody"), Err(RegistryError::NotRegistered(_))));
    /// ```
    pub fn unregister(&self, name: &str) -> Result<ActorId, RegistryError> {
        let owner = self.names.remove(name).map(|(_, owner)| owner);
        let Some(owner) = owner else {
            return Err(RegistryError::NotRegistered(name.into()));
        };
        owner.clear_name(name);
        // Outside the lock: the actor may end now, for lack of handles, and wake.
        owner.release_sender();
        Ok(owner.id())
    }

    /// A handle to the actor registered under `name`, of type `A`.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// use airssys_rt::system::LookupError;
    /// # fn find<A: Actor>(system: &ActorSystem) {
    /// match system.registry().lookup::<A>("worker") {
    ///     Ok(worker) => println!("found {}", worker.id()),
    ///     Err(LookupError::NotFound(name)) => println!("no {name}"),
    ///     Err(other) => println!("{other}"),
    /// }
    /// # }
    /// ```
    pub fn lookup<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, LookupError> {
        let cell = self
            .names
            .get(name)
            .map(|owner| Arc::clone(owner.value()))
            .ok_or_else(|| LookupError::NotFound(name.to_owned()))?;
        let actual = cell.actor_type();
        // The registration holds a sender, so only another actor type makes this `None`.
        ActorRef::from_erased(cell).ok_or_else(|| LookupError::WrongType {
            name: name.to_owned(),
            expected: std::any::type_name::<A>(),
            actual,
        })
    }

    /// The id of the actor registered under `name`, whatever its type (Erlang's `whereis/1`).
    ///
    /// ```
    /// assert!(airssys_rt::ActorSystem::new().registry().whereis("db").is_none());
    /// ```
    pub fn whereis(&self, name: &str) -> Option<ActorId> {
        self.names.get(name).map(|cell| cell.id())
    }

    /// Every registered name, in no particular order (Erlang's `registered/0`).
    ///
    /// ```
    /// assert!(airssys_rt::ActorSystem::new().registry().registered().is_empty());
    /// ```
    pub fn registered(&self) -> Vec<Arc<str>> {
        self.names.iter().map(|entry| Arc::clone(entry.key())).collect()
    }

    /// Registers a starting actor under the name it was spawned with.
    pub(crate) fn admit(
        &self,
        name: &Arc<str>,
        cell: &Arc<dyn ErasedCell>,
    ) -> Result<(), SpawnError> {
        match self.names.entry(Arc::clone(name)) {
            Entry::Occupied(owner) => {
                Err(SpawnError::NameTaken { name: Arc::clone(name), owner: owner.get().id() })
            }
            Entry::Vacant(vacant) => {
                cell.hold_sender();
                vacant.insert(Arc::clone(cell));
                Ok(())
            }
        }
    }

    /// Releases the name of an ending actor, if it still holds it.
    pub(crate) fn release(&self, name: &str, id: ActorId) {
        let registration = self.names.remove_if(name, |_, owner| owner.id() == id);
        if let Some((_, registration)) = registration {
            registration.release_sender();
        }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("names", &self.names.len()).finish()
    }
}

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
