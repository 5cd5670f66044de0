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

const VS: u64 = sel4_abi::init_cap::INIT_THREAD_VSPACE;

#[test]
fn label_0_on_a_tcb_is_illegal_operation() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::InvalidInvocation, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn read_registers_returns_the_count_asked_for_pc_first() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 2, 0x4000, 0x8000], &[]));
    let r = m.call(TCB2, L::TcbReadRegisters, &[0, 2], &[]);
    assert_ok(&r);
    assert_eq!(r.words, vec![0x4000, 0x8000]);
}

#[test]
fn read_registers_with_one_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbReadRegisters, &[0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn read_registers_count_is_checked_before_self() {
    let mut m = with_objects();
    let r = m.call(INIT_THREAD_TCB, L::TcbReadRegisters, &[0, 0], &[]);
    assert_err(&r, Error::RangeError, &[1, 36]);
}

#[test]
fn read_registers_suspend_flag_suspends_the_target() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let t = tcb_at(&m, TCB2);
    assert_ok(&m.call(TCB2, L::TcbReadRegisters, &[1, 1], &[]));
    assert_eq!(m.s.tcb(t).state, ThreadState::Inactive);
}

#[test]
fn read_registers_without_suspend_leaves_the_target_running() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    let t = tcb_at(&m, TCB2);
    assert_ok(&m.call(TCB2, L::TcbReadRegisters, &[0, 1], &[]));
    assert!(m.s.tcb(t).state.is_runnable());
}

#[test]
fn write_registers_with_one_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbWriteRegisters, &[0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn write_registers_truncation_is_checked_before_self() {
    let mut m = with_objects();
    let r = m.call(INIT_THREAD_TCB, L::TcbWriteRegisters, &[0, 2, 1], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn write_registers_of_zero_registers_succeeds() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 0], &[]));
}

#[test]
fn write_registers_beyond_the_context_writes_only_the_context() {
    let mut m = with_objects();
    let mut mrs = vec![0, 40];
    mrs.extend((0..40).map(|i| 0x100 + i));
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &mrs, &[]));
    let r = m.call(TCB2, L::TcbReadRegisters, &[0, 36], &[]);
    assert_eq!(r.words[35], 0x100 + 35);
}

#[test]
fn write_registers_resume_flag_restarts_the_target() {
    let mut m = with_objects();
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0],
        &[ROOT_CNODE, VS, FRAME],
    ));
    let t = tcb_at(&m, TCB2);
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[1, 1, 0x5000], &[]));
    assert!(m.s.tcb(t).state.is_runnable());
    assert_eq!(m.s.tcb(t).regs[index::PC], 0x5000);
}

#[test]
fn copy_registers_transfers_the_frame_registers() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Tcb, 0, 200, 1));
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 2, 0x5000, 0x6000], &[]));
    assert_ok(&m.call(200, L::TcbCopyRegisters, &[0b0100], &[TCB2]));
    let r = m.call(200, L::TcbReadRegisters, &[0, 2], &[]);
    assert_eq!(r.words, vec![0x5000, 0x6000]);
}

#[test]
fn copy_registers_without_transfer_flags_copies_nothing() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Tcb, 0, 200, 1));
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 1, 0x5000], &[]));
    assert_ok(&m.call(200, L::TcbCopyRegisters, &[0], &[TCB2]));
    let r = m.call(200, L::TcbReadRegisters, &[0, 1], &[]);
    assert_eq!(r.words, vec![0]);
}

#[test]
fn copy_registers_integer_flag_copies_the_general_registers_only() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Tcb, 0, 200, 1));
    let mut mrs = vec![0, 36];
    mrs.extend((0..36).map(|i| 0x100 + i));
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &mrs, &[]));
    assert_ok(&m.call(200, L::TcbCopyRegisters, &[0b1000], &[TCB2]));
    let r = m.call(200, L::TcbReadRegisters, &[0, 36], &[]);
    assert_eq!(r.words[index::PC], 0);
    assert_eq!(r.words[35], 0x100 + 35);
}

