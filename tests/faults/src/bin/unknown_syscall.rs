//! An unknown syscall number: UnknownSyscall fault, reported at the `svc`.
#![no_std]
#![no_main]

sel4_root_task::main!(main);

fn main(_: &sel4::BootInfo) {
    faults::prepare("unknown syscall -20");
    sel4::syscall::raw_number(-20i64 as u64, Default::default());
    faults::survived()
}
