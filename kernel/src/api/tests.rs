//! End-to-end syscalls on the simulated machine: boot a root task, then drive threads
//! through `handle_event` exactly as the exception entry would.

use super::{Event, handle_event};
use crate::kernel::boot::{self, tests as bt};
use crate::machine::sim::SimMachine;
use crate::machine::{Machine, Memory};
use crate::model::KernelState;
use crate::model::tcb::{field, reg};
use crate::model::{Cap, Slot, Tcb, ThreadState};
use core::mem::offset_of;
use sel4_abi::ipc_buffer::offset as buf;
use sel4_abi::registers::{MSG_INFO_REGISTER as INFO_REGISTER, MSG_REGISTERS};
use sel4_abi::{BootInfo, InvocationLabel as L, MessageInfo, ObjectType, Syscall, init_cap};

/// A booted root task on a simulated machine (`M` wraps the simulator when a test needs to
/// watch what the kernel asks of the hardware; `audit_tests` does).
pub(super) struct World<M: Machine = SimMachine> {
    pub(super) m: M,
    pub(super) ks: KernelState,
    pub(super) root: Tcb,
    pub(super) cnode: u64,
    bi: u64,
    pub(super) next_slot: u64,
}

impl World {
    pub(super) fn boot() -> World {
        World::boot_on(|sim| sim)
    }
}

impl<M: Machine> World<M> {
    /// Boots on the simulator as `wrap` dresses it.
    pub(super) fn boot_on(wrap: impl FnOnce(SimMachine) -> M) -> World<M> {
        let (sim, p) = bt::machine_with(&bt::sample_elf());
        let mut m = wrap(sim);
        let mut ks = KernelState::new();
        let r = boot::init(&mut ks, &mut m, &p).unwrap();
        let bi = r.layout.boot_info;
        let next_slot = m.read_word(bi + offset_of!(BootInfo, empty) as u64);
        World {
            m,
            ks,
            root: r.tcb,
            cnode: r.layout.cnode,
            bi,
            next_slot,
        }
    }

    pub(super) fn slot(&self, i: u64) -> Slot {
        Slot::of(self.cnode, i)
    }

    /// Every untyped cap: its slot and the cap.
    pub(super) fn untypeds(&self) -> Vec<(u64, Cap)> {
        let at = |off: usize| self.m.read_word(self.bi + off as u64);
        let (start, end) = (
            at(offset_of!(BootInfo, untyped)),
            at(offset_of!(BootInfo, untyped) + 8),
        );
        (start..end)
            .map(|i| (i, self.slot(i).cap(&self.m)))
            .collect()
    }

    /// The largest normal-memory untyped's slot.
    pub(super) fn big_untyped(&self) -> u64 {
        self.untypeds()
            .into_iter()
            .max_by_key(|(_, c)| match c {
                Cap::Untyped {
                    size_bits,
                    is_device: false,
                    ..
                } => *size_bits,
                _ => 0,
            })
            .unwrap()
            .0
    }

    /// Makes thread `t` perform syscall `sys` with x0, a message and extra caps, as if it
    /// trapped; returns with the scheduler's choice made.
    pub(super) fn syscall(
        &mut self,
        t: Tcb,
        sys: Syscall,
        x0: u64,
        label: u64,
        words: &[u64],
        caps: &[u64],
    ) {
        self.syscall_number(t, sys.word(), x0, label, words, caps);
    }

    fn syscall_number(
        &mut self,
        t: Tcb,
        number: u64,
        x0: u64,
        label: u64,
        words: &[u64],
        caps: &[u64],
    ) {
        let info = MessageInfo::new(label, 0, caps.len() as u64, words.len() as u64);
        t.set_reg(&mut self.m, reg::X0, x0);
        t.set_reg(&mut self.m, INFO_REGISTER, info.to_word());
        t.set_reg(&mut self.m, 7, number);
        let bufpa = crate::kernel::thread::lookup_ipc_buffer(&self.m, t, false);
        for (i, &w) in words.iter().enumerate() {
            match (MSG_REGISTERS.get(i), bufpa) {
                (Some(&r), _) => t.set_reg(&mut self.m, r, w),
                (None, Some(b)) => self.m.write_word(b + buf::msg(i), w),
                _ => {}
            }
        }
        for (i, &c) in caps.iter().enumerate() {
            self.m
                .write_word(bufpa.unwrap() + buf::caps_or_badges(i), c);
        }
        let pc = t.reg(&self.m, reg::PC);
        t.set(&mut self.m, field::FAULT_IP, pc.wrapping_sub(4));
        self.ks.current = Some(t);
        handle_event(&mut self.ks, &mut self.m, Event::Syscall);
    }

