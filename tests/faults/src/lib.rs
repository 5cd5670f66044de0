//! Shared start of the fault test programs: name the thread, say what comes next.
#![no_std]

use sel4::abi::init_cap;

/// Names the root thread `faulter` (so the kernel's diagnostic shows the name) and
/// announces the fault about to happen.
pub fn prepare(what: &str) {
    sel4::syscall::debug_name_thread(init_cap::INIT_THREAD_TCB, "faulter");
    sel4::println!("about to take: {what}");
}

/// Reached only if the fault did not stop the thread: a kernel bug.
pub fn survived() -> ! {
    sel4::println!("FAIL: the thread kept running after its fault");
    sel4::syscall::debug_halt(1)
}
