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

/// Map FRAME at VADDR with `rights` after building the tables.
fn mapped(rights: CapRights) -> Sim {
    let mut m = with_objects();
    tables(&mut m, 200);
    assert_ok(&m.call(
        FRAME,
        L::ArmPageMap,
        &[VADDR, rights.word(), 0],
        &[INIT_THREAD_VSPACE],
    ));
    m
}

/// A second VSpace with an ASID from the root pool, in root slot `i`.
fn second_vspace(m: &mut Sim, i: u64) {
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, i, 1));
    assert_ok(&m.call(INIT_THREAD_ASID_POOL, L::ArmAsidPoolAssign, &[], &[i]));
}

#[test]
fn page_table_map_with_one_word_is_truncated() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 1));
    let r = m.call(200, L::ArmPageTableMap, &[VADDR], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::TruncatedMessage, &[]);
    let r = m.call(200, L::ArmPageTableMap, &[VADDR, 0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn page_table_map_of_a_mapped_table_is_invalid_capability_0() {
    let mut m = with_objects();
    tables(&mut m, 200);
    // Checked before the VSpace argument.
    let r = m.call(200, L::ArmPageTableMap, &[VADDR, 0], &[EP]);
    assert_err(&r, Error::InvalidCapability, &[0]);
}

#[test]
fn page_table_map_into_a_non_vspace_is_invalid_capability_1() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 1));
    let r = m.call(200, L::ArmPageTableMap, &[VADDR, 0], &[FRAME]);
    assert_err(&r, Error::InvalidCapability, &[1]);
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 201, 1));
    let r = m.call(200, L::ArmPageTableMap, &[VADDR, 0], &[201]);
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn page_table_map_above_user_top_is_invalid_argument_0() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 1));
    let r = m.call(
        200,
        L::ArmPageTableMap,
        &[sel4_abi::USER_TOP + 1, 0],
        &[INIT_THREAD_VSPACE],
    );
    assert_err(&r, Error::InvalidArgument, &[0]);
    // USER_TOP itself is a valid address.
    assert_ok(&m.call(
        200,
        L::ArmPageTableMap,
        &[sel4_abi::USER_TOP, 0],
        &[INIT_THREAD_VSPACE],
    ));
}

#[test]
fn page_table_map_records_the_start_of_the_range_it_covers() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 2));
    let v = 0x12_3456_7000;
    assert_ok(&m.call(200, L::ArmPageTableMap, &[v, 0], &[INIT_THREAD_VSPACE]));
    assert_ok(&m.call(201, L::ArmPageTableMap, &[v, 0], &[INIT_THREAD_VSPACE]));
    let Cap::PageTable {
        mapping: Some(a), ..
    } = m.root_cap(200)
    else {
        panic!()
    };
    let Cap::PageTable {
        mapping: Some(b), ..
    } = m.root_cap(201)
    else {
        panic!()
    };
    assert_eq!(a.vaddr, v & !((1 << 39) - 1));
    assert_eq!(b.vaddr, v & !((1 << 30) - 1));
    assert_eq!(a.asid, 1);
}

#[test]
fn page_table_unmap_of_a_copied_table_is_revoke_first() {
    let mut m = with_objects();
    tables(&mut m, 200);
    assert_ok(&copy(&mut m, 202, 210, CapRights::ALL_RIGHTS));
    let r = m.call(202, L::ArmPageTableUnmap, &[], &[]);
    assert_err(&r, Error::RevokeFirst, &[]);
}

#[test]
fn page_table_unmap_of_an_unmapped_table_succeeds() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 1));
    assert_ok(&m.call(200, L::ArmPageTableUnmap, &[], &[]));
}

#[test]
fn page_table_unmap_removes_the_level_below() {
    let mut m = mapped(CapRights::READ_WRITE);
    assert_ok(&m.call(202, L::ArmPageTableUnmap, &[], &[]));
    assert!(matches!(
        m.root_cap(202),
        Cap::PageTable { mapping: None, .. }
    ));
    // The page level is gone: mapping another frame needs a table again.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::SmallPage, 0, 210, 1));
    let r = m.call(210, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]);
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 21]);
}

