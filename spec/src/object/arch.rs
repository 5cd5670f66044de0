//! AArch64 objects: frames, page tables, VSpace roots, ASID control and ASID pools (abstract).

use sel4_abi::{ASID_HIGH_BITS, ASID_POOL_BITS, ASID_POOL_INDEX_BITS, InvocationLabel as L};

use crate::kernel::cspace::lookup_slot_for_cnode_op;
use crate::kernel::cte::ensure_empty_slot;
use crate::model::error::SyscallError;
use crate::model::{Cap, LookupFailure, Object, PAddr, SlotRef, State};

use super::Args;

/// A decoded architecture invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArchOp {
    /// Make an ASID pool from a 4 KiB untyped.
    MakePool {
        untyped: SlotRef,
        dest: SlotRef,
        base: PAddr,
        asid_base: u16,
    },
    /// Assign an ASID to a VSpace.
    Assign {
        vspace_slot: SlotRef,
        pool: PAddr,
        asid: u16,
    },
}

fn failed(failure: LookupFailure) -> SyscallError {
    SyscallError::FailedLookup {
        source: false,
        failure,
    }
}

/// seL4's `Arch_decodeInvocation` for AArch64.
pub fn decode(s: &State, a: &Args) -> Result<ArchOp, SyscallError> {
    let trunc = SyscallError::TruncatedMessage;
    let label = L::from_word(a.label);
    match a.cap {
        Cap::AsidControl => {
            if label != Some(L::ArmAsidControlMakePool) {
                return Err(SyscallError::IllegalOperation);
            }
            let (Some(index), Some(depth), Some((ut, ut_slot)), Some((root, _))) =
                (a.mr(0), a.mr(1), a.excap(0), a.excap(1))
            else {
                return Err(trunc);
            };
            // The first free entry of the ASID table gets the pool.
            let Some(hi) = (0..1u64 << ASID_HIGH_BITS).find(|i| !s.asid_table.contains_key(i))
            else {
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
            Ok(ArchOp::MakePool {
                untyped: ut_slot,
                dest,
                base: ptr,
                asid_base: (hi << ASID_POOL_INDEX_BITS) as u16,
            })
        }
        Cap::AsidPool { base, asid_base } => {
            if label != Some(L::ArmAsidPoolAssign) {
                return Err(SyscallError::IllegalOperation);
            }
            let Some((vcap, vslot)) = a.excap(0) else {
                return Err(trunc);
            };
            // Only an unassigned VSpace root can get an ASID.
            if !matches!(vcap, Cap::VSpace { asid: None, .. }) {
                return Err(SyscallError::InvalidCapability(1));
            }
            let hi = u64::from(asid_base) >> ASID_POOL_INDEX_BITS;
            let Some(&pool) = s.asid_table.get(&hi) else {
                return Err(failed(LookupFailure::InvalidRoot));
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
            Ok(ArchOp::Assign {
                vspace_slot: vslot,
                pool,
                asid: (u64::from(asid_base) + i) as u16,
            })
        }
        _ => Err(SyscallError::IllegalOperation),
    }
}

/// Perform an architecture invocation; GetAddress replies with the address.
pub fn invoke(s: &mut State, op: ArchOp) -> Option<Vec<u64>> {
    match op {
        ArchOp::MakePool {
            untyped,
            dest,
            base,
            asid_base,
        } => {
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
            None
        }
        ArchOp::Assign {
            vspace_slot,
            pool,
            asid,
        } => {
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
            None
        }
    }
}
