//! Invocation errors (seL4's `syscall_error_t`) and the words a failed invocation replies with.
//!
//! They live in the model because every layer above it returns them: CSpace lookups for
//! invocations (`kernel::cspace`), the decoders (`object`) and the error replies.

use sel4_abi::Error;

use super::LookupFailure;

/// The error an invocation's decode or invoke step returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallError {
    /// Argument number `0` (in message-register order, caps counted separately) is bad.
    InvalidArgument(u64),
    /// Capability number `0` is bad (0 is the invoked cap, n the n-th extra cap).
    InvalidCapability(u64),
    /// The operation is not allowed on this cap.
    IllegalOperation,
    /// A value is outside `[min, max]`.
    RangeError { min: u64, max: u64 },
    /// An address or size is misaligned.
    AlignmentError,
    /// Looking up a cap argument failed; `source` says whether it was the source slot.
    FailedLookup {
        source: bool,
        failure: LookupFailure,
    },
    /// The message is shorter than the invocation needs.
    TruncatedMessage,
    /// The destination slot is not empty.
    DeleteFirst,
    /// The cap has children.
    RevokeFirst,
    /// The untyped has only `0` bytes left.
    NotEnoughMemory(u64),
}

impl SyscallError {
    /// The error code (the reply's label).
    pub fn code(&self) -> Error {
        match self {
            SyscallError::InvalidArgument(_) => Error::InvalidArgument,
            SyscallError::InvalidCapability(_) => Error::InvalidCapability,
            SyscallError::IllegalOperation => Error::IllegalOperation,
            SyscallError::RangeError { .. } => Error::RangeError,
            SyscallError::AlignmentError => Error::AlignmentError,
            SyscallError::FailedLookup { .. } => Error::FailedLookup,
            SyscallError::TruncatedMessage => Error::TruncatedMessage,
            SyscallError::DeleteFirst => Error::DeleteFirst,
            SyscallError::RevokeFirst => Error::RevokeFirst,
            SyscallError::NotEnoughMemory(_) => Error::NotEnoughMemory,
        }
    }

    /// The payload words (seL4's `setMRs_syscall_error`); the reply's length is their count.
    pub fn payload(&self) -> Vec<u64> {
        match *self {
            SyscallError::InvalidArgument(n) | SyscallError::InvalidCapability(n) => vec![n],
            SyscallError::RangeError { min, max } => vec![min, max],
            SyscallError::FailedLookup { source, failure } => {
                let mut w = vec![u64::from(source)];
                w.extend(failure.words());
                w
            }
            SyscallError::NotEnoughMemory(n) => vec![n],
            _ => vec![],
        }
    }
}

/// Lookup failures of cap arguments become FailedLookup errors naming the failure.
pub fn failed_lookup(source: bool) -> impl Fn(LookupFailure) -> SyscallError {
    move |failure| SyscallError::FailedLookup { source, failure }
}