#[test]
fn copy_registers_suspend_source_suspends_it() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Tcb, 0, 200, 1));
    let t = tcb_at(&m, TCB2);
    assert_ok(&m.call(200, L::TcbCopyRegisters, &[0b0001], &[TCB2]));
    assert_eq!(m.s.tcb(t).state, ThreadState::Inactive);
}

#[test]
fn copy_registers_with_a_cap_but_no_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbCopyRegisters, &[], &[INIT_THREAD_TCB]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn configure_with_three_words_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbConfigure, &[0, 0, 0], &[ROOT_CNODE, VS, FRAME]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn configure_with_buffer_0_ignores_the_buffer_cap() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbConfigure, &[0, 0, 0, 0], &[ROOT_CNODE, VS, EP]));
    let t = tcb_at(&m, TCB2);
    assert_eq!(m.s.tcb(t).ipc_buffer, 0);
    assert!(m.s.cap(spec::kernel::cspace::slot_at(t, 4)).is_null());
}

#[test]
fn configure_checks_the_buffer_before_the_spaces() {
    let mut m = with_objects();
    let r = m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0x7100_0008],
        &[EP, EP, FRAME],
    );
    assert_err(&r, Error::AlignmentError, &[]);
}

#[test]
fn configure_with_a_device_frame_buffer_is_illegal() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED + 1, ObjectType::SmallPage, 0, 200, 1));
    let r = m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0x7100_0000],
        &[ROOT_CNODE, VS, 200],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn configure_applies_cspace_data_as_a_guard() {
    let mut m = with_objects();
    let data = sel4_abi::CNodeCapData::new(0, 20).to_word();
    assert_ok(&m.call(TCB2, L::TcbConfigure, &[0, data, 0, 0], &[CN, VS, FRAME]));
    let t = tcb_at(&m, TCB2);
    assert!(matches!(
        m.s.cap(spec::kernel::cspace::slot_at(t, 0)),
        Cap::CNode {
            guard_size: 20,
            radix: 4,
            ..
        }
    ));
}

#[test]
fn configure_cspace_data_with_too_long_a_guard_is_illegal() {
    let mut m = with_objects();
    let data = sel4_abi::CNodeCapData::new(0, 61).to_word();
    let r = m.call(TCB2, L::TcbConfigure, &[0, data, 0, 0], &[CN, VS, FRAME]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn configure_with_a_vspace_without_asid_is_illegal() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 200, 1));
    let r = m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0],
        &[ROOT_CNODE, 200, FRAME],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn configure_installs_caps_as_children_of_their_sources() {
    let mut m = with_objects();
    assert_ok(&m.call(
        TCB2,
        L::TcbConfigure,
        &[0, 0, 0, 0x7100_0000],
        &[CN, VS, FRAME],
    ));
    assert!(m.s.has_children(m.root_slot(CN)));
    // Revoking the frame cap takes the buffer cap out of the TCB.
    assert_ok(&revoke(&mut m, FRAME));
    let t = tcb_at(&m, TCB2);
    assert!(m.s.cap(spec::kernel::cspace::slot_at(t, 4)).is_null());
}

#[test]
fn set_priority_without_a_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetPriority, &[], &[INIT_THREAD_TCB]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn set_priority_up_to_the_authority_mcp_is_allowed() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[255], &[INIT_THREAD_TCB]));
    let r = m.call(TCB2, L::TcbSetPriority, &[256], &[INIT_THREAD_TCB]);
    assert_err(&r, Error::RangeError, &[0, 255]);
}

#[test]
fn set_priority_does_not_change_the_mcp() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetPriority, &[30], &[INIT_THREAD_TCB]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).mcp, 0);
}

