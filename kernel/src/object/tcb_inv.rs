//! TCB invocations, as seL4's decodeTCBInvocation and invokeTCB_*: configuration (CSpace,
//! VSpace, IPC buffer, fault endpoint), priorities with MCP authority, suspend and resume,
//! registers, notification binding, TLS base and flags.

use super::objecttype::{derive_cap, same_object_as, update_cap_data};
use super::tcb::{ThreadState, USER_CONTEXT, field, reg, sanitise, slot as tcb_slot};
use super::{Cap, Slot, Tcb, cte, notification};
use crate::api::error::SysError;
use crate::api::invocation::Invocation;
use crate::kernel::ipc::{self, INFO_REGISTER};
use crate::kernel::preemption::Preempted;
use crate::kernel::thread::{
    self, possible_switch_to, reschedule_required, sched_dequeue, set_thread_state,
};
use crate::machine::{Machine, Memory};
use crate::model::KernelState;
use crate::mutant::{self, Mutant};
use sel4_abi::{CapRights, InvocationLabel as L, MessageInfo};

/// Registers ReadRegisters and WriteRegisters may move (n_frameRegisters + n_gpRegisters).
pub const MAX_REGISTERS: u64 = USER_CONTEXT.len() as u64;
/// seL4_TCBFlag_MASK: the flags SetFlags may change (fpuDisabled).
pub const FLAGS_MASK: u64 = sel4_abi::tcb::TCB_FLAG_FPU_DISABLED;

/// What a TCB-control operation replaces (seL4's thread_control flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewSpace {
    /// Fault endpoint cptr.
    pub fault_ep: u64,
    /// The CSpace root cap and the slot it was derived from.
    pub croot: (Cap, Slot),
    /// The VSpace root cap and the slot it was derived from.
    pub vroot: (Cap, Slot),
}

/// A validated TCB invocation on `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcbOp {
    /// ReadRegisters: `count` registers, suspending the source first if asked.
    ReadRegisters { suspend: bool, count: u64 },
    /// WriteRegisters: `count` registers from the message, resuming the target if asked.
    WriteRegisters { resume: bool, count: u64 },
    /// CopyRegisters from `source`.
    CopyRegisters {
        source: Tcb,
        suspend: bool,
        resume: bool,
        frame: bool,
        integer: bool,
    },
    /// Suspend.
    Suspend,
    /// Resume.
    Resume,
    /// Configure, SetSpace, SetIPCBuffer (seL4's invokeTCB_ThreadControl).
    Control {
        space: Option<NewSpace>,
        buffer: Option<(u64, Option<(Cap, Slot)>)>,
    },
    /// SetPriority / SetMCPriority / SetSchedParams.
    Priorities {
        mcp: Option<u64>,
        priority: Option<u64>,
    },
    /// BindNotification.
    Bind(u64),
    /// UnbindNotification.
    Unbind,
    /// SetTLSBase.
    SetTlsBase(u64),
    /// SetFlags.
    SetFlags { clear: u64, set: u64 },
}

/// seL4's checkValidIPCBuffer: a non-device frame, the address 1 KiB aligned.
fn check_ipc_buffer(vaddr: u64, cap: Cap) -> Result<(), SysError> {
    match cap {
        Cap::Frame {
            is_device: false, ..
        } => {}
        _ => return Err(SysError::IllegalOperation),
    }
    if vaddr & ((1 << sel4_abi::IPC_BUFFER_SIZE_BITS) - 1) != 0 {
        return Err(SysError::AlignmentError);
    }
    Ok(())
}

/// seL4's slotCapLongRunningDelete: deleting this slot's cap would destroy a thread or CNode.
fn long_running_delete(m: &impl Memory, slot: Slot) -> bool {
    let cap = slot.cap(m);
    !cap.is_null()
        && cte::is_final(m, slot)
        && matches!(
            cap,
            Cap::Thread { .. } | Cap::Zombie { .. } | Cap::CNode { .. }
        )
}

/// seL4's checkPrio: a priority up to the authority's MCP.
fn check_prio(m: &impl Memory, prio: u64, auth: Tcb) -> Result<(), SysError> {
    let mcp = auth.mcp(m);
    if prio > mcp && !mutant::on(Mutant::PriorityAboveMcp) {
        Err(SysError::RangeError(0, mcp))
    } else {
        Ok(())
    }
}

fn authority(m: &impl Memory, inv: &Invocation) -> Result<Tcb, SysError> {
    match inv.extra_cap(m, 0) {
        Some((_, Cap::Thread { tcb })) => Ok(Tcb(tcb)),
        Some(_) => Err(SysError::InvalidCapability(1)),
        None => Err(SysError::TruncatedMessage),
    }
}

