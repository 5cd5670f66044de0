//! CNode invocations and the derivation rules they follow.

use crate::common::*;
use sel4_abi::init_cap;

#[test]
fn copy_intersects_rights() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, EP, 200, CapRights::READ_WRITE));
    assert_eq!(m.root_cap(200).rights(), CapRights::READ_WRITE);
    // A copy of the copy cannot gain rights back.
    assert_ok(&copy(&mut m, 200, 201, CapRights::ALL_RIGHTS));
    assert_eq!(m.root_cap(201).rights(), CapRights::READ_WRITE);
}

#[test]
fn copy_into_full_slot_is_delete_first() {
    let mut m = with_objects();
    assert_err(
        &copy(&mut m, EP, NTFN, CapRights::ALL_RIGHTS),
        Error::DeleteFirst,
        &[],
    );
}

#[test]
fn copy_from_empty_slot_is_failed_lookup_of_source_with_whole_depth() {
    let mut m = with_objects();
    let r = copy(&mut m, 300, 200, CapRights::ALL_RIGHTS);
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[1, miss, 64]);
}

#[test]
fn copy_truncated_without_source_root() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeCopy, &[200, 64, EP, 64, 15], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(ROOT_CNODE, L::CNodeCopy, &[200, 64, EP, 64], &[ROOT_CNODE]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(ROOT_CNODE, L::CNodeCopy, &[200], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn irq_control_and_reply_caps_cannot_be_copied() {
    let mut m = with_objects();
    let r = copy(&mut m, init_cap::IRQ_CONTROL, 200, CapRights::ALL_RIGHTS);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn untyped_with_children_cannot_be_copied() {
    let mut m = with_objects();
    let r = copy(&mut m, FIRST_UNTYPED, 200, CapRights::ALL_RIGHTS);
    assert_err(&r, Error::RevokeFirst, &[]);
}

#[test]
fn copying_an_untyped_marks_the_source_full() {
    let mut m = Sim::default();
    assert_ok(&copy(&mut m, FIRST_UNTYPED, 200, CapRights::ALL_RIGHTS));
    let Cap::Untyped {
        size_bits,
        free_index,
        ..
    } = m.root_cap(FIRST_UNTYPED)
    else {
        panic!()
    };
    assert_eq!(free_index, 1 << size_bits);
    // The original cannot retype now (its child is the copy).
    let r = m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 300, 1);
    assert_err(&r, Error::NotEnoughMemory, &[0]);
    // The copy can.
    assert_ok(&m.retype(200, ObjectType::Endpoint, 0, 300, 1));
}

#[test]
fn mint_sets_badge_once() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 42));
    assert_eq!(m.root_cap(200).badge(), 42);
    // Re-badging, even with 0, is refused.
    assert_err(
        &mint(&mut m, 200, 201, CapRights::ALL_RIGHTS, 7),
        Error::IllegalOperation,
        &[],
    );
    assert_err(
        &mint(&mut m, 200, 201, CapRights::ALL_RIGHTS, 0),
        Error::IllegalOperation,
        &[],
    );
}

#[test]
fn mint_cnode_guard_too_long_is_illegal() {
    let mut m = with_objects();
    let data = sel4_abi::CNodeCapData::new(0, 61).to_word();
    let r = mint(&mut m, CN, 200, CapRights::ALL_RIGHTS, data);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn mutate_of_endpoint_fails_even_with_zero_data() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, 64, EP, 64, 0],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn move_keeps_derivation_position() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 5));
    let r = m.call(ROOT_CNODE, L::CNodeMove, &[201, 64, 200, 64], &[ROOT_CNODE]);
    assert_ok(&r);
    assert!(m.root_cap(200).is_null());
    assert_eq!(m.root_cap(201).badge(), 5);
    // Revoking the original endpoint cap removes the moved child.
    assert_ok(&revoke(&mut m, EP));
    assert!(m.root_cap(201).is_null());
}

