//! Fixed programs, kept as regression tests: each pins a behaviour random programs reach
//! only rarely.

use super::program::{PRELUDE_SLOTS, PRELUDE_VADDR, Step, call, call_session, ipc, prelude};
use super::world::DEPTH;
use sel4_abi::{InvocationLabel as L, ObjectType, Syscall, init_cap};

/// Fixed programs, kept as regression tests: each pins a behaviour random programs reach
/// only rarely. `u1 - 1` is the largest untyped, `e` the first free slot, `ipc_buffer` the
/// root task's IPC buffer address.
pub fn fixed_programs(u1: u64, e: u64, ipc_buffer: u64) -> Vec<(&'static str, Vec<Step>)> {
    [
        cap_programs(u1, e),
        thread_programs(u1, e, ipc_buffer),
        other_programs(u1, e, ipc_buffer),
    ]
    .concat()
}

/// Retype `n` objects of type `ty` from the largest untyped (`u1 - 1`) into the root CNode
/// from `slot`.
fn retype(u1: u64, ty: ObjectType, slot: u64, n: u64) -> Step {
    call(
        u1 - 1,
        L::UntypedRetype,
        vec![ty as u64, 0, 0, 0, slot, n],
        vec![init_cap::INIT_THREAD_CNODE],
    )
}

/// Mint `src` into `dest` (both in the root CNode) with `rights` and `badge`.
fn mint(dest: u64, src: u64, rights: u64, badge: u64) -> Step {
    let cn = init_cap::INIT_THREAD_CNODE;
    call(
        cn,
        L::CNodeMint,
        vec![dest, DEPTH, src, DEPTH, rights, badge],
        vec![cn],
    )
}

/// Caps: rights, badges, the derivation tree, untyped memory.
fn cap_programs(u1: u64, e: u64) -> Vec<(&'static str, Vec<Step>)> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let ut = u1 - 1;
    let retype = |ty: ObjectType, slot: u64, n: u64| retype(u1, ty, slot, n);
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

/// Threads: IPC between them, faults, priorities.
fn thread_programs(u1: u64, e: u64, ipc_buffer: u64) -> Vec<(&'static str, Vec<Step>)> {
    let cn = init_cap::INIT_THREAD_CNODE;
    vec![
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
            // The IPC fastpath's case and its edges: calls through a badged cap (the badge
            // delivered), messages of 0 to 5 words (5 does not fit the registers: the
            // general path), and callers made to wait behind a thread given a higher
            // priority before the reply (the fastpath must leave that switch to the
            // general path). The last call's receiver is the only one waiting: the
            // endpoint goes idle.
            "call-and-reply sessions",
            {
                let ep = e + PRELUDE_SLOTS;
                let mut p = prelude(u1, e, ipc_buffer);
                p.push(mint(e + 1, ep, 15, 7));
                p.extend(call_session(
                    e,
                    ep,
                    e + 1,
                    &[
                        (0, None),
                        (4, None),
                        (5, None),
                        (2, Some((0, 150))),
                        (1, Some((1, 200))),
                        (3, None),
                    ],
                ));
                p
            },
        ),
        (
            // TCB flags: fpuDisabled set on the first prelude thread and kept (a second
            // SetFlags that changes nothing replies with it), an unknown flag ignored.
            "TCB flags",
            {
                let t1 = e + PRELUDE_SLOTS + 2;
                let flags = sel4_abi::tcb::TCB_FLAG_FPU_DISABLED;
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    call(t1, L::TcbSetFlags, vec![0, flags | 1 << 40], vec![]),
                    call(t1, L::TcbSetFlags, vec![0, 0], vec![]),
                    call(t1, L::TcbSetFlags, vec![flags, 0], vec![]),
                ]);
                p
            },
        ),
        (
            // The kernel writes memory: an 8-word message (four words in the IPC buffer),
            // an endpoint cap unwrapped to its badge in the receiver's buffer, and the
            // untyped's memory cleared when it is reset for a retype after the revoke.
            "memory the kernel writes",
            {
                let ep = e + PRELUDE_SLOTS;
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    mint(e + 1, ep, 15, 7),
                    ipc(Syscall::Send, e + 1, 2, (1..=8).collect(), vec![e + 1]),
                    ipc(Syscall::Recv, ep, 0, vec![], vec![]),
                    call(cn, L::CNodeRevoke, vec![u1 - 1, DEPTH], vec![]),
                    retype(u1, ObjectType::SmallPage, e + 2, 1),
                ]);
                p
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
                    ipc(Syscall::Recv, e, 0, vec![], vec![]),
                    call(cn, L::CNodeDelete, vec![e + PRELUDE_SLOTS, DEPTH], vec![cn]),
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
                    ipc(Syscall::Send, ep, 3, vec![1, 2, 3, 4, 5, 6], vec![]),
                    ipc(Syscall::Recv, ep, 0, vec![], vec![]),
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
    ]
}

