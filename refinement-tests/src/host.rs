//! The host differential harness: the kernel's portable core on the simulated machine and
//! the spec, booted in the same layout, driven by the same generated programs of root-task
//! invocations and compared after every step (replies, the running thread, every cap the
//! program can reach). Used by `tests/host_differential.rs` and the mutant run
//! (`tests/mutants.rs`).

use kernel::api::Event;
use kernel::kernel::boot::{self, BootParams, elf::testelf, regions::Region, regions::RegionList};
use kernel::kernel::thread::lookup_ipc_buffer;
use kernel::machine::Memory;
use kernel::machine::sim::SimMachine;
use kernel::model::KernelState;
use kernel::model::tcb::{field, reg};
use kernel::model::{Cap as KCap, Slot, Tcb};
use kernel::trace::handle_event;
use proptest::prelude::*;
use sel4_abi::context::index;
use sel4_abi::ipc_buffer::offset as buf;
use sel4_abi::registers::{MSG_INFO_REGISTER as INFO_REGISTER, MSG_REGISTERS};
use sel4_abi::{BootInfo, InvocationLabel as L, MessageInfo, ObjectType, Syscall, init_cap};
use spec::harness::Sim;
use spec::kernel::boot::{BootConfig, BootLayout};
use spec::model::cap::Cap as SCap;
use std::cell::Cell;
use std::mem::offset_of;

pub const RAM: Region = Region::new(0x4000_0000, 0x4400_0000);
pub const KERNEL: Region = Region::new(0x4020_0000, 0x4030_0000);
pub const ELF_AT: u64 = 0x4030_0000;
/// Slots of the root CNode the generated programs work in (after the untypeds).
pub const WINDOW: u64 = 40;
pub const DEPTH: u64 = 64;

/// The kernel's portable core on a simulated machine, and the root task's thread.
pub struct Kernel {
    pub m: SimMachine,
    pub ks: KernelState,
    pub root: Tcb,
}

/// A kernel cap in the trace's terms: every field seL4 keeps (`kernel::trace::project`).
pub fn kproj(c: &KCap) -> trace_format::CapProj {
    kernel::trace::project(c)
}

/// A spec cap in the same terms (`replay::cap_proj`).
pub fn sproj(c: &SCap) -> trace_format::CapProj {
    crate::replay::cap_proj(c)
}

/// Boots the kernel's core and the spec in the same layout; returns both, the slots of the
/// normal-memory untypeds (the first few, largest last) and where the free slots start.
pub fn boot_both() -> (Kernel, Sim, u64, u64, u64) {
    let mut m = SimMachine::new(RAM.start, RAM.len() as usize);
    let image = testelf::build(
        0x40_0000,
        &[
            (0x40_0000, &[0x1f; 3000], 3000),
            (0x40_2000, &[0; 16], 0x2000),
        ],
    );
    for (i, b) in image.iter().enumerate() {
        m.write_byte(ELF_AT + i as u64, *b);
    }
    let mut ram = RegionList::new();
    ram.add(RAM).unwrap();
    let params = BootParams {
        ram,
        kernel_image: KERNEL,
        dtb: Region::sized(0x4000_0000, 0x100),
        root_elf: ELF_AT,
        kernel_devices: RegionList::new(),
    };
    let mut ks = KernelState::new();
    let r = boot::init(&mut ks, &mut m, &params).expect("boot");
    // The kernel's IRQ node and timer, as the arch layer sets them, inside the kernel image.
    kernel::kernel::interrupt::init_irqs(&mut ks, 1023, KERNEL.start + 0x1_0000);
    // The trace starts here, as on the target: every entry the programs make is recorded
    // and replayed on a spec booted from the trace alone (`check`).
    if TRACING.get() {
        m.trace = Some(Vec::new());
        kernel::trace::boot(&mut ks, &mut m, &r, KERNEL.start);
    }

    let bi = r.layout.boot_info;
    let word = |off: usize| m.read_word(bi + off as u64);
    let (u_start, u_end) = (
        word(offset_of!(BootInfo, untyped)),
        word(offset_of!(BootInfo, untyped) + 8),
    );
    let untypeds = (0..u_end - u_start)
        .map(|i| {
            let d = bi + offset_of!(BootInfo, untyped_list) as u64 + i * 16;
            let w = m.read_word(d + 8);
            (m.read_word(d), (w & 0xff) as u8, (w >> 8) & 1 == 1)
        })
        .collect();
    let cfg = BootConfig {
        untypeds,
        cnode_bits: 12,
        ipc_buffer_vaddr: word(offset_of!(BootInfo, ipc_buffer)),
        bootinfo_vaddr: r.tcb.reg(&m, reg::X0),
        entry: r.tcb.reg(&m, reg::PC),
        max_irq: 1023,
        timer_irq: 27,
        layout: Some(BootLayout {
            cnode: r.layout.cnode,
            vspace: r.layout.vspace,
            asid_pool: r.layout.asid_pool,
            ipc_buffer: r.layout.ipc_buffer,
            bootinfo: r.layout.boot_info,
            tcb: r.tcb.0,
            idle: KERNEL.start,
            irq_node: KERNEL.start + 0x1_0000,
        }),
        first_untyped_slot: u_start,
        ..BootConfig::default()
    };
    let first_ram = cfg
        .untypeds
        .iter()
        .position(|u| !u.2)
        .expect("RAM untypeds") as u64;
    let sim = Sim::boot(&cfg);
    let empty = word(offset_of!(BootInfo, empty));
    // Programs retype from normal memory (a device untyped makes only frames); the last
    // RAM untypeds are the largest.
    let ram = (u_start + first_ram).max(u_end.saturating_sub(6));
    (Kernel { m, ks, root: r.tcb }, sim, ram, u_end, empty)
}

