//! TCB invocations: configuration, priorities with MCP authority, registers, binding.

use crate::common::*;
use sel4_abi::{context::index, init_cap::INIT_THREAD_TCB, tcb::READ_REGISTERS_MAX};

#[test]
fn configure_installs_cspace_vspace_and_buffer() {
    let mut m = with_objects();
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[7, 0, 0, 0x7100_0000],
        &[ROOT_CNODE, sel4_abi::init_cap::INIT_THREAD_VSPACE, FRAME],
    ));
    let t = tcb_at(&m, TCB2);
    assert_eq!(m.s.tcb(t).fault_handler, 7);
    assert_eq!(m.s.tcb(t).ipc_buffer, 0x7100_0000);
    assert!(matches!(
        m.s.cap(spec::kernel::cspace::slot_at(t, 0)),
        Cap::CNode { .. }
    ));
    assert!(matches!(
        m.s.cap(spec::kernel::cspace::slot_at(t, 4)),
        Cap::Frame { .. }
    ));
}

#[test]
fn configure_errors() {
    let mut m = with_objects();
    let vs = sel4_abi::init_cap::INIT_THREAD_VSPACE;
    // Misaligned buffer.
    let r = m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0x7100_0008],
        &[ROOT_CNODE, vs, FRAME],
    );
    assert_err(&r, Error::AlignmentError, &[]);
    // Buffer not a frame.
    let r = m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0x7100_0000],
        &[ROOT_CNODE, vs, EP],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
    // CSpace not a CNode.
    let r = m.call(TCB2, L::TcbConfigure, &[0, 0, 0, 0], &[EP, vs, FRAME]);
    assert_err(&r, Error::IllegalOperation, &[]);
    // VSpace not a VSpace.
    let r = m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0],
        &[ROOT_CNODE, EP, FRAME],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
    // Truncated.
    let r = m.call(TCB2, L::TcbConfigure, &[0, 0, 0, 0], &[ROOT_CNODE, vs]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn set_priority_is_bounded_by_the_authority_mcp() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[200], &[INIT_THREAD_TCB]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).priority, 200);
    // TCB2's MCP is 0: as authority it can give nothing above 0.
    let r = m.call(TCB2, L::TcbSetPriority, &[1], &[TCB2]);
    assert_err(&r, Error::RangeError, &[0, 0]);
    let r = m.call(TCB2, L::TcbSetPriority, &[1], &[EP]);
    assert_err(&r, Error::InvalidCapability, &[1]);
    let r = m.call(TCB2, L::TcbSetPriority, &[1], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn set_mc_priority_and_sched_params() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetMcPriority, &[100], &[INIT_THREAD_TCB]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).mcp, 100);
    assert_ok(&m.call(TCB2, L::TcbSetSchedParams, &[50, 40], &[INIT_THREAD_TCB]));
    let t = m.s.tcb(tcb_at(&m, TCB2));
    assert_eq!((t.mcp, t.priority), (50, 40));
    let r = m.call(TCB2, L::TcbSetSchedParams, &[256, 40], &[INIT_THREAD_TCB]);
    assert_err(&r, Error::RangeError, &[0, 255]);
    let r = m.call(TCB2, L::TcbSetMcPriority, &[51], &[TCB2]);
    assert_err(&r, Error::RangeError, &[0, 50]);
}

