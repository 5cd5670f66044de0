//! The syscalls themselves: numbers, the debug calls, and what unknown numbers do.

use crate::common::*;
use sel4_abi::{context::index, fault, init_cap::INIT_THREAD_TCB};
use spec::api::Event;

/// A raw `svc` with `number` in x7 and `x0` in x0.
fn raw(m: &mut Sim, number: u64, x0: u64) -> spec::api::Outcome {
    m.event(Event::Syscall {
        regs: [x0, 0, 0, 0, 0, 0, 0, number],
        buffer: vec![],
    })
}

/// TCB2 runs with a fault endpoint (EP, badge 0xfa) while root waits on EP.
fn with_handler() -> (Sim, u64, u64) {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 0xfa));
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[200, 0, 0, 0x7100_0000],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[10], &[INIT_THREAD_TCB]));
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 1, 0x5000], &[]));
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
    let root = tcb_at(&m, INIT_THREAD_TCB);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    let t2 = tcb_at(&m, TCB2);
    assert_eq!(m.s.current, t2);
    (m, root, t2)
}

#[test]
fn syscall_numbers_are_the_non_mcs_ones() {
    let n = |s: Syscall| s.word() as i64;
    assert_eq!(n(Syscall::Call), -1);
    assert_eq!(n(Syscall::ReplyRecv), -2);
    assert_eq!(n(Syscall::Send), -3);
    assert_eq!(n(Syscall::NBSend), -4);
    assert_eq!(n(Syscall::Recv), -5);
    assert_eq!(n(Syscall::Reply), -6);
    assert_eq!(n(Syscall::Yield), -7);
    assert_eq!(n(Syscall::NBRecv), -8);
}

#[test]
fn debug_syscall_numbers() {
    let n = |s: Syscall| s.word() as i64;
    assert_eq!(n(Syscall::DebugPutChar), -9);
    assert_eq!(n(Syscall::DebugDumpScheduler), -10);
    assert_eq!(n(Syscall::DebugHalt), -11);
    assert_eq!(n(Syscall::DebugCapIdentify), -12);
    assert_eq!(n(Syscall::DebugSnapshot), -13);
    assert_eq!(n(Syscall::DebugNameThread), -14);
    assert_eq!(n(Syscall::BenchmarkNullSyscall), -22);
    assert_eq!(n(Syscall::SetTLSBase), -30);
}

#[test]
fn numbers_between_the_known_ones_are_unknown_syscall_faults() {
    for number in [-15i64, -21, -23, -29, -31, 0, 1, i64::MIN] {
        let (mut m, root, t2) = with_handler();
        let out = raw(&mut m, number as u64, 0);
        assert_eq!(out.faults.len(), 1, "{number}");
        assert_eq!(out.faults[0].0, t2);
        let r = m.reply_of(root);
        assert_eq!(r.label, FaultType::UnknownSyscall.word(), "{number}");
        assert_eq!(r.words[fault::unknown_syscall::SYSCALL], number as u64);
    }
}

#[test]
fn an_unknown_syscall_without_a_handler_stops_the_thread() {
    let mut m = Sim::default();
    let me = m.s.current;
    raw(&mut m, -15i64 as u64, 0);
    assert_eq!(m.s.tcb(me).state, ThreadState::Inactive);
    assert_eq!(m.s.current, m.s.idle);
}

#[test]
fn unknown_syscall_message_carries_x0_to_x7() {
    let (mut m, root, _) = with_handler();
    m.event(Event::Syscall {
        regs: [10, 11, 12, 13, 14, 15, 16, 99],
        buffer: vec![],
    });
    let r = m.reply_of(root);
    assert_eq!(r.words.len(), fault::unknown_syscall::LENGTH);
    assert_eq!(&r.words[..8], &[10, 11, 12, 13, 14, 15, 16, 99]);
    assert_eq!(r.words[fault::unknown_syscall::SYSCALL], 99);
}

