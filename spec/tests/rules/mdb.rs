//! The derivation tree's list operations (`model/mdb.rs`), straight on the state.

use sel4_abi::CapRights;
use spec::kernel::boot::{BootConfig, boot};
use spec::kernel::cspace::slot_at;
use spec::model::{Cap, check_invariants};

#[test]
fn insert_move_swap_and_empty_keep_the_list_consistent() {
    let cfg = BootConfig::default();
    let mut s = boot(&cfg);
    let root = cfg.layout().cnode;
    let ut = slot_at(root, sel4_abi::init_cap::NUM_INITIAL_CAPS);
    let ep = Cap::Endpoint {
        ptr: 0x4100_0000,
        badge: 0,
        rights: CapRights::ALL_RIGHTS,
    };
    // Pretend a retype made an endpoint (object and watermark included).
    s.objects.insert(
        0x4100_0000,
        spec::model::Object::Endpoint(Default::default()),
    );
    if let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        ..
    } = s.cap(ut)
    {
        s.set_cap(
            ut,
            Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index: 16,
            },
        );
    }
    let (a, b, c) = (slot_at(root, 100), slot_at(root, 101), slot_at(root, 102));
    s.insert_new_cap(ut, a, ep);
    s.cte_insert(ep, a, b);
    assert_eq!(s.descendants(ut), vec![a, b]);
    assert!(!s.is_final(a));
    s.cte_move(ep, b, c);
    assert_eq!(s.cte(a).next, Some(c));
    s.cte_swap(ep, a, ep, c);
    check_invariants(&s).unwrap();
    s.empty_slot(a);
    assert!(s.is_final(c));
    check_invariants(&s).unwrap();
}
