//! Syscall dispatch, as seL4's syscall.c: invocations (Send, NBSend, Call), receives,
//! replies, Yield, and the debug syscalls of a debug build.

use super::error::{Stop, SysError};
use super::fault::{Fault, handle_fault};
use super::invocation::Invocation;
use crate::kernel::cspace::{self, LookupFault};
use crate::kernel::ipc::{self, BADGE_REGISTER, INFO_REGISTER};
use crate::kernel::thread::{self, set_thread_state};
use crate::kprintln;
use crate::machine::Machine;
use crate::model::KernelState;
use crate::object::tcb::{ThreadState, reg, slot as tcb_slot};
use crate::object::{Cap, Tcb, cnode_inv, endpoint, notification, tcb_inv, untyped};
use sel4_abi::{CapRights, MessageInfo, Syscall};

/// Handles the syscall whose number `t` left in x7.
pub fn handle_syscall<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb) {
    let number = t.reg(m, 7);
    let Some(sys) = Syscall::from_word(number) else {
        return handle_fault(ks, m, t, Fault::UnknownSyscall { number });
    };
    let x0 = t.reg(m, reg::X0);
    match sys {
        Syscall::Send => handle_invocation(ks, m, t, false, true),
        Syscall::NBSend => handle_invocation(ks, m, t, false, false),
        Syscall::Call => handle_invocation(ks, m, t, true, true),
        Syscall::Recv => handle_recv(ks, m, t, true),
        Syscall::NBRecv => handle_recv(ks, m, t, false),
        Syscall::Reply => handle_reply(ks, m, t),
        Syscall::ReplyRecv => {
            handle_reply(ks, m, t);
            handle_recv(ks, m, t, true);
        }
        Syscall::Yield => thread::yield_current(ks, m),
        Syscall::DebugPutChar => m.putchar(x0 as u8),
        Syscall::DebugHalt => {
            kprintln!(
                m,
                "kernel: halt requested by a user thread, status {}",
                x0 as u32
            );
            m.halt(x0 as u32)
        }
        Syscall::DebugCapIdentify => {
            // seL4 reports the type of whatever the pointer names; a failed lookup names
            // nothing, which reads as the null cap.
            let cap = cspace::lookup_cap(m, t, x0).unwrap_or(Cap::Null);
            t.set_reg(m, reg::X0, cap.cap_type() as u64);
        }
        Syscall::DebugNameThread => debug_name_thread(m, t, x0),
        Syscall::DebugDumpScheduler => super::debug::dump_scheduler(ks, m),
        Syscall::DebugSnapshot | Syscall::BenchmarkNullSyscall => {}
        Syscall::SetTLSBase => t.set_reg(m, reg::TPIDR_EL0, x0),
    }
}

/// seL4's handleInvocation: the invoked cap must resolve (else a cap fault, if blocking),
/// and so must the message's extra caps; then the object decodes and performs it.
fn handle_invocation<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    t: Tcb,
    call: bool,
    blocking: bool,
) {
    let info = ipc::message_info(m, t);
    let cptr = t.reg(m, reg::X0);
    let slot = match cspace::lookup_slot(m, t, cptr) {
        Ok(s) => s,
        Err(lookup) => {
            if blocking {
                handle_fault(
                    ks,
                    m,
                    t,
                    Fault::CapFault {
                        addr: cptr,
                        in_recv: false,
                        lookup,
                    },
                );
            }
            return;
        }
    };
    let buffer = ipc::ipc_buffer(m, t, false);
    let extra = match ipc::lookup_extra_caps(m, t, buffer, info) {
        Ok(e) => e,
        Err(f) => {
            if blocking {
                handle_fault(ks, m, t, f);
            }
            return;
        }
    };
    let mut length = info.length as usize;
    if buffer.is_none() {
        length = length.min(ipc::MSG_REGISTERS.len());
    }
    let inv = Invocation {
        thread: t,
        label: info.label,
        length,
        buffer,
        extra,
        slot,
        cap: slot.cap(m),
        call,
        blocking,
    };
    match decode_and_invoke(ks, m, &inv) {
        Err(Stop::Error(e)) => {
            if call {
                reply_error(m, t, e);
            }
        }
        // The caller stays in Restart: after the interrupt it runs the syscall again.
        Err(Stop::Preempted) => {}
        Ok(()) => {
            // An invocation that finished without blocking the caller replies "done".
            if t.state(m) == ThreadState::Restart {
                if call {
                    t.set_reg(m, BADGE_REGISTER, 0);
                    t.set_reg(m, INFO_REGISTER, MessageInfo::new(0, 0, 0, 0).to_word());
                }
                set_thread_state(ks, m, t, ThreadState::Running);
            }
        }
    }
}

