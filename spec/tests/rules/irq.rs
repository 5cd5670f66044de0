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
