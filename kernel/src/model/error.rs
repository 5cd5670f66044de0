//! Syscall errors (seL4's current_syscall_error) and lookup failures, with the payloads
//! they reach the caller with: the reply label is the error number, the payload goes in the
//! first message registers.

use sel4_abi::{Error, LookupFailureType};

/// Why a capability lookup failed, with the payload seL4 reports for it (seL4's
/// lookup_fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupFailure {
    /// The root cap is not a CNode.
    InvalidRoot,
    /// The slot reached is empty (reported by callers that need a cap).
    MissingCapability { bits_left: u64 },
    /// The CNode's radix and guard needed more bits than were left, or a non-CNode cap was
    /// met with bits still to resolve (`bits_found` 0).
    DepthMismatch { bits_left: u64, bits_found: u64 },
    /// The guard bits in the pointer differ from the CNode's guard.
    GuardMismatch {
        bits_left: u64,
        guard_found: u64,
        guard_size: u64,
    },
}

impl LookupFailure {
    /// seL4's lookup failure type number.
    pub const fn kind(&self) -> LookupFailureType {
        match self {
            LookupFailure::InvalidRoot => LookupFailureType::InvalidRoot,
            LookupFailure::MissingCapability { .. } => LookupFailureType::MissingCapability,
            LookupFailure::DepthMismatch { .. } => LookupFailureType::DepthMismatch,
            LookupFailure::GuardMismatch { .. } => LookupFailureType::GuardMismatch,
        }
    }
}

/// An invocation's error, with seL4's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallError {
    /// Argument `n` (a message-register index) is invalid.
    InvalidArgument(u64),
    /// Capability argument `n` (0 = the invoked cap) is invalid.
    InvalidCapability(u64),
    /// The operation is not allowed on this object.
    IllegalOperation,
    /// An argument is outside `[min, max]`.
    RangeError(u64, u64),
    /// An address or size is misaligned.
    AlignmentError,
    /// A capability argument did not resolve (`source`: it was the source of a copy).
    FailedLookup { source: bool, fault: LookupFailure },
    /// The message is too short for the invocation.
    TruncatedMessage,
    /// The destination slot is not empty.
    DeleteFirst,
    /// The cap has children that must be revoked first.
    RevokeFirst,
    /// The untyped has only `n` bytes left.
    NotEnoughMemory(u64),
}

impl SyscallError {
    /// The reply label.
    pub const fn code(&self) -> Error {
        match self {
            SyscallError::InvalidArgument(_) => Error::InvalidArgument,
            SyscallError::InvalidCapability(_) => Error::InvalidCapability,
            SyscallError::IllegalOperation => Error::IllegalOperation,
            SyscallError::RangeError(..) => Error::RangeError,
            SyscallError::AlignmentError => Error::AlignmentError,
            SyscallError::FailedLookup { .. } => Error::FailedLookup,
            SyscallError::TruncatedMessage => Error::TruncatedMessage,
            SyscallError::DeleteFirst => Error::DeleteFirst,
            SyscallError::RevokeFirst => Error::RevokeFirst,
            SyscallError::NotEnoughMemory(_) => Error::NotEnoughMemory,
        }
    }

    /// The payload words (seL4's setMRs_syscall_error); the reply's length is their count.
    pub fn payload(&self) -> ([u64; 6], usize) {
        let mut w = [0u64; 6];
        let n = match *self {
            SyscallError::InvalidArgument(n)
            | SyscallError::InvalidCapability(n)
            | SyscallError::NotEnoughMemory(n) => {
                w[0] = n;
                1
            }
            SyscallError::RangeError(min, max) => {
                w[0] = min;
                w[1] = max;
                2
            }
            SyscallError::FailedLookup { source, fault } => {
                w[0] = source as u64;
                1 + lookup_failure_words(fault, &mut w[1..])
            }
            _ => 0,
        };
        (w, n)
    }
}

/// Writes a lookup failure as seL4's setMRs_lookup_failure: its type, then its words.
/// Returns how many words it wrote.
pub fn lookup_failure_words(f: LookupFailure, w: &mut [u64]) -> usize {
    w[0] = f.kind() as u64;
    match f {
        LookupFailure::InvalidRoot => 1,
        LookupFailure::MissingCapability { bits_left } => {
            w[1] = bits_left;
            2
        }
        LookupFailure::DepthMismatch {
            bits_left,
            bits_found,
        } => {
            w[1] = bits_left;
            w[2] = bits_found;
            3
        }
        LookupFailure::GuardMismatch {
            bits_left,
            guard_found,
            guard_size,
        } => {
            w[1] = bits_left;
            w[2] = guard_found;
            w[3] = guard_size;
            4
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_match_sel4() {
        assert_eq!(SyscallError::InvalidArgument(3).payload().1, 1);
        assert_eq!(
            SyscallError::RangeError(1, 64).payload(),
            ([1, 64, 0, 0, 0, 0], 2)
        );
        let f = SyscallError::FailedLookup {
            source: true,
            fault: LookupFailure::GuardMismatch {
                bits_left: 64,
                guard_found: 0,
                guard_size: 52,
            },
        };
        assert_eq!(f.payload(), ([1, 4, 64, 0, 52, 0], 5));
        let m = SyscallError::FailedLookup {
            source: false,
            fault: LookupFailure::MissingCapability { bits_left: 12 },
        };
        assert_eq!(m.payload(), ([0, 2, 12, 0, 0, 0], 3));
        assert_eq!(SyscallError::DeleteFirst.payload().1, 0);
        assert_eq!(
            SyscallError::NotEnoughMemory(16).code(),
            Error::NotEnoughMemory
        );
    }
}
