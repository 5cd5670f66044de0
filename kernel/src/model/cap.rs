//! Capabilities: the typed [`Cap`] value and its two-word encoding in a CNode slot.
//!
//! The type tag sits in bits 63..59 of the first word and uses seL4's AArch64 tag numbers,
//! so `DebugCapIdentify` returns it unchanged. The other fields are packed per type; every
//! field keeps its full seL4 range (48-bit physical addresses, 64-bit badges and guards).

use crate::mutant::{self, Mutant};
use core::num::NonZeroU16;
use sel4_abi::{CNodeCapData, CapRights, CapType};

/// The size of a frame (seL4's frame sizes on AArch64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameSize {
    /// 4 KiB (seL4_ARM_SmallPageObject).
    Small = 0,
    /// 2 MiB (seL4_ARM_LargePageObject).
    Large = 1,
    /// 1 GiB (seL4_ARM_HugePageObject).
    Huge = 2,
}

impl FrameSize {
    /// log2 of the frame's size in bytes.
    pub const fn bits(self) -> u64 {
        match self {
            FrameSize::Small => sel4_abi::PAGE_BITS,
            FrameSize::Large => sel4_abi::LARGE_PAGE_BITS,
            FrameSize::Huge => sel4_abi::HUGE_PAGE_BITS,
        }
    }
    const fn from_bits(v: u64) -> FrameSize {
        match v {
            0 => FrameSize::Small,
            1 => FrameSize::Large,
            _ => FrameSize::Huge,
        }
    }
}

/// Access rights a frame cap grants to mappings (seL4's vm_rights).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmRights {
    /// No user access (VMKernelOnly).
    KernelOnly = 1,
    /// User read and execute (VMReadOnly).
    ReadOnly = 2,
    /// User read, write and execute (VMReadWrite).
    ReadWrite = 3,
}

impl VmRights {
    const fn from_bits(v: u64) -> VmRights {
        match v {
            2 => VmRights::ReadOnly,
            3 => VmRights::ReadWrite,
            _ => VmRights::KernelOnly,
        }
    }
}

/// Where a frame or page table is mapped: its address space and virtual address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The ASID of the VSpace it is mapped in (never 0, seL4's invalid ASID: that keeps
    /// `Option<Mapping>`, and so every [`Cap`], within 32 bytes, which the compiler copies
    /// without calling memcpy).
    pub asid: NonZeroU16,
    /// The virtual address it is mapped at (for a page table, the start of what it covers).
    pub vaddr: u64,
}

/// A capability, decoded from its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// The empty slot.
    Null,
    /// Untyped memory: `2^size_bits` bytes at `ptr`, of which `free_index` bytes are used.
    Untyped {
        ptr: u64,
        size_bits: u8,
        is_device: bool,
        free_index: u64,
    },
    /// An endpoint with a badge and the rights Send (Write), Receive (Read), Grant, GrantReply.
    Endpoint {
        ptr: u64,
        badge: u64,
        rights: CapRights,
    },
    /// A notification with a badge and Send (Write) / Receive (Read) rights.
    Notification {
        ptr: u64,
        badge: u64,
        rights: CapRights,
    },
    /// A reply cap to `tcb`; `master` marks the caller's own slot copy (seL4's replyMaster).
    Reply {
        tcb: u64,
        master: bool,
        can_grant: bool,
    },
    /// A CNode of 2^radix slots, with a guard of `guard_size` bits.
    CNode {
        ptr: u64,
        radix: u8,
        guard_size: u8,
        guard: u64,
    },
    /// A thread (TCB object at `tcb`).
    Thread { tcb: u64 },
    /// The authority to create IRQ handler caps.
    IrqControl,
    /// The authority over one interrupt line.
    IrqHandler { irq: u64 },
    /// A TCB or CNode being destroyed; `number` slots remain to clear.
    Zombie {
        ptr: u64,
        is_tcb: bool,
        radix: u8,
        number: u64,
    },
    /// The authority to set threads' scheduling domains.
    Domain,
    /// A frame of memory, possibly mapped.
    Frame {
        base: u64,
        size: FrameSize,
        rights: VmRights,
        is_device: bool,
        mapping: Option<Mapping>,
    },
    /// A page table (any level below the VSpace root), possibly mapped.
    PageTable { base: u64, mapping: Option<Mapping> },
    /// A VSpace root table, with the ASID it was assigned, if any.
    VSpace { base: u64, asid: Option<u16> },
    /// The authority to create ASID pools.
    AsidControl,
    /// A pool of 512 ASIDs starting at `asid_base`.
    AsidPool { base: u64, asid_base: u16 },
    /// The authority to send software-generated interrupt `irq` (0..16) to `target`.
    SgiSignal { irq: u64, target: u64 },
}

