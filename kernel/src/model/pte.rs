//! AArch64 stage-1 page-table descriptors (4 KiB granule, 48-bit addresses): the format the
//! MMU reads from the VSpace and PageTable objects the kernel writes, and table indices.
//!
//! Level 0 is the VSpace object itself; levels 1 to 3 are PageTable objects. The kernel's
//! MAIR_EL1 (set at boot) gives the attribute indices used here.

use super::{FrameSize, VmRights};
use sel4_abi::VmAttributes;

/// MAIR index: Device-nGnRnE.
pub const ATTR_DEVICE_NGNRNE: u64 = 0;
/// MAIR index: Device-nGnRE (the kernel's own device mappings).
pub const ATTR_DEVICE_NGNRE: u64 = 1;
/// MAIR index: Normal memory, write-back cacheable.
pub const ATTR_NORMAL: u64 = 2;
/// MAIR index: Normal memory, non-cacheable.
pub const ATTR_NORMAL_NC: u64 = 3;
/// The MAIR_EL1 value that defines the indices above.
/// (Attribute 0, Device-nGnRnE, is encoded as 0x00.)
pub const MAIR_VALUE: u64 = 0x04 << 8 | 0xff << 16 | 0x44 << 24;

const VALID: u64 = 1 << 0;
const TABLE_OR_PAGE: u64 = 1 << 1;
const AF: u64 = 1 << 10;
const NG: u64 = 1 << 11;
const SH_INNER: u64 = 3 << 8;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
const AP_EL0_RW: u64 = 1 << 6;
const AP_RO: u64 = 3 << 6;
const OUTPUT_MASK: u64 = 0x0000_ffff_ffff_f000;

/// Index into the table at `level` (0..=3) for `vaddr`.
pub const fn index(vaddr: u64, level: u32) -> u64 {
    (vaddr >> (39 - 9 * level)) & 0x1ff
}

/// Bits of address one entry at `level` covers (39, 30, 21, 12).
pub const fn entry_bits(level: u32) -> u32 {
    39 - 9 * level
}

/// A descriptor pointing to the next-level table at `pa`.
pub const fn table_desc(pa: u64) -> u64 {
    pa & OUTPUT_MASK | VALID | TABLE_OR_PAGE
}

/// A level-3 page descriptor for a user mapping of the frame at `pa`.
///
/// Rights follow seL4: KernelOnly gives EL0 no access, ReadOnly read (and execute),
/// ReadWrite read and write (and execute). The kernel never executes user pages (PXN);
/// mappings are per-ASID (nG).
pub const fn page_desc(pa: u64, rights: VmRights, executable: bool, cacheable: bool) -> u64 {
    let ap = match rights {
        VmRights::KernelOnly => 0,
        VmRights::ReadOnly => AP_RO,
        VmRights::ReadWrite => AP_EL0_RW,
    };
    let attr = if cacheable {
        ATTR_NORMAL << 2 | SH_INNER
    } else {
        ATTR_DEVICE_NGNRNE << 2
    };
    let xn = if executable { PXN } else { PXN | UXN };
    pa & OUTPUT_MASK | VALID | TABLE_OR_PAGE | AF | NG | ap | attr | xn
}

/// True if a table entry is valid.
pub const fn is_valid(desc: u64) -> bool {
    desc & VALID != 0
}

/// True if a page or block entry lets user level write (seL4's vmRightsFromPTE is
/// VMReadWrite).
pub const fn user_writable(desc: u64) -> bool {
    desc & (3 << 6) == AP_EL0_RW
}

/// True if a level 0..=2 entry points to a table (not a block).
pub const fn is_table(desc: u64) -> bool {
    desc & (VALID | TABLE_OR_PAGE) == VALID | TABLE_OR_PAGE
}

/// The output address of a descriptor.
pub const fn output_address(desc: u64) -> u64 {
    desc & OUTPUT_MASK
}

/// The user descriptor for a frame of `size` (seL4's makeUserPagePTE): a page at level 3,
/// a block (a page descriptor with bit 1 clear) at levels 1 and 2.
pub fn frame_pte(pa: u64, size: FrameSize, rights: VmRights, attr: VmAttributes) -> u64 {
    use crate::mutant::{self, Mutant};
    let exec =
        !attr.contains(VmAttributes::EXECUTE_NEVER) || mutant::on(Mutant::PteExecuteNeverIgnored);
    let rights = match rights {
        VmRights::ReadOnly if mutant::on(Mutant::PteReadOnlyWritable) => VmRights::ReadWrite,
        r => r,
    };
    let cacheable = attr.contains(VmAttributes::PAGE_CACHEABLE);
    let page = page_desc(pa, rights, exec, cacheable);
    match size {
        FrameSize::Small => page,
        _ => page & !TABLE_OR_PAGE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_split_a_48_bit_address() {
        let va = 0x0000_7f80_c060_1234u64;
        assert_eq!(index(va, 0), 0xff);
        assert_eq!(index(va, 1), 0x3);
        assert_eq!(index(va, 2), 0x3);
        assert_eq!(index(va, 3), 0x1);
        assert_eq!(entry_bits(3), 12);
    }

    #[test]
    fn page_descriptors_encode_rights_and_attributes() {
        let rw = page_desc(0x4123_4000, VmRights::ReadWrite, false, true);
        assert_eq!(output_address(rw), 0x4123_4000);
        assert_eq!(rw & 0b11, 0b11, "valid level-3 page");
        assert_eq!((rw >> 6) & 3, 0b01, "EL0 read-write");
        assert_eq!((rw >> 2) & 7, ATTR_NORMAL);
        assert_ne!(rw & UXN, 0);
        assert_ne!(rw & PXN, 0);
        assert_ne!(rw & NG, 0);
        assert_ne!(rw & AF, 0);
        let rx = page_desc(0x1000, VmRights::ReadOnly, true, true);
        assert_eq!((rx >> 6) & 3, 0b11, "EL0 read-only");
        assert_eq!(rx & UXN, 0, "executable at EL0");
        let dev = page_desc(0x900_0000, VmRights::ReadWrite, false, false);
        assert_eq!((dev >> 2) & 7, ATTR_DEVICE_NGNRNE);
        let k = page_desc(0x1000, VmRights::KernelOnly, false, true);
        assert_eq!((k >> 6) & 3, 0, "no EL0 access");
        assert_eq!(MAIR_VALUE, 0x44ff_0400);
    }

    #[test]
    fn frames_are_pages_at_level_3_and_blocks_above() {
        let page = frame_pte(
            0x4000_0000,
            FrameSize::Small,
            VmRights::ReadWrite,
            VmAttributes::DEFAULT,
        );
        let large = frame_pte(
            0x4020_0000,
            FrameSize::Large,
            VmRights::ReadWrite,
            VmAttributes::DEFAULT,
        );
        let huge = frame_pte(
            0x4000_0000,
            FrameSize::Huge,
            VmRights::ReadOnly,
            VmAttributes::EXECUTE_NEVER,
        );
        assert_eq!(page & 0b11, 0b11, "level-3 page descriptor");
        assert_eq!(large & 0b11, 0b01, "block descriptor");
        assert_eq!(huge & 0b11, 0b01, "block descriptor");
        assert_eq!(output_address(huge), 0x4000_0000);
        assert_ne!(huge & (1 << 54), 0, "execute-never");
        assert_eq!((huge >> 6) & 3, 0b11, "read-only");
    }
}
