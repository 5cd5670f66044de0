//! Invocations, one module per object family. Each family decodes a message sent to one of
//! its caps (`decode_<family>`: every check, in seL4's order, changing nothing) into a typed
//! invocation, then performs it (`invoke_<family>`: effects only). This module picks the
//! family by the invoked cap's type (seL4's decodeInvocation and performInvocation);
//! endpoints, notifications and reply caps have no labels and are decoded here.
#![forbid(unsafe_code)]

pub mod asid;
pub mod cnode;
pub mod domain;
pub mod frame;
pub mod irq;
pub mod page_table;
pub mod tcb;
pub mod untyped;
pub mod vspace;

use crate::kernel::endpoint::send_ipc;
use crate::kernel::ipc::do_reply_transfer;
use crate::kernel::notification::send_signal;
use crate::kernel::preemption::Preempted;
use crate::kernel::thread::{get_mr, set_thread_state};
use crate::machine::{Machine, Memory};
use crate::model::{Cap, KernelState, Slot, SyscallError, Tcb, ThreadState};
use sel4_abi::{CapRights, MSG_MAX_EXTRA_CAPS};

/// Everything a decoder may read (seL4's decodeInvocation arguments). Message words past
/// `length` read as absent.
#[derive(Clone, Copy, Debug)]
pub struct Args {
    /// The invoking thread.
    pub thread: Tcb,
    /// The message label (the invocation label).
    pub label: u64,
    /// Message words available (cut to 4 without an IPC buffer).
    pub length: usize,
    /// The invoker's IPC buffer, if usable.
    pub buffer: Option<u64>,
    /// Slots of the extra caps, resolved.
    pub extra: [Option<Slot>; MSG_MAX_EXTRA_CAPS],
    /// The invoked cap's slot.
    pub slot: Slot,
    /// The invoked cap.
    pub cap: Cap,
    /// A Call (a reply is expected).
    pub call: bool,
    /// A blocking send (Send or Call).
    pub blocking: bool,
}

impl Args {
    /// Message word `i` (seL4's getSyscallArg); callers check `length` first.
    pub fn mr(&self, m: &impl Memory, i: usize) -> u64 {
        get_mr(m, self.thread, self.buffer, i)
    }

    /// Extra cap `i`: the cap and its slot.
    pub fn excap(&self, m: &impl Memory, i: usize) -> Option<(Cap, Slot)> {
        self.extra.get(i).copied().flatten().map(|s| (s.cap(m), s))
    }
}

/// A decoded invocation, ready to perform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Send on an endpoint (Send, NBSend, Call).
    Endpoint {
        ep: u64,
        badge: u64,
        can_grant: bool,
        can_grant_reply: bool,
        block: bool,
        call: bool,
    },
    /// Signal a notification.
    Notification { ntfn: u64, badge: u64 },
    /// Reply through a reply cap held in a slot.
    Reply {
        tcb: Tcb,
        slot: Slot,
        can_grant: bool,
    },
    /// Untyped Retype.
    Untyped(untyped::UntypedInvocation),
    /// A CNode operation.
    CNode(cnode::CNodeInvocation),
    /// A TCB operation.
    Tcb(tcb::TcbInvocation),
    /// Domain set and the domain schedule.
    Domain(domain::DomainInvocation),
    /// An IRQControl operation.
    IrqControl(irq::IrqControlInvocation),
    /// An IRQHandler operation.
    IrqHandler(irq::IrqHandlerInvocation),
    /// Sending a software-generated interrupt.
    SgiSignal(irq::SgiSignalInvocation),
    /// A frame operation.
    Frame(frame::FrameInvocation),
    /// A page-table operation.
    PageTable(page_table::PageTableInvocation),
    /// Cache maintenance on a VSpace.
    VSpace(vspace::VSpaceInvocation),
    /// Making an ASID pool.
    AsidControl(asid::AsidControlInvocation),
    /// Assigning an ASID.
    AsidPool(asid::AsidPoolInvocation),
}

/// seL4's decodeInvocation: by the invoked cap's type. Nothing changes until the caller
/// performs the result.
#[inline(always)]
pub fn decode_invocation(
    ks: &KernelState,
    m: &impl Machine,
    a: &Args,
) -> Result<Invocation, SyscallError> {
    use Invocation as I;
    Ok(match a.cap {
        Cap::Endpoint { ptr, badge, rights } => decode_endpoint(a, ptr, badge, rights)?,
        Cap::Notification { ptr, badge, rights } => decode_notification(ptr, badge, rights)?,
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => decode_reply(a, tcb, master, can_grant)?,
        Cap::Untyped { .. } => I::Untyped(untyped::decode_untyped(m, a)?),
        Cap::CNode { .. } => I::CNode(cnode::decode_cnode(m, a)?),
        Cap::Thread { .. } => I::Tcb(tcb::decode_tcb(m, a)?),
        Cap::Domain => I::Domain(domain::decode_domain(ks, m, a)?),
        Cap::IrqControl => I::IrqControl(irq::decode_irq_control(ks, m, a)?),
        Cap::IrqHandler { irq } => I::IrqHandler(irq::decode_irq_handler(m, a, irq)?),
        Cap::SgiSignal { irq, target } => I::SgiSignal(irq::decode_sgi_signal(irq, target)),
        Cap::Frame { .. } => I::Frame(frame::decode_frame(ks, m, a)?),
        Cap::PageTable { .. } => I::PageTable(page_table::decode_page_table(ks, m, a)?),
        Cap::VSpace { .. } => I::VSpace(vspace::decode_vspace(ks, m, a)?),
        Cap::AsidControl => I::AsidControl(asid::decode_asid_control(ks, m, a)?),
        Cap::AsidPool { .. } => I::AsidPool(asid::decode_asid_pool(ks, m, a)?),
        // Nothing can be done with an empty slot or a cap being destroyed.
        Cap::Null | Cap::Zombie { .. } => return Err(SyscallError::InvalidCapability(0)),
    })
}

