//! Which registers carry what across a syscall (AArch64), by general-register number `xN`.
//!
//! seL4's `syscall.h`/`registerset.h` roles: `x0` carries the invoked cap pointer in and the
//! badge out, `x1` the message info, `x2..=x5` message registers 0..3, `x7` the syscall
//! number. The kernel returns values in `x0..=x5` and preserves every other register. A
//! thread's saved context is indexed by these numbers in the kernel (`x0` at word 0) and by
//! [`crate::gpr_index`] in a [`crate::UserContext`].

use crate::FAST_MESSAGE_REGISTERS;

/// The invoked capability pointer on entry (`capRegister`, x0).
pub const CAP_REGISTER: usize = 0;
/// The badge of a received message on exit (`badgeRegister`, x0).
pub const BADGE_REGISTER: usize = 0;
/// The message-info word (`msgInfoRegister`, x1).
pub const MSG_INFO_REGISTER: usize = 1;
/// Message registers 0..3 (`msgRegisters`, x2..x5); the rest of a message is in the IPC
/// buffer.
pub const MSG_REGISTERS: [usize; FAST_MESSAGE_REGISTERS] = [2, 3, 4, 5];
/// The syscall number (x7).
pub const SYSCALL_REGISTER: usize = 7;
/// The size of the `svc #0` instruction: a syscall's restart pc (seL4's FaultIP) is this many
/// bytes before the pc it returns to.
pub const SVC_INSTRUCTION_BYTES: u64 = 4;
/// The PSTATE a thread runs with at EL0: AArch64 EL0t, IRQs enabled, FIQ and SError masked
/// (seL4's `PSTATE_USER`). A new thread starts with it, and a saved PSTATE written by user
/// level keeps only its condition flags ([`USER_SPSR_WRITABLE`]) on top of it.
pub const PSTATE_USER: u64 = (1 << 6) | (1 << 8);
/// The bits of the saved PSTATE user level may set (N, Z, C, V: seL4's
/// `sanitiseRegister`).
pub const USER_SPSR_WRITABLE: u64 = 0xf000_0000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::index;

    #[test]
    fn roles_are_pinned() {
        assert_eq!((CAP_REGISTER, BADGE_REGISTER, MSG_INFO_REGISTER), (0, 0, 1));
        assert_eq!(MSG_REGISTERS, [2, 3, 4, 5]);
        assert_eq!(SYSCALL_REGISTER, 7);
        assert_eq!(crate::gpr_index(MSG_REGISTERS[0]), index::X2);
        assert_eq!(crate::gpr_index(SYSCALL_REGISTER), index::X7);
        assert_eq!(PSTATE_USER, 0x140);
    }
}
