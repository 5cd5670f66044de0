//! Slot addresses for CNode operations: a CNode cap, an index and a depth.
//!
//! seL4's CNode methods and the destination arguments of Retype, IRQControl Get and
//! ASIDControl MakePool name a slot as `(root, index, depth)`: resolve `depth` bits of
//! `index` starting at the CNode `root` (which is looked up in the caller's CSpace).

use super::cap_type::{CNode, CapType};
use super::{CPtr, Cap};
use sel4_abi::WORD_BITS;

/// A slot named relative to a CNode: `(root, index, depth)` (seL4's `_service`, `index`,
/// `depth` arguments; rust-sel4's `AbsoluteCPtr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AbsoluteCPtr {
    root: Cap<CNode>,
    index: CPtr,
    depth: u64,
}

impl AbsoluteCPtr {
    /// The slot reached by resolving `depth` bits of `index` from `root`.
    pub const fn new(root: Cap<CNode>, index: CPtr, depth: u64) -> Self {
        Self { root, index, depth }
    }

    /// The CNode the path starts at (the cap the CNode invocation is made on).
    pub const fn root(&self) -> Cap<CNode> {
        self.root
    }

    /// The index resolved from the root.
    pub const fn index(&self) -> CPtr {
        self.index
    }

    /// How many bits of the index to resolve (0 names the root CNode cap itself).
    pub const fn depth(&self) -> u64 {
        self.depth
    }
}

impl Cap<CNode> {
    /// The slot `cap` names when this CNode is the caller's CSpace root: the cptr resolved
    /// to the full word depth, as a cap invocation resolves it.
    pub const fn relative<T: CapType>(self, cap: Cap<T>) -> AbsoluteCPtr {
        AbsoluteCPtr::new(self, cap.cptr(), WORD_BITS)
    }

    /// The slot reached by resolving `depth` bits of `index` from this CNode.
    pub const fn relative_bits(self, index: CPtr, depth: u64) -> AbsoluteCPtr {
        AbsoluteCPtr::new(self, index, depth)
    }

    /// The CNode cap itself (depth 0): the destination for Retype into this CNode.
    pub const fn itself(self) -> AbsoluteCPtr {
        AbsoluteCPtr::new(self, 0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::cap_type::Endpoint;

    #[test]
    fn paths() {
        let root = Cap::<CNode>::from_cptr(2);
        let p = root.relative(Cap::<Endpoint>::from_cptr(0x30));
        assert_eq!((p.root(), p.index(), p.depth()), (root, 0x30, 64));
        let q = root.relative_bits(5, 12);
        assert_eq!((q.index(), q.depth()), (5, 12));
        assert_eq!(root.itself(), AbsoluteCPtr::new(root, 0, 0));
    }
}