const ADDR_MASK: u64 = (1 << 48) - 1;
const fn field(w: u64, shift: u32, bits: u32) -> u64 {
    (w >> shift) & ((1 << bits) - 1)
}

/// A slot's two words, read but not decoded. The hot paths (the IPC fastpath, CSpace walks,
/// the return to user level) test the type tag and take the few fields they need; each
/// accessor gives exactly what [`Cap::decode`] gives for that type (decode uses them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawCap(pub [u64; 2]);

/// A CNode cap's fields: (slots at, radix, guard size, guard).
pub type CNodeFields = (u64, u64, u64, u64);

impl RawCap {
    #[inline(always)]
    fn is(self, t: CapType) -> bool {
        self.0[0] >> 59 == t as u64
    }
    /// The CNode cap's fields, if this is one.
    #[inline(always)]
    pub fn cnode(self) -> Option<CNodeFields> {
        self.is(CapType::CNode).then(|| self.cnode_fields())
    }
    #[inline(always)]
    fn cnode_fields(self) -> CNodeFields {
        let [w0, w1] = self.0;
        (
            field(w0, 0, 43) << 5,
            field(w0, 53, 6),
            field(w0, 47, 6),
            w1,
        )
    }
    /// The endpoint cap's (object, badge, rights), if this is one.
    #[inline(always)]
    pub fn endpoint(self) -> Option<(u64, u64, CapRights)> {
        self.is(CapType::Endpoint)
            .then(|| self.object_badge_rights())
    }
    /// The notification cap's (object, badge, rights), if this is one.
    #[inline(always)]
    pub fn notification(self) -> Option<(u64, u64, CapRights)> {
        self.is(CapType::Notification)
            .then(|| self.object_badge_rights())
    }
    #[inline(always)]
    fn object_badge_rights(self) -> (u64, u64, CapRights) {
        let [w0, w1] = self.0;
        (
            w0 & ADDR_MASK,
            w1,
            CapRights::from_bits_truncate(field(w0, 48, 4)),
        )
    }
    /// The reply cap's (thread, master, can_grant), if this is one.
    #[inline(always)]
    pub fn reply(self) -> Option<(u64, bool, bool)> {
        self.is(CapType::Reply).then(|| self.reply_fields())
    }
    #[inline(always)]
    fn reply_fields(self) -> (u64, bool, bool) {
        let [w0, w1] = self.0;
        (w1, field(w0, 1, 1) == 1, field(w0, 0, 1) == 1)
    }
    /// The VSpace cap's (root table, assigned ASID), if this is one.
    #[inline(always)]
    pub fn vspace(self) -> Option<(u64, Option<u16>)> {
        self.is(CapType::VSpace).then(|| self.vspace_fields())
    }
    #[inline(always)]
    fn vspace_fields(self) -> (u64, Option<u16>) {
        let [w0, w1] = self.0;
        (
            w1,
            (field(w0, 53, 1) == 1).then(|| field(w0, 37, 16) as u16),
        )
    }
    /// The frame cap's (base, size, rights, is device memory), if this is one (its mapping
    /// left out: the IPC buffer lookup needs none).
    #[inline(always)]
    pub fn frame(self) -> Option<(u64, FrameSize, VmRights, bool)> {
        self.is(CapType::Frame).then(|| self.frame_fields())
    }
    #[inline(always)]
    fn frame_fields(self) -> (u64, FrameSize, VmRights, bool) {
        let [w0, w1] = self.0;
        (
            w1,
            FrameSize::from_bits(field(w0, 57, 2)),
            VmRights::from_bits(field(w0, 55, 2)),
            field(w0, 54, 1) == 1,
        )
    }
    /// The words of a reply cap to `tcb` (what [`Cap::encode`] writes for one).
    #[inline(always)]
    pub const fn reply_cap(tcb: u64, master: bool, can_grant: bool) -> RawCap {
        RawCap([
            (CapType::Reply as u64) << 59 | (master as u64) << 1 | can_grant as u64,
            tcb,
        ])
    }
    /// True for an empty slot's words (what [`Cap::decode`] reads as Null may be more).
    #[inline(always)]
    pub fn is_zero(self) -> bool {
        self.0[0] == 0
    }
}

