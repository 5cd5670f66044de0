//! Interrupts: handler caps, notification binding, delivery and acknowledgement.

use crate::common::*;
use sel4_abi::init_cap::IRQ_CONTROL;
use spec::api::Event;

#[test]
fn issue_set_handler_deliver_ack() {
    let mut m = with_objects();
    assert_ok(&m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[33, 200, 64],
        &[ROOT_CNODE],
    ));
    assert!(matches!(m.root_cap(200), Cap::IrqHandler { irq: 33 }));
    // A second handler for the same line is refused.
    let r = m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[33, 201, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RevokeFirst, &[]);
    assert_ok(&mint(&mut m, NTFN, 202, CapRights::WRITE, 0x8));
    assert_ok(&m.call(200, L::IrqSetIrqHandler, &[], &[202]));
    m.event(Event::Interrupt { irq: 33 });
    let root = m.s.current;
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0x8);
    // Masked until acknowledged.
    m.event(Event::Interrupt { irq: 33 });
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0);
    assert_ok(&m.call(200, L::IrqAckIrq, &[], &[]));
    m.event(Event::Interrupt { irq: 33 });
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0x8);
    assert_ok(&m.call(200, L::IrqClearIrqHandler, &[], &[]));
    // Deleting the handler cap frees the line.
    assert_ok(&delete(&mut m, 200));
    assert_ok(&m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[33, 201, 64],
        &[ROOT_CNODE],
    ));
}

#[test]
fn irq_errors() {
    let mut m = with_objects();
    let r = m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[5000, 200, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RangeError, &[0, 1023]);
    let r = m.call(IRQ_CONTROL, L::IrqIssueIrqHandler, &[5, 200, 64], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[5, EP, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::DeleteFirst, &[]);
    let r = m.call(IRQ_CONTROL, L::IrqAckIrq, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
    assert_ok(&m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueIrqHandlerTrigger,
        &[6, 1, 200, 64],
        &[ROOT_CNODE],
    ));
    let r = m.call(200, L::IrqSetIrqHandler, &[], &[EP]);
    assert_err(&r, Error::InvalidCapability, &[0]);
    let r = m.call(200, L::IrqSetIrqHandler, &[], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(200, L::UntypedRetype, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn domain_set_set_validates() {
    let mut m = with_objects();
    let d = sel4_abi::init_cap::DOMAIN;
    assert_ok(&m.call(d, L::DomainSetSet, &[0], &[TCB2]));
    assert_err(
        &m.call(d, L::DomainSetSet, &[1], &[TCB2]),
        Error::InvalidArgument,
        &[0],
    );
    assert_err(
        &m.call(d, L::DomainSetSet, &[0], &[EP]),
        Error::InvalidArgument,
        &[1],
    );
    assert_err(
        &m.call(d, L::DomainSetSet, &[], &[]),
        Error::TruncatedMessage,
        &[],
    );
    assert_err(
        &m.call(d, L::DomainSetSet, &[0], &[]),
        Error::TruncatedMessage,
        &[],
    );
    assert_err(
        &m.call(d, L::CNodeCopy, &[0], &[]),
        Error::IllegalOperation,
        &[],
    );
}

#[test]
fn the_timer_line_is_the_kernels() {
    let mut m = with_objects();
    let r = m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[27, 200, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RevokeFirst, &[]);
}

fn issue(m: &mut Sim, irq: u64, dest: u64) -> Reply {
    m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[irq, dest, 64],
        &[ROOT_CNODE],
    )
}

#[test]
fn issue_puts_a_handler_cap_in_the_destination() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    assert!(matches!(m.root_cap(200), Cap::IrqHandler { irq: 40 }));
}

#[test]
fn issue_of_the_highest_line_is_allowed() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 1023, 200));
    let r = issue(&mut m, 1024, 201);
    assert_err(&r, Error::RangeError, &[0, 1023]);
}

