//! Facts about capabilities as a whole, as seL4's objecttype.c: which region or object a
//! cap names, derivation, rights masking, badge and guard updates, object sizes and creation.

use super::cap::Mapping;
use super::tcb::{ThreadState, reg};
use super::{Cap, FrameSize, Slot, Tcb, VmRights};
use crate::api::error::SysError;
use crate::machine::Memory;
use crate::mutant::{self, Mutant};
use sel4_abi::{CNodeCapData, CapRights, ObjectType};

/// The physical region a cap covers, if it names memory: (base, size in bits).
pub fn region(cap: &Cap) -> Option<(u64, u64)> {
    Some(match *cap {
        Cap::Untyped { ptr, size_bits, .. } => (ptr, size_bits as u64),
        Cap::Endpoint { ptr, .. } => (ptr, sel4_abi::ENDPOINT_BITS),
        Cap::Notification { ptr, .. } => (ptr, sel4_abi::NOTIFICATION_BITS),
        Cap::CNode { ptr, radix, .. } => (ptr, radix as u64 + sel4_abi::SLOT_BITS),
        Cap::Thread { tcb } => (tcb, sel4_abi::TCB_BITS),
        Cap::Zombie {
            ptr, is_tcb: true, ..
        } => (ptr, sel4_abi::TCB_BITS),
        Cap::Zombie { ptr, radix, .. } => (ptr, radix as u64 + sel4_abi::SLOT_BITS),
        Cap::Frame { base, size, .. } => (base, size.bits()),
        Cap::PageTable { base, .. } => (base, sel4_abi::PAGE_TABLE_BITS),
        Cap::VSpace { base, .. } => (base, sel4_abi::VSPACE_BITS),
        Cap::AsidPool { base, .. } => (base, sel4_abi::ASID_POOL_BITS),
        _ => return None,
    })
}

fn is_arch(cap: &Cap) -> bool {
    matches!(
        cap,
        Cap::Frame { .. }
            | Cap::PageTable { .. }
            | Cap::VSpace { .. }
            | Cap::AsidControl
            | Cap::AsidPool { .. }
    )
}

/// seL4's sameRegionAs: `b` names (part of) what `a` names.
pub fn same_region_as(a: &Cap, b: &Cap) -> bool {
    match (*a, *b) {
        (Cap::Untyped { ptr, size_bits, .. }, _) => region(b).is_some_and(|(bb, bs)| {
            let a_top = ptr + ((1u64 << size_bits) - 1);
            let b_top = bb + ((1u64 << bs) - 1);
            ptr <= bb && b_top <= a_top && bb <= b_top
        }),
        (Cap::Endpoint { ptr: x, .. }, Cap::Endpoint { ptr: y, .. }) => x == y,
        (Cap::Notification { ptr: x, .. }, Cap::Notification { ptr: y, .. }) => x == y,
        (
            Cap::CNode {
                ptr: x, radix: rx, ..
            },
            Cap::CNode {
                ptr: y, radix: ry, ..
            },
        ) => x == y && rx == ry,
        (Cap::Thread { tcb: x }, Cap::Thread { tcb: y }) => x == y,
        (Cap::Reply { tcb: x, .. }, Cap::Reply { tcb: y, .. }) => x == y,
        (Cap::Domain, Cap::Domain) => true,
        // SGI signal caps descend from IRQControl (seL4's Arch_isIRQControlDescendant).
        (Cap::IrqControl, Cap::IrqControl | Cap::IrqHandler { .. } | Cap::SgiSignal { .. }) => true,
        (Cap::IrqHandler { irq: x }, Cap::IrqHandler { irq: y }) => x == y,
        (Cap::SgiSignal { irq: x, target: tx }, Cap::SgiSignal { irq: y, target: ty }) => {
            x == y && tx == ty
        }
        (
            Cap::Frame {
                base: x, size: sx, ..
            },
            Cap::Frame {
                base: y, size: sy, ..
            },
        ) => {
            let (xt, yt) = (x + ((1 << sx.bits()) - 1), y + ((1 << sy.bits()) - 1));
            x <= y && xt >= yt && y <= yt
        }
        (Cap::PageTable { base: x, .. }, Cap::PageTable { base: y, .. }) => x == y,
        (Cap::VSpace { base: x, .. }, Cap::VSpace { base: y, .. }) => x == y,
        (Cap::AsidControl, Cap::AsidControl) => true,
        (Cap::AsidPool { base: x, .. }, Cap::AsidPool { base: y, .. }) => x == y,
        _ => false,
    }
}

