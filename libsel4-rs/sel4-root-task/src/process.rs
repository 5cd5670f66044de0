//! Processes: a program loaded from an ELF image into a fresh VSpace, with a CSpace of
//! its own, a stack and an IPC buffer, started as a new thread.
//!
//! The new process's CNode has 2^`cnode_bits` slots and a guard that makes it resolve
//! full 64-bit cptrs, so a cptr in the process is just a slot index. Slot 1 holds its
//! TCB, slot 2 its CNode, slot 3 its VSpace (as in a root task); the caller's caps given
//! with [`ProcessConfig::caps`] follow from slot [`FIRST_FREE_SLOT`].

use crate::alloc::Allocator;
use crate::vspace::{map, new_vspace};
use elf::ElfBytes;
use elf::abi::{PF_W, PF_X, PT_LOAD};
use elf::endian::LittleEndian;
use sel4::cap_type::{CNode, SmallPage, Tcb, VSpace};
use sel4::{
    AbsoluteCPtr, CNodeCapData, Cap, CapRights, Error, ObjectType, UserContext, VmAttributes,
};

/// The first slot of a process's CNode that holds a cap given by its creator.
pub const FIRST_FREE_SLOT: u64 = 4;
/// Where a process's stack ends (it grows down from here).
pub const STACK_TOP: u64 = 0x7f00_0000_0000;
/// Where a process's IPC buffer is.
pub const IPC_BUFFER: u64 = STACK_TOP + 0x1000;
/// Where the creator maps a page while it fills it (an address it does not use).
const SCRATCH: u64 = 0x7e00_0000_0000;

/// How to start a process.
#[derive(Clone, Copy, Debug)]
pub struct ProcessConfig<'a> {
    /// The ELF file (a static AArch64 executable).
    pub elf: &'a [u8],
    /// Priority (and maximum controlled priority).
    pub priority: u64,
    /// log2 of the CNode's slot count.
    pub cnode_bits: u64,
    /// Stack pages.
    pub stack_pages: u64,
    /// Caps of the creator's CSpace (cptrs) to copy into the process, from
    /// [`FIRST_FREE_SLOT`] on, each with these rights and badge (0: copy, else mint).
    pub caps: &'a [(u64, CapRights, u64)],
    /// The value of x0 at the entry point.
    pub arg: u64,
}

/// A started process.
#[derive(Clone, Copy, Debug)]
pub struct Process {
    /// Its thread.
    pub tcb: Cap<Tcb>,
    /// Its CSpace root.
    pub cnode: Cap<CNode>,
    /// Its address space.
    pub vspace: Cap<VSpace>,
}

/// Why a process could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// The ELF is not a static AArch64 little-endian executable.
    BadElf,
    /// The kernel refused an invocation.
    Kernel(Error),
}

impl From<Error> for SpawnError {
    fn from(e: Error) -> Self {
        SpawnError::Kernel(e)
    }
}

/// A fresh page, filled with `bytes` at `offset` (the rest zero), through a temporary
/// mapping in the caller's VSpace.
fn filled_page(
    alloc: &mut Allocator,
    offset: usize,
    bytes: &[u8],
) -> Result<Cap<SmallPage>, Error> {
    let page: Cap<SmallPage> = alloc.make(ObjectType::SmallPage, 0)?;
    if !bytes.is_empty() {
        map(
            alloc,
            sel4::init_thread_vspace(),
            page,
            SCRATCH,
            CapRights::all(),
            VmAttributes::DEFAULT,
        )?;
        // SAFETY: SCRATCH is now mapped read-write to this fresh page, which nothing else
        // maps; the slice ends within the page (offset + len <= 4096 by the caller).
        let dst = unsafe { core::slice::from_raw_parts_mut(SCRATCH as *mut u8, 4096) };
        dst[offset..offset + bytes.len()].copy_from_slice(bytes);
        page.frame_unmap()?;
    }
    Ok(page)
}