/// seL4's replyFromKernel_error: the label is the error, the payload the message.
fn reply_error(m: &mut impl Machine, t: Tcb, e: SysError) {
    let rbuf = ipc::ipc_buffer(m, t, true);
    let (words, n) = e.payload();
    let mut sent = 0;
    for (i, w) in words[..n].iter().enumerate() {
        sent = ipc::set_msg_word(m, t, rbuf, i, *w);
    }
    t.set_reg(m, BADGE_REGISTER, 0);
    t.set_reg(
        m,
        INFO_REGISTER,
        MessageInfo::new(e.code() as u64, 0, 0, sent as u64).to_word(),
    );
}

/// seL4's decodeInvocation: by the invoked cap's type. Each decode validates without
/// changing anything; only then does the caller enter Restart and the operation run.
fn decode_and_invoke<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), Stop> {
    let t = inv.thread;
    match inv.cap {
        Cap::Endpoint { ptr, badge, rights } => {
            // Sending needs Write; without it, it is an invalid cap (not a fault).
            if !rights.contains(CapRights::WRITE) {
                return Err(SysError::InvalidCapability(0).into());
            }
            set_thread_state(ks, m, t, ThreadState::Restart);
            let (grant, grant_reply) = (
                rights.contains(CapRights::GRANT),
                rights.contains(CapRights::GRANT_REPLY),
            );
            endpoint::send_ipc(
                ks,
                m,
                inv.blocking,
                inv.call,
                badge,
                grant,
                grant_reply,
                t,
                ptr,
            );
        }
        Cap::Notification { ptr, badge, rights } => {
            if !rights.contains(CapRights::WRITE) {
                return Err(SysError::InvalidCapability(0).into());
            }
            set_thread_state(ks, m, t, ThreadState::Restart);
            notification::send_signal(ks, m, ptr, badge);
        }
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => {
            // A master reply cap is the thread's own: it replies to nobody.
            if master {
                return Err(SysError::InvalidCapability(0).into());
            }
            set_thread_state(ks, m, t, ThreadState::Restart);
            ipc::do_reply_transfer(ks, m, t, Tcb(tcb), inv.slot, can_grant);
        }
        Cap::Untyped { .. } => {
            let r = untyped::decode(m, inv)?;
            set_thread_state(ks, m, t, ThreadState::Restart);
            untyped::invoke(ks, m, r, t)?;
        }
        Cap::CNode { .. } => {
            let op = cnode_inv::decode(m, inv)?;
            set_thread_state(ks, m, t, ThreadState::Restart);
            cnode_inv::invoke(ks, m, op, t)?;
        }
        Cap::Thread { tcb } => {
            let op = tcb_inv::decode(m, inv)?;
            set_thread_state(ks, m, t, ThreadState::Restart);
            tcb_inv::invoke(ks, m, op, Tcb(tcb), inv.slot, t, inv.call, inv.buffer)?;
        }
        Cap::Domain => domain_invocation(ks, m, t, inv)?,
        Cap::Frame { .. }
        | Cap::PageTable { .. }
        | Cap::VSpace { .. }
        | Cap::AsidControl
        | Cap::AsidPool { .. } => {
            crate::arch::decode_and_invoke(ks, m, inv)?;
        }
        Cap::IrqControl | Cap::IrqHandler { .. } | Cap::SgiSignal { .. } => {
            crate::arch::decode_irq(ks, m, inv)?
        }
        Cap::Null | Cap::Zombie { .. } => return Err(SysError::InvalidCapability(0).into()),
    }
    Ok(())
}

/// seL4's handleRecv: the cap must be an endpoint or notification this thread may receive
/// from; anything else is a cap fault in the receive phase.
fn handle_recv<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb, blocking: bool) {
    let cptr = t.reg(m, reg::X0);
    let missing = Fault::CapFault {
        addr: cptr,
        in_recv: true,
        lookup: LookupFault::MissingCapability { bits_left: 0 },
    };
    let cap = match cspace::lookup_cap(m, t, cptr) {
        Ok(c) => c,
        Err(lookup) => {
            return handle_fault(
                ks,
                m,
                t,
                Fault::CapFault {
                    addr: cptr,
                    in_recv: true,
                    lookup,
                },
            );
        }
    };
    match cap {
        Cap::Endpoint { rights, .. } if rights.contains(CapRights::READ) => {
            endpoint::receive_ipc(ks, m, t, cap, blocking);
        }
        Cap::Notification { ptr, rights, .. } if rights.contains(CapRights::READ) => {
            // A notification bound to another thread delivers only to that thread.
            if notification::bound_tcb(m, ptr).is_some_and(|b| b != t) {
                return handle_fault(ks, m, t, missing);
            }
            notification::receive_signal(ks, m, t, ptr, blocking);
        }
        _ => handle_fault(ks, m, t, missing),
    }
}

