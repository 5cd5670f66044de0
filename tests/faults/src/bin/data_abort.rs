//! A load from an address the VSpace does not map: VMFault (data).
#![no_std]
#![no_main]

sel4_root_task::main!(main);

fn main(_: &sel4::BootInfo) {
    faults::prepare("data abort at 0x10000000");
    // SAFETY: the load faults (nothing is mapped at 256 MiB in the root task's VSpace) and
    // the kernel stops this thread, so no value is ever produced.
    let v = unsafe { core::ptr::read_volatile(0x1000_0000 as *const u64) };
    sel4::println!("read {v}");
    faults::survived()
}
