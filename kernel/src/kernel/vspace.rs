//! Address spaces, as seL4's arch/arm/64/kernel/vspace.c: the ASID table, walks through a
//! VSpace's page tables, and removing mappings when frames, tables and ASIDs go away.

use crate::machine::{Machine, Memory};
use crate::model::pte::{entry_bits, index, is_table, is_valid, output_address, table_desc};
use crate::model::{Cap, FrameSize, KernelState, LookupFailure, Mapping, SyscallError};
use crate::mutant::{self, Mutant};
use core::num::NonZeroU16;
use sel4_abi::ASID_POOL_INDEX_BITS;

/// The entry of ASID `asid` in its pool (the pool's word holding the VSpace's address).
fn asid_entry(pool: u64, asid: u16) -> u64 {
    pool + (asid as u64 & ((1 << ASID_POOL_INDEX_BITS) - 1)) * 8
}

/// The ASID pool that holds `asid`, if one is assigned to its block.
pub fn asid_pool_of(ks: &KernelState, asid: u16) -> Option<u64> {
    let pool = *ks
        .asid_table
        .get((asid as u64 >> ASID_POOL_INDEX_BITS) as usize)?;
    (pool != 0).then_some(pool)
}

/// seL4's findVSpaceForASID: the VSpace an ASID is assigned to.
pub fn find_vspace_for_asid(ks: &KernelState, m: &impl Memory, asid: u16) -> Option<u64> {
    let pool = asid_pool_of(ks, asid)?;
    if asid == 0 {
        return None;
    }
    let v = m.read_word(asid_entry(pool, asid));
    (v != 0).then_some(v)
}

/// seL4's isValidNativeRoot and findVSpaceForASID for a VSpace cap argument (extra cap 0
/// of a Map): a VSpace with an ASID that still names it. Returns the root and the ASID.
pub fn vspace_arg(
    ks: &KernelState,
    m: &impl Memory,
    cap: Option<Cap>,
) -> Result<(u64, NonZeroU16), SyscallError> {
    let Some(Cap::VSpace {
        base,
        asid: Some(asid),
    }) = cap
    else {
        return Err(SyscallError::InvalidCapability(1));
    };
    match find_vspace_for_asid(ks, m, asid) {
        None => Err(SyscallError::FailedLookup {
            source: false,
            fault: LookupFailure::InvalidRoot,
        }),
        Some(v) if v != base => Err(SyscallError::InvalidCapability(1)),
        // An ASID that names a VSpace is never 0.
        Some(_) => {
            NonZeroU16::new(asid)
                .map(|asid| (base, asid))
                .ok_or(SyscallError::FailedLookup {
                    source: false,
                    fault: LookupFailure::InvalidRoot,
                })
        }
    }
}

/// seL4's lookupPTSlot: the deepest table entry the walk for `vaddr` reaches, and the bits
/// of address it covers (39 at the root, 30, 21, 12 at the last level).
pub fn lookup_pt_slot(m: &impl Memory, root: u64, vaddr: u64) -> (u64, u64) {
    let mut table = root;
    let mut level = 0;
    loop {
        let slot = table + index(vaddr, level) * 8;
        let desc = m.read_word(slot);
        if level == 3 || !is_table(desc) {
            return (slot, entry_bits(level) as u64);
        }
        table = output_address(desc);
        level += 1;
    }
}

/// seL4's unmapPage: removes the mapping a frame cap records, if it is still there.
pub fn unmap_page<M: Machine>(
    ks: &KernelState,
    m: &mut M,
    base: u64,
    size: FrameSize,
    map: Mapping,
) {
    let Some(root) = find_vspace_for_asid(ks, m, map.asid.get()) else {
        return;
    };
    let (slot, bits) = lookup_pt_slot(m, root, map.vaddr);
    let desc = m.read_word(slot);
    if bits == size.bits() && is_valid(desc) && output_address(desc) == base {
        if !mutant::on(Mutant::UnmapLeavesPte) {
            m.write_word(slot, 0);
        }
        m.flush_tlb(
            map.asid.get(),
            (size == FrameSize::Small).then_some(map.vaddr),
        );
    }
}

