//! Faults, as seL4's faulthandler.c: a faulting thread sends its fault as a message to its
//! fault endpoint and waits for the reply; a thread with no usable fault endpoint is left
//! inactive, and the kernel prints one diagnostic line, as seL4's debug build does.

use super::endpoint::send_ipc;
use super::thread::{lookup_ipc_buffer, set_mr, set_thread_state};
use super::{cspace, ipc};
use crate::machine::{Machine, esr};
use crate::model::error::lookup_failure_words;
use crate::model::fault::store;
use crate::model::tcb::{EXCEPTION_MESSAGE, SYSCALL_MESSAGE, UserReg, field, sanitise};
use crate::model::{Cap, Fault, KernelState, LookupFailure, Tcb, ThreadState};
use crate::{kprint, kprintln};
use sel4_abi::CapRights;

/// seL4's setMRs_fault: writes the fault message of `sender` into `receiver`'s message
/// registers and buffer; returns its length.
pub fn set_mrs_fault(
    m: &mut impl Machine,
    sender: Tcb,
    f: Fault,
    receiver: Tcb,
    rbuf: Option<u64>,
) -> usize {
    let put = |m: &mut _, i: usize, v: u64| set_mr(m, receiver, rbuf, i, v);
    let restart_pc = sender.get(m, field::FAULT_IP);
    match f {
        Fault::CapFault {
            addr,
            in_recv,
            lookup,
        } => {
            put(m, 0, restart_pc);
            put(m, 1, addr);
            put(m, 2, in_recv as u64);
            let mut w = [0u64; 4];
            let n = lookup_failure_words(lookup, &mut w);
            let mut sent = 3;
            for (i, v) in w[..n].iter().enumerate() {
                sent = put(m, 3 + i, *v);
            }
            sent
        }
        Fault::UnknownSyscall { number } => {
            for (i, r) in SYSCALL_MESSAGE.iter().enumerate() {
                let v = sender.user_reg(m, *r);
                put(m, i, v);
            }
            put(m, SYSCALL_MESSAGE.len(), number)
        }
        Fault::UserException { number, code } => {
            for (i, r) in EXCEPTION_MESSAGE.iter().enumerate() {
                let v = sender.user_reg(m, *r);
                put(m, i, v);
            }
            put(m, 3, number);
            put(m, 4, code)
        }
        Fault::VmFault {
            addr,
            fsr,
            instruction,
        } => {
            put(m, 0, restart_pc);
            put(m, 1, addr);
            put(m, 2, instruction as u64);
            put(m, 3, fsr)
        }
    }
}

/// seL4's handleFaultReply: copies the reply's words into the faulting thread's registers
/// (UnknownSyscall, UserException); returns whether it restarts (label 0; always for cap
/// and VM faults).
pub fn handle_fault_reply(m: &mut impl Machine, receiver: Tcb, f: Fault, sender: Tcb) -> bool {
    let tag = ipc::message_info(m, sender);
    let regs: &[UserReg] = match f {
        Fault::CapFault { .. } | Fault::VmFault { .. } => return true,
        Fault::UnknownSyscall { .. } => &SYSCALL_MESSAGE,
        Fault::UserException { .. } => &EXCEPTION_MESSAGE,
    };
    let sbuf = lookup_ipc_buffer(m, sender, false);
    for (i, &r) in regs.iter().enumerate().take(tag.length as usize) {
        let Some(v) = ipc::reply_word(m, sender, sbuf, i) else {
            break;
        };
        receiver.set_user_reg(m, r, sanitise(r, v));
    }
    tag.label == 0
}

/// seL4's handleFault: send the fault to the thread's fault endpoint, or, if it has no
/// usable one, report it and stop the thread.
pub fn handle_fault<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb, f: Fault) {
    if let Err(second) = send_fault_ipc(ks, m, t, f) {
        handle_double_fault(ks, m, t, f, second);
    }
}

/// seL4's sendFaultIPC: the fault endpoint must be an endpoint cap that can send and can
/// grant (or grant reply), because the handler needs a reply cap to answer. Otherwise the
/// lookup of it is a second fault, which is returned.
fn send_fault_ipc<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    t: Tcb,
    f: Fault,
) -> Result<(), Fault> {
    let handler = t.get(m, field::FAULT_HANDLER);
    match cspace::lookup_cap(m, t, handler) {
        Ok(Cap::Endpoint { ptr, badge, rights })
            if rights.contains(CapRights::WRITE)
                && rights.intersects(CapRights::GRANT | CapRights::GRANT_REPLY) =>
        {
            store(m, t, f);
            let grant = rights.contains(CapRights::GRANT);
            send_ipc(ks, m, true, true, badge, grant, true, t, ptr);
            Ok(())
        }
        Ok(_) => Err(Fault::CapFault {
            addr: handler,
            in_recv: false,
            lookup: LookupFailure::MissingCapability { bits_left: 0 },
        }),
        Err(lookup) => Err(Fault::CapFault {
            addr: handler,
            in_recv: false,
            lookup,
        }),
    }
}

/// seL4's handleDoubleFault: the thread stops, and the kernel prints one line: the thread,
/// its fault, and why no handler took it.
fn handle_double_fault<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb, f: Fault, why: Fault) {
    print_double_fault(m, t, f, why);
    set_thread_state(ks, m, t, ThreadState::Inactive);
}

/// The line seL4's debug build prints for a fault no handler took.
fn print_double_fault<M: Machine>(m: &mut M, t: Tcb, f: Fault, why: Fault) {
    let mut name = [0u8; 64];
    let n = t.name(m).len().min(name.len());
    name[..n].copy_from_slice(&t.name(m)[..n]);
    let name = core::str::from_utf8(&name[..n]).unwrap_or("?");
    let pc = t.get(m, field::FAULT_IP);
    kprint!(m, "kernel: thread \"{name}\" (tcb {:#x}): ", t.0);
    match f {
        Fault::CapFault {
            addr,
            in_recv,
            lookup,
        } => {
            let phase = if in_recv { "receive" } else { "send" };
            kprint!(
                m,
                "cap fault in {phase} phase on cptr {addr:#x} ({lookup:?})"
            )
        }
        Fault::UnknownSyscall { number } => kprint!(m, "unknown syscall {}", number as i64),
        Fault::UserException { number, .. } => {
            kprint!(
                m,
                "user exception {} (ESR {number:#x})",
                esr::class_name(number)
            )
        }
        Fault::VmFault {
            addr,
            fsr,
            instruction,
        } => {
            let kind = if instruction {
                "instruction fetch"
            } else {
                "data access"
            };
            kprint!(m, "vm fault on {kind} at address {addr:#x} (FSR {fsr:#x})")
        }
    }
    // As seL4's double-fault report: a fault handler that is set but unusable is named.
    match why {
        Fault::CapFault { addr: 0, .. } => {
            kprintln!(m, " at pc {pc:#x}; no fault handler, thread suspended")
        }
        Fault::CapFault { addr, lookup, .. } => kprintln!(
            m,
            " at pc {pc:#x}; fault handler cptr {addr:#x} unusable ({lookup:?}), thread suspended"
        ),
        _ => kprintln!(m, " at pc {pc:#x}; thread suspended"),
    }
}
