//! Capabilities: seL4's capability types with exactly their fields, and the pure rules on them.

use sel4_abi::{
    CNodeCapData, CapRights, CapType, ENDPOINT_BITS, NOTIFICATION_BITS, PAGE_TABLE_BITS, SLOT_BITS,
    TCB_BITS, VSPACE_BITS, WORD_BITS,
};

/// Access rights a frame cap grants to its mappings (seL4's `vm_rights`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmRights {
    /// No user access (VMKernelOnly).
    KernelOnly,
    /// Read and execute (VMReadOnly).
    ReadOnly,
    /// Read, write and execute (VMReadWrite).
    ReadWrite,
}

impl VmRights {
    /// seL4's `maskVMRights`: the rights left after masking with a cap-rights word.
    pub fn mask(self, r: CapRights) -> VmRights {
        match self {
            VmRights::ReadOnly if r.contains(CapRights::READ) => VmRights::ReadOnly,
            VmRights::ReadWrite if r.contains(CapRights::READ) => {
                if r.contains(CapRights::WRITE) {
                    VmRights::ReadWrite
                } else {
                    VmRights::ReadOnly
                }
            }
            _ => VmRights::KernelOnly,
        }
    }
}

/// Where a frame or page table is mapped: an address space (by ASID) and a virtual address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// The ASID of the VSpace.
    pub asid: u16,
    /// The virtual address mapped (for a page table, the start of the range it covers).
    pub vaddr: u64,
}

/// A capability (seL4's `cap_t`), with the fields seL4 keeps for each type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Cap {
    /// The empty slot.
    #[default]
    Null,
    /// `2^size_bits` bytes at `ptr`; `free_index` bytes from the start are used (the watermark).
    Untyped {
        ptr: u64,
        size_bits: u8,
        is_device: bool,
        free_index: u64,
    },
    /// An endpoint; rights Write = send, Read = receive, Grant, GrantReply.
    Endpoint {
        ptr: u64,
        badge: u64,
        rights: CapRights,
    },
    /// A notification; rights Write = signal, Read = wait.
    Notification {
        ptr: u64,
        badge: u64,
        rights: CapRights,
    },
    /// A reply cap to `tcb`; `master` marks the copy in the thread's own tcbReply slot.
    Reply {
        tcb: u64,
        master: bool,
        can_grant: bool,
    },
    /// A CNode of `2^radix` slots with a guard of `guard_size` bits.
    CNode {
        ptr: u64,
        radix: u8,
        guard_size: u8,
        guard: u64,
    },
    /// A thread control block.
    Thread { tcb: u64 },
    /// The authority to create IRQ handler caps.
    IrqControl,
    /// The authority over one interrupt line.
    IrqHandler { irq: u64 },
    /// A TCB or CNode being destroyed (the model never leaves one behind after a step).
    Zombie {
        ptr: u64,
        is_tcb: bool,
        radix: u8,
        number: u64,
    },
    /// The authority to set threads' domains.
    Domain,
    /// A frame of `2^size_bits` bytes.
    Frame {
        base: u64,
        size_bits: u8,
        rights: VmRights,
        is_device: bool,
        mapping: Option<Mapping>,
    },
    /// A page table below the VSpace root.
    PageTable { base: u64, mapping: Option<Mapping> },
    /// A VSpace root table and the ASID assigned to it.
    VSpace { base: u64, asid: Option<u16> },
    /// The authority to create ASID pools.
    AsidControl,
    /// A pool of ASIDs starting at `asid_base`.
    AsidPool { base: u64, asid_base: u16 },
    /// The authority to send software-generated interrupt `irq` (0..16) to `target` (a CPU
    /// interface on a GICv2; an affinity word on a GICv3).
    SgiSignal { irq: u64, target: u64 },
}

