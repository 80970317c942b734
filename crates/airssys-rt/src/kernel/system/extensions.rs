//! The system's extension map: one value of each type, made on first use, for the life of the
//! system. The services keep their per-system state in it (the broker its brokers, the process
//! groups their members), so that the kernel holds no field for, and imports nothing of, any
//! service; a program can keep its own per-system state the same way.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::fmt;
use std::sync::OnceLock;

use super::ActorSystem;

/// The slots of one chunk: room for the services' state and a few of a program's own before a
/// second chunk is needed.
const SLOTS: usize = 16;

/// One value of each type, in slots filled once and never emptied while the system lives.
///
/// Set-once slots rather than a map behind a lock: a value is found with atomic loads alone,
/// and a `&T` into a slot stays valid as long as the system, with no guard to hold.
#[derive(Default)]
pub(crate) struct Extensions {
    first: Chunk,
}

#[derive(Default)]
struct Chunk {
    slots: [OnceLock<Entry>; SLOTS],
    next: OnceLock<Box<Chunk>>,
}

struct Entry {
    type_id: TypeId,
    value: Box<dyn Any + Send + Sync>,
}

impl Extensions {
    /// The value of type `T`, made with `T::default()` if there is none yet.
    fn get_or_default<T: Default + Send + Sync + 'static>(&self) -> &T {
        let type_id = TypeId::of::<T>();
        if let Some(found) = self.find::<T>(type_id) {
            return found;
        }
        // Made before a slot is taken, with no lock held: `T::default()` is a program's code,
        // and may itself ask for another extension. Two callers racing for a new type both
        // make one; the first to fill a slot wins and the other's is dropped.
        let value = {
            let _making = Making::enter(self, type_id, std::any::type_name::<T>());
            T::default()
        };
        let mut made = Some(Entry { type_id, value: Box::new(value) });
        let mut chunk = &self.first;
        loop {
            for slot in &chunk.slots {
                if let Some(entry) = made.take() {
                    if let Err(entry) = slot.set(entry) {
                        made = Some(entry);
                    }
                }
                // Filled now, by this call's value or by an earlier one: slots fill in order,
                // so an earlier value of `T` would be found here before any empty slot.
                if let Some(found) = slot.get().filter(|entry| entry.type_id == type_id) {
                    if let Some(value) = found.value.downcast_ref::<T>() {
                        return value;
                    }
                }
            }
            chunk = chunk.next.get_or_init(Box::default);
        }
    }

    /// The value of type `T`, if one was made: the slots in the order they were filled, up to
    /// the first empty one (slots are filled in order, and never emptied).
    fn find<T: 'static>(&self, type_id: TypeId) -> Option<&T> {
        let mut chunk = &self.first;
        loop {
            for slot in &chunk.slots {
                let entry = slot.get()?;
                if entry.type_id == type_id {
                    return entry.value.downcast_ref::<T>();
                }
            }
            chunk = chunk.next.get()?;
        }
    }
}

thread_local! {
    /// The extensions this thread is making, by map and type: a default that asks for its own
    /// type, directly or through others, would otherwise recurse until the stack overflows,
    /// which aborts the whole process rather than failing the one caller.
    static MAKING: RefCell<Vec<(usize, TypeId)>> = const { RefCell::new(Vec::new()) };
}

/// This thread's record that it is making one extension, for as long as the guard lives
/// (a panicking default included).
struct Making;

impl Making {
    /// # Panics
    ///
    /// If this thread is already making a value of this type for this map.
    fn enter(extensions: &Extensions, type_id: TypeId, type_name: &str) -> Self {
        let key = (std::ptr::from_ref(extensions) as usize, type_id);
        let again = MAKING.with_borrow_mut(|making| {
            let again = making.contains(&key);
            if !again {
                making.push(key);
            }
            again
        });
        assert!(!again, "the default of extension {type_name} asks for {type_name} itself");
        Making
    }
}

