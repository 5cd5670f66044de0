//! The one entry point: [`handle_event`] takes the kernel through one kernel entry, as
//! seL4's handleEvent.

use super::syscall::handle_syscall;
use crate::kernel::fault::handle_fault;
use crate::kernel::interrupt::handle_interrupt;
use crate::kernel::thread::{activate_thread, schedule, timer_tick};
use crate::machine::Machine;
use crate::model::{Fault, KernelState};

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
    match (event, ks.current) {
        (Event::Syscall, Some(t)) => handle_syscall(ks, m, t),
        (Event::Fault(f), Some(t)) => handle_fault(ks, m, t, f),
        (Event::TimerTick, _) => timer_tick(ks, m),
        (Event::Interrupt(irq), _) => handle_interrupt(ks, m, irq),
        _ => {}
    }
    schedule(ks, m);
    activate_thread(ks, m);
}
