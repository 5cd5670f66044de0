//! CNode invocations, as seL4's decodeCNodeInvocation and invokeCNode*: Copy, Mint, Move,
//! Mutate, Rotate, Delete, Revoke, SaveCaller, CancelBadgedSends.

use super::objecttype::{derive_cap, ensure_empty_slot, mask_cap_rights, update_cap_data};
use super::tcb::slot as tcb_slot;
use super::{Cap, Slot, Tcb, cte, endpoint};
use crate::api::error::SysError;
use crate::api::invocation::Invocation;
use crate::kernel::cspace::{LookupFault, lookup_slot_for_cnode_op};
use crate::kernel::preemption::Preempted;
use crate::machine::{Machine, Memory};
use crate::model::KernelState;
use crate::mutant::{self, Mutant};
use sel4_abi::{CapRights, InvocationLabel as L};

/// A validated CNode operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CNodeOp {
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
    /// Cancel sends with this endpoint cap's badge.
    CancelBadgedSends(Cap),
}

fn missing(source: bool, depth: u64) -> SysError {
    let bits_left = if mutant::on(Mutant::MissingCapabilityBitsLeft) {
        0
    } else {
        depth
    };
    SysError::FailedLookup {
        source,
        fault: LookupFault::MissingCapability { bits_left },
    }
}

/// seL4's decodeCNodeInvocation.
pub fn decode(m: &impl Memory, inv: &Invocation) -> Result<CNodeOp, SysError> {
    let label = inv.label;
    // Only the CNode labels apply.
    if !(L::CNodeRevoke as u64..=L::CNodeSaveCaller as u64).contains(&label) {
        return Err(SysError::IllegalOperation);
    }
    // Every operation names a target slot: index and depth.
    if inv.length < 2 {
        return Err(SysError::TruncatedMessage);
    }
    let dest = lookup_slot_for_cnode_op(m, false, inv.cap, inv.arg(m, 0), inv.arg(m, 1))?;
    let copy_ops = L::CNodeCopy as u64..=L::CNodeMutate as u64;
    if copy_ops.contains(&label) {
        // Copy, Mint, Move and Mutate need the source's root, index and depth.
        let Some((_, src_root)) = inv.extra_cap(m, 0).filter(|_| inv.length >= 4) else {
            return Err(SysError::TruncatedMessage);
        };
        let (src_index, src_depth) = (inv.arg(m, 2), inv.arg(m, 3));
        ensure_empty_slot(m, dest)?;
        let src = lookup_slot_for_cnode_op(m, true, src_root, src_index, src_depth)?;
        let src_cap = src.cap(m);
        // There must be a cap to copy or move.
        if src_cap.is_null() {
            return Err(missing(true, src_depth));
        }
        let (cap, is_move) = match label {
            x if x == L::CNodeCopy as u64 => {
                if inv.length < 5 {
                    return Err(SysError::TruncatedMessage);
                }
                let rights = CapRights::from_word(inv.arg(m, 4));
                (derive_cap(m, src, mask_cap_rights(rights, src_cap))?, false)
            }
            x if x == L::CNodeMint as u64 => {
                if inv.length < 6 {
                    return Err(SysError::TruncatedMessage);
                }
                let rights = CapRights::from_word(inv.arg(m, 4));
                let data = inv.arg(m, 5);
                (
                    derive_cap(
                        m,
                        src,
                        update_cap_data(
                            false,
                            data,
                            if mutant::on(Mutant::MintIgnoresRightsMask) {
                                src_cap
                            } else {
                                mask_cap_rights(rights, src_cap)
                            },
                        ),
                    )?,
                    false,
                )
            }
            x if x == L::CNodeMove as u64 => (src_cap, true),
            _ => {
                if inv.length < 5 {
                    return Err(SysError::TruncatedMessage);
                }
                (update_cap_data(true, inv.arg(m, 4), src_cap), true)
            }
        };
        // A cap that cannot be derived, or a badge or guard that cannot be set, is refused.
        if cap.is_null() {
            return Err(SysError::IllegalOperation);
        }
        return Ok(if is_move {
            CNodeOp::Move { cap, src, dest }
        } else {
            CNodeOp::Insert { cap, src, dest }
        });
    }
    match label {
        x if x == L::CNodeRevoke as u64 => Ok(CNodeOp::Revoke(dest)),
        x if x == L::CNodeDelete as u64 => Ok(CNodeOp::Delete(dest)),
        x if x == L::CNodeSaveCaller as u64 => {
            ensure_empty_slot(m, dest)?;
            Ok(CNodeOp::SaveCaller(dest))
        }
        x if x == L::CNodeCancelBadgedSends as u64 => {
            // Cancelling others' sends needs full authority over the endpoint.
            match dest.cap(m) {
                c @ Cap::Endpoint { rights, .. } if rights == CapRights::all() => {
                    Ok(CNodeOp::CancelBadgedSends(c))
                }
                _ => Err(SysError::IllegalOperation),
            }
        }
        _ => decode_rotate(m, inv, dest),
    }
}

