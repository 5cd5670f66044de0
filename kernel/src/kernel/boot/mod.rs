//! Kernel boot, as seL4's try_init_kernel: from the machine's memory map and the root
//! task's ELF, build the initial thread with its CNode, VSpace, IPC buffer, BootInfo and the
//! untyped caps for all remaining memory. Portable: it reaches memory only through
//! [`Machine`], so it also runs on the host against a simulated machine.

pub mod dtb;
pub mod elf;
pub mod regions;
pub mod rootserver;

use super::thread::setup_reply_master;
use super::vspace;
use crate::config;
use crate::machine::Machine;
use crate::model::pte::{entry_bits, page_desc};
use crate::model::tcb::{field, reg, slot as tcb_slot, tcb_debug_append};
use crate::model::{Cap, FrameSize, KernelState, Mapping, Slot, Tcb, ThreadState, VmRights};
use core::fmt;
use core::mem::offset_of;
use regions::{Region, RegionList};
use sel4_abi::{BootInfo, SlotRegion, UntypedDesc, init_cap};

const PAGE_BITS: u64 = sel4_abi::PAGE_BITS;
const PAGE: u64 = 1 << PAGE_BITS;

pub use sel4_abi::config::IT_ASID;

/// The root task's ASID as mappings record it (seL4's IT_ASID, never 0).
const IT_MAPPING_ASID: core::num::NonZeroU16 = match core::num::NonZeroU16::new(IT_ASID) {
    Some(a) => a,
    None => panic!("IT_ASID is 0"),
};
use sel4_abi::registers::PSTATE_USER;

/// What the architecture layer found out about the machine.
#[derive(Clone, Copy, Debug)]
pub struct BootParams {
    /// RAM, from the device tree's memory nodes.
    pub ram: RegionList,
    /// Physical memory the kernel image occupies.
    pub kernel_image: Region,
    /// The device tree blob's used bytes (copied into the extra BootInfo, packed).
    pub dtb: Region,
    /// Physical address where the loader put the root task's ELF file.
    pub root_elf: u64,
    /// Device regions the kernel keeps for itself (never device untyped).
    pub kernel_devices: RegionList,
}

/// Why boot could not start the root task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// The ELF was not where the loader should have put it, or it is not valid.
    BadElf(elf::ElfError),
    /// The root task's ELF is not in RAM.
    ElfNotInRam(u64),
    /// The image, IPC buffer, BootInfo and extra BootInfo reach past user addresses.
    ImageTooHigh(u64),
    /// Not enough contiguous free memory for the root task's objects and image.
    NotEnoughMemory(rootserver::NoRoom),
    /// The root CNode cannot hold the caps of the initial thread's frames and tables.
    CNodeTooSmall { needed: u64, slots: u64 },
    /// Memory map with too many holes.
    TooManyRegions,
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BootError::BadElf(e) => write!(f, "{e}"),
            BootError::ElfNotInRam(pa) => write!(f, "ELF address {pa:#x} is not in RAM"),
            BootError::ImageTooHigh(end) => {
                write!(
                    f,
                    "image and boot frames end at {end:#x}, above the user address range"
                )
            }
            BootError::NotEnoughMemory(n) => write!(
                f,
                "image and initial objects need {} KiB of contiguous memory, the largest free region has {} KiB",
                n.needed / 1024,
                n.largest / 1024
            ),
            BootError::CNodeTooSmall { needed, slots } => write!(
                f,
                "the root CNode has {slots} slots but the initial caps need {needed}; build with a larger SEL4_ROOT_CNODE_SIZE_BITS"
            ),
            BootError::TooManyRegions => write!(f, "memory map has too many regions"),
        }
    }
}

impl From<regions::RegionError> for BootError {
    fn from(_: regions::RegionError) -> Self {
        BootError::TooManyRegions
    }
}

/// What boot built, for the architecture layer to enter user level and to log.
#[derive(Clone, Copy, Debug)]
pub struct BootResult {
    /// The root task's thread.
    pub tcb: Tcb,
    /// Its VSpace root table.
    pub vspace: u64,
    /// Physical addresses of the root server's objects.
    pub layout: rootserver::Layout,
    /// The image's virtual range.
    pub image: Region,
    /// Untyped caps given, and their total bytes (RAM, device).
    pub untyped_count: u64,
    /// Bytes of RAM in untypeds.
    pub ram_bytes: u64,
    /// Bytes of device memory in untypeds.
    pub device_bytes: u64,
    /// Untypeds left out because the BootInfo or the CNode was full.
    pub untyped_dropped: u64,
}