impl Cap {
    /// seL4's capability type tag (the value `DebugCapIdentify` returns).
    pub const fn cap_type(&self) -> CapType {
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

    /// Packs the cap into the two words of a slot.
    pub fn encode(&self) -> [u64; 2] {
        let tag = (self.cap_type() as u64) << 59;
        let mapping = |m: &Option<Mapping>| match m {
            Some(m) => 1 << 53 | (m.asid.get() as u64) << 37 | (m.vaddr >> 12) & ((1 << 36) - 1),
            None => 0,
        };
        match *self {
            Cap::Null => [0, 0],
            Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index,
            } => [
                tag | (is_device as u64) << 58 | (size_bits as u64) << 52 | (free_index >> 4),
                ptr,
            ],
            Cap::Endpoint { ptr, badge, rights } | Cap::Notification { ptr, badge, rights } => {
                [tag | (rights.bits() & 0xf) << 48 | ptr & ADDR_MASK, badge]
            }
            Cap::Reply {
                tcb,
                master,
                can_grant,
            } => RawCap::reply_cap(tcb, master, can_grant).0,
            Cap::CNode {
                ptr,
                radix,
                guard_size,
                guard,
            } => [
                tag | (radix as u64) << 53 | (guard_size as u64) << 47 | (ptr & ADDR_MASK) >> 5,
                guard,
            ],
            Cap::Thread { tcb } => [tag, tcb],
            Cap::IrqControl | Cap::Domain | Cap::AsidControl => [tag, 0],
            Cap::IrqHandler { irq } => [tag, irq],
            Cap::Zombie {
                ptr,
                is_tcb,
                radix,
                number,
            } => [
                tag | (is_tcb as u64) << 58 | (radix as u64) << 52 | number & ADDR_MASK,
                ptr,
            ],
            Cap::Frame {
                base,
                size,
                rights,
                is_device,
                mapping: m,
            } => [
                tag | (size as u64) << 57
                    | (rights as u64) << 55
                    | (is_device as u64) << 54
                    | mapping(&m),
                base,
            ],
            Cap::PageTable { base, mapping: m } => [tag | mapping(&m), base],
            Cap::VSpace { base, asid } => [
                tag | match asid {
                    Some(a) => 1 << 53 | (a as u64) << 37,
                    None => 0,
                },
                base,
            ],
            Cap::AsidPool { base, asid_base } => [tag | asid_base as u64, base],
            Cap::SgiSignal { irq, target } => [tag | irq & 0xf, target],
        }
    }

