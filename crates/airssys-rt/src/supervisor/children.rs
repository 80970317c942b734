//! A supervisor's children: its slots in start order, found by child id, and by the actor that
//! runs them, in constant time.
//!
//! The order is what the strategies act on (rest_for_one restarts the slots after one, the
//! children stop in reverse order); the indexes make every per-child call (`start_child`,
//! `terminate_child`, a child's exit, a health check) independent of how many children there
//! are, except a removal: removing a slot (a temporary or dynamic child's end or
//! `terminate_child`, `delete_child`) shifts the ones after it and indexes them again, linear
//! in the children after it. OTP's list of static child ids does the same; its dynamic
//! children, in a map, do not (simple_one_for_one children ending first-started first are
//! quadratic here).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::engine::Slot;
use crate::actor::ActorId;

/// The slots, with an index by child id and one by running actor.
pub(super) struct Children {
    slots: Vec<Slot>,
    /// The place of each slot by its child id.
    by_id: HashMap<Arc<str>, usize>,
    /// The child id each started actor runs for: recorded as it starts, forgotten as its exit
    /// is handled, or as the supervisor stops it (unlinked first, it sends no exit signal).
    /// Checked against the slot, so a stale entry finds nothing.
    by_actor: HashMap<ActorId, Arc<str>>,
}

impl Children {
    /// The slots of a specification, whose ids are distinct (checked before).
    pub(super) fn new(slots: impl IntoIterator<Item = Slot>) -> Self {
        let mut children =
            Children { slots: Vec::new(), by_id: HashMap::new(), by_actor: HashMap::new() };
        for slot in slots {
            children.push(slot);
        }
        children
    }

    /// The place of the child with this id.
    pub(super) fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The place of the child `actor` runs for, while it runs it.
    pub(super) fn position_of_actor(&self, actor: ActorId) -> Option<usize> {
        let index = self.position(self.by_actor.get(&actor)?)?;
        (self.slots[index].actor() == Some(actor)).then_some(index)
    }

    /// Records that `actor` runs the child of this id.
    pub(super) fn record_actor(&mut self, actor: ActorId, id: Arc<str>) {
        self.by_actor.insert(actor, id);
    }

    /// Forgets `actor`, whose exit has been handled.
    pub(super) fn forget_actor(&mut self, actor: ActorId) {
        self.by_actor.remove(&actor);
    }

    /// Adds a slot after the others.
    pub(super) fn push(&mut self, slot: Slot) {
        self.by_id.insert(Arc::clone(&slot.spec.id), self.slots.len());
        self.slots.push(slot);
    }

    /// Takes the last slot out.
    pub(super) fn pop(&mut self) -> Option<Slot> {
        let slot = self.slots.pop()?;
        self.by_id.remove(&*slot.spec.id);
        Some(slot)
    }

    /// Takes the slot at `index` out; the ones after it move up one place.
    pub(super) fn remove(&mut self, index: usize) -> Slot {
        let slot = self.slots.remove(index);
        self.by_id.remove(&*slot.spec.id);
        for (place, later) in self.slots.iter().enumerate().skip(index) {
            if let Some(at) = self.by_id.get_mut(&*later.spec.id) {
                *at = place;
            }
        }
        slot
    }

    /// Keeps the slots `keep` says, in their order, in one pass.
    pub(super) fn retain(&mut self, keep: impl FnMut(&Slot) -> bool) {
        self.slots.retain(keep);
        self.by_id.clear();
        for (place, slot) in self.slots.iter().enumerate() {
            self.by_id.insert(Arc::clone(&slot.spec.id), place);
        }
    }
}

// Slots are read, and changed in place, as a slice; only the methods above add, remove or
// reorder them, so the indexes stay true. A slot's id never changes once it is in.
impl Deref for Children {
    type Target = [Slot];

    fn deref(&self) -> &[Slot] {
        &self.slots
    }
}

impl DerefMut for Children {
    fn deref_mut(&mut self) -> &mut [Slot] {
        &mut self.slots
    }
}
