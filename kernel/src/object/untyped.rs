//! Untyped memory and Retype, as seL4's untyped.c: objects are carved from an untyped region
//! at its watermark, each aligned to its own size; a region with no children is reset.

use super::Args;
use crate::kernel::cspace::lookup_slot_for_cnode_op;
use crate::kernel::cte::{ensure_empty_slot, ensure_no_children, insert_new_cap};
use crate::kernel::preemption::{Preempted, preemption_point};
use crate::machine::journal;
use crate::machine::{Machine, Memory};
use crate::model::tcb::{NAME_LEN, field, reg, tcb_debug_append};
use crate::model::{Cap, FrameSize, KernelState, LookupFailure, Slot, SyscallError, Tcb};
use crate::model::{ThreadState, VmRights};
use crate::mutant::{self, Mutant};
use sel4_abi::config::{RESET_CHUNK_BITS, TIME_SLICE};
use sel4_abi::registers::PSTATE_USER;
use sel4_abi::{CapRights, ObjectType, UntypedLabel};

/// A validated Retype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UntypedInvocation {
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
pub fn decode_untyped(m: &impl Memory, a: &Args) -> Result<UntypedInvocation, SyscallError> {
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        free_index,
    } = a.cap
    else {
        return Err(SyscallError::InvalidCapability(0));
    };
    // An untyped cap has one operation.
    let Ok(label) = UntypedLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        UntypedLabel::Retype => {}
    }
    // Six words and the destination root are needed.
    let Some((root, _)) = a.excap(m, 0).filter(|_| a.length >= 6) else {
        return Err(SyscallError::TruncatedMessage);
    };
    let (ty, user_size) = (a.mr(m, 0), a.mr(m, 1));
    let (index, depth, offset, count) = (a.mr(m, 2), a.mr(m, 3), a.mr(m, 4), a.mr(m, 5));
    let (object, bits) = decode_object_type(ty, user_size)?;
    let cnode = decode_dest_slots(m, root, index, depth, offset, count)?;
    // With no children the untyped starts over from its base; else from its watermark.
    let reset = ensure_no_children(m, a.slot).is_ok();
    let free = if reset { 0 } else { free_index };
    let free_bytes = (1u64 << size_bits) - free;
    // There must be room for every object, each aligned to its size.
    if (free_bytes >> bits) < count {
        return Err(SyscallError::NotEnoughMemory(free_bytes));
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
        return Err(SyscallError::InvalidArgument(1));
    }
    let align = if mutant::on(Mutant::RetypeAlignmentOffByOne) {
        mask(bits.saturating_sub(1))
    } else {
        mask(bits)
    };
    Ok(UntypedInvocation {
        slot: a.slot,
        reset,
        base: (ptr + free + align) & !align,
        object,
        user_size,
        cnode,
        offset,
        count,
        device: is_device,
    })
}

/// The object-type part of seL4's decodeUntypedInvocation: the type and size arguments name
/// an object this kernel can make; returns the type and log2 of the object's size.
fn decode_object_type(ty: u64, user_size: u64) -> Result<(ObjectType, u64), SyscallError> {
    // The type must be one this kernel has.
    let Some(object) = ObjectType::from_word(ty) else {
        return Err(SyscallError::InvalidArgument(0));
    };
    // Sizes beyond the largest untyped cannot exist (and would overflow).
    let bits = object_size_bits(object, user_size);
    if user_size >= sel4_abi::WORD_BITS || bits > sel4_abi::MAX_UNTYPED_BITS {
        return Err(SyscallError::RangeError(0, sel4_abi::MAX_UNTYPED_BITS));
    }
    // A CNode has at least two slots; an untyped at least 16 bytes.
    if object == ObjectType::CapTable && user_size == 0 {
        return Err(SyscallError::InvalidArgument(1));
    }
    if object == ObjectType::Untyped && user_size < sel4_abi::MIN_UNTYPED_BITS {
        return Err(SyscallError::InvalidArgument(1));
    }
    Ok((object, bits))
}

/// The destination part of seL4's decodeUntypedInvocation: the CNode (the root itself at
/// depth 0, else the cap it resolves to) and a window of `count` empty slots from `offset`
/// inside it, 1..=256 of them. Returns the CNode's address.
fn decode_dest_slots(
    m: &impl Memory,
    root: Cap,
    index: u64,
    depth: u64,
    offset: u64,
    count: u64,
) -> Result<u64, SyscallError> {
    let node = if depth == 0 {
        root
    } else {
        lookup_slot_for_cnode_op(m, false, root, index, depth)?.cap(m)
    };
    let Cap::CNode {
        ptr: cnode, radix, ..
    } = node
    else {
        return Err(SyscallError::FailedLookup {
            source: false,
            fault: LookupFailure::MissingCapability { bits_left: depth },
        });
    };
    let slots = 1u64 << radix;
    if offset > slots - 1 {
        return Err(SyscallError::RangeError(0, slots - 1));
    }
    if !(1..=sel4_abi::UNTYPED_RETYPE_MAX_OBJECTS).contains(&count) {
        return Err(SyscallError::RangeError(
            1,
            sel4_abi::UNTYPED_RETYPE_MAX_OBJECTS,
        ));
    }
    if count > slots - offset {
        return Err(SyscallError::RangeError(1, slots - offset));
    }
    // Every destination slot must be empty.
    for i in offset..offset + count {
        ensure_empty_slot(m, Slot::of(cnode, i))?;
    }
    Ok(cnode)
}

/// seL4's invokeUntyped_Retype: resets if asked, advances the watermark, creates the
/// objects and inserts their caps as children of the untyped, each right after it.
pub fn invoke_untyped(
    ks: &mut KernelState,
    m: &mut impl Machine,
    r: UntypedInvocation,
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
        reset_untyped(ks, m, r.slot, ptr, size_bits, is_device, free_index)?;
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
            tcb_debug_append(ks, m, Tcb(tcb));
        }
        insert_new_cap(m, r.slot, Slot::of(r.cnode, r.offset + i), cap);
    }
    Ok(())
}

/// seL4's resetUntypedCap: memory below the watermark may hold old objects (the rest is
/// still zero), so it is zeroed, from the top down in chunks, lowering the watermark after
/// each: if an interrupt stops the reset, the Retype runs again and zeroes only what is
/// left. Device memory is not zeroed.
fn reset_untyped(
    ks: &mut KernelState,
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
        if !is_device && !mutant::on(Mutant::ResetLeavesMemory) {
            journal::zero(m, ptr, 1 << size_bits);
        }
        slot.set_cap(m, untyped(0));
        return Ok(());
    }
    let chunk = 1u64 << RESET_CHUNK_BITS;
    let top = ((free_index - 1) & !(chunk - 1)) + chunk;
    let mut offset = top - chunk;
    let clear = !mutant::on(Mutant::ResetLeavesMemory);
    let done = loop {
        if clear {
            m.zero(ptr + offset, chunk);
        }
        slot.set_cap(m, untyped(offset));
        if offset == 0 {
            break Ok(());
        }
        if let Err(p) = preemption_point(ks, m) {
            break Err(p);
        }
        offset -= chunk;
    };
    // The chunks cleared, as one range (a record per chunk would make the trace of a
    // large reset far longer than the reset).
    if clear {
        journal::record_zero(m, ptr + offset, top - offset);
    }
    done
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
            t.set_reg(m, reg::SPSR, PSTATE_USER);
            t.set(m, field::TIME_SLICE, TIME_SLICE);
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
    let mut name = [0u8; NAME_LEN as usize];
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
