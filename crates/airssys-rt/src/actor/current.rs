//! Which actor the running code belongs to: set while a hook or handler is polled.
//!
//! A thread-local rather than a task-local: it is set around each poll of an actor's hook or
//! handler (`runner::Guarded`), which costs two writes of a plain `Cell`, whereas a task-local
//! would wrap the whole task. It lets the runtime refuse at once what would otherwise wait on
//! the caller itself: an actor asking itself (OTP's `calling_self`), or waiting for a system
//! shutdown that waits for it.

use std::cell::{Cell, RefCell};

use super::ActorId;

thread_local! {
    /// The id of the actor whose hook or handler is being polled on this thread; 0: none.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    /// The actors whose polls enclose the current one's, outermost first: empty but while an
    /// actor is started from inside another's hook or handler (a child's `pre_start` inside
    /// its supervisor's), so the common poll never touches it.
    static ENCLOSING: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// The actor whose hook or handler is running here, if any.
#[cfg(test)]
pub(crate) fn actor() -> Option<ActorId> {
    ActorId::from_u64(CURRENT.with(Cell::get))
}

/// Whether `id`'s hook or handler is being polled here: it is the running actor, or one whose
/// poll encloses the running one's and so waits on it (a supervisor starting a child). Either
/// way, `id` cannot answer until the code running here is done.
pub(crate) fn is_running(id: ActorId) -> bool {
    let id = id.as_u64();
    let current = CURRENT.with(Cell::get);
    // Nothing encloses when no actor runs here: the common case (a caller outside any actor)
    // reads one `Cell`.
    current != 0 && (current == id || ENCLOSING.with(|enclosing| enclosing.borrow().contains(&id)))
}

/// Marks `id` as the running actor until the returned guard is dropped, which restores the
/// one before (a child supervisor's `pre_start` runs inside its parent's).
pub(crate) fn enter(id: ActorId) -> Entered {
    let previous = CURRENT.with(|current| current.replace(id.as_u64()));
    if previous != 0 {
        ENCLOSING.with(|enclosing| enclosing.borrow_mut().push(previous));
    }
    Entered { previous }
}

/// Restores the running actor that was current before [`enter`], on drop (a panic
/// included).
pub(crate) struct Entered {
    previous: u64,
}

impl Drop for Entered {
    fn drop(&mut self) {
        if self.previous != 0 {
            ENCLOSING.with(|enclosing| enclosing.borrow_mut().pop());
        }
        CURRENT.with(|current| current.set(self.previous));
    }
}

/// The running actor and those whose polls enclose it, outermost first: the actors that the
/// code running here keeps waiting. Taken by a supervisor that hands a start to a task of its
/// own (T19), so that the task runs on behalf of all of them, as the start polled in place
/// would.
pub(crate) fn chain() -> Vec<ActorId> {
    let current = CURRENT.with(Cell::get);
    let mut chain: Vec<ActorId> = ENCLOSING.with(|enclosing| {
        enclosing.borrow().iter().filter_map(|&id| ActorId::from_u64(id)).collect()
    });
    chain.extend(ActorId::from_u64(current));
    chain
}

/// Marks the last of `chain` as the running actor, and the others as enclosing it, until the
/// returned guard is dropped, which restores what was here before.
pub(crate) fn enter_chain(chain: &[ActorId]) -> EnteredChain {
    let depth = ENCLOSING.with(|enclosing| enclosing.borrow().len());
    let previous = CURRENT.with(Cell::get);
    if let Some((last, outer)) = chain.split_last() {
        ENCLOSING.with(|enclosing| {
            let mut enclosing = enclosing.borrow_mut();
            if previous != 0 {
                enclosing.push(previous);
            }
            enclosing.extend(outer.iter().map(|id| id.as_u64()));
        });
        CURRENT.with(|current| current.set(last.as_u64()));
    }
    EnteredChain { previous, depth }
}

/// Restores what [`enter_chain`] replaced, on drop (a panic included).
pub(crate) struct EnteredChain {
    previous: u64,
    depth: usize,
}

impl Drop for EnteredChain {
    fn drop(&mut self) {
        ENCLOSING.with(|enclosing| enclosing.borrow_mut().truncate(self.depth));
        CURRENT.with(|current| current.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entering_nests_and_restores() {
        let outer = ActorId::next();
        let inner = ActorId::next();
        assert_eq!(actor(), None);
        {
            let _outer = enter(outer);
            assert_eq!(actor(), Some(outer));
            {
                let _inner = enter(inner);
                assert_eq!(actor(), Some(inner));
                assert!(is_running(outer) && is_running(inner));
            }
            assert!(is_running(outer) && !is_running(inner));
            assert_eq!(actor(), Some(outer));
        }
        assert_eq!(actor(), None);
        assert!(!is_running(outer));
    }
}