#[test]
fn rotate_moves_pivot_to_dest_and_src_to_pivot() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, FRAME, 64, 0, TCB2, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_ok(&r);
    assert!(matches!(m.root_cap(200), Cap::Frame { .. }));
    assert!(matches!(m.root_cap(FRAME), Cap::Thread { .. }));
    assert!(m.root_cap(TCB2).is_null());
}

#[test]
fn rotate_swap_when_src_is_dest() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[TCB2, 64, 0, FRAME, 64, 0, TCB2, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_ok(&r);
    assert!(matches!(m.root_cap(TCB2), Cap::Frame { .. }));
    assert!(matches!(m.root_cap(FRAME), Cap::Thread { .. }));
    // Rotating a badgeable cap is Mutate: refused even with data 0.
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[EP, 64, 0, NTFN, 64, 0, EP, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn rotate_errors() {
    let mut m = with_objects();
    // Pivot equal to src.
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, EP, 64, 0, EP, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
    // Dest full.
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[TCB2, 64, 0, NTFN, 64, 0, EP, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::DeleteFirst, &[]);
    // Empty pivot: FailedLookup, not the source.
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, 300, 64, 0, EP, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 64]);
    // Rotating an endpoint with data: Mutate rules, refused.
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, NTFN, 64, 9, EP, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, NTFN, 64, 0, EP],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn delete_final_endpoint_destroys_it() {
    let mut m = with_objects();
    let Cap::Endpoint { ptr, .. } = m.root_cap(EP) else {
        panic!()
    };
    assert_ok(&copy(&mut m, EP, 200, CapRights::ALL_RIGHTS));
    assert_ok(&delete(&mut m, EP));
    assert!(m.s.objects.contains_key(&ptr), "a copy remains");
    assert_ok(&delete(&mut m, 200));
    assert!(!m.s.objects.contains_key(&ptr), "last cap gone");
}

#[test]
fn delete_empty_slot_succeeds() {
    let mut m = Sim::default();
    assert_ok(&delete(&mut m, 300));
}

#[test]
fn revoke_removes_exactly_the_descendants() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 1));
    assert_ok(&copy(&mut m, 200, 201, CapRights::ALL_RIGHTS));
    assert_ok(&mint(&mut m, EP, 202, CapRights::ALL_RIGHTS, 2));
    assert_ok(&copy(&mut m, NTFN, 203, CapRights::ALL_RIGHTS));
    // Revoking badge 1's cap removes its copy but not the other badge.
    assert_ok(&revoke(&mut m, 200));
    assert!(!m.root_cap(200).is_null());
    assert!(m.root_cap(201).is_null());
    assert!(!m.root_cap(202).is_null());
    // Revoking the unbadged original removes every badged cap.
    assert_ok(&revoke(&mut m, EP));
    assert!(m.root_cap(200).is_null() && m.root_cap(202).is_null());
    assert!(!m.root_cap(EP).is_null() && !m.root_cap(203).is_null());
}

#[test]
fn revoke_untyped_destroys_its_objects() {
    let mut m = with_objects();
    assert_ok(&revoke(&mut m, FIRST_UNTYPED));
    for i in [EP, NTFN, TCB2, CN, FRAME] {
        assert!(m.root_cap(i).is_null(), "slot {i}");
    }
    assert!(!m.s.is_tcb(tcb_at_or_zero(&m)));
}

fn tcb_at_or_zero(m: &Sim) -> u64 {
    match m.root_cap(TCB2) {
        Cap::Thread { tcb } => tcb,
        _ => 0,
    }
}

