//! Untyped Retype: placement, watermark, reset, and every error in seL4's order.

use crate::common::*;
use sel4_abi::{MAX_UNTYPED_BITS, UNTYPED_RETYPE_MAX_OBJECTS};

fn ut_base(m: &Sim) -> u64 {
    match m.root_cap(FIRST_UNTYPED) {
        Cap::Untyped { ptr, .. } => ptr,
        c => panic!("{c:?}"),
    }
}

fn addr_of(m: &Sim, i: u64) -> u64 {
    m.root_cap(i).region().expect("a physical cap").0
}

#[test]
fn every_object_type_can_be_retyped() {
    let mut m = Sim::default();
    for (i, t) in ObjectType::ALL.into_iter().enumerate() {
        if t == ObjectType::HugePage {
            continue; // larger than the 16 MiB test untyped
        }
        let size = match t {
            ObjectType::Untyped => 12,
            ObjectType::CapTable => 3,
            _ => 0,
        };
        let r = m.retype(FIRST_UNTYPED, t, size, 200 + i as u64, 1);
        assert_ok(&r);
        assert!(!m.root_cap(200 + i as u64).is_null(), "{t:?}");
    }
}

#[test]
fn objects_are_placed_at_the_watermark_aligned_to_their_size() {
    let mut m = Sim::default();
    let base = ut_base(&m);
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 200, 2));
    assert_eq!(addr_of(&m, 200), base);
    assert_eq!(addr_of(&m, 201), base + 16);
    // A TCB (2 KiB) is aligned up past the endpoints.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Tcb, 0, 202, 1));
    assert_eq!(addr_of(&m, 202), base + 2048);
    let Cap::Untyped { free_index, .. } = m.root_cap(FIRST_UNTYPED) else {
        panic!()
    };
    assert_eq!(free_index, 4096);
}

#[test]
fn retype_revoke_retype_reuses_the_same_addresses() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Notification, 0, 200, 3));
    let first: Vec<u64> = (200..203).map(|i| addr_of(&m, i)).collect();
    assert_ok(&revoke(&mut m, FIRST_UNTYPED));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Notification, 0, 200, 3));
    let second: Vec<u64> = (200..203).map(|i| addr_of(&m, i)).collect();
    assert_eq!(first, second);
}

#[test]
fn bad_type_is_invalid_argument_0() {
    let mut m = Sim::default();
    let r = m.call(
        FIRST_UNTYPED,
        L::UntypedRetype,
        &[99, 0, 0, 0, 200, 1],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::InvalidArgument, &[0]);
}

#[test]
fn too_big_is_range_error() {
    let mut m = Sim::default();
    let r = m.retype(FIRST_UNTYPED, ObjectType::Untyped, 48, 200, 1);
    assert_err(&r, Error::RangeError, &[0, MAX_UNTYPED_BITS]);
    let r = m.retype(FIRST_UNTYPED, ObjectType::CapTable, 43, 200, 1);
    assert_err(&r, Error::RangeError, &[0, MAX_UNTYPED_BITS]);
}

#[test]
fn small_untyped_and_zero_cnode_are_invalid_argument_1() {
    let mut m = Sim::default();
    assert_err(
        &m.retype(FIRST_UNTYPED, ObjectType::Untyped, 3, 200, 1),
        Error::InvalidArgument,
        &[1],
    );
    assert_err(
        &m.retype(FIRST_UNTYPED, ObjectType::CapTable, 0, 200, 1),
        Error::InvalidArgument,
        &[1],
    );
}

#[test]
fn window_errors_are_range_errors_with_the_valid_range() {
    let mut m = Sim::default();
    let slots = 1 << 12;
    assert_err(
        &m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, slots, 1),
        Error::RangeError,
        &[0, slots - 1],
    );
    assert_err(
        &m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 200, 0),
        Error::RangeError,
        &[1, UNTYPED_RETYPE_MAX_OBJECTS],
    );
    assert_err(
        &m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 200, 257),
        Error::RangeError,
        &[1, UNTYPED_RETYPE_MAX_OBJECTS],
    );
    assert_err(
        &m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, slots - 2, 3),
        Error::RangeError,
        &[1, 2],
    );
}

