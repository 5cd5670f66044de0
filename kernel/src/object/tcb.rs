//! TCB invocations, as seL4's decodeTCBInvocation and invokeTCB_*: configuration (CSpace,
//! VSpace, IPC buffer, fault endpoint), priorities with MCP authority, suspend and resume,
//! registers, notification binding, TLS base and flags.

use super::Args;
use crate::kernel::cte::{cte_delete, cte_insert, derive_cap, slot_cap_long_running_delete};
use crate::kernel::ipc::reply_from_kernel;
use crate::kernel::notification::{bind_notification, bound_tcb, unbind_notification};
use crate::kernel::preemption::Preempted;
use crate::kernel::thread::{
    possible_switch_to, reschedule_required, restart, sched_dequeue, set_thread_state, suspend,
};
use crate::machine::{Machine, Memory};
use crate::model::queue::Queue;
use crate::model::tcb::{USER_CONTEXT, field, reg, sanitise, slot as tcb_slot};
use crate::model::{Cap, KernelState, Slot, SyscallError, Tcb, ThreadState};
use crate::mutant::{self, Mutant};
use sel4_abi::tcb::registers_flags::{
    COPY_RESUME_TARGET, COPY_SUSPEND_SOURCE, COPY_TRANSFER_FRAME, COPY_TRANSFER_INTEGER,
    READ_SUSPEND_SOURCE, WRITE_RESUME_TARGET,
};
use sel4_abi::tcb::{FRAME_REGISTERS, TCB_FLAG_MASK};
use sel4_abi::{CapRights, TcbLabel};

/// Registers ReadRegisters and WriteRegisters may move (n_frameRegisters + n_gpRegisters).
pub const MAX_REGISTERS: u64 = USER_CONTEXT.len() as u64;

/// A cap to install in a TCB slot, and the slot it was derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Install {
    /// The cap to install.
    pub cap: Cap,
    /// Its source slot.
    pub src: Slot,
}

/// A validated TCB invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcbInvocation {
    /// ReadRegisters: `count` registers, suspending the target first if asked.
    ReadRegisters {
        target: Tcb,
        suspend: bool,
        count: u64,
    },
    /// WriteRegisters: `count` registers from the message, resuming the target if asked.
    WriteRegisters {
        target: Tcb,
        resume: bool,
        count: u64,
    },
    /// CopyRegisters from `source` to `target`.
    CopyRegisters {
        target: Tcb,
        source: Tcb,
        suspend: bool,
        resume: bool,
        frame: bool,
        integer: bool,
    },
    /// Suspend.
    Suspend(Tcb),
    /// Resume.
    Resume(Tcb),
    /// Configure, SetSpace, SetIPCBuffer, SetPriority, SetMCPriority, SetSchedParams:
    /// seL4's ThreadControl with the parts that are present. `slot` holds the invoked cap.
    ThreadControl {
        target: Tcb,
        slot: Slot,
        fault_ep: Option<u64>,
        mcp: Option<u64>,
        priority: Option<u64>,
        space: Option<(Install, Install)>,
        buffer: Option<(u64, Option<Install>)>,
    },
    /// BindNotification (`Some`) or UnbindNotification (`None`).
    NotificationControl { target: Tcb, ntfn: Option<u64> },
    /// SetTLSBase.
    SetTlsBase { target: Tcb, base: u64 },
    /// SetFlags: clear, then set.
    SetFlags { target: Tcb, clear: u64, set: u64 },
}