/// The root CNode while boot fills it: caps go to fixed slots, then to consecutive free
/// slots from the first after the initial caps.
struct RootCNode {
    cnode: u64,
    next: u64,
    end: u64,
}

impl RootCNode {
    /// Slot `i`.
    fn slot(&self, i: u64) -> Slot {
        Slot::of(self.cnode, i)
    }
    /// The next free slot, if any is left.
    fn take(&mut self) -> Option<Slot> {
        (self.next < self.end).then(|| {
            self.next += 1;
            Slot::of(self.cnode, self.next - 1)
        })
    }
    /// The slots taken since `start` (a BootInfo slot region).
    fn since(&self, start: u64) -> SlotRegion {
        SlotRegion {
            start,
            end: self.next,
        }
    }
}

/// Where the initial thread's frames go in its address space, as seL4: the image, then the
/// IPC buffer, the BootInfo and the extra BootInfo (the device tree, rounded up to pages).
#[derive(Clone, Copy, Debug)]
struct VirtualLayout {
    image: elf::UserImage,
    ipc_buffer: u64,
    boot_info: u64,
    extra: u64,
    /// Bytes of extra BootInfo used: one FDT chunk (a 16-byte header and the blob).
    extra_len: u64,
    /// log2 of the extra BootInfo's size.
    extra_bits: u64,
    /// The end of the whole range.
    end: u64,
}

impl VirtualLayout {
    fn of(image: elf::UserImage, dtb: Region) -> Result<VirtualLayout, BootError> {
        let ipc_buffer = image.v_end;
        let boot_info = ipc_buffer + PAGE;
        let extra = boot_info + PAGE;
        let extra_len = 16 + dtb.len();
        let extra_bits = (64 - (extra_len - 1).leading_zeros() as u64).max(PAGE_BITS);
        let end = extra + (1 << extra_bits);
        if end > sel4_abi::USER_TOP + 1 {
            return Err(BootError::ImageTooHigh(end));
        }
        Ok(VirtualLayout {
            image,
            ipc_buffer,
            boot_info,
            extra,
            extra_len,
            extra_bits,
            end,
        })
    }

    fn image_pages(&self) -> u64 {
        (self.image.v_end - self.image.v_start) >> PAGE_BITS
    }

    fn extra_pages(&self) -> u64 {
        1 << (self.extra_bits - PAGE_BITS)
    }
}

/// The slot regions boot fills, for the BootInfo.
#[derive(Clone, Copy, Debug)]
struct Regions {
    paging: SlotRegion,
    extra: SlotRegion,
    frames: SlotRegion,
}

/// The untypeds boot hands out, for the BootInfo and the log.
#[derive(Clone, Copy, Debug)]
struct Untypeds {
    region: SlotRegion,
    count: u64,
    ram_bytes: u64,
    device_bytes: u64,
    dropped: u64,
}

