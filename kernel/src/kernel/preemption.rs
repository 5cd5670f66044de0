//! Preemption points in long-running operations (deleting, revoking, resetting untyped
//! memory), as seL4's preemptionPoint: every so many units of work the kernel checks for
//! a pending interrupt and, if there is one, stops. The invoking thread stays in the
//! Restart state, so once the interrupt has been taken it executes the syscall again, which
//! continues where the work stopped: zombies count the slots left to clear, revoke finds
//! the remaining children, and an untyped's watermark marks what is left to zero.

use crate::machine::Machine;
use crate::model::KernelState;

/// Units of work between checks (seL4's CONFIG_MAX_NUM_WORK_UNITS_PER_PREEMPTION).
pub const WORK_UNITS_PER_CHECK: u64 = sel4_abi::config::MAX_NUM_WORK_UNITS_PER_PREEMPTION;

/// A long operation stopped for a pending interrupt; the syscall will run again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preempted;

/// seL4's preemptionPoint: counts one unit of work; every [`WORK_UNITS_PER_CHECK`] units,
/// stops if an interrupt is pending.
pub fn preemption_point(ks: &mut KernelState, m: &impl Machine) -> Result<(), Preempted> {
    ks.work_units += 1;
    if ks.work_units >= WORK_UNITS_PER_CHECK {
        ks.work_units = 0;
        #[cfg(feature = "trace")]
        {
            ks.trace_checks += 1;
        }
        if m.interrupt_pending() {
            #[cfg(feature = "trace")]
            {
                ks.trace_preempted_at = ks.trace_checks;
            }
            return Err(Preempted);
        }
    }
    Ok(())
}
