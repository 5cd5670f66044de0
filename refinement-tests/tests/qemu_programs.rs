//! Generated programs on QEMU: each runs on the trace kernel through the fuzzing root task
//! (`tests/fuzz-root`, the program patched into its ELF), and its trace is replayed on the
//! spec. The kernel and root task are built by xtask, which passes them in
//! `REFINE_QEMU_KERNEL` and `REFINE_QEMU_ROOT` (`cargo xtask refine --qemu`, and a step of
//! `cargo xtask test`); without them this test says so and checks nothing.
//! `REFINE_QEMU_CASES` (default 20) and `REFINE_SEED` choose the programs;
//! `REFINE_QEMU_MUTANT` plants a kernel bug (with a kernel built with `mutants` too).

use proptest::test_runner::{TestCaseError, TestError};
use refinement_tests::host::{env_number, fresh_seed, listing, seeded_runner};
use refinement_tests::qemu;
use std::cell::Cell;
use std::path::PathBuf;

#[test]
fn generated_programs_on_qemu_replay_on_the_spec() {
    let (Some(kernel), Some(root)) = (
        std::env::var_os("REFINE_QEMU_KERNEL"),
        std::env::var_os("REFINE_QEMU_ROOT"),
    ) else {
        println!(
            "not run: REFINE_QEMU_KERNEL and REFINE_QEMU_ROOT are not set (cargo xtask refine --qemu sets them)"
        );
        return;
    };
    let work = std::env::var_os("REFINE_QEMU_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("refine-qemu-{}", std::process::id()))
        });
    let mutant = std::env::var("REFINE_QEMU_MUTANT").ok();
    let setup = qemu::setup(kernel.as_ref(), root.as_ref(), &work, mutant)
        .unwrap_or_else(|e| panic!("{e}"));
    let cases = env_number("REFINE_QEMU_CASES").unwrap_or(20) as u32;
    let seed = env_number("REFINE_SEED").unwrap_or_else(fresh_seed);
    // Each shrinking step boots QEMU: bound them.
    let mut runner = seeded_runner(cases, seed, Some(200));
    let (programs, entries, n) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let result = runner.run(&qemu::program(&setup), |p| {
        n.set(n.get() + 1);
        let e =
            qemu::check(&setup, &p, &format!("case-{}", n.get())).map_err(TestCaseError::fail)?;
        programs.set(programs.get() + 1);
        entries.set(entries.get() + e as u64);
        Ok(())
    });
    println!(
        "refine on QEMU: {} programs, {} kernel entries replayed on the spec (seed {seed})",
        programs.get(),
        entries.get()
    );
    match result {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&work);
        }
        Err(TestError::Fail(why, minimal)) => panic!(
            "the kernel on QEMU and the spec diverge (reproduce: cargo xtask refine --qemu --cases {cases} --seed {seed}):\n{why}\n{}",
            listing(&minimal)
        ),
        Err(TestError::Abort(why)) => panic!("aborted: {why}"),
    }
}
