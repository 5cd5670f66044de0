//! Interrupts as the kernel takes them: a line with a handler signals its notification, the
//! timer's line ticks the scheduler, and a line is masked until its handler acknowledges it.

use sel4_abi::CapRights;

use crate::model::{Cap, IrqState, State};

use super::cspace::slot_at;
use super::notification::send_signal;
use super::thread::timer_tick;

/// seL4's `handleInterrupt`: a line with a handler signals its notification and stays
/// masked until the handler acknowledges it.
pub fn handle_interrupt(s: &mut State, irq: u64) {
    if irq > s.max_irq || s.masked_irqs.contains(&irq) {
        return;
    }
    match s.irq_states.get(&irq).copied().unwrap_or_default() {
        IrqState::Signal => {
            if let Cap::Notification { ptr, badge, rights } = s.cap(slot_at(s.irq_node, irq))
                && rights.contains(CapRights::WRITE)
            {
                send_signal(s, ptr, badge);
            }
            s.masked_irqs.insert(irq);
        }
        IrqState::Timer => timer_tick(s),
        IrqState::Inactive => {
            s.masked_irqs.insert(irq);
        }
    }
}
