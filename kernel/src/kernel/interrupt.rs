//! Interrupts, as seL4's interrupt.c: each line's state, the kernel's IRQ node (the
//! notification each line signals), delivering an interrupt, and what deleting a handler
//! undoes. The kernel timer's line is the kernel's. The invocations that change them are in
//! the object layer's `irq` module.

use super::cte::cte_delete_one;
use super::notification::send_signal;
use crate::machine::Machine;
use crate::model::{Cap, IrqState, KernelState, Slot};
use crate::mutant::{self, Mutant};
use sel4_abi::CapRights;

/// The state of line `irq` (seL4's intStateIRQTable entry).
pub fn irq_state(ks: &KernelState, irq: u64) -> IrqState {
    match ks.irq_state.get(irq as usize) {
        Some(1) => IrqState::Signal,
        Some(2) => IrqState::Timer,
        Some(3) => IrqState::Reserved,
        _ => IrqState::Inactive,
    }
}

/// seL4's setIRQState, as far as the kernel's table goes (the controller is the caller's):
/// counts the lines that can wake a thread.
pub fn set_irq_state(ks: &mut KernelState, irq: u64, s: IrqState) {
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

/// Whether an interrupt could ever make a thread runnable again, when none is: a line
/// with a handler whose notification (sendable) has a waiter, or is bound to a thread
/// waiting to receive ([`send_signal`] wakes those; a signal to anything else only sets
/// the pending word, and with no thread running nobody can wait later). When it cannot,
/// the system is finished: seL4 would idle forever, with nothing visible left to happen.
pub fn interrupt_can_wake(ks: &KernelState, m: &impl Machine) -> bool {
    use super::notification::{bound_tcb, state};
    use crate::model::ThreadState;
    use crate::model::queue::Queue;
    ks.irqs_delivered > 0
        && (0..ks.irq_state.len() as u64).any(|irq| {
            irq_state(ks, irq) == IrqState::Signal
                && matches!(irq_node_slot(ks, irq).cap(m), Cap::Notification { ptr, rights, .. }
                if rights.contains(CapRights::WRITE)
                    && match Queue(ptr).state(m) {
                        state::WAITING => true,
                        state::IDLE => bound_tcb(m, ptr)
                            .is_some_and(|t| t.state(m) == ThreadState::BlockedOnReceive),
                        _ => false,
                    })
        })
}

/// The slot of the kernel's IRQ node holding interrupt `irq`'s notification.
pub fn irq_node_slot(ks: &KernelState, irq: u64) -> Slot {
    Slot::of(ks.irq_node, irq)
}

/// seL4's initIRQController and the IRQ part of init_kernel: the controller has lines
/// `0..=max_irq`, the IRQ node is the CNode at `irq_node` (one slot per line), and the
/// kernel timer's line is the kernel's. The architecture layer calls this once at boot; the
/// host tests and the refinement harness call it the same way.
pub fn init_irqs(ks: &mut KernelState, max_irq: u64, irq_node: u64) {
    ks.max_irq = max_irq.min(crate::model::MAX_IRQS as u64 - 1);
    ks.irq_node = irq_node;
    set_irq_state(ks, sel4_abi::config::KERNEL_TIMER_IRQ, IrqState::Timer);
}

/// An IRQ handler's last cap is gone: the line loses its notification and handler, and is
/// masked (seL4's deletingIRQHandler and postCapDeletion).
pub fn deleting_irq_handler<M: Machine>(ks: &mut KernelState, m: &mut M, irq: u64) {
    let node = irq_node_slot(ks, irq);
    cte_delete_one(ks, m, node);
    set_irq_state(ks, irq, IrqState::Inactive);
    m.mask_irq(irq, !mutant::on(Mutant::DeletedHandlerLeavesUnmasked));
}

/// seL4's handleInterrupt for a line other than the timer: signal the handler's
/// notification and keep the line masked until the handler acknowledges it.
pub fn handle_interrupt<M: Machine>(ks: &mut KernelState, m: &mut M, irq: u64) {
    if irq_state(ks, irq) == IrqState::Signal
        && let Cap::Notification { ptr, badge, rights } = irq_node_slot(ks, irq).cap(m)
        && rights.contains(CapRights::WRITE)
    {
        send_signal(ks, m, ptr, badge);
    }
    m.mask_irq(irq, true);
}