#[test]
fn page_table_with_a_frame_label_is_illegal() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 1));
    let r = m.call(200, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn page_map_without_a_vspace_cap_is_truncated() {
    let mut m = with_objects();
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn page_map_vspace_is_checked_before_alignment() {
    let mut m = with_objects();
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR + 8, 3, 0], &[EP]);
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn page_map_alignment_is_checked_before_the_remap_rules() {
    let mut m = mapped(CapRights::READ_WRITE);
    let r = m.call(
        FRAME,
        L::ArmPageMap,
        &[VADDR + 8, 3, 0],
        &[INIT_THREAD_VSPACE],
    );
    assert_err(&r, Error::AlignmentError, &[]);
}

#[test]
fn page_map_remap_into_another_vspace_is_invalid_capability_1() {
    let mut m = mapped(CapRights::READ_WRITE);
    second_vspace(&mut m, 220);
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[220]);
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn page_map_of_the_last_user_page_passes_the_range_check() {
    let mut m = with_objects();
    let last = sel4_abi::USER_TOP & !0xfff;
    let r = m.call(FRAME, L::ArmPageMap, &[last, 3, 0], &[INIT_THREAD_VSPACE]);
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 39]);
}

#[test]
fn page_map_of_a_large_page_needs_two_levels() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::LargePage, 0, 210, 1));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 2));
    let v = 0x4000_0000;
    let miss = LookupFailureType::MissingCapability.word();
    let r = m.call(210, L::ArmPageMap, &[v, 3, 0], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::FailedLookup, &[0, miss, 39]);
    assert_ok(&m.call(200, L::ArmPageTableMap, &[v, 0], &[INIT_THREAD_VSPACE]));
    let r = m.call(210, L::ArmPageMap, &[v, 3, 0], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::FailedLookup, &[0, miss, 30]);
    assert_ok(&m.call(201, L::ArmPageTableMap, &[v, 0], &[INIT_THREAD_VSPACE]));
    assert_ok(&m.call(210, L::ArmPageMap, &[v, 3, 0], &[INIT_THREAD_VSPACE]));
}

#[test]
fn page_map_of_a_large_page_misaligned_is_alignment_error() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::LargePage, 0, 210, 1));
    let r = m.call(
        210,
        L::ArmPageMap,
        &[0x4000_1000, 3, 0],
        &[INIT_THREAD_VSPACE],
    );
    assert_err(&r, Error::AlignmentError, &[]);
}

#[test]
fn page_map_of_a_large_page_over_a_table_is_failed_lookup_12() {
    let mut m = with_objects();
    tables(&mut m, 200);
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::LargePage, 0, 210, 1));
    let r = m.call(210, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]);
    let miss = LookupFailureType::MissingCapability.word();
    assert_err(&r, Error::FailedLookup, &[0, miss, 12]);
}

#[test]
fn page_map_records_the_mapping_in_the_cap() {
    let m = mapped(CapRights::READ_WRITE);
    assert!(matches!(
        m.root_cap(FRAME),
        Cap::Frame {
            mapping: Some(spec::model::Mapping {
                asid: 1,
                vaddr: VADDR
            }),
            ..
        }
    ));
}

#[test]
fn page_unmap_of_an_unmapped_frame_succeeds() {
    let mut m = with_objects();
    assert_ok(&m.call(FRAME, L::ArmPageUnmap, &[], &[]));
}

#[test]
fn page_unmap_frees_the_address_for_another_frame() {
    let mut m = mapped(CapRights::READ_WRITE);
    assert_ok(&m.call(FRAME, L::ArmPageUnmap, &[], &[]));
    // The frame can now be mapped elsewhere.
    assert_ok(&m.call(
        FRAME,
        L::ArmPageMap,
        &[VADDR + 0x1000, 3, 0],
        &[INIT_THREAD_VSPACE],
    ));
}

