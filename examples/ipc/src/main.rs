//! IPC between address spaces: a server in a VSpace and CSpace of its own answers two
//! clients over one endpoint, with Call and ReplyRecv.
//!
//! - Badges: each client holds a differently badged copy of the endpoint cap, and the
//!   server learns from the badge who is calling (a client cannot forge it).
//! - A long message: 100 words, 4 in registers and the rest through the IPC buffers.
//! - Capability transfer: a client sends a notification cap along with its message. With
//!   the Grant right on its endpoint cap, the kernel copies the cap into the server's
//!   receive slot and the server uses it; without Grant, the cap is left behind.
//!
//! The server needs no ELF loader: its VSpace maps the same image frames as the root
//! task's, at the same addresses, so the server's code is the function `server` below.
//! (Shared frames mean shared memory: a real system gives each process its own copies of
//! its writable pages. The server here also gets one page of its own, mapped only in its
//! VSpace.) Its CSpace is a 16-slot CNode holding only what it is given.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use sel4::cap_type::{CNode, Endpoint, Notification, PageTable, SmallPage, Tcb, VSpace};
use sel4::{
    BootInfo, CNodeCapData, Cap, CapRights, Error, Message, ObjectType, VmAttributes, println,
};
use sel4_root_task::Allocator;
use sel4_root_task::thread::{image_frame, spawn};

sel4_root_task::main!(main);

// The protocol: request labels.
/// `[a, b]` -> `[a + b]`.
const ADD: u64 = 1;
/// up to 120 words -> `[their sum]`.
const SUM: u64 = 2;
/// a notification cap -> the server signals it; `[]`.
const SIGNAL_ME: u64 = 3;
/// The label of a reply that refuses a request.
const REFUSED: u64 = 1;

// The server's CSpace: a 16-slot CNode whose cap has a 60-bit guard of zeros, so that a
// 64-bit cptr resolves to a slot number 0..15, as the root task's do.
const SERVER_CNODE_BITS: u64 = 4;
/// The endpoint it receives on.
const S_EP: u64 = 1;
/// Its own CNode (to name its receive slot and delete what it received).
const S_CNODE: u64 = 2;
/// Where received caps land.
const S_RECEIVED: u64 = 3;

/// A page mapped only in the server's VSpace.
const PRIVATE: u64 = 0x1000_0000;

/// The server: runs in its own VSpace and CSpace, so it names caps by its own cptrs.
extern "C" fn server(_: u64) -> ! {
    let ep = Cap::<Endpoint>::from_cptr(S_EP);
    let cnode = Cap::<CNode>::from_cptr(S_CNODE);
    let received = cnode.relative_bits(S_RECEIVED, 64);
    // Where a cap sent to us goes: (our CNode, slot 3, all 64 bits).
    sel4::ipc::set_receive_slot(received);
    let count = PRIVATE as *mut u64;
    println!("server: ready, waiting on my cptr {S_EP}");
    let (mut msg, mut badge) = ep.recv();
    loop {
        // SAFETY: PRIVATE is a page mapped read-write in this VSpace only, used by this
        // thread alone.
        let n = unsafe {
            let n = count.read_volatile() + 1;
            count.write_volatile(n);
            n
        };
        let w = msg.words();
        let reply = match msg.label() {
            ADD => {
                println!(
                    "server: request {n} from badge {badge:#x}: ADD({}, {})",
                    w[0], w[1]
                );
                Message::with_words(0, &[w[0] + w[1]])
            }
            SUM => {
                println!(
                    "server: request {n} from badge {badge:#x}: SUM of {} words",
                    w.len()
                );
                Message::with_words(0, &[w.iter().sum()])
            }
            SIGNAL_ME if msg.caps().len() == 1 && msg.caps_unwrapped() == 0 => {
                println!(
                    "server: request {n} from badge {badge:#x}: SIGNAL_ME, a cap arrived in my slot {S_RECEIVED}: {:?}",
                    Cap::<Notification>::from_cptr(S_RECEIVED).debug_identify()
                );
                Cap::<Notification>::from_cptr(S_RECEIVED).signal();
                // Empty the receive slot for the next cap (a full slot receives nothing).
                let _ = received.delete();
                Message::new(0)
            }
            SIGNAL_ME => {
                println!(
                    "server: request {n} from badge {badge:#x}: SIGNAL_ME, but no cap came with it"
                );
                Message::new(REFUSED)
            }
            other => {
                println!("server: unknown request {other}");
                Message::new(REFUSED)
            }
        };
        (msg, badge) = ep.reply_recv(&reply);
    }
}

