//! Operations on capability slots and the derivation tree, as seL4's cnode.c: insert,
//! move, swap, delete (finalising the object when the last cap goes) and revoke.
//!
//! Deleting the last cap to a CNode or a thread empties the slots inside it. seL4 does that
//! without unbounded recursion by turning the cap into a Zombie that counts the slots still
//! to clear; a Zombie met inside another is moved aside into its own object's first slot.
//! The kernel follows the same scheme, so deleting any structure needs at most two nested
//! calls of kernel stack.

use super::preemption::{Preempted, preemption_point};
use super::{endpoint, interrupt, notification, thread, vspace};
use crate::machine::{Machine, Memory};
use crate::model::tcb::TCB_CNODE_ENTRIES;
use crate::model::tcb::{slot as tcb_slot, tcb_debug_remove};
use crate::model::{Cap, KernelState, Slot, SyscallError, Tcb};
use crate::mutant::{self, Mutant};

/// seL4's setUntypedCapAsFull: copying an untyped cap uses up the source, so the same
/// memory cannot be retyped through both.
fn set_untyped_cap_as_full(m: &mut impl Machine, src_cap: Cap, new_cap: Cap, src: Slot) {
    if let (
        Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            ..
        },
        Cap::Untyped {
            ptr: p2,
            size_bits: s2,
            ..
        },
    ) = (src_cap, new_cap)
        && ptr == p2
        && size_bits == s2
    {
        src.set_cap(
            m,
            Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index: 1 << size_bits,
            },
        );
    }
}

/// seL4's cteInsert: `cap`, derived from the one in `src`, goes into the empty `dest` as
/// its child.
pub fn cte_insert(m: &mut impl Machine, cap: Cap, src: Slot, dest: Slot) {
    let src_cap = src.cap(m);
    set_untyped_cap_as_full(m, src_cap, cap, src);
    dest.insert_derived(m, cap, src);
}

/// seL4's cteMove: the cap and its place in the derivation tree move to the empty `dest`.
pub fn cte_move(m: &mut impl Machine, cap: Cap, src: Slot, dest: Slot) {
    let (prev, next_word) = (m.read_word(src.0 + 16), m.read_word(src.0 + 24));
    dest.set_cap(m, cap);
    m.write_word(dest.0 + 16, prev);
    m.write_word(dest.0 + 24, next_word);
    src.set_cap(m, Cap::Null);
    m.write_word(src.0 + 16, 0);
    m.write_word(src.0 + 24, 0);
    if let Some(p) = dest.prev(m) {
        p.set_next(m, Some(dest));
    }
    if let Some(n) = dest.next(m) {
        n.set_prev(m, Some(dest));
    }
}

/// seL4's cteSwap: the caps in two slots trade places, each keeping its tree links (the
/// order of updates is seL4's, which also handles neighbouring slots).
pub fn cte_swap(m: &mut impl Machine, cap1: Cap, s1: Slot, cap2: Cap, s2: Slot) {
    s1.set_cap(m, cap2);
    s2.set_cap(m, cap1);
    let mdb1 = (m.read_word(s1.0 + 16), m.read_word(s1.0 + 24));
    if let Some(p) = s1.prev(m) {
        p.set_next(m, Some(s2));
    }
    if let Some(n) = s1.next(m) {
        n.set_prev(m, Some(s2));
    }
    let mdb2 = (m.read_word(s2.0 + 16), m.read_word(s2.0 + 24));
    m.write_word(s1.0 + 16, mdb2.0);
    m.write_word(s1.0 + 24, mdb2.1);
    m.write_word(s2.0 + 16, mdb1.0);
    m.write_word(s2.0 + 24, mdb1.1);
    if let Some(p) = s1.prev(m) {
        p.set_next(m, Some(s1));
    }
    if let Some(n) = s1.next(m) {
        n.set_prev(m, Some(s1));
    }
}

