//! Preemption points: long operations (resetting an untyped's memory, deleting a CNode or
//! TCB, revoking) count units of work and every so many check for a pending interrupt, as
//! seL4's `preemptionPoint`. When one is pending the operation stops where it is; its caller
//! stays in the Restart state and executes the syscall again, which carries on from the
//! progress recorded (an untyped's watermark, a zombie, the children left).

use sel4_abi::config::MAX_NUM_WORK_UNITS_PER_PREEMPTION;

use crate::model::State;

/// seL4's `preemptionPoint`: counts one unit of work; every
/// [`MAX_NUM_WORK_UNITS_PER_PREEMPTION`] units (seL4's
/// CONFIG_MAX_NUM_WORK_UNITS_PER_PREEMPTION) it checks for an interrupt. Returns true (and
/// records it) if the operation must stop.
pub fn preemption_point(s: &mut State) -> bool {
    s.work_units += 1;
    if s.work_units < MAX_NUM_WORK_UNITS_PER_PREEMPTION {
        return false;
    }
    s.work_units = 0;
    s.checks += 1;
    if s.preempt_at == Some(s.checks) {
        s.preempted = true;
    }
    s.preempted
}
