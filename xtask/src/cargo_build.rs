//! The cargo invocations: the kernel, a root task, and the host tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The kernel's target: no FP/SIMD in kernel code (docs/architecture.md, "FP/SIMD state").
pub const KERNEL_TARGET: &str = "aarch64-unknown-none-softfloat";
/// The root tasks' target: user code may use FP/SIMD.
pub const USER_TARGET: &str = "aarch64-unknown-none";
/// The kernel build option read by the kernel's build script.
pub const CNODE_BITS_ENV: &str = "SEL4_ROOT_CNODE_SIZE_BITS";

/// A cargo command and the file it produces.
pub struct Build {
    /// What is built, for messages (`kernel`, `hello`, ...).
    pub what: String,
    /// The cargo invocation, run from the workspace root.
    pub command: Command,
    /// The ELF the command leaves behind.
    pub output: PathBuf,
}

impl Build {
    /// Runs the build with cargo's output on the terminal and returns the ELF's path.
    pub fn run_inherited(mut self) -> Result<PathBuf> {
        let status = self.command.status().context("starting cargo")?;
        if !status.success() {
            bail!("building {} failed ({status})", self.what);
        }
        self.output_if_present()
    }

    /// The ELF's path, or an error if cargo succeeded without producing it.
    pub fn output_if_present(&self) -> Result<PathBuf> {
        if !self.output.is_file() {
            bail!(
                "building {} succeeded but {} is missing",
                self.what,
                self.output.display()
            );
        }
        Ok(self.output.clone())
    }
}

/// `cargo`, the same one that runs xtask when there is one.
pub fn cargo(root: &Path) -> Command {
    let mut command =
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")));
    command.current_dir(root);
    command
}

/// Cargo's target folder: `CARGO_TARGET_DIR` if set (relative to the workspace root, where
/// xtask runs cargo), else `target/` in the workspace.
pub fn target_root(root: &Path) -> PathBuf {
    target_root_from(root, std::env::var_os("CARGO_TARGET_DIR"))
}

fn target_root_from(root: &Path, var: Option<OsString>) -> PathBuf {
    match var.filter(|v| !v.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Which kernel to build: the default, or with a build option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelVariant {
    /// `SEL4_ROOT_CNODE_SIZE_BITS`, if not the default.
    pub cnode_bits: Option<u32>,
    /// With the `trace` feature: every kernel entry recorded for the refinement replay.
    pub trace: bool,
    /// With the `mutants` feature too: a planted bug can be chosen at boot.
    pub mutants: bool,
    /// With the `slowpath` feature: no IPC fastpath (the benchmark's general-path row).
    pub slowpath: bool,
}

impl KernelVariant {
    /// The folder name of a non-default variant's target directory.
    fn folder(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(bits) = self.cnode_bits {
            parts.push(format!("root-cnode-bits-{bits}"));
        }
        if self.trace {
            parts.push("trace".to_owned());
        }
        if self.mutants {
            parts.push("mutants".to_owned());
        }
        if self.slowpath {
            parts.push("slowpath".to_owned());
        }
        (!parts.is_empty()).then(|| parts.join("-"))
    }
}

/// Builds the kernel; a variant builds into a target folder of its own, so the default
/// kernel stays built and neither build undoes the other.
pub fn kernel(root: &Path, variant: KernelVariant) -> Build {
    let target_dir = match variant.folder() {
        None => target_root(root),
        Some(folder) => target_root(root).join("xtask").join(folder),
    };
    let mut command = cargo(root);
    command.args([
        "build",
        "--release",
        "--package",
        "kernel",
        "--target",
        KERNEL_TARGET,
    ]);
    let features: Vec<&str> = [
        (variant.trace, "trace"),
        (variant.mutants, "mutants"),
        (variant.slowpath, "slowpath"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    command.arg("--target-dir").arg(&target_dir);
    match variant.cnode_bits {
        Some(bits) => command.env(CNODE_BITS_ENV, bits.to_string()),
        // The default kernel must be the default even if the caller's shell sets the option.
        None => command.env_remove(CNODE_BITS_ENV),
    };
    let mut what = "kernel".to_owned();
    if let Some(bits) = variant.cnode_bits {
        what.push_str(&format!(" ({CNODE_BITS_ENV}={bits})"));
    }
    if variant.trace {
        what.push_str(" (trace)");
    }
    if variant.mutants {
        what.push_str(" (mutants)");
    }
    Build {
        what,
        command,
        output: target_dir
            .join(KERNEL_TARGET)
            .join("release")
            .join("kernel"),
    }
}

/// Builds the refinement harness's runner (`refine`, a host program) in its optimised,
/// unwinding profile.
pub fn refine_tool(root: &Path) -> Build {
    let mut command = cargo(root);
    command.args([
        "build",
        "--quiet",
        "--profile",
        "harness",
        "--package",
        "refinement-tests",
        "--bin",
        "refine",
    ]);
    Build {
        what: "refinement runner".to_owned(),
        command,
        output: target_root(root).join("harness").join("refine"),
    }
}

/// Builds the refinement tests' trace replayer (a host program).
pub fn replay_tool(root: &Path) -> Build {
    let mut command = cargo(root);
    command.args(["build", "--package", "refinement-tests", "--bin", "replay"]);
    Build {
        what: "replay tool".to_owned(),
        command,
        output: target_root(root).join("debug").join("replay"),
    }
}

/// Builds one root task (an example or a test program).
pub fn program(root: &Path, program: &crate::programs::Program) -> Build {
    let target_dir = target_root(root);
    let mut command = cargo(root);
    command.args([
        "build",
        "--release",
        "--package",
        &program.package,
        "--bin",
        &program.bin,
        "--target",
        USER_TARGET,
    ]);
    command.arg("--target-dir").arg(&target_dir);
    Build {
        what: program.name.clone(),
        command,
        output: target_dir
            .join(USER_TARGET)
            .join("release")
            .join(&program.bin),
    }
}

/// `cargo fmt --all -- --check`: lists the files rustfmt would change, fails if any.
pub fn format_check(root: &Path) -> Command {
    let mut command = cargo(root);
    command.args(["fmt", "--all", "--", "--check"]);
    command
}

/// The host tests: `cargo test` over the workspace's default members, which are the crates
/// that build for the host (`--workspace` would also take in the bare-metal examples).
pub fn host_tests(root: &Path) -> Command {
    let mut command = cargo(root);
    command.arg("test");
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_folder_follows_cargo_target_dir() {
        let root = Path::new("/repo");
        assert_eq!(target_root_from(root, None), Path::new("/repo/target"));
        assert_eq!(
            target_root_from(root, Some("".into())),
            Path::new("/repo/target")
        );
        assert_eq!(
            target_root_from(root, Some("out".into())),
            Path::new("/repo/out")
        );
        assert_eq!(
            target_root_from(root, Some("/tmp/t".into())),
            Path::new("/tmp/t")
        );
    }
}