#[test]
fn cancel_badged_sends_needs_all_rights() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::READ_WRITE, 3));
    let r = m.call(ROOT_CNODE, L::CNodeCancelBadgedSends, &[200, 64], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
    let r = m.call(ROOT_CNODE, L::CNodeCancelBadgedSends, &[NTFN, 64], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
    assert_ok(&m.call(ROOT_CNODE, L::CNodeCancelBadgedSends, &[EP, 64], &[]));
}

#[test]
fn save_caller_without_caller_is_a_noop_and_full_dest_is_delete_first() {
    let mut m = with_objects();
    assert_ok(&m.call(ROOT_CNODE, L::CNodeSaveCaller, &[200, 64], &[]));
    assert!(m.root_cap(200).is_null());
    let r = m.call(ROOT_CNODE, L::CNodeSaveCaller, &[EP, 64], &[]);
    assert_err(&r, Error::DeleteFirst, &[]);
}

#[test]
fn non_cnode_labels_are_illegal() {
    let mut m = Sim::default();
    let r = m.call(ROOT_CNODE, L::UntypedRetype, &[0, 0], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn delete_cnode_containing_its_only_cap_terminates() {
    let mut m = with_objects();
    // Copy the CNode cap into the CNode itself, then delete the outside copy.
    let Cap::CNode { ptr, .. } = m.root_cap(CN) else {
        panic!()
    };
    assert_ok(&m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, 64, CN, 64, sel4_abi::CNodeCapData::new(0, 0).to_word()],
        &[ROOT_CNODE],
    ));
    assert_ok(&delete(&mut m, 200));
    assert!(!m.s.objects.contains_key(&ptr));
}

const MISS: u64 = 2; // LookupFailureType::MissingCapability
const GUARD: u64 = 4; // LookupFailureType::GuardMismatch

#[test]
fn lookup_failure_numbers_are_sel4s() {
    assert_eq!(LookupFailureType::InvalidRoot.word(), 1);
    assert_eq!(LookupFailureType::MissingCapability.word(), MISS);
    assert_eq!(LookupFailureType::DepthMismatch.word(), 3);
    assert_eq!(LookupFailureType::GuardMismatch.word(), GUARD);
}

#[test]
fn a_label_above_the_cnode_range_is_illegal_operation() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::IrqIssueIrqHandler, &[200, 64], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn a_cnode_operation_with_one_word_is_truncated() {
    let mut m = with_objects();
    for label in [L::CNodeRevoke, L::CNodeDelete, L::CNodeSaveCaller] {
        let r = m.call(ROOT_CNODE, label, &[200], &[]);
        assert_err(&r, Error::TruncatedMessage, &[]);
    }
}

#[test]
fn the_destination_is_looked_up_before_the_source_arguments_are_checked() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeCopy, &[1 << 63, 64], &[]);
    assert_err(&r, Error::FailedLookup, &[0, GUARD, 64, 0, 52]);
}

#[test]
fn a_full_destination_is_reported_before_an_empty_source() {
    let mut m = with_objects();
    let r = copy(&mut m, 300, EP, CapRights::ALL_RIGHTS);
    assert_err(&r, Error::DeleteFirst, &[]);
}

#[test]
fn source_guard_mismatch_is_a_failed_lookup_of_the_source() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeCopy,
        &[200, 64, 1 << 63, 64, 15],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::FailedLookup, &[1, GUARD, 64, 0, 52]);
}

#[test]
fn source_root_not_a_cnode_is_invalid_root_of_the_source() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeCopy, &[200, 64, EP, 64, 15], &[EP]);
    assert_err(&r, Error::FailedLookup, &[1, 1]);
}

#[test]
fn source_depth_out_of_range_is_range_error() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeCopy,
        &[200, 64, EP, 0, 15],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RangeError, &[1, 64]);
    let r = m.call(ROOT_CNODE, L::CNodeMove, &[200, 64, EP, 65], &[ROOT_CNODE]);
    assert_err(&r, Error::RangeError, &[1, 64]);
}

#[test]
fn an_empty_source_reports_the_depth_asked_for() {
    let mut m = with_objects();
    // Depth 64 reaches slot 300; were it shorter the lookup itself would fail.
    let r = m.call(ROOT_CNODE, L::CNodeMove, &[200, 64, 300, 64], &[ROOT_CNODE]);
    assert_err(&r, Error::FailedLookup, &[1, MISS, 64]);
}

