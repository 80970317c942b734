//! The process groups: members by group, each membership undone when its actor ends.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::actor::{Actor, ActorId, ActorRef};
use crate::kernel::{EndHook, KeepAlive};

type Table = RwLock<HashMap<Arc<str>, HashMap<ActorId, Member>>>;

struct Member {
    /// Membership keeps the actor alive (G5). Dropped never under the table's lock: the actor
    /// may end for lack of handles then, and wake.
    kept: KeepAlive,
    /// The end-of-life hook that takes the actor out of the group when it ends.
    hook: EndHook,
}

/// The process groups of one system.
///
/// ```
/// let system = airssys_rt::ActorSystem::new();
/// assert!(system.groups().which_groups().is_empty());
/// ```
#[derive(Default)]
pub struct ProcessGroups {
    // Shared with the end work of every member, which holds it weakly.
    table: Arc<Table>,
}

impl ProcessGroups {
    /// Adds `actor` to `group`. Joining a group twice is joining it once.
    ///
    /// Fails with [`GroupError::NotAlive`] if the actor has stopped or is stopping.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn enlist<A: Actor>(system: &ActorSystem, actor: &ActorRef<A>) -> Result<(), airssys_rt::pg::GroupError> {
    /// system.groups().join("workers", actor)?;
    /// assert!(system.groups().member_ids("workers").contains(&actor.id()));
    /// # Ok(()) }
    /// ```
    pub fn join<A: Actor>(
        &self,
        group: impl Into<Arc<str>>,
        actor: &ActorRef<A>,
    ) -> Result<(), GroupError> {
        let group = group.into();
        let id = actor.id();
        let mut table = self.table.write();
        if table.get(&group).is_some_and(|members| members.contains_key(&id)) {
            return Ok(());
        }
        // Under the table's lock: an actor that ends meanwhile either refuses the hook here,
        // or runs it when it ends, which waits for this lock and finds the member.
        let leave_on_end = {
            let table = Arc::downgrade(&self.table);
            let group = Arc::clone(&group);
            move || {
                if let Some(table) = table.upgrade() {
                    drop(remove(&table, &group, id));
                }
            }
        };
        let actor = actor.erase();
        let Ok(hook) = actor.on_end(leave_on_end) else {
            return Err(GroupError::NotAlive(id));
        };
        // The caller's handle is a sender: the keep-alive is never refused here.
        let Some(kept) = actor.keep_alive() else {
            actor.cancel_end_hook(hook);
            return Err(GroupError::NotAlive(id));
        };
        table.entry(group).or_default().insert(id, Member { kept, hook });
        Ok(())
    }

    /// Takes `actor` out of `group`; returns whether it was a member.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # fn retire<A: Actor>(system: &ActorSystem, actor: &ActorRef<A>) {
    /// let was_member = system.groups().leave("workers", actor);
    /// assert!(!system.groups().member_ids("workers").contains(&actor.id()));
    /// # }
    /// ```
    pub fn leave<A: Actor>(&self, group: &str, actor: &ActorRef<A>) -> bool {
        match remove(&self.table, group, actor.id()) {
            Some(member) => {
                member.kept.actor().cancel_end_hook(member.hook);
                true
            }
            None => false,
        }
    }

    /// The members of `group` that are actors of type `A`, as handles; members of other types
    /// are left out. Empty if there is no such group.
    ///
    /// ```
    /// # use airssys_rt::prelude::*;
    /// # async fn notify<A: Accepts<String>>(system: &ActorSystem) {
    /// for member in system.groups().members::<A>("listeners") {
    ///     let _ = member.tell("config changed".to_string()).await;
    /// }
    /// # }
    /// ```
    pub fn members<A: Actor>(&self, group: &str) -> Vec<ActorRef<A>> {
        let table = self.table.read();
        let Some(members) = table.get(group) else {
            return Vec::new();
        };
        members.values().filter_map(|member| member.kept.actor().downcast::<A>()).collect()
    }

    /// The ids of every member of `group`, sorted (Erlang's `get_members/1`).
    ///
    /// ```
    /// assert!(airssys_rt::ActorSystem::new().groups().member_ids("nobody").is_empty());
    /// ```
    pub fn member_ids(&self, group: &str) -> Vec<ActorId> {
        let table = self.table.read();
        let mut ids: Vec<ActorId> =
            table.get(group).map(|members| members.keys().copied().collect()).unwrap_or_default();
        ids.sort_unstable();
        ids
    }

    /// The groups that have members, sorted (Erlang's `which_groups/0`).
    ///
    /// ```
    /// assert!(airssys_rt::ActorSystem::new().groups().which_groups().is_empty());
    /// ```
    pub fn which_groups(&self) -> Vec<Arc<str>> {
        let mut groups: Vec<Arc<str>> = self.table.read().keys().cloned().collect();
        groups.sort_unstable();
        groups
    }
}

/// Removes one member, and the group if it is left empty.
fn remove(table: &Table, group: &str, id: ActorId) -> Option<Member> {
    let mut groups = table.write();
    let members = groups.get_mut(group)?;
    let member = members.remove(&id)?;
    if members.is_empty() {
        groups.remove(group);
    }
    Some(member)
}

impl std::fmt::Debug for ProcessGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessGroups").field("groups", &self.table.read().len()).finish()
    }
}

/// Why an actor could not join a group.
///
/// ```
/// use airssys_rt::pg::GroupError;
/// # fn show(error: GroupError) -> String {
/// error.to_string()
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupError {
    /// The actor has stopped or is stopping.
    #[error("actor {0} is not alive")]
    NotAlive(ActorId),
}
