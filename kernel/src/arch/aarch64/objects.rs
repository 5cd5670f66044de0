//! The architecture's objects, as seL4's arch/arm/64/kernel/vspace.c: frames, page tables,
//! VSpaces, ASID control and pools (decode and invoke), what deleting their caps undoes,
//! and the ASID-to-VSpace lookup the VM root switch uses. Interrupt objects are in
//! `super::irq`.

use super::vspace::{self, entry_bits, index, is_table, is_valid, output_address, table_desc};
use crate::api::error::SysError;
use crate::api::invocation::Invocation;
use crate::kernel::cspace::{LookupFault, lookup_slot_for_cnode_op};
use crate::kernel::ipc;
use crate::kernel::thread::set_thread_state;
use crate::machine::{CacheOp, Machine, Memory};
use crate::model::KernelState;
use crate::mutant::{self, Mutant};
use crate::object::cap::Mapping;
use crate::object::objecttype::{ensure_empty_slot, ensure_no_children, mask_cap_rights};
use crate::object::tcb::ThreadState;
use crate::object::{Cap, FrameSize, VmRights, cte};
use sel4_abi::{CapRights, InvocationLabel as L, MessageInfo, VmAttributes};

const ASID_LOW_BITS: u64 = sel4_abi::ASID_POOL_INDEX_BITS;

/// seL4's findVSpaceForASID: the VSpace an ASID is assigned to.
pub fn find_vspace(ks: &KernelState, m: &impl Memory, asid: u16) -> Option<u64> {
    let pool = *ks.asid_table.get((asid as u64 >> ASID_LOW_BITS) as usize)?;
    if pool == 0 || asid == 0 {
        return None;
    }
    let v = m.read_word(pool + (asid as u64 & ((1 << ASID_LOW_BITS) - 1)) * 8);
    (v != 0).then_some(v)
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

/// The user descriptor for a frame: a page at level 3, a block at levels 1 and 2.
fn user_pte(pa: u64, size: FrameSize, rights: VmRights, attr: VmAttributes) -> u64 {
    let exec = !attr.contains(VmAttributes::EXECUTE_NEVER);
    let cacheable = attr.contains(VmAttributes::PAGE_CACHEABLE);
    let page = vspace::page_desc(pa, rights, exec, cacheable);
    match size {
        FrameSize::Small => page,
        // A block descriptor is a page descriptor with bit 1 clear.
        _ => page & !0b10,
    }
}

fn frame_bits(size: FrameSize) -> u64 {
    size.bits()
}

/// The VSpace cap argument must be a VSpace with an ASID that still names it.
fn vspace_arg(ks: &KernelState, m: &impl Memory, cap: Option<Cap>) -> Result<(u64, u16), SysError> {
    let Some(Cap::VSpace {
        base,
        asid: Some(asid),
    }) = cap
    else {
        return Err(SysError::InvalidCapability(1));
    };
    match find_vspace(ks, m, asid) {
        None => Err(SysError::FailedLookup {
            source: false,
            fault: LookupFault::InvalidRoot,
        }),
        Some(v) if v != base => Err(SysError::InvalidCapability(1)),
        Some(_) => Ok((base, asid)),
    }
}

/// seL4's unmapPage: removes the mapping a frame cap records, if it is still there.
fn unmap_page<M: Machine>(ks: &KernelState, m: &mut M, base: u64, size: FrameSize, map: Mapping) {
    let Some(root) = find_vspace(ks, m, map.asid) else {
        return;
    };
    let (slot, bits) = lookup_pt_slot(m, root, map.vaddr);
    let desc = m.read_word(slot);
    if bits == frame_bits(size) && is_valid(desc) && output_address(desc) == base {
        m.write_word(slot, 0);
        m.flush_tlb(map.asid, (size == FrameSize::Small).then_some(map.vaddr));
    }
}

/// seL4's unmapPageTable: removes the entry that points at the table `pt`.
fn unmap_page_table<M: Machine>(ks: &KernelState, m: &mut M, pt: u64, map: Mapping) {
    let Some(root) = find_vspace(ks, m, map.asid) else {
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
            m.write_word(slot, 0);
            m.flush_tlb(map.asid, None);
            return;
        }
        table = output_address(desc);
    }
}

