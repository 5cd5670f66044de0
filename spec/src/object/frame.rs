//! Frames: Map and Unmap them in a VSpace, read their physical address, and the cache
//! operations on their mapping (validated; the model has no caches).

use sel4_abi::{CapRights, FrameLabel, USER_TOP, VmAttributes};

use crate::kernel::vspace::{
    entry, find_vspace_for_asid, lookup_pt_slot, table_mut, unmap_page, vspace_arg,
};
use crate::model::error::{SyscallError, failed_lookup};
use crate::model::{Cap, LookupFailure, Mapping, PAddr, Pte, SlotRef, State, VmRights};

use super::Args;

/// A decoded frame invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameInvocation {
    /// Map a frame (replacing whatever page entry is there).
    Map {
        slot: SlotRef,
        cap: Cap,
        table: PAddr,
        index: u64,
        pte: Pte,
    },
    /// Unmap a frame.
    Unmap { slot: SlotRef },
    /// Return the frame's physical address.
    GetAddress(PAddr),
    /// A cache operation: validated, with no effect the model can see.
    CacheOp,
}

/// The rights of the mapping of `frame` at `vaddr`, if the tables still map it there.
fn mapped_page(
    s: &State,
    root: PAddr,
    vaddr: u64,
    size_bits: u8,
    frame: PAddr,
) -> Option<VmRights> {
    let (t, i, bits) = lookup_pt_slot(s, root, vaddr);
    match entry(s, t, i) {
        Some(Pte::Page {
            frame: f, rights, ..
        }) if bits == u64::from(size_bits) && f == frame => Some(rights),
        _ => None,
    }
}

/// seL4's `decodeARMFrameInvocation`.
pub fn decode_frame(s: &State, a: &Args) -> Result<FrameInvocation, SyscallError> {
    let Cap::Frame { base, .. } = a.cap else {
        return Err(SyscallError::IllegalOperation);
    };
    match a.family_label()? {
        FrameLabel::Map => decode_frame_map(s, a),
        FrameLabel::Unmap => Ok(FrameInvocation::Unmap { slot: a.slot }),
        FrameLabel::GetAddress => Ok(FrameInvocation::GetAddress(base)),
        label @ (FrameLabel::CleanData
        | FrameLabel::InvalidateData
        | FrameLabel::CleanInvalidateData
        | FrameLabel::UnifyInstruction) => decode_frame_cache_op(s, a, label),
    }
}

/// The Map case of seL4's `decodeARMFrameInvocation`.
fn decode_frame_map(s: &State, a: &Args) -> Result<FrameInvocation, SyscallError> {
    let Cap::Frame {
        base,
        size_bits,
        rights,
        is_device,
        mapping,
    } = a.cap
    else {
        return Err(SyscallError::IllegalOperation);
    };
    let (Some(vaddr), Some(mask), Some(attr), Some((vspace, _))) =
        (a.mr(0), a.mr(1), a.mr(2), a.excap(0))
    else {
        return Err(SyscallError::TruncatedMessage);
    };
    let (root, asid) = vspace_arg(s, vspace)?;
    // A frame is mapped at an address aligned to its size.
    if vaddr & ((1 << size_bits) - 1) != 0 {
        return Err(SyscallError::AlignmentError);
    }
    match mapping {
        // A frame cap maps its frame once: a remap must be to the same place.
        Some(m) => {
            if m.asid != asid {
                return Err(SyscallError::InvalidCapability(1));
            }
            if m.vaddr != vaddr {
                return Err(SyscallError::InvalidArgument(0));
            }
        }
        // The whole frame must lie in the user part of the address space.
        None => {
            if vaddr.saturating_add((1 << size_bits) - 1) > USER_TOP {
                return Err(SyscallError::InvalidArgument(0));
            }
        }
    }
    let (table, index, bits) = lookup_pt_slot(s, root, vaddr);
    // The tables down to the frame's level must exist already.
    if bits != u64::from(size_bits) {
        return Err(SyscallError::FailedLookup {
            source: false,
            failure: LookupFailure::MissingCapability { bits_left: bits },
        });
    }
    let new_rights = rights.mask(CapRights::from_word(mask));
    Ok(FrameInvocation::Map {
        slot: a.slot,
        cap: Cap::Frame {
            base,
            size_bits,
            rights,
            is_device,
            mapping: Some(Mapping { asid, vaddr }),
        },
        table,
        index,
        // seL4's makeUserPTE: the attributes give the memory type and execute-never;
        // device memory is never mapped cacheable.
        pte: Pte::Page {
            frame: base,
            size_bits,
            rights: new_rights,
            executable: attr & VmAttributes::EXECUTE_NEVER.word() == 0,
            cacheable: attr & VmAttributes::PAGE_CACHEABLE.word() != 0 && !is_device,
        },
    })
}

/// The cache-operation cases of seL4's `decodeARMFrameInvocation` (Clean, Invalidate,
/// CleanInvalidate, Unify): a range of the frame, through its mapping.
fn decode_frame_cache_op(
    s: &State,
    a: &Args,
    label: FrameLabel,
) -> Result<FrameInvocation, SyscallError> {
    let Cap::Frame {
        base,
        size_bits,
        mapping,
        ..
    } = a.cap
    else {
        return Err(SyscallError::IllegalOperation);
    };
    let (Some(start), Some(end)) = (a.mr(0), a.mr(1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // Cache maintenance works through a mapping.
    let Some(m) = mapping else {
        return Err(SyscallError::IllegalOperation);
    };
    let root = find_vspace_for_asid(s, m.asid).map_err(failed_lookup(false))?;
    if end <= start {
        return Err(SyscallError::InvalidArgument(1));
    }
    // The range is relative to the frame and must lie inside it.
    if start >= 1 << size_bits || end > 1 << size_bits {
        return Err(SyscallError::InvalidArgument(0));
    }
    // The cap's mapping must still be the one in the table (it may be stale).
    let pte =
        mapped_page(s, root, m.vaddr, size_bits, base).ok_or(SyscallError::InvalidCapability(0))?;
    // Invalidating discards data, so it needs a writable mapping.
    if label == FrameLabel::InvalidateData && pte != VmRights::ReadWrite {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(FrameInvocation::CacheOp)
}

/// seL4's `performPageInvocationMap`, `performPageInvocationUnmap`,
/// `performPageGetAddress` and `performPageFlush`; GetAddress replies with the address.
pub fn invoke_frame(s: &mut State, inv: FrameInvocation) -> Option<Vec<u64>> {
    match inv {
        FrameInvocation::Map {
            slot,
            cap,
            table,
            index,
            pte,
        } => {
            if let Some(t) = table_mut(s, table) {
                t.entries.insert(index, pte);
            }
            s.set_cap(slot, cap);
            None
        }
        FrameInvocation::Unmap { slot } => {
            if let Cap::Frame {
                base,
                size_bits,
                rights,
                is_device,
                mapping,
            } = s.cap(slot)
            {
                if let Some(m) = mapping {
                    unmap_page(s, m.asid, m.vaddr, base, size_bits);
                }
                s.set_cap(
                    slot,
                    Cap::Frame {
                        base,
                        size_bits,
                        rights,
                        is_device,
                        mapping: None,
                    },
                );
            }
            None
        }
        FrameInvocation::GetAddress(p) => Some(vec![p]),
        FrameInvocation::CacheOp => None,
    }
}
