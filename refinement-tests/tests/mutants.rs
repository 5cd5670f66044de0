//! Mutants prove the refinement check bites: each deliberate kernel bug of
//! `kernel::mutant` is switched on in turn, and the generated programs (a fixed seed) and
//! the fixed programs run against the spec; every mutant must make them diverge.
//!
//! `REFINE_MUTANT_CASES` (default 300) sets the number of generated programs per mutant,
//! `REFINE_SEED` (a number) the seed. `cargo xtask refine --mutants` runs this test.

use kernel::mutant::{self, Mutant};
use refinement_tests::host::{check, counts, env_number, fixed_programs, run_generated};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs the generated programs; the first divergence, shrunk, says how it was caught.
fn generated(cases: u32, seed: u64) -> Option<String> {
    let failure = run_generated(cases, Some(seed), false).failure?;
    Some(format!("a generated program: {failure}"))
}

/// Runs the fixed programs, each compared step by step and its trace replayed (the replay
/// compares what the side-by-side check does not: translation tables, ASIDs, the
/// scheduler's action, time slices); the first that diverges (or panics the kernel) is
/// named.
fn fixed() -> Option<String> {
    refinement_tests::host::TRACING.set(true);
    let _off = Off;
    for (name, _) in fixed_programs(1, 0, 0) {
        let r = catch_unwind(AssertUnwindSafe(|| {
            check(|_, u1, e, b| {
                fixed_programs(u1, e, b)
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, p)| p)
                    .unwrap_or_default()
            })
        }));
        match r {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Some(format!("fixed program \"{name}\": {why}")),
            Err(_) => return Some(format!("fixed program \"{name}\": the kernel panicked")),
        }
    }
    None
}

/// Turns the recording off again when dropped.
struct Off;

impl Drop for Off {
    fn drop(&mut self) {
        refinement_tests::host::TRACING.set(false);
    }
}

#[test]
fn every_mutant_is_caught() {
    let cases = env_number("REFINE_MUTANT_CASES").unwrap_or(300) as u32;
    // The generated programs by the side-by-side comparison alone (recording and
    // replaying their traces would multiply the time); the fixed programs by both.
    refinement_tests::host::TRACING.set(false);
    let seed = env_number("REFINE_SEED").unwrap_or(1);
    // Mutant kernels may panic; the runner records that as a divergence.
    std::panic::set_hook(Box::new(|_| {}));
    let mut missed = vec![];
    for m in Mutant::ALL {
        mutant::set(Some(m));
        let (g, f) = (generated(cases, seed), fixed());
        mutant::set(None);
        match (&g, &f) {
            (None, None) => {
                println!("MISSED {m:?}");
                missed.push(m);
            }
            _ => {
                println!("caught {m:?}");
                for how in [g, f].into_iter().flatten() {
                    let mut lines = how.lines().filter(|l| !l.trim().is_empty());
                    println!("    by {}", lines.next().unwrap_or(""));
                    for l in lines.take(8) {
                        println!("        {}", l.trim_end());
                    }
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    let total = Mutant::ALL.len();
    println!(
        "mutants caught: {}/{total} ({cases} generated programs each, seed {seed}; {} programs, {} steps compared)",
        total - missed.len(),
        counts().0,
        counts().1,
    );
    assert!(missed.is_empty(), "mutants not caught: {missed:?}");
}