/// The endpoint case of seL4's decodeInvocation: a send (Send, NBSend, Call).
#[inline(always)]
fn decode_endpoint(
    a: &Args,
    ep: u64,
    badge: u64,
    rights: CapRights,
) -> Result<Invocation, SyscallError> {
    // Sending needs Write; without it, it is an invalid cap (not a fault).
    if !rights.contains(CapRights::WRITE) {
        return Err(SyscallError::InvalidCapability(0));
    }
    Ok(Invocation::Endpoint {
        ep,
        badge,
        can_grant: rights.contains(CapRights::GRANT),
        can_grant_reply: rights.contains(CapRights::GRANT_REPLY),
        block: a.blocking,
        call: a.call,
    })
}

/// The notification case of seL4's decodeInvocation: a signal.
#[inline(always)]
fn decode_notification(
    ntfn: u64,
    badge: u64,
    rights: CapRights,
) -> Result<Invocation, SyscallError> {
    if !rights.contains(CapRights::WRITE) {
        return Err(SyscallError::InvalidCapability(0));
    }
    Ok(Invocation::Notification { ntfn, badge })
}

/// The reply-cap case of seL4's decodeInvocation: a reply through a cap held in a slot. A
/// master reply cap is the thread's own: it replies to nobody.
#[inline(always)]
fn decode_reply(
    a: &Args,
    tcb: u64,
    master: bool,
    can_grant: bool,
) -> Result<Invocation, SyscallError> {
    if master {
        return Err(SyscallError::InvalidCapability(0));
    }
    Ok(Invocation::Reply {
        tcb: Tcb(tcb),
        slot: a.slot,
        can_grant,
    })
}

/// [`decode_invocation`] and [`perform_invocation`] for the caps without labels (endpoint,
/// notification, reply): the same checks and effects, without going through the other
/// families' invocations. None for any other cap.
#[inline(always)]
pub fn invoke_ipc_object(
    ks: &mut KernelState,
    m: &mut impl Machine,
    a: &Args,
) -> Option<Result<(), SyscallError>> {
    let decoded = match a.cap {
        Cap::Endpoint { ptr, badge, rights } => decode_endpoint(a, ptr, badge, rights),
        Cap::Notification { ptr, badge, rights } => decode_notification(ptr, badge, rights),
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => decode_reply(a, tcb, master, can_grant),
        _ => return None,
    };
    Some(decoded.map(|inv| {
        set_thread_state(ks, m, a.thread, ThreadState::Restart);
        perform_ipc(ks, m, a.thread, inv);
    }))
}

/// performInvocation's endpoint, notification and reply cases (others do nothing here:
/// they have their families' invoke functions).
#[inline(always)]
fn perform_ipc(ks: &mut KernelState, m: &mut impl Machine, t: Tcb, inv: Invocation) {
    match inv {
        Invocation::Endpoint {
            ep,
            badge,
            can_grant,
            can_grant_reply,
            block,
            call,
        } => send_ipc(ks, m, block, call, badge, can_grant, can_grant_reply, t, ep),
        Invocation::Notification { ntfn, badge } => send_signal(ks, m, ntfn, badge),
        Invocation::Reply {
            tcb,
            slot,
            can_grant,
        } => do_reply_transfer(ks, m, t, tcb, slot, can_grant),
        _ => {}
    }
}

/// seL4's performInvocation: the caller enters Restart (so an interrupted long operation
/// runs again), then the invocation happens. A long operation stopped by a pending
/// interrupt returns `Preempted`, the caller still in Restart.
#[inline(always)]
pub fn perform_invocation(
    ks: &mut KernelState,
    m: &mut impl Machine,
    a: &Args,
    inv: Invocation,
) -> Result<(), Preempted> {
    let t = a.thread;
    set_thread_state(ks, m, t, ThreadState::Restart);
    match inv {
        Invocation::Endpoint { .. }
        | Invocation::Notification { .. }
        | Invocation::Reply { .. } => perform_ipc(ks, m, t, inv),
        Invocation::Untyped(inv) => untyped::invoke_untyped(ks, m, inv, t)?,
        Invocation::CNode(inv) => cnode::invoke_cnode(ks, m, inv, t)?,
        Invocation::Tcb(inv) => tcb::invoke_tcb(ks, m, a, inv)?,
        Invocation::Domain(inv) => domain::invoke_domain(ks, m, inv),
        Invocation::IrqControl(inv) => irq::invoke_irq_control(ks, m, inv),
        Invocation::IrqHandler(inv) => irq::invoke_irq_handler(ks, m, inv),
        Invocation::SgiSignal(inv) => irq::invoke_sgi_signal(m, inv),
        Invocation::Frame(inv) => frame::invoke_frame(ks, m, a, inv),
        Invocation::PageTable(inv) => page_table::invoke_page_table(ks, m, inv),
        Invocation::VSpace(inv) => vspace::invoke_vspace(m, inv),
        Invocation::AsidControl(inv) => asid::invoke_asid_control(ks, m, inv),
        Invocation::AsidPool(inv) => asid::invoke_asid_pool(m, inv),
    }
    Ok(())
}