    /// A Call invocation by the root task; returns the reply label and words.
    pub(super) fn invoke(
        &mut self,
        cptr: u64,
        label: L,
        words: &[u64],
        caps: &[u64],
    ) -> (u64, Vec<u64>) {
        let root = self.root;
        self.invoke_as(root, cptr, label, words, caps)
    }

    /// A Call invocation by thread `t`; returns the reply label and words.
    pub(super) fn invoke_as(
        &mut self,
        t: Tcb,
        cptr: u64,
        label: L,
        words: &[u64],
        caps: &[u64],
    ) -> (u64, Vec<u64>) {
        self.syscall(t, Syscall::Call, cptr, label as u64, words, caps);
        self.reply_of(t)
    }

    pub(super) fn reply_of(&self, t: Tcb) -> (u64, Vec<u64>) {
        let info = MessageInfo::from_word(t.reg(&self.m, INFO_REGISTER));
        let bufpa = crate::kernel::thread::lookup_ipc_buffer(&self.m, t, true);
        let words = (0..info.length as usize)
            .map(|i| match MSG_REGISTERS.get(i) {
                Some(&r) => t.reg(&self.m, r),
                None => self.m.read_word(bufpa.unwrap() + buf::msg(i)),
            })
            .collect();
        (info.label, words)
    }

    /// Retypes `n` objects into fresh slots; returns the first slot index.
    pub(super) fn retype(&mut self, ut: u64, ty: ObjectType, size: u64, n: u64) -> u64 {
        let first = self.next_slot;
        let r = self.invoke(
            ut,
            L::UntypedRetype,
            &[ty as u64, size, 0, 0, first, n],
            &[init_cap::INIT_THREAD_CNODE],
        );
        assert_eq!(r, (0, vec![]), "retype {ty:?}");
        self.next_slot += n;
        first
    }

    fn ptr_of(&self, i: u64) -> u64 {
        self.slot(i).cap(&self.m).region().unwrap().0
    }
}

#[test]
fn retype_errors_carry_sel4_payloads() {
    let mut w = World::boot();
    let ut = w.big_untyped();
    let cn = init_cap::INIT_THREAD_CNODE;
    let e = w.next_slot;
    assert_eq!(
        w.invoke(ut, L::UntypedRetype, &[99, 0, 0, 0, e, 1], &[cn]),
        (1, vec![0])
    );
    assert_eq!(
        w.invoke(
            ut,
            L::UntypedRetype,
            &[ObjectType::CapTable as u64, 0, 0, 0, e, 1],
            &[cn]
        ),
        (1, vec![1])
    );
    assert_eq!(
        w.invoke(
            ut,
            L::UntypedRetype,
            &[ObjectType::Untyped as u64, 64, 0, 0, e, 1],
            &[cn]
        ),
        (4, vec![0, 47])
    );
    assert_eq!(
        w.invoke(ut, L::UntypedRetype, &[2, 0, 0, 0, 4096, 1], &[cn]),
        (4, vec![0, 4095])
    );
    assert_eq!(
        w.invoke(ut, L::UntypedRetype, &[2, 0, 0, 0, e, 0], &[cn]),
        (4, vec![1, 256])
    );
    assert_eq!(
        w.invoke(ut, L::UntypedRetype, &[2, 0, 0, 0, 1, 1], &[cn]),
        (8, vec![]),
        "slot 1 is full"
    );
    assert_eq!(
        w.invoke(ut, L::UntypedRetype, &[2, 0, 0, 0, e], &[cn]),
        (7, vec![]),
        "five words"
    );
    assert_eq!(
        w.invoke(ut, L::CNodeCopy, &[], &[]),
        (3, vec![]),
        "an untyped has only Retype"
    );
    // A missing source cap for a CNode copy: FailedLookup, source, MissingCapability(64).
    assert_eq!(
        w.invoke(cn, L::CNodeCopy, &[e, 64, e + 1, 64, 0xf], &[cn]),
        (6, vec![1, 2, 64])
    );
    // Depth 0 is out of range.
    assert_eq!(w.invoke(cn, L::CNodeDelete, &[e, 0], &[]), (4, vec![1, 64]));
}

