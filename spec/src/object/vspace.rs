//! VSpace roots: the cache operations over a range of an address space (validated; the model
//! has no caches). Mapping into a VSpace is the frame's and the page table's invocation.

use sel4_abi::{USER_TOP, VSpaceLabel};

use crate::kernel::vspace::{entry, find_vspace_for_asid, lookup_pt_slot};
use crate::model::error::{SyscallError, failed_lookup};
use crate::model::{Cap, Pte, State, VmRights};

use super::Args;

/// A decoded VSpace invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VSpaceInvocation {
    /// A cache operation: validated, with no effect the model can see.
    CacheOp,
}

/// seL4's `decodeARMVSpaceRootInvocation`: Clean, Invalidate, CleanInvalidate and Unify
/// over `[start, end)`.
pub fn decode_vspace(s: &State, a: &Args) -> Result<VSpaceInvocation, SyscallError> {
    let Cap::VSpace { base, asid } = a.cap else {
        return Err(SyscallError::IllegalOperation);
    };
    let label: VSpaceLabel = a.family_label()?;
    // Every VSpace method is a cache operation over a range; they differ only in the
    // rights Invalidate needs.
    match label {
        VSpaceLabel::CleanData
        | VSpaceLabel::InvalidateData
        | VSpaceLabel::CleanInvalidateData
        | VSpaceLabel::UnifyInstruction => {}
    }
    let (Some(start), Some(end)) = (a.mr(0), a.mr(1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    if end <= start {
        return Err(SyscallError::InvalidArgument(1));
    }
    // Kernel addresses are not the caller's to flush.
    if end > USER_TOP {
        return Err(SyscallError::IllegalOperation);
    }
    let Some(asid) = asid else {
        return Err(SyscallError::InvalidCapability(0));
    };
    let root = find_vspace_for_asid(s, asid).map_err(failed_lookup(false))?;
    if root != base {
        return Err(SyscallError::InvalidCapability(0));
    }
    // Nothing mapped at start: nothing can be cached, so success.
    let (table, index, bits) = lookup_pt_slot(s, root, start);
    let Some(Pte::Page { rights, .. }) = entry(s, table, index) else {
        return Ok(VSpaceInvocation::CacheOp);
    };
    // One call flushes within one page.
    let page = !((1u64 << bits) - 1);
    if start & page != (end - 1) & page {
        return Err(SyscallError::RangeError {
            min: start,
            max: (start & page) + ((1 << bits) - 1),
        });
    }
    // Invalidating discards data, so it needs a writable mapping.
    if label == VSpaceLabel::InvalidateData && rights != VmRights::ReadWrite {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(VSpaceInvocation::CacheOp)
}

/// seL4's `performVSpaceInvocation`.
pub fn invoke_vspace(_s: &mut State, inv: VSpaceInvocation) {
    match inv {
        // The model has no caches: a validated cache operation changes nothing.
        VSpaceInvocation::CacheOp => {}
    }
}