impl Kernel {
    /// The root task makes a syscall, as the exception entry would hand it to the kernel.
    /// The current thread makes a syscall, as the exception entry would hand it over.
    pub fn syscall(&mut self, sys: Syscall, cptr: u64, label: u64, words: &[u64], caps: &[u64]) {
        let t = self.ks.current.expect("a thread to make the syscall");
        let info = MessageInfo::new(label, 0, caps.len() as u64, words.len() as u64);
        // x0..x7 as the spec's syscall event gives them: unused message registers are 0.
        for r in 0..8 {
            t.set_reg(&mut self.m, r, 0);
        }
        t.set_reg(&mut self.m, reg::X0, cptr);
        t.set_reg(&mut self.m, INFO_REGISTER, info.to_word());
        t.set_reg(&mut self.m, 7, sys.word());
        let b = lookup_ipc_buffer(&self.m, t, false);
        for (i, &w) in words.iter().enumerate() {
            match (MSG_REGISTERS.get(i), b) {
                (Some(&r), _) => t.set_reg(&mut self.m, r, w),
                (None, Some(b)) => self.m.write_word(b + buf::msg(i), w),
                (None, None) => {}
            }
        }
        for (i, &c) in caps.iter().enumerate() {
            if let Some(b) = b {
                self.m.write_word(b + buf::caps_or_badges(i), c);
            }
        }
        // The thread is at its `svc`: the exception returns after it, and seL4's FaultIP
        // (the restart pc) is the `svc` itself, as the arch entry sets them.
        let pc = t.reg(&self.m, reg::PC);
        t.set_reg(&mut self.m, reg::PC, pc.wrapping_add(4));
        t.set(&mut self.m, field::FAULT_IP, pc);
        handle_event(&mut self.ks, &mut self.m, Event::Syscall);
    }

    /// The timer ticks while the current thread runs: the arch entry records where it was
    /// as its restart pc (seL4's FaultIP), then the kernel handles the tick.
    pub fn tick(&mut self) {
        if let Some(t) = self.ks.current {
            let pc = t.reg(&self.m, reg::PC);
            t.set(&mut self.m, field::FAULT_IP, pc);
        }
        handle_event(&mut self.ks, &mut self.m, Event::TimerTick);
    }

    /// What thread `t` sees: the message label and words in its registers and buffer.
    pub fn reply(&self, t: Tcb) -> (u64, Vec<u64>) {
        let info = MessageInfo::from_word_clamped(t.reg(&self.m, INFO_REGISTER));
        // Without an IPC buffer (its frame cap revoked) a message is only the registers.
        let b = lookup_ipc_buffer(&self.m, t, true);
        let n = match b {
            Some(_) => info.length as usize,
            None => (info.length as usize).min(MSG_REGISTERS.len()),
        };
        let words = (0..n)
            .map(|i| match (MSG_REGISTERS.get(i), b) {
                (Some(&r), _) => t.reg(&self.m, r),
                (None, Some(b)) => self.m.read_word(b + buf::msg(i)),
                (None, None) => 0,
            })
            .collect();
        (info.label, words)
    }

    pub fn cap(&self, cnode: u64, i: u64) -> KCap {
        Slot::of(cnode, i).cap(&self.m)
    }
}

/// One step of a generated program, with cptrs and slot indices already chosen.
#[derive(Clone, Debug)]
pub enum Step {
    /// A Call: an invocation whose reply is compared.
    Call {
        cptr: u64,
        label: u64,
        words: Vec<u64>,
        caps: Vec<u64>,
    },
    /// DebugCapIdentify: the cap type in x0 is compared.
    Identify { cptr: u64 },
    /// `n` timer ticks (5 end a timeslice): round robin among equal priorities.
    Ticks(u8),
    /// An NBRecv (a Poll on a notification): the badge (x0) and message info (x1) are
    /// compared.
    NBRecv { cptr: u64 },
    /// An IPC syscall (Send, NBSend, Recv, Reply, ReplyRecv, Call, Yield) by the running
    /// thread: its view and that of the thread running next are compared.
    Ipc {
        sys: Syscall,
        cptr: u64,
        label: u64,
        words: Vec<u64>,
        caps: Vec<u64>,
    },
}

/// A step's syscall: the number, the cptr, the label, the message words and the caps.
pub type StepSyscall<'a> = (Syscall, u64, u64, &'a [u64], &'a [u64]);

impl Step {
    /// The syscall a step makes (None for timer ticks).
    pub fn syscall(&self) -> Option<StepSyscall<'_>> {
        match self {
            Step::Call {
                cptr,
                label,
                words,
                caps,
            } => Some((Syscall::Call, *cptr, *label, words, caps)),
            Step::Ipc {
                sys,
                cptr,
                label,
                words,
                caps,
            } => Some((*sys, *cptr, *label, words, caps)),
            Step::Identify { cptr } => Some((Syscall::DebugCapIdentify, *cptr, 0, &[], &[])),
            Step::NBRecv { cptr } => Some((Syscall::NBRecv, *cptr, 0, &[], &[])),
            Step::Ticks(_) => None,
        }
    }
}

/// The slots a program names: the work window, the untypeds, the initial caps (mostly as
/// sources: deleting the root task's own TCB, CNode or VSpace stops the program).
pub fn slot(u: (u64, u64), empty: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        // Mostly a few dense slots, so that objects made are then copied, minted, moved...
        8 => (0..6u64).prop_map(move |i| empty + i),
        3 => (0..WINDOW).prop_map(move |i| empty + i),
        2 => u.0..u.1,
        1 => 0u64..16,
        1 => any::<u64>(),
    ]
}

