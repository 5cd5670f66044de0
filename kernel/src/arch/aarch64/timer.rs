//! The kernel's tick: the EL1 virtual timer (PPI 27), every 2 ms of emulated time (seL4's
//! default CONFIG_TIMER_TICK_MS).

use aarch64_cpu::registers::{CNTFRQ_EL0, CNTV_CTL_EL0, CNTV_TVAL_EL0};
use tock_registers::interfaces::{Readable, Writeable};

/// The timer's interrupt: the EL1 virtual timer's private peripheral interrupt.
pub const IRQ: u32 = sel4_abi::config::KERNEL_TIMER_IRQ as u32;
/// Milliseconds between ticks.
pub const TICK_MS: u64 = sel4_abi::config::TIMER_TICK_MS;

/// Whether the current period is over (the tick is due, or pending).
#[cfg(feature = "trace")]
pub fn expired() -> bool {
    CNTV_CTL_EL0.get() & 0b100 != 0 // ISTATUS
}

/// Starts the next tick period.
pub fn rearm() {
    CNTV_TVAL_EL0.set(CNTFRQ_EL0.get() * TICK_MS / 1000);
    CNTV_CTL_EL0.set(1); // enabled, not masked
}
