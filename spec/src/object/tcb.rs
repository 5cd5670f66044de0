//! TCB invocations: configuration, scheduling parameters, registers, suspend/resume, binding.

use sel4_abi::{
    CapRights, IPC_BUFFER_SIZE_BITS, TcbLabel, USER_CONTEXT_WORDS,
    context::index,
    tcb::{MIN_PRIO, READ_REGISTERS_MAX, TCB_FLAG_MASK},
};

use crate::kernel::cspace::slot_at;
use crate::kernel::cte::{Preempted, cte_delete, derive_cap};
use crate::kernel::notification::{bind_notification, unbind_notification};
use crate::kernel::thread::{
    TCB_BUFFER, TCB_CTABLE, TCB_VTABLE, possible_switch_to, reschedule_required, restart,
    sched_dequeue, suspend,
};
use crate::machine::{TLS_BASE, sanitise};
use crate::model::error::SyscallError;
use crate::model::{Cap, NtfnState, Object, PAddr, SlotRef, State};

use super::Args;

/// The number of frame registers (pc, sp, spsr, x0..x8, x16..x18, x29, x30): the first part
/// of the user context, the rest being the general registers.
const FRAME_REGISTERS: usize = sel4_abi::tcb::FRAME_REGISTERS;

/// A cap to install in a TCB slot, and the slot it was derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Install {
    /// The cap to install.
    pub cap: Cap,
    /// Its source slot.
    pub src: SlotRef,
}

/// A decoded TCB invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcbInvocation {
    /// Read `n` registers, suspending the thread first if asked.
    ReadRegisters { tcb: PAddr, suspend: bool, n: usize },
    /// Write registers, resuming the thread afterwards if asked.
    WriteRegisters {
        tcb: PAddr,
        resume: bool,
        values: Vec<u64>,
    },
    /// Copy registers from `src` to `tcb`.
    CopyRegisters {
        tcb: PAddr,
        src: PAddr,
        suspend_source: bool,
        resume_target: bool,
        frame: bool,
        integer: bool,
    },
    /// Configure, SetSpace, SetIPCBuffer, SetPriority, SetMCPriority, SetSchedParams: seL4's
    /// ThreadControl with the parts that are present.
    ThreadControl {
        tcb: PAddr,
        slot: SlotRef,
        fault_ep: Option<u64>,
        mcp: Option<u8>,
        priority: Option<u8>,
        space: Option<(Install, Install)>,
        buffer: Option<(u64, Option<Install>)>,
    },
    /// Suspend.
    Suspend(PAddr),
    /// Resume.
    Resume(PAddr),
    /// Bind a notification (`Some`) or unbind (`None`).
    NotificationControl { tcb: PAddr, ntfn: Option<PAddr> },
    /// Set the TLS base register.
    SetTlsBase { tcb: PAddr, base: u64 },
    /// Clear then set flags.
    SetFlags { tcb: PAddr, clear: u64, set: u64 },
}

/// seL4's `checkPrio`: a thread may only give priorities up to its own MCP, so priority
/// cannot be raised by delegation.
fn check_prio(s: &State, prio: u64, auth: PAddr) -> Result<u8, SyscallError> {
    let mcp = u64::from(s.tcb(auth).mcp);
    if prio > mcp {
        return Err(SyscallError::RangeError {
            min: MIN_PRIO,
            max: mcp,
        });
    }
    Ok(prio as u8)
}

/// The authority TCB of SetPriority and friends: extra cap 0 must be a thread cap.
fn authority(a: &Args) -> Result<PAddr, SyscallError> {
    match a.excap(0) {
        Some((Cap::Thread { tcb }, _)) => Ok(tcb),
        _ => Err(SyscallError::InvalidCapability(1)),
    }
}

/// seL4's `checkValidIPCBuffer`: the buffer must be a normal-memory frame at an address
/// aligned to the buffer size.
fn check_valid_ipc_buffer(addr: u64, cap: Cap) -> Result<(), SyscallError> {
    match cap {
        Cap::Frame {
            is_device: false, ..
        } => {}
        _ => return Err(SyscallError::IllegalOperation),
    }
    if addr & ((1 << IPC_BUFFER_SIZE_BITS) - 1) != 0 {
        return Err(SyscallError::AlignmentError);
    }
    Ok(())
}

