//! A thread's saved user registers (`seL4_UserContext`) in seL4's 36-word order.
//!
//! The order is the one TCB ReadRegisters, WriteRegisters and CopyRegisters use: first the 17
//! "frame" registers (those a syscall or fault message touches), then the 19 "gp" registers.

/// Words in a [`UserContext`].
pub const USER_CONTEXT_WORDS: usize = 36;

/// The user-visible registers of a thread (`seL4_UserContext`, AArch64), in seL4's order.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UserContext {
    /// Program counter (`ELR_EL1` at kernel entry): where the thread resumes.
    pub pc: u64,
    /// User stack pointer (`SP_EL0`).
    pub sp: u64,
    /// Saved program status (`SPSR_EL1`).
    pub spsr: u64,
    /// General register `x0`.
    pub x0: u64,
    /// General register `x1`.
    pub x1: u64,
    /// General register `x2`.
    pub x2: u64,
    /// General register `x3`.
    pub x3: u64,
    /// General register `x4`.
    pub x4: u64,
    /// General register `x5`.
    pub x5: u64,
    /// General register `x6`.
    pub x6: u64,
    /// General register `x7`.
    pub x7: u64,
    /// General register `x8`.
    pub x8: u64,
    /// General register `x16`.
    pub x16: u64,
    /// General register `x17`.
    pub x17: u64,
    /// General register `x18`.
    pub x18: u64,
    /// General register `x29`, the frame pointer.
    pub x29: u64,
    /// General register `x30`, the link register.
    pub x30: u64,
    /// General register `x9`.
    pub x9: u64,
    /// General register `x10`.
    pub x10: u64,
    /// General register `x11`.
    pub x11: u64,
    /// General register `x12`.
    pub x12: u64,
    /// General register `x13`.
    pub x13: u64,
    /// General register `x14`.
    pub x14: u64,
    /// General register `x15`.
    pub x15: u64,
    /// General register `x19`.
    pub x19: u64,
    /// General register `x20`.
    pub x20: u64,
    /// General register `x21`.
    pub x21: u64,
    /// General register `x22`.
    pub x22: u64,
    /// General register `x23`.
    pub x23: u64,
    /// General register `x24`.
    pub x24: u64,
    /// General register `x25`.
    pub x25: u64,
    /// General register `x26`.
    pub x26: u64,
    /// General register `x27`.
    pub x27: u64,
    /// General register `x28`.
    pub x28: u64,
    /// User read/write thread ID register (the TLS base seL4 sets).
    pub tpidr_el0: u64,
    /// User read-only thread ID register.
    pub tpidrro_el0: u64,
}

const _: () = assert!(core::mem::size_of::<UserContext>() == USER_CONTEXT_WORDS * 8);
const _: () = assert!(core::mem::size_of::<UserContext>() == 288);
const _: () = assert!(core::mem::offset_of!(UserContext, pc) == index::PC * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, x30) == index::X30 * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, x9) == index::X9 * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, x28) == index::X28 * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, tpidrro_el0) == index::TPIDRRO_EL0 * 8);

impl UserContext {
    /// All registers zero.
    pub const fn new() -> Self {
        Self::from_words(&[0; USER_CONTEXT_WORDS])
    }

    /// The registers as 36 words in seL4's order.
    pub const fn as_words(&self) -> [u64; USER_CONTEXT_WORDS] {
        [
            self.pc,
            self.sp,
            self.spsr,
            self.x0,
            self.x1,
            self.x2,
            self.x3,
            self.x4,
            self.x5,
            self.x6,
            self.x7,
            self.x8,
            self.x16,
            self.x17,
            self.x18,
            self.x29,
            self.x30,
            self.x9,
            self.x10,
            self.x11,
            self.x12,
            self.x13,
            self.x14,
            self.x15,
            self.x19,
            self.x20,
            self.x21,
            self.x22,
            self.x23,
            self.x24,
            self.x25,
            self.x26,
            self.x27,
            self.x28,
            self.tpidr_el0,
            self.tpidrro_el0,
        ]
    }

