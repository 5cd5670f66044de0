//! Seeded runs of generated programs: one seed reproduces a run, and a failure prints its
//! minimal program.

use super::program::{Step, program};
use super::run::check;

/// The outcome of a run of generated programs.
pub struct GeneratedRun {
    /// The seed the programs came from (give it back to reproduce the run).
    pub seed: u64,
    /// The first divergence, shrunk to a minimal program, if any.
    pub failure: Option<String>,
}

/// Runs `cases` generated programs from `seed` (a random one if `None`), shrinking the
/// first divergence (a differing step, or a kernel panic) to a minimal program; with
/// `print`, a progress line now and then.
pub fn run_generated(cases: u32, seed: Option<u64>, print: bool) -> GeneratedRun {
    use proptest::test_runner::TestError;
    let seed = seed.unwrap_or_else(fresh_seed);
    let mut runner = seeded_runner(cases, seed, None);
    let progress = std::cell::RefCell::new(crate::progress::Progress::new(
        "on the host",
        u64::from(cases),
        print,
    ));
    let failure = match runner.run(&program(), |p| {
        let r = check(|_, _, _, _| p);
        let (programs, steps) = super::run::counts();
        progress.borrow_mut().update(programs, steps);
        r
    }) {
        Ok(()) => None,
        Err(TestError::Fail(why, minimal)) => Some(format!("{why}\n{}", listing(&minimal))),
        Err(TestError::Abort(why)) => Some(format!("aborted: {why}")),
    };
    GeneratedRun { seed, failure }
}

/// A seed nobody chose (printed by every run, so a failure can be reproduced).
pub fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// A proptest runner for `cases` programs from `seed`, with at most `max_shrink_iters`
/// shrinking steps (proptest's default if `None`).
pub fn seeded_runner(
    cases: u32,
    seed: u64,
    max_shrink_iters: Option<u32>,
) -> proptest::test_runner::TestRunner {
    let mut config = proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    };
    if let Some(n) = max_shrink_iters {
        config.max_shrink_iters = n;
    }
    runner_with(config, seed)
}

/// A proptest runner with `config`, its random numbers from `seed`.
pub fn runner_with(
    config: proptest::test_runner::Config,
    seed: u64,
) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    )
}

/// A program, one numbered step a line, as a failure prints its minimal program.
pub fn listing(program: &[Step]) -> String {
    let steps: Vec<String> = program
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  {i}: {s:?}"))
        .collect();
    format!(
        "minimal program ({} steps):\n{}",
        program.len(),
        steps.join("\n")
    )
}

/// A number from the environment, or `default`; a malformed one is an error that says so.
pub fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: expected a decimal number")),
    )
}
