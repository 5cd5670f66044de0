//! Syscall errors (seL4's current_syscall_error) and how they reach the caller: the reply
//! label is the error number, the payload goes in the first message registers.

use crate::kernel::cspace::LookupFault;
use sel4_abi::Error;

/// An invocation's error, with seL4's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysError {
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
    FailedLookup { source: bool, fault: LookupFault },
    /// The message is too short for the invocation.
    TruncatedMessage,
    /// The destination slot is not empty.
    DeleteFirst,
    /// The cap has children that must be revoked first.
    RevokeFirst,
    /// The untyped has only `n` bytes left.
    NotEnoughMemory(u64),
}

impl SysError {
    /// The reply label.
    pub const fn code(&self) -> Error {
        match self {
            SysError::InvalidArgument(_) => Error::InvalidArgument,
            SysError::InvalidCapability(_) => Error::InvalidCapability,
            SysError::IllegalOperation => Error::IllegalOperation,
            SysError::RangeError(..) => Error::RangeError,
            SysError::AlignmentError => Error::AlignmentError,
            SysError::FailedLookup { .. } => Error::FailedLookup,
            SysError::TruncatedMessage => Error::TruncatedMessage,
            SysError::DeleteFirst => Error::DeleteFirst,
            SysError::RevokeFirst => Error::RevokeFirst,
            SysError::NotEnoughMemory(_) => Error::NotEnoughMemory,
        }
    }

    /// The payload words (seL4's setMRs_syscall_error); the reply's length is their count.
    pub fn payload(&self) -> ([u64; 6], usize) {
        let mut w = [0u64; 6];
        let n = match *self {
            SysError::InvalidArgument(n)
            | SysError::InvalidCapability(n)
            | SysError::NotEnoughMemory(n) => {
                w[0] = n;
                1
            }
            SysError::RangeError(min, max) => {
                w[0] = min;
                w[1] = max;
                2
            }
            SysError::FailedLookup { source, fault } => {
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
pub fn lookup_failure_words(f: LookupFault, w: &mut [u64]) -> usize {
    w[0] = f.kind() as u64;
    match f {
        LookupFault::InvalidRoot => 1,
        LookupFault::MissingCapability { bits_left } => {
            w[1] = bits_left;
            2
        }
        LookupFault::DepthMismatch {
            bits_left,
            bits_found,
        } => {
            w[1] = bits_left;
            w[2] = bits_found;
            3
        }
        LookupFault::GuardMismatch {
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

/// Why an invocation did not complete: an error for the caller, or preemption (the caller
/// stays in Restart and runs the syscall again after the interrupt).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The invocation failed.
    Error(SysError),
    /// A long operation stopped for an interrupt; it continues when the syscall reruns.
    Preempted,
}

impl From<SysError> for Stop {
    fn from(e: SysError) -> Self {
        Stop::Error(e)
    }
}

impl From<crate::kernel::preemption::Preempted> for Stop {
    fn from(_: crate::kernel::preemption::Preempted) -> Self {
        Stop::Preempted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_match_sel4() {
        assert_eq!(SysError::InvalidArgument(3).payload().1, 1);
        assert_eq!(
            SysError::RangeError(1, 64).payload(),
            ([1, 64, 0, 0, 0, 0], 2)
        );
        let f = SysError::FailedLookup {
            source: true,
            fault: LookupFault::GuardMismatch {
                bits_left: 64,
                guard_found: 0,
                guard_size: 52,
            },
        };
        assert_eq!(f.payload(), ([1, 4, 64, 0, 52, 0], 5));
        let m = SysError::FailedLookup {
            source: false,
            fault: LookupFault::MissingCapability { bits_left: 12 },
        };
        assert_eq!(m.payload(), ([0, 2, 12, 0, 0, 0], 3));
        assert_eq!(SysError::DeleteFirst.payload().1, 0);
        assert_eq!(SysError::NotEnoughMemory(16).code(), Error::NotEnoughMemory);
    }
}
