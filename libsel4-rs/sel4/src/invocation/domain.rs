//! The domain cap: moving threads between scheduling domains, and the domain schedule.

use sel4_abi::InvocationLabel as L;

use super::invoke_unit;
use crate::cap::Cap;
use crate::cap::cap_type::{Domain, Tcb};
use crate::error::Result;
use crate::message::Message;

/// Request for seL4_DomainSet_Set: word `(domain)`, cap `(thread)`.
pub fn domain_set_set(domain: u8, thread: Cap<Tcb>) -> Message {
    let mut m = Message::invocation(L::DomainSetSet);
    m.push(u64::from(domain)).push_cap(thread);
    m
}

/// Request for seL4_DomainSet_ScheduleConfigure: words `(index, domain, duration)`.
pub fn domain_schedule_configure(index: u64, domain: u8, duration: u64) -> Message {
    let mut m = Message::invocation(L::ScheduleConfigure);
    m.push(index).push(u64::from(domain)).push(duration);
    m
}

/// Request for seL4_DomainSet_ScheduleSetStart: word `(index)`.
pub fn domain_schedule_set_start(index: u64) -> Message {
    let mut m = Message::invocation(L::ScheduleSetStart);
    m.push(index);
    m
}

impl Cap<Domain> {
    /// seL4_DomainSet_ScheduleConfigure: entry `index` of the domain schedule runs `domain`
    /// for `duration` ticks; domain 0 with duration 0 is an end marker.
    pub fn domain_schedule_configure(self, index: u64, domain: u8, duration: u64) -> Result<()> {
        invoke_unit(self, &domain_schedule_configure(index, domain, duration))
    }

    /// seL4_DomainSet_ScheduleSetStart: the schedule starts (now, and after each end
    /// marker) from entry `index`.
    pub fn domain_schedule_set_start(self, index: u64) -> Result<()> {
        invoke_unit(self, &domain_schedule_set_start(index))
    }

    /// seL4_DomainSet_Set: puts `thread` in scheduling domain `domain`.
    pub fn domain_set_set(self, domain: u8, thread: Cap<Tcb>) -> Result<()> {
        invoke_unit(self, &domain_set_set(domain, thread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invocation::test_util::check;

    #[test]
    fn set() {
        check(
            &domain_set_set(3, Cap::from_cptr(1)),
            L::DomainSetSet,
            &[3],
            &[1],
        );
    }

    #[test]
    fn schedule() {
        check(
            &domain_schedule_configure(1, 0, 500),
            L::ScheduleConfigure,
            &[1, 0, 500],
            &[],
        );
        check(
            &domain_schedule_set_start(1),
            L::ScheduleSetStart,
            &[1],
            &[],
        );
    }
}