#[test]
fn copy_without_the_rights_word_is_truncated_after_the_lookups() {
    let mut m = with_objects();
    // Four words and a root: the missing rights word is found only after the source.
    let r = m.call(ROOT_CNODE, L::CNodeCopy, &[200, 64, 300, 64], &[ROOT_CNODE]);
    assert_err(&r, Error::FailedLookup, &[1, MISS, 64]);
    let r = m.call(ROOT_CNODE, L::CNodeCopy, &[200, 64, EP, 64], &[ROOT_CNODE]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn mint_without_the_badge_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeMint,
        &[200, 64, EP, 64, 15],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn mutate_without_the_data_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, 64, CN, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn move_needs_only_four_words() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeMove, &[200, 64, EP, 64], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(ROOT_CNODE, L::CNodeMove, &[200, 64, EP], &[ROOT_CNODE]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    assert_ok(&m.call(ROOT_CNODE, L::CNodeMove, &[200, 64, EP, 64], &[ROOT_CNODE]));
}

#[test]
fn move_into_a_full_slot_is_delete_first() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeMove, &[NTFN, 64, EP, 64], &[ROOT_CNODE]);
    assert_err(&r, Error::DeleteFirst, &[]);
}

#[test]
fn move_can_move_caps_that_cannot_be_copied() {
    let mut m = with_objects();
    let irq = init_cap::IRQ_CONTROL;
    assert_ok(&m.call(ROOT_CNODE, L::CNodeMove, &[200, 64, irq, 64], &[ROOT_CNODE]));
    assert!(matches!(m.root_cap(200), Cap::IrqControl));
    assert!(m.root_cap(irq).is_null());
}

#[test]
fn copy_gives_a_child_that_revoke_removes() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, TCB2, 200, CapRights::ALL_RIGHTS));
    assert!(matches!(m.root_cap(200), Cap::Thread { .. }));
    assert_ok(&revoke(&mut m, TCB2));
    assert!(m.root_cap(200).is_null());
}

#[test]
fn copy_of_a_cnode_cap_keeps_its_guard() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, ROOT_CNODE, 200, CapRights::ALL_RIGHTS));
    assert_eq!(m.root_cap(200), m.root_cap(ROOT_CNODE));
}

#[test]
fn copy_of_a_mapped_frame_is_unmapped() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 3));
    for i in 200..203 {
        assert_ok(&m.call(
            i,
            L::ArmPageTableMap,
            &[0x1000_0000, 0],
            &[init_cap::INIT_THREAD_VSPACE],
        ));
    }
    assert_ok(&m.call(
        FRAME,
        L::ArmPageMap,
        &[0x1000_0000, 3, 0],
        &[init_cap::INIT_THREAD_VSPACE],
    ));
    assert_ok(&copy(&mut m, FRAME, 210, CapRights::ALL_RIGHTS));
    assert!(matches!(m.root_cap(210), Cap::Frame { mapping: None, .. }));
    // A copied (mapped) page table cap is allowed.
    assert_ok(&copy(&mut m, 200, 211, CapRights::ALL_RIGHTS));
}

#[test]
fn copy_of_an_unmapped_page_table_is_illegal_operation() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 1));
    let r = copy(&mut m, 200, 201, CapRights::ALL_RIGHTS);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn copy_with_no_rights_gives_a_cap_without_rights() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, EP, 200, CapRights::from_word(0)));
    assert_eq!(m.root_cap(200).rights(), CapRights::from_word(0));
    // Such an endpoint cap cannot be invoked.
    let r = m.call_raw(200, 0, &[], &[]);
    assert_err(&r, Error::InvalidCapability, &[0]);
}

#[test]
fn mint_of_a_notification_sets_its_badge_and_masks_rights() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::WRITE, 0x55));
    assert_eq!(m.root_cap(200).badge(), 0x55);
    assert_eq!(m.root_cap(200).rights(), CapRights::WRITE);
}

#[test]
fn mint_of_an_unbadged_cap_with_badge_0_succeeds() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 0));
    assert_eq!(m.root_cap(200).badge(), 0);
}