#[test]
fn set_mc_priority_truncated_and_authority_errors() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetMcPriority, &[1], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(TCB2, L::TcbSetMcPriority, &[1], &[NTFN]);
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn set_mc_priority_above_the_authority_mcp_is_range_error() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetMcPriority, &[256], &[INIT_THREAD_TCB]);
    assert_err(&r, Error::RangeError, &[0, 255]);
}

#[test]
fn set_sched_params_with_one_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetSchedParams, &[1], &[INIT_THREAD_TCB]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn set_sched_params_authority_not_a_thread_is_invalid_capability_1() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetSchedParams, &[1, 1], &[EP]);
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn set_sched_params_checks_the_priority_against_the_authority_mcp() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetMcPriority, &[50], &[INIT_THREAD_TCB]));
    let r = m.call(TCB2, L::TcbSetSchedParams, &[50, 51], &[TCB2]);
    assert_err(&r, Error::RangeError, &[0, 50]);
    assert_ok(&m.call(TCB2, L::TcbSetSchedParams, &[50, 50], &[TCB2]));
}

#[test]
fn set_ipc_buffer_without_a_cap_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetIpcBuffer, &[0x7100_0000], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(TCB2, L::TcbSetIpcBuffer, &[], &[FRAME]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn set_ipc_buffer_with_a_non_frame_is_illegal() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetIpcBuffer, &[0x7100_0000], &[EP]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn set_ipc_buffer_0_removes_the_buffer_whatever_the_cap() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetIpcBuffer, &[0x7100_0000], &[FRAME]));
    assert_ok(&m.call(TCB2, L::TcbSetIpcBuffer, &[0], &[EP]));
    let t = tcb_at(&m, TCB2);
    assert_eq!(m.s.tcb(t).ipc_buffer, 0);
    assert!(m.s.cap(spec::kernel::cspace::slot_at(t, 4)).is_null());
}

#[test]
fn set_space_with_two_words_is_truncated() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetSpace, &[0, 0], &[ROOT_CNODE, VS]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn set_space_cspace_not_a_cnode_is_illegal() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetSpace, &[0, 0, 0], &[EP, VS]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn set_space_vspace_not_a_vspace_is_illegal() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetSpace, &[0, 0, 0], &[ROOT_CNODE, FRAME]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn set_space_installs_the_cspace_and_vspace() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSetSpace, &[9, 0, 0], &[CN, VS]));
    let t = tcb_at(&m, TCB2);
    assert!(matches!(
        m.s.cap(spec::kernel::cspace::slot_at(t, 0)),
        Cap::CNode { radix: 4, .. }
    ));
    assert!(matches!(
        m.s.cap(spec::kernel::cspace::slot_at(t, 1)),
        Cap::VSpace { .. }
    ));
}

#[test]
fn suspend_of_an_inactive_thread_succeeds() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbSuspend, &[], &[]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).state, ThreadState::Inactive);
}

#[test]
fn suspending_oneself_stops_the_caller_without_a_reply() {
    let mut m = with_objects();
    let me = m.s.current;
    m.syscall(
        Syscall::Call,
        INIT_THREAD_TCB,
        L::TcbSuspend.word(),
        &[],
        &[],
    );
    assert_eq!(m.s.tcb(me).state, ThreadState::Inactive);
    assert_eq!(m.s.current, m.s.idle);
}

#[test]
fn resume_of_a_running_thread_changes_nothing() {
    let mut m = with_objects();
    let me = m.s.current;
    assert_ok(&m.call(INIT_THREAD_TCB, L::TcbResume, &[], &[]));
    assert_eq!(m.s.tcb(me).state, ThreadState::Running);
    assert_eq!(m.s.current, me);
}

