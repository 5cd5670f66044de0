//! Thread numbers: priorities, TCB flags, and the register counts of Read/WriteRegisters.

use crate::context::USER_CONTEXT_WORDS;

/// Lowest priority (`seL4_MinPrio`).
pub const MIN_PRIO: u64 = 0;
/// Highest priority (`seL4_MaxPrio` = `CONFIG_NUM_PRIORITIES - 1`).
pub const MAX_PRIO: u64 = 255;
/// Number of priority levels (`CONFIG_NUM_PRIORITIES`, default 256).
pub const NUM_PRIORITIES: u64 = 256;

/// No flag set (`seL4_TCBFlag_NoFlag`).
pub const TCB_FLAG_NO_FLAG: u64 = 0;
/// The thread may not use the FPU; the kernel then never saves or restores its FP/SIMD state
/// (`seL4_TCBFlag_fpuDisabled`).
pub const TCB_FLAG_FPU_DISABLED: u64 = 1;
/// Every flag this configuration knows (`seL4_TCBFlag_MASK`); TCB SetFlags ignores the rest
/// and replies with the thread's new flags in mr0.
pub const TCB_FLAG_MASK: u64 = TCB_FLAG_FPU_DISABLED;

/// Registers in the "frame" part of a [`crate::UserContext`]: `pc` through `x30`, the first
/// 17 words (seL4's `n_frameRegisters`). CopyRegisters' `transfer_frame` copies these.
pub const FRAME_REGISTERS: usize = 17;
/// Registers in the "gp" part: `x9` through `tpidrro_el0`, the last 19 words (seL4's
/// `n_gpRegisters`). CopyRegisters' `transfer_integer` copies these.
pub const GP_REGISTERS: usize = 19;
/// Most registers ReadRegisters returns or WriteRegisters takes; a larger `count` to
/// ReadRegisters is a RangeError `[1, 36]`.
pub const READ_REGISTERS_MAX: usize = FRAME_REGISTERS + GP_REGISTERS;

const _: () = assert!(READ_REGISTERS_MAX == USER_CONTEXT_WORDS);

/// The flag word of ReadRegisters, WriteRegisters and CopyRegisters, as libsel4's stubs pack
/// it and the kernel's `decode*Registers` unpack it: one bit per boolean argument, and the
/// architecture flags from bit [`REGISTERS_ARCH_FLAGS_SHIFT`].
pub mod registers_flags {
    /// ReadRegisters `suspend_source`.
    pub const READ_SUSPEND_SOURCE: u64 = 1 << 0;
    /// WriteRegisters `resume_target`.
    pub const WRITE_RESUME_TARGET: u64 = 1 << 0;
    /// CopyRegisters `suspend_source`.
    pub const COPY_SUSPEND_SOURCE: u64 = 1 << 0;
    /// CopyRegisters `resume_target`.
    pub const COPY_RESUME_TARGET: u64 = 1 << 1;
    /// CopyRegisters `transfer_frame`.
    pub const COPY_TRANSFER_FRAME: u64 = 1 << 2;
    /// CopyRegisters `transfer_integer`.
    pub const COPY_TRANSFER_INTEGER: u64 = 1 << 3;
}

/// Where the architecture flags start in the Read/Write/CopyRegisters flag word (AArch64
/// defines none).
pub const REGISTERS_ARCH_FLAGS_SHIFT: u32 = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_are_pinned() {
        assert_eq!(MIN_PRIO, 0);
        assert_eq!(MAX_PRIO, 255);
        assert_eq!(NUM_PRIORITIES, 256);
        assert_eq!(MAX_PRIO, NUM_PRIORITIES - 1);
    }

    #[test]
    fn flags_are_pinned() {
        assert_eq!(TCB_FLAG_NO_FLAG, 0);
        assert_eq!(TCB_FLAG_FPU_DISABLED, 1);
        assert_eq!(TCB_FLAG_MASK, 1);
    }

    #[test]
    fn register_flags_are_pinned() {
        use registers_flags::*;
        assert_eq!((READ_SUSPEND_SOURCE, WRITE_RESUME_TARGET), (1, 1));
        assert_eq!(
            (
                COPY_SUSPEND_SOURCE,
                COPY_RESUME_TARGET,
                COPY_TRANSFER_FRAME,
                COPY_TRANSFER_INTEGER
            ),
            (1, 2, 4, 8)
        );
        assert_eq!(REGISTERS_ARCH_FLAGS_SHIFT, 8);
    }

    #[test]
    fn register_counts_are_pinned() {
        assert_eq!(FRAME_REGISTERS, 17);
        assert_eq!(GP_REGISTERS, 19);
        assert_eq!(READ_REGISTERS_MAX, 36);
        assert_eq!(crate::context::index::X30 + 1, FRAME_REGISTERS);
        assert_eq!(crate::context::index::X9, FRAME_REGISTERS);
    }
}
