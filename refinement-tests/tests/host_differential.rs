//! The kernel's portable core and the spec, side by side on the host: both boot the same
//! root task in the same memory layout (the spec is given the kernel's object addresses),
//! then the same random invocations go to both, and after every step the replies and every
//! capability the program can reach must be the same — type, object address, badge,
//! rights, guard, watermark, mapping. This is the refinement check without QEMU: the
//! kernel's code runs on the simulated machine, exactly the code the target runs.

use kernel::model::Cap as KCap;
use refinement_tests::host::{
    boot_both, check, counts, env_number, fixed_programs, kproj, run_generated, sproj,
};

/// Random programs of retypes, CNode and TCB operations, signals, polls and garbage
/// invocations: the kernel and the spec reply the same and leave the same caps everywhere.
/// `REFINE_CASES` (default 200) and `REFINE_SEED` (default: a fresh one, printed) choose the
/// programs; `cargo xtask refine --cases N --seed S` sets them.
#[test]
fn kernel_and_spec_agree_on_random_programs() {
    let cases = env_number("REFINE_CASES").unwrap_or(200) as u32;
    let run = run_generated(cases, env_number("REFINE_SEED"), false);
    let (programs, steps) = counts();
    println!(
        "refine: {programs} programs, {steps} kernel entries, the states compared after every step (seed {})",
        run.seed
    );
    println!("{}", refinement_tests::host::coverage().report());
    if let Some(why) = run.failure {
        panic!(
            "the kernel and the spec diverge (reproduce: cargo xtask refine --cases {cases} --seed {}):\n{why}",
            run.seed
        );
    }
}

/// The generated programs reach every invocation label (every one that can succeed here
/// succeeds), every error code and every fault type: 400 programs from seed 1 (any
/// seed's 2000 do as well; `cargo xtask refine` prints the report for its own seed).
#[test]
fn generated_programs_reach_every_label_error_code_and_fault() {
    let run = run_generated(400, Some(1), false);
    assert!(run.failure.is_none(), "{:?}", run.failure);
    let coverage = refinement_tests::host::coverage();
    assert!(coverage.complete(), "{}", coverage.report());
}

/// The fixed programs (rights masks and badges, badge accumulation, alignment and revoke,
/// untyped copies, MCP checks): each agrees step by step.
#[test]
fn fixed_programs_agree() {
    for (name, _) in fixed_programs(1, 0, 0) {
        check(|_, u1, e, b| {
            fixed_programs(u1, e, b)
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap()
                .1
        })
        .unwrap_or_else(|err| panic!("{name}: {err}"));
    }
}

/// Both boot to the same initial caps, untypeds and empty slots.
#[test]
fn both_boot_to_the_same_caps() {
    let (k, s, u0, u1, e) = boot_both();
    for i in (0..16).chain(u0..u1).chain(e..e + 4) {
        let (kc, sc) = (kproj(&k.cap(s.layout.cnode, i)), sproj(&s.root_cap(i)));
        // The spec does not model the boot frames' mappings (BootInfo, IPC buffer).
        if matches!(k.cap(s.layout.cnode, i), KCap::Frame { .. }) {
            continue;
        }
        assert_eq!(kc, sc, "slot {i}");
    }
}
