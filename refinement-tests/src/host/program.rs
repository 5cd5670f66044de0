//! Generated programs: the steps (root-task syscalls with their cptrs and slots chosen),
//! the strategies that make them, and the prelude every program starts with.

use super::world::{DEPTH, WINDOW, boot_both};
use proptest::prelude::*;
use sel4_abi::{InvocationLabel as L, ObjectType, Syscall, init_cap};

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
    /// The running thread takes a synchronous exception with this syndrome (ESR_EL1) and
    /// fault address (FAR_EL1): an abort, an undefined instruction, a breakpoint, or any
    /// syndrome at all. Both sides decode it (the kernel's arch decoding against the
    /// spec's); a thread with a fault handler sends it a fault message, one without stops.
    /// (Host only: a program on QEMU skips it.)
    Exception { esr: u64, far: u64 },
    /// Interrupt line `irq` fires: the kernel takes it if the interrupt controller has it
    /// enabled (as the hardware would), and the spec is given the same interrupt. (Host
    /// only.)
    Interrupt { irq: u64 },
    /// An `svc` with a syscall number seL4 does not have (x7): an UnknownSyscall fault,
    /// sent to the thread's fault handler or stopping it; the other registers are as the
    /// thread left them.
    UnknownSyscall { number: u64 },
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
            Step::Ticks(_)
            | Step::Exception { .. }
            | Step::Interrupt { .. }
            | Step::UnknownSyscall { .. } => None,
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
    prop_oneof![
        4 => retype_step(u, e),
        2 => vm_retype_step(u, e),
        3 => vm_step(e),
        6 => cnode_step(u, e),
        3 => tcb_step(e, ipc_buffer),
        3 => ipc_step(e),
        1 => send_step(e),
        2 => garbage_step(u, e),
        1 => slot(u, e).prop_map(|cptr| Step::Identify { cptr }),
        1 => window(e).prop_map(|cptr| Step::NBRecv { cptr }),
        1 => (1u8..8).prop_map(Step::Ticks),
        1 => exception_step(),
        1 => prop_oneof![
            Just(0u64),
            1u64..64,
            Just(-100i64 as u64),
            Just(-15i64 as u64),
            any::<u64>()
        ]
        .prop_map(|number| Step::UnknownSyscall { number }),
        3 => irq_step(e),
        1 => domain_step(e),
        1 => control_step(u, e),
    ]
}

/// The domain cap: a thread's domain set (this configuration has one domain, 0), the
/// domain schedule's entries configured and its start chosen, in range or not.
fn domain_step(e: u64) -> impl Strategy<Value = Step> {
    let threads = [e + PRELUDE_SLOTS + 2, e + PRELUDE_SLOTS + 3];
    (
        prop::sample::select(vec![
            L::DomainSetSet,
            L::ScheduleConfigure,
            L::ScheduleSetStart,
        ]),
        prop_oneof![3 => Just(0u64), 1 => 0u64..300],
        prop_oneof![3 => prop::sample::select(threads.to_vec()), 1 => window(e)],
        0u64..4,
        prop_oneof![2 => 1u64..20, 1 => Just(0u64), 1 => any::<u64>()],
    )
        .prop_map(|(label, v, thread, index, duration)| {
            let (words, caps) = match label {
                L::DomainSetSet => (vec![v], vec![thread]),
                // An entry: its index, its domain, its duration in ticks.
                L::ScheduleConfigure => (vec![index, v, duration], vec![]),
                _ => (vec![index], vec![]),
            };
            call(init_cap::DOMAIN, label, words, caps)
        })
}

/// The other control caps: an ASID pool made from a 4 KiB untyped of the window, and an
/// SGI signal cap issued for one of the sixteen SGIs and a target (valid or not).
fn control_step(u: (u64, u64), e: u64) -> impl Strategy<Value = Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let small = prop_oneof![3 => Just(e + 5), 1 => window(e)];
    let pool = (small.clone(), window(e), depth()).prop_map(move |(ut, dest, d)| {
        call(
            init_cap::ASID_CONTROL,
            L::ArmAsidControlMakePool,
            vec![dest, d],
            vec![ut, cn],
        )
    });
    // Mostly from the prelude's untyped (RAM: a pool cannot be made of device memory).
    let four_k =
        (prop_oneof![3 => Just(u.1 - 1), 1 => u.0..u.1], small).prop_map(move |(ut, dest)| {
            Step::Call {
                cptr: ut,
                label: L::UntypedRetype as u64,
                words: vec![ObjectType::Untyped as u64, 12, 0, 0, dest, 1],
                caps: vec![cn],
            }
        });
    let sgi = (
        prop_oneof![3 => 0u64..16, 1 => any::<u64>()],
        prop_oneof![3 => 0u64..8, 1 => any::<u64>()],
        window(e),
    )
        .prop_map(move |(irq, target, dest)| {
            call(
                init_cap::IRQ_CONTROL,
                L::ArmIrqIssueSgiSignal,
                vec![irq, target, dest, DEPTH],
                vec![cn],
            )
        });
    prop_oneof![2 => pool, 2 => four_k, 1 => sgi]
}

