//! Kernel object types (the `type` argument of Untyped Retype) and their sizes.
//!
//! Sizes are in bits: an object of size `n` takes `2^n` bytes and is aligned to `2^n`.

/// Bits in a machine word (`seL4_WordBits`).
pub const WORD_BITS: u64 = 64;
/// A CNode slot is `2^5` = 32 bytes: a 16-byte cap and a 16-byte MDB node (`seL4_SlotBits`).
pub const SLOT_BITS: u64 = 5;
/// A TCB is 2 KiB; its first half is the TCB's internal CNode (`seL4_TCBBits`).
pub const TCB_BITS: u64 = 11;
/// An endpoint is 16 bytes (`seL4_EndpointBits`).
pub const ENDPOINT_BITS: u64 = 4;
/// A notification is 32 bytes, non-MCS (`seL4_NotificationBits`).
pub const NOTIFICATION_BITS: u64 = 5;
/// A small page is 4 KiB (`seL4_PageBits`).
pub const PAGE_BITS: u64 = 12;
/// A large page is 2 MiB (`seL4_LargePageBits`).
pub const LARGE_PAGE_BITS: u64 = 21;
/// A huge page is 1 GiB (`seL4_HugePageBits`).
pub const HUGE_PAGE_BITS: u64 = 30;
/// A page table is 4 KiB (`seL4_PageTableBits`).
pub const PAGE_TABLE_BITS: u64 = 12;
/// A page-table entry is 8 bytes (`seL4_PageTableEntryBits`).
pub const PAGE_TABLE_ENTRY_BITS: u64 = 3;
/// A page table has `2^9` entries (`seL4_PageTableIndexBits`).
pub const PAGE_TABLE_INDEX_BITS: u64 = 9;
/// A VSpace (top-level table) is 4 KiB without hypervisor support (`seL4_VSpaceBits`).
pub const VSPACE_BITS: u64 = 12;
/// A VSpace has `2^9` entries without hypervisor support (`seL4_VSpaceIndexBits`).
pub const VSPACE_INDEX_BITS: u64 = 9;
/// An ASID pool is 4 KiB (`seL4_ASIDPoolBits`).
pub const ASID_POOL_BITS: u64 = 12;
/// An ASID pool has `2^9` = 512 entries (`seL4_ASIDPoolIndexBits`).
pub const ASID_POOL_INDEX_BITS: u64 = 9;
/// There are `2^7` ASID pools (`seL4_NumASIDPoolsBits`).
pub const ASID_HIGH_BITS: u64 = 7;
/// Smallest untyped: 16 bytes (`seL4_MinUntypedBits`).
pub const MIN_UNTYPED_BITS: u64 = 4;
/// Largest untyped: `2^47` bytes (`seL4_MaxUntypedBits`).
pub const MAX_UNTYPED_BITS: u64 = 47;
/// Highest user virtual address, inclusive, without hypervisor support (`seL4_UserTop`).
pub const USER_TOP: u64 = 0x0000_7fff_ffff_ffff;
/// Most objects one Untyped Retype may create (`CONFIG_RETYPE_FAN_OUT_LIMIT`, default 256).
pub const UNTYPED_RETYPE_MAX_OBJECTS: u64 = 256;

/// A kernel object type, as passed to Untyped Retype (`seL4_ObjectType`, AArch64, non-MCS).
///
/// MCS inserts SchedContext (5) and Reply (6) and moves the rest up by two.
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectType {
    /// `seL4_UntypedObject`: untyped memory, `2^4..=2^47` bytes.
    Untyped = 0,
    /// `seL4_TCBObject`: a thread control block.
    Tcb = 1,
    /// `seL4_EndpointObject`: a synchronous IPC endpoint.
    Endpoint = 2,
    /// `seL4_NotificationObject`: an asynchronous notification word.
    Notification = 3,
    /// `seL4_CapTableObject`: a CNode of `2^radix` slots.
    CapTable = 4,
    /// `seL4_ARM_HugePageObject`: a 1 GiB frame.
    HugePage = 5,
    /// `seL4_ARM_VSpaceObject`: a top-level translation table.
    VSpace = 6,
    /// `seL4_ARM_SmallPageObject`: a 4 KiB frame.
    SmallPage = 7,
    /// `seL4_ARM_LargePageObject`: a 2 MiB frame.
    LargePage = 8,
    /// `seL4_ARM_PageTableObject`: a translation table below the VSpace (any level).
    PageTable = 9,
}

