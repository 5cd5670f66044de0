//! `cargo xtask refine`: the refinement tests on demand — generated programs with a chosen
//! count and seed, or the mutant run that proves the check catches planted kernel bugs.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

/// What to run.
pub struct Refine {
    /// Generated programs to run (kernel core against the spec).
    pub cases: u32,
    /// The seed of the programs; a fresh one (printed) if `None`.
    pub seed: Option<u64>,
    /// Run the mutant check instead.
    pub mutants: bool,
}

/// Runs the chosen refinement test and returns its exit status.
pub fn run(root: &Path, r: &Refine) -> Result<u8> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["test", "--quiet", "-p", "refinement-tests"]);
    if r.mutants {
        command
            .args(["--test", "mutants", "--", "--nocapture"])
            .env("REFINE_MUTANT_CASES", r.cases.to_string());
    } else {
        command
            .args(["--test", "host_differential", "random_programs", "--"])
            .args(["--nocapture"])
            .env("REFINE_CASES", r.cases.to_string());
    }
    if let Some(seed) = r.seed {
        command.env("REFINE_SEED", seed.to_string());
    }
    let status = command
        .status()
        .context("running cargo test -p refinement-tests")?;
    Ok(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)))
}
