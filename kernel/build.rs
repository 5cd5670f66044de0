//! Build script: the root-CNode size option and, for the bare-metal target, the linker script.

use std::{env, fs, path::PathBuf};

fn main() {
    // seL4's CONFIG_ROOT_CNODE_SIZE_BITS: the root task's CNode has 2^N slots.
    println!("cargo:rerun-if-env-changed=SEL4_ROOT_CNODE_SIZE_BITS");
    let bits: u32 = match env::var("SEL4_ROOT_CNODE_SIZE_BITS") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SEL4_ROOT_CNODE_SIZE_BITS must be a number, got {s:?}")),
        Err(_) => 12,
    };
    // The CNode must hold the 16 initial caps plus room to work, and its size in bytes
    // (2^(bits+5)) must stay a reasonable share of memory, as seL4's option range does.
    assert!(
        (5..=24).contains(&bits),
        "SEL4_ROOT_CNODE_SIZE_BITS must be between 5 and 24, got {bits}"
    );
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(
        out.join("config.rs"),
        format!(
            "/// seL4's CONFIG_ROOT_CNODE_SIZE_BITS: the root CNode has 2^this slots.\n\
             pub const ROOT_CNODE_SIZE_BITS: u64 = {bits};\n"
        ),
    )
    .unwrap();

    let target = env::var("TARGET").unwrap();
    if target.starts_with("aarch64") && target.ends_with("-none-softfloat") {
        let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
        println!("cargo:rerun-if-changed=link.ld");
        println!(
            "cargo:rustc-link-arg-bins=-T{}",
            dir.join("link.ld").display()
        );
    }
}
