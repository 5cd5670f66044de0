//! Address spaces, abstractly: ASIDs, the four-level table walk, mapping and unmapping.

use sel4_abi::{ASID_POOL_INDEX_BITS, PAGE_BITS, PAGE_TABLE_INDEX_BITS};

use crate::model::error::{SyscallError, failed_lookup};
use crate::model::{Cap, LookupFailure, Object, PAddr, PageTable, Pte, State};

/// Levels of translation below and including the root (AArch64, 48-bit addresses).
pub const LEVELS: u64 = 4;

/// seL4's `findVSpaceForASID`: the VSpace root an ASID is assigned to.
pub fn find_vspace_for_asid(s: &State, asid: u16) -> Result<PAddr, LookupFailure> {
    let asid = u64::from(asid);
    let pool = s
        .asid_table
        .get(&(asid >> ASID_POOL_INDEX_BITS))
        .ok_or(LookupFailure::InvalidRoot)?;
    match s.objects.get(pool) {
        Some(Object::AsidPool(p)) => p
            .get(&(asid & ((1 << ASID_POOL_INDEX_BITS) - 1)))
            .copied()
            .ok_or(LookupFailure::InvalidRoot),
        _ => Err(LookupFailure::InvalidRoot),
    }
}

fn table(s: &State, t: PAddr) -> Option<&PageTable> {
    match s.objects.get(&t) {
        Some(Object::VSpace { table, .. }) | Some(Object::PageTable(table)) => Some(table),
        _ => None,
    }
}

/// The entry at `index` of table `t` (a VSpace root or a page table), if there is one.
pub fn entry(s: &State, t: PAddr, index: u64) -> Option<Pte> {
    table(s, t).and_then(|x| x.entries.get(&index).copied())
}

/// seL4's `isValidNativeRoot` plus `findVSpaceForASID`: the VSpace a map invocation names
/// (its extra cap 0, capability 1 in errors) must be a VSpace root cap with an ASID that
/// still names that root. Returns the root and the ASID.
pub fn vspace_arg(s: &State, cap: Cap) -> Result<(PAddr, u16), SyscallError> {
    let Cap::VSpace {
        base,
        asid: Some(asid),
    } = cap
    else {
        return Err(SyscallError::InvalidCapability(1));
    };
    let root = find_vspace_for_asid(s, asid).map_err(failed_lookup(false))?;
    if root != base {
        return Err(SyscallError::InvalidCapability(1));
    }
    Ok((root, asid))
}

/// Mutable access to a table's entries.
pub fn table_mut(s: &mut State, t: PAddr) -> Option<&mut PageTable> {
    match s.objects.get_mut(&t) {
        Some(Object::VSpace { table, .. }) | Some(Object::PageTable(table)) => Some(table),
        _ => None,
    }
}

fn pt_index(vaddr: u64, bits_left: u64) -> u64 {
    (vaddr >> bits_left) & ((1 << PAGE_TABLE_INDEX_BITS) - 1)
}

/// seL4's `lookupPTSlot`: walk down through present tables; returns the table holding the
/// last slot reached, the slot's index, and the bits that slot covers (39, 30, 21 or 12).
pub fn lookup_pt_slot(s: &State, root: PAddr, vaddr: u64) -> (PAddr, u64, u64) {
    let mut t = root;
    let mut bits = PAGE_TABLE_INDEX_BITS * (LEVELS - 1) + PAGE_BITS;
    loop {
        let i = pt_index(vaddr, bits);
        match table(s, t).and_then(|x| x.entries.get(&i)) {
            Some(Pte::Table(next)) if bits > PAGE_BITS => {
                t = *next;
                bits -= PAGE_TABLE_INDEX_BITS;
            }
            _ => return (t, i, bits),
        }
    }
}

/// seL4's `unmapPage`: clear the entry mapping `frame` at `vaddr`, if it still does.
pub fn unmap_page(s: &mut State, asid: u16, vaddr: u64, frame: PAddr, size_bits: u8) {
    let Ok(root) = find_vspace_for_asid(s, asid) else {
        return;
    };
    let (t, i, bits) = lookup_pt_slot(s, root, vaddr);
    if bits != u64::from(size_bits) {
        return;
    }
    if let Some(tb) = table_mut(s, t)
        && matches!(tb.entries.get(&i), Some(Pte::Page { frame: f, .. }) if *f == frame)
    {
        tb.entries.remove(&i);
    }
}

/// seL4's `unmapPageTable`: clear the entry pointing at page table `pt`.
pub fn unmap_page_table(s: &mut State, asid: u16, vaddr: u64, pt: PAddr) {
    let Ok(root) = find_vspace_for_asid(s, asid) else {
        return;
    };
    // Walk until the slot that holds `pt`.
    let mut t = root;
    let mut bits = PAGE_TABLE_INDEX_BITS * (LEVELS - 1) + PAGE_BITS;
    while bits > PAGE_BITS {
        let i = pt_index(vaddr, bits);
        match table(s, t).and_then(|x| x.entries.get(&i)).copied() {
            Some(Pte::Table(next)) if next == pt => {
                if let Some(tb) = table_mut(s, t) {
                    tb.entries.remove(&i);
                }
                return;
            }
            Some(Pte::Table(next)) => {
                t = next;
                bits -= PAGE_TABLE_INDEX_BITS;
            }
            _ => return,
        }
    }
}

/// seL4's `deleteASID`: forget the ASID of a VSpace being deleted.
pub fn delete_asid(s: &mut State, asid: u16, vspace: PAddr) {
    let a = u64::from(asid);
    if let Some(pool) = s.asid_table.get(&(a >> ASID_POOL_INDEX_BITS)).copied()
        && let Some(Object::AsidPool(p)) = s.objects.get_mut(&pool)
    {
        let low = a & ((1 << ASID_POOL_INDEX_BITS) - 1);
        if p.get(&low) == Some(&vspace) {
            p.remove(&low);
        }
    }
    if let Some(Object::VSpace { asid, .. }) = s.objects.get_mut(&vspace) {
        *asid = None;
    }
}

/// seL4's `deleteASIDPool`: remove a pool from the ASID table.
pub fn delete_asid_pool(s: &mut State, asid_base: u16, pool: PAddr) {
    let hi = u64::from(asid_base) >> ASID_POOL_INDEX_BITS;
    if s.asid_table.get(&hi) == Some(&pool) {
        s.asid_table.remove(&hi);
        if let Some(Object::AsidPool(p)) = s.objects.get(&pool) {
            let roots: Vec<PAddr> = p.values().copied().collect();
            for r in roots {
                if let Some(Object::VSpace { asid, .. }) = s.objects.get_mut(&r) {
                    *asid = None;
                }
            }
        }
    }
}
