//! System calls: seL4's `handleSyscall` and the invocation, receive and reply paths.

use sel4_abi::Syscall;

use crate::kernel::cspace::{lookup_cap_and_slot, slot_at};
use crate::kernel::cte::cte_delete_one;
use crate::kernel::endpoint::receive_ipc;
use crate::kernel::fault::handle_fault;
use crate::kernel::ipc::{
    do_reply_transfer, lookup_extra_caps, message_info, reply_error, reply_from_kernel,
};
use crate::kernel::notification::receive_signal;
use crate::kernel::thread::{
    TCB_CALLER, get_mr, lookup_ipc_buffer, reschedule_required, sched_append, sched_dequeue,
    set_thread_state,
};
use crate::machine::{CAP_REGISTER, TLS_BASE};
use crate::model::{Cap, Fault, LookupFailure, Object, PAddr, State, ThreadState};
use crate::object::{Args, decode_invocation, perform_invocation};

/// seL4's `handleSyscall` (non-MCS), for the current thread.
pub fn handle_syscall(s: &mut State, number: u64) {
    let t = s.current;
    match Syscall::from_word(number) {
        Some(Syscall::Call) => handle_invocation(s, true, true),
        Some(Syscall::Send) => handle_invocation(s, false, true),
        Some(Syscall::NBSend) => handle_invocation(s, false, false),
        Some(Syscall::Recv) => handle_recv(s, true),
        Some(Syscall::NBRecv) => handle_recv(s, false),
        Some(Syscall::Reply) => handle_reply(s),
        Some(Syscall::ReplyRecv) => {
            handle_reply(s);
            handle_recv(s, true);
        }
        Some(Syscall::Yield) => handle_yield(s),
        Some(Syscall::DebugPutChar) => {
            let c = s.tcb(t).regs[CAP_REGISTER] as u8;
            s.console.push(char::from(c));
        }
        Some(Syscall::DebugHalt) => s.halted = true,
        Some(Syscall::DebugSnapshot | Syscall::DebugDumpScheduler) => {}
        Some(Syscall::DebugCapIdentify) => {
            let cptr = s.tcb(t).regs[CAP_REGISTER];
            let ty = lookup_cap_and_slot(s, t, cptr).map_or(Cap::Null, |(c, _)| c);
            s.tcb_mut(t).regs[CAP_REGISTER] = ty.cap_type().word();
        }
        Some(Syscall::DebugNameThread) => debug_name_thread(s, t),
        Some(Syscall::SetTLSBase) => {
            let base = s.tcb(t).regs[CAP_REGISTER];
            s.tcb_mut(t).regs[TLS_BASE] = base;
        }
        // This kernel always provides seL4's benchmark null syscall (it is how the
        // benchmarks measure the bare syscall path): it does nothing.
        Some(Syscall::BenchmarkNullSyscall) => {}
        None => {
            handle_fault(s, t, Fault::UnknownSyscall { number });
        }
    }
}

/// seL4's `handleYield` (non-MCS): the current thread goes to the back of its priority's
/// queue.
pub fn handle_yield(s: &mut State) {
    let t = s.current;
    sched_dequeue(s, t);
    sched_append(s, t);
    reschedule_required(s);
}

/// DebugNameThread: the name is a NUL-terminated string in the IPC buffer's message area.
/// seL4 halts the machine on a bad DebugNameThread; this kernel reports it and carries on
/// (no syscall argument may stop the system: docs/architecture.md), so a bad call here
/// changes nothing.
pub fn debug_name_thread(s: &mut State, t: PAddr) {
    let cptr = s.tcb(t).regs[CAP_REGISTER];
    let Ok((Cap::Thread { tcb }, _)) = lookup_cap_and_slot(s, t, cptr) else {
        return;
    };
    let Some(buf) = lookup_ipc_buffer(s, t, true) else {
        return;
    };
    let mut name = Vec::new();
    let mut terminated = false;
    'words: for i in 0..sel4_abi::MSG_MAX_LENGTH {
        let w = s.read_word(crate::kernel::thread::msg_word(buf, i));
        for b in w.to_le_bytes() {
            if b == 0 {
                terminated = true;
                break 'words;
            }
            name.push(b);
        }
    }
    // A name without its NUL within the message area is refused.
    if !terminated {
        return;
    }
    s.tcb_mut(tcb).name = String::from_utf8_lossy(&name).into_owned();
}