#[test]
fn unknown_syscall_reply_label_0_writes_back_the_registers() {
    let (mut m, root, t2) = with_handler();
    raw(&mut m, 99, 0);
    let mut words = m.reply_of(root).words;
    words[0] = 0x77;
    words[fault::unknown_syscall::FAULT_IP] += 4;
    m.syscall(
        Syscall::Reply,
        0,
        0,
        &words[..fault::unknown_syscall::LENGTH - 1],
        &[],
    );
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
    assert_eq!(m.s.tcb(t2).regs[index::X0], 0x77);
}

#[test]
fn unknown_syscall_reply_label_0_with_no_words_restarts_at_the_svc() {
    let (mut m, _, t2) = with_handler();
    raw(&mut m, 99, 0);
    m.syscall(Syscall::Reply, 0, 0, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(
        m.s.tcb(t2).regs[index::PC],
        0x5000,
        "the svc is re-executed"
    );
}

#[test]
fn unknown_syscall_reply_with_a_nonzero_label_leaves_the_thread_stopped() {
    let (mut m, _, t2) = with_handler();
    raw(&mut m, 99, 0);
    m.syscall(Syscall::Reply, 0, 1, &[1, 2, 3], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
}

#[test]
fn debug_put_char_prints_the_low_byte_of_x0() {
    let mut m = Sim::default();
    raw(&mut m, Syscall::DebugPutChar.word(), 0x1_41);
    assert_eq!(m.s.console, "A");
}

#[test]
fn debug_put_char_is_not_a_fault_and_continues() {
    let mut m = Sim::default();
    let me = m.s.current;
    let out = raw(&mut m, Syscall::DebugPutChar.word(), b'x' as u64);
    assert!(out.faults.is_empty());
    assert_eq!(out.console, "x");
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
}

#[test]
fn debug_cap_identify_returns_the_cap_type_in_x0() {
    let mut m = with_objects();
    let root = m.s.current;
    for (cptr, tag) in [(FIRST_UNTYPED, 2), (EP, 4), (NTFN, 6), (CN, 10), (TCB2, 12)] {
        m.syscall(Syscall::DebugCapIdentify, cptr, 0, &[], &[]);
        assert_eq!(m.reply_of(root).badge, tag, "cptr {cptr}");
    }
}

#[test]
fn debug_cap_identify_of_an_empty_or_unreachable_slot_is_0() {
    let mut m = with_objects();
    let root = m.s.current;
    m.syscall(Syscall::DebugCapIdentify, 300, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0);
    let out = m.syscall(Syscall::DebugCapIdentify, 1 << 63, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0);
    assert!(out.faults.is_empty(), "a failed lookup is not a fault here");
}

#[test]
fn debug_halt_stops_the_machine_and_later_events_do_nothing() {
    let mut m = with_objects();
    raw(&mut m, Syscall::DebugHalt.word(), 0);
    assert!(m.s.halted);
    let before = m.s.clone();
    raw(&mut m, Syscall::DebugPutChar.word(), b'x' as u64);
    m.event(Event::TimerTick);
    assert_eq!(m.s.console, before.console);
    assert_eq!(m.s.current, before.current);
}

#[test]
fn debug_name_thread_names_the_thread_in_x0() {
    let mut m = with_objects();
    m.pending.push((1, u64::from_le_bytes(*b"root\0\0\0\0")));
    m.syscall(Syscall::DebugNameThread, INIT_THREAD_TCB, 0, &[], &[]);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    assert_eq!(m.s.tcb(root).name, "root");
}

#[test]
fn debug_name_thread_with_a_longer_name_spans_words() {
    let mut m = with_objects();
    m.pending.push((1, u64::from_le_bytes(*b"a-longer")));
    m.pending.push((2, u64::from_le_bytes(*b"-name\0\0\0")));
    m.syscall(Syscall::DebugNameThread, TCB2, 0, &[], &[]);
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).name, "a-longer-name");
}

