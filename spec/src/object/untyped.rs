//! Untyped memory: Retype carves new objects out of an untyped region at its watermark.

use sel4_abi::config::RESET_CHUNK_BITS;
use sel4_abi::{
    MAX_UNTYPED_BITS, MIN_UNTYPED_BITS, ObjectType, SLOT_BITS, UNTYPED_RETYPE_MAX_OBJECTS,
    UntypedLabel, WORD_BITS,
};

use crate::kernel::cspace::{lookup_slot_for_cnode_op, slot_at};
use crate::kernel::cte::ensure_empty_slot;
use crate::kernel::preemption::preemption_point;
use crate::model::error::SyscallError;
use crate::model::{
    Cap, Endpoint, LookupFailure, Notification, Object, PAddr, PageTable, SlotRef, State, Tcb,
    VmRights,
};

use super::Args;

/// A decoded Retype, the one untyped invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UntypedInvocation {
    /// The untyped cap's slot.
    pub slot: SlotRef,
    /// Whether the untyped is reset first (it had no children).
    pub reset: bool,
    /// The address of the first object.
    pub base: PAddr,
    /// The object type.
    pub object_type: ObjectType,
    /// The user's size argument (bits for Untyped, slots-bits for CapTable).
    pub user_size: u64,
    /// The destination slots, one per object.
    pub dests: Vec<SlotRef>,
    /// Whether the untyped is device memory.
    pub device: bool,
}

/// seL4's `getObjectSize`: log2 of an object's size in bytes.
pub fn object_size_bits(t: ObjectType, user_size: u64) -> u64 {
    match t {
        ObjectType::Untyped => user_size,
        ObjectType::CapTable => user_size.saturating_add(SLOT_BITS),
        _ => t.size_bits(0).expect("fixed-size object types have a size"),
    }
}

/// seL4's `decodeUntypedInvocation`; the checks run in seL4's order, which decides the error.
pub fn decode_untyped(s: &State, a: &Args) -> Result<UntypedInvocation, SyscallError> {
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        free_index,
    } = a.cap
    else {
        return Err(SyscallError::IllegalOperation);
    };
    // Retype is the only untyped invocation.
    let UntypedLabel::Retype = a.family_label()?;
    let (
        Some(ty),
        Some(user_size),
        Some(node_index),
        Some(node_depth),
        Some(offset),
        Some(window),
        Some((root, _)),
    ) = (
        a.mr(0),
        a.mr(1),
        a.mr(2),
        a.mr(3),
        a.mr(4),
        a.mr(5),
        a.excap(0),
    )
    else {
        return Err(SyscallError::TruncatedMessage);
    };
    let (ty, obj_bits) = decode_object_type(ty, user_size)?;
    let dests = decode_dest_slots(s, root, node_index, node_depth, offset, window)?;
    // An untyped whose objects are all gone starts again from its beginning.
    let reset = !s.has_children(a.slot);
    let free = if reset { 0 } else { free_index };
    let free_bytes = (1u64 << size_bits) - free;
    // All objects must fit after the watermark, each aligned to its size.
    if (free_bytes >> obj_bits) < window {
        return Err(SyscallError::NotEnoughMemory(free_bytes));
    }
    // Device memory may only become frames (or smaller device untypeds): the kernel never
    // keeps its own objects in it.
    if is_device && !ty.is_frame() && ty != ObjectType::Untyped {
        return Err(SyscallError::InvalidArgument(1));
    }
    let align = (1u64 << obj_bits) - 1;
    let base = (ptr + free + align) & !align;
    Ok(UntypedInvocation {
        slot: a.slot,
        reset,
        base,
        object_type: ty,
        user_size,
        dests,
        device: is_device,
    })
}