/// Rotate's arguments: dest (index, depth, badge for the cap arriving there), pivot (root,
/// index, depth, badge for the cap arriving there), source (root, index, depth).
fn decode_rotate(m: &impl Memory, inv: &Invocation, dest: Slot) -> Result<CNodeOp, SysError> {
    let (Some((_, pivot_root)), Some((_, src_root))) = (inv.extra_cap(m, 0), inv.extra_cap(m, 1))
    else {
        return Err(SysError::TruncatedMessage);
    };
    if inv.length < 8 {
        return Err(SysError::TruncatedMessage);
    }
    let (pivot_data, pivot_index, pivot_depth) = (inv.arg(m, 2), inv.arg(m, 3), inv.arg(m, 4));
    let (src_data, src_index, src_depth) = (inv.arg(m, 5), inv.arg(m, 6), inv.arg(m, 7));
    let src = lookup_slot_for_cnode_op(m, true, src_root, src_index, src_depth)?;
    let pivot = lookup_slot_for_cnode_op(m, true, pivot_root, pivot_index, pivot_depth)?;
    // The pivot must differ from both ends.
    if pivot == src || pivot == dest {
        return Err(SysError::IllegalOperation);
    }
    // Unless the rotation ends where it starts, the destination must be empty.
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
    let (new_src, new_pivot) = (
        update_cap_data(true, src_data, src_cap),
        update_cap_data(true, pivot_data, pivot_cap),
    );
    if new_src.is_null() || new_pivot.is_null() {
        return Err(SysError::IllegalOperation);
    }
    Ok(CNodeOp::Rotate {
        src_cap: new_src,
        pivot_cap: new_pivot,
        src,
        pivot,
        dest,
    })
}

/// Performs a decoded CNode operation for `caller`.
pub fn invoke(
    ks: &mut KernelState,
    m: &mut impl Machine,
    op: CNodeOp,
    caller: Tcb,
) -> Result<(), Preempted> {
    match op {
        CNodeOp::Insert { cap, src, dest } => cte::insert(m, cap, src, dest),
        CNodeOp::Move { cap, src, dest } => cte::move_cap(m, cap, src, dest),
        CNodeOp::Rotate {
            src_cap,
            pivot_cap,
            src,
            pivot,
            dest,
        } => {
            if src == dest {
                cte::swap(m, src_cap, src, pivot_cap, pivot);
            } else {
                cte::move_cap(m, pivot_cap, pivot, dest);
                cte::move_cap(m, src_cap, src, pivot);
            }
        }
        CNodeOp::Revoke(s) => cte::revoke(ks, m, s)?,
        CNodeOp::Delete(s) => cte::delete(ks, m, s, true)?,
        CNodeOp::SaveCaller(dest) => {
            let src = caller.slot(tcb_slot::CALLER);
            if let c @ Cap::Reply { master: false, .. } = src.cap(m) {
                cte::move_cap(m, c, src, dest);
            }
        }
        CNodeOp::CancelBadgedSends(Cap::Endpoint { ptr, badge, .. }) if badge != 0 => {
            endpoint::cancel_badged_sends(ks, m, ptr, badge)
        }
        CNodeOp::CancelBadgedSends(_) => {}
    }
    Ok(())
}
