//! Faults: messages in seL4's layouts to the fault endpoint, replies, and no handler.

use crate::common::*;
use sel4_abi::{context::index, fault, init_cap::INIT_THREAD_TCB};

/// TCB2 runs with fault endpoint cptr 200 (EP with all rights, badge 0xfa); root waits on EP.
fn faulting() -> (Sim, u64, u64) {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 0xfa));
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[200, 0, 0, 0x7100_0000],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[10], &[INIT_THREAD_TCB]));
    let t2 = tcb_at(&m, TCB2);
    // Give TCB2 a pc so fault messages show it.
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 1, 0x5000], &[]));
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
    let root = tcb_at(&m, INIT_THREAD_TCB);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    (m, root, t2)
}

#[test]
fn unknown_syscall_message_and_restart_on_label_0() {
    let (mut m, root, t2) = faulting();
    let out = m.event(spec::api::Event::UnknownSyscall { number: 99 });
    assert_eq!(out.faults.len(), 1);
    assert_eq!(out.faults[0].0, t2);
    assert!(out.faults[0].2, "delivered");
    assert_eq!(m.s.current, root);
    let r = m.reply_of(root);
    assert_eq!(r.label, FaultType::UnknownSyscall.word());
    assert_eq!(r.badge, 0xfa);
    assert_eq!(r.words.len(), fault::unknown_syscall::LENGTH);
    assert_eq!(
        r.words[fault::unknown_syscall::FAULT_IP],
        0x5000,
        "the svc itself"
    );
    assert_eq!(r.words[fault::unknown_syscall::SYSCALL], 99);
    // Reply label 0 with a new pc: the thread restarts there.
    let mut words = r.words.clone();
    words[fault::unknown_syscall::FAULT_IP] = 0x6000;
    m.syscall(Syscall::Reply, 0, 0, &words[..12], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    assert_eq!(m.s.tcb(t2).regs[index::PC], 0x6000);
}

#[test]
fn reply_with_nonzero_label_leaves_the_thread_stopped() {
    let (mut m, root, t2) = faulting();
    m.event(spec::api::Event::UserException { esr: 0x1234 });
    let r = m.reply_of(root);
    assert_eq!(r.label, FaultType::UserException.word());
    assert_eq!(r.words.len(), fault::user_exception::LENGTH);
    assert_eq!(r.words[fault::user_exception::FAULT_IP], 0x5000);
    assert_eq!(r.words[fault::user_exception::NUMBER], 0x1234);
    assert_eq!(r.words[fault::user_exception::CODE], 0);
    m.syscall(Syscall::Reply, 0, 1, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
}

#[test]
fn vm_fault_message() {
    let (mut m, root, t2) = faulting();
    m.event(spec::api::Event::VmFault {
        addr: 0xdead_0000,
        fsr: 0x92,
        instruction: false,
    });
    let r = m.reply_of(root);
    assert_eq!(r.label, FaultType::VMFault.word());
    assert_eq!(r.words, vec![0x5000, 0xdead_0000, 0, 0x92]);
    // VM faults always restart on reply.
    m.syscall(Syscall::Reply, 0, 5, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
}

#[test]
fn instruction_fault_reports_the_pc() {
    let (mut m, root, _) = faulting();
    m.event(spec::api::Event::VmFault {
        addr: 0,
        fsr: 0x86,
        instruction: true,
    });
    assert_eq!(m.reply_of(root).words, vec![0x5000, 0x5000, 1, 0x86]);
}

#[test]
fn cap_fault_message_lengths_depend_on_the_failure() {
    let (mut m, root, _) = faulting();
    // Missing capability? An empty slot is not a lookup failure; a guard mismatch is.
    m.syscall(Syscall::Call, 1 << 63, 0, &[], &[]);
    let r = m.reply_of(root);
    assert_eq!(r.label, FaultType::CapFault.word());
    assert_eq!(r.words.len(), fault::cap_fault::LENGTH);
    assert_eq!(r.words[fault::cap_fault::ADDR], 1 << 63);
    assert_eq!(r.words[fault::cap_fault::IN_RECV_PHASE], 0);
    assert_eq!(
        r.words[fault::cap_fault::LOOKUP_FAILURE_TYPE],
        LookupFailureType::GuardMismatch.word()
    );
    assert_eq!(r.words[fault::cap_fault::GUARD_BITS_FOUND], 52);
}

#[test]
fn recv_on_a_non_endpoint_is_a_missing_capability_fault_in_receive_phase() {
    let (mut m, root, _) = faulting();
    m.syscall(Syscall::Recv, FRAME, 0, &[], &[]);
    let r = m.reply_of(root);
    assert_eq!(r.words.len(), 5);
    assert_eq!(r.words[fault::cap_fault::IN_RECV_PHASE], 1);
    assert_eq!(
        r.words[fault::cap_fault::LOOKUP_FAILURE_TYPE],
        LookupFailureType::MissingCapability.word()
    );
    assert_eq!(r.words[fault::cap_fault::BITS_LEFT], 0);
}

#[test]
fn fault_handler_without_grant_rights_is_a_double_fault() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, EP, 200, CapRights::READ_WRITE));
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[200, 0, 0, 0],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[255], &[INIT_THREAD_TCB]));
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.event(spec::api::Event::UserException { esr: 1 });
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
}