/// The second client, a thread in the root task's VSpace and CSpace. Its endpoint cap
/// (`ep`) has no Grant right.
extern "C" fn client_b(ep: u64) -> ! {
    let ep = Cap::<Endpoint>::from_cptr(ep);
    let r = ep.call(&Message::with_words(ADD, &[40, 2]));
    println!("client B: ADD(40, 2) = {}", r.words()[0]);
    let mut m = Message::new(SIGNAL_ME);
    m.push_cap(Cap::<Notification>::from_cptr(
        B_NTFN.load(Ordering::Relaxed),
    ));
    let r = ep.call(&m);
    println!(
        "client B: SIGNAL_ME answered with label {} (refused)",
        r.label()
    );
    Cap::<Notification>::from_cptr(B_NTFN.load(Ordering::Relaxed)).signal();
    loop {
        Cap::<Notification>::from_cptr(PARK.load(Ordering::Relaxed)).wait();
    }
}

/// Client B's notification (it also tells the root task that B is done).
static B_NTFN: AtomicU64 = AtomicU64::new(0);
/// A notification nobody signals: where client B waits forever when done.
static PARK: AtomicU64 = AtomicU64::new(0);

/// IPC buffers for the server and client B (see `give_ipc_buffer`).
#[repr(C, align(4096))]
struct Page([u8; 4096]);
static mut BUFFERS: [Page; 2] = [const { Page([0; 4096]) }; 2];

/// Gives `tcb` the IPC buffer `BUFFERS[i]`, before it first runs.
///
/// A workaround: `sel4_root_task::thread::spawn` configures an IPC buffer but then writes
/// all registers from a fresh `UserContext`, which sets TPIDRRO_EL0 (where this kernel
/// publishes the buffer's address and the library looks for it) to 0. Such a thread can
/// still send and receive short messages (registers only) but not long ones or caps.
/// SetIPCBuffer records the buffer again and publishes it.
fn give_ipc_buffer(bi: &BootInfo, tcb: Cap<Tcb>, i: usize) -> Result<(), Error> {
    let va = &raw const BUFFERS as u64 + i as u64 * 4096;
    tcb.tcb_set_ipc_buffer(va, image_frame(bi, va))
}

unsafe extern "C" {
    /// The first byte of this program's image (the linker's symbol for the ELF header).
    static __ehdr_start: u8;
}

/// Maps `frame` at `vaddr` in `vs`, making the page tables the mapping lacks: Page Map
/// fails with FailedLookup while a level is missing.
fn map(a: &mut Allocator, vs: Cap<VSpace>, frame: Cap<SmallPage>, vaddr: u64) -> Result<(), Error> {
    loop {
        match frame.frame_map(vs, vaddr, CapRights::READ_WRITE, VmAttributes::DEFAULT) {
            Err(Error::FailedLookup { .. }) => {
                let pt: Cap<PageTable> = a.make(ObjectType::PageTable, 0)?;
                pt.page_table_map(vs, vaddr, VmAttributes::DEFAULT)?;
            }
            r => return r,
        }
    }
}

/// A new VSpace holding the image's frames at the image's addresses. A frame cap maps at
/// one place only, so each frame is mapped through a copy of its cap.
fn server_vspace(bi: &BootInfo, a: &mut Allocator) -> Result<Cap<VSpace>, Error> {
    let vs: Cap<VSpace> = a.make(ObjectType::VSpace, 0)?;
    // A VSpace needs an ASID before anything can be mapped in it.
    sel4::init_thread_asid_pool().asid_pool_assign(vs)?;
    let frames = bi.user_image_frames();
    let start = &raw const __ehdr_start as u64;
    let cnode = sel4::init_thread_cnode();
    for (i, f) in (frames.start..frames.end).enumerate() {
        let copy = a.slot();
        cnode
            .relative_bits(copy, 64)
            .copy(&cnode.relative_bits(f, 64), CapRights::ALL_RIGHTS)?;
        map(a, vs, Cap::from_cptr(copy), start + i as u64 * 4096)?;
    }
    // The server's private page (fresh frames are zeroed).
    let private: Cap<SmallPage> = a.make(ObjectType::SmallPage, 0)?;
    map(a, vs, private, PRIVATE)?;
    Ok(vs)
}

