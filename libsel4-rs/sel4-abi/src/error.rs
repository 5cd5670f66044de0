//! Invocation errors (`seL4_Error`), their payloads, and lookup-failure descriptions.
//!
//! A failed invocation replies with the error code as the message label and the payload in
//! the message registers; the reply's length is the number of payload words.

/// An invocation's result code (`seL4_Error`), returned as the reply label.
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// `seL4_NoError`: success. No payload.
    NoError = 0,
    /// `seL4_InvalidArgument`: payload mr0 = the number of the bad argument.
    InvalidArgument = 1,
    /// `seL4_InvalidCapability`: payload mr0 = which capability argument was bad (0 for the
    /// invoked cap of a Send or Call without the right to send).
    InvalidCapability = 2,
    /// `seL4_IllegalOperation`: the cap does not allow this. No payload.
    IllegalOperation = 3,
    /// `seL4_RangeError`: payload mr0 = lowest allowed value, mr1 = highest.
    RangeError = 4,
    /// `seL4_AlignmentError`: an address or size is misaligned. No payload.
    AlignmentError = 5,
    /// `seL4_FailedLookup`: payload mr0 = 1 if the source slot's lookup failed (else 0),
    /// then the lookup failure from mr1 (see [`LookupFailureType`]).
    FailedLookup = 6,
    /// `seL4_TruncatedMessage`: too few message words or extra caps. No payload.
    TruncatedMessage = 7,
    /// `seL4_DeleteFirst`: the destination slot is not empty. No payload.
    DeleteFirst = 8,
    /// `seL4_RevokeFirst`: the cap has children and must be revoked first. No payload.
    RevokeFirst = 9,
    /// `seL4_NotEnoughMemory`: payload mr0 = bytes left in the untyped.
    NotEnoughMemory = 10,
}

impl Error {
    /// Every error code, in numeric order.
    pub const ALL: [Error; 11] = [
        Error::NoError,
        Error::InvalidArgument,
        Error::InvalidCapability,
        Error::IllegalOperation,
        Error::RangeError,
        Error::AlignmentError,
        Error::FailedLookup,
        Error::TruncatedMessage,
        Error::DeleteFirst,
        Error::RevokeFirst,
        Error::NotEnoughMemory,
    ];

    /// The code as it appears in the reply label.
    pub const fn word(self) -> u64 {
        self as u64
    }

    /// Decodes a reply label; `None` if it is not an error code.
    pub fn from_word(w: u64) -> Option<Error> {
        Self::ALL.get(usize::try_from(w).ok()?).copied()
    }
}

/// Message-register indices of each error's payload (seL4's `setMRs_syscall_error`).
pub mod payload {
    /// `InvalidArgument`: the number of the offending argument.
    pub const INVALID_ARGUMENT_NUMBER: usize = 0;
    /// `InvalidCapability`: the index of the offending capability.
    pub const INVALID_CAPABILITY_NUMBER: usize = 0;
    /// `RangeError`: the lowest allowed value.
    pub const RANGE_MIN: usize = 0;
    /// `RangeError`: the highest allowed value.
    pub const RANGE_MAX: usize = 1;
    /// `FailedLookup`: 1 if the lookup of a source slot failed, 0 otherwise.
    pub const FAILED_LOOKUP_WAS_SOURCE: usize = 0;
    /// `FailedLookup`: where the lookup-failure words begin (type first).
    pub const FAILED_LOOKUP_FAILURE: usize = 1;
    /// `NotEnoughMemory`: the bytes still free in the untyped.
    pub const NOT_ENOUGH_MEMORY_LEFT: usize = 0;
}

/// Why a capability lookup failed (`seL4_LookupFailureType`).
///
/// A lookup failure is written as its type word followed by the words listed on each variant,
/// in an error payload and in a cap fault message.
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupFailureType {
    /// `seL4_NoFailure`.
    NoFailure = 0,
    /// `seL4_InvalidRoot`: the root is not a CNode cap. No further words.
    InvalidRoot = 1,
    /// `seL4_MissingCapability`: then bits left (the depth still to resolve).
    MissingCapability = 2,
    /// `seL4_DepthMismatch`: then bits left, bits found (the level's guard plus radix, or 0
    /// when a non-CNode cap was met with bits still to resolve).
    DepthMismatch = 3,
    /// `seL4_GuardMismatch`: then bits left, the guard stored in the CNode cap, its guard size.
    GuardMismatch = 4,
}