impl ObjectType {
    /// Every object type, in numeric order (`seL4_ObjectTypeCount` = 10).
    pub const ALL: [ObjectType; 10] = [
        ObjectType::Untyped,
        ObjectType::Tcb,
        ObjectType::Endpoint,
        ObjectType::Notification,
        ObjectType::CapTable,
        ObjectType::HugePage,
        ObjectType::VSpace,
        ObjectType::SmallPage,
        ObjectType::LargePage,
        ObjectType::PageTable,
    ];

    /// The type number as passed to Retype.
    pub const fn word(self) -> u64 {
        self as u64
    }

    /// Decodes a type number; `None` (Retype: InvalidArgument 0) if there is no such type.
    pub fn from_word(w: u64) -> Option<ObjectType> {
        Self::ALL.get(usize::try_from(w).ok()?).copied()
    }

    /// The object's size in bits for a Retype with size argument `user_size_bits`
    /// (seL4's `getObjectSize`, plus the bounds Retype enforces); `None` if that size is
    /// not allowed.
    ///
    /// Fixed-size types ignore the argument. Untyped: the argument itself, within
    /// [`MIN_UNTYPED_BITS`]`..=`[`MAX_UNTYPED_BITS`]. CapTable: the argument is the radix,
    /// at least 1, and the table (`radix + SLOT_BITS`) must not exceed `MAX_UNTYPED_BITS`.
    /// Note Retype also rejects any `user_size_bits >= WORD_BITS` with a RangeError, even for
    /// a fixed-size type; that check belongs to the decoder.
    pub const fn size_bits(self, user_size_bits: u64) -> Option<u64> {
        match self {
            Self::Untyped => {
                if user_size_bits >= MIN_UNTYPED_BITS && user_size_bits <= MAX_UNTYPED_BITS {
                    Some(user_size_bits)
                } else {
                    None
                }
            }
            Self::CapTable => match user_size_bits.checked_add(SLOT_BITS) {
                Some(bits) if user_size_bits >= 1 && bits <= MAX_UNTYPED_BITS => Some(bits),
                _ => None,
            },
            Self::Tcb => Some(TCB_BITS),
            Self::Endpoint => Some(ENDPOINT_BITS),
            Self::Notification => Some(NOTIFICATION_BITS),
            Self::HugePage => Some(HUGE_PAGE_BITS),
            Self::VSpace => Some(VSPACE_BITS),
            Self::SmallPage => Some(PAGE_BITS),
            Self::LargePage => Some(LARGE_PAGE_BITS),
            Self::PageTable => Some(PAGE_TABLE_BITS),
        }
    }

