//! Fault messages: what a fault handler receives on a thread's fault endpoint, decoded.
//!
//! The label is the fault type and the words sit at the indices `sel4_abi::fault` records.
//! Replying with label 0 restarts the faulting thread (for UnknownSyscall and UserException,
//! after copying the reply's words back into the registers its message came from); see
//! [`Fault::restart_message`].

use sel4_abi::FaultType;
use sel4_abi::fault::{cap_fault, unknown_syscall as us, user_exception as ue, vm_fault as vm};

use crate::error::LookupFailure;
use crate::message::Message;

/// A decoded fault message (`seL4_Fault_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `seL4_Fault_NullFault`.
    Null,
    /// `seL4_Fault_CapFault`: a lookup of the invoked or receive cap failed.
    CapFault(CapFault),
    /// `seL4_Fault_UnknownSyscall`: `svc` with a number that is not a syscall.
    UnknownSyscall(UnknownSyscall),
    /// `seL4_Fault_UserException`: another synchronous exception.
    UserException(UserException),
    /// `seL4_Fault_VMFault`: a data or instruction abort.
    VmFault(VmFault),
    /// A label that is not a fault this configuration sends.
    Unknown {
        /// The message's label.
        label: u64,
    },
}

/// `seL4_CapFault_Msg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapFault {
    /// The faulting instruction.
    pub ip: u64,
    /// The cptr that failed to resolve.
    pub addr: u64,
    /// Whether it failed in the receive phase of a call.
    pub in_recv_phase: bool,
    /// Why (`None` if the failure words do not decode).
    pub failure: Option<LookupFailure>,
}

/// `seL4_UnknownSyscall_Msg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownSyscall {
    /// `x0..x7` at the `svc`.
    pub x: [u64; 8],
    /// The address of the `svc` itself.
    pub fault_ip: u64,
    /// The stack pointer.
    pub sp: u64,
    /// The link register (`x30`).
    pub lr: u64,
    /// The saved program status.
    pub spsr: u64,
    /// The number that was in `x7`.
    pub syscall: u64,
}

/// `seL4_UserException_Msg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserException {
    /// The faulting instruction.
    pub fault_ip: u64,
    /// The stack pointer.
    pub sp: u64,
    /// The saved program status.
    pub spsr: u64,
    /// The exception syndrome (`ESR_EL1`).
    pub number: u64,
    /// 0 on AArch64.
    pub code: u64,
}

/// `seL4_VMFault_Msg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmFault {
    /// The faulting instruction.
    pub ip: u64,
    /// The faulting address.
    pub addr: u64,
    /// An instruction fetch (rather than a data access).
    pub prefetch_fault: bool,
    /// The fault status (syndrome).
    pub fsr: u64,
}

impl Fault {
    /// Decodes a fault message (missing words read as 0).
    pub fn from_message(msg: &Message) -> Self {
        let w = |i: usize| msg.get(i).unwrap_or(0);
        match FaultType::from_word(msg.label()) {
            Some(FaultType::Null) => Self::Null,
            Some(FaultType::CapFault) => Self::CapFault(CapFault {
                ip: w(cap_fault::IP),
                addr: w(cap_fault::ADDR),
                in_recv_phase: w(cap_fault::IN_RECV_PHASE) != 0,
                failure: msg
                    .words()
                    .get(cap_fault::LOOKUP_FAILURE_TYPE..)
                    .and_then(LookupFailure::from_words),
            }),
            Some(FaultType::UnknownSyscall) => Self::UnknownSyscall(UnknownSyscall {
                x: core::array::from_fn(|i| w(us::X0 + i)),
                fault_ip: w(us::FAULT_IP),
                sp: w(us::SP),
                lr: w(us::LR),
                spsr: w(us::SPSR),
                syscall: w(us::SYSCALL),
            }),
            Some(FaultType::UserException) => Self::UserException(UserException {
                fault_ip: w(ue::FAULT_IP),
                sp: w(ue::SP),
                spsr: w(ue::SPSR),
                number: w(ue::NUMBER),
                code: w(ue::CODE),
            }),
            Some(FaultType::VMFault) => Self::VmFault(VmFault {
                ip: w(vm::IP),
                addr: w(vm::ADDR),
                prefetch_fault: w(vm::PREFETCH_FAULT) != 0,
                fsr: w(vm::FSR),
            }),
            Some(FaultType::DebugException) | None => Self::Unknown { label: msg.label() },
        }
    }