    /// Unpacks a cap from the two words of a slot. Words the kernel never wrote decode as
    /// the Null cap, never as an invalid value.
    pub fn decode(w: [u64; 2]) -> Cap {
        let raw = RawCap(w);
        let [w0, w1] = w;
        // A mapping with ASID 0 is one the kernel never writes: it reads as none.
        let mapping = || {
            (field(w0, 53, 1) == 1)
                .then(|| NonZeroU16::new(field(w0, 37, 16) as u16))
                .flatten()
                .map(|asid| Mapping {
                    asid,
                    vaddr: field(w0, 0, 36) << 12,
                })
        };
        let Some(t) = CapType::from_word(w0 >> 59) else {
            return Cap::Null;
        };
        match t {
            CapType::Null => Cap::Null,
            CapType::Untyped => Cap::Untyped {
                ptr: w1,
                size_bits: field(w0, 52, 6) as u8,
                is_device: field(w0, 58, 1) == 1,
                free_index: field(w0, 0, 48) << 4,
            },
            CapType::Endpoint => {
                let (ptr, badge, rights) = raw.object_badge_rights();
                Cap::Endpoint { ptr, badge, rights }
            }
            CapType::Notification => {
                let (ptr, badge, rights) = raw.object_badge_rights();
                Cap::Notification { ptr, badge, rights }
            }
            CapType::Reply => {
                let (tcb, master, can_grant) = raw.reply_fields();
                Cap::Reply {
                    tcb,
                    master,
                    can_grant,
                }
            }
            CapType::CNode => {
                let (ptr, radix, guard_size, guard) = raw.cnode_fields();
                Cap::CNode {
                    ptr,
                    radix: radix as u8,
                    guard_size: guard_size as u8,
                    guard,
                }
            }
            CapType::Thread => Cap::Thread { tcb: w1 },
            CapType::IrqControl => Cap::IrqControl,
            CapType::IrqHandler => Cap::IrqHandler { irq: w1 },
            CapType::Zombie => Cap::Zombie {
                ptr: w1,
                is_tcb: field(w0, 58, 1) == 1,
                radix: field(w0, 52, 6) as u8,
                number: w0 & ADDR_MASK,
            },
            CapType::Domain => Cap::Domain,
            CapType::Frame => {
                let (base, size, rights, is_device) = raw.frame_fields();
                Cap::Frame {
                    base,
                    size,
                    rights,
                    is_device,
                    mapping: mapping(),
                }
            }
            CapType::PageTable => Cap::PageTable {
                base: w1,
                mapping: mapping(),
            },
            CapType::VSpace => {
                let (base, asid) = raw.vspace_fields();
                Cap::VSpace { base, asid }
            }
            CapType::AsidControl => Cap::AsidControl,
            CapType::AsidPool => Cap::AsidPool {
                base: w1,
                asid_base: field(w0, 0, 16) as u16,
            },
            CapType::SgiSignal => Cap::SgiSignal {
                irq: field(w0, 0, 4),
                target: w1,
            },
            // Types this kernel never creates (SMC, VCPU, ...) read as empty.
            _ => Cap::Null,
        }
    }

    /// True for the Null cap.
    pub const fn is_null(&self) -> bool {
        matches!(self, Cap::Null)
    }
}