/// seL4's emptySlot: unlinks the slot from the tree and clears it. A following cap inherits
/// firstBadged, so badge parentage survives the removal.
fn empty_slot(m: &mut impl Machine, slot: Slot) {
    if slot.cap(m).is_null() {
        return;
    }
    unlink_and_clear(m, slot);
}

/// The work of [`empty_slot`] on a slot that holds a cap.
#[inline(always)]
fn unlink_and_clear(m: &mut impl Machine, slot: Slot) {
    let (prev, next) = (slot.prev(m), slot.next(m));
    let first_badged = slot.first_badged(m);
    if let Some(p) = prev {
        p.set_next(m, next);
    }
    if let Some(n) = next {
        n.set_prev(m, prev);
        let (rev, fb) = (n.revocable(m), n.first_badged(m));
        n.set_flags(m, rev, fb || first_badged);
    }
    // The Null cap's words are zero.
    for w in 0..4 {
        m.write_word(slot.0 + 8 * w, 0);
    }
}

/// seL4's finaliseCap: what deleting `cap` leaves to do. Returns the remainder: Null when
/// the slot can be emptied, or a Zombie whose slots must be cleared first.
fn finalise_cap<M: Machine>(ks: &mut KernelState, m: &mut M, cap: Cap, is_final: bool) -> Cap {
    match cap {
        Cap::Endpoint { ptr, .. } if is_final => endpoint::cancel_all_ipc(ks, m, ptr),
        Cap::Notification { ptr, .. } if is_final => {
            notification::unbind_maybe_notification(m, ptr);
            notification::cancel_all_signals(ks, m, ptr);
        }
        Cap::CNode { ptr, radix, .. } if is_final => {
            return Cap::Zombie {
                ptr,
                is_tcb: false,
                radix,
                number: 1 << radix,
            };
        }
        Cap::Thread { tcb } if is_final => {
            let t = Tcb(tcb);
            notification::unbind_notification(m, t);
            thread::suspend(ks, m, t);
            tcb_debug_remove(ks, m, t);
            // seL4's fpuRelease: a dead thread's FP state is not saved anywhere.
            if ks.fpu_owner == t.0 {
                ks.fpu_owner = 0;
            }
            return Cap::Zombie {
                ptr: t.slot(tcb_slot::CTABLE).0,
                is_tcb: true,
                radix: 0,
                number: TCB_CNODE_ENTRIES,
            };
        }
        Cap::Zombie { .. } => return cap,
        Cap::IrqHandler { irq } if is_final => interrupt::deleting_irq_handler(ks, m, irq),
        _ => arch_finalise_cap(ks, m, cap, is_final),
    }
    Cap::Null
}

/// seL4's Arch_finaliseCap: what deleting a frame, page table, VSpace or ASID pool cap
/// undoes (a frame's mapping goes with every cap that records it; the others only with the
/// last cap).
fn arch_finalise_cap<M: Machine>(ks: &mut KernelState, m: &mut M, cap: Cap, is_final: bool) {
    match cap {
        Cap::Frame {
            base,
            size,
            mapping: Some(map),
            ..
        } => vspace::unmap_page(ks, m, base, size, map),
        Cap::PageTable {
            base,
            mapping: Some(map),
        } if is_final => vspace::unmap_page_table(ks, m, base, map),
        Cap::VSpace {
            base,
            asid: Some(asid),
        } if is_final => vspace::delete_asid(ks, m, asid, base),
        Cap::AsidPool { base, asid_base } if is_final => {
            vspace::delete_asid_pool(ks, m, asid_base, base)
        }
        _ => {}
    }
}

/// seL4's capRemovable: the slot holding `cap` can now be emptied.
fn removable(cap: Cap, slot: Slot) -> bool {
    match cap {
        Cap::Null => true,
        Cap::Zombie { ptr, number, .. } => number == 0 || (number == 1 && slot.0 == ptr),
        _ => false,
    }
}

