//! The user-visible surface: kernel events, syscalls and faults.

pub mod fault;
pub mod syscall;

use crate::kernel::thread;
use crate::machine::Machine;
use crate::model::KernelState;
pub use fault::Fault;

/// Why the kernel was entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// `svc #0` from user level; the number is in the saved x7.
    Syscall,
    /// A synchronous exception from user level that is not a syscall.
    Fault(Fault),
}

/// seL4's handleEvent: performs `event` for the current thread, then schedules. Afterwards
/// `ks.current` is the thread to resume, or None to idle.
pub fn handle_event<M: Machine>(ks: &mut KernelState, m: &mut M, event: Event) {
    if let Some(t) = ks.current {
        match event {
            Event::Syscall => syscall::handle_syscall(ks, m, t),
            Event::Fault(f) => fault::handle_fault(m, t, f),
        }
    }
    thread::schedule(ks, m);
}
