//! Fault types and the layouts of the fault messages the kernel sends to a fault endpoint.
//!
//! A fault message's label is its [`FaultType`]; its words are at the indices given by the
//! layout module of that fault. Replying with label 0 to an `UnknownSyscall` or
//! `UserException` fault restarts the thread after copying the reply's words back into the
//! registers its message came from (`REGISTERS` below); any other label leaves it suspended.

use crate::error::LookupFailureType;

/// A fault's kind, sent as the fault message's label (`seL4_FaultType`, non-MCS numbering).
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultType {
    /// `seL4_Fault_NullFault`: no fault.
    Null = 0,
    /// `seL4_Fault_CapFault`: a capability lookup failed (see [`cap_fault`]).
    CapFault = 1,
    /// `seL4_Fault_UnknownSyscall`: `svc` with an unknown number (see [`unknown_syscall`]).
    UnknownSyscall = 2,
    /// `seL4_Fault_UserException`: any other synchronous exception (see [`user_exception`]).
    UserException = 3,
    /// `seL4_Fault_DebugException`: only with `CONFIG_HARDWARE_DEBUG_API`, which our
    /// configuration leaves off; the number stays reserved.
    DebugException = 4,
    /// `seL4_Fault_VMFault`: a data or instruction abort (see [`vm_fault`]). MCS numbers it 6.
    VMFault = 5,
}

impl FaultType {
    /// Every fault type, in numeric order.
    pub const ALL: [FaultType; 6] = [
        FaultType::Null,
        FaultType::CapFault,
        FaultType::UnknownSyscall,
        FaultType::UserException,
        FaultType::DebugException,
        FaultType::VMFault,
    ];

    /// The type as a word (the fault message's label).
    pub const fn word(self) -> u64 {
        self as u64
    }

    /// Decodes a label; `None` if it is not a fault type.
    pub fn from_word(w: u64) -> Option<FaultType> {
        Self::ALL.get(usize::try_from(w).ok()?).copied()
    }
}

/// `seL4_CapFault_Msg`: a failed lookup of the invoked cap, or of a receive endpoint.
///
/// The message ends with the lookup failure, so its length depends on the failure type.
pub mod cap_fault {
    use super::LookupFailureType;

    /// `seL4_CapFault_IP`: the faulting instruction.
    pub const IP: usize = 0;
    /// `seL4_CapFault_Addr`: the capability pointer that failed.
    pub const ADDR: usize = 1;
    /// `seL4_CapFault_InRecvPhase`: 1 if it failed in the receive phase of a call.
    pub const IN_RECV_PHASE: usize = 2;
    /// `seL4_CapFault_LookupFailureType`: the [`LookupFailureType`] word.
    pub const LOOKUP_FAILURE_TYPE: usize = 3;
    /// `seL4_CapFault_BitsLeft`.
    pub const BITS_LEFT: usize = 4;
    /// `seL4_CapFault_DepthMismatch_BitsFound`.
    pub const DEPTH_BITS_FOUND: usize = 5;
    /// `seL4_CapFault_GuardMismatch_GuardFound` (same index as `DEPTH_BITS_FOUND`).
    pub const GUARD_FOUND: usize = 5;
    /// `seL4_CapFault_GuardMismatch_BitsFound`: the guard size.
    pub const GUARD_BITS_FOUND: usize = 6;
    /// The longest cap fault message (a GuardMismatch). seL4 defines no length constant for
    /// this message; use [`length`] for the exact one.
    pub const LENGTH: usize = 7;

    /// The message length for a lookup failure of type `failure`: 4 for InvalidRoot,
    /// 5 for MissingCapability, 6 for DepthMismatch, 7 for GuardMismatch.
    pub const fn length(failure: LookupFailureType) -> usize {
        LOOKUP_FAILURE_TYPE + failure.length()
    }
}

/// `seL4_UnknownSyscall_Msg`: an `svc` whose number is not a syscall.
pub mod unknown_syscall {
    use crate::context::index;

    /// `seL4_UnknownSyscall_X0`.
    pub const X0: usize = 0;
    /// `seL4_UnknownSyscall_X1`.
    pub const X1: usize = 1;
    /// `seL4_UnknownSyscall_X2`.
    pub const X2: usize = 2;
    /// `seL4_UnknownSyscall_X3`.
    pub const X3: usize = 3;
    /// `seL4_UnknownSyscall_X4`.
    pub const X4: usize = 4;
    /// `seL4_UnknownSyscall_X5`.
    pub const X5: usize = 5;
    /// `seL4_UnknownSyscall_X6`.
    pub const X6: usize = 6;
    /// `seL4_UnknownSyscall_X7`.
    pub const X7: usize = 7;
    /// `seL4_UnknownSyscall_FaultIP`: the address of the `svc` instruction itself.
    pub const FAULT_IP: usize = 8;
    /// `seL4_UnknownSyscall_SP`.
    pub const SP: usize = 9;
    /// `seL4_UnknownSyscall_LR` (`x30`).
    pub const LR: usize = 10;
    /// `seL4_UnknownSyscall_SPSR`.
    pub const SPSR: usize = 11;
    /// `seL4_UnknownSyscall_Syscall`: the number that was in `x7`.
    pub const SYSCALL: usize = 12;
    /// `seL4_UnknownSyscall_Length`.
    pub const LENGTH: usize = 13;

