//! The one entry point: [`handle_event`] takes the kernel through one kernel entry, as
//! seL4's handleEvent.

use super::syscall::handle_syscall;
use crate::kernel::fault::handle_fault;
use crate::kernel::interrupt::handle_interrupt;
use crate::kernel::thread::{activate_thread, schedule, timer_tick};
use crate::machine::Machine;
use crate::model::{Fault, KernelState, Tcb};
use sel4_abi::Syscall;

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

/// The event of a synchronous exception from user level, from its syndrome (ESR_EL1) and
/// fault address (FAR_EL1), as seL4's el0_sync vector sorts them: `svc` is a syscall, an
/// instruction or data abort from EL0 a VM fault at `far`, anything else a user exception
/// carrying the syndrome. (FP/SIMD traps never get here: the arch layer gives the thread
/// the FPU and returns.)
pub fn decode_exception(esr: u64, far: u64) -> Event {
    use crate::machine::esr::{EC_DABT_LOWER, EC_IABT_LOWER, EC_SVC64, class};
    use crate::mutant::{self, Mutant};
    match class(esr) {
        EC_SVC64 => Event::Syscall,
        c @ (EC_DABT_LOWER | EC_IABT_LOWER) => Event::Fault(Fault::VmFault {
            addr: far,
            fsr: esr,
            instruction: (c == EC_IABT_LOWER) != mutant::on(Mutant::AbortKindSwapped),
        }),
        _ => Event::Fault(Fault::UserException {
            number: esr,
            code: 0,
        }),
    }
}

/// seL4's handleVMFault: an instruction abort reports the thread's restart pc as its
/// address (the fetch that faulted), a data abort the fault address register.
fn vm_fault_address<M: Machine>(m: &M, t: crate::model::Tcb, f: Fault) -> Fault {
    match f {
        Fault::VmFault {
            fsr,
            instruction: true,
            ..
        } => Fault::VmFault {
            addr: t.get(m, crate::model::tcb::field::FAULT_IP),
            fsr,
            instruction: true,
        },
        f => f,
    }
}

/// seL4's handleEvent: performs `event` for the current thread, then schedules and
/// activates the thread to run. Afterwards `ks.current` is that thread, or None to idle.
/// Call and ReplyRecv try the IPC fastpath first; it switches to the partner itself, so
/// such an entry ends there (nothing to schedule or activate).
#[inline]
pub fn handle_event<M: Machine>(ks: &mut KernelState, m: &mut M, event: Event) {
    match (event, ks.current) {
        (Event::Syscall, Some(t)) => handle_syscall_event(ks, m, t),
        _ => handle_event_general(ks, m, event),
    }
}

/// [`handle_event`] for a syscall by the current thread `t` (the arch layer's `svc`
/// entry calls it directly).
#[inline(always)]
pub fn handle_syscall_event<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb) {
    let number = t.reg(m, sel4_abi::registers::SYSCALL_REGISTER);
    let fast = if number == Syscall::Call as i64 as u64 {
        super::fastpath::call(ks, m, t)
    } else if number == Syscall::ReplyRecv as i64 as u64 {
        super::fastpath::reply_recv(ks, m, t)
    } else {
        false
    };
    if !fast {
        handle_syscall_general(ks, m, t)
    }
}

/// A syscall on the general path: seL4's handleSyscall, then schedule and activate.
#[inline(never)]
fn handle_syscall_general<M: Machine>(ks: &mut KernelState, m: &mut M, t: Tcb) {
    handle_syscall(ks, m, t);
    schedule(ks, m);
    activate_thread(ks, m);
}

/// [`handle_event`] on the general path.
#[inline(never)]
fn handle_event_general<M: Machine>(ks: &mut KernelState, m: &mut M, event: Event) {
    match (event, ks.current) {
        (Event::Syscall, Some(t)) => handle_syscall(ks, m, t),
        (Event::Fault(f), Some(t)) => handle_fault(ks, m, t, vm_fault_address(m, t, f)),
        (Event::TimerTick, _) => timer_tick(ks, m),
        (Event::Interrupt(irq), _) => handle_interrupt(ks, m, irq),
        _ => {}
    }
    schedule(ks, m);
    activate_thread(ks, m);
}
