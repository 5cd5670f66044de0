//! Interrupts for user level, as seL4's interrupt.c: IRQControl issues handler caps, an
//! IRQHandler binds a notification, an interrupt signals it and stays masked until the
//! handler acknowledges it. The kernel timer's line is the kernel's.

use crate::api::error::SysError;
use crate::api::invocation::Invocation;
use crate::kernel::cspace::lookup_slot_for_cnode_op;
use crate::kernel::thread::set_thread_state;
use crate::machine::Machine;
use crate::model::{IrqState, KernelState};
use crate::object::objecttype::ensure_empty_slot;
use crate::object::tcb::ThreadState;
use crate::object::{Cap, Slot, cte, notification};
use sel4_abi::{CapRights, InvocationLabel as L};

fn state(ks: &KernelState, irq: u64) -> IrqState {
    match ks.irq_state.get(irq as usize) {
        Some(1) => IrqState::Signal,
        Some(2) => IrqState::Timer,
        Some(3) => IrqState::Reserved,
        _ => IrqState::Inactive,
    }
}

fn set_state(ks: &mut KernelState, irq: u64, s: IrqState) {
    if let Some(x) = ks.irq_state.get_mut(irq as usize) {
        let was = *x == IrqState::Signal as u8;
        *x = s as u8;
        match (was, s == IrqState::Signal) {
            (false, true) => ks.irqs_delivered += 1,
            (true, false) => ks.irqs_delivered -= 1,
            _ => {}
        }
    }
}

/// The slot of the kernel's IRQ node holding interrupt `irq`'s notification.
fn node_slot(ks: &KernelState, irq: u64) -> Slot {
    Slot::of(ks.irq_node, irq)
}

/// Reserves the kernel timer's interrupt line (seL4's IRQTimer).
pub fn reserve_timer(ks: &mut KernelState, irq: u64) {
    set_state(ks, irq, IrqState::Timer);
}

/// Software-generated interrupts on a GIC (seL4's NUM_SGIS).
pub const NUM_SGIS: u64 = 16;

/// seL4's IRQControl IssueSGISignal (single core): a cap to send SGI `irq` (word 0) to
/// `target` (word 1), placed at `index` and `depth` (words 2 and 3) in the CNode of cap 0.
fn issue_sgi<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), SysError> {
    let Some((_, root)) = inv.extra_cap(m, 0).filter(|_| inv.length >= 4) else {
        return Err(SysError::TruncatedMessage);
    };
    let (irq, target) = (inv.arg(m, 0), inv.arg(m, 1));
    if irq >= NUM_SGIS {
        return Err(SysError::RangeError(0, NUM_SGIS - 1));
    }
    if !m.sgi_target_valid(target) {
        return Err(SysError::InvalidArgument(1));
    }
    let dest = lookup_slot_for_cnode_op(m, false, root, inv.arg(m, 2), inv.arg(m, 3))?;
    ensure_empty_slot(m, dest)?;
    set_thread_state(ks, m, inv.thread, ThreadState::Restart);
    cte::insert(m, Cap::SgiSignal { irq, target }, inv.slot, dest);
    Ok(())
}

/// Decodes and performs an invocation on an IRQ control or handler cap, or an SGI signal
/// cap.
pub fn decode_irq<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), SysError> {
    match inv.cap {
        Cap::IrqControl if inv.label == L::ArmIrqIssueSgiSignal as u64 => issue_sgi(ks, m, inv),
        // Any invocation of an SGI signal cap sends its SGI (seL4 reads no label).
        Cap::SgiSignal { irq, target } => {
            set_thread_state(ks, m, inv.thread, ThreadState::Restart);
            m.send_sgi(irq, target);
            Ok(())
        }
        Cap::IrqControl => {
            let (issue, trigger) = (
                L::IrqIssueIrqHandler as u64,
                L::ArmIrqIssueIrqHandlerTrigger as u64,
            );
            let first = match inv.label {
                x if x == issue => 1,
                x if x == trigger => 2,
                _ => return Err(SysError::IllegalOperation),
            };
            let Some((_, root)) = inv.extra_cap(m, 0).filter(|_| inv.length > first + 1) else {
                return Err(SysError::TruncatedMessage);
            };
            let irq = inv.arg(m, 0);
            // The line must exist, and have no handler (or belong to the kernel).
            if irq > ks.max_irq {
                return Err(SysError::RangeError(0, ks.max_irq));
            }
            if state(ks, irq) != IrqState::Inactive {
                return Err(SysError::RevokeFirst);
            }
            let dest =
                lookup_slot_for_cnode_op(m, false, root, inv.arg(m, first), inv.arg(m, first + 1))?;
            ensure_empty_slot(m, dest)?;
            set_thread_state(ks, m, inv.thread, ThreadState::Restart);
            // GetTrigger's word 1: 1 for edge-triggered, 0 for level-sensitive.
            if first == 2 {
                m.set_irq_trigger(irq, inv.arg(m, 1) & 1 == 1);
            }
            set_state(ks, irq, IrqState::Signal);
            // seL4's setIRQState: a line with a handler is live from now on.
            m.mask_irq(irq, false);
            cte::insert(m, Cap::IrqHandler { irq }, inv.slot, dest);
            Ok(())
        }
        Cap::IrqHandler { irq } => match inv.label {
            x if x == L::IrqAckIrq as u64 => {
                set_thread_state(ks, m, inv.thread, ThreadState::Restart);
                m.mask_irq(irq, false);
                Ok(())
            }
            x if x == L::IrqSetIrqHandler as u64 => {
                let Some((slot, ncap)) = inv.extra_cap(m, 0) else {
                    return Err(SysError::TruncatedMessage);
                };
                // The interrupt signals through the cap, so it must be able to send.
                match ncap {
                    Cap::Notification { rights, .. } if rights.contains(CapRights::WRITE) => {}
                    _ => return Err(SysError::InvalidCapability(0)),
                }
                set_thread_state(ks, m, inv.thread, ThreadState::Restart);
                let node = node_slot(ks, irq);
                cte::delete_one(ks, m, node);
                cte::insert(m, ncap, slot, node);
                Ok(())
            }
            x if x == L::IrqClearIrqHandler as u64 => {
                set_thread_state(ks, m, inv.thread, ThreadState::Restart);
                let node = node_slot(ks, irq);
                cte::delete_one(ks, m, node);
                Ok(())
            }
            _ => Err(SysError::IllegalOperation),
        },
        _ => Err(SysError::InvalidCapability(0)),
    }
}

/// An IRQ handler's last cap is gone: the line loses its notification and handler, and is
/// masked (seL4's deletingIRQHandler and postCapDeletion).
pub fn irq_deleted<M: Machine>(ks: &mut KernelState, m: &mut M, irq: u64) {
    let node = node_slot(ks, irq);
    cte::delete_one(ks, m, node);
    set_state(ks, irq, IrqState::Inactive);
    m.mask_irq(irq, true);
}

/// seL4's handleInterrupt for a line other than the timer: signal the handler's
/// notification and keep the line masked until the handler acknowledges it.
pub fn deliver<M: Machine>(ks: &mut KernelState, m: &mut M, irq: u64) {
    if state(ks, irq) == IrqState::Signal
        && let Cap::Notification { ptr, badge, rights } = node_slot(ks, irq).cap(m)
        && rights.contains(CapRights::WRITE)
    {
        notification::send_signal(ks, m, ptr, badge);
    }
    m.mask_irq(irq, true);
}
