//! FP/SIMD state belongs to each thread: two threads that alternate (Yield) each find their
//! own registers again, and a thread with FP disabled (TCB_SetFlags fpuDisabled) takes a
//! UserException fault on its first FP instruction.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use sel4::abi::{FaultType, Syscall, tcb::TCB_FLAG_FPU_DISABLED};
use sel4::cap_type::{Endpoint, Notification};
use sel4::syscall::{Regs, raw};
use sel4::{BootInfo, Cap, ObjectType, println};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;

sel4_root_task::main!(main);

/// Puts `v` in d0 and v+1 in v31, yields, and returns what d0 and v31 hold afterwards.
fn hold_across_yield(v: u64) -> (u64, u64) {
    let (d0, d31): (u64, u64);
    // SAFETY: only FP registers declared as clobbered and general registers declared as
    // outputs are written; the Yield syscall clobbers x0..x5 (declared).
    unsafe {
        core::arch::asm!(
            "fmov d0, {v}", "add {t}, {v}, #1", "fmov d31, {t}",
            "svc #0",
            "fmov {a}, d0", "fmov {b}, d31",
            v = in(reg) v, t = out(reg) _, a = out(reg) d0, b = out(reg) d31,
            in("x7") Syscall::Yield.word(),
            lateout("x0") _, lateout("x1") _, lateout("x2") _, lateout("x3") _, lateout("x4") _, lateout("x5") _,
            out("v0") _, out("v31") _,
        )
    };
    (d0, d31)
}

static OTHER_OK: AtomicU64 = AtomicU64::new(0);

/// The other thread: the same, with its own values, ten times; then it waits forever on
/// the notification `park` (so it no longer competes for the processor).
extern "C" fn other(park: u64) -> ! {
    for i in 0..10u64 {
        let v = 0x2000 + i;
        if hold_across_yield(v) == (v, v + 1) {
            OTHER_OK.fetch_add(1, Ordering::Relaxed);
        }
    }
    loop {
        raw(
            Syscall::Recv,
            Regs {
                x0: park,
                ..Regs::default()
            },
        );
    }
}

/// Touches the FP unit.
extern "C" fn fp_user(_: u64) -> ! {
    let x: u64;
    // SAFETY: moves between a general and an FP register only.
    unsafe { core::arch::asm!("fmov d1, {0}", "fmov {0}, d1", inout(reg) 7u64 => x, out("v1") _) };
    println!("FAIL: fp_user ran an FP instruction ({x}) with FP disabled");
    sel4::syscall::debug_halt(1)
}

fn main(bi: &BootInfo) -> Result<(), &'static str> {
    let mut a = Allocator::new(bi);
    let park: Cap<Notification> = a
        .make(ObjectType::Notification, 0)
        .map_err(|_| "notification")?;
    spawn(bi, &mut a, other, park.cptr(), 255, 0).map_err(|_| "spawn")?;
    let mut mine = 0;
    for i in 0..10u64 {
        let v = 0x1000 + i;
        if hold_across_yield(v) == (v, v + 1) {
            mine += 1;
        }
    }
    // One more switch lets the other thread finish its tenth round and park.
    raw(Syscall::Yield, Regs::default());
    let theirs = OTHER_OK.load(Ordering::Relaxed);
    println!("root kept its FP registers across {mine}/10 switches");
    println!("other thread kept its FP registers across {theirs}/10 switches");

    // A thread with FP disabled faults; its fault endpoint is ours.
    let ep: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0).map_err(|_| "endpoint")?;
    let tcb = spawn(bi, &mut a, fp_user, 0, 100, ep.cptr()).map_err(|_| "spawn")?;
    tcb.tcb_suspend().map_err(|_| "suspend")?;
    tcb.tcb_set_flags(0, TCB_FLAG_FPU_DISABLED)
        .map_err(|_| "flags")?;
    tcb.tcb_resume().map_err(|_| "resume")?;
    let (msg, _) = ep.recv();
    let ec = msg.get(3).unwrap_or(0) >> 26;
    println!(
        "fpu-disabled thread: fault label {} (UserException is {}), exception class {ec:#x}",
        msg.label(),
        FaultType::UserException as u64
    );
    let ok =
        mine == 10 && theirs == 10 && msg.label() == FaultType::UserException as u64 && ec == 0x07;
    if ok {
        Ok(())
    } else {
        Err("FP state leaked between threads, or fpuDisabled did not fault")
    }
}
