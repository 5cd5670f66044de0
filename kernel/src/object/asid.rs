//! ASID invocations, as seL4's decodeARMASIDControlInvocation and
//! decodeARMASIDPoolInvocation: ASIDControl makes an ASID pool from a 4 KiB untyped for the
//! next free block of ASIDs, and a pool assigns its first free ASID to a VSpace.

use super::Args;
use crate::kernel::cspace::lookup_slot_for_cnode_op;
use crate::kernel::cte::{cte_insert, ensure_empty_slot, ensure_no_children};
use crate::kernel::vspace::assign_asid;
use crate::machine::journal;
use crate::machine::{Machine, Memory};
use crate::model::{Cap, KernelState, LookupFailure, Slot, SyscallError};
use sel4_abi::{ASID_POOL_INDEX_BITS, AsidControlLabel, AsidPoolLabel};

/// A validated MakePool: the untyped (cap in `parent`) becomes the pool for the ASIDs of
/// block `index` of the ASID table, its cap in `dest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsidControlInvocation {
    /// ARMASIDControlMakePool.
    MakePool {
        parent: Slot,
        ptr: u64,
        size_bits: u8,
        dest: Slot,
        index: usize,
    },
}

/// A validated Assign: ASID `asid` of the pool at `pool` names the VSpace at `vspace`
/// (whose cap, in `vspace_slot`, records it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsidPoolInvocation {
    /// ARMASIDPoolAssign.
    Assign {
        vspace_slot: Slot,
        vspace: u64,
        pool: u64,
        asid: u16,
    },
}

/// seL4's decodeARMASIDControlInvocation: MakePool (index, depth), with the untyped as extra
/// cap 0 and the destination root as extra cap 1.
pub fn decode_asid_control(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
) -> Result<AsidControlInvocation, SyscallError> {
    let Ok(label) = AsidControlLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        AsidControlLabel::MakePool => {}
    }
    let (Some((untyped, parent)), Some((root, _))) = (a.excap(m, 0), a.excap(m, 1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    if a.length < 2 {
        return Err(SyscallError::TruncatedMessage);
    }
    // A free block of ASIDs.
    let Some(index) = ks.asid_table.iter().position(|&p| p == 0) else {
        return Err(SyscallError::DeleteFirst);
    };
    // The pool is made from a whole 4 KiB untyped of normal memory.
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device: false,
        ..
    } = untyped
    else {
        return Err(SyscallError::InvalidCapability(1));
    };
    if size_bits as u64 != sel4_abi::ASID_POOL_BITS {
        return Err(SyscallError::InvalidCapability(1));
    }
    ensure_no_children(m, parent)?;
    let dest = lookup_slot_for_cnode_op(m, false, root, a.mr(m, 0), a.mr(m, 1))?;
    ensure_empty_slot(m, dest)?;
    Ok(AsidControlInvocation::MakePool {
        parent,
        ptr,
        size_bits,
        dest,
        index,
    })
}

/// seL4's performASIDControlInvocation: the untyped is used up, the pool is zeroed and
/// becomes the block's pool.
pub fn invoke_asid_control(ks: &mut KernelState, m: &mut impl Machine, inv: AsidControlInvocation) {
    let AsidControlInvocation::MakePool {
        parent,
        ptr,
        size_bits,
        dest,
        index,
    } = inv;
    parent.set_cap(
        m,
        Cap::Untyped {
            ptr,
            size_bits,
            is_device: false,
            free_index: 1 << size_bits,
        },
    );
    journal::zero(m, ptr, 1 << sel4_abi::ASID_POOL_BITS);
    let asid_base = ((index as u64) << ASID_POOL_INDEX_BITS) as u16;
    cte_insert(
        m,
        Cap::AsidPool {
            base: ptr,
            asid_base,
        },
        parent,
        dest,
    );
    ks.asid_table[index] = ptr;
}

/// seL4's decodeARMASIDPoolInvocation: Assign gives the VSpace of extra cap 0 (which has no
/// ASID yet) the pool's first free ASID.
pub fn decode_asid_pool(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
) -> Result<AsidPoolInvocation, SyscallError> {
    let Cap::AsidPool { base, asid_base } = a.cap else {
        return Err(SyscallError::InvalidCapability(0));
    };
    let Ok(label) = AsidPoolLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        AsidPoolLabel::Assign => {}
    }
    let Some((vcap, vspace_slot)) = a.excap(m, 0) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let Cap::VSpace {
        base: vspace,
        asid: None,
    } = vcap
    else {
        return Err(SyscallError::InvalidCapability(1));
    };
    let pool = ks.asid_table[(asid_base as u64 >> ASID_POOL_INDEX_BITS) as usize];
    if pool == 0 {
        return Err(SyscallError::FailedLookup {
            source: false,
            fault: LookupFailure::InvalidRoot,
        });
    }
    if pool != base {
        return Err(SyscallError::InvalidCapability(0));
    }
    // The first free ASID; ASID 0 is never used.
    let free = (0..1u64 << ASID_POOL_INDEX_BITS)
        .find(|&i| asid_base as u64 + i != 0 && m.read_word(pool + i * 8) == 0);
    let Some(i) = free else {
        return Err(SyscallError::DeleteFirst);
    };
    Ok(AsidPoolInvocation::Assign {
        vspace_slot,
        vspace,
        pool,
        asid: (asid_base as u64 + i) as u16,
    })
}

/// seL4's performASIDPoolInvocation: the VSpace cap records its ASID, and the pool names it.
pub fn invoke_asid_pool(m: &mut impl Machine, inv: AsidPoolInvocation) {
    let AsidPoolInvocation::Assign {
        vspace_slot,
        vspace,
        pool,
        asid,
    } = inv;
    vspace_slot.set_cap(
        m,
        Cap::VSpace {
            base: vspace,
            asid: Some(asid),
        },
    );
    assign_asid(m, pool, asid, vspace);
}
