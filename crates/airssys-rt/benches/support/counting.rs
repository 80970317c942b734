//! The counting global allocator the benches share: it wraps [`std::alloc::System`] and counts
//! allocation calls (`alloc`, `alloc_zeroed`, `realloc`), the live bytes requested (not the
//! allocator's own rounding and headers) and the live blocks, on every thread, with relaxed
//! atomics.
//!
//! A bench includes it with `#[path = "support/counting.rs"] mod counting;`; the soak test
//! (`tests/soak.rs`) with `#[path = "../benches/support/counting.rs"]`.

// The only unsafe code of the benches besides `core.rs`: implementing `GlobalAlloc` requires it.
#![allow(unsafe_code, dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering::Relaxed};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);

#[global_allocator]
static GLOBAL: Counting = Counting;

// SAFETY: every method forwards to `System` with the caller's own arguments, so `Counting`
// upholds `GlobalAlloc`'s contract exactly as `System` does; the counters are plain atomics and
// never allocate. No loom or miri test: measurement scaffolding in benches, not library code,
// adding no unsafe reasoning of its own beyond the forwarding.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller guarantees `layout` has a non-zero size, as `System.alloc` needs.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            ALLOCS.fetch_add(1, Relaxed);
            LIVE.fetch_add(layout.size() as isize, Relaxed);
            LIVE_BLOCKS.fetch_add(1, Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            ALLOCS.fetch_add(1, Relaxed);
            LIVE.fetch_add(layout.size() as isize, Relaxed);
            LIVE_BLOCKS.fetch_add(1, Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with this `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller guarantees `new_size`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            ALLOCS.fetch_add(1, Relaxed);
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        }
        new
    }
}

/// Allocation calls so far, on every thread.
pub(crate) fn allocs() -> u64 {
    ALLOCS.load(Relaxed)
}

/// Bytes requested and not yet freed, on every thread.
pub(crate) fn live() -> isize {
    LIVE.load(Relaxed)
}

/// Blocks allocated and not yet freed, on every thread (a `realloc` moves a block: no change).
pub(crate) fn live_blocks() -> isize {
    LIVE_BLOCKS.load(Relaxed)
}