/// Interrupt lines the programs use: two shared peripheral lines, a private one, the
/// timer's (IRQControl refuses it), the last line and one past it.
const IRQ_LINES: [u64; 6] = [33, 40, 20, sel4_abi::config::KERNEL_TIMER_IRQ, 1023, 1024];

/// IRQ handlers: issued (with and without a trigger) into the window, acknowledged, given
/// the prelude's notification or another cap, cleared; and interrupts on those lines.
fn irq_step(e: u64) -> impl Strategy<Value = Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let line = prop::sample::select(IRQ_LINES.to_vec());
    let issue = (line.clone(), window(e), prop::option::of(0u64..3)).prop_map(
        move |(irq, slot, trigger)| match trigger {
            None => call(
                init_cap::IRQ_CONTROL,
                L::IrqIssueIrqHandler,
                vec![irq, slot, DEPTH],
                vec![cn],
            ),
            Some(t) => call(
                init_cap::IRQ_CONTROL,
                L::ArmIrqIssueIrqHandlerTrigger,
                vec![irq, t, slot, DEPTH],
                vec![cn],
            ),
        },
    );
    let ntfn = e + PRELUDE_SLOTS + 1;
    let handler = (
        prop_oneof![2 => Just(e + IRQ_HANDLER_SLOT), 1 => window(e)],
        prop::sample::select(vec![
            L::IrqAckIrq,
            L::IrqSetIrqHandler,
            L::IrqClearIrqHandler,
        ]),
        prop_oneof![3 => Just(ntfn), 1 => window(e)],
    )
        .prop_map(|(cptr, label, cap)| match label {
            L::IrqSetIrqHandler => call(cptr, label, vec![], vec![cap]),
            _ => call(cptr, label, vec![], vec![]),
        });
    prop_oneof![
        2 => issue,
        3 => handler,
        // Mostly the lines a handler is likeliest to hold.
        3 => prop_oneof![4 => prop::sample::select(vec![33u64, 40]), 1 => line]
            .prop_map(|irq| Step::Interrupt { irq }),
    ]
}

/// A synchronous exception: data and instruction aborts from EL0 (a translation, access
/// flag or permission fault, a read or a write) at an address near the program's mappings
/// or anywhere, undefined instructions, breakpoints, and random syndromes (never the
/// FP/SIMD trap, which the arch layer handles without an event, nor an svc).
fn exception_step() -> impl Strategy<Value = Step> {
    let il = 1u64 << 25;
    let abort = (
        prop::sample::select(vec![0x20u64, 0x24]),
        prop::sample::select(vec![0x04u64, 0x05, 0x06, 0x07, 0x09, 0x0b, 0x0d, 0x0f]),
        any::<bool>(),
        prop_oneof![
            Just(PRELUDE_VADDR),
            (0u64..0x4000).prop_map(|o| PRELUDE_VADDR + o),
            any::<u64>(),
        ],
    )
        .prop_map(move |(class, fsc, write, far)| Step::Exception {
            esr: class << 26 | il | u64::from(write && class == 0x24) << 6 | fsc,
            far,
        });
    let other = prop_oneof![
        Just(il),
        (0u64..0x1_0000).prop_map(move |imm| 0x3c << 26 | il | imm),
        any::<u32>()
            // Not the FP/SIMD trap (the arch layer's own) nor an svc (a syscall step).
            .prop_filter("not FP/SIMD or svc", |w| !matches!(
                (w >> 26) & 0x3f,
                0x07 | 0x15
            ))
            .prop_map(u64::from),
    ]
    .prop_map(|esr| Step::Exception { esr, far: 0 });
    prop_oneof![2 => abort, 1 => other]
}

/// Steps of the kind `retype`.
fn retype_step(u: (u64, u64), e: u64) -> impl Strategy<Value = Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    (
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
        })
}

/// Steps of the kind `cnode_op`.
fn cnode_step(u: (u64, u64), e: u64) -> impl Strategy<Value = Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    (
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
        })
}

