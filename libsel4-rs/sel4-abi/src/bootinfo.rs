//! The BootInfo frame (`seL4_BootInfo`) the kernel hands the root task, and the extra
//! bootinfo chunks that may follow it.
//!
//! The root task starts with `x0` = the BootInfo's virtual address. If `extra_len` is not 0,
//! extra chunks start `2^BOOTINFO_FRAME_BITS` bytes after it, each opening with a
//! [`BootInfoHeader`].

use crate::object::PAGE_BITS;

/// Entries in [`BootInfo::untyped_list`] (`CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS`, default 230).
pub const MAX_NUM_BOOTINFO_UNTYPED_CAPS: usize = 230;

/// The root CNode has `2^12` slots (`CONFIG_ROOT_CNODE_SIZE_BITS`, default 12).
pub const ROOT_CNODE_SIZE_BITS_DEFAULT: u64 = 12;

/// The BootInfo frame is one 4 KiB page (`seL4_BootInfoFrameBits`).
pub const BOOTINFO_FRAME_BITS: u64 = PAGE_BITS;

/// Extra-bootinfo chunk id: padding, to be skipped (`SEL4_BOOTINFO_HEADER_PADDING`).
pub const BOOTINFO_HEADER_PADDING: u64 = 0;
/// Extra-bootinfo chunk id: x86 VBE information (`SEL4_BOOTINFO_HEADER_X86_VBE`).
pub const BOOTINFO_HEADER_X86_VBE: u64 = 1;
/// Extra-bootinfo chunk id: x86 multiboot memory map (`SEL4_BOOTINFO_HEADER_X86_MBMMAP`).
pub const BOOTINFO_HEADER_X86_MBMMAP: u64 = 2;
/// Extra-bootinfo chunk id: x86 ACPI RSDP (`SEL4_BOOTINFO_HEADER_X86_ACPI_RSDP`).
pub const BOOTINFO_HEADER_X86_ACPI_RSDP: u64 = 3;
/// Extra-bootinfo chunk id: x86 framebuffer (`SEL4_BOOTINFO_HEADER_X86_FRAMEBUFFER`).
pub const BOOTINFO_HEADER_X86_FRAMEBUFFER: u64 = 4;
/// Extra-bootinfo chunk id: x86 TSC frequency in MHz (`SEL4_BOOTINFO_HEADER_X86_TSC_FREQ`).
pub const BOOTINFO_HEADER_X86_TSC_FREQ: u64 = 5;
/// Extra-bootinfo chunk id: the flattened device tree (`SEL4_BOOTINFO_HEADER_FDT`).
pub const BOOTINFO_HEADER_FDT: u64 = 6;
/// Number of extra-bootinfo chunk ids (`SEL4_BOOTINFO_HEADER_NUM`).
pub const BOOTINFO_HEADER_NUM: u64 = 7;

/// A range of root-CNode slots `start..end`, end exclusive (`seL4_SlotRegion`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SlotRegion {
    /// First slot of the region.
    pub start: u64,
    /// First slot after the region.
    pub end: u64,
}

impl SlotRegion {
    /// An empty region at 0.
    pub const EMPTY: Self = Self::new(0, 0);

