//! Invocation errors with their payloads: what seL4 says went wrong, decoded from the reply.
//!
//! libsel4 returns only the `seL4_Error` code and leaves the payload in the message
//! registers; here each error carries its payload (the bad argument's number, the allowed
//! range, why a lookup failed, the bytes left), decoded at the positions `sel4_abi::error`
//! records.

use core::fmt;
use sel4_abi::error::{lookup_failure as lf, payload};
use sel4_abi::{Error as Code, LookupFailureType};

use crate::message::Message;

/// The result of an invocation.
pub type Result<T> = core::result::Result<T, Error>;

/// Why an invocation failed (`seL4_Error` with its payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// `seL4_InvalidArgument`: argument number `index` (counting message words) is bad.
    InvalidArgument {
        /// The number of the offending argument.
        index: u64,
    },
    /// `seL4_InvalidCapability`: capability argument `index` is the wrong kind or lacks a
    /// right (0 = the invoked cap for a Send or Call without Write).
    InvalidCapability {
        /// The number of the offending capability argument.
        index: u64,
    },
    /// `seL4_IllegalOperation`: the cap does not allow this operation.
    IllegalOperation,
    /// `seL4_RangeError`: a value lies outside `min..=max`.
    RangeError {
        /// Lowest allowed value.
        min: u64,
        /// Highest allowed value.
        max: u64,
    },
    /// `seL4_AlignmentError`: an address or size is misaligned.
    AlignmentError,
    /// `seL4_FailedLookup`: a slot argument could not be resolved.
    FailedLookup {
        /// Whether the lookup of a source slot failed (rather than a destination).
        source: bool,
        /// Why the lookup failed.
        failure: LookupFailure,
    },
    /// `seL4_TruncatedMessage`: too few message words or extra caps.
    TruncatedMessage,
    /// `seL4_DeleteFirst`: the destination slot or mapping is not empty.
    DeleteFirst,
    /// `seL4_RevokeFirst`: the cap has children and must be revoked first.
    RevokeFirst,
    /// `seL4_NotEnoughMemory`: the untyped has only `bytes_left` bytes free.
    NotEnoughMemory {
        /// Bytes still free in the untyped.
        bytes_left: u64,
    },
    /// A reply label that is not an seL4 error code, or a FailedLookup whose failure type
    /// does not decode. seL4 never sends one; a user-level server might.
    Unknown {
        /// The reply's label.
        label: u64,
    },
}

/// Why a capability lookup failed (`seL4_LookupFailureType` with its words).
///
/// Reported in a FailedLookup error's payload and in a cap fault message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LookupFailure {
    /// `seL4_InvalidRoot`: the root of the lookup is not a CNode cap.
    InvalidRoot,
    /// `seL4_MissingCapability`: an empty slot was reached with `bits_left` bits still to
    /// resolve.
    MissingCapability {
        /// Bits left to resolve.
        bits_left: u64,
    },
    /// `seL4_DepthMismatch`: a level would resolve `bits_found` bits but only `bits_left`
    /// were left, or a non-CNode cap was met with bits left (`bits_found` 0).
    DepthMismatch {
        /// Bits left to resolve.
        bits_left: u64,
        /// Bits the failing level resolves.
        bits_found: u64,
    },
    /// `seL4_GuardMismatch`: the address does not match the CNode cap's guard.
    GuardMismatch {
        /// Bits left to resolve.
        bits_left: u64,
        /// The guard stored in the CNode cap.
        guard_found: u64,
        /// That guard's size in bits.
        guard_size: u64,
    },
}

/// `words[i]`, or 0 past the end. seL4 always sends the full payload; a short one (from a
/// user-level server) decodes with zeros rather than failing.
fn word(words: &[u64], i: usize) -> u64 {
    words.get(i).copied().unwrap_or(0)
}