/// Steps of the kind `tcb_op`.
fn tcb_step(e: u64, ipc_buffer: u64) -> impl Strategy<Value = Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let threads = [e + PRELUDE_SLOTS + 2, e + PRELUDE_SLOTS + 3];
    let ntfn = e + PRELUDE_SLOTS + 1;
    (
        // The root task's own TCB too: lowering its MCP then bounds its later requests;
        // and the prelude's threads, which hold a live thread's state.
        prop_oneof![
            4 => window(e),
            2 => prop::sample::select(threads.to_vec()),
            1 => Just(init_cap::INIT_THREAD_TCB),
        ],
        prop::sample::select(vec![
            L::TcbSetPriority,
            L::TcbSetMcPriority,
            L::TcbSetSchedParams,
            L::TcbSuspend,
            L::TcbSetTlsBase,
            L::TcbSetFlags,
            L::TcbBindNotification,
            L::TcbBindNotification,
            L::TcbUnbindNotification,
            L::TcbUnbindNotification,
            L::TcbReadRegisters,
            L::TcbWriteRegisters,
            L::TcbCopyRegisters,
            L::TcbSetIpcBuffer,
            L::TcbSetSpace,
            L::TcbConfigure,
            L::TcbConfigure,
            L::TcbResume,
            L::TcbResume,
        ]),
        0u64..300,
        prop_oneof![2 => Just(ntfn), 3 => window(e)],
    )
        .prop_map(move |(t, op, v, other)| {
            // Never the root task's registers: on QEMU it runs the program.
            let t = match op {
                L::TcbWriteRegisters | L::TcbCopyRegisters if t == init_cap::INIT_THREAD_TCB => {
                    threads[0]
                }
                // Binding and unbinding mostly meet the same thread (the first prelude
                // thread), so that an unbind finds a notification bound.
                L::TcbBindNotification | L::TcbUnbindNotification if v % 3 != 0 => threads[0],
                _ => t,
            };
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
                // The MCP, then the priority.
                L::TcbSetSchedParams => (
                    vec![(v + 7).min(254), v.min(254)],
                    vec![init_cap::INIT_THREAD_TCB],
                ),
                L::TcbBindNotification => (vec![], vec![other]),
                L::TcbReadRegisters => (vec![0, v % 40], vec![]),
                // No resume, no arch flags, a few registers (the pc first).
                // (seL4 packs the resume flag and the arch flags into word 0, then the
                // count, then the registers.)
                L::TcbWriteRegisters => (vec![0, v % 5, v << 2, 0x10_0000, v, v ^ 1], vec![]),
                // From the other prelude thread: suspend source and resume target as v says,
                // the frame and integer registers.
                L::TcbCopyRegisters => (vec![v & 3 | 0xc], vec![threads[1]]),
                L::TcbSetIpcBuffer => (vec![ipc_buffer], vec![init_cap::INIT_THREAD_IPC_BUFFER]),
                L::TcbSetSpace => (
                    vec![if v & 1 == 0 { 0 } else { other }, 0, 0],
                    vec![cn, init_cap::INIT_THREAD_VSPACE],
                ),
                L::TcbSetFlags => (vec![0, v & 1], vec![]),
                _ => (vec![v], vec![]),
            };
            Step::Call {
                cptr: t,
                label: op as u64,
                words,
                caps,
            }
        })
}

/// Steps of the kind `send`.
fn send_step(e: u64) -> impl Strategy<Value = Step> {
    (
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
        })
}

/// Steps of the kind `garbage`.
fn garbage_step(u: (u64, u64), e: u64) -> impl Strategy<Value = Step> {
    (
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
        })
}

/// Steps of the kind `ipc`.
fn ipc_step(e: u64) -> impl Strategy<Value = Step> {
    (
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
            2 => Just(e + PRELUDE_SLOTS + 1),
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
        })
}

/// Memory: VSpaces, page tables and frames made, assigned an ASID, mapped and unmapped
/// in VSpaces the program made (the root task's own holds boot tables the spec does
/// not model), at a few addresses so that mappings meet.
fn vm_retype_step(u: (u64, u64), e: u64) -> impl Strategy<Value = Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    (
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
        })
}

