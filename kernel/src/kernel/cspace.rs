//! CSpace addressing: resolving a capability pointer through guarded CNodes (seL4's
//! resolveAddressBits) and the lookup failures it reports.

use crate::machine::Memory;
use crate::model::tcb::slot as tcb_slot;
use crate::model::{Cap, LookupFailure, RawCap, Slot, SyscallError, Tcb};

/// A resolved slot and how many bits of the pointer were left unresolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The slot the walk ended at.
    pub slot: Slot,
    /// Bits of the pointer not consumed (non-zero when the walk met a non-CNode cap).
    pub bits_remaining: u64,
}

const fn mask(bits: u64) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// Resolves the low `depth` bits of `cptr` starting at the CNode cap `root`.
pub fn resolve_address_bits(
    m: &impl Memory,
    root: Cap,
    cptr: u64,
    depth: u64,
) -> Result<Resolved, LookupFailure> {
    resolve(m, RawCap(root.encode()), cptr, depth)
}

/// [`resolve_address_bits`] on the root cap's words: the walk reads each level's CNode cap
/// straight from its slot.
#[inline]
fn resolve(
    m: &impl Memory,
    root: RawCap,
    cptr: u64,
    depth: u64,
) -> Result<Resolved, LookupFailure> {
    let Some(mut node) = root.cnode() else {
        return Err(LookupFailure::InvalidRoot);
    };
    let mut n_bits = depth;
    loop {
        let (ptr, radix, guard_size, guard) = node;
        let level_bits = radix + guard_size;
        // The guard is compared first: a pointer must name the CNode's guard exactly, and
        // a guard longer than the bits left cannot match.
        let found = (cptr >> (n_bits.wrapping_sub(guard_size) & 63)) & mask(guard_size);
        if guard_size > n_bits || found != guard {
            return Err(LookupFailure::GuardMismatch {
                bits_left: n_bits,
                guard_found: guard,
                guard_size,
            });
        }
        // A level consumes its guard and radix together; fewer bits left is a depth error.
        if level_bits > n_bits {
            return Err(LookupFailure::DepthMismatch {
                bits_left: n_bits,
                bits_found: level_bits,
            });
        }
        let index = (cptr >> (n_bits - level_bits)) & mask(radix);
        let slot = Slot::of(ptr, index);
        if n_bits == level_bits {
            return Ok(Resolved {
                slot,
                bits_remaining: 0,
            });
        }
        n_bits -= level_bits;
        // Only a CNode cap continues the walk; anything else ends it with bits left over.
        match slot.raw(m).cnode() {
            Some(next) => node = next,
            None => {
                return Ok(Resolved {
                    slot,
                    bits_remaining: n_bits,
                });
            }
        }
    }
}

/// seL4's lookupSlot: resolves `cptr` at full word depth in `thread`'s CSpace.
#[inline]
pub fn lookup_slot(m: &impl Memory, thread: Tcb, cptr: u64) -> Result<Slot, LookupFailure> {
    let root = thread.slot(tcb_slot::CTABLE).raw(m);
    resolve(m, root, cptr, sel4_abi::WORD_BITS).map(|r| r.slot)
}

/// seL4's lookupCap: the cap `cptr` names in `thread`'s CSpace (Null if the slot is empty).
pub fn lookup_cap(m: &impl Memory, thread: Tcb, cptr: u64) -> Result<Cap, LookupFailure> {
    lookup_slot(m, thread, cptr).map(|s| s.cap(m))
}