/// seL4's sameObjectAs: `a` and `b` name the same object (untypeds never do: each cap to an
/// untyped region is its own).
pub fn same_object_as(a: &Cap, b: &Cap) -> bool {
    match (*a, *b) {
        (Cap::Untyped { .. }, _) => false,
        (Cap::IrqControl, Cap::IrqHandler { .. }) => false,
        (
            Cap::Frame {
                base: x,
                size: sx,
                is_device: dx,
                ..
            },
            Cap::Frame {
                base: y,
                size: sy,
                is_device: dy,
                ..
            },
        ) => x == y && sx == sy && dx == dy,
        _ if is_arch(a) && is_arch(b) => same_region_as(a, b),
        _ => same_region_as(a, b),
    }
}

/// seL4's isMDBParentOf: `b` (the slot after `a`) is `a`'s child.
pub fn is_mdb_parent_of(m: &impl Memory, a: Slot, b: Slot) -> bool {
    if !a.revocable(m) {
        return false;
    }
    let (ca, cb) = (a.cap(m), b.cap(m));
    if !same_region_as(&ca, &cb) {
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

/// seL4's ensureNoChildren: RevokeFirst if `slot` has a child.
pub fn ensure_no_children(m: &impl Memory, slot: Slot) -> Result<(), SysError> {
    match slot.next(m) {
        Some(n) if is_mdb_parent_of(m, slot, n) => Err(SysError::RevokeFirst),
        _ => Ok(()),
    }
}

/// seL4's ensureEmptySlot: DeleteFirst unless `slot` is empty.
pub fn ensure_empty_slot(m: &impl Memory, slot: Slot) -> Result<(), SysError> {
    if slot.cap(m).is_null() {
        Ok(())
    } else {
        Err(SysError::DeleteFirst)
    }
}

/// seL4's deriveCap: the cap a copy of `cap` (in `slot`) may hold. Some caps cannot be
/// copied (they become Null), an untyped with children must be revoked first, and a frame
/// copy starts unmapped.
pub fn derive_cap(m: &impl Memory, slot: Slot, cap: Cap) -> Result<Cap, SysError> {
    Ok(match cap {
        Cap::Zombie { .. } | Cap::IrqControl | Cap::Reply { .. } => Cap::Null,
        Cap::Untyped { .. } => {
            if !mutant::on(Mutant::UntypedCopyWithChildren) {
                ensure_no_children(m, slot)?;
            }
            cap
        }
        // A page table or VSpace can only be copied once it is in use (mapped / assigned).
        Cap::PageTable { mapping: None, .. } | Cap::VSpace { asid: None, .. } => {
            return Err(SysError::IllegalOperation);
        }
        Cap::Frame {
            base,
            size,
            rights,
            is_device,
            ..
        } => Cap::Frame {
            base,
            size,
            rights,
            is_device,
            mapping: None,
        },
        _ => cap,
    })
}

/// Only an unbadged cap takes a badge.
fn badge_settable(badge: u64) -> bool {
    badge == 0 || mutant::on(Mutant::RebadgeAllowed)
}

/// The badge Mint gives.
fn new_badge(data: u64) -> u64 {
    if mutant::on(Mutant::MintDropsBadge) {
        0
    } else {
        data
    }
}

/// seL4's maskCapRights: a copy's rights are at most those asked for.
pub fn mask_cap_rights(rights: CapRights, cap: Cap) -> Cap {
    match cap {
        Cap::Endpoint {
            ptr,
            badge,
            rights: r,
        } => Cap::Endpoint {
            ptr,
            badge,
            rights: r & rights,
        },
        Cap::Notification {
            ptr,
            badge,
            rights: r,
        } => Cap::Notification {
            ptr,
            badge,
            rights: r & rights & (CapRights::READ | CapRights::WRITE),
        },
        Cap::Reply {
            tcb,
            master,
            can_grant,
        } => Cap::Reply {
            tcb,
            master,
            can_grant: can_grant && rights.contains(CapRights::GRANT),
        },
        Cap::Frame {
            base,
            size,
            rights: vm,
            is_device,
            mapping,
        } => {
            let read = rights.contains(CapRights::READ);
            let vm = match vm {
                VmRights::ReadOnly if read => VmRights::ReadOnly,
                VmRights::ReadWrite if read && rights.contains(CapRights::WRITE) => {
                    VmRights::ReadWrite
                }
                VmRights::ReadWrite if read => VmRights::ReadOnly,
                _ => VmRights::KernelOnly,
            };
            Cap::Frame {
                base,
                size,
                rights: vm,
                is_device,
                mapping,
            }
        }
        _ => cap,
    }
}

/// seL4's updateCapData: Mint's badge or guard. `preserve` (Mutate, Rotate) may not badge;
/// a cap that is already badged cannot be badged again. Null means "not allowed".
pub fn update_cap_data(preserve: bool, data: u64, cap: Cap) -> Cap {
    match cap {
        Cap::Endpoint { ptr, badge, rights } if !preserve && badge_settable(badge) => {
            Cap::Endpoint {
                ptr,
                badge: new_badge(data),
                rights,
            }
        }
        Cap::Notification { ptr, badge, rights } if !preserve && badge_settable(badge) => {
            Cap::Notification {
                ptr,
                badge: new_badge(data),
                rights,
            }
        }
        Cap::Endpoint { .. } | Cap::Notification { .. } => Cap::Null,
        Cap::CNode { ptr, radix, .. } => {
            let d = CNodeCapData::from_word(data);
            if d.guard_size + radix as u64 > sel4_abi::WORD_BITS {
                Cap::Null
            } else {
                let mask = if d.guard_size >= 64 {
                    u64::MAX
                } else {
                    (1u64 << d.guard_size) - 1
                };
                Cap::CNode {
                    ptr,
                    radix,
                    guard_size: d.guard_size as u8,
                    guard: d.guard & mask,
                }
            }
        }
        _ => cap,
    }
}

/// seL4's getObjectSize: log2 of an object's size.
pub fn object_size_bits(t: ObjectType, user_size: u64) -> u64 {
    match t {
        ObjectType::Untyped => user_size,
        ObjectType::CapTable => user_size.saturating_add(sel4_abi::SLOT_BITS),
        ObjectType::Tcb => sel4_abi::TCB_BITS,
        ObjectType::Endpoint => sel4_abi::ENDPOINT_BITS,
        ObjectType::Notification => sel4_abi::NOTIFICATION_BITS,
        ObjectType::SmallPage => sel4_abi::PAGE_BITS,
        ObjectType::LargePage => sel4_abi::LARGE_PAGE_BITS,
        ObjectType::HugePage => sel4_abi::HUGE_PAGE_BITS,
        ObjectType::PageTable => sel4_abi::PAGE_TABLE_BITS,
        ObjectType::VSpace => sel4_abi::VSPACE_BITS,
    }
}

/// seL4's createObject: sets up a new object in zeroed memory at `ptr` and returns the
/// original cap to it. `creator` names the new thread in debug output.
pub fn create_object(
    m: &mut impl Memory,
    t: ObjectType,
    ptr: u64,
    user_size: u64,
    device: bool,
    creator: Option<Tcb>,
) -> Cap {
    let all = CapRights::all();
    match t {
        ObjectType::Untyped => Cap::Untyped {
            ptr,
            size_bits: user_size as u8,
            is_device: device,
            free_index: 0,
        },
        ObjectType::Tcb => {
            let t = Tcb(ptr);
            t.set_reg(m, reg::SPSR, crate::kernel::boot::PSTATE_USER);
            t.set(
                m,
                super::tcb::field::TIME_SLICE,
                crate::kernel::thread::TIME_SLICE,
            );
            t.set_state(m, ThreadState::Inactive);
            name_child(m, t, creator);
            Cap::Thread { tcb: ptr }
        }
        ObjectType::Endpoint => Cap::Endpoint {
            ptr,
            badge: 0,
            rights: all,
        },
        ObjectType::Notification => Cap::Notification {
            ptr,
            badge: 0,
            rights: CapRights::READ | CapRights::WRITE,
        },
        ObjectType::CapTable => Cap::CNode {
            ptr,
            radix: user_size as u8,
            guard_size: 0,
            guard: 0,
        },
        ObjectType::SmallPage | ObjectType::LargePage | ObjectType::HugePage => {
            let size = match t {
                ObjectType::SmallPage => FrameSize::Small,
                ObjectType::LargePage => FrameSize::Large,
                _ => FrameSize::Huge,
            };
            Cap::Frame {
                base: ptr,
                size,
                rights: VmRights::ReadWrite,
                is_device: device,
                mapping: None,
            }
        }
        ObjectType::PageTable => Cap::PageTable {
            base: ptr,
            mapping: None,
        },
        ObjectType::VSpace => Cap::VSpace {
            base: ptr,
            asid: None,
        },
    }
}

/// seL4's debug builds name a new thread "child of: '<creator>'".
fn name_child(m: &mut impl Memory, t: Tcb, creator: Option<Tcb>) {
    let mut name = [0u8; super::tcb::NAME_LEN as usize];
    let prefix = b"child of: '";
    name[..prefix.len()].copy_from_slice(prefix);
    let mut n = prefix.len();
    if let Some(c) = creator {
        let cn = c.name(m);
        let k = cn.len().min(name.len() - n - 2);
        name[n..n + k].copy_from_slice(&cn[..k]);
        n += k;
    }
    name[n] = b'\'';
    t.set_name(m, &name[..n + 1]);
}

/// A mapping is the only part of a frame or table cap that changes after creation.
pub fn without_mapping(cap: Cap) -> Cap {
    match cap {
        Cap::Frame {
            base,
            size,
            rights,
            is_device,
            ..
        } => Cap::Frame {
            base,
            size,
            rights,
            is_device,
            mapping: None,
        },
        Cap::PageTable { base, .. } => Cap::PageTable {
            base,
            mapping: None,
        },
        _ => cap,
    }
}

/// Helper for tests and the boot code: a mapping value.
pub const fn mapping(asid: u16, vaddr: u64) -> Option<Mapping> {
    Some(Mapping { asid, vaddr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untyped_covers_objects_inside_it_only() {
        let ut = Cap::Untyped {
            ptr: 0x1000,
            size_bits: 12,
            is_device: false,
            free_index: 0,
        };
        let inside = Cap::Endpoint {
            ptr: 0x1ff0,
            badge: 0,
            rights: CapRights::all(),
        };
        let outside = Cap::Endpoint {
            ptr: 0x2000,
            badge: 0,
            rights: CapRights::all(),
        };
        assert!(same_region_as(&ut, &inside));
        assert!(!same_region_as(&ut, &outside));
        assert!(
            !same_object_as(&ut, &ut),
            "untyped caps are never the same object"
        );
        let child = Cap::Untyped {
            ptr: 0x1800,
            size_bits: 11,
            is_device: false,
            free_index: 0,
        };
        assert!(same_region_as(&ut, &child));
    }

    #[test]
    fn mint_badges_once_and_mutate_never() {
        let ep = Cap::Endpoint {
            ptr: 0x40,
            badge: 0,
            rights: CapRights::all(),
        };
        let badged = update_cap_data(false, 7, ep);
        assert_eq!(
            badged,
            Cap::Endpoint {
                ptr: 0x40,
                badge: 7,
                rights: CapRights::all()
            }
        );
        assert_eq!(
            update_cap_data(false, 0, badged),
            Cap::Null,
            "already badged, even with 0"
        );
        assert_eq!(
            update_cap_data(true, 0, ep),
            Cap::Null,
            "Mutate of an endpoint"
        );
    }

    #[test]
    fn guard_updates_respect_the_word_size() {
        let cn = Cap::CNode {
            ptr: 0x1000,
            radix: 12,
            guard_size: 0,
            guard: 0,
        };
        let d = CNodeCapData::new(5, 52).to_word();
        assert_eq!(
            update_cap_data(true, d, cn),
            Cap::CNode {
                ptr: 0x1000,
                radix: 12,
                guard_size: 52,
                guard: 5
            }
        );
        assert_eq!(
            update_cap_data(true, CNodeCapData::new(0, 53).to_word(), cn),
            Cap::Null
        );
    }

    #[test]
    fn rights_only_shrink() {
        let ep = Cap::Endpoint {
            ptr: 0x40,
            badge: 1,
            rights: CapRights::READ | CapRights::WRITE,
        };
        assert_eq!(mask_cap_rights(CapRights::all(), ep), ep);
        assert!(
            matches!(mask_cap_rights(CapRights::WRITE, ep), Cap::Endpoint { rights, .. } if rights == CapRights::WRITE)
        );
        let f = Cap::Frame {
            base: 0,
            size: FrameSize::Small,
            rights: VmRights::ReadWrite,
            is_device: false,
            mapping: None,
        };
        assert!(matches!(
            mask_cap_rights(CapRights::READ, f),
            Cap::Frame {
                rights: VmRights::ReadOnly,
                ..
            }
        ));
        assert!(matches!(
            mask_cap_rights(CapRights::WRITE, f),
            Cap::Frame {
                rights: VmRights::KernelOnly,
                ..
            }
        ));
    }
}