pub fn window(empty: u64) -> impl Strategy<Value = u64> {
    prop_oneof![
        12 => (0..6u64).prop_map(move |i| empty + i),
        6 => (0..WINDOW).prop_map(move |i| empty + i),
        1 => any::<u64>(),
    ]
}

pub fn depth() -> impl Strategy<Value = u64> {
    prop_oneof![9 => Just(DEPTH), 1 => prop::sample::select(vec![0u64, 1, 12, 52, 65])]
}

pub fn small_word() -> impl Strategy<Value = u64> {
    prop_oneof![
        prop::sample::select(vec![
            0u64, 1, 2, 3, 4, 5, 9, 11, 12, 16, 21, 40, 47, 48, 63, 64, 255, 256
        ]),
        any::<u64>(),
    ]
}

/// One generated step: `u` is the untyped range, `e` the first free slot, `ipc_buffer` the
/// root task's IPC buffer address (the threads a program makes share it).
pub fn step(u: (u64, u64), e: u64, ipc_buffer: u64) -> impl Strategy<Value = Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let retype = (
        u.0..u.1,
        0u64..12,
        small_word(),
        prop_oneof![3 => 0..6u64, 1 => 0..WINDOW],
        1u64..4,
    )
        .prop_map(move |(ut, ty, size, off, n)| Step::Call {
            cptr: ut,
            label: L::UntypedRetype as u64,
            words: vec![ty, size, 0, 0, e + off, n],
            caps: vec![cn],
        });
    let cnode_op = (
        prop::sample::select(vec![
            L::CNodeCopy,
            L::CNodeMint,
            L::CNodeMove,
            L::CNodeMutate,
            L::CNodeDelete,
            L::CNodeRevoke,
            L::CNodeRotate,
            L::CNodeSaveCaller,
            L::CNodeCancelBadgedSends,
        ]),
        window(e),
        depth(),
        slot(u, e),
        depth(),
        0u64..16,
        small_word(),
        slot(u, e),
    )
        .prop_map(move |(op, dest, dd, src, sd, rights, data, pivot)| {
            // Revoke, Delete and CancelBadgedSends also reach the untypeds and initial caps
            // (through the source slot), so revokes find children.
            let target = if data & 3 != 0 { dest } else { src };
            let words = match op {
                L::CNodeCopy => vec![dest, dd, src, sd, rights],
                L::CNodeMint => vec![dest, dd, src, sd, rights, data],
                L::CNodeMove => vec![dest, dd, src, sd],
                L::CNodeMutate => vec![dest, dd, src, sd, data],
                L::CNodeRotate => vec![dest, dd, data, pivot, sd, data >> 1, src, sd],
                _ => vec![target, dd],
            };
            let caps = if op == L::CNodeRotate {
                vec![cn, cn]
            } else {
                vec![cn]
            };
            Step::Call {
                cptr: cn,
                label: op as u64,
                words,
                caps,
            }
        });
    let tcb_op = (
        // The root task's own TCB too: lowering its MCP then bounds its later requests.
        prop_oneof![5 => window(e), 1 => Just(init_cap::INIT_THREAD_TCB)],
        prop::sample::select(vec![
            L::TcbSetPriority,
            L::TcbSetMcPriority,
            L::TcbSuspend,
            L::TcbSetTlsBase,
            L::TcbSetFlags,
            L::TcbBindNotification,
            L::TcbUnbindNotification,
            L::TcbReadRegisters,
            L::TcbConfigure,
            L::TcbConfigure,
            L::TcbResume,
            L::TcbResume,
        ]),
        0u64..300,
        window(e),
    )
        .prop_map(move |(t, op, v, other)| {
            let (words, caps) = match op {
                // A thread in the root task's CSpace and VSpace, sharing its IPC buffer
                // frame (the programs' threads run no code of their own: each step is a
                // syscall by whichever thread runs), with a fault endpoint from the window.
                L::TcbConfigure => (
                    vec![if v & 1 == 0 { 0 } else { other }, 0, 0, ipc_buffer],
                    vec![
                        cn,
                        init_cap::INIT_THREAD_VSPACE,
                        init_cap::INIT_THREAD_IPC_BUFFER,
                    ],
                ),
                L::TcbResume => (vec![], vec![]),
                L::TcbSetPriority | L::TcbSetMcPriority => {
                    (vec![v.min(254)], vec![init_cap::INIT_THREAD_TCB])
                }
                L::TcbBindNotification => (vec![], vec![other]),
                L::TcbReadRegisters => (vec![0, v % 40], vec![]),
                L::TcbSetFlags => (vec![0, v & 1], vec![]),
                _ => (vec![v], vec![]),
            };
            Step::Call {
                cptr: t,
                label: op as u64,
                words,
                caps,
            }
        });
    let send = (
        window(e),
        0u64..60,
        prop::collection::vec(small_word(), 0..6),
    )
        .prop_map(|(cptr, label, words)| Step::Ipc {
            sys: Syscall::NBSend,
            cptr,
            label,
            words,
            caps: vec![],
        });
    let garbage = (
        slot(u, e),
        0u64..52,
        prop::collection::vec(small_word(), 0..8),
        prop::collection::vec(slot(u, e), 0..3),
    )
        .prop_map(|(cptr, label, words, caps)| Step::Call {
            cptr,
            label,
            words,
            caps,
        });
    let ipc = (
        prop::sample::select(vec![
            Syscall::Send,
            Syscall::Recv,
            Syscall::Recv,
            Syscall::Reply,
            Syscall::ReplyRecv,
            Syscall::Yield,
            Syscall::Call,
        ]),
        prop_oneof![
            2 => window(e),
            3 => Just(e + PRELUDE_SLOTS),
            1 => Just(e + PRELUDE_SLOTS + 1),
        ],
        0u64..4,
        prop::collection::vec(small_word(), 0..7),
        prop::collection::vec(prop_oneof![window(e), Just(0u64)], 0..2),
    )
        .prop_map(|(sys, cptr, label, words, caps)| Step::Ipc {
            sys,
            cptr,
            label,
            words,
            caps,
        });
    // Memory: VSpaces, page tables and frames made, assigned an ASID, mapped and unmapped
    // in VSpaces the program made (the root task's own holds boot tables the spec does
    // not model), at a few addresses so that mappings meet.
    let vm_retype = (
        u.0..u.1,
        prop::sample::select(vec![
            ObjectType::VSpace,
            ObjectType::PageTable,
            ObjectType::SmallPage,
            ObjectType::LargePage,
        ]),
        prop_oneof![3 => 0..6u64, 1 => 0..WINDOW],
        1u64..3,
    )
        .prop_map(move |(ut, ty, off, n)| Step::Call {
            cptr: ut,
            label: L::UntypedRetype as u64,
            words: vec![ty as u64, 0, 0, 0, e + off, n],
            caps: vec![cn],
        });
    let vm = (
        prop::sample::select(vec![
            L::ArmAsidPoolAssign,
            L::ArmPageTableMap,
            L::ArmPageTableMap,
            L::ArmPageTableUnmap,
            L::ArmPageMap,
            L::ArmPageMap,
            L::ArmPageUnmap,
            L::ArmPageGetAddress,
            L::ArmPageCleanData,
            L::ArmVSpaceCleanData,
        ]),
        window(e),
        prop_oneof![2 => Just(e + PRELUDE_SLOTS + 4), 1 => window(e)],
        prop::sample::select(vec![
            0x1000_0000u64,
            0x1000_1000,
            0x1020_0000,
            0x4000_0000,
            0x7f_ffff_f000,
            0x1000_0800,
            0x8000_0000_0000,
        ]),
        0u64..4,
    )
        .prop_map(|(op, target, vspace, vaddr, rights)| {
            let (cptr, words, caps) = match op {
                L::ArmAsidPoolAssign => (init_cap::INIT_THREAD_ASID_POOL, vec![], vec![target]),
                L::ArmPageTableMap => (target, vec![vaddr, 0], vec![vspace]),
                L::ArmPageMap => (target, vec![vaddr, rights, 0], vec![vspace]),
                L::ArmPageCleanData => (target, vec![0, 64], vec![]),
                L::ArmVSpaceCleanData => (vspace, vec![vaddr, vaddr + 64], vec![]),
                _ => (target, vec![], vec![]),
            };
            Step::Call {
                cptr,
                label: op as u64,
                words,
                caps,
            }
        });
    prop_oneof![
        4 => retype,
        2 => vm_retype,
        3 => vm,
        6 => cnode_op,
        3 => tcb_op,
        3 => ipc,
        1 => send,
        2 => garbage,
        1 => slot(u, e).prop_map(|cptr| Step::Identify { cptr }),
        1 => window(e).prop_map(|cptr| Step::NBRecv { cptr }),
        1 => (1u8..8).prop_map(Step::Ticks),
    ]
}