    /// The slots `start..end`.
    pub const fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    /// Number of slots in the region (0 if `end <= start`).
    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the region has no slots.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One untyped cap handed to the root task (`seL4_UntypedDesc`), 16 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UntypedDesc {
    /// `paddr`: physical address of the untyped's memory.
    pub paddr: u64,
    /// `sizeBits`: the untyped is `2^size_bits` bytes.
    pub size_bits: u8,
    /// `isDevice`: 1 for device memory (not zeroed, only frames or untyped can be made).
    pub is_device: u8,
    /// `padding`: zero.
    pub padding: [u8; 6],
}

impl UntypedDesc {
    /// An all-zero descriptor.
    pub const ZERO: Self = Self {
        paddr: 0,
        size_bits: 0,
        is_device: 0,
        padding: [0; 6],
    };
}

/// The BootInfo page (`seL4_BootInfo`), fields in seL4's order (non-MCS: no `schedcontrol`).
#[repr(C)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BootInfo {
    /// `extraLen`: bytes of extra bootinfo after this frame.
    pub extra_len: u64,
    /// `nodeID`: this node's id (0 on a uniprocessor).
    pub node_id: u64,
    /// `numNodes`: number of nodes (1 on a uniprocessor).
    pub num_nodes: u64,
    /// `numIOPTLevels`: IOMMU page-table levels (0 without an IOMMU).
    pub num_io_pt_levels: u64,
    /// `ipcBuffer`: the root task's IPC buffer (a user virtual address).
    pub ipc_buffer: u64,
    /// `empty`: slots holding null caps, free for the root task.
    pub empty: SlotRegion,
    /// `sharedFrames`: frames shared between nodes.
    pub shared_frames: SlotRegion,
    /// `userImageFrames`: frame caps of the root task's image.
    pub user_image_frames: SlotRegion,
    /// `userImagePaging`: page-table caps of the root task's image.
    pub user_image_paging: SlotRegion,
    /// `ioSpaceCaps`: IOSpace caps (ARM SMMU).
    pub io_space_caps: SlotRegion,
    /// `extraBIPages`: frame caps backing the extra bootinfo.
    pub extra_bi_pages: SlotRegion,
    /// `initThreadCNodeSizeBits`: the root CNode has `2^n` slots.
    pub init_thread_cnode_size_bits: u64,
    /// `initThreadDomain`: the root task's scheduling domain.
    pub init_thread_domain: u64,
    /// `untyped`: the untyped caps; entry `i` of `untyped_list` describes slot `start + i`.
    pub untyped: SlotRegion,
    /// `untypedList`: one descriptor per untyped cap.
    pub untyped_list: [UntypedDesc; MAX_NUM_BOOTINFO_UNTYPED_CAPS],
}

const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<SlotRegion>() == 16);
    assert!(size_of::<UntypedDesc>() == 16);
    assert!(offset_of!(UntypedDesc, paddr) == 0);
    assert!(offset_of!(UntypedDesc, size_bits) == 8);
    assert!(offset_of!(UntypedDesc, is_device) == 9);
    assert!(offset_of!(UntypedDesc, padding) == 10);
    assert!(offset_of!(BootInfo, extra_len) == 0);
    assert!(offset_of!(BootInfo, node_id) == 8);
    assert!(offset_of!(BootInfo, num_nodes) == 16);
    assert!(offset_of!(BootInfo, num_io_pt_levels) == 24);
    assert!(offset_of!(BootInfo, ipc_buffer) == 32);
    assert!(offset_of!(BootInfo, empty) == 40);
    assert!(offset_of!(BootInfo, shared_frames) == 56);
    assert!(offset_of!(BootInfo, user_image_frames) == 72);
    assert!(offset_of!(BootInfo, user_image_paging) == 88);
    assert!(offset_of!(BootInfo, io_space_caps) == 104);
    assert!(offset_of!(BootInfo, extra_bi_pages) == 120);
    assert!(offset_of!(BootInfo, init_thread_cnode_size_bits) == 136);
    assert!(offset_of!(BootInfo, init_thread_domain) == 144);
    assert!(offset_of!(BootInfo, untyped) == 152);
    assert!(offset_of!(BootInfo, untyped_list) == 168);
    assert!(size_of::<BootInfo>() == 168 + 16 * MAX_NUM_BOOTINFO_UNTYPED_CAPS);
    assert!(size_of::<BootInfo>() <= 1 << BOOTINFO_FRAME_BITS);
    assert!(size_of::<BootInfoHeader>() == 16);
};

impl BootInfo {
    /// An all-zero BootInfo.
    pub const fn new() -> Self {
        Self {
            extra_len: 0,
            node_id: 0,
            num_nodes: 0,
            num_io_pt_levels: 0,
            ipc_buffer: 0,
            empty: SlotRegion::EMPTY,
            shared_frames: SlotRegion::EMPTY,
            user_image_frames: SlotRegion::EMPTY,
            user_image_paging: SlotRegion::EMPTY,
            io_space_caps: SlotRegion::EMPTY,
            extra_bi_pages: SlotRegion::EMPTY,
            init_thread_cnode_size_bits: 0,
            init_thread_domain: 0,
            untyped: SlotRegion::EMPTY,
            untyped_list: [UntypedDesc::ZERO; MAX_NUM_BOOTINFO_UNTYPED_CAPS],
        }
    }

    /// The descriptors of the untyped caps in [`Self::untyped`] (at most the list's length).
    pub fn untyped_descs(&self) -> &[UntypedDesc] {
        let n = usize::try_from(self.untyped.len()).unwrap_or(usize::MAX);
        &self.untyped_list[..n.min(MAX_NUM_BOOTINFO_UNTYPED_CAPS)]
    }
}