/// The server's CSpace: a 16-slot CNode with its endpoint and a cap to itself.
fn server_cspace(a: &mut Allocator, ep: Cap<Endpoint>) -> Result<Cap<CNode>, Error> {
    let cs: Cap<CNode> = a.make(ObjectType::CapTable, SERVER_CNODE_BITS)?;
    let root = sel4::init_thread_cnode();
    let guard = CNodeCapData::new(0, 64 - SERVER_CNODE_BITS);
    // The server receives on an unbadged cap (a badge matters only on the sending side).
    cs.relative_bits(S_EP, SERVER_CNODE_BITS)
        .copy(&root.relative(ep), CapRights::ALL_RIGHTS)?;
    // For a CNode cap, Mint's "badge" is the guard.
    cs.relative_bits(S_CNODE, SERVER_CNODE_BITS).mint(
        &root.relative(cs),
        CapRights::ALL_RIGHTS,
        guard.to_word(),
    )?;
    Ok(cs)
}

fn main(bi: &BootInfo) -> Result<(), Error> {
    let mut a = Allocator::new(bi);
    let root = sel4::init_thread_cnode();
    let me = sel4::init_thread_tcb();
    // The root task (client A) at 100, client B at 150, the server at 200: the server
    // answers each call at once.
    me.tcb_set_priority(me, 100)?;
    let park: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    PARK.store(park.cptr(), Ordering::Relaxed);

    let ep: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    let vs = server_vspace(bi, &mut a)?;
    let cs = server_cspace(&mut a, ep)?;
    // Spawned at 50 it cannot run yet; then it moves to its own CSpace and VSpace, and at
    // 200 it starts, runs until it waits on its endpoint.
    let tcb = spawn(bi, &mut a, server, 0, 50, 0)?;
    tcb.tcb_set_space(0, cs, CNodeCapData::new(0, 64 - SERVER_CNODE_BITS), vs, 0)?;
    give_ipc_buffer(bi, tcb, 0)?;
    tcb.tcb_set_priority(me, 200)?;

    // Client A: the root task, with a badge-0xA endpoint cap that has every right.
    let ep_a: Cap<Endpoint> = Cap::from_cptr(a.slot());
    root.relative(ep_a)
        .mint(&root.relative(ep), CapRights::ALL_RIGHTS, 0xA)?;
    let r = ep_a.call(&Message::with_words(ADD, &[2, 3]));
    println!("client A: ADD(2, 3) = {}", r.words()[0]);

    let words: [u64; 100] = core::array::from_fn(|i| i as u64 + 1);
    let r = ep_a.call(&Message::with_words(SUM, &words));
    println!("client A: SUM(1..=100) = {}", r.words()[0]);

    // A notification cap, badged so that its signal is recognisable, sent with the call.
    let ntfn: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    let sent: Cap<Notification> = Cap::from_cptr(a.slot());
    root.relative(sent)
        .mint(&root.relative(ntfn), CapRights::ALL_RIGHTS, 0x5)?;
    let mut m = Message::new(SIGNAL_ME);
    m.push_cap(sent);
    let r = ep_a.call(&m);
    println!(
        "client A: SIGNAL_ME answered with label {}; my notification holds {:#x}",
        r.label(),
        ntfn.poll()
    );

    // Client B: Write and GrantReply (Call needs one of Grant or GrantReply to get a
    // reply), but no Grant: its caps stay behind.
    let ep_b: Cap<Endpoint> = Cap::from_cptr(a.slot());
    root.relative(ep_b).mint(
        &root.relative(ep),
        CapRights::WRITE | CapRights::GRANT_REPLY,
        0xB,
    )?;
    let b_ntfn: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    B_NTFN.store(b_ntfn.cptr(), Ordering::Relaxed);
    // Spawned at 50 (it does not run yet), given an IPC buffer, then raised to 150: it
    // runs at once, until it is done.
    let b = spawn(bi, &mut a, client_b, ep_b.cptr(), 50, 0)?;
    give_ipc_buffer(bi, b, 1)?;
    b.tcb_set_priority(me, 150)?;
    b_ntfn.wait();
    println!("ipc: done");
    Ok(())
}
