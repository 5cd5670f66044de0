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