/// Steps that are skipped rather than run: a poll (NBRecv) of anything but an endpoint or
/// notification would stop the thread with a cap fault (the programs' threads have no
/// fault handler), so only slot 0 (always empty) and pointers outside the root CNode are
/// left to do that: programs then run to their end far more often.
///
/// Also skipped: remaps and cache operations on the BootInfo and IPC-buffer frames. The
/// spec gives their caps the boot mappings but does not hold the page tables the kernel
/// built for them at boot, so it cannot answer these (a known gap of the spec's boot).
pub fn skipped(k: &Kernel, s: &Step) -> bool {
    if let Step::Call {
        cptr, label, words, ..
    } = s
        && [init_cap::BOOT_INFO_FRAME, init_cap::INIT_THREAD_IPC_BUFFER].contains(cptr)
    {
        let aligned_map =
            *label == L::ArmPageMap as u64 && words.first().is_some_and(|v| v & 0xfff == 0);
        let cache_op =
            (L::ArmPageCleanData as u64..=L::ArmPageUnifyInstruction as u64).contains(label);
        return aligned_map || cache_op;
    }
    let Step::NBRecv { cptr } = s else {
        return false;
    };
    let cn = k.ks.current.map(|t| t.cap(&k.m, 0));
    let Some(KCap::CNode { ptr, .. }) = cn else {
        return true;
    };
    // Only slot indices within the root CNode resolve at depth 64 (guard 0, radix 12).
    if *cptr == 0 || *cptr >= 4096 {
        return false;
    }
    !matches!(
        k.cap(ptr, *cptr),
        KCap::Endpoint { .. } | KCap::Notification { .. }
    )
}