#[test]
fn debug_name_thread_without_a_nul_changes_nothing() {
    let mut m = with_objects();
    for i in 0..sel4_abi::MSG_MAX_LENGTH {
        m.pending.push((1 + i, u64::from_le_bytes(*b"xxxxxxxx")));
    }
    m.syscall(Syscall::DebugNameThread, TCB2, 0, &[], &[]);
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).name, "");
    assert!(!m.s.halted);
}

#[test]
fn debug_name_thread_through_a_bad_cptr_changes_nothing() {
    let mut m = with_objects();
    let me = m.s.current;
    m.pending.push((1, u64::from_le_bytes(*b"x\0\0\0\0\0\0\0")));
    let out = m.syscall(Syscall::DebugNameThread, 1 << 63, 0, &[], &[]);
    assert!(out.faults.is_empty());
    assert!(!m.s.halted);
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
}

#[test]
fn debug_snapshot_and_dump_scheduler_change_nothing() {
    let mut m = with_objects();
    let mut before = m.s.clone();
    raw(&mut m, Syscall::DebugSnapshot.word(), 0);
    raw(&mut m, Syscall::DebugDumpScheduler.word(), 0);
    // Only the caller's registers (x0..x7 as passed, the pc past the svc) changed.
    let me = m.s.current;
    before.tcb_mut(me).regs = m.s.tcb(me).regs;
    before.tcb_mut(me).fault_ip = m.s.tcb(me).fault_ip;
    assert_eq!(m.s, before);
}

#[test]
fn benchmark_null_syscall_changes_nothing_but_the_pc() {
    let mut m = with_objects();
    let me = m.s.current;
    let pc = m.s.tcb(me).regs[index::PC];
    let out = raw(&mut m, Syscall::BenchmarkNullSyscall.word(), 5);
    assert!(out.faults.is_empty());
    assert_eq!(m.s.tcb(me).regs[index::PC], pc + 4);
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
}

#[test]
fn set_tls_base_writes_tpidr_el0_and_continues() {
    let mut m = Sim::default();
    let me = m.s.current;
    let out = raw(&mut m, Syscall::SetTLSBase.word(), 0xdead_b000);
    assert!(out.faults.is_empty());
    assert_eq!(m.s.tcb(me).regs[index::TPIDR_EL0], 0xdead_b000);
    assert_eq!(m.s.current, me);
}

#[test]
fn every_syscall_advances_the_pc_past_the_svc() {
    let mut m = with_objects();
    let me = m.s.current;
    let pc = m.s.tcb(me).regs[index::PC];
    m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    assert_eq!(m.s.tcb(me).regs[index::PC], pc + 4);
    assert_eq!(m.s.tcb(me).fault_ip, pc);
}

#[test]
fn reply_without_a_caller_does_nothing() {
    let mut m = with_objects();
    let me = m.s.current;
    let out = m.syscall(Syscall::Reply, 0, 0, &[1], &[]);
    assert!(out.faults.is_empty());
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
}

#[test]
fn reply_recv_without_a_caller_just_receives() {
    let mut m = with_objects();
    let me = m.s.current;
    m.syscall(Syscall::ReplyRecv, EP, 0, &[], &[]);
    assert!(matches!(
        m.s.tcb(me).state,
        ThreadState::BlockedOnReceive { .. }
    ));
}

#[test]
fn send_to_an_empty_slot_is_silently_dropped() {
    let mut m = with_objects();
    let me = m.s.current;
    let out = m.syscall(Syscall::Send, 300, 0, &[], &[]);
    assert!(out.faults.is_empty());
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
}