impl LookupFailureType {
    /// Every lookup-failure type, in numeric order.
    pub const ALL: [LookupFailureType; 5] = [
        LookupFailureType::NoFailure,
        LookupFailureType::InvalidRoot,
        LookupFailureType::MissingCapability,
        LookupFailureType::DepthMismatch,
        LookupFailureType::GuardMismatch,
    ];

    /// The type as a word.
    pub const fn word(self) -> u64 {
        self as u64
    }

    /// Decodes a type word; `None` if it is not a lookup-failure type.
    pub fn from_word(w: u64) -> Option<LookupFailureType> {
        Self::ALL.get(usize::try_from(w).ok()?).copied()
    }

    /// Words this failure takes in a message, its type word included.
    pub const fn length(self) -> usize {
        match self {
            Self::NoFailure | Self::InvalidRoot => 1,
            Self::MissingCapability => 2,
            Self::DepthMismatch => 3,
            Self::GuardMismatch => 4,
        }
    }
}

/// Word offsets within a lookup failure, counted from its type word.
pub mod lookup_failure {
    /// The [`super::LookupFailureType`] word.
    pub const TYPE: usize = 0;
    /// Bits left to resolve (MissingCapability, DepthMismatch, GuardMismatch).
    pub const BITS_LEFT: usize = 1;
    /// DepthMismatch: bits found at the failing level.
    pub const DEPTH_BITS_FOUND: usize = 2;
    /// GuardMismatch: the guard stored in the CNode cap.
    pub const GUARD_FOUND: usize = 2;
    /// GuardMismatch: the guard size stored in the CNode cap.
    pub const GUARD_BITS_FOUND: usize = 3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_pinned() {
        let expected = [
            (Error::NoError, 0),
            (Error::InvalidArgument, 1),
            (Error::InvalidCapability, 2),
            (Error::IllegalOperation, 3),
            (Error::RangeError, 4),
            (Error::AlignmentError, 5),
            (Error::FailedLookup, 6),
            (Error::TruncatedMessage, 7),
            (Error::DeleteFirst, 8),
            (Error::RevokeFirst, 9),
            (Error::NotEnoughMemory, 10),
        ];
        for (e, n) in expected {
            assert_eq!(e.word(), n, "{e:?}");
            assert_eq!(Error::from_word(n), Some(e));
        }
        assert_eq!(Error::ALL.map(Error::word), expected.map(|(_, n)| n));
    }

    #[test]
    fn error_from_word_rejects_out_of_range() {
        for w in [11, 12, 255, 1 << 32, u64::MAX] {
            assert_eq!(Error::from_word(w), None, "{w}");
        }
    }

    #[test]
    fn payload_indices_are_pinned() {
        assert_eq!(payload::INVALID_ARGUMENT_NUMBER, 0);
        assert_eq!(payload::INVALID_CAPABILITY_NUMBER, 0);
        assert_eq!(payload::RANGE_MIN, 0);
        assert_eq!(payload::RANGE_MAX, 1);
        assert_eq!(payload::FAILED_LOOKUP_WAS_SOURCE, 0);
        assert_eq!(payload::FAILED_LOOKUP_FAILURE, 1);
        assert_eq!(payload::NOT_ENOUGH_MEMORY_LEFT, 0);
    }

    #[test]
    fn lookup_failure_types_are_pinned() {
        let expected = [
            (LookupFailureType::NoFailure, 0, 1),
            (LookupFailureType::InvalidRoot, 1, 1),
            (LookupFailureType::MissingCapability, 2, 2),
            (LookupFailureType::DepthMismatch, 3, 3),
            (LookupFailureType::GuardMismatch, 4, 4),
        ];
        for (t, n, len) in expected {
            assert_eq!(t.word(), n, "{t:?}");
            assert_eq!(t.length(), len, "{t:?}");
            assert_eq!(LookupFailureType::from_word(n), Some(t));
        }
        for w in [5, 6, 1 << 40, u64::MAX] {
            assert_eq!(LookupFailureType::from_word(w), None, "{w}");
        }
    }

    #[test]
    fn lookup_failure_offsets_are_pinned() {
        assert_eq!(lookup_failure::TYPE, 0);
        assert_eq!(lookup_failure::BITS_LEFT, 1);
        assert_eq!(lookup_failure::DEPTH_BITS_FOUND, 2);
        assert_eq!(lookup_failure::GUARD_FOUND, 2);
        assert_eq!(lookup_failure::GUARD_BITS_FOUND, 3);
    }
}
