//! Capability slots: deriving a cap for a copy, requiring an empty slot, and deleting
//! capabilities (destroying objects when their last capability goes).
//!
//! Deletion works as seL4's `finaliseSlot`: the last cap to a CNode or TCB becomes a zombie,
//! whose slots are emptied one at a time (last first) before the zombie's own slot is; a
//! preemption point follows each step, so a pending interrupt can stop a long deletion (or a
//! revoke, between children), leaving the zombie in place and the caller to restart the
//! syscall, which carries on where it stopped. Without a pending interrupt the whole deletion
//! happens in one entry. The order of clean-up within an object follows `finaliseCap`.

use crate::model::error::SyscallError;
use crate::model::{Cap, IrqState, SlotRef, State};

use super::cspace::slot_at;
use super::endpoint::cancel_all_ipc;
use super::notification::{cancel_all_signals, unbind_maybe_notification, unbind_notification};
use super::preemption::preemption_point;
use super::thread::{TCB_CNODE_ENTRIES, suspend};
use super::vspace;

/// A deletion stopped at a preemption point (the state says how far it got).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preempted;

/// seL4's `deriveCap`: the cap a copy of `cap` (from `slot`) may be. Null means "cannot be
/// copied" (the caller decides whether that is an error).
pub fn derive_cap(s: &State, slot: SlotRef, cap: Cap) -> Result<Cap, SyscallError> {
    match cap {
        // Zombies, IRQ control and reply caps are unique by design.
        Cap::Zombie { .. } | Cap::IrqControl | Cap::Reply { .. } => Ok(Cap::Null),
        // An untyped with children cannot be copied: the copy could retype over them.
        Cap::Untyped { .. } => {
            if s.has_children(slot) {
                Err(SyscallError::RevokeFirst)
            } else {
                Ok(cap)
            }
        }
        // An unmapped table cap may not be copied: copies would not share the mapping.
        Cap::PageTable { mapping: None, .. } | Cap::VSpace { asid: None, .. } => {
            Err(SyscallError::IllegalOperation)
        }
        // A frame copy starts unmapped: each cap maps the frame at most once.
        Cap::Frame {
            base,
            size_bits,
            rights,
            is_device,
            ..
        } => Ok(Cap::Frame {
            base,
            size_bits,
            rights,
            is_device,
            mapping: None,
        }),
        c => Ok(c),
    }
}

/// seL4's `ensureEmptySlot`: a cap may only go into an empty slot, nothing is overwritten
/// implicitly.
pub fn ensure_empty_slot(s: &State, slot: SlotRef) -> Result<(), SyscallError> {
    if s.cap(slot).is_null() {
        Ok(())
    } else {
        Err(SyscallError::DeleteFirst)
    }
}

/// seL4's `cteDelete` of a slot user level can see: delete the cap in `slot`, destroying
/// its object if it was the last, and empty the slot.
pub fn cte_delete(s: &mut State, slot: SlotRef) -> Result<(), Preempted> {
    delete(s, slot, true)
}

/// seL4's `cteDeleteOne`: delete a cap that never needs a zombie (reply caps, IRQ-node
/// notification caps, ...).
pub fn cte_delete_one(s: &mut State, slot: SlotRef) {
    let cap = s.cap(slot);
    if cap.is_null() {
        return;
    }
    let is_final = s.is_final(slot);
    finalise_cap(s, cap, is_final);
    s.empty_slot(slot);
}

/// seL4's `cteRevoke`: delete every descendant of `slot`, keeping `slot` itself; a
/// preemption point follows each child.
pub fn cte_revoke(s: &mut State, slot: SlotRef) -> Result<(), Preempted> {
    while let Some(n) = s.cte(slot).next {
        if s.cap(slot).is_null() || !s.is_mdb_parent_of(slot, n) {
            break;
        }
        delete(s, n, true)?;
        if preemption_point(s) {
            return Err(Preempted);
        }
    }
    Ok(())
}

/// seL4's `cteDelete`: `exposed` when the slot is visible to user level (then it is always
/// emptied); an inner deletion of a zombie's slot may leave a zombie moved into it.
fn delete(s: &mut State, slot: SlotRef, exposed: bool) -> Result<(), Preempted> {
    let done = finalise_slot(s, slot, exposed)?;
    if exposed || done {
        s.empty_slot(slot);
    }
    Ok(())
}

/// seL4's `capRemovable`: the slot holding `cap` can now be emptied (a zombie with no slot
/// left to clear, or only its own).
fn removable(cap: Cap, slot: SlotRef) -> bool {
    match cap {
        Cap::Null => true,
        Cap::Zombie { ptr, number, .. } => number == 0 || (number == 1 && slot == ptr),
        _ => false,
    }
}