/// The object-type part of seL4's `decodeUntypedInvocation`: the type and size arguments
/// name an object this kernel can make; returns the type and log2 of the object's size.
fn decode_object_type(ty: u64, user_size: u64) -> Result<(ObjectType, u64), SyscallError> {
    // The type must be one this kernel knows.
    let Some(ty) = ObjectType::from_word(ty) else {
        return Err(SyscallError::InvalidArgument(0));
    };
    let obj_bits = object_size_bits(ty, user_size);
    // No object may be larger than the largest untyped.
    if user_size >= WORD_BITS || obj_bits > MAX_UNTYPED_BITS {
        return Err(SyscallError::RangeError {
            min: 0,
            max: MAX_UNTYPED_BITS,
        });
    }
    // A CNode needs at least two slots (radix 0 resolves no bits).
    if ty == ObjectType::CapTable && user_size == 0 {
        return Err(SyscallError::InvalidArgument(1));
    }
    // Untyped objects have a minimum size (room for the kernel's bookkeeping).
    if ty == ObjectType::Untyped && user_size < MIN_UNTYPED_BITS {
        return Err(SyscallError::InvalidArgument(1));
    }
    Ok((ty, obj_bits))
}

/// The destination part of seL4's `decodeUntypedInvocation`: `window` empty slots from
/// `offset` in the CNode that `root`, `node_index` and `node_depth` name.
fn decode_dest_slots(
    s: &State,
    root: Cap,
    node_index: u64,
    node_depth: u64,
    offset: u64,
    window: u64,
) -> Result<Vec<SlotRef>, SyscallError> {
    // The destination CNode: the root itself at depth 0, else the cap at index/depth in it.
    let node = if node_depth == 0 {
        root
    } else {
        s.cap(lookup_slot_for_cnode_op(
            s, false, root, node_index, node_depth,
        )?)
    };
    let Cap::CNode {
        ptr: node_ptr,
        radix,
        ..
    } = node
    else {
        return Err(SyscallError::FailedLookup {
            source: false,
            failure: LookupFailure::MissingCapability {
                bits_left: node_depth,
            },
        });
    };
    let node_size = 1u64 << radix;
    // The window must lie inside the CNode and hold 1..=256 objects.
    if offset > node_size - 1 {
        return Err(SyscallError::RangeError {
            min: 0,
            max: node_size - 1,
        });
    }
    if !(1..=UNTYPED_RETYPE_MAX_OBJECTS).contains(&window) {
        return Err(SyscallError::RangeError {
            min: 1,
            max: UNTYPED_RETYPE_MAX_OBJECTS,
        });
    }
    if window > node_size - offset {
        return Err(SyscallError::RangeError {
            min: 1,
            max: node_size - offset,
        });
    }
    // Every destination slot must be empty: retype never overwrites a cap.
    let dests: Vec<SlotRef> = (offset..offset + window)
        .map(|i| slot_at(node_ptr, i))
        .collect();
    for &d in &dests {
        ensure_empty_slot(s, d)?;
    }
    Ok(dests)
}

/// seL4's `invokeUntyped_Retype`: move the watermark, then create each object and insert its
/// cap as a child of the untyped.
pub fn invoke_untyped(s: &mut State, r: UntypedInvocation) {
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        ..
    } = s.cap(r.slot)
    else {
        return;
    };
    if r.reset && !reset_untyped(s, r.slot) {
        // Preempted: the watermark records how far the reset got; the syscall restarts.
        return;
    }
    let bits = object_size_bits(r.object_type, r.user_size);
    let end = r.base + ((r.dests.len() as u64) << bits);
    s.set_cap(
        r.slot,
        Cap::Untyped {
            ptr,
            size_bits,
            is_device,
            free_index: end - ptr,
        },
    );
    for (i, &dest) in r.dests.iter().enumerate() {
        let addr = r.base + ((i as u64) << bits);
        let cap = create_object(s, r.object_type, addr, r.user_size, r.device);
        s.insert_new_cap(r.slot, dest, cap);
    }
}

