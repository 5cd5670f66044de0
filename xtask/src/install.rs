//! Checks that the machine has QEMU, gdb and the Rust targets, installing what it can.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::cargo_build::{KERNEL_TARGET, USER_TARGET};
use crate::qemu::QEMU;

/// Makes sure `qemu-system-aarch64` runs, installing Debian's `qemu-system-arm` if we may.
pub fn require_qemu() -> Result<()> {
    require_tool(QEMU, "qemu-system-arm")
}

/// Makes sure `gdb-multiarch` runs, installing it if we may.
pub fn require_gdb() -> Result<()> {
    require_tool("gdb-multiarch", "gdb-multiarch")
}

/// Makes sure the pinned toolchain has both bare-metal targets.
///
/// Only rustup can say which targets are installed (`rustc --print target-list` lists every
/// target rustc knows, installed or not); without rustup we leave the verdict to cargo.
pub fn require_targets(root: &Path) -> Result<()> {
    let Ok(listed) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root)
        .output()
    else {
        return Ok(());
    };
    let installed = String::from_utf8_lossy(&listed.stdout);
    let missing: Vec<&str> = [USER_TARGET, KERNEL_TARGET]
        .into_iter()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if listed.status.success() && missing.is_empty() {
        return Ok(());
    }
    bail!(
        "the Rust target(s) {} are not installed; run `rustup toolchain install` in {} \
         (it reads rust-toolchain.toml and installs the pinned toolchain with its targets)",
        missing.join(", "),
        root.display()
    )
}

/// Runs `tool --version`; if that fails, installs `package` with apt-get when we are root,
/// or stops with the command to run.
fn require_tool(tool: &str, package: &str) -> Result<()> {
    if runs(tool, &["--version"]) {
        return Ok(());
    }
    if let Some(command) = manual_install(package, is_root(), runs("apt-get", &["--version"])) {
        bail!("`{tool}` is not installed; install it with:\n    {command}");
    }
    eprintln!(
        "xtask: `{tool}` is not installed; installing it: apt-get update && apt-get install -y {package}"
    );
    apt_get(&["update"])?;
    apt_get(&["install", "-y", package])?;
    if !runs(tool, &["--version"]) {
        bail!("installed {package}, but `{tool} --version` still fails");
    }
    Ok(())
}

/// `None` if xtask may install `package` itself (root, with apt-get), else the command a
/// person must run.
fn manual_install(package: &str, as_root: bool, has_apt_get: bool) -> Option<String> {
    (!(as_root && has_apt_get)).then(|| format!("sudo apt-get install -y {package}"))
}

/// Runs apt-get without questions, its output on the terminal.
fn apt_get(args: &[&str]) -> Result<()> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .context("starting apt-get")?;
    if !status.success() {
        bail!("`apt-get {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Whether xtask runs as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Whether `program args` starts and exits successfully; its output is discarded.
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_tells_a_present_program_from_a_missing_one() {
        assert!(runs("sh", &["-c", "exit 0"]));
        assert!(!runs("sh", &["-c", "exit 1"]));
        assert!(!runs("xtask-no-such-program-here", &["--version"]));
    }

    #[test]
    fn installs_only_as_root_with_apt_get_and_otherwise_says_how() {
        assert_eq!(manual_install("qemu-system-arm", true, true), None);
        let told = Some("sudo apt-get install -y qemu-system-arm".to_owned());
        assert_eq!(manual_install("qemu-system-arm", false, true), told);
        assert_eq!(manual_install("qemu-system-arm", true, false), told);
    }
}
