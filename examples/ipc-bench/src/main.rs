//! IPC benchmark: guest instructions per kernel operation, read from the PMU cycle counter,
//! which under `qemu -icount shift=0` counts executed instructions exactly.
//!
//! Measured (each averaged over many repetitions after a warm-up), with raw syscalls so
//! that the figure is the kernel's, as seL4's own benchmarks use libsel4's inline stubs:
//! Call+ReplyRecv round trips of 0 and 4 words to a server in the same address space and in
//! another one, Send+Recv one way, Signal+Wait, Yield, a null syscall, and the instructions
//! from power-on to the root task's first instruction. Prints `bench: <name> <value>`.
#![no_std]
#![no_main]

use sel4::abi::Syscall;
use sel4::cap_type::{Endpoint, Notification};
use sel4::syscall::{Regs, raw};
use sel4::{BootInfo, Cap, MessageInfo, ObjectType, println};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;

sel4_root_task::main!(main);

const ROUNDS: u64 = 1000;
const WARMUP: u64 = 50;

/// Reads the PMU cycle counter (guest instructions under icount).
fn cycles() -> u64 {
    let c: u64;
    // SAFETY: the kernel lets EL0 read the cycle counter; reading has no side effects.
    unsafe { core::arch::asm!("isb", "mrs {}, pmccntr_el0", out(reg) c, options(nostack)) };
    c
}

fn info(len: u64) -> u64 {
    MessageInfo::new(0, 0, 0, len).to_word()
}

/// Answers every call with a message as long as the one it got.
extern "C" fn server(ep: u64) -> ! {
    let mut r = raw(
        Syscall::Recv,
        Regs {
            x0: ep,
            ..Regs::default()
        },
    );
    loop {
        let len = MessageInfo::from_word(r.x1).length;
        r = raw(
            Syscall::ReplyRecv,
            Regs {
                x0: ep,
                x1: info(len),
                mr: r.mr,
            },
        );
    }
}

/// Receives forever (the other side of Send).
extern "C" fn receiver(ep: u64) -> ! {
    loop {
        raw(
            Syscall::Recv,
            Regs {
                x0: ep,
                ..Regs::default()
            },
        );
    }
}

/// Waits forever (the other side of Signal).
extern "C" fn waiter(ntfn: u64) -> ! {
    loop {
        raw(
            Syscall::Recv,
            Regs {
                x0: ntfn,
                ..Regs::default()
            },
        );
    }
}

/// Instructions per repetition of `op`, averaged over ROUNDS after WARMUP.
fn measure(mut op: impl FnMut()) -> u64 {
    for _ in 0..WARMUP {
        op();
    }
    let start = cycles();
    for _ in 0..ROUNDS {
        op();
    }
    (cycles() - start) / ROUNDS
}

fn call_round_trip(ep: u64, words: u64) -> u64 {
    measure(|| {
        raw(
            Syscall::Call,
            Regs {
                x0: ep,
                x1: info(words),
                mr: [1, 2, 3, 4],
            },
        );
    })
}

fn main(bi: &BootInfo) -> Result<(), sel4::Error> {
    let boot = cycles();
    let mut a = Allocator::new(bi);
    let me = sel4::init_thread_tcb();
    // The root task runs at 254 so that threads at 255 preempt it when woken.
    me.tcb_set_priority(me, 254)?;

    let ep: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    spawn(bi, &mut a, server, ep.cptr(), 254, 0)?;
    let same0 = call_round_trip(ep.cptr(), 0);
    let same4 = call_round_trip(ep.cptr(), 4);

    // The server in another address space: same code and stack pool, its own VSpace.
    let ep2: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    let vs2 = sel4_root_task::vspace::new_vspace(&mut a)?;
    sel4_root_task::vspace::map_image(bi, &mut a, vs2)?;
    let far = spawn(bi, &mut a, server, ep2.cptr(), 254, 0)?;
    far.tcb_set_space(
        0,
        sel4::init_thread_cnode(),
        sel4::CNodeCapData::new(0, 0),
        vs2,
        0,
    )?;
    let other0 = call_round_trip(ep2.cptr(), 0);
    let other4 = call_round_trip(ep2.cptr(), 4);

    let ep3: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    spawn(bi, &mut a, receiver, ep3.cptr(), 255, 0)?;
    let send = measure(|| {
        raw(
            Syscall::Send,
            Regs {
                x0: ep3.cptr(),
                x1: info(0),
                ..Regs::default()
            },
        );
    });

    let ntfn: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    spawn(bi, &mut a, waiter, ntfn.cptr(), 255, 0)?;
    let signal = measure(|| {
        raw(
            Syscall::Send,
            Regs {
                x0: ntfn.cptr(),
                x1: info(0),
                ..Regs::default()
            },
        );
    });

    let yld = measure(|| {
        raw(Syscall::Yield, Regs::default());
    });
    let null = measure(|| {
        raw(Syscall::BenchmarkNullSyscall, Regs::default());
    });

    println!("bench: call_reply_recv_0_same_as {same0}");
    println!("bench: call_reply_recv_4_same_as {same4}");
    println!("bench: call_reply_recv_0_cross_as {other0}");
    println!("bench: call_reply_recv_4_cross_as {other4}");
    println!("bench: send_recv_one_way {send}");
    println!("bench: signal_wait {signal}");
    println!("bench: yield {yld}");
    println!("bench: null_syscall {null}");
    println!("bench: power_on_to_root_task {boot}");
    Ok(())
}
