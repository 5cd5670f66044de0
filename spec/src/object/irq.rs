//! Interrupts: IRQControl issues handler caps (and SGI signal caps); an IRQHandler binds a
//! line to a notification; an SGI signal cap sends its software-generated interrupt.

use sel4_abi::config::{GICV2_SGI_TARGETS, NUM_SGIS};
use sel4_abi::{CapRights, IrqControlLabel, IrqHandlerLabel};

use crate::kernel::cspace::{lookup_slot_for_cnode_op, slot_at};
use crate::kernel::cte::{cte_delete_one, ensure_empty_slot};
use crate::model::error::SyscallError;
use crate::model::{Cap, IrqState, SlotRef, State};

use super::Args;

/// A decoded IRQControl invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IrqControlInvocation {
    /// Issue a handler cap for `irq` into `dest`, derived from the control cap in `src`
    /// (IssueIRQHandler and IssueIRQHandlerTrigger).
    IssueIrqHandler {
        irq: u64,
        /// IssueIRQHandlerTrigger's trigger: edge (true) or level; None keeps the line's.
        trigger: Option<bool>,
        src: SlotRef,
        dest: SlotRef,
    },
    /// Issue an SGI signal cap for `irq` and `target` into `dest`, derived from the control
    /// cap in `src`.
    IssueSgiSignal {
        irq: u64,
        target: u64,
        src: SlotRef,
        dest: SlotRef,
    },
}

/// A decoded IRQHandler invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IrqHandlerInvocation {
    /// Unmask the line after an interrupt was handled.
    Ack(u64),
    /// Deliver the line's interrupts to the notification cap in `slot`.
    SetNotification { irq: u64, cap: Cap, slot: SlotRef },
    /// Stop delivering the line's interrupts.
    Clear(u64),
}

/// A decoded SGI signal invocation: send the SGI the cap names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SgiSignalInvocation {
    /// The software-generated interrupt (0..16).
    pub irq: u64,
    /// The CPU interface (a GICv2 target list bit) it goes to.
    pub target: u64,
}

/// seL4's `decodeIRQControlInvocation`, with its AArch64 part
/// (`Arch_decodeIRQControlInvocation`: IssueIRQHandlerTrigger, IssueSGISignal).
pub fn decode_irq_control(s: &State, a: &Args) -> Result<IrqControlInvocation, SyscallError> {
    let trunc = SyscallError::TruncatedMessage;
    match a.family_label()? {
        IrqControlLabel::IssueIrqHandler => {
            let (Some(irq), Some(index), Some(depth), Some((root, _))) =
                (a.mr(0), a.mr(1), a.mr(2), a.excap(0))
            else {
                return Err(trunc);
            };
            decode_issue_irq_handler(s, a, irq, None, index, depth, root)
        }
        IrqControlLabel::IssueIrqHandlerTrigger => {
            let (Some(irq), Some(trigger), Some(index), Some(depth), Some((root, _))) =
                (a.mr(0), a.mr(1), a.mr(2), a.mr(3), a.excap(0))
            else {
                return Err(trunc);
            };
            // Word 1's low bit: 1 edge-triggered, 0 level-sensitive.
            let edge = Some(trigger & 1 == 1);
            decode_issue_irq_handler(s, a, irq, edge, index, depth, root)
        }
        IrqControlLabel::IssueSgiSignal => {
            let (Some(irq), Some(target), Some(index), Some(depth), Some((root, _))) =
                (a.mr(0), a.mr(1), a.mr(2), a.mr(3), a.excap(0))
            else {
                return Err(trunc);
            };
            decode_issue_sgi_signal(s, a, irq, target, index, depth, root)
        }
    }
}

/// The checks IssueIRQHandler and IssueIRQHandlerTrigger share (seL4's `Arch_checkIRQ`,
/// the line's state, the destination slot).
fn decode_issue_irq_handler(
    s: &State,
    a: &Args,
    irq: u64,
    trigger: Option<bool>,
    index: u64,
    depth: u64,
    root: Cap,
) -> Result<IrqControlInvocation, SyscallError> {
    // The line must exist on this interrupt controller.
    if irq > s.max_irq {
        return Err(SyscallError::RangeError {
            min: 0,
            max: s.max_irq,
        });
    }
    // One handler cap (and its copies) per line: another issue would share it unknowingly.
    if s.irq_states.get(&irq).copied().unwrap_or_default() != IrqState::Inactive {
        return Err(SyscallError::RevokeFirst);
    }
    let dest = lookup_slot_for_cnode_op(s, false, root, index, depth)?;
    ensure_empty_slot(s, dest)?;
    Ok(IrqControlInvocation::IssueIrqHandler {
        irq,
        trigger,
        src: a.slot,
        dest,
    })
}

