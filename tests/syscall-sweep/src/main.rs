//! The random-arguments sweep: thousands of syscalls and invocations with random labels,
//! message words, lengths, extra caps and capability pointers, made by a fuzzer thread in a
//! sandbox CSpace holding caps of every kind. Whatever the fuzzer does to itself (blocks,
//! faults, suspends itself, deletes its caps), the root task, at a lower priority, runs only
//! when the fuzzer has stopped, and restarts it where it left off. The kernel must answer
//! every call and stay alive to the end.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use sel4::abi::{CNodeCapData, InvocationLabel, Syscall, UserContext};
use sel4::cap_type::{CNode, Endpoint, Tcb, VSpace};
use sel4::syscall::{Regs, raw_number};
use sel4::{BootInfo, Cap, CapRights, MessageInfo, ObjectType, println};
use sel4_root_task::Allocator;
use sel4_root_task::thread::image_frame;

sel4_root_task::main!(main);

/// Invocations to make in all.
const TOTAL: u64 = 5000;
/// log2 of the sandbox CNode's slots.
const SANDBOX_BITS: u64 = 6;

/// Invocations made so far (the fuzzer's position, kept across restarts).
static DONE: AtomicU64 = AtomicU64::new(0);
/// Replies per label seen (0 = success, 1..=10 seL4 errors, 11 = other).
static LABELS: [AtomicU64; 12] = [const { AtomicU64::new(0) }; 12];

#[repr(C, align(4096))]
struct Page([u8; 4096]);
#[repr(C, align(16))]
struct Stack([u8; 32768]);
static mut BUFFER: Page = Page([0; 4096]);
static mut STACK: Stack = Stack([0; 32768]);