impl Drop for Making {
    fn drop(&mut self) {
        MAKING.with_borrow_mut(|making| making.pop());
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut count = 0;
        let mut chunk = Some(&self.first);
        while let Some(current) = chunk {
            count += current.slots.iter().filter(|slot| slot.get().is_some()).count();
            chunk = current.next.get().map(|next| &**next);
        }
        f.debug_struct("Extensions").field("count", &count).finish()
    }
}

impl ActorSystem {
    /// This system's value of type `T`, made with `T::default()` on first use: every call, from
    /// any handle of the system, returns the same value, which lives as long as the system.
    ///
    /// This is where state that belongs to one system and not to one actor is kept: the
    /// [broker](crate::broker)'s topics and the [process groups](crate::pg) are extensions,
    /// and a program or a library can keep its own the same way, under a type of its own (a
    /// private type keeps it from being read or made by anyone else). The value is shared:
    /// mutable state goes behind a lock or atomics inside `T`.
    ///
    /// Finding a value made before takes atomic loads only, no lock, over the types made so
    /// far. `T::default()` runs with no lock held, so it may ask for other extensions; when two
    /// callers ask for a new type at once, both may run it, and all of them get the one value
    /// stored first (the other is dropped). The values are dropped with the system, when its
    /// last handle goes; one that must act at [`shutdown`](Self::shutdown) does so from its
    /// actors' ends (as the broker and process groups drop their members then). Every actor
    /// holds its system, so a value that keeps a handle of the system or an
    /// [`ActorRef`](crate::ActorRef) past its actor's end makes a cycle, and neither is ever
    /// dropped: keep a [`WeakActorRef`](crate::WeakActorRef), or drop the handle at that end.
    ///
    /// # Panics
    ///
    /// If `T::default()` asks, directly or through other defaults, for this system's `T`
    /// (which it is making): that would never end. A panic of `T::default()` reaches the
    /// caller, and leaves no value behind; the next call makes one again.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// /// How many orders this system took: one counter per system.
    /// #[derive(Default)]
    /// struct Orders(AtomicU64);
    ///
    /// let system = airssys_rt::ActorSystem::new();
    /// system.extension::<Orders>().0.fetch_add(1, Ordering::Relaxed);
    /// let same = system.clone();
    /// assert_eq!(same.extension::<Orders>().0.load(Ordering::Relaxed), 1);
    /// let other = airssys_rt::ActorSystem::new();
    /// assert_eq!(other.extension::<Orders>().0.load(Ordering::Relaxed), 0);
    /// ```
    pub fn extension<T: Default + Send + Sync + 'static>(&self) -> &T {
        self.extensions().get_or_default::<T>()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Default)]
    struct Counter(AtomicUsize);

    /// A type of its own for each `N`, to fill many slots.
    #[derive(Default)]
    struct Numbered<const N: usize>(AtomicUsize);

    #[test]
    fn a_type_gets_one_value_for_the_life_of_the_map() {
        let extensions = Extensions::default();
        extensions.get_or_default::<Counter>().0.fetch_add(1, Ordering::Relaxed);
        extensions.get_or_default::<Counter>().0.fetch_add(1, Ordering::Relaxed);
        assert_eq!(extensions.get_or_default::<Counter>().0.load(Ordering::Relaxed), 2);
        assert_eq!(extensions.get_or_default::<Numbered<0>>().0.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn more_types_than_a_chunk_holds_each_keep_their_value() {
        let extensions = Extensions::default();
        macro_rules! touch {
            ($($n:literal)*) => {$(
                extensions.get_or_default::<Numbered<$n>>().0.fetch_add($n, Ordering::Relaxed);
            )*};
        }
        touch!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33);
        touch!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33);
        assert_eq!(extensions.get_or_default::<Numbered<33>>().0.load(Ordering::Relaxed), 66);
        assert_eq!(extensions.get_or_default::<Numbered<16>>().0.load(Ordering::Relaxed), 32);
        assert_eq!(format!("{extensions:?}"), "Extensions { count: 34 }");
    }
}
