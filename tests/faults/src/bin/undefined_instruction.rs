//! A permanently undefined instruction: UserException fault with its syndrome.
#![no_std]
#![no_main]

sel4_root_task::main!(main);

fn main(_: &sel4::BootInfo) {
    faults::prepare("undefined instruction");
    // SAFETY: `udf` only raises an exception; the kernel stops this thread on it.
    unsafe { core::arch::asm!("udf #0") };
    faults::survived()
}
