//! Builds `examples/processes-child` for the user target and hands its ELF to this program
//! (`include_bytes!(env!("CHILD_ELF"))`), so one `cargo build` makes both.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.join("../..");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("child");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = "aarch64-unknown-none";
    // A target folder of its own: the outer build holds the lock on the main one.
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args([
            "build",
            "--release",
            "--package",
            "processes-child",
            "--target",
            target,
        ])
        .arg("--target-dir")
        .arg(&out)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .status()
        .expect("running cargo to build processes-child");
    assert!(status.success(), "building examples/processes-child failed");
    let elf = out.join(target).join("release").join("processes-child");
    println!("cargo:rustc-env=CHILD_ELF={}", elf.display());
    for dir in ["examples/processes-child", "libsel4-rs"] {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
}
