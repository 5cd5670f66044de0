//! Untyped memory: how every kernel object is made. Retype carves objects out of an
//! untyped region from a watermark that only moves forward; each object is aligned to its
//! own size, so a big object after small ones skips memory. Revoking the untyped cap
//! destroys every object made from it, and the next Retype resets the watermark to 0: the
//! same physical memory is handed out again.
//!
//! User level cannot read the watermark directly. It asks the kernel: a Retype that cannot
//! fit fails with NotEnoughMemory, whose payload is the number of bytes left. The physical
//! address of a frame comes from Page GetAddress.
#![no_std]
#![no_main]

use sel4::cap_type::{SmallPage, Untyped};
use sel4::{BootInfo, Cap, Error, ObjectType, println};
use sel4_root_task::Allocator;

sel4_root_task::main!(main);

/// The untyped this example works in: 4 MiB.
const SIZE_BITS: u64 = 22;

/// Bytes still free in `ut`, asked of the kernel: a 2^47-byte untyped never fits, and the
/// refusal says how much would have.
fn bytes_left(ut: Cap<Untyped>, scratch: u64) -> u64 {
    let root = sel4::init_thread_cnode();
    match ut.untyped_retype(ObjectType::Untyped, 47, &root.itself(), scratch, 1) {
        Err(Error::NotEnoughMemory { bytes_left }) => bytes_left,
        other => panic!("a 2^47-byte retype should not fit: {other:?}"),
    }
}

/// Makes one `ty` object (`size_bits` for Untyped and CNode) from `ut` in a new slot and
/// prints where the watermark is now.
fn retype(
    alloc: &mut Allocator,
    ut: Cap<Untyped>,
    scratch: u64,
    ty: ObjectType,
    size_bits: u64,
    what: &str,
) -> Result<u64, Error> {
    let slot = alloc.slot();
    ut.untyped_retype(ty, size_bits, &sel4::init_thread_cnode().itself(), slot, 1)?;
    let used = (1 << SIZE_BITS) - bytes_left(ut, scratch);
    println!("  {what:<32} watermark {used:#9x}");
    Ok(slot)
}

fn main(bi: &BootInfo) -> Result<(), Error> {
    let mut alloc = Allocator::new(bi);
    let root = sel4::init_thread_cnode();
    // A 4 MiB untyped of our own, split from the big one: untypeds retype into smaller
    // untypeds, each aligned to its size.
    let ut: Cap<Untyped> = alloc.make(ObjectType::Untyped, SIZE_BITS)?;
    // One slot for the bytes-left probe; it is never filled.
    let scratch = alloc.slot();
    println!(
        "untyped: a {} MiB untyped, {} bytes left",
        1 << (SIZE_BITS - 20),
        bytes_left(ut, scratch)
    );

    // A frame first: its physical address is where the untyped begins.
    let first: Cap<SmallPage> = Cap::from_cptr(retype(
        &mut alloc,
        ut,
        scratch,
        ObjectType::SmallPage,
        0,
        "SmallPage (4 KiB)",
    )?);
    let base = first.frame_get_address()?;
    println!("  the frame is at physical address {base:#x}: the untyped's start");

    // Every other type, in an order that shows alignment: the TCB (2 KiB) after a 16-byte
    // endpoint starts at the next 2 KiB boundary, leaving a hole.
    println!("retype each object type (watermark = bytes used, as an offset):");
    let r = &mut alloc;
    retype(r, ut, scratch, ObjectType::Endpoint, 0, "Endpoint (16 B)")?;
    retype(
        r,
        ut,
        scratch,
        ObjectType::Tcb,
        0,
        "TCB (2 KiB, 2 KiB-aligned)",
    )?;
    retype(
        r,
        ut,
        scratch,
        ObjectType::Notification,
        0,
        "Notification (32 B)",
    )?;
    retype(
        r,
        ut,
        scratch,
        ObjectType::CapTable,
        4,
        "CNode, 16 slots (512 B)",
    )?;
    retype(
        r,
        ut,
        scratch,
        ObjectType::PageTable,
        0,
        "PageTable (4 KiB)",
    )?;
    retype(r, ut, scratch, ObjectType::VSpace, 0, "VSpace (4 KiB)")?;
    retype(r, ut, scratch, ObjectType::Untyped, 10, "Untyped (1 KiB)")?;
    let large: Cap<SmallPage> = Cap::from_cptr(retype(
        r,
        ut,
        scratch,
        ObjectType::LargePage,
        0,
        "LargePage (2 MiB, 2 MiB-aligned)",
    )?);
    println!(
        "  the large page is at untyped offset {:#x}: 2 MiB-aligned, nearly 2 MiB skipped",
        large.frame_get_address()? - base
    );

    // Nothing is left: even the smallest object is refused, with the bytes left (0).
    let slot = alloc.slot();
    match ut.untyped_retype(ObjectType::Endpoint, 0, &root.itself(), slot, 1) {
        Err(e) => println!("  one more endpoint: {e}"),
        Ok(()) => println!("  one more endpoint: made (the untyped should be full)"),
    }
    match ut.untyped_retype(ObjectType::HugePage, 0, &root.itself(), slot, 1) {
        Err(e) => println!("  a HugePage (1 GiB): {e}"),
        Ok(()) => println!("  a HugePage (1 GiB): made (it cannot fit)"),
    }

    // Revoke deletes every cap derived from the untyped cap: all the objects above are
    // destroyed. With no children left, the next Retype resets the watermark to 0 (and
    // zeroes the memory), so the same addresses come back.
    root.relative(ut).revoke()?;
    println!(
        "revoke the untyped: every object is gone, {} bytes left",
        bytes_left(ut, scratch)
    );
    let slot = alloc.slot();
    ut.untyped_retype(ObjectType::SmallPage, 0, &root.itself(), slot, 1)?;
    let again = Cap::<SmallPage>::from_cptr(slot).frame_get_address()?;
    println!(
        "  a new frame is at {again:#x}: {}",
        if again == base {
            "the same address as the first"
        } else {
            "a different address (unexpected)"
        }
    );
    println!(
        "  watermark {:#x}",
        (1 << SIZE_BITS) - bytes_left(ut, scratch)
    );
    println!("untyped: done");
    Ok(())
}
