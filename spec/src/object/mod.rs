//! Kernel objects, one module each; every invocation is decoded, then invoked.
//!
//! `decode` validates an invocation against the state and builds a typed [`Invocation`], or
//! returns the error user level sees, changing nothing. `invoke` performs it.

pub mod arch;
pub mod cnode;
pub mod domain;
pub mod irq;
pub mod tcb;
pub mod untyped;

use crate::kernel::endpoint::send_ipc;
use crate::kernel::ipc::do_reply_transfer;
use crate::kernel::notification::send_signal;
use crate::kernel::thread::set_thread_state;
use crate::model::error::SyscallError;
use crate::model::{Cap, PAddr, SlotRef, State, ThreadState};

/// Everything a decoder may look at: the invoked cap, the message and the extra caps.
#[derive(Clone, Debug)]
pub struct Args {
    /// The invocation label (the message-info label).
    pub label: u64,
    /// The message words (length already cut as the kernel cuts it).
    pub mrs: Vec<u64>,
    /// The extra caps, with their slots, in order.
    pub caps: Vec<(Cap, SlotRef)>,
    /// The invoked cap.
    pub cap: Cap,
    /// The invoked cap's slot.
    pub slot: SlotRef,
    /// The invoking thread.
    pub thread: PAddr,
    /// Whether the syscall was Call (so the thread wants a reply).
    pub is_call: bool,
    /// Whether the syscall blocks (Send and Call; not NBSend).
    pub is_blocking: bool,
}

impl Args {
    /// Message word `i`, if the message has it.
    pub fn mr(&self, i: usize) -> Option<u64> {
        self.mrs.get(i).copied()
    }

    /// Extra cap `i`, if the message has it.
    pub fn excap(&self, i: usize) -> Option<(Cap, SlotRef)> {
        self.caps.get(i).copied()
    }
}

/// A decoded invocation, ready to perform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Send on an endpoint (Send, NBSend, Call).
    Endpoint {
        ep: PAddr,
        badge: u64,
        can_grant: bool,
        can_grant_reply: bool,
        block: bool,
        call: bool,
    },
    /// Signal a notification.
    Notification { ntfn: PAddr, badge: u64 },
    /// Reply through a reply cap held in a slot.
    Reply {
        tcb: PAddr,
        slot: SlotRef,
        can_grant: bool,
    },
    /// Untyped Retype.
    Untyped(untyped::Retype),
    /// A CNode operation.
    CNode(cnode::CNodeOp),
    /// A TCB operation.
    Tcb(tcb::TcbOp),
    /// An IRQ control or handler operation.
    Irq(irq::IrqOp),
    /// A VSpace, page table, frame or ASID operation.
    Arch(arch::ArchOp),
    /// Domain set and the domain schedule.
    Domain(domain::DomainOp),
}

/// seL4's `decodeInvocation`.
pub fn decode(s: &State, a: &Args) -> Result<Invocation, SyscallError> {
    use sel4_abi::CapRights as R;
    // SGI signal caps are arch caps, but interrupts are decided in `irq`.
    if a.cap.is_arch() && !matches!(a.cap, Cap::SgiSignal { .. }) {
        return arch::decode(s, a).map(Invocation::Arch);
    }
    match a.cap {
        // Nothing can be done with an empty slot or a cap being destroyed.
        Cap::Null | Cap::Zombie { .. } => Err(SyscallError::InvalidCapability(0)),
        // Sending needs the Write right; without it the cap is as good as absent.
        Cap::Endpoint { ptr, badge, rights } => {
            if !rights.contains(R::WRITE) {
                return Err(SyscallError::InvalidCapability(0));
            }
            Ok(Invocation::Endpoint {
                ep: ptr,
                badge,
                can_grant: rights.contains(R::GRANT),
                can_grant_reply: rights.contains(R::GRANT_REPLY),
                block: a.is_blocking,
                call: a.is_call,
            })
        }
        Cap::Notification { ptr, badge, rights } => {
            if !rights.contains(R::WRITE) {
                return Err(SyscallError::InvalidCapability(0));
            }
            Ok(Invocation::Notification { ntfn: ptr, badge })
        }
        // The master reply cap only mints reply caps; it is not itself a reply.
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => {
            if master {
                return Err(SyscallError::InvalidCapability(0));
            }
            Ok(Invocation::Reply {
                tcb,
                slot: a.slot,
                can_grant,
            })
        }
        Cap::Thread { .. } => tcb::decode(s, a).map(Invocation::Tcb),
        Cap::Domain => domain::decode(s, a).map(Invocation::Domain),
        Cap::CNode { .. } => cnode::decode(s, a).map(Invocation::CNode),
        Cap::Untyped { .. } => untyped::decode(s, a).map(Invocation::Untyped),
        Cap::IrqControl | Cap::IrqHandler { .. } | Cap::SgiSignal { .. } => {
            irq::decode(s, a).map(Invocation::Irq)
        }
        _ => Err(SyscallError::IllegalOperation),
    }
}

/// Perform a decoded invocation on behalf of `thread`. Returns the words of a successful
/// reply that carries data (ReadRegisters, GetAddress); `None` means an empty reply.
pub fn invoke(s: &mut State, thread: PAddr, inv: Invocation) -> Option<Vec<u64>> {
    // The thread restarts the syscall if it is interrupted; a completed invocation leaves
    // it in Restart, which the caller turns into the reply.
    set_thread_state(s, thread, ThreadState::Restart);
    match inv {
        Invocation::Endpoint {
            ep,
            badge,
            can_grant,
            can_grant_reply,
            block,
            call,
        } => {
            send_ipc(
                s,
                block,
                call,
                badge,
                can_grant,
                can_grant_reply,
                thread,
                ep,
            );
            None
        }
        Invocation::Notification { ntfn, badge } => {
            send_signal(s, ntfn, badge);
            None
        }
        Invocation::Reply {
            tcb,
            slot,
            can_grant,
        } => {
            do_reply_transfer(s, thread, tcb, slot, can_grant);
            None
        }
        Invocation::Untyped(r) => {
            untyped::invoke(s, r);
            None
        }
        Invocation::CNode(op) => {
            cnode::invoke(s, thread, op);
            None
        }
        Invocation::Tcb(op) => tcb::invoke(s, thread, op),
        Invocation::Irq(op) => {
            irq::invoke(s, op);
            None
        }
        Invocation::Arch(op) => arch::invoke(s, op),
        Invocation::Domain(op) => {
            domain::invoke(s, op);
            None
        }
    }
}
