//! Faults, as seL4's faulthandler.c: a faulting thread sends its fault as a message to its
//! fault endpoint and waits for the reply; a thread with no usable fault endpoint is left
//! inactive, and the kernel prints one diagnostic line, as seL4's debug build does.

use crate::kernel::cspace::{self, LookupFault};
use crate::kernel::ipc;
use crate::machine::{Machine, Memory};
use crate::model::KernelState;
use crate::object::endpoint::send_ipc;
use crate::object::tcb::{
    EXCEPTION_MESSAGE, SYSCALL_MESSAGE, ThreadState, UserReg, field, sanitise,
};
use crate::object::{Cap, Tcb};
use crate::{kprint, kprintln};
use sel4_abi::{CapRights, FaultType, LookupFailureType};

/// A fault, with what seL4's fault message reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A capability lookup failed on `addr` (in the receive phase if `in_recv`).
    CapFault {
        addr: u64,
        in_recv: bool,
        lookup: LookupFault,
    },
    /// A syscall number the kernel does not know.
    UnknownSyscall { number: u64 },
    /// A user exception: `number` is the exception syndrome (ESR), `code` 0.
    UserException { number: u64, code: u64 },
    /// A translation or permission fault at `addr`; `instruction` for fetches.
    VmFault {
        addr: u64,
        fsr: u64,
        instruction: bool,
    },
}

impl Fault {
    /// seL4's fault type number.
    pub const fn fault_type(&self) -> FaultType {
        match self {
            Fault::CapFault { .. } => FaultType::CapFault,
            Fault::UnknownSyscall { .. } => FaultType::UnknownSyscall,
            Fault::UserException { .. } => FaultType::UserException,
            Fault::VmFault { .. } => FaultType::VMFault,
        }
    }
}

/// Stores a pending fault in the thread (seL4's tcbFault and tcbLookupFailure).
pub fn store(m: &mut impl Machine, t: Tcb, f: Fault) {
    let mut w = [0u64; field::FAULT_WORDS as usize];
    w[0] = f.fault_type() as u64;
    match f {
        Fault::CapFault {
            addr,
            in_recv,
            lookup,
        } => {
            w[1] = addr;
            w[2] = in_recv as u64;
            crate::api::error::lookup_failure_words(lookup, &mut w[4..]);
        }
        Fault::UnknownSyscall { number } => w[1] = number,
        Fault::UserException { number, code } => (w[1], w[2]) = (number, code),
        Fault::VmFault {
            addr,
            fsr,
            instruction,
        } => (w[1], w[2], w[3]) = (addr, fsr, instruction as u64),
    }
    for (i, v) in w.iter().enumerate() {
        t.set(m, field::FAULT + i as u64, *v);
    }
}

/// The thread's pending fault, if any.
pub fn load(m: &impl Memory, t: Tcb) -> Option<Fault> {
    let w = |i: u64| t.get(m, field::FAULT + i);
    Some(match FaultType::from_word(w(0))? {
        FaultType::Null | FaultType::DebugException => return None,
        FaultType::CapFault => {
            let lookup = match LookupFailureType::from_word(w(4)) {
                Some(LookupFailureType::MissingCapability) => {
                    LookupFault::MissingCapability { bits_left: w(5) }
                }
                Some(LookupFailureType::DepthMismatch) => LookupFault::DepthMismatch {
                    bits_left: w(5),
                    bits_found: w(6),
                },
                Some(LookupFailureType::GuardMismatch) => LookupFault::GuardMismatch {
                    bits_left: w(5),
                    guard_found: w(6),
                    guard_size: w(7),
                },
                _ => LookupFault::InvalidRoot,
            };
            Fault::CapFault {
                addr: w(1),
                in_recv: w(2) != 0,
                lookup,
            }
        }
        FaultType::UnknownSyscall => Fault::UnknownSyscall { number: w(1) },
        FaultType::UserException => Fault::UserException {
            number: w(1),
            code: w(2),
        },
        FaultType::VMFault => Fault::VmFault {
            addr: w(1),
            fsr: w(2),
            instruction: w(3) != 0,
        },
    })
}

/// Clears the thread's pending fault.
pub fn clear(m: &mut impl Machine, t: Tcb) {
    t.set(m, field::FAULT, 0);
}

/// seL4's setMRs_fault: writes the fault message of `sender` into `receiver`'s message
/// registers and buffer; returns its length.
pub fn write_message(
    m: &mut impl Machine,
    sender: Tcb,
    f: Fault,
    receiver: Tcb,
    rbuf: Option<u64>,
) -> usize {
    let put = |m: &mut _, i: usize, v: u64| ipc::set_msg_word(m, receiver, rbuf, i, v);
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
            let n = crate::api::error::lookup_failure_words(lookup, &mut w);
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
pub fn handle_reply(m: &mut impl Machine, receiver: Tcb, f: Fault, sender: Tcb) -> bool {
    let tag = ipc::message_info(m, sender);
    let regs: &[UserReg] = match f {
        Fault::CapFault { .. } | Fault::VmFault { .. } => return true,
        Fault::UnknownSyscall { .. } => &SYSCALL_MESSAGE,
        Fault::UserException { .. } => &EXCEPTION_MESSAGE,
    };
    let sbuf = ipc::ipc_buffer(m, sender, false);
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
    let handler = t.get(m, field::FAULT_HANDLER);
    // The fault endpoint must be an endpoint cap that can send and can grant (or grant
    // reply): the handler needs a reply cap to answer.
    let second = match cspace::lookup_cap(m, t, handler) {
        Ok(Cap::Endpoint { ptr, badge, rights })
            if rights.contains(CapRights::WRITE)
                && rights.intersects(CapRights::GRANT | CapRights::GRANT_REPLY) =>
        {
            store(m, t, f);
            send_ipc(
                ks,
                m,
                true,
                true,
                badge,
                rights.contains(CapRights::GRANT),
                true,
                t,
                ptr,
            );
            return;
        }
        Ok(_) => Fault::CapFault {
            addr: handler,
            in_recv: false,
            lookup: LookupFault::MissingCapability { bits_left: 0 },
        },
        Err(lookup) => Fault::CapFault {
            addr: handler,
            in_recv: false,
            lookup,
        },
    };
    report_unhandled(m, t, f, second);
    crate::kernel::thread::set_thread_state(ks, m, t, ThreadState::Inactive);
}

/// seL4's handleDoubleFault, in one line: the thread, its fault, and why no handler took it.
fn report_unhandled<M: Machine>(m: &mut M, t: Tcb, f: Fault, why: Fault) {
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
                crate::arch::esr_class_name(number)
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