/// The CSpace and VSpace roots of Configure and SetSpace, from caps 0 and 1.
fn decode_space(
    m: &impl Memory,
    inv: &Invocation,
    target: Tcb,
    fault_ep: u64,
    cdata: u64,
    vdata: u64,
) -> Result<NewSpace, SysError> {
    let (Some((cslot, ccap)), Some((vslot, vcap))) = (inv.extra_cap(m, 0), inv.extra_cap(m, 1))
    else {
        return Err(SysError::TruncatedMessage);
    };
    // Replacing a root whose deletion would take long is refused (seL4 does the same).
    if long_running_delete(m, target.slot(tcb_slot::CTABLE))
        || long_running_delete(m, target.slot(tcb_slot::VTABLE))
    {
        return Err(SysError::IllegalOperation);
    }
    let ccap = if cdata != 0 {
        update_cap_data(false, cdata, ccap)
    } else {
        ccap
    };
    let ccap = derive_cap(m, cslot, ccap)?;
    if !matches!(ccap, Cap::CNode { .. }) {
        return Err(SysError::IllegalOperation);
    }
    let vcap = if vdata != 0 {
        update_cap_data(false, vdata, vcap)
    } else {
        vcap
    };
    let vcap = derive_cap(m, vslot, vcap)?;
    // The VSpace root must be a VSpace with an ASID.
    if !matches!(vcap, Cap::VSpace { asid: Some(_), .. }) {
        return Err(SysError::IllegalOperation);
    }
    Ok(NewSpace {
        fault_ep,
        croot: (ccap, cslot),
        vroot: (vcap, vslot),
    })
}

/// The IPC buffer argument: address 0 removes it; else cap `i` must be a usable frame.
fn decode_buffer(
    m: &impl Memory,
    inv: &Invocation,
    vaddr: u64,
    i: usize,
) -> Result<(u64, Option<(Cap, Slot)>), SysError> {
    let Some((slot, cap)) = inv.extra_cap(m, i) else {
        return Err(SysError::TruncatedMessage);
    };
    if vaddr == 0 {
        return Ok((0, None));
    }
    let cap = derive_cap(m, slot, cap)?;
    check_ipc_buffer(vaddr, cap)?;
    Ok((vaddr, Some((cap, slot))))
}

