//! CNode operations on slots: copy, mint, move, mutate, rotate, delete, revoke.
//!
//! Each is an invocation of the CNode cap at the root of the destination path
//! ([`AbsoluteCPtr`]); the destination's index and depth come first in the message, then
//! each source's root as an extra cap with its index and depth as words.

use sel4_abi::{CapRights, InvocationLabel as L};

use super::invoke_unit;
use crate::cap::AbsoluteCPtr;
use crate::error::Result;
use crate::message::Message;

fn slot_op(label: L, slot: &AbsoluteCPtr) -> Message {
    let mut m = Message::invocation(label);
    m.push(slot.index()).push(slot.depth());
    m
}

/// Request for seL4_CNode_Revoke: words `(index, depth)`.
pub fn cnode_revoke(slot: &AbsoluteCPtr) -> Message {
    slot_op(L::CNodeRevoke, slot)
}

/// Request for seL4_CNode_Delete: words `(index, depth)`.
pub fn cnode_delete(slot: &AbsoluteCPtr) -> Message {
    slot_op(L::CNodeDelete, slot)
}

/// Request for seL4_CNode_CancelBadgedSends: words `(index, depth)`.
pub fn cnode_cancel_badged_sends(slot: &AbsoluteCPtr) -> Message {
    slot_op(L::CNodeCancelBadgedSends, slot)
}

/// Request for seL4_CNode_SaveCaller: words `(index, depth)`.
pub fn cnode_save_caller(slot: &AbsoluteCPtr) -> Message {
    slot_op(L::CNodeSaveCaller, slot)
}

/// Request for seL4_CNode_Copy: words `(dest_index, dest_depth, src_index, src_depth,
/// rights)`, cap `(src_root)`.
pub fn cnode_copy(dest: &AbsoluteCPtr, src: &AbsoluteCPtr, rights: CapRights) -> Message {
    let mut m = slot_op(L::CNodeCopy, dest);
    m.push(src.index())
        .push(src.depth())
        .push(rights.word())
        .push_cap(src.root());
    m
}

/// Request for seL4_CNode_Mint: words `(dest_index, dest_depth, src_index, src_depth,
/// rights, badge)`, cap `(src_root)`.
pub fn cnode_mint(
    dest: &AbsoluteCPtr,
    src: &AbsoluteCPtr,
    rights: CapRights,
    badge: u64,
) -> Message {
    let mut m = cnode_copy(dest, src, rights);
    m.set_label(L::CNodeMint.word()).push(badge);
    m
}

/// Request for seL4_CNode_Move: words `(dest_index, dest_depth, src_index, src_depth)`,
/// cap `(src_root)`.
pub fn cnode_move(dest: &AbsoluteCPtr, src: &AbsoluteCPtr) -> Message {
    let mut m = slot_op(L::CNodeMove, dest);
    m.push(src.index()).push(src.depth()).push_cap(src.root());
    m
}

/// Request for seL4_CNode_Mutate: words `(dest_index, dest_depth, src_index, src_depth,
/// badge)`, cap `(src_root)`.
pub fn cnode_mutate(dest: &AbsoluteCPtr, src: &AbsoluteCPtr, badge: u64) -> Message {
    let mut m = cnode_move(dest, src);
    m.set_label(L::CNodeMutate.word()).push(badge);
    m
}

/// Request for seL4_CNode_Rotate: words `(dest_index, dest_depth, dest_badge, pivot_index,
/// pivot_depth, pivot_badge, src_index, src_depth)`, caps `(pivot_root, src_root)`.
pub fn cnode_rotate(
    dest: &AbsoluteCPtr,
    dest_badge: u64,
    pivot: &AbsoluteCPtr,
    pivot_badge: u64,
    src: &AbsoluteCPtr,
) -> Message {
    let mut m = slot_op(L::CNodeRotate, dest);
    m.push(dest_badge)
        .push(pivot.index())
        .push(pivot.depth())
        .push(pivot_badge)
        .push(src.index())
        .push(src.depth())
        .push_cap(pivot.root())
        .push_cap(src.root());
    m
}

impl AbsoluteCPtr {
    /// seL4_CNode_Revoke: deletes every cap derived from the one in this slot.
    pub fn revoke(&self) -> Result<()> {
        invoke_unit(self.root(), &cnode_revoke(self))
    }

    /// seL4_CNode_Delete: empties this slot.
    pub fn delete(&self) -> Result<()> {
        invoke_unit(self.root(), &cnode_delete(self))
    }

