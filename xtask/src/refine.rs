//! `cargo xtask refine`: the refinement tests on demand — generated programs with a chosen
//! count and seed, the mutant run that proves the check catches planted kernel bugs, the
//! replay of recorded kernel traces on the spec, and recording one under QEMU.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{BootOptions, boot, cargo_build, install, programs};

/// What to run.
pub struct Refine {
    /// Generated programs to run (kernel core against the spec).
    pub cases: u32,
    /// The seed of the programs; a fresh one (printed) if `None`.
    pub seed: Option<u64>,
    /// Run the mutant check instead.
    pub mutants: bool,
    /// Run the generated programs on QEMU instead.
    pub qemu: bool,
    /// Replay these trace files on the spec instead.
    pub trace: Vec<PathBuf>,
    /// Boot this program under the trace kernel, then replay its trace.
    pub record: Option<String>,
    /// Where `record` writes the trace (default `target/traces/PROGRAM.trace`).
    pub out: Option<PathBuf>,
    /// With `record` or `qemu`: the kernel bug to plant.
    pub mutant: Option<String>,
}

/// Runs the chosen refinement test and returns its exit status.
pub fn run(root: &Path, r: &Refine) -> Result<u8> {
    if let Some(name) = &r.mutant {
        check_mutant_name(name)?;
    }
    if let Some(program) = &r.record {
        return record(root, program, r.out.as_deref(), r.mutant.as_deref());
    }
    if !r.trace.is_empty() {
        return replay(root, &r.trace);
    }
    if r.qemu {
        let seed = r.seed.unwrap_or_else(fresh_seed);
        eprintln!(
            "refine: seed {seed} (reproduce: cargo xtask refine --qemu --cases {} --seed {seed}{})",
            r.cases,
            mutant_flag(r.mutant.as_deref())
        );
        return on_qemu(root, r, seed);
    }
    if r.mutant.is_some() {
        bail!("--mutant goes with --record PROGRAM or --qemu");
    }
    if r.mutants {
        return mutant_run(root, r);
    }
    // One seed for the whole run, printed once: the host part and the QEMU part draw their
    // programs from it.
    let seed = r.seed.unwrap_or_else(fresh_seed);
    eprintln!(
        "refine: seed {seed} (reproduce: cargo xtask refine --cases {} --seed {seed})",
        r.cases
    );
    let tool = cargo_build::refine_tool(root).run_inherited()?;
    let status = Command::new(&tool)
        .args(["host", "--cases", &r.cases.to_string()])
        .args(["--seed", &seed.to_string()])
        .status()
        .with_context(|| format!("running {}", tool.display()))?;
    let status = status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1));
    // The generated programs run on the host beside the spec, then on QEMU, each trace
    // replayed.
    if status != 0 {
        return Ok(status);
    }
    on_qemu(root, r, seed)
}

/// The mutant run (host side only): every planted kernel bug must be caught.
fn mutant_run(root: &Path, r: &Refine) -> Result<u8> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["test", "--quiet", "-p", "refinement-tests"])
        .args(["--test", "mutants", "--", "--nocapture"])
        .env("REFINE_MUTANT_CASES", r.cases.to_string());
    if let Some(seed) = r.seed {
        command.env("REFINE_SEED", seed.to_string());
    }
    let status = command
        .status()
        .context("running cargo test -p refinement-tests")?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// A seed nobody chose (every run prints the one it used).
pub fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A mutant's name must be one word, as `kernel/src/mutant.rs` spells it.
fn check_mutant_name(name: &str) -> Result<()> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        bail!("--mutant {name}: a mutant's name is one word, as in kernel/src/mutant.rs");
    }
    Ok(())
}

/// The runner (`refinement-tests/src/bin/refine.rs`) in `mode` (`qemu` or `soak`) with
/// everything it boots built first: the trace kernel (with the mutants feature if a mutant
/// is planted), the fuzzing root task; `args` are the mode's own, `work` its folder under
/// the trace folder.
fn qemu_runner(
    root: &Path,
    mode: &str,
    args: &[String],
    work: &str,
    mutant: Option<&str>,
) -> Result<Command> {
    install::require_qemu()?;
    install::require_targets(root)?;
    let kernel = cargo_build::kernel(
        root,
        cargo_build::KernelVariant {
            cnode_bits: None,
            trace: true,
            mutants: mutant.is_some(),
            slowpath: false,
        },
    )
    .run_inherited()?;
    let programs = programs::discover(root)?;
    let fuzz = cargo_build::program(root, programs::find(&programs, FUZZ_ROOT)?).run_inherited()?;
    let tool = cargo_build::refine_tool(root).run_inherited()?;
    let mut command = Command::new(&tool);
    command
        .arg(mode)
        .args(args)
        .arg("--kernel")
        .arg(&kernel)
        .arg("--root")
        .arg(&fuzz)
        .arg("--work")
        .arg(trace_folder(root).join(work));
    if let Some(m) = mutant {
        command.args(["--mutant", m]);
    }
    Ok(command)
}

