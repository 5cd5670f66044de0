//! The domain cap: DomainSetSet (the model has a single domain, so it validates and does nothing).

use sel4_abi::InvocationLabel as L;

use crate::api::error::SyscallError;
use crate::model::{Cap, State};

use super::Args;

/// The number of scheduling domains (seL4's CONFIG_NUM_DOMAINS default).
pub const NUM_DOMAINS: u64 = 1;

/// seL4's `decodeDomainInvocation`.
pub fn decode(_s: &State, a: &Args) -> Result<(), SyscallError> {
    // Setting a thread's domain is the domain cap's only operation.
    if a.label != L::DomainSetSet.word() {
        return Err(SyscallError::IllegalOperation);
    }
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
    Ok(())
}