/// Facts about capabilities as a whole, as seL4's objecttype.c: which region or object a
/// cap names, and the rights, badges and guards a copy may have.
impl Cap {
    /// The physical region a cap covers, if it names memory: (base, size in bits).
    pub fn region(&self) -> Option<(u64, u64)> {
        Some(match *self {
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

    /// A VSpace object cap (seL4's arch caps on AArch64).
    fn is_arch(&self) -> bool {
        matches!(
            self,
            Cap::Frame { .. }
                | Cap::PageTable { .. }
                | Cap::VSpace { .. }
                | Cap::AsidControl
                | Cap::AsidPool { .. }
        )
    }

    /// seL4's sameRegionAs: `b` names (part of) what `a` names.
    pub fn same_region_as(&self, b: &Cap) -> bool {
        match (*self, *b) {
            (Cap::Untyped { ptr, size_bits, .. }, _) => b.region().is_some_and(|(bb, bs)| {
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
            (Cap::IrqControl, Cap::IrqControl | Cap::IrqHandler { .. } | Cap::SgiSignal { .. }) => {
                true
            }
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
    pub fn same_object_as(&self, b: &Cap) -> bool {
        match (*self, *b) {
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
            _ if self.is_arch() && b.is_arch() => self.same_region_as(b),
            _ => self.same_region_as(b),
        }
    }

    /// seL4's maskCapRights: a copy's rights are at most those asked for.
    pub fn mask_rights(&self, rights: CapRights) -> Cap {
        match *self {
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
            _ => *self,
        }
    }

    /// seL4's updateCapData: Mint's badge or guard. `preserve` (Mutate, Rotate) may not badge;
    /// a cap that is already badged cannot be badged again. Null means "not allowed".
    pub fn update_data(&self, preserve: bool, data: u64) -> Cap {
        match *self {
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
            _ => *self,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(c: Cap) {
        assert_eq!(Cap::decode(c.encode()), c, "{c:?}");
    }

    /// The raw accessors the hot paths use give what decoding gives, for every type tag
    /// and scattered field bits (a deterministic sweep: each tag with words from a
    /// multiplicative sequence).
    #[test]
    fn raw_accessors_agree_with_decode() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for tag in 0..32u64 {
            for _ in 0..200 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let w0 = tag << 59 | x >> 5;
                let w1 = x.rotate_left(17);
                let raw = RawCap([w0, w1]);
                let cap = Cap::decode([w0, w1]);
                let cnode = match cap {
                    Cap::CNode {
                        ptr,
                        radix,
                        guard_size,
                        guard,
                    } => Some((ptr, radix as u64, guard_size as u64, guard)),
                    _ => None,
                };
                assert_eq!(raw.cnode(), cnode, "{w0:#x} {w1:#x}");
                let ep = match cap {
                    Cap::Endpoint { ptr, badge, rights } => Some((ptr, badge, rights)),
                    _ => None,
                };
                assert_eq!(raw.endpoint(), ep);
                let ntfn = match cap {
                    Cap::Notification { ptr, badge, rights } => Some((ptr, badge, rights)),
                    _ => None,
                };
                assert_eq!(raw.notification(), ntfn);
                let reply = match cap {
                    Cap::Reply {
                        tcb,
                        master,
                        can_grant,
                    } => Some((tcb, master, can_grant)),
                    _ => None,
                };
                assert_eq!(raw.reply(), reply);
                let vspace = match cap {
                    Cap::VSpace { base, asid } => Some((base, asid)),
                    _ => None,
                };
                assert_eq!(raw.vspace(), vspace);
                let frame = match cap {
                    Cap::Frame {
                        base,
                        size,
                        rights,
                        is_device,
                        ..
                    } => Some((base, size, rights, is_device)),
                    _ => None,
                };
                assert_eq!(raw.frame(), frame);
                if let Some((tcb, master, can_grant)) = reply {
                    assert_eq!(
                        Cap::decode(RawCap::reply_cap(tcb, master, can_grant).0),
                        cap
                    );
                }
            }
        }
        assert!(RawCap([0, 0]).is_zero() && Cap::decode([0, 0]).is_null());
    }

    #[test]
    fn every_cap_type_round_trips_with_extreme_fields() {
        let top = (1u64 << 48) - 1;
        round_trip(Cap::Null);
        for (ptr, bits, dev, free) in [(0, 4, false, 0), (top & !0xf, 47, true, 1 << 47)] {
            round_trip(Cap::Untyped {
                ptr,
                size_bits: bits,
                is_device: dev,
                free_index: free,
            });
        }
        for badge in [0, 1, u64::MAX] {
            for r in 0..16 {
                let rights = CapRights::from_bits_truncate(r);
                round_trip(Cap::Endpoint {
                    ptr: top & !0xf,
                    badge,
                    rights,
                });
                round_trip(Cap::Notification {
                    ptr: 0x4000_0020,
                    badge,
                    rights,
                });
            }
        }
        round_trip(Cap::Reply {
            tcb: 0x4000_0800,
            master: true,
            can_grant: false,
        });
        round_trip(Cap::Reply {
            tcb: 0x4000_0800,
            master: false,
            can_grant: true,
        });
        round_trip(Cap::CNode {
            ptr: top & !0x1f,
            radix: 63,
            guard_size: 63,
            guard: u64::MAX,
        });
        round_trip(Cap::CNode {
            ptr: 0x4001_0000,
            radix: 12,
            guard_size: 52,
            guard: 0,
        });
        round_trip(Cap::Thread { tcb: 0x4000_0800 });
        round_trip(Cap::IrqControl);
        round_trip(Cap::IrqHandler { irq: 1019 });
        round_trip(Cap::Zombie {
            ptr: 0x4000_0800,
            is_tcb: true,
            radix: 0,
            number: 5,
        });
        round_trip(Cap::Domain);
        for size in [FrameSize::Small, FrameSize::Large, FrameSize::Huge] {
            for rights in [
                VmRights::KernelOnly,
                VmRights::ReadOnly,
                VmRights::ReadWrite,
            ] {
                let mapping = Some(Mapping {
                    asid: NonZeroU16::MAX,
                    vaddr: 0x7fff_ffff_f000,
                });
                round_trip(Cap::Frame {
                    base: top & !0xfff,
                    size,
                    rights,
                    is_device: true,
                    mapping,
                });
                round_trip(Cap::Frame {
                    base: 0,
                    size,
                    rights,
                    is_device: false,
                    mapping: None,
                });
            }
        }
        round_trip(Cap::PageTable {
            base: 0x4000_1000,
            mapping: Some(Mapping {
                asid: NonZeroU16::MIN,
                vaddr: 0x20_0000,
            }),
        });
        round_trip(Cap::PageTable {
            base: 0x4000_1000,
            mapping: None,
        });
        round_trip(Cap::VSpace {
            base: 0x4000_2000,
            asid: Some(1),
        });
        round_trip(Cap::VSpace {
            base: 0x4000_2000,
            asid: None,
        });
        round_trip(Cap::AsidControl);
        round_trip(Cap::AsidPool {
            base: 0x4000_3000,
            asid_base: 512,
        });
        round_trip(Cap::SgiSignal {
            irq: 15,
            target: 0xff00_ff0f,
        });
    }

    #[test]
    fn tag_is_sel4s_cap_type_in_the_top_five_bits() {
        let c = Cap::Thread { tcb: 0x4000_0800 };
        assert_eq!(c.encode()[0] >> 59, CapType::Thread as u64);
        assert_eq!(Cap::Null.encode(), [0, 0]);
    }

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
        assert!(ut.same_region_as(&inside));
        assert!(!ut.same_region_as(&outside));
        assert!(
            !ut.same_object_as(&ut),
            "untyped caps are never the same object"
        );
        let child = Cap::Untyped {
            ptr: 0x1800,
            size_bits: 11,
            is_device: false,
            free_index: 0,
        };
        assert!(ut.same_region_as(&child));
    }

    #[test]
    fn mint_badges_once_and_mutate_never() {
        let ep = Cap::Endpoint {
            ptr: 0x40,
            badge: 0,
            rights: CapRights::all(),
        };
        let badged = ep.update_data(false, 7);
        assert_eq!(
            badged,
            Cap::Endpoint {
                ptr: 0x40,
                badge: 7,
                rights: CapRights::all()
            }
        );
        assert_eq!(
            badged.update_data(false, 0),
            Cap::Null,
            "already badged, even with 0"
        );
        assert_eq!(ep.update_data(true, 0), Cap::Null, "Mutate of an endpoint");
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
            cn.update_data(true, d),
            Cap::CNode {
                ptr: 0x1000,
                radix: 12,
                guard_size: 52,
                guard: 5
            }
        );
        assert_eq!(
            cn.update_data(true, CNodeCapData::new(0, 53).to_word()),
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
        assert_eq!(ep.mask_rights(CapRights::all()), ep);
        assert!(
            matches!(ep.mask_rights(CapRights::WRITE), Cap::Endpoint { rights, .. } if rights == CapRights::WRITE)
        );
        let f = Cap::Frame {
            base: 0,
            size: FrameSize::Small,
            rights: VmRights::ReadWrite,
            is_device: false,
            mapping: None,
        };
        assert!(matches!(
            f.mask_rights(CapRights::READ),
            Cap::Frame {
                rights: VmRights::ReadOnly,
                ..
            }
        ));
        assert!(matches!(
            f.mask_rights(CapRights::WRITE),
            Cap::Frame {
                rights: VmRights::KernelOnly,
                ..
            }
        ));
    }
}

#[cfg(test)]
mod size {
    /// A cap fits in 32 bytes: the compiler copies it with four loads and stores instead of
    /// a call to memcpy (the hot paths move caps by value).
    #[test]
    fn a_cap_is_32_bytes() {
        assert_eq!(core::mem::size_of::<super::Cap>(), 32);
    }
}
