//! ASIDs: ASIDControl MakePool turns a 4 KiB untyped into an ASID pool; an ASID pool's
//! Assign gives a VSpace root one of its ASIDs.

use sel4_abi::{
    ASID_HIGH_BITS, ASID_POOL_BITS, ASID_POOL_INDEX_BITS, AsidControlLabel, AsidPoolLabel,
};

use crate::kernel::cspace::lookup_slot_for_cnode_op;
use crate::kernel::cte::ensure_empty_slot;
use crate::model::error::SyscallError;
use crate::model::{Cap, LookupFailure, Object, PAddr, SlotRef, State};

use super::Args;

/// A decoded MakePool: make an ASID pool from a 4 KiB untyped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsidControlInvocation {
    /// The untyped's slot (the pool's cap becomes its child).
    pub untyped: SlotRef,
    /// Where the pool's cap goes.
    pub dest: SlotRef,
    /// The pool's address (the untyped's).
    pub base: PAddr,
    /// The first ASID of the pool.
    pub asid_base: u16,
}

/// A decoded Assign: give a VSpace root an ASID of a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsidPoolInvocation {
    /// The VSpace cap's slot.
    pub vspace_slot: SlotRef,
    /// The pool.
    pub pool: PAddr,
    /// The ASID assigned.
    pub asid: u16,
}

/// seL4's `decodeARMASIDControlInvocation`.
pub fn decode_asid_control(s: &State, a: &Args) -> Result<AsidControlInvocation, SyscallError> {
    // MakePool is the only ASIDControl invocation.
    let AsidControlLabel::MakePool = a.family_label()?;
    let (Some(index), Some(depth), Some((ut, ut_slot)), Some((root, _))) =
        (a.mr(0), a.mr(1), a.excap(0), a.excap(1))
    else {
        return Err(SyscallError::TruncatedMessage);
    };
    // The first free entry of the ASID table gets the pool.
    let Some(hi) = (0..1u64 << ASID_HIGH_BITS).find(|i| !s.asid_table.contains_key(i)) else {
        return Err(SyscallError::DeleteFirst);
    };
    // The pool is made from an untyped of exactly a pool's size, in normal memory.
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device: false,
        ..
    } = ut
    else {
        return Err(SyscallError::InvalidCapability(1));
    };
    if u64::from(size_bits) != ASID_POOL_BITS {
        return Err(SyscallError::InvalidCapability(1));
    }
    if s.has_children(ut_slot) {
        return Err(SyscallError::RevokeFirst);
    }
    let dest = lookup_slot_for_cnode_op(s, false, root, index, depth)?;
    ensure_empty_slot(s, dest)?;
    Ok(AsidControlInvocation {
        untyped: ut_slot,
        dest,
        base: ptr,
        asid_base: (hi << ASID_POOL_INDEX_BITS) as u16,
    })
}

/// seL4's `decodeARMASIDPoolInvocation`.
pub fn decode_asid_pool(s: &State, a: &Args) -> Result<AsidPoolInvocation, SyscallError> {
    let Cap::AsidPool { base, asid_base } = a.cap else {
        return Err(SyscallError::IllegalOperation);
    };
    // Assign is the only ASID pool invocation.
    let AsidPoolLabel::Assign = a.family_label()?;
    let Some((vcap, vslot)) = a.excap(0) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // Only an unassigned VSpace root can get an ASID.
    if !matches!(vcap, Cap::VSpace { asid: None, .. }) {
        return Err(SyscallError::InvalidCapability(1));
    }
    let hi = u64::from(asid_base) >> ASID_POOL_INDEX_BITS;
    let Some(&pool) = s.asid_table.get(&hi) else {
        return Err(SyscallError::FailedLookup {
            source: false,
            failure: LookupFailure::InvalidRoot,
        });
    };
    if pool != base {
        return Err(SyscallError::InvalidCapability(0));
    }
    let Some(Object::AsidPool(entries)) = s.objects.get(&pool) else {
        return Err(SyscallError::InvalidCapability(0));
    };
    // ASID 0 is never handed out: it means "no ASID".
    let free = (0..1u64 << ASID_POOL_INDEX_BITS)
        .find(|&i| u64::from(asid_base) + i != 0 && !entries.contains_key(&i));
    let Some(i) = free else {
        return Err(SyscallError::DeleteFirst);
    };
    Ok(AsidPoolInvocation {
        vspace_slot: vslot,
        pool,
        asid: (u64::from(asid_base) + i) as u16,
    })
}

/// seL4's `performASIDControlInvocation`: the untyped is used up by the new pool, which
/// takes the ASID table entry MakePool chose.
pub fn invoke_asid_control(s: &mut State, inv: AsidControlInvocation) {
    let AsidControlInvocation {
        untyped,
        dest,
        base,
        asid_base,
    } = inv;
    // The untyped is used up by the pool.
    if let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        ..
    } = s.cap(untyped)
    {
        s.set_cap(
            untyped,
            Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index: 1 << size_bits,
            },
        );
    }
    s.zero_memory(base, ASID_POOL_BITS);
    s.objects.insert(base, Object::AsidPool(Default::default()));
    s.cte_insert(Cap::AsidPool { base, asid_base }, untyped, dest);
    s.asid_table
        .insert(u64::from(asid_base) >> ASID_POOL_INDEX_BITS, base);
}

/// seL4's `performASIDPoolInvocation`: the pool records the VSpace under the ASID, and the
/// VSpace (object and cap) records the ASID.
pub fn invoke_asid_pool(s: &mut State, inv: AsidPoolInvocation) {
    let AsidPoolInvocation {
        vspace_slot,
        pool,
        asid,
    } = inv;
    if let Cap::VSpace { base, .. } = s.cap(vspace_slot) {
        if let Some(Object::AsidPool(p)) = s.objects.get_mut(&pool) {
            p.insert(u64::from(asid) & ((1 << ASID_POOL_INDEX_BITS) - 1), base);
        }
        if let Some(Object::VSpace { asid: a, .. }) = s.objects.get_mut(&base) {
            *a = Some(asid);
        }
        s.set_cap(
            vspace_slot,
            Cap::VSpace {
                base,
                asid: Some(asid),
            },
        );
    }
}