#[test]
fn issue_with_two_words_is_truncated() {
    let mut m = with_objects();
    let r = m.call(IRQ_CONTROL, L::IrqIssueIrqHandler, &[5, 200], &[ROOT_CNODE]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn issue_range_is_checked_before_the_destination() {
    let mut m = with_objects();
    // The destination is full, but the line number is reported first.
    let r = issue(&mut m, 2000, EP);
    assert_err(&r, Error::RangeError, &[0, 1023]);
}

#[test]
fn issue_of_an_active_line_is_revoke_first_before_the_destination() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    let r = issue(&mut m, 40, EP);
    assert_err(&r, Error::RevokeFirst, &[]);
}

#[test]
fn issue_destination_root_not_a_cnode_is_invalid_root() {
    let mut m = with_objects();
    let r = m.call(IRQ_CONTROL, L::IrqIssueIrqHandler, &[40, 200, 64], &[EP]);
    assert_err(&r, Error::FailedLookup, &[0, 1]);
}

#[test]
fn issue_destination_depth_0_is_range_error() {
    let mut m = with_objects();
    let r = m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[40, 200, 0],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RangeError, &[1, 64]);
}

#[test]
fn issue_destination_guard_mismatch_is_failed_lookup() {
    let mut m = with_objects();
    let r = m.call(
        IRQ_CONTROL,
        L::IrqIssueIrqHandler,
        &[40, 1 << 63, 64],
        &[ROOT_CNODE],
    );
    let g = LookupFailureType::GuardMismatch.word();
    assert_err(&r, Error::FailedLookup, &[0, g, 64, 0, 52]);
}

#[test]
fn a_failed_issue_leaves_the_line_free() {
    let mut m = with_objects();
    assert_err(&issue(&mut m, 40, EP), Error::DeleteFirst, &[]);
    assert_ok(&issue(&mut m, 40, 200));
}

#[test]
fn issue_trigger_with_three_words_is_truncated() {
    let mut m = with_objects();
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueIrqHandlerTrigger,
        &[6, 1, 200],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueIrqHandlerTrigger,
        &[6, 1, 200, 64],
        &[],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn issue_trigger_checks_range_and_active_lines() {
    let mut m = with_objects();
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueIrqHandlerTrigger,
        &[1024, 0, 200, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RangeError, &[0, 1023]);
    assert_ok(&issue(&mut m, 40, 200));
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueIrqHandlerTrigger,
        &[40, 0, 201, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RevokeFirst, &[]);
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueIrqHandlerTrigger,
        &[41, 0, EP, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::DeleteFirst, &[]);
}

#[test]
fn issue_trigger_for_the_timer_line_is_revoke_first() {
    let mut m = with_objects();
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueIrqHandlerTrigger,
        &[27, 1, 200, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RevokeFirst, &[]);
}

#[test]
fn irq_control_with_a_non_irq_label_is_illegal() {
    let mut m = with_objects();
    let r = m.call(IRQ_CONTROL, L::CNodeCopy, &[40, 200, 64], &[ROOT_CNODE]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn set_handler_needs_a_notification_with_write() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    assert_ok(&copy(&mut m, NTFN, 201, CapRights::READ));
    let r = m.call(200, L::IrqSetIrqHandler, &[], &[201]);
    assert_err(&r, Error::InvalidCapability, &[0]);
}

#[test]
fn set_handler_installs_a_copy_in_the_irq_node() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    assert_ok(&m.call(200, L::IrqSetIrqHandler, &[], &[NTFN]));
    let node = spec::kernel::cspace::slot_at(m.s.irq_node, 40);
    assert!(matches!(m.s.cap(node), Cap::Notification { .. }));
    // Setting it again replaces it.
    assert_ok(&mint(&mut m, NTFN, 202, CapRights::WRITE, 9));
    assert_ok(&m.call(200, L::IrqSetIrqHandler, &[], &[202]));
    assert_eq!(m.s.cap(node).badge(), 9);
}

#[test]
fn clear_handler_removes_the_notification() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    assert_ok(&m.call(200, L::IrqSetIrqHandler, &[], &[NTFN]));
    assert_ok(&m.call(200, L::IrqClearIrqHandler, &[], &[]));
    let node = spec::kernel::cspace::slot_at(m.s.irq_node, 40);
    assert!(m.s.cap(node).is_null());
    // Clearing with nothing set succeeds too.
    assert_ok(&m.call(200, L::IrqClearIrqHandler, &[], &[]));
}

