//! The kernel binary: on the bare-metal target the architecture layer provides the entry.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
use kernel as _; // the entry point, vectors and panic handler live in kernel::arch

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "the kernel runs on aarch64-unknown-none-softfloat under QEMU: use `cargo xtask run`"
    );
    std::process::exit(2);
}