/// seL4's decodeTCBInvocation: by label, each method's own decoder.
pub fn decode_tcb(m: &impl Memory, a: &Args) -> Result<TcbInvocation, SyscallError> {
    let Cap::Thread { tcb } = a.cap else {
        return Err(SyscallError::InvalidCapability(0));
    };
    let target = Tcb(tcb);
    let Ok(label) = TcbLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        TcbLabel::ReadRegisters => decode_read_registers(m, a, target),
        TcbLabel::WriteRegisters => decode_write_registers(m, a, target),
        TcbLabel::CopyRegisters => decode_copy_registers(m, a, target),
        TcbLabel::Suspend => Ok(TcbInvocation::Suspend(target)),
        TcbLabel::Resume => Ok(TcbInvocation::Resume(target)),
        TcbLabel::Configure => decode_tcb_configure(m, a, target),
        TcbLabel::SetSpace => decode_set_space(m, a, target),
        TcbLabel::SetIpcBuffer => decode_set_ipc_buffer(m, a, target),
        TcbLabel::SetPriority => decode_set_priority(m, a, target),
        TcbLabel::SetMcPriority => decode_set_mc_priority(m, a, target),
        TcbLabel::SetSchedParams => decode_set_sched_params(m, a, target),
        TcbLabel::BindNotification => decode_bind_notification(m, a, target),
        TcbLabel::UnbindNotification => decode_unbind_notification(m, target),
        TcbLabel::SetTlsBase => decode_set_tls_base(m, a, target),
        TcbLabel::SetFlags => decode_set_flags(m, a, target),
    }
}

/// TruncatedMessage unless the message has `n` words.
fn need(a: &Args, n: usize) -> Result<(), SyscallError> {
    if a.length < n {
        Err(SyscallError::TruncatedMessage)
    } else {
        Ok(())
    }
}

/// A ThreadControl that changes only the priority and MCP given.
fn set_priorities(a: &Args, target: Tcb, mcp: Option<u64>, priority: Option<u64>) -> TcbInvocation {
    TcbInvocation::ThreadControl {
        target,
        slot: a.slot,
        fault_ep: None,
        mcp,
        priority,
        space: None,
        buffer: None,
    }
}

