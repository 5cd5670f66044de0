//! `refine`: generated programs run on the kernel and checked against the spec, from one
//! seed, with progress lines and a watchdog. `cargo xtask refine` builds and runs it:
//!
//! ```text
//! refine host --cases N --seed S
//! refine qemu --cases N --seed S --kernel ELF --root ELF --work DIR [--mutant NAME]
//! ```
//!
//! Exit status: 0 all agree, 1 a divergence (its minimal program printed), 2 bad usage,
//! 3 no progress for too long (the watchdog, naming the seed and the last step).

use refinement_tests::{host, progress, qemu};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How long a host run may go without finishing a step.
const HOST_STALL: Duration = Duration::from_secs(60);
/// How long a QEMU run may go without starting a program (one may take its whole timeout,
/// and shrinking a hang takes one timeout per attempt).
const QEMU_STALL: Duration = Duration::from_secs(180);

struct Args {
    on_qemu: bool,
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
        "usage: refine host --cases N --seed S\n       refine qemu --cases N --seed S --kernel ELF --root ELF --work DIR [--mutant NAME]\n(cargo xtask refine runs it with everything built)"
    );
    ExitCode::from(2)
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let on_qemu = match it.next().as_deref() {
        Some("host") => false,
        Some("qemu") => true,
        Some(other) => return Err(format!("{other}: expected host or qemu")),
        None => return Err("expected host or qemu".to_owned()),
    };
    let mut a = Args {
        on_qemu,
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
    let reproduce = format!(
        "cargo xtask refine {}--cases {cases} --seed {seed}",
        if a.on_qemu { "--qemu " } else { "" }
    );
    if !a.on_qemu {
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
    let run = qemu::run_generated(&setup, cases, seed, true);
    println!(
        "refine on QEMU: {} programs, {} kernel entries replayed on the spec (seed {seed})",
        run.programs, run.entries
    );
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
