//! The IPC fastpath is an optimisation of the general path, so a kernel with it and a kernel
//! without it (`KernelState::fastpath` off, as the `slowpath` build) must leave the same
//! state after every entry of any program: generated programs (with call-and-reply
//! sessions, the fastpath's case, and everything else around them) run on both, and every
//! entry's full projected state is compared.

use kernel::mutant::{self, Mutant};
use refinement_tests::host::{
    env_number, fastpath_agrees, fresh_seed, listing, program, seeded_runner,
};
use std::cell::Cell;

/// `REFINE_CASES` (default 300) programs from `REFINE_SEED` (default: a fresh one, printed).
#[test]
fn the_fastpath_and_the_general_path_leave_the_same_state() {
    let cases = env_number("REFINE_CASES").unwrap_or(300) as u32;
    let seed = env_number("REFINE_SEED").unwrap_or_else(fresh_seed);
    let taken = Cell::new(0u64);
    let mut runner = seeded_runner(cases, seed, None);
    let result = runner.run(&program(), |p| {
        taken.set(taken.get() + fastpath_agrees(&p)?);
        Ok(())
    });
    println!(
        "fastpath: {cases} programs on a kernel with the fastpath and one without, the full \
         state compared after every entry; {} entries took the fastpath (seed {seed})",
        taken.get()
    );
    if let Err(e) = result {
        let why = match e {
            proptest::test_runner::TestError::Fail(why, minimal) => {
                format!("{why}\n{}", listing(&minimal))
            }
            proptest::test_runner::TestError::Abort(why) => format!("aborted: {why}"),
        };
        panic!(
            "the fastpath and the general path diverge (reproduce: REFINE_SEED={seed} REFINE_CASES={cases} cargo test -p refinement-tests --test fastpath):\n{why}"
        );
    }
    assert!(
        taken.get() > cases as u64,
        "only {} fastpath entries in {cases} programs: the programs no longer reach it",
        taken.get()
    );
    every_fastpath_mutant_makes_the_kernels_differ();
}

/// The comparison can fail: with each of the fastpath's planted bugs (`kernel::mutant`,
/// the `Fastpath*` mutants) the two kernels differ within 300 programs from seed 1. (One
/// test runs them after the comparison above: a planted bug applies to the whole process.)
fn every_fastpath_mutant_makes_the_kernels_differ() {
    let mut missed = vec![];
    for m in Mutant::ALL
        .into_iter()
        .filter(|m| m.name().starts_with("Fastpath"))
    {
        mutant::set(Some(m));
        let mut runner = seeded_runner(300, 1, Some(0));
        let caught = runner
            .run(&program(), |p| fastpath_agrees(&p).map(|_| ()))
            .is_err();
        mutant::set(None);
        println!(
            "fastpath comparison with {}: {}",
            m.name(),
            if caught { "differs" } else { "MISSED" }
        );
        if !caught {
            missed.push(m.name());
        }
    }
    assert!(
        missed.is_empty(),
        "fastpath mutants the comparison missed: {missed:?}"
    );
}