#[test]
fn a_cap_fault_reply_restarts_whatever_the_label() {
    let (mut m, root, t2) = faulting();
    m.syscall(Syscall::Recv, FRAME, 0, &[], &[]);
    let _ = m.reply_of(root);
    m.syscall(Syscall::Reply, 0, 7, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
}

#[test]
fn suspending_a_thread_waiting_for_its_handler_drops_the_reply_cap() {
    let (mut m, root, t2) = faulting();
    m.event(spec::api::Event::UserException { esr: 3 });
    assert_eq!(m.s.current, root);
    assert_eq!(m.s.tcb(t2).state, ThreadState::BlockedOnReply);
    assert_ok(&m.call(TCB2, L::TcbSuspend, &[], &[]));
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
    let caller = spec::kernel::cspace::slot_at(root, spec::kernel::thread::TCB_CALLER);
    assert!(m.s.cap(caller).is_null());
}

/// TCB2 with fault endpoint cptr 200 (a copy of EP with `rights`), resumed at priority 255
/// after root yields, and made to raise a user exception.
fn fault_with_handler_rights(rights: CapRights) -> (Sim, u64, spec::api::Outcome) {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, EP, 200, rights));
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[200, 0, 0, 0],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[255], &[INIT_THREAD_TCB]));
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    let out = m.event(spec::api::Event::UserException { esr: 1 });
    (m, t2, out)
}

#[test]
fn a_handler_with_write_and_grant_reply_only_receives_the_fault() {
    let (m, t2, out) = fault_with_handler_rights(CapRights::WRITE | CapRights::GRANT_REPLY);
    assert!(out.faults[0].2, "delivered");
    assert!(matches!(
        m.s.tcb(t2).state,
        ThreadState::BlockedOnSend { .. }
    ));
}

#[test]
fn a_handler_without_write_is_a_double_fault() {
    let (m, t2, out) = fault_with_handler_rights(CapRights::READ | CapRights::GRANT);
    assert!(!out.faults[0].2);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
}

#[test]
fn a_fault_handler_slot_that_is_empty_is_a_double_fault() {
    let mut m = with_objects();
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[300, 0, 0, 0],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[255], &[INIT_THREAD_TCB]));
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Yield, 0, 0, &[], &[]);
    let out = m.event(spec::api::Event::VmFault {
        addr: 0,
        fsr: 0,
        instruction: false,
    });
    assert_eq!(out.faults.len(), 1);
    assert!(!out.faults[0].2);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
}

