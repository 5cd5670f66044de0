//! Allocators over the root task's BootInfo: free slots of the root CNode, and objects
//! retyped from the untyped memory it was given.

use sel4::cap_type::{CapType, Untyped};
use sel4::{BootInfo, Cap, Error, ObjectType};

/// Hands out the root CNode's empty slots in order, and makes objects from one untyped
/// (the largest of normal memory unless told otherwise).
#[derive(Debug)]
pub struct Allocator {
    next: u64,
    end: u64,
    untyped: Cap<Untyped>,
}

impl Allocator {
    /// An allocator over the BootInfo's empty slots and its largest normal-memory untyped.
    pub fn new(bi: &BootInfo) -> Allocator {
        let untyped = bi
            .untyped_caps()
            .filter(|(_, d)| d.is_device == 0)
            .max_by_key(|(_, d)| d.size_bits)
            .map(|(c, _)| c)
            .expect("the BootInfo lists normal memory");
        Allocator {
            next: bi.empty().start,
            end: bi.empty().end,
            untyped,
        }
    }

    /// The untyped objects come from.
    pub fn untyped(&self) -> Cap<Untyped> {
        self.untyped
    }

    /// A free slot of the root CNode.
    ///
    /// # Panics
    /// When the CNode is full.
    pub fn slot(&mut self) -> u64 {
        assert!(self.next < self.end, "the root CNode is full");
        self.next += 1;
        self.next - 1
    }

    /// A new object of `ty` (`size_bits` for untypeds and CNodes), its cap in a free slot.
    pub fn make<T: CapType>(&mut self, ty: ObjectType, size_bits: u64) -> Result<Cap<T>, Error> {
        let slot = self.slot();
        self.untyped
            .untyped_retype(ty, size_bits, &sel4::init_thread_cnode().itself(), slot, 1)?;
        Ok(Cap::from_cptr(slot))
    }
}