/// What deleting a frame, page table, VSpace or ASID pool cap undoes (seL4's
/// Arch_finaliseCap).
pub fn vspace_finalise<M: Machine>(ks: &mut KernelState, m: &mut M, cap: Cap, is_final: bool) {
    match cap {
        Cap::Frame {
            base,
            size,
            mapping: Some(map),
            ..
        } => unmap_page(ks, m, base, size, map),
        Cap::PageTable {
            base,
            mapping: Some(map),
        } if is_final => unmap_page_table(ks, m, base, map),
        // seL4's deleteASID: the ASID stops naming this VSpace.
        Cap::VSpace {
            base,
            asid: Some(asid),
        } if is_final && find_vspace(ks, m, asid) == Some(base) => {
            let pool = ks.asid_table[(asid as u64 >> ASID_LOW_BITS) as usize];
            m.write_word(pool + (asid as u64 & ((1 << ASID_LOW_BITS) - 1)) * 8, 0);
            m.flush_tlb(asid, None);
        }
        Cap::AsidPool { base, asid_base } if is_final => {
            let i = (asid_base as u64 >> ASID_LOW_BITS) as usize;
            if ks.asid_table.get(i) == Some(&base) {
                ks.asid_table[i] = 0;
                m.sync_page_tables();
            }
        }
        _ => {}
    }
}

/// Decodes and performs an invocation on a frame, page table, VSpace or ASID cap.
pub fn decode_and_invoke<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), SysError> {
    match inv.cap {
        Cap::Frame { .. } => frame(ks, m, inv),
        Cap::PageTable { .. } => page_table(ks, m, inv),
        Cap::VSpace { .. } => vspace_flush(ks, m, inv),
        Cap::AsidControl => asid_control(ks, m, inv),
        Cap::AsidPool { .. } => asid_pool(ks, m, inv),
        _ => Err(SysError::InvalidCapability(0)),
    }
}

fn restart(ks: &mut KernelState, m: &mut impl Machine, inv: &Invocation) {
    set_thread_state(ks, m, inv.thread, ThreadState::Restart);
}

fn cache_op(label: u64) -> Option<CacheOp> {
    Some(match label {
        x if x == L::ArmPageCleanData as u64 || x == L::ArmVSpaceCleanData as u64 => CacheOp::Clean,
        x if x == L::ArmPageInvalidateData as u64 || x == L::ArmVSpaceInvalidateData as u64 => {
            CacheOp::Invalidate
        }
        x if x == L::ArmPageCleanInvalidateData as u64
            || x == L::ArmVSpaceCleanInvalidateData as u64 =>
        {
            CacheOp::CleanInvalidate
        }
        x if x == L::ArmPageUnifyInstruction as u64 || x == L::ArmVSpaceUnifyInstruction as u64 => {
            CacheOp::Unify
        }
        _ => return None,
    })
}

