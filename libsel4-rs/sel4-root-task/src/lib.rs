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
pub mod heap;
pub mod process;
pub mod thread;
pub mod vspace;

pub use alloc::Allocator;
pub use sel4;

use core::fmt::Debug;
use sel4::println;

/// Bytes of a program's stack unless `main!(main, stack = N)` says otherwise.
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// Exit status of a root task that panicked or whose main returned an error.
pub const FAILURE: i32 = 1;

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    r#"
    .section .text._start, "ax"
    .global _start
_start:
    // The stack is an array `main!` defines, of the size it says.
    adrp    x9, __sel4_root_task_stack
    add     x9, x9, :lo12:__sel4_root_task_stack
    adrp    x10, __sel4_root_task_stack_size
    ldr     x10, [x10, :lo12:__sel4_root_task_stack_size]
    add     x9, x9, x10
    and     x9, x9, #~15
    mov     sp, x9
    bl      __sel4_root_task_start
1:  b       1b
"#
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

/// Defines the program's stack (`_start` sets SP to its top).
#[doc(hidden)]
#[macro_export]
macro_rules! __stack {
    ($size:expr) => {
        const _: () = {
            #[repr(C, align(16))]
            struct Stack([u8; $size]);
            #[unsafe(no_mangle)]
            static mut __sel4_root_task_stack: Stack = Stack([0; $size]);
            #[unsafe(no_mangle)]
            static __sel4_root_task_stack_size: usize = $size;
        };
    };
}

/// Installs a heap of the given size as the global allocator.
#[doc(hidden)]
#[macro_export]
macro_rules! __heap {
    ($size:expr) => {
        #[global_allocator]
        static __SEL4_ROOT_TASK_HEAP: $crate::heap::StaticHeap<{ $size }> =
            $crate::heap::StaticHeap::new();
    };
}

/// Declares the root task's main function: `main!(my_main)` with
/// `fn my_main(bootinfo: &sel4::BootInfo) -> impl Termination`. Its return ends the system
/// with status 0 (success) or 1. Options: `main!(my_main, stack = BYTES)` (default
/// [`DEFAULT_STACK_SIZE`]), and `heap = BYTES` for a global allocator (see [`heap`]).
#[macro_export]
macro_rules! main {
    ($main:path, stack = $stack:expr, heap = $heap:expr) => {
        $crate::main!(@entry $main, $stack);
        $crate::__heap!($heap);
    };
    ($main:path, heap = $heap:expr) => {
        $crate::main!($main, stack = $crate::DEFAULT_STACK_SIZE, heap = $heap);
    };
    ($main:path, stack = $stack:expr) => {
        $crate::main!(@entry $main, $stack);
    };
    ($main:path) => {
        $crate::main!(@entry $main, $crate::DEFAULT_STACK_SIZE);
    };
    (@entry $main:path, $stack:expr) => {
        $crate::__stack!($stack);
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
/// 1 of its CSpace); the rest of the system runs on. Takes `stack = BYTES` as `main!`.
#[macro_export]
macro_rules! process_main {
    ($main:path) => {
        $crate::process_main!($main, stack = $crate::DEFAULT_STACK_SIZE);
    };
    ($main:path, stack = $stack:expr) => {
        $crate::__stack!($stack);
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