/// Builds the initial thread (seL4's try_init_kernel), step by step. On success the root
/// task is ready to run.
pub fn init<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    p: &BootParams,
) -> Result<BootResult, BootError> {
    let image = load_root_elf(m, p)?;
    let v = VirtualLayout::of(image, p.dtb)?;
    // Free memory: RAM less the kernel, the DTB and the ELF file (both copied later).
    let elf_region = Region::sized(p.root_elf, image.file_len).page_aligned_out(PAGE_BITS);
    let dtb_region = p.dtb.page_aligned_out(PAGE_BITS);
    let mut free = p.ram;
    for r in [p.kernel_image, dtb_region, elf_region] {
        free.remove(r)?;
    }
    let layout = create_rootserver_objects(m, &mut free, &v)?;
    let mut root = RootCNode {
        cnode: layout.cnode,
        next: init_cap::NUM_INITIAL_CAPS,
        end: config::ROOT_CNODE_SLOTS,
    };
    let cnode_cap = create_root_cnode(m, &root);
    let paging = create_it_address_space(m, &mut root, &layout, &v);
    let extra = create_boot_info_frames(m, &mut root, &layout, &v, p.dtb);
    let frames = create_image_frames(m, &mut root, &layout, &v, p.root_elf);
    create_it_asid_pool(ks, m, &root, &layout);
    let tcb = create_initial_thread(ks, m, &root, &layout, &v, cnode_cap);
    // The DTB and ELF have been copied: their memory is free again.
    release_boot_memory(m, p, &mut free, [dtb_region, elf_region])?;
    for r in [p.kernel_image, layout.region] {
        free.remove(r)?;
    }
    let untypeds = create_untypeds(m, &mut root, &free, p, layout.boot_info)?;
    let regions = Regions {
        paging,
        extra,
        frames,
    };
    write_boot_info(m, &root, &layout, &v, regions, untypeds.region);
    m.sync_page_tables();
    Ok(BootResult {
        tcb,
        vspace: layout.vspace,
        layout,
        image: Region::new(v.image.v_start, v.image.v_end),
        untyped_count: untypeds.count,
        ram_bytes: untypeds.ram_bytes,
        device_bytes: untypeds.device_bytes,
        untyped_dropped: untypeds.dropped,
    })
}

/// The root task's ELF sits in RAM; it may extend to the end of the RAM bank, no further.
fn load_root_elf<M: Machine>(m: &M, p: &BootParams) -> Result<elf::UserImage, BootError> {
    let bank = p
        .ram
        .iter()
        .find(|r| r.start <= p.root_elf && p.root_elf < r.end);
    let bank = *bank.ok_or(BootError::ElfNotInRam(p.root_elf))?;
    elf::parse(m.bytes(p.root_elf, bank.end - p.root_elf)).map_err(BootError::BadElf)
}

/// seL4's create_rootserver_objects: one zeroed block of free memory for the root task's
/// objects, once the root CNode is known to hold the caps of its frames and tables.
fn create_rootserver_objects<M: Machine>(
    m: &mut M,
    free: &mut RegionList,
    v: &VirtualLayout,
) -> Result<rootserver::Layout, BootError> {
    let n_paging = rootserver::paging_needed(v.image.v_start, v.end);
    let needs = rootserver::Needs {
        cnode_bits: config::ROOT_CNODE_SIZE_BITS,
        extra_bi_bits: v.extra_bits,
        paging: n_paging,
        image_pages: v.image_pages(),
    };
    let layout = rootserver::plan(free, needs).map_err(BootError::NotEnoughMemory)?;
    let slots = config::ROOT_CNODE_SLOTS;
    let fixed_caps = init_cap::NUM_INITIAL_CAPS + n_paging + v.extra_pages() + v.image_pages();
    if fixed_caps > slots {
        return Err(BootError::CNodeTooSmall {
            needed: fixed_caps,
            slots,
        });
    }
    free.remove(layout.region)?;
    m.zero(layout.region.start, layout.region.len());
    Ok(layout)
}

/// seL4's create_root_cnode and the caps without objects: the root CNode's cap to itself,
/// the domain cap and IRQControl. Returns the CNode cap.
fn create_root_cnode<M: Machine>(m: &mut M, root: &RootCNode) -> Cap {
    let cnode_cap = Cap::CNode {
        ptr: root.cnode,
        radix: config::ROOT_CNODE_SIZE_BITS as u8,
        guard_size: (64 - config::ROOT_CNODE_SIZE_BITS) as u8,
        guard: 0,
    };
    root.slot(init_cap::INIT_THREAD_CNODE)
        .write_original(m, cnode_cap);
    root.slot(init_cap::DOMAIN).write_original(m, Cap::Domain);
    root.slot(init_cap::IRQ_CONTROL)
        .write_original(m, Cap::IrqControl);
    cnode_cap
}