#[test]
fn a_fault_waits_in_the_send_queue_until_the_handler_receives() {
    let (mut m, t2, _) = fault_with_handler_rights(CapRights::ALL_RIGHTS);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    assert_eq!(m.s.current, root);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    let r = m.reply_of(root);
    assert_eq!(r.label, FaultType::UserException.word());
    assert_eq!(r.words[fault::user_exception::NUMBER], 1);
    assert_eq!(m.s.tcb(t2).state, ThreadState::BlockedOnReply);
}

#[test]
fn a_delivered_fault_leaves_the_thread_blocked_on_reply() {
    let (mut m, _, t2) = faulting();
    m.event(spec::api::Event::VmFault {
        addr: 0x10,
        fsr: 0x7,
        instruction: false,
    });
    assert_eq!(m.s.tcb(t2).state, ThreadState::BlockedOnReply);
}

#[test]
fn user_exception_message_carries_sp_and_spsr() {
    let (mut m, root, t2) = faulting();
    m.s.tcb_mut(t2).regs[index::SP] = 0x8000;
    m.event(spec::api::Event::UserException { esr: 0x56 });
    let r = m.reply_of(root);
    assert_eq!(r.words[fault::user_exception::SP], 0x8000);
    assert_eq!(
        r.words[fault::user_exception::SPSR],
        m.s.tcb(t2).regs[index::SPSR]
    );
}

#[test]
fn user_exception_reply_label_0_writes_back_pc_and_sp() {
    let (mut m, root, t2) = faulting();
    m.event(spec::api::Event::UserException { esr: 0x56 });
    let mut words = m.reply_of(root).words;
    words[fault::user_exception::FAULT_IP] = 0x7000;
    words[fault::user_exception::SP] = 0x9000;
    m.syscall(Syscall::Reply, 0, 0, &words[..3], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
    assert_eq!(m.s.tcb(t2).regs[index::SP], 0x9000);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    assert_eq!(m.s.tcb(t2).regs[index::PC], 0x7000);
}

#[test]
fn a_fault_reply_sanitises_the_spsr() {
    let (mut m, root, t2) = faulting();
    m.event(spec::api::Event::UserException { esr: 0x56 });
    let mut words = m.reply_of(root).words;
    words[fault::user_exception::SPSR] = u64::MAX;
    m.syscall(Syscall::Reply, 0, 0, &words[..3], &[]);
    assert_eq!(
        m.s.tcb(t2).regs[index::SPSR],
        spec::machine::sanitise(index::SPSR, u64::MAX)
    );
    assert_ne!(m.s.tcb(t2).regs[index::SPSR], u64::MAX);
}

#[test]
fn a_fault_can_be_replied_to_through_a_saved_reply_cap() {
    let (mut m, _, t2) = faulting();
    m.event(spec::api::Event::UserException { esr: 0x56 });
    assert_ok(&m.call(ROOT_CNODE, L::CNodeSaveCaller, &[300, 64], &[]));
    assert!(matches!(m.root_cap(300), Cap::Reply { master: false, .. }));
    m.syscall(Syscall::Send, 300, 0, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
}

#[test]
fn cap_fault_depth_mismatch_has_six_words() {
    let mut m = with_objects();
    // TCB2's CSpace: the root CNode with a 50-bit guard (62 bits per level), so a cptr
    // reaching CN (radix 4) has only 2 bits left for it.
    let data = sel4_abi::CNodeCapData::new(0, 50).to_word();
    let vs = sel4_abi::init_cap::INIT_THREAD_VSPACE;
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 0xfa));
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[200 << 2, data, 0, 0x7100_0000],
        &[ROOT_CNODE, vs, FRAME],
    ));
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[10], &[INIT_THREAD_TCB]));
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 1, 0x5000], &[]));
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
    let root = tcb_at(&m, INIT_THREAD_TCB);
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Call, CN << 2, 0, &[], &[]);
    let r = m.reply_of(root);
    assert_eq!((r.label, r.badge), (FaultType::CapFault.word(), 0xfa));
    assert_eq!(
        r.words,
        vec![
            0x5000,
            CN << 2,
            0,
            LookupFailureType::DepthMismatch.word(),
            2,
            4
        ]
    );
}
