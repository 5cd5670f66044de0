//! Typed capability pointers: `Cap<T>` names a slot in the caller's CSpace and says which
//! kind of object the program believes it holds.
//!
//! The type is a claim, not a check: the kernel decides what the slot really holds when the
//! cap is invoked, and a wrong claim comes back as an [`Error`](crate::Error) (or a cap
//! fault), never as undefined behaviour. [`Cap::debug_identify`] asks the kernel what the
//! slot holds, for tests and diagnostics.

pub mod cap_type;
mod init;
mod slot;

use core::fmt;
use core::marker::PhantomData;

pub use cap_type::{CapType, FixedSizeObject, FrameType};
pub use init::*;
pub use slot::AbsoluteCPtr;

/// A raw capability pointer: an address in a CSpace (`seL4_CPtr`).
pub type CPtr = u64;

/// A badge: the 64-bit word a badged endpoint or notification cap delivers (`seL4_Word`).
pub type Badge = u64;

/// A capability pointer to an object of type `T` (`seL4_CPtr` with a type attached).
///
/// `#[repr(transparent)]` over the cptr word, `Copy`, and free to cast: the type only selects
/// which invocation methods are available.
#[repr(transparent)]
pub struct Cap<T: CapType> {
    cptr: CPtr,
    _type: PhantomData<T>,
}

impl<T: CapType> Cap<T> {
    /// The cap at `cptr` in the caller's CSpace, claimed to be a `T`.
    pub const fn from_cptr(cptr: CPtr) -> Self {
        Self {
            cptr,
            _type: PhantomData,
        }
    }

    /// The null cap pointer (slot 0, `seL4_CapNull`): "no cap" where an invocation allows it.
    pub const fn null() -> Self {
        Self::from_cptr(sel4_abi::init_cap::NULL)
    }

    /// The raw capability pointer.
    pub const fn cptr(self) -> CPtr {
        self.cptr
    }

    /// Whether this is the null cap pointer.
    pub const fn is_null(self) -> bool {
        self.cptr == sel4_abi::init_cap::NULL
    }

    /// The same cptr claimed to be a `U` (no check is made; see the module docs).
    pub const fn cast<U: CapType>(self) -> Cap<U> {
        Cap::from_cptr(self.cptr)
    }

    /// The same cptr with its type forgotten.
    pub const fn upcast(self) -> Cap<cap_type::Unspecified> {
        self.cast()
    }

    /// seL4_DebugCapIdentify: what the slot really holds, `None` for an empty slot or a
    /// failed lookup (or a tag this library does not know).
    pub fn debug_identify(self) -> Option<sel4_abi::CapType> {
        match crate::syscall::debug_cap_identify(self.cptr) {
            0 => None,
            tag => sel4_abi::CapType::from_word(tag),
        }
    }

    /// Whether [`debug_identify`](Self::debug_identify) agrees with `T` (always true for
    /// [`cap_type::Unspecified`]).
    pub fn debug_is_expected_type(self) -> bool {
        match T::IDENTIFY {
            Some(expected) => self.debug_identify() == Some(expected),
            None => true,
        }
    }
}

// Manual impls: deriving would demand the same traits of the marker `T`.
impl<T: CapType> Clone for Cap<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: CapType> Copy for Cap<T> {}
impl<T: CapType> PartialEq for Cap<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cptr == other.cptr
    }
}
impl<T: CapType> Eq for Cap<T> {}
impl<T: CapType> PartialOrd for Cap<T> {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T: CapType> Ord for Cap<T> {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.cptr.cmp(&other.cptr)
    }
}
impl<T: CapType> core::hash::Hash for Cap<T> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.cptr.hash(state);
    }
}
impl<T: CapType> fmt::Debug for Cap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cap<{}>({:#x})", T::NAME, self.cptr)
    }
}
impl<T: CapType> Default for Cap<T> {
    /// The null cap pointer.
    fn default() -> Self {
        Self::null()
    }
}

/// Aliases in the style of rust-sel4's `sel4::cap` module: `cap::Endpoint` is
/// `Cap<cap_type::Endpoint>`.
pub mod aliases {
    use super::{Cap, cap_type};

    /// A cap to untyped memory.
    pub type Untyped = Cap<cap_type::Untyped>;
    /// A cap to a thread control block.
    pub type Tcb = Cap<cap_type::Tcb>;
    /// A cap to an endpoint.
    pub type Endpoint = Cap<cap_type::Endpoint>;
    /// A cap to a notification.
    pub type Notification = Cap<cap_type::Notification>;
    /// A cap to a CNode.
    pub type CNode = Cap<cap_type::CNode>;
    /// A cap to a top-level translation table.
    pub type VSpace = Cap<cap_type::VSpace>;
    /// A cap to a lower-level translation table.
    pub type PageTable = Cap<cap_type::PageTable>;
    /// A cap to a 4 KiB frame.
    pub type SmallPage = Cap<cap_type::SmallPage>;
    /// A cap to a 2 MiB frame.
    pub type LargePage = Cap<cap_type::LargePage>;
    /// A cap to a 1 GiB frame.
    pub type HugePage = Cap<cap_type::HugePage>;
    /// The ASID control cap.
    pub type AsidControl = Cap<cap_type::AsidControl>;
    /// A cap to an ASID pool.
    pub type AsidPool = Cap<cap_type::AsidPool>;
    /// The IRQ control cap.
    pub type IrqControl = Cap<cap_type::IrqControl>;
    /// A cap to one interrupt's handler.
    pub type IrqHandler = Cap<cap_type::IrqHandler>;
    /// A cap to send one software-generated interrupt.
    pub type SgiSignal = Cap<cap_type::SgiSignal>;
    /// The domain cap.
    pub type Domain = Cap<cap_type::Domain>;
    /// A reply cap.
    pub type Reply = Cap<cap_type::Reply>;
    /// A cap of no particular type.
    pub type Unspecified = Cap<cap_type::Unspecified>;
}

#[cfg(test)]
mod tests {
    use super::cap_type::*;
    use super::*;

    #[test]
    fn cap_is_a_bare_word() {
        assert_eq!(size_of::<Cap<Endpoint>>(), 8);
        assert_eq!(align_of::<Cap<Tcb>>(), 8);
        let c = Cap::<Endpoint>::from_cptr(0x42);
        assert_eq!(c.cptr(), 0x42);
        let d = c;
        assert_eq!(c, d);
    }

    #[test]
    fn casts_keep_the_cptr() {
        let c = Cap::<Untyped>::from_cptr(77);
        assert_eq!(c.cast::<Tcb>().cptr(), 77);
        assert_eq!(c.upcast().cast::<Untyped>(), c);
        assert!(Cap::<Tcb>::null().is_null());
        assert!(!c.is_null());
        assert_eq!(Cap::<CNode>::default(), Cap::null());
    }

    #[test]
    fn debug_names_the_type() {
        extern crate std;
        use std::format;
        assert_eq!(
            format!("{:?}", Cap::<Notification>::from_cptr(0x1f)),
            "Cap<Notification>(0x1f)"
        );
        assert_eq!(format!("{:?}", init_thread_tcb()), "Cap<Tcb>(0x1)");
    }
}