#[test]
fn send_through_a_bad_cptr_is_a_cap_fault() {
    let mut m = with_objects();
    let me = m.s.current;
    let out = m.syscall(Syscall::Send, 1 << 63, 0, &[], &[]);
    assert_eq!(out.faults.len(), 1);
    assert!(matches!(
        out.faults[0].1,
        spec::model::Fault::Cap {
            in_recv_phase: false,
            ..
        }
    ));
    assert_eq!(m.s.tcb(me).state, ThreadState::Inactive);
}

#[test]
fn nbsend_with_a_bad_extra_cap_is_silent() {
    let mut m = with_objects();
    let me = m.s.current;
    let out = m.syscall(Syscall::NBSend, EP, 0, &[], &[1 << 63]);
    assert!(out.faults.is_empty());
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
}

#[test]
fn send_with_a_bad_extra_cap_is_a_cap_fault_on_that_cptr() {
    let mut m = with_objects();
    let out = m.syscall(Syscall::Send, EP, 0, &[], &[300, 1 << 63]);
    match out.faults.as_slice() {
        [(_, spec::model::Fault::Cap { addr, .. }, false)] => assert_eq!(*addr, 1 << 63),
        f => panic!("{f:?}"),
    }
}

#[test]
fn nbrecv_on_an_empty_slot_is_a_cap_fault_in_the_receive_phase() {
    let mut m = with_objects();
    let out = m.syscall(Syscall::NBRecv, 300, 0, &[], &[]);
    assert!(matches!(
        out.faults.as_slice(),
        [(
            _,
            spec::model::Fault::Cap {
                in_recv_phase: true,
                addr: 300,
                failure: spec::model::LookupFailure::MissingCapability { bits_left: 0 }
            },
            false
        )]
    ));
}

#[test]
fn recv_through_a_bad_cptr_reports_the_lookup_failure() {
    let mut m = with_objects();
    let out = m.syscall(Syscall::Recv, 1 << 63, 0, &[], &[]);
    assert!(matches!(
        out.faults.as_slice(),
        [(
            _,
            spec::model::Fault::Cap {
                in_recv_phase: true,
                failure: spec::model::LookupFailure::GuardMismatch { .. },
                ..
            },
            false
        )]
    ));
}

#[test]
fn nbrecv_on_an_idle_endpoint_returns_at_once_with_badge_0() {
    let mut m = with_objects();
    let me = m.s.current;
    let out = m.syscall(Syscall::NBRecv, EP, 0, &[], &[]);
    assert!(out.faults.is_empty());
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
    assert_eq!(m.reply_of(me).badge, 0);
}

#[test]
fn yield_to_a_lower_priority_thread_keeps_running() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let me = m.s.current;
    m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    assert_eq!(m.s.current, me);
}

#[test]
fn unknown_syscall_message_carries_sp_lr_and_spsr() {
    let (mut m, root, t2) = with_handler();
    m.s.tcb_mut(t2).regs[index::SP] = 0x8800;
    m.s.tcb_mut(t2).regs[index::X30] = 0x4444;
    raw(&mut m, 99, 0);
    let r = m.reply_of(root);
    assert_eq!(r.words[fault::unknown_syscall::SP], 0x8800);
    assert_eq!(r.words[fault::unknown_syscall::LR], 0x4444);
    assert_eq!(
        r.words[fault::unknown_syscall::SPSR],
        m.s.tcb(t2).regs[index::SPSR]
    );
    assert_eq!(r.words[fault::unknown_syscall::FAULT_IP], 0x5000);
}

#[test]
fn unknown_syscall_reply_writes_lr_back() {
    let (mut m, root, t2) = with_handler();
    raw(&mut m, 99, 0);
    let mut words = m.reply_of(root).words;
    words[fault::unknown_syscall::LR] = 0x1234_0000;
    m.syscall(
        Syscall::Reply,
        0,
        0,
        &words[..fault::unknown_syscall::LENGTH - 1],
        &[],
    );
    assert_eq!(m.s.tcb(t2).regs[index::X30], 0x1234_0000);
}