/// seL4's `handleInvocation`: look up the invoked cap and the extra caps, decode, invoke,
/// and reply for Call.
pub fn handle_invocation(s: &mut State, is_call: bool, is_blocking: bool) {
    let t = s.current;
    let info = message_info(s, t);
    let cptr = s.tcb(t).regs[CAP_REGISTER];
    // Failing to find the invoked cap is the thread's fault (for NBSend, silently nothing).
    let (cap, slot) = match lookup_cap_and_slot(s, t, cptr) {
        Ok(x) => x,
        Err(failure) => {
            if is_blocking {
                handle_fault(
                    s,
                    t,
                    Fault::Cap {
                        addr: cptr,
                        in_recv_phase: false,
                        failure,
                    },
                );
            }
            return;
        }
    };
    let buf = lookup_ipc_buffer(s, t, false);
    let extra = match lookup_extra_caps(s, t, buf, info) {
        Ok(x) => x,
        Err((addr, failure)) => {
            if is_blocking {
                handle_fault(
                    s,
                    t,
                    Fault::Cap {
                        addr,
                        in_recv_phase: false,
                        failure,
                    },
                );
            }
            return;
        }
    };
    // Without an IPC buffer only the four register words exist.
    let mut length = info.length as usize;
    if buf.is_none() {
        length = length.min(sel4_abi::FAST_MESSAGE_REGISTERS);
    }
    let args = Args {
        label: info.label,
        mrs: (0..length).map(|i| get_mr(s, t, buf, i)).collect(),
        caps: extra.iter().map(|&sl| (s.cap(sl), sl)).collect(),
        cap,
        slot,
        thread: t,
        is_call,
        is_blocking,
    };
    match decode_invocation(s, &args) {
        Err(e) => {
            if is_call {
                reply_error(s, t, &e);
            }
        }
        Ok(inv) => {
            let words = perform_invocation(s, t, inv);
            // Preempted: no reply; the thread stays in Restart and runs the syscall again.
            if s.preempted {
                return;
            }
            // Still in Restart means the invocation completed without blocking the caller.
            if s.is_tcb(t) && s.tcb(t).state == ThreadState::Restart {
                if is_call {
                    reply_from_kernel(s, t, 0, &words.unwrap_or_default());
                }
                set_thread_state(s, t, ThreadState::Running);
            }
        }
    }
}

/// seL4's `handleRecv`: receive on an endpoint or wait on a notification; anything else,
/// or a cap without the Read right, is a cap fault in the receive phase.
pub fn handle_recv(s: &mut State, blocking: bool) {
    let t = s.current;
    let cptr = s.tcb(t).regs[CAP_REGISTER];
    let fault = |failure| Fault::Cap {
        addr: cptr,
        in_recv_phase: true,
        failure,
    };
    let missing = LookupFailure::MissingCapability { bits_left: 0 };
    let cap = match lookup_cap_and_slot(s, t, cptr) {
        Ok((c, _)) => c,
        Err(f) => return handle_fault(s, t, fault(f)),
    };
    use sel4_abi::CapRights as R;
    match cap {
        Cap::Endpoint { rights, .. } if rights.contains(R::READ) => {
            // A reply cap from an earlier Call is dropped: this thread cannot reply any more.
            cte_delete_one(s, slot_at(t, TCB_CALLER));
            receive_ipc(s, t, cap, blocking);
        }
        Cap::Notification { ptr, rights, .. } => {
            let bound = match s.objects.get(&ptr) {
                Some(Object::Notification(n)) => n.bound_tcb,
                _ => None,
            };
            // A notification bound to another thread delivers only to that thread.
            if !rights.contains(R::READ) || bound.is_some_and(|b| b != t) {
                return handle_fault(s, t, fault(missing));
            }
            receive_signal(s, t, ptr, blocking);
        }
        _ => handle_fault(s, t, fault(missing)),
    }
}

/// seL4's `handleReply`: reply through the reply cap in the caller slot, if there is one.
pub fn handle_reply(s: &mut State) {
    let t = s.current;
    let caller = slot_at(t, TCB_CALLER);
    if let Cap::Reply {
        tcb,
        master: false,
        can_grant,
    } = s.cap(caller)
    {
        do_reply_transfer(s, t, tcb, caller, can_grant);
    }
}
