//! Threads and scheduling: choosing what runs next.
//!
//! For now the only thread is the root task; the ready queues, priorities and timeslices
//! of seL4's scheduler come with the kernel-core work.

use crate::machine::Memory;
use crate::model::KernelState;

/// seL4's schedule(): keep the current thread if it can still run, else go idle.
pub fn schedule(ks: &mut KernelState, m: &impl Memory) {
    if let Some(t) = ks.current
        && !t.state(m).is_runnable()
    {
        ks.current = None;
    }
}