/// seL4's decodeTCBInvocation.
pub fn decode(m: &impl Memory, inv: &Invocation) -> Result<TcbOp, SysError> {
    let Cap::Thread { tcb } = inv.cap else {
        unreachable!()
    };
    let target = Tcb(tcb);
    let need = |n: usize| {
        if inv.length < n {
            Err(SysError::TruncatedMessage)
        } else {
            Ok(())
        }
    };
    let l = inv.label;
    Ok(match l {
        x if x == L::TcbReadRegisters as u64 => {
            need(2)?;
            let (flags, count) = (inv.arg(m, 0), inv.arg(m, 1));
            if !(1..=MAX_REGISTERS).contains(&count) {
                return Err(SysError::RangeError(1, MAX_REGISTERS));
            }
            // A thread's registers are in flux while it runs the invocation itself.
            if target == inv.thread {
                return Err(SysError::IllegalOperation);
            }
            TcbOp::ReadRegisters {
                suspend: flags & 1 != 0,
                count,
            }
        }
        x if x == L::TcbWriteRegisters as u64 => {
            need(2)?;
            let (flags, count) = (inv.arg(m, 0), inv.arg(m, 1));
            if ((inv.length - 2) as u64) < count {
                return Err(SysError::TruncatedMessage);
            }
            if target == inv.thread {
                return Err(SysError::IllegalOperation);
            }
            TcbOp::WriteRegisters {
                resume: flags & 1 != 0,
                count: count.min(MAX_REGISTERS),
            }
        }
        x if x == L::TcbCopyRegisters as u64 => {
            let Some((_, src)) = inv.extra_cap(m, 0).filter(|_| inv.length >= 1) else {
                return Err(SysError::TruncatedMessage);
            };
            let flags = inv.arg(m, 0);
            let Cap::Thread { tcb: source } = src else {
                return Err(SysError::InvalidCapability(1));
            };
            TcbOp::CopyRegisters {
                source: Tcb(source),
                suspend: flags & 1 != 0,
                resume: flags & 2 != 0,
                frame: flags & 4 != 0,
                integer: flags & 8 != 0,
            }
        }
        x if x == L::TcbSuspend as u64 => TcbOp::Suspend,
        x if x == L::TcbResume as u64 => TcbOp::Resume,
        x if x == L::TcbConfigure as u64 => {
            if inv.length < 4 || inv.extra.iter().any(Option::is_none) {
                return Err(SysError::TruncatedMessage);
            }
            let (fault_ep, cdata, vdata, buf) =
                (inv.arg(m, 0), inv.arg(m, 1), inv.arg(m, 2), inv.arg(m, 3));
            let buffer = decode_buffer(m, inv, buf, 2)?;
            let space = decode_space(m, inv, target, fault_ep, cdata, vdata)?;
            TcbOp::Control {
                space: Some(space),
                buffer: Some(buffer),
            }
        }
        x if x == L::TcbSetSpace as u64 => {
            if inv.length < 3 || inv.extra[1].is_none() {
                return Err(SysError::TruncatedMessage);
            }
            let space = decode_space(m, inv, target, inv.arg(m, 0), inv.arg(m, 1), inv.arg(m, 2))?;
            TcbOp::Control {
                space: Some(space),
                buffer: None,
            }
        }
        x if x == L::TcbSetIpcBuffer as u64 => {
            if inv.length < 1 || inv.extra[0].is_none() {
                return Err(SysError::TruncatedMessage);
            }
            TcbOp::Control {
                space: None,
                buffer: Some(decode_buffer(m, inv, inv.arg(m, 0), 0)?),
            }
        }
        x if x == L::TcbSetPriority as u64 || x == L::TcbSetMcPriority as u64 => {
            if inv.length < 1 || inv.extra[0].is_none() {
                return Err(SysError::TruncatedMessage);
            }
            let value = inv.arg(m, 0);
            check_prio(m, value, authority(m, inv)?)?;
            if x == L::TcbSetPriority as u64 {
                TcbOp::Priorities {
                    mcp: None,
                    priority: Some(value),
                }
            } else {
                TcbOp::Priorities {
                    mcp: Some(value),
                    priority: None,
                }
            }
        }
        x if x == L::TcbSetSchedParams as u64 => {
            if inv.length < 2 || inv.extra[0].is_none() {
                return Err(SysError::TruncatedMessage);
            }
            let (mcp, prio) = (inv.arg(m, 0), inv.arg(m, 1));
            let auth = authority(m, inv)?;
            check_prio(m, mcp, auth)?;
            check_prio(m, prio, auth)?;
            TcbOp::Priorities {
                mcp: Some(mcp),
                priority: Some(prio),
            }
        }
        x if x == L::TcbBindNotification as u64 => {
            let Some((_, ncap)) = inv.extra_cap(m, 0) else {
                return Err(SysError::TruncatedMessage);
            };
            // One notification per thread, one thread per notification, and the thread
            // must be able to receive from it; a notification with waiters cannot be bound.
            if target.get(m, field::BOUND_NOTIFICATION) != 0 {
                return Err(SysError::IllegalOperation);
            }
            let Cap::Notification { ptr, rights, .. } = ncap else {
                return Err(SysError::IllegalOperation);
            };
            if !rights.contains(CapRights::READ) {
                return Err(SysError::IllegalOperation);
            }
            let waiting = super::queue::Queue(ptr).head(m).is_some();
            if waiting || notification::bound_tcb(m, ptr).is_some() {
                return Err(SysError::IllegalOperation);
            }
            TcbOp::Bind(ptr)
        }
        x if x == L::TcbUnbindNotification as u64 => {
            if target.get(m, field::BOUND_NOTIFICATION) == 0 {
                return Err(SysError::IllegalOperation);
            }
            TcbOp::Unbind
        }
        x if x == L::TcbSetTlsBase as u64 => {
            need(1)?;
            TcbOp::SetTlsBase(inv.arg(m, 0))
        }
        x if x == L::TcbSetFlags as u64 => {
            need(2)?;
            TcbOp::SetFlags {
                clear: inv.arg(m, 0),
                set: inv.arg(m, 1),
            }
        }
        _ => return Err(SysError::IllegalOperation),
    })
}

/// seL4's setPriority: requeue at the new priority; a runnable thread may preempt.
fn set_priority(ks: &mut KernelState, m: &mut impl Machine, t: Tcb, prio: u64) {
    sched_dequeue(ks, m, t);
    t.set_priority(m, prio);
    if t.state(m).is_runnable() {
        if ks.current == Some(t) {
            reschedule_required(ks, m);
        } else {
            possible_switch_to(ks, m, t);
        }
    }
}

