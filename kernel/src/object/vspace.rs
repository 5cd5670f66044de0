//! VSpace invocations, as seL4's decodeARMVSpaceRootInvocation: cache maintenance over a
//! range of an address space, within one page.

use super::Args;
use crate::kernel::vspace::{find_vspace_for_asid, lookup_pt_slot};
use crate::machine::{CacheOp, Machine, Memory};
use crate::model::pte::{is_valid, output_address, user_writable};
use crate::model::{Cap, KernelState, LookupFailure, SyscallError};
use sel4_abi::VSpaceLabel;

/// A validated VSpace invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VSpaceInvocation {
    /// Nothing is mapped at the start: nothing can be cached for it, and seL4 succeeds
    /// without doing anything.
    NothingMapped,
    /// A cache operation on `len` bytes of physical memory at `pa`.
    Flush { op: CacheOp, pa: u64, len: u64 },
}

/// seL4's decodeARMVSpaceRootInvocation: (start, end) virtual addresses.
pub fn decode_vspace(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
) -> Result<VSpaceInvocation, SyscallError> {
    let Ok(label) = VSpaceLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    let op = match label {
        VSpaceLabel::CleanData => CacheOp::Clean,
        VSpaceLabel::InvalidateData => CacheOp::Invalidate,
        VSpaceLabel::CleanInvalidateData => CacheOp::CleanInvalidate,
        VSpaceLabel::UnifyInstruction => CacheOp::Unify,
    };
    if a.length < 2 {
        return Err(SyscallError::TruncatedMessage);
    }
    let (start, end) = (a.mr(m, 0), a.mr(m, 1));
    if end <= start {
        return Err(SyscallError::InvalidArgument(1));
    }
    // Kernel addresses are not user level's to flush.
    if end > sel4_abi::USER_TOP {
        return Err(SyscallError::IllegalOperation);
    }
    let Cap::VSpace {
        base,
        asid: Some(asid),
    } = a.cap
    else {
        return Err(SyscallError::InvalidCapability(0));
    };
    match find_vspace_for_asid(ks, m, asid) {
        None => {
            return Err(SyscallError::FailedLookup {
                source: false,
                fault: LookupFailure::InvalidRoot,
            });
        }
        Some(v) if v != base => return Err(SyscallError::InvalidCapability(0)),
        Some(_) => {}
    }
    let (slot, bits) = lookup_pt_slot(m, base, start);
    let desc = m.read_word(slot);
    if !is_valid(desc) || bits > sel4_abi::HUGE_PAGE_BITS {
        return Ok(VSpaceInvocation::NothingMapped);
    }
    // The range must lie in the page that maps its start.
    let page_mask = (1u64 << bits) - 1;
    if start & !page_mask != (end - 1) & !page_mask {
        return Err(SyscallError::RangeError(
            start,
            (start & !page_mask) + page_mask,
        ));
    }
    // Invalidating discards data, so it needs a writable mapping.
    if op == CacheOp::Invalidate && !user_writable(desc) {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(VSpaceInvocation::Flush {
        op,
        pa: output_address(desc) + (start & page_mask),
        len: end - start,
    })
}

/// Performs a decoded VSpace invocation (seL4's performVSpaceFlush).
pub fn invoke_vspace(m: &mut impl Machine, inv: VSpaceInvocation) {
    match inv {
        VSpaceInvocation::NothingMapped => {}
        VSpaceInvocation::Flush { op, pa, len } => m.cache_op(op, pa, len),
    }
}
