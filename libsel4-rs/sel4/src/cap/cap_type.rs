//! Marker types for [`Cap<T>`](super::Cap): one per kind of kernel object, plus
//! [`Unspecified`] for a cap whose type the program does not claim.
//!
//! The markers are uninhabited enums: they exist only as type parameters.

use sel4_abi::{CapType as Tag, ObjectType};

/// A kind of capability: the `T` of [`Cap<T>`](super::Cap).
pub trait CapType: Copy + core::fmt::Debug + 'static {
    /// The name used in `Debug` output.
    const NAME: &'static str;
    /// What `DebugCapIdentify` reports for a cap of this kind (`None` for [`Unspecified`]).
    const IDENTIFY: Option<Tag>;
}

/// A kind of object with a fixed size that Untyped Retype can make: its object type.
pub trait FixedSizeObject: CapType {
    /// The object type passed to Retype.
    const OBJECT_TYPE: ObjectType;
    /// log2 of the object's size in bytes.
    const SIZE_BITS: u64;
}

/// A frame (page) of one of the three sizes AArch64 maps.
pub trait FrameType: FixedSizeObject {}

macro_rules! cap_types {
    ($($(#[$doc:meta])* $name:ident => $tag:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {}
        impl CapType for $name {
            const NAME: &'static str = stringify!($name);
            const IDENTIFY: Option<Tag> = $tag;
        }
    )*};
}

cap_types! {
    /// Untyped memory (`seL4_UntypedObject`), the source of every other object.
    Untyped => Some(Tag::Untyped);
    /// A thread control block (`seL4_TCBObject`).
    Tcb => Some(Tag::Thread);
    /// A synchronous IPC endpoint (`seL4_EndpointObject`).
    Endpoint => Some(Tag::Endpoint);
    /// An asynchronous notification (`seL4_NotificationObject`).
    Notification => Some(Tag::Notification);
    /// A CNode: a table of capability slots (`seL4_CapTableObject`).
    CNode => Some(Tag::CNode);
    /// The top-level translation table of an address space (`seL4_ARM_VSpaceObject`).
    VSpace => Some(Tag::VSpace);
    /// A lower-level translation table (`seL4_ARM_PageTableObject`).
    PageTable => Some(Tag::PageTable);
    /// A 4 KiB frame (`seL4_ARM_SmallPageObject`).
    SmallPage => Some(Tag::Frame);
    /// A 2 MiB frame (`seL4_ARM_LargePageObject`).
    LargePage => Some(Tag::Frame);
    /// A 1 GiB frame (`seL4_ARM_HugePageObject`).
    HugePage => Some(Tag::Frame);
    /// The ASID control cap (`seL4_CapASIDControl`): makes ASID pools.
    AsidControl => Some(Tag::AsidControl);
    /// An ASID pool: assigns ASIDs to VSpaces.
    AsidPool => Some(Tag::AsidPool);
    /// The IRQ control cap (`seL4_CapIRQControl`): makes IRQ handler caps.
    IrqControl => Some(Tag::IrqControl);
    /// The handler of one interrupt line.
    IrqHandler => Some(Tag::IrqHandler);
    /// The authority to send one software-generated interrupt to one target (Arm).
    SgiSignal => Some(Tag::SgiSignal);
    /// The domain cap (`seL4_CapDomain`): moves threads between scheduling domains.
    Domain => Some(Tag::Domain);
    /// A reply cap (saved with CNode SaveCaller).
    Reply => Some(Tag::Reply);
    /// A cap of no claimed type.
    Unspecified => None;
}

macro_rules! fixed_size {
    ($($name:ident => $ty:ident, $bits:expr;)*) => {$(
        impl FixedSizeObject for $name {
            const OBJECT_TYPE: ObjectType = ObjectType::$ty;
            const SIZE_BITS: u64 = $bits;
        }
    )*};
}

fixed_size! {
    Tcb => Tcb, sel4_abi::TCB_BITS;
    Endpoint => Endpoint, sel4_abi::ENDPOINT_BITS;
    Notification => Notification, sel4_abi::NOTIFICATION_BITS;
    VSpace => VSpace, sel4_abi::VSPACE_BITS;
    PageTable => PageTable, sel4_abi::PAGE_TABLE_BITS;
    SmallPage => SmallPage, sel4_abi::PAGE_BITS;
    LargePage => LargePage, sel4_abi::LARGE_PAGE_BITS;
    HugePage => HugePage, sel4_abi::HUGE_PAGE_BITS;
}

impl FrameType for SmallPage {}
impl FrameType for LargePage {}
impl FrameType for HugePage {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_sizes_match_the_abi() {
        fn check<T: FixedSizeObject>() {
            assert_eq!(
                T::OBJECT_TYPE.size_bits(0),
                Some(T::SIZE_BITS),
                "{}",
                T::NAME
            );
        }
        check::<Tcb>();
        check::<Endpoint>();
        check::<Notification>();
        check::<VSpace>();
        check::<PageTable>();
        check::<SmallPage>();
        check::<LargePage>();
        check::<HugePage>();
    }

    #[test]
    fn frames_are_frames() {
        assert!(SmallPage::OBJECT_TYPE.is_frame());
        assert!(LargePage::OBJECT_TYPE.is_frame());
        assert!(HugePage::OBJECT_TYPE.is_frame());
        assert_eq!(SmallPage::SIZE_BITS, 12);
        assert_eq!(LargePage::SIZE_BITS, 21);
        assert_eq!(HugePage::SIZE_BITS, 30);
    }

    #[test]
    fn identify_tags() {
        assert_eq!(Tcb::IDENTIFY, Some(Tag::Thread));
        assert_eq!(SmallPage::IDENTIFY, Some(Tag::Frame));
        assert_eq!(Unspecified::IDENTIFY, None);
        assert_eq!(Endpoint::NAME, "Endpoint");
    }
}