/// Performs a decoded TCB invocation on `target` for `caller` (invoked through `slot`).
#[allow(clippy::too_many_arguments)] // the invocation's context, as seL4 passes it
pub fn invoke(
    ks: &mut KernelState,
    m: &mut impl Machine,
    op: TcbOp,
    target: Tcb,
    slot: Slot,
    caller: Tcb,
    call: bool,
    buffer: Option<u64>,
) -> Result<(), Preempted> {
    match op {
        TcbOp::ReadRegisters { suspend, count } => {
            if suspend {
                thread::suspend(ks, m, target);
            }
            if call {
                let rbuf = ipc::ipc_buffer(m, caller, true);
                caller.set_reg(m, ipc::BADGE_REGISTER, 0);
                let mut sent = 0;
                for (i, r) in USER_CONTEXT.iter().enumerate().take(count as usize) {
                    let v = target.user_reg(m, *r);
                    sent = ipc::set_msg_word(m, caller, rbuf, i, v);
                }
                caller.set_reg(
                    m,
                    INFO_REGISTER,
                    MessageInfo::new(0, 0, 0, sent as u64).to_word(),
                );
            }
            set_thread_state(ks, m, caller, ThreadState::Running);
        }
        TcbOp::WriteRegisters { resume, count } => {
            for (i, r) in USER_CONTEXT.iter().enumerate().take(count as usize) {
                let v = ipc::msg_word(m, caller, buffer, i + 2);
                target.set_user_reg(m, *r, sanitise(*r, v));
            }
            let pc = target.get(m, field::FAULT_IP);
            target.set_reg(m, reg::PC, pc);
            if resume {
                thread::restart(ks, m, target);
            }
        }
        TcbOp::CopyRegisters {
            source,
            suspend,
            resume,
            frame,
            integer,
        } => {
            if suspend {
                thread::suspend(ks, m, source);
            }
            if resume {
                thread::restart(ks, m, target);
            }
            // seL4's frameRegisters are the first 17 of the user context, gpRegisters the rest.
            let (frame_regs, gp_regs) = USER_CONTEXT.split_at(17);
            for (on, regs) in [(frame, frame_regs), (integer, gp_regs)] {
                if on {
                    for r in regs {
                        let v = source.user_reg(m, *r);
                        target.set_user_reg(m, *r, v);
                    }
                }
            }
            if frame {
                let pc = target.get(m, field::FAULT_IP);
                target.set_reg(m, reg::PC, pc);
            }
        }
        TcbOp::Suspend => thread::suspend(ks, m, target),
        TcbOp::Resume => thread::restart(ks, m, target),
        TcbOp::Control {
            space,
            buffer: new_buffer,
        } => {
            let tcap = Cap::Thread { tcb: target.0 };
            // The roots are installed only if the invoked cap and the source caps survived
            // the deletion of the old roots (which may have destroyed them).
            if let Some(sp) = space {
                target.set(m, field::FAULT_HANDLER, sp.fault_ep);
                for (i, (cap, src)) in [(tcb_slot::CTABLE, sp.croot), (tcb_slot::VTABLE, sp.vroot)]
                {
                    let dest = target.slot(i);
                    cte::delete(ks, m, dest, true)?;
                    if same_object_as(&cap, &src.cap(m)) && same_object_as(&tcap, &slot.cap(m)) {
                        cte::insert(m, cap, src, dest);
                    }
                }
            }
            if let Some((vaddr, frame)) = new_buffer {
                let dest = target.slot(tcb_slot::BUFFER);
                cte::delete(ks, m, dest, true)?;
                target.set_ipc_buffer(m, vaddr);
                // The thread finds its buffer in TPIDRRO_EL0 (user-readable, kernel-set).
                target.set_reg(m, reg::TPIDRRO_EL0, vaddr);
                if let Some((cap, src)) = frame
                    && same_object_as(&cap, &src.cap(m))
                    && same_object_as(&tcap, &slot.cap(m))
                {
                    cte::insert(m, cap, src, dest);
                }
                if ks.current == Some(target) {
                    reschedule_required(ks, m);
                }
            }
        }
        TcbOp::Priorities { mcp, priority } => {
            if let Some(p) = mcp {
                target.set_mcp(m, p);
            }
            if let Some(p) = priority {
                set_priority(ks, m, target, p);
            }
        }
        TcbOp::Bind(ntfn) => notification::bind(m, target, ntfn),
        TcbOp::Unbind => notification::unbind_tcb(m, target),
        TcbOp::SetTlsBase(base) => {
            target.set_reg(m, reg::TPIDR_EL0, base);
            if ks.current == Some(target) {
                reschedule_required(ks, m);
            }
        }
        TcbOp::SetFlags { clear, set } => {
            let flags = (target.get(m, field::FLAGS) & !clear) | (set & FLAGS_MASK);
            target.set(m, field::FLAGS, flags);
            if call {
                caller.set_reg(m, ipc::BADGE_REGISTER, 0);
                caller.set_reg(m, ipc::MSG_REGISTERS[0], flags);
                caller.set_reg(m, INFO_REGISTER, MessageInfo::new(0, 0, 0, 1).to_word());
            }
            set_thread_state(ks, m, caller, ThreadState::Running);
        }
    }
    Ok(())
}
