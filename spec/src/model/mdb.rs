//! The derivation tree (seL4's MDB): a doubly linked list of slots in pre-order, with flags.
//!
//! A slot's children are the slots that follow it in the list while `is_mdb_parent_of` holds;
//! the list order and the two flags (`revocable`, `first_badged`) are all seL4 keeps, and all
//! the model keeps.

use super::{Cap, SlotRef, State};

/// A capability table entry: the cap and its derivation links (seL4's `cte_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cte {
    /// The capability.
    pub cap: Cap,
    /// The previous slot in the derivation list.
    pub prev: Option<SlotRef>,
    /// The next slot in the derivation list.
    pub next: Option<SlotRef>,
    /// Whether this cap is the parent of the copies that follow it.
    pub revocable: bool,
    /// Whether this cap starts a new badge (is not a child of an earlier cap with its badge).
    pub first_badged: bool,
}

impl State {
    /// seL4's `isMDBParentOf`: `b` is a child of `a` when `a` is revocable, both cover the
    /// same object or region, and for badged endpoint/notification caps the badge is `a`'s
    /// and `b` did not start a new badge.
    pub fn is_mdb_parent_of(&self, a: SlotRef, b: SlotRef) -> bool {
        let (a, b) = (self.cte(a), self.cte(b));
        // Only a revocable cap has children: plain copies are siblings, revoked together
        // through their common parent.
        if !a.revocable {
            return false;
        }
        if !a.cap.same_region_as(&b.cap) {
            return false;
        }
        match a.cap {
            // An unbadged endpoint cap is the parent of every badged cap minted from it; a
            // badged one only of its own copies.
            Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } => {
                badge == 0 || (badge == b.cap.badge() && !b.first_badged)
            }
            // An SGI signal cap is the parent of its copies, not of a later cap IRQControl
            // issued for the same SGI and target (seL4's Arch_isMDBParentOf).
            Cap::SgiSignal { .. } => !b.first_badged,
            _ => true,
        }
    }

    /// The descendants of `slot`, in list order (seL4 deletes them from the first).
    pub fn descendants(&self, slot: SlotRef) -> Vec<SlotRef> {
        let mut out = Vec::new();
        let mut n = self.cte(slot).next;
        while let Some(s) = n {
            if !self.is_mdb_parent_of(slot, s) {
                break;
            }
            out.push(s);
            n = self.cte(s).next;
        }
        out
    }

    /// seL4's `ensureNoChildren`: true when the next slot is not a child.
    pub fn has_children(&self, slot: SlotRef) -> bool {
        self.cte(slot)
            .next
            .is_some_and(|n| self.is_mdb_parent_of(slot, n))
    }

    /// seL4's `isFinalCapability`: no neighbour names the same object.
    pub fn is_final(&self, slot: SlotRef) -> bool {
        let cte = self.cte(slot);
        let same = |s: Option<SlotRef>| s.is_some_and(|s| self.cap(s).same_object_as(&cte.cap));
        !same(cte.prev) && !same(cte.next)
    }

    /// seL4's `cteInsert`: put `cap` (derived from the cap in `src`) into the empty slot
    /// `dest`, right after `src` in the list.
    pub fn cte_insert(&mut self, cap: Cap, src: SlotRef, dest: SlotRef) {
        let src_cte = self.cte(src);
        let revocable = cap.is_revocable_from(&src_cte.cap);
        // Copying an untyped cap marks the source full, so the same memory cannot be
        // handed out twice through two caps.
        if let (
            Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                ..
            },
            Cap::Untyped {
                ptr: p2,
                size_bits: s2,
                ..
            },
        ) = (src_cte.cap, cap)
            && ptr == p2
            && size_bits == s2
        {
            self.set_cap(
                src,
                Cap::Untyped {
                    ptr,
                    size_bits,
                    is_device,
                    free_index: 1 << size_bits,
                },
            );
        }
        let next = src_cte.next;
        self.set_cte(
            dest,
            Cte {
                cap,
                prev: Some(src),
                next,
                revocable,
                first_badged: revocable,
            },
        );
        let mut s = self.cte(src);
        s.next = Some(dest);
        self.set_cte(src, s);
        if let Some(n) = next {
            let mut c = self.cte(n);
            c.prev = Some(dest);
            self.set_cte(n, c);
        }
    }

    /// seL4's `insertNewCap`: a cap to a freshly retyped object, a revocable child of `parent`.
    pub fn insert_new_cap(&mut self, parent: SlotRef, slot: SlotRef, cap: Cap) {
        let next = self.cte(parent).next;
        self.set_cte(
            slot,
            Cte {
                cap,
                prev: Some(parent),
                next,
                revocable: true,
                first_badged: true,
            },
        );
        if let Some(n) = next {
            let mut c = self.cte(n);
            c.prev = Some(slot);
            self.set_cte(n, c);
        }
        let mut p = self.cte(parent);
        p.next = Some(slot);
        self.set_cte(parent, p);
    }

    /// seL4's `cteMove`: move the cap in `src` (as `cap`) to the empty `dest`, with its place
    /// in the derivation list.
    pub fn cte_move(&mut self, cap: Cap, src: SlotRef, dest: SlotRef) {
        let mut moved = self.cte(src);
        moved.cap = cap;
        self.set_cte(src, Cte::default());
        self.set_cte(dest, moved);
        self.relink(moved, dest);
    }

    /// seL4's `cteSwap`: exchange two slots' caps (as `cap1`, `cap2`) and list positions.
    pub fn cte_swap(&mut self, cap1: Cap, slot1: SlotRef, cap2: Cap, slot2: SlotRef) {
        let mut c1 = self.cte(slot1);
        let mut c2 = self.cte(slot2);
        c1.cap = cap1;
        c2.cap = cap2;
        // Point each one's neighbours at its new slot; a neighbour that is the other slot
        // itself is fixed by the same rewrite.
        let fix = |s: Option<SlotRef>| match s {
            Some(x) if x == slot1 => Some(slot2),
            Some(x) if x == slot2 => Some(slot1),
            o => o,
        };
        c1.prev = fix(c1.prev);
        c1.next = fix(c1.next);
        c2.prev = fix(c2.prev);
        c2.next = fix(c2.next);
        self.set_cte(slot2, c1);
        self.set_cte(slot1, c2);
        self.relink(c1, slot2);
        self.relink(c2, slot1);
    }

    fn relink(&mut self, cte: Cte, at: SlotRef) {
        if let Some(p) = cte.prev {
            let mut c = self.cte(p);
            c.next = Some(at);
            self.set_cte(p, c);
        }
        if let Some(n) = cte.next {
            let mut c = self.cte(n);
            c.prev = Some(at);
            self.set_cte(n, c);
        }
    }

    /// seL4's `emptySlot` without the clean-up: unlink `slot` and clear it. The next slot
    /// inherits `first_badged`, so a badged child does not become a child of an older
    /// badged sibling.
    pub fn empty_slot(&mut self, slot: SlotRef) {
        let cte = self.cte(slot);
        if cte.cap.is_null() {
            return;
        }
        if let Some(p) = cte.prev {
            let mut c = self.cte(p);
            c.next = cte.next;
            self.set_cte(p, c);
        }
        if let Some(n) = cte.next {
            let mut c = self.cte(n);
            c.prev = cte.prev;
            c.first_badged = c.first_badged || cte.first_badged;
            self.set_cte(n, c);
        }
        self.set_cte(slot, Cte::default());
    }
}
