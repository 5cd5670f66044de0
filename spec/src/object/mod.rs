//! Kernel objects, one module per object family; every invocation is decoded, then invoked.
//!
//! [`decode_invocation`] validates an invocation against the state and builds a typed
//! [`Invocation`], or returns the error user level sees, changing nothing.
//! [`perform_invocation`] performs it. Each family follows the same pattern:
//! `decode_<family>` converts the label once to the family's `sel4_abi::<Family>Label` (a
//! label of another family is IllegalOperation), matches it exhaustively, runs the checks
//! in seL4's order and returns a `<Family>Invocation`; `invoke_<family>` has the effects.

pub mod asid;
pub mod cnode;
pub mod domain;
pub mod frame;
pub mod irq;
pub mod page_table;
pub mod tcb;
pub mod untyped;
pub mod vspace;

use sel4_abi::CapRights;

use crate::kernel::endpoint::send_ipc;
use crate::kernel::ipc::do_reply_transfer;
use crate::kernel::notification::send_signal;
use crate::kernel::thread::set_thread_state;
use crate::model::error::SyscallError;
use crate::model::{Cap, PAddr, SlotRef, State, ThreadState};

use asid::{
    AsidControlInvocation, AsidPoolInvocation, decode_asid_control, decode_asid_pool,
    invoke_asid_control, invoke_asid_pool,
};
use cnode::{CNodeInvocation, decode_cnode, invoke_cnode};
use domain::{DomainInvocation, decode_domain, invoke_domain};
use frame::{FrameInvocation, decode_frame, invoke_frame};
use irq::{
    IrqControlInvocation, IrqHandlerInvocation, SgiSignalInvocation, decode_irq_control,
    decode_irq_handler, decode_sgi_signal, invoke_irq_control, invoke_irq_handler,
    invoke_sgi_signal,
};
use page_table::{PageTableInvocation, decode_page_table, invoke_page_table};
use tcb::{TcbInvocation, decode_tcb, invoke_tcb};
use untyped::{UntypedInvocation, decode_untyped, invoke_untyped};
use vspace::{VSpaceInvocation, decode_vspace, invoke_vspace};

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
    /// The label as the invoked cap's family `L` names it: seL4's decoders treat a label
    /// of another family, or of none, as an illegal operation (their `default` case).
    pub fn family_label<L: TryFrom<u64>>(&self) -> Result<L, SyscallError> {
        L::try_from(self.label).map_err(|_| SyscallError::IllegalOperation)
    }

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
    Untyped(UntypedInvocation),
    /// A CNode operation.
    CNode(CNodeInvocation),
    /// A TCB operation.
    Tcb(TcbInvocation),
    /// Domain set and the domain schedule.
    Domain(DomainInvocation),
    /// IRQControl: issue an IRQ handler or SGI signal cap.
    IrqControl(IrqControlInvocation),
    /// An IRQHandler operation.
    IrqHandler(IrqHandlerInvocation),
    /// Send a software-generated interrupt.
    SgiSignal(SgiSignalInvocation),
    /// A frame operation.
    Frame(FrameInvocation),
    /// A page-table operation.
    PageTable(PageTableInvocation),
    /// A VSpace (cache) operation.
    VSpace(VSpaceInvocation),
    /// ASIDControl MakePool.
    AsidControl(AsidControlInvocation),
    /// ASID pool Assign.
    AsidPool(AsidPoolInvocation),
}