#[test]
fn occupied_destination_is_delete_first() {
    let mut m = Sim::default();
    assert_err(
        &m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 1, 1),
        Error::DeleteFirst,
        &[],
    );
}

#[test]
fn not_enough_memory_reports_bytes_left() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.retype(200, ObjectType::Tcb, 0, 201, 1));
    let r = m.retype(200, ObjectType::Tcb, 0, 202, 2);
    assert_err(&r, Error::NotEnoughMemory, &[2048]);
}

#[test]
fn device_untyped_only_makes_frames_and_untypeds() {
    let mut m = Sim::default();
    let dev = FIRST_UNTYPED + 1;
    assert_err(
        &m.retype(dev, ObjectType::Tcb, 0, 200, 1),
        Error::InvalidArgument,
        &[1],
    );
    assert_err(
        &m.retype(dev, ObjectType::Endpoint, 0, 200, 1),
        Error::InvalidArgument,
        &[1],
    );
    assert_ok(&m.retype(dev, ObjectType::SmallPage, 0, 200, 1));
    assert!(matches!(
        m.root_cap(200),
        Cap::Frame {
            is_device: true,
            ..
        }
    ));
}

#[test]
fn destination_cnode_lookup_failures() {
    let mut m = Sim::default();
    // node_depth non-zero naming a non-CNode slot.
    let r = m.call(
        FIRST_UNTYPED,
        L::UntypedRetype,
        &[2, 0, 1, 64, 200, 1],
        &[ROOT_CNODE],
    );
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 64]);
    // Root argument that is not a CNode at depth 0.
    let r = m.call(FIRST_UNTYPED, L::UntypedRetype, &[2, 0, 0, 0, 200, 1], &[1]);
    assert_err(&r, Error::FailedLookup, &[0, miss, 0]);
    // Truncated.
    let r = m.call(
        FIRST_UNTYPED,
        L::UntypedRetype,
        &[2, 0, 0, 0, 200],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(FIRST_UNTYPED, L::UntypedRetype, &[2, 0, 0, 0, 200, 1], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(FIRST_UNTYPED, L::CNodeCopy, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn retype_into_a_child_cnode_via_depth() {
    let mut m = with_objects();
    // CN is a 16-slot CNode at root slot CN; address it with depth 64.
    let r = m.call(
        FIRST_UNTYPED,
        L::UntypedRetype,
        &[2, 0, CN, 64, 3, 2],
        &[ROOT_CNODE],
    );
    assert_ok(&r);
    let Cap::CNode { ptr, .. } = m.root_cap(CN) else {
        panic!()
    };
    for i in [3, 4] {
        assert!(matches!(
            m.s.cap(spec::kernel::cspace::slot_at(ptr, i)),
            Cap::Endpoint { .. }
        ));
    }
    // Window outside the 16-slot CNode.
    let r = m.call(
        FIRST_UNTYPED,
        L::UntypedRetype,
        &[2, 0, CN, 64, 16, 1],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::RangeError, &[0, 15]);
}

#[test]
fn reset_happens_only_without_children() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 200, 1));
    assert_ok(&delete(&mut m, 200));
    // No children left: the next object starts at the base again.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Notification, 0, 201, 1));
    assert_eq!(addr_of(&m, 201), ut_base(&m));
}

/// Retype with raw message words and the root CNode as the destination root.
fn retype_words(m: &mut Sim, ut: u64, words: &[u64]) -> Reply {
    m.call(ut, L::UntypedRetype, words, &[ROOT_CNODE])
}