/// seL4's `resetUntypedCap`: an untyped with no children is emptied before a retype. Its
/// memory is zeroed from the watermark down, a chunk (2^`RESET_CHUNK_BITS` bytes, seL4's
/// CONFIG_RESET_CHUNK_BITS) at a time with a preemption point between chunks, and the
/// watermark follows, so a preempted reset carries on from where it stopped (a device
/// untyped, or one smaller than a chunk, is done at once). False if preempted.
pub fn reset_untyped(s: &mut State, slot: SlotRef) -> bool {
    let Cap::Untyped {
        ptr,
        size_bits,
        is_device,
        free_index,
    } = s.cap(slot)
    else {
        return true;
    };
    let watermark = |s: &mut State, free_index| {
        s.set_cap(
            slot,
            Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index,
            },
        )
    };
    if free_index == 0 {
        return true;
    }
    if is_device || u64::from(size_bits) < RESET_CHUNK_BITS {
        if !is_device {
            s.zero_memory(ptr, u64::from(size_bits));
        }
        watermark(s, 0);
        return true;
    }
    let chunk = 1u64 << RESET_CHUNK_BITS;
    let mut offset = (free_index - 1) & !(chunk - 1);
    loop {
        s.zero_memory(ptr + offset, RESET_CHUNK_BITS);
        watermark(s, offset);
        if offset == 0 {
            return true;
        }
        if preemption_point(s) {
            return false;
        }
        offset -= chunk;
    }
}

/// seL4's `createObject`: a fresh object at `addr` and the cap (with all rights) to it.
pub fn create_object(
    s: &mut State,
    t: ObjectType,
    addr: PAddr,
    user_size: u64,
    device: bool,
) -> Cap {
    // Nothing is cleared here: the memory is zero already (an untyped's memory is cleared
    // when it is reset, before it is used again), as in seL4's createObject.
    let bits = object_size_bits(t, user_size);
    match t {
        ObjectType::Untyped => Cap::Untyped {
            ptr: addr,
            size_bits: user_size as u8,
            is_device: device,
            free_index: 0,
        },
        ObjectType::Tcb => {
            let tcb = Tcb::new();
            s.objects.insert(addr, Object::Tcb(Box::new(tcb)));
            Cap::Thread { tcb: addr }
        }
        ObjectType::Endpoint => {
            s.objects.insert(addr, Object::Endpoint(Endpoint::Idle));
            Cap::Endpoint {
                ptr: addr,
                badge: 0,
                rights: sel4_abi::CapRights::ALL_RIGHTS,
            }
        }
        ObjectType::Notification => {
            s.objects
                .insert(addr, Object::Notification(Notification::default()));
            Cap::Notification {
                ptr: addr,
                badge: 0,
                rights: sel4_abi::CapRights::READ_WRITE,
            }
        }
        ObjectType::CapTable => {
            s.objects.insert(
                addr,
                Object::CNode {
                    radix: user_size as u8,
                },
            );
            Cap::CNode {
                ptr: addr,
                radix: user_size as u8,
                guard_size: 0,
                guard: 0,
            }
        }
        ObjectType::SmallPage | ObjectType::LargePage | ObjectType::HugePage => {
            s.objects.insert(
                addr,
                Object::Frame {
                    size_bits: bits as u8,
                    is_device: device,
                },
            );
            Cap::Frame {
                base: addr,
                size_bits: bits as u8,
                rights: VmRights::ReadWrite,
                is_device: device,
                mapping: None,
            }
        }
        ObjectType::PageTable => {
            s.objects
                .insert(addr, Object::PageTable(PageTable::default()));
            Cap::PageTable {
                base: addr,
                mapping: None,
            }
        }
        ObjectType::VSpace => {
            s.objects.insert(
                addr,
                Object::VSpace {
                    table: PageTable::default(),
                    asid: None,
                },
            );
            Cap::VSpace {
                base: addr,
                asid: None,
            }
        }
    }
}
