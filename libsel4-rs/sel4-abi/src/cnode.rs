//! The CNode cap data word (`seL4_CNode_CapData`): a CNode cap's guard and guard size.

const GUARD_SIZE_MASK: u64 = (1 << 6) - 1;
const GUARD_SHIFT: u32 = 6;
const GUARD_MASK: u64 = (1 << 58) - 1;

/// The data word that sets a CNode cap's guard when it is minted or mutated
/// (`seL4_CNode_CapData`): guard in bits 63..6, guard size in bits 5..0.
///
/// A guard size above 64 or a guard wider than its size is not rejected here; the kernel
/// checks both when it decodes a Mint, Mutate or TCB Configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CNodeCapData {
    /// The guard value (58 bits).
    pub guard: u64,
    /// Number of guard bits, 0..=63 encodable (6 bits).
    pub guard_size: u64,
}

impl CNodeCapData {
    /// Builds the data word's fields (`seL4_CNode_CapData_new(guard, guardSize)`).
    pub const fn new(guard: u64, guard_size: u64) -> Self {
        Self { guard, guard_size }
    }

    /// Splits a data word into guard and guard size.
    pub const fn from_word(w: u64) -> Self {
        Self {
            guard: w >> GUARD_SHIFT,
            guard_size: w & GUARD_SIZE_MASK,
        }
    }

    /// Packs the fields into a data word; bits beyond each field's width are dropped.
    pub const fn to_word(self) -> u64 {
        ((self.guard & GUARD_MASK) << GUARD_SHIFT) | (self.guard_size & GUARD_SIZE_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::CNodeCapData;

    #[test]
    fn bit_positions_are_pinned() {
        assert_eq!(CNodeCapData::new(0, 1).to_word(), 1);
        assert_eq!(CNodeCapData::new(0, 63).to_word(), 0x3f);
        assert_eq!(CNodeCapData::new(1, 0).to_word(), 1 << 6);
        assert_eq!(CNodeCapData::new(1 << 57, 0).to_word(), 1 << 63);
        assert_eq!(CNodeCapData::new(0x5, 52).to_word(), (0x5 << 6) | 52);
    }

    #[test]
    fn round_trips() {
        for data in [
            CNodeCapData::new(0, 0),
            CNodeCapData::new(0, 52),
            CNodeCapData::new((1 << 58) - 1, 63),
            CNodeCapData::new(0x1234, 20),
        ] {
            assert_eq!(CNodeCapData::from_word(data.to_word()), data);
        }
        for w in [0, 1, u64::MAX, 0xdead_beef_0000_0034] {
            assert_eq!(CNodeCapData::from_word(w).to_word(), w);
        }
    }

    #[test]
    fn to_word_masks_oversized_fields() {
        assert_eq!(CNodeCapData::new(1 << 58, 64).to_word(), 0);
        assert_eq!(
            CNodeCapData::from_word(CNodeCapData::new((1 << 58) | 3, 65).to_word()),
            CNodeCapData::new(3, 1)
        );
        assert_eq!(CNodeCapData::new(u64::MAX, u64::MAX).to_word(), u64::MAX);
    }
}