/// A small fast generator (xorshift*), seeded per invocation so a restart repeats nothing.
fn rand(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// A word biased towards the values that reach deep into decoders: small numbers, slot
/// indices, depths, object types, sizes, and extremes.
fn word(s: &mut u64) -> u64 {
    match rand(s) % 8 {
        0 => rand(s) % 16,
        1 => rand(s) % (1 << SANDBOX_BITS),
        2 => [0, 1, 6, 12, 21, 30, 47, 48, 63, 64, 65, 255, 256][(rand(s) % 13) as usize],
        3 => u64::MAX - rand(s) % 4,
        4 => 1 << (rand(s) % 64),
        5 => 0x40_0000 + (rand(s) % 64) * 4096,
        _ => rand(s),
    }
}

/// A capability pointer: mostly sandbox slots (filled or empty), sometimes garbage.
fn cptr(s: &mut u64) -> u64 {
    match rand(s) % 6 {
        0 => rand(s),
        1 => rand(s) % 256,
        _ => rand(s) % (1 << SANDBOX_BITS),
    }
}

/// The invocation labels of the object first placed in sandbox slot `slot` (see `main`).
fn labels_for(slot: u64) -> (u64, u64) {
    use InvocationLabel as L;
    let l = |a: L, b: L| (a as u64, b as u64);
    match slot {
        5 | 6 => l(L::UntypedRetype, L::UntypedRetype),
        7 | 19 => l(L::CNodeRevoke, L::CNodeSaveCaller),
        8 | 21 => l(L::TcbReadRegisters, L::TcbSetFlags),
        9..=11 => l(L::ArmPageMap, L::ArmPageGetAddress),
        12 | 13 => l(L::ArmPageTableMap, L::ArmPageTableUnmap),
        14..=16 => l(L::ArmVSpaceCleanData, L::ArmVSpaceUnifyInstruction),
        17 => l(L::DomainSetSet, L::DomainSetSet),
        18 => l(L::ArmAsidControlMakePool, L::ArmAsidPoolAssign),
        20 => l(L::IrqIssueIrqHandler, L::IrqClearIrqHandler),
        _ => (0, 4),
    }
}

/// The fuzzer: one random syscall per step, from step DONE on.
extern "C" fn fuzzer(_: u64) -> ! {
    loop {
        let n = DONE.load(Ordering::Relaxed);
        if n >= TOTAL {
            // Finished: stop for good (the root task sees DONE = TOTAL).
            raw_number(
                Syscall::Recv.word(),
                Regs {
                    x0: u64::MAX,
                    ..Regs::default()
                },
            );
            continue;
        }
        DONE.store(n + 1, Ordering::Relaxed);
        let mut s = 0x9e37_79b9_7f4a_7c15 ^ n.wrapping_mul(0xff51_afd7_ed55_8ccd);
        rand(&mut s);
        // Mostly Call (answered), then the others; a few unknown numbers (faults).
        let sys = match rand(&mut s) % 20 {
            0..=11 => Syscall::Call.word(),
            12 => Syscall::NBSend.word(),
            13 => Syscall::Send.word(),
            14 => Syscall::NBRecv.word(),
            15 => Syscall::Recv.word(),
            16 => Syscall::Reply.word(),
            17 => Syscall::ReplyRecv.word(),
            18 => Syscall::Yield.word(),
            _ => [
                (-10i64) as u64,
                (-12i64) as u64,
                (-20i64) as u64,
                7,
                (-13i64) as u64,
            ][(rand(&mut s) % 5) as usize],
        };
        let target = cptr(&mut s);
        let label = match rand(&mut s) % 8 {
            0 => rand(&mut s),
            1 | 2 => rand(&mut s) % (InvocationLabel::ArmIrqIssueSgiSignal as u64 + 2),
            // Mostly a label of the object first put in that slot, to get past the first
            // checks into the decoder's argument checks.
            _ => {
                let (lo, hi) = labels_for(target);
                lo + rand(&mut s) % (hi - lo + 1)
            }
        };
        let len = rand(&mut s) % 10
            + if rand(&mut s).is_multiple_of(8) {
                rand(&mut s) % 130
            } else {
                0
            };
        let caps = rand(&mut s) % 4;
        let info = MessageInfo::new(label, 0, caps, len).to_word();
        let buf = &raw mut BUFFER as *mut u64;
        for i in 0..len.min(120) as usize + 1 {
            // SAFETY: BUFFER is this thread's IPC buffer (1 KiB used), only it writes it.
            unsafe { buf.add(1 + i).write_volatile(word(&mut s)) };
        }
        for i in 0..3 {
            // SAFETY: as above: caps_or_badges[i] is word 122 + i.
            unsafe { buf.add(122 + i).write_volatile(cptr(&mut s)) };
        }
        let r = raw_number(
            sys,
            Regs {
                x0: target,
                x1: info,
                mr: [word(&mut s), word(&mut s), word(&mut s), word(&mut s)],
            },
        );
        if sys == Syscall::Call.word() {
            let l = MessageInfo::from_word(r.x1).label.min(11) as usize;
            LABELS[l].fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn main(bi: &BootInfo) -> Result<(), sel4::Error> {
    let mut a = Allocator::new(bi);
    let cnode = sel4::init_thread_cnode();
    let me = sel4::init_thread_tcb();
    me.tcb_set_priority(me, 100)?;

    // The sandbox: a CNode whose guard makes it resolve 64-bit cptrs, filled with caps of
    // every kind the fuzzer may destroy, copy, badge, map, bind or retype.
    let sandbox: Cap<CNode> = a.make(ObjectType::CapTable, SANDBOX_BITS)?;
    let guard = CNodeCapData::new(0, 64 - SANDBOX_BITS);
    let mut next = 1u64;
    // Makes an object and moves its cap into the sandbox's next slot.
    let give =
        |a: &mut Allocator, next: &mut u64, ty: ObjectType, size: u64| -> Result<(), sel4::Error> {
            let c: Cap<sel4::cap_type::Unspecified> = a.make(ty, size)?;
            let dst = sel4::AbsoluteCPtr::new(sandbox, *next, SANDBOX_BITS);
            dst.move_(&cnode.relative_bits(c.cptr(), 64))?;
            *next += 1;
            Ok(())
        };
    for (ty, size) in [
        (ObjectType::Endpoint, 0),
        (ObjectType::Endpoint, 0),
        (ObjectType::Notification, 0),
        (ObjectType::Notification, 0),
        (ObjectType::Untyped, 16),
        (ObjectType::Untyped, 12),
        (ObjectType::CapTable, 4),
        (ObjectType::Tcb, 0),
        (ObjectType::SmallPage, 0),
        (ObjectType::SmallPage, 0),
        (ObjectType::LargePage, 0),
        (ObjectType::PageTable, 0),
        (ObjectType::PageTable, 0),
        (ObjectType::VSpace, 0),
        (ObjectType::VSpace, 0),
    ] {
        give(&mut a, &mut next, ty, size)?;
    }
    // A VSpace with an ASID to map into, the domain cap, and the sandbox itself.
    let vs: Cap<VSpace> = a.make(ObjectType::VSpace, 0)?;
    sel4::init_thread_asid_pool().asid_pool_assign(vs)?;
    for src in [
        vs.cptr(),
        sel4::domain().cptr(),
        sel4::asid_control().cptr(),
    ] {
        let dst = sel4::AbsoluteCPtr::new(sandbox, next, SANDBOX_BITS);
        dst.copy(&cnode.relative_bits(src, 64), CapRights::all())?;
        next += 1;
    }
    let dst = sel4::AbsoluteCPtr::new(sandbox, next, SANDBOX_BITS);
    dst.mint(
        &cnode.relative_bits(sandbox.cptr(), 64),
        CapRights::all(),
        guard.to_word(),
    )?;
    next += 1;
    // An IRQ handler (any line but the timer's) the fuzzer may bind, ack and clear.
    let irq_slot = sel4::AbsoluteCPtr::new(sandbox, next, SANDBOX_BITS);
    sel4::irq_control().irq_control_get(40, &irq_slot)?;
    next += 1;

    // The fuzzer: its own CSpace (the sandbox), our VSpace, its own IPC buffer and stack.
    let tcb: Cap<Tcb> = a.make(ObjectType::Tcb, 0)?;
    let tdst = sel4::AbsoluteCPtr::new(sandbox, next, SANDBOX_BITS);
    tdst.copy(&cnode.relative_bits(tcb.cptr(), 64), CapRights::all())?;
    next += 1;
    // Its faults go to an endpoint nobody receives on: a faulting fuzzer just stops (and is
    // restarted) without a console line, unless it destroyed that cap itself.
    let fault_ep = next;
    give(&mut a, &mut next, ObjectType::Endpoint, 0)?;
    let buf = &raw const BUFFER as u64;
    tcb.tcb_configure(
        fault_ep,
        sandbox,
        guard,
        sel4::init_thread_vspace(),
        0,
        buf,
        image_frame(bi, buf),
    )?;
    tcb.tcb_set_sched_params(me, 200, 200)?;

    let mut restarts = 0u64;
    let mut last = u64::MAX;
    while DONE.load(Ordering::Relaxed) < TOTAL {
        // We run only while the fuzzer is stopped (blocked, faulted, suspended): restart it.
        let done = DONE.load(Ordering::Relaxed);
        if done == last && restarts > 20 * TOTAL {
            println!("sweep: the fuzzer makes no progress at step {done}");
            return Err(sel4::Error::IllegalOperation);
        }
        last = done;
        let _ = tcb.tcb_suspend();
        let mut regs = UserContext::new();
        regs.pc = fuzzer as *const () as u64;
        regs.sp = &raw const STACK as u64 + 32768;
        tcb.tcb_write_all_registers(true, &regs)?;
        restarts += 1;
    }
    let _ = tcb.tcb_suspend();
    let l: [u64; 12] = core::array::from_fn(|i| LABELS[i].load(Ordering::Relaxed));
    let calls: u64 = l.iter().sum();
    println!(
        "sweep: {TOTAL} syscalls made, {calls} calls answered, {restarts} restarts of the fuzzer"
    );
    println!(
        "sweep: replies: ok {}, InvalidArgument {}, InvalidCapability {}, IllegalOperation {}, RangeError {}, AlignmentError {}, FailedLookup {}, TruncatedMessage {}, DeleteFirst {}, RevokeFirst {}, NotEnoughMemory {}, other labels {}",
        l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10], l[11]
    );
    // The kernel still does its work after all that: one more object, one more copy.
    let ep: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    cnode
        .relative_bits(a.slot(), 64)
        .copy(&cnode.relative_bits(ep.cptr(), 64), CapRights::all())?;
    println!("sweep: kernel alive");
    Ok(())
}