impl Cap {
    /// The type tag user level sees (e.g. through DebugCapIdentify).
    pub fn cap_type(&self) -> CapType {
        match self {
            Cap::Null => CapType::Null,
            Cap::Untyped { .. } => CapType::Untyped,
            Cap::Endpoint { .. } => CapType::Endpoint,
            Cap::Notification { .. } => CapType::Notification,
            Cap::Reply { .. } => CapType::Reply,
            Cap::CNode { .. } => CapType::CNode,
            Cap::Thread { .. } => CapType::Thread,
            Cap::IrqControl => CapType::IrqControl,
            Cap::IrqHandler { .. } => CapType::IrqHandler,
            Cap::Zombie { .. } => CapType::Zombie,
            Cap::Domain => CapType::Domain,
            Cap::Frame { .. } => CapType::Frame,
            Cap::PageTable { .. } => CapType::PageTable,
            Cap::VSpace { .. } => CapType::VSpace,
            Cap::AsidControl => CapType::AsidControl,
            Cap::AsidPool { .. } => CapType::AsidPool,
            Cap::SgiSignal { .. } => CapType::SgiSignal,
        }
    }

    /// Whether this is the empty cap.
    pub fn is_null(&self) -> bool {
        matches!(self, Cap::Null)
    }

    /// seL4's `isArchCap`: the architecture-specific caps (odd type tags).
    pub fn is_arch(&self) -> bool {
        self.cap_type().is_arch()
    }

    /// The object (or region) a physical cap names, with its size: seL4's
    /// `cap_get_capPtr` and `cap_get_capSizeBits`. `None` for caps naming no memory.
    pub fn region(&self) -> Option<(u64, u64)> {
        match *self {
            Cap::Untyped { ptr, size_bits, .. } => Some((ptr, u64::from(size_bits))),
            Cap::Endpoint { ptr, .. } => Some((ptr, ENDPOINT_BITS)),
            Cap::Notification { ptr, .. } => Some((ptr, NOTIFICATION_BITS)),
            Cap::CNode { ptr, radix, .. } => Some((ptr, u64::from(radix) + SLOT_BITS)),
            Cap::Thread { tcb } => Some((tcb, TCB_BITS)),
            Cap::Zombie {
                ptr, is_tcb, radix, ..
            } => Some((
                ptr,
                if is_tcb {
                    TCB_BITS
                } else {
                    u64::from(radix) + SLOT_BITS
                },
            )),
            Cap::Frame {
                base, size_bits, ..
            } => Some((base, u64::from(size_bits))),
            Cap::PageTable { base, .. } => Some((base, PAGE_TABLE_BITS)),
            Cap::VSpace { base, .. } => Some((base, VSPACE_BITS)),
            Cap::AsidPool { base, .. } => Some((base, sel4_abi::ASID_POOL_BITS)),
            _ => None,
        }
    }

