//! The domain cap: moving threads between scheduling domains.

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

impl Cap<Domain> {
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
}