#[test]
fn page_flush_with_one_word_is_truncated() {
    let mut m = mapped(CapRights::READ_WRITE);
    let r = m.call(FRAME, L::ArmPageCleanData, &[0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn page_flush_of_an_unmapped_frame_is_illegal() {
    let mut m = with_objects();
    for label in [
        L::ArmPageInvalidateData,
        L::ArmPageCleanInvalidateData,
        L::ArmPageUnifyInstruction,
    ] {
        let r = m.call(FRAME, label, &[0, 0x10], &[]);
        assert_err(&r, Error::IllegalOperation, &[]);
    }
}

#[test]
fn page_flush_empty_range_is_invalid_argument_1() {
    let mut m = mapped(CapRights::READ_WRITE);
    let r = m.call(FRAME, L::ArmPageCleanData, &[0x10, 0x10], &[]);
    assert_err(&r, Error::InvalidArgument, &[1]);
}

#[test]
fn page_flush_outside_the_frame_is_invalid_argument_0() {
    let mut m = mapped(CapRights::READ_WRITE);
    let r = m.call(FRAME, L::ArmPageCleanData, &[0x1000, 0x1001], &[]);
    assert_err(&r, Error::InvalidArgument, &[0]);
    let r = m.call(FRAME, L::ArmPageCleanData, &[0, 0x1001], &[]);
    assert_err(&r, Error::InvalidArgument, &[0]);
}

#[test]
fn page_flush_of_the_whole_frame_succeeds() {
    let mut m = mapped(CapRights::READ_WRITE);
    for label in [
        L::ArmPageCleanData,
        L::ArmPageInvalidateData,
        L::ArmPageCleanInvalidateData,
        L::ArmPageUnifyInstruction,
    ] {
        assert_ok(&m.call(FRAME, label, &[0, 0x1000], &[]));
    }
}

#[test]
fn page_flush_with_a_stale_mapping_is_invalid_capability_0() {
    let mut m = mapped(CapRights::READ_WRITE);
    // Another frame replaces FRAME's entry; FRAME's cap still names the address.
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::SmallPage, 0, 210, 1));
    assert_ok(&m.call(210, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    let r = m.call(FRAME, L::ArmPageCleanData, &[0, 0x10], &[]);
    assert_err(&r, Error::InvalidCapability, &[0]);
}

#[test]
fn page_invalidate_of_a_read_only_mapping_is_illegal() {
    let mut m = mapped(CapRights::READ);
    let r = m.call(FRAME, L::ArmPageInvalidateData, &[0, 0x10], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
    assert_ok(&m.call(FRAME, L::ArmPageCleanData, &[0, 0x10], &[]));
}

#[test]
fn frame_with_a_table_label_is_illegal() {
    let mut m = with_objects();
    let r = m.call(
        FRAME,
        L::ArmPageTableMap,
        &[VADDR, 0],
        &[INIT_THREAD_VSPACE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn get_address_of_a_device_frame_is_its_physical_address() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED + 1, ObjectType::SmallPage, 0, 210, 1));
    let r = m.call(210, L::ArmPageGetAddress, &[], &[]);
    assert_eq!(r.words, vec![0x0900_0000]);
}

#[test]
fn vspace_flush_with_one_word_is_truncated() {
    let mut m = with_objects();
    let r = m.call(INIT_THREAD_VSPACE, L::ArmVSpaceCleanData, &[0], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn vspace_flush_beyond_user_top_is_illegal() {
    let mut m = with_objects();
    let r = m.call(
        INIT_THREAD_VSPACE,
        L::ArmVSpaceCleanData,
        &[0, sel4_abi::USER_TOP + 1],
        &[],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn vspace_flush_range_is_checked_before_the_user_top() {
    let mut m = with_objects();
    let top = sel4_abi::USER_TOP + 10;
    let r = m.call(INIT_THREAD_VSPACE, L::ArmVSpaceCleanData, &[top, top], &[]);
    assert_err(&r, Error::InvalidArgument, &[1]);
}

#[test]
fn vspace_flush_of_an_unassigned_vspace_is_invalid_capability_0() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 210, 1));
    let r = m.call(210, L::ArmVSpaceCleanData, &[0, 0x10], &[]);
    assert_err(&r, Error::InvalidCapability, &[0]);
}

#[test]
fn vspace_flush_across_a_page_is_range_error() {
    let mut m = mapped(CapRights::READ_WRITE);
    let r = m.call(
        INIT_THREAD_VSPACE,
        L::ArmVSpaceCleanData,
        &[VADDR + 0x10, VADDR + 0x1001],
        &[],
    );
    assert_err(&r, Error::RangeError, &[VADDR + 0x10, VADDR + 0xfff]);
    // Up to the end of the page is fine.
    assert_ok(&m.call(
        INIT_THREAD_VSPACE,
        L::ArmVSpaceCleanData,
        &[VADDR + 0x10, VADDR + 0x1000],
        &[],
    ));
}

#[test]
fn vspace_invalidate_of_a_read_only_page_is_illegal() {
    let mut m = mapped(CapRights::READ);
    let r = m.call(
        INIT_THREAD_VSPACE,
        L::ArmVSpaceInvalidateData,
        &[VADDR, VADDR + 0x10],
        &[],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
    assert_ok(&m.call(
        INIT_THREAD_VSPACE,
        L::ArmVSpaceUnifyInstruction,
        &[VADDR, VADDR + 0x10],
        &[],
    ));
}

#[test]
fn vspace_flush_where_nothing_is_mapped_succeeds() {
    let mut m = with_objects();
    assert_ok(&m.call(
        INIT_THREAD_VSPACE,
        L::ArmVSpaceCleanInvalidateData,
        &[VADDR, VADDR + 0x10_0000],
        &[],
    ));
}

#[test]
fn vspace_with_a_page_label_is_illegal() {
    let mut m = with_objects();
    let r = m.call(INIT_THREAD_VSPACE, L::ArmPageGetAddress, &[], &[]);
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn make_pool_with_one_word_is_truncated() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201],
        &[200, ROOT_CNODE],
    );
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn make_pool_from_a_device_untyped_is_invalid_capability_1() {
    let mut m = with_objects();
    // The device untyped is exactly 4 KiB.
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[FIRST_UNTYPED + 1, ROOT_CNODE],
    );
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn make_pool_from_a_non_untyped_is_invalid_capability_1() {
    let mut m = with_objects();
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[FRAME, ROOT_CNODE],
    );
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn make_pool_from_an_untyped_with_children_is_revoke_first() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.retype(200, ObjectType::Endpoint, 0, 201, 1));
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[202, 64],
        &[200, ROOT_CNODE],
    );
    assert_err(&r, Error::RevokeFirst, &[]);
}

#[test]
fn make_pool_destination_errors() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[EP, 64],
        &[200, ROOT_CNODE],
    );
    assert_err(&r, Error::DeleteFirst, &[]);
    let r = m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[200, EP],
    );
    assert_err(&r, Error::FailedLookup, &[0, 1]);
}