#[test]
fn read_registers_limits_and_self() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbReadRegisters, &[0, 0], &[]);
    assert_err(&r, Error::RangeError, &[1, READ_REGISTERS_MAX as u64]);
    let r = m.call(TCB2, L::TcbReadRegisters, &[0, 37], &[]);
    assert_err(&r, Error::RangeError, &[1, 36]);
    let r = m.call(INIT_THREAD_TCB, L::TcbReadRegisters, &[0, 1], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
    let r = m.call(TCB2, L::TcbReadRegisters, &[0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn write_then_read_registers_round_trip() {
    let mut m = with_objects();
    let values: Vec<u64> = (0..36).map(|i| 0x1000 + i).collect();
    let mut mrs = vec![0, 36];
    mrs.extend(&values);
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &mrs, &[]));
    let r = m.call(TCB2, L::TcbReadRegisters, &[0, 36], &[]);
    assert_ok(&r);
    assert_eq!(r.words.len(), 36);
    assert_eq!(r.words[index::PC], 0x1000);
    // SPSR is sanitised: only the flags survive, with the user mode bits.
    assert_eq!(r.words[index::SPSR], spec::machine::PSTATE_USER);
    assert_eq!(r.words[index::X0], values[index::X0]);
    assert_eq!(r.words[35], values[35]);
}

#[test]
fn write_registers_errors() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbWriteRegisters, &[0, 3, 1, 2], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(INIT_THREAD_TCB, L::TcbWriteRegisters, &[0, 1, 1], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn copy_registers_needs_a_thread_cap() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbCopyRegisters, &[0b1100], &[EP]);
    assert_err(&r, Error::InvalidCapability, &[1]);
    let r = m.call(TCB2, L::TcbCopyRegisters, &[0b1100], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    assert_ok(&m.call(TCB2, L::TcbCopyRegisters, &[0b1100], &[INIT_THREAD_TCB]));
}

#[test]
fn resume_and_suspend() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let t = tcb_at(&m, TCB2);
    assert!(m.s.tcb(t).state.is_runnable());
    assert_ok(&m.call(TCB2, L::TcbSuspend, &[], &[]));
    assert_eq!(m.s.tcb(t).state, ThreadState::Inactive);
}

#[test]
fn bind_and_unbind_notification() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]));
    let r = m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]);
    assert_err(&r, Error::IllegalOperation, &[]);
    assert_ok(&m.call(TCB2, L::TcbUnbindNotification, &[], &[]));
    let r = m.call(TCB2, L::TcbUnbindNotification, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
    let r = m.call(TCB2, L::TcbBindNotification, &[], &[EP]);
    assert_err(&r, Error::IllegalOperation, &[]);
    let r = m.call(TCB2, L::TcbBindNotification, &[], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    // Without Read, binding is refused.
    assert_ok(&copy(&mut m, NTFN, 200, CapRights::WRITE));
    let r = m.call(TCB2, L::TcbBindNotification, &[], &[200]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn tls_base_and_flags() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetTlsBase, &[0xabc], &[]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).regs[index::TPIDR_EL0], 0xabc);
    let r = m.call(TCB2, L::TcbSetFlags, &[0, 0xff], &[]);
    assert_ok(&r);
    assert_eq!(r.words, vec![sel4_abi::tcb::TCB_FLAG_MASK]);
    let r = m.call(TCB2, L::TcbSetFlags, &[0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(TCB2, L::TcbSetTlsBase, &[], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn set_space_and_set_ipc_buffer() {
    let mut m = with_objects();
    let vs = sel4_abi::init_cap::INIT_THREAD_VSPACE;
    assert_ok(&m.call(TCB2, L::TcbSetSpace, &[3, 0, 0], &[ROOT_CNODE, vs]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).fault_handler, 3);
    assert_ok(&m.call(TCB2, L::TcbSetIpcBuffer, &[0x7100_0000], &[FRAME]));
    assert_ok(&m.call(TCB2, L::TcbSetIpcBuffer, &[0], &[FRAME]));
    let r = m.call(TCB2, L::TcbSetIpcBuffer, &[0x10], &[FRAME]);
    assert_err(&r, Error::AlignmentError, &[]);
    let r = m.call(TCB2, L::TcbSetSpace, &[3, 0, 0], &[ROOT_CNODE]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn unknown_tcb_label_is_illegal() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::CNodeCopy, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn deleting_a_running_thread_removes_it_from_the_scheduler() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let t = tcb_at(&m, TCB2);
    assert_ok(&delete(&mut m, TCB2));
    assert!(!m.s.is_tcb(t));
}