#[test]
fn a_label_other_than_retype_is_illegal_operation() {
    let mut m = Sim::default();
    let r = m.call(FIRST_UNTYPED, L::TcbSuspend, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
    let r = m.call(
        FIRST_UNTYPED,
        L::CNodeCopy,
        &[0, 0, 0, 0, 200, 1],
        &[ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn retype_with_five_words_is_truncated() {
    let mut m = Sim::default();
    let r = retype_words(&mut m, FIRST_UNTYPED, &[2, 0, 0, 0, 200]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn retype_without_a_destination_root_is_truncated() {
    let mut m = Sim::default();
    let r = m.call(FIRST_UNTYPED, L::UntypedRetype, &[2, 0, 0, 0, 200, 1], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn truncation_is_checked_before_the_type() {
    let mut m = Sim::default();
    let r = retype_words(&mut m, FIRST_UNTYPED, &[99]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn type_just_past_the_last_object_type_is_invalid_argument_0() {
    let mut m = Sim::default();
    let count = ObjectType::ALL.len() as u64;
    let r = retype_words(&mut m, FIRST_UNTYPED, &[count, 0, 0, 0, 200, 1]);
    assert_err(&r, Error::InvalidArgument, &[0]);
    // The last type is fine.
    let r = retype_words(&mut m, FIRST_UNTYPED, &[count - 1, 0, 0, 0, 200, 1]);
    assert_ok(&r);
}

#[test]
fn a_size_argument_of_64_is_range_error_for_any_type() {
    let mut m = Sim::default();
    let r = m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 64, 200, 1);
    assert_err(&r, Error::RangeError, &[0, MAX_UNTYPED_BITS]);
    let r = m.retype(FIRST_UNTYPED, ObjectType::Tcb, u64::MAX, 200, 1);
    assert_err(&r, Error::RangeError, &[0, MAX_UNTYPED_BITS]);
}

#[test]
fn fixed_size_types_ignore_a_size_argument_below_64() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 63, 200, 1));
    assert!(matches!(m.root_cap(200), Cap::Endpoint { .. }));
}

#[test]
fn untyped_of_max_untyped_bits_passes_the_size_check() {
    let mut m = Sim::default();
    // 2^47 passes the range check and then fails for memory (the untyped is 2^24).
    let r = m.retype(FIRST_UNTYPED, ObjectType::Untyped, MAX_UNTYPED_BITS, 200, 1);
    assert_err(&r, Error::NotEnoughMemory, &[1 << 24]);
}

#[test]
fn cnode_size_counts_the_slot_bits_against_the_maximum() {
    let mut m = Sim::default();
    // Radix 42 is 2^47 bytes: allowed by size, refused for memory.
    let r = m.retype(FIRST_UNTYPED, ObjectType::CapTable, 42, 200, 1);
    assert_err(&r, Error::NotEnoughMemory, &[1 << 24]);
    let r = m.retype(FIRST_UNTYPED, ObjectType::CapTable, 43, 200, 1);
    assert_err(&r, Error::RangeError, &[0, MAX_UNTYPED_BITS]);
}

#[test]
fn untyped_of_the_minimum_size_is_allowed() {
    let mut m = Sim::default();
    assert_ok(&m.retype(
        FIRST_UNTYPED,
        ObjectType::Untyped,
        sel4_abi::MIN_UNTYPED_BITS,
        200,
        1,
    ));
    assert!(matches!(m.root_cap(200), Cap::Untyped { size_bits: 4, .. }));
}

#[test]
fn cnode_of_radix_1_is_allowed() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::CapTable, 1, 200, 1));
    assert!(matches!(m.root_cap(200), Cap::CNode { radix: 1, .. }));
}

#[test]
fn size_errors_come_before_destination_errors() {
    let mut m = Sim::default();
    // Slot 1 is occupied, but the zero-radix CNode is reported first.
    let r = m.retype(FIRST_UNTYPED, ObjectType::CapTable, 0, 1, 1);
    assert_err(&r, Error::InvalidArgument, &[1]);
}

#[test]
fn destination_depth_over_64_is_range_error() {
    let mut m = Sim::default();
    let r = retype_words(&mut m, FIRST_UNTYPED, &[2, 0, CN, 65, 0, 1]);
    assert_err(&r, Error::RangeError, &[1, 64]);
}

#[test]
fn destination_guard_mismatch_is_failed_lookup_with_guard_payload() {
    let mut m = Sim::default();
    let r = retype_words(&mut m, FIRST_UNTYPED, &[2, 0, 1 << 63, 64, 0, 1]);
    let g = LookupFailureType::GuardMismatch.word();
    assert_err(&r, Error::FailedLookup, &[0, g, 64, 0, 52]);
}

#[test]
fn destination_root_not_a_cnode_with_depth_is_invalid_root() {
    let mut m = with_objects();
    let r = m.call(
        FIRST_UNTYPED,
        L::UntypedRetype,
        &[2, 0, CN, 64, 0, 1],
        &[EP],
    );
    let root = LookupFailureType::InvalidRoot.word();
    assert_err(&r, Error::FailedLookup, &[0, root]);
}

#[test]
fn destination_empty_slot_is_missing_capability_with_the_depth() {
    let mut m = Sim::default();
    let r = retype_words(&mut m, FIRST_UNTYPED, &[2, 0, 300, 64, 0, 1]);
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 64]);
}

#[test]
fn offset_of_the_last_slot_is_allowed() {
    let mut m = Sim::default();
    let last = (1 << 12) - 1;
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, last, 1));
    assert!(matches!(m.root_cap(last), Cap::Endpoint { .. }));
}