    /// Builds a context from 36 words in seL4's order.
    pub const fn from_words(w: &[u64; USER_CONTEXT_WORDS]) -> Self {
        Self {
            pc: w[index::PC],
            sp: w[index::SP],
            spsr: w[index::SPSR],
            x0: w[index::X0],
            x1: w[index::X1],
            x2: w[index::X2],
            x3: w[index::X3],
            x4: w[index::X4],
            x5: w[index::X5],
            x6: w[index::X6],
            x7: w[index::X7],
            x8: w[index::X8],
            x16: w[index::X16],
            x17: w[index::X17],
            x18: w[index::X18],
            x29: w[index::X29],
            x30: w[index::X30],
            x9: w[index::X9],
            x10: w[index::X10],
            x11: w[index::X11],
            x12: w[index::X12],
            x13: w[index::X13],
            x14: w[index::X14],
            x15: w[index::X15],
            x19: w[index::X19],
            x20: w[index::X20],
            x21: w[index::X21],
            x22: w[index::X22],
            x23: w[index::X23],
            x24: w[index::X24],
            x25: w[index::X25],
            x26: w[index::X26],
            x27: w[index::X27],
            x28: w[index::X28],
            tpidr_el0: w[index::TPIDR_EL0],
            tpidrro_el0: w[index::TPIDRRO_EL0],
        }
    }

    /// General register `xN` (`n` in `0..=30`).
    ///
    /// # Panics
    /// If `n > 30`.
    pub const fn gpr(&self, n: usize) -> u64 {
        self.as_words()[gpr_index(n)]
    }

    /// Sets general register `xN` (`n` in `0..=30`).
    ///
    /// # Panics
    /// If `n > 30`.
    pub const fn set_gpr(&mut self, n: usize, value: u64) {
        let mut words = self.as_words();
        words[gpr_index(n)] = value;
        *self = Self::from_words(&words);
    }
}

/// The word index of each register in a [`UserContext`] (its position in seL4's order).
pub mod index {
    /// `pc`.
    pub const PC: usize = 0;
    /// `sp`.
    pub const SP: usize = 1;
    /// `spsr`.
    pub const SPSR: usize = 2;
    /// `x0`.
    pub const X0: usize = 3;
    /// `x1`.
    pub const X1: usize = 4;
    /// `x2`.
    pub const X2: usize = 5;
    /// `x3`.
    pub const X3: usize = 6;
    /// `x4`.
    pub const X4: usize = 7;
    /// `x5`.
    pub const X5: usize = 8;
    /// `x6`.
    pub const X6: usize = 9;
    /// `x7`.
    pub const X7: usize = 10;
    /// `x8`.
    pub const X8: usize = 11;
    /// `x16`.
    pub const X16: usize = 12;
    /// `x17`.
    pub const X17: usize = 13;
    /// `x18`.
    pub const X18: usize = 14;
    /// `x29`.
    pub const X29: usize = 15;
    /// `x30`.
    pub const X30: usize = 16;
    /// `x9`.
    pub const X9: usize = 17;
    /// `x10`.
    pub const X10: usize = 18;
    /// `x11`.
    pub const X11: usize = 19;
    /// `x12`.
    pub const X12: usize = 20;
    /// `x13`.
    pub const X13: usize = 21;
    /// `x14`.
    pub const X14: usize = 22;
    /// `x15`.
    pub const X15: usize = 23;
    /// `x19`.
    pub const X19: usize = 24;
    /// `x20`.
    pub const X20: usize = 25;
    /// `x21`.
    pub const X21: usize = 26;
    /// `x22`.
    pub const X22: usize = 27;
    /// `x23`.
    pub const X23: usize = 28;
    /// `x24`.
    pub const X24: usize = 29;
    /// `x25`.
    pub const X25: usize = 30;
    /// `x26`.
    pub const X26: usize = 31;
    /// `x27`.
    pub const X27: usize = 32;
    /// `x28`.
    pub const X28: usize = 33;
    /// `tpidr_el0`.
    pub const TPIDR_EL0: usize = 34;
    /// `tpidrro_el0`.
    pub const TPIDRRO_EL0: usize = 35;
}