/// seL4's decodeARMFrameInvocation.
fn frame<M: Machine>(ks: &mut KernelState, m: &mut M, inv: &Invocation) -> Result<(), SysError> {
    let Cap::Frame {
        base,
        size,
        rights,
        is_device,
        mapping,
    } = inv.cap
    else {
        unreachable!()
    };
    let label = inv.label;
    if label == L::ArmPageMap as u64 {
        let Some((_, vcap)) = inv.extra_cap(m, 0).filter(|_| inv.length >= 3) else {
            return Err(SysError::TruncatedMessage);
        };
        let (vaddr, rights_word, attr) = (
            inv.arg(m, 0),
            inv.arg(m, 1),
            VmAttributes::from_word(inv.arg(m, 2)),
        );
        let new_rights = match mask_cap_rights(CapRights::from_word(rights_word), inv.cap) {
            Cap::Frame { rights, .. } => rights,
            _ => rights,
        };
        let Some(Cap::VSpace {
            asid: Some(asid), ..
        }) = Some(vcap)
        else {
            return Err(SysError::InvalidCapability(1));
        };
        let bits = frame_bits(size);
        // seL4's order: the VSpace (its ASID must still name it), the alignment, then the
        // frame's own mapping.
        let (root, _) = vspace_arg(ks, m, Some(vcap))?;
        if vaddr & ((1 << bits) - 1) != 0 {
            return Err(SysError::AlignmentError);
        }
        match mapping {
            // A mapped frame may only be remapped (new rights) where it is.
            Some(map) if map.asid != asid => return Err(SysError::InvalidCapability(1)),
            Some(map) if map.vaddr != vaddr => return Err(SysError::InvalidArgument(0)),
            Some(_) => {}
            None if vaddr
                .checked_add((1 << bits) - 1)
                .is_none_or(|e| e > sel4_abi::USER_TOP) =>
            {
                return Err(SysError::InvalidArgument(0));
            }
            None => {}
        }
        let (slot, left) = lookup_pt_slot(m, root, vaddr);
        // The table level that maps this size of frame must exist.
        if left != bits {
            return Err(SysError::FailedLookup {
                source: false,
                fault: LookupFault::MissingCapability { bits_left: left },
            });
        }
        restart(ks, m, inv);
        let mapping = Some(Mapping { asid, vaddr });
        inv.slot.set_cap(
            m,
            Cap::Frame {
                base,
                size,
                rights,
                is_device,
                mapping,
            },
        );
        // Device memory is never mapped cacheable.
        let attr = if is_device {
            attr - VmAttributes::PAGE_CACHEABLE
        } else {
            attr
        };
        // A remap or a replaced frame may leave a stale translation of this page.
        m.write_word(slot, user_pte(base, size, new_rights, attr));
        m.flush_tlb(asid, (size == FrameSize::Small).then_some(vaddr));
        return Ok(());
    }
    if label == L::ArmPageUnmap as u64 {
        restart(ks, m, inv);
        if let Some(map) = mapping {
            unmap_page(ks, m, base, size, map);
        }
        let kept = mutant::on(Mutant::UnmapKeepsMapping)
            .then_some(mapping)
            .flatten();
        inv.slot.set_cap(
            m,
            Cap::Frame {
                base,
                size,
                rights,
                is_device,
                mapping: kept,
            },
        );
        return Ok(());
    }
    if label == L::ArmPageGetAddress as u64 {
        restart(ks, m, inv);
        if inv.call {
            let t = inv.thread;
            let rbuf = ipc::ipc_buffer(m, t, true);
            t.set_reg(m, ipc::BADGE_REGISTER, 0);
            let n = ipc::set_msg_word(m, t, rbuf, 0, base);
            t.set_reg(
                m,
                ipc::INFO_REGISTER,
                MessageInfo::new(0, 0, 0, n as u64).to_word(),
            );
        }
        set_thread_state(ks, m, inv.thread, ThreadState::Running);
        return Ok(());
    }
    let Some(op) = cache_op(label).filter(|_| label >= L::ArmPageCleanData as u64) else {
        return Err(SysError::IllegalOperation);
    };
    if inv.length < 2 {
        return Err(SysError::TruncatedMessage);
    }
    let Some(map) = mapping else {
        return Err(SysError::IllegalOperation);
    };
    if find_vspace(ks, m, map.asid).is_none() {
        return Err(SysError::FailedLookup {
            source: false,
            fault: LookupFault::InvalidRoot,
        });
    }
    let (start, end) = (inv.arg(m, 0), inv.arg(m, 1));
    if end <= start {
        return Err(SysError::InvalidArgument(1));
    }
    let page = 1u64 << frame_bits(size);
    if start >= page || end > page {
        return Err(SysError::InvalidArgument(0));
    }
    // The kernel flushes through the user's mapping, so the cap's record of it must still
    // be true (seL4 at EL1): the entry at its address maps this frame, at this size.
    let root = find_vspace(ks, m, map.asid).unwrap_or_default();
    let (slot, bits) = lookup_pt_slot(m, root, map.vaddr);
    let desc = m.read_word(slot);
    if bits != frame_bits(size) || !is_valid(desc) || output_address(desc) != base {
        return Err(SysError::InvalidCapability(0));
    }
    // Invalidating discards data, so it needs a writable mapping.
    if op == CacheOp::Invalidate && !vspace::user_writable(desc) {
        return Err(SysError::IllegalOperation);
    }
    restart(ks, m, inv);
    // The machine skips memory its kernel window does not map (device memory above RAM).
    m.cache_op(op, base + start, end - start);
    Ok(())
}

