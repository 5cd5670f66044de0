//! Interrupt invocations, as seL4's interrupt.c decoders and their AArch64 part:
//! IRQControl issues handler caps (and SGI signal caps), an IRQHandler binds a notification
//! and acknowledges its line, an SGI signal cap sends its software-generated interrupt.

use super::Args;
use crate::kernel::cspace::lookup_slot_for_cnode_op;
use crate::kernel::cte::{cte_delete_one, cte_insert, ensure_empty_slot};
use crate::kernel::interrupt::{irq_node_slot, irq_state, set_irq_state};
use crate::machine::{Machine, Memory};
use crate::model::{Cap, IrqState, KernelState, Slot, SyscallError};
use crate::mutant::{self, Mutant};
use sel4_abi::config::NUM_SGIS;
use sel4_abi::{CapRights, IrqControlLabel, IrqHandlerLabel};

/// A validated IRQControl invocation: the new cap goes into `dest`, as a child of the
/// IRQControl cap in `src`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqControlInvocation {
    /// IssueIRQHandler and IssueIRQHandlerTrigger (which also sets the line's trigger:
    /// edge when `Some(true)`).
    IssueIrqHandler {
        irq: u64,
        trigger: Option<bool>,
        src: Slot,
        dest: Slot,
    },
    /// IssueSGISignal: a cap to send SGI `irq` to `target`.
    IssueSgiSignal {
        irq: u64,
        target: u64,
        src: Slot,
        dest: Slot,
    },
}

/// A validated IRQHandler invocation on line `irq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqHandlerInvocation {
    /// AckIRQ: the line may fire again.
    Ack(u64),
    /// SetIRQHandler: the line signals `cap` (from `slot`).
    SetNotification { irq: u64, cap: Cap, slot: Slot },
    /// ClearIRQHandler: the line signals nothing.
    Clear(u64),
}

/// An SGI signal cap's invocation: send SGI `irq` to `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SgiSignalInvocation {
    /// The SGI.
    pub irq: u64,
    /// Its target.
    pub target: u64,
}

/// seL4's decodeIRQControlInvocation (and Arch_decodeIRQControlInvocation).
pub fn decode_irq_control(
    ks: &KernelState,
    m: &impl Machine,
    a: &Args,
) -> Result<IrqControlInvocation, SyscallError> {
    let Ok(label) = IrqControlLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        // (irq, index, depth) with the destination root as extra cap 0.
        IrqControlLabel::IssueIrqHandler => decode_issue_irq_handler(ks, m, a, false),
        // (irq, trigger, index, depth): word 1 is 1 for edge-triggered, 0 for level.
        IrqControlLabel::IssueIrqHandlerTrigger => decode_issue_irq_handler(ks, m, a, true),
        IrqControlLabel::IssueSgiSignal => decode_issue_sgi_signal(m, a),
    }
}

/// IssueIRQHandler: the line must exist, and have no handler (nor belong to the kernel).
fn decode_issue_irq_handler(
    ks: &KernelState,
    m: &impl Machine,
    a: &Args,
    with_trigger: bool,
) -> Result<IrqControlInvocation, SyscallError> {
    let first = if with_trigger { 2 } else { 1 };
    let Some((root, _)) = a.excap(m, 0).filter(|_| a.length > first + 1) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let irq = a.mr(m, 0);
    if irq > ks.max_irq {
        return Err(SyscallError::RangeError(0, ks.max_irq));
    }
    if irq_state(ks, irq) != IrqState::Inactive {
        return Err(SyscallError::RevokeFirst);
    }
    let dest = lookup_slot_for_cnode_op(m, false, root, a.mr(m, first), a.mr(m, first + 1))?;
    ensure_empty_slot(m, dest)?;
    Ok(IrqControlInvocation::IssueIrqHandler {
        irq,
        trigger: with_trigger.then(|| a.mr(m, 1) & 1 == 1),
        src: a.slot,
        dest,
    })
}