/// Runs `command` with the terminal as its output; its exit status.
fn status_of(mut command: Command) -> Result<u8> {
    let status = command
        .status()
        .with_context(|| format!("running {}", command.get_program().to_string_lossy()))?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// Generated programs on QEMU, booted and replayed by the runner.
fn on_qemu(root: &Path, r: &Refine, seed: u64) -> Result<u8> {
    let args = [
        "--cases".to_owned(),
        r.cases.to_string(),
        "--seed".to_owned(),
        seed.to_string(),
    ];
    status_of(qemu_runner(
        root,
        "qemu",
        &args,
        "qemu-programs",
        r.mutant.as_deref(),
    )?)
}

/// ` --mutant NAME` when a mutant is planted (for a reproduce line), else nothing.
fn mutant_flag(mutant: Option<&str>) -> String {
    mutant.map_or(String::new(), |m| format!(" --mutant {m}"))
}

/// `cargo xtask soak`: the runner's soak of `syscalls` from `seed` (a fresh one, printed).
pub fn soak(root: &Path, syscalls: u64, seed: Option<u64>, mutant: Option<&str>) -> Result<u8> {
    if let Some(name) = mutant {
        check_mutant_name(name)?;
    }
    let seed = seed.unwrap_or_else(fresh_seed);
    eprintln!(
        "soak: seed {seed} (reproduce: cargo xtask soak --syscalls {syscalls} --seed {seed}{})",
        mutant_flag(mutant)
    );
    status_of(soak_command(root, syscalls, seed, mutant)?)
}

/// The runner's soak of `syscalls` from `seed`, with everything it needs built.
pub fn soak_command(
    root: &Path,
    syscalls: u64,
    seed: u64,
    mutant: Option<&str>,
) -> Result<Command> {
    let args = [
        "--syscalls".to_owned(),
        syscalls.to_string(),
        "--seed".to_owned(),
        seed.to_string(),
    ];
    qemu_runner(root, "soak", &args, "soak", mutant)
}

/// The fuzzing root task's program name.
pub const FUZZ_ROOT: &str = "fuzz-root";

/// The test that runs generated programs on QEMU, given the trace kernel and the fuzzing
/// root task; with `mutant_kernel` (the trace kernel built with its mutants) it also plants
/// the arch layer's mutants and checks that the fixed programs catch each.
pub fn qemu_programs(
    root: &Path,
    kernel: &Path,
    fuzz_root: &Path,
    cases: u32,
    seed: Option<u64>,
    mutant_kernel: Option<&Path>,
) -> Command {
    let mut command = cargo_build::cargo(root);
    command
        .args([
            "test",
            "--quiet",
            "-p",
            "refinement-tests",
            "--test",
            "qemu_programs",
        ])
        .args(["--", "--nocapture"])
        .env("REFINE_QEMU_KERNEL", kernel)
        .env("REFINE_QEMU_ROOT", fuzz_root)
        .env("REFINE_QEMU_CASES", cases.to_string())
        .env("REFINE_QEMU_WORK", trace_folder(root).join("qemu-programs"));
    if let Some(seed) = seed {
        command.env("REFINE_SEED", seed.to_string());
    }
    if let Some(k) = mutant_kernel {
        command.env("REFINE_QEMU_MUTANT_KERNEL", k);
    }
    command
}

/// Replays trace files on the spec with the replay tool; its status.
fn replay(root: &Path, files: &[PathBuf]) -> Result<u8> {
    for f in files {
        if !f.is_file() {
            bail!(
                "--trace {}: no such file (record one with `cargo xtask refine --record PROGRAM`)",
                f.display()
            );
        }
    }
    let tool = cargo_build::replay_tool(root).run_inherited()?;
    let status = Command::new(&tool)
        .args(files)
        .status()
        .with_context(|| format!("running {}", tool.display()))?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

/// Where traces go unless told otherwise.
pub fn trace_folder(root: &Path) -> PathBuf {
    cargo_build::target_root(root).join("traces")
}

/// Boots `program` under the trace kernel, then replays the trace it wrote.
fn record(root: &Path, program: &str, out: Option<&Path>, mutant: Option<&str>) -> Result<u8> {
    let file = match out {
        Some(f) => std::env::current_dir()?.join(f),
        None => trace_folder(root).join(format!("{program}.trace")),
    };
    check_trace_path(&file)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(&file);
    let options = BootOptions {
        memory: "1G".to_owned(),
        cpu: "cortex-a53".to_owned(),
        virtualization: false,
        gic_version: None,
        elf: None,
        root_cnode_bits: None,
        timeout: None,
    };
    let status = boot::run(
        root,
        &boot::RootTask::Program(program.to_owned()),
        &options,
        None,
        Some(&file),
        mutant,
    )?;
    if !file.is_file() {
        bail!(
            "the trace kernel wrote no trace to {} (QEMU exited with status {status})",
            file.display()
        );
    }
    eprintln!("xtask: trace in {}", file.display());
    let replayed = replay(root, &[file])?;
    Ok(if replayed != 0 { replayed } else { status })
}

/// QEMU's option syntax takes a comma as a separator, and the kernel splits its command line at spaces: a trace path may hold neither.
pub fn check_trace_path(file: &Path) -> Result<()> {
    let path = file.to_string_lossy();
    if path.contains(',') || path.contains(' ') {
        bail!(
            "{}: the trace path may not hold a comma or a space (QEMU's option syntax, the kernel's command line); choose another with --out",
            file.display()
        );
    }
    Ok(())
}
