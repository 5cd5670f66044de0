//! Virtual-memory attributes for Page Map and PageTable Map (`seL4_ARM_VMAttributes`).

bitflags::bitflags! {
    /// Memory attributes of a mapping (`seL4_ARM_VMAttributes`).
    ///
    /// Without `PAGE_CACHEABLE` a frame is mapped uncached (as device memory on AArch64);
    /// `PARITY_ENABLED` is a leftover of older Arm cores that AArch64 seL4 does not act on, but
    /// it is part of the default.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct VmAttributes: u64 {
        /// `seL4_ARM_PageCacheable`: normal, cacheable memory.
        const PAGE_CACHEABLE = 1 << 0;
        /// `seL4_ARM_ParityEnabled`.
        const PARITY_ENABLED = 1 << 1;
        /// `seL4_ARM_ExecuteNever`: user level may not execute from the mapping.
        const EXECUTE_NEVER = 1 << 2;
    }
}

impl VmAttributes {
    /// `seL4_ARM_Default_VMAttributes`: cacheable and parity-enabled, executable.
    pub const DEFAULT: Self = Self::PAGE_CACHEABLE.union(Self::PARITY_ENABLED);

    /// Reads an attribute word; bits above the three defined are ignored.
    pub const fn from_word(w: u64) -> Self {
        Self::from_bits_truncate(w)
    }

    /// The attributes as a word.
    pub const fn word(self) -> u64 {
        self.bits()
    }
}

#[cfg(test)]
mod tests {
    use super::VmAttributes;

    #[test]
    fn bits_are_pinned() {
        assert_eq!(VmAttributes::PAGE_CACHEABLE.word(), 1);
        assert_eq!(VmAttributes::PARITY_ENABLED.word(), 2);
        assert_eq!(VmAttributes::EXECUTE_NEVER.word(), 4);
        assert_eq!(VmAttributes::DEFAULT.word(), 3);
    }

    #[test]
    fn from_word_masks() {
        assert_eq!(VmAttributes::from_word(u64::MAX).word(), 7);
        assert_eq!(VmAttributes::from_word(8), VmAttributes::empty());
        assert_eq!(VmAttributes::from_word(0b1011), VmAttributes::DEFAULT);
    }
}
