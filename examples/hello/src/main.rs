//! The first root task: a greeting from user level and a tour of the BootInfo the kernel
//! hands over (untyped memory, the root CNode, the image's frames, the device tree).
#![no_std]
#![no_main]

use sel4::abi::{CapType, init_cap};
use sel4::{BootInfo, println};

sel4_root_task::main!(main);

fn main(bi: &BootInfo) {
    sel4::syscall::debug_name_thread(init_cap::INIT_THREAD_TCB, "hello");
    println!("Hello from the root task, running at EL0!");

    let (mut normal, mut device, mut n_normal, mut n_device) = (0u64, 0u64, 0, 0);
    for u in bi.untyped_list() {
        if u.is_device != 0 {
            device += 1 << u.size_bits;
            n_device += 1;
        } else {
            normal += 1 << u.size_bits;
            n_normal += 1;
        }
    }
    let untyped = bi.untyped();
    let empty = bi.empty();
    let frames = bi.user_image_frames();
    println!("BootInfo:");
    println!(
        "  untyped caps:       {} in slots {}..{}",
        untyped.len(),
        untyped.start,
        untyped.end
    );
    println!(
        "  normal memory:      {} MiB in {} untypeds ({} bytes)",
        normal >> 20,
        n_normal,
        normal
    );
    println!(
        "  device memory:      {} GiB in {} untypeds ({} bytes)",
        device >> 30,
        n_device,
        device
    );
    println!(
        "  root CNode:         {} slots (2^{})",
        1u64 << bi.cnode_size_bits(),
        bi.cnode_size_bits()
    );
    println!(
        "  empty slots:        {}..{} ({} free)",
        empty.start,
        empty.end,
        empty.len()
    );
    println!(
        "  user image frames:  {}..{} ({} frames)",
        frames.start,
        frames.end,
        frames.len()
    );
    println!("  IPC buffer:         {:#x}", bi.ipc_buffer());
    match bi.device_tree() {
        Some(dtb) => println!("  device tree:        {} bytes", dtb.len()),
        None => println!("  device tree:        none"),
    }
    let tcb = sel4::syscall::debug_cap_identify(init_cap::INIT_THREAD_TCB);
    let is_thread = tcb == CapType::Thread as u64;
    println!(
        "  slot 1 holds:       cap type {tcb} ({})",
        if is_thread { "thread" } else { "unexpected" }
    );
    println!("Goodbye.");
}