#[test]
fn retype_revoke_retype_reuses_the_same_addresses() {
    let mut w = World::boot();
    let ut = w.big_untyped();
    let small = w.retype(ut, ObjectType::Untyped, 12, 1);
    let first = w.retype(small, ObjectType::Endpoint, 0, 4);
    let addrs: Vec<_> = (first..first + 4).map(|i| w.ptr_of(i)).collect();
    let base = w.ptr_of(small);
    assert_eq!(
        addrs,
        [base, base + 16, base + 32, base + 48],
        "consecutive, at the watermark"
    );
    // A TCB after four endpoints is aligned to its 2 KiB.
    let t = w.retype(small, ObjectType::Tcb, 0, 1);
    assert_eq!(w.ptr_of(t), base + 2048);
    // The rest does not hold another TCB: NotEnoughMemory with 0 bytes left.
    let e = w.next_slot;
    assert_eq!(
        w.invoke(
            small,
            L::UntypedRetype,
            &[1, 0, 0, 0, e, 1],
            &[init_cap::INIT_THREAD_CNODE]
        ),
        (10, vec![0])
    );
    assert_eq!(
        w.invoke(
            init_cap::INIT_THREAD_CNODE,
            L::CNodeRevoke,
            &[small, 64],
            &[]
        ),
        (0, vec![])
    );
    for i in first..=t {
        assert!(w.slot(i).cap(&w.m).is_null(), "revoked");
    }
    w.next_slot = first;
    let again = w.retype(small, ObjectType::Endpoint, 0, 4);
    let again_addrs: Vec<_> = (again..again + 4).map(|i| w.ptr_of(i)).collect();
    assert_eq!(again_addrs, addrs);
}

/// Makes a thread in the root task's CSpace and VSpace with its own IPC buffer frame.
fn spawn(w: &mut World, ut: u64, prio: u64) -> Tcb {
    spawn_with(w, ut, prio, 0).1
}

/// As [`spawn`], with a fault endpoint; returns the TCB cap's slot too.
fn spawn_with(w: &mut World, ut: u64, prio: u64, fault_ep: u64) -> (u64, Tcb) {
    let t = w.retype(ut, ObjectType::Tcb, 0, 1);
    let frame = w.retype(ut, ObjectType::SmallPage, 0, 1);
    let cn = init_cap::INIT_THREAD_CNODE;
    let r = w.invoke(
        t,
        L::TcbConfigure,
        &[fault_ep, 0, 0, 0x1000_0000],
        &[cn, init_cap::INIT_THREAD_VSPACE, frame],
    );
    assert_eq!(r, (0, vec![]));
    assert_eq!(
        w.invoke(
            t,
            L::TcbSetSchedParams,
            &[prio, prio],
            &[init_cap::INIT_THREAD_TCB]
        ),
        (0, vec![])
    );
    let Cap::Thread { tcb } = w.slot(t).cap(&w.m) else {
        panic!()
    };
    (t, Tcb(tcb))
}

#[test]
fn call_and_reply_recv_between_two_threads() {
    let mut w = World::boot();
    let ut = w.big_untyped();
    let ep = w.retype(ut, ObjectType::Endpoint, 0, 1);
    let server = spawn(&mut w, ut, 100);
    // A badged copy for the client.
    let badged = w.next_slot;
    w.next_slot += 1;
    let cn = init_cap::INIT_THREAD_CNODE;
    assert_eq!(
        w.invoke(cn, L::CNodeMint, &[badged, 64, ep, 64, 0xf, 0x55], &[cn]),
        (0, vec![])
    );
    // The server waits.
    w.syscall(server, Syscall::Recv, ep, 0, &[], &[]);
    assert_eq!(server.state(&w.m), ThreadState::BlockedOnReceive);
    // The root task calls with six words (two through the IPC buffers).
    let words = [1, 2, 3, 4, 5, 6];
    let root = w.root;
    w.syscall(root, Syscall::Call, badged, 0x42, &words, &[]);
    assert_eq!(root.state(&w.m), ThreadState::BlockedOnReply);
    assert_eq!(
        w.ks.current,
        Some(server),
        "the server runs while the root waits"
    );
    assert_eq!(w.reply_of(server), (0x42, words.to_vec()));
    assert_eq!(server.reg(&w.m, reg::X0), 0x55, "the badge");
    // The server replies and waits again.
    w.syscall(server, Syscall::ReplyRecv, ep, 7, &[9, 8], &[]);
    assert_eq!(server.state(&w.m), ThreadState::BlockedOnReceive);
    assert_eq!(w.ks.current, Some(root));
    assert_eq!(root.state(&w.m), ThreadState::Running);
    assert_eq!(w.reply_of(root), (7, vec![9, 8]));
}

