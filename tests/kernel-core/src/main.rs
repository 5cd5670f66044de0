//! Kernel core test suite (being written).
#![no_std]
#![no_main]

sel4_root_task::main!(main);

fn main(_: &sel4::BootInfo) {}
