//! Address spaces for new threads and processes: a VSpace with an ASID, mappings that make
//! their own page tables, and the root task's image mapped into another VSpace (so a
//! thread there runs the root task's code in an address space of its own).

use crate::alloc::Allocator;
use sel4::cap_type::{FrameType, PageTable, SmallPage, VSpace};
use sel4::{BootInfo, Cap, CapRights, Error, ObjectType, VmAttributes};

/// A new VSpace with an ASID from the root task's pool.
pub fn new_vspace(alloc: &mut Allocator) -> Result<Cap<VSpace>, Error> {
    let vs: Cap<VSpace> = alloc.make(ObjectType::VSpace, 0)?;
    sel4::init_thread_asid_pool().asid_pool_assign(vs)?;
    Ok(vs)
}

/// Maps `frame` at `vaddr` in `vspace`, retyping and mapping each missing level of page
/// table as the kernel reports it (FailedLookup with the bits left of the missing level).
pub fn map<F: FrameType>(
    alloc: &mut Allocator,
    vspace: Cap<VSpace>,
    frame: Cap<F>,
    vaddr: u64,
    rights: CapRights,
    attr: VmAttributes,
) -> Result<(), Error> {
    // At most three levels can be missing.
    for _ in 0..4 {
        match frame.frame_map(vspace, vaddr, rights, attr) {
            Err(Error::FailedLookup { .. }) => {
                let pt: Cap<PageTable> = alloc.make(ObjectType::PageTable, 0)?;
                pt.page_table_map(vspace, vaddr, VmAttributes::DEFAULT)?;
            }
            r => return r,
        }
    }
    frame.frame_map(vspace, vaddr, rights, attr)
}

/// Maps copies of the root task's image frames into `vspace` at the same addresses, so
/// the same code, data and statics are reachable there (shared with the root task).
pub fn map_image(bi: &BootInfo, alloc: &mut Allocator, vspace: Cap<VSpace>) -> Result<(), Error> {
    let frames = bi.user_image_frames();
    let start = crate::thread::image_start();
    let cnode = sel4::init_thread_cnode();
    for (i, f) in (frames.start..frames.end).enumerate() {
        let copy = alloc.slot();
        cnode
            .relative_bits(copy, 64)
            .copy(&cnode.relative_bits(f, 64), CapRights::all())?;
        let page: Cap<SmallPage> = Cap::from_cptr(copy);
        map(
            alloc,
            vspace,
            page,
            start + i as u64 * 4096,
            CapRights::all(),
            VmAttributes::DEFAULT,
        )?;
    }
    Ok(())
}
