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