impl LookupFailure {
    /// Decodes a lookup failure from its words (type first, at `sel4_abi::error::lookup_failure`
    /// offsets); `None` for `seL4_NoFailure` or an unknown type.
    pub fn from_words(words: &[u64]) -> Option<Self> {
        let bits_left = word(words, lf::BITS_LEFT);
        Some(match LookupFailureType::from_word(word(words, lf::TYPE))? {
            LookupFailureType::NoFailure => return None,
            LookupFailureType::InvalidRoot => Self::InvalidRoot,
            LookupFailureType::MissingCapability => Self::MissingCapability { bits_left },
            LookupFailureType::DepthMismatch => Self::DepthMismatch {
                bits_left,
                bits_found: word(words, lf::DEPTH_BITS_FOUND),
            },
            LookupFailureType::GuardMismatch => Self::GuardMismatch {
                bits_left,
                guard_found: word(words, lf::GUARD_FOUND),
                guard_size: word(words, lf::GUARD_BITS_FOUND),
            },
        })
    }

    /// The failure's type code.
    pub const fn kind(&self) -> LookupFailureType {
        match self {
            Self::InvalidRoot => LookupFailureType::InvalidRoot,
            Self::MissingCapability { .. } => LookupFailureType::MissingCapability,
            Self::DepthMismatch { .. } => LookupFailureType::DepthMismatch,
            Self::GuardMismatch { .. } => LookupFailureType::GuardMismatch,
        }
    }

    /// Encodes the failure as the kernel writes it: the words and how many are used.
    pub fn to_words(&self) -> ([u64; 4], usize) {
        let mut w = [0u64; 4];
        w[lf::TYPE] = self.kind().word();
        match *self {
            Self::InvalidRoot => {}
            Self::MissingCapability { bits_left } => w[lf::BITS_LEFT] = bits_left,
            Self::DepthMismatch {
                bits_left,
                bits_found,
            } => {
                w[lf::BITS_LEFT] = bits_left;
                w[lf::DEPTH_BITS_FOUND] = bits_found;
            }
            Self::GuardMismatch {
                bits_left,
                guard_found,
                guard_size,
            } => {
                w[lf::BITS_LEFT] = bits_left;
                w[lf::GUARD_FOUND] = guard_found;
                w[lf::GUARD_BITS_FOUND] = guard_size;
            }
        }
        (w, self.kind().length())
    }
}

impl Error {
    /// Decodes a reply: `None` for label 0 (`seL4_NoError`), else the error with its payload
    /// read from `words` (the reply's message registers; missing words read as 0).
    pub fn from_reply(label: u64, words: &[u64]) -> Option<Self> {
        let Some(code) = Code::from_word(label) else {
            return Some(Self::Unknown { label });
        };
        Some(match code {
            Code::NoError => return None,
            Code::InvalidArgument => Self::InvalidArgument {
                index: word(words, payload::INVALID_ARGUMENT_NUMBER),
            },
            Code::InvalidCapability => Self::InvalidCapability {
                index: word(words, payload::INVALID_CAPABILITY_NUMBER),
            },
            Code::IllegalOperation => Self::IllegalOperation,
            Code::RangeError => Self::RangeError {
                min: word(words, payload::RANGE_MIN),
                max: word(words, payload::RANGE_MAX),
            },
            Code::AlignmentError => Self::AlignmentError,
            Code::FailedLookup => {
                let failure = words
                    .get(payload::FAILED_LOOKUP_FAILURE..)
                    .and_then(LookupFailure::from_words);
                match failure {
                    Some(failure) => Self::FailedLookup {
                        source: word(words, payload::FAILED_LOOKUP_WAS_SOURCE) != 0,
                        failure,
                    },
                    None => Self::Unknown { label },
                }
            }
            Code::TruncatedMessage => Self::TruncatedMessage,
            Code::DeleteFirst => Self::DeleteFirst,
            Code::RevokeFirst => Self::RevokeFirst,
            Code::NotEnoughMemory => Self::NotEnoughMemory {
                bytes_left: word(words, payload::NOT_ENOUGH_MEMORY_LEFT),
            },
        })
    }

    /// Decodes a received reply message (see [`from_reply`](Self::from_reply)).
    pub fn from_message(msg: &Message) -> Option<Self> {
        Self::from_reply(msg.label(), msg.words())
    }