/// The buffer part of Configure and SetIPCBuffer; address 0 removes the buffer.
fn decode_buffer(
    s: &State,
    addr: u64,
    (cap, slot): (Cap, SlotRef),
) -> Result<(u64, Option<Install>), SyscallError> {
    if addr == 0 {
        return Ok((0, None));
    }
    let cap = derive_cap(s, slot, cap)?;
    check_valid_ipc_buffer(addr, cap)?;
    Ok((addr, Some(Install { cap, src: slot })))
}

/// The CSpace and VSpace part of Configure and SetSpace.
fn decode_space(
    s: &State,
    tcb: PAddr,
    c_data: u64,
    (c_cap, c_slot): (Cap, SlotRef),
    v_data: u64,
    (v_cap, v_slot): (Cap, SlotRef),
) -> Result<(Install, Install), SyscallError> {
    // Replacing a root whose deletion would take long (the last cap to a CNode or a
    // thread) is refused: the thread's own slots are no place for a long-running delete
    // (seL4's slotCapLongRunningDelete).
    let long_running = |slot: SlotRef| {
        matches!(
            s.cap(slot),
            Cap::Thread { .. } | Cap::Zombie { .. } | Cap::CNode { .. }
        ) && s.is_final(slot)
    };
    if long_running(slot_at(tcb, TCB_CTABLE)) || long_running(slot_at(tcb, TCB_VTABLE)) {
        return Err(SyscallError::IllegalOperation);
    }
    let c_cap = if c_data != 0 {
        c_cap.update_data(false, c_data)
    } else {
        c_cap
    };
    let c_cap = derive_cap(s, c_slot, c_cap)?;
    // A thread's CSpace root must be a CNode: every lookup starts there.
    if !matches!(c_cap, Cap::CNode { .. }) {
        return Err(SyscallError::IllegalOperation);
    }
    let v_cap = if v_data != 0 {
        v_cap.update_data(false, v_data)
    } else {
        v_cap
    };
    let v_cap = derive_cap(s, v_slot, v_cap)?;
    // A VSpace root must have an ASID, or the thread could not run in it.
    if !matches!(v_cap, Cap::VSpace { asid: Some(_), .. }) {
        return Err(SyscallError::IllegalOperation);
    }
    Ok((
        Install {
            cap: c_cap,
            src: c_slot,
        },
        Install {
            cap: v_cap,
            src: v_slot,
        },
    ))
}

/// seL4's `decodeTCBInvocation`: one decoder per method.
pub fn decode_tcb(s: &State, a: &Args) -> Result<TcbInvocation, SyscallError> {
    let Cap::Thread { tcb } = a.cap else {
        return Err(SyscallError::IllegalOperation);
    };
    match a.family_label()? {
        TcbLabel::ReadRegisters => decode_read_registers(a, tcb),
        TcbLabel::WriteRegisters => decode_write_registers(a, tcb),
        TcbLabel::CopyRegisters => decode_copy_registers(a, tcb),
        TcbLabel::Suspend => Ok(TcbInvocation::Suspend(tcb)),
        TcbLabel::Resume => Ok(TcbInvocation::Resume(tcb)),
        TcbLabel::Configure => decode_tcb_configure(s, a, tcb),
        TcbLabel::SetPriority => decode_set_priority(s, a, tcb),
        TcbLabel::SetMcPriority => decode_set_mc_priority(s, a, tcb),
        TcbLabel::SetSchedParams => decode_set_sched_params(s, a, tcb),
        TcbLabel::SetIpcBuffer => decode_set_ipc_buffer(s, a, tcb),
        TcbLabel::SetSpace => decode_set_space(s, a, tcb),
        TcbLabel::BindNotification => decode_bind_notification(s, a, tcb),
        TcbLabel::UnbindNotification => decode_unbind_notification(s, tcb),
        TcbLabel::SetTlsBase => decode_set_tls_base(a, tcb),
        TcbLabel::SetFlags => decode_set_flags(a, tcb),
    }
}