/// seL4's decodeARMPageTableInvocation.
fn page_table<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), SysError> {
    let Cap::PageTable { base, mapping } = inv.cap else {
        unreachable!()
    };
    if inv.label == L::ArmPageTableMap as u64 {
        let Some((_, vcap)) = inv.extra_cap(m, 0).filter(|_| inv.length >= 2) else {
            return Err(SysError::TruncatedMessage);
        };
        // A table is in one place at a time.
        if mapping.is_some() {
            return Err(SysError::InvalidCapability(0));
        }
        let vaddr = inv.arg(m, 0);
        if !matches!(vcap, Cap::VSpace { asid: Some(_), .. }) {
            return Err(SysError::InvalidCapability(1));
        }
        if vaddr > sel4_abi::USER_TOP {
            return Err(SysError::InvalidArgument(0));
        }
        let (root, asid) = vspace_arg(ks, m, Some(vcap))?;
        let (slot, left) = lookup_pt_slot(m, root, vaddr);
        // Every level already exists, or something is mapped where the table would go.
        if left == sel4_abi::PAGE_BITS || is_valid(m.read_word(slot)) {
            return Err(SysError::DeleteFirst);
        }
        restart(ks, m, inv);
        let mapping = Some(Mapping {
            asid,
            vaddr: vaddr & !((1 << left) - 1),
        });
        inv.slot.set_cap(m, Cap::PageTable { base, mapping });
        m.write_word(slot, table_desc(base));
        m.flush_tlb(asid, None);
        return Ok(());
    }
    if inv.label == L::ArmPageTableUnmap as u64 {
        // Other caps to the table could still use it.
        if !cte::is_final(m, inv.slot) {
            return Err(SysError::RevokeFirst);
        }
        restart(ks, m, inv);
        if let Some(map) = mapping {
            unmap_page_table(ks, m, base, map);
            m.zero(base, 1 << sel4_abi::PAGE_TABLE_BITS);
        }
        inv.slot.set_cap(
            m,
            Cap::PageTable {
                base,
                mapping: None,
            },
        );
        return Ok(());
    }
    Err(SysError::IllegalOperation)
}

/// seL4's decodeARMVSpaceInvocation: cache maintenance over a range of the address space.
fn vspace_flush<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), SysError> {
    let Some(op) = cache_op(inv.label).filter(|_| inv.label <= L::ArmVSpaceUnifyInstruction as u64)
    else {
        return Err(SysError::IllegalOperation);
    };
    if inv.length < 2 {
        return Err(SysError::TruncatedMessage);
    }
    let (start, end) = (inv.arg(m, 0), inv.arg(m, 1));
    if end <= start {
        return Err(SysError::InvalidArgument(1));
    }
    if end > sel4_abi::USER_TOP {
        return Err(SysError::IllegalOperation);
    }
    let Cap::VSpace {
        base,
        asid: Some(asid),
    } = inv.cap
    else {
        return Err(SysError::InvalidCapability(0));
    };
    match find_vspace(ks, m, asid) {
        None => {
            return Err(SysError::FailedLookup {
                source: false,
                fault: LookupFault::InvalidRoot,
            });
        }
        Some(v) if v != base => return Err(SysError::InvalidCapability(0)),
        Some(_) => {}
    }
    let (slot, bits) = lookup_pt_slot(m, base, start);
    let desc = m.read_word(slot);
    restart(ks, m, inv);
    // Nothing mapped: nothing can be cached for it; seL4 succeeds silently.
    if !is_valid(desc) || bits > sel4_abi::HUGE_PAGE_BITS {
        return Ok(());
    }
    let page_mask = (1u64 << bits) - 1;
    if start & !page_mask != (end - 1) & !page_mask {
        set_thread_state(ks, m, inv.thread, ThreadState::Running);
        return Err(SysError::RangeError(
            start,
            (start & !page_mask) + page_mask,
        ));
    }
    // Invalidating discards data, so it needs a writable mapping.
    if op == CacheOp::Invalidate && !vspace::user_writable(desc) {
        set_thread_state(ks, m, inv.thread, ThreadState::Running);
        return Err(SysError::IllegalOperation);
    }
    m.cache_op(op, output_address(desc) + (start & page_mask), end - start);
    Ok(())
}

