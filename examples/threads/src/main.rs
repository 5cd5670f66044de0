//! Threads and the scheduler: a fixed-priority, preemptive, round-robin scheduler.
//!
//! - The highest-priority runnable thread runs; one made runnable at a higher priority
//!   than the current thread (by Resume, a signal, a message) runs at once.
//! - Threads of equal priority take turns: Yield passes the processor to the next one,
//!   and the timer does so too: the kernel ticks every 2 ms and a thread's timeslice is
//!   5 ticks, so two threads that never yield still share the processor.
//! - Suspend stops a thread, Resume restarts it; ReadRegisters and WriteRegisters see and
//!   change a stopped thread's registers.
//!
//! Every thread here is made by `sel4_root_task::thread::spawn`: a TCB in the root task's
//! CSpace and VSpace, with a stack and IPC buffer from the runtime's pool.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use sel4::cap_type::Notification;
use sel4::{BootInfo, Cap, Error, ObjectType, println};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;

sel4_root_task::main!(main);

/// The root task's priority: the threads below run above, at or below it.
const ROOT_PRIO: u64 = 100;

/// A notification the threads signal when they have done their part.
static DONE: AtomicU64 = AtomicU64::new(0);
/// A notification nobody signals: where finished threads wait forever.
static PARK: AtomicU64 = AtomicU64::new(0);

fn done() -> Cap<Notification> {
    Cap::from_cptr(DONE.load(Ordering::Relaxed))
}

fn park() -> ! {
    let park = Cap::<Notification>::from_cptr(PARK.load(Ordering::Relaxed));
    loop {
        park.wait();
    }
}

/// Runs at a higher priority than the root task.
extern "C" fn high(_: u64) -> ! {
    println!("  high (150): running before the root task gets back from Resume");
    park()
}

/// Runs at a lower priority than the root task: only while the root task is blocked.
extern "C" fn low(_: u64) -> ! {
    println!("  low (50): running, because the root task is blocked");
    done().signal();
    // The signal wakes the root task, which preempts this thread before it gets here.
    park()
}

/// Times `other` has run.
static TURNS: AtomicU64 = AtomicU64::new(0);

/// Runs at the root task's priority, taking turns with it: a turn, then Yield.
extern "C" fn other(_: u64) -> ! {
    loop {
        let n = TURNS.fetch_add(1, Ordering::Relaxed);
        if n < 3 {
            println!("  other: turn {n}");
        }
        sel4::ipc::yield_now();
    }
}

/// How far each spinner counts.
const SPIN: u64 = 5_000_000;
/// The spinners' counters.
static SPINS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// What the other spinner's counter was when each spinner finished.
static SEEN: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static FINISHED: AtomicU64 = AtomicU64::new(0);

/// Counts to SPIN without ever yielding or blocking (tens of millions of instructions:
/// under QEMU's `-icount shift=0` one instruction is 1 ns of emulated time, so several
/// 10 ms timeslices), then records how far the other spinner had got.
extern "C" fn spinner(me: u64) -> ! {
    let me = me as usize;
    for _ in 0..SPIN {
        SPINS[me].fetch_add(1, Ordering::Relaxed);
    }
    SEEN[me].store(SPINS[1 - me].load(Ordering::Relaxed), Ordering::Relaxed);
    if FINISHED.fetch_add(1, Ordering::Relaxed) == 1 {
        done().signal();
    }
    park()
}

/// Where a thread starts; the root task moves it elsewhere before it runs.
extern "C" fn first_entry(_: u64) -> ! {
    println!("  first_entry: ran (the root task should have moved the thread away)");
    park()
}

/// Where the root task sends the thread, with the argument it writes into x0.
extern "C" fn second_entry(x0: u64) -> ! {
    println!("  second_entry: running with x0 = {x0}, as written by the root task");
    done().signal();
    park()
}

