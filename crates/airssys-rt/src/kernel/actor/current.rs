//! Which actor the running code belongs to: set while a hook or handler is polled.
//!
//! A thread-local rather than a task-local: it is set around each poll of an actor's hook or
//! handler (`runner::Guarded`), which costs two writes of a plain `Cell`, whereas a task-local
//! would wrap the whole task. It lets the runtime refuse at once what would otherwise wait on
//! the caller itself: an actor asking itself (OTP's `calling_self`), or waiting for a system
//! shutdown that waits for it.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::ActorId;

thread_local! {
    /// The id of the actor whose hook or handler is being polled on this thread; 0: none.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    /// The actors whose polls enclose the current one's, outermost first: empty but while an
    /// actor is started from inside another's hook or handler (a child's `pre_start` inside
    /// its supervisor's), so the common poll never touches it.
    static ENCLOSING: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// The actors that await, from other tasks, the task running here: set only in the task
    /// that starts a child supervisor (see [`chain`]).
    static OUTER: RefCell<Chain> = const { RefCell::new(None) };
}

/// The actor whose hook or handler is running here, if any.
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
    current != 0
        && (current == id
            || ENCLOSING.with(|enclosing| enclosing.borrow().contains(&id))
            || OUTER.with(|outer| {
                let outer = outer.borrow();
                let mut link = outer.as_deref();
                while let Some(this) = link {
                    if this.id == id {
                        return true;
                    }
                    link = this.next.as_deref();
                }
                false
            }))
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

/// The actors that the code running here keeps waiting, innermost first: the running actor,
/// those whose polls enclose it, and those that await this task from others (`OUTER`). Taken
/// by a supervisor that hands a start to a task of its own (T19), so that the task runs on
/// behalf of all of them, as the start polled in place would. A shared list: each level of a
/// tree adds one link, however deep the tree.
pub(crate) fn chain() -> Chain {
    let mut chain = OUTER.with(|outer| outer.borrow().clone());
    let enclosing = ENCLOSING.with(|enclosing| enclosing.borrow().clone());
    let current = CURRENT.with(Cell::get);
    for id in enclosing.into_iter().chain((current != 0).then_some(current)) {
        chain = Some(Arc::new(Link { id, next: chain }));
    }
    chain
}

/// Whether `check` holds of any actor of [`chain`], without making it.
pub(crate) fn any_waiting(mut check: impl FnMut(ActorId) -> bool) -> bool {
    let current = CURRENT.with(Cell::get);
    if current == 0 {
        return false;
    }
    let mut ids: Vec<u64> = ENCLOSING.with(|enclosing| enclosing.borrow().clone());
    ids.push(current);
    OUTER.with(|outer| {
        let outer = outer.borrow();
        let mut link = outer.as_deref();
        while let Some(this) = link {
            ids.push(this.id);
            link = this.next.as_deref();
        }
    });
    ids.into_iter().filter_map(ActorId::from_u64).any(&mut check)
}

/// The actors awaiting a task from others, innermost first (see [`chain`]).
pub(crate) type Chain = Option<Arc<Link>>;

/// One actor of a [`Chain`].
pub(crate) struct Link {
    id: u64,
    next: Chain,
}

impl Drop for Link {
    /// Without recursion: a chain is as long as a tree is deep (T19).
    fn drop(&mut self) {
        let mut next = self.next.take();
        while let Some(link) = next {
            next = match Arc::try_unwrap(link) {
                Ok(mut last) => last.next.take(),
                Err(_) => None,
            };
        }
    }
}

/// Makes the first of `chain` the running actor and the others await it, until the returned
/// guard is dropped, which restores what was here before.
pub(crate) fn enter_chain(chain: &Chain) -> EnteredChain {
    let depth = ENCLOSING.with(|enclosing| enclosing.borrow().len());
    let previous = CURRENT.with(Cell::get);
    let outer = OUTER.with(|outer| outer.borrow().clone());
    if let Some(first) = chain {
        if previous != 0 {
            ENCLOSING.with(|enclosing| enclosing.borrow_mut().push(previous));
        }
        CURRENT.with(|current| current.set(first.id));
        OUTER.with(|outer| *outer.borrow_mut() = first.next.clone());
    }
    EnteredChain { previous, depth, outer }
}

/// Restores what [`enter_chain`] replaced, on drop (a panic included).
pub(crate) struct EnteredChain {
    previous: u64,
    depth: usize,
    outer: Chain,
}

impl Drop for EnteredChain {
    fn drop(&mut self) {
        ENCLOSING.with(|enclosing| enclosing.borrow_mut().truncate(self.depth));
        CURRENT.with(|current| current.set(self.previous));
        let outer = self.outer.take();
        OUTER.with(|here| *here.borrow_mut() = outer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_entered_whole_and_let_go_without_recursion() {
        let (outer, inner) = (ActorId::next(), ActorId::next());
        let chain = {
            let _outer = enter(outer);
            let _inner = enter(inner);
            chain()
        };
        assert!(!is_running(outer));
        {
            let _entered = enter_chain(&chain);
            assert!(is_running(outer) && is_running(inner));
            let mut seen = Vec::new();
            assert!(!any_waiting(|id| {
                seen.push(id);
                false
            }));
            assert_eq!(seen, vec![inner, outer]);
        }
        assert!(!is_running(outer) && !is_running(inner));
        let mut deep: Chain = None;
        for id in 1..=1_000_000 {
            deep = Some(Arc::new(Link { id, next: deep }));
        }
        drop(deep);
    }

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
