//! Notifications: signal ORs badges, wait and poll, bound notifications with endpoint receive.

use crate::common::*;
use sel4_abi::init_cap::INIT_THREAD_TCB;

#[test]
fn signals_accumulate_by_or_and_poll_takes_them() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::WRITE, 0b01));
    assert_ok(&mint(&mut m, NTFN, 201, CapRights::WRITE, 0b10));
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    m.syscall(Syscall::Send, 201, 0, &[], &[]);
    let root = m.s.current;
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0b11);
    // Nothing pending now: Poll returns 0.
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0);
}

#[test]
fn wait_blocks_and_a_signal_wakes_with_the_badge() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::WRITE, 9));
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert!(matches!(
        m.s.tcb(root).state,
        ThreadState::BlockedOnNotification { .. }
    ));
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    assert_eq!(m.s.current, root);
    assert_eq!(m.reply_of(root).badge, 9);
}

#[test]
fn bound_notification_is_delivered_to_an_endpoint_receive() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    assert_ok(&m.call(INIT_THREAD_TCB, L::TcbBindNotification, &[], &[NTFN]));
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::WRITE, 4));
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    assert_eq!(m.s.current, root);
    assert_eq!(m.reply_of(root).badge, 4);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    // A pending signal is taken by the next endpoint receive at once.
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    assert_eq!(m.reply_of(root).badge, 4);
}

#[test]
fn waiting_on_a_notification_bound_to_another_thread_is_a_cap_fault() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]));
    let root = m.s.current;
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert_eq!(m.s.tcb(root).state, ThreadState::Inactive);
}

#[test]
fn signal_without_write_is_invalid_capability() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, NTFN, 200, CapRights::READ));
    let r = m.call_raw(200, 0, &[], &[]);
    assert_err(&r, Error::InvalidCapability, &[0]);
}

#[test]
fn deleting_a_notification_restarts_its_waiters() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(
        Syscall::Call,
        sel4_abi::init_cap::INIT_THREAD_CNODE,
        L::CNodeDelete.word(),
        &[NTFN, 64],
        &[],
    );
    assert!(m.s.tcb(root).state.is_runnable());
    assert_eq!(m.s.current, root);
}

#[test]
fn nbsend_on_a_notification_signals_it() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::WRITE, 0x4));
    m.syscall(Syscall::NBSend, 200, 0, &[], &[]);
    let root = m.s.current;
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0x4);
}

#[test]
fn send_on_a_notification_never_blocks() {
    let mut m = with_objects();
    let root = m.s.current;
    for _ in 0..3 {
        m.syscall(Syscall::Send, NTFN, 0, &[], &[]);
        assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    }
}

#[test]
fn wait_without_read_is_a_cap_fault() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, NTFN, 200, CapRights::WRITE));
    let root = m.s.current;
    let out = m.syscall(Syscall::Recv, 200, 0, &[], &[]);
    assert!(matches!(
        out.faults.as_slice(),
        [(
            _,
            spec::model::Fault::Cap {
                in_recv_phase: true,
                ..
            },
            false
        )]
    ));
    assert_eq!(m.s.tcb(root).state, ThreadState::Inactive);
}

#[test]
fn poll_without_read_is_a_cap_fault() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, NTFN, 200, CapRights::WRITE));
    let out = m.syscall(Syscall::NBRecv, 200, 0, &[], &[]);
    assert_eq!(out.faults.len(), 1);
}

#[test]
fn a_pending_signal_is_taken_by_wait_without_blocking() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::WRITE, 0x10));
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    let root = m.s.current;
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    assert_eq!(m.reply_of(root).badge, 0x10);
}

#[test]
fn waiting_on_ones_own_bound_notification_is_allowed() {
    let mut m = with_objects();
    assert_ok(&m.call(INIT_THREAD_TCB, L::TcbBindNotification, &[], &[NTFN]));
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::WRITE, 2));
    m.syscall(Syscall::Send, 200, 0, &[], &[]);
    let root = m.s.current;
    let out = m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert!(out.faults.is_empty());
    assert_eq!(m.reply_of(root).badge, 2);
}

#[test]
fn a_signal_to_a_bound_thread_not_receiving_stays_pending() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]));
    m.syscall(Syscall::Send, NTFN, 0, &[], &[]);
    let n = m.root_cap(NTFN).region().unwrap().0;
    assert!(matches!(
        m.s.objects[&n],
        spec::model::Object::Notification(spec::model::Notification {
            state: spec::model::NtfnState::Active(_),
            ..
        })
    ));
}

#[test]
fn deleting_a_bound_notification_unbinds_the_thread() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]));
    assert_ok(&delete(&mut m, NTFN));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).bound_notification, None);
}

#[test]
fn an_unbadged_signal_still_wakes_a_waiter() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let root = tcb_at(&m, INIT_THREAD_TCB);
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    m.syscall(Syscall::Send, NTFN, 0, &[], &[]);
    assert_eq!(m.s.current, root);
    assert_eq!(m.s.tcb(root).state, ThreadState::Running);
    assert_eq!(m.reply_of(root).badge, 0);
}
