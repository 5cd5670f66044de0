//! A device's registers in this address space: the frame retyped from the device untyped
//! that covers them, page tables for every missing level, and the mapping.

use sel4::abi::{MIN_UNTYPED_BITS, PAGE_BITS};
use sel4::cap_type::{PageTable, SmallPage, Untyped};
use sel4::{
    BootInfo, Cap, CapRights, Error, LookupFailure, ObjectType, VmAttributes, init_thread_cnode,
    init_thread_vspace,
};
use sel4_root_task::Allocator;

use crate::error::{SetupError, Step};

/// A device page mapped read-write and uncached at `vaddr`, for the rest of the program.
///
/// Only [`map_device_page`] makes one, and nothing in this program unmaps it, which is what
/// lets a driver turn it into a reference to the device's registers without further proof.
/// Not `Clone`: one driver owns one device.
#[derive(Debug)]
pub struct DeviceMapping {
    vaddr: u64,
}

impl DeviceMapping {
    /// The virtual address of the mapped page.
    pub fn vaddr(&self) -> u64 {
        self.vaddr
    }
}

/// Maps the 4 KiB page of device memory at physical `paddr` at virtual `vaddr`.
pub fn map_device_page(
    bi: &BootInfo,
    alloc: &mut Allocator,
    paddr: u64,
    vaddr: u64,
) -> Result<DeviceMapping, SetupError> {
    let frame = device_frame(bi, alloc, paddr)?;
    let rights = CapRights::READ_WRITE;
    // Not cacheable: device registers (the kernel maps device frames uncached anyway).
    let attributes = VmAttributes::EXECUTE_NEVER;
    // Which page-table level is missing shows in the failure: bits left 39 (the level
    // below the VSpace), 30, or 21 (the last level). Each PageTable Map adds the next one,
    // so this runs at most four times.
    loop {
        match frame.frame_map(init_thread_vspace(), vaddr, rights, attributes) {
            Ok(()) => return Ok(DeviceMapping { vaddr }),
            Err(Error::FailedLookup {
                failure:
                    LookupFailure::MissingCapability {
                        bits_left: 21 | 30 | 39,
                    },
                ..
            }) => {
                let table: Cap<PageTable> = alloc
                    .make(ObjectType::PageTable, 0)
                    .step("retype a page table")?;
                table
                    .page_table_map(init_thread_vspace(), vaddr, VmAttributes::DEFAULT)
                    .step("map a page table")?;
            }
            Err(error) => {
                return Err(SetupError::Kernel {
                    step: "map the device frame",
                    error,
                });
            }
        }
    }
}

/// The frame at physical `paddr` (page-aligned), from the device untyped covering it.
///
/// Retype allocates from an untyped's watermark, each object aligned to its own size, and
/// a fresh untyped starts at 0. So to reach `paddr` at offset `o` in the untyped, the
/// driver first retypes one filler untyped per set bit of `o`, largest first (each then
/// starts aligned), and the frame comes next.
fn device_frame(
    bi: &BootInfo,
    alloc: &mut Allocator,
    paddr: u64,
) -> Result<Cap<SmallPage>, SetupError> {
    let (untyped, desc) = bi
        .untyped_caps()
        .find(|(_, d)| d.is_device != 0 && (d.paddr..d.paddr + (1 << d.size_bits)).contains(&paddr))
        .ok_or(SetupError::NoDeviceUntyped { paddr })?;
    let offset = paddr - desc.paddr;
    for bits in (MIN_UNTYPED_BITS..u64::from(desc.size_bits)).rev() {
        if offset & (1 << bits) != 0 {
            filler(alloc, untyped, bits)?;
        }
    }
    let frame: Cap<SmallPage> = Cap::from_cptr(alloc.slot());
    untyped
        .untyped_retype_fixed::<SmallPage>(&init_thread_cnode().itself(), frame.cptr(), 1)
        .step("retype the device frame")?;
    let found = frame.frame_get_address().step("read the frame's address")?;
    if found != paddr {
        return Err(SetupError::WrongFrame {
            expected: paddr,
            found,
        });
    }
    Ok(frame)
}

/// Moves `untyped`'s watermark on by `2^bits` bytes with an untyped nobody uses.
fn filler(alloc: &mut Allocator, untyped: Cap<Untyped>, bits: u64) -> Result<(), SetupError> {
    let slot = alloc.slot();
    untyped
        .untyped_retype(
            ObjectType::Untyped,
            bits,
            &init_thread_cnode().itself(),
            slot,
            1,
        )
        .step("retype a filler untyped")
}

/// The start of the page holding `paddr`.
pub fn page_base(paddr: u64) -> u64 {
    paddr & !((1 << PAGE_BITS) - 1)
}