#[test]
fn mint_of_a_cnode_sets_guard_and_guard_size() {
    let mut m = with_objects();
    let data = sel4_abi::CNodeCapData::new(5, 3).to_word();
    assert_ok(&mint(&mut m, CN, 200, CapRights::ALL_RIGHTS, data));
    assert!(matches!(
        m.root_cap(200),
        Cap::CNode {
            guard: 5,
            guard_size: 3,
            radix: 4,
            ..
        }
    ));
}

#[test]
fn mint_of_a_cnode_guard_filling_the_word_is_allowed() {
    let mut m = with_objects();
    // Radix 4 plus guard 60 is exactly 64 bits.
    let data = sel4_abi::CNodeCapData::new(0, 60).to_word();
    assert_ok(&mint(&mut m, CN, 200, CapRights::ALL_RIGHTS, data));
}

#[test]
fn mint_data_is_ignored_by_caps_without_data() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, TCB2, 200, CapRights::ALL_RIGHTS, 0x1234));
    assert_eq!(m.root_cap(200), m.root_cap(TCB2));
}

#[test]
fn mutate_of_a_cnode_changes_the_guard_and_moves_it() {
    let mut m = with_objects();
    let data = sel4_abi::CNodeCapData::new(1, 2).to_word();
    assert_ok(&m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, 64, CN, 64, data],
        &[ROOT_CNODE],
    ));
    assert!(m.root_cap(CN).is_null());
    assert!(matches!(
        m.root_cap(200),
        Cap::CNode {
            guard: 1,
            guard_size: 2,
            ..
        }
    ));
}

#[test]
fn mutate_of_a_cnode_with_too_long_a_guard_is_illegal() {
    let mut m = with_objects();
    let data = sel4_abi::CNodeCapData::new(0, 61).to_word();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, 64, CN, 64, data],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
    assert!(!m.root_cap(CN).is_null());
}

#[test]
fn mutate_of_a_notification_is_illegal() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, 64, NTFN, 64, 3],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn mutate_of_a_thread_cap_ignores_the_data() {
    let mut m = with_objects();
    let before = m.root_cap(TCB2);
    assert_ok(&m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, 64, TCB2, 64, 77],
        &[ROOT_CNODE],
    ));
    assert_eq!(m.root_cap(200), before);
}

#[test]
fn rotate_with_one_extra_cap_is_truncated() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, FRAME, 64, 0, TCB2, 64],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn rotate_with_seven_words_is_truncated() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, FRAME, 64, 0, TCB2],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn rotate_pivot_equal_to_dest_is_illegal() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[FRAME, 64, 0, FRAME, 64, 0, TCB2, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn rotate_empty_source_is_a_failed_lookup_of_the_source() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, FRAME, 64, 0, 300, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::FailedLookup, &[1, MISS, 64]);
}

#[test]
fn rotate_source_lookup_failure_is_reported_as_the_source() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, FRAME, 64, 0, 1 << 63, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::FailedLookup, &[1, GUARD, 64, 0, 52]);
}

#[test]
fn rotate_pivot_lookup_failure_is_reported_as_the_source_too() {
    let mut m = with_objects();
    // seL4's lookupPivotSlot passes isSource = true.
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, 1 << 63, 64, 0, TCB2, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    );
    assert_err(&r, Error::FailedLookup, &[1, GUARD, 64, 0, 52]);
}

#[test]
fn rotate_pivot_root_not_a_cnode_is_invalid_root() {
    let mut m = with_objects();
    let r = m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, 0, FRAME, 64, 0, TCB2, 64],
        &[EP, ROOT_CNODE],
    );
    assert_err(&r, Error::FailedLookup, &[1, 1]);
}

