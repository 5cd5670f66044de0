//! Which user registers carry what across a syscall (AArch64), named by `seL4_UserContext` index.
//!
//! The roles themselves (x0 the cap pointer and badge, x1 the message info, x2..x5 the message
//! registers, x7 the syscall number) are `sel4_abi::registers`, numbered as general registers
//! `xN`; a thread's saved registers here are a `seL4_UserContext`, so each role is turned into
//! its index there with `sel4_abi::gpr_index`.

use sel4_abi::{FAST_MESSAGE_REGISTERS, context::index, gpr_index, registers as roles};

pub use sel4_abi::registers::{PSTATE_USER, SVC_INSTRUCTION_BYTES};

/// The register holding the invoked cap pointer on entry and the badge on exit (x0).
pub const CAP_REGISTER: usize = gpr_index(roles::CAP_REGISTER);
/// The badge register (x0).
pub const BADGE_REGISTER: usize = gpr_index(roles::BADGE_REGISTER);
/// The message-info register (x1).
pub const MSG_INFO_REGISTER: usize = gpr_index(roles::MSG_INFO_REGISTER);
/// Message registers 0..3 (x2..x5); the rest of the message is in the IPC buffer.
pub const MSG_REGISTERS: [usize; FAST_MESSAGE_REGISTERS] = {
    let mut out = [0; FAST_MESSAGE_REGISTERS];
    let mut i = 0;
    while i < FAST_MESSAGE_REGISTERS {
        out[i] = gpr_index(roles::MSG_REGISTERS[i]);
        i += 1;
    }
    out
};
/// The syscall-number register (x7).
pub const SYSCALL_REGISTER: usize = gpr_index(roles::SYSCALL_REGISTER);
/// The program counter.
pub const PC: usize = index::PC;
/// The saved PSTATE.
pub const SPSR: usize = index::SPSR;
/// The user TLS register written by SetTLSBase.
pub const TLS_BASE: usize = index::TPIDR_EL0;

/// seL4's `sanitiseRegister` for AArch64: user level may only set the condition flags of the
/// saved PSTATE, never its mode or masks.
pub fn sanitise(reg: usize, value: u64) -> u64 {
    if reg == SPSR {
        (value & roles::USER_SPSR_WRITABLE) | PSTATE_USER
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indices derived from the ABI's roles are the ones the spec has always used.
    #[test]
    fn roles_land_where_the_user_context_has_them() {
        assert_eq!((CAP_REGISTER, BADGE_REGISTER), (index::X0, index::X0));
        assert_eq!(MSG_INFO_REGISTER, index::X1);
        assert_eq!(MSG_REGISTERS, [index::X2, index::X3, index::X4, index::X5]);
        assert_eq!(SYSCALL_REGISTER, index::X7);
    }
}