    /// The reply that restarts the faulting thread at `pc`: label 0, carrying back the
    /// registers its message came from with the program counter replaced (for
    /// UnknownSyscall and UserException; other faults restart at the faulting instruction
    /// and take an empty reply).
    pub fn restart_message(&self, pc: u64) -> Message {
        match self {
            Self::UnknownSyscall(f) => {
                let mut m = Message::new(0);
                for &x in &f.x {
                    m.push(x);
                }
                m.push(pc).push(f.sp).push(f.lr).push(f.spsr);
                m
            }
            Self::UserException(f) => Message::with_words(0, &[pc, f.sp, f.spsr]),
            _ => Message::new(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_fault() {
        let m = Message::with_words(1, &[0x4000, 0x99, 1, 2, 64]);
        assert_eq!(
            Fault::from_message(&m),
            Fault::CapFault(CapFault {
                ip: 0x4000,
                addr: 0x99,
                in_recv_phase: true,
                failure: Some(LookupFailure::MissingCapability { bits_left: 64 }),
            })
        );
        let m = Message::with_words(1, &[1, 2, 0, 4, 64, 3, 52]);
        let Fault::CapFault(f) = Fault::from_message(&m) else {
            panic!("not a cap fault")
        };
        assert_eq!(
            f.failure,
            Some(LookupFailure::GuardMismatch {
                bits_left: 64,
                guard_found: 3,
                guard_size: 52
            })
        );
        assert_eq!(m.len(), cap_fault::LENGTH);
    }

    #[test]
    fn unknown_syscall_and_restart() {
        let words: [u64; 13] = core::array::from_fn(|i| 10 + i as u64);
        let f = Fault::from_message(&Message::with_words(2, &words));
        let Fault::UnknownSyscall(u) = f else {
            panic!("not an unknown syscall")
        };
        assert_eq!(u.x, [10, 11, 12, 13, 14, 15, 16, 17]);
        assert_eq!(
            (u.fault_ip, u.sp, u.lr, u.spsr, u.syscall),
            (18, 19, 20, 21, 22)
        );
        let r = f.restart_message(18 + 4);
        assert_eq!(r.label(), 0);
        assert_eq!(r.len(), us::REGISTERS.len());
        assert_eq!(r.words()[..8], words[..8]);
        assert_eq!(r.words()[8..], [22, 19, 20, 21]);
    }

    #[test]
    fn user_exception_and_vm_fault() {
        let f = Fault::from_message(&Message::with_words(
            3,
            &[0x400, 0x800, 0x3c5, 0x200_0000, 0],
        ));
        assert_eq!(
            f,
            Fault::UserException(UserException {
                fault_ip: 0x400,
                sp: 0x800,
                spsr: 0x3c5,
                number: 0x200_0000,
                code: 0
            })
        );
        assert_eq!(f.restart_message(0x404).words(), &[0x404, 0x800, 0x3c5]);
        assert_eq!(
            Fault::from_message(&Message::with_words(5, &[0x400, 0xdead0, 1, 0x86])),
            Fault::VmFault(VmFault {
                ip: 0x400,
                addr: 0xdead0,
                prefetch_fault: true,
                fsr: 0x86
            })
        );
        assert_eq!(Fault::from_message(&Message::new(0)), Fault::Null);
        assert_eq!(
            Fault::from_message(&Message::new(4)),
            Fault::Unknown { label: 4 }
        );
        assert_eq!(
            Fault::from_message(&Message::new(9)),
            Fault::Unknown { label: 9 }
        );
        assert!(Fault::Null.restart_message(0).is_empty());
    }
}