#[test]
fn rotate_applies_dest_badge_to_the_pivot_and_pivot_badge_to_the_source() {
    let mut m = with_objects();
    let d1 = sel4_abi::CNodeCapData::new(0, 3).to_word();
    let d2 = sel4_abi::CNodeCapData::new(1, 2).to_word();
    assert_ok(&copy(&mut m, CN, 210, CapRights::ALL_RIGHTS));
    // Pivot = CN (moves to 200 with d1); source = 210 (moves to CN with d2).
    assert_ok(&m.call(
        ROOT_CNODE,
        L::CNodeRotate,
        &[200, 64, d1, CN, 64, d2, 210, 64],
        &[ROOT_CNODE, ROOT_CNODE],
    ));
    assert!(matches!(m.root_cap(200), Cap::CNode { guard_size: 3, .. }));
    assert!(matches!(
        m.root_cap(CN),
        Cap::CNode {
            guard: 1,
            guard_size: 2,
            ..
        }
    ));
    assert!(m.root_cap(210).is_null());
}

#[test]
fn revoke_of_an_empty_slot_succeeds() {
    let mut m = with_objects();
    assert_ok(&revoke(&mut m, 300));
}

#[test]
fn revoke_keeps_the_cap_itself() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, EP, 200, CapRights::ALL_RIGHTS));
    assert_ok(&revoke(&mut m, EP));
    assert!(!m.root_cap(EP).is_null());
}

#[test]
fn delete_of_a_non_final_cap_keeps_the_object() {
    let mut m = with_objects();
    let t = tcb_at(&m, TCB2);
    assert_ok(&copy(&mut m, TCB2, 200, CapRights::ALL_RIGHTS));
    assert_ok(&delete(&mut m, TCB2));
    assert!(m.root_cap(TCB2).is_null());
    assert!(m.s.is_tcb(t));
}

#[test]
fn delete_lookup_failure_reports_the_destination() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[1 << 63, 64], &[]);
    assert_err(&r, Error::FailedLookup, &[0, GUARD, 64, 0, 52]);
}

#[test]
fn cancel_badged_sends_on_an_empty_slot_is_illegal() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeCancelBadgedSends, &[300, 64], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn cancel_badged_sends_with_a_badged_full_rights_cap_succeeds() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 3));
    assert_ok(&m.call(ROOT_CNODE, L::CNodeCancelBadgedSends, &[200, 64], &[]));
}

#[test]
fn save_caller_depth_zero_is_range_error() {
    let mut m = with_objects();
    let r = m.call(ROOT_CNODE, L::CNodeSaveCaller, &[200, 0], &[]);
    assert_err(&r, Error::RangeError, &[1, 64]);
}

fn frame_rights(m: &Sim, i: u64) -> spec::model::VmRights {
    match m.root_cap(i) {
        Cap::Frame { rights, .. } => rights,
        c => panic!("{c:?}"),
    }
}

#[test]
fn copying_a_frame_with_read_only_gives_a_read_only_frame() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, FRAME, 200, CapRights::READ));
    assert_eq!(frame_rights(&m, 200), spec::model::VmRights::ReadOnly);
}

#[test]
fn copying_a_frame_with_write_only_gives_a_kernel_only_frame() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, FRAME, 200, CapRights::WRITE));
    assert_eq!(frame_rights(&m, 200), spec::model::VmRights::KernelOnly);
}

#[test]
fn a_read_only_frame_cannot_regain_write() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, FRAME, 200, CapRights::READ));
    assert_ok(&copy(&mut m, 200, 201, CapRights::ALL_RIGHTS));
    assert_eq!(frame_rights(&m, 201), spec::model::VmRights::ReadOnly);
}

#[test]
fn mint_masks_the_guard_to_the_guard_size() {
    let mut m = with_objects();
    let data = sel4_abi::CNodeCapData::new(0xff, 3).to_word();
    assert_ok(&mint(&mut m, CN, 200, CapRights::ALL_RIGHTS, data));
    assert!(matches!(
        m.root_cap(200),
        Cap::CNode {
            guard: 7,
            guard_size: 3,
            ..
        }
    ));
}