/// Steps of the kind `vm`.
fn vm_step(e: u64) -> impl Strategy<Value = Step> {
    (
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
            L::ArmPageInvalidateData,
            L::ArmPageCleanInvalidateData,
            L::ArmPageUnifyInstruction,
            L::ArmVSpaceCleanData,
            L::ArmVSpaceInvalidateData,
            L::ArmVSpaceCleanInvalidateData,
            L::ArmVSpaceUnifyInstruction,
        ]),
        // A window slot, the prelude's frame, or one of the prelude's three page tables
        // (mapped: their unmap and remap meet a live mapping).
        prop_oneof![
            6 => window(e),
            2 => Just(e + FRAME_SLOT),
            1 => (5..8u64).prop_map(move |i| e + PRELUDE_SLOTS + i),
        ],
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
                L::ArmPageCleanData
                | L::ArmPageInvalidateData
                | L::ArmPageCleanInvalidateData
                | L::ArmPageUnifyInstruction => (target, vec![0, 64 << rights], vec![]),
                L::ArmVSpaceCleanData
                | L::ArmVSpaceInvalidateData
                | L::ArmVSpaceCleanInvalidateData
                | L::ArmVSpaceUnifyInstruction => {
                    (vspace, vec![vaddr, vaddr + (64 << rights)], vec![])
                }
                _ => (target, vec![], vec![]),
            };
            Step::Call {
                cptr,
                label: op as u64,
                words,
                caps,
            }
        })
}

/// Generated programs: the prelude, in half of them an IRQ handler, in half a frame mapped
/// in the prelude's VSpace, in half badged endpoint caps and in half a call-and-reply
/// session, then 1 to 39 random steps in the booted world's slots.
pub fn program() -> impl Strategy<Value = Vec<Step>> {
    let (k, _, u0, u1, e) = boot_both();
    let ipc_buffer = k.root.ipc_buffer(&k.m);
    let prelude = prelude(u1, e, ipc_buffer);
    let blocks = [irq_prelude(e), frame_prelude(u1, e), badge_prelude(e)];
    (
        any::<[bool; 3]>(),
        prop::option::of(session_rounds()),
        prop::collection::vec(step((u0, u1), e, ipc_buffer), 1..40),
    )
        .prop_map(move |(with, session, random)| {
            let mut p = prelude.clone();
            for (block, with) in blocks.iter().zip(with) {
                if with {
                    p.extend(block.iter().cloned());
                }
            }
            if let Some(rounds) = session {
                let ep = e + PRELUDE_SLOTS;
                p.extend(call_session(e, ep, ep, &rounds));
            }
            p.extend(random);
            p
        })
}

/// The rounds of a [`call_session`]: 1 to 7, each a message of 0 to 6 words and perhaps a
/// prelude thread's new priority.
pub fn session_rounds() -> impl Strategy<Value = Vec<(usize, Option<(u64, u64)>)>> {
    prop::collection::vec(
        (
            0usize..7,
            prop::option::of((0u64..2, prop::sample::select(vec![50u64, 100, 150, 254]))),
        ),
        1..8,
    )
}

/// A call-and-reply session on the prelude's endpoint, the IPC fastpath's case: the root
/// task waits on it; in each round a prelude thread (whichever runs) calls with a message of
/// `n` words, the root task may set a prelude thread's priority (`(thread, priority)`: a
/// caller that is no longer the highest ready thread must wait, the case the fastpath
/// leaves to the general path), then replies and waits again (ReplyRecv) with `n` words.
/// Messages of up to 4 words fit the fastpath; longer ones take the general path.
/// The session runs on the endpoint at `ep` (the prelude's, or one of its own); the callers
/// call through `call_cap` (that endpoint's cap, or a badged copy of it).
pub fn call_session(
    e: u64,
    ep: u64,
    call_cap: u64,
    rounds: &[(usize, Option<(u64, u64)>)],
) -> Vec<Step> {
    let words = |n: usize| (1..=n as u64).map(|w| w * 0x1111).collect::<Vec<_>>();
    let mut p = vec![ipc(Syscall::Recv, ep, 0, vec![], vec![])];
    for (i, &(n, priority)) in rounds.iter().enumerate() {
        p.push(ipc(Syscall::Call, call_cap, i as u64, words(n), vec![]));
        if let Some((thread, prio)) = priority {
            p.push(call(
                e + PRELUDE_SLOTS + 2 + thread,
                L::TcbSetPriority,
                vec![prio],
                vec![init_cap::INIT_THREAD_TCB],
            ));
        }
        p.push(ipc(Syscall::ReplyRecv, ep, 0, words(n), vec![]));
    }
    p
}

/// Badged endpoint caps in the dense slots the random steps use most: the prelude's
/// endpoint minted with badge 5 into the first slot, minted again with the same badge into
/// the second (an independent re-mint: a sibling, not a child), and the first copied into
/// the third (its child). Revokes, deletes, CancelBadgedSends and sends on those slots then
/// meet seL4's badge rules (the first-badged flag, badged senders cancelled).
pub fn badge_prelude(e: u64) -> Vec<Step> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let ep = e + PRELUDE_SLOTS;
    vec![
        call(cn, L::CNodeMint, vec![e, DEPTH, ep, DEPTH, 15, 5], vec![cn]),
        call(
            cn,
            L::CNodeMint,
            vec![e + 1, DEPTH, ep, DEPTH, 15, 5],
            vec![cn],
        ),
        call(cn, L::CNodeCopy, vec![e + 2, DEPTH, e, DEPTH, 15], vec![cn]),
    ]
}