thread_local! {
    static COUNTS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// Programs run and steps compared so far on this thread (each test has its own).
pub fn counts() -> (u64, u64) {
    COUNTS.with(Cell::get)
}

fn count(programs: u64, steps: u64) {
    COUNTS.with(|c| {
        let (p, s) = c.get();
        c.set((p + programs, s + steps));
    });
}

pub fn run(
    program: &[Step],
    k: &mut Kernel,
    s: &mut Sim,
    compare: &[u64],
) -> Result<(), TestCaseError> {
    let cnode = s.layout.cnode;
    for (n, st) in program.iter().enumerate() {
        // Each step is a syscall by the running thread; with none, the program is over.
        let Some(t) = k.ks.current else {
            break;
        };
        if skipped(k, st) {
            continue;
        }
        count(0, 1);
        // A thread may delete its own TCB: then there is no view of it to compare.
        let view = |k: &Kernel, s: &Sim, t: Tcb| {
            s.s.is_tcb(t.0).then(|| {
                let sr = s.reply_of(t.0);
                (k.reply(t), (sr.label, sr.words))
            })
        };
        match st {
            Step::Call {
                cptr,
                label,
                words,
                caps,
            } => {
                k.syscall(Syscall::Call, *cptr, *label, words, caps);
                s.syscall(Syscall::Call, *cptr, *label, words, caps);
                if let Some((kv, sv)) = view(k, s, t) {
                    prop_assert_eq!(kv, sv, "step {}: {:?}", n, st);
                }
            }
            Step::Ticks(n) => {
                count(0, u64::from(*n) - 1);
                for _ in 0..*n {
                    k.tick();
                    s.event(spec::api::event::Event::TimerTick);
                }
            }
            Step::Identify { cptr } => {
                k.syscall(Syscall::DebugCapIdentify, *cptr, 0, &[], &[]);
                s.syscall(Syscall::DebugCapIdentify, *cptr, 0, &[], &[]);
                let sx0 = s.s.tcb(t.0).regs[index::X0];
                prop_assert_eq!(t.reg(&k.m, reg::X0), sx0, "step {}: {:?}", n, st);
            }
            Step::NBRecv { cptr } => {
                k.syscall(Syscall::NBRecv, *cptr, 0, &[], &[]);
                s.syscall(Syscall::NBRecv, *cptr, 0, &[], &[]);
                if s.s.is_tcb(t.0) {
                    let regs = s.s.tcb(t.0).regs;
                    let kx = (t.reg(&k.m, reg::X0), t.reg(&k.m, INFO_REGISTER));
                    prop_assert_eq!(
                        kx,
                        (regs[index::X0], regs[index::X1]),
                        "step {}: {:?}",
                        n,
                        st
                    );
                }
            }
            Step::Ipc {
                sys,
                cptr,
                label,
                words,
                caps,
            } => {
                k.syscall(*sys, *cptr, *label, words, caps);
                s.syscall(*sys, *cptr, *label, words, caps);
                if let Some((kv, sv)) = view(k, s, t) {
                    prop_assert_eq!(kv, sv, "step {}: {:?}: the caller's view", n, st);
                }
                // The thread that runs next (a receiver just woken, say) sees the same.
                if let Some(next) = k.ks.current.filter(|&c| c != t)
                    && let Some((kv, sv)) = view(k, s, next)
                {
                    prop_assert_eq!(kv, sv, "step {}: {:?}: the next thread's view", n, st);
                    let regs = s.s.tcb(next.0).regs;
                    prop_assert_eq!(
                        next.reg(&k.m, reg::X0),
                        regs[index::X0],
                        "step {}: {:?}: the next thread's badge",
                        n,
                        st
                    );
                }
            }
        }
        // The kernel runs no idle thread object: None is the spec's idle thread.
        prop_assert_eq!(
            k.ks.current.map_or(s.s.idle, |t| t.0),
            s.s.current,
            "step {}: the running thread",
            n
        );
        for &i in compare {
            let kcap = k.cap(cnode, i);
            let (kc, sc) = (kproj(&kcap), sproj(&s.root_cap(i)));
            prop_assert_eq!(kc, sc, "step {}: {:?}: slot {}", n, st, i);
            // Every thread the program can name: what it would see (message, badge), and
            // whether it can run, blocked senders and receivers included.
            if let KCap::Thread { tcb } = kcap
                && let Some((kv, sv)) = view(k, s, Tcb(tcb))
            {
                let t = Tcb(tcb);
                let regs = s.s.tcb(tcb).regs;
                // x0 is the badge, x1 the whole message info (caps sent and unwrapped too).
                prop_assert_eq!(
                    (kv, t.reg(&k.m, reg::X0), t.reg(&k.m, INFO_REGISTER)),
                    (sv, regs[index::X0], regs[index::X1]),
                    "step {}: {:?}: the thread of slot {}",
                    n,
                    st,
                    i
                );
                prop_assert_eq!(
                    t.state(&k.m).is_runnable(),
                    s.s.tcb(tcb).state.is_runnable(),
                    "step {}: {:?}: whether the thread of slot {} can run",
                    n,
                    st,
                    i
                );
            }
        }
    }
    Ok(())
}

/// Generated programs: 1 to 39 steps in the booted world's slots.
pub fn program() -> impl Strategy<Value = Vec<Step>> {
    let (k, _, u0, u1, e) = boot_both();
    let ipc_buffer = k.root.ipc_buffer(&k.m);
    let prelude = prelude(u1, e, ipc_buffer);
    prop::collection::vec(step((u0, u1), e, ipc_buffer), 1..40).prop_map(move |random| {
        let mut p = prelude.clone();
        p.extend(random);
        p
    })
}

/// Where the prelude puts its endpoint, notification, two threads and address space (after
/// the dense slots most steps use).
pub const PRELUDE_SLOTS: u64 = 6;
/// Where the prelude's address space has its page tables.
pub const PRELUDE_VADDR: u64 = 0x1000_0000;

/// Every generated program starts with an endpoint, a notification and two threads at
/// priority 100 (below the root task's 255), configured and resumed: they run whenever the
/// root task blocks, so IPC steps meet partners; and an address space with its tables in
/// place, so frame steps map.
pub fn prelude(u1: u64, e: u64, ipc_buffer: u64) -> Vec<Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let ut = u1 - 1;
    let (ep, ntfn, t1, t2) = (
        e + PRELUDE_SLOTS,
        e + PRELUDE_SLOTS + 1,
        e + PRELUDE_SLOTS + 2,
        e + PRELUDE_SLOTS + 3,
    );
    let retype = |ty: ObjectType, slot: u64, n: u64| {
        call(
            ut,
            L::UntypedRetype,
            vec![ty as u64, 0, 0, 0, slot, n],
            vec![cn],
        )
    };
    let mut p = vec![
        retype(ObjectType::Endpoint, ep, 1),
        retype(ObjectType::Notification, ntfn, 1),
        retype(ObjectType::Tcb, t1, 2),
    ];
    // The second thread's faults go to the endpoint, where the others may receive them.
    for (t, fault_ep) in [(t1, 0), (t2, ep)] {
        p.push(call(
            t,
            L::TcbConfigure,
            vec![fault_ep, 0, 0, ipc_buffer],
            vec![
                cn,
                init_cap::INIT_THREAD_VSPACE,
                init_cap::INIT_THREAD_IPC_BUFFER,
            ],
        ));
        p.push(call(
            t,
            L::TcbSetPriority,
            vec![100],
            vec![init_cap::INIT_THREAD_TCB],
        ));
        p.push(call(t, L::TcbResume, vec![], vec![]));
    }
    // An address space: a VSpace with an ASID and the three levels of tables that cover
    // PRELUDE_VADDR, so frames can be mapped there at once.
    let vs = e + PRELUDE_SLOTS + 4;
    p.push(retype(ObjectType::VSpace, vs, 1));
    p.push(call(
        init_cap::INIT_THREAD_ASID_POOL,
        L::ArmAsidPoolAssign,
        vec![],
        vec![vs],
    ));
    p.push(retype(ObjectType::PageTable, vs + 1, 3));
    for pt in vs + 1..vs + 4 {
        p.push(call(
            pt,
            L::ArmPageTableMap,
            vec![PRELUDE_VADDR, 0],
            vec![vs],
        ));
    }
    p
}