#[test]
fn unknown_syscall_goes_to_the_fault_endpoint_and_the_reply_restarts() {
    let mut w = World::boot();
    let ut = w.big_untyped();
    let ep = w.retype(ut, ObjectType::Endpoint, 0, 1);
    let (fslot, faulter) = spawn_with(&mut w, ut, 10, ep);
    // It starts at 0x40_1000 (its restart pc) once resumed.
    faulter.set(&mut w.m, field::FAULT_IP, 0x40_1000);
    assert_eq!(w.invoke(fslot, L::TcbResume, &[], &[]), (0, vec![]));
    let root = w.root;
    w.syscall(root, Syscall::Recv, ep, 0, &[], &[]);
    assert_eq!(w.ks.current, Some(faulter));
    assert_eq!(
        faulter.reg(&w.m, reg::PC),
        0x40_1000,
        "activated at its restart pc"
    );
    // It executes `svc` with x7 = -20 (the entry records FaultIP = the svc).
    faulter.set_reg(&mut w.m, reg::PC, 0x40_1004);
    w.syscall_number(faulter, -20i64 as u64, 0xaa, 0, &[], &[]);
    assert_eq!(faulter.state(&w.m), ThreadState::BlockedOnReply);
    assert_eq!(w.ks.current, Some(root));
    let (label, msg) = w.reply_of(root);
    assert_eq!(label, sel4_abi::FaultType::UnknownSyscall as u64);
    assert_eq!(msg.len(), 13);
    assert_eq!(msg[0], 0xaa, "x0");
    assert_eq!(msg[8], 0x40_1000, "FaultIP is the svc");
    assert_eq!(msg[12], -20i64 as u64, "the syscall number");
    // Reply with label 0 and FaultIP advanced: the faulter restarts after the svc.
    let mut reply = msg[..12].to_vec();
    reply[8] = 0x40_1004;
    w.syscall(root, Syscall::Reply, 0, 0, &reply, &[]);
    assert_eq!(faulter.state(&w.m), ThreadState::Restart);
    w.ks.current = Some(faulter);
    crate::kernel::thread::activate_thread(&w.ks, &mut w.m);
    assert_eq!(faulter.reg(&w.m, reg::PC), 0x40_1004);
    assert_eq!(faulter.state(&w.m), ThreadState::Running);
}

