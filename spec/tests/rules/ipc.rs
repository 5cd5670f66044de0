//! Endpoint IPC: send, receive, call, reply, badges, rights, cap transfer, queues.

use crate::common::*;
use sel4_abi::init_cap::INIT_THREAD_TCB;

const BUF2: u64 = 0x7100_0000;

/// Root (priority 255) and TCB2 (priority 10) share the CSpace; root runs first.
fn two_threads() -> (Sim, u64, u64) {
    let mut m = with_objects();
    start_second(&mut m, 10, BUF2);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    let t2 = tcb_at(&m, TCB2);
    assert_eq!(m.s.current, root);
    (m, root, t2)
}

#[test]
fn call_and_reply_carry_badge_label_and_words() {
    let (mut m, root, t2) = two_threads();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 42));
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2, "root blocked, TCB2 runs");
    m.syscall(Syscall::Call, 200, 5, &[1, 2, 3, 4, 5, 6], &[]);
    assert_eq!(m.s.current, root, "the higher-priority receiver runs");
    let got = m.reply_of(root);
    assert_eq!((got.badge, got.label), (42, 5));
    assert_eq!(got.words, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::BlockedOnReply);
    m.syscall(Syscall::Reply, 0, 0, &[9, 8], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Running);
    let rep = m.reply_of(t2);
    assert_eq!(
        (rep.label, rep.words.clone(), rep.badge),
        (0, vec![9, 8], 0)
    );
}

#[test]
fn send_blocks_until_a_receiver_comes() {
    let (mut m, root, t2) = two_threads();
    m.syscall(Syscall::Send, EP, 3, &[7], &[]);
    assert!(matches!(
        m.s.tcb(root).state,
        ThreadState::BlockedOnSend { .. }
    ));
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    assert_eq!(m.s.current, root);
    let got = m.reply_of(t2);
    assert_eq!((got.label, got.words), (3, vec![7]));
}

#[test]
fn send_without_write_is_invalid_capability_not_a_fault() {
    let (mut m, root, _) = two_threads();
    assert_ok(&copy(&mut m, EP, 200, CapRights::READ));
    let r = m.call_raw(200, 0, &[], &[]);
    assert_err(&r, Error::InvalidCapability, &[0]);
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    // An empty slot behaves the same.
    let r = m.call_raw(300, 0, &[], &[]);
    assert_err(&r, Error::InvalidCapability, &[0]);
}

#[test]
fn recv_without_read_is_a_cap_fault() {
    let (mut m, root, _) = two_threads();
    assert_ok(&copy(&mut m, EP, 200, CapRights::WRITE));
    m.syscall(Syscall::Recv, 200, 0, &[], &[]);
    // No fault handler: the thread stops.
    assert_eq!(m.s.tcb(root).state, ThreadState::Inactive);
}

#[test]
fn nbsend_and_nbrecv_do_not_block() {
    let (mut m, root, _) = two_threads();
    m.syscall(Syscall::NBSend, EP, 0, &[1], &[]);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    m.syscall(Syscall::NBRecv, EP, 0, &[], &[]);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    assert_eq!(m.reply_of(root).badge, 0);
}

#[test]
fn long_messages_are_cut_to_120_and_to_4_without_buffer() {
    let (mut m, root, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    let words: Vec<u64> = (0..127).collect();
    m.syscall(Syscall::Send, EP, 0, &words, &[]);
    assert_eq!(m.reply_of(root).words.len(), 120);
    // TCB2 loses its buffer: its messages are four words.
    assert_eq!(m.s.current, root);
    assert_ok(&m.call(TCB2, L::TcbSetIpcBuffer, &[0], &[FRAME]));
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Send, EP, 0, &[1, 2, 3, 4, 5, 6], &[]);
    assert_eq!(m.reply_of(root).words, vec![1, 2, 3, 4]);
}

