//! AArch64 stage-1 translation with a 4 KiB granule and 48-bit addresses: descriptor
//! encoding, table indices, and walks through a VSpace held in [`Memory`].
//!
//! Level 0 is the VSpace object itself; levels 1 to 3 are PageTable objects. The kernel's
//! MAIR_EL1 (set at boot) gives the attribute indices used here.

use crate::machine::Memory;
use crate::object::VmRights;

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

/// The table at `level` (1..=3) that translates `vaddr` in `vspace`, if every level above
/// it is present. Err carries the bits left unresolved, as seL4's FailedLookup reports
/// (39 if level 1 is missing, 30 for level 2, 21 for level 3).
pub fn table_for(m: &impl Memory, vspace: u64, vaddr: u64, level: u32) -> Result<u64, u64> {
    let mut table = vspace;
    for l in 0..level {
        let desc = m.read_word(table + index(vaddr, l) * 8);
        if !is_table(desc) {
            return Err(entry_bits(l) as u64);
        }
        table = output_address(desc);
    }
    Ok(table)
}

/// Links the table at `table_pa` into `vspace` as the level-`level` table covering `vaddr`
/// (its parent at `level - 1` must exist).
pub fn install_table(
    m: &mut impl Memory,
    vspace: u64,
    vaddr: u64,
    level: u32,
    table_pa: u64,
) -> Result<(), u64> {
    let parent = table_for(m, vspace, vaddr, level - 1)?;
    m.write_word(parent + index(vaddr, level - 1) * 8, table_desc(table_pa));
    Ok(())
}

/// Writes a level-3 entry for `vaddr` in `vspace` (all tables must exist).
pub fn map_page(m: &mut impl Memory, vspace: u64, vaddr: u64, desc: u64) -> Result<(), u64> {
    let pt = table_for(m, vspace, vaddr, 3)?;
    m.write_word(pt + index(vaddr, 3) * 8, desc);
    Ok(())
}

/// The physical address `vaddr` translates to in `vspace` (4 KiB pages only), if mapped.
pub fn translate(m: &impl Memory, vspace: u64, vaddr: u64) -> Option<u64> {
    let pt = table_for(m, vspace, vaddr, 3).ok()?;
    let desc = m.read_word(pt + index(vaddr, 3) * 8);
    is_valid(desc).then(|| output_address(desc) | (vaddr & 0xfff))
}

/// The gigabytes of physical memory the kernel window maps, one bit each (gigabyte 0, the
/// `virt` board's MMIO, and every gigabyte holding RAM; the window spans 512).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowMap([u64; 8]);

impl WindowMap {
    /// Records that gigabyte `g` is mapped (out-of-range numbers are ignored).
    pub fn add(&mut self, g: u64) {
        if g < 512 {
            self.0[(g / 64) as usize] |= 1 << (g % 64);
        }
    }

    /// True if every byte of `pa..pa + len` lies in a mapped gigabyte.
    pub fn covers(&self, pa: u64, len: u64) -> bool {
        let Some(last) = pa.checked_add(len.max(1) - 1) else {
            return false;
        };
        ((pa >> 30)..=(last >> 30))
            .all(|g| g < 512 && self.0[(g / 64) as usize] & 1 << (g % 64) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;

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
    fn the_window_map_covers_exactly_the_mapped_gigabytes() {
        let mut w = WindowMap::default();
        w.add(0);
        w.add(1);
        w.add(600); // beyond the window: ignored
        assert!(w.covers(0x0900_0000, 0x1000));
        assert!(w.covers(0x3fff_f000, 0x2000), "across two mapped gigabytes");
        assert!(w.covers(0x4000_0000, 1 << 30));
        assert!(!w.covers(0x7fff_f000, 0x2000), "into gigabyte 2");
        assert!(!w.covers(0x1_0000_0000, 0x1000));
        assert!(!w.covers(u64::MAX - 10, 100), "wraps");
        assert!(!w.covers(600 << 30, 1));
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
    fn map_and_translate_through_four_levels() {
        let mut m = SimMachine::new(0x10_0000, 0x10_0000);
        let (l0, l1, l2, l3) = (0x10_0000, 0x10_1000, 0x10_2000, 0x10_3000);
        let va = 0x40_1000;
        assert_eq!(map_page(&mut m, l0, va, 0), Err(39), "level 1 missing");
        install_table(&mut m, l0, va, 1, l1).unwrap();
        assert_eq!(map_page(&mut m, l0, va, 0), Err(30));
        install_table(&mut m, l0, va, 2, l2).unwrap();
        assert_eq!(map_page(&mut m, l0, va, 0), Err(21));
        install_table(&mut m, l0, va, 3, l3).unwrap();
        map_page(
            &mut m,
            l0,
            va,
            page_desc(0x10_8000, VmRights::ReadWrite, false, true),
        )
        .unwrap();
        assert_eq!(translate(&m, l0, va + 0x123), Some(0x10_8123));
        assert_eq!(translate(&m, l0, va + 0x1000), None);
    }
}
