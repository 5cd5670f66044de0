//! VSpace objects: ASID pools, page tables and frames, abstractly.

use crate::common::*;
use sel4_abi::init_cap::{ASID_CONTROL, INIT_THREAD_ASID_POOL, INIT_THREAD_VSPACE};

const VADDR: u64 = 0x1000_0000;

fn tables(m: &mut Sim, first: u64) {
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, first, 3));
    for i in 0..3 {
        assert_ok(&m.call(
            first + i,
            L::ArmPageTableMap,
            &[VADDR, 0],
            &[INIT_THREAD_VSPACE],
        ));
    }
}

#[test]
fn page_map_needs_every_table_level() {
    let mut m = with_objects();
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]);
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 39]);
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 3));
    assert_ok(&m.call(200, L::ArmPageTableMap, &[VADDR, 0], &[INIT_THREAD_VSPACE]));
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::FailedLookup, &[0, miss, 30]);
    assert_ok(&m.call(201, L::ArmPageTableMap, &[VADDR, 0], &[INIT_THREAD_VSPACE]));
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::FailedLookup, &[0, miss, 21]);
    assert_ok(&m.call(202, L::ArmPageTableMap, &[VADDR, 0], &[INIT_THREAD_VSPACE]));
    assert_ok(&m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    // Every level exists now: another table is DeleteFirst.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 203, 1));
    let r = m.call(203, L::ArmPageTableMap, &[VADDR, 0], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::DeleteFirst, &[]);
}

#[test]
fn frame_map_rules() {
    let mut m = with_objects();
    tables(&mut m, 200);
    assert_ok(&m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    // Same frame cap at another address: InvalidArgument 0.
    let r = m.call(
        FRAME,
        L::ArmPageMap,
        &[VADDR + 0x1000, 3, 0],
        &[INIT_THREAD_VSPACE],
    );
    assert_err(&r, Error::InvalidArgument, &[0]);
    // Remap at the same address is allowed.
    assert_ok(&m.call(FRAME, L::ArmPageMap, &[VADDR, 1, 0], &[INIT_THREAD_VSPACE]));
    // Another frame over it replaces the entry.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::SmallPage, 0, 210, 1));
    assert_ok(&m.call(210, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    // Misaligned.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::SmallPage, 0, 211, 1));
    let r = m.call(
        211,
        L::ArmPageMap,
        &[VADDR + 8, 3, 0],
        &[INIT_THREAD_VSPACE],
    );
    assert_err(&r, Error::AlignmentError, &[]);
    // Beyond the user range.
    let r = m.call(
        211,
        L::ArmPageMap,
        &[sel4_abi::USER_TOP + 1, 3, 0],
        &[INIT_THREAD_VSPACE],
    );
    assert_err(&r, Error::InvalidArgument, &[0]);
    // Not a VSpace.
    let r = m.call(211, L::ArmPageMap, &[VADDR, 3, 0], &[EP]);
    assert_err(&r, Error::InvalidCapability, &[1]);
    let r = m.call(211, L::ArmPageMap, &[VADDR, 3], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn get_address_and_unmap() {
    let mut m = with_objects();
    let r = m.call(FRAME, L::ArmPageGetAddress, &[], &[]);
    assert_ok(&r);
    assert_eq!(r.words, vec![m.root_cap(FRAME).region().unwrap().0]);
    tables(&mut m, 200);
    assert_ok(&m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    assert_ok(&m.call(FRAME, L::ArmPageUnmap, &[], &[]));
    assert!(matches!(
        m.root_cap(FRAME),
        Cap::Frame { mapping: None, .. }
    ));
    assert_ok(&m.call(202, L::ArmPageTableUnmap, &[], &[]));
}

#[test]
fn asid_pool_make_and_assign() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[200, ROOT_CNODE],
    ));
    assert!(matches!(
        m.root_cap(201),
        Cap::AsidPool { asid_base: 512, .. }
    ));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 202, 1));
    assert_ok(&m.call(201, L::ArmAsidPoolAssign, &[], &[202]));
    assert!(matches!(
        m.root_cap(202),
        Cap::VSpace {
            asid: Some(512),
            ..
        }
    ));
    // Assigning twice is refused.
    let r = m.call(201, L::ArmAsidPoolAssign, &[], &[202]);
    assert_err(&r, Error::InvalidCapability, &[1]);
    // The root pool gives ASID 2 next (1 is the root task's).
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 203, 1));
    assert_ok(&m.call(INIT_THREAD_ASID_POOL, L::ArmAsidPoolAssign, &[], &[203]));
    assert!(matches!(m.root_cap(203), Cap::VSpace { asid: Some(2), .. }));
}

#[test]
fn make_pool_errors() {
    let mut m = with_objects();
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[FIRST_UNTYPED, ROOT_CNODE],
    );
    assert_err(&r, Error::InvalidCapability, &[1]);
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[FIRST_UNTYPED],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(ASID_CONTROL, L::ArmAsidPoolAssign, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn unassigned_vspace_cannot_be_copied_or_used() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 200, 1));
    let r = copy(&mut m, 200, 201, CapRights::ALL_RIGHTS);
    assert_err(&r, Error::IllegalOperation, &[]);
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[200]);
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn vspace_cache_ops_validate_the_range() {
    let mut m = with_objects();
    let r = m.call(INIT_THREAD_VSPACE, L::ArmVSpaceCleanData, &[10, 5], &[]);
    assert_err(&r, Error::InvalidArgument, &[1]);
    assert_ok(&m.call(INIT_THREAD_VSPACE, L::ArmVSpaceCleanData, &[0, 0x1000], &[]));
    let r = m.call(FRAME, L::ArmPageCleanData, &[0, 0x10], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn deleting_a_mapped_frame_unmaps_it() {
    let mut m = with_objects();
    tables(&mut m, 200);
    assert_ok(&m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    assert_ok(&delete(&mut m, FRAME));
    let Cap::PageTable { base, .. } = m.root_cap(202) else {
        panic!()
    };
    match &m.s.objects[&base] {
        spec::model::Object::PageTable(t) => assert!(t.entries.is_empty()),
        o => panic!("{o:?}"),
    }
}