/// Orders of checks, the domain schedule, frames, SGI signal caps.
fn other_programs(u1: u64, e: u64, ipc_buffer: u64) -> Vec<(&'static str, Vec<Step>)> {
    let cn = init_cap::INIT_THREAD_CNODE;
    let ut = u1 - 1;
    vec![
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
            // The boot frames (BootInfo, IPC buffer) are mapped by the boot page tables:
            // cache operations on them succeed, in place and after a CNode Rotate moves the
            // BootInfo cap (the spec once lacked those tables and refused with
            // InvalidCapability 0: `refine --cases 200 --seed 10349636000594207391`), and a
            // remap in place keeps the mapping while one elsewhere is refused.
            "the boot frames' mappings",
            {
                let bi = init_cap::BOOT_INFO_FRAME;
                let buf = init_cap::INIT_THREAD_IPC_BUFFER;
                let vs = init_cap::INIT_THREAD_VSPACE;
                let clean = |c: u64| call(c, L::ArmPageCleanData, vec![0, 64], vec![]);
                vec![
                    clean(bi),
                    clean(buf),
                    call(buf, L::ArmPageInvalidateData, vec![0, 0x1000], vec![]),
                    call(bi, L::ArmPageUnifyInstruction, vec![64, 128], vec![]),
                    call(bi, L::ArmPageGetAddress, vec![], vec![]),
                    call(buf, L::ArmPageMap, vec![ipc_buffer, 3, 0], vec![vs]),
                    call(
                        buf,
                        L::ArmPageMap,
                        vec![ipc_buffer + 0x1000, 3, 0],
                        vec![vs],
                    ),
                    retype(u1, ObjectType::Endpoint, e + 1, 1),
                    // The endpoint (pivot) moves to e, the BootInfo cap (source) to e + 1.
                    call(
                        cn,
                        L::CNodeRotate,
                        vec![e, DEPTH, 0, e + 1, DEPTH, 0, bi, DEPTH],
                        vec![cn, cn],
                    ),
                    clean(e + 1),
                    call(e + 1, L::ArmPageUnmap, vec![], vec![]),
                    clean(e + 1),
                ]
            },
        ),
        (
            // Mappings with every rights mask and attribute: read-write cacheable
            // execute-never, read-only, kernel-only uncached; the time slice running out
            // (the scheduler chooses again); a page unmapped, its page table unmapped, the
            // address space deleted (its ASID freed). The tables, the ASIDs, the scheduler's
            // action and the time slices are compared through the replay of the trace. The
            // table is mapped again after its unmap: it comes back empty.
            "mappings' rights and attributes",
            {
                let vs = e + PRELUDE_SLOTS + 4;
                let map = |f: u64, off: u64, rights: u64, attr: u64| {
                    call(
                        f,
                        L::ArmPageMap,
                        vec![PRELUDE_VADDR + off, rights, attr],
                        vec![vs],
                    )
                };
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    call(
                        ut,
                        L::UntypedRetype,
                        vec![ObjectType::SmallPage as u64, 0, 0, 0, e, 4],
                        vec![cn],
                    ),
                    map(e, 0, 3, 5),
                    map(e + 1, 0x1000, 2, 1),
                    map(e + 2, 0x2000, 0, 0),
                    map(e + 3, 0x3000, 1, 3),
                    Step::Ticks(6),
                    call(e + 1, L::ArmPageUnmap, vec![], vec![]),
                    Step::Ticks(1),
                    call(vs + 3, L::ArmPageTableUnmap, vec![], vec![]),
                    // Mapped again, the table is empty (seL4 clears it on unmap).
                    call(vs + 3, L::ArmPageTableMap, vec![PRELUDE_VADDR, 0], vec![vs]),
                    call(cn, L::CNodeDelete, vec![vs, DEPTH], vec![cn]),
                    Step::Ticks(5),
                ]);
                p
            },
        ),
        (
            // Exceptions, decoded on both sides from their syndromes: an instruction abort
            // by the thread with a fault handler (the second prelude thread runs first
            // once the root task blocks), whose VMFault message gives the restart pc as the
            // address, not the fault address register (seL4's handleVMFault; the kernel
            // once gave FAR); a reply that restarts it; then a breakpoint and a data abort,
            // each a fault message or a stopped thread as the thread's handler says.
            "exceptions and their fault messages",
            {
                let ep = e + PRELUDE_SLOTS;
                let ipc = |sys: Syscall, words: Vec<u64>| Step::Ipc {
                    sys,
                    cptr: ep,
                    label: 0,
                    words,
                    caps: vec![],
                };
                let il = 1 << 25;
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    ipc(Syscall::Recv, vec![]),
                    Step::Exception {
                        esr: 0x20 << 26 | il | 0x06,
                        far: 0xdead_beef,
                    },
                    ipc(Syscall::Reply, vec![]),
                    ipc(Syscall::Recv, vec![]),
                    Step::Exception {
                        esr: 0x3c << 26 | il | 0x42,
                        far: 0,
                    },
                    ipc(Syscall::ReplyRecv, vec![0x40_1000, 0x7000, 0]),
                    Step::Exception {
                        esr: 0x24 << 26 | il | 1 << 6 | 0x07,
                        far: PRELUDE_VADDR + 0x18,
                    },
                    Step::Exception { esr: il, far: 0 },
                    Step::Identify { cptr: ep },
                ]);
                p
            },
        ),
        (
            // Interrupt lines as the controller holds them: a handler issued edge-triggered
            // (enabled), an interrupt (signalled, masked), a poll, Ack (enabled again), a
            // second interrupt; a level-triggered line; the first handler deleted (masked,
            // inactive) and issued again without a trigger (the line keeps its trigger);
            // an interrupt on a masked line, which the controller does not deliver.
            "interrupt lines",
            {
                let ntfn = e + PRELUDE_SLOTS + 1;
                let (h40, h33) = (e, e + 1);
                let issue = |irq: u64, trigger: Option<u64>, slot: u64| match trigger {
                    Some(t) => call(
                        init_cap::IRQ_CONTROL,
                        L::ArmIrqIssueIrqHandlerTrigger,
                        vec![irq, t, slot, DEPTH],
                        vec![cn],
                    ),
                    None => call(
                        init_cap::IRQ_CONTROL,
                        L::IrqIssueIrqHandler,
                        vec![irq, slot, DEPTH],
                        vec![cn],
                    ),
                };
                let mut p = prelude(u1, e, ipc_buffer);
                p.extend([
                    issue(40, Some(1), h40),
                    call(h40, L::IrqSetIrqHandler, vec![], vec![ntfn]),
                    Step::Interrupt { irq: 40 },
                    Step::NBRecv { cptr: ntfn },
                    Step::Interrupt { irq: 40 },
                    call(h40, L::IrqAckIrq, vec![], vec![]),
                    Step::Interrupt { irq: 40 },
                    issue(33, Some(0), h33),
                    Step::Interrupt { irq: 33 },
                    call(cn, L::CNodeDelete, vec![h40, DEPTH], vec![cn]),
                    Step::Interrupt { irq: 40 },
                    issue(40, None, h40),
                    Step::NBRecv { cptr: ntfn },
                    Step::Identify { cptr: h40 },
                ]);
                p
            },
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
    ]
}