#[test]
fn offset_range_is_checked_before_the_window_size() {
    let mut m = Sim::default();
    let r = m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 1 << 12, 0);
    assert_err(&r, Error::RangeError, &[0, (1 << 12) - 1]);
}

#[test]
fn a_window_of_256_objects_is_allowed() {
    let mut m = Sim::default();
    assert_ok(&m.retype(
        FIRST_UNTYPED,
        ObjectType::Endpoint,
        0,
        300,
        UNTYPED_RETYPE_MAX_OBJECTS,
    ));
    assert!(matches!(m.root_cap(555), Cap::Endpoint { .. }));
    assert!(m.root_cap(556).is_null());
}

#[test]
fn a_window_reaching_the_end_of_the_cnode_exactly_is_allowed() {
    let mut m = Sim::default();
    let slots = 1 << 12;
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, slots - 2, 2));
}

#[test]
fn any_occupied_slot_in_the_window_is_delete_first() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 202, 1));
    let r = m.retype(FIRST_UNTYPED, ObjectType::Notification, 0, 200, 4);
    assert_err(&r, Error::DeleteFirst, &[]);
    // Nothing was created.
    assert!(m.root_cap(200).is_null() && m.root_cap(201).is_null());
}

#[test]
fn delete_first_comes_before_not_enough_memory() {
    let mut m = Sim::default();
    let r = m.retype(FIRST_UNTYPED, ObjectType::HugePage, 0, 1, 1);
    assert_err(&r, Error::DeleteFirst, &[]);
}

#[test]
fn an_object_larger_than_the_untyped_is_not_enough_memory_with_the_whole_size() {
    let mut m = Sim::default();
    let r = m.retype(FIRST_UNTYPED, ObjectType::HugePage, 0, 200, 1);
    assert_err(&r, Error::NotEnoughMemory, &[1 << 24]);
}

#[test]
fn not_enough_memory_counts_from_the_watermark_unaligned() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.retype(200, ObjectType::Endpoint, 0, 201, 1));
    // 4080 bytes are left: no room for a 4 KiB frame.
    let r = m.retype(200, ObjectType::SmallPage, 0, 202, 1);
    assert_err(&r, Error::NotEnoughMemory, &[4096 - 16]);
    // But a 2 KiB TCB fits, aligned up to 2048.
    assert_ok(&m.retype(200, ObjectType::Tcb, 0, 202, 1));
    assert_eq!(addr_of(&m, 202), addr_of(&m, 200) + 2048);
}

#[test]
fn a_full_window_of_objects_must_all_fit() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    let r = m.retype(200, ObjectType::SmallPage, 0, 201, 2);
    assert_err(&r, Error::NotEnoughMemory, &[4096]);
    assert_ok(&m.retype(200, ObjectType::SmallPage, 0, 201, 1));
}

