//! Faults: when a thread does something the kernel will not do for it (touch unmapped
//! memory, make a syscall that does not exist, run an undefined instruction), the kernel
//! stops it and sends a fault message, as if the thread had made a Call, to the thread's
//! fault endpoint. Whoever receives on that endpoint is its fault handler: it can repair
//! the cause and reply; a reply with label 0 restarts the thread. (In seL4 a thread's
//! pager, exception handler and debugger are all just this.)
//!
//! Here the root task is the fault handler of a worker thread, whose fault endpoint is a
//! badged copy of the handler's endpoint, so the badge says which thread faulted. It
//! handles three faults:
//! - a VM fault: maps a fresh frame where the worker wrote, and restarts the store;
//! - an unknown syscall: emulates it (an answer in x0) and moves the pc past the `svc`;
//! - an undefined instruction: moves the pc past it.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use sel4::cap_type::{Endpoint, Notification, PageTable, SmallPage};
use sel4::{BootInfo, Cap, CapRights, Error, Fault, ObjectType, VmAttributes, println};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;

sel4_root_task::main!(main);

/// A virtual address nothing is mapped at (the image lives at 2 MiB).
const UNMAPPED: u64 = 0x1000_0000;
/// A syscall number seL4 does not have.
const MADE_UP_SYSCALL: u64 = 99;
/// The badge of the worker's fault endpoint.
const WORKER_BADGE: u64 = 0x77;

/// The notification the worker signals when it is finished.
static DONE: AtomicU64 = AtomicU64::new(0);

/// The thread that faults, three times.
extern "C" fn worker(_: u64) -> ! {
    // 1. A store to unmapped memory: a VM fault. When the thread runs again, the store is
    // executed again, now on a mapped page.
    let p = UNMAPPED as *mut u64;
    // SAFETY: nothing in this program uses this address; the fault handler maps a fresh
    // frame there before the store completes.
    unsafe { p.write_volatile(0x1234) };
    // SAFETY: as above; the page is now mapped.
    let v = unsafe { p.read_volatile() };
    println!("worker: wrote and read back {v:#x} at {UNMAPPED:#x}");

    // 2. An `svc` with a number the kernel does not know: an UnknownSyscall fault. The
    // handler answers in x0 and restarts the thread after the `svc`.
    let answer: u64;
    // SAFETY: a syscall instruction; the registers the kernel or handler may change are
    // declared (x0 in and out, x1..x7 restored from the fault message).
    unsafe {
        core::arch::asm!(
            "svc #0",
            inout("x0") 21u64 => answer,
            in("x7") MADE_UP_SYSCALL,
            lateout("x1") _, lateout("x2") _, lateout("x3") _, lateout("x4") _,
            lateout("x5") _, lateout("x6") _,
        )
    };
    println!("worker: syscall {MADE_UP_SYSCALL}(21) returned {answer}");

    // 3. An undefined instruction: a UserException fault. The handler skips it.
    // SAFETY: `udf` only raises an exception; the handler resumes after it, changing no
    // register but the pc.
    unsafe { core::arch::asm!("udf #0") };
    println!("worker: survived an undefined instruction");

    Cap::<Notification>::from_cptr(DONE.load(Ordering::Relaxed)).signal();
    loop {
        sel4::ipc::yield_now();
    }
}

/// Maps a new frame at `vaddr` in the root task's VSpace, making the page tables the
/// mapping lacks (Page Map fails with FailedLookup until each level exists).
fn map_fresh_page(alloc: &mut Allocator, vaddr: u64) -> Result<(), Error> {
    let frame: Cap<SmallPage> = alloc.make(ObjectType::SmallPage, 0)?;
    let vspace = sel4::init_thread_vspace();
    loop {
        match frame.frame_map(vspace, vaddr, CapRights::READ_WRITE, VmAttributes::DEFAULT) {
            Err(Error::FailedLookup { .. }) => {
                let pt: Cap<PageTable> = alloc.make(ObjectType::PageTable, 0)?;
                pt.page_table_map(vspace, vaddr, VmAttributes::DEFAULT)?;
                println!("handler:   made a page table for {vaddr:#x}");
            }
            r => break r,
        }
    }
}

fn main(bi: &BootInfo) -> Result<(), Error> {
    let mut alloc = Allocator::new(bi);
    let root = sel4::init_thread_cnode();
    let me = sel4::init_thread_tcb();
    me.tcb_set_priority(me, 100)?;
    let done: Cap<Notification> = alloc.make(ObjectType::Notification, 0)?;
    DONE.store(done.cptr(), Ordering::Relaxed);

    // The fault endpoint: the handler receives on `ep`; the worker's TCB names the badged
    // copy, which the kernel uses to send the worker's faults.
    let ep: Cap<Endpoint> = alloc.make(ObjectType::Endpoint, 0)?;
    let fault_ep = alloc.slot();
    root.relative_bits(fault_ep, 64).mint(
        &root.relative(ep),
        CapRights::ALL_RIGHTS,
        WORKER_BADGE,
    )?;
    spawn(bi, &mut alloc, worker, 0, 50, fault_ep)?;
    println!("faults: the root task handles the faults of a worker thread");

    let (mut msg, mut badge) = ep.recv();
    for i in 0..3 {
        let fault = Fault::from_message(&msg);
        let reply = match fault {
            Fault::VmFault(f) => {
                println!(
                    "handler: badge {badge:#x}: VM fault at {:#x} ({}, {})",
                    f.addr,
                    if f.prefetch_fault { "fetch" } else { "data" },
                    if f.fsr & (1 << 6) != 0 {
                        "write"
                    } else {
                        "read"
                    }
                );
                map_fresh_page(&mut alloc, f.addr & !0xfff)?;
                println!("handler:   mapped a new frame there; restart the store");
                // An empty label-0 reply restarts the faulting instruction.
                fault.restart_message(f.ip)
            }
            Fault::UnknownSyscall(f) => {
                println!(
                    "handler: badge {badge:#x}: unknown syscall {} with x0 = {}",
                    f.syscall, f.x[0]
                );
                // The reply carries back x0..x7, pc, sp, lr and spsr: the answer goes in
                // x0 and the pc moves past the 4-byte `svc`.
                let mut f = f;
                f.x[0] *= 2;
                println!("handler:   answer {} in x0, pc past the svc", f.x[0]);
                Fault::UnknownSyscall(f).restart_message(f.fault_ip + 4)
            }
            Fault::UserException(f) => {
                println!(
                    "handler: badge {badge:#x}: user exception, syndrome class {:#x}",
                    f.number >> 26
                );
                println!("handler:   pc past the instruction");
                fault.restart_message(f.fault_ip + 4)
            }
            other => {
                println!("handler: unexpected {other:?}");
                return Err(Error::IllegalOperation);
            }
        };
        if i < 2 {
            // ReplyRecv restarts the worker and waits for its next fault. The worker runs
            // only once the handler blocks (it is at a lower priority).
            (msg, badge) = ep.reply_recv(&reply);
        } else {
            // The last fault: reply, then wait for the worker to finish.
            sel4::ipc::reply(&reply);
        }
    }
    done.wait();
    println!("faults: done");
    Ok(())
}
