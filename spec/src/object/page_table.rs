//! Page tables below a VSpace root: Map puts one into the slot a walk reaches, Unmap takes
//! it out (and clears its entries).

use sel4_abi::{PAGE_BITS, PageTableLabel, USER_TOP};

use crate::kernel::vspace::{entry, lookup_pt_slot, table_mut, unmap_page_table, vspace_arg};
use crate::model::error::SyscallError;
use crate::model::{Cap, Mapping, Object, PAddr, PageTable, Pte, SlotRef, State};

use super::Args;

/// A decoded page-table invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageTableInvocation {
    /// Map a page table into slot `index` of table `table`.
    Map {
        slot: SlotRef,
        table: PAddr,
        index: u64,
        mapping: Mapping,
    },
    /// Unmap a page table.
    Unmap { slot: SlotRef },
}

/// seL4's `decodeARMPageTableInvocation`.
pub fn decode_page_table(s: &State, a: &Args) -> Result<PageTableInvocation, SyscallError> {
    let Cap::PageTable { mapping, .. } = a.cap else {
        return Err(SyscallError::IllegalOperation);
    };
    match a.family_label()? {
        PageTableLabel::Unmap => {
            // Unmapping the table under other caps to it would surprise their holders.
            if !s.is_final(a.slot) {
                return Err(SyscallError::RevokeFirst);
            }
            Ok(PageTableInvocation::Unmap { slot: a.slot })
        }
        PageTableLabel::Map => decode_page_table_map(s, a, mapping),
    }
}

/// ARMPageTableMap: (vaddr, attributes), the VSpace as extra cap 0.
fn decode_page_table_map(
    s: &State,
    a: &Args,
    mapping: Option<Mapping>,
) -> Result<PageTableInvocation, SyscallError> {
    let (Some(vaddr), Some(_attr), Some((vspace, _))) = (a.mr(0), a.mr(1), a.excap(0)) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // A table is mapped in one place at a time.
    if mapping.is_some() {
        return Err(SyscallError::InvalidCapability(0));
    }
    if !matches!(vspace, Cap::VSpace { asid: Some(_), .. }) {
        return Err(SyscallError::InvalidCapability(1));
    }
    if vaddr > USER_TOP {
        return Err(SyscallError::InvalidArgument(0));
    }
    let (root, asid) = vspace_arg(s, vspace)?;
    let (table, index, bits) = lookup_pt_slot(s, root, vaddr);
    // Every level already exists there, or a page occupies the slot.
    if bits == PAGE_BITS || entry(s, table, index).is_some() {
        return Err(SyscallError::DeleteFirst);
    }
    Ok(PageTableInvocation::Map {
        slot: a.slot,
        table,
        index,
        mapping: Mapping {
            asid,
            vaddr: vaddr & !((1 << bits) - 1),
        },
    })
}

/// seL4's `performPageTableInvocationMap` and `performPageTableInvocationUnmap`.
pub fn invoke_page_table(s: &mut State, inv: PageTableInvocation) {
    match inv {
        PageTableInvocation::Map {
            slot,
            table,
            index,
            mapping,
        } => {
            if let Cap::PageTable { base, .. } = s.cap(slot) {
                if let Some(t) = table_mut(s, table) {
                    t.entries.insert(index, Pte::Table(base));
                }
                s.set_cap(
                    slot,
                    Cap::PageTable {
                        base,
                        mapping: Some(mapping),
                    },
                );
            }
        }
        PageTableInvocation::Unmap { slot } => {
            if let Cap::PageTable {
                base,
                mapping: Some(m),
            } = s.cap(slot)
            {
                unmap_page_table(s, m.asid, m.vaddr, base);
                // The table's own entries go with it: its memory is cleared.
                if let Some(Object::PageTable(t)) = s.objects.get_mut(&base) {
                    *t = PageTable::default();
                }
                s.set_cap(
                    slot,
                    Cap::PageTable {
                        base,
                        mapping: None,
                    },
                );
            }
        }
    }
}
