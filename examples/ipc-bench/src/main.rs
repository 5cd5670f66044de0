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

use sel4::abi::{Syscall, init_cap};
use sel4::cap_type::{CNode, Endpoint, Notification, PageTable, SmallPage, Tcb, Untyped, VSpace};
use sel4::syscall::{Regs, raw};
use sel4::{
    BootInfo, CNodeCapData, Cap, CapRights, MessageInfo, ObjectType, UserContext, VmAttributes,
    println,
};

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

#[repr(C, align(4096))]
struct Page([u8; 4096]);
#[repr(C, align(16))]
struct Stack([u8; 16384]);

static mut PAGES: [Page; 4] = [const { Page([0; 4096]) }; 4];
static mut STACKS: [Stack; 4] = [const { Stack([0; 16384]) }; 4];

unsafe extern "C" {
    static __ehdr_start: u8;
}

/// Hands out free slots and objects from one untyped.
struct Alloc<'a> {
    bi: &'a BootInfo,
    next: u64,
    ut: Cap<Untyped>,
}

impl Alloc<'_> {
    fn slot(&mut self) -> u64 {
        self.next += 1;
        self.next - 1
    }
    fn make<T: sel4::cap_type::CapType>(
        &mut self,
        ty: ObjectType,
        size: u64,
    ) -> Result<Cap<T>, sel4::Error> {
        let s = self.slot();
        self.ut
            .untyped_retype(ty, size, &sel4::init_thread_cnode().itself(), s, 1)?;
        Ok(Cap::from_cptr(s))
    }
    /// The frame cap of a page of this program's image, and its address.
    fn image_page(&self, addr: u64) -> (Cap<SmallPage>, u64) {
        let start = &raw const __ehdr_start as u64;
        (
            Cap::from_cptr(self.bi.user_image_frames().start + (addr - start) / 4096),
            addr,
        )
    }
}

/// Starts a thread at `entry(arg)` with IPC buffer page `i` and stack `i`.
fn spawn(
    a: &mut Alloc,
    vspace: Cap<VSpace>,
    i: usize,
    entry: extern "C" fn(u64) -> !,
    arg: u64,
    prio: u64,
) -> Result<Cap<Tcb>, sel4::Error> {
    let tcb: Cap<Tcb> = a.make(ObjectType::Tcb, 0)?;
    let (frame, buf) = a.image_page(&raw const PAGES as u64 + i as u64 * 4096);
    let cnode: Cap<CNode> = sel4::init_thread_cnode();
    tcb.tcb_configure(0, cnode, CNodeCapData::new(0, 0), vspace, 0, buf, frame)?;
    tcb.tcb_set_sched_params(sel4::init_thread_tcb(), prio, prio)?;
    let mut regs = UserContext::new();
    regs.pc = entry as usize as u64;
    regs.sp = &raw const STACKS as u64 + (i as u64 + 1) * 16384;
    regs.x0 = arg;
    tcb.tcb_write_all_registers(true, &regs)?;
    Ok(tcb)
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

/// A second VSpace holding the same image pages, so a server there runs this same code in
/// another address space (its own ASID and page tables).
fn second_vspace(a: &mut Alloc) -> Result<Cap<VSpace>, sel4::Error> {
    let vs: Cap<VSpace> = a.make(ObjectType::VSpace, 0)?;
    sel4::init_thread_asid_pool().asid_pool_assign(vs)?;
    let frames = a.bi.user_image_frames();
    let start = &raw const __ehdr_start as u64;
    let cnode = sel4::init_thread_cnode();
    for (i, f) in (frames.start..frames.end).enumerate() {
        let vaddr = start + i as u64 * 4096;
        let copy = a.slot();
        cnode
            .relative_bits(copy, 64)
            .copy(&cnode.relative_bits(f, 64), CapRights::all())?;
        let page: Cap<SmallPage> = Cap::from_cptr(copy);
        // Create each missing page-table level as the mapping asks for it.
        loop {
            match page.frame_map(vs, vaddr, CapRights::all(), VmAttributes::DEFAULT) {
                Err(sel4::Error::FailedLookup { .. }) => {
                    let pt: Cap<PageTable> = a.make(ObjectType::PageTable, 0)?;
                    pt.page_table_map(vs, vaddr, VmAttributes::DEFAULT)?;
                }
                r => break r?,
            }
        }
    }
    Ok(vs)
}

fn main(bi: &BootInfo) -> Result<(), sel4::Error> {
    let boot = cycles();
    let ut = bi
        .untyped_caps()
        .filter(|(_, d)| d.is_device == 0)
        .max_by_key(|(_, d)| d.size_bits)
        .map(|(c, _)| c)
        .expect("an untyped");
    let mut a = Alloc {
        bi,
        next: bi.empty().start,
        ut,
    };
    let vspace = sel4::init_thread_vspace();
    let me = sel4::init_thread_tcb();
    // The root task runs at 254 so that threads at 255 preempt it when woken.
    me.tcb_set_priority(me, 254)?;

    let ep: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    spawn(&mut a, vspace, 0, server, ep.cptr(), 254)?;
    let same0 = call_round_trip(ep.cptr(), 0);
    let same4 = call_round_trip(ep.cptr(), 4);

    let ep2: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    let vs2 = second_vspace(&mut a)?;
    spawn(&mut a, vs2, 1, server, ep2.cptr(), 254)?;
    let other0 = call_round_trip(ep2.cptr(), 0);
    let other4 = call_round_trip(ep2.cptr(), 4);

    let ep3: Cap<Endpoint> = a.make(ObjectType::Endpoint, 0)?;
    spawn(&mut a, vspace, 2, receiver, ep3.cptr(), 255)?;
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
    spawn(&mut a, vspace, 3, waiter, ntfn.cptr(), 255)?;
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

    let _ = init_cap::NULL;
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