/// seL4's finaliseSlot: finalises the cap in `slot` until the slot can be emptied. Not
/// `immediate` (an inner call), it stops at a Zombie moved into its own first slot.
fn finalise_slot(
    ks: &mut KernelState,
    m: &mut impl Machine,
    slot: Slot,
    immediate: bool,
) -> Result<bool, Preempted> {
    while !slot.cap(m).is_null() {
        let fin = slot.is_final(m);
        let cap = slot.cap(m);
        let rem = finalise_cap(ks, m, cap, fin);
        if removable(rem, slot) {
            return Ok(true);
        }
        slot.set_cap(m, rem);
        if !immediate && matches!(rem, Cap::Zombie { ptr, .. } if ptr == slot.0) {
            return Ok(false);
        }
        reduce_zombie(ks, m, slot, immediate)?;
        preemption_point(ks, m)?;
    }
    Ok(true)
}

/// seL4's reduceZombie: clears the Zombie's last remaining slot (immediate), or moves the
/// Zombie aside into its object's first slot so the outer deletion carries on.
fn reduce_zombie(
    ks: &mut KernelState,
    m: &mut impl Machine,
    slot: Slot,
    immediate: bool,
) -> Result<(), Preempted> {
    let Cap::Zombie {
        ptr,
        is_tcb,
        radix,
        number,
    } = slot.cap(m)
    else {
        return Ok(());
    };
    if immediate {
        let end = Slot(ptr + (number - 1) * crate::model::mdb::SLOT_SIZE);
        cte_delete(ks, m, end, false)?;
        if let Cap::Zombie {
            ptr: p2,
            is_tcb: t2,
            radix: r2,
            number: n2,
        } = slot.cap(m)
            && (p2, t2, r2, n2) == (ptr, is_tcb, radix, number)
        {
            slot.set_cap(
                m,
                Cap::Zombie {
                    ptr,
                    is_tcb,
                    radix,
                    number: number - 1,
                },
            );
        }
    } else {
        let first = Slot(ptr);
        if first != slot {
            let (c1, c2) = (first.cap(m), slot.cap(m));
            cte_swap(m, c1, first, c2, slot);
        }
    }
    Ok(())
}

/// seL4's cteDelete: deletes the cap in `slot`; `exposed` when the slot is visible to
/// user level (then it is always emptied).
pub fn cte_delete(
    ks: &mut KernelState,
    m: &mut impl Machine,
    slot: Slot,
    exposed: bool,
) -> Result<(), Preempted> {
    let success = finalise_slot(ks, m, slot, exposed)?;
    if exposed || success {
        empty_slot(m, slot);
    }
    Ok(())
}

/// seL4's cteDeleteOne: deletes a cap that never needs a Zombie (a reply cap, a cap in a
/// thread's own slots).
pub fn cte_delete_one(ks: &mut KernelState, m: &mut impl Machine, slot: Slot) {
    let cap = slot.cap(m);
    if cap.is_null() {
        return;
    }
    let fin = slot.is_final(m);
    finalise_cap(ks, m, cap, fin);
    empty_slot(m, slot);
}

/// [`cte_delete_one`] of a slot known to hold a reply cap (the IPC fastpath's used reply
/// cap): finalising a reply cap does nothing (seL4's finaliseCap), so the slot is emptied.
#[inline(always)]
pub fn delete_reply_cap(m: &mut impl Machine, slot: Slot) {
    unlink_and_clear(m, slot);
}

/// seL4's cteRevoke: deletes every descendant of the cap in `slot`.
pub fn cte_revoke(ks: &mut KernelState, m: &mut impl Machine, slot: Slot) -> Result<(), Preempted> {
    while let Some(next) = slot.next(m) {
        if !slot.is_mdb_parent_of(m, next) {
            break;
        }
        if mutant::on(Mutant::RevokeLeavesOneChild)
            && next.next(m).is_none_or(|n| !slot.is_mdb_parent_of(m, n))
        {
            break;
        }
        cte_delete(ks, m, next, true)?;
        preemption_point(ks, m)?;
    }
    Ok(())
}

