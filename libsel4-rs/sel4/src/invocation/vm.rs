//! Virtual memory (Arm): page tables, frames, VSpace cache maintenance, ASIDs.

use sel4_abi::{CapRights, InvocationLabel as L, VmAttributes};

use super::{invoke, invoke_unit};
use crate::cap::cap_type::{AsidControl, AsidPool, FrameType, PageTable, Untyped, VSpace};
use crate::cap::{AbsoluteCPtr, Cap};
use crate::error::Result;
use crate::message::Message;

fn range(label: L, start: u64, end: u64) -> Message {
    Message::with_words(label.word(), &[start, end])
}

/// Request for seL4_ARM_PageTable_Map: words `(vaddr, attr)`, cap `(vspace)`.
pub fn page_table_map(vspace: Cap<VSpace>, vaddr: u64, attr: VmAttributes) -> Message {
    let mut m = Message::invocation(L::ArmPageTableMap);
    m.push(vaddr).push(attr.word()).push_cap(vspace);
    m
}

/// Request for seL4_ARM_PageTable_Unmap: no arguments.
pub fn page_table_unmap() -> Message {
    Message::invocation(L::ArmPageTableUnmap)
}

/// Request for seL4_ARM_Page_Map: words `(vaddr, rights, attr)`, cap `(vspace)`.
pub fn frame_map(
    vspace: Cap<VSpace>,
    vaddr: u64,
    rights: CapRights,
    attr: VmAttributes,
) -> Message {
    let mut m = Message::invocation(L::ArmPageMap);
    m.push(vaddr)
        .push(rights.word())
        .push(attr.word())
        .push_cap(vspace);
    m
}

/// Request for seL4_ARM_Page_Unmap: no arguments.
pub fn frame_unmap() -> Message {
    Message::invocation(L::ArmPageUnmap)
}

/// Request for seL4_ARM_Page_GetAddress: no arguments; the reply's mr0 is the address.
pub fn frame_get_address() -> Message {
    Message::invocation(L::ArmPageGetAddress)
}

/// Request for seL4_ARM_Page_Clean_Data: words `(start_offset, end_offset)`.
pub fn frame_clean_data(start: u64, end: u64) -> Message {
    range(L::ArmPageCleanData, start, end)
}

/// Request for seL4_ARM_Page_Invalidate_Data: words `(start_offset, end_offset)`.
pub fn frame_invalidate_data(start: u64, end: u64) -> Message {
    range(L::ArmPageInvalidateData, start, end)
}

/// Request for seL4_ARM_Page_CleanInvalidate_Data: words `(start_offset, end_offset)`.
pub fn frame_clean_invalidate_data(start: u64, end: u64) -> Message {
    range(L::ArmPageCleanInvalidateData, start, end)
}

/// Request for seL4_ARM_Page_Unify_Instruction: words `(start_offset, end_offset)`.
pub fn frame_unify_instruction(start: u64, end: u64) -> Message {
    range(L::ArmPageUnifyInstruction, start, end)
}

/// Request for seL4_ARM_VSpace_Clean_Data: words `(start, end)`.
pub fn vspace_clean_data(start: u64, end: u64) -> Message {
    range(L::ArmVSpaceCleanData, start, end)
}

/// Request for seL4_ARM_VSpace_Invalidate_Data: words `(start, end)`.
pub fn vspace_invalidate_data(start: u64, end: u64) -> Message {
    range(L::ArmVSpaceInvalidateData, start, end)
}

/// Request for seL4_ARM_VSpace_CleanInvalidate_Data: words `(start, end)`.
pub fn vspace_clean_invalidate_data(start: u64, end: u64) -> Message {
    range(L::ArmVSpaceCleanInvalidateData, start, end)
}

/// Request for seL4_ARM_VSpace_Unify_Instruction: words `(start, end)`.
pub fn vspace_unify_instruction(start: u64, end: u64) -> Message {
    range(L::ArmVSpaceUnifyInstruction, start, end)
}

/// Request for seL4_ARM_ASIDControl_MakePool: words `(index, depth)`, caps `(untyped,
/// root)`.
pub fn asid_control_make_pool(untyped: Cap<Untyped>, dst: &AbsoluteCPtr) -> Message {
    let mut m = Message::invocation(L::ArmAsidControlMakePool);
    m.push(dst.index())
        .push(dst.depth())
        .push_cap(untyped)
        .push_cap(dst.root());
    m
}

/// Request for seL4_ARM_ASIDPool_Assign: cap `(vspace)`.
pub fn asid_pool_assign(vspace: Cap<VSpace>) -> Message {
    let mut m = Message::invocation(L::ArmAsidPoolAssign);
    m.push_cap(vspace);
    m
}

impl Cap<PageTable> {
    /// seL4_ARM_PageTable_Map: installs this table in `vspace` to cover `vaddr`.
    pub fn page_table_map(self, vspace: Cap<VSpace>, vaddr: u64, attr: VmAttributes) -> Result<()> {
        invoke_unit(self, &page_table_map(vspace, vaddr, attr))
    }

    /// seL4_ARM_PageTable_Unmap.
    pub fn page_table_unmap(self) -> Result<()> {
        invoke_unit(self, &page_table_unmap())
    }
}

impl<F: FrameType> Cap<F> {
    /// seL4_ARM_Page_Map: maps this frame at `vaddr` in `vspace` with `rights` (Read and
    /// Write count) and `attr`.
    pub fn frame_map(
        self,
        vspace: Cap<VSpace>,
        vaddr: u64,
        rights: CapRights,
        attr: VmAttributes,
    ) -> Result<()> {
        invoke_unit(self, &frame_map(vspace, vaddr, rights, attr))
    }

