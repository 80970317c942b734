//! The table of names: which actor each registered name stands for.

use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use tokio::sync::Notify;

use super::{check_name, LookupError, RegistryError};
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
    /// Woken at every registration, for the `NamedRef`s waiting for a name's next actor
    /// (T28). Registration is no hot path: with nobody waiting, a wake costs one uncontended
    /// lock.
    registered: Notify,
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
        self.registered.notify_waiters();
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
                self.registered.notify_waiters();
                Ok(())
            }
        }
    }

    /// What wakes at the next registration of any name.
    pub(crate) fn registrations(&self) -> &Notify {
        &self.registered
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