fn main(bi: &BootInfo) -> Result<(), Error> {
    let mut alloc = Allocator::new(bi);
    let me = sel4::init_thread_tcb();
    me.tcb_set_priority(me, ROOT_PRIO)?;
    let done_ntfn: Cap<Notification> = alloc.make(ObjectType::Notification, 0)?;
    let park_ntfn: Cap<Notification> = alloc.make(ObjectType::Notification, 0)?;
    DONE.store(done_ntfn.cptr(), Ordering::Relaxed);
    PARK.store(park_ntfn.cptr(), Ordering::Relaxed);
    println!("threads: the root task runs at priority {ROOT_PRIO}");

    // 1. Priorities. A thread spawned at 50 cannot run while the root task (100) can.
    // Suspended, raised to 150 and resumed, it runs at once: before Resume returns.
    println!("1. priorities");
    let h = spawn(bi, &mut alloc, high, 0, 50, 0)?;
    h.tcb_suspend()?;
    h.tcb_set_priority(me, 150)?;
    println!("  root: high is suspended, at priority 150; resuming it");
    h.tcb_resume()?;
    println!("  root: resume of high returned");
    spawn(bi, &mut alloc, low, 0, 50, 0)?;
    println!("  root: spawn of low returned; low has not run yet; root waits");
    done_ntfn.wait();
    println!("  root: woken by low's signal, and preempting low at once");

    // 2. Yield: at equal priority, threads take turns.
    println!("2. yield");
    let other_tcb = spawn(bi, &mut alloc, other, 0, ROOT_PRIO, 0)?;
    for i in 0..3 {
        println!("  root: turn {i}");
        sel4::ipc::yield_now();
    }

    // 3. Suspend and Resume: a suspended thread gets no turns.
    println!("3. suspend and resume");
    let turns = |yields: u64| {
        let before = TURNS.load(Ordering::Relaxed);
        for _ in 0..yields {
            sel4::ipc::yield_now();
        }
        TURNS.load(Ordering::Relaxed) - before
    };
    println!("  3 yields: other ran {} times", turns(3));
    other_tcb.tcb_suspend()?;
    println!("  other suspended, 3 yields: other ran {} times", turns(3));
    other_tcb.tcb_resume()?;
    println!("  other resumed, 3 yields: other ran {} times", turns(3));
    other_tcb.tcb_suspend()?;

    // 4. Timer preemption: two threads at the same priority that never yield. Without
    // the timer the first would count to the end before the second starts.
    println!("4. timer preemption: two threads at 60 count to {SPIN} without yielding");
    spawn(bi, &mut alloc, spinner, 0, 60, 0)?;
    spawn(bi, &mut alloc, spinner, 1, 60, 0)?;
    done_ntfn.wait();
    let (a, b) = (
        SEEN[0].load(Ordering::Relaxed),
        SEEN[1].load(Ordering::Relaxed),
    );
    let first = if a < b { a } else { b };
    println!(
        "  when the first finished, the other had counted part of the way: {}",
        if first > 0 && first < SPIN {
            "yes"
        } else {
            "no"
        }
    );
    println!("  (exactly: {a} and {b} of {SPIN})");

    // 5. ReadRegisters and WriteRegisters. A thread at 50 is spawned and does not run
    // (the root task is busy); the root task stops it, reads where it would start, and
    // writes a new start point and argument.
    println!("5. read and write registers");
    let t = spawn(bi, &mut alloc, first_entry, 42, 50, 0)?;
    t.tcb_suspend()?;
    let mut regs = t.tcb_read_all_registers(false)?;
    println!(
        "  read: pc is first_entry: {}, x0 = {}",
        regs.pc == first_entry as *const () as u64,
        regs.x0
    );
    regs.pc = second_entry as *const () as u64;
    regs.x0 = 7;
    t.tcb_write_all_registers(true, &regs)?;
    println!("  written: pc = second_entry, x0 = 7, and resumed; root waits");
    done_ntfn.wait();
    println!("threads: done");
    Ok(())
}
