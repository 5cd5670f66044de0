//! Page-table invocations, as seL4's decodeARMPageTableInvocation: Map a table into a
//! VSpace at the level it belongs to, and Unmap it.

use super::Args;
use crate::kernel::vspace::{lookup_pt_slot, unmap_page_table, vspace_arg};
use crate::machine::{Machine, Memory};
use crate::model::pte::{is_valid, table_desc};
use crate::model::{Cap, KernelState, Mapping, Slot, SyscallError};
use crate::mutant::{self, Mutant};
use sel4_abi::PageTableLabel;

/// A validated page-table invocation on the cap in `slot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageTableInvocation {
    /// Map: the entry at `pte_slot` points to the table, and the cap records the mapping.
    Map {
        slot: Slot,
        base: u64,
        pte_slot: u64,
        mapping: Mapping,
    },
    /// Unmap: the entry that points to the table goes and the table is cleared.
    Unmap {
        slot: Slot,
        base: u64,
        mapping: Option<Mapping>,
    },
}

/// seL4's decodeARMPageTableInvocation.
pub fn decode_page_table(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
) -> Result<PageTableInvocation, SyscallError> {
    let Cap::PageTable { base, mapping } = a.cap else {
        return Err(SyscallError::InvalidCapability(0));
    };
    let Ok(label) = PageTableLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        PageTableLabel::Map => decode_page_table_map(ks, m, a, base, mapping),
        PageTableLabel::Unmap => {
            // Other caps to the table could still use it.
            if !a.slot.is_final(m) {
                return Err(SyscallError::RevokeFirst);
            }
            Ok(PageTableInvocation::Unmap {
                slot: a.slot,
                base,
                mapping,
            })
        }
    }
}

/// ARMPageTableMap: (vaddr, attributes), the VSpace as extra cap 0.
fn decode_page_table_map(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
    base: u64,
    mapping: Option<Mapping>,
) -> Result<PageTableInvocation, SyscallError> {
    let Some((vcap, _)) = a.excap(m, 0).filter(|_| a.length >= 2) else {
        return Err(SyscallError::TruncatedMessage);
    };
    // A table is in one place at a time.
    if mapping.is_some() {
        return Err(SyscallError::InvalidCapability(0));
    }
    let vaddr = a.mr(m, 0);
    if !matches!(vcap, Cap::VSpace { asid: Some(_), .. }) {
        return Err(SyscallError::InvalidCapability(1));
    }
    if vaddr > sel4_abi::USER_TOP {
        return Err(SyscallError::InvalidArgument(0));
    }
    let (root, asid) = vspace_arg(ks, m, Some(vcap))?;
    let (pte_slot, left) = lookup_pt_slot(m, root, vaddr);
    // Every level already exists, or something is mapped where the table would go.
    if left == sel4_abi::PAGE_BITS || is_valid(m.read_word(pte_slot)) {
        return Err(SyscallError::DeleteFirst);
    }
    Ok(PageTableInvocation::Map {
        slot: a.slot,
        base,
        pte_slot,
        mapping: Mapping {
            asid,
            vaddr: vaddr & !((1 << left) - 1),
        },
    })
}

/// Performs a decoded page-table invocation (seL4's performPageTableInvocation*).
pub fn invoke_page_table(ks: &mut KernelState, m: &mut impl Machine, inv: PageTableInvocation) {
    match inv {
        PageTableInvocation::Map {
            slot,
            base,
            pte_slot,
            mapping,
        } => {
            slot.set_cap(
                m,
                Cap::PageTable {
                    base,
                    mapping: Some(mapping),
                },
            );
            m.write_word(pte_slot, table_desc(base));
            m.flush_tlb(mapping.asid.get(), None);
        }
        PageTableInvocation::Unmap {
            slot,
            base,
            mapping,
        } => {
            if let Some(map) = mapping {
                unmap_page_table(ks, m, base, map);
                if !mutant::on(Mutant::PageTableUnmapKeepsEntries) {
                    m.zero(base, 1 << sel4_abi::PAGE_TABLE_BITS);
                }
            }
            slot.set_cap(
                m,
                Cap::PageTable {
                    base,
                    mapping: None,
                },
            );
        }
    }
}