    /// The plain `seL4_Error` code (`None` for [`Error::Unknown`]).
    pub fn code(&self) -> Option<Code> {
        Some(match self {
            Self::InvalidArgument { .. } => Code::InvalidArgument,
            Self::InvalidCapability { .. } => Code::InvalidCapability,
            Self::IllegalOperation => Code::IllegalOperation,
            Self::RangeError { .. } => Code::RangeError,
            Self::AlignmentError => Code::AlignmentError,
            Self::FailedLookup { .. } => Code::FailedLookup,
            Self::TruncatedMessage => Code::TruncatedMessage,
            Self::DeleteFirst => Code::DeleteFirst,
            Self::RevokeFirst => Code::RevokeFirst,
            Self::NotEnoughMemory { .. } => Code::NotEnoughMemory,
            Self::Unknown { .. } => return None,
        })
    }

    /// The reply label: the `seL4_Error` code, or the unknown label.
    pub fn label(&self) -> u64 {
        match (self.code(), self) {
            (Some(code), _) => code.word(),
            (None, Self::Unknown { label }) => *label,
            (None, _) => unreachable!("only Unknown has no code"),
        }
    }

    /// Encodes the error as the kernel replies with it: label and payload words, the
    /// length being the payload's (what a user-level server imitating the kernel sends).
    pub fn to_message(&self) -> Message {
        let mut m = Message::new(self.label());
        match *self {
            Self::InvalidArgument { index } | Self::InvalidCapability { index } => {
                m.push(index);
            }
            Self::RangeError { min, max } => {
                m.push(min).push(max);
            }
            Self::FailedLookup { source, failure } => {
                let (w, n) = failure.to_words();
                m.push(u64::from(source));
                for &x in &w[..n] {
                    m.push(x);
                }
            }
            Self::NotEnoughMemory { bytes_left } => {
                m.push(bytes_left);
            }
            Self::IllegalOperation
            | Self::AlignmentError
            | Self::TruncatedMessage
            | Self::DeleteFirst
            | Self::RevokeFirst
            | Self::Unknown { .. } => {}
        }
        m
    }
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::InvalidRoot => write!(f, "the root is not a CNode cap"),
            Self::MissingCapability { bits_left } => {
                write!(f, "missing capability ({bits_left} bits left)")
            }
            Self::DepthMismatch {
                bits_left,
                bits_found,
            } => write!(
                f,
                "depth mismatch ({bits_left} bits left, level resolves {bits_found})"
            ),
            Self::GuardMismatch {
                bits_left,
                guard_found,
                guard_size,
            } => write!(
                f,
                "guard mismatch ({bits_left} bits left, guard {guard_found:#x} of {guard_size} bits)"
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::InvalidArgument { index } => write!(f, "invalid argument {index}"),
            Self::InvalidCapability { index } => write!(f, "invalid capability {index}"),
            Self::IllegalOperation => write!(f, "illegal operation"),
            Self::RangeError { min, max } => write!(f, "out of range (allowed {min}..={max})"),
            Self::AlignmentError => write!(f, "misaligned"),
            Self::FailedLookup { source, failure } => write!(
                f,
                "lookup of the {} slot failed: {failure}",
                if source { "source" } else { "destination" }
            ),
            Self::TruncatedMessage => write!(f, "truncated message"),
            Self::DeleteFirst => write!(f, "destination not empty (delete first)"),
            Self::RevokeFirst => write!(f, "cap has children (revoke first)"),
            Self::NotEnoughMemory { bytes_left } => {
                write!(f, "not enough memory ({bytes_left} bytes left)")
            }
            Self::Unknown { label } => write!(f, "unknown error label {label}"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn no_error_is_success() {
        assert_eq!(Error::from_reply(0, &[]), None);
        assert_eq!(Error::from_reply(0, &[1, 2, 3]), None);
    }

    #[test]
    fn every_error_decodes_with_its_payload() {
        let cases: [(u64, &[u64], Error); 10] = [
            (1, &[3], Error::InvalidArgument { index: 3 }),
            (2, &[1], Error::InvalidCapability { index: 1 }),
            (3, &[], Error::IllegalOperation),
            (4, &[1, 36], Error::RangeError { min: 1, max: 36 }),
            (5, &[], Error::AlignmentError),
            (
                6,
                &[1, 2, 64],
                Error::FailedLookup {
                    source: true,
                    failure: LookupFailure::MissingCapability { bits_left: 64 },
                },
            ),
            (7, &[], Error::TruncatedMessage),
            (8, &[], Error::DeleteFirst),
            (9, &[], Error::RevokeFirst),
            (10, &[4096], Error::NotEnoughMemory { bytes_left: 4096 }),
        ];
        for (label, words, want) in cases {
            assert_eq!(Error::from_reply(label, words), Some(want), "label {label}");
            assert_eq!(want.label(), label);
            assert_eq!(want.code().map(Code::word), Some(label));
            let m = want.to_message();
            assert_eq!((m.label(), m.words()), (label, words), "{want:?}");
        }
    }

    #[test]
    fn every_lookup_failure_decodes() {
        let cases: [(&[u64], LookupFailure); 4] = [
            (&[0, 1], LookupFailure::InvalidRoot),
            (
                &[0, 2, 21],
                LookupFailure::MissingCapability { bits_left: 21 },
            ),
            (
                &[1, 3, 52, 0],
                LookupFailure::DepthMismatch {
                    bits_left: 52,
                    bits_found: 0,
                },
            ),
            (
                &[0, 4, 64, 0x5, 52],
                LookupFailure::GuardMismatch {
                    bits_left: 64,
                    guard_found: 5,
                    guard_size: 52,
                },
            ),
        ];
        for (words, failure) in cases {
            let source = words[0] != 0;
            let want = Error::FailedLookup { source, failure };
            assert_eq!(Error::from_reply(6, words), Some(want));
            assert_eq!(LookupFailure::from_words(&words[1..]), Some(failure));
            let (w, n) = failure.to_words();
            assert_eq!(&w[..n], &words[1..]);
            assert_eq!(n, failure.kind().length());
            assert_eq!(want.to_message().words(), words);
        }
    }

    #[test]
    fn undecodable_replies_are_unknown() {
        assert_eq!(
            Error::from_reply(11, &[]),
            Some(Error::Unknown { label: 11 })
        );
        assert_eq!(
            Error::from_reply(u64::MAX >> 12, &[]),
            Some(Error::Unknown {
                label: u64::MAX >> 12
            })
        );
        // FailedLookup with NoFailure or an unknown failure type.
        assert_eq!(
            Error::from_reply(6, &[0, 0]),
            Some(Error::Unknown { label: 6 })
        );
        assert_eq!(
            Error::from_reply(6, &[0, 9]),
            Some(Error::Unknown { label: 6 })
        );
        assert_eq!(Error::from_reply(6, &[]), Some(Error::Unknown { label: 6 }));
        assert_eq!(Error::Unknown { label: 77 }.label(), 77);
        assert_eq!(Error::Unknown { label: 77 }.code(), None);
        assert_eq!(LookupFailure::from_words(&[]), None);
    }

    #[test]
    fn short_payloads_read_as_zero() {
        assert_eq!(
            Error::from_reply(4, &[7]),
            Some(Error::RangeError { min: 7, max: 0 })
        );
        assert_eq!(
            Error::from_reply(1, &[]),
            Some(Error::InvalidArgument { index: 0 })
        );
        assert_eq!(
            Error::from_reply(6, &[1, 4, 9]),
            Some(Error::FailedLookup {
                source: true,
                failure: LookupFailure::GuardMismatch {
                    bits_left: 9,
                    guard_found: 0,
                    guard_size: 0
                }
            })
        );
    }

    #[test]
    fn display() {
        assert_eq!(
            Error::RangeError { min: 1, max: 36 }.to_string(),
            "out of range (allowed 1..=36)"
        );
        assert_eq!(
            Error::FailedLookup {
                source: false,
                failure: LookupFailure::MissingCapability { bits_left: 39 }
            }
            .to_string(),
            "lookup of the destination slot failed: missing capability (39 bits left)"
        );
        assert_eq!(
            Error::NotEnoughMemory { bytes_left: 16 }.to_string(),
            "not enough memory (16 bytes left)"
        );
        assert_eq!(
            LookupFailure::GuardMismatch {
                bits_left: 64,
                guard_found: 0x3,
                guard_size: 52
            }
            .to_string(),
            "guard mismatch (64 bits left, guard 0x3 of 52 bits)"
        );
    }
}
