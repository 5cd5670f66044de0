//! Syscall dispatch, as seL4's syscall.c: invocations (Send, NBSend, Call), receives,
//! replies, Yield, and the debug syscalls of a debug build.

use crate::kernel::cspace;
use crate::kernel::endpoint::receive_ipc;
use crate::kernel::fault::handle_fault;
use crate::kernel::ipc::{
    do_reply_transfer, lookup_extra_caps_into, message_info, reply_error,
    reply_from_kernel_success_empty,
};
use crate::kernel::notification::{bound_tcb, receive_signal};
use crate::kernel::thread::{
    lookup_ipc_buffer, reschedule_required, sched_append, sched_dequeue, set_thread_state,
};
use crate::kprintln;
use crate::machine::Machine;
use crate::model::tcb::{reg, slot as tcb_slot};
use crate::model::{Cap, Fault, KernelState, LookupFailure, Tcb, ThreadState};
use crate::object::{Args, decode_invocation, invoke_ipc_object, perform_invocation};
use sel4_abi::registers::{CAP_REGISTER, SYSCALL_REGISTER};
use sel4_abi::{CapRights, FAST_MESSAGE_REGISTERS, Syscall};

/// Handles the syscall whose number `t` left in x7.
#[inline(always)]
pub fn handle_syscall<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb) {
    let number = t.reg(m, SYSCALL_REGISTER);
    let Some(sys) = Syscall::from_word(number) else {
        return handle_fault(ks, m, t, Fault::UnknownSyscall { number });
    };
    let x0 = t.reg(m, CAP_REGISTER);
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
        Syscall::Yield => handle_yield(ks, m),
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
            t.set_reg(m, CAP_REGISTER, cap.cap_type() as u64);
        }
        Syscall::DebugNameThread => debug_name_thread(m, t, x0),
        Syscall::DebugDumpScheduler => super::debug::dump_scheduler(ks, m),
        Syscall::DebugSnapshot | Syscall::BenchmarkNullSyscall => {}
        Syscall::SetTLSBase => t.set_reg(m, reg::TPIDR_EL0, x0),
    }
}

/// seL4's handleInvocation: the invoked cap must resolve (else a cap fault, if blocking),
/// and so must the message's extra caps; then the object decodes and performs it.
#[inline(never)]
fn handle_invocation<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    t: Tcb,
    call: bool,
    blocking: bool,
) {
    let info = message_info(m, t);
    let cptr = t.reg(m, CAP_REGISTER);
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
    let buffer = lookup_ipc_buffer(m, t, false);
    // Without an IPC buffer only the four register words exist.
    let mut length = info.length as usize;
    if buffer.is_none() {
        length = length.min(FAST_MESSAGE_REGISTERS);
    }
    let mut args = Args {
        thread: t,
        label: info.label,
        length,
        buffer,
        extra: [None; sel4_abi::MSG_MAX_EXTRA_CAPS],
        slot,
        cap: slot.cap(m),
        call,
        blocking,
    };
    if let Err(f) = lookup_extra_caps_into(m, t, buffer, info, &mut args.extra) {
        if blocking {
            handle_fault(ks, m, t, f);
        }
        return;
    }
    // Endpoints, notifications and reply caps first: the IPC invocations, without the
    // other families' decoding.
    let done = match invoke_ipc_object(ks, m, &args) {
        Some(Ok(())) => true,
        Some(Err(e)) => {
            if call {
                reply_error(m, t, e);
            }
            return;
        }
        None => match decode_invocation(ks, m, &args) {
            // Preempted: no reply; the caller stays in Restart and runs the syscall
            // again after the interrupt.
            Ok(inv) => perform_invocation(ks, m, &args, inv).is_ok(),
            Err(e) => {
                if call {
                    reply_error(m, t, e);
                }
                return;
            }
        },
    };
    if done && t.state(m) == ThreadState::Restart {
        // An invocation that finished without blocking the caller replies "done".
        if call {
            reply_from_kernel_success_empty(m, t);
        }
        set_thread_state(ks, m, t, ThreadState::Running);
    }
}

/// seL4's handleYield: the current thread goes to the back of its priority's queue.
pub fn handle_yield(ks: &mut KernelState, m: &mut impl Machine) {
    if let Some(c) = ks.current {
        sched_dequeue(ks, m, c);
        sched_append(ks, m, c);
        reschedule_required(ks, m);
    }
}

/// seL4's handleRecv: the cap must be an endpoint or notification this thread may receive
/// from; anything else is a cap fault in the receive phase.
#[inline(never)]
fn handle_recv<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb, blocking: bool) {
    let cptr = t.reg(m, CAP_REGISTER);
    let missing = Fault::CapFault {
        addr: cptr,
        in_recv: true,
        lookup: LookupFailure::MissingCapability { bits_left: 0 },
    };
    let raw = match cspace::lookup_slot(m, t, cptr) {
        Ok(slot) => slot.raw(m),
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
    if let Some((ep, _, rights)) = raw.endpoint()
        && rights.contains(CapRights::READ)
    {
        return receive_ipc(ks, m, t, ep, rights, blocking);
    }
    if let Some((ptr, _, rights)) = raw.notification()
        && rights.contains(CapRights::READ)
    {
        // A notification bound to another thread delivers only to that thread.
        if bound_tcb(m, ptr).is_some_and(|b| b != t) {
            return handle_fault(ks, m, t, missing);
        }
        return receive_signal(ks, m, t, ptr, blocking);
    }
    handle_fault(ks, m, t, missing)
}

/// seL4's handleReply: replies through the caller cap, if there is one.
fn handle_reply(ks: &mut KernelState, m: &mut impl Machine, t: Tcb) {
    let slot = t.slot(tcb_slot::CALLER);
    if let Some((tcb, false, can_grant)) = slot.raw(m).reply() {
        do_reply_transfer(ks, m, t, Tcb(tcb), slot, can_grant);
    }
}

/// seL4_DebugNameThread: names the thread `tcb_cptr` names after the NUL-terminated string
/// in the caller's IPC buffer (after the tag word). seL4 halts the machine when the
/// arguments are wrong; this kernel reports the error and carries on, so no argument can
/// stop the system.
#[cold]
#[inline(never)]
fn debug_name_thread<M: Machine>(m: &mut M, t: Tcb, tcb_cptr: u64) {
    let Ok(Cap::Thread { tcb }) = cspace::lookup_cap(m, t, tcb_cptr) else {
        kprintln!(
            m,
            "kernel: DebugNameThread: cptr {tcb_cptr:#x} is not a TCB cap; ignored"
        );
        return;
    };
    let Some(buf) = lookup_ipc_buffer(m, t, true) else {
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
