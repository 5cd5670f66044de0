//! Frame invocations, as seL4's decodeARMFrameInvocation (arch/arm/64/kernel/vspace.c):
//! Map (or remap with new rights), Unmap, GetAddress, and cache maintenance on the frame.

use super::Args;
use crate::kernel::ipc::reply_from_kernel;
use crate::kernel::thread::set_thread_state;
use crate::kernel::vspace::{find_vspace_for_asid, lookup_pt_slot, unmap_page, vspace_arg};
use crate::machine::{CacheOp, Machine, Memory};
use crate::model::ThreadState;
use crate::model::pte::{frame_pte, is_valid, output_address, user_writable};
use crate::model::{Cap, FrameSize, KernelState, LookupFailure, Mapping, Slot, SyscallError};
use crate::mutant::{self, Mutant};
use sel4_abi::{CapRights, FrameLabel, VmAttributes};

/// A validated frame invocation on the frame cap in `slot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameInvocation {
    /// Map: the cap records the mapping, and the page-table entry at `pte_slot` becomes
    /// `pte`.
    Map {
        slot: Slot,
        cap: Cap,
        pte_slot: u64,
        pte: u64,
        mapping: Mapping,
        size: FrameSize,
    },
    /// Unmap: the mapping the cap records goes, if it is still there.
    Unmap { slot: Slot, cap: Cap },
    /// GetAddress: the frame's physical address is the reply.
    GetAddress { base: u64 },
    /// A cache operation on `len` bytes of physical memory at `pa`.
    CacheOp { op: CacheOp, pa: u64, len: u64 },
}

/// seL4's decodeARMFrameInvocation.
pub fn decode_frame(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
) -> Result<FrameInvocation, SyscallError> {
    let Cap::Frame { base, .. } = a.cap else {
        return Err(SyscallError::InvalidCapability(0));
    };
    let Ok(label) = FrameLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        FrameLabel::Map => decode_frame_map(ks, m, a),
        FrameLabel::Unmap => Ok(FrameInvocation::Unmap {
            slot: a.slot,
            cap: a.cap,
        }),
        FrameLabel::GetAddress => Ok(FrameInvocation::GetAddress { base }),
        FrameLabel::CleanData => decode_frame_cache_op(ks, m, a, CacheOp::Clean),
        FrameLabel::InvalidateData => decode_frame_cache_op(ks, m, a, CacheOp::Invalidate),
        FrameLabel::CleanInvalidateData => {
            decode_frame_cache_op(ks, m, a, CacheOp::CleanInvalidate)
        }
        FrameLabel::UnifyInstruction => decode_frame_cache_op(ks, m, a, CacheOp::Unify),
    }
}

/// ARMPageMap: (vaddr, rights, attributes), the VSpace as extra cap 0. seL4's order: the
/// VSpace (its ASID must still name it), the alignment, then the frame's own mapping, then
/// the table level that maps this size of frame.
fn decode_frame_map(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
) -> Result<FrameInvocation, SyscallError> {
    let Cap::Frame {
        base,
        size,
        rights,
        is_device,
        mapping,
    } = a.cap
    else {
        return Err(SyscallError::InvalidCapability(0));
    };
    let Some((vcap, _)) = a.excap(m, 0).filter(|_| a.length >= 3) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let (vaddr, rights_word) = (a.mr(m, 0), a.mr(m, 1));
    let attr = VmAttributes::from_word(a.mr(m, 2));
    let new_rights = match a.cap.mask_rights(CapRights::from_word(rights_word)) {
        Cap::Frame { rights, .. } => rights,
        _ => rights,
    };
    let Cap::VSpace { asid: Some(_), .. } = vcap else {
        return Err(SyscallError::InvalidCapability(1));
    };
    let bits = size.bits();
    let (root, asid) = vspace_arg(ks, m, Some(vcap))?;
    if vaddr & ((1 << bits) - 1) != 0 {
        return Err(SyscallError::AlignmentError);
    }
    match mapping {
        // A mapped frame may only be remapped (new rights) where it is.
        Some(map) if map.asid != asid => return Err(SyscallError::InvalidCapability(1)),
        Some(map) if map.vaddr != vaddr => return Err(SyscallError::InvalidArgument(0)),
        Some(_) => {}
        None if vaddr
            .checked_add((1 << bits) - 1)
            .is_none_or(|e| e > sel4_abi::USER_TOP) =>
        {
            return Err(SyscallError::InvalidArgument(0));
        }
        None => {}
    }
    let (pte_slot, left) = lookup_pt_slot(m, root, vaddr);
    if left != bits {
        return Err(SyscallError::FailedLookup {
            source: false,
            fault: LookupFailure::MissingCapability { bits_left: left },
        });
    }
    let mapping = Mapping { asid, vaddr };
    // Device memory is never mapped cacheable.
    let attr = if is_device {
        attr - VmAttributes::PAGE_CACHEABLE
    } else {
        attr
    };
    Ok(FrameInvocation::Map {
        slot: a.slot,
        cap: Cap::Frame {
            base,
            size,
            rights,
            is_device,
            mapping: Some(mapping),
        },
        pte_slot,
        pte: frame_pte(base, size, new_rights, attr),
        mapping,
        size,
    })
}