/// seL4's create_it_address_space: the VSpace root, then every table level below it, in
/// seL4's order (all level-1 tables, then level 2, then level 3), their caps in
/// userImagePaging.
fn create_it_address_space<M: Machine>(
    m: &mut M,
    root: &mut RootCNode,
    layout: &rootserver::Layout,
    v: &VirtualLayout,
) -> SlotRegion {
    let vspace = layout.vspace;
    root.slot(init_cap::INIT_THREAD_VSPACE).write_original(
        m,
        Cap::VSpace {
            base: vspace,
            asid: Some(IT_ASID),
        },
    );
    let start = root.next;
    let mut next_table = layout.paging;
    for level in 1..=3u32 {
        let bits = entry_bits(level - 1) as u64;
        let mut va = v.image.v_start & !((1 << bits) - 1);
        while va < v.end {
            // Tables are installed level by level, so the parent always exists.
            if vspace::install_table(m, vspace, va, level, next_table).is_err() {
                unreachable!("parent table of level {level} at {va:#x} missing during boot");
            }
            let mapping = Some(Mapping {
                asid: IT_MAPPING_ASID,
                vaddr: va,
            });
            let cap = Cap::PageTable {
                base: next_table,
                mapping,
            };
            // The CNode was checked to hold every paging cap.
            if let Some(slot) = root.take() {
                slot.write_original(m, cap);
            }
            next_table += PAGE;
            va += 1 << bits;
        }
    }
    root.since(start)
}

/// Maps the frame at `pa` at `va` in the root task's VSpace and writes its cap, recording
/// the mapping, into `slot` (seL4's create_mapped_it_frame_cap).
fn map_it_frame<M: Machine>(m: &mut M, vspace: u64, slot: Slot, pa: u64, va: u64, exec: bool) {
    let desc = page_desc(pa, VmRights::ReadWrite, exec, true);
    if vspace::map_page(m, vspace, va, desc).is_err() {
        unreachable!("boot page tables cover the initial thread's range");
    }
    let mapping = Some(Mapping {
        asid: IT_MAPPING_ASID,
        vaddr: va,
    });
    let cap = Cap::Frame {
        base: pa,
        size: FrameSize::Small,
        rights: VmRights::ReadWrite,
        is_device: false,
        mapping,
    };
    slot.write_original(m, cap);
}

/// The BootInfo frame, the extra BootInfo (one FDT chunk holding a copy of the device tree,
/// then padding; caps in extraBIPages) and the IPC buffer frame. Returns the extra
/// BootInfo's slot region.
fn create_boot_info_frames<M: Machine>(
    m: &mut M,
    root: &mut RootCNode,
    layout: &rootserver::Layout,
    v: &VirtualLayout,
    dtb: Region,
) -> SlotRegion {
    let vspace = layout.vspace;
    let bi_slot = root.slot(init_cap::BOOT_INFO_FRAME);
    map_it_frame(m, vspace, bi_slot, layout.boot_info, v.boot_info, false);
    let start = root.next;
    for i in 0..v.extra_pages() {
        if let Some(slot) = root.take() {
            map_it_frame(
                m,
                vspace,
                slot,
                layout.extra_bi + i * PAGE,
                v.extra + i * PAGE,
                false,
            );
        }
    }
    let extra = root.since(start);
    let bi = layout.extra_bi;
    m.write_word(bi, sel4_abi::bootinfo::BOOTINFO_HEADER_FDT);
    m.write_word(bi + 8, v.extra_len);
    m.copy(bi + 16, dtb.start, dtb.len());
    // The copy is the packed blob: its header's totalsize says so.
    for (i, b) in (dtb.len() as u32).to_be_bytes().iter().enumerate() {
        m.write_byte(bi + 16 + 4 + i as u64, *b);
    }
    let padding = (1u64 << v.extra_bits) - v.extra_len;
    let pad_at = (bi + v.extra_len + 7) & !7;
    if padding >= 24 {
        m.write_word(pad_at, sel4_abi::bootinfo::BOOTINFO_HEADER_PADDING);
        m.write_word(pad_at + 8, bi + (1 << v.extra_bits) - pad_at);
    }
    let ipc_slot = root.slot(init_cap::INIT_THREAD_IPC_BUFFER);
    map_it_frame(m, vspace, ipc_slot, layout.ipc_buffer, v.ipc_buffer, false);
    extra
}