/// seL4's unmapPageTable: removes the entry that points at the table `pt`.
pub fn unmap_page_table<M: Machine>(ks: &KernelState, m: &mut M, pt: u64, map: Mapping) {
    let Some(root) = find_vspace_for_asid(ks, m, map.asid.get()) else {
        return;
    };
    let mut table = root;
    for level in 0..3 {
        let slot = table + index(map.vaddr, level) * 8;
        let desc = m.read_word(slot);
        if !is_table(desc) {
            return;
        }
        if output_address(desc) == pt {
            if !mutant::on(Mutant::PageTableUnmapLeavesEntry) {
                m.write_word(slot, 0);
            }
            m.flush_tlb(map.asid.get(), None);
            return;
        }
        table = output_address(desc);
    }
}

/// seL4's deleteASID: the ASID stops naming the VSpace `vspace` (if it still does).
pub fn delete_asid<M: Machine>(ks: &KernelState, m: &mut M, asid: u16, vspace: u64) {
    if find_vspace_for_asid(ks, m, asid) == Some(vspace)
        && let Some(pool) = asid_pool_of(ks, asid)
    {
        if !mutant::on(Mutant::DeleteAsidLeavesEntry) {
            m.write_word(asid_entry(pool, asid), 0);
        }
        m.flush_tlb(asid, None);
    }
}

/// seL4's deleteASIDPool: the pool's block of ASIDs is free again (if it still holds it).
pub fn delete_asid_pool<M: Machine>(ks: &mut KernelState, m: &mut M, asid_base: u16, pool: u64) {
    let i = (asid_base as u64 >> ASID_POOL_INDEX_BITS) as usize;
    if ks.asid_table.get(i) == Some(&pool) {
        ks.asid_table[i] = 0;
        m.sync_page_tables();
    }
}

/// Assigns ASID `asid` of `pool` to the VSpace at `vspace` (seL4's performASIDPoolInvocation
/// and the boot code's write of the root task's ASID).
pub fn assign_asid(m: &mut impl Memory, pool: u64, asid: u16, vspace: u64) {
    m.write_word(asid_entry(pool, asid), vspace);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;
    use crate::model::VmRights;
    use crate::model::pte::{frame_pte, page_desc};
    use sel4_abi::VmAttributes;

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

    #[test]
    fn lookup_stops_at_the_first_missing_level_or_block() {
        let mut m = SimMachine::new(0x10_0000, 0x10_000);
        let (l0, l1, l2) = (0x10_0000, 0x10_1000, 0x10_2000);
        let va = 0x40_0000_0000 + 0x20_0000;
        assert_eq!(lookup_pt_slot(&m, l0, va), (l0 + index(va, 0) * 8, 39));
        m.write_word(l0 + index(va, 0) * 8, table_desc(l1));
        assert_eq!(
            lookup_pt_slot(&m, l0, va),
            (l1 + index(va, 1) * 8, 30),
            "a 1 GiB frame maps here"
        );
        m.write_word(l1 + index(va, 1) * 8, table_desc(l2));
        assert_eq!(
            lookup_pt_slot(&m, l0, va),
            (l2 + index(va, 2) * 8, 21),
            "a 2 MiB frame maps here"
        );
        // A block at level 2 ends the walk there, whatever lies below it.
        m.write_word(
            l2 + index(va, 2) * 8,
            frame_pte(
                0x20_0000,
                FrameSize::Large,
                VmRights::ReadWrite,
                VmAttributes::DEFAULT,
            ),
        );
        assert_eq!(lookup_pt_slot(&m, l0, va + 0x1000).1, 21);
    }
}
