//! The domain cap: DomainSetSet (the model has a single domain, so it validates and changes
//! nothing), and the domain schedule: ScheduleConfigure and ScheduleSetStart.

use sel4_abi::DomainLabel;
use sel4_abi::config::{MAX_DOMAIN_DURATION, NUM_DOMAINS};

use crate::kernel::thread::reschedule_required;
use crate::model::error::SyscallError;
use crate::model::{Cap, State};

use super::Args;

/// A validated domain operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainInvocation {
    /// DomainSetSet: with one domain, nothing changes.
    SetDomain,
    /// Entry `index` becomes (domain, duration).
    Configure {
        index: usize,
        domain: u64,
        duration: u64,
    },
    /// The schedule starts again from entry `index`.
    SetStart(usize),
}

/// seL4's `decodeDomainInvocation`. The domain count (CONFIG_NUM_DOMAINS) and the longest
/// duration an entry can hold (56 bits: seL4 packs the domain in the top 8) come from
/// `sel4_abi::config`.
pub fn decode_domain(s: &State, a: &Args) -> Result<DomainInvocation, SyscallError> {
    let len = s.dom_schedule.len() as u64;
    match a.family_label()? {
        DomainLabel::SetSet => {
            let domain = a.mr(0).ok_or(SyscallError::TruncatedMessage)?;
            if domain >= NUM_DOMAINS {
                return Err(SyscallError::InvalidArgument(0));
            }
            let Some((tcap, _)) = a.excap(0) else {
                return Err(SyscallError::TruncatedMessage);
            };
            if !matches!(tcap, Cap::Thread { .. }) {
                return Err(SyscallError::InvalidArgument(1));
            }
            Ok(DomainInvocation::SetDomain)
        }
        DomainLabel::ScheduleConfigure => {
            // index, domain, duration (one word on a 64-bit kernel).
            let (Some(index), Some(domain), Some(duration)) = (a.mr(0), a.mr(1), a.mr(2)) else {
                return Err(SyscallError::TruncatedMessage);
            };
            if index >= len {
                return Err(SyscallError::RangeError {
                    min: 0,
                    max: len - 1,
                });
            }
            if domain >= NUM_DOMAINS {
                return Err(SyscallError::RangeError {
                    min: 0,
                    max: NUM_DOMAINS - 1,
                });
            }
            if duration > MAX_DOMAIN_DURATION {
                return Err(SyscallError::InvalidArgument(2));
            }
            // An end marker is domain 0 with duration 0.
            if duration == 0 && domain != 0 {
                return Err(SyscallError::InvalidArgument(1));
            }
            // The starting entry must not become an end marker.
            if index == s.dom_schedule_start as u64 && duration == 0 {
                return Err(SyscallError::InvalidArgument(2));
            }
            Ok(DomainInvocation::Configure {
                index: index as usize,
                domain,
                duration,
            })
        }
        DomainLabel::ScheduleSetStart => {
            let index = a.mr(0).ok_or(SyscallError::TruncatedMessage)?;
            if index >= len {
                return Err(SyscallError::RangeError {
                    min: 0,
                    max: len - 1,
                });
            }
            if s.dom_schedule[index as usize].1 == 0 {
                return Err(SyscallError::InvalidArgument(0));
            }
            Ok(DomainInvocation::SetStart(index as usize))
        }
    }
}

/// seL4's `invokeDomain*`.
pub fn invoke_domain(s: &mut State, inv: DomainInvocation) {
    match inv {
        DomainInvocation::SetDomain => {}
        DomainInvocation::Configure {
            index,
            domain,
            duration,
        } => s.dom_schedule[index] = (domain, duration),
        // The current domain's time ends: with one domain the same domain begins again.
        DomainInvocation::SetStart(index) => {
            s.dom_schedule_start = index;
            reschedule_required(s);
        }
    }
}