/// Boots both and runs `program` with `make` applied to the untyped range and first free
/// slot, comparing the initial caps, the untypeds and the work window after every step.
pub fn check(make: impl FnOnce(u64, u64, u64, u64) -> Vec<Step>) -> Result<(), TestCaseError> {
    let (mut k, mut s, u0, u1, e) = boot_both();
    let program = make(u0, u1, e, k.root.ipc_buffer(&k.m));
    let compare: Vec<u64> = (1..16).chain(u0..u1).chain(e..e + WINDOW).collect();
    count(1, 0);
    run(&program, &mut k, &mut s, &compare)?;
    replay_recorded(&k)
}

/// Runs `program` on the kernel alone (no spec beside it) and returns the trace it
/// recorded: what a QEMU run gives the replay.
pub fn record(make: impl FnOnce(u64, u64, u64, u64) -> Vec<Step>) -> Vec<u64> {
    TRACING.set(true);
    let (mut k, _, u0, u1, e) = boot_both();
    for st in &make(u0, u1, e, k.root.ipc_buffer(&k.m)) {
        if k.ks.current.is_none() {
            break;
        }
        if skipped(&k, st) {
            continue;
        }
        match (st, st.syscall()) {
            (Step::Ticks(n), _) => {
                for _ in 0..*n {
                    k.tick();
                }
            }
            (_, Some((sys, cptr, label, words, caps))) => k.syscall(sys, cptr, label, words, caps),
            (_, None) => {}
        }
    }
    k.m.trace.unwrap_or_default()
}

thread_local! {
    /// Whether the kernel records its trace and `check` replays it (on unless a test,
    /// such as the mutant run, turns it off for speed).
    pub static TRACING: Cell<bool> = const { Cell::new(true) };
}

/// Records the fixed program `name` on the kernel alone and decodes its trace.
pub fn record_fixed(name: &str) -> trace_format::Trace {
    let words = record(|_, u1, e, b| {
        fixed_programs(u1, e, b)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p)
            .expect("a fixed program of that name")
    });
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    trace_format::decode(&bytes).expect("the kernel writes a trace the decoder reads")
}

/// Replays the trace the kernel recorded (if it recorded one) on a spec booted from the
/// trace alone.
pub fn replay_recorded(k: &Kernel) -> Result<(), TestCaseError> {
    let Some(words) = &k.m.trace else {
        return Ok(());
    };
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let trace = trace_format::decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    crate::replay::replay(&trace)
        .map(|_| ())
        .map_err(|d| TestCaseError::fail(format!("trace replay: {d}")))
}

fn call(cptr: u64, label: L, words: Vec<u64>, caps: Vec<u64>) -> Step {
    Step::Call {
        cptr,
        label: label as u64,
        words,
        caps,
    }
}

