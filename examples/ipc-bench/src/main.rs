//! IPC benchmark: guest instructions per kernel operation, read from the PMU cycle counter,
//! which under `qemu -icount shift=0` counts executed instructions exactly.
//!
//! Every row of the project's benchmark table (`cargo xtask bench` prints them beside
//! seL4's): Call+ReplyRecv round trips of 0 and 4 words to a server in the same address
//! space, in another one, and with both threads' FPU disabled; Send+Recv one way; a Signal
//! waking a higher-priority waiter, a Signal with no waiter, a Poll on an idle notification;
//! Yield; a null syscall (Reply with no caller, seL4's figure's operation); a Retype of one
//! endpoint, a Delete of an endpoint's last cap, a Copy + Delete pair; a TCB SetPriority
//! refused with RangeError and a TCB invocation refused with IllegalOperation; and the
//! instructions from power-on to the root task's first instruction. The IPC rows use raw
//! syscalls (`sel4::syscall::raw`), as seL4's own benchmarks use libsel4's inline stubs; the
//! object invocations go through the library (its marshalling is counted, as libsel4's is in
//! seL4's figures). Prints `bench: <name> <value>`.
#![no_std]
#![no_main]

use sel4::abi::tcb::TCB_FLAG_FPU_DISABLED;
use sel4::abi::{InvocationLabel, Syscall};
use sel4::cap_type::{Endpoint, Notification};
use sel4::syscall::{Regs, raw};
use sel4::{BootInfo, Cap, CapRights, MessageInfo, ObjectType, println};
use sel4_root_task::Allocator;
use sel4_root_task::thread::spawn;

sel4_root_task::main!(main);

const ROUNDS: u64 = 1000;
const WARMUP: u64 = 50;
/// Repetitions of the operations timed one at a time (each needs its own set-up).
const SINGLE: u64 = 200;

/// Reads the PMU cycle counter (guest instructions under icount).
#[inline(always)]
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

/// Receives forever (the other side of Send; also the waiter of Signal).
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

/// The one row to measure, if the benchmark was built for one (`cargo xtask bench
/// --profile ROW` builds it with `IPC_BENCH_ONLY=ROW`: only that row's measurement runs,
/// so an instruction trace holds it alone).
const ONLY: Option<&str> = option_env!("IPC_BENCH_ONLY");

/// Whether row `name` is measured in this build.
fn wanted(name: &str) -> bool {
    ONLY.is_none_or(|only| only == name)
}

