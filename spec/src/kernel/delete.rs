//! Deleting capabilities and destroying objects when their last capability goes.
//!
//! seL4 destroys TCBs and CNodes through zombie caps in preemptible steps; the model does the
//! same work in one step (it has no preemption), so no zombie outlives a kernel entry. The
//! order of clean-up within an object follows seL4's `finaliseCap`.

use crate::model::{Cap, IrqState, PAddr, SlotRef, State};
use crate::object::{endpoint, notification};

use super::cspace::slot_at;
use super::thread::{TCB_CNODE_ENTRIES, suspend};
use super::vspace;

/// seL4's `cteDelete`: delete the cap in `slot`, destroying its object if it was the last.
pub fn cte_delete(s: &mut State, slot: SlotRef) {
    delete_in(s, slot, &mut Vec::new());
}

/// seL4's `cteDeleteOne`: delete a cap that never needs a zombie (reply caps, IRQ-node
/// notification caps, ...).
pub fn cte_delete_one(s: &mut State, slot: SlotRef) {
    cte_delete(s, slot);
}

/// seL4's `cteRevoke`: delete every descendant of `slot`, keeping `slot` itself.
pub fn cte_revoke(s: &mut State, slot: SlotRef) {
    while let Some(n) = s.cte(slot).next {
        if s.cap(slot).is_null() || !s.is_mdb_parent_of(slot, n) {
            break;
        }
        cte_delete(s, n);
    }
}

/// Delete `slot`; `dying` lists objects whose destruction is under way further up, so a
/// cap to one of them met while emptying its own slots (a cycle) is simply removed.
fn delete_in(s: &mut State, slot: SlotRef, dying: &mut Vec<PAddr>) {
    let cap = s.cap(slot);
    if cap.is_null() {
        return;
    }
    let is_final = s.is_final(slot);
    match cap {
        Cap::Endpoint { ptr, .. } if is_final => {
            endpoint::cancel_all_ipc(s, ptr);
            s.objects.remove(&ptr);
        }
        Cap::Notification { ptr, .. } if is_final => {
            notification::unbind_ntfn(s, ptr);
            notification::cancel_all_signals(s, ptr);
            s.objects.remove(&ptr);
        }
        Cap::CNode { ptr, radix, .. } if is_final && !dying.contains(&ptr) => {
            // The slot holds a zombie while the CNode's own slots are emptied.
            s.set_cap(
                slot,
                Cap::Zombie {
                    ptr,
                    is_tcb: false,
                    radix,
                    number: 1 << radix,
                },
            );
            dying.push(ptr);
            // Only occupied slots need work; going from the last keeps seL4's order.
            let end = slot_at(ptr, 1u64 << radix);
            let used: Vec<SlotRef> = s.slots.range(ptr..end).map(|(a, _)| *a).rev().collect();
            for inner in used {
                if inner != slot {
                    delete_in(s, inner, dying);
                }
            }
            dying.pop();
            s.objects.remove(&ptr);
        }
        Cap::Thread { tcb } if is_final && !dying.contains(&tcb) => {
            notification::unbind_tcb(s, tcb);
            suspend(s, tcb);
            s.set_cap(
                slot,
                Cap::Zombie {
                    ptr: tcb,
                    is_tcb: true,
                    radix: 0,
                    number: TCB_CNODE_ENTRIES,
                },
            );
            dying.push(tcb);
            for i in (0..TCB_CNODE_ENTRIES).rev() {
                let inner = slot_at(tcb, i);
                if inner != slot {
                    delete_in(s, inner, dying);
                }
            }
            dying.pop();
            s.objects.remove(&tcb);
            s.ready.values_mut().for_each(|q| q.retain(|&t| t != tcb));
        }
        Cap::IrqHandler { irq } if is_final => {
            // The line goes back to Inactive and its notification cap is dropped.
            s.irq_states.insert(irq, IrqState::Inactive);
            let node_slot = slot_at(s.irq_node, irq);
            if node_slot != slot {
                delete_in(s, node_slot, dying);
            }
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
    // The slot may have gone with its own object (a CNode holding its last cap).
    s.empty_slot(slot);
    if let Cap::IrqHandler { irq } = cap
        && is_final
    {
        s.irq_states.insert(irq, IrqState::Inactive);
        s.masked_irqs.remove(&irq);
    }
}