/// seL4's ensureNoChildren: RevokeFirst if `slot` has a child.
pub fn ensure_no_children(m: &impl Memory, slot: Slot) -> Result<(), SyscallError> {
    match slot.next(m) {
        Some(n) if slot.is_mdb_parent_of(m, n) => Err(SyscallError::RevokeFirst),
        _ => Ok(()),
    }
}

/// seL4's ensureEmptySlot: DeleteFirst unless `slot` is empty.
pub fn ensure_empty_slot(m: &impl Memory, slot: Slot) -> Result<(), SyscallError> {
    if slot.cap(m).is_null() {
        Ok(())
    } else {
        Err(SyscallError::DeleteFirst)
    }
}

/// seL4's deriveCap: the cap a copy of `cap` (in `slot`) may hold. Some caps cannot be
/// copied (they become Null), an untyped with children must be revoked first, and a frame
/// copy starts unmapped.
pub fn derive_cap(m: &impl Memory, slot: Slot, cap: Cap) -> Result<Cap, SyscallError> {
    Ok(match cap {
        Cap::Zombie { .. } | Cap::IrqControl | Cap::Reply { .. } => Cap::Null,
        Cap::Untyped { .. } => {
            if !mutant::on(Mutant::UntypedCopyWithChildren) {
                ensure_no_children(m, slot)?;
            }
            cap
        }
        // A page table or VSpace can only be copied once it is in use (mapped / assigned).
        Cap::PageTable { mapping: None, .. } | Cap::VSpace { asid: None, .. } => {
            return Err(SyscallError::IllegalOperation);
        }
        Cap::Frame {
            base,
            size,
            rights,
            is_device,
            ..
        } => Cap::Frame {
            base,
            size,
            rights,
            is_device,
            mapping: None,
        },
        _ => cap,
    })
}

/// seL4's insertNewCap: a new object's original cap, right after its untyped parent.
pub fn insert_new_cap(m: &mut impl Machine, parent: Slot, slot: Slot, cap: Cap) {
    let next = parent.next(m);
    slot.set_cap(m, cap);
    m.write_word(slot.0 + 16, parent.0);
    m.write_word(slot.0 + 24, 0);
    slot.set_next(m, next);
    slot.set_flags(m, true, true);
    if let Some(n) = next {
        n.set_prev(m, Some(slot));
    }
    parent.set_next(m, Some(slot));
}