/// The user image: contiguous frames mapped executable (caps in userImageFrames), the
/// segments copied in, the rest left zero.
fn create_image_frames<M: Machine>(
    m: &mut M,
    root: &mut RootCNode,
    layout: &rootserver::Layout,
    v: &VirtualLayout,
    elf_at: u64,
) -> SlotRegion {
    let start = root.next;
    for i in 0..v.image_pages() {
        if let Some(slot) = root.take() {
            let (pa, va) = (layout.image + i * PAGE, v.image.v_start + i * PAGE);
            map_it_frame(m, layout.vspace, slot, pa, va, true);
        }
    }
    for s in v.image.segments() {
        let dest = layout.image + (s.vaddr - v.image.v_start);
        m.copy(dest, elf_at + s.offset, s.filesz);
    }
    root.since(start)
}

/// seL4's create_it_asid_pool: the ASID pool holding the root VSpace's ASID, and the
/// authority to make more pools.
fn create_it_asid_pool<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    root: &RootCNode,
    layout: &rootserver::Layout,
) {
    root.slot(init_cap::INIT_THREAD_ASID_POOL).write_original(
        m,
        Cap::AsidPool {
            base: layout.asid_pool,
            asid_base: 0,
        },
    );
    vspace::assign_asid(m, layout.asid_pool, IT_ASID, layout.vspace);
    ks.asid_table[0] = layout.asid_pool;
    root.slot(init_cap::ASID_CONTROL)
        .write_original(m, Cap::AsidControl);
}

/// seL4's create_initial_thread: its CSpace, VSpace and IPC buffer caps derived from the
/// root CNode's, entry point and BootInfo pointer in its registers, priority and MCP the
/// highest, named "rootserver", current.
fn create_initial_thread<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    root: &RootCNode,
    layout: &rootserver::Layout,
    v: &VirtualLayout,
    cnode_cap: Cap,
) -> Tcb {
    let tcb = Tcb(layout.tcb);
    root.slot(init_cap::INIT_THREAD_TCB)
        .write_original(m, Cap::Thread { tcb: tcb.0 });
    let derive = |m: &mut M, dest: u64, src: u64, cap: Option<Cap>| {
        let src = root.slot(src);
        let cap = cap.unwrap_or_else(|| src.cap(m));
        tcb.slot(dest).insert_derived(m, cap, src);
    };
    derive(
        m,
        tcb_slot::CTABLE,
        init_cap::INIT_THREAD_CNODE,
        Some(cnode_cap),
    );
    derive(m, tcb_slot::VTABLE, init_cap::INIT_THREAD_VSPACE, None);
    derive(m, tcb_slot::BUFFER, init_cap::INIT_THREAD_IPC_BUFFER, None);
    setup_reply_master(m, tcb);
    // Only the resume pc is set (seL4's create_initial_thread: setNextPC); FaultIP stays
    // 0 until the first kernel entry writes it.
    tcb.set(m, field::TIME_SLICE, sel4_abi::config::TIME_SLICE);
    tcb.set_reg(m, reg::PC, v.image.entry);
    tcb.set_reg(m, reg::X0, v.boot_info);
    tcb.set_reg(m, reg::SPSR, PSTATE_USER);
    tcb.set_ipc_buffer(m, v.ipc_buffer);
    // Each thread finds its IPC buffer in TPIDRRO_EL0 (user-readable, kernel-written).
    tcb.set_reg(m, reg::TPIDRRO_EL0, v.ipc_buffer);
    tcb.set_priority(m, config::ROOT_TASK_PRIORITY);
    tcb.set_mcp(m, config::ROOT_TASK_PRIORITY);
    tcb.set_state(m, ThreadState::Running);
    tcb.set_name(m, b"rootserver");
    tcb_debug_append(ks, m, tcb);
    ks.current = Some(tcb);
    tcb
}

/// Memory boot used (the DTB, the ELF file) is free again, and zeroed, because memory
/// above an untyped's watermark is kept zero (new objects rely on it).
fn release_boot_memory<M: Machine>(
    m: &mut M,
    p: &BootParams,
    free: &mut RegionList,
    regions: [Region; 2],
) -> Result<(), BootError> {
    for r in regions {
        for piece in p.ram.iter().filter(|b| b.overlaps(&r)) {
            let (s, e) = (r.start.max(piece.start), r.end.min(piece.end));
            if !Region::new(s, e).overlaps(&p.kernel_image) {
                m.zero(s, e - s);
            }
        }
        free.add(r)?;
    }
    Ok(())
}