impl Default for BootInfo {
    fn default() -> Self {
        Self::new()
    }
}

/// The header of an extra-bootinfo chunk (`seL4_BootInfoHeader`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BootInfoHeader {
    /// What the chunk holds (`BOOTINFO_HEADER_*`).
    pub id: u64,
    /// Length of the chunk in bytes, this header included.
    pub len: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn constants_are_pinned() {
        assert_eq!(MAX_NUM_BOOTINFO_UNTYPED_CAPS, 230);
        assert_eq!(ROOT_CNODE_SIZE_BITS_DEFAULT, 12);
        assert_eq!(BOOTINFO_FRAME_BITS, 12);
        assert_eq!(BOOTINFO_HEADER_PADDING, 0);
        assert_eq!(BOOTINFO_HEADER_X86_VBE, 1);
        assert_eq!(BOOTINFO_HEADER_X86_MBMMAP, 2);
        assert_eq!(BOOTINFO_HEADER_X86_ACPI_RSDP, 3);
        assert_eq!(BOOTINFO_HEADER_X86_FRAMEBUFFER, 4);
        assert_eq!(BOOTINFO_HEADER_X86_TSC_FREQ, 5);
        assert_eq!(BOOTINFO_HEADER_FDT, 6);
        assert_eq!(BOOTINFO_HEADER_NUM, 7);
    }

    #[test]
    fn layout_is_pinned() {
        assert_eq!(size_of::<SlotRegion>(), 16);
        assert_eq!(offset_of!(SlotRegion, start), 0);
        assert_eq!(offset_of!(SlotRegion, end), 8);
        assert_eq!(size_of::<UntypedDesc>(), 16);
        assert_eq!(offset_of!(UntypedDesc, paddr), 0);
        assert_eq!(offset_of!(UntypedDesc, size_bits), 8);
        assert_eq!(offset_of!(UntypedDesc, is_device), 9);
        assert_eq!(offset_of!(UntypedDesc, padding), 10);
        let offsets = [
            offset_of!(BootInfo, extra_len),
            offset_of!(BootInfo, node_id),
            offset_of!(BootInfo, num_nodes),
            offset_of!(BootInfo, num_io_pt_levels),
            offset_of!(BootInfo, ipc_buffer),
            offset_of!(BootInfo, empty),
            offset_of!(BootInfo, shared_frames),
            offset_of!(BootInfo, user_image_frames),
            offset_of!(BootInfo, user_image_paging),
            offset_of!(BootInfo, io_space_caps),
            offset_of!(BootInfo, extra_bi_pages),
            offset_of!(BootInfo, init_thread_cnode_size_bits),
            offset_of!(BootInfo, init_thread_domain),
            offset_of!(BootInfo, untyped),
            offset_of!(BootInfo, untyped_list),
        ];
        assert_eq!(
            offsets,
            [
                0, 8, 16, 24, 32, 40, 56, 72, 88, 104, 120, 136, 144, 152, 168
            ]
        );
        assert_eq!(size_of::<BootInfo>(), 3848);
        assert!(size_of::<BootInfo>() <= 4096);
        assert_eq!(size_of::<BootInfoHeader>(), 16);
        assert_eq!(offset_of!(BootInfoHeader, id), 0);
        assert_eq!(offset_of!(BootInfoHeader, len), 8);
    }

    #[test]
    fn slot_region_len() {
        assert_eq!(SlotRegion::new(16, 4096).len(), 4080);
        assert_eq!(SlotRegion::new(5, 5).len(), 0);
        assert!(SlotRegion::new(5, 5).is_empty());
        assert_eq!(SlotRegion::new(9, 3).len(), 0);
        assert!(!SlotRegion::new(0, 1).is_empty());
    }

    #[test]
    fn new_is_zeroed_and_untyped_descs_follow_the_region() {
        let mut bi = BootInfo::new();
        assert_eq!(bi, BootInfo::default());
        assert!(bi.untyped_list.iter().all(|d| *d == UntypedDesc::ZERO));
        assert!(bi.untyped_descs().is_empty());
        bi.untyped = SlotRegion::new(100, 103);
        bi.untyped_list[2].size_bits = 20;
        assert_eq!(bi.untyped_descs().len(), 3);
        assert_eq!(bi.untyped_descs()[2].size_bits, 20);
        bi.untyped = SlotRegion::new(0, 10_000);
        assert_eq!(bi.untyped_descs().len(), MAX_NUM_BOOTINFO_UNTYPED_CAPS);
    }
}
