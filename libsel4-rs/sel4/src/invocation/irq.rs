//! Interrupts: IRQControl makes handler caps (and SGI signal caps); an IRQHandler acks and
//! routes one line; an SGI signal cap sends its software-generated interrupt.

use sel4_abi::InvocationLabel as L;

use super::invoke_unit;
use crate::cap::cap_type::{IrqControl, IrqHandler, Notification, SgiSignal};
use crate::cap::{AbsoluteCPtr, Cap};
use crate::error::Result;
use crate::message::Message;

/// Request for seL4_IRQControl_Get: words `(irq, index, depth)`, cap `(root)`.
pub fn irq_control_get(irq: u64, dst: &AbsoluteCPtr) -> Message {
    let mut m = Message::invocation(L::IrqIssueIrqHandler);
    m.push(irq)
        .push(dst.index())
        .push(dst.depth())
        .push_cap(dst.root());
    m
}

/// Request for seL4_IRQControl_GetTrigger (Arm): words `(irq, trigger, index, depth)`, cap
/// `(root)`; `trigger` is 1 for edge-triggered, 0 for level.
pub fn irq_control_get_trigger(irq: u64, edge_triggered: bool, dst: &AbsoluteCPtr) -> Message {
    let mut m = Message::invocation(L::ArmIrqIssueIrqHandlerTrigger);
    m.push(irq)
        .push(u64::from(edge_triggered))
        .push(dst.index())
        .push(dst.depth())
        .push_cap(dst.root());
    m
}

/// Request for seL4_IRQControl_IssueSGISignal (Arm): words `(irq, target, index, depth)`,
/// cap `(root)`. `irq` is an SGI (0..16); `target` a CPU interface (0..8) on a GICv2, an
/// affinity word on a GICv3.
pub fn irq_control_issue_sgi_signal(irq: u64, target: u64, dst: &AbsoluteCPtr) -> Message {
    let mut m = Message::invocation(L::ArmIrqIssueSgiSignal);
    m.push(irq)
        .push(target)
        .push(dst.index())
        .push(dst.depth())
        .push_cap(dst.root());
    m
}

/// Request for seL4_ARM_SGISignal_Generate: no arguments (the kernel reads no label; this
/// sends 0).
pub fn sgi_signal_generate() -> Message {
    Message::with_words(0, &[])
}

/// Request for seL4_IRQHandler_Ack: no arguments.
pub fn irq_handler_ack() -> Message {
    Message::invocation(L::IrqAckIrq)
}

/// Request for seL4_IRQHandler_SetNotification: cap `(notification)`.
pub fn irq_handler_set_notification(notification: Cap<Notification>) -> Message {
    let mut m = Message::invocation(L::IrqSetIrqHandler);
    m.push_cap(notification);
    m
}

/// Request for seL4_IRQHandler_Clear: no arguments.
pub fn irq_handler_clear() -> Message {
    Message::invocation(L::IrqClearIrqHandler)
}

impl Cap<IrqControl> {
    /// seL4_IRQControl_Get: puts a handler cap for interrupt `irq` in the slot `dst`.
    pub fn irq_control_get(self, irq: u64, dst: &AbsoluteCPtr) -> Result<()> {
        invoke_unit(self, &irq_control_get(irq, dst))
    }

    /// seL4_IRQControl_GetTrigger: as [`irq_control_get`](Self::irq_control_get), also
    /// setting the line edge- or level-triggered.
    pub fn irq_control_get_trigger(
        self,
        irq: u64,
        edge_triggered: bool,
        dst: &AbsoluteCPtr,
    ) -> Result<()> {
        invoke_unit(self, &irq_control_get_trigger(irq, edge_triggered, dst))
    }
}

impl Cap<IrqControl> {
    /// seL4_IRQControl_IssueSGISignal: puts in `dst` a cap that sends SGI `irq` to
    /// `target` when invoked.
    pub fn irq_control_issue_sgi_signal(
        self,
        irq: u64,
        target: u64,
        dst: &AbsoluteCPtr,
    ) -> Result<()> {
        invoke_unit(self, &irq_control_issue_sgi_signal(irq, target, dst))
    }
}

impl Cap<SgiSignal> {
    /// seL4_ARM_SGISignal_Generate: sends the SGI.
    pub fn sgi_signal_generate(self) -> Result<()> {
        invoke_unit(self, &sgi_signal_generate())
    }
}

impl Cap<IrqHandler> {
    /// seL4_IRQHandler_Ack: re-enables the interrupt after it was delivered.
    pub fn irq_handler_ack(self) -> Result<()> {
        invoke_unit(self, &irq_handler_ack())
    }

    /// seL4_IRQHandler_SetNotification: the notification signalled when the line fires.
    pub fn irq_handler_set_notification(self, notification: Cap<Notification>) -> Result<()> {
        invoke_unit(self, &irq_handler_set_notification(notification))
    }

    /// seL4_IRQHandler_Clear: stops signalling a notification.
    pub fn irq_handler_clear(self) -> Result<()> {
        invoke_unit(self, &irq_handler_clear())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::cap_type::CNode;
    use crate::invocation::test_util::check;

    #[test]
    fn irq_control() {
        let dst = Cap::<CNode>::from_cptr(2).relative_bits(0x40, 64);
        check(
            &irq_control_get(33, &dst),
            L::IrqIssueIrqHandler,
            &[33, 0x40, 64],
            &[2],
        );
        check(
            &irq_control_get_trigger(34, true, &dst),
            L::ArmIrqIssueIrqHandlerTrigger,
            &[34, 1, 0x40, 64],
            &[2],
        );
        check(
            &irq_control_get_trigger(34, false, &dst),
            L::ArmIrqIssueIrqHandlerTrigger,
            &[34, 0, 0x40, 64],
            &[2],
        );
    }

    #[test]
    fn irq_handler() {
        check(&irq_handler_ack(), L::IrqAckIrq, &[], &[]);
        check(&irq_handler_clear(), L::IrqClearIrqHandler, &[], &[]);
        check(
            &irq_handler_set_notification(Cap::from_cptr(0x41)),
            L::IrqSetIrqHandler,
            &[],
            &[0x41],
        );
    }
}