/// seL4's `decodeReadRegisters`.
fn decode_read_registers(a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(flags), Some(n)) = (a.mr(0), a.mr(1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // The user context has 36 registers; at least one must be asked for.
    if n < 1 || n > READ_REGISTERS_MAX as u64 {
        return Err(SyscallError::RangeError {
            min: 1,
            max: READ_REGISTERS_MAX as u64,
        });
    }
    // A thread's own registers are being saved as it runs: reading them is meaningless.
    if tcb == a.thread {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(TcbInvocation::ReadRegisters {
        tcb,
        suspend: flags & 1 != 0,
        n: n as usize,
    })
}

/// seL4's `decodeWriteRegisters`.
fn decode_write_registers(a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(flags), Some(w)) = (a.mr(0), a.mr(1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // The values must all be in the message.
    if (a.mrs.len() as u64 - 2) < w {
        return Err(SyscallError::TruncatedMessage);
    }
    if tcb == a.thread {
        return Err(SyscallError::IllegalOperation);
    }
    let w = (w as usize).min(USER_CONTEXT_WORDS);
    Ok(TcbInvocation::WriteRegisters {
        tcb,
        resume: flags & 1 != 0,
        values: a.mrs[2..2 + w].to_vec(),
    })
}

/// seL4's `decodeCopyRegisters`.
fn decode_copy_registers(a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(flags), Some((src, _))) = (a.mr(0), a.excap(0)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let Cap::Thread { tcb: src } = src else {
        return Err(SyscallError::InvalidCapability(1));
    };
    Ok(TcbInvocation::CopyRegisters {
        tcb,
        src,
        suspend_source: flags & 1 != 0,
        resume_target: flags & 2 != 0,
        frame: flags & 4 != 0,
        integer: flags & 8 != 0,
    })
}

/// seL4's `decodeTCBConfigure`: fault endpoint, CSpace, VSpace and IPC buffer at once.
fn decode_tcb_configure(s: &State, a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(fault_ep), Some(c_data), Some(v_data), Some(buf), Some(c), Some(v), Some(b)) = (
        a.mr(0),
        a.mr(1),
        a.mr(2),
        a.mr(3),
        a.excap(0),
        a.excap(1),
        a.excap(2),
    ) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let buffer = decode_buffer(s, buf, b)?;
    let space = decode_space(s, tcb, c_data, c, v_data, v)?;
    Ok(TcbInvocation::ThreadControl {
        tcb,
        slot: a.slot,
        fault_ep: Some(fault_ep),
        mcp: None,
        priority: None,
        space: Some(space),
        buffer: Some(buffer),
    })
}

/// seL4's `decodeSetPriority`.
fn decode_set_priority(s: &State, a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(prio), Some(_)) = (a.mr(0), a.excap(0)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let prio = check_prio(s, prio, authority(a)?)?;
    Ok(TcbInvocation::ThreadControl {
        tcb,
        slot: a.slot,
        fault_ep: None,
        mcp: None,
        priority: Some(prio),
        space: None,
        buffer: None,
    })
}

/// seL4's `decodeSetMCPriority`.
fn decode_set_mc_priority(s: &State, a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(mcp), Some(_)) = (a.mr(0), a.excap(0)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let mcp = check_prio(s, mcp, authority(a)?)?;
    Ok(TcbInvocation::ThreadControl {
        tcb,
        slot: a.slot,
        fault_ep: None,
        mcp: Some(mcp),
        priority: None,
        space: None,
        buffer: None,
    })
}

/// seL4's `decodeSetSchedParams` (non-MCS): the MCP and the priority, both checked against
/// the authority's MCP.
fn decode_set_sched_params(s: &State, a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(mcp), Some(prio), Some(_)) = (a.mr(0), a.mr(1), a.excap(0)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let auth = authority(a)?;
    let mcp = check_prio(s, mcp, auth)?;
    let prio = check_prio(s, prio, auth)?;
    Ok(TcbInvocation::ThreadControl {
        tcb,
        slot: a.slot,
        fault_ep: None,
        mcp: Some(mcp),
        priority: Some(prio),
        space: None,
        buffer: None,
    })
}

/// seL4's `decodeSetIPCBuffer`.
fn decode_set_ipc_buffer(s: &State, a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(buf), Some(b)) = (a.mr(0), a.excap(0)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let buffer = decode_buffer(s, buf, b)?;
    Ok(TcbInvocation::ThreadControl {
        tcb,
        slot: a.slot,
        fault_ep: None,
        mcp: None,
        priority: None,
        space: None,
        buffer: Some(buffer),
    })
}

/// seL4's `decodeSetSpace`: fault endpoint, CSpace and VSpace.
fn decode_set_space(s: &State, a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(fault_ep), Some(c_data), Some(v_data), Some(c), Some(v)) =
        (a.mr(0), a.mr(1), a.mr(2), a.excap(0), a.excap(1))
    else {
        return Err(SyscallError::TruncatedMessage);
    };
    let space = decode_space(s, tcb, c_data, c, v_data, v)?;
    Ok(TcbInvocation::ThreadControl {
        tcb,
        slot: a.slot,
        fault_ep: Some(fault_ep),
        mcp: None,
        priority: None,
        space: Some(space),
        buffer: None,
    })
}

/// seL4's `decodeBindNotification`.
fn decode_bind_notification(
    s: &State,
    a: &Args,
    tcb: PAddr,
) -> Result<TcbInvocation, SyscallError> {
    let Some((ncap, _)) = a.excap(0) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // A thread has at most one bound notification.
    if s.tcb(tcb).bound_notification.is_some() {
        return Err(SyscallError::IllegalOperation);
    }
    let Cap::Notification { ptr, rights, .. } = ncap else {
        return Err(SyscallError::IllegalOperation);
    };
    // Binding lets the thread receive the signals, so it needs the Read right.
    if !rights.contains(CapRights::READ) {
        return Err(SyscallError::IllegalOperation);
    }
    // A notification with waiters or another bound thread cannot be bound: the
    // signals would have two consumers.
    match s.objects.get(&ptr) {
        Some(Object::Notification(n))
            if n.bound_tcb.is_none() && !matches!(n.state, NtfnState::Waiting(_)) => {}
        _ => return Err(SyscallError::IllegalOperation),
    }
    Ok(TcbInvocation::NotificationControl {
        tcb,
        ntfn: Some(ptr),
    })
}

/// seL4's `decodeUnbindNotification`.
fn decode_unbind_notification(s: &State, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    if s.tcb(tcb).bound_notification.is_none() {
        return Err(SyscallError::IllegalOperation);
    }
    Ok(TcbInvocation::NotificationControl { tcb, ntfn: None })
}

/// seL4's `decodeSetTLSBase`.
fn decode_set_tls_base(a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let base = a.mr(0).ok_or(SyscallError::TruncatedMessage)?;
    Ok(TcbInvocation::SetTlsBase { tcb, base })
}

/// seL4's `decodeSetFlags`.
fn decode_set_flags(a: &Args, tcb: PAddr) -> Result<TcbInvocation, SyscallError> {
    let (Some(clear), Some(set)) = (a.mr(0), a.mr(1)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    Ok(TcbInvocation::SetFlags { tcb, clear, set })
}

/// Register `i` of the user context as ReadRegisters sees it: the pc slot is the restart pc.
fn read_reg(s: &State, t: PAddr, i: usize) -> u64 {
    if i == index::PC {
        s.tcb(t).fault_ip
    } else {
        s.tcb(t).regs[i]
    }
}

fn write_reg(s: &mut State, t: PAddr, i: usize, v: u64) {
    let v = sanitise(i, v);
    if i == index::PC {
        s.tcb_mut(t).fault_ip = v;
    } else {
        s.tcb_mut(t).regs[i] = v;
    }
}

/// seL4's `invokeTCB_*`: perform a TCB invocation; returns the reply words of
/// ReadRegisters and SetFlags.
pub fn invoke_tcb(s: &mut State, cur: PAddr, inv: TcbInvocation) -> Option<Vec<u64>> {
    match inv {
        TcbInvocation::ReadRegisters { tcb, suspend, n } => {
            Some(invoke_read_registers(s, tcb, suspend, n))
        }
        TcbInvocation::WriteRegisters {
            tcb,
            resume,
            values,
        } => {
            invoke_write_registers(s, cur, tcb, resume, values);
            None
        }
        TcbInvocation::CopyRegisters {
            tcb,
            src,
            suspend_source,
            resume_target,
            frame,
            integer,
        } => {
            invoke_copy_registers(
                s,
                cur,
                tcb,
                src,
                suspend_source,
                resume_target,
                frame,
                integer,
            );
            None
        }
        TcbInvocation::ThreadControl {
            tcb,
            slot,
            fault_ep,
            mcp,
            priority,
            space,
            buffer,
        } => {
            invoke_thread_control(s, cur, tcb, slot, fault_ep, mcp, priority, space, buffer);
            None
        }
        TcbInvocation::Suspend(t) => {
            suspend(s, t);
            None
        }
        TcbInvocation::Resume(t) => {
            restart(s, t);
            None
        }
        TcbInvocation::NotificationControl { tcb, ntfn } => {
            invoke_notification_control(s, tcb, ntfn);
            None
        }
        TcbInvocation::SetTlsBase { tcb, base } => {
            invoke_set_tls_base(s, cur, tcb, base);
            None
        }
        TcbInvocation::SetFlags { tcb, clear, set } => Some(invoke_set_flags(s, tcb, clear, set)),
    }
}

/// seL4's `invokeTCB_ReadRegisters`: the first `n` registers, suspending the thread first
/// if asked.
fn invoke_read_registers(s: &mut State, tcb: PAddr, sus: bool, n: usize) -> Vec<u64> {
    if sus {
        suspend(s, tcb);
    }
    (0..n).map(|i| read_reg(s, tcb, i)).collect()
}

/// seL4's `invokeTCB_WriteRegisters`: write the first registers, resuming the thread
/// afterwards if asked.
fn invoke_write_registers(s: &mut State, cur: PAddr, tcb: PAddr, resume: bool, values: Vec<u64>) {
    for (i, v) in values.into_iter().enumerate() {
        write_reg(s, tcb, i, v);
    }
    // The thread continues at the (possibly new) pc.
    let t = s.tcb_mut(tcb);
    t.regs[index::PC] = t.fault_ip;
    if resume {
        restart(s, tcb);
    }
    if tcb == cur {
        reschedule_required(s);
    }
}

/// seL4's `invokeTCB_CopyRegisters`: copy the frame and/or integer registers of `src` to
/// `tcb`, suspending the source and resuming the target first if asked.
#[allow(clippy::too_many_arguments)] // seL4's invokeTCB_CopyRegisters, argument for argument
fn invoke_copy_registers(
    s: &mut State,
    cur: PAddr,
    tcb: PAddr,
    src: PAddr,
    suspend_source: bool,
    resume_target: bool,
    frame: bool,
    integer: bool,
) {
    if suspend_source {
        suspend(s, src);
    }
    if resume_target {
        restart(s, tcb);
    }
    if frame {
        for i in 0..FRAME_REGISTERS {
            let v = read_reg(s, src, i);
            if i == index::PC {
                s.tcb_mut(tcb).fault_ip = v;
            } else {
                s.tcb_mut(tcb).regs[i] = v;
            }
        }
        let t = s.tcb_mut(tcb);
        t.regs[index::PC] = t.fault_ip;
    }
    if integer {
        for i in FRAME_REGISTERS..USER_CONTEXT_WORDS {
            let v = s.tcb(src).regs[i];
            s.tcb_mut(tcb).regs[i] = v;
        }
    }
    if tcb == cur {
        reschedule_required(s);
    }
}

/// seL4's `invokeTCB_NotificationControl`: bind a notification (`Some`) or unbind (`None`).
fn invoke_notification_control(s: &mut State, tcb: PAddr, ntfn: Option<PAddr>) {
    match ntfn {
        Some(n) => bind_notification(s, tcb, n),
        None => unbind_notification(s, tcb),
    }
}

/// seL4's `invokeSetTLSBase`.
fn invoke_set_tls_base(s: &mut State, cur: PAddr, tcb: PAddr, base: u64) {
    s.tcb_mut(tcb).regs[TLS_BASE] = base;
    if tcb == cur {
        reschedule_required(s);
    }
}

/// seL4's `invokeSetFlags`: clear, then set (only flags that exist); replies with the new
/// flags.
fn invoke_set_flags(s: &mut State, tcb: PAddr, clear: u64, set: u64) -> Vec<u64> {
    let t = s.tcb_mut(tcb);
    t.flags = (t.flags & !clear) | (set & TCB_FLAG_MASK);
    vec![t.flags]
}

/// seL4's `invokeTCB_ThreadControl` (non-MCS).
#[allow(clippy::too_many_arguments)] // seL4's ThreadControl, argument for argument
fn invoke_thread_control(
    s: &mut State,
    cur: PAddr,
    tcb: PAddr,
    slot: SlotRef,
    fault_ep: Option<u64>,
    mcp: Option<u8>,
    priority: Option<u8>,
    space: Option<(Install, Install)>,
    buffer: Option<(u64, Option<Install>)>,
) {
    let tcap = Cap::Thread { tcb };
    if let Some(f) = fault_ep {
        s.tcb_mut(tcb).fault_handler = f;
    }
    if let Some(m) = mcp {
        s.tcb_mut(tcb).mcp = m;
    }
    // A cap is installed only if its source and the invoked thread cap survived the
    // deletion of the old one (deleting it may have destroyed either).
    // A deletion stopped by a pending interrupt ends the invocation: the caller restarts
    // it (what was done stays done).
    let install = |s: &mut State, idx: u64, i: Install| -> Result<(), Preempted> {
        let dest = slot_at(tcb, idx);
        cte_delete(s, dest)?;
        if s.is_tcb(tcb) && i.cap.same_object_as(&s.cap(i.src)) && tcap.same_object_as(&s.cap(slot))
        {
            s.cte_insert(i.cap, i.src, dest);
        }
        Ok(())
    };
    if let Some((c, v)) = space
        && (install(s, TCB_CTABLE, c).is_err() || install(s, TCB_VTABLE, v).is_err())
    {
        return;
    }
    if let Some((addr, cap)) = buffer
        && s.is_tcb(tcb)
    {
        if cte_delete(s, slot_at(tcb, TCB_BUFFER)).is_err() {
            return;
        }
        if s.is_tcb(tcb) {
            let t = s.tcb_mut(tcb);
            t.ipc_buffer = addr;
            // This kernel publishes the buffer's address in TPIDRRO_EL0 (docs/architecture.md,
            // "The IPC buffer pointer at user level"); seL4 on AArch64 does not.
            t.regs[index::TPIDRRO_EL0] = addr;
            if let Some(i) = cap
                && i.cap.same_object_as(&s.cap(i.src))
                && tcap.same_object_as(&s.cap(slot))
            {
                s.cte_insert(i.cap, i.src, slot_at(tcb, TCB_BUFFER));
            }
            if tcb == cur {
                reschedule_required(s);
            }
        }
    }
    if let Some(p) = priority
        && s.is_tcb(tcb)
    {
        set_priority(s, cur, tcb, p);
    }
}

/// seL4's `setPriority`: requeue at the new priority; a runnable thread may now run first.
fn set_priority(s: &mut State, cur: PAddr, t: PAddr, p: u8) {
    sched_dequeue(s, t);
    s.tcb_mut(t).priority = p;
    if s.tcb(t).state.is_runnable() {
        if t == cur {
            reschedule_required(s);
        } else {
            possible_switch_to(s, t);
        }
    }
}