/// seL4's decodeReadRegisters: flags and a count of 1..=36.
fn decode_read_registers(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    need(a, 2)?;
    let (flags, count) = (a.mr(m, 0), a.mr(m, 1));
    if !(1..=MAX_REGISTERS).contains(&count) {
        return Err(SyscallError::RangeError(1, MAX_REGISTERS));
    }
    // A thread's registers are in flux while it runs the invocation itself.
    if target == a.thread {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(TcbInvocation::ReadRegisters {
        target,
        suspend: flags & READ_SUSPEND_SOURCE != 0,
        count,
    })
}

/// seL4's decodeWriteRegisters: flags, a count, and that many register words.
fn decode_write_registers(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    need(a, 2)?;
    let (flags, count) = (a.mr(m, 0), a.mr(m, 1));
    if ((a.length - 2) as u64) < count {
        return Err(SyscallError::TruncatedMessage);
    }
    if target == a.thread {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(TcbInvocation::WriteRegisters {
        target,
        resume: flags & WRITE_RESUME_TARGET != 0,
        count: count.min(MAX_REGISTERS),
    })
}

/// seL4's decodeCopyRegisters: flags (suspend source, resume target, frame, integer) and
/// the source thread as extra cap 0.
fn decode_copy_registers(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    let Some((src, _)) = a.excap(m, 0).filter(|_| a.length >= 1) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let flags = a.mr(m, 0);
    let Cap::Thread { tcb: source } = src else {
        return Err(SyscallError::InvalidCapability(1));
    };
    Ok(TcbInvocation::CopyRegisters {
        target,
        source: Tcb(source),
        suspend: flags & COPY_SUSPEND_SOURCE != 0,
        resume: flags & COPY_RESUME_TARGET != 0,
        frame: flags & COPY_TRANSFER_FRAME != 0,
        integer: flags & COPY_TRANSFER_INTEGER != 0,
    })
}

/// seL4's decodeTCBConfigure (non-MCS): fault endpoint, CSpace root data, VSpace root data,
/// IPC buffer address; the CSpace root, VSpace root and buffer frame as extra caps 0..3.
fn decode_tcb_configure(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    if a.length < 4 || a.extra.iter().any(Option::is_none) {
        return Err(SyscallError::TruncatedMessage);
    }
    let (fault_ep, cdata, vdata, buf) = (a.mr(m, 0), a.mr(m, 1), a.mr(m, 2), a.mr(m, 3));
    let buffer = decode_buffer(m, a, buf, 2)?;
    let space = decode_space(m, a, target, cdata, vdata)?;
    Ok(TcbInvocation::ThreadControl {
        target,
        slot: a.slot,
        fault_ep: Some(fault_ep),
        mcp: None,
        priority: None,
        space: Some(space),
        buffer: Some(buffer),
    })
}

/// seL4's decodeSetSpace: fault endpoint, CSpace and VSpace root data; the roots as extra
/// caps 0 and 1.
fn decode_set_space(m: &impl Memory, a: &Args, target: Tcb) -> Result<TcbInvocation, SyscallError> {
    if a.length < 3 || a.extra[1].is_none() {
        return Err(SyscallError::TruncatedMessage);
    }
    let space = decode_space(m, a, target, a.mr(m, 1), a.mr(m, 2))?;
    Ok(TcbInvocation::ThreadControl {
        target,
        slot: a.slot,
        fault_ep: Some(a.mr(m, 0)),
        mcp: None,
        priority: None,
        space: Some(space),
        buffer: None,
    })
}

/// seL4's decodeSetIPCBuffer: the address, and the frame as extra cap 0.
fn decode_set_ipc_buffer(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    if a.length < 1 || a.extra[0].is_none() {
        return Err(SyscallError::TruncatedMessage);
    }
    let buffer = decode_buffer(m, a, a.mr(m, 0), 0)?;
    Ok(TcbInvocation::ThreadControl {
        target,
        slot: a.slot,
        fault_ep: None,
        mcp: None,
        priority: None,
        space: None,
        buffer: Some(buffer),
    })
}

/// seL4's decodeSetPriority: the priority (word 0), at most the authority's MCP (extra
/// cap 0).
fn decode_set_priority(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    if a.length < 1 || a.extra[0].is_none() {
        return Err(SyscallError::TruncatedMessage);
    }
    let priority = a.mr(m, 0);
    check_prio(m, priority, authority(m, a)?)?;
    Ok(set_priorities(a, target, None, Some(priority)))
}

/// seL4's decodeSetMCPriority: the maximum controlled priority (word 0), at most the
/// authority's own.
fn decode_set_mc_priority(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    if a.length < 1 || a.extra[0].is_none() {
        return Err(SyscallError::TruncatedMessage);
    }
    let mcp = a.mr(m, 0);
    check_prio(m, mcp, authority(m, a)?)?;
    Ok(set_priorities(a, target, Some(mcp), None))
}

/// seL4's decodeSetSchedParams (non-MCS): MCP and priority, both checked against the
/// authority.
fn decode_set_sched_params(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    if a.length < 2 || a.extra[0].is_none() {
        return Err(SyscallError::TruncatedMessage);
    }
    let (mcp, prio) = (a.mr(m, 0), a.mr(m, 1));
    let auth = authority(m, a)?;
    check_prio(m, mcp, auth)?;
    check_prio(m, prio, auth)?;
    Ok(set_priorities(a, target, Some(mcp), Some(prio)))
}

/// seL4's decodeBindNotification: one notification per thread, one thread per
/// notification, and the thread must be able to receive from it; a notification with
/// waiters cannot be bound.
fn decode_bind_notification(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    let Some((ncap, _)) = a.excap(m, 0) else {
        return Err(SyscallError::TruncatedMessage);
    };
    if target.get(m, field::BOUND_NOTIFICATION) != 0 {
        return Err(SyscallError::IllegalOperation);
    }
    let Cap::Notification { ptr, rights, .. } = ncap else {
        return Err(SyscallError::IllegalOperation);
    };
    if !rights.contains(CapRights::READ) {
        return Err(SyscallError::IllegalOperation);
    }
    if Queue(ptr).head(m).is_some() || bound_tcb(m, ptr).is_some() {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(TcbInvocation::NotificationControl {
        target,
        ntfn: Some(ptr),
    })
}

/// seL4's decodeUnbindNotification: the thread must have one.
fn decode_unbind_notification(m: &impl Memory, target: Tcb) -> Result<TcbInvocation, SyscallError> {
    if target.get(m, field::BOUND_NOTIFICATION) == 0 {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(TcbInvocation::NotificationControl { target, ntfn: None })
}

/// seL4's decodeSetTLSBase.
fn decode_set_tls_base(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
) -> Result<TcbInvocation, SyscallError> {
    need(a, 1)?;
    Ok(TcbInvocation::SetTlsBase {
        target,
        base: a.mr(m, 0),
    })
}

/// seL4's decodeSetFlags: the flags to clear, then to set.
fn decode_set_flags(m: &impl Memory, a: &Args, target: Tcb) -> Result<TcbInvocation, SyscallError> {
    need(a, 2)?;
    Ok(TcbInvocation::SetFlags {
        target,
        clear: a.mr(m, 0),
        set: a.mr(m, 1),
    })
}

/// seL4's checkValidIPCBuffer: a non-device frame, the address 1 KiB aligned.
fn check_valid_ipc_buffer(vaddr: u64, cap: Cap) -> Result<(), SyscallError> {
    match cap {
        Cap::Frame {
            is_device: false, ..
        } => {}
        _ => return Err(SyscallError::IllegalOperation),
    }
    if vaddr & ((1 << sel4_abi::IPC_BUFFER_SIZE_BITS) - 1) != 0 {
        return Err(SyscallError::AlignmentError);
    }
    Ok(())
}

/// seL4's checkPrio: a priority up to the authority's MCP.
fn check_prio(m: &impl Memory, prio: u64, auth: Tcb) -> Result<(), SyscallError> {
    let mcp = auth.mcp(m);
    if prio > mcp && !mutant::on(Mutant::PriorityAboveMcp) {
        Err(SyscallError::RangeError(0, mcp))
    } else {
        Ok(())
    }
}

/// The authority of a priority change: extra cap 0 must be a thread cap.
fn authority(m: &impl Memory, a: &Args) -> Result<Tcb, SyscallError> {
    match a.excap(m, 0) {
        Some((Cap::Thread { tcb }, _)) => Ok(Tcb(tcb)),
        Some(_) => Err(SyscallError::InvalidCapability(1)),
        None => Err(SyscallError::TruncatedMessage),
    }
}

/// The CSpace and VSpace roots of Configure and SetSpace, from caps 0 and 1.
fn decode_space(
    m: &impl Memory,
    a: &Args,
    target: Tcb,
    cdata: u64,
    vdata: u64,
) -> Result<(Install, Install), SyscallError> {
    let (Some((ccap, cslot)), Some((vcap, vslot))) = (a.excap(m, 0), a.excap(m, 1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // Replacing a root whose deletion would take long is refused (seL4 does the same).
    if slot_cap_long_running_delete(m, target.slot(tcb_slot::CTABLE))
        || slot_cap_long_running_delete(m, target.slot(tcb_slot::VTABLE))
    {
        return Err(SyscallError::IllegalOperation);
    }
    let ccap = if cdata != 0 {
        ccap.update_data(false, cdata)
    } else {
        ccap
    };
    let ccap = derive_cap(m, cslot, ccap)?;
    if !matches!(ccap, Cap::CNode { .. }) {
        return Err(SyscallError::IllegalOperation);
    }
    let vcap = if vdata != 0 {
        vcap.update_data(false, vdata)
    } else {
        vcap
    };
    let vcap = derive_cap(m, vslot, vcap)?;
    // The VSpace root must be a VSpace with an ASID.
    if !matches!(vcap, Cap::VSpace { asid: Some(_), .. }) {
        return Err(SyscallError::IllegalOperation);
    }
    Ok((
        Install {
            cap: ccap,
            src: cslot,
        },
        Install {
            cap: vcap,
            src: vslot,
        },
    ))
}

/// The IPC buffer argument: address 0 removes it; else cap `i` must be a usable frame.
fn decode_buffer(
    m: &impl Memory,
    a: &Args,
    vaddr: u64,
    i: usize,
) -> Result<(u64, Option<Install>), SyscallError> {
    let Some((cap, slot)) = a.excap(m, i) else {
        return Err(SyscallError::TruncatedMessage);
    };
    if vaddr == 0 {
        return Ok((0, None));
    }
    let cap = derive_cap(m, slot, cap)?;
    check_valid_ipc_buffer(vaddr, cap)?;
    Ok((vaddr, Some(Install { cap, src: slot })))
}

/// Performs a decoded TCB invocation for the caller of `a`.
pub fn invoke_tcb(
    ks: &mut KernelState,
    m: &mut impl Machine,
    a: &Args,
    inv: TcbInvocation,
) -> Result<(), Preempted> {
    match inv {
        TcbInvocation::ReadRegisters {
            target,
            suspend,
            count,
        } => invoke_read_registers(ks, m, a, target, suspend, count),
        TcbInvocation::WriteRegisters {
            target,
            resume,
            count,
        } => invoke_write_registers(ks, m, a, target, resume, count),
        TcbInvocation::CopyRegisters {
            target,
            source,
            suspend,
            resume,
            frame,
            integer,
        } => invoke_copy_registers(ks, m, target, source, suspend, resume, frame, integer),
        TcbInvocation::Suspend(t) => suspend(ks, m, t),
        TcbInvocation::Resume(t) => restart(ks, m, t),
        TcbInvocation::ThreadControl { .. } => invoke_thread_control(ks, m, inv)?,
        TcbInvocation::NotificationControl { target, ntfn } => {
            invoke_notification_control(m, target, ntfn)
        }
        TcbInvocation::SetTlsBase { target, base } => invoke_set_tls_base(ks, m, target, base),
        TcbInvocation::SetFlags { target, clear, set } => {
            invoke_set_flags(ks, m, a, target, clear, set)
        }
    }
    Ok(())
}

/// seL4's invokeTCB_ReadRegisters: the registers, in seL4_UserContext order, are the reply.
fn invoke_read_registers(
    ks: &mut KernelState,
    m: &mut impl Machine,
    a: &Args,
    target: Tcb,
    suspend_target: bool,
    count: u64,
) {
    if suspend_target {
        suspend(ks, m, target);
    }
    if a.call {
        let mut words = [0; USER_CONTEXT.len()];
        for (w, r) in words.iter_mut().zip(USER_CONTEXT) {
            *w = target.user_reg(m, r);
        }
        reply_from_kernel(m, a.thread, words.into_iter().take(count as usize));
    }
    set_thread_state(ks, m, a.thread, ThreadState::Running);
}

/// seL4's invokeTCB_WriteRegisters: registers from the message (after the two argument
/// words), each sanitised; the thread resumes at its restart pc.
fn invoke_write_registers(
    ks: &mut KernelState,
    m: &mut impl Machine,
    a: &Args,
    target: Tcb,
    resume: bool,
    count: u64,
) {
    for (i, r) in USER_CONTEXT.iter().enumerate().take(count as usize) {
        let v = a.mr(m, i + 2);
        target.set_user_reg(m, *r, sanitise(*r, v));
    }
    let pc = target.get(m, field::FAULT_IP);
    target.set_reg(m, reg::PC, pc);
    if resume {
        restart(ks, m, target);
    }
}

/// seL4's invokeTCB_CopyRegisters: the frame registers are the first 17 of the user
/// context, the integer ("gp") registers the rest.
#[allow(clippy::too_many_arguments)] // seL4's flags, one argument each
fn invoke_copy_registers(
    ks: &mut KernelState,
    m: &mut impl Machine,
    target: Tcb,
    source: Tcb,
    suspend_source: bool,
    resume_target: bool,
    frame: bool,
    integer: bool,
) {
    if suspend_source {
        suspend(ks, m, source);
    }
    if resume_target {
        restart(ks, m, target);
    }
    let (frame_regs, gp_regs) = USER_CONTEXT.split_at(FRAME_REGISTERS);
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

/// seL4's invokeTCB_ThreadControl (non-MCS): fault endpoint and MCP, then the roots, the
/// IPC buffer and the priority. A cap is installed only if the invoked cap and the cap's
/// source survived the deletion of the old one (which may have destroyed them); a
/// deletion stopped by a pending interrupt ends the invocation, the caller to restart it.
fn invoke_thread_control(
    ks: &mut KernelState,
    m: &mut impl Machine,
    inv: TcbInvocation,
) -> Result<(), Preempted> {
    let TcbInvocation::ThreadControl {
        target,
        slot,
        fault_ep,
        mcp,
        priority,
        space,
        buffer,
    } = inv
    else {
        return Ok(());
    };
    let tcap = Cap::Thread { tcb: target.0 };
    let survived = |m: &_, i: Install| {
        i.cap.same_object_as(&i.src.cap(m)) && tcap.same_object_as(&slot.cap(m))
    };
    if let Some(f) = fault_ep {
        target.set(m, field::FAULT_HANDLER, f);
    }
    if let Some(p) = mcp {
        target.set_mcp(m, p);
    }
    if let Some((croot, vroot)) = space {
        for (i, install) in [(tcb_slot::CTABLE, croot), (tcb_slot::VTABLE, vroot)] {
            let dest = target.slot(i);
            cte_delete(ks, m, dest, true)?;
            if survived(&*m, install) {
                cte_insert(m, install.cap, install.src, dest);
            }
        }
    }
    if let Some((vaddr, frame)) = buffer {
        let dest = target.slot(tcb_slot::BUFFER);
        cte_delete(ks, m, dest, true)?;
        target.set_ipc_buffer(m, vaddr);
        // The thread finds its buffer in TPIDRRO_EL0 (user-readable, kernel-set).
        target.set_reg(m, reg::TPIDRRO_EL0, vaddr);
        if let Some(install) = frame
            && survived(&*m, install)
        {
            cte_insert(m, install.cap, install.src, dest);
        }
        if ks.current == Some(target) {
            reschedule_required(ks, m);
        }
    }
    if let Some(p) = priority {
        set_priority(ks, m, target, p);
    }
    Ok(())
}

/// seL4's invokeTCB_NotificationControl.
fn invoke_notification_control(m: &mut impl Machine, target: Tcb, ntfn: Option<u64>) {
    match ntfn {
        Some(n) => bind_notification(m, target, n),
        None => unbind_notification(m, target),
    }
}

/// seL4's invokeSetTLSBase: the thread's TPIDR_EL0.
fn invoke_set_tls_base(ks: &mut KernelState, m: &mut impl Machine, target: Tcb, base: u64) {
    target.set_reg(m, reg::TPIDR_EL0, base);
    if ks.current == Some(target) {
        reschedule_required(ks, m);
    }
}

/// seL4's invokeSetFlags: the new flags are the reply (mr0).
fn invoke_set_flags(
    ks: &mut KernelState,
    m: &mut impl Machine,
    a: &Args,
    target: Tcb,
    clear: u64,
    set: u64,
) {
    let flags = (target.get(m, field::FLAGS) & !clear) | (set & TCB_FLAG_MASK);
    if !mutant::on(Mutant::TcbFlagsNotStored) {
        target.set(m, field::FLAGS, flags);
    }
    if a.call {
        reply_from_kernel(m, a.thread, [flags]);
    }
    set_thread_state(ks, m, a.thread, ThreadState::Running);
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
