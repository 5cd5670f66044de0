//! Which user registers carry what across a syscall (AArch64), named by `seL4_UserContext` index.

use sel4_abi::context::index;

/// The register holding the invoked cap pointer on entry and the badge on exit (x0).
pub const CAP_REGISTER: usize = index::X0;
/// The badge register (x0).
pub const BADGE_REGISTER: usize = index::X0;
/// The message-info register (x1).
pub const MSG_INFO_REGISTER: usize = index::X1;
/// Message registers 0..3 (x2..x5); the rest of the message is in the IPC buffer.
pub const MSG_REGISTERS: [usize; sel4_abi::FAST_MESSAGE_REGISTERS] =
    [index::X2, index::X3, index::X4, index::X5];
/// The syscall-number register (x7).
pub const SYSCALL_REGISTER: usize = index::X7;
/// The program counter.
pub const PC: usize = index::PC;
/// The saved PSTATE.
pub const SPSR: usize = index::SPSR;
/// The user TLS register written by SetTLSBase.
pub const TLS_BASE: usize = index::TPIDR_EL0;

/// The PSTATE a new thread starts with: EL0, with FIQ and SError masked (seL4's
/// `PSTATE_USER`, an AArch64 fact rather than an ABI number, so it is written here).
pub const PSTATE_USER: u64 = (1 << 6) | (1 << 8);

/// The size of the `svc` instruction: a syscall's restart pc is 4 bytes before its return pc.
pub const SVC_INSTRUCTION_BYTES: u64 = 4;

/// seL4's `sanitiseRegister` for AArch64: user level may only set the condition flags of the
/// saved PSTATE, never its mode or masks.
pub fn sanitise(reg: usize, value: u64) -> u64 {
    if reg == SPSR {
        (value & 0xf000_0000) | PSTATE_USER
    } else {
        value
    }
}
