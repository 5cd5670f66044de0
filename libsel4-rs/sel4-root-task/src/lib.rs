//! Root-task runtime: the entry point the kernel jumps to, the stack, and a panic handler
//! that prints the message and halts with a failing status.
//!
//! A program names its main function with [`main!`]; main gets the BootInfo and returns
//! `()` or a `Result`, and its return ends the system with status 0 (success) or 1.
//! [`Allocator`] hands out slots and objects; [`thread::spawn`] starts threads in the root
//! task's own spaces, [`process::spawn`] starts a program from an ELF in spaces of its own.
//!
//! ```ignore
//! sel4_root_task::main!(main);
//! fn main(bootinfo: &sel4::BootInfo) { sel4::println!("hello"); }
//! ```
#![no_std]

pub mod alloc;
pub mod process;
pub mod thread;
pub mod vspace;

pub use alloc::Allocator;
pub use sel4;

use core::fmt::Debug;
use sel4::println;

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
    /// Defined by [`main!`] or [`process_main!`]: runs the program's main with x0 as the
    /// kernel (or the creating process) left it; returns the exit status.
    fn __sel4_root_task_main(x0: u64) -> i32;
}

/// Called by `_start` on the runtime's stack with x0 as the program started with.
#[unsafe(no_mangle)]
extern "C" fn __sel4_root_task_start(x0: u64) -> ! {
    // SAFETY: `main!` or `process_main!` defines the function with exactly this signature.
    let status = unsafe { __sel4_root_task_main(x0) };
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
/// `fn my_main(bootinfo: &sel4::BootInfo) -> impl Termination`. Its return ends the system
/// with status 0 (success) or 1.
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __sel4_root_task_main(x0: u64) -> i32 {
            // SAFETY: a root task starts with x0 = its BootInfo frame's address, and the
            // kernel never unmaps that frame or the extra BootInfo after it.
            let bootinfo = unsafe { $crate::sel4::BootInfo::from_addr(x0) };
            $crate::Termination::report($main(bootinfo))
        }
    };
}

/// Declares the main function of a program started by another with
/// [`process::spawn`]: `process_main!(my_main)` with `fn my_main(arg: u64) -> impl
/// Termination`, `arg` being the creator's [`process::ProcessConfig::arg`]. When main
/// returns, the process prints a failure, if any, and suspends itself (its TCB is in slot
/// 1 of its CSpace); the rest of the system runs on.
#[macro_export]
macro_rules! process_main {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __sel4_root_task_main(x0: u64) -> i32 {
            $crate::IS_PROCESS.store(true, core::sync::atomic::Ordering::Relaxed);
            let status = $crate::Termination::report($main(x0));
            let me: $crate::sel4::Cap<$crate::sel4::cap_type::Tcb> =
                $crate::sel4::Cap::from_cptr(1);
            let _ = me.tcb_suspend();
            status
        }
    };
}

/// Set by [`process_main!`]: this program is a process, not the root task.
#[doc(hidden)]
pub static IS_PROCESS: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// A root task that panics ends the system with [`FAILURE`]; a process that panics prints
/// the message and suspends itself (its TCB is in slot 1), leaving the rest running.
#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    if IS_PROCESS.load(core::sync::atomic::Ordering::Relaxed) {
        println!("process panicked: {info}");
        let me: sel4::Cap<sel4::cap_type::Tcb> = sel4::Cap::from_cptr(1);
        let _ = me.tcb_suspend();
    } else {
        println!("root task panicked: {info}");
    }
    sel4::syscall::debug_halt(FAILURE as u32)
}