    /// For message words `0..12`, the [`crate::UserContext`] word each comes from and, on a
    /// label-0 reply, is written back to (seL4's `syscallMessage`). The syscall number is not
    /// written back.
    pub const REGISTERS: [usize; 12] = [
        index::X0,
        index::X1,
        index::X2,
        index::X3,
        index::X4,
        index::X5,
        index::X6,
        index::X7,
        index::PC,
        index::SP,
        index::X30,
        index::SPSR,
    ];
}

/// `seL4_UserException_Msg`: a synchronous exception that is not a syscall or an abort.
pub mod user_exception {
    use crate::context::index;

    /// `seL4_UserException_FaultIP`: the faulting instruction.
    pub const FAULT_IP: usize = 0;
    /// `seL4_UserException_SP`.
    pub const SP: usize = 1;
    /// `seL4_UserException_SPSR`.
    pub const SPSR: usize = 2;
    /// `seL4_UserException_Number`: the exception syndrome (`ESR_EL1`).
    pub const NUMBER: usize = 3;
    /// `seL4_UserException_Code`: 0 on AArch64.
    pub const CODE: usize = 4;
    /// `seL4_UserException_Length`.
    pub const LENGTH: usize = 5;

    /// For message words `0..3`, the [`crate::UserContext`] word each comes from and, on a
    /// label-0 reply, is written back to (seL4's `exceptionMessage`).
    pub const REGISTERS: [usize; 3] = [index::PC, index::SP, index::SPSR];
}

/// `seL4_VMFault_Msg`: a data or instruction abort on a user address.
pub mod vm_fault {
    /// `seL4_VMFault_IP`: the faulting instruction.
    pub const IP: usize = 0;
    /// `seL4_VMFault_Addr`: the faulting address (`FAR_EL1`).
    pub const ADDR: usize = 1;
    /// `seL4_VMFault_PrefetchFault`: 1 for an instruction fetch, 0 for a data access.
    pub const PREFETCH_FAULT: usize = 2;
    /// `seL4_VMFault_FSR`: the fault status (`ESR_EL1`).
    pub const FSR: usize = 3;
    /// `seL4_VMFault_Length`.
    pub const LENGTH: usize = 4;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::index;

    #[test]
    fn fault_types_are_pinned() {
        let expected = [
            (FaultType::Null, 0),
            (FaultType::CapFault, 1),
            (FaultType::UnknownSyscall, 2),
            (FaultType::UserException, 3),
            (FaultType::DebugException, 4),
            (FaultType::VMFault, 5),
        ];
        for (f, n) in expected {
            assert_eq!(f.word(), n, "{f:?}");
            assert_eq!(FaultType::from_word(n), Some(f));
        }
        for w in [6, 7, 100, u64::MAX] {
            assert_eq!(FaultType::from_word(w), None, "{w}");
        }
    }

    #[test]
    fn cap_fault_layout_is_pinned() {
        assert_eq!(cap_fault::IP, 0);
        assert_eq!(cap_fault::ADDR, 1);
        assert_eq!(cap_fault::IN_RECV_PHASE, 2);
        assert_eq!(cap_fault::LOOKUP_FAILURE_TYPE, 3);
        assert_eq!(cap_fault::BITS_LEFT, 4);
        assert_eq!(cap_fault::DEPTH_BITS_FOUND, 5);
        assert_eq!(cap_fault::GUARD_FOUND, 5);
        assert_eq!(cap_fault::GUARD_BITS_FOUND, 6);
        assert_eq!(cap_fault::LENGTH, 7);
        assert_eq!(cap_fault::length(LookupFailureType::InvalidRoot), 4);
        assert_eq!(cap_fault::length(LookupFailureType::MissingCapability), 5);
        assert_eq!(cap_fault::length(LookupFailureType::DepthMismatch), 6);
        assert_eq!(cap_fault::length(LookupFailureType::GuardMismatch), 7);
    }

    #[test]
    fn unknown_syscall_layout_is_pinned() {
        let xs = [
            unknown_syscall::X0,
            unknown_syscall::X1,
            unknown_syscall::X2,
            unknown_syscall::X3,
            unknown_syscall::X4,
            unknown_syscall::X5,
            unknown_syscall::X6,
            unknown_syscall::X7,
        ];
        assert_eq!(xs, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(unknown_syscall::FAULT_IP, 8);
        assert_eq!(unknown_syscall::SP, 9);
        assert_eq!(unknown_syscall::LR, 10);
        assert_eq!(unknown_syscall::SPSR, 11);
        assert_eq!(unknown_syscall::SYSCALL, 12);
        assert_eq!(unknown_syscall::LENGTH, 13);
        assert_eq!(
            unknown_syscall::REGISTERS,
            [
                3,
                4,
                5,
                6,
                7,
                8,
                9,
                10,
                index::PC,
                index::SP,
                index::X30,
                index::SPSR
            ]
        );
    }

    #[test]
    fn user_exception_layout_is_pinned() {
        assert_eq!(user_exception::FAULT_IP, 0);
        assert_eq!(user_exception::SP, 1);
        assert_eq!(user_exception::SPSR, 2);
        assert_eq!(user_exception::NUMBER, 3);
        assert_eq!(user_exception::CODE, 4);
        assert_eq!(user_exception::LENGTH, 5);
        assert_eq!(user_exception::REGISTERS, [0, 1, 2]);
    }

    #[test]
    fn vm_fault_layout_is_pinned() {
        assert_eq!(vm_fault::IP, 0);
        assert_eq!(vm_fault::ADDR, 1);
        assert_eq!(vm_fault::PREFETCH_FAULT, 2);
        assert_eq!(vm_fault::FSR, 3);
        assert_eq!(vm_fault::LENGTH, 4);
    }
}