/// seL4's `finaliseSlot`: finalise the cap in `slot` until the slot can be emptied. An
/// inner call (not `immediate`) stops at a zombie moved into its own first slot. Returns
/// whether the slot can be emptied.
pub fn finalise_slot(s: &mut State, slot: SlotRef, immediate: bool) -> Result<bool, Preempted> {
    while !s.cap(slot).is_null() {
        let is_final = s.is_final(slot);
        let cap = s.cap(slot);
        let rem = finalise_cap(s, cap, is_final);
        if removable(rem, slot) {
            // A zombie done with: its object goes with its last cap.
            if let Cap::Zombie { ptr, is_tcb, .. } = rem {
                destroy(s, ptr, is_tcb);
            }
            return Ok(true);
        }
        s.set_cap(slot, rem);
        if !immediate && matches!(rem, Cap::Zombie { ptr, .. } if ptr == slot) {
            return Ok(false);
        }
        reduce_zombie(s, slot, immediate)?;
        if preemption_point(s) {
            return Err(Preempted);
        }
    }
    Ok(true)
}

/// A CNode or TCB whose zombie is gone: the object is no more.
fn destroy(s: &mut State, ptr: u64, is_tcb: bool) {
    s.objects.remove(&ptr);
    if is_tcb {
        s.ready.values_mut().for_each(|q| q.retain(|&t| t != ptr));
    }
}

/// seL4's `reduceZombie`: clear the zombie's last remaining slot (immediate), or move the
/// zombie into its object's first slot so the deletion of that slot carries it on.
pub fn reduce_zombie(s: &mut State, slot: SlotRef, immediate: bool) -> Result<(), Preempted> {
    let Cap::Zombie {
        ptr,
        is_tcb,
        radix,
        number,
    } = s.cap(slot)
    else {
        return Ok(());
    };
    if immediate {
        delete(s, slot_at(ptr, number - 1), false)?;
        // The deletion may have changed this slot (a cycle through it); only the same
        // zombie counts one slot less.
        if s.cap(slot)
            == (Cap::Zombie {
                ptr,
                is_tcb,
                radix,
                number,
            })
        {
            s.set_cap(
                slot,
                Cap::Zombie {
                    ptr,
                    is_tcb,
                    radix,
                    number: number - 1,
                },
            );
        }
    } else if ptr != slot {
        let (first, zombie) = (s.cap(ptr), s.cap(slot));
        s.cte_swap(first, ptr, zombie, slot);
    }
    Ok(())
}

/// seL4's `finaliseCap`: what deleting `cap` leaves to do, doing the clean-up its object
/// needs when it is the last cap. Returns Null when the slot can be emptied, or a zombie
/// whose slots must be emptied first.
pub fn finalise_cap(s: &mut State, cap: Cap, is_final: bool) -> Cap {
    match cap {
        Cap::Endpoint { ptr, .. } if is_final => {
            cancel_all_ipc(s, ptr);
            s.objects.remove(&ptr);
        }
        Cap::Notification { ptr, .. } if is_final => {
            unbind_maybe_notification(s, ptr);
            cancel_all_signals(s, ptr);
            s.objects.remove(&ptr);
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
            unbind_notification(s, tcb);
            suspend(s, tcb);
            return Cap::Zombie {
                ptr: tcb,
                is_tcb: true,
                radix: 0,
                number: TCB_CNODE_ENTRIES,
            };
        }
        Cap::Zombie { .. } => return cap,
        Cap::IrqHandler { irq } if is_final => {
            // The line's notification cap is dropped and the line goes back to Inactive
            // (and masked).
            cte_delete_one(s, slot_at(s.irq_node, irq));
            s.irq_states.insert(irq, IrqState::Inactive);
            s.masked_irqs.remove(&irq);
        }
        Cap::Frame {
            base,
            mapping,
            size_bits,
            ..
        } => {
            // A frame cap's own mapping goes with it, final or not.
            if let Some(m) = mapping {
                vspace::unmap_page(s, m.asid, m.vaddr, base, size_bits);
            }
            if is_final {
                s.objects.remove(&base);
            }
        }
        Cap::PageTable { base, mapping } if is_final => {
            if let Some(m) = mapping {
                vspace::unmap_page_table(s, m.asid, m.vaddr, base);
            }
            s.objects.remove(&base);
        }
        Cap::VSpace { base, asid } if is_final => {
            if let Some(a) = asid {
                vspace::delete_asid(s, a, base);
            }
            s.objects.remove(&base);
        }
        Cap::AsidPool { base, asid_base } if is_final => {
            vspace::delete_asid_pool(s, asid_base, base);
            s.objects.remove(&base);
        }
        _ => {}
    }
    Cap::Null
}