#[test]
fn device_untyped_into_a_cnode_is_invalid_argument_1() {
    let mut m = Sim::default();
    let r = m.retype(FIRST_UNTYPED + 1, ObjectType::CapTable, 2, 200, 1);
    assert_err(&r, Error::InvalidArgument, &[1]);
}

#[test]
fn device_untyped_memory_check_comes_before_the_device_check() {
    let mut m = Sim::default();
    // The device untyped is 4 KiB: a 2 KiB TCB fits, so the device rule decides...
    let r = m.retype(FIRST_UNTYPED + 1, ObjectType::Tcb, 0, 200, 1);
    assert_err(&r, Error::InvalidArgument, &[1]);
    // ...while a CNode too large for it is NotEnoughMemory.
    let r = m.retype(FIRST_UNTYPED + 1, ObjectType::CapTable, 8, 200, 1);
    assert_err(&r, Error::NotEnoughMemory, &[4096]);
}

#[test]
fn device_untyped_can_become_a_smaller_device_untyped() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED + 1, ObjectType::Untyped, 11, 200, 2));
    assert!(matches!(
        m.root_cap(201),
        Cap::Untyped {
            is_device: true,
            size_bits: 11,
            ..
        }
    ));
}

#[test]
fn retype_moves_the_watermark_to_the_end_of_the_last_object() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Notification, 0, 200, 3));
    let Cap::Untyped { free_index, .. } = m.root_cap(FIRST_UNTYPED) else {
        panic!()
    };
    assert_eq!(free_index, 3 * 32);
}

#[test]
fn retyped_caps_are_children_of_the_untyped() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 200, 2));
    assert!(m.s.has_children(m.root_slot(FIRST_UNTYPED)));
    assert_ok(&revoke(&mut m, FIRST_UNTYPED));
    assert!(m.root_cap(200).is_null() && m.root_cap(201).is_null());
}

#[test]
fn new_objects_get_all_rights() {
    let mut m = Sim::default();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 200, 1));
    assert_eq!(m.root_cap(200).rights(), CapRights::ALL_RIGHTS);
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Notification, 0, 201, 1));
    assert!(m.root_cap(201).rights().contains(CapRights::READ_WRITE));
}

#[test]
fn a_new_tcb_is_inactive_at_priority_0() {
    let m = with_objects();
    let t = m.s.tcb(tcb_at(&m, TCB2));
    assert_eq!((t.state, t.priority, t.mcp), (ThreadState::Inactive, 0, 0));
}

#[test]
fn a_reset_stops_at_a_pending_interrupt_and_carries_on_when_run_again() {
    let mut m = Sim::default();
    let base = ut_base(&m);
    // A 1 MiB child, deleted: the next retype resets 1 MiB, 4096 chunks of 256 bytes.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 20, 200, 1));
    assert_ok(&delete(&mut m, 200));
    // An interrupt is pending at the entry's first check (after 100 units of work).
    m.s.work_units = 0;
    m.s.preempt_at = Some(1);
    m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 201, 1);
    // 100 chunks were zeroed from the top; the watermark says so; nothing was made, and
    // the caller will execute its svc again.
    assert!(m.root_cap(201).is_null());
    let Cap::Untyped { free_index, .. } = m.root_cap(FIRST_UNTYPED) else {
        panic!()
    };
    assert_eq!(free_index, 0xf_ff00 - 99 * 256);
    let t = m.s.current;
    assert_eq!(
        m.s.tcb(t).regs[sel4_abi::context::index::PC],
        m.s.tcb(t).fault_ip
    );
    assert_eq!(m.s.tcb(t).state, ThreadState::Running);
    // Run again with no interrupt: the reset finishes, the endpoint is at the base.
    m.s.preempt_at = None;
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 201, 1));
    assert_eq!(addr_of(&m, 201), base);
    // Without an interrupt a long reset never stops, however much work it does.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 20, 202, 1));
    assert_ok(&revoke(&mut m, FIRST_UNTYPED));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Endpoint, 0, 203, 1));
    assert_eq!(addr_of(&m, 203), base);
}
