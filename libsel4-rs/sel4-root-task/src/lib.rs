//! Root-task runtime: the entry point the kernel jumps to, the stack, and a panic handler
//! that prints the message and halts with a failing status.
//!
//! A program names its main function with [`main!`]; main gets the BootInfo and returns
//! `()` or a `Result`, and its return ends the system with status 0 (success) or 1.
//! [`Allocator`] hands out slots and objects; [`thread::spawn`] starts threads.
//!
//! ```ignore
//! sel4_root_task::main!(main);
//! fn main(bootinfo: &sel4::BootInfo) { sel4::println!("hello"); }
//! ```
#![no_std]

pub mod alloc;
pub mod thread;
pub mod vspace;

pub use alloc::Allocator;
pub use sel4;

use core::fmt::Debug;
use sel4::{BootInfo, println};

/// Bytes of the root task's stack.
pub const STACK_SIZE: usize = 256 * 1024;

/// Exit status of a root task that panicked or whose main returned an error.
pub const FAILURE: i32 = 1;

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    r#"
    .section .text._start, "ax"
    .global _start
_start:
    adrp    x9, __sel4_root_task_stack_top
    add     x9, x9, :lo12:__sel4_root_task_stack_top
    mov     sp, x9
    bl      __sel4_root_task_start
1:  b       1b

    .section .bss.sel4_root_task_stack, "aw", %nobits
    .balign 16
    .space {size}
__sel4_root_task_stack_top:
"#,
    size = const STACK_SIZE,
);

unsafe extern "Rust" {
    /// Defined by [`main!`].
    fn __sel4_root_task_main(bootinfo: &'static BootInfo) -> i32;
}

/// Called by `_start` on the runtime's stack with x0 = the BootInfo address.
#[unsafe(no_mangle)]
extern "C" fn __sel4_root_task_start(bootinfo: u64) -> ! {
    // SAFETY: the kernel starts the root task with x0 = its BootInfo frame's address, and
    // never unmaps the frame or the extra BootInfo after it.
    let bi = unsafe { BootInfo::from_addr(bootinfo) };
    // SAFETY: `main!` defines the function with exactly this signature.
    let status = unsafe { __sel4_root_task_main(bi) };
    sel4::syscall::debug_halt(status as u32)
}

/// What a root task's main may return: `()` succeeds; `Err` prints the error and fails.
pub trait Termination {
    /// The exit status for this result.
    fn report(self) -> i32;
}

impl Termination for () {
    fn report(self) -> i32 {
        0
    }
}

impl<E: Debug> Termination for Result<(), E> {
    fn report(self) -> i32 {
        match self {
            Ok(()) => 0,
            Err(e) => {
                println!("root task failed: {e:?}");
                FAILURE
            }
        }
    }
}

/// Declares the root task's main function: `main!(my_main)` with
/// `fn my_main(bootinfo: &sel4::BootInfo) -> impl Termination`.
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __sel4_root_task_main(bootinfo: &'static $crate::sel4::BootInfo) -> i32 {
            $crate::Termination::report($main(bootinfo))
        }
    };
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("root task panicked: {info}");
    sel4::syscall::debug_halt(FAILURE as u32)
}