#[test]
fn caps_are_transferred_with_grant_and_unwrapped_to_the_same_endpoint() {
    let (mut m, root, _) = two_threads();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 77));
    m.receive_slot(ROOT_CNODE, 300, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    // TCB2 sends a notification cap (transferred) and the badged EP cap (unwrapped).
    m.syscall(Syscall::Send, EP, 0, &[], &[200, NTFN]);
    let got = crate::common::Sim::reply_of(&m, root);
    let report = spec::api::event::report(&m.s, root);
    assert_eq!(report.info.extra_caps, 2);
    assert_eq!(report.info.caps_unwrapped, 0b01);
    assert!(matches!(m.root_cap(300), Cap::Notification { .. }));
    let buf = spec::kernel::thread::lookup_ipc_buffer(&m.s, root, true).unwrap();
    let w = m.s.read_word(buf + 8 * spec::harness::cap_word(0) as u64);
    assert_eq!(w, 77);
    let _ = got;
}

#[test]
fn without_grant_no_caps_travel() {
    let (mut m, root, _) = two_threads();
    assert_ok(&copy(&mut m, EP, 200, CapRights::READ_WRITE));
    m.receive_slot(ROOT_CNODE, 300, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, 200, 0, &[], &[NTFN]);
    assert!(m.root_cap(300).is_null());
    assert_eq!(spec::api::event::report(&m.s, root).info.extra_caps, 0);
}

#[test]
fn call_without_grant_or_grant_reply_leaves_the_caller_inactive() {
    let (mut m, _, t2) = two_threads();
    assert_ok(&copy(&mut m, EP, 200, CapRights::READ_WRITE));
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, 200, 0, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
}