/// The [`UserContext`] word index of general register `xN`, for `n` in `0..=30`.
///
/// # Panics
/// If `n > 30` (there is no `x31`: that encoding is `sp` or `xzr`).
pub const fn gpr_index(n: usize) -> usize {
    match n {
        0..=8 => index::X0 + n,
        9..=15 => index::X9 + (n - 9),
        16..=18 => index::X16 + (n - 16),
        19..=28 => index::X19 + (n - 19),
        29 => index::X29,
        30 => index::X30,
        _ => panic!("general registers are x0..=x30"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_order_are_pinned() {
        assert_eq!(USER_CONTEXT_WORDS, 36);
        assert_eq!(core::mem::size_of::<UserContext>(), 288);
        // Give every register a distinct value, then check each lands at its index.
        let ctx = UserContext::from_words(&core::array::from_fn(|i| 100 + i as u64));
        let by_name = [
            (ctx.pc, index::PC, 0),
            (ctx.sp, index::SP, 1),
            (ctx.spsr, index::SPSR, 2),
            (ctx.x0, index::X0, 3),
            (ctx.x1, index::X1, 4),
            (ctx.x2, index::X2, 5),
            (ctx.x3, index::X3, 6),
            (ctx.x4, index::X4, 7),
            (ctx.x5, index::X5, 8),
            (ctx.x6, index::X6, 9),
            (ctx.x7, index::X7, 10),
            (ctx.x8, index::X8, 11),
            (ctx.x16, index::X16, 12),
            (ctx.x17, index::X17, 13),
            (ctx.x18, index::X18, 14),
            (ctx.x29, index::X29, 15),
            (ctx.x30, index::X30, 16),
            (ctx.x9, index::X9, 17),
            (ctx.x10, index::X10, 18),
            (ctx.x11, index::X11, 19),
            (ctx.x12, index::X12, 20),
            (ctx.x13, index::X13, 21),
            (ctx.x14, index::X14, 22),
            (ctx.x15, index::X15, 23),
            (ctx.x19, index::X19, 24),
            (ctx.x20, index::X20, 25),
            (ctx.x21, index::X21, 26),
            (ctx.x22, index::X22, 27),
            (ctx.x23, index::X23, 28),
            (ctx.x24, index::X24, 29),
            (ctx.x25, index::X25, 30),
            (ctx.x26, index::X26, 31),
            (ctx.x27, index::X27, 32),
            (ctx.x28, index::X28, 33),
            (ctx.tpidr_el0, index::TPIDR_EL0, 34),
            (ctx.tpidrro_el0, index::TPIDRRO_EL0, 35),
        ];
        for (value, idx, pinned) in by_name {
            assert_eq!(idx, pinned);
            assert_eq!(value, 100 + pinned as u64);
        }
    }

    #[test]
    fn words_round_trip() {
        let words: [u64; USER_CONTEXT_WORDS] =
            core::array::from_fn(|i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let ctx = UserContext::from_words(&words);
        assert_eq!(ctx.as_words(), words);
        assert_eq!(UserContext::from_words(&ctx.as_words()), ctx);
        assert_eq!(UserContext::new(), UserContext::default());
        assert_eq!(UserContext::new().as_words(), [0; USER_CONTEXT_WORDS]);
    }

    #[test]
    fn gpr_index_covers_all_31_registers() {
        let expected: [usize; 31] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, // x0..=x8
            17, 18, 19, 20, 21, 22, 23, // x9..=x15
            12, 13, 14, // x16..=x18
            24, 25, 26, 27, 28, 29, 30, 31, 32, 33, // x19..=x28
            15, 16, // x29, x30
        ];
        for (n, &idx) in expected.iter().enumerate() {
            assert_eq!(gpr_index(n), idx, "x{n}");
        }
        // Each general register has its own slot, and none is pc, sp, spsr or a TLS register.
        let mut seen = [false; USER_CONTEXT_WORDS];
        for n in 0..=30 {
            let idx = gpr_index(n);
            assert!(!seen[idx]);
            seen[idx] = true;
        }
        assert_eq!(seen.iter().filter(|s| !**s).count(), 5);
        for idx in [
            index::PC,
            index::SP,
            index::SPSR,
            index::TPIDR_EL0,
            index::TPIDRRO_EL0,
        ] {
            assert!(!seen[idx]);
        }
    }

    #[test]
    fn gpr_accessors_match_fields() {
        let mut ctx = UserContext::new();
        for n in 0..=30 {
            ctx.set_gpr(n, 1000 + n as u64);
        }
        assert_eq!(ctx.x0, 1000);
        assert_eq!(ctx.x9, 1009);
        assert_eq!(ctx.x16, 1016);
        assert_eq!(ctx.x19, 1019);
        assert_eq!(ctx.x29, 1029);
        assert_eq!(ctx.x30, 1030);
        assert_eq!((ctx.pc, ctx.sp, ctx.spsr), (0, 0, 0));
        for n in 0..=30 {
            assert_eq!(ctx.gpr(n), 1000 + n as u64);
        }
    }

    #[test]
    #[should_panic(expected = "x0..=x30")]
    fn gpr_index_rejects_x31() {
        let _ = gpr_index(31);
    }
}