    /// Whether objects of this type are frames (mappable pages); only these and untyped can
    /// be made from device memory.
    pub const fn is_frame(self) -> bool {
        matches!(self, Self::SmallPage | Self::LargePage | Self::HugePage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_pinned() {
        assert_eq!(WORD_BITS, 64);
        assert_eq!(SLOT_BITS, 5);
        assert_eq!(TCB_BITS, 11);
        assert_eq!(ENDPOINT_BITS, 4);
        assert_eq!(NOTIFICATION_BITS, 5);
        assert_eq!(PAGE_BITS, 12);
        assert_eq!(LARGE_PAGE_BITS, 21);
        assert_eq!(HUGE_PAGE_BITS, 30);
        assert_eq!(PAGE_TABLE_BITS, 12);
        assert_eq!(PAGE_TABLE_ENTRY_BITS, 3);
        assert_eq!(PAGE_TABLE_INDEX_BITS, 9);
        assert_eq!(VSPACE_BITS, 12);
        assert_eq!(VSPACE_INDEX_BITS, 9);
        assert_eq!(ASID_POOL_BITS, 12);
        assert_eq!(ASID_POOL_INDEX_BITS, 9);
        assert_eq!(ASID_HIGH_BITS, 7);
        assert_eq!(MIN_UNTYPED_BITS, 4);
        assert_eq!(MAX_UNTYPED_BITS, 47);
        assert_eq!(USER_TOP, 0x0000_7fff_ffff_ffff);
        assert_eq!(UNTYPED_RETYPE_MAX_OBJECTS, 256);
        // The sizes agree with each other the way seL4 requires.
        assert_eq!(
            PAGE_TABLE_ENTRY_BITS + PAGE_TABLE_INDEX_BITS,
            PAGE_TABLE_BITS
        );
        assert_eq!(PAGE_TABLE_ENTRY_BITS + VSPACE_INDEX_BITS, VSPACE_BITS);
        assert_eq!(PAGE_BITS + PAGE_TABLE_INDEX_BITS, LARGE_PAGE_BITS);
        assert_eq!(LARGE_PAGE_BITS + PAGE_TABLE_INDEX_BITS, HUGE_PAGE_BITS);
        assert_eq!(3 + ASID_POOL_INDEX_BITS, ASID_POOL_BITS);
        assert_eq!(USER_TOP, (1 << 47) - 1);
    }

    #[test]
    fn type_numbers_are_pinned() {
        let expected = [
            (ObjectType::Untyped, 0),
            (ObjectType::Tcb, 1),
            (ObjectType::Endpoint, 2),
            (ObjectType::Notification, 3),
            (ObjectType::CapTable, 4),
            (ObjectType::HugePage, 5),
            (ObjectType::VSpace, 6),
            (ObjectType::SmallPage, 7),
            (ObjectType::LargePage, 8),
            (ObjectType::PageTable, 9),
        ];
        for (t, n) in expected {
            assert_eq!(t.word(), n, "{t:?}");
            assert_eq!(ObjectType::from_word(n), Some(t));
        }
        for w in [10, 11, 0xfffe, 0xffff, u64::MAX] {
            assert_eq!(ObjectType::from_word(w), None, "{w}");
        }
    }

    #[test]
    fn fixed_sizes_ignore_the_argument() {
        let expected = [
            (ObjectType::Tcb, 11),
            (ObjectType::Endpoint, 4),
            (ObjectType::Notification, 5),
            (ObjectType::HugePage, 30),
            (ObjectType::VSpace, 12),
            (ObjectType::SmallPage, 12),
            (ObjectType::LargePage, 21),
            (ObjectType::PageTable, 12),
        ];
        for (t, bits) in expected {
            for arg in [0, 1, 12, 63, u64::MAX] {
                assert_eq!(t.size_bits(arg), Some(bits), "{t:?} {arg}");
            }
        }
    }

    #[test]
    fn untyped_size_bounds() {
        assert_eq!(ObjectType::Untyped.size_bits(3), None);
        assert_eq!(ObjectType::Untyped.size_bits(4), Some(4));
        assert_eq!(ObjectType::Untyped.size_bits(20), Some(20));
        assert_eq!(ObjectType::Untyped.size_bits(47), Some(47));
        assert_eq!(ObjectType::Untyped.size_bits(48), None);
        assert_eq!(ObjectType::Untyped.size_bits(u64::MAX), None);
    }

    #[test]
    fn cnode_radix_bounds() {
        assert_eq!(ObjectType::CapTable.size_bits(0), None);
        assert_eq!(ObjectType::CapTable.size_bits(1), Some(6));
        assert_eq!(ObjectType::CapTable.size_bits(12), Some(17));
        assert_eq!(ObjectType::CapTable.size_bits(42), Some(47));
        assert_eq!(ObjectType::CapTable.size_bits(43), None);
        assert_eq!(ObjectType::CapTable.size_bits(u64::MAX), None);
    }

    #[test]
    fn frames() {
        let frames: [bool; 10] = ObjectType::ALL.map(ObjectType::is_frame);
        assert_eq!(
            frames,
            [
                false, false, false, false, false, true, false, true, true, false
            ]
        );
    }
}