/// The IssueSGISignal case of seL4's `Arch_decodeIRQControlInvocation`. The spec models
/// QEMU's `virt` board with its default GICv2, whose SGIs can target 8 CPU interfaces (the
/// 8 bits of GICD_SGIR's target list); on a GICv3 seL4 accepts every target.
fn decode_issue_sgi_signal(
    s: &State,
    a: &Args,
    irq: u64,
    target: u64,
    index: u64,
    depth: u64,
    root: Cap,
) -> Result<IrqControlInvocation, SyscallError> {
    // Sixteen SGIs exist; the target must be an interface the GIC can name.
    if irq >= NUM_SGIS {
        return Err(SyscallError::RangeError {
            min: 0,
            max: NUM_SGIS - 1,
        });
    }
    if target >= GICV2_SGI_TARGETS {
        return Err(SyscallError::InvalidArgument(1));
    }
    let dest = lookup_slot_for_cnode_op(s, false, root, index, depth)?;
    ensure_empty_slot(s, dest)?;
    Ok(IrqControlInvocation::IssueSgiSignal {
        irq,
        target,
        src: a.slot,
        dest,
    })
}

/// seL4's `decodeIRQHandlerInvocation`.
pub fn decode_irq_handler(a: &Args) -> Result<IrqHandlerInvocation, SyscallError> {
    let Cap::IrqHandler { irq } = a.cap else {
        return Err(SyscallError::IllegalOperation);
    };
    match a.family_label()? {
        IrqHandlerLabel::Ack => Ok(IrqHandlerInvocation::Ack(irq)),
        IrqHandlerLabel::SetNotification => {
            let Some((cap, slot)) = a.excap(0) else {
                return Err(SyscallError::TruncatedMessage);
            };
            // The kernel signals the notification, so the cap must allow sending.
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

/// seL4's `decodeSGISignalInvocation`: any invocation of an SGI signal cap sends its SGI
/// (seL4 reads no label).
pub fn decode_sgi_signal(a: &Args) -> Result<SgiSignalInvocation, SyscallError> {
    let Cap::SgiSignal { irq, target } = a.cap else {
        return Err(SyscallError::IllegalOperation);
    };
    Ok(SgiSignalInvocation { irq, target })
}

/// seL4's `invokeIRQControl` (through `Arch_invokeIRQControl`) and
/// `Arch_invokeIssueSGISignal`.
pub fn invoke_irq_control(s: &mut State, inv: IrqControlInvocation) {
    match inv {
        IrqControlInvocation::IssueIrqHandler {
            irq,
            trigger,
            src,
            dest,
        } => {
            // seL4's setIRQTrigger: the interrupt controller keeps a shared peripheral
            // interrupt's trigger (lines 32 and up; a private line's is fixed).
            if let Some(edge) = trigger
                && irq >= 32
            {
                if edge {
                    s.edge_irqs.insert(irq);
                } else {
                    s.edge_irqs.remove(&irq);
                }
            }
            s.irq_states.insert(irq, IrqState::Signal);
            s.cte_insert(Cap::IrqHandler { irq }, src, dest);
        }
        IrqControlInvocation::IssueSgiSignal {
            irq,
            target,
            src,
            dest,
        } => s.cte_insert(Cap::SgiSignal { irq, target }, src, dest),
    }
}

/// seL4's `invokeIRQHandler_AckIRQ`, `invokeIRQHandler_SetIRQHandler` and
/// `invokeIRQHandler_ClearIRQHandler`.
pub fn invoke_irq_handler(s: &mut State, inv: IrqHandlerInvocation) {
    match inv {
        IrqHandlerInvocation::Ack(irq) => {
            s.masked_irqs.remove(&irq);
        }
        IrqHandlerInvocation::SetNotification { irq, cap, slot } => {
            let node = slot_at(s.irq_node, irq);
            cte_delete_one(s, node);
            s.cte_insert(cap, slot, node);
        }
        IrqHandlerInvocation::Clear(irq) => cte_delete_one(s, slot_at(s.irq_node, irq)),
    }
}

/// seL4's `invokeSGISignalGenerate`.
pub fn invoke_sgi_signal(_s: &mut State, _inv: SgiSignalInvocation) {
    // The interrupt reaches the kernel later, as an interrupt event of its own (or not
    // at all: another core's); nothing changes now.
}