#[test]
fn recv_discards_a_pending_reply_cap_and_save_caller_keeps_it() {
    let (mut m, root, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    assert_eq!(m.s.current, root);
    // Save the reply cap, then receive again (which would have discarded it).
    assert_ok(&m.call(ROOT_CNODE, L::CNodeSaveCaller, &[300, 64], &[]));
    assert!(matches!(m.root_cap(300), Cap::Reply { master: false, .. }));
    m.syscall(Syscall::NBRecv, EP, 0, &[], &[]);
    // Reply through the saved cap (invoked like any cap).
    m.syscall(Syscall::Send, 300, 0, &[5], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Running);
    assert_eq!(m.reply_of(t2).words, vec![5]);
    assert!(m.root_cap(300).is_null(), "a reply cap is used once");
}

#[test]
fn recv_drops_the_reply_cap_of_an_earlier_call() {
    let (mut m, root, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    assert_eq!(m.s.current, root);
    m.syscall(Syscall::NBRecv, EP, 0, &[], &[]);
    m.syscall(Syscall::Reply, 0, 0, &[5], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::BlockedOnReply);
}

#[test]
fn reply_recv_replies_then_waits() {
    let (mut m, root, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    m.syscall(Syscall::ReplyRecv, EP, 0, &[3], &[]);
    assert!(matches!(
        m.s.tcb(root).state,
        ThreadState::BlockedOnReceive { .. }
    ));
    assert_eq!(m.s.current, t2);
    assert_eq!(m.reply_of(t2).words, vec![3]);
}

#[test]
fn call_on_a_notification_signals_and_returns_an_empty_reply() {
    let (mut m, root, _) = two_threads();
    let r = m.call_raw(NTFN, 9, &[1, 2], &[]);
    assert_eq!((r.label, r.words.len()), (0, 0));
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0, "unbadged signal");
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
}

#[test]
fn senders_are_served_in_fifo_order() {
    let (mut m, root, t2) = two_threads();
    // Root sends first (blocks), then TCB2 sends (blocks), then nobody runs but idle.
    m.syscall(Syscall::Send, EP, 1, &[], &[]);
    m.syscall(Syscall::Send, EP, 2, &[], &[]);
    assert_eq!(m.s.current, m.s.idle);
    match &m.s.objects[&m.root_cap(EP).region().unwrap().0] {
        spec::model::Object::Endpoint(spec::model::Endpoint::Send(q)) => {
            assert_eq!(q.iter().copied().collect::<Vec<_>>(), vec![root, t2]);
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn cancel_badged_sends_restarts_only_that_badge() {
    let (mut m, root, t2) = two_threads();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 5));
    // TCB2 must send with badge 5: let root block in Recv on NTFN so TCB2 runs.
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    assert!(matches!(
        m.s.tcb(t2).state,
        ThreadState::BlockedOnSend { badge: 5, .. }
    ));
    // Wake root with a signal through an interrupt-free path: deliver via the model.
    let n = m.root_cap(NTFN).region().unwrap().0;
    spec::kernel::notification::send_signal(&mut m.s, n, 1);
    spec::kernel::thread::schedule(&mut m.s);
    assert_eq!(m.s.current, root);
    assert_ok(&m.call(ROOT_CNODE, L::CNodeCancelBadgedSends, &[200, 64], &[]));
    assert_eq!(m.s.tcb(t2).state, ThreadState::Restart);
}

fn info_of(m: &Sim, t: u64) -> sel4_abi::MessageInfo {
    spec::api::event::report(&m.s, t).info
}

#[test]
fn a_cap_is_not_transferred_into_a_full_receive_slot() {
    let (mut m, root, _) = two_threads();
    m.receive_slot(ROOT_CNODE, EP, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, EP, 0, &[], &[NTFN]);
    assert_eq!(info_of(&m, root).extra_caps, 0);
    assert!(matches!(m.root_cap(EP), Cap::Endpoint { .. }));
}

#[test]
fn a_cap_is_not_transferred_when_the_receive_slot_cannot_be_found() {
    let (mut m, root, _) = two_threads();
    m.receive_slot(ROOT_CNODE, 1 << 63, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, EP, 0, &[1], &[NTFN]);
    assert_eq!(info_of(&m, root).extra_caps, 0);
    assert_eq!(m.reply_of(root).words, vec![1], "the message still arrives");
}

#[test]
fn only_one_cap_is_transferred_per_message() {
    let (mut m, root, _) = two_threads();
    m.receive_slot(ROOT_CNODE, 300, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, EP, 0, &[], &[NTFN, TCB2]);
    assert_eq!(info_of(&m, root).extra_caps, 1);
    assert!(matches!(m.root_cap(300), Cap::Notification { .. }));
}

#[test]
fn an_empty_extra_cap_stops_the_transfer() {
    let (mut m, root, _) = two_threads();
    m.receive_slot(ROOT_CNODE, 300, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, EP, 0, &[], &[301, NTFN]);
    assert_eq!(info_of(&m, root).extra_caps, 0);
    assert!(m.root_cap(300).is_null());
}

#[test]
fn unwrapped_badges_follow_a_transferred_cap() {
    let (mut m, root, _) = two_threads();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 0x31));
    m.receive_slot(ROOT_CNODE, 300, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, EP, 0, &[], &[NTFN, 200]);
    let info = info_of(&m, root);
    assert_eq!((info.extra_caps, info.caps_unwrapped), (2, 0b10));
    let buf = spec::kernel::thread::lookup_ipc_buffer(&m.s, root, true).unwrap();
    let w = m.s.read_word(buf + 8 * spec::harness::cap_word(1) as u64);
    assert_eq!(w, 0x31);
}

#[test]
fn a_transferred_cap_is_a_child_of_the_senders_cap() {
    let (mut m, _, _) = two_threads();
    m.receive_slot(ROOT_CNODE, 300, ROOT_DEPTH);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, EP, 0, &[], &[NTFN]);
    assert!(m.s.has_children(m.root_slot(NTFN)));
}

#[test]
fn the_message_label_and_length_arrive_as_sent() {
    let (mut m, root, _) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, EP, 0xabcd, &[1, 2, 3, 4, 5], &[]);
    let info = info_of(&m, root);
    assert_eq!((info.label, info.length), (0xabcd, 5));
}

#[test]
fn nbsend_without_a_receiver_leaves_the_endpoint_idle() {
    let (mut m, root, _) = two_threads();
    m.syscall(Syscall::NBSend, EP, 0, &[1], &[]);
    let ep = m.root_cap(EP).region().unwrap().0;
    assert_eq!(
        m.s.objects[&ep],
        spec::model::Object::Endpoint(spec::model::Endpoint::Idle)
    );
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
}