/// Fixed programs, kept as regression tests: each pins a behaviour random programs reach
/// only rarely. `u1 - 1` is the largest untyped, `e` the first free slot, `ipc_buffer` the
/// root task's IPC buffer address.
pub fn fixed_programs(u1: u64, e: u64, ipc_buffer: u64) -> Vec<(&'static str, Vec<Step>)> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let ut = u1 - 1;
    let retype = |ty: ObjectType, slot: u64, n: u64| {
        call(
            ut,
            L::UntypedRetype,
            vec![ty as u64, 0, 0, 0, slot, n],
            vec![cn],
        )
    };
    let mint = |dest: u64, src: u64, rights: u64, badge: u64| {
        call(
            cn,
            L::CNodeMint,
            vec![dest, DEPTH, src, DEPTH, rights, badge],
            vec![cn],
        )
    };
    let signal = |cptr| Step::Ipc {
        sys: Syscall::NBSend,
        cptr,
        label: 0,
        words: vec![],
        caps: vec![],
    };
    vec![
        (
            // Rights masks and badges: an endpoint copied with Write only, minted with
            // Read and a badge, then the badged copy minted again (refused).
            "copied and minted rights and badges",
            vec![
                retype(ObjectType::Endpoint, e, 1),
                call(cn, L::CNodeCopy, vec![e + 1, DEPTH, e, DEPTH, 1], vec![cn]),
                mint(e + 2, e, 2, 9),
                mint(e + 3, e + 2, 15, 5),
            ],
        ),
        (
            // Two signals with different badges, then a poll: the badges are OR-ed.
            "signals accumulate their badges",
            vec![
                retype(ObjectType::Notification, e, 1),
                mint(e + 1, e, 15, 0b01),
                mint(e + 2, e, 15, 0b10),
                signal(e + 1),
                signal(e + 2),
                Step::NBRecv { cptr: e },
                Step::NBRecv { cptr: e },
            ],
        ),
        (
            // A notification, then a TCB (aligned to its 2 KiB), then a revoke of the
            // untyped's two children and a retype that reuses the memory.
            "retype alignment, watermark and revoke",
            vec![
                retype(ObjectType::Notification, e, 1),
                retype(ObjectType::Tcb, e + 1, 2),
                call(cn, L::CNodeRevoke, vec![ut, DEPTH], vec![]),
                retype(ObjectType::Endpoint, e + 3, 1),
            ],
        ),
        (
            // A copy of an untyped with children is refused; an empty source reports its
            // depth as bits left.
            "untyped copies and missing sources",
            vec![
                retype(ObjectType::Endpoint, e, 1),
                call(
                    cn,
                    L::CNodeCopy,
                    vec![e + 1, DEPTH, ut, DEPTH, 15],
                    vec![cn],
                ),
                call(
                    cn,
                    L::CNodeCopy,
                    vec![e + 2, DEPTH, e + 5, DEPTH, 15],
                    vec![cn],
                ),
            ],
        ),
        (
            // Between threads: a badge delivered to the receiver; a cap sent without Grant
            // dropped, with Grant unwrapped (an endpoint cap to the same endpoint).
            "badges and grants through an endpoint",
            {
                let ep = e + PRELUDE_SLOTS;
                let ipc = |sys: Syscall, cptr: u64, caps: Vec<u64>| Step::Ipc {
                    sys,
                    cptr,
                    label: 0,
                    words: vec![5],
                    caps,
                };
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    mint(e + 1, ep, 15, 7),
                    mint(e + 2, ep, 3, 9),
                    // The root task blocks sending; the first thread receives.
                    ipc(Syscall::Send, e + 2, vec![e + 1]),
                    ipc(Syscall::Recv, ep, vec![]),
                    ipc(Syscall::Send, e + 1, vec![e + 1]),
                    ipc(Syscall::Recv, ep, vec![]),
                ]);
                p
            },
        ),
        (
            // seL4's order of checks: a remap of the mapped BootInfo frame at a misaligned
            // address is an AlignmentError; DomainSetSet checks the domain before the TCB.
            "orders of checks",
            vec![
                call(
                    init_cap::BOOT_INFO_FRAME,
                    L::ArmPageMap,
                    vec![1, 0, 0],
                    vec![init_cap::INIT_THREAD_VSPACE],
                ),
                call(init_cap::DOMAIN, L::DomainSetSet, vec![1], vec![]),
            ],
        ),
        (
            // The domain schedule: entries, end markers, the starting entry.
            "the domain schedule",
            {
                let d = init_cap::DOMAIN;
                let conf = |w: Vec<u64>| call(d, L::ScheduleConfigure, w, vec![]);
                let start = |i: u64| call(d, L::ScheduleSetStart, vec![i], vec![]);
                vec![
                    conf(vec![2, 0, 1]),
                    conf(vec![1, 1, 1]),
                    conf(vec![1, 0, u64::MAX]),
                    conf(vec![0, 0, 0]),
                    start(1),
                    conf(vec![1, 0, 9]),
                    start(1),
                    conf(vec![1, 0, 0]),
                    conf(vec![0, 0, 0]),
                    start(0),
                ]
            },
        ),
        (
            // The root task stops (a cap fault, no handler); the second thread's cap fault
            // goes to its fault endpoint, which the first thread then deletes: non-MCS seL4
            // restarts the faulting thread (it faults again), it does not stop it.
            "a fault in flight when its endpoint is deleted",
            {
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    call(4096, L::InvalidInvocation, vec![], vec![]),
                    Step::Ipc {
                        sys: Syscall::Recv,
                        cptr: e,
                        label: 0,
                        words: vec![],
                        caps: vec![],
                    },
                    call(cn, L::CNodeDelete, vec![e + PRELUDE_SLOTS, DEPTH], vec![cn]),
                ]);
                p
            },
        ),
        (
            // A frame mapped, remapped only in place, unmapped, mapped elsewhere; a page
            // table unmapped under it; the address space deleted.
            "frames mapped and unmapped",
            {
                let vs = e + PRELUDE_SLOTS + 4;
                let map = |vaddr: u64| call(e, L::ArmPageMap, vec![vaddr, 3, 0], vec![vs]);
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    call(
                        ut,
                        L::UntypedRetype,
                        vec![ObjectType::SmallPage as u64, 0, 0, 0, e, 1],
                        vec![cn],
                    ),
                    map(PRELUDE_VADDR),
                    call(e, L::ArmPageGetAddress, vec![], vec![]),
                    map(PRELUDE_VADDR + 0x1000),
                    call(e, L::ArmPageUnmap, vec![], vec![]),
                    map(PRELUDE_VADDR + 0x1000),
                    call(vs + 3, L::ArmPageTableUnmap, vec![], vec![]),
                    call(e, L::ArmPageUnmap, vec![], vec![]),
                    call(cn, L::CNodeDelete, vec![vs, DEPTH], vec![cn]),
                ]);
                p
            },
        ),
        (
            // Without IPC buffers (their frame cap revoked) a message is truncated to the
            // four message registers.
            "messages without IPC buffers are truncated",
            {
                let ep = e + PRELUDE_SLOTS;
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    call(
                        cn,
                        L::CNodeRevoke,
                        vec![init_cap::INIT_THREAD_IPC_BUFFER, DEPTH],
                        vec![cn],
                    ),
                    Step::Ipc {
                        sys: Syscall::Send,
                        cptr: ep,
                        label: 3,
                        words: vec![1, 2, 3, 4, 5, 6],
                        caps: vec![],
                    },
                    Step::Ipc {
                        sys: Syscall::Recv,
                        cptr: ep,
                        label: 0,
                        words: vec![],
                        caps: vec![],
                    },
                ]);
                p
            },
        ),
        (
            // A priority above the MCP is refused.
            "priorities within the MCP",
            vec![
                call(
                    init_cap::INIT_THREAD_TCB,
                    L::TcbSetMcPriority,
                    vec![100],
                    vec![init_cap::INIT_THREAD_TCB],
                ),
                call(
                    init_cap::INIT_THREAD_TCB,
                    L::TcbSetPriority,
                    vec![200],
                    vec![init_cap::INIT_THREAD_TCB],
                ),
            ],
        ),
        (
            // SGI signal caps: every refusal of IssueSGISignal in seL4's order, a cap issued,
            // identified, copied, invoked with two labels, then revoked with IRQControl.
            "SGI signal caps",
            {
                let irq_control = init_cap::IRQ_CONTROL;
                let sgi =
                    |words: Vec<u64>| call(irq_control, L::ArmIrqIssueSgiSignal, words, vec![cn]);
                vec![
                    sgi(vec![0, 0, e]),
                    sgi(vec![16, 9, e, DEPTH]),
                    sgi(vec![15, 8, e, DEPTH]),
                    sgi(vec![15, 7, 2, DEPTH]),
                    sgi(vec![15, 7, e, 65]),
                    sgi(vec![15, 7, e, DEPTH]),
                    Step::Identify { cptr: e },
                    call(
                        cn,
                        L::CNodeCopy,
                        vec![e + 1, DEPTH, e, DEPTH, 0xf],
                        vec![cn],
                    ),
                    Step::Call {
                        cptr: e + 1,
                        label: 0,
                        words: vec![],
                        caps: vec![],
                    },
                    Step::Call {
                        cptr: e,
                        label: 50,
                        words: vec![1, 2],
                        caps: vec![],
                    },
                    // A second cap for the same SGI and target is no child of the first:
                    // revoking the first takes its copy only.
                    sgi(vec![15, 7, e + 2, DEPTH]),
                    call(cn, L::CNodeRevoke, vec![e, DEPTH], vec![]),
                    Step::Identify { cptr: e + 1 },
                    Step::Identify { cptr: e + 2 },
                    call(cn, L::CNodeRevoke, vec![irq_control, DEPTH], vec![]),
                    Step::Identify { cptr: e },
                ]
            },
        ),
        (
            // A thread whose only cap lives in a CNode that is deleted: its zombie is parked
            // in the thread's own first slot, where nothing finishes it; the thread is gone
            // from the kernel's list at once, and from the spec's projection too.
            "a thread whose last cap goes with its CNode",
            vec![
                call(
                    ut,
                    L::UntypedRetype,
                    vec![ObjectType::CapTable as u64, 2, 0, 0, e, 1],
                    vec![cn],
                ),
                call(
                    ut,
                    L::UntypedRetype,
                    vec![ObjectType::Tcb as u64, 0, e, DEPTH, 0, 1],
                    vec![cn],
                ),
                call(cn, L::CNodeDelete, vec![e, DEPTH], vec![]),
                Step::Identify { cptr: e },
            ],
        ),
    ]
}