/// Row `name`, measured by `run` if it is wanted: (name, figure).
fn row(name: &'static str, run: impl FnOnce() -> u64) -> (&'static str, Option<u64>) {
    (name, wanted(name).then(run))
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

/// Instructions of `op` alone, timed one at a time after `setup` (untimed) and averaged
/// over SINGLE repetitions, less what reading the counter costs.
fn measure_single(
    mut setup: impl FnMut(),
    mut op: impl FnMut(),
    mut teardown: impl FnMut(),
) -> u64 {
    let empty = {
        let mut total = 0;
        for _ in 0..SINGLE {
            let t0 = cycles();
            total += cycles() - t0;
        }
        total / SINGLE
    };
    let mut total = 0;
    for _ in 0..SINGLE {
        setup();
        let t0 = cycles();
        op();
        total += cycles() - t0;
        teardown();
    }
    (total / SINGLE).saturating_sub(empty)
}

/// The root task's IPC buffer (set in `main`).
static BUFFER: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// An invocation as a raw Call, as libsel4's stubs make it: words past the fourth and the
/// extra caps' cptrs written straight into the IPC buffer. Returns the reply's label (the
/// error, 0 for success).
#[inline(always)]
fn invoke_raw(cptr: u64, label: InvocationLabel, words: &[u64], caps: &[u64]) -> u64 {
    use sel4::abi::ipc_buffer::offset;
    let buffer = BUFFER.load(core::sync::atomic::Ordering::Relaxed);
    let mut mr = [0; 4];
    for (i, &w) in words.iter().enumerate() {
        if i < 4 {
            mr[i] = w;
        } else {
            // SAFETY: the root task's IPC buffer is mapped read-write at `buffer` and no
            // other thread uses it.
            unsafe { ((buffer + offset::msg(i)) as *mut u64).write_volatile(w) };
        }
    }
    for (i, &c) in caps.iter().enumerate() {
        // SAFETY: as above.
        unsafe { ((buffer + offset::caps_or_badges(i)) as *mut u64).write_volatile(c) };
    }
    let r = raw(
        Syscall::Call,
        Regs {
            x0: cptr,
            x1: MessageInfo::new(label.word(), 0, caps.len() as u64, words.len() as u64).to_word(),
            mr,
        },
    );
    MessageInfo::from_word(r.x1).label
}

/// TCB SetFlags on the root task's own TCB with a raw syscall (no FP/SIMD register used).
fn set_own_flags(clear: u64, set: u64) {
    raw(
        Syscall::Call,
        Regs {
            x0: sel4::init_thread_tcb().cptr(),
            x1: MessageInfo::new(InvocationLabel::TcbSetFlags.word(), 0, 0, 2).to_word(),
            mr: [clear, set, 0, 0],
        },
    );
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
    let cnode = sel4::init_thread_cnode();
    // The root task runs at 254 so that threads at 255 preempt it when woken.
    me.tcb_set_priority(me, 254)?;

    let ep: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    let near = spawn(bi, &mut a, server, ep.cptr(), 254, 0)?;
    let same0 = row("call_reply_recv_0_same_as", || {
        call_round_trip(ep.cptr(), 0)
    });
    let same4 = row("call_reply_recv_4_same_as", || {
        call_round_trip(ep.cptr(), 4)
    });

    // Both threads with the FPU disabled (TCB SetFlags), then enabled again. The root
    // task's own flag changes with a raw call: while it is off, nothing the root task runs
    // may touch an FP/SIMD register (the library builds its messages with them).
    near.tcb_set_flags(0, TCB_FLAG_FPU_DISABLED)?;
    set_own_flags(0, TCB_FLAG_FPU_DISABLED);
    let off0 = row("call_reply_recv_0_fpu_off", || {
        call_round_trip(ep.cptr(), 0)
    });
    let off4 = row("call_reply_recv_4_fpu_off", || {
        call_round_trip(ep.cptr(), 4)
    });
    set_own_flags(TCB_FLAG_FPU_DISABLED, 0);
    near.tcb_set_flags(TCB_FLAG_FPU_DISABLED, 0)?;

    // The server in another address space: same code and stack pool, its own VSpace.
    let ep2: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    let vs2 = sel4_root_task::vspace::new_vspace(&mut a)?;
    sel4_root_task::vspace::map_image(bi, &mut a, vs2)?;
    let far = spawn(bi, &mut a, server, ep2.cptr(), 254, 0)?;
    far.tcb_set_space(0, cnode, sel4::CNodeCapData::new(0, 0), vs2, 0)?;
    let other0 = row("call_reply_recv_0_cross_as", || {
        call_round_trip(ep2.cptr(), 0)
    });
    let other4 = row("call_reply_recv_4_cross_as", || {
        call_round_trip(ep2.cptr(), 4)
    });

    let ep3: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    spawn(bi, &mut a, receiver, ep3.cptr(), 255, 0)?;
    let send = row("send_recv_one_way", || {
        measure(|| {
            raw(
                Syscall::Send,
                Regs {
                    x0: ep3.cptr(),
                    x1: info(0),
                    ..Regs::default()
                },
            );
        })
    });

    let ntfn: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    spawn(bi, &mut a, receiver, ntfn.cptr(), 255, 0)?;
    let signal = |n: Cap<Notification>| {
        raw(
            Syscall::Send,
            Regs {
                x0: n.cptr(),
                x1: info(0),
                ..Regs::default()
            },
        );
    };
    let wake = row("ntfn_signal_wake", || measure(|| signal(ntfn)));
    let lonely: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    let no_waiter = row("signal_no_waiter", || measure(|| signal(lonely)));
    let idle: Cap<Notification> = a.make(ObjectType::Notification, 0)?;
    let poll = row("poll_idle", || {
        measure(|| {
            raw(
                Syscall::NBRecv,
                Regs {
                    x0: idle.cptr(),
                    ..Regs::default()
                },
            );
        })
    });

    let yld = row("yield", || {
        measure(|| {
            raw(Syscall::Yield, Regs::default());
        })
    });
    // seL4's null syscall figure is a Reply with no caller: nothing to reply to.
    let null = row("null_syscall", || {
        measure(|| {
            raw(Syscall::Reply, Regs::default());
        })
    });

    // Object invocations, one at a time: a Retype of one endpoint into an empty slot, a
    // Delete of that endpoint's only cap, and a Copy of it with the copy's Delete.
    BUFFER.store(bi.ipc_buffer(), core::sync::atomic::Ordering::Relaxed);
    let (ut, cn) = (a.untyped().cptr(), cnode.cptr());
    let (slot, copy) = (a.slot(), a.slot());
    let endpoint = ObjectType::Endpoint as u64;
    let retype = || {
        invoke_raw(
            ut,
            InvocationLabel::UntypedRetype,
            &[endpoint, 0, 0, 0, slot, 1],
            &[cn],
        );
    };
    let delete = |s: u64| invoke_raw(cn, InvocationLabel::CNodeDelete, &[s, 64], &[]);
    let retype_ep = row("retype_endpoint", || {
        measure_single(
            || {},
            retype,
            || {
                delete(slot);
            },
        )
    });
    let delete_last = row("delete_last_cap", || {
        measure_single(
            retype,
            || {
                delete(slot);
            },
            || {},
        )
    });
    retype();
    let all = CapRights::all().word();
    let copy_delete = row("copy_delete_pair", || {
        measure_single(
            || {},
            || {
                invoke_raw(
                    cn,
                    InvocationLabel::CNodeCopy,
                    &[copy, 64, slot, 64, all],
                    &[cn],
                );
                delete(copy);
            },
            || {},
        )
    });
    delete(slot);

    // Invocations the kernel refuses: a priority above the authority's MCP (RangeError),
    // and a label a TCB does not have (IllegalOperation).
    let range = row("set_priority_range_error", || {
        measure(|| {
            invoke_raw(
                me.cptr(),
                InvocationLabel::TcbSetPriority,
                &[300],
                &[me.cptr()],
            );
        })
    });
    let illegal = row("call_tcb_illegal_operation", || {
        measure(|| {
            raw(
                Syscall::Call,
                Regs {
                    x0: me.cptr(),
                    x1: MessageInfo::new(0xffff, 0, 0, 0).to_word(),
                    ..Regs::default()
                },
            );
        })
    });

    for (name, value) in [
        same0,
        same4,
        other0,
        other4,
        off0,
        off4,
        send,
        wake,
        no_waiter,
        poll,
        yld,
        null,
        retype_ep,
        delete_last,
        copy_delete,
        range,
        illegal,
    ] {
        if let Some(v) = value {
            println!("bench: {name} {v}");
        }
    }
    if wanted("power_on_to_root_task") {
        println!("bench: power_on_to_root_task {boot}");
    }
    Ok(())
}
