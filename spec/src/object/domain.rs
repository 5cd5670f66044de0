//! The domain cap: DomainSetSet (the model has a single domain, so it validates and changes
//! nothing), and the domain schedule: ScheduleConfigure and ScheduleSetStart.

use sel4_abi::InvocationLabel as L;

use crate::kernel::thread::reschedule_required;
use crate::model::error::SyscallError;
use crate::model::{Cap, State};

use super::Args;

/// The number of scheduling domains (seL4's CONFIG_NUM_DOMAINS default).
pub const NUM_DOMAINS: u64 = 1;
/// Entries in the domain schedule (seL4's CONFIG_NUM_DOMAIN_SCHEDULES, as this kernel is
/// built).
pub const NUM_DOMAIN_SCHEDULES: usize = 2;
/// The longest duration an entry can hold: 56 bits (seL4 packs the domain in the top 8).
pub const MAX_DURATION: u64 = u64::MAX >> 8;

/// A validated domain operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainOp {
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

/// seL4's `decodeDomainInvocation`.
pub fn decode(s: &State, a: &Args) -> Result<DomainOp, SyscallError> {
    let len = s.dom_schedule.len() as u64;
    match a.label {
        l if l == L::DomainSetSet.word() => {
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
            Ok(DomainOp::SetDomain)
        }
        l if l == L::ScheduleConfigure.word() => {
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
            if duration > MAX_DURATION {
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
            Ok(DomainOp::Configure {
                index: index as usize,
                domain,
                duration,
            })
        }
        l if l == L::ScheduleSetStart.word() => {
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
            Ok(DomainOp::SetStart(index as usize))
        }
        _ => Err(SyscallError::IllegalOperation),
    }
}

/// seL4's `invokeDomain*`.
pub fn invoke(s: &mut State, op: DomainOp) {
    match op {
        DomainOp::SetDomain => {}
        DomainOp::Configure {
            index,
            domain,
            duration,
        } => s.dom_schedule[index] = (domain, duration),
        // The current domain's time ends: with one domain the same domain begins again.
        DomainOp::SetStart(index) => {
            s.dom_schedule_start = index;
            reschedule_required(s);
        }
    }
}