/// The outcome of a run of generated programs.
pub struct GeneratedRun {
    /// The seed the programs came from (give it back to reproduce the run).
    pub seed: u64,
    /// The first divergence, shrunk to a minimal program, if any.
    pub failure: Option<String>,
}

/// Runs `cases` generated programs from `seed` (a random one if `None`), shrinking the
/// first divergence (a differing step, or a kernel panic) to a minimal program.
pub fn run_generated(cases: u32, seed: Option<u64>) -> GeneratedRun {
    use proptest::test_runner::TestError;
    let seed = seed.unwrap_or_else(fresh_seed);
    let mut runner = seeded_runner(cases, seed, None);
    let failure = match runner.run(&program(), |p| check(|_, _, _, _| p)) {
        Ok(()) => None,
        Err(TestError::Fail(why, minimal)) => Some(format!("{why}\n{}", listing(&minimal))),
        Err(TestError::Abort(why)) => Some(format!("aborted: {why}")),
    };
    GeneratedRun { seed, failure }
}

/// A seed nobody chose (printed by every run, so a failure can be reproduced).
pub fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A proptest runner for `cases` programs from `seed`, with at most `max_shrink_iters`
/// shrinking steps (proptest's default if `None`).
pub fn seeded_runner(
    cases: u32,
    seed: u64,
    max_shrink_iters: Option<u32>,
) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    if let Some(n) = max_shrink_iters {
        config.max_shrink_iters = n;
    }
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    )
}

/// A program, one numbered step a line, as a failure prints its minimal program.
pub fn listing(program: &[Step]) -> String {
    let steps: Vec<String> = program
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  {i}: {s:?}"))
        .collect();
    format!(
        "minimal program ({} steps):\n{}",
        program.len(),
        steps.join("\n")
    )
}

/// A number from the environment, or `default`; a malformed one is an error that says so.
pub fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: expected a decimal number")),
    )
}
