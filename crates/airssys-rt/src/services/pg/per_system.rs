//! Each system's process groups, kept in its [extension map](crate::ActorSystem::extension).

use super::ProcessGroups;
use crate::kernel::system::ActorSystem;

impl ActorSystem {
    /// The system's process groups.
    ///
    /// ```
    /// let system = airssys_rt::ActorSystem::new();
    /// assert!(system.groups().member_ids("workers").is_empty());
    /// ```
    pub fn groups(&self) -> &ProcessGroups {
        self.extension::<ProcessGroups>()
    }
}
