//! The kernel's global state (seL4's ksCurThread and friends).

use crate::object::Tcb;

/// State outside any object: which thread runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelState {
    /// The thread that entered the kernel, or the one chosen to run next; None = idle.
    pub current: Option<Tcb>,
}