/// Where half the generated programs keep a frame mapped read-write in the prelude's
/// address space (the page operations' likeliest target).
pub const FRAME_SLOT: u64 = PRELUDE_SLOTS + 9;

/// A 4 KiB frame at [`FRAME_SLOT`], mapped read-write at `PRELUDE_VADDR + 0x3000`, so
/// that cache maintenance on it, its unmap and its remap meet a live mapping.
pub fn frame_prelude(u1: u64, e: u64) -> Vec<Step> {
    vec![
        call(
            u1 - 1,
            L::UntypedRetype,
            vec![ObjectType::SmallPage as u64, 0, 0, 0, e + FRAME_SLOT, 1],
            vec![init_cap::INIT_THREAD_CNODE],
        ),
        call(
            e + FRAME_SLOT,
            L::ArmPageMap,
            vec![PRELUDE_VADDR + 0x3000, 3, 0],
            vec![e + PRELUDE_SLOTS + 4],
        ),
    ]
}

/// Where half the host programs keep an IRQ handler (after the prelude's objects).
pub const IRQ_HANDLER_SLOT: u64 = PRELUDE_SLOTS + 8;

/// Half the host programs start with an IRQ handler for line 40, edge-triggered, signalling
/// the prelude's notification, so interrupts, acknowledgements and bound notifications
/// meet a live line.
pub fn irq_prelude(e: u64) -> Vec<Step> {
    let handler = e + IRQ_HANDLER_SLOT;
    vec![
        call(
            init_cap::IRQ_CONTROL,
            L::ArmIrqIssueIrqHandlerTrigger,
            vec![40, 1, handler, DEPTH],
            vec![init_cap::INIT_THREAD_CNODE],
        ),
        call(
            handler,
            L::IrqSetIrqHandler,
            vec![],
            vec![e + PRELUDE_SLOTS + 1],
        ),
    ]
}

/// Where the prelude puts its endpoint, notification, two threads, address space and its
/// three page tables (slots `PRELUDE_SLOTS` to `PRELUDE_SLOTS + 7`, after
/// the dense slots most steps use).
pub const PRELUDE_SLOTS: u64 = 6;
/// Where the prelude keeps its threads' IPC buffer frames (two slots).
pub const BUFFER_SLOTS: u64 = PRELUDE_SLOTS + 10;

/// Prelude thread `i`'s IPC buffer: the frame's slot and the address it is mapped at in
/// the root task's VSpace (the last pages of the 2 MiB that holds the root task's own).
pub fn thread_buffer(e: u64, ipc_buffer: u64, i: usize) -> (u64, u64) {
    let top = (ipc_buffer | 0x1f_ffff) + 1;
    (e + BUFFER_SLOTS + i as u64, top - 0x1000 * (2 - i as u64))
}

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
        retype(ObjectType::SmallPage, e + BUFFER_SLOTS, 2),
    ];
    // The second thread's faults go to the endpoint, where the others may receive them.
    // Each thread has an IPC buffer of its own, mapped read-write in the root task's
    // VSpace (at the top of the 2 MiB the root task's buffer is in).
    for (i, (t, fault_ep)) in [(t1, 0), (t2, ep)].into_iter().enumerate() {
        let (frame, vaddr) = thread_buffer(e, ipc_buffer, i);
        p.push(call(
            frame,
            L::ArmPageMap,
            vec![vaddr, 3, 0],
            vec![init_cap::INIT_THREAD_VSPACE],
        ));
        p.push(call(
            t,
            L::TcbConfigure,
            vec![fault_ep, 0, 0, vaddr],
            vec![cn, init_cap::INIT_THREAD_VSPACE, frame],
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

/// An IPC step: syscall `sys` on `cptr` with a message of `label` and `words`, and `caps`.
pub fn ipc(sys: Syscall, cptr: u64, label: u64, words: Vec<u64>, caps: Vec<u64>) -> Step {
    Step::Ipc {
        sys,
        cptr,
        label,
        words,
        caps,
    }
}

pub fn call(cptr: u64, label: L, words: Vec<u64>, caps: Vec<u64>) -> Step {
    Step::Call {
        cptr,
        label: label as u64,
        words,
        caps,
    }
}