/// seL4's create_untypeds: device memory first (everything below the device top that is
/// neither RAM nor a kernel device), then free RAM, each region cut into the largest
/// naturally aligned blocks, as many as the BootInfo and the CNode hold.
fn create_untypeds<M: Machine>(
    m: &mut M,
    root: &mut RootCNode,
    free: &RegionList,
    p: &BootParams,
    bi: u64,
) -> Result<Untypeds, BootError> {
    let mut devices = RegionList::new();
    devices.add(Region::new(0, config::PADDR_USER_DEVICE_TOP))?;
    for r in p.ram.iter().chain(p.kernel_devices.iter()) {
        devices.remove(r.page_aligned_out(PAGE_BITS))?;
    }
    let start = root.next;
    let mut u = Untypeds {
        region: root.since(start),
        count: 0,
        ram_bytes: 0,
        device_bytes: 0,
        dropped: 0,
    };
    let sources = devices
        .iter()
        .map(|r| (r, true))
        .chain(free.iter().map(|r| (r, false)));
    for (r, is_device) in sources {
        let blocks =
            regions::untyped_blocks(*r, sel4_abi::MIN_UNTYPED_BITS, sel4_abi::MAX_UNTYPED_BITS);
        for (paddr, bits) in blocks {
            let slot = if u.count < sel4_abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS as u64 {
                root.take()
            } else {
                None
            };
            let Some(slot) = slot else {
                u.dropped += 1;
                continue;
            };
            let cap = Cap::Untyped {
                ptr: paddr,
                size_bits: bits as u8,
                is_device,
                free_index: 0,
            };
            slot.write_original(m, cap);
            let desc = bi
                + offset_of!(BootInfo, untyped_list) as u64
                + u.count * size_of::<UntypedDesc>() as u64;
            m.write_word(desc, paddr);
            m.write_word(desc + 8, bits | (is_device as u64) << 8);
            u.count += 1;
            if is_device {
                u.device_bytes += 1 << bits;
            } else {
                u.ram_bytes += 1 << bits;
            }
        }
    }
    u.region = root.since(start);
    Ok(u)
}

/// The BootInfo frame's words (seL4's populate_bi_frame and the regions boot filled).
fn write_boot_info<M: Machine>(
    m: &mut M,
    root: &RootCNode,
    layout: &rootserver::Layout,
    v: &VirtualLayout,
    r: Regions,
    untyped: SlotRegion,
) {
    let bi = layout.boot_info;
    let w = |m: &mut M, off: usize, v: u64| m.write_word(bi + off as u64, v);
    let region = |m: &mut M, off: usize, r: SlotRegion| {
        m.write_word(bi + off as u64, r.start);
        m.write_word(bi + off as u64 + 8, r.end);
    };
    let none = SlotRegion { start: 0, end: 0 };
    w(m, offset_of!(BootInfo, extra_len), v.extra_len);
    w(m, offset_of!(BootInfo, node_id), 0);
    w(m, offset_of!(BootInfo, num_nodes), 1);
    w(m, offset_of!(BootInfo, num_io_pt_levels), 0);
    w(m, offset_of!(BootInfo, ipc_buffer), v.ipc_buffer);
    let off_by_one = crate::mutant::on(crate::mutant::Mutant::BootInfoEmptyOffByOne);
    let empty = SlotRegion {
        start: root.next + u64::from(off_by_one),
        end: root.end,
    };
    region(m, offset_of!(BootInfo, empty), empty);
    region(m, offset_of!(BootInfo, shared_frames), none);
    region(m, offset_of!(BootInfo, user_image_frames), r.frames);
    region(m, offset_of!(BootInfo, user_image_paging), r.paging);
    region(m, offset_of!(BootInfo, io_space_caps), none);
    region(m, offset_of!(BootInfo, extra_bi_pages), r.extra);
    w(
        m,
        offset_of!(BootInfo, init_thread_cnode_size_bits),
        config::ROOT_CNODE_SIZE_BITS,
    );
    w(m, offset_of!(BootInfo, init_thread_domain), 0);
    region(m, offset_of!(BootInfo, untyped), untyped);
}

#[cfg(test)]
pub(crate) mod tests;