/// seL4's lookupSlotForCNodeOp: resolves `index` to exactly `depth` bits under the CNode
/// cap `root`, for a CNode operation's argument. `source` says which argument failed.
pub fn lookup_slot_for_cnode_op(
    m: &impl Memory,
    source: bool,
    root: Cap,
    index: u64,
    depth: u64,
) -> Result<Slot, SyscallError> {
    let failed = |fault| SyscallError::FailedLookup { source, fault };
    // The root must be a CNode.
    if !matches!(root, Cap::CNode { .. }) {
        return Err(failed(LookupFailure::InvalidRoot));
    }
    // A depth names between 1 and 64 bits.
    if !(1..=sel4_abi::WORD_BITS).contains(&depth) {
        return Err(SyscallError::RangeError(1, sel4_abi::WORD_BITS));
    }
    let r = resolve_address_bits(m, root, index, depth).map_err(failed)?;
    // The whole depth must be used: stopping early at a non-CNode cap is a depth error.
    if r.bits_remaining != 0 {
        return Err(failed(LookupFailure::DepthMismatch {
            bits_left: r.bits_remaining,
            bits_found: 0,
        }));
    }
    Ok(r.slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;

    const L1: u64 = 0x10000; // a 2^8-slot CNode, guard 0 of size 56 (a 64-bit single level)
    const L2: u64 = 0x20000; // a 2^4-slot CNode, guard 0b101 of size 3

    fn two_levels() -> (SimMachine, Cap) {
        let mut m = SimMachine::new(0x10000, 0x20000);
        let root = Cap::CNode {
            ptr: L1,
            radix: 8,
            guard_size: 56,
            guard: 0,
        };
        Slot::of(L1, 7).write_original(&mut m, Cap::Thread { tcb: 0x9000 });
        let l2 = Cap::CNode {
            ptr: L2,
            radix: 4,
            guard_size: 3,
            guard: 0b101,
        };
        Slot::of(L1, 9).write_original(&mut m, l2);
        Slot::of(L2, 3).write_original(&mut m, Cap::Domain);
        (m, root)
    }

    #[test]
    fn single_level_full_depth() {
        let (m, root) = two_levels();
        let r = resolve_address_bits(&m, root, 7, 64).unwrap();
        assert_eq!(
            r,
            Resolved {
                slot: Slot::of(L1, 7),
                bits_remaining: 0
            }
        );
        assert_eq!(r.slot.cap(&m), Cap::Thread { tcb: 0x9000 });
    }

    #[test]
    fn two_levels_through_a_guard() {
        let (m, root) = two_levels();
        // 64 = 56 (guard) + 8 (index 9) at level 1 leaves nothing: to reach level 2 the
        // pointer must be resolved at depth 64 + 7, impossible, so use a 32-bit root.
        let root32 = Cap::CNode {
            ptr: L1,
            radix: 8,
            guard_size: 17,
            guard: 0,
        };
        let cptr = (9 << 7) | (0b101 << 4) | 3; // 8 + 3 + 4 = 15 bits below a 17-bit guard
        let r = resolve_address_bits(&m, root32, cptr, 32).unwrap();
        assert_eq!(r.slot, Slot::of(L2, 3));
        assert_eq!(r.slot.cap(&m), Cap::Domain);
        let _ = root;
    }

    #[test]
    fn failures_carry_sel4_payloads() {
        let (m, root) = two_levels();
        assert_eq!(
            resolve_address_bits(&m, Cap::Domain, 0, 64),
            Err(LookupFailure::InvalidRoot)
        );
        // Bits above the index must match the 56-bit guard 0.
        assert_eq!(
            resolve_address_bits(&m, root, 1 << 63 | 7, 64),
            Err(LookupFailure::GuardMismatch {
                bits_left: 64,
                guard_found: 0,
                guard_size: 56
            })
        );
        // Depth 60 leaves 4 bits after the guard for an 8-bit radix.
        assert_eq!(
            resolve_address_bits(
                &m,
                Cap::CNode {
                    ptr: L1,
                    radix: 8,
                    guard_size: 54,
                    guard: 0
                },
                7,
                60
            ),
            Err(LookupFailure::DepthMismatch {
                bits_left: 60,
                bits_found: 62
            })
        );
        // A guard longer than the depth never matches.
        assert!(matches!(
            resolve_address_bits(&m, root, 0, 8),
            Err(LookupFailure::GuardMismatch { bits_left: 8, .. })
        ));
    }

    #[test]
    fn non_cnode_cap_ends_the_walk_with_bits_left() {
        let (m, _) = two_levels();
        let root32 = Cap::CNode {
            ptr: L1,
            radix: 8,
            guard_size: 17,
            guard: 0,
        };
        let r = resolve_address_bits(&m, root32, 7 << 7, 32).unwrap();
        assert_eq!(
            r,
            Resolved {
                slot: Slot::of(L1, 7),
                bits_remaining: 7
            }
        );
    }
}
