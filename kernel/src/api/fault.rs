//! Faults: what a thread did wrong, and what happens to it.
//!
//! A fault goes to the thread's fault endpoint as a message in seL4's layout; a thread with
//! no fault endpoint is left inactive, and the kernel prints one diagnostic line, as seL4's
//! debug build does.

use crate::kernel::cspace::LookupFault;
use crate::kprintln;
use crate::machine::Machine;
use crate::object::Tcb;
use crate::object::tcb::{ThreadState, reg};
use sel4_abi::FaultType;

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
    /// True for faults raised by a syscall: the thread's PC is past the `svc`, and
    /// restarting it must run the `svc` again.
    pub const fn from_syscall(&self) -> bool {
        matches!(self, Fault::CapFault { .. } | Fault::UnknownSyscall { .. })
    }
}

/// Size of an AArch64 instruction.
const INSTRUCTION: u64 = 4;

/// seL4's handleFault. Fault endpoints arrive with IPC; until a thread has one, the fault
/// is reported on the console and the thread stops (seL4 leaves it inactive).
pub fn handle_fault<M: Machine>(m: &mut M, t: Tcb, f: Fault) {
    if f.from_syscall() {
        // The fault IP is the `svc` itself, so a later Resume re-executes it.
        let pc = t.reg(m, reg::PC);
        t.set_reg(m, reg::PC, pc.wrapping_sub(INSTRUCTION));
    }
    report_unhandled(m, t, f);
    t.set_state(m, ThreadState::Inactive);
}

/// The one-line diagnostic for a fault nobody handles: thread, fault, address.
fn report_unhandled<M: Machine>(m: &mut M, t: Tcb, f: Fault) {
    let mut name = [0u8; 64];
    let n = t.name(m).len().min(name.len());
    name[..n].copy_from_slice(&t.name(m)[..n]);
    let name = core::str::from_utf8(&name[..n]).unwrap_or("?");
    let pc = t.reg(m, reg::PC);
    crate::kprint!(m, "kernel: thread \"{name}\" (tcb {:#x}): ", t.0);
    match f {
        Fault::CapFault {
            addr,
            in_recv,
            lookup,
        } => {
            let phase = if in_recv { "receive" } else { "send" };
            crate::kprint!(
                m,
                "cap fault in {phase} phase on cptr {addr:#x} ({lookup:?})"
            )
        }
        Fault::UnknownSyscall { number } => crate::kprint!(m, "unknown syscall {}", number as i64),
        Fault::UserException { number, .. } => crate::kprint!(
            m,
            "user exception {} (ESR {number:#x})",
            crate::arch::esr_class_name(number)
        ),
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
            crate::kprint!(m, "vm fault on {kind} at address {addr:#x} (FSR {fsr:#x})")
        }
    }
    kprintln!(m, " at pc {pc:#x}; no fault handler, thread suspended");
}
