//! AArch64: boot, exception vectors, MMU, console, power and the [`crate::machine`]
//! implementation. Everything here that touches the CPU is bare-metal only.

pub mod window;

#[cfg(target_os = "none")]
mod boot;
#[cfg(target_os = "none")]
mod cpu;
#[cfg(target_os = "none")]
mod entry;
#[cfg(target_os = "none")]
mod fpu;
#[cfg(target_os = "none")]
mod gic;
#[cfg(target_os = "none")]
mod machine;
#[cfg(target_os = "none")]
mod mem;
#[cfg(target_os = "none")]
mod pl011;
#[cfg(target_os = "none")]
mod power;
#[cfg(target_os = "none")]
mod timer;
#[cfg(all(target_os = "none", feature = "trace"))]
mod tracefile;
#[cfg(target_os = "none")]
mod vectors;

/// Base of the kernel's window onto physical memory: physical address `pa` is at virtual
/// `KERNEL_WINDOW + pa`. The kernel image is linked inside it (see `kernel/link.ld`).
pub const KERNEL_WINDOW: u64 = 0xffff_8000_0000_0000;