/// seL4's slotCapLongRunningDelete: deleting this slot's cap would destroy a thread or a
/// CNode (a deletion that may take long and be preempted).
pub fn slot_cap_long_running_delete(m: &impl Memory, slot: Slot) -> bool {
    let cap = slot.cap(m);
    !cap.is_null()
        && slot.is_final(m)
        && matches!(
            cap,
            Cap::Thread { .. } | Cap::Zombie { .. } | Cap::CNode { .. }
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;
    use sel4_abi::CapRights;

    const CN: u64 = 0x10_0000;

    fn setup() -> (SimMachine, KernelState) {
        (SimMachine::new(CN, 0x10_0000), KernelState::new())
    }
    fn s(i: u64) -> Slot {
        Slot::of(CN, i)
    }
    fn order(m: &SimMachine, start: Slot) -> Vec<u64> {
        let mut v = vec![(start.0 - CN) / 32];
        let mut cur = start;
        while let Some(n) = cur.next(m) {
            v.push((n.0 - CN) / 32);
            cur = n;
        }
        v
    }

    #[test]
    fn revoke_deletes_exactly_the_descendants() {
        let (mut m, mut ks) = setup();
        let ep = Cap::Endpoint {
            ptr: 0x18_0000,
            badge: 0,
            rights: CapRights::all(),
        };
        s(0).write_original(&mut m, ep);
        cte_insert(&mut m, ep, s(0), s(1));
        let badged = Cap::Endpoint {
            ptr: 0x18_0000,
            badge: 9,
            rights: CapRights::all(),
        };
        cte_insert(&mut m, badged, s(1), s(2)); // a badged child of the copy
        cte_insert(&mut m, badged, s(2), s(3));
        let other = Cap::Endpoint {
            ptr: 0x18_0040,
            badge: 0,
            rights: CapRights::all(),
        };
        s(4).write_original(&mut m, other);
        assert_eq!(order(&m, s(0)), [0, 1, 2, 3]);
        cte_revoke(&mut ks, &mut m, s(2)).unwrap();
        assert!(s(3).cap(&m).is_null(), "the badged copy is revoked");
        assert_eq!(s(2).cap(&m), badged);
        cte_revoke(&mut ks, &mut m, s(0)).unwrap();
        assert!(s(1).cap(&m).is_null() && s(2).cap(&m).is_null());
        assert_eq!(s(0).cap(&m), ep);
        assert_eq!(s(4).cap(&m), other, "unrelated caps survive");
        assert_eq!(s(0).next(&m), None);
    }

    #[test]
    fn move_and_swap_keep_tree_positions() {
        let (mut m, _) = setup();
        let t = Cap::Thread { tcb: 0x18_0000 };
        s(0).write_original(&mut m, t);
        cte_insert(&mut m, t, s(0), s(1));
        cte_insert(&mut m, t, s(1), s(2));
        cte_move(&mut m, t, s(1), s(5));
        assert_eq!(order(&m, s(0)), [0, 5, 2]);
        assert!(s(1).cap(&m).is_null());
        let d = Cap::Domain;
        cte_swap(&mut m, t, s(5), t, s(2)); // neighbours
        assert_eq!(order(&m, s(0)), [0, 2, 5]);
        s(7).write_original(&mut m, d);
        cte_swap(&mut m, t, s(0), d, s(7));
        assert_eq!(s(7).cap(&m), t);
        assert_eq!(order(&m, s(7)), [7, 2, 5]);
        assert_eq!(s(2).prev(&m), Some(s(7)));
    }

    #[test]
    fn deleting_the_last_cnode_cap_clears_nested_cnodes() {
        let (mut m, mut ks) = setup();
        // A chain of CNodes, each holding a cap to the next; deleting the head clears all.
        let cnode = |i: u64| CN + 0x1000 * (i + 1);
        let cap = |i: u64| Cap::CNode {
            ptr: cnode(i),
            radix: 2,
            guard_size: 0,
            guard: 0,
        };
        let ep = Cap::Endpoint {
            ptr: 0x1f_0000,
            badge: 0,
            rights: CapRights::all(),
        };
        for i in 0..20 {
            Slot::of(cnode(i), 3).write_original(&mut m, cap(i + 1));
            Slot::of(cnode(i), 1).write_original(&mut m, ep);
        }
        s(0).write_original(&mut m, cap(0));
        cte_delete(&mut ks, &mut m, s(0), true).unwrap();
        assert!(s(0).cap(&m).is_null());
        for i in 0..20 {
            for j in 1..4 {
                assert!(
                    Slot::of(cnode(i), j).cap(&m).is_null() || i > 0,
                    "cnode {i} slot {j}"
                );
            }
        }
        assert!(Slot::of(cnode(0), 3).cap(&m).is_null() && Slot::of(cnode(0), 1).cap(&m).is_null());
    }

    #[test]
    fn deleting_a_copy_of_an_untyped_cap_marks_nothing_and_copying_marks_full() {
        let (mut m, _) = setup();
        let ut = Cap::Untyped {
            ptr: 0x20_0000,
            size_bits: 12,
            is_device: false,
            free_index: 0,
        };
        s(0).write_original(&mut m, ut);
        cte_insert(&mut m, ut, s(0), s(1));
        assert!(
            matches!(
                s(0).cap(&m),
                Cap::Untyped {
                    free_index: 4096,
                    ..
                }
            ),
            "source marked full"
        );
        assert!(s(1).is_final(&m), "untyped caps are never the same object");
    }
}