    /// The badge of an endpoint or notification cap (0 for every other cap).
    pub fn badge(&self) -> u64 {
        match *self {
            Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } => badge,
            _ => 0,
        }
    }

    /// The rights of an endpoint or notification cap (none for other caps).
    pub fn rights(&self) -> CapRights {
        match *self {
            Cap::Endpoint { rights, .. } | Cap::Notification { rights, .. } => rights,
            _ => CapRights::empty(),
        }
    }

    /// seL4's `sameRegionAs`: whether `b` covers the same object as `self`, or (for an untyped
    /// `self`) lies inside its region. The derivation tree is built on this relation.
    pub fn same_region_as(&self, b: &Cap) -> bool {
        match (*self, *b) {
            (Cap::Untyped { .. }, _) => match (self.region(), b.region()) {
                // The zombie is not a physical cap in seL4's sense for untyped parenthood.
                (Some((a_base, a_bits)), Some((b_base, b_bits))) => {
                    let a_top = a_base + ((1u128 << a_bits) - 1) as u64;
                    let b_top = b_base + ((1u128 << b_bits) - 1) as u64;
                    a_base <= b_base && b_top <= a_top && b_base <= b_top
                }
                _ => false,
            },
            (Cap::Endpoint { ptr: a, .. }, Cap::Endpoint { ptr: b, .. })
            | (Cap::Notification { ptr: a, .. }, Cap::Notification { ptr: b, .. })
            | (Cap::Thread { tcb: a }, Cap::Thread { tcb: b })
            | (Cap::Reply { tcb: a, .. }, Cap::Reply { tcb: b, .. })
            | (Cap::IrqHandler { irq: a }, Cap::IrqHandler { irq: b })
            | (Cap::PageTable { base: a, .. }, Cap::PageTable { base: b, .. })
            | (Cap::VSpace { base: a, .. }, Cap::VSpace { base: b, .. })
            | (Cap::AsidPool { base: a, .. }, Cap::AsidPool { base: b, .. }) => a == b,
            (
                Cap::CNode {
                    ptr: a, radix: ra, ..
                },
                Cap::CNode {
                    ptr: b, radix: rb, ..
                },
            ) => a == b && ra == rb,
            (Cap::Domain, Cap::Domain) | (Cap::AsidControl, Cap::AsidControl) => true,
            // SGI signal caps descend from IRQControl (seL4's Arch_isIRQControlDescendant).
            (Cap::IrqControl, Cap::IrqControl | Cap::IrqHandler { .. } | Cap::SgiSignal { .. }) => {
                true
            }
            (Cap::SgiSignal { irq: a, target: ta }, Cap::SgiSignal { irq: b, target: tb }) => {
                a == b && ta == tb
            }
            (Cap::Frame { .. }, Cap::Frame { .. }) => {
                let (a, ab) = self.region().unwrap_or_default();
                let (b, bb) = b.region().unwrap_or_default();
                let (at, bt) = (a + (1 << ab) - 1, b + (1 << bb) - 1);
                a <= b && at >= bt && b <= bt
            }
            _ => false,
        }
    }

    /// seL4's `sameObjectAs`: whether two caps name the very same object (used to decide
    /// whether a cap is the last one to its object).
    pub fn same_object_as(&self, b: &Cap) -> bool {
        match (*self, *b) {
            (Cap::Untyped { .. }, _) => false,
            (Cap::IrqControl, Cap::IrqHandler { .. }) => false,
            (
                Cap::Frame {
                    base: a,
                    size_bits: sa,
                    is_device: da,
                    ..
                },
                Cap::Frame {
                    base: b,
                    size_bits: sb,
                    is_device: db,
                    ..
                },
            ) => a == b && sa == sb && da == db,
            _ => self.same_region_as(b),
        }
    }

    /// seL4's `maskCapRights`: the cap with its rights cut down to `r`.
    pub fn mask_rights(&self, r: CapRights) -> Cap {
        match *self {
            Cap::Endpoint { ptr, badge, rights } => Cap::Endpoint {
                ptr,
                badge,
                rights: rights & r,
            },
            Cap::Notification { ptr, badge, rights } => Cap::Notification {
                ptr,
                badge,
                rights: rights & r & CapRights::READ_WRITE,
            },
            Cap::Reply {
                tcb,
                master,
                can_grant,
            } => Cap::Reply {
                tcb,
                master,
                can_grant: can_grant && r.contains(CapRights::GRANT),
            },
            Cap::Frame {
                base,
                size_bits,
                rights,
                is_device,
                mapping,
            } => Cap::Frame {
                base,
                size_bits,
                rights: rights.mask(r),
                is_device,
                mapping,
            },
            c => c,
        }
    }

    /// seL4's `updateCapData`: apply a Mint/Mutate/Rotate data word. `preserve` is true for
    /// Mutate and Rotate, which may not set a badge. The Null cap means "not allowed".
    pub fn update_data(&self, preserve: bool, data: u64) -> Cap {
        match *self {
            // A badge can be set once, and only by Mint: re-badging would let a holder of a
            // badged cap impersonate another client.
            Cap::Endpoint { ptr, badge, rights } => {
                if !preserve && badge == 0 {
                    Cap::Endpoint {
                        ptr,
                        badge: data,
                        rights,
                    }
                } else {
                    Cap::Null
                }
            }
            Cap::Notification { ptr, badge, rights } => {
                if !preserve && badge == 0 {
                    Cap::Notification {
                        ptr,
                        badge: data,
                        rights,
                    }
                } else {
                    Cap::Null
                }
            }
            // A guard plus radix longer than a word could never be resolved.
            Cap::CNode { ptr, radix, .. } => {
                let d = CNodeCapData::from_word(data);
                if d.guard_size + u64::from(radix) > WORD_BITS {
                    Cap::Null
                } else {
                    let mask = if d.guard_size == 0 {
                        0
                    } else {
                        u64::MAX >> (WORD_BITS - d.guard_size)
                    };
                    Cap::CNode {
                        ptr,
                        radix,
                        guard_size: d.guard_size as u8,
                        guard: d.guard & mask,
                    }
                }
            }
            c => c,
        }
    }

    /// seL4's `isCapRevocable`: whether a cap derived from `src` starts a new subtree
    /// (it is the parent of later copies of itself).
    pub fn is_revocable_from(&self, src: &Cap) -> bool {
        match self {
            // An SGI signal cap issued by IRQControl can be revoked through it.
            Cap::SgiSignal { .. } => matches!(src, Cap::IrqControl),
            c if c.is_arch() => false,
            Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } => *badge != src.badge(),
            Cap::IrqHandler { .. } => matches!(src, Cap::IrqControl),
            Cap::Untyped { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EP: Cap = Cap::Endpoint {
        ptr: 0x1000,
        badge: 0,
        rights: CapRights::ALL_RIGHTS,
    };

    #[test]
    fn untyped_region_contains_objects_inside_it_only() {
        let ut = Cap::Untyped {
            ptr: 0x1000,
            size_bits: 12,
            is_device: false,
            free_index: 0,
        };
        assert!(ut.same_region_as(&EP));
        let outside = Cap::Endpoint {
            ptr: 0x2000,
            badge: 0,
            rights: CapRights::ALL_RIGHTS,
        };
        assert!(!ut.same_region_as(&outside));
        // An untyped is never the same object as anything: it is a region.
        assert!(!ut.same_object_as(&ut));
    }

    #[test]
    fn badges_are_set_once_and_only_by_mint() {
        let minted = EP.update_data(false, 5);
        assert_eq!(minted.badge(), 5);
        assert!(minted.update_data(false, 6).is_null());
        assert!(EP.update_data(true, 0).is_null());
    }

    #[test]
    fn cnode_guard_is_cut_to_its_size() {
        let cn = Cap::CNode {
            ptr: 0,
            radix: 4,
            guard_size: 0,
            guard: 0,
        };
        let data = CNodeCapData::new(0xff, 4).to_word();
        assert_eq!(
            cn.update_data(true, data),
            Cap::CNode {
                ptr: 0,
                radix: 4,
                guard_size: 4,
                guard: 0xf
            }
        );
        assert!(
            cn.update_data(true, CNodeCapData::new(0, 61).to_word())
                .is_null()
        );
    }

    #[test]
    fn rights_only_shrink() {
        let r = EP
            .mask_rights(CapRights::READ)
            .mask_rights(CapRights::ALL_RIGHTS);
        assert_eq!(r.rights(), CapRights::READ);
        assert_eq!(
            VmRights::ReadWrite.mask(CapRights::READ),
            VmRights::ReadOnly
        );
        assert_eq!(
            VmRights::ReadWrite.mask(CapRights::WRITE),
            VmRights::KernelOnly
        );
        assert_eq!(
            VmRights::ReadOnly.mask(CapRights::ALL_RIGHTS),
            VmRights::ReadOnly
        );
    }

    #[test]
    fn revocable_when_a_badge_changes_or_for_untyped_and_irq_handlers() {
        let badged = EP.update_data(false, 3);
        assert!(badged.is_revocable_from(&EP));
        assert!(!EP.is_revocable_from(&EP));
        assert!(Cap::IrqHandler { irq: 1 }.is_revocable_from(&Cap::IrqControl));
        assert!(!Cap::IrqHandler { irq: 1 }.is_revocable_from(&Cap::IrqHandler { irq: 1 }));
    }
}
