//! Untyped memory and Retype, as seL4's untyped.c: objects are carved from an untyped region
//! at its watermark, each aligned to its own size; a region with no children is reset.

use super::objecttype::{create_object, ensure_empty_slot, ensure_no_children, object_size_bits};
use super::{Cap, Slot, Tcb};
use crate::api::error::SysError;
use crate::api::invocation::Invocation;
use crate::kernel::cspace::{self, LookupFault};
use crate::kernel::preemption::Preempted;
use crate::machine::{Machine, Memory};
use crate::mutant::{self, Mutant};
use sel4_abi::{InvocationLabel, ObjectType};

/// A validated Retype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retype {
    /// The untyped cap's slot.
    pub slot: Slot,
    /// The untyped has no children: reset it (watermark to 0, memory zeroed) first.
    pub reset: bool,
    /// Where the first object goes.
    pub base: u64,
    /// Object type.
    pub object: ObjectType,
    /// The size argument (bits for untyped, radix for CNodes).
    pub user_size: u64,
    /// The destination CNode.
    pub cnode: u64,
    /// First destination slot index.
    pub offset: u64,
    /// Number of objects.
    pub count: u64,
    /// The untyped is device memory.
    pub device: bool,
}

const fn mask(bits: u64) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// seL4's decodeUntypedInvocation: every check, in seL4's order.
pub fn decode(m: &impl Memory, inv: &Invocation) -> Result<Retype, SysError> {
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        free_index,
    } = inv.cap
    else {
        unreachable!()
    };
    // An untyped cap has one operation.
    if inv.label != InvocationLabel::UntypedRetype as u64 {
        return Err(SysError::IllegalOperation);
    }
    // Six words and the destination root are needed.
    let Some((_, root)) = inv.extra_cap(m, 0).filter(|_| inv.length >= 6) else {
        return Err(SysError::TruncatedMessage);
    };
    let (ty, user_size) = (inv.arg(m, 0), inv.arg(m, 1));
    let (index, depth, offset, count) =
        (inv.arg(m, 2), inv.arg(m, 3), inv.arg(m, 4), inv.arg(m, 5));
    // The type must be one this kernel has.
    let Some(object) = ObjectType::from_word(ty) else {
        return Err(SysError::InvalidArgument(0));
    };
    // Sizes beyond the largest untyped cannot exist (and would overflow).
    let bits = object_size_bits(object, user_size);
    if user_size >= sel4_abi::WORD_BITS || bits > sel4_abi::MAX_UNTYPED_BITS {
        return Err(SysError::RangeError(0, sel4_abi::MAX_UNTYPED_BITS));
    }
    // A CNode has at least two slots; an untyped at least 16 bytes.
    if object == ObjectType::CapTable && user_size == 0 {
        return Err(SysError::InvalidArgument(1));
    }
    if object == ObjectType::Untyped && user_size < sel4_abi::MIN_UNTYPED_BITS {
        return Err(SysError::InvalidArgument(1));
    }
    // The destination CNode: the root itself at depth 0, else the cap it resolves to.
    let node = if depth == 0 {
        root
    } else {
        cspace::lookup_slot_for_cnode_op(m, false, root, index, depth)?.cap(m)
    };
    let Cap::CNode {
        ptr: cnode, radix, ..
    } = node
    else {
        return Err(SysError::FailedLookup {
            source: false,
            fault: LookupFault::MissingCapability { bits_left: depth },
        });
    };
    // The destination window must lie inside the CNode and hold 1..=256 slots.
    let slots = 1u64 << radix;
    if offset > slots - 1 {
        return Err(SysError::RangeError(0, slots - 1));
    }
    if !(1..=sel4_abi::UNTYPED_RETYPE_MAX_OBJECTS).contains(&count) {
        return Err(SysError::RangeError(
            1,
            sel4_abi::UNTYPED_RETYPE_MAX_OBJECTS,
        ));
    }
    if count > slots - offset {
        return Err(SysError::RangeError(1, slots - offset));
    }
    // Every destination slot must be empty.
    for i in offset..offset + count {
        ensure_empty_slot(m, Slot::of(cnode, i))?;
    }
    // With no children the untyped starts over from its base; else from its watermark.
    let reset = ensure_no_children(m, inv.slot).is_ok();
    let free = if reset { 0 } else { free_index };
    let free_bytes = (1u64 << size_bits) - free;
    // There must be room for every object, each aligned to its size.
    if (free_bytes >> bits) < count {
        return Err(SysError::NotEnoughMemory(free_bytes));
    }
    // Device memory can only become frames or smaller untypeds (the kernel never writes it).
    if is_device
        && !matches!(
            object,
            ObjectType::SmallPage
                | ObjectType::LargePage
                | ObjectType::HugePage
                | ObjectType::Untyped
        )
    {
        return Err(SysError::InvalidArgument(1));
    }
    let align = if mutant::on(Mutant::RetypeAlignmentOffByOne) {
        mask(bits.saturating_sub(1))
    } else {
        mask(bits)
    };
    let base = (ptr + free + align) & !align;
    Ok(Retype {
        slot: inv.slot,
        reset,
        base,
        object,
        user_size,
        cnode,
        offset,
        count,
        device: is_device,
    })
}

