//! What a translation-table descriptor in a PAGE_TABLE item means: the AArch64 stage-1
//! descriptor format (4 KiB granule, Arm ARM D8.3), read independently of the kernel code
//! that writes it, so a wrong bit shows as a wrong field (or as [`PteProj::Other`]) when
//! the replay compares it with the spec's table.
//!
//! The attribute index is read with the kernel's MAIR_EL1: index 0 is Device-nGnRnE and
//! index 2 Normal write-back memory (`kernel/src/model/pte.rs`). A user mapping the kernel
//! writes always has the access flag, is not global (nG), never executable at EL1 (PXN),
//! inner shareable if normal and non-shareable if device, with no other bit set; anything
//! else is `Other`, which no spec entry equals.

/// A non-zero descriptor, as the spec's tables hold entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PteProj {
    /// The next-level table at `table` (levels 0 to 2).
    Table {
        /// The table's physical address.
        table: u64,
    },
    /// A page (level 3) or block (levels 1 and 2).
    Page {
        /// The frame's physical address.
        frame: u64,
        /// The frame's size: 12, 21 or 30.
        size_bits: u8,
        /// seL4's vm_rights, as caps project them: 1 kernel only, 2 read-only, 3 read-write.
        rights: u8,
        /// User level may execute from it (UXN clear).
        executable: bool,
        /// Normal cacheable memory (else Device-nGnRnE).
        cacheable: bool,
    },
    /// Any other bit pattern: not a descriptor the kernel may write.
    Other {
        /// The raw descriptor.
        descriptor: u64,
    },
}

const VALID: u64 = 1;
const TABLE_OR_PAGE: u64 = 1 << 1;
const ATTR_INDEX_SHIFT: u64 = 2;
const AP_SHIFT: u64 = 6;
const SH_SHIFT: u64 = 8;
const AF: u64 = 1 << 10;
const NG: u64 = 1 << 11;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
/// Output address bits [47:12].
const ADDRESS: u64 = 0x0000_ffff_ffff_f000;
/// MAIR index of Device-nGnRnE memory.
const DEVICE_NGNRNE: u64 = 0;
/// MAIR index of Normal write-back memory.
const NORMAL: u64 = 2;
/// Inner shareable.
const SH_INNER: u64 = 3;

/// What `descriptor`, an entry of a table at `level` (0 the VSpace root, 3 the last), means.
pub const fn decode_pte(descriptor: u64, level: u64) -> PteProj {
    let other = PteProj::Other { descriptor };
    if descriptor & VALID == 0 || level > 3 {
        return other;
    }
    let address = descriptor & ADDRESS;
    let table_bit = descriptor & TABLE_OR_PAGE != 0;
    if level < 3 && table_bit {
        // A table descriptor holds its address and nothing else.
        return if descriptor == address | VALID | TABLE_OR_PAGE {
            PteProj::Table { table: address }
        } else {
            other
        };
    }
    // A page at level 3 has bit 1 set; a block at levels 1 and 2 has it clear; level 0
    // holds no blocks.
    if level == 0 || (level == 3) != table_bit {
        return other;
    }
    let size_bits = match level {
        1 => 30,
        2 => 21,
        _ => 12,
    };
    if address & ((1 << size_bits) - 1) != 0 {
        return other;
    }
    let rights = match (descriptor >> AP_SHIFT) & 3 {
        0 => 1,
        1 => 3,
        3 => 2,
        _ => return other,
    };
    let attr_index = (descriptor >> ATTR_INDEX_SHIFT) & 7;
    let shareability = (descriptor >> SH_SHIFT) & 3;
    let cacheable = match (attr_index, shareability) {
        (NORMAL, SH_INNER) => true,
        (DEVICE_NGNRNE, 0) => false,
        _ => return other,
    };
    let executable = descriptor & UXN == 0;
    let expected = address
        | VALID
        | if level == 3 { TABLE_OR_PAGE } else { 0 }
        | attr_index << ATTR_INDEX_SHIFT
        | ((descriptor >> AP_SHIFT) & 3) << AP_SHIFT
        | shareability << SH_SHIFT
        | AF
        | NG
        | PXN
        | if executable { 0 } else { UXN };
    if descriptor != expected {
        return other;
    }
    PteProj::Page {
        frame: address,
        size_bits,
        rights,
        executable,
        cacheable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_read_as_the_arm_arm_says() {
        // A level-3 page: normal, inner shareable, AF, nG, PXN; EL0 read-write; UXN.
        let rw = 0x4123_4000 | 0b11 | NORMAL << 2 | 1 << 6 | SH_INNER << 8 | AF | NG | PXN | UXN;
        assert_eq!(
            decode_pte(rw, 3),
            PteProj::Page {
                frame: 0x4123_4000,
                size_bits: 12,
                rights: 3,
                executable: false,
                cacheable: true
            }
        );
        // The same bits at level 2 are a table descriptor with stray bits: not one the
        // kernel writes.
        assert!(matches!(decode_pte(rw, 2), PteProj::Other { .. }));
        assert_eq!(
            decode_pte(0x4400_0000 | 0b11, 1),
            PteProj::Table { table: 0x4400_0000 }
        );
        // A read-only executable device block at level 2.
        let dev = 0x0900_0000 | 0b01 | 3 << 6 | AF | NG | PXN;
        assert_eq!(
            decode_pte(dev, 2),
            PteProj::Page {
                frame: 0x0900_0000,
                size_bits: 21,
                rights: 2,
                executable: true,
                cacheable: false
            }
        );
        // Kernel-only rights, a misaligned block, a missing AF, a global page, an invalid
        // entry, EL1-read-only rights.
        assert!(matches!(
            decode_pte(rw & !(3 << 6), 3),
            PteProj::Page { rights: 1, .. }
        ));
        assert!(matches!(decode_pte(dev | 0x1000, 2), PteProj::Other { .. }));
        assert!(matches!(decode_pte(rw & !AF, 3), PteProj::Other { .. }));
        assert!(matches!(decode_pte(rw & !NG, 3), PteProj::Other { .. }));
        assert!(matches!(decode_pte(rw & !VALID, 3), PteProj::Other { .. }));
        assert!(matches!(
            decode_pte(rw & !(3 << 6) | 2 << 6, 3),
            PteProj::Other { .. }
        ));
        // Normal memory must be inner shareable; a page at level 0 does not exist.
        assert!(matches!(
            decode_pte(rw & !(3 << 8), 3),
            PteProj::Other { .. }
        ));
        assert!(matches!(
            decode_pte(0x4000_0000 | 0b01, 0),
            PteProj::Other { .. }
        ));
    }
}