/// Loads the ELF into a new VSpace and starts it in a new CSpace (see the module docs).
pub fn spawn(alloc: &mut Allocator, config: &ProcessConfig<'_>) -> Result<Process, SpawnError> {
    let file =
        ElfBytes::<LittleEndian>::minimal_parse(config.elf).map_err(|_| SpawnError::BadElf)?;
    if file.ehdr.e_machine != elf::abi::EM_AARCH64 || file.ehdr.e_type != elf::abi::ET_EXEC {
        return Err(SpawnError::BadElf);
    }
    let vspace = new_vspace(alloc)?;
    let segments = file.segments().ok_or(SpawnError::BadElf)?;
    for ph in segments
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0)
    {
        let data = file.segment_data(&ph).map_err(|_| SpawnError::BadElf)?;
        let rights = if ph.p_flags & PF_W != 0 {
            CapRights::all()
        } else {
            CapRights::READ
        };
        let attr = if ph.p_flags & PF_X != 0 {
            VmAttributes::DEFAULT
        } else {
            VmAttributes::DEFAULT | VmAttributes::EXECUTE_NEVER
        };
        let start = ph.p_vaddr & !0xfff;
        let end = (ph.p_vaddr + ph.p_memsz + 0xfff) & !0xfff;
        for page_va in (start..end).step_by(4096) {
            // The part of the segment's file bytes that falls in this page.
            let lo = page_va.max(ph.p_vaddr);
            let hi = (page_va + 4096).min(ph.p_vaddr + ph.p_filesz);
            let bytes = if hi > lo {
                &data[(lo - ph.p_vaddr) as usize..(hi - ph.p_vaddr) as usize]
            } else {
                &[]
            };
            let page = filled_page(alloc, (lo - page_va) as usize, bytes)?;
            // Segments may share a page: the mapping that is already there wins.
            match map(alloc, vspace, page, page_va, rights, attr) {
                Ok(()) | Err(Error::InvalidArgument { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    for i in 0..config.stack_pages {
        let page = filled_page(alloc, 0, &[])?;
        map(
            alloc,
            vspace,
            page,
            STACK_TOP - (i + 1) * 4096,
            CapRights::all(),
            VmAttributes::DEFAULT | VmAttributes::EXECUTE_NEVER,
        )?;
    }
    let ipc = filled_page(alloc, 0, &[])?;
    map(
        alloc,
        vspace,
        ipc,
        IPC_BUFFER,
        CapRights::all(),
        VmAttributes::DEFAULT | VmAttributes::EXECUTE_NEVER,
    )?;

    // The CSpace: its own TCB, CNode and VSpace, then the caps it is given.
    let cnode: Cap<CNode> = alloc.make(ObjectType::CapTable, config.cnode_bits)?;
    let tcb: Cap<Tcb> = alloc.make(ObjectType::Tcb, 0)?;
    let root = sel4::init_thread_cnode();
    let guard = CNodeCapData::new(0, 64 - config.cnode_bits);
    let slot = |i: u64| AbsoluteCPtr::new(cnode, i, config.cnode_bits);
    slot(1).copy(&root.relative(tcb), CapRights::all())?;
    slot(2).mint(&root.relative(cnode), CapRights::all(), guard.to_word())?;
    slot(3).copy(&root.relative(vspace), CapRights::all())?;
    for (i, &(cptr, rights, badge)) in config.caps.iter().enumerate() {
        let dst = slot(FIRST_FREE_SLOT + i as u64);
        if badge == 0 {
            dst.copy(&root.relative_bits(cptr, 64), rights)?;
        } else {
            dst.mint(&root.relative_bits(cptr, 64), rights, badge)?;
        }
    }

    tcb.tcb_configure(0, cnode, guard, vspace, 0, IPC_BUFFER, ipc)?;
    let me = sel4::init_thread_tcb();
    tcb.tcb_set_sched_params(me, config.priority, config.priority)?;
    let mut regs = UserContext::new();
    regs.pc = file.ehdr.e_entry;
    regs.sp = STACK_TOP;
    regs.x0 = config.arg;
    // WriteRegisters sets every register, TPIDRRO_EL0 too, which holds the IPC buffer's
    // address for the library: keep it.
    regs.tpidrro_el0 = IPC_BUFFER;
    tcb.tcb_write_all_registers(true, &regs)?;
    Ok(Process { tcb, cnode, vspace })
}
