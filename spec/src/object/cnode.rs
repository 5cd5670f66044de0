//! CNode invocations: Copy, Mint, Move, Mutate, Rotate, Delete, Revoke, CancelBadgedSends,
//! SaveCaller.

use sel4_abi::{CNodeLabel, CapRights};

use crate::kernel::cspace::{lookup_slot_for_cnode_op, slot_at};
use crate::kernel::cte::{cte_delete, cte_revoke, derive_cap, ensure_empty_slot};
use crate::kernel::endpoint::cancel_badged_sends;
use crate::kernel::thread::TCB_CALLER;
use crate::model::error::SyscallError;
use crate::model::{Cap, LookupFailure, PAddr, SlotRef, State};

use super::Args;

/// A decoded CNode invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CNodeInvocation {
    /// Copy or Mint: insert `cap`, derived from `src`, into `dest`.
    Insert {
        cap: Cap,
        src: SlotRef,
        dest: SlotRef,
    },
    /// Move or Mutate: move `src` (as `cap`) to `dest`.
    Move {
        cap: Cap,
        src: SlotRef,
        dest: SlotRef,
    },
    /// Rotate: pivot moves to dest, src moves to pivot.
    Rotate {
        src_cap: Cap,
        pivot_cap: Cap,
        src: SlotRef,
        pivot: SlotRef,
        dest: SlotRef,
    },
    /// Revoke the children of a slot.
    Revoke(SlotRef),
    /// Delete a slot.
    Delete(SlotRef),
    /// Move the caller's reply cap into a slot.
    SaveCaller(SlotRef),
    /// Dequeue senders using a badge.
    CancelBadgedSends { ep: PAddr, badge: u64 },
}

/// An empty source (or pivot) slot: a failed lookup with the whole depth left.
fn missing_source(source: bool, depth: u64) -> SyscallError {
    SyscallError::FailedLookup {
        source,
        failure: LookupFailure::MissingCapability { bits_left: depth },
    }
}