/// seL4's handleReply: replies through the caller cap, if there is one.
fn handle_reply(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    let slot = t.slot(tcb_slot::CALLER);
    if let Cap::Reply {
        tcb,
        master: false,
        can_grant,
    } = slot.cap(m)
    {
        ipc::do_reply_transfer(ks, m, t, Tcb(tcb), slot, can_grant);
    }
}

/// seL4_DebugNameThread: names the thread `tcb_cptr` names after the NUL-terminated string
/// in the caller's IPC buffer (after the tag word). seL4 halts the machine when the
/// arguments are wrong; this kernel reports the error and carries on, so no argument can
/// stop the system.
fn debug_name_thread<M: Machine>(m: &mut M, t: Tcb, tcb_cptr: u64) {
    let Ok(Cap::Thread { tcb }) = cspace::lookup_cap(m, t, tcb_cptr) else {
        kprintln!(
            m,
            "kernel: DebugNameThread: cptr {tcb_cptr:#x} is not a TCB cap; ignored"
        );
        return;
    };
    let Some(buf) = ipc::ipc_buffer(m, t, true) else {
        kprintln!(
            m,
            "kernel: DebugNameThread: caller has no usable IPC buffer; ignored"
        );
        return;
    };
    let max = (sel4_abi::MSG_MAX_LENGTH * 8) as u64;
    let bytes = m.bytes(buf + 8, max);
    let Some(len) = bytes.iter().position(|&b| b == 0) else {
        kprintln!(
            m,
            "kernel: DebugNameThread: name is not NUL-terminated within {max} bytes; ignored"
        );
        return;
    };
    let mut name = [0u8; 960];
    name[..len].copy_from_slice(&bytes[..len]);
    Tcb(tcb).set_name(m, &name[..len]);
}

/// seL4's decodeDomainInvocation and its invocations (domain.c): DomainSetSet (one domain,
/// so only validated), ScheduleConfigure and ScheduleSetStart.
fn domain_invocation<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    t: Tcb,
    inv: &Invocation,
) -> Result<(), SysError> {
    use crate::model::{MAX_DOMAIN_DURATION, NUM_DOMAIN_SCHEDULES, NUM_DOMAINS};
    use sel4_abi::InvocationLabel as L;
    let len = NUM_DOMAIN_SCHEDULES as u64;
    match inv.label {
        l if l == L::DomainSetSet as u64 => {
            // seL4's order: the domain word, its range, then the thread cap.
            if inv.length < 1 {
                return Err(SysError::TruncatedMessage);
            }
            if inv.arg(m, 0) >= NUM_DOMAINS {
                return Err(SysError::InvalidArgument(0));
            }
            let Some((_, target)) = inv.extra_cap(m, 0) else {
                return Err(SysError::TruncatedMessage);
            };
            if !matches!(target, Cap::Thread { .. }) {
                return Err(SysError::InvalidArgument(1));
            }
            set_thread_state(ks, m, t, ThreadState::Restart);
        }
        l if l == L::ScheduleConfigure as u64 => {
            // index, domain, duration (one word on a 64-bit kernel).
            if inv.length < 3 {
                return Err(SysError::TruncatedMessage);
            }
            let (index, domain, duration) = (inv.arg(m, 0), inv.arg(m, 1), inv.arg(m, 2));
            if index >= len {
                return Err(SysError::RangeError(0, len - 1));
            }
            if domain >= NUM_DOMAINS {
                return Err(SysError::RangeError(0, NUM_DOMAINS - 1));
            }
            if duration > MAX_DOMAIN_DURATION {
                return Err(SysError::InvalidArgument(2));
            }
            // An end marker is domain 0 with duration 0; the starting entry is never one.
            if duration == 0 && domain != 0 {
                return Err(SysError::InvalidArgument(1));
            }
            if index == ks.dom_schedule_start && duration == 0 {
                return Err(SysError::InvalidArgument(2));
            }
            set_thread_state(ks, m, t, ThreadState::Restart);
            ks.dom_schedule[index as usize] = (domain, duration);
        }
        l if l == L::ScheduleSetStart as u64 => {
            if inv.length < 1 {
                return Err(SysError::TruncatedMessage);
            }
            let index = inv.arg(m, 0);
            if index >= len {
                return Err(SysError::RangeError(0, len - 1));
            }
            if ks.dom_schedule[index as usize].1 == 0 {
                return Err(SysError::InvalidArgument(0));
            }
            set_thread_state(ks, m, t, ThreadState::Restart);
            // The current domain's time ends; with one domain the same domain begins again.
            ks.dom_schedule_start = index;
            crate::kernel::thread::reschedule_required(ks, m);
        }
        _ => return Err(SysError::IllegalOperation),
    }
    Ok(())
}
