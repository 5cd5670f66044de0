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

/// The next free slot of the root CNode, handing out consecutive slots.
struct SlotCursor {
    cnode: u64,
    next: u64,
    end: u64,
}

impl SlotCursor {
    fn take(&mut self) -> Option<Slot> {
        (self.next < self.end).then(|| {
            self.next += 1;
            Slot::of(self.cnode, self.next - 1)
        })
    }
}

/// Builds the initial thread. On success the root task is ready to run.
pub fn init<M: Machine>(
    ks: &mut KernelState,
    m: &mut M,
    p: &BootParams,
) -> Result<BootResult, BootError> {
    // The ELF sits in RAM; it may extend to the end of the RAM bank, no further.
    let bank = p
        .ram
        .iter()
        .find(|r| r.start <= p.root_elf && p.root_elf < r.end);
    let bank = *bank.ok_or(BootError::ElfNotInRam(p.root_elf))?;
    let image =
        elf::parse(m.bytes(p.root_elf, bank.end - p.root_elf)).map_err(BootError::BadElf)?;

    // Virtual layout, as seL4: image, then IPC buffer, BootInfo, extra BootInfo.
    let ipc_vptr = image.v_end;
    let bi_vptr = ipc_vptr + PAGE;
    let extra_vptr = bi_vptr + PAGE;
    let extra_len = 16 + p.dtb.len();
    let extra_bits = (64 - (extra_len - 1).leading_zeros() as u64).max(PAGE_BITS);
    let it_end = extra_vptr + (1 << extra_bits);
    if it_end > sel4_abi::USER_TOP + 1 {
        return Err(BootError::ImageTooHigh(it_end));
    }

    // Free memory: RAM less the kernel, the DTB and the ELF file (both copied later).
    let elf_region = Region::sized(p.root_elf, image.file_len).page_aligned_out(PAGE_BITS);
    let dtb_region = p.dtb.page_aligned_out(PAGE_BITS);
    let mut free = p.ram;
    for r in [p.kernel_image, dtb_region, elf_region] {
        free.remove(r)?;
    }
    let image_pages = (image.v_end - image.v_start) >> PAGE_BITS;
    let n_paging = rootserver::paging_needed(image.v_start, it_end);
    let needs = rootserver::Needs {
        cnode_bits: config::ROOT_CNODE_SIZE_BITS,
        extra_bi_bits: extra_bits,
        paging: n_paging,
        image_pages,
    };
    let layout = rootserver::plan(&free, needs).map_err(BootError::NotEnoughMemory)?;
    let slots = config::ROOT_CNODE_SLOTS;
    let fixed_caps =
        init_cap::NUM_INITIAL_CAPS + n_paging + (1 << (extra_bits - PAGE_BITS)) + image_pages;
    if fixed_caps > slots {
        return Err(BootError::CNodeTooSmall {
            needed: fixed_caps,
            slots,
        });
    }
    free.remove(layout.region)?;
    m.zero(layout.region.start, layout.region.len());

    let cnode = layout.cnode;
    let root = |i: u64| Slot::of(cnode, i);
    let mut cursor = SlotCursor {
        cnode,
        next: init_cap::NUM_INITIAL_CAPS,
        end: slots,
    };
    let cnode_cap = Cap::CNode {
        ptr: cnode,
        radix: config::ROOT_CNODE_SIZE_BITS as u8,
        guard_size: (64 - config::ROOT_CNODE_SIZE_BITS) as u8,
        guard: 0,
    };
    root(init_cap::INIT_THREAD_CNODE).write_original(m, cnode_cap);
    root(init_cap::DOMAIN).write_original(m, Cap::Domain);
    root(init_cap::IRQ_CONTROL).write_original(m, Cap::IrqControl);

    // The address space: the VSpace root, then every table level below it, in seL4's
    // order (all level-1 tables, then level 2, then level 3), caps in userImagePaging.
    let vspace = layout.vspace;
    root(init_cap::INIT_THREAD_VSPACE).write_original(
        m,
        Cap::VSpace {
            base: vspace,
            asid: Some(IT_ASID),
        },
    );
    let paging_start = cursor.next;
    let mut next_table = layout.paging;
    for level in 1..=3u32 {
        let bits = entry_bits(level - 1) as u64;
        let mut va = image.v_start & !((1 << bits) - 1);
        while va < it_end {
            install_table_or_panic(m, vspace, va, level, next_table);
            let mapping = Some(Mapping {
                asid: IT_ASID,
                vaddr: va,
            });
            cursor.take().unwrap().write_original(
                m,
                Cap::PageTable {
                    base: next_table,
                    mapping,
                },
            );
            next_table += PAGE;
            va += 1 << bits;
        }
    }
    let paging_region = SlotRegion {
        start: paging_start,
        end: cursor.next,
    };

    // Each frame is mapped and gets a cap recording the mapping.
    let map_frame = |m: &mut M, slot: Slot, pa: u64, va: u64, executable: bool| {
        let desc = page_desc(pa, VmRights::ReadWrite, executable, true);
        if vspace::map_page(m, vspace, va, desc).is_err() {
            unreachable!("boot page tables cover the initial thread's range");
        }
        let mapping = Some(Mapping {
            asid: IT_ASID,
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
    };
    map_frame(
        m,
        root(init_cap::BOOT_INFO_FRAME),
        layout.boot_info,
        bi_vptr,
        false,
    );

    // Extra BootInfo: one FDT chunk holding a copy of the device tree, then padding.
    let extra_start = cursor.next;
    for i in 0..(1u64 << (extra_bits - PAGE_BITS)) {
        let slot = cursor.take().unwrap();
        map_frame(
            m,
            slot,
            layout.extra_bi + i * PAGE,
            extra_vptr + i * PAGE,
            false,
        );
    }
    let extra_region = SlotRegion {
        start: extra_start,
        end: cursor.next,
    };
    m.write_word(layout.extra_bi, sel4_abi::bootinfo::BOOTINFO_HEADER_FDT);
    m.write_word(layout.extra_bi + 8, extra_len);
    m.copy(layout.extra_bi + 16, p.dtb.start, p.dtb.len());
    // The copy is the packed blob: its header's totalsize says so.
    for (i, b) in (p.dtb.len() as u32).to_be_bytes().iter().enumerate() {
        m.write_byte(layout.extra_bi + 16 + 4 + i as u64, *b);
    }
    let padding = (1u64 << extra_bits) - extra_len;
    let pad_at = (layout.extra_bi + extra_len + 7) & !7;
    if padding >= 24 {
        m.write_word(pad_at, sel4_abi::bootinfo::BOOTINFO_HEADER_PADDING);
        m.write_word(pad_at + 8, layout.extra_bi + (1 << extra_bits) - pad_at);
    }

    map_frame(
        m,
        root(init_cap::INIT_THREAD_IPC_BUFFER),
        layout.ipc_buffer,
        ipc_vptr,
        false,
    );

    // The user image: contiguous frames, the segments copied in, the rest left zero.
    let frames_start = cursor.next;
    for i in 0..image_pages {
        let slot = cursor.take().unwrap();
        map_frame(
            m,
            slot,
            layout.image + i * PAGE,
            image.v_start + i * PAGE,
            true,
        );
    }
    let frames_region = SlotRegion {
        start: frames_start,
        end: cursor.next,
    };
    for s in image.segments() {
        m.copy(
            layout.image + (s.vaddr - image.v_start),
            p.root_elf + s.offset,
            s.filesz,
        );
    }

    // The ASID pool holding the root VSpace's ASID, and the authority to make more pools.
    root(init_cap::INIT_THREAD_ASID_POOL).write_original(
        m,
        Cap::AsidPool {
            base: layout.asid_pool,
            asid_base: 0,
        },
    );
    vspace::assign_asid(m, layout.asid_pool, IT_ASID, vspace);
    ks.asid_table[0] = layout.asid_pool;
    root(init_cap::ASID_CONTROL).write_original(m, Cap::AsidControl);

    // The initial thread: its CSpace, VSpace and IPC buffer caps derived from the root
    // CNode's, entry point and BootInfo pointer in its registers.
    let tcb = Tcb(layout.tcb);
    root(init_cap::INIT_THREAD_TCB).write_original(m, Cap::Thread { tcb: tcb.0 });
    tcb.slot(tcb_slot::CTABLE)
        .insert_derived(m, cnode_cap, root(init_cap::INIT_THREAD_CNODE));
    let vspace_cap = root(init_cap::INIT_THREAD_VSPACE).cap(m);
    tcb.slot(tcb_slot::VTABLE)
        .insert_derived(m, vspace_cap, root(init_cap::INIT_THREAD_VSPACE));
    let ipc_cap = root(init_cap::INIT_THREAD_IPC_BUFFER).cap(m);
    tcb.slot(tcb_slot::BUFFER)
        .insert_derived(m, ipc_cap, root(init_cap::INIT_THREAD_IPC_BUFFER));
    setup_reply_master(m, tcb);
    // Only the resume pc is set (seL4's create_initial_thread: setNextPC); FaultIP stays
    // 0 until the first kernel entry writes it.
    tcb.set(m, field::TIME_SLICE, sel4_abi::config::TIME_SLICE);
    tcb.set_reg(m, reg::PC, image.entry);
    tcb.set_reg(m, reg::X0, bi_vptr);
    tcb.set_reg(m, reg::SPSR, PSTATE_USER);
    tcb.set_ipc_buffer(m, ipc_vptr);
    // Each thread finds its IPC buffer in TPIDRRO_EL0 (user-readable, kernel-written).
    tcb.set_reg(m, reg::TPIDRRO_EL0, ipc_vptr);
    tcb.set_priority(m, config::ROOT_TASK_PRIORITY);
    tcb.set_mcp(m, config::ROOT_TASK_PRIORITY);
    tcb.set_state(m, ThreadState::Running);
    tcb.set_name(m, b"rootserver");
    tcb_debug_append(ks, m, tcb);
    ks.current = Some(tcb);

    // The DTB and ELF have been copied: their memory is free again, and zeroed, because
    // memory above an untyped's watermark is kept zero (new objects rely on it).
    for r in [dtb_region, elf_region] {
        for piece in p.ram.iter().filter(|b| b.overlaps(&r)) {
            let (s, e) = (r.start.max(piece.start), r.end.min(piece.end));
            if !Region::new(s, e).overlaps(&p.kernel_image) {
                m.zero(s, e - s);
            }
        }
        free.add(r)?;
    }
    for r in [p.kernel_image, layout.region] {
        free.remove(r)?;
    }

    // Untypeds: device memory first (everything below the device top that is neither RAM
    // nor a kernel device), then free RAM, as seL4's create_untypeds.
    let mut devices = RegionList::new();
    devices.add(Region::new(0, config::PADDR_USER_DEVICE_TOP))?;
    for r in p.ram.iter().chain(p.kernel_devices.iter()) {
        devices.remove(r.page_aligned_out(PAGE_BITS))?;
    }
    let bi = layout.boot_info;
    let untyped_start = cursor.next;
    let (mut count, mut ram_bytes, mut device_bytes, mut dropped) = (0u64, 0u64, 0u64, 0u64);
    let sources = devices
        .iter()
        .map(|r| (r, true))
        .chain(free.iter().map(|r| (r, false)));
    for (r, is_device) in sources {
        for (paddr, bits) in
            regions::untyped_blocks(*r, sel4_abi::MIN_UNTYPED_BITS, sel4_abi::MAX_UNTYPED_BITS)
        {
            let slot = if count < sel4_abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS as u64 {
                cursor.take()
            } else {
                None
            };
            let Some(slot) = slot else {
                dropped += 1;
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
                + count * size_of::<UntypedDesc>() as u64;
            m.write_word(desc, paddr);
            m.write_word(desc + 8, bits | (is_device as u64) << 8);
            count += 1;
            if is_device {
                device_bytes += 1 << bits;
            } else {
                ram_bytes += 1 << bits;
            }
        }
    }
    let untyped_region = SlotRegion {
        start: untyped_start,
        end: cursor.next,
    };

    // The BootInfo frame's words.
    let w = |m: &mut M, off: usize, v: u64| m.write_word(bi + off as u64, v);
    let region = |m: &mut M, off: usize, r: SlotRegion| {
        m.write_word(bi + off as u64, r.start);
        m.write_word(bi + off as u64 + 8, r.end);
    };
    w(m, offset_of!(BootInfo, extra_len), extra_len);
    w(m, offset_of!(BootInfo, node_id), 0);
    w(m, offset_of!(BootInfo, num_nodes), 1);
    w(m, offset_of!(BootInfo, num_io_pt_levels), 0);
    w(m, offset_of!(BootInfo, ipc_buffer), ipc_vptr);
    region(
        m,
        offset_of!(BootInfo, empty),
        SlotRegion {
            start: cursor.next,
            end: slots,
        },
    );
    region(
        m,
        offset_of!(BootInfo, shared_frames),
        SlotRegion { start: 0, end: 0 },
    );
    region(m, offset_of!(BootInfo, user_image_frames), frames_region);
    region(m, offset_of!(BootInfo, user_image_paging), paging_region);
    region(
        m,
        offset_of!(BootInfo, io_space_caps),
        SlotRegion { start: 0, end: 0 },
    );
    region(m, offset_of!(BootInfo, extra_bi_pages), extra_region);
    w(
        m,
        offset_of!(BootInfo, init_thread_cnode_size_bits),
        config::ROOT_CNODE_SIZE_BITS,
    );
    w(m, offset_of!(BootInfo, init_thread_domain), 0);
    region(m, offset_of!(BootInfo, untyped), untyped_region);

    m.sync_page_tables();
    Ok(BootResult {
        tcb,
        vspace,
        layout,
        image: Region::new(image.v_start, image.v_end),
        untyped_count: count,
        ram_bytes,
        device_bytes,
        untyped_dropped: dropped,
    })
}

fn install_table_or_panic(m: &mut impl Machine, vspace: u64, va: u64, level: u32, table: u64) {
    // Tables are installed level by level, so the parent always exists.
    if vspace::install_table(m, vspace, va, level, table).is_err() {
        unreachable!("parent table of level {level} at {va:#x} missing during boot");
    }
}

#[cfg(test)]
pub(crate) mod tests;
