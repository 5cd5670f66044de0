//! CSpace lookup: guards, radices, depths, and the failures user level sees.

use crate::common::*;

#[test]
fn guard_mismatch_on_invoked_cptr_is_a_cap_fault_with_guard_payload() {
    let mut m = with_objects();
    // Give the root task a fault handler it cannot use: the thread then just stops.
    let me = m.s.current;
    m.syscall(Syscall::Call, 1 << 63, 0, &[], &[]);
    // No usable fault endpoint: the thread is inactive and the idle thread runs.
    assert_eq!(m.s.tcb(me).state, ThreadState::Inactive);
    assert_eq!(m.s.current, m.s.idle);
}

#[test]
fn resolve_reports_guard_found_and_size() {
    let m = Sim::default();
    let root = m.root_cap(ROOT_CNODE);
    let e = spec::kernel::cspace::resolve_address_bits(&m.s, root, 1 << 63, 64).unwrap_err();
    assert_eq!(
        e,
        spec::model::LookupFailure::GuardMismatch {
            bits_left: 64,
            guard_found: 0,
            guard_size: 52
        }
    );
}

#[test]
fn resolve_depth_too_small_for_guard_is_guard_mismatch() {
    let m = Sim::default();
    let root = m.root_cap(ROOT_CNODE);
    let e = spec::kernel::cspace::resolve_address_bits(&m.s, root, 5, 20).unwrap_err();
    assert!(matches!(
        e,
        spec::model::LookupFailure::GuardMismatch { bits_left: 20, .. }
    ));
}

#[test]
fn resolve_non_cnode_root_is_invalid_root() {
    let m = Sim::default();
    let e = spec::kernel::cspace::resolve_address_bits(&m.s, Cap::Null, 5, 64).unwrap_err();
    assert_eq!(e, spec::model::LookupFailure::InvalidRoot);
}

#[test]
fn two_level_lookup_through_a_child_cnode() {
    let mut m = with_objects();
    // Put a cap to the 16-slot CNode under the root with guard 48: 52+12 = 64 bits resolve
    // the root, so a 64-bit cptr cannot reach it; use depth 12+4+48 instead via Mint guard.
    let data = sel4_abi::CNodeCapData::new(0, 0).to_word();
    assert_ok(&m.call(
        ROOT_CNODE,
        L::CNodeMutate,
        &[200, ROOT_DEPTH, CN, ROOT_DEPTH, data],
        &[ROOT_CNODE],
    ));
    // A CNode op that addresses slot 3 of the child: index (200 << 4) | 3, depth 64 + 4 is
    // more than a word, so use a root cap with a smaller guard.
    let smaller = sel4_abi::CNodeCapData::new(0, 48).to_word();
    assert_ok(&m.call(
        ROOT_CNODE,
        L::CNodeMint,
        &[
            201,
            ROOT_DEPTH,
            ROOT_CNODE,
            ROOT_DEPTH,
            CapRights::ALL_RIGHTS.word(),
            smaller,
        ],
        &[ROOT_CNODE],
    ));
    // Through cap 201 (guard 48 + radix 12 = 60 bits) then the child (4 bits): 64 bits.
    let idx = (200 << 4) | 3;
    let r = m.call(
        201,
        L::CNodeCopy,
        &[idx, 64, EP, 60, CapRights::ALL_RIGHTS.word()],
        &[201],
    );
    assert_ok(&r);
    let Cap::CNode { ptr, .. } = m.root_cap(200) else {
        panic!()
    };
    assert!(matches!(
        m.s.cap(spec::kernel::cspace::slot_at(ptr, 3)),
        Cap::Endpoint { .. }
    ));
}

#[test]
fn cnode_op_depth_out_of_range_is_range_error() {
    let mut m = Sim::default();
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[5, 0], &[]);
    assert_err(&r, Error::RangeError, &[1, 64]);
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[5, 65], &[]);
    assert_err(&r, Error::RangeError, &[1, 64]);
}

#[test]
fn cnode_op_stopping_at_non_cnode_is_depth_mismatch_bits_found_0() {
    let mut m = with_objects();
    // Depth 64 into root resolves a slot; a 2-level address through an endpoint slot stops.
    let smaller = sel4_abi::CNodeCapData::new(0, 48).to_word();
    assert_ok(&m.call(
        ROOT_CNODE,
        L::CNodeMint,
        &[
            201,
            ROOT_DEPTH,
            ROOT_CNODE,
            ROOT_DEPTH,
            CapRights::ALL_RIGHTS.word(),
            smaller,
        ],
        &[ROOT_CNODE],
    ));
    let r = m.call(201, L::CNodeDelete, &[(EP << 4) | 1, 64], &[]);
    let miss = LookupFailureType::DepthMismatch.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 4, 0]);
}

#[test]
fn cnode_op_guard_mismatch_payload() {
    let mut m = Sim::default();
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[1 << 63, 64], &[]);
    let g = LookupFailureType::GuardMismatch.word();
    assert_err(&r, Error::FailedLookup, &[0, g, 64, 0, 52]);
}

#[test]
fn cnode_op_depth_shorter_than_level_is_depth_mismatch() {
    let mut m = Sim::default();
    // The root's guard is 52 bits and its radix 12: depth 60 passes the guard (52) but not
    // the radix.
    let r = m.call(ROOT_CNODE, L::CNodeDelete, &[5, 60], &[]);
    let d = LookupFailureType::DepthMismatch.word();
    assert_err(&r, Error::FailedLookup, &[0, d, 60, 64]);
}