/// seL4's `decodeInvocation`: the invoked cap's type picks the family. Endpoints,
/// notifications and reply caps read no label, so they are decoded here.
pub fn decode_invocation(s: &State, a: &Args) -> Result<Invocation, SyscallError> {
    match a.cap {
        // Nothing can be done with an empty slot or a cap being destroyed.
        Cap::Null | Cap::Zombie { .. } => Err(SyscallError::InvalidCapability(0)),
        Cap::Endpoint { ptr, badge, rights } => decode_endpoint(a, ptr, badge, rights),
        Cap::Notification { ptr, badge, rights } => decode_notification(ptr, badge, rights),
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => decode_reply(a, tcb, master, can_grant),
        Cap::Untyped { .. } => decode_untyped(s, a).map(Invocation::Untyped),
        Cap::CNode { .. } => decode_cnode(s, a).map(Invocation::CNode),
        Cap::Thread { .. } => decode_tcb(s, a).map(Invocation::Tcb),
        Cap::Domain => decode_domain(s, a).map(Invocation::Domain),
        Cap::IrqControl => decode_irq_control(s, a).map(Invocation::IrqControl),
        Cap::IrqHandler { .. } => decode_irq_handler(a).map(Invocation::IrqHandler),
        // SGI signal caps are arch caps, but interrupts are decided in `irq`.
        Cap::SgiSignal { .. } => decode_sgi_signal(a).map(Invocation::SgiSignal),
        Cap::Frame { .. } => decode_frame(s, a).map(Invocation::Frame),
        Cap::PageTable { .. } => decode_page_table(s, a).map(Invocation::PageTable),
        Cap::VSpace { .. } => decode_vspace(s, a).map(Invocation::VSpace),
        Cap::AsidControl => decode_asid_control(s, a).map(Invocation::AsidControl),
        Cap::AsidPool { .. } => decode_asid_pool(s, a).map(Invocation::AsidPool),
    }
}

/// The endpoint case of seL4's `decodeInvocation`: a send (Send, NBSend, Call).
fn decode_endpoint(
    a: &Args,
    ep: PAddr,
    badge: u64,
    rights: CapRights,
) -> Result<Invocation, SyscallError> {
    // Sending needs the Write right; without it the cap is as good as absent.
    if !rights.contains(CapRights::WRITE) {
        return Err(SyscallError::InvalidCapability(0));
    }
    Ok(Invocation::Endpoint {
        ep,
        badge,
        can_grant: rights.contains(CapRights::GRANT),
        can_grant_reply: rights.contains(CapRights::GRANT_REPLY),
        block: a.is_blocking,
        call: a.is_call,
    })
}

/// The notification case of seL4's `decodeInvocation`: a signal.
fn decode_notification(
    ntfn: PAddr,
    badge: u64,
    rights: CapRights,
) -> Result<Invocation, SyscallError> {
    if !rights.contains(CapRights::WRITE) {
        return Err(SyscallError::InvalidCapability(0));
    }
    Ok(Invocation::Notification { ntfn, badge })
}

/// The reply-cap case of seL4's `decodeInvocation`: a reply through a cap held in a slot.
fn decode_reply(
    a: &Args,
    tcb: PAddr,
    master: bool,
    can_grant: bool,
) -> Result<Invocation, SyscallError> {
    // The master reply cap only mints reply caps; it is not itself a reply.
    if master {
        return Err(SyscallError::InvalidCapability(0));
    }
    Ok(Invocation::Reply {
        tcb,
        slot: a.slot,
        can_grant,
    })
}

/// seL4's `performInvocation`: perform a decoded invocation on behalf of `thread`. Returns
/// the words of a successful reply that carries data (ReadRegisters, SetFlags, GetAddress);
/// `None` means an empty reply.
pub fn perform_invocation(s: &mut State, thread: PAddr, inv: Invocation) -> Option<Vec<u64>> {
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
        Invocation::Untyped(inv) => {
            invoke_untyped(s, inv);
            None
        }
        Invocation::CNode(inv) => {
            invoke_cnode(s, thread, inv);
            None
        }
        Invocation::Tcb(inv) => invoke_tcb(s, thread, inv),
        Invocation::Domain(inv) => {
            invoke_domain(s, inv);
            None
        }
        Invocation::IrqControl(inv) => {
            invoke_irq_control(s, inv);
            None
        }
        Invocation::IrqHandler(inv) => {
            invoke_irq_handler(s, inv);
            None
        }
        Invocation::SgiSignal(inv) => {
            invoke_sgi_signal(s, inv);
            None
        }
        Invocation::Frame(inv) => invoke_frame(s, inv),
        Invocation::PageTable(inv) => {
            invoke_page_table(s, inv);
            None
        }
        Invocation::VSpace(inv) => {
            invoke_vspace(s, inv);
            None
        }
        Invocation::AsidControl(inv) => {
            invoke_asid_control(s, inv);
            None
        }
        Invocation::AsidPool(inv) => {
            invoke_asid_pool(s, inv);
            None
        }
    }
}