    /// seL4_CNode_CancelBadgedSends: dequeues the senders using this badged endpoint cap's
    /// badge.
    pub fn cancel_badged_sends(&self) -> Result<()> {
        invoke_unit(self.root(), &cnode_cancel_badged_sends(self))
    }

    /// seL4_CNode_SaveCaller: moves this thread's reply cap into this slot (non-MCS).
    pub fn save_caller(&self) -> Result<()> {
        invoke_unit(self.root(), &cnode_save_caller(self))
    }

    /// seL4_CNode_Copy: copies `src` into this (empty) slot with `rights` (intersected with
    /// the source's).
    pub fn copy(&self, src: &AbsoluteCPtr, rights: CapRights) -> Result<()> {
        invoke_unit(self.root(), &cnode_copy(self, src, rights))
    }

    /// seL4_CNode_Mint: copies `src` here with `rights` and a badge (endpoints,
    /// notifications) or guard data (CNodes, a `CNodeCapData` word).
    pub fn mint(&self, src: &AbsoluteCPtr, rights: CapRights, badge: u64) -> Result<()> {
        invoke_unit(self.root(), &cnode_mint(self, src, rights, badge))
    }

    /// seL4_CNode_Move: moves `src` into this slot (`move` is a Rust keyword).
    pub fn move_(&self, src: &AbsoluteCPtr) -> Result<()> {
        invoke_unit(self.root(), &cnode_move(self, src))
    }

    /// seL4_CNode_Mutate: moves `src` here, changing its badge or guard data.
    pub fn mutate(&self, src: &AbsoluteCPtr, badge: u64) -> Result<()> {
        invoke_unit(self.root(), &cnode_mutate(self, src, badge))
    }

    /// seL4_CNode_Rotate: moves `pivot` here (with `dest_badge`) and `src` into `pivot`
    /// (with `pivot_badge`), atomically.
    pub fn rotate(
        &self,
        dest_badge: u64,
        pivot: &AbsoluteCPtr,
        pivot_badge: u64,
        src: &AbsoluteCPtr,
    ) -> Result<()> {
        invoke_unit(
            self.root(),
            &cnode_rotate(self, dest_badge, pivot, pivot_badge, src),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::Cap;
    use crate::cap::cap_type::CNode;
    use crate::invocation::test_util::check;

    const ROOT: Cap<CNode> = Cap::from_cptr(2);
    const OTHER: Cap<CNode> = Cap::from_cptr(0x55);

    #[test]
    fn slot_operations() {
        let s = ROOT.relative_bits(0x30, 12);
        check(&cnode_revoke(&s), L::CNodeRevoke, &[0x30, 12], &[]);
        check(&cnode_delete(&s), L::CNodeDelete, &[0x30, 12], &[]);
        check(
            &cnode_cancel_badged_sends(&s),
            L::CNodeCancelBadgedSends,
            &[0x30, 12],
            &[],
        );
        check(&cnode_save_caller(&s), L::CNodeSaveCaller, &[0x30, 12], &[]);
    }

    #[test]
    fn copy_mint_move_mutate() {
        let dest = ROOT.relative_bits(0x31, 64);
        let src = OTHER.relative_bits(0x7, 8);
        check(
            &cnode_copy(&dest, &src, CapRights::READ_WRITE),
            L::CNodeCopy,
            &[0x31, 64, 0x7, 8, 0b11],
            &[0x55],
        );
        check(
            &cnode_mint(&dest, &src, CapRights::ALL_RIGHTS, 0xbadbad),
            L::CNodeMint,
            &[0x31, 64, 0x7, 8, 0xf, 0xbadbad],
            &[0x55],
        );
        check(
            &cnode_move(&dest, &src),
            L::CNodeMove,
            &[0x31, 64, 0x7, 8],
            &[0x55],
        );
        check(
            &cnode_mutate(&dest, &src, 9),
            L::CNodeMutate,
            &[0x31, 64, 0x7, 8, 9],
            &[0x55],
        );
    }

    #[test]
    fn rotate() {
        let dest = ROOT.relative_bits(1, 10);
        let pivot = OTHER.relative_bits(2, 20);
        let src = Cap::<CNode>::from_cptr(0x66).relative_bits(3, 30);
        check(
            &cnode_rotate(&dest, 11, &pivot, 22, &src),
            L::CNodeRotate,
            &[1, 10, 11, 2, 20, 22, 3, 30],
            &[0x55, 0x66],
        );
    }
}
