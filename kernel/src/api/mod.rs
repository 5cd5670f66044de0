//! The user-visible surface: kernel events, syscalls, invocations, errors and faults.

pub mod debug;
pub mod error;
pub mod fault;
pub mod invocation;
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
    /// The kernel's timer ticked.
    TimerTick,
    /// Interrupt line `n` (not the timer) fired.
    Interrupt(u64),
}

/// seL4's handleEvent: performs `event` for the current thread, then schedules and
/// activates the thread to run. Afterwards `ks.current` is that thread, or None to idle.
pub fn handle_event<M: Machine>(ks: &mut KernelState, m: &mut M, event: Event) {
    #[cfg(feature = "trace")]
    crate::trace::entry(ks, m, event);
    match (event, ks.current) {
        (Event::Syscall, Some(t)) => syscall::handle_syscall(ks, m, t),
        (Event::Fault(f), Some(t)) => fault::handle_fault(ks, m, t, f),
        (Event::TimerTick, _) => thread::timer_tick(ks, m),
        (Event::Interrupt(irq), _) => crate::arch::irq::deliver(ks, m, irq),
        _ => {}
    }
    thread::schedule(ks, m);
    thread::activate(ks, m);
    #[cfg(feature = "trace")]
    crate::trace::exit(ks, m);
}

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod tests;
