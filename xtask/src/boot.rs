//! `cargo xtask run` and `cargo xtask debug`: build, boot one root task on the terminal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::process::{self, Ending};
use crate::qemu::{Boot, Machine};
use crate::{BootOptions, cargo_build, image, install, programs};

/// How long `run` lets QEMU go when `--timeout` is not given.
const RUN_TIMEOUT_SECS: u64 = 60;

/// The root task to boot.
pub enum RootTask {
    /// An example or test program, built by name.
    Program(String),
    /// A file given with `--elf`.
    File(PathBuf),
}

impl RootTask {
    /// `--elf FILE` if given, else the named program.
    pub fn choose(name: String, options: &BootOptions) -> RootTask {
        match &options.elf {
            Some(file) => RootTask::File(file.clone()),
            None => RootTask::Program(name),
        }
    }
}

/// Builds and boots; returns QEMU's exit status. `gdb_port` makes it `debug`.
pub fn run(
    root: &Path,
    root_task: &RootTask,
    options: &BootOptions,
    gdb_port: Option<u16>,
    trace: Option<&Path>,
    mutant: Option<&str>,
) -> Result<u8> {
    // Check the cheap things first, so a typo fails before minutes of building.
    let programs = programs::discover(root)?;
    let root_task = match root_task {
        RootTask::Program(name) => {
            programs::find(&programs, name)?;
            RootTask::Program(name.clone())
        }
        RootTask::File(file) if file.is_file() => {
            // Absolute, so the gdb hint works from the workspace root.
            RootTask::File(
                file.canonicalize()
                    .with_context(|| format!("--elf {}", file.display()))?,
            )
        }
        RootTask::File(file) => bail!("--elf {}: no such file", file.display()),
    };
    install::require_qemu()?;
    if gdb_port.is_some() {
        install::require_gdb()?;
    }
    install::require_targets(root)?;

    let variant = cargo_build::KernelVariant {
        cnode_bits: options.root_cnode_bits,
        trace: trace.is_some(),
        mutants: mutant.is_some(),
        slowpath: false,
    };
    let kernel = cargo_build::kernel(root, variant).run_inherited()?;
    let root_elf = match root_task {
        RootTask::Program(name) => {
            cargo_build::program(root, programs::find(&programs, &name)?).run_inherited()?
        }
        RootTask::File(file) => file,
    };
    let root_paddr = image::root_elf_paddr(&kernel)?;
    let machine = Machine {
        cpu: options.cpu.clone(),
        memory: options.memory.clone(),
        virtualization: options.virtualization,
        gic_version: options.gic_version,
    };
    let boot = Boot {
        machine: &machine,
        kernel: &kernel,
        root_elf: &root_elf,
        root_paddr,
        gdb_port,
        trace,
        mutant,
    };
    let command = boot.command();
    if let Some(port) = gdb_port {
        print_gdb_hint(root, &kernel, &root_elf, port);
    }
    eprintln!("xtask: {}", process::render(&command));
    // A debugging session must not be cut short, so `debug` has no limit unless asked.
    let default_secs = if gdb_port.is_some() {
        0
    } else {
        RUN_TIMEOUT_SECS
    };
    let secs = options.timeout.unwrap_or(default_secs);
    let ending = process::run_inherited(command, (secs > 0).then(|| Duration::from_secs(secs)))?;
    match ending {
        Ending::Exited(_) => {}
        Ending::Signalled | Ending::TimedOut(_) => eprintln!("xtask: QEMU {ending}"),
    }
    Ok(ending.exit_code())
}

/// Tells how to attach gdb to the waiting QEMU.
fn print_gdb_hint(root: &Path, kernel: &Path, root_elf: &Path, port: u16) {
    let relative = |path: &Path| {
        path.strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    let attach = format!(
        "gdb-multiarch {} -ex 'target remote :{port}'",
        relative(kernel)
    );
    println!(
        "QEMU waits for gdb on port {port}. Attach from {} with:",
        root.display()
    );
    println!("    {attach}");
    println!("or, with the root task's symbols too:");
    println!("    {attach} -ex 'add-symbol-file {}'", relative(root_elf));
    println!("(quit QEMU with Ctrl-A X)");
}
