//! CNode slots: a capability and its derivation-tree (MDB) node, 32 bytes each.
//!
//! Layout of a slot at physical address `s` (32-byte aligned):
//! `s+0, s+8`: the cap's two words ([`Cap::encode`]); `s+16`: previous slot in the
//! derivation list; `s+24`: next slot, with bit 1 = revocable and bit 0 = firstBadged
//! (slot addresses are 32-byte aligned, so their low bits are free).

use super::{Cap, RawCap};
use crate::machine::Memory;

/// log2 of a slot's size (seL4_SlotBits).
pub const SLOT_BITS: u64 = sel4_abi::SLOT_BITS;
/// A slot's size in bytes.
pub const SLOT_SIZE: u64 = 1 << SLOT_BITS;

const REVOCABLE: u64 = 1 << 1;
const FIRST_BADGED: u64 = 1 << 0;
const FLAGS: u64 = REVOCABLE | FIRST_BADGED;

/// A CNode slot, named by its physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(pub u64);

impl Slot {
    /// Slot `index` of the CNode at `cnode`.
    pub const fn of(cnode: u64, index: u64) -> Slot {
        Slot(cnode + index * SLOT_SIZE)
    }
    /// The cap in this slot.
    pub fn cap(self, m: &impl Memory) -> Cap {
        Cap::decode(self.raw(m).0)
    }
    /// The cap's words, undecoded (for the hot paths: [`RawCap`]).
    #[inline(always)]
    pub fn raw(self, m: &impl Memory) -> RawCap {
        RawCap([m.read_word(self.0), m.read_word(self.0 + 8)])
    }
    /// Overwrites the cap, leaving the derivation links alone.
    pub fn set_cap(self, m: &mut impl Memory, cap: Cap) {
        let [w0, w1] = cap.encode();
        m.write_word(self.0, w0);
        m.write_word(self.0 + 8, w1);
    }
    /// The previous slot in the derivation list.
    pub fn prev(self, m: &impl Memory) -> Option<Slot> {
        let p = m.read_word(self.0 + 16);
        (p != 0).then_some(Slot(p))
    }
    /// The next slot in the derivation list.
    pub fn next(self, m: &impl Memory) -> Option<Slot> {
        let n = m.read_word(self.0 + 24) & !FLAGS;
        (n != 0).then_some(Slot(n))
    }
    /// seL4's mdbRevocable: this cap's children can be revoked through it.
    pub fn revocable(self, m: &impl Memory) -> bool {
        m.read_word(self.0 + 24) & REVOCABLE != 0
    }
    /// seL4's mdbFirstBadged: the first cap carrying its badge.
    pub fn first_badged(self, m: &impl Memory) -> bool {
        m.read_word(self.0 + 24) & FIRST_BADGED != 0
    }
    pub(crate) fn set_prev(self, m: &mut impl Memory, prev: Option<Slot>) {
        m.write_word(self.0 + 16, prev.map_or(0, |s| s.0));
    }
    pub(crate) fn set_next(self, m: &mut impl Memory, next: Option<Slot>) {
        let flags = m.read_word(self.0 + 24) & FLAGS;
        m.write_word(self.0 + 24, next.map_or(0, |s| s.0) | flags);
    }
    pub(crate) fn set_flags(self, m: &mut impl Memory, revocable: bool, first_badged: bool) {
        let next = m.read_word(self.0 + 24) & !FLAGS;
        let flags =
            if revocable { REVOCABLE } else { 0 } | if first_badged { FIRST_BADGED } else { 0 };
        m.write_word(self.0 + 24, next | flags);
    }

    /// Writes an original cap into an empty slot with no derivation links, as seL4's boot
    /// code does for the initial caps (revocable and firstBadged set: they have no parent).
    pub fn write_original(self, m: &mut impl Memory, cap: Cap) {
        self.set_cap(m, cap);
        m.write_word(self.0 + 16, 0);
        m.write_word(self.0 + 24, 0);
        self.set_flags(m, true, true);
    }

    /// seL4's cteInsert: puts `cap`, derived from the cap in `src`, into the empty slot
    /// `self`, right after `src` in the derivation list so it becomes `src`'s child.
    pub fn insert_derived(self, m: &mut impl Memory, cap: Cap, src: Slot) {
        debug_assert!(
            self.cap(m).is_null(),
            "cteInsert into a full slot {:#x}",
            self.0
        );
        let src_cap = src.cap(m);
        // A new cap is revocable (can have children of its own) when it is a new badge on
        // an endpoint or notification, an IRQ handler or SGI signal cap from IRQControl, or
        // an untyped.
        let revocable = match (cap, src_cap) {
            (Cap::Endpoint { badge, .. }, Cap::Endpoint { badge: b, .. }) => badge != b,
            (Cap::Notification { badge, .. }, Cap::Notification { badge: b, .. }) => badge != b,
            (Cap::IrqHandler { .. } | Cap::SgiSignal { .. }, Cap::IrqControl) => true,
            (Cap::Untyped { .. }, _) => true,
            _ => false,
        };
        self.insert_child(m, RawCap(cap.encode()), src, revocable);
    }