/// seL4's `decodeCNodeInvocation`.
pub fn decode_cnode(s: &State, a: &Args) -> Result<CNodeInvocation, SyscallError> {
    // Only the CNode labels mean anything to a CNode.
    let label: CNodeLabel = a.family_label()?;
    // Every CNode operation names a destination slot by index and depth.
    let (Some(index), Some(depth)) = (a.mr(0), a.mr(1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let dest = lookup_slot_for_cnode_op(s, false, a.cap, index, depth)?;
    match label {
        CNodeLabel::Copy => decode_copy(s, a, dest),
        CNodeLabel::Mint => decode_mint(s, a, dest),
        CNodeLabel::Move => decode_move(s, a, dest),
        CNodeLabel::Mutate => decode_mutate(s, a, dest),
        CNodeLabel::Revoke => Ok(CNodeInvocation::Revoke(dest)),
        CNodeLabel::Delete => Ok(CNodeInvocation::Delete(dest)),
        CNodeLabel::SaveCaller => {
            // The reply cap is moved, never overwriting a cap.
            ensure_empty_slot(s, dest)?;
            Ok(CNodeInvocation::SaveCaller(dest))
        }
        CNodeLabel::CancelBadgedSends => {
            // Purging another client's messages needs full authority over the endpoint.
            match s.cap(dest) {
                Cap::Endpoint { ptr, badge, rights } if rights == CapRights::ALL_RIGHTS => {
                    Ok(CNodeInvocation::CancelBadgedSends { ep: ptr, badge })
                }
                _ => Err(SyscallError::IllegalOperation),
            }
        }
        CNodeLabel::Rotate => decode_rotate(s, a, dest),
    }
}

/// The source of Copy, Mint, Move and Mutate (cases of seL4's `decodeCNodeInvocation`): a
/// slot named through an extra CNode cap, whose cap goes to the empty `dest`.
fn decode_source(s: &State, a: &Args, dest: SlotRef) -> Result<(SlotRef, Cap), SyscallError> {
    // Copy, Mint, Move and Mutate also name a source, through an extra CNode cap.
    let (Some(src_index), Some(src_depth), Some((src_root, _))) = (a.mr(2), a.mr(3), a.excap(0))
    else {
        return Err(SyscallError::TruncatedMessage);
    };
    // The destination must be empty: nothing is overwritten implicitly.
    ensure_empty_slot(s, dest)?;
    let src = lookup_slot_for_cnode_op(s, true, src_root, src_index, src_depth)?;
    // An empty source is a lookup failure of the source, with the whole depth left.
    let src_cap = s.cap(src);
    if src_cap.is_null() {
        return Err(missing_source(true, src_depth));
    }
    Ok((src, src_cap))
}

/// CNodeCopy: a copy of the source with the rights of word 4.
fn decode_copy(s: &State, a: &Args, dest: SlotRef) -> Result<CNodeInvocation, SyscallError> {
    let (src, src_cap) = decode_source(s, a, dest)?;
    let rights = a.mr(4).ok_or(SyscallError::TruncatedMessage)?;
    // A copy may have fewer rights than its source, never more.
    let cap = derive_cap(s, src, src_cap.mask_rights(CapRights::from_word(rights)))?;
    // Some caps (reply, IRQ control) cannot be copied at all.
    if cap.is_null() {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(CNodeInvocation::Insert { cap, src, dest })
}

/// CNodeMint: a copy with the rights of word 4 and the badge or guard of word 5.
fn decode_mint(s: &State, a: &Args, dest: SlotRef) -> Result<CNodeInvocation, SyscallError> {
    let (src, src_cap) = decode_source(s, a, dest)?;
    let (Some(rights), Some(data)) = (a.mr(4), a.mr(5)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let masked = src_cap.mask_rights(CapRights::from_word(rights));
    let cap = derive_cap(s, src, masked.update_data(false, data))?;
    // A badge can only be set on an unbadged cap; a guard only if it fits.
    if cap.is_null() {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(CNodeInvocation::Insert { cap, src, dest })
}

/// CNodeMove: the cap itself moves, with its place in the derivation tree.
fn decode_move(s: &State, a: &Args, dest: SlotRef) -> Result<CNodeInvocation, SyscallError> {
    let (src, cap) = decode_source(s, a, dest)?;
    Ok(CNodeInvocation::Move { cap, src, dest })
}

/// CNodeMutate: Move, changing the guard (word 4).
fn decode_mutate(s: &State, a: &Args, dest: SlotRef) -> Result<CNodeInvocation, SyscallError> {
    let (src, src_cap) = decode_source(s, a, dest)?;
    let data = a.mr(4).ok_or(SyscallError::TruncatedMessage)?;
    // Mutate keeps the cap's identity, so it cannot set a badge (badges are minted).
    let cap = src_cap.update_data(true, data);
    if cap.is_null() {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(CNodeInvocation::Move { cap, src, dest })
}

/// The Rotate case of seL4's `decodeCNodeInvocation`: the pivot moves to `dest` and the
/// source to the pivot's slot.
fn decode_rotate(s: &State, a: &Args, dest: SlotRef) -> Result<CNodeInvocation, SyscallError> {
    // Rotate: dest_badge, pivot (index, depth, badge), src (index, depth); two extra caps.
    let (
        Some(pivot_data),
        Some(pivot_index),
        Some(pivot_depth),
        Some(src_data),
        Some(src_index),
        Some(src_depth),
        Some((pivot_root, _)),
        Some((src_root, _)),
    ) = (
        a.mr(2),
        a.mr(3),
        a.mr(4),
        a.mr(5),
        a.mr(6),
        a.mr(7),
        a.excap(0),
        a.excap(1),
    )
    else {
        return Err(SyscallError::TruncatedMessage);
    };
    let src = lookup_slot_for_cnode_op(s, true, src_root, src_index, src_depth)?;
    // seL4's lookupPivotSlot reports a failed pivot lookup as a source failure.
    let pivot = lookup_slot_for_cnode_op(s, true, pivot_root, pivot_index, pivot_depth)?;
    // The pivot must differ from both ends, or the rotation would lose a cap.
    if pivot == src || pivot == dest {
        return Err(SyscallError::IllegalOperation);
    }
    // Rotating src onto itself is a swap; otherwise dest must be free.
    if src != dest {
        ensure_empty_slot(s, dest)?;
    }
    if s.cap(src).is_null() {
        return Err(missing_source(true, src_depth));
    }
    if s.cap(pivot).is_null() {
        return Err(missing_source(false, pivot_depth));
    }
    // Like Mutate, Rotate cannot set badges.
    let src_cap = s.cap(src).update_data(true, src_data);
    let pivot_cap = s.cap(pivot).update_data(true, pivot_data);
    if src_cap.is_null() || pivot_cap.is_null() {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(CNodeInvocation::Rotate {
        src_cap,
        pivot_cap,
        src,
        pivot,
        dest,
    })
}

/// seL4's `invokeCNode*`: perform a CNode invocation for `thread`.
pub fn invoke_cnode(s: &mut State, thread: PAddr, inv: CNodeInvocation) {
    match inv {
        CNodeInvocation::Insert { cap, src, dest } => s.cte_insert(cap, src, dest),
        CNodeInvocation::Move { cap, src, dest } => s.cte_move(cap, src, dest),
        CNodeInvocation::Rotate {
            src_cap,
            pivot_cap,
            src,
            pivot,
            dest,
        } => {
            if src == dest {
                s.cte_swap(src_cap, src, pivot_cap, pivot);
            } else {
                s.cte_move(pivot_cap, pivot, dest);
                s.cte_move(src_cap, src, pivot);
            }
        }
        // Preempted, they leave `s.preempted` set: the caller restarts the syscall.
        CNodeInvocation::Revoke(slot) => {
            let _ = cte_revoke(s, slot);
        }
        CNodeInvocation::Delete(slot) => {
            let _ = cte_delete(s, slot);
        }
        CNodeInvocation::SaveCaller(dest) => {
            let caller = slot_at(thread, TCB_CALLER);
            if let Cap::Reply { master: false, .. } = s.cap(caller) {
                let cap = s.cap(caller);
                s.cte_move(cap, caller, dest);
            }
        }
        CNodeInvocation::CancelBadgedSends { ep, badge } => {
            // Badge 0 names the unbadged cap, which has no senders of its own to purge.
            if badge != 0 {
                cancel_badged_sends(s, ep, badge);
            }
        }
    }
}