#[test]
fn irq_control_get_makes_the_line_live_and_delivery_masks_it() {
    let mut w = World::boot();
    let ut = w.big_untyped();
    // The kernel's IRQ node (the arch layer reserves it in its image at boot).
    let node = w.retype(ut, ObjectType::CapTable, 10, 1);
    let node_pa = w.ptr_of(node);
    crate::kernel::interrupt::init_irqs(&mut w.ks, 287, node_pa);
    let ntfn = w.retype(ut, ObjectType::Notification, 0, 1);
    let handler = w.next_slot;
    w.next_slot += 1;
    let cn = init_cap::INIT_THREAD_CNODE;
    // The timer's line is the kernel's; a line past the controller's is out of range.
    assert_eq!(
        w.invoke(
            init_cap::IRQ_CONTROL,
            L::IrqIssueIrqHandler,
            &[27, handler, 64],
            &[cn]
        ),
        (9, vec![])
    );
    assert_eq!(
        w.invoke(
            init_cap::IRQ_CONTROL,
            L::IrqIssueIrqHandler,
            &[288, handler, 64],
            &[cn]
        ),
        (4, vec![0, 287])
    );
    assert_eq!(
        w.invoke(
            init_cap::IRQ_CONTROL,
            L::IrqIssueIrqHandler,
            &[33, handler, 64],
            &[cn]
        ),
        (0, vec![])
    );
    assert!(
        w.m.unmasked_irqs.contains(&33),
        "live as soon as it has a handler, as in seL4"
    );
    assert_eq!(w.ks.irqs_delivered, 1);
    assert_eq!(
        w.invoke(handler, L::IrqSetIrqHandler, &[], &[ntfn]),
        (0, vec![])
    );
    // An interrupt signals the notification and masks the line until Ack.
    handle_event(&mut w.ks, &mut w.m, Event::Interrupt(33));
    assert!(!w.m.unmasked_irqs.contains(&33));
    assert!(crate::kernel::notification::is_active(&w.m, w.ptr_of(ntfn)));
    assert_eq!(w.invoke(handler, L::IrqAckIrq, &[], &[]), (0, vec![]));
    assert!(w.m.unmasked_irqs.contains(&33));
    // GetTrigger programs the line's trigger (word 1: 1 = edge).
    let h2 = w.next_slot;
    w.next_slot += 1;
    let trig = L::ArmIrqIssueIrqHandlerTrigger;
    assert_eq!(
        w.invoke(init_cap::IRQ_CONTROL, trig, &[40, 1, h2, 64], &[cn]),
        (0, vec![])
    );
    assert!(w.m.edge_irqs.contains(&40) && w.m.unmasked_irqs.contains(&40));
    // Deleting the last handler cap frees the line again.
    assert_eq!(
        w.invoke(cn, L::CNodeDelete, &[handler, 64], &[]),
        (0, vec![])
    );
    assert!(!w.m.unmasked_irqs.contains(&33));
    assert_eq!(w.ks.irqs_delivered, 1, "line 40 still has its handler");
}

/// An interrupt can wake a thread only through a handler's notification that has a waiter
/// or a bound thread waiting to receive: a handler alone, or one whose notification nobody
/// waits on, cannot (the idle kernel then halts, nothing left to happen).
#[test]
fn an_interrupt_can_wake_a_thread_only_through_a_waited_notification() {
    use crate::kernel::interrupt::interrupt_can_wake;
    let mut w = World::boot();
    let ut = w.big_untyped();
    let cn = init_cap::INIT_THREAD_CNODE;
    // The kernel's IRQ node (the arch layer reserves it in its image at boot).
    let node = w.retype(ut, ObjectType::CapTable, 10, 1);
    let node_pa = w.ptr_of(node);
    crate::kernel::interrupt::init_irqs(&mut w.ks, 287, node_pa);
    let ntfn = w.retype(ut, ObjectType::Notification, 0, 1);
    let ep = w.retype(ut, ObjectType::Endpoint, 0, 1);
    let (slot, waiter) = spawn_with(&mut w, ut, 100, 0);
    assert!(!interrupt_can_wake(&w.ks, &w.m), "no handler");
    let handler = w.next_slot;
    w.next_slot += 1;
    let issue = w.invoke(
        init_cap::IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[33, handler, 64],
        &[cn],
    );
    assert_eq!(issue, (0, vec![]));
    assert!(
        !interrupt_can_wake(&w.ks, &w.m),
        "a handler without a notification"
    );
    assert_eq!(
        w.invoke(handler, L::IrqSetIrqHandler, &[], &[ntfn]),
        (0, vec![])
    );
    assert!(
        !interrupt_can_wake(&w.ks, &w.m),
        "nobody waits on the notification"
    );
    // The thread waits on the notification: a signal would wake it.
    w.syscall(waiter, Syscall::Recv, ntfn, 0, &[], &[]);
    assert_eq!(waiter.state(&w.m), ThreadState::BlockedOnNotification);
    assert!(interrupt_can_wake(&w.ks, &w.m), "a waiter");
    assert_eq!(w.invoke(slot, L::TcbSuspend, &[], &[]), (0, vec![]));
    assert!(!interrupt_can_wake(&w.ks, &w.m), "the waiter suspended");
    // Bound to the thread, which waits on an endpoint: a signal wakes it too.
    let bind = w.invoke(slot, L::TcbBindNotification, &[], &[ntfn]);
    assert_eq!(bind, (0, vec![]));
    assert_eq!(w.invoke(slot, L::TcbResume, &[], &[]), (0, vec![]));
    w.syscall(waiter, Syscall::Recv, ep, 0, &[], &[]);
    assert_eq!(waiter.state(&w.m), ThreadState::BlockedOnReceive);
    assert!(interrupt_can_wake(&w.ks, &w.m), "a bound thread receiving");
    // The handler cleared: the line signals nothing.
    let clear = w.invoke(handler, L::IrqClearIrqHandler, &[], &[]);
    assert_eq!(clear, (0, vec![]));
    assert!(!interrupt_can_wake(&w.ks, &w.m), "the handler cleared");
}

