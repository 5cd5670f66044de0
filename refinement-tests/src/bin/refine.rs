//! `refine`: generated programs run on the kernel and checked against the spec, from one
//! seed, with progress lines and a watchdog. `cargo xtask refine` builds and runs it:
//!
//! ```text
//! refine host --cases N --seed S
//! refine qemu --cases N --seed S --kernel ELF --root ELF --work DIR [--mutant NAME]
//! refine soak --syscalls N --seed S --kernel ELF --root ELF --work DIR
//! ```
//!
//! Exit status: 0 all agree, 1 a divergence (its minimal program printed), 2 bad usage,
//! 3 no progress for too long (the watchdog, naming the seed and the last step).

use refinement_tests::{host, progress, qemu, soak};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How long a host run may go without finishing a step.
const HOST_STALL: Duration = Duration::from_secs(60);
/// How long a QEMU run may go without starting a program (one may take its whole timeout,
/// and shrinking a hang takes one timeout per attempt).
const QEMU_STALL: Duration = Duration::from_secs(180);

#[derive(PartialEq)]
enum Mode {
    Host,
    Qemu,
    Soak,
}

struct Args {
    mode: Mode,
    syscalls: u64,
    cases: u32,
    seed: u64,
    kernel: Option<PathBuf>,
    root: Option<PathBuf>,
    work: Option<PathBuf>,
    mutant: Option<String>,
}

fn usage(why: &str) -> ExitCode {
    eprintln!("refine: {why}");
    eprintln!(
        "usage: refine host --cases N --seed S\n       refine qemu --cases N --seed S --kernel ELF --root ELF --work DIR [--mutant NAME]\n       refine soak --syscalls N --seed S --kernel ELF --root ELF --work DIR\n(cargo xtask refine and cargo xtask soak run it with everything built)"
    );
    ExitCode::from(2)
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = match it.next().as_deref() {
        Some("host") => Mode::Host,
        Some("qemu") => Mode::Qemu,
        Some("soak") => Mode::Soak,
        Some(other) => return Err(format!("{other}: expected host, qemu or soak")),
        None => return Err("expected host, qemu or soak".to_owned()),
    };
    let mut a = Args {
        mode,
        syscalls: 100_000,
        cases: 200,
        seed: host::fresh_seed(),
        kernel: None,
        root: None,
        work: None,
        mutant: None,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} {value}: expected a decimal number"))
        };
        match flag.as_str() {
            "--cases" => a.cases = u32::try_from(number()?).map_err(|_| "--cases: too many")?,
            "--seed" => a.seed = number()?,
            "--syscalls" => a.syscalls = number()?,
            "--kernel" => a.kernel = Some(value.into()),
            "--root" => a.root = Some(value.into()),
            "--work" => a.work = Some(value.into()),
            "--mutant" => a.mutant = Some(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let a = match parse() {
        Ok(a) => a,
        Err(why) => return usage(&why),
    };
    let (cases, seed) = (a.cases, a.seed);
    let reproduce = match a.mode {
        Mode::Host => format!("cargo xtask refine --cases {cases} --seed {seed}"),
        Mode::Qemu => format!(
            "cargo xtask refine --qemu --cases {cases} --seed {seed}{}",
            a.mutant
                .as_ref()
                .map_or(String::new(), |m| format!(" --mutant {m}"))
        ),
        Mode::Soak => format!(
            "cargo xtask soak --syscalls {} --seed {seed}{}",
            a.syscalls,
            a.mutant
                .as_ref()
                .map_or(String::new(), |m| format!(" --mutant {m}"))
        ),
    };
    if a.mode == Mode::Host {
        progress::arm(seed, HOST_STALL, reproduce.clone());
        let run = host::run_generated(cases, Some(seed), true);
        let (programs, steps) = host::counts();
        println!(
            "refine on the host: {programs} programs, {steps} kernel entries, the states compared after every step (seed {seed})"
        );
        println!("{}", host::coverage().report());
        return match run.failure {
            None => ExitCode::SUCCESS,
            Some(why) => {
                println!(
                    "the kernel and the spec diverge on the host (reproduce: {reproduce}):\n{why}"
                );
                ExitCode::FAILURE
            }
        };
    }
    let (Some(kernel), Some(root), Some(work)) = (a.kernel, a.root, a.work) else {
        return usage("qemu needs --kernel, --root and --work");
    };
    let setup = match qemu::setup(&kernel, &root, &work, a.mutant) {
        Ok(s) => s,
        Err(why) => {
            println!("refine on QEMU: {why}");
            return ExitCode::FAILURE;
        }
    };
    progress::arm(seed, QEMU_STALL, reproduce.clone());
    if a.mode == Mode::Soak {
        return run_soak(&setup, a.syscalls, seed, &reproduce);
    }
    let run = qemu::run_generated(&setup, cases, seed, true);
    println!(
        "refine on QEMU: {} programs, {} kernel entries replayed on the spec (seed {seed})",
        run.programs, run.entries
    );
    println!("on QEMU, {}", host::coverage().report());
    match run.failure {
        None => {
            let _ = std::fs::remove_dir_all(&setup.work);
            ExitCode::SUCCESS
        }
        Some(why) => {
            println!("the kernel on QEMU and the spec diverge (reproduce: {reproduce}):\n{why}");
            ExitCode::FAILURE
        }
    }
}

/// The soak: long programs until `syscalls` syscalls; a failure writes its reproducer beside
/// the work folder.
fn run_soak(setup: &qemu::Setup, syscalls: u64, seed: u64, reproduce: &str) -> ExitCode {
    let started = std::time::Instant::now();
    let done = soak::soak(setup, syscalls, seed, true);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "soak: {} syscalls in {} programs, {} kernel entries replayed on the spec, in {secs:.0} s ({:.0} syscalls/s; seed {seed})",
        done.syscalls,
        done.programs,
        done.entries,
        done.syscalls as f64 / secs.max(1e-3)
    );
    match done.failure {
        None => {
            let _ = std::fs::remove_dir_all(&setup.work);
            ExitCode::SUCCESS
        }
        Some((why, program)) => {
            let file = setup
                .work
                .with_file_name(format!("soak-failure-{seed}.txt"));
            let text = soak::reproducer(reproduce, &why, &program);
            match std::fs::write(&file, &text) {
                Ok(()) => println!(
                    "the kernel on QEMU and the spec diverge (reproduce: {reproduce}); reproducer in {}:\n{text}",
                    file.display()
                ),
                Err(e) => println!("{text}\n(could not write {}: {e})", file.display()),
            }
            ExitCode::FAILURE
        }
    }
}