#[test]
fn an_interrupt_without_a_handler_notification_signals_nothing() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    m.event(Event::Interrupt { irq: 40 });
    let root = m.s.current;
    m.syscall(Syscall::NBRecv, NTFN, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, 0);
}

#[test]
fn ack_of_an_unmasked_line_succeeds() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    assert_ok(&m.call(200, L::IrqAckIrq, &[], &[]));
}

#[test]
fn handler_caps_can_be_copied() {
    let mut m = with_objects();
    assert_ok(&issue(&mut m, 40, 200));
    assert_ok(&copy(&mut m, 200, 201, CapRights::ALL_RIGHTS));
    assert_ok(&m.call(201, L::IrqAckIrq, &[], &[]));
}

#[test]
fn domain_set_set_truncated_before_the_domain_check() {
    let mut m = with_objects();
    let d = sel4_abi::init_cap::DOMAIN;
    assert_err(
        &m.call(d, L::DomainSetSet, &[], &[TCB2]),
        Error::TruncatedMessage,
        &[],
    );
}

#[test]
fn domain_set_set_domain_is_checked_before_the_thread_cap() {
    let mut m = with_objects();
    let d = sel4_abi::init_cap::DOMAIN;
    assert_err(
        &m.call(d, L::DomainSetSet, &[1], &[]),
        Error::InvalidArgument,
        &[0],
    );
}

#[test]
fn domain_set_set_on_the_root_thread_succeeds() {
    let mut m = with_objects();
    let d = sel4_abi::init_cap::DOMAIN;
    assert_ok(&m.call(
        d,
        L::DomainSetSet,
        &[0],
        &[sel4_abi::init_cap::INIT_THREAD_TCB],
    ));
}

/// The domain schedule (seL4's domain.c): entries of (domain, duration) with (0, 0) as the
/// end marker, 2 entries, domain 0 first at boot.
#[test]
fn domain_schedule_configure_validates_in_sel4_order() {
    let mut m = with_objects();
    let d = sel4_abi::init_cap::DOMAIN;
    let max = u64::MAX >> 8;
    let conf = |m: &mut _, args: &[u64]| call_on(m, d, L::ScheduleConfigure, args);
    assert_err(&conf(&mut m, &[1, 0]), Error::TruncatedMessage, &[]);
    assert_err(&conf(&mut m, &[2, 1, max + 1]), Error::RangeError, &[0, 1]);
    assert_err(&conf(&mut m, &[1, 1, max + 1]), Error::RangeError, &[0, 0]);
    assert_err(
        &conf(&mut m, &[1, 0, max + 1]),
        Error::InvalidArgument,
        &[2],
    );
    // The starting entry (0) cannot become an end marker; another can.
    assert_err(&conf(&mut m, &[0, 0, 0]), Error::InvalidArgument, &[2]);
    assert_ok(&conf(&mut m, &[1, 0, 0]));
    assert_ok(&conf(&mut m, &[1, 0, 5]));
    assert_eq!(m.s.dom_schedule, vec![(0, max), (0, 5)]);
    assert_ok(&conf(&mut m, &[0, 0, max]));
}

#[test]
fn domain_schedule_set_start_needs_a_real_entry() {
    let mut m = with_objects();
    let d = sel4_abi::init_cap::DOMAIN;
    assert_err(
        &call_on(&mut m, d, L::ScheduleSetStart, &[]),
        Error::TruncatedMessage,
        &[],
    );
    assert_err(
        &call_on(&mut m, d, L::ScheduleSetStart, &[2]),
        Error::RangeError,
        &[0, 1],
    );
    // Entry 1 is an end marker at boot.
    assert_err(
        &call_on(&mut m, d, L::ScheduleSetStart, &[1]),
        Error::InvalidArgument,
        &[0],
    );
    assert_ok(&call_on(&mut m, d, L::ScheduleConfigure, &[1, 0, 7]));
    assert_ok(&call_on(&mut m, d, L::ScheduleSetStart, &[1]));
    assert_eq!(m.s.dom_schedule_start, 1);
    // Now entry 1 starts the schedule and cannot be ended; entry 0 can.
    assert_err(
        &call_on(&mut m, d, L::ScheduleConfigure, &[1, 0, 0]),
        Error::InvalidArgument,
        &[2],
    );
    assert_ok(&call_on(&mut m, d, L::ScheduleConfigure, &[0, 0, 0]));
}

