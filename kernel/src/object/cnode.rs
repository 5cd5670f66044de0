//! CNode invocations, as seL4's decodeCNodeInvocation and invokeCNode*: Copy, Mint, Move,
//! Mutate, Rotate, Delete, Revoke, SaveCaller, CancelBadgedSends.

use super::Args;
use crate::kernel::cspace::lookup_slot_for_cnode_op;
use crate::kernel::cte::{
    cte_delete, cte_insert, cte_move, cte_revoke, cte_swap, derive_cap, ensure_empty_slot,
};
use crate::kernel::endpoint::cancel_badged_sends;
use crate::kernel::preemption::Preempted;
use crate::machine::{Machine, Memory};
use crate::model::tcb::slot as tcb_slot;
use crate::model::{Cap, KernelState, LookupFailure, Slot, SyscallError, Tcb};
use crate::mutant::{self, Mutant};
use sel4_abi::{CNodeLabel, CapRights};

/// A validated CNode operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CNodeInvocation {
    /// Copy or Mint: insert `cap` derived from `src` into `dest`.
    Insert { cap: Cap, src: Slot, dest: Slot },
    /// Move or Mutate: move `src`'s cap (as `cap`) to `dest`.
    Move { cap: Cap, src: Slot, dest: Slot },
    /// Rotate: `pivot`'s cap to `dest`, `src`'s cap to `pivot`.
    Rotate {
        src_cap: Cap,
        pivot_cap: Cap,
        src: Slot,
        pivot: Slot,
        dest: Slot,
    },
    /// Revoke the children of the cap in the slot.
    Revoke(Slot),
    /// Delete the cap in the slot.
    Delete(Slot),
    /// Move the caller's reply cap into the slot.
    SaveCaller(Slot),
    /// Cancel sends with this endpoint's badge.
    CancelBadgedSends { ep: u64, badge: u64 },
}

/// A source slot that holds no cap is a lookup failure of the source, the whole depth left.
fn missing(source: bool, depth: u64) -> SyscallError {
    let bits_left = if mutant::on(Mutant::MissingCapabilityBitsLeft) {
        0
    } else {
        depth
    };
    SyscallError::FailedLookup {
        source,
        fault: LookupFailure::MissingCapability { bits_left },
    }
}

/// seL4's decodeCNodeInvocation: every operation names a destination slot (index and
/// depth, words 0 and 1) in the invoked CNode; then each checks its own arguments.
pub fn decode_cnode(m: &impl Memory, a: &Args) -> Result<CNodeInvocation, SyscallError> {
    // Only the CNode labels apply.
    let Ok(label) = CNodeLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    if a.length < 2 {
        return Err(SyscallError::TruncatedMessage);
    }
    let dest = lookup_slot_for_cnode_op(m, false, a.cap, a.mr(m, 0), a.mr(m, 1))?;
    match label {
        CNodeLabel::Copy => decode_copy(m, a, dest),
        CNodeLabel::Mint => decode_mint(m, a, dest),
        CNodeLabel::Move => decode_move(m, a, dest),
        CNodeLabel::Mutate => decode_mutate(m, a, dest),
        CNodeLabel::Revoke => Ok(CNodeInvocation::Revoke(dest)),
        CNodeLabel::Delete => Ok(CNodeInvocation::Delete(dest)),
        CNodeLabel::SaveCaller => {
            // The reply cap is moved, never overwriting a cap.
            ensure_empty_slot(m, dest)?;
            Ok(CNodeInvocation::SaveCaller(dest))
        }
        CNodeLabel::CancelBadgedSends => match dest.cap(m) {
            // Cancelling others' sends needs full authority over the endpoint.
            Cap::Endpoint { ptr, badge, rights } if rights == CapRights::all() => {
                Ok(CNodeInvocation::CancelBadgedSends { ep: ptr, badge })
            }
            _ => Err(SyscallError::IllegalOperation),
        },
        CNodeLabel::Rotate => decode_rotate(m, a, dest),
    }
}

/// The source of Copy, Mint, Move and Mutate: extra cap 0 is its CNode, words 2 and 3 its
/// index and depth. The destination must be empty (nothing is overwritten implicitly) and
/// the source must hold a cap.
fn decode_source(m: &impl Memory, a: &Args, dest: Slot) -> Result<(Slot, Cap), SyscallError> {
    let Some((src_root, _)) = a.excap(m, 0).filter(|_| a.length >= 4) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let (src_index, src_depth) = (a.mr(m, 2), a.mr(m, 3));
    ensure_empty_slot(m, dest)?;
    let src = lookup_slot_for_cnode_op(m, true, src_root, src_index, src_depth)?;
    let src_cap = src.cap(m);
    if src_cap.is_null() {
        return Err(missing(true, src_depth));
    }
    Ok((src, src_cap))
}

/// A cap that cannot be derived, or a badge or guard that cannot be set, is refused.
fn refuse_null(cap: Cap) -> Result<Cap, SyscallError> {
    if cap.is_null() {
        Err(SyscallError::IllegalOperation)
    } else {
        Ok(cap)
    }
}

/// CNodeCopy: a copy may have fewer rights than its source (word 4), never more.
fn decode_copy(m: &impl Memory, a: &Args, dest: Slot) -> Result<CNodeInvocation, SyscallError> {
    let (src, src_cap) = decode_source(m, a, dest)?;
    if a.length < 5 {
        return Err(SyscallError::TruncatedMessage);
    }
    let rights = CapRights::from_word(a.mr(m, 4));
    let cap = refuse_null(derive_cap(m, src, src_cap.mask_rights(rights))?)?;
    Ok(CNodeInvocation::Insert { cap, src, dest })
}

