//! A jump to an address the VSpace does not map: VMFault (instruction fetch).
#![no_std]
#![no_main]

sel4_root_task::main!(main);

fn main(_: &sel4::BootInfo) {
    faults::prepare("instruction abort at 0x10000000");
    // SAFETY: the branch faults on its target's fetch and the kernel stops this thread.
    unsafe { core::arch::asm!("blr {0}", in(reg) 0x1000_0000u64, clobber_abi("C")) };
    faults::survived()
}