#[test]
fn long_revoke_and_reset_stop_for_interrupts_and_resume_where_they_left_off() {
    let mut w = World::boot();
    let ut = w.big_untyped();
    let cn = init_cap::INIT_THREAD_CNODE;
    let small = w.retype(ut, ObjectType::Untyped, 16, 1);
    let first = w.retype(small, ObjectType::Endpoint, 0, 256);
    w.retype(small, ObjectType::Endpoint, 0, 256);
    let children = |w: &World| {
        (first..first + 512)
            .filter(|&i| !w.slot(i).cap(&w.m).is_null())
            .count()
    };
    assert_eq!(children(&w), 512);
    let root = w.root;

    // Is the thread about to run its `svc` again (preempted), or past it (done)?
    let rerun = |w: &mut World, sys: &dyn Fn(&mut World)| {
        w.root.set_reg(&mut w.m, reg::PC, 0x40_0104);
        sys(w);
        assert_eq!(w.root.state(&w.m), ThreadState::Running);
        w.root.reg(&w.m, reg::PC) == 0x40_0100
    };
    // An interrupt is pending: the revoke stops at the first check and the caller is set
    // to run the syscall again (its pc back on the `svc`), with no reply.
    w.m.pending = true;
    let revoke = |w: &mut World| {
        w.syscall(
            root,
            Syscall::Call,
            cn,
            L::CNodeRevoke as u64,
            &[small, 64],
            &[],
        )
    };
    assert!(rerun(&mut w, &revoke));
    let left = children(&w);
    assert!(
        left > 0 && left < 512,
        "stopped part-way: {left} children left"
    );
    // Taken the interrupt, the thread reruns the syscall and the revoke finishes.
    w.m.pending = false;
    assert!(!rerun(&mut w, &revoke));
    assert_eq!(w.reply_of(root), (0, vec![]));
    assert_eq!(children(&w), 0);

    // The untyped is dirty below its watermark: retyping it resets (zeroes) it first, in
    // chunks, and an interrupt stops the reset with the watermark lowered.
    // Fill all 64 KiB (the watermark goes to the top), free it again, and dirty it: 256
    // chunks to zero, more than the work done between two interrupt checks.
    let pages = w.retype(small, ObjectType::SmallPage, 0, 16);
    assert_eq!(w.invoke(cn, L::CNodeRevoke, &[small, 64], &[]), (0, vec![]));
    assert!(w.slot(pages).cap(&w.m).is_null());
    let Cap::Untyped { ptr, .. } = w.slot(small).cap(&w.m) else {
        panic!()
    };
    for a in (ptr..ptr + 65536).step_by(8) {
        w.m.write_word(a, 0xdead_beef);
    }
    w.m.pending = true;
    w.ks.work_units = 0;
    let dest = w.next_slot;
    let retype = |w: &mut World| {
        let words = [ObjectType::SmallPage as u64, 0, 0, 0, dest, 1];
        w.syscall(
            root,
            Syscall::Call,
            small,
            L::UntypedRetype as u64,
            &words,
            &[cn],
        )
    };
    assert!(rerun(&mut w, &retype));
    let Cap::Untyped { free_index, .. } = w.slot(small).cap(&w.m) else {
        panic!()
    };
    assert!(
        free_index > 0 && free_index < 65536,
        "watermark lowered to {free_index:#x}"
    );
    assert!(w.slot(dest).cap(&w.m).is_null(), "no object yet");
    w.m.pending = false;
    assert!(!rerun(&mut w, &retype));
    assert_eq!(w.reply_of(root), (0, vec![]));
    assert_eq!(
        w.ptr_of(dest),
        ptr,
        "the frame starts at the reset untyped's base"
    );
    assert!(
        (ptr..ptr + 65536).step_by(8).all(|a| w.m.read_word(a) == 0),
        "zeroed"
    );
}