/// The cache operations: (start, end) offsets inside the frame, which must be mapped where
/// its cap says.
fn decode_frame_cache_op(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
    op: CacheOp,
) -> Result<FrameInvocation, SyscallError> {
    let Cap::Frame {
        base,
        size,
        mapping,
        ..
    } = a.cap
    else {
        return Err(SyscallError::InvalidCapability(0));
    };
    if a.length < 2 {
        return Err(SyscallError::TruncatedMessage);
    }
    let Some(map) = mapping else {
        return Err(SyscallError::IllegalOperation);
    };
    let Some(root) = find_vspace_for_asid(ks, m, map.asid.get()) else {
        return Err(SyscallError::FailedLookup {
            source: false,
            fault: LookupFailure::InvalidRoot,
        });
    };
    let (start, end) = (a.mr(m, 0), a.mr(m, 1));
    if end <= start {
        return Err(SyscallError::InvalidArgument(1));
    }
    let page = 1u64 << size.bits();
    if start >= page || end > page {
        return Err(SyscallError::InvalidArgument(0));
    }
    // The kernel flushes through the user's mapping, so the cap's record of it must still
    // be true (seL4 at EL1): the entry at its address maps this frame, at this size.
    let (slot, bits) = lookup_pt_slot(m, root, map.vaddr);
    let desc = m.read_word(slot);
    if bits != size.bits() || !is_valid(desc) || output_address(desc) != base {
        return Err(SyscallError::InvalidCapability(0));
    }
    // Invalidating discards data, so it needs a writable mapping.
    if op == CacheOp::Invalidate && !user_writable(desc) {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(FrameInvocation::CacheOp {
        op,
        pa: base + start,
        len: end - start,
    })
}

/// Performs a decoded frame invocation (seL4's performPageInvocation*).
pub fn invoke_frame(ks: &mut KernelState, m: &mut impl Machine, a: &Args, inv: FrameInvocation) {
    match inv {
        FrameInvocation::Map {
            slot,
            cap,
            pte_slot,
            pte,
            mapping,
            size,
        } => {
            slot.set_cap(m, cap);
            // A remap or a replaced frame may leave a stale translation of this page.
            m.write_word(pte_slot, pte);
            let page = (size == FrameSize::Small).then_some(mapping.vaddr);
            m.flush_tlb(mapping.asid.get(), page);
        }
        // seL4's performPageInvocationUnmap: the mapping goes, and the cap records none.
        FrameInvocation::Unmap {
            slot,
            cap:
                Cap::Frame {
                    base,
                    size,
                    rights,
                    is_device,
                    mapping,
                },
        } => {
            if let Some(map) = mapping {
                unmap_page(ks, m, base, size, map);
            }
            let kept = mutant::on(Mutant::UnmapKeepsMapping)
                .then_some(mapping)
                .flatten();
            let cap = Cap::Frame {
                base,
                size,
                rights,
                is_device,
                mapping: kept,
            };
            slot.set_cap(m, cap);
        }
        FrameInvocation::Unmap { .. } => {}
        FrameInvocation::GetAddress { base } => {
            if a.call {
                reply_from_kernel(m, a.thread, [base]);
            }
            set_thread_state(ks, m, a.thread, ThreadState::Running);
        }
        // The machine skips memory its kernel window does not map (device memory above RAM).
        FrameInvocation::CacheOp { op, pa, len } => m.cache_op(op, pa, len),
    }
}
