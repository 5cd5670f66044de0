//! The one cap projection: how a capability reads in the trace's terms ([`CapProj`]).
//!
//! The kernel's `model::Cap` and the spec's `model::Cap` are independent types (the spec
//! must not share the kernel's code), but both carry seL4's variants and fields under the
//! same names. [`project_cap!`] writes the mapping once for both: the kernel's trace
//! recorder projects the kernel's caps with it, and the replay the spec's. Each side says
//! only how its frame size and VM rights read as seL4's numbers.

/// Projects the cap `$cap` (of the enum named `$Cap`, in scope at the call) into a
/// [`CapProj`](crate::CapProj). `frame_size: x => e` binds the frame variant's size field
/// (`x`, whatever that type calls it) and gives its log2 size in bytes as `e`;
/// `vm_rights: r => e` gives a frame's VM rights as seL4 numbers them (KernelOnly 1,
/// ReadOnly 2, ReadWrite 3).
#[macro_export]
macro_rules! project_cap {
    ($cap:expr, $Cap:ident, frame_size: $size:ident => $size_bits:expr,
     vm_rights: $vm:ident => $vm_bits:expr) => {{
        use $crate::CapProj as P;
        match $cap {
            $Cap::Null => P::Null,
            $Cap::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index,
            } => P::Untyped {
                ptr,
                size_bits,
                is_device,
                free_index,
            },
            $Cap::Endpoint { ptr, badge, rights } => P::Endpoint {
                ptr,
                badge,
                rights: rights.bits() as u8,
            },
            $Cap::Notification { ptr, badge, rights } => P::Notification {
                ptr,
                badge,
                rights: rights.bits() as u8,
            },
            $Cap::Reply {
                tcb,
                master,
                can_grant,
            } => P::Reply {
                tcb,
                master,
                can_grant,
            },
            $Cap::CNode {
                ptr,
                radix,
                guard_size,
                guard,
            } => P::CNode {
                ptr,
                radix,
                guard_size,
                guard,
            },
            $Cap::Thread { tcb } => P::Thread { tcb },
            $Cap::IrqControl => P::IrqControl,
            $Cap::IrqHandler { irq } => P::IrqHandler { irq },
            $Cap::Zombie {
                ptr,
                is_tcb,
                radix,
                number,
            } => P::Zombie {
                ptr,
                is_tcb,
                radix,
                number,
            },
            $Cap::Domain => P::Domain,
            $Cap::Frame {
                base,
                $size,
                rights: $vm,
                is_device,
                mapping,
            } => P::Frame {
                base,
                size_bits: $size_bits,
                rights: $vm_bits,
                is_device,
                mapping: mapping.map(|m| (u16::from(m.asid), m.vaddr)),
            },
            $Cap::PageTable { base, mapping } => P::PageTable {
                base,
                mapping: mapping.map(|m| (u16::from(m.asid), m.vaddr)),
            },
            $Cap::VSpace { base, asid } => P::VSpace { base, asid },
            $Cap::AsidControl => P::AsidControl,
            $Cap::AsidPool { base, asid_base } => P::AsidPool { base, asid_base },
            $Cap::SgiSignal { irq, target } => P::SgiSignal { irq, target },
        }
    }};
}
