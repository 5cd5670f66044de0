//! Notifications: the kernel's binary semaphores with a word of flags. Signal ORs the
//! signalling cap's badge into the notification's word; Wait blocks until the word is
//! non-empty (or a signal arrived) and takes it, clearing it; Poll takes it without
//! blocking. A notification bound to a thread also wakes that thread while it waits on an
//! endpoint, so one server loop can serve both IPC and signals (e.g. interrupts).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use sel4::cap_type::{Endpoint, Notification};
use sel4::{BootInfo, Cap, CapRights, Error, Message, ObjectType, println};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;

sel4_root_task::main!(main);

/// The badge of the clients' endpoint cap; the notification badges are below it, so the
/// server tells a signal from a message by the badge alone.
const CLIENT_BADGE: u64 = 0x100;

/// A notification nobody signals: where finished threads wait forever.
static PARK: AtomicU64 = AtomicU64::new(0);

/// Waits forever.
fn park() -> ! {
    let park = Cap::<Notification>::from_cptr(PARK.load(Ordering::Relaxed));
    loop {
        park.wait();
    }
}

/// A thread at a lower priority than the root task: it runs only while the root task is
/// blocked, signals once through the cap `ntfn`, and parks.
extern "C" fn signaller(ntfn: u64) -> ! {
    println!("  signaller: runs because the root task is blocked; signals badge 0x2");
    Cap::<Notification>::from_cptr(ntfn).signal();
    park()
}

/// A server at a higher priority than the root task, waiting on the endpoint `ep` with a
/// notification bound to its TCB. Every wake-up preempts the root task at once.
extern "C" fn server(ep: u64) -> ! {
    let ep = Cap::<Endpoint>::from_cptr(ep);
    let (mut msg, mut badge) = ep.recv();
    loop {
        if badge & CLIENT_BADGE == 0 {
            // Woken by the bound notification: the badge is its word, no message came and
            // nobody waits for a reply.
            println!("  server: woken by the bound notification, word {badge:#x}");
            (msg, badge) = ep.recv();
        } else {
            let x = msg.get(0).unwrap_or(0);
            println!(
                "  server: a call from badge {badge:#x} with {x}; replying {}",
                x * 2
            );
            (msg, badge) = ep.reply_recv(&Message::with_words(0, &[x * 2]));
        }
    }
}

fn main(bi: &BootInfo) -> Result<(), Error> {
    let mut alloc = Allocator::new(bi);
    let root = sel4::init_thread_cnode();
    let me = sel4::init_thread_tcb();
    // The root task runs at 100, between the signaller (50) and the server (200).
    me.tcb_set_priority(me, 100)?;

    let ntfn: Cap<Notification> = alloc.make(ObjectType::Notification, 0)?;
    let park: Cap<Notification> = alloc.make(ObjectType::Notification, 0)?;
    PARK.store(park.cptr(), Ordering::Relaxed);
    // Three badged caps to the one notification: each signaller is known by its bit.
    let mut badged = [Cap::<Notification>::null(); 3];
    for (i, cap) in badged.iter_mut().enumerate() {
        let slot = alloc.slot();
        root.relative_bits(slot, 64)
            .mint(&root.relative(ntfn), CapRights::ALL_RIGHTS, 1 << i)?;
        *cap = Cap::from_cptr(slot);
    }
    println!("notifications: one notification, caps with badges 0x1, 0x2, 0x4");

    println!("poll with nothing signalled: {:#x}", ntfn.poll());
    badged[0].signal();
    println!("signal 0x1, then poll: {:#x}", ntfn.poll());
    println!(
        "poll again: {:#x} (taking the word cleared it)",
        ntfn.poll()
    );
    badged[0].signal();
    badged[2].signal();
    badged[0].signal();
    println!(
        "signal 0x1, 0x4, 0x1, then wait: {:#x} (badges OR together; it did not block)",
        ntfn.wait()
    );

    // Wait blocks when nothing is pending; a signal from another thread wakes it.
    spawn(bi, &mut alloc, signaller, badged[1].cptr(), 50, 0)?;
    println!("wait with nothing signalled: blocks");
    let word = ntfn.wait();
    println!("  root: woken with {word:#x}");

    // A bound notification. The server waits on its endpoint; signals to the notification
    // bound to its TCB wake it there, with the notification word as the badge.
    let ep: Cap<Endpoint> = alloc.make(ObjectType::Endpoint, 0)?;
    let client = alloc.slot();
    root.relative_bits(client, 64)
        .mint(&root.relative(ep), CapRights::ALL_RIGHTS, CLIENT_BADGE)?;
    let client: Cap<Endpoint> = Cap::from_cptr(client);
    let server_tcb = spawn(bi, &mut alloc, server, ep.cptr(), 200, 0)?;
    server_tcb.tcb_bind_notification(ntfn)?;
    println!("bound notification: the server waits on its endpoint");
    let reply = client.call(&Message::with_words(0, &[21]));
    println!("  root: the reply is {}", reply.get(0).unwrap_or(0));
    println!("  root: signals 0x4");
    badged[2].signal();
    println!("  root: signals 0x1");
    badged[0].signal();
    let reply = client.call(&Message::with_words(0, &[50]));
    println!("  root: the reply is {}", reply.get(0).unwrap_or(0));

    // While the server is busy (here: suspended), signals accumulate in the word and are
    // delivered together when it next waits.
    server_tcb.tcb_suspend()?;
    badged[0].signal();
    badged[1].signal();
    println!("  root: with the server suspended, signals 0x1 and 0x2, then resumes it");
    server_tcb.tcb_resume()?;
    println!("notifications: done");
    Ok(())
}