fn call_on(m: &mut spec::harness::Sim, cptr: u64, label: L, args: &[u64]) -> spec::harness::Reply {
    m.call(cptr, label, args, &[])
}

fn issue_sgi(m: &mut Sim, irq: u64, target: u64, dest: u64) -> Reply {
    m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueSgiSignal,
        &[irq, target, dest, 64],
        &[ROOT_CNODE],
    )
}

#[test]
fn issue_sgi_signal_puts_a_revocable_child_of_irq_control_in_the_destination() {
    let mut m = with_objects();
    assert_ok(&issue_sgi(&mut m, 15, 7, 200));
    assert_eq!(m.root_cap(200), Cap::SgiSignal { irq: 15, target: 7 });
    let root = m.s.current;
    m.syscall(Syscall::DebugCapIdentify, 200, 0, &[], &[]);
    assert_eq!(m.reply_of(root).badge, sel4_abi::CapType::SgiSignal.word());
    // Copies are allowed; revoking IRQControl takes the cap and its copies.
    assert_ok(&copy(&mut m, 200, 201, CapRights::all()));
    assert_ok(&revoke(&mut m, IRQ_CONTROL));
    assert!(m.root_cap(200).is_null() && m.root_cap(201).is_null());
}

#[test]
fn invoking_an_sgi_signal_cap_with_any_label_succeeds_and_changes_nothing() {
    let mut m = with_objects();
    assert_ok(&issue_sgi(&mut m, 3, 0, 200));
    let before = m.s.slots.clone();
    for label in [0, 1, 50, 999] {
        assert_ok(&m.call_raw(200, label, &[], &[]));
    }
    assert_eq!(m.s.slots, before);
}

#[test]
fn issue_sgi_signal_errors_in_sel4s_order() {
    let mut m = with_objects();
    // Fewer than four words, or no CNode cap: truncated.
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueSgiSignal,
        &[0, 0, 200],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(IRQ_CONTROL, L::ArmIrqIssueSgiSignal, &[0, 0, 200, 64], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    // Sixteen SGIs; the SGI before the target, the target before the destination.
    assert_err(&issue_sgi(&mut m, 16, 99, 0), Error::RangeError, &[0, 15]);
    assert_err(&issue_sgi(&mut m, 15, 8, 0), Error::InvalidArgument, &[1]);
    assert_err(&issue_sgi(&mut m, 15, 7, EP), Error::DeleteFirst, &[]);
    let r = m.call(
        IRQ_CONTROL,
        L::ArmIrqIssueSgiSignal,
        &[0, 0, 200, 65],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RangeError, &[1, 64]);
}

#[test]
fn two_sgi_caps_issued_for_the_same_sgi_are_independent_and_copies_are_children() {
    let mut m = with_objects();
    // The older cap is issued last into the list right after IRQControl: issue 201 first,
    // then 200, so 200 precedes 201 in the derivation list.
    assert_ok(&issue_sgi(&mut m, 2, 1, 201));
    assert_ok(&issue_sgi(&mut m, 2, 1, 200));
    assert_ok(&copy(&mut m, 200, 202, CapRights::all()));
    // Revoking 200 takes its copy, not the other issued cap.
    assert_ok(&revoke(&mut m, 200));
    assert!(m.root_cap(202).is_null());
    assert_eq!(m.root_cap(201), Cap::SgiSignal { irq: 2, target: 1 });
    assert_eq!(m.root_cap(200), Cap::SgiSignal { irq: 2, target: 1 });
}