/// seL4's decodeARMASIDControlInvocation: MakePool.
fn asid_control<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), SysError> {
    if inv.label != L::ArmAsidControlMakePool as u64 {
        return Err(SysError::IllegalOperation);
    }
    let (Some((parent, untyped)), Some((_, root))) = (inv.extra_cap(m, 0), inv.extra_cap(m, 1))
    else {
        return Err(SysError::TruncatedMessage);
    };
    if inv.length < 2 {
        return Err(SysError::TruncatedMessage);
    }
    // A free block of ASIDs.
    let Some(i) = ks.asid_table.iter().position(|&p| p == 0) else {
        return Err(SysError::DeleteFirst);
    };
    // The pool is made from a whole 4 KiB untyped of normal memory.
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device: false,
        ..
    } = untyped
    else {
        return Err(SysError::InvalidCapability(1));
    };
    if size_bits as u64 != sel4_abi::ASID_POOL_BITS {
        return Err(SysError::InvalidCapability(1));
    }
    ensure_no_children(m, parent)?;
    let dest = lookup_slot_for_cnode_op(m, false, root, inv.arg(m, 0), inv.arg(m, 1))?;
    ensure_empty_slot(m, dest)?;
    restart(ks, m, inv);
    parent.set_cap(
        m,
        Cap::Untyped {
            ptr,
            size_bits,
            is_device: false,
            free_index: 1 << size_bits,
        },
    );
    m.zero(ptr, 1 << sel4_abi::ASID_POOL_BITS);
    let asid_base = (i as u64) << ASID_LOW_BITS;
    cte::insert(
        m,
        Cap::AsidPool {
            base: ptr,
            asid_base: asid_base as u16,
        },
        parent,
        dest,
    );
    ks.asid_table[i] = ptr;
    Ok(())
}

/// seL4's decodeARMASIDPoolInvocation: Assign gives a VSpace the pool's first free ASID.
fn asid_pool<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    inv: &Invocation,
) -> Result<(), SysError> {
    let Cap::AsidPool { base, asid_base } = inv.cap else {
        unreachable!()
    };
    if inv.label != L::ArmAsidPoolAssign as u64 {
        return Err(SysError::IllegalOperation);
    }
    let Some((vslot, vcap)) = inv.extra_cap(m, 0) else {
        return Err(SysError::TruncatedMessage);
    };
    let Cap::VSpace {
        base: vbase,
        asid: None,
    } = vcap
    else {
        return Err(SysError::InvalidCapability(1));
    };
    let pool = ks.asid_table[(asid_base as u64 >> ASID_LOW_BITS) as usize];
    if pool == 0 {
        return Err(SysError::FailedLookup {
            source: false,
            fault: LookupFault::InvalidRoot,
        });
    }
    if pool != base {
        return Err(SysError::InvalidCapability(0));
    }
    // The first free ASID; ASID 0 is never used.
    let free = (0..1u64 << ASID_LOW_BITS)
        .find(|&i| asid_base as u64 + i != 0 && m.read_word(pool + i * 8) == 0);
    let Some(i) = free else {
        return Err(SysError::DeleteFirst);
    };
    restart(ks, m, inv);
    let asid = (asid_base as u64 + i) as u16;
    vslot.set_cap(
        m,
        Cap::VSpace {
            base: vbase,
            asid: Some(asid),
        },
    );
    m.write_word(pool + i * 8, vbase);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;

    #[test]
    fn frames_are_pages_at_level_3_and_blocks_above() {
        let page = user_pte(
            0x4000_0000,
            FrameSize::Small,
            VmRights::ReadWrite,
            VmAttributes::DEFAULT,
        );
        let large = user_pte(
            0x4020_0000,
            FrameSize::Large,
            VmRights::ReadWrite,
            VmAttributes::DEFAULT,
        );
        let huge = user_pte(
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
            user_pte(
                0x20_0000,
                FrameSize::Large,
                VmRights::ReadWrite,
                VmAttributes::DEFAULT,
            ),
        );
        assert_eq!(lookup_pt_slot(&m, l0, va + 0x1000).1, 21);
    }
}
