//! Ending the emulated machine: semihosting exit with a status, or PSCI SYSTEM_OFF.
//!
//! QEMU run with `-semihosting-config enable=on` exits with the status given to the
//! semihosting SYS_EXIT call, which is how tests see a program's result. Without
//! semihosting, the `hlt` traps as an undefined instruction; the kernel's exception
//! handler recognises it and powers off through PSCI instead (the status is then lost).

use crate::kernel::boot::dtb::PsciConduit;
use core::arch::asm;
use core::sync::atomic::{AtomicU8, Ordering};

/// The encoding of `hlt #0xf000`, the AArch64 semihosting call.
pub const HLT_SEMIHOSTING: u32 = 0xd45e_0000;

const SYS_EXIT: u64 = 0x18;
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x20026;
const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;

/// 0: no PSCI, 1: HVC, 2: SMC.
static PSCI: AtomicU8 = AtomicU8::new(0);

/// Records how to call PSCI (from the device tree).
pub fn set_psci(conduit: Option<PsciConduit>) {
    let v = match conduit {
        None => 0,
        Some(PsciConduit::Hvc) => 1,
        Some(PsciConduit::Smc) => 2,
    };
    PSCI.store(v, Ordering::Relaxed);
}

/// Ends QEMU with `status`.
pub fn exit(status: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, status as u64];
    // SAFETY: the semihosting call reads the two-word block through x1 and does not
    // return when it works; if semihosting is off it traps and the handler powers off.
    unsafe { asm!("hlt #0xf000", in("x0") SYS_EXIT, in("x1") block.as_ptr(), options(nostack)) };
    system_off()
}

/// Powers the machine off through PSCI, or stops the CPU if there is no PSCI.
pub fn system_off() -> ! {
    match PSCI.load(Ordering::Relaxed) {
        // SAFETY: PSCI SYSTEM_OFF does not return; the firmware (QEMU) ends the machine.
        1 => unsafe { asm!("hvc #0", in("x0") PSCI_SYSTEM_OFF, options(nostack)) },
        // SAFETY: as above, through the secure monitor call.
        2 => unsafe { asm!("smc #0", in("x0") PSCI_SYSTEM_OFF, options(nostack)) },
        _ => {}
    }
    loop {
        super::cpu::wait_for_event();
    }
}