#[test]
fn bind_a_notification_bound_to_another_thread_is_illegal() {
    let mut m = with_objects();
    assert_ok(&m.call(INIT_THREAD_TCB, L::TcbBindNotification, &[], &[NTFN]));
    let r = m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn bind_a_notification_with_waiters_is_illegal() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    // Root waits on NTFN; TCB2 runs and tries to bind it to itself.
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    let t2 = tcb_at(&m, TCB2);
    assert_eq!(m.s.current, t2);
    let r = m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn bind_sets_the_binding_both_ways() {
    let mut m = with_objects();
    assert_ok(&m.call(TCB2, L::TcbBindNotification, &[], &[NTFN]));
    let t = tcb_at(&m, TCB2);
    let Cap::Notification { ptr, .. } = m.root_cap(NTFN) else {
        panic!()
    };
    assert_eq!(m.s.tcb(t).bound_notification, Some(ptr));
    assert_ok(&m.call(TCB2, L::TcbUnbindNotification, &[], &[]));
    assert_eq!(m.s.tcb(t).bound_notification, None);
}

#[test]
fn set_flags_clears_then_sets_and_replies_with_the_flags() {
    let mut m = with_objects();
    let r = m.call(TCB2, L::TcbSetFlags, &[0, 1], &[]);
    assert_eq!(r.words, vec![1]);
    let r = m.call(TCB2, L::TcbSetFlags, &[1, 0], &[]);
    assert_ok(&r);
    assert_eq!(r.words, vec![0]);
}

#[test]
fn set_tls_base_on_oneself_takes_effect() {
    let mut m = with_objects();
    let me = m.s.current;
    assert_ok(&m.call(INIT_THREAD_TCB, L::TcbSetTlsBase, &[0x1234], &[]));
    assert_eq!(m.s.tcb(me).regs[index::TPIDR_EL0], 0x1234);
}

/// TCB2 (priority 10) runs at 0x5000 and sends to root, which was waiting: root preempts
/// it in the middle of its completed Send.
fn preempted_after_send() -> (Sim, u64) {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    assert_ok(&m.call(TCB2, L::TcbWriteRegisters, &[0, 1, 0x5000], &[]));
    let t2 = tcb_at(&m, TCB2);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    m.syscall(Syscall::Send, EP, 0, &[], &[]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Running);
    (m, t2)
}

#[test]
fn read_registers_of_a_thread_preempted_in_a_syscall_reads_the_svc_address() {
    let (mut m, _) = preempted_after_send();
    let r = m.call(TCB2, L::TcbReadRegisters, &[0, 1], &[]);
    assert_eq!(r.words, vec![0x5000]);
}

#[test]
fn suspending_a_running_thread_moves_its_restart_pc_past_the_svc() {
    let (mut m, t2) = preempted_after_send();
    let r = m.call(TCB2, L::TcbReadRegisters, &[1, 1], &[]);
    assert_eq!(r.words, vec![0x5004]);
    assert_eq!(m.s.tcb(t2).state, ThreadState::Inactive);
    // Resumed, it continues after the Send instead of sending again.
    assert_ok(&m.call(TCB2, L::TcbResume, &[], &[]));
    m.syscall(Syscall::Recv, NTFN, 0, &[], &[]);
    assert_eq!(m.s.current, t2);
    assert_eq!(m.s.tcb(t2).regs[index::PC], 0x5004);
}

/// This kernel publishes a thread's IPC buffer address in TPIDRRO_EL0 (at boot for the root
/// task, and on SetIPCBuffer / Configure), so user level finds its buffer there.
#[test]
fn the_ipc_buffer_address_is_published_in_tpidrro_el0() {
    use sel4_abi::context::index::TPIDRRO_EL0;
    let mut m = with_objects();
    let root = m.s.current;
    assert_eq!(
        m.s.tcb(root).regs[TPIDRRO_EL0],
        m.s.tcb(root).ipc_buffer,
        "the root task's, from boot"
    );
    assert_ok(&m.call(TCB2, L::TcbSetIpcBuffer, &[0x7100_0000], &[FRAME]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).regs[TPIDRRO_EL0], 0x7100_0000);
    assert_ok(&m.call(TCB2, L::TcbSetIpcBuffer, &[0], &[FRAME]));
    assert_eq!(m.s.tcb(tcb_at(&m, TCB2)).regs[TPIDRRO_EL0], 0);
}