/// CNodeMint: Copy with a badge or guard (word 5) set on the copy.
fn decode_mint(m: &impl Memory, a: &Args, dest: Slot) -> Result<CNodeInvocation, SyscallError> {
    let (src, src_cap) = decode_source(m, a, dest)?;
    if a.length < 6 {
        return Err(SyscallError::TruncatedMessage);
    }
    let rights = CapRights::from_word(a.mr(m, 4));
    let masked = if mutant::on(Mutant::MintIgnoresRightsMask) {
        src_cap
    } else {
        src_cap.mask_rights(rights)
    };
    let cap = refuse_null(derive_cap(m, src, masked.update_data(false, a.mr(m, 5)))?)?;
    Ok(CNodeInvocation::Insert { cap, src, dest })
}

/// CNodeMove: the cap itself moves, with its place in the derivation tree.
fn decode_move(m: &impl Memory, a: &Args, dest: Slot) -> Result<CNodeInvocation, SyscallError> {
    let (src, cap) = decode_source(m, a, dest)?;
    Ok(CNodeInvocation::Move { cap, src, dest })
}

/// CNodeMutate: Move, changing the cap's guard (word 4); it keeps the cap's identity, so it
/// cannot set a badge (badges are minted).
fn decode_mutate(m: &impl Memory, a: &Args, dest: Slot) -> Result<CNodeInvocation, SyscallError> {
    let (src, src_cap) = decode_source(m, a, dest)?;
    if a.length < 5 {
        return Err(SyscallError::TruncatedMessage);
    }
    let cap = refuse_null(src_cap.update_data(true, a.mr(m, 4)))?;
    Ok(CNodeInvocation::Move { cap, src, dest })
}

/// CNodeRotate's arguments: dest (index, depth, badge for the cap arriving there), pivot
/// (root, index, depth, badge for the cap arriving there), source (root, index, depth).
pub fn decode_rotate(
    m: &impl Memory,
    a: &Args,
    dest: Slot,
) -> Result<CNodeInvocation, SyscallError> {
    let (Some((pivot_root, _)), Some((src_root, _))) = (a.excap(m, 0), a.excap(m, 1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    if a.length < 8 {
        return Err(SyscallError::TruncatedMessage);
    }
    let (pivot_data, pivot_index, pivot_depth) = (a.mr(m, 2), a.mr(m, 3), a.mr(m, 4));
    let (src_data, src_index, src_depth) = (a.mr(m, 5), a.mr(m, 6), a.mr(m, 7));
    let src = lookup_slot_for_cnode_op(m, true, src_root, src_index, src_depth)?;
    // seL4's lookupPivotSlot reports a failed pivot lookup as a source failure.
    let pivot = lookup_slot_for_cnode_op(m, true, pivot_root, pivot_index, pivot_depth)?;
    // The pivot must differ from both ends, or the rotation would lose a cap.
    if pivot == src || pivot == dest {
        return Err(SyscallError::IllegalOperation);
    }
    // Rotating src onto itself is a swap; otherwise dest must be free.
    if src != dest {
        ensure_empty_slot(m, dest)?;
    }
    let (src_cap, pivot_cap) = (src.cap(m), pivot.cap(m));
    if src_cap.is_null() {
        return Err(missing(true, src_depth));
    }
    if pivot_cap.is_null() {
        return Err(missing(false, pivot_depth));
    }
    // Like Mutate, Rotate cannot set badges.
    let (new_src, new_pivot) = (
        src_cap.update_data(true, src_data),
        pivot_cap.update_data(true, pivot_data),
    );
    if new_src.is_null() || new_pivot.is_null() {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(CNodeInvocation::Rotate {
        src_cap: new_src,
        pivot_cap: new_pivot,
        src,
        pivot,
        dest,
    })
}

/// seL4's invokeCNode*: performs a decoded CNode operation for `caller`. Revoke and Delete
/// may stop at a preemption point (the caller then runs the syscall again).
pub fn invoke_cnode(
    ks: &mut KernelState,
    m: &mut impl Machine,
    inv: CNodeInvocation,
    caller: Tcb,
) -> Result<(), Preempted> {
    match inv {
        CNodeInvocation::Insert { cap, src, dest } => cte_insert(m, cap, src, dest),
        CNodeInvocation::Move { cap, src, dest } => cte_move(m, cap, src, dest),
        CNodeInvocation::Rotate {
            src_cap,
            pivot_cap,
            src,
            pivot,
            dest,
        } => {
            if src == dest {
                cte_swap(m, src_cap, src, pivot_cap, pivot);
            } else {
                cte_move(m, pivot_cap, pivot, dest);
                cte_move(m, src_cap, src, pivot);
            }
        }
        CNodeInvocation::Revoke(s) => cte_revoke(ks, m, s)?,
        CNodeInvocation::Delete(s) => cte_delete(ks, m, s, true)?,
        CNodeInvocation::SaveCaller(dest) => {
            let src = caller.slot(tcb_slot::CALLER);
            if let c @ Cap::Reply { master: false, .. } = src.cap(m) {
                cte_move(m, c, src, dest);
            }
        }
        // Badge 0 names the unbadged cap, which has no senders of its own to purge.
        CNodeInvocation::CancelBadgedSends { ep, badge } => {
            if badge != 0 {
                cancel_badged_sends(ks, m, ep, badge)
            }
        }
    }
    Ok(())
}