#[test]
fn make_pool_uses_up_the_untyped() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[200, ROOT_CNODE],
    ));
    assert!(m.s.has_children(m.root_slot(200)));
    let r = m.retype(200, ObjectType::Endpoint, 0, 202, 1);
    assert_err(&r, Error::NotEnoughMemory, &[0]);
}

#[test]
fn asid_pool_assign_without_a_cap_is_truncated() {
    let mut m = with_objects();
    let r = m.call(INIT_THREAD_ASID_POOL, L::ArmAsidPoolAssign, &[], &[]);
    assert_err(&r, Error::TruncatedMessage, &[]);
}

#[test]
fn asid_pool_assign_of_a_non_vspace_is_invalid_capability_1() {
    let mut m = with_objects();
    let r = m.call(INIT_THREAD_ASID_POOL, L::ArmAsidPoolAssign, &[], &[FRAME]);
    assert_err(&r, Error::InvalidCapability, &[1]);
}

#[test]
fn asid_pool_with_another_label_is_illegal() {
    let mut m = with_objects();
    let r = m.call(
        INIT_THREAD_ASID_POOL,
        L::ArmAsidControlMakePool,
        &[200, 64],
        &[FIRST_UNTYPED, ROOT_CNODE],
    );
    assert_err(&r, Error::IllegalOperation, &[]);
}

