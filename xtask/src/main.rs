//! `cargo xtask`: the project's front door (build, boot under QEMU, test, debug).
//!
//! Everything a developer or CI does goes through these commands; the `justfile` and
//! `.ci/run` only call them. Each module holds one concept:
//! `programs` finds the root tasks, `cargo_build` builds them and the kernel, `image` reads
//! the kernel's load address for the root task, `qemu` writes the QEMU command line,
//! `process` runs a child with a timeout, `install` checks what the machine lacks,
//! `cases` is the table of QEMU test cases, `expect` matches console output, `badelf`
//! writes the malformed root tasks, `suite` runs `test` and `verdict` judges each step,
//! `boot` runs `run` and `debug`, `refine` runs the refinement tests on demand.

#![forbid(unsafe_code)]

mod badelf;
mod bench;
mod boot;
mod cargo_build;
mod cases;
mod expect;
mod image;
mod install;
mod process;
mod profile;
mod programs;
mod progress;
mod qemu;
mod refine;
mod suite;
mod verdict;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The project's tooling: build the kernel and root tasks, boot them, test, debug.
#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the kernel and an example, boot it under QEMU, exit with its status.
    Run {
        /// Example (or test program) to boot; `hello` if omitted.
        #[arg(conflicts_with = "elf")]
        example: Option<String>,
        #[command(flatten)]
        boot: BootOptions,
    },
    /// As `run`, but QEMU waits for gdb before the first instruction.
    Debug {
        /// Example (or test program) to boot.
        #[arg(required_unless_present = "elf", conflicts_with = "elf")]
        example: Option<String>,
        /// TCP port of QEMU's gdb server.
        #[arg(long, default_value_t = 1234)]
        port: u16,
        #[command(flatten)]
        boot: BootOptions,
    },
    /// Check formatting, run the host tests, then every QEMU test case; print `N passed, M
    /// failed`.
    Test {
        /// Run only the cases whose name contains this text (the host tests are `host-tests`,
        /// the formatting check `format`).
        filter: Option<String>,
        /// Seconds each QEMU case may run before it is killed and failed.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Measure guest instructions per IPC and other operations; print them beside seL4's.
    Bench {
        /// Instead: trace one row instruction by instruction and print where its
        /// instructions go, by kernel function (rows measured over repeated rounds).
        #[arg(long, value_name = "ROW")]
        profile: Option<String>,
    },
    /// Check the kernel against the spec on generated programs, prove the check catches the
    /// planted kernel bugs (`--mutants`), replay kernel traces (`--trace FILE`) or record
    /// one under QEMU (`--record PROGRAM`); prints what was compared.
    Refine {
        /// Generated programs to run (with `--mutants`: per mutant); at least 1.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
        cases: u32,
        /// Seed of the generated programs (printed by every run, to reproduce it).
        #[arg(long)]
        seed: Option<u64>,
        /// Run each mutant kernel against the spec; print `caught/total`.
        #[arg(long, conflicts_with_all = ["trace", "record", "qemu"])]
        mutants: bool,
        /// Run the generated programs on QEMU only (the fuzzing root task on the trace
        /// kernel), each trace replayed on the spec; without it they run on the host beside
        /// the spec, then on QEMU.
        #[arg(long, conflicts_with_all = ["trace", "record"])]
        qemu: bool,
        /// Replay these kernel trace files on the spec (stops at the first divergence).
        #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "record")]
        trace: Vec<PathBuf>,
        /// Boot this example or test program under the trace kernel, then replay its trace.
        #[arg(long, value_name = "PROGRAM")]
        record: Option<String>,
        /// With `--record`: where to write the trace (default target/traces/PROGRAM.trace).
        #[arg(long, value_name = "FILE", requires = "record")]
        out: Option<PathBuf>,
        /// With `--record` or `--qemu`: plant this kernel bug (a name from
        /// kernel/src/mutant.rs), to see the replay catch it.
        #[arg(long, value_name = "NAME")]
        mutant: Option<String>,
    },
    /// Run random syscalls on the QEMU kernel (long generated programs, every label,
    /// garbage arguments, several threads), each entry checked against the spec, until N
    /// syscalls; a failure is shrunk and written out as a reproducer.
    Soak {
        /// Syscalls to make; at least 1.
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
        syscalls: u64,
        /// Seed of the programs (a fresh one, printed, if not given).
        #[arg(long)]
        seed: Option<u64>,
        /// Plant this kernel bug (a name from kernel/src/mutant.rs), to see the soak catch it.
        #[arg(long, value_name = "NAME")]
        mutant: Option<String>,
    },
    /// Run a scenario on the executable specification: `spec FILE [--dot OUT]`.
    Spec {
        /// The scenario file (see spec/src/scenario.rs), then `--dot OUT` if wanted.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// How to boot: the machine QEMU emulates, the kernel's build options, the root task.
#[derive(Args, Debug, Clone)]
pub struct BootOptions {
    /// Guest memory size, as QEMU's `-m` takes it (e.g. 1G, 512M).
    #[arg(long, default_value = "1G")]
    pub memory: String,
    /// CPU model, as QEMU's `-cpu` takes it (e.g. cortex-a53, cortex-a72, max).
    #[arg(long, default_value = "cortex-a53")]
    pub cpu: String,
    /// Enable EL2, so the kernel is entered at EL2 (`-M virt,virtualization=on`).
    #[arg(long)]
    pub virtualization: bool,
    /// GIC version of the virt machine (QEMU's default is 2).
    #[arg(long, value_parser = clap::value_parser!(u8).range(2..=3))]
    pub gic_version: Option<u8>,
    /// Boot this static AArch64 ELF as the root task instead of building an example.
    #[arg(long, value_name = "FILE")]
    pub elf: Option<PathBuf>,
    /// Build the kernel with a root CNode of 2^N slots (SEL4_ROOT_CNODE_SIZE_BITS).
    #[arg(long, value_name = "N")]
    pub root_cnode_bits: Option<u32>,
    /// Seconds before QEMU is killed (0: no limit). `run`: 60; `debug`: no limit.
    #[arg(long, value_name = "S")]
    pub timeout: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = repo_root();
    let status = match cli.command {
        Command::Run { example, boot } => {
            let example = example.unwrap_or_else(|| "hello".to_owned());
            boot::run(
                &root,
                &boot::RootTask::choose(example, &boot),
                &boot,
                None,
                None,
                None,
            )
        }
        Command::Debug {
            example,
            port,
            boot,
        } => {
            // clap makes EXAMPLE required unless --elf is given.
            let example = example.unwrap_or_default();
            boot::run(
                &root,
                &boot::RootTask::choose(example, &boot),
                &boot,
                Some(port),
                None,
                None,
            )
        }
        Command::Test { filter, timeout } => suite::run(&root, filter.as_deref(), timeout),
        Command::Bench { profile: None } => bench::run(&root),
        Command::Bench { profile: Some(row) } => profile::run(&root, &row),
        Command::Spec { args } => run_spec(&root, &args),
        Command::Soak {
            syscalls,
            seed,
            mutant,
        } => refine::soak(&root, syscalls, seed, mutant.as_deref()),
        Command::Refine {
            cases,
            seed,
            mutants,
            qemu,
            trace,
            record,
            out,
            mutant,
        } => refine::run(
            &root,
            &refine::Refine {
                cases,
                seed,
                mutants,
                qemu,
                trace,
                record,
                out,
                mutant,
            },
        ),
    };
    match status {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one folder below it.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask's manifest folder has a parent")
        .to_path_buf()
}

/// `cargo xtask spec`: the spec crate's scenario runner, run from the workspace root.
fn run_spec(root: &Path, args: &[String]) -> anyhow::Result<u8> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .args(["run", "--quiet", "-p", "spec", "--bin", "spec", "--"])
        .args(args)
        .current_dir(root)
        .status()?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn refine_takes_cases_seed_and_mutants() {
        let cli =
            Cli::try_parse_from(["cargo xtask", "refine", "--cases", "9", "--seed", "3"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Refine {
                cases: 9,
                seed: Some(3),
                mutants: false,
                ..
            }
        ));
        let cli = Cli::try_parse_from(["cargo xtask", "refine", "--mutants"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Refine {
                cases: 200,
                seed: None,
                mutants: true,
                ..
            }
        ));
        assert!(Cli::try_parse_from(["cargo xtask", "refine", "--seed", "x"]).is_err());
        let cli = Cli::try_parse_from(["cargo xtask", "refine", "--trace", "a", "b"]).unwrap();
        let Command::Refine { trace, .. } = cli.command else {
            panic!("not refine")
        };
        assert_eq!(trace, [PathBuf::from("a"), PathBuf::from("b")]);
        let cli = Cli::try_parse_from(["cargo xtask", "refine", "--record", "hello"]).unwrap();
        assert!(matches!(cli.command, Command::Refine { record: Some(ref p), .. } if p == "hello"));
        // --out needs --record; --mutants and --trace exclude each other.
        assert!(Cli::try_parse_from(["cargo xtask", "refine", "--out", "f"]).is_err());
        assert!(
            Cli::try_parse_from(["cargo xtask", "refine", "--mutants", "--trace", "f"]).is_err()
        );
    }
}