    /// The linking half of [`Slot::insert_derived`]: puts the cap `raw` into the empty slot
    /// `self` right after `src` (its child), revocable and firstBadged as `revocable` says.
    /// The IPC fastpath inserts reply caps with it (never revocable).
    #[inline(always)]
    pub fn insert_child(self, m: &mut impl Memory, raw: RawCap, src: Slot, revocable: bool) {
        let next = src.next(m);
        m.write_word(self.0, raw.0[0]);
        m.write_word(self.0 + 8, raw.0[1]);
        self.set_prev(m, Some(src));
        let flags = if revocable {
            REVOCABLE | FIRST_BADGED
        } else {
            0
        };
        m.write_word(self.0 + 24, next.map_or(0, |s| s.0) | flags);
        src.set_next(m, Some(self));
        if let Some(n) = next {
            n.set_prev(m, Some(self));
        }
    }
}

/// The derivation tree's questions about a slot (seL4's cnode.c).
impl Slot {
    /// seL4's isMDBParentOf: `b` (the slot after `a`) is `a`'s child.
    pub fn is_mdb_parent_of(self, m: &impl Memory, b: Slot) -> bool {
        let a = self;
        if !a.revocable(m) {
            return false;
        }
        let (ca, cb) = (a.cap(m), b.cap(m));
        if !ca.same_region_as(&cb) {
            return false;
        }
        // A badged endpoint or notification cap is the parent only of caps with its badge that
        // were derived from it (not of a later cap that started that badge again).
        match (ca, cb) {
            (Cap::Endpoint { badge: ba, .. }, Cap::Endpoint { badge: bb, .. })
            | (Cap::Notification { badge: ba, .. }, Cap::Notification { badge: bb, .. }) => {
                ba == 0 || (ba == bb && !b.first_badged(m))
            }
            // An SGI signal cap is the parent of its copies, not of a later cap IRQControl
            // issued for the same SGI and target (seL4's Arch_isMDBParentOf).
            (Cap::SgiSignal { .. }, _) => !b.first_badged(m),
            _ => true,
        }
    }

    /// seL4's isFinalCapability: no neighbour in the tree names the same object.
    pub fn is_final(self, m: &impl Memory) -> bool {
        let cap = self.cap(m);
        let same = |s: Option<Slot>| s.is_some_and(|s| s.cap(m).same_object_as(&cap));
        !same(self.prev(m)) && !same(self.next(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::sim::SimMachine;

    #[test]
    fn insert_derived_links_child_after_parent() {
        let mut m = SimMachine::new(0x1000, 0x1000);
        let (a, b, c) = (Slot(0x1000), Slot(0x1020), Slot(0x1040));
        let tcb = Cap::Thread { tcb: 0x8000 };
        a.write_original(&mut m, tcb);
        c.insert_derived(&mut m, tcb, a);
        b.insert_derived(&mut m, tcb, a);
        // Order is a, b, c: each insert goes directly after the source.
        assert_eq!(a.next(&m), Some(b));
        assert_eq!(b.next(&m), Some(c));
        assert_eq!(c.prev(&m), Some(b));
        assert_eq!(b.prev(&m), Some(a));
        assert_eq!(c.next(&m), None);
        assert!(a.revocable(&m) && a.first_badged(&m));
        assert!(!b.revocable(&m), "a copied thread cap is not revocable");
        assert_eq!(b.cap(&m), tcb);
    }

    #[test]
    fn new_badge_and_untyped_are_revocable() {
        let mut m = SimMachine::new(0x1000, 0x1000);
        let rights = sel4_abi::CapRights::all();
        let ep = Cap::Endpoint {
            ptr: 0x9000,
            badge: 0,
            rights,
        };
        Slot(0x1000).write_original(&mut m, ep);
        Slot(0x1020).insert_derived(
            &mut m,
            Cap::Endpoint {
                ptr: 0x9000,
                badge: 5,
                rights,
            },
            Slot(0x1000),
        );
        assert!(Slot(0x1020).revocable(&m) && Slot(0x1020).first_badged(&m));
        Slot(0x1040).insert_derived(&mut m, ep, Slot(0x1000));
        assert!(!Slot(0x1040).revocable(&m));
    }
}