#[test]
fn nbsend_without_write_is_silent() {
    let (mut m, root, _) = two_threads();
    assert_ok(&copy(&mut m, EP, 200, CapRights::READ));
    let out = m.syscall(Syscall::NBSend, 200, 0, &[], &[]);
    assert!(out.faults.is_empty());
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
}

#[test]
fn a_receiver_takes_the_first_waiting_sender() {
    let (mut m, root, t2) = two_threads();
    // Root blocks sending; TCB2 receives it.
    m.syscall(Syscall::Send, EP, 7, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.reply_of(t2).label, 7);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
}

#[test]
fn call_to_a_waiting_receiver_gives_it_a_reply_cap() {
    let (mut m, root, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::BlockedOnReply);
    let caller = spec::kernel::cspace::slot_at(root, spec::kernel::thread::TCB_CALLER);
    assert!(matches!(
        m.s.cap(caller),
        Cap::Reply {
            master: false,
            tcb,
            ..
        } if tcb == t2
    ));
}

#[test]
fn a_reply_cap_is_used_once() {
    let (mut m, _, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    m.syscall(Syscall::Reply, 0, 0, &[1], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Running);
    let out = m.syscall(Syscall::Reply, 0, 0, &[2], &[]);
    assert!(out.faults.is_empty());
    assert_eq!(m.reply_of(t2).words, vec![1]);
}

#[test]
fn a_reply_label_and_words_reach_the_caller() {
    let (mut m, _, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    m.syscall(Syscall::Reply, 0, 0x42, &[7, 8, 9, 10, 11], &[]);
    let r = m.reply_of(t2);
    assert_eq!((r.label, r.words), (0x42, vec![7, 8, 9, 10, 11]));
}

#[test]
fn recv_on_a_cap_without_read_is_a_fault_even_with_a_sender_waiting() {
    let (mut m, root, t2) = two_threads();
    assert_ok(&copy(&mut m, EP, 200, CapRights::WRITE));
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::NBRecv, 200, 0, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
    let _ = root;
}

#[test]
fn an_error_reply_length_equals_its_payload() {
    let (mut m, root, _) = two_threads();
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[1 << 63, 64], &[]);
    assert_eq!(r.words.len(), 5);
    assert_eq!(info_of(&m, root).length, 5);
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[300], &[]);
    assert_eq!((r.words.len(), info_of(&m, root).length), (0, 0));
    let _ = r;
}

#[test]
fn a_failed_send_invocation_replies_nothing_to_send() {
    let (mut m, root, _) = two_threads();
    // A decode error on Send is dropped: x1 still holds the message info that was sent.
    m.syscall(
        Syscall::Send,
        ROOT_CNODE,
        L::CNodeDelete.word(),
        &[1 << 63, 64],
        &[],
    );
    assert_eq!(m.reply_of(root).label, L::CNodeDelete.word());
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
}

#[test]
fn a_reply_carries_a_cap_only_if_the_receivers_endpoint_cap_had_grant() {
    for (rights, expect) in [(CapRights::ALL_RIGHTS, 1), (CapRights::READ_WRITE, 0)] {
        let (mut m, _, t2) = two_threads();
        assert_ok(&copy(&mut m, EP, 200, rights));
        m.syscall(Syscall::Recv, 200, 0, &[], &[]);
        // TCB2 calls with a receive slot for the reply's cap.
        m.receive_slot(ROOT_CNODE, 300, ROOT_DEPTH);
        m.syscall(Syscall::Call, EP, 0, &[], &[]);
        m.syscall(Syscall::Reply, 0, 0, &[], &[NTFN]);
        assert_eq!(info_of(&m, t2).extra_caps, expect, "{rights:?}");
        assert_eq!(!m.root_cap(300).is_null(), expect == 1);
    }
}

