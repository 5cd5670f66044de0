//! Faults: what seL4's fault message reports, and a thread's pending fault as its TCB keeps
//! it (seL4's tcbFault and tcbLookupFailure).

use super::Tcb;
use super::error::{LookupFailure, lookup_failure_words};
use super::tcb::field;
use crate::machine::Memory;
use sel4_abi::{FaultType, LookupFailureType};

/// A fault, with what seL4's fault message reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A capability lookup failed on `addr` (in the receive phase if `in_recv`).
    CapFault {
        addr: u64,
        in_recv: bool,
        lookup: LookupFailure,
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
pub fn store(m: &mut impl Memory, t: Tcb, f: Fault) {
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
            lookup_failure_words(lookup, &mut w[4..]);
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
                    LookupFailure::MissingCapability { bits_left: w(5) }
                }
                Some(LookupFailureType::DepthMismatch) => LookupFailure::DepthMismatch {
                    bits_left: w(5),
                    bits_found: w(6),
                },
                Some(LookupFailureType::GuardMismatch) => LookupFailure::GuardMismatch {
                    bits_left: w(5),
                    guard_found: w(6),
                    guard_size: w(7),
                },
                _ => LookupFailure::InvalidRoot,
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
pub fn clear(m: &mut impl Memory, t: Tcb) {
    t.set(m, field::FAULT, 0);
}