#[test]
fn mint_of_a_notification_with_read_only_keeps_read() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, NTFN, 200, CapRights::READ, 1));
    assert_eq!(m.root_cap(200).rights(), CapRights::READ);
}

#[test]
fn a_minted_badged_cap_can_still_be_copied() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 9));
    assert_ok(&copy(&mut m, 200, 201, CapRights::ALL_RIGHTS));
    assert_eq!(m.root_cap(201).badge(), 9);
}

#[test]
fn a_minted_badged_cap_can_be_moved() {
    let mut m = with_objects();
    assert_ok(&mint(&mut m, EP, 200, CapRights::ALL_RIGHTS, 9));
    assert_ok(&m.call(ROOT_CNODE, L::CNodeMove, &[201, 64, 200, 64], &[ROOT_CNODE]));
    assert_eq!(m.root_cap(201).badge(), 9);
}

#[test]
fn copying_a_reply_cap_is_illegal() {
    let mut m = with_objects();
    start_second(&mut m, 10, 0x7100_0000);
    m.syscall(Syscall::Recv, EP, 0, &[], &[]);
    m.syscall(Syscall::Call, EP, 1, &[], &[]);
    assert_ok(&m.call(ROOT_CNODE, L::CNodeSaveCaller, &[300, 64], &[]));
    let r = copy(&mut m, 300, 301, CapRights::ALL_RIGHTS);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn copying_the_domain_and_asid_control_caps_is_allowed() {
    let mut m = with_objects();
    assert_ok(&copy(&mut m, init_cap::DOMAIN, 200, CapRights::ALL_RIGHTS));
    assert_ok(&copy(
        &mut m,
        init_cap::ASID_CONTROL,
        201,
        CapRights::ALL_RIGHTS,
    ));
    assert!(matches!(m.root_cap(200), Cap::Domain));
    assert!(matches!(m.root_cap(201), Cap::AsidControl));
}

#[test]
fn a_long_delete_stops_at_a_pending_interrupt_as_a_zombie_and_finishes_when_run_again() {
    let mut m = Sim::default();
    // A CNode of 256 slots full of endpoints: deleting its last cap empties 256 slots, a
    // preemption point after each.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::CapTable, 8, 200, 1));
    let words = [ObjectType::Endpoint.word(), 0, 200, ROOT_DEPTH, 0, 256];
    assert_ok(&m.call(FIRST_UNTYPED, L::UntypedRetype, &words, &[ROOT_CNODE]));
    let Cap::CNode { ptr, .. } = m.root_cap(200) else {
        panic!()
    };
    m.s.work_units = 0;
    m.s.preempt_at = Some(1);
    m.call(ROOT_CNODE, L::CNodeDelete, &[200, ROOT_DEPTH], &[]);
    // Stopped after 100 slots: the slot holds the zombie, with 156 slots to go, and the
    // CNode still exists.
    assert_eq!(
        m.root_cap(200),
        Cap::Zombie {
            ptr,
            is_tcb: false,
            radix: 8,
            number: 156
        }
    );
    assert!(m.s.objects.contains_key(&ptr));
    m.s.preempt_at = None;
    assert_ok(&delete(&mut m, 200));
    assert!(m.root_cap(200).is_null());
    assert!(!m.s.objects.contains_key(&ptr));
}

#[test]
fn a_long_revoke_stops_between_children_and_finishes_when_run_again() {
    let mut m = with_objects();
    for i in 0..150 {
        assert_ok(&copy(&mut m, EP, 200 + i, CapRights::all()));
    }
    m.s.work_units = 0;
    m.s.preempt_at = Some(1);
    revoke(&mut m, EP);
    // 100 copies gone (a preemption point after each), 50 left.
    let left = (200..350).filter(|&i| !m.root_cap(i).is_null()).count();
    assert_eq!(left, 50);
    m.s.preempt_at = None;
    assert_ok(&revoke(&mut m, EP));
    assert!((200..350).all(|i| m.root_cap(i).is_null()));
    assert!(!m.root_cap(EP).is_null());
}
