//! The domain cap, as seL4's domain.c: DomainSetSet (one domain in this configuration, so
//! it is validated and changes nothing), ScheduleConfigure and ScheduleSetStart.

use super::Args;
use crate::kernel::thread::reschedule_required;
use crate::machine::{Machine, Memory};
use crate::model::{Cap, KernelState, SyscallError};
use sel4_abi::DomainLabel;
use sel4_abi::config::{MAX_DOMAIN_DURATION, NUM_DOMAIN_SCHEDULES, NUM_DOMAINS};

/// A validated domain invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainInvocation {
    /// DomainSetSet: with one domain, every thread is in it already.
    SetDomain,
    /// ScheduleConfigure: entry `index` becomes (`domain`, `duration`).
    Configure {
        index: usize,
        domain: u64,
        duration: u64,
    },
    /// ScheduleSetStart: the schedule starts from entry `index`.
    SetStart(usize),
}

/// seL4's decodeDomainInvocation and the schedule decoders of domain.c.
pub fn decode_domain(
    ks: &KernelState,
    m: &impl Memory,
    a: &Args,
) -> Result<DomainInvocation, SyscallError> {
    let len = NUM_DOMAIN_SCHEDULES as u64;
    let Ok(label) = DomainLabel::try_from(a.label) else {
        return Err(SyscallError::IllegalOperation);
    };
    match label {
        DomainLabel::SetSet => {
            // seL4's order: the domain word, its range, then the thread cap.
            if a.length < 1 {
                return Err(SyscallError::TruncatedMessage);
            }
            if a.mr(m, 0) >= NUM_DOMAINS {
                return Err(SyscallError::InvalidArgument(0));
            }
            let Some((target, _)) = a.excap(m, 0) else {
                return Err(SyscallError::TruncatedMessage);
            };
            if !matches!(target, Cap::Thread { .. }) {
                return Err(SyscallError::InvalidArgument(1));
            }
            Ok(DomainInvocation::SetDomain)
        }
        DomainLabel::ScheduleConfigure => {
            // index, domain, duration (one word on a 64-bit kernel).
            if a.length < 3 {
                return Err(SyscallError::TruncatedMessage);
            }
            let (index, domain, duration) = (a.mr(m, 0), a.mr(m, 1), a.mr(m, 2));
            if index >= len {
                return Err(SyscallError::RangeError(0, len - 1));
            }
            if domain >= NUM_DOMAINS {
                return Err(SyscallError::RangeError(0, NUM_DOMAINS - 1));
            }
            if duration > MAX_DOMAIN_DURATION {
                return Err(SyscallError::InvalidArgument(2));
            }
            // An end marker is domain 0 with duration 0; the starting entry is never one.
            if duration == 0 && domain != 0 {
                return Err(SyscallError::InvalidArgument(1));
            }
            if index == ks.dom_schedule_start && duration == 0 {
                return Err(SyscallError::InvalidArgument(2));
            }
            Ok(DomainInvocation::Configure {
                index: index as usize,
                domain,
                duration,
            })
        }
        DomainLabel::ScheduleSetStart => {
            if a.length < 1 {
                return Err(SyscallError::TruncatedMessage);
            }
            let index = a.mr(m, 0);
            if index >= len {
                return Err(SyscallError::RangeError(0, len - 1));
            }
            if ks.dom_schedule[index as usize].1 == 0 {
                return Err(SyscallError::InvalidArgument(0));
            }
            Ok(DomainInvocation::SetStart(index as usize))
        }
    }
}

/// Performs a decoded domain invocation.
pub fn invoke_domain(ks: &mut KernelState, m: &mut impl Machine, inv: DomainInvocation) {
    match inv {
        DomainInvocation::SetDomain => {}
        DomainInvocation::Configure {
            index,
            domain,
            duration,
        } => ks.dom_schedule[index] = (domain, duration),
        DomainInvocation::SetStart(index) => {
            // The current domain's time ends; with one domain the same domain begins again.
            ks.dom_schedule_start = index as u64;
            reschedule_required(ks, m);
        }
    }
}
