//! The tutorial's example (`docs/tutorial.md`): two processes, ping and pong, each with an
//! address space (VSpace) and a capability space (CSpace) of its own, exchange messages
//! over an endpoint. The root task builds both and waits until they are done.
#![no_std]
#![no_main]

use sel4::cap_type::{CNode, Endpoint, Notification, PageTable, SmallPage, Tcb, VSpace};
use sel4::{
    BootInfo, CNodeCapData, Cap, CapRights, Error, Message, ObjectType, VmAttributes, println,
};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;

sel4_root_task::main!(main);

/// log2 of the slots in each process's CSpace.
const CSPACE_BITS: u64 = 4;
/// Slot 1 of each process's CSpace: the endpoint.
const EP: u64 = 1;
/// Slot 2 of ping's CSpace: the notification it signals when it is done.
const DONE: u64 = 2;
/// The badge on ping's endpoint cap: how pong knows who is calling.
const PING_BADGE: u64 = 7;

/// Pong: answers every message `n` with `n + 1`, forever.
extern "C" fn pong(_: u64) -> ! {
    let ep = Cap::<Endpoint>::from_cptr(EP);
    let (mut msg, mut badge) = ep.recv();
    loop {
        let n = msg.words()[0];
        println!("pong: got {n} from badge {badge}, answering {}", n + 1);
        (msg, badge) = ep.reply_recv(&Message::with_words(0, &[n + 1]));
    }
}

/// Ping: calls pong three times, then signals DONE.
extern "C" fn ping(_: u64) -> ! {
    let ep = Cap::<Endpoint>::from_cptr(EP);
    let mut n = 0;
    for _ in 0..3 {
        let reply = ep.call(&Message::with_words(0, &[n]));
        println!("ping: sent {n}, got {}", reply.words()[0]);
        n = reply.words()[0] + 1;
    }
    Cap::<Notification>::from_cptr(DONE).signal();
    // The root task runs at a higher priority and ends the program before ping gets here.
    loop {
        sel4::ipc::yield_now();
    }
}

unsafe extern "C" {
    /// The first byte of this program's image (the linker's symbol for the ELF header).
    static __ehdr_start: u8;
}

/// A new address space with this program's image mapped at the same addresses, so a
/// thread in it runs the functions above. Each frame is mapped through a copy of its cap
/// (a frame cap maps at one place only); page tables are made where a mapping lacks one.
fn new_vspace(bi: &BootInfo, alloc: &mut Allocator) -> Result<Cap<VSpace>, Error> {
    let vspace: Cap<VSpace> = alloc.make(ObjectType::VSpace, 0)?;
    sel4::init_thread_asid_pool().asid_pool_assign(vspace)?;
    let root = sel4::init_thread_cnode();
    let start = &raw const __ehdr_start as u64;
    let frames = bi.user_image_frames();
    for (i, frame) in (frames.start..frames.end).enumerate() {
        let copy: Cap<SmallPage> = Cap::from_cptr(alloc.slot());
        root.relative(copy)
            .copy(&root.relative_bits(frame, 64), CapRights::ALL_RIGHTS)?;
        let vaddr = start + i as u64 * 4096;
        loop {
            match copy.frame_map(vspace, vaddr, CapRights::ALL_RIGHTS, VmAttributes::DEFAULT) {
                Err(Error::FailedLookup { .. }) => {
                    let pt: Cap<PageTable> = alloc.make(ObjectType::PageTable, 0)?;
                    pt.page_table_map(vspace, vaddr, VmAttributes::DEFAULT)?;
                }
                result => break result?,
            }
        }
    }
    Ok(vspace)
}

/// A new CSpace of 16 slots holding `caps`: (slot, cap, badge) each.
fn new_cspace(alloc: &mut Allocator, caps: &[(u64, u64, u64)]) -> Result<Cap<CNode>, Error> {
    let cnode: Cap<CNode> = alloc.make(ObjectType::CapTable, CSPACE_BITS)?;
    let root = sel4::init_thread_cnode();
    for &(slot, cap, badge) in caps {
        cnode.relative_bits(slot, CSPACE_BITS).mint(
            &root.relative_bits(cap, 64),
            CapRights::ALL_RIGHTS,
            badge,
        )?;
    }
    Ok(cnode)
}

/// Starts `entry` as a process: a thread in its own VSpace and the CSpace `cspace`.
fn start(
    bi: &BootInfo,
    alloc: &mut Allocator,
    entry: extern "C" fn(u64) -> !,
    cspace: Cap<CNode>,
) -> Result<Cap<Tcb>, Error> {
    let vspace = new_vspace(bi, alloc)?;
    // `spawn` makes a thread in the root task's spaces; at priority 50 it cannot run
    // before it has been moved into its own.
    let tcb = spawn(bi, alloc, entry, 0, 50, 0)?;
    // The CNode's guard makes a 64-bit cptr resolve to a slot: 60 guard bits + 4 index.
    let guard = CNodeCapData::new(0, 64 - CSPACE_BITS);
    tcb.tcb_set_space(0, cspace, guard, vspace, 0)?;
    Ok(tcb)
}

fn main(bi: &BootInfo) -> Result<(), Error> {
    let mut alloc = Allocator::new(bi);
    let ep: Cap<Endpoint> = alloc.make(ObjectType::Endpoint, 0)?;
    let done: Cap<Notification> = alloc.make(ObjectType::Notification, 0)?;

    let pong_cspace = new_cspace(&mut alloc, &[(EP, ep.cptr(), 0)])?;
    let ping_cspace = new_cspace(
        &mut alloc,
        &[(EP, ep.cptr(), PING_BADGE), (DONE, done.cptr(), 0)],
    )?;
    start(bi, &mut alloc, pong, pong_cspace)?;
    start(bi, &mut alloc, ping, ping_cspace)?;
    println!("tutorial-pingpong: ping and pong started");

    // Waiting blocks the root task; ping and pong run until ping signals.
    done.wait();
    println!("tutorial-pingpong: done");
    Ok(())
}