#[test]
fn a_full_asid_pool_is_delete_first() {
    let mut m = with_objects();
    m.check = false; // hundreds of objects: skip the per-event invariant check
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[200, ROOT_CNODE],
    ));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 1000, 256));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 1256, 256));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 1512, 1));
    for i in 1000..1512 {
        assert_ok(&m.call(201, L::ArmAsidPoolAssign, &[], &[i]));
    }
    let r = m.call(201, L::ArmAsidPoolAssign, &[], &[1512]);
    assert_err(&r, Error::DeleteFirst, &[]);
    spec::model::check_invariants(&m.s).unwrap();
}

#[test]
fn page_table_map_over_a_mapped_large_page_is_delete_first() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::PageTable, 0, 200, 3));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::LargePage, 0, 210, 1));
    for i in 200..202 {
        assert_ok(&m.call(i, L::ArmPageTableMap, &[VADDR, 0], &[INIT_THREAD_VSPACE]));
    }
    assert_ok(&m.call(210, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    let r = m.call(202, L::ArmPageTableMap, &[VADDR, 0], &[INIT_THREAD_VSPACE]);
    assert_err(&r, Error::DeleteFirst, &[]);
}

#[test]
fn unmapping_a_frame_with_a_stale_mapping_leaves_the_new_entry() {
    let mut m = mapped(CapRights::READ_WRITE);
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::SmallPage, 0, 210, 1));
    assert_ok(&m.call(210, L::ArmPageMap, &[VADDR, 3, 0], &[INIT_THREAD_VSPACE]));
    assert_ok(&m.call(FRAME, L::ArmPageUnmap, &[], &[]));
    // Frame 210 is still mapped there: flushing through it works.
    assert_ok(&m.call(210, L::ArmPageCleanData, &[0, 0x10], &[]));
}

#[test]
fn a_vspace_whose_pool_was_deleted_is_failed_lookup_invalid_root() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[200, ROOT_CNODE],
    ));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 202, 1));
    assert_ok(&m.call(201, L::ArmAsidPoolAssign, &[], &[202]));
    assert_ok(&delete(&mut m, 201));
    let r = m.call(FRAME, L::ArmPageMap, &[VADDR, 3, 0], &[202]);
    assert_err(&r, Error::FailedLookup, &[0, 1]);
}

#[test]
fn a_vspace_flush_whose_asid_is_gone_is_failed_lookup_invalid_root() {
    let mut m = with_objects();
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::Untyped, 12, 200, 1));
    assert_ok(&m.call(
        ASID_CONTROL,
        L::ArmAsidControlMakePool,
        &[201, 64],
        &[200, ROOT_CNODE],
    ));
    assert_ok(&m.retype(FIRST_UNTYPED, ObjectType::VSpace, 0, 202, 1));
    assert_ok(&m.call(201, L::ArmAsidPoolAssign, &[], &[202]));
    assert_ok(&delete(&mut m, 201));
    let r = m.call(202, L::ArmVSpaceCleanData, &[0, 0x10], &[]);
    assert_err(&r, Error::FailedLookup, &[0, 1]);
}

#[test]
fn deleting_the_last_vspace_cap_frees_its_asid() {
    let mut m = with_objects();
    second_vspace(&mut m, 220);
    assert!(matches!(m.root_cap(220), Cap::VSpace { asid: Some(2), .. }));
    assert_ok(&delete(&mut m, 220));
    second_vspace(&mut m, 221);
    assert!(matches!(m.root_cap(221), Cap::VSpace { asid: Some(2), .. }));
}
