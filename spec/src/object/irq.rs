//! Interrupts: IRQControl issues handler caps (and SGI signal caps); an IRQHandler binds a
//! line to a notification; an SGI signal cap sends its software-generated interrupt.

use sel4_abi::{CapRights, InvocationLabel as L};

use crate::kernel::cspace::{lookup_slot_for_cnode_op, slot_at};
use crate::kernel::cte::{cte_delete_one, ensure_empty_slot};
use crate::model::error::SyscallError;
use crate::model::{Cap, IrqState, SlotRef, State};

use super::Args;

/// A decoded IRQ invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IrqOp {
    /// Issue a handler cap for `irq` into `dest`, derived from the control cap in `src`.
    Issue {
        irq: u64,
        src: SlotRef,
        dest: SlotRef,
    },
    /// Unmask the line after an interrupt was handled.
    Ack(u64),
    /// Deliver the line's interrupts to the notification cap in `slot`.
    SetHandler { irq: u64, cap: Cap, slot: SlotRef },
    /// Stop delivering the line's interrupts.
    Clear(u64),
    /// Issue an SGI signal cap for `irq` and `target` into `dest`, derived from the control
    /// cap in `src`.
    IssueSgi {
        irq: u64,
        target: u64,
        src: SlotRef,
        dest: SlotRef,
    },
    /// Send the SGI an SGI signal cap names.
    SendSgi { irq: u64, target: u64 },
}

/// Software-generated interrupts on an Arm GIC (seL4's NUM_SGIS).
pub const NUM_SGIS: u64 = 16;
/// CPU interfaces a GICv2 SGI can target (the 8 bits of GICD_SGIR's target list). The spec
/// models QEMU's `virt` board with its default GICv2; on a GICv3 seL4 accepts every target.
pub const GICV2_SGI_TARGETS: u64 = 8;

fn decode_issue(
    s: &State,
    a: &Args,
    irq: u64,
    index: u64,
    depth: u64,
    root: Cap,
) -> Result<IrqOp, SyscallError> {
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
    Ok(IrqOp::Issue {
        irq,
        src: a.slot,
        dest,
    })
}

/// seL4's `decodeIRQControlInvocation` and `decodeIRQHandlerInvocation`.
pub fn decode(s: &State, a: &Args) -> Result<IrqOp, SyscallError> {
    let trunc = SyscallError::TruncatedMessage;
    match a.cap {
        Cap::IrqControl => {
            if a.label == L::IrqIssueIrqHandler.word() {
                let (Some(irq), Some(index), Some(depth), Some((root, _))) =
                    (a.mr(0), a.mr(1), a.mr(2), a.excap(0))
                else {
                    return Err(trunc);
                };
                decode_issue(s, a, irq, index, depth, root)
            } else if a.label == L::ArmIrqIssueIrqHandlerTrigger.word() {
                let (Some(irq), Some(_trigger), Some(index), Some(depth), Some((root, _))) =
                    (a.mr(0), a.mr(1), a.mr(2), a.mr(3), a.excap(0))
                else {
                    return Err(trunc);
                };
                decode_issue(s, a, irq, index, depth, root)
            } else if a.label == L::ArmIrqIssueSgiSignal.word() {
                let (Some(irq), Some(target), Some(index), Some(depth), Some((root, _))) =
                    (a.mr(0), a.mr(1), a.mr(2), a.mr(3), a.excap(0))
                else {
                    return Err(trunc);
                };
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
                Ok(IrqOp::IssueSgi {
                    irq,
                    target,
                    src: a.slot,
                    dest,
                })
            } else {
                Err(SyscallError::IllegalOperation)
            }
        }
        // Any invocation of an SGI signal cap sends its SGI (seL4 reads no label).
        Cap::SgiSignal { irq, target } => Ok(IrqOp::SendSgi { irq, target }),
        Cap::IrqHandler { irq } => match L::from_word(a.label) {
            Some(L::IrqAckIrq) => Ok(IrqOp::Ack(irq)),
            Some(L::IrqSetIrqHandler) => {
                let Some((cap, slot)) = a.excap(0) else {
                    return Err(trunc);
                };
                // The kernel signals the notification, so the cap must allow sending.
                match cap {
                    Cap::Notification { rights, .. } if rights.contains(CapRights::WRITE) => {
                        Ok(IrqOp::SetHandler { irq, cap, slot })
                    }
                    _ => Err(SyscallError::InvalidCapability(0)),
                }
            }
            Some(L::IrqClearIrqHandler) => Ok(IrqOp::Clear(irq)),
            _ => Err(SyscallError::IllegalOperation),
        },
        _ => Err(SyscallError::IllegalOperation),
    }
}

/// Perform an IRQ invocation.
pub fn invoke(s: &mut State, op: IrqOp) {
    match op {
        IrqOp::Issue { irq, src, dest } => {
            s.irq_states.insert(irq, IrqState::Signal);
            s.cte_insert(Cap::IrqHandler { irq }, src, dest);
        }
        IrqOp::Ack(irq) => {
            s.masked_irqs.remove(&irq);
        }
        IrqOp::SetHandler { irq, cap, slot } => {
            let node = slot_at(s.irq_node, irq);
            cte_delete_one(s, node);
            s.cte_insert(cap, slot, node);
        }
        IrqOp::Clear(irq) => cte_delete_one(s, slot_at(s.irq_node, irq)),
        IrqOp::IssueSgi {
            irq,
            target,
            src,
            dest,
        } => s.cte_insert(Cap::SgiSignal { irq, target }, src, dest),
        // The interrupt reaches the kernel later, as an interrupt event of its own (or not
        // at all: another core's); nothing changes now.
        IrqOp::SendSgi { .. } => {}
    }
}
