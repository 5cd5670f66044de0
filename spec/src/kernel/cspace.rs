//! Capability lookup: resolving a capability pointer through guards and radices to a slot.

use sel4_abi::WORD_BITS;

use crate::model::error::{SyscallError, failed_lookup};
use crate::model::{Cap, LookupFailure, PAddr, SlotRef, State};

use super::thread::TCB_CTABLE;

/// The result of resolving address bits: the slot reached and the bits not yet resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The slot reached.
    pub slot: SlotRef,
    /// Bits left when a non-CNode cap was met (0 when all were resolved).
    pub bits_remaining: u64,
}

/// The address of slot `index` of the CNode (or TCB) at `ptr`.
pub fn slot_at(ptr: PAddr, index: u64) -> SlotRef {
    ptr + (index << sel4_abi::SLOT_BITS)
}

/// seL4's `resolveAddressBits`: walk `n_bits` of `cptr` (from the top) from `node`.
pub fn resolve_address_bits(
    s: &State,
    node: Cap,
    cptr: u64,
    mut n_bits: u64,
) -> Result<Resolved, LookupFailure> {
    // The walk must start at a CNode: anything else has no slots to index.
    let Cap::CNode {
        mut ptr,
        mut radix,
        mut guard_size,
        mut guard,
    } = node
    else {
        return Err(LookupFailure::InvalidRoot);
    };
    loop {
        let (r, g) = (u64::from(radix), u64::from(guard_size));
        let level = r + g;
        // Every CNode resolves at least one bit (radix >= 1), so the walk ends; a level of
        // zero could only come from a malformed boot configuration.
        if level == 0 {
            return Err(LookupFailure::DepthMismatch {
                bits_left: n_bits,
                bits_found: 0,
            });
        }
        // The bits the guard covers must be present and equal the stored guard; this is
        // what lets a small CNode stand for a large, sparse address space.
        let shift = n_bits.wrapping_sub(g) & (WORD_BITS - 1);
        let found = if g == 0 {
            0
        } else {
            (cptr >> shift) & (u64::MAX >> (WORD_BITS - g))
        };
        if g > n_bits || found != guard {
            return Err(LookupFailure::GuardMismatch {
                bits_left: n_bits,
                guard_found: guard,
                guard_size: g,
            });
        }
        // The level's bits must fit in what remains; the depth the caller gave is exact.
        if level > n_bits {
            return Err(LookupFailure::DepthMismatch {
                bits_left: n_bits,
                bits_found: level,
            });
        }
        let offset = if r == 0 {
            0
        } else {
            (cptr >> (n_bits - level)) & (u64::MAX >> (WORD_BITS - r))
        };
        let slot = slot_at(ptr, offset);
        if n_bits == level {
            return Ok(Resolved {
                slot,
                bits_remaining: 0,
            });
        }
        n_bits -= level;
        // A non-CNode cap ends the walk early; the caller decides whether bits may remain.
        match s.cap(slot) {
            Cap::CNode {
                ptr: p,
                radix: rr,
                guard_size: gs,
                guard: gg,
            } => {
                ptr = p;
                radix = rr;
                guard_size = gs;
                guard = gg;
            }
            _ => {
                return Ok(Resolved {
                    slot,
                    bits_remaining: n_bits,
                });
            }
        }
    }
}

/// seL4's `lookupSlot`: resolve a whole word of `cptr` in `thread`'s CSpace.
pub fn lookup_slot(s: &State, thread: PAddr, cptr: u64) -> Result<SlotRef, LookupFailure> {
    let root = s.cap(slot_at(thread, TCB_CTABLE));
    resolve_address_bits(s, root, cptr, WORD_BITS).map(|r| r.slot)
}

/// seL4's `lookupCapAndSlot`.
pub fn lookup_cap_and_slot(
    s: &State,
    thread: PAddr,
    cptr: u64,
) -> Result<(Cap, SlotRef), LookupFailure> {
    lookup_slot(s, thread, cptr).map(|slot| (s.cap(slot), slot))
}

/// seL4's `lookupSlotForCNodeOp`: resolve exactly `depth` bits of `index` from `root`, as
/// CNode invocations address slots. `source` says which slot the error will name.
pub fn lookup_slot_for_cnode_op(
    s: &State,
    source: bool,
    root: Cap,
    index: u64,
    depth: u64,
) -> Result<SlotRef, SyscallError> {
    let fail = failed_lookup(source);
    // Addressing starts at a CNode cap the caller supplies.
    if !matches!(root, Cap::CNode { .. }) {
        return Err(fail(LookupFailure::InvalidRoot));
    }
    // A depth of 0 addresses nothing and more than a word cannot be in a cptr.
    if !(1..=WORD_BITS).contains(&depth) {
        return Err(SyscallError::RangeError {
            min: 1,
            max: WORD_BITS,
        });
    }
    let r = resolve_address_bits(s, root, index, depth).map_err(&fail)?;
    // The depth must end exactly at a slot: bits left over mean a non-CNode cap was met.
    if r.bits_remaining != 0 {
        return Err(fail(LookupFailure::DepthMismatch {
            bits_left: r.bits_remaining,
            bits_found: 0,
        }));
    }
    Ok(r.slot)
}