    /// seL4_ARM_Page_Unmap.
    pub fn frame_unmap(self) -> Result<()> {
        invoke_unit(self, &frame_unmap())
    }

    /// seL4_ARM_Page_GetAddress: the frame's physical address.
    pub fn frame_get_address(self) -> Result<u64> {
        Ok(invoke(self, &frame_get_address())?.get(0).unwrap_or(0))
    }

    /// seL4_ARM_Page_Clean_Data: cleans the data cache for bytes `start..end` of the frame.
    pub fn frame_clean_data(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &frame_clean_data(start, end))
    }

    /// seL4_ARM_Page_Invalidate_Data: invalidates the data cache for `start..end`.
    pub fn frame_invalidate_data(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &frame_invalidate_data(start, end))
    }

    /// seL4_ARM_Page_CleanInvalidate_Data: cleans and invalidates `start..end`.
    pub fn frame_clean_invalidate_data(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &frame_clean_invalidate_data(start, end))
    }

    /// seL4_ARM_Page_Unify_Instruction: makes `start..end` coherent for instruction fetch.
    pub fn frame_unify_instruction(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &frame_unify_instruction(start, end))
    }
}

impl Cap<VSpace> {
    /// seL4_ARM_VSpace_Clean_Data: cleans the data cache for virtual `start..end`.
    pub fn vspace_clean_data(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &vspace_clean_data(start, end))
    }

    /// seL4_ARM_VSpace_Invalidate_Data: invalidates the data cache for `start..end`.
    pub fn vspace_invalidate_data(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &vspace_invalidate_data(start, end))
    }

    /// seL4_ARM_VSpace_CleanInvalidate_Data: cleans and invalidates `start..end`.
    pub fn vspace_clean_invalidate_data(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &vspace_clean_invalidate_data(start, end))
    }

    /// seL4_ARM_VSpace_Unify_Instruction: makes `start..end` coherent for instruction
    /// fetch.
    pub fn vspace_unify_instruction(self, start: u64, end: u64) -> Result<()> {
        invoke_unit(self, &vspace_unify_instruction(start, end))
    }
}

impl Cap<AsidControl> {
    /// seL4_ARM_ASIDControl_MakePool: turns the 4 KiB `untyped` into an ASID pool whose cap
    /// goes in the slot `dst`.
    pub fn asid_control_make_pool(self, untyped: Cap<Untyped>, dst: &AbsoluteCPtr) -> Result<()> {
        invoke_unit(self, &asid_control_make_pool(untyped, dst))
    }
}

impl Cap<AsidPool> {
    /// seL4_ARM_ASIDPool_Assign: gives `vspace` an ASID from this pool.
    pub fn asid_pool_assign(self, vspace: Cap<VSpace>) -> Result<()> {
        invoke_unit(self, &asid_pool_assign(vspace))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cap::cap_type::CNode;
    use crate::invocation::test_util::check;

    const VS: Cap<VSpace> = Cap::from_cptr(3);

    #[test]
    fn page_table() {
        check(
            &page_table_map(VS, 0x4000_0000, VmAttributes::DEFAULT),
            L::ArmPageTableMap,
            &[0x4000_0000, 3],
            &[3],
        );
        check(&page_table_unmap(), L::ArmPageTableUnmap, &[], &[]);
    }

    #[test]
    fn frames() {
        check(
            &frame_map(
                VS,
                0x10_0000,
                CapRights::READ_WRITE,
                VmAttributes::DEFAULT | VmAttributes::EXECUTE_NEVER,
            ),
            L::ArmPageMap,
            &[0x10_0000, 0b11, 7],
            &[3],
        );
        check(&frame_unmap(), L::ArmPageUnmap, &[], &[]);
        check(&frame_get_address(), L::ArmPageGetAddress, &[], &[]);
        check(&frame_clean_data(0, 64), L::ArmPageCleanData, &[0, 64], &[]);
        check(
            &frame_invalidate_data(8, 16),
            L::ArmPageInvalidateData,
            &[8, 16],
            &[],
        );
        check(
            &frame_clean_invalidate_data(1, 2),
            L::ArmPageCleanInvalidateData,
            &[1, 2],
            &[],
        );
        check(
            &frame_unify_instruction(0, 4096),
            L::ArmPageUnifyInstruction,
            &[0, 4096],
            &[],
        );
    }

    #[test]
    fn vspace_cache_ops() {
        check(
            &vspace_clean_data(0x1000, 0x2000),
            L::ArmVSpaceCleanData,
            &[0x1000, 0x2000],
            &[],
        );
        check(
            &vspace_invalidate_data(1, 2),
            L::ArmVSpaceInvalidateData,
            &[1, 2],
            &[],
        );
        check(
            &vspace_clean_invalidate_data(3, 4),
            L::ArmVSpaceCleanInvalidateData,
            &[3, 4],
            &[],
        );
        check(
            &vspace_unify_instruction(5, 6),
            L::ArmVSpaceUnifyInstruction,
            &[5, 6],
            &[],
        );
    }

    #[test]
    fn asids() {
        let dst = Cap::<CNode>::from_cptr(2).relative_bits(0x50, 64);
        check(
            &asid_control_make_pool(Cap::from_cptr(0x100), &dst),
            L::ArmAsidControlMakePool,
            &[0x50, 64],
            &[0x100, 2],
        );
        check(&asid_pool_assign(VS), L::ArmAsidPoolAssign, &[], &[3]);
    }
}