#[test]
fn deleting_an_endpoint_restarts_its_blocked_senders() {
    let (mut m, root, t2) = two_threads();
    assert_ok(&copy(&mut m, EP, 200, CapRights::ALL_RIGHTS));
    m.syscall(Syscall::Send, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    // TCB2 deletes both caps: the endpoint goes and root is restarted.
    assert_ok(&delete(&mut m, 200));
    m.syscall(
        Syscall::Call,
        ROOT_CNODE,
        L::CNodeDelete.word(),
        &[EP, 64],
        &[],
    );
    assert!(m.s.tcb(root).state.is_runnable());
    assert_eq!(m.s.current, root);
}

#[test]
fn deleting_a_blocked_receiver_leaves_the_endpoint_idle() {
    let (mut m, _, t2) = two_threads();
    // Root blocks on NTFN so TCB2 runs and blocks on EP; then a signal wakes root.
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    let n = m.root_cap(NTFN).region().unwrap().0;
    spec::kernel::notification::send_signal(&mut m.s, n, 1);
    spec::kernel::thread::schedule(&mut m.s);
    assert_ok(&delete(&mut m, TCB2));
    let ep = m.root_cap(EP).region().unwrap().0;
    assert_eq!(
        m.s.objects[&ep],
        spec::model::Object::Endpoint(spec::model::Endpoint::Idle)
    );
}

#[test]
fn a_send_that_wakes_an_equal_priority_receiver_keeps_the_sender_running() {
    let mut m = with_objects();
    start_second(&mut m, 255, 0x7100_0000);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Send, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2, "the receiver waits its turn");
    assert!(m.s.tcb(root).state.is_runnable());
}

#[test]
fn a_send_that_wakes_a_lower_priority_receiver_keeps_the_sender_running() {
    let (mut m, root, t2) = two_threads();
    // TCB2 (priority 10) waits; root sends.
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    let n = m.root_cap(NTFN).region().unwrap().0;
    spec::kernel::notification::send_signal(&mut m.s, n, 1);
    spec::kernel::thread::schedule(&mut m.s);
    assert_eq!(m.s.current, root);
    m.syscall(Syscall::Send, EP, 0, &[], &[]);
    assert_eq!(m.s.current, root);
    assert!(m.s.tcb(t2).state.is_runnable());
}

#[test]
fn a_kernel_reply_clears_the_badge_register() {
    let mut m = with_objects();
    // x0 held the invoked cptr; both error and success replies set it to 0.
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[300], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    assert_eq!(r.badge, 0);
    let r = m.call(FRAME, L::ArmPageGetAddress, &[], &[]);
    assert_ok(&r);
    assert_eq!(r.badge, 0);
}

#[test]
fn a_success_reply_without_data_is_empty() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[300, 64], &[]);
    assert_eq!((r.label, r.words.len()), (0, 0));
    let info = spec::api::event::report(&m.s, m.s.current).info;
    assert_eq!((info.extra_caps, info.caps_unwrapped), (0, 0));
}

#[test]
fn call_on_a_saved_reply_cap_replies_and_gets_an_empty_reply() {
    let (mut m, _, t2) = two_threads();
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    assert_ok(&m.call(ROOT_CNODE, L::CNodeSaveCaller, &[300, 64], &[]));
    let r = m.call_raw(300, 0x9, &[4, 5], &[]);
    assert_eq!((r.label, r.words.len()), (0, 0));
    let got = m.reply_of(t2);
    assert_eq!((got.label, got.words), (0x9, vec![4, 5]));
    assert_eq!(m.s.tcb(t2).state, ThreadState::Running);
}

#[test]
fn invoking_the_master_reply_cap_is_invalid_capability_0() {
    let m = with_objects();
    // The master reply cap lives in the TCB; a thread's CSpace can reach it only through a
    // CNode cap to the TCB's slots, which user level never gets: decode it directly.
    let root = m.s.current;
    let slot = spec::kernel::cspace::slot_at(root, spec::kernel::thread::TCB_REPLY);
    let cap = m.s.cap(slot);
    assert!(matches!(cap, Cap::Reply { master: true, .. }));
    let args = spec::object::Args {
        label: 0,
        mrs: vec![],
        caps: vec![],
        cap,
        slot,
        thread: root,
        is_call: true,
        is_blocking: true,
    };
    assert_eq!(
        spec::object::decode_invocation(&m.s, &args),
        Err(spec::model::error::SyscallError::InvalidCapability(0))
    );
}