/// seL4's IRQControl IssueSGISignal (single core): a cap to send SGI `irq` (word 0) to
/// `target` (word 1), placed at `index` and `depth` (words 2 and 3) in the CNode of cap 0.
fn decode_issue_sgi_signal(
    m: &impl Machine,
    a: &Args,
) -> Result<IrqControlInvocation, SyscallError> {
    let Some((root, _)) = a.excap(m, 0).filter(|_| a.length >= 4) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let (irq, target) = (a.mr(m, 0), a.mr(m, 1));
    if irq >= NUM_SGIS {
        return Err(SyscallError::RangeError(0, NUM_SGIS - 1));
    }
    if !m.sgi_target_valid(target) {
        return Err(SyscallError::InvalidArgument(1));
    }
    let dest = lookup_slot_for_cnode_op(m, false, root, a.mr(m, 2), a.mr(m, 3))?;
    ensure_empty_slot(m, dest)?;
    Ok(IrqControlInvocation::IssueSgiSignal {
        irq,
        target,
        src: a.slot,
        dest,
    })
}

/// Performs a decoded IRQControl invocation.
pub fn invoke_irq_control(ks: &mut KernelState, m: &mut impl Machine, inv: IrqControlInvocation) {
    match inv {
        IrqControlInvocation::IssueIrqHandler {
            irq,
            trigger,
            src,
            dest,
        } => {
            if let Some(edge) = trigger
                && !mutant::on(Mutant::IrqTriggerIgnored)
            {
                m.set_irq_trigger(irq, edge);
            }
            set_irq_state(ks, irq, IrqState::Signal);
            // seL4's setIRQState: a line with a handler is live from now on.
            m.mask_irq(irq, false);
            cte_insert(m, Cap::IrqHandler { irq }, src, dest);
        }
        IrqControlInvocation::IssueSgiSignal {
            irq,
            target,
            src,
            dest,
        } => cte_insert(m, Cap::SgiSignal { irq, target }, src, dest),
    }
}

/// seL4's decodeIRQHandlerInvocation.
pub fn decode_irq_handler(
    m: &impl Memory,
    a: &Args,
    irq: u64,
) -> Result<IrqHandlerInvocation, SyscallError> {
    let Ok(label) = IrqHandlerLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        IrqHandlerLabel::Ack => Ok(IrqHandlerInvocation::Ack(irq)),
        IrqHandlerLabel::SetNotification => {
            let Some((cap, slot)) = a.excap(m, 0) else {
                return Err(SyscallError::TruncatedMessage);
            };
            // The interrupt signals through the cap, so it must be able to send.
            match cap {
                Cap::Notification { rights, .. } if rights.contains(CapRights::WRITE) => {
                    Ok(IrqHandlerInvocation::SetNotification { irq, cap, slot })
                }
                _ => Err(SyscallError::InvalidCapability(0)),
            }
        }
        IrqHandlerLabel::Clear => Ok(IrqHandlerInvocation::Clear(irq)),
    }
}

/// Performs a decoded IRQHandler invocation.
pub fn invoke_irq_handler(ks: &mut KernelState, m: &mut impl Machine, inv: IrqHandlerInvocation) {
    match inv {
        IrqHandlerInvocation::Ack(irq) => m.mask_irq(irq, mutant::on(Mutant::AckLeavesMasked)),
        IrqHandlerInvocation::SetNotification { irq, cap, slot } => {
            let node = irq_node_slot(ks, irq);
            cte_delete_one(ks, m, node);
            cte_insert(m, cap, slot, node);
        }
        IrqHandlerInvocation::Clear(irq) => cte_delete_one(ks, m, irq_node_slot(ks, irq)),
    }
}

/// seL4's decodeSGISignalInvocation: any invocation of an SGI signal cap sends its SGI
/// (seL4 reads no label).
pub fn decode_sgi_signal(irq: u64, target: u64) -> SgiSignalInvocation {
    SgiSignalInvocation { irq, target }
}

/// Sends the SGI (seL4's plat_sendSGI).
pub fn invoke_sgi_signal(m: &mut impl Machine, inv: SgiSignalInvocation) {
    m.send_sgi(inv.irq, inv.target);
}
