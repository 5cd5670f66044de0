//! An optional heap for programs that want `alloc` (`Vec`, `Box`, ...): a first-fit
//! allocator over a static array, set up on first use. `main!(main, heap = N)` installs one
//! of N bytes as the global allocator.
//!
//! The heap is guarded by a spin lock: threads of one program may share it, but a thread
//! preempted while allocating holds the lock until it runs again, so a higher-priority
//! thread that allocates meanwhile spins until then. Keep allocation out of threads of
//! different priorities, or give each its own memory.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::NonNull;
use linked_list_allocator::LockedHeap;

/// A heap of `N` bytes in the program's image (`.bss`).
pub struct StaticHeap<const N: usize> {
    memory: UnsafeCell<[u8; N]>,
    heap: LockedHeap,
}

// SAFETY: the memory is reached only through the locked heap below, which serialises use.
unsafe impl<const N: usize> Sync for StaticHeap<N> {}

impl<const N: usize> StaticHeap<N> {
    /// An empty heap; its memory joins on the first allocation.
    pub const fn new() -> Self {
        StaticHeap {
            memory: UnsafeCell::new([0; N]),
            heap: LockedHeap::empty(),
        }
    }
}

impl<const N: usize> Default for StaticHeap<N> {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: allocation is delegated to linked_list_allocator's heap over memory that belongs
// to this heap alone, under its lock; blocks it returns are within that memory and
// disjoint, as GlobalAlloc requires.
unsafe impl<const N: usize> GlobalAlloc for StaticHeap<N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap.lock();
        if heap.size() == 0 {
            // SAFETY: the array is this heap's own, unused until now, and lives forever.
            unsafe { heap.init(self.memory.get().cast(), N) };
        }
        heap.allocate_first_fit(layout)
            .map_or(core::ptr::null_mut(), |p| p.as_ptr())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with this layout.
            unsafe { self.heap.lock().deallocate(p, layout) };
        }
    }
}