/// seL4's invokeUntyped_Retype: resets if asked, advances the watermark, creates the
/// objects and inserts their caps as children of the untyped, each right after it.
pub fn invoke(
    ks: &mut crate::model::KernelState,
    m: &mut impl Machine,
    r: Retype,
    creator: Tcb,
) -> Result<(), Preempted> {
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        free_index,
    } = r.slot.cap(m)
    else {
        return Ok(());
    };
    if r.reset {
        reset(ks, m, r.slot, ptr, size_bits, is_device, free_index)?;
    }
    let bits = object_size_bits(r.object, r.user_size);
    let end = r.base + (r.count << bits);
    r.slot.set_cap(
        m,
        Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            free_index: if mutant::on(Mutant::WatermarkNotAdvanced) {
                free_index
            } else {
                end - ptr
            },
        },
    );
    for i in 0..r.count {
        let cap = create_object(
            m,
            r.object,
            r.base + (i << bits),
            r.user_size,
            r.device,
            Some(creator),
        );
        if let Cap::Thread { tcb } = cap {
            crate::api::debug::add(ks, m, Tcb(tcb));
        }
        insert_new_cap(m, r.slot, Slot::of(r.cnode, r.offset + i), cap);
    }
    Ok(())
}

/// log2 of the bytes zeroed between preemption checks (seL4's CONFIG_RESET_CHUNK_BITS).
pub const RESET_CHUNK_BITS: u64 = 8;

/// seL4's resetUntypedCap: memory below the watermark may hold old objects (the rest is
/// still zero), so it is zeroed, from the top down in chunks, lowering the watermark after
/// each: if an interrupt stops the reset, the Retype runs again and zeroes only what is
/// left. Device memory is not zeroed.
fn reset(
    ks: &mut crate::model::KernelState,
    m: &mut impl Machine,
    slot: Slot,
    ptr: u64,
    size_bits: u8,
    is_device: bool,
    free_index: u64,
) -> Result<(), Preempted> {
    let untyped = |free_index| Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        free_index,
    };
    if free_index == 0 {
        return Ok(());
    }
    if is_device || (size_bits as u64) < RESET_CHUNK_BITS {
        if !is_device {
            m.zero(ptr, 1 << size_bits);
        }
        slot.set_cap(m, untyped(0));
        return Ok(());
    }
    let chunk = 1u64 << RESET_CHUNK_BITS;
    let mut offset = (free_index - 1) & !(chunk - 1);
    loop {
        m.zero(ptr + offset, chunk);
        slot.set_cap(m, untyped(offset));
        if offset == 0 {
            return Ok(());
        }
        crate::kernel::preemption::point(ks, m)?;
        offset -= chunk;
    }
}

/// seL4's insertNewCap: a new object's original cap, right after its untyped parent.
fn insert_new_cap(m: &mut impl Machine, parent: Slot, slot: Slot, cap: Cap) {
    let next = parent.next(m);
    slot.set_cap(m, cap);
    m.write_word(slot.0 + 16, parent.0);
    m.write_word(slot.0 + 24, 0);
    slot.set_next(m, next);
    slot.set_flags(m, true, true);
    if let Some(n) = next {
        n.set_prev(m, Some(slot));
    }
    parent.set_next(m, Some(slot));
}
