//! Faults: sending a thread's fault to its handler, the fault messages, and handler replies.

use sel4_abi::fault::{unknown_syscall, user_exception};
use sel4_abi::{CapRights, FAST_MESSAGE_REGISTERS, context::index};

use crate::machine::sanitise;
use crate::model::{Cap, Fault, PAddr, State, ThreadState};

use super::cspace::lookup_cap_and_slot;
use super::endpoint::send_ipc;
use super::ipc::message_info;
use super::thread::{get_mr, lookup_ipc_buffer, set_thread_state};

/// seL4's `handleFault`: send the fault to the thread's fault endpoint; if it has none it can
/// use, the thread stops (a double fault).
pub fn handle_fault(s: &mut State, t: PAddr, fault: Fault) {
    let delivered = send_fault_ipc(s, t, fault);
    if !delivered {
        set_thread_state(s, t, ThreadState::Inactive);
    }
    s.faults.push((t, fault, delivered));
}

/// seL4's `sendFaultIPC`: the handler must be an endpoint cap with Write, and with Grant or
/// GrantReply so that the handler can reply; the faulting thread then waits as in a Call.
fn send_fault_ipc(s: &mut State, t: PAddr, fault: Fault) -> bool {
    let cptr = s.tcb(t).fault_handler;
    match lookup_cap_and_slot(s, t, cptr) {
        Ok((Cap::Endpoint { ptr, badge, rights }, _))
            if rights.contains(CapRights::WRITE)
                && rights.intersects(CapRights::GRANT | CapRights::GRANT_REPLY) =>
        {
            s.tcb_mut(t).fault = Some(fault);
            send_ipc(
                s,
                true,
                true,
                badge,
                rights.contains(CapRights::GRANT),
                true,
                t,
                ptr,
            );
            true
        }
        _ => false,
    }
}

/// Register `r` as a fault message reads it: the pc slot stands for the restart pc.
fn fault_reg(s: &State, t: PAddr, r: usize) -> u64 {
    let tcb = s.tcb(t);
    if r == index::PC {
        tcb.fault_ip
    } else {
        tcb.regs[r]
    }
}

/// The words of a fault message, in seL4's layout for each fault type.
pub fn fault_message(s: &State, t: PAddr, f: &Fault) -> Vec<u64> {
    let ip = s.tcb(t).fault_ip;
    match *f {
        Fault::Cap {
            addr,
            in_recv_phase,
            failure,
        } => {
            let mut w = vec![ip, addr, u64::from(in_recv_phase)];
            w.extend(failure.words());
            w
        }
        Fault::UnknownSyscall { number } => {
            let mut w: Vec<u64> = unknown_syscall::REGISTERS
                .iter()
                .map(|&r| fault_reg(s, t, r))
                .collect();
            w.push(number);
            w
        }
        Fault::UserException { number, code } => {
            let mut w: Vec<u64> = user_exception::REGISTERS
                .iter()
                .map(|&r| fault_reg(s, t, r))
                .collect();
            w.extend([number, code]);
            w
        }
        Fault::VmFault {
            addr,
            fsr,
            instruction,
        } => vec![ip, addr, u64::from(instruction), fsr],
    }
}

/// seL4's `handleFaultReply`: a reply to an UnknownSyscall or UserException message writes
/// its words back into the registers the message carried, and restarts the thread only if
/// its label is 0. Cap faults and VM faults always restart.
pub fn handle_fault_reply(s: &mut State, receiver: PAddr, sender: PAddr, f: &Fault) -> bool {
    let info = message_info(s, sender);
    let regs: &[usize] = match f {
        Fault::Cap { .. } | Fault::VmFault { .. } => return true,
        Fault::UnknownSyscall { .. } => &unknown_syscall::REGISTERS,
        Fault::UserException { .. } => &user_exception::REGISTERS,
    };
    let sbuf = lookup_ipc_buffer(s, sender, false);
    let n = (info.length as usize).min(regs.len());
    for (i, &r) in regs.iter().enumerate().take(n) {
        // Words past the registers exist only if the replier has an IPC buffer.
        if i >= FAST_MESSAGE_REGISTERS && sbuf.is_none() {
            break;
        }
        let v = sanitise(r, get_mr(s, sender, sbuf, i));
        let tcb = s.tcb_mut(receiver);
        if r == index::PC {
            tcb.fault_ip = v;
        } else {
            tcb.regs[r] = v;
        }
    }
    info.label == 0
}
